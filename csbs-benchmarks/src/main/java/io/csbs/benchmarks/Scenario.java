package io.csbs.benchmarks;

import static io.csbs.query.Predicates.all;
import static io.csbs.query.Predicates.and;
import static io.csbs.query.Predicates.createdWithinLast;
import static io.csbs.query.Predicates.keyword;
import static io.csbs.query.Predicates.stalled;
import static io.csbs.query.Predicates.status;
import static io.csbs.query.Predicates.tag;

import io.csbs.backup.BackupStatus;
import io.csbs.backup.Tag;
import io.csbs.query.BackupPredicate;
import io.csbs.query.KeywordField;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The console's searches of the backup list, each the first page of 20, newest first, unless it
 * says otherwise; the values searched for come from the {@link Workload}.
 */
public enum Scenario {
  /** All statuses, no criterion: the list as the console opens it. */
  DEFAULT_LIST {
    @Override
    BackupPredicate predicate(Workload w) {
      return all();
    }
  },
  /** Creating or Error (about 6%). */
  RARE_STATUS {
    @Override
    BackupPredicate predicate(Workload w) {
      return status(BackupStatus.CREATING, BackupStatus.ERROR);
    }
  },
  /** Available (about 90%). */
  COMMON_STATUS {
    @Override
    BackupPredicate predicate(Workload w) {
      return status(BackupStatus.AVAILABLE);
    }
  },
  /** Created within the last 7 days. */
  LAST_7_DAYS {
    @Override
    BackupPredicate predicate(Workload w) {
      return createdWithinLast(Duration.ofDays(7));
    }
  },
  /** Available and created within the last 7 days. */
  LAST_7_DAYS_AVAILABLE {
    @Override
    BackupPredicate predicate(Workload w) {
      return and(status(BackupStatus.AVAILABLE), createdWithinLast(Duration.ofDays(7)));
    }
  },
  /** Available, created within the last 30 days, with the most frequent tag. */
  STATUS_30_DAYS_ONE_TAG {
    @Override
    BackupPredicate predicate(Workload w) {
      return and(status(BackupStatus.AVAILABLE), createdWithinLast(Duration.ofDays(30)), tags(List.of(w.commonTag)));
    }
  },
  /** Two tags of a backup with ten. */
  TAGS_2 {
    @Override
    BackupPredicate predicate(Workload w) {
      return tags(w.tags(2));
    }
  },
  /** Five tags of a backup with ten. */
  TAGS_5 {
    @Override
    BackupPredicate predicate(Workload w) {
      return tags(w.tags(5));
    }
  },
  /** The ten tags of a backup with ten. */
  TAGS_10 {
    @Override
    BackupPredicate predicate(Workload w) {
      return tags(w.tags(10));
    }
  },
  /** Two frequent tags that no backup has together: no result. */
  TAGS_NO_RESULT {
    @Override
    BackupPredicate predicate(Workload w) {
      return tags(List.of(w.disjointTags));
    }
  },
  /**
   * Backup name contains the four hex digits of a generated name ({@code autobk_xxxx}; at 10,000
   * backups a {@code manualbk_xxxx}), in upper case.
   */
  NAME_SUBSTRING {
    @Override
    BackupPredicate predicate(Workload w) {
      return keyword(KeywordField.BACKUP_NAME, w.nameKeyword);
    }
  },
  /** Server name contains {@code WEB-0042} (of {@code ecs-web-0042}), in upper case. */
  SERVER_NAME_SUBSTRING {
    @Override
    BackupPredicate predicate(Workload w) {
      return keyword(KeywordField.SERVER_NAME, w.serverNameKeyword);
    }
  },
  /** Server id, exact. */
  SERVER_ID {
    @Override
    BackupPredicate predicate(Workload w) {
      return keyword(KeywordField.SERVER_ID, w.serverId);
    }
  },
  /** Backup id, exact. */
  BACKUP_ID {
    @Override
    BackupPredicate predicate(Workload w) {
      return keyword(KeywordField.BACKUP_ID, w.backupId);
    }
  },
  /** Running jobs whose progress has not changed for the stall rule's 30 minutes. */
  STALLED {
    @Override
    BackupPredicate predicate(Workload w) {
      return stalled();
    }
  },
  /** All statuses, sorted by backup name (then id, newest first on ties), the first page. */
  NAME_SORT {
    @Override
    BackupPredicate predicate(Workload w) {
      return all();
    }

    @Override
    Query query(Workload w) {
      return Query.builder().limit(Workload.PAGE)
          .sort(Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.CREATED_AT))).build();
    }
  },
  /** All statuses, the page after the 10000th backup, by marker. */
  DEEP_PAGE_MARKER {
    @Override
    BackupPredicate predicate(Workload w) {
      return all();
    }

    @Override
    Query query(Workload w) {
      return Query.builder().limit(Workload.PAGE).marker(w.deepMarker).build();
    }
  },
  /** All statuses, page 500 by offset (9980). */
  DEEP_PAGE_OFFSET {
    @Override
    BackupPredicate predicate(Workload w) {
      return all();
    }

    @Override
    Query query(Workload w) {
      return Query.builder().limit(Workload.PAGE).offset(w.deepOffset).build();
    }
  };

  /** The criteria. */
  abstract BackupPredicate predicate(Workload w);

  /** The page searched: by default the first page of 20 of {@link #predicate}, newest first. */
  Query query(Workload w) {
    return Query.builder().where(predicate(w)).limit(Workload.PAGE).build();
  }

  private static BackupPredicate tags(List<Tag> tags) {
    List<BackupPredicate> pairs = new ArrayList<>();
    for (Tag tag : tags) {
      pairs.add(tag(tag.key(), tag.value()));
    }
    return and(pairs);
  }
}
