package io.csbs.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.Seeds;
import java.time.Instant;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Model-based test of the lifecycle: random sequences of transitions, valid and invalid, checked
 * against a table of allowed transitions written here independently of the library, with the
 * invariants checked after every step. Replay a failure with {@code -Dcsbs.seed=N}.
 */
class LifecycleModelTest {
  private static final int STEPS = 300;

  /** What the model expects of one transition. */
  private enum Expect { REFUSED, STAYS, TO_AVAILABLE, TO_RESTORING, TO_DELETING, TO_ERROR, GONE }

  private enum Kind { RESTORE, INSTANT_RESTORE, DELETE, PROGRESS, COMPLETE, FAIL }

  /** The model: PRODUCT.md section 2, as a plain table. */
  private static Expect expected(BackupStatus status, BackupType type, Kind kind) {
    switch (status) {
      case AVAILABLE:
        switch (kind) {
          case RESTORE: return Expect.TO_RESTORING;
          case INSTANT_RESTORE: return type == BackupType.ENHANCED ? Expect.TO_RESTORING : Expect.REFUSED;
          case DELETE: return Expect.TO_DELETING;
          default: return Expect.REFUSED;
        }
      case ERROR:
        return kind == Kind.DELETE ? Expect.TO_DELETING : Expect.REFUSED;
      case CREATING:
      case RESTORING:
        switch (kind) {
          case PROGRESS: return Expect.STAYS;
          case COMPLETE: return Expect.TO_AVAILABLE;
          case FAIL: return Expect.TO_ERROR;
          default: return Expect.REFUSED;
        }
      case DELETING:
        switch (kind) {
          case PROGRESS: return Expect.STAYS;
          case COMPLETE: return Expect.GONE;
          case FAIL: return Expect.TO_ERROR;
          default: return Expect.REFUSED;
        }
      default:
        throw new AssertionError(status);
    }
  }

  @RepeatedTest(200)
  void randomSequencesFollowTheTransitionTable() {
    Seeds.run(Seeds.pick(), this::runSequence);
  }

  private void runSequence(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    BackupGenerator generator = BackupGenerator.builder().seed(seed).servers(20).build();
    Backup backup = generator.next();
    Instant now = generator.end();
    for (int step = 0; step < STEPS; step++) {
      now = now.plusSeconds(random.nextInt(600));
      Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
      Backup before = backup;
      boolean staleTime = random.nextInt(20) == 0;
      Instant at = staleTime ? before.updatedAt().minusSeconds(1 + random.nextInt(60)) : now;
      int percent = before.progress().map(p -> p.percent()).orElse(0) + random.nextInt(-5, 30);
      String context = "step " + step + ": " + kind + " on " + before + " at " + at;

      Optional<Backup> result;
      try {
        result = apply(kind, before, percent, at);
      } catch (IllegalTransitionException e) {
        assertEquals(Expect.REFUSED, expected(before.status(), before.type(), kind), context + ": " + e.getMessage());
        assertEquals(before.status(), e.status(), context);
        assertTrue(e.getMessage().contains(before.status().toString()), context);
        continue;
      } catch (InvalidValueException e) {
        boolean badTime = at.isBefore(before.updatedAt());
        boolean badProgress = kind == Kind.PROGRESS
            && (percent > 100 || percent < before.progress().map(p -> p.percent()).orElse(0));
        assertTrue(badTime || badProgress, context + ": unexpected " + e.getMessage());
        assertEquals(badTime ? "now" : "progress", e.field(), context);
        continue;
      }
      assertFalse(staleTime && at.isBefore(before.updatedAt()), "a change dated before the last one was accepted; " + context);
      Expect expect = expected(before.status(), before.type(), kind);
      if (expect == Expect.GONE) {
        assertTrue(result.isEmpty(), context);
        backup = generator.next();
        now = later(now, backup.updatedAt());
        continue;
      }
      Backup after = result.orElseThrow(() -> new AssertionError("gone unexpectedly; " + context));
      checkStep(expect, kind, before, after, percent, at, context);
      backup = after;
    }
  }

  private static Optional<Backup> apply(Kind kind, Backup backup, int percent, Instant at) {
    switch (kind) {
      case RESTORE: return Optional.of(Lifecycle.restore(backup, at));
      case INSTANT_RESTORE: return Optional.of(Lifecycle.instantRestore(backup, at));
      case DELETE: return Optional.of(Lifecycle.delete(backup, at));
      case PROGRESS: return Optional.of(Lifecycle.reportProgress(backup, percent, at));
      case COMPLETE: return Lifecycle.complete(backup, at);
      case FAIL: return Optional.of(Lifecycle.fail(backup, "injected failure", at));
      default: throw new AssertionError(kind);
    }
  }

  private static void checkStep(Expect expect, Kind kind, Backup before, Backup after, int percent, Instant at, String context) {
    assertEquals(before.id(), after.id(), context);
    assertEquals(before.status().isIntermediate(), before.progress().isPresent(), context);
    assertEquals(after.status().isIntermediate(), after.progress().isPresent(), "progress only when intermediate; " + context);
    if (kind == Kind.PROGRESS && percent == before.progress().orElseThrow().percent()) {
      assertSame(before, after, "the same progress again must change nothing; " + context);
      return;
    }
    assertEquals(before.version() + 1, after.version(), "version must increase by one; " + context);
    assertEquals(at, after.updatedAt(), context);
    switch (expect) {
      case STAYS:
        assertEquals(before.status(), after.status(), context);
        assertEquals(percent, after.progress().orElseThrow().percent(), context);
        assertEquals(at, after.progress().orElseThrow().changedAt(), context);
        break;
      case TO_AVAILABLE:
        assertEquals(BackupStatus.AVAILABLE, after.status(), context);
        if (before.status() == BackupStatus.CREATING) {
          assertEquals(Optional.of(at), after.finishedAt(), context);
        }
        break;
      case TO_RESTORING:
      case TO_DELETING:
        assertEquals(expect == Expect.TO_RESTORING ? BackupStatus.RESTORING : BackupStatus.DELETING, after.status(), context);
        assertEquals(0, after.progress().orElseThrow().percent(), context);
        assertEquals(at, after.progress().orElseThrow().changedAt(), context);
        break;
      case TO_ERROR:
        assertEquals(BackupStatus.ERROR, after.status(), context);
        JobType failedJob = before.status().job().orElseThrow();
        assertEquals(failedJob, after.failure().orElseThrow(() -> new AssertionError("failure reason missing; " + context)).job(), context);
        assertEquals("injected failure", after.failure().orElseThrow().reason(), context);
        break;
      default:
        fail("accepted a transition the model refuses; " + context);
    }
    if (after.status() == BackupStatus.ERROR) {
      assertTrue(after.failure().isPresent(), "an Error backup must say why; " + context);
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
