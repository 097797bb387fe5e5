package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.ProjectStats;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Late adds alone for longer than {@link CatalogChangeBenchmark#addLate} runs, second by second: the
 * same catalog (bulk-loaded, {@code args[0]} backups, 1,000,000 by default) and the same adds (the
 * creation time of a random stored backup, a new id) for {@code args[1]} seconds (60 by default).
 * Each second prints the adds, the share of the second the adding thread was on a CPU (the rest:
 * other threads and processes, GC pauses, waits at a reorganisation's writer gate), the adds per
 * second of that thread's CPU time (what one free core would do), and the reorganisations completed.
 * A JMH trial of {@code addLate} lasts about as long as the pause after the bulk load; this shows
 * the reorganisations that come after it. {@code args[2]}, {@code PREFIXED} (the default: {@code
 * import-N}) or {@code UUID}, says what the new ids look like, as {@code CatalogChangeBenchmark}'s
 * {@code importIds} does. The next line gives the adds over the whole run per second of the adding
 * thread's CPU time: the steadiest figure of the report to compare two builds by. Then, with no
 * change and no read, the report waits (a minute at most) for a reorganisation to complete after
 * the adds stopped, and prints when: late adds that outran a reorganisation leave their tail to one
 * that starts once they stop.
 *
 * <p>Run: {@code java -Xms8g -Xmx8g -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.LateImportReport 1000000 60 UUID}
 */
public final class LateImportReport {
  private LateImportReport() {}

  public static void main(String[] args) {
    int size = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    boolean uuids = args.length > 2 && args[2].equals("UUID");
    BackupGenerator generator = BackupGenerator.builder().seed(42).servers(Math.max(10, size / 50)).build();
    List<Backup> list = generator.backups(size);
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(generator.end()));
    catalog.addAll(list);
    Backup[] stored = list.toArray(new Backup[0]);
    String project = stored[0].projectId();
    SplittableRandom random = new SplittableRandom(42);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long imported = 0;
    long allAdds = 0;
    double allCpu = 0;
    for (int second = 0; second < seconds; second++) {
      long start = System.nanoTime();
      long cpuStart = threads.getCurrentThreadCpuTime();
      long addsBefore = imported;
      long reorganisationsBefore = catalog.stats(project).reorganisations();
      while (System.nanoTime() - start < 1_000_000_000L) {
        for (int i = 0; i < 256; i++) {
          String id = CatalogChangeBenchmark.Imports.importId(uuids, imported++, random);
          catalog.add(stored[random.nextInt(stored.length)].toBuilder().id(id).build());
        }
      }
      double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
      double wall = (System.nanoTime() - start) / 1e9;
      long adds = imported - addsBefore;
      allAdds += adds;
      allCpu += cpu;
      ProjectStats stats = catalog.stats(project);
      System.out.printf(Locale.ROOT, "second %3d: %,9.0f adds/s, adder on a CPU %3.0f%%, %,9.0f adds a CPU second,"
              + " %d reorganisations completed (%d in all, %,d backups)%n", second, adds / wall, 100 * cpu / wall,
          adds / cpu, stats.reorganisations() - reorganisationsBefore, stats.reorganisations(), stats.backups());
    }
    ProjectStats stats = catalog.stats(project);
    System.out.printf(Locale.ROOT, "%,d late adds in %d s: %,.0f a second, %,.0f a CPU second of the adder; %s%n",
        allAdds, seconds, (double) allAdds / seconds, allAdds / allCpu, stats);
    awaitReorganisationAfterTheAdds(catalog, project, stats);
  }

  /** Waits up to a minute, without changing or reading the project, for a reorganisation to complete. */
  private static void awaitReorganisationAfterTheAdds(BackupCatalog catalog, String project, ProjectStats before) {
    long stopped = System.nanoTime();
    ProjectStats now = before;
    while (now.reorganisations() == before.reorganisations() && System.nanoTime() - stopped < 60_000_000_000L) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      now = catalog.stats(project);  // stats() reads no backup: it pays nothing towards a reorganisation
    }
    if (now.reorganisations() == before.reorganisations()) {
      System.out.println("no reorganisation completed in the minute after the adds");
      return;
    }
    System.out.printf(Locale.ROOT, "a reorganisation completed %.1f s after the adds stopped; %s%n",
        (System.nanoTime() - stopped) / 1e9, now);
  }
}
