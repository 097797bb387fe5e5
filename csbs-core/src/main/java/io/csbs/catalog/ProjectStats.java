package io.csbs.catalog;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.InvalidValueException;
import java.time.Duration;

/**
 * A snapshot of what the in-memory catalog counts about one project, in the spirit of Caffeine's
 * {@code CacheStats}: the project's backups, the estimated heap its indexes take, its
 * reorganisations (how many, how long, and the longest hold of the project's lock for the swap that
 * ends one), the longest hold of that lock by a single change, and the waits for it. Counting costs
 * a few nanoseconds a change, so it is always on; the snapshot depends on no metrics library, and a
 * service hands its numbers to its own (Micrometer gauges, a JMX bean, a log line). Taking one
 * walks the project's indexes for the bytes estimate, under its read lock (milliseconds at tens of
 * thousands of backups, tens of ms at hundreds of thousands: see {@link BackupCatalog#stats}), so a
 * service reads it every few seconds, not on every request.
 *
 * <p>A reorganisation lays a project's rows out again in creation order, without the backups that
 * arrived late or the removed ones, beside the readers: it runs on a background thread, and the
 * readers keep reading the previous state until the new one is swapped in. One becomes due when the
 * late or removed backups pass a fraction of the project's, or when the searches have spent about as
 * much on the late backups as a reorganisation costs (a catalog searched far more than written
 * settles into the layout of one loaded in creation order).
 *
 * <pre>{@code
 * ProjectStats stats = catalog.stats("project-1");
 * registry.gauge("csbs.backups", stats.backups());
 * registry.gauge("csbs.index.bytes", stats.estimatedIndexBytes());
 * if (stats.longestChangeHold().compareTo(Duration.ofMillis(1)) > 0) {
 *   log.warn("a change held project-1 for {}", stats.longestChangeHold());
 * }
 * }</pre>
 *
 * @param projectId the project
 * @param backups how many backups the project has
 * @param estimatedIndexBytes about the bytes of heap the project's rows and indexes take, not
 *     counting the backups themselves; estimated from the structures' sizes
 * @param reorganisations how many reorganisations of the project have completed
 * @param reorganisationTime how long they took in all, from start to swap
 * @param longestReorganisation the longest of them, from start to swap
 * @param longestSwap the longest hold of the project's write lock by the swap that ends a
 *     reorganisation (applying the changes made meanwhile that remain, then the swap itself)
 * @param longestChangeHold the longest hold of the project's write lock by one change (an add, a
 *     transition, a removal or a replayed change; not a batch, whose hold grows with its size)
 * @param lockWaits how many times a read or a change waited for the project's lock (a change also
 *     while a reorganisation's last catch-up holds writers off)
 * @param lockWaitTime how long they waited in all
 */
public record ProjectStats(
    String projectId,
    long backups,
    long estimatedIndexBytes,
    long reorganisations,
    Duration reorganisationTime,
    Duration longestReorganisation,
    Duration longestSwap,
    Duration longestChangeHold,
    long lockWaits,
    Duration lockWaitTime) {
  /**
   * Checks that nothing is null or negative and that the project id is not blank; not that the
   * fields agree with one another (a catalog's snapshot reads its counts one by one, beside the
   * changes that raise them).
   *
   * @param projectId the project
   * @param backups how many backups the project has
   * @param estimatedIndexBytes about the bytes of heap the project's rows and indexes take
   * @param reorganisations how many reorganisations of the project have completed
   * @param reorganisationTime how long they took in all
   * @param longestReorganisation the longest of them
   * @param longestSwap the longest hold of the project's write lock by the swap that ends one
   * @param longestChangeHold the longest hold of the project's write lock by one change
   * @param lockWaits how many times a read or a change waited for the project's lock (a change also
   *     while a reorganisation's last catch-up holds writers off)
   * @param lockWaitTime how long they waited in all
   * @throws InvalidValueException naming {@code project id} if it is blank, or naming the count or
   *     duration that is negative by its component's name ({@code backups}, {@code lockWaitTime}, ...)
   */
  public ProjectStats {
    IndexedCatalog.requireProject(projectId);
    requireNonNull(reorganisationTime, "reorganisationTime");
    requireNonNull(longestReorganisation, "longestReorganisation");
    requireNonNull(longestSwap, "longestSwap");
    requireNonNull(longestChangeHold, "longestChangeHold");
    requireNonNull(lockWaitTime, "lockWaitTime");
    requireNotNegative("backups", backups);
    requireNotNegative("estimatedIndexBytes", estimatedIndexBytes);
    requireNotNegative("reorganisations", reorganisations);
    requireNotNegative("reorganisationTime", reorganisationTime);
    requireNotNegative("longestReorganisation", longestReorganisation);
    requireNotNegative("longestSwap", longestSwap);
    requireNotNegative("longestChangeHold", longestChangeHold);
    requireNotNegative("lockWaits", lockWaits);
    requireNotNegative("lockWaitTime", lockWaitTime);
  }

  private static void requireNotNegative(String field, long value) {
    if (value < 0) {
      throw new InvalidValueException(field, value, "must not be negative");
    }
  }

  private static void requireNotNegative(String field, Duration value) {
    if (value.isNegative()) {
      throw new InvalidValueException(field, value, "must not be negative");
    }
  }

  /** {@return the estimated bytes of index a backup: 0 for a project without backups} */
  public double indexBytesPerBackup() {
    return backups == 0 ? 0 : estimatedIndexBytes / (double) backups;
  }
}
