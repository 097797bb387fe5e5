package io.csbs.testing;

import io.csbs.catalog.BackupCatalog;

/** The catalog contract, run against the reference scan itself. */
class ReferenceCatalogContractTest extends BackupCatalogContract {
  @Override
  protected BackupCatalog newCatalog(FakeClock clock) {
    return ReferenceCatalog.create(clock, stallRule());
  }
}
