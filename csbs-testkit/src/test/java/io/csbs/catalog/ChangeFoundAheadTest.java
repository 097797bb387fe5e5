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
