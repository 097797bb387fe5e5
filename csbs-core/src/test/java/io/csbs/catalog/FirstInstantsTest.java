package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A clock a few days after {@link Instant#MIN}, and a stall rule longer than all time: a window or a
 * threshold that reaches before the first instant covers every time up to now, in the indexes as in
 * the predicates' own test, instead of overflowing.
 */
class FirstInstantsTest {
  private static final Instant NOW = Instant.MIN.plus(Duration.ofDays(3));
  private static final Server SERVER = Server.of("srv-1", "ecs-1", "eu-de-01");

  private static Backup backup(String id, BackupStatus status, Instant created) {
    Backup.Builder builder = Backup.builder().id(id).name("autobk_" + id).projectId("p").server(SERVER)
        .status(status).sizeMb(1).createdAt(created);
    if (status.isIntermediate()) {
      builder.progress(Progress.of(10, created));
    }
    return builder.build();
  }

  private static final List<Backup> BACKUPS = List.of(
      backup("first", BackupStatus.CREATING, Instant.MIN),
      backup("day-1", BackupStatus.AVAILABLE, Instant.MIN.plus(Duration.ofDays(1))),
      backup("day-2", BackupStatus.RESTORING, Instant.MIN.plus(Duration.ofDays(2))),
      backup("now", BackupStatus.AVAILABLE, NOW));

  /** Checks the catalog's page and count against the predicate's own test; returns how many match. */
  private static int assertAnswersAsTheScan(StallRule rule, BackupPredicate predicate) {
    BackupCatalog catalog = Catalogs.builder().clock(Clock.fixed(NOW, ZoneOffset.UTC)).stallRule(rule).build();
    catalog.addAll(BACKUPS);
    List<String> scan = BACKUPS.stream().filter(b -> predicate.test(b, NOW, rule))
        .sorted((a, b) -> b.createdAt().compareTo(a.createdAt())).map(Backup::id).collect(Collectors.toList());
    assertEquals(scan, catalog.query("p", Query.where(predicate)).ids(), predicate::toString);
    assertEquals(scan.size(), catalog.count("p", predicate), predicate::toString);
    return scan.size();
  }

  @Test
  void aWindowReachingBeforeTheFirstInstantHoldsEveryBackupUpToNow() {
    BackupPredicate week = Predicates.createdWithinLast(Duration.ofDays(7));
    assertEquals(4, assertAnswersAsTheScan(StallRule.DEFAULT, week));
    BackupPredicate days = Predicates.createdWithinLast(Duration.ofDays(2));
    assertEquals(3, assertAnswersAsTheScan(StallRule.DEFAULT, days));  // from day 1 on, inclusive
    assertEquals(1, assertAnswersAsTheScan(StallRule.DEFAULT, Predicates.and(days, Predicates.status(BackupStatus.RESTORING))));
  }

  @Test
  void aStallThresholdReachingBeforeTheFirstInstantStallsNothing() {
    assertEquals(2, assertAnswersAsTheScan(StallRule.DEFAULT, Predicates.stalled()));  // both running jobs: days without progress
    StallRule forever = StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE));
    assertEquals(Instant.MIN, forever.stalledIfChangedBefore(NOW));
    assertEquals(0, assertAnswersAsTheScan(forever, Predicates.stalled()));
    StallRule week = StallRule.ofThreshold(Duration.ofDays(7));
    assertEquals(Instant.MIN, week.stalledIfChangedBefore(NOW));
    assertEquals(0, assertAnswersAsTheScan(week, Predicates.stalled()));
    assertEquals(1, assertAnswersAsTheScan(StallRule.ofThreshold(Duration.ofDays(2)), Predicates.stalled()));  // the first only
  }
}
