package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.TagUpdate;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.util.Collection;
import java.util.Optional;

/**
 * A store of backups, scoped by project, that answers the backup list's searches.
 *
 * <p>Every read and write names a project; nothing of another project is ever returned, counted or
 * hinted at (a backup of another project is "not found"). The all-projects view exists only as the
 * separate {@link #queryAllProjects} and {@link #countAllProjects}. Every method that names a project
 * refuses a blank project id with an {@link InvalidValueException} naming {@code project id}, before
 * any other check of its arguments' values (a null argument is a {@link NullPointerException}, which
 * may come first).
 *
 * <p>Implementations are safe for concurrent readers and writers: a query sees one consistent state,
 * never half of a change; each change is atomic and names the version it is based on, so that no
 * update is lost; a refused change (any exception) leaves the catalog exactly as it was.
 *
 * <pre>{@code
 * BackupCatalog catalog = Catalogs.indexed(clock);
 * catalog.add(backup);
 * Backup restoring = catalog.apply("project-1", backup.id(), backup.version(), Transition.restore()).orElseThrow();
 * Page page = catalog.query("project-1", Query.builder().where(Predicates.status(RESTORING)).limit(20).build());
 * }</pre>
 *
 * <p>Paging: a marker continues strictly after the marker backup's current place in the order (if
 * its sorted value changed since the previous page, the page follows its new place). A change is
 * checked in this order: the backup exists in the project, its version is the expected one (a
 * {@link VersionConflictException} comes before any lifecycle refusal), then the transition.
 * Names match ignoring case as {@code toLowerCase(Locale.ROOT)} compares them.
 *
 * <p>The testkit's {@code ReferenceCatalog} is a plain scan implementation, and its contract tests
 * check any implementation against this documentation.
 */
public interface BackupCatalog {
  /**
   * Adds a backup to its project: a new backup job (Creating), or an existing backup being loaded.
   *
   * @param backup the backup, of the project it names
   * @throws DuplicateBackupException if the project already has a backup with that id (checked
   *     first)
   * @throws QuotaExceededException if with the backup the project would be beyond one of its
   *     quotas (even a backup of 0 MB, when a lowered quota left the project beyond it)
   */
  void add(Backup backup);

  /**
   * Adds backups, all or none: if one is refused, none is added.
   *
   * <p>Checked project by project in project id order, each project's backups in the order given:
   * first that no id exists in its project or repeats in {@code backups} (the first such backup is
   * refused), then the quotas of every project.
   *
   * @param backups the backups, of one or more projects
   * @throws DuplicateBackupException naming the project and the id, if the id exists already in its
   *     project, or repeats in {@code backups} ({@link DuplicateBackupException#inBatch()})
   * @throws QuotaExceededException naming the project and the quota, if with the backups a project
   *     would be beyond one of its quotas
   */
  void addAll(Collection<Backup> backups);

