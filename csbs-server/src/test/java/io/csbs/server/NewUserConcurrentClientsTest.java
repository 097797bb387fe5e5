package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.csbs.ErrorCode;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.lifecycle.Transition;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.TagFilter;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import io.csbs.usage.UsageQuery;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * csbs-server's HTTP API under several clients at once (the JDK's {@link HttpClient}, one request per
 * thread, started together by a latch), with csbs-json as the client's reader: valid and refused
 * requests mixed, concurrent writers on one backup, list pages walked by their {@code next} links
 * while other clients write, and, once writers stop, every answer compared with a plain-scan catalog
 * (the testkit's {@link ReferenceCatalog}, fed by the served catalog's change subscription).
 *
 * <p>The data is this class's own, not the generator's: projects and backup ids with accents, letters
 * outside the Basic Multilingual Plane, upper and lower case twins, and the URI's reserved characters
 * ({@code / ? # & = + %} and space) in ids.
 *
 * <p>Documents: README.md ("A reference server: csbs-server", "The API's JSON: csbs-json"), the
 * javadoc of {@link CsbsServer} and its {@link CsbsServer.Builder}, of {@link CsbsJson}, of {@link
 * ListQueryString}, {@link Query}, {@link Page} and {@link BackupCatalog} (paging) and {@link ErrorCode}.
 *
 * <p>Random tests are seeded: a failure names its seed; replay with {@code -Dcsbs.seed=...}
 * ({@link Seeds}).
 */
class NewUserConcurrentClientsTest {
  private static final CsbsJson JSON = CsbsJson.create();
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String JSON_TYPE = "application/json; charset=utf-8";
  private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
  private static final String PLAIN = "p-plain";
  private static final String ODD = "p-é𝔘 x";
  private static final String TWIN = "P-PLAIN";
  private static final List<String> PROJECTS = List.of(PLAIN, ODD, TWIN);
  private static final List<Server> SERVERS = List.of(
      Server.of("srv-1", "ecs-Web-01", "eu-de-01"),
      Server.of("srv-2", "ECS-dB-été", "eu-de-02"),
      Server.of("srv-3", "ecs-𝔘nicode", "eu-de-02"),
      Server.of("SRV-1", "ecs-web-01", "eu-de-03"));
  private static final List<String> NAMES = List.of(
      "autobk_a1", "AUTOBK_b2", "sauvegarde_été", "𝔘𝔫𝔦-bk", "manual-İstanbul", "bk_ÅNGSTRÖM", "x");
  private static final List<String> ID_FORMS = List.of(
      "bk-%d", "BK-%d", "é-%d", "𝔘-%d", "a b&c=d+%d", "x/y%%2F%d", "q?#%d", "%d");

  /** A shared, read-only fixture for the read tests: nothing writes it. */
  private static Fixture shared;

  @BeforeAll
  static void startShared() {
    shared = new Fixture(null);
    shared.seed(80, 7);
  }

  @AfterAll
  static void stopShared() {
    shared.close();
  }

  // ---------------------------------------------------------------------------------------------
  // fixture and helpers

  /** A fake-clocked in-memory catalog, a reference catalog following it, and a server on it. */
  static final class Fixture implements AutoCloseable {
    final FakeClock clock = FakeClock.at(T0.plus(Duration.ofDays(400)));
    final BackupCatalog catalog = Catalogs.indexed(clock);
    final ReferenceCatalog reference = ReferenceCatalog.create(clock);
    final CsbsServer server;
    final Map<String, List<Backup>> seeded = new LinkedHashMap<>();

    Fixture(java.util.concurrent.Executor executor) {
      catalog.subscribe(reference::replay);
      CsbsServer.Builder builder = CsbsServer.builder(catalog).clock(clock);
      if (executor != null) {
        builder.executor(executor);
      }
      server = builder.build().start();
    }

    /** {@code perProject} backups in each project, ids of every {@link #ID_FORMS} form. */
    void seed(int perProject, long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      List<Backup> all = new ArrayList<>();
      for (String project : PROJECTS) {
        List<Backup> backups = new ArrayList<>();
        for (int i = 0; i < perProject; i++) {
          String id = String.format(ID_FORMS.get(i % ID_FORMS.size()), i);
          backups.add(backup(project, id, NAMES.get(random.nextInt(NAMES.size())) + (i % 3 == 0 ? "" : "_" + i),
              SERVERS.get(random.nextInt(SERVERS.size())), T0.plusSeconds(i * 3600L + random.nextInt(3000)),
              randomTags(random)));
        }
        seeded.put(project, backups);
        all.addAll(backups);
      }
      catalog.addAll(all);
    }

    /** The server's URI with {@code pathAndQuery} appended as is ({@code URI.resolve} would normalise it). */
    URI uri(String pathAndQuery) {
      String base = server.uri().toString();
      return URI.create(base.substring(0, base.length() - 1) + (pathAndQuery.startsWith("/") ? "" : "/") + pathAndQuery);
    }

    Reply get(String path) {
      return send("GET", path, null);
    }

    Reply post(String path, String body) {
      return send("POST", path, body);
    }

    Reply delete(String path) {
      return send("DELETE", path, null);
    }

    Reply send(String method, String path, String body) {
      return NewUserConcurrentClientsTest.send(method, uri(path),
          body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    }

    @Override
    public void close() {
      server.close();
    }
  }

  static List<Tag> randomTags(SplittableRandom random) {
    List<Tag> tags = new ArrayList<>();
    String[] keys = {"env", "Env", "équipe", "𝔘k", "owner"};
    String[] values = {"prod", "test", "", "été", "𝔘v", "PROD"};
    int n = random.nextInt(3);
    Set<String> used = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String key = keys[random.nextInt(keys.length)];
      if (used.add(key)) {
        tags.add(Tag.of(key, values[random.nextInt(values.length)]));
      }
    }
    return tags;
  }

  static Backup backup(String project, String id, String name, Server server, Instant created, List<Tag> tags) {
    return Backup.builder()
        .id(id)
        .name(name)
        .projectId(project)
        .server(server)
        .status(BackupStatus.AVAILABLE)
        .type(BackupType.ENHANCED)
        .trigger(BackupTrigger.MANUAL)
        .sizeMb(1024 + Math.floorMod(id.hashCode(), 50_000))
        .createdAt(created)
        .addAllTags(tags)
        .build();
  }

  /** An answer: status, body and headers. */
  record Reply(int status, String body, HttpResponse<String> response) {
    String header(String name) {
      return response == null ? null : response.headers().firstValue(name).orElse(null);
    }

    String contentType() {
      return header("Content-Type");
    }

    @Override
    public String toString() {
      return status + " " + contentType() + " " + (body.length() > 300 ? body.substring(0, 300) + "..." : body);
    }
  }

  static Reply send(String method, URI uri, HttpRequest.BodyPublisher body) {
    HttpRequest request = HttpRequest.newBuilder(uri)
        .method(method, body)
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(20))
        .build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(response.statusCode(), response.body(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Percent-encodes every byte of the UTF-8 form but the URI's unreserved characters. */
  static String enc(String text) {
    StringBuilder out = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format("%02X", c));
      }
    }
    return out.toString();
  }

  static String v1(String project) {
    return "/v1/" + enc(project);
  }

  /** Runs {@code tasks} on as many threads, released together; their results in order. */
  static <T> List<T> together(int threads, IntFunction<Callable<T>> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch ready = new CountDownLatch(threads);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Callable<T> body = task.apply(i);
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          return body.call();
        }));
      }
      assertTrue(ready.await(10, TimeUnit.SECONDS), "threads ready");
      go.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        results.add(future.get(30, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** The two strings of an error body, read as a client reads them: with any JSON reader. */
  static Map<String, String> errorBody(String body) {
    Map<String, String> fields = new LinkedHashMap<>();
    try (JsonParser parser = FACTORY.createParser(body)) {
      assertEquals(JsonToken.START_OBJECT, parser.nextToken(), body);
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        assertEquals(JsonToken.VALUE_STRING, parser.nextToken(), body);
        assertTrue(fields.put(name, parser.getText()) == null, "repeated " + name + " in " + body);
      }
      assertEquals(null, parser.nextToken(), "one object: " + body);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + body, e);
    }
    assertEquals(Set.of("error_code", "error_msg"), fields.keySet(), body);
    return fields;
  }

  /** Asserts a documented error answer: status, JSON type, code, and a message starting with {@code msgStart}. */
  static void assertError(int status, String code, String msgStart, Reply reply, String context) {
    assertEquals(status, reply.status(), context + ": " + reply);
    assertEquals(JSON_TYPE, reply.contentType(), context + ": content type of " + reply);
    Map<String, String> error = errorBody(reply.body());
    assertEquals(code, error.get("error_code"), context + ": " + reply);
    if (msgStart != null) {
      assertTrue(error.get("error_msg").startsWith(msgStart), context + ": message of " + reply + " should start with " + msgStart);
    }
    if (!code.startsWith("CSBS.LIB.") || ErrorCode.ofCode(code).isPresent()) {
      // codes the library has map back; the server's own (CSBS.7000, CSBS.LIB.UNKNOWN_PATH...) need not
      ErrorCode.ofCode(code).ifPresent(c -> assertEquals(code, c.code(), context));
    }
  }

  /** The {@code href} of a list response's next link, or null. */
  static String nextHref(String body) {
    try (JsonParser parser = FACTORY.createParser(body)) {
      String href = null;
      String rel = null;
      int depth = 0;
      boolean inLinks = false;
      for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
        if (token == JsonToken.FIELD_NAME && depth == 1 && parser.currentName().equals("checkpoint_items_links")) {
          inLinks = true;
        } else if (inLinks && token == JsonToken.FIELD_NAME && parser.currentName().equals("href")) {
          parser.nextToken();
          href = parser.getText();
        } else if (inLinks && token == JsonToken.FIELD_NAME && parser.currentName().equals("rel")) {
          parser.nextToken();
          rel = parser.getText();
        }
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
          depth++;
        } else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
          depth--;
          if (depth == 1) {
            inLinks = false;
          }
        }
      }
      if (href != null) {
        assertEquals("next", rel, body);
      }
      return href;
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + body, e);
    }
  }

  static String tagBody(String key, String value) {
    return "{\"tag\": {\"key\": " + quote(key) + ", \"value\": " + quote(value) + "}}";
  }

  static String quote(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.append('"').toString();
  }

  static String restoreBody(String provider, String backupId) {
    return "{\"restore\": {\"provider_id\": " + quote(provider) + ", \"checkpoint_id\": \"cp-1\", \"parameters\": "
        + "{\"checkpoint_item_id\": " + quote(backupId) + "}}}";
  }

  static String deletePath(String project, String backupId) {
    return v1(project) + "/providers/" + CsbsServer.PROVIDER_ID + "/checkpoints/cp-1?checkpoint_items=" + enc(backupId);
  }

  /** Everything a client can see of a project, to compare before and after a refusal. */
  static String wholeProject(Fixture f, String project) {
    StringBuilder out = new StringBuilder();
    Reply list = f.get(v1(project) + "/checkpoint_items");
    assertEquals(200, list.status(), list.toString());
    out.append(list.body()).append('\n');
    out.append(f.get(v1(project) + "/csbs_backup/tags").body()).append('\n');
    out.append(f.get(v1(project) + "/quotas").body()).append('\n');
    out.append(f.get(v1(project) + "/storage_usage").body()).append('\n');
    out.append(f.catalog.sequence(project));
    return out.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // reads, valid and refused, from several clients at once

  /**
   * "Every path starts with {@code /v1/{project_id}} and every call is scoped to that project (a backup
   * of another project is 404, as an unknown one)"; "the bodies are those of CsbsJson, as {@code
   * application/json; charset=utf-8}"; "A bad parameter or body is 400 with the API's error body naming
   * it"; "unknown paths are 404 and other methods 405, with the same body" (README, CsbsServer).
   * Six clients at once send a seeded mix of valid and refused reads; each answer is checked
   * against what CsbsJson writes for the catalog's own answer, or against the documented refusal.
   */
  @Test
  void sixClientsMixingValidAndRefusedReadsEachGetTheirDocumentedAnswer() throws Exception {
    Seeds.run(Seeds.pick(), seed -> {
      try {
        List<String> failures = together(6, thread -> () -> {
          SplittableRandom random = new SplittableRandom(seed + thread);
          List<String> problems = new ArrayList<>();
          for (int i = 0; i < 20; i++) {
            try {
              oneRead(random);
            } catch (AssertionError e) {
              problems.add("thread " + thread + " request " + i + ": " + e.getMessage());
            }
          }
          return String.join("\n", problems);
        });
        String all = String.join("", failures);
        assertTrue(all.isEmpty(), all);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  private static void oneRead(SplittableRandom random) {
    String project = PROJECTS.get(random.nextInt(PROJECTS.size()));
    List<Backup> backups = shared.seeded.get(project);
    Backup some = backups.get(random.nextInt(backups.size()));
    switch (random.nextInt(12)) {
      case 0, 1 -> {
        String query = "name=" + enc(NAMES.get(random.nextInt(NAMES.size())).substring(0, 1).toUpperCase(java.util.Locale.ROOT))
            + "&limit=" + (1 + random.nextInt(30)) + (random.nextBoolean() ? "&sort=name:asc" : "");
        String path = v1(project) + "/checkpoint_items?" + query;
        Reply reply = shared.get(path);
        Page page = shared.catalog.query(project, ListQueryString.parse(query));
        assertEquals(200, reply.status(), path + " " + reply);
        assertEquals(JSON_TYPE, reply.contentType(), path);
        assertEquals(JSON.checkpointItems(page, shared.uri(path)), reply.body(), path);
        assertEquals(page.backups(), JSON.readCheckpointItems(reply.body(), project), path);
        assertEquals(page.nextMarker(), JSON.readNextMarker(reply.body()), path);
      }
      case 2 -> {
        String query = "resource_name=" + enc("WEB") + "&az=eu-de-0" + (1 + random.nextInt(3));
        Reply reply = shared.get(v1(project) + "/checkpoint_items/count?" + query);
        assertEquals(200, reply.status(), reply.toString());
        assertEquals(JSON_TYPE, reply.contentType());
        assertEquals(shared.catalog.count(project, ListQueryString.parse(query).predicate()), JSON.readCount(reply.body()), query);
      }
      case 3 -> {
        Reply reply = shared.get(v1(project) + "/checkpoint_items/" + enc(some.id()));
        assertEquals(200, reply.status(), some.id() + " " + reply);
        assertEquals(JSON_TYPE, reply.contentType());
        assertEquals(some, JSON.readCheckpointItem(reply.body(), project), some.id());
      }
      case 4 -> {
        // the same id in another project is another backup; an id no project has is unknown
        String other = project.equals(PLAIN) ? TWIN : PLAIN;
        Reply reply = shared.get(v1(other) + "/checkpoint_items/" + enc(some.id() + "-gone"));
        assertError(404, "CSBS.3001", null, reply, "unknown id");
        Reply nobody = shared.get(v1("nobody-" + random.nextInt(1000)) + "/checkpoint_items/" + enc(some.id()));
        assertError(404, "CSBS.3001", null, nobody, "project without backups");
      }
      case 5 -> {
        String limit = List.of("0", "1001", "-1", "abc", "1.5", "", "%C3%A9").get(random.nextInt(7));
        Reply reply = shared.get(v1(project) + "/checkpoint_items?status=available&limit=" + limit);
        assertError(400, "CSBS.9001", "limit '", reply, "limit=" + limit);
      }
      case 6 -> {
        String name = List.of("all_tenants", "Limit", "ip", "colour", "li%6Dit2").get(random.nextInt(5));
        Reply reply = shared.get(v1(project) + "/checkpoint_items?" + name + "=1");
        assertEquals(400, reply.status(), name + " " + reply);
        String decoded = ListQueryString.decodeParameter("n", name);
        assertError(400, "CSBS.9001", decoded + " '", reply, "unknown parameter " + name);
      }
      case 7 -> {
        Reply reply = shared.get(v1(project) + "/checkpoint_items?name=a&limit=3&name=b");
        assertError(400, "CSBS.9001", "name ", reply, "name twice");
      }
      case 8 -> {
        String path = List.of("/nothing", "/checkpoint_item", "/checkpoint_items/a/b/c", "/csbs_backup").get(random.nextInt(4));
        Reply reply = shared.get(v1(project) + path);
        assertError(404, "CSBS.LIB.UNKNOWN_PATH", null, reply, path);
        Reply outside = shared.get("/v2/" + enc(project) + "/checkpoint_items");
        assertError(404, "CSBS.LIB.UNKNOWN_PATH", null, outside, "/v2");
      }
      case 9 -> {
        String[][] wrong = {
            {"DELETE", "/checkpoint_items", "GET"},
            {"POST", "/checkpoint_items/count", "GET"},
            {"PUT", "/checkpoint_items/" + enc(some.id()), "GET"},
            {"PATCH", "/quotas", "GET"},
            {"GET", "/restores", "POST"},
            {"PUT", "/csbs_backup/tags", "GET"}};
        String[] call = wrong[random.nextInt(wrong.length)];
        Reply reply = shared.send(call[0], v1(project) + call[1], call[0].equals("GET") || call[0].equals("DELETE") ? null : "{}");
        assertError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, reply, call[0] + " " + call[1]);
        String allow = reply.header("Allow");
        assertNotNull(allow, call[0] + " " + call[1] + ": Allow header");
        assertTrue(Arrays.stream(allow.split(",")).map(String::strip).anyMatch(call[2]::equals), "Allow " + allow);
        assertFalse(Arrays.stream(allow.split(",")).map(String::strip).anyMatch(call[0]::equals), "Allow " + allow);
      }
      case 10 -> {
        String body = List.of("{", "not json", "[1,2]x", "{\"action\": \"filter\"} {}", "").get(random.nextInt(5));
        Reply reply = shared.post(v1(project) + "/csbs_backup/resource_instances/action", body);
        assertError(400, "CSBS.9001", null, reply, "tag query body " + body);
        assertTrue(errorBody(reply.body()).get("error_msg").contains("body"), "names body: " + reply);
      }
      default -> {
        String tags = "{\"action\": \"count\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}]}";
        Reply reply = shared.post(v1(project) + "/csbs_backup/resource_instances/action", tags);
        assertEquals(200, reply.status(), reply.toString());
        assertEquals(JSON_TYPE, reply.contentType());
        TagFilter filter = JSON.readTagFilter(tags);
        assertEquals(JSON.tagQueryCount(shared.catalog.count(project, filter.toPredicate())), reply.body());
      }
    }
  }

  /**
   * "Every path starts with {@code /v1/{project_id}} and every call is scoped to that project"
   * (README); "nothing of another project is ever returned, counted or hinted at" (BackupCatalog).
   * Projects {@code p-plain} and {@code P-PLAIN} hold backups with the same ids; a project id with an
   * accent, a letter outside the BMP and a space is sent percent-encoded. Each client reads its own
   * project's list, count and one backup's details at once, and gets that project's only.
   */
  @Test
  void projectsDifferingOnlyByCaseOrEncodingAreKeptApartUnderConcurrentReads() throws Exception {
    List<String> results = together(6, thread -> () -> {
      String project = PROJECTS.get(thread % PROJECTS.size());
      List<Backup> mine = shared.seeded.get(project);
      Reply count = shared.get(v1(project) + "/checkpoint_items/count");
      assertEquals(200, count.status(), count.toString());
      assertEquals(mine.size(), JSON.readCount(count.body()), project);
      Backup one = mine.get(thread * 7 % mine.size());
      Reply details = shared.get(v1(project) + "/checkpoint_items/" + enc(one.id()));
      assertEquals(200, details.status(), one.id() + " " + details);
      Backup read = JSON.readCheckpointItem(details.body(), project);
      assertEquals(one, read, project + " " + one.id());
      Reply page = shared.get(v1(project) + "/checkpoint_items?limit=1000");
      List<Backup> listed = JSON.readCheckpointItems(page.body(), project);
      assertEquals(mine.size(), listed.size(), project);
      assertTrue(listed.stream().allMatch(b -> b.projectId().equals(project)), project);
      assertEquals(new HashSet<>(mine), new HashSet<>(listed), project);
      return project;
    });
    assertEquals(6, results.size());
  }

  /**
   * "ids in a path are percent-encoded UTF-8, as in any URI ({@code /v1/p/checkpoint_items/b%C3%A9})"
   * (CsbsServer). Ids holding the URI's reserved characters (a space, {@code & = + ? #}, a {@code /}
   * and a literal {@code %2F}), accents and letters outside the BMP are each found by their
   * percent-encoded form, upper or lower case hex, by clients asking at once; the tags endpoint of
   * each finds the same backup.
   */
  @Test
  void everyIdIsFoundByItsPercentEncodedFormUnderConcurrentReads() throws Exception {
    List<Backup> backups = shared.seeded.get(ODD).subList(0, ID_FORMS.size() * 2);
    List<String> failures = together(backups.size(), i -> () -> {
      Backup backup = backups.get(i);
      String upper = enc(backup.id());
      String lower = upper.replaceAll("%([0-9A-F]{2})", "%$1").toLowerCase(java.util.Locale.ROOT).equals(upper)
          ? upper : lowerHex(upper);
      List<String> problems = new ArrayList<>();
      for (String form : List.of(upper, lower)) {
        Reply details = shared.get(v1(ODD) + "/checkpoint_items/" + form);
        if (details.status() != 200 || !backup.equals(JSON.readCheckpointItem(details.body(), ODD))) {
          problems.add(backup.id() + " as " + form + ": " + details);
        }
        Reply tags = shared.get(v1(ODD) + "/csbs_backup/" + form + "/tags");
        if (tags.status() != 200 || !tags.body().equals(JSON.tags(backup.tags()))) {
          problems.add(backup.id() + " tags as " + form + ": " + tags);
        }
      }
      return String.join("\n", problems);
    });
    String all = String.join("\n", failures).strip();
    assertTrue(all.isEmpty(), all);
  }

  private static String lowerHex(String encoded) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("%[0-9A-F]{2}").matcher(encoded);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, m.group().toLowerCase(java.util.Locale.ROOT));
    }
    m.appendTail(out);
    return out.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // writes: refusals change nothing; concurrent writers on one backup

  /**
   * "a refused change (any exception) leaves the catalog exactly as it was" (BackupCatalog); "A bad
   * parameter or body is 400 with the API's error body naming it ... a backup whose job runs refuses
   * restore and delete with 400 {@code CSBS.2003}" (README); "a tag change that would leave more than
   * 10 tags 400, {@code CSBS.7000}"; "a body over 1 MiB 413, {@code CSBS.LIB.BODY_TOO_LARGE}"; "A body
   * must be UTF-8 (else 400 naming {@code body})"; "a key the backup has no tag of: 404, {@code
   * CSBS.7001}"; "The provider must be CSBS's ... (else 400, {@code CSBS.9001}, naming {@code
   * restore.provider_id})"; "deleting a whole checkpoint without it is refused naming {@code
   * checkpoint_items}" (CsbsServer). Fourteen clients send such refused writes at once; each gets its
   * documented answer and the project reads the same before and after, its sequence unchanged.
   */
  @Test
  void concurrentRefusedWritesEachNameTheirFieldAndChangeNothing() throws Exception {
    try (Fixture f = new Fixture(null)) {
      f.seed(24, 11);
      String project = ODD;
      List<Backup> backups = f.seeded.get(project);
      Backup full = backups.get(3);
      List<Tag> ten = new ArrayList<>();
      for (int i = full.tags().size(); i < 10; i++) {
        ten.add(Tag.of("k" + i, "v"));
      }
      Backup tenTags = f.catalog.updateTags(project, full.id(), full.version(),
          io.csbs.backup.TagUpdate.create(ten));
      Backup busy = f.catalog.apply(project, backups.get(5).id(), backups.get(5).version(), Transition.restore()).orElseThrow();
      Backup plain = backups.get(6);
      String before = wholeProject(f, project);
      String tagsBefore = f.get(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags").body();

      byte[] big = new byte[1024 * 1024 + 1];
      Arrays.fill(big, (byte) ' ');
      byte[] tag = tagBody("env", "big").getBytes(StandardCharsets.UTF_8);
      System.arraycopy(tag, 0, big, 0, tag.length);
      byte[] latin1 = tagBody("équipe", "été").getBytes(StandardCharsets.ISO_8859_1);

      List<Callable<String>> calls = List.of(
          () -> check(f.post(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags", tagBody("env", "prod env")),
              400, "CSBS.9001", "tag.value", "bad tag value"),
          () -> check(f.post(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags", tagBody("", "x")),
              400, "CSBS.9001", "tag.key", "empty tag key"),
          () -> check(f.post(v1(project) + "/csbs_backup/" + enc(tenTags.id()) + "/tags", tagBody("eleventh", "x")),
              400, "CSBS.7000", null, "eleventh tag"),
          () -> check(f.post(v1(project) + "/csbs_backup/" + enc(plain.id() + "-gone") + "/tags", tagBody("env", "x")),
              404, "CSBS.3001", null, "unknown backup"),
          () -> check(f.delete(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags/" + enc("absent-key")),
              404, "CSBS.7001", null, "absent key"),
          () -> check(f.post(v1(project) + "/restores", restoreBody("not-csbs", plain.id())),
              400, "CSBS.9001", "restore.provider_id", "foreign provider"),
          () -> check(f.post(v1(project) + "/restores", restoreBody(CsbsServer.PROVIDER_ID, busy.id())),
              400, "CSBS.2003", null, "restore of a busy backup"),
          () -> check(f.delete(deletePath(project, busy.id())), 400, "CSBS.2003", null, "delete of a busy backup"),
          () -> check(f.delete(v1(project) + "/providers/" + CsbsServer.PROVIDER_ID + "/checkpoints/cp-1"),
              400, "CSBS.9001", "checkpoint_items", "delete without checkpoint_items"),
          () -> check(send("POST", f.uri(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags"),
              HttpRequest.BodyPublishers.ofByteArray(big)), 413, "CSBS.LIB.BODY_TOO_LARGE", null, "1 MiB + 1"),
          () -> check(send("POST", f.uri(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags"),
              HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))), 413,
              "CSBS.LIB.BODY_TOO_LARGE", null, "1 MiB + 1, chunked"),
          () -> check(send("POST", f.uri(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags"),
              HttpRequest.BodyPublishers.ofByteArray(latin1)), 400, "CSBS.9001", "body", "ISO-8859-1 body"),
          () -> check(f.post(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags/action",
              "{\"action\": \"rename\", \"tags\": [{\"key\": \"env\", \"value\": \"x\"}]}"),
              400, "CSBS.9001", "action", "unknown action"),
          () -> check(f.post(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags/action",
              "{\"action\": \"create\", \"tags\": [{\"key\": \"env\", \"value\": \"x\"}, {\"key\": \"env\", \"value\": \"y\"}]}"),
              400, "CSBS.9001", null, "a key twice in one create"));
      List<String> failures = together(calls.size(), i -> calls.get(i));
      String all = String.join("\n", failures).strip();
      assertTrue(all.isEmpty(), all);
      assertEquals(before, wholeProject(f, project), "the project after the refusals");
      assertEquals(tagsBefore, f.get(v1(project) + "/csbs_backup/" + enc(plain.id()) + "/tags").body());
    }
  }

  /** "" if the reply is as documented, else what is wrong. */
  private static String check(Reply reply, int status, String code, String names, String context) {
    try {
      assertError(status, code, null, reply, context);
      if (names != null) {
        String msg = errorBody(reply.body()).get("error_msg");
        assertTrue(msg.contains(names), context + ": should name " + names + ": " + reply);
      }
      return "";
    } catch (AssertionError e) {
      return e.getMessage();
    }
  }

  /**
   * "Tag changes and lifecycle operations apply to the backup's current version, read just before
   * ... when another writer changes the backup in between, the call reads it again and tries again: up
   * to 10 tries in all, the first included" (CsbsServer). Nine clients add nine different tags to
   * one backup (one tag already) at once: a try fails only when another writer's succeeded, so none
   * needs more than nine tries and every one is 204; the backup ends with the ten tags, nine
   * versions later, and the reference catalog agrees.
   */
  @Test
  void nineClientsTaggingOneBackupAtOnceAllSucceedThroughTheRetries() throws Exception {
    try (Fixture f = new Fixture(null)) {
      Backup backup = backup(ODD, "a b&c=d+é𝔘", "shared_bk", SERVERS.get(2), T0, List.of(Tag.of("équipe", "été")));
      f.catalog.add(backup);
      List<Reply> replies = together(9, i -> () -> f.post(v1(ODD) + "/csbs_backup/" + enc(backup.id()) + "/tags",
          tagBody("k" + i + (i % 2 == 0 ? "é" : "𝔘"), "v" + i)));
      for (Reply reply : replies) {
        assertEquals(204, reply.status(), reply.toString());
        assertEquals("", reply.body());
      }
      Backup after = f.catalog.get(ODD, backup.id());
      assertEquals(10, after.tags().size(), after.tags().toString());
      assertEquals(backup.version() + 9, after.version());
      Reply tags = f.get(v1(ODD) + "/csbs_backup/" + enc(backup.id()) + "/tags");
      assertEquals(JSON.tags(after.tags()), tags.body());
      assertEquals(after, f.reference.get(ODD, backup.id()));
    }
  }

  /**
   * "a tag change that would leave more than 10 tags 400, {@code CSBS.7000}" and the retries of
   * CsbsServer. A backup with seven tags, six clients each adding a different key at once: exactly
   * three are 204, the other three 400 {@code CSBS.7000}, and the backup has ten tags.
   */
  @Test
  void sixClientsAddingTagsToABackupWithRoomForThreeExactlyThreeSucceed() throws Exception {
    try (Fixture f = new Fixture(null)) {
      List<Tag> seven = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        seven.add(Tag.of("base" + i, "v"));
      }
      Backup backup = backup(PLAIN, "BK-room", "room_bk", SERVERS.get(0), T0, seven);
      f.catalog.add(backup);
      List<Reply> replies = together(6, i -> () -> f.post(v1(PLAIN) + "/csbs_backup/BK-room/tags", tagBody("new" + i, "x")));
      int ok = 0;
      for (Reply reply : replies) {
        if (reply.status() == 204) {
          ok++;
        } else {
          assertError(400, "CSBS.7000", null, reply, "over ten tags");
        }
      }
      assertEquals(3, ok, replies.toString());
      assertEquals(10, f.catalog.get(PLAIN, "BK-room").tags().size());
      assertEquals(backup.version() + 3, f.catalog.get(PLAIN, "BK-room").version());
    }
  }

  /**
   * "{@code DELETE /csbs_backup/{id}/tags/{key}}: 204; a key the backup has no tag of: 404, {@code
   * CSBS.7001}" (CsbsServer), with the retries on another writer's change. Five clients delete the
   * same key (with an accent and a letter outside the BMP, percent-encoded) at once: one 204, four
   * 404 {@code CSBS.7001}; one version more.
   */
  @Test
  void fiveClientsDeletingOneTagAtOnceOneSucceedsTheOthersFindItGone() throws Exception {
    try (Fixture f = new Fixture(null)) {
      Backup backup = backup(PLAIN, "bk-del", "del_bk", SERVERS.get(0), T0,
          List.of(Tag.of("équipe𝔘", "été"), Tag.of("env", "prod")));
      f.catalog.add(backup);
      List<Reply> replies = together(5, i -> () -> f.delete(v1(PLAIN) + "/csbs_backup/bk-del/tags/" + enc("équipe𝔘")));
      long ok = replies.stream().filter(r -> r.status() == 204).count();
      assertEquals(1, ok, replies.toString());
      for (Reply reply : replies) {
        if (reply.status() != 204) {
          assertError(404, "CSBS.7001", null, reply, "key gone");
        }
      }
      Backup after = f.catalog.get(PLAIN, "bk-del");
      assertEquals(List.of(Tag.of("env", "prod")), after.tags());
      assertEquals(backup.version() + 1, after.version());
    }
  }

  /**
   * "{@code POST .../restores}: 200, a restore starts"; "a backup whose job runs refuses restore and
   * delete with 400 {@code CSBS.2003}" (README); the retries of CsbsServer. Four clients restore and
   * four delete one Available backup at once: exactly one call is 200 (a restore answer with status
   * {@code in_progress}, or {@code {}} for the delete), the seven others 400 {@code CSBS.2003}; the
   * backup is Restoring or Deleting, one version later.
   */
  @Test
  void concurrentRestoresAndDeletesOfOneBackupExactlyOneStarts() throws Exception {
    try (Fixture f = new Fixture(null)) {
      Backup backup = backup(ODD, "x/y%2F-race", "race_bk", SERVERS.get(1), T0, List.of());
      f.catalog.add(backup);
      List<Reply> replies = together(8, i -> () -> i % 2 == 0
          ? f.post(v1(ODD) + "/restores", restoreBody(CsbsServer.PROVIDER_ID, backup.id()))
          : f.delete(deletePath(ODD, backup.id())));
      List<Reply> ok = replies.stream().filter(r -> r.status() == 200).toList();
      assertEquals(1, ok.size(), replies.toString());
      assertEquals(JSON_TYPE, ok.get(0).contentType());
      for (Reply reply : replies) {
        if (reply.status() != 200) {
          assertError(400, "CSBS.2003", null, reply, "busy");
        }
      }
      Backup after = f.catalog.get(ODD, backup.id());
      assertEquals(backup.version() + 1, after.version());
      int winner = replies.indexOf(ok.get(0));
      if (winner % 2 == 0) {
        assertEquals(BackupStatus.RESTORING, after.status());
        assertTrue(ok.get(0).body().contains("\"status\":\"in_progress\""), ok.get(0).body());
      } else {
        assertEquals(BackupStatus.DELETING, after.status());
        assertEquals("{}", ok.get(0).body());
      }
    }
  }

  /**
   * "a body over 1 MiB 413, {@code CSBS.LIB.BODY_TOO_LARGE}" (CsbsServer): a body of exactly 1 MiB
   * (a tag, padded with JSON white space) is not over and is read: 204, the tag is set.
   */
  @Test
  void aBodyOfExactlyOneMebibyteIsRead() {
    try (Fixture f = new Fixture(null)) {
      Backup backup = backup(PLAIN, "bk-mib", "mib_bk", SERVERS.get(0), T0, List.of());
      f.catalog.add(backup);
      byte[] body = new byte[1024 * 1024];
      Arrays.fill(body, (byte) ' ');
      byte[] tag = tagBody("env", "mib").getBytes(StandardCharsets.UTF_8);
      System.arraycopy(tag, 0, body, 0, tag.length);
      Reply reply = send("POST", f.uri(v1(PLAIN) + "/csbs_backup/bk-mib/tags"), HttpRequest.BodyPublishers.ofByteArray(body));
      assertEquals(204, reply.status(), reply.toString());
      assertEquals(List.of(Tag.of("env", "mib")), f.catalog.get(PLAIN, "bk-mib").tags());
    }
  }

  /**
   * "A call it refuses (a {@link java.util.concurrent.RejectedExecutionException}: a bounded queue
   * full, a pool shut down) is answered at once with 503 and the code {@code CSBS.LIB.SERVER_BUSY},
   * and a {@code Retry-After} header" (CsbsServer.Builder#executor); "with {@code Retry-After: 1}"
   * (CsbsServer). The builder's executor has one thread and no queue; the test holds that thread
   * with a latch, so every call at once is refused, writes included, which change nothing; once
   * released, the same calls are answered.
   */
  @Test
  void callsTheExecutorRefusesAre503WithRetryAfterAndChangeNothing() throws Exception {
    ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new SynchronousQueue<>());
    try (Fixture f = new Fixture(executor)) {
      Backup backup = backup(PLAIN, "bk-busy", "busy_bk", SERVERS.get(0), T0, List.of());
      f.catalog.add(backup);
      CountDownLatch hold = new CountDownLatch(1);
      CountDownLatch held = new CountDownLatch(1);
      executor.execute(() -> {
        held.countDown();
        try {
          hold.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      assertTrue(held.await(5, TimeUnit.SECONDS));
      String before = f.catalog.get(PLAIN, "bk-busy").toString();
      List<Reply> replies = together(4, i -> () -> i % 2 == 0
          ? f.post(v1(PLAIN) + "/csbs_backup/bk-busy/tags", tagBody("env", "v" + i))
          : f.get(v1(PLAIN) + "/checkpoint_items?limit=" + (i + 1)));
      for (Reply reply : replies) {
        assertError(503, "CSBS.LIB.SERVER_BUSY", null, reply, "executor full");
        assertEquals("1", reply.header("Retry-After"), reply.toString());
      }
      assertEquals(before, f.catalog.get(PLAIN, "bk-busy").toString());
      hold.countDown();
      executor.shutdown();
      assertTrue(executor.awaitTermination(5, TimeUnit.SECONDS));
    } finally {
      executor.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // paging while others write; answers once writers stop

  /**
   * "{@code GET /checkpoint_items?...}: 200, a page ...; the {@code next} link carries the page's last
   * backup as {@code marker} (an absolute URI on the request's {@code Host})" (CsbsServer); "whose
   * {@code href} is {@code request} with {@code marker} set to the page's last backup (and any {@code
   * offset} and fragment removed)" (CsbsJson#checkpointItems); "a marker ... the page continues after it
   * in the same order, even when other backups were added or removed in between, or the marker's own
   * backup changed" (Query); "a marker continues strictly after the marker backup's current place in
   * the order" (BackupCatalog).
   *
   * <p>A client walks two lists by their next links (every backup newest first; the Available ones
   * by name) while three other clients write: a service adds backups older and newer than the page,
   * and API clients change tags, and restore and delete backups of a set chosen beforehand. Writes
   * interleave with the pages (before each page the walker lets six writes go and waits for three of
 * them, by semaphores).
   * Every page before the last is full, every next link is absolute on the server's address, keeps
   * the query and carries the page's last id; the walk is in the list's order without repeats, and
   * holds every backup that existed throughout and matched throughout exactly once.
   */
  @Test
  void listPagesWalkedByNextLinksWhileOthersWriteFollowThePagingRules() throws Exception {
    Seeds.run(Seeds.pick(), seed -> {
      try (Fixture f = new Fixture(null)) {
        f.seed(60, seed);
        for (String query : List.of("limit=23", "status=available&sort=name:asc&limit=17&offset=0")) {
          walkWhileWriting(f, seed, ODD, query);
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  private static void walkWhileWriting(Fixture f, long seed, String project, String query) throws Exception {
    List<Backup> initial = f.catalog.query(project, Query.builder().limit(1000).build()).backups();
    SplittableRandom pick = new SplittableRandom(seed ^ query.hashCode());
    Set<String> volatileIds = new HashSet<>();
    for (Backup b : initial) {
      if (pick.nextInt(4) == 0) {
        volatileIds.add(b.id());
      }
    }
    List<String> volatileList = new ArrayList<>(volatileIds);
    List<Backup> stable = initial.stream().filter(b -> !volatileIds.contains(b.id())).toList();
    Query parsed = ListQueryString.parse(query.replace("&offset=0", ""));
    Set<String> mustSee = new HashSet<>();
    for (Backup b : stable) {
      if (parsed.predicate().test(b, f.clock)) {
        mustSee.add(b.id());
      }
    }
    AtomicBoolean stop = new AtomicBoolean();
    Semaphore written = new Semaphore(0);
    Semaphore allowed = new Semaphore(0);
    AtomicInteger added = new AtomicInteger();
    ConcurrentHashMap<String, Integer> odd = new ConcurrentHashMap<>();
    ExecutorService writers = Executors.newFixedThreadPool(3);
    List<Future<?>> running = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      int writer = w;
      running.add(writers.submit(() -> {
        SplittableRandom random = new SplittableRandom(seed + 31 * writer + query.length());
        while (!stop.get()) {
          if (!allowed.tryAcquire(50, TimeUnit.MILLISECONDS)) {
            continue;
          }
          if (writer == 0) {
            int n = added.incrementAndGet();
            Instant created = T0.plusSeconds(random.nextLong(-30 * 86_400L, 200 * 86_400L)).plusMillis(n);
            f.catalog.add(backup(project, "new-" + query.length() + "-" + n, NAMES.get(random.nextInt(NAMES.size())),
                SERVERS.get(random.nextInt(SERVERS.size())), created, randomTags(random)));
          } else if (writer == 1) {
            Backup b = stable.get(random.nextInt(stable.size()));
            Reply reply = f.post(v1(project) + "/csbs_backup/" + enc(b.id()) + "/tags/action",
                "{\"action\": \"" + (random.nextBoolean() ? "create" : "delete") + "\", \"tags\": [{\"key\": \"w"
                    + random.nextInt(3) + "\", \"value\": \"é𝔘\"}]}");
            if (reply.status() != 204) {
              odd.merge("tags " + reply, 1, Integer::sum);
            }
          } else {
            String id = volatileList.get(random.nextInt(volatileList.size()));
            Reply reply = random.nextBoolean()
                ? f.post(v1(project) + "/restores", restoreBody(CsbsServer.PROVIDER_ID, id))
                : f.delete(deletePath(project, id));
            if (reply.status() != 200 && !(reply.status() == 400 && reply.body().contains("CSBS.2003"))) {
              odd.merge("lifecycle " + reply, 1, Integer::sum);
            }
          }
          written.release();
        }
        return null;
      }));
    }
    List<Backup> walked = new ArrayList<>();
    try {
      String path = v1(project) + "/checkpoint_items?" + query;
      URI next = f.uri(path);
      int limit = parsed.limit();
      for (int pages = 0; next != null; pages++) {
        allowed.release(6);   // three writes before the page, up to three more beside it
        assertTrue(written.tryAcquire(3, 10, TimeUnit.SECONDS), "writers write");
        Reply reply = send("GET", next, HttpRequest.BodyPublishers.noBody());
        assertEquals(200, reply.status(), next + " " + reply);
        assertEquals(JSON_TYPE, reply.contentType());
        List<Backup> page = JSON.readCheckpointItems(reply.body(), project);
        walked.addAll(page);
        String href = nextHref(reply.body());
        Optional<String> marker = JSON.readNextMarker(reply.body());
        if (href == null) {
          assertTrue(marker.isEmpty());
          next = null;
        } else {
          assertEquals(limit, page.size(), "a page with a next link is full: " + next);
          assertEquals(Optional.of(page.get(page.size() - 1).id()), marker, "the marker is the page's last id");
          URI link = URI.create(href);
          assertTrue(link.isAbsolute(), href);
          assertEquals(f.server.uri().getAuthority(), link.getRawAuthority(), href);
          assertEquals(f.uri(path).getRawPath(), link.getRawPath(), href);
          Map<String, String> params = params(link.getRawQuery());
          Map<String, String> asked = params(query);
          asked.remove("offset");
          asked.remove("marker");
          params.remove("marker");
          assertEquals(asked, params, "the link keeps the query but offset and marker: " + href);
          next = link;
        }
        assertTrue(pages < 200, "too many pages");
      }
    } finally {
      stop.set(true);
      for (Future<?> future : running) {
        future.get(20, TimeUnit.SECONDS);
      }
      writers.shutdown();
    }
    assertTrue(odd.isEmpty(), "writers' unexpected answers: " + odd);
    Sort sort = parsed.sort();
    for (int i = 1; i < walked.size(); i++) {
      assertTrue(sort.comparator().compare(walked.get(i - 1), walked.get(i)) < 0,
          query + ": out of order at " + i + ": " + walked.get(i - 1).id() + " then " + walked.get(i).id());
    }
    Map<String, Integer> seen = new HashMap<>();
    walked.forEach(b -> seen.merge(b.id(), 1, Integer::sum));
    seen.forEach((id, n) -> assertEquals(1, n, query + ": " + id + " seen " + n + " times"));
    Set<String> missing = new HashSet<>(mustSee);
    missing.removeAll(seen.keySet());
    assertTrue(missing.isEmpty(), query + ": never seen though there and matching throughout: " + missing);
  }

  private static Map<String, String> params(String rawQuery) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : rawQuery.split("&")) {
      if (!pair.isEmpty()) {
        int eq = pair.indexOf('=');
        out.put(ListQueryString.decodeParameter("name", pair.substring(0, eq)),
            ListQueryString.decodeParameter("value", pair.substring(eq + 1)));
      }
    }
    return out;
  }

  /**
   * "a marker whose backup was removed is refused, naming {@code marker}" (Query) and "A bad parameter
   * ... is 400 with the API's error body naming it" (README): a client holds a next link while another
   * client deletes the marker's backup through the API and the job completes (the backup is gone); the
   * link is then 400 {@code CSBS.9001} naming {@code marker}. A next link whose marker backup was only
   * restored meanwhile still continues after it.
   */
  @Test
  void aNextLinkWhoseMarkerBackupIsGoneIsRefusedNamingMarker() {
    try (Fixture f = new Fixture(null)) {
      f.seed(40, 5);
      String path = v1(ODD) + "/checkpoint_items?limit=5";
      Reply first = f.get(path);
      String marker = JSON.readNextMarker(first.body()).orElseThrow();
      Reply deleted = f.delete(deletePath(ODD, marker));
      assertEquals(200, deleted.status(), deleted.toString());
      Backup deleting = f.catalog.get(ODD, marker);
      f.catalog.apply(ODD, marker, deleting.version(), Transition.complete());
      assertTrue(f.catalog.find(ODD, marker).isEmpty());
      Reply refused = send("GET", URI.create(nextHref(first.body())), HttpRequest.BodyPublishers.noBody());
      assertError(400, "CSBS.9001", "marker '", refused, "gone marker");

      Reply second = send("GET", f.uri(path + "&status=available"), HttpRequest.BodyPublishers.noBody());
      String marker2 = JSON.readNextMarker(second.body()).orElseThrow();
      Backup b = f.catalog.get(ODD, marker2);
      f.catalog.apply(ODD, marker2, b.version(), Transition.restore());
      Reply after = send("GET", URI.create(nextHref(second.body())), HttpRequest.BodyPublishers.noBody());
      assertEquals(200, after.status(), after.toString());
      Page expected = f.catalog.query(ODD, ListQueryString.parse("limit=5&status=available&marker=" + enc(marker2)));
      assertEquals(expected.backups(), JSON.readCheckpointItems(after.body(), ODD));
    }
  }

  /**
   * "Implementations are safe for concurrent readers and writers ... no update is lost"
   * (BackupCatalog) and the server's "Tag changes and lifecycle operations apply to the backup's
   * current version" (CsbsServer): after four API clients have changed tags, restored and deleted
   * backups at once (and a service added backups), the server's answers (lists by next links, counts,
   * details and tags of backups drawn among all, the tag catalogue, tag queries, storage usage and quotas) equal
   * CsbsJson's writing of a plain-scan catalog fed by the served catalog's changes.
   */
  @Test
  void onceWritersStopEveryAnswerEqualsAReferenceCatalogs() throws Exception {
    Seeds.run(Seeds.pick(), seed -> {
      try (Fixture f = new Fixture(null)) {
        f.seed(60, seed);
        String project = ODD;
        List<Backup> initial = f.seeded.get(project);
        together(4, thread -> () -> {
          SplittableRandom random = new SplittableRandom(seed * 7 + thread);
          for (int i = 0; i < 15; i++) {
            Backup b = initial.get(random.nextInt(initial.size()));
            String id = enc(b.id());
            switch (random.nextInt(6)) {
              case 0 -> f.post(v1(project) + "/csbs_backup/" + id + "/tags", tagBody("t" + random.nextInt(4), "v" + thread));
              case 1 -> f.delete(v1(project) + "/csbs_backup/" + id + "/tags/t" + random.nextInt(4));
              case 2 -> f.post(v1(project) + "/csbs_backup/" + id + "/tags/action",
                  "{\"action\": \"delete\", \"tags\": [{\"key\": \"env\"}, {\"key\": \"Env\", \"value\": \"PROD\"}]}");
              case 3 -> f.post(v1(project) + "/restores", restoreBody(CsbsServer.PROVIDER_ID, b.id()));
              case 4 -> f.delete(deletePath(project, b.id()));
              default -> f.catalog.add(backup(project, "late-" + thread + "-" + i, "late_é𝔘",
                  SERVERS.get(random.nextInt(SERVERS.size())), T0.plusSeconds(random.nextLong(0, 90 * 86_400L)).plusMillis(i),
                  randomTags(random)));
            }
          }
          return null;
        });
        assertEquals(f.catalog.sequence(project), f.reference.sequence(project));
        SplittableRandom random = new SplittableRandom(seed);
        // details and tags of 20 backups drawn among all
        List<Backup> everyBackup = f.reference.query(project, Query.builder().limit(1000).build()).backups();
        for (int n = 0; n < 20; n++) {
          Backup b = everyBackup.get(random.nextInt(everyBackup.size()));
          Reply details = f.get(v1(project) + "/checkpoint_items/" + enc(b.id()));
          assertEquals(JSON.checkpointItem(b), details.body(), b.id());
          assertEquals(JSON.tags(b.tags()), f.get(v1(project) + "/csbs_backup/" + enc(b.id()) + "/tags").body(), b.id());
        }
        // lists walked by next links, and counts
        for (int q = 0; q < 4; q++) {
          String filters = List.of("", "status=available", "status=protecting", "status=restoring", "status=deleting",
              "name=" + enc("É"), "resource_name=" + enc("𝔘"), "az=eu-de-02").get(random.nextInt(8));
          String sort = List.of("", "sort=name:asc", "sort=created_at:asc", "sort=name:desc,created_at:asc").get(random.nextInt(4));
          String query = String.join("&", List.of(filters, sort, "limit=" + (8 + random.nextInt(30)))).replaceAll("^&+|&+(?=&)", "");
          Query parsed = ListQueryString.parse(query);
          List<Backup> expected = f.reference.query(project, parsed.toBuilder().limit(1000).build()).backups();
          List<Backup> walked = new ArrayList<>();
          URI next = f.uri(v1(project) + "/checkpoint_items?" + query);
          while (next != null) {
            Reply reply = send("GET", next, HttpRequest.BodyPublishers.noBody());
            assertEquals(200, reply.status(), next + " " + reply);
            walked.addAll(JSON.readCheckpointItems(reply.body(), project));
            String href = nextHref(reply.body());
            next = href == null ? null : URI.create(href);
          }
          assertEquals(expected, walked, query);
          String countQuery = filters;
          Reply count = f.get(v1(project) + "/checkpoint_items/count" + (countQuery.isEmpty() ? "" : "?" + countQuery));
          assertEquals(JSON.count(f.reference.count(project, parsed.predicate())), count.body(), countQuery);
        }
        assertEquals(JSON.tagCatalogue(f.reference.tagCatalogue(project)), f.get(v1(project) + "/csbs_backup/tags").body());
        for (String body : List.of(
            "{\"action\": \"filter\", \"tags\": [{\"key\": \"t1\"}], \"limit\": 7}",
            "{\"action\": \"count\", \"tags_any\": [{\"key\": \"t0\", \"values\": [\"v1\", \"v2\"]}]}",
            "{\"action\": \"filter\", \"not_tags\": [{\"key\": \"équipe\"}], \"offset\": \"3\", \"limit\": \"5\"}")) {
          TagFilter filter = JSON.readTagFilter(body);
          String expected = filter.action() == TagFilter.Action.COUNT
              ? JSON.tagQueryCount(f.reference.count(project, filter.toPredicate()))
              : JSON.tagQueryResult(f.reference.query(project, filter.toQuery()));
          assertEquals(expected, f.post(v1(project) + "/csbs_backup/resource_instances/action", body).body(), body);
        }
        assertEquals(JSON.storageUsage(f.reference.usage(project, UsageQuery.of(Predicates.all(), 1, 2))),
            f.get(v1(project) + "/storage_usage?limit=2&offset=1").body());
        assertEquals(JSON.quotas(f.reference.quotaUsage(project)), f.get(v1(project) + "/quotas").body());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // methods the API paths do not serve

  /**
   * "a method the path does not serve 405, {@code CSBS.LIB.METHOD_NOT_ALLOWED}, with an {@code Allow}
   * header" (CsbsServer); the console's paths serve {@code GET} and {@code HEAD}, the API's table
   * lists {@code GET} for the list. {@code OPTIONS} on API paths, from several clients at once, is
   * 405 with the API's body and an {@code Allow} header naming the path's methods.
   */
  @Test
  void optionsOnApiPathsIs405WithAllowUnderConcurrentClients() throws Exception {
    String[][] paths = {
        {"/checkpoint_items", "GET"},
        {"/checkpoint_items/bk-1", "GET"},
        {"/csbs_backup/bk-1/tags", "GET, POST"},
        {"/csbs_backup/bk-1/tags/env", "DELETE"},
        {"/restores", "POST"},
        {"/csbs_backup/resource_instances/action", "POST"}};
    List<String> failures = together(paths.length, i -> () -> {
      Reply reply = shared.send("OPTIONS", v1(PLAIN) + paths[i][0], null);
      String result = check(reply, 405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, "OPTIONS " + paths[i][0]);
      String allow = reply.header("Allow");
      Set<String> methods = allow == null ? Set.of() : new HashSet<>(Arrays.stream(allow.split(",")).map(String::strip).toList());
      Set<String> expected = new HashSet<>(Arrays.stream(paths[i][1].split(",")).map(String::strip).toList());
      if (!methods.containsAll(expected) || methods.contains("OPTIONS")) {
        result += " Allow " + allow + " for " + paths[i][0];
      }
      return result;
    });
    String all = String.join("\n", failures).strip();
    assertTrue(all.isEmpty(), all);
  }

  /**
   * "a method the path does not serve 405 ... with an {@code Allow} header" (CsbsServer), for {@code
   * HEAD} on an API path: the API's paths are listed for {@code GET} only (the console's paths
   * "serve {@code GET} and {@code HEAD}"), so {@code HEAD} on the list is 405 with {@code Allow}
   * (a HEAD answer carries no body).
   */
  @Test
  void headOnTheApiListIs405WithAllow() {
    Reply reply = shared.send("HEAD", v1(PLAIN) + "/checkpoint_items", null);
    assertEquals(405, reply.status(), reply.toString());
    assertNotNull(reply.header("Allow"), reply.toString());
    assertTrue(reply.header("Allow").contains("GET"), reply.header("Allow"));
  }

  // ---------------------------------------------------------------------------------------------
  // refused bodies and the connections they came on

  /**
   * "a body over 1 MiB 413, {@code CSBS.LIB.BODY_TOO_LARGE}"; "a method the path does not serve 405";
   * "unknown paths are 404"; "a body that is not JSON names {@code body}" (CsbsServer, README). Each
   * of four clients, one connection each (the JDK's client keeps it alive), sends refused calls whose
   * bodies the server need not read (too large, to a path that takes none, to an unknown path, not
   * JSON from its first byte) and after each a valid list request: every refusal has its documented
   * answer and every list request after it its page, so no unread body is taken for the next request.
   */
  @Test
  void aConnectionServesTheNextRequestRightAfterARefusedBody() throws Exception {
    try (Fixture f = new Fixture(null)) {
      f.seed(12, 3);
      String list = v1(PLAIN) + "/checkpoint_items?limit=4";
      String expected = JSON.checkpointItems(f.catalog.query(PLAIN, ListQueryString.parse("limit=4")), f.uri(list));
      byte[] big = new byte[1024 * 1024 + 1];
      Arrays.fill(big, (byte) 'x');
      byte[] medium = new byte[100 * 1024];
      Arrays.fill(medium, (byte) 'y');
      String id = enc(f.seeded.get(PLAIN).get(0).id());
      List<String> failures = together(4, thread -> () -> {
        HttpClient own = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<String> problems = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
          Object[][] refusals = {
              {"POST", v1(PLAIN) + "/csbs_backup/" + id + "/tags", big, 413, "CSBS.LIB.BODY_TOO_LARGE"},
              {"POST", v1(PLAIN) + "/checkpoint_items", medium, 405, "CSBS.LIB.METHOD_NOT_ALLOWED"},
              {"POST", v1(PLAIN) + "/no/such/path", medium, 404, "CSBS.LIB.UNKNOWN_PATH"},
              {"POST", v1(PLAIN) + "/csbs_backup/" + id + "/tags", medium, 400, "CSBS.9001"}};
          for (Object[] refusal : refusals) {
            Reply refused = sendWith(own, (String) refusal[0], f.uri((String) refusal[1]), (byte[]) refusal[2]);
            problems.add(check(refused, (Integer) refusal[3], (String) refusal[4], null, refusal[0] + " " + refusal[1]));
            Reply after = sendWith(own, "GET", f.uri(list), null);
            if (after.status() != 200 || !after.body().equals(expected)) {
              problems.add("after " + refusal[0] + " " + refusal[1] + ": " + after);
            }
          }
        }
        return String.join("\n", problems).strip();
      });
      String all = String.join("\n", failures).strip();
      assertTrue(all.isEmpty(), all);
    }
  }

  private static Reply sendWith(HttpClient client, String method, URI uri, byte[] body) {
    HttpRequest request = HttpRequest.newBuilder(uri)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(20))
        .build();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(response.statusCode(), response.body(), response);
    } catch (IOException e) {
      return new Reply(-1, e.toString(), null);   // a connection the server broke: a failure of the check
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * "the {@code next} link carries the page's last backup as {@code marker} (an absolute URI on the
   * request's {@code Host})" (CsbsServer): clients asking by {@code localhost} and by {@code
   * 127.0.0.1} at once each get links on the host they asked.
   */
  @Test
  void nextLinksNameTheHostEachClientAsked() throws Exception {
    List<String> failures = together(4, i -> () -> {
      String host = i % 2 == 0 ? "localhost" : "127.0.0.1";
      URI uri = URI.create("http://" + host + ":" + shared.server.port() + v1(ODD) + "/checkpoint_items?limit=3");
      Reply reply = send("GET", uri, HttpRequest.BodyPublishers.noBody());
      String href = nextHref(reply.body());
      URI link = href == null ? null : URI.create(href);
      return link != null && (host + ":" + shared.server.port()).equals(link.getRawAuthority())
          && link.getRawPath().equals(uri.getRawPath()) ? "" : host + ": " + href;
    });
    String all = String.join("\n", failures).strip();
    assertTrue(all.isEmpty(), all);
  }

  /**
   * "Every method that names a project refuses a blank project id with an {@link
   * io.csbs.backup.InvalidValueException} naming {@code project id}" (BackupCatalog) and "A bad
   * parameter or body is 400 with the API's error body naming it" (README): a path whose project id
   * is blank (a percent-encoded space) is 400 {@code CSBS.9001} naming {@code project id}, for reads
   * and writes alike.
   */
  @Test
  void aBlankProjectIdInThePathIs400NamingIt() throws Exception {
    List<String> paths = List.of("/v1/%20/checkpoint_items", "/v1/%20/checkpoint_items/count", "/v1/%20/quotas",
        "/v1/%09/csbs_backup/tags", "/v1/%20/checkpoint_items/bk-1");
    List<String> failures = together(paths.size(), i -> () -> check(shared.get(paths.get(i)), 400, "CSBS.9001",
        "project id", paths.get(i)));
    String all = String.join("\n", failures).strip();
    assertTrue(all.isEmpty(), all);
  }

  /**
   * "{@code href} is {@code request} with {@code marker} set to the page's last backup" (CsbsJson),
   * "every parameter of ListQueryString" (README): a list filtered by a server name holding the URI's
   * reserved characters ({@code + & = %}, a space, written {@code +} and {@code %20}), walked by its
   * next links, gives the same backups as the whole list of the reference catalog: the links keep the
   * filter's meaning.
   */
  @Test
  void nextLinksKeepAFilterHoldingReservedCharacters() {
    try (Fixture f = new Fixture(null)) {
      Server odd = Server.of("srv-odd", "web+db & x=1 %41 été", "eu-de-01");
      Server twin = Server.of("srv-twin", "web db & x=1 A été", "eu-de-01");
      for (int i = 0; i < 30; i++) {
        f.catalog.add(backup(PLAIN, "o-" + i, "odd_" + i, i % 2 == 0 ? odd : twin, T0.plusSeconds(i * 60L), List.of()));
      }
      for (String filter : List.of("resource_name=" + enc("web+db & x=1 %41"), "resource_name=web%2Bdb+%26+x%3D1+%2541",
          "resource_name=" + enc("web db & x=1 a"))) {
        Query parsed = ListQueryString.parse(filter);
        List<Backup> expected = f.reference.query(PLAIN, parsed).backups();
        assertFalse(expected.isEmpty(), filter);
        List<Backup> walked = new ArrayList<>();
        URI next = f.uri(v1(PLAIN) + "/checkpoint_items?" + filter + "&limit=4");
        while (next != null) {
          Reply reply = send("GET", next, HttpRequest.BodyPublishers.noBody());
          assertEquals(200, reply.status(), next + " " + reply);
          walked.addAll(JSON.readCheckpointItems(reply.body(), PLAIN));
          String href = nextHref(reply.body());
          next = href == null ? null : URI.create(href);
          assertTrue(walked.size() <= 30, filter + ": walked too far");
        }
        assertEquals(expected.stream().map(Backup::id).toList(), walked.stream().map(Backup::id).toList(), filter);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // one state per call while writers change states and tags

  /**
   * "The catalog is safe for concurrent readers and writers: each call sees one state" (README);
   * "a query sees one consistent state, never half of a change" (BackupCatalog); "a search that
   * begins after a change has ended sees it" (CHANGELOG, the in-memory catalog's lock-free reads of
   * pages in creation order and counts by state). While three API clients restore and delete
   * Available backups (which only ever leaves fewer Available ones) and add and remove a tag {@code
   * hot}, each of three reading clients reads in turn the Available count, the Available list and the
   * tag query of {@code hot}: every listed backup is Available, every tag query's page holds exactly
   * its {@code total_count} backups, each with the tag, and the counts and list sizes a client reads
   * one after the other never grow. Seeded.
   */
  @Test
  void eachCallSeesOneStateWhileWritersChangeStatesAndTags() throws Exception {
    Seeds.run(Seeds.pick(), seed -> {
      try (Fixture f = new Fixture(null)) {
        f.seed(60, seed);
        String project = TWIN;
        List<Backup> backups = f.seeded.get(project);
        AtomicInteger writersLeft = new AtomicInteger(3);
        String hotQuery = "{\"action\": \"filter\", \"tags\": [{\"key\": \"hot\"}]}";
        List<String> results = together(6, thread -> () -> {
          SplittableRandom random = new SplittableRandom(seed + thread);
          List<String> problems = new ArrayList<>();
          if (thread < 3) {
            try {
              for (int i = 0; i < 25; i++) {
                Backup b = backups.get(random.nextInt(backups.size()));
                Reply reply = switch (random.nextInt(4)) {
                  case 0 -> f.post(v1(project) + "/restores", restoreBody(CsbsServer.PROVIDER_ID, b.id()));
                  case 1 -> f.delete(deletePath(project, b.id()));
                  case 2 -> f.post(v1(project) + "/csbs_backup/" + enc(b.id()) + "/tags", tagBody("hot", "x" + thread));
                  default -> f.post(v1(project) + "/csbs_backup/" + enc(b.id()) + "/tags/action",
                      "{\"action\": \"delete\", \"tags\": [{\"key\": \"hot\"}]}");
                };
                if (reply.status() != 200 && reply.status() != 204 && !reply.body().contains("CSBS.2003")) {
                  problems.add("writer: " + reply);
                }
              }
            } finally {
              writersLeft.decrementAndGet();
            }
          } else {
            long last = Long.MAX_VALUE;
            int rounds = 0;
            while (writersLeft.get() > 0 || rounds < 3) {
              rounds++;
              long count = JSON.readCount(f.get(v1(project) + "/checkpoint_items/count?status=available").body());
              if (count > last) {
                problems.add("count " + count + " after " + last);
              }
              last = count;
              List<Backup> listed = JSON.readCheckpointItems(
                  f.get(v1(project) + "/checkpoint_items?status=available&limit=1000").body(), project);
              if (listed.size() > last) {
                problems.add("list of " + listed.size() + " after a count of " + last);
              }
              last = listed.size();
              listed.stream().filter(b -> b.status() != BackupStatus.AVAILABLE)
                  .forEach(b -> problems.add("listed as available: " + b.id() + " " + b.status()));
              Map<String, Object> answer = tree(f.post(v1(project) + "/csbs_backup/resource_instances/action", hotQuery).body());
              List<?> resources = (List<?>) answer.get("resources");
              long total = ((Number) answer.get("total_count")).longValue();
              if (resources.size() != total) {
                problems.add("tag query page of " + resources.size() + " with total_count " + total);
              }
              for (Object resource : resources) {
                List<?> tags = (List<?>) ((Map<?, ?>) resource).get("tags");
                if (tags.stream().noneMatch(t -> "hot".equals(((Map<?, ?>) t).get("key")))) {
                  problems.add("tag query match without hot: " + ((Map<?, ?>) resource).get("resource_id"));
                }
              }
            }
          }
          return String.join("\n", problems).strip();
        });
        String all = String.join("\n", results).strip();
        assertTrue(all.isEmpty(), all);
        assertEquals(JSON.count(f.reference.count(project, ListQueryString.parse("status=available").predicate())),
            f.get(v1(project) + "/checkpoint_items/count?status=available").body());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  /** The JSON text as maps, lists, strings, numbers, booleans and nulls. */
  @SuppressWarnings("unchecked")
  static <T> T tree(String json) {
    try (JsonParser parser = FACTORY.createParser(json)) {
      parser.nextToken();
      return (T) value(parser);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  private static Object value(JsonParser parser) throws IOException {
    switch (parser.currentToken()) {
      case START_OBJECT -> {
        Map<String, Object> map = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          map.put(name, value(parser));
        }
        return map;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          list.add(value(parser));
        }
        return list;
      }
      case VALUE_STRING -> {
        return parser.getText();
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return parser.getNumberValue();
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return parser.getBooleanValue();
      }
      default -> {
        return null;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // next links of requests that spell their parameters oddly; restore and delete details

  /**
   * "whose {@code href} is {@code request} with {@code marker} set to the page's last backup (and any
   * {@code offset} and fragment removed)" (CsbsJson#checkpointItems), the parameters' names decoded
   * "as the list's parser reads it ({@code %6Darker} is {@code marker})". Clients at once ask pages
   * whose {@code offset} or {@code marker} is spelt percent-encoded ({@code %6Fffset}, {@code
   * %6Darker}), or with an offset above 0, and walk the next links: each link carries one marker and
   * no offset, and the walk ends with the same backups as the reference catalog's list from there.
   */
  @Test
  void nextLinksReplaceAnEncodedMarkerAndDropAnEncodedOffset() throws Exception {
    List<Backup> all = shared.reference.query(ODD, Query.builder().limit(1000).build()).backups();
    String third = enc(all.get(2).id());
    List<String> queries = List.of("limit=7&%6Fffset=3", "%6Fffset=3&limit=7", "limit=7&offset=3", "limit=7&%6Darker=" + third,
        "%6D%61rker=" + third + "&limit=7", "limit=7&marker=" + third, "li%6Dit=7&offset=3&");
    List<String> failures = together(queries.size(), i -> () -> {
      String query = queries.get(i);
      List<String> walked = new ArrayList<>();
      URI next = shared.uri(v1(ODD) + "/checkpoint_items?" + query);
      List<String> problems = new ArrayList<>();
      for (int pages = 0; next != null && pages < 100; pages++) {
        Reply reply = send("GET", next, HttpRequest.BodyPublishers.noBody());
        if (reply.status() != 200) {
          problems.add(query + ": page " + pages + " " + next + " -> " + reply);
          break;
        }
        JSON.readCheckpointItems(reply.body(), ODD).forEach(b -> walked.add(b.id()));
        String href = nextHref(reply.body());
        if (href != null) {
          List<String> names = new ArrayList<>();
          for (String pair : URI.create(href).getRawQuery().split("&")) {
            if (!pair.isEmpty()) {
              names.add(ListQueryString.decodeParameter("name", pair.substring(0, Math.max(0, pair.indexOf('=')))));
            }
          }
          if (names.contains("offset") || names.stream().filter("marker"::equals).count() != 1) {
            problems.add(query + ": link " + href);
          }
        }
        next = href == null ? null : URI.create(href);
      }
      List<String> expected = all.subList(3, all.size()).stream().map(Backup::id).toList();
      if (problems.isEmpty() && !expected.equals(walked)) {
        problems.add(query + ": walked " + walked.size() + " backups, expected " + expected.size());
      }
      return String.join("\n", problems);
    });
    String result = String.join("\n", failures).strip();
    assertTrue(result.isEmpty(), result);
  }

  /**
   * "In both, a backup whose {@code checkpoint_id} is known and is not the one named is not found
   * (404, {@code CSBS.3001})" (CsbsServer, Restore and delete). Clients at once restore and delete a
   * backup whose checkpoint is {@code cp-real}, naming other checkpoints (case and accent variants
   * included): all 404 {@code CSBS.3001}, the backup unchanged; then a restore naming {@code cp-real}
   * is 200.
   */
  @Test
  void restoresAndDeletesNamingAnotherCheckpointAreNotFound() throws Exception {
    try (Fixture f = new Fixture(null)) {
      Backup backup = backup(PLAIN, "bk-cp", "cp_bk", SERVERS.get(0), T0, List.of()).toBuilder()
          .details(io.csbs.backup.BackupDetails.builder().checkpointId("cp-real").build()).build();
      f.catalog.add(backup);
      List<String> others = List.of("CP-REAL", "cp-réal", "cp-real ", "cp-1");
      List<String> failures = together(others.size() * 2, i -> () -> {
        String cp = others.get(i / 2);
        Reply reply = i % 2 == 0
            ? f.post(v1(PLAIN) + "/restores", restoreBody(CsbsServer.PROVIDER_ID, backup.id()).replace("\"cp-1\"", quote(cp)))
            : f.delete(v1(PLAIN) + "/providers/" + CsbsServer.PROVIDER_ID + "/checkpoints/" + enc(cp) + "?checkpoint_items=bk-cp");
        return check(reply, 404, "CSBS.3001", null, (i % 2 == 0 ? "restore " : "delete ") + cp);
      });
      String all = String.join("\n", failures).strip();
      assertTrue(all.isEmpty(), all);
      assertEquals(backup, f.catalog.get(PLAIN, "bk-cp"));
      Reply ok = f.post(v1(PLAIN) + "/restores", restoreBody(CsbsServer.PROVIDER_ID, backup.id()).replace("\"cp-1\"", "\"cp-real\""));
      assertEquals(200, ok.status(), ok.toString());
      assertEquals(BackupStatus.RESTORING, f.catalog.get(PLAIN, "bk-cp").status());
    }
  }

  /**
   * "The answer is {@code {"restore": {"id", "checkpoint_id", "parameters", "project_id",
   * "provider_id", "resources_reason", "resources_status", "status": "in_progress"}}}, with a new random
   * {@code id}"; "{@code power_on} (a boolean) and {@code targets} (an object) are optional here (a JSON
   * {@code null} is taken as absent) and echoed back unchecked when given" (CsbsServer). Eight
   * clients restore eight backups at once, some with {@code power_on} and {@code targets}, some with
   * them null: each answer has the documented keys, its own project, provider and checkpoint, the
   * parameters given (the nulls absent), status {@code in_progress}, and the eight ids differ.
   */
  @Test
  void concurrentRestoresAnswerTheDocumentedBodiesWithDistinctIds() throws Exception {
    try (Fixture f = new Fixture(null)) {
      f.seed(8, 9);
      List<Backup> backups = f.seeded.get(ODD);
      List<Map<String, Object>> answers = together(8, i -> () -> {
        Backup b = backups.get(i);
        String extra = i % 3 == 0 ? ", \"power_on\": true, \"targets\": {\"server_id\": \"s-é\", \"volumes\": []}"
            : i % 3 == 1 ? ", \"power_on\": null, \"targets\": null" : "";
        String body = "{\"restore\": {\"provider_id\": \"" + CsbsServer.PROVIDER_ID + "\", \"checkpoint_id\": \"cp-" + i
            + "\", \"parameters\": {\"checkpoint_item_id\": " + quote(b.id()) + extra + "}}}";
        Reply reply = f.post(v1(ODD) + "/restores", body);
        assertEquals(200, reply.status(), reply.toString());
        assertEquals(JSON_TYPE, reply.contentType());
        Map<String, Object> answer = tree(reply.body());
        answer.put("#", i);
        return answer;
      });
      Set<Object> ids = new HashSet<>();
      for (Map<String, Object> answer : answers) {
        int i = (Integer) answer.get("#");
        @SuppressWarnings("unchecked")
        Map<String, Object> restore = (Map<String, Object>) answer.get("restore");
        assertNotNull(restore, answer.toString());
        assertTrue(restore.keySet().containsAll(Set.of("id", "checkpoint_id", "parameters", "project_id", "provider_id",
            "resources_reason", "resources_status", "status")), restore.keySet().toString());
        assertEquals("in_progress", restore.get("status"));
        assertEquals(ODD, restore.get("project_id"));
        assertEquals(CsbsServer.PROVIDER_ID, restore.get("provider_id"));
        assertEquals("cp-" + i, restore.get("checkpoint_id"));
        Map<?, ?> parameters = (Map<?, ?>) restore.get("parameters");
        assertEquals(backups.get(i).id(), parameters.get("checkpoint_item_id"));
        if (i % 3 == 0) {
          assertEquals(true, parameters.get("power_on"), parameters.toString());
          assertEquals(Map.of("server_id", "s-é", "volumes", List.of()), parameters.get("targets"));
        } else {
          assertFalse(parameters.containsKey("power_on") || parameters.containsKey("targets"), parameters.toString());
        }
        assertTrue(ids.add(restore.get("id")), "id repeated: " + restore.get("id"));
        assertEquals(BackupStatus.RESTORING, f.catalog.get(ODD, backups.get(i).id()).status());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the server's threads and its close

  /** A catalog that delegates to {@code delegate} but runs {@code beforeCount} before each count. */
  static BackupCatalog countHook(BackupCatalog delegate, Runnable beforeCount) {
    return (BackupCatalog) java.lang.reflect.Proxy.newProxyInstance(BackupCatalog.class.getClassLoader(),
        new Class<?>[] {BackupCatalog.class}, (proxy, method, args) -> {
          if (method.getName().equals("count")) {
            beforeCount.run();
          }
          try {
            return method.invoke(delegate, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /**
   * "Sets the executor that runs the calls; by default a pool of daemon threads, twice the number of
   * processors and at least 4" (CsbsServer.Builder#executor). Four clients count at once on a
   * catalog whose count waits until four counts are in progress (a barrier, 10 s at most): with the
   * default executor all four run together, and each is answered 200 with the count.
   */
  @Test
  void theDefaultExecutorRunsFourCallsAtOnce() throws Exception {
    BackupCatalog plain = Catalogs.indexed(FakeClock.at(T0.plus(Duration.ofDays(1))));
    plain.add(backup(PLAIN, "bk-1", "one", SERVERS.get(0), T0, List.of()));
    java.util.concurrent.CyclicBarrier four = new java.util.concurrent.CyclicBarrier(4);
    BackupCatalog gated = countHook(plain, () -> {
      try {
        four.await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("fewer than four calls ran at once", e);
      }
    });
    try (CsbsServer server = CsbsServer.builder(gated).build().start()) {
      URI count = URI.create(server.uri() + "v1/" + PLAIN + "/checkpoint_items/count");
      List<Reply> replies = together(4, i -> () -> send("GET", count, HttpRequest.BodyPublishers.noBody()));
      for (Reply reply : replies) {
        assertEquals(200, reply.status(), reply.toString());
        assertEquals("{\"count\":1}", reply.body().replace(" ", ""));
      }
    }
  }

  /**
   * "Stops the server at once: the port is released, calls in progress are cut off, and the
   * executor the server made is shut down (an executor given to the builder is not). Closing again
   * does nothing." (CsbsServer#close); "{@link CsbsServer#start()} ... @throws IllegalStateException
   * if it was started or closed already". A client's call is held in progress (the catalog's count
   * waits on a latch) while the server is closed: the client's call ends (cut off) without its
   * answer, the given executor is not shut down, a second close does nothing, start is refused, and
   * a new server binds the same port at once.
   */
  @Test
  void closeCutsOffACallInProgressAndReleasesThePort() throws Exception {
    BackupCatalog plain = Catalogs.indexed(FakeClock.at(T0.plus(Duration.ofDays(1))));
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    BackupCatalog held = countHook(plain, () -> {
      entered.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    ExecutorService executor = Executors.newFixedThreadPool(2);
    ExecutorService client = Executors.newSingleThreadExecutor();
    try {
      CsbsServer server = CsbsServer.builder(held).executor(executor).build().start();
      int port = server.port();
      URI count = URI.create(server.uri() + "v1/" + PLAIN + "/checkpoint_items/count");
      Future<Object> call = client.submit(() -> {
        try {
          return send("GET", count, HttpRequest.BodyPublishers.noBody());
        } catch (UncheckedIOException e) {
          return e.getCause();
        }
      });
      assertTrue(entered.await(10, TimeUnit.SECONDS), "the call reached the catalog");
      server.close();
      Object outcome = call.get(10, TimeUnit.SECONDS);
      assertTrue(outcome instanceof IOException, "cut off, not answered: " + outcome);
      assertFalse(executor.isShutdown(), "the given executor belongs to the caller");
      server.close();
      org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, server::start);
      try (CsbsServer again = CsbsServer.builder(plain).port(port).build().start()) {
        assertEquals(port, again.port());
        assertEquals(200, send("GET", URI.create(again.uri() + "v1/" + PLAIN + "/quotas"),
            HttpRequest.BodyPublishers.noBody()).status());
      }
    } finally {
      release.countDown();
      client.shutdownNow();
      executor.shutdown();
      assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // a body whose chunked encoding breaks in a chunk's size line

  /** A tag change whose chunked body has a chunk of 5 bytes, then the size line {@code zz}: no hex. */
  private static String brokenChunkRequest(CsbsServer server, String backupId) {
    return "POST /v1/" + PLAIN + "/csbs_backup/" + backupId + "/tags HTTP/1.1\r\nHost: " + server.uri().getAuthority()
        + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"tag\r\nzz\r\n";
  }

  /**
   * "Every error has the API's body, {@code {"error_code": ..., "error_msg": ...}}: a bad parameter or
   * body 400, {@code CSBS.9001}, its message naming the parameter (a body that is not JSON names
   * {@code body})"; "A body must be UTF-8 (else 400 naming {@code body})" (CsbsServer). A chunked body
   * whose second chunk's size line is {@code zz} is a bad body: the client, its connection still
   * open, should get 400 {@code CSBS.9001} naming {@code body} (a broken chunk end is answered so).
   */
  @Test
  void aChunkedBodyWithABadChunkSizeIs400NamingBody() throws Exception {
    try (Fixture f = new Fixture(null);
        java.net.Socket socket = new java.net.Socket(f.server.uri().getHost(), f.server.port())) {
      f.catalog.add(backup(PLAIN, "bk-chunk", "chunk_bk", SERVERS.get(0), T0, List.of()));
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(brokenChunkRequest(f.server, "bk-chunk").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      String head = new String(readHead(socket.getInputStream()), StandardCharsets.ISO_8859_1);
      assertTrue(head.startsWith("HTTP/1.1 400"), head);
      assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json; charset=utf-8"), head);
      assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), head);
      assertEquals(List.of(), f.catalog.get(PLAIN, "bk-chunk").tags());
    }
  }

  /**
   * CsbsServer: "its thread is free once the client closes the connection": the call of {@link
   * #aChunkedBodyWithABadChunkSizeIs400NamingBody} holds the thread running it (the JDK's server reads
   * on after the answer) for as long as the client keeps its connection open. With a builder's
   * executor of one thread and no queue ("A call it refuses ... is answered at once with 503"), a
   * valid call made while the broken one is running (a latch marks that it started) is refused 503
   * {@code CSBS.LIB.SERVER_BUSY}; once the client closes its connection, the thread is free again
   * and the backup's tags are unchanged.
   */
  @Test
  void aChunkedBodyWithABadChunkSizeHoldsItsThreadUntilTheClientCloses() throws Exception {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new SynchronousQueue<>());
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    java.util.concurrent.Executor marking = task -> pool.execute(() -> {
      if (calls.incrementAndGet() == 1) {
        started.countDown();
      }
      task.run();
    });
    try (Fixture f = new Fixture(marking)) {
      f.catalog.add(backup(PLAIN, "bk-chunk", "chunk_bk", SERVERS.get(0), T0, List.of()));
      try (java.net.Socket socket = new java.net.Socket(f.server.uri().getHost(), f.server.port())) {
        socket.getOutputStream().write(brokenChunkRequest(f.server, "bk-chunk").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        assertTrue(started.await(10, TimeUnit.SECONDS), "the broken call started");
        Reply busy = f.get(v1(PLAIN) + "/quotas");
        assertError(503, "CSBS.LIB.SERVER_BUSY", null, busy, "while the broken call holds the only thread");
      }
      assertEquals(List.of(), f.catalog.get(PLAIN, "bk-chunk").tags());
    } finally {
      pool.shutdown();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "the thread is freed once the client closes");
    }
  }

  /**
   * "Paging: a marker continues strictly after the marker backup's current place in the order (if
   * its sorted value changed since the previous page, the page follows its new place)"
   * (BackupCatalog); "the {@code next} link carries the page's last backup as {@code marker}"
   * (CsbsServer). Lists sorted by a value that changes ({@code updated_at}, {@code status}) are walked
   * by their next links while, between pages, another client changes the marker's backup (a tag, a
   * restore, a delete) and a service adds a backup, the clock moving on: each page is exactly what
   * CsbsJson writes for the reference catalog's answer to the same query and marker at that moment.
   */
  @Test
  void aMarkerWhoseBackupChangedBetweenPagesContinuesFromItsNewPlace() throws Exception {
    Seeds.run(Seeds.pick(), seed -> {
      try (Fixture f = new Fixture(null)) {
        f.seed(40, seed);
        SplittableRandom random = new SplittableRandom(seed);
        int added = 0;
        for (String query : List.of("sort=updated_at:asc&limit=6", "sort=status:asc,name:desc&limit=5",
            "status=available&sort=updated_at:desc&limit=4")) {
          URI next = f.uri(v1(ODD) + "/checkpoint_items?" + query);
          String marker = null;
          // a marker moved to the top of updated_at:desc starts the walk again: the rule allows that, so stop at 12 pages
          for (int pages = 0; next != null && pages < 12; pages++) {
            Reply reply = send("GET", next, HttpRequest.BodyPublishers.noBody());
            Page expected = f.reference.query(ODD, ListQueryString.parse(query + (marker == null ? "" : "&marker=" + enc(marker))));
            assertEquals(200, reply.status(), next + " " + reply);
            assertEquals(JSON.checkpointItems(expected, next), reply.body(), query + " page " + pages + " after " + marker);
            Optional<String> nextMarker = JSON.readNextMarker(reply.body());
            if (nextMarker.isEmpty()) {
              break;
            }
            marker = nextMarker.get();
            f.clock.advance(Duration.ofSeconds(1 + random.nextInt(100)));
            Reply change = switch (random.nextInt(3)) {
              case 0 -> f.post(v1(ODD) + "/csbs_backup/" + enc(marker) + "/tags", tagBody("page", "p" + pages));
              case 1 -> f.post(v1(ODD) + "/restores", restoreBody(CsbsServer.PROVIDER_ID, marker));
              default -> f.delete(deletePath(ODD, marker));
            };
            assertTrue(change.status() == 200 || change.status() == 204 || change.body().contains("CSBS.2003"), change.toString());
            f.catalog.add(backup(ODD, "added-" + added++, "added_é", SERVERS.get(random.nextInt(SERVERS.size())),
                T0.plusSeconds(random.nextLong(0, 50 * 3600L)), List.of()));
            next = URI.create(nextHref(reply.body()));
          }
        }
      }
    });
  }

  /** A refusal a service's catalog might throw: a CsbsError without a code. */
  static final class CodelessRefusal extends RuntimeException implements io.csbs.CsbsError {
    CodelessRefusal() {
      super("secret codeless");
    }

    @Override
    public ErrorCode code() {
      return null;
    }
  }

  /**
   * "anything unexpected 500, {@code CSBS.9999} (the API's "system internal error"; the cause is
   * logged, not returned), an {@link Error} the catalog throws and a service's {@link io.csbs.CsbsError}
   * without a code included" (CsbsServer). Eight clients count at once in projects whose count
   * throws an {@link AssertionError}, an {@link OutOfMemoryError} (made by the test, not real), a
   * codeless CsbsError, or nothing: the failing ones are 500 {@code CSBS.9999} with the API's body and
   * no word of the cause, the others 200 with the count; afterwards the server still answers every
   * client (with its default executor).
   */
  @Test
  void catalogFailuresUnderConcurrentCallsAre500WithoutTheirCauseAndTheServerGoesOn() throws Exception {
    BackupCatalog plain = Catalogs.indexed(FakeClock.at(T0.plus(Duration.ofDays(1))));
    plain.add(backup(PLAIN, "bk-1", "one", SERVERS.get(0), T0, List.of()));
    BackupCatalog failing = (BackupCatalog) java.lang.reflect.Proxy.newProxyInstance(BackupCatalog.class.getClassLoader(),
        new Class<?>[] {BackupCatalog.class}, (proxy, method, args) -> {
          if (method.getName().equals("count")) {
            switch ((String) args[0]) {
              case "boom-assert" -> throw new AssertionError("secret assertion");
              case "boom-oom" -> throw new OutOfMemoryError("secret heap");
              case "boom-codeless" -> throw new CodelessRefusal();
              default -> { }
            }
          }
          try {
            return method.invoke(plain, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    List<String> projects = List.of("boom-assert", "boom-oom", "boom-codeless", PLAIN);
    try (CsbsServer server = CsbsServer.builder(failing).build().start()) {
      for (int round = 0; round < 2; round++) {
        List<String> failures = together(8, i -> () -> {
          String project = projects.get(i % projects.size());
          Reply reply = send("GET", URI.create(server.uri() + "v1/" + project + "/checkpoint_items/count"),
              HttpRequest.BodyPublishers.noBody());
          if (project.equals(PLAIN)) {
            return reply.status() == 200 && JSON.readCount(reply.body()) == 1 ? "" : project + ": " + reply;
          }
          String result = check(reply, 500, "CSBS.9999", null, project);
          return reply.body().contains("secret") ? result + " " + project + " tells its cause: " + reply : result;
        });
        String all = String.join("\n", failures).strip();
        assertTrue(all.isEmpty(), "round " + round + ":\n" + all);
      }
    }
  }

  /** The status line and headers of an answer read from a raw socket, up to the empty line. */
  private static byte[] readHead(java.io.InputStream in) throws IOException {
    java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
    int last4 = 0;
    for (int b = in.read(); b >= 0; b = in.read()) {
      head.write(b);
      last4 = (last4 << 8) | b;
      if (last4 == 0x0d0a0d0a) {
        break;
      }
    }
    return head.toByteArray();
  }
}
