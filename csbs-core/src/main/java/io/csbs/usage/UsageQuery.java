package io.csbs.usage;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.InvalidValueException;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Predicates;

/**
 * Which usage to report: the backups that count (every backup by default, or those matching a
 * predicate, for example one availability zone or automatic backups only) and a page of servers.
 *
 * <pre>{@code
 * UsageQuery.firstServers(20);                                    // the dialog: top 20 servers
 * UsageQuery.of(Predicates.availabilityZone("eu-de-02"), 0, 50); // one zone's usage
 * }</pre>
 *
 * <p>The unrestricted report is kept current as the catalog changes and read directly; a restricted
 * one is summed over the predicate's matches when asked.
 *
 * @param where which backups count
 * @param offset how many servers to skip, largest first
 * @param limit the most servers in the page, 1 to 1000
 */
public record UsageQuery(BackupPredicate where, long offset, int limit) {
  /** The largest page of servers. */
  public static final int MAX_LIMIT = 1000;

  /**
   * Checks the page.
   *
   * @param where which backups count
   * @param offset how many servers to skip, largest first
   * @param limit the most servers in the page, 1 to 1000
   * @throws InvalidValueException naming {@code offset} or {@code limit} if out of range
   */
  public UsageQuery {
    requireNonNull(where, "where");
    if (offset < 0) {
      throw new InvalidValueException("offset", offset, "must not be negative");
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidValueException("limit", limit, "must be 1 to " + MAX_LIMIT);
    }
  }

  /**
   * The usage dialog: every backup counts, and the page holds the largest servers.
   *
   * @param limit how many servers, largest first, 1 to 1000
   * @return the query of the first {@code limit} servers
   * @throws InvalidValueException naming {@code limit} if out of range
   */
  public static UsageQuery firstServers(int limit) {
    return new UsageQuery(Predicates.all(), 0, limit);
  }

  /**
   * The usage of the backups matching {@code where}, and a page of servers.
   *
   * @param where which backups count
   * @param offset how many servers to skip, largest first
   * @param limit the most servers in the page, 1 to 1000
   * @return the query
   * @throws InvalidValueException naming {@code offset} or {@code limit} if out of range
   */
  public static UsageQuery of(BackupPredicate where, long offset, int limit) {
    return new UsageQuery(where, offset, limit);
  }
}
