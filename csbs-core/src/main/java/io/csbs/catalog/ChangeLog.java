package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.Transition;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Hands the committed changes of a catalog to its subscribers in commit order, each once. A writer
 * records its change, numbered with its project's sequence, while it still holds its project's lock,
 * so that the order of the records follows the commit order of each project; it delivers after
 * releasing it. Delivery is done by whichever writer finds no delivery running: it drains every
 * recorded change, in order, so that a subscriber never sees a change before one recorded earlier
 * and is never called by two threads at once. A subscriber that throws is reported and keeps its
 * subscription; the catalog is unaffected, since its changes were committed before delivery.
 *
 * <p>A change a subscriber makes while it is being delivered a change is recorded like any other and
 * delivered by the drain already running on its thread, after the current change has reached every
 * subscriber: never nested inside that delivery, where the subscribers not yet called would see it
 * before the change that came first.
 */
final class ChangeLog {
  private static final System.Logger LOG = System.getLogger(ChangeLog.class.getName());

  private final CopyOnWriteArrayList<Consumer<Change>> subscribers = new CopyOnWriteArrayList<>();
  private final Object recording = new Object();
  private final ArrayDeque<Change> pending = new ArrayDeque<>();
  private final ReentrantLock delivering = new ReentrantLock();
  /** The size of {@link #pending}, readable without the lock: most writes have nothing to deliver. */
  private volatile int pendingCount;

  Subscription subscribe(Consumer<Change> subscriber) {
    subscribers.add(subscriber);
    return () -> subscribers.remove(subscriber);
  }

  /** Whether any subscriber would be handed a change recorded now. */
  boolean listening() {
    return !subscribers.isEmpty();
  }

  /**
   * Records a committed change numbered {@code sequence} in its project; called with the project's
   * write lock held.
   */
  void record(long sequence, String projectId, String backupId, Backup before, Backup after, Transition transition) {
    if (subscribers.isEmpty()) {
      return;
    }
    record(new Change(sequence, projectId, backupId,
        Optional.ofNullable(before), Optional.ofNullable(after), Optional.ofNullable(transition)));
  }

  /** Records a committed change as it is; called with the project's write lock held. */
  void record(Change change) {
    if (subscribers.isEmpty()) {
      return;
    }
    synchronized (recording) {
      pending.add(change);
      pendingCount = pending.size();
    }
  }

  /** Delivers the recorded changes unless another thread is at it; called after the lock is released. */
  void deliver() {
    if (delivering.isHeldByCurrentThread()) {
      return;  // a change made by a subscriber: the drain running on this thread delivers it next, in order
    }
    while (hasPending() && delivering.tryLock()) {
      try {
        Change change;
        while ((change = next()) != null) {
          for (Consumer<Change> subscriber : subscribers) {
            try {
              subscriber.accept(change);
            } catch (RuntimeException | Error e) {
              // an Error too (a failed assertion): thrown on, it reached the writer after its change was
              // committed, and the subscribers after this one never got the change
              LOG.log(Level.WARNING, "subscriber " + subscriber + " failed on change " + change, e);
            }
          }
        }
      } finally {
        delivering.unlock();
      }
      // a change recorded after the last poll and before the unlock is drained by the next turn
    }
  }

  private boolean hasPending() {
    return pendingCount > 0;
  }

  private Change next() {
    synchronized (recording) {
      Change change = pending.poll();
      pendingCount = pending.size();
      return change;
    }
  }
}
