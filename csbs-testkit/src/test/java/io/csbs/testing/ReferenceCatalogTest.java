package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the reference catalog does beyond the contract that every catalog follows. */
class ReferenceCatalogTest {
  private static final Instant NOW = FakeClock.DEFAULT_START;
  private static final Sort BY_UPDATED = Sort.by(SortKey.asc(SortField.UPDATED_AT));

  private final FakeClock clock = FakeClock.at(NOW);
  private final ReferenceCatalog catalog = ReferenceCatalog.create(clock);

  @Test
  void usesTheDefaultStallRuleUnlessGivenOne() {
    assertEquals(StallRule.DEFAULT, catalog.stallRule());
    assertSame(clock, catalog.clock());
    StallRule tenMinutes = StallRule.ofThreshold(Duration.ofMinutes(10));
    ReferenceCatalog strict = ReferenceCatalog.create(clock, tenMinutes);
    Backup job = running("job", NOW.minus(Duration.ofMinutes(11)));
    strict.add(job);
    catalog.add(job);

    assertEquals(1, strict.count("p", Predicates.stalled()));
    assertEquals(0, catalog.count("p", Predicates.stalled()));
  }

  @Test
  void markerContinuesAfterTheMarkerBackupsCurrentPosition() {
    for (int i = 0; i < 6; i++) {
      catalog.add(available("p", "b-" + i, NOW.minus(Duration.ofHours(10 - i))));
    }
    Query firstThree = Query.builder().sort(BY_UPDATED).limit(3).build();
    assertEquals(List.of("b-0", "b-1", "b-2"), catalog.query("p", firstThree).ids());

    // b-2, the marker, changes: its update time moves it to the end of the order
    catalog.apply("p", "b-2", 1, Transition.restore());

    assertEquals(List.of(), catalog.query("p", firstThree.after("b-2")).ids());
    assertEquals(List.of("b-4", "b-5", "b-2"), catalog.query("p", firstThree.after("b-3")).ids());
  }

  @Test
  void pageSaysWhetherMoreFollow() {
    for (int i = 0; i < 5; i++) {
      catalog.add(available("p", "b-" + i, NOW.minus(Duration.ofHours(10 - i))));
    }
    Query query = Query.builder().sort(BY_UPDATED).limit(2).build();

    assertEquals(new Page(List.of(catalog.get("p", "b-0"), catalog.get("p", "b-1")), 5, true), catalog.query("p", query));
    assertEquals(new Page(List.of(catalog.get("p", "b-4")), 5, false), catalog.query("p", query.after("b-3")));
    assertEquals(new Page(List.of(catalog.get("p", "b-3"), catalog.get("p", "b-4")), 5, false),
        catalog.query("p", query.toBuilder().offset(3).build()));
    assertEquals(new Page(List.of(), 5, false), catalog.query("p", query.toBuilder().offset(Long.MAX_VALUE).build()));
  }

  @Test
  void readsTheClockOnceForEachQuery() {
    catalog.add(available("p", "b-1", NOW.minus(Duration.ofHours(2))));
    Query lastThreeHours = Query.where(Predicates.createdWithinLast(Duration.ofHours(3)));

    assertEquals(1, catalog.query("p", lastThreeHours).total());
    clock.advance(Duration.ofHours(2));
    assertEquals(0, catalog.query("p", lastThreeHours).total());
  }

  @Test
  void allProjectsViewBreaksTiesByProjectId() {
    Instant created = NOW.minus(Duration.ofDays(1));
    catalog.add(available("project-b", "same", created));
    catalog.add(available("project-a", "same", created));
    catalog.add(available("project-c", "other", created.minusSeconds(1)));

    Page page = catalog.queryAllProjects(Query.all());

    assertEquals(List.of("project-a", "project-b", "project-c"),
        page.backups().stream().map(Backup::projectId).collect(java.util.stream.Collectors.toList()));
    assertEquals(2, catalog.countAllProjects(Predicates.backupId("same")));
  }

  @Test
  void allProjectsMarkerMustNameExactlyOneBackup() {
    catalog.add(available("project-a", "same", NOW));
    catalog.add(available("project-b", "same", NOW));
    catalog.add(available("project-b", "only-b", NOW));

    InvalidValueException ambiguous = assertThrows(InvalidValueException.class,
        () -> catalog.queryAllProjects(Query.builder().marker("same").build()));
    assertEquals("marker", ambiguous.field());
    assertTrue(ambiguous.rule().contains("ambiguous across projects"), ambiguous.getMessage());
    assertFalse(ambiguous.getMessage().contains("project-a"), ambiguous.getMessage());
    assertFalse(ambiguous.getMessage().contains("project-b"), ambiguous.getMessage());

    InvalidValueException unknown = assertThrows(InvalidValueException.class,
        () -> catalog.queryAllProjects(Query.builder().marker("nowhere").build()));
    assertEquals("marker", unknown.field());

    assertEquals(List.of(), catalog.queryAllProjects(Query.builder().marker("only-b").build()).ids());
  }

