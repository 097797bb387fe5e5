package io.csbs.postgres;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
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
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
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
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;
import org.postgresql.PGStatement;

/**
 * A {@link BackupCatalog} whose truth is a PostgreSQL database (or Citus, which distributes its
 * tables by project): durable across restarts, and shared by every instance of a service.
 *
 * <pre>{@code
 * Schema.migrate(dataSource);                                      // once, explicitly
 * PostgresCatalog catalog = PostgresCatalog.create(dataSource, Clock.systemUTC());
 * catalog.add(backup);
 * Page page = catalog.query("project-1", Query.where(Predicates.status(BackupStatus.AVAILABLE)));
 * }</pre>
 *
 * <p><b>Changes.</b> Each change is one transaction on one project: it locks the project's row of
 * {@code csbs_project} (which serializes the project's writers and numbers its changes), checks the
 * backup's version in the {@code UPDATE} itself, takes the next version from {@link
 * io.csbs.lifecycle.Lifecycle}, checks quotas, keeps the counters, the tag catalogue and the usage
 * per server, and writes the change to the change feed ({@code csbs_change}), all or nothing. A
 * refused change rolls back whole. The time of a change is the clock's instant cut to the
 * microsecond, which is what PostgreSQL keeps; a backup given with a finer time, with a time
 * outside the range kept (1 January 4713 BC to PostgreSQL's end), or with text PostgreSQL cannot hold
 * (a NUL char, half a surrogate pair) in any text but those of {@link Backup#details()} is refused
 * with an {@link InvalidValueException} naming the field (the texts of the details are stored
 * encoded, in one binary column, and kept exactly whatever they hold), after the refusals every
 * catalog makes (a duplicate id, a quota, a replayed change already installed or one missing, a
 * stale version, a load into a project with backups), as is such a project id given to {@link
 * #setQuota}, {@link #load} or {@link #replay}; an id,
 * project id or marker of that kind given to a read or a change of a stored backup finds nothing, as
 * any id no backup has.
 *
 * <p><b>Reads.</b> A page and its total come from one statement, hence one snapshot; {@link #read}
 * is one read-only {@code REPEATABLE READ} transaction, so its answers agree although writers go
 * on (they do not wait for it). The totals of every backup and of some states come from the
 * project's counters, the total of one server id from its usage row; other totals are exact
 * counts. Names match ignoring case as {@code
 * toLowerCase(Locale.ROOT)} does. Names and ids sort by code point ({@code COLLATE "C"}), and so do
 * project ids where the all-projects view orders equal backups by them, server ids where
 * {@link #usage} orders servers of equal use, and backup ids where a usage line takes its server's
 * name from the greatest id among backups created at one instant: the in-memory catalog's
 * char-by-char order ({@link
 * String#compareTo}) for every text of the Basic Multilingual Plane, but a character above U+FFFF
 * sorts after the chars U+E000 to U+FFFF here, before them in memory.
 *
 * <p><b>Change feed.</b> {@link #subscribe(Consumer)} delivers the changes committed from now on,
 * and {@link #subscribe(Map, Consumer)} resumes after the last change a consumer handled: at least
 * once, in order within each project, one change at a time, from the change table (never from
 * notifications, which are only a wake-up). A subscriber that throws gets the same change again
 * later, so nothing committed is lost; make subscribers idempotent (ignore a sequence already
 * handled). {@link #changes} reads the feed directly.
 *
 * <p><b>Failures.</b> A database failure raises a {@link CatalogDatabaseException} that says what
 * failed and whether a retry may succeed; a database without the schema, or with another version of
 * it, raises a {@link SchemaVersionException}. Nothing is ever half-written. The catalog holds no
 * connection between calls, but one: from its first {@link #subscribe} (or the first replica that
 * follows it) until {@link #close}, one connection listens for the feed's notifications ({@code
 * LISTEN csbs_change}), even once every subscription is cancelled. Give it a pooled {@link
 * DataSource} in production, with a connection to spare for that listener. Close it to stop its
 * feed threads and let that connection go.
 *
 * <p><b>Clocks.</b> A change is dated by the catalog's clock, and a backup's changes must not go
 * back in time: an instance whose clock is behind the instance that made a backup's last change has
 * its {@code apply} or {@code updateTags} refused with an {@code InvalidValueException} naming
 * {@code now} (nothing changed; not retryable until its clock passes that change). Keep the clocks of
 * a service's instances synchronised (NTP), as any shared store of timestamps needs.
 *
 * <p>For reads at in-memory speed, follow the database with a {@link PostgresReplica}.
 */