  /**
   * Applies a lifecycle transition to a stored backup, at the catalog's clock's instant.
   *
   * @param projectId the project of the backup
   * @param backupId the backup to change
   * @param expectedVersion the version the change is based on: the backup's current version
   * @param transition the lifecycle step to take
   * @return the backup after the change; empty when the change removed it (a completed deletion)
   * @throws BackupNotFoundException if the project has no backup {@code backupId}
   * @throws VersionConflictException if the backup's version is not {@code expectedVersion}
   * @throws IllegalTransitionException if the backup's state does not allow the transition
   * @throws InvalidValueException if a value of the transition is invalid, or naming {@code now} if
   *     the catalog's clock is before the backup's last change ({@code updatedAt}; a clock set back)
   */
  Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition);

  /**
   * Changes a stored backup's tags in place, in any state, as one versioned change: the next
   * version has the new tags and is updated at the catalog's clock's instant; the tag catalogue and
   * the tag searches follow at once. An update that leaves the tags as they are changes nothing and
   * returns the backup as it is (no new version, no change for subscribers).
   *
   * <pre>{@code
   * Backup tagged = catalog.updateTags("project-1", "b-1", 3, TagUpdate.create(Tag.of("env", "prod")));
   * tagged.version();  // 4
   * }</pre>
   *
   * @param projectId the project of the backup
   * @param backupId the backup to change
   * @param expectedVersion the version the change is based on: the backup's current version
   * @param update the tags to create or delete
   * @return the backup after the change
   * @throws BackupNotFoundException if the project has no backup {@code backupId}
   * @throws VersionConflictException if the backup's version is not {@code expectedVersion}
   * @throws InvalidValueException naming {@code tags} if the backup would have more than {@value
   *     Backup#MAX_TAGS} tags; naming {@code updated at} if the catalog's clock is before the backup's
   *     creation, or {@code now} if it is before the backup's last change (see {@link
   *     TagUpdate#applyTo(Backup, java.time.Instant)}: an update that changes no tag is not checked);
   *     the backup stays as it was
   */
  Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update);

  /**
   * Removes a backup from the catalog outright, whatever its state (an administrative removal; a
   * normal deletion goes through {@link Transition#delete()} and completes).
   *
   * @param projectId the project of the backup
   * @param backupId the backup to remove
   * @param expectedVersion the version the removal is based on: the backup's current version
   * @throws BackupNotFoundException if the project has no backup {@code backupId}
   * @throws VersionConflictException if the backup's version is not {@code expectedVersion}
   */
  void remove(String projectId, String backupId, long expectedVersion);

  /**
   * {@return the backup {@code backupId} of the project, if it has one}
   *
   * @param projectId the project searched
   * @param backupId the id of the backup
   */
  Optional<Backup> find(String projectId, String backupId);

  /**
   * The backup {@code backupId} of the project: the details view.
   *
   * @param projectId the project searched
   * @param backupId the id of the backup
   * @return the backup
   * @throws BackupNotFoundException if the project has no such backup
   */
  default Backup get(String projectId, String backupId) {
    return find(projectId, backupId).orElseThrow(() -> new BackupNotFoundException(projectId, backupId));
  }

  /**
   * One page of the project's backups matching the query, with the total number of matches.
   *
   * @param projectId the project whose backups are searched
   * @param query the criteria, order and page
   * @return the page and the total number of matches
   * @throws InvalidValueException naming {@code marker} if the marker is not the id of a backup of
   *     the project
   */
  Page query(String projectId, Query query);

  /**
   * {@return how many of the project's backups match {@code predicate}; materializes no backup}
   *
   * @param projectId the project whose backups are counted
   * @param predicate the criteria
   */
  long count(String projectId, BackupPredicate predicate);

  /**
   * {@return the existing tag keys of the project's backups, with their values}
   *
   * @param projectId the project
   */
  TagCatalogue tagCatalogue(String projectId);

  /**
   * Runs {@code reads} on one state of the project and returns what it returns: every call on the
   * {@link ProjectView} it is given answers from the same backups at the same instant (the "now" of
   * relative time windows and stalled jobs), with no change committed in between. Use it when several
   * answers must agree, such as a page with the usage and tag catalogue beside it; each single call on
   * the catalog is consistent on its own already.
   *
   * <p>The view does not see changes committed while {@code reads} runs. In the in-memory catalog
   * ({@link Catalogs#indexed}) changes to the project wait until {@code reads} returns; a read of
   * the project that another thread begins while a change waits lets the change go first for up
   * to 20 µs, and without limit once the change has waited 10 ms, but for the pages in creation
   * order and the counts of searches by state and creation time alone (every backup, states, time
   * windows, and the and, or and not of those), which read without the lock and see the state
   * before the change. So keep {@code reads} short. A project the in-memory catalog has held no
   * backup, change or quota of is read as an empty project without holding back writers (the catalog
   * keeps nothing for a project id that is only read): a change of it committed while {@code reads}
   * runs is not in the view, though the catalog's own calls inside {@code reads} may show it.
   * Inside {@code reads} the calling thread may read the same project (through the view or the
   * catalog) but not change any project, nor read another project: either could deadlock against
   * other threads, so the catalog refuses both with an {@link IllegalStateException}.
   *
   * <pre>{@code
   * ConsolePage page = catalog.read("project-1", view -> new ConsolePage(
   *     view.query(query), view.tagCatalogue(), view.usage(UsageQuery.firstServers(20))));
   * }</pre>
   *
   * @param <T> the type of the answer
   * @param projectId the project read
   * @param reads the reads, given a view of one state of the project
   * @return what {@code reads} returns
   * @throws InvalidValueException naming {@code project id} if it is blank
   */
  <T> T read(String projectId, java.util.function.Function<? super ProjectView, ? extends T> reads);

  /**
   * A page over every project's backups: the explicit all-projects view, for operators only. Backups
   * that are equal in the sort order (the same id in two projects) are ordered by project id,
   * ascending whatever the sort's direction (compared as the sort compares ids, {@link
   * io.csbs.query.SortField#ID}: {@code String.compareTo} in memory). Ids are
   * unique only within a project, so a marker whose id exists in several projects is refused: page by
   * offset then.
   *
   * @param query the criteria, order and page
   * @return the page and the total number of matches in all projects
   * @throws InvalidValueException naming {@code marker} if the marker is not the id of exactly one
   *     backup
   */
  Page queryAllProjects(Query query);

  /**
   * {@return how many backups of all projects match {@code predicate}}
   *
   * @param predicate the criteria
   */
  long countAllProjects(BackupPredicate predicate);

  /**
   * The project's space usage: its total and a page of its servers, largest first, counting the
   * backups that match the query's predicate (every backup in every state by default; see {@link
   * io.csbs.usage}).
   *
   * @param projectId the project
   * @param query which backups count, and the page of servers
   * @return the usage report
   */
  UsageReport usage(String projectId, UsageQuery query);

  /**
   * Sets the project's quotas; {@link Quota#NONE} removes them. Backups already there stay.
   *
   * <p>A quota is no {@link Change}: setting it raises no {@linkplain #sequence sequence} and tells
   * no subscriber. A replica that follows this catalog with {@link #replay} gets the quota of the
   * {@link ProjectSnapshot} it loaded; set each later quota on the replica too. Any non-blank project
   * id is taken (one no backup can have, longer than 64 chars, keeps a quota that nothing uses); the
   * PostgreSQL catalog refuses one of more than 2,000 bytes of UTF-8, which its index cannot key, with
   * an {@link io.csbs.backup.InvalidValueException} naming {@code project id}.
   *
   * @param projectId the project
   * @param quota the new quotas
   */
  void setQuota(String projectId, Quota quota);

  /**
   * {@return the project's quotas with their use}
   *
   * @param projectId the project
   */
  QuotaUsage quotaUsage(String projectId);

  /**
   * Delivers every change committed from now on to {@code subscriber}, in commit order, never from
   * two threads at once: to persist the catalog or publish events. Each {@link Change} carries its
   * project's {@linkplain Change#sequence() sequence}, so the changes of one project arrive numbered
   * 1, 2, 3, ... (from where the subscription starts) without gaps; changes of different projects
   * may interleave in any way. A subscription gets the changes committed after {@code subscribe}
   * returned (one made inside a delivery too: not the changes committed before it, even those not yet
   * delivered), until it is {@linkplain Subscription#cancel() cancelled}; the same subscriber
   * subscribed twice is two subscriptions, each cancelled on its own.
   *
   * <p>The in-memory catalog ({@link Catalogs#indexed}) delivers each change once, after it is
   * committed (and visible to queries), on the thread of a writer: the writer's own, whose call
   * returns after the delivery, unless another writer's thread is delivering at that moment, which then
   * delivers this change too, in order, and the writer's call returns before it is delivered. A slow
   * subscriber slows the writers, so hand long work to a queue. Implementations backed by a durable feed (a change
   * table a poller reads) deliver asynchronously, in order per project, and <em>at least once</em>:
   * after a failure a change may come again. Make subscribers idempotent, for example by ignoring a
   * sequence of a project they already handled:
   *
   * <pre>{@code
   * Map<String, Long> handled = new HashMap<>();   // project id to the last sequence handled
   * catalog.subscribe(change -> {
   *   if (change.sequence() <= handled.getOrDefault(change.projectId(), 0L)) {
   *     return;   // delivered again
   *   }
   *   replica.replay(change);
   *   handled.put(change.projectId(), change.sequence());
   * });
   * }</pre>
   *
   * <p>A subscriber may change the catalog; each subscriber still sees each project's changes in
   * sequence order. The in-memory catalog delivers a change made from inside a delivery after the
   * change being delivered has reached every subscriber, on the same thread (the subscriber's call
   * returns before its own change is delivered); a catalog with its own delivery threads takes it as
   * it takes any writer's.
   *
   * <p>A subscriber that throws (an exception, or an error such as a failed assertion) is logged and
   * keeps its subscription; the catalog and the other subscribers are unaffected.
   *
   * @param subscriber the receiver of the changes
   * @return the subscription, to cancel it
   */
  Subscription subscribe(java.util.function.Consumer<Change> subscriber);

  /**
   * The sequence of the project's last committed change: 0 before its first. Every committed change
   * of the project (an {@link #add}, each backup of an {@link #addAll}, an {@link #apply} or an
   * {@link #updateTags} that changed something, a {@link #remove}, a {@link #replay}) raises it by
   * exactly one; refusals, {@link #setQuota}, reads and an {@code apply} or {@code updateTags} that
   * changes nothing (the same progress again, tags as they are) do not.
   * Each project counts its own changes.
   *
   * <pre>{@code
   * catalog.sequence("project-1");                     // 0
   * catalog.add(backup);                               // project-1's change 1
   * catalog.addAll(List.of(second, third));            // changes 2 and 3
   * catalog.apply("project-1", backup.id(), 1, Transition.restore());   // change 4
   * catalog.sequence("project-1");                     // 4
   * catalog.sequence("project-2");                     // 0
   * }</pre>
   *
   * @param projectId the project
   * @return the sequence of its last committed change; 0 before its first
   * @throws InvalidValueException naming {@code project id} if it is blank
   */
  long sequence(String projectId);

  /**
   * Installs a change that was decided and committed elsewhere (by the database a replica follows,
   * or another catalog whose subscriber forwards its changes), exactly as committed: {@code
   * change.after()} becomes the stored backup (or the backup is removed when {@code after} is empty),
   * with its version, times and everything; no transition is re-derived and no clock is read; quotas
   * are not checked (the source already decided). Atomic: a refused change leaves the catalog exactly
   * as it was. The change is delivered to this catalog's subscribers with its own sequence, and with
   * the backup this catalog held as its before (a change whose before has the stored version but
   * other contents is delivered with the stored one).
   *
   * <p>Checked in this order: the sequence (already installed, or one missing), then whether the
   * backup exists (or is new), then its version.
   *
   * <pre>{@code
   * BackupCatalog replica = Catalogs.indexed(clock);
   * primary.subscribe(replica::replay);     // the replica follows the primary's changes, project by
                                            // project (quotas are no changes: set them on both)
   * primary.add(backup);                    // replica.find("project-1", backup.id()) is equal
   * replica.replay(sameChangeAgain);        // false: already installed, nothing happens
   * }</pre>
   *
   * @param change the change as committed elsewhere
   * @return true if installed; false if {@code change.sequence() <= sequence(change.projectId())}:
   *     the change is already installed and nothing happens (so an at-least-once feed can be
   *     replayed safely)
   * @throws IllegalStateException if {@code change.sequence() > sequence(change.projectId()) + 1}:
   *     a change is missing; the message names the project, its sequence and the change's sequence
   * @throws DuplicateBackupException if the change adds (before is empty) a backup whose id the
   *     project already has
   * @throws BackupNotFoundException if the change has a before but the project has no such backup
   * @throws VersionConflictException if the stored backup's version is not {@code
   *     change.before().get().version()} (expected: the before's version; current: the stored one)
   */
  boolean replay(Change change);

  /**
   * Loads a project held elsewhere into this catalog, where the project has no backups and sequence
   * 0: its backups as they are (versions kept), its quota, and its change sequence, so that {@link
   * #replay} continues with change {@code snapshot.sequence() + 1}. Subscribers are not told (a
   * snapshot is where a feed starts). The quota is not checked: a snapshot beyond its own quota
   * loads, as a project beyond a lowered quota keeps its backups. All or nothing. A consistent
   * snapshot of a project of another catalog is {@code source.read(projectId, ProjectView::snapshot)}.
   *
   * <pre>{@code
   * replica.load(new ProjectSnapshot("project-1", 1042, quota, backups));
   * replica.sequence("project-1");   // 1042
   * replica.replay(change1042);      // false: the snapshot has it
   * replica.replay(change1043);      // true
   * }</pre>
   *
   * @param snapshot the project: backups, quota and sequence
   * @throws IllegalStateException if the project already has backups or a sequence above 0 here
   * @throws InvalidValueException naming {@code sequence} if the snapshot's is above {@link
   *     ProjectSnapshot#MAX_SEQUENCE}; naming {@code project id} if the PostgreSQL catalog cannot key
   *     it (an empty snapshot's id of more than 2,000 bytes of UTF-8, as {@link #setQuota} says)
   */
  void load(ProjectSnapshot snapshot);

  /**
   * A snapshot of what the catalog counts about a project: its backups, the estimated heap of its
   * indexes, its reorganisations and the holds of and waits for its lock. The in-memory catalog
   * ({@link Catalogs#indexed}) keeps these counts; a project it does not know reads as empty (no
   * backups, no index bytes, nothing counted); one that only refused changes or had its quotas
   * removed ({@link Quota#NONE}), without ever holding a backup, holds no index bytes either.
   *
   * <p>What it costs: the counts are kept as changes happen, a few nanoseconds each, but the index
   * bytes are estimated when asked, by a walk of the project's indexes under its read lock (changes
   * wait for it): about 5 ms at 10,000 backups and 40 to 70 ms at 100,000 to 200,000 with many
   * distinct servers and tag values. Read it for a gauge every few seconds, not on every request.
   *
   * <p>The index bytes depend on the data: about 60 a backup on generated data at a million backups
   * (61 with mostly distinct short names), more with long or non-ASCII distinct names (a name is
   * indexed by its letters: about 400 B a backup with distinct 250-char names, 1,700 B with distinct
   * 23-char CJK names), and each project the catalog has met costs about 8 KB of fixed structures,
   * kept once it is emptied (a project of 20 backups reads about 1,400 B a backup).
   *
   * <pre>{@code
   * ProjectStats stats = catalog.stats("project-1");
   * stats.backups();               // 1_000_000
   * stats.indexBytesPerBackup();   // about 60
   * stats.longestSwap();           // the longest pause a reorganisation caused
   * }</pre>
   *
   * @param projectId the project
   * @return the project's statistics now
   * @throws InvalidValueException naming {@code project id} if it is blank (the default too, first)
   * @throws UnsupportedOperationException if the implementation keeps no statistics (the default)
   */
  default ProjectStats stats(String projectId) {
    IndexedCatalog.requireProject(projectId);  // the class's rule holds for this default too
    throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no statistics");
  }
}
