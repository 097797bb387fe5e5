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
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
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
import io.csbs.query.TimeRange;
import io.csbs.testing.FakeClock;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A new user's review of the list parameters ({@link ListQueryString}, {@link Sort}, {@link SortKey},
 * {@link SortField}, {@link TimeRange}, {@link ConsoleSearch}, {@link Page}), written from the README
 * and the javadoc only, on data of its own: every answer of the catalog is compared with a plain
 * sort and filter written here from the docs' words.
 */
class NewUserListParamsTest {

  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final String P = "pröject-α";
  private static final String OTHER = "project-other";
  private static final Server WEB = Server.of("srv-web", "ECS-Web-01", "eu-de-02");
  private static final Server DB = Server.of("srv-db", "ecs-db-01", "eu-de-01");
  private static final Server KV = Server.of("srv-kv&=+", "Ünïcode-kv", "eu-de-03");

  // ------------------------------------------------------------------ helpers

  private static InvalidValueException refused(String field, Executable call) {
    InvalidValueException e = assertThrows(InvalidValueException.class, call);
    assertEquals(field, e.field(), "field of: " + e.getMessage());
    return e;
  }

  private static BackupCatalog catalog() {
    return Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
  }

  private static Backup.Builder base(String project, String id, String name, Server server, Instant created) {
    return Backup.builder()
        .id(id)
        .name(name)
        .projectId(project)
        .server(server)
        .sizeMb(10)
        .createdAt(created);
  }

  private static Backup available(String project, String id, String name, Server server, Instant created) {
    return base(project, id, name, server, created).status(BackupStatus.AVAILABLE).build();
  }

