package io.csbs.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BackupStatusTest {

  @Test
  void hasExactlyTheFiveStates() {
    assertEquals(5, BackupStatus.values().length);
  }

  @ParameterizedTest
  @EnumSource(value = BackupStatus.class, names = {"AVAILABLE", "ERROR"})
  void availableAndErrorAreStable(BackupStatus status) {
    assertTrue(status.isStable());
    assertFalse(status.isIntermediate());
    assertEquals(Optional.empty(), status.job());
  }

  @ParameterizedTest
  @EnumSource(value = BackupStatus.class, names = {"CREATING", "RESTORING", "DELETING"})
  void creatingRestoringAndDeletingAreIntermediate(BackupStatus status) {
    assertTrue(status.isIntermediate());
    assertFalse(status.isStable());
  }

  @Test
  void eachIntermediateStateRunsItsJob() {
    assertEquals(Optional.of(JobType.BACKUP), BackupStatus.CREATING.job());
    assertEquals(Optional.of(JobType.RESTORE), BackupStatus.RESTORING.job());
    assertEquals(Optional.of(JobType.DELETE), BackupStatus.DELETING.job());
  }

  @Test
  void ofJobTypeGivesTheIntermediateStateOfTheJob() {
    assertEquals(BackupStatus.CREATING, BackupStatus.of(JobType.BACKUP));
    assertEquals(BackupStatus.RESTORING, BackupStatus.of(JobType.RESTORE));
    assertEquals(BackupStatus.DELETING, BackupStatus.of(JobType.DELETE));
  }

  @ParameterizedTest
  @EnumSource(JobType.class)
  void ofJobTypeIsTheInverseOfJob(JobType job) {
    assertEquals(Optional.of(job), BackupStatus.of(job).job());
  }

  @Test
  void availableCommonBackupAllowsRestoreAndDelete() {
    assertEquals(Set.of(Operation.RESTORE, Operation.DELETE), BackupStatus.AVAILABLE.allowedOperations(BackupType.COMMON));
  }

  @Test
  void availableEnhancedBackupAllowsRestoreInstantRestoreAndDelete() {
    assertEquals(Set.of(Operation.RESTORE, Operation.INSTANT_RESTORE, Operation.DELETE),
        BackupStatus.AVAILABLE.allowedOperations(BackupType.ENHANCED));
  }

  @Test
  void allowedOperationsAreInOperationOrder() {
    assertEquals(List.of(Operation.RESTORE, Operation.INSTANT_RESTORE, Operation.DELETE),
        List.copyOf(BackupStatus.AVAILABLE.allowedOperations(BackupType.ENHANCED)));
  }

  @ParameterizedTest
  @EnumSource(BackupType.class)
  void errorBackupAllowsOnlyDelete(BackupType type) {
    assertEquals(Set.of(Operation.DELETE), BackupStatus.ERROR.allowedOperations(type));
  }

  @ParameterizedTest
  @EnumSource(BackupType.class)
  void intermediateStatesAllowNoOperation(BackupType type) {
    assertEquals(Set.of(), BackupStatus.CREATING.allowedOperations(type));
    assertEquals(Set.of(), BackupStatus.RESTORING.allowedOperations(type));
    assertEquals(Set.of(), BackupStatus.DELETING.allowedOperations(type));
  }

  @Test
  void instantRestoreIsAllowedOnlyOnAnAvailableEnhancedBackup() {
    for (BackupStatus status : BackupStatus.values()) {
      for (BackupType type : BackupType.values()) {
        boolean expected = status == BackupStatus.AVAILABLE && type == BackupType.ENHANCED;
        assertEquals(expected, status.allowedOperations(type).contains(Operation.INSTANT_RESTORE), status + " " + type);
      }
    }
  }

  @Test
  void allowedOperationsCannotBeModified() {
    assertThrows(UnsupportedOperationException.class,
        () -> BackupStatus.AVAILABLE.allowedOperations(BackupType.COMMON).add(Operation.INSTANT_RESTORE));
    assertThrows(UnsupportedOperationException.class,
        () -> BackupStatus.CREATING.allowedOperations(BackupType.COMMON).add(Operation.DELETE));
  }

  @Test
  void toStringIsTheConsoleName() {
    assertEquals("Available", BackupStatus.AVAILABLE.toString());
    assertEquals("Creating", BackupStatus.CREATING.toString());
    assertEquals("Restoring", BackupStatus.RESTORING.toString());
    assertEquals("Deleting", BackupStatus.DELETING.toString());
    assertEquals("Error", BackupStatus.ERROR.toString());
  }

  @Test
  void onlyEnhancedBackupsSupportInstantRestore() {
    assertTrue(BackupType.ENHANCED.supportsInstantRestore());
    assertFalse(BackupType.COMMON.supportsInstantRestore());
  }

  @Test
  void operationsStartTheirJobsAndReadAsTheConsoleNamesThem() {
    assertEquals(JobType.RESTORE, Operation.RESTORE.job());
    assertEquals(JobType.RESTORE, Operation.INSTANT_RESTORE.job());
    assertEquals(JobType.DELETE, Operation.DELETE.job());
    assertEquals("restore", Operation.RESTORE.toString());
    assertEquals("instant restore", Operation.INSTANT_RESTORE.toString());
    assertEquals("delete", Operation.DELETE.toString());
  }
}
