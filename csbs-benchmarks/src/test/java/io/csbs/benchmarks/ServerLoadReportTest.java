package io.csbs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The server's load test, small and short: every answer checked, three phases reported, none failed. */
class ServerLoadReportTest {
  @Test
  void threePhasesOfCheckedAnswers() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean good = ServerLoadReport.run(5_000, Duration.ofSeconds(1), 2, 400,
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String report = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(good, report);
    assertTrue(report.contains("Every search's answer equals the JSON of the catalog's own page."), report);
    assertEquals(3, report.lines().filter(line -> line.startsWith("alone ") || line.startsWith("beside a writer")).count(),
        report);
    assertTrue(report.lines().filter(line -> line.startsWith("alone")).findFirst().orElseThrow().matches("alone +[1-9][\\d,]* .*"),
        "the bounded phase answered requests: " + report);
  }

  @Test
  void badArgumentsAreRefusedNamingThem() {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertEquals("backups must be at least 1000, was 10",
        assertThrows(IllegalArgumentException.class, () -> ServerLoadReport.run(10, Duration.ofSeconds(1), 1, 10, quiet)).getMessage());
    assertEquals("clients must be 1 to 256, was 0",
        assertThrows(IllegalArgumentException.class, () -> ServerLoadReport.run(1000, Duration.ofSeconds(1), 0, 10, quiet)).getMessage());
  }
}
