package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.lifecycle.StallRule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** {@link BackupCatalog#stats}: what the in-memory catalog counts about a project. */
class ProjectStatsTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @Test
  void countsBackupsIndexBytesAndReorganisationsOfLateBackups() {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 8);
    for (int i = 0; i < 200; i++) {
      // every other backup is older than the one before it: it arrives late
      catalog.add(backup("b" + i, NOW.minusSeconds(10_000 - (i % 2 == 0 ? i * 10 : i * 10 - 5_000))));
    }
    ProjectStats stats = catalog.stats("project-a");
    assertEquals("project-a", stats.projectId());
    assertEquals(200, stats.backups());
    assertTrue(stats.estimatedIndexBytes() > 0, stats.toString());
    assertTrue(stats.reorganisations() > 0, stats.toString());
    assertTrue(stats.longestReorganisation().compareTo(stats.reorganisationTime()) <= 0, stats.toString());
    assertTrue(stats.longestSwap().compareTo(stats.longestReorganisation()) <= 0, stats.toString());
    assertTrue(stats.longestChangeHold().compareTo(Duration.ZERO) > 0, stats.toString());
    assertTrue(stats.indexBytesPerBackup() > 0, stats.toString());
  }

  @Test
  void aProjectWithoutBackupsReadsAsEmpty() {
    ProjectStats stats = Catalogs.indexed(CLOCK).stats("nobody");
    assertEquals(0, stats.backups());
    assertEquals(0, stats.reorganisations());
    assertEquals(Duration.ZERO, stats.longestChangeHold());
    assertEquals(0.0, stats.indexBytesPerBackup());
    assertEquals(0, stats.estimatedIndexBytes());  // it holds no heap
  }

  @Test
  void refusesNegativeCounts() {
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", -1, 0, 0, Duration.ZERO, Duration.ZERO,
        Duration.ZERO, Duration.ZERO, 0, Duration.ZERO));
  }

  private static Backup backup(String id, Instant createdAt) {
    return Backup.builder().id(id).name("autobk_" + id).projectId("project-a")
        .server(Server.of("server-1", "ecs-1", "eu-de-01"))
        .status(BackupStatus.AVAILABLE)
        .sizeMb(1024)
        .createdAt(createdAt)
        .updatedAt(createdAt)
        .build();
  }
}
