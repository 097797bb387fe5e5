package io.csbs.postgres;

import io.csbs.lifecycle.StallRule;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Query;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The statements of the backup list: a page with its total, and a total alone. A page, its total
 * and the marker's place are read by one statement, hence from one snapshot, in one round trip; on
 * Citus every part names the same project, so the statement runs whole on the project's worker.
 */
final class SqlSearch {
  /**
   * At most this many matches, a page is sorted from them: reading a thousand rows by bitmap and
   * sorting them costs a few milliseconds, while a walk of the time index costs in proportion to the
   * rows it passes (at 1M backups, 3.4 s for two tags no backup has together, but 31 ms for 8,444
   * matches of two tags, where sorting them took 49 ms).
   */
  static final long FEW_MATCHES = 1000;

  private SqlSearch() {}

  /**
   * Whether a page of {@code query} should be decided by its total: counted first (exactly, the
   * predicate being one that needs an inverted index) then read with the plan that fits it.
   */
  static boolean decidedByTotal(Query query) {
    return SqlPredicate.counter(query.predicate()) == null && SqlPredicate.serverId(query.predicate()) == null
        && SqlPredicate.needsInvertedIndex(query.predicate());
  }

  /** One key of the total order of a page: a column and a direction. */
  private record Key(String column, boolean ascending) {}

  /**
   * The total of matches: from the project's counters when the predicate is every backup or some
   * states, from the usage of the server when it is one server id, else an exact count. {@code
   * projectId} null for all projects.
   */
  static Sql total(String projectId, BackupPredicate predicate, Instant now, StallRule stallRule) {
    String counter = SqlPredicate.counter(predicate);
    Sql total = new Sql();
    if (counter != null) {
      total.append("(SELECT coalesce(sum(" + counter + "), 0) FROM csbs_project pr");
      if (projectId != null) {
        total.append(" WHERE pr.project_id = ").param(BackupRows.lookupKey(projectId));
      }
      return total.append(")");
    }
    String serverId = SqlPredicate.serverId(predicate);
    if (serverId != null) {
      // kept by every change like the project's counters: no count of the server's backups
      total.append("(SELECT coalesce(sum(u.backups), 0) FROM csbs_server_usage u WHERE ");
      if (projectId != null) {
        total.append("u.project_id = ").param(BackupRows.lookupKey(projectId)).append(" AND ");
      }
      return total.append("u.server_id = ").param(serverId).append(")");
    }
    total.append("(SELECT count(*) FROM csbs_backup b WHERE ");
    if (projectId != null) {
      total.append("b.project_id = ").param(BackupRows.lookupKey(projectId)).append(" AND ");
    }
    return total.append(SqlPredicate.compile(predicate, now, stallRule)).append(")");
  }

  /**
   * A page of {@code query}, read as rows of: the total, how many backups the marker names (the
   * page is valid only if exactly one), then the {@link BackupRows#READ_COLUMNS} of one backup of the
   * page (all null when the page is empty), in the page's order, at most {@code limit + 1} of them.
   * {@code projectId} null for all projects.
   */
  static Sql page(String projectId, Query query, Instant now, StallRule stallRule) {
    return page(projectId, query, now, stallRule, -1);
  }

  /**
   * The page, as {@link #page(String, Query, Instant, StallRule)}, for a search whose total was
   * counted already in the same snapshot ({@code knownTotal}, or -1 if not): then the statement
   * counts nothing, and a total of at most {@link #FEW_MATCHES} has the page sorted from the
   * matches (read from the inverted indexes by bitmap) instead of walking the time index and
   * filtering, which reads the whole table when the matches are rarer than the planner thinks.
   */
  static Sql page(String projectId, Query query, Instant now, StallRule stallRule, long knownTotal) {
    List<Key> keys = keys(query, projectId == null);
    Sql sql = new Sql();
    boolean marker = query.marker().isPresent();
    if (marker) {
      sql.append("WITH m AS (SELECT ").append(columns("b.", keys)).append(" FROM csbs_backup b WHERE ");
      if (projectId != null) {
        sql.append("b.project_id = ").param(BackupRows.lookupKey(projectId)).append(" AND ");
      }
      sql.append("b.id = ").param(BackupRows.lookupKey(query.marker().get())).append(") ");
    }
    sql.append("SELECT t.total, ").append(marker ? "(SELECT count(*) FROM m)" : "1").append(", ")
        .append(prefixed("p.", BackupRows.READ_COLUMNS))
        .append(" FROM (SELECT ").append(knownTotal >= 0 ? new Sql().param(knownTotal).append("::bigint")
            : total(projectId, query.predicate(), now, stallRule)).append(" AS total) t")
        .append(" LEFT JOIN LATERAL (SELECT ").append(prefixed("b.", BackupRows.READ_COLUMNS))
        .append(" FROM csbs_backup b WHERE ");
    if (projectId != null) {
      sql.append("b.project_id = ").param(BackupRows.lookupKey(projectId)).append(" AND ");
    }
    sql.append(SqlPredicate.compile(query.predicate(), now, stallRule));
    if (marker) {
      sql.append(" AND ").append(after(keys));
    }
    boolean fromMatches = knownTotal >= 0 && knownTotal <= FEW_MATCHES;
    sql.append(" ORDER BY ").append(fromMatches ? unindexedOrder(keys) : order("b.", keys))
        .append(" LIMIT ").param(query.limit() + 1)
        .append(" OFFSET ").param(query.offset())
        .append(") p ON TRUE ORDER BY ").append(order("p.", keys));
    return sql;
  }

