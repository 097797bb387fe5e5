package io.csbs.testing;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectView;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A plain, obviously correct {@link BackupCatalog}: every query scans every backup of the project,
 * evaluates the predicate on each, sorts the matches and cuts out the page. It is the oracle of
 * differential tests (an indexed catalog must answer exactly as it does) and a simple fake for users'
 * unit tests that need a catalog with a few hundred backups.
 *
 * <pre>{@code
 * FakeClock clock = FakeClock.create();
 * ReferenceCatalog reference = ReferenceCatalog.create(clock);
 * reference.addAll(BackupGenerator.withSeed(42).backups(500));
 * Page expected = reference.query("project-0", query);
 * assertEquals(expected, myCatalog.query("project-0", query));
 * }</pre>
 *
 * <p>How it answers, which is what {@link BackupCatalog} promises:
 *
 * <ul>
 *   <li>A query takes the clock's instant once and evaluates the predicate with it and the catalog's
 *       {@link StallRule} ({@link StallRule#DEFAULT} unless given), so relative windows and stalled
 *       jobs follow the clock.
 *   <li>The matches are sorted by {@code query.sort().comparator()}. An offset skips that many of
 *       them; a marker must be the id of a backup of the project that exists now (it need not match
 *       the predicate), and the page continues with the matches strictly after that backup's current
 *       value in the sort order. The page reports the total number of matches and whether more follow.
 *   <li>{@link #apply} checks that the backup exists in the project, then its version, then applies
 *       the transition at the clock's instant; a completed deletion removes the backup. Any refusal
 *       leaves the catalog unchanged.
 *   <li>The all-projects view orders by the sort, then by project id; its marker must be the id of a
 *       backup of exactly one project.
 *   <li>Each project counts its committed changes ({@link #sequence}); {@link #replay} installs a
 *       change's {@code after} as it is, after checking the sequence, then the backup's existence,
 *       then its version; {@link #load} installs a snapshot into a project without backups at 0.
 * </ul>
 *
 * <p>Thread-safe: every method holds the catalog's one lock, so each call sees and makes one
 * consistent state. It is meant for correctness, not speed: a query costs a scan and a sort.
 */
public final class ReferenceCatalog implements BackupCatalog {
  private final Clock clock;
  private final StallRule stallRule;
  /** Guarded by {@code this}. Project id to its backups by id; a project without backups has no entry. */
  private final Map<String, LinkedHashMap<String, Backup>> projects = new HashMap<>();
  /**
   * The subscriptions a change committed now goes to, called in commit order with the catalog's lock
   * held; a new array on each subscribe and cancel, so that each change keeps the subscriptions of its
   * commit: one made later (inside a delivery too) gets only the changes committed after it.
   */
  private final java.util.concurrent.atomic.AtomicReference<List<Receiver>> receivers =
      new java.util.concurrent.atomic.AtomicReference<>(List.of());
  /** Guarded by {@code this}. Project id to the sequence of its last committed change; absent means 0. */
  private final Map<String, Long> sequences = new HashMap<>();
  /** Guarded by {@code this}. Project id to its quota; absent means {@link Quota#NONE}. */
  private final Map<String, Quota> quotas = new HashMap<>();
  /** Guarded by {@code this}. Committed changes not yet delivered to every subscriber, in commit order. */
  private final java.util.ArrayDeque<Map.Entry<Change, List<Receiver>>> undelivered = new java.util.ArrayDeque<>();
  /** Guarded by {@code this}. Whether changes are being delivered (further up this thread). */
  private boolean delivering;
  /** Guarded by {@code this}. The project being read by {@link #read}, or null. */
  private String readingProject;
  /** Guarded by {@code this}. The one instant of the running {@link #read}, or null. */
  private Instant readingNow;
  /** The running read's instant while a call of its view runs; null otherwise. */
  private Instant viewNow;

  private ReferenceCatalog(Clock clock, StallRule stallRule) {
    this.clock = requireNonNull(clock, "clock");
    this.stallRule = requireNonNull(stallRule, "stallRule");
  }

  /**
   * {@return an empty catalog on {@code clock}, with the default stall rule}
   *
   * @param clock the clock of changes and of relative searches
   */
  public static ReferenceCatalog create(Clock clock) {
    return create(clock, StallRule.DEFAULT);
  }

  /**
   * {@return an empty catalog on {@code clock}, judging stalled jobs with {@code stallRule}}
   *
   * @param clock the clock of changes and of relative searches
   * @param stallRule the rule that judges stalled jobs
   */
  public static ReferenceCatalog create(Clock clock, StallRule stallRule) {
    return new ReferenceCatalog(clock, stallRule);
  }

  /** {@return the clock that dates changes and gives queries their "now"} */
  public Clock clock() {
    return clock;
  }

  /** {@return the rule that judges the {@link io.csbs.query.Predicates#stalled() stalled} criterion} */
  public StallRule stallRule() {
    return stallRule;
  }

  @Override
  public synchronized void add(Backup backup) {
    refuseChangesInsideRead();
    requireNonNull(backup, "backup");
    if (backupsOf(backup.projectId()).containsKey(backup.id())) {
      throw new DuplicateBackupException(backup.projectId(), backup.id());
    }
    checkQuota(backup.projectId(), 1, backup.sizeMb());
    projects.computeIfAbsent(backup.projectId(), p -> new LinkedHashMap<>()).put(backup.id(), backup);
    publish(backup.projectId(), backup.id(), null, backup, null);
  }

  @Override
  public synchronized void addAll(Collection<Backup> backups) {
    refuseChangesInsideRead();
    requireNonNull(backups, "backups");
    // project by project in id order, each in batch order: every duplicate first, then the quotas
    Map<String, List<Backup>> byProject = new TreeMap<>();
    for (Backup backup : backups) {
      requireNonNull(backup, "backup");
      byProject.computeIfAbsent(backup.projectId(), p -> new ArrayList<>()).add(backup);
    }
    byProject.forEach((projectId, batch) -> {
      Set<String> seen = new HashSet<>();
      for (Backup backup : batch) {
        if (backupsOf(projectId).containsKey(backup.id())) {
          throw new DuplicateBackupException(projectId, backup.id());
        }
        if (!seen.add(backup.id())) {
          throw new DuplicateBackupException(projectId, backup.id(), true);
        }
      }
    });
    byProject.forEach((projectId, batch) ->
        checkQuota(projectId, batch.size(), batch.stream().mapToLong(Backup::sizeMb).sum()));
    for (Backup backup : backups) {
      projects.computeIfAbsent(backup.projectId(), p -> new LinkedHashMap<>()).put(backup.id(), backup);
    }
    for (Backup backup : backups) {
      publish(backup.projectId(), backup.id(), null, backup, null);
    }
  }

  @Override
  public synchronized Optional<Backup> apply(
      String projectId, String backupId, long expectedVersion, Transition transition) {
    requireProject(projectId);
    refuseChangesInsideRead();
    requireNonNull(transition, "transition");
    Backup current = current(projectId, backupId, expectedVersion);
    Optional<Backup> next = transition.applyTo(current, clock.instant());
    if (next.isPresent()) {
      if (next.get() == current) {
        return next; // the same progress again: nothing changed
      }
      projects.get(projectId).put(backupId, next.get());
    } else {
      delete(projectId, backupId);
    }
    publish(projectId, backupId, current, next.orElse(null), transition);
    return next;
  }

  @Override
  public synchronized Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update) {
    requireProject(projectId);
    refuseChangesInsideRead();
    requireNonNull(update, "update");
    Backup current = current(projectId, backupId, expectedVersion);
    Backup next = update.applyTo(current, clock.instant());
    if (next == current) {
      return current; // the tags stay as they are: nothing changed
    }
    projects.get(projectId).put(backupId, next);
    publish(projectId, backupId, current, next, null);
    return next;
  }

  @Override
  public synchronized void remove(String projectId, String backupId, long expectedVersion) {
    requireProject(projectId);
    refuseChangesInsideRead();
    Backup current = current(projectId, backupId, expectedVersion);
    delete(projectId, backupId);
    publish(projectId, backupId, current, null, null);
  }

  /** Delivers changes synchronously, under the catalog's lock, so in commit order and once each. */
  @Override
  public Subscription subscribe(Consumer<Change> subscriber) {
    requireNonNull(subscriber, "subscriber");
    Receiver receiver = new Receiver(subscriber);
    receivers.updateAndGet(now -> {
      List<Receiver> more = new ArrayList<>(now);
      more.add(receiver);
      return List.copyOf(more);
    });
    return receiver;
  }

  /** One subscription, by identity: the same consumer subscribed twice is two of them. */
  private final class Receiver implements Subscription {
    final Consumer<Change> subscriber;
    volatile boolean cancelled;

    Receiver(Consumer<Change> subscriber) {
      this.subscriber = subscriber;
    }

    @Override
    public void cancel() {
      cancelled = true;
      receivers.updateAndGet(now -> now.stream().filter(r -> r != this).toList());
    }
  }

  /** Numbers a committed change with its project's next sequence and delivers it. */
  private void publish(String projectId, String backupId, Backup before, Backup after, Transition transition) {
    long sequence = sequences.getOrDefault(projectId, 0L) + 1;
    sequences.put(projectId, sequence);
    deliver(new Change(sequence, projectId, backupId,
        Optional.ofNullable(before), Optional.ofNullable(after), Optional.ofNullable(transition)));
  }

  /**
   * Delivers {@code change} to every subscriber, after the changes before it. A change a subscriber
   * makes while being delivered one (on this thread, holding the lock) waits until the current change
   * has reached every subscriber, so that each sees every project's changes in sequence order.
   */
  private void deliver(Change change) {
    undelivered.add(Map.entry(change, receivers.get()));
    if (delivering) {
      return;  // made by a subscriber: the loop below, further up this thread, delivers it next
    }
    delivering = true;
    try {
      Map.Entry<Change, List<Receiver>> next;
      while ((next = undelivered.poll()) != null) {
        for (Receiver receiver : next.getValue()) {
          if (receiver.cancelled) {
            continue;
          }
          try {
            receiver.subscriber.accept(next.getKey());
          } catch (RuntimeException | Error e) {  // an Error too: a failed assertion must not stop the others
            System.getLogger(ReferenceCatalog.class.getName())
                .log(System.Logger.Level.WARNING, "subscriber failed on change " + next.getKey(), e);
          }
        }
      }
    } finally {
      delivering = false;
    }
  }

  @Override
  public synchronized long sequence(String projectId) {
    requireProject(projectId);
    refuseOtherProjectInsideRead(projectId);
    return sequences.getOrDefault(projectId, 0L);
  }

  /** Checks the sequence, then the backup, then its version; installs {@code after} as it is. */
  @Override
  public synchronized boolean replay(Change change) {
    refuseChangesInsideRead();
    requireNonNull(change, "change");
    String projectId = change.projectId();
    long current = sequences.getOrDefault(projectId, 0L);
    if (change.sequence() <= current) {
      return false;
    }
    if (change.sequence() > current + 1) {
      // worded as the indexed catalog words it: the reference answers as the implementations do
      throw new IllegalStateException("project " + projectId + " is at change " + current + ", so change "
          + change.sequence() + " cannot be replayed: "
          + (change.sequence() - 1 > current + 1
              ? "changes " + (current + 1) + " to " + (change.sequence() - 1) + " are missing"
              : "change " + (current + 1) + " is missing"));
    }
    Backup stored = backupsOf(projectId).get(change.backupId());
    if (change.before().isEmpty()) {
      if (stored != null) {
        throw new DuplicateBackupException(projectId, change.backupId());
      }
    } else {
      if (stored == null) {
        throw new BackupNotFoundException(projectId, change.backupId());
      }
      if (stored.version() != change.before().get().version()) {
        throw new VersionConflictException(change.backupId(), change.before().get().version(), stored.version());
      }
    }
    if (change.after().isPresent()) {
      projects.computeIfAbsent(projectId, p -> new LinkedHashMap<>()).put(change.backupId(), change.after().get());
    } else {
      delete(projectId, change.backupId());
    }
    sequences.put(projectId, change.sequence());
    // subscribers are told the backup this catalog held, not a before of the same version that differs
    deliver(stored == null || stored.equals(change.before().orElse(null)) ? change
        : new Change(change.sequence(), projectId, change.backupId(), Optional.of(stored), change.after(),
            change.transition()));
    return true;
  }

  @Override
  public synchronized void load(ProjectSnapshot snapshot) {
    refuseChangesInsideRead();
    requireNonNull(snapshot, "snapshot");
    if (snapshot.sequence() > ProjectSnapshot.MAX_SEQUENCE) {
      throw new InvalidValueException("sequence", snapshot.sequence(), "must be at most "
          + ProjectSnapshot.MAX_SEQUENCE + " (2^62, ProjectSnapshot.MAX_SEQUENCE) to load: the project's changes are "
          + "numbered on from it");
    }
    String projectId = snapshot.projectId();
    if (!backupsOf(projectId).isEmpty() || sequences.getOrDefault(projectId, 0L) > 0) {
      throw new IllegalStateException("project " + projectId + " has " + backupsOf(projectId).size()
          + (backupsOf(projectId).size() == 1 ? " backup" : " backups") + " and is at change "
          + sequences.getOrDefault(projectId, 0L)
          + " here: a snapshot loads only into a project without backups at change 0");
    }
    for (Backup backup : snapshot.backups()) {
      projects.computeIfAbsent(projectId, p -> new LinkedHashMap<>()).put(backup.id(), backup);
    }
    quotas.put(projectId, snapshot.quota());
    sequences.put(projectId, snapshot.sequence());
  }

  @Override
  public synchronized Optional<Backup> find(String projectId, String backupId) {
    requireProject(projectId);
    requireNonNull(backupId, "backupId");
    return Optional.ofNullable(backupsOf(projectId).get(backupId));
  }

  @Override
  public synchronized Page query(String projectId, Query query) {
    requireProject(projectId);
    requireNonNull(query, "query");
    Map<String, Backup> backups = backupsOf(projectId);
    Comparator<Backup> order = query.sort().comparator();
    List<Backup> matches = matches(backups.values(), query.predicate(), order);
    Backup marker = null;
    if (query.marker().isPresent()) {
      marker = backups.get(query.marker().get());
      if (marker == null) {
        throw new InvalidValueException(
            "marker", query.marker().get(), "must be the id of a backup of project " + projectId);
      }
    }
    return page(matches, order, marker, query);
  }

  @Override
  public synchronized long count(String projectId, BackupPredicate predicate) {
    requireProject(projectId);
    requireNonNull(predicate, "predicate");
    return countMatches(backupsOf(projectId).values(), predicate, now());
  }

  @Override
  public synchronized TagCatalogue tagCatalogue(String projectId) {
    requireProject(projectId);
    Map<String, Set<String>> valuesByKey = new TreeMap<>();
    for (Backup backup : backupsOf(projectId).values()) {
      for (Tag tag : backup.tags()) {
        valuesByKey.computeIfAbsent(tag.key(), k -> new TreeSet<>()).add(tag.value());
      }
    }
    return valuesByKey.isEmpty() ? TagCatalogue.empty() : TagCatalogue.of(valuesByKey);
  }

  /**
   * Runs {@code reads} holding the catalog's lock, with the clock's instant taken once for every call
   * on the view; changes and reads of other projects from inside are refused, as the interface says.
   */
  @Override
  public synchronized <T> T read(String projectId, Function<? super ProjectView, ? extends T> reads) {
    requireProject(projectId);
    requireNonNull(reads, "reads");
    refuseOtherProjectInsideRead(projectId);
    String outerProject = readingProject;
    Instant outerNow = readingNow;
    Instant now = outerNow != null ? outerNow : clock.instant();
    Thread owner = Thread.currentThread();
    boolean[] open = {true};
    Supplier<ReferenceCatalog> catalog = () -> {
      if (!open[0] || Thread.currentThread() != owner) {
        throw new IllegalStateException("this view of project " + projectId
            + " works only inside read(...), on the thread that called it");
      }
      return this;
    };
    ProjectView view = new ProjectView() {
      @Override
      public String projectId() {
        return projectId;
      }

      @Override
      public Optional<Backup> find(String backupId) {
        return atReadInstant(now, () -> catalog.get().find(projectId, backupId));
      }

      @Override
      public Page query(Query query) {
        return atReadInstant(now, () -> catalog.get().query(projectId, query));
      }

      @Override
      public long count(BackupPredicate predicate) {
        return atReadInstant(now, () -> catalog.get().count(projectId, predicate));
      }

      @Override
      public TagCatalogue tagCatalogue() {
        return atReadInstant(now, () -> catalog.get().tagCatalogue(projectId));
      }

      @Override
      public UsageReport usage(UsageQuery query) {
        return atReadInstant(now, () -> catalog.get().usage(projectId, query));
      }

      @Override
      public QuotaUsage quotaUsage() {
        return atReadInstant(now, () -> catalog.get().quotaUsage(projectId));
      }

      @Override
      public long sequence() {
        return atReadInstant(now, () -> catalog.get().sequence(projectId));
      }
    };
    readingProject = projectId;
    readingNow = now;
    try {
      return reads.apply(view);
    } finally {
      open[0] = false;
      readingProject = outerProject;
      readingNow = outerNow;
    }
  }

  /**
   * The instant a call evaluates relative times at: the read's, for a call through its view; else
   * the clock's, also for a call on the catalog itself inside a read (as the indexed catalog does).
   */
  private Instant now() {
    return viewNow != null ? viewNow : clock.instant();
  }

  /** Runs a call of a read's view at the read's one instant. */
  private <R> R atReadInstant(Instant instant, Supplier<R> call) {
    Instant outer = viewNow;
    viewNow = instant;
    try {
      return call.get();
    } finally {
      viewNow = outer;
    }
  }

  /** BackupCatalog's rule: every method that names a project refuses a blank one first. */
  private static void requireProject(String projectId) {
    requireNonNull(projectId, "projectId");
    if (projectId.isBlank()) {
      throw new InvalidValueException("project id", projectId, "must be non-blank");
    }
  }

  private void refuseChangesInsideRead() {
    if (readingProject != null) {
      throw new IllegalStateException(
          "changes are refused inside read(" + readingProject + ", ...): make them after it returns");
    }
  }

  private void refuseOtherProjectInsideRead(String projectId) {
    if (readingProject != null && !readingProject.equals(projectId)) {
      throw new IllegalStateException("inside read(" + readingProject + ", ...) only project " + readingProject
          + " can be read, not " + (projectId == null ? "all projects" : projectId));
    }
  }

  @Override
  public synchronized Page queryAllProjects(Query query) {
    requireNonNull(query, "query");
    refuseOtherProjectInsideRead(null);
    List<Backup> all = new ArrayList<>();
    projects.values().forEach(backups -> all.addAll(backups.values()));
    Comparator<Backup> order = query.sort().comparator().thenComparing(Backup::projectId);
    List<Backup> matches = matches(all, query.predicate(), order);
    Backup marker = null;
    if (query.marker().isPresent()) {
      String id = query.marker().get();
      List<Backup> named = new ArrayList<>();
      for (Map<String, Backup> backups : projects.values()) {
        Backup backup = backups.get(id);
        if (backup != null) {
          named.add(backup);
        }
      }
      if (named.isEmpty()) {
        throw new InvalidValueException("marker", id, "must be the id of a backup");
      }
      if (named.size() > 1) {
        throw new InvalidValueException(
            "marker", id, "must be the id of exactly one backup; this id is ambiguous across projects");
      }
      marker = named.get(0);
    }
    return page(matches, order, marker, query);
  }

  @Override
  public synchronized long countAllProjects(BackupPredicate predicate) {
    requireNonNull(predicate, "predicate");
    refuseOtherProjectInsideRead(null);
    Instant now = now();
    long count = 0;
    for (Map<String, Backup> backups : projects.values()) {
      count += countMatches(backups.values(), predicate, now);
    }
    return count;
  }

  /**
   * Sums the matching backups of the project by server: largest size first, then more backups, then
   * server id; a server is named as its newest (created at, then id) counted backup names it.
   */
  @Override
  public synchronized UsageReport usage(String projectId, UsageQuery query) {
    requireProject(projectId);
    requireNonNull(query, "query");
    Instant now = now();
    Map<String, List<Backup>> byServer = new HashMap<>();
    long backups = 0;
    long sizeMb = 0;
    for (Backup backup : backupsOf(projectId).values()) {
      if (query.where().test(backup, now, stallRule)) {
        byServer.computeIfAbsent(backup.server().id(), s -> new ArrayList<>()).add(backup);
        backups++;
        sizeMb += backup.sizeMb();
      }
    }
    List<ServerUsage> servers = new ArrayList<>();
    byServer.forEach((serverId, counted) -> {
      long size = counted.stream().mapToLong(Backup::sizeMb).sum();
      Backup newest = counted.stream()
          .max(Comparator.comparing(Backup::createdAt).thenComparing(Backup::id)).orElseThrow();
      servers.add(new ServerUsage(serverId, newest.server().name(), counted.size(), size));
    });
    servers.sort(Comparator.comparingLong((ServerUsage u) -> -u.sizeMb())
        .thenComparingLong(u -> -u.backups())
        .thenComparing(ServerUsage::serverId));
    int from = (int) Math.min(servers.size(), query.offset());
    List<ServerUsage> page = servers.subList(from, Math.min(servers.size(), from + query.limit()));
    return new UsageReport(backups, sizeMb, servers.size(), page);
  }

  @Override
  public synchronized void setQuota(String projectId, Quota quota) {
    requireProject(projectId);
    refuseChangesInsideRead();
    quotas.put(projectId, requireNonNull(quota, "quota"));
  }

  @Override
  public synchronized QuotaUsage quotaUsage(String projectId) {
    requireProject(projectId);
    Collection<Backup> backups = backupsOf(projectId).values();
    return new QuotaUsage(quotas.getOrDefault(projectId, Quota.NONE), backups.size(),
        backups.stream().mapToLong(Backup::sizeMb).sum());
  }

  private void checkQuota(String projectId, long moreBackups, long moreMb) {
    Collection<Backup> backups = backupsOf(projectId).values();
    long sizeMb = backups.stream().mapToLong(Backup::sizeMb).sum();
    quotas.getOrDefault(projectId, Quota.NONE).checkRoomFor(projectId, backups.size(), sizeMb, moreBackups, moreMb);
  }

  /** {@code ReferenceCatalog{3 projects, 1200 backups, stall threshold PT30M}}. */
  @Override
  public synchronized String toString() {
    int size = 0;
    for (Map<String, Backup> backups : projects.values()) {
      size += backups.size();
    }
    return "ReferenceCatalog{" + projects.size() + " projects, " + size + " backups, stall threshold "
        + stallRule.threshold() + "}";
  }

  /** The backups of {@code projectId}; empty (and not stored) for a project without any. */
  private Map<String, Backup> backupsOf(String projectId) {
    requireNonNull(projectId, "projectId");
    refuseOtherProjectInsideRead(projectId);
    Map<String, Backup> backups = projects.get(projectId);
    return backups == null ? Map.of() : backups;
  }

  /** The stored backup, after checking that it exists in the project and has {@code expectedVersion}. */
  private Backup current(String projectId, String backupId, long expectedVersion) {
    requireNonNull(backupId, "backupId");
    Backup current = backupsOf(projectId).get(backupId);
    if (current == null) {
      throw new BackupNotFoundException(projectId, backupId);
    }
    if (current.version() != expectedVersion) {
      throw new VersionConflictException(backupId, expectedVersion, current.version());
    }
    return current;
  }

  private void delete(String projectId, String backupId) {
    Map<String, Backup> backups = projects.get(projectId);
    backups.remove(backupId);
    if (backups.isEmpty()) {
      projects.remove(projectId);
    }
  }

  /** Every backup that matches at the clock's one instant, sorted. */
  private List<Backup> matches(Collection<Backup> backups, BackupPredicate predicate, Comparator<Backup> order) {
    Instant now = now();
    List<Backup> matches = new ArrayList<>();
    for (Backup backup : backups) {
      if (predicate.test(backup, now, stallRule)) {
        matches.add(backup);
      }
    }
    matches.sort(order);
    return matches;
  }

  private long countMatches(Collection<Backup> backups, BackupPredicate predicate, Instant now) {
    long count = 0;
    for (Backup backup : backups) {
      if (predicate.test(backup, now, stallRule)) {
        count++;
      }
    }
    return count;
  }

  /** The page of sorted {@code matches} after {@code marker} (if not null) or else after the offset. */
  private static Page page(List<Backup> matches, Comparator<Backup> order, Backup marker, Query query) {
    int from;
    if (marker != null) {
      from = 0;
      while (from < matches.size() && order.compare(matches.get(from), marker) <= 0) {
        from++;
      }
    } else {
      from = (int) Math.min(query.offset(), matches.size());
    }
    int to = Math.min(matches.size(), from + query.limit());
    return new Page(matches.subList(from, to), matches.size(), to < matches.size());
  }
}
