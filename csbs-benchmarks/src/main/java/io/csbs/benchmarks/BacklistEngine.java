package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Query;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The small facade the benchmarks drive, so that csbs, a plain scan and CQEngine answer the same
 * backup-list searches in one run (see {@link Engine} for the implementations).
 *
 * <pre>{@code
 * BacklistEngine engine = Engine.CQENGINE_INDEX_ORDERING.create(now);
 * engine.load(backups);
 * BacklistEngine.Hits hits = engine.page("project-0", Query.builder().where(p).limit(20).build());
 * long n = engine.count("project-0", p);
 * }</pre>
 *
 * <p>Every implementation evaluates relative time windows and stalled jobs at the fixed {@code now}
 * it was created with, with the default stall rule, and orders pages like {@link
 * io.csbs.query.Sort#comparator()} (ties broken by id).
 *
 * <p>{@link #apply}, {@link #find}, {@link #add} and {@link #remove} exist for {@link
 * ReadsDuringWritesBenchmark}, where one thread changes backups while another queries; only the
 * engines that can be changed beside concurrent readers implement them (the plain scan does not).
 */
public interface BacklistEngine extends AutoCloseable {
  /** Adds {@code backups} (of any projects) to the empty engine. */
  void load(List<Backup> backups);

  /**
   * One page of the project's backups matching {@code query}: its predicate, sort, limit and marker
   * or offset, with the total number of matches.
   *
   * @throws IllegalArgumentException if the query's marker is not the id of a backup of the project
   */
  Hits page(String projectId, Query query);

  /** How many of the project's backups match {@code predicate}. */
  long count(String projectId, BackupPredicate predicate);

  /**
   * Applies a lifecycle transition to a stored backup at the engine's {@code now}, as {@link
   * io.csbs.catalog.BackupCatalog#apply} does, while other threads may query.
   *
   * @param expectedVersion the version the change is based on: the backup's current version
   * @return the backup after the change; empty when the change removed it (a completed deletion)
   * @throws BackupNotFoundException if the project has no backup {@code backupId}
   * @throws VersionConflictException if the backup's version is not {@code expectedVersion}
   * @throws UnsupportedOperationException if the engine cannot change beside concurrent readers
   */
  Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition);

  /** The stored backup {@code backupId} of the project, if it has one: the version to retry a change on. */
  Optional<Backup> find(String projectId, String backupId);

  /**
   * Adds one backup, whose id the project does not have, while other threads may query.
   *
   * @throws UnsupportedOperationException if the engine cannot change beside concurrent readers
   */
  default void add(Backup backup) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot change beside concurrent readers");
  }

  /**
   * Removes a stored backup at its current version, while other threads may query.
   *
   * @throws UnsupportedOperationException if the engine cannot change beside concurrent readers
   */
  default void remove(String projectId, String backupId, long expectedVersion) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot change beside concurrent readers");
  }

  /** Releases what the engine holds outside the heap (connections, threads); a no-op for most. */
  @Override
  default void close() {}

  /**
   * A page of matches in order, and how many match in all.
   *
   * @param backups the page, in the query's order
   * @param total all matches of the query's predicate, not only the page's
   */
  record Hits(List<Backup> backups, long total) {
    /** The ids of the page, in order. */
    public List<String> ids() {
      return backups.stream().map(Backup::id).collect(Collectors.toList());
    }

    @Override
    public String toString() {
      return "Hits{" + backups.size() + " of " + total + ": " + ids() + "}";
    }
  }
}