  @Test
  void markerRefusalNamesOnlyTheAskingProject() {
    catalog.add(available("secret-project", "theirs", NOW));

    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> catalog.query("my-project", Query.builder().marker("theirs").build()));

    assertEquals("marker", e.field());
    assertEquals("must be the id of a backup of project my-project", e.rule());
    assertFalse(e.getMessage().contains("secret-project"), e.getMessage());
  }

  @Test
  void addAllAcceptsOneIdInDifferentProjectsButNotTwiceInOne() {
    catalog.addAll(List.of(available("project-a", "same", NOW), available("project-b", "same", NOW)));
    assertEquals(2, catalog.countAllProjects(Predicates.all()));

    List<Backup> twice = List.of(available("project-c", "new", NOW), available("project-c", "new", NOW.minusSeconds(1)));
    DuplicateBackupException e = assertThrows(DuplicateBackupException.class, () -> catalog.addAll(twice));
    assertEquals("new", e.backupId());
    assertEquals(0, catalog.count("project-c", Predicates.all()));
  }

  @Test
  void aRepeatedProgressReportChangesNothing() {
    catalog.add(running("job", NOW.minusSeconds(30)));

    Backup same = catalog.apply("p", "job", 1, Transition.reportProgress(10)).orElseThrow();

    assertEquals(1, same.version());
    assertEquals(NOW.minusSeconds(30), same.progress().orElseThrow().changedAt(), "the stall clock keeps running");
  }

  @Test
  void aTransitionDatedBeforeTheBackupsLastChangeIsRefused() {
    catalog.add(running("job", NOW.plusSeconds(30)));

    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> catalog.apply("p", "job", 1, Transition.reportProgress(50)));

    assertEquals("now", e.field());
    assertEquals(1, catalog.get("p", "job").version());
  }

  @Test
  void answersAnAllProjectsQueryAcrossManyProjectsLikeOneScan() {
    BackupGenerator generator = BackupGenerator.builder().seed(3).projects(4).servers(20).build();
    List<Backup> backups = generator.backups(200);
    catalog.addAll(backups);
    Sort sort = Sort.by(SortKey.desc(SortField.NAME));

    List<Backup> expected = new ArrayList<>(backups);
    expected.sort(sort.comparator());
    List<Backup> walked = new ArrayList<>();
    Query query = Query.builder().sort(sort).limit(7).build();
    while (true) {
      Page page = catalog.queryAllProjects(query);
      assertEquals(200, page.total());
      walked.addAll(page.backups());
      if (page.nextMarker().isEmpty()) {
        break;
      }
      query = query.after(page.nextMarker().get());
    }
    assertEquals(expected, walked);
  }

  @Test
  void refusesNulls() {
    assertThrows(NullPointerException.class, () -> ReferenceCatalog.create(null));
    assertThrows(NullPointerException.class, () -> ReferenceCatalog.create(clock, null));
    assertThrows(NullPointerException.class, () -> catalog.add(null));
    assertThrows(NullPointerException.class, () -> catalog.query(null, Query.all()));
    assertThrows(NullPointerException.class, () -> catalog.query("p", null));
    assertThrows(NullPointerException.class, () -> catalog.count("p", null));
    assertThrows(NullPointerException.class, () -> catalog.find("p", null));
  }

  @Test
  void toStringSaysSizeAndStallThreshold() {
    catalog.add(available("project-a", "b-1", NOW));
    catalog.add(available("project-b", "b-2", NOW));

    assertEquals("ReferenceCatalog{2 projects, 2 backups, stall threshold PT30M}", catalog.toString());
  }

  private static Backup available(String project, String id, Instant created) {
    return Backup.builder()
        .id(id)
        .name("manualbk_" + id)
        .projectId(project)
        .server(Server.of("server-1", "ecs-web", "eu-de-01"))
        .status(BackupStatus.AVAILABLE)
        .sizeMb(2048)
        .createdAt(created)
        .addTags(Tag.of("env", "prod"))
        .build();
  }

  /** A backup of project {@code p} whose backup job is at 10% since {@code changedAt}. */
  private static Backup running(String id, Instant changedAt) {
    return Backup.builder()
        .id(id)
        .name("manualbk_" + id)
        .projectId("p")
        .server(Server.of("server-1", "ecs-web", "eu-de-01"))
        .status(BackupStatus.CREATING)
        .progress(Progress.of(10, changedAt))
        .sizeMb(2048)
        .createdAt(changedAt.minus(Duration.ofMinutes(5)))
        .updatedAt(changedAt)
        .build();
  }
}
