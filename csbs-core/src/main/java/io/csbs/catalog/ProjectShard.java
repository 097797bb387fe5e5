package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Tag;
import io.csbs.query.Attribute;
import io.csbs.query.TagCatalogue;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The backups of one project and their indexes. Callers hold {@link #lock}: the read lock to read,
 * the write lock to change; so a query sees one state, and projects never share a structure. The
 * first page in creation order and the counts of every backup or of states also read without it,
 * and keep what they read only if no writer held the lock meanwhile ({@link ShardLock}, {@link
 * WithoutLock}): every change to what they read is made under the write lock.
 *
 * <p>Each backup has a row position. Rows {@code [0, sortedCount)} are in creation order, (created
 * at, id) ascending, so that the default list (newest first) is a backward walk over positions and a
 * time segment is a range of positions found by binary search; new backups are the newest and
 * simply extend that order. A backup that arrives late (older than the newest sorted row) goes to
 * the tail {@code [sortedCount, size)}, whose live rows {@link TailOrder} keeps in row order, so that
 * a query walks the tail in order beside the sorted rows (a merge of two ordered runs that costs the
 * page, not the tail). A backup newer than the sorted rows extends them even while a tail exists:
 * the tail's first row moves to a new position at the end, so the tail holds only late backups, 5%
 * of them when 5% arrive late, not everything added after the first late one. A removed row leaves
 * every index and lets go of its backup (binary searches of the sorted rows probe live rows only);
 * a removed tail row's position is taken again by a later late backup. Removed rows at either end
 * of the sorted rows cost less still: the newest leave the sorted rows (a backup added and removed
 * leaves no trace), the oldest form a dead prefix that searches skip and whose row chunks and bitmap
 * words are let go (a retention job that removes the oldest backups makes no reorganisation due
 * until the prefix is {@link #DEAD_PREFIX_RATIO} times the positions past it, or the values and
 * names no live backup has any more outnumber the live backups: {@link #deadKeys()}).
 *
 * <p>When the tail or the removed rows grow past a fraction of the rows (the tail only once the
 * {@linkplain #WRITERS_PAUSE pause} after the last reorganisation is over, and while late backups
 * do not {@linkplain #lateAddsOutrunReorganisation outrun} one), or the searches have paid
 * for the tail about what a reorganisation costs ({@link #noteTailRead()}), the shard {@linkplain
 * #reorganise() reorganises} the way Lucene merges segments: a new shard is built in order from a
 * copy of the live rows, beside the readers (who keep reading this state) and the writers (whose
 * changes meanwhile are caught up by id), and swapped in under the write lock with a bounded amount
 * of work left. Of the two designs the issue allowed, this one was chosen over positions with gaps
 * (an order key with room for inserts): gaps would make every bitmap of the shard sparser for good
 * and still need a renumbering pass when a gap fills, and a query's cost would follow the key space,
 * not the rows, while a tail kept in order costs a query only the tail rows it reads.
 *
 * <p>Indexes map each indexed value to the {@link Postings} of its rows: status (dense bitmaps),
 * the attributes of {@link Attribute}, tag key=value and tag key, and {@link TextIndex}es for
 * backup names and server names; {@link TagSets} keeps the distinct tag sets of the rows, for
 * conjunctions of tags; {@link IdIndex} maps ids to positions.
 *
 * <p>A single add, removal or transition updates under the write lock what every search reads (the
 * rows, the live and status bitmaps, the tail's order, the id table, the usage), and the indexes
 * that only some searches read (the postings of fields and tags, the tag sets, names, servers and
 * running jobs) right after it lets go of the lock: the searches that read those wait for that
 * ({@link UpdatesBehind#by}), the default list and the searches by status and time only for the hold.
 * Before the hold, under the read lock, the change reads what the hold will read ({@link
 * #readAheadForAdd}, {@link #readAheadForRemoval}; a transition works out its next version there), so
 * that the hold finds it in cache.
 */
final class ProjectShard {
  /** The row order: creation time, then id; the default sort is its reverse. */
  static final Comparator<Backup> ROW_ORDER = ProjectShard::compareRows;

  private static final BackupStatus[] STATUSES = BackupStatus.values();
  /** Server ids are indexed with the server names, in {@link #servers}; the other attributes here. */
  private static final Attribute[] ATTRIBUTES_BESIDE_SERVER = java.util.EnumSet.complementOf(
      java.util.EnumSet.of(Attribute.SERVER_ID)).toArray(new Attribute[0]);
  /** The values of a tag no backup has: never written. */
  private static final GrowingMap<Postings> NO_VALUES = new GrowingMap<>();
  /** A tail or removed rows beyond this many, and a fraction of the rows, make a reorganisation due. */
  static final int MIN_REBUILD_SLACK = 1024;
  /**
   * A dead prefix (the oldest rows, removed by a retention job) this many times as long as the
   * positions past it makes a reorganisation due. It costs no memory and no search (see {@link
   * #firstLive}), but the positions it leaves behind grow the id table's position field, whose every
   * bit is one fewer of the hash the table keeps to rule out a slot without reading its key (at 1M,
   * four times the positions cost two of eight bits).
   */
  static final int DEAD_PREFIX_RATIO = 3;

  final String projectId;
  private final int minRebuildSlack;
  /**
   * How many times as long as the last reorganisation took the shard waits, after it, before the
   * changes alone make another due for the tail: 0, never (see {@link #WRITERS_PAUSE}).
   */
  private final int pauseFactor;
  /** The time the pause is measured in: {@link System#nanoTime()}, or a test's. */
  private final java.util.function.LongSupplier nanoTime;
  /**
   * When the pause after the last reorganisation ends, in {@link #nanoTime}: from then on a tail past
   * the slack makes one due again. Written by the swap, under the write lock; read by changes and reads.
   */
  private volatile long tailTriggerOpensAt;
  /**
   * The nanoseconds (by {@link #nanoTime}) a row took the last time the rows were laid out (a
   * reorganisation from its start to its swap, a bulk load, a batch's layout); 0 before any: what
   * {@link #lateAddsOutrunReorganisation} expects a reorganisation of the live rows to take.
   */
  private volatile double layoutNanosPerRow;
  // The rate of late adds (new tail rows), for lateAddsOutrunReorganisation: each late add counts
  // 1 / LATE_RATE_NANOS, decaying by e for every LATE_RATE_NANOS since (a steady rate of r an
  // instant reads as r; a pause of a few milliseconds, a collector's, barely moves it), as of the
  // time (by nanoTime) of the last late add. Written under the write lock; read under either lock or
  // none (a wake-up), where a stale value only delays or hastens a decision no answer depends on
  private double lateAddsPerNano;
  private long lateAddsAsOf;
  final ShardLock lock = new ShardLock();
  /**
   * The threads waiting for {@link #lock}'s write lock through the catalog that spin for it or have
   * queued for it (not while they sleep between spins); new readers let them go first (see {@code
   * IndexedCatalog.lockForReading}).
   */
  final AtomicInteger writersWaiting = new AtomicInteger();

  // The rows and their indexes: a reorganisation replaces them all at once (adopt)
  private RowArray rows = new RowArray();
  private int size;
  private int sortedCount;
  /**
   * The sorted positions below this one are all dead (the oldest backups, removed: a retention job),
   * and their row chunks are let go ({@link RowArray#releaseBelow}) but for the one holding {@code
   * firstLive - 1} (the newest sorted row, when every sorted row is dead); binary searches start
   * here. Such a dead prefix costs the searches nothing (the live and status sets start at its
   * end) and no memory (the bitmaps let go of its words as they grow, {@link PositionBits}), so it
   * makes a reorganisation due only once it is {@link #DEAD_PREFIX_RATIO} times the positions past it.
   */
  private int firstLive;
  private int liveCount;
  private PositionBits live = new PositionBits();
  private PositionBits[] statusBits = newStatusBits();
  private int[] statusCounts = new int[STATUSES.length];
  /**
   * The live rows in each state at tail positions (from {@link #sortedCount}): what a page weighs
   * walking the tail against collecting its matches by ({@link #matchesInTail}) without counting
   * the tail's words, 1,560 of them a state for a tail of 100,000 rows.
   */
  private int[] tailStatusCounts = new int[STATUSES.length];
  /** Reads a row's id: one function for the shard's life, which the id table it adopts is bound to. */
  private final java.util.function.IntFunction<String> idOfRow = this::idAt;
  private IdIndex ids = new IdIndex(idOfRow);
  // GrowingMaps, not HashMaps: a value may take hundreds of thousands of forms (tag values, policy
  // ids), and a HashMap that doubles rehashes them all under the write lock
  private EnumMap<Attribute, GrowingMap<Postings>> attributes = new EnumMap<>(Attribute.class);
  /** Each tag key's rows and its values' rows: one lookup of the key a tag, where two maps took two. */
  private GrowingMap<TagKey> tags = new GrowingMap<>();
  private TagSets tagSets = new TagSets();
  private RunningJobs running = new RunningJobs();
  /**
   * Updates of the indexes that only some searches read (the postings of the fields and tags, the tag
   * sets, the names and servers, the running jobs) that a change left to make after it let go of the
   * write lock ({@link #makeUpdatesBehind}), and the thread that owes them ({@link UpdatesBehind#by},
   * null when none is behind; set only under the write lock). Whoever takes the write lock next, and
   * every read of those indexes ({@link #awaitUpdatesBehind}), waits for them first: a reader that
   * holds the read lock and has waited sees them made, and no other can be left behind until it lets
   * go (that takes the write lock). The searches that read none of them (the default list, statuses,
   * times: the rows, the live and status bitmaps, the tail's order) go on meanwhile: the updates were
   * most of a change's hold (a running job's move three quarters of a transition's).
   */
  private final UpdatesBehind behind = new UpdatesBehind();
  private UsageIndex usage = new UsageIndex();
  /** The live rows of the tail, {@code [sortedCount, size)}, in row order. */
  private TailOrder tail = new TailOrder();
  /**
   * Dead tail positions a late backup may take again, as a stack; a position whose bit in {@link
   * #freeTailBits} is clear was taken by the sorted rows since, and is skipped.
   */
  private int[] freeTail = new int[8];
  private int freeTailCount;
  private PositionBits freeTailBits = new PositionBits();
  /**
   * Postings of values (and tag keys) whose rows were all removed: each keeps its key and its object
   * until a reorganisation builds the indexes afresh; counted, with the text indexes' entries without
   * rows, by {@link #deadKeys()}.
   */
  private int emptiedLists;
  /** Reads rows for {@link #tail}; bound to this shard, whichever arrays it holds. */
  private final java.util.function.IntFunction<Backup> rowAt = position -> rows.get(position);

  // Reorganisation: see reorganise()
  /** The ids changed since a reorganisation began copying the rows (or its last round); null when none runs. */
  private ChangedIds changedDuringReorganisation;
  /**
   * Tests only: run by a reorganisation after each slice of its copy, no lock held, with the first
   * position the copy has not reached; null otherwise.
   */
  volatile IntConsumer betweenCopySlices;
  /**
   * Set by the change that made a reorganisation due (under the write lock), or by the read that
   * found the reads had paid for the tail as much as a reorganisation costs; cleared when one starts.
   */
  private volatile boolean reorganisationDue;
  /**
   * What the last read-ahead found, kept so that the compiler cannot drop its reads as unused; nothing
   * reads it. Written under the read lock, by any writer: a race on a value no one reads.
   */
  @SuppressWarnings("unused")
  private long readAhead;
  /**
   * The tail rows the reads of this state could pass, summed over the reads since the last
   * reorganisation began: see {@link #noteTailRead()}.
   */
  private final java.util.concurrent.atomic.AtomicLong tailReadCost = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicBoolean reorganising = new java.util.concurrent.atomic.AtomicBoolean();
  /** Set by the first sort by name: reorganisations then build the order of the names too ({@link #keepNameOrder()}). */
  private volatile boolean nameOrderWanted;
  /** Set while a reorganisation's last rounds of catching up hold writers off; see awaitWriterGate(). */
  private volatile boolean writersHeldOff;
  private final Object writerGate = new Object();
  final ShardStats stats = new ShardStats();
  /**
   * The first answer a read without the lock proved in a state of this shard (the lock's stamp then),
   * for the reads of the same question that meet the change after it (see {@code
   * IndexedCatalog.readWithoutLock}); an immutable value, published by this volatile write.
   */
  volatile IndexedCatalog.ProvenAnswer provenAnswer;
  private io.csbs.usage.Quota quota = io.csbs.usage.Quota.NONE;
  /** The sequence of the project's last committed change; raised under the write lock. */
  private long sequence;
  /**
   * Backup names; an entry reads its name from one of its rows (bound to this shard's row array,
   * which a reorganisation replaces together with this index).
   */
  private TextIndex names = new TextIndex(false, TextIndex.MANY_ENTRIES_BLOCK, namesOf(rows));
  /** Server names, grouped by server id: answers both server id and server name searches. */
  private TextIndex servers = new TextIndex(true, 1);
  /** Batches at least this large build their text indexes on a second core (and check their ids beside their sort). */
  static final int PARALLEL_BATCH = 16_384;

  ProjectShard(String projectId) {
    this(projectId, MIN_REBUILD_SLACK);
  }

  /** A shard that rebuilds past {@code minRebuildSlack} tail or removed rows; tests make it small. */
  ProjectShard(String projectId, int minRebuildSlack) {
    this(projectId, minRebuildSlack, 0, System::nanoTime);
  }

  /**
   * A shard that rebuilds past {@code minRebuildSlack} tail or removed rows and, after a
   * reorganisation, lets a tail grow past that slack for {@code pauseFactor} times as long as the
   * reorganisation took, by {@code nanoTime}, before the changes alone make another due.
   */
  ProjectShard(String projectId, int minRebuildSlack, int pauseFactor, java.util.function.LongSupplier nanoTime) {
    this.projectId = projectId;
    this.minRebuildSlack = minRebuildSlack;
    this.pauseFactor = pauseFactor;
    this.nanoTime = nanoTime;
    this.tailTriggerOpensAt = nanoTime.getAsLong();
    for (Attribute attribute : ATTRIBUTES_BESIDE_SERVER) {
      attributes.put(attribute, new GrowingMap<>());
    }
  }

  // ---- reads: callers hold at least the read lock

  int size() {
    return size;
  }

  int sortedCount() {
    return sortedCount;
  }

  int liveCount() {
    return liveCount;
  }

  Backup row(int position) {
    return rows.get(position);
  }

  boolean isLive(int position) {
    return live.get(position);
  }

  /**
   * {@code backup}, or an equal copy holding the parts (server, tags, VM metadata, policy id) the
   * shard's last backup of its server holds, where {@code backup}'s are equal but other objects
   * ({@link ServerParts}): what the shard should store. Changes nothing; the caller holds the read or
   * the write lock.
   */
  Backup share(Backup backup) {
    return usage.share(backup);
  }

  /** {@link #readAheadForAdd}'s answer for a backup whose id is taken. */
  static final long ID_TAKEN = Long.MIN_VALUE;
  /** {@link #readAheadForAdd}'s answer for a backup that will not join the tail; a place not known. */
  static final long NO_PLACE = Long.MIN_VALUE + 1;

  /**
   * Reads what {@link #addIfAbsent(Backup, boolean, long)} of {@code backup} will read under the
   * write lock, changing nothing: the id table's slots for its id, the place of a late backup in the
   * tail's order and the words of the free position it would take (its server's usage totals are
   * read by {@link #share}, which {@link IndexedCatalog#add} calls just before, under the same lock).
   * Returns {@link #ID_TAKEN} if its id is taken, else the late backup's place in the tail's order
   * (a {@link TailOrder} cursor, {@link TailOrder#END} included) or {@link #NO_PLACE}: the add may
   * take that place if no change came in between. The caller holds the read lock, beside the
   * searches that read without it, so that the write lock's hold that follows finds the rest in
   * this core's cache: at 1M backups a late add held the lock for 1 to 4 us, most of it cache
   * misses, and a search that met the hold waited that long (see {@link IndexedCatalog#add}).
   */
  long readAheadForAdd(Backup backup) {
    if (ids.get(backup.id()) >= 0) {
      return ID_TAKEN;
    }
    long found = 0;
    boolean late = !newerThanSorted(backup);
    long place = late ? tail.readAhead(backup, rowAt) : NO_PLACE;
    int free = late || size > sortedCount ? freeTailStillFree() : -1;  // a new backup then moves a tail row
    if (free >= 0) {
      int position = freeTail[free];
      found += (rows.get(position) == null ? 1 : 0) + (live.get(position) ? 1 : 0)
          + (statusBits[backup.status().ordinal()].get(position) ? 1 : 0);
    }
    readAhead = found;
    return place;
  }

  /**
   * Reads what {@link #remove(int, boolean)} of the live row at {@code position}, holding {@code
   * backup}, will read under the write lock, changing nothing (the id's slot the caller found it by):
   * its server's usage totals, its place in the tail's order or, for a sorted row, its name's entry.
   * The caller holds the read lock; see {@link #readAheadForAdd}.
   */
  void readAheadForRemoval(int position, Backup backup) {
    long found = usage.hasTotals(backup.server().id()) ? 1 : 0;
    if (position >= sortedCount) {
      found += tail.readAheadOfRemove(backup);
    } else {
      awaitUpdatesBehind();  // another writer's change may be updating the names after its hold
      found += names.contains(null, backup.name()) ? 1 : 0;
    }
    readAhead = found;
  }

  /** The position of the live backup {@code id}, or -1. */
  int positionOf(String id) {
    return ids.get(id);
  }

  /** The live rows; counted by the shard, so a total of every backup reads no bitmap. */
  MatchSet liveSet() {
    return live.window(firstLiveWord(), Bits.wordsFor(size), liveCount);
  }

  /**
   * How many of {@code set}'s positions are tail rows (from {@link #sortedCount()}): for every live
   * row, a whole state or a union of whole states, from the shard's counters; else counted in the
   * set's words.
   */
  int matchesInTail(Positions set) {
    if (set instanceof MatchSet) {
      int count = countedTailRows((MatchSet) set);
      if (count >= 0) {
        return count;
      }
    } else if (set instanceof Positions.DisjointUnion) {
      int count = 0;
      for (MatchSet part : ((Positions.DisjointUnion) set).sets()) {
        int partCount = countedTailRows(part);
        if (partCount < 0) {
          return set.countIn(sortedCount, size);
        }
        count += partCount;
      }
      return count;
    }
    return set.countIn(sortedCount, size);
  }

  /**
   * The tail rows of {@code set} if it is {@link #liveSet()} (the tail's order lists them) or a whole
   * state's {@link #statusSet} of this state (a window of its bits as many as its rows), else -1.
   */
  private int countedTailRows(MatchSet set) {
    if (set.windowOf(live)) {
      return set.cardinality() == liveCount ? tail.size() : -1;
    }
    for (int s = 0; s < statusBits.length; s++) {
      if (set.windowOf(statusBits[s])) {
        return set.cardinality() == statusCounts[s] ? tailStatusCounts[s] : -1;
      }
    }
    return -1;
  }

  /**
   * What of the shard's counters disagrees with its bitmaps (the live rows, each state's, the tail's
   * share of each), or null when they all agree: for tests, after changes and reorganisations.
   */
  String countersAgainstBits() {
    StringBuilder wrong = new StringBuilder();
    compareCount(wrong, "live rows", liveCount, liveSet().countIn(0, size));
    compareCount(wrong, "live tail rows", tail.size(), liveSet().countIn(sortedCount, size));
    for (BackupStatus status : STATUSES) {
      MatchSet set = statusSet(status);
      compareCount(wrong, status + " rows", statusCounts[status.ordinal()], set.countIn(0, size));
      compareCount(wrong, status + " tail rows", tailStatusCounts[status.ordinal()], set.countIn(sortedCount, size));
    }
    return wrong.length() == 0 ? null : wrong.toString();
  }

  private static void compareCount(StringBuilder wrong, String what, int counted, int inBits) {
    if (counted != inBits) {
      wrong.append(what).append(": counted ").append(counted).append(", in the bits ").append(inBits).append("; ");
    }
  }

  /** The rows in {@code status}; counted by the shard, like {@link #liveSet()}. */
  MatchSet statusSet(BackupStatus status) {
    return statusBits[status.ordinal()].window(firstLiveWord(), Bits.wordsFor(size), statusCounts[status.ordinal()]);
  }

  /**
   * The first bitmap word a live row may be in: the words below hold the dead prefix only, and a
   * query's own bitmaps start here.
   */
  int firstLiveWord() {
    return firstLive >>> 6;
  }

  /** The first live sorted position, or the end of the sorted rows: every row below it is removed. */
  int firstLive() {
    return firstLive;
  }

  /** The words the live, status and free tail bitmaps hold (tests: the dead prefix holds none). */
  long bitmapWords() {
    long words = live.words().length + freeTailBits.words().length;
    for (PositionBits bits : statusBits) {
      words += bits.words().length;
    }
    return words;
  }

  /**
   * The positions past the dead prefix's words: what a query's bitmap of this shard's rows spans, and
   * what a list of rows weighs a bitmap against ({@link Postings#add}).
   */
  int positionsInUse() {
    return size - (firstLiveWord() << 6);
  }

  /** The rows of {@code postings} (an index of this shard's), without the words of the dead prefix. */
  MatchSet setOf(Postings postings) {
    return MatchSet.of(postings, firstLiveWord());
  }

  int statusCount(BackupStatus status) {
    return statusCounts[status.ordinal()];
  }

  boolean hasStatus(int position, BackupStatus status) {
    return statusBits[status.ordinal()].get(position);
  }

  // the indexes below may have updates behind the write lock: each read waits for them (UpdatesBehind.by)

  Postings attributePostings(Attribute attribute, String value) {
    awaitUpdatesBehind();
    return attributes.get(attribute).get(value);
  }

  Postings tagKeyPostings(String key) {
    awaitUpdatesBehind();
    TagKey tagKey = tags.get(key);
    return tagKey == null ? null : tagKey.rows;
  }

  /** The distinct tag sets of the live rows, for conjunctions of tag=value criteria. */
  TagSets tagSets() {
    awaitUpdatesBehind();
    return tagSets;
  }

  /** The values of tag {@code key} with their postings; empty if no backup has the key. */
  GrowingMap<Postings> tagValuePostings(String key) {
    awaitUpdatesBehind();
    TagKey tagKey = tags.get(key);
    return tagKey == null ? NO_VALUES : tagKey.values;
  }

  TextIndex names() {
    awaitUpdatesBehind();
    return names;
  }

  UsageIndex usage() {
    return usage;
  }

  io.csbs.usage.Quota quota() {
    return quota;
  }

  void setQuota(io.csbs.usage.Quota quota) {
    this.quota = quota;
  }

  /** Whether no change of this project ever committed, and it has neither backups nor quotas. */
  boolean neverHeldAnything() {
    return sequence == 0 && liveCount == 0 && quota.equals(io.csbs.usage.Quota.NONE) && stats.reorganisations() == 0;
  }

  /** The sequence of the project's last committed change: 0 before its first. */
  long sequence() {
    return sequence;
  }

  /** Raises the sequence for a change being committed and returns the change's sequence. */
  long nextSequence() {
    return ++sequence;
  }

  /** Moves the sequence on by {@code changes} committed changes that no subscriber is handed. */
  void skipSequences(int changes) {
    sequence += changes;
  }

  /** Sets the sequence of a loaded project. */
  void setSequence(long sequence) {
    this.sequence = sequence;
  }

  /** The server's name on its newest live backup (rows are in creation order, but for the tail). */
  String serverName(String serverId) {
    awaitUpdatesBehind();
    Backup newest = null;
    for (MatchSet rowsOfServer : servers.groupRows(serverId)) {
      int sortedNewest = rowsOfServer.previous(sortedCount - 1);
      if (sortedNewest >= 0 && (newest == null || ROW_ORDER.compare(rows.get(sortedNewest), newest) > 0)) {
        newest = rows.get(sortedNewest);
      }
      for (int position = rowsOfServer.next(sortedCount); position >= 0; position = rowsOfServer.next(position + 1)) {
        if (newest == null || ROW_ORDER.compare(rows.get(position), newest) > 0) {
          newest = rows.get(position);
        }
      }
    }
    return newest == null ? serverId : newest.server().name();
  }

  /** The running jobs and when their progress last changed. */
  RunningJobs running() {
    awaitUpdatesBehind();
    return running;
  }

  /**
   * Waits until no update of the indexes is behind the write lock ({@link UpdatesBehind#by}),
   * spinning first (they take a microsecond or a few); when the caller's own are (it holds the write
   * lock again, or reads between its unlock and {@link #makeUpdatesBehind}), makes them now. Called
   * by every read of the indexes that may be behind, and by a writer as soon as it has the write lock.
   */
  void awaitUpdatesBehind() {
    Thread by = behind.by;
    if (by == null) {
      return;
    }
    if (by == Thread.currentThread()) {
      if (!behind.making) {
        makeUpdatesBehind();
      }
      return;
    }
    long start = System.nanoTime();
    while (behind.by != null) {
      if (System.nanoTime() - start < IndexedCatalog.SPIN_NANOS) {
        Thread.onSpinWait();
      } else {
        LockSupport.parkNanos(IndexedCatalog.FIRST_PAUSE_NANOS);  // the writer was taken off its core
      }
    }
    stats.waitedForLock(System.nanoTime() - start);
  }

  /**
   * Makes the updates of the indexes this thread's change left behind the write lock, in order, and
   * then looks whether the keys without rows make a reorganisation due (which the change could not
   * count under the lock); nothing when it left none. The caller has just let go of the write lock.
   */
  void makeUpdatesBehind() {
    if (behind.by != Thread.currentThread() || behind.making) {
      return;
    }
    behind.making = true;
    try {
      for (int i = 0; i < behind.count; i++) {
        int position = behind.positions[i];
        Backup backup = behind.backups[i];
        switch (behind.kinds[i]) {
          case UpdatesBehind.INDEX_FIELDS:
            indexAttributesAndTags(position, backup, behind.extras[i]);
            indexTexts(position, backup, behind.extras[i]);
            break;
          case UpdatesBehind.UNINDEX_FIELDS:
            unindexFields(position, backup, behind.extras[i] != 0);
            break;
          case UpdatesBehind.PUT_RUNNING:
            running.put(position, backup.progress().get().changedAt(), behind.extras[i] != 0);  // replaces the previous time
            break;
          default:
            running.remove(position);
        }
      }
      if (deadKeysDue()) {
        reorganisationDue = true;
      }
    } finally {
      behind.clear();
      behind.making = false;
      behind.by = null;  // after the updates: a thread that reads null sees them made
    }
  }

  /** Leaves an update of the indexes behind the write lock, which the caller holds. */
  private void leaveBehind(byte kind, int position, Backup backup, int extra) {
    behind.add(kind, position, backup, extra);
    if (behind.by == null) {
      behind.by = Thread.currentThread();
    }
  }

  /** Updates of a shard's indexes in order: what each is, its position, backup and one more int. */
  private static final class UpdatesBehind {
    /** {@link #indexFields}, with the positions in use then. */
    static final byte INDEX_FIELDS = 0;
    /** {@link #unindexFields}, with 1 to unindex the name too (0: the change did it). */
    static final byte UNINDEX_FIELDS = 1;
    /** The backup's progress time in the running jobs, with 1 for a position in the tail. */
    static final byte PUT_RUNNING = 2;
    /** The position out of the running jobs. */
    static final byte REMOVE_RUNNING = 3;

    /**
     * The thread whose change left them; null when none is behind. Here, not in the shard: a change
     * writes it (and {@link #making}) after it lets go of the lock, as the reads of the new state
     * begin, and in the shard object it shared cache lines with the fields those reads need.
     */
    volatile Thread by;
    /** Whether {@link #by} is making them: a read of an index meanwhile must not make them again. */
    boolean making;
    byte[] kinds = new byte[4];
    int[] positions = new int[4];
    Backup[] backups = new Backup[4];
    int[] extras = new int[4];
    int count;

    void add(byte kind, int position, Backup backup, int extra) {
      if (count == kinds.length) {
        kinds = Arrays.copyOf(kinds, 2 * count);
        positions = Arrays.copyOf(positions, 2 * count);
        backups = Arrays.copyOf(backups, 2 * count);
        extras = Arrays.copyOf(extras, 2 * count);
      }
      kinds[count] = kind;
      positions[count] = position;
      backups[count] = backup;
      extras[count++] = extra;
    }

    void clear() {
      Arrays.fill(backups, 0, count, null);  // the backups are not kept alive
      count = 0;
    }
  }

  TextIndex servers() {
    awaitUpdatesBehind();
    return servers;
  }

  /**
   * The first position of the sorted rows whose creation time is not below {@code bound} (or above
   * it, when {@code strictlyAbove}); {@link #sortedCount()} if none.
   */
  int lowerBound(java.time.Instant bound, boolean strictlyAbove) {
    return firstLiveNotBefore(firstLive, sortedCount, row -> {
      int order = row.createdAt().compareTo(bound);
      return order < 0 || (strictlyAbove && order == 0);
    });
  }

  /** The first sorted position whose row comes after {@code backup} in {@link #ROW_ORDER}. */
  int firstSortedAfter(Backup backup) {
    return firstSorted(backup, true);
  }

  /** The first sorted position whose row does not come before {@code backup} in {@link #ROW_ORDER}. */
  int firstSortedNotBefore(Backup backup) {
    return firstSorted(backup, false);
  }

  private int firstSorted(Backup backup, boolean strictlyAfter) {
    return firstLiveNotBefore(firstLive, sortedCount, row -> {
      int order = compareRows(row, backup);
      return order < 0 || (strictlyAfter && order == 0);
    });
  }

  /**
   * About the bytes the shard's rows and indexes take on the heap, not counting the backups
   * themselves: the row array, bitmaps, id table, postings of every indexed value, text indexes,
   * running jobs and the tail's order. An estimate from the structures' sizes (object headers and
   * map nodes approximated), computed on demand in a pass over the indexed values, not the rows.
   */
  long estimatedIndexBytes() {
    awaitUpdatesBehind();
    long bytes = rows.estimatedBytes() + live.estimatedBytes();
    for (PositionBits bits : statusBits) {
      bytes += bits.estimatedBytes();
    }
    bytes += ids.estimatedBytes() + running.estimatedBytes() + tail.estimatedBytes();
    bytes += 16 + 4L * freeTail.length + freeTailBits.estimatedBytes();
    bytes += names.estimatedBytes() + servers.estimatedBytes();
    for (GrowingMap<Postings> index : attributes.values()) {
      bytes += postingsBytes(index);
    }
    long[] tagBytes = {tags.estimatedBytes()};
    tags.forEach((key, tagKey) -> tagBytes[0] += 24 + tagKey.rows.estimatedBytes() + postingsBytes(tagKey.values));
    bytes += tagBytes[0];
    bytes += tagSets.estimatedBytes();
    bytes += usage.estimatedBytes();
    return bytes;
  }

  private static long postingsBytes(GrowingMap<Postings> index) {
    long[] bytes = {index.estimatedBytes()};
    index.forEach((value, postings) -> bytes[0] += postings.estimatedBytes());
    return bytes[0];
  }

  /** The live tail rows in row order. */
  TailOrder tail() {
    return tail;
  }

  private static java.util.function.IntFunction<String> namesOf(RowArray rows) {
    return position -> rows.get(position).name();
  }

  private static java.util.function.IntFunction<String> namesOf(Backup[] batch) {
    return position -> batch[position].name();
  }

  /** Reads a row by position, for {@link TailOrder}'s searches. */
  java.util.function.IntFunction<Backup> rowAt() {
    return rowAt;
  }

  /**
   * The first sorted position in {@code [0, upTo]} from which every sorted row up to {@code upTo}
   * comes after {@code backup}, knowing that the rows from {@code upTo} on do: found by galloping down
   * from {@code upTo}, so that it costs the distance, not the catalog.
   */
  int firstAfterGallopingDown(Backup backup, int upTo) {
    int high = Math.min(upTo, sortedCount);
    int step = 1;
    int low = high - 1;
    while (low >= firstLive) {
      int probe = liveSortedIn(low, high);
      if (probe >= 0 && compareRows(rows.get(probe), backup) <= 0) {
        low = probe + 1;  // the live rows up to the probe do not come after
        break;
      }
      high = low;  // every live row from low on comes after
      low = high - step;
      step <<= 1;
    }
    return firstLiveNotBefore(Math.max(low, firstLive), high, row -> compareRows(row, backup) <= 0);
  }

  /**
   * The first sorted position at or above {@code from} whose row comes after {@code backup}, knowing
   * that the rows below {@code from} do not: found by galloping up from {@code from}.
   */
  int firstAfterGallopingUp(Backup backup, int from) {
    int low = Math.max(firstLive, from);
    int step = 1;
    int high = low;
    while (high < sortedCount) {
      int probe = liveSortedIn(high, sortedCount);
      if (probe < 0 || compareRows(rows.get(probe), backup) >= 0) {
        high = probe < 0 ? sortedCount : probe;
        break;
      }
      low = probe + 1;  // the live rows up to the probe come before
      high = low + step;
      step <<= 1;
    }
    high = Math.min(high, sortedCount);
    return firstLiveNotBefore(low, high, row -> compareRows(row, backup) < 0);
  }

  /** The first live sorted position in {@code [from, to)}, or -1. */
  private int liveSortedIn(int from, int to) {
    if (from >= to) {
      return -1;
    }
    int found = live.nextSetBit(from, Bits.wordsFor(to));
    return found < to ? found : -1;
  }

  /**
   * The first position in {@code [low, high)} from which no live sorted row is {@code before}, where
   * every live row below {@code low} is and none from {@code high} on is: a binary search that reads
   * live rows only (a removed sorted row holds no backup, see {@link #sortedRowDied}), probing the
   * first live row at or above each midpoint. Positions of removed rows hold no match of any search,
   * so an answer among them is as good as the live answer after them.
   */
  private int firstLiveNotBefore(int low, int high, java.util.function.Predicate<Backup> before) {
    while (low < high) {
      int mid = (low + high) >>> 1;
      int probe = liveSortedIn(mid, high);
      if (probe >= 0 && before.test(rows.get(probe))) {
        low = probe + 1;
      } else {
        high = mid;  // the live rows from mid on are not before (none, or the probe's on)
      }
    }
    return low;
  }

  TagCatalogue tagCatalogue() {
    awaitUpdatesBehind();
    Map<String, TreeSet<String>> existing = new TreeMap<>();
    tags.forEach((key, tagKey) -> tagKey.values.forEach((value, postings) -> {
      if (postings.count() > 0) {
        existing.computeIfAbsent(key, k -> new TreeSet<>()).add(value);
      }
    }));
    return TagCatalogue.of(existing);
  }

  // ---- writes: callers hold the write lock

  /**
   * Adds {@code backup} unless its id is in the shard: then returns false, with nothing changed. A
   * late backup (and a new one while no tail exists) checks its id and puts it in one probe of the
   * id table ({@link IdIndex#putIfAbsent}), at the position it is about to take; a new backup while
   * a tail exists moves a tail row first, which changes the id table, so it looks its id up before.
   * With {@code leaveBehind}, a backup that takes a new row or a free tail position is put in the
   * indexes of fields, tags and texts after the write lock (see {@link UpdatesBehind#by}): the caller
   * makes that with {@link #makeUpdatesBehind()} right after it lets go of the lock. (A new backup
   * that moves a tail row does it all at once: the row it moves out of the way takes another
   * position, which the names' index reads names from.) A late backup takes {@code tailPlace} in the
   * tail's order unless it is {@link #NO_PLACE}: what {@link #readAheadForAdd} answered with no
   * change since.
   */
  boolean addIfAbsent(Backup backup, boolean leaveBehind, long tailPlace) {
    if (size > sortedCount && newerThanSorted(backup)) {
      if (ids.get(backup.id()) >= 0) {
        return false;
      }
      add(backup);
      return true;
    }
    return appendNew(backup, true, leaveBehind, tailPlace);
  }

  /** Adds a backup whose id is not in the shard. */
  void add(Backup backup) {
    if (size > sortedCount && newerThanSorted(backup)) {
      changed(backup.id());
      // the tail holds rows: the first tail position becomes the end of the sorted rows, its row (if
      // live) moves to a new position at the end, so that the tail keeps only late backups
      int freed = sortedCount;
      if (live.get(freed)) {
        relocate(freed);
      } else {
        freeTailBits.clear(freed);  // a free tail position no more: the sorted rows take it
      }
      sortedCount++;
      place(freed, backup);
      usage.add(backup);
      noteIfReorganisationDue();
    } else {
      appendNew(backup, false, false, NO_PLACE);
    }
  }

  /**
   * Adds {@code backup} in a new row ({@link #newRow}) with its usage and field indexes (those left
   * behind the write lock with {@code leaveBehind}); with {@code ifAbsent}, returns false with
   * nothing changed when its id is in the shard.
   */
  private boolean appendNew(Backup backup, boolean ifAbsent, boolean leaveBehind, long tailPlace) {
    int position = newRow(backup, ifAbsent, tailPlace);
    if (position < 0) {
      return false;
    }
    changed(backup.id());
    usage.add(backup);
    if (leaveBehind) {
      leaveBehind(UpdatesBehind.INDEX_FIELDS, position, backup, positionsInUse());
    } else {
      indexFields(position, backup);
    }
    noteIfReorganisationDue();
    return true;
  }

  private boolean newerThanSorted(Backup backup) {
    return sortedCount == 0 || compareRows(rows.get(sortedCount - 1), backup) < 0;
  }

  /**
   * Moves the live tail row at {@code from} to a free tail position, or a new one at the end: every
   * index follows it.
   */
  private void relocate(int from) {
    Backup backup = rows.get(from);
    int to = takeFreeTailPosition();
    if (to < 0) {
      to = size;
      ensureRowCapacity(to + 1);
      size = to + 1;
    }
    ids.remove(backup.id());
    live.clear(from);
    liveCount--;
    clearStatus(from, backup.status());
    running.remove(from);
    unindexFields(from, backup, true);
    tail.move(from, to, backup, rowAt);
    changed(backup.id());
    place(to, backup);
  }

  /** Puts {@code backup} at the free {@code position}: row, live, status, progress, id, field indexes; not usage. */
  private void place(int position, Backup backup) {
    occupy(position, backup);
    indexFields(position, backup);
  }

  /** Puts {@code backup} at the free {@code position}: row, live, status, progress and id. */
  private void occupy(int position, Backup backup) {
    fill(position, backup);
    ids.put(backup.id(), position);
  }

  /** Puts {@code backup} at the free {@code position}: row, live, status and progress; not the id. */
  private void fill(int position, Backup backup) {
    if (changedDuringReorganisation != null) {
      changedDuringReorganisation.placedAt(position);  // a copy that has not reached it must skip it
    }
    rows.set(position, backup);
    live.set(position, firstLiveWord());
    liveCount++;
    setStatus(position, backup.status());
    trackProgress(position, backup);
  }

  private void ensureRowCapacity(int capacity) {
    rows.ensureCapacity(capacity);
  }

  /**
   * Puts {@code backup} in a new row: at the end of the sorted rows when it is newer than all of them
   * and no tail exists, else in the tail (a freed tail position, or a new one at the end); its row,
   * live bit, status, progress, id and place in the tail's order, not its usage or field indexes. The
   * position is worked out before anything changes, so that with {@code ifAbsent} the id's check and
   * insertion are one probe of the id table ({@link IdIndex#putIfAbsent}) and an id already in the
   * shard returns -1 with nothing changed; the row is stored at once, before any other use of the id
   * table reads the key at that position. A tail row takes {@code tailPlace} in the tail's order
   * unless it is {@link #NO_PLACE}.
   */
  private int newRow(Backup backup, boolean ifAbsent, long tailPlace) {
    boolean extendsSorted = size == sortedCount && newerThanSorted(backup);
    int position = extendsSorted ? size : peekFreeTailPosition();
    boolean takesFreePosition = !extendsSorted && position >= 0;
    if (position < 0) {
      position = size;
    }
    if (ifAbsent && ids.putIfAbsent(backup.id(), position) >= 0) {
      return -1;
    }
    if (takesFreePosition) {
      takeFreeTailPosition();  // the one peeked at
    } else {
      ensureRowCapacity(size + 1);
      size++;
      if (extendsSorted) {
        sortedCount++;
      }
    }
    if (ifAbsent) {
      fill(position, backup);  // the id is in the table already
    } else {
      occupy(position, backup);
    }
    if (!extendsSorted) {
      noteLateAdd();
      if (tailPlace == NO_PLACE) {
        tail.insert(position, backup, rowAt);
      } else {
        tail.insertAt(tailPlace, position, backup);
      }
    }
    return position;
  }

  /**
   * The dead tail position {@link #takeFreeTailPosition()} would take, without taking it, or -1.
   * Positions the sorted rows took since they were freed are dropped from the stack on the way, as
   * that method would: the positions a late backup may take stay the same.
   */
  private int peekFreeTailPosition() {
    freeTailCount = freeTailStillFree() + 1;
    return freeTailCount == 0 ? -1 : freeTail[freeTailCount - 1];
  }

  /**
   * The index in {@link #freeTail} of the position {@link #takeFreeTailPosition()} would take, or -1;
   * changes nothing (so that a read-ahead under the read lock may call it).
   */
  private int freeTailStillFree() {
    int i = freeTailCount - 1;
    while (i >= 0 && !freeTailBits.get(freeTail[i])) {
      i--;
    }
    return i;
  }

  /**
   * Remembers the dead tail position {@code position} for a later late backup. Tail positions need
   * no order (the tail's order is {@link TailOrder}'s), so a late backup may take one again: a shard
   * whose late backups come and go (imports, then retention) keeps its tail and removed rows as they
   * were, rather than growing them until a reorganisation.
   */
  private void freeTailPosition(int position) {
    if (freeTailCount == freeTail.length) {
      freeTail = Arrays.copyOf(freeTail, freeTailCount * 2);
    }
    freeTail[freeTailCount++] = position;
    freeTailBits.set(position, firstLiveWord());
  }

  /** A dead tail position to take again, or -1; skips those the sorted rows took since they were freed. */
  private int takeFreeTailPosition() {
    while (freeTailCount > 0) {
      int position = freeTail[--freeTailCount];
      if (freeTailBits.get(position)) {
        freeTailBits.clear(position);
        return position;
      }
    }
    return -1;
  }

  /**
   * Appends many backups, already in row order after the current rows or not, and indexes them. The
   * text indexes and the other field indexes are disjoint structures, so a second core builds the
   * text indexes while this thread builds the rest; a bulk load of a million backups takes about half
   * the time it would on one core. Callers hold the write lock (or own the shard alone, while a
   * reorganisation builds it), so no reader sees the structures being built.
   */
  private void appendAll(Backup[] backups) {
    ensureRowCapacity(size + backups.length);  // chunked: later rows add a chunk, no copy, so no room kept ahead
    int first = size;
    ids.ensureCapacity(size + backups.length);
    tagSets.startBatch();
    try {
      if (first == 0 && backups.length >= PARALLEL_BATCH) {
        buildEmpty(backups);
      } else {
        for (Backup backup : backups) {
          newRow(backup, false, NO_PLACE);
        }
        indexAll(first, size, first == 0);
      }
    } finally {
      tagSets.endBatch(liveCount);
    }
    if (first == 0) {
      trimRoom();
    }
  }

  /**
   * Builds this empty shard from {@code sorted}, backups in row order with no id twice: the bulk load
   * and a reorganisation's build. In an empty shard each of them extends the sorted rows, so its
   * position is its index in the array, known before any row is placed: the text indexes (and the
   * usage totals) are built on a second core from the array from the start, while this thread places
   * each row and indexes its other fields in the same pass, reading each backup once (a pass of rows
   * and then one of fields missed the cache on each backup twice; the texts, waiting for the rows,
   * started a fifth of the load late).
   */
  private void buildEmpty(Backup[] sorted) {
    int rowsInUse = sorted.length;  // no dead prefix in an empty shard: what positionsInUse() will be
    names.readTextsWith(namesOf(sorted));  // a name's lookup may read an earlier row this thread has not placed yet
    try {
      SecondCore.run(() -> {
        for (int index = 0; index < sorted.length; index++) {
          Backup backup = sorted[index];
          int position = newRow(backup, false, NO_PLACE);
          if (position != index) {  // the texts were indexed at the array's indexes
            throw new IllegalStateException("backup " + backup.id() + " of an empty shard's sorted batch at "
                + position + ", not " + index + ": the batch is not in row order or repeats an id");
          }
          indexAttributesAndTags(position, backup, rowsInUse);
        }
      }, () -> indexTextsAndUsage(index -> sorted[index], 0, sorted.length, rowsInUse, true));
    } finally {
      names.readTextsWith(namesOf(rows));
    }
  }

  /**
   * Lets go of the room the sparse lists keep to grow, about an eighth of their positions (a byte a
   * backup at 1M): after a batch that built the whole shard (a bulk load into an empty project, a
   * reorganisation), whose lists will mostly not grow again; an add into a list trimmed this way
   * copies it once. Not after a batch into a shard that has rows: that would copy every list under
   * the write lock for a few new rows. The running jobs' order and the live and status bitmaps (up to
   * half again as long as the rows) let go of their room too. (The text indexes trim themselves: see
   * {@link #indexAll}.)
   */
  private void trimRoom() {
    for (GrowingMap<Postings> index : attributes.values()) {
      index.forEach((value, postings) -> postings.trim());
    }
    tags.forEach((key, tagKey) -> {
      tagKey.rows.trim();
      tagKey.values.forEach((value, postings) -> postings.trim());
    });
    tagSets.trim();
    running.trim();
    live.trim(size, firstLiveWord());
    for (PositionBits bits : statusBits) {
      bits.trim(size, firstLiveWord());
    }
  }

  /**
   * Indexes the fields of the new rows {@code [first, end)} and counts them in the usage totals:
   * see {@link #appendAll}. After a batch that
   * built the whole shard, the text indexes let go of their spare room ({@link TextIndex#trim()}) on
   * the thread that built them: compacting a million distinct names' table rehashes them, beside
   * the other indexes' build rather than after it.
   */
  private void indexAll(int first, int end, boolean wholeShard) {
    if (end - first < PARALLEL_BATCH) {
      for (int position = first; position < end; position++) {
        Backup backup = rows.get(position);
        indexAttributesAndTags(position, backup);
        indexTexts(position, backup);
        usage.addToTotals(backup);
      }
      usage.placeAll();
      trimTexts(wholeShard);
      return;
    }
    // the usage totals too, beside the texts: the server's text entry has just read the backup's
    // server, so they cost this thread about 3% (counted in a pass of their own on the first thread,
    // they were an eighth of a bulk load's time there, mostly cache misses on each backup's server)
    int rowsInUse = positionsInUse();  // the rows are all placed: it stays the same while they are indexed
    SecondCore.run(() -> {
      for (int position = first; position < end; position++) {
        indexAttributesAndTags(position, rows.get(position));
      }
    }, () -> indexTextsAndUsage(rowAt, first, end, rowsInUse, wholeShard));
  }

  /**
   * The second core's share of a large batch: indexes the texts of the backups at positions {@code
   * [first, end)}, which {@code backupAt} reads, and counts them in the usage totals; then builds the
   * usage order and, after a batch that built the whole shard, trims the text indexes.
   */
  private void indexTextsAndUsage(java.util.function.IntFunction<Backup> backupAt, int first, int end,
      int rowsInUse, boolean wholeShard) {
    for (int position = first; position < end; position++) {
      Backup backup = backupAt.apply(position);
      indexTexts(position, backup, rowsInUse);
      usage.addToTotals(backup);
    }
    usage.placeAll();
    trimTexts(wholeShard);
  }

  /**
   * Reads what {@link #replace replace(position, next)} of a lifecycle step will update (the status
   * bitmaps' words, the running job's slot and places in its order), changing nothing: a transition
   * calls it under the read lock, beside the readers, so that its hold of the write lock finds them
   * in the cache. The answer means nothing: it is returned so that the reads are not optimised away.
   */
  long readAheadOfReplace(int position, Backup next) {
    Backup previous = rows.get(position);
    if (!previous.createdAt().equals(next.createdAt())) {
      return 0;  // replace removes and adds: not a lifecycle step
    }
    long read = 0;
    if (previous.status() != next.status()) {
      read += statusBits[previous.status().ordinal()].get(position) ? 1 : 0;
      read += statusBits[next.status().ordinal()].get(position) ? 2 : 0;
    }
    if (!previous.progress().equals(next.progress())) {
      RunningJobs jobs = running();
      read += next.progress().isPresent()
          ? jobs.readAheadOfPut(position, next.progress().get().changedAt(), position >= sortedCount)
          : jobs.readAheadOfRemove(position);
    }
    return read;
  }

  /** Replaces the live backup at {@code position} by its next version {@code next} (same id). */
  void replace(int position, Backup next) {
    replace(position, next, false);
  }

  /**
   * Replaces the live backup at {@code position} by its next version {@code next} (same id); with
   * {@code leaveBehind}, a change of its progress is left behind for the running jobs (see {@link
   * UpdatesBehind#by}): the caller makes it with {@link #makeUpdatesBehind()} right after it lets go
   * of the write lock.
   */
  void replace(int position, Backup next, boolean leaveBehind) {
    Backup previous = rows.get(position);
    if (!previous.createdAt().equals(next.createdAt())) {
      remove(position);
      add(next);
      return;
    }
    changed(next.id());
    if (previous.status() != next.status()) {
      clearStatus(position, previous.status());
      setStatus(position, next.status());
    }
    if (previous.sizeMb() != next.sizeMb() || !previous.server().id().equals(next.server().id())) {
      usage.remove(previous);
      usage.add(next);
    }
    if (!previous.progress().equals(next.progress())) {
      boolean inTail = position >= sortedCount;
      if (next.progress().isEmpty()) {
        if (leaveBehind) {
          leaveBehind(UpdatesBehind.REMOVE_RUNNING, position, null, 0);
        } else {
          running.remove(position);
        }
      } else if (leaveBehind) {
        leaveBehind(UpdatesBehind.PUT_RUNNING, position, next, inTail ? 1 : 0);
      } else {
        running.put(position, next.progress().get().changedAt(), inTail);  // replaces the previous time
      }
    }
    if (!sameIndexedFields(previous, next)) {  // never for lifecycle transitions
      // not left behind: the name's index reads a name from the row, which changes here
      unindexFields(position, previous, true);
      rows.set(position, next);
      indexFields(position, next);
    }
    rows.set(position, next);
  }

  /** Removes the live backup at {@code position}. */
  void remove(int position) {
    remove(position, false);
  }

  /**
   * Removes the live backup at {@code position}; with {@code leaveBehind}, its removal from the
   * indexes of fields, tags, servers and running jobs (and names, for a tail row) is left behind
   * (see {@link UpdatesBehind#by}): the caller makes it with {@link #makeUpdatesBehind()} right after
   * it lets go of the write lock. The name of a sorted row leaves at once: its row is let go below,
   * and the names' index reads a name from its row.
   */
  void remove(int position, boolean leaveBehind) {
    Backup backup = rows.get(position);
    changed(backup.id());
    boolean inTail = position >= sortedCount;
    if (inTail) {
      tail.remove(position, backup, rowAt);
    }
    ids.remove(backup.id());
    live.clear(position);
    liveCount--;
    clearStatus(position, backup.status());
    usage.remove(backup);
    if (leaveBehind) {
      leaveBehind(UpdatesBehind.REMOVE_RUNNING, position, null, 0);
      if (!inTail) {
        names.remove(null, backup.name(), position);
      }
      leaveBehind(UpdatesBehind.UNINDEX_FIELDS, position, backup, inTail ? 1 : 0);
    } else {
      running.remove(position);
      unindexFields(position, backup, true);
    }
    if (inTail) {
      freeTailPosition(position);
    } else {
      sortedRowDied(position);
    }
    noteIfReorganisationDue();
  }

  /**
   * After the removal of the sorted row at {@code position}, which already left every index: its
   * backup is let go (the searches of the sorted rows read live rows only), so that removed rows
   * cost a few bytes of position each, not a backup. Removed rows at the start of the sorted rows
   * (the oldest, removed by a retention job) form the dead prefix below {@link #firstLive}, whose
   * row chunks are let go too; removed rows at the end (the newest, removed soon after their add)
   * leave the sorted rows, for the tail's free positions or, without a tail, out of the rows, so
   * that a backup added and removed again leaves the shard as it was. The newest sorted row is
   * always live but when every sorted row is removed: then it keeps its backup, which a new backup
   * is compared with ({@link #newerThanSorted}).
   */
  private void sortedRowDied(int position) {
    if (position < sortedCount - 1) {
      rows.set(position, null);  // before its chunk may be released below
    }
    if (position == firstLive) {
      int next = liveSortedIn(position + 1, sortedCount);
      firstLive = next < 0 ? sortedCount : next;
      rows.releaseBelow(firstLive - 1);
    }
    // firstLive is live or the end of the sorted rows: the loop stops above it
    while (sortedCount > firstLive && !live.get(sortedCount - 1)) {
      int last = --sortedCount;
      rows.set(last, null);
      if (size == last + 1) {
        size = last;
      } else {
        freeTailPosition(last);
      }
    }
  }

  /**
   * Adds many backups at once: sorted, then appended in one pass while the shard has no tail (the
   * bulk load), else one by one, so that backups newer than the sorted rows extend them; a batch
   * whose late backups are at least half the live rows lays the shard out again with them ({@link
   * #layingOutAgainPays}).
   */
  void addBatch(List<Backup> backups) {
    Backup[] sorted = backups.toArray(new Backup[0]);
    RowSort.sort(sorted, 0, sorted.length);
    addSorted(sorted);
  }

  /** {@link #addBatch}, of backups sorted in row order already ({@link RowSort}), with no id twice. */
  void addSorted(Backup[] sorted) {
    boolean empty = size == 0;
    if (!empty && layingOutAgainPays(sorted)) {
      layOutAgainWith(sorted);
      return;
    }
    long began = empty ? nanoTime.getAsLong() : 0;
    if (size == sortedCount) {
      if (changedDuringReorganisation != null) {
        for (Backup backup : sorted) {
          changed(backup.id());
        }
      }
      appendAll(sorted);
      if (empty) {
        pauseAfterLayingOut(began);  // a bulk load lays the rows out as a reorganisation would
      }
      noteIfReorganisationDue();
    } else {
      for (Backup backup : sorted) {
        add(backup);
      }
    }
  }

  /**
   * Whether a batch into this shard (which has rows) should lay the shard out again with it rather
   * than add its late backups (those not newer than the newest sorted row) one by one into the tail:
   * when they are at least half the live rows (and past the slack). At that size the two cost about
   * the same (a late backup of a batch about 3 µs of cache misses, a row laid out again 1 to 2 µs on
   * two cores: {@code LateBatchBenchmark}), but one by one the project keeps a tail that the searches
   * read through (17 to 70 µs instead of under 1 at 1M) until a reorganisation lays every row out
   * again, seconds later, beside them. Not while a reorganisation records the changes (it would
   * catch the batch up one by one anyway).
   */
  private boolean layingOutAgainPays(Backup[] sorted) {
    int enough = Math.max(minRebuildSlack, liveCount / 2);
    if (changedDuringReorganisation != null || sorted.length < enough) {
      return false;
    }
    int low = 0;  // the batch is in row order: its late backups are a prefix
    int high = sorted.length;
    while (low < high) {
      int middle = (low + high) >>> 1;
      if (newerThanSorted(sorted[middle])) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    return low >= enough;
  }

  /**
   * Builds this shard afresh from its live rows and {@code batch} (in row order, no id twice, none
   * the shard has), as a reorganisation builds one but under the write lock the caller holds, and on
   * both cores (the batch's caller waits for it), then swaps it in as a reorganisation's swap does.
   */
  private void layOutAgainWith(Backup[] batch) {
    long began = nanoTime.getAsLong();
    Backup[] all = new Backup[liveCount + batch.length];
    int count = 0;
    for (int position = firstLive; position < size; position++) {
      if (live.get(position)) {
        all[count++] = rows.get(position);
      }
    }
    System.arraycopy(batch, 0, all, count, batch.length);
    ProjectShard built = emptyToBuild(all.length);
    RowSort.sort(all, 0, all.length);  // sorted here: addBatch would copy the million rows into an array again
    built.addSorted(all);
    if (nameOrderWanted) {
      built.names.buildOrder();
    }
    swapIn(built, began);
  }

  /**
   * Replaces this shard's rows and indexes with {@code built}'s, laid out from {@code began}, under
   * the write lock: the reads paid for the old tail, the pause after laying out starts, and whether
   * another reorganisation is due is decided again on the new state (changes meanwhile may have
   * found the old state's tail due).
   */
  private void swapIn(ProjectShard built, long began) {
    adopt(built);
    tailReadCost.set(0);
    pauseAfterLayingOut(began);
    reorganisationDue = false;
    noteIfReorganisationDue();
  }

  /**
   * An empty shard of this project to build {@code rows} rows into, this shard's rows laid out again:
   * without tag sets from the start if this shard's proved mostly distinct on about as many rows.
   */
  private ProjectShard emptyToBuild(int rows) {
    ProjectShard built = new ProjectShard(projectId, minRebuildSlack);
    if (!tagSets.enabled() && 2 * tagSets.disabledAtRows() > rows) {
      built.tagSets.disable(tagSets.disabledAtRows());
    }
    return built;
  }

  /** Remembers a changed id while a reorganisation copies the rows, so that it catches the change up. */
  private void changed(String id) {
    if (changedDuringReorganisation != null) {
      changedDuringReorganisation.add(id);
    }
  }

  private void noteIfReorganisationDue() {
    int tailRows = size - sortedCount;
    int inUse = size - firstLive;
    int holes = inUse - liveCount;
    // a query walks the tail's matches it passes (a deep offset passes them all): keep it short, but
    // not by reorganising back to back while late backups pour in (see WRITERS_PAUSE). Removed rows
    // past the dead prefix hold no backup (sortedRowDied), only their positions in the bitmaps, which
    // sparser words cost the searches that scan them: a quarter of the positions. The dead prefix
    // costs neither searches nor memory (the bitmaps start past it, its row chunks are let go), only
    // wider positions in the id table: DEAD_PREFIX_RATIO. The keys no live row has any more (values,
    // names) do cost memory, as much as a live row's index in the worst case: as many as live rows
    // at most
    if (tailDueByChanges(tailRows) || holes > Math.max(minRebuildSlack, inUse / 4)
        || firstLive > Math.max(minRebuildSlack, (long) DEAD_PREFIX_RATIO * inUse)
        || (behind.by == null && deadKeysDue())) {  // else counted once the updates are made
      reorganisationDue = true;
    }
    // the row array, id table and bitmaps grow a chunk, a slice or a small copy at a time under the
    // write lock (RowArray, IdIndex), so growing needs no reorganisation
  }

  /**
   * Counts a read of this state (the caller holds the read lock) and returns whether it made a
   * reorganisation due: the caller then {@linkplain #claimReorganisation() claims} it after releasing
   * the lock.
   *
   * <p>The changes alone may leave a tail of up to {@code size / 256} rows for good, once they stop
   * (an import of old backups that ends; a longer tail, left by the {@linkplain #WRITERS_PAUSE pause}
   * after a reorganisation, makes one due at the first read after the pause), and every read that passes
   * the tail pays for it: at 1M backups, thousands of rows a query. So the reads pay into a budget,
   * the tail's length each (an upper bound of what one read walks), and once they have paid {@value
   * #TAIL_READS_PER_ROW} per live row (per row of the minimum slack, if more), about what a reorganisation costs (a microsecond or two a row,
   * against a few nanoseconds a tail row passed), a reorganisation is due: a catalog read far more
   * than written converges to the layout of one loaded in order, one written far more than read
   * reorganises only when its changes say so.
   */
  boolean noteTailRead() {
    int tailRows = size - sortedCount;
    if (tailRows == 0 || reorganisationDue || reorganising.get()) {
      return false;  // one is due or runs already: it removes the tail
    }
    if (tailDueByChanges(tailRows)) {
      // the changes made one due during the pause after the last (or while they outran one) and then
      // stopped: the first read after that starts it, rather than paying for the tail up to the budget
      reorganisationDue = true;
      return true;
    }
    // a shard with a large slack (tests that watch the tail) reorganises for its reads as rarely
    long budget = (long) TAIL_READS_PER_ROW * Math.max(liveCount, minRebuildSlack);
    long paid = tailReadCost.addAndGet(tailRows);
    if (paid - tailRows < budget && paid >= budget) {
      reorganisationDue = true;  // only the read that crossed the budget: the others see it set
      return true;
    }
    return false;
  }

  /**
   * Called by a sort by name that found (or built: {@link TextIndex#orderForReaders}) the order of
   * the names: a reorganisation keeps one too. Any lock.
   */
  void keepNameOrder() {
    if (!nameOrderWanted) {  // every sort by name calls it: read the volatile, write it once
      nameOrderWanted = true;
    }
  }

  /**
   * The nanoseconds until the pause ends, when the changes left a tail past the slack that only the
   * pause keeps from making a reorganisation due, and no wake-up is arranged for its end yet; a
   * second when the pause is over but the late adds outrun a reorganisation
   * ({@link #lateAddsOutrunReorganisation}); else -1. A positive answer arranges it: the caller must
   * call {@link #noteEndOfPause()} after that long. Without it a catalog whose changes stop during
   * the pause (the end of an import) would keep its tail, and the tail's memory (about 40 bytes a
   * row more than laid out by the estimate of the index's bytes, after 1.4M late adds into 1M
   * backups), until its next read.
   */
  long arrangeWakeUpAtEndOfPause() {
    if (reorganisationDue || reorganising.get() || size - sortedCount <= tailSlack() || pauseFactor == 0
        || wakeUpArranged.get()) {  // one is arranged (while late adds outrun a reorganisation, at every change)
      return -1;
    }
    long now = nanoTime.getAsLong();
    long left = tailTriggerOpensAt - now;
    if (left <= 0) {
      if (!lateAddsOutrunReorganisation(now, size - sortedCount)) {
        return -1;  // the tail is due, or will be at the next change: nothing to wait for
      }
      left = LATE_RATE_RECHECK_NANOS;  // look again once the rate has had time to fall
    }
    if (!wakeUpArranged.compareAndSet(false, true)) {
      return -1;
    }
    return left;
  }

  /**
   * The wake-up {@link #arrangeWakeUpAtEndOfPause()} arranged: makes a reorganisation due if the
   * changes left a tail past the slack, the pause is over and the late adds no longer outrun one (a
   * change or a read may have made one due meanwhile); the caller then claims one if due, or
   * arranges the next wake-up. Any lock or none.
   */
  void noteEndOfPause() {
    wakeUpArranged.set(false);
    if (reorganisationDue || reorganising.get() || !tailDueByChanges(size - sortedCount)) {
      return;
    }
    reorganisationDue = true;
  }

  /** Whether a wake-up at the end of the pause is arranged and has not run yet. */
  private final java.util.concurrent.atomic.AtomicBoolean wakeUpArranged = new java.util.concurrent.atomic.AtomicBoolean();

  /** Tail rows the reads may pass, per live row, before they make a reorganisation due. */
  static final int TAIL_READS_PER_ROW = 64;

  /** The tail rows past which the changes make a reorganisation due, once the pause is over. */
  private int tailSlack() {
    return Math.max(minRebuildSlack, (size - firstLive) / 256);
  }

  /**
   * Starts the pause after the rows were laid out in order from {@code began} (by {@link #nanoTime})
   * to now, by a reorganisation or a bulk load into the empty shard: {@link #WRITERS_PAUSE}; and
   * keeps what a row cost, for {@link #lateAddsOutrunReorganisation}.
   */
  private void pauseAfterLayingOut(long began) {
    long ended = nanoTime.getAsLong();
    tailTriggerOpensAt = ended + pauseFactor * (ended - began);
    if (liveCount > 0) {
      layoutNanosPerRow = (double) (ended - began) / liveCount;
    }
  }

  /**
   * Whether the changes alone make a reorganisation due for a tail of {@code tailRows}: past the
   * slack, the pause after the last reorganisation over, and the late adds not outrunning one.
   */
  private boolean tailDueByChanges(int tailRows) {
    if (tailRows <= tailSlack()) {
      return false;
    }
    long now = nanoTime.getAsLong();
    return tailTriggerOpen(now) && !lateAddsOutrunReorganisation(now, tailRows);
  }

  /** How long a wake-up waits to look again while the late adds outrun a reorganisation. */
  static final long LATE_RATE_RECHECK_NANOS = 1_000_000_000L;
  /** The time over which the late adds' rate decays by e: about what a reorganisation takes at 1M. */
  private static final double LATE_RATE_NANOS = 1e9;

  /** Counts a late add (a new tail row) in their rate, under the write lock. */
  private void noteLateAdd() {
    long now = nanoTime.getAsLong();
    lateAddsPerNano = lateAddsPerNano(now) + 1 / LATE_RATE_NANOS;
    lateAddsAsOf = now;
  }

  /** The late adds' rate as of {@code now}: what it was at the last one, decayed since. */
  private double lateAddsPerNano(long now) {
    long since = now - lateAddsAsOf;
    return since <= 0 ? lateAddsPerNano : lateAddsPerNano * Math.exp(-since / LATE_RATE_NANOS);
  }

  /**
   * Whether late backups come in so fast that a reorganisation of the live rows, at the rate the
   * last layout laid out its rows, would end with a tail of more than a quarter of the {@code
   * tailRows} it lays out: the late adds' rate (of about the last second; it falls as time passes
   * without them), times the live rows, times the nanoseconds a row took the last layout.
   *
   * <p>A reorganisation's catch-up installs the changes made while it ran, late adds as late adds
   * into the new tail, so under a sustained import it removes little of the tail, and it costs the
   * importer: at 1M, 2M late adds one by one went at 173,000 a second with reorganisations kept from
   * running and at 106,000 with one running beside them, which did not complete in those 19 s (the
   * first of a 40 s import laid out 2.3M rows in 8.7 s, caught up for 16 s more and swapped in a
   * 2.4M-row tail). So while the late adds outrun a reorganisation, the changes alone make none due;
   * the searches still do once they have paid for the tail ({@link #noteTailRead()}), and once the
   * adds slow down or stop the tail is due again, looked at by the next change, read, or a wake-up
   * ({@link #arrangeWakeUpAtEndOfPause()}). Only with a pause (a factor above 0), and only once a
   * layout has measured the rows' cost.
   */
  private boolean lateAddsOutrunReorganisation(long now, int tailRows) {
    double nanosPerRow = layoutNanosPerRow;
    if (pauseFactor == 0 || nanosPerRow <= 0) {
      return false;
    }
    return lateAddsPerNano(now) * liveCount * nanosPerRow > tailRows / 4.0;
  }

  /** Whether the pause after the last reorganisation is over (there is none when the factor is 0). */
  private boolean tailTriggerOpen(long now) {
    return pauseFactor == 0 || now - tailTriggerOpensAt >= 0;
  }

  /**
   * The pause of the catalog's shards: after a reorganisation, a tail past the slack makes another
   * due only after three times as long as that one took, so that reorganisations the late backups
   * alone make due take at most a quarter of the time; after a bulk load into an empty shard (which
   * lays the rows out as a reorganisation does, and costs about as much), three times the load's. A reorganisation relays every row (about a
   * microsecond or two a row, seconds at 1M on a busy machine) and every change made while it runs
   * is applied twice, once to the rows and once, catching up, to the new shard; an import of late
   * backups at 1M made one due every 3,900 adds, so they ran back to back on the second core, each
   * ending with a tail of the late backups it had caught up, and the writer got a third of its speed.
   * Writes gain nothing from a reorganisation (a late add costs the same in a tail of any length);
   * searches do, and they pay for the tail they pass ({@link #noteTailRead()}), so a searched
   * catalog still reorganises as soon as its searches have paid for it; the pause only stops the
   * changes alone from reorganising more often than their rate and the reorganisation's cost warrant.
   * A pause after a reorganisation does not stop one that a sustained import makes due from
   * running as long as the import lasts; the late adds' rate does ({@link
   * #lateAddsOutrunReorganisation}). Removed rows are not paced: they hold positions.
   */
  static final int WRITERS_PAUSE = 3;

  /** Makes room for {@code rows} rows without growing the row array or the id table. */
  private void reserve(int capacity) {
    ensureRowCapacity(capacity);
    ids.ensureCapacity(capacity);
  }

  // ---- reorganisation: beside the readers

  /**
   * Claims the shard's next reorganisation, if one is due and none runs: then the caller must run
   * {@link #reorganise()} (on another thread, or after releasing every lock).
   */
  boolean claimReorganisation() {
    return reorganisationDue && reorganising.compareAndSet(false, true);
  }

  /** Whether a reorganisation has started remembering the ids that change (tests); under a lock of the shard. */
  boolean recordingChanges() {
    return changedDuringReorganisation != null;
  }

  /** Whether a reorganisation is claimed and has not ended. Any lock or none. */
  boolean reorganising() {
    return reorganising.get();
  }

  /**
   * Lays the live rows out again in creation order, without a tail or removed rows, beside the
   * readers and writers, and swaps the result in; the caller holds no lock of the shard and has
   * {@linkplain #claimReorganisation() claimed} it.
   *
   * <ol>
   *   <li>Under the write lock, for an instant: the shard starts remembering the ids that change.
   *   <li>Under the read lock, a slice of {@value #COPY_SLICE} rows at a time: the live rows are
   *       copied (readers go on, writers wait at most a slice).
   *   <li>Without a lock: the copy is sorted and indexed into a new shard that only this thread sees.
   *   <li>Rounds of catching up: under the write lock, for an instant, the remembered ids are taken;
   *       under the read lock, a slice at a time, their current rows are read; without a lock, they
   *       are applied to the new shard. Each round is shorter than the one before, as long as the
   *       rounds apply changes faster than writers make them; once at most {@value
   *       #HOLD_WRITERS_OFF_BELOW} ids remain (or after {@value #HOLD_WRITERS_OFF_AFTER_ROUNDS}
   *       rounds), writers wait at a gate, outside the lock, until the swap, so that the rounds
   *       shrink to a few ids whatever the writers do.
   *   <li>Under the write lock, once at most {@value #FINAL_CATCH_UP} ids remain: they are applied
   *       and the new rows and indexes replace the old ones, all at once.
   * </ol>
   *
   * <p>Readers hold the read lock for a whole query, so each sees the old state or the new one, never
   * a mix; the new state holds exactly the live backups of the old one at the swap.
   */
  void reorganise() {
    long started = System.nanoTime();
    long began = nanoTime.getAsLong();
    try {
      int start;
      int end;
      lock.writeLock().lock();
      try {
        awaitUpdatesBehind();  // a change's, made in the indexes it found
        reorganisationDue = false;
        tailReadCost.set(0);
        changedDuringReorganisation = ChangedIds.whileCopying();
        start = firstLive;  // the dead prefix may be many times the live rows: never walked
        end = size;
      } finally {
        lock.writeLock().unlock();
      }
      List<Backup> copy = new java.util.ArrayList<>(liveCountUnderReadLock());
      for (int from = start; from < end; from += COPY_SLICE) {
        lock.readLock().lock();
        try {
          for (int position = from; position < Math.min(end, from + COPY_SLICE); position++) {
            // rows put at a position meanwhile (moved, or new) are caught up below, by id: none is
            // copied twice; a row changed in place may be copied as it is now, the catch-up installs it again
            if (live.get(position) && !changedDuringReorganisation.placed(position)) {
              copy.add(rows.get(position));
            }
          }
        } finally {
          lock.readLock().unlock();
        }
        IntConsumer hook = betweenCopySlices;
        if (hook != null) {
          hook.accept(from + COPY_SLICE);
        }
      }
      ProjectShard built = emptyToBuild(copy.size());
      // room for the copy alone: the row array grows a chunk and the id table a slice at a time as
      // rows come, so headroom would only hold memory (a quarter more cost 2.5 bytes a backup)
      built.reserve(copy.size() + 1024);
      layOut(built, copy);
      copy = null;
      long swapHold;
      for (int round = 0; ; round++) {
        ChangedIds changedIds;
        lock.writeLock().lock();
        try {
          awaitUpdatesBehind();  // a change's, made in the indexes it found, before they are replaced
          changedIds = changedDuringReorganisation;
          if (changedIds.count() <= FINAL_CATCH_UP || round >= MAX_CATCH_UP_ROUNDS) {
            long holding = System.nanoTime();
            catchUp(built, changedIds);
            changedDuringReorganisation = null;
            swapIn(built, began);
            swapHold = System.nanoTime() - holding;
            break;
          }
          changedDuringReorganisation = ChangedIds.afterCopying();
        } finally {
          lock.writeLock().unlock();
        }
        // writers that change rows about as fast as the rounds apply them would keep the rounds from
        // shrinking to a few ids: once few remain (or after many rounds, when writers outpace the
        // rounds), writers wait (not holding the lock; readers go on) for the last rounds, which then
        // apply only what remained
        if (changedIds.count() <= HOLD_WRITERS_OFF_BELOW || round >= HOLD_WRITERS_OFF_AFTER_ROUNDS) {
          holdWritersOff();
        }
        catchUpBesideWriters(built, changedIds);
      }
      stats.reorganised(System.nanoTime() - started, swapHold);
    } catch (RuntimeException | Error e) {
      lock.writeLock().lock();
      try {
        changedDuringReorganisation = null;  // the old state stays, complete and current
      } finally {
        lock.writeLock().unlock();
      }
      throw e;
    } finally {
      letWritersIn();
      reorganising.set(false);
    }
  }

  /**
   * Builds the empty shard {@code built} from {@code copy}, and the order of its names if a sort by
   * name wanted one, on this thread alone ({@link SecondCore#alone}): the reorganisation runs beside
   * the readers and writers and leaves them the other core. Without a lock: only this thread sees the
   * new shard.
   */
  private void layOut(ProjectShard built, List<Backup> copy) {
    SecondCore.alone(() -> {
      built.addBatch(copy);
      if (nameOrderWanted) {
        built.names.buildOrder();
      }
    });
  }

  /** Makes the writers of this shard wait at {@link #awaitWriterGate()} until {@link #letWritersIn()}. */
  private void holdWritersOff() {
    writersHeldOff = true;
  }

  private void letWritersIn() {
    if (writersHeldOff) {
      synchronized (writerGate) {
        writersHeldOff = false;
        writerGate.notifyAll();
      }
    }
  }

  /** {@return whether a reorganisation's last catch-up holds writers off now} */
  boolean writersHeldOff() {
    return writersHeldOff;
  }

  /**
   * Waits, before a change takes the write lock, while a reorganisation's last catch-up holds writers
   * off (never while the caller holds this shard's lock); returns the nanoseconds waited, 0 if none.
   * A writer that passes just before the gate closes is caught up by the next round, as any other.
   */
  long awaitWriterGate() {
    if (!writersHeldOff) {
      return 0;
    }
    long start = System.nanoTime();
    boolean interrupted = false;
    synchronized (writerGate) {
      while (writersHeldOff) {
        try {
          writerGate.wait();
        } catch (InterruptedException e) {
          interrupted = true;  // a change is not interruptible: wait on, then restore the status
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return Math.max(1, System.nanoTime() - start);
  }

  /** Copying reads this many rows under one hold of the read lock. */
  static final int COPY_SLICE = 16_384;
  /**
   * Catching up looks this many ids up under one hold of the read lock: a lookup is a few cache
   * misses, so a slice keeps writers waiting well under a millisecond.
   */
  static final int CATCH_UP_SLICE = 2_048;
  /**
   * The last round of catching up, under the write lock, applies at most this many changed ids: a
   * few microseconds each, so that the swap holds the lock well under a millisecond.
   */
  static final int FINAL_CATCH_UP = 32;
  /** Writers wait for the last rounds once at most this many ids remain (milliseconds of catching up). */
  static final int HOLD_WRITERS_OFF_BELOW = 1024;
  /** ... or after this many rounds, however many remain. */
  static final int HOLD_WRITERS_OFF_AFTER_ROUNDS = 16;
  /** Never reached while writers are held off (each round then applies only what the last left). */
  private static final int MAX_CATCH_UP_ROUNDS = 1024;

  private int liveCountUnderReadLock() {
    lock.readLock().lock();
    try {
      return liveCount;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Applies the current rows of {@code changedIds} to {@code built}, reading them a slice at a time. */
  private void catchUpBesideWriters(ProjectShard built, ChangedIds changedIds) {
    String[] ids = changedIds.distinct();
    Backup[] current = new Backup[ids.length];
    for (int from = 0; from < ids.length; from += CATCH_UP_SLICE) {
      lock.readLock().lock();
      try {
        for (int i = from; i < Math.min(ids.length, from + CATCH_UP_SLICE); i++) {
          int position = positionOf(ids[i]);
          current[i] = position < 0 ? null : rows.get(position);
        }
      } finally {
        lock.readLock().unlock();
      }
    }
    built.installAll(ids, current);
  }

  /** Applies the current rows of {@code changedIds} to {@code built}; the caller holds the write lock. */
  private void catchUp(ProjectShard built, ChangedIds changedIds) {
    String[] ids = changedIds.distinct();
    Backup[] current = new Backup[ids.length];
    for (int i = 0; i < ids.length; i++) {
      int position = positionOf(ids[i]);
      current[i] = position < 0 ? null : rows.get(position);
    }
    built.installAll(ids, current);
  }

  /**
   * Makes the row of each {@code ids[i]} be {@code current[i]} (null: no row), in a shard under
   * construction: removals first, then the rows in row order, so that backups added in creation
   * order while the shard was built extend its sorted rows rather than its tail.
   */
  private void installAll(String[] ids, Backup[] current) {
    // sorted by the sort every batch uses, not by a comparator made here: a call site's first run
    // links its lambda (about a millisecond), and the first reorganisation's last round runs this
    // under the write lock
    Backup[] rows = new Backup[ids.length];
    int present = 0;
    for (int i = 0; i < ids.length; i++) {
      if (current[i] == null) {
        install(ids[i], null);
      } else {
        rows[present++] = current[i];
      }
    }
    RowSort.sort(rows, 0, present);
    for (int i = 0; i < present; i++) {
      install(rows[i].id(), rows[i]);
    }
  }

  /** Makes the row of {@code id} be {@code current} (null: no row), in a shard under construction. */
  private void install(String id, Backup current) {
    int position = positionOf(id);
    if (position >= 0) {
      Backup stored = rows.get(position);
      if (stored == current) {
        return;
      }
      if (current != null && stored.createdAt().equals(current.createdAt())) {
        replace(position, current);
        return;
      }
      remove(position);
    }
    if (current != null) {
      add(current);
    }
  }

  /** Takes the rows and indexes of {@code built}, which nothing else references. */
  private void adopt(ProjectShard built) {
    rows = built.rows;
    size = built.size;
    sortedCount = built.sortedCount;
    firstLive = built.firstLive;
    liveCount = built.liveCount;
    live = built.live;
    statusBits = built.statusBits;
    statusCounts = built.statusCounts;
    tailStatusCounts = built.tailStatusCounts;
    ids = built.ids;
    ids.rebind(idOfRow);  // not a new method reference: its first run, under the write lock, would link it
    attributes = built.attributes;
    tags = built.tags;
    tagSets = built.tagSets;
    running = built.running;
    usage = built.usage;
    names = built.names;
    servers = built.servers;
    tail = built.tail;
    freeTail = built.freeTail;
    freeTailCount = built.freeTailCount;
    freeTailBits = built.freeTailBits;
    emptiedLists = built.emptiedLists;
  }

  /**
   * The keys the indexes keep without a live row: postings left empty, names and server entries
   * without rows. Each costs about what a live row's entry in that index does, so a reorganisation
   * is due once they outnumber the live rows (a retention job over backups named, or tagged, each
   * their own way).
   */
  int deadKeys() {
    awaitUpdatesBehind();
    return deadKeyCount();
  }

  /** Whether the keys without a live row make a reorganisation due; the caller has made every update behind. */
  private boolean deadKeysDue() {
    return deadKeyCount() > Math.max(minRebuildSlack, liveCount);
  }

  private int deadKeyCount() {
    return emptiedLists + names.deadEntries() + servers.deadEntries();
  }

  private String idAt(int position) {
    return rows.get(position).id();
  }

  /** The row order: creation time, then id. */
  static int compareRows(Backup a, Backup b) {
    int order = a.createdAt().compareTo(b.createdAt());
    return order != 0 ? order : a.id().compareTo(b.id());
  }

  private static PositionBits[] newStatusBits() {
    PositionBits[] bits = new PositionBits[STATUSES.length];
    for (int s = 0; s < bits.length; s++) {
      bits[s] = new PositionBits();
    }
    return bits;
  }

  private void setStatus(int position, BackupStatus status) {
    int s = status.ordinal();
    statusBits[s].set(position, firstLiveWord());
    statusCounts[s]++;
    if (position >= sortedCount) {
      tailStatusCounts[s]++;
    }
  }

  private void trackProgress(int position, Backup backup) {
    if (backup.progress().isPresent()) {
      running.put(position, backup.progress().get().changedAt(), position >= sortedCount);
    }
  }

  private void clearStatus(int position, BackupStatus status) {
    int s = status.ordinal();
    statusBits[s].clear(position);
    statusCounts[s]--;
    if (position >= sortedCount) {
      tailStatusCounts[s]--;
    }
  }

  private static boolean sameIndexedFields(Backup a, Backup b) {
    return a.name().equals(b.name()) && a.server().equals(b.server()) && a.type() == b.type()
        && a.trigger() == b.trigger() && a.policyId().equals(b.policyId()) && a.tags().equals(b.tags());
  }

  private void indexFields(int position, Backup backup) {
    indexAttributesAndTags(position, backup);
    indexTexts(position, backup);
  }

  private void indexAttributesAndTags(int position, Backup backup) {
    indexAttributesAndTags(position, backup, positionsInUse());
  }

  private void indexAttributesAndTags(int position, Backup backup, int rowsInUse) {
    for (Attribute attribute : ATTRIBUTES_BESIDE_SERVER) {
      String value = attribute.valueOf(backup);
      if (value != null) {
        postingsOf(attributes.get(attribute), value).add(position, rowsInUse);
      }
    }
    List<Tag> backupTags = backup.tags();
    for (int i = 0; i < backupTags.size(); i++) {  // by index: an iterator is an allocation a backup
      Tag tag = backupTags.get(i);
      TagKey tagKey = tags.get(tag.key());
      if (tagKey == null) {
        tagKey = tags.computeIfAbsent(tag.key(), k -> new TagKey());
      } else if (tagKey.rows.count() == 0) {
        emptiedLists--;
      }
      tagKey.rows.add(position, rowsInUse);
      postingsOf(tagKey.values, tag.value()).add(position, rowsInUse);
    }
    tagSets.add(position, backupTags, rowsInUse);
  }

  private void trimTexts(boolean wholeShard) {
    if (wholeShard) {
      names.trim();
      servers.trim();
    }
  }

  private void indexTexts(int position, Backup backup) {
    indexTexts(position, backup, positionsInUse());
  }

  private void indexTexts(int position, Backup backup, int rowsInUse) {
    names.add(null, backup.name(), position, rowsInUse);
    servers.add(backup.server().id(), backup.server().name(), position, rowsInUse);
  }

  /**
   * The postings of {@code value} in {@code index}, new if it has none; one that a removal had left
   * empty is counted as in use again ({@link #emptiedLists}).
   */
  private Postings postingsOf(GrowingMap<Postings> index, String value) {
    Postings postings = index.get(value);
    if (postings == null) {
      return index.computeIfAbsent(value, v -> new Postings());
    }
    if (postings.count() == 0) {
      emptiedLists--;
    }
    return postings;
  }

  /** Removes {@code position} from {@code postings}, counting a list it leaves empty ({@link #emptiedLists}). */
  private void unindex(Postings postings, int position) {
    if (postings.remove(position)) {
      emptiedLists++;
    }
  }

  /** Takes {@code position} out of the field, tag and text indexes; out of the names' too if {@code name}. */
  private void unindexFields(int position, Backup backup, boolean name) {
    for (Attribute attribute : ATTRIBUTES_BESIDE_SERVER) {
      String value = attribute.valueOf(backup);
      if (value != null) {
        Postings postings = attributes.get(attribute).get(value);
        if (postings != null) {
          unindex(postings, position);
        }
      }
    }
    List<Tag> backupTags = backup.tags();
    for (int i = 0; i < backupTags.size(); i++) {  // by index: an iterator is an allocation a backup
      Tag tag = backupTags.get(i);
      TagKey tagKey = tags.get(tag.key());
      if (tagKey != null) {
        unindex(tagKey.rows, position);
        Postings valuePostings = tagKey.values.get(tag.value());
        if (valuePostings != null) {
          unindex(valuePostings, position);
        }
      }
    }
    tagSets.remove(position, backup.tags());
    if (name) {
      names.remove(null, backup.name(), position);
    }
    servers.remove(backup.server().id(), backup.server().name(), position);
  }

  /** A tag key's postings: the rows with the key, and each value's rows. */
  private static final class TagKey {
    final Postings rows = new Postings();
    final GrowingMap<Postings> values = new GrowingMap<>();
  }
}
