package io.csbs.postgres;

import io.csbs.catalog.BackupCatalog;
import io.csbs.testing.BackupCatalogContract;
import io.csbs.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** The whole contract of {@link BackupCatalog}, on a replica that follows PostgreSQL. */
class PostgresReplicaContractTest extends BackupCatalogContract {
  private final List<AutoCloseable> opened = new ArrayList<>();

  @Override
  protected BackupCatalog newCatalog(FakeClock clock) {
    // each catalog of a test in a store of its own, emptied first
    javax.sql.DataSource store = TestDatabase.dataSource(opened.size() / 2);
    TestDatabase.truncate(store);
    PostgresCatalog database = PostgresCatalog.builder(store)
        .clock(clock).pollInterval(Duration.ofMillis(20)).build();
    PostgresReplica replica = PostgresReplica.start(database);
    opened.add(replica);
    opened.add(database);
    return replica;
  }

  @AfterEach
  void closeCatalogs() throws Exception {
    for (AutoCloseable catalog : opened) {
      catalog.close();
    }
    opened.clear();
  }
}
