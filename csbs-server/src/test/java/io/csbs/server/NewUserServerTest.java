package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.TagFilter;
import io.csbs.testing.FakeClock;
import io.csbs.usage.Quota;
import io.csbs.usage.UsageQuery;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A new user's checks of CsbsServer against README ("A reference server: csbs-server") and the
 * javadoc of CsbsServer, on an own catalog (not the testkit's generator): unicode and mixed-case
 * names, ids with reserved characters, tags, every status. Replay with -Dcsbs.newuser.seed=N.
 */
class NewUserServerTest {
  private static final CsbsJson JSON = CsbsJson.create();
  static final String PROJECT = "projekt-Ü 1";
  static final String OTHER = "other";
  static final String PROVIDER = CsbsServer.PROVIDER_ID;
  static final String[] WORDS = {"auto", "AUTO", "Été", "été", "ÉTÉ", "Straße", "中文", "db", "Ж", "жЖ", "x"};
  static final String[] ID_PIECES = {"a", "B", "-", " ", "+", "&", "=", "%", "?", "#", "/", "é", "中", "\"", "'",
      "\uD83D\uDE00", ";", ":", "~"};

  static long seed;
  static FakeClock clock;
  static BackupCatalog catalog;
  static CsbsServer server;
  static Client client;
  static List<Backup> mine = new ArrayList<>();

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String seg(String s) {
    return enc(s).replace("+", "%20");
  }

  static String v1() {
    return "/v1/" + seg(PROJECT);
  }

  static Backup backup(SplittableRandom r, String project, int i) {
    BackupStatus status = BackupStatus.values()[r.nextInt(5)];
    Instant created = FakeClock.DEFAULT_START.minus(Duration.ofSeconds(r.nextLong(100_000_000)))
        .plusNanos(r.nextInt(4) == 0 ? r.nextInt(1_000_000_000) : r.nextInt(1_000_000) * 1000L);
    StringBuilder id = new StringBuilder("i" + i);
    for (int k = r.nextInt(8); k > 0; k--) {
      id.append(ID_PIECES[r.nextInt(ID_PIECES.length)]);
    }
    String name = WORDS[r.nextInt(WORDS.length)] + "_" + WORDS[r.nextInt(WORDS.length)] + i;
    int server = r.nextInt(12);
    BackupTrigger trigger = r.nextBoolean() ? BackupTrigger.AUTOMATIC : BackupTrigger.MANUAL;
    Backup.Builder b = Backup.builder().id(id.toString()).name(name).projectId(project)
        .server(Server.of("srv-" + server + (server % 3 == 0 ? "é" : ""), WORDS[server % WORDS.length] + "-ecs-" + server,
            "az-" + server % 3))
        .status(status).type(r.nextBoolean() ? BackupType.ENHANCED : BackupType.COMMON).trigger(trigger)
        .sizeMb(r.nextInt(5) == 0 ? 0 : r.nextInt(3) == 0 ? Backup.MAX_SIZE_MB : r.nextLong(1 << 20))
        .createdAt(created).updatedAt(created.plusSeconds(r.nextInt(1000)));
    if (trigger == BackupTrigger.AUTOMATIC && r.nextBoolean()) {
      b.policyId("pol-" + r.nextInt(3));
    }
    if (status.isIntermediate()) {
      b.progress(Progress.of(r.nextInt(101), created.plusSeconds(1)));
    }
    if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "disk \"gone\"\n", created.plusSeconds(2)));
    }
    if (r.nextInt(3) == 0) {
      b.details(BackupDetails.builder().checkpointId("cp-" + r.nextInt(5)).build());
    }
    List<String> keys = new ArrayList<>();
    for (int k = r.nextInt(4) == 0 ? 0 : r.nextInt(6); k > 0; k--) {
      String key = new String[] {"env", "Env", "ключ", "app", "τ", "team_1"}[r.nextInt(6)];
      if (!keys.contains(key)) {
        keys.add(key);
        b.addTags(Tag.of(key, new String[] {"", "prod", "Prod", "тест", "a-b_c", "\uD835\uDC9C"}[r.nextInt(6)]));
      }
    }
    return b.build();
  }

  @BeforeAll
  static void start() {
    String given = System.getProperty("csbs.newuser.seed");
    seed = given != null ? Long.parseLong(given) : System.nanoTime();
    System.out.println("NewUserServerTest seed " + seed + " (replay: -Dcsbs.newuser.seed=" + seed + ")");
    SplittableRandom r = new SplittableRandom(seed);
    clock = FakeClock.create();
    catalog = Catalogs.indexed(clock);
    for (int i = 0; i < 700; i++) {
      Backup backup = backup(r, i % 7 == 0 ? OTHER : PROJECT, i);
      catalog.add(backup);
    }
    server = CsbsServer.builder(catalog).clock(clock).build().start();
    client = new Client(server);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static void assertError(int status, String code, String mentions, Client.Reply reply) {
    assertEquals(status, reply.status(), reply.body());
    assertEquals("application/json; charset=utf-8", reply.header("Content-Type"), reply.body());
    assertTrue(reply.body().startsWith("{\"error_code\":\"" + code + "\",\"error_msg\":\""), reply.body());
    if (mentions != null) {
      assertTrue(reply.body().contains(mentions), mentions + " in " + reply.body());
    }
  }

  static String withSeed(String s) {
    return s + " (seed " + seed + ", replay -Dcsbs.newuser.seed=" + seed + ")";
  }

  // ------------------------------------------------------------------ the list, walked

  @Test
  void listPagesWalkedByNextLinkAreThePlainScan() {
    SplittableRandom r = new SplittableRandom(seed + 1);
    String[] statuses = {"available", "protecting", "waiting_protect", "restoring", "error", "deleting", "waiting_delete"};
    String[] sorts = {"created_at:desc", "created_at:asc", "name:asc", "name:desc,created_at:asc", "updated_at:asc",
        "status:asc,name:desc", "id:asc"};
    for (int q = 0; q < 40; q++) {
      List<String> parts = new ArrayList<>();
      if (r.nextBoolean()) {
        parts.add("status=" + statuses[r.nextInt(statuses.length)]);
      }
      if (r.nextInt(3) == 0) {
        parts.add("name=" + enc(new String[] {"été", "ÉTÉ", "auto", "straße", "ж", "_"}[r.nextInt(6)]));
      }
      if (r.nextInt(4) == 0) {
        parts.add("resource_name=" + enc(new String[] {"ECS", "été-ecs", "中文"}[r.nextInt(3)]));
      }
      if (r.nextInt(4) == 0) {
        parts.add("az=az-" + r.nextInt(3));
      }
      if (r.nextInt(4) == 0) {
        parts.add("start_time=" + enc("2024-06-01T00:00:00.5"));
      }
      if (r.nextInt(3) == 0) {
        parts.add("sort=" + enc(sorts[r.nextInt(sorts.length)]));
      }
      String filters = String.join("&", parts);
      String plainQuery = filters + (filters.isEmpty() ? "" : "&") + "limit=1000";
      Page all = catalog.query(PROJECT, ListQueryString.parse(plainQuery));
      int limit = 1 + r.nextInt(60);
      String path = v1() + "/checkpoint_items?" + filters + (filters.isEmpty() ? "" : "&") + "limit=" + limit;
      List<Backup> walked = new ArrayList<>();
      int pages = 0;
      while (path != null) {
        Client.Reply reply = client.get(path);
        assertEquals(200, reply.status(), withSeed(path + " " + reply.body()));
        walked.addAll(JSON.readCheckpointItems(reply.body(), PROJECT));
        Optional<String> next = JSON.readNextMarker(reply.body());
        path = next.isPresent() ? nextHref(reply.body()) : null;
        assertTrue(++pages < 1000, "ends");
      }
      assertEquals(ids(all.backups()), ids(walked), withSeed(filters + " limit " + limit));
      assertEquals(all.backups(), walked, withSeed(filters));
      // the count endpoint with the same filters
      Client.Reply count = client.get(v1() + "/checkpoint_items/count" + (filters.isEmpty() ? "" : "?" + filters.replaceAll("&?sort=[^&]*", "")));
      assertEquals(200, count.status(), count.body());
      String countFilters = filters.replaceAll("&?sort=[^&]*", "").replaceAll("^&", "");
      assertEquals(catalog.count(PROJECT, ListQueryString.parse(countFilters).predicate()), JSON.readCount(count.body()),
          withSeed(countFilters));
      assertEquals(all.total(), JSON.readCount(count.body()), withSeed(countFilters));
    }
  }

  static String nextHref(String body) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"href\":\"([^\"]*)\",\"rel\":\"next\"").matcher(body);
    assertTrue(m.find(), body);
    return m.group(1);
  }

  static List<String> ids(List<Backup> backups) {
    return backups.stream().map(Backup::id).toList();
  }

  @Test
  void listWithOffsetAndUnicodeParameters() {
    Page expected = catalog.query(PROJECT, ListQueryString.parse("name=%C3%A9t%C3%A9&offset=3&limit=5"));
    Client.Reply reply = client.get(v1() + "/checkpoint_items?name=%C3%A9t%C3%A9&offset=3&limit=5");
    assertEquals(200, reply.status());
    assertEquals(expected.backups(), JSON.readCheckpointItems(reply.body(), PROJECT));
    assertTrue(expected.backups().size() == 5, "enough été backups for the check");
    assertTrue(expected.backups().stream().allMatch(b -> b.name().toLowerCase(java.util.Locale.ROOT).contains("été")));
    if (expected.hasMore()) {
      String href = nextHref(reply.body());
      assertTrue(!href.contains("offset") && href.contains("marker="), href);
      assertTrue(href.startsWith(server.uri().toString().replaceAll("/$", "")), href);
    }
  }

  // ------------------------------------------------------------------ details, 404s, tenancy

  @Test
  void detailsOfEveryBackupAndNotFound() {
    List<Backup> all = catalog.query(PROJECT, Query.builder().limit(1000).build()).backups();
    for (Backup b : all) {
      Client.Reply reply = client.get(v1() + "/checkpoint_items/" + seg(b.id()));
      assertEquals(200, reply.status(), b.id() + " " + reply.body());
      assertEquals(JSON.checkpointItem(b), reply.body());
      assertEquals(b, JSON.readCheckpointItem(reply.body(), PROJECT));
    }
    Backup theirs = catalog.query(OTHER, Query.builder().limit(1).build()).backups().get(0);
    Client.Reply reply = client.get(v1() + "/checkpoint_items/" + seg(theirs.id()));
    assertError(404, "CSBS.3001", null, reply);
    assertTrue(!reply.body().contains(OTHER), reply.body());
    assertError(404, "CSBS.3001", null, client.get(v1() + "/checkpoint_items/no-such-%C3%A9"));
    assertError(404, "CSBS.3001", null, client.get(v1() + "/csbs_backup/" + seg(theirs.id()) + "/tags"));
    assertError(404, "CSBS.3001", null, client.delete(v1() + "/providers/" + PROVIDER + "/checkpoints/"
        + seg(theirs.details().checkpointId().orElse("cp")) + "?checkpoint_items=" + enc(theirs.id())));
  }

  // ------------------------------------------------------------------ tags

  @Test
  void tagCatalogueTagsOfABackupAndTagQuery() {
    assertEquals(JSON.tagCatalogue(catalog.tagCatalogue(PROJECT)), client.get(v1() + "/csbs_backup/tags").body());
    Backup b = catalog.query(PROJECT, Query.builder().where(Predicates.tagKey("ключ")).limit(1).build()).backups().get(0);
    assertEquals(JSON.tags(b.tags()), client.get(v1() + "/csbs_backup/" + seg(b.id()) + "/tags").body());
    String[] bodies = {
        "{\"action\": \"filter\", \"tags\": [{\"key\": \"ключ\", \"values\": [\"тест\", \"Prod\"]}], \"limit\": \"7\", \"offset\": 2}",
        "{\"action\": \"count\", \"tags_any\": [{\"key\": \"Env\", \"values\": []}, {\"key\": \"τ\", \"values\": [\"*\"]}]}",
        "{\"action\": \"filter\", \"not_tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}], \"matches\": [{\"key\": \"resource_name\", \"value\": \"ÉTÉ\"}]}",
        "{\"action\": \"count\", \"not_tags_any\": [{\"key\": \"app\", \"values\": [\"*-b\"]}]}",
        "{\"action\": \"filter\"}",
    };
    for (String body : bodies) {
      TagFilter filter = JSON.readTagFilter(body);
      Client.Reply reply = client.post(v1() + "/csbs_backup/resource_instances/action", body);
      assertEquals(200, reply.status(), reply.body());
      String expected = filter.action() == TagFilter.Action.COUNT
          ? JSON.tagQueryCount(catalog.count(PROJECT, filter.toPredicate()))
          : JSON.tagQueryResult(catalog.query(PROJECT, filter.toQuery()));
      assertEquals(expected, reply.body(), body);
    }
    assertError(400, "CSBS.9001", "tags[0].values[0]", client.post(v1() + "/csbs_backup/resource_instances/action",
        "{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [1]}]}"));
    assertError(400, "CSBS.9001", "body", client.post(v1() + "/csbs_backup/resource_instances/action", "{\"action\": "));
    assertError(400, "CSBS.9001", "limit", client.post(v1() + "/csbs_backup/resource_instances/action",
        "{\"action\": \"filter\", \"limit\": 0}"));
    assertError(400, "CSBS.9001", "offset", client.post(v1() + "/csbs_backup/resource_instances/action",
        "{\"action\": \"filter\", \"offset\": -1}"));
    assertError(400, "CSBS.9001", "limit", client.post(v1() + "/csbs_backup/resource_instances/action",
        "{\"action\": \"filter\", \"limit\": 1e999999999}"));
    assertError(400, "CSBS.9001", "action", client.post(v1() + "/csbs_backup/resource_instances/action",
        "{\"action\": \"FILTER\"}"));
  }

  @Test
  void tagChangesAddCreateDeleteAndMissingKey() {
    Backup b = catalog.query(PROJECT, Query.builder().where(Predicates.not(Predicates.tagKey("Ключ2"))).limit(1).offset(11).build())
        .backups().get(0);
    String tags = v1() + "/csbs_backup/" + seg(b.id()) + "/tags";
    List<Tag> before = catalog.get(PROJECT, b.id()).tags();
    Client.Reply added = client.post(tags, "{\"tag\": {\"key\": \" Ключ2 \", \"value\": \"Wert-ä\"}}");
    assertEquals(204, added.status(), added.body());
    assertEquals(Optional.of("Wert-ä"), catalog.get(PROJECT, b.id()).tagValue("Ключ2"));
    assertEquals(204, client.post(tags, "{\"tag\": {\"key\": \"Ключ2\", \"value\": \"\"}}").status());
    assertEquals(Optional.of(""), catalog.get(PROJECT, b.id()).tagValue("Ключ2"));
    // a key differing only in case is another key
    assertError(404, "CSBS.7001", null, client.delete(tags + "/" + seg("ключ2")));
    assertEquals(204, client.delete(tags + "/" + seg("Ключ2")).status());
    assertEquals(before, catalog.get(PROJECT, b.id()).tags());
    assertError(404, "CSBS.7001", null, client.delete(tags + "/" + seg("Ключ2")));
    // action create and delete
    Client.Reply created = client.post(tags + "/action",
        "{\"action\": \"create\", \"tags\": [{\"key\": \"neu_1\", \"value\": \"a\"}, {\"key\": \"neu_2\", \"value\": \"\uD835\uDC9C\"}]}");
    assertEquals(204, created.status(), created.body());
    assertEquals(Optional.of("\uD835\uDC9C"), catalog.get(PROJECT, b.id()).tagValue("neu_2"));
    Client.Reply deleted = client.post(tags + "/action",
        "{\"action\": \"delete\", \"tags\": [{\"key\": \"neu_1\"}, {\"key\": \"neu_2\", \"value\": \"\uD835\uDC9C\"}, {\"key\": \"absent\"}]}");
    assertEquals(204, deleted.status(), deleted.body());
    assertEquals(before, catalog.get(PROJECT, b.id()).tags());
    assertError(400, "CSBS.9001", "tag", client.post(tags, "{\"tag\": {\"key\": \"a b\", \"value\": \"x\"}}"));
    assertError(400, "CSBS.9001", "body", client.post(tags, "[]"));
    // a change that would leave more than 10 tags: fill up to 10, then one more
    StringBuilder fill = new StringBuilder("{\"action\": \"create\", \"tags\": [");
    StringBuilder unfill = new StringBuilder("{\"action\": \"delete\", \"tags\": [");
    for (int i = 0; i < 10 - before.size(); i++) {
      fill.append(i == 0 ? "" : ",").append("{\"key\": \"k").append(i).append("\", \"value\": \"v\"}");
      unfill.append(i == 0 ? "" : ",").append("{\"key\": \"k").append(i).append("\"}");
    }
    assertEquals(204, client.post(tags + "/action", fill + "]}").status());
    assertEquals(10, catalog.get(PROJECT, b.id()).tags().size());
    assertError(400, "CSBS.7000", null, client.post(tags, "{\"tag\": {\"key\": \"kk\", \"value\": \"x\"}}"));
    assertError(400, "CSBS.7000", null, client.post(tags + "/action",
        "{\"action\": \"create\", \"tags\": [{\"key\": \"kk\", \"value\": \"x\"}]}"));
    assertEquals(204, client.post(tags, "{\"tag\": {\"key\": \"k0\", \"value\": \"changed\"}}").status());
    assertEquals(204, client.post(tags + "/action", unfill + "]}").status());
    assertEquals(before, catalog.get(PROJECT, b.id()).tags());
    assertError(404, "CSBS.3001", null, client.post(v1() + "/csbs_backup/nope/tags", "{\"tag\": {\"key\": \"a\", \"value\": \"x\"}}"));
  }

  /**
   * A create of 11 tags, a change that would leave more than 10 tags, is 400 CSBS.7000 as CsbsServer's
   * javadoc says (the API's "request tags exceed the max allowed count"), not CSBS.9001.
   */
  @Test
  void creatingElevenTagsIs7000() {
    Backup b = catalog.query(PROJECT, Query.builder().limit(1).offset(20).build()).backups().get(0);
    StringBuilder many = new StringBuilder("{\"action\": \"create\", \"tags\": [");
    for (int i = 0; i < 11; i++) {
      many.append(i == 0 ? "" : ",").append("{\"key\": \"k").append(i).append("\", \"value\": \"v\"}");
    }
    assertError(400, "CSBS.7000", null, client.post(v1() + "/csbs_backup/" + seg(b.id()) + "/tags/action", many + "]}"));
  }

  /**
   * A value whose percent-encoding is not UTF-8 ({@code name=%C3}, {@code name=%FF}) is refused as
   * "not percent-encoded correctly" (ListQueryString's javadoc), not decoded to U+FFFD.
   */
  @Test
  void malformedUtf8PercentEncodingIsRefused() {
    assertError(400, "CSBS.9001", "name", client.get(v1() + "/checkpoint_items?name=%FF"));
  }

  @Test
  void deleteOfAKeyNoTagCanHaveIs404() {
    Backup b = catalog.query(PROJECT, Query.builder().limit(1).build()).backups().get(0);
    assertError(404, "CSBS.7001", null, client.delete(v1() + "/csbs_backup/" + seg(b.id()) + "/tags/a%20b"));
  }

  // ------------------------------------------------------------------ quotas and usage

  @Test
  void quotasAndStorageUsagePages() {
    catalog.setQuota(PROJECT, Quota.of(100_000, 1L << 40));
    assertEquals(JSON.quotas(catalog.quotaUsage(PROJECT)), client.get(v1() + "/quotas").body());
    int servers = (int) catalog.usage(PROJECT, UsageQuery.firstServers(1000)).serverCount();
    List<String> walked = new ArrayList<>();
    for (int offset = 0; offset < servers + 2; offset += 5) {
      Client.Reply reply = client.get(v1() + "/storage_usage?limit=5&offset=" + offset);
      assertEquals(200, reply.status(), reply.body());
      assertEquals(JSON.storageUsage(catalog.usage(PROJECT, UsageQuery.of(Predicates.all(), offset, 5))), reply.body());
      walked.add(reply.body());
    }
    assertEquals(JSON.storageUsage(catalog.usage(PROJECT, UsageQuery.of(Predicates.all(), 0, 1000))),
        client.get(v1() + "/storage_usage").body());
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/storage_usage?limit=0"));
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/storage_usage?limit=1001"));
    assertError(400, "CSBS.9001", "offset", client.get(v1() + "/storage_usage?offset=-1"));
    assertError(400, "CSBS.9001", "bogus", client.get(v1() + "/storage_usage?bogus=1"));
    assertError(400, "CSBS.9001", "x", client.get(v1() + "/quotas?x=1"));
  }

  // ------------------------------------------------------------------ restore and delete

  static Backup one(BackupStatus status, int skip) {
    return catalog.query(PROJECT, Query.builder().where(Predicates.status(status)).offset(skip).limit(1).build()).backups().get(0);
  }

  static String restoreBody(Backup b, String checkpoint) {
    return "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"" + checkpoint + "\", "
        + "\"parameters\": {\"checkpoint_item_id\": " + JSON.error("x", b.id()).replaceAll("^.*\"error_msg\":(\".*\")}$", "$1")
        + ", \"power_on\": false}}}";
  }

  static String deletePath(Backup b, String checkpoint) {
    return v1() + "/providers/" + PROVIDER + "/checkpoints/" + seg(checkpoint) + "?checkpoint_items=" + enc(b.id());
  }

  @Test
  void restoresAndDeletes() {
    Backup available = one(BackupStatus.AVAILABLE, 3);
    String cp = available.details().checkpointId().orElse("any");
    Client.Reply restored = client.post(v1() + "/restores", restoreBody(available, cp));
    assertEquals(200, restored.status(), restored.body());
    assertTrue(restored.body().contains("\"status\":\"in_progress\""), restored.body());
    assertEquals(BackupStatus.RESTORING, catalog.get(PROJECT, available.id()).status());
    // now busy
    assertError(400, "CSBS.2003", null, client.post(v1() + "/restores", restoreBody(available, cp)));
    assertError(400, "CSBS.2003", null, client.delete(deletePath(available, cp)));
    for (BackupStatus busy : new BackupStatus[] {BackupStatus.CREATING, BackupStatus.DELETING}) {
      Backup b = one(busy, 0);
      String bcp = b.details().checkpointId().orElse("any");
      assertError(400, "CSBS.2003", null, client.post(v1() + "/restores", restoreBody(b, bcp)));
      assertError(400, "CSBS.2003", null, client.delete(deletePath(b, bcp)));
      assertEquals(b, catalog.get(PROJECT, b.id()));
    }
    Backup error = one(BackupStatus.ERROR, 1);
    String ecp = error.details().checkpointId().orElse("any");
    assertError(400, "CSBS.4000", null, client.post(v1() + "/restores", restoreBody(error, ecp)));
    Client.Reply deleted = client.delete(deletePath(error, ecp));
    assertEquals(200, deleted.status(), deleted.body());
    assertEquals("{}", deleted.body());
    assertEquals(BackupStatus.DELETING, catalog.get(PROJECT, error.id()).status());
    Backup other = one(BackupStatus.AVAILABLE, 4);
    assertEquals(200, client.delete(deletePath(other, other.details().checkpointId().orElse("x"))).status());
    assertEquals(BackupStatus.DELETING, catalog.get(PROJECT, other.id()).status());
    Backup withCheckpoint = catalog.query(PROJECT, Query.builder().where(Predicates.status(BackupStatus.AVAILABLE))
        .limit(1000).build()).backups().stream().filter(b -> b.details().checkpointId().isPresent()).skip(2).findFirst().orElseThrow();
    assertError(404, "CSBS.3001", null, client.post(v1() + "/restores", restoreBody(withCheckpoint, "another-checkpoint")));
    assertError(404, "CSBS.3001", null, client.delete(deletePath(withCheckpoint, "another-checkpoint")));
    assertEquals(withCheckpoint, catalog.get(PROJECT, withCheckpoint.id()));
    // refusals naming the parameter
    assertError(400, "CSBS.9001", "restore.provider_id", client.post(v1() + "/restores",
        restoreBody(available, cp).replace(PROVIDER, "nope")));
    assertError(400, "CSBS.9001", "checkpoint_items", client.delete(v1() + "/providers/" + PROVIDER + "/checkpoints/x"));
    assertError(400, "CSBS.9001", "provider_id", client.delete(v1() + "/providers/nope/checkpoints/x?checkpoint_items=a"));
    assertError(404, "CSBS.3001", null, client.delete(v1() + "/providers/" + PROVIDER + "/checkpoints/x?checkpoint_items=nope"));
  }

  // ------------------------------------------------------------------ bad parameters, paths, methods

  @Test
  void badParametersAre400NamingTheParameter() {
    String list = v1() + "/checkpoint_items";
    assertError(400, "CSBS.9001", "limit '0' is invalid", client.get(list + "?limit=0"));
    assertError(400, "CSBS.9001", "limit", client.get(list + "?limit=1001"));
    assertError(400, "CSBS.9001", "offset", client.get(list + "?offset=-1"));
    assertError(400, "CSBS.9001", "status", client.get(list + "?status=paused"));
    assertError(400, "CSBS.9001", "start_time", client.get(list + "?start_time=2020-01-01"));
    assertError(400, "CSBS.9001", "sort", client.get(list + "?sort=size:asc"));
    assertError(400, "CSBS.9001", "bogus", client.get(list + "?bogus=1"));
    assertError(400, "CSBS.9001", "name", client.get(list + "?name=a&name=b"));
    assertError(400, "CSBS.9001", "marker", client.get(list + "?marker=a&offset=1"));
    assertError(400, "CSBS.9001", "marker", client.get(list + "?marker=no-such-backup"));
    assertError(400, "CSBS.9001", "sort", client.get(list + "/count?sort=name:asc"));
    assertError(400, "CSBS.9001", "limit", client.get(list + "/count?limit=3"));
    assertError(400, "CSBS.9001", "x", client.get(list + "/i1?x=1"));
  }

  @Test
  void unknownPathsAre404AndOtherMethods405WithTheErrorBody() {
    for (String path : new String[] {"/v1", "/v1/", "/v2/p/checkpoint_items", "/v1/p/nothing", "/v1/p/checkpoint_items/a/b",
        "/v1/p/checkpoint_items/", "/nothing", "/v1/p/csbs_backup"}) {
      assertError(404, "CSBS.LIB.UNKNOWN_PATH", null, client.get(path));
    }
    Client.Reply reply = client.send("PUT", v1() + "/checkpoint_items", "{}");
    assertError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, reply);
    assertEquals("GET", reply.header("Allow"));
    reply = client.send("PATCH", v1() + "/csbs_backup/x/tags", "{}");
    assertError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, reply);
    assertEquals("GET, POST", reply.header("Allow"));
    reply = client.delete(v1() + "/restores");
    assertError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, reply);
    assertEquals("POST", reply.header("Allow"));
  }

  /**
   * A path that only begins with "/console" but is not under /console/ ("/consolex", "/console.json")
   * is an unknown path: 404 with the API's error body, as README says (the JDK's server matches the
   * "/console" context by prefix).
   */
  @Test
  void pathsBeginningWithConsoleAreTheApis404() {
    for (String path : new String[] {"/consolex", "/console.json", "/console-v1/p/checkpoint_items"}) {
      assertError(404, "CSBS.LIB.UNKNOWN_PATH", null, client.get(path));
    }
  }

  @Test
  void projectIdsAreScopedAndEncoded() {
    // the project of the path is decoded: the unicode project with a space has backups
    Client.Reply reply = client.get(v1() + "/checkpoint_items/count");
    assertEquals(catalog.count(PROJECT, Predicates.all()), JSON.readCount(reply.body()));
    assertEquals(0, JSON.readCount(client.get("/v1/" + seg(PROJECT.toLowerCase(java.util.Locale.ROOT)) + "/checkpoint_items/count").body()));
    assertNotNull(reply);
  }
}