  private static Backup inState(String project, String id, String name, Server server, Instant created,
      BackupStatus status) {
    Backup.Builder b = base(project, id, name, server, created).status(status);
    if (status.isIntermediate()) {
      b.progress(Progress.of(10, created));
    }
    if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "disk full", created));
    }
    return b.build();
  }

  /** The doc's order: the keys in order, then the id in the first key's direction (if no id key). */
  private static Comparator<Backup> documentedOrder(List<SortKey> keys) {
    Comparator<Backup> order = null;
    boolean hasId = false;
    for (SortKey key : keys) {
      Comparator<Backup> one;
      switch (key.field()) {
        case CREATED_AT:
          one = Comparator.comparing(Backup::createdAt);
          break;
        case UPDATED_AT:
          one = Comparator.comparing(Backup::updatedAt);
          break;
        case NAME:
          one = Comparator.comparing(Backup::name);
          break;
        case STATUS:
          // Available, Creating, Restoring, Deleting, Error
          List<BackupStatus> states = List.of(BackupStatus.AVAILABLE, BackupStatus.CREATING,
              BackupStatus.RESTORING, BackupStatus.DELETING, BackupStatus.ERROR);
          one = Comparator.comparing(b -> states.indexOf(b.status()));
          break;
        default:
          one = Comparator.comparing(Backup::id);
          hasId = true;
      }
      if (!key.ascending()) {
        one = one.reversed();
      }
      order = order == null ? one : order.thenComparing(one);
    }
    if (!hasId) {
      Comparator<Backup> byId = Comparator.comparing(Backup::id);
      order = order.thenComparing(keys.get(0).ascending() ? byId : byId.reversed());
    }
    return order;
  }

  private static List<String> ids(List<Backup> backups) {
    return backups.stream().map(Backup::id).collect(Collectors.toList());
  }

  private static List<Backup> all(BackupCatalog catalog, String project) {
    List<Backup> out = new ArrayList<>();
    Query q = Query.builder().limit(1000).build();
    while (true) {
      Page page = catalog.query(project, q);
      out.addAll(page.backups());
      if (page.nextMarker().isEmpty()) {
        return out;
      }
      q = q.after(page.nextMarker().get());
    }
  }

  private static String enc(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ ListQueryString: the doc's example

  @Test
  void listQueryStringClassExampleToString() {
    Query query = ListQueryString.parse("status=available&name=auto&sort=created_at:desc&limit=20");
    assertEquals("Query{where (name contains \"auto\" AND status = Available), sort created_at:desc, limit 20}",
        query.toString());
    InvalidValueException e = refused("status", () -> ListQueryString.parse("status=paused"));
    assertTrue(e.getMessage().startsWith("status 'paused' is invalid: must be one of waiting_protect, protecting, "),
        e.getMessage());
  }

  @Test
  void emptyQueryStringIsAllAndDefaultsAreTheDocumentedOnes() {
    assertEquals(Query.all(), ListQueryString.parse(""));
    assertEquals(Query.all(), ListQueryString.parse("?"));
    assertEquals(Query.all(), ListQueryString.parse("&&&"));
    assertEquals(Query.all(), ListQueryString.parse(Map.of()));
    Query q = ListQueryString.parse("name=x");
    assertEquals(1000, q.limit());
    assertEquals(Query.DEFAULT_LIMIT, q.limit());
    assertEquals(Sort.DEFAULT, q.sort());
    assertTrue(q.sort().isDefault());
    assertEquals("created_at:desc", q.sort().toString());
    assertEquals(0, q.offset());
    assertEquals(Optional.empty(), q.marker());
  }

  @Test
  void leadingQuestionMarkAndEmptyPairsAreSkipped() {
    Query plain = ListQueryString.parse("status=available&limit=50");
    assertEquals(plain, ListQueryString.parse("?status=available&limit=50"));
    assertEquals(plain, ListQueryString.parse("status=available&&limit=50&"));
    assertEquals(plain, ListQueryString.parse("&status=available&limit=50&&"));
    assertEquals(plain, ListQueryString.parse("limit=50&status=available"));
  }

  @Test
  void everyFilterParameterBindsTheDocumentedPredicate() {
    Query q = ListQueryString.parse("status=protecting&name=Auto&resource_id=srv-1&resource_name=Web"
        + "&checkpoint_id=b-1&az=eu-de-02&resource_type=OS::Nova::Server&policy_id=pol-1");
    BackupPredicate expected = Predicates.and(
        Predicates.status(BackupStatus.CREATING),
        Predicates.nameContains("Auto"),
        Predicates.serverId("srv-1"),
        Predicates.serverNameContains("Web"),
        Predicates.backupId("b-1"),
        Predicates.availabilityZone("eu-de-02"),
        Predicates.resourceType("OS::Nova::Server"),
        Predicates.policyId("pol-1"));
    assertEquals(expected, q.predicate());
  }

  @Test
  void eachOfTheNineRawStatusesSelectsItsState() {
    Map<String, BackupStatus> mapping = new LinkedHashMap<>();
    mapping.put("waiting_protect", BackupStatus.CREATING);
    mapping.put("protecting", BackupStatus.CREATING);
    mapping.put("available", BackupStatus.AVAILABLE);
    mapping.put("waiting_restore", BackupStatus.RESTORING);
    mapping.put("restoring", BackupStatus.RESTORING);
    mapping.put("error", BackupStatus.ERROR);
    mapping.put("waiting_delete", BackupStatus.DELETING);
    mapping.put("deleting", BackupStatus.DELETING);
    for (Map.Entry<String, BackupStatus> e : mapping.entrySet()) {
      assertEquals(Predicates.status(e.getValue()), ListQueryString.parse("status=" + e.getKey()).predicate(),
          e.getKey());
    }
    // upper case is not how the API writes it
    refused("status", () -> ListQueryString.parse("status=AVAILABLE"));
    refused("status", () -> ListQueryString.parse("status=Available"));
    refused("status", () -> ListQueryString.parse("status=+available"));
  }

  @Test
  void statusDeletedMatchesNothingOnACatalog() {
    BackupCatalog catalog = catalog();
    for (BackupStatus s : BackupStatus.values()) {
      catalog.add(inState(P, "b-" + s.name(), "n" + s.ordinal(), WEB, NOW.minusSeconds(100 + s.ordinal()), s));
    }
    Page page = catalog.query(P, ListQueryString.parse("status=deleted"));
    assertEquals(List.of(), page.ids());
    assertEquals(0, page.total());
    assertFalse(page.hasMore());
    assertEquals(List.of("b-CREATING"), catalog.query(P, ListQueryString.parse("status=waiting_protect")).ids());
    assertEquals(List.of("b-DELETING"), catalog.query(P, ListQueryString.parse("status=waiting_delete")).ids());
  }

  // ------------------------------------------------------------------ ListQueryString: limit and offset

  @Test
  void limitAtItsEdges() {
    assertEquals(1, ListQueryString.parse("limit=1").limit());
    assertEquals(1000, ListQueryString.parse("limit=1000").limit());
    assertEquals(20, ListQueryString.parse("limit=0020").limit());
    for (String bad : List.of("0", "1001", "-1", "+5", "5.0", "1e3", "%205", "5%20", "0x10", "abc",
        "\u0661\u0660", "\uff15", "99999999999999999999999999", "9223372036854775808", "00000")) {
      InvalidValueException e = refused("limit", () -> ListQueryString.parse("limit=" + bad));
      assertTrue(e.rule().contains("1") && e.rule().contains("1000"), e.getMessage());
    }
  }

  @Test
  void offsetAtItsEdges() {
    assertEquals(0, ListQueryString.parse("offset=0").offset());
    assertEquals(Long.MAX_VALUE, ListQueryString.parse("offset=9223372036854775807").offset());
    assertEquals(7, ListQueryString.parse("offset=0000000000000000000000007").offset());
    for (String bad : List.of("-1", "9223372036854775808", "1.5", "+1", "x", "%2D1")) {
      refused("offset", () -> ListQueryString.parse("offset=" + bad));
    }
  }

  @Test
  void markerAndOffsetTogetherAreRefusedNamingMarker() {
    refused("marker", () -> ListQueryString.parse("marker=b-1&offset=3"));
    refused("marker", () -> ListQueryString.parse("offset=3&marker=b-1"));
    // "not together with marker": an offset of 0 is an offset given
    refused("marker", () -> ListQueryString.parse("marker=b-1&offset=0"));
    assertEquals(Optional.of("b-1"), ListQueryString.parse("marker=b-1").marker());
    refused("marker", () -> ListQueryString.parse("marker=%20%20"));
  }

  // ------------------------------------------------------------------ ListQueryString: strictness

  @Test
  void unknownParametersAreRefusedNamingThemAndListingTheAccepted() {
    for (String name : List.of("all_tenants", "image_type", "ip", "Status", "LIMIT", "protected_at", "foo",
        "name ", "st%C3%A4tus")) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> ListQueryString.parse(name + "=1"));
      for (String accepted : ListQueryString.PARAMETERS) {
        assertTrue(e.rule().contains(accepted), e.getMessage());
      }
      assertNotEquals("query string", e.field(), e.getMessage());
    }
    refused("all_tenants", () -> ListQueryString.parse("all_tenants=1"));
    refused("foo", () -> ListQueryString.parse("foo=%ZZ"));
    refused("foo", () -> ListQueryString.parse("limit=20&foo"));
    assertEquals(List.of("status", "name", "resource_id", "resource_name", "checkpoint_id", "start_time",
        "end_time", "az", "resource_type", "policy_id", "sort", "limit", "marker", "offset"),
        ListQueryString.PARAMETERS);
  }

  @Test
  void aRepeatedParameterIsRefusedNamingIt() {
    refused("name", () -> ListQueryString.parse("name=a&name=b"));
    refused("limit", () -> ListQueryString.parse("limit=5&limit=5"));
    refused("name", () -> ListQueryString.parse("name=a&na%6De=b"));
    refused("status", () -> ListQueryString.parse("status=available&status=error"));
    refused("sort", () -> ListQueryString.parse("sort=name&sort=id"));
  }

  @Test
  void anEmptyValueIsRefusedNamingTheParameter() {
    for (String name : ListQueryString.PARAMETERS) {
      refused(name, () -> ListQueryString.parse(name + "="));
      refused(name, () -> ListQueryString.parse(name));
      refused(name, () -> ListQueryString.parse("az=x&" + name + "=&"));
    }
  }

  @Test
  void aPairWithoutANameNamesQueryString() {
    refused("query string", () -> ListQueryString.parse("=x"));
    refused("query string", () -> ListQueryString.parse("="));
    refused("query string", () -> ListQueryString.parse("limit=5&=5"));
    Map<String, List<String>> map = new HashMap<>();
    map.put("", List.of("x"));
    refused("query string", () -> ListQueryString.parse(map));
  }

  @Test
  void mapFormRefusesSeveralNoneAndEmptyValues() {
    refused("name", () -> ListQueryString.parse(Map.of("name", List.of("a", "b"))));
    refused("name", () -> ListQueryString.parse(Map.of("name", List.of())));
    refused("name", () -> ListQueryString.parse(Map.of("name", List.of(""))));
    refused("bogus", () -> ListQueryString.parse(Map.of("bogus", List.of("1"))));
    // the map's values are decoded already: a % is a %
    assertEquals(Predicates.nameContains("a%41"), ListQueryString.parse(Map.of("name", List.of("a%41"))).predicate());
    assertEquals(ListQueryString.parse("status=available&limit=7&sort=name:asc"),
        ListQueryString.parse(Map.of("status", List.of("available"), "limit", List.of("7"),
            "sort", List.of("name:asc"))));
  }

  // ------------------------------------------------------------------ ListQueryString: percent-encoding

  @Test
  void percentEncodingIsDecodedAsUtf8() {
    assertEquals(Predicates.nameContains("café"), ListQueryString.parse("name=caf%C3%A9").predicate());
    assertEquals(Predicates.nameContains("café"), ListQueryString.parse("name=caf%c3%a9").predicate());
    assertEquals(Predicates.serverNameContains("ecs web"), ListQueryString.parse("resource_name=ecs+web").predicate());
    assertEquals(Predicates.serverId("a&b=c+d"), ListQueryString.parse("resource_id=a%26b%3Dc%2Bd").predicate());
    assertEquals(Predicates.nameContains("日本"), ListQueryString.parse("name=" + enc("日本")).predicate());
    assertEquals(Predicates.nameContains("𝒜x"), ListQueryString.parse("name=" + enc("𝒜x")).predicate());
    assertEquals(Predicates.status(BackupStatus.AVAILABLE), ListQueryString.parse("st%61tus=av%61ilable").predicate());
    assertEquals(20, ListQueryString.parse("limit=%32%30").limit());
    // the raw unicode itself (a client that did not encode) is taken as it is
    assertEquals(Predicates.nameContains("日本"), ListQueryString.parse("name=日本").predicate());
  }

  @Test
  void badPercentEncodingIsRefusedNamingTheParameter() {
    for (String bad : List.of("%", "%4", "a%G1", "%%", "%ZZ", "%FF", "caf%C3", "%C3%28", "%ED%A0%80",
        "%F0%9D%92", "%\u0661\u0661")) {
      InvalidValueException e = refused("name", () -> ListQueryString.parse("name=" + bad));
      assertTrue(e.rule().contains("percent-encoded"), e.getMessage());
    }
    refused("query string", () -> ListQueryString.parse("na%6=x"));
  }

  @Test
  void decodeParameterExamples() {
    assertEquals("20", ListQueryString.decodeParameter("offset", "20"));
    assertEquals("café db", ListQueryString.decodeParameter("name", "caf%C3%A9+db"));
    refused("name", () -> ListQueryString.decodeParameter("name", "%FF"));
    refused("weird param", () -> ListQueryString.decodeParameter("weird param", "%2"));
    assertEquals("", ListQueryString.decodeParameter("x", ""));
    assertEquals("+", ListQueryString.decodeParameter("x", "%2B"));
  }

  // ------------------------------------------------------------------ ListQueryString: texts

  @Test
  void keywordParametersFollowTheKeywordRules() {
    refused("name", () -> ListQueryString.parse("name=+++"));
    refused("resource_name", () -> ListQueryString.parse("resource_name=%20"));
    refused("checkpoint_id", () -> ListQueryString.parse("checkpoint_id=%09"));
    String longest = "ab".repeat(127) + "c";
    assertEquals(Predicates.nameContains(longest), ListQueryString.parse("name=" + longest).predicate());
    refused("name", () -> ListQueryString.parse("name=" + longest + "d"));
    // 255 letters outside the Basic Multilingual Plane are 255 characters (code points)
    String astral = "𝒜".repeat(255);
    assertEquals(Predicates.nameContains(astral), ListQueryString.parse("name=" + enc(astral)).predicate());
    refused("name", () -> ListQueryString.parse("name=" + enc(astral + "𝒜")));
    refused("name", () -> ListQueryString.parse("name=%ED%B0%80"));
  }

  @Test
  void namesMatchIgnoringCaseAndUnicodeOnACatalog() {
    BackupCatalog catalog = catalog();
    catalog.add(available(P, "u1", "Ärger_Backup", WEB, NOW.minusSeconds(10)));
    catalog.add(available(P, "u2", "ärger-daily", DB, NOW.minusSeconds(20)));
    catalog.add(available(P, "u3", "straße", KV, NOW.minusSeconds(30)));
    catalog.add(available(P, "u4", "日本語バックアップ", KV, NOW.minusSeconds(40)));
    catalog.add(available(OTHER, "u1", "Ärger_other", WEB, NOW.minusSeconds(10)));
    assertEquals(List.of("u1", "u2"), catalog.query(P, ListQueryString.parse("name=" + enc("ÄRGER"))).ids());
    assertEquals(List.of("u3"), catalog.query(P, ListQueryString.parse("name=" + enc("STRASSE").replace("SS", "ß"))).ids());
    assertEquals(List.of(), catalog.query(P, ListQueryString.parse("name=SS")).ids());
    assertEquals(List.of("u4"), catalog.query(P, ListQueryString.parse("name=" + enc("バック"))).ids());
    assertEquals(List.of("u1"), catalog.query(P, ListQueryString.parse("resource_name=web")).ids());
    assertEquals(List.of("u3", "u4"), catalog.query(P, ListQueryString.parse("resource_id=" + enc("srv-kv&=+"))).ids());
    assertEquals(List.of(), catalog.query(P, ListQueryString.parse("resource_id=SRV-WEB")).ids());
    assertEquals(List.of("u2"), catalog.query(P, ListQueryString.parse("az=eu-de-01")).ids());
    assertEquals(List.of("u3"), catalog.query(P, ListQueryString.parse("checkpoint_id=u3")).ids());
    assertEquals(List.of(), catalog.query(P, ListQueryString.parse("checkpoint_id=U3")).ids());
    assertEquals(4, catalog.query(P, ListQueryString.parse("resource_type=" + enc(Server.NOVA_SERVER))).total());
  }

  // ------------------------------------------------------------------ ListQueryString: times

  @Test
  void timeFormatsAccepted() {
    Instant t = Instant.parse("2017-04-18T01:21:52.701973Z");
    assertEquals(Predicates.createdIn(TimeRange.from(t)),
        ListQueryString.parse("start_time=2017-04-18T01:21:52.701973").predicate());
    assertEquals(Predicates.createdIn(TimeRange.until(t)),
        ListQueryString.parse("end_time=2017-04-18T01:21:52.701973").predicate());
    assertEquals(Predicates.createdIn(TimeRange.between(t, t)),
        ListQueryString.parse("start_time=2017-04-18T01:21:52.701973&end_time=2017-04-18T01:21:52.701973").predicate());
    assertEquals(Predicates.createdIn(TimeRange.from(Instant.parse("2017-04-18T01:21:52Z"))),
        ListQueryString.parse("start_time=2017-04-18T01:21:52").predicate());
    assertEquals(Predicates.createdIn(TimeRange.from(Instant.parse("2017-04-18T01:21:52.5Z"))),
        ListQueryString.parse("start_time=2017-04-18T01:21:52.5").predicate());
    assertEquals(Predicates.createdIn(TimeRange.from(Instant.parse("2017-04-18T01:21:52.123456789Z"))),
        ListQueryString.parse("start_time=2017-04-18T01:21:52.123456789").predicate());
    assertEquals(Predicates.createdIn(TimeRange.from(Instant.parse("2024-02-29T00:00:00Z"))),
        ListQueryString.parse("start_time=2024-02-29T00:00:00").predicate());
    assertEquals(Predicates.createdIn(TimeRange.from(Instant.parse("2017-04-18T01:21:52Z"))),
        ListQueryString.parse("start_time=2017-04-18T01%3A21%3A52").predicate());
  }

  @Test
  void timeFormatsRefusedNamingTheParameter() {
    for (String bad : List.of("2017-04-18T01:21:52Z", "2017-04-18T01:21:52%2B01:00", "2017-04-18T01:21:52.1234567890",
        "2017-04-18+01:21:52", "2017-04-18T01:21", "2017-04-18", "2017-04-18t01:21:52", "2017-04-18T01:21:52.",
        "2026-02-29T00:00:00", "2017-04-18T24:00:00", "2017-04-18T23:59:60", "2017-4-18T01:21:52",
        "17-04-18T01:21:52", "2017-04-18T01:21:52,5", "1492583312", "now", "2017-04-18T01:21:52 ",
        "%202017-04-18T01:21:52")) {
      for (String parameter : List.of("start_time", "end_time")) {
        InvalidValueException e = refused(parameter, () -> ListQueryString.parse(parameter + "=" + bad));
        assertTrue(e.rule().contains("2017-04-18T01:21:52.701973"), e.getMessage());
      }
    }
  }

  @Test
  void startAfterEndIsRefusedNamingStartTime() {
    refused("start_time", () -> ListQueryString.parse("start_time=2026-01-01T00:00:00.000000001&end_time=2026-01-01T00:00:00"));
    refused("start_time", () -> ListQueryString.parse("end_time=2025-01-01T00:00:00&start_time=2026-01-01T00:00:00"));
  }

  @Test
  void timesAreInclusiveAtBothEndsOnACatalog() {
    BackupCatalog catalog = catalog();
    Instant t = Instant.parse("2026-11-20T08:00:00.123456Z");
    catalog.add(available(P, "before", "n1", WEB, t.minusNanos(1000)));
    catalog.add(available(P, "at", "n2", WEB, t));
    catalog.add(available(P, "after", "n3", WEB, t.plusNanos(1000)));
    catalog.add(available(P, "at2", "n4", WEB, t));
    String ts = "2026-11-20T08:00:00.123456";
    assertEquals(List.of("at2", "at"), catalog.query(P, ListQueryString.parse("start_time=" + ts + "&end_time=" + ts)).ids());
    assertEquals(List.of("after", "at2", "at"), catalog.query(P, ListQueryString.parse("start_time=" + ts)).ids());
    assertEquals(List.of("at2", "at", "before"), catalog.query(P, ListQueryString.parse("end_time=" + ts)).ids());
    assertEquals(List.of("after"), catalog.query(P, ListQueryString.parse("start_time=2026-11-20T08:00:00.123457")).ids());
    assertEquals(List.of("before"), catalog.query(P, ListQueryString.parse("end_time=2026-11-20T08:00:00.123455")).ids());
  }

  // ------------------------------------------------------------------ ListQueryString: sort

  @Test
  void sortParameterAndItsBound() {
    assertEquals(Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.CREATED_AT)),
        ListQueryString.parse("sort=name:asc,created_at:desc").sort());
    assertEquals(Sort.by(SortKey.asc(SortField.NAME)), ListQueryString.parse("sort=name%20:%20ASC").sort());
    assertEquals(Sort.by(SortKey.asc(SortField.NAME)), ListQueryString.parse("sort=+name+:+asc+").sort());
    refused("sort", () -> ListQueryString.parse("sort=protected_at"));
    refused("sort", () -> ListQueryString.parse("sort=protected_at:desc"));
    refused("sort", () -> ListQueryString.parse("sort=Name"));
    String at255 = "name:asc" + " ".repeat(255 - 8);
    assertEquals(255, at255.length());
    assertEquals(Sort.by(SortKey.asc(SortField.NAME)), ListQueryString.parse("sort=" + enc(at255)).sort());
    InvalidValueException e = refused("sort", () -> ListQueryString.parse("sort=" + enc(at255 + " ")));
    assertTrue(e.rule().contains("255"), e.getMessage());
  }

  // ------------------------------------------------------------------ Sort, SortKey, SortField

  @Test
  void sortDocExamples() {
    assertEquals("created_at:desc", Sort.DEFAULT.toString());
    assertEquals(List.of(SortKey.desc(SortField.CREATED_AT)), Sort.DEFAULT.keys());
    Sort api = Sort.parse("created_at:desc,name:asc");
    assertEquals(List.of(SortKey.desc(SortField.CREATED_AT), SortKey.asc(SortField.NAME)), api.keys());
    assertEquals("created_at:desc,name:asc", api.toString());
    assertEquals("created_at:desc", SortKey.desc(SortField.CREATED_AT).toString());
    assertEquals("name:asc", SortKey.asc(SortField.NAME).toString());
    Sort byUpdated = Sort.by(SortKey.desc(SortField.UPDATED_AT), SortKey.asc(SortField.NAME));
    assertEquals("updated_at:desc,name:asc", byUpdated.toString());
    assertEquals(List.of("created_at", "updated_at", "name", "status", "id"),
        java.util.Arrays.stream(SortField.values()).map(SortField::apiName).collect(Collectors.toList()));
    Comparator<Backup> c = Sort.by(SortKey.asc(SortField.NAME)).comparator();
    Backup a = available(P, "x", "a", WEB, NOW);
    Backup b = available(P, "y", "b", WEB, NOW);
    assertTrue(c.compare(a, b) < 0);
  }

  @Test
  void sortParseDefaultsAndRoundTrips() {
    assertEquals(Sort.DEFAULT, Sort.parse("created_at"));
    assertTrue(Sort.parse("created_at").isDefault());
    assertTrue(Sort.parse(" created_at : DESC ").isDefault());
    assertFalse(Sort.parse("created_at:asc").isDefault());
    assertEquals(Sort.by(SortKey.desc(SortField.NAME)), Sort.parse("name"));
    assertEquals(Sort.by(SortKey.asc(SortField.NAME)), Sort.parse("name : ASC"));
    assertEquals(Sort.by(SortKey.asc(SortField.NAME)), Sort.parse("name:aSc"));
    assertEquals(Sort.by(SortKey.asc(SortField.STATUS), SortKey.desc(SortField.ID)),
        Sort.parse("\tstatus:asc ,\n id"));
    for (String text : List.of("id:asc", "status:desc,name:asc,created_at:asc,updated_at:desc,id:desc",
        "updated_at:asc", "name:desc,id:asc")) {
      Sort sort = Sort.parse(text);
      assertEquals(text, sort.toString());
      assertEquals(sort, Sort.parse(sort.toString()));
      assertEquals(sort.hashCode(), Sort.parse(text).hashCode());
      assertEquals(sort, Sort.by(sort.keys()));
    }
  }

  @Test
  void sortParseRefusals() {
    for (String bad : List.of("", " ", ",", "name,", ",name", "name,,id", "Name", "NAME", "nam", "protected_at",
        "name:", "name:up", "name:asc:desc", "name asc", "name:ascending", "created-at", "name;asc")) {
      InvalidValueException e = refused("sort", () -> Sort.parse(bad));
      if (!bad.isBlank()) {
        for (SortField f : SortField.values()) {
          assertTrue(e.rule().contains(f.apiName()), e.getMessage());
        }
      }
    }
    InvalidValueException repeat = refused("sort", () -> Sort.parse("name:asc,id,name:desc"));
    assertTrue(repeat.rule().contains("name"), repeat.getMessage());
    refused("sort", () -> Sort.parse("created_at,created_at"));
    refused("sort", () -> Sort.by(List.of()));
    refused("sort", () -> Sort.by(SortKey.asc(SortField.ID), SortKey.desc(SortField.ID)));
    assertThrows(NullPointerException.class, () -> new SortKey(null, true));
    assertThrows(NullPointerException.class, () -> Sort.parse(null));
  }

  @Test
  void sortLengthBound() {
    assertEquals(255, Sort.MAX_TEXT_LENGTH);
    String at255 = " ".repeat(247) + "name:asc";
    assertEquals(Sort.by(SortKey.asc(SortField.NAME)), Sort.parse(at255));
    InvalidValueException e = refused("sort", () -> Sort.parse(" " + at255));
    assertTrue(e.rule().contains("255"), e.getMessage());
  }

  @Test
  void sortTieBreakByIdInTheFirstKeysDirection() {
    Backup b1 = available(P, "b1", "same", WEB, NOW);
    Backup b2 = available(P, "b2", "same", WEB, NOW);
    Backup b3 = available(P, "B3", "same", WEB, NOW);
    List<Backup> list = new ArrayList<>(List.of(b2, b1, b3));
    list.sort(Sort.parse("name:asc").comparator());
    assertEquals(List.of("B3", "b1", "b2"), ids(list));
    list.sort(Sort.parse("name:desc").comparator());
    assertEquals(List.of("b2", "b1", "B3"), ids(list));
    list.sort(Sort.parse("status:asc,name:desc").comparator());
    assertEquals(List.of("B3", "b1", "b2"), ids(list));
    list.sort(Sort.parse("name:asc,id:desc").comparator());
    assertEquals(List.of("b2", "b1", "B3"), ids(list));
    list.sort(Sort.DEFAULT.comparator());
    assertEquals(List.of("b2", "b1", "B3"), ids(list));
  }

  // ------------------------------------------------------------------ paging on Catalogs.indexed

  private static final String[] NAMES = {"alpha", "Alpha", "ALPHA", "beta", "ärger", "Ärger", "日本", "𝒜bc",
      "\uffdaz", "zz_top", "z-9", "a", "b"};

  /** A project of backups of my own: ties on every field but the id, added out of creation order. */
  private static List<Backup> fill(BackupCatalog catalog, String project, int n, Random random) {
    List<Backup> added = new ArrayList<>();
    List<Server> servers = List.of(WEB, DB, KV);
    for (int i = 0; i < n; i++) {
      String id = random.nextInt(4) == 0 ? "Ïd-" + i + "&x=" : (random.nextBoolean() ? "id-" : "ID-") + i;
      Instant created = NOW.minusSeconds(60L * random.nextInt(12)).minusNanos(random.nextInt(3));
      BackupStatus status = BackupStatus.values()[random.nextInt(BackupStatus.values().length)];
      Backup b = inState(project, id, NAMES[random.nextInt(NAMES.length)], servers.get(random.nextInt(3)),
          created, status);
      if (random.nextInt(3) == 0) {
        b = b.toBuilder().updatedAt(created.plusSeconds(random.nextInt(3) * 100L)).build();
      }
      catalog.add(b);
      added.add(b);
    }
    return added;
  }

  private static final List<String> SORTS = List.of("created_at:desc", "created_at:asc", "name:asc", "name:desc",
      "status:asc", "status:desc,name:asc", "updated_at:asc", "updated_at:desc,created_at:asc", "id:asc", "id:desc",
      "name:asc,id:desc", "status:asc,updated_at:desc,name:desc", "created_at:asc,id:desc");

  /** Pages through {@code query} by marker, checking each page's documented fields; returns every id. */
  private static List<String> pageByMarker(BackupCatalog catalog, String project, Query first, List<Backup> expected,
      String what) {
    List<String> out = new ArrayList<>();
    Query q = first;
    for (int pages = 0; pages < 10_000; pages++) {
      Page page = catalog.query(project, q);
      assertEquals(expected.size(), page.total(), what + " total at " + out.size());
      assertTrue(page.backups().size() <= q.limit(), what);
      out.addAll(page.ids());
      boolean more = out.size() < expected.size();
      assertEquals(more, page.hasMore(), what + " hasMore at " + out.size());
      if (!more) {
        assertEquals(Optional.empty(), page.nextMarker(), what);
        return out;
      }
      assertEquals(q.limit(), page.backups().size(), what + " a page before the last is full");
      assertEquals(Optional.of(out.get(out.size() - 1)), page.nextMarker(), what);
      q = q.after(page.nextMarker().get());
    }
    throw new AssertionError("no end: " + what);
  }

  @Test
  void everySortPagedByMarkerAndByOffsetIsTheSliceOfAPlainSort() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    BackupCatalog catalog = catalog();
    List<Backup> mine = fill(catalog, P, 45, random);
    fill(catalog, OTHER, 30, random);
    for (String sortText : SORTS) {
      for (String filter : List.of("", "&status=available", "&name=alpha", "&start_time=2026-11-24T09:55:00&end_time=2026-11-24T09:58:00")) {
        Sort sort = Sort.parse(sortText);
        Predicate<Backup> matches = b -> filter.isEmpty()
            || (filter.contains("status") ? b.status() == BackupStatus.AVAILABLE
            : filter.contains("name") ? b.name().toLowerCase(Locale.ROOT).contains("alpha")
            : !b.createdAt().isBefore(Instant.parse("2026-11-24T09:55:00Z"))
                && !b.createdAt().isAfter(Instant.parse("2026-11-24T09:58:00Z")));
        List<Backup> expected = mine.stream().filter(matches).sorted(documentedOrder(sort.keys()))
            .collect(Collectors.toList());
        for (int limit : new int[] {1, 3, 7, 1000}) {
          String qs = "sort=" + enc(sortText) + "&limit=" + limit + filter;
          String what = "seed " + seed + ": " + qs;
          assertEquals(ids(expected), pageByMarker(catalog, P, ListQueryString.parse(qs), expected, what), what);
          for (int offset = 0; offset <= expected.size() + 1; offset += Math.max(2, limit)) {
            Page page = catalog.query(P, ListQueryString.parse(qs + "&offset=" + offset));
            List<Backup> slice = expected.subList(Math.min(offset, expected.size()),
                Math.min(offset + limit, expected.size()));
            assertEquals(ids(slice), page.ids(), what + " offset " + offset);
            assertEquals(expected.size(), page.total(), what + " offset " + offset);
            assertEquals(offset + limit < expected.size(), page.hasMore(), what + " offset " + offset);
          }
        }
      }
    }
  }

  @Test
  void pageFieldsAtTheExactEnd() {
    BackupCatalog catalog = catalog();
    for (int i = 0; i < 6; i++) {
      catalog.add(available(P, "e" + i, "n" + i, WEB, NOW.minusSeconds(i)));
    }
    Page first = catalog.query(P, ListQueryString.parse("limit=3"));
    assertEquals(List.of("e0", "e1", "e2"), first.ids());
    assertTrue(first.hasMore());
    assertEquals(Optional.of("e2"), first.nextMarker());
    Page second = catalog.query(P, ListQueryString.parse("limit=3&marker=e2"));
    assertEquals(List.of("e3", "e4", "e5"), second.ids());
    assertFalse(second.hasMore());
    assertEquals(Optional.empty(), second.nextMarker());
    assertEquals(6, second.total());
    Page afterLast = catalog.query(P, ListQueryString.parse("limit=3&marker=e5"));
    assertEquals(List.of(), afterLast.ids());
    assertEquals(6, afterLast.total());
    assertFalse(afterLast.hasMore());
    assertEquals(Optional.empty(), afterLast.nextMarker());
    Page byOffset = catalog.query(P, ListQueryString.parse("limit=3&offset=3"));
    assertEquals(List.of("e3", "e4", "e5"), byOffset.ids());
    assertFalse(byOffset.hasMore());
    for (String offset : List.of("6", "7", "1000000", "9223372036854775807")) {
      Page past = catalog.query(P, ListQueryString.parse("limit=1000&offset=" + offset));
      assertEquals(List.of(), past.ids(), offset);
      assertEquals(6, past.total(), offset);
      assertFalse(past.hasMore(), offset);
      assertEquals(Optional.empty(), past.nextMarker(), offset);
      Page pastByName = catalog.query(P, ListQueryString.parse("sort=name:asc&limit=1000&offset=" + offset));
      assertEquals(List.of(), pastByName.ids(), offset);
      assertEquals(6, pastByName.total(), offset);
    }
    Page empty = catalog.query("project-nobody", ListQueryString.parse("limit=1"));
    assertEquals(0, empty.total());
    assertFalse(empty.hasMore());
  }

  @Test
  void markerFollowingTheQueryStringRoundTripWithOddIds() {
    BackupCatalog catalog = catalog();
    List<String> ids = List.of("a&b=c", "plus+sign", "per%25cent", "späce id", "日本-1", "𝒜-astral", "?q", "#frag",
        "semi;colon", "x");
    for (int i = 0; i < ids.size(); i++) {
      catalog.add(available(P, ids.get(i), "n", WEB, NOW.minusSeconds(i)));
    }
    List<String> seen = new ArrayList<>();
    String qs = "limit=2&sort=name:asc";
    while (true) {
      Page page = catalog.query(P, ListQueryString.parse(qs));
      seen.addAll(page.ids());
      if (page.nextMarker().isEmpty()) {
        break;
      }
      qs = "limit=2&sort=name:asc&marker=" + enc(page.nextMarker().get());
    }
    List<String> expected = new ArrayList<>(ids);
    expected.sort(Comparator.naturalOrder());
    assertEquals(expected, seen);
  }

  @Test
  void unknownMarkerAndAnotherProjectsMarkerAreRefusedNamingMarker() {
    BackupCatalog catalog = catalog();
    catalog.add(available(P, "m1", "n", WEB, NOW.minusSeconds(1)));
    catalog.add(available(P, "m2", "n", WEB, NOW.minusSeconds(2)));
    catalog.add(available(OTHER, "theirs", "n", WEB, NOW.minusSeconds(3)));
    for (String sort : List.of("", "&sort=name:asc", "&sort=id:desc")) {
      refused("marker", () -> catalog.query(P, ListQueryString.parse("marker=nope" + sort)));
      refused("marker", () -> catalog.query(P, ListQueryString.parse("marker=theirs" + sort)));
      refused("marker", () -> catalog.query(P, ListQueryString.parse("marker=M1" + sort)));
      refused("marker", () -> catalog.query(P, ListQueryString.parse("marker=" + "m".repeat(65) + sort)));
    }
  }

  @Test
  void aMarkerDeletedMeanwhileIsRefusedNamingMarker() {
    BackupCatalog catalog = catalog();
    for (int i = 0; i < 5; i++) {
      catalog.add(available(P, "d" + i, "n" + i, WEB, NOW.minusSeconds(i)));
    }
    Page first = catalog.query(P, ListQueryString.parse("limit=2"));
    String marker = first.nextMarker().orElseThrow();
    assertEquals("d1", marker);
    catalog.remove(P, marker, 1);
    refused("marker", () -> catalog.query(P, ListQueryString.parse("limit=2&marker=" + marker)));
    refused("marker", () -> catalog.query(P, ListQueryString.parse("limit=2&sort=name:asc&marker=" + marker)));
  }

  @Test
  void aMarkerThatNoLongerMatchesOrMovedContinuesAfterItsCurrentPlace() {
    BackupCatalog catalog = catalog();
    for (int i = 0; i < 6; i++) {
      catalog.add(available(P, "k" + i, "name" + i, WEB, NOW.minusSeconds(10 - i)));
    }
    // newest first: k5 k4 k3 k2 k1 k0
    Page first = catalog.query(P, ListQueryString.parse("status=available&limit=2"));
    assertEquals(List.of("k5", "k4"), first.ids());
    catalog.apply(P, "k4", 1, Transition.delete());   // Deleting: no longer available
    Page next = catalog.query(P, ListQueryString.parse("status=available&limit=2&marker=k4"));
    assertEquals(List.of("k3", "k2"), next.ids());
    assertEquals(5, next.total());
    assertTrue(next.hasMore());
    // by update time: the marker's place follows its new value
    Page byUpdate = catalog.query(P, ListQueryString.parse("sort=updated_at:asc&limit=2"));
    assertEquals(List.of("k0", "k1"), byUpdate.ids());
    catalog.apply(P, "k1", 1, Transition.delete());   // updated now: last in this order
    Page afterMoved = catalog.query(P, ListQueryString.parse("sort=updated_at:asc&limit=10&marker=k1"));
    assertEquals(List.of("k4"), afterMoved.ids());  // k4 was updated at the same instant, its id after k1's
  }

  // ------------------------------------------------------------------ Page

  @Test
  void pageRecordDocumentedFields() {
    Backup a = available(P, "pa", "n", WEB, NOW);
    Backup b = available(P, "pb", "n", WEB, NOW);
    Page page = new Page(List.of(a, b), 5, true);
    assertEquals(List.of("pa", "pb"), page.ids());
    assertEquals(Optional.of("pb"), page.nextMarker());
    Page last = new Page(List.of(a, b), 2, false);
    assertEquals(Optional.empty(), last.nextMarker());
    assertEquals(Optional.empty(), new Page(List.of(), 3, true).nextMarker());
    assertThrows(IllegalArgumentException.class, () -> new Page(List.of(a, b), 1, false));
    List<Backup> mutable = new ArrayList<>(List.of(a));
    Page copied = new Page(mutable, 1, false);
    mutable.add(b);
    assertEquals(List.of("pa"), copied.ids());
    assertThrows(UnsupportedOperationException.class, () -> copied.backups().add(b));
  }

  // ------------------------------------------------------------------ Query

  @Test
  void queryDocumentedDefaultsAndBounds() {
    Query q = Query.builder().build();
    assertEquals(Query.all(), q);
    assertEquals(Predicates.all(), q.predicate());
    assertEquals(1000, Query.MAX_LIMIT);
    refused("limit", () -> Query.builder().limit(0));
    refused("limit", () -> Query.builder().limit(1001));
    refused("offset", () -> Query.builder().offset(-1));
    refused("marker", () -> Query.builder().marker(" "));
    refused("marker", () -> Query.builder().marker("m").offset(2).build());
    Query withMarker = Query.builder().limit(20).offset(5).build().after("m-1");
    assertEquals(0, withMarker.offset());
    assertEquals(Optional.of("m-1"), withMarker.marker());
    assertEquals("Query{where all, sort created_at:desc, limit 20, after m-1}", withMarker.toString());
    assertEquals("Query{where all, sort name:asc, limit 3, offset 9}",
        ListQueryString.parse("sort=name:asc&limit=3&offset=9").toString());
    assertEquals(ListQueryString.parse("limit=20&marker=m-1"), withMarker);
  }

  // ------------------------------------------------------------------ TimeRange

  @Test
  void timeRangeDocExamplesAndContains() {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    Instant end = Instant.parse("2026-02-01T00:00:00Z");
    TimeRange between = TimeRange.between(start, end);
    assertTrue(between.contains(start) && between.contains(end));
    assertFalse(between.contains(start.minusNanos(1)) || between.contains(end.plusNanos(1)));
    TimeRange from = TimeRange.from(start);
    assertTrue(from.contains(start) && from.contains(Instant.MAX));
    assertFalse(from.contains(start.minusNanos(1)));
    TimeRange before = TimeRange.before(end);
    assertFalse(before.contains(end));
    assertTrue(before.contains(end.minusNanos(1)) && before.contains(Instant.MIN));
    TimeRange half = TimeRange.of(start, true, end, false);
    assertTrue(half.contains(start));
    assertFalse(half.contains(end));
    TimeRange open = TimeRange.of(start, false, end, true);
    assertFalse(open.contains(start));
    assertTrue(open.contains(end));
    assertTrue(TimeRange.until(end).contains(end));
    assertTrue(TimeRange.all().contains(Instant.MIN) && TimeRange.all().contains(Instant.MAX));
    assertEquals("[2026-01-01T00:00:00Z, 2026-02-01T00:00:00Z)", half.toString());
    assertEquals("(-inf, 2026-02-01T00:00:00Z]", TimeRange.until(end).toString());
    assertEquals("(-inf, 2026-02-01T00:00:00Z)", before.toString());
    assertEquals("[2026-01-01T00:00:00Z, +inf)", from.toString());
    assertEquals("(2026-01-01T00:00:00Z, 2026-02-01T00:00:00Z]", open.toString());
    assertThrows(NullPointerException.class, () -> between.contains(null));
  }

  @Test
  void timeRangeRefusalsAndEmptyRanges() {
    Instant t = Instant.parse("2026-03-01T12:00:00Z");
    assertTrue(TimeRange.between(t, t).contains(t));
    assertTrue(TimeRange.of(t, true, t, true).contains(t));
    refused("time range", () -> TimeRange.of(t, false, t, true));
    refused("time range", () -> TimeRange.of(t, true, t, false));
    refused("time range", () -> TimeRange.of(t, false, t, false));
    refused("time range", () -> TimeRange.between(t.plusNanos(1), t));
    refused("time range", () -> TimeRange.of(t.plusNanos(1), true, t, true));
    // allowed, but empty: two instants a nanosecond apart, both exclusive; before(Instant.MIN)
    TimeRange nothing = TimeRange.of(t, false, t.plusNanos(1), false);
    assertFalse(nothing.contains(t) || nothing.contains(t.plusNanos(1)));
    assertFalse(TimeRange.before(Instant.MIN).contains(Instant.MIN));
    assertThrows(NullPointerException.class, () -> TimeRange.between(null, t));
    assertThrows(NullPointerException.class, () -> TimeRange.from(null));
    assertThrows(NullPointerException.class, () -> TimeRange.before(null));
    assertThrows(NullPointerException.class, () -> TimeRange.until(null));
  }

  @Test
  void timeRangeValueSemantics() {
    Instant t = Instant.parse("2026-03-01T12:00:00Z");
    assertEquals(TimeRange.all(), TimeRange.of(null, false, null, false));
    assertEquals(TimeRange.all().hashCode(), TimeRange.of(null, false, null, false).hashCode());
    TimeRange noStart = TimeRange.of(null, false, t, true);
    assertTrue(noStart.startInclusive());
    assertEquals(Optional.empty(), noStart.start());
    assertEquals(TimeRange.until(t), noStart);
    assertEquals(TimeRange.until(t).hashCode(), noStart.hashCode());
    TimeRange noEnd = TimeRange.of(t, true, null, false);
    assertTrue(noEnd.endInclusive());
    assertEquals(TimeRange.from(t), noEnd);
    assertNotEquals(TimeRange.before(t), TimeRange.until(t));
    assertEquals(Optional.of(t), TimeRange.before(t).end());
    assertFalse(TimeRange.before(t).endInclusive());
    assertEquals(Predicates.all(), Predicates.createdIn(TimeRange.of(null, false, null, false)));
  }

  @Test
  void timeRangeLast() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    TimeRange week = TimeRange.last(Duration.ofDays(7), now);
    assertEquals("[2026-11-17T10:00:00Z, 2026-11-24T10:00:00Z]", week.toString());
    assertEquals(TimeRange.between(Instant.parse("2026-11-17T10:00:00Z"), now), week);
    assertEquals(TimeRange.between(now, now), TimeRange.last(Duration.ZERO, now));
    TimeRange forever = TimeRange.last(Duration.ofSeconds(Long.MAX_VALUE), now);
    assertEquals(Optional.of(Instant.MIN), forever.start());
    assertTrue(forever.contains(Instant.MIN));
    assertEquals(Optional.of(Instant.MIN), TimeRange.last(Duration.ofDays(1), Instant.MIN).start());
    assertEquals(Optional.of(Instant.MIN), TimeRange.last(Duration.ofNanos(1), Instant.MIN).start());
    refused("time window", () -> TimeRange.last(Duration.ofNanos(-1), now));
  }

  @Test
  void exclusiveAndInclusiveEndsExactlyAtABackupsTimeOnACatalog() {
    BackupCatalog catalog = catalog();
    Instant t = Instant.parse("2026-11-20T00:00:00Z");
    List<Backup> mine = new ArrayList<>();
    int i = 0;
    for (long nanos : new long[] {-2, -1, -1, 0, 0, 0, 1, 1, 2, 1_000_000_000L}) {
      Backup b = available(P, "t" + (i++), "n", WEB, t.plusNanos(nanos));
      mine.add(b);
      catalog.add(b);
    }
    catalog.add(available(OTHER, "t0", "n", WEB, t));
    List<TimeRange> ranges = new ArrayList<>();
    for (long a = -2; a <= 2; a++) {
      for (long b = a; b <= 2; b++) {
        for (boolean ai : new boolean[] {true, false}) {
          for (boolean bi : new boolean[] {true, false}) {
            if (a == b && !(ai && bi)) {
              continue;
            }
            ranges.add(TimeRange.of(t.plusNanos(a), ai, t.plusNanos(b), bi));
          }
        }
      }
      ranges.add(TimeRange.from(t.plusNanos(a)));
      ranges.add(TimeRange.before(t.plusNanos(a)));
      ranges.add(TimeRange.until(t.plusNanos(a)));
      ranges.add(TimeRange.of(t.plusNanos(a), false, null, true));
    }
    for (TimeRange range : ranges) {
      for (String sortText : List.of("created_at:desc", "created_at:asc", "name:asc", "id:desc")) {
        Sort sort = Sort.parse(sortText);
        List<String> expected = mine.stream().filter(b -> range.contains(b.createdAt()))
            .sorted(documentedOrder(sort.keys())).map(Backup::id).collect(Collectors.toList());
        Query q = Query.builder().where(Predicates.createdIn(range)).sort(sort).limit(1000).build();
        assertEquals(expected, catalog.query(P, q).ids(), range + " " + sortText);
        assertEquals(expected.size(), catalog.count(P, Predicates.createdIn(range)), range.toString());
        assertEquals(mine.size() - expected.size(), catalog.count(P, Predicates.not(Predicates.createdIn(range))),
            "not " + range);
        if (expected.size() > 1) {
          Page second = catalog.query(P, Query.builder().where(Predicates.createdIn(range)).sort(sort).limit(1)
              .build().after(expected.get(0)));
          assertEquals(expected.subList(1, 2), second.ids(), range + " after " + expected.get(0));
          Page byOffset = catalog.query(P, Query.builder().where(Predicates.createdIn(range)).sort(sort).limit(1)
              .offset(expected.size() - 1).build());
          assertEquals(expected.subList(expected.size() - 1, expected.size()), byOffset.ids(), range + " last");
          assertFalse(byOffset.hasMore());
        }
      }
    }
  }

  // ------------------------------------------------------------------ ConsoleSearch

  @Test
  void consoleSearchDocExampleAndToString() {
    ConsoleSearch search = ConsoleSearch.empty()
        .withStatus(BackupStatus.AVAILABLE, BackupStatus.ERROR)
        .withLastDays(7)
        .withKeyword(KeywordField.SERVER_NAME, "web")
        .withTag("env", "prod");
    assertEquals("ConsoleSearch{status in [Available, Error], created within last 7 days, server name \"web\", "
        + "tags [env=prod]}", search.toString());
    assertEquals(ConsoleSearch.empty(), search.reset());
    assertEquals("ConsoleSearch{all}", ConsoleSearch.empty().toString());
    assertEquals("ConsoleSearch{all}", search.reset().toString());
    assertEquals(Set.of(BackupStatus.AVAILABLE, BackupStatus.ERROR), search.statuses());
    assertEquals(Optional.of(Duration.ofDays(7)), search.createdWithinLast());
    assertEquals(Optional.empty(), search.timeRange());
    assertEquals(Optional.of(KeywordField.SERVER_NAME), search.keywordField());
    assertEquals(Optional.of("web"), search.keyword());
    assertEquals(List.of(Tag.of("env", "prod")), search.tags());
    Query q = search.toQuery(TagCatalogue.of(Map.of("env", List.of("prod", "test"))), 20);
    assertEquals(20, q.limit());
    assertEquals(Sort.DEFAULT, q.sort());
    assertEquals(0, q.offset());
  }

  @Test
  void consoleSearchDefaultsAndAllStatuses() {
    ConsoleSearch empty = ConsoleSearch.empty();
    assertTrue(empty.allStatuses());
    assertEquals(EnumSet.allOf(BackupStatus.class), empty.statuses());
    assertEquals(Predicates.all(), empty.toPredicate(TagCatalogue.empty()));
    ConsoleSearch five = empty.withStatus(BackupStatus.AVAILABLE, BackupStatus.CREATING, BackupStatus.RESTORING,
        BackupStatus.DELETING, BackupStatus.ERROR);
    assertEquals(empty, five);
    assertTrue(five.allStatuses());
    assertEquals(empty.hashCode(), five.hashCode());
    assertEquals("ConsoleSearch{all}", five.toString());
    assertEquals(empty, empty.withStatuses(EnumSet.allOf(BackupStatus.class)));
    assertEquals(empty.withStatus(BackupStatus.ERROR, BackupStatus.AVAILABLE),
        empty.withStatuses(List.of(BackupStatus.AVAILABLE, BackupStatus.ERROR, BackupStatus.AVAILABLE)));
    refused("status", () -> empty.withStatuses(List.of()));
    assertEquals(empty, empty.withStatus(BackupStatus.ERROR).withAllStatuses());
    assertEquals(empty, empty.withTimeRange(TimeRange.all()));
    assertEquals(empty, empty.withLastDays(3).withoutTimeSegment());
    assertEquals(empty, empty.withKeyword(KeywordField.BACKUP_ID, "x").withoutKeyword());
    assertEquals(empty, empty.withTag("a", "b").withoutTags());
    assertEquals(empty, empty.withTag("a", "b").withoutTag(" a ", " b "));
  }

  @Test
  void consoleSearchTimeSegmentReplacesTheOther() {
    Instant t = Instant.parse("2026-11-01T00:00:00Z");
    ConsoleSearch range = ConsoleSearch.empty().withLastDays(7).withTimeRange(TimeRange.from(t));
    assertEquals(Optional.empty(), range.createdWithinLast());
    assertEquals(Optional.of(TimeRange.from(t)), range.timeRange());
    ConsoleSearch window = range.withCreatedWithinLast(Duration.ofHours(5));
    assertEquals(Optional.empty(), window.timeRange());
    assertEquals(Optional.of(Duration.ofHours(5)), window.createdWithinLast());
    assertEquals(ConsoleSearch.empty().withLastDays(2), ConsoleSearch.empty().withCreatedWithinLast(Duration.ofHours(48)));
  }

  @Test
  void consoleSearchWindowBounds() {
    ConsoleSearch empty = ConsoleSearch.empty();
    assertEquals(Optional.of(Duration.ofDays(36_500)), empty.withLastDays(36_500).createdWithinLast());
    for (int bad : new int[] {0, -1, 36_501, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
      refused("time window", () -> empty.withLastDays(bad));
    }
    assertEquals(Optional.of(Duration.ofNanos(1)), empty.withCreatedWithinLast(Duration.ofNanos(1)).createdWithinLast());
    assertEquals(Predicates.MAX_WINDOW, empty.withCreatedWithinLast(Predicates.MAX_WINDOW).createdWithinLast().get());
    refused("time window", () -> empty.withCreatedWithinLast(Predicates.MAX_WINDOW.plusNanos(1)));
    refused("time window", () -> empty.withCreatedWithinLast(Duration.ZERO));
    refused("time window", () -> empty.withCreatedWithinLast(Duration.ofNanos(-1)));
  }

  @Test
  void consoleSearchLastDaysOnACatalogIsInclusiveAtBothEnds() {
    BackupCatalog catalog = catalog();
    Instant weekAgo = NOW.minus(Duration.ofDays(7));
    catalog.add(available(P, "edge-old", "n", WEB, weekAgo));
    catalog.add(available(P, "too-old", "n", WEB, weekAgo.minusNanos(1)));
    catalog.add(available(P, "now", "n", WEB, NOW));
    catalog.add(available(P, "future", "n", WEB, NOW.plusNanos(1)));
    catalog.add(available(P, "mid", "n", WEB, NOW.minus(Duration.ofDays(3))));
    Query q = ConsoleSearch.empty().withLastDays(7).toQuery(catalog.tagCatalogue(P), 10);
    assertEquals(List.of("now", "mid", "edge-old"), catalog.query(P, q).ids());
    assertEquals(3, catalog.query(P, q).total());
    assertEquals(3, catalog.count(P, q.predicate()));
    Query byName = Query.builder().where(q.predicate()).sort(Sort.parse("name:asc")).build();
    assertEquals(List.of("edge-old", "mid", "now"), catalog.query(P, byName).ids());
    Query q2 = Query.builder().where(q.predicate()).limit(1).build().after("now");
    assertEquals(List.of("mid"), catalog.query(P, q2).ids());
  }

  @Test
  void consoleSearchKeywordRules() {
    ConsoleSearch empty = ConsoleSearch.empty();
    ConsoleSearch k = empty.withKeyword(KeywordField.BACKUP_NAME, " \t Auto\u3000");
    assertEquals(Optional.of("Auto"), k.keyword());
    ConsoleSearch nbsp = empty.withKeyword(KeywordField.BACKUP_NAME, "\u00a0auto");
    assertEquals(Optional.of("\u00a0auto"), nbsp.keyword());
    refused("keyword", () -> empty.withKeyword(KeywordField.BACKUP_NAME, "   "));
    refused("keyword", () -> empty.withKeyword(KeywordField.SERVER_ID, ""));
    refused("keyword", () -> empty.withKeyword(KeywordField.BACKUP_ID, "x".repeat(256)));
    assertEquals(Optional.of("x".repeat(255)), empty.withKeyword(KeywordField.BACKUP_ID, " " + "x".repeat(255) + " ").keyword());
    assertEquals(Optional.of("𝒜".repeat(255)), empty.withKeyword(KeywordField.SERVER_NAME, "𝒜".repeat(255)).keyword());
    refused("keyword", () -> empty.withKeyword(KeywordField.SERVER_NAME, "𝒜".repeat(256)));
    ConsoleSearch upper = empty.withKeyword(KeywordField.SERVER_NAME, "WEB");
    ConsoleSearch lower = empty.withKeyword(KeywordField.SERVER_NAME, "web");
    assertNotEquals(upper, lower);
    assertEquals(upper.toPredicate(TagCatalogue.empty()), lower.toPredicate(TagCatalogue.empty()));
    assertEquals(Optional.of(KeywordField.SERVER_ID),
        upper.withKeyword(KeywordField.SERVER_ID, "srv").keywordField());
  }

  @Test
  void consoleSearchKeywordsOnACatalog() {
    BackupCatalog catalog = catalog();
    catalog.add(available(P, "k1", "Ärger_Backup", WEB, NOW.minusSeconds(1)));
    catalog.add(available(P, "k2", "daily", KV, NOW.minusSeconds(2)));
    catalog.add(available(P, "K1", "other", DB, NOW.minusSeconds(3)));
    TagCatalogue none = catalog.tagCatalogue(P);
    assertEquals(List.of("k1"), catalog.query(P, ConsoleSearch.empty()
        .withKeyword(KeywordField.BACKUP_NAME, " ärger ").toQuery(none, 10)).ids());
    assertEquals(List.of("k2"), catalog.query(P, ConsoleSearch.empty()
        .withKeyword(KeywordField.SERVER_NAME, "ÜNÏ").toQuery(none, 10)).ids());
    assertEquals(List.of("k2"), catalog.query(P, ConsoleSearch.empty()
        .withKeyword(KeywordField.SERVER_ID, "srv-kv&=+").toQuery(none, 10)).ids());
    assertEquals(List.of(), catalog.query(P, ConsoleSearch.empty()
        .withKeyword(KeywordField.SERVER_ID, "srv-kv").toQuery(none, 10)).ids());
    assertEquals(List.of("K1"), catalog.query(P, ConsoleSearch.empty()
        .withKeyword(KeywordField.BACKUP_ID, "K1").toQuery(none, 10)).ids());
  }

  @Test
  void consoleSearchTags() {
    ConsoleSearch empty = ConsoleSearch.empty();
    ConsoleSearch one = empty.withTag(" env ", " prod ");
    assertEquals(List.of(Tag.of("env", "prod")), one.tags());
    assertSame(one, one.withTag("env", "prod"));
    assertSame(one, one.withoutTag("env", "test"));
    refused("tag key", () -> empty.withTag("bad key", "x"));
    refused("tag value", () -> empty.withTag("k", "bad value"));
    refused("tag key", () -> empty.withoutTag("", "x"));
    ConsoleSearch ten = empty;
    for (int i = 0; i < ConsoleSearch.MAX_TAGS; i++) {
      ten = ten.withTag("k" + i, "v" + i);
    }
    assertEquals(10, ten.tags().size());
    ConsoleSearch full = ten;
    refused("tags", () -> full.withTag("k99", "v"));
    assertSame(full, full.withTag("k3", "v3"));
    assertEquals(9, full.withoutTag("k0", "v0").tags().size());
    assertEquals("k1", full.withoutTag("k0", "v0").tags().get(0).key());
    // order added
    assertEquals(List.of(Tag.of("b", "1"), Tag.of("a", "2")), empty.withTag("b", "1").withTag("a", "2").tags());
    assertNotEquals(empty.withTag("b", "1").withTag("a", "2"), empty.withTag("a", "2").withTag("b", "1"));
    // an empty value is a tag value
    assertEquals(List.of(Tag.of("env", "")), empty.withTag("env", "").tags());
  }

  @Test
  void consoleSearchTagsCheckedAgainstTheCatalogue() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prod");
    InvalidValueException noTags = refused("tag key", () -> search.toPredicate(TagCatalogue.empty()));
    assertTrue(noTags.getMessage().contains("no tags"), noTags.getMessage());
    InvalidValueException key = refused("tag key", () -> search.toPredicate(TagCatalogue.of(Map.of("tier", List.of("a")))));
    assertTrue(key.getMessage().contains("tier"), key.getMessage());
    Map<String, List<String>> many = new HashMap<>();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      values.add("v" + (char) ('a' + i));
    }
    many.put("env", values);
    InvalidValueException value = refused("tag value", () -> search.toPredicate(TagCatalogue.of(many)));
    assertTrue(value.getMessage().contains("(25 in all)"), value.getMessage());
    assertTrue(value.getMessage().contains("va, vb"), value.getMessage());
    assertFalse(value.getMessage().contains("vk"), value.getMessage());
    refused("tag value", () -> search.toQuery(TagCatalogue.of(many), 20));
    refused("limit", () -> ConsoleSearch.empty().toQuery(TagCatalogue.empty(), 0));
    refused("limit", () -> ConsoleSearch.empty().toQuery(TagCatalogue.empty(), 1001));
    assertEquals(1000, ConsoleSearch.empty().toQuery(TagCatalogue.empty(), 1000).limit());
  }

  @Test
  void consoleSearchTagsOnACatalog() {
    BackupCatalog catalog = catalog();
    catalog.add(base(P, "t1", "n", WEB, NOW.minusSeconds(1)).status(BackupStatus.AVAILABLE)
        .addTags(Tag.of("env", "prod"), Tag.of("tier", "Ä")).build());
    catalog.add(base(P, "t2", "n", WEB, NOW.minusSeconds(2)).status(BackupStatus.AVAILABLE)
        .addTags(Tag.of("env", "test")).build());
    catalog.add(base(P, "t3", "n", WEB, NOW.minusSeconds(3)).status(BackupStatus.AVAILABLE)
        .addTags(Tag.of("env", "")).build());
    TagCatalogue tags = catalog.tagCatalogue(P);
    ConsoleSearch prod = ConsoleSearch.empty().withTag("env", "prod");
    assertEquals(List.of("t1"), catalog.query(P, prod.toQuery(tags, 10)).ids());
    assertEquals(List.of(), catalog.query(P, prod.withTag("env", "test").toQuery(tags, 10)).ids());
    assertEquals(List.of("t1"), catalog.query(P, prod.withTag("tier", "Ä").toQuery(tags, 10)).ids());
    assertEquals(List.of("t3"), catalog.query(P, ConsoleSearch.empty().withTag("env", "").toQuery(tags, 10)).ids());
    refused("tag value", () -> ConsoleSearch.empty().withTag("tier", "ä").toQuery(tags, 10));
  }

  // ------------------------------------------------------------------ random: query strings on a changing catalog

  private static final String[] RAW = {"waiting_protect", "protecting", "available", "waiting_restore", "restoring",
      "error", "waiting_delete", "deleting", "deleted"};

  private static Optional<BackupStatus> stateOf(String raw) {
    switch (raw) {
      case "waiting_protect":
      case "protecting":
        return Optional.of(BackupStatus.CREATING);
      case "available":
        return Optional.of(BackupStatus.AVAILABLE);
      case "waiting_restore":
      case "restoring":
        return Optional.of(BackupStatus.RESTORING);
      case "error":
        return Optional.of(BackupStatus.ERROR);
      case "waiting_delete":
      case "deleting":
        return Optional.of(BackupStatus.DELETING);
      default:
        return Optional.empty();
    }
  }

  private static String timeText(Instant t) {
    String text = t.toString();
    return text.substring(0, text.length() - 1);  // no zone
  }

  @Test
  void randomQueryStringsOnAChangingCatalogAgreeWithAPlainScan() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Instant start = Instant.parse("2026-06-01T00:00:00Z");
    FakeClock clock = FakeClock.at(start);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Map<String, Backup> mine = new LinkedHashMap<>();
    List<Server> servers = List.of(WEB, DB, KV);
    int[] next = {0};
    java.util.function.Consumer<Instant> addAt = created -> {
      int i = next[0]++;
      String id = (i % 5 == 0 ? "Ïd-" : i % 3 == 0 ? "ID-" : "id-") + Integer.toString(i, 36);
      Backup b = available(P, id, NAMES[random.nextInt(NAMES.length)] + (random.nextInt(4) == 0 ? "_" + i % 7 : ""),
          servers.get(random.nextInt(3)), created);
      catalog.add(b);
      mine.put(id, b);
    };
    for (int i = 0; i < 800; i++) {
      addAt.accept(start.minusSeconds(800 - i).minusNanos(random.nextInt(2) * 500));
    }
    fill(catalog, OTHER, 50, random);
    for (int round = 0; round < 150; round++) {
      String what = "seed " + seed + " round " + round;
      // a change or two
      for (int c = random.nextInt(3); c > 0; c--) {
        clock.advance(Duration.ofMillis(1 + random.nextInt(1000)));
        List<String> ids = new ArrayList<>(mine.keySet());
        String id = ids.get(random.nextInt(ids.size()));
        Backup b = mine.get(id);
        int kind = random.nextInt(5);
        if (kind == 0) {
          catalog.remove(P, id, b.version());
          mine.remove(id);
        } else if (kind == 1) {
          addAt.accept(start.minusSeconds(random.nextInt(3000)));   // late
        } else if (kind == 2) {
          addAt.accept(clock.instant());
        } else if (b.status() == BackupStatus.AVAILABLE) {
          Backup after = catalog.apply(P, id, b.version(), kind == 3 ? Transition.restore() : Transition.delete())
              .orElseThrow();
          mine.put(id, after);
        } else if (b.status() == BackupStatus.RESTORING || b.status() == BackupStatus.DELETING) {
          Optional<Backup> after = catalog.apply(P, id, b.version(), Transition.complete());
          if (after.isPresent()) {
            mine.put(id, after.get());
          } else {
            mine.remove(id);
          }
        }
      }
      // a query string
      List<Backup> live = new ArrayList<>(mine.values());
      Backup sample = live.get(random.nextInt(live.size()));
      StringBuilder qs = new StringBuilder();
      List<Predicate<Backup>> criteria = new ArrayList<>();
      if (random.nextInt(3) == 0) {
        String raw = RAW[random.nextInt(RAW.length)];
        qs.append("&status=").append(raw);
        Optional<BackupStatus> state = stateOf(raw);
        criteria.add(b -> state.isPresent() && b.status() == state.get());
      }
      if (random.nextInt(3) == 0) {
        String name = sample.name();
        int from = random.nextInt(name.length());
        String part = name.substring(from, Math.min(name.length(), from + 1 + random.nextInt(3)));
        if (Character.isLowSurrogate(part.charAt(0)) || Character.isHighSurrogate(part.charAt(part.length() - 1))) {
          part = name;
        }
        part = random.nextBoolean() ? part.toUpperCase(Locale.ROOT) : part;
        qs.append("&name=").append(enc(part));
        String lowered = part.toLowerCase(Locale.ROOT);
        criteria.add(b -> b.name().toLowerCase(Locale.ROOT).contains(lowered));
      }
      if (random.nextInt(4) == 0) {
        Server server = servers.get(random.nextInt(3));
        if (random.nextBoolean()) {
          qs.append("&resource_id=").append(enc(server.id()));
          criteria.add(b -> b.server().id().equals(server.id()));
        } else {
          qs.append("&az=").append(server.availabilityZone());
          criteria.add(b -> b.server().availabilityZone().equals(server.availabilityZone()));
        }
      }
      if (random.nextInt(3) == 0) {
        Instant a = live.get(random.nextInt(live.size())).createdAt().plusNanos(random.nextInt(3) - 1);
        Instant z = random.nextBoolean() ? a : live.get(random.nextInt(live.size())).createdAt();
        if (a.isAfter(z)) {
          Instant t = a;
          a = z;
          z = t;
        }
        Instant lo = a;
        Instant hi = z;
        int form = random.nextInt(3);
        if (form != 2) {
          qs.append("&start_time=").append(timeText(lo));
          criteria.add(b -> !b.createdAt().isBefore(lo));
        }
        if (form != 1) {
          qs.append("&end_time=").append(timeText(hi));
          criteria.add(b -> !b.createdAt().isAfter(hi));
        }
      }
      List<SortField> fields = new ArrayList<>(List.of(SortField.values()));
      java.util.Collections.shuffle(fields, random);
      List<SortKey> keys = new ArrayList<>();
      for (int k = 1 + random.nextInt(3); k > 0; k--) {
        keys.add(new SortKey(fields.remove(0), random.nextBoolean()));
      }
      Sort sort = Sort.by(keys);
      if (random.nextInt(4) != 0) {
        qs.append("&sort=").append(enc(sort.toString()));
      } else {
        sort = Sort.DEFAULT;
      }
      int limit = new int[] {1, 2, 5, 20, 1000}[random.nextInt(5)];
      qs.append("&limit=").append(limit);
      Predicate<Backup> all = b -> criteria.stream().allMatch(c -> c.test(b));
      Comparator<Backup> order = documentedOrder(sort.keys());
      List<Backup> expected = live.stream().filter(all).sorted(order).collect(Collectors.toList());
      List<Backup> rest = expected;
      int paging = random.nextInt(3);
      if (paging == 1) {
        long offset = random.nextInt(expected.size() + 3);
        qs.append("&offset=").append(offset);
        rest = expected.subList((int) Math.min(offset, expected.size()), expected.size());
      } else if (paging == 2) {
        Backup marker = random.nextBoolean() && !expected.isEmpty() ? expected.get(random.nextInt(expected.size()))
            : live.get(random.nextInt(live.size()));
        qs.append("&marker=").append(enc(marker.id()));
        rest = expected.stream().filter(b -> order.compare(b, marker) > 0).collect(Collectors.toList());
      }
      String text = qs.substring(1);
      Page page = catalog.query(P, ListQueryString.parse(text));
      List<Backup> want = rest.subList(0, Math.min(limit, rest.size()));
      assertEquals(ids(want), page.ids(), what + ": " + text);
      assertEquals(expected.size(), page.total(), what + " total: " + text);
      assertEquals(rest.size() > limit, page.hasMore(), what + " hasMore: " + text);
      assertEquals(want, page.backups(), what + " backups: " + text);
      assertEquals(expected.size(), catalog.count(P, ListQueryString.parse(text).predicate()), what + " count: " + text);
    }
  }

  // ------------------------------------------------------------------ more documented details

  @Test
  void queryToStringDocExample() {
    Query q = Query.builder()
        .where(Predicates.and(Predicates.tag("env", "prod"), Predicates.status(BackupStatus.AVAILABLE)))
        .limit(20)
        .marker("x")
        .build();
    assertEquals("Query{where (status = Available AND tag env=prod), sort created_at:desc, limit 20, after x}",
        q.toString());
    assertEquals(Query.all(), ListQueryString.parse("offset=0"));
    assertEquals(Query.all(), ListQueryString.parse("limit=1000&sort=created_at:desc"));
    assertEquals(Query.all(), ListQueryString.parse("sort=+created_at+"));
  }

  @Test
  void policyAndResourceTypeOnACatalog() {
    BackupCatalog catalog = catalog();
    Server other = Server.builder().id("vol-1").name("vol").availabilityZone("eu-de-01").resourceType("OS::Cinder::Volume").build();
    catalog.add(base(P, "auto-1", "autobk", WEB, NOW.minusSeconds(1)).status(BackupStatus.AVAILABLE)
        .trigger(BackupTrigger.AUTOMATIC).policyId("pol-ä").build());
    catalog.add(base(P, "auto-2", "autobk", other, NOW.minusSeconds(2)).status(BackupStatus.AVAILABLE)
        .trigger(BackupTrigger.AUTOMATIC).policyId("pol-b").build());
    catalog.add(available(P, "manual", "manualbk", WEB, NOW.minusSeconds(3)));
    assertEquals(List.of("auto-1"), catalog.query(P, ListQueryString.parse("policy_id=" + enc("pol-ä"))).ids());
    assertEquals(List.of("auto-2"), catalog.query(P, ListQueryString.parse("resource_type=OS::Cinder::Volume")).ids());
    assertEquals(List.of("auto-1", "manual"), catalog.query(P, ListQueryString.parse("resource_type=OS%3A%3ANova%3A%3AServer")).ids());
    assertEquals(List.of(), catalog.query(P, ListQueryString.parse("resource_type=os::nova::server")).ids());
  }

  @Test
  void moreBadEncodings() {
    refused("name", () -> ListQueryString.parse("name=%C0%AF"));   // an overlong '/'
    refused("name", () -> ListQueryString.parse("name=%C3+%A9"));  // a character's bytes split
    refused("name", () -> ListQueryString.parse("name=\ud800"));  // half a letter, raw
    assertEquals(Predicates.nameContains("\uffdax"), ListQueryString.parse("name=" + enc("\uffdax")).predicate());
  }

  @Test
  void consoleSearchNamesTheFirstPairNotInTheCatalogue() {
    TagCatalogue existing = TagCatalogue.of(Map.of("env", List.of("prod")));
    refused("tag key", () -> ConsoleSearch.empty().withTag("zzz", "1").withTag("env", "nope").toPredicate(existing));
    refused("tag value", () -> ConsoleSearch.empty().withTag("env", "nope").withTag("zzz", "1").toPredicate(existing));
  }

  @Test
  void largerThanAThousandPagedByMarkerWithLimit1000() {
    BackupCatalog catalog = catalog();
    List<Backup> mine = new ArrayList<>();
    for (int i = 0; i < 2500; i++) {
      mine.add(available(P, String.format("L%05d", i), "n" + (i % 13), i % 2 == 0 ? WEB : DB, NOW.minusSeconds(i / 3)));
    }
    catalog.addAll(mine);
    for (String sortText : List.of("created_at:desc", "name:asc")) {
      List<Backup> expected = new ArrayList<>(mine);
      expected.sort(documentedOrder(Sort.parse(sortText).keys()));
      assertEquals(ids(expected), pageByMarker(catalog, P, ListQueryString.parse("sort=" + sortText), expected, sortText));
      Page third = catalog.query(P, ListQueryString.parse("sort=" + sortText + "&offset=2000"));
      assertEquals(ids(expected.subList(2000, 2500)), third.ids());
      assertFalse(third.hasMore());
    }
  }

  // ------------------------------------------------------------------ findings

  /** A repeated field's refusal quotes the text the caller gave (it quoted the keys parsed from it). */
  @Test
  void sortRepeatRefusalQuotesTheTextGiven() {
    InvalidValueException e = refused("sort", () -> Sort.parse("name,name"));
    assertEquals("sort 'name,name' is invalid: must name each field once; name repeats", e.getMessage());
    InvalidValueException viaList = refused("sort", () -> ListQueryString.parse("sort=name+:+asc,id,name"));
    assertTrue(viaList.getMessage().startsWith("sort 'name : asc,id,name' is invalid"), viaList.getMessage());
  }

  /** Query's class doc: a marker whose own backup was removed is refused, naming marker. */
  @Test
  void aRemovedMarkerIsRefused() {
    BackupCatalog catalog = catalog();
    for (int i = 0; i < 5; i++) {
      catalog.add(available(P, "r" + i, "n", WEB, NOW.minusSeconds(i)));
    }
    Query first = Query.builder().limit(2).build();
    Page page = catalog.query(P, first);
    catalog.remove(P, page.nextMarker().orElseThrow(), 1);
    refused("marker", () -> catalog.query(P, first.after(page.nextMarker().get())));
  }

  /** ConsoleSearch: a name keyword differing only in case makes an equal predicate, an id keyword not. */
  @Test
  void aKeywordDifferingInCaseMakesAnEqualPredicateInNameFieldsOnly() {
    for (KeywordField field : KeywordField.values()) {
      ConsoleSearch upper = ConsoleSearch.empty().withKeyword(field, "AB-1");
      ConsoleSearch lower = ConsoleSearch.empty().withKeyword(field, "ab-1");
      assertNotEquals(upper, lower, field.name());
      boolean names = field == KeywordField.BACKUP_NAME || field == KeywordField.SERVER_NAME;
      assertEquals(names, upper.toPredicate(TagCatalogue.empty()).equals(lower.toPredicate(TagCatalogue.empty())),
          field.name());
    }
  }

  /** Not a finding (the table's words hold literally), but unlike ConsoleSearch the list keeps spaces. */
  @Test
  void listNameKeepsSurroundingSpacesWhereTheConsoleStripsThem() {
    BackupCatalog catalog = catalog();
    catalog.add(available(P, "s1", "autobk_1", WEB, NOW.minusSeconds(1)));
    assertEquals(Predicates.nameContains("auto "), ListQueryString.parse("name=auto+").predicate());
    assertEquals(List.of(), catalog.query(P, ListQueryString.parse("name=auto+")).ids());
    assertEquals(List.of("s1"), catalog.query(P, ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, "auto ")
        .toQuery(catalog.tagCatalogue(P), 10)).ids());
  }

  // ------------------------------------------------------------------ one state per call, beside a writer

  @Test
  void pagesBesideAWriterAreEachOneState() throws Exception {
    BackupCatalog catalog = catalog();
    List<Backup> old = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      old.add(available(P, String.format("o%04d", i), "n" + (i % 17), i % 2 == 0 ? WEB : DB,
          NOW.minus(Duration.ofHours(1)).minusSeconds(i)));
    }
    catalog.addAll(old);
    // newest first: o0000 ... o1199; a newest and an oldest backup come and go
    Backup newest = available(P, "new", "n", WEB, NOW.minusSeconds(1));
    Backup oldest = available(P, "late", "n", WEB, NOW.minus(Duration.ofDays(30)));
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        while (!stop.get()) {
          catalog.add(newest);
          catalog.add(oldest);
          catalog.remove(P, "new", 1);
          catalog.remove(P, "late", 1);
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "list-params-writer");
    writer.setDaemon(true);
    writer.start();
    List<String> oldIds = ids(old);
    try {
      for (int i = 0; i < 1500 && failure.get() == null; i++) {
        Page first = catalog.query(P, ListQueryString.parse("limit=3"));
        boolean hasNew = first.ids().get(0).equals("new");
        List<String> expectFirst = hasNew ? List.of("new", "o0000", "o0001") : oldIds.subList(0, 3);
        assertEquals(expectFirst, first.ids(), "round " + i);
        assertTrue(first.total() >= 1200 && first.total() <= 1202, "total " + first.total());
        assertTrue(!hasNew || first.total() >= 1201, "a page with 'new' counts it: " + first.total());
        Page middle = catalog.query(P, ListQueryString.parse("limit=4&marker=o0500"));
        assertEquals(oldIds.subList(501, 505), middle.ids(), "round " + i);
        Page end = catalog.query(P, ListQueryString.parse("limit=5&marker=o1197"));
        boolean hasLate = end.ids().size() == 3;
        assertEquals(hasLate ? List.of("o1198", "o1199", "late") : List.of("o1198", "o1199"), end.ids(), "round " + i);
        assertFalse(end.hasMore());
        assertTrue(!hasLate || end.total() >= 1201, "a page with 'late' counts it: " + end.total());
        Page byOffset = catalog.query(P, ListQueryString.parse("limit=2&offset=1200"));
        assertTrue(byOffset.ids().size() <= 2);
        long count = catalog.count(P, Predicates.all());
        assertTrue(count >= 1200 && count <= 1202, "count " + count);
      }
    } finally {
      stop.set(true);
      writer.join(30_000);
    }
    assertFalse(writer.isAlive(), "the writer hangs");
    if (failure.get() != null) {
      throw new AssertionError("writer failed", failure.get());
    }
  }

  @Test
  void valuesAreImmutableAndRefusalsCarryTheApiCode() {
    Set<BackupStatus> chosen = EnumSet.of(BackupStatus.ERROR);
    ConsoleSearch search = ConsoleSearch.empty().withStatuses(chosen).withTag("env", "prod");
    chosen.add(BackupStatus.AVAILABLE);
    assertEquals(Set.of(BackupStatus.ERROR), search.statuses());
    assertThrows(UnsupportedOperationException.class, () -> search.statuses().add(BackupStatus.AVAILABLE));
    assertThrows(UnsupportedOperationException.class, () -> search.tags().clear());
    assertThrows(UnsupportedOperationException.class, () -> ConsoleSearch.empty().statuses().clear());
    List<SortKey> keys = new ArrayList<>(List.of(SortKey.asc(SortField.NAME)));
    Sort sort = Sort.by(keys);
    keys.add(SortKey.asc(SortField.ID));
    assertEquals(List.of(SortKey.asc(SortField.NAME)), sort.keys());
    assertThrows(UnsupportedOperationException.class, () -> sort.keys().clear());
    for (String bad : List.of("limit=0", "foo=1", "name=%FF", "sort=name,name", "start_time=x", "marker=a&offset=1")) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> ListQueryString.parse(bad));
      assertEquals("CSBS.9001", e.code().code(), bad);
    }
  }

  @Test
  void manyProjectsWithTheSameIdsPageOnlyTheirOwn() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    BackupCatalog catalog = catalog();
    Map<String, List<Backup>> byProject = new LinkedHashMap<>();
    for (int p = 0; p < 30; p++) {
      String project = p % 3 == 0 ? "projet-é" + p : "project-" + p;
      List<Backup> list = new ArrayList<>();
      for (int i = 0, n = p == 0 ? 25 : 1 + random.nextInt(24); i < n; i++) {
        list.add(inState(project, "shared-" + i, NAMES[random.nextInt(NAMES.length)], WEB,
            NOW.minusSeconds(random.nextInt(50)), BackupStatus.values()[random.nextInt(5)]));
      }
      catalog.addAll(list);
      byProject.put(project, list);
    }
    for (Map.Entry<String, List<Backup>> e : byProject.entrySet()) {
      for (String sortText : List.of("created_at:desc", "name:asc", "status:desc,id:asc")) {
        List<Backup> expected = new ArrayList<>(e.getValue());
        expected.sort(documentedOrder(Sort.parse(sortText).keys()));
        String what = "seed " + seed + " " + e.getKey() + " " + sortText;
        assertEquals(ids(expected), pageByMarker(catalog, e.getKey(),
            ListQueryString.parse("limit=4&sort=" + enc(sortText)), expected, what), what);
        assertEquals(expected, catalog.query(e.getKey(), ListQueryString.parse("sort=" + enc(sortText))).backups(), what);
      }
      // a marker only the first project holds
      if (e.getValue().size() < 25) {
        refused("marker", () -> catalog.query(e.getKey(), ListQueryString.parse("marker=shared-24")));
      }
    }
  }
}
