/**
 * The backup catalog: an indexed, concurrent, in-memory store of backups, scoped by project.
 *
 * <p>{@link io.csbs.catalog.BackupCatalog} is the interface; {@link io.csbs.catalog.Catalogs} makes
 * the indexed implementation. Every read and write names a project, and nothing of another project
 * is ever returned, counted or hinted at. Changes go through the {@link io.csbs.lifecycle.Lifecycle}
 * and name the version they are based on; a refused change leaves the catalog exactly as it was.
 */
package io.csbs.catalog;
