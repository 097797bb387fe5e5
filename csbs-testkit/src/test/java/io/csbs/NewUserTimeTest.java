package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TimeRange;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.JobPlan;
import io.csbs.testing.SimulatedJob;
import io.csbs.testing.SimulatedJobs;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A new user's review of time in csbs, end to end: catalogs on unusual clocks (backwards, at the ends
 * of {@link Instant}, with nanoseconds, in other zones), relative windows and time segments at their
 * exact edges, stall judgement at the extremes, and the testkit's {@link FakeClock}; from the README
 * and javadoc only.
 */
class NewUserTimeTest {
  private static final Instant T = Instant.parse("2026-07-14T23:59:59.123456789Z");
  private static final String P = "zeit-ž-⌚";
  private static final Server SRV = Server.of("srv-τ", "ecs-時計", "eu-de-03");
  private static final Duration DAY = Duration.ofDays(1);
  /** The longest span there is: from the first instant to the last. */
  private static final Duration WHOLE = Duration.between(Instant.MIN, Instant.MAX);

  // ------------------------------------------------------------------ helpers

  private static Backup available(String id, Instant createdAt) {
    return Backup.builder().id(id).name("n_" + Math.abs(id.hashCode())).projectId(P).server(SRV)
        .status(BackupStatus.AVAILABLE).type(BackupType.ENHANCED).sizeMb(1).createdAt(createdAt).build();
  }

  private static Backup running(String id, BackupStatus status, Instant createdAt, Instant progressAt) {
    return Backup.builder().id(id).name("r_" + Math.abs(id.hashCode())).projectId(P).server(SRV)
        .status(status).type(BackupType.ENHANCED).sizeMb(1).createdAt(createdAt)
        .progress(Progress.of(10, progressAt)).build();
  }

  private static void refused(String field, Runnable call) {
    InvalidValueException e = assertThrows(InvalidValueException.class, call::run);
    assertEquals(field, e.field(), e.getMessage());
  }

  /** A clock that goes back one nanosecond at every reading. */
  private static final class BackwardsClock extends Clock {
    private final AtomicReference<Instant> next;

    BackwardsClock(Instant start) {
      next = new AtomicReference<>(start);
    }

    @Override
    public Instant instant() {
      return next.getAndUpdate(i -> i.minusNanos(1));
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  /** A clock standing at one instant, in a zone far from UTC. */
  private static final class ZonedFixedClock extends Clock {
    private final Instant at;
    private final ZoneId zone;

    ZonedFixedClock(Instant at, ZoneId zone) {
      this.at = at;
      this.zone = zone;
    }

    @Override
    public Instant instant() {
      return at;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return new ZonedFixedClock(at, zone);
    }
  }

  private static List<String> idsNewestFirst(List<Backup> backups, java.util.function.Predicate<Backup> keep) {
    return backups.stream().filter(keep)
        .sorted(Comparator.comparing(Backup::createdAt).thenComparing(Backup::id).reversed())
        .map(Backup::id).collect(Collectors.toList());
  }

  // ------------------------------------------------------------------ the catalog's clock

  @Test
  void aClockGoingBackBetweenAddAndTransitionIsRefusedNamingNowAndNothingChanges() {
    BackwardsClock clock = new BackwardsClock(T);
    BackupCatalog catalog = Catalogs.builder().clock(clock).build();
    Backup b = Backup.builder().id("b1").name("b1").projectId(P).server(SRV).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(T.minus(DAY)).updatedAt(T).build();
    catalog.add(b);
    long sequence = catalog.sequence(P);
    clock.instant();   // read once more: its next reading is at least 1 ns before T
    // the clock now reads before the backup's last change (T): refused naming now
    refused("now", () -> catalog.apply(P, "b1", b.version(), Transition.delete()));
    assertEquals(b, catalog.get(P, "b1"));
    assertEquals(sequence, catalog.sequence(P));
    assertEquals(0, catalog.count(P, Predicates.status(BackupStatus.DELETING)));
  }

  @Test
  void aNanosecondClockInAnotherZoneDatesEveryChangeToTheNanosecond() {
    Instant at = T.plusNanos(1);   // 2026-07-14T23:59:59.123456790Z
    BackupCatalog catalog = Catalogs.indexed(new ZonedFixedClock(at, ZoneId.of("Pacific/Kiritimati")));
    catalog.add(available("n1", T.minusNanos(7)));
    Backup restoring = catalog.apply(P, "n1", 1, Transition.restore()).orElseThrow();
    assertEquals(at, restoring.updatedAt());
    assertEquals(Optional.of(Progress.of(0, at)), restoring.progress());
    assertEquals(Optional.empty(), restoring.finishedAt());
    Backup halfway = catalog.apply(P, "n1", restoring.version(), Transition.reportProgress(50)).orElseThrow();
    assertEquals(Progress.of(50, at), halfway.progress().orElseThrow());
    Backup done = catalog.apply(P, "n1", halfway.version(), Transition.complete()).orElseThrow();
    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(at, done.updatedAt());
    assertEquals(Optional.empty(), done.finishedAt(), "a restore keeps the finish time held (none)");
    // the backup was created 8 ns before the clock's instant: an 8 ns window holds it, a 7 ns one does not
    assertEquals(1, catalog.count(P, Predicates.createdWithinLast(Duration.ofNanos(8))));
    assertEquals(0, catalog.count(P, Predicates.createdWithinLast(Duration.ofNanos(7))));
  }

  @Test
  void aCatalogAtTheFirstInstantJudgesStallsAndWindowsByTheNanosecond() {
    FakeClock clock = FakeClock.at(Instant.MIN);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofNanos(1))).build();
    catalog.add(running("first", BackupStatus.CREATING, Instant.MIN, Instant.MIN));
    catalog.add(available("second", Instant.MIN.plusNanos(1)));
    assertEquals(0, catalog.count(P, Predicates.stalled()), "at MIN nothing is stalled");
    assertEquals(List.of("first"), catalog.query(P, Query.where(Predicates.createdWithinLast(Predicates.MAX_WINDOW))).ids());
    clock.advance(Duration.ofNanos(1));
    assertEquals(0, catalog.count(P, Predicates.stalled()), "at exactly the threshold it is not yet");
    assertEquals(List.of("second", "first"), catalog.query(P, Query.where(Predicates.createdWithinLast(Duration.ofNanos(1)))).ids());
    clock.advance(Duration.ofNanos(1));
    assertEquals(List.of("first"), catalog.query(P, Query.where(Predicates.stalled())).ids());
    assertEquals(List.of("second"), catalog.query(P, Query.where(Predicates.createdWithinLast(Duration.ofNanos(1)))).ids());
    // a transition at MIN + 2 ns is dated so
    Backup progressed = catalog.apply(P, "first", 1, Transition.reportProgress(11)).orElseThrow();
    assertEquals(Instant.MIN.plusNanos(2), progressed.updatedAt());
    assertEquals(0, catalog.count(P, Predicates.stalled()));
  }

