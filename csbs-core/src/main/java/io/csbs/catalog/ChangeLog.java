package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.Transition;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Optional;
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

  private final Object recording = new Object();
  /**
   * The subscriptions a change recorded now goes to; replaced (never changed in place) under {@link
   * #recording}, so that each recorded change keeps the array of its commit: a subscription gets
   * exactly the changes recorded after it was made, without a gap, until it is cancelled.
   */
  private volatile Receiver[] receivers = new Receiver[0];
  /** Guarded by {@link #recording}: each recorded change with the subscriptions it goes to. */
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final ReentrantLock delivering = new ReentrantLock();
  /** The size of {@link #pending}, readable without the lock: most writes have nothing to deliver. */
  private volatile int pendingCount;

  Subscription subscribe(Consumer<Change> subscriber) {
    Receiver receiver = new Receiver(subscriber);
    synchronized (recording) {
      Receiver[] now = receivers;
      Receiver[] more = Arrays.copyOf(now, now.length + 1);
      more[now.length] = receiver;
      receivers = more;
    }
    return receiver;
  }

  /** Whether any subscriber would be handed a change recorded now. */
  boolean listening() {
    return receivers.length > 0;
  }

  /**
   * Records a committed change numbered {@code sequence} in its project; called with the project's
   * write lock held.
   */
  void record(long sequence, String projectId, String backupId, Backup before, Backup after, Transition transition) {
    if (receivers.length == 0) {
      return;
    }
    record(new Change(sequence, projectId, backupId,
        Optional.ofNullable(before), Optional.ofNullable(after), Optional.ofNullable(transition)));
  }

  /** Records a committed change as it is; called with the project's write lock held. */
  void record(Change change) {
    if (receivers.length == 0) {
      return;
    }
    synchronized (recording) {
      Receiver[] to = receivers;
      if (to.length > 0) {
        pending.add(new Pending(change, to));
        pendingCount = pending.size();
      }
    }
  }

  /** Delivers the recorded changes unless another thread is at it; called after the lock is released. */
  void deliver() {
    if (delivering.isHeldByCurrentThread()) {
      return;  // a change made by a subscriber: the drain running on this thread delivers it next, in order
    }
    while (hasPending() && delivering.tryLock()) {
      try {
        Pending next;
        while ((next = next()) != null) {
          for (Receiver receiver : next.to) {
            if (receiver.cancelled) {
              continue;
            }
            try {
              receiver.subscriber.accept(next.change);
            } catch (RuntimeException | Error e) {
              // an Error too (a failed assertion): thrown on, it reached the writer after its change was
              // committed, and the subscribers after this one never got the change
              LOG.log(Level.WARNING, "subscriber " + receiver.subscriber + " failed on change " + next.change, e);
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

  private Pending next() {
    synchronized (recording) {
      Pending next = pending.poll();
      pendingCount = pending.size();
      return next;
    }
  }

  /** A recorded change and the subscriptions there were when it was recorded. */
  private record Pending(Change change, Receiver[] to) {}

  /**
   * One subscription, told apart by identity: the same consumer subscribed twice is two
   * subscriptions, and cancelling one (once or many times) leaves the other.
   */
  private final class Receiver implements Subscription {
    final Consumer<Change> subscriber;
    volatile boolean cancelled;

    Receiver(Consumer<Change> subscriber) {
      this.subscriber = subscriber;
    }

    @Override
    public void cancel() {
      cancelled = true;
      synchronized (recording) {
        Receiver[] now = receivers;
        for (int i = 0; i < now.length; i++) {
          if (now[i] == this) {
            Receiver[] fewer = new Receiver[now.length - 1];
            System.arraycopy(now, 0, fewer, 0, i);
            System.arraycopy(now, i + 1, fewer, i, now.length - i - 1);
            receivers = fewer;
            return;
          }
        }
      }
    }

    @Override
    public String toString() {
      return "Subscription{" + subscriber + (cancelled ? ", cancelled}" : "}");
    }
  }
}
