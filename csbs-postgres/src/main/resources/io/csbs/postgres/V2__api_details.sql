-- csbs schema version 2: the CSBS API's raw status and details of a backup (csbs 0.3).
--
-- Both columns are NULL for what a backup has by default, so that the rows of version 1 need no
-- rewrite: they read as backups with the running form of their state and no details.

-- The API's raw status (waiting_protect, protecting, ...) where it is not the state's running form.
ALTER TABLE csbs_backup ADD COLUMN api_status text COLLATE "C";
-- checkpoint_id, backup_data and the job figures of extend_info (io.csbs.backup.BackupDetails) in
-- csbs's binary form: no search reads them, and the console shows them one backup at a time.
ALTER TABLE csbs_backup ADD COLUMN details bytea;
