package io.csbs.postgres;

import io.csbs.catalog.Change;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The thread of one subscription to a {@link PostgresCatalog}'s change feed: it polls the projects'
 * heads, reads the changes after its position in each project from the change table, and hands them
 * to the subscriber in order, moving its position only past changes the subscriber accepted. A
 * notification or a commit of this process wakes it early; the poll interval bounds the wait when
 * notifications are lost.
 */
final class FeedReader {
  private static final System.Logger LOG = System.getLogger(FeedReader.class.getName());
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final int BATCH = 500;
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
  private static final Duration LAST_BACKOFF = Duration.ofSeconds(10);

  private final PostgresCatalog catalog;
  /** The last sequence delivered, per project; only the reader's thread touches it. */
  private final Map<String, Long> positions;
  private final Consumer<Change> subscriber;
  private final Map<String, Long> retryAfter = new HashMap<>();
  private final Map<String, Duration> backoff = new HashMap<>();
  private final Thread thread;
  private final Object signal = new Object();
  private boolean woken;
  private volatile boolean cancelled;

  FeedReader(PostgresCatalog catalog, Map<String, Long> positions, Consumer<Change> subscriber) {
    this.catalog = catalog;
    this.positions = new HashMap<>(positions);
    this.subscriber = subscriber;
    this.thread = new Thread(this::run, "csbs-feed-" + THREADS.incrementAndGet());
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void wake() {
    synchronized (signal) {
      woken = true;
      signal.notifyAll();
    }
  }

  void cancel() {
    cancelled = true;
    wake();
  }

  private void run() {
    Duration failures = Duration.ZERO;
    while (!cancelled) {
      try {
        round();
        failures = Duration.ZERO;
        await(catalog.pollInterval().toMillis());
      } catch (RuntimeException e) {
        // the database is away: keep the positions and try again, more slowly each time
        failures = failures.isZero() ? FIRST_BACKOFF : min(failures.multipliedBy(2), LAST_BACKOFF);
        LOG.log(System.Logger.Level.WARNING, "change feed: cannot read the changes; retrying in " + failures, e);
        await(failures.toMillis());
      }
    }
  }

  /** Delivers every change after the positions, project by project. */
  private void round() {
    long now = System.nanoTime();
    for (PostgresCatalog.ProjectState project : catalog.projects()) {
      String projectId = project.projectId();
      long position = positions.getOrDefault(projectId, 0L);
      Long waitUntil = retryAfter.get(projectId);
      if (project.lastSequence() <= position || (waitUntil != null && now - waitUntil < 0)) {
        continue;
      }
      try {
        deliver(projectId, position);
      } catch (CatalogDatabaseException e) {
        throw e;  // the database is away: every project waits, in run()
      } catch (RuntimeException e) {
        // a change this version cannot read (a row written by another version, mended by hand):
        // this project waits and tries again, the others go on
        Duration pause = pauseProject(projectId);
        LOG.log(System.Logger.Level.WARNING, "change feed: cannot read the changes of " + projectId
            + " after " + positions.getOrDefault(projectId, 0L) + "; the other projects go on, it is tried again in " + pause, e);
      }
      if (cancelled) {
        return;
      }
    }
  }

  /** Holds the project back, twice as long as last time (up to {@link #LAST_BACKOFF}); returns for how long. */
  private Duration pauseProject(String projectId) {
    Duration pause = backoff.containsKey(projectId) ? min(backoff.get(projectId).multipliedBy(2), LAST_BACKOFF)
        : FIRST_BACKOFF;
    backoff.put(projectId, pause);
    retryAfter.put(projectId, System.nanoTime() + pause.toNanos());
    return pause;
  }

  private void deliver(String projectId, long position) {
    while (!cancelled) {
      List<Change> changes = catalog.changes(projectId, position, BATCH);
      if (changes.isEmpty()) {
        return;
      }
      for (Change change : changes) {
        if (cancelled) {
          return;
        }
        try {
          subscriber.accept(change);
        } catch (RuntimeException | Error e) {
          Thread.interrupted();  // see below
          // an Error too (a failed assertion, a stack overflow): it gets the change again, where it
          // ended this thread before, and with it the delivery of every later change
          Duration pause = pauseProject(projectId);
          LOG.log(System.Logger.Level.WARNING, "subscriber " + subscriber + " failed on change " + change
              + "; it gets it again in " + pause, e);
          return;
        }
        // a subscriber that caught an InterruptedException and restored the interrupt, as the idiom
        // goes, must not end this thread: only cancel and close stop it (nothing else interrupts it)
        Thread.interrupted();
        backoff.remove(projectId);
        retryAfter.remove(projectId);
        position = change.sequence();
        positions.put(projectId, position);
      }
    }
  }

  private void await(long millis) {
    synchronized (signal) {
      if (!woken && !cancelled) {
        try {
          signal.wait(Math.max(1, millis));
        } catch (InterruptedException e) {
          // not a cancellation (cancel sets the flag and wakes the thread): an interrupt left by a
          // subscriber; the loop goes on unless cancelled
        }
      }
      woken = false;
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
