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
  private SqlSearch() {}

  /** One key of the total order of a page: a column and a direction. */
  private record Key(String column, boolean ascending) {}

  /**
   * The total of matches: from the project's counters when the predicate is every backup or some
   * states, else an exact count. {@code projectId} null for all projects.
   */
  static Sql total(String projectId, BackupPredicate predicate, Instant now, StallRule stallRule) {
    String counter = SqlPredicate.counter(predicate);
    Sql total = new Sql();
    if (counter != null) {
      total.append("(SELECT coalesce(sum(" + counter + "), 0) FROM csbs_project pr");
      if (projectId != null) {
        total.append(" WHERE pr.project_id = ").param(projectId);
      }
      return total.append(")");
    }
    total.append("(SELECT count(*) FROM csbs_backup b WHERE ");
    if (projectId != null) {
      total.append("b.project_id = ").param(projectId).append(" AND ");
    }
    return total.append(SqlPredicate.compile(predicate, now, stallRule)).append(")");
  }

  /**
   * A page of {@code query}, read as rows of: the total, how many backups the marker names (the
   * page is valid only if exactly one), then the {@link BackupRows#COLUMNS} of one backup of the
   * page (all null when the page is empty), in the page's order, at most {@code limit + 1} of them.
   * {@code projectId} null for all projects.
   */
  static Sql page(String projectId, Query query, Instant now, StallRule stallRule) {
    List<Key> keys = keys(query, projectId == null);
    Sql sql = new Sql();
    boolean marker = query.marker().isPresent();
    if (marker) {
      sql.append("WITH m AS (SELECT ").append(columns("b.", keys)).append(" FROM csbs_backup b WHERE ");
      if (projectId != null) {
        sql.append("b.project_id = ").param(projectId).append(" AND ");
      }
      sql.append("b.id = ").param(query.marker().get()).append(") ");
    }
    sql.append("SELECT t.total, ").append(marker ? "(SELECT count(*) FROM m)" : "1").append(", ")
        .append(prefixed("p.", BackupRows.COLUMNS))
        .append(" FROM (SELECT ").append(total(projectId, query.predicate(), now, stallRule)).append(" AS total) t")
        .append(" LEFT JOIN LATERAL (SELECT ").append(prefixed("b.", BackupRows.COLUMNS))
        .append(" FROM csbs_backup b").append(marker ? " CROSS JOIN m" : "").append(" WHERE ");
    if (projectId != null) {
      sql.append("b.project_id = ").param(projectId).append(" AND ");
    }
    sql.append(SqlPredicate.compile(query.predicate(), now, stallRule));
    if (marker) {
      sql.append(" AND ").append(after(keys));
    }
    sql.append(" ORDER BY ").append(order("b.", keys))
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
   */
  private static String after(List<Key> keys) {
    boolean oneDirection = keys.stream().allMatch(k -> k.ascending() == keys.get(0).ascending());
    if (oneDirection) {
      return "(" + columns("b.", keys) + ") " + (keys.get(0).ascending() ? ">" : "<") + " (" + columns("m.", keys) + ")";
    }
    StringBuilder or = new StringBuilder("(");
    for (int i = 0; i < keys.size(); i++) {
      or.append(i == 0 ? "" : " OR ").append("(");
      for (int j = 0; j < i; j++) {
        or.append("b.").append(keys.get(j).column()).append(" = m.").append(keys.get(j).column()).append(" AND ");
      }
      Key key = keys.get(i);
      or.append("b.").append(key.column()).append(key.ascending() ? " > " : " < ").append("m.").append(key.column()).append(")");
    }
    return or.append(")").toString();
  }

  private static String order(String prefix, List<Key> keys) {
    StringBuilder order = new StringBuilder();
    for (Key key : keys) {
      order.append(order.length() == 0 ? "" : ", ").append(prefix).append(key.column())
          .append(key.ascending() ? " ASC" : " DESC");
    }
    return order.toString();
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
