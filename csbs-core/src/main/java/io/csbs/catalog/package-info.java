/**
 * The backup catalog: an indexed, concurrent, in-memory store of backups, scoped by project.
 *
 * <p>{@link io.csbs.catalog.BackupCatalog} is the interface; {@link io.csbs.catalog.Catalogs} makes
 * the indexed implementation. Every read and write names a project, and nothing of another project
 * is ever returned, counted or hinted at. Changes go through the {@link io.csbs.lifecycle.Lifecycle}
 * (tag updates through {@link io.csbs.backup.TagUpdate}) and name the version they are based on; a refused change leaves the catalog exactly as it was.
 * Committed changes can be observed in commit order with {@link
 * io.csbs.catalog.BackupCatalog#subscribe}, each numbered within its project; a replica installs
 * them with {@link io.csbs.catalog.BackupCatalog#replay}, starting from a {@link
 * io.csbs.catalog.ProjectSnapshot} it {@linkplain io.csbs.catalog.BackupCatalog#load loads}.
 *
 * <p>Inside (package-private): each project is a shard with one read-write lock. Its rows are kept
 * in creation order, so the default list (newest first) is a backward walk and a time segment a
 * range of rows; status, tags, zones, types, triggers, policies and running jobs have postings that
 * are sorted arrays while rare and bitmaps once common; backup and server names have trigram
 * substring indexes; a planner intersects the most selective postings first; space usage is kept
 * per server as rows change.
 */
package io.csbs.catalog;
