package io.csbs.postgres;

import io.csbs.catalog.BackupCatalog;
import io.csbs.testing.BackupCatalogContract;
import io.csbs.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** The whole contract of {@link BackupCatalog}, on PostgreSQL. */
class PostgresCatalogContractTest extends BackupCatalogContract {
  private final List<AutoCloseable> opened = new ArrayList<>();

  @Override
  protected BackupCatalog newCatalog(FakeClock clock) {
    // each catalog of a test in a store of its own, emptied first
    javax.sql.DataSource store = TestDatabase.dataSource(opened.size());
    TestDatabase.truncate(store);
    PostgresCatalog catalog = PostgresCatalog.builder(store)
        .clock(clock).pollInterval(Duration.ofMillis(20)).build();
    opened.add(catalog);
    return catalog;
  }

  @AfterEach
  void closeCatalogs() throws Exception {
    for (AutoCloseable catalog : opened) {
      catalog.close();
    }
    opened.clear();
  }
}
