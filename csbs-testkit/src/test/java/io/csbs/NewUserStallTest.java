package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.ProjectStats;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.testing.FakeClock;
import io.csbs.usage.UsageQuery;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A new user's review of catalog construction ({@code Catalogs}, its builder's clock and stall
 * rule), {@code StallRule} and the stalled search over a moving clock, from the README and javadoc
 * only.
 */
class NewUserStallTest {
  private static final Instant T0 = Instant.parse("2026-05-01T08:00:00Z");
  private static final String P = "projekt-ü-1";
  private static final Server WEB = Server.of("srv-web", "ecs-wéb", "eu-de-01");
  private static final Server DB = Server.of("srv-db", "ecs-db-数据", "eu-de-02");

  // ------------------------------------------------------------------ helpers

  /** A backup in {@code status}; a running job's progress changed at {@code progressAt}. */
  private static Backup job(String project, String id, BackupStatus status, Instant createdAt, Instant progressAt,
      int percent) {
    Backup.Builder b = Backup.builder().id(id).name("nm-" + id).projectId(project)
        .server(id.hashCode() % 2 == 0 ? WEB : DB).status(status).type(BackupType.ENHANCED)
        .sizeMb(Math.floorMod(id.hashCode(), 1000)).createdAt(createdAt);
    if (status.isIntermediate()) {
      b.progress(Progress.of(percent, progressAt)).updatedAt(progressAt);
    } else if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "disk full", progressAt)).updatedAt(progressAt);
    } else {
      b.updatedAt(progressAt);
    }
    return b.build();
  }

  private static Backup running(String id, BackupStatus status, Instant createdAt, Instant progressAt) {
    return job(P, id, status, createdAt, progressAt, 10);
  }

  private static Backup available(String id, Instant createdAt) {
    return job(P, id, BackupStatus.AVAILABLE, createdAt, createdAt, 0);
  }

  /** The doc's definition, written plainly: intermediate, progress unchanged for longer than the threshold. */
  private static boolean stalledByDoc(Backup b, Instant now, Duration threshold) {
    if (!b.status().isIntermediate() || b.progress().isEmpty()) {
      return false;
    }
    Instant changed = b.progress().get().changedAt();
    if (!changed.isBefore(now)) {
      return false;
    }
    return Duration.between(changed, now).compareTo(threshold) > 0;
  }

  /** The doc's order: the sort's keys, then the id in the direction of the first key. */
  private static Comparator<Backup> order(List<SortKey> keys) {
    Comparator<Backup> c = null;
    boolean hasId = false;
    for (SortKey k : keys) {
      Comparator<Backup> one = fieldOrder(k.field());
      if (!k.ascending()) {
        one = one.reversed();
      }
      c = c == null ? one : c.thenComparing(one);
      hasId |= k.field() == SortField.ID;
    }
    if (!hasId) {
      Comparator<Backup> id = Comparator.comparing(Backup::id);
      c = c.thenComparing(keys.get(0).ascending() ? id : id.reversed());
    }
    return c;
  }

  private static Comparator<Backup> fieldOrder(SortField f) {
    switch (f) {
      case CREATED_AT: return Comparator.comparing(Backup::createdAt);
      case UPDATED_AT: return Comparator.comparing(Backup::updatedAt);
      case NAME: return Comparator.comparing(Backup::name);
      case STATUS: return Comparator.comparing(Backup::status);
      default: return Comparator.comparing(Backup::id);
    }
  }

  private static List<String> scan(List<Backup> all, Instant now, Duration threshold, List<SortKey> keys) {
    return all.stream().filter(b -> stalledByDoc(b, now, threshold)).sorted(order(keys)).map(Backup::id)
        .collect(Collectors.toList());
  }

  private static List<Backup> everything(BackupCatalog catalog, String project) {
    List<Backup> out = new ArrayList<>();
    Query q = Query.builder().limit(1000).build();
    Page page = catalog.query(project, q);
    out.addAll(page.backups());
    while (page.nextMarker().isPresent()) {
      page = catalog.query(project, q.after(page.nextMarker().get()));
      out.addAll(page.backups());
    }
    return out;
  }

  private static List<String> stalledIds(BackupCatalog catalog, String project) {
    return catalog.query(project, Query.builder().where(Predicates.stalled()).limit(1000).build()).ids();
  }

  private static final List<SortKey> NEWEST = List.of(SortKey.desc(SortField.CREATED_AT));

  /** A clock that moves forward by {@code step} each time it is read. */
  static final class TickingClock extends Clock {
    final AtomicLong reads = new AtomicLong();
    final Instant start;
    final Duration step;

    TickingClock(Instant start, Duration step) {
      this.start = start;
      this.step = step;
    }

    @Override
    public Instant instant() {
      return start.plus(step.multipliedBy(reads.getAndIncrement()));
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

  /** A body of a random test, given its seed. */
  interface SeededBody {
    void run(long seed) throws Exception;
  }

  /** Runs {@code body} with a fresh seed and names the seed in any failure. */
  private static void seeded(SeededBody body) throws Exception {
    long seed = new Random().nextLong();
    try {
      body.run(seed);
    } catch (Throwable t) {
      throw new AssertionError("seed " + seed + ": " + t, t);
    }
  }

  // ------------------------------------------------------------------ Catalogs and its builder

  @Test
  void theJavadocExampleBuildsAStrictCatalogThatJudgesWithTenMinutes() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog strict = Catalogs.builder()
        .clock(clock)
        .stallRule(StallRule.ofThreshold(Duration.ofMinutes(10)))
        .build();
    strict.add(running("b-1", BackupStatus.CREATING, T0, T0));
    clock.advance(Duration.ofMinutes(10));
    assertEquals(List.of(), stalledIds(strict, P), "exactly 10 minutes: not yet");
    clock.advance(Duration.ofNanos(1));
    assertEquals(List.of("b-1"), stalledIds(strict, P));
    assertEquals(1, strict.count(P, Predicates.stalled()));
  }

  @Test
  void theDefaultStallRuleOfIndexedAndOfAnEmptyBuilderIsThirtyMinutesNotIncluded() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog indexed = Catalogs.indexed(clock);
    BackupCatalog built = Catalogs.builder().clock(clock).build();
    for (BackupCatalog c : List.of(indexed, built)) {
      c.add(running("b-r", BackupStatus.RESTORING, T0.minusSeconds(5), T0));
      c.add(running("b-d", BackupStatus.DELETING, T0.minusSeconds(5), T0.plusNanos(1)));
    }
    clock.set(T0.plus(StallRule.DEFAULT_THRESHOLD));
    for (BackupCatalog c : List.of(indexed, built)) {
      assertEquals(List.of(), stalledIds(c, P));
    }
    clock.set(T0.plus(StallRule.DEFAULT_THRESHOLD).plusNanos(1));
    for (BackupCatalog c : List.of(indexed, built)) {
      assertEquals(List.of("b-r"), stalledIds(c, P));
    }
    clock.set(T0.plus(StallRule.DEFAULT_THRESHOLD).plusNanos(2));
    for (BackupCatalog c : List.of(indexed, built)) {
      assertEquals(List.of("b-r", "b-d"), stalledIds(c, P), "equal creation times: the id breaks the tie, descending");
    }
    assertEquals(Duration.ofMinutes(30), StallRule.DEFAULT.threshold());
    assertSame(StallRule.DEFAULT_THRESHOLD, StallRule.DEFAULT.threshold());
  }

  @Test
  void anEmptyBuildersCatalogDatesChangesByTheSystemClockInUtc() {
    BackupCatalog catalog = Catalogs.builder().build();
    Instant before = Instant.now();
    // a job started 31 minutes ago by the system clock is stalled under the default rule; one 29 not
    catalog.add(running("old", BackupStatus.CREATING, before.minus(Duration.ofHours(2)),
        before.minus(Duration.ofMinutes(31))));
    catalog.add(running("young", BackupStatus.CREATING, before.minus(Duration.ofHours(2)),
        before.minus(Duration.ofMinutes(29))));
    assertEquals(List.of("old"), stalledIds(catalog, P));
    catalog.add(available("av", before.minus(Duration.ofHours(1))));
    Backup restoring = catalog.apply(P, "av", 1, Transition.restore()).orElseThrow();
    Instant after = Instant.now();
    Instant changed = restoring.updatedAt();
    assertFalse(changed.isBefore(before.minusSeconds(1)), changed + " vs " + before);
    assertFalse(changed.isAfter(after.plusSeconds(1)), changed + " vs " + after);
    assertEquals(changed, restoring.progress().orElseThrow().changedAt());
  }

  @Test
  void aNullStallRuleIsRefusedNamingTheParameterAndLeavesTheBuilderUsable() {
    Catalogs.Builder builder = Catalogs.builder();
    NullPointerException e = assertThrows(NullPointerException.class, () -> builder.stallRule(null));
    assertEquals("stallRule", e.getMessage());
    NullPointerException c = assertThrows(NullPointerException.class, () -> builder.clock(null));
    assertEquals("clock", c.getMessage());
    NullPointerException i = assertThrows(NullPointerException.class, () -> Catalogs.indexed(null));
    assertNotNull(i.getMessage());
    assertTrue(i.getMessage().contains("clock"), i.getMessage());
    // the refusals set nothing: each option can still be set once
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = builder.stallRule(StallRule.ofThreshold(Duration.ofSeconds(1))).clock(clock).build();
    catalog.add(running("b-1", BackupStatus.CREATING, T0, T0));
    clock.advance(Duration.ofMillis(1001));
    assertEquals(1, catalog.count(P, Predicates.stalled()));
  }

  @Test
  void aSecondSettingIsRefusedNamingTheFirstValueWhichStays() {
    FakeClock first = FakeClock.at(T0);
    StallRule oneMinute = StallRule.ofThreshold(Duration.ofMinutes(1));
    Catalogs.Builder builder = Catalogs.builder().clock(first).stallRule(oneMinute);
    IllegalStateException again = assertThrows(IllegalStateException.class, () -> builder.stallRule(oneMinute));
    assertTrue(again.getMessage().contains("stall rule") && again.getMessage().contains(oneMinute.toString()),
        again.getMessage());
    IllegalStateException clockAgain = assertThrows(IllegalStateException.class,
        () -> builder.clock(FakeClock.at(T0.plusSeconds(3600))));
    assertTrue(clockAgain.getMessage().contains("clock") && clockAgain.getMessage().contains(first.toString()),
        clockAgain.getMessage());
    // even null a second time: refused (either way), and the first value stays
    assertThrows(RuntimeException.class, () -> builder.stallRule(null));
    BackupCatalog catalog = builder.build();
    catalog.add(running("b-1", BackupStatus.CREATING, T0, T0));
    first.advance(Duration.ofSeconds(61));
    assertEquals(1, catalog.count(P, Predicates.stalled()), "the first rule (1 minute) judges");
  }

  @Test
  void twoBuildsOfOneBuilderAreIndependentCatalogsWithTheSameClockAndRule() {
    FakeClock clock = FakeClock.at(T0);
    Catalogs.Builder builder = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(5)));
    BackupCatalog one = builder.build();
    BackupCatalog two = builder.build();
    one.add(running("b-1", BackupStatus.CREATING, T0, T0));
    two.add(running("b-2", BackupStatus.RESTORING, T0, T0.plusSeconds(60)));
    clock.advance(Duration.ofMinutes(6).plusNanos(1));
    assertEquals(List.of("b-1"), stalledIds(one, P));
    assertEquals(List.of("b-2"), stalledIds(two, P));
    assertEquals(Optional.empty(), one.find(P, "b-2"));
    assertEquals(1, one.sequence(P));
    assertEquals(1, two.sequence(P));
    // a change of one is dated by the shared clock and seen by that one only
    Backup progressed = one.apply(P, "b-1", 1, Transition.reportProgress(50)).orElseThrow();
    assertEquals(clock.instant(), progressed.updatedAt());
    assertEquals(List.of(), stalledIds(one, P));
    assertEquals(List.of("b-2"), stalledIds(two, P));
  }

  @Test
  void anOptionLeftUnsetBeforeABuildCanBeSetAfterItForTheNextBuildOnly() {
    FakeClock clock = FakeClock.at(T0);
    Catalogs.Builder builder = Catalogs.builder().clock(clock);
    BackupCatalog byDefault = builder.build();
    BackupCatalog strict = builder.stallRule(StallRule.ofThreshold(Duration.ofMinutes(1))).build();
    for (BackupCatalog c : List.of(byDefault, strict)) {
      c.add(running("b-1", BackupStatus.DELETING, T0, T0));
    }
    clock.advance(Duration.ofMinutes(2));
    assertEquals(0, byDefault.count(P, Predicates.stalled()), "the first catalog keeps the default 30 minutes");
    assertEquals(1, strict.count(P, Predicates.stalled()));
  }

  @Test
  void aClockWithAnotherZoneJudgesByTheInstantOnly() {
    FakeClock utc = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(utc.withZone(ZoneId.of("Pacific/Kiritimati")));
    catalog.add(running("b-1", BackupStatus.CREATING, T0, T0));
    utc.advance(Duration.ofMinutes(31));
    assertEquals(List.of("b-1"), stalledIds(catalog, P));
    assertTrue(StallRule.DEFAULT.isStalled(catalog.get(P, "b-1"), utc.withZone(ZoneId.of("America/Adak"))));
  }

  // ------------------------------------------------------------------ StallRule

  @Test
  void stallRuleRefusesNullAndNonPositiveThresholdsNamingThem() {
    NullPointerException n = assertThrows(NullPointerException.class, () -> new StallRule(null));
    assertEquals("threshold", n.getMessage());
    NullPointerException f = assertThrows(NullPointerException.class, () -> StallRule.ofThreshold(null));
    assertEquals("threshold", f.getMessage());
    for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofDays(-1),
        Duration.ofSeconds(Long.MIN_VALUE), Duration.ofMinutes(-30))) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> StallRule.ofThreshold(bad));
      assertEquals("stall threshold", e.field(), bad.toString());
      assertTrue(e.getMessage().contains("stall threshold") && e.getMessage().contains(bad.toString())
          && e.getMessage().contains("positive"), e.getMessage());
      assertThrows(InvalidValueException.class, () -> new StallRule(bad));
    }
  }

  @Test
  void stallRuleAcceptsTheSmallestAndTheLargestThresholds() {
    StallRule largest = StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
    StallRule oneNano = StallRule.ofThreshold(Duration.ofNanos(1));
    Backup ancient = job(P, "b-1", BackupStatus.CREATING, Instant.MIN, Instant.MIN, 0);
    assertFalse(largest.isStalled(ancient, Instant.MAX), "nothing is ever stalled for longer than the whole timeline");
    assertTrue(oneNano.isStalled(ancient, Instant.MIN.plusNanos(2)));
    assertFalse(oneNano.isStalled(ancient, Instant.MIN.plusNanos(1)));
    // the whole timeline minus one nanosecond: the job at Instant.MIN is stalled at Instant.MAX
    Duration whole = Duration.between(Instant.MIN, Instant.MAX);
    assertTrue(StallRule.ofThreshold(whole.minusNanos(1)).isStalled(ancient, Instant.MAX));
    assertFalse(StallRule.ofThreshold(whole).isStalled(ancient, Instant.MAX));
    assertEquals(Instant.MIN, largest.stalledIfChangedBefore(Instant.MAX));
    assertEquals(Instant.MIN.plusNanos(1), StallRule.ofThreshold(whole.minusNanos(1)).stalledIfChangedBefore(Instant.MAX));
  }

  @Test
  void aCatalogWithAHugeThresholdFindsNothingAtAnyInstant() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.builder().clock(clock)
        .stallRule(StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE))).build();
    catalog.add(job(P, "b-1", BackupStatus.CREATING, Instant.MIN, Instant.MIN, 0));
    catalog.add(running("b-2", BackupStatus.RESTORING, T0, T0));
    for (Instant at : List.of(T0, Instant.MAX, Instant.MIN, Instant.MIN.plusSeconds(1))) {
      clock.set(at);
      assertEquals(0, catalog.count(P, Predicates.stalled()), at.toString());
      assertEquals(List.of(), stalledIds(catalog, P), at.toString());
      assertEquals(2, catalog.count(P, Predicates.not(Predicates.stalled())), at.toString());
      assertEquals(0, catalog.usage(P, UsageQuery.of(Predicates.stalled(), 0, 10)).backups(), at.toString());
    }
  }

  @Test
  void stallRuleIsAValueWhoseAccessorsAndExamplesWork() {
    StallRule rule = StallRule.ofThreshold(Duration.ofMinutes(10));
    assertEquals(new StallRule(Duration.ofSeconds(600)), rule);
    assertEquals(Duration.ofMinutes(10), rule.threshold());
    assertEquals("PT30M", StallRule.DEFAULT.threshold().toString());
    Backup b = running("b-1", BackupStatus.CREATING, T0, T0);
    FakeClock clock = FakeClock.at(T0);
    clock.advance(Duration.ofMinutes(10));
    assertFalse(rule.isStalled(b, clock));
    clock.advance(Duration.ofNanos(1));
    assertTrue(rule.isStalled(b, clock));
    // the FakeClock example: 31 minutes after the start the default rule says stalled
    FakeClock example = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
    Backup started = running("b-2", BackupStatus.RESTORING, example.instant(), example.instant());
    example.advance(Duration.ofMinutes(31));
    assertTrue(StallRule.DEFAULT.isStalled(started, example));
    assertEquals(rule.isStalled(b, clock.instant()), rule.isStalled(T0, clock.instant()));
  }

  @Test
  void stallRuleRefusesNullArgumentsNamingThem() {
    Backup b = running("b-1", BackupStatus.CREATING, T0, T0);
    StallRule rule = StallRule.DEFAULT;
    assertMessageNames("backup", assertThrows(NullPointerException.class, () -> rule.isStalled((Backup) null, T0)));
    assertMessageNames("now", assertThrows(NullPointerException.class, () -> rule.isStalled(b, (Instant) null)));
    assertMessageNames("backup", assertThrows(NullPointerException.class, () -> rule.isStalled(null, Clock.systemUTC())));
    assertMessageNames("clock", assertThrows(NullPointerException.class, () -> rule.isStalled(b, (Clock) null)));
    assertMessageNames("changedAt", assertThrows(NullPointerException.class, () -> rule.isStalled((Instant) null, T0)));
    assertMessageNames("now", assertThrows(NullPointerException.class, () -> rule.isStalled(T0, (Instant) null)));
    assertMessageNames("now", assertThrows(NullPointerException.class, () -> rule.stalledIfChangedBefore(null)));
  }

  private static void assertMessageNames(String parameter, NullPointerException e) {
    assertNotNull(e.getMessage(), "no message, expected one naming " + parameter);
    assertTrue(e.getMessage().contains(parameter), e.getMessage());
  }

  @Test
  void stableBackupsAreNeverStalledWhateverTheirTimes() {
    StallRule oneNano = StallRule.ofThreshold(Duration.ofNanos(1));
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(oneNano).build();
    Backup av = available("av", T0.minus(Duration.ofDays(400)));
    Backup err = job(P, "err", BackupStatus.ERROR, T0.minus(Duration.ofDays(400)), T0.minus(Duration.ofDays(399)), 0);
    catalog.addAll(List.of(av, err));
    clock.set(Instant.MAX);
    assertFalse(oneNano.isStalled(av, Instant.MAX));
    assertFalse(oneNano.isStalled(err, Instant.MAX));
    assertEquals(0, catalog.count(P, Predicates.stalled()));
  }

  // ------------------------------------------------------------------ the stalled search over time

  @Test
  void everyIntermediateStateIsJudgedAtTheBoundaryInEveryFormOfTheSearch() {
    Duration threshold = Duration.ofMinutes(7).plusNanos(3);
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(threshold)).build();
    List<Backup> all = new ArrayList<>();
    int i = 0;
    for (BackupStatus s : List.of(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING)) {
      all.add(running("run-" + s + "-" + (i++), s, T0.minusSeconds(100 + i), T0.minusNanos(i)));
    }
    all.add(available("avail", T0.minusSeconds(50)));
    all.add(job(P, "err", BackupStatus.ERROR, T0.minusSeconds(60), T0.minusSeconds(60), 0));
    catalog.addAll(all);
    for (long offsetNs = -4; offsetNs <= 4; offsetNs++) {
      Instant now = T0.plus(threshold).plusNanos(offsetNs);
      clock.set(now);
      List<String> expected = scan(all, now, threshold, NEWEST);
      assertEquals(expected, stalledIds(catalog, P), "at threshold " + offsetNs + " ns");
      assertEquals(expected.size(), catalog.count(P, Predicates.stalled()), "count at " + offsetNs);
      assertEquals(all.size() - expected.size(), catalog.count(P, Predicates.not(Predicates.stalled())));
      assertEquals(expected.size(), catalog.usage(P, UsageQuery.of(Predicates.stalled(), 0, 10)).backups());
      for (BackupStatus s : List.of(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING)) {
        long inState = all.stream().filter(b -> b.status() == s && stalledByDoc(b, now, threshold)).count();
        assertEquals(inState, catalog.count(P, Predicates.and(Predicates.stalled(), Predicates.status(s))), s + " " + offsetNs);
      }
      List<SortKey> byName = List.of(SortKey.asc(SortField.NAME));
      assertEquals(scan(all, now, threshold, byName), catalog.query(P,
          Query.builder().where(Predicates.stalled()).sort(Sort.by(byName)).limit(1000).build()).ids());
    }
  }

  @Test
  void aClockSetBackUnstallsAndMovingItForwardAgainStallsOnceMore() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(running("b-1", BackupStatus.RESTORING, T0.minus(Duration.ofHours(1)), T0));
    catalog.add(running("b-2", BackupStatus.CREATING, T0.minus(Duration.ofHours(1)), T0.plus(Duration.ofHours(1))));
    clock.set(T0.plus(Duration.ofMinutes(45)));
    assertEquals(List.of("b-1"), stalledIds(catalog, P));
    clock.set(T0.minus(Duration.ofDays(1)));   // back, before every progress: nothing is stalled
    assertEquals(List.of(), stalledIds(catalog, P));
    assertEquals(0, catalog.count(P, Predicates.stalled()));
    clock.set(T0.plus(Duration.ofHours(2)));   // forward past both
    assertEquals(List.of("b-2", "b-1"), stalledIds(catalog, P));
    clock.set(T0.plus(Duration.ofMinutes(30)));
    assertEquals(List.of(), stalledIds(catalog, P));
  }

  @Test
  void progressResetsTheStallAndTheSamePercentDoesNotAndTheEndOfAJobRemovesIt() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(10))).build();
    catalog.add(available("r", T0.minus(Duration.ofDays(1))));
    catalog.add(available("d", T0.minus(Duration.ofDays(2))));
    catalog.add(job(P, "e", BackupStatus.ERROR, T0.minus(Duration.ofDays(3)), T0.minus(Duration.ofDays(3)), 0));
    catalog.add(running("c", BackupStatus.CREATING, T0, T0));
    catalog.apply(P, "r", 1, Transition.restore());
    catalog.apply(P, "d", 1, Transition.delete());
    catalog.apply(P, "e", 1, Transition.delete());           // an Error backup being deleted keeps its failure
    clock.advance(Duration.ofMinutes(11));
    assertEquals(List.of("c", "r", "d", "e"), stalledIds(catalog, P));
    catalog.apply(P, "r", 2, Transition.reportProgress(40));
    assertEquals(List.of("c", "d", "e"), stalledIds(catalog, P));
    assertEquals(Optional.of(catalog.get(P, "d")), catalog.apply(P, "d", 2, Transition.reportProgress(0)));
    assertEquals(List.of("c", "d", "e"), stalledIds(catalog, P), "the same percentage keeps the stall");
    assertEquals(Optional.empty(), catalog.apply(P, "d", 2, Transition.complete()));
    catalog.apply(P, "e", 2, Transition.fail("again"));
    catalog.apply(P, "c", 1, Transition.reportProgress(100));
    assertEquals(List.of(), stalledIds(catalog, P));
    clock.advance(Duration.ofMinutes(10));
    assertEquals(List.of(), stalledIds(catalog, P), "exactly 10 minutes after the last reports");
    clock.advance(Duration.ofNanos(1));
    assertEquals(List.of("c", "r"), stalledIds(catalog, P), "even at 100% a job that does not complete stalls");
    catalog.apply(P, "c", 2, Transition.complete());
    assertEquals(List.of("r"), stalledIds(catalog, P));
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "c").status());
  }

  @Test
  void aSecondCatalogWithAnotherRuleOverTheSameBackupsJudgesByItsOwn() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog tight = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(5))).build();
    BackupCatalog loose = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofHours(1))).build();
    tight.subscribe(loose::replay);   // the loose one follows the tight one
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      BackupStatus s = List.of(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING).get(i % 3);
      all.add(running("j" + i, s, T0.minus(Duration.ofHours(3)).plusSeconds(i), T0.minus(Duration.ofMinutes(2 * i))));
    }
    tight.addAll(all);
    for (Duration d : List.of(Duration.ZERO, Duration.ofMinutes(3), Duration.ofMinutes(40), Duration.ofMinutes(1))) {
      clock.advance(d);
      Instant now = clock.instant();
      assertEquals(scan(all, now, Duration.ofMinutes(5), NEWEST), stalledIds(tight, P), "tight at " + now);
      assertEquals(scan(all, now, Duration.ofHours(1), NEWEST), stalledIds(loose, P), "loose at " + now);
    }
    // progress through the tight one reaches the loose one with the tight one's times
    Backup j3 = tight.apply(P, "j3", 1, Transition.reportProgress(77)).orElseThrow();
    assertEquals(j3, loose.get(P, "j3"));
    all.set(3, j3);
    Instant now = clock.instant();
    assertEquals(scan(all, now, Duration.ofHours(1), NEWEST), stalledIds(loose, P));
    assertEquals(scan(all, now, Duration.ofMinutes(5), NEWEST), stalledIds(tight, P));
  }

  @Test
  void oneQueryReadsTheClockOnceSoItsPageTotalAndOperandsAgree() {
    // a clock that moves a minute each time it is read: a query that read it twice would disagree with itself
    TickingClock clock = new TickingClock(T0, Duration.ofMinutes(1));
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(30))).build();
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      all.add(running("t" + i, BackupStatus.CREATING, T0.minus(Duration.ofHours(5)), T0.minus(Duration.ofMinutes(i))));
    }
    catalog.addAll(all);
    BackupPredicate either = Predicates.or(Predicates.stalled(), Predicates.not(Predicates.stalled()));
    BackupPredicate both = Predicates.and(Predicates.stalled(), Predicates.not(Predicates.stalled()));
    for (int round = 0; round < 5; round++) {
      assertEquals(all.size(), catalog.count(P, either));
      assertEquals(0, catalog.count(P, both));
      assertEquals(all.size(), catalog.query(P, Query.builder().where(either).limit(1000).build()).total());
      Page page = catalog.query(P, Query.builder().where(Predicates.stalled()).limit(7).build());
      Page whole = catalog.query(P, Query.builder().where(Predicates.stalled()).limit(1000).build());
      assertTrue(whole.total() >= page.total(), "the clock only moves forward: " + whole.total() + " " + page.total());
      assertEquals(whole.total(), whole.backups().size());
      assertEquals(all.size(), catalog.usage(P, UsageQuery.of(either, 0, 10)).backups());
    }
  }

  @Test
  void oneReadAnswersEveryCallAtTheSameInstantWhileTheClockMoves() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      all.add(running("v" + i, BackupStatus.DELETING, T0.minus(Duration.ofHours(2)), T0.minus(Duration.ofMinutes(i))));
    }
    catalog.addAll(all);
    List<Long> counts = catalog.read(P, view -> {
      List<Long> out = new ArrayList<>();
      out.add(view.count(Predicates.stalled()));
      clock.advance(Duration.ofMinutes(20));
      out.add(view.count(Predicates.stalled()));
      out.add(view.query(Query.builder().where(Predicates.stalled()).limit(1000).build()).total());
      out.add(view.usage(UsageQuery.of(Predicates.stalled(), 0, 5)).backups());
      return out;
    });
    long atStart = scan(all, T0, Duration.ofMinutes(30), NEWEST).size();
    assertEquals(List.of(atStart, atStart, atStart, atStart), counts);
    assertEquals(scan(all, clock.instant(), Duration.ofMinutes(30), NEWEST).size(), catalog.count(P, Predicates.stalled()));
  }

  // ------------------------------------------------------------------ paging while the clock moves

  @Test
  void aMarkerPageFollowsTheMarkersPlaceAndTheNewClocksMatchesAndTotal() {
    FakeClock clock = FakeClock.at(T0);
    Duration threshold = Duration.ofMinutes(30);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      // created one minute apart, progress one minute apart in the other direction
      all.add(running(String.format("m%02d", i), BackupStatus.RESTORING, T0.minus(Duration.ofHours(3)).plusSeconds(60L * i),
          T0.minus(Duration.ofMinutes(i))));
    }
    catalog.addAll(all);
    clock.set(T0.plus(Duration.ofMinutes(5)));       // m26 .. m49 stalled
    Query first = Query.builder().where(Predicates.stalled()).limit(10).build();
    Page p1 = catalog.query(P, first);
    List<String> expected1 = scan(all, clock.instant(), threshold, NEWEST);
    assertEquals(expected1.subList(0, 10), p1.ids());
    assertEquals(expected1.size(), p1.total());
    String marker = p1.nextMarker().orElseThrow();
    clock.advance(Duration.ofMinutes(10));          // more are stalled now
    Page p2 = catalog.query(P, first.after(marker));
    List<String> expected2 = scan(all, clock.instant(), threshold, NEWEST);
    List<String> after = expected2.subList(expected2.indexOf(marker) + 1, expected2.size());
    assertEquals(after.subList(0, 10), p2.ids());
    assertEquals(expected2.size(), p2.total(), "the total is the new clock's");
    // the clock set back so far that the marker is no longer stalled: the page still follows its place
    clock.set(T0.plus(Duration.ofMinutes(-14)));    // stalled: m45 .. m49 (changed before T0-44m)
    Page p3 = catalog.query(P, first.after(marker));
    List<Backup> expected3 = all.stream().filter(b -> stalledByDoc(b, clock.instant(), threshold))
        .sorted(order(NEWEST)).collect(Collectors.toList());
    Backup markerBackup = catalog.get(P, marker);
    List<String> expectedAfter = expected3.stream().filter(b -> order(NEWEST).compare(b, markerBackup) > 0)
        .map(Backup::id).collect(Collectors.toList());
    assertEquals(expectedAfter, p3.ids());
    assertEquals(expected3.size(), p3.total());
    assertFalse(p3.hasMore());
  }

  @Test
  void aMarkerWhoseJobEndedOrProgressedBetweenPagesStillPlacesThePage() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      all.add(running("k" + (char) ('a' + i), BackupStatus.CREATING, T0.minus(Duration.ofHours(2)).plusSeconds(i),
          T0.minus(Duration.ofHours(1))));
    }
    catalog.addAll(all);
    Query q = Query.builder().where(Predicates.stalled()).sort(Sort.by(SortKey.asc(SortField.NAME))).limit(4).build();
    Page p1 = catalog.query(P, q);
    assertEquals(List.of("ka", "kb", "kc", "kd"), p1.ids());
    assertEquals(12, p1.total());
    clock.advance(Duration.ofSeconds(1));
    catalog.apply(P, "kd", 1, Transition.reportProgress(90));   // the marker is no longer stalled
    catalog.apply(P, "ke", 1, Transition.complete());           // the next one is Available now
    Page p2 = catalog.query(P, q.after("kd"));
    assertEquals(List.of("kf", "kg", "kh", "ki"), p2.ids());
    assertEquals(10, p2.total());
    clock.advance(Duration.ofSeconds(1));
    catalog.remove(P, "ki", 1);
    InvalidValueException gone = assertThrows(InvalidValueException.class, () -> catalog.query(P, q.after("ki")));
    assertEquals("marker", gone.field());
  }

  // ------------------------------------------------------------------ random differential

  @Test
  void theStalledSearchEqualsAPlainScanOnRandomJobsAsTheClockMovesBothWays() throws Exception {
    seeded(NewUserStallTest::randomRun);
  }

  private static final List<BackupStatus> STATES = List.of(BackupStatus.values());

  private static void randomRun(long seed) {
    Random r = new Random(seed);
    Duration threshold = Duration.ofSeconds(1 + r.nextInt(3600)).plusNanos(r.nextInt(3));
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(threshold)).build();
    String other = "projekt-ü-2";
    List<Backup> mine = new ArrayList<>();
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      Instant created = T0.minus(Duration.ofMinutes(r.nextInt(600))).minusNanos(r.nextInt(2) == 0 ? 0 : r.nextInt(1000));
      BackupStatus s = STATES.get(r.nextInt(STATES.size()));
      Instant progress = created.plus(Duration.ofSeconds(r.nextInt(3 * 3600)));
      String id = "r-" + Integer.toString(i, 36) + (r.nextInt(5) == 0 ? "-é" : "");
      Backup b = job(P, id, s, created, progress, r.nextInt(101));
      (r.nextInt(4) == 0 ? batch : mine).add(b);
    }
    // most one by one in random order (late ones among them), a quarter in one batch
    List<Backup> shuffled = new ArrayList<>(mine);
    java.util.Collections.shuffle(shuffled, r);
    for (Backup b : shuffled) {
      catalog.add(b);
    }
    catalog.addAll(batch);
    catalog.add(job(other, "r-0", BackupStatus.CREATING, T0.minus(Duration.ofDays(1)), T0.minus(Duration.ofDays(1)), 0));
    List<Backup> all = new ArrayList<>(shuffled);
    all.addAll(batch);
    Instant latestChange = all.stream().map(Backup::updatedAt).max(Comparator.naturalOrder()).orElseThrow();
    List<List<SortKey>> sorts = List.of(NEWEST, List.of(SortKey.asc(SortField.CREATED_AT)),
        List.of(SortKey.asc(SortField.NAME)), List.of(SortKey.desc(SortField.UPDATED_AT)),
        List.of(SortKey.asc(SortField.STATUS), SortKey.desc(SortField.CREATED_AT)), List.of(SortKey.desc(SortField.ID)));
    for (int round = 0; round < 60; round++) {
      // move the clock: forward, back, or exactly to a job's boundary
      int how = r.nextInt(4);
      if (how == 0) {
        clock.set(latestChange.minus(Duration.ofSeconds(r.nextInt(5 * 3600))));
      } else if (how == 1) {
        Backup pick = all.get(r.nextInt(all.size()));
        Instant base = pick.progress().map(Progress::changedAt).orElse(pick.updatedAt());
        clock.set(base.plus(threshold).plusNanos(r.nextInt(3) - 1));
      } else {
        clock.set(latestChange.plus(Duration.ofSeconds(r.nextInt(2 * 3600))));
      }
      // sometimes change a job through the catalog (only when the clock is after its last change)
      for (int k = 0; k < 3; k++) {
        int idx = r.nextInt(all.size());
        Backup b = all.get(idx);
        if (clock.instant().isBefore(b.updatedAt()) || b.projectId().equals(other)) {
          continue;
        }
        Transition t;
        if (b.status().isIntermediate()) {
          int pick = r.nextInt(4);
          t = pick == 0 ? Transition.complete() : pick == 1 ? Transition.fail("boom")
              : Transition.reportProgress(Math.min(100, b.progress().get().percent() + r.nextInt(3)));
        } else {
          t = r.nextBoolean() ? Transition.delete() : Transition.restore();
          if (b.status() == BackupStatus.ERROR && t != Transition.delete()) {
            continue;
          }
        }
        Optional<Backup> next = catalog.apply(P, b.id(), b.version(), t);
        if (next.isPresent()) {
          all.set(idx, next.get());
          if (next.get().updatedAt().isAfter(latestChange)) {
            latestChange = next.get().updatedAt();
          }
        } else {
          all.remove(idx);
        }
      }
      Instant now = clock.instant();
      List<SortKey> keys = sorts.get(r.nextInt(sorts.size()));
      List<String> expected = scan(all, now, threshold, keys);
      String what = "round " + round + " at " + now + " threshold " + threshold + " sort " + keys;
      assertEquals(expected.size(), catalog.count(P, Predicates.stalled()), what);
      int limit = 1 + r.nextInt(40);
      Query q = Query.builder().where(Predicates.stalled()).sort(Sort.by(keys)).limit(limit).build();
      Page page = catalog.query(P, q);
      List<String> got = new ArrayList<>(page.ids());
      assertEquals(expected.size(), page.total(), what);
      int pages = 1;
      while (page.nextMarker().isPresent() && pages < 400) {
        page = catalog.query(P, q.after(page.nextMarker().get()));
        assertEquals(expected.size(), page.total(), what);
        got.addAll(page.ids());
        pages++;
      }
      assertEquals(expected, got, what);
      if (r.nextInt(4) == 0) {
        int offset = r.nextInt(expected.size() + 2);
        Page byOffset = catalog.query(P, Query.builder().where(Predicates.stalled()).sort(Sort.by(keys))
            .limit(limit).offset(offset).build());
        assertEquals(expected.subList(Math.min(offset, expected.size()), Math.min(offset + limit, expected.size())),
            byOffset.ids(), what + " offset " + offset);
      }
      assertEquals(all.size() - expected.size(), catalog.count(P, Predicates.not(Predicates.stalled())), what);
      long stalledRestoring = all.stream()
          .filter(b -> b.status() == BackupStatus.RESTORING && stalledByDoc(b, now, threshold)).count();
      assertEquals(stalledRestoring, catalog.count(P,
          Predicates.and(Predicates.stalled(), Predicates.status(BackupStatus.RESTORING))), what);
      long stalledOrError = all.stream()
          .filter(b -> b.status() == BackupStatus.ERROR || stalledByDoc(b, now, threshold)).count();
      assertEquals(stalledOrError, catalog.count(P,
          Predicates.or(Predicates.stalled(), Predicates.status(BackupStatus.ERROR))), what);
      assertEquals(expected.size(), catalog.usage(P, UsageQuery.of(Predicates.stalled(), 0, 10)).backups(), what);
      assertEquals(all.size(), catalog.stats(P).backups(), what);
    }
  }

  // ------------------------------------------------------------------ stats while the clock moves

  @Test
  void lateJobsAndRemovalsReorganiseTheProjectAndTheStalledSearchStaysExact() throws Exception {
    FakeClock clock = FakeClock.at(T0);
    Duration threshold = Duration.ofMinutes(30);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    List<Backup> inOrder = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      BackupStatus s = i % 4 == 0 ? BackupStatus.CREATING : BackupStatus.AVAILABLE;
      inOrder.add(job(P, "o" + i, s, T0.minus(Duration.ofDays(30)).plusSeconds(60L * i),
          T0.minus(Duration.ofDays(30)).plusSeconds(60L * i + 5), 3));
    }
    catalog.addAll(inOrder);
    all.addAll(inOrder);
    ProjectStats before = catalog.stats(P);
    assertEquals(2000, before.backups());
    // late jobs: older than every backup there, added one by one
    for (int i = 0; i < 1500; i++) {
      Backup late = job(P, "late" + i, i % 2 == 0 ? BackupStatus.RESTORING : BackupStatus.AVAILABLE,
          T0.minus(Duration.ofDays(60)).plusSeconds(i), T0.minus(Duration.ofMinutes(i % 90)), 1);
      catalog.add(late);
      all.add(late);
    }
    for (int i = 0; i < 800; i += 2) {
      Backup b = catalog.get(P, "o" + i);
      catalog.remove(P, b.id(), b.version());
      all.removeIf(x -> x.id().equals(b.id()));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    int checks = 0;
    do {
      clock.advance(Duration.ofMinutes(1));
      Instant now = clock.instant();
      List<String> expected = scan(all, now, threshold, NEWEST);
      Page page = catalog.query(P, Query.builder().where(Predicates.stalled()).limit(50).build());
      assertEquals(expected.size(), page.total(), "at " + now);
      assertEquals(expected.subList(0, Math.min(50, expected.size())), page.ids(), "at " + now);
      if (checks % 3 == 0) {
        List<SortKey> oldest = List.of(SortKey.asc(SortField.CREATED_AT));
        List<String> ascending = scan(all, now, threshold, oldest);
        int offset = checks % 7 * 13;
        assertEquals(ascending.subList(Math.min(offset, ascending.size()), Math.min(offset + 40, ascending.size())),
            catalog.query(P, Query.builder().where(Predicates.stalled()).sort(Sort.by(oldest)).offset(offset).limit(40)
                .build()).ids(), "oldest first at " + now);
        String marker = expected.get(expected.size() / 2);
        int at = expected.indexOf(marker) + 1;
        assertEquals(expected.subList(at, Math.min(at + 25, expected.size())),
            catalog.query(P, Query.builder().where(Predicates.stalled()).marker(marker).limit(25).build()).ids(),
            "after " + marker + " at " + now);
      }
      if (checks % 4 == 3) {
        clock.set(clock.instant().minus(Duration.ofMinutes(3)));   // now and then the clock goes back
      }
      checks++;
      if (catalog.stats(P).reorganisations() > before.reorganisations() && checks > 3) {
        break;
      }
      Thread.sleep(20);
    } while (System.nanoTime() < deadline);
    ProjectStats after = catalog.stats(P);
    assertEquals(all.size(), after.backups());
    assertTrue(after.reorganisations() >= 1, "late or removed backups beyond a fraction make one due: " + after);
    assertTrue(after.longestReorganisation().compareTo(after.reorganisationTime()) <= 0, after.toString());
    // after the reorganisation: the same answers on every page
    clock.advance(Duration.ofMinutes(7));
    Instant now = clock.instant();
    List<String> expected = scan(all, now, threshold, NEWEST);
    assertEquals(expected, allPages(catalog, Query.builder().where(Predicates.stalled()).limit(333).build()));
  }

  private static List<String> allPages(BackupCatalog catalog, Query q) {
    Page page = catalog.query(P, q);
    List<String> got = new ArrayList<>(page.ids());
    while (page.nextMarker().isPresent()) {
      page = catalog.query(P, q.after(page.nextMarker().get()));
      got.addAll(page.ids());
    }
    return got;
  }

  @Test
  void statsAreTheSameWhereverTheClockStandsAndCountTheStalledJobsAsBackups() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(running("s1", BackupStatus.CREATING, T0, T0));
    ProjectStats now = catalog.stats(P);
    clock.set(Instant.MAX);
    ProjectStats far = catalog.stats(P);
    clock.set(Instant.MIN);
    ProjectStats back = catalog.stats(P);
    assertEquals(1, now.backups());
    assertEquals(1, far.backups());
    assertEquals(1, back.backups());
    assertEquals(0, far.reorganisations());
  }

  // ------------------------------------------------------------------ more paths to the stalled search

  @Test
  void aTagChangeOfARunningJobIsNotProgressAndKeepsItsStall() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(running("b-1", BackupStatus.RESTORING, T0.minusSeconds(10), T0));
    catalog.add(running("b-2", BackupStatus.CREATING, T0.minusSeconds(20), T0));
    clock.advance(Duration.ofMinutes(20));
    Backup tagged = catalog.updateTags(P, "b-1", 1, io.csbs.backup.TagUpdate.create(io.csbs.backup.Tag.of("env", "prod")));
    assertEquals(2, tagged.version());
    assertEquals(T0, tagged.progress().orElseThrow().changedAt(), "the progress time stays");
    clock.advance(Duration.ofMinutes(10).plusNanos(1));
    assertEquals(List.of("b-1", "b-2"), stalledIds(catalog, P), "30 minutes since the progress, 10 since the tags");
    assertEquals(2, catalog.count(P, Predicates.stalled()));
    assertEquals(1, catalog.count(P, Predicates.and(Predicates.stalled(), Predicates.tag("env", "prod"))));
  }

  @Test
  void aLoadedSnapshotsRunningJobsAreJudgedAndAReplayedProgressResetsThem() {
    FakeClock clock = FakeClock.at(T0.plus(Duration.ofHours(1)));
    BackupCatalog replica = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(15))).build();
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      BackupStatus s = List.of(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING,
          BackupStatus.AVAILABLE).get(i % 4);
      backups.add(running("s" + i, s, T0.minusSeconds(i), T0.plus(Duration.ofMinutes(i * 2))));
    }
    replica.load(new io.csbs.catalog.ProjectSnapshot(P, 7, io.csbs.usage.Quota.NONE, backups));
    Instant now = clock.instant();
    assertEquals(scan(backups, now, Duration.ofMinutes(15), NEWEST), stalledIds(replica, P));
    // a progress decided elsewhere
    FakeClock elsewhere = FakeClock.at(now);
    Backup before = backups.get(0);
    Backup after = Lifecycle.reportProgress(before, 55, elsewhere.instant());
    assertTrue(replica.replay(new io.csbs.catalog.Change(8, P, before.id(), Optional.of(before), Optional.of(after),
        Optional.of(Transition.reportProgress(55)))));
    backups.set(0, after);
    assertEquals(scan(backups, now, Duration.ofMinutes(15), NEWEST), stalledIds(replica, P));
    clock.set(now.plus(Duration.ofMinutes(16)));
    assertEquals(scan(backups, clock.instant(), Duration.ofMinutes(15), NEWEST), stalledIds(replica, P));
  }

  @Test
  void theAllProjectsViewJudgesStalledJobsOfEveryProjectAtOneInstant() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(3))).build();
    List<Backup> all = new ArrayList<>();
    String[] projects = {"a", "ä", "Z-9", "p" + "x".repeat(60), "日本"};
    for (int i = 0; i < 50; i++) {
      String project = projects[i % projects.length];
      Backup b = job(project, "id-" + (i % 10) + "-" + i, i % 7 == 0 ? BackupStatus.AVAILABLE : BackupStatus.CREATING,
          T0.minusSeconds(1000 + i), T0.minusSeconds(i * 10L), 5);
      all.add(b);
      catalog.add(b);
    }
    for (Duration d : List.of(Duration.ZERO, Duration.ofMinutes(2), Duration.ofSeconds(50), Duration.ofMinutes(5))) {
      clock.advance(d);
      Instant now = clock.instant();
      long expected = all.stream().filter(b -> stalledByDoc(b, now, Duration.ofMinutes(3))).count();
      assertEquals(expected, catalog.countAllProjects(Predicates.stalled()), "at " + now);
      Page page = catalog.queryAllProjects(Query.builder().where(Predicates.stalled()).limit(1000).build());
      assertEquals(expected, page.total(), "at " + now);
      assertEquals(expected, page.backups().size());
      for (Backup b : page.backups()) {
        assertTrue(stalledByDoc(b, now, Duration.ofMinutes(3)), b.toString());
      }
      long inOne = all.stream().filter(b -> b.projectId().equals("ä") && stalledByDoc(b, now, Duration.ofMinutes(3))).count();
      assertEquals(inOne, catalog.count("ä", Predicates.stalled()));
    }
  }

  @Test
  void theStalledCriterionOnOneBackupIsTheDocsDefinition() {
    Duration threshold = Duration.ofSeconds(90);
    StallRule rule = StallRule.ofThreshold(threshold);
    Backup b = running("b-1", BackupStatus.DELETING, T0, T0.plusSeconds(5));
    for (long ns : new long[] {-1, 0, 1, 2}) {
      Instant now = T0.plusSeconds(5).plus(threshold).plusNanos(ns);
      assertEquals(stalledByDoc(b, now, threshold), Predicates.stalled().test(b, now, rule), "ns " + ns);
      assertEquals(stalledByDoc(b, now, threshold), rule.isStalled(b, now), "ns " + ns);
    }
    // with a clock, the default rule
    FakeClock clock = FakeClock.at(T0.plusSeconds(5).plus(Duration.ofMinutes(30)));
    assertFalse(Predicates.stalled().test(b, clock));
    clock.advance(Duration.ofNanos(1));
    assertTrue(Predicates.stalled().test(b, clock));
  }

  @Test
  void randomTreesWithStalledAnswerAsTheirOwnTestAtOneInstant() throws Exception {
    seeded(seed -> {
      Random r = new Random(seed);
      Duration threshold = Duration.ofMinutes(1 + r.nextInt(60));
      StallRule rule = StallRule.ofThreshold(threshold);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
      List<Backup> all = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        Instant created = T0.minus(Duration.ofMinutes(r.nextInt(3 * 24 * 60)));
        Backup b = job(P, "t" + i, STATES.get(r.nextInt(STATES.size())), created,
            created.plus(Duration.ofMinutes(r.nextInt(24 * 60))), r.nextInt(101));
        all.add(b);
      }
      java.util.Collections.shuffle(all, r);
      for (Backup b : all) {
        catalog.add(b);
      }
      for (int round = 0; round < 80; round++) {
        clock.set(T0.plus(Duration.ofMinutes(r.nextInt(2 * 24 * 60) - 24 * 60)));
        BackupPredicate p = randomTree(r, 3);
        Instant now = clock.instant();
        List<String> expected = all.stream().filter(b -> p.test(b, now, rule)).sorted(order(NEWEST)).map(Backup::id)
            .collect(Collectors.toList());
        String what = "seed " + seed + " round " + round + " " + p + " at " + now;
        assertEquals(expected.size(), catalog.count(P, p), what);
        assertEquals(expected, catalog.query(P, Query.builder().where(p).limit(1000).build()).ids(), what);
      }
    });
  }

  private static BackupPredicate randomTree(Random r, int depth) {
    int k = depth == 0 ? r.nextInt(4) : r.nextInt(7);
    switch (k) {
      case 0: return Predicates.stalled();
      case 1: return Predicates.status(STATES.get(r.nextInt(STATES.size())));
      case 2: return Predicates.createdWithinLast(Duration.ofMinutes(1 + r.nextInt(3 * 24 * 60)));
      case 3: return Predicates.stalled();
      case 4: return Predicates.not(randomTree(r, depth - 1));
      case 5: return Predicates.and(randomTree(r, depth - 1), randomTree(r, depth - 1));
      default: return Predicates.or(randomTree(r, depth - 1), randomTree(r, depth - 1));
    }
  }

  @Test
  void aBigBatchInCreationOrderWithThousandsOfRunningJobsAnswersAsAScan() {
    Random r = new Random(42);
    FakeClock clock = FakeClock.at(T0);
    Duration threshold = Duration.ofMinutes(30);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>(ProjectShardSizes.BATCH);
    for (int i = 0; i < ProjectShardSizes.BATCH; i++) {
      Instant created = T0.minus(Duration.ofDays(10)).plusSeconds(40L * i);
      BackupStatus s = i % 5 < 3 ? BackupStatus.CREATING : i % 5 == 3 ? BackupStatus.DELETING : BackupStatus.AVAILABLE;
      // progress times not clustered with creation: anywhere in the last 3 hours, or just after creation
      Instant progress = r.nextBoolean() ? T0.minusSeconds(r.nextInt(3 * 3600)) : created;
      if (progress.isBefore(created)) {
        progress = created;
      }
      all.add(job(P, "big" + i, s, created, progress, r.nextInt(100)));
    }
    catalog.addAll(all);
    for (Duration d : List.of(Duration.ofMinutes(17), Duration.ofMinutes(-40), Duration.ofHours(3))) {
      clock.set(clock.instant().plus(d));
      Instant now = clock.instant();
      List<String> expected = scan(all, now, threshold, NEWEST);
      Page first = catalog.query(P, Query.builder().where(Predicates.stalled()).limit(20).build());
      assertEquals(expected.size(), first.total(), "at " + now);
      assertEquals(expected.subList(0, Math.min(20, expected.size())), first.ids(), "at " + now);
      Page oldest = catalog.query(P, Query.builder().where(Predicates.stalled())
          .sort(Sort.by(SortKey.asc(SortField.CREATED_AT))).limit(20).build());
      List<String> ascending = scan(all, now, threshold, List.of(SortKey.asc(SortField.CREATED_AT)));
      assertEquals(ascending.subList(0, Math.min(20, ascending.size())), oldest.ids(), "at " + now);
      int offset = expected.size() / 2;
      Page middle = catalog.query(P, Query.builder().where(Predicates.stalled()).offset(offset).limit(50).build());
      assertEquals(expected.subList(offset, Math.min(offset + 50, expected.size())), middle.ids(), "at " + now);
      if (!expected.isEmpty()) {
        String marker = expected.get(expected.size() / 3);
        Page after = catalog.query(P, Query.builder().where(Predicates.stalled()).marker(marker).limit(30).build());
        int at = expected.indexOf(marker) + 1;
        assertEquals(expected.subList(at, Math.min(at + 30, expected.size())), after.ids(), "at " + now);
      }
    }
  }

  @Test
  void pagingTheStalledSearchWhileTheClockAndTheJobsMoveBetweenPagesFollowsTheMarkersPlace() throws Exception {
    seeded(seed -> {
      Random r = new Random(seed);
      Duration threshold = Duration.ofMinutes(20);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(threshold)).build();
      java.util.Map<String, Backup> current = new java.util.LinkedHashMap<>();
      for (int i = 0; i < 160; i++) {
        Instant created = T0.minus(Duration.ofMinutes(300 + r.nextInt(600)));
        BackupStatus s = STATES.get(r.nextInt(STATES.size()));
        Backup b = job(P, "pg" + i, s, created, T0.minus(Duration.ofMinutes(r.nextInt(120))), r.nextInt(90));
        catalog.add(b);
        current.put(b.id(), b);
      }
      List<List<SortKey>> sorts = List.of(NEWEST, List.of(SortKey.desc(SortField.UPDATED_AT)),
          List.of(SortKey.asc(SortField.NAME)), List.of(SortKey.asc(SortField.STATUS), SortKey.asc(SortField.UPDATED_AT)));
      for (int session = 0; session < 25; session++) {
        List<SortKey> keys = sorts.get(r.nextInt(sorts.size()));
        Query q = Query.builder().where(Predicates.stalled()).sort(Sort.by(keys)).limit(1 + r.nextInt(12)).build();
        String marker = null;
        for (int pageNo = 0; pageNo < 40; pageNo++) {
          String what = "seed " + seed + " session " + session + " page " + pageNo + " sort " + keys + " marker " + marker;
          Instant now = clock.instant();
          List<Backup> stalled = current.values().stream().filter(b -> stalledByDoc(b, now, threshold))
              .sorted(order(keys)).collect(Collectors.toList());
          List<String> expected;
          if (marker == null) {
            expected = stalled.stream().map(Backup::id).collect(Collectors.toList());
          } else {
            Backup at = current.get(marker);
            if (at == null) {
              String gone = marker;
              InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.query(P, q.after(gone)), what);
              assertEquals("marker", e.field(), what);
              break;
            }
            expected = stalled.stream().filter(b -> order(keys).compare(b, at) > 0).map(Backup::id)
                .collect(Collectors.toList());
          }
          Page page = catalog.query(P, marker == null ? q : q.after(marker));
          assertEquals(expected.subList(0, Math.min(q.limit(), expected.size())), page.ids(), what);
          assertEquals(stalled.size(), page.total(), what + ": the total is of the page's instant");
          assertEquals(expected.size() > q.limit(), page.hasMore(), what);
          if (page.nextMarker().isEmpty()) {
            break;
          }
          marker = page.nextMarker().get();
          // between pages: the clock moves (mostly forward, sometimes back) and jobs change
          int move = r.nextInt(6);
          if (move == 0) {
            clock.set(clock.instant().minus(Duration.ofMinutes(r.nextInt(10))));
          } else if (move < 4) {
            clock.advance(Duration.ofSeconds(r.nextInt(900)));
          }
          for (int k = r.nextInt(3); k > 0; k--) {
            List<Backup> candidates = new ArrayList<>(current.values());
            Backup b = r.nextInt(3) == 0 && current.containsKey(marker) ? current.get(marker)
                : candidates.get(r.nextInt(candidates.size()));
            if (clock.instant().isBefore(b.updatedAt())) {
              continue;
            }
            Transition t;
            if (b.status().isIntermediate()) {
              int pick = r.nextInt(5);
              t = pick == 0 ? Transition.complete() : pick == 1 ? Transition.fail("x")
                  : Transition.reportProgress(Math.min(100, b.progress().get().percent() + 1 + r.nextInt(5)));
            } else if (b.status() == BackupStatus.ERROR) {
              t = Transition.delete();
            } else {
              t = r.nextBoolean() ? Transition.restore() : Transition.delete();
            }
            Optional<Backup> next = catalog.apply(P, b.id(), b.version(), t);
            if (next.isPresent()) {
              current.put(b.id(), next.get());
            } else {
              current.remove(b.id());
            }
          }
        }
        // keep the jobs running: every so often start new jobs on Available backups
        clock.advance(Duration.ofMinutes(r.nextInt(30)));
      }
    });
  }

  @Test
  void aBulkLoadAndAFirstSortByNameFinishWhileEveryCommonPoolThreadIsBusy() throws Exception {
    int parallelism = java.util.concurrent.ForkJoinPool.getCommonPoolParallelism();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(parallelism);
    List<java.util.concurrent.Future<?>> blockers = new ArrayList<>();
    for (int i = 0; i < parallelism; i++) {
      blockers.add(java.util.concurrent.ForkJoinPool.commonPool().submit(() -> {
        started.countDown();
        try {
          release.await(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    try {
      assertTrue(started.await(30, java.util.concurrent.TimeUnit.SECONDS), "the pool's threads took our tasks");
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      List<Backup> all = new ArrayList<>();
      for (int i = 0; i < ProjectShardSizes.BATCH; i++) {
        BackupStatus s = i % 3 == 0 ? BackupStatus.RESTORING : BackupStatus.AVAILABLE;
        all.add(job(P, "fj" + i, s, T0.minus(Duration.ofDays(20)).plusSeconds(30L * i),
            T0.minusSeconds(i % 4000), 1));
      }
      java.util.concurrent.ExecutorService own = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        java.util.concurrent.Future<List<String>> work = own.submit(() -> {
          catalog.addAll(all);
          return catalog.query(P, Query.builder().where(Predicates.stalled())
              .sort(Sort.by(SortKey.asc(SortField.NAME))).limit(5).build()).ids();
        });
        List<String> firstByName = work.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(scan(all, T0, Duration.ofMinutes(30), List.of(SortKey.asc(SortField.NAME))).subList(0, 5),
            firstByName);
      } finally {
        own.shutdownNow();
      }
    } finally {
      release.countDown();
      for (java.util.concurrent.Future<?> f : blockers) {
        f.get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
  }

  /** A batch larger than the size at which the docs say a bulk load shares its work with the pool. */
  private static final class ProjectShardSizes {
    static final int BATCH = 17_000;
  }

  @Test
  void jobsStartingAndEndingOneByOneKeepTheStalledCountExactAtEveryStep() throws Exception {
    seeded(seed -> {
      Random r = new Random(seed);
      Duration threshold = Duration.ofMinutes(10);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(threshold)).build();
      java.util.Map<String, Backup> current = new java.util.HashMap<>();
      List<String> ids = new ArrayList<>();
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < 1200; i++) {
        Backup b = available("one" + i, T0.minus(Duration.ofDays(5)).plusSeconds(60L * i));
        load.add(b);
        current.put(b.id(), b);
        ids.add(b.id());
      }
      catalog.addAll(load);
      int late = 0;
      for (int step = 0; step < 1500; step++) {
        clock.advance(Duration.ofSeconds(r.nextInt(60)));
        if (r.nextInt(40) == 0) {   // a late backup, already running, now and then
          Backup b = job(P, "late" + late++, r.nextBoolean() ? BackupStatus.CREATING : BackupStatus.DELETING,
              T0.minus(Duration.ofDays(9)).plusSeconds(r.nextInt(86_400)), clock.instant().minusSeconds(r.nextInt(1200)), 3);
          catalog.add(b);
          current.put(b.id(), b);
          ids.add(b.id());
        }
        String id = ids.get(r.nextInt(ids.size()));
        Backup b = current.get(id);
        if (b != null) {
          Transition t;
          switch (b.status()) {
            case AVAILABLE: t = Transition.restore(); break;
            case ERROR: t = Transition.delete(); break;
            default:
              int pick = r.nextInt(6);
              t = pick == 0 ? Transition.complete() : pick == 1 ? Transition.fail("f")
                  : Transition.reportProgress(Math.min(100, b.progress().get().percent() + r.nextInt(4)));
          }
          Optional<Backup> next = catalog.apply(P, id, b.version(), t);
          if (next.isPresent()) {
            current.put(id, next.get());
          } else {
            current.remove(id);
          }
        }
        Instant now = clock.instant();
        long expected = current.values().stream().filter(x -> stalledByDoc(x, now, threshold)).count();
        String what = "seed " + seed + " step " + step + " at " + now;
        assertEquals(expected, catalog.count(P, Predicates.stalled()), what);
        if (step % 25 == 0) {
          List<String> first = scan(new ArrayList<>(current.values()), now, threshold, NEWEST);
          assertEquals(first.subList(0, Math.min(10, first.size())),
              catalog.query(P, Query.builder().where(Predicates.stalled()).limit(10).build()).ids(), what);
        }
      }
    });
  }

  @Test
  void aQueryACountAndAUsageReadTheClockOnceEach() {
    TickingClock clock = new TickingClock(T0, Duration.ofSeconds(1));
    BackupCatalog catalog = Catalogs.builder().clock(clock).build();
    catalog.add(running("c-1", BackupStatus.CREATING, T0.minus(Duration.ofHours(1)), T0.minus(Duration.ofHours(1))));
    catalog.add(available("c-2", T0.minus(Duration.ofHours(2))));
    List<String> reads = new ArrayList<>();
    for (BackupPredicate p : List.of(Predicates.stalled(), Predicates.all(), Predicates.status(BackupStatus.CREATING),
        Predicates.and(Predicates.stalled(), Predicates.createdWithinLast(Duration.ofDays(1))))) {
      long before = clock.reads.get();
      catalog.query(P, Query.where(p));
      long afterQuery = clock.reads.get();
      catalog.count(P, p);
      long afterCount = clock.reads.get();
      catalog.usage(P, UsageQuery.of(p, 0, 5));
      long afterUsage = clock.reads.get();
      catalog.read(P, view -> view.count(p) + view.query(Query.where(p)).total());
      long afterRead = clock.reads.get();
      reads.add(p + ": " + (afterQuery - before) + "," + (afterCount - afterQuery) + "," + (afterUsage - afterCount)
          + "," + (afterRead - afterUsage));
    }
    for (String line : reads) {
      assertTrue(line.endsWith(": 1,1,1,1"), "each call reads the clock once: " + reads);
    }
  }

  @Test
  void jobsAtTheEdgesOfTimeAreJudgedLikeAnyOther() {
    FakeClock clock = FakeClock.at(T0);
    Duration threshold = Duration.ofMinutes(30);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = List.of(
        job(P, "min", BackupStatus.CREATING, Instant.MIN, Instant.MIN, 1),
        job(P, "y1", BackupStatus.RESTORING, Instant.parse("0001-01-01T00:00:00Z"), Instant.parse("0001-01-01T00:00:00Z"), 1),
        job(P, "y1500", BackupStatus.DELETING, Instant.parse("1500-06-01T00:00:00Z"), Instant.parse("1500-06-01T00:00:00.5Z"), 1),
        job(P, "y3000", BackupStatus.CREATING, Instant.parse("3000-01-01T00:00:00Z"), Instant.parse("3000-01-01T00:00:00Z"), 1),
        job(P, "max", BackupStatus.RESTORING, Instant.MAX.minusSeconds(1), Instant.MAX, 1),
        job(P, "now", BackupStatus.CREATING, T0, T0, 1));
    for (Backup b : all) {
      catalog.add(b);
    }
    for (Instant at : List.of(Instant.MIN, Instant.MIN.plus(threshold), Instant.MIN.plus(threshold).plusNanos(1),
        Instant.parse("0001-01-01T00:30:00Z"), Instant.parse("0001-01-01T00:30:00.000000001Z"),
        Instant.parse("1500-06-01T00:30:00.5Z"), Instant.parse("1500-06-01T00:30:00.500000001Z"), T0,
        T0.plus(threshold).plusNanos(1), Instant.parse("3000-01-01T00:30:00.000000001Z"), Instant.MAX.minus(threshold),
        Instant.MAX)) {
      clock.set(at);
      List<String> expected = scan(all, at, threshold, NEWEST);
      assertEquals(expected, stalledIds(catalog, P), "at " + at);
      assertEquals(expected.size(), catalog.count(P, Predicates.stalled()), "at " + at);
      assertEquals(scan(all, at, threshold, List.of(SortKey.asc(SortField.NAME))),
          catalog.query(P, Query.builder().where(Predicates.stalled()).sort(Sort.by(SortKey.asc(SortField.NAME))).build()).ids(),
          "at " + at);
    }
  }

  @Test
  void concurrentProgressAndAMovingClockNeverGiveAPageThatDisagreesWithItself() throws Exception {
    FakeClock clock = FakeClock.at(T0);
    Duration threshold = Duration.ofSeconds(30);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(threshold)).build();
    int n = 300;
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      load.add(running("cc" + i, i % 2 == 0 ? BackupStatus.RESTORING : BackupStatus.CREATING,
          T0.minus(Duration.ofDays(1)).plusSeconds(i), T0.minusSeconds(i % 60)));
    }
    catalog.addAll(load);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < 1; w++) {
      int first = w;
      threads.add(new Thread(() -> {
        Random r = new Random(first);
        try {
          while (!stop.get()) {
            String id = "cc" + r.nextInt(n);
            Backup b = catalog.get(P, id);
            if (b.status().isIntermediate()) {
              int pct = b.progress().get().percent();
              catalog.apply(P, id, b.version(), pct >= 95 ? Transition.complete() : Transition.reportProgress(pct + 1));
            } else {
              catalog.apply(P, id, b.version(), Transition.restore());
            }
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      }));
    }
    threads.add(new Thread(() -> {
      while (!stop.get()) {
        clock.advance(Duration.ofMillis(700));
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
      }
    }));
    threads.forEach(Thread::start);
    try {
      for (int q = 0; q < 150; q++) {
        Page page = catalog.query(P, Query.builder().where(Predicates.stalled()).limit(1000).build());
        Instant after = clock.instant();
        assertEquals(page.total(), page.backups().size(), "one state: the page holds every match");
        for (Backup b : page.backups()) {
          assertTrue(b.status().isIntermediate(), b.toString());
          assertTrue(Duration.between(b.progress().get().changedAt(), after).compareTo(threshold) > 0,
              b + " is not stalled even at " + after);
        }
        long either = catalog.count(P, Predicates.or(Predicates.stalled(),
            Predicates.and(Predicates.not(Predicates.stalled()), Predicates.status(BackupStatus.AVAILABLE,
                BackupStatus.CREATING, BackupStatus.RESTORING))));
        assertEquals(n, either, "every backup is stalled, or not stalled and in one of its states");
      }
    } finally {
      stop.set(true);
      for (Thread t : threads) {
        t.join(30_000);
        assertFalse(t.isAlive(), "a thread did not stop");
      }
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }

  /** Runs counts of a window relative to the present beside a writer; returns the most clock reads one count made. */
  private static long mostClockReadsOfOneCountBesideAWriter(int counts) throws Exception {
    TickingClock clock = new TickingClock(T0, Duration.ofNanos(1));
    BackupCatalog catalog = Catalogs.builder().clock(clock).build();
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      load.add(available("w" + i, T0.minus(Duration.ofDays(30)).plusSeconds(600L * i)));
    }
    catalog.addAll(load);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    // adds and removals read no clock: every read of it is the counts'
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; !stop.get(); i++) {
          Backup b = available("x" + i, T0.minus(Duration.ofDays(2)).plusSeconds(i % 1000));
          catalog.add(b);
          catalog.remove(P, b.id(), b.version());
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    writer.start();
    long most = 0;
    try {
      BackupPredicate lastWeek = Predicates.createdWithinLast(Duration.ofDays(7));
      for (int i = 0; i < counts; i++) {
        long before = clock.reads.get();
        catalog.count(P, lastWeek);
        most = Math.max(most, clock.reads.get() - before);
      }
    } finally {
      stop.set(true);
      writer.join(30_000);
    }
    assertFalse(writer.isAlive());
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    return most;
  }

  @Test
  void aCountBesideAWriterReadsTheClockOnceAsDocumented() throws Exception {
    assertEquals(1, mostClockReadsOfOneCountBesideAWriter(20_000));
  }

  @Test
  void aSubscriberSeesTheStalledSearchWithTheChangeItIsGiven() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    int n = 40;
    for (int i = 0; i < n; i++) {
      catalog.add(running("sub" + i, BackupStatus.CREATING, T0.minusSeconds(3600 + i), T0.minusSeconds(3600)));
    }
    List<String> seen = new ArrayList<>();
    catalog.subscribe(change -> {
      long count = catalog.count(P, Predicates.stalled());
      boolean listed = stalledIds(catalog, P).contains(change.backupId());
      seen.add(change.backupId() + ":" + count + ":" + listed);
    });
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = "sub" + i;
      if (i % 2 == 0) {
        catalog.apply(P, id, 1, Transition.reportProgress(50));
      } else {
        catalog.apply(P, id, 1, i % 4 == 1 ? Transition.complete() : Transition.fail("no space"));
      }
      expected.add(id + ":" + (n - i - 1) + ":false");
    }
    assertEquals(expected, seen, "committed and visible to queries when delivered");
  }

  @Test
  void aProgressVisibleToOneThreadIsSeenByTheStalledSearchOfAnother() throws Exception {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    int n = 3000;
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      load.add(running("x" + i, BackupStatus.RESTORING, T0.minusSeconds(7200).plusSeconds(i), T0.minusSeconds(3600)));
    }
    catalog.addAll(load);
    java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < n; i++) {
          catalog.apply(P, "x" + i, 1, i % 3 == 0 ? Transition.complete() : Transition.reportProgress(11));
          done.set(i + 1);
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    writer.start();
    List<String> wrong = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (writer.isAlive() && System.nanoTime() < deadline) {
      int returned = done.get();
      long stalled = catalog.count(P, Predicates.stalled());
      if (stalled > n - returned && wrong.size() < 5) {
        wrong.add(returned + " changes returned, still " + stalled + " stalled");
      }
      // a change another thread can already find is counted too
      int next = Math.min(returned, n - 1);
      if (catalog.get(P, "x" + next).version() > 1 || catalog.find(P, "x" + next).isEmpty()) {
        long after = catalog.count(P, Predicates.stalled());
        if (after > n - next - 1 && wrong.size() < 5) {
          wrong.add("x" + next + " found changed, still " + after + " stalled");
        }
      }
    }
    writer.join(30_000);
    assertFalse(writer.isAlive());
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertEquals(List.of(), wrong);
    assertEquals(0, catalog.count(P, Predicates.stalled()));
  }

  @Test
  void theProgressTimeNotTheLastChangeDecidesAStall() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Backup changedLater = Backup.builder().id("later").name("later").projectId(P).server(WEB)
        .status(BackupStatus.CREATING).progress(Progress.of(20, T0)).sizeMb(1).createdAt(T0.minusSeconds(60))
        .updatedAt(T0.plus(Duration.ofHours(1))).build();
    Backup progressAfterUpdate = Backup.builder().id("ahead").name("ahead").projectId(P).server(DB)
        .status(BackupStatus.DELETING).progress(Progress.of(20, T0.plus(Duration.ofMinutes(20)))).sizeMb(2)
        .createdAt(T0.minusSeconds(60)).updatedAt(T0).build();
    catalog.addAll(List.of(changedLater, progressAfterUpdate));
    clock.set(T0.plus(Duration.ofMinutes(30)).plusNanos(1));
    assertEquals(List.of("later"), stalledIds(catalog, P));
    clock.set(T0.plus(Duration.ofMinutes(50)).plusNanos(1));
    assertEquals(List.of("later", "ahead"), catalog.query(P, Query.builder().where(Predicates.stalled())
        .sort(Sort.by(SortKey.desc(SortField.NAME))).build()).ids());
    io.csbs.usage.UsageReport usage = catalog.usage(P, UsageQuery.of(Predicates.stalled(), 0, 10));
    assertEquals(2, usage.backups());
    assertEquals(3, usage.sizeMb());
    assertEquals(2, usage.serverCount());
  }

  @Test
  void pagingTheAllProjectsViewOfStalledJobsByMarkerWhileTheClockMoves() {
    FakeClock clock = FakeClock.at(T0);
    Duration threshold = Duration.ofMinutes(30);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      Backup b = job("proj-" + (i % 4), "ap" + i, BackupStatus.RESTORING, T0.minus(Duration.ofHours(5)).plusSeconds(i),
          T0.minus(Duration.ofMinutes(i)), 5);
      all.add(b);
      catalog.add(b);
    }
    clock.set(T0.plus(Duration.ofMinutes(1)));
    Query q = Query.builder().where(Predicates.stalled()).limit(7).build();
    Page page = catalog.queryAllProjects(q);
    List<String> got = new ArrayList<>(page.ids());
    while (page.nextMarker().isPresent()) {
      clock.advance(Duration.ofMinutes(1));
      Instant now = clock.instant();
      page = catalog.queryAllProjects(q.after(page.nextMarker().get()));
      assertEquals(all.stream().filter(b -> stalledByDoc(b, now, threshold)).count(), page.total(), "at " + now);
      got.addAll(page.ids());
    }
    // every page followed the marker's place: no backup twice, newest first
    assertEquals(got.stream().distinct().count(), got.size(), got.toString());
    List<String> sorted = all.stream().filter(b -> got.contains(b.id())).sorted(order(NEWEST)).map(Backup::id)
        .collect(Collectors.toList());
    assertEquals(sorted, got);
    assertTrue(got.containsAll(scan(all, T0.plus(Duration.ofMinutes(1)), threshold, NEWEST)));
  }

  @Test
  void aBulkLoadAndAReorganisationRunFromATaskOnTheCommonPool() throws Exception {
    java.util.concurrent.ForkJoinPool pool = java.util.concurrent.ForkJoinPool.commonPool();
    int parallelism = java.util.concurrent.ForkJoinPool.getCommonPoolParallelism();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(parallelism - 1);
    List<java.util.concurrent.Future<?>> blockers = new ArrayList<>();
    for (int i = 0; i < parallelism - 1; i++) {   // every pool thread but one is busy
      blockers.add(pool.submit(() -> {
        started.countDown();
        try {
          release.await(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    try {
      assertTrue(started.await(30, java.util.concurrent.TimeUnit.SECONDS));
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      List<Backup> all = new ArrayList<>();
      for (int i = 0; i < ProjectShardSizes.BATCH; i++) {
        all.add(job(P, "cp" + i, i % 4 == 0 ? BackupStatus.CREATING : BackupStatus.AVAILABLE,
            T0.minus(Duration.ofDays(20)).plusSeconds(30L * i), T0.minusSeconds(i % 5000), 1));
      }
      // the service's own task on the pool loads the catalog, then adds late backups enough to reorganise
      java.util.concurrent.Future<Long> task = pool.submit(() -> {
        catalog.addAll(all);
        for (int i = 0; i < 3000; i++) {
          catalog.add(job(P, "old" + i, BackupStatus.RESTORING, T0.minus(Duration.ofDays(40)).plusSeconds(i),
              T0.minusSeconds(i), 1));
        }
        return catalog.count(P, Predicates.stalled());
      });
      long stalled = task.get(30, java.util.concurrent.TimeUnit.SECONDS);
      long expected = all.stream().filter(b -> stalledByDoc(b, T0, Duration.ofMinutes(30))).count() + (3000 - 1801);
      assertEquals(expected, stalled);
      // the reorganisation finishes while the pool's other threads stay busy
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (catalog.stats(P).reorganisations() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(catalog.stats(P).reorganisations() >= 1, catalog.stats(P).toString());
      assertEquals(expected, catalog.count(P, Predicates.stalled()));
      boolean found = false;
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (t.getName().equals("csbs-reorganiser")) {
          found = true;
          assertTrue(t.isDaemon(), "the reorganiser is a daemon thread");
        }
      }
      assertTrue(found, "a thread named csbs-reorganiser");
    } finally {
      release.countDown();
      for (java.util.concurrent.Future<?> f : blockers) {
        f.get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aRemovedStalledJobAddedAgainUnderTheSameIdIsJudgedByItsNewSelf() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    for (int i = 0; i < 30; i++) {
      catalog.add(running("re" + i, BackupStatus.CREATING, T0.minus(Duration.ofHours(3)).plusSeconds(i), T0.minus(Duration.ofHours(2))));
    }
    assertEquals(30, catalog.count(P, Predicates.stalled()));
    for (int i = 0; i < 30; i += 3) {
      catalog.remove(P, "re" + i, 1);
    }
    assertEquals(20, catalog.count(P, Predicates.stalled()));
    // the same ids again: some Available, some running with a fresh progress, some late and stalled
    for (int i = 0; i < 30; i += 3) {
      Backup again = i % 2 == 0 ? available("re" + i, T0.minus(Duration.ofHours(1)))
          : running("re" + i, BackupStatus.DELETING, T0.minus(Duration.ofDays(3)), i % 9 == 3 ? T0 : T0.minus(Duration.ofHours(1)));
      catalog.add(again);
    }
    List<Backup> now = everything(catalog, P);
    assertEquals(30, now.size());
    assertEquals(scan(now, T0, Duration.ofMinutes(30), NEWEST), stalledIds(catalog, P));
    clock.advance(Duration.ofMinutes(31));
    assertEquals(scan(now, clock.instant(), Duration.ofMinutes(30), NEWEST), stalledIds(catalog, P));
  }

  @Test
  void fakeClockStandsStillMovesOnlyForwardByAdvanceAndIsSharedSafely() throws Exception {
    FakeClock clock = FakeClock.create();
    assertEquals(FakeClock.DEFAULT_START, clock.instant());
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), clock.instant());
    assertEquals(ZoneOffset.UTC, clock.getZone());
    assertEquals(clock.instant(), clock.instant(), "stands still");
    IllegalArgumentException back = assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofNanos(-1)));
    assertTrue(back.getMessage().contains("duration"), back.getMessage());
    assertEquals(FakeClock.DEFAULT_START, clock.instant(), "a refused advance moves nothing");
    assertEquals(FakeClock.DEFAULT_START, clock.advance(Duration.ZERO));
    FakeClock end = FakeClock.at(Instant.MAX.minusNanos(1));
    assertEquals(Instant.MAX, end.advance(Duration.ofNanos(1)));
    assertThrows(IllegalArgumentException.class, () -> end.advance(Duration.ofNanos(1)));
    assertThrows(IllegalArgumentException.class, () -> end.advance(Duration.ofSeconds(Long.MAX_VALUE)));
    assertEquals(Instant.MAX, end.instant());
    assertMessageNames("start", assertThrows(NullPointerException.class, () -> FakeClock.at(null)));
    assertMessageNames("duration", assertThrows(NullPointerException.class, () -> clock.advance(null)));
    assertMessageNames("instant", assertThrows(NullPointerException.class, () -> clock.set(null)));
    assertMessageNames("zone", assertThrows(NullPointerException.class, () -> clock.withZone(null)));
    FakeClock tokyo = clock.withZone(ZoneId.of("Asia/Tokyo"));
    clock.set(Instant.MIN);
    assertEquals(Instant.MIN, tokyo.instant());
    tokyo.set(T0);
    assertEquals(T0, clock.instant());
    assertEquals(ZoneId.of("Asia/Tokyo"), tokyo.getZone());
    // safe to share: advances from several threads all count
    FakeClock shared = FakeClock.at(T0);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      threads.add(new Thread(() -> {
        for (int i = 0; i < 5000; i++) {
          shared.advance(Duration.ofNanos(1));
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(30_000);
    }
    assertEquals(T0.plusNanos(20_000), shared.instant());
  }

  @Test
  void twoBuildsOfOneBuilderDeliverTheirOwnChangesOnly() {
    FakeClock clock = FakeClock.at(T0);
    Catalogs.Builder builder = Catalogs.builder().clock(clock);
    BackupCatalog one = builder.build();
    BackupCatalog two = builder.build();
    List<String> toOne = new ArrayList<>();
    List<String> toTwo = new ArrayList<>();
    one.subscribe(c -> toOne.add(c.backupId()));
    two.subscribe(c -> toTwo.add(c.backupId()));
    one.add(available("a", T0.minusSeconds(1)));
    two.add(available("b", T0.minusSeconds(1)));
    one.apply(P, "a", 1, Transition.delete());
    assertEquals(List.of("a", "a"), toOne);
    assertEquals(List.of("b"), toTwo);
    assertEquals(2, one.sequence(P));
    assertEquals(1, two.sequence(P));
  }

  @Test
  void theInstantStalledIfChangedBeforeReturnsIsTheEarliestProgressTimeThatIsNotStalled() {
    for (Duration threshold : List.of(Duration.ofNanos(1), Duration.ofMinutes(10), StallRule.DEFAULT_THRESHOLD)) {
      StallRule rule = StallRule.ofThreshold(threshold);
      Instant cutoff = rule.stalledIfChangedBefore(T0);
      assertEquals(T0.minus(threshold), cutoff);
      assertFalse(rule.isStalled(cutoff, T0));
      assertTrue(rule.isStalled(cutoff.minusNanos(1), T0));
      Backup atCutoff = running("b", BackupStatus.CREATING, cutoff.minusSeconds(1), cutoff);
      assertFalse(rule.isStalled(atCutoff, T0));
    }
  }

  @Test
  void theStalledSearchOfAnUnknownOrBlankProject() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(running("b-1", BackupStatus.CREATING, T0, T0));
    clock.advance(Duration.ofHours(1));
    assertEquals(0, catalog.count("nobody", Predicates.stalled()));
    assertEquals(0, catalog.count("nobody", Predicates.not(Predicates.stalled())));
    Page page = catalog.query("nobody", Query.where(Predicates.stalled()));
    assertEquals(List.of(), page.ids());
    assertEquals(0, page.total());
    assertEquals(0, catalog.usage("nobody", UsageQuery.of(Predicates.stalled(), 0, 5)).backups());
    for (String blank : List.of("", " ", "\t")) {
      InvalidValueException e = assertThrows(InvalidValueException.class,
          () -> catalog.query(blank, Query.where(Predicates.stalled())));
      assertEquals("project id", e.field());
      assertEquals("project id", assertThrows(InvalidValueException.class,
          () -> catalog.count(blank, Predicates.stalled())).field());
    }
    assertEquals(1, catalog.count(P, Predicates.stalled()));
    assertEquals(1, catalog.countAllProjects(Predicates.stalled()));
  }

  @Test
  void insideAReadTheStalledSearchIgnoresAChangeThatWaitsAndDoesNotHang() throws Exception {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    for (int i = 0; i < 20; i++) {
      catalog.add(running("in" + i, BackupStatus.RESTORING, T0.minusSeconds(7200 + i), T0.minusSeconds(3600)));
    }
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.concurrent.Future<List<Object>> reading = threads.submit(() -> catalog.read(P, view -> {
        List<Object> answers = new ArrayList<>();
        answers.add(view.count(Predicates.stalled()));
        java.util.concurrent.Future<?> change = threads.submit(
            () -> catalog.apply(P, "in3", 1, Transition.reportProgress(60)));
        // give the change time to reach the lock and wait there (or to fail)
        long until = System.nanoTime() + Duration.ofMillis(200).toNanos();
        while (!change.isDone() && System.nanoTime() < until) {
          Thread.onSpinWait();
        }
        answers.add(view.count(Predicates.stalled()));
        answers.add(view.query(Query.builder().where(Predicates.stalled()).limit(100).build()).ids().contains("in3"));
        answers.add(catalog.count(P, Predicates.stalled()));
        answers.add(change.isDone());
        return answers;
      }));
      List<Object> answers = reading.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(List.of(20L, 20L, true, 20L, false), answers, "the change waits until the read returns");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (catalog.get(P, "in3").version() == 1 && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      assertEquals(19, catalog.count(P, Predicates.stalled()));
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void aLargeSnapshotLoadedOutOfOrderAnswersTheStalledSearchAsAScan() {
    Random r = new Random(7);
    FakeClock clock = FakeClock.at(T0);
    Duration threshold = Duration.ofMinutes(45);
    BackupCatalog replica = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(threshold)).build();
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < 6000; i++) {
      Instant created = T0.minus(Duration.ofDays(30)).plusSeconds(r.nextInt(30 * 86_400));
      BackupStatus s = STATES.get(r.nextInt(STATES.size()));
      Instant progress = T0.minusSeconds(r.nextInt(4 * 3600));
      backups.add(job(P, "ld" + i, s, created, progress.isBefore(created) ? created : progress, 2));
    }
    replica.load(new io.csbs.catalog.ProjectSnapshot(P, 99, io.csbs.usage.Quota.NONE, backups));
    for (Duration d : List.of(Duration.ZERO, Duration.ofMinutes(50), Duration.ofMinutes(-120))) {
      clock.set(clock.instant().plus(d));
      Instant now = clock.instant();
      List<String> expected = scan(backups, now, threshold, NEWEST);
      Page page = replica.query(P, Query.builder().where(Predicates.stalled()).limit(30).build());
      assertEquals(expected.size(), page.total(), "at " + now);
      assertEquals(expected.subList(0, Math.min(30, expected.size())), page.ids(), "at " + now);
      List<SortKey> byName = List.of(SortKey.desc(SortField.NAME));
      List<String> named = scan(backups, now, threshold, byName);
      assertEquals(named.subList(0, Math.min(30, named.size())), replica.query(P, Query.builder()
          .where(Predicates.stalled()).sort(Sort.by(byName)).limit(30).build()).ids(), "at " + now);
    }
    assertEquals(6000, replica.stats(P).backups());
  }

  @Test
  void jobsCreatedAtOneInstantAndAddedInAnyOrderPageByTheirIds() throws Exception {
    seeded(seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      Duration threshold = Duration.ofMinutes(30);
      BackupCatalog catalog = Catalogs.indexed(clock);
      List<Backup> all = new ArrayList<>();
      Instant[] instants = {T0.minus(Duration.ofHours(2)), T0.minus(Duration.ofHours(2)).plusNanos(1), T0.minus(Duration.ofHours(3))};
      for (int i = 0; i < 400; i++) {
        String id = Integer.toString(r.nextInt(1_000_000), 36) + "-" + i + (i % 5 == 0 ? "Ω" : "");
        BackupStatus s = i % 4 == 0 ? BackupStatus.AVAILABLE : i % 4 == 1 ? BackupStatus.CREATING
            : i % 4 == 2 ? BackupStatus.RESTORING : BackupStatus.DELETING;
        Instant created = instants[r.nextInt(instants.length)];
        all.add(job(P, id, s, created, T0.minus(Duration.ofMinutes(r.nextInt(60))), 9));
      }
      for (Backup b : all) {
        catalog.add(b);
      }
      for (int round = 0; round < 4; round++) {
        clock.advance(Duration.ofMinutes(r.nextInt(10)));
        Instant now = clock.instant();
        for (List<SortKey> keys : List.of(NEWEST, List.of(SortKey.asc(SortField.CREATED_AT)))) {
          List<String> expected = scan(all, now, threshold, keys);
          List<String> got = allPages(catalog, Query.builder().where(Predicates.stalled()).sort(Sort.by(keys))
              .limit(1 + r.nextInt(30)).build());
          assertEquals(expected, got, "seed " + seed + " at " + now + " " + keys);
        }
      }
    });
  }

  /** A catalog whose clock was set back before a stalled job's last change, and that job. */
  private static BackupCatalog clockSetBackBeforeAStalledJob(FakeClock clock) {
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(running("back", BackupStatus.RESTORING, T0.minus(Duration.ofHours(2)), T0));
    clock.set(T0.plus(Duration.ofHours(1)));
    assertEquals(1, catalog.count(P, Predicates.stalled()));
    clock.set(T0.minusSeconds(1));
    return catalog;
  }

  @Test
  void aTransitionWithTheClockSetBackBeforeTheLastChangeIsRefusedNamingNowAndTheStallStays() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = clockSetBackBeforeAStalledJob(clock);
    Backup before = catalog.get(P, "back");
    for (Transition t : List.of(Transition.complete(), Transition.reportProgress(99), Transition.fail("late"),
        Transition.reportProgress(10))) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.apply(P, "back", 1, t), t.toString());
      assertEquals("now", e.field(), t.toString());
    }
    assertEquals(before, catalog.get(P, "back"));
    // the version is checked before the transition, its time included
    assertThrows(io.csbs.catalog.VersionConflictException.class, () -> catalog.apply(P, "back", 7, Transition.complete()));
    assertThrows(io.csbs.catalog.BackupNotFoundException.class, () -> catalog.apply(P, "nope", 1, Transition.complete()));
    assertEquals(1, catalog.sequence(P));
    clock.set(T0.plus(Duration.ofHours(1)));
    assertEquals(List.of("back"), stalledIds(catalog, P), "nothing changed: still stalled once the clock is back");
  }

  @Test
  void jobsChangingWhileTheProjectReorganisesKeepTheStalledSearchExact() throws Exception {
    seeded(seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      Duration threshold = Duration.ofMinutes(30);
      BackupCatalog catalog = Catalogs.indexed(clock);
      java.util.Map<String, Backup> current = new java.util.HashMap<>();
      List<String> running = new ArrayList<>();
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < 8000; i++) {
        BackupStatus s = i % 4 == 0 ? BackupStatus.CREATING : BackupStatus.AVAILABLE;
        Backup b = job(P, "ro" + i, s, T0.minus(Duration.ofDays(20)).plusSeconds(60L * i), T0.minusSeconds(r.nextInt(5400)), 5);
        load.add(b);
      }
      catalog.addAll(load);
      for (Backup b : load) {
        current.put(b.id(), b);
      }
      for (int i = 0; i < 3000; i++) {
        Backup b = job(P, "rl" + i, i % 2 == 0 ? BackupStatus.DELETING : BackupStatus.AVAILABLE,
            T0.minus(Duration.ofDays(40)).plusSeconds(r.nextInt(86_400 * 10)), T0.minusSeconds(r.nextInt(5400)), 5);
        catalog.add(b);
        current.put(b.id(), b);
      }
      for (Backup b : current.values()) {
        if (b.status().isIntermediate()) {
          running.add(b.id());
        }
      }
      java.util.Collections.sort(running);
      long before = catalog.stats(P).reorganisations();
      long deadline = System.nanoTime() + Duration.ofSeconds(6).toNanos();
      int afterReorganised = 0;
      for (int step = 0; System.nanoTime() < deadline && afterReorganised < 20; step++) {
        clock.advance(Duration.ofSeconds(r.nextInt(40)));
        for (int k = 0; k < 5; k++) {
          String id = running.get(r.nextInt(running.size()));
          Backup b = current.get(id);
          if (b == null || !b.status().isIntermediate()) {
            continue;
          }
          Transition t = r.nextInt(8) == 0 ? Transition.complete()
              : Transition.reportProgress(Math.min(100, b.progress().get().percent() + 1));
          Optional<Backup> next = catalog.apply(P, id, b.version(), t);
          if (next.isPresent()) {
            current.put(id, next.get());
          } else {
            current.remove(id);
          }
        }
        Instant now = clock.instant();
        List<Backup> jobs = new ArrayList<>();
        for (String id : running) {   // only these ever run: a scan of them is a scan of every backup's stall
          Backup b = current.get(id);
          if (b != null) {
            jobs.add(b);
          }
        }
        List<String> expected = scan(jobs, now, threshold, NEWEST);
        Page page = catalog.query(P, Query.builder().where(Predicates.stalled()).limit(15).build());
        String what = "seed " + seed + " step " + step + " at " + now;
        assertEquals(expected.size(), page.total(), what);
        assertEquals(expected.subList(0, Math.min(15, expected.size())), page.ids(), what);
        if (catalog.stats(P).reorganisations() > before) {
          afterReorganised++;
        }
      }
      assertTrue(catalog.stats(P).reorganisations() > before, "late backups beyond the slack make one due");
    });
  }

  @Test
  void theStalledCriterionIsAValueNormalizedLikeAnyOther() {
    BackupPredicate stalled = Predicates.stalled();
    assertEquals(stalled, Predicates.stalled());
    assertEquals(stalled.hashCode(), Predicates.stalled().hashCode());
    assertEquals(stalled, Predicates.not(Predicates.not(stalled)));
    assertEquals(Predicates.and(stalled, Predicates.status(BackupStatus.CREATING)),
        Predicates.and(Predicates.status(BackupStatus.CREATING), stalled));
    assertEquals(Predicates.and(stalled, Predicates.status(BackupStatus.CREATING)),
        Predicates.and(Predicates.and(stalled, stalled), Predicates.status(BackupStatus.CREATING), Predicates.all()));
    assertFalse(stalled.toString().isBlank());
    assertTrue(stalled.toString().toLowerCase(java.util.Locale.ROOT).contains("stalled"), stalled.toString());
  }
}
