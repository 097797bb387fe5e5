package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectView;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.testing.FakeClock;
import io.csbs.usage.Quota;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A new user's black-box review of what the in-memory catalog ({@code Catalogs.indexed}) promises
 * about concurrency and change delivery: README "Quick start" (the paragraphs after the version
 * rules) and the javadoc of BackupCatalog, ProjectView, Change, Subscription, ProjectSnapshot,
 * VersionConflictException, Query and Page. Own data, several projects, 2 to 8 threads, about a
 * second each. Every concurrent test has a timeout and joins its threads; invariants are checked on
 * every observation, and failures of other threads are collected and rethrown.
 */
class NewUserConcurrencyTest {
  static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final long RUN_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);

  // ---------------------------------------------------------------------------------------------
  // data and threads

  static final Server[] SERVERS = {
    Server.of("srv-a", "web-a", "eu-de-01"), Server.of("srv-b", "db-b", "eu-de-02"),
    Server.of("srv-c", "cache-c", "eu-de-01"), Server.of("srv-d", "batch-d", "eu-de-03")
  };

  static Backup available(String project, String id, Instant created, long size, Tag... tags) {
    return Backup.builder().id(id).name("n_" + id).projectId(project).server(SERVERS[Math.floorMod(id.hashCode(), SERVERS.length)])
        .status(BackupStatus.AVAILABLE).sizeMb(size).createdAt(created).addTags(tags).build();
  }

  static Backup creating(String project, String id, Instant created, long size) {
    return Backup.builder().id(id).name("c_" + id).projectId(project).server(SERVERS[Math.floorMod(id.hashCode(), SERVERS.length)])
        .status(BackupStatus.CREATING).progress(Progress.of(10, created)).sizeMb(size).createdAt(created).build();
  }

  /** A project of {@code n} available backups with distinct creation times, one a minute back from NOW. */
  static List<Backup> project(String project, int n) {
    List<Backup> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(available(project, project + "-b" + i, NOW.minusSeconds(60L * (i + 1)), 100 + i,
          Tag.of("env", i % 2 == 0 ? "prod" : "dev"), Tag.of("k" + (i % 5), "v" + (i % 3))));
    }
    return list;
  }

  interface Body {
    void run(int thread, AtomicBoolean stop) throws Exception;
  }

  /** Runs the bodies on their own threads until {@code nanos} pass (or one fails), joins them, rethrows the first failure. */
  static void runThreads(long nanos, Body... bodies) throws Exception {
    runThreads(nanos, nanos, () -> true, bodies);
  }

  /**
   * Runs the bodies on their own threads for {@code nanos}, then on until {@code done} holds, at
   * most {@code maxNanos} in all (or until one fails), joins them, rethrows the first failure.
   */
  static void runThreads(long nanos, long maxNanos, java.util.function.BooleanSupplier done, Body... bodies) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < bodies.length; i++) {
      int index = i;
      Thread t = new Thread(() -> {
        try {
          bodies[index].run(index, stop);
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
          stop.set(true);
        }
      }, "new-user-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    long start = System.nanoTime();
    while (!stop.get() && threads.stream().anyMatch(Thread::isAlive)) {
      long ran = System.nanoTime() - start;
      if (ran >= maxNanos || (ran >= nanos && done.getAsBoolean())) {
        break;
      }
      Thread.sleep(5);
    }
    stop.set(true);
    for (Thread t : threads) {
      t.join(10_000);
      if (t.isAlive()) {
        StringBuilder trace = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
          trace.append("\n  at ").append(e);
        }
        throw new AssertionError(t.getName() + " did not end (hang?)" + trace);
      }
    }
    if (failure.get() != null) {
      throw new AssertionError("a thread failed: " + failure.get(), failure.get());
    }
  }

  static Body[] bodies(int n, Body body) {
    Body[] all = new Body[n];
    java.util.Arrays.fill(all, body);
    return all;
  }

  /** One change of a random kind on a random backup of {@code project}, retried on conflicts; returns how many changes it committed. */
  static int randomChange(BackupCatalog catalog, String project, AtomicLong ids, Set<String> known, ThreadLocalRandom random) {
    int kind = random.nextInt(10);
    if (kind == 0 || known.isEmpty()) {
      String id = project + "-n" + ids.incrementAndGet();
      catalog.add(available(project, id, NOW.minusSeconds(random.nextInt(1_000_000)).minusNanos(ids.get()), 10 + random.nextInt(100),
          Tag.of("env", random.nextBoolean() ? "prod" : "dev")));
      known.add(id);
      return 1;
    }
    if (kind == 1) {
      List<Backup> two = List.of(
          available(project, project + "-n" + ids.incrementAndGet(), NOW.minusSeconds(random.nextInt(1_000_000)).minusNanos(ids.get()), 7),
          available(project, project + "-n" + ids.incrementAndGet(), NOW.minusSeconds(random.nextInt(1_000_000)).minusNanos(ids.get()), 8));
      catalog.addAll(two);
      two.forEach(b -> known.add(b.id()));
      return 2;
    }
    List<String> list = new ArrayList<>(known);
    String id = list.get(random.nextInt(list.size()));
    while (true) {
      Optional<Backup> found = catalog.find(project, id);
      if (found.isEmpty()) {
        known.remove(id);
        return 0;
      }
      Backup b = found.get();
      try {
        if (kind == 2) {
          catalog.remove(project, id, b.version());
          known.remove(id);
        } else if (kind <= 5) {
          String env = b.tags().stream().filter(t -> t.key().equals("env")).map(Tag::value).findFirst().orElse("none");
          catalog.updateTags(project, id, b.version(), TagUpdate.create(Tag.of("env", env.equals("prod") ? "dev" : "prod")));
        } else if (b.status() == BackupStatus.AVAILABLE) {
          catalog.apply(project, id, b.version(), Transition.restore());
        } else if (b.status() == BackupStatus.RESTORING) {
          int current = b.progress().map(Progress::percent).orElse(0);
          catalog.apply(project, id, b.version(), random.nextBoolean() || current >= 98 ? Transition.complete()
              : Transition.reportProgress(current + 1 + random.nextInt(98 - current)));
        } else {
          return 0;
        }
        return 1;
      } catch (VersionConflictException e) {
        // someone else changed it first: read again and retry
      } catch (BackupNotFoundException e) {
        known.remove(id);
        return 0;
      } catch (io.csbs.lifecycle.IllegalTransitionException e) {
        // the same progress again, or a progress below the current one: nothing changed
        return 0;
      }
    }
  }

  /** Every backup of the project, from one state, by pages of 1000 inside one read. */
  static List<Backup> allBackups(ProjectView view) {
    Query q = Query.builder().sort(Sort.by(SortKey.asc(SortField.ID))).limit(1000).build();
    List<Backup> all = new ArrayList<>();
    Page page = view.query(q);
    while (true) {
      all.addAll(page.backups());
      if (page.nextMarker().isEmpty()) {
        return all;
      }
      page = view.query(q.after(page.nextMarker().get()));
    }
  }

  /** What a replica must agree on: pages in several orders, counts, usage, tag catalogue, quotas, sequence. */
  static List<Object> state(BackupCatalog catalog, String project) {
    return catalog.read(project, view -> {
      List<Object> s = new ArrayList<>();
      s.add(allBackups(view));
      for (Sort sort : List.of(Sort.DEFAULT, Sort.by(SortKey.asc(SortField.NAME)), Sort.by(SortKey.desc(SortField.UPDATED_AT)))) {
        s.add(view.query(Query.builder().sort(sort).limit(50).build()));
        s.add(view.query(Query.builder().sort(sort).limit(17).offset(23).build()));
      }
      for (BackupStatus st : BackupStatus.values()) {
        s.add(view.count(Predicates.status(st)));
      }
      s.add(view.count(Predicates.tag("env", "prod")));
      s.add(view.query(Query.builder().where(Predicates.tag("env", "dev")).limit(30).build()));
      s.add(view.usage(UsageQuery.firstServers(100)));
      s.add(view.tagCatalogue());
      s.add(view.quotaUsage());
      s.add(view.sequence());
      s.add(view.count(Predicates.stalled()));
      return s;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // versions: no update is lost

  /**
   * VersionConflictException: "Thrown when a change names a version of a backup that is no longer
   * its current one: someone else changed it first. Nothing was changed; read the backup again and
   * retry." BackupCatalog (class): "each change is atomic and names the version it is based on, so
   * that no update is lost". Six threads run get+apply retry loops on the same four backups of two
   * projects: each backup's final version is 1 plus the changes that succeeded on it, and each
   * project's sequence its adds plus its successful changes.
   */
  @Test
  @Timeout(30)
  void getAndApplyRetryLoopsLoseNoUpdate() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2");
    Map<String, AtomicInteger> successes = new ConcurrentHashMap<>();
    AtomicInteger conflicts = new AtomicInteger();
    for (String p : projects) {
      for (int i = 0; i < 2; i++) {
        catalog.add(available(p, p + "-b" + i, NOW.minusSeconds(100 + i), 10));
        successes.put(p + "/" + p + "-b" + i, new AtomicInteger());
      }
    }
    runThreads(RUN_NANOS, bodies(6, (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String p = projects.get(random.nextInt(2));
        String id = p + "-b" + random.nextInt(2);
        while (true) {
          Backup b = catalog.get(p, id);
          try {
            Backup after;
            if (random.nextInt(4) == 0) {
              String env = b.tags().isEmpty() || b.tags().get(0).value().equals("a") ? "b" : "a";
              after = catalog.updateTags(p, id, b.version(), TagUpdate.create(Tag.of("env", env)));
            } else if (b.status() == BackupStatus.AVAILABLE) {
              after = catalog.apply(p, id, b.version(), Transition.restore()).orElseThrow();
            } else {
              after = catalog.apply(p, id, b.version(), Transition.complete()).orElseThrow();
            }
            assertEquals(b.version() + 1, after.version(), "the change's version follows the one it was based on");
            successes.get(p + "/" + id).incrementAndGet();
            break;
          } catch (VersionConflictException e) {
            assertEquals(id, e.backupId());
            assertEquals(b.version(), e.expectedVersion());
            assertTrue(e.currentVersion() > b.version(), "a conflict names a newer current version: " + e.getMessage());
            conflicts.incrementAndGet();
          }
        }
      }
    }));
    int changes = 0;
    for (String p : projects) {
      int inProject = 0;
      for (int i = 0; i < 2; i++) {
        int ok = successes.get(p + "/" + p + "-b" + i).get();
        assertEquals(1L + ok, catalog.get(p, p + "-b" + i).version(), p + "-b" + i);
        inProject += ok;
      }
      assertEquals(2L + inProject, catalog.sequence(p), p);
      changes += inProject;
    }
    assertTrue(changes > 100 && conflicts.get() > 0, "the threads raced: " + changes + " changes, " + conflicts + " conflicts");
  }

  // ---------------------------------------------------------------------------------------------
  // subscriptions

  /**
   * BackupCatalog#subscribe: "Delivers every change committed from now on to subscriber, in commit
   * order, never from two threads at once ... the changes of one project arrive numbered 1, 2, 3,
   * ... without gaps"; "The in-memory catalog delivers synchronously, each change once: after it is
   * committed (and visible to queries), on the thread of a writer". README: "on the writer's thread".
   * Four writers in three projects. Checked on every delivery: no other delivery in flight, the
   * thread is a writer inside one of its calls, the project's next sequence, the catalog's sequence
   * at least the change's; afterwards the changes folded in sequence order chain (each before is the
   * previous after) and end at the catalog's content, and their number is the sequence.
   */
  @Test
  @Timeout(30)
  void subscribersGetEachProjectsChangesInCommitOrderWithoutGapsOnTheWritersThread() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2", "p-3");
    for (String p : projects) {
      catalog.addAll(project(p, 20));
    }
    Map<String, Long> startSeq = new HashMap<>();
    projects.forEach(p -> startSeq.put(p, catalog.sequence(p)));
    ThreadLocal<Boolean> inWrite = ThreadLocal.withInitial(() -> false);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicReference<Throwable> subscriberFailure = new AtomicReference<>();
    Map<String, List<Change>> seen = new ConcurrentHashMap<>();
    Map<String, Long> last = new ConcurrentHashMap<>(startSeq);
    catalog.subscribe(change -> {
      try {
        assertEquals(1, inFlight.incrementAndGet(), "never from two threads at once");
        assertTrue(inWrite.get(), "delivered on a writer's thread, inside its call: " + Thread.currentThread().getName());
        long expected = last.get(change.projectId()) + 1;
        assertEquals(expected, change.sequence(), "the project's next sequence: " + change);
        last.put(change.projectId(), change.sequence());
        assertTrue(catalog.sequence(change.projectId()) >= change.sequence(), "committed before delivered: " + change);
        seen.computeIfAbsent(change.projectId(), k -> Collections.synchronizedList(new ArrayList<>())).add(change);
        inFlight.decrementAndGet();
      } catch (Throwable t) {
        subscriberFailure.compareAndSet(null, t);
        inFlight.decrementAndGet();
      }
    });
    Map<String, Set<String>> known = new ConcurrentHashMap<>();
    for (String p : projects) {
      known.put(p, ConcurrentHashMap.newKeySet());
      project(p, 20).forEach(b -> known.get(p).add(b.id()));
    }
    AtomicLong ids = new AtomicLong();
    Map<String, AtomicLong> committed = new ConcurrentHashMap<>();
    projects.forEach(p -> committed.put(p, new AtomicLong()));
    runThreads(RUN_NANOS, bodies(4, (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get() && subscriberFailure.get() == null) {
        String p = projects.get(random.nextInt(projects.size()));
        inWrite.set(true);
        try {
          committed.get(p).addAndGet(randomChange(catalog, p, ids, known.get(p), random));
        } finally {
          inWrite.set(false);
        }
      }
    }));
    if (subscriberFailure.get() != null) {
      throw new AssertionError(subscriberFailure.get());
    }
    for (String p : projects) {
      List<Change> changes = seen.getOrDefault(p, List.of());
      assertEquals(catalog.sequence(p), startSeq.get(p) + changes.size(), p + ": one delivery per committed change");
      assertEquals(committed.get(p).get(), changes.size(), p + ": the writers' committed changes");
      Map<String, Backup> model = new HashMap<>();
      project(p, 20).forEach(b -> model.put(b.id(), b));
      for (Change c : changes) {
        assertEquals(Optional.ofNullable(model.get(c.backupId())), c.before(), "commit order: " + c);
        if (c.after().isPresent()) {
          model.put(c.backupId(), c.after().get());
        } else {
          model.remove(c.backupId());
        }
      }
      List<Backup> actual = catalog.read(p, NewUserConcurrencyTest::allBackups);
      assertEquals(model.values().stream().sorted((a, b) -> a.id().compareTo(b.id())).collect(Collectors.toList()), actual, p);
    }
  }

  /**
   * BackupCatalog#sequence: "The sequence of the project's last committed change"; #subscribe: a
   * change is delivered "after it is committed (and visible to queries)". Readers in other threads
   * see each project's sequence never go down, and a subscriber finds every delivered change's
   * backup at a version at least the change's (or gone once removed).
   */
  @Test
  @Timeout(30)
  void sequenceNeverGoesBackAndADeliveredChangeIsVisible() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2");
    for (String p : projects) {
      catalog.addAll(project(p, 30));
    }
    AtomicReference<Throwable> subscriberFailure = new AtomicReference<>();
    Set<String> removed = ConcurrentHashMap.newKeySet();
    catalog.subscribe(change -> {
      try {
        Optional<Backup> now = catalog.find(change.projectId(), change.backupId());
        if (change.after().isPresent()) {
          // a later change may have removed it; never an older version
          now.ifPresent(b -> assertTrue(b.version() >= change.after().get().version(), "visible: " + change + ", found v" + b.version()));
        } else {
          removed.add(change.projectId() + "/" + change.backupId());
          assertTrue(now.isEmpty(), "removed and still found: " + change);
        }
      } catch (Throwable t) {
        subscriberFailure.compareAndSet(null, t);
      }
    });
    Map<String, Set<String>> known = new ConcurrentHashMap<>();
    for (String p : projects) {
      known.put(p, ConcurrentHashMap.newKeySet());
      project(p, 30).forEach(b -> known.get(p).add(b.id()));
    }
    AtomicLong ids = new AtomicLong();
    Body writer = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String p = projects.get(random.nextInt(projects.size()));
        randomChange(catalog, p, ids, known.get(p), random);
      }
    };
    Body reader = (thread, stop) -> {
      long[] lastSeen = new long[projects.size()];
      while (!stop.get()) {
        for (int i = 0; i < projects.size(); i++) {
          long s = catalog.sequence(projects.get(i));
          assertTrue(s >= lastSeen[i], projects.get(i) + ": sequence went back from " + lastSeen[i] + " to " + s);
          lastSeen[i] = s;
        }
      }
    };
    runThreads(RUN_NANOS, writer, writer, writer, reader, reader);
    if (subscriberFailure.get() != null) {
      throw new AssertionError(subscriberFailure.get());
    }
  }

  /**
   * BackupCatalog#subscribe: "A subscriber that throws is logged and keeps its subscription; the
   * catalog is unaffected." With four writers: no writer sees the exception, the throwing subscriber
   * is called for every change, a subscriber after it still gets every change, and the failure is
   * logged (System.Logger, whose default backend is java.util.logging).
   */
  @Test
  @Timeout(30)
  void aThrowingSubscriberIsLoggedKeepsItsSubscriptionAndWritersAreUnaffected() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2", "p-3");
    AtomicInteger thrown = new AtomicInteger();
    AtomicInteger after = new AtomicInteger();
    List<java.util.logging.LogRecord> logged = Collections.synchronizedList(new ArrayList<>());
    java.util.logging.Handler handler = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord record) {
        if (record.getThrown() != null && "subscriber failure".equals(record.getThrown().getMessage())) {
          logged.add(record);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    // the catalog's System.Logger (JUL by default); kept off the console while the test runs
    java.util.logging.Logger root = java.util.logging.Logger.getLogger("io.csbs.catalog.ChangeLog");
    root.setUseParentHandlers(false);
    root.addHandler(handler);
    try {
      catalog.subscribe(change -> {
        thrown.incrementAndGet();
        throw new IllegalStateException("subscriber failure");
      });
      catalog.subscribe(change -> after.incrementAndGet());
      Map<String, Set<String>> known = new ConcurrentHashMap<>();
      projects.forEach(p -> known.put(p, ConcurrentHashMap.newKeySet()));
      AtomicLong ids = new AtomicLong();
      runThreads(TimeUnit.MILLISECONDS.toNanos(500), bodies(4, (thread, stop) -> {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (!stop.get()) {
          String p = projects.get(random.nextInt(projects.size()));
          randomChange(catalog, p, ids, known.get(p), random);   // any exception fails the run
        }
      }));
    } finally {
      root.removeHandler(handler);
      root.setUseParentHandlers(true);
    }
    long total = projects.stream().mapToLong(catalog::sequence).sum();
    assertTrue(total > 50, "changes: " + total);
    assertEquals(total, thrown.get(), "the throwing subscriber keeps its subscription");
    assertEquals(total, after.get(), "the next subscriber gets every change");
    assertFalse(logged.isEmpty(), "the failure is logged");
  }

  /**
   * Subscription#cancel: "Stops the deliveries to this subscriber; changes being delivered may still
   * arrive." A change that reaches a cancelled subscriber must have been committed before cancel
   * returned: its sequence is at most the project's sequence read right after cancel.
   */
  @Test
  @Timeout(30)
  void cancelStopsDeliveriesOfChangesCommittedAfterIt() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2");
    Map<String, Set<String>> known = new ConcurrentHashMap<>();
    projects.forEach(p -> known.put(p, ConcurrentHashMap.newKeySet()));
    AtomicLong ids = new AtomicLong();
    List<Change> late = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean cancelled = new AtomicBoolean();
    Map<String, Long> atCancel = new ConcurrentHashMap<>();
    AtomicInteger before = new AtomicInteger();
    Subscription subscription = catalog.subscribe(change -> {
      if (cancelled.get()) {
        late.add(change);
      } else {
        before.incrementAndGet();
      }
    });
    Body writer = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String p = projects.get(random.nextInt(projects.size()));
        randomChange(catalog, p, ids, known.get(p), random);
      }
    };
    Body canceller = (thread, stop) -> {
      Thread.sleep(300);
      subscription.cancel();
      for (String p : projects) {
        atCancel.put(p, catalog.sequence(p));
      }
      cancelled.set(true);
    };
    runThreads(TimeUnit.MILLISECONDS.toNanos(700), writer, writer, writer, canceller);
    assertTrue(before.get() > 0);
    for (Change c : late) {
      assertTrue(c.sequence() <= atCancel.get(c.projectId()), "delivered after cancel: " + c + ", sequence at cancel " + atCancel);
    }
    assertTrue(projects.stream().mapToLong(p -> catalog.sequence(p) - atCancel.get(p)).sum() > 0, "writes went on after cancel");
  }

  /**
   * BackupCatalog#subscribe: "A subscriber may change the catalog; each subscriber still sees each
   * project's changes in sequence order. The in-memory catalog delivers a change made from inside a
   * delivery after the change being delivered has reached every subscriber, on the same thread".
   * Two subscribers each answer a change of one project with a change of the other while three
   * writers change both projects: no hang, no writer exception, each subscriber sees each project's
   * sequences in order without gaps, and every echo is made.
   */
  @Test
  @Timeout(30)
  void subscribersThatChangeOtherProjectsWhileWritersRunNeitherHangNorReorder() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    AtomicReference<Throwable> subscriberFailure = new AtomicReference<>();
    AtomicInteger echoes = new AtomicInteger();
    AtomicInteger triggers = new AtomicInteger();
    List<Map<String, Long>> lasts = List.of(new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    for (int s = 0; s < 2; s++) {
      String from = s == 0 ? "p-a" : "p-b";
      String to = s == 0 ? "p-b" : "p-a";
      Map<String, Long> last = lasts.get(s);
      catalog.subscribe(change -> {
        try {
          long expected = last.getOrDefault(change.projectId(), 0L) + 1;
          assertEquals(expected, change.sequence(), "in sequence order: " + change);
          last.put(change.projectId(), change.sequence());
          long seen = catalog.read(change.projectId(), view -> view.sequence());
          assertTrue(seen >= change.sequence(), "a read from the subscriber sees the change: " + seen + " < " + change);
          if (change.projectId().equals(from) && change.isAdded() && change.backupId().startsWith(from + "-t")) {
            catalog.add(available(to, to + "-echo-" + change.backupId(), NOW.minusSeconds(5), 1));
            echoes.incrementAndGet();
          }
        } catch (Throwable t) {
          subscriberFailure.compareAndSet(null, t);
        }
      });
    }
    AtomicLong ids = new AtomicLong();
    runThreads(RUN_NANOS, bodies(3, (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String p = random.nextBoolean() ? "p-a" : "p-b";
        if (random.nextBoolean()) {
          catalog.add(available(p, p + "-t" + ids.incrementAndGet(), NOW.minusSeconds(random.nextInt(100_000)), 1));
          triggers.incrementAndGet();
        } else {
          catalog.read(p, view -> view.count(Predicates.all()));
          catalog.add(available(p, p + "-x" + ids.incrementAndGet(), NOW.minusSeconds(random.nextInt(100_000)), 1));
        }
      }
    }));
    if (subscriberFailure.get() != null) {
      throw new AssertionError(subscriberFailure.get());
    }
    assertEquals(triggers.get(), echoes.get(), "each trigger answered once, by the subscriber of its project");
    for (Map<String, Long> last : lasts) {
      for (String p : List.of("p-a", "p-b")) {
        assertEquals(catalog.sequence(p), last.getOrDefault(p, 0L), p + ": every change seen");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // replicas

  /**
   * README: "A replica follows another catalog or a database with replay(change), starting from
   * load(ProjectSnapshot)"; ProjectSnapshot: "One project as it is at one change of its commit
   * order"; BackupCatalog#load "so that replay continues with change snapshot.sequence() + 1".
   * Snapshots taken mid-run inside {@code read} (view.sequence() and every backup) while four
   * writers change three projects; the replica loads them and replays every delivered change: equal
   * pages, counts, usage, tag catalogue, quotas and sequence.
   */
  @Test
  @Timeout(30)
  void aReplicaLoadedFromASnapshotTakenWhileWritersRunThenReplayedEqualsThePrimary() throws Exception {
    BackupCatalog primary = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2", "p-3");
    primary.setQuota("p-2", Quota.of(100_000, 1_000_000));
    for (String p : projects) {
      primary.addAll(project(p, 40));
    }
    List<Change> feed = Collections.synchronizedList(new ArrayList<>());
    primary.subscribe(feed::add);
    Map<String, Set<String>> known = new ConcurrentHashMap<>();
    for (String p : projects) {
      known.put(p, ConcurrentHashMap.newKeySet());
      project(p, 40).forEach(b -> known.get(p).add(b.id()));
    }
    AtomicLong ids = new AtomicLong();
    Map<String, ProjectSnapshot> snapshots = new ConcurrentHashMap<>();
    Body writer = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String p = projects.get(random.nextInt(projects.size()));
        randomChange(primary, p, ids, known.get(p), random);
      }
    };
    Body snapshotter = (thread, stop) -> {
      for (String p : projects) {
        Thread.sleep(150);
        snapshots.put(p, primary.read(p, view ->
            new ProjectSnapshot(p, view.sequence(), view.quotaUsage().quota(), allBackups(view))));
      }
    };
    runThreads(RUN_NANOS, writer, writer, writer, writer, snapshotter);
    BackupCatalog replica = Catalogs.indexed(CLOCK);
    for (String p : projects) {
      ProjectSnapshot s = snapshots.get(p);
      assertTrue(s.sequence() > 40 && s.sequence() < primary.sequence(p), "mid-run: " + s + ", primary at " + primary.sequence(p));
      replica.load(s);
    }
    List<Change> changes;
    synchronized (feed) {
      changes = new ArrayList<>(feed);
    }
    for (Change c : changes) {
      boolean installed = replica.replay(c);
      assertEquals(c.sequence() > snapshots.get(c.projectId()).sequence(), installed, c.toString());
    }
    for (String p : projects) {
      assertEquals(state(primary, p), state(replica, p), p);
    }
  }

  /**
   * BackupCatalog#replay's example, "primary.subscribe(replica::replay); // the replica follows the
   * primary, project by project", with four concurrent writers in three projects: every replay
   * succeeds (no gap, no conflict) and the replica ends equal to the primary.
   */
  @Test
  @Timeout(30)
  void aReplicaFollowingBySubscriptionUnderConcurrentWritersEqualsThePrimary() throws Exception {
    BackupCatalog primary = Catalogs.indexed(CLOCK);
    BackupCatalog replica = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2", "p-3");
    AtomicReference<Throwable> replayFailure = new AtomicReference<>();
    primary.subscribe(change -> {
      try {
        assertTrue(replica.replay(change), "installed: " + change);
      } catch (Throwable t) {
        replayFailure.compareAndSet(null, t);
      }
    });
    for (String p : projects) {
      primary.addAll(project(p, 40));
    }
    Map<String, Set<String>> known = new ConcurrentHashMap<>();
    for (String p : projects) {
      known.put(p, ConcurrentHashMap.newKeySet());
      project(p, 40).forEach(b -> known.get(p).add(b.id()));
    }
    AtomicLong ids = new AtomicLong();
    Body reader = (thread, stop) -> {
      while (!stop.get()) {
        for (String p : projects) {
          // the replica is readable while it follows; its own reads are consistent
          replica.read(p, view -> {
            assertEquals(view.count(Predicates.all()), view.query(Query.builder().limit(1).build()).total());
            return null;
          });
        }
      }
    };
    Body writer = writerOf(primary, projects, known, ids, replayFailure);
    runThreads(RUN_NANOS, writer, writer, writer, writer, reader);
    if (replayFailure.get() != null) {
      throw new AssertionError(replayFailure.get());
    }
    for (String p : projects) {
      assertEquals(state(primary, p), state(replica, p), p);
    }
  }

  static Body writerOf(BackupCatalog catalog, List<String> projects, Map<String, Set<String>> known, AtomicLong ids,
      AtomicReference<Throwable> failure) {
    return (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get() && failure.get() == null) {
        String p = projects.get(random.nextInt(projects.size()));
        randomChange(catalog, p, ids, known.get(p), random);
      }
    };
  }

  // ---------------------------------------------------------------------------------------------
  // one state

  /** Writers that only move backups between Available and Restoring (restore, then complete). */
  static Body mover(BackupCatalog catalog, List<String> projects, int perProject) {
    return (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String p = projects.get(random.nextInt(projects.size()));
        String id = p + "-b" + random.nextInt(perProject);
        Backup b = catalog.get(p, id);
        try {
          catalog.apply(p, id, b.version(), b.status() == BackupStatus.AVAILABLE ? Transition.restore() : Transition.complete());
        } catch (VersionConflictException e) {
          // another mover was first
        }
      }
    };
  }

  /**
   * BackupCatalog#read: "every call on the ProjectView it is given answers from the same backups at
   * the same instant ... with no change committed in between"; README: "A read does not see changes
   * committed while it runs (in the in-memory catalog, writers wait until read returns)";
   * ProjectView: "the counts of the states add up to the count of all"; ProjectView#sequence: "what
   * BackupCatalog.sequence returns for the project at that state". Three movers, two readers: inside
   * each read count(Available)+count(Restoring) is the project's size, the pages agree with the
   * counts, the sequence stays, the catalog's own answers inside the read equal the view's, and the
   * read's counts are those of the state after change #view.sequence() of the subscribers' log.
   */
  @Test
  @Timeout(30)
  void aReadAnswersFromOneStateWhileWritersMoveBackupsBetweenTwoStatuses() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    String p = "p-1";
    int n = 300;
    List<Change> log = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(log::add);
    catalog.addAll(project(p, n));
    catalog.addAll(project("p-2", 50));
    Map<Long, Long> availableAt = new ConcurrentHashMap<>();
    Body reader = (thread, stop) -> {
      BackupPredicate a = Predicates.status(BackupStatus.AVAILABLE);
      BackupPredicate r = Predicates.status(BackupStatus.RESTORING);
      int reads = 0;
      while (!stop.get()) {
        reads++;
        boolean slow = reads % 10 == 0;
        catalog.read(p, view -> {
          long seq = view.sequence();
          long countA = view.count(a);
          Page pageA = view.query(Query.builder().where(a).limit(1000).build());
          if (slow) {
            long until = System.nanoTime() + 300_000;   // writers wait until read returns
            while (System.nanoTime() < until) {
              Thread.onSpinWait();
            }
          }
          long countR = view.count(r);
          Page pageR = view.query(Query.builder().where(r).limit(1000).build());
          Page all = view.query(Query.builder().limit(1000).build());
          UsageReport usage = view.usage(UsageQuery.firstServers(100));
          assertEquals(n, countA + countR, "A + R at sequence " + seq);
          assertEquals(countA, pageA.total());
          assertEquals(countA, pageA.backups().size());
          assertEquals(countR, pageR.total());
          assertEquals(countR, pageR.backups().size());
          assertTrue(pageA.backups().stream().allMatch(b -> b.status() == BackupStatus.AVAILABLE), "page of Available");
          assertTrue(pageR.backups().stream().allMatch(b -> b.status() == BackupStatus.RESTORING), "page of Restoring");
          assertEquals(n, all.total());
          Set<String> union = new HashSet<>(pageA.ids());
          union.addAll(pageR.ids());
          assertEquals(new HashSet<>(all.ids()), union);
          assertEquals(n, usage.backups());
          assertEquals(n, usage.servers().stream().mapToLong(ServerUsage::backups).sum());
          assertEquals(all.backups().stream().mapToLong(Backup::sizeMb).sum(), usage.sizeMb());
          assertEquals(seq, view.sequence(), "the view's sequence stays");
          assertEquals(seq, catalog.sequence(p), "no change committed while read runs");
          assertEquals(countA, catalog.count(p, a), "the catalog inside the read answers from the same state");
          assertEquals(pageR, catalog.query(p, Query.builder().where(r).limit(1000).build()));
          availableAt.put(seq, countA);
          return null;
        });
      }
    };
    runThreads(RUN_NANOS, mover(catalog, List.of(p, "p-2"), 50), mover(catalog, List.of(p), n), mover(catalog, List.of(p), n),
        reader, reader);
    // the counts read at sequence s are those after the first s changes of the log
    List<Change> changes;
    synchronized (log) {
      changes = new ArrayList<>(log);
    }
    Map<String, BackupStatus> model = new HashMap<>();
    Map<Long, Long> expected = new HashMap<>();
    long availableNow = 0;
    for (Change c : changes) {
      if (!c.projectId().equals(p)) {
        continue;
      }
      BackupStatus was = model.put(c.backupId(), c.after().orElseThrow().status());
      availableNow += (c.after().get().status() == BackupStatus.AVAILABLE ? 1 : 0) - (was == BackupStatus.AVAILABLE ? 1 : 0);
      expected.put(c.sequence(), availableNow);
    }
    assertTrue(availableAt.size() > 5, "reads at " + availableAt.size() + " states");
    availableAt.forEach((seq, countA) -> assertEquals(expected.get(seq), countA, "Available read at sequence " + seq));
  }

  /**
   * BackupCatalog (class): "a query sees one consistent state, never half of a change"; README:
   * "each call sees one state". Single calls outside any read, beside three movers: a page of one
   * status holds only that status and its total is its size; the counts of an or of both statuses,
   * of all and of a time window hold the project's size; the usage holds every backup.
   */
  @Test
  @Timeout(30)
  void eachSingleCallSeesOneStateWhileWritersMoveBackups() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2");
    int n = 200;
    for (String p : projects) {
      catalog.addAll(project(p, n));
    }
    BackupPredicate a = Predicates.status(BackupStatus.AVAILABLE);
    BackupPredicate r = Predicates.status(BackupStatus.RESTORING);
    BackupPredicate window = Predicates.createdBetween(NOW.minusSeconds(60L * n + 1), NOW);
    Body reader = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String p = projects.get(random.nextInt(projects.size()));
        BackupStatus st = random.nextBoolean() ? BackupStatus.AVAILABLE : BackupStatus.RESTORING;
        Sort sort = random.nextBoolean() ? Sort.DEFAULT : Sort.by(SortKey.asc(SortField.NAME));
        Page page = catalog.query(p, Query.builder().where(Predicates.status(st)).sort(sort).limit(1000).build());
        assertEquals(page.total(), page.backups().size(), "total of one state: " + page.total() + " vs " + page.backups().size());
        assertTrue(page.backups().stream().allMatch(b -> b.status() == st), "only " + st);
        assertEquals(page.ids().size(), new HashSet<>(page.ids()).size(), "no backup twice");
        assertEquals(n, catalog.count(p, Predicates.or(a, r)));
        assertEquals(n, catalog.count(p, Predicates.and(window, Predicates.or(a, r))));
        assertEquals(n, catalog.count(p, Predicates.not(Predicates.status(BackupStatus.ERROR))));
        assertEquals(n, catalog.query(p, Query.builder().where(Predicates.or(a, r)).limit(7).offset(random.nextInt(n)).build()).total());
        Page tagged = catalog.query(p, Query.builder().where(Predicates.and(Predicates.tag("env", "prod"), Predicates.status(st)))
            .limit(1000).build());
        assertEquals(tagged.total(), tagged.backups().size(), "tag and state: total of one state");
        assertTrue(tagged.backups().stream().allMatch(b -> b.status() == st));
        UsageReport usage = catalog.usage(p, UsageQuery.firstServers(100));
        assertEquals(n, usage.backups());
      }
    };
    runThreads(RUN_NANOS, mover(catalog, projects, n), mover(catalog, projects, n), mover(catalog, projects, n), reader, reader);
  }

  /**
   * README: "Changes of a stored backup name the version they are based on" and "each call sees one
   * state"; BackupCatalog#queryAllProjects and #countAllProjects with writers in several projects.
   * Movers in four projects: the count of all and of both statuses is constant, a page of one status
   * holds only it with its total, and a walk of every project by marker (unique ids) meets every
   * backup once, in order.
   */
  @Test
  @Timeout(30)
  void allProjectsCallsSeeConsistentProjectsWhileWritersRunInSeveral() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2", "p-3", "p-4");
    int n = 100;
    for (String p : projects) {
      catalog.addAll(project(p, n));
    }
    int size = n * projects.size();
    BackupPredicate a = Predicates.status(BackupStatus.AVAILABLE);
    BackupPredicate r = Predicates.status(BackupStatus.RESTORING);
    Body reader = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        assertEquals(size, catalog.countAllProjects(Predicates.or(a, r)));
        assertEquals(size, catalog.countAllProjects(Predicates.all()));
        BackupStatus st = random.nextBoolean() ? BackupStatus.AVAILABLE : BackupStatus.RESTORING;
        Page page = catalog.queryAllProjects(Query.builder().where(Predicates.status(st)).limit(1000).build());
        assertEquals(page.total(), page.backups().size(), "all projects, one state");
        assertTrue(page.backups().stream().allMatch(b -> b.status() == st));
        Sort sort = random.nextBoolean() ? Sort.DEFAULT : Sort.by(SortKey.asc(SortField.NAME));
        Query walk = Query.builder().where(Predicates.or(a, r)).sort(sort).limit(1 + random.nextInt(60)).build();
        List<String> seen = new ArrayList<>();
        Page p = catalog.queryAllProjects(walk);
        while (true) {
          assertEquals(size, p.total());
          p.backups().forEach(b -> seen.add(b.projectId() + "/" + b.id()));
          if (p.nextMarker().isEmpty()) {
            break;
          }
          p = catalog.queryAllProjects(walk.after(p.nextMarker().get()));
        }
        assertEquals(size, seen.size(), "every backup once (" + sort + ")");
        assertEquals(size, new HashSet<>(seen).size(), "no backup twice");
      }
    };
    runThreads(RUN_NANOS, mover(catalog, projects, n), mover(catalog, projects, n), mover(catalog, projects, n), reader, reader);
  }

  /**
   * Query: "a marker (the id of the last backup of the previous page: the page continues after it in
   * the same order, even when backups were added or removed in between)"; Page#total: "how many
   * backups match the query's predicate in all". Writers add and remove Creating backups with
   * creation times between the Available ones (added late), and add new Available ones; walks of the
   * Available backups (and of not-Creating) by marker, newest first and by name, meet each original
   * backup exactly once, in strict order, with totals between the original count and what exists.
   */
  @Test
  @Timeout(30)
  void aPageByMarkerContinuesAfterTheMarkerWhileBackupsAreAddedAndRemoved() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    String p = "p-1";
    int n = 400;
    List<Backup> original = project(p, n);
    catalog.addAll(original);
    catalog.addAll(project("p-2", 30));
    Set<String> originalIds = original.stream().map(Backup::id).collect(Collectors.toSet());
    AtomicLong ids = new AtomicLong();
    AtomicInteger addedAvailable = new AtomicInteger();
    Body churn = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      List<Backup> mine = new ArrayList<>();
      while (!stop.get()) {
        if (mine.size() < 30 || random.nextBoolean()) {
          // between two originals' minutes, at a nanosecond no other backup has
          long id = ids.incrementAndGet();
          Instant created = NOW.minusSeconds(60L * (1 + random.nextInt(n + 1)) - 30).plusNanos(id);
          Backup b = creating(p, "c" + id, created, 5);
          catalog.add(b);
          mine.add(b);
        } else {
          Backup b = mine.remove(random.nextInt(mine.size()));
          catalog.remove(p, b.id(), b.version());
        }
        if (random.nextInt(20) == 0) {
          long id = ids.incrementAndGet();
          Instant created = NOW.minusSeconds(60L * (1 + random.nextInt(n + 1)) - 15).plusNanos(id);
          catalog.add(available(p, "a" + id, created, 5));
          addedAvailable.incrementAndGet();
        }
      }
    };
    Body walker = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int walks = 0;
      while (!stop.get()) {
        walks++;
        BackupPredicate where = random.nextBoolean() ? Predicates.status(BackupStatus.AVAILABLE)
            : Predicates.not(Predicates.status(BackupStatus.CREATING));
        boolean byName = random.nextInt(3) == 0;
        Sort sort = byName ? Sort.by(SortKey.asc(SortField.NAME)) : Sort.DEFAULT;
        Query first = Query.builder().where(where).sort(sort).limit(1 + random.nextInt(40)).build();
        int addedBefore = addedAvailable.get();
        List<Backup> walked = new ArrayList<>();
        Page page = catalog.query(p, first);
        while (true) {
          int addedNow = addedAvailable.get();
          assertTrue(page.total() >= n + addedBefore && page.total() <= n + addedNow + 2,   // each of the two churners may have added one it has not counted yet
              "total " + page.total() + " of " + where + ": between " + (n + addedBefore) + " and " + (n + addedNow + 2));
          assertTrue(page.backups().stream().allMatch(b -> b.status() == BackupStatus.AVAILABLE), "only Available");
          if (!walked.isEmpty() && !page.backups().isEmpty()) {
            Backup marker = walked.get(walked.size() - 1);
            Backup next = page.backups().get(0);
            boolean after = byName ? next.name().compareTo(marker.name()) > 0 : next.createdAt().isBefore(marker.createdAt());
            assertTrue(after, "page after marker " + marker.id() + " starts with " + next.id() + " (" + sort + ")");
          }
          walked.addAll(page.backups());
          if (page.nextMarker().isEmpty()) {
            break;
          }
          page = catalog.query(p, first.after(page.nextMarker().get()));
        }
        for (int i = 1; i < walked.size(); i++) {
          Backup x = walked.get(i - 1);
          Backup y = walked.get(i);
          assertTrue(byName ? x.name().compareTo(y.name()) < 0 : x.createdAt().isAfter(y.createdAt()), "strict order at " + i);
        }
        Set<String> walkedIds = walked.stream().map(Backup::id).collect(Collectors.toSet());
        assertEquals(walked.size(), walkedIds.size(), "no backup twice");
        assertTrue(walkedIds.containsAll(originalIds), "every original backup met; missing "
            + originalIds.stream().filter(id -> !walkedIds.contains(id)).limit(5).collect(Collectors.toList()));
      }
      assertTrue(walks > 3);
    };
    runThreads(RUN_NANOS, churn, churn, walker, walker);
  }

  // ---------------------------------------------------------------------------------------------
  // refusals inside read

  /**
   * BackupCatalog#read: "Inside reads the calling thread may read the same project (through the view
   * or the catalog) but not change any project, nor read another project: either could deadlock
   * against other threads, so the catalog refuses both with an IllegalStateException." The kinds of
   * change and of other-project read the other reviews did not try: apply, updateTags, addAll,
   * replay, load, a change of another project, a nested read of another project, and the
   * all-projects view (which reads other projects). Each refused; nothing changed.
   */
  @Test
  @Timeout(30)
  void aReadRefusesEveryKindOfChangeAndEveryReadOfAnotherProject() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.addAll(project("p-1", 5));
    catalog.addAll(project("p-2", 5));
    Backup b = catalog.get("p-1", "p-1-b0");
    Backup other = catalog.get("p-2", "p-2-b0");
    List<Object> before1 = state(catalog, "p-1");
    List<Object> before2 = state(catalog, "p-2");
    Change change = new Change(6, "p-1", b.id(), Optional.of(b), Optional.of(Transition.restore().applyTo(b, NOW).orElseThrow()),
        Optional.of(Transition.restore()));
    Map<String, org.junit.jupiter.api.function.Executable> refused = new java.util.LinkedHashMap<>();
    refused.put("apply", () -> catalog.apply("p-1", b.id(), b.version(), Transition.restore()));
    refused.put("updateTags", () -> catalog.updateTags("p-1", b.id(), b.version(), TagUpdate.create(Tag.of("x", "y"))));
    refused.put("addAll", () -> catalog.addAll(List.of(available("p-1", "new", NOW, 1))));
    refused.put("replay", () -> catalog.replay(change));
    refused.put("load", () -> catalog.load(new ProjectSnapshot("p-3", 0, Quota.NONE, List.of(available("p-3", "x", NOW, 1)))));
    refused.put("apply of another project", () -> catalog.apply("p-2", other.id(), other.version(), Transition.restore()));
    refused.put("read of another project", () -> catalog.read("p-2", view -> view.count(Predicates.all())));
    refused.put("count of another project", () -> catalog.count("p-2", Predicates.all()));
    refused.put("countAllProjects", () -> catalog.countAllProjects(Predicates.all()));
    refused.put("queryAllProjects", () -> catalog.queryAllProjects(Query.all()));
    List<String> notRefused = catalog.read("p-1", view -> {
      List<String> names = new ArrayList<>();
      refused.forEach((name, call) -> {
        try {
          call.execute();
          names.add(name);
        } catch (IllegalStateException e) {
          // refused as documented
        } catch (Throwable t) {
          names.add(name + " threw " + t);
        }
      });
      // the same project may be read
      assertEquals(view.count(Predicates.all()), catalog.count("p-1", Predicates.all()));
      assertEquals(5L, (long) catalog.read("p-1", inner -> inner.count(Predicates.all())));
      return names;
    });
    assertEquals(before1, state(catalog, "p-1"));
    assertEquals(before2, state(catalog, "p-2"));
    assertEquals(0, catalog.sequence("p-3"));
    assertEquals(List.of(), notRefused, "not refused inside read");
  }

  // ---------------------------------------------------------------------------------------------
  // more: read your writes on every index, one state across indexes, races on one version

  /**
   * README: "each call sees one state" and the Benchmarks note that a change "updates the indexes
   * that only some searches read (running jobs, tags, names) right after it lets go of the lock, and
   * only those searches wait for that"; #subscribe: committed means "visible to queries". Each of
   * four writers owns backups of one shared project (its own time range, server, name prefix and
   * owner tag) and, after every change it made returns, asks the catalog about its own backups by
   * state and time (the lock-free path), tag, name, server, stalled jobs and usage: every answer
   * must include its own last change, whatever the other writers do meanwhile.
   */
  @Test
  @Timeout(30)
  void aWriterSeesItsOwnChangeInEveryIndexAsSoonAsTheCallReturns() throws Exception {
    ownWrites(Catalogs.indexed(CLOCK), 4, 25);
  }

  /**
   * The same promise as {@link #aWriterSeesItsOwnChangeInEveryIndexAsSoonAsTheCallReturns}, in a
   * project that reorganises meanwhile (ProjectStats: "the readers keep reading the previous state
   * until the new one is swapped in"; one "becomes due when the late or removed backups pass a
   * fraction of the project's"): 3,000 backups loaded in order, writers that remove and add late
   * backups, and a mover keeping the loaded backups between Available and Restoring while a reader
   * checks their sum on every call. At least one reorganisation must complete during the run.
   */
  @Test
  @Timeout(30)
  void aWriterSeesItsOwnChangeWhileTheProjectReorganises() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    int n = 3000;
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      load.add(available("p-1", "p-1-b" + i, NOW.minus(Duration.ofDays(100)).minusSeconds(60L * i), 10));
    }
    catalog.addAll(load);
    long before = catalog.stats("p-1").reorganisations();
    BackupPredicate loaded = Predicates.createdBetween(NOW.minus(Duration.ofDays(200)), NOW.minus(Duration.ofDays(99)));
    Body mover = mover(catalog, List.of("p-1"), n);
    Body checker = (thread, stop) -> {
      while (!stop.get()) {
        assertEquals(n, catalog.count("p-1", Predicates.and(loaded, Predicates.status(BackupStatus.AVAILABLE, BackupStatus.RESTORING))));
        Page page = catalog.query("p-1", Query.builder().where(Predicates.and(loaded, Predicates.status(BackupStatus.RESTORING))).limit(1000).build());
        assertTrue(page.backups().stream().allMatch(b -> b.status() == BackupStatus.RESTORING));
        assertEquals(Math.min(1000, page.total()), page.backups().size());
      }
    };
    // on for up to 20 s until a reorganisation has completed beside the writers: how soon one comes
    // depends on how many changes and reads the machine makes in a second
    ownWrites(catalog, 3, 60, () -> catalog.stats("p-1").reorganisations() > before, mover, checker);
    assertTrue(catalog.stats("p-1").reorganisations() > before, "a reorganisation ran: " + catalog.stats("p-1"));
  }

  static void ownWrites(BackupCatalog catalog, int writers, int each, Body... others) throws Exception {
    ownWrites(catalog, writers, each, () -> true, others);
  }

  /** {@link #ownWrites(BackupCatalog, int, int, Body...)}, run on past its second until {@code done} (20 s at most). */
  static void ownWrites(BackupCatalog catalog, int writers, int each, java.util.function.BooleanSupplier done, Body... others)
      throws Exception {
    String p = "p-1";
    io.csbs.lifecycle.StallRule rule = io.csbs.lifecycle.StallRule.DEFAULT;
    Body[] all = new Body[writers + others.length];
    System.arraycopy(others, 0, all, writers, others.length);
    java.util.Arrays.fill(all, 0, writers, (Body) (t, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      Instant top = NOW.minus(Duration.ofDays(10L * t));
      TimeRangeOf range = new TimeRangeOf(top.minus(Duration.ofDays(9)), top);
      Server server = Server.of("own-srv-" + t, "own-server-" + t, "eu-de-0" + (1 + t % 3));
      String prefix = "own" + t + "x";
      Tag owner = Tag.of("owner", "t" + t);
      Map<String, Backup> mine = new HashMap<>();
      long[] gen = {0};
      java.util.function.Supplier<Backup> fresh = () -> {
        long g = ++gen[0];
        Instant created = top.minusSeconds(1 + random.nextInt(8 * 86_400)).minusNanos(g);
        Backup.Builder b = Backup.builder().id("t" + t + "-" + g).name(prefix + g).projectId(p).server(server)
            .sizeMb(1 + random.nextInt(1000)).createdAt(created).addTags(owner, Tag.of("env", random.nextBoolean() ? "prod" : "dev"));
        if (random.nextBoolean()) {
          b.status(BackupStatus.CREATING).progress(Progress.of(random.nextInt(50), created));   // stalled long ago
        } else {
          b.status(BackupStatus.AVAILABLE);
        }
        return b.build();
      };
      for (int i = 0; i < each; i++) {
        Backup b = fresh.get();
        catalog.add(b);
        mine.put(b.id(), b);
      }
      BackupPredicate inRange = Predicates.createdBetween(range.from, range.to);
      BackupPredicate own = Predicates.tag("owner", "t" + t);
      int steps = 0;
      while (!stop.get()) {
        steps++;
        List<String> ids = new ArrayList<>(mine.keySet());
        Backup b = mine.get(ids.get(random.nextInt(ids.size())));
        int op = random.nextInt(4);
        String what;
        if (op == 0) {
          catalog.remove(p, b.id(), b.version());
          mine.remove(b.id());
          Backup n = fresh.get();
          catalog.add(n);
          mine.put(n.id(), n);
          what = "remove " + b.id() + ", add " + n.id();
        } else if (op == 1) {
          String env = b.tags().stream().filter(x -> x.key().equals("env")).map(Tag::value).findFirst().orElseThrow();
          Backup n = catalog.updateTags(p, b.id(), b.version(), TagUpdate.create(Tag.of("env", env.equals("prod") ? "dev" : "prod")));
          mine.put(n.id(), n);
          what = "tags of " + b.id();
        } else {
          Transition tr;
          if (b.status() == BackupStatus.AVAILABLE) {
            tr = Transition.restore();
          } else if (random.nextBoolean() && b.progress().orElseThrow().percent() < 95) {
            tr = Transition.reportProgress(b.progress().orElseThrow().percent() + 1);
          } else {
            tr = Transition.complete();
          }
          Backup n = catalog.apply(p, b.id(), b.version(), tr).orElseThrow();
          mine.put(n.id(), n);
          what = tr + " of " + b.id();
        }
        String at = "thread " + t + " step " + steps + " after " + what + ": ";
        List<Backup> model = new ArrayList<>(mine.values());
        for (BackupStatus st : List.of(BackupStatus.AVAILABLE, BackupStatus.RESTORING, BackupStatus.CREATING)) {
          long expected = model.stream().filter(x -> x.status() == st).count();
          assertEquals(expected, catalog.count(p, Predicates.and(inRange, Predicates.status(st))), at + "count of " + st + " in my time range");
        }
        List<String> restoring = model.stream().filter(x -> x.status() == BackupStatus.RESTORING)
            .sorted((x, y) -> y.createdAt().compareTo(x.createdAt())).map(Backup::id).collect(Collectors.toList());
        Page page = catalog.query(p, Query.builder().where(Predicates.and(inRange, Predicates.status(BackupStatus.RESTORING))).limit(1000).build());
        assertEquals(restoring, page.ids(), at + "page of Restoring in my time range");
        assertEquals(model.stream().filter(x -> x.tags().contains(Tag.of("env", "prod"))).count(),
            catalog.count(p, Predicates.and(own, Predicates.tag("env", "prod"))), at + "my env=prod");
        assertEquals(model.size(), catalog.count(p, Predicates.nameContains(prefix)), at + "my names");
        assertEquals(model.stream().filter(x -> x.status() == BackupStatus.RESTORING).count(),
            catalog.count(p, Predicates.and(Predicates.serverId(server.id()), Predicates.status(BackupStatus.RESTORING))), at + "my server, Restoring");
        assertEquals(model.stream().filter(x -> rule.isStalled(x, NOW)).count(),
            catalog.count(p, Predicates.and(own, Predicates.stalled())), at + "my stalled jobs");
        UsageReport usage = catalog.usage(p, UsageQuery.of(Predicates.serverId(server.id()), 0, 10));
        assertEquals(model.size(), usage.backups(), at + "my usage, backups");
        assertEquals(model.stream().mapToLong(Backup::sizeMb).sum(), usage.sizeMb(), at + "my usage, size");
        Backup last = mine.get(ids.get(0));
        if (last != null) {
          assertEquals(Optional.of(last), catalog.find(p, last.id()), at + "find");
        }
      }
    });
    runThreads(RUN_NANOS, TimeUnit.SECONDS.toNanos(20), done, all);
  }

  record TimeRangeOf(Instant from, Instant to) {}

  /**
   * ProjectView: "every call answers from the same backups at the same instant, so that what the
   * calls return agrees"; #sequence: "the state after that change". Writers make every kind of
   * change (adds, batches, removals, transitions, tag updates) in two projects; inside each read the
   * counts by state, tag, tag key, name, server and stalled, the usage, quota use and tag catalogue
   * all agree with the view's own list of every backup, and that list is the fold of the
   * subscribers' log up to view.sequence().
   */
  @Test
  @Timeout(30)
  void aReadAgreesAcrossEveryIndexAndIsTheStateAfterItsSequence() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2");
    String p = "p-1";
    List<Change> log = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(log::add);
    for (String q : projects) {
      catalog.addAll(project(q, 60));
    }
    Map<String, Set<String>> known = new ConcurrentHashMap<>();
    for (String q : projects) {
      known.put(q, ConcurrentHashMap.newKeySet());
      project(q, 60).forEach(b -> known.get(q).add(b.id()));
    }
    AtomicLong ids = new AtomicLong();
    Map<Long, List<Backup>> states = new ConcurrentHashMap<>();
    io.csbs.lifecycle.StallRule rule = io.csbs.lifecycle.StallRule.DEFAULT;
    Body writer = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String q = random.nextInt(4) == 0 ? "p-2" : p;
        randomChange(catalog, q, ids, known.get(q), random);
      }
    };
    Body reader = (thread, stop) -> {
      while (!stop.get()) {
        catalog.read(p, view -> {
          long seq = view.sequence();
          List<Backup> all = allBackups(view);
          for (BackupStatus st : BackupStatus.values()) {
            assertEquals(all.stream().filter(b -> b.status() == st).count(), view.count(Predicates.status(st)), st + " at " + seq);
          }
          assertEquals(all.stream().filter(b -> b.tags().contains(Tag.of("env", "prod"))).count(),
              view.count(Predicates.tag("env", "prod")), "env=prod at " + seq);
          assertEquals(all.stream().filter(b -> b.tags().stream().anyMatch(x -> x.key().equals("k0"))).count(),
              view.count(Predicates.tagKey("k0")), "k0 at " + seq);
          assertEquals(all.stream().filter(b -> b.name().contains("-n1")).count(), view.count(Predicates.nameContains("-n1")), "name at " + seq);
          assertEquals(all.stream().filter(b -> b.server().id().equals("srv-a")).count(),
              view.count(Predicates.serverId("srv-a")), "server at " + seq);
          assertEquals(all.stream().filter(b -> rule.isStalled(b, NOW)).count(), view.count(Predicates.stalled()), "stalled at " + seq);
          Page restoring = view.query(Query.builder().where(Predicates.status(BackupStatus.RESTORING)).limit(1000).build());
          assertEquals(all.stream().filter(b -> b.status() == BackupStatus.RESTORING)
              .sorted((x, y) -> y.createdAt().compareTo(x.createdAt())).map(Backup::id).collect(Collectors.toList()), restoring.ids());
          UsageReport usage = view.usage(UsageQuery.firstServers(100));
          assertEquals(all.size(), usage.backups());
          assertEquals(all.stream().mapToLong(Backup::sizeMb).sum(), usage.sizeMb(), "usage at " + seq);
          assertEquals(all.size(), view.quotaUsage().backupsUsed());
          assertEquals(all.stream().mapToLong(Backup::sizeMb).sum(), view.quotaUsage().sizeMbUsed());
          Map<String, Set<String>> catalogue = new java.util.TreeMap<>();
          all.forEach(b -> b.tags().forEach(x -> catalogue.computeIfAbsent(x.key(), k -> new java.util.TreeSet<>()).add(x.value())));
          assertEquals(catalogue.keySet(), new java.util.TreeSet<>(view.tagCatalogue().keys()), "tag keys at " + seq);
          assertEquals(seq, view.sequence());
          if (states.size() < 200) {
            states.put(seq, all);
          }
          return null;
        });
      }
    };
    // readers holding the project's read lock can keep the writers out for most of a second on a
    // loaded machine: run again (up to 5 s in all) until the reads have met a few states
    for (int round = 0; round < 5 && states.size() <= 5; round++) {
      runThreads(RUN_NANOS, writer, writer, writer, reader, reader);
    }
    List<Change> changes;
    synchronized (log) {
      changes = new ArrayList<>(log);
    }
    Map<String, Backup> model = new java.util.TreeMap<>();
    Map<Long, List<Backup>> expected = new HashMap<>();
    for (Change c : changes) {
      if (!c.projectId().equals(p)) {
        continue;
      }
      if (c.after().isPresent()) {
        model.put(c.backupId(), c.after().get());
      } else {
        model.remove(c.backupId());
      }
      if (states.containsKey(c.sequence())) {
        expected.put(c.sequence(), new ArrayList<>(model.values()));
      }
    }
    assertTrue(states.size() > 5, "reads at " + states.size() + " states");
    states.forEach((seq, all) -> assertEquals(expected.get(seq), all, "the state read at sequence " + seq));
  }

  /**
   * BackupCatalog#apply, #updateTags, #remove: "@throws VersionConflictException if the backup's
   * version is not expectedVersion"; the class: "A change is checked in this order: the backup
   * exists in the project, its version is the expected one (a VersionConflictException comes before
   * any lifecycle refusal)". Eight threads released together each change the same backup based on
   * the same version (restore, delete, a tag update or a removal): exactly one wins; every other
   * gets VersionConflictException, or BackupNotFoundException when the winner removed it.
   */
  @Test
  @Timeout(30)
  void ofChangesBasedOnTheSameVersionExactlyOneWins() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    int threads = 8;
    int rounds = 150;
    java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(threads);
    AtomicInteger[] wins = new AtomicInteger[rounds];
    AtomicInteger[] removedWins = new AtomicInteger[rounds];
    for (int r = 0; r < rounds; r++) {
      wins[r] = new AtomicInteger();
      removedWins[r] = new AtomicInteger();
      catalog.add(available("p-" + (r % 3), "race-" + r, NOW.minusSeconds(r + 1), 1));
    }
    List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
    runThreads(TimeUnit.SECONDS.toNanos(20), bodies(threads, (t, stop) -> {
      for (int r = 0; r < rounds; r++) {
        String p = "p-" + (r % 3);
        String id = "race-" + r;
        barrier.await(10, TimeUnit.SECONDS);
        int kind = (t + r) % 4;
        try {
          switch (kind) {
            case 0 -> catalog.apply(p, id, 1, Transition.restore());
            case 1 -> catalog.apply(p, id, 1, Transition.delete());
            case 2 -> catalog.updateTags(p, id, 1, TagUpdate.create(Tag.of("by", "t" + t)));
            default -> {
              catalog.remove(p, id, 1);
              removedWins[r].incrementAndGet();
            }
          }
          wins[r].incrementAndGet();
        } catch (VersionConflictException e) {
          if (e.currentVersion() != 2) {
            unexpected.add("round " + r + ": " + e.getMessage());
          }
        } catch (BackupNotFoundException e) {
          // the winner removed it
        } catch (RuntimeException e) {
          unexpected.add("round " + r + " kind " + kind + ": " + e);
        }
      }
    }));
    assertEquals(List.of(), unexpected);
    for (int r = 0; r < rounds; r++) {
      assertEquals(1, wins[r].get(), "round " + r + ": one winner");
      String p = "p-" + (r % 3);
      Optional<Backup> b = catalog.find(p, "race-" + r);
      assertEquals(removedWins[r].get() == 0, b.isPresent(), "round " + r);
      b.ifPresent(x -> assertEquals(2, x.version(), "one change"));
    }
    long total = 0;
    for (int q = 0; q < 3; q++) {
      total += catalog.sequence("p-" + q);
    }
    assertEquals(2L * rounds, total, "one add and one change a round");
  }

  /**
   * ProjectView: "A view works only on the thread that called read, and only until read returns;
   * otherwise its methods throw IllegalStateException."
   */
  @Test
  @Timeout(30)
  void aViewUsedFromAnotherThreadDuringItsReadThrows() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.addAll(project("p-1", 10));
    List<String> outcomes = catalog.read("p-1", view -> {
      List<String> out = Collections.synchronizedList(new ArrayList<>());
      List<Runnable> calls = List.of(
          () -> view.count(Predicates.all()), () -> view.query(Query.all()), () -> view.find("p-1-b0"),
          () -> view.tagCatalogue(), () -> view.usage(UsageQuery.firstServers(10)), () -> view.quotaUsage(), () -> view.sequence());
      Thread other = new Thread(() -> {
        for (Runnable call : calls) {
          try {
            call.run();
            out.add("answered");
          } catch (IllegalStateException e) {
            out.add("refused");
          } catch (Throwable e) {
            out.add("threw " + e);
          }
        }
      });
      other.start();
      try {
        other.join(5000);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      if (other.isAlive()) {
        other.interrupt();
        out.add("hung");
      }
      return new ArrayList<>(out);
    });
    assertEquals(java.util.Collections.nCopies(7, "refused"), outcomes);
  }

  /**
   * BackupCatalog#addAll: "Adds backups, all or none"; the class: "a query sees one consistent
   * state, never half of a change". Writers add batches of four backups to one project (addAll);
   * single counts and reads from other threads must never see part of a batch.
   */
  @Test
  @Timeout(30)
  void noReaderSeesPartOfABatchAdd() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    String p = "p-1";
    AtomicLong ids = new AtomicLong();
    Body adder = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        List<Backup> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          long id = ids.incrementAndGet();
          batch.add(available(p, "b" + id, NOW.minusSeconds(random.nextInt(1_000_000)).minusNanos(id), 1));
        }
        catalog.addAll(batch);
      }
    };
    Body reader = (thread, stop) -> {
      while (!stop.get()) {
        long c = catalog.count(p, Predicates.all());
        assertEquals(0, c % 4, "count " + c + ": part of a batch");
        long s = catalog.sequence(p);
        assertEquals(0, s % 4, "sequence " + s + ": part of a batch");
        long[] inRead = catalog.read(p, view -> new long[] {view.count(Predicates.status(BackupStatus.AVAILABLE)), view.sequence()});
        assertEquals(0, inRead[0] % 4, "read count " + inRead[0] + ": part of a batch");
        assertEquals(inRead[0], inRead[1], "one change per backup");
      }
    };
    runThreads(TimeUnit.MILLISECONDS.toNanos(700), adder, adder, reader, reader);
  }

  /**
   * BackupCatalog#read: refusing other projects inside read exists because such reads "could
   * deadlock against other threads"; #addAll of several projects is "Checked project by project in
   * project id order". Six threads mix batches spanning three projects (given in varying orders),
   * single changes, reads, all-projects pages and counts: nothing hangs, and every batch is whole in
   * the end.
   */
  @Test
  @Timeout(30)
  void batchesOverSeveralProjectsBesideReadsAndAllProjectsCallsDoNotDeadlock() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-a", "p-b", "p-c");
    AtomicLong ids = new AtomicLong();
    AtomicLong batches = new AtomicLong();
    Body batcher = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        List<String> order = new ArrayList<>(projects);
        Collections.shuffle(order, random);
        List<Backup> batch = new ArrayList<>();
        for (String q : order) {
          long id = ids.incrementAndGet();
          batch.add(available(q, "m" + id, NOW.minusSeconds(random.nextInt(1_000_000)).minusNanos(id), 1));
        }
        catalog.addAll(batch);
        batches.incrementAndGet();
      }
    };
    Body reader = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String q = projects.get(random.nextInt(3));
        catalog.read(q, view -> view.query(Query.builder().limit(5).build()));
        Page page = catalog.queryAllProjects(Query.builder().where(Predicates.status(BackupStatus.AVAILABLE)).limit(10).build());
        assertTrue(page.total() >= page.backups().size());
        catalog.countAllProjects(Predicates.nameContains("m1"));
      }
    };
    Body changer = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String q = projects.get(random.nextInt(3));
        Page page = catalog.query(q, Query.builder().limit(1).offset(random.nextInt(20)).build());
        if (page.backups().isEmpty()) {
          continue;
        }
        Backup b = page.backups().get(0);
        try {
          catalog.updateTags(q, b.id(), b.version(), TagUpdate.create(Tag.of("seen", "t" + thread)));
        } catch (VersionConflictException | BackupNotFoundException e) {
          // another changer was first
        }
      }
    };
    runThreads(TimeUnit.MILLISECONDS.toNanos(800), batcher, batcher, reader, reader, changer, changer);
    for (String q : projects) {
      assertEquals(batches.get(), catalog.count(q, Predicates.all()), q + ": every batch whole");
    }
  }

  /**
   * BackupCatalog#read: "Inside reads the calling thread may read the same project (through the view
   * or the catalog)", while "changes to the project wait until reads returns" and "a read of the
   * project that another thread begins while a change waits lets the change go first". A reader
   * holds a read long enough for writers to queue, then reads the same project again through the
   * catalog by every kind of search (tags, names, usage, find, a nested read): it must answer, not
   * wait behind the writers that wait for it.
   */
  @Test
  @Timeout(30)
  void readingTheSameProjectAgainInsideReadWhileWritersWaitDoesNotHang() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    String p = "p-1";
    int n = 200;
    catalog.addAll(project(p, n));
    Body reader = (thread, stop) -> {
      while (!stop.get()) {
        catalog.read(p, view -> {
          long seq = view.sequence();
          long until = System.nanoTime() + 2_000_000;   // 2 ms: the writers queue behind this read
          while (System.nanoTime() < until) {
            Thread.onSpinWait();
          }
          assertEquals(n, catalog.count(p, Predicates.tagKey("env")));
          assertEquals(view.tagCatalogue(), catalog.tagCatalogue(p));
          assertEquals(n, catalog.count(p, Predicates.nameContains("n_")));
          assertEquals(n, catalog.usage(p, UsageQuery.firstServers(10)).backups());
          assertTrue(catalog.find(p, p + "-b1").isPresent());
          assertEquals(view.count(Predicates.status(BackupStatus.RESTORING)),
              (long) catalog.read(p, inner -> inner.count(Predicates.status(BackupStatus.RESTORING))));
          assertEquals(seq, catalog.sequence(p));
          return null;
        });
      }
    };
    runThreads(TimeUnit.MILLISECONDS.toNanos(700), reader, reader, mover(catalog, List.of(p), n), mover(catalog, List.of(p), n));
  }

  /**
   * BackupCatalog#read: "a read of the project that another thread begins while a change waits lets
   * the change go first for up to 20 µs, and without limit once the change has waited 10 ms". Three
   * readers keep overlapping reads of 2 ms (sleeping, so that the writer keeps a core) going all the
   * time; a writer must still get through, many times a second.
   */
  @Test
  @Timeout(30)
  void aWriterIsNotStarvedByOverlappingReads() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    String p = "p-1";
    int n = 50;
    catalog.addAll(project(p, n));
    AtomicLong longest = new AtomicLong();
    AtomicInteger changes = new AtomicInteger();
    Body reader = (thread, stop) -> {
      while (!stop.get()) {
        catalog.read(p, view -> {
          try {
            Thread.sleep(2);   // holds the read without taking a core from the writer
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          }
          return view.count(Predicates.all());
        });
      }
    };
    Body writer = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String id = p + "-b" + random.nextInt(n);
        Backup b = catalog.get(p, id);
        long start = System.nanoTime();
        catalog.apply(p, id, b.version(), b.status() == BackupStatus.AVAILABLE ? Transition.restore() : Transition.complete());
        long took = System.nanoTime() - start;
        longest.accumulateAndGet(took, Math::max);
        changes.incrementAndGet();
        Thread.sleep(1);
      }
    };
    runThreads(RUN_NANOS, reader, reader, reader, writer);
    // a starved writer makes a change or two in the second (the readers' reads never all end);
    // no bound on the longest change: a collector's pause on a loaded machine is not the catalog's
    assertTrue(changes.get() >= 20, "changes made beside the reads: " + changes + ", the longest took "
        + longest.get() / 1000 + " µs");
  }

  /**
   * Catalogs: "A large bulk load (addAll), a reorganisation and the first sort by name of a project
   * of many names hand part of their work to the common ForkJoinPool beside the calling thread ...
   * they never wait for the pool, so tasks of the service's own on it may use the catalog."
   * Tasks on the common pool make large bulk loads and first sorts by name of several projects, and
   * hold reads of them, while the pool's threads are busy with each other: everything ends.
   */
  @Test
  @Timeout(60)
  void bulkLoadsAndFirstNameSortsFromCommonPoolTasksEnd() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    int tasks = Math.max(3, java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 2);
    List<java.util.concurrent.ForkJoinTask<Long>> submitted = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      String p = "bulk-" + t;
      submitted.add(java.util.concurrent.ForkJoinPool.commonPool().submit(() -> {
        List<Backup> load = new ArrayList<>();
        for (int i = 0; i < 70_000; i++) {
          load.add(Backup.builder().id("x" + i).name("nm" + Integer.toHexString(i * 7919)).projectId(p).server(SERVERS[i % 4])
              .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(NOW.minusSeconds(i)).build());
        }
        catalog.addAll(load);
        Page byName = catalog.query(p, Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME))).limit(3).build());
        return catalog.read(p, view -> view.count(Predicates.all()) + byName.total() * 0);
      }));
    }
    for (java.util.concurrent.ForkJoinTask<Long> task : submitted) {
      assertEquals(70_000L, task.get(50, TimeUnit.SECONDS));
    }
  }

  /**
   * BackupCatalog#subscribe: "Delivers every change committed from now on to subscriber ... the
   * changes of one project arrive numbered 1, 2, 3, ... (from where the subscription starts) without
   * gaps". Subscribing while three writers run: each project's deliveries are contiguous from their
   * first, which is no later than the change after the sequence read when subscribe returned.
   */
  @Test
  @Timeout(30)
  void aSubscriptionMadeWhileWritersRunMissesNothingAfterIt() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<String> projects = List.of("p-1", "p-2", "p-3");
    Map<String, Set<String>> known = new ConcurrentHashMap<>();
    projects.forEach(p -> known.put(p, ConcurrentHashMap.newKeySet()));
    AtomicLong ids = new AtomicLong();
    Map<String, List<Long>> seen = new ConcurrentHashMap<>();
    Map<String, Long> atSubscribe = new ConcurrentHashMap<>();
    Map<String, Long> beforeSubscribe = new ConcurrentHashMap<>();
    Body writer = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        String p = projects.get(random.nextInt(projects.size()));
        randomChange(catalog, p, ids, known.get(p), random);
      }
    };
    Body subscriber = (thread, stop) -> {
      Thread.sleep(200);
      projects.forEach(p -> beforeSubscribe.put(p, catalog.sequence(p)));
      catalog.subscribe(change -> seen.computeIfAbsent(change.projectId(), k -> Collections.synchronizedList(new ArrayList<>()))
          .add(change.sequence()));
      projects.forEach(p -> atSubscribe.put(p, catalog.sequence(p)));
    };
    runThreads(TimeUnit.MILLISECONDS.toNanos(600), writer, writer, writer, subscriber);
    for (String p : projects) {
      List<Long> got = new ArrayList<>(seen.get(p));
      assertTrue(got.get(0) <= atSubscribe.get(p) + 1, p + ": first delivered " + got.get(0) + ", sequence at subscribe " + atSubscribe.get(p));
      assertTrue(got.get(0) > beforeSubscribe.get(p), p + ": first delivered " + got.get(0) + ", committed before subscribe " + beforeSubscribe.get(p));
      for (int i = 1; i < got.size(); i++) {
        assertEquals(got.get(i - 1) + 1, got.get(i), p + ": without gaps");
      }
      assertEquals(catalog.sequence(p), got.get(got.size() - 1), p + ": up to the last");
    }
  }

  /**
   * BackupCatalog#read: "every call on the ProjectView it is given answers from the same backups at
   * the same instant (the "now" of relative time windows and stalled jobs)"; Catalogs: the clock
   * gives "the "now" of every query ... read once per query". A thread moves a FakeClock on all the
   * time across backups whose jobs stall one after another and were created one after another:
   * inside a read the stalled and relative-window answers stay the same and agree with their pages;
   * a single page of stalled jobs has its total equal to its backups.
   */
  @Test
  @Timeout(30)
  void aReadHasOneNowWhileTheClockMoves() throws Exception {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    String p = "p-1";
    int n = 400;
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Instant changed = NOW.minusSeconds(100L * i);
      load.add(Backup.builder().id("j" + i).name("job" + i).projectId(p).server(SERVERS[i % 4]).status(BackupStatus.CREATING)
          .progress(Progress.of(5, changed)).sizeMb(1).createdAt(changed.minusSeconds(1)).build());
    }
    catalog.addAll(load);
    Body mover = (thread, stop) -> {
      while (!stop.get()) {
        clock.advance(Duration.ofSeconds(1));
        long until = System.nanoTime() + 20_000;
        while (System.nanoTime() < until) {
          Thread.onSpinWait();
        }
      }
    };
    BackupPredicate stalled = Predicates.stalled();
    BackupPredicate recent = Predicates.createdWithinLast(Duration.ofHours(5));
    Body reader = (thread, stop) -> {
      while (!stop.get()) {
        catalog.read(p, view -> {
          long c1 = view.count(stalled);
          Page page = view.query(Query.builder().where(stalled).limit(1000).build());
          long w1 = view.count(recent);
          long until = System.nanoTime() + 300_000;
          while (System.nanoTime() < until) {
            Thread.onSpinWait();
          }
          long notStalled = view.count(Predicates.not(stalled));
          Page recentPage = view.query(Query.builder().where(recent).limit(1000).build());
          long c2 = view.count(stalled);
          assertEquals(c1, c2, "stalled twice in one read");
          assertEquals(c1, page.total());
          assertEquals(c1, page.backups().size());
          assertEquals(n, c1 + notStalled, "stalled and not stalled at one instant");
          assertEquals(w1, recentPage.total(), "the relative window at one instant");
          assertEquals(w1, recentPage.backups().size());
          return null;
        });
        Page single = catalog.query(p, Query.builder().where(stalled).limit(1000).build());
        assertEquals(single.total(), single.backups().size(), "one now per query");
        assertEquals(n, catalog.count(p, Predicates.or(stalled, Predicates.not(stalled))), "one now per query");
      }
    };
    runThreads(RUN_NANOS, mover, reader, reader);
    assertTrue(clock.instant().isAfter(NOW.plusSeconds(1000)), "the clock moved: " + clock);
  }

  /**
   * Catalogs: the clock gives "the "now" of every query (relative time windows, stalled jobs), read
   * once per query"; README (Benchmarks): the pages in creation order and the counts by state and
   * creation time "read without the lock and keep the answer only if no change came in meanwhile;
   * one that meets a change in progress answers at once from the state before it when a search of
   * the same question proved that state's answer". With movers changing states all the time and a
   * clock moving on, a relative window's count and page must be those of an instant between the
   * clock read before the call and after it, never of an older now proven earlier.
   */
  @Test
  @Timeout(30)
  void aRelativeWindowAnswersForTheNowOfItsCallBesideWriters() throws Exception {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    String p = "p-1";
    int n = 3000;
    List<Backup> load = new ArrayList<>();
    long[] created = new long[n];
    for (int i = 0; i < n; i++) {
      Instant c = NOW.minus(Duration.ofHours(1)).minusSeconds(i);
      created[i] = c.getEpochSecond();
      load.add(available(p, p + "-b" + i, c, 1));
    }
    catalog.addAll(load);
    Duration window = Duration.ofHours(1).plusSeconds(n / 2);
    BackupPredicate recent = Predicates.createdWithinLast(window);
    BackupPredicate recentBoth = Predicates.and(recent, Predicates.status(BackupStatus.AVAILABLE, BackupStatus.RESTORING));
    Body ticker = (thread, stop) -> {
      while (!stop.get()) {
        clock.advance(Duration.ofSeconds(1));
        Thread.sleep(1);
      }
    };
    Body reader = (thread, stop) -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        Instant t0 = clock.instant();
        boolean page = random.nextBoolean();
        BackupPredicate where = random.nextBoolean() ? recent : recentBoth;
        long answer;
        Page got = null;
        if (page) {
          got = catalog.query(p, Query.builder().where(where).limit(1000).build());
          answer = got.total();
        } else {
          answer = catalog.count(p, where);
        }
        Instant t1 = clock.instant();
        long low = 0;
        long high = 0;
        long lowCut = t1.minus(window).getEpochSecond();
        long highCut = t0.minus(window).getEpochSecond();
        for (long c : created) {
          if (c > lowCut) {
            low++;
          }
          if (c >= highCut) {
            high++;
          }
        }
        assertTrue(answer >= low && answer <= high, (page ? "page total " : "count ") + answer + " of " + where
            + " outside [" + low + ", " + high + "] for a now between " + t0 + " and " + t1);
        if (got != null) {
          assertEquals(Math.min(1000, got.total()), got.backups().size());
        }
      }
    };
    runThreads(RUN_NANOS, ticker, mover(catalog, List.of(p), n), mover(catalog, List.of(p), n), reader, reader);
    assertTrue(clock.instant().isAfter(NOW.plusSeconds(100)), "the clock moved: " + clock);
  }
}
