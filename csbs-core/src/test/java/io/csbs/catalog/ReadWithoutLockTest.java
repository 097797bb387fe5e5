package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Server;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TimeRange;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Pages in creation order and counts of searches by state and creation time read without the
 * project's lock, and keep an answer only if no change came in meanwhile: beside a writer each such
 * answer is still one state (its total and its page agree), and such a read does not wait for a
 * change that waits for the lock. In these tests the writer moves the project between states whose
 * total alone says what the page must be, so that an answer mixing two states fails.
 */
class ReadWithoutLockTest {
  private static final String PROJECT = "project-a";
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final int BASE = 600;
  private static final int STACK = 4;
  private static final int PAGE = 6;
  /** How long the reader reads beside the writer in each test. */
  private static final long READ_NANOS = 1_500_000_000L;

  @Test
  void aFirstPageAndCountsDoNotWaitForAChangeThatWaitsForTheLock() throws Exception {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 8);
    catalog.add(backup("b0", 0, BackupStatus.AVAILABLE));
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    Thread longRead = new Thread(() -> catalog.read(PROJECT, view -> {
      reading.countDown();
      LockWaitTest.await(letGo);
      return view.sequence();
    }));
    longRead.start();
    reading.await();
    Thread writer = new Thread(() -> catalog.add(backup("b1", 1, BackupStatus.AVAILABLE)));
    writer.start();
    try {
      LockWaitTest.awaitParked(writer);  // spun, slept, then queued behind the long read: a locked read would queue behind it
      assertTrue(writer.isAlive());
      // a read under the lock would wait here until the long read ends
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
        Page page = catalog.query(PROJECT, Query.all());
        assertEquals(1, page.total());
        assertEquals(List.of("b0"), ids(page));
        assertEquals(1, catalog.count(PROJECT, Predicates.all()));
        assertEquals(1, catalog.count(PROJECT, Predicates.status(BackupStatus.AVAILABLE, BackupStatus.ERROR)));
        assertEquals(1, catalog.count(PROJECT, Predicates.and(
            Predicates.createdWithinLast(Duration.ofDays(365)), Predicates.not(Predicates.status(BackupStatus.ERROR)))));
        Page afterMarker = catalog.query(PROJECT, Query.builder().marker("b0").build());
        assertEquals(List.of(), ids(afterMarker));
        assertEquals(1, afterMarker.total());
        assertEquals(List.of(), ids(catalog.query(PROJECT, Query.builder().offset(1).build())));
        // the change waiting for the lock adds b1: until it is in, b1 is an unknown marker
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
            () -> catalog.query(PROJECT, Query.builder().marker("b1").build()));
        assertTrue(unknown.getMessage().contains("b1"), unknown::getMessage);
      });
      assertTrue(writer.isAlive(), "the reads answered while the change still waited");
    } finally {
      letGo.countDown();
      longRead.join(10_000);
      writer.join(10_000);
    }
    assertEquals(2, catalog.query(PROJECT, Query.all()).total());
    assertEquals(1, catalog.stats(PROJECT).lockWaits(), "only the writer waited: " + catalog.stats(PROJECT));
  }

  /**
   * A read that meets a change's hold answers at once from the state before it when a read of the same
   * question proved that state's answer; another question, a state since changed, or a window
   * relative to the present asked at another instant wait for the change.
   */
  @Test
  void aReadThatMeetsAHoldAnswersFromTheStateBeforeItWhenProven() throws Exception {
    Instant[] now = {NOW};
    Clock clock = new Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now[0];
      }
    };
    IndexedCatalog catalog = new IndexedCatalog(clock, StallRule.DEFAULT, 8);
    catalog.add(backup("b0", 0, BackupStatus.AVAILABLE));
    catalog.add(backup("b1", 1, BackupStatus.AVAILABLE));
    Page proven = catalog.query(PROJECT, Query.all());  // the first answer proven in this state

    try (Hold hold = new Hold(catalog.lockOf(PROJECT))) {
      assertSame(proven, assertTimeoutPreemptively(Duration.ofSeconds(10), () -> catalog.query(PROJECT, Query.all())));
      hold.assertWaits(() -> catalog.count(PROJECT, Predicates.all()));  // not asked in the state before the hold
    }
    assertEquals(2, catalog.query(PROJECT, Query.all()).total());  // proven again, then

    catalog.add(backup("b2", 2, BackupStatus.AVAILABLE));  // a new state, in which nothing was read
    try (Hold hold = new Hold(catalog.lockOf(PROJECT))) {
      hold.assertWaits(() -> catalog.query(PROJECT, Query.all()));
    }
    assertEquals(3, catalog.query(PROJECT, Query.all()).total());

    catalog.add(backup("b3", 3, BackupStatus.AVAILABLE));
    Query week = Query.builder().where(Predicates.createdWithinLast(Duration.ofDays(7))).build();
    Page weekPage = catalog.query(PROJECT, week);
    try (Hold hold = new Hold(catalog.lockOf(PROJECT))) {
      assertSame(weekPage, assertTimeoutPreemptively(Duration.ofSeconds(10), () -> catalog.query(PROJECT, week)));
      now[0] = NOW.plusSeconds(1);  // the window moved: the proven answer was another instant's
      hold.assertWaits(() -> catalog.query(PROJECT, week));
    }
  }

  /** A hold of a shard's write lock by another thread, as a change makes one, until closed. */
  private static final class Hold implements AutoCloseable {
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch letGo = new CountDownLatch(1);
    private final Thread holder;
    private final List<Thread> waiting = new ArrayList<>();

    Hold(ShardLock lock) throws InterruptedException {
      holder = new Thread(() -> {
        lock.writeLock().lock();
        try {
          held.countDown();
          LockWaitTest.await(letGo);
        } finally {
          lock.writeLock().unlock();
        }
      });
      holder.start();
      held.await();
    }

    /** Runs {@code read} on another thread and checks that it waits for the hold (and ends after it). */
    void assertWaits(Runnable read) throws InterruptedException {
      Thread reader = new Thread(read);
      reader.start();
      waiting.add(reader);
      reader.join(300);
      assertTrue(reader.isAlive(), "the read answered during the hold");
    }

    @Override
    public void close() throws InterruptedException {
      letGo.countDown();
      holder.join(10_000);
      for (Thread reader : waiting) {
        reader.join(10_000);
        assertFalse(reader.isAlive(), "the read did not end after the hold");
      }
    }
  }

  /**
   * The writer pushes and pops new backups (the newest, in the sorted rows) and moves old ones
   * between Available and Restoring; the reader's newest-first pages of every backup and of two
   * states must each be the page of the total they came with.
   */
  @Test
  void newestFirstPagesBesideNewBackupsAndTransitionsAreEachOneState() throws Exception {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 8);
    List<Backup> base = load(catalog, true);
    int availableOrRestoring = (int) base.stream().filter(b -> b.status() != BackupStatus.ERROR).count();
    List<String> newestBase = newestFirst(base, b -> true);
    List<String> newestAvailable = newestFirst(base, b -> b.status() != BackupStatus.ERROR);
    BackupPredicate twoStates = Predicates.status(BackupStatus.AVAILABLE, BackupStatus.RESTORING);

    checkBeside(catalog, new Runnable() {
      private int pushed;
      private boolean popping;
      private int turn;

      @Override
      public void run() {
        if (!popping) {
          catalog.add(backup("new-" + pushed, BASE + pushed, BackupStatus.AVAILABLE));
          popping = ++pushed == STACK;
        } else {
          pushed--;
          catalog.remove(PROJECT, "new-" + pushed, 1);
          popping = pushed > 0;
        }
        // an old Available backup starts a restore and completes it: in twoStates throughout
        Backup old = catalog.find(PROJECT, "b" + (1 + 3 * (turn++ % (BASE / 3)))).orElseThrow();
        Backup restoring = catalog.apply(PROJECT, old.id(), old.version(), Transition.restore()).orElseThrow();
        catalog.apply(PROJECT, old.id(), restoring.version(), Transition.complete());
      }
    }, () -> {
      Page all = catalog.query(PROJECT, Query.builder().limit(PAGE).build());
      assertEquals(expectedPage("new-", all.total() - BASE, newestBase), ids(all), "total " + all.total());
      Page states = catalog.query(PROJECT, Query.builder().where(twoStates).limit(PAGE).build());
      assertEquals(expectedPage("new-", states.total() - availableOrRestoring, newestAvailable), ids(states),
          "total " + states.total());
      for (Backup backup : states.backups()) {
        assertTrue(backup.status() == BackupStatus.AVAILABLE || backup.status() == BackupStatus.RESTORING, backup::toString);
      }
      long count = catalog.count(PROJECT, twoStates);
      assertTrue(count >= availableOrRestoring && count <= availableOrRestoring + STACK, "count " + count);
      long restoring = catalog.count(PROJECT, Predicates.status(BackupStatus.RESTORING));
      assertTrue(restoring <= 1, "restoring " + restoring);
    });
  }

  /**
   * The writer pushes and pops late backups (older than every other: the tail), which makes the
   * catalog reorganise now and then; the reader's oldest-first pages must each be the page of the
   * total they came with, and its newest-first pages never change.
   */
  @Test
  void oldestFirstPagesBesideLateBackupsAndReorganisationsAreEachOneState() throws Exception {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 2);
    List<Backup> base = load(catalog, false);
    List<String> oldestBase = oldestFirst(base, b -> true);
    List<String> newestBase = newestFirst(base, b -> true).subList(0, PAGE);
    Query oldestFirst = Query.builder().sort(Sort.by(SortKey.asc(SortField.CREATED_AT))).limit(PAGE).build();

    checkBeside(catalog, new LateStack(catalog), () -> {
      Page oldest = catalog.query(PROJECT, oldestFirst);
      assertEquals(expectedPage("late-", oldest.total() - BASE, oldestBase), ids(oldest), "total " + oldest.total());
      Page newest = catalog.query(PROJECT, Query.builder().limit(PAGE).build());
      assertEquals(newestBase, ids(newest));
      assertTrue(newest.total() >= BASE && newest.total() <= BASE + STACK, "total " + newest.total());
    });
    assertTrue(catalog.reorganisations(PROJECT) > 0, "the late backups made the catalog reorganise meanwhile");
  }

  /**
   * The writer pushes and pops late backups (older than every other: the tail) and makes the
   * catalog reorganise now and then; the reader's time windows (alone and with a state), pages after
   * a marker and pages at an offset, which meet the late backups in the tail or, after a
   * reorganisation, in the sorted rows, must each be the page of the total they came with.
   */
  @Test
  void timeWindowsMarkersAndOffsetsBesideLateBackupsAndReorganisationsAreEachOneState() throws Exception {
    IndexedCatalog catalog = new IndexedCatalog(CLOCK, StallRule.DEFAULT, 2);
    List<Backup> base = load(catalog, true);
    int windowEnd = 100;  // seconds: the window holds b0 to b99 and every late backup
    BackupPredicate window = Predicates.createdIn(TimeRange.of(created(-STACK - 1), true, created(windowEnd), false));
    BackupPredicate windowNotFailed = Predicates.and(window, Predicates.not(Predicates.status(BackupStatus.ERROR)));
    List<Backup> inWindow = base.subList(0, windowEnd);
    List<String> oldestInWindow = oldestFirst(inWindow, b -> true);
    List<String> oldestNotFailed = oldestFirst(inWindow, b -> b.status() != BackupStatus.ERROR);
    Sort oldest = Sort.by(SortKey.asc(SortField.CREATED_AT));
    int offset = 2;

    checkBeside(catalog, new LateStack(catalog), () -> {
      Page windowPage = catalog.query(PROJECT, Query.builder().where(window).sort(oldest).limit(PAGE).build());
      assertEquals(expectedPage("late-", windowPage.total() - windowEnd, oldestInWindow), ids(windowPage),
          "total " + windowPage.total());
      Page notFailed = catalog.query(PROJECT, Query.builder().where(windowNotFailed).sort(oldest).limit(PAGE).build());
      assertEquals(expectedPage("late-", notFailed.total() - oldestNotFailed.size(), oldestNotFailed), ids(notFailed),
          "total " + notFailed.total());
      long count = catalog.count(PROJECT, windowNotFailed);
      assertTrue(count >= oldestNotFailed.size() && count <= oldestNotFailed.size() + STACK, "count " + count);
      // newest first, after b2 and at the offset of b1: b1, b0, then the late backups, newest first
      Page afterMarker = catalog.query(PROJECT, Query.builder().marker("b2").limit(PAGE).build());
      assertEquals(lastOfNewestFirst(afterMarker.total() - BASE), ids(afterMarker), "total " + afterMarker.total());
      Page atOffset = catalog.query(PROJECT, Query.builder().offset(BASE - 2).limit(PAGE).build());
      assertEquals(lastOfNewestFirst(atOffset.total() - BASE), ids(atOffset), "total " + atOffset.total());
      // oldest first past the oldest two: into the late backups or past them
      Page oldestAtOffset = catalog.query(PROJECT, Query.builder().sort(oldest).offset(offset).limit(PAGE).build());
      List<String> walk = expectedPage("late-", oldestAtOffset.total() - BASE, oldestFirst(base, b -> true));
      List<String> longer = new ArrayList<>(walk);
      longer.addAll(oldestFirst(base, b -> true).subList(PAGE - (int) (oldestAtOffset.total() - BASE), PAGE + offset));
      assertEquals(longer.subList(offset, offset + PAGE), ids(oldestAtOffset), "total " + oldestAtOffset.total());
    });
    assertTrue(catalog.reorganisations(PROJECT) > 0, "the late backups made the catalog reorganise meanwhile");
  }

  /** Which reads go without the lock: those {@link WithoutLock} lets through, and no other. */
  @Test
  void readsOfStatesAndTimesInCreationOrderGoWithoutTheLock() {
    BackupPredicate week = Predicates.createdWithinLast(Duration.ofDays(7));
    BackupPredicate available = Predicates.status(BackupStatus.AVAILABLE);
    assertTrue(WithoutLock.suits(Query.all()));
    assertTrue(WithoutLock.suits(Query.builder().where(Predicates.and(week, available)).marker("b1").build()));
    assertTrue(WithoutLock.suits(Query.builder().where(Predicates.or(week, Predicates.not(available)))
        .sort(Sort.by(SortKey.asc(SortField.CREATED_AT))).offset(40).build()));
    assertTrue(WithoutLock.suits(Predicates.none()));
    assertFalse(WithoutLock.suits(Predicates.and(week, Predicates.nameContains("db"))));
    assertFalse(WithoutLock.suits(Predicates.or(available, Predicates.tag("env", "prod"))));
    assertFalse(WithoutLock.suits(Predicates.not(Predicates.stalled())));
    assertFalse(WithoutLock.suits(Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME))).build()));
    assertFalse(WithoutLock.suits(Query.builder()
        .sort(Sort.by(SortKey.desc(SortField.CREATED_AT), SortKey.asc(SortField.NAME))).build()));
    // the answers kept for reads that meet a change are also keyed by the instant where it matters
    assertTrue(WithoutLock.readsTheClock(week));
    assertTrue(WithoutLock.readsTheClock(Predicates.or(available, Predicates.not(week))));
    assertFalse(WithoutLock.readsTheClock(Predicates.and(available, Predicates.createdIn(TimeRange.between(NOW.minusSeconds(60), NOW)))));
    assertFalse(WithoutLock.readsTheClock(Predicates.all()));
  }

  /** Runs {@code write} in a loop on another thread while {@code check} runs in a loop here, then checks once more. */
  private static void checkBeside(IndexedCatalog catalog, Runnable write, Runnable check) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> writerFailed = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        while (!stop.get()) {
          write.run();
        }
      } catch (Throwable e) {
        writerFailed.set(e);
      }
    });
    writer.start();
    long checks = 0;
    try {
      long end = System.nanoTime() + READ_NANOS;
      while (System.nanoTime() < end && writer.isAlive()) {
        check.run();
        checks++;
      }
    } finally {
      stop.set(true);
      writer.join(30_000);
    }
    if (writerFailed.get() != null) {
      throw new AssertionError("the writer failed", writerFailed.get());
    }
    check.run();
    assertTrue(checks > 100, "checks " + checks);
    assertTrue(catalog.stats(PROJECT).backups() >= BASE);
  }

  /**
   * The first page with {@code pushed} backups {@code prefix}0 to {@code prefix}(pushed - 1) before the
   * base's in the page's order, the last pushed first ({@code base} in that order too).
   */
  private static List<String> expectedPage(String prefix, long pushed, List<String> base) {
    List<String> expected = new ArrayList<>();
    for (long i = pushed - 1; i >= 0 && expected.size() < PAGE; i--) {
      expected.add(prefix + i);
    }
    for (int i = 0; expected.size() < PAGE; i++) {
      expected.add(base.get(i));
    }
    return expected;
  }

  /** The end of the newest-first walk from b1: b1, b0, then {@code late} late backups, newest first. */
  private static List<String> lastOfNewestFirst(long late) {
    List<String> expected = new ArrayList<>(List.of("b1", "b0"));
    for (int i = 0; i < late && expected.size() < PAGE; i++) {
      expected.add("late-" + i);
    }
    return expected;
  }

  private static List<String> oldestFirst(List<Backup> backups, java.util.function.Predicate<Backup> which) {
    List<String> ids = newestFirst(backups, which);
    java.util.Collections.reverse(ids);
    return ids;
  }

  private static List<String> newestFirst(List<Backup> backups, java.util.function.Predicate<Backup> which) {
    return backups.stream().filter(which).sorted(Sort.DEFAULT.comparator()).map(Backup::id).collect(Collectors.toList());
  }

  private static List<String> ids(Page page) {
    return page.backups().stream().map(Backup::id).collect(Collectors.toList());
  }

  private static Instant created(long second) {
    return NOW.minusSeconds(10_000_000).plusSeconds(second);
  }

  /**
   * Adds {@value #BASE} backups {@code b0}, {@code b1}, ... created a second apart, every third one
   * failed if {@code everyThirdFailed} (else all available), and returns them.
   */
  private static List<Backup> load(BackupCatalog catalog, boolean everyThirdFailed) {
    List<Backup> base = new ArrayList<>();
    for (int i = 0; i < BASE; i++) {
      base.add(backup("b" + i, i, everyThirdFailed && i % 3 == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE));
    }
    catalog.addAll(base);
    return base;
  }

  private static Backup backup(String id, long second, BackupStatus status) {
    Instant created = created(second);
    Backup.Builder builder = Backup.builder().id(id).name("autobk_" + id).projectId(PROJECT)
        .server(Server.of("server-1", "ecs-1", "eu-de-01"))
        .status(status)
        .sizeMb(1024)
        .createdAt(created)
        .updatedAt(created);
    if (status == BackupStatus.ERROR) {
      builder.failure(Failure.of(JobType.BACKUP, "disk full", created));
    }
    return builder.build();
  }

  /**
   * A writer's step: pushes late backups ({@code late-0}, {@code late-1}, ..., each older than the
   * last and than every other: the tail) up to {@value #STACK}, then pops them, newest pushed first.
   */
  private static final class LateStack implements Runnable {
    private final BackupCatalog catalog;
    private int pushed;
    private boolean popping;

    LateStack(BackupCatalog catalog) {
      this.catalog = catalog;
    }

    @Override
    public void run() {
      if (!popping) {
        catalog.add(backup("late-" + pushed, -1 - pushed, BackupStatus.AVAILABLE));
        popping = ++pushed == STACK;
      } else {
        pushed--;
        catalog.remove(PROJECT, "late-" + pushed, 1);
        popping = pushed > 0;
      }
    }
  }
}
