package io.csbs.postgres;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;
import java.sql.SQLException;

/**
 * Thrown when the database of a {@link PostgresCatalog} fails: the connection is lost or refused, a
 * statement times out or is cancelled, a transaction is chosen as the victim of a serialization
 * failure or a deadlock, the server shuts down. The message says what the catalog was doing, and
 * the cause is the driver's {@link SQLException} with its SQLState.
 *
 * <p>Nothing is ever half-written: every change is one transaction, so it either committed whole
 * or not at all. {@link #isRetryable()} says whether the same call may succeed when tried again
 * (a transient fault). A read is always safe to retry. A change is safe to retry too, because each
 * names the version it is based on: if the failed attempt did commit (the connection broke during
 * the commit, so the answer was lost), the retry is refused with a {@code VersionConflictException},
 * a {@code DuplicateBackupException} (an add) or a {@code BackupNotFoundException} (a removal, or a
 * deletion that completed), a load with an {@code IllegalStateException} (the project has backups),
 * and reading the backup tells where it stands; a quota set again is simply set.
 *
 * <pre>{@code
 * try {
 *   catalog.apply("project-1", id, version, Transition.delete());
 * } catch (CatalogDatabaseException e) {
 *   if (e.isRetryable()) {
 *     // back off, read the backup again, and retry on its current version
 *   }
 * }
 * }</pre>
 *
 * <p>Its {@linkplain #code() code} is {@link ErrorCode#DATABASE_FAILURE}.
 */
public class CatalogDatabaseException extends RuntimeException implements CsbsError {
  private static final long serialVersionUID = 1L;

  /** The SQLState of the failure, or null. */
  private final String sqlState;
  /** Whether the same call may succeed. */
  private final boolean retryable;

  /**
   * A failure while doing {@code what}, caused by {@code cause}.
   *
   * @param what what the catalog was doing, for the message
   * @param cause the driver's exception, whose SQLState is kept
   * @throws NullPointerException if {@code what} or {@code cause} is null
   */
  public CatalogDatabaseException(String what, SQLException cause) {
    super(message(java.util.Objects.requireNonNull(what, "what"), java.util.Objects.requireNonNull(cause, "cause")),
        cause);
    this.sqlState = cause.getSQLState();
    this.retryable = isTransient(cause);
  }

  /**
   * A failure with a message of its own, not from the driver.
   *
   * @param message the message
   * @param sqlState the SQLState, or null
   * @param retryable whether the same call may succeed
   */
  protected CatalogDatabaseException(String message, String sqlState, boolean retryable) {
    super(message);
    this.sqlState = sqlState;
    this.retryable = retryable;
  }

  static CatalogDatabaseException of(String what, SQLException cause) {
    return new CatalogDatabaseException(what, cause);
  }

  /**
   * The SQLState of the driver's exception (for example {@code 08006}, connection failure), or
   * null.
   *
   * @return the SQLState, or null
   */
  public String sqlState() {
    return sqlState;
  }

  /**
   * Whether the failure is transient: a lost or refused connection (class 08), a serialization
   * failure or deadlock (40001, 40P01), a cancelled or timed-out statement (57014), a lock not
   * granted in time ({@code lock_timeout}, 55P03), a transaction or idle session ended by its
   * timeout (25P03, 25P04, 57P05), a server shutting down or out of connections (57P01 to 57P03,
   * 53300), or a failure the driver or the pool calls transient or recoverable without a SQLState
   * (a {@link java.sql.SQLTransientException} such as a connection pool's timeout waiting for a free
   * connection, a {@link java.sql.SQLRecoverableException}). The same call may then succeed.
   *
   * @return whether a retry may succeed
   */
  public boolean isRetryable() {
    return retryable;
  }

  /** {@return {@link ErrorCode#DATABASE_FAILURE}} */
  @Override
  public ErrorCode code() {
    return ErrorCode.DATABASE_FAILURE;
  }

  private static boolean isTransient(SQLException cause) {
    String state = cause.getSQLState();
    if (state == null) {
      // HikariCP's timeout waiting for a pooled connection has no SQLState, only its class
      return cause instanceof java.sql.SQLTransientException || cause instanceof java.sql.SQLRecoverableException;
    }
    switch (state) {
      case "40001": case "40P01": case "57014": case "55P03": case "25P03": case "25P04":
      case "57P01": case "57P02": case "57P03": case "57P05": case "53300":
        return true;
      default:
        return state.startsWith("08");
    }
  }

  private static String message(String what, SQLException cause) {
    String state = cause.getSQLState();
    String kind = state == null
        ? (cause instanceof java.sql.SQLTransientConnectionException ? "no connection in time"
            : isTransient(cause) ? "transient failure" : "database error")
        : state.startsWith("08") ? "connection lost or refused"
        : state.equals("40001") ? "serialization failure"
        : state.equals("40P01") ? "deadlock"
        : state.equals("57014") ? "statement cancelled or timed out"
        : state.equals("55P03") ? "lock not granted in time"
        : state.equals("25P03") || state.equals("25P04") || state.equals("57P05") ? "transaction or session timed out"
        : state.equals("57P04") ? "database dropped"
        : state.startsWith("57P") ? "server shutting down"
        : state.equals("53300") ? "too many connections"
        : "database error";
    return "PostgreSQL catalog could not " + what + ": " + kind + (state == null ? "" : " (SQLState " + state + ")")
        + ": " + cause.getMessage() + (isTransient(cause) ? "; nothing was half-written, and the call may be retried" : "");
  }
}
