package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * {@link TextIndex} answers as a scan of a plain map from (group, text) to rows does, while entries
 * go from one row (kept inline) to several (postings) and back to none, texts have upper case or
 * not, one group holds several texts, and the entries cross chunk and trigram-block boundaries.
 */
class TextIndexModelTest {
  private static final String[] WORDS = {"autobk_", "manualbk_", "AUTO", "db-", "Web", "ΟΔΟΣ", "İstanbul", "straße",
      "x", "ab", "ba", "ecs-web-00"};

  @RepeatedTest(40)
  void answersAsAScanOfTheRowsDoes() {
    Seeds.run(Seeds.pick(), seed -> {
      int steps = 1 + new SplittableRandom(seed).nextInt(3000);
      check(new SplittableRandom(seed), steps, 1 + new SplittableRandom(seed + 1).nextInt(steps));
    });
  }

  @RepeatedTest(1)  // a new seed every run; a run takes 5 s of a CI budget that is thin
  void answersAsAScanAcrossChunksOfEntries() {
    // texts mostly distinct: more entries than a chunk holds
    Seeds.run(Seeds.pick(), seed -> check(new SplittableRandom(seed), 2 * ChunkedArray.CHUNK + 5000, 1 << 20));
  }

  /** {@code steps} random adds and removals of texts from a pool of {@code distinctPool}; blocks of 1 to 8. */
  private static void check(SplittableRandom random, int steps, int distinctPool) {
    boolean grouped = random.nextBoolean();
    // the rows' current (group, text), null for a row not indexed
    List<String[]> rows = new ArrayList<>();
    // an index of backup names reads an entry's text from its rows, as the shard's does
    boolean textsFromRows = !grouped && random.nextBoolean();
    TextIndex index = textsFromRows ? new TextIndex(false, 1 << random.nextInt(4), position -> rows.get(position)[1])
        : new TextIndex(grouped, 1 << random.nextInt(4));
    // the texts the index holds an entry of, which the order of an index without groups holds from
    // when it is built: every text added, but an entry of one row that lost it is let go of (an
    // entry once of several rows keeps its text)
    TreeSet<String> added = new TreeSet<>();
    Map<String, Integer> rowsOfText = new HashMap<>();
    java.util.Set<String> severalRows = new java.util.HashSet<>();
    java.util.function.Consumer<String[]> removeText = key -> {
      int left = rowsOfText.merge(key[1], -1, Integer::sum);
      if (left == 0 && !grouped && !severalRows.contains(key[1])) {
        added.remove(key[1]);
      }
    };
    int buildOrderAt = grouped ? -1 : random.nextInt(steps + 1);
    for (int step = 0; step < steps; step++) {
      if (step == buildOrderAt) {
        index.buildOrder();
      }
      int action = random.nextInt(10);
      if (action < 6 || rows.isEmpty()) {
        String[] key = {grouped ? "g" + random.nextInt(1 + distinctPool / 20) : null, text(random, distinctPool)};
        int position;
        if (random.nextInt(8) == 0 && !rows.isEmpty()) {
          position = random.nextInt(rows.size());  // a freed position taken again, or a late row
          if (rows.get(position) != null) {
            index.remove(rows.get(position)[0], rows.get(position)[1], position);
            removeText.accept(rows.get(position));
          }
          rows.set(position, key);
        } else {
          position = rows.size();
          rows.add(key);
        }
        index.add(key[0], key[1], position, rows.size());
        if (rowsOfText.merge(key[1], 1, Integer::sum) > 1) {
          severalRows.add(key[1]);
        }
        if (!added.contains(key[1])) {
          severalRows.remove(key[1]);  // a new entry
          added.add(key[1]);
          rowsOfText.put(key[1], 1);
        }
      } else {
        int position = random.nextInt(rows.size());
        String[] key = rows.get(position);
        if (key != null) {
          index.remove(key[0], key[1], position);
          removeText.accept(key);
          rows.set(position, null);
        } else {
          index.remove(grouped ? "g0" : null, "never-added", position);  // absent: no change
        }
      }
      if (random.nextInt(Math.max(1, steps / 40)) == 0 || step == steps - 1) {
        compare(index, rows, random, grouped);
        compareOrder(index, added, random);
      }
    }
  }

  /** The order of the texts, once built, against a sorted set of every text added. */
  private static void compareOrder(TextIndex index, TreeSet<String> added, SplittableRandom random) {
    EntryOrder order = index.order();
    if (order == null) {
      return;
    }
    List<String> walked = new ArrayList<>();
    for (long c = order.first(); c != EntryOrder.END; c = order.next(c)) {
      walked.add(index.text(order.at(c)));
    }
    assertEquals(new ArrayList<>(added), walked, "the order of the texts");
    List<String> backwards = new ArrayList<>();
    for (long c = order.last(); c != EntryOrder.END; c = order.previous(c)) {
      backwards.add(index.text(order.at(c)));
    }
    assertEquals(new ArrayList<>(added.descendingSet()), backwards, "the order of the texts, backwards");
    List<String> probes = new ArrayList<>(List.of("", "a", "zzzz", "autobk_", "Web"));
    for (int i = 0; i < 5 && !added.isEmpty(); i++) {
      String text = walked.get(random.nextInt(walked.size()));
      probes.add(text);
      probes.add(text + "0");
      probes.add(text.substring(0, text.length() - 1));
    }
    for (String probe : probes) {
      for (boolean inclusive : new boolean[] {true, false}) {
        String ceiling = inclusive ? added.ceiling(probe) : added.higher(probe);
        long c = order.ceiling(probe, inclusive);
        assertEquals(ceiling, c == EntryOrder.END ? null : index.text(order.at(c)), "ceiling " + probe + " " + inclusive);
        String floor = inclusive ? added.floor(probe) : added.lower(probe);
        c = order.floor(probe, inclusive);
        assertEquals(floor, c == EntryOrder.END ? null : index.text(order.at(c)), "floor " + probe + " " + inclusive);
      }
    }
  }

