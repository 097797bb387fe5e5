package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Server;
import io.csbs.usage.Quota;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The checks of {@link Change} and {@link ProjectSnapshot}: no change or snapshot that breaks a rule is built. */
class ChangeAndSnapshotTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

  private static Backup backup(String project, String id) {
    return Backup.builder().id(id).name("manualbk_" + id).projectId(project)
        .server(Server.of("server-1", "ecs-1", "eu-de-01"))
        .status(BackupStatus.AVAILABLE)
        .sizeMb(1024)
        .createdAt(NOW.minusSeconds(3600))
        .build();
  }

  @Test
  void aChangeIsNumberedFromOne() {
    Optional<Backup> added = Optional.of(backup("project-a", "b-1"));
    assertEquals(1, new Change(1, "project-a", "b-1", Optional.empty(), added, Optional.empty()).sequence());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Change(0, "project-a", "b-1", Optional.empty(), added, Optional.empty()));
    assertTrue(e.getMessage().contains("sequence"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new Change(-3, "project-a", "b-1", Optional.empty(), added, Optional.empty()));
  }

  @Test
  void aChangesBackupsAreOfItsProjectAndId() {
    Optional<Backup> elsewhere = Optional.of(backup("project-b", "b-1"));
    Optional<Backup> another = Optional.of(backup("project-a", "b-2"));
    Optional<Backup> mine = Optional.of(backup("project-a", "b-1"));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Change(1, "project-a", "b-1", Optional.empty(), elsewhere, Optional.empty()));
    assertTrue(e.getMessage().contains("after") && e.getMessage().contains("project-b"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new Change(1, "project-a", "b-1", another, Optional.empty(), Optional.empty()));
    assertTrue(e.getMessage().contains("before") && e.getMessage().contains("b-2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new Change(2, "project-a", "b-1", mine, another, Optional.empty()));
    assertTrue(e.getMessage().contains("after") && e.getMessage().contains("b-2"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new Change(1, "project-a", "b-1", Optional.empty(), Optional.empty(), Optional.empty()));
  }

  @Test
  void aSnapshotCopiesItsBackups() {
    List<Backup> backups = new ArrayList<>(List.of(backup("project-a", "b-1"), backup("project-a", "b-2")));
    ProjectSnapshot snapshot = new ProjectSnapshot("project-a", 7, Quota.of(10, 100), backups);
    backups.clear();

    assertEquals(2, snapshot.backups().size());
    assertThrows(UnsupportedOperationException.class, () -> snapshot.backups().clear());
    assertEquals(0, new ProjectSnapshot("project-a", 0, Quota.NONE, List.of()).sequence());
  }

  @Test
  void aSnapshotThatBreaksARuleIsNotBuilt() {
    List<Backup> one = List.of(backup("project-a", "b-1"));
    assertEquals("project id", assertThrows(InvalidValueException.class,
        () -> new ProjectSnapshot(" ", 1, Quota.NONE, List.of())).field());
    assertEquals("projectId", assertThrows(NullPointerException.class,
        () -> new ProjectSnapshot(null, 1, Quota.NONE, List.of())).getMessage());
    assertEquals("sequence", assertThrows(InvalidValueException.class,
        () -> new ProjectSnapshot("project-a", -1, Quota.NONE, one)).field());
    assertThrows(NullPointerException.class, () -> new ProjectSnapshot("project-a", 1, null, one));
    assertThrows(NullPointerException.class, () -> new ProjectSnapshot("project-a", 1, Quota.NONE, null));

    InvalidValueException e = assertThrows(InvalidValueException.class, () -> new ProjectSnapshot("project-a", 1,
        Quota.NONE, List.of(backup("project-a", "b-1"), backup("project-b", "b-2"))));
    assertEquals("backups", e.field());
    assertTrue(e.getMessage().contains("b-2") && e.getMessage().contains("project-b"), e.getMessage());

    DuplicateBackupException duplicate = assertThrows(DuplicateBackupException.class, () -> new ProjectSnapshot(
        "project-a", 1, Quota.NONE, List.of(backup("project-a", "b-1"), backup("project-a", "b-1"))));
    assertEquals("b-1", duplicate.backupId());
  }

  /** ProjectView#snapshot: every backup of a project larger than a page, its quota and sequence, loaded elsewhere alike. */
  @Test
  void aViewsSnapshotLoadsIntoAReplicaThatThenFollowsTheFeed() {
    BackupCatalog primary = Catalogs.indexed(java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC));
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < 2_345; i++) {
      // ties of creation time across the pages, and another project beside
      backups.add(backup("project-a", "b-" + i).toBuilder().createdAt(NOW.minusSeconds(3600 + i / 7)).build());
    }
    primary.addAll(backups);
    primary.add(backup("project-b", "other"));
    primary.setQuota("project-a", Quota.of(5_000, 10_000));
    primary.remove("project-a", "b-17", 1);

    ProjectSnapshot snapshot = primary.read("project-a", ProjectView::snapshot);
    assertEquals("project-a", snapshot.projectId());
    assertEquals(primary.sequence("project-a"), snapshot.sequence());
    assertEquals(Quota.of(5_000, 10_000), snapshot.quota());
    assertEquals(2_344, snapshot.backups().size());
    assertEquals(primary.query("project-a", io.csbs.query.Query.builder().limit(1000).build()).backups(),
        snapshot.backups().subList(0, 1000));

    BackupCatalog replica = Catalogs.indexed(java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC));
    List<Change> fed = new ArrayList<>();
    primary.subscribe(fed::add);
    replica.load(snapshot);
    primary.remove("project-a", "b-18", 1);
    fed.forEach(replica::replay);
    assertEquals(primary.sequence("project-a"), replica.sequence("project-a"));
    assertEquals(primary.quotaUsage("project-a"), replica.quotaUsage("project-a"));
    assertEquals(primary.count("project-a", io.csbs.query.Predicates.all()), replica.count("project-a", io.csbs.query.Predicates.all()));
    assertEquals(0, replica.count("project-b", io.csbs.query.Predicates.all()));

    ProjectSnapshot empty = primary.read("project-none", ProjectView::snapshot);
    assertEquals(new ProjectSnapshot("project-none", 0, Quota.NONE, List.of()), empty);
  }
}
