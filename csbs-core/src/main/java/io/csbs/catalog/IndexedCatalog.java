package io.csbs.catalog;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.TagUpdate;
import io.csbs.lifecycle.StallRule;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The indexed {@link BackupCatalog}: one {@link ProjectShard} per project, each with its own
 * read-write lock, so that projects never share a structure (nor a lock) and a query reads one
 * consistent state of its project.
 */
final class IndexedCatalog implements BackupCatalog {
  private final ConcurrentHashMap<String, ProjectShard> shards = new ConcurrentHashMap<>();
  /** {@link #shardsInProjectOrder()}'s last answer. */
  private volatile ProjectShard[] shardsInProjectOrder = new ProjectShard[0];
  private final Clock clock;
  private final StallRule stallRule;

  private final int minRebuildSlack;
  /** Runs the shards' reorganisations: a background thread, or the changing thread in tests. */
  private final java.util.concurrent.Executor reorganiser;
  /** The shards' pause after a reorganisation, and the time it is measured in: see ProjectShard.WRITERS_PAUSE. */
  private final int pauseFactor;
  private final java.util.function.LongSupplier nanoTime;
  /** Whether a shard's tail left past the slack during a pause is looked at again when the pause ends. */
  private final boolean wakesAtEndOfPause;
  private final ChangeLog changes = new ChangeLog();
  /** How many {@link #read} calls are running, so that other calls skip {@link #reading} while none is. */
  private final AtomicInteger consistentReads = new AtomicInteger();
  /** The project the current thread is inside {@link #read} of, or null. */
  private final ThreadLocal<String> reading = new ThreadLocal<>();
  /** What a project without backups reads as; never written. */
  private final ProjectShard noBackups = new ProjectShard("");
  /** See {@link #runOnceBetweenSteps}; null but in tests. */
  private Runnable betweenSteps;
  /** See {@link #runOnceBeforeUpdatesBehind}; null but in tests. */
  private Runnable beforeUpdatesBehind;

  IndexedCatalog(Clock clock, StallRule stallRule) {
    this(clock, stallRule, ProjectShard.MIN_REBUILD_SLACK, Reorganiser.BACKGROUND, ProjectShard.WRITERS_PAUSE,
        System::nanoTime, true);
  }

  /**
   * A catalog whose shards reorganise past {@code minRebuildSlack} out-of-order or removed rows, on
   * the thread whose change made it due, once that change is committed and its locks released: the
   * same answers at every step, whatever the timing, for tests.
   */
  IndexedCatalog(Clock clock, StallRule stallRule, int minRebuildSlack) {
    this(clock, stallRule, minRebuildSlack, Runnable::run);
  }

  /**
   * A catalog whose shards reorganise past {@code minRebuildSlack} rows, on {@code reorganiser}, as
   * soon as one is due (no {@linkplain ProjectShard#WRITERS_PAUSE pause} after the last).
   */
  IndexedCatalog(Clock clock, StallRule stallRule, int minRebuildSlack, java.util.concurrent.Executor reorganiser) {
    this(clock, stallRule, minRebuildSlack, reorganiser, 0, System::nanoTime);
  }

  /**
   * A catalog whose shards reorganise past {@code minRebuildSlack} rows, on {@code reorganiser}, and
   * after a reorganisation let their tail grow for {@code pauseFactor} times as long as it took, by
   * {@code nanoTime}, before the changes alone make another due ({@link ProjectShard#WRITERS_PAUSE}).
   */
  IndexedCatalog(Clock clock, StallRule stallRule, int minRebuildSlack, java.util.concurrent.Executor reorganiser,
      int pauseFactor, java.util.function.LongSupplier nanoTime) {
    this(clock, stallRule, minRebuildSlack, reorganiser, pauseFactor, nanoTime, false);
  }

  /**
   * Like the constructor above; {@code wakesAtEndOfPause}: whether a shard whose changes stopped
   * during a pause, past the slack, looks again when the pause ends, on its own (after that long in
   * real time: only for {@code nanoTime} of {@link System#nanoTime()}; a test that moves its own time
   * reads or changes the catalog instead).
   */
  IndexedCatalog(Clock clock, StallRule stallRule, int minRebuildSlack, java.util.concurrent.Executor reorganiser,
      int pauseFactor, java.util.function.LongSupplier nanoTime, boolean wakesAtEndOfPause) {
    this.wakesAtEndOfPause = wakesAtEndOfPause;
    this.clock = requireNonNull(clock, "clock");
    this.stallRule = requireNonNull(stallRule, "stallRule");
    this.minRebuildSlack = minRebuildSlack;
    this.reorganiser = requireNonNull(reorganiser, "reorganiser");
    this.pauseFactor = pauseFactor;
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
  }

  @Override
  public ProjectStats stats(String projectId) {
    return readShard(projectId, shard -> {
      ShardStats counts = shard.stats;
      // unknown, or met only by changes that were refused (a batch refused for another project's
      // duplicate) or by Quota.NONE: it holds nothing of its own, as before them (its counts, which
      // only grow, stay as counted: a refused change may have waited for the lock)
      long indexBytes = shard == noBackups || shard.neverHeldAnything() ? 0 : shard.estimatedIndexBytes();
      return new ProjectStats(projectId, shard.liveCount(), indexBytes, counts.reorganisations(),
          Duration.ofNanos(counts.reorganisationNanos()), Duration.ofNanos(counts.longestReorganisationNanos()),
          Duration.ofNanos(counts.longestSwapNanos()), Duration.ofNanos(counts.longestChangeHoldNanos()),
          counts.lockWaits(), Duration.ofNanos(counts.lockWaitNanos()));
    });
  }

  /** The lock of the project's shard (tests: a hold of the write lock as a change makes one). */
  ShardLock lockOf(String projectId) {
    return shards.get(projectId).lock;
  }

  /** How many reorganisations the project's shard has completed; 0 for a project without one. */
  long reorganisations(String projectId) {
    ProjectShard shard = shards.get(projectId);
    return shard == null ? 0 : shard.stats.reorganisations();
  }

  /** Whether the project's shard keeps its names in order, for sorts by name (tests: the walk by name ran). */
  boolean keepsNameOrder(String projectId) {
    ProjectShard shard = shards.get(projectId);
    return shard != null && shard.names().order() != null;
  }

  /** Whether the project's shard answers tag conjunctions by its distinct tag sets (tests: the guard did not turn them off). */
  boolean usesTagSets(String projectId) {
    ProjectShard shard = shards.get(projectId);
    return shard != null && inspect(shard, s -> s.tagSets().enabled());
  }

  /** How many row positions the project's shard uses, live or removed; 0 for a project without one. */
  int positions(String projectId) {
    return inspect(projectId, ProjectShard::size, 0);
  }

  /** The dead prefix of the project's shard (its first live sorted position); 0 for a project without one. */
  int deadPrefix(String projectId) {
    return inspect(projectId, ProjectShard::firstLive, 0);
  }

