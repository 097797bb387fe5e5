package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The write lock's count: odd while held, one hold per outermost acquisition by any method. */
class ShardLockTest {
  @Test
  void everyWayOfTakingTheWriteLockCountsOneChange() throws Exception {
    ShardLock lock = new ShardLock();
    long before = lock.stamp();
    assertTrue(ShardLock.free(before));

    lock.writeLock().lock();
    long held = lock.stamp();
    assertFalse(ShardLock.free(held), "odd while a writer holds it");
    lock.writeLock().lock();  // reentrant: the same hold
    assertEquals(held, lock.stamp());
    lock.writeLock().unlock();
    assertEquals(held, lock.stamp(), "still held once");
    lock.writeLock().unlock();
    assertTrue(ShardLock.free(lock.stamp()));
    assertFalse(lock.unchangedSince(before));
    assertEquals(1, ShardLock.changesSince(before, lock.stamp()));

    assertTrue(lock.writeLock().tryLock());
    lock.writeLock().unlock();
    assertTrue(lock.writeLock().tryLock(1, TimeUnit.SECONDS));
    lock.writeLock().unlock();
    lock.writeLock().lockInterruptibly();
    assertEquals(4, ShardLock.changesSince(before, lock.stamp()), "three ended, one under way");
    lock.writeLock().unlock();
    assertEquals(4, ShardLock.changesSince(before, lock.stamp()));
  }

  @Test
  void readsLeaveTheCountAsItWas() {
    ShardLock lock = new ShardLock();
    long stamp = lock.stamp();
    lock.readLock().lock();
    lock.readLock().unlock();
    assertTrue(lock.unchangedSince(stamp));
    assertEquals(0, ShardLock.changesSince(stamp, lock.stamp()));
  }

  @Test
  void aWriteLockThatWasNotTakenCountsNothing() throws Exception {
    ShardLock lock = new ShardLock();
    lock.readLock().lock();
    long stamp = lock.stamp();
    boolean[] taken = {true, true};
    Thread other = new Thread(() -> {
      taken[0] = lock.writeLock().tryLock();
      try {
        taken[1] = lock.writeLock().tryLock(10, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    other.start();
    other.join(10_000);
    assertFalse(other.isAlive());
    assertFalse(taken[0], "tryLock() while a reader holds the lock");
    assertFalse(taken[1], "tryLock(timeout) while a reader holds the lock");
    lock.readLock().unlock();
    assertTrue(lock.unchangedSince(stamp));
  }
}
