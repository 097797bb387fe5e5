package io.csbs.benchmarks;

import io.csbs.catalog.Catalogs;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * The implementations of {@link BacklistEngine} that compete in a benchmark, chosen by a JMH
 * {@code @Param}.
 */
public enum Engine {
  /** csbs: {@code Catalogs.indexed} on a clock fixed at {@code now}. */
  CSBS {
    @Override
    public BacklistEngine create(Instant now) {
      return new CsbsEngine(Catalogs.indexed(Clock.fixed(now, ZoneOffset.UTC)));
    }
  },
  /**
   * The plain reference: a {@code List<Backup>} per project and {@code
   * stream().filter().sorted().skip().limit()}, plus a second pass that counts.
   */
  SCAN {
    @Override
    public BacklistEngine create(Instant now) {
      return new ScanEngine(now);
    }
  },
  /**
   * CQEngine 3.6.0: an {@code IndexedCollection} per project with hash indexes on status, tags
   * ({@code key=value}), server id, a navigable index on the creation time and a unique index on the
   * id; its default ordering strategy (retrieve all matches, then sort them).
   */
  CQENGINE {
    @Override
    public BacklistEngine create(Instant now) {
      return new CqEngine(now, false);
    }
  },
  /**
   * The same collection, queried with {@code INDEX_ORDERING_SELECTIVITY} 1.0: it walks the creation
   * time index in the page's order and filters each backup until the page is full.
   */
  CQENGINE_INDEX_ORDERING {
    @Override
    public BacklistEngine create(Instant now) {
      return new CqEngine(now, true);
    }
  },

  /**
   * csbs's {@code PostgresCatalog} on PostgreSQL (a HikariCP pool; see {@link BenchDatabase} for the
   * database): every page and count is one SQL statement.
   */
  POSTGRES {
    @Override
    public BacklistEngine create(Instant now) {
      return new PostgresEngine(now, false);
    }
  },
  /** A {@code PostgresReplica} of that catalog: loaded from the database, answering from memory. */
  POSTGRES_REPLICA {
    @Override
    public BacklistEngine create(Instant now) {
      return new PostgresEngine(now, true);
    }
  };

  /** A new, empty engine whose "now" (relative windows, stalled jobs) is {@code now}. */
  public abstract BacklistEngine create(Instant now);
}
