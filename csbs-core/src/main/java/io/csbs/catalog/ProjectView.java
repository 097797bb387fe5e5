package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One state of one project, for the duration of {@link BackupCatalog#read}: every call answers from
 * the same backups at the same instant, so that what the calls return agrees (a usage report equals
 * the sum of the sizes a query returns, the counts of the states add up to the count of all).
 *
 * <p>The methods answer like the catalog's methods of the same names for the view's project. A view
 * works only on the thread that called {@code read}, and only until {@code read} returns; otherwise
 * its methods throw {@link IllegalStateException}.
 *
 * <pre>{@code
 * long[] check = catalog.read("project-1", view -> new long[] {
 *     view.usage(UsageQuery.firstServers(20)).sizeMb(),
 *     view.query(Query.builder().limit(1000).build()).backups().stream().mapToLong(Backup::sizeMb).sum()});
 * // check[0] == check[1] on a project of at most 1000 backups, whatever writers do meanwhile
 * }</pre>
 */
public interface ProjectView {
  /** {@return the project this view reads} */
  String projectId();

  /**
   * {@return the backup with {@code backupId}, if the project has it}
   *
   * @param backupId the id of the backup
   */
  Optional<Backup> find(String backupId);

  /**
   * {@return a page of the project's backups; see {@link BackupCatalog#query}}
   *
   * @param query the criteria, order and page
   */
  Page query(Query query);

  /**
   * {@return how many of the project's backups match {@code predicate}}
   *
   * @param predicate the criteria
   */
  long count(BackupPredicate predicate);

  /** {@return the existing tag keys of the project's backups, with their values} */
  TagCatalogue tagCatalogue();

  /**
   * {@return the project's space usage; see {@link BackupCatalog#usage}}
   *
   * @param query which backups count, and the page of servers
   */
  UsageReport usage(UsageQuery query);

  /** {@return the project's quotas with their use} */
  QuotaUsage quotaUsage();

  /**
   * The sequence of the project's last change committed in the state the view reads: what {@link
   * BackupCatalog#sequence} returns for the project at that state, 0 before its first change.
   *
   * <pre>{@code
   * Page page = catalog.read("project-1", view -> {
   *   cache.put(view.sequence(), view.query(query));   // the page is the state after that change
   *   ...
   * });
   * }</pre>
   *
   * @return the sequence of the state the view reads
   */
  long sequence();

  /**
   * The project as the view reads it, to {@linkplain BackupCatalog#load load} into a replica that
   * then {@linkplain BackupCatalog#replay replays} the changes after {@link #sequence()}: every
   * backup (in the default order, newest created first), the quota and the sequence, from the one
   * state of the view.
   *
   * <pre>{@code
   * ProjectSnapshot snapshot = primary.read("project-1", ProjectView::snapshot);
   * replica.load(snapshot);
   * // then replay primary's changes of project-1 numbered above snapshot.sequence()
   * }</pre>
   *
   * @return the snapshot of the project at the view's state
   */
  default ProjectSnapshot snapshot() {
    List<Backup> backups = new ArrayList<>();
    Query page = Query.builder().limit(Query.MAX_LIMIT).build();
    while (true) {
      Page answer = query(page);
      backups.addAll(answer.backups());
      if (answer.nextMarker().isEmpty()) {
        return new ProjectSnapshot(projectId(), sequence(), quotaUsage().quota(), backups);
      }
      page = page.after(answer.nextMarker().get());
    }
  }
}
