package io.csbs.lifecycle;

import static io.csbs.lifecycle.TestBackups.NOW;
import static io.csbs.lifecycle.TestBackups.available;
import static io.csbs.lifecycle.TestBackups.availableEnhanced;
import static io.csbs.lifecycle.TestBackups.creating;
import static io.csbs.lifecycle.TestBackups.deleting;
import static io.csbs.lifecycle.TestBackups.error;
import static io.csbs.lifecycle.TestBackups.restoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Operation;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TransitionTest {

  // ---- factories and value semantics

  @Test
  void startFactoriesCarryTheirOperation() {
    assertEquals(Operation.RESTORE, ((Transition.Start) Transition.restore()).operation());
    assertEquals(Operation.INSTANT_RESTORE, ((Transition.Start) Transition.instantRestore()).operation());
    assertEquals(Operation.DELETE, ((Transition.Start) Transition.delete()).operation());
  }

  @ParameterizedTest
  @EnumSource(Operation.class)
  void startOfAnOperationEqualsItsNamedFactory(Operation operation) {
    Transition started = Transition.start(operation);

    assertEquals(operation, ((Transition.Start) started).operation());
    assertEquals(started, Transition.start(operation));
  }

  @Test
  void startOfEachOperationIsTheNamedFactorysValue() {
    assertEquals(Transition.restore(), Transition.start(Operation.RESTORE));
    assertEquals(Transition.instantRestore(), Transition.start(Operation.INSTANT_RESTORE));
    assertEquals(Transition.delete(), Transition.start(Operation.DELETE));
    assertNotEquals(Transition.restore(), Transition.instantRestore());
  }

  @Test
  void progressReportsOfEqualPercentAreEqual() {
    assertEquals(Transition.reportProgress(40), Transition.reportProgress(40));
    assertEquals(Transition.reportProgress(40).hashCode(), Transition.reportProgress(40).hashCode());
    assertNotEquals(Transition.reportProgress(40), Transition.reportProgress(41));
    assertEquals(40, ((Transition.ReportProgress) Transition.reportProgress(40)).percent());
  }

  @Test
  void completeIsOneValue() {
    assertInstanceOf(Transition.Complete.class, Transition.complete());
    assertEquals(Transition.complete(), Transition.complete());
  }

  @Test
  void failuresOfEqualReasonAreEqual() {
    assertEquals(Transition.fail("disk full"), Transition.fail("disk full"));
    assertEquals(Transition.fail("disk full").hashCode(), Transition.fail("disk full").hashCode());
    assertNotEquals(Transition.fail("disk full"), Transition.fail("timeout"));
    assertEquals("disk full", ((Transition.Fail) Transition.fail("disk full")).reason());
  }

  @Test
  void failRefusesAMissingReason() {
    assertThrows(NullPointerException.class, () -> Transition.fail(null));
  }

  @Test
  void transitionsOfDifferentKindsAreNotEqual() {
    assertNotEquals(Transition.complete(), Transition.reportProgress(100));
    assertNotEquals(Transition.delete(), Transition.fail("delete"));
  }

  @Test
  void toStringNamesTheTransition() {
    assertEquals("restore", Transition.restore().toString());
    assertEquals("instant restore", Transition.instantRestore().toString());
    assertEquals("delete", Transition.delete().toString());
    assertEquals("progress 40%", Transition.reportProgress(40).toString());
    assertEquals("complete", Transition.complete().toString());
    assertEquals("fail: disk full", Transition.fail("disk full").toString());
  }

  // ---- applyTo delegates to the lifecycle

  @Test
  void restoreAppliesLifecycleRestore() {
    assertEquals(Optional.of(Lifecycle.restore(available(), NOW)), Transition.restore().applyTo(available(), NOW));
  }

  @Test
  void instantRestoreAppliesLifecycleInstantRestore() {
    assertEquals(Optional.of(Lifecycle.instantRestore(availableEnhanced(), NOW)),
        Transition.instantRestore().applyTo(availableEnhanced(), NOW));
  }

  @Test
  void deleteAppliesLifecycleDelete() {
    assertEquals(Optional.of(Lifecycle.delete(error(), NOW)), Transition.delete().applyTo(error(), NOW));
  }

  @Test
  void reportProgressAppliesLifecycleReportProgress() {
    assertEquals(Optional.of(Lifecycle.reportProgress(creating(20), 60, NOW)),
        Transition.reportProgress(60).applyTo(creating(20), NOW));
  }

  @Test
  void sameProgressAppliedReturnsTheSameBackup() {
    Backup backup = creating(20);

    assertSame(backup, Transition.reportProgress(20).applyTo(backup, NOW).orElseThrow());
  }

  @Test
  void completeAppliesLifecycleComplete() {
    Optional<Backup> next = Transition.complete().applyTo(restoring(), NOW);

    assertEquals(Lifecycle.complete(restoring(), NOW), next);
    assertEquals(BackupStatus.AVAILABLE, next.orElseThrow().status());
  }

  @Test
  void completeOfABackupJobAppliesLifecycleComplete() {
    assertEquals(Lifecycle.complete(creating(), NOW), Transition.complete().applyTo(creating(), NOW));
  }

  @Test
  void completeOfADeletionAppliesToNothing() {
    assertEquals(Optional.empty(), Transition.complete().applyTo(deleting(), NOW));
  }

  @Test
  void failAppliesLifecycleFail() {
    assertEquals(Optional.of(Lifecycle.fail(restoring(), "disk full", NOW)),
        Transition.fail("disk full").applyTo(restoring(), NOW));
  }

  @Test
  void applyToRefusesWhatTheLifecycleRefuses() {
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> Transition.restore().applyTo(creating(), NOW));

    assertEquals("restore", e.attempted());
    assertEquals(BackupStatus.CREATING, e.status());
  }

  @Test
  void applyToRefusesInvalidValuesOfTheTransition() {
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> Transition.reportProgress(10).applyTo(creating(20), NOW));

    assertEquals("progress", e.field());
  }

  @Test
  void applyToNeverChangesTheBackup() {
    Backup backup = restoring();

    Transition.fail("disk full").applyTo(backup, NOW);

    assertEquals(restoring(), backup);
  }
}
