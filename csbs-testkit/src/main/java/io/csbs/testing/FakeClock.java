package io.csbs.testing;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that stands still until a test moves it; safe to share between threads. Use it
 * wherever the library takes a clock, to drive stall detection and relative time windows.
 *
 * <pre>{@code
 * FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
 * clock.advance(Duration.ofMinutes(31));
 * StallRule.DEFAULT.isStalled(backup, clock);
 * }</pre>
 *
 * <p>The zone is UTC unless {@link #withZone(ZoneId)} says otherwise; a clock with another zone
 * shares the instant with this one.
 */
public final class FakeClock extends Clock {
  /** The instant a clock made by {@link #create()} starts at: 2026-01-01T00:00:00Z. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  private FakeClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  /** {@return a clock at {@link #DEFAULT_START}} */
  public static FakeClock create() {
    return at(DEFAULT_START);
  }

  /**
   * {@return a clock at {@code start}}
   *
   * @param start the clock's first instant
   */
  public static FakeClock at(Instant start) {
    return new FakeClock(new AtomicReference<>(requireNonNull(start, "start")), ZoneOffset.UTC);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /** A clock with {@code zone} that reads and moves the same instant as this one. */
  @Override
  public FakeClock withZone(ZoneId zone) {
    return new FakeClock(now, requireNonNull(zone, "zone"));
  }

  /**
   * Moves the clock forward by {@code duration}.
   *
   * @param duration how far to move; not negative
   * @return the new instant
   * @throws IllegalArgumentException if {@code duration} is negative, or would move the clock past
   *     {@link Instant#MAX}
   */
  public Instant advance(Duration duration) {
    requireNonNull(duration, "duration");
    return now.updateAndGet(instant -> after(instant, duration));  // a refusal throws before any update
  }

  /** {@code instant} moved forward by {@code duration}, refusing a negative one or one past {@link Instant#MAX}. */
  static Instant after(Instant instant, Duration duration) {
    requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration " + duration + " is invalid: must not be negative");
    }
    try {
      return instant.plus(duration);
    } catch (java.time.DateTimeException | ArithmeticException e) {
      throw new IllegalArgumentException("duration " + duration + " is invalid: must not move the clock from "
          + instant + " past " + Instant.MAX, e);
    }
  }

  /**
   * Sets the clock to {@code instant}, forward or back.
   *
   * @param instant the clock's new instant
   */
  public void set(Instant instant) {
    now.set(requireNonNull(instant, "instant"));
  }

  @Override
  public String toString() {
    return "FakeClock[" + now.get() + ", " + zone + "]";
  }
}
