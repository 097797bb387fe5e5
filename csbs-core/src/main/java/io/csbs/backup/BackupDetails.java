package io.csbs.backup;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The details of a backup that the CSBS API reports and the console shows on expanding a row, but
 * that no search of the backup list filters or sorts on: the backup record id ({@code
 * checkpoint_id}), the server's metadata ({@code backup_data}) and the job figures of {@code
 * extend_info}. A backup without them shares {@link #NONE}, so they cost one reference a backup.
 *
 * <p>The other fields of {@code extend_info} are fields of {@link Backup} itself: {@code progress}
 * ({@link Backup#progress()}), {@code finished_at} ({@link Backup#finishedAt()}), {@code fail_op} and
 * {@code fail_reason} ({@link Backup#failure()}), {@code auto_trigger} ({@link Backup#trigger()}),
 * {@code resource_az}, {@code resource_name} and {@code resource_type} ({@link Backup#server()}),
 * {@code size} ({@link Backup#sizeMb()}), and {@code support_lld}, which is true exactly for an
 * enhanced backup ({@link Backup#type()}: lazy loading is what Instant Restore uses).
 *
 * <pre>{@code
 * BackupDetails details = BackupDetails.builder()
 *     .checkpointId("f672a1bb-6912-446a-816c-72792c5263e0")
 *     .vm(VmMetadata.builder().ramMb(4096).vcpus(4).build())
 *     .incremental(true)
 *     .spaceSavingRatio(37)
 *     .build();
 * Backup detailed = backup.toBuilder().details(details).build();
 * }</pre>
 *
 * @param checkpointId the backup record id ({@code checkpoint_id}), if known; non-blank, at most 64 chars
 * @param vm the server's metadata ({@code backup_data})
 * @param incremental whether the backup is incremental, after a full one ({@code incremental})
 * @param restoreMode how the backup can be restored ({@code supported_restore_mode})
 * @param copyStatus the replication to another region ({@code copy_status})
 * @param spaceSavingRatio the space saved, in percent ({@code space_saving_ratio}): 0 to 100
 * @param averageSpeedKbps the job's average speed in kB/s ({@code average_speed}): 0 or more
 * @param failCode the error code of the last failed job ({@code fail_code}), if one failed
 */
public record BackupDetails(
    Optional<String> checkpointId,
    VmMetadata vm,
    boolean incremental,
    RestoreMode restoreMode,
    CopyStatus copyStatus,
    int spaceSavingRatio,
    long averageSpeedKbps,
    Optional<FailCode> failCode) {
  /** No details known: no checkpoint id, {@link VmMetadata#NONE}, full, restorable from backup, not copied. */
  public static final BackupDetails NONE = new BackupDetails(
      Optional.empty(), VmMetadata.NONE, false, RestoreMode.BACKUP, CopyStatus.NA, 0, 0, Optional.empty());

  /**
   * Checks every field.
   *
   * @param checkpointId the backup record id, if known
   * @param vm the server's metadata
   * @param incremental whether the backup is incremental
   * @param restoreMode how the backup can be restored
   * @param copyStatus the replication status
   * @param spaceSavingRatio the space saved in percent
   * @param averageSpeedKbps the average speed in kB/s
   * @param failCode the error code of the last failed job, if one failed
   * @throws InvalidValueException naming the field (as the API names it) and the rule
   */
  public BackupDetails {
    requireNonNull(checkpointId, "checkpointId").ifPresent(id -> Rules.requireId("checkpoint_id", id));
    requireNonNull(vm, "vm");
    requireNonNull(restoreMode, "restoreMode");
    requireNonNull(copyStatus, "copyStatus");
    Rules.requireRange("space_saving_ratio", spaceSavingRatio, 0, 100);
    Rules.requireRange("average_speed", averageSpeedKbps, 0, Long.MAX_VALUE);
    requireNonNull(failCode, "failCode");
  }

  /** {@return a builder whose fields start as in {@link #NONE}} */
  public static Builder builder() {
    return new Builder(NONE);
  }

  /** {@return a builder holding these details, to change some} */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Builds {@link BackupDetails}; every field is optional and starts as in {@link #NONE}.
   *
   * <pre>{@code
   * BackupDetails details = BackupDetails.builder().copyStatus(CopyStatus.SUCCESS).build();
   * }</pre>
   */
  public static final class Builder {
    private Optional<String> checkpointId;
    private VmMetadata vm;
    private boolean incremental;
    private RestoreMode restoreMode;
    private CopyStatus copyStatus;
    private int spaceSavingRatio;
    private long averageSpeedKbps;
    private Optional<FailCode> failCode;

    private Builder(BackupDetails from) {
      checkpointId = from.checkpointId;
      vm = from.vm;
      incremental = from.incremental;
      restoreMode = from.restoreMode;
      copyStatus = from.copyStatus;
      spaceSavingRatio = from.spaceSavingRatio;
      averageSpeedKbps = from.averageSpeedKbps;
      failCode = from.failCode;
    }

    /**
     * Sets the backup record id.
     *
     * @param checkpointId the id, non-blank, at most 64 chars
     * @return this builder
     */
    public Builder checkpointId(String checkpointId) {
      this.checkpointId = Optional.of(requireNonNull(checkpointId, "checkpointId"));
      return this;
    }

    /**
     * Sets or clears the backup record id.
     *
     * <pre>{@code
     * BackupDetails withoutId = details.toBuilder().checkpointId(Optional.empty()).build();
     * }</pre>
     *
     * @param checkpointId the id (non-blank, at most 64 chars), or empty for none known
     * @return this builder
     */
    public Builder checkpointId(Optional<String> checkpointId) {
      this.checkpointId = requireNonNull(checkpointId, "checkpointId");
      return this;
    }

    /**
     * Sets the server's metadata.
     *
     * @param vm the metadata
     * @return this builder
     */
    public Builder vm(VmMetadata vm) {
      this.vm = requireNonNull(vm, "vm");
      return this;
    }

    /**
     * Sets whether the backup is incremental.
     *
     * @param incremental true for an incremental backup, false for a full one
     * @return this builder
     */
    public Builder incremental(boolean incremental) {
      this.incremental = incremental;
      return this;
    }

    /**
     * Sets how the backup can be restored.
     *
     * @param restoreMode the mode
     * @return this builder
     */
    public Builder restoreMode(RestoreMode restoreMode) {
      this.restoreMode = requireNonNull(restoreMode, "restoreMode");
      return this;
    }

    /**
     * Sets the replication status.
     *
     * @param copyStatus the status
     * @return this builder
     */
    public Builder copyStatus(CopyStatus copyStatus) {
      this.copyStatus = requireNonNull(copyStatus, "copyStatus");
      return this;
    }

    /**
     * Sets the space saving ratio.
     *
     * @param spaceSavingRatio the space saved in percent, 0 to 100
     * @return this builder
     */
    public Builder spaceSavingRatio(int spaceSavingRatio) {
      this.spaceSavingRatio = spaceSavingRatio;
      return this;
    }

    /**
     * Sets the job's average speed.
     *
     * @param averageSpeedKbps the speed in kB/s, 0 or more
     * @return this builder
     */
    public Builder averageSpeedKbps(long averageSpeedKbps) {
      this.averageSpeedKbps = averageSpeedKbps;
      return this;
    }

    /**
     * Sets the error code of the last failed job.
     *
     * @param failCode the code
     * @return this builder
     */
    public Builder failCode(FailCode failCode) {
      this.failCode = Optional.of(requireNonNull(failCode, "failCode"));
      return this;
    }

    /**
     * Sets or clears the error code of the last failed job: a job that succeeded on retry drops the
     * old code with {@code failCode(Optional.empty())}.
     *
     * @param failCode the code, or empty when no job failed
     * @return this builder
     */
    public Builder failCode(Optional<FailCode> failCode) {
      this.failCode = requireNonNull(failCode, "failCode");
      return this;
    }

    /**
     * Builds the details and checks every field.
     *
     * @return the details; {@link #NONE} itself when nothing differs from it
     * @throws InvalidValueException naming the field and the rule
     */
    public BackupDetails build() {
      BackupDetails built = new BackupDetails(
          checkpointId, vm, incremental, restoreMode, copyStatus, spaceSavingRatio, averageSpeedKbps, failCode);
      return built.equals(NONE) ? NONE : built;
    }
  }
}
