package io.csbs.usage;

import io.csbs.backup.InvalidValueException;

/**
 * A project's quotas, as the CSBS quota API has them: the most backups and the most capacity in GB,
 * each {@value #UNLIMITED} for unlimited (the default).
 *
 * <pre>{@code
 * catalog.setQuota("project-1", Quota.of(500, 10_240));  // 500 backups, 10 TB
 * Quota.NONE;                                            // unlimited
 * }</pre>
 *
 * @param maxBackups the most backups, or -1
 * @param maxCapacityGb the most capacity in GB, or -1
 */
public record Quota(long maxBackups, long maxCapacityGb) {
  /** The value of a quota without limit, as in the API. */
  public static final long UNLIMITED = -1;

  /** No limit on either. */
  public static final Quota NONE = new Quota(UNLIMITED, UNLIMITED);

  /**
   * Checks the limits.
   *
   * @param maxBackups the most backups, or -1
   * @param maxCapacityGb the most capacity in GB, or -1
   * @throws InvalidValueException naming {@code backups} or {@code backup_capacity} if a limit is
   *     below -1
   */
  public Quota {
    if (maxBackups < UNLIMITED) {
      throw new InvalidValueException("backups", maxBackups, "must be -1 (unlimited) or at least 0");
    }
    if (maxCapacityGb < UNLIMITED) {
      throw new InvalidValueException("backup_capacity", maxCapacityGb, "must be -1 (unlimited) or at least 0 GB");
    }
  }

  /**
   * Quotas of at most {@code maxBackups} backups and {@code maxCapacityGb} GB; -1 for no limit.
   *
   * @param maxBackups the most backups, or -1
   * @param maxCapacityGb the most capacity in GB, or -1
   * @return the quotas
   * @throws InvalidValueException naming {@code backups} or {@code backup_capacity} if a limit is
   *     below -1
   */
  public static Quota of(long maxBackups, long maxCapacityGb) {
    return new Quota(maxBackups, maxCapacityGb);
  }

  /**
   * Checks that a project using {@code backups} backups and {@code sizeMb} MB may take {@code
   * moreBackups} more backups of {@code moreMb} MB in all.
   *
   * @param backups how many backups the project has
   * @param sizeMb their total size in MB
   * @param moreBackups how many backups are to be added
   * @param moreMb their total size in MB
   * @throws QuotaExceededException naming the quota that would be exceeded
   */
  public void checkRoomFor(long backups, long sizeMb, long moreBackups, long moreMb) {
    if (maxBackups != UNLIMITED && backups + moreBackups > maxBackups) {
      throw new QuotaExceededException("backups", maxBackups + " backups", backups + " backups", moreBackups + " more");
    }
    if (maxCapacityGb != UNLIMITED && sizeMb + moreMb > maxCapacityGb * 1024) {
      throw new QuotaExceededException("backup_capacity", maxCapacityGb + " GB", Capacity.gb(sizeMb) + " GB",
          Capacity.gb(moreMb) + " GB more");
    }
  }
}