  /** The sort's keys, the id tie-break (in the first key's direction), and for all projects the project. */
  private static List<Key> keys(Query query, boolean allProjects) {
    List<Key> keys = new ArrayList<>();
    boolean hasId = false;
    for (SortKey key : query.sort().keys()) {
      keys.add(new Key(column(key.field()), key.ascending()));
      hasId |= key.field() == SortField.ID;
    }
    if (!hasId) {
      keys.add(new Key("id", keys.get(0).ascending()));
    }
    if (allProjects) {
      keys.add(new Key("project_id", true));   // the same id in two projects: by project id
    }
    return keys;
  }

  private static String column(SortField field) {
    switch (field) {
      case CREATED_AT:
        return "created_at";
      case UPDATED_AT:
        return "updated_at";
      case NAME:
        return "name";
      case STATUS:
        return "status";
      default:
        return "id";
    }
  }

  /**
   * Rows strictly after the marker {@code m} in the order: one row comparison when every key runs
   * the same way (an index range), else the expanded form {@code k1 > m1 OR (k1 = m1 AND k2 < m2) ...}.
   *
   * <p>The marker's values are scalar subqueries of {@code m}, computed once before the scan, not
   * columns of a join with it: so the row comparison is a condition of the index scan, which starts
   * at the marker. Joined, it was a filter of a scan from the first row: a page after the 10,000th
   * backup read 10,020 rows (22 ms at 1M backups). When {@code m} has no row, or several (an id
   * ambiguous across projects), the caller refuses the page whatever it holds.
   */
  private static String after(List<Key> keys) {
    boolean oneDirection = keys.stream().allMatch(k -> k.ascending() == keys.get(0).ascending());
    if (oneDirection) {
      StringBuilder marker = new StringBuilder();
      for (Key key : keys) {
        marker.append(marker.length() == 0 ? "" : ", ").append(markerValue(key));
      }
      return "(" + columns("b.", keys) + ") " + (keys.get(0).ascending() ? ">" : "<") + " (" + marker + ")";
    }
    StringBuilder or = new StringBuilder("(");
    for (int i = 0; i < keys.size(); i++) {
      or.append(i == 0 ? "" : " OR ").append("(");
      for (int j = 0; j < i; j++) {
        or.append("b.").append(keys.get(j).column()).append(" = ").append(markerValue(keys.get(j))).append(" AND ");
      }
      Key key = keys.get(i);
      or.append("b.").append(key.column()).append(key.ascending() ? " > " : " < ").append(markerValue(key)).append(")");
    }
    return or.append(")").toString();
  }

  /** The marker's value of {@code key}: null when {@code m} is empty. */
  private static String markerValue(Key key) {
    return "(SELECT m." + key.column() + " FROM m LIMIT 1)";
  }

  private static String order(String prefix, List<Key> keys) {
    StringBuilder order = new StringBuilder();
    for (Key key : keys) {
      order.append(order.length() == 0 ? "" : ", ").append(prefix).append(key.column())
          .append(key.ascending() ? " ASC" : " DESC");
    }
    return order.toString();
  }

  /** The order of {@code keys} with the first as an expression no index gives, so the planner sorts. */
  private static String unindexedOrder(List<Key> keys) {
    Key first = keys.get(0);
    String expression;
    switch (first.column()) {
      case "created_at":
      case "updated_at":
        expression = "(b." + first.column() + " + interval '0 seconds')";
        break;
      case "status":
        expression = "(b.status + 0)";
        break;
      default:
        expression = "(b." + first.column() + " || '')";   // keeps the column's collation "C"
    }
    String rest = order("b.", keys.subList(1, keys.size()));
    return expression + (first.ascending() ? " ASC" : " DESC") + (rest.isEmpty() ? "" : ", " + rest);
  }

  private static String columns(String prefix, List<Key> keys) {
    StringBuilder columns = new StringBuilder();
    for (Key key : keys) {
      columns.append(columns.length() == 0 ? "" : ", ").append(prefix).append(key.column());
    }
    return columns.toString();
  }

  static String prefixed(String prefix, String columns) {
    StringBuilder out = new StringBuilder();
    for (String column : columns.split(", ")) {
      out.append(out.length() == 0 ? "" : ", ").append(prefix).append(column);
    }
    return out.toString();
  }
}
