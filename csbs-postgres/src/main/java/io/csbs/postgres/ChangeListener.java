package io.csbs.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Listens to the database's change notifications ({@code LISTEN csbs_change}) on a connection of
 * its own and wakes the feed readers and replicas of this process when another instance commits a
 * change. Only a wake-up: notifications are lost while the connection is down, so readers poll too.
 */
final class ChangeListener {
  private static final System.Logger LOG = System.getLogger(ChangeListener.class.getName());
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final DataSource dataSource;
  private final Runnable wake;
  private final Thread thread;
  private volatile boolean stopped;

  ChangeListener(DataSource dataSource, Runnable wake) {
    this.dataSource = dataSource;
    this.wake = wake;
    this.thread = new Thread(this::run, "csbs-listen-" + THREADS.incrementAndGet());
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void stop() {
    stopped = true;
    thread.interrupt();
  }

  private void run() {
    long pauseMillis = 100;
    while (!stopped) {
      try (Connection listening = dataSource.getConnection()) {
        PGConnection postgres = listening.unwrap(PGConnection.class);
        boolean autoCommit = listening.getAutoCommit();
        // LISTEN takes effect when its transaction commits: on a pool's connection without
        // auto-commit it would sit in a transaction never committed, hearing nothing
        listening.setAutoCommit(true);
        try {
          try (Statement statement = listening.createStatement()) {
            statement.execute("LISTEN " + PostgresCatalog.CHANNEL);
          }
          pauseMillis = 100;
          wake.run();   // changes may have come while nobody listened
          while (!stopped) {
            PGNotification[] notifications = postgres.getNotifications(500);
            if (notifications != null && notifications.length > 0) {
              wake.run();
            }
          }
        } finally {
          giveBack(listening, postgres, autoCommit);
        }
      } catch (SQLException | RuntimeException e) {
        if (stopped) {
          return;
        }
        LOG.log(System.Logger.Level.DEBUG, "change notifications: connection lost; readers poll meanwhile", e);
        try {
          Thread.sleep(pauseMillis);
        } catch (InterruptedException interrupted) {
          return;
        }
        pauseMillis = Math.min(10_000, pauseMillis * 2);
      }
    }
  }

  /**
   * Leaves the connection as the pool lent it: listening to nothing (else its next borrower would
   * collect this channel's notifications) and in its auto-commit mode. Quietly: a connection that
   * broke is the pool's to drop.
   */
  private static void giveBack(Connection listening, PGConnection postgres, boolean autoCommit) {
    boolean interrupted = Thread.interrupted();   // stop() interrupts; the statement must still run
    try (Statement statement = listening.createStatement()) {
      statement.execute("UNLISTEN " + PostgresCatalog.CHANNEL);
      postgres.getNotifications();   // and those received, not read
      listening.setAutoCommit(autoCommit);
    } catch (SQLException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "change notifications: could not stop listening; the pool drops the connection", e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
