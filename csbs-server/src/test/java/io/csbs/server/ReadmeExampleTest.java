package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's csbs-server example, run; and the README shows it verbatim. */
class ReadmeExampleTest {
  private static final Path SELF = Path.of("src/test/java/io/csbs/server/ReadmeExampleTest.java");

  @Test
  void theExampleWorks() throws Exception {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(now, ZoneOffset.UTC));
    Server web = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web-01", "eu-de-02");
    for (int day = 1; day <= 30; day++) {
      catalog.add(Backup.builder().id("b-" + day).name("autobk_" + day).projectId("project-1").server(web)
          .status(BackupStatus.AVAILABLE).sizeMb(40_960).createdAt(now.minus(Duration.ofDays(day))).build());
    }
    // --- README server example: begin
    String page;
    try (CsbsServer server = CsbsServer.builder(catalog).build().start()) {   // 127.0.0.1, any free port
      URI list = server.uri().resolve("v1/project-1/checkpoint_items?status=available&limit=20");
      page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(list).build(), BodyHandlers.ofString()).body();
    }   // {"checkpoint_items": [20 backups], "checkpoint_items_links": [{"href": "...&marker=b-20", "rel": "next"}]}
    // --- README server example: end
    CsbsJson json = CsbsJson.create();
    assertEquals(20, json.readCheckpointItems(page, "project-1").size());
    assertEquals("b-20", json.readNextMarker(page).orElseThrow());
  }

  @Test
  void theReadmeShowsTheExampleVerbatim() throws Exception {
    List<String> lines = Files.readAllLines(SELF, StandardCharsets.UTF_8);
    int begin = lines.indexOf("    // --- README server example: begin");
    int end = lines.indexOf("    // --- README server example: end");
    assertTrue(begin >= 0 && end > begin, "markers not found");
    String block = lines.subList(begin + 1, end).stream().map(line -> line.isBlank() ? "" : line.substring(4))
        .collect(Collectors.joining("\n"));
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    assertTrue(readme.contains("```java\n" + block + "\n```\n"), "README.md must show exactly:\n" + block);
  }
}
