package io.csbs.lifecycle;

import static io.csbs.lifecycle.TestBackups.BACKUP_FAILURE;
import static io.csbs.lifecycle.TestBackups.FINISHED;
import static io.csbs.lifecycle.TestBackups.LAST_CHANGE;
import static io.csbs.lifecycle.TestBackups.NOW;
import static io.csbs.lifecycle.TestBackups.assertInvalid;
import static io.csbs.lifecycle.TestBackups.assertRefused;
import static io.csbs.lifecycle.TestBackups.available;
import static io.csbs.lifecycle.TestBackups.availableEnhanced;
import static io.csbs.lifecycle.TestBackups.creating;
import static io.csbs.lifecycle.TestBackups.deleting;
import static io.csbs.lifecycle.TestBackups.deletingAfterError;
import static io.csbs.lifecycle.TestBackups.error;
import static io.csbs.lifecycle.TestBackups.restoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Operation;
import io.csbs.backup.Progress;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LifecycleTest {

  // ---- allowed transitions

  @Test
  void restoreMakesAnAvailableBackupRestoringWithProgress0() {
    Backup next = Lifecycle.restore(available(), NOW);

    assertEquals(BackupStatus.RESTORING, next.status());
    assertEquals(Optional.of(Progress.of(0, NOW)), next.progress());
    assertEquals(Optional.empty(), next.failure());
  }

  @Test
  void instantRestoreMakesAnAvailableEnhancedBackupRestoring() {
    Backup next = Lifecycle.instantRestore(availableEnhanced(), NOW);

    assertEquals(BackupStatus.RESTORING, next.status());
    assertEquals(BackupType.ENHANCED, next.type());
    assertEquals(Optional.of(Progress.of(0, NOW)), next.progress());
  }

  @Test
  void completeOfACreatingBackupMakesItAvailableSetsFinishedAtAndClearsProgress() {
    Backup next = Lifecycle.complete(creating(80), NOW).orElseThrow();

    assertEquals(BackupStatus.AVAILABLE, next.status());
    assertEquals(Optional.of(NOW), next.finishedAt());
    assertEquals(Optional.empty(), next.progress());
    assertEquals(Optional.empty(), next.failure());
  }

  @Test
  void failOfACreatingBackupMakesItErrorWithABackupFailureAndSetsFinishedAt() {
    Backup next = Lifecycle.fail(creating(80), "disk full", NOW);

    assertEquals(BackupStatus.ERROR, next.status());
    assertEquals(Optional.of(Failure.of(JobType.BACKUP, "disk full", NOW)), next.failure());
    assertEquals(Optional.empty(), next.progress());
    assertEquals(Optional.of(NOW), next.finishedAt());
  }

  @Test
  void aFullBackupJobEndsAvailable() {
    Backup halfway = Lifecycle.reportProgress(creating(0), 50, NOW);
    Backup done = Lifecycle.complete(halfway, NOW.plusSeconds(60)).orElseThrow();

    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(Optional.of(NOW.plusSeconds(60)), done.finishedAt());
    assertEquals(creating(0).version() + 2, done.version());
  }

  @Test
  void restoreOfAnEnhancedBackupIsAlsoAllowed() {
    assertEquals(BackupStatus.RESTORING, Lifecycle.restore(availableEnhanced(), NOW).status());
  }

  @Test
  void completeOfARestoringBackupMakesItAvailableWithoutProgressAndKeepsFinishedAt() {
    Backup next = Lifecycle.complete(restoring(), NOW).orElseThrow();

    assertEquals(BackupStatus.AVAILABLE, next.status());
    assertEquals(Optional.empty(), next.progress());
    assertEquals(Optional.of(FINISHED), next.finishedAt());
    assertEquals(Optional.empty(), next.failure());
  }

  @Test
  void failOfARestoringBackupMakesItErrorWithARestoreFailure() {
    Backup next = Lifecycle.fail(restoring(), "target disk detached", NOW);

    assertEquals(BackupStatus.ERROR, next.status());
    assertEquals(Optional.of(Failure.of(JobType.RESTORE, "target disk detached", NOW)), next.failure());
    assertEquals(Optional.empty(), next.progress());
    assertEquals(Optional.of(FINISHED), next.finishedAt());
  }

  @Test
  void deleteMakesAnAvailableBackupDeletingWithProgress0() {
    Backup next = Lifecycle.delete(available(), NOW);

    assertEquals(BackupStatus.DELETING, next.status());
    assertEquals(Optional.of(Progress.of(0, NOW)), next.progress());
    assertEquals(Optional.empty(), next.failure());
  }

  @Test
  void deleteMakesAnErrorBackupDeletingAndKeepsItsFailure() {
    Backup next = Lifecycle.delete(error(), NOW);

    assertEquals(BackupStatus.DELETING, next.status());
    assertEquals(Optional.of(Progress.of(0, NOW)), next.progress());
    assertEquals(Optional.of(BACKUP_FAILURE), next.failure());
  }

  @Test
  void progressOfDeletingAFormerErrorBackupKeepsItsFailure() {
    Backup next = Lifecycle.reportProgress(Lifecycle.delete(error(), NOW), 40, NOW.plusSeconds(5));

    assertEquals(Optional.of(Progress.of(40, NOW.plusSeconds(5))), next.progress());
    assertEquals(Optional.of(BACKUP_FAILURE), next.failure());
  }

  @Test
  void completeOfADeletingBackupMeansTheBackupIsGone() {
    assertEquals(Optional.empty(), Lifecycle.complete(deleting(), NOW));
  }

  @Test
  void completeOfADeletingFormerErrorBackupMeansTheBackupIsGone() {
    assertEquals(Optional.empty(), Lifecycle.complete(deletingAfterError(), NOW));
  }

  @Test
  void failOfADeletingBackupMakesItErrorWithADeleteFailure() {
    Backup next = Lifecycle.fail(deleting(), "volume busy", NOW);

    assertEquals(BackupStatus.ERROR, next.status());
    assertEquals(Optional.of(Failure.of(JobType.DELETE, "volume busy", NOW)), next.failure());
    assertEquals(Optional.empty(), next.progress());
  }

  @Test
  void failOfDeletingAFormerErrorBackupReplacesItsFailureWithTheDeleteFailure() {
    Backup next = Lifecycle.fail(deletingAfterError(), "volume busy", NOW);

    assertEquals(BackupStatus.ERROR, next.status());
    assertEquals(Optional.of(Failure.of(JobType.DELETE, "volume busy", NOW)), next.failure());
  }

  @Test
  void startWithAnOperationDoesWhatTheNamedFunctionDoes() {
    assertEquals(Lifecycle.restore(available(), NOW), Lifecycle.start(available(), Operation.RESTORE, NOW));
    assertEquals(Lifecycle.instantRestore(availableEnhanced(), NOW),
        Lifecycle.start(availableEnhanced(), Operation.INSTANT_RESTORE, NOW));
    assertEquals(Lifecycle.delete(error(), NOW), Lifecycle.start(error(), Operation.DELETE, NOW));
  }

  @Test
  void aFullRestoreCycleReturnsToAvailable() {
    Backup restoring = Lifecycle.restore(available(), NOW);
    Backup halfway = Lifecycle.reportProgress(restoring, 50, NOW.plusSeconds(30));
    Backup done = Lifecycle.complete(halfway, NOW.plusSeconds(60)).orElseThrow();

    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(available().version() + 3, done.version());
    assertEquals(NOW.plusSeconds(60), done.updatedAt());
  }

  @Test
  void keepsEveryFieldThatTheTransitionDoesNotSet() {
    Backup before = available();
    Backup next = Lifecycle.restore(before, NOW);

    assertEquals(before.id(), next.id());
    assertEquals(before.name(), next.name());
    assertEquals(before.description(), next.description());
    assertEquals(before.projectId(), next.projectId());
    assertEquals(before.server(), next.server());
    assertEquals(before.type(), next.type());
    assertEquals(before.trigger(), next.trigger());
    assertEquals(before.policyId(), next.policyId());
    assertEquals(before.sizeMb(), next.sizeMb());
    assertEquals(before.createdAt(), next.createdAt());
    assertEquals(before.finishedAt(), next.finishedAt());
    assertEquals(before.tags(), next.tags());
  }

  // ---- progress

  @Test
  void reportProgressRaisesTheProgressAndItsTime() {
    Backup next = Lifecycle.reportProgress(creating(20), 45, NOW);

    assertEquals(BackupStatus.CREATING, next.status());
    assertEquals(Optional.of(Progress.of(45, NOW)), next.progress());
  }

  @Test
  void reportProgressAccepts100WithoutEndingThePhase() {
    Backup next = Lifecycle.reportProgress(restoring(), 100, NOW);

    assertEquals(BackupStatus.RESTORING, next.status());
    assertEquals(100, next.progress().orElseThrow().percent());
  }

  @Test
  void sameProgressReturnsTheSameInstanceUnchanged() {
    Backup backup = creating(20);

    Backup next = Lifecycle.reportProgress(backup, 20, NOW);

    assertSame(backup, next);
    assertEquals(creating(20), next);
    assertEquals(LAST_CHANGE, next.progress().orElseThrow().changedAt());
  }

  @Test
  void refusesProgressThatGoesDown() {
    assertInvalid("progress", () -> Lifecycle.reportProgress(creating(20), 19, NOW));
  }

  @Test
  void refusesProgressAbove100() {
    var e = assertInvalid("progress", () -> Lifecycle.reportProgress(creating(20), 101, NOW));
    assertEquals("must be 20 to 100: a percentage", e.rule());   // not "never goes down": it did not
    var atTheEnd = assertInvalid("progress", () -> Lifecycle.reportProgress(Lifecycle.reportProgress(creating(20), 100, NOW), 99, NOW));
    assertEquals("must be 100: progress never goes down within a phase", atTheEnd.rule());
  }

  @Test
  void refusesNegativeProgress() {
    assertInvalid("progress", () -> Lifecycle.reportProgress(creating(0), -1, NOW));
  }

  @Test
  void messageOfAProgressThatGoesDownSaysWhatIsAccepted() {
    var e = assertInvalid("progress", () -> Lifecycle.reportProgress(deleting(), 5, NOW));

    assertTrue(e.rule().contains("20 to 100"), e.rule());
    assertTrue(e.rule().contains("never goes down"), e.rule());
  }

  // ---- version and time

  @Test
  void everyChangeIncrementsVersionAndSetsUpdatedAtToNow() {
    List<Supplier<Backup>> changes = List.of(
        () -> Lifecycle.restore(available(), NOW),
        () -> Lifecycle.instantRestore(availableEnhanced(), NOW),
        () -> Lifecycle.delete(available(), NOW),
        () -> Lifecycle.delete(error(), NOW),
        () -> Lifecycle.reportProgress(creating(20), 30, NOW),
        () -> Lifecycle.complete(creating(), NOW).orElseThrow(),
        () -> Lifecycle.complete(restoring(), NOW).orElseThrow(),
        () -> Lifecycle.fail(creating(), "boom", NOW),
        () -> Lifecycle.fail(restoring(), "boom", NOW),
        () -> Lifecycle.fail(deleting(), "boom", NOW));
    for (Supplier<Backup> change : changes) {
      Backup next = change.get();
      assertEquals(6, next.version(), next::toString);
      assertEquals(NOW, next.updatedAt(), next::toString);
    }
  }

  @Test
  void acceptsNowEqualToTheLastChange() {
    Backup next = Lifecycle.restore(available(), LAST_CHANGE);

    assertEquals(LAST_CHANGE, next.updatedAt());
    assertEquals(Optional.of(Progress.of(0, LAST_CHANGE)), next.progress());
  }

  @Test
  void refusesRestoreAtATimeBeforeTheLastChange() {
    assertInvalid("now", () -> Lifecycle.restore(available(), LAST_CHANGE.minusSeconds(1)));
  }

  @Test
  void refusesDeleteAtATimeBeforeTheLastChange() {
    assertInvalid("now", () -> Lifecycle.delete(error(), LAST_CHANGE.minusNanos(1)));
  }

  @Test
  void refusesProgressAtATimeBeforeTheLastChange() {
    assertInvalid("now", () -> Lifecycle.reportProgress(creating(20), 30, LAST_CHANGE.minusSeconds(1)));
  }

  @Test
  void refusesSameProgressAtATimeBeforeTheLastChange() {
    assertInvalid("now", () -> Lifecycle.reportProgress(creating(20), 20, LAST_CHANGE.minusSeconds(1)));
  }

  @Test
  void refusesCompleteAtATimeBeforeTheLastChange() {
    assertInvalid("now", () -> Lifecycle.complete(restoring(), LAST_CHANGE.minusSeconds(1)));
  }

  @Test
  void refusesFailAtATimeBeforeTheLastChange() {
    assertInvalid("now", () -> Lifecycle.fail(restoring(), "boom", LAST_CHANGE.minusSeconds(1)));
  }

  // ---- the input is never changed

  @Test
  void neverChangesTheInputBackup() {
    assertUnchanged(TestBackups::available, b -> Lifecycle.restore(b, NOW));
    assertUnchanged(TestBackups::availableEnhanced, b -> Lifecycle.instantRestore(b, NOW));
    assertUnchanged(TestBackups::error, b -> Lifecycle.delete(b, NOW));
    assertUnchanged(TestBackups::creating, b -> Lifecycle.reportProgress(b, 90, NOW));
    assertUnchanged(TestBackups::creating, b -> Lifecycle.complete(b, NOW));
    assertUnchanged(TestBackups::creating, b -> Lifecycle.fail(b, "boom", NOW));
    assertUnchanged(TestBackups::restoring, b -> Lifecycle.complete(b, NOW));
    assertUnchanged(TestBackups::deleting, b -> Lifecycle.complete(b, NOW));
    assertUnchanged(TestBackups::restoring, b -> Lifecycle.fail(b, "boom", NOW));
  }

  @Test
  void aRefusedTransitionLeavesTheInputBackupUnchanged() {
    Backup backup = error();

    assertThrows(IllegalTransitionException.class, () -> Lifecycle.restore(backup, NOW));
    assertEquals(error(), backup);
  }

  // ---- refused transitions

  @ParameterizedTest
  @EnumSource(value = Operation.class)
  void busyCreatingBackupRefusesEveryOperation(Operation operation) {
    IllegalTransitionException e = assertRefused(BackupStatus.CREATING, operation.toString(), "progress, complete, fail",
        () -> Lifecycle.start(creating(), operation, NOW));

    assertTrue(e.getMessage().contains("busy until its backup job ends"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(value = Operation.class)
  void busyRestoringBackupRefusesEveryOperation(Operation operation) {
    IllegalTransitionException e = assertRefused(BackupStatus.RESTORING, operation.toString(), "progress, complete, fail",
        () -> Lifecycle.start(restoring(BackupType.ENHANCED), operation, NOW));

    assertTrue(e.getMessage().contains("busy until its restore job ends"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(value = Operation.class)
  void busyDeletingBackupRefusesEveryOperation(Operation operation) {
    IllegalTransitionException e = assertRefused(BackupStatus.DELETING, operation.toString(), "progress, complete, fail",
        () -> Lifecycle.start(deleting(), operation, NOW));

    assertTrue(e.getMessage().contains("busy until its delete job ends"), e.getMessage());
  }

  @Test
  void refusesRestoreOfACreatingBackup() {
    assertRefused(BackupStatus.CREATING, "restore", "progress, complete, fail",
        () -> Lifecycle.restore(creating(), NOW));
  }

  @Test
  void refusesDeleteOfARestoringBackup() {
    assertRefused(BackupStatus.RESTORING, "delete", "progress, complete, fail",
        () -> Lifecycle.delete(restoring(), NOW));
  }

  @Test
  void refusesDeleteOfADeletingBackup() {
    assertRefused(BackupStatus.DELETING, "delete", "progress, complete, fail",
        () -> Lifecycle.delete(deleting(), NOW));
  }

  @Test
  void refusesRestoreOfAnErrorBackup() {
    assertRefused(BackupStatus.ERROR, "restore", "delete", () -> Lifecycle.restore(error(), NOW));
  }

  @Test
  void refusesInstantRestoreOfAnErrorEnhancedBackup() {
    assertRefused(BackupStatus.ERROR, "instant restore", "delete",
        () -> Lifecycle.instantRestore(error(BackupType.ENHANCED), NOW));
  }

  @Test
  void refusesInstantRestoreOfACommonBackupSayingOnlyEnhancedSupportIt() {
    IllegalTransitionException e = assertRefused(BackupStatus.AVAILABLE, "instant restore", "restore, delete",
        () -> Lifecycle.instantRestore(available(), NOW));

    assertTrue(e.getMessage().contains("enhanced"), e.getMessage());
  }

  @Test
  void refusesProgressOnAnAvailableBackup() {
    IllegalTransitionException e = assertRefused(BackupStatus.AVAILABLE, "progress", "restore, delete",
        () -> Lifecycle.reportProgress(available(), 10, NOW));

    assertTrue(e.getMessage().contains("no job is running"), e.getMessage());
  }

  @Test
  void refusesProgressOnAnErrorBackup() {
    assertRefused(BackupStatus.ERROR, "progress", "delete", () -> Lifecycle.reportProgress(error(), 10, NOW));
  }

  @Test
  void refusesCompleteOnAnAvailableBackup() {
    assertRefused(BackupStatus.AVAILABLE, "complete", "restore, instant restore, delete",
        () -> Lifecycle.complete(availableEnhanced(), NOW));
  }

  @Test
  void refusesCompleteOnAnErrorBackup() {
    assertRefused(BackupStatus.ERROR, "complete", "delete", () -> Lifecycle.complete(error(), NOW));
  }

  @Test
  void refusesFailOnAnAvailableBackup() {
    assertRefused(BackupStatus.AVAILABLE, "fail", "restore, delete", () -> Lifecycle.fail(available(), "boom", NOW));
  }

  @Test
  void refusesFailOnAnErrorBackup() {
    assertRefused(BackupStatus.ERROR, "fail", "delete", () -> Lifecycle.fail(error(), "boom", NOW));
  }

  @Test
  void refusesFailWithABlankReason() {
    assertInvalid("failure reason", () -> Lifecycle.fail(restoring(), "  ", NOW));
  }

  @Test
  void refusesFailWithAnEmptyReason() {
    assertInvalid("failure reason", () -> Lifecycle.fail(deleting(), "", NOW));
  }

  @Test
  void messageOfARefusedTransitionReadsAsASentence() {
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> Lifecycle.restore(error(), NOW));

    assertEquals("backup " + TestBackups.ID + " is Error: restore is refused; Error allows delete", e.getMessage());
  }

  // ---- allowed transitions by state

  @Test
  void allowedTransitionsFollowTheState() {
    assertEquals(List.of("restore", "delete"), Lifecycle.allowedTransitions(available()));
    assertEquals(List.of("restore", "instant restore", "delete"), Lifecycle.allowedTransitions(availableEnhanced()));
    assertEquals(List.of("delete"), Lifecycle.allowedTransitions(error()));
    assertEquals(List.of("progress", "complete", "fail"), Lifecycle.allowedTransitions(creating()));
    assertEquals(List.of("progress", "complete", "fail"), Lifecycle.allowedTransitions(restoring()));
    assertEquals(List.of("progress", "complete", "fail"), Lifecycle.allowedTransitions(deleting()));
  }

  private static void assertUnchanged(Supplier<Backup> fixture, java.util.function.Consumer<Backup> transition) {
    Backup backup = fixture.get();
    Backup copy = fixture.get();
    assertEquals(copy, backup);

    transition.accept(backup);

    assertEquals(copy, backup);
  }
}
