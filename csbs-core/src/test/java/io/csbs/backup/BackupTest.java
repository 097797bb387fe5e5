package io.csbs.backup;

import static io.csbs.backup.TestBackups.CREATED;
import static io.csbs.backup.TestBackups.SERVER;
import static io.csbs.backup.TestBackups.assertInvalid;
import static io.csbs.backup.TestBackups.available;
import static io.csbs.backup.TestBackups.repeat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackupTest {

  // ---- a valid backup and its defaults

  @Test
  void aRefusalRenamedKeepsItsValueAndRuleAndNamesTheNewField() {
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> Tag.of("env", "prod env"));
    InvalidValueException renamed = e.renamed("checkpoint_item.tags[1].value");
    assertEquals("checkpoint_item.tags[1].value", renamed.field());
    assertEquals(e.rule(), renamed.rule());
    assertEquals("checkpoint_item.tags[1].value 'prod env' is invalid: " + e.rule(), renamed.getMessage());
    assertSame(e, renamed.getCause());
    assertEquals(e.code(), renamed.code());
  }

  @Test
  void buildsAValidBackupWithTheGivenValues() {
    Backup backup = available().description("before upgrade").sizeMb(2048).build();

    assertEquals("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12", backup.id());
    assertEquals("manualbk_a61d", backup.name());
    assertEquals(Optional.of("before upgrade"), backup.description());
    assertEquals("project-1", backup.projectId());
    assertEquals(SERVER, backup.server());
    assertEquals(BackupStatus.AVAILABLE, backup.status());
    assertEquals(2048, backup.sizeMb());
    assertEquals(CREATED, backup.createdAt());
  }

  @Test
  void defaultsToACommonManualBackupAtVersion1WithoutOptionalFields() {
    Backup backup = available().build();

    assertEquals(BackupType.COMMON, backup.type());
    assertEquals(BackupTrigger.MANUAL, backup.trigger());
    assertEquals(1, backup.version());
    assertEquals(Optional.empty(), backup.description());
    assertEquals(Optional.empty(), backup.policyId());
    assertEquals(Optional.empty(), backup.progress());
    assertEquals(Optional.empty(), backup.finishedAt());
    assertEquals(Optional.empty(), backup.failure());
    assertTrue(backup.tags().isEmpty());
  }

  @Test
  void updatedAtDefaultsToCreatedAt() {
    Backup backup = available().createdAt(Instant.parse("2018-08-14T07:53:15.663766Z")).build();

    assertEquals(Instant.parse("2018-08-14T07:53:15.663766Z"), backup.updatedAt());
  }

  @Test
  void keepsAnExplicitUpdatedAt() {
    Instant later = CREATED.plusSeconds(90);

    assertEquals(later, available().updatedAt(later).build().updatedAt());
  }

  // ---- id

  @Test
  void acceptsIdOf64Chars() {
    assertEquals(repeat('a', 64), available().id(repeat('a', 64)).build().id());
  }

  @Test
  void rejectsEmptyId() {
    assertInvalid("id", "non-blank", () -> available().id("").build());
  }

  @Test
  void rejectsBlankId() {
    assertInvalid("id", "non-blank", () -> available().id("   ").build());
  }

  @Test
  void rejectsIdLongerThan64Chars() {
    assertInvalid("id", "at most 64", () -> available().id(repeat('a', 65)).build());
  }

  // ---- name

  @Test
  void acceptsNameOfLettersDigitsUnderscoreAndHyphen() {
    assertEquals("autobk_a61d-2", available().name("autobk_a61d-2").build().name());
  }

  @Test
  void acceptsNameOf255Chars() {
    assertEquals(255, available().name(repeat('n', 255)).build().name().length());
  }

  @Test
  void acceptsUnicodeLettersAndDigitsInName() {
    assertEquals("备份_Ünïcødé_١٢", available().name("备份_Ünïcødé_١٢").build().name());
  }

  @Test
  void acceptsLettersOutsideTheBasicPlaneInName() {
    String mathBoldA = new String(Character.toChars(0x1D400));

    assertEquals("bk_" + mathBoldA, available().name("bk_" + mathBoldA).build().name());
  }

  @Test
  void rejectsEmptyName() {
    assertInvalid("name", "1 to 255", () -> available().name("").build());
  }

  @Test
  void rejectsNameLongerThan255Chars() {
    assertInvalid("name", "1 to 255", () -> available().name(repeat('n', 256)).build());
  }

  @Test
  void rejectsNameWithASpace() {
    assertInvalid("name", "letters, digits, '_' or '-'", () -> available().name("my backup").build());
  }

  @Test
  void rejectsNameWithADot() {
    assertInvalid("name", "letters, digits, '_' or '-'", () -> available().name("backup.1").build());
  }

  @Test
  void rejectsNameWithASymbolOutsideTheBasicPlane() {
    String emoji = new String(Character.toChars(0x1F600));

    assertInvalid("name", "letters, digits", () -> available().name("bk_" + emoji).build());
  }

  @Test
  void messageOfARejectedNameShowsTheFieldTheValueAndTheRule() {
    InvalidValueException e = assertInvalid("name", "letters", () -> available().name("my backup").build());

    assertEquals("name 'my backup' is invalid: must be 1 to 255 letters, digits, '_' or '-'", e.getMessage());
  }

  // ---- description

  @Test
  void acceptsDescriptionOf255Chars() {
    assertEquals(Optional.of(repeat('d', 255)), available().description(repeat('d', 255)).build().description());
  }

  @Test
  void acceptsDescriptionWithSpacesAndPunctuation() {
    assertEquals(Optional.of("Before the upgrade, v2.1!"),
        available().description("Before the upgrade, v2.1!").build().description());
  }

  @Test
  void rejectsDescriptionLongerThan255Chars() {
    assertInvalid("description", "at most 255", () -> available().description(repeat('d', 256)).build());
  }

  // ---- project id

  @Test
  void rejectsBlankProjectId() {
    assertInvalid("project id", "non-blank", () -> available().projectId(" ").build());
  }

  @Test
  void rejectsEmptyProjectId() {
    assertInvalid("project id", "non-blank", () -> available().projectId("").build());
  }

  @Test
  void rejectsProjectIdLongerThan64Chars() {
    assertInvalid("project id", "at most 64", () -> available().projectId(repeat('p', 65)).build());
  }

  // ---- trigger and policy id

  @Test
  void acceptsPolicyIdOnAnAutomaticBackup() {
    Backup backup = available().name("autobk_a61d").trigger(BackupTrigger.AUTOMATIC).policyId("policy-daily").build();

    assertEquals(Optional.of("policy-daily"), backup.policyId());
    assertEquals(BackupTrigger.AUTOMATIC, backup.trigger());
  }

  @Test
  void acceptsAutomaticBackupWithoutPolicyId() {
    assertEquals(Optional.empty(), available().trigger(BackupTrigger.AUTOMATIC).build().policyId());
  }

  @Test
  void rejectsPolicyIdOnAManualBackup() {
    assertInvalid("policy id", "only allowed on automatic",
        () -> available().trigger(BackupTrigger.MANUAL).policyId("policy-daily").build());
  }

  @Test
  void rejectsPolicyIdOnABackupWithTheDefaultTrigger() {
    assertInvalid("policy id", "only allowed on automatic", () -> available().policyId("policy-daily").build());
  }

  @Test
  void rejectsBlankPolicyId() {
    assertInvalid("policy id", "non-blank",
        () -> available().trigger(BackupTrigger.AUTOMATIC).policyId(" ").build());
  }

  @Test
  void rejectsPolicyIdLongerThan64Chars() {
    assertInvalid("policy id", "at most 64",
        () -> available().trigger(BackupTrigger.AUTOMATIC).policyId(repeat('p', 65)).build());
  }

  // ---- size

  @Test
  void acceptsSizeZero() {
    assertEquals(0, available().sizeMb(0).build().sizeMb());
  }

  @Test
  void rejectsNegativeSize() {
    assertInvalid("size", "must be 0 to 1073741824 MB", () -> available().sizeMb(-1).build());
  }

  @Test
  void boundsTheSizeSoThatNoSumOfAProjectsSizesOverflows() {
    assertEquals(Backup.MAX_SIZE_MB, available().sizeMb(Backup.MAX_SIZE_MB).build().sizeMb());
    assertInvalid("size", "must be 0 to " + Backup.MAX_SIZE_MB + " MB", () -> available().sizeMb(Backup.MAX_SIZE_MB + 1).build());
    assertInvalid("size", "1 PiB", () -> available().sizeMb(Long.MAX_VALUE / 2 + 1).build());
  }

  // ---- times

  @Test
  void acceptsUpdatedAtAndFinishedAtEqualToCreatedAt() {
    Backup backup = available().updatedAt(CREATED).finishedAt(CREATED).build();

    assertEquals(CREATED, backup.updatedAt());
    assertEquals(Optional.of(CREATED), backup.finishedAt());
  }

  @Test
  void rejectsUpdatedAtBeforeCreatedAt() {
    assertInvalid("updated at", "must not be before created at",
        () -> available().updatedAt(CREATED.minusNanos(1)).build());
  }

  @Test
  void rejectsFinishedAtBeforeCreatedAt() {
    assertInvalid("finished at", "must not be before created at",
        () -> available().finishedAt(CREATED.minusSeconds(1)).build());
  }

  // ---- version

  @Test
  void acceptsVersion1AndHigher() {
    assertEquals(7, available().version(7).build().version());
  }

  @Test
  void rejectsVersionZero() {
    assertInvalid("version", "at least 1", () -> available().version(0).build());
  }

  @Test
  void rejectsNegativeVersion() {
    assertInvalid("version", "at least 1", () -> available().version(-3).build());
  }

  // ---- equality and derived values

  @Test
  void backupsWithEqualValuesAreEqualAndHaveEqualHashCodes() {
    Backup one = available().description("d").tags(Tag.of("env", "prod")).build();
    Backup two = available().description("d").tags(Tag.of("env", "prod")).build();

    assertEquals(one, two);
    assertEquals(one.hashCode(), two.hashCode());
  }

  @Test
  void backupsThatDifferInOneFieldAreNotEqual() {
    assertNotEquals(available().build(), available().version(2).build());
    assertNotEquals(available().build(), available().sizeMb(1).build());
    assertNotEquals(available().build(), available().tags(Tag.of("env", "prod")).build());
  }

  @Test
  void defaultUpdatedAtEqualsAnExplicitUpdatedAtOfTheSameInstant() {
    assertEquals(available().build(), available().updatedAt(CREATED).build());
  }

  @Test
  void allowedOperationsFollowStatusAndType() {
    Backup common = available().build();
    Backup enhanced = available().type(BackupType.ENHANCED).build();

    assertEquals(Set.of(Operation.RESTORE, Operation.DELETE), common.allowedOperations());
    assertFalse(common.allows(Operation.INSTANT_RESTORE));
    assertTrue(enhanced.allows(Operation.INSTANT_RESTORE));
    assertEquals(Set.of(Operation.DELETE), TestBackups.error().build().allowedOperations());
    assertEquals(Set.of(), TestBackups.creating().build().allowedOperations());
  }

  @Test
  void builderToStringShowsTheFieldsThatHaveAValue() {
    assertEquals("Backup.Builder{}", Backup.builder().toString());
    assertEquals("Backup.Builder{id=b-1, status=Available, sizeMb=5}",
        Backup.builder().sizeMb(5).status(BackupStatus.AVAILABLE).id("b-1").toString());
    String copy = available().description("weekly").build().toBuilder().toString();
    assertTrue(copy.startsWith("Backup.Builder{id=7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12, name=manualbk_a61d, "
        + "description=weekly, projectId=project-1, server="), copy);
    assertTrue(copy.contains(", sizeMb=") && copy.contains(", version=1") && !copy.contains("progress"), copy);
  }

  @Test
  void toStringShowsIdNameStateProgressAndVersion() {
    Backup creating = TestBackups.creating().progress(Progress.of(40, CREATED)).version(3).build();

    assertEquals("Backup{7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12 manualbk_a61d Creating 40% v3}", creating.toString());
    assertEquals("Backup{7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12 manualbk_a61d Available v1}",
        available().build().toString());
  }

  @Test
  void refusesToBuildWithoutARequiredField() {
    Backup.Builder withoutId = Backup.builder()
        .name("n").projectId("p").server(SERVER).status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(CREATED);

    IllegalStateException e = assertThrows(IllegalStateException.class, withoutId::build);
    assertTrue(e.getMessage().contains("id"), e.getMessage());
  }

  // ---- nextVersion

  @Test
  void nextVersionKeepsTheRecordSharesItsTagsAndSetsTheNewState() {
    Backup backup = available().sizeMb(2048).tags(Tag.of("env", "prod"), Tag.of("app", "erp")).build();
    Instant now = CREATED.plusSeconds(600);

    Backup next = backup.nextVersion(
        BackupStatus.DELETING, Optional.of(Progress.of(0, now)), Optional.empty(), now, Optional.empty());

    assertEquals(BackupStatus.DELETING, next.status());
    assertEquals(Optional.of(Progress.of(0, now)), next.progress());
    assertEquals(now, next.updatedAt());
    assertEquals(2, next.version());
    assertEquals(backup.id(), next.id());
    assertEquals(backup.name(), next.name());
    assertEquals(backup.sizeMb(), next.sizeMb());
    assertEquals(backup.createdAt(), next.createdAt());
    assertTrue(backup.tags() == next.tags(), "the tag list is shared, not copied");
  }

  @Test
  void nextVersionRefusesAnIntermediateStateWithoutProgress() {
    Backup backup = available().build();

    assertInvalid("progress", "is required while", () -> backup.nextVersion(
        BackupStatus.RESTORING, Optional.empty(), Optional.empty(), CREATED, Optional.empty()));
  }

  @Test
  void nextVersionRefusesErrorWithoutFailure() {
    Backup backup = available().build();

    assertInvalid("failure", "is required in state Error", () -> backup.nextVersion(
        BackupStatus.ERROR, Optional.empty(), Optional.empty(), CREATED, Optional.empty()));
  }

  @Test
  void nextVersionRefusesAnUpdateBeforeTheCreation() {
    Backup backup = available().build();

    assertInvalid("updated at", "must not be before created at", () -> backup.nextVersion(
        BackupStatus.AVAILABLE, Optional.empty(), Optional.empty(), CREATED.minusSeconds(1), Optional.empty()));
  }

  @Test
  void nextVersionRefusesAFinishBeforeTheCreation() {
    Backup backup = available().build();

    assertInvalid("finished at", "must not be before created at", () -> backup.nextVersion(
        BackupStatus.AVAILABLE, Optional.empty(), Optional.empty(), CREATED, Optional.of(CREATED.minusSeconds(1))));
  }

  @Test
  void nextVersionRefusesToOverflowTheVersion() {
    Backup backup = available().version(Long.MAX_VALUE).build();

    assertInvalid("version", "cannot change again", () -> backup.nextVersion(
        BackupStatus.AVAILABLE, Optional.empty(), Optional.empty(), CREATED, Optional.empty()));
  }

  @Test
  void nextVersionNamesAMissingArgument() {
    Backup backup = available().build();

    NullPointerException e = assertThrows(NullPointerException.class, () -> backup.nextVersion(
        BackupStatus.AVAILABLE, Optional.empty(), Optional.empty(), null, Optional.empty()));
    assertEquals("updatedAt", e.getMessage());
  }
}
