package io.csbs.catalog;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The nanosecond clock of a catalog's pauses in tests (its {@code nanoTime}): it stands still but
 * when the test moves {@link #now}, or while it is busy (a bulk load, or a reorganisation run
 * inline by the {@link #inline()} executor), when each reading moves it on by {@code step}, so that
 * those seem to take a while.
 *
 * <pre>{@code
 * PaceTicker ticker = new PaceTicker(1_000);
 * IndexedCatalog catalog = new IndexedCatalog(clock, StallRule.DEFAULT, 64, ticker.inline(), ProjectShard.WRITERS_PAUSE, ticker);
 * ticker.busyDuring(() -> catalog.addAll(backups));  // a load that seems to take a while
 * ticker.now.addAndGet(1_000_000_000L);              // a second passes
 * }</pre>
 */
final class PaceTicker implements LongSupplier {
  final AtomicLong now = new AtomicLong();
  private final AtomicBoolean busy = new AtomicBoolean();
  private final long step;

  PaceTicker(long step) {
    this.step = step;
  }

  @Override
  public long getAsLong() {
    return busy.get() ? now.addAndGet(step) : now.get();
  }

  /** Runs each task at once, busy meanwhile. */
  Executor inline() {
    return this::busyDuring;
  }

  void busyDuring(Runnable task) {
    busy.set(true);
    try {
      task.run();
    } finally {
      busy.set(false);
    }
  }
}
