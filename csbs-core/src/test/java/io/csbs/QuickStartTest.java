package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.KeywordField;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start, kept compiling and passing; {@link ReadmeTest} checks that the README shows
 * each marked block and these imports verbatim. Change both together.
 */
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

  @Test
  void consoleSearch() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    // --- README console search: begin
    Server web = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web-01", "eu-de-02");
    Server db = Server.of("0c5b1a9e-2f9d-4a57-9d3b-7d1f4c2a9b10", "ecs-db-01", "eu-de-01");
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(now, ZoneOffset.UTC));
    for (int day = 1; day <= 30; day++) {
      catalog.add(Backup.builder()
          .id("backup-" + day)
          .name("autobk_" + day)
          .projectId("project-1")
          .server(day % 2 == 0 ? web : db)
          .status(BackupStatus.AVAILABLE)
          .sizeMb(40_960)
          .createdAt(now.minus(Duration.ofDays(day)))
          .addTags(Tag.of("env", day % 3 == 0 ? "test" : "prod"))
          .build());
    }
    Backup oldest = catalog.get("project-1", "backup-30");
    catalog.apply("project-1", oldest.id(), oldest.version(), Transition.delete());  // now Deleting

    ConsoleSearch search = ConsoleSearch.empty()
        .withStatus(BackupStatus.AVAILABLE)
        .withLastDays(7)
        .withKeyword(KeywordField.SERVER_NAME, "WEB")   // names match ignoring case (toLowerCase(Locale.ROOT))
        .withTag("env", "prod");                         // must exist among the project's tags
    Page page = catalog.query("project-1", search.toQuery(catalog.tagCatalogue("project-1"), 20));
    page.ids();    // [backup-2, backup-4]: newest first
    page.total();  // 2
    // --- README console search: end

    // --- README consistent read: begin
    Query query = search.toQuery(catalog.tagCatalogue("project-1"), 20);
    List<Object> console = catalog.read("project-1", view -> List.of(
        view.query(query), view.tagCatalogue(), view.usage(UsageQuery.firstServers(20))));
    // --- README consistent read: end

    assertEquals(page, console.get(0));
    assertEquals(catalog.tagCatalogue("project-1"), console.get(1));
    assertEquals(30 * 40_960L, ((UsageReport) console.get(2)).sizeMb(), "every state counts, Deleting too");
    assertEquals(List.of("backup-2", "backup-4"), page.ids());
    assertEquals(2, page.total());
    assertEquals(BackupStatus.DELETING, catalog.get("project-1", "backup-30").status());
  }
}
