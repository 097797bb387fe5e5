package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The README's quick start, kept compiling and passing. Change both together. */
class QuickStartTest {
  @Test
  void quickStart() {
    // --- README quick start: begin
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    Backup backup = Backup.builder()
        .id("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12")
        .name("autobk_a61d")
        .projectId("project-1")
        .server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02"))
        .status(BackupStatus.AVAILABLE)
        .type(BackupType.ENHANCED)
        .trigger(BackupTrigger.AUTOMATIC)
        .sizeMb(146_184)
        .createdAt(now.minus(Duration.ofDays(3)))
        .addTags(Tag.of("env", "prod"))
        .build();

    Backup restoring = Lifecycle.instantRestore(backup, now);                // Restoring, 0%
    Backup halfway = Lifecycle.reportProgress(restoring, 50, now.plusSeconds(60));
    boolean stalled = StallRule.DEFAULT.isStalled(halfway, now.plus(Duration.ofHours(1)));  // true
    Backup restored = Lifecycle.complete(halfway, now.plusSeconds(120)).orElseThrow();       // Available
    // --- README quick start: end

    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertTrue(stalled);
    assertEquals(BackupStatus.AVAILABLE, restored.status());
    assertEquals(4, restored.version());
  }
}
