package io.csbs.catalog;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A shard's read-write lock that also counts the holds of its write lock, so that a short search
 * can read without taking the lock at all and then check that no change came in meanwhile (the
 * optimistic read of {@link java.util.concurrent.locks.StampedLock}, here beside a lock that keeps
 * its reentrancy and hold counts). The count is odd while a writer holds the lock and even
 * otherwise; every acquisition of the write lock goes through {@link #writeLock()}, whichever of its
 * methods takes it, so that no change can slip past the count.
 *
 * <p>A reader takes a {@link #stamp()}, reads, and trusts what it read only if {@link
 * #unchangedSince} the stamp; what it read meanwhile may be any mix of states (it must not act on
 * it, and must expect an exception from it), exactly as with {@code StampedLock}.
 *
 * <pre>{@code
 * long stamp = lock.stamp();
 * if (ShardLock.free(stamp)) {
 *   int count = shard.liveCount();
 *   if (lock.unchangedSince(stamp)) {
 *     return count;  // a count of one state: no writer held the lock in between
 *   }
 * }
 * }</pre>
 */
final class ShardLock extends ReentrantReadWriteLock {
  private static final long serialVersionUID = 1L;
  private static final VarHandle WRITES;

  static {
    try {
      WRITES = MethodHandles.lookup().findVarHandle(ShardLock.class, "writes", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Twice the holds of the write lock that ended, plus one while a writer holds it. */
  @SuppressWarnings("unused")  // through WRITES
  private volatile long writes;
  private final CountedWriteLock writeLock = new CountedWriteLock(this);

  @Override
  public ReentrantReadWriteLock.WriteLock writeLock() {
    return writeLock;
  }

  /** The count of write holds now: {@linkplain #free free} when no writer holds the lock. */
  long stamp() {
    return (long) WRITES.getAcquire(this);
  }

  /** Whether {@code stamp} was taken while no writer held the lock. */
  static boolean free(long stamp) {
    return (stamp & 1) == 0;
  }

  /**
   * How many holds of the write lock began between stamp {@code from}, a {@linkplain #free free}
   * one, and stamp {@code to}, taken later: counting the one under way at {@code to}, if any.
   */
  static long changesSince(long from, long to) {
    return (to - from + 1) / 2;
  }

  /**
   * Whether no writer has taken the lock since {@code stamp}, a {@linkplain #free free} one, was
   * taken: then every read between the two saw the state of that moment. The fence keeps those
   * reads before the count's.
   */
  boolean unchangedSince(long stamp) {
    VarHandle.acquireFence();
    return (long) WRITES.getAcquire(this) == stamp;
  }

  /** The write lock, counting each outermost hold: odd from its start (before any write), even after. */
  private static final class CountedWriteLock extends ReentrantReadWriteLock.WriteLock {
    private static final long serialVersionUID = 1L;
    private final ShardLock owner;

    CountedWriteLock(ShardLock owner) {
      super(owner);
      this.owner = owner;
    }

    @Override
    public void lock() {
      super.lock();
      entered();
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
      super.lockInterruptibly();
      entered();
    }

    @Override
    public boolean tryLock() {
      if (super.tryLock()) {
        entered();
        return true;
      }
      return false;
    }

    @Override
    public boolean tryLock(long timeout, TimeUnit unit) throws InterruptedException {
      if (super.tryLock(timeout, unit)) {
        entered();
        return true;
      }
      return false;
    }

    @Override
    public void unlock() {
      if (getHoldCount() == 1) {
        // the writes of this hold come before the count turns even (a release store): a reader that
        // sees it even again sees them
        WRITES.setRelease(owner, (long) WRITES.get(owner) + 1);
      }
      super.unlock();
    }

    private void entered() {
      if (getHoldCount() == 1) {
        // a volatile read-modify-write: the writes that follow cannot be seen before the count is odd
        WRITES.getAndAdd(owner, 1L);
      }
    }
  }
}
