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
 */
package io.csbs.usage;
