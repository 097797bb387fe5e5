package io.csbs.query;

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
import io.csbs.lifecycle.StallRule;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/**
 * Hand-built backups for the query tests: {@link #backup()} is a valid Available manual backup
 * created at {@link #CREATED}, each field changeable before {@link Draft#build()}.
 */
final class TestBackups {
  static final Instant CREATED = Instant.parse("2026-11-24T10:00:00Z");
  static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

  private TestBackups() {}

  /** An Available common manual backup named {@code manualbk_a61d} of server {@code ecs-ggao}. */
  static Draft backup() {
    return new Draft();
  }

  /** Whether {@code predicate} matches {@code backup} at {@link #NOW} with the default stall rule. */
  static boolean matches(BackupPredicate predicate, Backup backup) {
    return predicate.test(backup, NOW, StallRule.DEFAULT);
  }

  /**
   * Asserts that {@code action} throws an {@link InvalidValueException} for {@code field} whose
   * message starts with the field and contains the rule.
   */
  static InvalidValueException assertInvalid(String field, Executable action) {
    InvalidValueException e = assertThrows(InvalidValueException.class, action);
    assertEquals(field, e.field(), () -> "field of: " + e.getMessage());
    assertTrue(e.getMessage().startsWith(field + " "), () -> "message does not start with the field: " + e.getMessage());
    assertTrue(e.getMessage().contains(e.rule()), () -> "message lacks the rule: " + e.getMessage());
    return e;
  }

  /** As {@link #assertInvalid(String, Executable)}, and the rule contains {@code ruleFragment}. */
  static InvalidValueException assertInvalid(String field, String ruleFragment, Executable action) {
    InvalidValueException e = assertInvalid(field, action);
    assertTrue(e.rule().contains(ruleFragment), () -> "rule '" + e.rule() + "' lacks '" + ruleFragment + "'");
    return e;
  }

  /** The fields of a backup, each changeable; built in one strict builder pass. */
  static final class Draft {
    private String id = "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12";
    private String name = "manualbk_a61d";
    private String serverId = "f8ddc472-cf00-4384-851e-5f2a68c33762";
    private String serverName = "ecs-ggao";
    private String zone = "eu-de-02";
    private String resourceType = Server.NOVA_SERVER;
    private BackupStatus status = BackupStatus.AVAILABLE;
    private Instant progressChangedAt = CREATED;
    private BackupType type = BackupType.COMMON;
    private BackupTrigger trigger = BackupTrigger.MANUAL;
    private String policyId;
    private Instant createdAt = CREATED;
    private Instant updatedAt;
    private final List<Tag> tags = new ArrayList<>();

    Draft id(String value) {
      id = value;
      return this;
    }

    Draft name(String value) {
      name = value;
      return this;
    }

    Draft serverId(String value) {
      serverId = value;
      return this;
    }

    Draft serverName(String value) {
      serverName = value;
      return this;
    }

    Draft zone(String value) {
      zone = value;
      return this;
    }

    Draft resourceType(String value) {
      resourceType = value;
      return this;
    }

    /** The state; an intermediate one gets a progress of 40% that last changed at {@link #progressChangedAt}. */
    Draft status(BackupStatus value) {
      status = value;
      return this;
    }

    Draft progressChangedAt(Instant value) {
      progressChangedAt = value;
      return this;
    }

    Draft type(BackupType value) {
      type = value;
      return this;
    }

    /** Automatic, made by {@code policy}. */
    Draft policy(String policy) {
      trigger = BackupTrigger.AUTOMATIC;
      policyId = policy;
      return this;
    }

    Draft trigger(BackupTrigger value) {
      trigger = value;
      return this;
    }

    Draft createdAt(Instant value) {
      createdAt = value;
      return this;
    }

    Draft updatedAt(Instant value) {
      updatedAt = value;
      return this;
    }

    Draft tag(String key, String value) {
      tags.add(Tag.of(key, value));
      return this;
    }

    Backup build() {
      Backup.Builder builder = Backup.builder()
          .id(id)
          .name(name)
          .projectId("project-1")
          .server(Server.builder().id(serverId).name(serverName).availabilityZone(zone).resourceType(resourceType).build())
          .status(status)
          .type(type)
          .trigger(trigger)
          .sizeMb(1024)
          .createdAt(createdAt)
          .addAllTags(tags);
      if (status.isIntermediate()) {
        builder.progress(Progress.of(40, progressChangedAt));
      }
      if (status == BackupStatus.ERROR) {
        builder.failure(Failure.of(JobType.BACKUP, "disk full", createdAt));
      }
      if (policyId != null) {
        builder.policyId(policyId);
      }
      if (updatedAt != null) {
        builder.updatedAt(updatedAt);
      }
      return builder.build();
    }
  }
}
