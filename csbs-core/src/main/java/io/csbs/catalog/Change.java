package io.csbs.catalog;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.Transition;
import java.util.Optional;

/**
 * One committed change of a catalog, as its {@linkplain BackupCatalog#subscribe subscribers} see it:
 * a backup added, changed by a lifecycle transition ({@link #transition} names it), its tags updated
 * ({@link BackupCatalog#updateTags}: a before and an after, no transition), or removed (a completed
 * deletion, or an administrative removal).
 *
 * <pre>{@code
 * catalog.subscribe(change -> {
 *   if (change.after().isEmpty()) {
 *     store.delete(change.projectId(), change.backupId());
 *   } else {
 *     store.save(change.after().get());
 *   }
 * });
 * }</pre>
 *
 * <p>Changes are numbered per project: {@code sequence} is the change's place in its project's
 * commit order, so the changes of one project are 1, 2, 3, ... without gaps, while another project
 * numbers its own changes from 1 as well ({@link BackupCatalog#sequence} is the last one). A
 * database that distributes projects (Citus) numbers them the same way, so a change can be {@linkplain
 * BackupCatalog#replay replayed} into another catalog and a subscriber that may see a change twice
 * recognizes it by its project and sequence.
 *
 * @param sequence the change's place in its project's commit order: 1, 2, 3, ... without gaps
 *     within the project
 * @param projectId the project of the backup
 * @param backupId the backup's id
 * @param before the backup before the change; empty when it was added
 * @param after the backup after the change; empty when it was removed
 * @param transition the lifecycle transition that made the change, if one did
 */
public record Change(
    long sequence,
    String projectId,
    String backupId,
    Optional<Backup> before,
    Optional<Backup> after,
    Optional<Transition> transition) {
  /**
   * Checks that the parts make one change.
   *
   * @param sequence the change's place in its project's commit order, at least 1
   * @param projectId the project of the backup
   * @param backupId the backup's id
   * @param before the backup before the change; empty when it was added
   * @param after the backup after the change; empty when it was removed
   * @param transition the lifecycle transition that made the change, if one did
   * @throws IllegalArgumentException if {@code sequence} is below 1, if the change has neither a
   *     backup before nor after it, or if the backup before or after it has another project id or
   *     backup id than the change
   */
  public Change {
    requireNonNull(projectId, "projectId");
    requireNonNull(backupId, "backupId");
    requireNonNull(before, "before");
    requireNonNull(after, "after");
    requireNonNull(transition, "transition");
    if (before.isEmpty() && after.isEmpty()) {
      throw new IllegalArgumentException("a change has a backup before or after it");
    }
    if (sequence < 1) {
      throw new IllegalArgumentException("sequence " + sequence + " is invalid: must be at least 1");
    }
    before.ifPresent(backup -> requireSameBackup("before", backup, projectId, backupId));
    after.ifPresent(backup -> requireSameBackup("after", backup, projectId, backupId));
  }

  private static void requireSameBackup(String which, Backup backup, String projectId, String backupId) {
    if (!backup.projectId().equals(projectId)) {
      throw new IllegalArgumentException("the backup " + which + " the change is of project " + backup.projectId()
          + ", but the change is of project " + projectId);
    }
    if (!backup.id().equals(backupId)) {
      throw new IllegalArgumentException("the backup " + which + " the change has id " + backup.id()
          + ", but the change is of backup " + backupId);
    }
  }

  /** {@return whether the change added the backup} */
  public boolean isAdded() {
    return before.isEmpty();
  }

  /** {@return whether the change removed the backup} */
  public boolean isRemoved() {
    return after.isEmpty();
  }

  /** {@code #12 project-1/7b99...: restore, v3 -> v4}, where 12 is the project's sequence. */
  @Override
  public String toString() {
    String what = isAdded() ? "added" : isRemoved() ? "removed" : "changed";
    return "#" + sequence + " " + projectId + "/" + backupId + ": " + transition.map(Object::toString).orElse(what)
        + before.map(b -> ", v" + b.version()).orElse("") + after.map(b -> " -> v" + b.version()).orElse(" -> gone");
  }
}
