package io.csbs.postgres;

import io.csbs.lifecycle.StallRule;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Query;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import javax.sql.DataSource;

/**
 * The benchmarks' window on the SQL {@link PostgresCatalog} sends for a search, and on PostgreSQL's
 * plan of it. It lives in csbs-benchmarks, in the package of csbs-postgres (a split package on the
 * class path) to reach the package-private {@code SqlSearch}; it is not part of csbs-postgres.
 */
public final class SearchPlans {
  private SearchPlans() {}

  /** The statement of a page and its total, as {@code PostgresCatalog.query} sends it, with its parameters. */
  public static String pageSql(String projectId, Query query, Instant now) {
    return SqlSearch.page(projectId, query, now, StallRule.DEFAULT).toString();
  }

  /** The statement of a count, as {@code PostgresCatalog.count} sends it, with its parameters. */
  public static String countSql(String projectId, BackupPredicate predicate, Instant now) {
    return countStatement(projectId, predicate, now).toString();
  }

  /** {@code EXPLAIN (ANALYZE, BUFFERS)} of the page statement, run with its values bound as the catalog binds them. */
  public static String explainPage(DataSource dataSource, String projectId, Query query, Instant now) {
    return explain(dataSource, SqlSearch.page(projectId, query, now, StallRule.DEFAULT));
  }

  /** {@code EXPLAIN (ANALYZE, BUFFERS)} of the count statement. */
  public static String explainCount(DataSource dataSource, String projectId, BackupPredicate predicate, Instant now) {
    return explain(dataSource, countStatement(projectId, predicate, now));
  }

  private static Sql countStatement(String projectId, BackupPredicate predicate, Instant now) {
    return new Sql().append("SELECT ").append(SqlSearch.total(projectId, predicate, now, StallRule.DEFAULT));
  }

  private static String explain(DataSource dataSource, Sql statement) {
    Sql explain = new Sql().append("EXPLAIN (ANALYZE, BUFFERS) ").append(statement);
    StringBuilder plan = new StringBuilder();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement prepared = explain.prepare(connection, true);
        ResultSet rows = prepared.executeQuery()) {
      while (rows.next()) {
        plan.append(rows.getString(1)).append('\n');
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot explain " + statement, e);
    }
    return plan.toString();
  }
}
