package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A new user's review of csbs-postgres under concurrency: several threads writing through two
 * {@link PostgresCatalog} instances on one database (two service instances) and through {@link
 * PostgresReplica}s that follow them, on several projects at once, sometimes with every csbs
 * connection killed ({@code pg_terminate_backend}) at random while it runs. Expectations come from
 * the README ("A durable, shared catalog") and the javadoc of PostgresCatalog, PostgresReplica,
 * CatalogDatabaseException and BackupCatalog (thread safety, one state per query, a refused change
 * leaves all as it was, version checks, quotas, the change feed). Store 83 only.
 */
class NewUserConcurrentDbTest {
  private static final int STORE = 83;
  /** The application name of the connections the killer ends. */
  private static final String VICTIM = "concurrent-db-csbs";
  /** The application name of the connections used to check, never killed. */
  private static final String CHECKER = "concurrent-db-check";
  private static final Instant NOW = Instant.parse("2026-12-04T01:00:00.654321Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final List<String> PROJECTS =
      List.of("proj-α", "项目 2", "p3-\uD83D\uDE00 x", "P4 'quoted\" ü");
  private static final Duration WAIT = Duration.ofSeconds(45);

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void empty() {
    TestDatabase.truncate(TestDatabase.dataSource(STORE));
  }

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(toClose);
    for (AutoCloseable c : toClose) {
      try {
        c.close();
      } catch (Exception e) {
        // closing after a test; nothing to check
      }
    }
    toClose.clear();
  }

  private <T extends AutoCloseable> T closing(T c) {
    toClose.add(c);
    return c;
  }

  /** A pool on the store whose connections carry {@code application}, as a service instance's pool would be. */
  private DataSource pool(String application, int size) {
    TestDatabase.dataSource(STORE);
    PGSimpleDataSource ds = TestDatabase.plain();
    ds.setCurrentSchema("csbs_test_" + STORE + ",public");
    ds.setApplicationName(application);
    HikariConfig config = new HikariConfig();
    config.setDataSource(ds);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(20_000);
    config.setPoolName(application + "-" + toClose.size());
    return closing(new HikariDataSource(config));
  }

  private void cancelling(io.csbs.catalog.Subscription s) {
    AutoCloseable c = s::cancel;
    toClose.add(c);
  }

  private PostgresCatalog catalog(DataSource ds) {
    return closing(PostgresCatalog.builder(ds).clock(CLOCK).pollInterval(Duration.ofMillis(50)).build());
  }

  private PostgresReplica replica(PostgresCatalog db) {
    return closing(PostgresReplica.start(db));
  }

