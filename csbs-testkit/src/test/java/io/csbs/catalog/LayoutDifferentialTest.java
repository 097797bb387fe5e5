package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.QueryGenerator;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;

/**
 * The indexed catalog against the plain scan of {@link ReferenceCatalog} on every arrival order of
 * the backups: in creation order, some late (added one by one among newer ones), shuffled, with
 * mostly distinct names; with shards that reorganise after a few out-of-order or removed rows, or
 * that keep a long tail; and with reorganisations running on a thread of their own while the
 * answers are checked. Every page (offsets and markers included), total and count must be the
 * scan's. Replay with {@code -Dcsbs.seed=N}.
 */
class LayoutDifferentialTest {
  private enum Layout { IN_ORDER, LATE, SHUFFLED, DISTINCT_NAMES }

  @RepeatedTest(14)  // every run new seeds; 24 took 23 s of a CI run whose budget is thin
  void everyLayoutAnswersLikeAPlainScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      Layout layout = Layout.values()[random.nextInt(Layout.values().length)];
      // a small slack reorganises often; a large one keeps a long tail, walked or collected
      int slack = random.nextBoolean() ? 1 + random.nextInt(64) : 1_000_000;
      compare(seed, random, layout, slack, (clock) -> new IndexedCatalog(clock, StallRule.DEFAULT, slack), false);
    });
  }

  @RepeatedTest(4)
  void answersStayThoseOfAPlainScanWhileReorganisationsRunBesideThem() throws InterruptedException {
    ExecutorService reorganiser = Executors.newSingleThreadExecutor();
    try {
      Seeds.run(Seeds.pick(), seed -> {
        SplittableRandom random = new SplittableRandom(seed);
        Layout layout = random.nextBoolean() ? Layout.LATE : Layout.SHUFFLED;
        int slack = 1 + random.nextInt(16);
        compare(seed, random, layout, slack, clock -> new IndexedCatalog(clock, StallRule.DEFAULT, slack, reorganiser),
            true);
      });
    } finally {
      reorganiser.shutdown();
      assertTrue(reorganiser.awaitTermination(30, TimeUnit.SECONDS));
    }
  }

  private void compare(long seed, SplittableRandom random, Layout layout, int slack,
      java.util.function.Function<FakeClock, IndexedCatalog> catalogs, boolean expectReorganisations) {
    BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(30).build();
    FakeClock clock = FakeClock.at(generator.end());
    IndexedCatalog indexed = catalogs.apply(clock);
    ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
    String project = BackupGenerator.projectId(0);
    List<Backup> backups = arrange(generator.backups(200 + random.nextInt(1800)), layout, random, seed);
    if (layout == Layout.IN_ORDER || layout == Layout.DISTINCT_NAMES) {
      indexed.addAll(backups);
      reference.addAll(backups);
    } else {
      for (Backup backup : backups) {
        indexed.add(backup);
        reference.add(backup);
      }
    }
    String context = layout + ", slack " + slack + ", " + backups.size() + " backups";
    QueryGenerator queries = QueryGenerator.create(seed, backups);
    List<Backup> known = new ArrayList<>(backups);
    for (int step = 0; step < 400; step++) {
      int action = random.nextInt(10);
      String at = context + ", step " + step;
      if (action < 4) {
        Query query = queries.nextQuery();
        if (random.nextInt(4) == 0 && query.marker().isEmpty()) {
          query = query.toBuilder().offset(random.nextInt(known.size() + 1)).build();
        }
        Query asked = query;
        same(() -> reference.query(project, asked), () -> indexed.query(project, asked), at + " " + query);
      } else if (action == 4) {
        BackupPredicate predicate = queries.nextPredicate();
        assertEquals(reference.count(project, predicate), indexed.count(project, predicate), at + " count " + predicate);
      } else {
        changeBoth(action < 7 ? 0 : action - 6, step, random, known, generator, clock, reference, indexed, project, at);
      }
      String countersWrong = indexed.countersAgainstBits(project);
      assertNull(countersWrong, () -> at + ": " + countersWrong);
    }
    walkAllPagesByMarker(reference, indexed, project, queries, context);
    if (expectReorganisations) {
      assertTrue(indexed.reorganisations(project) > 0, context + ": no reorganisation ran");
    }
  }

  /**
   * One change to both catalogs, of the kind {@code 0}: a late backup (the creation time of a known
   * one, a new id), {@code 1}: the removal of a known backup, {@code 2}: a deletion or completion of
   * one (none if the scan refuses it), {@code 3}: a new backup, the clock then moved on; both must
   * answer alike.
   */
  static void changeBoth(int kind, int step, SplittableRandom random, List<Backup> known, BackupGenerator generator,
      FakeClock clock, ReferenceCatalog reference, IndexedCatalog indexed, String project, String at) {
    if (kind == 0) {
      Backup late = known.get(random.nextInt(known.size())).toBuilder().id("late-" + step).version(1).build();
      indexed.add(late);
      reference.add(late);
      known.add(late);
    } else if (kind == 1) {
      Backup gone = known.get(random.nextInt(known.size()));
      Optional<Backup> current = reference.find(project, gone.id());
      if (current.isPresent()) {
        reference.remove(project, gone.id(), current.get().version());
        indexed.remove(project, gone.id(), current.get().version());
      }
    } else if (kind == 2) {
      Backup target = known.get(random.nextInt(known.size()));
      Optional<Backup> current = reference.find(project, target.id());
      if (current.isPresent()) {
        Transition transition = random.nextBoolean() ? Transition.delete() : Transition.complete();
        Optional<Backup> expected;
        try {
          expected = reference.apply(project, target.id(), current.get().version(), transition);
        } catch (RuntimeException refused) {
          return;
        }
        assertEquals(expected, indexed.apply(project, target.id(), current.get().version(), transition), at);
      }
    } else {
      Backup fresh = generator.next();
      indexed.add(fresh);
      reference.add(fresh);
      known.add(fresh);
      clock.advance(Duration.ofMinutes(random.nextInt(120)));
    }
  }

  /** Both calls return equal results, or both throw the same exception type with the same message. */
  static <T> void same(java.util.function.Supplier<T> expected, java.util.function.Supplier<T> actual,
      String context) {
    T want;
    try {
      want = expected.get();
    } catch (RuntimeException e) {
      RuntimeException got = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, actual::get, context);
      assertEquals(e.getClass(), got.getClass(), context + ": " + got.getMessage());
      assertEquals(e.getMessage(), got.getMessage(), context);
      return;
    }
    assertEquals(want, actual.get(), context);
  }

  private static List<Backup> arrange(List<Backup> inOrder, Layout layout, SplittableRandom random, long seed) {
    switch (layout) {
      case IN_ORDER:
        return inOrder;
      case SHUFFLED: {
        List<Backup> shuffled = new ArrayList<>(inOrder);
        Collections.shuffle(shuffled, new Random(seed));
        return shuffled;
      }
      case DISTINCT_NAMES: {
        List<Backup> renamed = new ArrayList<>();
        for (Backup backup : inOrder) {
          renamed.add(random.nextInt(10) == 0 ? backup
              : backup.toBuilder().name(backup.name() + "-" + Integer.toHexString(random.nextInt())).build());
        }
        return renamed;
      }
      case LATE: {
        // 5% to 30% of the backups arrive after up to a fifth of the newer ones
        int percent = 5 + random.nextInt(26);
        List<Backup> arrivals = new ArrayList<>(inOrder);
        for (int i = inOrder.size() - 1; i >= 0; i--) {
          if (random.nextInt(100) < percent) {
            Backup late = arrivals.remove(i);
            int at = Math.min(arrivals.size(), i + random.nextInt(Math.max(1, inOrder.size() / 5)) + 1);
            arrivals.add(at, late);
          }
        }
        return arrivals;
      }
      default:
        throw new AssertionError(layout);
    }
  }

  private static void walkAllPagesByMarker(
      ReferenceCatalog reference, IndexedCatalog indexed, String project, QueryGenerator queries, String context) {
    for (int walk = 0; walk < 3; walk++) {
      Query query = queries.nextQuery().toBuilder().offset(0).marker(null).limit(1 + walk * 20).build();
      for (int pages = 0; pages < 300; pages++) {
        Page expected = reference.query(project, query);
        assertEquals(expected, indexed.query(project, query), context + ", page " + pages + " of " + query);
        if (expected.nextMarker().isEmpty()) {
          break;
        }
        query = query.after(expected.nextMarker().get());
      }
    }
  }
}
