package io.csbs.usage;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.InvalidValueException;
import java.math.BigDecimal;
import java.util.OptionalLong;

/**
 * A project's quotas with their use, as {@code GET /v1/{project_id}/quotas} reports them.
 *
 * <pre>{@code
 * QuotaUsage q = catalog.quotaUsage("project-1");
 * q.backupsUsed();          // 120
 * q.backupsRemaining();     // OptionalLong[380], empty when unlimited
 * q.capacityUsedGb();       // 2048.00
 * }</pre>
 *
 * @param quota the quotas
 * @param backupsUsed how many backups the project has
 * @param sizeMbUsed their total size in MB
 */
public record QuotaUsage(Quota quota, long backupsUsed, long sizeMbUsed) {
  /**
   * Checks that the quotas are given.
   *
   * @param quota the quotas
   * @param backupsUsed how many backups the project has
   * @param sizeMbUsed their total size in MB
   * @throws InvalidValueException naming {@code backups used} or {@code size mb used} if it is negative
   */
  public QuotaUsage {
    requireNonNull(quota, "quota");
    Capacity.requireNotNegative("backups used", backupsUsed);
    Capacity.requireNotNegative("size mb used", sizeMbUsed);
  }

  /** {@return the capacity used, in GB (MB / 1024, rounded half up to two decimals)} */
  public BigDecimal capacityUsedGb() {
    return Capacity.gb(sizeMbUsed);
  }

  /** {@return how many more backups fit; empty when unlimited; 0 when at or over the quota} */
  public OptionalLong backupsRemaining() {
    return quota.maxBackups() == Quota.UNLIMITED
        ? OptionalLong.empty()
        : OptionalLong.of(Math.max(0, quota.maxBackups() - backupsUsed));
  }

  /** {@return how much capacity remains in MB; empty when unlimited; 0 when at or over the quota} */
  public OptionalLong capacityRemainingMb() {
    return quota.maxCapacityGb() == Quota.UNLIMITED
        ? OptionalLong.empty()
        : OptionalLong.of(Math.max(0, quota.maxCapacityGb() * 1024 - sizeMbUsed));
  }
}
