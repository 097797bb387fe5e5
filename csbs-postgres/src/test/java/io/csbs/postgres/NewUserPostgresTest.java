package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.InvalidValueException;
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
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.KeywordField;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.TimeRange;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.UsageQuery;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A new user's black-box review of csbs-postgres against its documentation (README "A durable, shared
 * catalog: csbs-postgres", and the javadoc of the public types). Data is invented here. The nine
 * tests that found bugs (ids, project ids and markers PostgreSQL cannot hold; the earliest times; a
 * wildcard tag value under a key with a letter outside the BMP; a replica of a project loaded at
 * sequence 0; a subscriber that throws an Error; concurrent migrations) now check the fixes.
 */
class NewUserPostgresTest {
  private static final int STORE = 7;
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00.123456Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Server WEB = Server.of("srv-web", "ecs-WEB-01", "eu-de-02");
  private static final Server DB = Server.of("srv-db", "ecs-db-01", "eu-de-01");
  private static final Server ODD = Server.of("Srv-Ödd", "Ünïcode_Server straße", "eu-de-03");

  private DataSource ds;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void emptyStore() {
    ds = TestDatabase.dataSource(STORE);
    TestDatabase.truncate(ds);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    toClose.clear();
  }

  private PostgresCatalog pg() {
    return pg(ds);
  }

  private PostgresCatalog pg(DataSource dataSource) {
    PostgresCatalog catalog = PostgresCatalog.builder(dataSource).clock(CLOCK).pollInterval(Duration.ofMillis(20)).build();
    toClose.add(catalog);
    return catalog;
  }

  private PostgresReplica replica(PostgresCatalog database) {
    PostgresReplica replica = PostgresReplica.start(database);
    toClose.add(replica);
    return replica;
  }

  private static Backup.Builder backup(String project, String id, String name, Server server, Instant created) {
    return backup(project, id, name, server, created, 1024);
  }

  private static Backup.Builder backup(String project, String id, String name, Server server, Instant created, long sizeMb) {
    return Backup.builder().id(id).name(name).projectId(project).server(server).status(BackupStatus.AVAILABLE)
        .createdAt(created).sizeMb(sizeMb);
  }

  private static Backup creating(String project, String id, String name, Server server, Instant created, Instant progressAt) {
    return Backup.builder().id(id).name(name).projectId(project).server(server).createdAt(created)
        .status(BackupStatus.CREATING).sizeMb(300).progress(Progress.of(10, progressAt)).updatedAt(progressAt).build();
  }

  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  /** The invented data set: odd names, equal and microsecond-apart times, several servers and tags. */
  private static List<Backup> dataSet(String project) {
    Instant t = NOW.minus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    List<Backup> list = new ArrayList<>();
    list.add(backup(project, "b-01", "autobk_a", WEB, t).addTags(Tag.of("env", "prod")).build());
    list.add(backup(project, "B-02", "Autobk_B", WEB, t).addTags(Tag.of("env", "test")).build());
    list.add(backup(project, "b-03", "ÄRGER", DB, t.plusNanos(1000)).addTags(Tag.of("env", "prod"), Tag.of("team", "ops")).build());
    list.add(backup(project, "b-04", "ärger-2", DB, t.minusNanos(1000), 5000).addTags(Tag.of("k", "")).build());
    list.add(backup(project, "b-05", "straße", ODD, t.minus(Duration.ofDays(3))).type(BackupType.ENHANCED)
        .addTags(Tag.of("ключ", "значение")).build());
    list.add(backup(project, "b-06", "STRASSE", ODD, t.minus(Duration.ofDays(3))).trigger(BackupTrigger.AUTOMATIC)
        .policyId("pol-1").build());
    list.add(backup(project, "b-07", "İstanbul", WEB, t.minusSeconds(7), 0).build());
    list.add(backup(project, "b-08", "ΟΔΟΣ", DB, t.minusSeconds(8)).addTags(Tag.of("team", "dev")).build());
    list.add(backup(project, "b-09", "οδος_9", WEB, t.minusSeconds(9)).build());
    list.add(backup(project, "é-10", "x_y", DB, t.plusSeconds(10)).addTags(Tag.of("env", "prod-eu")).build());
    list.add(backup(project, "Z", "x-y", WEB, t.plusSeconds(10)).build());
    list.add(backup(project, "b-12", "Zebra", DB, NOW.minus(Duration.ofDays(40))).build());
    list.add(creating(project, "c-13", "running_old", WEB, NOW.minus(Duration.ofHours(5)), NOW.minus(Duration.ofHours(2))));
    list.add(creating(project, "c-14", "running_new", DB, NOW.minus(Duration.ofMinutes(5)), NOW.minus(Duration.ofMinutes(1))));
    list.add(creating(project, "c-15", "running_edge", DB, NOW.minus(Duration.ofHours(1)), NOW.minus(Duration.ofMinutes(30))));
    list.add(creating(project, "c-16", "running_edge2", DB, NOW.minus(Duration.ofHours(1)),
        NOW.minus(Duration.ofMinutes(30)).minusNanos(1000)));
    list.add(backup(project, "w-17", "window_edge", WEB, NOW.minus(Duration.ofDays(2))).build());
    list.add(backup(project, "w-18", "window_out", WEB, NOW.minus(Duration.ofDays(2)).minusNanos(1000)).build());
    list.add(backup(project, "f-19", "future", DB, NOW.plusNanos(1000)).build());
    list.add(backup(project, "n-20", "now", DB, NOW).build());
    return list;
  }

  /** Loads the data set into {@code catalog} and applies a few transitions at the fixed clock. */
  private static void fill(BackupCatalog catalog, String project) {
    List<Backup> set = dataSet(project);
    catalog.addAll(set.subList(0, 5));
    for (Backup b : set.subList(5, set.size())) {
      catalog.add(b);
    }
    catalog.apply(project, "b-01", 1, Transition.restore());
    catalog.apply(project, "b-01", 2, Transition.reportProgress(40));
    catalog.apply(project, "B-02", 1, Transition.delete());
    catalog.apply(project, "c-13", 1, Transition.fail("disk full; 100% ≠ ok"));
    catalog.updateTags(project, "b-07", 1, TagUpdate.create(Tag.of("env", "prod"), Tag.of("owner", "Łukasz")));
    catalog.apply(project, "b-09", 1, Transition.delete());
    catalog.apply(project, "b-09", 2, Transition.complete());   // deletion completes: removed
    catalog.remove(project, "b-12", 1);
  }

  private static List<BackupPredicate> predicates() {
    Instant t = NOW.minus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    return List.of(
        Predicates.all(),
        Predicates.none(),
        Predicates.status(BackupStatus.AVAILABLE),
        Predicates.status(BackupStatus.CREATING, BackupStatus.RESTORING),
        Predicates.not(Predicates.status(BackupStatus.AVAILABLE)),
        Predicates.nameContains("ärg"),
        Predicates.nameContains("STRASSE"),
        Predicates.nameContains("ss"),
        Predicates.nameContains("i"),
        Predicates.nameContains("ος"),
        Predicates.nameContains("οσ"),
        Predicates.keyword(KeywordField.BACKUP_NAME, "_"),
        Predicates.keyword(KeywordField.BACKUP_NAME, "-"),
        Predicates.keyword(KeywordField.SERVER_NAME, "WEB"),
        Predicates.keyword(KeywordField.SERVER_NAME, "STRASSE"),
        Predicates.keyword(KeywordField.SERVER_ID, "srv-db"),
        Predicates.serverNameContains("ünï"),
        Predicates.tag("env", "prod"),
        Predicates.tagKey("team"),
        Predicates.tag("env", List.of("*ro")),
        Predicates.tag("env", List.of("*")),
        Predicates.tag("k", List.of("")),
        Predicates.tag("ключ", List.of("*нач")),
        Predicates.tag("owner", List.of("*ł")),
        Predicates.tag("env", List.of("test", "*eu")),
        Predicates.createdBetween(t, t),
        Predicates.createdBetween(t.plusNanos(1), t.plusNanos(999)),
        Predicates.createdBetween(t.plusNanos(1), t.plusNanos(1000)),
        Predicates.createdBetween(t.minusNanos(1000), t.minusNanos(1)),
        Predicates.createdIn(TimeRange.of(t.minusNanos(1000), false, t.plusNanos(1000), false)),
        Predicates.createdIn(TimeRange.before(t)),
        Predicates.createdIn(TimeRange.from(t.plusNanos(500))),
        Predicates.createdWithinLast(Duration.ofDays(2)),
        Predicates.createdWithinLast(Duration.ofMinutes(5)),
        Predicates.stalled(),
        Predicates.serverId("srv-web"),
        Predicates.serverId("Srv-Ödd"),
        Predicates.availabilityZone("eu-de-01"),
        Predicates.type(BackupType.ENHANCED),
        Predicates.trigger(BackupTrigger.AUTOMATIC),
        Predicates.policyId("pol-1"),
        Predicates.not(Predicates.policyId("pol-1")),
        Predicates.attribute(Attribute.RESOURCE_TYPE, Server.NOVA_SERVER),
        Predicates.backupId("é-10"),
        Predicates.or(Predicates.tag("env", "prod"), Predicates.nameContains("zz")),
        Predicates.and(Predicates.not(Predicates.tagKey("env")), Predicates.status(BackupStatus.AVAILABLE)),
        Predicates.not(Predicates.and(Predicates.serverId("srv-db"), Predicates.nameContains("r"))));
  }

