package io.csbs.testing;

import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;

/** The catalog contract, run against the library's indexed catalog. */
class IndexedCatalogContractTest extends BackupCatalogContract {
  @Override
  protected BackupCatalog newCatalog(FakeClock clock) {
    return Catalogs.builder().clock(clock).stallRule(stallRule()).build();
  }
}
