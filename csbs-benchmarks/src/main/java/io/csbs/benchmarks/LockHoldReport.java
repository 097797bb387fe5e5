package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.ProjectStats;
import io.csbs.lifecycle.Transition;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The longest hold of a project's lock by one change, and by the swap that ends a reorganisation,
 * under a mix of changes on a large catalog: the catalog's own {@link ProjectStats}. Loads {@code
 * args[0]} backups in creation order, then makes {@code args[1]} changes, one by one: 40% backups
 * added late (the creation time of a stored one, a new id), 20% new backups, 20% lifecycle
 * transitions, 20% removals; reorganisations run beside on the catalog's background thread. Prints
 * the statistics, the changes a second, and how long the reorganisations took; and, measured around
 * each call, its longest wall time and the longest CPU time of the changing thread: a hold of the
 * lock counts the GC pauses and the time the thread spent off the CPU (another process, on a shared
 * machine) while it held the lock, its CPU time only the work the change did.
 *
 * <p>Run: {@code java -Xmx12g -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.LockHoldReport 5000000 1000000}
 */
public final class LockHoldReport {
  private LockHoldReport() {}

  private static long gcMillis() {
    long total = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }

  /** Prints the report for {@code args[0]} backups (1,000,000) and {@code args[1]} changes (500,000). */
  public static void main(String[] args) throws InterruptedException {
    int size = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
    int changes = args.length > 1 ? Integer.parseInt(args[1].replace("_", "")) : 500_000;
    Workload workload = Workload.of(size);
    // a clock after every backup the report adds, so that transitions of them are in order in time
    Clock clock = Clock.fixed(workload.now.plus(java.time.Duration.ofDays(31)), ZoneOffset.UTC);
    BackupCatalog catalog = Catalogs.indexed(clock);
    long loading = System.nanoTime();
    catalog.addAll(workload.backups);
    System.out.printf(Locale.ROOT, "loaded %,d backups in %.2f s%n", size, (System.nanoTime() - loading) / 1e9);
    String project = workload.projectId;
    Random random = new Random(42);
    // room for every add ahead: the list's growth (a copy of millions of references) is not the catalog's
    List<Backup> stored = new ArrayList<>(size + changes);
    stored.addAll(workload.backups);
    io.csbs.testing.BackupGenerator fresh = io.csbs.testing.BackupGenerator.builder().seed(7).projects(1)
        .servers(Math.max(10, size / 50)).window(workload.now.plus(java.time.Duration.ofDays(30)), java.time.Duration.ofDays(29))
        .build();
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long gcBefore = gcMillis();
    long start = System.nanoTime();
    int made = 0;
    long longestWall = 0;
    long longestCpu = 0;
    int overWall = 0;
    int overCpu = 0;
    for (int i = 0; i < changes; i++) {
      int kind = random.nextInt(10);
      long wallStart;
      long cpuStart;
      if (kind < 6) {
        Backup added = kind < 4 ? stored.get(random.nextInt(stored.size())).toBuilder().id("late-" + i).version(1).build()
            : fresh.next();
        wallStart = System.nanoTime();  // making the backup is the caller's work, not the change's
        cpuStart = threads.getCurrentThreadCpuTime();
        catalog.add(added);
        stored.add(added);
      } else {
        int at = random.nextInt(stored.size());
        Backup target = stored.get(at);
        Backup current = catalog.find(project, target.id()).orElse(null);
        if (current == null) {
          continue;
        }
        wallStart = System.nanoTime();  // the lookup above is a read, not part of the change
        cpuStart = threads.getCurrentThreadCpuTime();
        if (kind < 8 && current.status() == BackupStatus.AVAILABLE) {
          catalog.apply(project, current.id(), current.version(), Transition.restore()).ifPresent(b -> stored.set(at, b));
        } else if (kind < 8 && current.status() == BackupStatus.RESTORING) {
          catalog.apply(project, current.id(), current.version(), Transition.complete()).ifPresent(b -> stored.set(at, b));
        } else {
          catalog.remove(project, current.id(), current.version());
          stored.set(at, stored.get(stored.size() - 1));
          stored.remove(stored.size() - 1);
        }
      }
      long cpu = threads.getCurrentThreadCpuTime() - cpuStart;
      long wall = System.nanoTime() - wallStart;
      longestWall = Math.max(longestWall, wall);
      longestCpu = Math.max(longestCpu, cpu);
      overWall += wall > 1_000_000 ? 1 : 0;
      overCpu += cpu > 1_000_000 ? 1 : 0;
      made++;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(Locale.ROOT, "%,d changes in %.2f s: %,.0f a second%n", made, seconds, made / seconds);
    // a change's wall time includes GC pauses and time off the CPU (other processes on a shared
    // machine); the changing thread's CPU time does not: it is the work the change itself did
    System.out.printf(Locale.ROOT,
        "one change, as the caller sees it: longest %.3f ms of wall time (%d over 1 ms), longest %.3f ms of"
            + " the thread's CPU time (%d over 1 ms); GC during the changes: %d ms in all%n",
        longestWall / 1e6, overWall, longestCpu / 1e6, overCpu, gcMillis() - gcBefore);
    for (int wait = 0; wait < 600; wait++) {  // let the last reorganisation finish
      Thread.sleep(100);
      if (catalog.stats(project).reorganisations() > 0 && wait > 50) {
        break;
      }
    }
    ProjectStats stats = catalog.stats(project);
    System.out.println(stats);
    System.out.printf(Locale.ROOT,
        "longest change hold %.3f ms, longest swap %.3f ms, %d reorganisations, %.2f s on average, longest %.2f s,"
            + " %.1f B of index a backup%n",
        stats.longestChangeHold().toNanos() / 1e6, stats.longestSwap().toNanos() / 1e6, stats.reorganisations(),
        stats.reorganisations() == 0 ? 0 : stats.reorganisationTime().toNanos() / 1e9 / stats.reorganisations(),
        stats.longestReorganisation().toNanos() / 1e9, stats.indexBytesPerBackup());
  }
}