  @Test
  void aCatalogAtTheLastInstantDatesChangesThereAndTheFakeClockRefusesToPassIt() {
    FakeClock clock = FakeClock.at(Instant.MAX.minusNanos(1));
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(WHOLE.minusNanos(1))).build();
    catalog.add(running("old", BackupStatus.DELETING, Instant.MIN, Instant.MIN));
    catalog.add(available("last", Instant.MAX));
    assertEquals(0, catalog.count(P, Predicates.stalled()), "MAX - 1ns - (WHOLE - 1ns) = MIN: at exactly the threshold");
    refused("time window", () -> Predicates.createdWithinLast(WHOLE));
    // a backup created after now (MAX) is not in a window up to now
    assertEquals(0, catalog.count(P, Predicates.createdWithinLast(Predicates.MAX_WINDOW)));
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofNanos(2)));
    assertEquals(Instant.MAX.minusNanos(1), clock.instant(), "a refused advance leaves the clock");
    assertEquals(Instant.MAX, clock.advance(Duration.ofNanos(1)));
    assertEquals(List.of("old"), catalog.query(P, Query.where(Predicates.stalled())).ids(), "1 ns past the whole span");
    assertEquals(List.of("last"), catalog.query(P, Query.where(Predicates.createdWithinLast(Duration.ofNanos(1)))).ids());
    Backup deleting = catalog.apply(P, "last", 1, Transition.delete()).orElseThrow();
    assertEquals(Instant.MAX, deleting.updatedAt());
    assertEquals(Optional.empty(), catalog.apply(P, "last", deleting.version(), Transition.complete()));
    assertEquals(Optional.empty(), catalog.find(P, "last"));
  }

  @Test
  void theLargestThresholdsAtTheEndsOfTime() {
    Backup job = running("j", BackupStatus.RESTORING, Instant.MIN, Instant.MIN);
    StallRule whole = StallRule.ofThreshold(WHOLE);
    StallRule almost = StallRule.ofThreshold(WHOLE.minusNanos(1));
    StallRule largest = StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
    assertFalse(whole.isStalled(job, Instant.MAX));
    assertTrue(almost.isStalled(job, Instant.MAX));
    assertFalse(largest.isStalled(job, Instant.MAX));
    assertEquals(Instant.MIN, largest.stalledIfChangedBefore(Instant.MAX));
    assertEquals(Instant.MIN.plusNanos(1), almost.stalledIfChangedBefore(Instant.MAX));
    for (StallRule rule : List.of(whole, almost, largest)) {
      BackupCatalog catalog = Catalogs.builder().clock(FakeClock.at(Instant.MAX)).stallRule(rule).build();
      catalog.add(job);
      assertEquals(rule.isStalled(job, Instant.MAX) ? 1 : 0, catalog.count(P, Predicates.stalled()), rule.toString());
      assertEquals(rule.isStalled(job, Instant.MAX), Predicates.stalled().test(job, Instant.MAX, rule));
    }
  }

  @Test
  void aProgressTimeAfterNowIsNeverStalledUntilTheClockPassesIt() {
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofNanos(1))).build();
    Backup ahead = running("ahead", BackupStatus.CREATING, T.minusSeconds(1), T.plus(Duration.ofHours(1)));
    catalog.add(ahead);
    for (Duration threshold : List.of(Duration.ofNanos(1), Duration.ofMinutes(30), WHOLE)) {
      assertFalse(StallRule.ofThreshold(threshold).isStalled(ahead, T), threshold.toString());
    }
    assertEquals(0, catalog.count(P, Predicates.stalled()));
    clock.set(T.plus(Duration.ofHours(1)).plusNanos(1));
    assertEquals(0, catalog.count(P, Predicates.stalled()), "exactly the 1 ns threshold after the progress");
    clock.advance(Duration.ofNanos(1));
    assertEquals(1, catalog.count(P, Predicates.stalled()));
    // a transition dated before the progress time but after the last change... the builder kept updatedAt =
    // createdAt; the lifecycle compares with updatedAt only
    clock.set(T);
    Backup later = catalog.apply(P, "ahead", 1, Transition.reportProgress(20)).orElseThrow();
    assertEquals(Progress.of(20, T), later.progress().orElseThrow());
  }

  @Test
  void theDefaultTestOfAPredicateOnAClockUsesTheDefaultRule() {
    FakeClock clock = FakeClock.at(T);
    Backup job = running("d", BackupStatus.DELETING, T.minus(DAY), T.minus(Duration.ofMinutes(20)));
    assertFalse(Predicates.stalled().test(job, clock));
    assertTrue(Predicates.stalled().test(job, clock.instant(), StallRule.ofThreshold(Duration.ofMinutes(10))));
    clock.advance(Duration.ofMinutes(10));
    assertFalse(Predicates.stalled().test(job, clock), "exactly 30 minutes");
    clock.advance(Duration.ofNanos(1));
    assertTrue(Predicates.stalled().test(job, clock));
    assertTrue(StallRule.DEFAULT.isStalled(job, clock.withZone(ZoneId.of("Asia/Kathmandu"))));
  }

  // ------------------------------------------------------------------ windows and segments

  @Test
  void timeRangeLastIsWhatCreatedWithinLastMatchesOnRandomWindowsAndInstants() {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    Instant[] nows = {Instant.MIN, Instant.MIN.plusNanos(1), Instant.MIN.plus(Predicates.MAX_WINDOW), T, Instant.MAX,
        Instant.MAX.minusNanos(1), Instant.EPOCH};
    for (int round = 0; round < 300; round++) {
      String at = " (seed " + seed + ", round " + round + ")";
      Instant now = r.nextInt(3) == 0 ? nows[r.nextInt(nows.length)]
          : Instant.MIN.plusSeconds(Math.floorMod(r.nextLong(), WHOLE.getSeconds())).plusNanos(r.nextInt(1_000_000_000));
      Duration window = switch (r.nextInt(4)) {
        case 0 -> Duration.ofNanos(1 + r.nextInt(1000));
        case 1 -> Predicates.MAX_WINDOW.minusNanos(r.nextInt(3));
        case 2 -> Duration.ofDays(1 + r.nextInt(36_500));
        default -> Duration.ofSeconds(1 + Math.floorMod(r.nextLong(), Predicates.MAX_WINDOW.getSeconds()), r.nextInt(1_000_000_000));
      };
      if (window.compareTo(Predicates.MAX_WINDOW) > 0) {
        window = Predicates.MAX_WINDOW;
      }
      TimeRange range = TimeRange.last(window, now);
      BackupPredicate p = Predicates.createdWithinLast(window);
      assertEquals(Optional.of(now), range.end(), at);
      assertTrue(range.startInclusive() && range.endInclusive(), at);
      List<Instant> probes = new ArrayList<>(List.of(Instant.MIN, Instant.MAX, now));
      Instant start = range.start().orElseThrow();
      probes.add(start);
      if (start.isAfter(Instant.MIN)) {
        probes.add(start.minusNanos(1));
        assertEquals(now.minus(window), start, at);
      }
      if (now.isBefore(Instant.MAX)) {
        probes.add(now.plusNanos(1));
      }
      probes.add(start.plusNanos(1).isAfter(now) ? now : start.plusNanos(1));
      for (Instant created : probes) {
        Backup b = available("x", created);
        assertEquals(range.contains(created), p.test(b, now, StallRule.DEFAULT), created + " in " + range + at);
        assertEquals(range.contains(created), Predicates.createdIn(range).test(b, now, StallRule.DEFAULT), at);
      }
    }
  }

  @Test
  void theConsoleSegmentsAreTheirWindowsToTheNanosecondAndFollowTheClock() {
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    for (int days : new int[] {1, 7, 30}) {
      Instant edge = T.minus(Duration.ofDays(days));
      for (long off : new long[] {-2, -1, 0, 1, 2}) {
        all.add(available("e" + days + "_" + (off + 2), edge.plusNanos(off)));
      }
    }
    for (long off : new long[] {-1, 0, 1}) {
      all.add(available("now_" + (off + 1), T.plusNanos(off)));
    }
    all.add(available("min", Instant.MIN));
    all.add(available("max", Instant.MAX));
    catalog.addAll(all);
    for (int step = 0; step < 4; step++) {
      Instant now = clock.instant();
      for (int days : new int[] {1, 7, 30}) {
        ConsoleSearch s = ConsoleSearch.empty().withLastDays(days);
        Page page = catalog.query(P, s.toQuery(catalog.tagCatalogue(P), 100));
        TimeRange range = TimeRange.last(Duration.ofDays(days), now);
        List<String> expected = idsNewestFirst(all, b -> range.contains(b.createdAt()));
        assertEquals(expected, page.ids(), days + " days at " + now);
        assertEquals(expected.size(), page.total());
        assertEquals(expected.size(), catalog.count(P, s.toPredicate(catalog.tagCatalogue(P))));
        // the same range as a custom segment answers the same at any clock
        ConsoleSearch custom = ConsoleSearch.empty().withTimeRange(range);
        assertEquals(expected, catalog.query(P, custom.toQuery(catalog.tagCatalogue(P), 100)).ids());
      }
      clock.advance(Duration.ofNanos(1));
      if (step == 2) {
        clock.set(T.minusNanos(2));   // and back
      }
    }
  }

  @Test
  void exclusiveCustomSegmentsANanosecondApartAndThePointSegment() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(T));
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(available("p" + i, T.plusNanos(i)));
    }
    all.add(available("pmin", Instant.MIN));
    all.add(available("pmax", Instant.MAX));
    all.forEach(catalog::add);
    assertEquals(List.of("p2"), catalog.query(P, Query.where(Predicates.createdIn(TimeRange.of(T.plusNanos(1), false, T.plusNanos(3), false)))).ids());
    assertEquals(List.of("p3"), catalog.query(P, Query.where(Predicates.createdBetween(T.plusNanos(3), T.plusNanos(3)))).ids());
    assertEquals(0, catalog.count(P, Predicates.createdIn(TimeRange.of(T.plusNanos(1), false, T.plusNanos(2), false))));
    assertEquals(7, catalog.count(P, Predicates.createdBetween(Instant.MIN, Instant.MAX)));
    assertEquals(List.of("pmin"), catalog.query(P, Query.where(Predicates.createdIn(TimeRange.until(Instant.MIN)))).ids());
    assertEquals(0, catalog.count(P, Predicates.createdIn(TimeRange.before(Instant.MIN))));
    assertEquals(List.of("pmax"), catalog.query(P, Query.where(Predicates.createdIn(TimeRange.from(Instant.MAX)))).ids());
    assertEquals(0, catalog.count(P, Predicates.createdIn(TimeRange.of(Instant.MAX, false, null, true))));
    // a custom segment is absolute: it does not follow the clock; a console search with one equals itself
    ConsoleSearch a = ConsoleSearch.empty().withTimeRange(TimeRange.between(T, T.plusNanos(4)));
    assertEquals(a, ConsoleSearch.empty().withLastDays(7).withTimeRange(TimeRange.between(T, T.plusNanos(4))));
    assertEquals(Optional.empty(), a.createdWithinLast());
    assertEquals(ConsoleSearch.empty(), a.withTimeRange(TimeRange.all()));
    assertEquals(ConsoleSearch.empty().withLastDays(30), ConsoleSearch.empty().withCreatedWithinLast(Duration.ofDays(30)));
    assertEquals(Optional.empty(), ConsoleSearch.empty().withTimeRange(TimeRange.between(T, T)).withLastDays(1).timeRange());
  }

  @Test
  void aSubscriberMovingTheClockSeesWindowsAndStallsAsAScanAtEachInstant() throws Exception {
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(45))).build();
    List<Backup> model = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicLong delivered = new AtomicLong();
    Duration window = Duration.ofHours(5);
    Subscription sub = catalog.subscribe(change -> {
      try {
        clock.advance(Duration.ofMinutes(17));
        Instant now = clock.instant();
        long expectedWindow = model.stream().filter(b -> TimeRange.last(window, now).contains(b.createdAt())).count();
        long expectedStalled = model.stream().filter(b -> b.status().isIntermediate()
            && StallRule.ofThreshold(Duration.ofMinutes(45)).isStalled(b, now)).count();
        long w = catalog.count(P, Predicates.createdWithinLast(window));
        long s = catalog.count(P, Predicates.stalled());
        long wq = catalog.query(P, Query.where(Predicates.createdWithinLast(window))).total();
        if (w != expectedWindow || wq != expectedWindow || s != expectedStalled) {
          problems.add("at " + now + " after " + change.backupId() + ": window " + w + "/" + wq + " expected "
              + expectedWindow + ", stalled " + s + " expected " + expectedStalled);
        }
      } catch (Throwable t) {
        problems.add(t.toString());
      } finally {
        delivered.incrementAndGet();
      }
    });
    try {
      for (int i = 0; i < 40; i++) {
        Instant created = T.plus(Duration.ofMinutes(17L * i)).minus(Duration.ofHours(5)).plusNanos(i % 3 - 1);
        Backup b = i % 4 == 0 ? running("s" + i, BackupStatus.CREATING, created, created)
            : available("s" + i, created);
        model.add(b);
        catalog.add(b);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (delivered.get() < 40 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(40, delivered.get());
    } finally {
      sub.cancel();
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void theSameWindowSearchRepeatedAsTheClockMovesBothWaysWithoutAChange() {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      all.add(available("w" + i, T.minus(Duration.ofMinutes(r.nextInt(3 * 24 * 60))).plusNanos(r.nextInt(3))));
    }
    catalog.addAll(all);
    BackupPredicate lastDay = Predicates.createdWithinLast(DAY);
    for (int round = 0; round < 120; round++) {
      Instant now = T.minus(Duration.ofMinutes(r.nextInt(3 * 24 * 60))).plusNanos(r.nextInt(3));
      clock.set(now);
      TimeRange range = TimeRange.last(DAY, now);
      List<String> expected = idsNewestFirst(all, b -> range.contains(b.createdAt()));
      String at = " (seed " + seed + ", round " + round + ", now " + now + ")";
      assertEquals(expected.size(), catalog.count(P, lastDay), at);
      Page page = catalog.query(P, Query.builder().where(lastDay).limit(10).build());
      assertEquals(expected.size(), page.total(), at);
      assertEquals(expected.subList(0, Math.min(10, expected.size())), page.ids(), at);
    }
  }

  @Test
  void windowAndStallAnswersFollowTheClockWhileAWriterChangesOtherBackups() throws Exception {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(T);
    StallRule rule = StallRule.ofThreshold(Duration.ofMinutes(90));
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
    List<Backup> fixed = new ArrayList<>();
    for (int k = 0; k < 60; k++) {
      Instant created = T.minus(Duration.ofMinutes(37L * k)).plusNanos(k % 3);
      fixed.add(k % 5 == 0 ? running("f" + k, BackupStatus.RESTORING, created, created) : available("f" + k, created));
    }
    catalog.addAll(fixed);
    Instant old = T.minus(Duration.ofDays(3650));
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; !stop.get(); i++) {
          catalog.add(available("old" + i, old.plusSeconds(i % 1000)));
          catalog.remove(P, "old" + i, 1);
        }
      } catch (Throwable t) {
        writerFailure.set(t);
      }
    });
    writer.setDaemon(true);
    writer.start();
    List<String> problems = new ArrayList<>();
    BackupPredicate lastDay = Predicates.createdWithinLast(DAY);
    ConsoleSearch console = ConsoleSearch.empty().withLastDays(1);
    try {
      for (int round = 0; round < 300 && problems.isEmpty(); round++) {
        Instant now = T.minus(Duration.ofMinutes(37L * r.nextInt(70))).plusNanos(r.nextInt(4) - 1);
        clock.set(now);
        TimeRange range = TimeRange.last(DAY, now);
        long inWindow = fixed.stream().filter(b -> range.contains(b.createdAt())).count();
        long stalled = fixed.stream().filter(b -> b.status().isIntermediate() && rule.isStalled(b, now)).count();
        long count = catalog.count(P, lastDay);
        Page page = catalog.query(P, console.toQuery(catalog.tagCatalogue(P), 10));
        long stalledCount = catalog.count(P, Predicates.stalled());
        if (count != inWindow || page.total() != inWindow || stalledCount != stalled) {
          problems.add("round " + round + " at " + now + ": window count " + count + ", page total " + page.total()
              + ", expected " + inWindow + "; stalled " + stalledCount + ", expected " + stalled);
        }
      }
    } finally {
      stop.set(true);
      writer.join(30_000);
    }
    assertEquals(null, writerFailure.get());
    assertEquals(List.of(), problems, "seed " + seed);
  }

  /** Backups at the very edges of a 1-day window whose end the clock reading decides. */
  private static List<Backup> edgeBackups(String project, Instant now) {
    List<Backup> list = new ArrayList<>();
    for (long off = -3; off <= 3; off++) {
      list.add(Backup.builder().id("at" + (off + 3)).name("a").projectId(project).server(SRV)
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(now.plusNanos(off)).build());
      list.add(Backup.builder().id("start" + (off + 3)).name("s").projectId(project).server(SRV)
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(now.minus(DAY).plusNanos(off)).build());
    }
    return list;
  }

  @Test
  void aClockThatGoesBackAtEveryReadingStillGivesEachQueryOneNow() {
    BackwardsClock clock = new BackwardsClock(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.addAll(edgeBackups(P, T));
    catalog.addAll(edgeBackups("other-π", T));
    BackupPredicate w = Predicates.createdWithinLast(DAY);
    BackupPredicate contradiction = Predicates.and(w, Predicates.not(w));
    BackupPredicate everything = Predicates.or(w, Predicates.not(w));
    // (and/or of p and not p are not simplified away by normalization, so the catalog must evaluate both)
    for (int i = 0; i < 10; i++) {
      assertEquals(0, catalog.count(P, contradiction), "count " + i);
      assertEquals(0, catalog.query(P, Query.where(contradiction)).total(), "query " + i);
      assertEquals(14, catalog.count(P, everything), "count " + i);
      Page page = catalog.query(P, Query.builder().where(everything).limit(100).build());
      assertEquals(14, page.total());
      assertEquals(14, page.ids().size());
      assertEquals(0, catalog.countAllProjects(contradiction));
      assertEquals(28, catalog.queryAllProjects(Query.builder().where(everything).limit(100).build()).total());
      // a page and its total agree with each other at the one instant read
      Page windowPage = catalog.query(P, Query.builder().where(w).limit(100).build());
      assertEquals(windowPage.ids().size(), windowPage.total(), windowPage.ids().toString());
    }
    // a view answers every call at one instant
    List<Long> counts = catalog.read(P, view -> {
      List<Long> c = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        c.add(view.count(w));
        c.add(view.query(Query.builder().where(w).limit(100).build()).total());
      }
      return c;
    });
    assertEquals(1, counts.stream().distinct().count(), counts.toString());
  }

  private static Comparator<Backup> comparator(Sort sort) {
    Comparator<Backup> c = null;
    for (SortKey key : sort.keys()) {
      Comparator<Backup> k = switch (key.field()) {
        case CREATED_AT -> Comparator.comparing(Backup::createdAt);
        case UPDATED_AT -> Comparator.comparing(Backup::updatedAt);
        case NAME -> Comparator.comparing(Backup::name);
        case STATUS -> Comparator.comparing(Backup::status);
        case ID -> Comparator.comparing(Backup::id);
      };
      k = key.ascending() ? k : k.reversed();
      c = c == null ? k : c.thenComparing(k);
    }
    Comparator<Backup> id = Comparator.comparing(Backup::id);
    return c.thenComparing(sort.keys().get(0).ascending() ? id : id.reversed());
  }

  private static List<String> walk(BackupCatalog catalog, Query query) {
    List<String> ids = new ArrayList<>();
    Page page = catalog.query(P, query);
    ids.addAll(page.ids());
    int guard = 0;
    while (page.hasMore() && guard++ < 1000) {
      page = catalog.query(P, query.after(page.nextMarker().orElseThrow()));
      ids.addAll(page.ids());
    }
    return ids;
  }

  @Test
  void aRandomLifeOnANanosecondClockDatesEveryChangeAndSortsByTheLastChange() {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(T);
    StallRule rule = StallRule.ofThreshold(Duration.ofNanos(5));
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
    java.util.Map<String, Backup> model = new java.util.TreeMap<>();
    Instant[] extremes = {Instant.MIN, Instant.MIN.plusNanos(1), Instant.MAX, Instant.MAX.minusNanos(1)};
    for (int i = 0; i < 8; i++) {
      Instant created = i < 4 ? extremes[i] : T.minusNanos(r.nextInt(20));
      Backup.Builder b = Backup.builder().id("r" + i).name(i % 2 == 0 ? "Ωmega" : "alpha_" + i).projectId(P).server(SRV)
          .status(BackupStatus.AVAILABLE).type(BackupType.ENHANCED).sizeMb(i).createdAt(created);
      if (i == 0) {
        b.updatedAt(T.minusNanos(3));   // an old backup changed recently
      }
      Backup built = b.build();
      model.put(built.id(), built);
      catalog.add(built);
    }
    List<Sort> sorts = List.of(Sort.by(SortKey.desc(SortField.UPDATED_AT)), Sort.by(SortKey.asc(SortField.UPDATED_AT)),
        Sort.by(SortKey.desc(SortField.UPDATED_AT), SortKey.asc(SortField.NAME)), Sort.DEFAULT);
    for (int step = 0; step < 250; step++) {
      String at = " (seed " + seed + ", step " + step + ", clock " + clock.instant() + ")";
      if (r.nextInt(10) == 0) {
        clock.set(clock.instant().minusNanos(1 + r.nextInt(3)));   // set back a little
      } else {
        clock.advance(Duration.ofNanos(r.nextInt(4)));
      }
      Instant now = clock.instant();
      List<String> ids = new ArrayList<>(model.keySet());
      Backup b = model.get(ids.get(r.nextInt(ids.size())));
      Transition t;
      if (b.status().isIntermediate()) {
        int roll = r.nextInt(4);
        t = roll == 0 ? Transition.complete() : roll == 1 ? Transition.fail("fehler " + step)
            : Transition.reportProgress(Math.min(100, b.progress().orElseThrow().percent() + r.nextInt(3)));
      } else {
        int roll = r.nextInt(3);
        t = roll == 0 ? Transition.restore() : roll == 1 ? Transition.delete() : null;
      }
      try {
        if (t == null) {
          Backup tagged = catalog.updateTags(P, b.id(), b.version(), TagUpdate.create(Tag.of("k", "v" + step)));
          assertEquals(now, tagged.updatedAt(), "tags dated by the clock" + at);
          model.put(b.id(), tagged);
        } else {
          Optional<Backup> after = catalog.apply(P, b.id(), b.version(), t);
          if (after.isEmpty()) {
            model.remove(b.id());
            Backup again = Backup.builder().id(b.id()).name(b.name()).projectId(P).server(SRV)
                .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(b.createdAt()).build();
            catalog.add(again);
            model.put(again.id(), again);
          } else {
            Backup next = after.get();
            if (next.version() != b.version()) {
              assertEquals(now, next.updatedAt(), t + at);
              assertFalse(now.isBefore(b.updatedAt()), "a change dated before the last one was taken" + at);
            }
            next.progress().ifPresent(p -> assertFalse(p.changedAt().isAfter(now), at));
            model.put(b.id(), next);
          }
        }
      } catch (InvalidValueException e) {
        assertTrue(now.isBefore(b.updatedAt()), e.getMessage() + at);
        assertEquals(b.createdAt().isAfter(now) && t == null ? "updated at" : "now", e.field(), e.getMessage() + at);
        assertEquals(b, catalog.get(P, b.id()), "nothing changed" + at);
      } catch (IllegalTransitionException e) {
        assertEquals(b, catalog.get(P, b.id()), at);
      }
      Sort sort = sorts.get(r.nextInt(sorts.size()));
      List<String> expected = model.values().stream().sorted(comparator(sort)).map(Backup::id).collect(Collectors.toList());
      assertEquals(expected, walk(catalog, Query.builder().sort(sort).limit(1 + r.nextInt(4)).build()), sort + at);
      long stalled = model.values().stream().filter(x -> rule.isStalled(x, now)).count();
      assertEquals(stalled, catalog.count(P, Predicates.stalled()), at);
      Duration w = Duration.ofNanos(1 + r.nextInt(30));
      long inWindow = model.values().stream().filter(x -> TimeRange.last(w, now).contains(x.createdAt())).count();
      assertEquals(inWindow, catalog.count(P, Predicates.createdWithinLast(w)), w + at);
    }
  }

  // ------------------------------------------------------------------ order and markers at the ends of time

  @Test
  void pagingByMarkerAcrossTheEndsOfTimeAndNanoseconds() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(Instant.MAX));
    List<Backup> all = new ArrayList<>();
    Instant[] times = {Instant.MIN, Instant.MIN.plusNanos(1), Instant.EPOCH.minusNanos(1), Instant.EPOCH, T,
        T.plusNanos(1), Instant.MAX.minusNanos(1), Instant.MAX};
    for (int i = 0; i < times.length; i++) {
      all.add(available("m" + (times.length - i), times[i]));
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      catalog.add(all.get(i));   // added out of order
    }
    List<String> expected = idsNewestFirst(all, b -> true);
    List<String> walked = new ArrayList<>();
    Query q = Query.builder().limit(3).build();
    Page page = catalog.query(P, q);
    walked.addAll(page.ids());
    while (page.hasMore()) {
      page = catalog.query(P, q.after(page.nextMarker().orElseThrow()));
      walked.addAll(page.ids());
    }
    assertEquals(expected, walked);
    // the same walk over the last 1 ns at MAX, and over every time before MIN + 1 ns
    assertEquals(List.of("m1", "m2"), catalog.query(P, Query.where(Predicates.createdWithinLast(Duration.ofNanos(1)))).ids());
    assertEquals(List.of("m2"), catalog.query(P, Query.where(Predicates.createdWithinLast(Duration.ofNanos(1))).after("m1")).ids());
    assertEquals(List.of("m7", "m8"), catalog.query(P, Query.builder().where(Predicates.createdIn(TimeRange.until(Instant.MIN.plusNanos(1))))
        .limit(5).build().after("m6")).ids());
  }

  @Test
  void aWindowPagedByMarkerWhileTheClockMovesPlacesEachPageAfterTheMarker() {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      all.add(available("k" + r.nextInt(40) + "_" + i, T.minus(Duration.ofMinutes(r.nextInt(180))).plusNanos(r.nextInt(2))));
    }
    catalog.addAll(all);
    BackupPredicate hour = Predicates.createdWithinLast(Duration.ofHours(1));
    for (int round = 0; round < 20; round++) {
      clock.set(T.plus(Duration.ofMinutes(r.nextInt(60))));
      Sort sort = r.nextBoolean() ? Sort.DEFAULT : Sort.by(SortKey.asc(SortField.CREATED_AT));
      Comparator<Backup> order = comparator(sort);
      Query query = Query.builder().where(hour).sort(sort).limit(1 + r.nextInt(8)).build();
      Page page = catalog.query(P, query);
      int pages = 0;
      while (page.hasMore() && pages++ < 100) {
        Backup marker = catalog.get(P, page.nextMarker().orElseThrow());
        clock.advance(Duration.ofMinutes(r.nextInt(4)).plusNanos(r.nextInt(2)));
        Instant now = clock.instant();
        TimeRange range = TimeRange.last(Duration.ofHours(1), now);
        List<Backup> matching = all.stream().filter(b -> range.contains(b.createdAt())).sorted(order).collect(Collectors.toList());
        List<String> after = matching.stream().filter(b -> order.compare(b, marker) > 0).map(Backup::id).collect(Collectors.toList());
        page = catalog.query(P, query.after(marker.id()));
        String at = " (seed " + seed + ", round " + round + ", " + sort + ", marker " + marker.id() + " " + marker.createdAt()
            + ", now " + now + ")";
        assertEquals(matching.size(), page.total(), at);
        assertEquals(after.subList(0, Math.min(query.limit(), after.size())), page.ids(), at);
        assertEquals(after.size() > query.limit(), page.hasMore(), at);
      }
    }
  }

  @Test
  void windowsUnderEverySortAndOffsetOnAProjectFilledOutOfOrderAnswerAsTheScan() {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    BackupStatus[] states = {BackupStatus.AVAILABLE, BackupStatus.AVAILABLE, BackupStatus.ERROR, BackupStatus.CREATING};
    for (int i = 0; i < 2500; i++) {
      Instant created = T.minus(Duration.ofSeconds(r.nextInt(4 * 24 * 3600))).plusNanos(r.nextInt(3));
      BackupStatus status = states[r.nextInt(states.length)];
      Backup.Builder b = Backup.builder().id(Integer.toString(r.nextInt(1 << 20), 36) + "-" + i)
          .name(List.of("Ä", "a", "zz", "_x").get(r.nextInt(4)) + r.nextInt(50)).projectId(P).server(SRV).status(status)
          .sizeMb(i).createdAt(created);
      if (status == BackupStatus.ERROR) {
        b.failure(Failure.of(JobType.BACKUP, "e", created));
      } else if (status == BackupStatus.CREATING) {
        b.progress(Progress.of(1, created));
      }
      all.add(b.build());
    }
    // the first half in one load, the rest one by one in random order (late rows)
    List<Backup> bulk = new ArrayList<>(all.subList(0, 1250));
    catalog.addAll(bulk);
    for (Backup b : all.subList(1250, all.size())) {
      catalog.add(b);
    }
    List<Sort> sorts = List.of(Sort.DEFAULT, Sort.by(SortKey.asc(SortField.CREATED_AT)), Sort.by(SortKey.asc(SortField.NAME)),
        Sort.by(SortKey.desc(SortField.UPDATED_AT), SortKey.desc(SortField.NAME)), Sort.by(SortKey.asc(SortField.STATUS)));
    for (int round = 0; round < 120; round++) {
      clock.set(T.minus(Duration.ofSeconds(r.nextInt(2 * 24 * 3600))).plusNanos(r.nextInt(3)));
      Instant now = clock.instant();
      Duration window = r.nextBoolean() ? Duration.ofDays(1 + r.nextInt(3)) : Duration.ofSeconds(1 + r.nextInt(100_000), r.nextInt(3));
      BackupPredicate w = Predicates.createdWithinLast(window);
      int kind = r.nextInt(4);
      BackupPredicate p = switch (kind) {
        case 0 -> w;
        case 1 -> Predicates.and(w, Predicates.status(BackupStatus.AVAILABLE));
        case 2 -> Predicates.not(w);
        default -> Predicates.or(Predicates.and(w, Predicates.status(BackupStatus.ERROR)), Predicates.status(BackupStatus.CREATING));
      };
      Sort sort = sorts.get(r.nextInt(sorts.size()));
      TimeRange range = TimeRange.last(window, now);
      java.util.function.Predicate<Backup> scan = switch (kind) {
        case 0 -> b -> range.contains(b.createdAt());
        case 1 -> b -> range.contains(b.createdAt()) && b.status() == BackupStatus.AVAILABLE;
        case 2 -> b -> !range.contains(b.createdAt());
        default -> b -> (range.contains(b.createdAt()) && b.status() == BackupStatus.ERROR) || b.status() == BackupStatus.CREATING;
      };
      List<String> expected = all.stream().filter(scan).sorted(comparator(sort)).map(Backup::id).collect(Collectors.toList());
      int limit = 1 + r.nextInt(30);
      int offset = expected.isEmpty() ? 0 : r.nextInt(expected.size() + 2);
      Page page = catalog.query(P, Query.builder().where(p).sort(sort).limit(limit).offset(offset).build());
      String at = " (seed " + seed + ", round " + round + ", " + p + ", " + sort + ", now " + now + ")";
      assertEquals(expected.size(), page.total(), at);
      assertEquals(expected.subList(Math.min(offset, expected.size()), Math.min(offset + limit, expected.size())), page.ids(), at);
      assertEquals(expected.size(), catalog.count(P, p), at);
    }
  }

  // ------------------------------------------------------------------ Lifecycle given now

  @Test
  void lifecycleFunctionsAtTheEndsOfTimeAndOneNanosecondBack() {
    Backup b = Backup.builder().id("l").name("l").projectId(P).server(SRV).status(BackupStatus.AVAILABLE)
        .type(BackupType.ENHANCED).sizeMb(1).createdAt(Instant.MIN).finishedAt(Instant.MIN.plusNanos(5)).build();
    Backup r = Lifecycle.instantRestore(b, Instant.MIN);
    assertEquals(Instant.MIN, r.updatedAt());
    refused("now", () -> Lifecycle.reportProgress(Lifecycle.reportProgress(r, 5, Instant.MAX), 6, Instant.MAX.minusNanos(1)));
    Backup p = Lifecycle.reportProgress(r, 5, Instant.MAX);
    assertSame(p, Lifecycle.reportProgress(p, 5, Instant.MAX));
    refused("now", () -> Lifecycle.reportProgress(p, 5, Instant.MAX.minusNanos(1)));
    Backup done = Lifecycle.complete(p, Instant.MAX).orElseThrow();
    assertEquals(Optional.of(Instant.MIN.plusNanos(5)), done.finishedAt());
    Backup deleting = Lifecycle.delete(done, Instant.MAX);
    Backup failed = Lifecycle.fail(deleting, "störung ☂", Instant.MAX);
    assertEquals(Failure.of(JobType.DELETE, "störung ☂", Instant.MAX), failed.failure().orElseThrow());
    assertEquals(Optional.of(Instant.MIN.plusNanos(5)), failed.finishedAt(), "a failed deletion keeps the finish");
    Backup creating = Backup.builder().id("c").name("c").projectId(P).server(SRV).status(BackupStatus.CREATING)
        .sizeMb(1).createdAt(T).progress(Progress.of(0, T)).build();
    Backup failedJob = Lifecycle.fail(creating, "x", T.plusNanos(1));
    assertEquals(Optional.of(T.plusNanos(1)), failedJob.finishedAt());
  }

  /** A clock that must not be read. */
  private static final class UnreadableClock extends Clock {
    final AtomicLong reads = new AtomicLong();

    @Override
    public Instant instant() {
      reads.incrementAndGet();
      throw new IllegalStateException("this clock must not be read");
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void aReplayedChangeKeepsItsTimesAndReadsNoClockEvenOneBehindIt() {
    FakeClock clock = FakeClock.at(Instant.MAX.minusSeconds(10));
    BackupCatalog primary = Catalogs.indexed(clock);
    UnreadableClock unreadable = new UnreadableClock();
    BackupCatalog replica = Catalogs.indexed(unreadable);
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicLong delivered = new AtomicLong();
    Subscription sub = primary.subscribe(change -> {
      try {
        assertTrue(replica.replay(change));
      } catch (Throwable t) {
        failures.add(t);
      } finally {
        delivered.incrementAndGet();
      }
    });
    try {
      primary.add(available("rp", Instant.MIN));
      clock.advance(Duration.ofNanos(1));
      Backup deleting = primary.apply(P, "rp", 1, Transition.delete()).orElseThrow();
      clock.advance(Duration.ofSeconds(9).plusNanos(999_999_999));
      Backup failed = primary.apply(P, "rp", deleting.version(), Transition.fail("⏰")).orElseThrow();
      Backup tagged = primary.updateTags(P, "rp", failed.version(), TagUpdate.create(Tag.of("zeit", "ende")));
      assertEquals(Instant.MAX, tagged.updatedAt());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (delivered.get() < 4 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(4, delivered.get());
    } finally {
      sub.cancel();
    }
    assertEquals(List.of(), failures.stream().map(Throwable::toString).collect(Collectors.toList()));
    assertEquals(primary.get(P, "rp"), replica.get(P, "rp"));
    assertEquals(0, unreadable.reads.get(), "replay reads no clock");
    // a replica whose own clock is far behind the changes it installs still installs them
    BackupCatalog behind = Catalogs.indexed(FakeClock.at(Instant.MIN));
    behind.load(primary.read(P, io.csbs.catalog.ProjectView::snapshot));
    assertEquals(primary.get(P, "rp"), behind.get(P, "rp"));
    // and its own transitions are then refused naming now
    long v = behind.get(P, "rp").version();
    refused("now", () -> behind.apply(P, "rp", v, Transition.delete()));
  }

  @Test
  void consoleSegmentsArePredicatesAndDaysAreFixedLengthsWhateverTheZone() {
    io.csbs.query.TagCatalogue none = io.csbs.query.TagCatalogue.empty();
    for (int days : new int[] {1, 7, 30}) {
      assertEquals(Predicates.createdWithinLast(Duration.ofDays(days)), ConsoleSearch.empty().withLastDays(days).toPredicate(none));
    }
    TimeRange range = TimeRange.of(T, false, Instant.MAX, true);
    assertEquals(Predicates.createdIn(range), ConsoleSearch.empty().withTimeRange(range).toPredicate(none));
    assertEquals(Predicates.all(), ConsoleSearch.empty().withTimeRange(TimeRange.all()).toPredicate(none));
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withLastDays(1).withTimeRange(TimeRange.of(null, false, null, false)));
    ConsoleSearch everything = ConsoleSearch.empty().withTimeRange(TimeRange.between(Instant.MIN, Instant.MAX));
    assertEquals(Optional.of(TimeRange.between(Instant.MIN, Instant.MAX)), everything.timeRange(), "a bounded range is a segment");
    // the clock stands in Berlin the day after summer time began: 7 days are still 168 hours
    Instant now = Instant.parse("2026-03-30T10:00:00Z");   // 12:00 in Berlin
    FakeClock berlin = FakeClock.at(now).withZone(ZoneId.of("Europe/Berlin"));
    BackupCatalog catalog = Catalogs.indexed(berlin);
    catalog.add(available("h168", now.minus(Duration.ofHours(168))));
    catalog.add(available("h168n", now.minus(Duration.ofHours(168)).minusNanos(1)));
    catalog.add(available("sameLocalTime", Instant.parse("2026-03-23T11:00:00Z")));   // 12:00 in Berlin, 167 h back
    catalog.add(available("h169", now.minus(Duration.ofHours(169))));
    ConsoleSearch week = ConsoleSearch.empty().withLastDays(7);
    assertEquals(List.of("sameLocalTime", "h168"), catalog.query(P, week.toQuery(catalog.tagCatalogue(P), 10)).ids());
    assertEquals("ConsoleSearch{created within last 7 days}", week.toString());
    assertEquals("ConsoleSearch{created within last 1 day}", ConsoleSearch.empty().withLastDays(1).toString());
  }

  @Test
  void manyProjectsAtTheSameInstantsPageTheirWindowsAcrossTheAllProjectsView() {
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<String> projects = List.of("p-α", "P-A", "p-a", "p-\uD83D\uDE00", "p-\uFFFD", "p-0", "p-\u00E9");
    List<Backup> all = new ArrayList<>();
    java.util.Map<Backup, String> projectOf = new java.util.IdentityHashMap<>();
    for (String project : projects) {
      for (long off : new long[] {-1, 0, 1}) {
        for (String id : List.of("same", "x" + off)) {
          Instant created = T.minus(DAY).plusNanos(off);
          Backup b = Backup.builder().id(id + (off + 1)).name("n").projectId(project).server(SRV)
              .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(created).build();
          catalog.add(b);
          all.add(b);
          projectOf.put(b, project);
        }
      }
    }
    for (int step = 0; step < 3; step++) {
      Instant now = clock.instant();
      TimeRange range = TimeRange.last(DAY, now);
      BackupPredicate w = Predicates.createdWithinLast(DAY);
      for (Sort sort : List.of(Sort.DEFAULT, Sort.by(SortKey.asc(SortField.CREATED_AT)))) {
        Comparator<Backup> c = comparator(sort).thenComparing(Backup::projectId);
        List<String> expected = all.stream().filter(b -> range.contains(b.createdAt())).sorted(c)
            .map(b -> b.projectId() + "/" + b.id()).collect(Collectors.toList());
        List<String> walked = new ArrayList<>();
        for (long offset = 0; offset < expected.size() + 3; offset += 4) {
          Page page = catalog.queryAllProjects(Query.builder().where(w).sort(sort).limit(4).offset(offset).build());
          assertEquals(expected.size(), page.total(), sort + " at " + now);
          page.backups().forEach(b -> walked.add(b.projectId() + "/" + b.id()));
        }
        assertEquals(expected, walked, sort + " at " + now);
        assertEquals(expected.size(), catalog.countAllProjects(w));
      }
      clock.advance(Duration.ofNanos(1));
    }
  }

  @Test
  void timeCriteriaCombinedAtTheEndsOfTimeAnswerAsTheirOwnTest() {
    Instant[] instants = {Instant.MIN, Instant.MIN.plusNanos(1), Instant.MIN.plus(Predicates.MAX_WINDOW),
        Instant.EPOCH, Instant.MAX.minus(Predicates.MAX_WINDOW), Instant.MAX.minusNanos(1), Instant.MAX};
    List<Backup> backups = new ArrayList<>();
    int n = 0;
    for (Instant created : instants) {
      for (Instant progress : instants) {
        if (progress.isBefore(created)) {
          continue;
        }
        BackupStatus status = List.of(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING).get(n % 3);
        backups.add(running("j" + n++, status, created, progress));
      }
      backups.add(available("a" + n++, created));
    }
    List<BackupPredicate> predicates = new ArrayList<>();
    for (Duration window : List.of(Duration.ofNanos(1), Predicates.MAX_WINDOW, DAY)) {
      BackupPredicate w = Predicates.createdWithinLast(window);
      predicates.add(w);
      predicates.add(Predicates.not(w));
      predicates.add(Predicates.and(w, Predicates.stalled()));
      predicates.add(Predicates.or(w, Predicates.stalled()));
      predicates.add(Predicates.and(Predicates.not(w), Predicates.not(Predicates.stalled())));
    }
    predicates.add(Predicates.stalled());
    predicates.add(Predicates.not(Predicates.stalled()));
    predicates.add(Predicates.and(Predicates.stalled(), Predicates.createdBetween(Instant.MIN, Instant.MIN.plusNanos(1))));
    for (Duration threshold : List.of(Duration.ofNanos(1), Duration.ofMinutes(30), Predicates.MAX_WINDOW, WHOLE.minusNanos(1), WHOLE,
        Duration.ofSeconds(Long.MAX_VALUE, 999_999_999))) {
      StallRule rule = StallRule.ofThreshold(threshold);
      FakeClock clock = FakeClock.at(Instant.MIN);
      BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
      catalog.addAll(backups);
      for (Instant now : instants) {
        clock.set(now);
        for (BackupPredicate p : predicates) {
          List<String> expected = idsNewestFirst(backups, b -> p.test(b, now, rule));
          String at = p + " at " + now + " with " + threshold;
          assertEquals(expected.size(), catalog.count(P, p), at);
          Page page = catalog.query(P, Query.builder().where(p).limit(1000).build());
          assertEquals(expected, page.ids(), at);
        }
      }
    }
  }

  private static Backup taggedChangedAt(Instant updatedAt) {
    return Backup.builder().id("tg").name("tg").projectId(P).server(SRV).status(BackupStatus.AVAILABLE).sizeMb(1)
        .createdAt(T).updatedAt(updatedAt).addTags(Tag.of("env", "prod")).build();
  }

  @Test
  void anUpdateThatChangesNothingIsReturnedAtAnyNowWhereASamePercentageIsRefused() {
    Backup b = taggedChangedAt(T.plusSeconds(60));
    assertSame(b, TagUpdate.create(Tag.of("env", "prod")).applyTo(b, T.plusSeconds(30)));
    assertSame(b, TagUpdate.delete(TagUpdate.Match.key("absent")).applyTo(b, Instant.MIN));
    refused("now", () -> TagUpdate.create(Tag.of("env", "test")).applyTo(b, T.plusSeconds(30)));
    // the lifecycle's no-op is refused at such a now
    Backup restoring = Lifecycle.restore(b, T.plusSeconds(60));
    refused("now", () -> Lifecycle.reportProgress(restoring, 0, T.plusSeconds(59)));
    // and so in a catalog
    FakeClock clock = FakeClock.at(T.plusSeconds(60));
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(b);
    Backup r = catalog.apply(P, "tg", b.version(), Transition.restore()).orElseThrow();
    clock.set(T.plusSeconds(30));
    refused("now", () -> catalog.apply(P, "tg", r.version(), Transition.reportProgress(0)));
    assertEquals(r, catalog.updateTags(P, "tg", r.version(), TagUpdate.create(Tag.of("env", "prod"))));
    assertEquals(r, catalog.get(P, "tg"));
  }

  @Test
  void aWindowSearchBesideAWaitingChangeAnswersTheStateBeforeItAtTheNewNow() throws Exception {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> before = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      before.add(available("v" + i, T.minus(Duration.ofMinutes(r.nextInt(3 * 24 * 60))).plus(Duration.ofMinutes(r.nextInt(24 * 60)))));
    }
    catalog.addAll(before);
    BackupPredicate lastDay = Predicates.createdWithinLast(DAY);
    BackupPredicate sixHours = Predicates.and(Predicates.createdWithinLast(Duration.ofHours(6)), Predicates.status(BackupStatus.AVAILABLE));
    Function<Instant, List<String>> expectedDay = now -> idsNewestFirst(before, b -> TimeRange.last(DAY, now).contains(b.createdAt()));
    Function<Instant, Long> expectedSix = now -> before.stream()
        .filter(b -> TimeRange.last(Duration.ofHours(6), now).contains(b.createdAt())).count();
    String at = " (seed " + seed + ")";
    // proven once in this state, at T
    assertEquals(expectedDay.apply(T).size(), catalog.count(P, lastDay), at);
    assertEquals(expectedSix.apply(T), catalog.count(P, sixHours), at);
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread reader = new Thread(() -> catalog.read(P, view -> {
      holding.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return null;
    }));
    reader.setDaemon(true);
    reader.start();
    assertTrue(holding.await(30, TimeUnit.SECONDS));
    Backup late = available("late", T.plus(Duration.ofMinutes(90)));
    Thread writer = new Thread(() -> catalog.add(late));
    writer.setDaemon(true);
    writer.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (writer.getState() == Thread.State.RUNNABLE && System.nanoTime() < deadline) {
        Thread.onSpinWait();   // until the writer waits for the project
      }
      Thread.sleep(20);        // past the 10 ms after which a waiting change goes first without limit
      for (int minutes : new int[] {0, 60, 120, 181, 0, 1440, 60}) {
        Instant now = T.plus(Duration.ofMinutes(minutes));
        clock.set(now);
        List<String> expected = expectedDay.apply(now);
        assertEquals(expected.size(), catalog.count(P, lastDay), "count at " + now + at);
        Page page = catalog.query(P, Query.builder().where(lastDay).limit(5).build());
        assertEquals(expected.size(), page.total(), "total at " + now + at);
        assertEquals(expected.subList(0, Math.min(5, expected.size())), page.ids(), "page at " + now + at);
        assertEquals(expectedSix.apply(now), catalog.count(P, sixHours), "6 hours at " + now + at);
      }
      assertTrue(writer.isAlive(), "the change waits for the read");
    } finally {
      release.countDown();
      writer.join(30_000);
      reader.join(30_000);
    }
    before.add(late);
    Instant now = clock.instant();
    assertEquals(expectedDay.apply(now).size(), catalog.count(P, lastDay), at);
    clock.set(T.plus(Duration.ofMinutes(100)));
    assertEquals(expectedDay.apply(clock.instant()), catalog.query(P, Query.builder().where(lastDay).limit(1000).build()).ids(), at);
  }

  @Test
  void usageOverTimeCriteriaFollowsTheClockAndTheCatalogsRule() {
    FakeClock clock = FakeClock.at(T);
    StallRule rule = StallRule.ofThreshold(Duration.ofSeconds(1));
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
    List<Backup> all = new ArrayList<>();
    Server[] servers = {SRV, Server.of("srv-β", "ecs-β", "eu-de-01"), Server.of("srv-γ", "ecs-γ", "eu-de-02")};
    for (int i = 0; i < 30; i++) {
      Instant created = T.minus(Duration.ofMillis(250L * i)).minusNanos(i % 2);
      Backup.Builder b = Backup.builder().id("u" + i).name("u" + i).projectId(P).server(servers[i % 3])
          .sizeMb(1000L * i + 1).createdAt(created);
      if (i % 4 == 0) {
        b.status(BackupStatus.CREATING).progress(Progress.of(1, created));
      } else {
        b.status(BackupStatus.AVAILABLE);
      }
      Backup built = b.build();
      all.add(built);
      catalog.add(built);
    }
    for (int step = 0; step < 12; step++) {
      Instant now = clock.instant();
      for (BackupPredicate p : List.of(Predicates.createdWithinLast(Duration.ofSeconds(2)), Predicates.stalled(),
          Predicates.or(Predicates.stalled(), Predicates.createdWithinLast(Duration.ofMillis(500))))) {
        List<Backup> matching = all.stream().filter(b -> p.test(b, now, rule)).collect(Collectors.toList());
        io.csbs.usage.UsageReport report = catalog.usage(P, io.csbs.usage.UsageQuery.of(p, 0, 10));
        String at = p + " at " + now;
        assertEquals(matching.size(), report.backups(), at);
        assertEquals(matching.stream().mapToLong(Backup::sizeMb).sum(), report.sizeMb(), at);
        assertEquals(matching.stream().map(b -> b.server().id()).distinct().count(), report.serverCount(), at);
      }
      clock.advance(Duration.ofMillis(333).plusNanos(1));
    }
  }

  @Test
  void everyTransitionOnAClockOneNanosecondBehindIsRefusedWithoutATraceAndAtTheSameInstantIsTaken() throws Exception {
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    Subscription sub = catalog.subscribe(change -> seen.add(change.backupId() + "#" + change.sequence()));
    try {
      Instant last = T.plusNanos(5);
      List<Backup> backups = List.of(
          Backup.builder().id("av").name("av").projectId(P).server(SRV).status(BackupStatus.AVAILABLE).type(BackupType.ENHANCED)
              .sizeMb(1).createdAt(T).updatedAt(last).build(),
          Backup.builder().id("er").name("er").projectId(P).server(SRV).status(BackupStatus.ERROR).sizeMb(1).createdAt(T)
              .updatedAt(last).failure(Failure.of(JobType.BACKUP, "e", T)).build(),
          Backup.builder().id("cr").name("cr").projectId(P).server(SRV).status(BackupStatus.CREATING).sizeMb(1).createdAt(T)
              .updatedAt(last).progress(Progress.of(5, T)).build(),
          Backup.builder().id("de").name("de").projectId(P).server(SRV).status(BackupStatus.DELETING).sizeMb(1).createdAt(T)
              .updatedAt(last).progress(Progress.of(5, T)).build());
      backups.forEach(catalog::add);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (seen.size() < 4 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      List<String> before = List.copyOf(seen);
      long sequence = catalog.sequence(P);
      clock.set(last.minusNanos(1));
      java.util.Map<String, List<Transition>> transitions = java.util.Map.of(
          "av", List.of(Transition.restore(), Transition.instantRestore(), Transition.delete()),
          "er", List.of(Transition.delete()),
          "cr", List.of(Transition.reportProgress(5), Transition.reportProgress(6), Transition.complete(), Transition.fail("f")),
          "de", List.of(Transition.reportProgress(50), Transition.complete(), Transition.fail("f")));
      for (Backup b : backups) {
        for (Transition t : transitions.get(b.id())) {
          refused("now", () -> catalog.apply(P, b.id(), b.version(), t));
          assertEquals(b, catalog.get(P, b.id()), t.toString());
        }
      }
      assertEquals(sequence, catalog.sequence(P));
      Thread.sleep(20);
      assertEquals(before, seen, "no change delivered");
      clock.set(last);
      for (Backup b : backups) {
        Transition t = transitions.get(b.id()).get(transitions.get(b.id()).size() - 1);
        Optional<Backup> after = catalog.apply(P, b.id(), b.version(), t);
        after.ifPresent(x -> assertEquals(last, x.updatedAt(), t.toString()));
      }
      assertEquals(sequence + 4, catalog.sequence(P));
    } finally {
      sub.cancel();
    }
  }

  @Test
  void aClockThatFailsFailsTheChangeAndLeavesEverythingAsItWas() {
    UnreadableClock broken = new UnreadableClock();
    BackupCatalog catalog = Catalogs.indexed(broken);
    Backup b = available("bk", T);
    catalog.add(b);
    long sequence = catalog.sequence(P);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> catalog.apply(P, "bk", b.version(), Transition.delete()));
    assertEquals("this clock must not be read", e.getMessage());
    assertThrows(IllegalStateException.class,
        () -> catalog.updateTags(P, "bk", b.version(), TagUpdate.create(Tag.of("k", "v"))));
    assertEquals(b, catalog.get(P, "bk"));
    assertEquals(sequence, catalog.sequence(P));
    assertEquals(0, catalog.tagCatalogue(P).keys().size());
    // the project is still usable: a removal reads no clock
    catalog.remove(P, "bk", b.version());
    assertEquals(Optional.empty(), catalog.find(P, "bk"));
  }

  // ------------------------------------------------------------------ BackupGenerator.window

  @Test
  void generatedTimesStayInsideOddWindowsAndAnswerAsAScanOnAClockAtTheEnd() {
    Instant[] ends = {T, Instant.MAX, Instant.MIN.plus(Duration.ofHours(8)), Instant.MIN.plus(Duration.ofDays(3)).plusNanos(7),
        Instant.EPOCH.plusNanos(999_999_999)};
    Duration[] spans = {Duration.ofSeconds(1, 999_999_999), Duration.ofHours(8), Duration.ofDays(2).plusNanos(1)};
    for (Instant end : ends) {
      for (Duration span : spans) {
        if (end.equals(Instant.MIN.plus(Duration.ofHours(8))) && span.compareTo(Duration.ofHours(8)) > 0) {
          continue;   // would reach before MIN
        }
        String at = " (end " + end + ", span " + span + ")";
        BackupGenerator generator = BackupGenerator.builder().seed(end.getNano() + span.getNano()).servers(30)
            .window(end, span).build();
        assertEquals(end, generator.end(), at);
        List<Backup> backups = generator.backups(400);
        for (Backup b : backups) {
          assertTrue(b.createdAt().isBefore(end), b + at);
          assertFalse(b.createdAt().isBefore(end.minus(span)), b + at);
          assertFalse(b.updatedAt().isAfter(end), b + at);
          if (b.status() == BackupStatus.CREATING) {
            assertFalse(b.createdAt().isBefore(end.minus(Duration.ofHours(6))), "Creating in the last six hours" + at);
          }
          b.progress().ifPresent(p -> assertEquals(b.updatedAt(), p.changedAt(), "the last progress is the last change" + at));
          b.failure().ifPresent(x -> assertFalse(x.failedAt().isAfter(end), at));
          b.finishedAt().ifPresent(x -> assertFalse(x.isAfter(end), at));
        }
        BackupCatalog catalog = Catalogs.indexed(FakeClock.at(end));
        catalog.addAll(backups);
        String project = BackupGenerator.projectId(0);
        long stalled = backups.stream().filter(b -> StallRule.DEFAULT.isStalled(b, end)).count();
        assertEquals(stalled, catalog.count(project, Predicates.stalled()), at);
        long recent = backups.stream().filter(b -> TimeRange.last(Duration.ofHours(1), end).contains(b.createdAt())).count();
        assertEquals(recent, catalog.count(project, Predicates.createdWithinLast(Duration.ofHours(1))), at);
        assertEquals(400, catalog.count(project, Predicates.createdIn(TimeRange.of(end.minus(span), true, end, false))), at);
      }
    }
  }

  @Test
  void aWindowOfWholeSecondsReachingExactlyTheFirstInstantIsAccepted() {
    Instant end = Instant.MIN.plus(Duration.ofHours(10));
    BackupGenerator.builder().window(end, Duration.ofHours(10));
    assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder().window(end, Duration.ofHours(10).plusSeconds(1)));
  }

  @Test
  void aWindowReachingOneNanosecondBeforeTheFirstInstantIsRefused() {
    Instant end = Instant.MIN.plus(Duration.ofHours(10));
    assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder().window(end, Duration.ofHours(10).plusNanos(1)));
  }

  @Test
  void aFinishTimeHeldBesideARunningJobIsReplacedWhenTheBackupJobEndsAndKeptByOthers() {
    Backup creating = Backup.builder().id("f").name("f").projectId(P).server(SRV).status(BackupStatus.CREATING)
        .sizeMb(1).createdAt(T).progress(Progress.of(3, T)).finishedAt(Instant.MAX).build();
    assertEquals(Optional.of(Instant.MAX), creating.finishedAt(), "taken as given in every state");
    Backup done = Lifecycle.complete(creating, T.plusNanos(1)).orElseThrow();
    assertEquals(Optional.of(T.plusNanos(1)), done.finishedAt());
    assertEquals(Optional.of(T.plusNanos(2)), Lifecycle.fail(creating, "x", T.plusNanos(2)).finishedAt());
    Backup odd = Backup.builder().id("g").name("g").projectId(P).server(SRV).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(T).finishedAt(Instant.MAX).build();
    Backup restoring = Lifecycle.restore(odd, T);
    assertEquals(Optional.of(Instant.MAX), restoring.finishedAt());
    assertEquals(Optional.of(Instant.MAX), Lifecycle.complete(restoring, T).orElseThrow().finishedAt());
    assertEquals(Optional.of(Instant.MAX), Lifecycle.fail(restoring, "y", T).finishedAt());
    assertEquals(Optional.of(Instant.MAX), Lifecycle.fail(Lifecycle.delete(odd, T), "z", T).finishedAt());
  }

  @Test
  void addsAndRemovalsAreNotDatedSoAClockBehindRefusesNeither() {
    FakeClock clock = FakeClock.at(Instant.MIN);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Backup future = Backup.builder().id("fut").name("fut").projectId(P).server(SRV).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(T).updatedAt(Instant.MAX).build();
    catalog.add(future);
    assertEquals(future, catalog.get(P, "fut"));
    refused("now", () -> catalog.apply(P, "fut", future.version(), Transition.restore()));
    catalog.remove(P, "fut", future.version());
    assertEquals(Optional.empty(), catalog.find(P, "fut"));
  }

  @Test
  void aQueuedJobIsJudgedByItsProgressTimeLikeARunningOne() {
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Instant queuedAt = T.minus(Duration.ofMinutes(30));
    Backup queued = Backup.builder().id("q").name("q").projectId(P).server(SRV).status(BackupStatus.CREATING)
        .apiStatus(io.csbs.backup.ApiStatus.WAITING_PROTECT).sizeMb(1).createdAt(queuedAt)
        .progress(Progress.of(0, queuedAt)).build();
    catalog.add(queued);
    assertEquals(0, catalog.count(P, Predicates.stalled()), "exactly 30 minutes");
    clock.advance(Duration.ofNanos(1));
    assertEquals(List.of("q"), catalog.query(P, Query.where(Predicates.stalled())).ids());
    Backup same = catalog.apply(P, "q", queued.version(), Transition.reportProgress(0)).orElseThrow();
    assertEquals(queued, same, "the same percentage changes nothing");
    assertEquals(1, catalog.count(P, Predicates.stalled()));
    Backup started = catalog.apply(P, "q", queued.version(), Transition.reportProgress(1)).orElseThrow();
    assertFalse(started.apiStatus().isQueued());
    assertEquals(Progress.of(1, clock.instant()), started.progress().orElseThrow());
    assertEquals(0, catalog.count(P, Predicates.stalled()));
  }

  // ------------------------------------------------------------------ SimulatedJobs and the stall rule

  /** Advances minute by minute and reports whether the job was ever judged stalled 1 ns past a minute. */
  private static boolean everStalled(Duration duration, Duration interval, Duration limit) {
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 11);
    SimulatedJob job = jobs.startBackup(P, SRV, JobPlan.taking(duration).reportingEvery(interval));
    boolean stalled = false;
    for (Duration passed = Duration.ZERO; passed.compareTo(limit) < 0 && !job.isDone(); passed = passed.plusMinutes(1)) {
      jobs.advance(Duration.ofMinutes(1).minusNanos(1));
      jobs.advance(Duration.ofNanos(1));
      clock.set(clock.instant().plusNanos(1));   // 1 ns past the tick; the runner catches up at its next advance
      stalled |= catalog.count(P, Predicates.stalled()) > 0;
      clock.set(clock.instant().minusNanos(1));
    }
    return stalled;
  }

  @Test
  void aJobOfOneHundredThresholdsIsNeverStalledAndALongerOneIs() {
    assertFalse(everStalled(Duration.ofHours(50), JobPlan.DEFAULT_REPORT_INTERVAL, Duration.ofHours(51)),
        "50 hours: a change every 30 minutes, never longer");
    assertTrue(everStalled(Duration.ofHours(50).plusMinutes(100), JobPlan.DEFAULT_REPORT_INTERVAL, Duration.ofHours(3)),
        "51 h 40 min: 31 minutes between changes");
    assertTrue(everStalled(Duration.ofHours(2), Duration.ofMinutes(31), Duration.ofHours(1)), "a report interval above the threshold");
    assertFalse(everStalled(Duration.ofHours(2), Duration.ofMinutes(30), Duration.ofHours(3)), "exactly the threshold");
  }

  @Test
  void simulatedJobsAtTheLastInstantNeverPassIt() {
    FakeClock clock = FakeClock.at(Instant.MAX.minus(Duration.ofMinutes(5)));
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(2))).build();
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 5);
    SimulatedJob job = jobs.startBackup(P, SRV, JobPlan.taking(Duration.ofMinutes(20)));
    jobs.advance(Duration.ofMinutes(5));
    assertEquals(Instant.MAX, clock.instant());
    assertEquals(25, job.lastReportedPercent());
    Backup b = catalog.get(P, job.backupId());
    assertEquals(Progress.of(25, Instant.MAX), b.progress().orElseThrow());
    assertThrows(IllegalArgumentException.class, () -> jobs.advance(Duration.ofNanos(1)));
    assertEquals(b, catalog.get(P, job.backupId()));
    assertEquals(Instant.MAX, clock.instant());
    jobs.advance(Duration.ZERO);
    assertFalse(job.isDone());
    assertEquals(0, catalog.count(P, Predicates.stalled()));
  }

  @Test
  void jobsCatchUpAtTheNextAdvanceWithTheirOverdueChangesDatedThen() {
    FakeClock clock = FakeClock.at(T);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Change> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
    catalog.subscribe(changes::add);
    SimulatedJobs jobs = SimulatedJobs.create(catalog, clock, 3);
    SimulatedJob job = jobs.startBackup(P, SRV, JobPlan.DEFAULT);
    jobs.advance(Duration.ofMinutes(3));
    assertEquals(30, job.lastReportedPercent());
    Instant late = T.plus(Duration.ofMinutes(25)).plusNanos(3);
    clock.set(late);
    jobs.advance(Duration.ZERO);
    assertTrue(job.isDone());
    assertEquals(Optional.of(late), job.endedAt());
    Backup done = catalog.get(P, job.backupId());
    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(late, done.updatedAt());
    assertEquals(Optional.of(late), done.finishedAt());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (changes.stream().noneMatch(c -> c.after().map(a -> a.status() == BackupStatus.AVAILABLE).orElse(false))
        && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    // every change made after the clock was moved is dated then; none before the last one
    Instant previous = Instant.MIN;
    for (Change c : changes) {
      Instant at = c.after().orElseThrow().updatedAt();
      assertFalse(at.isBefore(previous), changes.toString());
      previous = at;
    }
  }

  // ------------------------------------------------------------------ FakeClock

  @Test
  void fakeClockAdvancesSharedAcrossZonesAndThreadsExactly() throws Exception {
    FakeClock clock = FakeClock.at(T);
    FakeClock tokyo = clock.withZone(ZoneId.of("Asia/Tokyo"));
    assertEquals(ZoneOffset.UTC, clock.getZone());
    assertEquals(ZoneId.of("Asia/Tokyo"), tokyo.getZone());
    assertEquals(T.plusNanos(1), tokyo.advance(Duration.ofNanos(1)));
    assertEquals(T.plusNanos(1), clock.instant());
    assertEquals(T.plusNanos(1), clock.advance(Duration.ZERO));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofNanos(-1)));
    assertTrue(e.getMessage().contains("duration"), e.getMessage());
    tokyo.set(Instant.MIN);
    assertEquals(Instant.MIN, clock.instant());
    clock.set(T);
    int threads = 4;
    int each = 2500;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      FakeClock mine = t % 2 == 0 ? clock : tokyo;
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException ex) {
          return;
        }
        for (int i = 0; i < each; i++) {
          mine.advance(Duration.ofNanos(1));
        }
      });
      thread.start();
      started.add(thread);
    }
    start.countDown();
    for (Thread thread : started) {
      thread.join(30_000);
      assertFalse(thread.isAlive());
    }
    assertEquals(T.plusNanos((long) threads * each), clock.instant());
  }

  @Test
  void threadsRacingToTheLastInstantMoveTheClockThereExactlyOnce() throws Exception {
    for (int round = 0; round < 20; round++) {
      FakeClock clock = FakeClock.at(Instant.MAX.minusNanos(3));
      AtomicLong refused = new AtomicLong();
      AtomicLong moved = new AtomicLong();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        FakeClock mine = t % 2 == 0 ? clock : clock.withZone(ZoneId.of("America/St_Johns"));
        Thread thread = new Thread(() -> {
          try {
            start.await();
            for (int i = 0; i < 3; i++) {
              try {
                mine.advance(Duration.ofNanos(1));
                moved.incrementAndGet();
              } catch (IllegalArgumentException e) {
                refused.incrementAndGet();
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        thread.start();
        threads.add(thread);
      }
      start.countDown();
      for (Thread thread : threads) {
        thread.join(30_000);
        assertFalse(thread.isAlive());
      }
      assertEquals(Instant.MAX, clock.instant());
      assertEquals(3, moved.get(), "round " + round);
      assertEquals(9, refused.get(), "round " + round);
    }
  }
}
