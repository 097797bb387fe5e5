package io.csbs.catalog;

import static io.csbs.catalog.IndexedCatalogDifferentialTest.same;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;

/**
 * A transition or a tag update finds its backup and works out the next version under the read
 * lock, then checks under the write lock that the row still holds that very backup. Here another
 * thread changes the catalog in between, every time: a hook of the catalog's, run between the two
 * steps with no lock held, runs that change on the other thread and waits for it. The backup bumped to a new version must be refused as a
 * version conflict, the backup removed as not found, and the backup removed and added again (the same
 * instance or an equal copy, at another position or the same) must take the change as if nothing
 * came in between; each answer and the state after it are the plain scan's given the other change
 * first. Replay with {@code -Dcsbs.seed=N}.
 */
class ChangeFoundAheadTest {
  private static final String PROJECT = BackupGenerator.projectId(0);
  private static ExecutorService other;

  @BeforeAll
  static void startTheOtherThread() {
    other = Executors.newSingleThreadExecutor();
  }

  @AfterAll
  static void stopTheOtherThread() throws InterruptedException {
    other.shutdownNow();
    other.awaitTermination(10, TimeUnit.SECONDS);
  }

  private enum Between { BUMP, REMOVE, READD_SAME, READD_COPY, CHANGE_ANOTHER }

  /** Runs {@code change} on the other thread and waits for it: the caller holds no lock of the shard now. */
  private static void onTheOtherThread(Runnable change) {
    try {
      other.submit(change).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the change between the two steps did not run", e);
    }
  }

