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
 * machine) while it held the lock, its CPU time only the work the change did. The changes of a
 * millisecond or more are also recorded with JFR beside the JVM's safepoints (G1's pauses among
 * them), so that the report can say how long the longest change took outside them: the catalog's
 * part of a hold, which no collector choice changes.
 *
 * <p>Run: {@code java -Xmx12g -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.LockHoldReport 5000000 1000000}
 */
public final class LockHoldReport {
  private LockHoldReport() {}

  /** A change of {@link #SLOW} or more, recorded by JFR so that its time can be set against the safepoints'. */
  @jdk.jfr.Name("io.csbs.benchmarks.SlowChange")
  @jdk.jfr.Label("Slow change")
  static final class SlowChange extends jdk.jfr.Event {
    @jdk.jfr.Label("Index")
    long index;
    @jdk.jfr.Label("Kind")
    String kind;
    @jdk.jfr.Label("CPU time")
    @jdk.jfr.Timespan
    long cpu;
  }

  private static final java.time.Duration SLOW = java.time.Duration.ofMillis(1);

  private static long gcMillis() {
    long total = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }

  /** Prints the report for {@code args[0]} backups (1,000,000) and {@code args[1]} changes (500,000). */
  public static void main(String[] args) throws InterruptedException, java.io.IOException {
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
    jdk.jfr.Recording recording = new jdk.jfr.Recording();
    recording.enable(SlowChange.class).withThreshold(SLOW);
    recording.enable("jdk.SafepointBegin");
    recording.enable("jdk.SafepointEnd");
    // what a slow change did: where its thread's samples fell, and whether it parked or waited
    recording.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(1));
    recording.enable("jdk.ThreadPark").withThreshold(java.time.Duration.ofNanos(100_000));
    recording.enable("jdk.JavaMonitorWait").withThreshold(java.time.Duration.ofNanos(100_000));
    recording.start();
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
      SlowChange event = new SlowChange();
      if (kind < 6) {
        Backup added = kind < 4 ? stored.get(random.nextInt(stored.size())).toBuilder().id("late-" + i).version(1).build()
            : fresh.next();
        wallStart = System.nanoTime();  // making the backup is the caller's work, not the change's
        cpuStart = threads.getCurrentThreadCpuTime();
        event.begin();
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
        event.begin();
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
      event.end();
      long cpu = threads.getCurrentThreadCpuTime() - cpuStart;
      if (event.shouldCommit()) {  // it took SLOW or more (the recording's threshold)
        event.index = i;
        event.kind = kind < 4 ? "late add" : kind < 6 ? "new backup" : "transition or removal";
        event.cpu = cpu;
        event.commit();
      }
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
    recording.stop();
    java.nio.file.Path file = java.nio.file.Files.createTempFile("lock-hold-report", ".jfr");
    try {
      recording.dump(file);
      printOutsideSafepoints(jdk.jfr.consumer.RecordingFile.readAllEvents(file));
    } catch (java.io.IOException e) {
      System.out.println("the JFR recording could not be read: " + e);
    } finally {
      recording.close();
      java.nio.file.Files.deleteIfExists(file);
    }
  }

