package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectView;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TagCatalogue;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link BackupCatalog} as JUnit 5 tests: extend it and make your implementation,
 * and every test runs against it.
 *
 * <pre>{@code
 * class MyCatalogContractTest extends BackupCatalogContract {
 *   @Override
 *   protected BackupCatalog newCatalog(FakeClock clock) {
 *     return new MyCatalog(clock);
 *   }
 * }
 * }</pre>
 *
 * <p>What it checks: adding, finding and the details view; duplicate ids refused and {@code addAll}
 * all-or-nothing; transitions that bump the version, and refusals (a stale version, an illegal or
 * invalid transition, an unknown backup) that leave the catalog exactly as it was; a completed
 * deletion and an outright removal; tenancy (another project's backup is "not found" and never
 * listed, counted or catalogued) and a blank project id refused by every method that names one;
 * usage (servers largest first, ties to more backups then the server id) and quotas (a backup
 * refused beyond one, even of 0 MB under a lowered quota); paging by offset and by marker through
 * every match exactly once in the sort order, also while backups come and go between pages; unknown
 * markers refused; counts equal totals; the tag catalogue; stalled jobs and relative windows
 * following the clock; concurrent writers that lose no update and readers that never see half of a
 * change; change sequences counted per project, {@code replay} of every change into another catalog
 * giving equal answers (and its refusals), {@code load} of a project's snapshot. Subscribers may be
 * called asynchronously (as by a poller of a change table): the tests wait up to {@link
 * #deliveryDeadline()} (10 seconds) for deliveries, and check the order of each project's changes,
 * not how projects interleave. Last, the differential property: on random catalogs (from {@link
 * BackupGenerator}), random changes and random queries (from {@link QueryGenerator}), every page,
 * total, count and tag catalogue equals the answer of the plain scan {@link ReferenceCatalog}, also
 * when walking every page by marker.
 *
 * <p>Random tests print their seed when they fail; replay one with {@code -Dcsbs.seed=N} (see
 * {@link Seeds}). The whole contract takes a few seconds on the reference implementation.
 *
 * <p>The catalog judges stalled jobs with {@link #stallRule()}: override it if your catalog does not
 * use {@link StallRule#DEFAULT}.
 *
 * <p>The project ids the tests use: {@link #PROJECT} ({@code project-a}) and {@link #OTHER_PROJECT}
 * ({@code project-b}) mostly; also {@code project-c}, {@code project-empty}, {@code project-extra},
 * {@code project-without-backups} and {@code project-without-changes}, and {@code project-0} to
 * {@code project-2} of {@link BackupGenerator} in the differential property. A catalog that serves
 * only registered tenants registers these in {@link #newCatalog(FakeClock)}.
 */
public abstract class BackupCatalogContract {
  /** The project most tests work in. */
  protected static final String PROJECT = "project-a";
  /** Another tenant, whose data must never show in {@link #PROJECT}. */
  protected static final String OTHER_PROJECT = "project-b";

  /** Where the clock of every test starts; fixture backups are created before it. */
  private static final Instant NOW = FakeClock.DEFAULT_START;
  private static final int PAGING_FIXTURE_SIZE = 40;
  private static final List<Sort> SORTS = List.of(
      Sort.DEFAULT,
      Sort.by(SortKey.asc(SortField.NAME)),
      Sort.by(SortKey.desc(SortField.NAME), SortKey.asc(SortField.CREATED_AT)),
      Sort.by(SortKey.asc(SortField.STATUS)),
      Sort.by(SortKey.desc(SortField.UPDATED_AT)),
      Sort.by(SortKey.desc(SortField.ID)),
      Sort.by(SortKey.desc(SortField.STATUS), SortKey.asc(SortField.NAME), SortKey.desc(SortField.CREATED_AT)));

  /** Names whose lower case is subtle: final sigma, dotted capital I, sharp s, title-case digraphs. */
  private static final List<String> EXOTIC_NAMES =
      List.of("ΟΔΟΣ_bk", "İstanbul_db", "straße-1", "Ǆemal_x", "ÉCOLE_bk", "日本語_bk", "autobk_ΣΣ", "AUTOBK_Ab12");
  private static final List<String> EXOTIC_SERVER_NAMES =
      List.of("İSTANBUL web", "ΟΔΟΣ srv", "STRASSE ß", "ǅ host", "ecs-WEB-0001", "Ünïcödé box");

  /** Random catalogs a run checks against the reference. */
  private static final int DIFFERENTIAL_RUNS = 50;
  private static final int MAX_GENERATED_BACKUPS = 300;
  private static final int ROUNDS = 4;
  private static final int MAX_CHANGES_PER_ROUND = 30;
  private static final int QUERIES_PER_PROJECT = 8;
  private static final int MAX_WALKED_PAGES = 15;

  private FakeClock clock;
  private BackupCatalog catalog;

  /**
   * {@return a new, empty catalog of the implementation under test, on {@code clock}}
   *
   * @param clock the clock the catalog must read for every change and query
   */
  protected abstract BackupCatalog newCatalog(FakeClock clock);

  /**
   * The stall rule of the catalogs {@link #newCatalog} makes; {@link StallRule#DEFAULT} unless
   * overridden.
   *
   * @return the stall rule the catalog under test uses
   */
  protected StallRule stallRule() {
    return StallRule.DEFAULT;
  }

  /**
   * How long a test waits for a change to reach a subscriber before it fails: 10 seconds unless
   * overridden. Subscribers may be called asynchronously (as by a poller of a change table); a catalog
   * that calls them on the writer's thread may shorten it, so that a subscriber never called fails fast.
   *
   * @return the longest wait for a delivery
   */
  protected Duration deliveryDeadline() {
    return Duration.ofSeconds(10);
  }

  @BeforeEach
  void newCatalogOnAFakeClock() {
    clock = FakeClock.at(NOW);
    catalog = newCatalog(clock);
    assertNotNull(catalog, "newCatalog returned null");
  }

  // ---------------------------------------------------------------- observing changes

  /** Checks that subscribers see every committed change once, in commit order. */
  @Test
  public void subscribersSeeEveryCommittedChangeOnceInCommitOrder() {
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(seen::add);
    Backup backup = available(PROJECT, "b-1", Duration.ofDays(1));
    Backup second = available(PROJECT, "b-2", Duration.ofDays(2));
    Backup third = available(OTHER_PROJECT, "b-3", Duration.ofDays(3));
    catalog.add(backup);
    catalog.addAll(List.of(second, third));
    Backup restoring = catalog.apply(PROJECT, "b-1", 1, Transition.restore()).orElseThrow();
    assertThrows(VersionConflictException.class, () -> catalog.apply(PROJECT, "b-1", 1, Transition.complete()));
    assertThrows(IllegalTransitionException.class, () -> catalog.apply(PROJECT, "b-2", 1, Transition.complete()));
    catalog.remove(OTHER_PROJECT, "b-3", 1);

    List<Change> all = awaitSize(seen, 5);
    assertEquals(5, all.size(), "refused changes are not delivered; committed ones once each: " + all);
    List<Change> mine = ofProject(all, PROJECT);
    List<Change> theirs = ofProject(all, OTHER_PROJECT);
    assertEquals(List.of(1L, 2L, 3L), sequences(mine),
        "each project numbers its committed changes in commit order without gaps: " + all);
    assertEquals(List.of(1L, 2L), sequences(theirs),
        "each project numbers its committed changes in commit order without gaps: " + all);
    assertEquals(Optional.of(backup), mine.get(0).after());
    assertTrue(mine.get(0).isAdded());
    assertEquals(Optional.of(second), mine.get(1).after());
    assertTrue(mine.get(1).isAdded());
    assertEquals(Optional.of(backup), mine.get(2).before());
    assertEquals(Optional.of(restoring), mine.get(2).after());
    assertEquals(Optional.of(Transition.restore()), mine.get(2).transition());
    assertEquals(Optional.of(third), theirs.get(0).after());
    assertTrue(theirs.get(0).isAdded());
    assertTrue(theirs.get(1).isRemoved());
    assertEquals(Optional.of(third), theirs.get(1).before());
  }

  /** Checks that a completed deletion is delivered as a removal. */
  @Test
  public void aCompletedDeletionIsDeliveredAsARemoval() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(seen::add);
    Backup deleting = catalog.apply(PROJECT, "b-1", 1, Transition.delete()).orElseThrow();
    catalog.apply(PROJECT, "b-1", deleting.version(), Transition.complete());

    List<Change> delivered = awaitSize(seen, 2);
    assertEquals(2, delivered.size(), "delivered: " + delivered);
    assertTrue(delivered.get(1).isRemoved());
    assertEquals(Optional.of(deleting), delivered.get(1).before());
    assertEquals(Optional.of(Transition.complete()), delivered.get(1).transition());
  }

  /**
   * Checks that a failing subscriber neither corrupts the catalog nor stops others, whether it throws
   * an exception or an error (a failed assertion).
   */
  @Test
  public void aFailingSubscriberDoesNotCorruptTheCatalogNorStopOthers() {
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger calls = new AtomicInteger();
    catalog.subscribe(change -> {
      if (calls.incrementAndGet() % 2 == 0) {
        throw new AssertionError("subscriber bug");
      }
      throw new IllegalStateException("subscriber bug");
    });
    catalog.subscribe(seen::add);
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    catalog.apply(PROJECT, "b-1", 1, Transition.restore());

    assertEquals(2, awaitSize(seen, 2).size());
    assertEquals(BackupStatus.RESTORING, catalog.get(PROJECT, "b-1").status());
    assertEquals(2, catalog.get(PROJECT, "b-1").version());
    // the failing subscriber keeps its subscription: it was called for both changes
    await(() -> "the failing subscriber called for each change; calls " + calls.get(), () -> calls.get() == 2);
  }

  /** Checks that a cancelled subscription receives nothing more. */
  @Test
  public void aCancelledSubscriptionReceivesNothingMore() {
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    Subscription subscription = catalog.subscribe(seen::add);
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    awaitSize(seen, 1);
    subscription.cancel();
    catalog.add(available(PROJECT, "b-2", Duration.ofDays(1)));
    // a later change reaching another subscriber shows that b-2 has been delivered by now
    List<Change> witness = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(witness::add);
    catalog.add(available(PROJECT, "b-3", Duration.ofDays(1)));
    await(() -> "b-3 delivered to another subscriber; it got " + copy(witness),
        () -> copy(witness).stream().anyMatch(change -> change.backupId().equals("b-3")));

    List<Change> delivered = copy(seen);
    assertEquals(1, delivered.size(), "a cancelled subscriber received " + delivered);
    assertEquals("b-1", delivered.get(0).backupId());
  }

  /**
   * Checks that concurrent writers' changes arrive in order, one at a time, and replay to the
   * catalog.
   *
   * @throws Exception if a thread of the test is interrupted or fails unexpectedly
   */
  @Test
  public void concurrentWritersChangesArriveInOrderOneAtATimeAndReplayToTheCatalog() throws Exception {
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger inside = new AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean overlapped = new java.util.concurrent.atomic.AtomicBoolean();
    catalog.subscribe(change -> {
      if (inside.incrementAndGet() > 1) {
        overlapped.set(true);
      }
      seen.add(change);
      inside.decrementAndGet();
    });
    int writers = 4;
    int perWriter = 150;
    CountDownLatch start = new CountDownLatch(1);
    List<Callable<Boolean>> tasks = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      String project = w % 2 == 0 ? PROJECT : OTHER_PROJECT;
      String prefix = "w" + w + "-";
      tasks.add(() -> {
        start.await();
        for (int i = 0; i < perWriter; i++) {
          String id = prefix + i;
          catalog.add(available(project, id, Duration.ofMinutes(i + 1)));
          Backup deleting = catalog.apply(project, id, 1, Transition.delete()).orElseThrow();
          if (i % 3 == 0) {
            catalog.apply(project, id, deleting.version(), Transition.complete());
          }
        }
        return true;
      });
    }
    runConcurrently(tasks, start);
    int committed = writers * (perWriter + perWriter + (perWriter + 2) / 3); // adds, deletes, completions

    List<Change> changes = awaitSize(seen, committed);
    assertEquals(committed, changes.size(), "changes delivered more than once");
    assertFalse(overlapped.get(), "a subscriber was called by two threads at once");
    for (String project : List.of(PROJECT, OTHER_PROJECT)) {
      List<Change> ofProject = ofProject(changes, project);
      for (int i = 0; i < ofProject.size(); i++) {
        assertEquals(i + 1, ofProject.get(i).sequence(), "changes of " + project + " out of order or missing");
      }
      assertEquals(ofProject.size(), catalog.sequence(project), "sequence of " + project);
    }
    Map<String, Backup> replayed = new java.util.HashMap<>();
    for (Change change : changes) {
      String key = change.projectId() + "/" + change.backupId();
      assertEquals(Optional.ofNullable(replayed.get(key)), change.before(), "change " + change + " skips a version");
      change.after().ifPresentOrElse(after -> replayed.put(key, after), () -> replayed.remove(key));
    }
    List<Backup> live = new ArrayList<>(everything(PROJECT));
    live.addAll(everything(OTHER_PROJECT));
    assertEquals(replayed.size(), live.size());
    for (Backup backup : live) {
      assertEquals(backup, replayed.get(backup.projectId() + "/" + backup.id()));
    }
  }

  // ---------------------------------------------------------------- change sequences, replay and load

  /** Checks that {@code sequence} counts the committed changes of each project. */
  @Test
  public void sequenceCountsTheCommittedChangesOfEachProject() {
    assertEquals(0, catalog.sequence("project-without-changes"));
    assertEquals("project id", assertThrows(InvalidValueException.class, () -> catalog.sequence(" ")).field());

    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    assertEquals(1, catalog.sequence(PROJECT));
    assertEquals(0, catalog.sequence(OTHER_PROJECT), "another project's change");
    catalog.addAll(List.of(available(PROJECT, "b-2", Duration.ofDays(2)), available(PROJECT, "b-3", Duration.ofDays(3)),
        available(OTHER_PROJECT, "b-4", Duration.ofDays(4))));
    assertEquals(3, catalog.sequence(PROJECT), "each backup of an addAll is a change of its project");
    assertEquals(1, catalog.sequence(OTHER_PROJECT), "each backup of an addAll is a change of its project");

    assertThrows(DuplicateBackupException.class, () -> catalog.add(available(PROJECT, "b-1", Duration.ofDays(5))));
    assertThrows(DuplicateBackupException.class, () -> catalog.addAll(List.of(
        available(PROJECT, "b-5", Duration.ofDays(5)), available(PROJECT, "b-1", Duration.ofDays(5)))));
    assertThrows(VersionConflictException.class, () -> catalog.apply(PROJECT, "b-1", 2, Transition.restore()));
    assertThrows(IllegalTransitionException.class, () -> catalog.apply(PROJECT, "b-1", 1, Transition.complete()));
    assertThrows(BackupNotFoundException.class, () -> catalog.remove(PROJECT, "missing", 1));
    catalog.setQuota(PROJECT, Quota.of(4, 1000));
    assertThrows(QuotaExceededException.class, () -> catalog.addAll(List.of(
        available(PROJECT, "b-5", Duration.ofDays(5)), available(PROJECT, "b-6", Duration.ofDays(6)))));
    catalog.setQuota(PROJECT, Quota.NONE);
    catalog.query(PROJECT, Query.builder().build());
    assertEquals(3, catalog.sequence(PROJECT), "refusals, quotas and reads are no changes");

    catalog.add(running(PROJECT, "job", BackupStatus.CREATING, NOW.minusSeconds(60)));
    Backup halfway = catalog.apply(PROJECT, "job", 1, Transition.reportProgress(50)).orElseThrow();
    assertEquals(5, catalog.sequence(PROJECT));
    catalog.apply(PROJECT, "job", halfway.version(), Transition.reportProgress(50));
    assertEquals(halfway, catalog.get(PROJECT, "job"));
    assertEquals(5, catalog.sequence(PROJECT), "the same progress again changes nothing");
    catalog.apply(PROJECT, "b-1", 1, Transition.restore());
    catalog.remove(PROJECT, "b-2", 1);
    Backup deleting = catalog.apply(PROJECT, "b-3", 1, Transition.delete()).orElseThrow();
    catalog.apply(PROJECT, "b-3", deleting.version(), Transition.complete());
    assertEquals(9, catalog.sequence(PROJECT));
    assertEquals(1, catalog.sequence(OTHER_PROJECT), "another project's changes");
    catalog.remove(OTHER_PROJECT, "b-4", 1);
    assertEquals(2, catalog.sequence(OTHER_PROJECT), "a project without backups keeps its sequence");
    assertEquals(9, catalog.sequence(PROJECT));

    long inside = catalog.read(PROJECT, view -> {
      assertEquals(catalog.sequence(PROJECT), view.sequence(), "the view and the catalog inside the read");
      return view.sequence();
    });
    assertEquals(9, inside);
    long other = catalog.read(OTHER_PROJECT, ProjectView::sequence);
    assertEquals(2, other);
    long none = catalog.read("project-without-changes", ProjectView::sequence);
    assertEquals(0, none);
  }

  /** Every change of {@link #changeEveryWay}, as a subscriber received them. */
  private List<Change> changedEveryWay() {
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(seen::add);
    changeEveryWay();
    return awaitSize(seen, (int) (catalog.sequence(PROJECT) + catalog.sequence(OTHER_PROJECT)));
  }

  /** Checks that replaying every change into another catalog makes it equal. */
  @Test
  public void replayingEveryChangeIntoAnotherCatalogMakesItEqual() {
    List<Change> changes = changedEveryWay();
    int committed = (int) (catalog.sequence(PROJECT) + catalog.sequence(OTHER_PROJECT));
    Set<String> ids = changes.stream().map(Change::backupId).collect(Collectors.toCollection(java.util.TreeSet::new));

    // another catalog whose clock is ten years away: a replay that read it would show
    BackupCatalog replica = newCatalog(FakeClock.at(NOW.plus(Duration.ofDays(3650))));
    List<Change> redelivered = Collections.synchronizedList(new ArrayList<>());
    replica.subscribe(redelivered::add);
    for (Change change : changes) {
      assertTrue(replica.replay(change), "replay of " + change);
    }
    assertSameProjects(catalog, replica, ids, "after replaying every change");
    List<Change> again = awaitSize(redelivered, committed);
    for (String project : List.of(PROJECT, OTHER_PROJECT)) {
      assertEquals(ofProject(changes, project), ofProject(again, project),
          "the replica delivers what it installed, with the same sequences");
    }

    for (Change change : changes) {
      assertFalse(replica.replay(change), "a change installed already: " + change);
    }
    assertSameProjects(catalog, replica, ids, "after replaying every change again");
  }

  /**
   * Checks that {@code replay} refuses a missing change and a change that does not fit, and changes
   * nothing.
   */
  @Test
  public void replayRefusesAMissingChangeAndAChangeThatDoesNotFitAndChangesNothing() {
    List<Change> changes = changedEveryWay();
    Set<String> ids = changes.stream().map(Change::backupId).collect(Collectors.toCollection(java.util.TreeSet::new));
    ids.add("r-new");
    BackupCatalog replica = newCatalog(FakeClock.at(NOW.minus(Duration.ofDays(3650))));
    changes.forEach(replica::replay);
    assertSameProjects(catalog, replica, ids, "after replaying every change");
    long next = replica.sequence(PROJECT) + 1;
    Backup fresh = available(PROJECT, "r-new", Duration.ofHours(1));

    Change gap = new Change(next + 1, PROJECT, "r-new", Optional.empty(), Optional.of(fresh), Optional.empty());
    IllegalStateException missing = assertThrows(IllegalStateException.class, () -> replica.replay(gap));
    assertFalse(missing instanceof DuplicateBackupException || missing instanceof VersionConflictException,
        "a gap refused as " + missing);
    assertTrue(missing.getMessage().contains(PROJECT) && missing.getMessage().contains(String.valueOf(next - 1))
        && missing.getMessage().contains(String.valueOf(next + 1)),
        "the message names the project, its sequence and the change's: " + missing.getMessage());
    assertSameProjects(catalog, replica, ids, "after a refused gap");

    Change restore = changes.stream()
        .filter(c -> c.projectId().equals(PROJECT) && c.transition().equals(Optional.of(Transition.restore())))
        .findFirst().orElseThrow();
    long stored = replica.get(PROJECT, restore.backupId()).version();
    VersionConflictException conflict = assertThrows(VersionConflictException.class, () -> replica.replay(
        new Change(next, PROJECT, restore.backupId(), restore.before(), restore.after(), restore.transition())));
    assertEquals(restore.before().orElseThrow().version(), conflict.expectedVersion());
    assertEquals(stored, conflict.currentVersion());
    assertSameProjects(catalog, replica, ids, "after a refused version conflict");

    Backup existing = replica.get(PROJECT, restore.backupId());
    assertThrows(DuplicateBackupException.class, () -> replica.replay(
        new Change(next, PROJECT, existing.id(), Optional.empty(), Optional.of(existing), Optional.empty())));
    assertSameProjects(catalog, replica, ids, "after a refused duplicate");

    Change removal = changes.stream().filter(c -> c.projectId().equals(PROJECT) && c.isRemoved())
        .findFirst().orElseThrow();
    assertThrows(BackupNotFoundException.class, () -> replica.replay(
        new Change(next, PROJECT, removal.backupId(), removal.before(), Optional.empty(), Optional.empty())));
    assertSameProjects(catalog, replica, ids, "after a refused change of a missing backup");

    // refusals took no number; quotas are the source's business
    replica.setQuota(PROJECT, Quota.of(1, 1));
    assertTrue(replica.replay(new Change(next, PROJECT, "r-new", Optional.empty(), Optional.of(fresh), Optional.empty())));
    assertEquals(next, replica.sequence(PROJECT));
    assertEquals(Optional.of(fresh), replica.find(PROJECT, "r-new"));
  }

  /** Checks that a loaded snapshot continues with the next change. */
  @Test
  public void aLoadedSnapshotContinuesWithTheNextChange() {
    FakeClock sourceClock = FakeClock.at(NOW);
    BackupCatalog source = newCatalog(sourceClock);
    List<Change> fed = Collections.synchronizedList(new ArrayList<>());
    source.subscribe(fed::add);
    source.add(available(PROJECT, "s-1", Duration.ofDays(3), Tag.of("env", "prod")));
    source.add(running(PROJECT, "s-job", BackupStatus.CREATING, NOW.minusSeconds(60)));
    source.add(available(PROJECT, "s-2", Duration.ofDays(2), Tag.of("env", "dev")));
    sourceClock.advance(Duration.ofMinutes(1));
    Backup restoring = source.apply(PROJECT, "s-1", 1, Transition.restore()).orElseThrow();
    source.apply(PROJECT, "s-job", 1, Transition.reportProgress(30));
    source.remove(PROJECT, "s-2", 1);
    long at = source.sequence(PROJECT);
    List<Backup> backups = everything(source, PROJECT);
    Quota quota = Quota.of(50, 500);
    ProjectSnapshot snapshot = new ProjectSnapshot(PROJECT, at, quota, backups);

    catalog.add(available(OTHER_PROJECT, "theirs", Duration.ofDays(1)));
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(seen::add);
    // the project read before it is loaded: a catalog that keeps answers lets go of them on a load
    assertEquals(0, catalog.query(PROJECT, Query.all()).total());
    assertEquals(0, catalog.count(PROJECT, Predicates.all()));
    assertEquals(Optional.empty(), catalog.find(PROJECT, "s-1"));
    assertEquals(0, catalog.usage(PROJECT, UsageQuery.firstServers(10)).backups());
    assertEquals(0, catalog.quotaUsage(PROJECT).backupsUsed());
    catalog.tagCatalogue(PROJECT);
    catalog.load(snapshot);

    assertEquals(at, catalog.sequence(PROJECT));
    assertEquals(backups, everything(PROJECT), "the backups as they are, versions kept");
    for (Backup backup : backups) {
      assertEquals(Optional.of(backup), catalog.find(PROJECT, backup.id()));
    }
    assertEquals(quota, catalog.quotaUsage(PROJECT).quota());
    assertEquals(source.usage(PROJECT, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)),
        catalog.usage(PROJECT, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)));
    assertEquals(source.tagCatalogue(PROJECT), catalog.tagCatalogue(PROJECT));
    assertEquals(source.count(PROJECT, Predicates.status(BackupStatus.RESTORING)),
        catalog.count(PROJECT, Predicates.status(BackupStatus.RESTORING)));
    assertEquals(1, catalog.sequence(OTHER_PROJECT), "another project");
    assertEquals(List.of(available(OTHER_PROJECT, "theirs", Duration.ofDays(1))), everything(OTHER_PROJECT));

    sourceClock.advance(Duration.ofMinutes(1));
    source.apply(PROJECT, "s-1", restoring.version(), Transition.complete());
    List<Change> feed = awaitSize(fed, (int) at + 1);
    Change last = feed.stream().filter(c -> c.sequence() == at).findFirst().orElseThrow();
    Change next = feed.stream().filter(c -> c.sequence() == at + 1).findFirst().orElseThrow();
    assertFalse(catalog.replay(last), "the snapshot has change " + at);
    assertTrue(catalog.replay(next), "the change after the snapshot");
    assertEquals(at + 1, catalog.sequence(PROJECT));
    assertEquals(source.get(PROJECT, "s-1"), catalog.get(PROJECT, "s-1"));
    assertEquals(everything(source, PROJECT), everything(PROJECT));

    // the replayed change is the first delivered: the load told the subscribers nothing
    List<Change> delivered = awaitSize(seen, 1);
    assertEquals(List.of(next), delivered, "the first change a subscriber gets is the one replayed after the load, "
        + "numbered " + (at + 1) + " (the project's sequence after a snapshot at " + at + "): a load delivers nothing "
        + "and a subscriber gets no change committed before it subscribed");
  }

  /**
   * Checks that {@code load} is refused where the project has backups or changes, and changes
   * nothing.
   */
  @Test
  public void loadIsRefusedWhereTheProjectHasBackupsOrChangesAndChangesNothing() {
    catalog.add(available(PROJECT, "mine", Duration.ofDays(1)));
    catalog.add(available(OTHER_PROJECT, "gone", Duration.ofDays(1)));
    catalog.remove(OTHER_PROJECT, "gone", 1);
    catalog.setQuota(OTHER_PROJECT, Quota.of(7, 7));
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(seen::add);
    State before = state();

    assertThrows(IllegalStateException.class, () -> catalog.load(new ProjectSnapshot(PROJECT, 0, Quota.of(1, 1),
        List.of(available(PROJECT, "loaded", Duration.ofDays(2))))), "a project with backups");
    assertThrows(IllegalStateException.class, () -> catalog.load(new ProjectSnapshot(OTHER_PROJECT, 5, Quota.of(1, 1),
        List.of(available(OTHER_PROJECT, "loaded", Duration.ofDays(2))))), "a project at sequence 2");

    assertEquals(before, state());
    assertEquals(1, catalog.sequence(PROJECT));
    assertEquals(2, catalog.sequence(OTHER_PROJECT));
    assertEquals(Quota.NONE, catalog.quotaUsage(PROJECT).quota());
    assertEquals(Quota.of(7, 7), catalog.quotaUsage(OTHER_PROJECT).quota());
    catalog.add(available(PROJECT, "marker", Duration.ofDays(3)));
    assertEquals(List.of("marker"), awaitSize(seen, 1).stream().map(Change::backupId).collect(Collectors.toList()),
        "a subscriber gets only the change made after it subscribed: a refused load delivers nothing, and "
            + "changes committed before subscribe are not delivered to it");
  }

  /** Checks that {@code replay} and {@code load} inside a read are refused. */
  @Test
  public void replayAndLoadInsideAReadAreRefused() {
    catalog.add(available(PROJECT, "b-1", Duration.ofHours(1)));
    State before = state();
    Change change = new Change(2, PROJECT, "b-2", Optional.empty(),
        Optional.of(available(PROJECT, "b-2", Duration.ofHours(2))), Optional.empty());
    ProjectSnapshot snapshot = new ProjectSnapshot(OTHER_PROJECT, 3, Quota.NONE,
        List.of(available(OTHER_PROJECT, "b-3", Duration.ofHours(3))));
    List<Runnable> changes = List.of(() -> catalog.replay(change), () -> catalog.load(snapshot));

    assertRefusedInsideARead(changes);

    assertEquals(before, state());
    assertEquals(1, catalog.sequence(PROJECT));
    assertEquals(0, catalog.sequence(OTHER_PROJECT));
  }

  // ---------------------------------------------------------------- space usage and quotas

  /** Checks that usage counts every state until a deletion completes. */
  @Test
  public void usageCountsEveryStateUntilADeletionCompletes() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(2)));
    catalog.add(running(PROJECT, "b-2", BackupStatus.CREATING, NOW));
    assertEquals(2, catalog.usage(PROJECT, UsageQuery.firstServers(10)).backups());

    Backup deleting = catalog.apply(PROJECT, "b-1", 1, Transition.delete()).orElseThrow();
    UsageReport whileDeleting = catalog.usage(PROJECT, UsageQuery.firstServers(10));
    assertEquals(2, whileDeleting.backups(), "a backup being deleted still takes space");
    assertEquals(2048, whileDeleting.sizeMb());

    catalog.apply(PROJECT, "b-1", deleting.version(), Transition.complete());
    UsageReport after = catalog.usage(PROJECT, UsageQuery.firstServers(10));
    assertEquals(1, after.backups());
    assertEquals(1024, after.sizeMb());
    assertEquals(List.of(new ServerUsage("server-b-2", "ecs-b-2", 1, 1024)), after.servers());
  }

  /** Checks that usage lists servers largest first and pages. */
  @Test
  public void usageListsServersLargestFirstAndPages() {
    catalog.add(sized(PROJECT, "small", 100));
    catalog.add(sized(PROJECT, "big", 5000));
    catalog.add(sized(PROJECT, "middle", 2000));

    UsageReport first = catalog.usage(PROJECT, UsageQuery.firstServers(2));
    assertEquals(3, first.serverCount());
    assertEquals(7100, first.sizeMb());
    assertEquals(List.of("server-big", "server-middle"), serverIds(first));
    UsageReport rest = catalog.usage(PROJECT, UsageQuery.of(Predicates.all(), 2, 5));
    assertEquals(List.of(new ServerUsage("server-small", "ecs-small", 1, 100)), rest.servers());
  }

  /**
   * Checks that servers of equal size are ordered by their backups, more first, then by server id
   * ascending, on every page.
   */
  @Test
  public void usageTiesGoToMoreBackupsThenToTheServerId() {
    catalog.add(onServer(sized(PROJECT, "b-1", 100), "srv-b"));
    catalog.add(onServer(sized(PROJECT, "b-2", 100), "srv-a"));
    catalog.add(onServer(sized(PROJECT, "b-3", 60), "srv-c"));
    catalog.add(onServer(sized(PROJECT, "b-4", 40), "srv-c"));
    catalog.add(onServer(sized(PROJECT, "b-5", 100), "srv-0"));
    catalog.add(onServer(sized(PROJECT, "b-6", 500), "srv-z"));

    List<String> expected = List.of("srv-z", "srv-c", "srv-0", "srv-a", "srv-b");
    assertEquals(expected, serverIds(catalog.usage(PROJECT, UsageQuery.firstServers(10))));
    List<String> paged = new ArrayList<>();
    for (int offset = 0; offset < expected.size(); offset += 2) {
      paged.addAll(serverIds(catalog.usage(PROJECT, UsageQuery.of(Predicates.all(), offset, 2))));
    }
    assertEquals(expected, paged, "pages of two");
  }

  private static Backup onServer(Backup backup, String serverId) {
    return backup.toBuilder().server(Server.of(serverId, "ecs-" + serverId, "eu-de-01")).build();
  }

  private static List<String> serverIds(UsageReport report) {
    return report.servers().stream().map(ServerUsage::serverId).collect(Collectors.toList());
  }

  /** Each change, made inside a read of {@link #PROJECT}, is refused saying so. */
  private void assertRefusedInsideARead(List<Runnable> changes) {
    for (Runnable change : changes) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> catalog.read(PROJECT, view -> {
            change.run();
            return null;
          }));
      assertTrue(e.getMessage().contains("inside read(" + PROJECT), e.getMessage());
    }
  }

  private static Backup sized(String project, String id, long sizeMb) {
    Instant created = NOW.minus(Duration.ofDays(1));
    return Backup.builder().id(id).name("manualbk_" + id).projectId(project)
        .server(Server.of("server-" + id, "ecs-" + id, "eu-de-01"))
        .status(BackupStatus.AVAILABLE).sizeMb(sizeMb).createdAt(created).build();
  }

  /** Checks that usage restricted by a predicate counts only its matches. */
  @Test
  public void usageRestrictedByAPredicateCountsOnlyItsMatches() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1), Tag.of("env", "prod")));
    catalog.add(available(PROJECT, "b-2", Duration.ofDays(1)));
    UsageReport prod = catalog.usage(PROJECT, UsageQuery.of(Predicates.tag("env", "prod"), 0, 10));
    assertEquals(1, prod.backups());
    assertEquals("server-b-1", prod.servers().get(0).serverId());
  }

  /**
   * Checks that a usage line names its server as the newest counted backup of the server names it
   * (the latest created; the greatest id among equal times), whatever order the backups came in.
   */
  @Test
  public void aUsageLineNamesItsServerAsTheNewestCountedBackupDoes() {
    Instant created = NOW.minus(Duration.ofDays(10));
    Server renamedLast = Server.of("server-1", "ecs-newest", "eu-de-01");
    catalog.add(named(PROJECT, "b-mid", Server.of("server-1", "ecs-middle", "eu-de-01"), created.plusSeconds(60),
        Tag.of("env", "prod")));
    catalog.add(named(PROJECT, "b-new", renamedLast, created.plusSeconds(120)));
    catalog.add(named(PROJECT, "b-old", Server.of("server-1", "ecs-oldest", "eu-de-01"), created, Tag.of("env", "prod")));
    catalog.add(named(PROJECT, "b-tie-a", Server.of("server-2", "ecs-tie-a", "eu-de-01"), created));
    catalog.add(named(PROJECT, "b-tie-b", Server.of("server-2", "ecs-tie-b", "eu-de-01"), created));

    assertEquals(List.of("ecs-newest", "ecs-tie-b"), serverNames(catalog.usage(PROJECT, UsageQuery.firstServers(10))),
        "every backup counts: the newest of server-1 is b-new; of server-2, equal times, the greater id b-tie-b");
    assertEquals(List.of("ecs-middle"),
        serverNames(catalog.usage(PROJECT, UsageQuery.of(Predicates.tag("env", "prod"), 0, 10))),
        "only tagged backups count: the newest counted is b-mid");
    catalog.remove(PROJECT, "b-new", 1);
    assertEquals(List.of("ecs-middle", "ecs-tie-b"), serverNames(catalog.usage(PROJECT, UsageQuery.firstServers(10))),
        "once b-new is gone, b-mid is the newest of server-1");
  }

  private static Backup named(String project, String id, Server server, Instant created, Tag... tags) {
    return Backup.builder().id(id).name("manualbk_" + id).projectId(project).server(server)
        .status(BackupStatus.AVAILABLE).sizeMb(server.id().equals("server-1") ? 3000 : 1000).createdAt(created)
        .addTags(tags).build();
  }

  private static List<String> serverNames(UsageReport report) {
    return report.servers().stream().map(ServerUsage::serverName).collect(Collectors.toList());
  }

  /**
   * Checks that no refusal of any kind changes a quota, the space usage or a sequence of either
   * project.
   */
  @Test
  public void refusalsLeaveQuotasUsageAndSequencesAsTheyWere() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(2), Tag.of("env", "prod")));
    catalog.add(running(PROJECT, "job", BackupStatus.CREATING, NOW.minusSeconds(60)));
    catalog.add(available(OTHER_PROJECT, "b-2", Duration.ofDays(1)));
    catalog.setQuota(PROJECT, Quota.of(2, 100));
    catalog.setQuota(OTHER_PROJECT, Quota.of(10, 2));
    State before = state();
    List<Runnable> refused = List.of(
        () -> catalog.apply(PROJECT, "b-1", 7, Transition.restore()),
        () -> catalog.apply(PROJECT, "job", 1, Transition.restore()),
        () -> catalog.apply(PROJECT, "b-1", 1, Transition.complete()),
        () -> catalog.apply(PROJECT, "job", 1, Transition.reportProgress(5)),
        () -> catalog.apply(PROJECT, "missing", 1, Transition.delete()),
        () -> catalog.apply(OTHER_PROJECT, "b-1", 1, Transition.delete()),
        () -> catalog.remove(PROJECT, "b-1", 2),
        () -> catalog.remove(OTHER_PROJECT, "job", 1),
        () -> catalog.add(available(PROJECT, "b-1", Duration.ofDays(3))),
        () -> catalog.add(available(PROJECT, "b-3", Duration.ofDays(3))),
        () -> catalog.add(sized(OTHER_PROJECT, "b-4", 2048)),
        () -> catalog.addAll(List.of(available(OTHER_PROJECT, "b-5", Duration.ofDays(1)),
            available(PROJECT, "b-6", Duration.ofDays(1)))),
        () -> catalog.addAll(List.of(available(OTHER_PROJECT, "b-7", Duration.ofDays(1)),
            available(OTHER_PROJECT, "b-7", Duration.ofDays(2)))),
        () -> catalog.replay(new Change(9, PROJECT, "b-8", Optional.empty(),
            Optional.of(available(PROJECT, "b-8", Duration.ofDays(1))), Optional.empty())),
        () -> catalog.load(new ProjectSnapshot(OTHER_PROJECT, 0, Quota.NONE, List.of())));

    for (int i = 0; i < refused.size(); i++) {
      assertThrows(RuntimeException.class, refused.get(i)::run, "refusal " + i + " was accepted");
      assertEquals(before, state(), "refusal " + i + " changed the catalog");
    }
  }

  // ---------------------------------------------------------------- subscribers that change the catalog

  /**
   * Checks that a change a subscriber makes while it is delivered a change reaches every subscriber
   * in its project's sequence order.
   */
  @Test
  public void aChangeMadeByASubscriberReachesEverySubscriberInSequenceOrder() {
    List<Change> first = Collections.synchronizedList(new ArrayList<>());
    List<Change> second = Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicBoolean reacted = new java.util.concurrent.atomic.AtomicBoolean();
    catalog.subscribe(change -> {
      first.add(change);
      if (change.backupId().equals("b-1") && reacted.compareAndSet(false, true)) {
        catalog.add(available(PROJECT, "b-2", Duration.ofDays(2)));  // from inside the delivery of b-1
      }
    });
    catalog.subscribe(second::add);

    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    await(() -> "the subscriber's change committed", () -> catalog.find(PROJECT, "b-2").isPresent());
    catalog.add(available(PROJECT, "b-3", Duration.ofDays(3)));

    for (List<Change> seen : List.of(first, second)) {
      List<Change> delivered = awaitSize(seen, 3);
      assertEquals(List.of(1L, 2L, 3L), sequences(ofProject(delivered, PROJECT)),
          "each subscriber sees the project's changes in sequence order: " + delivered);
      assertEquals(List.of("b-1", "b-2", "b-3"),
          delivered.stream().map(Change::backupId).collect(Collectors.toList()));
    }
    assertEquals(3, catalog.sequence(PROJECT));
  }

  /** Checks that another project's backups never count in usage or quota. */
  @Test
  public void anotherProjectsBackupsNeverCountInUsageOrQuota() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    catalog.add(available(OTHER_PROJECT, "b-2", Duration.ofDays(1)));
    catalog.add(available(OTHER_PROJECT, "b-3", Duration.ofDays(1)));
    assertEquals(1, catalog.usage(PROJECT, UsageQuery.firstServers(10)).backups());
    assertEquals(1, catalog.quotaUsage(PROJECT).backupsUsed());
    catalog.setQuota(PROJECT, Quota.of(2, Quota.UNLIMITED));
    catalog.add(available(PROJECT, "b-4", Duration.ofDays(1)));  // the other project's two do not count
  }

  /** Checks that the catalog refuses a backup beyond a quota and keeps the catalog as it was. */
  @Test
  public void refusesABackupBeyondAQuotaAndKeepsTheCatalog() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    catalog.setQuota(PROJECT, Quota.of(1, Quota.UNLIMITED));
    State before = state();
    UsageReport usageBefore = catalog.usage(PROJECT, UsageQuery.firstServers(10));

    QuotaExceededException count = assertThrows(QuotaExceededException.class,
        () -> catalog.add(available(PROJECT, "b-2", Duration.ofDays(1))));
    assertEquals("backups", count.quota());
    assertThrows(QuotaExceededException.class,
        () -> catalog.addAll(List.of(available(PROJECT, "b-3", Duration.ofDays(1)))));

    assertEquals(before, state(), "a refused add must leave the catalog as it was");

    catalog.setQuota(PROJECT, Quota.of(Quota.UNLIMITED, 1));  // 1 GB: b-1 uses 1024 MB of it
    before = state();
    QuotaExceededException capacity = assertThrows(QuotaExceededException.class,
        () -> catalog.add(available(PROJECT, "b-4", Duration.ofDays(1))));
    assertEquals("backup_capacity", capacity.quota());
    assertEquals(PROJECT, capacity.projectId());
    QuotaExceededException small = assertThrows(QuotaExceededException.class,
        () -> catalog.add(sized(PROJECT, "b-5", 1)));
    assertTrue(small.getMessage().contains("asked 1 MB more"), "1 MB is not 0.00 GB: " + small.getMessage());

    assertEquals(before, state(), "a refused add must leave the catalog as it was");
    assertEquals(usageBefore, catalog.usage(PROJECT, UsageQuery.firstServers(10)));
    assertEquals(new QuotaUsage(Quota.of(Quota.UNLIMITED, 1), 1, 1024), catalog.quotaUsage(PROJECT));
  }

  /**
   * Checks that even a backup of 0 MB is refused while a lowered quota leaves the project beyond it
   * (its backups or its capacity), and leaves the catalog as it was.
   */
  @Test
  public void aBackupOfZeroMbIsRefusedBeyondALoweredQuota() {
    catalog.add(sized(PROJECT, "b-1", 2048));
    catalog.add(sized(PROJECT, "b-2", 10));
    catalog.setQuota(PROJECT, Quota.of(1, Quota.UNLIMITED));   // two backups, one allowed
    State before = state();
    QuotaExceededException count = assertThrows(QuotaExceededException.class, () -> catalog.add(sized(PROJECT, "b-0", 0)));
    assertEquals("backups", count.quota());
    assertThrows(QuotaExceededException.class, () -> catalog.addAll(List.of(sized(PROJECT, "b-0", 0))));
    catalog.setQuota(PROJECT, Quota.of(Quota.UNLIMITED, 1));   // 2058 MB held, 1 GB allowed
    before = state();
    QuotaExceededException capacity = assertThrows(QuotaExceededException.class,
        () -> catalog.add(sized(PROJECT, "b-0", 0)));
    assertEquals("backup_capacity", capacity.quota());
    assertEquals(before, state(), "a refused add must leave the catalog as it was");
    catalog.setQuota(PROJECT, Quota.NONE);
    catalog.add(sized(PROJECT, "b-0", 0));
    assertEquals(3, catalog.count(PROJECT, Predicates.all()));
  }

  // ---------------------------------------------------------------- adding, finding, details

  /** Checks that the catalog finds an added backup in its project. */
  @Test
  public void findsAnAddedBackupInItsProject() {
    Backup backup = available(PROJECT, "b-1", Duration.ofDays(1));
    catalog.add(backup);

    assertEquals(Optional.of(backup), catalog.find(PROJECT, "b-1"));
    assertEquals(backup, catalog.get(PROJECT, "b-1"));
    assertEquals(1, catalog.count(PROJECT, Predicates.all()));
  }

  /** Checks that the catalog finds nothing for an unknown id and {@code get} says not found. */
  @Test
  public void findsNothingForAnUnknownIdAndGetSaysNotFound() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));

    assertEquals(Optional.empty(), catalog.find(PROJECT, "b-2"));
    BackupNotFoundException e = assertThrows(BackupNotFoundException.class, () -> catalog.get(PROJECT, "b-2"));
    assertEquals(PROJECT, e.projectId());
    assertEquals("b-2", e.backupId());
  }

  /** Checks that the catalog refuses a duplicate id and keeps the first backup. */
  @Test
  public void refusesADuplicateIdAndKeepsTheFirstBackup() {
    Backup first = available(PROJECT, "b-1", Duration.ofDays(2));
    catalog.add(first);
    State before = state();

    Backup second = available(PROJECT, "b-1", Duration.ofDays(1), Tag.of("env", "prod"));
    DuplicateBackupException e = assertThrows(DuplicateBackupException.class, () -> catalog.add(second));

    assertEquals("b-1", e.backupId());
    assertEquals(before, state(), "a refused add must leave the catalog as it was");
  }

  /** Checks that {@code addAll} adds every backup. */
  @Test
  public void addAllAddsEveryBackup() {
    List<Backup> backups = List.of(
        available(PROJECT, "b-1", Duration.ofDays(3)),
        available(PROJECT, "b-2", Duration.ofDays(2)),
        available(OTHER_PROJECT, "b-3", Duration.ofDays(1)));

    catalog.addAll(backups);

    assertEquals(List.of("b-2", "b-1"), catalog.query(PROJECT, Query.all()).ids());
    assertEquals(List.of("b-3"), catalog.query(OTHER_PROJECT, Query.all()).ids());
  }

  /** Checks that {@code addAll} adds nothing when one id exists already. */
  @Test
  public void addAllAddsNothingWhenOneIdExistsAlready() {
    catalog.add(available(PROJECT, "b-2", Duration.ofDays(5)));
    State before = state();
    List<Backup> batch = List.of(
        available(PROJECT, "b-1", Duration.ofDays(3), Tag.of("env", "prod")),
        available(PROJECT, "b-2", Duration.ofDays(2)),
        available(OTHER_PROJECT, "b-3", Duration.ofDays(1)));

    DuplicateBackupException e = assertThrows(DuplicateBackupException.class, () -> catalog.addAll(batch));

    assertEquals("b-2", e.backupId());
    assertEquals(PROJECT, e.projectId());
    assertFalse(e.inBatch(), "b-2 exists in the project: " + e.getMessage());
    assertTrue(e.getMessage().contains("already exists in project " + PROJECT), e.getMessage());
    assertEquals(before, state(), "addAll must add none when one is refused");
  }

  /** Checks that {@code addAll} adds nothing when an id repeats in the batch. */
  @Test
  public void addAllAddsNothingWhenAnIdRepeatsInTheBatch() {
    List<Backup> batch = List.of(
        available(PROJECT, "b-1", Duration.ofDays(3)),
        available(PROJECT, "b-2", Duration.ofDays(2)),
        available(PROJECT, "b-1", Duration.ofDays(1)));

    DuplicateBackupException e = assertThrows(DuplicateBackupException.class, () -> catalog.addAll(batch));

    assertEquals("b-1", e.backupId());
    assertEquals(PROJECT, e.projectId());
    assertTrue(e.inBatch(), "b-1 repeats in the batch, the project has no b-1: " + e.getMessage());
    assertTrue(e.getMessage().contains("repeats in the batch"), e.getMessage());
    assertEquals(State.EMPTY, state(), "addAll must add none when an id repeats in the batch");
  }

  /**
   * Checks that a batch is checked project by project in project id order, duplicates of every
   * project before any quota, and that a refusal names its project.
   */
  @Test
  public void aRefusedBatchNamesTheProjectAndDuplicatesComeBeforeQuotas() {
    catalog.add(available(OTHER_PROJECT, "theirs", Duration.ofDays(9)));
    catalog.setQuota(OTHER_PROJECT, Quota.of(2, Quota.UNLIMITED));
    catalog.setQuota(PROJECT, Quota.of(1, Quota.UNLIMITED));
    State before = state();

    QuotaExceededException quota = assertThrows(QuotaExceededException.class, () -> catalog.addAll(List.of(
        available(OTHER_PROJECT, "b-1", Duration.ofDays(1)),
        available(OTHER_PROJECT, "b-2", Duration.ofDays(2)),
        available(PROJECT, "b-3", Duration.ofDays(3)))));
    assertEquals(OTHER_PROJECT, quota.projectId(), "only " + OTHER_PROJECT + " goes beyond its quota");
    assertEquals("backups", quota.quota());
    assertTrue(quota.getMessage().contains(OTHER_PROJECT), quota.getMessage());

    DuplicateBackupException duplicate = assertThrows(DuplicateBackupException.class, () -> catalog.addAll(List.of(
        available(PROJECT, "b-1", Duration.ofDays(1)),
        available(PROJECT, "b-2", Duration.ofDays(2)),
        available(OTHER_PROJECT, "b-3", Duration.ofDays(3)),
        available(OTHER_PROJECT, "theirs", Duration.ofDays(4)))));
    assertEquals(OTHER_PROJECT, duplicate.projectId(), "a duplicate in any project comes before a quota");
    assertEquals("theirs", duplicate.backupId());

    assertEquals(before, state(), "a refused batch must add nothing");
    assertEquals(1, catalog.sequence(OTHER_PROJECT));
    assertEquals(0, catalog.sequence(PROJECT));
  }

  /** Checks that the catalog keeps the same id in two projects as two backups. */
  @Test
  public void keepsTheSameIdInTwoProjectsAsTwoBackups() {
    Backup mine = available(PROJECT, "shared-id", Duration.ofDays(2), Tag.of("env", "prod"));
    Backup theirs = available(OTHER_PROJECT, "shared-id", Duration.ofDays(1), Tag.of("env", "dev"));
    catalog.addAll(List.of(mine, theirs));

    Backup restoring = catalog.apply(PROJECT, "shared-id", 1, Transition.restore()).orElseThrow();
    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(Optional.of(theirs), catalog.find(OTHER_PROJECT, "shared-id"), "a change in one project touched another");

    catalog.remove(OTHER_PROJECT, "shared-id", 1);
    assertEquals(Optional.of(restoring), catalog.find(PROJECT, "shared-id"), "a removal in one project touched another");
    assertEquals(TagCatalogue.of(Map.of("env", List.of("prod"))), catalog.tagCatalogue(PROJECT));
  }

  // ---------------------------------------------------------------- changes

  /** Checks that {@code apply} stores and returns the next version. */
  @Test
  public void applyStoresAndReturnsTheNextVersion() {
    Backup backup = available(PROJECT, "b-1", Duration.ofDays(1));
    catalog.add(backup);
    clock.advance(Duration.ofMinutes(5));

    Backup restoring = catalog.apply(PROJECT, "b-1", 1, Transition.restore()).orElseThrow();

    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(2, restoring.version());
    assertEquals(clock.instant(), restoring.updatedAt(), "a change is dated by the catalog's clock");
    assertEquals(Progress.of(0, clock.instant()), restoring.progress().orElseThrow());
    assertEquals(restoring, catalog.get(PROJECT, "b-1"));
    assertEquals(1, catalog.count(PROJECT, Predicates.status(BackupStatus.RESTORING)));
    assertEquals(0, catalog.count(PROJECT, Predicates.status(BackupStatus.AVAILABLE)));

    Backup done = catalog.apply(PROJECT, "b-1", 2, Transition.complete()).orElseThrow();
    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(3, done.version());
    assertEquals(done, catalog.get(PROJECT, "b-1"));
  }

  /**
   * Checks that a tag update changes the backup in place as one version: values of existing keys
   * replaced where they are, new keys after them, the tag catalogue and the tag searches current at
   * once, and one change delivered with the backup before and after it and no transition.
   */
  @Test
  public void updateTagsChangesTheBackupInPlaceAsOneVersion() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1), Tag.of("env", "prod"), Tag.of("app", "erp")));
    catalog.add(available(PROJECT, "b-2", Duration.ofDays(2), Tag.of("app", "erp")));
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(seen::add);
    clock.advance(Duration.ofMinutes(5));
    Backup before = catalog.get(PROJECT, "b-1");

    Backup tagged = catalog.updateTags(PROJECT, "b-1", 1,
        TagUpdate.create(Tag.of("env", "test"), Tag.of("owner", "alice")));

    assertEquals(List.of(Tag.of("env", "test"), Tag.of("app", "erp"), Tag.of("owner", "alice")), tagged.tags());
    assertEquals(2, tagged.version());
    assertEquals(clock.instant(), tagged.updatedAt(), "a change is dated by the catalog's clock");
    assertEquals(before.toBuilder().tags(tagged.tags()).updatedAt(clock.instant()).version(2).build(), tagged,
        "nothing but the tags, the update time and the version changes");
    assertEquals(tagged, catalog.get(PROJECT, "b-1"));
    assertEquals(List.of("b-1"), catalog.query(PROJECT, Query.where(Predicates.tag("owner", "alice"))).ids());
    assertEquals(List.of(), catalog.query(PROJECT, Query.where(Predicates.tag("env", "prod"))).ids());
    TagCatalogue tags = catalog.tagCatalogue(PROJECT);
    assertEquals(Set.of("test"), tags.values("env"), "env=prod is gone from the catalogue with its last backup");
    assertEquals(Set.of("alice"), tags.values("owner"));

    Backup untagged = catalog.updateTags(PROJECT, "b-1", 2,
        TagUpdate.delete(TagUpdate.Match.key("owner"), TagUpdate.Match.of("env", "staging"), TagUpdate.Match.key("none")));
    assertEquals(List.of(Tag.of("env", "test"), Tag.of("app", "erp")), untagged.tags(),
        "a match with a value removes only the tag with that value; a missing tag is no error");
    assertEquals(3, untagged.version());
    assertEquals(Set.of(), catalog.tagCatalogue(PROJECT).values("owner"));

    List<Change> delivered = awaitSize(seen, 2);
    assertEquals(2, delivered.size(), "delivered: " + delivered);
    assertEquals(Optional.of(before), delivered.get(0).before());
    assertEquals(Optional.of(tagged), delivered.get(0).after());
    assertEquals(Optional.empty(), delivered.get(0).transition(), "a tag update is no lifecycle transition");
    assertEquals(4, catalog.sequence(PROJECT), "two adds and two tag updates");
  }

  /**
   * Checks that a tag update that leaves the tags as they are changes nothing, and that tags change
   * in every state, a busy one included.
   */
  @Test
  public void aTagUpdateThatChangesNothingMakesNoVersionAndBusyBackupsTakeTags() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1), Tag.of("env", "prod")));
    catalog.add(running(PROJECT, "busy", BackupStatus.CREATING, NOW.minusSeconds(60)));
    long sequence = catalog.sequence(PROJECT);
    State before = state();

    Backup same = catalog.updateTags(PROJECT, "b-1", 1, TagUpdate.create(Tag.of("env", "prod")));
    Backup stillSame = catalog.updateTags(PROJECT, "b-1", 1, TagUpdate.delete(TagUpdate.Match.of("env", "dev")));

    assertEquals(1, same.version());
    assertEquals(1, stillSame.version());
    assertEquals(before, state(), "an update that changes no tag changes nothing");
    assertEquals(sequence, catalog.sequence(PROJECT), "and is not a change");

    Backup busy = catalog.updateTags(PROJECT, "busy", 1, TagUpdate.create(Tag.of("env", "prod")));
    assertEquals(BackupStatus.CREATING, busy.status());
    assertEquals(List.of(Tag.of("env", "prod")), busy.tags());
    assertEquals(2, catalog.count(PROJECT, Predicates.tag("env", "prod")));
  }

  /**
   * Checks that a tag update beyond ten tags, on a stale version, of an unknown backup or of another
   * project's backup is refused and leaves the catalog as it was.
   */
  @Test
  public void refusedTagUpdatesLeaveTheCatalogAsItWas() {
    List<Tag> nine = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      nine.add(Tag.of("k" + i, "v"));
    }
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1), nine.toArray(new Tag[0])));
    catalog.add(available(OTHER_PROJECT, "theirs", Duration.ofDays(1)));
    State before = state();

    InvalidValueException tooMany = assertThrows(InvalidValueException.class,
        () -> catalog.updateTags(PROJECT, "b-1", 1, TagUpdate.create(Tag.of("a", "1"), Tag.of("b", "2"))));
    assertEquals("tags", tooMany.field());
    assertThrows(VersionConflictException.class,
        () -> catalog.updateTags(PROJECT, "b-1", 2, TagUpdate.create(Tag.of("a", "1"))));
    // the version is checked before the update: one too many tags on a stale version is a conflict
    assertThrows(VersionConflictException.class,
        () -> catalog.updateTags(PROJECT, "b-1", 2, TagUpdate.create(Tag.of("a", "1"), Tag.of("b", "2"))));
    assertThrows(BackupNotFoundException.class,
        () -> catalog.updateTags(PROJECT, "nope", 1, TagUpdate.create(Tag.of("a", "1"))));
    assertThrows(BackupNotFoundException.class,
        () -> catalog.updateTags(PROJECT, "theirs", 1, TagUpdate.create(Tag.of("a", "1"))));

    assertEquals(before, state(), "a refused tag update must leave the catalog as it was");
    Backup tenth = catalog.updateTags(PROJECT, "b-1", 1, TagUpdate.create(Tag.of("k0", "w"), Tag.of("a", "1")));
    assertEquals(10, tenth.tags().size(), "a replaced value and one new key make ten");
  }

  /**
   * Checks that a tag update at a clock before the backup's last change is refused naming {@code now}
   * (as a transition is), and one before its creation naming {@code updated at}, leaving the catalog
   * as it was; at the instant of the last change it is taken.
   */
  @Test
  public void tagUpdatesBeforeTheLastChangeAreRefused() {
    Instant later = NOW.plus(Duration.ofHours(1));
    catalog.add(base(PROJECT, "changed-later", NOW.minus(Duration.ofDays(1))).status(BackupStatus.AVAILABLE)
        .finishedAt(NOW.minus(Duration.ofDays(1))).updatedAt(later).build());
    catalog.add(base(PROJECT, "created-later", later).status(BackupStatus.AVAILABLE).finishedAt(later).build());
    State before = state();

    InvalidValueException early = assertThrows(InvalidValueException.class,
        () -> catalog.updateTags(PROJECT, "changed-later", 1, TagUpdate.create(Tag.of("env", "prod"))));
    assertEquals("now", early.field());
    InvalidValueException beforeCreation = assertThrows(InvalidValueException.class,
        () -> catalog.updateTags(PROJECT, "created-later", 1, TagUpdate.create(Tag.of("env", "prod"))));
    assertEquals("updated at", beforeCreation.field());
    assertEquals(before, state(), "a refused tag update must leave the catalog as it was");

    clock.set(later);
    Backup tagged = catalog.updateTags(PROJECT, "changed-later", 1, TagUpdate.create(Tag.of("env", "prod")));
    assertEquals(later, tagged.updatedAt());
    assertEquals(2, tagged.version());
  }

  /** Checks that the catalog refuses a change based on a stale version and keeps the backup. */
  @Test
  public void refusesAChangeBasedOnAStaleVersionAndKeepsTheBackup() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    catalog.apply(PROJECT, "b-1", 1, Transition.restore());
    State before = state();

    VersionConflictException e = assertThrows(
        VersionConflictException.class, () -> catalog.apply(PROJECT, "b-1", 1, Transition.complete()));

    assertEquals("b-1", e.backupId());
    assertEquals(1, e.expectedVersion());
    assertEquals(2, e.currentVersion(), "the conflict must name the current version to retry on");
    assertEquals(before, state(), "a refused change must leave the catalog as it was");
  }

  /** Checks that the catalog refuses a change based on a future version. */
  @Test
  public void refusesAChangeBasedOnAFutureVersion() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    State before = state();

    VersionConflictException e = assertThrows(
        VersionConflictException.class, () -> catalog.apply(PROJECT, "b-1", 2, Transition.delete()));

    assertEquals(1, e.currentVersion());
    assertEquals(before, state());
  }

  /** Checks that the catalog refuses an illegal transition and keeps the backup. */
  @Test
  public void refusesAnIllegalTransitionAndKeepsTheBackup() {
    catalog.add(running(PROJECT, "busy", BackupStatus.CREATING, NOW.minusSeconds(60)));
    catalog.add(available(PROJECT, "common", Duration.ofDays(1)));
    State before = state();

    IllegalTransitionException busy = assertThrows(
        IllegalTransitionException.class, () -> catalog.apply(PROJECT, "busy", 1, Transition.restore()));
    assertEquals(BackupStatus.CREATING, busy.status());
    assertThrows(IllegalTransitionException.class, () -> catalog.apply(PROJECT, "common", 1, Transition.instantRestore()));
    assertThrows(IllegalTransitionException.class, () -> catalog.apply(PROJECT, "common", 1, Transition.complete()));

    assertEquals(before, state(), "a refused transition must leave the catalog as it was");
  }

  /** Checks that the catalog refuses an invalid transition value and keeps the backup. */
  @Test
  public void refusesAnInvalidTransitionValueAndKeepsTheBackup() {
    catalog.add(running(PROJECT, "busy", BackupStatus.RESTORING, NOW.minusSeconds(60)));
    State before = state();

    InvalidValueException lower = assertThrows(
        InvalidValueException.class, () -> catalog.apply(PROJECT, "busy", 1, Transition.reportProgress(5)));
    assertEquals("progress", lower.field());
    assertThrows(InvalidValueException.class, () -> catalog.apply(PROJECT, "busy", 1, Transition.fail(" ")));

    assertEquals(before, state(), "a refused transition must leave the catalog as it was");
  }

  /** Checks that a completed deletion removes the backup and frees its id. */
  @Test
  public void completedDeletionRemovesTheBackupAndFreesItsId() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1), Tag.of("env", "prod")));
    catalog.add(available(PROJECT, "b-2", Duration.ofDays(2)));

    Backup deleting = catalog.apply(PROJECT, "b-1", 1, Transition.delete()).orElseThrow();
    assertEquals(BackupStatus.DELETING, deleting.status());
    Optional<Backup> gone = catalog.apply(PROJECT, "b-1", 2, Transition.complete());

    assertEquals(Optional.empty(), gone, "a completed deletion returns no backup");
    assertEquals(Optional.empty(), catalog.find(PROJECT, "b-1"));
    assertEquals(List.of("b-2"), catalog.query(PROJECT, Query.all()).ids());
    assertEquals(1, catalog.count(PROJECT, Predicates.all()));
    assertEquals(0, catalog.count(PROJECT, Predicates.tagKey("env")));
    assertEquals(TagCatalogue.empty(), catalog.tagCatalogue(PROJECT));
    assertThrows(BackupNotFoundException.class, () -> catalog.apply(PROJECT, "b-1", 3, Transition.restore()));

    Backup again = available(PROJECT, "b-1", Duration.ofHours(1));
    catalog.add(again);
    assertEquals(again, catalog.get(PROJECT, "b-1"), "the id of a removed backup may be used again");
  }

  /** Checks that a failed deletion keeps the backup, in Error. */
  @Test
  public void failedDeletionKeepsTheBackupInError() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    catalog.apply(PROJECT, "b-1", 1, Transition.delete());

    Backup failed = catalog.apply(PROJECT, "b-1", 2, Transition.fail("storage service returned 503")).orElseThrow();

    assertEquals(BackupStatus.ERROR, failed.status());
    assertEquals(JobType.DELETE, failed.failure().orElseThrow().job());
    assertEquals(List.of("b-1"), catalog.query(PROJECT, Query.where(Predicates.status(BackupStatus.ERROR))).ids());
  }

  /** Checks that {@code remove} takes a backup out whatever its state. */
  @Test
  public void removeTakesABackupOutWhateverItsState() {
    catalog.add(running(PROJECT, "busy", BackupStatus.CREATING, NOW.minusSeconds(60)));
    catalog.add(available(PROJECT, "b-2", Duration.ofDays(1)));

    catalog.remove(PROJECT, "busy", 1);

    assertEquals(Optional.empty(), catalog.find(PROJECT, "busy"));
    assertEquals(List.of("b-2"), catalog.query(PROJECT, Query.all()).ids());
    assertEquals(0, catalog.count(PROJECT, Predicates.status(BackupStatus.CREATING)));
  }

  /** Checks that {@code remove} refuses a stale version and an unknown backup. */
  @Test
  public void removeRefusesAStaleVersionAndAnUnknownBackup() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    catalog.apply(PROJECT, "b-1", 1, Transition.restore());
    State before = state();

    VersionConflictException stale =
        assertThrows(VersionConflictException.class, () -> catalog.remove(PROJECT, "b-1", 1));
    assertEquals(2, stale.currentVersion());
    assertThrows(BackupNotFoundException.class, () -> catalog.remove(PROJECT, "b-9", 1));
    assertThrows(BackupNotFoundException.class, () -> catalog.apply(PROJECT, "b-9", 1, Transition.restore()));

    assertEquals(before, state(), "a refused removal must leave the catalog as it was");
  }

  // ---------------------------------------------------------------- tenancy

  /** Checks that another project's backup is not found. */
  @Test
  public void anotherProjectsBackupIsNotFound() {
    catalog.add(available(PROJECT, "mine", Duration.ofDays(1)));
    State before = state();

    assertEquals(Optional.empty(), catalog.find(OTHER_PROJECT, "mine"));
    List<RuntimeException> refusals = List.of(
        assertThrows(BackupNotFoundException.class, () -> catalog.get(OTHER_PROJECT, "mine")),
        assertThrows(BackupNotFoundException.class, () -> catalog.apply(OTHER_PROJECT, "mine", 1, Transition.delete())),
        assertThrows(BackupNotFoundException.class, () -> catalog.apply(OTHER_PROJECT, "mine", 7, Transition.delete())),
        assertThrows(BackupNotFoundException.class, () -> catalog.remove(OTHER_PROJECT, "mine", 1)),
        assertThrows(BackupNotFoundException.class, () -> catalog.remove(OTHER_PROJECT, "mine", 7)));

    for (RuntimeException refusal : refusals) {
      assertEquals(OTHER_PROJECT, ((BackupNotFoundException) refusal).projectId());
      assertFalse(refusal.getMessage().contains(PROJECT), "a message hints at another project: " + refusal.getMessage());
    }
    assertEquals(before, state());
  }

  /** Checks that another project's backups are never listed, counted or catalogued. */
  @Test
  public void anotherProjectsBackupsAreNeverListedCountedOrCatalogued() {
    catalog.addAll(List.of(
        available(PROJECT, "mine-1", Duration.ofDays(1), Tag.of("env", "prod"), Tag.of("app", "shop")),
        running(PROJECT, "mine-2", BackupStatus.CREATING, NOW.minus(Duration.ofDays(1))),
        available(OTHER_PROJECT, "theirs", Duration.ofDays(2), Tag.of("env", "dev"))));

    assertEquals(List.of("theirs"), catalog.query(OTHER_PROJECT, Query.all()).ids());
    assertEquals(1, catalog.query(OTHER_PROJECT, Query.all()).total());
    assertEquals(1, catalog.count(OTHER_PROJECT, Predicates.all()));
    assertEquals(0, catalog.count(OTHER_PROJECT, Predicates.tag("env", "prod")));
    assertEquals(0, catalog.count(OTHER_PROJECT, Predicates.tagKey("app")));
    assertEquals(0, catalog.count(OTHER_PROJECT, Predicates.backupId("mine-1")));
    assertEquals(0, catalog.count(OTHER_PROJECT, Predicates.stalled()));
    assertEquals(0, catalog.count(OTHER_PROJECT, Predicates.status(BackupStatus.CREATING)));
    assertEquals(0, catalog.query(OTHER_PROJECT, Query.where(Predicates.nameContains("mine"))).total());
    assertEquals(TagCatalogue.of(Map.of("env", List.of("dev"))), catalog.tagCatalogue(OTHER_PROJECT));
    assertEquals(0, catalog.count("project-without-backups", Predicates.all()));
    assertEquals(TagCatalogue.empty(), catalog.tagCatalogue("project-without-backups"));

    InvalidValueException marker = assertThrows(InvalidValueException.class,
        () -> catalog.query(OTHER_PROJECT, Query.builder().marker("mine-1").build()));
    assertEquals("marker", marker.field());
    assertFalse(marker.getMessage().contains(PROJECT), "a message hints at another project: " + marker.getMessage());
  }

  /** Checks that the all-projects view spans every project. */
  @Test
  public void allProjectsViewSpansEveryProject() {
    catalog.addAll(List.of(
        available(PROJECT, "a-1", Duration.ofDays(1), Tag.of("env", "prod")),
        available(PROJECT, "a-2", Duration.ofDays(3)),
        available(OTHER_PROJECT, "b-1", Duration.ofDays(2), Tag.of("env", "prod")),
        running("project-c", "c-1", BackupStatus.DELETING, NOW.minusSeconds(10))));

    assertEquals(4, catalog.countAllProjects(Predicates.all()));
    assertEquals(2, catalog.countAllProjects(Predicates.tag("env", "prod")));
    Page first = catalog.queryAllProjects(Query.builder().sort(Sort.by(SortKey.asc(SortField.ID))).limit(3).build());
    assertEquals(List.of("a-1", "a-2", "b-1"), first.ids());
    assertEquals(4, first.total());
    assertTrue(first.hasMore());
    Page second = catalog.queryAllProjects(
        Query.builder().sort(Sort.by(SortKey.asc(SortField.ID))).limit(3).marker("b-1").build());
    assertEquals(List.of("c-1"), second.ids());
    assertFalse(second.hasMore());
    assertEquals(List.of("c-1", "a-1", "b-1", "a-2"), catalog.queryAllProjects(Query.all()).ids());
  }

  // ---------------------------------------------------------------- paging

  /** Checks that paging by offset visits every match once in sort order. */
  @Test
  public void pagingByOffsetVisitsEveryMatchOnceInSortOrder() {
    List<Backup> backups = pagingFixture();
    catalog.addAll(backups);
    for (Sort sort : SORTS) {
      for (BackupPredicate predicate : pagingPredicates()) {
        List<Backup> expected = sorted(backups, predicate, sort);
        for (int limit : new int[] {1, 3, 7, 1000}) {
          List<Backup> walked = new ArrayList<>();
          for (int offset = 0; ; offset += limit) {
            Query query = Query.builder().where(predicate).sort(sort).limit(limit).offset(offset).build();
            Page page = catalog.query(PROJECT, query);
            assertEquals(expected.size(), page.total(), "total of " + query);
            assertEquals(ids(expected.subList(offset, Math.min(expected.size(), offset + limit))), page.ids(), query.toString());
            assertEquals(offset + limit < expected.size(), page.hasMore(), "hasMore of " + query);
            walked.addAll(page.backups());
            if (!page.hasMore()) {
              break;
            }
          }
          assertEquals(expected, walked, "where " + predicate + ", sort " + sort + ", limit " + limit);
        }
      }
    }
  }

  /** Checks that paging by marker visits every match once in sort order. */
  @Test
  public void pagingByMarkerVisitsEveryMatchOnceInSortOrder() {
    List<Backup> backups = pagingFixture();
    catalog.addAll(backups);
    for (Sort sort : SORTS) {
      for (BackupPredicate predicate : pagingPredicates()) {
        List<Backup> expected = sorted(backups, predicate, sort);
        for (int limit : new int[] {1, 3, 7, 1000}) {
          Query query = Query.builder().where(predicate).sort(sort).limit(limit).build();
          List<Backup> walked = new ArrayList<>();
          for (int pages = 0; pages <= expected.size(); pages++) {
            Page page = catalog.query(PROJECT, query);
            assertEquals(expected.size(), page.total(), "total of " + query);
            int from = walked.size();
            assertEquals(ids(expected.subList(from, Math.min(expected.size(), from + limit))), page.ids(), query.toString());
            walked.addAll(page.backups());
            if (page.nextMarker().isEmpty()) {
              break;
            }
            query = query.after(page.nextMarker().get());
          }
          assertEquals(expected, walked, "where " + predicate + ", sort " + sort + ", limit " + limit);
        }
      }
    }
  }

  /** Checks that the marker need not match the predicate. */
  @Test
  public void markerNeedNotMatchThePredicate() {
    List<Backup> backups = pagingFixture();
    catalog.addAll(backups);
    Sort byName = Sort.by(SortKey.asc(SortField.NAME));
    BackupPredicate available = Predicates.status(BackupStatus.AVAILABLE);
    List<Backup> all = sorted(backups, Predicates.all(), byName);
    Backup marker = all.stream().filter(b -> b.status() != BackupStatus.AVAILABLE).skip(1).findFirst().orElseThrow();
    List<Backup> after = all.subList(all.indexOf(marker) + 1, all.size()).stream()
        .filter(b -> b.status() == BackupStatus.AVAILABLE)
        .collect(Collectors.toList());

    Page page = catalog.query(PROJECT, Query.builder().where(available).sort(byName).limit(1000).marker(marker.id()).build());

    assertEquals(ids(after), page.ids());
    assertEquals(sorted(backups, available, byName).size(), page.total(), "the total counts every match, not the rest");
  }

  /** Checks that the catalog refuses a marker that is not a backup of the project. */
  @Test
  public void refusesAMarkerThatIsNotABackupOfTheProject() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    catalog.add(available(PROJECT, "b-2", Duration.ofDays(2)));
    catalog.add(available(OTHER_PROJECT, "theirs", Duration.ofDays(3)));
    catalog.remove(PROJECT, "b-2", 1);

    for (String marker : List.of("no-such-backup", "theirs", "b-2")) {
      Query query = Query.builder().limit(10).marker(marker).build();
      InvalidValueException e = assertThrows(InvalidValueException.class,
          () -> catalog.query(PROJECT, query), "marker " + marker);
      assertEquals("marker", e.field(), e.getMessage());
      InvalidValueException inRead = assertThrows(InvalidValueException.class,
          () -> catalog.read(PROJECT, view -> view.query(query)), "marker " + marker + " in a read");
      assertEquals("marker", inRead.field(), inRead.getMessage());
    }
  }

  /** Checks that an offset past the end gives an empty page with the total. */
  @Test
  public void offsetPastTheEndGivesAnEmptyPageWithTheTotal() {
    catalog.addAll(pagingFixture());

    Page page = catalog.query(PROJECT, Query.builder().limit(10).offset(PAGING_FIXTURE_SIZE + 5).build());

    assertEquals(List.of(), page.ids());
    assertEquals(PAGING_FIXTURE_SIZE, page.total());
    assertFalse(page.hasMore());
  }

  /** Checks that paging by marker stays stable when backups come and go between pages. */
  @Test
  public void markerPagingStaysStableWhenBackupsComeAndGoBetweenPages() {
    List<Backup> shadow = new ArrayList<>(pagingFixture());
    catalog.addAll(shadow);
    Sort sort = Sort.DEFAULT;
    int limit = 4;
    Query query = Query.builder().sort(sort).limit(limit).build();
    List<Backup> walked = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(7);
    int added = 0;
    for (int pageNumber = 0; pageNumber < 100; pageNumber++) {
      Page page = catalog.query(PROJECT, query);
      List<Backup> expected = sorted(shadow, Predicates.all(), sort);
      int from = query.marker().isEmpty() ? 0 : expected.indexOf(find(shadow, query.marker().get())) + 1;
      assertEquals(ids(expected.subList(from, Math.min(expected.size(), from + limit))), page.ids(),
          "page " + pageNumber + " after " + query.marker().orElse("the start"));
      assertEquals(expected.size(), page.total());
      walked.addAll(page.backups());
      if (page.nextMarker().isEmpty()) {
        break;
      }
      String marker = page.nextMarker().get();
      // between pages: one backup removed, one changed and two added, one sorting before the marker and one after
      Backup victim = shadow.get(random.nextInt(shadow.size()));
      if (!victim.id().equals(marker)) {
        catalog.remove(PROJECT, victim.id(), victim.version());
        shadow.remove(victim);
      }
      Backup changed = shadow.get(random.nextInt(shadow.size()));
      if (changed.status() == BackupStatus.AVAILABLE) {
        Backup restoring = catalog.apply(PROJECT, changed.id(), changed.version(), Transition.restore()).orElseThrow();
        shadow.set(shadow.indexOf(changed), restoring);
      }
      Backup newer = available(PROJECT, "new-" + added++, Duration.ofMinutes(pageNumber + 1));
      Backup older = available(PROJECT, "new-" + added++, Duration.ofDays(400 + pageNumber));
      catalog.add(newer);
      catalog.add(older);
      shadow.add(newer);
      shadow.add(older);
      query = query.after(marker);
    }
    Set<String> seen = new HashSet<>();
    for (Backup backup : walked) {
      assertTrue(seen.add(backup.id()), "walked twice over " + backup.id());
    }
    assertTrue(walked.stream().anyMatch(b -> b.id().startsWith("new-")), "backups added after the marker must appear");
  }

  /** Checks that {@code count} equals the total of the query. */
  @Test
  public void countEqualsTheTotalOfTheQuery() {
    catalog.addAll(pagingFixture());
    for (BackupPredicate predicate : pagingPredicates()) {
      Page page = catalog.query(PROJECT, Query.builder().where(predicate).limit(1).build());
      assertEquals(page.total(), catalog.count(PROJECT, predicate), predicate.toString());
    }
  }

  // ---------------------------------------------------------------- tag catalogue

  /** Checks that the tag catalogue lists the project's keys with their values. */
  @Test
  public void tagCatalogueListsTheProjectsKeysWithTheirValues() {
    catalog.addAll(List.of(
        available(PROJECT, "b-1", Duration.ofDays(1), Tag.of("env", "prod"), Tag.of("app", "shop")),
        available(PROJECT, "b-2", Duration.ofDays(2), Tag.of("env", "dev"), Tag.of("empty", "")),
        available(PROJECT, "b-3", Duration.ofDays(3), Tag.of("env", "prod")),
        available(PROJECT, "b-4", Duration.ofDays(4))));

    TagCatalogue expected = TagCatalogue.of(Map.of(
        "app", List.of("shop"), "empty", List.of(""), "env", List.of("dev", "prod")));
    assertEquals(expected, catalog.tagCatalogue(PROJECT));
  }

  /** Checks that the tag catalogue forgets a value when its last backup goes. */
  @Test
  public void tagCatalogueForgetsAValueWhenItsLastBackupGoes() {
    catalog.addAll(List.of(
        available(PROJECT, "b-1", Duration.ofDays(1), Tag.of("env", "prod"), Tag.of("app", "shop")),
        available(PROJECT, "b-2", Duration.ofDays(2), Tag.of("env", "dev")),
        available(PROJECT, "b-3", Duration.ofDays(3), Tag.of("env", "prod"))));

    catalog.remove(PROJECT, "b-1", 1);
    assertEquals(TagCatalogue.of(Map.of("env", List.of("dev", "prod"))), catalog.tagCatalogue(PROJECT));

    catalog.apply(PROJECT, "b-2", 1, Transition.delete());
    assertEquals(TagCatalogue.of(Map.of("env", List.of("dev", "prod"))), catalog.tagCatalogue(PROJECT),
        "a backup being deleted still exists");
    catalog.apply(PROJECT, "b-2", 2, Transition.complete());
    assertEquals(TagCatalogue.of(Map.of("env", List.of("prod"))), catalog.tagCatalogue(PROJECT));
  }

  // ---------------------------------------------------------------- the clock

  /** Checks that the {@code stalled} criterion follows the clock. */
  @Test
  public void stalledFollowsTheClock() {
    Duration threshold = stallRule().threshold();
    catalog.add(running(PROJECT, "job", BackupStatus.CREATING, NOW));
    catalog.add(available(PROJECT, "idle", Duration.ofDays(30)));
    Query stalled = Query.where(Predicates.stalled());

    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "a job whose progress just changed is not stalled");
    clock.advance(threshold);
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "at exactly the threshold (" + threshold
        + ", the contract's stallRule(): override it if the catalog uses another rule) a job is not yet stalled");
    clock.advance(Duration.ofNanos(1));
    assertEquals(1, catalog.count(PROJECT, Predicates.stalled()), "one nanosecond past the threshold (" + threshold
        + ", the contract's stallRule()) the job is stalled");
    assertEquals(List.of("job"), catalog.query(PROJECT, stalled).ids());
    assertEquals(List.of("idle"), catalog.query(PROJECT, Query.where(Predicates.not(Predicates.stalled()))).ids());

    catalog.apply(PROJECT, "job", 1, Transition.reportProgress(60));
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "a progress report ends the stall");
    clock.advance(threshold.plusSeconds(1));
    assertEquals(List.of("job"), catalog.query(PROJECT, stalled).ids());
    catalog.apply(PROJECT, "job", 2, Transition.complete());
    assertEquals(0, catalog.count(PROJECT, Predicates.stalled()), "a stable backup is never stalled");
  }

  /** Checks that {@code createdWithinLast} follows the clock. */
  @Test
  public void createdWithinLastFollowsTheClock() {
    catalog.add(available(PROJECT, "recent", Duration.ofDays(6)));
    catalog.add(available(PROJECT, "old", Duration.ofDays(30)));
    BackupPredicate lastWeek = Predicates.createdWithinLast(Duration.ofDays(7));

    assertEquals(List.of("recent"), catalog.query(PROJECT, Query.where(lastWeek)).ids());
    clock.advance(Duration.ofDays(1));
    assertEquals(1, catalog.count(PROJECT, lastWeek), "at exactly 7 days the window still holds it");
    clock.advance(Duration.ofNanos(1));
    assertEquals(0, catalog.count(PROJECT, lastWeek));
    assertEquals(List.of(), catalog.query(PROJECT, Query.where(lastWeek)).ids());
  }

  // ---------------------------------------------------------------- concurrency

  /**
   * Checks that concurrent changes from one version let exactly one win.
   *
   * @throws Exception if a thread of the test is interrupted or fails unexpectedly
   */
  @Test
  public void concurrentChangesFromOneVersionLetExactlyOneWin() throws Exception {
    catalog.add(running(PROJECT, "job", BackupStatus.CREATING, NOW.minusSeconds(60)));
    int threads = 4;
    CountDownLatch start = new CountDownLatch(1);
    List<Callable<Boolean>> attempts = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      attempts.add(() -> {
        start.await();
        try {
          catalog.apply(PROJECT, "job", 1, Transition.reportProgress(50));
          return true;
        } catch (VersionConflictException e) {
          return false;
        }
      });
    }

    List<Boolean> won = runConcurrently(attempts, start);

    assertEquals(1, won.stream().filter(w -> w).count(), "exactly one change based on version 1 may win: " + won);
    assertEquals(2, catalog.get(PROJECT, "job").version());
  }

  /**
   * Checks that concurrent adds of one id let exactly one win.
   *
   * @throws Exception if a thread of the test is interrupted or fails unexpectedly
   */
  @Test
  public void concurrentAddsOfOneIdLetExactlyOneWin() throws Exception {
    int threads = 4;
    CountDownLatch start = new CountDownLatch(1);
    List<Callable<Boolean>> attempts = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Backup backup = available(PROJECT, "contested", Duration.ofDays(i + 1));
      attempts.add(() -> {
        start.await();
        try {
          catalog.add(backup);
          return true;
        } catch (DuplicateBackupException e) {
          return false;
        }
      });
    }

    List<Boolean> won = runConcurrently(attempts, start);

    assertEquals(1, won.stream().filter(w -> w).count(), "exactly one add of an id may win: " + won);
    assertEquals(1, catalog.count(PROJECT, Predicates.all()));
  }

  /**
   * Checks that concurrent writers that retry on conflict lose no update.
   *
   * @throws Exception if a thread of the test is interrupted or fails unexpectedly
   */
  @Test
  public void concurrentWritersThatRetryOnConflictLoseNoUpdate() throws Exception {
    catalog.add(running(PROJECT, "job", BackupStatus.CREATING, NOW.minusSeconds(60)));
    int threads = 4;
    int stepsEach = 20;
    CountDownLatch start = new CountDownLatch(1);
    List<Callable<Boolean>> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      writers.add(() -> {
        start.await();
        for (int done = 0, attempts = 0; done < stepsEach; attempts++) {
          if (attempts > 100_000) {
            return false;
          }
          Backup current = catalog.get(PROJECT, "job");
          int percent = current.progress().orElseThrow().percent() + 1;
          try {
            catalog.apply(PROJECT, "job", current.version(), Transition.reportProgress(percent));
            done++;
          } catch (VersionConflictException e) {
            // someone else was first: read again and retry
          }
        }
        return true;
      });
    }

    List<Boolean> finished = runConcurrently(writers, start);

    assertEquals(List.of(true, true, true, true), finished, "a writer could not get its changes through");
    Backup job = catalog.get(PROJECT, "job");
    assertEquals(10 + threads * stepsEach, job.progress().orElseThrow().percent(), "an update was lost");
    assertEquals(1 + threads * stepsEach, job.version());
  }

  /**
   * Checks that queries never see half of a change.
   *
   * @throws Exception if a thread of the test is interrupted or fails unexpectedly
   */
  @Test
  public void queriesNeverSeeHalfOfAChange() throws Exception {
    int size = 100;
    for (int i = 0; i < size; i++) {
      catalog.add(available(PROJECT, String.format(Locale.ROOT, "b-%03d", i), Duration.ofHours(i + 1), Tag.of("env", "prod")));
    }
    int writers = 2;
    AtomicInteger writing = new AtomicInteger(writers);
    CountDownLatch start = new CountDownLatch(1);
    BackupPredicate availableOrRestoring = Predicates.status(BackupStatus.AVAILABLE, BackupStatus.RESTORING);
    BackupPredicate restoring = Predicates.status(BackupStatus.RESTORING);
    List<Callable<Boolean>> tasks = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      tasks.add(() -> {
        start.await();
        try {
          SplittableRandom random = new SplittableRandom(writer);
          for (int i = 0; i < 300; i++) {
            String id = String.format(Locale.ROOT, "b-%03d", random.nextInt(size));
            Backup current = catalog.get(PROJECT, id);
            Transition next = current.status() == BackupStatus.AVAILABLE ? Transition.restore() : Transition.complete();
            try {
              catalog.apply(PROJECT, id, current.version(), next);
            } catch (VersionConflictException e) {
              // the other writer was first
            }
          }
          return true;
        } finally {
          writing.decrementAndGet();
        }
      });
    }
    tasks.add(readWhileWriting(writing, start, () -> {
      Page all = catalog.query(PROJECT, Query.builder().where(availableOrRestoring).limit(1000).build());
      assertEquals(size, all.total(), "a query saw a backup in no state or in two");
      assertEquals(size, new HashSet<>(all.ids()).size(), "a query saw a backup twice or not at all");
      Page running = catalog.query(PROJECT, Query.builder().where(restoring).limit(1000).build());
      for (Backup backup : running.backups()) {
        assertEquals(BackupStatus.RESTORING, backup.status(), "a page holds a backup that does not match");
      }
      assertEquals(running.backups().size(), running.total());
      assertEquals(size, catalog.count(PROJECT, Predicates.tag("env", "prod")));
    }));

    assertEquals(List.of(true, true, true), runConcurrently(tasks, start));
  }

  // ---------------------------------------------------------------- consistent reads

  /** Checks that a read answers like the catalog. */
  @Test
  public void aReadAnswersLikeTheCatalog() {
    catalog.addAll(pagingFixture());
    catalog.add(available(OTHER_PROJECT, "theirs", Duration.ofHours(2), Tag.of("env", "secret")));
    catalog.setQuota(PROJECT, Quota.of(100, -1));
    Query query = Query.builder().where(Predicates.status(BackupStatus.AVAILABLE)).limit(7).build();
    UsageQuery usage = UsageQuery.firstServers(5);

    List<Object> inside = catalog.read(PROJECT, view -> List.of(view.projectId(), view.find("p-03"),
        view.find("theirs"), view.query(query), view.count(Predicates.all()), view.tagCatalogue(),
        view.usage(usage), view.quotaUsage()));

    assertEquals(List.of(PROJECT, catalog.find(PROJECT, "p-03"), Optional.empty(), catalog.query(PROJECT, query),
        catalog.count(PROJECT, Predicates.all()), catalog.tagCatalogue(PROJECT), catalog.usage(PROJECT, usage),
        catalog.quotaUsage(PROJECT)), inside);
  }

  /** Checks that a read of a project without backups sees nothing. */
  @Test
  public void aReadOfAProjectWithoutBackupsSeesNothing() {
    catalog.add(available(OTHER_PROJECT, "theirs", Duration.ofHours(2)));

    long count = catalog.read("project-empty", view -> view.count(Predicates.all()));

    assertEquals(0, count);
  }

  /** Checks that a read evaluates relative times at one instant. */
  @Test
  public void aReadEvaluatesRelativeTimesAtOneInstant() {
    catalog.add(available(PROJECT, "nearly-a-week-old", Duration.ofDays(7).minusSeconds(30)));
    BackupPredicate lastWeek = Predicates.createdWithinLast(Duration.ofDays(7));

    List<Long> counts = catalog.read(PROJECT, view -> {
      long before = view.count(lastWeek);
      clock.advance(Duration.ofMinutes(1));
      return List.of(before, view.count(lastWeek));
    });

    assertEquals(List.of(1L, 1L), counts, "the clock moved inside one read");
    assertEquals(0, catalog.count(PROJECT, lastWeek), "after the read, the clock's instant counts again");
  }

  /** Checks that changes inside a read are refused and change nothing. */
  @Test
  public void changesInsideAReadAreRefusedAndChangeNothing() {
    catalog.add(available(PROJECT, "b-1", Duration.ofHours(1)));
    State before = state();
    Backup another = available(PROJECT, "b-2", Duration.ofHours(2));
    Backup elsewhere = available(OTHER_PROJECT, "b-3", Duration.ofHours(3));
    List<Runnable> changes = List.of(
        () -> catalog.add(another),
        () -> catalog.add(elsewhere),
        () -> catalog.addAll(List.of(another)),
        () -> catalog.apply(PROJECT, "b-1", 1, Transition.delete()),
        () -> catalog.remove(PROJECT, "b-1", 1),
        () -> catalog.setQuota(PROJECT, Quota.of(1, 1)));

    assertRefusedInsideARead(changes);

    assertEquals(before, state());
    assertEquals(Quota.NONE, catalog.quotaUsage(PROJECT).quota());
  }

  /** Checks that inside a read only its project can be read. */
  @Test
  public void insideAReadOnlyItsProjectCanBeRead() {
    catalog.add(available(PROJECT, "mine", Duration.ofHours(1)));
    catalog.add(available(OTHER_PROJECT, "theirs", Duration.ofHours(1)));
    Query all = Query.builder().build();

    catalog.read(PROJECT, view -> {
      assertEquals(1, catalog.count(PROJECT, Predicates.all()), "the catalog itself, same project");
      long nested = catalog.read(PROJECT, inner -> inner.count(Predicates.all()));
      assertEquals(1, nested, "a nested read");
      assertThrows(IllegalStateException.class, () -> catalog.query(OTHER_PROJECT, all));
      assertThrows(IllegalStateException.class, () -> catalog.count(OTHER_PROJECT, Predicates.all()));
      assertThrows(IllegalStateException.class, () -> catalog.read(OTHER_PROJECT, inner -> 0));
      assertThrows(IllegalStateException.class, () -> catalog.queryAllProjects(all));
      assertThrows(IllegalStateException.class, () -> catalog.countAllProjects(Predicates.all()));
      return null;
    });

    assertEquals(1, catalog.count(OTHER_PROJECT, Predicates.all()), "after the read, every project again");
  }

  /**
   * Checks that a view works only inside its read on its thread.
   *
   * @throws Exception if a thread of the test is interrupted or fails unexpectedly
   */
  @Test
  public void aViewWorksOnlyInsideItsReadOnItsThread() throws Exception {
    catalog.add(available(PROJECT, "mine", Duration.ofHours(1)));
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      ProjectView kept = catalog.read(PROJECT, view -> {
        Future<?> elsewhere = other.submit(() -> view.count(Predicates.all()));
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
            () -> elsewhere.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IllegalStateException, "another thread used the view: " + e.getCause());
        return view;
      });

      assertThrows(IllegalStateException.class, () -> kept.count(Predicates.all()));
      assertThrows(IllegalStateException.class, () -> kept.query(Query.builder().build()));
      assertEquals(PROJECT, kept.projectId());
    } finally {
      other.shutdownNow();
    }
  }

  /** Checks that a failing read leaves the catalog usable. */
  @Test
  public void aFailingReadLeavesTheCatalogUsable() {
    catalog.add(running(PROJECT, "job", BackupStatus.CREATING, NOW.minusSeconds(60)));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> catalog.read(PROJECT, view -> {
      throw new IllegalArgumentException("the reader's own mistake");
    }));
    assertEquals("the reader's own mistake", e.getMessage());

    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> catalog.apply(PROJECT, "job", 1, Transition.reportProgress(50)), "the read left its lock held");
    assertEquals(2, catalog.get(PROJECT, "job").version());
  }

  /**
   * Checks that every method naming a project refuses a blank one (empty, spaces, a tab) naming
   * {@code project id}, and leaves the catalog as it was.
   */
  @Test
  public void everyMethodNamingAProjectRefusesABlankOne() {
    catalog.add(available(PROJECT, "b-1", Duration.ofDays(1)));
    State before = state();
    for (String blank : List.of("", " ", "\t")) {
      Map<String, org.junit.jupiter.api.function.Executable> calls = new LinkedHashMap<>();
      calls.put("find", () -> catalog.find(blank, "b-1"));
      calls.put("get", () -> catalog.get(blank, "b-1"));
      calls.put("query", () -> catalog.query(blank, Query.all()));
      calls.put("count", () -> catalog.count(blank, Predicates.all()));
      calls.put("tagCatalogue", () -> catalog.tagCatalogue(blank));
      calls.put("usage", () -> catalog.usage(blank, UsageQuery.firstServers(10)));
      calls.put("quotaUsage", () -> catalog.quotaUsage(blank));
      calls.put("setQuota", () -> catalog.setQuota(blank, Quota.of(1, 1)));
      calls.put("apply", () -> catalog.apply(blank, "b-1", 1, Transition.restore()));
      calls.put("remove", () -> catalog.remove(blank, "b-1", 1));
      calls.put("updateTags", () -> catalog.updateTags(blank, "b-1", 1, TagUpdate.create(Tag.of("env", "prod"))));
      calls.put("sequence", () -> catalog.sequence(blank));
      calls.put("read", () -> catalog.read(blank, view -> view.query(Query.all())));
      calls.forEach((method, call) -> {
        InvalidValueException e = assertThrows(InvalidValueException.class, call, method + "(\"" + blank + "\")");
        assertEquals("project id", e.field(), method + "(\"" + blank + "\"): " + e.getMessage());
      });
    }
    assertEquals(before, state(), "a refused call must leave the catalog as it was");
  }

  /** Checks that a read refuses a blank project. */
  @Test
  public void aReadRefusesABlankProject() {
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.read(" ", view -> 0));
    assertEquals("project id", e.field());
    assertThrows(NullPointerException.class, () -> catalog.read(PROJECT, null));
  }

  /**
   * Checks that a read does not see changes committed during it.
   *
   * @throws Exception if a thread of the test is interrupted or fails unexpectedly
   */
  @Test
  public void aReadDoesNotSeeChangesCommittedDuringIt() throws Exception {
    catalog.add(running(PROJECT, "job", BackupStatus.CREATING, NOW.minusSeconds(60)));
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      Future<Backup> change = catalog.read(PROJECT, view -> {
        long sequence = view.sequence();
        Future<Backup> started = writer.submit(
            () -> catalog.apply(PROJECT, "job", 1, Transition.reportProgress(50)).orElseThrow());
        try {
          started.get(200, TimeUnit.MILLISECONDS);  // the writer commits meanwhile, or waits for the read
        } catch (java.util.concurrent.TimeoutException waiting) {
          // the writer waits for the read: allowed
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
          throw new AssertionError("the change failed", e);
        }
        assertEquals(1, view.find("job").orElseThrow().version(), "the read saw a change committed during it");
        assertEquals(List.of(1L), view.query(Query.builder().build()).backups().stream()
            .map(Backup::version).collect(Collectors.toList()), "the read saw a change committed during it");
        assertEquals(sequence, view.sequence(), "the read saw a change committed during it");
        return started;
      });

      assertEquals(2, change.get(10, TimeUnit.SECONDS).version());
      assertEquals(2, catalog.get(PROJECT, "job").version());
    } finally {
      writer.shutdownNow();
    }
  }

  /**
   * Checks that reads agree with themselves while writers change states.
   *
   * @throws Exception if a thread of the test is interrupted or fails unexpectedly
   */
  @Test
  public void readsAgreeWithThemselvesWhileWritersChangeStates() throws Exception {
    int size = 60;
    for (int i = 0; i < size; i++) {
      catalog.add(Backup.builder().id(String.format(Locale.ROOT, "b-%03d", i)).name("bk").projectId(PROJECT)
          .server(Server.of("server-" + (i % 4), "ecs-" + (i % 4), "eu-de-01"))
          .status(BackupStatus.AVAILABLE).sizeMb(100 + i).createdAt(NOW.minus(Duration.ofHours(i + 1))).build());
    }
    AtomicInteger writing = new AtomicInteger(1);
    CountDownLatch start = new CountDownLatch(1);
    BackupPredicate available = Predicates.status(BackupStatus.AVAILABLE);
    BackupPredicate busy = Predicates.status(BackupStatus.RESTORING, BackupStatus.DELETING);
    List<Callable<Boolean>> tasks = new ArrayList<>();
    tasks.add(() -> {
      start.await();
      try {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 600; i++) {
          String id = String.format(Locale.ROOT, "b-%03d", random.nextInt(size));
          Backup current = catalog.get(PROJECT, id);
          Transition next = current.status() != BackupStatus.AVAILABLE ? Transition.fail("stopped")
              : random.nextBoolean() ? Transition.restore() : Transition.delete();
          if (current.status() == BackupStatus.ERROR) {
            next = Transition.delete();
          } else if (current.status() == BackupStatus.RESTORING) {
            next = Transition.complete();
          }
          catalog.apply(PROJECT, id, current.version(), next);
        }
        return true;
      } finally {
        writing.decrementAndGet();
      }
    });
    tasks.add(readWhileWriting(writing, start, () -> {
      catalog.read(PROJECT, view -> {
        long all = view.count(Predicates.all());
        long error = view.count(Predicates.status(BackupStatus.ERROR));
        assertEquals(all, view.count(available) + view.count(busy) + error, "a backup in no state or in two");
        Page page = view.query(Query.builder().limit(Query.MAX_LIMIT).build());
        UsageReport usage = view.usage(UsageQuery.firstServers(UsageQuery.MAX_LIMIT));
        assertEquals(page.total(), usage.backups(), "usage counts other backups than the query");
        assertEquals(page.backups().stream().mapToLong(Backup::sizeMb).sum(), usage.sizeMb(),
            "usage differs from the sum of the sizes the query returns");
        UsageReport ofAvailable = view.usage(UsageQuery.of(available, 0, UsageQuery.MAX_LIMIT));
        assertEquals(view.count(available), ofAvailable.backups(), "usage of a state and its count differ");
        return null;
      });
    }));

    assertEquals(List.of(true, true), runConcurrently(tasks, start));
  }

  // ---------------------------------------------------------------- differential property

  /**
   * Random catalogs, random changes and random queries: every answer equals the plain scan's.
   * Replay a failure with {@code -Dcsbs.seed=N}.
   */
  @RepeatedTest(DIFFERENTIAL_RUNS)
  public void answersEqualThePlainScanOnRandomCatalogs() {
    Seeds.run(Seeds.pick(), this::checkAgainstReference);
  }

  /** One run of the differential property with {@code seed}; a fresh catalog and clock. */
  void checkAgainstReference(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    BackupGenerator generator = BackupGenerator.builder()
        .seed(random.nextLong())
        .projects(1 + random.nextInt(3))
        .servers(1 + random.nextInt(40))
        .build();
    FakeClock clock = FakeClock.at(generator.end());
    BackupCatalog catalog = newCatalog(clock);
    ReferenceCatalog reference = ReferenceCatalog.create(clock, stallRule());
    Differential run = new Differential(random, generator, clock, catalog, reference);

    List<Backup> initial = generator.backups(random.nextInt(MAX_GENERATED_BACKUPS + 1));
    if (random.nextBoolean()) {
      // names in other scripts and cases, where "ignoring case" is subtle
      for (int i = 0; i < initial.size(); i++) {
        if (random.nextInt(10) == 0) {
          Backup backup = initial.get(i);
          initial.set(i, copy(backup, backup.projectId(), run.pick(EXOTIC_NAMES), run.pick(EXOTIC_SERVER_NAMES)));
        }
      }
    }
    run.known.addAll(initial);
    if (random.nextBoolean()) {
      run.same("addAll of " + initial.size(), () -> run(() -> reference.addAll(initial)), () -> run(() -> catalog.addAll(initial)));
    } else {
      for (Backup backup : initial) {
        run.same("add " + backup, () -> run(() -> reference.add(backup)), () -> run(() -> catalog.add(backup)));
      }
    }
    List<String> projects = new ArrayList<>(generator.projectIds());
    projects.add("project-extra");
    Map<String, QueryGenerator> queries = new TreeMap<>();
    for (String project : projects) {
      List<Backup> own = initial.stream().filter(b -> b.projectId().equals(project)).collect(Collectors.toList());
      queries.put(project, QueryGenerator.create(random.nextLong(), own));
    }
    QueryGenerator allProjects = QueryGenerator.create(random.nextLong(), initial);

    for (int round = 0; round < ROUNDS; round++) {
      run.round = round;
      if (round > 0) {
        int changes = random.nextInt(MAX_CHANGES_PER_ROUND + 1);
        for (int i = 0; i < changes; i++) {
          run.change();
        }
      }
      for (String project : projects) {
        assertEquals(reference.tagCatalogue(project), catalog.tagCatalogue(project),
            run.context("tag catalogue of " + project));
        assertEquals(reference.sequence(project), catalog.sequence(project), run.context("sequence of " + project));
        for (int i = 0; i < QUERIES_PER_PROJECT; i++) {
          run.compare(project, queries.get(project).nextQuery(), random.nextInt(4) == 0);
        }
      }
      for (int i = 0; i < 3; i++) {
        run.compare(null, allProjects.nextQuery(), random.nextInt(4) == 0);
      }
    }
  }

  /** The state of one differential run: both catalogs, the shared clock, every backup generated. */
  private static final class Differential {
    final SplittableRandom random;
    final BackupGenerator generator;
    final FakeClock clock;
    final BackupCatalog catalog;
    final ReferenceCatalog reference;
    final List<Backup> known = new ArrayList<>();
    int round;

    Differential(SplittableRandom random, BackupGenerator generator, FakeClock clock, BackupCatalog catalog,
        ReferenceCatalog reference) {
      this.random = random;
      this.generator = generator;
      this.clock = clock;
      this.catalog = catalog;
      this.reference = reference;
    }

    String context(String what) {
      return "round " + round + " at " + clock.instant() + ", " + reference + ": " + what;
    }

    /** Both catalogs do the same thing: the same result, or the same kind of refusal. */
    void same(String what, Supplier<Object> expected, Supplier<Object> actual) {
      assertSameOutcome(outcome(expected), outcome(actual), context(what));
    }

    void change() {
      int kind = random.nextInt(20);
      if (kind < 2) {
        Backup backup = random.nextInt(4) == 0 && !known.isEmpty() ? pick(known) : fresh();
        same("add " + backup.id(), () -> run(() -> reference.add(backup)), () -> run(() -> catalog.add(backup)));
      } else if (kind < 3) {
        List<Backup> batch = new ArrayList<>();
        int size = 1 + random.nextInt(5);
        for (int i = 0; i < size; i++) {
          batch.add(fresh());
        }
        if (random.nextInt(3) == 0) {
          batch.add(random.nextInt(batch.size() + 1), random.nextBoolean() ? pick(known) : pick(batch));
        }
        same("addAll " + ids(batch), () -> run(() -> reference.addAll(batch)), () -> run(() -> catalog.addAll(batch)));
      } else if (kind < 4) {
        // the same id in another project: a different backup, which neither project may see
        Backup original = target();
        Backup backup = copy(original, otherProject(original), original.name(), original.server().name());
        known.add(backup);
        same("add a copy of " + original.id() + " to " + backup.projectId(),
            () -> run(() -> reference.add(backup)), () -> run(() -> catalog.add(backup)));
      } else if (kind < 5) {
        Backup target = target();
        long version = version(target);
        String project = random.nextInt(8) == 0 ? otherProject(target) : target.projectId();
        same("remove " + target.id() + " v" + version + " in " + project,
            () -> run(() -> reference.remove(project, target.id(), version)),
            () -> run(() -> catalog.remove(project, target.id(), version)));
      } else if (kind < 7) {
        clock.advance(random.nextInt(4) == 0 ? Duration.ofSeconds(random.nextInt(60)) : Duration.ofMinutes(random.nextInt(120)));
      } else if (kind < 8) {
        Backup target = target();
        long version = version(target);
        String project = random.nextInt(12) == 0 ? otherProject(target) : target.projectId();
        TagUpdate update = tagUpdate(reference.find(target.projectId(), target.id()).orElse(target));
        same("update tags " + update + " of " + target.id() + " v" + version + " in " + project,
            () -> reference.updateTags(project, target.id(), version, update),
            () -> catalog.updateTags(project, target.id(), version, update));
      } else {
        Backup target = target();
        long version = version(target);
        String project = random.nextInt(12) == 0 ? otherProject(target) : target.projectId();
        Transition transition = transition(reference.find(target.projectId(), target.id()).orElse(target));
        same("apply " + transition + " to " + target.id() + " v" + version + " in " + project,
            () -> reference.apply(project, target.id(), version, transition),
            () -> catalog.apply(project, target.id(), version, transition));
      }
      if (random.nextInt(4) == 0) {
        Backup target = target();
        assertEquals(reference.find(target.projectId(), target.id()), catalog.find(target.projectId(), target.id()),
            context("find " + target.id()));
      }
    }

    private Backup fresh() {
      Backup backup = generator.next();
      known.add(backup);
      return backup;
    }

    /** A known backup; half of the time one whose job runs, so that jobs progress, end and fail. */
    private Backup target() {
      if (random.nextBoolean()) {
        List<Backup> running = reference.queryAllProjects(Query.builder()
            .where(Predicates.status(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING))
            .limit(Query.MAX_LIMIT)
            .build()).backups();
        if (!running.isEmpty()) {
          return pick(running);
        }
      }
      return known.isEmpty() ? generator.next() : pick(known);
    }

    /** The current version, now and then a stale or future one. */
    private long version(Backup target) {
      long current = reference.find(target.projectId(), target.id()).map(Backup::version).orElse(1L);
      int roll = random.nextInt(12);
      return roll == 0 ? current + 1 : roll == 1 && current > 1 ? current - 1 : current;
    }

    /** A project other than the backup's. */
    private String otherProject(Backup backup) {
      List<String> others = new ArrayList<>(generator.projectIds());
      others.remove(backup.projectId());
      others.add("project-extra");
      return pick(others);
    }

    /** Creates tags other backups have (now and then beyond ten in all), or deletes some of the backup's. */
    private TagUpdate tagUpdate(Backup backup) {
      if (!backup.tags().isEmpty() && random.nextBoolean()) {
        List<TagUpdate.Match> matches = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
          Tag tag = pick(backup.tags());
          int roll = random.nextInt(4);
          matches.add(roll == 0 ? TagUpdate.Match.key("missing-" + i)
              : roll == 1 ? TagUpdate.Match.of(tag.key(), tag.value() + "x")
              : roll == 2 ? TagUpdate.Match.of(tag.key(), tag.value()) : TagUpdate.Match.key(tag.key()));
        }
        return TagUpdate.delete(matches);
      }
      Map<String, Tag> byKey = new LinkedHashMap<>();
      for (int i = 0, n = 1 + random.nextInt(random.nextInt(6) == 0 ? 10 : 3); i < n; i++) {
        List<Tag> source = known.isEmpty() ? List.of() : pick(known).tags();
        Tag tag = source.isEmpty() ? Tag.of("k" + random.nextInt(20), "v" + random.nextInt(3)) : pick(source);
        byKey.putIfAbsent(tag.key(), tag);
      }
      return TagUpdate.create(new ArrayList<>(byKey.values()));
    }

    private Transition transition(Backup backup) {
      int roll = random.nextInt(10);
      if (backup.status().isIntermediate() ? roll >= 9 : roll < 8) {
        switch (random.nextInt(3)) {
          case 0:
            return Transition.restore();
          case 1:
            return Transition.instantRestore();
          default:
            return Transition.delete();
        }
      }
      int percent = backup.progress().map(Progress::percent).orElse(0);
      switch (random.nextInt(6)) {
        case 0:
          return Transition.complete();
        case 1:
          return Transition.fail("injected failure");
        case 2:
          return Transition.reportProgress(percent - 1 - random.nextInt(3)); // refused: never goes down
        default:
          return Transition.reportProgress(Math.min(100, percent + random.nextInt(30)));
      }
    }

    /** Compares one query, its count and, if {@code walk}, every page by marker; project null for all. */
    void compare(String project, Query query, boolean walk) {
      String what = (project == null ? "all projects" : project) + ", " + query;
      same(what, () -> query(reference, project, query), () -> query(catalog, project, query));
      assertEquals(count(reference, project, query.predicate()), count(catalog, project, query.predicate()),
          context("count of " + what));
      if (!walk) {
        return;
      }
      long total = count(reference, project, query.predicate());
      int limit = (int) Math.min(Query.MAX_LIMIT, Math.max(query.limit(), (total + MAX_WALKED_PAGES - 1) / MAX_WALKED_PAGES));
      Query page = query.toBuilder().marker(null).offset(0).limit(limit).build();
      List<Backup> walked = new ArrayList<>();
      for (int n = 0; n <= total; n++) {
        Query next = page;
        Object expected = outcome(() -> query(reference, project, next));
        Object actual = outcome(() -> query(catalog, project, next));
        assertSameOutcome(expected, actual, context("page " + n + " walking by marker, " + (project == null ? "all projects" : project) + ", " + page));
        if (expected instanceof RuntimeException) {
          return; // the all-projects view refuses a marker whose id exists in several projects
        }
        walked.addAll(((Page) actual).backups());
        if (((Page) expected).nextMarker().isEmpty()) {
          break;
        }
        page = page.after(((Page) expected).nextMarker().get());
      }
      assertEquals(total, walked.size(), context("walking by marker visits every match once, " + what));
    }

    private static Page query(BackupCatalog catalog, String project, Query query) {
      return project == null ? catalog.queryAllProjects(query) : catalog.query(project, query);
    }

    private static long count(BackupCatalog catalog, String project, BackupPredicate predicate) {
      return project == null ? catalog.countAllProjects(predicate) : catalog.count(project, predicate);
    }

    <T> T pick(List<T> values) {
      return values.get(random.nextInt(values.size()));
    }
  }

  /** {@code backup} with another project, name and server name; everything else the same. */
  private static Backup copy(Backup backup, String projectId, String name, String serverName) {
    return Backup.builder()
        .id(backup.id())
        .name(name)
        .description(backup.description())
        .projectId(projectId)
        .server(Server.builder()
            .id(backup.server().id())
            .name(serverName)
            .resourceType(backup.server().resourceType())
            .availabilityZone(backup.server().availabilityZone())
            .build())
        .status(backup.status())
        .progress(backup.progress())
        .type(backup.type())
        .trigger(backup.trigger())
        .policyId(backup.policyId())
        .sizeMb(backup.sizeMb())
        .createdAt(backup.createdAt())
        .updatedAt(backup.updatedAt())
        .finishedAt(backup.finishedAt())
        .failure(backup.failure())
        .addAllTags(backup.tags())
        .version(backup.version())
        .build();
  }

  private static Object run(Runnable action) {
    action.run();
    return "done";
  }

  private static Object outcome(Supplier<Object> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return e;
    }
  }

  /**
   * Equal results, or refusals of the same kind with the same facts (field, current version, state,
   * project and id of a duplicate and whether it repeats in the batch, project and quota exceeded).
   */
  private static void assertSameOutcome(Object expected, Object actual, String context) {
    if (expected instanceof RuntimeException) {
      RuntimeException refusal = (RuntimeException) expected;
      if (!(actual instanceof RuntimeException) || actual.getClass() != expected.getClass()) {
        fail(context + ": expected " + refusal + " but got " + describe(actual), actual instanceof Throwable ? (Throwable) actual : null);
      }
      if (refusal instanceof InvalidValueException) {
        assertEquals(((InvalidValueException) refusal).field(), ((InvalidValueException) actual).field(), context);
      } else if (refusal instanceof VersionConflictException) {
        assertEquals(((VersionConflictException) refusal).currentVersion(), ((VersionConflictException) actual).currentVersion(), context);
      } else if (refusal instanceof IllegalTransitionException) {
        assertEquals(((IllegalTransitionException) refusal).status(), ((IllegalTransitionException) actual).status(), context);
      } else if (refusal instanceof DuplicateBackupException) {
        DuplicateBackupException expectedDuplicate = (DuplicateBackupException) refusal;
        DuplicateBackupException actualDuplicate = (DuplicateBackupException) actual;
        assertEquals(expectedDuplicate.projectId() + "/" + expectedDuplicate.backupId() + " in batch "
                + expectedDuplicate.inBatch(),
            actualDuplicate.projectId() + "/" + actualDuplicate.backupId() + " in batch " + actualDuplicate.inBatch(),
            context);
      } else if (refusal instanceof QuotaExceededException) {
        assertEquals(((QuotaExceededException) refusal).projectId() + " " + ((QuotaExceededException) refusal).quota(),
            ((QuotaExceededException) actual).projectId() + " " + ((QuotaExceededException) actual).quota(), context);
      } else if (refusal instanceof BackupNotFoundException) {
        assertEquals(((BackupNotFoundException) refusal).projectId(), ((BackupNotFoundException) actual).projectId(),
            context);
      }
      return;
    }
    if (actual instanceof RuntimeException) {
      fail(context + ": expected " + describe(expected) + " but got " + actual, (Throwable) actual);
    }
    if (!expected.equals(actual)) {
      fail(context + ":\nexpected " + describe(expected) + "\nbut got  " + describe(actual) + firstDifference(expected, actual));
    }
  }

  /** A page with each backup's project (Backup's text leaves it out; the all-projects view mixes them). */
  private static String describe(Object outcome) {
    if (outcome instanceof Page) {
      Page page = (Page) outcome;
      return "Page{" + page.backups().size() + " of " + page.total() + (page.hasMore() ? ", more" : "") + ": "
          + page.backups().stream().map(b -> b.projectId() + "/" + b).collect(Collectors.joining(", ", "[", "]")) + "}";
    }
    return String.valueOf(outcome);
  }

  /** Where two pages first differ, so that a long page's difference need not be searched by eye. */
  private static String firstDifference(Object expected, Object actual) {
    if (!(expected instanceof Page) || !(actual instanceof Page)) {
      return "";
    }
    List<Backup> want = ((Page) expected).backups();
    List<Backup> got = ((Page) actual).backups();
    for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
      if (!want.get(i).equals(got.get(i))) {
        Backup w = want.get(i);
        Backup g = got.get(i);
        return "\nfirst difference at row " + i + ": expected " + w.projectId() + "/" + w.id() + " version " + w.version()
            + ", got " + g.projectId() + "/" + g.id() + " version " + g.version()
            + (w.projectId().equals(g.projectId()) && w.id().equals(g.id()) ? " (the same backup, other fields differ: " + w
            + " vs " + g + ")" : "");
      }
    }
    return want.size() != got.size() ? "\nthe pages differ in length: " + want.size() + " against " + got.size()
        : "\nthe rows are equal: the totals or markers differ";
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Everything a reader of {@link #PROJECT} and {@link #OTHER_PROJECT} can see: backups, tag
   * catalogues, quotas with their use, space usage and sequences.
   */
  private static final class State {
    static final State EMPTY = new State(List.of(), List.of(), TagCatalogue.empty(), TagCatalogue.empty(),
        List.of(new QuotaUsage(Quota.NONE, 0, 0), new QuotaUsage(Quota.NONE, 0, 0),
            new UsageReport(0, 0, 0, List.of()), new UsageReport(0, 0, 0, List.of()), 0L, 0L));

    final List<Backup> mine;
    final List<Backup> theirs;
    final TagCatalogue myTags;
    final TagCatalogue theirTags;
    /** Both projects' quota usage, usage reports and sequences. */
    final List<Object> accounts;

    State(List<Backup> mine, List<Backup> theirs, TagCatalogue myTags, TagCatalogue theirTags, List<Object> accounts) {
      this.mine = mine;
      this.theirs = theirs;
      this.myTags = myTags;
      this.theirTags = theirTags;
      this.accounts = accounts;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof State && ((State) other).mine.equals(mine) && ((State) other).theirs.equals(theirs)
          && ((State) other).myTags.equals(myTags) && ((State) other).theirTags.equals(theirTags)
          && ((State) other).accounts.equals(accounts);
    }

    @Override
    public int hashCode() {
      return mine.hashCode();
    }

    @Override
    public String toString() {
      return PROJECT + " " + mine + " " + myTags + ", " + OTHER_PROJECT + " " + theirs + " " + theirTags
          + "; quotas, usage and sequences " + accounts;
    }
  }

  private State state() {
    UsageQuery every = UsageQuery.firstServers(UsageQuery.MAX_LIMIT);
    return new State(everything(PROJECT), everything(OTHER_PROJECT), catalog.tagCatalogue(PROJECT),
        catalog.tagCatalogue(OTHER_PROJECT), List.of(catalog.quotaUsage(PROJECT), catalog.quotaUsage(OTHER_PROJECT),
            catalog.usage(PROJECT, every), catalog.usage(OTHER_PROJECT, every), catalog.sequence(PROJECT),
            catalog.sequence(OTHER_PROJECT)));
  }

  private List<Backup> everything(String project) {
    return everything(catalog, project);
  }

  private static List<Backup> everything(BackupCatalog catalog, String project) {
    Page page = catalog.query(project, Query.builder().sort(Sort.by(SortKey.asc(SortField.ID))).limit(Query.MAX_LIMIT).build());
    assertFalse(page.hasMore(), "fixture too large");
    assertEquals(page.total(), catalog.count(project, Predicates.all()), "count and total of every backup differ");
    return page.backups();
  }

  /**
   * Adds, a batch over both projects, transitions of every kind (restore, progress, complete, fail,
   * delete and its completion) and an outright removal, with the clock moving in between.
   */
  private void changeEveryWay() {
    catalog.add(available(PROJECT, "r-1", Duration.ofDays(10), Tag.of("env", "prod")));
    catalog.addAll(List.of(
        available(PROJECT, "r-2", Duration.ofDays(9), Tag.of("env", "dev")),
        available(PROJECT, "r-3", Duration.ofDays(8)),
        available(OTHER_PROJECT, "r-1", Duration.ofDays(7), Tag.of("env", "prod")),
        running(PROJECT, "r-job", BackupStatus.CREATING, NOW.minusSeconds(600))));
    clock.advance(Duration.ofMinutes(1));
    Backup r1 = catalog.apply(PROJECT, "r-1", 1, Transition.restore()).orElseThrow();
    clock.advance(Duration.ofMinutes(1));
    r1 = catalog.apply(PROJECT, "r-1", r1.version(), Transition.reportProgress(40)).orElseThrow();
    clock.advance(Duration.ofMinutes(1));
    catalog.apply(PROJECT, "r-1", r1.version(), Transition.complete());
    Backup job = catalog.apply(PROJECT, "r-job", 1, Transition.reportProgress(70)).orElseThrow();
    clock.advance(Duration.ofMinutes(1));
    catalog.apply(PROJECT, "r-job", job.version(), Transition.fail("agent not reachable"));
    Backup r2 = catalog.apply(PROJECT, "r-2", 1, Transition.delete()).orElseThrow();
    clock.advance(Duration.ofMinutes(1));
    catalog.apply(PROJECT, "r-2", r2.version(), Transition.complete());
    catalog.remove(PROJECT, "r-3", 1);
    Backup other = catalog.apply(OTHER_PROJECT, "r-1", 1, Transition.delete()).orElseThrow();
    clock.advance(Duration.ofMinutes(1));
    catalog.apply(OTHER_PROJECT, "r-1", other.version(), Transition.reportProgress(30));
    catalog.add(available(OTHER_PROJECT, "r-4", Duration.ofDays(2)));
  }

  /**
   * {@code replica} answers like {@code source} in both projects: finds of {@code ids}, every backup
   * in two orders, counts by state, usage, tag catalogue and sequence.
   */
  private void assertSameProjects(BackupCatalog source, BackupCatalog replica, Set<String> ids, String when) {
    for (String project : List.of(PROJECT, OTHER_PROJECT)) {
      String what = when + ", " + project;
      for (String id : ids) {
        assertEquals(source.find(project, id), replica.find(project, id), what + ": find " + id);
      }
      assertEquals(everything(source, project), everything(replica, project), what);
      Query newestFirst = Query.builder().limit(Query.MAX_LIMIT).build();
      assertEquals(source.query(project, newestFirst), replica.query(project, newestFirst), what);
      for (BackupStatus status : BackupStatus.values()) {
        assertEquals(source.count(project, Predicates.status(status)), replica.count(project, Predicates.status(status)),
            what + ": count of " + status);
      }
      assertEquals(source.usage(project, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)),
          replica.usage(project, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)), what + ": usage");
      assertEquals(source.tagCatalogue(project), replica.tagCatalogue(project), what + ": tag catalogue");
      assertEquals(source.sequence(project), replica.sequence(project), what + ": sequence");
    }
  }

  /** Polls until {@code condition} holds; fails saying {@code what} after {@link #deliveryDeadline()}. */
  private void await(Supplier<String> what, java.util.function.BooleanSupplier condition) {
    Duration wait = deliveryDeadline();
    long deadline = System.nanoTime() + wait.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("waited " + wait.toMillis() + " ms for " + what.get());
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what.get(), e);
      }
    }
  }

  /**
   * Waits until a subscriber has added at least {@code n} changes to {@code changes} (a synchronized
   * list) and returns a copy of them.
   */
  private List<Change> awaitSize(List<Change> changes, int n) {
    await(() -> n + " changes delivered; got " + copy(changes), () -> changes.size() >= n);
    return copy(changes);
  }

  /** A copy of a synchronized list, taken under its lock. */
  private static List<Change> copy(List<Change> changes) {
    synchronized (changes) {
      return new ArrayList<>(changes);
    }
  }

  /** The changes of {@code project}, in the order they were delivered. */
  private static List<Change> ofProject(List<Change> changes, String project) {
    return changes.stream().filter(change -> change.projectId().equals(project)).collect(Collectors.toList());
  }

  private static List<Long> sequences(List<Change> changes) {
    return changes.stream().map(Change::sequence).collect(Collectors.toList());
  }

  /** A task that repeats {@code read} while any writer runs, and at least 10 times. */
  private static Callable<Boolean> readWhileWriting(AtomicInteger writing, CountDownLatch start, Runnable read) {
    return () -> {
      start.await();
      int reads = 0;
      while (writing.get() > 0 || reads < 10) {
        read.run();
        reads++;
      }
      return true;
    };
  }

  private List<Boolean> runConcurrently(List<Callable<Boolean>> tasks, CountDownLatch start) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<Boolean>> futures = new ArrayList<>();
      for (Callable<Boolean> task : tasks) {
        futures.add(pool.submit(task));
      }
      start.countDown();
      List<Boolean> results = new ArrayList<>();
      for (Future<Boolean> future : futures) {
        try {
          results.add(future.get(30, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof AssertionError) {
            throw (AssertionError) e.getCause();
          }
          throw new AssertionError("a concurrent task failed: " + e.getCause(), e.getCause());
        }
      }
      return results;
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /**
   * 40 backups of {@link #PROJECT} whose sort keys tie often (7 names, 13 creation times, every
   * state), so that the id tie-break decides much of the order; ids are not in creation order.
   */
  private static List<Backup> pagingFixture() {
    List<Backup> backups = new ArrayList<>();
    BackupStatus[] states = BackupStatus.values();
    for (int i = 0; i < PAGING_FIXTURE_SIZE; i++) {
      String id = String.format(Locale.ROOT, "p-%02d", (i * 17) % PAGING_FIXTURE_SIZE);
      Instant created = NOW.minus(Duration.ofHours(1 + i % 13));
      Instant updated = created.plusSeconds(60L * (i % 5));
      BackupStatus status = i % 3 == 0 ? states[i % states.length] : BackupStatus.AVAILABLE;
      Backup.Builder backup = Backup.builder()
          .id(id)
          .name((i % 2 == 0 ? "autobk_" : "manualbk_") + (i % 7))
          .projectId(PROJECT)
          .server(Server.of("server-" + (i % 4), "ecs-web-" + (i % 4), "eu-de-01"))
          .status(status)
          .sizeMb(1024L * (1 + i))
          .createdAt(created)
          .updatedAt(updated);
      if (i % 4 == 0) {
        backup.addTags(Tag.of("env", i % 8 == 0 ? "prod" : "dev"));
      }
      if (status.isIntermediate()) {
        backup.progress(Progress.of(10, updated));
      }
      if (status == BackupStatus.ERROR) {
        backup.failure(Failure.of(JobType.BACKUP, "agent not reachable", updated));
      }
      backups.add(backup.build());
    }
    return backups;
  }

  private static List<BackupPredicate> pagingPredicates() {
    return List.of(
        Predicates.all(),
        Predicates.status(BackupStatus.AVAILABLE),
        Predicates.or(Predicates.nameContains("BK_3"), Predicates.tag("env", "prod")),
        Predicates.not(Predicates.status(BackupStatus.AVAILABLE)));
  }

  private List<Backup> sorted(List<Backup> backups, BackupPredicate predicate, Sort sort) {
    return backups.stream()
        .filter(b -> predicate.test(b, clock.instant(), stallRule()))
        .sorted(sort.comparator())
        .collect(Collectors.toList());
  }

  private static Backup find(List<Backup> backups, String id) {
    return backups.stream().filter(b -> b.id().equals(id)).findFirst().orElseThrow();
  }

  private static List<String> ids(List<Backup> backups) {
    return backups.stream().map(Backup::id).collect(Collectors.toList());
  }

  private static Backup.Builder base(String project, String id, Instant created) {
    return Backup.builder()
        .id(id)
        .name("manualbk_" + id)
        .projectId(project)
        .server(Server.of("server-" + id, "ecs-" + id, "eu-de-01"))
        .type(BackupType.COMMON)
        .sizeMb(1024)
        .createdAt(created);
  }

  /** An Available common backup created {@code age} before the clock's start. */
  private static Backup available(String project, String id, Duration age, Tag... tags) {
    Instant created = NOW.minus(age);
    return base(project, id, created).status(BackupStatus.AVAILABLE).finishedAt(created).addTags(tags).build();
  }

  /** A backup in intermediate {@code status} at 10%, whose progress last changed at {@code changedAt}. */
  private static Backup running(String project, String id, BackupStatus status, Instant changedAt) {
    return base(project, id, changedAt.minus(Duration.ofHours(1)))
        .status(status)
        .updatedAt(changedAt)
        .progress(Progress.of(10, changedAt))
        .build();
  }
}
