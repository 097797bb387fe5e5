package io.csbs.usage;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
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
 * <p>The capacity is at most {@link #MAX_CAPACITY_GB} (2^51 GB): what 2^31 backups of the largest
 * size ({@link Backup#MAX_SIZE_MB}, 2^30 MB) take, so that the limit in MB and every sum of a
 * project's sizes fit in a {@code long} with room to spare.
 *
 * @param maxBackups the most backups, or -1
 * @param maxCapacityGb the most capacity in GB, or -1
 */
public record Quota(long maxBackups, long maxCapacityGb) {
  /** The value of a quota without limit, as in the API. */
  public static final long UNLIMITED = -1;

  /**
   * The largest capacity quota, in GB: 2^51 GB (2^61 MB), what 2^31 backups of {@link
   * Backup#MAX_SIZE_MB} take.
   */
  public static final long MAX_CAPACITY_GB = 1L << 51;

  /** No limit on either. */
  public static final Quota NONE = new Quota(UNLIMITED, UNLIMITED);

  /**
   * Checks the limits.
   *
   * @param maxBackups the most backups, or -1
   * @param maxCapacityGb the most capacity in GB, or -1
   * @throws InvalidValueException naming {@code backups} if its limit is below -1, or {@code
   *     backup_capacity} if its limit is below -1 or above {@link #MAX_CAPACITY_GB}
   */
  public Quota {
    if (maxBackups < UNLIMITED) {
      throw new InvalidValueException("backups", maxBackups, "must be -1 (unlimited) or at least 0");
    }
    if (maxCapacityGb < UNLIMITED || maxCapacityGb > MAX_CAPACITY_GB) {
      throw new InvalidValueException("backup_capacity", maxCapacityGb,
          "must be -1 (unlimited) or 0 to " + MAX_CAPACITY_GB + " GB (2^51)");
    }
  }

  /**
   * Quotas of at most {@code maxBackups} backups and {@code maxCapacityGb} GB; -1 for no limit.
   *
   * @param maxBackups the most backups, or -1
   * @param maxCapacityGb the most capacity in GB, or -1
   * @return the quotas
   * @throws InvalidValueException naming {@code backups} if its limit is below -1, or {@code
   *     backup_capacity} if its limit is below -1 or above {@link #MAX_CAPACITY_GB}
   */
  public static Quota of(long maxBackups, long maxCapacityGb) {
    return new Quota(maxBackups, maxCapacityGb);
  }

  /**
   * Checks that project {@code projectId}, using {@code backups} backups and {@code sizeMb} MB, may
   * take {@code moreBackups} more backups of {@code moreMb} MB in all: that with them it would hold
   * at most the most backups and at most the capacity. A project already beyond a quota (lowered
   * after its backups came) may take nothing more, not even 0 MB.
   *
   * @param projectId the project, named by the refusal (taken as given: the catalog checked it)
   * @param backups how many backups the project has
   * @param sizeMb their total size in MB
   * @param moreBackups how many backups are to be added
   * @param moreMb their total size in MB
   * @throws InvalidValueException naming {@code backups}, {@code size mb}, {@code more backups} or
   *     {@code more mb} if it is negative
   * @throws QuotaExceededException naming the project and the quota that would be exceeded
   */
  public void checkRoomFor(String projectId, long backups, long sizeMb, long moreBackups, long moreMb) {
    requireNonNull(projectId, "projectId");
    // a negative amount would make room where there is none (a project beyond its quota)
    Capacity.requireNotNegative("backups", backups);
    Capacity.requireNotNegative("size mb", sizeMb);
    Capacity.requireNotNegative("more backups", moreBackups);
    Capacity.requireNotNegative("more mb", moreMb);
    // compared by subtraction: no sum of the arguments can overflow
    if (maxBackups != UNLIMITED && moreBackups > maxBackups - backups) {
      throw new QuotaExceededException(projectId, "backups", backupsText(maxBackups), backupsText(backups),
          moreBackups + " more");
    }
    if (maxCapacityGb != UNLIMITED && moreMb > maxCapacityGb * 1024 - sizeMb) {
      throw new QuotaExceededException(projectId, "backup_capacity", maxCapacityGb + " GB", Capacity.text(sizeMb),
          Capacity.text(moreMb) + " more");
    }
  }

  private static String backupsText(long count) {
    return count == 1 ? "1 backup" : count + " backups";
  }
}
