package io.csbs.backup;

/**
 * The kind of backup. Only enhanced backups support Instant Restore.
 *
 * <pre>{@code
 * BackupType.ENHANCED.supportsInstantRestore(); // true
 * }</pre>
 */
public enum BackupType {
  /** A common backup. */
  COMMON,
  /** An enhanced backup, which supports Instant Restore. */
  ENHANCED;

  /** {@return whether backups of this type can be restored with {@link Operation#INSTANT_RESTORE}} */
  public boolean supportsInstantRestore() {
    return this == ENHANCED;
  }
}
