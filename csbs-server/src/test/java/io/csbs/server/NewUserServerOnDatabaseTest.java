package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.PostgresReplica;
import io.csbs.postgres.Schema;
import io.csbs.testing.FakeClock;
import io.csbs.testing.Seeds;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A new user's review of csbs-server on a database catalog (a {@link PostgresReplica} and a bare
 * {@link PostgresCatalog} of one fresh database) against csbs-server on the in-memory catalog: the
 * same backups, the same clock, the same requests, the same answers (README "A reference server" and
 * "A durable, shared catalog"; the javadoc of {@link CsbsServer}).
 */
class NewUserServerOnDatabaseTest {
  private static final String PROVIDER = CsbsServer.PROVIDER_ID;
  /** Project ids: unicode and URI-special characters (percent-encoded in paths). */
  private static final List<String> PROJECTS = List.of("proj-ü字 #?&=+%/x", "Ωmega_proj", "p-\uE000-last");
  private static final Instant START = Instant.parse("2026-03-04T05:06:07.123456Z");

  private static EmbeddedPostgres postgres;
  private static com.zaxxer.hikari.HikariDataSource dataSource;
  private static FakeClock clock;
  private static BackupCatalog memory;
  private static PostgresCatalog database;
  private static PostgresReplica replica;
  private static CsbsServer memoryServer;
  private static CsbsServer replicaServer;
  private static CsbsServer databaseServer;
  private static Client memoryClient;
  private static Client replicaClient;
  private static Client databaseClient;
  /** Every backup added, by project: ids, names, server ids to draw requests from. */
  private static final List<List<Backup>> ADDED = new ArrayList<>();