  /** Ends the server sessions of the victims' connections; {@code fraction} of them, at random. */
  private static int kill(Random random, double fraction) {
    int killed = 0;
    try (Connection admin = TestDatabase.plain().getConnection(); Statement st = admin.createStatement()) {
      List<Integer> pids = new ArrayList<>();
      try (var rows = st.executeQuery("SELECT pid FROM pg_stat_activity WHERE application_name = '" + VICTIM + "'")) {
        while (rows.next()) {
          pids.add(rows.getInt(1));
        }
      }
      for (int pid : pids) {
        if (random.nextDouble() < fraction) {
          st.execute("SELECT pg_terminate_backend(" + pid + ")");
          killed++;
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return killed;
  }

  // ====================================================================== data

  private static Server server(int i) {
    return Server.of("srv-" + i + "-ç", "ecs-" + i, "eu-de-0" + (1 + i % 3));
  }

  private static Backup backup(String project, String id, long sizeMb, int minutesAgo, Tag... tags) {
    return Backup.builder().id(id).name("autobk_" + id).projectId(project).server(server(Math.abs(id.hashCode()) % 5))
        .status(BackupStatus.AVAILABLE).sizeMb(sizeMb).createdAt(NOW.minusSeconds(60L * minutesAgo + 1))
        .tags(List.of(tags)).build();
  }

  private static final List<String> TAG_KEYS = List.of("env", "ключ", "team", "k_9ü", "app", "z");

  private static Transition randomTransition(Random r) {
    switch (r.nextInt(6)) {
      case 0:
        return Transition.restore();
      case 1:
        return Transition.delete();
      case 2:
        return Transition.complete();
      case 3:
        return Transition.reportProgress(r.nextInt(101));
      case 4:
        return Transition.fail("disk ✗ " + r.nextInt(3));
      default:
        return Transition.complete();
    }
  }

  private static TagUpdate randomTagUpdate(Random r) {
    String key = TAG_KEYS.get(r.nextInt(TAG_KEYS.size()));
    return r.nextInt(3) == 0 ? TagUpdate.delete(TagUpdate.Match.key(key))
        : TagUpdate.create(Tag.of(key, "v" + r.nextInt(3) + "é"));
  }

  // ====================================================================== the model of what succeeded

  /** What the walk's writers know: per project, the backups after every change that succeeded, and how many changes committed. */
  private static final class Model {
    final Map<String, Map<String, Backup>> backups = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> commits = new ConcurrentHashMap<>();
    final List<String> problems = new CopyOnWriteArrayList<>();
    final AtomicInteger ambiguous = new AtomicInteger();
    final AtomicInteger retryableSeen = new AtomicInteger();

    Model() {
      for (String p : PROJECTS) {
        backups.put(p, new ConcurrentHashMap<>());
        commits.put(p, new AtomicLong());
      }
    }

    void committed(String project, String id, Optional<Backup> after) {
      if (after.isPresent()) {
        backups.get(project).put(id, after.get());
      } else {
        backups.get(project).remove(id);
      }
      commits.get(project).incrementAndGet();
    }
  }

  /** One writer thread of the walk: it owns the ids it adds, so only it changes them. */
  private final class Writer implements Callable<Void> {
    final int number;
    final long seed;
    final Random random;
    final Model model;
    final List<BackupCatalog> targets;
    final PostgresCatalog checker;
    final int ops;
    final int quota;
    boolean readYourWrites;
    final Map<String, List<String>> mine = new HashMap<>();
    int added;

    Writer(int number, long seed, Model model, List<BackupCatalog> targets, PostgresCatalog checker, int ops, int quota) {
      this.number = number;
      this.seed = seed;
      this.random = new Random(seed);
      this.model = model;
      this.targets = targets;
      this.checker = checker;
      this.ops = ops;
      this.quota = quota;
      for (String p : PROJECTS) {
        mine.put(p, new ArrayList<>());
      }
    }

    @Override
    public Void call() {
      for (int i = 0; i < ops; i++) {
        String p = PROJECTS.get(random.nextInt(PROJECTS.size()));
        int t = random.nextInt(targets.size());
        BackupCatalog target = targets.get(t);
        List<String> ids = mine.get(p);
        int kind = random.nextInt(10);
        String what = "writer " + number + " (seed " + seed + ") op " + i + " on target " + t + " project " + p;
        try {
          if (kind == 0 && random.nextInt(3) == 0) {
            addAll(target, what);
          } else if (ids.isEmpty() || kind < 3) {
            add(target, p, what);
          } else {
            String id = ids.get(random.nextInt(ids.size()));
            Backup before = model.backups.get(p).get(id);
            if (kind < 7) {
              transition(target, p, before, randomTransition(random), what);
            } else if (kind < 9) {
              tags(target, p, before, randomTagUpdate(random), what);
            } else {
              remove(target, p, before, what);
            }
          }
        } catch (RuntimeException | AssertionError e) {
          model.problems.add(what + ": unexpected " + e);
        }
      }
      return null;
    }

    /** A batch of two or three new backups over one or two projects: all or nothing. */
    private void addAll(BackupCatalog target, String what) {
      List<Backup> batch = new ArrayList<>();
      int n = 2 + random.nextInt(2);
      for (int k = 0; k < n; k++) {
        String p = PROJECTS.get(random.nextInt(PROJECTS.size()));
        batch.add(backup(p, "w" + number + "-" + (added++) + "-batch", random.nextInt(3000), random.nextInt(10_000)));
      }
      String call = what + ": addAll of " + batch.size();
      try {
        target.addAll(batch);
        for (Backup b : batch) {
          model.committed(b.projectId(), b.id(), Optional.of(b));
          mine.get(b.projectId()).add(b.id());
        }
        readYourWrite(target, batch.get(0).projectId(), batch.get(0).id(), Optional.of(batch.get(0)), call);
      } catch (QuotaExceededException e) {
        for (Backup b : batch) {
          if (findSurely(b.projectId(), b.id()).isPresent()) {
            model.problems.add(call + ": refused by quota (" + e.getMessage() + ") but " + b.id() + " is there");
          }
        }
      } catch (CatalogDatabaseException e) {
        ambiguous(e, call);
        int there = 0;
        for (Backup b : batch) {
          Optional<Backup> now = findSurely(b.projectId(), b.id());
          if (now.isPresent()) {
            there++;
            if (!now.get().equals(b)) {
              model.problems.add(call + ": left " + now.get() + " instead of " + b);
            }
          }
        }
        if (there == batch.size()) {
          for (Backup b : batch) {
            model.committed(b.projectId(), b.id(), Optional.of(b));
            mine.get(b.projectId()).add(b.id());
          }
        } else if (there != 0) {
          model.problems.add(call + ": failed (" + e + ") and left " + there + " of its " + batch.size()
              + " backups: half-written");
        }
      }
    }

    /** A write through a replica is visible to the writer when the call returns (without kills). */
    private void readYourWrite(BackupCatalog target, String p, String id, Optional<Backup> expected, String call) {
      if (readYourWrites && target instanceof PostgresReplica) {
        Optional<Backup> seen = target.find(p, id);
        if (!seen.equals(expected)) {
          model.problems.add(call + ": the replica written through shows " + seen + " right after the call returned, not "
              + expected);
        }
      }
    }

    private void add(BackupCatalog target, String p, String what) {
      String id = "w" + number + "-" + (added++) + "-\u00e9\u4e2d";
      Backup b = backup(p, id, random.nextInt(5000), random.nextInt(10_000),
          random.nextBoolean() ? new Tag[] {Tag.of("env", "prod")} : new Tag[0]);
      try {
        target.add(b);
        model.committed(p, id, Optional.of(b));
        mine.get(p).add(id);
        readYourWrite(target, p, id, Optional.of(b), what + ": add " + id);
      } catch (QuotaExceededException e) {
        Optional<Backup> now = findSurely(p, id);
        if (now.isPresent()) {
          model.problems.add(what + ": add refused by quota (" + e.getMessage() + ") but the backup is there");
        }
        if (quota < 0) {
          model.problems.add(what + ": quota refusal without a quota: " + e);
        }
      } catch (CatalogDatabaseException e) {
        ambiguous(e, what);
        Optional<Backup> now = findSurely(p, id);
        if (now.isPresent()) {
          if (!now.get().equals(b)) {
            model.problems.add(what + ": add failed (" + e + ") and left " + now.get() + " instead of " + b);
          }
          model.committed(p, id, now);
          mine.get(p).add(id);
        }
      }
    }

    private void transition(BackupCatalog target, String p, Backup before, Transition tr, String what) {
      Optional<Backup> predicted;
      Class<? extends RuntimeException> refusal = null;
      try {
        predicted = tr.applyTo(before, NOW);
      } catch (RuntimeException e) {
        predicted = null;
        refusal = e.getClass();
      }
      String call = what + ": apply " + tr + " to " + before.id() + " v" + before.version() + " (" + before.status() + ")";
      try {
        Optional<Backup> result = target.apply(p, before.id(), before.version(), tr);
        if (refusal != null) {
          model.problems.add(call + ": expected " + refusal.getSimpleName() + ", got " + result);
          return;
        }
        if (!result.equals(predicted)) {
          model.problems.add(call + ": returned " + result + ", Transition.applyTo gives " + predicted);
        }
        readYourWrite(target, p, before.id(), predicted, call);
        if (!predicted.equals(Optional.of(before))) {
          model.committed(p, before.id(), result);
          if (result.isEmpty()) {
            mine.get(p).remove(before.id());
          }
        }
      } catch (CatalogDatabaseException e) {
        ambiguous(e, call);
        Optional<Backup> now = findSurely(p, before.id());
        if (now.equals(Optional.of(before))) {
          return;   // not committed
        }
        if (refusal == null && now.equals(predicted)) {
          model.committed(p, before.id(), now);
          if (now.isEmpty()) {
            mine.get(p).remove(before.id());
          }
          return;
        }
        model.problems.add(call + ": failed (" + e + ") and left " + now + ": neither before nor " + predicted);
      } catch (RuntimeException e) {
        if (refusal == null || !refusal.isInstance(e)) {
          model.problems.add(call + ": expected " + (refusal == null ? predicted : refusal.getSimpleName()) + ", got " + e);
        }
      }
    }

    private void tags(BackupCatalog target, String p, Backup before, TagUpdate update, String what) {
      Backup predicted = update.applyTo(before, NOW);
      String call = what + ": updateTags " + update + " of " + before.id() + " v" + before.version();
      try {
        Backup result = target.updateTags(p, before.id(), before.version(), update);
        if (!result.equals(predicted)) {
          model.problems.add(call + ": returned " + result + ", TagUpdate.applyTo gives " + predicted);
        }
        readYourWrite(target, p, before.id(), Optional.of(predicted), call);
        if (!predicted.equals(before)) {
          model.committed(p, before.id(), Optional.of(result));
        }
      } catch (CatalogDatabaseException e) {
        ambiguous(e, call);
        Optional<Backup> now = findSurely(p, before.id());
        if (now.equals(Optional.of(before))) {
          return;
        }
        if (now.equals(Optional.of(predicted))) {
          model.committed(p, before.id(), now);
          return;
        }
        model.problems.add(call + ": failed (" + e + ") and left " + now + ": neither before nor " + predicted);
      }
    }

    private void remove(BackupCatalog target, String p, Backup before, String what) {
      String call = what + ": remove " + before.id() + " v" + before.version();
      try {
        target.remove(p, before.id(), before.version());
        readYourWrite(target, p, before.id(), Optional.empty(), call);
        model.committed(p, before.id(), Optional.empty());
        mine.get(p).remove(before.id());
      } catch (CatalogDatabaseException e) {
        ambiguous(e, call);
        Optional<Backup> now = findSurely(p, before.id());
        if (now.equals(Optional.of(before))) {
          return;
        }
        if (now.isEmpty()) {
          model.committed(p, before.id(), Optional.empty());
          mine.get(p).remove(before.id());
          return;
        }
        model.problems.add(call + ": failed (" + e + ") and left " + now);
      }
    }

    private void ambiguous(CatalogDatabaseException e, String what) {
      model.ambiguous.incrementAndGet();
      if (e.isRetryable()) {
        model.retryableSeen.incrementAndGet();
      } else {
        model.problems.add(what + ": a killed connection gave a CatalogDatabaseException that is not retryable: " + e
            + " (SQLState " + e.sqlState() + ")");
      }
    }

    /** The backup as the database has it now, read through connections that are never killed. */
    private Optional<Backup> findSurely(String p, String id) {
      return checker.find(p, id);
    }
  }

  // ====================================================================== subscribers

  /** Records what a subscriber gets, per project, in arrival order. */
  private static final class Recorder {
    final Map<String, List<Change>> got = new ConcurrentHashMap<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger overlaps = new AtomicInteger();
    volatile String overlap;

    void accept(Change c) {
      if (inFlight.incrementAndGet() > 1) {
        overlaps.incrementAndGet();
        overlap = "change " + c.projectId() + "#" + c.sequence() + " delivered on " + Thread.currentThread().getName()
            + " while another delivery was under way";
      }
      try {
        got.computeIfAbsent(c.projectId(), k -> Collections.synchronizedList(new ArrayList<>())).add(c);
        long until = System.nanoTime() + 20_000;   // widen the window a concurrent delivery would hit
        while (System.nanoTime() < until) {
          Thread.onSpinWait();
        }
      } finally {
        inFlight.decrementAndGet();
      }
    }

    List<Change> of(String p) {
      List<Change> l = got.get(p);
      if (l == null) {
        return List.of();
      }
      synchronized (l) {
        return new ArrayList<>(l);
      }
    }

    /** The highest sequence received for {@code p}. */
    long highest(String p) {
      return of(p).stream().mapToLong(Change::sequence).max().orElse(0);
    }
  }

  private static void await(String what, BooleanSupplier condition) {
    long end = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("waited " + WAIT.toSeconds() + " s for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + what);
      }
    }
  }

  // ====================================================================== checks after a walk

  private static Map<String, Backup> all(BackupCatalog c, String p) {
    Page page = c.query(p, Query.builder().limit(Query.MAX_LIMIT).build());
    assertTrue(!page.hasMore(), "small catalogs fit in one page");
    Map<String, Backup> m = new TreeMap<>();
    for (Backup b : page.backups()) {
      m.put(b.id(), b);
    }
    assertEquals(page.backups().size(), page.total(), "a page and its total from one state: " + c);
    return m;
  }

  private void checkAgainstModel(String label, Model model, PostgresCatalog checker, List<PostgresCatalog> databases,
      List<PostgresReplica> replicas, List<Recorder> feedSubscribers, List<Recorder> replicaSubscribers) {
    for (String p : PROJECTS) {
      Map<String, Backup> expected = new TreeMap<>(model.backups.get(p));
      long sequence = model.commits.get(p).get();
      String where = label + ", project " + p;
      // the database: state, sequence, feed
      assertEquals(sequence, checker.sequence(p), where + ": the database's sequence is the number of committed changes");
      assertEquals(expected, all(checker, p), where + ": the database holds what the successful changes made");
      List<Change> feed = checker.changes(p, 0, 10_000);
      Map<String, Backup> folded = new TreeMap<>();
      for (int i = 0; i < feed.size(); i++) {
        Change c = feed.get(i);
        assertEquals(i + 1, c.sequence(), where + ": the feed is numbered without gaps");
        assertEquals(Optional.ofNullable(folded.get(c.backupId())), c.before(), where + ": change " + c.sequence()
            + "'s before is the backup as the previous change left it");
        if (c.after().isPresent()) {
          folded.put(c.backupId(), c.after().get());
        } else {
          folded.remove(c.backupId());
        }
      }
      assertEquals(sequence, feed.size(), where + ": the feed has every committed change");
      assertEquals(expected, folded, where + ": the feed adds up to the database's backups");
      for (PostgresCatalog db : databases) {
        assertEquals(expected, all(db, p), where + ": every catalog instance agrees");
        assertEquals(sequence, db.sequence(p), where);
        assertEquals(expected.size(), db.count(p, Predicates.all()), where + ": count");
      }
      for (PostgresReplica r : replicas) {
        assertTrue(r.awaitSequence(p, sequence, WAIT), where + ": replica " + r + " reaches sequence " + sequence);
        assertEquals(sequence, r.sequence(p), where);
        assertEquals(expected, all(r, p), where + ": every replica agrees after awaitSequence");
        assertEquals(checker.quotaUsage(p), r.quotaUsage(p), where + ": quota usage of a replica");
        assertEquals(checker.tagCatalogue(p), r.tagCatalogue(p), where + ": tag catalogue of a replica");
        assertEquals(checker.usage(p, io.csbs.usage.UsageQuery.firstServers(100)),
            r.usage(p, io.csbs.usage.UsageQuery.firstServers(100)), where + ": usage (the database's counters) of a replica");
        for (BackupStatus st : BackupStatus.values()) {
          assertEquals(checker.count(p, Predicates.status(st)), r.count(p, Predicates.status(st)),
              where + ": count of " + st + " (the database's counters) on a replica");
        }
      }
      for (Recorder s : feedSubscribers) {
        await(where + ": a subscriber of PostgresCatalog.subscribe gets change " + sequence,
            () -> s.highest(p) >= sequence);
        // at least once, in order within the project: a change comes again only after the ones before it
        long last = 0;
        Map<Long, Change> distinct = new TreeMap<>();
        for (Change c : s.of(p)) {
          assertTrue(c.sequence() <= last + 1, where + ": in order within the project, no gap: got " + c.sequence()
              + " after " + last);
          last = Math.max(last, c.sequence());
          Change earlier = distinct.putIfAbsent(c.sequence(), c);
          if (earlier != null) {
            assertEquals(earlier, c, where + ": a change delivered again is the same change");
          }
        }
        assertEquals(feed, new ArrayList<>(distinct.values()), where + ": the subscriber got every change of the feed");
      }
      for (Recorder s : feedSubscribers) {
        assertEquals(0, s.overlaps.get(), where + ": PostgresCatalog delivers \"one change at a time\": " + s.overlap);
      }
      for (Recorder s : replicaSubscribers) {
        assertEquals(0, s.overlaps.get(), where + ": a replica's subscriber is called \"never from two threads at "
            + "once\" (BackupCatalog.subscribe): " + s.overlap);
        await(where + ": a replica's subscriber gets change " + sequence, () -> s.highest(p) >= sequence);
        assertEquals(feed, s.of(p), where + ": a replica's subscriber gets every change once, in order");
      }
    }
  }

  /** Runs {@code writers} and, while they run, {@code alongside}; fails on a hang. */
  private static void run(List<? extends Callable<Void>> writers, Runnable alongside, AtomicBoolean stop)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(writers.size() + 1);
    try {
      List<Future<Void>> futures = new ArrayList<>();
      for (Callable<Void> w : writers) {
        futures.add(pool.submit(w));
      }
      Future<?> side = alongside == null ? null : pool.submit(alongside);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (Future<Void> f : futures) {
        try {
          f.get(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          fail("the writers hang: not done within 60 s");
        }
      }
      stop.set(true);
      if (side != null) {
        side.get(30, TimeUnit.SECONDS);
      }
    } finally {
      stop.set(true);
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** The walk of {@code writerCount} writers through two instances and two replicas; {@code kills} whether connections die meanwhile. */
  private void walk(long seed, int writerCount, int ops, boolean kills) throws Exception {
    PostgresCatalog checker = catalog(pool(CHECKER, 4));
    PostgresCatalog a = catalog(pool(VICTIM, 6));
    PostgresCatalog b = catalog(pool(VICTIM, 6));
    int quota = 12;
    for (String p : PROJECTS) {
      checker.setQuota(p, Quota.of(quota, Quota.UNLIMITED));
    }
    PostgresReplica ra = replica(a);
    PostgresReplica rb = replica(b);
    Recorder subA = new Recorder();
    Recorder subB = new Recorder();
    Recorder subRa = new Recorder();
    Recorder subRb = new Recorder();
    cancelling(a.subscribe(subA::accept));
    cancelling(b.subscribe(subB::accept));
    cancelling(ra.subscribe(subRa::accept));
    cancelling(rb.subscribe(subRb::accept));

    Model model = new Model();
    List<BackupCatalog> targets = List.of(a, b, ra, rb);
    List<Callable<Void>> writers = new ArrayList<>();
    for (int w = 0; w < writerCount; w++) {
      Writer writer = new Writer(w, seed * 31 + w, model, targets, checker, ops, quota);
      writer.readYourWrites = !kills;
      writers.add(writer);
    }
    // a third service instance that starts mid-way: a replica and a subscriber of its own
    PostgresCatalog c = catalog(pool(VICTIM, 4));
    Recorder subC = new Recorder();
    Recorder subRc = new Recorder();
    Map<String, Long> subscribedAt = new ConcurrentHashMap<>();
    Map<String, Long> replicaSubscribedAt = new ConcurrentHashMap<>();
    PostgresReplica[] rc = new PostgresReplica[1];
    List<String> lateProblems = new CopyOnWriteArrayList<>();
    writers.add(() -> {
      Thread.sleep(300);
      for (int attempt = 0; rc[0] == null; attempt++) {
        try {
          rc[0] = PostgresReplica.start(c);
        } catch (CatalogDatabaseException e) {
          if (!kills || !e.isRetryable() || attempt > 50) {
            lateProblems.add("starting a replica mid-way: " + e);
            return null;
          }
          Thread.sleep(50);
        }
      }
      subscribe(rc[0], subRc, replicaSubscribedAt, checker);
      subscribe(c, subC, subscribedAt, checker);
      return null;
    });
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger killed = new AtomicInteger();
    List<String> readerProblems = new CopyOnWriteArrayList<>();
    List<Object[]> snapshots = new CopyOnWriteArrayList<>();
    Random sideRandom = new Random(seed ^ 0x5DEECE66DL);
    Runnable alongside = () -> {
      while (!stop.get()) {
        try {
          if (kills && sideRandom.nextInt(3) == 0) {
            killed.addAndGet(kill(sideRandom, sideRandom.nextBoolean() ? 1.0 : 0.3));
          } else {
            // readers: one state per read, and the quota is never overrun
            String p = PROJECTS.get(sideRandom.nextInt(PROJECTS.size()));
            BackupCatalog reader = List.of(checker, ra, rb).get(sideRandom.nextInt(3));
            if (sideRandom.nextInt(4) == 0) {
              Page everyProject = reader.queryAllProjects(Query.builder().limit(Query.MAX_LIMIT).build());
              if (!everyProject.hasMore() && everyProject.total() != everyProject.backups().size()) {
                readerProblems.add(reader + ": the all-projects page of " + everyProject.backups().size()
                    + " backups has a total of " + everyProject.total());
              }
            }
            reader.read(p, v -> {
              long total = v.count(Predicates.all());
              long byStatus = 0;
              for (BackupStatus s : BackupStatus.values()) {
                byStatus += v.count(Predicates.status(s));
              }
              Page page = v.query(Query.builder().limit(Query.MAX_LIMIT).build());
              if (total != byStatus || total != page.total() || page.backups().size() != total) {
                readerProblems.add(reader + " " + p + ": one read's answers disagree: total " + total + ", by status "
                    + byStatus + ", page total " + page.total() + ", page size " + page.backups().size());
              }
              if (reader != checker || sideRandom.nextInt(2) == 0) {
                snapshots.add(new Object[] {reader, p, v.sequence(), page});
              }
              if (total > quota) {
                readerProblems.add(reader + " " + p + ": " + total + " backups with a quota of " + quota);
              }
              return null;
            });
          }
          Thread.sleep(5 + sideRandom.nextInt(40));
        } catch (InterruptedException e) {
          return;
        } catch (CatalogDatabaseException e) {
          // a replica read never fails; a checker read is never killed
          readerProblems.add("a read failed: " + e);
        }
      }
    };
    try {
      run(writers, alongside, stop);
    } finally {
      if (rc[0] != null) {
        closing(rc[0]);
      }
    }
    if (kills) {
      // the killer has stopped, but a pool still holds idle connections whose sessions it ended (a
      // termination lands a moment after pg_terminate_backend returns): a service's next call would
      // get one, fail retryably and retry; the checks below want answers, so the pools start afresh
      Thread.sleep(200);
      for (AutoCloseable closeable : toClose) {
        if (closeable instanceof HikariDataSource) {
          ((HikariDataSource) closeable).getHikariPoolMXBean().softEvictConnections();
        }
      }
    }
    assertEquals(List.of(), lateProblems, "seed " + seed);
    String label = "seed " + seed + (kills ? ", " + killed + " sessions killed" : "");
    assertEquals(List.of(), model.problems, label + ": every change did what the docs say");
    assertEquals(List.of(), readerProblems, label + ": reads alongside");
    // each read(...) saw one state: its page is what the feed adds up to at the view's sequence
    for (Object[] snap : snapshots) {
      String p = (String) snap[1];
      long at = (Long) snap[2];
      Map<String, Backup> folded = new TreeMap<>();
      for (Change ch : at == 0 ? List.<Change>of() : checker.changes(p, 0, (int) at)) {
        ch.after().ifPresentOrElse(x -> folded.put(ch.backupId(), x), () -> folded.remove(ch.backupId()));
      }
      Map<String, Backup> seen = new TreeMap<>();
      for (Backup x : ((Page) snap[3]).backups()) {
        seen.put(x.id(), x);
      }
      assertEquals(folded, seen, label + ": a read(...) of " + snap[0] + " on " + p + " at sequence " + at
          + " shows the state after that change");
    }
    if (!kills) {
      assertEquals(0, model.ambiguous.get(), label + ": no database failure without kills");
    }
    PostgresReplica late = replica(checker);
    checkAgainstModel(label, model, checker, List.of(a, b, c), List.of(ra, rb, late, rc[0]), List.of(subA, subB),
        List.of(subRa, subRb));
    for (String p : PROJECTS) {
      long sequence = model.commits.get(p).get();
      List<Change> feed = checker.changes(p, 0, 10_000);
      String where = label + ", project " + p;
      // PostgresCatalog.subscribe mid-way: every change committed after it returned, at least once, in order
      long from = subscribedAt.get(p);
      await(where + ": the mid-way subscriber gets change " + sequence, () -> subC.highest(p) >= sequence);
      List<Change> got = subC.of(p);
      long last = got.isEmpty() ? from : got.get(0).sequence() - 1;
      assertTrue(last <= from, where + ": the mid-way subscriber of PostgresCatalog (subscribed at " + from
          + ") starts at " + (last + 1) + ": it missed changes committed after it subscribed");
      Map<Long, Change> distinct = new TreeMap<>();
      for (Change ch : got) {
        assertTrue(ch.sequence() <= last + 1, where + ": mid-way subscriber: in order, no gap: " + ch.sequence()
            + " after " + last);
        last = Math.max(last, ch.sequence());
        distinct.putIfAbsent(ch.sequence(), ch);
      }
      for (Change ch : feed.subList((int) from, feed.size())) {
        assertEquals(ch, distinct.get(ch.sequence()), where + ": mid-way subscriber got change " + ch.sequence());
      }
      // a replica started mid-way: its subscriber gets every change once, in order, from where it subscribed
      long rfrom = replicaSubscribedAt.get(p);
      await(where + ": the mid-way replica's subscriber gets change " + sequence, () -> subRc.highest(p) >= sequence);
      List<Change> rgot = subRc.of(p);
      long first = rgot.isEmpty() ? rfrom + 1 : rgot.get(0).sequence();
      assertTrue(first <= rfrom + 1, where + ": the mid-way replica's subscriber (subscribed at " + rfrom
          + ") starts at " + first);
      assertEquals(feed.subList((int) first - 1, feed.size()), rgot,
          where + ": the mid-way replica's subscriber gets each change once, in order");
    }
    System.out.println("NewUserConcurrentDbTest walk " + label + ": commits " + model.commits + ", ambiguous "
        + model.ambiguous);
  }

  /** Subscribes {@code recorder} and notes each project's sequence in the database once the call returned. */
  private static void subscribe(BackupCatalog catalog, Recorder recorder, Map<String, Long> at, PostgresCatalog checker)
      throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      try {
        catalog.subscribe(recorder::accept);   // PostgresCatalog's reads the projects' heads: it may fail, retryable
        break;
      } catch (CatalogDatabaseException e) {
        if (!e.isRetryable() || attempt > 50) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
    for (String p : PROJECTS) {
      at.put(p, checker.sequence(p));
    }
  }

  // ====================================================================== the walks

  @Test
  void fourWritersThroughTwoInstancesAndTwoReplicasAgreeWithWhatSucceeded() throws Exception {
    walk(io.csbs.testing.Seeds.pick(), 4, Integer.getInteger("csbs.ops", 100), false);
  }

  @Test
  void writersWhileEveryCsbsConnectionIsKilledAtRandomLoseNothingCommitted() throws Exception {
    walk(io.csbs.testing.Seeds.pick(), 4, Integer.getInteger("csbs.ops", 100), true);
  }

  // ====================================================================== two writers racing

  /** The outcome of one side of a race: what it returned, or what it threw. */
  private record Outcome(Object value, Throwable thrown) {
    boolean ok() {
      return thrown == null;
    }

    @Override
    public String toString() {
      return ok() ? "returned " + value : "threw " + thrown;
    }
  }

  /** Runs both calls at once (released together), each on a thread of its own; fails on a hang of 30 s. */
  private static List<Outcome> race(Callable<?> first, Callable<?> second) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch ready = new CountDownLatch(2);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Outcome>> futures = new ArrayList<>();
      for (Callable<?> call : List.of(first, second)) {
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          try {
            return new Outcome(call.call(), null);
          } catch (Throwable t) {
            return new Outcome(null, t);
          }
        }));
      }
      assertTrue(ready.await(30, TimeUnit.SECONDS), "both racers ready");
      go.countDown();
      List<Outcome> outcomes = new ArrayList<>();
      for (Future<Outcome> f : futures) {
        try {
          outcomes.add(f.get(30, TimeUnit.SECONDS));
        } catch (TimeoutException e) {
          fail("a racer hangs for 30 s");
        }
      }
      return outcomes;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Two service instances on one database (a, b) and a replica of each (ra, rb). */
  private final class Two {
    final PostgresCatalog checker = catalog(pool(CHECKER, 4));
    final PostgresCatalog a = catalog(pool(VICTIM, 4));
    final PostgresCatalog b = catalog(pool(VICTIM, 4));
    final PostgresReplica ra = replica(a);
    final PostgresReplica rb = replica(b);

    /** The pairs of writers that race: the two instances, and the two replicas. */
    List<List<BackupCatalog>> pairs() {
      return List.of(List.of(a, b), List.of(ra, rb));
    }

    String name(BackupCatalog c) {
      return c == a ? "instance A" : c == b ? "instance B" : c == ra ? "replica of A" : "replica of B";
    }
  }

  private static Outcome winner(List<Outcome> o) {
    return o.get(0).ok() ? o.get(0) : o.get(1);
  }

  private static Outcome loser(List<Outcome> o) {
    return o.get(0).ok() ? o.get(1) : o.get(0);
  }

  @Test
  void theSameTransitionFromTwoWritersCommitsOnceAndTheOtherGetsAVersionConflict() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(0);
    String id = "race-ü-1";
    two.checker.add(backup(p, id, 10, 5));
    long version = 1;
    long sequence = two.checker.sequence(p);
    for (List<BackupCatalog> pair : two.pairs()) {
      for (int round = 0; round < 8; round++) {
        long v = version;
        Transition tr = round % 2 == 0 ? Transition.restore() : Transition.delete();
        List<Outcome> o = race(() -> pair.get(0).apply(p, id, v, tr), () -> pair.get(1).apply(p, id, v, tr));
        String where = two.name(pair.get(0)) + " and " + two.name(pair.get(1)) + ", round " + round + ": " + o;
        assertEquals(1, o.stream().filter(Outcome::ok).count(), where + ": exactly one wins");
        Throwable lost = loser(o).thrown();
        assertTrue(lost instanceof VersionConflictException, where + ": the loser gets a VersionConflictException");
        VersionConflictException conflict = (VersionConflictException) lost;
        assertEquals(v, conflict.expectedVersion(), where);
        assertEquals(v + 1, conflict.currentVersion(), where);
        assertEquals(id, conflict.backupId(), where);
        assertEquals(Optional.of(v + 1), ((Optional<?>) winner(o).value()).map(x -> ((Backup) x).version()), where);
        assertEquals(sequence + 1, two.checker.sequence(p), where + ": one change committed");
        // back to Available (or added again after a completed deletion) for the next round
        Optional<Backup> done = two.checker.apply(p, id, v + 1, Transition.complete());
        if (done.isEmpty()) {
          two.checker.add(backup(p, id, 10, 5));
          version = 1;
        } else {
          version = done.get().version();
        }
        sequence = two.checker.sequence(p);
      }
    }
    checkFeedFolds(two, p);
  }

