package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.CopyStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.backup.VmMetadata;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectStats;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.KeywordField;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.query.TimeRange;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README, read sentence by sentence by a new user: "Coordinates", "Quick start" (lines 1 to 158)
 * and "The two commands", the behaviour claims of "Benchmarks", and "Compatibility". Every expected
 * value below comes from the README's words (or, where it points to one, the javadoc), with data of
 * this test's own: hand-made names, unicode, ties and boundaries.
 */
class NewUserReadmeTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Server WEB = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ECS-Wëb-01", "eu-de-02");
  private static final Server DB = Server.of("0c5b1a9e-2f9d-4a57-9d3b-7d1f4c2a9b10", "ecs-db-01", "eu-de-01");
  private static final Server STRASSE = Server.of("srv-ß", "ecs-straße-İ", "eu-de-03");

  private static Backup.Builder backup(String project, String id, String name, Server server, Instant createdAt) {
    return base(project, id, name, server, createdAt).status(BackupStatus.AVAILABLE).sizeMb(1024);
  }

  /** A builder without status and size (each field of a builder is set once). */
  private static Backup.Builder base(String project, String id, String name, Server server, Instant createdAt) {
    return Backup.builder()
        .id(id)
        .name(name)
        .projectId(project)
        .server(server)
        .createdAt(createdAt);
  }

  private static Set<String> ids(Page page) {
    return new TreeSet<>(page.ids());
  }

  private static InvalidValueException invalid(String field, org.junit.jupiter.api.function.Executable call) {
    InvalidValueException e = assertThrows(InvalidValueException.class, call);
    assertEquals(field, e.field(), e.getMessage());
    return e;
  }

  // ---------------------------------------------------------------------------------------------
  // Coordinates

  @Test
  void coordinatesCoreNeedsNothingAtRunTimeImmutablesIsNotOnTheRuntimePath() {
    // "csbs-core has no runtime dependency: Immutables generates its value classes at build time, as
    // JDK-only code, and is not on your runtime path."
    assertThrows(ClassNotFoundException.class, () -> Class.forName("org.immutables.value.Value"));
    assertThrows(ClassNotFoundException.class, () -> Class.forName("org.immutables.value.Value$Immutable"));
    // The generated code runs: a value is built and its Immutables annotation is not seen at run time
    // (class retention, "never at run time", Compatibility).
    Backup b = backup("p", "b", "n", DB, NOW).build();
    assertEquals("b", b.id());
    assertEquals(0, Backup.class.getAnnotations().length, List.of(Backup.class.getAnnotations()).toString());
    for (Class<?> c : List.of(b.getClass(), Backup.class, Server.class, Tag.class)) {
      assertTrue(c.getName().startsWith("io.csbs."), c.getName());
      assertTrue(c.getSuperclass() == null || c.getSuperclass().getName().startsWith("io.csbs.")
          || c.getSuperclass().getName().startsWith("java."), c.getSuperclass().getName());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Quick start: a backup is an immutable value; every change of state is a pure function

  @Test
  void quickStartLifecycleAsWrittenWithItsComments() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    Backup backup = Backup.builder()
        .id("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12")
        .name("autobk_a61d")
        .projectId("project-1")
        .server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02"))
        .status(BackupStatus.AVAILABLE)
        .type(BackupType.ENHANCED)
        .trigger(BackupTrigger.AUTOMATIC)
        .sizeMb(146_184)
        .createdAt(now.minus(Duration.ofDays(3)))
        .addTags(Tag.of("env", "prod"))
        .build();

    Backup restoring = Lifecycle.instantRestore(backup, now);                // Restoring, 0%
    Backup halfway = Lifecycle.reportProgress(restoring, 50, now.plusSeconds(60));
    boolean stalled = StallRule.DEFAULT.isStalled(halfway, now.plus(Duration.ofHours(1)));  // true
    Backup restored = Lifecycle.complete(halfway, now.plusSeconds(120)).orElseThrow();       // Available

    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(0, restoring.progress().orElseThrow().percent());
    assertEquals(50, halfway.progress().orElseThrow().percent());
    assertTrue(stalled);
    assertEquals(BackupStatus.AVAILABLE, restored.status());
    assertTrue(restored.progress().isEmpty(), "progress only in an intermediate state");
    // "a pure function that returns the next version": the inputs are unchanged, versions climb by one
    assertEquals(BackupStatus.AVAILABLE, backup.status());
    assertEquals(1, backup.version());
    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(0, restoring.progress().orElseThrow().percent());
    assertEquals(List.of(2L, 3L, 4L), List.of(restoring.version(), halfway.version(), restored.version()));
    // the same call again gives an equal value (pure)
    assertEquals(restoring, Lifecycle.instantRestore(backup, now));
    // everything but the state is kept
    assertEquals(backup.id(), restored.id());
    assertEquals(backup.tags(), restored.tags());
    assertEquals(backup.sizeMb(), restored.sizeMb());
  }

  @Test
  void quickStartLifecycleWithTheStallAtItsEdgesAndUnicodeData() {
    Instant created = Instant.parse("2000-02-29T23:59:59.999999999Z");
    Backup backup = backup("prøject-𝔘", "ïd-𝔘", "Ärger_𝔘_ß", STRASSE, created)
        .type(BackupType.ENHANCED)
        .addTags(Tag.of("ümlaut", "wërt"))
        .build();
    Instant now = created.plusSeconds(1);
    Backup restoring = Lifecycle.instantRestore(backup, now);
    Backup halfway = Lifecycle.reportProgress(restoring, 50, now.plusSeconds(60));
    // no progress for an hour after 50% is a stall (the README's line); a minute after is not
    assertTrue(StallRule.DEFAULT.isStalled(halfway, now.plusSeconds(60).plus(Duration.ofHours(1))));
    assertFalse(StallRule.DEFAULT.isStalled(halfway, now.plusSeconds(120)));
    // an Available backup is never stalled
    Backup restored = Lifecycle.complete(halfway, now.plusSeconds(120)).orElseThrow();
    assertFalse(StallRule.DEFAULT.isStalled(restored, Instant.MAX));
    assertEquals(BackupStatus.AVAILABLE, restored.status());
    assertEquals("Ärger_𝔘_ß", restored.name());
  }

  // ---------------------------------------------------------------------------------------------
  // Quick start: the console's search

  /** The README's catalog of 30 days, with the README's search, as written. */
  @Test
  void consoleSearchAsWritten() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    Server web = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web-01", "eu-de-02");
    Server db = Server.of("0c5b1a9e-2f9d-4a57-9d3b-7d1f4c2a9b10", "ecs-db-01", "eu-de-01");
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(now, ZoneOffset.UTC));
    for (int day = 1; day <= 30; day++) {
      catalog.add(Backup.builder()
          .id("backup-" + day)
          .name("autobk_" + day)
          .projectId("project-1")
          .server(day % 2 == 0 ? web : db)
          .status(BackupStatus.AVAILABLE)
          .sizeMb(40_960)
          .createdAt(now.minus(Duration.ofDays(day)))
          .addTags(Tag.of("env", day % 3 == 0 ? "test" : "prod"))
          .build());
    }
    Backup oldest = catalog.get("project-1", "backup-30");
    catalog.apply("project-1", oldest.id(), oldest.version(), Transition.delete());  // now Deleting

    ConsoleSearch search = ConsoleSearch.empty()
        .withStatus(BackupStatus.AVAILABLE)
        .withLastDays(7)
        .withKeyword(KeywordField.SERVER_NAME, "WEB")   // names match case-insensitively
        .withTag("env", "prod");                         // must exist among the project's tags
    Page page = catalog.query("project-1", search.toQuery(catalog.tagCatalogue("project-1"), 20));
    assertEquals(List.of("backup-2", "backup-4"), page.ids());    // [backup-2, backup-4]: newest first
    assertEquals(2, page.total());  // 2
    assertEquals(BackupStatus.DELETING, catalog.get("project-1", "backup-30").status());  // now Deleting

    // the same search, with each criterion dropped in turn, answers as the README's data says
    Query everyAvailable = ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE)
        .toQuery(catalog.tagCatalogue("project-1"), 1000);
    assertEquals(29, catalog.query("project-1", everyAvailable).total());
    Query lastWeek = ConsoleSearch.empty().withLastDays(7).toQuery(catalog.tagCatalogue("project-1"), 1000);
    assertEquals(List.of("backup-1", "backup-2", "backup-3", "backup-4", "backup-5", "backup-6", "backup-7"),
        catalog.query("project-1", lastWeek).ids());
    Query webProd = ConsoleSearch.empty().withKeyword(KeywordField.SERVER_NAME, "Web")
        .withTag("env", "prod").toQuery(catalog.tagCatalogue("project-1"), 1000);
    // even days not divisible by 3, newest first; day 30 (Deleting) is even but env=test
    List<String> expected = new ArrayList<>();
    for (int day = 2; day <= 30; day += 2) {
      if (day % 3 != 0) {
        expected.add("backup-" + day);
      }
    }
    assertEquals(expected, catalog.query("project-1", webProd).ids());
  }

  @Test
  void consoleSearchNamesMatchCaseInsensitivelyWithAccentsAndTagsMustExist() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(backup("p", "w1", "autobk_1", WEB, NOW.minusSeconds(10)).addTags(Tag.of("env", "prod")).build());
    catalog.add(backup("p", "w2", "autobk_2", WEB, NOW.minusSeconds(20)).addTags(Tag.of("env", "staging")).build());
    catalog.add(backup("p", "d1", "AUTOBK_3", DB, NOW.minusSeconds(30)).addTags(Tag.of("env", "prod")).build());
    TagCatalogue tags = catalog.tagCatalogue("p");
    // "names match case-insensitively": the server name is "ECS-Wëb-01"
    for (String keyword : List.of("wëb", "WËB", "Wëb", "ecs-wëb-01", "ECS-WËB-01")) {
      Page page = catalog.query("p", ConsoleSearch.empty().withKeyword(KeywordField.SERVER_NAME, keyword).toQuery(tags, 20));
      assertEquals(List.of("w1", "w2"), page.ids(), keyword);
    }
    // an accent is not a case: "web" is not in "ECS-Wëb-01"
    assertEquals(0, catalog.query("p",
        ConsoleSearch.empty().withKeyword(KeywordField.SERVER_NAME, "web").toQuery(tags, 20)).total());
    Page names = catalog.query("p", ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, "AutoBK").toQuery(tags, 20));
    assertEquals(List.of("w1", "w2", "d1"), names.ids());
    // "must exist among the project's tags": a value no backup has is refused, naming the tag value
    ConsoleSearch unknownValue = ConsoleSearch.empty().withTag("env", "test");
    invalid("tag value", () -> unknownValue.toQuery(tags, 20));
    ConsoleSearch unknownKey = ConsoleSearch.empty().withTag("team", "prod");
    invalid("tag key", () -> unknownKey.toQuery(tags, 20));
    // the console's page: 1 to 1000 backups
    invalid("limit", () -> ConsoleSearch.empty().toQuery(tags, 0));
    invalid("limit", () -> ConsoleSearch.empty().toQuery(tags, 1001));
    assertEquals(List.of("w1"), catalog.query("p", ConsoleSearch.empty().toQuery(tags, 1)).ids());
    assertEquals(1000, ConsoleSearch.empty().toQuery(tags, 1000).limit());
    // a key and a value that exist, on different backups' tags, are accepted
    assertEquals(List.of("w1", "d1"),
        catalog.query("p", ConsoleSearch.empty().withTag("env", "prod").toQuery(tags, 20)).ids());
  }

  @Test
  void consoleSearchTagThatExistsOnlyInAnotherProjectIsRefused() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "a", "x", DB, NOW).addTags(Tag.of("env", "prod")).build());
    catalog.add(backup("q", "a", "x", DB, NOW).addTags(Tag.of("env", "test")).build());
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "test");
    invalid("tag value", () -> search.toQuery(catalog.tagCatalogue("p"), 20));
    assertEquals(List.of("a"), catalog.query("q", search.toQuery(catalog.tagCatalogue("q"), 20)).ids());
  }

  // ---------------------------------------------------------------------------------------------
  // "Every criterion is a BackupPredicate built with Predicates (...) and composed with and, or, not."

  /** Five hand-made backups in project "p", in five states, the clock at {@link #NOW}. */
  private static BackupCatalog fiveStates(FakeClock clock) {
    clock.set(NOW.minus(Duration.ofHours(1)));
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(backup("p", "a1", "autobk_Äpfel", WEB, NOW.minus(Duration.ofDays(1)))
        .type(BackupType.ENHANCED).trigger(BackupTrigger.AUTOMATIC).policyId("pol-1")
        .addTags(Tag.of("env", "prod"), Tag.of("team", "ops")).build());
    catalog.add(backup("p", "a2", "manualbk_x", DB, NOW.minus(Duration.ofDays(2)))
        .addTags(Tag.of("env", "test")).build());
    catalog.add(backup("p", "a3", "autobk_𝔘", WEB, NOW.minus(Duration.ofDays(10)))
        .trigger(BackupTrigger.AUTOMATIC).policyId("pol-2").addTags(Tag.of("env", "prod-eu")).build());
    catalog.add(backup("p", "a4", "DB_full", STRASSE, NOW.minus(Duration.ofDays(3))).build());
    catalog.add(backup("p", "a5", "x", DB, NOW.minus(Duration.ofDays(40))).addTags(Tag.of("team", "dev")).build());
    catalog.apply("p", "a3", 1, Transition.restore());                 // Restoring from NOW-1h: stalled at NOW
    catalog.apply("p", "a4", 1, Transition.delete());
    catalog.apply("p", "a5", 1, Transition.restore());
    catalog.apply("p", "a5", 2, Transition.fail("disk full"));         // Error
    clock.set(NOW);
    catalog.apply("p", "a4", 2, Transition.reportProgress(40));        // Deleting, progress at NOW
    return catalog;
  }

  private static Set<String> set(String... ids) {
    return new TreeSet<>(List.of(ids));
  }

  private static Set<String> matches(BackupCatalog catalog, BackupPredicate predicate) {
    Page page = catalog.query("p", Query.where(predicate));
    assertEquals(page.total(), catalog.count("p", predicate), predicate.toString());
    assertEquals(page.total(), page.backups().size(), predicate.toString());
    return ids(page);
  }

  @Test
  void everyCriterionTheReadmeListsSelectsWhatItNames() {
    BackupCatalog catalog = fiveStates(FakeClock.create());
    assertEquals(BackupStatus.RESTORING, catalog.get("p", "a3").status());
    assertEquals(BackupStatus.DELETING, catalog.get("p", "a4").status());
    assertEquals(BackupStatus.ERROR, catalog.get("p", "a5").status());
    // status
    assertEquals(set("a1", "a2"), matches(catalog, Predicates.status(BackupStatus.AVAILABLE)));
    assertEquals(set("a1", "a2", "a5"), matches(catalog, Predicates.status(BackupStatus.AVAILABLE, BackupStatus.ERROR)));
    assertEquals(set(), matches(catalog, Predicates.status(BackupStatus.CREATING)));
    // time range (both ends inclusive) and relative window
    assertEquals(set("a1", "a2", "a4"), matches(catalog,
        Predicates.createdIn(TimeRange.between(NOW.minus(Duration.ofDays(3)), NOW.minus(Duration.ofDays(1))))));
    assertEquals(set("a1", "a2", "a4"), matches(catalog,
        Predicates.createdBetween(NOW.minus(Duration.ofDays(3)), NOW.minus(Duration.ofDays(1)))));
    assertEquals(set("a1", "a2", "a4"), matches(catalog, Predicates.createdWithinLast(Duration.ofDays(5))));
    assertEquals(set("a1", "a2", "a3", "a4"), matches(catalog, Predicates.createdWithinLast(Duration.ofDays(11))));
    // keyword
    assertEquals(set("a1", "a3"), matches(catalog, Predicates.keyword(KeywordField.SERVER_NAME, "WËB")));
    assertEquals(set("a1"), matches(catalog, Predicates.keyword(KeywordField.BACKUP_NAME, "äPFEL")));
    assertEquals(set("a3"), matches(catalog, Predicates.keyword(KeywordField.BACKUP_NAME, "𝔘")));
    assertEquals(set("a2"), matches(catalog, Predicates.keyword(KeywordField.BACKUP_ID, "a2")));
    assertEquals(set(), matches(catalog, Predicates.keyword(KeywordField.BACKUP_ID, "A2")), "ids exactly");
    assertEquals(set("a2", "a5"), matches(catalog, Predicates.keyword(KeywordField.SERVER_ID, DB.id())));
    // tags in the console's form (key=value exactly) and the API's (values, '*' anywhere, none = any)
    assertEquals(set("a1"), matches(catalog, Predicates.tag("env", "prod")));
    assertEquals(set("a1", "a3"), matches(catalog, Predicates.tag("env", List.of("*prod"))));
    assertEquals(set("a1", "a2"), matches(catalog, Predicates.tag("env", List.of("prod", "test"))));
    assertEquals(set("a1", "a2", "a3"), matches(catalog, Predicates.tag("env", List.of())));
    assertEquals(set("a1", "a5"), matches(catalog, Predicates.tagKey("team")));
    // server id, availability zone, type, trigger, policy id, resource type
    assertEquals(set("a2", "a5"), matches(catalog, Predicates.serverId(DB.id())));
    assertEquals(set("a4"), matches(catalog, Predicates.availabilityZone("eu-de-03")));
    assertEquals(set("a1"), matches(catalog, Predicates.type(BackupType.ENHANCED)));
    assertEquals(set("a2", "a3", "a4", "a5"), matches(catalog, Predicates.type(BackupType.COMMON)));
    assertEquals(set("a1", "a3"), matches(catalog, Predicates.trigger(BackupTrigger.AUTOMATIC)));
    assertEquals(set("a3"), matches(catalog, Predicates.policyId("pol-2")));
    assertEquals(set("a1", "a2", "a3", "a4", "a5"), matches(catalog, Predicates.resourceType(Server.NOVA_SERVER)));
    assertEquals(set(), matches(catalog, Predicates.resourceType("OS::Ironic::Server")));
    // stalled: Restoring with no progress for an hour; the Deleting one reported progress at NOW
    assertEquals(set("a3"), matches(catalog, Predicates.stalled()));
    // and, or, not
    assertEquals(set("a1"), matches(catalog, Predicates.and(Predicates.status(BackupStatus.AVAILABLE), Predicates.tagKey("team"))));
    assertEquals(set("a1", "a4"), matches(catalog, Predicates.or(Predicates.type(BackupType.ENHANCED), Predicates.availabilityZone("eu-de-03"))));
    assertEquals(set("a2", "a4", "a5"), matches(catalog, Predicates.not(Predicates.serverId(WEB.id()))));
    assertEquals(set("a5"), matches(catalog, Predicates.and(Predicates.not(Predicates.stalled()),
        Predicates.or(Predicates.status(BackupStatus.ERROR), Predicates.status(BackupStatus.RESTORING)))));
    // the indexed catalog answers as the testkit's plain scan
    ReferenceCatalog scan = ReferenceCatalog.create(Clock.fixed(NOW, ZoneOffset.UTC));
    for (Backup b : catalog.query("p", Query.all()).backups()) {
      scan.replay(new Change(scan.sequence("p") + 1, "p", b.id(), Optional.empty(), Optional.of(b), Optional.empty()));
    }
    for (BackupPredicate predicate : List.of(Predicates.stalled(), Predicates.tag("env", List.of("*prod")),
        Predicates.createdWithinLast(Duration.ofDays(5)), Predicates.not(Predicates.status(BackupStatus.AVAILABLE)))) {
      assertEquals(scan.query("p", Query.where(predicate)), catalog.query("p", Query.where(predicate)), predicate.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // "A Query adds a Sort (newest first by default; created_at:desc,name:asc in the API's form) and a
  // page: a limit of 1 to 1000 with a marker or an offset."

  @Test
  void theDefaultSortIsNewestFirstAndTheApiFormSortsTiesByName() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    Instant tie = NOW.minusSeconds(100);
    catalog.add(backup("p", "id-z", "gamma", DB, tie).build());
    catalog.add(backup("p", "id-y", "alpha", DB, tie).build());
    catalog.add(backup("p", "id-x", "beta", DB, tie).build());
    catalog.add(backup("p", "old", "aaa", DB, Instant.EPOCH).build());
    catalog.add(backup("p", "new", "zzz", DB, NOW).build());
    catalog.add(backup("p", "min", "mmm", DB, Instant.parse("-1000000000-01-01T00:00:00Z")).build());

    assertEquals(Sort.DEFAULT, Query.all().sort());
    assertEquals(Sort.DEFAULT, Query.builder().build().sort());
    assertEquals(List.of(SortKey.desc(SortField.CREATED_AT)), Sort.DEFAULT.keys());
    List<String> newestFirst = catalog.query("p", Query.all()).ids();
    assertEquals("new", newestFirst.get(0));
    assertEquals(List.of("old", "min"), newestFirst.subList(4, 6));
    assertEquals(Set.of("id-x", "id-y", "id-z"), Set.copyOf(newestFirst.subList(1, 4)));

    Sort api = Sort.parse("created_at:desc,name:asc");
    assertEquals(Sort.by(SortKey.desc(SortField.CREATED_AT), SortKey.asc(SortField.NAME)), api);
    assertEquals(List.of("new", "id-y", "id-x", "id-z", "old", "min"),
        catalog.query("p", Query.builder().sort(api).build()).ids());
    assertEquals(List.of("min", "old", "id-z", "id-x", "id-y", "new"),
        catalog.query("p", Query.builder().sort(Sort.parse("created_at:asc,name:desc")).build()).ids());
  }

  @Test
  void aPageIsALimitOfOneTo1000WithAMarkerOrAnOffset() {
    invalid("limit", () -> Query.builder().limit(0));
    invalid("limit", () -> Query.builder().limit(1001));
    invalid("limit", () -> Query.builder().limit(-1));
    assertEquals(1, Query.builder().limit(1).build().limit());
    assertEquals(1000, Query.builder().limit(1000).build().limit());
    invalid("offset", () -> Query.builder().offset(-1));
    // a marker or an offset, not both
    invalid("marker", () -> Query.builder().marker("b").offset(1).build());

    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      catalog.add(backup("p", "b" + i, "n" + i, DB, NOW.minusSeconds(i)).build());
      expected.add("b" + i);
    }
    // by marker
    List<String> byMarker = new ArrayList<>();
    Query query = Query.builder().limit(3).build();
    Page page;
    int pages = 0;
    do {
      page = catalog.query("p", query);
      assertEquals(7, page.total());
      byMarker.addAll(page.ids());
      pages++;
      if (page.nextMarker().isPresent()) {
        assertEquals(page.ids().get(page.ids().size() - 1), page.nextMarker().get());
        query = query.after(page.nextMarker().get());
      }
    } while (page.hasMore());
    assertEquals(expected, byMarker);
    assertEquals(3, pages);
    // by offset
    List<String> byOffset = new ArrayList<>();
    for (int offset = 0; offset < 7; offset += 3) {
      byOffset.addAll(catalog.query("p", Query.builder().limit(3).offset(offset).build()).ids());
    }
    assertEquals(expected, byOffset);
    // limit 1 and an offset past the end
    assertEquals(List.of("b6"), catalog.query("p", Query.builder().limit(1).offset(6).build()).ids());
    Page past = catalog.query("p", Query.builder().limit(1000).offset(7).build());
    assertEquals(List.of(), past.ids());
    assertEquals(7, past.total());
    assertFalse(past.hasMore());
  }

  // ---------------------------------------------------------------------------------------------
  // "ListQueryString.parse("status=available&name=auto&limit=20") binds the CSBS list API's query
  // string, and TagFilter the tag API's body."

  @Test
  void listQueryStringOfTheReadmeBindsStatusNameAndLimit() {
    Query query = ListQueryString.parse("status=available&name=auto&limit=20");
    assertEquals(20, query.limit());
    assertEquals(Sort.DEFAULT, query.sort());
    assertTrue(query.marker().isEmpty());
    assertEquals(0, query.offset());
    assertEquals(Predicates.and(Predicates.status(BackupStatus.AVAILABLE), Predicates.nameContains("auto")),
        query.predicate());

    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "1", "autobk_1", DB, NOW.minusSeconds(1)).build());
    catalog.add(backup("p", "2", "AUTO-two", DB, NOW.minusSeconds(2)).build());
    catalog.add(backup("p", "3", "manual_Auto", WEB, NOW.minusSeconds(3)).build());
    catalog.add(backup("p", "4", "manualbk", WEB, NOW.minusSeconds(4)).build());
    catalog.add(backup("p", "5", "autobk_5", WEB, NOW.minusSeconds(5)).build());
    catalog.apply("p", "5", 1, Transition.delete());
    for (int i = 0; i < 25; i++) {
      catalog.add(backup("p", "many-" + i, "autö_" + i, DB, NOW.minus(Duration.ofDays(1)).minusSeconds(i)).build());
    }
    Page page = catalog.query("p", query);
    assertEquals(List.of("1", "2", "3"), page.ids());
    assertEquals(3, page.total());

    // the API's form of the sort, the limit's ends, a marker or an offset
    assertEquals(Sort.parse("created_at:desc,name:asc"),
        ListQueryString.parse("sort=created_at:desc,name:asc").sort());
    assertEquals(1000, ListQueryString.parse("limit=1000").limit());
    assertEquals(1, ListQueryString.parse("limit=1").limit());
    invalid("limit", () -> ListQueryString.parse("limit=1001"));
    invalid("limit", () -> ListQueryString.parse("limit=0"));
    assertTrue(ListQueryString.parse("marker=abc").marker().isPresent());
    assertEquals(5, ListQueryString.parse("offset=5").offset());
    InvalidValueException both = assertThrows(InvalidValueException.class,
        () -> ListQueryString.parse("marker=abc&offset=5"));
    assertTrue(Set.of("marker", "offset").contains(both.field()), both.getMessage());
    // the limit is applied: "auto" is not in "autö"; 4 + 25 are available, a page holds 20
    Page available = catalog.query("p", ListQueryString.parse("status=available&limit=20"));
    assertEquals(20, available.backups().size());
    assertEquals(29, available.total());
    assertTrue(available.hasMore());
  }

  @Test
  void tagFilterBindsTheTagApisBody() {
    BackupCatalog catalog = fiveStates(FakeClock.create());
    TagFilter filter = TagFilter.builder()
        .tags("env", "*prod")
        .notTagsAny("team", "ops")
        .build();
    assertEquals(set("a3"), ids(catalog.query("p", filter.toQuery())));
    assertEquals(1, catalog.count("p", filter.toPredicate()));
    TagFilter byName = TagFilter.builder().matches("resource_name", "AUTOBK").build();
    assertEquals(set("a1", "a3"), ids(catalog.query("p", byName.toQuery())));
  }

  // ---------------------------------------------------------------------------------------------
  // "Every read and write names a project; nothing of another project is ever returned or counted."

  @Test
  void nothingOfAnotherProjectIsReturnedOrCounted() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(base("tenant-a", "same", "autobk_a", WEB, NOW.minusSeconds(5)).status(BackupStatus.AVAILABLE).sizeMb(100)
        .addTags(Tag.of("env", "prod")).build());
    catalog.add(base("tenant-b", "same", "autobk_b", DB, NOW.minusSeconds(5)).status(BackupStatus.AVAILABLE).sizeMb(7)
        .addTags(Tag.of("env", "test")).build());
    catalog.add(base("tenant-b", "only-b", "autobk_c", DB, NOW.minusSeconds(6)).status(BackupStatus.AVAILABLE).sizeMb(9).build());
    catalog.add(base("Tenant-a", "only-cased", "autobk_d", DB, NOW.minusSeconds(6)).status(BackupStatus.AVAILABLE).sizeMb(9).build());

    assertEquals("autobk_a", catalog.get("tenant-a", "same").name());
    assertEquals("autobk_b", catalog.get("tenant-b", "same").name());
    assertTrue(catalog.find("tenant-a", "only-b").isEmpty());
    assertTrue(catalog.find("tenant-a", "only-cased").isEmpty(), "project ids are exact");
    BackupNotFoundException notFound = assertThrows(BackupNotFoundException.class, () -> catalog.get("tenant-a", "only-b"));
    assertEquals("tenant-a", notFound.projectId());
    assertThrows(BackupNotFoundException.class,
        () -> catalog.apply("tenant-a", "only-b", 1, Transition.delete()));
    assertThrows(BackupNotFoundException.class, () -> catalog.remove("tenant-a", "only-b", 1));

    assertEquals(List.of("same"), catalog.query("tenant-a", Query.all()).ids());
    assertEquals(1, catalog.count("tenant-a", Predicates.all()));
    assertEquals(2, catalog.count("tenant-b", Predicates.nameContains("autobk")));
    assertEquals(0, catalog.count("tenant-a", Predicates.tag("env", "test")));
    assertEquals(Set.of("prod"), catalog.tagCatalogue("tenant-a").values("env"));
    UsageReport usage = catalog.usage("tenant-a", UsageQuery.firstServers(20));
    assertEquals(1, usage.backups());
    assertEquals(100, usage.sizeMb());
    assertEquals(1, usage.serverCount());
    assertEquals(WEB.id(), usage.servers().get(0).serverId());
    assertEquals(1, catalog.quotaUsage("tenant-a").backupsUsed());
    assertEquals(16, catalog.quotaUsage("tenant-b").sizeMbUsed());
    assertEquals(1, catalog.sequence("tenant-a"));
    assertEquals(2, catalog.sequence("tenant-b"));
    assertEquals(0, catalog.sequence("tenant-c"));
    assertEquals(0, catalog.query("tenant-c", Query.all()).total());

    // a change in one project leaves the same id of the other as it was
    catalog.apply("tenant-b", "same", 1, Transition.delete());
    assertEquals(BackupStatus.AVAILABLE, catalog.get("tenant-a", "same").status());
    assertEquals(1, catalog.get("tenant-a", "same").version());
    catalog.read("tenant-a", view -> {
      assertTrue(view.find("only-b").isEmpty());
      assertEquals(1, view.query(Query.all()).total());
      return null;
    });
    // a marker naming another project's backup is refused, naming marker
    invalid("marker", () -> catalog.query("tenant-a", Query.all().after("only-b")));
    // one server id in two projects, named differently: each project's usage names it its own way
    catalog.add(backup("tenant-a", "shared", "autobk_s", Server.of("srv-shared", "alpha", "az-1"), NOW.minusSeconds(1)).build());
    catalog.add(backup("tenant-b", "shared", "autobk_s", Server.of("srv-shared", "beta", "az-2"), NOW).build());
    assertEquals(List.of("alpha"), catalog.usage("tenant-a", UsageQuery.firstServers(20)).servers().stream()
        .filter(u -> u.serverId().equals("srv-shared")).map(u -> u.serverName()).collect(Collectors.toList()));
    assertEquals(0, catalog.count("tenant-a", Predicates.serverNameContains("beta")));
    assertEquals(0, catalog.count("tenant-a", Predicates.availabilityZone("az-2")));
    catalog.remove("tenant-a", "shared", 1);
    catalog.remove("tenant-b", "shared", 1);
    // a quota of one project does not count the other's backups
    catalog.setQuota("tenant-a", Quota.of(2, Quota.UNLIMITED));
    catalog.add(backup("tenant-a", "second", "autobk_e", DB, NOW).build());
    assertThrows(QuotaExceededException.class, () -> catalog.add(backup("tenant-a", "third", "autobk_f", DB, NOW).build()));
    catalog.add(backup("tenant-b", "third", "autobk_f", DB, NOW).build());
  }

  // ---------------------------------------------------------------------------------------------
  // "Changes of a stored backup name the version they are based on: apply(...) for the lifecycle
  // (restore(), delete(), reportProgress(40), complete(), fail(reason)), and updateTags(...) with
  // TagUpdate.create(tags) or TagUpdate.delete(matches) for the tags, in place, with the tag APIs' rules."

  @Test
  void everyTransitionTheReadmeNamesAppliesToAStoredBackup() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(backup("p", "t", "träge", WEB, NOW.minus(Duration.ofDays(1))).build());

    Backup restoring = catalog.apply("p", "t", 1, Transition.restore()).orElseThrow();
    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(2, restoring.version());
    assertEquals(0, restoring.progress().orElseThrow().percent());
    clock.advance(Duration.ofSeconds(10));
    Backup forty = catalog.apply("p", "t", 2, Transition.reportProgress(40)).orElseThrow();
    assertEquals(40, forty.progress().orElseThrow().percent());
    assertEquals(NOW.plusSeconds(10), forty.progress().orElseThrow().changedAt(), "at the catalog's clock");
    assertEquals(3, forty.version());
    Backup available = catalog.apply("p", "t", 3, Transition.complete()).orElseThrow();
    assertEquals(BackupStatus.AVAILABLE, available.status());
    assertEquals(4, available.version());
    catalog.apply("p", "t", 4, Transition.restore());
    Backup failed = catalog.apply("p", "t", 5, Transition.fail("target disk detached")).orElseThrow();
    assertEquals(BackupStatus.ERROR, failed.status());
    assertEquals("target disk detached", failed.failure().orElseThrow().reason());
    Backup deleting = catalog.apply("p", "t", 6, Transition.delete()).orElseThrow();
    assertEquals(BackupStatus.DELETING, deleting.status());
    assertEquals(deleting, catalog.get("p", "t"));
    // a completed deletion removes the backup: empty
    assertEquals(Optional.empty(), catalog.apply("p", "t", 7, Transition.complete()));
    assertTrue(catalog.find("p", "t").isEmpty());
    assertEquals(0, catalog.count("p", Predicates.all()));
    assertEquals(8, catalog.sequence("p"), "the add and seven changes");
  }

  @Test
  void aStaleVersionIsAVersionConflictAndNoUpdateIsLost() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "v", "versioned", DB, NOW).build());
    Backup first = catalog.get("p", "v");
    catalog.apply("p", "v", first.version(), Transition.restore());
    // a second writer, based on the same version, is refused
    VersionConflictException conflict = assertThrows(VersionConflictException.class,
        () -> catalog.apply("p", "v", first.version(), Transition.delete()));
    assertEquals("v", conflict.backupId());
    assertEquals(1, conflict.expectedVersion());
    assertEquals(2, conflict.currentVersion());
    assertThrows(VersionConflictException.class,
        () -> catalog.updateTags("p", "v", 1, TagUpdate.create(Tag.of("k", "v"))));
    assertThrows(VersionConflictException.class, () -> catalog.remove("p", "v", 1));
    // a version from the future is a conflict too
    assertThrows(VersionConflictException.class,
        () -> catalog.apply("p", "v", 3, Transition.complete()));
    Backup now = catalog.get("p", "v");
    assertEquals(BackupStatus.RESTORING, now.status());
    assertEquals(2, now.version());
    assertTrue(now.tags().isEmpty());
  }

  @Test
  void tagUpdatesAreInPlaceVersionedChanges() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(backup("p", "g", "getaggt", DB, NOW.minusSeconds(60))
        .addTags(Tag.of("a", "1"), Tag.of("b", "2"), Tag.of("c", "3")).build());
    clock.advance(Duration.ofSeconds(5));
    Backup created = catalog.updateTags("p", "g", 1, TagUpdate.create(Tag.of("b", "20"), Tag.of("d", "ß")));
    // in place: b keeps its place with its new value, d is added after the others
    assertEquals(List.of(Tag.of("a", "1"), Tag.of("b", "20"), Tag.of("c", "3"), Tag.of("d", "ß")), created.tags());
    assertEquals(2, created.version());
    assertEquals(NOW.plusSeconds(5), created.updatedAt());
    assertEquals(BackupStatus.AVAILABLE, created.status());
    assertEquals(created, catalog.get("p", "g"));
    assertEquals(Set.of("20"), catalog.tagCatalogue("p").values("b"));
    assertEquals(1, catalog.count("p", Predicates.tag("d", "ß")));

    Backup deleted = catalog.updateTags("p", "g", 2,
        TagUpdate.delete(TagUpdate.Match.key("a"), TagUpdate.Match.of("c", "3"), TagUpdate.Match.of("d", "SS")));
    assertEquals(List.of(Tag.of("b", "20"), Tag.of("d", "ß")), deleted.tags(), "d=ß is not d=SS");
    assertEquals(3, deleted.version());
    assertFalse(catalog.tagCatalogue("p").containsKey("a"));
    // the tag APIs' rules: at most 10 tags on a backup
    List<Tag> nine = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      nine.add(Tag.of("k" + i, "v"));
    }
    invalid("tags", () -> catalog.updateTags("p", "g", 3, TagUpdate.create(nine)));
    assertEquals(deleted, catalog.get("p", "g"));
    // and a tag must itself be valid
    invalid("tag value", () -> TagUpdate.create(Tag.of("env", "prod env")));
    invalid("tags", () -> TagUpdate.create(Tag.of("x", "1"), Tag.of("x", "2")));
    invalid("tags", () -> TagUpdate.create(List.of()));
    invalid("tags", () -> TagUpdate.delete(List.of()));
    // each update is one change of the project; one that changes nothing is none
    long sequence = catalog.sequence("p");
    Backup same = catalog.updateTags("p", "g", 3, TagUpdate.create(Tag.of("b", "20")));
    assertEquals(deleted, same);
    assertEquals(sequence, catalog.sequence("p"));
    // in any state: a running restore keeps its state and progress
    Backup restoring = catalog.apply("p", "g", 3, Transition.restore()).orElseThrow();
    clock.advance(Duration.ofSeconds(1));
    Backup tagged = catalog.updateTags("p", "g", 4, TagUpdate.create(Tag.of("während", "ja")));
    assertEquals(BackupStatus.RESTORING, tagged.status());
    assertEquals(restoring.progress(), tagged.progress());
    assertEquals(5, tagged.version());
    assertEquals(sequence + 2, catalog.sequence("p"));
  }

  @Test
  void aBackupCarriesItsRawStatusAndTheApisDetails() {
    Backup creating = base("p", "c", "neu", DB, NOW).sizeMb(0)
        .status(BackupStatus.CREATING)
        .progress(io.csbs.backup.Progress.of(0, NOW))
        .apiStatus(ApiStatus.WAITING_PROTECT)
        .build();
    // "its raw status (apiStatus(), for example waiting_protect while Creating)"
    assertEquals(ApiStatus.WAITING_PROTECT, creating.apiStatus());
    assertEquals("waiting_protect", creating.apiStatus().apiName());
    assertEquals(Optional.of(BackupStatus.CREATING), creating.apiStatus().state());
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW.plusSeconds(1)));
    catalog.add(creating);
    assertEquals(ApiStatus.WAITING_PROTECT, catalog.get("p", "c").apiStatus());

    BackupDetails details = BackupDetails.builder()
        .checkpointId("f672a1bb-6912-446a-816c-72792c5263e0")
        .vm(VmMetadata.builder().ramMb(4096).vcpus(4).build())
        .spaceSavingRatio(100)
        .copyStatus(CopyStatus.COPYING)
        .build();
    Backup detailed = backup("p", "d", "detailliert", DB, NOW).details(details).build();
    catalog.add(detailed);
    Backup stored = catalog.get("p", "d");
    assertEquals(Optional.of("f672a1bb-6912-446a-816c-72792c5263e0"), stored.details().checkpointId());
    assertEquals(4096, stored.details().vm().ramMb());
    assertEquals(4, stored.details().vm().vcpus());
    assertEquals(100, stored.details().spaceSavingRatio());
    assertEquals(CopyStatus.COPYING, stored.details().copyStatus());
    assertEquals(BackupDetails.NONE, catalog.get("p", "c").details());
    // the details survive a transition
    Backup restoring = catalog.apply("p", "d", 1, Transition.restore()).orElseThrow();
    assertEquals(details, restoring.details());
  }

  // ---------------------------------------------------------------------------------------------
  // Errors: "A value that breaks a rule is never built ..." and "A refused transition throws ..."

  @Test
  void theReadmesInvalidTagMessageWordForWord() {
    InvalidValueException e = invalid("tag value", () -> Tag.of("env", "prod env"));
    assertEquals("tag value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-'", e.getMessage());
    // the same rule for another value, of letters outside the BMP
    InvalidValueException other = invalid("tag value", () -> Tag.of("env", "𝔘 𝔘"));
    assertEquals("tag value '𝔘 𝔘' is invalid: must be 0 to 43 letters, digits, '_' or '-'", other.getMessage());
    // 43 letters are a value, 44 are not
    assertEquals("ä".repeat(43), Tag.of("env", "ä".repeat(43)).value());
    invalid("tag value", () -> Tag.of("env", "ä".repeat(44)));
    assertEquals("", Tag.of("env", "").value());
  }

  @Test
  void theReadmesRefusedTransitionMessage() {
    Instant created = NOW.minusSeconds(60);
    Backup creating = base("p", "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12", "neu", DB, created).sizeMb(1)
        .status(BackupStatus.CREATING)
        .progress(io.csbs.backup.Progress.of(10, created))
        .build();
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> Lifecycle.restore(creating, NOW));
    String rest = " is Creating: restore is refused (the backup is busy until its backup job ends); "
        + "Creating allows progress, complete, fail";
    assertTrue(e.getMessage().startsWith("backup 7b99"), e.getMessage());
    assertTrue(e.getMessage().endsWith(rest), e.getMessage());
    // through the catalog, with a short id, the message is the same sentence
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(base("p", "bk-ß", "neu", DB, created).sizeMb(1).status(BackupStatus.CREATING)
        .progress(io.csbs.backup.Progress.of(10, created)).build());
    IllegalTransitionException viaCatalog = assertThrows(IllegalTransitionException.class,
        () -> catalog.apply("p", "bk-ß", 1, Transition.restore()));
    assertEquals("backup bk-ß" + rest, viaCatalog.getMessage());
    assertEquals(1, catalog.get("p", "bk-ß").version(), "the backup is unchanged");
    assertEquals(1, catalog.sequence("p"), "a refusal is no change");
  }

  // ---------------------------------------------------------------------------------------------
  // "When several answers must agree, read them from one state" / "A read does not see changes
  // committed while it runs (in the in-memory catalog, writers wait until read returns); changes
  // from inside it are refused."

  @Test
  void theReadmesConsistentReadAsWritten() {
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = fiveStates(clock);
    ConsoleSearch search = ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE).withTag("env", "prod");
    Query query = search.toQuery(catalog.tagCatalogue("p"), 20);
    List<Object> console = catalog.read("p", view -> List.of(
        view.query(query), view.tagCatalogue(), view.usage(UsageQuery.firstServers(20))));
    assertEquals(3, console.size());
    assertEquals(List.of("a1"), ((Page) console.get(0)).ids());
    assertEquals(catalog.tagCatalogue("p"), console.get(1));
    UsageReport usage = (UsageReport) console.get(2);
    assertEquals(5, usage.backups(), "every state counts");
    assertEquals(5 * 1024, usage.sizeMb());
    assertEquals(3, usage.serverCount());
    assertEquals(catalog.usage("p", UsageQuery.firstServers(20)), usage);
  }

  @Test
  void aReadDoesNotSeeAChangeCommittedWhileItRunsAndTheWriterWaits() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "r1", "lesen", DB, NOW).build());
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(1);
    Thread writer = new Thread(() -> {
      started.countDown();
      try {
        catalog.add(backup("p", "r2", "schreiben", DB, NOW).build());
      } catch (Throwable t) {
        writerFailure.set(t);
      }
    });
    List<Long> seen = catalog.read("p", view -> {
      long before = view.query(Query.all()).total();
      writer.start();
      try {
        assertTrue(started.await(5, TimeUnit.SECONDS));
        writer.join(300);   // the writer waits until read returns
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      assertTrue(writer.isAlive(), "the writer waits for the read");
      long after = view.query(Query.all()).total();
      long viaCatalog = catalog.count("p", Predicates.all());
      return List.of(before, after, viaCatalog);
    });
    assertEquals(List.of(1L, 1L, 1L), seen);
    writer.join(5000);
    assertFalse(writer.isAlive());
    assertEquals(null, writerFailure.get());
    assertEquals(2, catalog.count("p", Predicates.all()));
    // "catalog.stats(project) reports ... lock holds at run time": the writer's wait is counted
    ProjectStats stats = catalog.stats("p");
    assertTrue(stats.lockWaits() >= 1, stats.toString());
    assertTrue(stats.lockWaitTime().compareTo(Duration.ofMillis(250)) >= 0, stats.toString());
  }

  @Test
  void changesFromInsideAReadAreRefused() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "r1", "lesen", DB, NOW).build());
    catalog.add(backup("q", "r1", "lesen", DB, NOW).build());
    List<Class<? extends Throwable>> refusals = catalog.read("p", view -> {
      List<Class<? extends Throwable>> thrown = new ArrayList<>();
      for (Runnable change : List.<Runnable>of(
          () -> catalog.add(backup("p", "r2", "x", DB, NOW).build()),
          () -> catalog.add(backup("q", "r2", "x", DB, NOW).build()),
          () -> catalog.apply("p", "r1", 1, Transition.delete()),
          () -> catalog.updateTags("p", "r1", 1, TagUpdate.create(Tag.of("k", "v"))),
          () -> catalog.remove("p", "r1", 1),
          () -> catalog.setQuota("p", Quota.of(1, 1)))) {
        try {
          change.run();
          thrown.add(null);
        } catch (RuntimeException e) {
          thrown.add(e.getClass());
        }
      }
      return thrown;
    });
    for (Class<? extends Throwable> refusal : refusals) {
      assertEquals(IllegalStateException.class, refusal, refusals.toString());
    }
    assertEquals(1, catalog.count("p", Predicates.all()));
    assertEquals(1, catalog.count("q", Predicates.all()));
    assertEquals(1, catalog.get("p", "r1").version());
    assertEquals(Quota.NONE, catalog.quotaUsage("p").quota());
  }

  // ---------------------------------------------------------------------------------------------
  // Subscriptions: "delivers the committed changes in commit order ... each change numbered within its
  // project (change.sequence(): 1, 2, 3, ... per project; catalog.sequence(project) is the last). The
  // in-memory catalog delivers each change once, on the writer's thread"

  @Test
  void subscribersGetEachChangeOnceInCommitOrderNumberedPerProjectOnTheWritersThread() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Change> changes = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    Subscription subscription = catalog.subscribe(change -> {
      changes.add(change);
      threads.add(Thread.currentThread());
    });
    catalog.add(backup("p", "s1", "eins", DB, NOW).build());
    catalog.add(backup("q", "s1", "eins", DB, NOW).build());
    catalog.addAll(List.of(backup("p", "s2", "zwei", DB, NOW).build(), backup("q", "s2", "zwei", DB, NOW).build()));
    catalog.apply("p", "s1", 1, Transition.restore());
    catalog.apply("p", "s1", 2, Transition.reportProgress(0));   // the same progress: no change
    assertThrows(IllegalTransitionException.class, () -> catalog.apply("p", "s2", 1, Transition.complete()));
    catalog.updateTags("q", "s2", 1, TagUpdate.create(Tag.of("neu", "ja")));
    catalog.remove("p", "s2", 1);

    Map<String, List<Long>> sequences = new TreeMap<>();
    for (Change change : changes) {
      sequences.computeIfAbsent(change.projectId(), k -> new ArrayList<>()).add(change.sequence());
    }
    assertEquals(Map.of("p", List.of(1L, 2L, 3L, 4L), "q", List.of(1L, 2L, 3L)), sequences);
    assertEquals(4, catalog.sequence("p"));
    assertEquals(3, catalog.sequence("q"));
    for (Thread thread : threads) {
      assertSame(Thread.currentThread(), thread, "on the writer's thread");
    }
    // commit order, with what each change did
    List<String> p = changes.stream().filter(c -> c.projectId().equals("p"))
        .map(c -> c.backupId() + (c.isAdded() ? " added" : c.isRemoved() ? " removed" : " changed"))
        .collect(Collectors.toList());
    assertEquals(List.of("s1 added", "s2 added", "s1 changed", "s2 removed"), p);
    Change restore = changes.stream().filter(c -> c.projectId().equals("p") && c.sequence() == 3).findFirst().orElseThrow();
    assertEquals(Optional.of(Transition.restore()), restore.transition());
    assertEquals(1, restore.before().orElseThrow().version());
    assertEquals(catalog.get("p", "s1"), restore.after().orElseThrow());
    subscription.cancel();
    catalog.add(backup("p", "s3", "drei", DB, NOW).build());
    assertEquals(7, changes.size(), "nothing after cancel");
  }

  @Test
  void aReplicaFollowsByReplayFromALoadedSnapshotAndIgnoresWhatItHandled() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog primary = Catalogs.indexed(clock);
    primary.setQuota("p", Quota.of(100, 1000));
    primary.add(backup("p", "x1", "eins", WEB, NOW.minusSeconds(30)).addTags(Tag.of("env", "prod")).build());
    primary.add(backup("p", "x2", "zwei", DB, NOW.minusSeconds(20)).build());
    // a snapshot of the primary at sequence 2
    ProjectSnapshot snapshot = new ProjectSnapshot("p", primary.sequence("p"), primary.quotaUsage("p").quota(),
        primary.query("p", Query.all()).backups());
    List<Change> feed = new ArrayList<>();
    primary.subscribe(feed::add);
    primary.apply("p", "x1", 1, Transition.restore());
    clock.advance(Duration.ofMinutes(1));
    primary.apply("p", "x1", 2, Transition.reportProgress(40));
    primary.add(backup("p", "x3", "drei", DB, NOW).build());
    primary.apply("p", "x2", 1, Transition.delete());
    primary.apply("p", "x2", 2, Transition.complete());

    BackupCatalog replica = Catalogs.indexed(FakeClock.at(Instant.EPOCH));   // its clock is never read
    replica.load(snapshot);
    assertEquals(2, replica.sequence("p"));
    assertEquals(Quota.of(100, 1000), replica.quotaUsage("p").quota());
    List<Long> replicaSequences = new ArrayList<>();
    replica.subscribe(change -> replicaSequences.add(change.sequence()));
    for (Change change : feed) {
      assertTrue(replica.replay(change), change.toString());
    }
    // "a catalog backed by a durable feed may deliver one again": a change handled again changes nothing
    for (Change change : feed) {
      assertFalse(replica.replay(change), change.toString());
    }
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L), replicaSequences);
    assertEquals(primary.sequence("p"), replica.sequence("p"));
    assertEquals(primary.query("p", Query.all()), replica.query("p", Query.all()));
    assertEquals(primary.tagCatalogue("p"), replica.tagCatalogue("p"));
    assertEquals(primary.usage("p", UsageQuery.firstServers(10)), replica.usage("p", UsageQuery.firstServers(10)));
    assertEquals(primary.get("p", "x1"), replica.get("p", "x1"));
    assertEquals(NOW.plus(Duration.ofMinutes(1)), replica.get("p", "x1").progress().orElseThrow().changedAt());
    // a change that skips one is refused
    BackupCatalog late = Catalogs.indexed(FakeClock.at(NOW));
    late.load(snapshot);
    IllegalStateException gap = assertThrows(IllegalStateException.class, () -> late.replay(feed.get(1)));
    assertTrue(gap.getMessage().contains("p"), gap.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Benchmarks, the claims about behaviour

  @Test
  void statsReportAProjectsIndexSizeReorganisationsAndLockHolds() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    for (int i = 0; i < 50; i++) {
      catalog.add(backup("p", "st-" + i, "stat_" + i, i % 2 == 0 ? WEB : DB, NOW.minusSeconds(i)).build());
    }
    catalog.apply("p", "st-0", 1, Transition.restore());
    ProjectStats stats = catalog.stats("p");
    assertEquals("p", stats.projectId());
    assertEquals(50, stats.backups());
    assertTrue(stats.estimatedIndexBytes() > 0, stats.toString());
    assertFalse(stats.longestChangeHold().isNegative(), stats.toString());
    assertTrue(stats.longestChangeHold().compareTo(Duration.ofSeconds(10)) < 0, stats.toString());
    ProjectStats other = catalog.stats("q");
    assertEquals(0, other.backups());
    assertEquals(0, other.estimatedIndexBytes());
    assertEquals(0, other.reorganisations());
  }

  @Test
  void aSortByNameFollowsNamesAddedAndRemovedAfterTheFirstSort() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "1", "mitte", DB, NOW.minusSeconds(1)).build());
    catalog.add(backup("p", "2", "Zebra", DB, NOW.minusSeconds(2)).build());
    catalog.add(backup("p", "3", "äpfel", DB, NOW.minusSeconds(3)).build());
    Query byName = Query.builder().sort(Sort.parse("name:asc")).build();
    // char by char: upper case before lower case, 'ä' after every ASCII letter
    assertEquals(List.of("2", "1", "3"), catalog.query("p", byName).ids());
    catalog.add(backup("p", "4", "anfang", DB, NOW.minusSeconds(4)).build());
    catalog.add(backup("p", "5", "𝔘ber", DB, NOW.minusSeconds(5)).build());
    catalog.remove("p", "1", 1);
    assertEquals(List.of("2", "4", "3", "5"), catalog.query("p", byName).ids());
    assertEquals(List.of("5", "3", "4", "2"), catalog.query("p", Query.builder().sort(Sort.parse("name")).build()).ids(),
        "desc by default in the API's form");
    // a removed backup's name is no longer found
    assertEquals(0, catalog.count("p", Predicates.nameContains("mitte")));
  }

  // ---------------------------------------------------------------------------------------------
  // The two commands

  @Test
  void aRandomTestPrintsItsSeedAndTheSeedPropertyReplaysIt() {
    AssertionError failure = assertThrows(AssertionError.class, () -> Seeds.run(-4242, seed -> {
      throw new IllegalStateException("boom at " + seed);
    }));
    assertTrue(failure.getMessage().contains("-4242"), failure.getMessage());
    assertTrue(failure.getMessage().contains("-Dcsbs.seed=-4242"), failure.getMessage());
    assertTrue(failure.getCause() instanceof IllegalStateException);
    String old = System.getProperty("csbs.seed");
    try {
      System.setProperty("csbs.seed", "987654321987");
      assertEquals(987654321987L, Seeds.pick());
      long[] given = new long[1];
      Seeds.run(Seeds.pick(), seed -> given[0] = seed);
      assertEquals(987654321987L, given[0]);
    } finally {
      if (old == null) {
        System.clearProperty("csbs.seed");
      } else {
        System.setProperty("csbs.seed", old);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Compatibility

  private static int classFileMajor(Class<?> type) throws IOException {
    try (InputStream in = type.getResourceAsStream(type.getSimpleName() + ".class")) {
      DataInputStream data = new DataInputStream(in);
      assertEquals(0xCAFEBABE, data.readInt());
      data.readUnsignedShort();
      return data.readUnsignedShort();
    }
  }

  /** Every class file under a directory or in a jar, with its bytes. */
  private static Map<String, byte[]> classFiles(Path jarOrDirectory) throws IOException {
    Map<String, byte[]> classes = new TreeMap<>();
    if (Files.isDirectory(jarOrDirectory)) {
      try (var files = Files.walk(jarOrDirectory)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".class")).collect(Collectors.toList())) {
          classes.put(jarOrDirectory.relativize(file).toString(), Files.readAllBytes(file));
        }
      }
    } else {
      try (JarFile jar = new JarFile(jarOrDirectory.toFile())) {
        for (var entry : java.util.Collections.list(jar.entries())) {
          if (entry.getName().endsWith(".class")) {
            try (InputStream in = jar.getInputStream(entry)) {
              classes.put(entry.getName(), in.readAllBytes());
            }
          }
        }
      }
    }
    return classes;
  }

  @Test
  void everyClassFileOfCoreAndTestkitIsBytecodeLevel17AndCoreKeepsImmutablesAnnotationsForToolsOnly() throws Exception {
    Map<String, byte[]> core = classFiles(location(Backup.class));
    assertTrue(core.size() > 50, core.keySet().toString());
    assertTrue(core.containsKey("module-info.class"), "csbs-core is a named module");
    Map<String, byte[]> all = new TreeMap<>(core);
    all.putAll(classFiles(location(FakeClock.class)));
    for (Map.Entry<String, byte[]> entry : all.entrySet()) {
      byte[] bytes = entry.getValue();
      int major = ((bytes[6] & 0xff) << 8) | (bytes[7] & 0xff);
      assertEquals(61, major, entry.getKey());
    }
    // the annotations are in the class files (class retention), invisible at run time
    String backupClass = new String(core.get("io/csbs/backup/Backup.class"), StandardCharsets.ISO_8859_1);
    assertTrue(backupClass.contains("Lorg/immutables/value/Value$Immutable;"), "Backup.class keeps @Value.Immutable");
    assertTrue(backupClass.contains("RuntimeInvisibleAnnotations"));
    assertEquals(0, Backup.class.getAnnotations().length);
  }

  @Test
  void classFilesAreJava17Bytecode() throws IOException {
    for (Class<?> type : List.of(Backup.class, BackupCatalog.class, Predicates.class, Quota.class,
        Transition.class, FakeClock.class, Seeds.class, ReferenceCatalog.class)) {
      assertEquals(61, classFileMajor(type), type.getName());
    }
  }

  private static Path location(Class<?> type) throws URISyntaxException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** The module descriptor of a jar or a directory of classes; null if it has none. */
  private static ModuleDescriptor descriptor(Path jarOrDirectory) throws IOException {
    if (Files.isDirectory(jarOrDirectory)) {
      Path info = jarOrDirectory.resolve("module-info.class");
      if (!Files.isRegularFile(info)) {
        return null;
      }
      try (InputStream in = Files.newInputStream(info)) {
        return ModuleDescriptor.read(in);
      }
    }
    try (JarFile jar = new JarFile(jarOrDirectory.toFile())) {
      var entry = jar.getEntry("module-info.class");
      if (entry == null) {
        return null;
      }
      try (InputStream in = jar.getInputStream(entry)) {
        return ModuleDescriptor.read(in);
      }
    }
  }

  private static Set<String> exports(ModuleDescriptor d) {
    assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified), d.exports().toString());
    return d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
  }

  private static Map<String, Set<ModuleDescriptor.Requires.Modifier>> requires(ModuleDescriptor d) {
    Map<String, Set<ModuleDescriptor.Requires.Modifier>> requires = new TreeMap<>();
    for (ModuleDescriptor.Requires r : d.requires()) {
      requires.put(r.name(), r.modifiers());
    }
    return requires;
  }

  @Test
  void csbsCoreIsANamedModuleExportingItsApiPackagesOnlyAndNeedingNothingAtRunTime() throws Exception {
    ModuleDescriptor core = descriptor(location(Backup.class));
    assertTrue(core != null, "csbs-core carries a module descriptor: " + location(Backup.class));
    assertEquals("csbs.core", core.name());
    assertEquals(new TreeSet<>(List.of("io.csbs", "io.csbs.backup", "io.csbs.lifecycle", "io.csbs.query",
        "io.csbs.catalog", "io.csbs.usage")), exports(core));
    assertTrue(core.opens().isEmpty(), core.opens().toString());
    // "Dependencies: none (core)": java.base, and Immutables' annotations for tools only (static)
    requires(core).forEach((name, modifiers) -> assertTrue(name.equals("java.base")
        || modifiers.contains(ModuleDescriptor.Requires.Modifier.STATIC), name + " " + modifiers));
  }

  // ---------------------------------------------------------------------------------------------
  // More of the quick start's sentences, at their edges

  @Test
  void theLastSevenDaysHoldBothEndsAndNothingAfterNow() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.add(backup("p", "edge", "kante", DB, NOW.minus(Duration.ofDays(7))).build());
    catalog.add(backup("p", "now", "jetzt", DB, NOW).build());
    catalog.add(backup("p", "before", "vorher", DB, NOW.minus(Duration.ofDays(7)).minusNanos(1)).build());
    catalog.add(backup("p", "future", "später", DB, NOW.plusNanos(1)).build());
    Page page = catalog.query("p", ConsoleSearch.empty().withLastDays(7).toQuery(catalog.tagCatalogue("p"), 20));
    assertEquals(List.of("now", "edge"), page.ids());
    assertEquals(List.of("future", "now", "edge", "before"), catalog.query("p", Query.all()).ids(), "newest first");
  }

  @Test
  void usageCountsEveryStateAndListsTheLargestServersFirst() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(base("p", "u1", "klein", DB, NOW.minusSeconds(9)).status(BackupStatus.AVAILABLE).sizeMb(10).build());
    catalog.add(base("p", "u2", "mittel", WEB, NOW.minusSeconds(8)).status(BackupStatus.AVAILABLE).sizeMb(300).build());
    catalog.add(base("p", "u3", "groß", STRASSE, NOW.minusSeconds(7)).status(BackupStatus.AVAILABLE).sizeMb(200).build());
    catalog.add(base("p", "u4", "groß2", STRASSE, NOW.minusSeconds(6)).status(BackupStatus.AVAILABLE).sizeMb(200).build());
    catalog.apply("p", "u2", 1, Transition.delete());          // Deleting still counts
    catalog.apply("p", "u3", 1, Transition.restore());
    catalog.apply("p", "u3", 2, Transition.fail("kaputt"));    // Error counts
    UsageReport firstTwo = catalog.usage("p", UsageQuery.firstServers(2));
    assertEquals(4, firstTwo.backups());
    assertEquals(710, firstTwo.sizeMb());
    assertEquals(3, firstTwo.serverCount());
    assertEquals(List.of(STRASSE.id(), WEB.id()),
        firstTwo.servers().stream().map(u -> u.serverId()).collect(Collectors.toList()));
    assertEquals(400, firstTwo.servers().get(0).sizeMb());
    assertEquals(2, firstTwo.servers().get(0).backups());
    // a completed deletion no longer counts
    catalog.apply("p", "u2", 2, Transition.complete());
    UsageReport after = catalog.usage("p", UsageQuery.firstServers(20));
    assertEquals(3, after.backups());
    assertEquals(410, after.sizeMb());
    assertEquals(2, after.serverCount());
    assertEquals(3, catalog.quotaUsage("p").backupsUsed());
    assertEquals(410, catalog.quotaUsage("p").sizeMbUsed());
  }

  @Test
  void everyReadAndWriteNamesAProjectAndABlankOneIsRefused() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "x", "x", DB, NOW).build());
    for (String blank : List.of("", " ", "\t\n")) {
      List<org.junit.jupiter.api.function.Executable> calls = List.of(
          () -> catalog.get(blank, "x"),
          () -> catalog.find(blank, "x"),
          () -> catalog.query(blank, Query.all()),
          () -> catalog.count(blank, Predicates.all()),
          () -> catalog.tagCatalogue(blank),
          () -> catalog.usage(blank, UsageQuery.firstServers(20)),
          () -> catalog.quotaUsage(blank),
          () -> catalog.setQuota(blank, Quota.NONE),
          () -> catalog.sequence(blank),
          () -> catalog.read(blank, view -> 1),
          () -> catalog.apply(blank, "x", 1, Transition.delete()),
          () -> catalog.updateTags(blank, "x", 1, TagUpdate.create(Tag.of("k", "v"))),
          () -> catalog.remove(blank, "x", 1));
      for (org.junit.jupiter.api.function.Executable call : calls) {
        invalid("project id", call);
      }
    }
    assertEquals(1, catalog.get("p", "x").version());
  }

  @Test
  void insideAReadAnotherProjectCannotBeReadButTheSameOneCan() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "x", "x", DB, NOW).build());
    catalog.add(backup("q", "y", "y", DB, NOW).build());
    long same = catalog.read("p", view -> catalog.read("p", inner -> inner.query(Query.all()).total())
        + catalog.count("p", Predicates.all()));
    assertEquals(2, same);
    assertThrows(IllegalStateException.class, () -> catalog.read("p", view -> catalog.query("q", Query.all())));
    assertThrows(IllegalStateException.class, () -> catalog.read("p", view -> catalog.read("q", inner -> 1)));
  }

  @Test
  void aLoadedProjectNumbersItsNextChangesAfterTheSnapshot() {
    BackupCatalog replica = Catalogs.indexed(FakeClock.at(NOW));
    replica.load(new ProjectSnapshot("p", 1042, Quota.NONE, List.of(backup("p", "a", "alt", DB, NOW.minusSeconds(5)).build())));
    assertEquals(1042, replica.sequence("p"));
    assertEquals(0, replica.sequence("q"));
    List<Change> seen = new ArrayList<>();
    replica.subscribe(seen::add);
    replica.add(backup("p", "b", "neu", DB, NOW).build());
    replica.apply("p", "a", 1, Transition.delete());
    assertEquals(List.of(1043L, 1044L), seen.stream().map(Change::sequence).collect(Collectors.toList()));
    assertEquals(1044, replica.sequence("p"));
  }

  @Test
  void aReplicaSubscribedFromTheStartFollowsEveryKindOfChange() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog primary = Catalogs.indexed(clock);
    BackupCatalog replica = Catalogs.indexed(FakeClock.at(Instant.EPOCH));
    primary.subscribe(change -> assertTrue(replica.replay(change), change.toString()));
    primary.add(backup("p", "r1", "eins", WEB, NOW.minusSeconds(3)).addTags(Tag.of("env", "prod")).build());
    primary.addAll(List.of(backup("p", "r2", "zwei", DB, NOW.minusSeconds(2)).build(),
        backup("q", "r2", "zwei", DB, NOW.minusSeconds(2)).build()));
    clock.advance(Duration.ofSeconds(1));
    primary.updateTags("p", "r1", 1, TagUpdate.create(Tag.of("env", "test"), Tag.of("neu", "")));
    primary.apply("p", "r2", 1, Transition.restore());
    primary.remove("q", "r2", 1);
    primary.apply("p", "r1", 2, Transition.delete());
    primary.apply("p", "r1", 3, Transition.complete());
    for (String project : List.of("p", "q")) {
      assertEquals(primary.sequence(project), replica.sequence(project), project);
      assertEquals(primary.query(project, Query.all()), replica.query(project, Query.all()), project);
      assertEquals(primary.tagCatalogue(project), replica.tagCatalogue(project), project);
    }
    assertEquals(6, replica.sequence("p"));
    assertEquals(2, replica.sequence("q"));
  }

  /**
   * The README says names match "ignoring case (toLowerCase(Locale.ROOT))", as the javadoc of {@code
   * BackupCatalog} does; that differs from {@code equalsIgnoreCase} where a capital has two lower
   * cases: "Σ" or "σ" typed in the console do not find "ΟΔΟΣ" (its last letter lower-cases to the
   * final "ς"), although {@code "Σ".equalsIgnoreCase("ς")}; "SS" does not find "straße".
   */
  @Test
  void namesMatchAsLowerCaseRootNotAsEqualsIgnoreCase() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "g", "ΟΔΟΣ", Server.of("s-g", "ΟΔΟΣ", "az"), NOW).build());
    catalog.add(backup("p", "d", "straße", Server.of("s-d", "straße", "az"), NOW.minusSeconds(1)).build());
    assertTrue("Σ".equalsIgnoreCase("ς"));
    for (KeywordField field : List.of(KeywordField.BACKUP_NAME, KeywordField.SERVER_NAME)) {
      assertEquals(List.of("g"), catalog.query("p", Query.where(Predicates.keyword(field, "ΟΔΟΣ"))).ids());
      assertEquals(List.of("g"), catalog.query("p", Query.where(Predicates.keyword(field, "ς"))).ids());
      assertEquals(List.of(), catalog.query("p", Query.where(Predicates.keyword(field, "Σ"))).ids());
      assertEquals(List.of(), catalog.query("p", Query.where(Predicates.keyword(field, "σ"))).ids());
      assertEquals(List.of(), catalog.query("p", Query.where(Predicates.keyword(field, "οδοσ"))).ids());
      assertEquals(List.of(), catalog.query("p", Query.where(Predicates.keyword(field, "SS"))).ids());
      assertEquals(List.of("d"), catalog.query("p", Query.where(Predicates.keyword(field, "STRAẞE"))).ids());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Benchmarks, "Arrival order" and "Removals": what a user can see of them (stats and answers)

  private static Backup inOrder(int i, int n) {
    return backup("p", "id-" + i, "daily_" + (i % 10), i % 2 == 0 ? WEB : DB, NOW.minusSeconds(2L * (n - i)))
        .addTags(Tag.of("k", "v" + (i % 3))).build();
  }

  private static void sameAnswers(BackupCatalog catalog, ReferenceCatalog scan, String when) {
    List<Query> queries = List.of(
        Query.builder().limit(20).build(),
        Query.builder().limit(20).offset(4321).build(),
        Query.where(Predicates.tag("k", "v1")).toBuilder().limit(20).build(),
        Query.where(Predicates.and(Predicates.tag("k", "v1"), Predicates.nameContains("LATE_1"))).toBuilder().limit(20).build(),
        Query.where(Predicates.nameContains("ily_3")).toBuilder().limit(7).offset(100).build(),
        Query.builder().sort(Sort.parse("created_at:asc")).limit(20).build(),
        Query.builder().sort(Sort.parse("name:asc")).limit(20).offset(50).build());
    for (Query query : queries) {
      assertEquals(scan.query("p", query), catalog.query("p", query), when + ": " + query);
    }
    Page first = catalog.query("p", Query.builder().limit(10).build());
    Query next = Query.builder().limit(10).build().after(first.nextMarker().orElseThrow());
    assertEquals(scan.query("p", next), catalog.query("p", next), when + ": after a marker");
    assertEquals(scan.usage("p", UsageQuery.firstServers(5)), catalog.usage("p", UsageQuery.firstServers(5)), when);
  }

  @Test
  void lateBackupsMakeTheSearchesDueAReorganisationAndTheAnswersStayTheScans() throws Exception {
    int n = 12_000;
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    ReferenceCatalog scan = ReferenceCatalog.create(Clock.fixed(NOW, ZoneOffset.UTC));
    List<Backup> loaded = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      loaded.add(inOrder(i, n));
    }
    catalog.addAll(loaded);
    scan.addAll(loaded);
    for (int i = 0; i < 600; i++) {   // 5% late, among older ones
      Backup late = backup("p", "late-" + i, "late_" + i, DB, NOW.minusSeconds(2L * (n - 20 * i) + 1))
          .addTags(Tag.of("k", "v1")).build();
      catalog.add(late);
      scan.add(late);
    }
    sameAnswers(catalog, scan, "with late backups");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (catalog.stats("p").reorganisations() == 0 && System.nanoTime() < deadline) {
      catalog.query("p", Query.where(Predicates.tag("k", "v1")).toBuilder().limit(20).build());
      catalog.query("p", Query.where(Predicates.nameContains("late_1")).toBuilder().limit(20).build());
    }
    ProjectStats stats = catalog.stats("p");
    assertTrue(stats.reorganisations() >= 1, "the searches make a reorganisation due: " + stats);
    assertTrue(stats.longestReorganisation().compareTo(Duration.ZERO) > 0, stats.toString());
    assertEquals(n + 600, stats.backups());
    sameAnswers(catalog, scan, "after the reorganisation");
  }

  @Test
  void removingTheOldestThirdMakesNoReorganisationDueAndTheAnswersStayTheScans() throws Exception {
    int n = 12_000;
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    ReferenceCatalog scan = ReferenceCatalog.create(Clock.fixed(NOW, ZoneOffset.UTC));
    List<Backup> loaded = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      loaded.add(inOrder(i, n));
    }
    catalog.addAll(loaded);
    scan.addAll(loaded);
    for (int i = 0; i < n / 3; i++) {
      catalog.remove("p", "id-" + i, 1);
      scan.remove("p", "id-" + i, 1);
    }
    for (int round = 0; round < 20; round++) {
      sameAnswers(catalog, scan, "a third removed");
      Thread.sleep(10);
    }
    assertEquals(0, catalog.stats("p").reorganisations(),
        "no reorganisation until the removed are three times the positions past them: " + catalog.stats("p"));
    assertEquals(n - n / 3, catalog.stats("p").backups());
    // beyond three times the positions past them, one comes
    int removed = n / 3;
    for (; removed < n - 2_400; removed++) {
      catalog.remove("p", "id-" + removed, 1);
      scan.remove("p", "id-" + removed, 1);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (catalog.stats("p").reorganisations() == 0 && System.nanoTime() < deadline) {
      sameAnswers(catalog, scan, "most removed");
      Thread.sleep(5);
    }
    assertTrue(catalog.stats("p").reorganisations() >= 1, catalog.stats("p").toString());
    sameAnswers(catalog, scan, "after the reorganisation");
  }

  @Test
  void aReadHoldsBackTheWritersOfItsProjectOnly() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "x", "x", DB, NOW).build());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    boolean otherProjectWrote = catalog.read("p", view -> {
      Thread writer = new Thread(() -> {
        try {
          catalog.add(backup("q", "y", "y", DB, NOW).build());
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      writer.start();
      try {
        writer.join(5000);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      return !writer.isAlive();
    });
    assertTrue(otherProjectWrote, "a writer of another project does not wait for the read");
    assertEquals(null, failure.get());
    assertEquals(1, catalog.count("q", Predicates.all()));
  }

  @Test
  void twoWritersRetryingOnVersionConflictsLoseNoUpdate() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    catalog.add(backup("p", "counter", "zähler", DB, NOW.minusSeconds(1)).addTags(Tag.of("n", "0")).build());
    int perThread = 300;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    int[] conflicts = new int[2];
    for (int t = 0; t < 2; t++) {
      int me = t;
      threads.add(new Thread(() -> {
        try {
          go.await();
          for (int i = 0; i < perThread; i++) {
            while (true) {
              Backup current = catalog.get("p", "counter");
              int n = Integer.parseInt(current.tags().get(0).value());
              try {
                catalog.updateTags("p", "counter", current.version(), TagUpdate.create(Tag.of("n", Integer.toString(n + 1))));
                break;
              } catch (VersionConflictException conflict) {
                conflicts[me]++;
              }
            }
          }
        } catch (Throwable e) {
          failure.set(e);
        }
      }));
    }
    threads.forEach(Thread::start);
    go.countDown();
    for (Thread thread : threads) {
      thread.join(20_000);
      assertFalse(thread.isAlive());
    }
    assertEquals(null, failure.get());
    Backup last = catalog.get("p", "counter");
    assertEquals(Integer.toString(2 * perThread), last.tags().get(0).value());
    assertEquals(1 + 2 * perThread, last.version());
    assertEquals(1 + 2 * perThread, catalog.sequence("p"));
  }

  /**
   * The README says "Every read and write names a project; nothing of another project is ever
   * returned or counted, but by the all-projects view": {@code queryAllProjects} and {@code
   * countAllProjects}, for operators, name no project and return and count every project's backups.
   */
  @Test
  void theAllProjectsViewNamesNoProject() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "same", "eins", DB, NOW.minusSeconds(1)).build());
    catalog.add(backup("q", "same", "zwei", DB, NOW.minusSeconds(1)).build());
    Page all = catalog.queryAllProjects(Query.all());
    assertEquals(2, all.total());
    assertEquals(List.of("p", "q"), all.backups().stream().map(Backup::projectId).collect(Collectors.toList()));
    assertEquals(2, catalog.countAllProjects(Predicates.all()));
  }

  // ---------------------------------------------------------------------------------------------
  // The console's searches on a changing catalog of hand-made names, against the testkit's plain
  // scan, with a fresh seed each run (replayed with -Dcsbs.seed=N, as the README says)

  private static final String[] NAMES = {"autobk_Äpfel", "ΟΔΟΣ_1", "straße", "STRASSE", "İzmir", "𝔘ber", "ǅemal",
      "manualbk", "web", "WEB_2", "数据库", "x", "a-b_c"};
  private static final Server[] SERVERS = {WEB, DB, STRASSE, Server.of("s-4", "ecs-Ωmega", "eu-de-01")};
  private static final String[][] TAGS = {{"env", "prod"}, {"env", "test"}, {"Env", "prod"}, {"team", ""}, {"ключ", "значение"}};
  private static final String[] KEYWORDS = {"web", "WËB", "äpfel", "ΟΔΟΣ", "ß", "SS", "i", "𝔘", "ǆ", "_", "-", "ecs", "ω", "x"};

  @Test
  void randomConsoleSearchesOnAChangingCatalogAnswerAsThePlainScan() {
    Seeds.run(Seeds.pick(), seed -> {
      java.util.Random random = new java.util.Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      ReferenceCatalog scan = ReferenceCatalog.create(clock);
      catalog.subscribe(change -> assertTrue(scan.replay(change), change.toString()));
      int next = 0;
      for (int step = 0; step < 1000; step++) {
        int action = random.nextInt(10);
        List<Backup> live = scan.query("p", Query.all()).backups();
        if (action < 4 || live.isEmpty()) {
          Backup.Builder b = backup("p", "id-" + (next++), NAMES[random.nextInt(NAMES.length)],
              SERVERS[random.nextInt(SERVERS.length)],
              clock.instant().minus(Duration.ofHours(random.nextInt(24 * 20))).minusNanos(random.nextInt(3)));
          String[] tag = TAGS[random.nextInt(TAGS.length)];
          if (random.nextBoolean()) {
            b.addTags(Tag.of(tag[0], tag[1]));
          }
          catalog.add(b.build());
        } else {
          Backup target = live.get(random.nextInt(live.size()));
          try {
            if (action == 9) {
              String[] tag = TAGS[random.nextInt(TAGS.length)];
              catalog.updateTags("p", target.id(), target.version(), TagUpdate.create(Tag.of(tag[0], tag[1])));
            } else if (action == 8 && random.nextInt(4) == 0) {
              catalog.remove("p", target.id(), target.version());
            } else {
              Transition t = List.of(Transition.restore(), Transition.delete(), Transition.reportProgress(random.nextInt(101)),
                  Transition.complete(), Transition.fail("kaputt")).get(random.nextInt(5));
              catalog.apply("p", target.id(), target.version(), t);
            }
          } catch (IllegalTransitionException | InvalidValueException refused) {
            // a transition the state does not allow, or a progress below the last: nothing changes
          }
        }
        if (random.nextInt(20) == 0) {
          clock.advance(Duration.ofMinutes(random.nextInt(90)));
        }
        if (step % 10 == 0) {
          TagCatalogue tags = catalog.tagCatalogue("p");
          assertEquals(scan.tagCatalogue("p"), tags);
          ConsoleSearch search = ConsoleSearch.empty();
          if (random.nextBoolean()) {
            List<BackupStatus> states = new ArrayList<>(List.of(BackupStatus.values()));
            java.util.Collections.shuffle(states, random);
            search = search.withStatuses(states.subList(0, 1 + random.nextInt(3)));
          }
          switch (random.nextInt(3)) {
            case 0 -> search = search.withLastDays(1 + random.nextInt(10));
            case 1 -> search = search.withTimeRange(TimeRange.between(
                NOW.minus(Duration.ofDays(10 + random.nextInt(10))), NOW.minus(Duration.ofDays(random.nextInt(10)))));
            default -> { }
          }
          if (random.nextBoolean()) {
            KeywordField field = random.nextBoolean() ? KeywordField.BACKUP_NAME : KeywordField.SERVER_NAME;
            search = search.withKeyword(field, KEYWORDS[random.nextInt(KEYWORDS.length)]);
          }
          if (random.nextInt(3) == 0 && !tags.keys().isEmpty()) {
            List<String> keys = new ArrayList<>(tags.keys());
            String key = keys.get(random.nextInt(keys.size()));
            List<String> values = new ArrayList<>(tags.values(key));
            search = search.withTag(key, values.get(random.nextInt(values.size())));
          }
          int limit = 1 + random.nextInt(25);
          Query query = search.toQuery(tags, limit);
          Page page = catalog.query("p", query);
          assertEquals(scan.query("p", query), page, search.toString());
          if (page.hasMore()) {
            Query after = query.after(page.nextMarker().orElseThrow());
            assertEquals(scan.query("p", after), catalog.query("p", after), search + " after " + page.nextMarker());
          }
          assertEquals(scan.count("p", search.toPredicate(tags)), catalog.count("p", search.toPredicate(tags)), search.toString());
          assertEquals(scan.usage("p", UsageQuery.firstServers(3)), catalog.usage("p", UsageQuery.firstServers(3)));
          assertEquals(scan.query("p", Query.where(Predicates.stalled())), catalog.query("p", Query.where(Predicates.stalled())));
        }
      }
      assertEquals(scan.sequence("p"), catalog.sequence("p"));
    });
  }

  @Test
  void aTransitionWithAnInvalidValueIsRefusedNamingItAndChangesNothing() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("p", "f", "fehler", DB, NOW.minusSeconds(5)).build());
    catalog.apply("p", "f", 1, Transition.restore());
    long sequence = catalog.sequence("p");
    Backup before = catalog.get("p", "f");
    invalid("progress", () -> catalog.apply("p", "f", 2, Transition.reportProgress(101)));
    invalid("progress", () -> catalog.apply("p", "f", 2, Transition.reportProgress(-1)));
    invalid("failure reason", () -> catalog.apply("p", "f", 2, Transition.fail(" ")));
    invalid("failure reason", () -> catalog.apply("p", "f", 2, Transition.fail("ä".repeat(1025))));
    assertEquals(before, catalog.get("p", "f"));
    assertEquals(sequence, catalog.sequence("p"));
    assertEquals(100, catalog.apply("p", "f", 2, Transition.reportProgress(100)).orElseThrow().progress().orElseThrow().percent());
    Backup failed = catalog.apply("p", "f", 3, Transition.fail("ä".repeat(1024))).orElseThrow();
    assertEquals(1024, failed.failure().orElseThrow().reason().length());
    assertEquals(BackupStatus.ERROR, failed.status());
  }

  /**
   * "A replica follows another catalog or a database with replay(change), starting from
   * load(ProjectSnapshot)", the subscriber ignoring the sequences it has handled: a snapshot of a
   * primary that a writer changes, taken in one read (its backups page by page, its quota, its sequence).
   */
  @Test
  void aReplicaStartsFromASnapshotTakenInOneReadWhileAWriterRunsAndCatchesUpByReplay() throws Exception {
    BackupCatalog primary = Catalogs.indexed(Clock.systemUTC());
    primary.setQuota("p", Quota.of(10_000, Quota.UNLIMITED));
    List<Backup> loaded = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      loaded.add(backup("p", "r-" + i, NAMES[i % NAMES.length], SERVERS[i % SERVERS.length],
          NOW.minus(Duration.ofDays(400)).plusSeconds(i)).addTags(Tag.of("n", Integer.toString(i % 7))).build());
    }
    primary.addAll(loaded);
    java.util.concurrent.ConcurrentLinkedQueue<Change> feed = new java.util.concurrent.ConcurrentLinkedQueue<>();
    primary.subscribe(feed::add);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      java.util.Random random = new java.util.Random(11);
      try {
        for (int i = 0; !stop.get() || i < 200; i++) {
          Backup b = primary.get("p", "r-" + random.nextInt(2_500));
          Transition t = b.status() == BackupStatus.AVAILABLE ? Transition.restore()
              : b.status().isIntermediate() && random.nextBoolean() ? Transition.complete()
              : b.status().isIntermediate() ? Transition.reportProgress(Math.min(100, b.progress().orElseThrow().percent() + 1))
              : Transition.delete();
          primary.apply("p", b.id(), b.version(), t);
          if (i % 50 == 0) {
            primary.updateTags("p", b.id(), primary.get("p", b.id()).version(), TagUpdate.create(Tag.of("i", Integer.toString(i))));
          }
          if (i % 97 == 0) {
            primary.add(backup("p", "late-" + i, "late", DB, NOW.minus(Duration.ofDays(500)).plusSeconds(i)).build());
            if (i >= 194) {
              String old = "late-" + (i - 194);
              primary.remove("p", old, primary.get("p", old).version());
            }
          }
        }
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    writer.start();
    Thread.sleep(50);
    ProjectSnapshot snapshot = primary.read("p", view -> {
      List<Backup> backups = new ArrayList<>();
      Query query = Query.builder().limit(1000).build();
      while (true) {
        Page page = view.query(query);
        backups.addAll(page.backups());
        if (!page.hasMore()) {
          break;
        }
        query = query.after(page.nextMarker().orElseThrow());
      }
      return new ProjectSnapshot("p", primary.sequence("p"), view.quotaUsage().quota(), backups);
    });
    Thread.sleep(50);
    stop.set(true);
    writer.join(20_000);
    assertFalse(writer.isAlive());
    assertEquals(null, failure.get());
    assertTrue(snapshot.sequence() > 2_500, "the writer ran before the snapshot: " + snapshot.sequence());

    BackupCatalog replica = Catalogs.indexed(FakeClock.at(Instant.EPOCH));
    replica.load(snapshot);
    Map<String, Long> handled = new java.util.HashMap<>();
    long installed = 0;
    for (Change change : feed) {
      if (change.sequence() <= handled.getOrDefault(change.projectId(), snapshot.sequence())) {
        assertFalse(replica.replay(change), "the snapshot holds " + change);
        continue;
      }
      assertTrue(replica.replay(change), change.toString());
      handled.put(change.projectId(), change.sequence());
      installed++;
    }
    assertEquals(primary.sequence("p") - snapshot.sequence(), installed);
    assertEquals(primary.sequence("p"), replica.sequence("p"));
    assertEquals(primary.count("p", Predicates.all()), replica.count("p", Predicates.all()));
    for (long offset = 0; offset < primary.count("p", Predicates.all()); offset += 1000) {
      Query page = Query.builder().limit(1000).offset(offset).build();
      assertEquals(primary.query("p", page), replica.query("p", page), "offset " + offset);
    }
    assertEquals(primary.tagCatalogue("p"), replica.tagCatalogue("p"));
    assertEquals(primary.usage("p", UsageQuery.firstServers(10)), replica.usage("p", UsageQuery.firstServers(10)));
    assertEquals(primary.quotaUsage("p"), replica.quotaUsage("p"));
  }

  @Test
  void ciRunsTheReadmesTestCommandAndInstallsChromiumAsRootOnly() throws IOException {
    Path run = Path.of("..", ".ci", "run");
    assumeTrue(Files.isRegularFile(run), "no .ci/run beside this module");
    List<String> lines = Files.readAllLines(run, StandardCharsets.UTF_8);
    assertEquals("mvn -B verify", lines.stream().filter(l -> l.startsWith("mvn ")).reduce((a, b) -> b).orElseThrow(),
        "the last Maven command is the README's");
    String text = String.join("\n", lines);
    assertTrue(text.contains("apt-get install -y -q chromium chromium-driver"), text);
    assertTrue(text.contains("\"$(id -u)\" = 0"), "only as root: " + text);
    assertTrue(Files.isExecutable(run));
  }

  @Test
  void theLifecyclesFiveStatesAndAQueuedRawStatusMovingOnWithItsFirstProgress() {
    // "the backup lifecycle (Available, Creating, Restoring, Deleting, Error; ...)"
    assertEquals(List.of("Available", "Creating", "Restoring", "Deleting", "Error"),
        java.util.Arrays.stream(BackupStatus.values()).map(Object::toString).collect(Collectors.toList()));
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(base("p", "q", "wartend", DB, NOW).sizeMb(0).status(BackupStatus.CREATING)
        .progress(io.csbs.backup.Progress.of(0, NOW)).apiStatus(ApiStatus.WAITING_PROTECT).build());
    clock.advance(Duration.ofSeconds(1));
    Backup running = catalog.apply("p", "q", 1, Transition.reportProgress(1)).orElseThrow();
    assertEquals(ApiStatus.PROTECTING, running.apiStatus());
    assertEquals(BackupStatus.CREATING, running.status());
    Backup done = catalog.apply("p", "q", 2, Transition.complete()).orElseThrow();
    assertEquals(ApiStatus.AVAILABLE, done.apiStatus());
    assertEquals("available", done.apiStatus().apiName());
  }

  /**
   * The Benchmarks' "Arrival order" and "Removals": a project loaded in order, then changed by one
   * thread with late backups, removals of the oldest, transitions and tag updates while the
   * reorganisations those make due run beside it; every answer stays the plain scan's.
   */
  @Test
  void aProjectChangedWhileItsReorganisationsRunAnswersAsThePlainScan() {
    Seeds.run(Seeds.pick(), seed -> {
      java.util.Random random = new java.util.Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      ReferenceCatalog scan = ReferenceCatalog.create(clock);
      catalog.subscribe(change -> assertTrue(scan.replay(change), change.toString()));
      int n = 10_000;
      List<Backup> loaded = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        loaded.add(backup("p", "id-" + i, NAMES[random.nextInt(NAMES.length)] + (i % 3 == 0 ? "_" + i : ""),
            SERVERS[i % SERVERS.length], NOW.minus(Duration.ofDays(40)).plusSeconds(300L * i))
            .addTags(Tag.of(TAGS[i % TAGS.length][0], TAGS[i % TAGS.length][1])).build());
      }
      catalog.addAll(loaded);
      int oldest = 0;
      int late = 0;
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000);
      int step = 0;
      while (System.nanoTime() < deadline) {
        step++;
        int action = random.nextInt(10);
        if (action < 3) {
          Backup b = backup("p", "late-" + (late++), NAMES[random.nextInt(NAMES.length)], SERVERS[random.nextInt(SERVERS.length)],
              NOW.minus(Duration.ofDays(40)).plusSeconds(random.nextInt(300 * n))).addTags(Tag.of("late", "ja")).build();
          catalog.add(b);
        } else if (action < 5 && oldest < n - 100) {
          String id = "id-" + (oldest++);
          Optional<Backup> b = catalog.find("p", id);
          if (b.isPresent()) {
            catalog.remove("p", id, b.get().version());
          }
        } else if (action < 8) {
          Backup b = catalog.find("p", "id-" + (oldest + random.nextInt(n - oldest))).orElse(null);
          if (b != null) {
            try {
              catalog.apply("p", b.id(), b.version(), List.of(Transition.restore(), Transition.complete(),
                  Transition.reportProgress(50), Transition.delete()).get(random.nextInt(4)));
            } catch (IllegalTransitionException | InvalidValueException refused) {
              // nothing changes
            }
          }
        } else if (action == 8) {
          Backup b = catalog.find("p", "id-" + (oldest + random.nextInt(n - oldest))).orElse(null);
          if (b != null) {
            String[] tag = TAGS[random.nextInt(TAGS.length)];
            catalog.updateTags("p", b.id(), b.version(), TagUpdate.create(Tag.of(tag[0], tag[1])));
          }
        } else {
          clock.advance(Duration.ofMinutes(random.nextInt(10)));
        }
        if (step % 25 == 0) {
          List<Query> queries = List.of(
              Query.builder().limit(20).build(),
              Query.builder().limit(5).offset(random.nextInt(n)).build(),
              Query.where(Predicates.tag("late", "ja")).toBuilder().limit(10).build(),
              Query.where(Predicates.and(Predicates.tag("env", "prod"), Predicates.status(BackupStatus.AVAILABLE))).toBuilder().limit(10).build(),
              Query.where(Predicates.nameContains(KEYWORDS[random.nextInt(KEYWORDS.length)])).toBuilder().limit(10).build(),
              Query.where(Predicates.stalled()).toBuilder().limit(10).build(),
              Query.where(Predicates.status(BackupStatus.RESTORING, BackupStatus.DELETING)).toBuilder().limit(10).build(),
              Query.where(Predicates.createdWithinLast(Duration.ofDays(1 + random.nextInt(40)))).toBuilder().limit(10).build(),
              Query.builder().sort(Sort.parse(random.nextBoolean() ? "name:asc" : "created_at:asc,name:desc")).limit(10)
                  .offset(random.nextInt(n)).build());
          for (Query query : queries) {
            Page page = catalog.query("p", query);
            assertEquals(scan.query("p", query), page, "step " + step + ": " + query);
            if (page.hasMore() && query.offset() == 0) {
              Query after = query.after(page.nextMarker().orElseThrow());
              assertEquals(scan.query("p", after), catalog.query("p", after), "step " + step + " after: " + after);
            }
          }
          assertEquals(scan.count("p", Predicates.not(Predicates.tag("late", "ja"))),
              catalog.count("p", Predicates.not(Predicates.tag("late", "ja"))));
          assertEquals(scan.usage("p", UsageQuery.firstServers(2)), catalog.usage("p", UsageQuery.firstServers(2)));
        }
      }
      // (how many reorganisations ran depends on the machine's speed; the stats say, the answers may not)
      assertEquals(scan.count("p", Predicates.all()), catalog.stats("p").backups());
      assertEquals(scan.tagCatalogue("p"), catalog.tagCatalogue("p"));
    });
  }

  @Test
  void coordinatesCsbsCoresPomDeclaresNoRuntimeDependency() throws Exception {
    Path core = location(Backup.class);
    Path pom;
    if (Files.isDirectory(core)) {
      pom = core.resolve("../../pom.xml").normalize();
    } else {
      String jar = core.getFileName().toString();
      pom = core.resolveSibling(jar.substring(0, jar.length() - ".jar".length()) + ".pom");
    }
    if (!Files.isRegularFile(pom)) {
      pom = Path.of("..", "csbs-core", "pom.xml");  // in the build: the module's jar has no pom beside it
    }
    assumeTrue(Files.isRegularFile(pom), "no pom beside " + core + " nor in ../csbs-core");
    String text = Files.readString(pom, StandardCharsets.UTF_8);
    assertTrue(text.contains("<artifactId>csbs-core</artifactId>"), pom.toString());
    String dependencies = text.replaceAll("(?s)<dependencyManagement>.*?</dependencyManagement>", "")
        .replaceAll("(?s)<build>.*?</build>", "");
    java.util.regex.Matcher each = java.util.regex.Pattern.compile("(?s)<dependency>(.*?)</dependency>").matcher(dependencies);
    int count = 0;
    while (each.find()) {
      count++;
      String dependency = each.group(1);
      assertTrue(dependency.contains("<scope>provided</scope>") || dependency.contains("<scope>test</scope>")
          || dependency.contains("<optional>true</optional>"), "a runtime dependency of csbs-core: " + dependency);
    }
    assertTrue(count >= 1, "Immutables is declared (provided): " + pom);
    assertTrue(dependencies.contains("org.immutables"), pom.toString());
  }

  /**
   * The README: "A read does not see changes committed while it runs (in the in-memory catalog,
   * writers wait until read returns)": the writers of that project, not the readers of another. A
   * batch ({@code addAll}) over projects "a" and "p", waiting for a read of "p", holds nothing while it
   * waits, so a reader of "a" on another thread goes on at once (it held "a" and the reader waited
   * until the read of "p" returned; a read of "p" that waited for a reader of "a" never returned).
   */
  @Test
  void aBatchWaitingForAReadOfOneProjectHoldsUpNoReaderOfAnother() throws Exception {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(backup("a", "x", "x", DB, NOW).addTags(Tag.of("k", "v")).build());
    catalog.add(backup("p", "x", "x", DB, NOW).build());
    Thread batch = new Thread(() -> catalog.addAll(List.of(
        backup("a", "y", "y", DB, NOW).addTags(Tag.of("k", "v")).build(), backup("p", "y", "y", DB, NOW).build())));
    long[] seen = {-1};
    Thread reader = new Thread(() -> seen[0] = catalog.count("a", Predicates.tag("k", "v")));
    boolean readerDone = catalog.read("p", view -> {
      batch.start();
      try {
        // until the batch waits (parked) for "p"
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (batch.getState() != Thread.State.WAITING && batch.getState() != Thread.State.TIMED_WAITING
            && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        reader.start();
        reader.join(5_000);   // inside the read of "p": a reader held up by it would never end here
        return !reader.isAlive();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(readerDone, "the reader of a ended while the read of p ran");
    assertEquals(1, seen[0], "and saw a without the batch, which waits for p");
    batch.join(10_000);
    assertFalse(batch.isAlive());
    assertEquals(2, catalog.count("a", Predicates.tag("k", "v")), "the batch, once the read of p returned");
    assertEquals(2, catalog.count("p", Predicates.all()));
  }
}
