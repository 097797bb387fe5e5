package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.CopyStatus;
import io.csbs.backup.FailCode;
import io.csbs.backup.Progress;
import io.csbs.backup.RestoreMode;
import io.csbs.backup.Server;
import io.csbs.backup.VmMetadata;
import io.csbs.catalog.Change;
import io.csbs.lifecycle.Transition;
import io.csbs.testing.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The raw status and the details of a backup in the database, the change feed and schema version 2. */
class ApiDetailsTest {
  private static final String PROJECT = "project-a";
  private static final Instant NOW = FakeClock.DEFAULT_START;

  private static BackupDetails details() {
    return BackupDetails.builder()
        .checkpointId("f672a1bb-6912-446a-816c-72792c5263e0")
        .vm(VmMetadata.builder().regionName("eu-de").cloudServiceType("server").diskGb(40).imageType("gold")
            .ramMb(4096).vcpus(4).eip("80.158.1.2").privateIp("192.168.0.12").build())
        .incremental(true).restoreMode(RestoreMode.SNAPSHOT).copyStatus(CopyStatus.FAIL).spaceSavingRatio(100)
        .averageSpeedKbps(Long.MAX_VALUE).failCode(new FailCode(-64003, "d\u0000isk \uD800 gone"))
        .build();
  }

  private static Backup queued(String id) {
    return Backup.builder().id(id).name("autobk_" + id).projectId(PROJECT).server(Server.of("srv-1", "ecs-1", "az1"))
        .status(BackupStatus.CREATING).apiStatus(ApiStatus.WAITING_PROTECT).progress(Progress.of(0, NOW))
        .sizeMb(1024).createdAt(NOW.minus(Duration.ofMinutes(5))).details(details()).build();
  }

  @Test
  void theRawStatusAndTheDetailsAreStoredAndFollowTheLifecycle() {
    DataSource store = TestDatabase.dataSource(0);
    TestDatabase.truncate(store);
    FakeClock clock = FakeClock.at(NOW);
    try (PostgresCatalog catalog = PostgresCatalog.create(store, clock)) {
      Backup queued = queued("b1");
      catalog.add(queued);
      assertEquals(queued, catalog.get(PROJECT, "b1"));

      Backup running = catalog.apply(PROJECT, "b1", 1, Transition.reportProgress(10)).orElseThrow();
      assertEquals(ApiStatus.PROTECTING, running.apiStatus());
      assertEquals(running, catalog.get(PROJECT, "b1"));
      assertEquals(details(), catalog.get(PROJECT, "b1").details());

      List<Change> changes = catalog.changes(PROJECT, 0, 10);
      assertEquals(queued, changes.get(0).after().orElseThrow(), "the feed keeps the raw status and the details");
      assertEquals(running, changes.get(1).after().orElseThrow());

      Backup plain = Backup.builder().id("b2").name("autobk_b2").projectId(PROJECT).server(Server.of("srv-1", "ecs-1", "az1"))
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(NOW.minusSeconds(60)).build();
      catalog.add(plain);
      assertSame(BackupDetails.NONE, catalog.get(PROJECT, "b2").details());
    }
  }

  @Test
  void detailsTakeNoBytesWhenThereAreNoneAndEveryFieldOtherwise() {
    assertEquals(null, BackupRows.encodeDetails(BackupDetails.NONE));
    assertSame(BackupDetails.NONE, BackupRows.decodeDetails(null));
    assertEquals(details(), BackupRows.decodeDetails(BackupRows.encodeDetails(details())));
  }

  @Test
  void aChangeWrittenByTheFirstBinaryFormIsStillRead() {
    Backup plain = Backup.builder().id("b1").name("autobk_b1").projectId(PROJECT).server(Server.of("srv-1", "ecs-1", "az1"))
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(NOW.minusSeconds(60)).build();
    byte[] second = BackupRows.encode(plain);
    // the first form is the second without its tail: one byte of raw status and the details
    int tail = 1 + BackupRows.encodeDetails(BackupDetails.builder().incremental(true).build()).length;
    byte[] first = Arrays.copyOf(second, second.length - tail);
    first[0] = 1;
    assertEquals(plain, BackupRows.decode(first));
    assertArrayEquals(second, BackupRows.encode(BackupRows.decode(second)));
  }

  @Test
  void aDatabaseAtVersionOneIsUpgradedAndItsRowsReadAsBackupsWithoutDetails() {
    TestDatabase.execute(TestDatabase.plain(), "DROP SCHEMA IF EXISTS csbs_test_v1 CASCADE");
    TestDatabase.execute(TestDatabase.plain(), "CREATE SCHEMA csbs_test_v1");
    PGSimpleDataSource old = TestDatabase.plain();
    old.setCurrentSchema("csbs_test_v1,public");
    TestDatabase.execute(old, "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, "
        + "applied_at timestamptz NOT NULL DEFAULT now())");
    TestDatabase.execute(old, Schema.script(1));
    TestDatabase.execute(old, "INSERT INTO csbs_schema_version (version) VALUES (1)");
    TestDatabase.execute(old, "INSERT INTO csbs_project (project_id, last_sequence, backups, size_mb, restoring) "
        + "VALUES ('" + PROJECT + "', 0, 1, 1024, 1)");
    TestDatabase.execute(old, "INSERT INTO csbs_backup (project_id, id, name, name_lower, server_id, server_name, "
        + "server_name_lower, resource_type, availability_zone, status, progress, progress_at, backup_type, "
        + "backup_trigger, size_mb, created_at, updated_at, tags, tag_keys, version) VALUES ('" + PROJECT + "', 'b1', "
        + "'autobk_b1', 'autobk_b1', 'srv-1', 'ecs-1', 'ecs-1', 'OS::Nova::Server', 'az1', 2, 40, '" + NOW + "', "
        + "'COMMON', 'MANUAL', 1024, '" + NOW.minusSeconds(600) + "', '" + NOW + "', '{}', '{}', 3)");

    assertEquals(1, Schema.migrate(old));
    assertEquals(2, Schema.version(old));
    try (PostgresCatalog catalog = PostgresCatalog.create(old, FakeClock.at(NOW))) {
      Backup restoring = catalog.get(PROJECT, "b1");
      assertEquals(BackupStatus.RESTORING, restoring.status());
      assertEquals(ApiStatus.RESTORING, restoring.apiStatus(), "a version 1 row has the running form of its state");
      assertSame(BackupDetails.NONE, restoring.details());
    }
    TestDatabase.execute(TestDatabase.plain(), "DROP SCHEMA csbs_test_v1 CASCADE");
  }
}