  /** The feed adds up to the state, and replicas reach it. */
  private void checkFeedFolds(Two two, String p) {
    List<Change> feed = two.checker.changes(p, 0, 10_000);
    Map<String, Backup> folded = new TreeMap<>();
    for (int i = 0; i < feed.size(); i++) {
      Change c = feed.get(i);
      assertEquals(i + 1, c.sequence(), p + ": no gap in the feed");
      assertEquals(Optional.ofNullable(folded.get(c.backupId())), c.before(), p + ": change " + c.sequence()
          + " is based on the previous one: no lost update");
      c.after().ifPresentOrElse(x -> folded.put(c.backupId(), x), () -> folded.remove(c.backupId()));
    }
    assertEquals(folded, all(two.checker, p));
    for (PostgresReplica r : List.of(two.ra, two.rb)) {
      assertTrue(r.awaitSequence(p, feed.size(), WAIT));
      assertEquals(folded, all(r, p), p + ": replica " + r);
    }
  }

  @Test
  void addingTheSameIdFromTwoWritersAddsItOnceAndTheOtherIsADuplicate() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(1);
    int round = 0;
    for (List<BackupCatalog> pair : two.pairs()) {
      for (int i = 0; i < 8; i++, round++) {
        String id = "dup-" + round + "-日本";
        Backup first = backup(p, id, 10, 5, Tag.of("from", "first"));
        Backup second = backup(p, id, 20, 6, Tag.of("from", "second"));
        long sequence = two.checker.sequence(p);
        List<Outcome> o = race(() -> {
          pair.get(0).add(first);
          return first;
        }, () -> {
          pair.get(1).add(second);
          return second;
        });
        String where = two.name(pair.get(0)) + " and " + two.name(pair.get(1)) + ", " + id + ": " + o;
        assertEquals(1, o.stream().filter(Outcome::ok).count(), where + ": exactly one adds");
        Throwable lost = loser(o).thrown();
        assertTrue(lost instanceof DuplicateBackupException, where + ": the other is a DuplicateBackupException");
        assertEquals(p, ((DuplicateBackupException) lost).projectId(), where);
        assertEquals(id, ((DuplicateBackupException) lost).backupId(), where);
        assertEquals(winner(o).value(), two.checker.get(p, id), where + ": the winner's backup is stored, whole");
        assertEquals(sequence + 1, two.checker.sequence(p), where + ": one change");
      }
    }
    checkFeedFolds(two, p);
  }

  @Test
  void removingWhileAnotherWriterTransitionsEndsOneWayOrTheOtherAsDocumented() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(2);
    int round = 0;
    for (List<BackupCatalog> pair : two.pairs()) {
      for (int i = 0; i < 10; i++, round++) {
        String id = "rm-" + round;
        Backup b = backup(p, id, 10, 5);
        two.checker.add(b);
        long sequence = two.checker.sequence(p);
        boolean flip = i % 2 == 0;
        BackupCatalog remover = pair.get(flip ? 0 : 1);
        BackupCatalog transitioner = pair.get(flip ? 1 : 0);
        List<Outcome> o = race(() -> {
          remover.remove(p, id, 1);
          return "removed";
        }, () -> transitioner.apply(p, id, 1, Transition.restore()));
        String where = two.name(remover) + " removes, " + two.name(transitioner) + " restores " + id + ": " + o;
        assertEquals(1, o.stream().filter(Outcome::ok).count(), where + ": exactly one wins");
        if (o.get(0).ok()) {
          assertTrue(o.get(1).thrown() instanceof BackupNotFoundException,
              where + ": a transition of a removed backup is BackupNotFoundException (the backup is checked first)");
          assertEquals(Optional.empty(), two.checker.find(p, id), where);
        } else {
          assertTrue(o.get(0).thrown() instanceof VersionConflictException,
              where + ": a removal based on the version before the transition is a VersionConflictException");
          assertEquals(BackupStatus.RESTORING, two.checker.get(p, id).status(), where);
        }
        assertEquals(sequence + 1, two.checker.sequence(p), where + ": one change");
      }
    }
    checkFeedFolds(two, p);
  }

  @Test
  void aTagUpdateRacingATransitionOnTheSameVersionNeverLosesEither() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(3);
    int round = 0;
    for (List<BackupCatalog> pair : two.pairs()) {
      for (int i = 0; i < 8; i++, round++) {
        String id = "tag-" + round;
        two.checker.add(backup(p, id, 10, 5, Tag.of("env", "dev")));
        List<Outcome> o = race(() -> pair.get(0).updateTags(p, id, 1, TagUpdate.create(Tag.of("env", "prod"))),
            () -> pair.get(1).apply(p, id, 1, Transition.restore()));
        String where = round + ": " + o;
        assertEquals(1, o.stream().filter(Outcome::ok).count(), where + ": exactly one wins");
        assertTrue(loser(o).thrown() instanceof VersionConflictException, where);
        Backup now = two.checker.get(p, id);
        assertEquals(2, now.version(), where);
        if (o.get(0).ok()) {
          assertEquals(Optional.of("prod"), now.tagValue("env"), where);
          assertEquals(BackupStatus.AVAILABLE, now.status(), where);
        } else {
          assertEquals(Optional.of("dev"), now.tagValue("env"), where);
          assertEquals(BackupStatus.RESTORING, now.status(), where);
        }
      }
    }
    checkFeedFolds(two, p);
  }

  @Test
  void twoAddsThatEachFitTheBackupQuotaButNotTogetherNeverBothSucceed() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(0);
    int round = 0;
    for (List<BackupCatalog> pair : two.pairs()) {
      for (int i = 0; i < 8; i++, round++) {
        long count = two.checker.count(p, Predicates.all());
        two.checker.setQuota(p, Quota.of(count + 1, Quota.UNLIMITED));
        if (pair.get(0) instanceof PostgresReplica) {
          assertTrue(((PostgresReplica) pair.get(0)).awaitSequence(p, two.checker.sequence(p), WAIT));
        }
        Backup x = backup(p, "qx-" + round, 1, 3);
        Backup y = backup(p, "qy-" + round, 1, 4);
        List<Outcome> o = race(() -> {
          pair.get(0).add(x);
          return x;
        }, () -> {
          pair.get(1).add(y);
          return y;
        });
        String where = "quota of " + (count + 1) + " backups, " + two.name(pair.get(0)) + " and "
            + two.name(pair.get(1)) + ", round " + round + ": " + o;
        assertEquals(1, o.stream().filter(Outcome::ok).count(), where + ": exactly one add fits");
        assertTrue(loser(o).thrown() instanceof QuotaExceededException, where + ": the other is a QuotaExceededException");
        assertEquals(count + 1, two.checker.count(p, Predicates.all()), where);
      }
    }
  }

  @Test
  void twoAddsThatEachFitTheCapacityQuotaButNotTogetherNeverBothSucceed() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(1);
    two.checker.setQuota(p, Quota.of(Quota.UNLIMITED, 1));   // 1 GB
    int round = 0;
    for (List<BackupCatalog> pair : two.pairs()) {
      for (int i = 0; i < 8; i++, round++) {
        Backup x = backup(p, "cx-" + round, 600, 3);
        Backup y = backup(p, "cy-" + round, 600, 4);
        List<Outcome> o = race(() -> {
          pair.get(0).add(x);
          return x;
        }, () -> {
          pair.get(1).add(y);
          return y;
        });
        String where = "1 GB quota, two adds of 600 MB, round " + round + ": " + o;
        assertEquals(1, o.stream().filter(Outcome::ok).count(), where + ": exactly one add fits");
        assertTrue(loser(o).thrown() instanceof QuotaExceededException, where);
        Backup won = (Backup) winner(o).value();
        assertEquals(1, two.checker.count(p, Predicates.all()), where);
        two.checker.remove(p, won.id(), 1);
      }
    }
  }

  @Test
  void batchesOverTwoProjectsInOppositeOrdersFromTwoInstancesBothCommitWhole() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(0);
    String q = PROJECTS.get(2);
    for (int round = 0; round < 10; round++) {
      List<Backup> forward = List.of(backup(p, "f-" + round, 1, 1), backup(q, "f-" + round, 1, 1));
      List<Backup> backward = List.of(backup(q, "g-" + round, 1, 1), backup(p, "g-" + round, 1, 1));
      List<Outcome> o = race(() -> {
        two.a.addAll(forward);
        return "forward";
      }, () -> {
        two.b.addAll(backward);
        return "backward";
      });
      String where = "round " + round + ": " + o;
      assertTrue(o.get(0).ok() && o.get(1).ok(), where + ": both batches commit (checked project by project in "
          + "project id order, so neither waits for the other in a cycle)");
    }
    assertEquals(20, two.checker.count(p, Predicates.all()));
    assertEquals(20, two.checker.count(q, Predicates.all()));
    checkFeedFolds(two, p);
    checkFeedFolds(two, q);
  }

  // ====================================================================== replicas following other instances

  @Test
  void aQuotaSetThroughAnotherInstanceReachesAReplica() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(3);
    two.a.add(backup(p, "q-1", 10, 1));
    assertTrue(two.rb.awaitSequence(p, 1, WAIT));
    two.a.setQuota(p, Quota.of(7, 3));
    assertEquals(Quota.of(7, 3), two.checker.quotaUsage(p).quota());
    two.rb.catchUp(p);
    assertEquals(two.checker.quotaUsage(p), two.rb.quotaUsage(p),
        "catchUp applies \"every change the database has committed for the project so far, and its quota\"");
    two.b.setQuota(p, Quota.NONE);
    await("the replica of A follows a quota set through B", () -> two.ra.quotaUsage(p).equals(two.checker.quotaUsage(p)));
  }

  @Test
  void aReplicaBehindTheDatabaseWritesOnTheDatabasesVersionAndShowsTheWriteWhenItReturns() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(2);
    for (int i = 0; i < 10; i++) {
      String id = "behind-" + i + "-ö";
      two.a.add(backup(p, id, 10, 1));
      // straight after, without waiting: replica B may not have seen the add; its write goes to the database
      Backup restoring = two.rb.apply(p, id, 1, Transition.restore()).orElseThrow();
      assertEquals(Optional.of(restoring), two.rb.find(p, id), "round " + i + ": the writer reads its own write");
      Backup tagged = two.a.updateTags(p, id, 2, TagUpdate.create(Tag.of("env", "x" + i)));
      VersionConflictException stale = null;
      try {
        two.rb.apply(p, id, 2, Transition.complete());   // version 2 is what replica B may still hold
        fail("round " + i + ": a change based on version 2 after the database reached 3");
      } catch (VersionConflictException e) {
        stale = e;
      }
      assertEquals(2, stale.expectedVersion(), "round " + i);
      assertEquals(3, stale.currentVersion(), "round " + i + ": the current version is the database's");
      two.rb.remove(p, id, tagged.version());
      assertEquals(Optional.empty(), two.rb.find(p, id), "round " + i);
      assertEquals(Optional.empty(), two.checker.find(p, id), "round " + i);
    }
    checkFeedFolds(two, p);
  }

  /**
   * Instance A loads a new project (a snapshot at change 41) and instance B changes it at once from two threads, while
   * both replicas follow with a subscriber each; {@code rounds} such projects. Each replica ends equal to the database;
   * returns, per round and subscriber, what the subscriber got beside the feed, as text.
   */
  private List<String> loadWhileWriting(Two two, int rounds) throws Exception {
    Recorder fromA = new Recorder();
    Recorder fromB = new Recorder();
    cancelling(two.ra.subscribe(fromA::accept));
    cancelling(two.rb.subscribe(fromB::accept));
    Recorder fromDatabase = new Recorder();
    cancelling(two.a.subscribe(fromDatabase::accept));
    List<String> missed = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      String p = "loaded ✓ " + round + " " + PROJECTS.get(1);
      List<Backup> backups = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        backups.add(backup(p, "l-" + i, i, i + 1, Tag.of("env", i % 2 == 0 ? "prod" : "dev")));
      }
      two.a.load(new io.csbs.catalog.ProjectSnapshot(p, 41, Quota.NONE, backups));
      List<Outcome> o = race(() -> {
        for (int i = 0; i < 10; i++) {
          two.b.apply(p, "l-" + i, 1, Transition.restore());
        }
        return null;
      }, () -> {
        for (int i = 10; i < 20; i++) {
          two.b.remove(p, "l-" + i, 1);
        }
        return null;
      });
      assertTrue(o.get(0).ok() && o.get(1).ok(), o.toString());
      assertEquals(61, two.checker.sequence(p));
      List<Change> feed = two.checker.changes(p, 0, 10_000);
      assertEquals(20, feed.size(), "the feed starts after the snapshot");
      assertEquals(42, feed.get(0).sequence());
      for (PostgresReplica r : List.of(two.ra, two.rb)) {
        assertTrue(r.awaitSequence(p, 61, WAIT), r.toString());
        assertEquals(all(two.checker, p), all(r, p), r + " holds the loaded project as the database does");
      }
      await("PostgresCatalog's subscriber gets change 61 of " + p, () -> fromDatabase.highest(p) >= 61);
      Map<Long, Change> distinct = new TreeMap<>();
      for (Change ch : fromDatabase.of(p)) {
        distinct.putIfAbsent(ch.sequence(), ch);
      }
      assertEquals(feed, new ArrayList<>(distinct.values()),
          p + ": PostgresCatalog.subscribe, subscribed before the load, delivers every change of the feed");
      for (Recorder s : List.of(fromA, fromB)) {
        await("a replica's subscriber gets change 61 of " + p, () -> s.highest(p) >= 61);
        List<Change> got = s.of(p);
        // whatever it got is a tail of the feed, each change once, in order, up to the last
        assertEquals(feed.subList(feed.size() - got.size(), feed.size()), got, p + ": a tail of the feed, once, in order");
        if (got.size() != feed.size()) {
          missed.add(p + " (" + (s == fromA ? "replica of A" : "replica of B") + "): got changes "
              + got.get(0).sequence() + " to 61 only, not 42 to 61");
        }
      }
    }
    return missed;
  }

  /**
   * A data source that runs {@code hook} once, when armed, as a connection prepares the statement that reads one
   * project's head ({@code ... FROM csbs_project WHERE project_id = ?}): there, another instance commits a change,
   * deterministically between a replica's look at the feed and its snapshot of a project it meets.
   */
  private static final class HookedDataSource extends DelegatingDataSource {
    final AtomicBoolean armed = new AtomicBoolean();
    final AtomicBoolean fired = new AtomicBoolean();
    volatile Runnable hook;

    HookedDataSource(DataSource target) {
      super(target);
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection real = target.getConnection();
      return (Connection) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {Connection.class}, (proxy, method, args) -> {
            if (method.getName().equals("prepareStatement") && args != null && args[0] instanceof String sql
                && sql.startsWith("SELECT project_id, last_sequence, backups,") && sql.contains("WHERE project_id = ?")
                && armed.compareAndSet(true, false)) {
              hook.run();
              fired.set(true);
            }
            try {
              return method.invoke(real, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }
  }

  /**
   * A project loaded elsewhere (a snapshot at change 41) that a replica meets while another instance commits change 42
   * between the replica's look at the feed (empty) and its snapshot: what the replica's subscriber got of it.
   */
  private List<Change> loadMetWhileAChangeCommits(String p) throws Exception {
    PostgresCatalog checker = catalog(pool(CHECKER, 3));
    HookedDataSource hooked = new HookedDataSource(pool(VICTIM, 4));
    PostgresCatalog a = catalog(hooked);
    PostgresCatalog b = catalog(pool(VICTIM, 4));
    PostgresReplica ra = replica(a);
    Recorder got = new Recorder();
    cancelling(ra.subscribe(got::accept));
    hooked.hook = () -> b.apply(p, "l-0", 1, Transition.restore());
    hooked.armed.set(true);
    checker.load(new io.csbs.catalog.ProjectSnapshot(p, 41, Quota.NONE,
        List.of(backup(p, "l-0", 1, 1), backup(p, "l-1", 2, 2))));
    await("the replica meets the loaded project", () -> ra.sequence(p) >= 41);
    assertTrue(hooked.fired.get(), "the change was committed as the replica read the project's head");
    assertTrue(ra.awaitSequence(p, 42, WAIT));
    assertEquals(all(checker, p), all(ra, p), "the replica holds the project as the database does");
    b.apply(p, "l-1", 1, Transition.delete());   // change 43, after the replica holds the project
    assertTrue(ra.awaitSequence(p, 43, WAIT));
    await("the replica's subscriber gets change 43", () -> got.highest(p) >= 43);
    return got.of(p);
  }

  @Test
  void aReplicaSubscriberGetsEveryChangeOfAProjectLoadedElsewhereEvenOneCommittedAsTheReplicaMeetsIt() throws Exception {
    String p = "met while changing ✓";
    List<Change> got = loadMetWhileAChangeCommits(p);
    assertEquals(List.of(42L, 43L), got.stream().map(Change::sequence).toList(),
        "changes 42 and 43 were committed after the subscription");
  }

  @Test
  void aProjectLoadedThroughOneInstanceWhileAnotherWritesReachesEveryReplicaSubscriberWhole() throws Exception {
    assertEquals(List.of(), loadWhileWriting(new Two(), 15), "changes committed after the subscription but never delivered");
  }

  @Test
  void aProjectLoadedThroughOneInstanceWhileAnotherWritesReachesEveryReplicaAndATailOfItsFeedItsSubscribers()
      throws Exception {
    List<String> missed = loadWhileWriting(new Two(), 6);
    System.out.println("NewUserConcurrentDbTest: replica subscribers that missed the first changes of a loaded project: "
        + missed);
  }

  // ====================================================================== the first change of a new project, from two instances

  @Test
  void twoInstancesAddingTheFirstBackupsOfANewProjectAtOnceBothCommit() throws Exception {
    Two two = new Two();
    for (int round = 0; round < 12; round++) {
      String p = "new-" + round + "-ñ";
      Backup x = backup(p, "x", 1, 1, Tag.of("env", "a"));
      Backup y = backup(p, "y", 2, 2, Tag.of("env", "b"));
      List<BackupCatalog> pair = two.pairs().get(round % 2);
      List<Outcome> o = race(() -> {
        pair.get(0).add(x);
        return x;
      }, () -> {
        pair.get(1).add(y);
        return y;
      });
      String where = two.name(pair.get(0)) + " and " + two.name(pair.get(1)) + " add the first backups of " + p + ": " + o;
      assertTrue(o.get(0).ok() && o.get(1).ok(), where + ": two adds of different ids both commit");
      assertEquals(2, two.checker.sequence(p), where);
      assertEquals(Map.of("x", x, "y", y), all(two.checker, p), where);
    }
  }

  @Test
  void aQuotaAndAnAddOnANewProjectFromTwoInstancesAtOnceBothTakeEffect() throws Exception {
    Two two = new Two();
    for (int round = 0; round < 12; round++) {
      String p = "quota-new-" + round;
      Backup x = backup(p, "x", 1, 1);
      List<Outcome> o = race(() -> {
        two.a.setQuota(p, Quota.of(5, 5));
        return null;
      }, () -> {
        two.b.add(x);
        return x;
      });
      String where = "round " + round + ": " + o;
      assertTrue(o.get(0).ok() && o.get(1).ok(), where + ": a quota set and an add that fits it both succeed");
      assertEquals(Quota.of(5, 5), two.checker.quotaUsage(p).quota(), where);
      assertEquals(1, two.checker.quotaUsage(p).backupsUsed(), where);
      assertEquals(1, two.checker.sequence(p), where);
    }
  }

  @Test
  void twoInstancesLoadingTheSameNewProjectAtOnceLoadItOnceAndTheOtherIsRefused() throws Exception {
    Two two = new Two();
    for (int round = 0; round < 10; round++) {
      String p = "load-race-" + round;
      io.csbs.catalog.ProjectSnapshot first = new io.csbs.catalog.ProjectSnapshot(p, 7, Quota.NONE,
          List.of(backup(p, "one", 1, 1)));
      io.csbs.catalog.ProjectSnapshot second = new io.csbs.catalog.ProjectSnapshot(p, 9, Quota.of(3, 3),
          List.of(backup(p, "two", 2, 2), backup(p, "three", 3, 3)));
      List<Outcome> o = race(() -> {
        two.a.load(first);
        return first;
      }, () -> {
        two.b.load(second);
        return second;
      });
      String where = "round " + round + ": " + o;
      assertEquals(1, o.stream().filter(Outcome::ok).count(), where + ": exactly one load");
      assertTrue(loser(o).thrown() instanceof IllegalStateException
          && !(loser(o).thrown() instanceof CatalogDatabaseException),
          where + ": the other is refused with an IllegalStateException (the project has backups)");
      io.csbs.catalog.ProjectSnapshot won = (io.csbs.catalog.ProjectSnapshot) winner(o).value();
      assertEquals(won.sequence(), two.checker.sequence(p), where);
      assertEquals(won.backups().size(), two.checker.count(p, Predicates.all()), where);
      assertEquals(won.quota(), two.checker.quotaUsage(p).quota(), where);
    }
  }

  @Test
  void aLoadRacingAnAddOnANewProjectEndsAsOneOrTheOtherCameFirst() throws Exception {
    Two two = new Two();
    for (int round = 0; round < 10; round++) {
      String p = "load-add-" + round;
      io.csbs.catalog.ProjectSnapshot snapshot = new io.csbs.catalog.ProjectSnapshot(p, 5, Quota.NONE,
          List.of(backup(p, "loaded", 1, 1)));
      Backup added = backup(p, "added", 2, 2);
      List<Outcome> o = race(() -> {
        two.a.load(snapshot);
        return "loaded";
      }, () -> {
        two.b.add(added);
        return "added";
      });
      String where = "round " + round + ": " + o;
      assertTrue(o.get(1).ok(), where + ": the add commits, before or after the load");
      if (o.get(0).ok()) {
        assertEquals(6, two.checker.sequence(p), where + ": the load first, then the add as change 6");
        assertEquals(2, two.checker.count(p, Predicates.all()), where);
      } else {
        assertTrue(o.get(0).thrown() instanceof IllegalStateException
            && !(o.get(0).thrown() instanceof CatalogDatabaseException), where + ": a load after the add is refused");
        assertEquals(1, two.checker.sequence(p), where);
        assertEquals(1, two.checker.count(p, Predicates.all()), where);
      }
    }
  }

  // ====================================================================== two instances, two clocks

  /** Instance "ahead" reads a clock 1.5 s ahead of instance "behind": two machines of one service. */
  private List<PostgresCatalog> skewedInstances() {
    PostgresCatalog ahead = closing(PostgresCatalog.builder(pool(VICTIM, 3))
        .clock(Clock.offset(CLOCK, Duration.ofMillis(1500))).pollInterval(Duration.ofMillis(50)).build());
    PostgresCatalog behind = catalog(pool(VICTIM, 3));
    return List.of(ahead, behind);
  }

  @Test
  void anInstanceWhoseClockIsBehindIsRefusedNamingNowAndChangesNothing() {
    List<PostgresCatalog> two = skewedInstances();
    PostgresCatalog checker = catalog(pool(CHECKER, 2));
    String p = PROJECTS.get(0);
    two.get(1).add(backup(p, "skew-1", 10, 1));
    Backup restoring = two.get(0).apply(p, "skew-1", 1, Transition.restore()).orElseThrow();
    long sequence = checker.sequence(p);
    for (Transition t : List.of(Transition.complete(), Transition.reportProgress(40), Transition.fail("x"))) {
      try {
        two.get(1).apply(p, "skew-1", restoring.version(), t);
        fail(t + " through the instance whose clock is behind");
      } catch (io.csbs.backup.InvalidValueException e) {
        assertEquals("now", e.field(), t + ": " + e.getMessage());
      }
    }
    try {
      two.get(1).updateTags(p, "skew-1", restoring.version(), TagUpdate.create(Tag.of("env", "x")));
      fail("a tag update through the instance whose clock is behind");
    } catch (io.csbs.backup.InvalidValueException e) {
      assertEquals("now", e.field(), "as updateTags' javadoc says: " + e.getMessage());
    }
    assertEquals(restoring, checker.get(p, "skew-1"), "nothing changed");
    assertEquals(sequence, checker.sequence(p), "nothing changed");
    // a removal reads no clock: it goes through
    two.get(1).remove(p, "skew-1", restoring.version());
    assertEquals(Optional.empty(), checker.find(p, "skew-1"));
  }

  // ====================================================================== subscribers that write, quotas racing

  @Test
  void subscribersOfBothReplicasThatCompleteEveryRestoreRaceAndEachRestoreCompletesOnce() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(1);
    List<String> problems = new CopyOnWriteArrayList<>();
    AtomicInteger completions = new AtomicInteger();
    AtomicInteger conflicts = new AtomicInteger();
    for (PostgresReplica r : List.of(two.ra, two.rb)) {
      cancelling(r.subscribe(change -> {
        Optional<Backup> after = change.after();
        if (!change.projectId().equals(p) || after.isEmpty() || after.get().status() != BackupStatus.RESTORING) {
          return;
        }
        try {
          r.apply(p, change.backupId(), after.get().version(), Transition.complete());
          completions.incrementAndGet();
        } catch (VersionConflictException | BackupNotFoundException e) {
          conflicts.incrementAndGet();   // the other replica's subscriber (or a writer) was first
        } catch (RuntimeException | Error e) {
          problems.add(r + " completing " + change.backupId() + ": " + e);
        }
      }));
    }
    int n = 20;
    for (int i = 0; i < n; i++) {
      two.checker.add(backup(p, "job-" + i, 1, 1));
    }
    List<Outcome> o = race(() -> {
      for (int i = 0; i < n; i += 2) {
        two.a.apply(p, "job-" + i, 1, Transition.restore());
      }
      return null;
    }, () -> {
      for (int i = 1; i < n; i += 2) {
        two.b.apply(p, "job-" + i, 1, Transition.restore());
      }
      return null;
    });
    assertTrue(o.get(0).ok() && o.get(1).ok(), o.toString());
    await("every restore completed by a replica's subscriber",
        () -> two.checker.count(p, Predicates.status(BackupStatus.AVAILABLE)) == n);
    // the last completion is committed (and seen above) before its apply returns and is counted
    await("every completing subscriber's apply returned (" + n + " completions)", () -> completions.get() >= n);
    assertEquals(List.of(), problems);
    assertEquals(n, completions.get(), "each restore completed once (" + conflicts + " conflicts)");
    assertEquals(3L * n, two.checker.sequence(p), "an add, a restore and one completion a backup");
    for (int i = 0; i < n; i++) {
      assertEquals(3, two.checker.get(p, "job-" + i).version());
    }
    checkFeedFolds(two, p);
  }

  @Test
  void quotasSetAtOnceThroughTwoReplicasEndTheSameEverywhere() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(2);
    two.checker.add(backup(p, "q", 1, 1));
    for (int round = 0; round < 10; round++) {
      Quota qa = Quota.of(100 + round, 7);
      Quota qb = Quota.of(200 + round, 9);
      List<Outcome> o = race(() -> {
        two.ra.setQuota(p, qa);
        return qa;
      }, () -> {
        two.rb.setQuota(p, qb);
        return qb;
      });
      assertTrue(o.get(0).ok() && o.get(1).ok(), o.toString());
      Quota last = two.checker.quotaUsage(p).quota();
      assertTrue(last.equals(qa) || last.equals(qb), "round " + round + ": " + last);
      for (PostgresReplica r : List.of(two.ra, two.rb)) {
        r.catchUp(p);
        assertEquals(last, r.quotaUsage(p).quota(), "round " + round + ": " + r + " after catchUp has the database's quota");
      }
    }
  }

  // ====================================================================== a long read beside writers

  @Test
  void writersOfTheSameAndAnotherInstanceDoNotWaitForALongReadWhichKeepsItsState() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(3);
    for (int i = 0; i < 5; i++) {
      two.checker.add(backup(p, "r-" + i, 10 + i, 1 + i));
    }
    ExecutorService writers = Executors.newFixedThreadPool(2);
    try {
      List<Object> inside = two.a.read(p, view -> {
        Page before = view.query(Query.all());
        long sequenceBefore = view.sequence();
        try {
          // while the read is open: a writer on another thread of the SAME instance, and one of the other instance
          Future<?> same = writers.submit(() -> {
            for (int i = 0; i < 5; i += 2) {
              two.a.apply(p, "r-" + i, 1, Transition.restore());
            }
            two.a.add(backup(p, "r-new-a", 1, 1));
            return null;
          });
          Future<?> other = writers.submit(() -> {
            for (int i = 1; i < 5; i += 2) {
              two.b.remove(p, "r-" + i, 1);
            }
            two.b.add(backup(p, "r-new-b", 1, 1));
            return null;
          });
          same.get(30, TimeUnit.SECONDS);
          other.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          fail("a writer waited 30 s for an open read(...): \"writers go on (they do not wait for it)\"");
        } catch (Exception e) {
          throw new AssertionError("a writer beside an open read failed", e);
        }
        return List.of(before, sequenceBefore, view.query(Query.all()), view.sequence(), view.count(Predicates.all()));
      });
      assertEquals(inside.get(0), inside.get(2), "the view keeps its state while writers commit");
      assertEquals(inside.get(1), inside.get(3), "the view's sequence stays");
      assertEquals(5L, inside.get(4), "the view's count stays");
      assertEquals(5L + 3 + 1 + 2 + 1, two.checker.sequence(p), "the writes committed");
    } finally {
      writers.shutdownNow();
    }
  }

  @Test
  void aWriteThroughAReplicaFromAnotherThreadWhileItsReadIsOpenIsNotRefusedAndLandsAfterIt() throws Exception {
    Two two = new Two();
    String p = PROJECTS.get(0);
    two.ra.add(backup(p, "rr-1", 10, 1));
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      Future<Optional<Backup>>[] pending = new Future[1];
      Page seen = two.ra.read(p, view -> {
        pending[0] = writer.submit(() -> two.ra.apply(p, "rr-1", 1, Transition.restore()));
        try {
          Thread.sleep(300);   // the write may commit in the database meanwhile; the view does not show it
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return view.query(Query.all());
      });
      assertEquals(BackupStatus.AVAILABLE, seen.backups().get(0).status(), "the view does not see the write");
      Optional<Backup> written;
      try {
        written = pending[0].get(30, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        fail("a write through the replica hangs for 30 s after the read returned");
        return;
      } catch (java.util.concurrent.ExecutionException e) {
        fail("a write from another thread while a read of the replica was open was refused: only the reading thread "
            + "may not change: " + e.getCause());
        return;
      }
      assertEquals(written, two.ra.find(p, "rr-1"), "the writer reads its own write when it returns");
    } finally {
      writer.shutdownNow();
    }
  }

  // ====================================================================== a closed replica

  @Test
  void aClosedReplicaStillWritesThroughAndCatchesUpWhenAsked() {
    Two two = new Two();
    String p = PROJECTS.get(0);
    two.ra.add(backup(p, "closed-1", 10, 1));
    two.ra.close();
    two.ra.add(backup(p, "closed-0", 10, 1));   // neither refused nor kept out of the database
    assertTrue(two.checker.find(p, "closed-0").isPresent());
    two.b.add(backup(p, "closed-2", 10, 1));
    assertTrue(two.ra.awaitSequence(p, two.checker.sequence(p), WAIT), "awaitSequence still catches up");
    assertTrue(two.ra.find(p, "closed-2").isPresent());
    assertEquals(3, two.ra.sequence(p));
  }

  // ====================================================================== connections held between calls

  /** The server sessions of {@code application}, and what each runs or ran last. */
  private static List<String> sessions(String application) {
    List<String> found = new ArrayList<>();
    try (Connection admin = TestDatabase.plain().getConnection(); Statement st = admin.createStatement();
        var rows = st.executeQuery("SELECT state || ': ' || query FROM pg_stat_activity WHERE application_name = '"
            + application + "'")) {
      while (rows.next()) {
        found.add(rows.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return found;
  }

  /** An unpooled data source: every connection the catalog holds is a server session of {@code application}. */
  private static DataSource unpooled(String application) {
    TestDatabase.dataSource(STORE);
    PGSimpleDataSource ds = TestDatabase.plain();
    ds.setCurrentSchema("csbs_test_" + STORE + ",public");
    ds.setApplicationName(application);
    return ds;
  }

  @Test
  void aSubscribedCatalogHoldsAListeningConnectionUntilClosedWhichAPoolOfOneCannotSpare() throws Exception {
    String application = "concurrent-db-held-2";
    PostgresCatalog db = catalog(unpooled(application));
    db.sequence(PROJECTS.get(0));
    assertEquals(List.of(), sessions(application), "no subscription: nothing held");
    db.subscribe(change -> { }).cancel();
    await("the LISTEN connection", () -> sessions(application).stream().anyMatch(q -> q.contains("LISTEN")));
    Thread.sleep(300);
    assertTrue(sessions(application).stream().anyMatch(q -> q.contains("LISTEN")),
        "still held after the subscription was cancelled: " + sessions(application));
    db.close();
    await("the LISTEN connection closed with the catalog", () -> sessions(application).isEmpty());

    // so a pool of one connection, which "holds no connection between calls" would allow, starves the catalog
    TestDatabase.dataSource(STORE);
    PGSimpleDataSource ds = TestDatabase.plain();
    ds.setCurrentSchema("csbs_test_" + STORE + ",public");
    HikariConfig config = new HikariConfig();
    config.setDataSource(ds);
    config.setMaximumPoolSize(1);
    config.setConnectionTimeout(1000);
    config.setPoolName("concurrent-db-one");
    HikariDataSource one = closing(new HikariDataSource(config));
    PostgresCatalog starved = catalog(one);
    starved.sequence(PROJECTS.get(0));
    starved.subscribe(change -> { });
    await("the listener takes the pool's only connection", () -> one.getHikariPoolMXBean().getActiveConnections() == 1
        && one.getHikariPoolMXBean().getIdleConnections() == 0);
    Thread.sleep(300);
    CatalogDatabaseException e = org.junit.jupiter.api.Assertions.assertThrows(CatalogDatabaseException.class,
        () -> starved.sequence(PROJECTS.get(0)), "the listener holds the pool's only connection");
    System.out.println("pool of one: " + e.getMessage() + " retryable " + e.isRetryable());
  }

  @Test
  void awaitingASequenceOfAProjectAnotherInstanceIsCreatingReturnsOnceItIsReached() throws Exception {
    Two two = new Two();
    String p = "awaited ✓ " + PROJECTS.get(2);
    List<Outcome> o = race(() -> two.ra.awaitSequence(p, 3, WAIT), () -> {
      Thread.sleep(200);
      for (int i = 0; i < 3; i++) {
        two.b.add(backup(p, "aw-" + i, 1, 1));
      }
      return null;
    });
    assertTrue(o.get(1).ok(), o.toString());
    assertEquals(Boolean.TRUE, o.get(0).value(), "awaitSequence of a project made meanwhile: " + o);
    assertEquals(3, two.ra.count(p, Predicates.all()));
  }

  // ====================================================================== a busy pool

  /** Runs {@code call} on a catalog whose pool of one connection another user holds: what it throws. */
  private CatalogDatabaseException failureOfABusyPool(java.util.function.Consumer<PostgresCatalog> call)
      throws Exception {
    TestDatabase.dataSource(STORE);
    PGSimpleDataSource ds = TestDatabase.plain();
    ds.setCurrentSchema("csbs_test_" + STORE + ",public");
    HikariConfig config = new HikariConfig();
    config.setDataSource(ds);
    config.setMaximumPoolSize(1);
    config.setConnectionTimeout(250);
    config.setPoolName("concurrent-db-busy-" + toClose.size());
    HikariDataSource pool = closing(new HikariDataSource(config));
    PostgresCatalog db = catalog(pool);
    db.sequence(PROJECTS.get(0));   // schema checked
    CatalogDatabaseException failure;
    try (Connection held = pool.getConnection()) {   // another writer of the service has the pool's only connection
      failure = org.junit.jupiter.api.Assertions.assertThrows(CatalogDatabaseException.class, () -> call.accept(db));
    }
    call.accept(db);   // the same call succeeds once the connection is back: the failure was transient
    return failure;
  }

  @Test
  void aCallThatTimesOutWaitingForAPooledConnectionIsRetryable() throws Exception {
    String p = PROJECTS.get(1);
    CatalogDatabaseException e = failureOfABusyPool(db -> db.add(backup(p, "busy-" + System.nanoTime(), 1, 1)));
    assertTrue(e.isRetryable(), "a connection not available in time is transient: " + e.getMessage());
  }

}
