package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Server;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's testkit example, a user's test of their own code, kept compiling and passing; and a
 * check that the README shows exactly this code. Change both together.
 */
class ReadmeExampleTest {
  private static final String BEGIN = "// --- README testkit example: begin";
  private static final String END = "// --- README testkit example: end";

  // --- README testkit example: begin
  /** The code under test: the operator's list of stuck jobs. */
  static final class StuckJobs {
    private final BackupCatalog catalog;

    StuckJobs(BackupCatalog catalog) {
      this.catalog = catalog;
    }

    List<String> ids(String projectId) {
      return catalog.query(projectId, Query.where(Predicates.stalled())).ids();
    }
  }

  @Test
  void listsAJobOnceItsProgressHasNotChangedForMoreThanHalfAnHour() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = Catalogs.indexed(clock);        // stall threshold: 30 minutes
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock);
    Server web = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web", "eu-de-02");
    SimulatedJob healthy = jobs.startBackup("project-1", web, JobPlan.taking(Duration.ofHours(2)));
    SimulatedJob stuck = jobs.startBackup("project-1", web,
        JobPlan.taking(Duration.ofMinutes(20)).stallingAt(40));   // 40% at minute 8, then silence
    StuckJobs stuckJobs = new StuckJobs(catalog);

    jobs.advance(Duration.ofMinutes(38));                   // unchanged for exactly 30 minutes
    assertEquals(List.of(), stuckJobs.ids("project-1"));

    jobs.advance(Duration.ofMinutes(1));
    assertEquals(List.of(stuck.backupId()), stuckJobs.ids("project-1"));
    assertEquals(SimulatedJob.State.RUNNING, healthy.state());
  }
  // --- README testkit example: end

  @Test
  void theReadmeShowsThisExampleVerbatim() throws IOException {
    List<String> example = stripIndent(between(
        Files.readAllLines(Paths.get("src/test/java/io/csbs/testing/ReadmeExampleTest.java"), StandardCharsets.UTF_8)));
    String readme = Files.readString(readme(), StandardCharsets.UTF_8);
    assertTrue(readme.contains("```java\n" + String.join("\n", example) + "\n```\n"),
        "README.md must show, in a java block, exactly the code between the markers of this test:\n"
            + String.join("\n", example));
  }

  /** The lines strictly between the markers (the markers as written in code, not in these constants). */
  private static List<String> between(List<String> lines) {
    int begin = -1;
    int end = -1;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.equals(BEGIN)) {
        begin = i;
      } else if (line.equals(END)) {
        end = i;
      }
    }
    assertTrue(begin >= 0 && end > begin, "markers not found");
    return lines.subList(begin + 1, end);
  }

  private static List<String> stripIndent(List<String> lines) {
    int indent = Integer.MAX_VALUE;
    for (String line : lines) {
      if (!line.isBlank()) {
        indent = Math.min(indent, line.length() - line.stripLeading().length());
      }
    }
    List<String> stripped = new ArrayList<>();
    for (String line : lines) {
      stripped.add(line.isBlank() ? "" : line.substring(indent));
    }
    return stripped;
  }

  /** The README at the top of the repository; tests run in the module's folder. */
  private static Path readme() {
    Path candidate = Paths.get("..", "README.md");
    assertTrue(Files.isRegularFile(candidate), "README.md not found at " + candidate.toAbsolutePath());
    return candidate;
  }
}
