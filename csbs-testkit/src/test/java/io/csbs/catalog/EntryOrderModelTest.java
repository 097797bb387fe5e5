package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;

/**
 * {@link EntryOrder} against a {@code TreeMap} of texts: built at once, then entries inserted and
 * taken out at random or oldest name first, across many blocks, until blocks empty (and leave the
 * order) and the order is empty; then filled again. Every walk, both ways, and every ceiling and
 * floor is the model's. Replay with {@code -Dcsbs.seed=N}.
 */
class EntryOrderModelTest {

  @RepeatedTest(10)
  void insertionsAndRemovalsKeepTheOrderOfTheTexts() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      List<String> texts = new ArrayList<>();  // entry number to text
      TreeMap<String, Integer> model = new TreeMap<>();
      int initial = random.nextInt(3 * EntryOrder.BLOCK);
      for (int i = 0; i < initial; i++) {
        newText(random, texts, model);
      }
      EntryOrder order = EntryOrder.sorted(texts.size(), texts::get);
      for (int round = 0; round < 4; round++) {
        int adds = random.nextInt(4 * EntryOrder.BLOCK);
        for (int i = 0; i < adds; i++) {
          order.insert(newText(random, texts, model));
        }
        check(order, texts, model, random, "round " + round + " filled");
        // take out most or all, at random or the first names first (blocks empty from the front)
        boolean firstFirst = random.nextBoolean();
        int removals = random.nextInt(3) == 0 ? model.size() : random.nextInt(model.size() + 1);
        for (int i = 0; i < removals; i++) {
          String text = firstFirst ? model.firstKey() : randomKey(random, model);
          order.remove(model.remove(text), text);
        }
        check(order, texts, model, random, "round " + round + " emptied, first first " + firstFirst);
      }
    });
  }

  /**
   * The sort of a build ({@link EntryOrder#sortByText}: keys of 8 Latin-1 chars, or 4 wider ones, a
   * level; the first two levels' keys taken as the texts are read, when those 16 chars are Latin-1)
   * against {@link String#compareTo}: texts sharing long prefixes, of every length around a level's
   * 4, 8 and 16 chars and stems of dozens that whole levels tie on, with real {@code '\0'} chars (which the keys' padding of a shorter text
   * equals), chars past Latin-1 and surrogates at any place, the empty text, in sizes on either side
   * of the insertion and radix thresholds, sorted or shuffled, and entry numbers without a text left
   * out.
   */
  @RepeatedTest(10)
  void theBuildsSortIsTheOrderOfCompareTo() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      for (int round = 0; round < 40; round++) {
        checkSort(random, random.nextInt(round % 4 == 0 ? 3000 : 300), "round " + round);
      }
    });
  }

  /**
   * A build of {@link EntryOrder#PARALLEL} entries or more reads and sorts on two threads (the upper
   * half of the entries read beside the lower, the upper groups of a level sorted beside the lower):
   * its order is still that of {@code compareTo}, for texts of the same shapes as above.
   */
  @RepeatedTest(3)
  void aLargeBuildSortsOnTwoThreadsAsOnOne() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      for (int round = 0; round < 2; round++) {
        checkSort(random, EntryOrder.PARALLEL + random.nextInt(EntryOrder.PARALLEL), "large round " + round);
      }
    });
  }

  /** Builds an order of {@code size} random distinct texts at once and checks it walks them in order. */
  private static void checkSort(SplittableRandom random, int size, String round) {
    java.util.Set<String> distinct = new java.util.LinkedHashSet<>();
    String[] prefixes = {"", "autobk_", "autobk_20", "manualbk_", "\0\0", "\u00ff\u00ff",
        "backup-of-the-production-database-server-", "backup-of-the-production-database-server-\0\0", "\u4e2d"};
    char[] alphabet = {'\0', '\1', 'a', 'b', '_', '\u00e9', '\u00ff', '\u0100', '\u4e2d', '\ud83d', '\ude00', '\uffff'};
    int narrow = random.nextInt(3) == 0 ? alphabet.length : 7;  // many rounds stay Latin-1
    while (distinct.size() < size) {
      // the last prefix is past Latin-1: only in the rounds whose chars may be
      StringBuilder text = new StringBuilder(prefixes[random.nextInt(narrow == 7 ? prefixes.length - 1 : prefixes.length)]);
      int length = random.nextInt(26);
      for (int c = 0; c < length; c++) {
        text.append(random.nextInt(4) == 0 ? alphabet[random.nextInt(narrow)] : (char) ('a' + random.nextInt(3)));
      }
      distinct.add(text.toString());
    }
    List<String> texts = new ArrayList<>(distinct);
    if (random.nextInt(4) == 0) {
      java.util.Collections.sort(texts);
    }
    String[] byEntry = new String[2 * texts.size() + 1];  // room for every entry let go of
    List<Integer> numbers = new ArrayList<>();
    int next = 0;
    for (String text : texts) {
      if (random.nextInt(8) == 0) {
        next++;  // an entry let go of: no text
      }
      byEntry[next] = text;
      numbers.add(next++);
    }
    numbers.sort((a, b) -> byEntry[a].compareTo(byEntry[b]));
    EntryOrder order = EntryOrder.sorted(next, e -> byEntry[e]);
    List<Integer> walked = new ArrayList<>();
    for (long c = order.first(); c != EntryOrder.END; c = order.next(c)) {
      walked.add(order.at(c));
    }
    assertEquals(numbers, walked, round + " of " + size + " texts");
  }

  private static int newText(SplittableRandom random, List<String> texts, TreeMap<String, Integer> model) {
    String text;
    do {
      text = "autobk_" + Integer.toHexString(random.nextInt(1 << 20));
    } while (model.containsKey(text));
    texts.add(text);
    model.put(text, texts.size() - 1);
    return texts.size() - 1;
  }

  private static String randomKey(SplittableRandom random, TreeMap<String, Integer> model) {
    String probe = "autobk_" + Integer.toHexString(random.nextInt(1 << 20));
    String key = model.ceilingKey(probe);
    return key != null ? key : model.firstKey();
  }

  private static void check(EntryOrder order, List<String> texts, TreeMap<String, Integer> model,
      SplittableRandom random, String at) {
    List<Integer> walked = new ArrayList<>();
    for (long c = order.first(); c != EntryOrder.END; c = order.next(c)) {
      walked.add(order.at(c));
    }
    assertEquals(new ArrayList<>(model.values()), walked, at + ": walked");
    List<Integer> backwards = new ArrayList<>();
    for (long c = order.last(); c != EntryOrder.END; c = order.previous(c)) {
      backwards.add(order.at(c));
    }
    assertEquals(new ArrayList<>(model.descendingMap().values()), backwards, at + ": walked backwards");
    for (int i = 0; i < 50; i++) {
      String probe = "autobk_" + Integer.toHexString(random.nextInt(1 << 20));
      boolean inclusive = random.nextBoolean();
      var ceiling = inclusive ? model.ceilingEntry(probe) : model.higherEntry(probe);
      long c = order.ceiling(probe, inclusive);
      assertEquals(ceiling == null ? null : ceiling.getValue(), c == EntryOrder.END ? null : order.at(c), at + ": ceiling " + probe);
      var floor = inclusive ? model.floorEntry(probe) : model.lowerEntry(probe);
      c = order.floor(probe, inclusive);
      assertEquals(floor == null ? null : floor.getValue(), c == EntryOrder.END ? null : order.at(c), at + ": floor " + probe);
    }
  }
}
