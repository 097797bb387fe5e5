package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import java.util.List;

/** {@link Engine#CSBS}: the library's indexed catalog, through its public API only. */
final class CsbsEngine implements BacklistEngine {
  private final BackupCatalog catalog;

  CsbsEngine(BackupCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public void load(List<Backup> backups) {
    catalog.addAll(backups);
  }

  @Override
  public Hits page(String projectId, Query query) {
    Page page = catalog.query(projectId, query);
    return new Hits(page.backups(), page.total());
  }

  @Override
  public long count(String projectId, BackupPredicate predicate) {
    return catalog.count(projectId, predicate);
  }
}
