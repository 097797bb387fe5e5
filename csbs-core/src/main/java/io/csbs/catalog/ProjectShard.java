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
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The backups of one project and their indexes. Callers hold {@link #lock}: the read lock to read,
 * the write lock to change; so a query sees one state, and projects never share a structure.
 *
 * <p>Each backup has a row position. Rows {@code [0, sortedCount)} are in creation order, (created
 * at, id) ascending, so that the default list (newest first) is a backward walk over positions and a
 * time segment is a range of positions found by binary search; new backups are the newest and
 * simply extend that order. A backup that arrives out of order goes to the tail {@code [sortedCount,
 * size)}, which a query sorts apart (it is small) and merges in; when the tail or the removed rows
 * grow past a fraction of the rows, the shard is rebuilt in order. A removed row keeps its backup
 * (so that binary searches still read its creation time) but leaves every index.
 *
 * <p>Indexes map each indexed value to the {@link Postings} of its rows: status (dense bitmaps),
 * the attributes of {@link Attribute}, tag key=value and tag key, and {@link TextIndex}es for
 * backup names and server names; {@link IdIndex} maps ids to positions.
 */
final class ProjectShard {
  /** The row order: creation time, then id; the default sort is its reverse. */
  static final Comparator<Backup> ROW_ORDER = Comparator.comparing(Backup::createdAt).thenComparing(Backup::id);

  private static final BackupStatus[] STATUSES = BackupStatus.values();
  /** Server ids are indexed with the server names, in {@link #servers}; the other attributes here. */
  private static final Attribute[] ATTRIBUTES_BESIDE_SERVER = java.util.EnumSet.complementOf(
      java.util.EnumSet.of(Attribute.SERVER_ID)).toArray(new Attribute[0]);
  /** A tail or removed rows beyond this many, and a fraction of the rows, trigger a rebuild. */
  static final int MIN_REBUILD_SLACK = 1024;

  final String projectId;
  private final int minRebuildSlack;
  final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  private Backup[] rows = new Backup[16];
  private int size;
  private int sortedCount;
  private int liveCount;
  private long[] live = new long[1];
  private final long[][] statusBits = new long[STATUSES.length][1];
  private final int[] statusCounts = new int[STATUSES.length];
  private final IdIndex ids = new IdIndex(position -> rows[position].id());
  private final EnumMap<Attribute, Map<String, Postings>> attributes = new EnumMap<>(Attribute.class);
  private final Map<String, Map<String, Postings>> tagValues = new HashMap<>();
  private final Map<String, Postings> tagKeys = new HashMap<>();
  private final RunningJobs running = new RunningJobs();
  private final UsageIndex usage = new UsageIndex();
  private io.csbs.usage.Quota quota = io.csbs.usage.Quota.NONE;
  /** The sequence of the project's last committed change; raised under the write lock. */
  private long sequence;
  private TextIndex names = new TextIndex();
  /** Server names, grouped by server id: answers both server id and server name searches. */
  private TextIndex servers = new TextIndex();
  /** Batches at least this large build their text indexes on a second core. */
  private static final int PARALLEL_BATCH = 16_384;

  ProjectShard(String projectId) {
    this(projectId, MIN_REBUILD_SLACK);
  }

  /** A shard that rebuilds past {@code minRebuildSlack} tail or removed rows; tests make it small. */
  ProjectShard(String projectId, int minRebuildSlack) {
    this.projectId = projectId;
    this.minRebuildSlack = minRebuildSlack;
    for (Attribute attribute : ATTRIBUTES_BESIDE_SERVER) {
      attributes.put(attribute, new HashMap<>());
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
    return rows[position];
  }

  boolean isLive(int position) {
    return Bits.get(live, position);
  }

  /** The position of the live backup {@code id}, or -1. */
  int positionOf(String id) {
    return ids.get(id);
  }

  /** The live rows; counted by the shard, so a total of every backup reads no bitmap. */
  MatchSet liveSet() {
    return MatchSet.shared(live, 0, Bits.wordsFor(size), liveCount);
  }

  /** The rows in {@code status}; counted by the shard, like {@link #liveSet()}. */
  MatchSet statusSet(BackupStatus status) {
    return MatchSet.shared(statusBits[status.ordinal()], 0, Bits.wordsFor(size), statusCounts[status.ordinal()]);
  }

  int statusCount(BackupStatus status) {
    return statusCounts[status.ordinal()];
  }

  boolean hasStatus(int position, BackupStatus status) {
    return Bits.get(statusBits[status.ordinal()], position);
  }

  Postings attributePostings(Attribute attribute, String value) {
    return attributes.get(attribute).get(value);
  }

  Postings tagKeyPostings(String key) {
    return tagKeys.get(key);
  }

  /** The values of tag {@code key} with their postings; empty if no backup has the key. */
  Map<String, Postings> tagValuePostings(String key) {
    Map<String, Postings> values = tagValues.get(key);
    return values == null ? Map.of() : values;
  }

  TextIndex names() {
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

  /** The sequence of the project's last committed change: 0 before its first. */
  long sequence() {
    return sequence;
  }

  /** Raises the sequence for a change being committed and returns the change's sequence. */
  long nextSequence() {
    return ++sequence;
  }

  /** Sets the sequence of a loaded project. */
  void setSequence(long sequence) {
    this.sequence = sequence;
  }

  /** The server's name on its newest live backup (rows are in creation order, but for the tail). */
  String serverName(String serverId) {
    Backup newest = null;
    for (Postings postings : servers.groupPostings(serverId)) {
      MatchSet rowsOfServer = MatchSet.of(postings);
      int sortedNewest = rowsOfServer.previous(sortedCount - 1);
      if (sortedNewest >= 0 && (newest == null || ROW_ORDER.compare(rows[sortedNewest], newest) > 0)) {
        newest = rows[sortedNewest];
      }
      for (int position = rowsOfServer.next(sortedCount); position >= 0; position = rowsOfServer.next(position + 1)) {
        if (newest == null || ROW_ORDER.compare(rows[position], newest) > 0) {
          newest = rows[position];
        }
      }
    }
    return newest == null ? serverId : newest.server().name();
  }

  /** The running jobs and when their progress last changed. */
  RunningJobs running() {
    return running;
  }

  TextIndex servers() {
    return servers;
  }

  /**
   * The first position of the sorted rows whose creation time is not below {@code bound} (or above
   * it, when {@code strictlyAbove}); {@link #sortedCount()} if none.
   */
  int lowerBound(java.time.Instant bound, boolean strictlyAbove) {
    int low = 0;
    int high = sortedCount;
    while (low < high) {
      int mid = (low + high) >>> 1;
      int order = rows[mid].createdAt().compareTo(bound);
      if (order < 0 || (strictlyAbove && order == 0)) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
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
    int low = 0;
    int high = sortedCount;
    while (low < high) {
      int mid = (low + high) >>> 1;
      int order = ROW_ORDER.compare(rows[mid], backup);
      if (order < 0 || (strictlyAfter && order == 0)) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  TagCatalogue tagCatalogue() {
    Map<String, TreeSet<String>> existing = new TreeMap<>();
    tagValues.forEach((key, values) -> values.forEach((value, postings) -> {
      if (postings.count() > 0) {
        existing.computeIfAbsent(key, k -> new TreeSet<>()).add(value);
      }
    }));
    return TagCatalogue.of(existing);
  }

  // ---- writes: callers hold the write lock

  /** Adds a backup whose id is not in the shard. */
  void add(Backup backup) {
    int position = appendRow(backup);
    indexAttributesAndTags(position, backup);
    indexTexts(position, backup);
    maybeRebuild();
  }

  /** Places {@code backup} in a new row with its status, usage, progress and id; not its field indexes. */
  private int appendRow(Backup backup) {
    int position = appendRowWithoutUsage(backup);
    usage.add(backup);
    return position;
  }

  private int appendRowWithoutUsage(Backup backup) {
    if (size == rows.length) {
      rows = Arrays.copyOf(rows, size + (size >>> 1) + 16);
    }
    int position = size++;
    rows[position] = backup;
    if (sortedCount == position && (position == 0 || ROW_ORDER.compare(rows[position - 1], backup) < 0)) {
      sortedCount++;
    }
    live = Bits.ensure(live, position);
    Bits.set(live, position);
    liveCount++;
    setStatus(position, backup.status());
    trackProgress(position, backup);
    ids.put(backup.id(), position);
    return position;
  }

  /**
   * Appends many backups, already in row order after the current rows or not, and indexes them. The
   * text indexes and the other field indexes are disjoint structures, so a second core builds the
   * text indexes while this thread builds the rest; a bulk load of a million backups takes about half
   * the time it would on one core. Callers hold the write lock, so no reader sees the structures
   * being built.
   */
  private void appendAll(Backup[] backups) {
    if (size + backups.length > rows.length) {
      rows = Arrays.copyOf(rows, size + backups.length + ((size + backups.length) >>> 3));
    }
    int first = size;
    ids.ensureCapacity(size + backups.length);
    for (Backup backup : backups) {
      appendRowWithoutUsage(backup);
    }
    int end = size;
    usage.addAll(rows, first, end);
    if (end - first < PARALLEL_BATCH) {
      for (int position = first; position < end; position++) {
        indexAttributesAndTags(position, rows[position]);
        indexTexts(position, rows[position]);
      }
      return;
    }
    ForkJoinTask<?> texts = ForkJoinPool.commonPool().submit(() -> {
      for (int position = first; position < end; position++) {
        indexTexts(position, rows[position]);
      }
    });
    for (int position = first; position < end; position++) {
      indexAttributesAndTags(position, rows[position]);
    }
    texts.join();
  }

  /** Replaces the live backup at {@code position} by its next version {@code next} (same id). */
  void replace(int position, Backup next) {
    Backup previous = rows[position];
    if (!previous.createdAt().equals(next.createdAt())) {
      remove(position);
      add(next);
      return;
    }
    if (previous.status() != next.status()) {
      clearStatus(position, previous.status());
      setStatus(position, next.status());
    }
    if (previous.sizeMb() != next.sizeMb() || !previous.server().id().equals(next.server().id())) {
      usage.remove(previous);
      usage.add(next);
    }
    if (!previous.progress().equals(next.progress())) {
      if (next.progress().isPresent()) {
        running.put(position, next.progress().get().changedAt());  // replaces the previous time
      } else {
        running.remove(position);
      }
    }
    if (!sameIndexedFields(previous, next)) {  // never for lifecycle transitions
      unindexFields(position, previous);
      rows[position] = next;
      indexFields(position, next);
    }
    rows[position] = next;
  }

  /** Removes the live backup at {@code position}. */
  void remove(int position) {
    Backup backup = rows[position];
    ids.remove(backup.id());
    Bits.clear(live, position);
    liveCount--;
    clearStatus(position, backup.status());
    usage.remove(backup);
    running.remove(position);
    unindexFields(position, backup);
    maybeRebuild();
  }

  /** Adds many backups at once, in creation order, and rebuilds once at the end if needed. */
  void addBatch(List<Backup> backups) {
    Backup[] sorted = backups.toArray(new Backup[0]);
    RowSort.sort(sorted, 0, sorted.length);
    appendAll(sorted);
    maybeRebuild();
  }

  private void maybeRebuild() {
    int tail = size - sortedCount;
    int dead = size - liveCount;
    if (tail > Math.max(minRebuildSlack, size / 64) || dead > Math.max(minRebuildSlack, size / 16)) {
      rebuild();
    }
  }

  /** Lays the live rows out again in creation order and indexes them afresh. */
  private void rebuild() {
    Backup[] ordered = new Backup[liveCount];
    int n = 0;
    for (int position = 0; position < sortedCount; position++) {
      if (Bits.get(live, position)) {
        ordered[n++] = rows[position];
      }
    }
    int sortedLive = n;
    for (int position = sortedCount; position < size; position++) {
      if (Bits.get(live, position)) {
        ordered[n++] = rows[position];
      }
    }
    RowSort.sort(ordered, sortedLive, n);
    Backup[] merged = mergeOrdered(ordered, sortedLive, n);
    clear(merged.length);
    appendAll(merged);
  }

  private static Backup[] mergeOrdered(Backup[] ordered, int split, int end) {
    Backup[] merged = new Backup[end];
    int i = 0;
    int j = split;
    int n = 0;
    while (i < split && j < end) {
      merged[n++] = ROW_ORDER.compare(ordered[i], ordered[j]) <= 0 ? ordered[i++] : ordered[j++];
    }
    while (i < split) {
      merged[n++] = ordered[i++];
    }
    while (j < end) {
      merged[n++] = ordered[j++];
    }
    return merged;
  }

  private void clear(int capacity) {
    rows = new Backup[Math.max(16, capacity + (capacity >>> 3))];
    size = 0;
    sortedCount = 0;
    liveCount = 0;
    live = new long[Bits.wordsFor(capacity) + 1];
    for (int s = 0; s < statusBits.length; s++) {
      statusBits[s] = new long[1];
      statusCounts[s] = 0;
    }
    ids.clear();
    running.clear();
    usage.clear();
    for (Map<String, Postings> index : attributes.values()) {
      index.clear();
    }
    tagValues.clear();
    tagKeys.clear();
    names = new TextIndex();
    servers = new TextIndex();
  }

  private void setStatus(int position, BackupStatus status) {
    int s = status.ordinal();
    statusBits[s] = Bits.ensure(statusBits[s], position);
    Bits.set(statusBits[s], position);
    statusCounts[s]++;
  }

  private void trackProgress(int position, Backup backup) {
    if (backup.progress().isPresent()) {
      running.put(position, backup.progress().get().changedAt());
    }
  }

  private void clearStatus(int position, BackupStatus status) {
    Bits.clear(statusBits[status.ordinal()], position);
    statusCounts[status.ordinal()]--;
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
    int rowsInUse = size;
    for (Attribute attribute : ATTRIBUTES_BESIDE_SERVER) {
      String value = attribute.valueOf(backup);
      if (value != null) {
        attributes.get(attribute).computeIfAbsent(value, v -> new Postings()).add(position, rowsInUse);
      }
    }
    for (Tag tag : backup.tags()) {
      tagKeys.computeIfAbsent(tag.key(), k -> new Postings()).add(position, rowsInUse);
      tagValues.computeIfAbsent(tag.key(), k -> new HashMap<>())
          .computeIfAbsent(tag.value(), v -> new Postings()).add(position, rowsInUse);
    }
  }

  private void indexTexts(int position, Backup backup) {
    names.add(null, backup.name(), position, size);
    servers.add(backup.server().id(), backup.server().name(), position, size);
  }

  private void unindexFields(int position, Backup backup) {
    for (Attribute attribute : ATTRIBUTES_BESIDE_SERVER) {
      String value = attribute.valueOf(backup);
      if (value != null) {
        Postings postings = attributes.get(attribute).get(value);
        if (postings != null) {
          postings.remove(position);
        }
      }
    }
    for (Tag tag : backup.tags()) {
      Postings keyPostings = tagKeys.get(tag.key());
      if (keyPostings != null) {
        keyPostings.remove(position);
      }
      Postings valuePostings = tagValuePostings(tag.key()).get(tag.value());
      if (valuePostings != null) {
        valuePostings.remove(position);
      }
    }
    names.remove(null, backup.name(), position);
    servers.remove(backup.server().id(), backup.server().name(), position);
  }
}
