package io.csbs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's first command, small: every search runs, equals the scan, and is reported. */
class ConsoleDemoTest {
  @Test
  void everySearchAndTheUsageDialogEqualThePlainScan() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean same = ConsoleDemo.run(5_000, 7, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String report = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(same, report);
    assertTrue(report.contains("Every page equals the plain scan's"), report);
    assertTrue(report.contains("The same as the plain scan's."), report);
    assertEquals(8, report.lines().filter(line -> line.matches(".*\\d+x$")).count(), report);
  }

  @Test
  void tooFewBackupsAreRefusedNamingTheParameter() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConsoleDemo.run(10, 7, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
    assertEquals("backups must be at least 100, was 10", e.getMessage());
  }

  @Test
  void timesReadAsAPersonWouldWriteThem() {
    assertEquals("0.8 µs", ConsoleDemo.time(812));
    assertEquals("41 µs", ConsoleDemo.time(41_200));
    assertEquals("2.3 ms", ConsoleDemo.time(2_310_000));
    assertEquals("1,412 ms", ConsoleDemo.time(1_412_000_000L));
  }
}
