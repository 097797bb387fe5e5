package io.csbs.catalog;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.Transition;
import java.util.Optional;

/**
 * One committed change of a catalog, as its {@linkplain BackupCatalog#subscribe subscribers} see it:
 * a backup added, changed by a lifecycle transition, or removed (a completed deletion, or an
 * administrative removal).
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
 * @param sequence the change's place in the catalog's commit order: 1, 2, 3, ... without gaps
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
  public Change {
    requireNonNull(projectId, "projectId");
    requireNonNull(backupId, "backupId");
    requireNonNull(before, "before");
    requireNonNull(after, "after");
    requireNonNull(transition, "transition");
    if (before.isEmpty() && after.isEmpty()) {
      throw new IllegalArgumentException("a change has a backup before or after it");
    }
  }

  /** Whether the change added the backup. */
  public boolean isAdded() {
    return before.isEmpty();
  }

  /** Whether the change removed the backup. */
  public boolean isRemoved() {
    return after.isEmpty();
  }

  /** {@code #12 project-1/7b99...: restore, v3 -> v4}. */
  @Override
  public String toString() {
    String what = isAdded() ? "added" : isRemoved() ? "removed" : "changed";
    return "#" + sequence + " " + projectId + "/" + backupId + ": " + transition.map(Object::toString).orElse(what)
        + before.map(b -> ", v" + b.version()).orElse("") + after.map(b -> " -> v" + b.version()).orElse(" -> gone");
  }
}
