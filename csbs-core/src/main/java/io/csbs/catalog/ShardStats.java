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
  /** Written under the shard's write lock only, so a plain maximum suffices. */
  private volatile long longestChangeHoldNanos;
  private final LongAdder lockWaits = new LongAdder();
  private final LongAdder lockWaitNanos = new LongAdder();

  synchronized void reorganised(long nanos, long swapNanos) {
    reorganisations++;
    reorganisationNanos += nanos;
    longestReorganisationNanos = Math.max(longestReorganisationNanos, nanos);
    longestSwapNanos = Math.max(longestSwapNanos, swapNanos);
  }

  /** A single change held the write lock for {@code nanos}; the caller still holds it. */
  void heldForChange(long nanos) {
    if (nanos > longestChangeHoldNanos) {
      longestChangeHoldNanos = nanos;
    }
  }

  long longestChangeHoldNanos() {
    return longestChangeHoldNanos;
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
