package io.csbs.query;

import static io.csbs.query.TestBackups.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TimeRangeTest {
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant END = Instant.parse("2026-02-01T00:00:00Z");
  private static final Instant INSIDE = Instant.parse("2026-01-15T00:00:00Z");

  @Test
  void betweenIncludesBothBounds() {
    TimeRange range = TimeRange.between(START, END);
    assertTrue(range.contains(START));
    assertTrue(range.contains(INSIDE));
    assertTrue(range.contains(END));
  }

  @Test
  void betweenExcludesInstantsOutside() {
    TimeRange range = TimeRange.between(START, END);
    assertFalse(range.contains(START.minusNanos(1)));
    assertFalse(range.contains(END.plusNanos(1)));
  }

  @Test
  void exclusiveStartExcludesTheStartOnly() {
    TimeRange range = TimeRange.of(START, false, END, true);
    assertFalse(range.contains(START));
    assertTrue(range.contains(START.plusNanos(1)));
  }

  @Test
  void exclusiveEndExcludesTheEndOnly() {
    TimeRange range = TimeRange.of(START, true, END, false);
    assertFalse(range.contains(END));
    assertTrue(range.contains(END.minusNanos(1)));
  }

  @Test
  void fromIsInclusiveAndUnboundedAbove() {
    TimeRange range = TimeRange.from(START);
    assertTrue(range.contains(START));
    assertFalse(range.contains(START.minusNanos(1)));
    assertTrue(range.contains(Instant.MAX));
    assertEquals(Optional.empty(), range.end());
  }

  @Test
  void beforeIsExclusiveAndUnboundedBelow() {
    TimeRange range = TimeRange.before(END);
    assertFalse(range.contains(END));
    assertTrue(range.contains(END.minusNanos(1)));
    assertTrue(range.contains(Instant.MIN));
    assertFalse(range.endInclusive());
  }

  @Test
  void untilIsInclusive() {
    TimeRange range = TimeRange.until(END);
    assertTrue(range.contains(END));
    assertFalse(range.contains(END.plusNanos(1)));
  }

  @Test
  void allContainsEveryInstant() {
    assertTrue(TimeRange.all().contains(Instant.MIN));
    assertTrue(TimeRange.all().contains(Instant.MAX));
  }

  @Test
  void invertedRangeIsRefused() {
    assertInvalid("time range", "start must be before end", () -> TimeRange.between(END, START));
  }

  @Test
  void invertedRangeIsRefusedWhateverTheInclusivity() {
    assertInvalid("time range", () -> TimeRange.of(END, false, START, false));
  }

  @Test
  void singleInstantWithAnExclusiveBoundIsRefusedAsEmpty() {
    assertInvalid("time range", () -> TimeRange.of(START, true, START, false));
    assertInvalid("time range", () -> TimeRange.of(START, false, START, true));
  }

  @Test
  void singleInstantWithBothBoundsInclusiveIsAccepted() {
    TimeRange range = TimeRange.between(START, START);
    assertTrue(range.contains(START));
    assertFalse(range.contains(START.plusNanos(1)));
  }

  @Test
  void accessorsReturnTheBounds() {
    TimeRange range = TimeRange.of(START, false, END, true);
    assertEquals(Optional.of(START), range.start());
    assertFalse(range.startInclusive());
    assertEquals(Optional.of(END), range.end());
    assertTrue(range.endInclusive());
  }

  @Test
  void equalRangesAreEqualWithEqualHashCodes() {
    assertEquals(TimeRange.between(START, END), TimeRange.of(START, true, END, true));
    assertEquals(TimeRange.between(START, END).hashCode(), TimeRange.of(START, true, END, true).hashCode());
  }

  @Test
  void inclusivityOfAMissingBoundDoesNotMatter() {
    assertEquals(TimeRange.from(START), TimeRange.of(START, true, null, false));
    assertEquals(TimeRange.from(START).hashCode(), TimeRange.of(START, true, null, false).hashCode());
    assertEquals(TimeRange.all(), TimeRange.of(null, false, null, false));
  }

  @Test
  void rangesDifferingInInclusivityDiffer() {
    assertNotEquals(TimeRange.before(END), TimeRange.until(END));
    assertNotEquals(TimeRange.of(START, false, END, true), TimeRange.between(START, END));
  }

  @Test
  void allIsOneInstance() {
    assertSame(TimeRange.all(), TimeRange.all());
  }

  @Test
  void toStringIsIntervalNotation() {
    assertEquals("[2026-01-01T00:00:00Z, 2026-02-01T00:00:00Z)", TimeRange.of(START, true, END, false).toString());
    assertEquals("(2026-01-01T00:00:00Z, +inf)", TimeRange.of(START, false, null, true).toString());
    assertEquals("(-inf, 2026-02-01T00:00:00Z]", TimeRange.until(END).toString());
    assertEquals("(-inf, +inf)", TimeRange.all().toString());
  }

  @Test
  void lastIsTheWindowUpToNowBothInclusive() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    TimeRange week = TimeRange.last(java.time.Duration.ofDays(7), now);
    assertEquals(TimeRange.between(Instant.parse("2026-11-17T10:00:00Z"), now), week);
    assertTrue(week.contains(Instant.parse("2026-11-17T10:00:00Z")) && week.contains(now));
    assertFalse(week.contains(Instant.parse("2026-11-17T09:59:59.999999999Z")) || week.contains(now.plusNanos(1)));
    assertEquals(TimeRange.between(now, now), TimeRange.last(java.time.Duration.ZERO, now));
  }

  @Test
  void lastStartsAtTheFirstInstantWhenTheWindowReachesPastIt() {
    Instant now = Instant.MIN.plus(java.time.Duration.ofDays(1));
    assertEquals(TimeRange.between(Instant.MIN, now), TimeRange.last(java.time.Duration.ofDays(2), now));
    assertEquals(TimeRange.between(Instant.MIN, Instant.MAX), TimeRange.last(java.time.Duration.ofSeconds(Long.MAX_VALUE), Instant.MAX));
    assertEquals(TimeRange.between(Instant.MIN, Instant.MIN), TimeRange.last(java.time.Duration.ofNanos(1), Instant.MIN));
  }

  @Test
  void lastRefusesANegativeWindow() {
    assertInvalid("time window", "must not be negative",
        () -> TimeRange.last(java.time.Duration.ofSeconds(-1), Instant.parse("2026-11-24T10:00:00Z")));
  }
}
