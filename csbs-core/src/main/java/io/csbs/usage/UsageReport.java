package io.csbs.usage;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.InvalidValueException;
import java.math.BigDecimal;
import java.util.List;

/**
 * A project's space usage: its total, and a page of its servers, largest capacity first (in MB, not
 * as the rounded GB shown; ties: more backups first, then by server id, compared char by char as
 * {@link String#compareTo} does; the PostgreSQL catalog compares by code point, which differs only for
 * characters above U+FFFF).
 *
 * <pre>{@code
 * UsageReport report = catalog.usage("project-1", UsageQuery.firstServers(20));
 * report.capacityGb();   // the used storage of the project, in GB
 * report.servers();      // the 20 servers with the most capacity
 * report.serverCount();  // how many servers have backups
 * }</pre>
 *
 * @param backups how many backups count, in all
 * @param sizeMb their total size in MB
 * @param serverCount how many servers have counted backups
 * @param servers the requested page of servers, largest first
 */
public record UsageReport(long backups, long sizeMb, long serverCount, List<ServerUsage> servers) {
  /**
   * Makes a report; the list of servers is copied.
   *
   * @param backups how many backups count, in all
   * @param sizeMb their total size in MB
   * @param serverCount how many servers have counted backups
   * @param servers the requested page of servers, largest first
   * @throws InvalidValueException naming {@code backups}, {@code size mb} or {@code server count} if it
   *     is negative
   */
  public UsageReport {
    servers = List.copyOf(requireNonNull(servers, "servers"));
    Capacity.requireNotNegative("backups", backups);
    Capacity.requireNotNegative("size mb", sizeMb);
    Capacity.requireNotNegative("server count", serverCount);
  }

  /** {@return the project's used storage in GB: MB / 1024, rounded half up to two decimals} */
  public BigDecimal capacityGb() {
    return Capacity.gb(sizeMb);
  }
}
