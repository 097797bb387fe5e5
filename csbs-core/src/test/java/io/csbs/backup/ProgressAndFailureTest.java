package io.csbs.backup;

import static io.csbs.backup.TestBackups.CREATED;
import static io.csbs.backup.TestBackups.assertInvalid;
import static io.csbs.backup.TestBackups.available;
import static io.csbs.backup.TestBackups.creating;
import static io.csbs.backup.TestBackups.error;
import static io.csbs.backup.TestBackups.repeat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ProgressAndFailureTest {
  private static final Instant T = Instant.parse("2026-11-24T10:15:00Z");

  // ---- Progress

  @Test
  void progressKeepsPercentAndChangeTime() {
    Progress progress = Progress.of(40, T);

    assertEquals(40, progress.percent());
    assertEquals(T, progress.changedAt());
  }

  @Test
  void progressAccepts0And100() {
    assertEquals(0, Progress.of(0, T).percent());
    assertEquals(100, Progress.of(100, T).percent());
  }

  @Test
  void rejectsNegativeProgress() {
    assertInvalid("progress", "0 to 100", () -> Progress.of(-1, T));
  }

  @Test
  void rejectsProgressAbove100() {
    assertInvalid("progress", "0 to 100", () -> Progress.of(101, T));
  }

  @Test
  void progressesWithEqualValuesAreEqual() {
    assertEquals(Progress.of(40, T), Progress.of(40, T));
    assertEquals(Progress.of(40, T).hashCode(), Progress.of(40, T).hashCode());
    assertNotEquals(Progress.of(40, T), Progress.of(41, T));
    assertNotEquals(Progress.of(40, T), Progress.of(40, T.plusSeconds(1)));
  }

  @Test
  void progressToStringShowsPercentAndTime() {
    assertEquals("40% since 2026-11-24T10:15:00Z", Progress.of(40, T).toString());
  }

  // ---- Failure

  @Test
  void failureKeepsJobReasonAndTime() {
    Failure failure = Failure.of(JobType.RESTORE, "target disk detached", T);

    assertEquals(JobType.RESTORE, failure.job());
    assertEquals("target disk detached", failure.reason());
    assertEquals(T, failure.failedAt());
  }

  @Test
  void rejectsEmptyFailureReason() {
    assertInvalid("failure reason", "non-blank", () -> Failure.of(JobType.BACKUP, "", T));
  }

  @Test
  void rejectsBlankFailureReason() {
    assertInvalid("failure reason", "non-blank", () -> Failure.of(JobType.BACKUP, " \t ", T));
  }

  @Test
  void acceptsFailureReasonOf1024Chars() {
    assertEquals(1024, Failure.of(JobType.BACKUP, repeat('r', 1024), T).reason().length());
  }

  @Test
  void rejectsFailureReasonLongerThan1024Chars() {
    assertInvalid("failure reason", "at most 1024", () -> Failure.of(JobType.BACKUP, repeat('r', 1025), T));
  }

  @Test
  void failuresWithEqualValuesAreEqual() {
    assertEquals(Failure.of(JobType.DELETE, "x", T), Failure.of(JobType.DELETE, "x", T));
    assertEquals(Failure.of(JobType.DELETE, "x", T).hashCode(), Failure.of(JobType.DELETE, "x", T).hashCode());
    assertNotEquals(Failure.of(JobType.DELETE, "x", T), Failure.of(JobType.BACKUP, "x", T));
  }

  @Test
  void failureToStringShowsJobTimeAndReason() {
    assertEquals("restore failed at 2026-11-24T10:15:00Z: target disk detached",
        Failure.of(JobType.RESTORE, "target disk detached", T).toString());
  }

  // ---- progress on a backup

  @ParameterizedTest
  @EnumSource(value = BackupStatus.class, names = {"CREATING", "RESTORING", "DELETING"})
  void acceptsProgressInAnIntermediateState(BackupStatus status) {
    Backup backup = available().status(status).progress(Progress.of(30, CREATED)).build();

    assertEquals(Optional.of(Progress.of(30, CREATED)), backup.progress());
  }

  @ParameterizedTest
  @EnumSource(value = BackupStatus.class, names = {"CREATING", "RESTORING", "DELETING"})
  void requiresProgressInAnIntermediateState(BackupStatus status) {
    assertInvalid("progress", "is required while " + status, () -> available().status(status).build());
  }

  @Test
  void rejectsProgressOnAnAvailableBackup() {
    assertInvalid("progress", "only allowed in an intermediate state",
        () -> available().progress(Progress.of(100, CREATED)).build());
  }

  @Test
  void rejectsProgressOnAnErrorBackup() {
    assertInvalid("progress", "only allowed in an intermediate state",
        () -> error().progress(Progress.of(10, CREATED)).build());
  }

  // ---- failure on a backup

  @Test
  void acceptsFailureInError() {
    assertEquals(JobType.BACKUP, error().build().failure().orElseThrow().job());
  }

  @Test
  void requiresFailureInError() {
    assertInvalid("failure", "required in state Error", () -> available().status(BackupStatus.ERROR).build());
  }

  @Test
  void rejectsFailureOnAnAvailableBackup() {
    assertInvalid("failure", "only kept in Error",
        () -> available().failure(Failure.of(JobType.RESTORE, "x", CREATED)).build());
  }

  @Test
  void rejectsFailureOnACreatingBackup() {
    assertInvalid("failure", "only kept in Error",
        () -> creating().failure(Failure.of(JobType.BACKUP, "x", CREATED)).build());
  }

  @Test
  void rejectsFailureOnARestoringBackup() {
    assertInvalid("failure", "only kept in Error",
        () -> available().status(BackupStatus.RESTORING).progress(Progress.of(0, CREATED))
            .failure(Failure.of(JobType.RESTORE, "x", CREATED)).build());
  }

  @Test
  void keepsFailureWhileAnErrorBackupIsDeleted() {
    Failure failure = Failure.of(JobType.BACKUP, "disk full", CREATED);
    Backup deleting = available().status(BackupStatus.DELETING).progress(Progress.of(0, CREATED))
        .failure(failure).build();

    assertEquals(Optional.of(failure), deleting.failure());
  }
}
