package io.csbs.catalog;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import io.csbs.usage.Quota;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One project as it is at one change of its commit order: its backups (with their versions), its
 * quota and the sequence of its last committed change. A replica {@linkplain BackupCatalog#load
 * loads} it, then {@linkplain BackupCatalog#replay replays} the project's changes from {@code
 * sequence() + 1} on.
 *
 * <pre>{@code
 * // read in one transaction of the database the replica follows
 * ProjectSnapshot snapshot = new ProjectSnapshot("project-1", 1042, Quota.of(500, 10_240), backups);
 * replica.load(snapshot);
 * replica.sequence("project-1");   // 1042
 * replica.replay(change1043);      // true: the feed continues where the snapshot ends
 * }</pre>
 *
 * @param projectId the project; non-blank
 * @param sequence the sequence of the project's last change the snapshot includes; 0 before its
 *     first (a catalog loads one of at most {@link #MAX_SEQUENCE})
 * @param quota the project's quotas ({@link Quota#NONE} for none)
 * @param backups the project's backups, each of the project and with a unique id; copied
 */
public record ProjectSnapshot(String projectId, long sequence, Quota quota, List<Backup> backups) {
  /**
   * The greatest sequence a catalog {@linkplain BackupCatalog#load loads} a snapshot at, 2^62: the
   * project's changes are numbered on from it, and the catalog must be able to number them (2^62
   * more changes would take a hundred thousand years at a million a second), never wrapping round to
   * a negative sequence. A snapshot itself may have any sequence of at least 0 (one taken of a
   * project loaded at this and changed since).
   */
  public static final long MAX_SEQUENCE = 1L << 62;

  /**
   * Checks the snapshot and copies the list of backups.
   *
   * @param projectId the project; non-blank
   * @param sequence the sequence of the project's last change the snapshot includes; 0 before its
   *     first
   * @param quota the project's quotas ({@link Quota#NONE} for none)
   * @param backups the project's backups, each of the project and with a unique id
   * @throws InvalidValueException naming {@code project id} if it is blank, {@code sequence} if
   *     it is negative, or {@code backups} if a backup is of another project
   * @throws DuplicateBackupException if two backups have the same id
   * @throws NullPointerException if an argument or one of the backups is null, naming it ({@code
   *     backups[2]})
   */
  public ProjectSnapshot {
    requireNonNull(projectId, "projectId");
    if (projectId.isBlank()) {
      throw new InvalidValueException("project id", projectId, "must be non-blank");
    }
    if (sequence < 0) {
      throw new InvalidValueException("sequence", sequence, "must be at least 0");
    }
    requireNonNull(quota, "quota");
    requireNonNull(backups, "backups");
    int at = 0;
    for (Backup backup : backups) {
      if (backup == null) {  // List.copyOf would not say which; the message made only when thrown
        throw new NullPointerException("backups[" + at + "]");
      }
      at++;
    }
    backups = List.copyOf(backups);
    Set<String> ids = new HashSet<>(backups.size() * 2);
    for (Backup backup : backups) {
      if (!backup.projectId().equals(projectId)) {
        throw new InvalidValueException("backups", backup.id(),
            "must be backups of project " + projectId + "; backup " + backup.id() + " is of project "
                + backup.projectId());
      }
      if (!ids.add(backup.id())) {
        throw new DuplicateBackupException(projectId, backup.id(), true);   // the id repeats in the snapshot
      }
    }
  }

  /** {@code ProjectSnapshot{project-1 at change 1042, 3 backups, Quota[maxBackups=500, ...]}}. */
  @Override
  public String toString() {
    return "ProjectSnapshot{" + projectId + " at change " + sequence + ", " + backups.size()
        + (backups.size() == 1 ? " backup, " : " backups, ") + quota
        + "}";
  }
}