  private static List<Sort> sorts() {
    return List.of(Sort.DEFAULT, Sort.parse("created_at:asc"), Sort.parse("name:asc"), Sort.parse("name:desc"),
        Sort.parse("status:asc,name:desc"), Sort.parse("status:desc"), Sort.parse("updated_at:asc"),
        Sort.parse("updated_at:desc,name:asc"), Sort.parse("id:asc"), Sort.parse("id:desc"),
        Sort.parse("created_at:asc,name:desc"));
  }

  private static String describe(Page page) {
    return page.ids() + " total " + page.total() + " more " + page.hasMore();
  }

  // ---------------------------------------------------------------------------------------------

  // README: "PostgresCatalog implements BackupCatalog, so everything above works on it ... every search,
  // sort, page and total is compiled to SQL"; the same calls should answer as the in-memory catalog.
  @Test
  void searchesSortsAndTotalsAgreeWithTheInMemoryCatalog() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    fill(database, "p1");
    fill(memory, "p1");
    List<String> differences = new ArrayList<>();
    for (BackupPredicate predicate : predicates()) {
      if (memory.count("p1", predicate) != database.count("p1", predicate)) {
        differences.add("count " + predicate + ": memory " + memory.count("p1", predicate) + " pg "
            + database.count("p1", predicate));
      }
      for (Sort sort : sorts()) {
        Query query = Query.builder().where(predicate).sort(sort).limit(1000).build();
        Page m = memory.query("p1", query);
        Page p = database.query("p1", query);
        if (!describe(m).equals(describe(p)) || !m.backups().equals(p.backups())) {
          differences.add(predicate + " / " + sort + ": memory " + describe(m) + " pg " + describe(p));
        }
      }
    }
    assertEquals(List.of(), differences);
  }

  // Query javadoc: "a marker (the id of the last backup of the previous page: the page continues after
  // it in the same order)" or "an offset"; Page.nextMarker "while more matches follow".
  @Test
  void pagingByMarkerAndByOffsetAgreesWithTheInMemoryCatalog() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    fill(database, "p1");
    fill(memory, "p1");
    List<String> differences = new ArrayList<>();
    for (BackupPredicate predicate : List.of(Predicates.all(), Predicates.tagKey("env"), Predicates.nameContains("r"),
        Predicates.not(Predicates.status(BackupStatus.AVAILABLE)))) {
      for (Sort sort : sorts()) {
        for (int limit : new int[] {1, 2, 3}) {
          Query query = Query.builder().where(predicate).sort(sort).limit(limit).build();
          for (int round = 0; round < 30; round++) {
            Page m = memory.query("p1", query);
            Page p = database.query("p1", query);
            if (!describe(m).equals(describe(p))) {
              differences.add(query + ": memory " + describe(m) + " pg " + describe(p));
              break;
            }
            if (m.nextMarker().isEmpty()) {
              break;
            }
            query = query.after(m.nextMarker().get());
          }
          for (long offset : new long[] {0, 1, 5, 13, 14, 100, Long.MAX_VALUE}) {
            Query byOffset = Query.builder().where(predicate).sort(sort).limit(limit).offset(offset).build();
            Page m = memory.query("p1", byOffset);
            Page p = database.query("p1", byOffset);
            if (!describe(m).equals(describe(p))) {
              differences.add(byOffset + ": memory " + describe(m) + " pg " + describe(p));
            }
          }
        }
      }
    }
    assertEquals(List.of(), differences);
  }

  // BackupCatalog javadoc: "a marker continues strictly after the marker backup's current place in the
  // order (if its sorted value changed since the previous page, the page follows its new place)".
  @Test
  void aMarkerWhoseBackupChangedContinuesAfterItsNewPlace() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    fill(database, "p1");
    fill(memory, "p1");
    Query query = Query.builder().sort(Sort.parse("updated_at:asc")).limit(3).build();
    Page first = database.query("p1", query);
    assertEquals(describe(memory.query("p1", query)), describe(first));
    String marker = first.nextMarker().orElseThrow();
    for (BackupCatalog c : List.of(database, memory)) {
      Backup b = c.get("p1", marker);
      c.updateTags("p1", marker, b.version(), TagUpdate.create(Tag.of("moved", "yes")));
    }
    assertEquals(describe(memory.query("p1", query.after(marker))), describe(database.query("p1", query.after(marker))));
  }

  // BackupCatalog.query: "@throws InvalidValueException naming marker if the marker is not the id of a
  // backup of the project"; "nothing of another project is ever returned, counted or hinted at".
  @Test
  void aMarkerOfAnotherProjectOrOfNoBackupIsRefusedNamingMarker() {
    PostgresCatalog database = pg();
    fill(database, "p1");
    database.add(backup("p2", "only-in-p2", "x", WEB, NOW.minusSeconds(5)).build());
    for (String marker : List.of("only-in-p2", "nope", "b-09" /* removed */)) {
      InvalidValueException e = assertThrows(InvalidValueException.class,
          () -> database.query("p1", Query.all().after(marker)));
      assertEquals("marker", e.field());
    }
  }

  // BackupCatalog.queryAllProjects: "Backups that are equal in the sort order (the same id in two
  // projects) are ordered by project id ... a marker whose id exists in several projects is refused".
  @Test
  void allProjectsViewAgreesWithTheInMemoryCatalog() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    for (String project : List.of("p-b", "p-a", "P-C")) {
      fill(database, project);
      fill(memory, project);
    }
    database.add(backup("p-a", "unique-1", "unique", DB, NOW.minusSeconds(1)).build());
    memory.add(backup("p-a", "unique-1", "unique", DB, NOW.minusSeconds(1)).build());
    List<String> differences = new ArrayList<>();
    for (Sort sort : sorts()) {
      for (BackupPredicate predicate : List.of(Predicates.all(), Predicates.status(BackupStatus.AVAILABLE),
          Predicates.tag("env", "prod"))) {
        Query query = Query.builder().where(predicate).sort(sort).limit(7).build();
        for (long offset : new long[] {0, 7, 30}) {
          Query q = query.toBuilder().offset(offset).build();
          Page m = memory.queryAllProjects(q);
          Page p = database.queryAllProjects(q);
          List<String> mp = m.backups().stream().map(b -> b.projectId() + "/" + b.id()).toList();
          List<String> pp = p.backups().stream().map(b -> b.projectId() + "/" + b.id()).toList();
          if (!mp.equals(pp) || m.total() != p.total() || m.hasMore() != p.hasMore()) {
            differences.add(q + ": memory " + mp + " " + m.total() + " pg " + pp + " " + p.total());
          }
        }
        if (memory.countAllProjects(predicate) != database.countAllProjects(predicate)) {
          differences.add("countAll " + predicate);
        }
      }
      Page m = memory.queryAllProjects(Query.builder().sort(sort).limit(2).build().after("unique-1"));
      Page p = database.queryAllProjects(Query.builder().sort(sort).limit(2).build().after("unique-1"));
      if (!describe(m).equals(describe(p))) {
        differences.add("after unique-1 " + sort + ": memory " + describe(m) + " pg " + describe(p));
      }
    }
    assertEquals(List.of(), differences);
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> database.queryAllProjects(Query.all().after("b-01")));
    assertEquals("marker", e.field());
  }

  // BackupCatalog: usage "largest first ... ties: more backups first, then by server id"; ServerUsage:
  // the server name "as its newest counted backup names it"; tag catalogue and quota usage.
  @Test
  void usageTagCatalogueAndQuotaUsageAgreeWithTheInMemoryCatalog() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    for (BackupCatalog c : List.of(database, memory)) {
      fill(c, "p1");
      c.add(backup("p1", "renamed", "r", Server.of("srv-web", "ecs-web-renamed", "eu-de-02"), NOW.minusSeconds(1)).build());
      c.add(backup("p1", "tie-1", "t", Server.of("A-srv", "a", "eu-de-02"), NOW.minusSeconds(2), 1024).build());
      c.add(backup("p1", "tie-2", "t", Server.of("B-srv", "b", "eu-de-02"), NOW.minusSeconds(2), 1024).build());
      c.add(backup("p1", "tie-3", "t", Server.of("a-srv", "c", "eu-de-02"), NOW.minusSeconds(2), 1024).build());
      c.setQuota("p1", Quota.of(500, 10_240));
    }
    for (UsageQuery q : List.of(UsageQuery.firstServers(20), UsageQuery.firstServers(1), UsageQuery.of(Predicates.all(), 2, 2),
        UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), 0, 10), UsageQuery.of(Predicates.tag("env", "prod"), 0, 10),
        UsageQuery.of(Predicates.none(), 0, 10), UsageQuery.of(Predicates.all(), 100, 10))) {
      assertEquals(memory.usage("p1", q), database.usage("p1", q), q.toString());
    }
    assertEquals(memory.tagCatalogue("p1"), database.tagCatalogue("p1"));
    assertEquals(memory.quotaUsage("p1"), database.quotaUsage("p1"));
    assertEquals(memory.quotaUsage("nobody"), database.quotaUsage("nobody"));
    assertEquals(memory.usage("nobody", UsageQuery.firstServers(5)), database.usage("nobody", UsageQuery.firstServers(5)));
  }

  // BackupCatalog.sequence: "0 before its first"; an empty or unknown project answers empty everywhere;
  // read/sequence "@throws InvalidValueException naming project id if it is blank".
  @Test
  void anEmptyProjectAnswersLikeTheInMemoryCatalogAndABlankProjectIsRefused() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    assertEquals(0, database.sequence("empty"));
    assertEquals(describe(memory.query("empty", Query.all())), describe(database.query("empty", Query.all())));
    assertEquals(0, database.count("empty", Predicates.all()));
    assertEquals(memory.tagCatalogue("empty"), database.tagCatalogue("empty"));
    assertEquals(Optional.empty(), database.find("empty", "x"));
    assertThrows(BackupNotFoundException.class, () -> database.get("empty", "x"));
    assertEquals("project id", assertThrows(InvalidValueException.class, () -> database.sequence(" ")).field());
    assertEquals("project id", assertThrows(InvalidValueException.class, () -> database.read("", v -> 1)).field());
  }

  // BackupCatalog.sequence: "Every committed change ... raises it by exactly one; refusals, setQuota,
  // reads and an apply that changes nothing (the same progress again) do not. Each project counts its own."
  @Test
  void sequencesCountChangesPerProjectAsDocumented() {
    PostgresCatalog database = pg();
    Instant t = NOW.minusSeconds(60);
    database.add(backup("project-1", "b1", "one", WEB, t).build());
    database.addAll(List.of(backup("project-1", "b2", "two", WEB, t).build(), backup("project-1", "b3", "three", WEB, t).build()));
    database.apply("project-1", "b1", 1, Transition.restore());
    assertEquals(4, database.sequence("project-1"));
    assertEquals(0, database.sequence("project-2"));
    database.apply("project-1", "b1", 2, Transition.reportProgress(40));
    Backup same = database.apply("project-1", "b1", 3, Transition.reportProgress(40)).orElseThrow();
    assertEquals(3, same.version());
    database.setQuota("project-1", Quota.of(10, 10));
    assertThrows(VersionConflictException.class, () -> database.remove("project-1", "b2", 7));
    Backup untouched = database.updateTags("project-1", "b2", 1, TagUpdate.delete(TagUpdate.Match.key("nothing")));
    assertEquals(1, untouched.version());
    assertEquals(5, database.sequence("project-1"));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), database.changes("project-1", 0, 100).stream().map(Change::sequence).toList());
  }

  // Change feed: the changes of the database equal the changes the in-memory catalog delivers for the
  // same calls (Change is a record; "Equal transitions are equal values").
  @Test
  void theChangeFeedHoldsTheSameChangesAsTheInMemoryCatalogDelivers() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    List<Change> delivered = new CopyOnWriteArrayList<>();
    memory.subscribe(delivered::add);
    fill(database, "p1");
    fill(memory, "p1");
    assertEquals(delivered, database.changes("p1", 0, 10_000));
    assertEquals(delivered.subList(3, 6), database.changes("p1", 3, 3));
    assertEquals(List.of(), database.changes("p1", 10_000, 5));
  }

  // PostgresCatalog.changes: "@throws InvalidValueException naming limit unless it is 1 to 10,000, or
  // after sequence if it is negative"; Builder.pollInterval: "naming poll interval unless it is 1 ms to 1 hour".
  @Test
  void argumentsOfTheFeedAndTheBuilderAreCheckedNamingTheField() {
    PostgresCatalog database = pg();
    assertEquals("limit", assertThrows(InvalidValueException.class, () -> database.changes("p", 0, 0)).field());
    assertEquals("limit", assertThrows(InvalidValueException.class, () -> database.changes("p", 0, 10_001)).field());
    assertEquals("after sequence", assertThrows(InvalidValueException.class, () -> database.changes("p", -1, 5)).field());
    assertEquals(1, database.changes("p", 0, 10_000).size() + 1);
    PostgresCatalog.Builder builder = PostgresCatalog.builder(ds);
    assertEquals("poll interval", assertThrows(InvalidValueException.class, () -> builder.pollInterval(Duration.ZERO)).field());
    assertEquals("poll interval", assertThrows(InvalidValueException.class,
        () -> builder.pollInterval(Duration.ofHours(1).plusMillis(1))).field());
    assertEquals("poll interval", assertThrows(InvalidValueException.class,
        () -> builder.pollInterval(Duration.ofNanos(999_999))).field());
    builder.pollInterval(Duration.ofMillis(1));
    builder.pollInterval(Duration.ofHours(1));
  }

  /** Adds a backup created at each time, and lists where a read, a search or a replica does not give it back. */
  private List<String> roundTrip(List<Instant> times) {
    PostgresCatalog database = pg();
    List<Backup> added = new ArrayList<>();
    for (int i = 0; i < times.size(); i++) {
      Backup b = backup("p-times", "t" + i, "time" + i, WEB, times.get(i)).build();
      database.add(b);
      added.add(b);
    }
    List<String> wrong = new ArrayList<>();
    for (Backup b : added) {
      Backup found = database.get("p-times", b.id());
      if (!found.equals(b)) {
        wrong.add(b.createdAt() + " read back as " + found.createdAt());
      }
      long matches = database.count("p-times", Predicates.createdBetween(b.createdAt(), b.createdAt()));
      if (matches != 1) {
        wrong.add(b.createdAt() + " matched by its own instant " + matches + " times");
      }
    }
    PostgresReplica replica = replica(database);
    for (Backup b : added) {
      if (!replica.get("p-times", b.id()).equals(b)) {
        wrong.add("replica: " + b.createdAt() + " loaded as " + replica.get("p-times", b.id()).createdAt());
      }
    }
    return wrong;
  }

  // README: "Times are kept to the microsecond"; times inside what the catalog accepts are kept exactly,
  // also by a replica (which loads rows in binary).
  @Test
  void extremeButStorableTimesRoundTripExactly() {
    assertEquals(List.of(), roundTrip(List.of(Instant.parse("-4712-01-01T00:00:00Z"),
        Instant.parse("-0001-06-30T12:00:00.000001Z"), Instant.parse("0000-01-01T00:00:00Z"),
        Instant.parse("1000-03-01T00:00:00Z"), Instant.parse("1582-10-10T00:00:00Z"),
        Instant.parse("1899-12-31T23:59:59.999999Z"), Instant.parse("1970-01-01T00:00:00Z"),
        Instant.parse("1969-12-31T23:59:59.999999Z"), Instant.parse("+294276-12-31T23:59:59.999999Z"))));
  }

  // PostgresCatalog: "a backup given with a finer time, with a time outside PostgreSQL's range ... is refused";
  // the range it checks starts at -4713-11-24T00:00:00Z (4714 BC), so a time it accepts must be kept.
  @Test
  void theEarliestAcceptedTimesRoundTripOrAreRefused() {
    List<Instant> earliest = List.of(Instant.parse("-4713-11-24T00:00:00Z"), Instant.parse("-4713-11-24T00:00:00.000001Z"),
        Instant.parse("-4713-12-31T23:59:59.999999Z"));
    List<String> wrong = new ArrayList<>();
    for (Instant t : earliest) {
      try {
        wrong.addAll(roundTrip(List.of(t)));
      } catch (InvalidValueException refused) {
        assertEquals("created at", refused.field());   // refusing is the other documented answer
      }
      TestDatabase.truncate(ds);
    }
    assertEquals(List.of(), wrong);
  }

  // PostgresCatalog: "a backup given ... with a time outside PostgreSQL's range ... is refused with an
  // InvalidValueException naming the field"; "A refused change rolls back whole".
  @Test
  void timesOutsideTheRangeOrFinerThanAMicrosecondAreRefusedNamingTheField() {
    PostgresCatalog database = pg();
    assertEquals("created at", assertThrows(InvalidValueException.class,
        () -> database.add(backup("p", "a", "a", WEB, Instant.parse("-4713-11-23T23:59:59.999999Z")).build())).field());
    assertEquals("created at", assertThrows(InvalidValueException.class,
        () -> database.add(backup("p", "a", "a", WEB, Instant.parse("+294277-01-01T00:00:00Z")).build())).field());
    assertEquals("progress changed at", assertThrows(InvalidValueException.class,
        () -> database.add(Backup.builder().id("a").name("a").projectId("p").server(WEB).createdAt(NOW.minusSeconds(5))
            .status(BackupStatus.CREATING).sizeMb(1).progress(Progress.of(10, NOW.minusSeconds(4).plusNanos(1)))
            .updatedAt(NOW.minusSeconds(3)).build())).field());
    assertEquals("updated at", assertThrows(InvalidValueException.class,
        () -> database.add(backup("p", "a", "a", WEB, NOW.minusSeconds(5)).updatedAt(NOW.minusSeconds(4).plusNanos(10)).build())).field());
    assertEquals(0, database.sequence("p"));
    assertEquals(0, database.count("p", Predicates.all()));
    assertEquals(List.of(), database.changes("p", 0, 10));
  }

  // README: "the catalog's clock is read to the microsecond"; PostgresCatalog: "The time of a change is
  // the clock's instant cut to the microsecond".
  @Test
  void theTimeOfAChangeIsTheClockCutToTheMicrosecond() {
    Instant fine = Instant.parse("2026-11-24T10:00:00.123456789Z");
    PostgresCatalog database = PostgresCatalog.builder(ds).clock(Clock.fixed(fine, ZoneOffset.UTC)).build();
    toClose.add(database);
    database.add(backup("p", "a", "a", WEB, fine.minusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.MICROS)).build());
    Backup restoring = database.apply("p", "a", 1, Transition.restore()).orElseThrow();
    assertEquals(Instant.parse("2026-11-24T10:00:00.123456Z"), restoring.updatedAt());
    assertEquals(restoring, database.get("p", "a"));
    Backup tagged = database.updateTags("p", "a", 2, TagUpdate.create(Tag.of("x", "y")));
    assertEquals(Instant.parse("2026-11-24T10:00:00.123456Z"), tagged.updatedAt());
  }

  // Tag.of / names accept letters of any script; the catalog "answers ... as the in-memory catalog"
  // for a tag criterion's value "beginning with * matches the rest of it anywhere in the tag's value".
  @Test
  void aWildcardTagValueMatchesUnderAKeyWithASupplementaryLetter() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    String key = "\uD835\uDC1Eenv";   // MATHEMATICAL BOLD SMALL E, a letter outside the BMP
    for (BackupCatalog c : List.of(database, memory)) {
      c.add(backup("p", "a", "a", WEB, NOW.minusSeconds(5)).addTags(Tag.of(key, "production")).build());
    }
    BackupPredicate wildcard = Predicates.tag(key, List.of("*duct"));
    assertEquals(1, memory.count("p", wildcard));
    assertEquals(1, database.count("p", wildcard));
  }

  // Names of any script, including letters outside the BMP, match "ignoring case as toLowerCase(Locale.ROOT)".
  @Test
  void namesOutsideTheBmpMatchAsInMemory() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    for (BackupCatalog c : List.of(database, memory)) {
      c.add(backup("p", "a", "\uD801\uDC00x", WEB, NOW.minusSeconds(5)).addTags(Tag.of("\uD801\uDC00", "\uD801\uDC28v"), Tag.of("k", "a\uD801\uDC28")).build());
      c.add(backup("p", "b", "y\uD801\uDC28", Server.of("s", "𝓈𝑒𝓇𝓋𝑒𝓇", "az"), NOW.minusSeconds(5)).build());
    }
    for (BackupPredicate p : List.of(Predicates.nameContains("\uD801\uDC28"), Predicates.nameContains("\uD801\uDC00X"),
        Predicates.serverNameContains("𝑒𝓇"), Predicates.tag("\uD801\uDC00", "\uD801\uDC28v"),
        Predicates.tagKey("\uD801\uDC00"), Predicates.tag("k", List.of("*\uD801\uDC28")))) {
      assertEquals(memory.count("p", p), database.count("p", p), p.toString());
    }
  }

  // BackupCatalog.add: "@throws QuotaExceededException if the backup would take the project beyond one
  // of its quotas"; addAll "all or none"; the exception names the project and the quota.
  @Test
  void quotasRefuseTheBackupThatWouldExceedThemAndLeaveEverythingAsItWas() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    for (BackupCatalog c : List.of(database, memory)) {
      c.setQuota("q", Quota.of(3, 1));   // 3 backups, 1 GB = 1024 MB
      c.add(backup("q", "a", "a", WEB, NOW.minusSeconds(9), 1000).build());
    }
    QuotaExceededException capacity = assertThrows(QuotaExceededException.class,
        () -> database.add(backup("q", "b", "b", WEB, NOW.minusSeconds(8), 25).build()));
    QuotaExceededException capacityM = assertThrows(QuotaExceededException.class,
        () -> memory.add(backup("q", "b", "b", WEB, NOW.minusSeconds(8), 25).build()));
    assertEquals("backup_capacity", capacity.quota());
    assertEquals("q", capacity.projectId());
    assertEquals(capacityM.getMessage(), capacity.getMessage());
    for (BackupCatalog c : List.of(database, memory)) {
      c.add(backup("q", "b", "b", WEB, NOW.minusSeconds(8), 24).build());   // exactly 1024 MB
      c.add(backup("q", "c", "c", WEB, NOW.minusSeconds(7), 0).build());
    }
    QuotaExceededException count = assertThrows(QuotaExceededException.class,
        () -> database.addAll(List.of(backup("q2", "x", "x", WEB, NOW.minusSeconds(8)).build(),
            backup("q", "d", "d", WEB, NOW.minusSeconds(7), 0).build())));
    assertEquals("backups", count.quota());
    assertEquals(0, database.sequence("q2"));
    assertEquals(Optional.empty(), database.find("q2", "x"));
    assertEquals(memory.quotaUsage("q"), database.quotaUsage("q"));
    assertEquals(3, database.sequence("q"));
    database.setQuota("q", Quota.NONE);
    database.add(backup("q", "d", "d", WEB, NOW.minusSeconds(7), 4096).build());
    assertEquals(Quota.NONE, database.quotaUsage("q").quota());
  }

  // BackupCatalog: "A change is checked in this order: the backup exists in the project, its version is
  // the expected one (a VersionConflictException comes before any lifecycle refusal), then the transition."
  @Test
  void versionConflictsComeBeforeLifecycleRefusalsAndChangeNothing() {
    PostgresCatalog database = pg();
    database.add(creating("p", "c", "c", WEB, NOW.minusSeconds(60), NOW.minusSeconds(30)));
    database.add(backup("other", "x", "x", WEB, NOW.minusSeconds(60)).build());
    VersionConflictException e = assertThrows(VersionConflictException.class,
        () -> database.apply("p", "c", 5, Transition.restore()));
    assertEquals(5, e.expectedVersion());
    assertEquals(1, e.currentVersion());
    assertEquals("c", e.backupId());
    assertThrows(io.csbs.lifecycle.IllegalTransitionException.class, () -> database.apply("p", "c", 1, Transition.restore()));
    assertThrows(BackupNotFoundException.class, () -> database.apply("p", "x", 1, Transition.restore()));
    assertThrows(BackupNotFoundException.class, () -> database.remove("p", "x", 1));
    assertThrows(BackupNotFoundException.class, () -> database.updateTags("p", "x", 1, TagUpdate.create(Tag.of("a", "b"))));
    assertThrows(VersionConflictException.class, () -> database.updateTags("p", "c", 0, TagUpdate.create(Tag.of("a", "b"))));
    assertEquals(1, database.sequence("p"));
    assertEquals(1, database.get("p", "c").version());
    assertTrue(database.tagCatalogue("p").keys().isEmpty());
  }

  // BackupCatalog.updateTags: "@throws InvalidValueException naming tags if the backup would have more than
  // 10 tags ... the backup stays as it was".
  @Test
  void aRefusedTagUpdateLeavesTheBackupTheFeedAndTheTagCatalogueAsTheyWere() {
    PostgresCatalog database = pg();
    List<Tag> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(Tag.of("k" + i, "v"));
    }
    database.add(backup("p", "a", "a", WEB, NOW.minusSeconds(60)).tags(ten).build());
    var before = database.tagCatalogue("p");
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> database.updateTags("p", "a", 1, TagUpdate.create(Tag.of("k10", "v"))));
    assertEquals("tags", e.field());
    assertEquals(before, database.tagCatalogue("p"));
    assertEquals(1, database.sequence("p"));
    assertEquals(ten, database.get("p", "a").tags());
    assertEquals(0, database.count("p", Predicates.tagKey("k10")));
  }

  // BackupCatalog.add: "DuplicateBackupException if the project already has a backup with that id
  // (checked first)"; addAll: "naming the project and the id ... or repeats in backups (inBatch())".
  @Test
  void duplicatesAreRefusedFirstAndNamedAsDocumented() {
    PostgresCatalog database = pg();
    database.setQuota("p", Quota.of(1, -1));
    database.add(backup("p", "a", "a", WEB, NOW.minusSeconds(60)).build());
    DuplicateBackupException d = assertThrows(DuplicateBackupException.class,
        () -> database.add(backup("p", "a", "other", WEB, NOW.minusSeconds(50)).build()));
    assertEquals("a", d.backupId());
    DuplicateBackupException inBatch = assertThrows(DuplicateBackupException.class,
        () -> database.addAll(List.of(backup("o", "x", "x", WEB, NOW.minusSeconds(5)).build(),
            backup("o", "y", "y", WEB, NOW.minusSeconds(5)).build(), backup("o", "x", "x", WEB, NOW.minusSeconds(5)).build())));
    assertTrue(inBatch.inBatch());
    assertEquals("o", inBatch.projectId());
    assertEquals("x", inBatch.backupId());
    DuplicateBackupException existing = assertThrows(DuplicateBackupException.class,
        () -> database.addAll(List.of(backup("p", "z", "z", WEB, NOW.minusSeconds(5)).build(),
            backup("p", "a", "a", WEB, NOW.minusSeconds(5)).build())));
    assertFalse(existing.inBatch());
    assertEquals("a", existing.backupId());
    assertEquals(0, database.sequence("o"));
    assertEquals(1, database.sequence("p"));
  }

  // BackupCatalog.replay: "Checked in this order: the sequence ..., then whether the backup exists ...,
  // then its version"; "false if already installed"; "IllegalStateException if a change is missing".
  @Test
  void replayInstallsChangesOfAnotherCatalogAsCommitted() {
    PostgresCatalog database = pg();
    BackupCatalog primary = Catalogs.indexed(CLOCK);
    List<Change> changes = new CopyOnWriteArrayList<>();
    primary.subscribe(changes::add);
    fill(primary, "p1");
    for (Change c : changes) {
      assertTrue(database.replay(c), c.toString());
    }
    assertFalse(database.replay(changes.get(2)));
    for (Backup b : primary.query("p1", Query.all()).backups()) {
      assertEquals(b, database.get("p1", b.id()));
    }
    assertEquals(primary.sequence("p1"), database.sequence("p1"));
    assertEquals(primary.usage("p1", UsageQuery.firstServers(10)), database.usage("p1", UsageQuery.firstServers(10)));
    assertEquals(primary.tagCatalogue("p1"), database.tagCatalogue("p1"));
    assertEquals(changes, database.changes("p1", 0, 1000));
    // a gap
    Backup later = backup("p1", "later", "later", WEB, NOW.minusSeconds(1)).build();
    Change gap = new Change(primary.sequence("p1") + 2, "p1", "later", Optional.empty(), Optional.of(later), Optional.empty());
    assertThrows(IllegalStateException.class, () -> database.replay(gap));
    assertEquals(primary.sequence("p1"), database.sequence("p1"));
  }

  // BackupCatalog.load: "Loads a project ... its backups as they are (versions kept), its quota, and its
  // change sequence, so that replay continues with change snapshot.sequence() + 1"; "IllegalStateException
  // if the project already has backups or a sequence above 0 here".
  @Test
  void aLoadedSnapshotIsContinuedByReplayAndALoadOverDataIsRefused() {
    PostgresCatalog database = pg();
    Backup a = backup("p", "a", "a", WEB, NOW.minusSeconds(60)).version(7).updatedAt(NOW.minusSeconds(30)).build();
    database.load(new ProjectSnapshot("p", 1042, Quota.of(100, 100), List.of(a)));
    assertEquals(1042, database.sequence("p"));
    assertEquals(a, database.get("p", "a"));
    assertEquals(Quota.of(100, 100), database.quotaUsage("p").quota());
    assertEquals(List.of(), database.changes("p", 0, 10));
    Backup next = a.toBuilder().version(8).addTags(Tag.of("x", "y")).build();
    Change c1043 = new Change(1043, "p", "a", Optional.of(a), Optional.of(next), Optional.empty());
    Change c1042 = new Change(1042, "p", "a", Optional.of(a), Optional.of(next), Optional.empty());
    assertFalse(database.replay(c1042));
    assertTrue(database.replay(c1043));
    assertEquals(next, database.get("p", "a"));
    assertThrows(IllegalStateException.class, () -> database.load(new ProjectSnapshot("p", 0, Quota.NONE, List.of())));
    assertEquals(1043, database.sequence("p"));
  }

  // README: "subscribe(positions, ...) resumes after the last sequence a consumer handled"; a project it
  // does not name "is delivered from its first change"; "in order within each project".
  @Test
  void subscribeWithPositionsResumesAfterThemAndDeliversUnnamedProjectsFromTheirFirstChange() {
    PostgresCatalog database = pg();
    fill(database, "p1");
    database.add(backup("p2", "a", "a", WEB, NOW.minusSeconds(60)).build());
    database.add(backup("p2", "b", "b", WEB, NOW.minusSeconds(60)).build());
    long p1 = database.sequence("p1");
    Map<String, List<Long>> got = new HashMap<>();
    Subscription s = database.subscribe(Map.of("p1", p1 - 2), change -> {
      synchronized (got) {
        got.computeIfAbsent(change.projectId(), k -> new ArrayList<>()).add(change.sequence());
      }
    });
    await(() -> {
      synchronized (got) {
        return got.getOrDefault("p1", List.of()).size() >= 2 && got.getOrDefault("p2", List.of()).size() >= 2;
      }
    }, "the changes after the positions");
    database.add(backup("p3", "n", "n", WEB, NOW.minusSeconds(60)).build());
    await(() -> {
      synchronized (got) {
        return got.containsKey("p3");
      }
    }, "a new project's change");
    s.cancel();
    synchronized (got) {
      assertEquals(List.of(p1 - 1, p1), got.get("p1"));
      assertEquals(List.of(1L, 2L), got.get("p2"));
      assertEquals(List.of(1L), got.get("p3"));
    }
  }

  // PostgresCatalog.subscribe(Map, ...): the map must name projects with sequences of at least 0.
  @Test
  void subscribeRefusesBadPositions() {
    PostgresCatalog database = pg();
    Map<String, Long> negative = Map.of("p", -1L);
    assertEquals("after[p]", assertThrows(InvalidValueException.class, () -> database.subscribe(negative, c -> { })).field());
    Map<String, Long> blank = Map.of(" ", 1L);
    assertEquals("project id", assertThrows(InvalidValueException.class, () -> database.subscribe(blank, c -> { })).field());
  }

  // PostgresCatalog.subscribe(Consumer): "Delivers every change committed from now on"; a subscriber
  // that throws "gets the same change again" while "other projects go on meanwhile".
  @Test
  void aSubscriberFromNowOnGetsOnlyNewChangesAndAChangeItRefusedAgain() {
    PostgresCatalog database = pg();
    database.add(backup("p1", "old", "old", WEB, NOW.minusSeconds(60)).build());
    List<String> got = new CopyOnWriteArrayList<>();
    AtomicInteger refusals = new AtomicInteger();
    Subscription s = database.subscribe(change -> {
      if (change.projectId().equals("p1") && change.sequence() == 2 && refusals.getAndIncrement() < 2) {
        throw new IllegalStateException("not now");
      }
      got.add(change.projectId() + "#" + change.sequence());
    });
    database.add(backup("p1", "new", "new", WEB, NOW.minusSeconds(60)).build());
    database.add(backup("p2", "x", "x", WEB, NOW.minusSeconds(60)).build());
    await(() -> got.contains("p2#1"), "the other project's change");
    await(() -> got.contains("p1#2"), "the refused change, again");
    s.cancel();
    assertEquals(3, refusals.get());
    assertEquals(List.of("p1#2"), got.stream().filter(x -> x.startsWith("p1")).toList());
  }

  // PostgresReplica: "A change made elsewhere (another instance, another replica) arrives by the feed;
  // to read it at once, call awaitSequence"; it loads "a consistent snapshot of every project".
  @Test
  void aReplicaFollowsWritesMadeThroughAnotherCatalogInstance() {
    PostgresCatalog a = pg();
    PostgresCatalog b = pg();
    fill(b, "before");
    PostgresReplica replica = replica(a);
    List<Change> replicated = new CopyOnWriteArrayList<>();
    replica.subscribe(replicated::add);
    fill(b, "p1");
    b.setQuota("p1", Quota.of(1000, 1000));
    b.add(backup("before", "late", "late", DB, NOW.minusSeconds(3)).build());
    assertTrue(replica.awaitSequence("p1", b.sequence("p1"), Duration.ofSeconds(10)));
    assertTrue(replica.awaitSequence("before", b.sequence("before"), Duration.ofSeconds(10)));
    await(() -> replica.quotaUsage("p1").quota().equals(Quota.of(1000, 1000)), "the quota");
    for (String project : List.of("p1", "before")) {
      for (Sort sort : sorts()) {
        Query q = Query.builder().sort(sort).limit(1000).build();
        assertEquals(b.query(project, q), replica.query(project, q));
      }
      assertEquals(b.usage(project, UsageQuery.firstServers(10)), replica.usage(project, UsageQuery.firstServers(10)));
      assertEquals(b.tagCatalogue(project), replica.tagCatalogue(project));
      assertEquals(b.quotaUsage(project), replica.quotaUsage(project));
    }
    assertEquals(b.changes("p1", 0, 1000), replicated.stream().filter(c -> c.projectId().equals("p1")).toList());
  }

  // PostgresReplica sync: "A project the replica does not hold yet is loaded from a snapshot ... when the
  // feed lacks its first changes (a project loaded from a snapshot in the database)".
  @Test
  void aReplicaPicksUpAProjectLoadedFromASnapshotByAnotherInstance() {
    PostgresCatalog a = pg();
    PostgresCatalog b = pg();
    PostgresReplica replica = replica(a);
    Backup x = backup("loaded", "x", "x", WEB, NOW.minusSeconds(60)).version(3).updatedAt(NOW.minusSeconds(50)).build();
    b.load(new ProjectSnapshot("loaded", 17, Quota.of(5, 5), List.of(x)));
    b.add(backup("loaded", "y", "y", WEB, NOW.minusSeconds(40)).build());
    assertTrue(replica.awaitSequence("loaded", 18, Duration.ofSeconds(10)));
    assertEquals(x, replica.get("loaded", "x"));
    assertEquals(2, replica.count("loaded", Predicates.all()));
    assertEquals(Quota.of(5, 5), replica.quotaUsage("loaded").quota());
  }

  // PostgresReplica: "Writes go to the database, with its checks, quotas and refusals; then the replica
  // catches up with the project before returning, so that the writer reads its own write."
  @Test
  void aReplicaWritesThroughAndReadsItsOwnWritesAndRefusals() {
    PostgresCatalog database = pg();
    PostgresReplica replica = replica(database);
    replica.setQuota("p", Quota.of(1, -1));
    assertEquals(Quota.of(1, -1), replica.quotaUsage("p").quota());
    replica.add(backup("p", "a", "a", WEB, NOW.minusSeconds(60)).build());
    assertEquals(1, replica.sequence("p"));
    assertThrows(QuotaExceededException.class, () -> replica.add(backup("p", "b", "b", WEB, NOW.minusSeconds(60)).build()));
    Backup restoring = replica.apply("p", "a", 1, Transition.restore()).orElseThrow();
    assertEquals(restoring, replica.get("p", "a"));
    assertEquals(restoring, database.get("p", "a"));
    assertThrows(VersionConflictException.class, () -> replica.remove("p", "a", 1));
    replica.remove("p", "a", 2);
    assertEquals(Optional.empty(), replica.find("p", "a"));
    assertEquals(3, replica.sequence("p"));
    assertThrows(IllegalStateException.class, () -> replica.read("p", v -> {
      replica.add(backup("p", "c", "c", WEB, NOW.minusSeconds(60)).build());
      return null;
    }));
    assertEquals(3, database.sequence("p"));
  }

  // README: "changes from inside [read] are refused"; "nor read another project"; PostgresCatalog.read is
  // one snapshot: "its answers agree although writers go on".
  @Test
  void aReadOfTheDatabaseIsOneSnapshotAndRefusesChangesAndOtherProjects() {
    PostgresCatalog database = pg();
    PostgresCatalog other = pg();
    fill(database, "p1");
    long before = database.sequence("p1");
    List<Object> answers = database.read("p1", view -> {
      long first = view.count(Predicates.all());
      other.add(backup("p1", "during", "during", WEB, NOW.minusSeconds(1)).build());
      return List.of(first, view.count(Predicates.all()), view.query(Query.all()).total(), view.sequence(),
          database.count("p1", Predicates.all()));
    });
    long n = (Long) answers.get(0);
    assertEquals(List.of(n, n, n, before, n), answers);
    assertThrows(IllegalStateException.class, () -> database.read("p1", v -> database.count("p2", Predicates.all())));
    assertThrows(IllegalStateException.class, () -> database.read("p1", v -> {
      database.setQuota("p1", Quota.NONE);
      return null;
    }));
    assertEquals(before + 1, database.sequence("p1"));
  }

  // Schema: "refuses a database that is not at CURRENT_VERSION" (SchemaVersionException: none at all →
  // databaseVersion 0; a newer one); migrate "@return the version the database was at before (0 for none)";
  // script(v) "@throws IllegalArgumentException if this library has no such version".
  @Test
  void schemaVersionsAreCheckedMigratedAndRefusedAsDocumented() {
    String schema = "h28_schema_" + System.nanoTime();
    TestDatabase.execute(TestDatabase.plain(), "CREATE SCHEMA " + schema);
    PGSimpleDataSource fresh = TestDatabase.plain();
    fresh.setCurrentSchema(schema + ",public");
    assertEquals(0, Schema.version(fresh));
    SchemaVersionException none = assertThrows(SchemaVersionException.class,
        () -> pg(fresh).count("p", Predicates.all()));
    assertEquals(0, none.databaseVersion());
    assertEquals(Schema.CURRENT_VERSION, none.libraryVersion());
    assertFalse(none.isRetryable());
    assertEquals(io.csbs.ErrorCode.SCHEMA_VERSION_MISMATCH, none.code());
    assertEquals(0, Schema.migrate(fresh));
    assertEquals(Schema.CURRENT_VERSION, Schema.migrate(fresh));
    assertEquals(Schema.CURRENT_VERSION, Schema.version(fresh));
    pg(fresh).add(backup("p", "a", "a", WEB, NOW.minusSeconds(60)).build());
    TestDatabase.execute(fresh, "INSERT INTO csbs_schema_version (version) VALUES (" + (Schema.CURRENT_VERSION + 1) + ")");
    SchemaVersionException newer = assertThrows(SchemaVersionException.class, () -> Schema.migrate(fresh));
    assertEquals(Schema.CURRENT_VERSION + 1, newer.databaseVersion());
    SchemaVersionException refused = assertThrows(SchemaVersionException.class, () -> pg(fresh).find("p", "a"));
    assertEquals(Schema.CURRENT_VERSION + 1, refused.databaseVersion());
    assertThrows(IllegalArgumentException.class, () -> Schema.script(0));
    assertThrows(IllegalArgumentException.class, () -> Schema.script(Schema.CURRENT_VERSION + 1));
    assertTrue(Schema.script(1).contains("csbs_backup"));
    TestDatabase.execute(TestDatabase.plain(), "DROP SCHEMA " + schema + " CASCADE");
  }

  // Schema.migrate: "upgrades it to CURRENT_VERSION ... @return the version the database was at before".
  @Test
  void migrateUpgradesADatabaseAtVersionOne() {
    String schema = "h28_v1_" + System.nanoTime();
    TestDatabase.execute(TestDatabase.plain(), "CREATE SCHEMA " + schema);
    PGSimpleDataSource v1 = TestDatabase.plain();
    v1.setCurrentSchema(schema + ",public");
    TestDatabase.execute(v1, "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    TestDatabase.execute(v1, Schema.script(1));
    TestDatabase.execute(v1, "INSERT INTO csbs_schema_version (version) VALUES (1)");
    SchemaVersionException old = assertThrows(SchemaVersionException.class, () -> pg(v1).sequence("p"));
    assertEquals(1, old.databaseVersion());
    assertEquals(1, Schema.migrate(v1));
    assertEquals(Schema.CURRENT_VERSION, Schema.version(v1));
    assertEquals(0, pg(v1).sequence("p"));
    TestDatabase.execute(TestDatabase.plain(), "DROP SCHEMA " + schema + " CASCADE");
  }

  /** A data source whose connections are refused with a given SQLState. */
  private static DataSource refusing(String sqlState) {
    return new DataSource() {
      @Override
      public Connection getConnection() throws SQLException {
        throw new SQLException("refused (invented)", sqlState);
      }

      @Override
      public Connection getConnection(String user, String password) throws SQLException {
        return getConnection();
      }

      @Override
      public PrintWriter getLogWriter() {
        return null;
      }

      @Override
      public void setLogWriter(PrintWriter out) {}

      @Override
      public void setLoginTimeout(int seconds) {}

      @Override
      public int getLoginTimeout() {
        return 0;
      }

      @Override
      public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
      }

      @Override
      public <T> T unwrap(Class<T> type) throws SQLException {
        throw new SQLException("no");
      }

      @Override
      public boolean isWrapperFor(Class<?> type) {
        return false;
      }
    };
  }

  // CatalogDatabaseException.isRetryable: "a lost or refused connection (class 08), ... a server shutting
  // down or out of connections (57P01 to 57P03, 53300)"; "the cause is the driver's SQLException with its
  // SQLState"; "The message says what the catalog was doing".
  @Test
  void aFailingDataSourceRaisesCatalogDatabaseExceptionSayingWhetherToRetry() {
    Map<String, Boolean> states = new HashMap<>();
    states.put("08001", true);
    states.put("08006", true);
    states.put("53300", true);
    states.put("57P03", true);
    states.put("40001", true);
    states.put("28P01", false);
    states.put("42501", false);
    states.put("XX000", false);
    for (Map.Entry<String, Boolean> state : states.entrySet()) {
      PostgresCatalog catalog = pg(refusing(state.getKey()));
      for (Consumer<PostgresCatalog> call : List.<Consumer<PostgresCatalog>>of(c -> c.count("p", Predicates.all()),
          c -> c.add(backup("p", "a", "a", WEB, NOW.minusSeconds(5)).build()), c -> c.changes("p", 0, 5),
          c -> c.queryAllProjects(Query.all()))) {
        CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> call.accept(catalog));
        assertEquals(state.getValue(), e.isRetryable(), state.getKey());
        assertEquals(state.getKey(), e.sqlState());
        assertEquals(io.csbs.ErrorCode.DATABASE_FAILURE, e.code());
        assertTrue(e.getCause() instanceof SQLException);
      }
    }
    CatalogDatabaseException noState = assertThrows(CatalogDatabaseException.class,
        () -> pg(refusing(null)).sequence("p"));
    assertFalse(noState.isRetryable());
    CatalogDatabaseException add = assertThrows(CatalogDatabaseException.class,
        () -> pg(refusing("08001")).add(backup("p", "a", "a", WEB, NOW.minusSeconds(5)).build()));
    assertTrue(add.getMessage().contains("add backup a"), add.getMessage());
  }

  // CatalogDatabaseException: a server that is not there (connection refused, class 08) is retryable.
  @Test
  void anUnreachableServerIsARetryableFailure() {
    PGSimpleDataSource nowhere = new PGSimpleDataSource();
    nowhere.setURL("jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2");
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> pg(nowhere).sequence("p"));
    assertTrue(e.isRetryable(), e.getMessage());
    assertTrue(e.sqlState().startsWith("08"), e.sqlState());
    assertThrows(CatalogDatabaseException.class, () -> Schema.migrate(nowhere));
    assertThrows(CatalogDatabaseException.class, () -> Schema.version(nowhere));
  }

  // CatalogDatabaseException: a refusal that a retry cannot cure (no privilege, 42501) is not retryable,
  // "Nothing is ever half-written".
  @Test
  void aPermissionRefusalIsNotRetryableAndWritesNothing() {
    PostgresCatalog owner = pg();
    owner.add(backup("p", "a", "a", WEB, NOW.minusSeconds(5)).build());
    String role = "h28_reader";
    TestDatabase.execute(TestDatabase.plain(), "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + role
        + "') THEN CREATE ROLE " + role + " LOGIN; END IF; END $$");
    TestDatabase.execute(TestDatabase.plain(), "GRANT USAGE ON SCHEMA csbs_test_" + STORE + " TO " + role);
    TestDatabase.execute(TestDatabase.plain(), "GRANT SELECT ON ALL TABLES IN SCHEMA csbs_test_" + STORE + " TO " + role);
    PGSimpleDataSource reader = TestDatabase.plain();
    reader.setUser(role);
    reader.setPassword("");
    reader.setCurrentSchema("csbs_test_" + STORE + ",public");
    PostgresCatalog readOnly = pg(reader);
    assertEquals(1, readOnly.count("p", Predicates.all()));
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class,
        () -> readOnly.apply("p", "a", 1, Transition.restore()));
    assertFalse(e.isRetryable());
    assertEquals("42501", e.sqlState());
    assertEquals(1, owner.get("p", "a").version());
    assertEquals(1, owner.sequence("p"));
  }

  // BackupCatalog.find: "{@return the backup backupId of the project, if it has one}"; get/apply/remove:
  // "@throws BackupNotFoundException if the project has no backup backupId" (ids are any non-blank text);
  // sequence: "0 before its first" change.
  @Test
  void idsWithANulCharAreSimplyNotFound() {
    PostgresCatalog database = pg();
    database.add(backup("p", "a", "a", WEB, NOW.minusSeconds(5)).build());
    org.junit.jupiter.api.Assertions.assertAll(
        () -> assertEquals(Optional.empty(), database.find("p", "a\0")),
        () -> assertThrows(BackupNotFoundException.class, () -> database.apply("p", "a\0", 1, Transition.restore())),
        () -> assertThrows(BackupNotFoundException.class, () -> database.remove("p", "a\0", 1)),
        () -> assertEquals(0, database.sequence("p\0")),
        () -> assertEquals(0, database.count("p\0", Predicates.all())));
  }

  // BackupCatalog.find / apply: the backup backupId, "compared exactly"; a change names the backup it changes.
  @Test
  void anIdWithHalfASurrogatePairDoesNotFindOrChangeAnotherBackup() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    for (BackupCatalog c : List.of(database, memory)) {
      c.add(backup("p", "?", "question", WEB, NOW.minusSeconds(5)).build());
    }
    assertEquals(Optional.empty(), memory.find("p", "\uD800"));
    assertThrows(BackupNotFoundException.class, () -> memory.apply("p", "\uD800", 1, Transition.restore()));
    org.junit.jupiter.api.Assertions.assertAll(
        () -> assertThrows(BackupNotFoundException.class, () -> database.apply("p", "\uD800", 1, Transition.restore())),
        () -> assertEquals(BackupStatus.AVAILABLE, database.get("p", "?").status(), "the backup '?' was changed"),
        () -> assertEquals(Optional.empty(), database.find("p", "\uD800")));
  }

  // BackupCatalog.query: "@throws InvalidValueException naming marker if the marker is not the id of a
  // backup of the project".
  @Test
  void aMarkerThatCannotBeAnIdIsRefusedNamingMarker() {
    PostgresCatalog database = pg();
    database.add(backup("p", "?", "question", WEB, NOW.minusSeconds(5)).build());
    database.add(backup("p", "b", "b", WEB, NOW.minusSeconds(6)).build());
    org.junit.jupiter.api.Assertions.assertAll(
        () -> assertEquals("marker", assertThrows(InvalidValueException.class,
            () -> database.query("p", Query.all().after("\uD800")), "lone surrogate").field()),
        () -> assertEquals("marker", assertThrows(InvalidValueException.class,
            () -> database.query("p", Query.all().after("x\0")), "NUL").field()));
  }

  // Query: pages "continue after it in the same order"; a page is exact whatever the plan (more or fewer
  // than a thousand matches of a tag search), as in the in-memory catalog.
  @Test
  void largeBatchesAndSearchesOnBothSidesOfAThousandMatchesAgreeWithTheInMemoryCatalog() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 1203; i++) {
      Backup.Builder b = backup("big", String.format("id-%04d", (i * 7919) % 1203), (i % 3 == 0 ? "Alpha" : "beta") + (i % 17),
          i % 2 == 0 ? WEB : DB, NOW.minusSeconds(i % 50).minusNanos(1000L * (i % 3)), i % 11);
      if (i % 5 != 0) {
        b.addTags(Tag.of("many", "yes"));
      }
      if (i % 100 == 0) {
        b.addTags(Tag.of("few", "yes"));
      }
      batch.add(b.build());
    }
    database.addAll(batch);
    memory.addAll(batch);
    List<Change> feed = new ArrayList<>();
    for (long after = 0; ; ) {
      List<Change> next = database.changes("big", after, 500);
      if (next.isEmpty()) {
        break;
      }
      feed.addAll(next);
      after = next.get(next.size() - 1).sequence();
    }
    assertEquals(1203, feed.size());
    for (int i = 0; i < feed.size(); i++) {
      assertEquals(i + 1, feed.get(i).sequence());
      assertEquals(batch.get(i), feed.get(i).after().orElseThrow());
    }
    List<String> differences = new ArrayList<>();
    for (BackupPredicate predicate : List.of(Predicates.tag("many", "yes"), Predicates.tag("few", "yes"),
        Predicates.nameContains("alpha1"), Predicates.nameContains("a"), Predicates.tagKey("many"))) {
      for (Sort sort : sorts()) {
        Query query = Query.builder().where(predicate).sort(sort).limit(50).build();
        for (int round = 0; round < 3; round++) {
          Page m = memory.query("big", query);
          Page p = database.query("big", query);
          if (!describe(m).equals(describe(p))) {
            differences.add(query + ": memory " + describe(m) + " pg " + describe(p));
            break;
          }
          if (m.nextMarker().isEmpty()) {
            break;
          }
          query = query.after(m.nextMarker().get());
        }
        Query deep = Query.builder().where(predicate).sort(sort).limit(7).offset(950).build();
        if (!describe(memory.query("big", deep)).equals(describe(database.query("big", deep)))) {
          differences.add(deep + ": memory " + describe(memory.query("big", deep)) + " pg " + describe(database.query("big", deep)));
        }
      }
    }
    assertEquals(List.of(), differences);
  }

  // README: "every instance of a service shares one truth"; a replica "loads a consistent snapshot of every
  // project"; BackupCatalog: "Each project counts its own changes" (many projects at once).
  @Test
  void manyProjectsInOneBatchAreEachNumberedAndReplicated() {
    PostgresCatalog database = pg();
    List<Backup> batch = new ArrayList<>();
    for (int p = 0; p < 150; p++) {
      for (int i = 0; i <= p % 3; i++) {
        batch.add(backup("proj-" + p + (p % 7 == 0 ? "-ü'\"" : ""), "b" + i, "n" + i, WEB, NOW.minusSeconds(i)).build());
      }
    }
    java.util.Collections.shuffle(batch, new java.util.Random(28));
    database.addAll(batch);
    PostgresReplica replica = replica(database);
    Map<String, Long> expected = new HashMap<>();
    for (Backup b : batch) {
      expected.merge(b.projectId(), 1L, Long::sum);
    }
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      assertEquals(e.getValue(), database.sequence(e.getKey()), e.getKey());
      assertEquals(e.getValue(), replica.sequence(e.getKey()), e.getKey());
      assertEquals(e.getValue(), replica.count(e.getKey(), Predicates.all()), e.getKey());
    }
    assertEquals(batch.size(), database.countAllProjects(Predicates.all()));
    assertEquals(batch.size(), replica.countAllProjects(Predicates.all()));
  }

  // BackupCatalog.addAll: "Checked project by project in project id order ...: first that no id exists in its
  // project or repeats in backups ..., then the quotas of every project."
  @Test
  void addAllRefusesADuplicateOfALaterProjectBeforeTheQuotaOfAnEarlierOne() {
    PostgresCatalog database = pg();
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    for (BackupCatalog c : List.of(database, memory)) {
      c.setQuota("a", Quota.of(0, -1));
      c.add(backup("b", "dup", "dup", WEB, NOW.minusSeconds(9)).build());
    }
    List<Backup> batch = List.of(backup("b", "dup", "dup", WEB, NOW.minusSeconds(9)).build(),
        backup("a", "x", "x", WEB, NOW.minusSeconds(9)).build());
    RuntimeException m = assertThrows(RuntimeException.class, () -> memory.addAll(batch));
    RuntimeException p = assertThrows(RuntimeException.class, () -> database.addAll(batch));
    assertEquals(m.getClass(), p.getClass());
    assertTrue(p instanceof DuplicateBackupException, p.toString());
  }

  // PostgresReplica.awaitSequence: "@return whether the replica reached sequence" (false after the timeout);
  // Subscription.cancel: "Stops the deliveries to this subscriber".
  @Test
  void awaitSequenceTimesOutAndACancelledSubscriptionHearsNothingMore() throws InterruptedException {
    PostgresCatalog database = pg();
    PostgresReplica replica = replica(database);
    replica.add(backup("p", "a", "a", WEB, NOW.minusSeconds(5)).build());
    assertTrue(replica.awaitSequence("p", 1, Duration.ofMillis(1)));
    long start = System.nanoTime();
    assertFalse(replica.awaitSequence("p", 2, Duration.ofMillis(200)));
    assertTrue(System.nanoTime() - start >= Duration.ofMillis(200).toNanos());
    List<Change> got = new CopyOnWriteArrayList<>();
    Subscription s = database.subscribe(got::add);
    database.add(backup("p", "b", "b", WEB, NOW.minusSeconds(5)).build());
    await(() -> got.size() == 1, "one change");
    s.cancel();
    database.add(backup("p", "c", "c", WEB, NOW.minusSeconds(5)).build());
    Thread.sleep(300);
    assertEquals(1, got.size());
    assertEquals(3, replica.catchUp("p"));
  }

  // BackupCatalog: "Every read and write names a project; nothing of another project is ever returned,
  // counted or hinted at".
  @Test
  void aProjectIdWithHalfASurrogatePairSeesNothingOfAnotherProject() {
    PostgresCatalog database = pg();
    database.add(backup("tenant?", "secret", "secret", WEB, NOW.minusSeconds(5)).build());
    String odd = "tenant\uD800";
    org.junit.jupiter.api.Assertions.assertAll(
        () -> assertEquals(List.of(), database.query(odd, Query.all()).ids()),
        () -> assertEquals(0, database.count(odd, Predicates.all())),
        () -> assertEquals(Optional.empty(), database.find(odd, "secret")),
        () -> assertEquals(0, database.sequence(odd)),
        () -> assertThrows(BackupNotFoundException.class, () -> database.remove(odd, "secret", 1)),
        () -> assertEquals(1, database.count("tenant?", Predicates.all())));
  }

  // Schema: "Several instances may call [migrate] at once: they serialize on the version table, and each
  // version is applied once."
  @Test
  void severalInstancesMayMigrateAtOnce() throws Exception {
    List<String> failures = new CopyOnWriteArrayList<>();
    for (int round = 0; round < 4; round++) {
      String schema = "h28_race_" + round + "_" + System.nanoTime();
      TestDatabase.execute(TestDatabase.plain(), "CREATE SCHEMA " + schema);
      PGSimpleDataSource fresh = TestDatabase.plain();
      fresh.setCurrentSchema(schema + ",public");
      java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(6);
      List<Thread> threads = new ArrayList<>();
      List<Integer> befores = new CopyOnWriteArrayList<>();
      for (int t = 0; t < 6; t++) {
        Thread thread = new Thread(() -> {
          try {
            barrier.await();
            befores.add(Schema.migrate(fresh));
          } catch (Exception e) {
            failures.add(e.toString());
          }
        });
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      assertEquals(Schema.CURRENT_VERSION, Schema.version(fresh));
      TestDatabase.execute(TestDatabase.plain(), "DROP SCHEMA " + schema + " CASCADE");
    }
    assertEquals(List.of(), failures);
  }

  // README: "each change is one transaction (version checked in the UPDATE, quotas, counters, and a row in
  // the change feed, all or nothing)"; concurrent writers lose no update and pass no quota.
  @Test
  void concurrentWritersLoseNoUpdateAndPassNoQuota() throws Exception {
    PostgresCatalog database = pg();
    PostgresCatalog other = pg();
    database.setQuota("p", Quota.of(25, -1));
    database.add(backup("p", "x", "x", WEB, NOW.minusSeconds(60)).build());
    AtomicInteger restored = new AtomicInteger();
    AtomicInteger conflicts = new AtomicInteger();
    AtomicInteger added = new AtomicInteger();
    AtomicInteger quota = new AtomicInteger();
    List<String> unexpected = new CopyOnWriteArrayList<>();
    java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(8);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      PostgresCatalog c = t % 2 == 0 ? database : other;
      int n = t;
      Thread thread = new Thread(() -> {
        try {
          barrier.await();
          try {
            c.apply("p", "x", 1, Transition.restore());
            restored.incrementAndGet();
          } catch (VersionConflictException e) {
            conflicts.incrementAndGet();
          }
          for (int i = 0; i < 5; i++) {
            try {
              c.add(backup("p", "t" + n + "-" + i, "n", WEB, NOW.minusSeconds(30)).build());
              added.incrementAndGet();
            } catch (QuotaExceededException e) {
              quota.incrementAndGet();
            }
          }
        } catch (Exception e) {
          unexpected.add(e.toString());
        }
      });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertEquals(List.of(), unexpected);
    assertEquals(1, restored.get());
    assertEquals(7, conflicts.get());
    assertEquals(24, added.get());
    assertEquals(16, quota.get());
    assertEquals(26, database.sequence("p"));
    assertEquals(25, database.count("p", Predicates.all()));
    List<Long> sequences = database.changes("p", 0, 100).stream().map(Change::sequence).toList();
    assertEquals(26, sequences.size());
    assertEquals(26L, sequences.get(25));
  }

  /** A data source that holds the replicas' follower threads back while its gate is closed (test plumbing). */
  private static final class GatedDataSource extends DelegatingDataSource {
    private final java.util.concurrent.CountDownLatch[] gate = {new java.util.concurrent.CountDownLatch(0)};

    GatedDataSource(DataSource target) {
      super(target);
    }

    synchronized void close() {
      gate[0] = new java.util.concurrent.CountDownLatch(1);
    }

    synchronized void open() {
      gate[0].countDown();
    }

    @Override
    public Connection getConnection() throws SQLException {
      if (Thread.currentThread().getName().startsWith("csbs-replica")) {
        java.util.concurrent.CountDownLatch latch;
        synchronized (this) {
          latch = gate[0];
        }
        try {
          latch.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return target.getConnection();
    }
  }

  // PostgresReplica: "A project the replica does not hold yet is loaded from a snapshot ... when the feed
  // lacks its first changes (a project loaded from a snapshot in the database)"; reads show the database's state.
  @Test
  void aReplicaHoldsTheBackupsOfAProjectLoadedAtSequenceZeroAndChangedSince() {
    GatedDataSource gated = new GatedDataSource(ds);
    PostgresCatalog a = pg(gated);
    PostgresCatalog b = pg();
    PostgresReplica replica = replica(a);
    gated.close();   // the follower does not look at the database for a moment
    Backup x = backup("z", "x", "x", WEB, NOW.minusSeconds(60)).version(3).updatedAt(NOW.minusSeconds(50)).build();
    Backup y = backup("z", "y", "y", DB, NOW.minusSeconds(60)).build();
    b.load(new ProjectSnapshot("z", 0, Quota.NONE, List.of(x, y)));
    b.add(backup("z", "w", "w", WEB, NOW.minusSeconds(40)).build());
    gated.open();
    await(() -> replica.sequence("z") == 1, "the replica reaching change 1 of z");
    assertEquals(3, b.count("z", Predicates.all()));
    assertEquals(List.of("w", "x", "y"), replica.query("z", Query.builder().sort(Sort.parse("id:asc")).build()).ids());
  }

  // PostgresReplica.close: "Stops following the database; reads go on answering from the state reached."
  @Test
  void aClosedReplicaKeepsAnsweringFromTheStateItReached() throws InterruptedException {
    PostgresCatalog a = pg();
    PostgresCatalog b = pg();
    PostgresReplica replica = replica(a);
    b.add(backup("p", "a", "a", WEB, NOW.minusSeconds(60)).build());
    assertTrue(replica.awaitSequence("p", 1, Duration.ofSeconds(10)));
    replica.close();
    b.add(backup("p", "b", "b", WEB, NOW.minusSeconds(60)).build());
    Thread.sleep(300);
    assertEquals(1, replica.sequence("p"));
    assertEquals(List.of("a"), replica.query("p", Query.all()).ids());
  }

  // PostgresCatalog: "text PostgreSQL cannot hold (a NUL char) is refused with an InvalidValueException naming
  // the field"; "A refused change rolls back whole".
  @Test
  void textWithANulOrHalfASurrogatePairIsRefusedNamingTheFieldAndChangesNothing() {
    PostgresCatalog database = pg();
    database.add(creating("p", "r", "r", WEB, NOW.minusSeconds(60), NOW.minusSeconds(30)));
    assertEquals("failure reason", assertThrows(InvalidValueException.class,
        () -> database.apply("p", "r", 1, Transition.fail("disk\0full"))).field());
    assertEquals("description", assertThrows(InvalidValueException.class,
        () -> database.add(backup("p", "d", "d", WEB, NOW.minusSeconds(5)).description("half \uDC00").build())).field());
    assertEquals("server name", assertThrows(InvalidValueException.class,
        () -> database.add(backup("p", "d", "d", Server.of("s", "a\0", "az"), NOW.minusSeconds(5)).build())).field());
    assertEquals("project id", assertThrows(InvalidValueException.class,
        () -> database.add(backup("p\uD800", "d", "d", WEB, NOW.minusSeconds(5)).build())).field());
    assertEquals(1, database.sequence("p"));
    assertEquals(BackupStatus.CREATING, database.get("p", "r").status());
    assertEquals(1, database.countAllProjects(Predicates.all()));
  }

  // Schema.distribute: "@throws CatalogDatabaseException if the database is not Citus or refuses".
  @Test
  void distributeOnPlainPostgresqlIsACatalogDatabaseException() {
    org.junit.jupiter.api.Assumptions.assumeFalse(TestDatabase.citus(), "on Citus, distribute distributes");
    CatalogDatabaseException e = assertThrows(CatalogDatabaseException.class, () -> Schema.distribute(ds));
    assertTrue(e.getMessage().contains("Citus"), e.getMessage());
    assertFalse(e.isRetryable());
  }

  // README: "a subscriber that throws gets the same change again"; PostgresCatalog: "A subscriber that throws
  // gets the same change again later, so nothing committed is lost".
  @Test
  void aSubscriberThatThrowsAnErrorGetsTheSameChangeAgain() {
    PostgresCatalog database = pg();
    List<Long> got = new CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    database.subscribe(change -> {
      if (calls.getAndIncrement() == 0) {
        throw new AssertionError("a failed check in the subscriber");
      }
      got.add(change.sequence());
    });
    database.add(backup("p", "a", "a", WEB, NOW.minusSeconds(60)).build());
    database.add(backup("p", "b", "b", WEB, NOW.minusSeconds(60)).build());
    await(() -> got.size() == 2, "changes 1 and 2 (1 again)");
    assertEquals(List.of(1L, 2L), got);
  }

  // BackupCatalog.subscribe: "A subscriber may change the catalog; each subscriber still sees each project's
  // changes in sequence order ... a catalog with its own delivery threads takes it as it takes any writer's."
  @Test
  void aSubscriberThatChangesTheCatalogSeesItsOwnChangeInOrder() {
    PostgresCatalog database = pg();
    List<String> got = new CopyOnWriteArrayList<>();
    database.subscribe(change -> {
      got.add(change.sequence() + ":" + change.transition().map(Object::toString).orElse("add"));
      if (change.isAdded()) {
        database.apply(change.projectId(), change.backupId(), 1, Transition.restore());
      }
    });
    database.add(backup("p", "a", "a", WEB, NOW.minusSeconds(60)).build());
    await(() -> got.size() == 2, "the add and the subscriber's own restore");
    assertEquals("1:add", got.get(0));
    assertTrue(got.get(1).startsWith("2:"), got.toString());
    assertEquals(BackupStatus.RESTORING, database.get("p", "a").status());
  }
}
