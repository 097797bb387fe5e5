package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A project's space usage kept current with every change: per server the number of backups and
 * their size, in a map and in a set ordered largest first, and the project's totals. A change costs
 * a map lookup: it updates the server's totals and marks it, and the next report re-places the
 * marked servers in the ordered set (logarithmic in the number of servers, each), then reads its
 * first servers. Re-placing on every change cost two tree searches of the servers a change, a third
 * of an add's time at 20,000 servers. Every live backup counts, whatever its state.
 *
 * <p>Reports run under the shard's read lock, several at once, so re-placing is synchronized on
 * the index; changes run under the write lock, never beside a report.
 */
final class UsageIndex {
  /** Largest capacity first, then more backups, then server id: a total order. */
  static final Comparator<Total> LARGEST_FIRST = Comparator.comparingLong((Total t) -> -t.sizeMb)
      .thenComparingLong(t -> -t.backups)
      .thenComparing(t -> t.serverId);
  /** {@link #LARGEST_FIRST} on the totals a server was placed in the ordered set with. */
  private static final Comparator<Total> AS_PLACED = Comparator.comparingLong((Total t) -> -t.placedSizeMb)
      .thenComparingLong(t -> -t.placedBackups)
      .thenComparing(t -> t.serverId);

  /**
   * One server's running totals; and, as a {@link ServerParts}, the parts its backups share, which
   * come and go with the totals.
   */
  static class Total extends ServerParts {
    final String serverId;
    long backups;
    long sizeMb;
    /** The totals the server is ordered by in {@link #largestFirst}; 0 backups while not in it. */
    long placedBackups;
    long placedSizeMb;
    /** Whether the totals changed since the server was last placed: it is in {@link #moved}. */
    boolean moved;

    Total(String serverId) {
      this.serverId = serverId;
    }
  }

  /** Per server; grows a slice at a time (100,000 servers at 5M backups). */
  private final GrowingMap<Total> byServer = new GrowingMap<>();
  private final TreeSet<Total> largestFirst = new TreeSet<>(AS_PLACED);
  /** The servers whose totals changed since they were placed in {@link #largestFirst}. */
  private final List<Total> moved = new ArrayList<>();
  /** How many totals in {@link #moved} are retired (no backups left): dropped from it past a quarter. */
  private int retiredInMoved;
  private long backups;
  private long sizeMb;
  /** The project's policy ids its backups share ({@link ServerParts}). */
  private final ServerParts.Policies policies = new ServerParts.Policies();

  /** About the bytes the totals take on the heap: a total (with its shared parts), a map node and a tree node a server. */
  long estimatedBytes() {
    return 96 + 48 + byServer.estimatedBytes() + byServer.size() * (80L + 40) + 16 + 4L * moved.size();
  }

  long backups() {
    return backups;
  }

  long sizeMb() {
    return sizeMb;
  }

  /** Counts {@code backup}, which the shard stores, and holds its parts for the server's next backups. */
  void add(Backup backup) {
    change(backup.server().id(), 1, backup.sizeMb()).hold(backup, policies);
  }

  /** Whether {@code serverId} has totals (a backup of it is counted); changes nothing. */
  boolean hasTotals(String serverId) {
    return byServer.get(serverId) != null;
  }

  /**
   * {@code backup}, or an equal copy holding the parts its server's backups share ({@link
   * ServerParts#share}); changes nothing.
   */
  Backup share(Backup backup) {
    Total total = byServer.get(backup.server().id());
    return (total == null ? ServerParts.NONE : total).share(backup, policies);
  }

  void remove(Backup backup) {
    change(backup.server().id(), -1, -backup.sizeMb());
  }

  /**
   * Adds many backups at once: {@link #addToTotals} for each, then {@link #placeAll()} once, instead
   * of re-placing a server in the order for each of its backups.
   */
  void addAll(Backup[] backups, int from, int to) {
    for (int i = from; i < to; i++) {
      addToTotals(backups[i]);
    }
    placeAll();
  }

  /**
   * Counts {@code backup} in its server's totals and the project's, leaving the largest-first order
   * as it was: for a batch, which ends with {@link #placeAll()}. A bulk load calls this in the loop
   * that indexes the backups' server texts, which reads each backup's server anyway.
   */
  void addToTotals(Backup backup) {
    Total total = byServer.get(backup.server().id());
    if (total == null) {
      total = new Total(backup.server().id());
      byServer.put(total.serverId, total);
    }
    // totals change under the ordered set's feet here: placeAll() rebuilds it from scratch
    total.hold(backup, policies);
    total.backups++;
    total.sizeMb += backup.sizeMb();
    this.backups++;
    this.sizeMb += backup.sizeMb();
  }

