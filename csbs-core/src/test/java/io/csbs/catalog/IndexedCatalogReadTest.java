package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.lifecycle.Transition;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * What the in-memory catalog promises beyond the contract (which every implementation meets): a
 * change to a project waits until a {@code read} of it returns.
 */
class IndexedCatalogReadTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

  @Test
  void aChangeWaitsUntilTheReadReturns() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.add(Backup.builder().id("job").name("manualbk_job").projectId("project-a")
        .server(Server.of("server-1", "ecs-1", "eu-de-01"))
        .status(BackupStatus.CREATING)
        .progress(Progress.of(10, NOW.minusSeconds(60)))
        .sizeMb(1024)
        .createdAt(NOW.minusSeconds(3600))
        .updatedAt(NOW.minusSeconds(60))
        .build());
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      Future<Backup> change = catalog.read("project-a", view -> {
        Future<Backup> started = writer.submit(
            () -> catalog.apply("project-a", "job", 1, Transition.reportProgress(50)).orElseThrow());
        try {
          started.get(200, TimeUnit.MILLISECONDS);
          fail("a change was committed inside a read");
        } catch (TimeoutException expected) {
          // the writer waits for the read
        } catch (InterruptedException | ExecutionException e) {
          throw new AssertionError(e);
        }
        assertFalse(started.isDone(), "the writer did not wait");
        assertEquals(1, view.find("job").orElseThrow().version(), "the read saw the waiting change");
        assertEquals(1, view.sequence(), "the read saw the waiting change's sequence");
        return started;
      });

      assertEquals(2, change.get(10, TimeUnit.SECONDS).version());
      assertEquals(2, catalog.sequence("project-a"));
    } finally {
      writer.shutdownNow();
    }
  }
}
