package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
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
import io.csbs.catalog.ProjectView;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.KeywordField;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.PredicateVisitor;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.query.TimeRange;
import io.csbs.testing.FakeClock;
import io.csbs.usage.Quota;
import io.csbs.usage.UsageQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A new user's reading of the javadoc of io.csbs.query and io.csbs.catalog: every {@code {@code}}
 * example run as written, and every "returns", "throws", "equals" and "in the order" checked against
 * hand-made data and a plain scan written from the docs.
 */
class NewUserJavadocQueryTest {
  private static final String P = "project-1";
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Server WEB = Server.of("srv-web", "ecs-WEB-01", "eu-de-02");
  private static final Server DB = Server.of("srv-db", "ecs-db-01", "eu-de-01");

  // ---------------------------------------------------------------- helpers

  private static Backup.Builder base(String id, String name, Server server, Instant createdAt) {
    return Backup.builder().id(id).name(name).projectId(P).server(server).sizeMb(100).createdAt(createdAt);
  }

  private static Backup available(String id, String name, Server server, Instant createdAt, Tag... tags) {
    return base(id, name, server, createdAt).status(BackupStatus.AVAILABLE).addTags(tags).build();
  }

  private static Backup inState(String id, String name, Server server, Instant createdAt, BackupStatus status) {
    Backup.Builder b = base(id, name, server, createdAt).status(status);
    if (status == BackupStatus.CREATING || status == BackupStatus.RESTORING || status == BackupStatus.DELETING) {
      b.progress(Progress.of(10, createdAt));
    } else if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "disk full", createdAt));
    }
    return b.build();
  }

  private static InvalidValueException refused(String field, org.junit.jupiter.api.function.Executable call) {
    InvalidValueException e = assertThrows(InvalidValueException.class, call);
    assertEquals(field, e.field(), e.getMessage());
    return e;
  }

  /** The default order as documented: newest first, ties by id descending. */
  private static final Comparator<Backup> NEWEST_FIRST =
      Comparator.comparing(Backup::createdAt).thenComparing(Backup::id).reversed();

  private static List<String> scan(Collection<Backup> backups, Predicate<Backup> p) {
    return backups.stream().filter(p).sorted(NEWEST_FIRST).map(Backup::id).collect(Collectors.toList());
  }

  private static boolean lowerContains(String haystack, String needle) {
    return haystack.toLowerCase(Locale.ROOT).contains(needle.toLowerCase(Locale.ROOT));
  }

  /** A small project of hand-made backups, in every state, two servers, tags and policies. */
  private static final class Fixture {
    final FakeClock clock = FakeClock.at(NOW);
    final BackupCatalog catalog = Catalogs.indexed(clock);
    final List<Backup> backups = new ArrayList<>();

    Fixture() {
      Server other = Server.builder().id("srv-vol").name("Straße-VOL").availabilityZone("eu-de-03")
          .resourceType("OS::Cinder::Volume").build();
      add(available("b-01", "autobk_0001", WEB, NOW.minus(Duration.ofDays(1)), Tag.of("env", "prod"), Tag.of("app", "shop")));
      add(available("b-02", "manualbk_A", DB, NOW.minus(Duration.ofDays(2)), Tag.of("env", "dev")));
      add(base("b-03", "autobk_0003", WEB, NOW.minus(Duration.ofDays(3))).status(BackupStatus.AVAILABLE)
          .trigger(BackupTrigger.AUTOMATIC).policyId("policy-daily").type(BackupType.ENHANCED)
          .addTags(Tag.of("env", "prod"), Tag.of("team", "ops-test")).build());
      add(inState("b-04", "AUTOBK_0004", DB, NOW.minus(Duration.ofDays(4)), BackupStatus.CREATING));
      add(inState("b-05", "restore_me", WEB, NOW.minus(Duration.ofDays(5)), BackupStatus.RESTORING));
      add(inState("b-06", "going", other, NOW.minus(Duration.ofDays(6)), BackupStatus.DELETING));
      add(inState("b-07", "broken", DB, NOW.minus(Duration.ofDays(7)), BackupStatus.ERROR));
      // equal creation times: ties by id
      add(available("b-08", "tie", WEB, NOW.minus(Duration.ofDays(8)), Tag.of("env", "staging")));
      add(available("b-09", "tie", WEB, NOW.minus(Duration.ofDays(8)), Tag.of("team", "testers")));
      add(available("b-10", "Zeta", other, NOW.minus(Duration.ofDays(30)).plusMillis(1)));
      add(base("b-11", "autobk_old", DB, NOW.minus(Duration.ofDays(40))).status(BackupStatus.AVAILABLE)
          .trigger(BackupTrigger.AUTOMATIC).policyId("policy-weekly").addTags(Tag.of("env", "prod")).build());
      add(available("b-12", "İSTANBUL", other, NOW.minus(Duration.ofDays(9))));
    }

    private void add(Backup b) {
      catalog.add(b);
      backups.add(b);
    }

    List<String> ids(Query q) {
      return catalog.query(P, q).ids();
    }
  }

  // ---------------------------------------------------------------- ListQueryString

  @Test
  void listQueryStringClassExampleAsWritten() {
    Query query = ListQueryString.parse("status=available&name=auto&sort=created_at:desc&limit=20");
    // the operands in the canonical order Predicates documents (by their text)
    assertEquals("Query{where (name contains \"auto\" AND status = Available), sort created_at:desc, limit 20}",
        query.toString());
    assertEquals(Query.builder().where(Predicates.and(Predicates.status(BackupStatus.AVAILABLE),
        Predicates.nameContains("auto"))).limit(20).build(), query);
    Fixture f = new Fixture();
    Page page = f.catalog.query(P, query);
    assertEquals(scan(f.backups, b -> b.status() == BackupStatus.AVAILABLE && lowerContains(b.name(), "auto")),
        page.ids());

    InvalidValueException e = refused("status", () -> ListQueryString.parse("status=paused"));
    assertTrue(e.getMessage().startsWith("status 'paused' is invalid: must be one of waiting_protect, protecting"),
        e.getMessage());
  }

  @Test
  void listQueryStringEachParameterSelectsWhatItsTableSays() {
    Fixture f = new Fixture();
    Map<String, Predicate<Backup>> expected = new LinkedHashMap<>();
    expected.put("status=protecting", b -> b.status() == BackupStatus.CREATING);
    expected.put("status=waiting_protect", b -> b.status() == BackupStatus.CREATING);
    expected.put("status=waiting_restore", b -> b.status() == BackupStatus.RESTORING);
    expected.put("status=waiting_delete", b -> b.status() == BackupStatus.DELETING);
    expected.put("status=error", b -> b.status() == BackupStatus.ERROR);
    expected.put("status=deleted", b -> false);
    expected.put("name=AUTO", b -> lowerContains(b.name(), "auto"));
    expected.put("name=istanbul", b -> lowerContains(b.name(), "istanbul"));
    expected.put("name=%C4%B0stanbul", b -> lowerContains(b.name(), "İstanbul"));
    expected.put("resource_id=srv-web", b -> b.server().id().equals("srv-web"));
    expected.put("resource_id=SRV-WEB", b -> false);
    expected.put("resource_name=web", b -> lowerContains(b.server().name(), "web"));
    expected.put("resource_name=STRASSE", b -> lowerContains(b.server().name(), "STRASSE"));
    expected.put("resource_name=stra%C3%9Fe", b -> lowerContains(b.server().name(), "straße"));
    expected.put("checkpoint_id=b-03", b -> b.id().equals("b-03"));
    expected.put("az=eu-de-01", b -> b.server().availabilityZone().equals("eu-de-01"));
    expected.put("resource_type=OS::Cinder::Volume", b -> b.server().resourceType().equals("OS::Cinder::Volume"));
    expected.put("resource_type=OS%3A%3ANova%3A%3AServer", b -> b.server().resourceType().equals("OS::Nova::Server"));
    expected.put("policy_id=policy-daily", b -> b.policyId().equals(Optional.of("policy-daily")));
    Instant start = NOW.minus(Duration.ofDays(8));
    Instant end = NOW.minus(Duration.ofDays(2));
    // both bounds inclusive: b-08/b-09 (exactly start) and b-02 (exactly end) are in
    expected.put("start_time=" + fmt(start) + "&end_time=" + fmt(end),
        b -> !b.createdAt().isBefore(start) && !b.createdAt().isAfter(end));
    expected.put("start_time=" + fmt(start), b -> !b.createdAt().isBefore(start));
    expected.put("end_time=" + fmt(end), b -> !b.createdAt().isAfter(end));
    expected.put("start_time=" + fmt(end) + "&end_time=" + fmt(end), b -> b.createdAt().equals(end));
    expected.put("status=available&resource_id=srv-web&name=tie", b -> b.status() == BackupStatus.AVAILABLE
        && b.server().id().equals("srv-web") && lowerContains(b.name(), "tie"));
    for (Map.Entry<String, Predicate<Backup>> e : expected.entrySet()) {
      assertEquals(scan(f.backups, e.getValue()), f.ids(ListQueryString.parse(e.getKey())), e.getKey());
      assertEquals(f.backups.stream().filter(e.getValue()).count(), f.catalog.query(P, ListQueryString.parse(e.getKey())).total(),
          e.getKey());
    }
  }

  private static String fmt(Instant t) {
    return t.toString().replace("Z", "");
  }

  @Test
  void listQueryStringTimesTakeOneToNineDigitsOfFractionAndNoZone() {
    assertEquals(ListQueryString.parse("start_time=2017-04-18T01:21:52"),
        ListQueryString.parse("start_time=2017-04-18T01:21:52.0"));
    Query nine = ListQueryString.parse("start_time=2017-04-18T01:21:52.123456789");
    assertEquals(Predicates.createdIn(TimeRange.from(Instant.parse("2017-04-18T01:21:52.123456789Z"))), nine.predicate());
    assertEquals(Predicates.createdIn(TimeRange.until(Instant.parse("2017-04-18T01:21:52.701973Z"))),
        ListQueryString.parse("end_time=2017-04-18T01:21:52.701973").predicate());
    for (String bad : List.of("2017-04-18T01:21:52Z", "2017-04-18T01:21:52.1234567891", "2017-04-18",
        "2017-04-18 01:21:52", "2023-02-29T00:00:00", "2017-04-18T24:00:00", "2017-04-18T01:21:52.",
        "2017-04-18T01:21:52%2B01:00")) {
      refused("start_time", () -> ListQueryString.parse("start_time=" + bad));
      refused("end_time", () -> ListQueryString.parse("end_time=" + bad));
    }
    refused("start_time", () -> ListQueryString.parse("start_time=2017-04-18T01:21:52.000000001&end_time=2017-04-18T01:21:52"));
    // equal bounds are not "start after end"
    ListQueryString.parse("start_time=2017-04-18T01:21:52&end_time=2017-04-18T01:21:52.000");
  }

  @Test
  void listQueryStringSyntaxLeadingMarkAndEmptyPairs() {
    assertEquals(Query.all(), ListQueryString.parse(""));
    assertEquals(Query.all(), ListQueryString.parse("?"));
    assertEquals(ListQueryString.parse("status=available&limit=5"), ListQueryString.parse("?status=available&&limit=5&"));
    assertEquals(ListQueryString.parse("status=available"), ListQueryString.parse("st%61tus=available"));
    assertEquals(Predicates.nameContains("café"), ListQueryString.parse("name=caf%C3%A9").predicate());
    assertEquals(Predicates.nameContains("a b"), ListQueryString.parse("name=a+b").predicate());
    assertEquals(Predicates.nameContains("a+b"), ListQueryString.parse("name=a%2Bb").predicate());
    assertEquals(Predicates.nameContains("𐐀x"), ListQueryString.parse("name=%F0%90%90%80x").predicate());
    Query q = ListQueryString.parse("limit=1&offset=0&sort=name:asc");
    assertEquals(1, q.limit());
    assertEquals(0, q.offset());
    assertEquals(Sort.by(SortKey.asc(SortField.NAME)), q.sort());
    assertEquals(Optional.of("b-1"), ListQueryString.parse("marker=b-1&limit=1000").marker());
    assertEquals(Long.MAX_VALUE, ListQueryString.parse("offset=9223372036854775807").offset());
    assertEquals(Query.DEFAULT_LIMIT, ListQueryString.parse("name=x").limit());
    assertEquals(Sort.DEFAULT, ListQueryString.parse("name=x").sort());
  }

  @Test
  void listQueryStringRefusalsNameTheParameter() {
    InvalidValueException unknown = refused("foo", () -> ListQueryString.parse("foo=1"));
    for (String name : ListQueryString.PARAMETERS) {
      assertTrue(unknown.rule().contains(name), unknown.getMessage());
    }
    refused("Status", () -> ListQueryString.parse("Status=available"));
    refused("status", () -> ListQueryString.parse("status=AVAILABLE"));
    refused("status", () -> ListQueryString.parse("status=available&status=available"));
    refused("limit", () -> ListQueryString.parse("limit=1&limit=2"));
    refused("name", () -> ListQueryString.parse("name="));
    refused("name", () -> ListQueryString.parse("name"));
    refused("query string", () -> ListQueryString.parse("=x"));
    refused("query string", () -> ListQueryString.parse("limit=1&=x"));
    for (String bad : List.of("0", "1001", "-1", "abc", "+5", "1.0", "1e2", "99999999999999999999", "%31%30%30%31")) {
      refused("limit", () -> ListQueryString.parse("limit=" + bad));
    }
    for (String bad : List.of("-1", "x", "9223372036854775808", "1.5")) {
      refused("offset", () -> ListQueryString.parse("offset=" + bad));
    }
    InvalidValueException both = assertThrows(InvalidValueException.class,
        () -> ListQueryString.parse("marker=b-1&offset=20"));
    assertTrue(Set.of("marker", "offset").contains(both.field()), both.getMessage());
    refused("sort", () -> ListQueryString.parse("sort=size:asc"));
    refused("sort", () -> ListQueryString.parse("sort=name:up"));
    refused("name", () -> ListQueryString.parse("name=%FF"));
    refused("name", () -> ListQueryString.parse("name=%4"));
    refused("name", () -> ListQueryString.parse("name=%G1"));
    refused("name", () -> ListQueryString.parse("name=" + "a".repeat(256)));
    refused("marker", () -> ListQueryString.parse("marker=+"));
    refused("start_time", () -> ListQueryString.parse("start_time=2017-04-19T00:00:00&end_time=2017-04-18T00:00:00"));
  }

  @Test
  void listQueryStringOfAParameterMap() {
    Map<String, List<String>> ok = new LinkedHashMap<>();
    ok.put("status", List.of("available"));
    ok.put("name", List.of("café db"));
    ok.put("limit", List.of("20"));
    Query q = ListQueryString.parse(ok);
    assertEquals(Query.builder().where(Predicates.and(Predicates.status(BackupStatus.AVAILABLE),
        Predicates.nameContains("café db"))).limit(20).build(), q);
    assertEquals(Query.all(), ListQueryString.parse(Map.of()));
    refused("limit", () -> ListQueryString.parse(Map.of("limit", List.of())));
    refused("limit", () -> ListQueryString.parse(Map.of("limit", List.of("1", "2"))));
    refused("name", () -> ListQueryString.parse(Map.of("name", List.of(""))));
    Map<String, List<String>> nullList = new HashMap<>();
    nullList.put("name", null);
    refused("name", () -> ListQueryString.parse(nullList));
    refused("query string", () -> ListQueryString.parse(Map.of("", List.of("x"))));
    refused("colour", () -> ListQueryString.parse(Map.of("colour", List.of("red"))));
  }

  @Test
  void decodeParameterExamplesAsWritten() {
    assertEquals("20", ListQueryString.decodeParameter("offset", "20"));
    assertEquals("café db", ListQueryString.decodeParameter("name", "caf%C3%A9+db"));
    refused("name", () -> ListQueryString.decodeParameter("name", "%FF"));
    refused("zone", () -> ListQueryString.decodeParameter("zone", "%C3"));       // half a character
    refused("zone", () -> ListQueryString.decodeParameter("zone", "%ED%A0%80")); // a surrogate's bytes
    refused("zone", () -> ListQueryString.decodeParameter("zone", "abc%"));
    assertEquals("%", ListQueryString.decodeParameter("zone", "%25"));
    assertEquals("", ListQueryString.decodeParameter("zone", ""));
  }

  // ---------------------------------------------------------------- Query

  @Test
  void queryDefaultsBuilderRefusalsAndToString() {
    Query all = Query.all();
    assertEquals(Predicates.all(), all.predicate());
    assertEquals(Sort.DEFAULT, all.sort());
    assertEquals(1000, all.limit());
    assertEquals(Optional.empty(), all.marker());
    assertEquals(0, all.offset());
    assertEquals(all, Query.builder().build());
    assertEquals(all, Query.where(Predicates.all()));

    refused("limit", () -> Query.builder().limit(0));
    refused("limit", () -> Query.builder().limit(1001));
    assertEquals(1000, Query.builder().limit(1000).build().limit());
    assertEquals(1, Query.builder().limit(1).build().limit());
    refused("marker", () -> Query.builder().marker(" "));
    refused("marker", () -> Query.builder().marker(""));
    refused("offset", () -> Query.builder().offset(-1));
    refused("marker", () -> Query.builder().marker("b-1").offset(5).build());
    assertEquals(Optional.empty(), Query.builder().marker("b-1").marker(null).build().marker());

    Query doc = Query.builder()
        .where(Predicates.and(Predicates.status(BackupStatus.AVAILABLE), Predicates.tag("env", "prod")))
        .limit(20).marker("x").build();
    assertEquals("Query{where (status = Available AND tag env=prod), sort created_at:desc, limit 20, after x}",
        doc.toString());

    Query byOffset = Query.builder().offset(40).limit(20).build();
    Query next = byOffset.after("b-9");
    assertEquals(Optional.of("b-9"), next.marker());
    assertEquals(0, next.offset());
    assertEquals(20, next.limit());
    assertEquals(byOffset, byOffset.toBuilder().build());
    assertEquals(byOffset.hashCode(), byOffset.toBuilder().build().hashCode());
  }

  @Test
  void queryClassExampleAsWritten() {
    Fixture f = new Fixture();
    Query first = Query.builder()
        .where(Predicates.status(BackupStatus.AVAILABLE))
        .sort(Sort.DEFAULT)
        .limit(2)
        .build();
    Page page = f.catalog.query(P, first);
    Query next = first.after(page.nextMarker().orElseThrow());
    List<String> expected = scan(f.backups, b -> b.status() == BackupStatus.AVAILABLE);
    assertEquals(expected.subList(0, 2), page.ids());
    assertEquals(expected.subList(2, 4), f.catalog.query(P, next).ids());
  }

  // ---------------------------------------------------------------- Page

  @Test
  void pageAccessorsAsDocumented() {
    Backup a = available("a", "n", WEB, NOW);
    Backup b = available("b", "n", WEB, NOW);
    List<Backup> source = new ArrayList<>(List.of(a, b));
    Page more = new Page(source, 5, true);
    source.clear();
    assertEquals(List.of(a, b), more.backups());
    assertEquals(List.of("a", "b"), more.ids());
    assertEquals(Optional.of("b"), more.nextMarker());
    assertThrows(UnsupportedOperationException.class, () -> more.backups().add(a));
    assertThrows(UnsupportedOperationException.class, () -> more.ids().add("c"));
    assertEquals(Optional.empty(), new Page(List.of(a, b), 2, false).nextMarker());
    assertEquals(Optional.empty(), new Page(List.of(), 3, true).nextMarker());
    assertThrows(IllegalArgumentException.class, () -> new Page(List.of(a, b), 1, false));
    new Page(List.of(), 0, false);
    assertEquals(new Page(List.of(a), 1, false), new Page(List.of(a), 1, false));
  }

  @Test
  void pageClassExampleOnACatalog() {
    Fixture f = new Fixture();
    Query query = Query.builder().limit(5).build();
    Page page = f.catalog.query(P, query);
    assertEquals(5, page.backups().size());
    assertEquals(f.backups.size(), page.total());
    assertTrue(page.hasMore());
    assertEquals(Optional.of(page.ids().get(4)), page.nextMarker());
    // the last page: no marker
    Page last = f.catalog.query(P, query.toBuilder().offset(10).build());
    assertEquals(2, last.backups().size());
    assertFalse(last.hasMore());
    assertEquals(Optional.empty(), last.nextMarker());
    // an offset past the end: no backups, the total still counts every match
    Page past = f.catalog.query(P, query.toBuilder().offset(100).build());
    assertEquals(List.of(), past.backups());
    assertEquals(f.backups.size(), past.total());
    assertFalse(past.hasMore());
    // exactly filled: no more
    Page exact = f.catalog.query(P, Query.builder().limit(12).build());
    assertFalse(exact.hasMore());
    assertEquals(Optional.empty(), exact.nextMarker());
  }

  // ---------------------------------------------------------------- Sort

  @Test
  void sortExamplesAndRefusals() {
    assertEquals("created_at:desc", Sort.DEFAULT.toString());
    assertEquals("created_at:desc", SortKey.desc(SortField.CREATED_AT).toString());
    Sort api = Sort.parse("created_at:desc,name:asc");
    assertEquals("created_at:desc,name:asc", api.toString());
    assertEquals(List.of(SortKey.desc(SortField.CREATED_AT), SortKey.asc(SortField.NAME)), api.keys());
    assertEquals(Sort.by(SortKey.desc(SortField.NAME)), Sort.parse("name"));
    assertEquals(Sort.DEFAULT, Sort.parse("created_at"));
    assertTrue(Sort.parse("created_at:desc").isDefault());
    assertTrue(Sort.by(List.of(SortKey.desc(SortField.CREATED_AT))).isDefault());
    assertFalse(Sort.parse("created_at:asc").isDefault());
    assertEquals(List.of("created_at", "updated_at", "name", "status", "id"),
        Arrays.stream(SortField.values()).map(SortField::apiName).collect(Collectors.toList()));
    Sort.by(SortKey.desc(SortField.UPDATED_AT), SortKey.asc(SortField.NAME));   // SortField's example
    Sort.by(SortKey.asc(SortField.NAME)).comparator();

    for (String bad : List.of("", "size", "name:up", "name:asc:x", ",", "created_at,", "Name", "created_at:descending")) {
      InvalidValueException e = refused("sort", () -> Sort.parse(bad));
      assertTrue(e.getMessage().contains("created_at") && e.getMessage().contains("updated_at"), e.getMessage());
    }
    for (String repeated : List.of("name,name", "name:asc,name:desc", "id,created_at,id")) {
      InvalidValueException e = refused("sort", () -> Sort.parse(repeated));
      assertTrue(e.getMessage().contains("repeats"), e.getMessage());
    }
    refused("sort", () -> Sort.by(List.of()));
    refused("sort", () -> Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.NAME)));
    assertThrows(NullPointerException.class, () -> new SortKey(null, true));
  }

  @Test
  void sortComparatorBreaksTiesByIdInTheFirstKeysDirection() {
    Backup x1 = available("x1", "same", WEB, NOW);
    Backup x2 = available("x2", "same", WEB, NOW);
    Backup y = available("y", "Same", WEB, NOW.minusSeconds(1));
    List<Backup> all = List.of(x1, y, x2);
    assertEquals(List.of(x2, x1, y), sorted(all, Sort.DEFAULT));
    assertEquals(List.of(y, x1, x2), sorted(all, Sort.parse("created_at:asc")));
    // upper case before lower case, char by char
    assertEquals(List.of(y, x1, x2), sorted(all, Sort.parse("name:asc")));
    assertEquals(List.of(x2, x1, y), sorted(all, Sort.parse("name:desc")));
    // second key does not set the tie-break direction
    assertEquals(List.of(y, x2, x1), sorted(all, Sort.parse("status:desc,name:asc")));
    // an explicit id key: it is the order
    assertEquals(List.of(x1, x2, y), sorted(all, Sort.parse("status:desc,id:asc")));
    // the default is exactly the reverse of (created at, id) ascending
    List<Backup> asc = new ArrayList<>(all);
    asc.sort(Comparator.comparing(Backup::createdAt).thenComparing(Backup::id));
    java.util.Collections.reverse(asc);
    assertEquals(asc, sorted(all, Sort.DEFAULT));
    // status order
    List<Backup> states = new ArrayList<>();
    for (BackupStatus s : List.of(BackupStatus.ERROR, BackupStatus.DELETING, BackupStatus.RESTORING,
        BackupStatus.CREATING, BackupStatus.AVAILABLE)) {
      states.add(inState("s-" + s.ordinal(), "n", WEB, NOW, s));
    }
    assertEquals(List.of(BackupStatus.AVAILABLE, BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING,
            BackupStatus.ERROR),
        sorted(states, Sort.parse("status:asc")).stream().map(Backup::status).collect(Collectors.toList()));
  }

  private static List<Backup> sorted(List<Backup> backups, Sort sort) {
    List<Backup> copy = new ArrayList<>(backups);
    copy.sort(sort.comparator());
    return copy;
  }

  /** My own comparator of a field, from SortField's javadoc. */
  private static Comparator<Backup> field(SortField f) {
    switch (f) {
      case CREATED_AT: return Comparator.comparing(Backup::createdAt);
      case UPDATED_AT: return Comparator.comparing(Backup::updatedAt);
      case NAME: return Comparator.comparing(Backup::name);
      case STATUS: return Comparator.comparing(b -> List.of(BackupStatus.AVAILABLE, BackupStatus.CREATING,
          BackupStatus.RESTORING, BackupStatus.DELETING, BackupStatus.ERROR).indexOf(b.status()));
      default: return Comparator.comparing(Backup::id);
    }
  }

  private static Comparator<Backup> documentedOrder(List<SortKey> keys) {
    Comparator<Backup> c = null;
    for (SortKey k : keys) {
      Comparator<Backup> one = k.ascending() ? field(k.field()) : field(k.field()).reversed();
      c = c == null ? one : c.thenComparing(one);
    }
    if (keys.stream().noneMatch(k -> k.field() == SortField.ID)) {
      Comparator<Backup> id = Comparator.comparing(Backup::id);
      c = c.thenComparing(keys.get(0).ascending() ? id : id.reversed());
    }
    return c;
  }

  @Test
  void theCatalogSortsAndPagesInTheDocumentedOrder() {
    Fixture f = new Fixture();
    // names ordered char by char: a letter outside the BMP (a surrogate pair, 0xD8xx) before a fullwidth letter
    f.add(available("u-1", "𐐀big", WEB, NOW.minus(Duration.ofDays(11))));
    f.add(available("u-2", "Ｚfull", WEB, NOW.minus(Duration.ofDays(11))));
    f.add(available("u-3", "éte", WEB, NOW.minus(Duration.ofDays(11))));
    f.catalog.apply(P, "b-02", 1, Transition.restore());   // updated_at moves
    f.clock.advance(Duration.ofMinutes(1));
    f.catalog.apply(P, "b-01", 1, Transition.delete());
    List<Backup> current = f.backups.stream().map(b -> f.catalog.get(P, b.id())).collect(Collectors.toList());
    for (String text : List.of("created_at:desc", "created_at:asc", "updated_at:desc", "updated_at:asc", "name:asc",
        "name:desc", "status:asc", "status:desc,name:asc", "id:asc", "id:desc", "name:asc,created_at:asc",
        "status:asc,id:desc")) {
      Sort sort = Sort.parse(text);
      List<String> expected = current.stream().sorted(documentedOrder(sort.keys())).map(Backup::id)
          .collect(Collectors.toList());
      assertEquals(expected, f.ids(Query.builder().sort(sort).build()), text);
      // by marker, 4 a page
      List<String> walked = new ArrayList<>();
      Query q = Query.builder().sort(sort).limit(4).build();
      while (true) {
        Page page = f.catalog.query(P, q);
        walked.addAll(page.ids());
        assertEquals(expected.size(), page.total());
        if (page.nextMarker().isEmpty()) {
          break;
        }
        q = q.after(page.nextMarker().get());
      }
      assertEquals(expected, walked, text);
      // by offset
      for (int offset = 0; offset <= expected.size(); offset += 3) {
        assertEquals(expected.subList(offset, Math.min(expected.size(), offset + 3)),
            f.ids(Query.builder().sort(sort).limit(3).offset(offset).build()), text + " offset " + offset);
      }
    }
  }

  @Test
  void aMarkerContinuesAfterTheMarkerBackupsNewPlace() {
    Fixture f = new Fixture();
    Query byStatus = Query.builder().sort(Sort.parse("status:asc")).limit(3).build();
    Page first = f.catalog.query(P, byStatus);
    String marker = first.nextMarker().orElseThrow();
    Backup m = f.catalog.get(P, marker);
    assertEquals(BackupStatus.AVAILABLE, m.status());
    f.catalog.apply(P, marker, m.version(), Transition.restore());   // now Restoring: later in the order
    List<Backup> current = f.backups.stream().map(b -> f.catalog.get(P, b.id())).collect(Collectors.toList());
    List<String> order = current.stream().sorted(documentedOrder(byStatus.sort().keys())).map(Backup::id)
        .collect(Collectors.toList());
    int at = order.indexOf(marker);
    assertEquals(order.subList(at + 1, Math.min(order.size(), at + 4)), f.ids(byStatus.after(marker)));
  }

  @Test
  void aMarkerThatIsNoBackupOfTheProjectIsRefusedNamingMarker() {
    Fixture f = new Fixture();
    f.catalog.add(available("elsewhere", "n", WEB, NOW).toBuilder().projectId("project-2").build());
    refused("marker", () -> f.catalog.query(P, Query.all().after("elsewhere")));
    refused("marker", () -> f.catalog.query(P, Query.all().after("no-such-id")));
    refused("marker", () -> f.catalog.query(P, Query.all().after("B-01")));
    // the marker need not match the predicate
    assertEquals(scan(f.backups, b -> b.status() == BackupStatus.AVAILABLE && b.createdAt().isBefore(
            NOW.minus(Duration.ofDays(4)))),
        f.ids(Query.where(Predicates.status(BackupStatus.AVAILABLE)).after("b-04")));
  }

  @Test
  void allProjectsOrdersTiesByProjectAndRefusesAnAmbiguousMarker() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    Backup shared = available("same-id", "n", WEB, NOW.minusSeconds(5));
    catalog.add(shared.toBuilder().projectId("project-b").build());
    catalog.add(shared.toBuilder().projectId("project-a").build());
    catalog.add(available("only", "n", WEB, NOW.minusSeconds(9)).toBuilder().projectId("project-c").build());
    Page page = catalog.queryAllProjects(Query.all());
    assertEquals(List.of("same-id", "same-id", "only"), page.ids());
    assertEquals(List.of("project-a", "project-b", "project-c"),
        page.backups().stream().map(Backup::projectId).collect(Collectors.toList()));
    assertEquals(3, catalog.countAllProjects(Predicates.all()));
    refused("marker", () -> catalog.queryAllProjects(Query.all().after("same-id")));
    refused("marker", () -> catalog.queryAllProjects(Query.all().after("nobody")));
    assertEquals(List.of(), catalog.queryAllProjects(Query.all().after("only")).ids());
    assertEquals(List.of("only"), catalog.queryAllProjects(Query.builder().offset(2).build()).ids());
  }

  // ---------------------------------------------------------------- TimeRange

  @Test
  void timeRangeExamplesBoundsAndRefusals() {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    Instant end = Instant.parse("2026-02-01T00:00:00Z");
    Instant mid = Instant.parse("2026-01-15T00:00:00Z");
    TimeRange between = TimeRange.between(start, end);
    assertTrue(between.contains(start) && between.contains(end) && between.contains(mid));
    assertFalse(between.contains(start.minusNanos(1)) || between.contains(end.plusNanos(1)));
    TimeRange from = TimeRange.from(start);
    assertTrue(from.contains(start) && from.contains(Instant.MAX));
    assertFalse(from.contains(start.minusNanos(1)));
    TimeRange before = TimeRange.before(end);
    assertFalse(before.contains(end));
    assertTrue(before.contains(end.minusNanos(1)) && before.contains(Instant.MIN));
    assertFalse(before.endInclusive());
    assertTrue(TimeRange.until(end).contains(end));
    TimeRange halfOpen = TimeRange.of(start, true, end, false);
    assertTrue(halfOpen.contains(start));
    assertFalse(halfOpen.contains(end));
    assertEquals("[2026-01-01T00:00:00Z, 2026-02-01T00:00:00Z)", halfOpen.toString());
    assertEquals("(-inf, 2026-02-01T00:00:00Z]", TimeRange.until(end).toString());
    assertEquals(between, TimeRange.of(start, true, end, true));
    assertEquals(between.hashCode(), TimeRange.of(start, true, end, true).hashCode());
    assertEquals(Optional.of(start), between.start());
    assertEquals(Optional.of(end), between.end());

    TimeRange all = TimeRange.all();
    assertEquals(Optional.empty(), all.start());
    assertEquals(Optional.empty(), all.end());
    assertTrue(all.startInclusive() && all.endInclusive());
    assertTrue(all.contains(Instant.MIN) && all.contains(Instant.MAX));
    assertTrue(TimeRange.before(end).startInclusive());

    refused("time range", () -> TimeRange.between(end, start));
    refused("time range", () -> TimeRange.of(end, true, start, true));
    refused("time range", () -> TimeRange.of(start, false, start, true));
    refused("time range", () -> TimeRange.of(start, true, start, false));
    TimeRange point = TimeRange.between(start, start);
    assertTrue(point.contains(start));
    assertFalse(point.contains(start.plusNanos(1)));
  }

  @Test
  void timeRangeLastExampleAndItsEnds() {
    assertEquals("[2026-11-17T10:00:00Z, 2026-11-24T10:00:00Z]",
        TimeRange.last(Duration.ofDays(7), Instant.parse("2026-11-24T10:00:00Z")).toString());
    assertEquals(TimeRange.between(NOW.minus(Duration.ofDays(7)), NOW), TimeRange.last(Duration.ofDays(7), NOW));
    TimeRange zero = TimeRange.last(Duration.ZERO, NOW);
    assertTrue(zero.contains(NOW));
    assertFalse(zero.contains(NOW.minusNanos(1)));
    assertEquals(Optional.of(Instant.MIN), TimeRange.last(Duration.ofDays(1), Instant.MIN.plusSeconds(5)).start());
    assertEquals(Optional.of(Instant.MIN), TimeRange.last(Duration.ofSeconds(Long.MAX_VALUE), NOW).start());
    assertEquals(Optional.of(Instant.MIN), TimeRange.last(Duration.ofSeconds(5), Instant.MIN.plusSeconds(5)).start());
    refused("time window", () -> TimeRange.last(Duration.ofNanos(-1), NOW));
  }

  // ---------------------------------------------------------------- Predicates

  @Test
  void predicatesJavadocExamplesAndNormalization() {
    BackupPredicate stuckJobsInZone2 = Predicates.and(Predicates.stalled(),
        Predicates.attribute(Attribute.AVAILABILITY_ZONE, "eu-de-02"));
    BackupPredicate recentProdOrStaging = Predicates.and(
        Predicates.createdWithinLast(Duration.ofDays(7)),
        Predicates.or(Predicates.tag("env", "prod"), Predicates.tag("env", "staging")));
    assertNotEquals(stuckJobsInZone2, recentProdOrStaging);

    BackupPredicate p = Predicates.and(
        Predicates.status(BackupStatus.AVAILABLE),
        Predicates.createdWithinLast(Duration.ofDays(7)),
        Predicates.tag("env", "prod"));
    assertEquals("(created within last 7 days AND status = Available AND tag env=prod)", p.toString());
    Backup prod = available("b", "n", WEB, NOW.minus(Duration.ofDays(7)), Tag.of("env", "prod"));
    assertTrue(p.test(prod, NOW, StallRule.DEFAULT));
    assertFalse(p.test(prod, NOW.plusNanos(1), StallRule.DEFAULT));
    assertTrue(p.test(prod, FakeClock.at(NOW)));

    BackupPredicate a = Predicates.status(BackupStatus.ERROR);
    BackupPredicate b = Predicates.nameContains("Web");
    BackupPredicate c = Predicates.tag("env", "prod");
    assertEquals(Predicates.and(a, b), Predicates.and(b, a));
    assertEquals(Predicates.and(a, b).hashCode(), Predicates.and(b, a).hashCode());
    assertEquals(Predicates.or(a, b, c), Predicates.or(c, Predicates.or(b, a)));
    assertEquals(Predicates.and(a, b, c), Predicates.and(a, Predicates.and(b, c)));
    assertEquals(a, Predicates.and(a, a));
    assertEquals(a, Predicates.or(a, a));
    assertEquals(a, Predicates.and(Predicates.all(), a));
    assertEquals(a, Predicates.or(Predicates.none(), a));
    assertEquals(Predicates.none(), Predicates.and(a, Predicates.none()));
    assertEquals(a, Predicates.not(Predicates.not(a)));
    assertEquals(Predicates.all(), Predicates.and());
    assertEquals(Predicates.none(), Predicates.or());
    assertEquals(Predicates.all(), Predicates.and(List.of()));
    assertEquals(Predicates.none(), Predicates.or(List.of()));
    assertEquals(Predicates.all(), Predicates.status(EnumSet.allOf(BackupStatus.class)));
    assertEquals(Predicates.all(), Predicates.status(BackupStatus.AVAILABLE, BackupStatus.CREATING,
        BackupStatus.RESTORING, BackupStatus.DELETING, BackupStatus.ERROR));
    assertEquals(Predicates.status(BackupStatus.ERROR, BackupStatus.AVAILABLE),
        Predicates.status(List.of(BackupStatus.AVAILABLE, BackupStatus.ERROR, BackupStatus.ERROR)));
    assertEquals(Predicates.nameContains("web"), Predicates.nameContains("WEB"));
    assertEquals(Predicates.serverNameContains("web"), Predicates.serverNameContains("wEb"));
    assertNotEquals(Predicates.backupId("b-1"), Predicates.backupId("B-1"));
    assertEquals(Predicates.createdIn(TimeRange.between(NOW, NOW.plusSeconds(1))),
        Predicates.createdBetween(NOW, NOW.plusSeconds(1)));
    assertEquals(Predicates.all(), Predicates.createdIn(TimeRange.all()));
  }

  @Test
  void predicatesRefuseNamingTheCriterion() {
    refused("status", () -> Predicates.status(List.of()));
    refused("time window", () -> Predicates.createdWithinLast(Duration.ZERO));
    refused("time window", () -> Predicates.createdWithinLast(Duration.ofNanos(-1)));
    Predicates.createdWithinLast(Duration.ofNanos(1));
    Predicates.createdWithinLast(Predicates.MAX_WINDOW);
    refused("time window", () -> Predicates.createdWithinLast(Predicates.MAX_WINDOW.plusNanos(1)));
    for (KeywordField field : KeywordField.values()) {
      refused("keyword", () -> Predicates.keyword(field, ""));
      refused("keyword", () -> Predicates.keyword(field, " \t "));
      refused("keyword", () -> Predicates.keyword(field, "a".repeat(256)));
      Predicates.keyword(field, "a".repeat(255));
      Predicates.keyword(field, "𐐀".repeat(255));   // 510 chars, 255 code points
      refused("keyword", () -> Predicates.keyword(field, "𐐀".repeat(256)));
    }
    refused("keyword", () -> Predicates.nameContains(""));
    refused("keyword", () -> Predicates.nameContains("a".repeat(256)));
    refused("keyword", () -> Predicates.nameContains("x\uD801"));
    refused("keyword", () -> Predicates.nameContains("\uDC00x"));
    refused("keyword", () -> Predicates.serverNameContains("\uD801"));
    refused("keyword", () -> Predicates.keyword(KeywordField.BACKUP_NAME, "\uD801"));
    refused("keyword", () -> Predicates.keyword(KeywordField.SERVER_NAME, "\uDC00"));
    Predicates.nameContains("𐐀");

    refused("tag key", () -> Predicates.tag("bad key", "v"));
    refused("tag value", () -> Predicates.tag("env", "prod env"));
    refused("tag values", () -> Predicates.tag("env",
        IntStream.range(0, 11).mapToObj(i -> "v" + i).collect(Collectors.toList())));
    Predicates.tag("env", IntStream.range(0, Predicates.MAX_TAG_VALUES).mapToObj(i -> "v" + i).collect(Collectors.toList()));
    assertEquals(Predicates.tag("env", List.of("prod")), Predicates.tag(" env ", List.of(" prod ")));

    refused("backup type", () -> Predicates.attribute(Attribute.BACKUP_TYPE, "enhanced"));
    refused("trigger", () -> Predicates.attribute(Attribute.TRIGGER, "scheduled"));
    refused("availability zone", () -> Predicates.attribute(Attribute.AVAILABILITY_ZONE, " "));
    refused("policy id", () -> Predicates.attribute(Attribute.POLICY_ID, ""));
    Predicates.attribute(Attribute.TRIGGER, "MANUAL");
  }

  @Test
  void anIdKeywordHoldingHalfASurrogatePairIsAcceptedAndFindsNothing() {
    // Predicates.keyword refuses half of a surrogate pair "for a name" only
    Fixture f = new Fixture();
    assertEquals(List.of(), f.ids(Query.where(Predicates.keyword(KeywordField.BACKUP_ID, "\uD801"))));
    assertEquals(List.of(), f.ids(Query.where(Predicates.keyword(KeywordField.SERVER_ID, "x\uDC00"))));
    assertEquals(List.of(), f.ids(ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_ID, "\uD801")
        .toQuery(TagCatalogue.empty(), 10)));
  }

  @Test
  void attributeValuesAndLabels() {
    Backup enhanced = base("e", "n", WEB, NOW).status(BackupStatus.AVAILABLE).type(BackupType.ENHANCED)
        .trigger(BackupTrigger.AUTOMATIC).policyId("pol-1").build();
    Backup manual = available("m", "n", DB, NOW);
    assertEquals("ENHANCED", Attribute.BACKUP_TYPE.valueOf(enhanced));
    assertEquals("COMMON", Attribute.BACKUP_TYPE.valueOf(manual));
    assertEquals("AUTOMATIC", Attribute.TRIGGER.valueOf(enhanced));
    assertEquals("MANUAL", Attribute.TRIGGER.valueOf(manual));
    assertEquals("pol-1", Attribute.POLICY_ID.valueOf(enhanced));
    assertEquals(null, Attribute.POLICY_ID.valueOf(manual));
    assertEquals("srv-db", Attribute.SERVER_ID.valueOf(manual));
    assertEquals("eu-de-01", Attribute.AVAILABILITY_ZONE.valueOf(manual));
    assertEquals("OS::Nova::Server", Attribute.RESOURCE_TYPE.valueOf(manual));
    assertEquals("availability zone", Attribute.AVAILABILITY_ZONE.toString());
    assertEquals(List.of("server id", "availability zone", "resource type", "policy id", "backup type", "trigger"),
        Arrays.stream(Attribute.values()).map(Attribute::toString).collect(Collectors.toList()));
  }

  @Test
  void everyCriterionAnswersOnTheCatalogAsItsJavadocSays() {
    Fixture f = new Fixture();
    Instant weekAgo = NOW.minus(Duration.ofDays(7));
    Map<BackupPredicate, Predicate<Backup>> cases = new LinkedHashMap<>();
    cases.put(Predicates.all(), b -> true);
    cases.put(Predicates.none(), b -> false);
    cases.put(Predicates.attribute(Attribute.POLICY_ID, "policy-daily"), b -> b.policyId().equals(Optional.of("policy-daily")));
    cases.put(Predicates.policyId("policy-weekly"), b -> b.policyId().equals(Optional.of("policy-weekly")));
    cases.put(Predicates.not(Predicates.policyId("policy-weekly")), b -> !b.policyId().equals(Optional.of("policy-weekly")));
    cases.put(Predicates.type(BackupType.ENHANCED), b -> b.type() == BackupType.ENHANCED);
    cases.put(Predicates.attribute(Attribute.BACKUP_TYPE, "COMMON"), b -> b.type() == BackupType.COMMON);
    cases.put(Predicates.trigger(BackupTrigger.AUTOMATIC), b -> b.trigger() == BackupTrigger.AUTOMATIC);
    cases.put(Predicates.attribute(Attribute.TRIGGER, "MANUAL"), b -> b.trigger() == BackupTrigger.MANUAL);
    cases.put(Predicates.availabilityZone("eu-de-01"), b -> b.server().availabilityZone().equals("eu-de-01"));
    cases.put(Predicates.availabilityZone("EU-DE-01"), b -> false);
    cases.put(Predicates.resourceType("OS::Cinder::Volume"), b -> b.server().resourceType().equals("OS::Cinder::Volume"));
    cases.put(Predicates.serverId("srv-db"), b -> b.server().id().equals("srv-db"));
    cases.put(Predicates.backupId("b-05"), b -> b.id().equals("b-05"));
    cases.put(Predicates.backupId("b-0"), b -> false);
    cases.put(Predicates.tagKey("team"), b -> b.tagValue("team").isPresent());
    cases.put(Predicates.not(Predicates.tagKey("env")), b -> b.tagValue("env").isEmpty());
    cases.put(Predicates.tag("team", List.of("*test")), b -> b.tagValue("team").filter(v -> v.contains("test")).isPresent());
    cases.put(Predicates.tag("team", List.of("*TEST")), b -> false);
    cases.put(Predicates.tag("env", List.of("*")), b -> b.tagValue("env").isPresent());
    cases.put(Predicates.tag("env", List.of()), b -> b.tagValue("env").isPresent());
    cases.put(Predicates.tag("env", List.of("prod", "staging")),
        b -> b.tagValue("env").filter(v -> v.equals("prod") || v.equals("staging")).isPresent());
    cases.put(Predicates.tag("env", "pro"), b -> false);
    cases.put(Predicates.tag("env", "Prod"), b -> false);
    cases.put(Predicates.createdWithinLast(Duration.ofDays(7)), b -> !b.createdAt().isBefore(weekAgo));
    cases.put(Predicates.createdWithinLast(Duration.ofDays(30)), b -> !b.createdAt().isBefore(NOW.minus(Duration.ofDays(30))));
    cases.put(Predicates.createdIn(TimeRange.before(NOW.minus(Duration.ofDays(8)))),
        b -> b.createdAt().isBefore(NOW.minus(Duration.ofDays(8))));
    cases.put(Predicates.createdIn(TimeRange.of(NOW.minus(Duration.ofDays(8)), false, NOW, true)),
        b -> b.createdAt().isAfter(NOW.minus(Duration.ofDays(8))));
    cases.put(Predicates.stalled(), b -> b.status().isIntermediate());
    cases.put(Predicates.keyword(KeywordField.SERVER_ID, "srv-web"), b -> b.server().id().equals("srv-web"));
    cases.put(Predicates.keyword(KeywordField.SERVER_ID, "SRV-WEB"), b -> false);
    cases.put(Predicates.keyword(KeywordField.SERVER_ID, "srv"), b -> false);
    cases.put(Predicates.keyword(KeywordField.BACKUP_ID, "b-1"), b -> false);
    cases.put(Predicates.keyword(KeywordField.BACKUP_ID, "b-10"), b -> b.id().equals("b-10"));
    cases.put(Predicates.keyword(KeywordField.BACKUP_NAME, "TIE"), b -> lowerContains(b.name(), "tie"));
    cases.put(Predicates.keyword(KeywordField.SERVER_NAME, "WEB-0"), b -> lowerContains(b.server().name(), "web-0"));
    cases.put(Predicates.or(Predicates.status(BackupStatus.ERROR), Predicates.backupId("b-01")),
        b -> b.status() == BackupStatus.ERROR || b.id().equals("b-01"));
    cases.put(Predicates.not(Predicates.status(BackupStatus.AVAILABLE)), b -> b.status() != BackupStatus.AVAILABLE);
    cases.put(Predicates.and(Predicates.not(Predicates.tag("env", "prod")), Predicates.status(BackupStatus.AVAILABLE)),
        b -> !b.tagValue("env").equals(Optional.of("prod")) && b.status() == BackupStatus.AVAILABLE);
    for (Map.Entry<BackupPredicate, Predicate<Backup>> e : cases.entrySet()) {
      List<String> expected = scan(f.backups, e.getValue());
      assertEquals(expected, f.ids(Query.where(e.getKey())), e.getKey().toString());
      assertEquals(expected.size(), f.catalog.count(P, e.getKey()), e.getKey().toString());
      for (Backup b : f.backups) {
        assertEquals(e.getValue().test(b), e.getKey().test(b, NOW, StallRule.DEFAULT), e.getKey() + " on " + b.id());
      }
    }
  }

  @Test
  void namesMatchAsToLowerCaseRootComparesThem() {
    List<String> names = List.of("İSTANBUL", "istanbul", "STRAẞE", "straße", "STRASSE", "ΟΔΟΣ", "οδοσ", "𐐀𐐁",
        "𐐨𐐩", "ǅemal", "Kelvin", "KELVIN", "ﬃx", "Ω", "ω", "DŽ");
    List<String> keywords = List.of("i", "İ", "istanbul", "İstanbul", "i̇", "ß", "ẞ", "ss", "SS", "σ", "Σ", "ς", "ΟΣ",
        "οσ", "𐐀", "𐐨", "k", "K", "ǆ", "ǅ", "Ǆ", "ffi", "ﬃ", "Ω", "ω", "dž", "e");
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      Backup b = available("n-" + i, names.get(i), Server.of("s-" + i, names.get(i), "az"), NOW.minusSeconds(i));
      catalog.add(b);
      backups.add(b);
    }
    for (String k : keywords) {
      List<String> byName = scan(backups, b -> lowerContains(b.name(), k));
      assertEquals(byName, catalog.query(P, Query.where(Predicates.nameContains(k))).ids(), "name " + k);
      assertEquals(byName, catalog.query(P, Query.where(Predicates.keyword(KeywordField.BACKUP_NAME, k))).ids(), k);
      List<String> byServer = scan(backups, b -> lowerContains(b.server().name(), k));
      assertEquals(byServer, catalog.query(P, Query.where(Predicates.serverNameContains(k))).ids(), "server " + k);
      assertEquals(byServer.size(), catalog.count(P, Predicates.keyword(KeywordField.SERVER_NAME, k)), k);
    }
  }

  // ---------------------------------------------------------------- PredicateVisitor

  /** The class javadoc's example, completed with "1 for every other leaf". */
  static class LeafCount implements PredicateVisitor<Integer> {
    public Integer and(List<BackupPredicate> operands) { return sum(operands); }
    public Integer or(List<BackupPredicate> operands) { return sum(operands); }
    public Integer not(BackupPredicate operand) { return operand.accept(this); }
    public Integer status(Set<BackupStatus> statuses) { return 1; }
    public Integer all() { return 1; }
    public Integer none() { return 1; }
    public Integer createdIn(TimeRange range) { return 1; }
    public Integer createdWithinLast(Duration window) { return 1; }
    public Integer nameContains(String text) { return 1; }
    public Integer serverNameContains(String text) { return 1; }
    public Integer backupId(String id) { return 1; }
    public Integer attribute(Attribute attribute, String value) { return 1; }
    public Integer tag(String key, List<String> values) { return 1; }
    public Integer stalled() { return 1; }
    private int sum(List<BackupPredicate> operands) {
      return operands.stream().mapToInt(p -> p.accept(this)).sum();
    }
  }

  /** Builds the tree again from what the visitor is told, checking the documented shapes. */
  static class Rebuild implements PredicateVisitor<BackupPredicate> {
    public BackupPredicate all() { return Predicates.all(); }
    public BackupPredicate none() { return Predicates.none(); }
    public BackupPredicate status(Set<BackupStatus> statuses) {
      assertTrue(statuses.size() >= 1 && statuses.size() <= 4, statuses.toString());
      return Predicates.status(statuses);
    }
    public BackupPredicate createdIn(TimeRange range) { return Predicates.createdIn(range); }
    public BackupPredicate createdWithinLast(Duration window) { return Predicates.createdWithinLast(window); }
    public BackupPredicate nameContains(String text) { return Predicates.nameContains(text); }
    public BackupPredicate serverNameContains(String text) { return Predicates.serverNameContains(text); }
    public BackupPredicate backupId(String id) { return Predicates.backupId(id); }
    public BackupPredicate attribute(Attribute attribute, String value) { return Predicates.attribute(attribute, value); }
    public BackupPredicate tag(String key, List<String> values) { return Predicates.tag(key, values); }
    public BackupPredicate stalled() { return Predicates.stalled(); }
    public BackupPredicate and(List<BackupPredicate> operands) {
      assertTrue(operands.size() >= 2, operands.toString());
      return Predicates.and(operands.stream().map(p -> p.accept(this)).collect(Collectors.toList()));
    }
    public BackupPredicate or(List<BackupPredicate> operands) {
      assertTrue(operands.size() >= 2, operands.toString());
      return Predicates.or(operands.stream().map(p -> p.accept(this)).collect(Collectors.toList()));
    }
    public BackupPredicate not(BackupPredicate operand) { return Predicates.not(operand.accept(this)); }
  }

  @Test
  void predicateVisitorExampleCountsLeavesAndARebuildIsEqual() {
    LeafCount count = new LeafCount();
    assertEquals(2, Predicates.and(Predicates.stalled(), Predicates.attribute(Attribute.AVAILABILITY_ZONE, "eu-de-02"))
        .accept(count));
    assertEquals(3, Predicates.and(Predicates.createdWithinLast(Duration.ofDays(7)),
        Predicates.or(Predicates.tag("env", "prod"), Predicates.tag("env", "staging"))).accept(count));
    assertEquals(1, Predicates.and(Predicates.status(BackupStatus.ERROR)).accept(count));
    assertEquals(1, Predicates.not(Predicates.not(Predicates.stalled())).accept(count));

    List<BackupPredicate> trees = List.of(Predicates.all(), Predicates.none(),
        Predicates.status(BackupStatus.ERROR, BackupStatus.CREATING),
        Predicates.status(EnumSet.complementOf(EnumSet.of(BackupStatus.ERROR))),
        Predicates.createdIn(TimeRange.of(NOW, false, NOW.plusSeconds(3), true)),
        Predicates.createdIn(TimeRange.before(NOW)),
        Predicates.createdWithinLast(Duration.ofHours(5)),
        Predicates.nameContains("Àb𐐀"), Predicates.serverNameContains("WEB"), Predicates.backupId("B-1"),
        Predicates.serverId("srv"), Predicates.availabilityZone("eu"), Predicates.resourceType("OS::Nova::Server"),
        Predicates.policyId("pol"), Predicates.type(BackupType.COMMON), Predicates.trigger(BackupTrigger.MANUAL),
        Predicates.tag("env", "prod"), Predicates.tagKey("env"), Predicates.tag("env", List.of("*pro", "dev")),
        Predicates.stalled(),
        Predicates.keyword(KeywordField.SERVER_ID, "x"), Predicates.keyword(KeywordField.BACKUP_NAME, "Y"),
        Predicates.not(Predicates.or(Predicates.stalled(), Predicates.and(Predicates.tagKey("a"),
            Predicates.not(Predicates.nameContains("q")), Predicates.status(BackupStatus.AVAILABLE)))));
    for (BackupPredicate p : trees) {
      assertEquals(p, p.accept(new Rebuild()), p.toString());
    }
  }

  @Test
  void theVisitorIsToldWhatEachDslMethodMeans() {
    // the visitor's own docs: attribute(attribute, value) for equality criteria, tag(key, values) with
    // an empty list for any value, createdIn for ranges
    List<String> seen = new ArrayList<>();
    PredicateVisitor<Void> record = new PredicateVisitor<>() {
      public Void all() { seen.add("all"); return null; }
      public Void none() { seen.add("none"); return null; }
      public Void status(Set<BackupStatus> s) { seen.add("status" + new TreeMap<>(Map.of(0, s))); return null; }
      public Void createdIn(TimeRange r) { seen.add("createdIn " + r); return null; }
      public Void createdWithinLast(Duration w) { seen.add("within " + w); return null; }
      public Void nameContains(String t) { seen.add("name " + t); return null; }
      public Void serverNameContains(String t) { seen.add("server " + t); return null; }
      public Void backupId(String id) { seen.add("id " + id); return null; }
      public Void attribute(Attribute a, String v) { seen.add(a.name() + "=" + v); return null; }
      public Void tag(String k, List<String> v) { seen.add("tag " + k + v); return null; }
      public Void stalled() { seen.add("stalled"); return null; }
      public Void and(List<BackupPredicate> o) { seen.add("and"); return null; }
      public Void or(List<BackupPredicate> o) { seen.add("or"); return null; }
      public Void not(BackupPredicate o) { seen.add("not"); return null; }
    };
    Predicates.serverId("srv-1").accept(record);
    Predicates.availabilityZone("eu-de-02").accept(record);
    Predicates.policyId("pol").accept(record);
    Predicates.type(BackupType.ENHANCED).accept(record);
    Predicates.trigger(BackupTrigger.AUTOMATIC).accept(record);
    Predicates.resourceType("OS::Nova::Server").accept(record);
    Predicates.tagKey("env").accept(record);
    Predicates.createdBetween(NOW, NOW).accept(record);
    Predicates.keyword(KeywordField.BACKUP_ID, "b-1").accept(record);
    Predicates.keyword(KeywordField.SERVER_NAME, "Web").accept(record);
    Predicates.nameContains("ÀB").accept(record);
    assertEquals(List.of("SERVER_ID=srv-1", "AVAILABILITY_ZONE=eu-de-02", "POLICY_ID=pol", "BACKUP_TYPE=ENHANCED",
        "TRIGGER=AUTOMATIC", "RESOURCE_TYPE=OS::Nova::Server", "tag env[]",
        "createdIn " + TimeRange.between(NOW, NOW), "id b-1", "server web", "name àb"), seen);
  }

  // ---------------------------------------------------------------- TagCatalogue

  @Test
  void tagCatalogueClassExampleOnACatalog() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(available("t-1", "n", WEB, NOW, Tag.of("env", "prod"), Tag.of("team", "ops")));
    catalog.add(available("t-2", "n", WEB, NOW, Tag.of("env", "dev"), Tag.of("app", "shop")));
    catalog.add(available("t-3", "n", WEB, NOW, Tag.of("env", "prod")));
    catalog.add(available("t-4", "n", WEB, NOW, Tag.of("zone", "x")).toBuilder().projectId("project-2").build());
    TagCatalogue tags = catalog.tagCatalogue("project-1");
    assertEquals(List.of("app", "env", "team"), new ArrayList<>(tags.keys()));
    assertEquals(List.of("dev", "prod"), new ArrayList<>(tags.values("env")));
    assertTrue(tags.contains("env", "prod"));
    assertFalse(tags.contains("env", "staging"));
    assertFalse(tags.contains("zone", "x"));
    assertTrue(tags.containsKey("app"));
    assertFalse(tags.containsKey("zone"));
    assertEquals(Set.of(), tags.values("zone"));
    assertEquals(TagCatalogue.of(Map.of("app", List.of("shop"), "env", List.of("prod", "dev"), "team", List.of("ops"))), tags);

    // it follows tag updates and removals: a value no backup has any more is gone
    Backup t2 = catalog.get(P, "t-2");
    catalog.updateTags(P, "t-2", t2.version(), TagUpdate.delete(TagUpdate.Match.key("app")));
    catalog.remove(P, "t-1", 1);
    TagCatalogue after = catalog.tagCatalogue(P);
    assertEquals(TagCatalogue.of(Map.of("env", List.of("prod", "dev"))), after);
    catalog.remove(P, "t-3", 1);
    assertEquals(TagCatalogue.of(Map.of("env", List.of("dev"))), catalog.tagCatalogue(P));
    catalog.remove(P, "t-2", catalog.get(P, "t-2").version());
    assertEquals(TagCatalogue.empty(), catalog.tagCatalogue(P));
    assertEquals(TagCatalogue.empty(), catalog.tagCatalogue("no-such-project"));
  }

  @Test
  void tagCatalogueValues() {
    Map<String, List<String>> source = new HashMap<>();
    List<String> envValues = new ArrayList<>(List.of("prod", "dev", "prod"));
    source.put("env", envValues);
    source.put("app", List.of("shop"));
    TagCatalogue tags = TagCatalogue.of(source);
    envValues.add("zz");
    source.put("new", List.of("x"));
    assertEquals("{app=[shop], env=[dev, prod]}", tags.toString());
    assertEquals(List.of("app", "env"), new ArrayList<>(tags.keys()));
    assertEquals(List.of("dev", "prod"), new ArrayList<>(tags.asMap().get("env")));
    assertEquals(TagCatalogue.of(Map.of("env", Set.of("dev", "prod"), "app", Set.of("shop"))), tags);
    assertEquals(TagCatalogue.of(Map.of("env", Set.of("dev", "prod"), "app", Set.of("shop"))).hashCode(), tags.hashCode());
    assertNotEquals(TagCatalogue.of(Map.of("env", Set.of("dev"))), tags);
    assertTrue(TagCatalogue.empty().keys().isEmpty());
    assertEquals("{}", TagCatalogue.empty().toString());
    assertEquals(TagCatalogue.empty(), TagCatalogue.of(Map.of()));
    // sorted char by char
    TagCatalogue mixed = TagCatalogue.of(Map.of("b", List.of("é", "Z", "a"), "A", List.of("1")));
    assertEquals(List.of("A", "b"), new ArrayList<>(mixed.keys()));
    assertEquals(List.of("Z", "a", "é"), new ArrayList<>(mixed.values("b")));
  }

  @Test
  void theFixturesTagCatalogueIsTheScanOfItsTags() {
    Fixture f = new Fixture();
    Map<String, Set<String>> expected = new TreeMap<>();
    for (Backup b : f.backups) {
      for (Tag t : b.tags()) {
        expected.computeIfAbsent(t.key(), k -> new java.util.TreeSet<>()).add(t.value());
      }
    }
    assertEquals(TagCatalogue.of(expected), f.catalog.tagCatalogue(P));
    assertEquals(f.catalog.tagCatalogue(P), f.catalog.read(P, ProjectView::tagCatalogue));
  }

  // ---------------------------------------------------------------- ConsoleSearch

  @Test
  void consoleSearchClassExampleAsWritten() {
    Fixture f = new Fixture();
    BackupCatalog catalog = f.catalog;
    ConsoleSearch search = ConsoleSearch.empty()
        .withStatus(BackupStatus.AVAILABLE, BackupStatus.ERROR)
        .withLastDays(7)
        .withKeyword(KeywordField.SERVER_NAME, "web")
        .withTag("env", "prod");
    Page page = catalog.query("project-1", search.toQuery(catalog.tagCatalogue("project-1"), 20));
    assertEquals(scan(f.backups, b -> (b.status() == BackupStatus.AVAILABLE || b.status() == BackupStatus.ERROR)
        && !b.createdAt().isBefore(NOW.minus(Duration.ofDays(7))) && lowerContains(b.server().name(), "web")
        && b.tagValue("env").equals(Optional.of("prod"))), page.ids());
    assertEquals(List.of("b-01", "b-03"), page.ids());
    assertEquals(ConsoleSearch.empty(), search.reset());
    assertEquals("ConsoleSearch{status in [Available, Error], created within last 7 days, server name \"web\", "
        + "tags [env=prod]}", search.toString());
    assertEquals("ConsoleSearch{all}", search.reset().toString());
    // the README's quick start form: one status
    assertEquals("ConsoleSearch{status = Available}", ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE).toString());
  }

  @Test
  void consoleSearchDefaultsAndReplacements() {
    ConsoleSearch empty = ConsoleSearch.empty();
    assertEquals(EnumSet.allOf(BackupStatus.class), empty.statuses());
    assertTrue(empty.allStatuses());
    assertEquals(Optional.empty(), empty.timeRange());
    assertEquals(Optional.empty(), empty.createdWithinLast());
    assertEquals(Optional.empty(), empty.keywordField());
    assertEquals(Optional.empty(), empty.keyword());
    assertEquals(List.of(), empty.tags());
    assertEquals(Predicates.all(), empty.toPredicate(TagCatalogue.empty()));
    assertEquals(Query.builder().limit(20).build(), empty.toQuery(TagCatalogue.empty(), 20));

    assertEquals(empty, empty.withStatuses(EnumSet.allOf(BackupStatus.class)));
    assertEquals(empty, empty.withStatus(BackupStatus.ERROR, BackupStatus.AVAILABLE, BackupStatus.CREATING,
        BackupStatus.RESTORING, BackupStatus.DELETING));
    assertEquals(empty, empty.withStatus(BackupStatus.ERROR).withAllStatuses());
    assertEquals(empty.hashCode(), empty.withStatus(BackupStatus.ERROR).withAllStatuses().hashCode());
    assertEquals(empty, empty.withTimeRange(TimeRange.all()));
    assertEquals(empty, empty.withLastDays(3).withoutTimeSegment());
    assertEquals(empty, empty.withKeyword(KeywordField.BACKUP_ID, "x").withoutKeyword());
    assertEquals(empty, empty.withTag("env", "prod").withoutTags());
    assertEquals(empty, empty.withTag("env", "prod").withoutTag("env", "prod"));
    assertEquals(empty, empty.withStatus(BackupStatus.ERROR).withLastDays(1).withKeyword(KeywordField.BACKUP_NAME, "a")
        .withTag("a", "b").reset());

    ConsoleSearch week = empty.withLastDays(7);
    assertEquals(week, empty.withCreatedWithinLast(Duration.ofDays(7)));
    assertEquals(Optional.of(Duration.ofDays(7)), week.createdWithinLast());
    TimeRange range = TimeRange.between(NOW.minusSeconds(60), NOW);
    ConsoleSearch ranged = week.withTimeRange(range);
    assertEquals(Optional.of(range), ranged.timeRange());
    assertEquals(Optional.empty(), ranged.createdWithinLast());
    ConsoleSearch back = ranged.withLastDays(1);
    assertEquals(Optional.empty(), back.timeRange());
    assertEquals(Optional.of(Duration.ofDays(1)), back.createdWithinLast());
    assertEquals(week.toPredicate(TagCatalogue.empty()), Predicates.createdWithinLast(Duration.ofDays(7)));

    ConsoleSearch keyword = empty.withKeyword(KeywordField.BACKUP_NAME, "  Auto\t");
    assertEquals(Optional.of("Auto"), keyword.keyword());
    assertEquals(Optional.of(KeywordField.BACKUP_NAME), keyword.keywordField());
    assertEquals(Predicates.nameContains("auto"), keyword.toPredicate(TagCatalogue.empty()));
    ConsoleSearch replaced = keyword.withKeyword(KeywordField.SERVER_ID, "srv-db");
    assertEquals(Optional.of(KeywordField.SERVER_ID), replaced.keywordField());
    assertEquals(Predicates.serverId("srv-db"), replaced.toPredicate(TagCatalogue.empty()));

    // values: built apart, equal; equal predicates
    ConsoleSearch one = empty.withStatus(BackupStatus.ERROR).withTag("env", "prod").withKeyword(KeywordField.SERVER_NAME, "x");
    ConsoleSearch two = empty.withKeyword(KeywordField.SERVER_NAME, " x ").withTag(" env", "prod ").withStatuses(List.of(BackupStatus.ERROR));
    assertEquals(one, two);
    assertEquals(one.hashCode(), two.hashCode());
    TagCatalogue existing = TagCatalogue.of(Map.of("env", List.of("prod")));
    assertEquals(one.toPredicate(existing), two.toPredicate(existing));
  }

  @Test
  void consoleSearchRefusals() {
    ConsoleSearch empty = ConsoleSearch.empty();
    refused("status", () -> empty.withStatuses(List.of()));
    refused("time window", () -> empty.withLastDays(0));
    refused("time window", () -> empty.withLastDays(-7));
    refused("time window", () -> empty.withCreatedWithinLast(Duration.ZERO));
    refused("keyword", () -> empty.withKeyword(KeywordField.BACKUP_NAME, "   "));
    refused("keyword", () -> empty.withKeyword(KeywordField.BACKUP_ID, ""));
    refused("keyword", () -> empty.withKeyword(KeywordField.SERVER_NAME, "a".repeat(256)));
    assertEquals(Optional.of("𐐀".repeat(255)), empty.withKeyword(KeywordField.BACKUP_NAME, "  " + "𐐀".repeat(255) + " ").keyword());
    assertEquals(Optional.of("a".repeat(255)), empty.withKeyword(KeywordField.BACKUP_NAME, " " + "a".repeat(255) + " ").keyword());
    refused("tag key", () -> empty.withTag("bad key", "v"));
    refused("tag value", () -> empty.withTag("env", "prod env"));
    refused("limit", () -> empty.toQuery(TagCatalogue.empty(), 0));
    refused("limit", () -> empty.toQuery(TagCatalogue.empty(), 1001));
    assertEquals(1000, empty.toQuery(TagCatalogue.empty(), 1000).limit());
  }

  @Test
  void consoleSearchTagPairs() {
    ConsoleSearch one = ConsoleSearch.empty().withTag(" env ", " prod ");
    assertEquals(List.of(Tag.of("env", "prod")), one.tags());
    assertSame(one, one.withTag("env", "prod"));
    assertSame(one, one.withoutTag("env", "dev"));
    ConsoleSearch ten = ConsoleSearch.empty();
    for (int i = 0; i < ConsoleSearch.MAX_TAGS; i++) {
      ten = ten.withTag("k" + i, "v" + i);
    }
    assertEquals(10, ten.tags().size());
    assertEquals("k0", ten.tags().get(0).key());
    assertEquals("k9", ten.tags().get(9).key());
    ConsoleSearch full = ten;
    assertSame(full, full.withTag("k3", "v3"));   // held already: does not count twice
    refused("tags", () -> full.withTag("k10", "v10"));
    refused("tags", () -> full.withTag("k0", "other"));
    assertEquals(9, full.withoutTag(" k5", "v5 ").tags().size());
    assertEquals(10, full.withoutTag("k5", "v5").withTag("k10", "v10").tags().size());

    // existence is checked against the catalogue given to toPredicate
    TagCatalogue existing = TagCatalogue.of(Map.of("env", List.of("prod", "dev", "staging"), "app", List.of("shop"),
        "team", List.of("ops")));
    InvalidValueException key = refused("tag key", () -> ConsoleSearch.empty().withTag("owner", "me").toPredicate(existing));
    assertTrue(key.getMessage().contains("[app, env, team]"), key.getMessage());
    InvalidValueException value = refused("tag value", () -> ConsoleSearch.empty().withTag("env", "qa").toPredicate(existing));
    assertTrue(value.getMessage().contains("[dev, prod, staging]"), value.getMessage());
    refused("tag key", () -> ConsoleSearch.empty().withTag("env", "prod").toPredicate(TagCatalogue.empty()));
    refused("tag key", () -> ConsoleSearch.empty().withTag("Env", "prod").toPredicate(existing));
    refused("tag value", () -> ConsoleSearch.empty().withTag("env", "PROD").toPredicate(existing));
    // the first pair that does not exist is named
    InvalidValueException first = refused("tag value", () -> ConsoleSearch.empty().withTag("env", "qa")
        .withTag("owner", "me").toPredicate(existing));
    assertTrue(first.getMessage().contains("qa"), first.getMessage());
  }

  @Test
  void consoleSearchAnswersAsThePlainScan() {
    Fixture f = new Fixture();
    TagCatalogue existing = f.catalog.tagCatalogue(P);
    Map<ConsoleSearch, Predicate<Backup>> cases = new LinkedHashMap<>();
    ConsoleSearch e = ConsoleSearch.empty();
    cases.put(e, b -> true);
    cases.put(e.withStatus(BackupStatus.CREATING, BackupStatus.DELETING),
        b -> b.status() == BackupStatus.CREATING || b.status() == BackupStatus.DELETING);
    cases.put(e.withLastDays(1), b -> !b.createdAt().isBefore(NOW.minus(Duration.ofDays(1))));
    cases.put(e.withLastDays(30), b -> !b.createdAt().isBefore(NOW.minus(Duration.ofDays(30))));
    cases.put(e.withTimeRange(TimeRange.of(NOW.minus(Duration.ofDays(8)), true, NOW.minus(Duration.ofDays(3)), false)),
        b -> !b.createdAt().isBefore(NOW.minus(Duration.ofDays(8))) && b.createdAt().isBefore(NOW.minus(Duration.ofDays(3))));
    cases.put(e.withKeyword(KeywordField.SERVER_ID, "srv-db"), b -> b.server().id().equals("srv-db"));
    cases.put(e.withKeyword(KeywordField.SERVER_ID, "srv-DB"), b -> false);
    cases.put(e.withKeyword(KeywordField.BACKUP_ID, " b-07 "), b -> b.id().equals("b-07"));
    cases.put(e.withKeyword(KeywordField.BACKUP_NAME, "Bk_"), b -> lowerContains(b.name(), "bk_"));
    cases.put(e.withKeyword(KeywordField.SERVER_NAME, "ẞE"), b -> lowerContains(b.server().name(), "ẞE"));
    cases.put(e.withTag("env", "prod").withTag("team", "ops-test"),
        b -> b.tagValue("env").equals(Optional.of("prod")) && b.tagValue("team").equals(Optional.of("ops-test")));
    cases.put(e.withTag("env", "prod").withTag("env", "dev"), b -> false);
    cases.put(e.withStatus(BackupStatus.AVAILABLE).withTag("env", "prod").withLastDays(7),
        b -> b.status() == BackupStatus.AVAILABLE && b.tagValue("env").equals(Optional.of("prod"))
            && !b.createdAt().isBefore(NOW.minus(Duration.ofDays(7))));
    for (Map.Entry<ConsoleSearch, Predicate<Backup>> c : cases.entrySet()) {
      Page page = f.catalog.query(P, c.getKey().toQuery(existing, 1000));
      assertEquals(scan(f.backups, c.getValue()), page.ids(), c.getKey().toString());
      assertEquals(page.total(), f.catalog.count(P, c.getKey().toPredicate(existing)));
    }
    // the window follows the catalog's clock
    ConsoleSearch week = e.withLastDays(7);
    f.clock.advance(Duration.ofDays(1));
    Instant later = NOW.plus(Duration.ofDays(1));
    assertEquals(scan(f.backups, b -> !b.createdAt().isBefore(later.minus(Duration.ofDays(7)))),
        f.ids(week.toQuery(existing, 100)));
  }

  // ---------------------------------------------------------------- TagFilter

  @Test
  void tagFilterClassExampleAsWritten() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Backup> backups = List.of(
        available("f-1", "autobk_1", WEB, NOW.minusSeconds(1), Tag.of("env", "prod"), Tag.of("app", "shop")),
        available("f-2", "AUTOBK_2", WEB, NOW.minusSeconds(2), Tag.of("env", "staging"), Tag.of("app", "web"),
            Tag.of("team", "qa-test")),
        available("f-3", "manual_3", WEB, NOW.minusSeconds(3), Tag.of("env", "prod"), Tag.of("app", "x")),
        available("f-4", "xautobkx", WEB, NOW.minusSeconds(4), Tag.of("env", "dev"), Tag.of("app", "x")),
        available("f-5", "autobk_5", WEB, NOW.minusSeconds(5), Tag.of("env", "prod"), Tag.of("team", "core")),
        available("f-6", "autobk_6", WEB, NOW.minusSeconds(6), Tag.of("env", "staging"), Tag.of("app", "x"),
            Tag.of("team", "core")));
    catalog.addAll(backups);
    TagFilter filter = TagFilter.builder()
        .tags("env", "prod", "staging")      // env is prod or staging ...
        .tags("app")                          // ... and the backup has a tag app, whatever its value
        .notTagsAny("team", "*test")         // but no team tag whose value contains "test"
        .matches("resource_name", "autobk")  // and the backup's name contains "autobk", any case
        .limit(100)
        .build();
    Page page = catalog.query("project-1", filter.toQuery());
    long total = catalog.count("project-1", filter.toPredicate()); // action "count"
    assertEquals(List.of("f-1", "f-6"), page.ids());
    assertEquals(2, total);
    assertEquals("TagFilter{tags {app=[], env=[prod, staging]}, not_tags_any {team=[*test]}, matches "
        + "resource_name=autobk, action filter, limit 100, offset 0}", filter.toString());
    assertEquals(TagFilter.Action.FILTER, filter.action());
    assertEquals(100, filter.limit());
    assertEquals(0, filter.offset());
    assertEquals(List.of("app", "env"), new ArrayList<>(filter.tags().keySet()));
    assertEquals(List.of(), filter.tags().get("app"));
    assertEquals(List.of("prod", "staging"), filter.tags().get("env"));
    assertEquals(Map.of("resource_name", "autobk"), filter.matches());
    assertEquals(Map.of(), filter.tagsAny());
    assertEquals(Map.of(), filter.notTags());
    assertEquals(Query.builder().where(filter.toPredicate()).limit(100).build(), filter.toQuery());
  }

  @Test
  void tagFilterGroupsAnswerAsTheApiDefinesThem() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Backup> backups = List.of(
        available("t1", "Alpha", WEB, NOW.minusSeconds(1), Tag.of("env", "prod"), Tag.of("app", "shop")),
        available("t2", "beta", WEB, NOW.minusSeconds(2), Tag.of("env", "staging")),
        available("t3", "gamma", WEB, NOW.minusSeconds(3), Tag.of("env", "dev"), Tag.of("team", "qa-test")),
        available("t4", "ALPHABET", WEB, NOW.minusSeconds(4), Tag.of("app", "web"), Tag.of("team", "core")),
        available("t5", "delta", WEB, NOW.minusSeconds(5)),
        available("t6", "alphé", WEB, NOW.minusSeconds(6), Tag.of("env", "prod"), Tag.of("team", "testing")));
    catalog.addAll(backups);
    Map<TagFilter, List<String>> cases = new LinkedHashMap<>();
    cases.put(TagFilter.builder().build(), List.of("t1", "t2", "t3", "t4", "t5", "t6"));
    cases.put(TagFilter.builder().tags("env", "prod", "staging").tags("app").build(), List.of("t1"));
    cases.put(TagFilter.builder().tagsAny("env", "dev").tagsAny("app").build(), List.of("t1", "t3", "t4"));
    cases.put(TagFilter.builder().notTags("env").notTags("team").build(), List.of("t1", "t2", "t4", "t5"));
    cases.put(TagFilter.builder().notTagsAny("env").notTagsAny("team").build(), List.of("t5"));
    cases.put(TagFilter.builder().notTagsAny("team", "*test").build(), List.of("t1", "t2", "t4", "t5"));
    cases.put(TagFilter.builder().tags("env", "*").build(), List.of("t1", "t2", "t3", "t6"));
    cases.put(TagFilter.builder().tags("env", "*", "prod").build(), List.of("t1", "t2", "t3", "t6"));
    cases.put(TagFilter.builder().tags("env", "*ro").build(), List.of("t1", "t6"));
    cases.put(TagFilter.builder().tags("env", "*RO").build(), List.of());
    cases.put(TagFilter.builder().tags("env", "pro").build(), List.of());
    cases.put(TagFilter.builder().tags("team", "*").notTags("team", "core").build(), List.of("t3", "t6"));
    cases.put(TagFilter.builder().matches("resource_name", "ALPH").build(), List.of("t1", "t4", "t6"));
    cases.put(TagFilter.builder().matches("resource_name", "ALPHÉ").build(), List.of("t6"));
    cases.put(TagFilter.builder().tagsAny("team").matches("resource_name", "alpha").build(), List.of("t4"));
    cases.put(TagFilter.builder().tags("env", List.of("prod", "dev")).notTagsAny("team", List.of("*ing", "core")).build(),
        List.of("t1", "t3"));
    for (Map.Entry<TagFilter, List<String>> c : cases.entrySet()) {
      assertEquals(c.getValue(), catalog.query(P, c.getKey().toQuery()).ids(), c.getKey().toString());
      assertEquals(c.getValue().size(), catalog.count(P, c.getKey().toPredicate()), c.getKey().toString());
    }
    // the page: limit and offset
    TagFilter paged = TagFilter.builder().tags("env").limit(2).offset(1).build();
    Page page = catalog.query(P, paged.toQuery());
    assertEquals(List.of("t2", "t3"), page.ids());
    assertEquals(4, page.total());
    // a count ignores the limit and the offset
    TagFilter count = TagFilter.builder().tags("env").action(TagFilter.Action.COUNT).limit(1).offset(3).build();
    assertEquals(4, catalog.count(P, count.toPredicate()));
  }

  @Test
  void tagFilterValuesAndRefusals() {
    assertEquals(TagFilter.builder().tags("env", "prod").build(), TagFilter.builder().tags(" env ", " prod ").build());
    assertEquals(TagFilter.builder().tags("env", "prod").build(), TagFilter.builder().tags("env", "prod", "prod").build());
    assertEquals(List.of("prod"), TagFilter.builder().tags("env", "prod", " prod").build().tags().get("env"));
    TagFilter ab = TagFilter.builder().tags("a").tags("b", "1").notTagsAny("c").notTagsAny("d").build();
    TagFilter ba = TagFilter.builder().notTagsAny("d").tags("b", "1").notTagsAny("c").tags("a").build();
    assertEquals(ab, ba);
    assertEquals(ab.hashCode(), ba.hashCode());
    assertEquals(ab.toPredicate(), ba.toPredicate());
    TagFilter defaults = TagFilter.builder().build();
    assertEquals(TagFilter.Action.FILTER, defaults.action());
    assertEquals(1000, defaults.limit());
    assertEquals(0, defaults.offset());
    assertEquals(Predicates.all(), defaults.toPredicate());
    assertEquals(Query.all(), defaults.toQuery());

    assertEquals(TagFilter.Action.FILTER, TagFilter.Action.parse("filter"));
    assertEquals(TagFilter.Action.COUNT, TagFilter.Action.parse("count"));
    assertEquals("count", TagFilter.Action.COUNT.apiName());
    refused("action", () -> TagFilter.Action.parse("FILTER"));
    refused("action", () -> TagFilter.Action.parse("list"));
    refused("action", () -> TagFilter.Action.parse(""));

    String[] ten = IntStream.range(0, 10).mapToObj(i -> "v" + i).toArray(String[]::new);
    String[] eleven = IntStream.range(0, 11).mapToObj(i -> "v" + i).toArray(String[]::new);
    TagFilter.builder().tags("env", ten);
    refused("tags", () -> TagFilter.builder().tags("env", eleven));
    refused("tags_any", () -> TagFilter.builder().tagsAny("env", eleven));
    refused("not_tags", () -> TagFilter.builder().notTags("env", eleven));
    refused("not_tags_any", () -> TagFilter.builder().notTagsAny("env", List.of(eleven)));
    refused("tags", () -> TagFilter.builder().tags("env").tags("env", "prod"));
    refused("tags", () -> TagFilter.builder().tags("env").tags(" env"));
    refused("tags_any", () -> TagFilter.builder().tagsAny("env").tagsAny("env"));
    refused("not_tags", () -> TagFilter.builder().notTags("env").notTags("env"));
    refused("not_tags_any", () -> TagFilter.builder().notTagsAny("env").notTagsAny("env"));
    TagFilter.builder().tags("env").tagsAny("env").notTags("env").notTagsAny("env");   // once a group
    TagFilter.Builder tenKeys = TagFilter.builder();
    for (int i = 0; i < TagFilter.MAX_KEYS; i++) {
      tenKeys.tagsAny("k" + i);
    }
    refused("tags_any", () -> tenKeys.tagsAny("k10"));
    refused("tag key", () -> TagFilter.builder().tags("bad key"));
    refused("tag value", () -> TagFilter.builder().tags("env", "bad value"));
    refused("matches", () -> TagFilter.builder().matches("name", "x"));
    refused("matches", () -> TagFilter.builder().matches("resource_name", " "));
    refused("matches", () -> TagFilter.builder().matches("resource_name", "a".repeat(256)));
    TagFilter.builder().matches("resource_name", "𐐀".repeat(255));
    refused("matches", () -> TagFilter.builder().matches("resource_name", "a").matches("resource_name", "b"));
    refused("limit", () -> TagFilter.builder().limit(0));
    refused("limit", () -> TagFilter.builder().limit(1001));
    refused("offset", () -> TagFilter.builder().offset(-1));
    assertThrows(IllegalStateException.class, () -> TagFilter.builder().limit(5).limit(6));
    assertThrows(IllegalStateException.class, () -> TagFilter.builder().offset(5).offset(6));
    assertThrows(IllegalStateException.class,
        () -> TagFilter.builder().action(TagFilter.Action.COUNT).action(TagFilter.Action.COUNT));
  }

  @Test
  void tagFilterValuesRepeatedForAKeyCountOnceTowardsTheLimit() {
    // "a value repeated for one key counts once": ten distinct values and a repeat are ten values
    String[] tenAndARepeat = IntStream.range(0, 11).mapToObj(i -> "v" + Math.min(i, 9)).toArray(String[]::new);
    assertEquals(10, TagFilter.builder().tags("env", tenAndARepeat).build().tags().get("env").size());
  }

  // ---------------------------------------------------------------- catalog: exceptions

  @Test
  void exceptionExamplesMessagesAndAccessors() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    BackupNotFoundException missing = assertThrows(BackupNotFoundException.class,
        () -> catalog.get("project-1", "no-such-id"));
    assertEquals("backup no-such-id not found in project project-1", missing.getMessage());
    assertEquals("project-1", missing.projectId());
    assertEquals("no-such-id", missing.backupId());
    assertEquals(io.csbs.ErrorCode.BACKUP_NOT_FOUND, missing.code());
    assertTrue(missing instanceof java.util.NoSuchElementException);

    Backup backup = available("b-1", "n", WEB, NOW);
    catalog.add(backup);
    DuplicateBackupException again = assertThrows(DuplicateBackupException.class, () -> catalog.add(backup));
    assertEquals("backup b-1 already exists in project project-1", again.getMessage());
    assertEquals("project-1", again.projectId());
    assertEquals("b-1", again.backupId());
    assertFalse(again.inBatch());
    assertEquals(io.csbs.ErrorCode.DUPLICATE_BACKUP, again.code());
    Backup other = available("b-2", "n", WEB, NOW);
    DuplicateBackupException batch = assertThrows(DuplicateBackupException.class,
        () -> catalog.addAll(List.of(other, other)));
    assertEquals("backup b-2 repeats in the batch for project project-1", batch.getMessage());
    assertTrue(batch.inBatch());
    assertEquals(Optional.empty(), catalog.find(P, "b-2"));
    // another project may use the same id; a backup of another project is "not found"
    catalog.add(backup.toBuilder().projectId("project-2").build());
    BackupNotFoundException hidden = assertThrows(BackupNotFoundException.class, () -> catalog.get("project-3", "b-1"));
    assertEquals("backup b-1 not found in project project-3", hidden.getMessage());
    assertThrows(BackupNotFoundException.class, () -> catalog.apply("project-3", "b-1", 1, Transition.delete()));
    assertThrows(BackupNotFoundException.class, () -> catalog.remove("project-3", "b-1", 1));

    catalog.apply(P, "b-1", 1, Transition.restore());
    VersionConflictException stale = assertThrows(VersionConflictException.class,
        () -> catalog.apply("project-1", "b-1", 1, Transition.delete()));
    assertEquals("b-1", stale.backupId());
    assertEquals(1, stale.expectedVersion());
    assertEquals(2, stale.currentVersion());
    assertEquals(io.csbs.ErrorCode.VERSION_CONFLICT, stale.code());
    assertTrue(stale.getMessage().contains("b-1"), stale.getMessage());
    assertEquals(2, catalog.get(P, "b-1").version());
    assertEquals(BackupStatus.RESTORING, catalog.get(P, "b-1").status());
    VersionConflictException ahead = assertThrows(VersionConflictException.class,
        () -> catalog.remove(P, "b-1", 3));
    assertEquals(3, ahead.expectedVersion());
    assertEquals(2, ahead.currentVersion());
    // the exceptions' own constructors
    assertEquals("backup x repeats in the batch for project p", new DuplicateBackupException("p", "x", true).getMessage());
    assertEquals("backup x already exists in project p", new DuplicateBackupException("p", "x").getMessage());
    assertEquals(7, new VersionConflictException("x", 3, 7).currentVersion());
  }

  // ---------------------------------------------------------------- catalog: sequence, changes, subscriptions

  @Test
  void sequenceExampleAsWritten() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    Backup backup = available("s-1", "n", WEB, NOW.minusSeconds(10));
    Backup second = available("s-2", "n", WEB, NOW.minusSeconds(9));
    Backup third = available("s-3", "n", WEB, NOW.minusSeconds(8));
    assertEquals(0, catalog.sequence("project-1"));
    catalog.add(backup);
    catalog.addAll(List.of(second, third));
    catalog.apply("project-1", backup.id(), 1, Transition.restore());
    assertEquals(4, catalog.sequence("project-1"));
    assertEquals(0, catalog.sequence("project-2"));
    refused("project id", () -> catalog.sequence(" "));
    // refusals, quotas and reads do not count
    assertThrows(DuplicateBackupException.class, () -> catalog.add(backup));
    catalog.setQuota(P, Quota.NONE);
    catalog.query(P, Query.all());
    assertEquals(4, catalog.sequence(P));
    assertEquals(4, catalog.read(P, ProjectView::sequence));
  }

  @Test
  void subscribersGetChangesWithTheDocumentedContents() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Change> changes = new ArrayList<>();
    Subscription subscription = catalog.subscribe(changes::add);
    Backup b1 = available("c-1", "n", WEB, NOW.minusSeconds(10));
    catalog.add(b1);
    clock.advance(Duration.ofSeconds(1));
    Backup restoring = catalog.apply(P, "c-1", 1, Transition.restore()).orElseThrow();
    catalog.add(available("c-9", "n", WEB, NOW).toBuilder().projectId("project-2").build());
    Backup tagged = catalog.updateTags(P, "c-1", 2, TagUpdate.create(Tag.of("env", "prod")));
    Backup same = catalog.updateTags(P, "c-1", 3, TagUpdate.create(Tag.of("env", "prod")));   // no change
    assertEquals(tagged, same);
    catalog.remove(P, "c-1", 3);

    assertEquals(5, changes.size(), changes.toString());
    Change added = changes.get(0);
    assertEquals(new Change(1, P, "c-1", Optional.empty(), Optional.of(b1), Optional.empty()), added);
    assertTrue(added.isAdded());
    assertFalse(added.isRemoved());
    Change restore = changes.get(1);
    assertEquals(2, restore.sequence());
    assertEquals(Optional.of(b1), restore.before());
    assertEquals(Optional.of(restoring), restore.after());
    assertEquals(Optional.of(Transition.restore()), restore.transition());
    assertEquals("#2 project-1/c-1: restore, v1 -> v2", restore.toString());
    Change other = changes.get(2);
    assertEquals(1, other.sequence());
    assertEquals("project-2", other.projectId());
    Change tags = changes.get(3);
    assertEquals(3, tags.sequence());
    assertEquals(Optional.of(restoring), tags.before());
    assertEquals(Optional.of(tagged), tags.after());
    assertEquals(Optional.empty(), tags.transition());
    Change removed = changes.get(4);
    assertEquals(4, removed.sequence());
    assertTrue(removed.isRemoved());
    assertEquals(Optional.of(tagged), removed.before());
    assertEquals(Optional.empty(), removed.transition());
    assertEquals(4, catalog.sequence(P));

    subscription.cancel();
    catalog.add(available("c-2", "n", WEB, NOW));
    assertEquals(5, changes.size());
    assertEquals(5, catalog.sequence(P));
  }

  @Test
  void aCompletedDeletionIsARemovalWithItsTransition() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Change> changes = new ArrayList<>();
    catalog.subscribe(changes::add);
    catalog.add(available("d-1", "n", WEB, NOW.minusSeconds(5)));
    catalog.apply(P, "d-1", 1, Transition.delete());
    Optional<Backup> gone = catalog.apply(P, "d-1", 2, Transition.complete());
    assertEquals(Optional.empty(), gone);
    Change last = changes.get(changes.size() - 1);
    assertTrue(last.isRemoved());
    assertEquals(Optional.of(Transition.complete()), last.transition());
    assertEquals(3, last.sequence());
    assertEquals(Optional.empty(), catalog.find(P, "d-1"));
  }

  @Test
  void changeConstructorChecks() {
    Backup b = available("x", "n", WEB, NOW);
    assertThrows(IllegalArgumentException.class, () -> new Change(0, P, "x", Optional.empty(), Optional.of(b), Optional.empty()));
    assertThrows(IllegalArgumentException.class, () -> new Change(1, P, "x", Optional.empty(), Optional.empty(), Optional.empty()));
    assertThrows(IllegalArgumentException.class, () -> new Change(1, "project-2", "x", Optional.empty(), Optional.of(b), Optional.empty()));
    assertThrows(IllegalArgumentException.class, () -> new Change(1, P, "y", Optional.of(b), Optional.empty(), Optional.empty()));
    Change removal = new Change(7, P, "x", Optional.of(b), Optional.empty(), Optional.empty());
    assertTrue(removal.isRemoved());
    assertFalse(removal.isAdded());
  }

  // ---------------------------------------------------------------- catalog: replay, load, snapshots

  @Test
  void replayAndLoadExamplesAsWritten() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog primary = Catalogs.indexed(clock);
    BackupCatalog replica = Catalogs.indexed(clock);
    List<Change> changes = new ArrayList<>();
    primary.subscribe(changes::add);
    primary.subscribe(replica::replay);
    Backup backup = available("r-1", "n", WEB, NOW.minusSeconds(3));
    primary.add(backup);
    assertEquals(primary.find("project-1", backup.id()), replica.find("project-1", backup.id()));
    assertFalse(replica.replay(changes.get(0)));
    primary.apply(P, "r-1", 1, Transition.restore());
    assertEquals(primary.get(P, "r-1"), replica.get(P, "r-1"));
    assertEquals(2, replica.sequence(P));

    // load: a snapshot at change 1042, then the feed continues
    BackupCatalog loaded = Catalogs.indexed(clock);
    Backup one = available("l-1", "n", WEB, NOW.minusSeconds(9)).toBuilder().version(5).build();
    Backup two = available("l-2", "n", DB, NOW.minusSeconds(8));
    Backup three = available("l-3", "n", DB, NOW.minusSeconds(7), Tag.of("env", "prod"));
    ProjectSnapshot snapshot = new ProjectSnapshot("project-1", 1042, Quota.of(500, 10_240), List.of(one, two, three));
    loaded.load(snapshot);
    assertEquals(1042, loaded.sequence("project-1"));
    assertEquals(5, loaded.get(P, "l-1").version());
    assertEquals(Quota.of(500, 10_240), loaded.quotaUsage(P).quota());
    assertEquals(TagCatalogue.of(Map.of("env", List.of("prod"))), loaded.tagCatalogue(P));
    Backup oneRestoring = io.csbs.lifecycle.Lifecycle.restore(one, NOW);
    Change change1042 = new Change(1042, P, "l-1", Optional.of(one), Optional.of(oneRestoring), Optional.of(Transition.restore()));
    Change change1043 = new Change(1043, P, "l-1", Optional.of(one), Optional.of(oneRestoring), Optional.of(Transition.restore()));
    assertFalse(loaded.replay(change1042));
    assertEquals(5, loaded.get(P, "l-1").version());
    assertTrue(loaded.replay(change1043));
    assertEquals(oneRestoring, loaded.get(P, "l-1"));
    assertEquals(1043, loaded.sequence(P));
    IllegalStateException gap = assertThrows(IllegalStateException.class, () -> loaded.replay(
        new Change(1045, P, "l-2", Optional.of(two), Optional.empty(), Optional.empty())));
    assertTrue(gap.getMessage().contains("project-1") && gap.getMessage().contains("1043")
        && gap.getMessage().contains("1045"), gap.getMessage());
    assertThrows(IllegalStateException.class, () -> loaded.load(snapshot));
    // checked in order: sequence, existence, version
    assertThrows(BackupNotFoundException.class, () -> loaded.replay(
        new Change(1044, P, "nope", Optional.of(two.toBuilder().id("nope").build()), Optional.empty(), Optional.empty())));
    assertThrows(DuplicateBackupException.class, () -> loaded.replay(
        new Change(1044, P, "l-2", Optional.empty(), Optional.of(two), Optional.empty())));
    VersionConflictException version = assertThrows(VersionConflictException.class, () -> loaded.replay(
        new Change(1044, P, "l-2", Optional.of(two.toBuilder().version(4).build()), Optional.empty(), Optional.empty())));
    assertEquals(4, version.expectedVersion());
    assertEquals(1, version.currentVersion());
    assertEquals(1043, loaded.sequence(P));
  }

  @Test
  void projectSnapshotChecksAndCopies() {
    Backup a = available("a", "n", WEB, NOW);
    List<Backup> list = new ArrayList<>(List.of(a));
    ProjectSnapshot snapshot = new ProjectSnapshot(P, 0, Quota.NONE, list);
    list.add(available("b", "n", WEB, NOW));
    assertEquals(List.of(a), snapshot.backups());
    assertThrows(UnsupportedOperationException.class, () -> snapshot.backups().add(a));
    refused("project id", () -> new ProjectSnapshot(" ", 0, Quota.NONE, List.of()));
    refused("project id", () -> new ProjectSnapshot("", 0, Quota.NONE, List.of()));
    refused("sequence", () -> new ProjectSnapshot(P, -1, Quota.NONE, List.of()));
    refused("backups", () -> new ProjectSnapshot("project-2", 1, Quota.NONE, List.of(a)));
    DuplicateBackupException dup = assertThrows(DuplicateBackupException.class,
        () -> new ProjectSnapshot(P, 1, Quota.NONE, List.of(a, a.toBuilder().name("other").build())));
    assertEquals("a", dup.backupId());
    assertEquals(P, dup.projectId());
    ProjectSnapshot three = new ProjectSnapshot("project-1", 1042, Quota.of(500, 10_240),
        List.of(a, available("b", "n", WEB, NOW), available("c", "n", WEB, NOW)));
    assertTrue(three.toString().startsWith("ProjectSnapshot{project-1 at change 1042, 3 backups, Quota[maxBackups=500"),
        three.toString());
  }

  // ---------------------------------------------------------------- catalog: read and ProjectView

  @Test
  void projectViewExamplesAndConsistency() {
    Fixture f = new Fixture();
    BackupCatalog catalog = f.catalog;
    long[] check = catalog.read("project-1", view -> new long[] {
        view.usage(UsageQuery.firstServers(20)).sizeMb(),
        view.query(Query.builder().limit(1000).build()).backups().stream().mapToLong(Backup::sizeMb).sum()});
    assertEquals(check[0], check[1]);
    assertEquals(f.backups.stream().mapToLong(Backup::sizeMb).sum(), check[0]);

    Query query = ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE).toQuery(catalog.tagCatalogue(P), 20);
    List<Object> console = catalog.read("project-1", view -> List.of(
        view.query(query), view.tagCatalogue(), view.usage(UsageQuery.firstServers(20))));
    assertEquals(catalog.query(P, query), console.get(0));
    assertEquals(catalog.tagCatalogue(P), console.get(1));
    assertEquals(catalog.usage(P, UsageQuery.firstServers(20)), console.get(2));

    ProjectView[] escaped = new ProjectView[1];
    catalog.read(P, view -> {
      escaped[0] = view;
      assertEquals(P, view.projectId());
      assertEquals(catalog.sequence(P), view.sequence());
      assertEquals(catalog.find(P, "b-03"), view.find("b-03"));
      assertEquals(Optional.empty(), view.find("nope"));
      long all = view.count(Predicates.all());
      long byState = 0;
      for (BackupStatus s : BackupStatus.values()) {
        byState += view.count(Predicates.status(s));
      }
      assertEquals(all, byState);
      assertEquals(catalog.quotaUsage(P), view.quotaUsage());
      assertEquals(catalog.count(P, Predicates.stalled()), view.count(Predicates.stalled()));
      // reading the same project through the catalog is allowed; changing or reading another is refused
      assertEquals(catalog.query(P, Query.all()), view.query(Query.all()));
      assertThrows(IllegalStateException.class, () -> catalog.add(available("new", "n", WEB, NOW)));
      assertThrows(IllegalStateException.class, () -> catalog.apply(P, "b-01", 1, Transition.delete()));
      assertThrows(IllegalStateException.class, () -> catalog.query("project-2", Query.all()));
      return null;
    });
    assertThrows(IllegalStateException.class, () -> escaped[0].query(Query.all()));
    assertThrows(IllegalStateException.class, () -> escaped[0].count(Predicates.all()));
    assertEquals(Optional.empty(), catalog.find(P, "new"));
    assertEquals(1, catalog.get(P, "b-01").version());
    refused("project id", () -> catalog.read(" ", view -> null));
  }

  @Test
  void aViewReadsOneNowForRelativeWindows() {
    Fixture f = new Fixture();
    long[] counts = f.catalog.read(P, view -> {
      long before = view.count(Predicates.createdWithinLast(Duration.ofDays(7)));
      f.clock.advance(Duration.ofDays(2));
      long after = view.count(Predicates.createdWithinLast(Duration.ofDays(7)));
      return new long[] {before, after};
    });
    assertEquals(counts[0], counts[1]);
    assertEquals(f.backups.stream().filter(b -> !b.createdAt().isBefore(NOW.minus(Duration.ofDays(7)))).count(), counts[0]);
    // outside the read the catalog reads its clock again
    assertEquals(f.backups.stream().filter(b -> !b.createdAt().isBefore(NOW.minus(Duration.ofDays(5)))).count(),
        f.catalog.count(P, Predicates.createdWithinLast(Duration.ofDays(7))));
  }

  // ---------------------------------------------------------------- catalog: the rest

  @Test
  void catalogsBuilderAndTheInterfacesExample() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog strict = Catalogs.builder()
        .clock(clock)
        .stallRule(StallRule.ofThreshold(Duration.ofMinutes(10)))
        .build();
    assertThrows(IllegalStateException.class, () -> Catalogs.builder().clock(clock).clock(clock));
    assertThrows(IllegalStateException.class,
        () -> Catalogs.builder().stallRule(StallRule.DEFAULT).stallRule(StallRule.DEFAULT));
    assertThrows(NullPointerException.class, () -> Catalogs.builder().clock(null));
    Backup backup = available("i-1", "n", WEB, NOW.minusSeconds(60));
    strict.add(backup);
    Backup restoring = strict.apply("project-1", backup.id(), backup.version(), Transition.restore()).orElseThrow();
    Page page = strict.query("project-1", Query.builder().where(Predicates.status(BackupStatus.RESTORING)).limit(20).build());
    assertEquals(List.of(restoring), page.backups());
    assertEquals(NOW, restoring.updatedAt());
    clock.advance(Duration.ofMinutes(10));
    assertEquals(0, strict.count(P, Predicates.stalled()));
    clock.advance(Duration.ofNanos(1));
    assertEquals(1, strict.count(P, Predicates.stalled()));
  }

  @Test
  void updateTagsExampleAsWritten() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(available("b-1", "n", WEB, NOW.minusSeconds(60)).toBuilder().version(3).build());
    List<Change> changes = new ArrayList<>();
    catalog.subscribe(changes::add);
    Backup tagged = catalog.updateTags("project-1", "b-1", 3, TagUpdate.create(Tag.of("env", "prod")));
    assertEquals(4, tagged.version());
    assertEquals(NOW, tagged.updatedAt());
    assertEquals(List.of(Tag.of("env", "prod")), tagged.tags());
    assertEquals(List.of("b-1"), catalog.query(P, Query.where(Predicates.tag("env", "prod"))).ids());
    assertTrue(catalog.tagCatalogue(P).contains("env", "prod"));
    long sequence = catalog.sequence(P);
    Backup unchanged = catalog.updateTags(P, "b-1", 4, TagUpdate.create(Tag.of("env", "prod")));
    assertEquals(tagged, unchanged);
    assertEquals(sequence, catalog.sequence(P));
    assertEquals(1, changes.size());
    assertThrows(VersionConflictException.class, () -> catalog.updateTags(P, "b-1", 3, TagUpdate.create(Tag.of("a", "b"))));
    assertThrows(BackupNotFoundException.class, () -> catalog.updateTags(P, "b-2", 1, TagUpdate.create(Tag.of("a", "b"))));
    // more than 10 tags: refused naming tags, the backup stays as it was
    List<Tag> eleven = IntStream.range(0, 11).mapToObj(i -> Tag.of("k" + i, "v")).collect(Collectors.toList());
    refused("tags", () -> catalog.updateTags(P, "b-1", 4, TagUpdate.create(eleven)));
    assertEquals(tagged, catalog.get(P, "b-1"));
  }

  // ---------------------------------------------------------------- corners

  @Test
  void withoutTagOfAPairThatBreaksTheTagRulesIsRefusedAsWithTagRefusesIt() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prod");
    refused("tag key", () -> search.withoutTag("bad key", "v"));
    refused("tag value", () -> search.withoutTag("env", "prod env"));
    assertEquals(List.of(Tag.of("env", "prod")), search.tags());
  }

  @Test
  void equalTagCriteriaAreEqualValues() {
    // "*" alone and no values both mean any value; one exact value is the console's pair
    assertEquals(TagFilter.builder().tags("env").build(), TagFilter.builder().tags("env", "*").build());
    assertEquals(TagFilter.builder().tags("env").build().toPredicate(), TagFilter.builder().tags("env", "*").build().toPredicate());
    assertEquals(Predicates.tagKey("env"), Predicates.tag("env", List.of("*")));
    assertEquals(Predicates.tagKey("env"), Predicates.tag("env", List.of()));
    assertEquals(Predicates.tag("env", "prod"), Predicates.tag("env", List.of("prod")));
    assertEquals(Predicates.tag("env", List.of("prod", "dev")), Predicates.tag("env", List.of("dev", "prod", "dev")));
  }

  @Test
  void aWholeNameOf255LettersThatGrowWhenLowerCasedIsFound() {
    String name = "İ".repeat(255);
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(available("long", name, Server.of("s", name, "az"), NOW));
    catalog.add(available("short", "i", WEB, NOW));
    assertEquals(List.of("long"), catalog.query(P, Query.where(Predicates.nameContains(name))).ids());
    assertEquals(List.of("long"), catalog.query(P, Query.where(Predicates.serverNameContains(name))).ids());
    assertEquals(List.of("long"), catalog.query(P, ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, name)
        .toQuery(TagCatalogue.empty(), 10)).ids());
    assertEquals(List.of("long"), catalog.query(P, ListQueryString.parse("name=" + "%C4%B0".repeat(255))).ids());
    assertEquals(List.of("long"), catalog.query(P, TagFilter.builder().matches("resource_name", name).build().toQuery()).ids());
    assertEquals(List.of("short", "long"), catalog.query(P, Query.where(Predicates.nameContains("i"))).ids());
    assertEquals(List.of("long"), catalog.query(P, Query.where(Predicates.nameContains("i\u0307i\u0307"))).ids());
  }

  @Test
  void listQueryStringRepeatsThroughDifferentEncodingsAndOtherCorners() {
    refused("status", () -> ListQueryString.parse("status=available&st%61tus=error"));
    refused("limit", () -> ListQueryString.parse("limit=%D9%A1"));   // an Arabic-Indic digit
    refused("start_time", () -> ListQueryString.parse("start_time=2017-04-18T01:21"));
    InvalidValueException both = assertThrows(InvalidValueException.class,
        () -> ListQueryString.parse("offset=0&marker=b-1"));
    assertTrue(Set.of("marker", "offset").contains(both.field()), both.getMessage());
    assertEquals(Predicates.nameContains("café"), ListQueryString.parse("name=café").predicate());
    assertEquals(20, ListQueryString.parse("limit=0020").limit());
    Fixture f = new Fixture();
    assertEquals(List.of(), f.ids(ListQueryString.parse("status=deleted&name=auto")));
    assertEquals(0, f.catalog.query(P, ListQueryString.parse("status=deleted")).total());
  }

  @Test
  void pagingEnds() {
    Fixture f = new Fixture();
    List<String> all = scan(f.backups, b -> true);
    Page afterLast = f.catalog.query(P, Query.all().after(all.get(all.size() - 1)));
    assertEquals(List.of(), afterLast.ids());
    assertFalse(afterLast.hasMore());
    assertEquals(all.size(), afterLast.total());
    Page oneLeft = f.catalog.query(P, Query.builder().limit(1).build().after(all.get(all.size() - 2)));
    assertEquals(List.of(all.get(all.size() - 1)), oneLeft.ids());
    assertFalse(oneLeft.hasMore());
    refused("marker", () -> Query.all().after(" "));
    assertThrows(NullPointerException.class, () -> Query.all().after(null));
    Page unknownProject = f.catalog.query("no-such-project", Query.all());
    assertEquals(new Page(List.of(), 0, false), unknownProject);
    assertEquals(0, f.catalog.count("no-such-project", Predicates.all()));
    assertEquals(0L, (long) f.catalog.read("no-such-project", view -> view.count(Predicates.all())));
  }

  @Test
  void aSecondPageOfMoreThanTheDefaultLimit() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Backup> many = new ArrayList<>();
    for (int i = 0; i < 1003; i++) {
      many.add(available(String.format("m-%04d", i), "n", WEB, NOW.minusSeconds(i % 7)));
    }
    catalog.addAll(many);
    Page first = catalog.query(P, Query.all());
    assertEquals(1000, first.backups().size());
    assertEquals(1003, first.total());
    assertTrue(first.hasMore());
    List<String> expected = scan(many, b -> true);
    assertEquals(expected.subList(0, 1000), first.ids());
    assertEquals(expected.subList(1000, 1003), catalog.query(P, Query.all().after(first.nextMarker().orElseThrow())).ids());
  }

  @Test
  void anApplyThatChangesNothingIsNoChange() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Change> changes = new ArrayList<>();
    catalog.subscribe(changes::add);
    catalog.add(inState("p-1", "n", WEB, NOW.minusSeconds(60), BackupStatus.CREATING));   // 10%
    Optional<Backup> same = catalog.apply(P, "p-1", 1, Transition.reportProgress(10));
    assertEquals(Optional.of(catalog.get(P, "p-1")), same);
    assertEquals(1, catalog.get(P, "p-1").version());
    assertEquals(1, catalog.sequence(P));
    assertEquals(1, changes.size());
  }

  @Test
  void loadRefusesAProjectThatHadChangesAndTellsNoSubscriber() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Change> changes = new ArrayList<>();
    catalog.subscribe(changes::add);
    catalog.load(new ProjectSnapshot("project-9", 3, Quota.NONE, List.of(available("z", "n", WEB, NOW).toBuilder()
        .projectId("project-9").build())));
    assertEquals(List.of(), changes);
    assertEquals(3, catalog.sequence("project-9"));
    catalog.add(available("a", "n", WEB, NOW));
    catalog.remove(P, "a", 1);
    assertEquals(0, catalog.count(P, Predicates.all()));
    assertThrows(IllegalStateException.class, () -> catalog.load(new ProjectSnapshot(P, 0, Quota.NONE, List.of())));
    assertEquals(2, catalog.sequence(P));
    // an empty snapshot at sequence 0 of an untouched project loads
    catalog.load(new ProjectSnapshot("project-fresh", 0, Quota.of(1, 1), List.of()));
    assertEquals(Quota.of(1, 1), catalog.quotaUsage("project-fresh").quota());
  }

  // ---------------------------------------------------------------- a differential run on hand-made data

  private static final List<String> NAMES = List.of("autobk_a1", "AUTOBK_A2", "manualbk", "İSTANBUL", "straße",
      "STRAẞE", "ΟΔΟΣ", "𐐀𐐁x", "tie", "Tie", "é", "E", "ǅemal", "a_b-c", "ﬃx", "z".repeat(255), "𐐨".repeat(100));
  private static final List<Server> SERVERS = List.of(WEB, DB,
      Server.builder().id("srv-vol").name("Straße-VOL").availabilityZone("eu-de-03").resourceType("OS::Cinder::Volume").build(),
      Server.of("srv-Σ", "ΣΩ-𐐨db", "eu-de-02"));
  private static final List<String> TAG_KEYS = List.of("env", "app", "team", "Ключ");
  private static final List<String> TAG_VALUES = List.of("prod", "dev", "prod-eu", "test", "qa-test", "Ω", "");

  private static Instant pick(java.util.Random r, List<Instant> times) {
    return times.get(r.nextInt(times.size()));
  }

  private static List<Instant> times() {
    return List.of(Instant.MIN, Instant.parse("0001-01-01T00:00:00Z"), NOW.minus(Duration.ofDays(30)),
        NOW.minus(Duration.ofDays(8)), NOW.minus(Duration.ofDays(7)).minusNanos(1), NOW.minus(Duration.ofDays(7)),
        NOW.minus(Duration.ofDays(1)), NOW.minus(Duration.ofMinutes(30)).minusNanos(1), NOW.minus(Duration.ofMinutes(30)),
        NOW.minusNanos(1), NOW);
  }

  private static Backup randomBackup(java.util.Random r, String id, String project) {
    return randomBackup(r, id, project, pick(r, times()));
  }

  private static Backup randomBackup(java.util.Random r, String id, String project, Instant created) {
    Server server = SERVERS.get(r.nextInt(SERVERS.size()));
    BackupStatus status = BackupStatus.values()[r.nextInt(5)];
    Backup.Builder b = Backup.builder().id(id).name(NAMES.get(r.nextInt(NAMES.size()))).projectId(project)
        .server(server).sizeMb(r.nextInt(1000)).createdAt(created).status(status)
        .type(r.nextBoolean() ? BackupType.COMMON : BackupType.ENHANCED);
    if (r.nextBoolean()) {
      b.trigger(BackupTrigger.AUTOMATIC);
      if (r.nextBoolean()) {
        b.policyId(r.nextBoolean() ? "pol-a" : "pol-b");
      }
    }
    if (status.isIntermediate()) {
      Instant changed = pick(r, times());
      b.progress(Progress.of(r.nextInt(100), changed.isBefore(created) ? created : changed));
    } else if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "failed", created));
    }
    Map<String, String> tags = new LinkedHashMap<>();
    for (int i = r.nextInt(4); i > 0; i--) {
      tags.put(TAG_KEYS.get(r.nextInt(TAG_KEYS.size())), TAG_VALUES.get(r.nextInt(TAG_VALUES.size())));
    }
    tags.forEach((k, v) -> b.addTags(Tag.of(k, v)));
    return b.build();
  }

  /** A criterion and what its javadoc says it matches, judged at NOW with the default 30 minutes. */
  private record Criterion(BackupPredicate predicate, Predicate<Backup> meaning) {}

  private static String randomCase(java.util.Random r, String s) {
    int choice = r.nextInt(3);
    return choice == 0 ? s : choice == 1 ? s.toUpperCase(Locale.ROOT) : s.toLowerCase(Locale.ROOT);
  }

  private static String substring(java.util.Random r, String s) {
    int[] cps = s.codePoints().toArray();
    int from = r.nextInt(cps.length);
    int to = from + 1 + r.nextInt(Math.min(4, cps.length - from));
    return new String(cps, from, to - from);
  }

  /**
   * Checks a search against the backups' documented order: its count, up to {@code maxPages} pages
   * walked by marker (all of them when the walk ends first), and one page at a random offset.
   */
  private static void checkPages(BackupCatalog catalog, List<Backup> current, Criterion c, Sort sort, int limit,
      int maxPages, java.util.Random r, String what) {
    List<String> expected = current.stream().filter(c.meaning()).sorted(documentedOrder(sort.keys()))
        .map(Backup::id).collect(Collectors.toList());
    assertEquals(expected.size(), catalog.count(P, c.predicate()), what);
    Query query = Query.builder().where(c.predicate()).sort(sort).limit(limit).build();
    List<String> walked = new ArrayList<>();
    boolean ended = false;
    for (int pages = 0; pages < maxPages && !ended; pages++) {
      Page page = catalog.query(P, query);
      assertEquals(expected.size(), page.total(), what);
      walked.addAll(page.ids());
      ended = page.nextMarker().isEmpty();
      if (!ended) {
        query = query.after(page.nextMarker().get());
      }
    }
    assertEquals(ended ? expected : expected.subList(0, walked.size()), walked, what);
    int offset = r.nextInt(expected.size() + 2);
    assertEquals(expected.subList(Math.min(offset, expected.size()), Math.min(expected.size(), offset + limit)),
        catalog.query(P, Query.builder().where(c.predicate()).sort(sort).limit(limit).offset(offset).build()).ids(),
        what + " offset " + offset);
  }

  private static Criterion randomCriterion(java.util.Random r, List<Backup> backups, int depth) {
    int kind = r.nextInt(depth >= 2 ? 13 : 16);
    Backup some = backups.get(r.nextInt(backups.size()));
    switch (kind) {
      case 0: {
        EnumSet<BackupStatus> set = EnumSet.noneOf(BackupStatus.class);
        do {
          set.add(BackupStatus.values()[r.nextInt(5)]);
        } while (r.nextInt(3) == 0);
        return new Criterion(Predicates.status(set), b -> set.contains(b.status()));
      }
      case 1: {
        Instant a = pick(r, times());
        Instant c = pick(r, times());
        Instant lo = a.isBefore(c) ? a : c;
        Instant hi = a.isBefore(c) ? c : a;
        boolean loIn = r.nextBoolean();
        boolean hiIn = lo.equals(hi) || r.nextBoolean();
        loIn = lo.equals(hi) || loIn;
        Instant from = r.nextInt(4) == 0 ? null : lo;
        Instant to = r.nextInt(4) == 0 ? null : hi;
        boolean fi = loIn;
        boolean ti = hiIn;
        return new Criterion(Predicates.createdIn(TimeRange.of(from, fi, to, ti)), b ->
            (from == null || (fi ? !b.createdAt().isBefore(from) : b.createdAt().isAfter(from)))
                && (to == null || (ti ? !b.createdAt().isAfter(to) : b.createdAt().isBefore(to))));
      }
      case 2: {
        Duration w = List.of(Duration.ofNanos(1), Duration.ofMinutes(30), Duration.ofDays(1), Duration.ofDays(7),
            Duration.ofDays(30), Predicates.MAX_WINDOW).get(r.nextInt(6));
        return new Criterion(Predicates.createdWithinLast(w),
            b -> !b.createdAt().isBefore(NOW.minus(w)) && !b.createdAt().isAfter(NOW));
      }
      case 3: {
        String k = randomCase(r, substring(r, some.name()));
        return new Criterion(Predicates.nameContains(k), b -> lowerContains(b.name(), k));
      }
      case 4: {
        String k = randomCase(r, substring(r, some.server().name()));
        return new Criterion(Predicates.serverNameContains(k), b -> lowerContains(b.server().name(), k));
      }
      case 5: {
        String id = r.nextBoolean() ? some.id() : some.id().toUpperCase(Locale.ROOT);
        return new Criterion(Predicates.backupId(id), b -> b.id().equals(id));
      }
      case 6: {
        Attribute a = Attribute.values()[r.nextInt(Attribute.values().length)];
        String v = a.valueOf(some) != null ? a.valueOf(some) : "pol-a";
        return new Criterion(Predicates.attribute(a, v), b -> v.equals(a.valueOf(b)));
      }
      case 7: {
        String key = TAG_KEYS.get(r.nextInt(TAG_KEYS.size()));
        List<String> values = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
          String v = TAG_VALUES.get(r.nextInt(TAG_VALUES.size()));
          values.add(r.nextInt(3) == 0 ? "*" + (v.isEmpty() ? "" : substring(r, v)) : v);
        }
        Predicate<Backup> meaning = b -> b.tagValue(key).filter(tv -> values.isEmpty()
            || values.stream().anyMatch(v -> v.startsWith("*") ? tv.contains(v.substring(1)) : tv.equals(v))).isPresent();
        return new Criterion(Predicates.tag(key, values), meaning);
      }
      case 8: {
        String key = TAG_KEYS.get(r.nextInt(TAG_KEYS.size()));
        String value = TAG_VALUES.get(r.nextInt(TAG_VALUES.size()));
        return new Criterion(Predicates.tag(key, value), b -> b.tagValue(key).equals(Optional.of(value)));
      }
      case 9:
        return new Criterion(Predicates.stalled(), b -> b.status().isIntermediate()
            && b.progress().orElseThrow().changedAt().isBefore(NOW.minus(Duration.ofMinutes(30))));
      case 10: {
        KeywordField field = KeywordField.values()[r.nextInt(4)];
        switch (field) {
          case SERVER_ID: return new Criterion(Predicates.keyword(field, some.server().id()),
              b -> b.server().id().equals(some.server().id()));
          case BACKUP_ID: return new Criterion(Predicates.keyword(field, some.id()), b -> b.id().equals(some.id()));
          case SERVER_NAME: {
            String k = substring(r, some.server().name());
            return new Criterion(Predicates.keyword(field, k), b -> lowerContains(b.server().name(), k));
          }
          default: {
            String k = substring(r, some.name());
            return new Criterion(Predicates.keyword(field, k), b -> lowerContains(b.name(), k));
          }
        }
      }
      case 11:
        return new Criterion(Predicates.all(), b -> true);
      case 12:
        return new Criterion(Predicates.tagKey(TAG_KEYS.get(0)), b -> b.tagValue(TAG_KEYS.get(0)).isPresent());
      case 13: {
        Criterion c = randomCriterion(r, backups, depth + 1);
        return new Criterion(Predicates.not(c.predicate()), c.meaning().negate());
      }
      default: {
        List<Criterion> parts = new ArrayList<>();
        for (int i = 2 + r.nextInt(2); i > 0; i--) {
          parts.add(randomCriterion(r, backups, depth + 1));
        }
        List<BackupPredicate> ps = parts.stream().map(Criterion::predicate).collect(Collectors.toList());
        if (kind == 14) {
          return new Criterion(Predicates.and(ps), b -> parts.stream().allMatch(c -> c.meaning().test(b)));
        }
        return new Criterion(Predicates.or(ps), b -> parts.stream().anyMatch(c -> c.meaning().test(b)));
      }
    }
  }

  @Test
  void randomSearchesOverHandMadeValuesAnswerAsTheDocumentedMeaning() {
    List<String> sorts = List.of("created_at:desc", "created_at:asc", "updated_at:desc", "name:asc", "name:desc",
        "status:asc,created_at:asc", "id:asc", "status:desc,name:asc,created_at:desc");
    for (long seed = 1; seed <= 40; seed++) {
      java.util.Random r = new java.util.Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      List<Backup> batch = new ArrayList<>();
      int n = 10 + r.nextInt(60);
      for (int i = 0; i < n; i++) {
        batch.add(randomBackup(r, String.format("d-%03d", i), P));
      }
      if (r.nextBoolean()) {
        catalog.addAll(batch);
      } else {
        batch.forEach(catalog::add);
      }
      for (int i = 0; i < 5; i++) {
        catalog.add(randomBackup(r, String.format("d-%03d", i), "project-2"));
      }
      // some changes through the catalog: tags, removals (the clock stays at NOW)
      for (int i = 0; i < n / 4; i++) {
        Backup b = batch.get(r.nextInt(batch.size()));
        Optional<Backup> current = catalog.find(P, b.id());
        if (current.isEmpty()) {
          continue;
        }
        if (r.nextInt(3) == 0) {
          catalog.remove(P, b.id(), current.get().version());
        } else if (!current.get().createdAt().isAfter(NOW) && !current.get().updatedAt().isAfter(NOW)) {
          catalog.updateTags(P, b.id(), current.get().version(), r.nextBoolean()
              ? TagUpdate.create(Tag.of(TAG_KEYS.get(r.nextInt(4)), TAG_VALUES.get(r.nextInt(TAG_VALUES.size()))))
              : TagUpdate.delete(TagUpdate.Match.key(TAG_KEYS.get(r.nextInt(4)))));
        }
      }
      List<Backup> current = batch.stream().map(b -> catalog.find(P, b.id())).flatMap(Optional::stream)
          .collect(Collectors.toList());
      for (int q = 0; q < 40; q++) {
        Criterion c = randomCriterion(r, current, 0);
        Sort sort = Sort.parse(sorts.get(r.nextInt(sorts.size())));
        checkPages(catalog, current, c, sort, 1 + r.nextInt(7), 100, r, "seed " + seed + ": " + c.predicate() + " sorted " + sort);
      }
    }
  }

  @Test
  void randomAllProjectsPagesOrderTiesByProjectId() {
    List<String> sorts = List.of("created_at:desc", "created_at:asc", "name:asc", "status:desc,name:asc", "id:desc");
    for (long seed = 100; seed < 115; seed++) {
      java.util.Random r = new java.util.Random(seed);
      BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
      List<Backup> all = new ArrayList<>();
      for (String project : List.of("project-b", "project-a", "project-c")) {
        for (int i = 0; i < 5 + r.nextInt(15); i++) {
          Backup b = randomBackup(r, String.format("d-%03d", r.nextInt(12) * 10 + i), project);
          if (all.stream().noneMatch(x -> x.projectId().equals(project) && x.id().equals(b.id()))) {
            catalog.add(b);
            all.add(b);
          }
        }
      }
      for (int q = 0; q < 15; q++) {
        Criterion c = randomCriterion(r, all, 0);
        Sort sort = Sort.parse(sorts.get(r.nextInt(sorts.size())));
        List<String> expected = all.stream().filter(c.meaning())
            .sorted(documentedOrder(sort.keys()).thenComparing(Backup::projectId))
            .map(b -> b.projectId() + "/" + b.id()).collect(Collectors.toList());
        String what = "seed " + seed + ": " + c.predicate() + " sorted " + sort;
        assertEquals(expected.size(), catalog.countAllProjects(c.predicate()), what);
        int limit = 1 + r.nextInt(9);
        List<String> walked = new ArrayList<>();
        for (int offset = 0; offset < expected.size() + limit; offset += limit) {
          Page page = catalog.queryAllProjects(Query.builder().where(c.predicate()).sort(sort).limit(limit).offset(offset).build());
          assertEquals(expected.size(), page.total(), what);
          page.backups().forEach(b -> walked.add(b.projectId() + "/" + b.id()));
        }
        assertEquals(expected, walked, what);
      }
    }
  }

  @Test
  void encodedSeparatorsAreValuesNotSeparators() {
    assertEquals(Predicates.nameContains("a&b=c"), ListQueryString.parse("name=a%26b%3Dc").predicate());
    assertEquals(Predicates.nameContains("a=b"), ListQueryString.parse("name=a=b").predicate());
    refused("na me", () -> ListQueryString.parse("na+me=x"));
    assertEquals(Predicates.backupId("b 1"), ListQueryString.parse("checkpoint_id=b+1").predicate());
  }

  @Test
  void insideReadEveryChangeAndEveryReadOfAnotherProjectIsRefused() {
    Fixture f = new Fixture();
    BackupCatalog catalog = f.catalog;
    catalog.add(available("other", "n", WEB, NOW).toBuilder().projectId("project-2").build());
    Backup b01 = catalog.get(P, "b-01");
    Map<String, org.junit.jupiter.api.function.Executable> refusedInside = new LinkedHashMap<>();
    refusedInside.put("add", () -> catalog.add(available("new", "n", WEB, NOW)));
    refusedInside.put("addAll", () -> catalog.addAll(List.of(available("new", "n", WEB, NOW))));
    refusedInside.put("apply", () -> catalog.apply(P, "b-01", 1, Transition.restore()));
    refusedInside.put("updateTags", () -> catalog.updateTags(P, "b-01", 1, TagUpdate.create(Tag.of("x", "y"))));
    refusedInside.put("remove", () -> catalog.remove(P, "b-01", 1));
    refusedInside.put("setQuota", () -> catalog.setQuota(P, Quota.of(100, 100)));
    refusedInside.put("replay", () -> catalog.replay(new Change(catalog.sequence(P) + 1, P, "b-01", Optional.of(b01),
        Optional.empty(), Optional.empty())));
    refusedInside.put("load", () -> catalog.load(new ProjectSnapshot("project-new", 0, Quota.NONE, List.of())));
    refusedInside.put("add to another project", () -> catalog.add(available("n2", "n", WEB, NOW).toBuilder()
        .projectId("project-2").build()));
    refusedInside.put("query another", () -> catalog.query("project-2", Query.all()));
    refusedInside.put("count another", () -> catalog.count("project-2", Predicates.all()));
    refusedInside.put("find another", () -> catalog.find("project-2", "other"));
    refusedInside.put("tagCatalogue another", () -> catalog.tagCatalogue("project-2"));
    refusedInside.put("usage another", () -> catalog.usage("project-2", UsageQuery.firstServers(10)));
    refusedInside.put("quotaUsage another", () -> catalog.quotaUsage("project-2"));
    refusedInside.put("read another", () -> catalog.read("project-2", v -> v.count(Predicates.all())));
    List<String> notRefused = new ArrayList<>();
    catalog.read(P, view -> {
      for (Map.Entry<String, org.junit.jupiter.api.function.Executable> e : refusedInside.entrySet()) {
        try {
          e.getValue().execute();
          notRefused.add(e.getKey());
        } catch (IllegalStateException expected) {
          // refused
        } catch (Throwable t) {
          notRefused.add(e.getKey() + " threw " + t);
        }
      }
      return null;
    });
    assertEquals(List.of(), notRefused);
    assertEquals(b01, catalog.get(P, "b-01"));
    assertEquals(Optional.empty(), catalog.find(P, "new"));
    assertEquals(Quota.NONE, catalog.quotaUsage(P).quota());
  }

  @Test
  void aChangeMadeInsideADeliveryComesAfterTheChangeReachedEverySubscriber() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<String> log = new ArrayList<>();
    catalog.subscribe(change -> {
      log.add("A#" + change.sequence());
      if (change.sequence() == 1) {
        catalog.add(available("second", "n", WEB, NOW));
        log.add("A's add returned");
      }
    });
    catalog.subscribe(change -> log.add("B#" + change.sequence()));
    catalog.add(available("first", "n", WEB, NOW));
    assertEquals(List.of("A#1", "A's add returned", "B#1", "A#2", "B#2"), log);
    assertEquals(2, catalog.sequence(P));
  }

  @Test
  void aLargeProjectOfTrickyValuesAddedOutOfOrderAnswersAsTheDocumentedMeaning() {
    java.util.Random r = new java.util.Random(2026);
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Backup> ordered = new ArrayList<>();
    for (int i = 0; i < 12_000; i++) {
      // most in creation order from long ago, some at the shared boundary instants
      Instant created = r.nextInt(10) == 0 ? pick(r, times()) : NOW.minus(Duration.ofMinutes(15_000 - i));
      Backup b = randomBackup(r, "L-" + i, P, created);
      String name = b.name();
      name = name.length() > 200 ? name : name + (r.nextBoolean() ? "" : "_" + Integer.toHexString(r.nextInt(4096)));
      ordered.add(b.toBuilder().name(name).build());
    }
    catalog.addAll(ordered.subList(0, 8_000));
    List<Backup> late = new ArrayList<>(ordered.subList(8_000, 12_000));
    java.util.Collections.shuffle(late, r);
    late.forEach(catalog::add);
    for (int i = 0; i < 800; i++) {
      Backup b = ordered.get(r.nextInt(ordered.size()));
      Optional<Backup> now = catalog.find(P, b.id());
      if (now.isPresent()) {
        if (r.nextInt(4) == 0) {
          catalog.remove(P, b.id(), now.get().version());
        } else {
          catalog.updateTags(P, b.id(), now.get().version(),
              TagUpdate.create(Tag.of(TAG_KEYS.get(r.nextInt(4)), TAG_VALUES.get(r.nextInt(TAG_VALUES.size())))));
        }
      }
    }
    List<Backup> current = ordered.stream().map(b -> catalog.find(P, b.id())).flatMap(Optional::stream)
        .collect(Collectors.toList());
    List<String> sorts = List.of("created_at:desc", "created_at:asc", "name:asc", "status:asc,created_at:desc",
        "updated_at:desc");
    for (int q = 0; q < 40; q++) {
      Criterion c = randomCriterion(r, current, 0);
      Sort sort = Sort.parse(sorts.get(r.nextInt(sorts.size())));
      checkPages(catalog, current, c, sort, 1 + r.nextInt(40), 4, r, "query " + q + ": " + c.predicate() + " sorted " + sort);
    }
  }

  @Test
  void valuesHandedOutCannotBeChanged() {
    Fixture f = new Fixture();
    List<String> mutable = new ArrayList<>();
    TagCatalogue tags = f.catalog.tagCatalogue(P);
    tryMutate(mutable, "tagCatalogue.keys", () -> tags.keys().remove("env"));
    tryMutate(mutable, "tagCatalogue.values", () -> tags.values("env").clear());
    tryMutate(mutable, "tagCatalogue.asMap", () -> tags.asMap().clear());
    tryMutate(mutable, "tagCatalogue.asMap.values", () -> tags.asMap().get("env").add("zzz"));
    TagFilter filter = TagFilter.builder().tags("env", "prod").tagsAny("app").build();
    tryMutate(mutable, "tagFilter.tags", () -> filter.tags().put("x", List.of()));
    tryMutate(mutable, "tagFilter.tags.values", () -> filter.tags().get("env").add("dev"));
    tryMutate(mutable, "tagFilter.matches", () -> filter.matches().put("resource_name", "x"));
    tryMutate(mutable, "consoleSearch.statuses", () -> ConsoleSearch.empty().withStatus(BackupStatus.ERROR).statuses().add(BackupStatus.AVAILABLE));
    tryMutate(mutable, "sort.keys", () -> Sort.DEFAULT.keys().clear());
    assertEquals(List.of(), mutable);
  }

  private static void tryMutate(List<String> mutable, String what, Runnable r) {
    try {
      r.run();
      mutable.add(what);
    } catch (UnsupportedOperationException expected) {
      // immutable
    }
  }

  @Test
  void rangesThatHoldNoInstantAreBuiltAndMatchNothing() {
    TimeRange open = TimeRange.of(NOW, false, NOW.plusNanos(1), false);
    assertFalse(open.contains(NOW) || open.contains(NOW.plusNanos(1)));
    TimeRange beforeMin = TimeRange.before(Instant.MIN);
    assertFalse(beforeMin.contains(Instant.MIN));
    TimeRange afterMax = TimeRange.of(Instant.MAX, false, null, true);
    assertFalse(afterMax.contains(Instant.MAX));
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(available("min", "n", WEB, Instant.MIN));
    catalog.add(available("now", "n", WEB, NOW));
    catalog.add(available("next", "n", WEB, NOW.plusNanos(1)));
    for (TimeRange empty : List.of(open, beforeMin, afterMax)) {
      assertEquals(0, catalog.count(P, Predicates.createdIn(empty)), empty.toString());
      assertEquals(List.of(), catalog.query(P, ConsoleSearch.empty().withTimeRange(empty).toQuery(TagCatalogue.empty(), 10)).ids());
    }
    assertEquals(List.of("min"), catalog.query(P, Query.where(Predicates.createdIn(TimeRange.until(Instant.MIN)))).ids());
  }


  @Test
  void listQueryStringNamesTheParameterForEveryCriterionsRefusal() {
    refused("name", () -> ListQueryString.parse("name=\uD801"));
    refused("resource_name", () -> ListQueryString.parse("resource_name=" + "a".repeat(256)));
    refused("resource_name", () -> ListQueryString.parse("resource_name=x\uDC00"));
    for (String p : List.of("az", "resource_type", "policy_id", "resource_id", "checkpoint_id")) {
      refused(p, () -> ListQueryString.parse(p + "=" + "a".repeat(300)));
      refused(p, () -> ListQueryString.parse(p + "="));
    }
    refused("name", () -> ListQueryString.parse(Map.of("name", List.of("a".repeat(256)))));
  }

  @Test
  void anEmptyTagValueIsAValueLikeAnyOther() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(available("e-1", "n", WEB, NOW.minusSeconds(1), Tag.of("env", "")));
    catalog.add(available("e-2", "n", WEB, NOW.minusSeconds(2), Tag.of("env", "prod")));
    catalog.add(available("e-3", "n", WEB, NOW.minusSeconds(3)));
    TagCatalogue tags = catalog.tagCatalogue(P);
    assertEquals(List.of("", "prod"), new ArrayList<>(tags.values("env")));
    assertTrue(tags.contains("env", ""));
    assertEquals(List.of("e-1"), catalog.query(P, ConsoleSearch.empty().withTag("env", "").toQuery(tags, 10)).ids());
    assertEquals(List.of("e-1"), catalog.query(P, ConsoleSearch.empty().withTag("env", "  ").toQuery(tags, 10)).ids());
    assertEquals(List.of("e-1"), catalog.query(P, Query.where(Predicates.tag("env", ""))).ids());
    assertEquals(List.of("e-1"), catalog.query(P, Query.where(Predicates.tag("env", List.of("")))).ids());
    assertEquals(List.of("e-1"), catalog.query(P, TagFilter.builder().tags("env", "").build().toQuery()).ids());
    assertEquals(List.of("e-1", "e-2"), catalog.query(P, TagFilter.builder().tags("env").build().toQuery()).ids());
    assertEquals(List.of("e-2", "e-3"), catalog.query(P, TagFilter.builder().notTags("env", "").build().toQuery()).ids());
  }

  @Test
  void aBatchOverSeveralProjectsIsNumberedPerProjectInTheOrderGiven() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Change> changes = new ArrayList<>();
    catalog.subscribe(changes::add);
    Backup x = available("x", "n", WEB, NOW).toBuilder().projectId("project-2").build();
    Backup a = available("a", "n", WEB, NOW);
    Backup b = available("b", "n", WEB, NOW);
    Backup y = available("y", "n", WEB, NOW).toBuilder().projectId("project-2").build();
    catalog.addAll(List.of(x, b, a, y));
    Map<String, List<String>> byProject = new TreeMap<>();
    for (Change c : changes) {
      assertTrue(c.isAdded());
      assertEquals(c.backupId(), c.after().orElseThrow().id());
      byProject.computeIfAbsent(c.projectId(), k -> new ArrayList<>()).add(c.sequence() + ":" + c.backupId());
    }
    assertEquals(Map.of("project-1", List.of("1:b", "2:a"), "project-2", List.of("1:x", "2:y")), byProject);
    assertEquals(2, catalog.sequence("project-1"));
    assertEquals(2, catalog.sequence("project-2"));
  }

  @Test
  void aMarkerMovedToTheFrontOrRemoved() {
    Fixture f = new Fixture();
    Query byUpdate = Query.builder().sort(Sort.parse("updated_at:desc")).limit(4).build();
    Page first = f.catalog.query(P, byUpdate);
    String marker = first.nextMarker().orElseThrow();
    f.clock.advance(Duration.ofMinutes(5));
    Backup m = f.catalog.get(P, marker);
    f.catalog.updateTags(P, marker, m.version(), TagUpdate.create(Tag.of("moved", "yes")));   // newest update now
    List<Backup> current = f.backups.stream().map(b -> f.catalog.get(P, b.id())).collect(Collectors.toList());
    List<String> order = current.stream().sorted(documentedOrder(byUpdate.sort().keys())).map(Backup::id)
        .collect(Collectors.toList());
    assertEquals(marker, order.get(0));
    assertEquals(order.subList(1, 5), f.ids(byUpdate.after(marker)));

    f.catalog.remove(P, marker, f.catalog.get(P, marker).version());
    refused("marker", () -> f.catalog.query(P, byUpdate.after(marker)));
  }

  @Test
  void predicatesOfTheFormsRebuildEqualThroughTheVisitor() {
    TagCatalogue existing = TagCatalogue.of(Map.of("env", List.of("prod", "dev"), "app", List.of("shop")));
    List<BackupPredicate> trees = List.of(
        ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE, BackupStatus.ERROR).withLastDays(7)
            .withKeyword(KeywordField.SERVER_NAME, "Web").withTag("env", "prod").withTag("app", "shop").toPredicate(existing),
        ConsoleSearch.empty().withTimeRange(TimeRange.of(NOW, false, null, true)).withKeyword(KeywordField.BACKUP_ID, "B-1")
            .toPredicate(existing),
        TagFilter.builder().tags("env", "prod", "*ev").tagsAny("app").tagsAny("team", "x").notTags("a").notTags("b", "*")
            .notTagsAny("c", "1", "2").notTagsAny("d").matches("resource_name", "ÀUTO").build().toPredicate(),
        ListQueryString.parse("status=waiting_delete&name=Auto&resource_id=s&resource_name=W&checkpoint_id=c"
            + "&start_time=2017-04-18T01:21:52.7&end_time=2018-01-01T00:00:00&az=z&resource_type=t&policy_id=p").predicate());
    for (BackupPredicate p : trees) {
      assertEquals(p, p.accept(new Rebuild()), p.toString());
    }
  }

  @Test
  void blankArgumentsAreRefusedNamingTheCriterion() {
    refused("server id", () -> Predicates.serverId(""));
    refused("availability zone", () -> Predicates.availabilityZone(""));
    refused("resource type", () -> Predicates.resourceType(""));
    refused("policy id", () -> Predicates.policyId(" "));
    refused("tag key", () -> Predicates.tagKey("bad key"));
    refused("tag key", () -> Predicates.tagKey(""));
    refused("keyword", () -> Predicates.keyword(KeywordField.BACKUP_ID, "a".repeat(300)));
    // an id longer than any backup's (64) is a search that finds nothing
    assertEquals(0, new Fixture().catalog.count(P, Predicates.backupId("a".repeat(65))));
    // what backupId names today
    refused("backup id", () -> Predicates.backupId(""));
    refused("backup id", () -> Predicates.backupId(" "));
  }

  @Test
  void aBlankBackupIdIsRefusedNamingBackupId() {
    refused("backup id", () -> Predicates.backupId(""));
  }


  @Test
  void aMissingBoundIsInclusiveWhateverFlagWasGiven() {
    TimeRange none = TimeRange.of(null, false, null, false);
    assertTrue(none.startInclusive());
    assertTrue(none.endInclusive());
    assertEquals(TimeRange.all(), none);
    assertEquals(TimeRange.all().hashCode(), none.hashCode());
    assertEquals(Predicates.all(), Predicates.createdIn(none));
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withTimeRange(none));
    TimeRange upTo = TimeRange.of(null, false, NOW, true);
    assertTrue(upTo.startInclusive());
    assertEquals(TimeRange.until(NOW), upTo);
    TimeRange from = TimeRange.of(NOW, true, null, false);
    assertTrue(from.endInclusive());
    assertEquals(TimeRange.from(NOW), from);
  }

  @Test
  void aWindowBeyondMaxWindowIsRefusedNamingTimeWindow() {
    refused("time window", () -> Predicates.createdWithinLast(Predicates.MAX_WINDOW.plusDays(1)));
    refused("time window", () -> ConsoleSearch.empty().withLastDays(36_501));
    refused("time window", () -> ConsoleSearch.empty().withLastDays(Integer.MAX_VALUE));
    assertEquals(Optional.of(Duration.ofDays(36_500)), ConsoleSearch.empty().withLastDays(36_500).createdWithinLast());
  }

  @Test
  void aViewJudgesStalledJobsAtItsOneNow() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(base("j-1", "n", WEB, NOW.minus(Duration.ofMinutes(60))).status(BackupStatus.CREATING)
        .progress(Progress.of(40, NOW.minus(Duration.ofMinutes(29)))).build());
    long[] seen = catalog.read(P, view -> {
      long before = view.count(Predicates.stalled());
      clock.advance(Duration.ofMinutes(5));   // the job would be stalled now
      return new long[] {before, view.count(Predicates.stalled()), view.query(Query.where(Predicates.stalled())).total()};
    });
    assertEquals(List.of(0L, 0L, 0L), Arrays.stream(seen).boxed().collect(Collectors.toList()));
    assertEquals(1, catalog.count(P, Predicates.stalled()));
    assertEquals(List.of("j-1"), catalog.query(P, Query.where(Predicates.stalled())).ids());
  }
}
