package io.csbs.backup;

import static io.csbs.backup.TestBackups.CREATED;
import static io.csbs.backup.TestBackups.available;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link Backup.Builder}: the library's own words for its mistakes, and {@link Backup#toBuilder()}. */
class BackupBuilderTest {
  private static final Tag ENV = Tag.of("env", "prod");
  private static final Tag APP = Tag.of("app", "erp");

  @Test
  void toBuilderBuildsAnEqualBackup() {
    Backup backup = TestBackups.error().description("nightly").sizeMb(2048).tags(ENV, APP).version(7).build();

    Backup copy = backup.toBuilder().build();

    assertEquals(backup, copy);
    assertNotSame(backup, copy);
    assertSame(backup.tags(), copy.tags(), "untouched tags are shared, not copied");
  }

  @Test
  void toBuilderChangesOneFieldAndKeepsTheOthers() {
    Backup backup = available().description("nightly").sizeMb(2048).tags(ENV).version(3).build();

    Backup renamed = backup.toBuilder().name("weekly_db").build();

    assertEquals("weekly_db", renamed.name());
    assertEquals(backup.id(), renamed.id());
    assertEquals(backup.description(), renamed.description());
    assertEquals(backup.sizeMb(), renamed.sizeMb());
    assertEquals(backup.tags(), renamed.tags());
    assertEquals(3, renamed.version(), "the version is kept: a copy is not a change of state");
    assertEquals(backup.updatedAt(), renamed.updatedAt());
  }

  @Test
  void toBuilderReplacesClearsOrAddsToTags() {
    Backup backup = available().tags(ENV).build();

    assertEquals(List.of(APP), backup.toBuilder().tags(List.of(APP)).build().tags());
    assertEquals(List.of(), backup.toBuilder().tags(List.of()).build().tags());
    assertEquals(List.of(ENV, APP), backup.toBuilder().addTags(APP).build().tags());
    assertEquals(List.of(ENV), backup.tags(), "the original keeps its tags");
  }

  @Test
  void toBuilderClearsAnOptionalField() {
    Backup backup = available().description("nightly").build();

    assertEquals(Optional.empty(), backup.toBuilder().description(Optional.empty()).build().description());
  }

  @Test
  void aCopyIsCheckedLikeAnyBackup() {
    Backup backup = available().build();

    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> backup.toBuilder().status(BackupStatus.CREATING).build());
    assertEquals("progress", e.field());
    assertEquals("name", assertThrows(InvalidValueException.class,
        () -> backup.toBuilder().name("my backup").build()).field());
  }

  @Test
  void aFieldSetTwiceIsRefusedNamingTheField() {
    Backup.Builder builder = Backup.builder().status(BackupStatus.AVAILABLE);

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> builder.status(BackupStatus.ERROR));

    assertEquals("status was already set to Available: set each field of a backup builder once", e.getMessage());
    assertTrue(!e.getMessage().contains("Immutable") && !e.getMessage().contains("strict"), e.getMessage());
  }

  @Test
  void eachFieldOfACopyMayBeSetOnceMore() {
    Backup.Builder copy = available().build().toBuilder().sizeMb(1);

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> copy.sizeMb(2));

    assertTrue(e.getMessage().startsWith("sizeMb was already set to 1"), e.getMessage());
  }

  @Test
  void tagsAreReplacedOnceAndBeforeAnyIsAdded() {
    assertThrows(IllegalStateException.class, () -> Backup.builder().tags(List.of(ENV)).tags(List.of(APP)));
    IllegalStateException afterAdd = assertThrows(IllegalStateException.class,
        () -> Backup.builder().addTags(ENV).tags(List.of(APP)));
    assertTrue(afterAdd.getMessage().startsWith("tags were already set or added"), afterAdd.getMessage());
  }

  @Test
  void theMissingRequiredFieldsAreNamed() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Backup.builder().name("n").sizeMb(1).build());

    assertEquals("a backup needs id, projectId, server, status, createdAt: set them before build()", e.getMessage());
  }

  @Test
  void nullIsRefusedNamingTheParameter() {
    assertEquals("tags[0]", assertThrows(NullPointerException.class, () -> Backup.builder().addTags((Tag) null)).getMessage());
    assertEquals("tags[1]", assertThrows(NullPointerException.class,
        () -> Backup.builder().addAllTags(Arrays.asList(ENV, null))).getMessage());
    assertEquals("tags", assertThrows(NullPointerException.class, () -> Backup.builder().addAllTags(null)).getMessage());
    assertEquals("tags", assertThrows(NullPointerException.class, () -> Backup.builder().addTags((Tag[]) null)).getMessage());
    assertEquals("status", assertThrows(NullPointerException.class, () -> Backup.builder().status(null)).getMessage());
    assertEquals("createdAt", assertThrows(NullPointerException.class,
        () -> Backup.builder().createdAt(null)).getMessage());
  }

  @Test
  void theDefaultsAreCommonManualVersionOneAndUpdatedAtCreation() {
    Backup backup = Backup.builder().id("b").name("n").projectId("p").server(TestBackups.SERVER)
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(CREATED).build();

    assertEquals(BackupType.COMMON, backup.type());
    assertEquals(BackupTrigger.MANUAL, backup.trigger());
    assertEquals(1, backup.version());
    assertEquals(CREATED, backup.updatedAt());
    assertEquals(List.of(), backup.tags());
  }
}
