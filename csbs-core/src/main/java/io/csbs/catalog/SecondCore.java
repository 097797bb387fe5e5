package io.csbs.catalog;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Two parts of one piece of work, one on the calling thread and one on the common pool beside it,
 * where the caller may hold a shard's lock: the bulk load's text indexes beside its rows (under the
 * write lock), a first sort by name's reading and sorting of the names (under a reader's lock), and
 * (before the locks) a large batch's check for repeated ids beside its sort.
 *
 * <p>The caller never waits for a part that has not started. The pool's only thread on a machine of
 * two cores may be running a task of the service's own (a {@code CompletableFuture.supplyAsync}, a
 * parallel stream) that waits for the very lock the caller holds; a plain {@code join()} then waits
 * for ever once another thread's submission lies on top of the part in the pool's queue, where the
 * caller can no longer take it back (a test that holds every pool thread and submits beside a build
 * timed out so). Here whichever thread claims the pool's part first runs it: the pool's thread, if
 * it comes to it before the caller is done with its own; else the caller, after its own.
 *
 * <p>Work that runs beside the service's own threads (a reorganisation, on its background thread)
 * runs {@linkplain #alone alone}: both parts on its thread, one after the other, so that it takes
 * one core and leaves the other to the readers and writers it runs beside.
 *
 * <pre>{@code
 * SecondCore.run(() -> indexRows(), () -> indexTexts());  // both done when it returns
 * SecondCore.alone(() -> build());                        // every run inside it on this thread
 * }</pre>
 */
final class SecondCore {
  /** Whether {@link #run} runs both parts on the calling thread: inside {@link #alone}. */
  private static final ThreadLocal<Boolean> ALONE = ThreadLocal.withInitial(() -> Boolean.FALSE);

  private SecondCore() {}

  /**
   * Runs {@code work} with every {@link #run} inside it on this thread alone, {@code here} then
   * {@code beside}. Why: on a machine of two cores a reorganisation that built its texts on the
   * common pool took both cores for a second or more at 1M, and the threads it runs beside (a writer
   * importing backups, the searches) lost one of theirs: the writer ran at half its speed.
   */
  static void alone(Runnable work) {
    if (ALONE.get()) {
      work.run();
      return;
    }
    ALONE.set(Boolean.TRUE);
    try {
      work.run();
    } finally {
      ALONE.set(Boolean.FALSE);
    }
  }

  /**
   * Runs {@code here} on this thread and {@code beside} on the common pool at the same time, or
   * {@code beside} here too, after {@code here}, if no pool thread has started it by then; returns
   * when both are done, their writes seen here. If {@code here} throws, {@code beside} is not started
   * any more, one already running is waited for (it may read what the caller's lock guards), and the
   * exception goes on; an exception of {@code beside} is thrown here (from a pool thread as {@link
   * ForkJoinTask#join()} throws it: maybe a copy of its type whose cause it is).
   */
  static void run(Runnable here, Runnable beside) {
    if (ALONE.get()) {
      here.run();  // if it throws, beside is not run, as when no pool thread started it
      beside.run();
      return;
    }
    AtomicBoolean claimed = new AtomicBoolean();
    ForkJoinTask<?> task = ForkJoinPool.commonPool().submit(() -> {
      if (claimed.compareAndSet(false, true)) {
        beside.run();
      }
    });
    boolean ran = false;
    try {
      here.run();
      ran = true;
    } finally {
      if (claimed.compareAndSet(false, true)) {
        if (ran) {
          beside.run();  // not started: it runs here
        }
      } else if (ran) {
        task.join();  // started: it ends without waiting for anything
      } else {
        task.quietlyJoin();  // started: it reads under the caller's lock, which must outlast it
      }
    }
  }
}
