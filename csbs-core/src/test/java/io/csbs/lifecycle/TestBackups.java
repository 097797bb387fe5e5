package io.csbs.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import java.time.Instant;
import org.junit.jupiter.api.function.Executable;

/**
 * Valid backups in each state for the lifecycle tests. Each call builds a new, equal value, so that a
 * second call is a copy taken before a transition. Every backup last changed at {@link #LAST_CHANGE}.
 */
final class TestBackups {
  static final String ID = "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12";
  static final Instant CREATED = Instant.parse("2026-11-24T10:00:00Z");
  static final Instant FINISHED = Instant.parse("2026-11-24T10:30:00Z");
  static final Instant LAST_CHANGE = Instant.parse("2026-11-24T11:00:00Z");
  static final Instant NOW = Instant.parse("2026-11-24T11:05:00Z");
  static final Failure BACKUP_FAILURE = Failure.of(JobType.BACKUP, "disk full", FINISHED);

  private TestBackups() {}

  static Backup available() {
    return available(BackupType.COMMON);
  }

  static Backup availableEnhanced() {
    return available(BackupType.ENHANCED);
  }

  static Backup available(BackupType type) {
    return base().status(BackupStatus.AVAILABLE).type(type).finishedAt(FINISHED).build();
  }

  /** A backup whose backup job runs, at {@code percent}. */
  static Backup creating(int percent) {
    return base().status(BackupStatus.CREATING).progress(Progress.of(percent, LAST_CHANGE)).build();
  }

  static Backup creating() {
    return creating(20);
  }

  static Backup restoring() {
    return restoring(BackupType.COMMON);
  }

  static Backup restoring(BackupType type) {
    return base().status(BackupStatus.RESTORING).type(type).progress(Progress.of(20, LAST_CHANGE))
        .finishedAt(FINISHED).build();
  }

  /** A formerly Available backup being deleted. */
  static Backup deleting() {
    return base().status(BackupStatus.DELETING).progress(Progress.of(20, LAST_CHANGE)).finishedAt(FINISHED).build();
  }

  /** A formerly Error backup being deleted: it keeps its failure. */
  static Backup deletingAfterError() {
    return base().status(BackupStatus.DELETING).progress(Progress.of(20, LAST_CHANGE)).finishedAt(FINISHED)
        .failure(BACKUP_FAILURE).build();
  }

  /** A backup whose backup job failed. */
  static Backup error() {
    return error(BackupType.COMMON);
  }

  static Backup error(BackupType type) {
    return base().status(BackupStatus.ERROR).type(type).failure(BACKUP_FAILURE).finishedAt(FINISHED).build();
  }

  /** All fields but status, progress, failure, type and finishedAt. */
  private static Backup.Builder base() {
    return Backup.builder()
        .id(ID)
        .name("autobk_a61d")
        .description("nightly")
        .projectId("project-1")
        .server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02"))
        .trigger(BackupTrigger.AUTOMATIC)
        .policyId("policy-daily")
        .sizeMb(146184)
        .createdAt(CREATED)
        .updatedAt(LAST_CHANGE)
        .addTags(Tag.of("env", "prod"), Tag.of("app", "web"))
        .version(5);
  }

  /** Asserts an {@link InvalidValueException} for {@code field} whose message names the field and the rule. */
  static InvalidValueException assertInvalid(String field, Executable action) {
    InvalidValueException e = assertThrows(InvalidValueException.class, action);
    assertEquals(field, e.field(), () -> "field of: " + e.getMessage());
    assertTrue(e.getMessage().startsWith(field + " "), e::getMessage);
    assertTrue(e.getMessage().contains(e.rule()), e::getMessage);
    return e;
  }

  /**
   * Asserts an {@link IllegalTransitionException} from {@code action} whose fields and message give the
   * state, the attempted transition and what the state allows.
   */
  static IllegalTransitionException assertRefused(
      BackupStatus status, String attempted, String allowed, Executable action) {
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class, action);
    assertEquals(ID, e.backupId());
    assertEquals(status, e.status());
    assertEquals(attempted, e.attempted());
    assertEquals(allowed, String.join(", ", e.allowed()));
    String message = e.getMessage();
    assertTrue(message.contains("backup " + ID + " is " + status), message);
    assertTrue(message.contains(attempted + " is refused"), message);
    assertTrue(message.endsWith(status + " allows " + (allowed.isEmpty() ? "nothing" : allowed)), message);
    return e;
  }
}
