package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The structures that grow without a pause: {@link RowArray} (chunks instead of one copied array)
 * against a list, across chunk boundaries; {@link IdIndex} (a table drained into a larger one a
 * slice a change) against a map, with lookups, puts and removals while a drain runs, positions that
 * widen during one, and bulk reservations in the middle of one; ids put by {@link IdIndex#putIfAbsent}
 * (one probe) beside plain puts, and duplicates refused by it, while a drain runs too. Replay with {@code -Dcsbs.seed=N}.
 */
class IncrementalGrowthTest {
  private static final List<Backup> SAMPLE = BackupGenerator.builder().seed(5).projects(1).build().backups(64);

  @RepeatedTest(10)
  void rowArrayHoldsWhatAListHoldsAcrossChunks() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      RowArray rows = new RowArray();
      List<Backup> model = new ArrayList<>();
      int target = RowArray.CHUNK * (1 + random.nextInt(4)) + random.nextInt(RowArray.CHUNK);
      while (model.size() < target) {
        // grow by one (a single add) or by a batch that may span several chunks
        int more = random.nextInt(8) == 0 ? 1 + random.nextInt(RowArray.CHUNK * 2) : 1;
        int size = Math.min(target, model.size() + more);
        rows.ensureCapacity(size);
        assertTrue(rows.capacity() >= size, "capacity " + rows.capacity() + " for " + size);
        while (model.size() < size) {
          Backup backup = SAMPLE.get(random.nextInt(SAMPLE.size()));
          rows.set(model.size(), backup);
          model.add(backup);
        }
        int overwrite = random.nextInt(model.size());
        Backup replacement = SAMPLE.get(random.nextInt(SAMPLE.size()));
        rows.set(overwrite, replacement);
        model.set(overwrite, replacement);
      }
      for (int position = 0; position < model.size(); position++) {
        assertSame(model.get(position), rows.get(position), "row " + position);
      }
      int from = random.nextInt(model.size());
      int to = from + random.nextInt(model.size() - from + 1);
      Backup[] copied = new Backup[to - from];
      rows.copyTo(from, to, copied);
      for (int i = 0; i < copied.length; i++) {
        assertSame(model.get(from + i), copied[i], "copied row " + (from + i));
      }
    });
  }

  @Test
  void rowArrayGrowsTheFirstChunkThenAddsChunks() {
    RowArray rows = new RowArray();
    rows.ensureCapacity(100);
    assertTrue(rows.capacity() >= 100 && rows.capacity() < RowArray.CHUNK, "a small project keeps a small array");
    rows.set(99, SAMPLE.get(0));
    rows.ensureCapacity(RowArray.CHUNK + 1);
    assertEquals(2 * RowArray.CHUNK, rows.capacity());
    assertSame(SAMPLE.get(0), rows.get(99), "rows survive the first chunk's growth");
    rows.set(RowArray.CHUNK, SAMPLE.get(1));
    assertSame(SAMPLE.get(1), rows.get(RowArray.CHUNK));
    assertNull(rows.get(RowArray.CHUNK - 1));
  }

  @RepeatedTest(20)
  void idIndexAnswersLikeAMapWhileItsTableDrainsIntoALargerOne() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int maxPosition = 1 << (10 + random.nextInt(10));
      String[] idAt = new String[maxPosition + 1];
      IdIndex index = new IdIndex(position -> idAt[position]);
      Map<String, Integer> model = new HashMap<>();
      List<String> known = new ArrayList<>();
      int nextPosition = 0;
      int lookupsWhileDraining = 0;
      int duplicatesWhileDraining = 0;
      for (int step = 0; step < 30_000; step++) {
        int action = random.nextInt(10);
        if (model.isEmpty() || action < 6) {
          // mostly the next position (as a shard appends), sometimes a free one anywhere
          int position = random.nextInt(4) > 0 && nextPosition <= maxPosition ? nextPosition++ : random.nextInt(maxPosition + 1);
          if (idAt[position] != null) {
            continue;
          }
          String id = "b-" + seed + "-" + step;
          if (random.nextBoolean()) {
            // as a shard's add: the id is absent, put in one probe; the row is stored just after
            assertEquals(-1, index.putIfAbsent(id, position), () -> "putIfAbsent of the new " + id);
            idAt[position] = id;
          } else {
            idAt[position] = id;
            index.put(id, position);
          }
          model.put(id, position);
          known.add(id);
        } else if (action < 7) {
          // a duplicate, refused with its position, whether it has moved to the new table or not
          String id = known.get(random.nextInt(known.size()));
          Integer position = model.get(id);
          if (position != null) {
            if (index.migrating()) {
              duplicatesWhileDraining++;
            }
            int free = nextPosition <= maxPosition && idAt[nextPosition] == null ? nextPosition : maxPosition + 1;
            assertEquals(position, index.putIfAbsent(id, free), () -> "putIfAbsent of the present " + id);
          }
        } else if (action < 9) {
          String id = known.get(random.nextInt(known.size()));
          Integer position = model.remove(id);
          index.remove(id);
          if (position != null) {
            idAt[position] = null;
          }
        } else if (random.nextInt(50) == 0) {
          // a bulk reservation in the middle of whatever runs
          index.ensureCapacity(model.size() * (1 + random.nextInt(4)));
        }
        if (index.migrating()) {
          lookupsWhileDraining++;
          // a duplicate refused mid-drain on every such step: at 7/8 full a table drains seldom,
          // and a duplicate left to the random actions above may miss every drain of a run
          String id = known.get(random.nextInt(known.size()));
          Integer position = model.get(id);
          if (position != null) {
            duplicatesWhileDraining++;
            assertEquals(position, index.putIfAbsent(id, maxPosition + 1), () -> "putIfAbsent of the present " + id + " mid-drain");
          }
        }
        String probe = !known.isEmpty() && random.nextBoolean() ? known.get(random.nextInt(known.size())) : "absent-" + step;
        assertEquals(model.getOrDefault(probe, -1), index.get(probe), () -> "position of " + probe);
        assertEquals(model.size(), index.size(), "size");
      }
      for (String id : known) {
        assertEquals(model.getOrDefault(id, -1), index.get(id), () -> "position of " + id);
      }
      assertTrue(lookupsWhileDraining > 0, "no lookup ran while a table drained");
      assertTrue(duplicatesWhileDraining > 0, "no duplicate was refused while a table drained");
    });
  }

  /**
   * A table grows into one of twice its slots, or as many when only its position field widens, and
   * the drain works each id's new slot out of its old slot and fingerprint: it reads the keys of
   * entries too far from their home to tell it alone (a few percent), not every key (three cache
   * misses an id on a large shard). Reading every key, 300k puts from empty read 440k keys; working them out, 26k.
   */
  @Test
  void idIndexGrowsWithoutReadingMostKeys() {
    int ids = 300_000;
    String[] idAt = new String[ids];
    int[] reads = new int[1];
    IdIndex index = new IdIndex(position -> {
      reads[0]++;
      return idAt[position];
    });
    int growths = 0;
    for (int position = 0; position < ids; position++) {
      String id = "backup-" + position;
      boolean before = index.migrating();
      assertEquals(-1, index.putIfAbsent(id, position));
      idAt[position] = id;
      if (!before && index.migrating()) {
        growths++;
      }
    }
    assertTrue(growths >= 10, "grew " + growths + " times");
    assertTrue(reads[0] < ids / 10, () -> reads[0] + " keys read in " + ids + " puts");
    for (int position = 0; position < ids; position++) {
      assertEquals(position, index.get("backup-" + position));
    }
  }

  @Test
  void idIndexRemovesAnIdThatHasNotMovedYetWithoutCuttingProbeRuns() {
    // ids whose hashes collide share one probe run; removing one from the draining table must not
    // hide the others behind it
    String[] idAt = new String[4096];
    IdIndex index = new IdIndex(position -> idAt[position]);
    List<String> colliding = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      StringBuilder id = new StringBuilder();
      for (int bit = 0; bit < 4; bit++) {
        id.append((i >>> bit & 1) == 0 ? "Aa" : "BB");  // "Aa" and "BB" have the same hash code
      }
      colliding.add(id.toString());
    }
    int position = 0;
    for (String id : colliding) {
      idAt[position] = id;
      index.put(id, position++);
    }
    while (!index.migrating()) {
      String id = "filler-" + position;
      idAt[position] = id;
      index.put(id, position++);
    }
    assertTrue(index.migrating());
    index.remove(colliding.get(0));
    for (int i = 1; i < colliding.size(); i++) {
      assertEquals(i, index.get(colliding.get(i)), colliding.get(i));
    }
    assertEquals(-1, index.get(colliding.get(0)));
    for (int i = 0; i < 1000; i++) {  // drain the rest
      String id = "more-" + position;
      idAt[position] = id;
      index.put(id, position++);
    }
    for (int i = 1; i < colliding.size(); i++) {
      assertEquals(i, index.get(colliding.get(i)), colliding.get(i));
    }
  }

  @RepeatedTest(5)
  void chunkedArrayHoldsWhatAListHoldsAcrossChunks() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      ChunkedArray<String> array = new ChunkedArray<>();
      List<String> model = new ArrayList<>();
      int target = ChunkedArray.CHUNK * (1 + random.nextInt(3)) + random.nextInt(ChunkedArray.CHUNK);
      for (int i = 0; i < target; i++) {
        String value = "v" + random.nextInt(1000);
        array.set(i, value);
        model.add(value);
        if (random.nextInt(100) == 0) {
          int at = random.nextInt(model.size());
          array.set(at, "overwritten");
          model.set(at, "overwritten");
        }
      }
      for (int i = 0; i < model.size(); i++) {
        assertEquals(model.get(i), array.get(i), "index " + i);
      }
    });
  }

  @RepeatedTest(5)
  void chunkedIntsHoldWhatAListHoldsAcrossChunks() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      ChunkedInts array = new ChunkedInts();
      List<Integer> model = new ArrayList<>();
      int target = ChunkedInts.CHUNK * (1 + random.nextInt(3)) + random.nextInt(ChunkedInts.CHUNK);
      for (int i = 0; i < target; i++) {
        int value = random.nextInt();
        array.set(i, value);
        model.add(value);
        if (random.nextInt(100) == 0) {
          int at = random.nextInt(model.size());
          array.set(at, -7);
          model.set(at, -7);
        }
      }
      for (int i = 0; i < model.size(); i++) {
        assertEquals((int) model.get(i), array.get(i), "index " + i);
      }
    });
  }

  @RepeatedTest(5)
  void chunkedArrayWrittenHereAndThereReadsNullElsewhere() {
    // the text index's lower-case copies: chunks allocated only where written
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      ChunkedArray<String> array = new ChunkedArray<>();
      Map<Integer, String> model = new HashMap<>();
      for (int i = 0; i < 50; i++) {
        int at = random.nextInt(4 * ChunkedArray.CHUNK);
        array.set(at, "v" + at);
        model.put(at, "v" + at);
      }
      for (int at = 0; at < 5 * ChunkedArray.CHUNK; at++) {
        assertEquals(model.get(at), array.peek(at), "index " + at);
      }
    });
  }

  @RepeatedTest(10)
  void idIndexTellsGroupedKeysApartWhileItGrows() {
    // the text index's use: keys are (group, text) pairs, the same text in several groups, a null
    // group for ungrouped texts
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      List<String> groups = new ArrayList<>();
      List<String> texts = new ArrayList<>();
      IdIndex index = new IdIndex(texts::get, groups::get);
      Map<String, Integer> model = new HashMap<>();
      for (int step = 0; step < 20_000; step++) {
        String group = random.nextInt(5) == 0 ? null : "server-" + random.nextInt(2000);
        String text = "name-" + random.nextInt(3000);
        String key = group + "/" + text;
        if (!model.containsKey(key)) {
          int entry = texts.size();
          groups.add(group);
          texts.add(text);
          index.put(group, text, entry);
          model.put(key, entry);
        }
        String probeGroup = random.nextInt(5) == 0 ? null : "server-" + random.nextInt(2000);
        String probeText = "name-" + random.nextInt(3000);
        assertEquals(model.getOrDefault(probeGroup + "/" + probeText, -1), index.get(probeGroup, probeText),
            probeGroup + "/" + probeText);
      }
    });
  }

  @RepeatedTest(10)
  void runningJobsAnswerLikeAMapWhileTheirTableDrainsIntoALargerOne() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      // tables of several pages
      HashTablesModelTest.checkRunningJobsAgainstAMap(random, 20_000 + random.nextInt(40_000), 60_000, 4, 5000);
    });
  }

  @RepeatedTest(10)
  void growingMapAnswersLikeAHashMap() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      GrowingMap<Integer> map = new GrowingMap<>();
      Map<String, Integer> model = new HashMap<>();
      int keys = 100 + random.nextInt(40_000);
      for (int step = 0; step < 60_000; step++) {
        String key = "server-" + random.nextInt(keys);
        int action = random.nextInt(10);
        if (action < 5) {
          map.put(key, step);
          model.put(key, step);
        } else if (action < 7) {
          int value = step;
          assertEquals(model.computeIfAbsent(key, k -> value), map.computeIfAbsent(key, k -> value), key);
        } else {
          assertEquals(model.remove(key), map.remove(key), "removed " + key);
        }
        String probe = "server-" + random.nextInt(keys);
        assertEquals(model.get(probe), map.get(probe), probe);
        assertEquals(model.size(), map.size(), "size");
      }
      Map<String, Integer> seen = new HashMap<>();
      map.forEach((key, value) -> assertEquals(null, seen.put(key, value), "twice: " + key));
      assertEquals(model, seen);
    });
  }

  /**
   * A map of pairs answers like a {@code HashMap} keyed by the two strings, its slots included (stable
   * while a pair stays, never shared by two pairs): strings that would join into the same {@code
   * key=value} ({@code a=b} and {@code c}; {@code a} and {@code b=c}) are different pairs.
   */
  @Test
  void growingMapOfPairsAnswersLikeAHashMap() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      GrowingMap<Integer> map = GrowingMap.pairs();
      Map<List<String>, Integer> model = new HashMap<>();
      Map<List<String>, Integer> slots = new HashMap<>();
      int values = 2 + random.nextInt(20_000);
      for (int step = 0; step < 60_000; step++) {
        List<String> pair = randomPair(random, values);
        int value = step;
        if (random.nextInt(10) < 6) {
          assertEquals(model.computeIfAbsent(pair, k -> value),
              map.computeIfAbsent(pair.get(0), pair.get(1), () -> value), pair.toString());
          int slot = map.slot(pair.get(0), pair.get(1));
          Integer before = slots.putIfAbsent(pair, slot);
          assertEquals(before == null ? slot : before, slot, "slot of " + pair + " moved");
        } else {
          assertEquals(model.remove(pair), map.remove(pair.get(0), pair.get(1)), "removed " + pair);
          slots.remove(pair);
          assertEquals(-1, map.slot(pair.get(0), pair.get(1)), "slot of removed " + pair);
        }
        List<String> probe = randomPair(random, values);
        assertEquals(model.get(probe), map.get(probe.get(0), probe.get(1)), probe.toString());
        assertEquals(model.size(), map.size(), "size");
      }
      assertEquals(slots.size(), new java.util.HashSet<>(slots.values()).size(), "two pairs share a slot");
    });
  }

  /** A tag-like pair: a few keys, values that may hold the separator a joined key would use. */
  private static List<String> randomPair(SplittableRandom random, int values) {
    int key = random.nextInt(4);
    int value = random.nextInt(values);
    switch (random.nextInt(3)) {
      case 0:
        return List.of("k" + key + "=v", String.valueOf(value));
      case 1:
        return List.of("k" + key, "v=" + value);
      default:
        return List.of("k" + key, "v" + value);
    }
  }
}
