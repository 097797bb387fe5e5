package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.FailCode;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Operation;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A new user's check of the lifecycle (Lifecycle, Transition, StallRule, BackupStatus, ApiStatus,
 * Progress, Failure, FailCode, Operation) against the README and the javadoc only.
 */
class NewUserLifecycleTableTest {
  private static final Instant T0 = Instant.parse("2031-02-28T23:59:59.999999999Z");
  private static final String PROJECT = "projet-ünïcødé";
  private static final Server SERVER = Server.of("srv-Ω-1", "ecs-δοκιμή", "az-north-7");

  /** A clock a test moves by hand. */
  static final class HandClock extends Clock {
    volatile Instant now;

    HandClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private static Backup.Builder base(String id, BackupType type) {
    return Backup.builder()
        .id(id)
        .name("sauvegarde_" + id.length())
        .projectId(PROJECT)
        .server(SERVER)
        .type(type)
        .sizeMb(7)
        .createdAt(T0.minusSeconds(3600));
  }

  private static Backup available(String id, BackupType type) {
    return base(id, type).status(BackupStatus.AVAILABLE).build();
  }

  /** A backup in {@code status}, built directly (progress 10 for a job, a failure for Error). */
  private static Backup inState(BackupStatus status, BackupType type) {
    Backup.Builder b = base("b-" + status + "-" + type, type).status(status);
    if (status.isIntermediate()) {
      b.progress(Progress.of(10, T0.minusSeconds(60)));
    }
    if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.RESTORE, "disque détaché ☹", T0.minusSeconds(60)));
    }
    return b.updatedAt(T0.minusSeconds(60)).build();
  }

  private static final List<String> NAMES =
      List.of("restore", "instant restore", "delete", "progress", "complete", "fail");

  private static Transition transitionNamed(String name) {
    switch (name) {
      case "restore":
        return Transition.restore();
      case "instant restore":
        return Transition.instantRestore();
      case "delete":
        return Transition.delete();
      case "progress":
        return Transition.reportProgress(60);
      case "complete":
        return Transition.complete();
      default:
        return Transition.fail("échec ✗");
    }
  }

  /** The documented table: the names allowed by a backup in this state and of this type. */
  private static List<String> documentedAllowed(BackupStatus status, BackupType type) {
    switch (status) {
      case AVAILABLE:
        return type == BackupType.ENHANCED
            ? List.of("restore", "instant restore", "delete")
            : List.of("restore", "delete");
      case ERROR:
        return List.of("delete");
      default:
        return List.of("progress", "complete", "fail");
    }
  }

  // ---------------------------------------------------------------- the table

  @Test
  void everyStateTypeAndTransitionFollowsTheDocumentedTable() {
    for (BackupStatus status : BackupStatus.values()) {
      for (BackupType type : BackupType.values()) {
        Backup backup = inState(status, type);
        List<String> allowed = documentedAllowed(status, type);
        assertEquals(allowed, Lifecycle.allowedTransitions(backup), status + " " + type);
        for (String name : NAMES) {
          Transition t = transitionNamed(name);
          String where = status + "/" + type + "/" + name;
          if (allowed.contains(name)) {
            Optional<Backup> next = t.applyTo(backup, T0);
            checkAllowedResult(backup, name, next, where);
          } else {
            IllegalTransitionException e =
                assertThrows(IllegalTransitionException.class, () -> t.applyTo(backup, T0), where);
            assertEquals(status, e.status(), where);
            assertEquals(name, e.attempted(), where);
            assertEquals(allowed, e.allowed(), where);
            assertEquals(backup.id(), e.backupId(), where);
            assertEquals(status.isIntermediate() ? ErrorCode.BACKUP_BUSY : ErrorCode.TRANSITION_NOT_ALLOWED,
                e.code(), where);
            String prefix = "backup " + backup.id() + " is " + status + ": " + name + " is refused";
            assertTrue(e.getMessage().startsWith(prefix), where + ": " + e.getMessage());
            assertTrue(e.getMessage().endsWith("; " + status + " allows " + String.join(", ", allowed)),
                where + ": " + e.getMessage());
            assertTrue(e instanceof CsbsError);
            assertTrue(e instanceof IllegalStateException);
          }
        }
      }
    }
  }

  private static void checkAllowedResult(Backup before, String name, Optional<Backup> next, String where) {
    switch (name) {
      case "restore":
      case "instant restore":
      case "delete": {
        Backup after = next.orElseThrow();
        assertEquals(name.equals("delete") ? BackupStatus.DELETING : BackupStatus.RESTORING, after.status(), where);
        assertEquals(Optional.of(Progress.of(0, T0)), after.progress(), where);
        assertEquals(before.version() + 1, after.version(), where);
        assertEquals(T0, after.updatedAt(), where);
        assertEquals(before.failure(), name.equals("delete") ? after.failure() : before.failure(), where);
        break;
      }
      case "progress": {
        Backup after = next.orElseThrow();
        assertEquals(before.status(), after.status(), where);
        assertEquals(Optional.of(Progress.of(60, T0)), after.progress(), where);
        assertEquals(before.version() + 1, after.version(), where);
        break;
      }
      case "complete":
        if (before.status() == BackupStatus.DELETING) {
          assertTrue(next.isEmpty(), where);
        } else {
          Backup after = next.orElseThrow();
          assertEquals(BackupStatus.AVAILABLE, after.status(), where);
          assertTrue(after.progress().isEmpty(), where);
          assertTrue(after.failure().isEmpty(), where);
          assertEquals(before.version() + 1, after.version(), where);
          assertEquals(ApiStatus.AVAILABLE, after.apiStatus(), where);
        }
        break;
      default: {
        Backup after = next.orElseThrow();
        assertEquals(BackupStatus.ERROR, after.status(), where);
        assertTrue(after.progress().isEmpty(), where);
        Failure f = after.failure().orElseThrow();
        assertEquals(before.status().job().orElseThrow(), f.job(), where);
        assertEquals("échec ✗", f.reason(), where);
        assertEquals(T0, f.failedAt(), where);
        assertEquals(ApiStatus.ERROR, after.apiStatus(), where);
        assertEquals(before.version() + 1, after.version(), where);
      }
    }
  }

  @Test
  void theJavadocsRefusalExamplesAndTheReadmesMessage() {
    Backup creating = inState(BackupStatus.CREATING, BackupType.COMMON);
    IllegalTransitionException e =
        assertThrows(IllegalTransitionException.class, () -> Lifecycle.restore(creating, T0));
    assertEquals(BackupStatus.CREATING, e.status());
    assertEquals("restore", e.attempted());
    assertEquals(List.of("progress", "complete", "fail"), e.allowed());
    // README: "backup 7b99... is Creating: restore is refused (the backup is busy until its backup job ends);
    // Creating allows progress, complete, fail"
    assertEquals("backup " + creating.id() + " is Creating: restore is refused (the backup is busy until its backup"
        + " job ends); Creating allows progress, complete, fail", e.getMessage());
    assertEquals("CSBS.2003", e.code().code());
    assertThrows(UnsupportedOperationException.class, () -> e.allowed().add("x"));
  }

  @Test
  void instantRestoreOfACommonBackupSaysWhy() {
    Backup common = available("c-1", BackupType.COMMON);
    IllegalTransitionException e =
        assertThrows(IllegalTransitionException.class, () -> Lifecycle.instantRestore(common, T0));
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, e.code());
    assertTrue(e.getMessage().contains("enhanced"), e.getMessage());
    assertFalse(common.allows(Operation.INSTANT_RESTORE));
    assertTrue(available("e-1", BackupType.ENHANCED).allows(Operation.INSTANT_RESTORE));
  }

  @Test
  void operationsAndStatusesAsDocumented() {
    assertEquals("restore", Operation.RESTORE.toString());
    assertEquals("instant restore", Operation.INSTANT_RESTORE.toString());
    assertEquals("delete", Operation.DELETE.toString());
    assertEquals(JobType.RESTORE, Operation.INSTANT_RESTORE.job());
    assertEquals(JobType.DELETE, Operation.DELETE.job());
    assertTrue(BackupStatus.CREATING.isIntermediate());
    assertEquals(List.of(Operation.DELETE), List.copyOf(BackupStatus.ERROR.allowedOperations(BackupType.ENHANCED)));
    assertEquals(List.of(Operation.RESTORE, Operation.INSTANT_RESTORE, Operation.DELETE),
        List.copyOf(BackupStatus.AVAILABLE.allowedOperations(BackupType.ENHANCED)));
    for (BackupStatus s : BackupStatus.values()) {
      assertEquals(s != BackupStatus.AVAILABLE && s != BackupStatus.ERROR, s.isIntermediate(), s.name());
      assertEquals(!s.isIntermediate(), s.isStable());
      assertEquals(s.isIntermediate(), s.job().isPresent());
      s.job().ifPresent(j -> assertEquals(s, BackupStatus.of(j)));
      for (BackupType t : BackupType.values()) {
        assertThrows(UnsupportedOperationException.class, () -> s.allowedOperations(t).clear());
      }
    }
    assertEquals("Available", BackupStatus.AVAILABLE.toString());
    assertEquals("Deleting", BackupStatus.DELETING.toString());
    assertEquals(Transition.restore(), Transition.start(Operation.RESTORE));
    assertEquals(Transition.instantRestore(), Transition.start(Operation.INSTANT_RESTORE));
    assertEquals(Transition.delete(), Transition.start(Operation.DELETE));
  }

  // ---------------------------------------------------------------- Transition values

  @Test
  void transitionValuesEqualityAndText() {
    assertEquals(Transition.reportProgress(40), Transition.reportProgress(40));
    assertEquals(Transition.reportProgress(40).hashCode(), Transition.reportProgress(40).hashCode());
    assertFalse(Transition.reportProgress(40).equals(Transition.reportProgress(41)));
    assertEquals(Transition.fail("κ"), Transition.fail("κ"));
    assertEquals(Transition.complete(), Transition.complete());
    assertEquals("progress 40%", Transition.reportProgress(40).toString());
    assertEquals("complete", Transition.complete().toString());
    assertEquals("restore", Transition.restore().toString());
    assertEquals("instant restore", Transition.instantRestore().toString());
    assertEquals("delete", Transition.delete().toString());
    assertEquals("fail: disk ✗", Transition.fail("disk ✗").toString());
    // "checked when applied": an out-of-range value is a value, refused on application
    Transition bad = Transition.reportProgress(-1);
    Backup restoring = Lifecycle.restore(available("tv", BackupType.COMMON), T0);
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> bad.applyTo(restoring, T0));
    assertEquals("progress", e.field());
    Transition blank = Transition.fail("   ");
    e = assertThrows(InvalidValueException.class, () -> blank.applyTo(restoring, T0));
    assertEquals("failure reason", e.field());
    assertThrows(NullPointerException.class, () -> Transition.fail(null));
  }

  @Test
  void startOfANullOperationIsRefusedNamingIt() {
    NullPointerException e =
        assertThrows(NullPointerException.class, () -> Lifecycle.start(available("n", BackupType.COMMON), null, T0));
    assertEquals("operation", e.getMessage());
  }

  @Test
  void transitionStartOfNullNamesTheOperation() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> Transition.start(null));
    assertEquals("operation", e.getMessage());
  }

  // ---------------------------------------------------------------- progress

  @Test
  void progressBoundsBackwardsAndRepeated() {
    Backup restoring = Lifecycle.restore(available("p-1", BackupType.COMMON), T0);
    for (int bad : new int[] {-1, 101, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      InvalidValueException e =
          assertThrows(InvalidValueException.class, () -> Lifecycle.reportProgress(restoring, bad, T0));
      assertEquals("progress", e.field(), "" + bad);
      assertEquals(ErrorCode.INVALID_VALUE, e.code());
    }
    // the same percentage returns the backup itself, even later
    assertSame(restoring, Lifecycle.reportProgress(restoring, 0, T0.plusSeconds(5)));
    Backup p100 = Lifecycle.reportProgress(restoring, 100, T0.plusSeconds(1));
    assertEquals(100, p100.progress().orElseThrow().percent());
    assertEquals(T0.plusSeconds(1), p100.progress().orElseThrow().changedAt());
    assertEquals(T0.plusSeconds(1), p100.updatedAt());
    assertEquals(restoring.version() + 1, p100.version());
    assertSame(p100, Lifecycle.reportProgress(p100, 100, T0.plusSeconds(100)));
    InvalidValueException back =
        assertThrows(InvalidValueException.class, () -> Lifecycle.reportProgress(p100, 99, T0.plusSeconds(2)));
    assertEquals("progress", back.field());
    assertTrue(back.getMessage().contains("99"), back.getMessage());
    // a new phase starts from 0 again
    Backup again = Lifecycle.restore(Lifecycle.complete(p100, T0.plusSeconds(3)).orElseThrow(), T0.plusSeconds(4));
    assertEquals(0, again.progress().orElseThrow().percent());
    assertEquals(5, Lifecycle.reportProgress(again, 5, T0.plusSeconds(5)).progress().orElseThrow().percent());
  }

  @Test
  void progressValueBounds() {
    assertEquals(0, Progress.of(0, T0).percent());
    assertEquals(100, Progress.of(100, T0).percent());
    assertEquals("progress", assertThrows(InvalidValueException.class, () -> Progress.of(-1, T0)).field());
    assertEquals("progress", assertThrows(InvalidValueException.class, () -> Progress.of(101, T0)).field());
    assertEquals("40% since 2026-11-24T10:15:00Z", Progress.of(40, Instant.parse("2026-11-24T10:15:00Z")).toString());
    assertEquals(Progress.of(3, T0), Progress.of(3, T0));
  }

  @Test
  void progressOnAStableBackupIsATransitionRefusal() {
    for (BackupStatus s : List.of(BackupStatus.AVAILABLE, BackupStatus.ERROR)) {
      Backup b = inState(s, BackupType.ENHANCED);
      for (int p : new int[] {0, 50, 101}) {
        IllegalTransitionException e =
            assertThrows(IllegalTransitionException.class, () -> Lifecycle.reportProgress(b, p, T0), s + " " + p);
        assertEquals("progress", e.attempted());
        assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, e.code());
      }
    }
  }

  // ---------------------------------------------------------------- complete / fail / times

  @Test
  void completeAndFailFromEachIntermediateStateAndTheirTimes() {
    Instant finished = T0.minusSeconds(1800);
    for (BackupStatus s : List.of(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING)) {
      Backup.Builder b = base("cf-" + s, BackupType.COMMON).status(s).progress(Progress.of(33, T0.minusSeconds(9)))
          .updatedAt(T0.minusSeconds(9));
      if (s != BackupStatus.CREATING) {
        b.finishedAt(finished);
      }
      Backup running = b.build();
      Instant at = T0.plusNanos(1);
      Optional<Backup> done = Lifecycle.complete(running, at);
      Backup failed = Lifecycle.fail(running, "raison", at);
      assertEquals(BackupStatus.ERROR, failed.status());
      assertEquals(at, failed.updatedAt());
      assertEquals(at, failed.failure().orElseThrow().failedAt());
      assertEquals(s.job().orElseThrow(), failed.failure().orElseThrow().job());
      if (s == BackupStatus.DELETING) {
        assertTrue(done.isEmpty());
        assertEquals(Optional.of(finished), failed.finishedAt());
      } else {
        Backup d = done.orElseThrow();
        assertEquals(BackupStatus.AVAILABLE, d.status());
        assertEquals(at, d.updatedAt());
        assertEquals(s == BackupStatus.CREATING ? Optional.of(at) : Optional.of(finished), d.finishedAt(), s.name());
        assertEquals(s == BackupStatus.CREATING ? Optional.of(at) : Optional.of(finished), failed.finishedAt(), s.name());
      }
      // the input is never changed
      assertEquals(s, running.status());
      assertEquals(33, running.progress().orElseThrow().percent());
    }
  }

  @Test
  void anErrorBackupKeepsItsFailureWhileDeletedAndFailsAgainWithTheNewOne() {
    Backup error = inState(BackupStatus.ERROR, BackupType.COMMON);
    Failure old = error.failure().orElseThrow();
    Backup deleting = Lifecycle.delete(error, T0);
    assertEquals(Optional.of(old), deleting.failure());
    Backup at40 = Lifecycle.reportProgress(deleting, 40, T0.plusSeconds(1));
    assertEquals(Optional.of(old), at40.failure());
    Backup failedAgain = Lifecycle.fail(at40, "delete job lost", T0.plusSeconds(2));
    assertEquals(JobType.DELETE, failedAgain.failure().orElseThrow().job());
    assertEquals("delete job lost", failedAgain.failure().orElseThrow().reason());
    assertTrue(Lifecycle.complete(Lifecycle.delete(failedAgain, T0.plusSeconds(3)), T0.plusSeconds(3)).isEmpty());
  }

  @Test
  void failureReasonsLengthsUnicodeAndBlank() {
    Backup restoring = Lifecycle.restore(available("fr", BackupType.COMMON), T0);
    String max = "r".repeat(Failure.MAX_REASON_LENGTH);
    assertEquals(max, Lifecycle.fail(restoring, max, T0).failure().orElseThrow().reason());
    String emojiMax = "😀".repeat(Failure.MAX_REASON_LENGTH / 2);   // 1024 chars
    assertEquals(emojiMax, Lifecycle.fail(restoring, emojiMax, T0).failure().orElseThrow().reason());
    for (String bad : List.of("", " ", "\t\n", "r".repeat(Failure.MAX_REASON_LENGTH + 1), "😀".repeat(513))) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> Lifecycle.fail(restoring, bad, T0));
      assertEquals("failure reason", e.field());
      assertEquals(ErrorCode.INVALID_VALUE, e.code());
    }
    assertEquals("reason", assertThrows(NullPointerException.class, () -> Lifecycle.fail(restoring, null, T0)).getMessage());
    assertEquals("restore failed at 2026-11-24T10:15:00Z: target disk detached",
        Failure.of(JobType.RESTORE, "target disk detached", Instant.parse("2026-11-24T10:15:00Z")).toString());
    // refused on a stable backup with a transition refusal, not a value refusal
    assertThrows(IllegalTransitionException.class, () -> Lifecycle.fail(available("x", BackupType.COMMON), "", T0));
  }

  @Test
  void aReasonOfOnlyANoBreakSpaceIsAcceptedAsNonBlank() {
    Backup restoring = Lifecycle.restore(available("nb", BackupType.COMMON), T0);
    assertEquals("\u00a0", Lifecycle.fail(restoring, "\u00a0", T0).failure().orElseThrow().reason());
  }

  @Test
  void failCodeBounds() {
    assertEquals("", new FailCode(0, "").description());
    assertEquals(64003, new FailCode(64003, "The disk is detached.").code());
    new FailCode(-1, "é".repeat(FailCode.MAX_DESCRIPTION_LENGTH));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> new FailCode(1, "x".repeat(FailCode.MAX_DESCRIPTION_LENGTH + 1)));
    assertEquals("fail_code description", e.field());
    assertThrows(NullPointerException.class, () -> new FailCode(1, null));
  }

  @Test
  void aClockSetBackIsRefusedNamingNowBeforeTheStateIsJudged() {
    Backup restoring = Lifecycle.restore(available("cb", BackupType.COMMON), T0);
    Instant early = T0.minusNanos(1);
    for (Transition t : List.of(Transition.reportProgress(5), Transition.complete(), Transition.fail("x"),
        Transition.restore(), Transition.delete(), Transition.reportProgress(0))) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> t.applyTo(restoring, early), t.toString());
      assertEquals("now", e.field());
    }
    // exactly at the last change is accepted
    assertEquals(T0, Lifecycle.reportProgress(restoring, 1, T0).updatedAt());
    assertThrows(NullPointerException.class, () -> Lifecycle.complete(restoring, null));
  }

  // ---------------------------------------------------------------- ApiStatus

  @Test
  void apiStatusMappingOfEveryRawStatus() {
    String[][] table = {
      {"waiting_protect", "Creating", "q"}, {"protecting", "Creating", ""}, {"available", "Available", ""},
      {"waiting_restore", "Restoring", "q"}, {"restoring", "Restoring", ""}, {"error", "Error", ""},
      {"waiting_delete", "Deleting", "q"}, {"deleting", "Deleting", ""}, {"deleted", null, ""}};
    assertEquals(9, ApiStatus.values().length);
    for (String[] row : table) {
      ApiStatus s = ApiStatus.parse(row[0]);
      assertEquals(row[0], s.apiName());
      assertEquals(row[0], s.toString());
      assertEquals(Optional.ofNullable(row[1]), s.state().map(BackupStatus::toString), row[0]);
      assertEquals(!row[2].isEmpty(), s.isQueued(), row[0]);
    }
    for (String bad : List.of("paused", "PROTECTING", "Available", " available", "", "délétéd")) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> ApiStatus.parse(bad), bad);
      assertEquals("status", e.field());
    }
    assertEquals(ApiStatus.PROTECTING, ApiStatus.of(BackupStatus.CREATING));
    assertEquals(ApiStatus.RESTORING, ApiStatus.of(BackupStatus.RESTORING));
    assertEquals(ApiStatus.DELETING, ApiStatus.of(BackupStatus.DELETING));
    assertEquals(ApiStatus.AVAILABLE, ApiStatus.of(BackupStatus.AVAILABLE));
    assertEquals(ApiStatus.ERROR, ApiStatus.of(BackupStatus.ERROR));
    for (BackupStatus st : BackupStatus.values()) {
      assertEquals(Optional.of(st), ApiStatus.of(st).state());
      assertEquals(ApiStatus.of(st), inState(st, BackupType.COMMON).apiStatus(), "default raw status of " + st);
    }
  }

  @Test
  void aQueuedJobMovesToRunningWithItsFirstProgressAboveZero() {
    Backup queued = base("q-1", BackupType.COMMON).status(BackupStatus.CREATING).apiStatus(ApiStatus.WAITING_PROTECT)
        .progress(Progress.of(0, T0)).updatedAt(T0).build();
    assertEquals(ApiStatus.WAITING_PROTECT, queued.apiStatus());
    assertSame(queued, Lifecycle.reportProgress(queued, 0, T0.plusSeconds(1)));
    Backup running = Lifecycle.reportProgress(queued, 1, T0.plusSeconds(2));
    assertEquals(ApiStatus.PROTECTING, running.apiStatus());
    assertEquals(ApiStatus.AVAILABLE, Lifecycle.complete(queued, T0).orElseThrow().apiStatus());
    assertEquals(ApiStatus.ERROR, Lifecycle.fail(queued, "q", T0).apiStatus());
    // an operation sets the running form
    Backup restoring = Lifecycle.restore(available("q-2", BackupType.ENHANCED), T0);
    assertEquals(ApiStatus.RESTORING, restoring.apiStatus());
    assertEquals(ApiStatus.DELETING, Lifecycle.delete(inState(BackupStatus.ERROR, BackupType.COMMON), T0).apiStatus());
    Backup queuedDelete = base("q-3", BackupType.COMMON).status(BackupStatus.DELETING).apiStatus(ApiStatus.WAITING_DELETE)
        .progress(Progress.of(0, T0)).updatedAt(T0).build();
    assertEquals(ApiStatus.DELETING, Lifecycle.reportProgress(queuedDelete, 100, T0).apiStatus());
  }

  @Test
  void aRawStatusThatDoesNotMapToTheStateIsRefused() {
    assertThrows(InvalidValueException.class, () -> base("m", BackupType.COMMON).status(BackupStatus.AVAILABLE)
        .apiStatus(ApiStatus.ERROR).build());
    assertThrows(InvalidValueException.class, () -> base("m", BackupType.COMMON).status(BackupStatus.AVAILABLE)
        .apiStatus(ApiStatus.DELETED).build());
    assertThrows(InvalidValueException.class, () -> base("m", BackupType.COMMON).status(BackupStatus.CREATING)
        .progress(Progress.of(0, T0)).apiStatus(ApiStatus.WAITING_RESTORE).build());
  }

  // ---------------------------------------------------------------- StallRule

  @Test
  void stallRuleBoundsAndExactlyAtTheThreshold() {
    assertEquals(Duration.ofMinutes(30), StallRule.DEFAULT.threshold());
    assertEquals(StallRule.DEFAULT_THRESHOLD, StallRule.DEFAULT.threshold());
    for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofDays(-3))) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> StallRule.ofThreshold(bad));
      assertEquals("stall threshold", e.field());
    }
    assertThrows(NullPointerException.class, () -> StallRule.ofThreshold(null));
    StallRule nano = StallRule.ofThreshold(Duration.ofNanos(1));
    Backup running = Lifecycle.restore(available("st", BackupType.COMMON), T0);
    assertFalse(nano.isStalled(running, T0.plusNanos(1)));
    assertTrue(nano.isStalled(running, T0.plusNanos(2)));
    StallRule ten = StallRule.ofThreshold(Duration.ofMinutes(10));
    assertFalse(ten.isStalled(running, T0.plus(Duration.ofMinutes(10))));
    assertTrue(ten.isStalled(running, T0.plus(Duration.ofMinutes(10)).plusNanos(1)));
    assertFalse(ten.isStalled(running, Clock.fixed(T0.plus(Duration.ofMinutes(10)), ZoneOffset.UTC)));
    assertTrue(ten.isStalled(running, Clock.fixed(T0.plus(Duration.ofMinutes(11)), ZoneOffset.UTC)));
    // a judgement before the progress time is not a stall
    assertFalse(ten.isStalled(running, T0.minus(Duration.ofDays(1))));
    // stable backups are never stalled
    for (BackupStatus s : List.of(BackupStatus.AVAILABLE, BackupStatus.ERROR)) {
      assertFalse(nano.isStalled(inState(s, BackupType.COMMON), Instant.MAX));
    }
    // a repeated percentage does not move the progress time: still stalled
    Backup same = Lifecycle.reportProgress(running, 0, T0.plus(Duration.ofMinutes(20)));
    assertTrue(ten.isStalled(same, T0.plus(Duration.ofMinutes(21))));
    // a new percentage does
    Backup moved = Lifecycle.reportProgress(running, 1, T0.plus(Duration.ofMinutes(20)));
    assertFalse(ten.isStalled(moved, T0.plus(Duration.ofMinutes(21))));
    // huge thresholds and extreme instants
    StallRule huge = StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE));
    assertFalse(huge.isStalled(running, Instant.MAX));
    assertEquals(Instant.MIN, huge.stalledIfChangedBefore(T0));
    assertEquals(T0.minus(Duration.ofMinutes(10)), ten.stalledIfChangedBefore(T0));
    assertFalse(ten.isStalled(Instant.MIN, Instant.MIN));
    assertEquals(StallRule.ofThreshold(Duration.ofMinutes(10)), ten);
  }

  @Test
  void theReadmeQuickStartLifecycle() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    Backup backup = Backup.builder().id("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12").name("autobk_a61d")
        .projectId("project-1").server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02"))
        .status(BackupStatus.AVAILABLE).type(BackupType.ENHANCED).sizeMb(146_184)
        .createdAt(now.minus(Duration.ofDays(3))).build();
    Backup restoring = Lifecycle.instantRestore(backup, now);
    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(0, restoring.progress().orElseThrow().percent());
    Backup halfway = Lifecycle.reportProgress(restoring, 50, now.plusSeconds(60));
    assertTrue(StallRule.DEFAULT.isStalled(halfway, now.plus(Duration.ofHours(1))));
    Backup restored = Lifecycle.complete(halfway, now.plusSeconds(120)).orElseThrow();
    assertEquals(BackupStatus.AVAILABLE, restored.status());
    assertEquals(4, restored.version());
  }

  // ---------------------------------------------------------------- through a catalog

  @Test
  void throughACatalogVersionsRefusalsAndTheChangeDelivered() {
    HandClock clock = new HandClock(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Change> changes = new ArrayList<>();
    catalog.subscribe(changes::add);
    Backup b = available("cat-ü-1", BackupType.ENHANCED);
    catalog.add(b);
    assertEquals(1, catalog.sequence(PROJECT));

    // a wrong version: nothing changes
    VersionConflictException vc = assertThrows(VersionConflictException.class,
        () -> catalog.apply(PROJECT, b.id(), 2, Transition.restore()));
    assertEquals(1, vc.currentVersion());
    assertEquals(2, vc.expectedVersion());
    assertEquals(ErrorCode.VERSION_CONFLICT, vc.code());
    // an unknown id, another project
    assertThrows(BackupNotFoundException.class, () -> catalog.apply(PROJECT, "nope", 1, Transition.restore()));
    assertThrows(BackupNotFoundException.class, () -> catalog.apply("other", b.id(), 1, Transition.restore()));
    // a refused transition: nothing changes
    IllegalTransitionException it = assertThrows(IllegalTransitionException.class,
        () -> catalog.apply(PROJECT, b.id(), 1, Transition.complete()));
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, it.code());
    assertEquals(1, catalog.sequence(PROJECT));
    assertEquals(b, catalog.get(PROJECT, b.id()));
    assertEquals(1, changes.size());

    clock.now = T0.plusSeconds(10);
    Backup restoring = catalog.apply(PROJECT, b.id(), 1, Transition.instantRestore()).orElseThrow();
    assertEquals(2, restoring.version());
    assertEquals(T0.plusSeconds(10), restoring.updatedAt());
    assertEquals(T0.plusSeconds(10), restoring.progress().orElseThrow().changedAt());
    Change c = changes.get(changes.size() - 1);
    assertEquals(2, c.sequence());
    assertEquals(Optional.of(Transition.instantRestore()), c.transition());
    assertEquals(Optional.of(b), c.before());
    assertEquals(Optional.of(restoring), c.after());

    // a bad value: nothing changes
    InvalidValueException iv = assertThrows(InvalidValueException.class,
        () -> catalog.apply(PROJECT, b.id(), 2, Transition.reportProgress(101)));
    assertEquals("progress", iv.field());
    assertEquals(2, catalog.sequence(PROJECT));

    // the clock set back: refused naming now, nothing changes
    clock.now = T0.plusSeconds(9);
    iv = assertThrows(InvalidValueException.class, () -> catalog.apply(PROJECT, b.id(), 2, Transition.reportProgress(3)));
    assertEquals("now", iv.field());
    assertEquals(restoring, catalog.get(PROJECT, b.id()));
    assertEquals(2, catalog.sequence(PROJECT));

    // the same percentage again changes nothing: no version, no sequence, no change
    clock.now = T0.plusSeconds(20);
    Backup same = catalog.apply(PROJECT, b.id(), 2, Transition.reportProgress(0)).orElseThrow();
    assertEquals(restoring, same);
    assertEquals(2, catalog.sequence(PROJECT));
    assertEquals(2, changes.size());

    iv = assertThrows(InvalidValueException.class, () -> catalog.apply(PROJECT, b.id(), 2, Transition.fail(" \t")));
    assertEquals("failure reason", iv.field());
    iv = assertThrows(InvalidValueException.class,
        () -> catalog.apply(PROJECT, b.id(), 2, Transition.fail("x".repeat(Failure.MAX_REASON_LENGTH + 1))));
    assertEquals("failure reason", iv.field());
    assertEquals(restoring, catalog.get(PROJECT, b.id()));
    assertEquals(2, catalog.sequence(PROJECT));
    // a wrong version is refused before the transition is judged
    assertThrows(VersionConflictException.class, () -> catalog.apply(PROJECT, b.id(), 1, Transition.restore()));
    assertThrows(VersionConflictException.class, () -> catalog.apply(PROJECT, b.id(), 3, Transition.reportProgress(0)));
    assertEquals("#2 " + PROJECT + "/" + b.id() + ": instant restore, v1 -> v2", c.toString());
    Backup failed = catalog.apply(PROJECT, b.id(), 2, Transition.fail("réseau ⚡")).orElseThrow();
    assertEquals(BackupStatus.ERROR, failed.status());
    assertEquals(T0.plusSeconds(20), failed.failure().orElseThrow().failedAt());
    assertEquals(Optional.of(Transition.fail("réseau ⚡")), changes.get(2).transition());

    clock.now = T0.plusSeconds(30);
    catalog.apply(PROJECT, b.id(), 3, Transition.delete());
    Optional<Backup> gone = catalog.apply(PROJECT, b.id(), 4, Transition.complete());
    assertTrue(gone.isEmpty());
    Change removal = changes.get(changes.size() - 1);
    assertTrue(removal.isRemoved());
    assertEquals(Optional.of(Transition.complete()), removal.transition());
    assertEquals(5, removal.sequence());
    assertEquals("#5 " + PROJECT + "/" + b.id() + ": complete, v4 -> gone", removal.toString());
    assertEquals(Optional.of(4L), removal.before().map(Backup::version));
    assertTrue(catalog.find(PROJECT, b.id()).isEmpty());
    assertThrows(BackupNotFoundException.class, () -> catalog.apply(PROJECT, b.id(), 5, Transition.complete()));
    assertEquals(5, catalog.sequence(PROJECT));
  }

  // ---------------------------------------------------------------- random walk against my model

  /** My model of a backup: the documented table, nothing else. */
  private static final class Model {
    BackupStatus status = BackupStatus.AVAILABLE;
    int percent = -1;
    long version = 1;
    Optional<JobType> failedJob = Optional.empty();
    boolean gone;
  }

  @Test
  void randomWalksThroughTheCatalogAgreeWithTheDocumentedTable() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    HandClock clock = new HandClock(T0);
    StallRule rule = StallRule.ofThreshold(Duration.ofMillis(2));
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
    int n = 6;
    Model[] models = new Model[n];
    BackupType[] types = new BackupType[n];
    for (int i = 0; i < n; i++) {
      types[i] = i % 2 == 0 ? BackupType.ENHANCED : BackupType.COMMON;
      catalog.add(available("walk-" + i + "-名", types[i]));
      models[i] = new Model();
    }
    long sequence = n;
    for (int step = 0; step < 400; step++) {
      String where = "seed " + seed + " step " + step;
      int i = random.nextInt(n);
      Model m = models[i];
      String id = "walk-" + i + "-名";
      if (m.gone) {
        assertTrue(catalog.find(PROJECT, id).isEmpty(), where);
        continue;
      }
      clock.now = clock.now.plusMillis(random.nextInt(3));
      String name = NAMES.get(random.nextInt(NAMES.size()));
      int percent = random.nextInt(110) - 3;
      Transition t = name.equals("progress") ? Transition.reportProgress(percent) : transitionNamed(name);
      List<String> allowed = documentedAllowed(m.status, types[i]);
      Backup before = catalog.get(PROJECT, id);
      if (!allowed.contains(name)) {
        assertThrows(IllegalTransitionException.class, () -> catalog.apply(PROJECT, id, m.version, t), where + " " + t);
        assertEquals(before, catalog.get(PROJECT, id), where);
      } else if (name.equals("progress") && (percent < m.percent || percent > 100)) {
        assertThrows(InvalidValueException.class, () -> catalog.apply(PROJECT, id, m.version, t), where + " " + t);
        assertEquals(before, catalog.get(PROJECT, id), where);
      } else {
        Optional<Backup> after = catalog.apply(PROJECT, id, m.version, t);
        switch (name) {
          case "restore":
          case "instant restore":
            m.status = BackupStatus.RESTORING;
            m.percent = 0;
            m.version++;
            break;
          case "delete":
            m.status = BackupStatus.DELETING;
            m.percent = 0;
            m.version++;
            break;
          case "progress":
            if (percent != m.percent) {
              m.version++;
              m.percent = percent;
            }
            break;
          case "complete":
            if (m.status == BackupStatus.DELETING) {
              m.gone = true;
            } else {
              m.status = BackupStatus.AVAILABLE;
              m.percent = -1;
              m.failedJob = Optional.empty();
              m.version++;
            }
            break;
          default:
            m.failedJob = m.status.job();
            m.status = BackupStatus.ERROR;
            m.percent = -1;
            m.version++;
        }
        if (!(name.equals("progress") && before.version() == m.version)) {
          sequence++;
        }
        if (m.gone) {
          assertTrue(after.isEmpty(), where);
          assertTrue(catalog.find(PROJECT, id).isEmpty(), where);
        } else {
          Backup a = after.orElseThrow();
          assertEquals(m.status, a.status(), where);
          assertEquals(m.version, a.version(), where);
          assertEquals(m.percent < 0 ? Optional.empty() : Optional.of(m.percent),
              a.progress().map(Progress::percent), where);
          if (m.status == BackupStatus.ERROR) {
            assertEquals(m.failedJob, a.failure().map(Failure::job), where);
          }
          if (a.version() != before.version()) {
            assertEquals(clock.now, a.updatedAt(), where);
          }
          assertEquals(a, catalog.get(PROJECT, id), where);
          assertEquals(Optional.of(m.status), a.apiStatus().state(), where);
        }
      }
      assertEquals(sequence, catalog.sequence(PROJECT), where);
      // the stalled criterion agrees with the rule, at the boundary too (the clock moves by 0 to 2 ms)
      java.util.Set<String> expected = new java.util.TreeSet<>();
      for (int k = 0; k < n; k++) {
        Optional<Backup> kb = catalog.find(PROJECT, "walk-" + k + "-名");
        if (kb.isPresent() && rule.isStalled(kb.get(), clock.now)) {
          expected.add(kb.get().id());
        }
      }
      assertEquals(expected, new java.util.TreeSet<>(catalog.query(PROJECT,
          io.csbs.query.Query.where(io.csbs.query.Predicates.stalled())).ids()), where);
    }
    assertNotNull(catalog);
  }

  @Test
  void randomPureWalksNeverChangeTheirInput() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Backup b = available("pure", BackupType.ENHANCED);
    Instant now = T0;
    for (int step = 0; step < 300; step++) {
      String where = "seed " + seed + " step " + step;
      Backup copy = b.toBuilder().build();
      now = now.plusNanos(random.nextInt(2));
      String name = NAMES.get(random.nextInt(NAMES.size()));
      Transition t = name.equals("progress") ? Transition.reportProgress(random.nextInt(101)) : transitionNamed(name);
      try {
        Optional<Backup> next = t.applyTo(b, now);
        if (next.isEmpty()) {
          b = available("pure", BackupType.ENHANCED).toBuilder().updatedAt(now).build();
        } else {
          assertTrue(next.get().version() >= b.version(), where);
          b = next.get();
        }
      } catch (IllegalTransitionException | InvalidValueException e) {
        assertTrue(e instanceof CsbsError, where);
      }
      assertEquals(copy, copy.toBuilder().build(), where);
    }
    if (b == null) {
      fail("unreachable");
    }
  }

  // ---------------------------------------------------------------- more of the docs' words

  @Test
  void theJavadocSetsPrintAsShown() {
    assertEquals("[delete]", BackupStatus.ERROR.allowedOperations(BackupType.ENHANCED).toString());
    assertEquals("[restore, instant restore, delete]",
        BackupStatus.AVAILABLE.allowedOperations(BackupType.ENHANCED).toString());
    assertEquals("[restore, delete]", BackupStatus.AVAILABLE.allowedOperations(BackupType.COMMON).toString());
    assertEquals("[]", BackupStatus.RESTORING.allowedOperations(BackupType.ENHANCED).toString());
    assertEquals(Optional.of(ErrorCode.BACKUP_BUSY), ErrorCode.ofCode("CSBS.2003"));
    assertEquals(Optional.of(ErrorCode.TRANSITION_NOT_ALLOWED), ErrorCode.ofCode(ErrorCode.TRANSITION_NOT_ALLOWED.code()));
  }

  @Test
  void aRefusalSurvivesSerialization() throws Exception {
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> Lifecycle.delete(inState(BackupStatus.DELETING, BackupType.COMMON), T0));
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(e);
    }
    try (java.io.ObjectInputStream in =
        new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      IllegalTransitionException back = (IllegalTransitionException) in.readObject();
      assertEquals(e.getMessage(), back.getMessage());
      assertEquals(e.allowed(), back.allowed());
      assertEquals(e.code(), back.code());
    }
  }

  @Test
  void allowedTransitionsIsUnmodifiableInEveryState() {
    for (BackupStatus s : BackupStatus.values()) {
      List<String> names = Lifecycle.allowedTransitions(inState(s, BackupType.ENHANCED));
      assertThrows(UnsupportedOperationException.class, () -> names.add("x"), s.name());
    }
  }

  @Test
  void stallRuleNamesANullBackupOrProgressTime() {
    assertEquals("backup", assertThrows(NullPointerException.class,
        () -> StallRule.DEFAULT.isStalled((Backup) null, T0)).getMessage());
    assertEquals("changedAt", assertThrows(NullPointerException.class,
        () -> StallRule.DEFAULT.isStalled((Instant) null, T0)).getMessage());
  }

  @Test
  void lookupsNameANullArgument() {
    assertEquals("state", assertThrows(NullPointerException.class, () -> ApiStatus.of(null)).getMessage());
    assertEquals("job", assertThrows(NullPointerException.class, () -> BackupStatus.of(null)).getMessage());
    assertEquals("backup", assertThrows(NullPointerException.class,
        () -> Lifecycle.allowedTransitions(null)).getMessage());
  }

  @Test
  void concurrentProgressReportsLoseNoUpdate() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(T0, ZoneOffset.UTC));
    Backup b = available("conc-ß", BackupType.COMMON);
    catalog.add(b);
    catalog.apply(PROJECT, b.id(), 1, Transition.restore());
    List<Change> changes = java.util.Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(changes::add);
    java.util.concurrent.atomic.AtomicInteger wins = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger conflicts = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
    try {
      List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        futures.add(pool.submit(() -> {
          while (true) {
            Backup now = catalog.get(PROJECT, b.id());
            int p = now.progress().orElseThrow().percent();
            if (p >= 100) {
              return null;
            }
            try {
              catalog.apply(PROJECT, b.id(), now.version(), Transition.reportProgress(p + 1));
              wins.incrementAndGet();
            } catch (VersionConflictException e) {
              conflicts.incrementAndGet();
            }
          }
        }));
      }
      for (java.util.concurrent.Future<?> f : futures) {
        f.get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Backup end = catalog.get(PROJECT, b.id());
    assertEquals(100, end.progress().orElseThrow().percent());
    assertEquals(100, wins.get(), "conflicts " + conflicts.get());
    assertEquals(2 + 100, end.version());
    assertEquals(2 + 100, catalog.sequence(PROJECT));
    assertEquals(100, changes.size());
    for (int i = 0; i < changes.size(); i++) {
      Change c = changes.get(i);
      assertEquals(3 + i, c.sequence());
      assertEquals(Optional.of(Transition.reportProgress(i + 1)), c.transition());
    }
  }

  @Test
  void aQueuedJobThroughTheCatalog() {
    HandClock clock = new HandClock(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Backup queued = base("queued-✓", BackupType.COMMON).status(BackupStatus.DELETING).apiStatus(ApiStatus.WAITING_DELETE)
        .progress(Progress.of(0, T0)).updatedAt(T0).build();
    catalog.add(queued);
    List<Change> changes = new ArrayList<>();
    catalog.subscribe(changes::add);
    assertEquals(List.of(queued.id()), catalog.query(PROJECT,
        io.csbs.query.Query.where(io.csbs.query.Predicates.status(BackupStatus.DELETING))).ids());
    clock.now = T0.plusSeconds(1);
    assertEquals(ApiStatus.WAITING_DELETE, catalog.apply(PROJECT, queued.id(), 1, Transition.reportProgress(0))
        .orElseThrow().apiStatus());
    assertTrue(changes.isEmpty());
    Backup running = catalog.apply(PROJECT, queued.id(), 1, Transition.reportProgress(1)).orElseThrow();
    assertEquals(ApiStatus.DELETING, running.apiStatus());
    assertEquals(ApiStatus.WAITING_DELETE, changes.get(0).before().orElseThrow().apiStatus());
    assertEquals(ApiStatus.DELETING, changes.get(0).after().orElseThrow().apiStatus());
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> catalog.apply(PROJECT, queued.id(), 2, Transition.delete()));
    assertEquals(ErrorCode.BACKUP_BUSY, e.code());
    assertTrue(e.getMessage().contains("(the backup is busy until its delete job ends)"), e.getMessage());
  }

  @Test
  void theApiStatusJavadocExamples() {
    assertEquals("Optional[Creating]", ApiStatus.parse("waiting_protect").state().toString());
    assertEquals(Optional.empty(), ApiStatus.parse("deleted").state());
    assertEquals("status", assertThrows(InvalidValueException.class, () -> ApiStatus.parse("paused")).field());
  }

  @Test
  void sameBackupIdInManyProjectsChangesOnlyItsOwn() {
    HandClock clock = new HandClock(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<String> projects = List.of("p-1", "p-Ω", "p-中文", "p-" + "z".repeat(60), "p_ünï");
    for (String p : projects) {
      catalog.add(Backup.builder().id("shared-id").name("partagée").projectId(p).server(SERVER)
          .type(BackupType.ENHANCED).sizeMb(1).createdAt(T0).status(BackupStatus.AVAILABLE).build());
    }
    clock.now = T0.plusSeconds(1);
    catalog.apply("p-中文", "shared-id", 1, Transition.instantRestore());
    catalog.apply("p-中文", "shared-id", 2, Transition.reportProgress(77));
    catalog.apply("p-Ω", "shared-id", 1, Transition.delete());
    catalog.apply("p-Ω", "shared-id", 2, Transition.complete());
    for (String p : projects) {
      switch (p) {
        case "p-中文":
          assertEquals(3, catalog.sequence(p));
          assertEquals(77, catalog.get(p, "shared-id").progress().orElseThrow().percent());
          break;
        case "p-Ω":
          assertEquals(3, catalog.sequence(p));
          assertTrue(catalog.find(p, "shared-id").isEmpty());
          break;
        default:
          assertEquals(1, catalog.sequence(p), p);
          assertEquals(BackupStatus.AVAILABLE, catalog.get(p, "shared-id").status(), p);
          assertEquals(1, catalog.get(p, "shared-id").version(), p);
      }
    }
    assertThrows(BackupNotFoundException.class, () -> catalog.apply("p-nobody", "shared-id", 1, Transition.restore()));
  }

  @Test
  void theLifecycleTransitionAndStallRuleJavadocExamples() {
    Backup available = available("doc-ex", BackupType.COMMON);
    Instant now = T0;
    Backup restoring = Lifecycle.restore(available, now);
    Backup halfway = Lifecycle.reportProgress(restoring, 50, now.plusSeconds(30));
    Backup done = Lifecycle.complete(halfway, now.plusSeconds(60)).orElseThrow();
    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(List.of(1L, 2L, 3L, 4L), List.of(available.version(), restoring.version(), halfway.version(),
        done.version()));
    assertEquals(List.of(T0.minusSeconds(3600), now, now.plusSeconds(30), now.plusSeconds(60)),
        List.of(available.updatedAt(), restoring.updatedAt(), halfway.updatedAt(), done.updatedAt()));

    Transition t = Transition.reportProgress(40);
    Optional<Backup> next = t.applyTo(restoring, now);
    assertEquals(40, next.orElseThrow().progress().orElseThrow().percent());
    assertEquals("progress 40%", t.toString());
    assertEquals(BackupStatus.RESTORING, restoring.status());   // never changed

    StallRule rule = StallRule.ofThreshold(Duration.ofMinutes(10));
    assertFalse(rule.isStalled(halfway, Clock.fixed(now.plusSeconds(30 + 600), ZoneOffset.UTC)));
    assertTrue(rule.isStalled(halfway, Clock.fixed(now.plusSeconds(30 + 601), ZoneOffset.UTC)));
    assertEquals("PT30M", StallRule.DEFAULT.threshold().toString());
  }
}
