package io.csbs.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.lifecycle.Lifecycle;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The API's details of a backup and its raw status: defaults, rules, copies and the lifecycle. */
class BackupDetailsTest {
  private static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");

  private static Backup.Builder available() {
    return in(BackupStatus.AVAILABLE);
  }

  private static Backup.Builder in(BackupStatus status) {
    return Backup.builder().id("b-1").name("manualbk_47222").projectId("p").server(Server.of("s-1", "ecs-1", "az1"))
        .status(status).sizeMb(1024).createdAt(NOW.minusSeconds(3600));
  }

  private static BackupDetails full() {
    return BackupDetails.builder()
        .checkpointId("f672a1bb-6912-446a-816c-72792c5263e0")
        .vm(VmMetadata.builder().regionName("eu-de").cloudServiceType("server").diskGb(40).imageType("gold")
            .ramMb(4096).vcpus(4).eip("80.158.1.2").privateIp("192.168.0.12").build())
        .incremental(true)
        .restoreMode(RestoreMode.SNAPSHOT)
        .copyStatus(CopyStatus.COPYING)
        .spaceSavingRatio(37)
        .averageSpeedKbps(20_480)
        .failCode(new FailCode(64003, "The disk is detached."))
        .build();
  }

  @Test
  void aBackupWithoutDetailsSharesNoneAndHasTheRunningFormOfItsState() {
    Backup backup = available().build();
    assertSame(BackupDetails.NONE, backup.details());
    assertSame(BackupDetails.NONE, BackupDetails.builder().build());
    assertSame(VmMetadata.NONE, VmMetadata.builder().build());
    assertEquals(ApiStatus.AVAILABLE, backup.apiStatus());
    Backup creating = in(BackupStatus.CREATING).progress(Progress.of(0, NOW)).build();
    assertEquals(ApiStatus.PROTECTING, creating.apiStatus());
  }

  @Test
  void everyDetailIsKeptAndEqualityCoversIt() {
    BackupDetails details = full();
    Backup backup = available().details(details).build();
    assertEquals(details, backup.details());
    assertEquals("gold", backup.details().vm().imageType());
    assertEquals(Optional.of(new FailCode(64003, "The disk is detached.")), backup.details().failCode());
    assertTrue(!backup.equals(available().build()), "details take part in equality");
    assertEquals(backup, backup.toBuilder().build());
    assertEquals(details.toBuilder().spaceSavingRatio(38).build().spaceSavingRatio(), 38);
  }

  @Test
  void eachRuleNamesTheFieldAsTheApiDoes() {
    assertField("space_saving_ratio", () -> BackupDetails.builder().spaceSavingRatio(101).build());
    assertField("space_saving_ratio", () -> BackupDetails.builder().spaceSavingRatio(-1).build());
    assertField("average_speed", () -> BackupDetails.builder().averageSpeedKbps(-1).build());
    assertField("checkpoint_id", () -> BackupDetails.builder().checkpointId(" ").build());
    assertField("checkpoint_id", () -> BackupDetails.builder().checkpointId("x".repeat(65)).build());
    assertField("disk", () -> VmMetadata.builder().diskGb(-1).build());
    assertField("ram", () -> VmMetadata.builder().ramMb(-1).build());
    assertField("vcpus", () -> VmMetadata.builder().vcpus(-4).build());
    assertField("private_ip", () -> VmMetadata.builder().privateIp("1".repeat(65)).build());
    assertField("fail_code description", () -> new FailCode(1, "d".repeat(1025)));
    assertField("supported_restore_mode", () -> RestoreMode.parse("Backup"));
    assertField("copy_status", () -> CopyStatus.parse("copied"));
    assertEquals(RestoreMode.NA, RestoreMode.parse("na"));
    assertEquals(CopyStatus.WAITING_COPY, CopyStatus.parse("waiting_copy"));
  }

  @Test
  void aRawStatusMustMapToTheState() {
    Backup queued = in(BackupStatus.CREATING).progress(Progress.of(0, NOW))
        .apiStatus(ApiStatus.WAITING_PROTECT).build();
    assertEquals(ApiStatus.WAITING_PROTECT, queued.apiStatus());
    InvalidValueException mismatch = assertThrows(InvalidValueException.class,
        () -> available().apiStatus(ApiStatus.WAITING_RESTORE).build());
    assertEquals("api status", mismatch.field());
    assertTrue(mismatch.getMessage().contains("must map to the state Available"), mismatch.getMessage());
    InvalidValueException deleted = assertThrows(InvalidValueException.class,
        () -> available().apiStatus(ApiStatus.DELETED).build());
    assertTrue(deleted.getMessage().contains("gone"), deleted.getMessage());
  }

  @Test
  void aCopyWhoseStateChangesTakesTheNewRunningFormUnlessOneIsGiven() {
    Backup queued = in(BackupStatus.CREATING).progress(Progress.of(0, NOW))
        .apiStatus(ApiStatus.WAITING_PROTECT).build();
    Backup done = queued.toBuilder().status(BackupStatus.AVAILABLE).progress(Optional.empty()).build();
    assertEquals(ApiStatus.AVAILABLE, done.apiStatus());
    assertEquals(ApiStatus.WAITING_PROTECT, queued.toBuilder().name("renamed").build().apiStatus());
  }

  @Test
  void theLifecycleSetsTheRunningFormAndMovesAQueuedJobOnItsFirstProgress() {
    Backup queued = in(BackupStatus.CREATING).progress(Progress.of(0, NOW))
        .apiStatus(ApiStatus.WAITING_PROTECT).details(full()).build();
    Backup stillQueued = Lifecycle.reportProgress(queued, 0, NOW.plusSeconds(1));
    assertEquals(ApiStatus.WAITING_PROTECT, stillQueued.apiStatus());
    Backup running = Lifecycle.reportProgress(stillQueued, 5, NOW.plusSeconds(2));
    assertEquals(ApiStatus.PROTECTING, running.apiStatus());
    Backup done = Lifecycle.complete(running, NOW.plusSeconds(3)).orElseThrow();
    assertEquals(ApiStatus.AVAILABLE, done.apiStatus());
    assertSame(queued.details(), done.details(), "the details are shared from version to version");
    assertEquals(ApiStatus.RESTORING, Lifecycle.restore(done, NOW.plusSeconds(4)).apiStatus());
    assertEquals(ApiStatus.DELETING, Lifecycle.delete(done, NOW.plusSeconds(4)).apiStatus());
  }

  private static void assertField(String field, Runnable build) {
    InvalidValueException e = assertThrows(InvalidValueException.class, build::run);
    assertEquals(field, e.field());
  }
}
