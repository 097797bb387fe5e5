package io.csbs.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * How long this machine takes a running thread away, with no catalog at all: {@code args[0]}
 * threads (2) spin for {@code args[1]} seconds (30) on {@link System#nanoTime()}, allocating nothing,
 * and each prints the longest gap between two readings a few nanoseconds of work apart, how many
 * gaps were over 1 ms and over 10 ms, and the most CPU time its clock counted between two checks
 * 1,024 readings apart (microseconds of work). On a virtual machine whose host deschedules it, the
 * gaps are the host's, and the thread's CPU clock may count them: what {@link LockHoldReport} shows
 * as the longest CPU time of a change is then partly the machine's. Run it on the machine before
 * reading that report.
 *
 * <p>Run: {@code java -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.StallProbe 2 30}
 */
public final class StallProbe {
  private StallProbe() {}

  /** Prints one line a thread; see the class comment for the arguments. */
  public static void main(String[] args) throws InterruptedException {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    long seconds = args.length > 1 ? Long.parseLong(args[1]) : 30;
    long[][] results = new long[threads][];
    Thread[] spinners = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int index = t;
      spinners[t] = new Thread(() -> results[index] = spin(seconds), "stall-probe-" + t);
      spinners[t].start();
    }
    for (Thread spinner : spinners) {
      spinner.join();
    }
    for (long[] result : results) {
      System.out.printf(Locale.ROOT,
          "longest gap %.2f ms, gaps over 1 ms %d, over 10 ms %d, most CPU time between two checks %.2f ms%n",
          result[0] / 1e6, result[1], result[2], result[3] / 1e6);
    }
  }

  /** Spins for {@code seconds}; returns the longest gap, the gaps over 1 and 10 ms, the most CPU between checks (ns). */
  private static long[] spin(long seconds) {
    ThreadMXBean cpuClock = ManagementFactory.getThreadMXBean();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long last = System.nanoTime();
    long lastCpu = cpuClock.getCurrentThreadCpuTime();
    long longestGap = 0;
    long overOne = 0;
    long overTen = 0;
    long mostCpu = 0;
    for (int i = 1; ; i++) {
      long now = System.nanoTime();
      long gap = now - last;
      longestGap = Math.max(longestGap, gap);
      overOne += gap > 1_000_000 ? 1 : 0;
      overTen += gap > 10_000_000 ? 1 : 0;
      last = now;
      if ((i & 1023) == 0) {
        long cpu = cpuClock.getCurrentThreadCpuTime();
        mostCpu = Math.max(mostCpu, cpu - lastCpu);
        lastCpu = cpu;
        last = System.nanoTime();  // the CPU clock's own read is not a gap of the machine's
        if (now > end) {
          return new long[] {longestGap, overOne, overTen, mostCpu};
        }
      }
    }
  }
}
