package io.csbs.server;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The executor of the server's calls: the builder's (or the server's own pool), with a call it refuses
 * (a full queue, a shut-down pool) run on the JDK server's dispatcher thread, marked refused, so that
 * the API answers it 503 at once instead of the JDK server closing the connection without an answer.
 * The dispatcher runs such a call as the JDK server runs every call when it has no executor.
 */
final class CallExecutor implements Executor {
  private static final ThreadLocal<Boolean> REFUSED = new ThreadLocal<>();

  private final Executor executor;

  CallExecutor(Executor executor) {
    this.executor = executor;
  }

  /** Whether the call running on this thread is one the executor refused. */
  static boolean refused() {
    return REFUSED.get() != null;
  }

  @Override
  public void execute(Runnable call) {
    try {
      executor.execute(call);
    } catch (RejectedExecutionException e) {
      REFUSED.set(Boolean.TRUE);
      try {
        call.run();
      } finally {
        REFUSED.remove();
      }
    }
  }

  @Override
  public String toString() {
    return executor.toString();
  }
}