  /** The keys the project's shard keeps without a live row ({@link ProjectShard#deadKeys()}); 0 for none. */
  int deadKeys(String projectId) {
    return inspect(projectId, ProjectShard::deadKeys, 0);
  }

  /** The words the live, status and free tail bitmaps of the project's shard hold; 0 for a project without one. */
  long bitmapWords(String projectId) {
    return inspect(projectId, ProjectShard::bitmapWords, 0L);
  }

  /** What of the project's shard's counters disagrees with its bitmaps, or null ({@link ProjectShard#countersAgainstBits()}). */
  String countersAgainstBits(String projectId) {
    return inspect(projectId, ProjectShard::countersAgainstBits, null);
  }

  /** How many rows the project's shard holds out of order, in its tail; 0 for a project without one. */
  int tailRows(String projectId) {
    return inspect(projectId, s -> s.size() - s.sortedCount(), 0);
  }

  /**
   * Reads the project's shard under its read lock for a test ({@code withoutShard} for a project
   * without one), and unlike a read of the catalog does not look whether a reorganisation is due
   * after it: a test that waits for the catalog to reorganise on its own must not be the one that
   * makes it.
   */
  private <T> T inspect(String projectId, Function<ProjectShard, T> read, T withoutShard) {
    ProjectShard shard = shards.get(projectId);
    return shard == null ? withoutShard : inspect(shard, read);
  }

  /** {@link #inspect(String, Function, Object)} of a shard at hand. */
  private <T> T inspect(ProjectShard shard, Function<ProjectShard, T> read) {
    shard.lock.readLock().lock();
    try {
      return read.apply(shard);
    } finally {
      shard.lock.readLock().unlock();
    }
  }

  /** Whether a reorganisation of the project's shard has begun, past its claim: changes from now on are caught up. */
  boolean recordingChanges(String projectId) {
    ProjectShard shard = shards.get(projectId);
    return shard != null && inspect(shard, ProjectShard::recordingChanges);
  }

  /**
   * Runs {@code hook} after each slice of the copy of the project's reorganisations, with the first
   * position the copy has not reached, no lock held (null: none); the project must have a shard.
   */
  void betweenCopySlices(String projectId, java.util.function.IntConsumer hook) {
    shards.get(projectId).betweenCopySlices = hook;
  }

  /** Whether the project's shard is being reorganised now; false for a project without one. */
  boolean reorganising(String projectId) {
    ProjectShard shard = shards.get(projectId);
    return shard != null && shard.reorganising();
  }

  /**
   * Starts the shard's reorganisation if one is due and none runs; else, when only the pause after
   * the last one keeps the changes' tail from making one due, arranges to look again when it ends.
   * The caller holds no lock.
   */
  private void reorganiseIfDue(ProjectShard shard) {
    if (shard.claimReorganisation()) {
      reorganiser.execute(() -> {
        shard.reorganise();
        // the changes it caught up may have left a tail (or removed rows) that its swap made due or
        // that waits for its pause to end, with no later change to look again: look now
        reorganiseIfDue(shard);
      });
      return;
    }
    long untilEndOfPause = wakesAtEndOfPause ? shard.arrangeWakeUpAtEndOfPause() : -1;
    if (untilEndOfPause > 0) {
      // the JDK's shared delay thread hands the wake-up to the reorganiser's executor
      java.util.concurrent.CompletableFuture.delayedExecutor(untilEndOfPause, java.util.concurrent.TimeUnit.NANOSECONDS,
          reorganiser).execute(() -> {
            shard.noteEndOfPause();
            // claims what it made due; or, when a reorganisation ran meanwhile and started a new pause
            // (this task may have waited behind it on the reorganiser), arranges a wake-up at its end
            reorganiseIfDue(shard);
          });
    }
  }

  /**
   * Takes {@code shard}'s read lock, counting the wait when it was not free at once. A change holds
   * a shard's write lock for a few tenths of a microsecond to a few microseconds and most searches
   * its read lock for about as long, while a thread that parks is woken tens of microseconds after
   * the lock is free (more on a virtual machine). So a reader's wait spins first, for up to {@value
   * #SPIN_NANOS} ns, and parks only after that; a writer's, see {@link #lockForWriting}.
   *
   * <p>While a writer waits for the lock ({@link ProjectShard#writersWaiting}), a reader that does
   * not hold the read lock already lets it go first: it spins until no writer waits, which takes
   * the readers inside the lock's time to leave and the writer's hold. Readers that kept coming in
   * past a waiting writer (a reader searching flat out leaves the lock free for a few nanoseconds
   * between two searches) made it park; then each reader leaving last paid the parked writer's
   * wake-up, tens of microseconds, and the writer, woken after the next reader came in, parked
   * again: beside transitions at 1M a sub-microsecond search's 90th percentile became 22 µs and the
   * writer made a few thousand changes a second instead of a hundred thousand. A reader that waited
   * {@link #SPIN_NANOS} for a writer goes in with {@code lock()}: past a writer that only spins, but
   * not past one that has waited so long that it queued (see {@link #lockForWriting} and {@code
   * LockWaitTest}).
   */
  private static void lockForReading(ProjectShard shard) {
    Lock lock = shard.lock.readLock();
    if (shard.writersWaiting.get() == 0 && lock.tryLock()) {
      return;
    }
    long start = System.nanoTime();
    // a thread inside read() already holds the read lock: a writer waits for it, not the reverse.
    // The count of writers first: the lock held by a writer with none waiting is the usual case
    // here, and the hold count is a thread-local lookup
    boolean behindWriter = shard.writersWaiting.get() > 0 && shard.lock.getReadHoldCount() == 0
        && !writersLeft(shard, start);
    if (behindWriter || !spinFor(lock, System.nanoTime())) {
      lock.lock();
    }
    shard.stats.waitedForLock(System.nanoTime() - start);
  }

  /** Whether no writer waits for {@code shard}'s lock any more, spinning for up to {@link #SPIN_NANOS} from {@code start}. */
  private static boolean writersLeft(ProjectShard shard, long start) {
    while (shard.writersWaiting.get() > 0) {
      Thread.onSpinWait();
      if (System.nanoTime() - start > SPIN_NANOS) {
        return false;
      }
    }
    return true;
  }

