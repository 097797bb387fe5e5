package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import java.util.List;
import java.util.Optional;

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

  @Override
  public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
    return catalog.apply(projectId, backupId, expectedVersion, transition);
  }

  @Override
  public Optional<Backup> find(String projectId, String backupId) {
    return catalog.find(projectId, backupId);
  }

  @Override
  public void add(Backup backup) {
    catalog.add(backup);
  }

  @Override
  public void remove(String projectId, String backupId, long expectedVersion) {
    catalog.remove(projectId, backupId, expectedVersion);
  }
}
