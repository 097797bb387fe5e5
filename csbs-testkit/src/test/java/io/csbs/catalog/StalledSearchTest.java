package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.RepeatedTest;

/**
 * The stalled search on catalogs where running jobs are many and a stalled one is any of them, old
 * or new: its pages, walks by offset and marker, counts and combinations equal the plain scan's while
 * progress reports, job ends, removals and late adds change the jobs (the stalled ones are counted
 * and listed from the order of their last change, {@link RunningJobs}); and {@link TimeOrder}, the order of the jobs'
 * changes that counts them, equals a sorted set under random changes. Replay with {@code -Dcsbs.seed=N}.
 */
class StalledSearchTest {

  @RepeatedTest(10)
  void stalledPagesCountsAndWalksEqualTheScanWhileJobsChange() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(30).build();
      FakeClock clock = FakeClock.at(generator.end());
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 64 + random.nextInt(2000));
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      List<Backup> initial = generator.backups(1500 + random.nextInt(1500));
      indexed.addAll(initial);
      reference.addAll(initial);
      // start many jobs over an hour: the earlier ones stall, unless progress comes
      List<Backup> available = new ArrayList<>();
      for (Backup backup : initial) {
        if (backup.status() == BackupStatus.AVAILABLE) {
          available.add(backup);
        }
      }
      int jobs = available.size() * (20 + random.nextInt(60)) / 100;
      List<String> started = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        clock.advance(Duration.ofMillis(1 + random.nextInt(3600_000 / Math.max(1, jobs))));
        Backup backup = available.get(random.nextInt(available.size()));
        if (indexed.get(project, backup.id()).status() != BackupStatus.AVAILABLE) {
          continue;
        }
        Transition start = random.nextInt(4) == 0 ? Transition.delete() : Transition.restore();
        change(indexed, reference, project, backup.id(), start);
        started.add(backup.id());
      }
      List<Query> queries = queries(random);
      for (int round = 0; round < 12; round++) {
        check(indexed, reference, project, queries, "seed " + seed + " round " + round);
        // progress on some jobs, ends of others, removals, late adds, and time passing
        for (int i = 0; i < 60 && !started.isEmpty(); i++) {
          clock.advance(Duration.ofSeconds(random.nextInt(120)));
          String id = started.get(random.nextInt(started.size()));
          Backup backup = indexed.find(project, id).orElse(null);
          if (backup == null || !backup.status().isIntermediate()) {
            continue;
          }
          int action = random.nextInt(10);
          if (action < 6) {
            int percent = Math.min(99, backup.progress().get().percent() + 1 + random.nextInt(20));
            change(indexed, reference, project, id, Transition.reportProgress(percent));
          } else if (action < 8) {
            change(indexed, reference, project, id, Transition.complete());
          } else {
            indexed.remove(project, id, backup.version());
            reference.remove(project, id, backup.version());
          }
        }
        for (int i = random.nextInt(30); i > 0; i--) {
          Backup late = initial.get(random.nextInt(initial.size())).toBuilder().id("late-" + round + "-" + i).version(1)
              .build();
          indexed.add(late);
          reference.add(late);
        }
      }
      check(indexed, reference, project, queries, "seed " + seed + " at the end");
    });
  }

  private static void change(IndexedCatalog indexed, ReferenceCatalog reference, String project, String id,
      Transition transition) {
    long version = indexed.get(project, id).version();
    assertEquals(reference.apply(project, id, version, transition), indexed.apply(project, id, version, transition));
  }

  private static List<Query> queries(SplittableRandom random) {
    List<Query> queries = new ArrayList<>();
    Sort oldestFirst = Sort.by(SortKey.asc(SortField.CREATED_AT));
    for (int limit : new int[] {1, 20, 50}) {
      queries.add(Query.builder().where(Predicates.stalled()).limit(limit).build());
      queries.add(Query.builder().where(Predicates.stalled()).limit(limit).sort(oldestFirst).build());
      queries.add(Query.builder().where(Predicates.stalled()).limit(limit).offset(random.nextInt(300)).build());
      queries.add(Query.builder().where(Predicates.stalled()).limit(limit).offset(random.nextInt(300))
          .sort(oldestFirst).build());
    }
    queries.add(Query.builder().where(Predicates.and(Predicates.stalled(), Predicates.status(BackupStatus.RESTORING)))
        .limit(20).build());
    queries.add(Query.builder().where(Predicates.or(Predicates.stalled(), Predicates.status(BackupStatus.ERROR)))
        .limit(20).build());
    queries.add(Query.builder().where(Predicates.not(Predicates.stalled())).limit(20).offset(random.nextInt(100)).build());
    queries.add(Query.builder().where(Predicates.and(Predicates.stalled(), Predicates.createdWithinLast(Duration.ofDays(60))))
        .limit(20).build());
    return queries;
  }

  private static void check(IndexedCatalog indexed, ReferenceCatalog reference, String project, List<Query> queries,
      String at) {
    for (Query query : queries) {
      assertEquals(reference.query(project, query), indexed.query(project, query), at + ": " + query);
    }
    assertEquals(reference.count(project, Predicates.stalled()), indexed.count(project, Predicates.stalled()), at);
    // the whole walk by marker, newest first
    List<String> expected = new ArrayList<>();
    for (int offset = 0; ; offset += 1000) {
      var part = reference.query(project, Query.builder().where(Predicates.stalled()).limit(1000).offset(offset).build());
      part.backups().forEach(backup -> expected.add(backup.id()));
      if (!part.hasMore()) {
        break;
      }
    }
    List<String> walked = new ArrayList<>();
    Query page = Query.builder().where(Predicates.stalled()).limit(37).build();
    while (true) {
      var result = indexed.query(project, page);
      result.backups().forEach(backup -> walked.add(backup.id()));
      if (!result.hasMore()) {
        break;
      }
      page = Query.builder().where(Predicates.stalled()).limit(37).marker(walked.get(walked.size() - 1)).build();
    }
    assertEquals(expected, walked, at + ": the walk by marker");
  }

  @RepeatedTest(10)
  void timeOrderCountsListsAndWalksLikeASortedSet() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      TimeOrder times = new TimeOrder();
      Comparator<long[]> order = Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1])
          .thenComparingLong(e -> e[2]);
      TreeSet<long[]> model = new TreeSet<>(order);
      List<long[]> present = new ArrayList<>();
      int steps = 2000 + random.nextInt(8000);
      int seconds = 1 + random.nextInt(50);  // few seconds: many ties, broken by nano and value
      for (int step = 0; step < steps; step++) {
        int action = random.nextInt(6);
        if (present.isEmpty() || action < 4) {
          int value = step;
          long[] entry = {random.nextInt(seconds), random.nextInt(3), value};
          times.insert(entry[0], (int) entry[1], value, stored -> Integer.compare(stored, value));
          model.add(entry);
          present.add(entry);
        } else if (action < 5) {
          long[] entry = present.remove(random.nextInt(present.size()));
          times.remove(entry[0], (int) entry[1], (int) entry[2], stored -> Long.compare(stored, entry[2]));
          model.remove(entry);
        } else {
          // a new value in the same place (a tail row moved to another position): keeps its order
          // only if the tie-break agrees, so move to a value between its neighbours' in the model
          long[] entry = present.get(random.nextInt(present.size()));
          long[] lower = model.lower(entry);
          long[] higher = model.higher(entry);
          boolean sameInstantBelow = lower != null && lower[0] == entry[0] && lower[1] == entry[1];
          boolean sameInstantAbove = higher != null && higher[0] == entry[0] && higher[1] == entry[1];
          if (!sameInstantBelow && !sameInstantAbove) {
            long to = -1 - step;
            times.replace(entry[0], (int) entry[1], 0, (int) entry[2], (int) to, stored -> Long.compare(stored, entry[2]));
            model.remove(entry);
            long[] moved = {entry[0], entry[1], to};
            model.add(moved);
            present.set(present.indexOf(entry), moved);
          }
        }
        if (step % 97 == 0 || step == steps - 1) {
          String at = "step " + step;
          assertEquals(model.size(), times.size(), at);
          List<Long> inOrder = new ArrayList<>();
          model.forEach(entry -> inOrder.add(entry[2]));
          List<Long> walked = new ArrayList<>();
          for (long c = times.first(); c != TimeOrder.END; c = times.next(c)) {
            walked.add((long) times.at(c));
          }
          assertEquals(inOrder, walked, at + ": forward");
          List<Long> back = new ArrayList<>();
          for (long c = times.last(); c != TimeOrder.END; c = times.previous(c)) {
            back.add(0, (long) times.at(c));
          }
          assertEquals(inOrder, back, at + ": backward");
          times.forEachBlockOfFirst(times.size(), (block, length, max) -> {
            int largest = Integer.MIN_VALUE;
            for (int i = 0; i < length; i++) {
              largest = Math.max(largest, block[i]);
            }
            assertEquals(largest, max, at + ": a block's largest value");
          });
          long second = random.nextInt(seconds + 1);
          int nano = random.nextInt(4);
          var before = model.headSet(new long[] {second, nano, Long.MIN_VALUE}, false);
          assertEquals(before.size(), times.countBefore(second, nano), at);
          List<Long> expected = new ArrayList<>();
          before.forEach(entry -> expected.add(entry[2]));
          List<Long> listed = new ArrayList<>();
          for (int value : times.firstValues(before.size())) {
            listed.add((long) value);
          }
          assertEquals(expected, listed, at);
          long seek = times.seek(second, nano, null);
          if (before.size() == model.size()) {
            assertEquals(TimeOrder.END, seek, at);
          } else {
            long[] first = model.ceiling(new long[] {second, nano, Long.MIN_VALUE});
            assertEquals(first[2], times.at(seek), at + ": seek");
            assertEquals(first[0] > second || first[1] > nano, times.isAfter(seek, second, nano, false), at);
            assertTrue(times.isAfter(seek, second, nano, true), at);
          }
        }
      }
      assertThrows(IllegalStateException.class, () -> times.remove(seconds + 5, 0, 1, stored -> 0));
    });
  }
}
