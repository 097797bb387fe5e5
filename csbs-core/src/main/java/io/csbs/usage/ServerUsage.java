package io.csbs.usage;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;

/**
 * The space one server's backups take: one line of the console's storage space usage dialog.
 *
 * <pre>{@code
 * ServerUsage line = report.servers().get(0);
 * line.serverName();  // "ecs-web-01"
 * line.backups();     // 12
 * line.capacityGb();  // 1712.50
 * }</pre>
 *
 * @param serverId the server's id
 * @param serverName the server's name, as its newest counted backup names it (the latest created;
 *     among backups created at the same instant, the one with the greatest id, ids compared char by
 *     char as {@link String#compareTo} does; the PostgreSQL catalog compares them by code point,
 *     which differs only where an id holds a character above U+FFFF)
 * @param backups how many of its backups count
 * @param sizeMb their total size in MB
 */
public record ServerUsage(String serverId, String serverName, long backups, long sizeMb) {
  /**
   * Checks the line.
   *
   * @param serverId the server's id
   * @param serverName the server's name
   * @param backups how many of its backups count
   * @param sizeMb their total size in MB
   * @throws io.csbs.backup.InvalidValueException naming {@code backups} or {@code size mb} if it is
   *     negative (as the other usage values do)
   */
  public ServerUsage {
    requireNonNull(serverId, "serverId");
    requireNonNull(serverName, "serverName");
    Capacity.requireNotNegative("backups", backups);
    Capacity.requireNotNegative("size mb", sizeMb);
  }

  /** {@return the total capacity in GB: MB / 1024, rounded half up to two decimals} */
  public BigDecimal capacityGb() {
    return Capacity.gb(sizeMb);
  }
}