  /**
   * Takes {@code shard}'s write lock, counting the wait when it was not free at once. A waiting
   * writer spins for up to {@link #SPIN_NANOS}, counted in {@link ProjectShard#writersWaiting} so that
   * new readers let it go first (see {@link #lockForReading}); if the readers inside do not leave in
   * that time (a long search, or a thread the machine took away), it sleeps, not counted, and tries
   * again, from {@value #FIRST_PAUSE_NANOS} ns to {@value #LONGEST_PAUSE_NANOS} ns apart. It does not
   * park in the lock's queue, where the readers would queue behind it and pay its wake-up and theirs
   * (tens of microseconds each here; {@code ReadsDuringWritesBenchmark}'s p99.9 beside transitions
   * was 0.7 ms that way), but after {@value #QUEUE_AFTER_NANOS} ns of waiting, so that readers that
   * keep overlapping cannot starve it: from then on it is counted again, parked in the queue, and new
   * readers queue behind it.
   */
  private static void lockForWriting(ProjectShard shard) {
    Lock lock = shard.lock.writeLock();
    if (lock.tryLock()) {
      shard.awaitUpdatesBehind();
      return;
    }
    long start = System.nanoTime();
    long pause = FIRST_PAUSE_NANOS;
    while (true) {
      shard.writersWaiting.incrementAndGet();
      try {
        if (spinFor(lock, System.nanoTime())) {
          break;
        }
        if (System.nanoTime() - start > QUEUE_AFTER_NANOS) {
          lock.lock();
          break;
        }
      } finally {
        shard.writersWaiting.decrementAndGet();
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(2 * pause, LONGEST_PAUSE_NANOS);
    }
    shard.stats.waitedForLock(System.nanoTime() - start);
    shard.awaitUpdatesBehind();
  }

  /** A writer's first sleep after a spin that did not get the write lock. */
  static final long FIRST_PAUSE_NANOS = 50_000;
  /** A writer's longest sleep between two spins for the write lock. */
  static final long LONGEST_PAUSE_NANOS = 1_000_000;
  /** How long a writer waits, spinning and sleeping, before it parks in the lock's queue. */
  static final long QUEUE_AFTER_NANOS = 10_000_000;

  /** How long a thread spins for a shard's lock before it parks. */
  static final long SPIN_NANOS = 20_000;

  /** Whether {@code lock} was taken while spinning for up to {@link #SPIN_NANOS} from {@code start}. */
  private static boolean spinFor(Lock lock, long start) {
    while (true) {
      // tries again every few tens of nanoseconds: a failed tryLock only reads the lock's state, and
      // the wait past the lock's release (a writer's hold is a microsecond or less) is the waiter's loss
      Thread.onSpinWait();
      Thread.onSpinWait();
      if (lock.tryLock()) {
        return true;
      }
      if (System.nanoTime() - start > SPIN_NANOS) {
        return false;
      }
    }
  }

  /**
   * Takes {@code shard}'s write lock for a change, first waiting while a reorganisation's last
   * catch-up holds writers off; that wait counts as a lock wait.
   */
  private static void lockForChange(ProjectShard shard) {
    long gated = shard.awaitWriterGate();
    if (gated > 0) {
      shard.stats.waitedForLock(gated);
    }
    lockForWriting(shard);
  }

  /**
   * Takes the write locks of a batch's projects, never holding one while it waits for another: a
   * batch that held project a while it waited for project p (held by a long {@code read}) kept a's
   * readers and writers waiting behind that read, and a read of p that waited for a thread reading a
   * never ended. So it blocks only while it holds nothing: the other locks it takes only when they are
   * free (after a spin); when one is not, it lets go of all of them and waits for that one first.
   * Two batches cannot deadlock: neither waits while holding a lock.
   */
  private static void lockAllForChange(List<ProjectShard> shards) {
    if (shards.isEmpty()) {
      return;
    }
    ProjectShard first = shards.get(0);
    List<ProjectShard> locked = new ArrayList<>(shards.size());
    try {
      while (true) {
        lockForChange(first);
        locked.add(first);
        ProjectShard busy = null;
        for (ProjectShard shard : shards) {
          if (shard != first) {
            if (!tryLockForChange(shard)) {
              busy = shard;
              break;
            }
            locked.add(shard);
          }
        }
        if (busy == null) {
          return;
        }
        releaseWriteLocks(locked);
        first = busy;
      }
    } catch (RuntimeException | Error e) {
      releaseWriteLocks(locked);
      throw e;
    }
  }

  /** Takes {@code shard}'s write lock for a change if it is free or soon is; never waits longer. */
  private static boolean tryLockForChange(ProjectShard shard) {
    Lock lock = shard.lock.writeLock();
    if (shard.writersHeldOff() || !(lock.tryLock() || spinFor(lock, System.nanoTime()))) {
      return false;
    }
    shard.awaitUpdatesBehind();
    return true;
  }

  private static void releaseWriteLocks(List<ProjectShard> locked) {
    for (ProjectShard shard : locked) {
      shard.lock.writeLock().unlock();
    }
    locked.clear();
  }

  /**
   * Runs {@code change} under {@code shard}'s write lock, counting the wait and the hold; then makes
   * the updates of the indexes it left behind the lock, if any ({@link ProjectShard#makeUpdatesBehind}),
   * delivers the changes it recorded and starts a reorganisation if one is due.
   */
  private <T> T changeUnderLock(ProjectShard shard, Supplier<T> change) {
    Lock lock = shard.lock.writeLock();
    lockForChange(shard);
    long held = System.nanoTime();
    try {
      return change.get();
    } finally {
      shard.stats.heldForChange(System.nanoTime() - held);
      lock.unlock();
      makeUpdatesBehind(shard);
      changes.deliver();
      reorganiseIfDue(shard);
    }
  }

  /**
   * Every shard in project id order, the order the all-projects view locks and merges them in; sorted
   * again only when a project has got its shard since (shards are never dropped, so the same number
   * is the same set). Sorting 1,000 shards for every page took a third of a count over all projects.
   */
  private ProjectShard[] shardsInProjectOrder() {
    ProjectShard[] sorted = shardsInProjectOrder;
    if (sorted.length == shards.size()) {
      return sorted;
    }
    synchronized (shards) {
      ProjectShard[] all = shards.values().toArray(new ProjectShard[0]);
      Arrays.sort(all, Comparator.comparing(shard -> shard.projectId));
      shardsInProjectOrder = all;
      return all;
    }
  }

  private ProjectShard shardFor(String projectId) {
    // a get first: the shard is almost always there, and computeIfAbsent's lambda (it captures this)
    // would be made, an allocation, for every change
    ProjectShard shard = shards.get(projectId);
    return shard != null ? shard
        : shards.computeIfAbsent(projectId, p -> new ProjectShard(p, minRebuildSlack, pauseFactor, nanoTime));
  }

  @Override
  public void add(Backup backup) {
    requireNonNull(backup, "backup");
    refuseChangesInsideRead();
    ProjectShard shard = shardFor(backup.projectId());
    // what the add reads is read first under the read lock, beside the searches that read without
    // it, so that the write lock, which those wait for, is held for the writes (a taken id is refused
    // here: that is all it reads)
    // (the lock taken here rather than through underReadLock: its lambda and a pair for the answer
    // were two allocations an add)
    // (the backup stored is the one given, or an equal copy sharing its server's parts with the
    // server's other backups: ServerParts)
    Lock readLock = shard.lock.readLock();
    lockForReading(shard);
    long stampAhead;
    long placeAhead;
    Backup stored;
    try {
      stampAhead = shard.lock.stamp();
      stored = shard.share(backup);
      placeAhead = shard.readAheadForAdd(stored);
    } finally {
      readLock.unlock();
    }
    if (placeAhead == ProjectShard.ID_TAKEN) {
      throw new DuplicateBackupException(backup.projectId(), backup.id());
    }
    betweenSteps();
    Lock lock = shard.lock.writeLock();
    lockForChange(shard);
    long held = System.nanoTime();
    try {
      try {
        shard.quota().checkRoomFor(backup.projectId(), shard.usage().backups(), shard.usage().sizeMb(), 1,
            backup.sizeMb());
      } catch (io.csbs.usage.QuotaExceededException e) {
        // a duplicate id is reported before a full quota, as it always was
        if (shard.positionOf(backup.id()) >= 0) {
          throw new DuplicateBackupException(backup.projectId(), backup.id());
        }
        throw e;
      }
      // the place read ahead in the tail's order holds if no other change took the lock in between
      // (the count turned odd once since, at this hold's start); else the add finds it again
      long tailPlace = shard.lock.stamp() == stampAhead + 1 ? placeAhead : ProjectShard.NO_PLACE;
      // the duplicate check and the id's insertion are one probe of the id table: nothing changes
      // before a duplicate is refused (an id taken since the read-ahead)
      if (!shard.addIfAbsent(stored, true, tailPlace)) {
        throw new DuplicateBackupException(backup.projectId(), backup.id());
      }
      changes.record(shard.nextSequence(), backup.projectId(), backup.id(), null, stored, null);
    } finally {
      shard.stats.heldForChange(System.nanoTime() - held);
      lock.unlock();
      makeUpdatesBehind(shard);
    }
    changes.deliver();
    reorganiseIfDue(shard);
  }

  @Override
  public void addAll(Collection<Backup> backups) {
    requireNonNull(backups, "backups");
    refuseChangesInsideRead();
    // one pass reads each backup's project and size; a later pass, its id: a bulk load of a million
    // backups misses the cache on each backup at each pass, about a tenth of a second a pass
    Map<String, Batch> byProject = new TreeMap<>();
    Batch last = null;
    for (Backup backup : backups) {
      requireNonNull(backup, "backup");
      if (last == null || !last.projectId.equals(backup.projectId())) {  // a project's backups come together, mostly
        last = byProject.computeIfAbsent(backup.projectId(), Batch::new);
      }
      last.backups.add(backup);
      last.sizeMb += backup.sizeMb();
    }
    for (Batch batch : byProject.values()) {
      batch.sortAndCheckIds();  // beside the readers and writers: no lock yet
    }
    List<ProjectShard> locked = new ArrayList<>(byProject.size());  // in project order
    for (String projectId : byProject.keySet()) {
      locked.add(shardFor(projectId));
    }
    lockAllForChange(locked);
    try {
      for (ProjectShard shard : locked) {
        Batch batch = byProject.get(shard.projectId);
        if (batch.firstRepeated < 0 && shard.liveCount() == 0) {
          continue;  // no repeat, and no id in the project yet
        }
        for (int i = 0; i < batch.backups.size(); i++) {
          String id = batch.backups.get(i).id();
          if (shard.positionOf(id) >= 0) {
            throw new DuplicateBackupException(shard.projectId, id);
          }
          if (i == batch.firstRepeated) {
            throw new DuplicateBackupException(shard.projectId, id, true);
          }
        }
      }
      for (ProjectShard shard : locked) {  // quotas once no project has a duplicate
        Batch batch = byProject.get(shard.projectId);
        shard.quota().checkRoomFor(shard.projectId, shard.usage().backups(), shard.usage().sizeMb(),
            batch.backups.size(), batch.sizeMb);
      }
      for (ProjectShard shard : locked) {
        Batch batch = byProject.get(shard.projectId);
        shard.addSorted(batch.sorted);
        if (changes.listening()) {
          for (Backup backup : batch.backups) {
            changes.record(shard.nextSequence(), backup.projectId(), backup.id(), null, backup, null);
          }
        } else {
          // no change to hand on: the sequence moves on by the batch without reading each backup
          // again (a pass over a million of them, a cache miss each, was 2% of a bulk load)
          shard.skipSequences(batch.backups.size());
        }
      }
    } finally {
      for (ProjectShard shard : locked) {
        shard.lock.writeLock().unlock();
      }
    }
    changes.deliver();
    for (ProjectShard shard : locked) {
      reorganiseIfDue(shard);
    }
  }

  /**
   * The backups of one project in an {@link #addAll}, and their total size; then, before any lock,
   * the same backups in row order and the index of the first whose id an earlier one has.
   */
  private static final class Batch {
    final String projectId;
    final List<Backup> backups = new ArrayList<>();
    long sizeMb;
    Backup[] sorted;
    int firstRepeated;

    Batch(String projectId) {
      this.projectId = projectId;
    }

    /**
     * Sorts the backups into row order and finds the first repeated id. The two read every backup
     * and share nothing, and each was about a twentieth of a bulk load's time on the loading thread
     * alone: a large batch checks its ids on a second core while this thread sorts.
     */
    void sortAndCheckIds() {
      ServerParts.shareAll(backups);
      sorted = backups.toArray(new Backup[0]);
      Runnable sort = () -> RowSort.sort(sorted, 0, sorted.length);
      int[] repeated = new int[1];
      Runnable check = () -> repeated[0] = firstRepeatedId(backups);
      if (sorted.length < ProjectShard.PARALLEL_BATCH) {
        sort.run();
        check.run();
      } else {
        SecondCore.run(sort, check);
      }
      firstRepeated = repeated[0];
    }
  }

  /**
   * The index of the first backup of {@code batch} whose id an earlier one has, or -1. The indexes
   * go into an open-addressing table, each beside its id's hash so that only equal hashes read ids
   * again: a {@code HashSet} of a million ids (a node each, and its rehashes) took 7% of a bulk load.
   */
  static int firstRepeatedId(List<Backup> batch) {
    int capacity = Integer.highestOneBit(Math.max(2, batch.size()) * 2 - 1) * 2;  // at most half full
    int mask = capacity - 1;
    int shift = Integer.numberOfLeadingZeros(capacity) + 1;  // the product's top bits pick the slot
    long[] slots = new long[capacity];  // (hash << 32) | (index + 1); 0: empty
    for (int i = 0; i < batch.size(); i++) {
      String id = batch.get(i).id();
      int hash = id.hashCode();
      int slot = (hash * 0x9E3779B9) >>> shift;
      while (slots[slot] != 0) {
        long entry = slots[slot];
        if ((int) (entry >>> 32) == hash && batch.get((int) entry - 1).id().equals(id)) {
          return i;
        }
        slot = (slot + 1) & mask;
      }
      slots[slot] = (long) hash << 32 | (i + 1L);
    }
    return -1;
  }

  @Override
  public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
    requireNonNull(transition, "transition");
    refuseChangesInsideRead();
    ProjectShard shard = existingShard(projectId, backupId);
    // the lookup and the next version are worked out beside the readers, under the read lock, and
    // what the indexes' update will search for is read there too: the write lock's hold is then the
    // update alone, from the cache (the lookup was a third of the hold, the running job's searches
    // three quarters of the rest). The running job's move itself is made after the write lock
    // (ProjectShard#replace): only searches for stalled jobs wait for it
    Instant now = clock.instant();  // before the lock: a caller's clock may take its time
    Step step = underReadLock(shard, () -> Step.of(shard, backupId, expectedVersion, transition, now));
    betweenSteps();
    return changeUnderLock(shard, () -> {
      Current current = step.found.again(shard);
      Backup before = current.backup;
      Optional<Backup> next = current == step.found ? step.next : transition.applyTo(before, clock.instant());
      if (next.isPresent()) {
        if (next.get() == before) {
          return next; // the same progress again: nothing changed, nothing to tell
        }
        shard.replace(current.position, next.get(), true);
      } else {
        shard.remove(current.position, true);
      }
      changes.record(shard.nextSequence(), projectId, backupId, before, next.orElse(null), transition);
      return next;
    });
  }

