/**
 * csbs-server: a reference server of the CSBS v1 API on a csbs catalog ({@link io.csbs.server.CsbsServer}),
 * on the JDK's own HTTP server.
 *
 * <pre>{@code
 * module com.example.backups.server {
 *   requires csbs.server;   // reads csbs.core and csbs.json too
 * }
 * }</pre>
 */
module csbs.server {
  requires transitive csbs.core;
  requires transitive csbs.json;
  requires jdk.httpserver;
  // the generated catalog of the runnable jar's main class only; not needed to embed the server
  requires static csbs.testkit;
  // the runnable jar's --jdbc-url only: a PostgreSQL catalog through a replica
  requires static csbs.postgres;
  requires static org.postgresql.jdbc;
  requires static java.naming;   // the driver's PGSimpleDataSource is javax.naming.Referenceable

  exports io.csbs.server;
}
