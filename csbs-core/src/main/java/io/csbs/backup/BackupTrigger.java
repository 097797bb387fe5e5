package io.csbs.backup;

/**
 * Who started the backup job: a user by hand, or a backup policy. Automatic backups usually carry a
 * {@link Backup#policyId() policy id} and are named {@code autobk_xxxx}; manual ones
 * {@code manualbk_xxxx}.
 *
 * <pre>{@code
 * Backup.builder()...trigger(BackupTrigger.AUTOMATIC).policyId("policy-1")...
 * }</pre>
 */
public enum BackupTrigger {
  /** Started by a user. */
  MANUAL,
  /** Started by a backup policy. */
  AUTOMATIC
}
