package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
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
}
