package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.FailCode;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Operation;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectStats;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Attribute;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.KeywordField;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.query.TimeRange;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A new user's sweep of csbs-core's documented refusals: every {@code @throws} clause (and every "must
 * be", "at most", "positive" sentence) of the public types, provoked with this class's own data
 * (unicode project ids, supplementary letters, one past and exactly at each bound); the exception's
 * exact type, the field it names, and for a catalog method that nothing changed (sequence, count,
 * page, usage, quota usage, tag catalogue, stats, subscribers). Checked on {@link Catalogs#indexed}
 * and, where its javadoc promises the same refusals, {@link ReferenceCatalog}.
 */
class NewUserRefusalSweepTest {
  private static final Instant T0 = Instant.parse("2031-02-28T23:59:59.999999999Z");
  private static final String P = "\u30d7\u30ed\u30b8\u30a7\u30af\u30c8-\u00fc";   // a Japanese/umlaut project id
  private static final String Q = "q\ud835\udc9c";   // a project id with a supplementary letter
  private static final Server SRV = Server.of("srv-\u00e5", "vm-\u00e5", "eu-nl-1");
  private static final Server SRV2 = Server.of("srv-\ud83d\ude00", "vm-\u4e2d", "eu-nl-2");

  // ------------------------------------------------------------------ helpers

  private static Backup.Builder base(String project, String id, Server server, long sizeMb) {
    return Backup.builder().id(id).name("n_" + id.length() + "_\u00e9t\u00e9").projectId(project).server(server)
        .sizeMb(sizeMb).createdAt(T0.minus(Duration.ofHours(5)));
  }

  private static Backup available(String project, String id, long sizeMb) {
    return base(project, id, SRV, sizeMb).status(BackupStatus.AVAILABLE).build();
  }

  /** A catalog (indexed or reference) with its clock and a recording subscriber. */
  private static final class Fix {
    final FakeClock clock = FakeClock.at(T0);
    final BackupCatalog catalog;
    final List<Change> delivered = Collections.synchronizedList(new ArrayList<>());

    Fix(boolean indexed) {
      catalog = indexed ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
    }

    /** Fills P and Q: an Available tagged backup, an enhanced one, a restoring one at 40%, one in Q. */
    Fix filled() {
      catalog.add(base(P, "a-1", SRV, 100).status(BackupStatus.AVAILABLE).addTags(Tag.of("env", "\u00e9t\u00e9")).build());
      catalog.add(base(P, "enh", SRV2, 7).status(BackupStatus.AVAILABLE).type(BackupType.ENHANCED).build());
      catalog.add(available(P, "run", 3));
      clock.advance(Duration.ofSeconds(1));
      catalog.apply(P, "run", 1, Transition.restore());
      clock.advance(Duration.ofSeconds(1));
      catalog.apply(P, "run", 2, Transition.reportProgress(40));
      catalog.add(available(Q, "a-1", 5));
      catalog.setQuota(P, Quota.of(10, 1));
      catalog.subscribe(delivered::add);
      return this;
    }

    String stats(String project) {
      try {
        ProjectStats s = catalog.stats(project);
        return s.backups() + "b/" + s.estimatedIndexBytes() + "B";
      } catch (UnsupportedOperationException e) {
        return "no stats";
      }
    }

    String state(String project) {
      return catalog.sequence(project) + "|" + catalog.query(project, Query.all()).backups() + "|"
          + catalog.count(project, Predicates.all()) + "|" + catalog.usage(project, UsageQuery.firstServers(10))
          + "|" + catalog.quotaUsage(project) + "|" + catalog.tagCatalogue(project) + "|" + stats(project);
    }

    String all() {
      return state(P) + "#" + state(Q) + "#" + catalog.countAllProjects(Predicates.all()) + "#" + delivered;
    }

    /** Runs {@code refused}, expects exactly {@code type}, and checks that nothing changed. */
    <T extends Throwable> T refused(Class<T> type, Executable call) {
      String before = all();
      T e = assertThrows(type, call);
      assertEquals(type, e.getClass(), "exactly the documented type: " + e);
      assertEquals(before, all(), "the catalog changed although the change was refused: " + e);
      return e;
    }

    InvalidValueException invalid(String field, Executable call) {
      InvalidValueException e = refused(InvalidValueException.class, call);
      assertEquals(field, e.field(), e.getMessage());
      return e;
    }
  }

  private static List<Fix> both() {
    return List.of(new Fix(true).filled(), new Fix(false).filled());
  }

  private static InvalidValueException invalid(String field, Executable call) {
    InvalidValueException e = assertThrows(InvalidValueException.class, call);
    assertEquals(field, e.field(), e.getMessage());
    return e;
  }

  private static <T extends Throwable> T exactly(Class<T> type, Executable call) {
    T e = assertThrows(type, call);
    assertEquals(type, e.getClass(), "exactly the documented type: " + e);
    return e;
  }

  private static String letters(int codePoints, int codePoint) {
    return new String(Character.toChars(codePoint)).repeat(codePoints);
  }

  // ------------------------------------------------------------------ BackupCatalog.apply

  @Test
  void applyRefusalsAreTheDocumentedTypesAndChangeNothingOnBothCatalogs() {
    for (Fix f : both()) {
      BackupNotFoundException nf = f.refused(BackupNotFoundException.class,
          () -> f.catalog.apply(P, "nope-\u00e9", 1, Transition.restore()));
      assertEquals(P, nf.projectId());
      assertEquals("nope-\u00e9", nf.backupId());
      // a backup of another project is not found
      f.refused(BackupNotFoundException.class, () -> f.catalog.apply(Q, "enh", 1, Transition.restore()));
      for (long stale : new long[] {0, 2, -1, Long.MAX_VALUE, Long.MIN_VALUE}) {
        VersionConflictException vc = f.refused(VersionConflictException.class,
            () -> f.catalog.apply(P, "a-1", stale, Transition.restore()));
        assertEquals(stale, vc.expectedVersion());
        assertEquals(1, vc.currentVersion());
      }
      f.refused(IllegalTransitionException.class, () -> f.catalog.apply(P, "a-1", 1, Transition.complete()));
      f.refused(IllegalTransitionException.class, () -> f.catalog.apply(P, "a-1", 1, Transition.reportProgress(50)));
      f.refused(IllegalTransitionException.class, () -> f.catalog.apply(P, "a-1", 1, Transition.instantRestore()));
      f.refused(IllegalTransitionException.class, () -> f.catalog.apply(P, "run", 3, Transition.delete()));
      f.invalid("progress", () -> f.catalog.apply(P, "run", 3, Transition.reportProgress(101)));
      f.invalid("progress", () -> f.catalog.apply(P, "run", 3, Transition.reportProgress(-1)));
      f.invalid("progress", () -> f.catalog.apply(P, "run", 3, Transition.reportProgress(39)));
      f.invalid("progress", () -> f.catalog.apply(P, "run", 3, Transition.reportProgress(Integer.MIN_VALUE)));
      f.invalid("failure reason", () -> f.catalog.apply(P, "run", 3, Transition.fail(" \t\u2003")));
      f.invalid("failure reason", () -> f.catalog.apply(P, "run", 3, Transition.fail("x".repeat(Failure.MAX_REASON_LENGTH + 1))));
      // the clock set back one nanosecond before the last change (the progress report)
      f.clock.set(T0.plusSeconds(2).minusNanos(1));
      f.invalid("now", () -> f.catalog.apply(P, "run", 3, Transition.reportProgress(41)));
      f.invalid("now", () -> f.catalog.apply(P, "run", 3, Transition.complete()));
      // at the very instant of the last change it is accepted
      f.clock.set(T0.plusSeconds(2));
      assertEquals(41, f.catalog.apply(P, "run", 3, Transition.reportProgress(41)).orElseThrow().progress().orElseThrow().percent());
      assertEquals(6, f.catalog.sequence(P));
      assertEquals(1, f.delivered.size());
    }
  }

  // ------------------------------------------------------------------ updateTags, remove, add, addAll

  @Test
  void updateTagsRefusalsNameTagsUpdatedAtOrNowAndChangeNothing() {
    for (Fix f : both()) {
      f.refused(BackupNotFoundException.class,
          () -> f.catalog.updateTags(P, "A-1", 1, TagUpdate.create(Tag.of("k", "v"))));   // ids are exact
      f.refused(BackupNotFoundException.class,
          () -> f.catalog.updateTags(Q, "enh", 1, TagUpdate.create(Tag.of("k", "v"))));
      VersionConflictException vc = f.refused(VersionConflictException.class,
          () -> f.catalog.updateTags(P, "a-1", 2, TagUpdate.create(Tag.of("k", "v"))));
      assertEquals("a-1", vc.backupId());
      // a-1 has one tag: ten new keys make eleven
      List<Tag> ten = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        ten.add(Tag.of("k\u00f8" + i, "v" + i));
      }
      f.invalid("tags", () -> f.catalog.updateTags(P, "a-1", 1, TagUpdate.create(ten)));
      // nine new keys: exactly ten, accepted (on a copy of the fixture so the refusals above stay clean)
      f.clock.set(T0.minus(Duration.ofHours(5)).minusNanos(1));
      f.invalid("updated at", () -> f.catalog.updateTags(P, "a-1", 1, TagUpdate.create(Tag.of("k", "v"))));
      f.clock.set(T0.plusSeconds(2).minusNanos(1));
      f.invalid("now", () -> f.catalog.updateTags(P, "run", 3, TagUpdate.create(Tag.of("k", "v"))));
      f.clock.set(T0.plusSeconds(3));
      Backup tenTags = f.catalog.updateTags(P, "a-1", 1, TagUpdate.create(ten.subList(0, 9)));
      assertEquals(10, tenTags.tags().size());
      assertEquals(2, tenTags.version());
    }
  }

  @Test
  void removeRefusalsAndAnAddOverTheQuotaChangeNothing() {
    for (Fix f : both()) {
      f.refused(BackupNotFoundException.class, () -> f.catalog.remove(P, "a-1 ", 1));
      f.refused(BackupNotFoundException.class, () -> f.catalog.remove(Q, "run", 3));
      f.refused(VersionConflictException.class, () -> f.catalog.remove(P, "run", 2));
      f.refused(DuplicateBackupException.class, () -> f.catalog.add(available(P, "enh", 1)));
      // P's quota is 1 GB = 1024 MB; it holds 110 MB: 914 more is exactly at the limit, 915 is beyond
      QuotaExceededException qe = f.refused(QuotaExceededException.class, () -> f.catalog.add(available(P, "big", 915)));
      assertEquals(P, qe.projectId());
      f.refused(QuotaExceededException.class,
          () -> f.catalog.addAll(List.of(available(Q, "fine", 1), available(P, "b1", 900), available(P, "b2", 15))));
      DuplicateBackupException dup = f.refused(DuplicateBackupException.class,
          () -> f.catalog.addAll(List.of(available(Q, "x", 1), available(P, "y", 1), available(Q, "x", 2))));
      assertEquals(Q, dup.projectId());
      assertTrue(dup.inBatch());
      f.catalog.add(available(P, "big", 914));
      assertEquals(4, f.catalog.count(P, Predicates.all()));
    }
  }

  // ------------------------------------------------------------------ replay and load

  private static Change added(long sequence, Backup backup) {
    return new Change(sequence, backup.projectId(), backup.id(), Optional.empty(), Optional.of(backup), Optional.empty());
  }

  @Test
  void replayRefusalsOnAUnicodeProjectAreTheDocumentedTypesAndMessages() {
    for (Fix f : both()) {
      IllegalStateException gap = f.refused(IllegalStateException.class, () -> f.catalog.replay(added(7, available(P, "new", 1))));
      assertTrue(gap.getMessage().contains(P) && gap.getMessage().contains("5") && gap.getMessage().contains("7"), gap.getMessage());
      f.refused(DuplicateBackupException.class, () -> f.catalog.replay(added(6, available(P, "enh", 1))));
      Backup ghost = available(P, "ghost", 1);
      Backup ghost2 = ghost.toBuilder().version(2).build();
      f.refused(BackupNotFoundException.class, () -> f.catalog.replay(
          new Change(6, P, "ghost", Optional.of(ghost), Optional.of(ghost2), Optional.empty())));
      Backup enh = f.catalog.get(P, "enh");
      Backup enhStale = enh.toBuilder().version(5).build();
      VersionConflictException vc = f.refused(VersionConflictException.class, () -> f.catalog.replay(
          new Change(6, P, "enh", Optional.of(enhStale), Optional.empty(), Optional.empty())));
      assertEquals(5, vc.expectedVersion());
      assertEquals(1, vc.currentVersion());
      // an already installed sequence is false and changes nothing, whatever the change holds
      String before = f.all();
      assertFalse(f.catalog.replay(added(5, available(P, "enh", 1))));
      assertFalse(f.catalog.replay(added(1, available(P, "whatever", 1))));
      assertEquals(before, f.all());
    }
  }

  @Test
  void loadIsAcceptedExactlyAtMaxSequenceAndRefusedOnePastNamingSequence() {
    for (boolean indexed : new boolean[] {true, false}) {
      Fix f = new Fix(indexed).filled();
      String fresh = "fresh-\u00df";
      List<Backup> backups = List.of(available(fresh, "l-1", 2));
      String before = f.all() + f.state(fresh);
      f.invalid("sequence", () -> f.catalog.load(new ProjectSnapshot(fresh, ProjectSnapshot.MAX_SEQUENCE + 1, Quota.NONE, backups)));
      f.invalid("sequence", () -> f.catalog.load(new ProjectSnapshot(fresh, Long.MAX_VALUE, Quota.of(1, 1), backups)));
      assertEquals(before, f.all() + f.state(fresh), "indexed=" + indexed);
      f.catalog.load(new ProjectSnapshot(fresh, ProjectSnapshot.MAX_SEQUENCE, Quota.NONE, backups));
      assertEquals(ProjectSnapshot.MAX_SEQUENCE, f.catalog.sequence(fresh));
      assertTrue(f.catalog.replay(new Change(ProjectSnapshot.MAX_SEQUENCE + 1, fresh, "l-2", Optional.empty(),
          Optional.of(available(fresh, "l-2", 1)), Optional.empty())));
      // now it has backups and a sequence: a second load is refused, nothing changed
      String loaded = f.state(fresh);
      exactly(IllegalStateException.class, () -> f.catalog.load(new ProjectSnapshot(fresh, 0, Quota.NONE, List.of())));
      assertEquals(loaded, f.state(fresh));
    }
  }

  @Test
  void aProjectWithOnlyAQuotaLoadsButOneEmptiedByRemovalsDoesNot() {
    for (boolean indexed : new boolean[] {true, false}) {
      Fix f = new Fix(indexed).filled();
      f.catalog.setQuota("only-quota", Quota.of(3, 1));
      f.catalog.load(new ProjectSnapshot("only-quota", 4, Quota.of(9, 9), List.of(available("only-quota", "o", 1))));
      assertEquals(4, f.catalog.sequence("only-quota"));
      assertEquals(Quota.of(9, 9), f.catalog.quotaUsage("only-quota").quota());
      // Q: one backup removed, so no backups but sequence 2
      f.catalog.remove(Q, "a-1", 1);
      assertEquals(2, f.catalog.sequence(Q));
      String before = f.all();
      exactly(IllegalStateException.class, () -> f.catalog.load(new ProjectSnapshot(Q, 0, Quota.NONE, List.of())));
      exactly(IllegalStateException.class, () -> f.catalog.load(new ProjectSnapshot(Q, 9, Quota.NONE, List.of(available(Q, "z", 1)))));
      assertEquals(before, f.all(), "indexed=" + indexed);
    }
  }

  @Test
  void projectSnapshotRefusalsNameTheirFields() {
    Backup b = available(P, "s", 1);
    invalid("project id", () -> new ProjectSnapshot("\u2003\t", 0, Quota.NONE, List.of()));
    invalid("project id", () -> new ProjectSnapshot("", 0, Quota.NONE, List.of()));
    invalid("sequence", () -> new ProjectSnapshot(P, -1, Quota.NONE, List.of(b)));
    invalid("sequence", () -> new ProjectSnapshot(P, Long.MIN_VALUE, Quota.NONE, List.of(b)));
    invalid("backups", () -> new ProjectSnapshot(Q, 0, Quota.NONE, List.of(available(Q, "q", 1), b)));
    DuplicateBackupException d = exactly(DuplicateBackupException.class,
        () -> new ProjectSnapshot(P, 0, Quota.NONE, List.of(b, available(P, "t", 1), b)));
    assertEquals("s", d.backupId());
    assertEquals(P, d.projectId());
    // a snapshot itself may have any sequence of at least 0
    assertEquals(Long.MAX_VALUE, new ProjectSnapshot(P, Long.MAX_VALUE, Quota.NONE, List.of()).sequence());
  }

  // ------------------------------------------------------------------ blank project ids, markers, stats

  @Test
  void everyMethodNamingAProjectRefusesABlankIdOnBothCatalogsAndStatsDefaultsToo() {
    for (Fix f : both()) {
      for (String blank : new String[] {"", " ", "\t\n", "\u2003", "\u3000"}) {
        List<Executable> calls = List.of(
            () -> f.catalog.sequence(blank),
            () -> f.catalog.read(blank, v -> 1),
            () -> f.catalog.stats(blank),
            () -> f.catalog.query(blank, Query.all()),
            () -> f.catalog.count(blank, Predicates.all()),
            () -> f.catalog.tagCatalogue(blank),
            () -> f.catalog.usage(blank, UsageQuery.firstServers(1)),
            () -> f.catalog.setQuota(blank, Quota.of(1, 1)),
            () -> f.catalog.quotaUsage(blank),
            () -> f.catalog.find(blank, "a-1"),
            () -> f.catalog.get(blank, "a-1"),
            () -> f.catalog.apply(blank, "a-1", 1, Transition.restore()),
            () -> f.catalog.updateTags(blank, "a-1", 1, TagUpdate.create(Tag.of("k", "v"))),
            () -> f.catalog.remove(blank, "a-1", 1));
        for (Executable call : calls) {
          f.invalid("project id", call);
        }
      }
    }
  }

  @Test
  void theReferenceCatalogKeepsNoStatisticsAsTheDefaultSays() {
    ReferenceCatalog reference = ReferenceCatalog.create(FakeClock.at(T0));
    exactly(UnsupportedOperationException.class, () -> reference.stats(P));
    invalid("project id", () -> reference.stats(" "));
  }

  @Test
  void markersThatAreNoBackupOfTheProjectAreRefusedNamingMarkerOnBothCatalogs() {
    for (Fix f : both()) {
      // a-1 exists in P and in Q: the all-projects view refuses it; per project it is fine
      f.invalid("marker", () -> f.catalog.queryAllProjects(Query.builder().marker("a-1").build()));
      f.invalid("marker", () -> f.catalog.queryAllProjects(Query.builder().marker("none-\ud83d\ude00").build()));
      f.invalid("marker", () -> f.catalog.query(Q, Query.builder().marker("enh").build()));
      f.invalid("marker", () -> f.catalog.read(Q, v -> v.query(Query.builder().marker("run").build())));
      assertEquals(List.of(), f.catalog.query(Q, Query.builder().marker("a-1").build()).backups());
      assertEquals(1, f.catalog.queryAllProjects(Query.builder().marker("enh").limit(1).build()).backups().size());
    }
  }

  @Test
  void aProjectThatOnlyRefusedChangesOrWasOnlyReadHoldsNoIndexBytes() {
    Fix f = new Fix(true).filled();
    String never = "never-\u00e6";
    f.catalog.setQuota(never, Quota.of(0, 0));
    assertThrows(QuotaExceededException.class, () -> f.catalog.add(available(never, "n", 0)));
    f.catalog.setQuota(never, Quota.NONE);
    f.catalog.query("read-only", Query.all());
    f.catalog.read("read-only", v -> v.count(Predicates.all()));
    assertThrows(BackupNotFoundException.class, () -> f.catalog.apply("refused-\u00e6", "x", 1, Transition.restore()));
    for (String project : List.of(never, "read-only", "refused-\u00e6")) {
      ProjectStats s = f.catalog.stats(project);
      assertEquals(0, s.backups(), project);
      assertEquals(0, s.estimatedIndexBytes(), project + " " + s);
      assertEquals(0, f.catalog.sequence(project));
    }
  }

  // ------------------------------------------------------------------ Catalogs.Builder, StallRule

  @Test
  void catalogsBuilderOptionsAreSetOnceAndARefusedSecondSetKeepsTheFirst() {
    FakeClock first = FakeClock.at(T0);
    Catalogs.Builder builder = Catalogs.builder().clock(first);
    exactly(IllegalStateException.class, () -> builder.clock(FakeClock.at(Instant.EPOCH)));
    builder.stallRule(StallRule.ofThreshold(Duration.ofNanos(1)));
    exactly(IllegalStateException.class, () -> builder.stallRule(StallRule.DEFAULT));
    BackupCatalog catalog = builder.build();
    catalog.add(available(P, "c", 1));
    catalog.apply(P, "c", 1, Transition.restore());
    assertEquals(T0, catalog.get(P, "c").updatedAt(), "the first clock dates the change");
    first.advance(Duration.ofNanos(2));
    assertEquals(1, catalog.count(P, Predicates.stalled()), "the first rule (1 ns) judges stalled jobs");
    // a null is no value set: the option may be set afterwards
    Catalogs.Builder other = Catalogs.builder();
    assertThrows(NullPointerException.class, () -> other.clock(null));
    other.clock(first);
    assertThrows(NullPointerException.class, () -> other.stallRule(null));
    other.stallRule(StallRule.DEFAULT);
  }

  @Test
  void stallRuleThresholdMustBePositive() {
    for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofSeconds(Long.MIN_VALUE))) {
      invalid("stall threshold", () -> new StallRule(bad));
      invalid("stall threshold", () -> StallRule.ofThreshold(bad));
    }
    assertEquals(Duration.ofNanos(1), StallRule.ofThreshold(Duration.ofNanos(1)).threshold());
    assertEquals(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), new StallRule(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)).threshold());
  }

  // ------------------------------------------------------------------ usage values

  @Test
  void usageQueryBoundsAreAcceptedAtTheLimitsAndRefusedOnePast() {
    invalid("limit", () -> UsageQuery.firstServers(0));
    invalid("limit", () -> UsageQuery.firstServers(UsageQuery.MAX_LIMIT + 1));
    invalid("limit", () -> UsageQuery.of(Predicates.all(), 0, Integer.MIN_VALUE));
    invalid("offset", () -> UsageQuery.of(Predicates.all(), -1, 5));
    invalid("offset", () -> new UsageQuery(Predicates.all(), Long.MIN_VALUE, 5));
    assertEquals(1000, UsageQuery.firstServers(1000).limit());
    assertEquals(1, UsageQuery.firstServers(1).limit());
    UsageQuery far = UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), Long.MAX_VALUE, 1000);
    for (Fix f : both()) {
      UsageReport report = f.catalog.usage(P, far);
      assertEquals(List.of(), report.servers());
      assertEquals(2, report.serverCount());
      assertEquals(2, report.backups());
    }
  }

  @Test
  void quotaBoundsAreAcceptedAtTheLimitsAndRefusedOnePast() {
    assertEquals(Quota.MAX_CAPACITY_GB, Quota.of(-1, Quota.MAX_CAPACITY_GB).maxCapacityGb());
    assertEquals(Long.MAX_VALUE, new Quota(Long.MAX_VALUE, 0).maxBackups());
    invalid("backup_capacity", () -> Quota.of(-1, Quota.MAX_CAPACITY_GB + 1));
    invalid("backup_capacity", () -> new Quota(5, -2));
    invalid("backup_capacity", () -> new Quota(5, Long.MAX_VALUE));
    invalid("backups", () -> Quota.of(-2, 5));
    invalid("backups", () -> new Quota(Long.MIN_VALUE, -1));
    // a project at the largest capacity quota takes the largest backup
    for (Fix f : both()) {
      f.catalog.setQuota(Q, Quota.of(-1, Quota.MAX_CAPACITY_GB));
      f.catalog.add(available(Q, "max", Backup.MAX_SIZE_MB));
      assertEquals(Backup.MAX_SIZE_MB + 5, f.catalog.quotaUsage(Q).sizeMbUsed());
    }
  }

  @Test
  void checkRoomForNamesEachNegativeArgumentAndTheQuota() {
    Quota quota = Quota.of(2, 1);
    invalid("backups", () -> quota.checkRoomFor(P, -1, 0, 0, 0));
    invalid("size mb", () -> quota.checkRoomFor(P, 0, -1, 0, 0));
    invalid("more backups", () -> quota.checkRoomFor(P, 0, 0, -1, 0));
    invalid("more mb", () -> quota.checkRoomFor(P, 0, 0, 0, Long.MIN_VALUE));
    quota.checkRoomFor(P, 1, 1000, 1, 24);   // exactly 2 backups and 1024 MB
    QuotaExceededException more = exactly(QuotaExceededException.class, () -> quota.checkRoomFor(P, 1, 1000, 1, 25));
    assertEquals(P, more.projectId());
    assertTrue(more.getMessage().contains(P), more.getMessage());
    QuotaExceededException many = exactly(QuotaExceededException.class, () -> quota.checkRoomFor(Q, 2, 0, 1, 0));
    assertEquals(Q, many.projectId());
    // no overflow at the ends of long
    Quota.NONE.checkRoomFor(P, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
    exactly(QuotaExceededException.class,
        () -> Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB).checkRoomFor(P, Long.MAX_VALUE, 0, 1, 0));
    exactly(QuotaExceededException.class,
        () -> Quota.of(-1, Quota.MAX_CAPACITY_GB).checkRoomFor(P, 0, Long.MAX_VALUE, 0, Long.MAX_VALUE));
  }

  @Test
  void usageRecordsNameTheirNegativeFields() {
    invalid("backups used", () -> new QuotaUsage(Quota.NONE, -1, 0));
    invalid("size mb used", () -> new QuotaUsage(Quota.NONE, 0, -1));
    invalid("backups", () -> new ServerUsage("s", "n", -1, 0));
    invalid("size mb", () -> new ServerUsage("s", "n", 0, Long.MIN_VALUE));
    invalid("backups", () -> new UsageReport(-1, 0, 0, List.of()));
    invalid("size mb", () -> new UsageReport(0, -1, 0, List.of()));
    invalid("server count", () -> new UsageReport(0, 0, -1, List.of()));
    assertEquals(0, new UsageReport(0, 0, 0, List.of()).serverCount());
  }

  // ------------------------------------------------------------------ misc public constructors

  @Test
  void pageRefusesATotalBelowItsBackupsWithAPlainIllegalArgumentException() {
    List<Backup> two = List.of(available(P, "p1", 1), available(P, "p2", 1));
    exactly(IllegalArgumentException.class, () -> new Page(two, 1, false));
    exactly(IllegalArgumentException.class, () -> new Page(two, -1, true));
    assertEquals(2, new Page(two, 2, false).total());
  }

  @Test
  void changeAndVersionConflictRefusalsArePlainIllegalArgumentExceptions() {
    Backup b = available(P, "c", 1);
    exactly(IllegalArgumentException.class, () -> new Change(0, P, "c", Optional.empty(), Optional.of(b), Optional.empty()));
    exactly(IllegalArgumentException.class, () -> new Change(Long.MIN_VALUE, P, "c", Optional.empty(), Optional.of(b), Optional.empty()));
    exactly(IllegalArgumentException.class, () -> new Change(1, P, "c", Optional.empty(), Optional.empty(), Optional.empty()));
    exactly(IllegalArgumentException.class, () -> new Change(1, Q, "c", Optional.of(b), Optional.empty(), Optional.empty()));
    exactly(IllegalArgumentException.class, () -> new Change(1, P, "C", Optional.empty(), Optional.of(b), Optional.empty()));
    Backup otherProject = available(Q, "c", 1);
    exactly(IllegalArgumentException.class, () -> new Change(1, P, "c", Optional.of(b), Optional.of(otherProject), Optional.empty()));
    exactly(IllegalArgumentException.class, () -> new VersionConflictException("c", 3, 3));
    exactly(IllegalArgumentException.class, () -> new VersionConflictException("c", Long.MIN_VALUE, Long.MIN_VALUE));
    assertEquals(Long.MAX_VALUE, new VersionConflictException("c", Long.MAX_VALUE, 1).expectedVersion());
  }

  @Test
  void documentedNullPointerExceptions() {
    exactly(NullPointerException.class, () -> ErrorCode.ofCode(null));
    for (Attribute attribute : Attribute.values()) {
      exactly(NullPointerException.class, () -> attribute.valueOf((Backup) null));
    }
    Map<String, List<String>> nullValues = new HashMap<>();
    nullValues.put("k", null);
    exactly(NullPointerException.class, () -> TagCatalogue.of(nullValues));
    exactly(NullPointerException.class, () -> TagCatalogue.of(null));
    exactly(NullPointerException.class, () -> TagCatalogue.of(Collections.singletonMap(null, List.of("v"))));
    exactly(NullPointerException.class, () -> TagCatalogue.of(Map.of("k", Collections.singletonList(null))));
    assertEquals(Optional.empty(), ErrorCode.ofCode(""));
  }

  // ------------------------------------------------------------------ ConsoleSearch

  @Test
  void consoleSearchTimeWindowsAreAcceptedAtTheLimitsAndRefusedOnePastLeavingTheSearchAsItWas() {
    ConsoleSearch search = ConsoleSearch.empty().withStatus(BackupStatus.ERROR).withKeyword(KeywordField.BACKUP_NAME, "\u00e9t\u00e9");
    String before = search.toString();
    for (int days : new int[] {0, -1, 36_501, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      invalid("time window", () -> search.withLastDays(days));
    }
    for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1), Predicates.MAX_WINDOW.plusNanos(1))) {
      invalid("time window", () -> search.withCreatedWithinLast(bad));
      invalid("time window", () -> Predicates.createdWithinLast(bad));
    }
    assertEquals(before, search.toString());
    assertEquals(Optional.of(Predicates.MAX_WINDOW), search.withLastDays(36_500).createdWithinLast());
    assertEquals(Optional.of(Duration.ofDays(1)), search.withLastDays(1).createdWithinLast());
    assertEquals(Optional.of(Duration.ofNanos(1)), search.withCreatedWithinLast(Duration.ofNanos(1)).createdWithinLast());
    assertEquals(Optional.of(Predicates.MAX_WINDOW), search.withCreatedWithinLast(Predicates.MAX_WINDOW).createdWithinLast());
  }

  @Test
  void consoleSearchKeywordStatusAndLimitRefusals() {
    ConsoleSearch search = ConsoleSearch.empty();
    invalid("status", () -> search.withStatuses(List.of()));
    invalid("status", () -> search.withStatuses(Set.of()));
    for (KeywordField field : KeywordField.values()) {
      invalid("keyword", () -> search.withKeyword(field, " \t\u2003 "));
      invalid("keyword", () -> search.withKeyword(field, letters(256, 0x1D49C)));
      // 255 supplementary letters (510 chars) with white space around: stripped, accepted
      assertEquals(255, search.withKeyword(field, "  " + letters(255, 0x1D49C) + "\n").keyword().orElseThrow().codePointCount(0, 510));
    }
    TagCatalogue none = TagCatalogue.empty();
    for (int limit : new int[] {0, -1, 1001, Integer.MAX_VALUE}) {
      invalid("limit", () -> search.toQuery(none, limit));
    }
    assertEquals(1000, search.toQuery(none, 1000).limit());
    assertEquals(1, search.toQuery(none, 1).limit());
  }

  @Test
  void consoleSearchTagPairsStopAtTenAndAHeldPairIsThisSearchEvenThen() {
    ConsoleSearch search = ConsoleSearch.empty();
    for (int i = 0; i < ConsoleSearch.MAX_TAGS; i++) {
      search = search.withTag("k" + i, "\u00fc" + i);
    }
    ConsoleSearch full = search;
    InvalidValueException e = invalid("tags", () -> full.withTag("k10", "v"));
    assertTrue(e.getMessage().contains("10"), e.getMessage());
    invalid("tags", () -> full.withTag("k0", "another_value"));
    assertSame(full, full.withTag(" k3 ", "\u00fc3 "));
    // a pair that breaks the tag rules is named so even on a full search
    invalid("tag key", () -> full.withTag("", "v"));
    invalid("tag key", () -> full.withTag("k".repeat(Tag.MAX_KEY_LENGTH + 1), "v"));
    invalid("tag value", () -> full.withTag("k", "v".repeat(Tag.MAX_VALUE_LENGTH + 1)));
    assertEquals(10, full.tags().size());
  }

  @Test
  void toPredicateListsTheFirstTenExistingKeysThenHowManyInAll() {
    Map<String, List<String>> twelve = new TreeMap<>();
    for (int i = 0; i < 12; i++) {
      twelve.put(String.format("key%02d", i), List.of("v" + i));
    }
    TagCatalogue existing = TagCatalogue.of(twelve);
    InvalidValueException key = invalid("tag key", () -> ConsoleSearch.empty().withTag("nope", "v").toPredicate(existing));
    assertTrue(key.getMessage().contains("key09") && !key.getMessage().contains("key10"), key.getMessage());
    assertTrue(key.getMessage().contains("12"), key.getMessage());
    InvalidValueException value = invalid("tag value", () -> ConsoleSearch.empty().withTag("key03", "v4").toPredicate(existing));
    assertTrue(value.getMessage().contains("v3"), value.getMessage());
    // the first pair that does not exist is named: here the second
    InvalidValueException second = invalid("tag key",
        () -> ConsoleSearch.empty().withTag("key01", "v1").withTag("gone", "x").toPredicate(existing));
    assertTrue(second.getMessage().contains("gone"), second.getMessage());
    invalid("tag key", () -> ConsoleSearch.empty().withTag("key01", "v1").toQuery(TagCatalogue.empty(), 5));
  }

  // ------------------------------------------------------------------ TagFilter.Builder

  @Test
  void tagFilterPageAndActionAreSetOnceAndARefusedValueSetsNothing() {
    TagFilter.Builder b = TagFilter.builder();
    invalid("limit", () -> b.limit(0));
    invalid("limit", () -> b.limit(1001));
    b.limit(1000);
    exactly(IllegalStateException.class, () -> b.limit(5));
    exactly(IllegalStateException.class, () -> b.limit(0));   // set already comes first
    invalid("offset", () -> b.offset(-1));
    invalid("offset", () -> b.offset(Long.MIN_VALUE));
    b.offset(Long.MAX_VALUE);
    exactly(IllegalStateException.class, () -> b.offset(0));
    b.action(TagFilter.Action.COUNT);
    exactly(IllegalStateException.class, () -> b.action(TagFilter.Action.FILTER));
    exactly(IllegalStateException.class, () -> b.action(TagFilter.Action.COUNT));
    assertTrue(b.build().toString().length() > 0);
  }

  @Test
  void tagFilterGroupsNameTheirGroupAndARefusedKeyIsNotHalfAdded() {
    List<String> eleven = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      eleven.add("v\u00e9" + i);
    }
    Map<String, Function<TagFilter.Builder, java.util.function.BiFunction<String, List<String>, TagFilter.Builder>>> groups = new TreeMap<>();
    groups.put("tags", x -> x::tags);
    groups.put("tags_any", x -> x::tagsAny);
    groups.put("not_tags", x -> x::notTags);
    groups.put("not_tags_any", x -> x::notTagsAny);
    for (Map.Entry<String, Function<TagFilter.Builder, java.util.function.BiFunction<String, List<String>, TagFilter.Builder>>> g : groups.entrySet()) {
      TagFilter.Builder b = TagFilter.builder();
      java.util.function.BiFunction<String, List<String>, TagFilter.Builder> add = g.getValue().apply(b);
      invalid(g.getKey(), () -> add.apply("k", eleven));
      invalid("tag value", () -> add.apply("k", List.of("ok", "v".repeat(Tag.MAX_VALUE_LENGTH + 1))));
      invalid("tag key", () -> add.apply(" ", List.of()));
      // none of the refusals added k: ten values (at the limit) are taken now
      add.apply("k", eleven.subList(0, 10));
      invalid(g.getKey(), () -> add.apply(" k ", List.of()));   // k again, trimmed
      for (int i = 1; i < TagFilter.MAX_KEYS; i++) {
        add.apply("key" + i, List.of());
      }
      InvalidValueException full = invalid(g.getKey(), () -> add.apply("one-more", List.of()));
      assertTrue(full.getMessage().contains("10"), full.getMessage());
    }
  }

  @Test
  void tagFilterMatchesRefusals() {
    TagFilter.Builder b = TagFilter.builder();
    invalid("matches", () -> b.matches("name", "x"));
    invalid("matches", () -> b.matches("Resource_Name", "x"));
    invalid("matches", () -> b.matches(TagFilter.RESOURCE_NAME, " \u2003"));
    invalid("matches", () -> b.matches(TagFilter.RESOURCE_NAME, letters(256, 0x4E2D)));
    invalid("matches", () -> b.matches(TagFilter.RESOURCE_NAME, "half\ud835"));
    b.matches(TagFilter.RESOURCE_NAME, letters(255, 0x1D49C));   // at the limit, after refusals: not set before
    invalid("matches", () -> b.matches(TagFilter.RESOURCE_NAME, "again"));
  }

  // ------------------------------------------------------------------ Predicates, Sort, TimeRange

  @Test
  void predicatesRefuseAtOnePastEachBoundAndAcceptAtIt() {
    List<String> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add("\u00e5" + i);
    }
    assertTrue(Predicates.tag("k", ten).toString().length() > 0);
    List<String> eleven = new ArrayList<>(ten);
    eleven.add("one-more");
    invalid("tag values", () -> Predicates.tag("k", eleven));
    invalid("tag key", () -> Predicates.tag("", List.of("v")));
    invalid("tag value", () -> Predicates.tag("k", List.of("v".repeat(Tag.MAX_VALUE_LENGTH + 1))));
    invalid("tag key", () -> Predicates.tag(" ", "v"));
    invalid("tag key", () -> Predicates.tagKey("k".repeat(Tag.MAX_KEY_LENGTH + 1)));
    invalid("status", () -> Predicates.status(List.of()));
    invalid("keyword", () -> Predicates.nameContains(letters(256, 'x')));
    invalid("keyword", () -> Predicates.serverNameContains("\udc00"));
    invalid("keyword", () -> Predicates.keyword(KeywordField.SERVER_NAME, "a\ud83d"));
    invalid("backup id", () -> Predicates.backupId(letters(256, 0x1F600)));
    invalid("backup id", () -> Predicates.backupId("\u2003"));
    assertTrue(Predicates.backupId(letters(255, 0x1F600)).toString().length() > 0);
    assertTrue(Predicates.nameContains(letters(255, 0x1F600)).toString().length() > 0);
    invalid("backup type", () -> Predicates.attribute(Attribute.BACKUP_TYPE, "ENHANCED "));
    invalid("backup type", () -> Predicates.attribute(Attribute.BACKUP_TYPE, "bogus"));
    invalid("trigger", () -> Predicates.attribute(Attribute.TRIGGER, "nope"));
    for (Attribute attribute : Attribute.values()) {
      invalid(attribute.toString(), () -> Predicates.attribute(attribute, " "));
      invalid(attribute.toString(), () -> Predicates.attribute(attribute, "x".repeat(256)));
    }
  }

  @Test
  void sortTextIsAcceptedAt255CharsAndRefusedAt256NamingSort() {
    String at = "name:asc" + " ".repeat(Sort.MAX_TEXT_LENGTH - 8);
    assertEquals(255, at.length());
    assertEquals(Sort.parse("name:asc"), Sort.parse(at));
    invalid("sort", () -> Sort.parse(at + " "));
    invalid("sort", () -> Sort.parse(""));
    invalid("sort", () -> Sort.parse("name,"));
    invalid("sort", () -> Sort.parse("name:up"));
    invalid("sort", () -> Sort.parse("name:asc:desc"));
    InvalidValueException twice = invalid("sort", () -> Sort.parse("name:asc, name:desc"));
    assertTrue(twice.getMessage().contains("name"), twice.getMessage());
    invalid("sort", () -> Sort.by(List.of()));
  }

  @Test
  void timeRangeRefusalsAndTheBoundsThatAreAccepted() {
    Instant a = Instant.MAX;
    invalid("time range", () -> TimeRange.of(a, false, a, true));
    invalid("time range", () -> TimeRange.of(a, true, a, false));
    invalid("time range", () -> TimeRange.between(Instant.MIN.plusNanos(1), Instant.MIN));
    assertTrue(TimeRange.of(a, true, a, true).contains(a));
    assertTrue(TimeRange.between(a, a).contains(a));
    invalid("time window", () -> TimeRange.last(Duration.ofNanos(-1), T0));
    assertTrue(TimeRange.last(Duration.ZERO, T0).contains(T0));
  }

  @Test
  void queryBuilderRefusalsWithUnicodeMarkers() {
    invalid("marker", () -> Query.builder().marker("\u3000"));
    invalid("limit", () -> Query.builder().limit(1001));
    invalid("offset", () -> Query.builder().offset(-1));
    invalid("marker", () -> Query.builder().marker("\ud83d\ude00").offset(1).build());
    assertEquals(1000, Query.builder().limit(1000).build().limit());
  }

  @Test
  void aMarkerWithAnExplicitOffsetOfZeroIsAcceptedAndPagesByTheMarker() {
    Query q = Query.builder().marker("\ud83d\ude00").offset(0).build();
    assertEquals(Optional.of("\ud83d\ude00"), q.marker());
    assertEquals(0, q.offset());
    // the query string binding refuses the same pair
    invalid("marker", () -> io.csbs.query.ListQueryString.parse("marker=m&offset=0"));
  }

  // ------------------------------------------------------------------ Lifecycle, Transition

  @Test
  void lifecycleFunctionsRefuseAsDocumentedAndNeverChangeTheirInput() {
    Instant created = T0.minus(Duration.ofHours(5));
    Backup common = available(P, "l", 1);
    Backup enhanced = base(P, "e", SRV2, 1).status(BackupStatus.AVAILABLE).type(BackupType.ENHANCED).build();
    Backup restoring = Lifecycle.restore(common, T0);
    Backup deleting = Lifecycle.delete(common, T0);
    Backup error = Lifecycle.fail(restoring, "d\u00e9j\u00e0 vu", T0.plusSeconds(1));
    String snapshot = List.of(common, enhanced, restoring, deleting, error).toString();
    // states that do not allow the step
    exactly(IllegalTransitionException.class, () -> Lifecycle.instantRestore(common, T0));
    exactly(IllegalTransitionException.class, () -> Lifecycle.restore(error, T0.plusSeconds(2)));
    exactly(IllegalTransitionException.class, () -> Lifecycle.restore(restoring, T0));
    exactly(IllegalTransitionException.class, () -> Lifecycle.instantRestore(restoring, T0));
    exactly(IllegalTransitionException.class, () -> Lifecycle.delete(deleting, T0));
    exactly(IllegalTransitionException.class, () -> Lifecycle.reportProgress(common, 10, T0));
    exactly(IllegalTransitionException.class, () -> Lifecycle.reportProgress(error, 10, T0.plusSeconds(2)));
    exactly(IllegalTransitionException.class, () -> Lifecycle.complete(enhanced, T0));
    exactly(IllegalTransitionException.class, () -> Lifecycle.complete(error, T0.plusSeconds(2)));
    exactly(IllegalTransitionException.class, () -> Lifecycle.fail(common, "why", T0));
    for (Operation op : Operation.values()) {
      exactly(IllegalTransitionException.class, () -> Lifecycle.start(restoring, op, T0));
      exactly(IllegalTransitionException.class, () -> Lifecycle.start(deleting, op, T0));
      exactly(IllegalTransitionException.class, () -> Transition.start(op).applyTo(restoring, T0));
    }
    // values
    invalid("progress", () -> Lifecycle.reportProgress(restoring, 101, T0));
    invalid("progress", () -> Lifecycle.reportProgress(restoring, -1, T0));
    Backup at60 = Lifecycle.reportProgress(restoring, 60, T0);
    invalid("progress", () -> Lifecycle.reportProgress(at60, 59, T0));
    invalid("progress", () -> Transition.reportProgress(0).applyTo(at60, T0));
    assertSame(at60, Lifecycle.reportProgress(at60, 60, T0.plusSeconds(9)));
    Backup at100 = Lifecycle.reportProgress(at60, 100, T0);
    invalid("progress", () -> Lifecycle.reportProgress(at100, 101, T0));
    invalid("failure reason", () -> Lifecycle.fail(restoring, "\u2003\n", T0));
    invalid("failure reason", () -> Lifecycle.fail(deleting, "r".repeat(Failure.MAX_REASON_LENGTH + 1), T0));
    assertEquals(Failure.MAX_REASON_LENGTH, Lifecycle.fail(deleting, "r".repeat(Failure.MAX_REASON_LENGTH), T0).failure().orElseThrow().reason().length());
    invalid("failure reason", () -> Transition.fail("").applyTo(restoring, T0));
    // a time before the last change, one nanosecond
    Instant before = T0.minusNanos(1);
    invalid("now", () -> Lifecycle.reportProgress(restoring, 5, before));
    invalid("now", () -> Lifecycle.complete(restoring, before));
    invalid("now", () -> Lifecycle.fail(restoring, "why", before));
    invalid("now", () -> Lifecycle.delete(error, T0));
    invalid("now", () -> Lifecycle.restore(available(P, "x", 1), created.minusNanos(1)));
    invalid("now", () -> Lifecycle.instantRestore(enhanced, created.minusNanos(1)));
    invalid("now", () -> Transition.complete().applyTo(restoring, before));
    assertEquals(snapshot, List.of(common, enhanced, restoring, deleting, error).toString(), "inputs never change");
    // exactly at the last change is fine
    assertEquals(BackupStatus.DELETING, Lifecycle.delete(error, T0.plusSeconds(1)).status());
    assertEquals(BackupStatus.RESTORING, Lifecycle.instantRestore(enhanced, created).status());
  }

  // ------------------------------------------------------------------ Backup.Builder

  @Test
  void everyBackupBuilderSetterRefusesASecondSetAndKeepsTheFirstValue() {
    Instant created = T0.minus(Duration.ofDays(1));
    Backup.Builder b = Backup.builder().id("first").name("first_name").projectId(P).server(SRV)
        .status(BackupStatus.CREATING).progress(Progress.of(5, created)).type(BackupType.ENHANCED)
        .trigger(io.csbs.backup.BackupTrigger.AUTOMATIC).policyId("pol").sizeMb(7).createdAt(created)
        .updatedAt(created.plusSeconds(1)).description("d").version(3).tags(List.of(Tag.of("k", "v")))
        .apiStatus(io.csbs.backup.ApiStatus.of(BackupStatus.CREATING)).details(io.csbs.backup.BackupDetails.NONE);
    Map<String, Executable> again = new TreeMap<>();
    again.put("id", () -> b.id("second"));
    again.put("name", () -> b.name("second"));
    again.put("description", () -> b.description("second"));
    again.put("description optional", () -> b.description(Optional.empty()));
    again.put("projectId", () -> b.projectId(Q));
    again.put("server", () -> b.server(SRV2));
    again.put("status", () -> b.status(BackupStatus.AVAILABLE));
    again.put("progress", () -> b.progress(Progress.of(9, created)));
    again.put("progress optional", () -> b.progress(Optional.empty()));
    again.put("type", () -> b.type(BackupType.values()[0]));
    again.put("trigger", () -> b.trigger(io.csbs.backup.BackupTrigger.values()[0]));
    again.put("policyId", () -> b.policyId("p2"));
    again.put("policyId optional", () -> b.policyId(Optional.empty()));
    again.put("sizeMb", () -> b.sizeMb(8));
    again.put("createdAt", () -> b.createdAt(created));
    again.put("updatedAt", () -> b.updatedAt(created));
    again.put("finishedAt", () -> b.finishedAt(Optional.empty()));
    again.put("failure", () -> b.failure(Optional.empty()));
    again.put("tags", () -> b.tags(List.of()));
    again.put("version", () -> b.version(4));
    again.put("apiStatus", () -> b.apiStatus(io.csbs.backup.ApiStatus.of(BackupStatus.CREATING)));
    again.put("details", () -> b.details(io.csbs.backup.BackupDetails.NONE));
    b.finishedAt(Optional.empty());
    b.failure(Optional.empty());
    for (Map.Entry<String, Executable> e : again.entrySet()) {
      IllegalStateException ise = assertThrows(IllegalStateException.class, e.getValue(), e.getKey());
      assertEquals(IllegalStateException.class, ise.getClass(), e.getKey());
    }
    Backup built = b.build();
    assertEquals("first", built.id());
    assertEquals(P, built.projectId());
    assertEquals(7, built.sizeMb());
    assertEquals(3, built.version());
    assertEquals(Optional.of("d"), built.description());
    assertEquals(5, built.progress().orElseThrow().percent());
    assertEquals(List.of(Tag.of("k", "v")), built.tags());
  }

  @Test
  void aNullToASetterSetsNothingAndBuildNamesTheMissingRequiredFields() {
    Backup.Builder b = Backup.builder();
    assertThrows(NullPointerException.class, () -> b.id(null));
    assertThrows(NullPointerException.class, () -> b.projectId(null));
    b.id("after-null").projectId(P).server(SRV);
    IllegalStateException missing = exactly(IllegalStateException.class, b::build);
    String m = missing.getMessage();
    for (String field : List.of("name", "status", "sizeMb", "createdAt")) {
      assertTrue(m.contains(field), field + " in " + m);
    }
    assertFalse(m.contains("projectId") || m.contains("server,") || m.contains(" id"), m);
    // a state that needs a progress, without one: an invalid value, not a missing field
    InvalidValueException noProgress = assertThrows(InvalidValueException.class,
        () -> base(P, "np", SRV, 1).status(BackupStatus.RESTORING).build());
    assertEquals("progress", noProgress.field(), noProgress.getMessage());
    InvalidValueException noFailure = assertThrows(InvalidValueException.class,
        () -> base(P, "nf", SRV, 1).status(BackupStatus.ERROR).build());
    assertEquals("failure", noFailure.field(), noFailure.getMessage());
  }

  // ------------------------------------------------------------------ small values

  @Test
  void smallValueRefusalsNameTheirFieldsAtOnePastEachBound() {
    invalid("progress", () -> Progress.of(101, T0));
    invalid("progress", () -> Progress.of(-1, T0));
    assertEquals(100, Progress.of(100, Instant.MAX).percent());
    assertEquals(0, Progress.of(0, Instant.MIN).percent());
    invalid("failure reason", () -> Failure.of(JobType.BACKUP, " ", T0));
    invalid("failure reason", () -> Failure.of(JobType.DELETE, letters(Failure.MAX_REASON_LENGTH + 1, 'r'), T0));
    invalid("fail_code description", () -> new FailCode(1, "d".repeat(FailCode.MAX_DESCRIPTION_LENGTH + 1)));
    assertEquals(FailCode.MAX_DESCRIPTION_LENGTH, new FailCode(-1, "d".repeat(FailCode.MAX_DESCRIPTION_LENGTH)).description().length());
    invalid("supported_restore_mode", () -> io.csbs.backup.RestoreMode.parse("SNAPSHOT "));
    invalid("copy_status", () -> io.csbs.backup.CopyStatus.parse(""));
    invalid("status", () -> io.csbs.backup.ApiStatus.parse("Available"));
    invalid("action", () -> TagUpdate.Action.parse("update"));
    invalid("action", () -> TagFilter.Action.parse("FILTER"));
  }

  @Test
  void tagUpdateRefusalsAtTheirBounds() {
    invalid("tag key", () -> TagUpdate.Match.key("  "));
    invalid("tag key", () -> TagUpdate.Match.key("k".repeat(TagUpdate.MAX_DELETE_KEY_LENGTH + 1)));
    invalid("tag value", () -> TagUpdate.Match.of("k", "v".repeat(TagUpdate.MAX_DELETE_VALUE_LENGTH + 1)));
    assertEquals(127, TagUpdate.Match.key(" " + "k".repeat(127) + " ").key().length());
    assertEquals(255, TagUpdate.Match.of("k", "v".repeat(255) + "\t").value().orElseThrow().length());
    assertEquals("", TagUpdate.Match.of("k", "   ").value().orElseThrow());
    invalid("tags", () -> TagUpdate.create(List.of()));
    invalid("tags", () -> TagUpdate.delete(List.of()));
    List<Tag> eleven = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      eleven.add(Tag.of("\u00e6" + i, "v"));
    }
    invalid("tags", () -> TagUpdate.create(eleven));
    assertEquals(10, TagUpdate.create(eleven.subList(0, 10)).tags().size());
    invalid("tags", () -> TagUpdate.create(Tag.of("k", "a"), Tag.of(" k", "b")));
    // applyTo: eleven tags in all; a time before the creation; a time before the last change
    Backup nine = base(P, "t", SRV, 1).status(BackupStatus.AVAILABLE).tags(eleven.subList(0, 9)).build();
    String before = nine.toString();
    invalid("tags", () -> TagUpdate.create(Tag.of("x", "1"), Tag.of("y", "2")).applyTo(nine, T0));
    assertEquals(10, TagUpdate.create(Tag.of("x", "1"), Tag.of("\u00e60", "w")).applyTo(nine, T0).tags().size());
    Backup restoring = Lifecycle.restore(nine, T0);
    invalid("updated at", () -> TagUpdate.create(Tag.of("x", "1")).applyTo(nine, T0.minus(Duration.ofHours(5)).minusNanos(1)));
    invalid("now", () -> TagUpdate.create(Tag.of("x", "1")).applyTo(restoring, T0.minusNanos(1)));
    assertEquals(before, nine.toString());
  }

  // ------------------------------------------------------------------ nulls and blank-first on the catalogs

  @Test
  void aNullArgumentIsAnNpeAndLeavesBothCatalogsExactlyAsTheyWere() {
    for (Fix f : both()) {
      List<Backup> withNull = new ArrayList<>();
      withNull.add(available(Q, "first-of-batch", 1));
      withNull.add(null);
      f.refused(NullPointerException.class, () -> f.catalog.addAll(withNull));
      f.refused(NullPointerException.class, () -> f.catalog.addAll(null));
      f.refused(NullPointerException.class, () -> f.catalog.add(null));
      f.refused(NullPointerException.class, () -> f.catalog.apply(P, "a-1", 1, null));
      f.refused(NullPointerException.class, () -> f.catalog.apply(P, null, 1, Transition.restore()));
      f.refused(NullPointerException.class, () -> f.catalog.updateTags(P, "a-1", 1, null));
      f.refused(NullPointerException.class, () -> f.catalog.remove(P, null, 1));
      f.refused(NullPointerException.class, () -> f.catalog.setQuota(P, null));
      f.refused(NullPointerException.class, () -> f.catalog.replay(null));
      f.refused(NullPointerException.class, () -> f.catalog.load(null));
      f.refused(NullPointerException.class, () -> f.catalog.query(P, null));
      f.refused(NullPointerException.class, () -> f.catalog.usage(P, null));
      f.refused(NullPointerException.class, () -> f.catalog.read(P, null));
      f.refused(NullPointerException.class, () -> f.catalog.subscribe(null));
      // an empty batch adds nothing and is no change
      String before = f.all();
      f.catalog.addAll(List.of());
      assertEquals(before, f.all());
    }
  }

  @Test
  void aBlankProjectIdIsNamedBeforeEveryOtherBadArgument() {
    for (Fix f : both()) {
      for (String blank : new String[] {" ", "\u2028"}) {
        f.invalid("project id", () -> f.catalog.apply(blank, "", -7, Transition.reportProgress(500)));
        f.invalid("project id", () -> f.catalog.updateTags(blank, "nope", Long.MIN_VALUE, TagUpdate.create(Tag.of("k", "v"))));
        f.invalid("project id", () -> f.catalog.remove(blank, "", 0));
        f.invalid("project id", () -> f.catalog.query(blank, Query.builder().marker("no-such-marker").build()));
        f.invalid("project id", () -> f.catalog.get(blank, "nope"));
        f.invalid("project id", () -> f.catalog.read(blank, v -> {
          throw new AssertionError("reads must not run for a blank project");
        }));
      }
    }
  }

  @Test
  void aQuotaOnAnOverlongProjectIdIsKeptAndReadBack() {
    String longId = "p" + "\u00e9".repeat(80);
    for (Fix f : both()) {
      f.catalog.setQuota(longId, Quota.of(3, 4));
      assertEquals(Quota.of(3, 4), f.catalog.quotaUsage(longId).quota());
      assertEquals(0, f.catalog.sequence(longId));
      assertEquals(0, f.catalog.count(longId, Predicates.all()));
      f.catalog.setQuota(longId, Quota.NONE);
      assertEquals(Quota.NONE, f.catalog.quotaUsage(longId).quota());
    }
  }

  // ------------------------------------------------------------------ "at most 64 chars" counts chars

  @Test
  void theSixtyFourCharLimitsCountCharsSoThirtyTwoSupplementaryLettersFitAndThirtyThreeDoNot() {
    String at = letters(32, 0x1D49C);
    String past = letters(33, 0x1D49C);
    assertEquals(64, Server.of(at, "n", "az").id().length());
    invalid("server id", () -> Server.of(past, "n", "az"));
    assertEquals(64, Server.of("i", "n", at).availabilityZone().length());
    invalid("availability zone", () -> Server.of("i", "n", past));
    invalid("server id", () -> Server.of(" ", "n", "az"));
    invalid("server name", () -> Server.of("i", "\u3000", "az"));
    invalid("server name", () -> Server.of("i", "x".repeat(256), "az"));
    assertEquals(255, Server.of("i", "x".repeat(255), "az").name().length());
    assertEquals(64, io.csbs.backup.BackupDetails.builder().checkpointId(at).build().checkpointId().orElseThrow().length());
    invalid("checkpoint_id", () -> io.csbs.backup.BackupDetails.builder().checkpointId(past).build());
    invalid("checkpoint_id", () -> io.csbs.backup.BackupDetails.builder().checkpointId(" ").build());
    invalid("space_saving_ratio", () -> io.csbs.backup.BackupDetails.builder().spaceSavingRatio(101).build());
    invalid("average_speed", () -> io.csbs.backup.BackupDetails.builder().averageSpeedKbps(-1).build());
    invalid("eip", () -> io.csbs.backup.VmMetadata.builder().eip(past).build());
    invalid("disk", () -> io.csbs.backup.VmMetadata.builder().diskGb(-1).build());
  }

  // ------------------------------------------------------------------ inside read: reads of all projects

  private static List<String> notRefusedInsideARead(Fix f) {
    Map<String, Executable> inside = new TreeMap<>();
    inside.put("queryAllProjects", () -> f.catalog.queryAllProjects(Query.all()));
    inside.put("countAllProjects", () -> f.catalog.countAllProjects(Predicates.all()));
    inside.put("sequence of another", () -> f.catalog.sequence(Q));
    if (!(f.catalog instanceof ReferenceCatalog)) {   // it keeps no statistics at all
      inside.put("stats of another", () -> f.catalog.stats(Q));
    }
    inside.put("get of another", () -> f.catalog.get(Q, "a-1"));
    inside.put("setQuota of another", () -> f.catalog.setQuota(Q, Quota.of(1, 1)));
    List<String> notRefused = new ArrayList<>();
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30), () -> f.catalog.read(P, view -> {
      for (Map.Entry<String, Executable> e : inside.entrySet()) {
        try {
          e.getValue().execute();
          notRefused.add(e.getKey());
        } catch (IllegalStateException refused) {
          // as documented
        } catch (Throwable t) {
          notRefused.add(e.getKey() + " threw " + t);
        }
      }
      return null;
    }));
    return notRefused;
  }

  @Test
  void insideAReadBothCatalogsRefuseReadsOfOtherProjectsAndOfAllProjectsAndNothingChanges() {
    for (Fix f : both()) {
      String before = f.all();
      assertEquals(List.of(), notRefusedInsideARead(f), f.catalog.getClass().getSimpleName());
      assertEquals(before, f.all());
    }
  }

  // ------------------------------------------------------------------ project id order with unicode ids

  /** Project ids whose UTF-16 order and code point order differ (a supplementary letter vs U+FF21). */
  private static final List<String> TRICKY = List.of("\uff21-full", "\ud835\udc9c-math", "Z", "a", "\u00e9");

  @Test
  void addAllNamesTheSameFirstProjectOnBothCatalogsWhateverTheIdsScripts() {
    Random random = new Random(20310228L);
    for (int round = 0; round < 40; round++) {
      long seed = random.nextLong();
      Random r = new Random(seed);
      List<String> projects = new ArrayList<>(TRICKY);
      Collections.shuffle(projects, r);
      List<String> answers = new ArrayList<>();
      for (boolean indexed : new boolean[] {true, false}) {
        Fix f = new Fix(indexed);
        List<Backup> batch = new ArrayList<>();
        for (String project : projects) {
          f.catalog.setQuota(project, Quota.of(1, -1));
          batch.add(available(project, "x", 1));
          if (r.nextBoolean()) {
            batch.add(available(project, "y", 1));   // over the quota of one backup
          }
        }
        r = new Random(seed);   // the same batch on the other catalog
        Collections.shuffle(new ArrayList<>(TRICKY), r);
        try {
          f.catalog.addAll(batch);
          answers.add("added");
        } catch (QuotaExceededException e) {
          answers.add("quota of " + e.projectId());
        }
        String expectedFirst = projects.stream().filter(p -> batch.stream().filter(b -> b.projectId().equals(p)).count() > 1)
            .sorted().findFirst().map(p -> "quota of " + p).orElse("added");
        assertEquals(expectedFirst, answers.get(answers.size() - 1), "indexed=" + indexed + " seed=" + seed);
      }
    }
  }

  @Test
  void allProjectsTiesAreInStringCompareToOrderOfProjectIdsOnBothCatalogs() {
    List<String> sorted = new ArrayList<>(TRICKY);
    Collections.sort(sorted);   // String.compareTo, as the javadoc says
    for (boolean indexed : new boolean[] {true, false}) {
      Fix f = new Fix(indexed);
      List<Backup> batch = new ArrayList<>();
      for (String project : TRICKY) {
        batch.add(available(project, "same-id", 1));
      }
      f.catalog.addAll(batch);
      for (Sort sort : List.of(Sort.parse("id:asc"), Sort.parse("id:desc"), Sort.parse("name"), Sort.DEFAULT)) {
        List<String> order = new ArrayList<>();
        for (Backup b : f.catalog.queryAllProjects(Query.builder().sort(sort).build()).backups()) {
          order.add(b.projectId());
        }
        assertEquals(sorted, order, "indexed=" + indexed + " " + sort);
      }
      f.invalid("marker", () -> f.catalog.queryAllProjects(Query.builder().marker("same-id").build()));
    }
  }

  // ------------------------------------------------------------------ the documented order of checks

  @Test
  void replayChecksTheSequenceThenTheBackupThenTheVersionOnBothCatalogs() {
    for (Fix f : both()) {
      Backup enh = f.catalog.get(P, "enh");
      Backup stale = enh.toBuilder().version(9).build();
      Backup ghost = available(P, "ghost", 1);
      // a gap comes before a duplicate, a missing backup and a stale version
      exactly(IllegalStateException.class, () -> f.catalog.replay(added(8, available(P, "enh", 1))));
      exactly(IllegalStateException.class, () -> f.catalog.replay(new Change(8, P, "ghost", Optional.of(ghost), Optional.empty(), Optional.empty())));
      exactly(IllegalStateException.class, () -> f.catalog.replay(new Change(8, P, "enh", Optional.of(stale), Optional.empty(), Optional.empty())));
      // installed already: false, before any other check
      assertFalse(f.catalog.replay(new Change(3, P, "ghost", Optional.of(ghost), Optional.empty(), Optional.empty())));
      assertFalse(f.catalog.replay(new Change(5, P, "enh", Optional.of(stale), Optional.empty(), Optional.empty())));
      // the version is checked only once the backup is found
      f.refused(BackupNotFoundException.class, () -> f.catalog.replay(new Change(6, P, "ghost", Optional.of(ghost.toBuilder().version(7).build()), Optional.empty(), Optional.empty())));
      f.refused(VersionConflictException.class, () -> f.catalog.replay(new Change(6, P, "enh", Optional.of(stale), Optional.of(stale.toBuilder().version(10).build()), Optional.empty())));
    }
  }

  @Test
  void theVersionIsCheckedBeforeTheTagsAndTheClockOnUpdateTagsAndRemove() {
    List<Tag> eleven = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      eleven.add(Tag.of("t" + i, "v"));
    }
    for (Fix f : both()) {
      f.refused(VersionConflictException.class, () -> f.catalog.updateTags(P, "a-1", 7, TagUpdate.create(eleven)));
      f.refused(BackupNotFoundException.class, () -> f.catalog.updateTags(P, "zz", 7, TagUpdate.create(eleven)));
      f.clock.set(Instant.MIN);
      f.refused(VersionConflictException.class, () -> f.catalog.updateTags(P, "a-1", 2, TagUpdate.create(Tag.of("k", "v"))));
      f.refused(VersionConflictException.class, () -> f.catalog.apply(P, "a-1", 2, Transition.restore()));
      f.refused(BackupNotFoundException.class, () -> f.catalog.remove(P, "zz", 2));
      // remove reads no clock: a clock set back does not stop it
      f.catalog.remove(P, "a-1", 1);
      assertEquals(Optional.empty(), f.catalog.find(P, "a-1"));
    }
  }

  // ------------------------------------------------------------------ times at the ends of Instant

  @Test
  void relativeWindowsAtTheFirstInstantsAreAnsweredNotRefused() {
    for (boolean indexed : new boolean[] {true, false}) {
      Fix f = new Fix(indexed);
      f.clock.set(Instant.MIN.plusSeconds(60));
      f.catalog.add(Backup.builder().id("old").name("old").projectId(P).server(SRV).sizeMb(1)
          .status(BackupStatus.AVAILABLE).createdAt(Instant.MIN).build());
      assertEquals(1, f.catalog.count(P, Predicates.createdWithinLast(Predicates.MAX_WINDOW)), "indexed=" + indexed);
      assertEquals(1, f.catalog.count(P, Predicates.createdWithinLast(Duration.ofSeconds(60))), "indexed=" + indexed);
      assertEquals(0, f.catalog.count(P, Predicates.createdWithinLast(Duration.ofSeconds(59))), "indexed=" + indexed);
      assertEquals(1, f.catalog.query(P, ConsoleSearch.empty().withLastDays(36_500).toQuery(TagCatalogue.empty(), 5)).total());
      assertEquals(Instant.MIN, TimeRange.last(Duration.ofSeconds(Long.MAX_VALUE), Instant.MIN.plusSeconds(60)).start().orElseThrow());
      Page far = f.catalog.query(P, Query.builder().offset(Long.MAX_VALUE).build());
      assertEquals(List.of(), far.backups());
      assertEquals(1, far.total());
      assertFalse(far.hasMore());
    }
  }

  // ------------------------------------------------------------------ random refusals: indexed against reference

  private static String outcome(Fix f, java.util.concurrent.Callable<?> call) {
    try {
      Object result = call.call();
      return "ok " + result;
    } catch (InvalidValueException e) {
      return e.getClass().getSimpleName() + " " + e.field();
    } catch (VersionConflictException e) {
      return "conflict " + e.backupId() + " " + e.expectedVersion() + " " + e.currentVersion();
    } catch (BackupNotFoundException e) {
      return "not found " + e.projectId() + "/" + e.backupId();
    } catch (DuplicateBackupException e) {
      return "duplicate " + e.projectId() + "/" + e.backupId() + " " + e.inBatch();
    } catch (QuotaExceededException e) {
      return "quota " + e.projectId() + " " + e.quota();
    } catch (IllegalTransitionException e) {
      return "transition " + e.backupId() + " " + e.status() + " " + e.attempted();
    } catch (Exception e) {
      return e.getClass().getName();
    }
  }

  @Test
  void randomChangesAndRefusalsAnswerAlikeOnTheIndexedAndTheReferenceCatalog() {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    Fix indexed = new Fix(true);
    Fix reference = new Fix(false);
    indexed.catalog.subscribe(indexed.delivered::add);
    reference.catalog.subscribe(reference.delivered::add);
    List<String> projects = List.of(P, Q, "\uff21", "z");
    List<String> ids = List.of("b0", "b1", "b2", "\u00e91", "\ud83d\ude00");
    List<Transition> transitions = List.of(Transition.restore(), Transition.instantRestore(), Transition.delete(),
        Transition.complete(), Transition.fail("why"), Transition.fail(" "), Transition.reportProgress(30),
        Transition.reportProgress(100), Transition.reportProgress(101), Transition.reportProgress(-3));
    for (int round = 0; round < 300; round++) {
      int kind = r.nextInt(8);
      String project = projects.get(r.nextInt(projects.size()));
      String id = ids.get(r.nextInt(ids.size()));
      long version = 1 + r.nextInt(4);
      long size = r.nextInt(3) == 0 ? 700 : r.nextInt(50);
      BackupType type = r.nextBoolean() ? BackupType.ENHANCED : BackupType.values()[0];
      Transition transition = transitions.get(r.nextInt(transitions.size()));
      int tags = r.nextInt(12);
      Duration step = Duration.ofSeconds(r.nextInt(5) - 1);   // sometimes set back
      Instant now = indexed.clock.instant().plus(step);
      List<String> answers = new ArrayList<>();
      for (Fix f : List.of(indexed, reference)) {
        f.clock.set(now);
        java.util.concurrent.Callable<?> call;
        switch (kind) {
          case 0 -> call = () -> {
            f.catalog.add(base(project, id, SRV, size).status(BackupStatus.AVAILABLE).type(type).build());
            return null;
          };
          case 1 -> call = () -> {
            f.catalog.addAll(List.of(base(project, id, SRV, size).status(BackupStatus.AVAILABLE).build(),
                base(projects.get((projects.indexOf(project) + 1) % projects.size()), id, SRV2, size).status(BackupStatus.AVAILABLE).build()));
            return null;
          };
          case 2, 3 -> call = () -> f.catalog.apply(project, id, version, transition);
          case 4 -> call = () -> {
            List<Tag> list = new ArrayList<>();
            for (int t = 0; t < Math.max(1, tags); t++) {
              list.add(Tag.of("k" + t, "v"));
            }
            return f.catalog.updateTags(project, id, version, TagUpdate.create(list.subList(0, Math.min(10, list.size()))));
          };
          case 5 -> call = () -> {
            f.catalog.remove(project, id, version);
            return null;
          };
          case 6 -> call = () -> {
            f.catalog.setQuota(project, Quota.of(tags, 1));
            return null;
          };
          default -> call = () -> f.catalog.query(project, Query.builder().marker(id).limit(2).build()).ids();
        }
        String result = outcome(f, call);
        StringBuilder state = new StringBuilder();
        for (String each : projects) {
          state.append(f.state(each)).append('#');
        }
        List<String> delivered = new ArrayList<>();
        for (Change c : f.delivered) {
          delivered.add(c.projectId() + String.format("%06d", c.sequence()) + c);
        }
        Collections.sort(delivered);   // changes of different projects may interleave in any way
        answers.add(result + " => " + state + f.catalog.countAllProjects(Predicates.all()) + delivered);
      }
      assertEquals(answers.get(0).replace("no stats", "").replaceAll("\\|[0-9]+b/[0-9]+B", "|"),
          answers.get(1).replace("no stats", "").replaceAll("\\|[0-9]+b/[0-9]+B", "|"),
          "round " + round + " kind " + kind + " seed " + seed);
    }
  }

  // ------------------------------------------------------------------ addAll: the first such backup

  @Test
  void addAllRefusesTheFirstBackupThatExistsOrRepeatsInTheOrderGivenOnBothCatalogs() {
    for (Fix f : both()) {
      DuplicateBackupException a = f.refused(DuplicateBackupException.class,
          () -> f.catalog.addAll(List.of(available(P, "enh", 1), available(P, "enh", 2))));
      assertEquals("enh", a.backupId());
      assertFalse(a.inBatch(), "the first such backup exists already");
      DuplicateBackupException b = f.refused(DuplicateBackupException.class,
          () -> f.catalog.addAll(List.of(available(P, "new", 1), available(P, "new", 2), available(P, "enh", 1))));
      assertEquals("new", b.backupId());
      assertTrue(b.inBatch());
      DuplicateBackupException c = f.refused(DuplicateBackupException.class,
          () -> f.catalog.addAll(List.of(available(P, "new", 1), available(P, "enh", 1), available(P, "new", 2))));
      assertEquals("enh", c.backupId());
      assertFalse(c.inBatch());
      // project id order first: Q ("q" is U+0071) comes before P (U+30D7)
      DuplicateBackupException d = f.refused(DuplicateBackupException.class,
          () -> f.catalog.addAll(List.of(available(P, "enh", 1), available(Q, "a-1", 1))));
      assertEquals(Q, d.projectId());
      // the same id in two projects is no repeat
      f.catalog.addAll(List.of(available(P, "twin", 1), available(Q, "twin", 1)));
      assertEquals(2, f.catalog.countAllProjects(Predicates.backupId("twin")));
    }
  }

  @Test
  void smallLookupsAndParsersAreExact() {
    assertEquals(Optional.empty(), ErrorCode.ofCode("csbs.2003"));
    assertEquals(Optional.empty(), ErrorCode.ofCode(" CSBS.2003"));
    assertEquals(Optional.of(ErrorCode.BACKUP_BUSY), ErrorCode.ofCode("CSBS.2003"));
    invalid("sort", () -> Sort.by(io.csbs.query.SortKey.asc(io.csbs.query.SortField.NAME), io.csbs.query.SortKey.desc(io.csbs.query.SortField.NAME)));
    invalid("sort", () -> Sort.by(List.of(io.csbs.query.SortKey.asc(io.csbs.query.SortField.ID), io.csbs.query.SortKey.asc(io.csbs.query.SortField.ID))));
    assertThrows(NullPointerException.class, () -> io.csbs.backup.RestoreMode.parse(null));
    assertThrows(NullPointerException.class, () -> ConsoleSearch.empty().withStatus(BackupStatus.ERROR, (BackupStatus) null));
  }

  @Test
  void everyKindOfRefusedChangeOnANewProjectLeavesItWithoutIndexBytes() {
    Fix f = new Fix(true).filled();
    Map<String, Executable> refusals = new TreeMap<>();
    refusals.put("n-load", () -> f.catalog.load(new ProjectSnapshot("n-load", ProjectSnapshot.MAX_SEQUENCE + 1, Quota.of(1, 1),
        List.of(available("n-load", "x", 1)))));
    refusals.put("n-replay", () -> f.catalog.replay(added(2, available("n-replay", "x", 1))));
    refusals.put("n-replay-removal", () -> f.catalog.replay(new Change(1, "n-replay-removal", "x",
        Optional.of(available("n-replay-removal", "x", 1)), Optional.empty(), Optional.empty())));
    refusals.put("n-batch", () -> f.catalog.addAll(List.of(available("n-batch", "x", 1), available("n-batch", "x", 1))));
    refusals.put("n-tags", () -> f.catalog.updateTags("n-tags", "x", 1, TagUpdate.create(Tag.of("k", "v"))));
    refusals.put("n-remove", () -> f.catalog.remove("n-remove", "x", 1));
    refusals.put("n-marker", () -> f.catalog.query("n-marker", Query.builder().marker("x").build()));
    for (Map.Entry<String, Executable> e : refusals.entrySet()) {
      assertThrows(RuntimeException.class, e.getValue(), e.getKey());
      ProjectStats stats = f.catalog.stats(e.getKey());
      assertEquals(0, stats.backups(), e.getKey());
      assertEquals(0, stats.estimatedIndexBytes(), e.getKey() + " " + stats);
      assertEquals(0, f.catalog.sequence(e.getKey()), e.getKey());
      assertEquals(Quota.NONE, f.catalog.quotaUsage(e.getKey()).quota(), e.getKey());
    }
  }

  // ------------------------------------------------------------------ ProjectView outside its read

  private static Map<String, Executable> viewCalls(io.csbs.catalog.ProjectView view) {
    Map<String, Executable> calls = new TreeMap<>();
    calls.put("find", () -> view.find("a-1"));
    calls.put("query", () -> view.query(Query.all()));
    calls.put("count", () -> view.count(Predicates.all()));
    calls.put("tagCatalogue", view::tagCatalogue);
    calls.put("usage", () -> view.usage(UsageQuery.firstServers(3)));
    calls.put("quotaUsage", view::quotaUsage);
    calls.put("sequence", view::sequence);
    calls.put("snapshot", view::snapshot);
    return calls;
  }

  @Test
  void aViewAfterItsReadOrOnAnotherThreadRefusesEveryCallOnBothCatalogs() throws Exception {
    for (Fix f : both()) {
      io.csbs.catalog.ProjectView[] escaped = new io.csbs.catalog.ProjectView[1];
      List<String> otherThread = Collections.synchronizedList(new ArrayList<>());
      f.catalog.read(P, view -> {
        escaped[0] = view;
        Thread t = new Thread(() -> {
          for (Map.Entry<String, Executable> e : viewCalls(view).entrySet()) {
            try {
              e.getValue().execute();
              otherThread.add(e.getKey() + " answered");
            } catch (IllegalStateException refused) {
              // as documented
            } catch (Throwable other) {
              otherThread.add(e.getKey() + " threw " + other);
            }
          }
        });
        t.start();
        try {
          t.join(30_000);
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        assertFalse(t.isAlive(), "a view call from another thread hung");
        return null;
      });
      assertEquals(List.of(), otherThread, f.catalog.getClass().getSimpleName());
      String before = f.all();
      for (Map.Entry<String, Executable> e : viewCalls(escaped[0]).entrySet()) {
        IllegalStateException ise = assertThrows(IllegalStateException.class, e.getValue(), e.getKey());
        assertEquals(IllegalStateException.class, ise.getClass(), e.getKey());
      }
      assertEquals(P, escaped[0].projectId());
      assertEquals(before, f.all());
    }
  }

  // ------------------------------------------------------------------ Backup.nextVersion names the field as build() does

  private static String fieldOf(Executable call) {
    return assertThrows(InvalidValueException.class, call).field();
  }

  @Test
  void nextVersionNamesTheSameFieldAsTheBuilderForTheSameBreach() {
    Instant created = T0.minus(Duration.ofHours(5));
    Backup b = available(P, "nv", 1);
    Progress p0 = Progress.of(0, T0);
    Failure failed = Failure.of(JobType.RESTORE, "r", T0);
    // a progress in a stable state
    assertEquals(fieldOf(() -> base(P, "x", SRV, 1).status(BackupStatus.AVAILABLE).progress(p0).build()),
        fieldOf(() -> b.nextVersion(BackupStatus.AVAILABLE, Optional.of(p0), Optional.empty(), T0, Optional.empty())));
    // no progress in an intermediate state
    assertEquals(fieldOf(() -> base(P, "x", SRV, 1).status(BackupStatus.DELETING).build()),
        fieldOf(() -> b.nextVersion(BackupStatus.DELETING, Optional.empty(), Optional.empty(), T0, Optional.empty())));
    // no failure in Error
    assertEquals(fieldOf(() -> base(P, "x", SRV, 1).status(BackupStatus.ERROR).build()),
        fieldOf(() -> b.nextVersion(BackupStatus.ERROR, Optional.empty(), Optional.empty(), T0, Optional.empty())));
    // an update before the creation
    assertEquals(fieldOf(() -> base(P, "x", SRV, 1).status(BackupStatus.AVAILABLE).updatedAt(created.minusNanos(1)).build()),
        fieldOf(() -> b.nextVersion(BackupStatus.AVAILABLE, Optional.empty(), Optional.empty(), created.minusNanos(1), Optional.empty())));
    // a finish before the creation
    assertEquals(fieldOf(() -> base(P, "x", SRV, 1).status(BackupStatus.AVAILABLE).finishedAt(created.minusNanos(1)).build()),
        fieldOf(() -> b.nextVersion(BackupStatus.AVAILABLE, Optional.empty(), Optional.empty(), T0, Optional.of(created.minusNanos(1)))));
    // a progress changed before the creation
    Progress early = Progress.of(0, created.minusNanos(1));
    assertEquals(fieldOf(() -> base(P, "x", SRV, 1).status(BackupStatus.RESTORING).progress(early).build()),
        fieldOf(() -> b.nextVersion(BackupStatus.RESTORING, Optional.of(early), Optional.empty(), T0, Optional.empty())));
    // nothing changed in b, and a whole state is accepted
    assertEquals(1, b.version());
    assertEquals(2, b.nextVersion(BackupStatus.ERROR, Optional.empty(), Optional.of(failed), T0, Optional.empty()).version());
  }

  // ------------------------------------------------------------------ ProjectStats: which names

  private static List<String> projectStatsFieldsNamed() {
    Duration z = Duration.ZERO;
    Duration n = Duration.ofNanos(-1);
    List<Executable> negatives = List.of(
        () -> new ProjectStats(P, -1, 0, 0, z, z, z, z, 0, z),
        () -> new ProjectStats(P, 0, -1, 0, z, z, z, z, 0, z),
        () -> new ProjectStats(P, 0, 0, -1, z, z, z, z, 0, z),
        () -> new ProjectStats(P, 0, 0, 0, n, z, z, z, 0, z),
        () -> new ProjectStats(P, 0, 0, 0, z, n, z, z, 0, z),
        () -> new ProjectStats(P, 0, 0, 0, z, z, n, z, 0, z),
        () -> new ProjectStats(P, 0, 0, 0, z, z, z, n, 0, z),
        () -> new ProjectStats(P, 0, 0, 0, z, z, z, z, -1, z),
        () -> new ProjectStats(P, 0, 0, 0, z, z, z, z, 0, n));
    List<String> fields = new ArrayList<>();
    for (Executable call : negatives) {
      fields.add(exactly(InvalidValueException.class, call).field());
    }
    fields.add(exactly(InvalidValueException.class, () -> new ProjectStats("\u2003", 0, 0, 0, z, z, z, z, 0, z)).field());
    return fields;
  }

  @Test
  void projectStatsNamesItsNegativeFieldsByTheirComponentNames() {
    assertEquals(List.of("backups", "estimatedIndexBytes", "reorganisations", "reorganisationTime",
        "longestReorganisation", "longestSwap", "longestChangeHold", "lockWaits", "lockWaitTime", "project id"),
        projectStatsFieldsNamed());
  }

  // ------------------------------------------------------------------ a clock before the creation

  @Test
  void aClockBeforeTheCreationNamesNowForTransitionsAndUpdatedAtForTagsOnBothCatalogs() {
    for (Fix f : both()) {
      f.clock.set(Instant.MIN);
      f.invalid("now", () -> f.catalog.apply(P, "a-1", 1, Transition.restore()));
      f.invalid("now", () -> f.catalog.apply(P, "run", 3, Transition.fail("x")));
      f.invalid("updated at", () -> f.catalog.updateTags(P, "a-1", 1, TagUpdate.create(Tag.of("new", "v"))));
      f.invalid("updated at", () -> f.catalog.updateTags(P, "a-1", 1, TagUpdate.delete(TagUpdate.Match.key("env"))));
      // an update that leaves the tags as they are is no change, whatever the clock
      String before = f.all();
      Backup same = f.catalog.updateTags(P, "a-1", 1, TagUpdate.create(Tag.of("env", "\u00e9t\u00e9")));
      assertEquals(1, same.version());
      assertEquals(f.catalog.get(P, "a-1"), same);
      assertEquals(f.catalog.get(P, "run"), f.catalog.updateTags(P, "run", 3, TagUpdate.delete(TagUpdate.Match.key("absent"))));
      assertEquals(before, f.all());
    }
  }

  // ------------------------------------------------------------------ random replays, good and bad

  @Test
  void randomReplaysOfAGoodFeedAndOfBadChangesKeepBothReplicasEqualToThePrimary() {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog primary = Catalogs.indexed(clock);
    List<Change> feed = Collections.synchronizedList(new ArrayList<>());
    primary.subscribe(feed::add);
    List<BackupCatalog> replicas = List.of(Catalogs.indexed(FakeClock.at(Instant.EPOCH)), ReferenceCatalog.create(FakeClock.at(Instant.EPOCH)));
    List<String> projects = List.of(P, Q);
    List<String> ids = List.of("r0", "r1", "\u00e9");
    List<Transition> transitions = List.of(Transition.restore(), Transition.delete(), Transition.complete(),
        Transition.reportProgress(50), Transition.fail("f"));
    int delivered = 0;
    for (int round = 0; round < 250; round++) {
      clock.advance(Duration.ofSeconds(1));
      String project = projects.get(r.nextInt(2));
      String id = ids.get(r.nextInt(ids.size()));
      try {
        switch (r.nextInt(4)) {
          case 0 -> primary.add(available(project, id, r.nextInt(9)));
          case 1 -> primary.updateTags(project, id, primary.find(project, id).map(Backup::version).orElse(1L),
              TagUpdate.create(Tag.of("k" + r.nextInt(3), "v")));
          case 2 -> primary.remove(project, id, primary.find(project, id).map(Backup::version).orElse(1L));
          default -> primary.apply(project, id, primary.find(project, id).map(Backup::version).orElse(1L),
              transitions.get(r.nextInt(transitions.size())));
        }
      } catch (RuntimeException refused) {
        // refusals of the primary are no changes
      }
      // deliver the new changes, then throw bad ones at the replicas: each must answer alike and change nothing
      while (delivered < feed.size()) {
        Change good = feed.get(delivered++);
        for (BackupCatalog replica : replicas) {
          assertTrue(replica.replay(good), "seed " + seed + " " + good);
        }
      }
      if (!feed.isEmpty()) {
        Change old = feed.get(r.nextInt(feed.size()));
        List<Change> bad = new ArrayList<>();
        bad.add(old);   // installed already: false
        long next = replicas.get(0).sequence(old.projectId()) + 1;
        bad.add(new Change(next + 1, old.projectId(), old.backupId(), old.before(), old.after(), old.transition()));   // a gap
        Optional<Backup> stored = replicas.get(0).find(old.projectId(), old.backupId());
        if (stored.isPresent()) {
          Backup b = stored.get();
          Backup stale = b.toBuilder().version(b.version() + 1 + r.nextInt(3)).build();
          bad.add(new Change(next, old.projectId(), old.backupId(), Optional.empty(), Optional.of(b), Optional.empty()));   // a duplicate
          bad.add(new Change(next, old.projectId(), old.backupId(), Optional.of(stale), Optional.empty(), Optional.empty()));   // a stale version
        } else {
          Backup ghost = old.after().orElseGet(() -> old.before().orElseThrow());
          bad.add(new Change(next, old.projectId(), old.backupId(), Optional.of(ghost), Optional.empty(), Optional.empty()));   // not found
        }
        for (Change change : bad) {
          List<String> answers = new ArrayList<>();
          for (BackupCatalog replica : replicas) {
            String before = replica.sequence(old.projectId()) + " " + replica.query(old.projectId(), Query.all()).backups();
            String answer;
            try {
              answer = "returned " + replica.replay(change);
            } catch (RuntimeException e) {
              answer = e.getClass().getSimpleName();
            }
            String after = replica.sequence(old.projectId()) + " " + replica.query(old.projectId(), Query.all()).backups();
            if (answer.startsWith("returned true")) {
              answers.add(answer);   // a replay that happens to fit: undo nothing, compare below with the other replica
            } else {
              assertEquals(before, after, "seed " + seed + " a refused or ignored replay changed the replica: " + change);
              answers.add(answer);
            }
          }
          assertEquals(answers.get(0), answers.get(1), "seed " + seed + " round " + round + " " + change);
          if (answers.get(0).startsWith("returned true")) {
            // the replicas are now ahead of the primary: stop comparing with it, but they agree with each other
            for (String each : projects) {
              assertEquals(replicas.get(0).query(each, Query.all()).backups(), replicas.get(1).query(each, Query.all()).backups());
            }
            return;
          }
        }
      }
      for (String each : projects) {
        Object expected = primary.query(each, Query.all()).backups() + " " + primary.sequence(each) + " " + primary.tagCatalogue(each);
        for (BackupCatalog replica : replicas) {
          assertEquals(expected, replica.query(each, Query.all()).backups() + " " + replica.sequence(each) + " " + replica.tagCatalogue(each),
              "seed " + seed + " round " + round);
        }
      }
    }
  }

  // ------------------------------------------------------------------ undocumented refusals of the attribute shortcuts

  @Test
  void theAttributeShortcutsRefuseBlankAndOver255CodePointsNamingTheAttribute() {
    invalid("server id", () -> Predicates.serverId(" "));
    invalid("availability zone", () -> Predicates.availabilityZone(""));
    invalid("resource type", () -> Predicates.resourceType("x".repeat(256)));
    invalid("policy id", () -> Predicates.policyId("\u3000"));
    invalid("server id", () -> Predicates.serverId(letters(256, 0x1D49C)));
    // 255 code points are taken, even 510 chars of them, though no server id is longer than 64 chars
    assertTrue(Predicates.serverId(letters(255, 0x1D49C)).toString().length() > 0);
    assertTrue(Predicates.availabilityZone("z".repeat(255)).toString().length() > 0);
  }

  @Test
  void shortcutsWithoutThrowsClausesRefuseAsTheMethodsTheyCallDo() {
    invalid("tag key", () -> Predicates.tagKey(" "));
    invalid("tag key", () -> Predicates.tagKey("k".repeat(Tag.MAX_KEY_LENGTH + 1)));
    invalid("time range", () -> Predicates.createdBetween(T0, T0.minusNanos(1)));
    invalid("marker", () -> Query.all().after(" "));
    assertEquals(Optional.of("m"), Query.builder().offset(7).build().after("m").marker());
    assertEquals(0, Query.builder().offset(7).build().after("m").offset());
  }

  @Test
  void toPredicateListsTheFirstTenValuesOfTheKeyThenHowManyAndSaysWhenThereAreNoTags() {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      values.add(String.format("w%02d", i));
    }
    TagCatalogue existing = TagCatalogue.of(Map.of("k\u00e9", values));
    InvalidValueException value = invalid("tag value", () -> ConsoleSearch.empty().withTag("k\u00e9", "zz").toPredicate(existing));
    assertTrue(value.getMessage().contains("w09") && !value.getMessage().contains("w10") && value.getMessage().contains("12"),
        value.getMessage());
    InvalidValueException none = invalid("tag key", () -> ConsoleSearch.empty().withTag("k", "v").toPredicate(TagCatalogue.empty()));
    assertTrue(none.getMessage().contains("no tags"), none.getMessage());
    // exactly ten values are listed whole
    TagCatalogue ten = TagCatalogue.of(Map.of("k", values.subList(0, 10)));
    InvalidValueException whole = invalid("tag value", () -> ConsoleSearch.empty().withTag("k", "zz").toPredicate(ten));
    assertTrue(whole.getMessage().contains("w09") && !whole.getMessage().contains("in all"), whole.getMessage());
  }
}
