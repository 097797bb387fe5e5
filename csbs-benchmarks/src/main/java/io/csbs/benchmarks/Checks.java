package io.csbs.benchmarks;

import io.csbs.query.BackupPredicate;
import io.csbs.query.Query;

/** Checks an engine's answer against the plain scan's before a benchmark measures it. */
final class Checks {
  private static ScanEngine scan;
  private static Workload scanned;

  private Checks() {}

  /**
   * A new {@code engine} loaded with the workload's backups, checked to answer {@code query} as the
   * scan does: the trial setup of every page benchmark.
   *
   * @throws IllegalStateException if the answers differ
   */
  static BacklistEngine loadedAndChecked(Workload workload, Engine engine, String scenario, Query query) {
    BacklistEngine backlist = engine.create(workload.now);
    workload.loadInto(engine, backlist);
    samePageAsScan(workload, engine, backlist, scenario, query);
    return backlist;
  }

  /**
   * Fails unless {@code backlist} answers {@code query} with the scan's page (ids in order) and total.
   *
   * @throws IllegalStateException if the answers differ
   */
  static void samePageAsScan(Workload workload, Engine engine, BacklistEngine backlist, String scenario, Query query) {
    BacklistEngine.Hits expected = scan(workload).page(workload.projectId, query);
    BacklistEngine.Hits actual = backlist.page(workload.projectId, query);
    if (!actual.ids().equals(expected.ids()) || actual.total() != expected.total()) {
      throw new IllegalStateException(engine + " differs from the scan on " + scenario + " (" + query + ") at "
          + workload.size + " backups: expected " + expected + ", got " + actual);
    }
    System.out.println("# " + scenario + ": " + expected.total() + " of " + workload.size + " match; page "
        + expected.backups().size() + "; " + engine + " agrees with the scan");
  }

  /**
   * Fails unless {@code backlist} counts {@code predicate} as the scan does.
   *
   * @throws IllegalStateException if the counts differ
   */
  static void sameCountAsScan(
      Workload workload, Engine engine, BacklistEngine backlist, String scenario, BackupPredicate predicate) {
    long expected = scan(workload).count(workload.projectId, predicate);
    long actual = backlist.count(workload.projectId, predicate);
    if (actual != expected) {
      throw new IllegalStateException(engine + " counts " + actual + " on " + scenario + " (" + predicate + ") at "
          + workload.size + " backups; the scan counts " + expected);
    }
    System.out.println("# " + scenario + ": " + expected + " of " + workload.size + " match; " + engine
        + " agrees with the scan");
  }

  private static synchronized ScanEngine scan(Workload workload) {
    if (scanned != workload) {
      scan = new ScanEngine(workload.now);
      scan.load(workload.backups);
      scanned = workload;
    }
    return scan;
  }
}
