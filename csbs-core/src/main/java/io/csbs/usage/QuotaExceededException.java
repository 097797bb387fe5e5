package io.csbs.usage;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;

/**
 * Thrown when new backups would take a project beyond one of its quotas; nothing was added. The
 * message names the project, which quota ({@code backups} or {@code backup_capacity}, as the API
 * names them), its limit, the project's use and what was asked; capacities below 1 GB are given in
 * MB, larger ones in GB with the exact MB beside.
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
