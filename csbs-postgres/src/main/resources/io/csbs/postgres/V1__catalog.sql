-- csbs schema version 1: the backup catalog, its counters and its change feed.
--
-- Every table is keyed by project_id first, and every statement of the library names one project
-- (the all-projects view aside), so that on Citus each table is distributed by project_id, colocated
-- with the others, and every console query and every change runs on one node. Writers of a project
-- serialize on its csbs_project row (SELECT ... FOR UPDATE), which also numbers its changes: no
-- advisory locks, no global sequences, no lock on two projects' rows in one statement.
--
-- Times are timestamptz (microseconds). Names and ids sort char by char: COLLATE "C".

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row a project: its writers' lock, the number of its last change, its quotas and the totals
-- the console asks for most, kept by every writing transaction so that they cost no scan.
CREATE TABLE csbs_project (
  project_id       text   COLLATE "C" NOT NULL,
  last_sequence    bigint NOT NULL DEFAULT 0,   -- the last change; csbs_change continues it without gaps
  max_backups      bigint NOT NULL DEFAULT -1,  -- quota: the most backups, -1 unlimited
  max_capacity_gb  bigint NOT NULL DEFAULT -1,  -- quota: the most capacity in GB, -1 unlimited
  quota_version    bigint NOT NULL DEFAULT 0,   -- raised by every quota change, so replicas apply the newest
  backups          bigint NOT NULL DEFAULT 0,   -- live backups, in every state
  size_mb          bigint NOT NULL DEFAULT 0,   -- their size
  available        bigint NOT NULL DEFAULT 0,   -- backups in each state
  creating         bigint NOT NULL DEFAULT 0,
  restoring        bigint NOT NULL DEFAULT 0,
  deleting         bigint NOT NULL DEFAULT 0,
  error            bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id)
);

-- One row a live backup, as io.csbs.backup.Backup holds it.
CREATE TABLE csbs_backup (
  project_id        text        COLLATE "C" NOT NULL,
  id                text        COLLATE "C" NOT NULL,
  name              text        COLLATE "C" NOT NULL,
  name_lower        text        COLLATE "C" NOT NULL,  -- name.toLowerCase(Locale.ROOT), as the library matches names
  description       text,
  server_id         text        COLLATE "C" NOT NULL,
  server_name       text        COLLATE "C" NOT NULL,
  server_name_lower text        COLLATE "C" NOT NULL,
  resource_type     text        COLLATE "C" NOT NULL,
  availability_zone text        COLLATE "C" NOT NULL,
  status            smallint    NOT NULL,             -- 0 Available, 1 Creating, 2 Restoring, 3 Deleting, 4 Error
  progress          smallint,                         -- 0 to 100 while Creating, Restoring or Deleting
  progress_at       timestamptz,                      -- when the progress last changed
  backup_type       text        COLLATE "C" NOT NULL, -- COMMON or ENHANCED
  backup_trigger    text        COLLATE "C" NOT NULL, -- MANUAL or AUTOMATIC
  policy_id         text        COLLATE "C",
  size_mb           bigint      NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  finished_at       timestamptz,
  failed_job        text        COLLATE "C",          -- BACKUP, RESTORE or DELETE, when a job failed
  failure_reason    text,
  failed_at         timestamptz,
  tags              text[]      COLLATE "C" NOT NULL, -- key=value, in the backup's order
  tag_keys          text[]      COLLATE "C" NOT NULL, -- the keys alone, for searches by key
  version           bigint      NOT NULL,
  PRIMARY KEY (project_id, id)
);
-- The default list (newest first) and time windows; keyset pages by (created_at, id).
CREATE INDEX csbs_backup_by_created ON csbs_backup (project_id, created_at, id);
-- One or several states, newest first.
CREATE INDEX csbs_backup_by_status ON csbs_backup (project_id, status, created_at, id);
-- The backups of one server (the server id keyword and the usage dialog's server names).
CREATE INDEX csbs_backup_by_server ON csbs_backup (project_id, server_id, created_at, id);
-- Substrings of the two names: LIKE '%text%' on the lower-cased names.
CREATE INDEX csbs_backup_name_trgm ON csbs_backup USING gin (name_lower gin_trgm_ops);
CREATE INDEX csbs_backup_server_name_trgm ON csbs_backup USING gin (server_name_lower gin_trgm_ops);
-- Tags: tags && / tag_keys @> arrays.
CREATE INDEX csbs_backup_tags ON csbs_backup USING gin (tags);
CREATE INDEX csbs_backup_tag_keys ON csbs_backup USING gin (tag_keys);
-- Running jobs by the time of their last progress: the stalled search.
CREATE INDEX csbs_backup_running ON csbs_backup (project_id, progress_at) WHERE status IN (1, 2, 3);

-- The change feed: every committed change, written by the transaction that commits it, numbered
-- per project without gaps. Consumers read it in order and resume after the last number they handled.
CREATE TABLE csbs_change (
  project_id      text        COLLATE "C" NOT NULL,
  sequence        bigint      NOT NULL,
  backup_id       text        COLLATE "C" NOT NULL,
  transition      text        COLLATE "C",   -- restore, instant_restore, delete, progress, complete, fail; null for add and remove
  transition_arg  text,                      -- the percentage of progress, the reason of fail
  before          bytea,                     -- the backup before the change (library's binary form); null when added
  after           bytea,                     -- the backup after it; null when removed
  committed_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, sequence)
);

-- The tag catalogue: how many live backups carry each key and value.
CREATE TABLE csbs_tag (
  project_id  text   COLLATE "C" NOT NULL,
  tag_key     text   COLLATE "C" NOT NULL,
  tag_value   text   COLLATE "C" NOT NULL,
  backups     bigint NOT NULL,
  PRIMARY KEY (project_id, tag_key, tag_value)
);

-- Space usage per server, kept current by every change.
CREATE TABLE csbs_server_usage (
  project_id  text   COLLATE "C" NOT NULL,
  server_id   text   COLLATE "C" NOT NULL,
  backups     bigint NOT NULL,
  size_mb     bigint NOT NULL,
  PRIMARY KEY (project_id, server_id)
);
CREATE INDEX csbs_server_usage_largest ON csbs_server_usage (project_id, size_mb DESC, backups DESC, server_id);
