package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.InvalidValueException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A range of instants, each bound optional and either inclusive or exclusive; the time segment of a
 * search. A start after the end is refused, and so are equal bounds with one of them exclusive;
 * a range may still hold no instant (two instants a nanosecond apart, both exclusive; {@code
 * before(Instant.MIN)}), and a search over it matches nothing.
 *
 * <pre>{@code
 * TimeRange.between(start, end);   // start <= t <= end
 * TimeRange.from(start);           // start <= t
 * TimeRange.before(end);           // t < end
 * TimeRange.of(start, true, end, false); // start <= t < end
 * }</pre>
 */
public final class TimeRange {
  private static final TimeRange ALL = new TimeRange(null, true, null, true);

  private final Instant from;
  private final boolean fromInclusive;
  private final Instant to;
  private final boolean toInclusive;

  private TimeRange(Instant from, boolean fromInclusive, Instant to, boolean toInclusive) {
    this.from = from;
    this.fromInclusive = fromInclusive;
    this.to = to;
    this.toInclusive = toInclusive;
  }

  /**
   * A range with optional bounds ({@code null} for none).
   *
   * @param from the lower bound, or {@code null}
   * @param fromInclusive whether the lower bound is in the range
   * @param to the upper bound, or {@code null}
   * @param toInclusive whether the upper bound is in the range
   * @return the range
   * @throws InvalidValueException naming {@code time range} if {@code from} is after {@code to}, or
   *     equal to it with an exclusive bound (an empty range)
   */
  public static TimeRange of(Instant from, boolean fromInclusive, Instant to, boolean toInclusive) {
    if (from != null && to != null) {
      int order = from.compareTo(to);
      if (order > 0 || (order == 0 && !(fromInclusive && toInclusive))) {
        throw new InvalidValueException(
            "time range", describe(from, fromInclusive, to, toInclusive),
            "start must be before end (or equal to it with both bounds inclusive)");
      }
    }
    // a missing bound is "inclusive", so that equal ranges have equal accessors
    return new TimeRange(from, from == null || fromInclusive, to, to == null || toInclusive);
  }

  /**
   * From {@code from} to {@code to}, both inclusive.
   *
   * @param from the lower bound, inclusive
   * @param to the upper bound, inclusive
   * @return the range
   * @throws InvalidValueException naming {@code time range} if {@code from} is after {@code to}
   */
  public static TimeRange between(Instant from, Instant to) {
    return of(requireNonNull(from, "from"), true, requireNonNull(to, "to"), true);
  }

  /**
   * From {@code from} on, inclusive.
   *
   * @param from the lower bound, inclusive
   * @return the range
   */
  public static TimeRange from(Instant from) {
    return of(requireNonNull(from, "from"), true, null, true);
  }

  /**
   * Before {@code to}, exclusive.
   *
   * @param to the upper bound, exclusive
   * @return the range
   */
  public static TimeRange before(Instant to) {
    return of(null, true, requireNonNull(to, "to"), false);
  }

  /**
   * Up to {@code to}, inclusive.
   *
   * @param to the upper bound, inclusive
   * @return the range
   */
  public static TimeRange until(Instant to) {
    return of(null, true, requireNonNull(to, "to"), true);
  }

  /**
   * The last {@code window} up to {@code now}, both inclusive: the times {@link
   * Predicates#createdWithinLast(Duration) createdWithinLast(window)} matches at {@code now}. Its
   * start is {@code now} minus {@code window}, or {@link Instant#MIN} when that would be before it.
   *
   * <pre>{@code
   * TimeRange.last(Duration.ofDays(7), Instant.parse("2026-11-24T10:00:00Z"));
   * // [2026-11-17T10:00:00Z, 2026-11-24T10:00:00Z]
   * }</pre>
   *
   * @param window how far back from {@code now}; not negative
   * @param now the upper bound, inclusive
   * @return the range
   * @throws InvalidValueException naming {@code time window} if {@code window} is negative
   */
  public static TimeRange last(Duration window, Instant now) {
    requireNonNull(window, "window");
    requireNonNull(now, "now");
    if (window.isNegative()) {
      throw new InvalidValueException("time window", window, "must not be negative");
    }
    return between(windowStart(window, now), now);
  }

  /** {@code now} minus {@code window} (not negative), or {@link Instant#MIN} when that is before it. */
  static Instant windowStart(Duration window, Instant now) {
    try {
      return now.minus(window);
    } catch (java.time.DateTimeException | ArithmeticException beforeTheFirstInstant) {
      return Instant.MIN;  // the window reaches past the first instant: every time up to now is in it
    }
  }

  /** {@return the range without bounds} */
  public static TimeRange all() {
    return ALL;
  }

  /** {@return the lower bound, if any} */
  public Optional<Instant> start() {
    return Optional.ofNullable(from);
  }

  /** {@return whether the lower bound is inclusive (true when there is none)} */
  public boolean startInclusive() {
    return fromInclusive;
  }

  /** {@return the upper bound, if any} */
  public Optional<Instant> end() {
    return Optional.ofNullable(to);
  }

  /** {@return whether the upper bound is inclusive (true when there is none)} */
  public boolean endInclusive() {
    return toInclusive;
  }

  /**
   * {@return whether {@code instant} lies in the range}
   *
   * @param instant the instant
   */
  public boolean contains(Instant instant) {
    java.util.Objects.requireNonNull(instant, "instant");
    if (from != null) {
      int order = instant.compareTo(from);
      if (order < 0 || (order == 0 && !fromInclusive)) {
        return false;
      }
    }
    if (to != null) {
      int order = instant.compareTo(to);
      return order < 0 || (order == 0 && toInclusive);
    }
    return true;
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof TimeRange)) {
      return false;
    }
    TimeRange that = (TimeRange) other;
    return Objects.equals(from, that.from) && Objects.equals(to, that.to)
        && (from == null || fromInclusive == that.fromInclusive)
        && (to == null || toInclusive == that.toInclusive);
  }

  @Override
  public int hashCode() {
    return Objects.hash(from, to, from != null && fromInclusive, to != null && toInclusive);
  }

  /** Interval notation: {@code [2026-01-01T00:00:00Z, 2026-02-01T00:00:00Z)}, {@code (-inf, ...]}. */
  @Override
  public String toString() {
    return describe(from, fromInclusive, to, toInclusive);
  }

  private static String describe(Instant from, boolean fromInclusive, Instant to, boolean toInclusive) {
    return (from == null ? "(-inf" : (fromInclusive ? "[" : "(") + from) + ", "
        + (to == null ? "+inf)" : to + (toInclusive ? "]" : ")"));
  }
}
