package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Server;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Query: "an offset of 0 or more" with no upper bound: an offset near {@link Long#MAX_VALUE}, whose
 * sum with the limit overflows a long, gives an empty page with the total, in every order and every
 * way the catalog reads a page (the rows' order, a heap of the best, a walk of the names, a few
 * matches sorted outright, the all-projects merge), with and without backups added late.
 */
class HugeOffsetTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Server SERVER = Server.of("srv-1", "ecs-1", "eu-de-01");

  private static Backup backup(String project, int i, Instant created) {
    Backup.Builder builder = Backup.builder().id(project + "-" + i).name(i % 50 == 0 ? "rarebk_" + i : "autobk_" + (i % 7)).projectId(project)
        .server(SERVER).status(i % 3 == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE).sizeMb(i).createdAt(created);
    if (i % 3 == 0) {
      builder.failure(Failure.of(JobType.BACKUP, "disk full", created)).finishedAt(created);
    }
    return builder.build();
  }

  private static BackupCatalog catalog(boolean late) {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    for (String project : List.of("p-1", "p-2")) {
      for (int i = 0; i < 1000; i++) {
        catalog.add(backup(project, i, NOW.minus(Duration.ofMinutes(2000 - i))));
      }
      if (late) {
        for (int i = 1000; i < 1060; i++) {
          catalog.add(backup(project, i, NOW.minus(Duration.ofMinutes(5000 + i))));  // older than every other
        }
      }
    }
    return catalog;
  }

  @Test
  void anOffsetWhoseSumWithTheLimitOverflowsGivesAnEmptyPageWithTheTotal() {
    for (boolean late : new boolean[] {false, true}) {
      BackupCatalog catalog = catalog(late);
      for (BackupPredicate predicate : List.of(Predicates.all(), Predicates.status(BackupStatus.ERROR),
          Predicates.nameContains("autobk_3"), Predicates.nameContains("rarebk"),  // 2%: a sparse list
          Predicates.keyword(io.csbs.query.KeywordField.BACKUP_ID, "p-1-5"))) {
        long total = catalog.count("p-1", predicate);
        assertTrue(total > 0, predicate::toString);
        for (SortField field : SortField.values()) {
          for (boolean ascending : new boolean[] {true, false}) {
            Sort sort = Sort.by(ascending ? SortKey.asc(field) : SortKey.desc(field));
            for (long offset : new long[] {Long.MAX_VALUE, Long.MAX_VALUE - 1, Long.MAX_VALUE - 999, Long.MAX_VALUE - 1000}) {
              for (int limit : new int[] {1, 1000}) {
                Query query = Query.builder().where(predicate).sort(sort).offset(offset).limit(limit).build();
                String what = query + (late ? ", late" : "");
                Page page = catalog.query("p-1", query);
                assertEquals(List.of(), page.backups(), what);
                assertEquals(total, page.total(), what);
                assertFalse(page.hasMore(), what);
                Page all = catalog.queryAllProjects(query);
                assertEquals(List.of(), all.backups(), what);
                assertEquals(catalog.countAllProjects(predicate), all.total(), what);
              }
            }
          }
        }
      }
    }
  }
}
