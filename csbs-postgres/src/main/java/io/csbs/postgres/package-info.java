/**
 * The backup catalog on PostgreSQL or Citus: {@link io.csbs.postgres.PostgresCatalog}, a durable,
 * shared {@link io.csbs.catalog.BackupCatalog} with a change feed; {@link
 * io.csbs.postgres.PostgresReplica}, an in-memory catalog that follows it; {@link
 * io.csbs.postgres.Schema}, the versioned schema and the calls that create, upgrade and distribute
 * it.
 *
 * <pre>{@code
 * Schema.migrate(dataSource);
 * PostgresCatalog database = PostgresCatalog.create(dataSource, Clock.systemUTC());
 * PostgresReplica catalog = PostgresReplica.start(database);
 * }</pre>
 */
package io.csbs.postgres;
