package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.testing.Seeds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The catalog's two open-addressing tables, {@link IdIndex} and {@link RunningJobs}, against a
 * {@link HashMap} under random puts and removes: positions of every width (so that the id index
 * widens its position field while full), ids whose hashes collide, and removals that shift probe
 * runs back. Replay with {@code -Dcsbs.seed=N}.
 */
class HashTablesModelTest {

  @RepeatedTest(20)
  void idIndexAnswersLikeAMap() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int maxPosition = 1 << (4 + random.nextInt(20));
      IdIndexModel tables = new IdIndexModel();
      for (int step = 0; step < 3000; step++) {
        if (tables.model.isEmpty() || random.nextInt(3) > 0) {
          String id = randomId(random);
          if (tables.model.containsKey(id)) {
            continue;
          }
          int position = random.nextInt(maxPosition + 1);
          if (tables.idAt.containsKey(position)) {
            continue;
          }
          tables.idAt.put(position, id);
          tables.index.put(id, position);
          tables.added(id, position);
        } else {
          tables.removeAKnownId(random);
        }
        if (random.nextInt(100) == 0) {
          tables.index.compact();  // mid-drain too: it finishes the drain first
        }
        tables.assertAProbe(random);
      }
      tables.assertEveryKnownId();
    });
  }

  /**
   * An {@link IdIndex} over the keys of a map of positions, the map it must answer like, and the ids
   * put so far (removed ones included, as probes): what the model tests of the index share.
   */
  private static final class IdIndexModel {
    final Map<Integer, String> idAt = new HashMap<>();
    final IdIndex index = new IdIndex(idAt::get);
    final Map<String, Integer> model = new HashMap<>();
    final List<String> known = new ArrayList<>();

    /** Records {@code id}, put in the index at {@code position}, in the model. */
    void added(String id, int position) {
      model.put(id, position);
      known.add(id);
    }

    /** Removes an id put before (perhaps removed already) from the index, the model and the keys. */
    void removeAKnownId(SplittableRandom random) {
      String id = known.get(random.nextInt(known.size()));
      Integer position = model.remove(id);
      index.remove(id);
      if (position != null) {
        idAt.remove(position);
      }
    }

    /** Looks a known id or a random one up in both. */
    void assertAProbe(SplittableRandom random) {
      String probe = random.nextBoolean() && !known.isEmpty() ? known.get(random.nextInt(known.size())) : randomId(random);
      assertEquals(model.getOrDefault(probe, -1), index.get(probe), () -> "position of " + probe);
    }

    void assertEveryKnownId() {
      for (String id : known) {
        assertEquals(model.getOrDefault(id, -1), index.get(id), () -> "position of " + id);
      }
    }
  }

  /**
   * Positions of 25 to 31 bits leave the slot few bits beside them: from 3 distance bits and 4 of
   * fingerprint down to none of distance and one of fingerprint. Lookups, removals (whose shifts
   * trust a recorded distance only below the largest it can hold) and puts in one probe still answer
   * like a map.
   */
  @RepeatedTest(10)
  void idIndexAnswersLikeAMapWithWidePositions() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int maxPosition = (1 << (24 + random.nextInt(7))) - 1;
      IdIndexModel tables = new IdIndexModel();
      for (int step = 0; step < 4000; step++) {
        if (tables.model.isEmpty() || random.nextInt(3) > 0) {
          String id = randomId(random);
          int position = random.nextInt(maxPosition + 1);
          if (tables.idAt.containsKey(position)) {
            continue;
          }
          Integer present = tables.model.get(id);
          int found = tables.index.putIfAbsent(id, position);
          assertEquals(present == null ? -1 : present, found, () -> "put of " + id);
          if (present == null) {
            tables.idAt.put(position, id);  // the index reads the key only at later calls
            tables.added(id, position);
          }
        } else {
          tables.removeAKnownId(random);
        }
        tables.assertAProbe(random);
        assertEquals(tables.model.size(), tables.index.size(), "size");
      }
      tables.assertEveryKnownId();
    });
  }

  @Test
  void compactingLetsGoOfSpareSlotsAndKeepsEveryId() {
    int ids = 40_000;
    String[] idAt = new String[ids + 1000];
    IdIndex index = new IdIndex(position -> idAt[position]);
    for (int position = 0; position < ids; position++) {
      idAt[position] = "backup-" + position;
      index.put(idAt[position], position);
    }
    long grown = index.estimatedBytes();
    index.compact();
    long compacted = index.estimatedBytes();
    // grown by doubling, the table is 7/16 to 7/8 full; compacted, 5/6 full: 4.8 bytes an id
    assertTrue(compacted <= 5L * ids + 4096, () -> compacted + " bytes after compacting " + ids + " ids");
    assertTrue(compacted <= grown, () -> compacted + " bytes after compacting, " + grown + " before");
    for (int position = 0; position < ids; position++) {
      assertEquals(position, index.get(idAt[position]));
    }
    // still takes puts (growing again) and removes
    for (int position = ids; position < ids + 1000; position++) {
      idAt[position] = "backup-" + position;
      index.put(idAt[position], position);
    }
    index.remove("backup-7");
    assertEquals(-1, index.get("backup-7"));
    assertEquals(ids + 999, index.get("backup-" + (ids + 999)));
    assertEquals(ids + 999, index.size());
  }

  /** "Aa" and "BB" have the same {@code String.hashCode}, so ids built of them collide in whole. */
  private static String randomId(SplittableRandom random) {
    StringBuilder id = new StringBuilder();
    int parts = 1 + random.nextInt(4);
    for (int i = 0; i < parts; i++) {
      id.append(random.nextBoolean() ? "Aa" : "BB");
    }
    if (random.nextInt(4) > 0) {
      id.append('-').append(random.nextInt(5000));
    }
    return id.toString();
  }

  @Test
  void idIndexKeepsPositionsWhenTheyOutgrowTheirField() {
    String[] idAt = new String[1 << 21];
    IdIndex index = new IdIndex(position -> idAt[position]);
    for (int i = 0; i < 200; i++) {
      int position = i * 10_000;
      idAt[position] = "b-" + i;
      index.put("b-" + i, position);
    }
    for (int i = 0; i < 200; i++) {
      assertEquals(i * 10_000, index.get("b-" + i));
    }
    assertEquals(-1, index.get("b-200"));
  }

  @RepeatedTest(20)
  void runningJobsAnswerLikeAMap() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      checkRunningJobsAgainstAMap(random, 1 + random.nextInt(5000), 4000, 3, 500);
    });
  }

  /**
   * Random puts and removals (one in {@code removeOneIn}) on {@link RunningJobs} and on a map beside
   * it, over {@code positions} positions: after each step the size and one position's "changed before
   * a cutoff" agree, and every {@code fullCheckEvery} steps the whole set changed before it, as a set
   * and as the walk of a first page from the largest position down, from every position and from
   * below the late ones (positions from a random {@code lateFrom} on are a tail's, kept apart). Shared
   * with {@link IncrementalGrowthTest}, which runs it on tables of several pages.
   */
  static void checkRunningJobsAgainstAMap(SplittableRandom random, int positions, int steps, int removeOneIn,
      int fullCheckEvery) {
    RunningJobs running = new RunningJobs();
    Map<Integer, Instant> model = new HashMap<>();
    int lateFrom = random.nextInt(positions + 1);
    Instant base = Instant.parse("2026-01-01T00:00:00Z");
    for (int step = 0; step < steps; step++) {
      int position = random.nextInt(positions);
      if (random.nextInt(removeOneIn) > 0) {
        Instant at = base.plusSeconds(random.nextInt(100)).plusNanos(random.nextInt(1_000_000_000));
        running.put(position, at, position >= lateFrom);
        model.put(position, at);
      } else {
        running.remove(position);
        model.remove(position);
      }
      assertEquals(model.size(), running.size(), "size");
      Instant cutoff = base.plusSeconds(random.nextInt(100)).plusNanos(random.nextInt(1_000_000_000));
      int probe = random.nextInt(positions);
      boolean expected = model.containsKey(probe) && model.get(probe).isBefore(cutoff);
      assertEquals(expected, running.changedBefore(probe, cutoff), () -> "position " + probe + " before " + cutoff);
      if (step % fullCheckEvery == 0) {
        List<Integer> stalled = new ArrayList<>();
        model.forEach((p, at) -> {
          if (at.isBefore(cutoff)) {
            stalled.add(p);
          }
        });
        stalled.sort(null);
        MatchSet found = running.changedBefore(cutoff);
        List<Integer> actual = new ArrayList<>();
        for (int p = found.next(0); p >= 0; p = found.next(p + 1)) {
          actual.add(p);
        }
        assertEquals(stalled, actual, "stalled positions");
        for (int from : new int[] {Integer.MAX_VALUE, lateFrom - 1}) {
          List<Integer> descending = new ArrayList<>();
          for (int i = stalled.size() - 1; i >= 0; i--) {
            if (stalled.get(i) <= from) {
              descending.add(stalled.get(i));
            }
          }
          Positions walk = running.positionsChangedBefore(cutoff, lateFrom);
          List<Integer> walked = new ArrayList<>();
          for (int p = from < 0 ? -1 : walk.previous(from); p >= 0; p = walk.previous(p - 1)) {
            walked.add(p);
          }
          assertEquals(descending, walked, "stalled positions walked down from " + from + ", late from " + lateFrom);
        }
        assertEquals((int) stalled.stream().filter(p -> p < lateFrom).count(),
            running.positionsChangedBefore(cutoff, lateFrom).countIn(0, lateFrom), "stalled positions below the late ones");
      }
    }
  }
}