  @RepeatedTest(5)
  void aChangeInBetweenIsSeen() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      FakeClock clock = FakeClock.create();
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1 + random.nextInt(64));
      ReferenceCatalog reference = ReferenceCatalog.create(clock);
      List<Backup> backups = BackupGenerator.builder().seed(seed).projects(1).build().backups(400);
      List<String> ids = new ArrayList<>();
      for (Backup generated : backups) {  // one at a time: some late, into the tail
        // room for the two keys the changes add
        Backup backup = generated.toBuilder().tags(generated.tags().subList(0, Math.min(5, generated.tags().size()))).build();
        indexed.add(backup);
        reference.add(backup);
        ids.add(backup.id());
      }
      for (int round = 0; round < 300; round++) {
        Optional<Backup> found = reference.find(PROJECT, ids.get(random.nextInt(ids.size())));
        Optional<Backup> another = reference.find(PROJECT, ids.get(random.nextInt(ids.size())));
        if (found.isEmpty() || another.isEmpty() || another.get().id().equals(found.get().id())) {
          continue;
        }
        Backup target = found.get();
        Between between = Between.values()[random.nextInt(Between.values().length)];
        boolean transition = random.nextBoolean() && target.status() == BackupStatus.AVAILABLE;
        String context = "round " + round + ", " + between + " of " + target.id() + (transition ? ", delete" : ", tags");
        int at = round;
        // the plain scan: the other change first, as it took the write lock first
        changeBetween(reference, between, target, another.get(), round);
        AtomicBoolean ran = new AtomicBoolean();
        indexed.runOnceBetweenSteps(() -> {
          ran.set(true);
          onTheOtherThread(() -> changeBetween(indexed, between, target, another.get(), at));
        });
        Object answer = same(() -> change(reference, target, transition, at), () -> change(indexed, target, transition, at), context);
        if (answer != null) {
          assertTrue(ran.get(), context + ": nothing ran between the steps");
        }
        indexed.runOnceBetweenSteps(null);  // a change refused before its first step leaves it set
        sameState(reference, indexed, ids, context);
      }
    });
  }

  private enum AroundAnAdd { SAME_ID, ANOTHER_LATE, ANOTHER_NEW, REMOVE_ANOTHER, NOTHING }

  /**
   * An add reads ahead under the read lock (its id, its server's totals, its place in the tail, the
   * free position it would take) and a removal finds its row and reads ahead there too; under the
   * write lock each works from what it finds then. Here another thread changes the catalog between
   * the two steps every time: adds the very id the add brings (the add must be refused as a
   * duplicate, with nothing changed), adds another late backup or one newer than every row (which
   * takes the tail's first position while a tail exists), or removes another backup (which frees a
   * position the add may take). Every answer, every backup and the newest-first pages are the plain
   * scan's given the other change first. Replay with {@code -Dcsbs.seed=N}.
   */
  @RepeatedTest(5)
  void anAddOrARemovalSeesTheChangeInBetween() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      FakeClock clock = FakeClock.create();
      // reorganises rarely: the tail and its free positions stay for many rounds
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1 << 20);
      ReferenceCatalog reference = ReferenceCatalog.create(clock);
      List<Backup> backups = BackupGenerator.builder().seed(seed).projects(1).build().backups(301);
      Backup newest = backups.remove(300);  // never added as it is: newer than every row
      List<String> ids = new ArrayList<>();
      for (Backup backup : backups) {  // one at a time: some late, into the tail
        indexed.add(backup);
        reference.add(backup);
        ids.add(backup.id());
      }
      for (int round = 0; round < 400; round++) {
        Backup template = backups.get(random.nextInt(backups.size()));
        boolean removal = random.nextInt(3) == 0;
        Optional<Backup> found = reference.find(PROJECT, ids.get(random.nextInt(ids.size())));
        Optional<Backup> another = reference.find(PROJECT, ids.get(random.nextInt(ids.size())));
        if ((removal && found.isEmpty()) || another.isEmpty() || (found.isPresent() && found.get().id().equals(another.get().id()))) {
          continue;
        }
        // the add: a late backup (a stored one's creation time, a new id) or, now and then, one
        // newer than every row
        Backup added = (random.nextInt(4) == 0 ? newest.toBuilder().createdAt(newest.createdAt().plusSeconds(round)) : template.toBuilder())
            .id("late-" + round).build();
        AroundAnAdd between = AroundAnAdd.values()[random.nextInt(AroundAnAdd.values().length)];
        String context = "round " + round + ", " + between + (removal ? ", removal of " + found.get().id() : ", add of " + added.id());
        int at = round;
        Runnable other = () -> aroundAnAdd(reference, between, added, another.get(), template, newest, at);
        other.run();  // the plain scan: the other change first, as it took the write lock first
        AtomicBoolean ran = new AtomicBoolean();
        indexed.runOnceBetweenSteps(() -> {
          ran.set(true);
          onTheOtherThread(() -> aroundAnAdd(indexed, between, added, another.get(), template, newest, at));
        });
        same(() -> addOrRemove(reference, removal, found, added), () -> addOrRemove(indexed, removal, found, added), context);
        assertTrue(ran.get(), context + ": nothing ran between the steps");
        indexed.runOnceBetweenSteps(null);
        ids.add(added.id());
        ids.add("between-" + round);
        sameState(reference, indexed, ids, context);
        assertEquals(reference.query(PROJECT, newestFirst(1000)), indexed.query(PROJECT, newestFirst(1000)), context + ": the pages");
      }
    });
  }

  private static io.csbs.query.Query newestFirst(int limit) {
    return io.csbs.query.Query.builder().limit(limit).build();
  }

  /** The add or removal whose two steps another change comes between; {@code true} when done. */
  private static Boolean addOrRemove(BackupCatalog catalog, boolean removal, Optional<Backup> target, Backup added) {
    if (removal) {
      catalog.remove(PROJECT, target.get().id(), target.get().version());
    } else {
      catalog.add(added);
    }
    return true;
  }

  /** The change another caller makes between the two steps of an add of {@code added} (or a removal). */
  private static void aroundAnAdd(BackupCatalog catalog, AroundAnAdd between, Backup added, Backup another, Backup template, Backup newest, int round) {
    switch (between) {
      case SAME_ID:
        catalog.add(template.toBuilder().id(added.id()).build());
        break;
      case ANOTHER_LATE:
        catalog.add(template.toBuilder().id("between-" + round).build());
        break;
      case ANOTHER_NEW:
        // newer than every row, the add's too if it is a new one (at newest + round seconds)
        catalog.add(newest.toBuilder().id("between-" + round).createdAt(newest.createdAt().plusSeconds(round).plusMillis(500)).build());
        break;
      case REMOVE_ANOTHER:
        catalog.remove(PROJECT, another.id(), another.version());
        break;
      case NOTHING:
        break;
      default:
        throw new AssertionError(between);
    }
  }

  /** The change another caller makes between the two steps of {@code target}'s change. */
  private static void changeBetween(BackupCatalog catalog, Between between, Backup target, Backup another, int round) {
    switch (between) {
      case BUMP:
        catalog.updateTags(PROJECT, target.id(), target.version(), TagUpdate.create(Tag.of("bump", "b" + round)));
        break;
      case REMOVE:
        catalog.remove(PROJECT, target.id(), target.version());
        break;
      case READD_SAME:
        catalog.remove(PROJECT, target.id(), target.version());
        catalog.add(target);
        break;
      case READD_COPY:
        catalog.remove(PROJECT, target.id(), target.version());
        catalog.add(target.toBuilder().build());
        break;
      case CHANGE_ANOTHER:
        catalog.updateTags(PROJECT, another.id(), another.version(), TagUpdate.create(Tag.of("bump", "b" + round)));
        break;
      default:
        throw new AssertionError(between);
    }
  }

  private static Object change(BackupCatalog catalog, Backup target, boolean transition, int round) {
    return transition
        ? catalog.apply(PROJECT, target.id(), target.version(), Transition.delete())
        : catalog.updateTags(PROJECT, target.id(), target.version(), retag(round));
  }

  private static TagUpdate retag(int round) {
    return TagUpdate.create(Tag.of("round", "r" + round));
  }

  private static void sameState(ReferenceCatalog reference, IndexedCatalog indexed, List<String> ids, String context) {
    for (String id : ids) {
      assertEquals(reference.find(PROJECT, id), indexed.find(PROJECT, id), context + ": backup " + id);
    }
  }
}