public final class PostgresCatalog implements BackupCatalog, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(PostgresCatalog.class.getName());
  private static final int INSERT_CHUNK = 500;
  static final String CHANNEL = "csbs_change";

  /**
   * The longest project id, in bytes of UTF-8, that {@link #setQuota} and {@link #load} store:
   * PostgreSQL's B-tree bound (about 2,700 bytes an entry), with room.
   */
  static final int MAX_KEYED_PROJECT_ID_BYTES = 2000;

  private final DataSource dataSource;
  private final Clock clock;
  private final StallRule stallRule;
  private final Duration pollInterval;
  private volatile boolean schemaChecked;
  /** The read this thread is inside, or null. */
  private final ThreadLocal<ReadContext> reading = new ThreadLocal<>();
  /** Who wants to hear of new changes at once: feed readers and replicas. */
  private final Set<Runnable> wakers = new CopyOnWriteArraySet<>();
  private final Set<FeedReader> readers = new CopyOnWriteArraySet<>();
  private final Object listenerLock = new Object();
  /** Held by close and by a subscribe registering its reader, so that none outlives a close. */
  private final Object feedLock = new Object();
  private ChangeListener listener;
  private volatile boolean closed;

  private PostgresCatalog(Builder builder) {
    this.dataSource = builder.dataSource;
    this.clock = builder.clock != null ? builder.clock : Clock.systemUTC();
    this.stallRule = builder.stallRule != null ? builder.stallRule : StallRule.DEFAULT;
    this.pollInterval = builder.pollInterval != null ? builder.pollInterval : Duration.ofMillis(250);
  }

  /**
   * {@return a catalog on {@code dataSource} with {@code clock} and the default options}
   *
   * @param dataSource the database, migrated with {@link Schema#migrate}
   * @param clock the clock of changes and of relative searches
   */
  public static PostgresCatalog create(DataSource dataSource, Clock clock) {
    return builder(dataSource).clock(clock).build();
  }

  /**
   * {@return a builder of a catalog on {@code dataSource}; every option is optional}
   *
   * @param dataSource the database, migrated with {@link Schema#migrate}
   */
  public static Builder builder(DataSource dataSource) {
    return new Builder(requireNonNull(dataSource, "dataSource"));
  }

  /**
   * Options of a {@link PostgresCatalog}.
   *
   * <pre>{@code
   * PostgresCatalog catalog = PostgresCatalog.builder(dataSource)
   *     .clock(clock)                                        // default: Clock.systemUTC()
   *     .stallRule(StallRule.ofThreshold(Duration.ofMinutes(10)))  // default: StallRule.DEFAULT
   *     .pollInterval(Duration.ofMillis(100))                // default: 250 ms
   *     .build();
   * }</pre>
   */
  public static final class Builder {
    private final DataSource dataSource;
    private Clock clock;
    private StallRule stallRule;
    private Duration pollInterval;

    private Builder(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    /**
     * Sets the clock of changes and of relative searches; {@code Clock.systemUTC()} by default.
     *
     * @param clock the clock that dates changes and anchors relative time windows
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets when a running job counts as stalled; {@link StallRule#DEFAULT} by default.
     *
     * @param stallRule the rule that judges the {@code stalled} criterion
     * @return this builder
     */
    public Builder stallRule(StallRule stallRule) {
      this.stallRule = requireNonNull(stallRule, "stallRule");
      return this;
    }

    /**
     * How often feed readers and replicas look for changes when no notification woke them: the
     * longest delay of a change made by another instance while notifications are lost; 250 ms by
     * default. While the database fails, a subscription's feed reader waits longer between tries
     * (100 ms after the first failure, doubling up to 10 s), so a change made as the database comes
     * back may reach it up to 10 s later; a replica keeps trying every poll interval.
     *
     * @param pollInterval the time between two looks at the feed
     * @return this builder
     * @throws InvalidValueException naming {@code poll interval} unless it is 1 ms to 1 hour
     */
    public Builder pollInterval(Duration pollInterval) {
      requireNonNull(pollInterval, "pollInterval");
      if (pollInterval.compareTo(Duration.ofMillis(1)) < 0 || pollInterval.compareTo(Duration.ofHours(1)) > 0) {
        throw new InvalidValueException("poll interval", pollInterval, "must be 1 ms to 1 hour");
      }
      this.pollInterval = pollInterval;
      return this;
    }

    /** {@return the catalog; it checks the schema version on first use, not here} */
    public PostgresCatalog build() {
      return new PostgresCatalog(this);
    }
  }

  Clock clock() {
    return clock;
  }

  StallRule stallRule() {
    return stallRule;
  }

  Duration pollInterval() {
    return pollInterval;
  }

  // ================================================================ changes

  @Override
  public void add(Backup backup) {
    requireNonNull(backup, "backup");
    BackupRows.storableText("project id", backup.projectId());
    write("add backup " + backup.id() + " to project " + backup.projectId(), connection -> {
      ProjectRow project = lockProject(connection, backup.projectId(), true);
      // the catalog's refusals first (a duplicate, a quota), as every catalog makes them; then what
      // only the database refuses: a backup it cannot store is looked up, not inserted
      InvalidValueException unstorable = unstorable(backup);
      boolean duplicate = unstorable == null ? !insertIfAbsent(connection, backup)
          : select(connection, backup.projectId(), backup.id()) != null;
      if (duplicate) {
        throw new DuplicateBackupException(backup.projectId(), backup.id());
      }
      project.quota.checkRoomFor(backup.projectId(), project.backups, project.sizeMb, 1, backup.sizeMb());
      if (unstorable != null) {
        throw unstorable;
      }
      install(connection, project, null, backup, null, project.lastSequence + 1, false);
      return null;
    });
  }

  /** Why the database cannot store {@code backup} (a time or text it cannot hold), or null if it can. */
  private static InvalidValueException unstorable(Backup backup) {
    try {
      BackupRows.checkStorable(backup);
      return null;
    } catch (InvalidValueException e) {
      return e;
    }
  }

  @Override
  public void addAll(Collection<Backup> backups) {
    requireNonNull(backups, "backups");
    Map<String, List<Backup>> byProject = new TreeMap<>();
    for (Backup backup : backups) {
      requireNonNull(backup, "backup");
      BackupRows.storableText("project id", backup.projectId());
      byProject.computeIfAbsent(backup.projectId(), p -> new ArrayList<>()).add(backup);
    }
    if (byProject.isEmpty()) {
      refuseChangesInsideRead();
      return;
    }
    write("add " + backups.size() + " backups", connection -> {
      Map<String, ProjectRow> locked = new LinkedHashMap<>();
      for (Map.Entry<String, List<Backup>> batch : byProject.entrySet()) {  // in project order: no deadlock
        ProjectRow project = lockProject(connection, batch.getKey(), true);
        locked.put(batch.getKey(), project);
        refuseDuplicates(connection, batch.getKey(), batch.getValue());
      }
      for (Map.Entry<String, List<Backup>> batch : byProject.entrySet()) {  // quotas once no project has a duplicate
        ProjectRow project = locked.get(batch.getKey());
        long batchMb = 0;
        for (Backup backup : batch.getValue()) {
          batchMb += backup.sizeMb();
        }
        project.quota.checkRoomFor(batch.getKey(), project.backups, project.sizeMb, batch.getValue().size(), batchMb);
      }
      // what only the database refuses, after the refusals every catalog makes (duplicates, quotas)
      for (Backup backup : backups) {
        BackupRows.checkStorable(backup);
      }
      for (Map.Entry<String, List<Backup>> batch : byProject.entrySet()) {
        insertBatch(connection, locked.get(batch.getKey()), batch.getValue(), false);
      }
      return null;
    });
  }

  @Override
  public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
    requireProject(projectId);
    requireNonNull(backupId, "backupId");
    requireNonNull(transition, "transition");
    return write("apply " + transition + " to backup " + backupId + " of project " + projectId, connection -> {
      ProjectRow project = lockProject(connection, projectId, false);
      Backup before = lockedCurrent(connection, project, projectId, backupId, expectedVersion);
      Optional<Backup> next = transition.applyTo(before, BackupRows.toMicros(clock.instant()));
      if (next.isPresent() && next.get() == before) {
        return next;  // the same progress again: nothing changed, nothing to record
      }
      next.ifPresent(BackupRows::checkStorable);
      install(connection, project, before, next.orElse(null), transition, project.lastSequence + 1, true);
      return next;
    });
  }

  @Override
  public Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update) {
    requireProject(projectId);
    requireNonNull(backupId, "backupId");
    requireNonNull(update, "update");
    return write("update the tags of backup " + backupId + " of project " + projectId + " (" + update + ")",
        connection -> {
          ProjectRow project = lockProject(connection, projectId, false);
          Backup before = lockedCurrent(connection, project, projectId, backupId, expectedVersion);
          Backup next = update.applyTo(before, BackupRows.toMicros(clock.instant()));
          if (next == before) {
            return before;  // the tags stay as they are: nothing changed, nothing to record
          }
          BackupRows.checkStorable(next);
          install(connection, project, before, next, null, project.lastSequence + 1, true);
          return next;
        });
  }

  /** The backup {@code backupId} at {@code expectedVersion}, read under the project's lock. */
  private static Backup lockedCurrent(Connection connection, ProjectRow project, String projectId, String backupId,
      long expectedVersion) throws SQLException {
    Backup current = project == null ? null : select(connection, projectId, backupId);
    if (current == null) {
      throw new BackupNotFoundException(projectId, backupId);
    }
    if (current.version() != expectedVersion) {
      throw new VersionConflictException(backupId, expectedVersion, current.version());
    }
    return current;
  }

  @Override
  public void remove(String projectId, String backupId, long expectedVersion) {
    requireProject(projectId);
    requireNonNull(backupId, "backupId");
    write("remove backup " + backupId + " of project " + projectId, connection -> {
      ProjectRow project = lockProject(connection, projectId, false);
      Backup before = lockedCurrent(connection, project, projectId, backupId, expectedVersion);
      install(connection, project, before, null, null, project.lastSequence + 1, true);
      return null;
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>On the database a change whose backup it cannot store (a time finer than a microsecond, a
   * text it cannot hold: see the class documentation) is refused with an {@link
   * InvalidValueException} naming the field after the checks above: a change already installed
   * returns false, a missing one, a duplicate, an unknown backup and a stale version are refused as
   * on every catalog, whatever the backup holds.
   */
  @Override
  public boolean replay(Change change) {
    requireNonNull(change, "change");
    BackupRows.storableText("project id", change.projectId());  // a removal's project too: replay makes its row
    return write("replay change " + change.sequence() + " of project " + change.projectId(), connection -> {
      ProjectRow project = lockProject(connection, change.projectId(), true);
      if (change.sequence() <= project.lastSequence) {
        return false;
      }
      if (change.sequence() > project.lastSequence + 1) {
        throw new IllegalStateException("project " + change.projectId() + " is at change " + project.lastSequence
            + ": change " + change.sequence() + " cannot follow it (change " + (project.lastSequence + 1) + " is missing)");
      }
      Backup current = select(connection, change.projectId(), change.backupId());
      Backup before = change.before().orElse(null);
      if (before == null && current != null) {
        throw new DuplicateBackupException(change.projectId(), change.backupId());
      }
      if (before != null && current == null) {
        throw new BackupNotFoundException(change.projectId(), change.backupId());
      }
      if (before != null && current.version() != before.version()) {
        throw new VersionConflictException(change.backupId(), before.version(), current.version());
      }
      // what only the database refuses, after the checks every catalog makes in this order
      change.after().ifPresent(BackupRows::checkStorable);
      if (current == null) {
        insertIfAbsent(connection, change.after().orElseThrow());
      }
      install(connection, project, current, change.after().orElse(null), change.transition().orElse(null),
          change.sequence(), current != null);
      return true;
    });
  }

  @Override
  public void load(ProjectSnapshot snapshot) {
    requireNonNull(snapshot, "snapshot");
    if (snapshot.sequence() > ProjectSnapshot.MAX_SEQUENCE) {
      throw new InvalidValueException("sequence", snapshot.sequence(), "must be at most "
          + ProjectSnapshot.MAX_SEQUENCE + " (2^62, ProjectSnapshot.MAX_SEQUENCE) to load: the project's changes are "
          + "numbered on from it");
    }
    keyableProjectId(snapshot.projectId());  // an empty snapshot's too: load makes its row
    write("load a snapshot of project " + snapshot.projectId(), connection -> {
      ProjectRow project = lockProject(connection, snapshot.projectId(), true);
      if (project.lastSequence > 0 || project.backups > 0) {
        throw new IllegalStateException("project " + snapshot.projectId() + " cannot load a snapshot: it has "
            + project.backups + (project.backups == 1 ? " backup" : " backups") + " and is at change "
            + project.lastSequence + " already");
      }
      for (Backup backup : snapshot.backups()) {
        BackupRows.checkStorable(backup);  // what only the database refuses, after the catalog's refusal
      }
      insertBatch(connection, project, snapshot.backups(), true);
      try (PreparedStatement statement = connection.prepareStatement("UPDATE csbs_project SET last_sequence = ?, "
          + "max_backups = ?, max_capacity_gb = ?, quota_version = quota_version + 1 WHERE project_id = ?")) {
        statement.setLong(1, snapshot.sequence());
        statement.setLong(2, snapshot.quota().maxBackups());
        statement.setLong(3, snapshot.quota().maxCapacityGb());
        statement.setString(4, snapshot.projectId());
        statement.executeUpdate();
      }
      notifyChange(connection, snapshot.projectId());
      return null;
    });
  }

  /**
   * Refuses a project id the project's row cannot have: one PostgreSQL cannot store, or one longer
   * than its B-tree keys (entries up to about 2,700 bytes). Only a quota or an empty snapshot can name
   * such a project: a backup's project id is at most 64 chars.
   */
  private static void keyableProjectId(String projectId) {
    BackupRows.storableText("project id", projectId);
    if (projectId.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_KEYED_PROJECT_ID_BYTES) {
      throw new InvalidValueException("project id", projectId, "must be at most " + MAX_KEYED_PROJECT_ID_BYTES
          + " bytes of UTF-8 for PostgreSQL to key the project's quota and sequence (a backup's project id is at "
          + "most 64 chars)");
    }
  }

  @Override
  public void setQuota(String projectId, Quota quota) {
    requireProject(projectId);
    requireNonNull(quota, "quota");
    keyableProjectId(projectId);  // the quota makes the project's row
    write("set the quota of project " + projectId, connection -> {
      try (PreparedStatement statement = connection.prepareStatement(
          "INSERT INTO csbs_project (project_id, max_backups, max_capacity_gb, quota_version) VALUES (?, ?, ?, 1) "
              + "ON CONFLICT (project_id) DO UPDATE SET max_backups = EXCLUDED.max_backups, "
              + "max_capacity_gb = EXCLUDED.max_capacity_gb, quota_version = csbs_project.quota_version + 1")) {
        statement.setString(1, projectId);
        statement.setLong(2, quota.maxBackups());
        statement.setLong(3, quota.maxCapacityGb());
        statement.executeUpdate();
      }
      notifyChange(connection, projectId);
      return null;
    });
  }

  /** The project's row, locked until the transaction ends; created first if {@code create}; null if absent. */
  private static ProjectRow lockProject(Connection connection, String projectId, boolean create) throws SQLException {
    String sql = create
        // one round trip: the upsert takes the row lock whether the row was there or not
        ? "INSERT INTO csbs_project (project_id) VALUES (?) ON CONFLICT (project_id) DO UPDATE "
            + "SET last_sequence = csbs_project.last_sequence "
            + "RETURNING last_sequence, max_backups, max_capacity_gb, backups, size_mb"
        : "SELECT last_sequence, max_backups, max_capacity_gb, backups, size_mb FROM csbs_project "
            + "WHERE project_id = ? FOR UPDATE";
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, create ? BackupRows.storableText("project id", projectId) : BackupRows.lookupKey(projectId));
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          return null;
        }
        return new ProjectRow(projectId, row.getLong(1), Quota.of(row.getLong(2), row.getLong(3)), row.getLong(4),
            row.getLong(5));
      }
    }
  }

  /** A project's row as a writer locked it. */
  private static final class ProjectRow {
    final String projectId;
    final long lastSequence;
    final Quota quota;
    final long backups;
    final long sizeMb;

    ProjectRow(String projectId, long lastSequence, Quota quota, long backups, long sizeMb) {
      this.projectId = projectId;
      this.lastSequence = lastSequence;
      this.quota = quota;
      this.backups = backups;
      this.sizeMb = sizeMb;
    }
  }

  private static Backup select(Connection connection, String projectId, String backupId) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(
        "SELECT " + BackupRows.READ_COLUMNS + " FROM csbs_backup WHERE project_id = ? AND id = ?")) {
      statement.setString(1, BackupRows.lookupKey(projectId));
      statement.setString(2, BackupRows.lookupKey(backupId));
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? BackupRows.read(row, 1) : null;
      }
    }
  }

  private static final String INSERT_BACKUP = "INSERT INTO csbs_backup (" + BackupRows.COLUMNS + ") VALUES "
      + placeholders(BackupRows.COLUMN_COUNT);

  /** Inserts the backup's row unless the project has one with its id; whether it did. */
  private static boolean insertIfAbsent(Connection connection, Backup backup) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(
        INSERT_BACKUP + " ON CONFLICT (project_id, id) DO NOTHING")) {
      BackupRows.bind(statement, 1, backup);
      return statement.executeUpdate() == 1;
    }
  }

  /**
   * Writes one committed change of one backup: its row ({@code before} to {@code after}, the version
   * checked by the statement itself when {@code rowChanges}; an added row is inserted by the
   * caller), the change feed, the project's counters and sequence, the usage and the tag catalogue.
   */
  private static void install(Connection connection, ProjectRow project, Backup before, Backup after,
      Transition transition, long sequence, boolean rowChanges) throws SQLException {
    String projectId = project.projectId;
    Backup any = after != null ? after : before;
    if (rowChanges) {
      String sql = after == null
          ? "DELETE FROM csbs_backup WHERE project_id = ? AND id = ? AND version = ?"
          : "UPDATE csbs_backup SET (" + BackupRows.FIELD_COLUMNS + ") = " + placeholders(BackupRows.FIELD_COUNT)
              + " WHERE project_id = ? AND id = ? AND version = ?";
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        int next = 1;
        if (after != null) {
          BackupRows.bindFields(statement, 1, after);
          next += BackupRows.FIELD_COUNT;
        }
        statement.setString(next, projectId);
        statement.setString(next + 1, any.id());
        statement.setLong(next + 2, before.version());
        if (statement.executeUpdate() != 1) {
          // the project's lock makes this unreachable unless the row was changed outside the library
          throw new VersionConflictException(any.id(), before.version(), -1);
        }
      }
    }
    Counters counters = new Counters();
    if (before != null) {
      counters.remove(before);
    }
    if (after != null) {
      counters.add(after);
    }
    recordChange(connection, projectId, sequence, any.id(), transition, before, after);
    counters.write(connection, projectId, sequence);
    notifyChange(connection, projectId);
  }

  /** Refuses a batch whose ids repeat, or exist in the project, naming the first in batch order. */
  private static void refuseDuplicates(Connection connection, String projectId, List<Backup> batch) throws SQLException {
    Set<String> seen = new HashSet<>(batch.size() * 2);
    for (Backup backup : batch) {
      if (!seen.add(backup.id())) {
        throw firstDuplicate(connection, projectId, batch);
      }
    }
    Set<String> existing = existingIds(connection, projectId, seen);
    if (!existing.isEmpty()) {
      throw firstDuplicate(connection, projectId, batch);
    }
  }

  private static DuplicateBackupException firstDuplicate(Connection connection, String projectId, List<Backup> batch)
      throws SQLException {
    Set<String> ids = new HashSet<>();
    for (Backup backup : batch) {
      ids.add(backup.id());
    }
    Set<String> existing = existingIds(connection, projectId, ids);
    Set<String> seen = new HashSet<>();
    for (Backup backup : batch) {
      if (existing.contains(backup.id())) {
        return new DuplicateBackupException(projectId, backup.id());
      }
      if (!seen.add(backup.id())) {
        return new DuplicateBackupException(projectId, backup.id(), true);
      }
    }
    throw new IllegalStateException("no duplicate in the batch");
  }

  private static Set<String> existingIds(Connection connection, String projectId, Set<String> ids) throws SQLException {
    Set<String> existing = new HashSet<>();
    try (PreparedStatement statement = connection.prepareStatement(
        "SELECT id FROM csbs_backup WHERE project_id = ? AND id = ANY(?)")) {
      statement.setString(1, projectId);
      // an id the database cannot hold (a NUL) is no stored id: looked up as one that finds nothing,
      // so that the batch's storability is judged after its duplicates, as documented
      statement.setArray(2, connection.createArrayOf("text", ids.stream().map(BackupRows::lookupKey).distinct()
          .toArray(String[]::new)));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          existing.add(rows.getString(1));
        }
      }
    }
    return existing;
  }

  /**
   * Inserts a checked batch of one project: rows and changes in multi-row statements, then the
   * counters, usage and tags once for the batch. A snapshot ({@code snapshot}) writes no changes
   * and leaves the sequence to the caller.
   */
  private static void insertBatch(Connection connection, ProjectRow project, List<Backup> batch, boolean snapshot)
      throws SQLException {
    for (int from = 0; from < batch.size(); from += INSERT_CHUNK) {
      List<Backup> chunk = batch.subList(from, Math.min(batch.size(), from + INSERT_CHUNK));
      StringBuilder sql = new StringBuilder("INSERT INTO csbs_backup (" + BackupRows.COLUMNS + ") VALUES ");
      String row = placeholders(BackupRows.COLUMN_COUNT);
      for (int i = 0; i < chunk.size(); i++) {
        sql.append(i == 0 ? "" : ", ").append(row);
      }
      try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
        for (int i = 0; i < chunk.size(); i++) {
          BackupRows.bind(statement, 1 + i * BackupRows.COLUMN_COUNT, chunk.get(i));
        }
        statement.executeUpdate();
      }
      if (!snapshot) {
        StringBuilder changes = new StringBuilder("INSERT INTO csbs_change (project_id, sequence, backup_id, after) VALUES ");
        for (int i = 0; i < chunk.size(); i++) {
          changes.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?)");
        }
        try (PreparedStatement statement = connection.prepareStatement(changes.toString())) {
          for (int i = 0; i < chunk.size(); i++) {
            Backup backup = chunk.get(i);
            statement.setString(1 + i * 4, project.projectId);
            statement.setLong(2 + i * 4, project.lastSequence + from + i + 1);
            statement.setString(3 + i * 4, backup.id());
            statement.setBytes(4 + i * 4, BackupRows.encode(backup));
          }
          statement.executeUpdate();
        }
      }
    }
    Counters counters = new Counters();
    for (Backup backup : batch) {
      counters.add(backup);
    }
    counters.write(connection, project.projectId, snapshot ? project.lastSequence : project.lastSequence + batch.size());
    notifyChange(connection, project.projectId);
  }

  private static void recordChange(Connection connection, String projectId, long sequence, String backupId,
      Transition transition, Backup before, Backup after) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement("INSERT INTO csbs_change "
        + "(project_id, sequence, backup_id, transition, transition_arg, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      statement.setString(1, projectId);
      statement.setLong(2, sequence);
      statement.setString(3, backupId);
      statement.setString(4, Transitions.name(transition));
      statement.setString(5, Transitions.argument(transition));
      statement.setBytes(6, BackupRows.encode(before));
      statement.setBytes(7, BackupRows.encode(after));
      statement.executeUpdate();
    }
  }

  /** Wakes feed readers and replicas of every instance at commit (a hint: the feed is the table). */
  private static void notifyChange(Connection connection, String projectId) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement("SELECT pg_notify('" + CHANNEL + "', ?)")) {
      statement.setString(1, projectId);
      statement.executeQuery().close();
    }
  }

  /** What a change does to a project's counters, usage per server and tag catalogue. */
  private static final class Counters {
    long backups;
    long sizeMb;
    final long[] states = new long[BackupStatus.values().length];
    final Map<String, long[]> servers = new TreeMap<>();
    final Map<String, Long> tags = new TreeMap<>();

    void add(Backup backup) {
      count(backup, 1);
    }

    void remove(Backup backup) {
      count(backup, -1);
    }

    private void count(Backup backup, int sign) {
      backups += sign;
      sizeMb += sign * backup.sizeMb();
      states[backup.status().ordinal()] += sign;
      long[] server = servers.computeIfAbsent(backup.server().id(), s -> new long[2]);
      server[0] += sign;
      server[1] += sign * backup.sizeMb();
      for (Tag tag : backup.tags()) {
        tags.merge(tag.key() + "=" + tag.value(), (long) sign, Long::sum);
      }
    }

    void write(Connection connection, String projectId, long sequence) throws SQLException {
      try (PreparedStatement statement = connection.prepareStatement("UPDATE csbs_project SET last_sequence = ?, "
          + "backups = backups + ?, size_mb = size_mb + ?, available = available + ?, creating = creating + ?, "
          + "restoring = restoring + ?, deleting = deleting + ?, error = error + ? WHERE project_id = ?")) {
        statement.setLong(1, sequence);
        statement.setLong(2, backups);
        statement.setLong(3, sizeMb);
        for (int i = 0; i < states.length; i++) {
          statement.setLong(4 + i, states[i]);
        }
        statement.setString(4 + states.length, projectId);
        statement.executeUpdate();
      }
      servers.values().removeIf(delta -> delta[0] == 0 && delta[1] == 0);
      if (!servers.isEmpty()) {
        upsertDeltas(connection, "csbs_server_usage", "server_id", projectId, servers);
      }
      tags.values().removeIf(delta -> delta == 0);
      if (!tags.isEmpty()) {
        Map<String, long[]> pairs = new TreeMap<>();
        tags.forEach((pair, delta) -> pairs.put(pair, new long[] {delta}));
        upsertDeltas(connection, "csbs_tag", "tag", projectId, pairs);
      }
    }

    /** Adds the deltas to the rows of {@code table}, creating rows, and deletes rows that reach 0 backups. */
    private static void upsertDeltas(Connection connection, String table, String key, String projectId,
        Map<String, long[]> deltas) throws SQLException {
      boolean isTag = key.equals("tag");
      StringBuilder sql = new StringBuilder("INSERT INTO " + table
          + (isTag ? " (project_id, tag_key, tag_value, backups)" : " (project_id, server_id, backups, size_mb)") + " VALUES ");
      int row = 0;
      for (int i = 0; i < deltas.size(); i++) {
        sql.append(row++ == 0 ? "" : ", ").append("(?, ?, ?, ?)");
      }
      sql.append(isTag
          ? " ON CONFLICT (project_id, tag_key, tag_value) DO UPDATE SET backups = csbs_tag.backups + EXCLUDED.backups"
          : " ON CONFLICT (project_id, server_id) DO UPDATE SET backups = csbs_server_usage.backups + EXCLUDED.backups, "
              + "size_mb = csbs_server_usage.size_mb + EXCLUDED.size_mb");
      boolean anyDown = false;
      try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
        int i = 1;
        for (Map.Entry<String, long[]> delta : deltas.entrySet()) {
          statement.setString(i++, projectId);
          if (isTag) {
            int split = delta.getKey().indexOf('=');
            statement.setString(i++, delta.getKey().substring(0, split));
            statement.setString(i++, delta.getKey().substring(split + 1));
            statement.setLong(i++, delta.getValue()[0]);
          } else {
            statement.setString(i++, delta.getKey());
            statement.setLong(i++, delta.getValue()[0]);
            statement.setLong(i++, delta.getValue()[1]);
          }
          anyDown |= delta.getValue()[0] < 0;
        }
        statement.executeUpdate();
      }
      if (anyDown) {
        List<String> keys = new ArrayList<>();
        for (String k : deltas.keySet()) {
          keys.add(isTag ? k.substring(0, k.indexOf('=')) : k);
        }
        try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + table
            + " WHERE project_id = ? AND " + (isTag ? "tag_key" : "server_id") + " = ANY(?) AND backups <= 0")) {
          statement.setString(1, projectId);
          statement.setArray(2, connection.createArrayOf("text", keys.toArray(new String[0])));
          statement.executeUpdate();
        }
      }
    }
  }

  private static String placeholders(int count) {
    StringBuilder row = new StringBuilder("(");
    for (int i = 0; i < count; i++) {
      row.append(i == 0 ? "?" : ", ?");
    }
    return row.append(")").toString();
  }

  // ================================================================ reads

  @Override
  public Optional<Backup> find(String projectId, String backupId) {
    requireNonNull(backupId, "backupId");
    return readOne(projectId, "find backup " + backupId + " of project " + projectId,
        (connection, now) -> Optional.ofNullable(findIn(connection, projectId, backupId)));
  }

  @Override
  public Page query(String projectId, Query query) {
    requireNonNull(query, "query");
    return readOne(projectId, "query project " + projectId, (connection, now) -> queryIn(connection, projectId, query, now));
  }

  @Override
  public long count(String projectId, BackupPredicate predicate) {
    requireNonNull(predicate, "predicate");
    return readOne(projectId, "count backups of project " + projectId,
        (connection, now) -> countIn(connection, projectId, predicate, now));
  }

  @Override
  public TagCatalogue tagCatalogue(String projectId) {
    return readOne(projectId, "read the tags of project " + projectId, (connection, now) -> tagCatalogueIn(connection, projectId));
  }

  @Override
  public UsageReport usage(String projectId, UsageQuery query) {
    requireNonNull(query, "query");
    return readOne(projectId, "read the usage of project " + projectId, (connection, now) -> usageIn(connection, projectId, query, now));
  }

  @Override
  public QuotaUsage quotaUsage(String projectId) {
    return readOne(projectId, "read the quota of project " + projectId, (connection, now) -> quotaUsageIn(connection, projectId));
  }

  @Override
  public long sequence(String projectId) {
    return readOne(projectId, "read the sequence of project " + projectId, (connection, now) -> sequenceIn(connection, projectId));
  }

  @Override
  public Page queryAllProjects(Query query) {
    requireNonNull(query, "query");
    refuseOtherProjectInsideRead(null);
    return withConnection("query all projects", connection -> queryIn(connection, null, query, clock.instant()));
  }

  @Override
  public long countAllProjects(BackupPredicate predicate) {
    requireNonNull(predicate, "predicate");
    refuseOtherProjectInsideRead(null);
    return withConnection("count backups of all projects", connection -> countIn(connection, null, predicate, clock.instant()));
  }

  @Override
  public <T> T read(String projectId, Function<? super ProjectView, ? extends T> reads) {
    requireNonNull(reads, "reads");
    requireProject(projectId);
    refuseOtherProjectInsideRead(projectId);
    ReadContext outer = reading.get();
    if (outer != null) {
      // a read inside a read of the same project: the same transaction, the same state
      View view = new View(outer);
      try {
        return reads.apply(view);
      } finally {
        view.close();
      }
    }
    return withConnection("read project " + projectId, connection -> inSnapshot(connection, () -> {
      ReadContext context = new ReadContext(projectId, connection, clock.instant());
      View view = new View(context);
      reading.set(context);
      try {
        return reads.apply(view);
      } finally {
        reading.remove();
        view.close();
      }
    }));
  }

  /** The state of a {@link #read}: its project, its transaction and its instant. */
  private static final class ReadContext {
    final String projectId;
    final Connection connection;
    final Instant now;

    ReadContext(String projectId, Connection connection, Instant now) {
      this.projectId = projectId;
      this.connection = connection;
      this.now = now;
    }
  }

  /** A view of one {@link #read}; usable on its thread until the read returns. */
  private final class View implements ProjectView {
    private final ReadContext context;
    private final Thread owner = Thread.currentThread();
    private volatile boolean open = true;

    View(ReadContext context) {
      this.context = context;
    }

    void close() {
      open = false;
    }

    private <T> T inside(String what, SqlRead<T> read) {
      if (!open || Thread.currentThread() != owner) {
        throw new IllegalStateException("this view of project " + context.projectId
            + " works only inside read(...), on the thread that called it");
      }
      try {
        return read.run(context.connection, context.now);
      } catch (SQLException e) {
        throw CatalogDatabaseException.of(what + " of project " + context.projectId, e);
      }
    }

    @Override
    public String projectId() {
      return context.projectId;
    }

    @Override
    public Optional<Backup> find(String backupId) {
      requireNonNull(backupId, "backupId");
      return inside("find a backup", (c, now) -> Optional.ofNullable(findIn(c, context.projectId, backupId)));
    }

    @Override
    public Page query(Query query) {
      requireNonNull(query, "query");
      return inside("query", (c, now) -> queryIn(c, context.projectId, query, now));
    }

    @Override
    public long count(BackupPredicate predicate) {
      requireNonNull(predicate, "predicate");
      return inside("count", (c, now) -> countIn(c, context.projectId, predicate, now));
    }

    @Override
    public TagCatalogue tagCatalogue() {
      return inside("read the tags", (c, now) -> tagCatalogueIn(c, context.projectId));
    }

    @Override
    public UsageReport usage(UsageQuery query) {
      requireNonNull(query, "query");
      return inside("read the usage", (c, now) -> usageIn(c, context.projectId, query, now));
    }

    @Override
    public QuotaUsage quotaUsage() {
      return inside("read the quota", (c, now) -> quotaUsageIn(c, context.projectId));
    }

    /**
     * One statement in the read's transaction, in the default sort's order: the interface's pages by
     * marker each counted the whole project again (50,000 backups took seconds).
     */
    @Override
    public ProjectSnapshot snapshot() {
      return inside("read a snapshot", (c, now) -> snapshotIn(c, context.projectId, true));
    }

    @Override
    public long sequence() {
      return inside("read the sequence", (c, now) -> sequenceIn(c, context.projectId));
    }

    @Override
    public String toString() {
      return "ProjectView{" + context.projectId + " at " + context.now + (open ? "" : ", closed") + "}";
    }
  }

  private static Backup findIn(Connection connection, String projectId, String backupId) throws SQLException {
    return select(connection, projectId, backupId);
  }

  private Page queryIn(Connection connection, String projectId, Query query, Instant now) throws SQLException {
    if (!SqlSearch.decidedByTotal(query)) {
      SqlSupplier<Page> page = () -> pageIn(connection, projectId, query, SqlSearch.page(projectId, query, now, stallRule));
      // all projects on Citus: the statement's parts run on several workers, and outside a transaction
      // each part reads at its own moment (a total below the page's backups, beside writers); one
      // snapshot holds them together. One project is one worker, one statement: consistent as it is.
      return projectId == null ? inSnapshot(connection, page) : page.get();
    }
    // the total first, then the page with the plan that fits it, from one snapshot
    return inSnapshot(connection, () -> {
      long total = countIn(connection, projectId, query.predicate(), now);
      return pageIn(connection, projectId, query, SqlSearch.page(projectId, query, now, stallRule, total));
    });
  }

  /**
   * Runs {@code work} in one read-only {@code REPEATABLE READ} transaction on {@code connection},
   * or as it is when the connection is in a transaction already (inside {@link #read}).
   */
  private static <T> T inSnapshot(Connection connection, SqlSupplier<T> work) throws SQLException {
    if (!connection.getAutoCommit()) {
      return work.get();
    }
    int isolation = connection.getTransactionIsolation();
    connection.setAutoCommit(false);
    connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    connection.setReadOnly(true);
    try {
      T result = work.get();
      connection.commit();
      return result;
    } finally {
      // quietly: on a connection that died in the work, a failing rollback would hide the work's
      // own failure (a lost connection, retryable) behind the pool's "connection is closed"
      try {
        connection.rollback();
        connection.setReadOnly(false);
        connection.setTransactionIsolation(isolation);
        connection.setAutoCommit(true);
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.DEBUG, "resetting a read's connection failed; it is closed next", e);
      }
    }
  }

  private Page pageIn(Connection connection, String projectId, Query query, Sql sql) throws SQLException {
    try (PreparedStatement statement = sql.prepare(connection, true); ResultSet rows = statement.executeQuery()) {
      List<Backup> backups = new ArrayList<>();
      long total = 0;
      long markers = 1;
      while (rows.next()) {
        total = rows.getLong(1);
        markers = rows.getLong(2);
        if (rows.getString(4) != null) {
          backups.add(BackupRows.read(rows, 3));
        }
      }
      if (markers != 1) {
        String marker = query.marker().orElseThrow();
        throw markers == 0
            ? new InvalidValueException("marker", marker,
                "must be the id of " + (projectId == null ? "a backup" : "a backup of project " + projectId))
            : new InvalidValueException("marker", marker,
                "must be the id of exactly one backup; this id is ambiguous across projects");
      }
      boolean more = backups.size() > query.limit();
      return new Page(more ? backups.subList(0, query.limit()) : backups, total, more);
    }
  }

  private long countIn(Connection connection, String projectId, BackupPredicate predicate, Instant now)
      throws SQLException {
    Sql sql = new Sql().append("SELECT ").append(SqlSearch.total(projectId, predicate, now, stallRule));
    try (PreparedStatement statement = sql.prepare(connection, true); ResultSet rows = statement.executeQuery()) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static TagCatalogue tagCatalogueIn(Connection connection, String projectId) throws SQLException {
    Map<String, List<String>> values = new TreeMap<>();
    try (PreparedStatement statement = connection.prepareStatement(
        "SELECT tag_key, tag_value FROM csbs_tag WHERE project_id = ? AND backups > 0")) {
      statement.setString(1, BackupRows.lookupKey(projectId));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          values.computeIfAbsent(rows.getString(1), k -> new ArrayList<>()).add(rows.getString(2));
        }
      }
    }
    return values.isEmpty() ? TagCatalogue.empty() : TagCatalogue.of(values);
  }

  private UsageReport usageIn(Connection connection, String projectId, UsageQuery query, Instant now) throws SQLException {
    if (query.where().equals(Predicates.all())) {
      return usageOfAll(connection, projectId, query);
    }
    // a usage restricted by a predicate is summed from the matching rows, one group a server
    Sql sql = new Sql().append("SELECT b.server_id, count(*), sum(b.size_mb), "
        + "(array_agg(b.server_name ORDER BY b.created_at DESC, b.id DESC))[1] FROM csbs_backup b WHERE b.project_id = ")
        .param(BackupRows.lookupKey(projectId)).append(" AND ").append(SqlPredicate.compile(query.where(), now, stallRule))
        .append(" GROUP BY b.server_id");
    List<ServerUsage> servers = new ArrayList<>();
    long backups = 0;
    long sizeMb = 0;
    try (PreparedStatement statement = sql.prepare(connection, true); ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        ServerUsage server = new ServerUsage(rows.getString(1), rows.getString(4), rows.getLong(2), rows.getLong(3));
        servers.add(server);
        backups += server.backups();
        sizeMb += server.sizeMb();
      }
    }
    servers.sort(LARGEST_FIRST);
    int from = (int) Math.min(servers.size(), query.offset());
    List<ServerUsage> page = servers.subList(from, (int) Math.min(servers.size(), from + (long) query.limit()));
    return new UsageReport(backups, sizeMb, servers.size(), page);
  }

  /**
   * Largest capacity first, then more backups, then server id by code point: the order of the usage
   * table's {@code ORDER BY} ({@code COLLATE "C"}), so that a usage with and without a predicate agree.
   */
  private static final Comparator<ServerUsage> LARGEST_FIRST = Comparator.comparingLong((ServerUsage s) -> -s.sizeMb())
      .thenComparingLong(s -> -s.backups())
      .thenComparing(ServerUsage::serverId, PostgresCatalog::compareCodePoints);

  private static int compareCodePoints(String a, String b) {
    int i = 0;  // the texts agree up to i, so a code point starts at i in both
    while (i < a.length() && i < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(i);
      if (x != y) {
        return Integer.compare(x, y);
      }
      i += Character.charCount(x);
    }
    return Integer.compare(a.length(), b.length());
  }

  /** The usage of every backup: the project's counters and a page of the usage table, in one statement. */
  private static UsageReport usageOfAll(Connection connection, String projectId, UsageQuery query) throws SQLException {
    String sql = "SELECT t.backups, t.size_mb, t.servers, s.server_id, s.backups, s.size_mb, s.server_name FROM "
        + "(SELECT (SELECT coalesce(sum(backups), 0) FROM csbs_project WHERE project_id = ?) AS backups, "
        + "(SELECT coalesce(sum(size_mb), 0) FROM csbs_project WHERE project_id = ?) AS size_mb, "
        + "(SELECT count(*) FROM csbs_server_usage WHERE project_id = ?) AS servers) t "
        + "LEFT JOIN LATERAL (SELECT u.server_id, u.backups, u.size_mb, "
        + "(SELECT b.server_name FROM csbs_backup b WHERE b.project_id = ? AND b.server_id = u.server_id "
        + "ORDER BY b.created_at DESC, b.id DESC LIMIT 1) AS server_name "
        + "FROM csbs_server_usage u WHERE u.project_id = ? "
        + "ORDER BY u.size_mb DESC, u.backups DESC, u.server_id ASC LIMIT ? OFFSET ?) s ON TRUE "
        + "ORDER BY s.size_mb DESC, s.backups DESC, s.server_id ASC";
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 1; i <= 5; i++) {
        statement.setString(i, BackupRows.lookupKey(projectId));
      }
      statement.setInt(6, query.limit());
      statement.setLong(7, query.offset());
      List<ServerUsage> page = new ArrayList<>();
      long backups = 0;
      long sizeMb = 0;
      long servers = 0;
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          backups = rows.getLong(1);
          sizeMb = rows.getLong(2);
          servers = rows.getLong(3);
          if (rows.getString(4) != null) {
            page.add(new ServerUsage(rows.getString(4), rows.getString(7), rows.getLong(5), rows.getLong(6)));
          }
        }
      }
      return new UsageReport(backups, sizeMb, servers, page);
    }
  }

  private static QuotaUsage quotaUsageIn(Connection connection, String projectId) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(
        "SELECT max_backups, max_capacity_gb, backups, size_mb FROM csbs_project WHERE project_id = ?")) {
      statement.setString(1, BackupRows.lookupKey(projectId));
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          return new QuotaUsage(Quota.NONE, 0, 0);
        }
        return new QuotaUsage(Quota.of(row.getLong(1), row.getLong(2)), row.getLong(3), row.getLong(4));
      }
    }
  }

  private static long sequenceIn(Connection connection, String projectId) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(
        "SELECT last_sequence FROM csbs_project WHERE project_id = ?")) {
      statement.setString(1, BackupRows.lookupKey(projectId));
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? row.getLong(1) : 0;
      }
    }
  }

  // ================================================================ the change feed

  /**
   * Up to {@code limit} changes of the project after its change {@code afterSequence}, in order:
   * the feed itself, for a consumer that pulls. Changes before a project's loaded snapshot are not
   * in the feed. Inside {@link #read} of the project it answers from the read's state, as the read's
   * other calls do: the changes up to {@link ProjectView#sequence()}, none committed since.
   *
   * <pre>{@code
   * long handled = store.lastSequence("project-1");      // kept by the consumer with what it wrote
   * for (Change change : catalog.changes("project-1", handled, 500)) {
   *   store.apply(change);                               // then remembers change.sequence()
   * }
   * }</pre>
   *
   * @param projectId the project
   * @param afterSequence the last sequence the consumer has; 0 for the whole feed
   * @param limit the most changes returned, 1 to 10,000
   * @return the changes, in sequence order; empty when there are none after {@code afterSequence}
   * @throws InvalidValueException naming {@code limit} unless it is 1 to 10,000, or {@code after
   *     sequence} if it is negative
   * @throws IllegalStateException if a change in the range was written in a form this version
   *     cannot read (by a later version of the library: upgrade it); subscriptions and replicas then
   *     hold up that project only, and try it again
   * @throws IllegalStateException inside {@link #read} of another project, as every read of it
   * @throws CatalogDatabaseException if the database fails
   */
  public List<Change> changes(String projectId, long afterSequence, int limit) {
    requireProject(projectId);
    if (afterSequence < 0) {
      throw new InvalidValueException("after sequence", afterSequence, "must not be negative");
    }
    if (limit < 1 || limit > 10_000) {
      throw new InvalidValueException("limit", limit, "must be 1 to 10000");
    }
    // inside read(projectId, ...) from the read's own state, as its other calls: the changes up to
    // the read's sequence, none committed since; another project is refused there
    return readOne(projectId, "read the changes of project " + projectId,
        (connection, now) -> changesIn(connection, projectId, afterSequence, limit));
  }

  static List<Change> changesIn(Connection connection, String projectId, long afterSequence, int limit)
      throws SQLException {
    List<Change> changes = new ArrayList<>();
    try (PreparedStatement statement = connection.prepareStatement("SELECT sequence, backup_id, transition, "
        + "transition_arg, before, after FROM csbs_change WHERE project_id = ? AND sequence > ? ORDER BY sequence LIMIT ?")) {
      statement.setString(1, BackupRows.lookupKey(projectId));
      statement.setLong(2, afterSequence);
      statement.setInt(3, limit);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          changes.add(new Change(rows.getLong(1), projectId, rows.getString(2),
              Optional.ofNullable(BackupRows.decode(rows.getBytes(5))), Optional.ofNullable(BackupRows.decode(rows.getBytes(6))),
              Optional.ofNullable(Transitions.of(rows.getString(3), rows.getString(4)))));
        }
      }
    }
    return changes;
  }

  /**
   * Delivers every change committed from now on to {@code subscriber}: at least once, in order
   * within each project, one at a time on a thread of the subscription. "From now on": every change
   * committed after this call returns; one committed by another writer while the call runs (it reads
   * each project's last sequence first) may or may not be delivered, as with any concurrent commit.
   * See {@link #subscribe(Map, Consumer)} to resume after a crash.
   *
   * @throws IllegalStateException if the catalog is closed ({@link #close} stops the feed's threads;
   *     reads, writes and {@link #changes} still work on a closed catalog)
   */
  @Override
  public Subscription subscribe(Consumer<Change> subscriber) {
    requireNonNull(subscriber, "subscriber");
    if (closed) {   // before reading every project's head: a closed catalog is refused at once
      throw new IllegalStateException("the catalog is closed");
    }
    Map<String, Long> now = new HashMap<>();
    for (ProjectState project : projects()) {
      now.put(project.projectId(), project.lastSequence());
    }
    return startReader(now, subscriber);
  }

  /**
   * Delivers every change after the given sequences, then every change committed later: the way a
   * consumer resumes after a crash without losing a change. {@code after} maps a project to the
   * last sequence the consumer handled; a project it does not name is delivered from its first
   * change. Delivery is at least once (a change may come again after a failure; ignore a sequence
   * already handled), in order within each project, one change at a time. A subscriber that throws
   * is logged and gets the same change again after a pause that grows to 10 s; other projects go
   * on meanwhile. A position is taken as given, also beyond the project's current sequence: the
   * changes up to it are then skipped when they are committed, so pass the positions the consumer
   * recorded with what it wrote, never made-up ones.
   *
   * <pre>{@code
   * Map<String, Long> handled = store.lastSequences();   // persisted with what the consumer wrote
   * Subscription s = catalog.subscribe(handled, change -> store.apply(change));
   * }</pre>
   *
   * @param after each project with the last sequence the consumer handled
   * @param subscriber the receiver of the changes
   * @return the subscription, to cancel it
   * @throws InvalidValueException if a project id is blank, or a sequence is null or
   *     negative; the message names the entry ({@code after[p1]})
   * @throws IllegalStateException if the catalog is closed
   */
  public Subscription subscribe(Map<String, Long> after, Consumer<Change> subscriber) {
    requireNonNull(after, "after");
    requireNonNull(subscriber, "subscriber");
    Map<String, Long> positions = new HashMap<>();
    after.forEach((project, sequence) -> {
      requireProject(project);
      if (sequence == null || sequence < 0) {
        // names the one bad entry: the whole map could hold thousands of projects
        throw new InvalidValueException("after[" + project + "]", sequence, "must be a sequence of at least 0");
      }
      positions.put(project, sequence);
    });
    return startReader(positions, subscriber);
  }

  private Subscription startReader(Map<String, Long> positions, Consumer<Change> subscriber) {
    FeedReader reader = new FeedReader(this, positions, subscriber);
    // one instance, so that cancel removes what was added (a second reader::wake never equals the first)
    Runnable waker = reader::wake;
    synchronized (feedLock) {
      // checked and registered under the lock close takes: a subscribe racing close either fails or
      // is stopped by it, never left running after it
      if (closed) {
        throw new IllegalStateException("the catalog is closed");
      }
      readers.add(reader);
      addWaker(waker);
      reader.start();
    }
    return () -> {
      reader.cancel();
      readers.remove(reader);
      wakers.remove(waker);
    };
  }

  /** One project's head, as feed readers and replicas poll it. */
  record ProjectState(String projectId, long lastSequence, long backups, Quota quota, long quotaVersion) {}

  /** Every project's head: one statement over the (small) project table. */
  List<ProjectState> projects() {
    return withConnection("read the projects", connection -> {
      List<ProjectState> projects = new ArrayList<>();
      try (PreparedStatement statement = connection.prepareStatement("SELECT project_id, last_sequence, backups, "
          + "max_backups, max_capacity_gb, quota_version FROM csbs_project");
          ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          projects.add(new ProjectState(rows.getString(1), rows.getLong(2), rows.getLong(3),
              Quota.of(rows.getLong(4), rows.getLong(5)), rows.getLong(6)));
        }
      }
      return projects;
    });
  }

  /** One project's head, or null if the database has no such project. */
  ProjectState project(String projectId) {
    return withConnection("read project " + projectId, connection -> {
      try (PreparedStatement statement = connection.prepareStatement("SELECT project_id, last_sequence, backups, "
          + "max_backups, max_capacity_gb, quota_version FROM csbs_project WHERE project_id = ?")) {
        statement.setString(1, BackupRows.lookupKey(projectId));
        try (ResultSet rows = statement.executeQuery()) {
          return rows.next()
              ? new ProjectState(rows.getString(1), rows.getLong(2), rows.getLong(3),
                  Quota.of(rows.getLong(4), rows.getLong(5)), rows.getLong(6))
              : null;
        }
      }
    });
  }

  /**
   * The backups the project's feed adds, less those it removes, over its changes 1 to {@code
   * lastSequence}: the project's backups at that change exactly when every one came through the feed
   * (not when a snapshot was loaded before the feed's first change, at sequence 0).
   */
  long feedBalance(String projectId, long lastSequence) {
    return withConnection("read the feed of project " + projectId, connection -> {
      try (PreparedStatement statement = connection.prepareStatement("SELECT coalesce(sum(CASE "
          + "WHEN before IS NULL AND after IS NOT NULL THEN 1 WHEN before IS NOT NULL AND after IS NULL THEN -1 "
          + "ELSE 0 END), 0) FROM csbs_change WHERE project_id = ? AND sequence <= ?")) {
        statement.setString(1, BackupRows.lookupKey(projectId));
        statement.setLong(2, lastSequence);
        try (ResultSet rows = statement.executeQuery()) {
          rows.next();
          return rows.getLong(1);
        }
      }
    });
  }

  /**
   * The project's whole state in one snapshot: its backups, quota and sequence, read in one
   * {@code REPEATABLE READ} transaction that names only this project (on Citus, one worker).
   */
  ProjectSnapshot snapshot(String projectId) {
    return withConnection("read a snapshot of project " + projectId,
        connection -> inSnapshot(connection, () -> snapshotIn(connection, projectId, false)));
  }

  /**
   * The project's backups, quota and sequence, read in the connection's transaction; the backups in
   * table order (a sequential scan: the in-memory catalog sorts what it loads), or newest first as
   * the default sort's pages list them (the creation index read backwards, ids by code point).
   */
  private static ProjectSnapshot snapshotIn(Connection connection, String projectId, boolean newestFirst)
      throws SQLException {
    long sequence = 0;
    Quota quota = Quota.NONE;
    try (PreparedStatement statement = connection.prepareStatement(
        "SELECT last_sequence, max_backups, max_capacity_gb FROM csbs_project WHERE project_id = ?")) {
      statement.setString(1, BackupRows.lookupKey(projectId));
      try (ResultSet row = statement.executeQuery()) {
        if (row.next()) {
          sequence = row.getLong(1);
          quota = Quota.of(row.getLong(2), row.getLong(3));
        }
      }
    }
    List<Backup> backups = new ArrayList<>();
    try (PreparedStatement statement = connection.prepareStatement(
        "SELECT " + BackupRows.READ_COLUMNS + " FROM csbs_backup WHERE project_id = ?"
            + (newestFirst ? " ORDER BY created_at DESC, id DESC" : ""))) {
      statement.setFetchSize(SNAPSHOT_BATCH);  // streamed: a million rows need not fit in the driver at once
      if (statement.isWrapperFor(PGStatement.class)) {
        // server-prepared from the first execution, so that rows come in binary: times and arrays
        // decode without parsing text (a million rows load faster)
        statement.unwrap(PGStatement.class).setPrepareThreshold(-1);
      }
      statement.setString(1, BackupRows.lookupKey(projectId));
      try (ResultSet rows = statement.executeQuery()) {
        readInParallel(rows, backups);
      }
    }
    return new ProjectSnapshot(projectId, sequence, quota, backups);
  }

  private static final int SNAPSHOT_BATCH = 10_000;

  /**
   * Reads every row into {@code backups}: this thread takes the values off the wire while another
   * makes and checks the backups, a batch at a time, so that a large snapshot loads on two cores.
   */
  private static void readInParallel(ResultSet rows, List<Backup> backups) throws SQLException {
    ExecutorService builder = Executors.newSingleThreadExecutor(task -> {
      Thread thread = new Thread(task, "csbs-snapshot-decoder");
      thread.setDaemon(true);
      return thread;
    });
    try {
      List<Future<List<Backup>>> batches = new ArrayList<>();
      List<Object[]> batch = new ArrayList<>(SNAPSHOT_BATCH);
      while (rows.next()) {
        batch.add(BackupRows.raw(rows, 1));
        if (batch.size() == SNAPSHOT_BATCH) {
          batches.add(builder.submit(build(batch)));
          batch = new ArrayList<>(SNAPSHOT_BATCH);
        }
      }
      batches.add(builder.submit(build(batch)));
      for (Future<List<Backup>> built : batches) {
        backups.addAll(built.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading a snapshot", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
          : new IllegalStateException("a snapshot row could not be read", e.getCause());
    } finally {
      builder.shutdownNow();
    }
  }

  private static Callable<List<Backup>> build(List<Object[]> batch) {
    return () -> {
      List<Backup> built = new ArrayList<>(batch.size());
      for (Object[] values : batch) {
        built.add(BackupRows.build(values));
      }
      return built;
    };
  }

  /** Calls {@code waker} after every change this catalog commits, and on every notification of another's. */
  void addWaker(Runnable waker) {
    wakers.add(waker);
    synchronized (listenerLock) {
      if (listener == null && !closed) {
        listener = new ChangeListener(dataSource, this::wakeAll);
        listener.start();
      }
    }
  }

  void removeWaker(Runnable waker) {
    wakers.remove(waker);
  }

  private void wakeAll() {
    for (Runnable waker : wakers) {
      waker.run();
    }
  }

  /**
   * Stops the feed readers of {@link #subscribe} (a subscribe racing it fails or is stopped too) and
   * the notification listener; a later subscribe is refused. Reads and writes still work: the data
   * source is the caller's to close. Calling it again does nothing. A {@link PostgresReplica} of a
   * closed catalog goes on following the database, by polling only (the notifications that woke it
   * at once stop with the listener): close the replica first.
   */
  @Override
  public void close() {
    synchronized (feedLock) {
      closed = true;
      for (FeedReader reader : readers) {
        reader.cancel();
      }
      readers.clear();
      wakers.clear();
    }
    synchronized (listenerLock) {
      if (listener != null) {
        listener.stop();
        listener = null;
      }
    }
  }

  // ================================================================ plumbing

  @FunctionalInterface
  interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  @FunctionalInterface
  private interface SqlSupplier<T> {
    T get() throws SQLException;
  }

  @FunctionalInterface
  private interface SqlRead<T> {
    T run(Connection connection, Instant now) throws SQLException;
  }

  /** One change in one transaction; serialization failures and deadlocks are retried twice. */
  private <T> T write(String what, SqlWork<T> work) {
    refuseChangesInsideRead();
    for (int attempt = 1; ; attempt++) {
      Connection connection = connect(what);
      try {
        connection.setAutoCommit(false);
        T result;
        try {
          result = work.run(connection);
          connection.commit();
        } catch (SQLException | RuntimeException | Error e) {
          rollbackQuietly(connection);
          throw e;
        }
        connection.setAutoCommit(true);
        wakeAll();
        return result;
      } catch (SQLException e) {
        String state = e.getSQLState();
        if (attempt < 3 && ("40001".equals(state) || "40P01".equals(state))) {
          continue;
        }
        throw CatalogDatabaseException.of(what, e);
      } finally {
        // a connection left in a transaction is rolled back and reset by the pool, or closed
        closeQuietly(connection);
      }
    }
  }

  private <T> T readOne(String projectId, String what, SqlRead<T> read) {
    requireProject(projectId);
    refuseOtherProjectInsideRead(projectId);
    ReadContext inside = reading.get();
    if (inside != null) {
      try {
        return read.run(inside.connection, inside.now);
      } catch (SQLException e) {
        throw CatalogDatabaseException.of(what, e);
      }
    }
    Instant now = clock.instant();
    return withConnection(what, connection -> read.run(connection, now));
  }

  <T> T withConnection(String what, SqlWork<T> work) {
    Connection connection = connect(what);
    try {
      return work.run(connection);
    } catch (SQLException e) {
      throw CatalogDatabaseException.of(what, e);
    } finally {
      closeQuietly(connection);
    }
  }

  private Connection connect(String what) {
    Connection connection;
    try {
      connection = dataSource.getConnection();
    } catch (SQLException e) {
      throw CatalogDatabaseException.of(what, e);
    }
    if (!schemaChecked) {
      try {
        Schema.check(connection);
        schemaChecked = true;
      } catch (SQLException e) {
        closeQuietly(connection);
        throw CatalogDatabaseException.of(what, e);
      } catch (RuntimeException e) {
        closeQuietly(connection);
        throw e;
      }
    }
    return connection;
  }

  private void refuseChangesInsideRead() {
    ReadContext inside = reading.get();
    if (inside != null) {
      throw new IllegalStateException(
          "changes are refused inside read(" + inside.projectId + ", ...): make them after it returns");
    }
  }

  private void refuseOtherProjectInsideRead(String projectId) {
    ReadContext inside = reading.get();
    if (inside != null && !inside.projectId.equals(projectId)) {
      throw new IllegalStateException("inside read(" + inside.projectId + ", ...) only project " + inside.projectId
          + " can be read, not " + (projectId == null ? "all projects" : projectId));
    }
  }

  static String requireProject(String projectId) {
    requireNonNull(projectId, "projectId");
    if (projectId.isBlank()) {
      throw new InvalidValueException("project id", projectId, "must be non-blank");
    }
    return projectId;
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.DEBUG, "rollback failed; the connection is closed next", e);
    }
  }

  static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.DEBUG, "closing a connection failed", e);
    }
  }

  @Override
  public String toString() {
    return "PostgresCatalog{" + dataSource + "}";
  }
}
