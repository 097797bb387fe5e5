/**
 * Space usage and quotas: the "View Backup Space Usage" dialog of the console and the CSBS quota API.
 *
 * <p>{@link io.csbs.usage.UsageReport} gives, for a project, the number of backups and their total
 * capacity per server, largest first, and the project's total. {@link io.csbs.usage.Quota} limits a
 * project's number of backups and capacity; a new backup beyond a quota is refused with a {@link
 * io.csbs.usage.QuotaExceededException}.
 *
 * <p>Which backups count: a backup takes space from the start of its backup job until it is gone, so
 * every state counts (Creating, Available, Restoring, Deleting and Error); a backup whose deletion
 * completed is no longer in the catalog and no longer counts. Sizes are summed exactly in MB, as the
 * API reports them; capacities in GB are MB / 1024, rounded half up to two decimals.
 *
 * <p>A backup's size is the one it was added with ({@link io.csbs.backup.Backup#sizeMb()}): the
 * lifecycle's transitions keep it, and the quota is checked against it when the backup is added. So
 * add a backup job with the size it reserves (for example the server's disks), not 0 for "not known
 * yet": a job added at 0 MB counts 0 MB until it is removed.
 */
package io.csbs.usage;
