package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import java.util.List;
import java.util.Optional;

/**
 * One page of a backup list: the backups, in the query's order, and the total number of matches.
 *
 * <pre>{@code
 * Page page = catalog.query("project-1", query);
 * page.backups();     // at most query.limit() backups
 * page.total();       // all matches, not just this page
 * page.nextMarker();  // the id to continue after, while more remain
 * }</pre>
 *
 * @param backups the backups of the page, in order
 * @param total how many backups match the query's predicate in all
 * @param hasMore whether more matches follow this page
 */
public record Page(List<Backup> backups, long total, boolean hasMore) {
  /**
   * Checks the page and copies its backups.
   *
   * @param backups the backups of the page, in order
   * @param total how many backups match the query's predicate in all
   * @param hasMore whether more matches follow this page
   * @throws IllegalArgumentException if {@code total} is below the number of backups of the page
   */
  public Page {
    backups = List.copyOf(requireNonNull(backups, "backups"));
    if (total < backups.size()) {
      throw new IllegalArgumentException("total " + total + " is invalid: must be at least the page size " + backups.size());
    }
  }

  /**
   * {@return the marker for the next page: the id of this page's last backup, while more matches
   * follow} In the all-projects view an id that several projects hold is refused as a marker
   * ({@link io.csbs.catalog.BackupCatalog#queryAllProjects}): page by offset there.
   */
  public Optional<String> nextMarker() {
    return hasMore && !backups.isEmpty() ? Optional.of(backups.get(backups.size() - 1).id()) : Optional.empty();
  }

  /** {@return the ids of the page's backups, in order; handy in tests and logs} */
  public List<String> ids() {
    return backups.stream().map(Backup::id).collect(java.util.stream.Collectors.toUnmodifiableList());
  }

  @Override
  public String toString() {
    return "Page{" + backups.size() + " of " + total + (hasMore ? ", more" : "") + ": " + ids() + "}";
  }
}
