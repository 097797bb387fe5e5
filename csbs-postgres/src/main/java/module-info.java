/**
 * csbs-postgres: the csbs catalog kept in PostgreSQL or Citus, and in-memory replicas that follow it.
 *
 * <pre>{@code
 * module com.example.backups {
 *   requires csbs.postgres;   // reads csbs.core and java.sql too
 *   requires com.zaxxer.hikari; // or any other DataSource
 * }
 * }</pre>
 */
module csbs.postgres {
  requires transitive csbs.core;
  requires transitive java.sql;
  requires org.postgresql.jdbc;

  exports io.csbs.postgres;
}
