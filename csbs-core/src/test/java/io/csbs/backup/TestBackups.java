package io.csbs.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/** Valid backups for the tests of this package, with any field changed before building. */
final class TestBackups {
  static final Instant CREATED = Instant.parse("2026-11-24T10:00:00Z");
  static final Server SERVER = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02");

  private TestBackups() {}

  /** A valid Available common manual backup. */
  static Draft available() {
    return new Draft();
  }

  /** A valid Creating backup at 0%. */
  static Draft creating() {
    return new Draft().status(BackupStatus.CREATING).progress(Progress.of(0, CREATED));
  }

  /** A valid Error backup whose backup job failed. */
  static Draft error() {
    return new Draft()
        .status(BackupStatus.ERROR)
        .failure(Failure.of(JobType.BACKUP, "disk full", CREATED))
        .finishedAt(CREATED);
  }

  /** A string of {@code length} copies of {@code c}. */
  static String repeat(char c, int length) {
    return String.valueOf(c).repeat(length);
  }

  /**
   * Asserts that {@code action} throws an {@link InvalidValueException} for {@code field} whose rule
   * contains {@code ruleFragment}, with a message naming both.
   */
  static InvalidValueException assertInvalid(String field, String ruleFragment, Executable action) {
    InvalidValueException e = assertThrows(InvalidValueException.class, action);
    assertEquals(field, e.field(), () -> "field of: " + e.getMessage());
    assertTrue(e.rule().contains(ruleFragment), () -> "rule '" + e.rule() + "' lacks '" + ruleFragment + "'");
    assertTrue(e.getMessage().startsWith(field + " "), () -> "message does not start with the field: " + e.getMessage());
    assertTrue(e.getMessage().contains(e.rule()), () -> "message does not contain the rule: " + e.getMessage());
    return e;
  }

  /** The fields of a backup, each changeable, built in one strict builder pass. */
  static final class Draft {
    private String id = "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12";
    private String name = "manualbk_a61d";
    private String description;
    private String projectId = "project-1";
    private Server server = SERVER;
    private BackupStatus status = BackupStatus.AVAILABLE;
    private Progress progress;
    private BackupType type;
    private BackupTrigger trigger;
    private String policyId;
    private long sizeMb = 146184;
    private Instant createdAt = CREATED;
    private Instant updatedAt;
    private Instant finishedAt;
    private Failure failure;
    private final List<Tag> tags = new ArrayList<>();
    private Long version;

    Draft id(String value) {
      id = value;
      return this;
    }

    Draft name(String value) {
      name = value;
      return this;
    }

    Draft description(String value) {
      description = value;
      return this;
    }

    Draft projectId(String value) {
      projectId = value;
      return this;
    }

    Draft server(Server value) {
      server = value;
      return this;
    }

    Draft status(BackupStatus value) {
      status = value;
      return this;
    }

    Draft progress(Progress value) {
      progress = value;
      return this;
    }

    Draft type(BackupType value) {
      type = value;
      return this;
    }

    Draft trigger(BackupTrigger value) {
      trigger = value;
      return this;
    }

    Draft policyId(String value) {
      policyId = value;
      return this;
    }

    Draft sizeMb(long value) {
      sizeMb = value;
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

    Draft finishedAt(Instant value) {
      finishedAt = value;
      return this;
    }

    Draft failure(Failure value) {
      failure = value;
      return this;
    }

    Draft tags(Tag... values) {
      tags.addAll(List.of(values));
      return this;
    }

    Draft tags(List<Tag> values) {
      tags.addAll(values);
      return this;
    }

    Draft version(long value) {
      version = value;
      return this;
    }

    Backup build() {
      Backup.Builder builder = Backup.builder()
          .id(id)
          .name(name)
          .projectId(projectId)
          .server(server)
          .status(status)
          .sizeMb(sizeMb)
          .createdAt(createdAt)
          .addAllTags(tags);
      if (description != null) {
        builder.description(description);
      }
      if (progress != null) {
        builder.progress(progress);
      }
      if (type != null) {
        builder.type(type);
      }
      if (trigger != null) {
        builder.trigger(trigger);
      }
      if (policyId != null) {
        builder.policyId(policyId);
      }
      if (updatedAt != null) {
        builder.updatedAt(updatedAt);
      }
      if (finishedAt != null) {
        builder.finishedAt(finishedAt);
      }
      if (failure != null) {
        builder.failure(failure);
      }
      if (version != null) {
        builder.version(version);
      }
      return builder.build();
    }
  }
}
