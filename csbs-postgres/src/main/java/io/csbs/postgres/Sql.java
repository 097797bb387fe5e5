package io.csbs.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGStatement;

/**
 * A statement being written: its text and its parameters side by side, so that every value a user
 * gave travels as a bound parameter and never as SQL text.
 */
final class Sql {
  private final StringBuilder text = new StringBuilder(256);
  private final List<Object> parameters = new ArrayList<>();

  Sql append(String sql) {
    text.append(sql);
    return this;
  }

  /** A {@code ?} bound to {@code value}: a String, a long, an int, an {@link Instant} or a String[]. */
  Sql param(Object value) {
    text.append('?');
    parameters.add(value);
    return this;
  }

  /** Appends another statement's text and parameters. */
  Sql append(Sql other) {
    text.append(other.text);
    parameters.addAll(other.parameters);
    return this;
  }

  String text() {
    return text.toString();
  }

  /**
   * Prepares the statement with its parameters bound. A search statement is planned for its values
   * on every execution ({@code prepareThreshold} 0): a generic plan, which the driver would switch to
   * after five executions, was up to 5 times slower for tag and substring searches.
   */
  PreparedStatement prepare(Connection connection, boolean search) throws SQLException {
    PreparedStatement statement = connection.prepareStatement(text.toString());
    try {
      if (search && statement.isWrapperFor(PGStatement.class)) {
        statement.unwrap(PGStatement.class).setPrepareThreshold(0);
      }
      int index = 1;
      for (Object value : parameters) {
        bind(statement, index++, value);
      }
      return statement;
    } catch (SQLException | RuntimeException e) {
      statement.close();
      throw e;
    }
  }

  static void bind(PreparedStatement statement, int index, Object value) throws SQLException {
    if (value instanceof Instant) {
      statement.setObject(index, BackupRows.timestamp((Instant) value));
    } else if (value instanceof String[]) {
      statement.setArray(index, statement.getConnection().createArrayOf("text", (String[]) value));
    } else {
      statement.setObject(index, value);
    }
  }

  @Override
  public String toString() {
    return text + " " + parameters;
  }
}
