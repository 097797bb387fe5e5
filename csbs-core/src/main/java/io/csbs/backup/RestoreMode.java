package io.csbs.backup;

import java.util.Locale;

/**
 * How a backup can be restored: the API's {@code extend_info.supported_restore_mode}. Reported as
 * the API gave it; the lifecycle does not consult it ({@link Backup#allowedOperations()} depends on
 * the state and type only).
 *
 * <pre>{@code
 * RestoreMode.parse("backup");   // BACKUP
 * RestoreMode.BACKUP.apiName();  // "backup"
 * }</pre>
 */
public enum RestoreMode {
  /** Restoration is not supported. */
  NA,
  /** Data is restored from snapshots of the server's disks. */
  SNAPSHOT,
  /** Data is restored from backups of the server's disks; the default. */
  BACKUP;

  /** {@return the mode as the API writes it: {@code na}, {@code snapshot} or {@code backup}} */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The mode named {@code text} as the API writes it.
   *
   * @param text {@code na}, {@code snapshot} or {@code backup}
   * @return the mode
   * @throws InvalidValueException naming {@code supported_restore_mode} if {@code text} is none of them
   */
  public static RestoreMode parse(String text) {
    return Rules.apiConstant("supported_restore_mode", text, values());
  }
}