  /** A transition worked out under the read lock: the backup found, its next version, and the reads ahead of its update. */
  private static final class Step {
    final Current found;
    final Optional<Backup> next;
    /** What {@link ProjectShard#readAheadOfReplace} answered, kept so that its reads are not optimised away. */
    final long readAhead;

    private Step(Current found, Optional<Backup> next, long readAhead) {
      this.found = found;
      this.next = next;
      this.readAhead = readAhead;
    }

    /** Finds the backup in {@code shard}, whose lock the caller holds, and works out {@code transition}'s step at {@code now}. */
    static Step of(ProjectShard shard, String backupId, long expectedVersion, Transition transition, Instant now) {
      Current found = Current.of(shard, backupId, expectedVersion);
      Optional<Backup> next = transition.applyTo(found.backup, now);
      boolean changes = next.isPresent() && next.get() != found.backup;
      return new Step(found, next, changes ? shard.readAheadOfReplace(found.position, next.get()) : 0);
    }
  }

  @Override
  public Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update) {
    requireNonNull(update, "update");
    refuseChangesInsideRead();
    ProjectShard shard = existingShard(projectId, backupId);
    Current ahead = underReadLock(shard, () -> Current.of(shard, backupId, expectedVersion));
    betweenSteps();
    Backup nextAhead = update.applyTo(ahead.backup, clock.instant());
    return changeUnderLock(shard, () -> {
      Current current = ahead.again(shard);
      Backup before = current.backup;
      Backup next = current == ahead ? nextAhead : update.applyTo(before, clock.instant());
      if (next == before) {
        return before;  // the tags stay as they are: nothing changed, nothing to tell
      }
      shard.replace(current.position, next);
      changes.record(shard.nextSequence(), projectId, backupId, before, next, null);
      return next;
    });
  }

  @Override
  public void remove(String projectId, String backupId, long expectedVersion) {
    refuseChangesInsideRead();
    ProjectShard shard = existingShard(projectId, backupId);
    Current ahead = underReadLock(shard, () -> {
      Current found = Current.of(shard, backupId, expectedVersion);
      shard.readAheadForRemoval(found.position, found.backup);
      return found;
    });
    betweenSteps();
    changeUnderLock(shard, () -> {
      Current current = ahead.again(shard);
      shard.remove(current.position, true);
      changes.record(shard.nextSequence(), projectId, backupId, current.backup, null, null);
      return null;
    });
  }

  /**
   * Runs {@code hook} once, with no lock held, between the two steps of the next add, transition, tag
   * update or removal (after the backup was found, or the add read ahead, under the read lock, before
   * the write lock is taken); for tests of a change that comes in between. Set and used on one thread.
   */
  void runOnceBetweenSteps(Runnable hook) {
    betweenSteps = hook;
  }

  private void betweenSteps() {
    Runnable hook = betweenSteps;
    if (hook != null) {
      betweenSteps = null;
      hook.run();
    }
  }

  /**
   * Runs {@code hook} once, on the changing thread with no lock held, after the next add, transition,
   * tag update or removal lets go of the write lock and before it makes the updates of the indexes it
   * left behind (see {@link ProjectShard#makeUpdatesBehind}); for tests of the searches meanwhile.
   * Set and used on one thread.
   */
  void runOnceBeforeUpdatesBehind(Runnable hook) {
    beforeUpdatesBehind = hook;
  }

  /** Makes the updates of {@code shard}'s indexes this thread's change left behind the write lock, which it let go of. */
  private void makeUpdatesBehind(ProjectShard shard) {
    Runnable hook = beforeUpdatesBehind;
    try {
      if (hook != null) {
        beforeUpdatesBehind = null;
        hook.run();
      }
    } finally {
      shard.makeUpdatesBehind();
    }
  }

  /** Runs {@code read} under {@code shard}'s read lock, counting a wait for it. */
  private static <T> T underReadLock(ProjectShard shard, Supplier<T> read) {
    Lock lock = shard.lock.readLock();
    lockForReading(shard);
    try {
      return read.get();
    } finally {
      lock.unlock();
    }
  }


  /**
   * A backup's current version and its row's position, found under a lock of its shard. A change
   * finds it under the read lock, works out what it will do beside the readers, and under the write
   * lock only checks that the row still holds that very instance ({@link #again}); if it does not (a
   * change or a reorganisation came in between), it finds the backup again.
   */
  private static final class Current {
    final int position;
    final Backup backup;

    private Current(int position, Backup backup) {
      this.position = position;
      this.backup = backup;
    }

    /**
     * The live version of {@code backupId} in {@code shard}, which the caller has locked.
     *
     * @throws BackupNotFoundException if the shard has no such live backup
     * @throws VersionConflictException if its version is not {@code expectedVersion}
     */
    static Current of(ProjectShard shard, String backupId, long expectedVersion) {
      int position = shard.positionOf(backupId);
      if (position < 0) {
        throw new BackupNotFoundException(shard.projectId, backupId);
      }
      Backup backup = shard.row(position);
      if (backup.version() != expectedVersion) {
        throw new VersionConflictException(backupId, expectedVersion, backup.version());
      }
      return new Current(position, backup);
    }

    /**
     * Whether the row at this position is still live and this very backup, so still the current
     * version of its id (a live row is its id's only one), found at the version expected. Never
     * reads a row that is not live: a reorganisation may have let go of this position's chunk.
     */
    boolean stillCurrentIn(ProjectShard shard) {
      return shard.isLive(position) && shard.row(position) == backup;
    }

    /**
     * This, if {@linkplain #stillCurrentIn still current} in {@code shard} (the caller holds its write
     * lock), else the backup found again at the version this one was found at.
     */
    Current again(ProjectShard shard) {
      return stillCurrentIn(shard) ? this : of(shard, backup.id(), backup.version());
    }
  }

  @Override
  public boolean replay(Change change) {
    requireNonNull(change, "change");
    refuseChangesInsideRead();
    ProjectShard shard = shardFor(change.projectId());
    Lock lock = shard.lock.writeLock();
    lockForChange(shard);
    long held = System.nanoTime();
    try {
      long current = shard.sequence();
      if (change.sequence() <= current) {
        return false; // installed already
      }
      if (change.sequence() > current + 1) {
        throw new IllegalStateException("project " + change.projectId() + " is at change " + current
            + ", so change " + change.sequence() + " cannot be replayed: "
            + (change.sequence() - 1 > current + 1
                ? "changes " + (current + 1) + " to " + (change.sequence() - 1) + " are missing"
                : "change " + (current + 1) + " is missing"));
      }
      int position = shard.positionOf(change.backupId());
      if (change.before().isEmpty()) {
        if (position >= 0) {
          throw new DuplicateBackupException(change.projectId(), change.backupId());
        }
        shard.add(shard.share(change.after().orElseThrow()));
      } else {
        if (position < 0) {
          throw new BackupNotFoundException(change.projectId(), change.backupId());
        }
        long expected = change.before().get().version();
        Backup stored = shard.row(position);
        if (stored.version() != expected) {
          throw new VersionConflictException(change.backupId(), expected, stored.version());
        }
        if (changes.listening() && stored != change.before().get() && !stored.equals(change.before().get())) {
          // the subscribers are told what this catalog held (as the database's change log tells),
          // not a before of the same version that differs from it; without subscribers (a replica
          // following a feed, the usual case) no backup is compared
          change = new Change(change.sequence(), change.projectId(), change.backupId(), Optional.of(stored),
              change.after(), change.transition());
        }
        if (change.after().isPresent()) {
          shard.replace(position, shard.share(change.after().get()));
        } else {
          shard.remove(position);
        }
      }
      shard.nextSequence();
      changes.record(change);
      return true;
    } finally {
      shard.stats.heldForChange(System.nanoTime() - held);
      lock.unlock();
      changes.deliver();
      reorganiseIfDue(shard);
    }
  }

  @Override
  public void load(ProjectSnapshot snapshot) {
    requireNonNull(snapshot, "snapshot");
    if (snapshot.sequence() > ProjectSnapshot.MAX_SEQUENCE) {
      throw new InvalidValueException("sequence", snapshot.sequence(), "must be at most "
          + ProjectSnapshot.MAX_SEQUENCE + " (2^62, ProjectSnapshot.MAX_SEQUENCE) to load: the project's changes are "
          + "numbered on from it");
    }
    refuseChangesInsideRead();
    ProjectShard shard = shardFor(snapshot.projectId());
    Lock lock = shard.lock.writeLock();
    lockForChange(shard);
    try {
      if (shard.liveCount() > 0 || shard.sequence() > 0) {
        throw new IllegalStateException("project " + snapshot.projectId() + " has " + shard.liveCount()
            + (shard.liveCount() == 1 ? " backup" : " backups") + " and is at change " + shard.sequence()
            + " here: a snapshot loads only into a project without backups at change 0");
      }
      List<Backup> backups = new ArrayList<>(snapshot.backups());
      ServerParts.shareAll(backups);
      shard.addBatch(backups);
      shard.setQuota(snapshot.quota());
      shard.setSequence(snapshot.sequence());
    } finally {
      lock.unlock();
    }
    reorganiseIfDue(shard);
  }

  @Override
  public long sequence(String projectId) {
    return readShard(projectId, ProjectShard::sequence);
  }

  @Override
  public Subscription subscribe(java.util.function.Consumer<Change> subscriber) {
    return changes.subscribe(requireNonNull(subscriber, "subscriber"));
  }

  @Override
  public Optional<Backup> find(String projectId, String backupId) {
    requireNonNull(backupId, "backupId");
    return readShard(projectId, shard -> find(shard, backupId));
  }

  @Override
  public Page query(String projectId, Query query) {
    requireNonNull(query, "query");
    // the clock is read once a query, also when the try without the lock gives way to one under it
    Instant now = clock.instant();
    if (WithoutLock.suits(query)) {
      Page page = readWithoutLock(projectId, shard -> query(shard, projectId, query, now, false),
          query, WithoutLock.readsTheClock(query.predicate()) ? now : null);
      if (page != null) {
        return page;
      }
    }
    return readShard(projectId, shard -> query(shard, projectId, query, now, true));
  }

  @Override
  public long count(String projectId, BackupPredicate predicate) {
    requireNonNull(predicate, "predicate");
    Instant now = clock.instant();   // once a count, as for a query
    if (WithoutLock.suits(predicate)) {
      Long count = readWithoutLock(projectId, shard -> count(shard, predicate, now, false),
          predicate, WithoutLock.readsTheClock(predicate) ? now : null);
      if (count != null) {
        return count;
      }
    }
    return readShard(projectId, shard -> count(shard, predicate, now, true));
  }

  /**
   * The answer a read without the lock proved to be that of state {@code stamp} (see {@link
   * #readWithoutLock}) to {@code search}, a query or a count's predicate, asked at {@code now} if its
   * predicate reads the clock ({@code createdWithinLast}), else null (two askings of it then have the
   * same answer in one state whenever they come).
   */
  record ProvenAnswer(long stamp, Object search, Instant now, Object answer) {
    boolean answers(long stamp, Object search, Instant now) {
      return this.stamp == stamp && this.search.equals(search) && java.util.Objects.equals(this.now, now);
    }
  }

  /**
   * Runs {@code read} on the project's shard without its lock, and returns its answer (or throws what
   * it threw) if no writer took the lock meanwhile ({@link ShardLock#unchangedSince}); else (what it
   * read may have been a mix of two states) tries once more, then returns null for the caller to
   * read under the lock, at once if more than one change came in during the read (the search is
   * longer than the time between changes, and a second try would fail as well). Null also for a
   * project without a shard, and when a writer holds the lock for longer than a change ({@value
   * #WITHOUT_LOCK_SPIN_NANOS} ns: a reorganisation's swap, a batch) and the state before its hold
   * has no proven answer (below).
   *
   * <p>Why: the sub-microsecond searches (the default list, a status) beside a writer spent most of
   * their 99th percentile taking the read lock, not searching: a reader arriving during a change's
   * hold waited for it and for the lock's hand-over, and each reader's update of the lock word took
   * its cache line from the writer and back. Read this way, a reader never writes the lock, and a
   * change that comes in costs it one more search, not a wait.
   *
   * <p>Only plans that {@link WithoutLock} lets through run here: their loops end whatever they read
   * (positions that only move one way, searches that narrow a bound, arrays' lengths, a probe of the
   * id table no longer than the table), they allocate no more than the rows, and
   * they read nothing a change updates after it lets go of the lock ({@link
   * ProjectShard#awaitUpdatesBehind}). What they read is thrown away unless it proved to be one state.
   *
   * <p>A read that meets a change (a writer holds the lock as it begins, or one came in during its
   * try) answers at once, without waiting or reading again, if a read of the same {@code search}
   * (at the same {@code now}) proved its answer in the state the project was in as this read began (the state before the
   * hold, or the one its try began in): that state was the project's during this read, so its
   * answer is one this read may give, as a read that had come a moment sooner would have. The shard
   * keeps the first answer proven in each state ({@link ProjectShard#provenAnswer}). Why: beside a
   * writer, the default list's 99th percentile was these reads (a read of 0.2 us waiting for a hold
   * of 0.5 to 2 us, or reading twice), 5 to 15 times its 99th percentile alone.
   */
  private <T> T readWithoutLock(String projectId, Function<ProjectShard, T> read, Object search, Instant now) {
    requireProject(projectId);
    refuseOtherProjectInsideRead(projectId);
    ProjectShard shard = shards.get(projectId);
    if (shard == null) {
      return null;
    }
    ShardLock lock = shard.lock;
    long stamp = lock.stamp();
    if (!ShardLock.free(stamp)) {
      // a writer holds the lock: until it lets go, the state before its hold is the project's
      T proven = provenAnswer(shard, stamp - 1, search, now);
      if (proven != null) {
        return proven;
      }
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) {
        // the state this try began in was the project's when it began: its proven answer is one this read may give
        T proven = provenAnswer(shard, stamp, search, now);
        if (proven != null) {
          return proven;
        }
        if (ShardLock.changesSince(stamp, lock.stamp()) > 1) {
          // more than one change came in during the last try: the next would most likely meet one too,
          // so this search (longer than the changes come) waits for the lock instead of trying again
          return null;
        }
      }
      stamp = freeStamp(lock);
      if (!ShardLock.free(stamp)) {
        // a hold longer than a change (a swap, a batch): the state before it, if proven, else the lock
        return provenAnswer(shard, stamp - 1, search, now);
      }
      T answer;
      try {
        answer = read.apply(shard);
      } catch (RuntimeException | AssertionError thrown) {
        if (lock.unchangedSince(stamp)) {
          throw thrown;  // thrown by one state, as a read under the lock would (an unknown marker)
        }
        continue;  // thrown by a mix of two states
      }
      if (lock.unchangedSince(stamp)) {
        // the first proven answer of a state is kept for the reads that meet the next change: one write
        // of the shared field a state, not one a read
        ProvenAnswer kept = shard.provenAnswer;
        if (kept == null || kept.stamp() < stamp) {
          shard.provenAnswer = new ProvenAnswer(stamp, search, now, answer);
        }
        // the read pays for the tail it passed, as one under the lock does: racing a change here (one
        // that just ended the tail) can at worst make one reorganisation due that was not, never a wrong answer
        if (shard.noteTailRead() && reading.get() == null) {  // inside read(), the thread holds the read lock
          reorganiseIfDue(shard);
        }
        return answer;
      }
    }
    return provenAnswer(shard, stamp, search, now);
  }

  /** The answer to {@code search} (at {@code now}) a read proved to be state {@code stamp}'s, or null if the shard keeps none. */
  @SuppressWarnings("unchecked")
  private static <T> T provenAnswer(ProjectShard shard, long stamp, Object search, Instant now) {
    ProvenAnswer kept = shard.provenAnswer;
    return kept != null && kept.answers(stamp, search, now) ? (T) kept.answer() : null;
  }

  /** How long a read without the lock waits for a writer to let go of it, spinning, before it takes the lock. */
  static final long WITHOUT_LOCK_SPIN_NANOS = 5_000;

  /** A stamp of {@code lock} taken when no writer holds it, waiting up to {@link #WITHOUT_LOCK_SPIN_NANOS}; else a held one. */
  private static long freeStamp(ShardLock lock) {
    long stamp = lock.stamp();
    if (ShardLock.free(stamp)) {
      return stamp;
    }
    long start = System.nanoTime();
    do {
      Thread.onSpinWait();
      stamp = lock.stamp();
    } while (!ShardLock.free(stamp) && System.nanoTime() - start < WITHOUT_LOCK_SPIN_NANOS);
    return stamp;
  }

  @Override
  public TagCatalogue tagCatalogue(String projectId) {
    return readShard(projectId, ProjectShard::tagCatalogue);
  }

  @Override
  public <T> T read(String projectId, Function<? super ProjectView, ? extends T> reads) {
    requireNonNull(reads, "reads");
    return readShard(projectId, shard -> {
      String outer = reading.get();
      View view = new View(shard, projectId, clock.instant());
      consistentReads.incrementAndGet();
      reading.set(projectId);
      try {
        return reads.apply(view);
      } finally {
        view.close();
        if (outer == null) {
          reading.remove();  // leaves nothing behind in pooled threads
        } else {
          reading.set(outer);
        }
        consistentReads.decrementAndGet();
      }
    });
  }

  private Optional<Backup> find(ProjectShard shard, String backupId) {
    int position = shard.positionOf(backupId);
    return position < 0 ? Optional.empty() : Optional.of(shard.row(position));
  }

  /** {@code projectId} names the project in a refusal; an absent project's shard has no name. */
  private Page query(ProjectShard shard, String projectId, Query query, Instant now, boolean noteTail) {
    Pager.After after = null;
    if (query.marker().isPresent()) {
      int markerPosition = shard.positionOf(query.marker().get());
      if (markerPosition < 0) {
        throw unknownMarker(query.marker().get(), "a backup of project " + projectId);
      }
      after = new Pager.After(shard.row(markerPosition), false);
    }
    Positions matches = matches(shard, query.predicate(), now, noteTail);
    List<Backup> backups = Pager.read(shard, matches, query.sort(), after, query.offset(), query.limit() + 1);
    return page(backups, matches.cardinality(), query.limit());
  }

  private long count(ProjectShard shard, BackupPredicate predicate, Instant now, boolean noteTail) {
    return matches(shard, predicate, now, noteTail).cardinality();
  }

  /** The plan's matches; paying for the tail passed ({@code noteTail}) unless a read without the lock does that once valid. */
  private Positions matches(ProjectShard shard, BackupPredicate predicate, Instant now, boolean noteTail) {
    return noteTail
        ? Planner.matches(shard, predicate, now, stallRule)
        : Planner.matchesUnnoted(shard, predicate, now, stallRule);
  }

  private UsageReport usage(ProjectShard shard, UsageQuery query, Instant now) {
    if (query.where().equals(Predicates.all())) {
      return shard.usage().report(query.offset(), query.limit(), shard::serverName);
    }
    Positions matches = Planner.matches(shard, query.where(), now, stallRule);
    List<Backup> counted = new ArrayList<>(matches.cardinality());
    for (int position = matches.next(0); position >= 0; position = matches.next(position + 1)) {
      counted.add(shard.row(position));
    }
    return UsageIndex.sum(counted, query.offset(), query.limit());
  }

  private static QuotaUsage quotaUsage(ProjectShard shard) {
    return new QuotaUsage(shard.quota(), shard.usage().backups(), shard.usage().sizeMb());
  }

  /**
   * A {@link ProjectView} over a shard whose read lock the creating thread holds; usable on that
   * thread until {@link #read} closes it, because only then does the lock guard what it reads.
   */
  private final class View implements ProjectView {
    private final ProjectShard shard;
    private final String projectId;
    private final Instant now;
    private final Thread owner = Thread.currentThread();
    private boolean open = true;

    View(ProjectShard shard, String projectId, Instant now) {
      this.shard = shard;
      this.projectId = projectId;
      this.now = now;
    }

    void close() {
      open = false;
    }

    private ProjectShard shard() {
      if (!open || Thread.currentThread() != owner) {
        throw new IllegalStateException("this view of project " + projectId
            + " works only inside read(...), on the thread that called it");
      }
      return shard;
    }

    @Override
    public String projectId() {
      return projectId;
    }

    @Override
    public Optional<Backup> find(String backupId) {
      requireNonNull(backupId, "backupId");
      return IndexedCatalog.this.find(shard(), backupId);
    }

    @Override
    public Page query(Query query) {
      requireNonNull(query, "query");
      return IndexedCatalog.this.query(shard(), projectId, query, now, true);
    }

    @Override
    public long count(BackupPredicate predicate) {
      requireNonNull(predicate, "predicate");
      return IndexedCatalog.this.count(shard(), predicate, now, true);
    }

    @Override
    public TagCatalogue tagCatalogue() {
      return shard().tagCatalogue();
    }

    @Override
    public UsageReport usage(UsageQuery query) {
      requireNonNull(query, "query");
      return IndexedCatalog.this.usage(shard(), query, now);
    }

    @Override
    public QuotaUsage quotaUsage() {
      return IndexedCatalog.quotaUsage(shard());
    }

    @Override
    public long sequence() {
      return shard().sequence();
    }

    @Override
    public String toString() {
      return "ProjectView{" + projectId + " at " + now + (open ? "" : ", closed") + "}";
    }
  }

  @Override
  public Page queryAllProjects(Query query) {
    requireNonNull(query, "query");
    List<ProjectShard> locked = lockAllForReading();
    try {
      Backup marker = null;
      if (query.marker().isPresent()) {
        marker = uniqueBackup(locked, query.marker().get());
      }
      Instant now = clock.instant();
      long total = 0;
      List<Positions> matches = new ArrayList<>(locked.size());
      for (ProjectShard shard : locked) {
        Positions projectMatches = Planner.matches(shard, query.predicate(), now, stallRule);
        total += projectMatches.cardinality();
        matches.add(projectMatches);
      }
      // one more than the page, to know whether another follows
      List<Backup> ordered = ProjectMerge.read(locked, matches, query.sort(), marker, query.offset(), query.limit() + 1);
      return page(ordered, total, query.limit());
    } finally {
      unlockAll(locked);
    }
  }

  @Override
  public long countAllProjects(BackupPredicate predicate) {
    requireNonNull(predicate, "predicate");
    List<ProjectShard> locked = lockAllForReading();
    try {
      Instant now = clock.instant();
      long total = 0;
      for (ProjectShard shard : locked) {
        total += Planner.matches(shard, predicate, now, stallRule).cardinality();
      }
      return total;
    } finally {
      unlockAll(locked);
    }
  }

  @Override
  public UsageReport usage(String projectId, UsageQuery query) {
    requireNonNull(query, "query");
    return readShard(projectId, shard -> usage(shard, query, clock.instant()));
  }

  @Override
  public void setQuota(String projectId, Quota quota) {
    requireNonNull(quota, "quota");
    refuseChangesInsideRead();
    ProjectShard shard = shardFor(requireProject(projectId));
    Lock lock = shard.lock.writeLock();
    lockForChange(shard);
    try {
      shard.setQuota(quota);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public QuotaUsage quotaUsage(String projectId) {
    return readShard(projectId, IndexedCatalog::quotaUsage);
  }

  /**
   * Runs {@code read} on the project's shard under its read lock; a project without a shard reads as
   * an empty one, so that every read answers the same way for it without creating anything.
   */
  private <T> T readShard(String projectId, Function<ProjectShard, T> read) {
    requireProject(projectId);
    refuseOtherProjectInsideRead(projectId);
    ProjectShard shard = shards.get(projectId);
    if (shard == null) {
      return read.apply(noBackups);
    }
    Lock lock = shard.lock.readLock();
    lockForReading(shard);
    try {
      return read.apply(shard);
    } finally {
      lock.unlock();
      if (reading.get() == null) {  // inside read(), the thread still holds the read lock
        reorganiseIfDue(shard);  // the reads may have paid for the tail enough (noteTailRead)
      }
    }
  }

  /** The page from up to {@code limit + 1} ordered backups: the extra one only says more follow. */
  private static Page page(List<Backup> ordered, long total, int limit) {
    boolean more = ordered.size() > limit;
    return new Page(more ? ordered.subList(0, limit) : ordered, total, more);
  }

  private Backup uniqueBackup(List<ProjectShard> shards, String id) {
    Backup found = null;
    for (ProjectShard shard : shards) {
      int position = shard.positionOf(id);
      if (position >= 0) {
        if (found != null) {
          throw new InvalidValueException(
              "marker", id, "must be the id of exactly one backup; this id is ambiguous across projects");
        }
        found = shard.row(position);
      }
    }
    if (found == null) {
      throw unknownMarker(id, "a backup");
    }
    return found;
  }

  private List<ProjectShard> lockAllForReading() {
    refuseOtherProjectInsideRead(null);
    ProjectShard[] all = shardsInProjectOrder();
    List<ProjectShard> locked = new ArrayList<>(all.length);
    try {
      for (ProjectShard shard : all) {
        lockForReading(shard);
        locked.add(shard);
      }
    } catch (RuntimeException | Error e) {
      unlockAll(locked);
      throw e;
    }
    return locked;
  }

  private void unlockAll(List<ProjectShard> locked) {
    for (ProjectShard shard : locked) {
      shard.lock.readLock().unlock();
    }
    for (ProjectShard shard : locked) {
      reorganiseIfDue(shard);  // the reads may have paid for a tail enough (noteTailRead)
    }
  }

  /** Inside {@link #read} this thread holds a read lock; taking a write lock could deadlock. */
  private void refuseChangesInsideRead() {
    if (consistentReads.get() > 0 && reading.get() != null) {
      throw new IllegalStateException(
          "changes are refused inside read(" + reading.get() + ", ...): make them after it returns");
    }
  }

  /**
   * Inside {@link #read} this thread holds its project's read lock; waiting for another project's lock
   * could deadlock with a thread doing the reverse while a writer queues. {@code projectId} null
   * stands for all projects.
   */
  private void refuseOtherProjectInsideRead(String projectId) {
    if (consistentReads.get() > 0) {
      String current = reading.get();
      if (current != null && !current.equals(projectId)) {
        throw new IllegalStateException("inside read(" + current + ", ...) only project " + current
            + " can be read, not " + (projectId == null ? "all projects" : projectId));
      }
    }
  }

  private ProjectShard existingShard(String projectId, String backupId) {
    requireNonNull(backupId, "backupId");
    ProjectShard shard = shards.get(requireProject(projectId));
    if (shard == null) {
      throw new BackupNotFoundException(projectId, backupId);
    }
    return shard;
  }

  static String requireProject(String projectId) {
    requireNonNull(projectId, "projectId");
    if (projectId.isBlank()) {
      throw new InvalidValueException("project id", projectId, "must be non-blank");
    }
    return projectId;
  }

  private static InvalidValueException unknownMarker(String marker, String what) {
    return new InvalidValueException("marker", marker, "must be the id of " + what);
  }
}
