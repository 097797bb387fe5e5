package io.csbs.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.testing.Seeds;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The hand-written times equal the formatter's, and read back to the same instant. */
class TimesTest {
  @Test
  void handWrittenTimesAreTheFormattersOnRandomInstants() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      long min = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();
      long max = Instant.parse("+12000-01-01T00:00:00Z").getEpochSecond();
      for (int i = 0; i < 20_000; i++) {
        long second = random.nextInt(4) == 0 ? random.nextLong(-1L << 31, 1L << 33) : random.nextLong(min, max);
        int nano;
        switch (random.nextInt(5)) {
          case 0: nano = 0; break;
          case 1: nano = random.nextInt(1_000_000) * 1000; break;       // microseconds, as the API's
          case 2: nano = random.nextInt(1000) * 1_000_000; break;       // milliseconds
          case 3: nano = random.nextInt(10) * 100; break;               // a few nanoseconds
          default: nano = random.nextInt(1_000_000_000);
        }
        assertTimeIsTheFormatters(Instant.ofEpochSecond(second, nano));
      }
    });
  }

  @Test
  void edgesOfTheHandWrittenRange() {
    for (String time : new String[] {"0999-12-31T23:59:59.999999999Z", "1000-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
        "2017-04-18T01:21:52.701973Z", "2017-04-18T01:21:52.7019731Z", "2017-04-18T01:21:52.000000100Z",
        "9999-12-31T23:59:59.999999999Z", "+10000-01-01T00:00:00Z", "-0001-06-30T12:00:00Z"}) {
      assertTimeIsTheFormatters(Instant.parse(time));
    }
    assertEquals("2017-04-18T01:21:52.701973", Times.format(Instant.parse("2017-04-18T01:21:52.701973Z")));
    assertEquals("2017-04-18T01:21:52.000000", Times.format(Instant.parse("2017-04-18T01:21:52Z")));
    assertEquals("2017-04-18T01:21:52.00000001", Times.format(Instant.parse("2017-04-18T01:21:52.00000001Z")));
  }

  private static void assertTimeIsTheFormatters(Instant instant) {
    String expected = Times.WRITE.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
    String written = Times.format(instant);
    assertEquals(expected, written, instant.toString());
    if (!written.startsWith("-") && !written.startsWith("+")) {
      assertEquals(instant, Times.parse("time", written), written);
    }
  }
}
