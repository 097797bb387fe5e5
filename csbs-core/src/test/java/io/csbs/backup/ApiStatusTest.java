package io.csbs.backup;

import static io.csbs.backup.TestBackups.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ApiStatusTest {

  @Test
  void hasExactlyTheNineRawStatuses() {
    assertEquals(9, ApiStatus.values().length);
  }

  @ParameterizedTest
  @CsvSource({
      "waiting_protect, CREATING",
      "protecting, CREATING",
      "waiting_restore, RESTORING",
      "restoring, RESTORING",
      "waiting_delete, DELETING",
      "deleting, DELETING",
      "available, AVAILABLE",
      "error, ERROR"
  })
  void mapsRawStatusToState(String raw, BackupStatus state) {
    assertEquals(Optional.of(state), ApiStatus.parse(raw).state());
  }

  @Test
  void deletedMapsToNoState() {
    assertEquals(ApiStatus.DELETED, ApiStatus.parse("deleted"));
    assertEquals(Optional.empty(), ApiStatus.parse("deleted").state());
  }

  @ParameterizedTest
  @EnumSource(ApiStatus.class)
  void parsesItsOwnApiName(ApiStatus status) {
    assertEquals(status, ApiStatus.parse(status.apiName()));
    assertEquals(status.apiName(), status.toString());
  }

  @Test
  void apiNameIsLowerCaseWithUnderscores() {
    assertEquals("waiting_protect", ApiStatus.WAITING_PROTECT.apiName());
  }

  @Test
  void refusesUnknownStatusNamingStatus() {
    InvalidValueException e = assertInvalid("status", "must be one of", () -> ApiStatus.parse("paused"));

    assertTrue(e.rule().contains("waiting_protect") && e.rule().contains("deleted"), e.rule());
  }

  @Test
  void refusesEmptyStatus() {
    assertInvalid("status", "must be one of", () -> ApiStatus.parse(""));
  }

  @Test
  void refusesStatusNotWrittenInLowerCase() {
    assertInvalid("status", "must be one of", () -> ApiStatus.parse("Available"));
  }

  @Test
  void refusesConsoleOnlyFilterAllStatuses() {
    assertInvalid("status", "must be one of", () -> ApiStatus.parse("all"));
  }

  @Test
  void ofStateGivesTheRunningRawStatus() {
    assertEquals(ApiStatus.AVAILABLE, ApiStatus.of(BackupStatus.AVAILABLE));
    assertEquals(ApiStatus.PROTECTING, ApiStatus.of(BackupStatus.CREATING));
    assertEquals(ApiStatus.RESTORING, ApiStatus.of(BackupStatus.RESTORING));
    assertEquals(ApiStatus.DELETING, ApiStatus.of(BackupStatus.DELETING));
    assertEquals(ApiStatus.ERROR, ApiStatus.of(BackupStatus.ERROR));
  }

  @ParameterizedTest
  @EnumSource(BackupStatus.class)
  void ofStateMapsBackToTheSameState(BackupStatus state) {
    assertEquals(Optional.of(state), ApiStatus.of(state).state());
  }
}