  /** Builds the largest-first order again from every server's totals: the end of a batch of {@link #addToTotals}. */
  void placeAll() {
    largestFirst.clear();
    for (Total total : moved) {
      total.moved = false;
    }
    moved.clear();
    retiredInMoved = 0;
    byServer.forEach((serverId, total) -> {
      total.placedBackups = total.backups;
      total.placedSizeMb = total.sizeMb;
      largestFirst.add(total);
    });
  }

  /** Changes {@code serverId}'s totals and the project's by the deltas; returns the server's total. */
  private Total change(String serverId, long backupsDelta, long sizeDelta) {
    Total total = byServer.get(serverId);
    if (total == null) {
      total = new Total(serverId);
      byServer.put(serverId, total);
    }
    total.backups += backupsDelta;
    total.sizeMb += sizeDelta;
    backups += backupsDelta;
    sizeMb += sizeDelta;
    if (total.backups == 0) {
      retire(total);
    } else if (!total.moved) {
      total.moved = true;
      moved.add(total);
    }
    return total;
  }

  /**
   * Lets go of the total of a server left without backups now rather than at the next report: a
   * retention job removes the servers of the oldest backups by the thousand, and a service that
   * never asks for a report would keep their totals (about 100 bytes a server) until the next
   * reorganisation. Changes hold the write lock: no report reads the ordered set meanwhile.
   */
  private void retire(Total total) {
    byServer.remove(total.serverId);
    if (total.placedBackups > 0) {
      largestFirst.remove(total);  // found by the totals it was placed with
      total.placedBackups = 0;
    }
    if (total.moved && ++retiredInMoved > Math.max(1024, moved.size() / 4)) {
      // a retired total is never changed again (a new backup of its server makes a new one)
      moved.removeIf(t -> t.backups == 0);
      retiredInMoved = 0;
    }
  }

  /** Re-places the servers whose totals changed in the ordered set; before every read of it. */
  private synchronized void placeMoved() {
    for (Total total : moved) {
      if (total.placedBackups > 0) {
        largestFirst.remove(total);
      }
      total.placedBackups = total.backups;
      total.placedSizeMb = total.sizeMb;
      if (total.backups > 0) {
        largestFirst.add(total);
      }
      total.moved = false;
    }
    moved.clear();
    retiredInMoved = 0;
  }

  /** The report of every live backup; {@code nameOf} gives a server's name from its id. */
  UsageReport report(long offset, int limit, Function<String, String> nameOf) {
    placeMoved();
    List<ServerUsage> page = new ArrayList<>(Math.min(limit, largestFirst.size()));
    Iterator<Total> totals = largestFirst.iterator();
    for (long skipped = 0; skipped < offset && totals.hasNext(); skipped++) {
      totals.next();
    }
    while (page.size() < limit && totals.hasNext()) {
      Total total = totals.next();
      page.add(new ServerUsage(total.serverId, nameOf.apply(total.serverId), total.backups, total.sizeMb));
    }
    return new UsageReport(backups, sizeMb, byServer.size(), page);
  }

  /**
   * The report of some backups, summed when asked: {@code counted} in any order; a server is named
   * as its newest counted backup names it.
   */
  static UsageReport sum(Iterable<Backup> counted, long offset, int limit) {
    // one map lookup a row: the newest backup of each server rides along with its total
    Map<String, Newest> byServer = new HashMap<>();
    long backups = 0;
    long sizeMb = 0;
    for (Backup backup : counted) {
      Newest total = byServer.computeIfAbsent(backup.server().id(), Newest::new);
      total.backups++;
      total.sizeMb += backup.sizeMb();
      if (total.newest == null || ProjectShard.ROW_ORDER.compare(backup, total.newest) > 0) {
        total.newest = backup;
      }
      backups++;
      sizeMb += backup.sizeMb();
    }
    List<Total> ordered = new ArrayList<>(byServer.values());
    ordered.sort(LARGEST_FIRST);
    List<ServerUsage> page = new ArrayList<>();
    for (long i = offset; i < ordered.size() && page.size() < limit; i++) {
      Newest total = (Newest) ordered.get((int) i);
      page.add(new ServerUsage(total.serverId, total.newest.server().name(), total.backups, total.sizeMb));
    }
    return new UsageReport(backups, sizeMb, byServer.size(), page);
  }

  /** A server's total in a summed report, with the newest backup counted, which names the server. */
  private static final class Newest extends Total {
    Backup newest;

    Newest(String serverId) {
      super(serverId);
    }
  }
}