  /**
   * Prints, for the changes of {@link #SLOW} or more among {@code events}, how long the longest took
   * outside the JVM's safepoints (each from its {@code jdk.SafepointBegin} to its {@code
   * jdk.SafepointEnd}), and for the ten longest what their time went to: the thread's CPU time, its
   * parks and waits (for a lock, or for a reorganisation's last catch-up: not holds of the lock), and
   * the method its execution samples fell in most.
   */
  static void printOutsideSafepoints(List<jdk.jfr.consumer.RecordedEvent> events) {
    java.util.Map<Long, long[]> safepoints = new java.util.HashMap<>();
    List<jdk.jfr.consumer.RecordedEvent> changes = new ArrayList<>();
    List<jdk.jfr.consumer.RecordedEvent> waitsAndSamples = new ArrayList<>();
    for (jdk.jfr.consumer.RecordedEvent event : events) {
      String type = event.getEventType().getName();
      long start = nanos(event.getStartTime());
      long end = nanos(event.getEndTime());
      if (type.equals("jdk.SafepointBegin")) {
        safepoints.computeIfAbsent(event.getLong("safepointId"), id -> new long[] {start, end})[0] = start;
      } else if (type.equals("jdk.SafepointEnd")) {
        long[] interval = safepoints.computeIfAbsent(event.getLong("safepointId"), id -> new long[] {start, end});
        interval[1] = Math.max(interval[1], end);
      } else if (type.equals("io.csbs.benchmarks.SlowChange")) {
        changes.add(event);
      } else {
        waitsAndSamples.add(event);
      }
    }
    List<long[]> pauses = new ArrayList<>(safepoints.values());
    pauses.sort(java.util.Comparator.comparingLong(p -> p[0]));
    long longestPause = 0;
    for (long[] pause : pauses) {
      longestPause = Math.max(longestPause, pause[1] - pause[0]);
    }
    long longestWall = 0;
    long longestOutside = 0;
    int overOutside = 0;
    List<Object[]> slow = new ArrayList<>();  // {nanos outside safepoints, the change}
    for (jdk.jfr.consumer.RecordedEvent change : changes) {
      long start = nanos(change.getStartTime());
      long end = nanos(change.getEndTime());
      long outside = end - start - overlap(pauses, start, end);
      longestWall = Math.max(longestWall, end - start);
      longestOutside = Math.max(longestOutside, outside);
      if (outside >= SLOW.toNanos()) {
        overOutside++;
        slow.add(new Object[] {outside, change});
      }
    }
    System.out.printf(Locale.ROOT,
        "JFR: %d changes of 1 ms or more, the longest %.3f ms; outside the JVM's %d safepoints (the longest %.3f ms)"
            + " the longest change took %.3f ms (%d of 1 ms or more)%n",
        changes.size(), longestWall / 1e6, pauses.size(), longestPause / 1e6, longestOutside / 1e6, overOutside);
    slow.sort((a, b) -> Long.compare((Long) b[0], (Long) a[0]));
    // the times of every thread's execution samples: a stretch without any, while a change's thread
    // counts CPU time, is one where no thread of the JVM ran Java code (the machine's stall, or VM work)
    long[] sampled = waitsAndSamples.stream().filter(e -> e.getEventType().getName().equals("jdk.ExecutionSample"))
        .mapToLong(e -> nanos(e.getStartTime())).sorted().toArray();
    for (Object[] entry : slow.subList(0, Math.min(10, slow.size()))) {
      jdk.jfr.consumer.RecordedEvent change = (jdk.jfr.consumer.RecordedEvent) entry[1];
      long start = nanos(change.getStartTime());
      long end = nanos(change.getEndTime());
      long thread = change.getThread().getJavaThreadId();
      long waited = 0;
      java.util.Map<String, Integer> samples = new java.util.HashMap<>();
      for (jdk.jfr.consumer.RecordedEvent other : waitsAndSamples) {
        boolean sample = other.getEventType().getName().equals("jdk.ExecutionSample");
        jdk.jfr.consumer.RecordedThread on = sample ? other.getThread("sampledThread") : other.getThread();
        if (on == null || on.getJavaThreadId() != thread) {
          continue;
        }
        long otherStart = nanos(other.getStartTime());
        if (sample && otherStart >= start && otherStart < end && !other.getStackTrace().getFrames().isEmpty()) {
          samples.merge(catalogFrame(other.getStackTrace()), 1, Integer::sum);
        } else if (!sample) {
          waited += Math.max(0, Math.min(end, nanos(other.getEndTime())) - Math.max(start, otherStart));
        }
      }
      String where = samples.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
          .map(e -> e.getKey() + " (" + e.getValue() + " of " + samples.values().stream().mapToInt(Integer::intValue).sum()
              + " samples)")
          .orElse("no sample");
      System.out.printf(Locale.ROOT, "  change %d, a %s: %.3f ms outside safepoints, %.3f ms of CPU, %.3f ms parked or"
              + " waiting, %.3f ms without a sample of any thread; its samples mostly in %s%n",
          change.getLong("index"), change.getString("kind"), (Long) entry[0] / 1e6, change.getLong("cpu") / 1e6,
          waited / 1e6, longestGap(sampled, start, end) / 1e6, where);
    }
  }

  /** The longest stretch of [{@code start}, {@code end}) with none of the sorted {@code times} in it. */
  private static long longestGap(long[] times, long start, long end) {
    int at = java.util.Arrays.binarySearch(times, start);
    at = at >= 0 ? at : -at - 1;
    long longest = 0;
    long last = start;
    for (; at < times.length && times[at] < end; at++) {
      longest = Math.max(longest, times[at] - last);
      last = times[at];
    }
    return Math.max(longest, end - last);
  }

  /** The nanoseconds of [{@code start}, {@code end}) that fall in {@code intervals} (sorted by start, not overlapping). */
  private static long overlap(List<long[]> intervals, long start, long end) {
    long within = 0;
    for (long[] interval : intervals) {
      if (interval[0] >= end) {
        break;
      }
      within += Math.max(0, Math.min(end, interval[1]) - Math.max(start, interval[0]));
    }
    return within;
  }

  /** The innermost frame of {@code stack} in the library ({@code io.csbs} but the benchmarks), or its top frame. */
  private static String catalogFrame(jdk.jfr.consumer.RecordedStackTrace stack) {
    for (jdk.jfr.consumer.RecordedFrame frame : stack.getFrames()) {
      String type = frame.getMethod().getType().getName();
      if (type.startsWith("io.csbs.") && !type.startsWith("io.csbs.benchmarks.")) {
        return type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
      }
    }
    jdk.jfr.consumer.RecordedFrame top = stack.getFrames().get(0);
    return top.getMethod().getType().getName() + "." + top.getMethod().getName();
  }

  private static long nanos(java.time.Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }
}
