package io.csbs.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.ListQueryString;
import io.csbs.query.TagFilter;
import java.io.IOException;
import java.net.URI;
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

/** The README's csbs-json example, run; and the README shows it verbatim. */
class ReadmeExampleTest {
  private static final Path SELF = Path.of("src/test/java/io/csbs/json/ReadmeExampleTest.java");

  @Test
  void theExampleWorks() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(now, ZoneOffset.UTC));
    Server web = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web-01", "eu-de-02");
    for (int day = 1; day <= 30; day++) {
      catalog.add(Backup.builder().id("backup-" + day).name("autobk_" + day).projectId("project-1").server(web)
          .status(BackupStatus.AVAILABLE).sizeMb(40_960).createdAt(now.minus(Duration.ofDays(day)))
          .addTags(Tag.of("env", "prod")).build());
    }
    // --- README json example: begin
    CsbsJson json = CsbsJson.create();   // immutable, thread-safe
    String rawQuery = "status=available&limit=20";
    String list = json.checkpointItems(catalog.query("project-1", ListQueryString.parse(rawQuery)),
        URI.create("/v1/project-1/checkpoint_items?" + rawQuery));   // with the next link's marker
    String details = json.checkpointItem(catalog.get("project-1", "backup-1"));
    Backup same = json.readCheckpointItem(details, "project-1");   // equal to the backup written
    TagFilter filter = json.readTagFilter("{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}]}");
    // --- README json example: end
    assertEquals(20, json.readCheckpointItems(list, "project-1").size());
    assertEquals("backup-20", json.readNextMarker(list).orElseThrow());
    assertEquals(catalog.get("project-1", "backup-1"), same);
    assertEquals(30, catalog.count("project-1", filter.toPredicate()));
  }

  @Test
  void theReadmeShowsTheExampleVerbatim() throws IOException {
    List<String> lines = Files.readAllLines(SELF, StandardCharsets.UTF_8);
    int begin = -1;
    int end = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().equals("// --- README json example: begin")) {
        begin = i;
      } else if (lines.get(i).strip().equals("// --- README json example: end")) {
        end = i;
      }
    }
    assertTrue(begin >= 0 && end > begin, "markers not found");
    String block = lines.subList(begin + 1, end).stream().map(line -> line.isBlank() ? "" : line.substring(4))
        .collect(Collectors.joining("\n"));
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    assertTrue(readme.contains("```java\n" + block + "\n```\n"), "README.md must show exactly:\n" + block);
  }
}