  @BeforeAll
  static void start() throws IOException {
    postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "off")
        .setServerConfig("synchronous_commit", "off").start();
    PGSimpleDataSource physical = new PGSimpleDataSource();
    physical.setURL(postgres.getJdbcUrl("postgres", "postgres"));
    // pooled, as a service's: a connection a call opened cost more than the call
    com.zaxxer.hikari.HikariConfig pool = new com.zaxxer.hikari.HikariConfig();
    pool.setDataSource(physical);
    pool.setMaximumPoolSize(16);
    dataSource = new com.zaxxer.hikari.HikariDataSource(pool);
    Schema.migrate(dataSource);
    clock = FakeClock.at(START);
    memory = Catalogs.indexed(clock);
    database = PostgresCatalog.create(dataSource, clock);
    replica = PostgresReplica.start(database);
    for (int p = 0; p < PROJECTS.size(); p++) {
      List<Backup> backups = backups(PROJECTS.get(p), p, 45);
      memory.addAll(backups);
      replica.addAll(backups);
      ADDED.add(backups);
    }
    memoryServer = CsbsServer.builder(memory).clock(clock).build().start();
    replicaServer = CsbsServer.builder(replica).clock(clock).build().start();
    databaseServer = CsbsServer.builder(database).clock(clock).build().start();
    memoryClient = new Client(memoryServer);
    replicaClient = new Client(replicaServer);
    databaseClient = new Client(databaseServer);
  }

  @AfterAll
  static void stop() throws IOException {
    for (AutoCloseable closeable : new AutoCloseable[] {memoryServer, replicaServer, databaseServer, replica, database}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        // closing quietly: the test's answer is already known
      }
    }
    if (dataSource != null) {
      dataSource.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  // ---------------------------------------------------------------- data

  private static final String[] ID_FORMS = {"b-%d", "é-%d", "id?#&=+ %%/%d", "Ω%d", "\uE000z%d", "Zz%d", "a b%d", "ß%d", "İ%d"};
  private static final String[] NAME_FORMS = {"autobk_%d", "Ärger-%d", "ärger_%d", "straße_%d", "STRASSE_%d", "ǅ-titlecase-%d",
      "İstanbul-%d", "ıi-%d", "ÅNGSTRÖM-%d", "\uFF21fullwidth-%d"};
  private static final String[] SERVER_NAMES = {"ecs-Ärger", "ecs-straße", "ECS-İ", "ecs-_x", "ecs-ǅ"};
  private static final List<Tag> TAG_POOL = List.of(Tag.of("env", "prod"), Tag.of("env", "dév"), Tag.of("ключ", "значение"),
      Tag.of("a_b-ü", ""), Tag.of("owner", "Zoë"), Tag.of("Env", "PROD"));

  private static List<Backup> backups(String project, int p, int n) {
    Random random = new Random(1000 + p);
    List<Backup> backups = new ArrayList<>();
    BackupStatus[] states = BackupStatus.values();
    for (int i = 0; i < n; i++) {
      Instant created = START.minus(Duration.ofDays(1 + random.nextInt(40))).minus(random.nextInt(1_000_000_000), ChronoUnit.MICROS);
      if (i % 7 == 3 && i > 0) {
        created = backups.get(i - 1).createdAt();   // equal times: the id decides
      }
      BackupStatus status = states[i % states.length];
      int server = random.nextInt(SERVER_NAMES.length);
      Backup.Builder builder = Backup.builder()
          .id(String.format(ID_FORMS[i % ID_FORMS.length], i))
          .name(String.format(NAME_FORMS[random.nextInt(NAME_FORMS.length)], i % 9))
          .projectId(project)
          .server(Server.of("srv-" + server + "-ü", SERVER_NAMES[server], "az-" + (server % 2)))
          .status(status)
          .sizeMb(random.nextInt(3) == 0 ? 0 : random.nextInt(500_000))
          .createdAt(created);
      if (status.isIntermediate()) {
        builder.progress(Progress.of(random.nextInt(100), created.plus(random.nextInt(1_000_000), ChronoUnit.MICROS)));
      }
      if (status == BackupStatus.ERROR) {
        builder.failure(Failure.of(JobType.BACKUP, "disk full: ümlaut", created.plusSeconds(5)));
        builder.finishedAt(created.plusSeconds(5));
      }
      if (status == BackupStatus.AVAILABLE) {
        builder.finishedAt(created.plus(123_457, ChronoUnit.MICROS));
      }
      List<Tag> tags = new ArrayList<>();
      for (Tag tag : TAG_POOL) {
        if (random.nextInt(3) == 0 && tags.stream().noneMatch(t -> t.key().equals(tag.key()))) {
          tags.add(tag);
        }
      }
      builder.tags(tags);
      if (random.nextBoolean()) {
        builder.details(BackupDetails.builder().checkpointId("ckpt-" + (i % 4) + "-ü").incremental(random.nextBoolean()).build());
      }
      backups.add(builder.build());
    }
    return backups;
  }

  // ---------------------------------------------------------------- helpers

  static String enc(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String v1(String project) {
    return "/v1/" + enc(project);
  }

  private static final Pattern RESTORE_ID = Pattern.compile("^\\{\"restore\":\\{\"id\":\"[0-9a-f-]{36}\"");

  /** The body with the server's own address, and a restore's random id, made neutral. */
  private static String neutral(Client client, CsbsServer server, String body) {
    String base = server.uri().toString();
    String out = body.replace(base, "BASE/").replace(base.substring(0, base.length() - 1), "BASE");
    Matcher m = RESTORE_ID.matcher(out);
    return m.find() ? m.replaceFirst("{\"restore\":{\"id\":\"RANDOM\"") : out;
  }

  record Answer(int status, String body) {}

  static Answer ask(Client client, CsbsServer server, String method, String path, String body) {
    Client.Reply reply = client.send(method, path, body);
    return new Answer(reply.status(), neutral(client, server, reply.body()));
  }

  /** A read: the three servers answer alike. */
  static Answer read(String context, String method, String path, String body) {
    Answer inMemory = ask(memoryClient, memoryServer, method, path, body);
    Answer onReplica = ask(replicaClient, replicaServer, method, path, body);
    Answer onDatabase = ask(databaseClient, databaseServer, method, path, body);
    assertEquals(inMemory, onReplica, context + ": replica vs memory on " + method + " " + path + " " + body);
    assertEquals(inMemory, onDatabase, context + ": bare database vs memory on " + method + " " + path + " " + body);
    return inMemory;
  }

  static Answer get(String context, String path) {
    return read(context, "GET", path, null);
  }

  /** A write: sent to the in-memory and the replica servers (the bare one shares the replica's database). */
  static Answer write(String context, String method, String path, String body) {
    Answer inMemory = ask(memoryClient, memoryServer, method, path, body);
    Answer onReplica = ask(replicaClient, replicaServer, method, path, body);
    assertEquals(inMemory, onReplica, context + ": replica vs memory on " + method + " " + path + " " + body);
    return inMemory;
  }

  static String utc(Instant instant) {
    return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).toString();
  }

  // ---------------------------------------------------------------- tests

  @Test
  void everyReadEndpointAnswersAlikeOnTheDatabaseAndInMemory() {
    for (int p = 0; p < PROJECTS.size(); p++) {
      String v1 = v1(PROJECTS.get(p));
      get("list", v1 + "/checkpoint_items");
      assertEquals(new Answer(200, "{\"count\":45}"), get("count", v1 + "/checkpoint_items/count"), "the data is there");
      get("tags", v1 + "/csbs_backup/tags");
      get("quotas", v1 + "/quotas");
      get("usage", v1 + "/storage_usage");
      get("usage page", v1 + "/storage_usage?limit=2&offset=1");
      get("usage beyond", v1 + "/storage_usage?limit=1000&offset=99");
      for (Backup backup : ADDED.get(p).subList(0, 6)) {
        get("details", v1 + "/checkpoint_items/" + enc(backup.id()));
        get("backup tags", v1 + "/csbs_backup/" + enc(backup.id()) + "/tags");
      }
    }
  }

  @Test
  void everySortPagedByMarkerAnswersAlike() {
    String[] sorts = {"", "created_at:desc", "created_at:asc", "name:asc", "name:desc", "id:asc", "id:desc", "status:asc",
        "status:desc,name:asc", "updated_at:desc,id:asc"};
    for (String project : PROJECTS.subList(0, 2)) {
      for (String sort : sorts) {
        String path = v1(project) + "/checkpoint_items?limit=13" + (sort.isEmpty() ? "" : "&sort=" + enc(sort));
        for (int page = 0; page < 20 && path != null; page++) {
          Answer answer = get("marker paging by " + sort, path);
          assertEquals(200, answer.status(), answer.body());
          Matcher next = Pattern.compile("\"href\":\"BASE/?([^\"]*)\",\"rel\":\"next\"").matcher(answer.body());
          path = next.find() ? "/" + next.group(1) : null;
        }
        assertEquals(null, path, "paging by " + sort + " ends");
      }
    }
  }

  @Test
  void everyListFilterAnswersAlike() {
    String project = PROJECTS.get(0);
    String v1 = v1(project);
    List<String> queries = new ArrayList<>();
    for (String status : List.of("available", "protecting", "restoring", "deleting", "error", "deleted", "waiting_protect")) {
      queries.add("status=" + status);
    }
    for (String name : List.of("ärger", "ÄRGER", "straße", "STRASSE", "ss", "ǆ", "ǅ", "Ǆ", "i̇", "İ", "ı", "%", "_", "\\",
        "å", "ångström", "ａ", "\uFF41fullwidth", "autobk", "AUTOBK_1")) {
      queries.add("name=" + enc(name));
      queries.add("resource_name=" + enc(name));
    }
    Backup any = ADDED.get(0).get(5);
    queries.add("checkpoint_id=" + enc(any.id()));
    queries.add("checkpoint_id=" + enc(any.id().toUpperCase()));
    queries.add("resource_id=" + enc(any.server().id()));
    queries.add("az=az-1");
    queries.add("resource_type=" + enc(Server.NOVA_SERVER));
    queries.add("start_time=" + utc(any.createdAt()));
    queries.add("end_time=" + utc(any.createdAt()));
    queries.add("start_time=" + utc(any.createdAt()) + "&end_time=" + utc(any.createdAt()));
    queries.add("start_time=" + utc(any.createdAt().plusNanos(1)) + "&end_time=" + utc(any.createdAt().plusNanos(999)));
    queries.add("end_time=" + utc(any.createdAt().minusNanos(1)));
    queries.add("offset=3&limit=5&sort=name:asc");
    queries.add("offset=1000&limit=5");
    queries.add("marker=" + enc(any.id()) + "&limit=4");
    queries.add("marker=unknown-id&limit=4");
    queries.add("marker=" + enc(any.id()) + "&offset=1");
    queries.add("limit=0");
    queries.add("limit=1001");
    queries.add("sort=size:asc");
    queries.add("status=paused");
    queries.add("name=");
    for (String query : queries) {
      get("list " + query, v1 + "/checkpoint_items?" + query);
      if (!query.contains("marker") && !query.contains("offset") && !query.contains("limit") && !query.contains("sort")) {
        get("count " + query, v1 + "/checkpoint_items/count?" + query);
      }
    }
    get("count refuses sort", v1 + "/checkpoint_items/count?sort=name:asc");
    get("count refuses limit", v1 + "/checkpoint_items/count?limit=3");
  }

  @Test
  void tagQueriesAnswerAlike() {
    for (String project : PROJECTS) {
      String action = v1(project) + "/csbs_backup/resource_instances/action";
      for (Tag tag : TAG_POOL) {
        for (String group : List.of(List.of("tags", "tags_any", "not_tags", "not_tags_any").get(Math.floorMod(tag.hashCode() + project.length(), 4)))) {
          String pair = "[{\"key\": \"" + tag.key() + "\", \"values\": [\"" + tag.value() + "\"]}]";
          read("tag filter", "POST", action, "{\"action\": \"filter\", \"" + group + "\": " + pair + ", \"limit\": \"5\", \"offset\": \"1\"}");
          read("tag count", "POST", action, "{\"action\": \"count\", \"" + group + "\": " + pair + "}");
        }
        read("tag filter, any value", "POST", action, "{\"action\": \"filter\", \"tags\": [{\"key\": \"" + tag.key() + "\", \"values\": []}]}");
      }
      read("no tags", "POST", action, "{\"action\": \"filter\"}");
      read("bad", "POST", action, "{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [3]}]}");
      read("matches", "POST", action, "{\"action\": \"filter\", \"matches\": [{\"key\": \"resource_name\", \"value\": \"ärger\"}]}");
    }
  }

  @Test
  void errorsAnswerAlike() {
    String v1 = v1(PROJECTS.get(1));
    get("unknown backup", v1 + "/checkpoint_items/nope");
    get("another project's backup", v1 + "/checkpoint_items/" + enc(ADDED.get(0).get(0).id()));
    get("unknown project", "/v1/nobody/checkpoint_items");
    get("unknown project count", "/v1/nobody/checkpoint_items/count");
    get("unknown project quotas", "/v1/nobody/quotas");
    get("unknown project usage", "/v1/nobody/storage_usage");
    get("unknown project tags", "/v1/nobody/csbs_backup/tags");
    get("unknown path", v1 + "/nothing");
    read("method", "PUT", v1 + "/checkpoint_items", "{}");
    get("usage limit 0", v1 + "/storage_usage?limit=0");
    get("usage limit 1001", v1 + "/storage_usage?limit=1001");
    get("usage offset -1", v1 + "/storage_usage?offset=-1");
    // ids that PostgreSQL cannot hold, given to reads: not found, as any unknown id (README, csbs-postgres)
    get("NUL id", v1 + "/checkpoint_items/a%00b");
    get("lone surrogate id", v1 + "/checkpoint_items/a%ED%A0%80b");
    get("NUL marker", v1 + "/checkpoint_items?marker=a%00b");
    get("NUL tags", v1 + "/csbs_backup/a%00b/tags");
    get("NUL project", "/v1/a%00b/checkpoint_items");
    get("NUL checkpoint id filter", v1 + "/checkpoint_items?checkpoint_id=a%00b");
    get("NUL name filter", v1 + "/checkpoint_items?name=a%00b");
    get("NUL resource id", v1 + "/checkpoint_items/count?resource_id=a%00b");
    read("NUL tag query", "POST", v1 + "/csbs_backup/resource_instances/action",
        "{\"action\": \"count\", \"tags\": [{\"key\": \"env\", \"values\": [\"a\\u0000b\"]}]}");
  }

  @Test
  void randomRequestSequencesWithWritesWalkTheSameStates() {
    long seed = Seeds.pick();
    Random random = new Random(seed);
    String[] statuses = {"available", "protecting", "restoring", "deleting", "error"};
    String[] sorts = {"created_at:desc", "name:asc", "id:desc", "status:asc,name:desc", "updated_at:asc"};
    int project = 2;   // this test's own project: the other tests read the others
    String v1 = v1(PROJECTS.get(project));
    List<Backup> backups = ADDED.get(project);
    for (int step = 0; step < 50; step++) {
      String context = "seed " + seed + " (-Dcsbs.seed=" + seed + "), step " + step;
      clock.advance(Duration.of(1 + random.nextInt(5_000_000), ChronoUnit.MICROS));
      Backup backup = backups.get(random.nextInt(backups.size()));
      String id = enc(backup.id());
      Tag tag = TAG_POOL.get(random.nextInt(TAG_POOL.size()));
      switch (random.nextInt(12)) {
        case 0 -> get(context, v1 + "/checkpoint_items?limit=" + (1 + random.nextInt(20)) + "&sort=" + enc(sorts[random.nextInt(sorts.length)])
            + (random.nextBoolean() ? "&status=" + statuses[random.nextInt(5)] : "")
            + (random.nextBoolean() ? "&marker=" + id : ""));
        case 1 -> get(context, v1 + "/checkpoint_items/count" + (random.nextBoolean() ? "?status=" + statuses[random.nextInt(5)] : ""));
        case 2 -> get(context, v1 + "/checkpoint_items/" + id);
        case 3 -> {
          get(context, v1 + "/csbs_backup/tags");
          get(context, v1 + "/quotas");
          get(context, v1 + "/storage_usage?limit=" + (1 + random.nextInt(4)) + "&offset=" + random.nextInt(3));
        }
        case 4 -> write(context, "POST", v1 + "/csbs_backup/" + id + "/tags",
            "{\"tag\": {\"key\": \"" + tag.key() + "\", \"value\": \"" + tag.value() + "\"}}");
        case 5 -> write(context, "DELETE", v1 + "/csbs_backup/" + id + "/tags/" + enc(tag.key()), null);
        case 6 -> write(context, "POST", v1 + "/csbs_backup/" + id + "/tags/action",
            "{\"action\": \"" + (random.nextBoolean() ? "create" : "delete") + "\", \"tags\": [{\"key\": \"" + tag.key()
                + "\", \"value\": \"" + tag.value() + "\"}]}");
        case 7 -> write(context, "POST", v1 + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \""
            + backup.details().checkpointId().orElse("any") + "\", \"parameters\": {\"checkpoint_item_id\": \"" + backup.id() + "\"}}}");
        case 8 -> write(context, "DELETE", v1 + "/providers/" + PROVIDER + "/checkpoints/"
            + enc(backup.details().checkpointId().orElse("any")) + "?checkpoint_items=" + id, null);
        case 9 -> read(context, "POST", v1 + "/csbs_backup/resource_instances/action", "{\"action\": \"filter\", \"tags\": [{\"key\": \""
            + tag.key() + "\", \"values\": [\"" + tag.value() + "\"]}], \"limit\": \"3\"}");
        case 10 -> get(context, v1 + "/csbs_backup/" + id + "/tags");
        default -> get(context, v1 + "/checkpoint_items?name=" + enc(backup.name().substring(0, 3))
            + "&start_time=" + utc(backup.createdAt().minusSeconds(random.nextInt(86_400))));
      }
      // after each step the catalogs hold the same backup
      get(context + " after", v1 + "/checkpoint_items/" + id);
    }
    get("end: seed " + seed, v1 + "/checkpoint_items?sort=id:asc");
    get("end: seed " + seed, v1 + "/quotas");
    get("end: seed " + seed, v1 + "/storage_usage");
  }

  @Test
  void aCharacterAboveTheBmpSortsAsDocumentedOnEachCatalog() {
    String project = "supp-proj";
    List<Backup> three = new ArrayList<>();
    for (String id : List.of("\uD83D\uDE00-smile", "\uE001-private", "\uFFFD-replacement")) {
      three.add(Backup.builder().id(id).name("n-" + id.substring(id.length() - 3)).projectId(project).server(Server.of("s", "s", "az"))
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(START.minusSeconds(100)).build());
    }
    memory.addAll(three);
    replica.addAll(three);
    String path = v1(project) + "/checkpoint_items?sort=id:asc";
    String inMemory = memoryClient.get(path).body();
    String onDatabase = databaseClient.get(path).body();
    String onReplica = replicaClient.get(path).body();
    // README: "a character above U+FFFF (two chars) sorts after the chars U+E000 to U+FFFF here, before them in memory"
    assertTrue(inMemory.indexOf("\uD83D\uDE00-smile") < inMemory.indexOf("\uE001-private"), inMemory);
    assertTrue(onDatabase.indexOf("\uD83D\uDE00-smile") > onDatabase.indexOf("\uFFFD-replacement"), onDatabase);
    assertEquals(inMemory, onReplica, "the replica is an in-memory catalog: its order is String.compareTo's");
  }

  @Test
  void aWriteThroughTheBareDatabaseServerReachesTheReplicasServer() throws InterruptedException {
    String v1 = v1(PROJECTS.get(1));
    Backup backup = ADDED.get(1).get(10);
    Answer written = ask(databaseClient, databaseServer, "POST", v1 + "/csbs_backup/" + enc(backup.id()) + "/tags",
        "{\"tag\": {\"key\": \"via-db\", \"value\": \"ja\"}}");
    assertEquals(204, written.status(), written.body());
    String path = v1 + "/csbs_backup/" + enc(backup.id()) + "/tags";
    String onDatabase = databaseClient.get(path).body();
    assertTrue(onDatabase.contains("via-db"), onDatabase);
    String onReplica = "";
    for (long deadline = System.nanoTime() + 30_000_000_000L; !onReplica.equals(onDatabase) && System.nanoTime() < deadline; ) {
      onReplica = replicaClient.get(path).body();
      Thread.sleep(20);
    }
    assertEquals(onDatabase, onReplica, "the replica follows the database's feed");
    // keep the in-memory catalog in step for the other tests
    assertEquals(204, memoryClient.post(path.replace("/tags", "/tags"), "{\"tag\": {\"key\": \"via-db\", \"value\": \"ja\"}}").status());
    get("after", path);
  }

  @Test
  void detailTextsThatPostgresCannotHoldElsewhereAreKeptExactlyAndServedAlike() {
    String project = "details-proj";
    Backup odd = Backup.builder().id("nul-details").name("nul_details").projectId(project).server(Server.of("s", "s", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(START.minusSeconds(100))
        .details(BackupDetails.builder().checkpointId("ck\u0000pt\uD800x").build()).build();
    memory.add(odd);
    replica.add(odd);
    get("details with NUL and a lone surrogate", v1(project) + "/checkpoint_items/nul-details");
    assertEquals(odd.details(), database.get(project, "nul-details").details(), "kept exactly");
  }

  @Test
  void aFailingDatabaseIs503DatabaseFailure() throws Exception {
    try (java.sql.Connection admin = dataSource.getConnection(); java.sql.Statement statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE failing");
    }
    PGSimpleDataSource failing = new PGSimpleDataSource();
    failing.setURL(postgres.getJdbcUrl("postgres", "failing"));
    Schema.migrate(failing);
    try (PostgresCatalog broken = PostgresCatalog.create(failing, clock);
         CsbsServer server = CsbsServer.builder(broken).clock(clock).build().start()) {
      try (java.sql.Connection admin = failing.getConnection(); java.sql.Statement statement = admin.createStatement()) {
        statement.execute("ALTER TABLE csbs_backup RENAME TO csbs_backup_gone");
      }
      Client.Reply reply = new Client(server).get("/v1/p/checkpoint_items");
      assertEquals(503, reply.status(), reply.body());
      assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.LIB.DATABASE_FAILURE\",\"error_msg\":"), reply.body());
    }
  }

  @Test
  void boundaryTimesSizesAndTiedServersAnswerAlike() {
    String project = "bounds-proj";
    List<Backup> odd = new ArrayList<>();
    String[] times = {"0999-12-31T23:59:59.999999Z", "-0001-06-01T00:00:00.000001Z", "+10000-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z", "2026-03-04T05:06:06.999999Z"};
    for (int i = 0; i < times.length; i++) {
      odd.add(Backup.builder().id("t" + i).name("time_" + i).projectId(project).server(Server.of("srv-" + (i % 2 == 0 ? "Z" : "a"), "s", "az"))
          .status(BackupStatus.AVAILABLE).sizeMb(i < 2 ? 1_073_741_824L : 7).createdAt(Instant.parse(times[i])).build());
    }
    odd.add(Backup.builder().id("x".repeat(64)).name("n".repeat(255)).projectId(project).server(Server.of("srv-b", "s", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(0).createdAt(START.minusSeconds(1)).build());
    memory.addAll(odd);
    replica.addAll(odd);
    String v1 = v1(project);
    get("list", v1 + "/checkpoint_items?sort=created_at:asc");
    get("list", v1 + "/checkpoint_items?sort=created_at:desc&limit=2");
    for (Backup backup : odd) {
      get("details", v1 + "/checkpoint_items/" + enc(backup.id()));
    }
    get("quotas", v1 + "/quotas");
    get("usage", v1 + "/storage_usage");
    get("usage page", v1 + "/storage_usage?limit=1&offset=1");
    get("old start", v1 + "/checkpoint_items?start_time=0999-12-31T23:59:59.999999");
    get("very old start", v1 + "/checkpoint_items/count?start_time=0001-01-01T00:00:00&end_time=1970-01-01T00:00:00");
    get("end after 9999", v1 + "/checkpoint_items/count?end_time=9999-12-31T23:59:59.999999999");
  }

  /** Writes sent to the in-memory and the bare database servers (the replica follows the database). */
  static Answer writeBare(String context, String method, String path, String body) {
    Answer inMemory = ask(memoryClient, memoryServer, method, path, body);
    Answer onDatabase = ask(databaseClient, databaseServer, method, path, body);
    assertEquals(inMemory, onDatabase, context + ": bare database vs memory on " + method + " " + path + " " + body);
    return inMemory;
  }

  @Test
  void writesThroughTheBareDatabaseServerAnswerAsInMemory() {
    String project = "bare-writes";
    List<Backup> backups = backups(project, 7, 10);
    memory.addAll(backups);
    replica.addAll(backups);
    String v1 = v1(project);
    for (Backup backup : backups) {
      String id = enc(backup.id());
      clock.advance(Duration.of(17, ChronoUnit.MICROS));
      StringBuilder many = new StringBuilder();
      for (int i = 0; i < 11; i++) {
        many.append(i == 0 ? "" : ", ").append("{\"key\": \"k").append(i).append("\", \"value\": \"v\"}");
      }
      writeBare("too many tags", "POST", v1 + "/csbs_backup/" + id + "/tags/action", "{\"action\": \"create\", \"tags\": [" + many + "]}");
      writeBare("one tag", "POST", v1 + "/csbs_backup/" + id + "/tags", "{\"tag\": {\"key\": \"ünï\", \"value\": \"çödé\"}}");
      writeBare("delete absent tag", "DELETE", v1 + "/csbs_backup/" + id + "/tags/absent", null);
      writeBare("restore", "POST", v1 + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \""
          + backup.details().checkpointId().orElse("any") + "\", \"parameters\": {\"checkpoint_item_id\": \"" + backup.id() + "\", \"power_on\": null}}}");
      writeBare("delete", "DELETE", v1 + "/providers/" + PROVIDER + "/checkpoints/"
          + enc(backup.details().checkpointId().orElse("any")) + "?checkpoint_items=" + id, null);
      writeBare("delete, wrong checkpoint", "DELETE", v1 + "/providers/" + PROVIDER + "/checkpoints/other?checkpoint_items=" + id, null);
      writeBare("details (a read)", "GET", v1 + "/checkpoint_items/" + id, null);
    }
    writeBare("quotas (a read)", "GET", v1 + "/quotas", null);
    writeBare("usage (a read)", "GET", v1 + "/storage_usage", null);
    writeBare("list (a read)", "GET", v1 + "/checkpoint_items?sort=updated_at:desc", null);
    // the replica follows the database's feed, within 30 s
    Answer expected = ask(databaseClient, databaseServer, "GET", v1 + "/checkpoint_items?sort=updated_at:desc", null);
    Answer onReplica = null;
    for (long deadline = System.nanoTime() + 30_000_000_000L; !expected.equals(onReplica) && System.nanoTime() < deadline; ) {
      onReplica = ask(replicaClient, replicaServer, "GET", v1 + "/checkpoint_items?sort=updated_at:desc", null);
    }
    assertEquals(expected, onReplica, "the replica has followed");
  }

  @Test
  void aChangeDatedBeforeTheBackupsLastChangeAnswersAlike() {
    String project = "clock-back";
    List<Backup> backups = backups(project, 8, 3);
    memory.addAll(backups);
    replica.addAll(backups);
    String path = v1(project) + "/csbs_backup/" + enc(backups.get(0).id()) + "/tags";
    clock.advance(Duration.ofSeconds(1));
    write("first", "POST", path, "{\"tag\": {\"key\": \"one\", \"value\": \"1\"}}");
    Instant later = clock.instant();
    clock.set(later.minusSeconds(3600));
    try {
      write("dated before the last change", "POST", path, "{\"tag\": {\"key\": \"two\", \"value\": \"2\"}}");
    } finally {
      clock.set(later.plusSeconds(1));
    }
    get("after", path);
  }

  @Test
  void writesNamingIdsPostgresCannotHoldAnswerAsUnknownIds() {
    String v1 = v1(PROJECTS.get(1));
    for (String id : List.of("a%00b", "a%ED%A0%80b")) {
      write("tag " + id, "POST", v1 + "/csbs_backup/" + id + "/tags", "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}");
      write("tags action " + id, "POST", v1 + "/csbs_backup/" + id + "/tags/action", "{\"action\": \"delete\", \"tags\": [{\"key\": \"k\"}]}");
      write("tag delete " + id, "DELETE", v1 + "/csbs_backup/" + id + "/tags/k", null);
      write("deletion " + id, "DELETE", v1 + "/providers/" + PROVIDER + "/checkpoints/c?checkpoint_items=" + id, null);
      write("tag delete key " + id, "DELETE", v1 + "/csbs_backup/" + enc(ADDED.get(1).get(0).id()) + "/tags/" + id, null);
      write("project " + id, "POST", "/v1/" + id + "/csbs_backup/x/tags", "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}");
    }
    write("restore NUL", "POST", v1 + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER
        + "\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \"a\\u0000b\"}}}");
    write("restore surrogate", "POST", v1 + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER
        + "\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \"a\\ud800b\"}}}");
    write("tag value NUL", "POST", v1 + "/csbs_backup/" + enc(ADDED.get(1).get(1).id()) + "/tags",
        "{\"tag\": {\"key\": \"k\", \"value\": \"a\\u0000b\"}}");
  }

  @Test
  void tagQueryValuesWithWildcardsAndSqlPatternCharsAnswerAlike() {
    String action = v1(PROJECTS.get(0)) + "/csbs_backup/resource_instances/action";
    for (String value : List.of("pr_d", "%", "_", "pro%", "*", "*_", "*od", "*ÉV", "*év", "d*", "*зна*", "\\\\", "*\\\\*", "*😀",
        "PROD", "*ROD")) {
      for (String key : List.of("env", "Env", "ключ")) {
        String pair = "[{\"key\": \"" + key + "\", \"values\": [\"" + value + "\"]}]";
        read("tag count " + value, "POST", action, "{\"action\": \"count\", \"tags\": " + pair + "}");
        read("not tag count " + value, "POST", action, "{\"action\": \"count\", \"not_tags_any\": " + pair + "}");
      }
    }
    for (String keyword : List.of("_", "%", "ärger", "STRASSE", "😀", "*")) {
      read("matches " + keyword, "POST", action,
          "{\"action\": \"count\", \"matches\": [{\"key\": \"resource_name\", \"value\": \"" + keyword + "\"}]}");
    }
  }

  @Test
  void anotherProjectsBackupAndABackupNamedCountAnswerAlike() {
    String project = "count-proj";
    Backup count = Backup.builder().id("count").name("count").projectId(project).server(Server.of("s", "s", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(3).createdAt(START.minusSeconds(50)).build();
    memory.add(count);
    replica.add(count);
    String v1 = v1(project);
    assertEquals(new Answer(200, "{\"count\":1}"), get("count", v1 + "/checkpoint_items/count"));
    get("tags of count", v1 + "/csbs_backup/count/tags");
    Backup other = ADDED.get(1).get(0);
    String otherId = enc(other.id());
    write("another project's restore", "POST", v1 + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER
        + "\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \"" + other.id() + "\"}}}");
    write("another project's deletion", "DELETE", v1 + "/providers/" + PROVIDER + "/checkpoints/c?checkpoint_items=" + otherId, null);
    write("another project's tag", "POST", v1 + "/csbs_backup/" + otherId + "/tags", "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}");
    write("another project's tag delete", "DELETE", v1 + "/csbs_backup/" + otherId + "/tags/env", null);
    get("unchanged", v1(PROJECTS.get(1)) + "/checkpoint_items/" + otherId);
    write("delete count", "DELETE", v1 + "/providers/" + PROVIDER + "/checkpoints/c?checkpoint_items=count", null);
    get("count after", v1 + "/checkpoint_items?limit=5");
    read("head", "HEAD", v1 + "/checkpoint_items", null);
  }

  /** Six concurrent tag adds on one fresh backup, through {@code client}: the statuses answered. */
  private static List<String> sixConcurrentTagAdds(Client client, String project, String id) throws Exception {
    Backup backup = Backup.builder().id(id).name("shared").projectId(project).server(Server.of("s", "s", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(3).createdAt(START.minusSeconds(50)).build();
    memory.add(backup);
    replica.add(backup);
    String path = v1(project) + "/csbs_backup/" + enc(id) + "/tags";
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
    try {
      List<java.util.concurrent.Future<Client.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String body = "{\"tag\": {\"key\": \"k" + i + "\", \"value\": \"v" + i + "\"}}";
        replies.add(pool.submit(() -> client.post(path, body)));
      }
      List<String> answers = new ArrayList<>();
      for (java.util.concurrent.Future<Client.Reply> reply : replies) {
        Client.Reply answer = reply.get(30, java.util.concurrent.TimeUnit.SECONDS);
        answers.add(answer.status() == 204 ? "204" : answer.status() + " " + answer.body());
      }
      return answers;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentTagWritesOnTheBareDatabaseServerAllSucceed() throws Exception {
    for (int round = 0; round < 3; round++) {
      List<String> answers = sixConcurrentTagAdds(databaseClient, "concurrent-db", "shared-" + round);
      assertEquals(List.of("204", "204", "204", "204", "204", "204"), answers, "bare database, round " + round);
    }
  }

  // CsbsServer javadoc: "when another writer changes the backup in between, the call reads it again and tries
  // again: up to 10 tries in all": six concurrent writers, each losing at most five races, all succeed
  @Test
  void concurrentTagWritesOnTheInMemoryServerAllSucceed() throws Exception {
    for (int round = 0; round < 5; round++) {
      List<String> answers = sixConcurrentTagAdds(memoryClient, "concurrent-mem", "shared-" + round);
      assertEquals(List.of("204", "204", "204", "204", "204", "204"), answers, "memory, round " + round);
    }
  }

  @Test
  void concurrentTagWritesOnTheReplicaServerAllSucceed() throws Exception {
    for (int round = 0; round < 5; round++) {
      List<String> answers = sixConcurrentTagAdds(replicaClient, "concurrent-rep", "shared-" + round);
      assertEquals(List.of("204", "204", "204", "204", "204", "204"), answers, "replica, round " + round);
    }
  }

  @Test
  void aFinerThanMicrosecondTimeIsRefusedByTheDatabaseNamingTheField() {
    Backup nanos = Backup.builder().id("nanos-ü").name("n").projectId("nano-proj").server(Server.of("s", "s", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(START.minusSeconds(10).plusNanos(1)).build();
    InvalidValueException refused = assertThrows(InvalidValueException.class, () -> replica.add(nanos));
    assertTrue(refused.getMessage().contains("created"), refused.getMessage());
    get("nothing added", v1("nano-proj") + "/checkpoint_items/count");
  }
}
