package io.csbs.usage;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;

/**
 * Thrown when, with the new backups, a project would be beyond one of its quotas; nothing was
 * added. The {@code backups} quota is checked first: when both would be exceeded, it is the one
 * named. A project already beyond a quota that was lowered takes no new backup at all, not even one
 * of 0 MB, while a project exactly at its capacity still takes a backup of 0 MB. The message names
 * the project, which quota ({@code backups} or {@code backup_capacity}, as the API names them), its
 * limit (a number of backups, or whole GB as the quota was set), the project's use and what was
 * asked; the use and the asked size are given in MB below 1 GB, larger ones in GB with the exact MB
 * beside.
 *
 * <pre>{@code
 * // the project holds 101,888 MB of its 100 GB (102,400 MB); backup.sizeMb() is 600
 * catalog.add(backup); // QuotaExceededException: quota backup_capacity of project project-1 (limit 100 GB) is
 *                      // exceeded: used 99.50 GB (101888 MB), asked 600 MB more
 * }</pre>
 *
 * <p>Its {@linkplain #code() code} is {@link ErrorCode#QUOTA_EXCEEDED}.
 */
public final class QuotaExceededException extends IllegalStateException implements CsbsError {
  private static final long serialVersionUID = 1L;

  /** The project whose quota would be exceeded. */
  private final String projectId;
  /** The quota that would be exceeded, as the API names it. */
  private final String quota;

  QuotaExceededException(String projectId, String quota, String limit, String used, String asked) {
    super("quota " + quota + " of project " + projectId + " (limit " + limit + ") is exceeded: used " + used
        + ", asked " + asked);
    this.projectId = projectId;
    this.quota = quota;
  }

  /** {@return the project whose quota would be exceeded} */
  public String projectId() {
    return projectId;
  }

  /** {@return the quota that would be exceeded: {@code backups} or {@code backup_capacity}} */
  public String quota() {
    return quota;
  }

  /** {@return {@link ErrorCode#QUOTA_EXCEEDED}} */
  @Override
  public ErrorCode code() {
    return ErrorCode.QUOTA_EXCEEDED;
  }
}
