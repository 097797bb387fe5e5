package io.csbs.benchmarks;

/**
 * How the benchmark's backups reach the engine, chosen by a JMH {@code @Param}: the benchmarks load
 * the testkit's generator's backups at once, sorted in creation order, with repeated names, and
 * real catalogs are not always like that. Every layout holds the same number of backups of one project, picked by the same seed.
 *
 * <pre>{@code
 * Workload w = Workload.of(100_000, Layout.LATE_5PCT);
 * w.loadInto(Engine.CSBS, backlist);   // 95% in creation order, 5% one by one, late
 * }</pre>
 */
public enum Layout {
  /** The generator's backups, added at once ({@code addAll} puts them in creation order). */
  IN_ORDER,
  /**
   * The same backups added one by one, 5% of them late: each late backup arrives after up to a tenth
   * of the list of newer ones, interleaved with them (a backup imported from another region, a job
   * whose record came in after the next ones).
   */
  LATE_5PCT,
  /**
   * The generator's backups with mostly distinct names (nine in ten get a unique suffix, {@code
   * autobk_1a2b-5f3e9c01}), added at once in creation order: the text index holds an entry a backup.
   */
  DISTINCT_NAMES,
  /**
   * The generator's backups added one by one in the order it makes them, which is random in time:
   * every add but a few is out of order (an import of another system's catalog, id by id).
   */
  RANDOM_ORDER,
  /**
   * The generator's backups and half as many again older ones (the year before), added at once; then
   * the older ones removed one by one, oldest first (a retention job). The csbs catalog keeps their
   * positions as a dead prefix, a third of its positions, which no reorganisation lays out again
   * before it reaches half; the baselines get the same live backups at once.
   */
  RETAINED
}