  private static String text(SplittableRandom random, int pool) {
    int n = random.nextInt(pool);
    String word = WORDS[n % WORDS.length];
    return random.nextInt(4) == 0 ? word + n : word + Integer.toHexString(n * 2654435761L > 0 ? n : -n);
  }

  private static void compare(TextIndex index, List<String[]> rows, SplittableRandom random, boolean grouped) {
    List<String> needles = new ArrayList<>(List.of("", "a", "ab", "aut", "AUTO".toLowerCase(Locale.ROOT), "web-0",
        "οδοσ", "i̇stanbul", "straße", "zzz", "_1", "bk_"));
    for (int i = 0; i < 10; i++) {
      String[] key = rows.get(random.nextInt(rows.size()));
      if (key != null) {
        String lower = key[1].toLowerCase(Locale.ROOT);
        int from = random.nextInt(lower.length());
        needles.add(lower.substring(from, Math.min(lower.length(), from + 1 + random.nextInt(6))));
        needles.add(lower);
      }
    }
    for (String needle : needles) {
      TreeSet<Integer> expected = new TreeSet<>();
      for (int position = 0; position < rows.size(); position++) {
        String[] key = rows.get(position);
        if (key != null && key[1].toLowerCase(Locale.ROOT).contains(needle)) {
          expected.add(position);
        }
      }
      assertEquals(expected, positions(index.containing(needle, 0, rows.size())), "containing " + needle);
      assertTrue(index.estimate(needle, rows.size()) >= expected.size(), "estimate of " + needle);
    }
    if (grouped) {
      Map<String, TreeSet<Integer>> byGroup = new HashMap<>();
      for (int position = 0; position < rows.size(); position++) {
        String[] key = rows.get(position);
        if (key != null) {
          byGroup.computeIfAbsent(key[0], g -> new TreeSet<>()).add(position);
        }
      }
      for (int g = 0; g < 5; g++) {
        String group = "g" + g;
        TreeSet<Integer> expected = byGroup.getOrDefault(group, new TreeSet<>());
        assertEquals(expected, positions(index.group(index.groupEntries(group), 0, rows.size())), "group " + group);
        assertEquals(expected.size(), index.groupCount(index.groupEntries(group)), "count of group " + group);
        TreeSet<Integer> fromParts = new TreeSet<>();
        for (MatchSet part : index.groupRows(group)) {
          fromParts.addAll(positions(part));
        }
        assertEquals(expected, fromParts, "rows of the entries of group " + group);
        for (int i = 0; i < 20; i++) {
          int position = random.nextInt(rows.size());
          assertEquals(expected.contains(position), index.groupContains(index.groupEntries(group), position),
              "group " + group + " contains " + position);
        }
      }
    }
  }

  @Test
  void anEntryGoesFromOneRowToSeveralAndBackToNone() {
    for (boolean grouped : new boolean[] {false, true}) {
      String group = grouped ? "srv-1" : null;
      TextIndex index = new TextIndex(grouped, grouped ? 1 : TextIndex.MANY_ENTRIES_BLOCK);  // as the shard has them
      index.add(group, "Mixed-Case_Name", 7, 8);
      assertEquals(List.of(7), List.copyOf(positions(index.containing("case_n", 0, 8))));
      index.add(group, "Mixed-Case_Name", 3, 8);  // a second, earlier row: postings
      index.add(group, "Mixed-Case_Name", 3, 8);  // the same row again: no change
      assertEquals(List.of(3, 7), List.copyOf(positions(index.containing("mixed", 0, 8))));
      index.remove(group, "Mixed-Case_Name", 7);
      assertEquals(List.of(3), List.copyOf(positions(index.containing("mixed", 0, 8))));
      index.remove(group, "Mixed-Case_Name", 3);
      assertEquals(List.of(), List.copyOf(positions(index.containing("mixed", 0, 8))));
      assertEquals(0, index.estimate("mixed", 8));
      index.add(group, "lower", 5, 8);
      index.remove(group, "lower", 4);  // not its row: no change
      assertEquals(List.of(5), List.copyOf(positions(index.containing("low", 0, 8))));
      index.remove(group, "lower", 5);  // its only row
      assertEquals(List.of(), List.copyOf(positions(index.containing("low", 0, 8))));
      index.add(group, "lower", 6, 8);
      assertEquals(List.of(6), List.copyOf(positions(index.containing("lower", 0, 8))));
      if (grouped) {
        index.add(group, "renamed", 2, 8);  // the server's second name: two entries, one group
        assertEquals(List.of(2, 6), List.copyOf(positions(index.group(index.groupEntries(group), 0, 8))));
        assertEquals(2, index.groupCount(index.groupEntries(group)));
      }
    }
  }

  private static TreeSet<Integer> positions(MatchSet set) {
    TreeSet<Integer> positions = new TreeSet<>();
    for (int position = set.next(0); position >= 0; position = set.next(position + 1)) {
      positions.add(position);
    }
    return positions;
  }
}
