package io.csbs.postgres;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectStats;
import io.csbs.catalog.ProjectView;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An in-memory csbs catalog that follows a {@link PostgresCatalog}: it loads a consistent snapshot of
 * every project, then applies the database's change feed in order, project by project, so that
 * every instance of a service answers the console's searches at in-memory speed while the database
 * keeps the truth.
 *
 * <pre>{@code
 * PostgresCatalog database = PostgresCatalog.create(dataSource, clock);
 * try (PostgresReplica replica = PostgresReplica.start(database)) {
 *   replica.apply("project-1", id, version, Transition.delete());  // written to the database, then applied here
 *   Page page = replica.query("project-1", query);                  // answered from memory, sees the change
 * }
 * }</pre>
 *
 * <p><b>Reads</b> answer from memory, like {@link Catalogs#indexed}: a replica is at most a poll
 * interval behind the database (less when notifications wake it), and never shows half of a change.
 * One thread follows every project in turn, and a change waits for the reads of its project to end
 * ({@link #read} included), so a long read of one project holds up the following of the others too;
 * {@link #awaitSequence} of another project still brings that one up to date meanwhile.
 * Each project's {@link #sequence} says which change it has reached. A batch ({@link #addAll})
 * written elsewhere is one transaction in the database but one change a backup in the feed: a
 * replica may show part of it, a whole change at a time, until it has applied the rest.
 *
 * <p><b>Writes</b> go to the database, with its checks, quotas and refusals; then the replica
 * catches up with the project before returning, so that the writer reads its own write. A write
 * that committed returns, even if the database fails while the replica reads it back, or the
 * read-back meets an earlier change this replica cannot read (one written by a newer version of the
 * library, during a rolling upgrade): the write then shows here once the replica can follow again;
 * a write that throws is refused or failed as {@link PostgresCatalog}'s does. A change
 * made elsewhere (another instance, another replica) arrives by the feed; to read it at once, call
 * {@link #awaitSequence} with the sequence of that change, or {@link #catchUp}.
 *
 * <p>{@link #subscribe} delivers the changes as the replica applies them, numbered as the
 * database numbered them: every change of the feed committed after the subscription, also in a
 * project the replica meets only then (one another instance {@linkplain #load loaded}: the replica
 * loads it as it was before the feed's first change, then replays the feed; a project met with more
 * than 10,000 changes since its load comes loaded as it is, those changes not delivered). A replica that stopped ({@link #close}) is not resumed: start a new one,
 * which loads the database's current state.
 */
public final class PostgresReplica implements BackupCatalog, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(PostgresReplica.class.getName());
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final int BATCH = 1000;
  /** The most changes a replica undoes to deliver the changes of a project it meets after its load elsewhere. */
  private static final int MOST_UNDONE = 10_000;
  /** Threads of the catch-ups awaitSequence waits for at most its timeout; idle ones end after a minute. */
  private static final ExecutorService CATCH_UP_THREADS = Executors.newCachedThreadPool(task -> {
    Thread thread = new Thread(task, "csbs-replica-catch-up-" + THREADS.incrementAndGet());
    thread.setDaemon(true);
    return thread;
  });

  private final PostgresCatalog database;
  private final BackupCatalog memory;
  /** One lock a project: its snapshot load and its catch-up never run twice at once. */
  private final ConcurrentHashMap<String, Object> projectLocks = new ConcurrentHashMap<>();
  /** The version of each project's quota applied here; a quota only replaces an older one. */
  private final ConcurrentHashMap<String, Long> quotaVersions = new ConcurrentHashMap<>();
  /** Each project's catch-up under way for awaitSequence: its callers wait for one, not one each. */
  private final ConcurrentHashMap<String, CompletableFuture<Long>> catchUps = new ConcurrentHashMap<>();
  private final ThreadLocal<String> reading = new ThreadLocal<>();
  private final Object signal = new Object();
  private final Runnable waker = this::wake;
  private final Thread follower;
  private boolean woken;
  private volatile boolean closed;

  private PostgresReplica(PostgresCatalog database) {
    this.database = database;
    this.memory = Catalogs.builder().clock(database.clock()).stallRule(database.stallRule()).build();
    this.follower = new Thread(this::follow, "csbs-replica-" + THREADS.incrementAndGet());
    this.follower.setDaemon(true);
  }

  /**
   * A replica of {@code database}, loaded before this returns (each project from one snapshot) and
   * following the change feed from then on, on a thread of its own.
   *
   * @param database the catalog the replica follows and writes through
   * @return the replica, loaded
   * @throws CatalogDatabaseException if the database cannot be read
   */
  public static PostgresReplica start(PostgresCatalog database) {
    requireNonNull(database, "database");
    PostgresReplica replica = new PostgresReplica(database);
    for (PostgresCatalog.ProjectState project : database.projects()) {
      replica.sync(project, true);
    }
    database.addWaker(replica.waker);
    replica.follower.start();
    return replica;
  }

  /**
   * Waits until the replica has applied the project's change {@code sequence} (catching up at once
   * rather than at the next poll), or until {@code timeout} passes: also when the database is slow to
   * answer (a lock held on its tables, a slow network), the catch-up then going on in the background.
   *
   * <pre>{@code
   * long written = database.sequence("project-1");         // after a change made elsewhere
   * replica.awaitSequence("project-1", written, Duration.ofSeconds(1));
   * }</pre>
   *
   * <p>A subscriber of this replica may call it (it then catches up on the subscriber's thread, again
   * until the timeout passes). Inside a {@link #read} of the project nothing can be applied until the
   * read ends: it answers whether the sequence was reached once the timeout passes.
   *
   * @param projectId the project
   * @param sequence the change the replica must have applied
   * @param timeout how long to wait at most
   * @return whether the replica reached {@code sequence}
   * @throws CatalogDatabaseException if the database cannot be read (refusing connections, for
   *     example) before the timeout passes
   * @throws IllegalStateException if the feed holds a change of the project this replica cannot read
   *     or apply (one written by a newer version of the library, during a rolling upgrade)
   */
  public boolean awaitSequence(String projectId, long sequence, Duration timeout) {
    PostgresCatalog.requireProject(projectId);
    requireNonNull(timeout, "timeout");
    long start = System.nanoTime();
    long most = saturatedNanos(timeout);
    Object projectLock = projectLocks.get(projectId);
    if (projectLock != null && Thread.holdsLock(projectLock)) {
      // called back from inside this project's catch-up (by a subscriber): a thread of its own would
      // wait for this one's lock, so catch up here, again until the timeout passes
      while (catchUpHere(projectId) < sequence) {
        long left = most - (System.nanoTime() - start);
        if (left <= 0 || !pause(Math.min(left, TimeUnit.MILLISECONDS.toNanos(5)))) {
          return memory.sequence(projectId) >= sequence;
        }
      }
      return true;
    }
    while (memory.sequence(projectId) < sequence) {
      // the catch-up reads the database, which may block (a lock, a slow network): it runs on a thread
      // of its own, so that this caller waits for it no longer than its timeout
      CompletableFuture<Long> catching = catchUps.computeIfAbsent(projectId,
          p -> CompletableFuture.supplyAsync(() -> catchUpHere(p), CATCH_UP_THREADS));
      catching.whenComplete((reached, failure) -> catchUps.remove(projectId, catching));
      try {
        catching.get(Math.max(0, most - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        return memory.sequence(projectId) >= sequence;
      } catch (ExecutionException e) {
        throw rethrown(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return memory.sequence(projectId) >= sequence;
      }
      if (memory.sequence(projectId) >= sequence) {
        break;
      }
      if (System.nanoTime() - start >= most) {
        return false;
      }
      if (!pause(TimeUnit.MILLISECONDS.toNanos(5))) {
        return memory.sequence(projectId) >= sequence;
      }
    }
    return true;
  }

  /** Waits for a notification or {@code nanos}; false if interrupted (the interrupt kept). */
  private boolean pause(long nanos) {
    synchronized (signal) {
      try {
        TimeUnit.NANOSECONDS.timedWait(signal, nanos);
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  private static long saturatedNanos(Duration timeout) {
    try {
      return Math.max(0, timeout.toNanos());
    } catch (ArithmeticException e) {
      return timeout.isNegative() ? 0 : Long.MAX_VALUE;
    }
  }

  /** The failure of a catch-up, thrown on the caller's thread as it was thrown on the catch-up's. */
  private static RuntimeException rethrown(Throwable failure) {
    if (failure instanceof RuntimeException) {
      return (RuntimeException) failure;
    }
    if (failure instanceof Error) {
      throw (Error) failure;
    }
    return new IllegalStateException("the replica's catch-up failed", failure);
  }

  /**
   * Applies every change the database has committed for the project so far, and its quota.
   *
   * @param projectId the project
   * @return the project's sequence the replica reached
   * @throws CatalogDatabaseException if the database cannot be read
   * @throws IllegalStateException inside {@link #read}, whose project it would change (as a write
   *     would); or if the feed holds a change of the project this replica cannot read or apply (one
   *     written by a newer version of the library, during a rolling upgrade)
   */
  public long catchUp(String projectId) {
    PostgresCatalog.requireProject(projectId);
    refuseInsideRead("catchUp is refused inside read(%s, ...): call it after it returns");
    return catchUpHere(projectId);
  }

  private long catchUpHere(String projectId) {
    PostgresCatalog.ProjectState project = database.project(projectId);
    if (project != null) {
      sync(project, false);
    }
    return memory.sequence(projectId);
  }

  /**
   * Stops following the database; reads go on answering from the state reached (a change the
   * following thread was applying as this is called may still land: close does not wait for it, as
   * that thread may wait for a read of the caller's). Writes still go to
   * the database and show here once they return, and {@link #awaitSequence} and {@link #catchUp}
   * still bring the replica up to the database when asked: only the following in the background
   * stops.
   */
  @Override
  public void close() {
    closed = true;
    database.removeWaker(waker);
    wake();
  }

  // ---------------------------------------------------------------- following

  private void follow() {
    boolean failing = false;
    Set<String> stuck = new HashSet<>();  // projects whose changes this replica could not apply
    while (!closed) {
      try {
        for (PostgresCatalog.ProjectState project : database.projects()) {
          if (closed) {
            return;
          }
          try {
            sync(project, false);
            Thread.interrupted();  // an interrupt a subscriber left: see the wait below
            if (stuck.remove(project.projectId())) {
              LOG.log(System.Logger.Level.INFO, "replica: following project " + project.projectId() + " again");
            }
          } catch (CatalogDatabaseException e) {
            throw e;  // the database is away: every project waits
          } catch (RuntimeException e) {
            // a change it cannot read or apply holds up its own project only, logged once
            LOG.log(stuck.add(project.projectId()) ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                "replica: cannot follow project " + project.projectId() + " at its change "
                    + (memory.sequence(project.projectId()) + 1) + "; the other projects go on", e);
          }
        }
        if (failing) {
          failing = false;
          LOG.log(System.Logger.Level.INFO, "replica: following the database again");
        }
      } catch (RuntimeException e) {
        // once an outage, not at every poll: a database away for minutes would fill the log
        LOG.log(failing ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
            "replica: cannot follow the database; retrying every " + database.pollInterval().toMillis() + " ms", e);
        failing = true;
      }
      synchronized (signal) {
        if (!woken && !closed) {
          try {
            signal.wait(database.pollInterval().toMillis());
          } catch (InterruptedException e) {
            // an interrupt left by a subscriber of the replica (called on this thread) that restored
            // it, as the idiom goes: only close stops the follower, so it goes on
          }
        }
        woken = false;
      }
    }
  }

  private void wake() {
    synchronized (signal) {
      woken = true;
      signal.notifyAll();
    }
  }

  /**
   * Brings one project up to {@code head}. A project the replica does not hold yet is loaded from a
   * snapshot when the replica starts, or when the feed does not hold all of it: the feed lacks its
   * first changes, or its changes up to {@code head} do not add up to the backups the project had
   * then (a project loaded from a snapshot in the database: at a sequence above 0 the feed starts
   * after it, at 0 it starts at 1 as any project's does); then, unless the replica is starting, the
   * snapshot is rolled back to just before the feed's first change, which is replayed from there;
   * otherwise every change comes from the feed; either way subscribers see each one.
   */
  private void sync(PostgresCatalog.ProjectState head, boolean starting) {
    String projectId = head.projectId();
    synchronized (projectLocks.computeIfAbsent(projectId, p -> new Object())) {
      long mine = memory.sequence(projectId);
      boolean unknown = mine == 0 && memory.count(projectId, Predicates.all()) == 0;
      if (unknown && (head.lastSequence() > 0 || head.backups() > 0)) {
        List<Change> first = starting ? List.of() : database.changes(projectId, 0, 1);
        if (first.isEmpty() || first.get(0).sequence() != 1
            || database.feedBalance(projectId, head.lastSequence()) != head.backups()) {
          PostgresCatalog.ProjectState before = database.project(projectId);
          ProjectSnapshot snapshot = database.snapshot(projectId);
          if (!starting && first.isEmpty()) {
            // the feed was empty when read, but a change committed since may be in the snapshot: read
            // the feed's start again, or that change would come folded into the load, past the subscribers
            first = database.changes(projectId, 0, 1);
          }
          // met after it started: subscribers get the feed's changes, replayed from before the first
          memory.load(first.isEmpty() ? snapshot : beforeFeed(snapshot, first.get(0).sequence()));
          if (before != null) {
            quota(projectId, snapshot.quota(), before.quotaVersion());
          }
        }
      }
      while (memory.sequence(projectId) < head.lastSequence()) {
        long position = memory.sequence(projectId);
        List<Change> changes = database.changes(projectId, position, BATCH);
        if (changes.isEmpty()) {
          break;
        }
        if (changes.get(0).sequence() != position + 1) {
          throw new IllegalStateException("replica cannot follow project " + projectId + ": changes "
              + (position + 1) + " to " + (changes.get(0).sequence() - 1) + " are not in the feed");
        }
        for (Change change : changes) {
          memory.replay(change);
        }
      }
      quota(projectId, head.quota(), head.quotaVersion());
    }
  }

  /**
   * The project as it was just before the feed's change {@code first}, from {@code snapshot} with
   * the feed's changes up to the snapshot's undone (each holds its backup before and after it); the
   * snapshot itself if the feed does not hold each of them as the snapshot has them, or holds more
   * than {@value #MOST_UNDONE} (then, as when a replica starts, they come folded into the load).
   */
  private ProjectSnapshot beforeFeed(ProjectSnapshot snapshot, long first) {
    long count = snapshot.sequence() - first + 1;
    if (count <= 0 || count > MOST_UNDONE) {
      return snapshot;
    }
    List<Change> changes = database.changes(snapshot.projectId(), first - 1, (int) count);
    if (changes.size() != count || changes.get(changes.size() - 1).sequence() != snapshot.sequence()) {
      return snapshot;
    }
    Map<String, Backup> backups = new HashMap<>();
    for (Backup backup : snapshot.backups()) {
      backups.put(backup.id(), backup);
    }
    for (int i = changes.size() - 1; i >= 0; i--) {
      Change change = changes.get(i);
      if (change.after().isPresent() && !change.after().get().equals(backups.remove(change.backupId()))) {
        return snapshot;
      }
      if (change.before().isPresent() && backups.put(change.backupId(), change.before().get()) != null) {
        return snapshot;
      }
    }
    return new ProjectSnapshot(snapshot.projectId(), first - 1, snapshot.quota(), new ArrayList<>(backups.values()));
  }

  /** Applies a quota read at {@code version} unless a newer one is applied already. */
  private void quota(String projectId, Quota quota, long version) {
    Long applied = quotaVersions.get(projectId);
    if (applied == null || version > applied) {
      if (!memory.quotaUsage(projectId).quota().equals(quota)) {
        memory.setQuota(projectId, quota);
      }
      quotaVersions.put(projectId, version);
    }
  }

  // ---------------------------------------------------------------- writes: to the database, then here

  /**
   * Catches up with a project after a write committed in the database. If the database fails now,
   * the write stands all the same (it is the database's truth: an exception would tell the writer
   * it did not happen, and a retry would be refused): the replica logs it and applies the change
   * when it next reaches the database, by the feed.
   */
  private void readBack(String projectId) {
    try {
      catchUpHere(projectId);
    } catch (RuntimeException e) {
      // the database away, or an earlier change this replica cannot read (a newer library's): the
      // write committed all the same
      LOG.log(System.Logger.Level.WARNING, "replica: a write to " + projectId + " committed, but reading it back failed;"
          + " it is applied when the replica can follow the project again", e);
      wake();
    }
  }

  @Override
  public void add(Backup backup) {
    refuseChangesInsideRead();
    database.add(backup);
    readBack(backup.projectId());
  }

  @Override
  public void addAll(Collection<Backup> backups) {
    refuseChangesInsideRead();
    database.addAll(backups);
    TreeSet<String> projects = new TreeSet<>();
    for (Backup backup : backups) {
      projects.add(backup.projectId());
    }
    for (String projectId : projects) {
      readBack(projectId);
    }
  }

  @Override
  public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
    refuseChangesInsideRead();
    Optional<Backup> next = database.apply(projectId, backupId, expectedVersion, transition);
    readBack(projectId);
    return next;
  }

  @Override
  public Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update) {
    refuseChangesInsideRead();
    Backup next = database.updateTags(projectId, backupId, expectedVersion, update);
    readBack(projectId);
    return next;
  }

  @Override
  public void remove(String projectId, String backupId, long expectedVersion) {
    refuseChangesInsideRead();
    database.remove(projectId, backupId, expectedVersion);
    readBack(projectId);
  }

  @Override
  public boolean replay(Change change) {
    refuseChangesInsideRead();
    boolean replayed = database.replay(change);
    readBack(change.projectId());
    return replayed;
  }

  @Override
  public void load(ProjectSnapshot snapshot) {
    refuseChangesInsideRead();
    database.load(snapshot);
    readBack(snapshot.projectId());
  }

  @Override
  public void setQuota(String projectId, Quota quota) {
    refuseChangesInsideRead();
    database.setQuota(projectId, quota);
    readBack(projectId);
  }

  private void refuseChangesInsideRead() {
    refuseInsideRead("changes are refused inside read(%s, ...): make them after it returns");
  }

  /** A read holds its project: a change or catch-up inside it would wait for it (or deadlock). */
  private void refuseInsideRead(String message) {
    String inside = reading.get();
    if (inside != null) {
      throw new IllegalStateException(String.format(Locale.ROOT, message, inside));
    }
  }

  // ---------------------------------------------------------------- reads: from memory

  @Override
  public Optional<Backup> find(String projectId, String backupId) {
    return memory.find(projectId, backupId);
  }

  @Override
  public Page query(String projectId, Query query) {
    return memory.query(projectId, query);
  }

  @Override
  public long count(String projectId, BackupPredicate predicate) {
    return memory.count(projectId, predicate);
  }

  @Override
  public TagCatalogue tagCatalogue(String projectId) {
    return memory.tagCatalogue(projectId);
  }

  /** The statistics of the replica's in-memory catalog: its indexes, reorganisations and lock. */
  @Override
  public ProjectStats stats(String projectId) {
    return memory.stats(projectId);
  }

  @Override
  public <T> T read(String projectId, Function<? super ProjectView, ? extends T> reads) {
    String outer = reading.get();
    reading.set(projectId);
    try {
      return memory.read(projectId, reads);
    } finally {
      if (outer == null) {
        reading.remove();
      } else {
        reading.set(outer);
      }
    }
  }

  @Override
  public Page queryAllProjects(Query query) {
    return memory.queryAllProjects(query);
  }

  @Override
  public long countAllProjects(BackupPredicate predicate) {
    return memory.countAllProjects(predicate);
  }

  @Override
  public UsageReport usage(String projectId, UsageQuery query) {
    return memory.usage(projectId, query);
  }

  @Override
  public QuotaUsage quotaUsage(String projectId) {
    return memory.quotaUsage(projectId);
  }

  @Override
  public long sequence(String projectId) {
    return memory.sequence(projectId);
  }

  /**
   * Delivers the changes the replica applies, in order within each project, numbered by the
   * database, as {@link BackupCatalog#subscribe} says: a subscriber that throws is logged and gets
   * the next change, not the same one again. A consumer that must not miss a change, across its
   * failures and restarts, follows the database itself: {@link PostgresCatalog#subscribe(java.util.Map,
   * Consumer)} delivers at least once and resumes after the positions it kept.
   */
  @Override
  public Subscription subscribe(Consumer<Change> subscriber) {
    return memory.subscribe(subscriber);
  }

  @Override
  public String toString() {
    return "PostgresReplica{of " + database + (closed ? ", closed" : "") + "}";
  }
}
