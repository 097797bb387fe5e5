package io.csbs.catalog;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one project's shard counts about itself, cheap enough to keep always: its reorganisations
 * (how many, how long in all and at most, and the longest hold of the write lock for a swap) and the
 * waits for its lock. Reorganisations are rare and update under a monitor; lock waits are counted
 * only when a lock was not free at once.
 */
final class ShardStats {
  private long reorganisations;
  private long reorganisationNanos;
  private long longestReorganisationNanos;
  private long longestSwapNanos;
  private final LongAdder lockWaits = new LongAdder();
  private final LongAdder lockWaitNanos = new LongAdder();

  synchronized void reorganised(long nanos, long swapNanos) {
    reorganisations++;
    reorganisationNanos += nanos;
    longestReorganisationNanos = Math.max(longestReorganisationNanos, nanos);
    longestSwapNanos = Math.max(longestSwapNanos, swapNanos);
  }

  void waitedForLock(long nanos) {
    lockWaits.increment();
    lockWaitNanos.add(nanos);
  }

  synchronized long reorganisations() {
    return reorganisations;
  }

  synchronized long reorganisationNanos() {
    return reorganisationNanos;
  }

  synchronized long longestReorganisationNanos() {
    return longestReorganisationNanos;
  }

  synchronized long longestSwapNanos() {
    return longestSwapNanos;
  }

  long lockWaits() {
    return lockWaits.sum();
  }

  long lockWaitNanos() {
    return lockWaitNanos.sum();
  }
}
