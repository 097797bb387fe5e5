package io.csbs.catalog;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where shards reorganise by default: one daemon thread for every catalog of the process, started on
 * the first reorganisation and ended after a minute without one. One thread, whose build hands
 * nothing to the common pool ({@link SecondCore#alone}), leaves the other core to the readers and
 * writers; a reorganisation holds no lock while it sorts and indexes, so it may
 * take its time.
 */
final class Reorganiser {
  static final Executor BACKGROUND = newBackground("csbs-reorganiser");

  private Reorganiser() {}

  /**
   * A reorganiser like {@link #BACKGROUND}, of its own, whose thread is named {@code threadName}
   * (tests whose timing another catalog's work would upset: a name of their own, so that the
   * process's one {@code csbs-reorganiser} thread stays the only one of that name).
   */
  static Executor newBackground(String threadName) {
    ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        task -> {
          Thread thread = new Thread(task, threadName);
          thread.setDaemon(true);
          return thread;
        });
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }
}
