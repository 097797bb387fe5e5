package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.json.RestoreRequest;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's checks of the javadoc of {@link CsbsJson}, {@link RestoreRequest} and {@link CsbsServer}
 * and of the README's sections on them: every {@code {@code}} example run as written, and each claim
 * checked with hand-made data (accents, letters outside the BMP, lone surrogates, boundaries). Expected
 * values come from the docs only.
 */
class NewUserJavadocServerTest {
  static final CsbsJson JSON = CsbsJson.create();
  static final String PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da";   // the API's fixed value
  static final Instant NOW = Instant.parse("2026-11-30T17:02:11Z");
  static final Instant T0 = Instant.parse("2026-11-01T08:00:00.250001Z");
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final String P = "projet-é";

  BackupCatalog catalog;
  CsbsServer server;

  @BeforeEach
  void start() {
    catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    server = CsbsServer.builder(catalog).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  // ------------------------------------------------------------------ helpers

  record Reply(int status, String body, HttpResponse<String> response) {
    String header(String name) {
      return response.headers().firstValue(name).orElse(null);
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  String v1(String project) {
    return "v1/" + enc(project);
  }

  Reply send(String method, String path, String body) {
    return send(server, method, path, body);
  }

  static Reply send(CsbsServer server, String method, String path, String body) {
    URI uri = server.uri().resolve(path.startsWith("/") ? path.substring(1) : path);
    HttpRequest request = HttpRequest.newBuilder(uri)
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body, StandardCharsets.UTF_8))
        .timeout(Duration.ofSeconds(20)).build();
    try {
      HttpResponse<String> response = HTTP.send(request, BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(response.statusCode(), response.body(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Reply get(String path) {
    return send("GET", path, null);
  }

  static void assertApiError(int status, String code, String names, Reply reply) {
    assertEquals(status, reply.status(), reply.body());
    assertEquals("application/json; charset=utf-8", reply.header("Content-Type"), reply.body());
    assertTrue(reply.body().contains("\"error_code\"") && reply.body().contains("\"error_msg\""), reply.body());
    assertTrue(reply.body().replace(" ", "").contains("\"error_code\":\"" + code + "\""), reply.body());
    if (names != null) {
      assertTrue(reply.body().contains(names), names + " in " + reply.body());
    }
  }

  static Backup.Builder backup(String project, String id, int minute) {
    return backup(project, id, minute, BackupStatus.AVAILABLE, T0.plusSeconds(60L * minute));
  }

  static Backup.Builder backup(String project, String id, int minute, BackupStatus status, Instant created) {
    return Backup.builder().id(id).name("sauvegarde_" + minute).projectId(project)
        .server(Server.of("srv-" + (minute % 2), "serveur-" + (minute % 2), "eu-de-01"))
        .status(status).sizeMb(1024L + minute).createdAt(created);
  }

  Backup add(String project, String id, int minute) {
    Backup b = backup(project, id, minute).build();
    catalog.add(b);
    return b;
  }

  static Backup running(String project, String id, BackupStatus status) {
    return backup(project, id, 0, status, T0).progress(Progress.of(30, T0.plusSeconds(10)))
        .updatedAt(T0.plusSeconds(10)).build();
  }

  static Backup error(String project, String id) {
    return backup(project, id, 0, BackupStatus.ERROR, T0)
        .failure(Failure.of(JobType.BACKUP, "disque-plein", T0.plusSeconds(20))).updatedAt(T0.plusSeconds(20)).build();
  }

  static String restoreBody(String provider, String checkpoint, String itemId, String extraParameters) {
    return "{\"restore\": {\"provider_id\": \"" + provider + "\", \"checkpoint_id\": \"" + checkpoint + "\", "
        + "\"parameters\": {\"checkpoint_item_id\": \"" + itemId + "\"" + extraParameters + "}}}";
  }

  static String nextHref(String body) {
    Matcher m = Pattern.compile("\"href\"\\s*:\\s*\"([^\"]*)\"").matcher(body);
    return m.find() ? m.group(1) : null;
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ CsbsServer's javadoc examples

  @Test
  void classExampleServesTheListOnAFreshCatalog() throws Exception {
    // the example as written: an empty catalog on the system clock
    BackupCatalog catalog = Catalogs.indexed(Clock.systemUTC());
    try (CsbsServer server = CsbsServer.builder(catalog).build().start()) {
      URI list = server.uri().resolve("v1/project-1/checkpoint_items?status=available&limit=20");
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(list).build(), BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      assertEquals("application/json; charset=utf-8", response.headers().firstValue("Content-Type").orElse(null));
      assertTrue(response.body().contains("\"checkpoint_items\""), response.body());
      assertEquals(List.of(), JSON.readCheckpointItems(response.body(), "project-1"));
      assertFalse(response.body().contains("\"rel\""), "no next link on the only page: " + response.body());
      assertEquals("127.0.0.1", server.uri().getHost());
      assertEquals("/", server.uri().getPath());
      assertEquals(server.port(), server.uri().getPort());
    }
  }

  @Test
  void builderExampleWithAPortAndAnExecutor() throws Exception {
    BackupCatalog catalog = this.catalog;
    int port = freePort();   // the example's 8080 may be taken on a shared machine: any port free now
    ExecutorService executor = Executors.newFixedThreadPool(16);
    try {
      CsbsServer server = CsbsServer.builder(catalog)
          .address(InetAddress.getLoopbackAddress())   // the default
          .port(port)                                   // 0, any free port, by default
          .executor(executor)
          .build()
          .start();
      try {
        assertEquals(port, server.port());
        assertEquals(URI.create("http://127.0.0.1:" + port + "/"), server.uri());
        add("project-1", "b-1", 1);
        Reply reply = send(server, "GET", "v1/project-1/checkpoint_items/b-1", null);
        assertEquals(200, reply.status(), reply.body());
        assertEquals(catalog.get("project-1", "b-1"), JSON.readCheckpointItem(reply.body(), "project-1"));
      } finally {
        server.close();
      }
      assertFalse(executor.isShutdown(), "an executor given to the builder belongs to the caller");
      executor.submit(() -> { }).get();
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void readmeExampleGivesTwentyBackupsAndANextLinkWithTheTwentiethAsMarker() {
    for (int i = 1; i <= 25; i++) {
      catalog.add(backup("project-1", "b-" + i, 100 - i).build());   // b-1 newest
    }
    Reply reply = get("v1/project-1/checkpoint_items?status=available&limit=20");
    assertEquals(200, reply.status());
    List<Backup> items = JSON.readCheckpointItems(reply.body(), "project-1");
    assertEquals(20, items.size());
    assertEquals("b-20", items.get(19).id());
    String href = nextHref(reply.body());
    assertNotNull(href, reply.body());
    assertTrue(href.endsWith("&marker=b-20"), href);
    assertTrue(reply.body().contains("\"rel\":\"next\"") || reply.body().contains("\"rel\": \"next\""), reply.body());
    assertEquals(Optional.of("b-20"), JSON.readNextMarker(reply.body()));
    // the link is absolute, and following it gives the rest
    URI next = URI.create(href);
    assertTrue(next.isAbsolute(), href);
    Reply rest = send("GET", server.uri().relativize(next).toString(), null);
    assertEquals(List.of("b-21", "b-22", "b-23", "b-24", "b-25"),
        JSON.readCheckpointItems(rest.body(), "project-1").stream().map(Backup::id).toList());
    assertEquals(Optional.empty(), JSON.readNextMarker(rest.body()));
  }

  @Test
  void aPageThatEndsExactlyAtTheLastBackupHasNoNextLink() {
    for (int i = 1; i <= 3; i++) {
      add(P, "b-" + i, i);
    }
    Reply reply = get(v1(P) + "/checkpoint_items?limit=3");
    assertEquals(3, JSON.readCheckpointItems(reply.body(), P).size());
    assertEquals(Optional.empty(), JSON.readNextMarker(reply.body()), reply.body());
    assertFalse(reply.body().contains("checkpoint_items_links"), reply.body());
  }

  // ------------------------------------------------------------------ start, stop, port

  @Test
  void startTwiceOrAfterCloseIsRefusedAndCloseTwiceDoesNothing() {
    assertThrows(IllegalStateException.class, server::start);
    CsbsServer other = CsbsServer.builder(catalog).build();
    other.close();
    assertThrows(IllegalStateException.class, other::start);
    other.close();
    server.close();
    server.close();
  }

  @Test
  void aBuiltServerHoldsItsPortBeforeStart() {
    int port = freePort();
    CsbsServer built = CsbsServer.builder(catalog).port(port).build();
    try {
      assertEquals(port, built.port());
      // bound already: a second server on the port is refused with UncheckedIOException
      UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> CsbsServer.builder(catalog).port(port).build());
      assertTrue(e.getMessage().contains(String.valueOf(port)), e.getMessage());
    } finally {
      built.close();
    }
  }

  @Test
  void aStartedServerReleasesItsPortOnClose() {
    int port = freePort();
    CsbsServer started = CsbsServer.builder(catalog).port(port).build().start();
    started.close();
    try (CsbsServer again = CsbsServer.builder(catalog).port(port).build().start()) {
      assertEquals(200, send(again, "GET", "v1/p/checkpoint_items", null).status());
    }
  }

  @Test
  void aBuiltButNeverStartedServerReleasesItsPortOnClose() {
    int port = freePort();
    CsbsServer built = CsbsServer.builder(catalog).port(port).build();
    built.close();
    try (CsbsServer again = CsbsServer.builder(catalog).port(port).build().start()) {
      assertEquals(port, again.port());
      assertEquals(200, send(again, "GET", "v1/p/checkpoint_items", null).status());
    }
  }

  @Test
  void builderRefusesPortsOutOfRangeAndOptionsSetTwice() {
    CsbsServer.Builder builder = CsbsServer.builder(catalog);
    assertThrows(IllegalArgumentException.class, () -> builder.port(-1));
    assertThrows(IllegalArgumentException.class, () -> builder.port(65_536));
    builder.port(0);
    assertThrows(IllegalStateException.class, () -> builder.port(0));
    builder.address(InetAddress.getLoopbackAddress());
    assertThrows(IllegalStateException.class, () -> builder.address(InetAddress.getLoopbackAddress()));
    builder.clock(Clock.systemUTC());
    assertThrows(IllegalStateException.class, () -> builder.clock(Clock.systemUTC()));
    builder.stallRule(StallRule.DEFAULT);
    assertThrows(IllegalStateException.class, () -> builder.stallRule(StallRule.DEFAULT));
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      builder.executor(executor);
      assertThrows(IllegalStateException.class, () -> builder.executor(executor));
    } finally {
      executor.shutdownNow();
    }
    assertThrows(NullPointerException.class, () -> CsbsServer.builder(null));
  }

  @Test
  void portAtTheTopOfTheRangeIsAccepted() {
    CsbsServer.Builder builder = CsbsServer.builder(catalog).port(65_535);
    assertNotNull(builder);   // accepted by the setter; binding it is another matter
  }

  @Test
  void buildingSetsTheNodelayPropertyWhenUnset() {
    // the first server of this JVM has been built already (in start()): the property is set
    assertNotNull(System.getProperty("sun.net.httpserver.nodelay"));
  }

  // ------------------------------------------------------------------ the console page

  @Test
  void theServersAddressAndConsoleLeadToTheConsolePage() {
    Reply root = get("/");
    assertTrue(root.status() / 100 == 3, "GET / leads to the console: " + root.status());
    assertTrue(root.header("Location").contains("/console/"), root.header("Location"));
    Reply console = get("/console");
    assertTrue(console.status() / 100 == 3, "GET /console redirects: " + console.status());
    assertTrue(console.header("Location").endsWith("/console/"), console.header("Location"));
  }

  @Test
  void theConsolePageAndItsFilesAreServed() {
    Reply page = get("/console/?project=" + enc(P));
    assertEquals(200, page.status());
    assertTrue(page.header("Content-Type").startsWith("text/html"), page.header("Content-Type"));
    assertTrue(page.body().contains("console.js") && page.body().contains("console.css"), page.body());
    Reply css = get("/console/console.css");
    assertEquals(200, css.status());
    assertTrue(css.header("Content-Type").startsWith("text/css"), css.header("Content-Type"));
    Reply js = get("/console/console.js");
    assertEquals(200, js.status());
    assertTrue(js.header("Content-Type").contains("javascript"), js.header("Content-Type"));
  }

  @Test
  void consoleSettingsAreTheBuildersClockAndStallRule() {
    Clock clock = Clock.fixed(Instant.parse("2030-01-02T03:04:05Z"), ZoneOffset.UTC);
    try (CsbsServer s = CsbsServer.builder(catalog).clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(7)))
        .build().start()) {
      Reply settings = send(s, "GET", "console/settings.json", null);
      assertEquals(200, settings.status());
      String body = settings.body().replace(" ", "");
      assertTrue(body.contains("\"now\":\"2030-01-02T03:04:05Z\""), body);
      assertTrue(body.contains("\"stall_threshold_ms\":420000"), body);
    }
    // the defaults: 30 minutes
    String body = get("console/settings.json").body().replace(" ", "");
    assertTrue(body.contains("\"stall_threshold_ms\":1800000"), body);
  }

  @Test
  void otherConsolePathsAre404AndOtherMethods405InPlainText() {
    Reply missing = get("/console/nothing.js");
    assertEquals(404, missing.status());
    assertFalse(missing.body().contains("error_code"), missing.body());
    assertFalse(String.valueOf(missing.header("Content-Type")).contains("json"), missing.header("Content-Type"));
    Reply post = send("POST", "/console/", "{}");
    assertEquals(405, post.status());
    assertFalse(post.body().contains("error_code"), post.body());
    Reply postBare = send("POST", "/console", "{}");
    assertEquals(405, postBare.status(), "405 on /console too");
    assertFalse(postBare.body().contains("error_code"), postBare.body());
    Reply deleteSettings = send("DELETE", "/console/settings.json", null);
    assertEquals(405, deleteSettings.status());
    // a path that only begins with /console is the API's
    assertApiError(404, "CSBS.LIB.UNKNOWN_PATH", null, get("/consolex"));
    assertApiError(404, "CSBS.LIB.UNKNOWN_PATH", null, get("/console.css"));
  }

  // ------------------------------------------------------------------ endpoints and errors

  @Test
  void detailsAreTheCheckpointItemAndAnotherProjectsBackupIs3001() {
    Backup mine = add(P, "b-é", 1);
    add("autre", "b-autre", 2);
    Reply reply = get(v1(P) + "/checkpoint_items/" + enc("b-é"));
    assertEquals(200, reply.status());
    assertTrue(reply.body().startsWith("{\"checkpoint_item\""), reply.body());
    assertEquals(mine, JSON.readCheckpointItem(reply.body(), P));
    assertApiError(404, "CSBS.3001", "b-autre", get(v1(P) + "/checkpoint_items/b-autre"));
  }

  @Test
  void countTakesTheListsFiltersAndRefusesSortLimitMarkerOffsetNamingThem() {
    add(P, "b-1", 1);
    add(P, "b-2", 2);
    catalog.add(running(P, "b-3", BackupStatus.RESTORING));
    Reply all = get(v1(P) + "/checkpoint_items/count");
    assertEquals(200, all.status());
    assertEquals(3, JSON.readCount(all.body()));
    assertEquals(2, JSON.readCount(get(v1(P) + "/checkpoint_items/count?status=available").body()));
    assertEquals(1, JSON.readCount(get(v1(P) + "/checkpoint_items/count?name=SAUVEGARDE_1").body()));
    assertApiError(400, "CSBS.9001", "sort", get(v1(P) + "/checkpoint_items/count?sort=name:asc"));
    assertApiError(400, "CSBS.9001", "limit", get(v1(P) + "/checkpoint_items/count?limit=5"));
    assertApiError(400, "CSBS.9001", "marker", get(v1(P) + "/checkpoint_items/count?marker=b-1"));
    assertApiError(400, "CSBS.9001", "offset", get(v1(P) + "/checkpoint_items/count?offset=0"));
  }

  @Test
  void tagEndpointsKeepTheBackupsOrderAndTheCatalogueIsSorted() {
    catalog.add(backup(P, "b-1", 1).addTags(Tag.of("zèbre", "x"), Tag.of("alpha", "2"), Tag.of("Été", "1")).build());
    catalog.add(backup(P, "b-2", 2).addTags(Tag.of("alpha", "1")).build());
    Reply tags = get(v1(P) + "/csbs_backup/b-1/tags");
    assertEquals(200, tags.status());
    assertEquals(JSON.tags(List.of(Tag.of("zèbre", "x"), Tag.of("alpha", "2"), Tag.of("Été", "1"))), tags.body());
    Reply catalogue = get(v1(P) + "/csbs_backup/tags");
    assertEquals(200, catalogue.status());
    String body = catalogue.body();
    assertTrue(body.indexOf("\"alpha\"") < body.indexOf("\"zèbre\""), body);
    assertTrue(body.indexOf("\"1\"") < body.indexOf("\"2\""), body);
    assertEquals(JSON.tagCatalogue(catalog.tagCatalogue(P)), body);
  }

  @Test
  void tagQueryFilterAndCount() {
    catalog.add(backup(P, "b-1", 1).addTags(Tag.of("env", "prod")).build());
    catalog.add(backup(P, "b-2", 2).addTags(Tag.of("env", "test")).build());
    catalog.add(backup(P, "b-3", 3).build());
    String path = v1(P) + "/csbs_backup/resource_instances/action";
    Reply filter = send("POST", path, "{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}]}");
    assertEquals(200, filter.status(), filter.body());
    assertTrue(filter.body().replace(" ", "").contains("\"total_count\":1"), filter.body());
    assertTrue(filter.body().contains("\"resource_id\":\"b-1\"") || filter.body().contains("\"b-1\""), filter.body());
    assertFalse(filter.body().contains("\"b-2\""), filter.body());
    Reply count = send("POST", path, "{\"action\": \"count\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\", \"test\"]}]}");
    assertEquals(200, count.status(), count.body());
    assertEquals("{\"total_count\":2}", count.body().replace(" ", ""));
  }

  @Test
  void tagChangesAre204AndAMissingKeyIs7001() {
    add(P, "b-1", 1);
    String tags = v1(P) + "/csbs_backup/b-1/tags";
    Reply addOne = send("POST", tags, "{\"tag\": {\"key\": \"clé\", \"value\": \"valeur\"}}");
    assertEquals(204, addOne.status(), addOne.body());
    assertEquals("", addOne.body());
    assertEquals(List.of(Tag.of("clé", "valeur")), catalog.get(P, "b-1").tags());
    Reply create = send("POST", tags + "/action", "{\"action\": \"create\", \"tags\": [{\"key\": \"b\", \"value\": \"1\"}]}");
    assertEquals(204, create.status(), create.body());
    Reply deleteMissing = send("POST", tags + "/action", "{\"action\": \"delete\", \"tags\": [{\"key\": \"absent\"}]}");
    assertEquals(204, deleteMissing.status(), "deleting tags the backup does not have is no error");
    Reply deleteKey = send("DELETE", tags + "/" + enc("clé"), null);
    assertEquals(204, deleteKey.status(), deleteKey.body());
    assertEquals(List.of(Tag.of("b", "1")), catalog.get(P, "b-1").tags());
    assertApiError(404, "CSBS.7001", null, send("DELETE", tags + "/" + enc("clé"), null));
  }

  @Test
  void aTagChangeLeavingMoreThanTenTagsIs7000() {
    Backup.Builder b = backup(P, "b-1", 1);
    for (int i = 0; i < 10; i++) {
      b.addTags(Tag.of("k" + i, "v"));
    }
    catalog.add(b.build());
    assertApiError(400, "CSBS.7000", null,
        send("POST", v1(P) + "/csbs_backup/b-1/tags", "{\"tag\": {\"key\": \"onze\", \"value\": \"v\"}}"));
    // setting the value of a key it has keeps 10 tags: allowed
    assertEquals(204, send("POST", v1(P) + "/csbs_backup/b-1/tags", "{\"tag\": {\"key\": \"k3\", \"value\": \"w\"}}").status());
    assertEquals(Optional.of("w"), catalog.get(P, "b-1").tagValue("k3"));
  }

  @Test
  void quotasAndStorageUsage() {
    catalog.setQuota(P, Quota.of(10, Quota.UNLIMITED));
    add(P, "b-1", 0);   // srv-0, 1024 MB
    add(P, "b-2", 1);   // srv-1, 1025 MB
    add(P, "b-3", 2);   // srv-0, 1026 MB
    Reply quotas = get(v1(P) + "/quotas");
    assertEquals(200, quotas.status());
    assertEquals(JSON.quotas(catalog.quotaUsage(P)), quotas.body());
    String q = quotas.body().replace(" ", "");
    assertTrue(q.contains("\"type\":\"backups\",\"quota\":10,\"used\":3"), q);
    assertTrue(q.contains("\"quota\":-1"), q);
    Reply usage = get(v1(P) + "/storage_usage?limit=1");
    assertEquals(200, usage.status());
    String u = usage.body().replace(" ", "");
    assertTrue(u.contains("\"resource_id\":\"srv-0\""), u);    // largest first: 2050 MB
    assertFalse(u.contains("\"resource_id\":\"srv-1\""), u);
    assertTrue(u.contains("\"backup_size\":2050"), u);
    assertTrue(u.contains("\"resource_count\":2"), "the number of servers with backups, not the page's: " + u);
    Reply second = get(v1(P) + "/storage_usage?limit=1&offset=1");
    assertTrue(second.body().contains("\"srv-1\""), second.body());
    assertApiError(400, "CSBS.9001", "limit", get(v1(P) + "/storage_usage?limit=0"));
    assertApiError(400, "CSBS.9001", "limit", get(v1(P) + "/storage_usage?limit=1001"));
    assertApiError(400, "CSBS.9001", "offset", get(v1(P) + "/storage_usage?offset=-1"));
    assertEquals(200, get(v1(P) + "/storage_usage?limit=1000").status());
  }

  @Test
  void unknownPathsAndMethods() {
    assertApiError(404, "CSBS.LIB.UNKNOWN_PATH", null, get("v1/" + P + "x/nothing"));
    assertApiError(404, "CSBS.LIB.UNKNOWN_PATH", null, get("v2/p/checkpoint_items"));
    Reply put = send("PUT", v1(P) + "/checkpoint_items", "{}");
    assertApiError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, put);
    assertNotNull(put.header("Allow"));
    assertTrue(put.header("Allow").contains("GET"), put.header("Allow"));
    Reply postDetails = send("POST", v1(P) + "/checkpoint_items/b-1", "{}");
    assertApiError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, postDetails);
    Reply getRestores = get(v1(P) + "/restores");
    assertApiError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, getRestores);
    assertTrue(getRestores.header("Allow").contains("POST"), getRestores.header("Allow"));
  }

  @Test
  void aBodyThatIsNotJsonNamesBody() {
    add(P, "b-1", 1);
    assertApiError(400, "CSBS.9001", "body", send("POST", v1(P) + "/csbs_backup/b-1/tags", "not json"));
    assertApiError(400, "CSBS.9001", "body", send("POST", v1(P) + "/restores", "[1, 2"));
    assertApiError(400, "CSBS.9001", "body", send("POST", v1(P) + "/csbs_backup/resource_instances/action", ""));
  }

  @Test
  void aBadListParameterIs400NamingIt() {
    Reply zero = get(v1(P) + "/checkpoint_items?limit=0");
    assertApiError(400, "CSBS.9001", "limit '0' is invalid", zero);
    assertApiError(400, "CSBS.9001", "status", get(v1(P) + "/checkpoint_items?status=paused"));
    assertApiError(400, "CSBS.9001", "colour", get(v1(P) + "/checkpoint_items?colour=red"));
    assertApiError(400, "CSBS.9001", "start_time",
        get(v1(P) + "/checkpoint_items?start_time=2026-11-02T00:00:00&end_time=2026-11-01T00:00:00"));
  }

  // ------------------------------------------------------------------ restore and delete

  @Test
  void restoreAnswerEchoesTheRequestAndStartsTheRestore() {
    catalog.add(backup(P, "b-1", 1).details(io.csbs.backup.BackupDetails.builder().checkpointId("cp-1").build()).build());
    String body = restoreBody(PROVIDER, "cp-1", "b-1",
        ", \"power_on\": true, \"targets\": {\"server_id\": \"s-9\", \"volumes\": [{\"backup_id\": \"v\", \"volume_id\": \"w\"}]}");
    Reply reply = send("POST", v1(P) + "/restores", body);
    assertEquals(200, reply.status(), reply.body());
    assertEquals("application/json; charset=utf-8", reply.header("Content-Type"));
    String r = reply.body().replace(" ", "");
    assertTrue(r.startsWith("{\"restore\":{"), r);
    for (String key : List.of("id", "checkpoint_id", "parameters", "project_id", "provider_id", "resources_reason",
        "resources_status", "status")) {
      assertTrue(r.contains("\"" + key + "\":"), key + " in " + r);
    }
    assertTrue(r.contains("\"status\":\"in_progress\""), r);
    assertTrue(r.contains("\"project_id\":\"" + P + "\""), r);
    assertTrue(r.contains("\"provider_id\":\"" + PROVIDER + "\""), r);
    assertTrue(r.contains("\"checkpoint_id\":\"cp-1\""), r);
    assertTrue(r.contains("\"power_on\":true"), r);
    assertTrue(r.contains("\"server_id\":\"s-9\""), r);
    assertEquals(BackupStatus.RESTORING, catalog.get(P, "b-1").status());
    // a new random id each time
    Backup again = catalog.get(P, "b-1");
    assertNotEquals(BackupStatus.AVAILABLE, again.status());
  }

  @Test
  void restoreIdsAreNewEachTime() {
    add(P, "b-1", 1);
    add(P, "b-2", 2);
    String a = send("POST", v1(P) + "/restores", restoreBody(PROVIDER, "any", "b-1", "")).body();
    String b = send("POST", v1(P) + "/restores", restoreBody(PROVIDER, "any", "b-2", "")).body();
    Matcher ma = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(a);
    Matcher mb = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(b);
    assertTrue(ma.find() && mb.find(), a + b);
    assertNotEquals(ma.group(1), mb.group(1));
  }

  @Test
  void restoreRefusals() {
    catalog.add(backup(P, "b-1", 1).details(io.csbs.backup.BackupDetails.builder().checkpointId("cp-1").build()).build());
    catalog.add(running(P, "b-busy", BackupStatus.CREATING));
    catalog.add(error(P, "b-err"));
    String path = v1(P) + "/restores";
    assertApiError(400, "CSBS.9001", "restore.provider_id", send("POST", path, restoreBody("other-provider", "cp-1", "b-1", "")));
    assertApiError(400, "CSBS.9001", "checkpoint_item_id",
        send("POST", path, "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"cp-1\", \"parameters\": {}}}"));
    assertApiError(400, "CSBS.9001", "checkpoint_id",
        send("POST", path, "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"parameters\": {\"checkpoint_item_id\": \"b-1\"}}}"));
    assertApiError(404, "CSBS.3001", null, send("POST", path, restoreBody(PROVIDER, "cp-other", "b-1", "")));
    assertApiError(404, "CSBS.3001", null, send("POST", path, restoreBody(PROVIDER, "cp-1", "b-none", "")));
    assertApiError(400, "CSBS.2003", null, send("POST", path, restoreBody(PROVIDER, "x", "b-busy", "")));
    assertApiError(400, "CSBS.4000", null, send("POST", path, restoreBody(PROVIDER, "x", "b-err", "")));
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "b-1").status());
    assertEquals(BackupStatus.ERROR, catalog.get(P, "b-err").status());
  }

  @Test
  void deleteStartsDeletingAndRefusesAsDocumented() {
    catalog.add(backup(P, "b-1", 1).details(io.csbs.backup.BackupDetails.builder().checkpointId("cp-1").build()).build());
    catalog.add(running(P, "b-busy", BackupStatus.RESTORING));
    String base = v1(P) + "/providers/" + PROVIDER + "/checkpoints/";
    assertApiError(404, "CSBS.3001", null, send("DELETE", base + "cp-2?checkpoint_items=b-1", null));
    assertApiError(400, "CSBS.9001", "checkpoint_items", send("DELETE", base + "cp-1", null));
    assertApiError(400, "CSBS.2003", null, send("DELETE", base + "cp-x?checkpoint_items=b-busy", null));
    Reply ok = send("DELETE", base + "cp-1?checkpoint_items=b-1", null);
    assertEquals(200, ok.status(), ok.body());
    assertEquals("{}", ok.body().replace(" ", ""));
    assertEquals(BackupStatus.DELETING, catalog.get(P, "b-1").status());
  }

  @Test
  void anErrorBackupCanBeDeleted() {
    catalog.add(error(P, "b-err"));
    Reply ok = send("DELETE", v1(P) + "/providers/" + PROVIDER + "/checkpoints/any?checkpoint_items=b-err", null);
    assertEquals(200, ok.status(), ok.body());
    assertEquals(BackupStatus.DELETING, catalog.get(P, "b-err").status());
  }

  // ------------------------------------------------------------------ CsbsJson

  @Test
  void csbsJsonClassExampleAsWritten() {
    String project = "project-1";
    add(project, "b-1", 1);
    Query query = Query.where(io.csbs.query.Predicates.status(BackupStatus.AVAILABLE));
    URI requestUri = URI.create("/v1/project-1/checkpoint_items?status=available");
    String body = JSON.checkpointItems(catalog.query(project, query), requestUri);
    List<Backup> backups = JSON.readCheckpointItems(body, "project-1");
    assertEquals(List.of(catalog.get(project, "b-1")), backups);
  }

  @Test
  void csbsJsonClassExampleActualBehaviour() {
    String project = "project-1";
    add(project, "b-1", 1);
    Query query = Query.where(io.csbs.query.Predicates.status(BackupStatus.AVAILABLE));
    String body = JSON.checkpointItems(catalog.query(project, query), URI.create("/v1/project-1/checkpoint_items?status=available"));
    assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(body, "project-1"));
    assertEquals(List.of(catalog.get(project, "b-1")), JSON.readCheckpointItems(body, "project-1"));
    TagFilter filter = JSON.readTagFilter("{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}]}");
    assertNotNull(filter);
  }

  @Test
  void readmeJsonExampleAsWritten() {
    catalog.add(backup("project-1", "b-1", 1).addTags(Tag.of("env", "prod")).build());
    CsbsJson json = CsbsJson.create();
    String rawQuery = "status=available&limit=20";
    String list = json.checkpointItems(catalog.query("project-1", ListQueryString.parse(rawQuery)),
        URI.create("/v1/project-1/checkpoint_items?" + rawQuery));
    assertEquals(List.of(catalog.get("project-1", "b-1")), json.readCheckpointItems(list, "project-1"));
    String details = json.checkpointItem(catalog.get("project-1", "b-1"));
    Backup same = json.readCheckpointItem(details, "project-1");
    assertEquals(catalog.get("project-1", "b-1"), same);
    TagFilter filter = json.readTagFilter("{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}]}");
    assertEquals(List.of("b-1"), catalog.query("project-1", filter.toQuery()).ids());
  }

  @Test
  void checkpointItemsExampleSetsTheMarkerAndDropsOffset() {
    for (int i = 1; i <= 3; i++) {
      add("p1", "b-" + i, 10 - i);
    }
    Page page = catalog.query("p1", ListQueryString.parse("status=available&limit=2"));
    String body = JSON.checkpointItems(page, URI.create("/v1/p1/checkpoint_items?status=available&limit=2"));
    assertEquals("/v1/p1/checkpoint_items?status=available&limit=2&marker=b-2", nextHref(body));
    Page withOffset = catalog.query("p1", ListQueryString.parse("limit=1&offset=1"));
    String body2 = JSON.checkpointItems(withOffset, URI.create("/v1/p1/checkpoint_items?limit=1&offset=1"));
    assertEquals("/v1/p1/checkpoint_items?limit=1&marker=b-2", nextHref(body2));
    // a marker already given is replaced (the page's last backup)
    Page afterMarker = catalog.query("p1", ListQueryString.parse("limit=1&marker=b-1"));
    String body3 = JSON.checkpointItems(afterMarker, URI.create("/v1/p1/checkpoint_items?limit=1&marker=b-1"));
    String href3 = nextHref(body3);
    assertTrue(href3.contains("marker=b-2") && !href3.contains("marker=b-1"), href3);
    // a percent-encoded name of marker is marker, as the list's parser reads it
    String body4 = JSON.checkpointItems(afterMarker, URI.create("/v1/p1/checkpoint_items?limit=1&%6Darker=b-1"));
    String href4 = nextHref(body4);
    assertFalse(href4.contains("b-1"), href4);
    assertTrue(href4.contains("marker=b-2"), href4);
  }

  @Test
  void checkpointItemKeysAsDocumented() {
    Backup b = backup(P, "b-1", 1).description("une sauvegarde").type(BackupType.ENHANCED)
        .trigger(BackupTrigger.AUTOMATIC).policyId("pol-1").build();
    String item = JSON.checkpointItem(b).replace(" ", "");
    for (String key : List.of("id", "name", "description", "status", "resource_id", "resource_type", "created_at",
        "updated_at", "tags", "backup_data", "extend_info", "auto_trigger", "support_lld", "progress", "fail_op",
        "fail_reason", "fail_code", "resource_az", "resource_name", "size", "incremental",
        "copy_status", "space_saving_ratio", "average_speed", "supported_restore_mode", "copy_from", "image_type",
        "hypervisor_type", "policy_id", "version")) {
      assertTrue(item.contains("\"" + key + "\":"), key + " in " + item);
    }
    assertTrue(item.contains("\"support_lld\":true"), item);
    assertTrue(item.contains("\"progress\":100"), "100 for Available: " + item);
    assertTrue(item.contains("\"copy_from\":\"\""), item);
    assertTrue(item.contains("\"image_type\":\"backup\""), item);
    assertTrue(item.contains("\"hypervisor_type\":\"QEMU\""), item);
    assertTrue(item.contains("\"fail_reason\":\"\""), "empty without a failure: " + item);
    assertTrue(item.contains("\"size\":1025"), item);
    assertTrue(item.contains("\"resource_type\":\"OS::Nova::Server\""), item);
    assertFalse(item.contains("\"checkpoint_id\":"), "checkpoint_id only when known: " + item);
    assertTrue(item.contains("\"created_at\":\"2026-11-01T08:01:00.250001\""), item);
    String noDescription = JSON.checkpointItem(backup(P, "b-2", 2).build());
    assertFalse(noDescription.contains("\"description\""), noDescription);
    assertEquals(b, JSON.readCheckpointItem(JSON.checkpointItem(b), P));
  }

  @Test
  void finishedAtIsWrittenWhenTheBackupHasFinished() {
    Backup b = backup(P, "b-1", 1).finishedAt(T0.plusSeconds(3600)).build();
    String item = JSON.checkpointItem(b).replace(" ", "");
    assertTrue(item.contains("\"finished_at\":\"2026-11-01T09:00:00.250001\""), item);
    assertEquals(b, JSON.readCheckpointItem(item, P));
  }

  @Test
  void keysWrittenOnlyWhenPresentActualBehaviour() {
    String item = JSON.checkpointItem(backup(P, "b-1", 1).build()).replace(" ", "");
    assertFalse(item.contains("\"finished_at\":"), item);
    assertFalse(item.contains("\"progress_updated_at\":"), item);
    assertFalse(item.contains("\"failed_at\":"), item);
    assertFalse(item.contains("\"policy_id\":"), item);
    assertTrue(item.contains("\"version\":1"), item);
  }

  @Test
  void anErrorBackupHasProgressZeroAndItsFailure() {
    Backup e = error(P, "b-err");
    String item = JSON.checkpointItem(e).replace(" ", "");
    assertTrue(item.contains("\"progress\":0"), item);
    assertTrue(item.contains("\"fail_reason\":\"disque-plein\""), item);
    assertTrue(item.contains("\"status\":\"error\""), item);
    assertEquals(e, JSON.readCheckpointItem(item, P));
  }

  @Test
  void timesHaveMicrosecondsAndFinerDigitsOnlyAsNeeded() {
    Instant whole = Instant.parse("2017-04-18T01:21:52Z");
    Instant nanos = Instant.parse("2017-04-18T01:21:52.701973100Z");
    String a = JSON.checkpointItem(backup(P, "b", 1, BackupStatus.AVAILABLE, whole).build());
    assertTrue(a.contains("\"created_at\":\"2017-04-18T01:21:52.000000\""), a);
    String b = JSON.checkpointItem(Backup.builder().id("b").name("n").projectId(P).server(Server.of("s", "s", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(0).createdAt(nanos).build());
    assertTrue(b.contains("\"created_at\":\"2017-04-18T01:21:52.7019731\""), b);
    assertEquals(nanos, JSON.readCheckpointItem(b, P).createdAt());
  }

  @Test
  void readersAcceptATrailingZ() {
    Backup b = Backup.builder().id("b").name("n").projectId(P).server(Server.of("s", "s", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(0).createdAt(Instant.parse("2017-04-18T01:21:52.701973Z")).build();
    String item = JSON.checkpointItem(b).replace("\"2017-04-18T01:21:52.701973\"", "\"2017-04-18T01:21:52.701973Z\"");
    assertTrue(item.contains("701973Z"), item);
    assertEquals(b, JSON.readCheckpointItem(item, P));
  }

  static final String API_ITEM = "{\"checkpoint_item\": {"
      + "\"id\": \"4f3b3f1c-0000-4000-8000-000000000001\", \"name\": \"manualbk_é\", \"checkpoint_id\": \"cp-9\","
      + "\"status\": \"%s\", \"resource_id\": \"srv-1\", \"resource_type\": \"OS::Nova::Server\","
      + "\"created_at\": \"2018-08-14T07:53:15.663766\", \"updated_at\": \"2018-08-14T08:00:00.000001\","
      + "\"tags\": [], \"taskid\": \"t-1\", \"volume_backups\": [{\"x\": 1}],"
      + "\"extend_info\": {\"auto_trigger\": false, \"support_lld\": false, \"progress\": %s,"
      + " \"fail_op\": \"\", \"fail_reason\": \"\", \"resource_az\": \"eu-de-02\", \"resource_name\": \"ecs-é\","
      + " \"size\": \"146184\", \"finished_at\": \"\", \"copy_status\": \"\", \"supported_restore_mode\": \"\","
      + " \"os_images_data\": [], \"copy_from\": \"\", \"image_type\": \"backup\", \"hypervisor_type\": \"QEMU\"}}}";

  @Test
  void anApiBodyWithoutCsbsKeysReadsWithTheDocumentedDefaults() {
    Backup available = JSON.readCheckpointItem(String.format(API_ITEM, "available", "100"), "p");
    assertEquals(1, available.version());
    assertEquals(146_184, available.sizeMb());
    assertEquals("manualbk_é", available.name());
    assertEquals(Optional.empty(), available.finishedAt());
    Backup creating = JSON.readCheckpointItem(String.format(API_ITEM, "protecting", "\"40\""), "p");
    assertEquals(BackupStatus.CREATING, creating.status());
    assertEquals(40, creating.progress().orElseThrow().percent());
    assertEquals(Instant.parse("2018-08-14T08:00:00.000001Z"), creating.progress().orElseThrow().changedAt(),
        "the time of the progress is the update time");
    Backup failed = JSON.readCheckpointItem(String.format(API_ITEM, "error", "0"), "p");
    assertEquals("no reason reported", failed.failure().orElseThrow().reason());
    assertEquals(Instant.parse("2018-08-14T08:00:00.000001Z"), failed.failure().orElseThrow().failedAt());
  }

  @Test
  void aRepeatedKeyOrAWrongTypeNamesTheKeysPath() {
    String repeated = String.format(API_ITEM, "available", "100").replace("\"size\": \"146184\"", "\"size\": 1, \"size\": 2");
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(repeated, "p"));
    assertEquals("checkpoint_item.extend_info.size", e.field(), e.getMessage());
    String wrongType = String.format(API_ITEM, "protecting", "true");
    InvalidValueException e2 = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(wrongType, "p"));
    assertEquals("checkpoint_item.extend_info.progress", e2.field(), e2.getMessage());
    String tooMuch = String.format(API_ITEM, "restoring", "101");
    InvalidValueException e4 = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(tooMuch, "p"));
    assertEquals("checkpoint_item.extend_info.progress", e4.field(), e4.getMessage());
    String badRule = String.format(API_ITEM, "available", "100").replace("\"size\": \"146184\"", "\"size\": -5");
    InvalidValueException e3 = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(badRule, "p"));
    assertEquals("checkpoint_item.extend_info.size", e3.field(), e3.getMessage());
    // json.error(e) is the API's body
    String error = JSON.error(e3).replace(" ", "");
    assertTrue(error.startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":"), error);
  }

  @Test
  void aWrongTypeIsRefusedWhateverTheStatus() {
    for (String[] c : new String[][] {{"available", "true"}, {"available", "\"abc\""}, {"available", "500"}, {"error", "true"}}) {
      String body = String.format(API_ITEM, c[0], c[1]);
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(body, "p"),
          c[0] + " progress " + c[1]);
      assertEquals("checkpoint_item.extend_info.progress", e.field(), e.getMessage());
    }
    String badTime = String.format(API_ITEM, "available", "100")
        .replace("\"copy_from\": \"\"", "\"copy_from\": \"\", \"progress_updated_at\": \"not a time\"");
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(badTime, "p"));
    assertEquals("checkpoint_item.extend_info.progress_updated_at", e.field(), e.getMessage());
    String badOp = String.format(API_ITEM, "available", "100").replace("\"fail_op\": \"\"", "\"fail_op\": 42");
    InvalidValueException e5 = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(badOp, "p"));
    assertEquals("checkpoint_item.extend_info.fail_op", e5.field(), e5.getMessage());
  }

  @Test
  void readCountRefusalsNameCount() {
    assertEquals(42, JSON.readCount("{\"count\": 42}"));
    assertEquals(0, JSON.readCount("{\"count\": 0}"));
    for (String bad : List.of("{}", "{\"count\": -1}", "{\"count\": 1.5}", "{\"count\": null}")) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCount(bad), bad);
      assertEquals("count", e.field(), bad + ": " + e.getMessage());
    }
    assertEquals("{\"count\":42}", JSON.count(42).replace(" ", ""));
  }

  @Test
  void errorBodyEscapesAndLoneSurrogatesSurviveBytes() {
    String message = "clé \"x\" \\ \uD83D fin \uD835\uDC9C";
    String body = JSON.error("CSBS.9001", message);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String back = new String(bytes, StandardCharsets.UTF_8);
    assertEquals(body, back, "no lone surrogate left raw in the text");
    assertTrue(body.contains("\\uD83D") || body.contains("\\ud83d"), body);
  }

  @Test
  void aDescriptionWithALoneSurrogateSurvivesTheServer() {
    Backup b = backup(P, "b-1", 1).description("moitié \uDC9C seule").build();
    catalog.add(b);
    Reply reply = get(v1(P) + "/checkpoint_items/b-1");
    assertEquals(200, reply.status());
    assertEquals(b, JSON.readCheckpointItem(reply.body(), P));
  }

  @Test
  void tagCatalogueAndTagsShapes() {
    TagCatalogue catalogue = TagCatalogue.of(Map.of("zz", List.of("b", "a"), "aa", List.of("1")));
    assertEquals("{\"tags\":[{\"key\":\"aa\",\"values\":[\"1\"]},{\"key\":\"zz\",\"values\":[\"a\",\"b\"]}]}",
        JSON.tagCatalogue(catalogue).replace(" ", ""));
    assertEquals("{\"tags\":[{\"key\":\"z\",\"value\":\"1\"},{\"key\":\"a\",\"value\":\"\"}]}",
        JSON.tags(List.of(Tag.of("z", "1"), Tag.of("a", ""))).replace(" ", ""));
  }

  @Test
  void quotasJsonHasTwoDecimalsAndMinusOneForNoLimit() {
    String q = JSON.quotas(new QuotaUsage(Quota.of(Quota.UNLIMITED, 5), 2, 1536)).replace(" ", "");
    assertEquals("{\"quotas\":{\"resources\":[{\"type\":\"backups\",\"quota\":-1,\"used\":2},"
        + "{\"type\":\"backup_capacity\",\"unit\":\"GB\",\"quota\":5,\"used\":1.50}]}}", q);
  }

  @Test
  void storageUsageJsonCountsServersWithBackups() {
    UsageReport report = new UsageReport(3, 3000, 2, List.of(new ServerUsage("s-1", "ecs-é", 2, 2000)));
    String u = JSON.storageUsage(report).replace(" ", "");
    assertEquals("{\"storage_usage\":[{\"resource_id\":\"s-1\",\"resource_name\":\"ecs-é\","
        + "\"resource_type\":\"OS::Nova::Server\",\"backup_count\":2,\"backup_size\":2000}],\"resource_count\":2}", u);
  }

  // ------------------------------------------------------------------ RestoreRequest

  @Test
  void restoreRequestExampleAsWritten() {
    add("project-1", "b-1", 1);
    String projectId = "project-1";
    CsbsJson json = JSON;
    String body = "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"cp\", \"restore_target\": \"t\","
        + " \"parameters\": {\"checkpoint_item_id\": \"b-1\", \"power_on\": false, \"targets\": {\"server_id\": \"s\"},"
        + " \"unknown\": 1}, \"other\": [1]}}";
    long version = catalog.get(projectId, "b-1").version();
    RestoreRequest restore = json.readRestore(body);
    catalog.apply(projectId, restore.checkpointItemId(), version, Transition.restore());
    String answer = json.restoreAccepted(restore, UUID.randomUUID().toString(), projectId);
    assertEquals(BackupStatus.RESTORING, catalog.get(projectId, "b-1").status());
    assertEquals(PROVIDER, restore.providerId());
    assertEquals("cp", restore.checkpointId());
    assertEquals(Optional.of(false), restore.powerOn());
    assertEquals(Optional.of("t"), restore.restoreTarget());
    assertTrue(restore.targetsJson().orElseThrow().replace(" ", "").equals("{\"server_id\":\"s\"}"), restore.targetsJson().get());
    String a = answer.replace(" ", "");
    assertTrue(a.contains("\"restore_target\":\"t\""), a);
    assertTrue(a.contains("\"resources_reason\":{}") && a.contains("\"resources_status\":{}"), a);
    assertTrue(a.contains("\"status\":\"in_progress\""), a);
    assertTrue(a.contains("\"project_id\":\"project-1\""), a);
  }

  @Test
  void restoreAcceptedWithoutTargetHasNoRestoreTargetKey() {
    RestoreRequest r = new RestoreRequest(PROVIDER, "cp", "b-1", Optional.empty(), Optional.empty(), Optional.empty());
    String a = JSON.restoreAccepted(r, "rid", "p").replace(" ", "");
    assertFalse(a.contains("restore_target"), a);
    assertTrue(a.contains("\"id\":\"rid\""), a);
  }

  @Test
  void readRestoreRefusals() {
    for (String notAnObject : List.of("[]", "\"restore\"", "{\"restore\": {}} {}", "", "42")) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readRestore(notAnObject), notAnObject);
      assertTrue(e.field().equals("body") || e.field().startsWith("restore"), notAnObject + ": " + e.field());
    }
    for (String item : List.of("\"\"", "\"  \"", "42", "null", "{}")) {
      String body = "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"cp\", \"parameters\": {"
          + "\"checkpoint_item_id\": " + item + "}}}";
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readRestore(body), item);
      assertEquals("restore.parameters.checkpoint_item_id", e.field(), item + ": " + e.getMessage());
    }
  }

  @Test
  void readRestoreOfAnArrayOrTwoValuesNamesBody() {
    for (String notOne : List.of("[]", "{\"restore\": {}} {}", "42")) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readRestore(notOne), notOne);
      assertEquals("body", e.field(), notOne + ": " + e.getMessage());
    }
  }

  @Test
  void restoreRequestRefusesNulls() {
    NullPointerException e = assertThrows(NullPointerException.class,
        () -> new RestoreRequest(PROVIDER, null, "b", Optional.empty(), Optional.empty(), Optional.empty()));
    assertTrue(String.valueOf(e.getMessage()).contains("checkpointId"), e.getMessage());
  }

  // ------------------------------------------------------------------ round trips of odd backups

  @Test
  void oddBackupsRoundTripThroughTheJsonAndTheServer() {
    String nonBmp = "\uD835\uDC9C";
    List<Backup> odd = new java.util.ArrayList<>();
    odd.add(backup(P, "b-empty-desc", 1).description("").build());
    odd.add(backup(P, "b-long-desc", 2).description("é".repeat(254) + "x").build());
    odd.add(Backup.builder().id("i".repeat(64)).name(nonBmp + "_ß_İ").projectId(P)
        .server(Server.of("s-" + nonBmp, "serveur " + nonBmp, "az-ß")).status(BackupStatus.AVAILABLE)
        .sizeMb(Backup.MAX_SIZE_MB).createdAt(Instant.EPOCH).updatedAt(Instant.EPOCH).finishedAt(Instant.EPOCH)
        .addTags(Tag.of("clé", ""), Tag.of("k" + nonBmp, "v" + nonBmp)).version(Long.MAX_VALUE).build());
    odd.add(backup(P, "b-zero", 3).build().toBuilder().sizeMb(0).build());
    odd.add(backup(P, "b-queued", 4, BackupStatus.CREATING, T0).apiStatus(io.csbs.backup.ApiStatus.WAITING_PROTECT)
        .progress(Progress.of(0, T0)).build());
    odd.add(backup(P, "b-restoring-100", 5, BackupStatus.RESTORING, T0).progress(Progress.of(100, T0.plusNanos(1)))
        .updatedAt(T0.plusNanos(1)).build());
    Backup failed = error(P, "b-err-then-delete");
    odd.add(io.csbs.lifecycle.Lifecycle.delete(failed, T0.plusSeconds(30)));
    odd.add(backup(P, "b-details", 6).details(io.csbs.backup.BackupDetails.builder().checkpointId("cp-é")
        .incremental(true).spaceSavingRatio(100).averageSpeedKbps(Long.MAX_VALUE)
        .failCode(new io.csbs.backup.FailCode(-7, "échec " + nonBmp))
        .vm(io.csbs.backup.VmMetadata.builder().regionName("eu-de").diskGb(Integer.MAX_VALUE).ramMb(1).vcpus(0)
            .eip("").privateIp("192.168.0.1").imageType("gold").cloudServiceType("hws.service.type.ec2").build())
        .build()).build());
    for (Backup b : odd) {
      assertEquals(b, JSON.readCheckpointItem(JSON.checkpointItem(b), P), b.id());
      catalog.add(b);
    }
    for (Backup b : odd) {
      Reply reply = get(v1(P) + "/checkpoint_items/" + enc(b.id()));
      assertEquals(200, reply.status(), b.id() + ": " + reply.body());
      assertEquals(b, JSON.readCheckpointItem(reply.body(), P), b.id());
    }
    Reply list = get(v1(P) + "/checkpoint_items");
    assertEquals(odd.size(), JSON.readCheckpointItems(list.body(), P).size());
    assertEquals(new java.util.HashSet<>(odd), new java.util.HashSet<>(JSON.readCheckpointItems(list.body(), P)));
  }

  @Test
  void aBareItemIsReadAsWellAsADetailsResponse() {
    Backup b = backup(P, "b-1", 1).build();
    String details = JSON.checkpointItem(b);
    String bare = details.substring(details.indexOf(':') + 1, details.length() - 1);
    assertTrue(bare.startsWith("{\"id\""), bare);
    assertEquals(b, JSON.readCheckpointItem(bare, P));
    // a bad bare item names its key without the checkpoint_item prefix
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> JSON.readCheckpointItem(bare.replace("\"size\":1025", "\"size\":\"x\""), P));
    assertEquals("extend_info.size", e.field(), e.getMessage());
  }

  @Test
  void listItemsNameTheirIndexInThePath() {
    Backup b = backup(P, "b-1", 1).build();
    String list = JSON.checkpointItems(new Page(List.of(b, b.toBuilder().id("b-2").build()), 2, false),
        URI.create("/v1/p/checkpoint_items"));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> JSON.readCheckpointItems(list.replaceFirst("\"size\":1025(?=.*\"size\":1025)", "\"size\":1025")
            .replace("\"id\":\"b-2\",\"name\":\"sauvegarde_1\"", "\"id\":\"b-2\",\"name\":\"a b\""), P));
    assertTrue(e.field().startsWith("checkpoint_items") && e.field().contains("1") && e.field().endsWith("name"),
        e.field());
  }

  @Test
  void numbersAsStringsOfDigitsAreRead() {
    String body = String.format(API_ITEM, "restoring", "\"7\"").replace("\"size\": \"146184\"", "\"size\": \"0\"");
    Backup b = JSON.readCheckpointItem(body, "p");
    assertEquals(7, b.progress().orElseThrow().percent());
    assertEquals(0, b.sizeMb());
    for (String notANumber : List.of("\"\"", "\"abc\"", "\"12abc\"", "\"0x10\"")) {
      String bad = String.format(API_ITEM, "available", "100").replace("\"size\": \"146184\"", "\"size\": " + notANumber);
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(bad, "p"), notANumber);
      assertEquals("checkpoint_item.extend_info.size", e.field(), e.getMessage());
    }
  }

  @Test
  void onlyStringsOfDigitsAreNumbers() {
    for (String notDigits : List.of("\"1e3\"", "\" 7 \"", "\"+7\"", "\"7.0\"")) {
      String bad = String.format(API_ITEM, "available", "100").replace("\"size\": \"146184\"", "\"size\": " + notDigits);
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(bad, "p"), notDigits);
      assertEquals("checkpoint_item.extend_info.size", e.field(), e.getMessage());
    }
  }

  @Test
  void aHugeExponentInANumberStringIsRefusedPromptly() {
    String huge = String.format(API_ITEM, "available", "100").replace("\"size\": \"146184\"", "\"size\": \"1e999999999\"");
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(3), () -> {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(huge, "p"));
      assertEquals("checkpoint_item.extend_info.size", e.field(), e.getMessage());
    });
  }

  @Test
  void unknownKeysAreIgnoredEvenNested() {
    String body = String.format(API_ITEM, "available", "100")
        .replace("\"taskid\": \"t-1\"", "\"taskid\": \"t-1\", \"future\": {\"a\": [1, {\"b\": null}]}");
    assertEquals(BackupStatus.AVAILABLE, JSON.readCheckpointItem(body, "p").status());
  }

  // ------------------------------------------------------------------ next links

  @Test
  void aPercentEncodedOffsetIsRemovedFromTheNextLink() {
    for (int i = 1; i <= 3; i++) {
      add("p1", "b-" + i, 10 - i);
    }
    Page page = catalog.query("p1", ListQueryString.parse("limit=1&offset=1"));
    String href = nextHref(JSON.checkpointItems(page, URI.create("/v1/p1/checkpoint_items?limit=1&%6Fffset=1")));
    assertFalse(href.contains("ffset"), "any offset removed: " + href);
    assertTrue(href.endsWith("marker=b-2"), href);
  }

  @Test
  void theServersNextLinkKeepsTheOtherParametersAndDropsOffset() {
    for (int i = 1; i <= 5; i++) {
      add(P, "b-" + i, 10 - i);
    }
    Reply reply = get(v1(P) + "/checkpoint_items?name=SAUVE&offset=1&limit=2");
    assertEquals(200, reply.status(), reply.body());
    assertEquals(List.of("b-2", "b-3"), JSON.readCheckpointItems(reply.body(), P).stream().map(Backup::id).toList());
    String href = nextHref(reply.body());
    assertFalse(href.contains("offset"), href);
    assertTrue(href.contains("name=SAUVE") && href.contains("limit=2") && href.endsWith("marker=b-3"), href);
    assertTrue(href.startsWith(server.uri().toString()), href);
  }

  // ------------------------------------------------------------------ console details

  @Test
  void headOnTheConsoleActualBehaviour() {
    assertEquals(200, send("HEAD", "/console/", null).status());
    assertEquals(302, send("HEAD", "/console", null).status());
    assertEquals("GET, HEAD", send("PUT", "/console/", "x").header("Allow"));
    assertEquals(405, send("HEAD", v1(P) + "/checkpoint_items", null).status());
  }

  @Test
  void theConsoleRedirectKeepsTheProject() {
    Reply r = get("/console?project=" + enc(P));
    assertTrue(r.status() / 100 == 3, String.valueOf(r.status()));
    assertEquals(200, get(URI.create(r.header("Location")).isAbsolute()
        ? server.uri().relativize(URI.create(r.header("Location"))).toString() : r.header("Location")).status());
  }

  @Test
  void consoleSettingsNowIsTheClocksInstant() {
    Clock clock = Clock.fixed(Instant.parse("2026-11-30T17:02:11Z"), ZoneOffset.UTC);
    try (CsbsServer s = CsbsServer.builder(catalog).clock(clock).build().start()) {
      Reply settings = send(s, "GET", "console/settings.json", null);
      assertEquals("{\"now\":\"2026-11-30T17:02:11Z\",\"stall_threshold_ms\":1800000}", settings.body().replace(" ", ""));
      assertTrue(settings.header("Content-Type").startsWith("application/json"), settings.header("Content-Type"));
    }
  }

  // ------------------------------------------------------------------ restore body types

  @Test
  void restoreWithoutProviderIdNamesIt() {
    add(P, "b-1", 1);
    assertApiError(400, "CSBS.9001", "restore.provider_id", send("POST", v1(P) + "/restores",
        "{\"restore\": {\"checkpoint_id\": \"cp\", \"parameters\": {\"checkpoint_item_id\": \"b-1\"}}}"));
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "b-1").status());
  }

  @Test
  void restorePowerOnMustBeABooleanAndTargetsAnObject() {
    add(P, "b-1", 1);
    assertApiError(400, "CSBS.9001", "power_on", send("POST", v1(P) + "/restores",
        restoreBody(PROVIDER, "cp", "b-1", ", \"power_on\": \"yes\"")));
    assertApiError(400, "CSBS.9001", "targets", send("POST", v1(P) + "/restores",
        restoreBody(PROVIDER, "cp", "b-1", ", \"targets\": [1]")));
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "b-1").status());
  }

  @Test
  void restoreOfAnotherProjectsBackupIs404AndTagsToo() {
    add("autre", "b-x", 1);
    assertApiError(404, "CSBS.3001", null, send("POST", v1(P) + "/restores", restoreBody(PROVIDER, "cp", "b-x", "")));
    assertApiError(404, "CSBS.3001", null, get(v1(P) + "/csbs_backup/b-x/tags"));
    assertApiError(404, "CSBS.3001", null, send("POST", v1(P) + "/csbs_backup/b-x/tags",
        "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}"));
    assertApiError(404, "CSBS.3001", null, send("DELETE",
        v1(P) + "/providers/" + PROVIDER + "/checkpoints/cp?checkpoint_items=b-x", null));
    assertEquals(BackupStatus.AVAILABLE, catalog.get("autre", "b-x").status());
    assertEquals(List.of(), catalog.get("autre", "b-x").tags());
  }

  @Test
  void deleteOfAnotherProvidersPathIsRefused() {
    add(P, "b-1", 1);
    Reply r = send("DELETE", v1(P) + "/providers/other/checkpoints/cp?checkpoint_items=b-1", null);
    assertTrue(r.status() == 400 || r.status() == 404, r.status() + " " + r.body());
    assertTrue(r.body().contains("error_code"), r.body());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "b-1").status());
  }

  // ------------------------------------------------------------------ tag query bodies

  @Test
  void tagQueryLimitAndOffsetAsStringsAndMatches() {
    for (int i = 1; i <= 4; i++) {
      catalog.add(backup(P, "b-" + i, i).addTags(Tag.of("env", "prod")).build());
    }
    String path = v1(P) + "/csbs_backup/resource_instances/action";
    Reply page = send("POST", path, "{\"action\": \"filter\", \"limit\": \"2\", \"offset\": \"1\", "
        + "\"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}]}");
    assertEquals(200, page.status(), page.body());
    String body = page.body().replace(" ", "");
    assertTrue(body.contains("\"total_count\":4"), body);
    assertEquals(2, body.split("\"resource_detail\"").length - 1, body);
    Reply match = send("POST", path, "{\"action\": \"count\", \"matches\": [{\"key\": \"resource_name\", "
        + "\"value\": \"sauvegarde_3\"}]}");
    assertEquals(200, match.status(), match.body());
    assertEquals("{\"total_count\":1}", match.body().replace(" ", ""));
    assertApiError(400, "CSBS.9001", "action", send("POST", path, "{\"action\": \"list\"}"));
  }

  @Test
  void tagQueryResultShape() {
    Backup b = backup(P, "b-1", 1).addTags(Tag.of("env", "prod")).build();
    String r = JSON.tagQueryResult(new Page(List.of(b), 7, true)).replace(" ", "");
    assertTrue(r.startsWith("{\"resources\":[{\"resource_id\":\"b-1\",\"resource_name\":\"sauvegarde_1\","
        + "\"resource_detail\":{"), r);
    assertTrue(r.endsWith(",\"tags\":[{\"key\":\"env\",\"value\":\"prod\"}]}],\"total_count\":7}"), r);
    assertEquals("{\"total_count\":0}", JSON.tagQueryCount(0).replace(" ", ""));
  }

  @Test
  void readTagAndTagUpdateBodies() {
    assertEquals(io.csbs.backup.TagUpdate.create(Tag.of("clé", "v")), JSON.readTag("{\"tag\": {\"key\": \"clé\", \"value\": \"v\"}}"));
    assertEquals(io.csbs.backup.TagUpdate.delete(io.csbs.backup.TagUpdate.Match.key("a"),
            io.csbs.backup.TagUpdate.Match.of("b", "1")),
        JSON.readTagUpdate("{\"action\": \"delete\", \"tags\": [{\"key\": \"a\"}, {\"key\": \"b\", \"value\": \"1\"}]}"));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> JSON.readTag("{\"tag\": {\"key\": \"a b\", \"value\": \"v\"}}"));
    assertTrue(e.field().contains("key"), e.field());
  }

  // ------------------------------------------------------------------ headers and content

  @Test
  void everyJsonAnswerIsUtf8Json() {
    add(P, "b-1", 1);
    for (String path : List.of("/checkpoint_items", "/checkpoint_items/count", "/checkpoint_items/b-1",
        "/csbs_backup/tags", "/csbs_backup/b-1/tags", "/quotas", "/storage_usage")) {
      Reply r = get(v1(P) + path);
      assertEquals(200, r.status(), path + ": " + r.body());
      assertEquals("application/json; charset=utf-8", r.header("Content-Type"), path);
    }
  }

  @Test
  void a204HasNoContentType() {
    add(P, "b-1", 1);
    Reply r = send("POST", v1(P) + "/csbs_backup/b-1/tags", "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}");
    assertEquals(204, r.status());
    assertEquals("", r.body());
  }

  // ------------------------------------------------------------------ a catalog that misbehaves

  /** {@code real} with the methods named in {@code overrides} replaced. */
  static BackupCatalog around(BackupCatalog real, Map<String, java.util.function.Function<Object[], Object>> overrides) {
    return (BackupCatalog) java.lang.reflect.Proxy.newProxyInstance(BackupCatalog.class.getClassLoader(),
        new Class<?>[] {BackupCatalog.class}, (proxy, method, args) -> {
          java.util.function.Function<Object[], Object> override = overrides.get(method.getName());
          if (override != null) {
            return override.apply(args);
          }
          try {
            return method.invoke(real, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void closeCutsOffACallInProgress() throws Exception {
    java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
    BackupCatalog slow = around(catalog, Map.of("quotaUsage", args -> {
      entered.countDown();
      try {
        never.await(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return catalog.quotaUsage((String) args[0]);
    }));
    CsbsServer s = CsbsServer.builder(slow).build().start();
    try {
      java.util.concurrent.CompletableFuture<HttpResponse<String>> call = HTTP.sendAsync(
          HttpRequest.newBuilder(s.uri().resolve("v1/p/quotas")).timeout(Duration.ofSeconds(20)).build(),
          BodyHandlers.ofString());
      assertTrue(entered.await(10, java.util.concurrent.TimeUnit.SECONDS), "the call reached the catalog");
      long before = System.nanoTime();
      s.close();
      java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
          () -> call.get(10, java.util.concurrent.TimeUnit.SECONDS), "the call in progress is cut off");
      assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
      assertTrue(System.nanoTime() - before < 5_000_000_000L, "at once");
    } finally {
      never.countDown();
      s.close();
    }
  }

  @Test
  void aQuotaRefusalIs400With9006() {
    add(P, "b-1", 1);
    BackupCatalog full = around(catalog, Map.of("apply", args -> {
      Quota.of(1, Quota.UNLIMITED).checkRoomFor((String) args[0], 1, 0, 1, 0);
      throw new AssertionError("the quota should have refused");
    }));
    try (CsbsServer s = CsbsServer.builder(full).build().start()) {
      Reply r = send(s, "POST", v1(P) + "/restores", restoreBody(PROVIDER, "cp", "b-1", ""));
      assertApiError(400, "CSBS.9006", null, r);
    }
  }

  @Test
  void anUnexpectedFailureIs500With9999AndNoCause() {
    BackupCatalog broken = around(catalog, Map.of("tagCatalogue", args -> {
      throw new UnsupportedOperationException("mot de passe: hunter2");
    }));
    try (CsbsServer s = CsbsServer.builder(broken).build().start()) {
      Reply r = send(s, "GET", v1(P) + "/csbs_backup/tags", null);
      assertApiError(500, "CSBS.9999", null, r);
      assertFalse(r.body().contains("hunter2"), r.body());
    }
  }

  // ------------------------------------------------------------------ paths, methods, parameters

  @Test
  void allowNamesTheMethodsThePathServes() {
    add(P, "b-1", 1);
    Map<String, List<String>> served = Map.of(
        v1(P) + "/checkpoint_items/b-1", List.of("GET"),
        v1(P) + "/csbs_backup/b-1/tags", List.of("GET", "POST"),
        v1(P) + "/csbs_backup/b-1/tags/action", List.of("POST"),
        v1(P) + "/csbs_backup/b-1/tags/k", List.of("DELETE"),
        v1(P) + "/csbs_backup/resource_instances/action", List.of("POST"),
        v1(P) + "/restores", List.of("POST"),
        v1(P) + "/providers/" + PROVIDER + "/checkpoints/cp", List.of("DELETE"));
    for (Map.Entry<String, List<String>> e : served.entrySet()) {
      Reply r = send("PATCH", e.getKey(), "{}");
      assertApiError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, r);
      List<String> allow = java.util.Arrays.stream(r.header("Allow").split(",")).map(String::strip).sorted().toList();
      assertTrue(allow.containsAll(e.getValue()), e.getKey() + ": " + allow);
    }
  }

  @Test
  void oddPathsAreNever500() {
    add(P, "b-1", 1);
    for (String path : List.of("v1", "v1/", "v1/" + enc(P), "v1/" + enc(P) + "/", "v1/" + enc(P) + "/checkpoint_items/",
        "v1/" + enc(P) + "/checkpoint_items/b-1/", "v1/" + enc(P) + "/checkpoint_items/b-1/extra",
        "v1/" + enc(P) + "/csbs_backup", "v1/" + enc(P) + "/csbs_backup/", "v1/" + enc(P) + "/csbs_backup/b-1",
        "v1/" + enc(P) + "/csbs_backup/b-1/tags/", "v1/" + enc(P) + "/providers/" + PROVIDER + "/checkpoints",
        "v1/" + enc(P) + "/providers//checkpoints/cp", "v1/" + enc(P) + "/quotas/x", "v1/%F0%9D%92%9C/quotas",
        "v1/" + enc(P) + "/checkpoint_items?", "v1/" + enc(P) + "/checkpoint_items?&", "v1/" + enc(P) + "/checkpoint_items?limit",
        "v1/" + enc(P) + "/storage_usage?limit=%F0%9D%92%9C", "v1/" + enc(P) + "/checkpoint_items/%00")) {
      for (String method : List.of("GET", "POST", "DELETE")) {
        Reply r = send(method, path, method.equals("POST") ? "{}" : null);
        assertTrue(r.status() < 500, method + " " + path + ": " + r.status() + " " + r.body());
        assertTrue(r.status() == 200 || r.status() == 204 || r.body().contains("error_code"),
            method + " " + path + ": " + r.status() + " " + r.body());
      }
    }
  }

  @Test
  void everyListParameterThroughTheServer() {
    Instant t1 = Instant.parse("2026-11-10T00:00:00Z");
    catalog.add(Backup.builder().id("a").name("Grüße_1").projectId(P).server(Server.of("srv-A", "Web-ß", "az-1"))
        .status(BackupStatus.AVAILABLE).trigger(BackupTrigger.AUTOMATIC).policyId("pol-1").sizeMb(1).createdAt(t1).build());
    catalog.add(Backup.builder().id("b").name("other").projectId(P).server(Server.of("srv-B", "db", "az-2"))
        .status(BackupStatus.CREATING).progress(Progress.of(10, t1.plusSeconds(1))).sizeMb(1)
        .createdAt(t1.plusSeconds(1)).build());
    catalog.add(Backup.builder().id("c").name("third").projectId(P).server(Server.of("srv-B", "db", "az-2"))
        .status(BackupStatus.CREATING).apiStatus(io.csbs.backup.ApiStatus.WAITING_PROTECT).progress(Progress.of(0, t1))
        .sizeMb(1).createdAt(t1.minusNanos(1000)).build());
    Map<String, List<String>> expected = new java.util.LinkedHashMap<>();
    expected.put("status=available", List.of("a"));
    expected.put("status=protecting", List.of("b", "c"));      // selects the state Creating
    expected.put("status=waiting_protect", List.of("b", "c"));
    expected.put("status=deleted", List.of());
    expected.put("name=" + enc("GRÜSSE"), List.of());         // contains, ignoring case: ß is not SS char by char
    expected.put("name=" + enc("grüße"), List.of("a"));
    expected.put("resource_id=srv-B", List.of("b", "c"));
    expected.put("resource_id=srv-b", List.of());              // equals
    expected.put("resource_name=" + enc("WEB-ß"), List.of("a"));
    expected.put("checkpoint_id=b", List.of("b"));
    expected.put("start_time=2026-11-10T00:00:00&end_time=2026-11-10T00:00:00", List.of("a"));   // both inclusive
    expected.put("start_time=2026-11-09T23:59:59.999999&end_time=2026-11-10T00:00:00.000000001", List.of("a", "c"));
    expected.put("start_time=2026-11-10T00:00:00.000001", List.of("b"));
    expected.put("az=az-2", List.of("b", "c"));
    expected.put("resource_type=" + enc("OS::Nova::Server"), List.of("b", "a", "c"));
    expected.put("policy_id=pol-1", List.of("a"));
    expected.put("sort=created_at:asc", List.of("c", "a", "b"));
    expected.put("sort=name:asc", List.of("a", "b", "c"));
    expected.put("limit=1&offset=2", List.of("c"));
    expected.put("limit=1&marker=a", List.of("c"));
    for (Map.Entry<String, List<String>> e : expected.entrySet()) {
      Reply r = get(v1(P) + "/checkpoint_items?" + e.getKey());
      assertEquals(200, r.status(), e.getKey() + ": " + r.body());
      assertEquals(e.getValue(), JSON.readCheckpointItems(r.body(), P).stream().map(Backup::id).toList(), e.getKey());
      if (!e.getKey().contains("sort") && !e.getKey().contains("limit")) {
        Reply count = get(v1(P) + "/checkpoint_items/count?" + e.getKey());
        assertEquals(e.getValue().size(), JSON.readCount(count.body()), "count " + e.getKey());
      }
    }
    assertApiError(400, "CSBS.9001", "offset", get(v1(P) + "/checkpoint_items?offset=1&marker=a"));
    assertApiError(400, "CSBS.9001", "name", get(v1(P) + "/checkpoint_items?name=a&name=b"));
    assertApiError(400, "CSBS.9001", "name", get(v1(P) + "/checkpoint_items?name="));
    assertApiError(400, "CSBS.9001", "query string", get(v1(P) + "/checkpoint_items?=x"));
    assertApiError(400, "CSBS.9001", "limit", get(v1(P) + "/checkpoint_items?limit=1001"));
    assertEquals(200, get(v1(P) + "/checkpoint_items?limit=1000").status());
  }

  // ------------------------------------------------------------------ more JSON

  @Test
  void quotaCapacityIsRoundedHalfUpToTwoDecimals() {
    String five = JSON.quotas(new QuotaUsage(Quota.NONE, 1, 5)).replace(" ", "");
    assertTrue(five.contains("\"unit\":\"GB\",\"quota\":-1,\"used\":0.00"), five);   // 0.0049 GB
    String six = JSON.quotas(new QuotaUsage(Quota.NONE, 1, 6)).replace(" ", "");
    assertTrue(six.contains("\"used\":0.01"), six);                                    // 0.0059 GB
    String halves = JSON.quotas(new QuotaUsage(Quota.NONE, 1, 1024 * 3 + 512)).replace(" ", "");
    assertTrue(halves.contains("\"used\":3.50"), halves);
  }

  @Test
  void timesWithAnOffsetAreRefusedNamingTheKey() {
    Backup b = backup(P, "b-1", 1).build();
    String item = JSON.checkpointItem(b).replace("\"created_at\":\"2026-11-01T08:01:00.250001\"",
        "\"created_at\":\"2026-11-01T08:01:00.250001+02:00\"");
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(item, P));
    assertEquals("checkpoint_item.created_at", e.field(), e.getMessage());
  }

  @Test
  void timesWithoutAFractionActualBehaviour() {
    // the docs say times are written with microseconds; whether a reader takes fewer digits they do not say
    Backup b = backup(P, "b-1", 1, BackupStatus.AVAILABLE, Instant.parse("2026-11-01T08:01:00Z")).build();
    String item = JSON.checkpointItem(b).replace("\"2026-11-01T08:01:00.000000\"", "\"2026-11-01T08:01:00\"");
    assertTrue(item.contains("\"2026-11-01T08:01:00\""), item);
    assertEquals(b, JSON.readCheckpointItem(item, P));
  }

  @Test
  void aListBodyWithoutItsKeyNamesIt() {
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItems("{}", P));
    assertEquals("checkpoint_items", e.field(), e.getMessage());
    String error = JSON.error("CSBS.9001", "limit '0' is invalid");
    InvalidValueException e2 = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItems(error, P));
    assertEquals("checkpoint_items", e2.field(), e2.getMessage());
  }

  @Test
  void aListBodyWhoseItemsAreNoArrayIsRefused() {
    InvalidValueException e2 = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem("{", P));
    assertEquals("body", e2.field(), e2.getMessage());
    InvalidValueException e3 = assertThrows(InvalidValueException.class,
        () -> JSON.readCheckpointItems("{\"checkpoint_items\": {}}", P));
    assertEquals("checkpoint_items", e3.field(), e3.getMessage());
  }

  // ------------------------------------------------------------------ the server's bodies are CsbsJson's

  @Test
  void theServersBodiesAreThoseOfCsbsJson() {
    Backup b = backup(P, "b-1", 1).addTags(Tag.of("env", "prod"), Tag.of("app", "é")).build();
    catalog.add(b);
    add(P, "b-2", 2);
    assertEquals(JSON.checkpointItem(b), get(v1(P) + "/checkpoint_items/b-1").body());
    assertEquals(JSON.tags(b.tags()), get(v1(P) + "/csbs_backup/b-1/tags").body());
    assertEquals(JSON.count(2), get(v1(P) + "/checkpoint_items/count").body());
    assertEquals(JSON.tagCatalogue(catalog.tagCatalogue(P)), get(v1(P) + "/csbs_backup/tags").body());
    assertEquals(JSON.storageUsage(catalog.usage(P, io.csbs.usage.UsageQuery.firstServers(1000))),
        get(v1(P) + "/storage_usage").body());
    String filterBody = "{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}]}";
    TagFilter filter = JSON.readTagFilter(filterBody);
    assertEquals(JSON.tagQueryResult(catalog.query(P, filter.toQuery())),
        send("POST", v1(P) + "/csbs_backup/resource_instances/action", filterBody).body());
    String list = get(v1(P) + "/checkpoint_items?limit=1").body();
    assertEquals(JSON.checkpointItems(catalog.query(P, ListQueryString.parse("limit=1")),
        server.uri().resolve(v1(P) + "/checkpoint_items?limit=1")), list);
  }

  @Test
  void theRestoreAnswerIsRestoreAccepted() {
    add(P, "b-1", 1);
    String body = "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"cp\", "
        + "\"restore_target\": \"rt\", \"parameters\": {\"checkpoint_item_id\": \"b-1\", \"power_on\": true, "
        + "\"targets\": {\"server_id\": \"s\", \"volumes\": []}}}}";
    Reply r = send("POST", v1(P) + "/restores", body);
    assertEquals(200, r.status(), r.body());
    Matcher m = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
    assertTrue(m.find(), r.body());
    assertEquals(JSON.restoreAccepted(JSON.readRestore(body), m.group(1), P), r.body());
    assertTrue(r.body().contains("\"restore_target\":\"rt\""), r.body());
  }

  @Test
  void aRestoreStartsAtZeroPercentAtTheCatalogsClock() {
    add(P, "b-1", 1);
    assertEquals(200, send("POST", v1(P) + "/restores", restoreBody(PROVIDER, "cp", "b-1", "")).status());
    Reply details = get(v1(P) + "/checkpoint_items/b-1");
    String d = details.body().replace(" ", "");
    assertTrue(d.contains("\"status\":\"restoring\""), d);
    assertTrue(d.contains("\"progress\":0,") || d.contains("\"progress\":0}"), d);
    assertTrue(d.contains("\"updated_at\":\"2026-11-30T17:02:11.000000\""), d);
    assertTrue(d.contains("\"progress_updated_at\":\"2026-11-30T17:02:11.000000\""), d);
    assertTrue(d.contains("\"version\":2"), d);
    // a second restore: the job runs
    assertApiError(400, "CSBS.2003", null, send("POST", v1(P) + "/restores", restoreBody(PROVIDER, "cp", "b-1", "")));
    assertApiError(400, "CSBS.2003", null, send("DELETE",
        v1(P) + "/providers/" + PROVIDER + "/checkpoints/cp?checkpoint_items=b-1", null));
  }

  @Test
  void errorOfARefusalIsItsCodeAndMessage() {
    Backup busy = running(P, "b-busy", BackupStatus.CREATING);
    RuntimeException e = assertThrows(RuntimeException.class, () -> io.csbs.lifecycle.Lifecycle.restore(busy, NOW));
    io.csbs.CsbsError error = (io.csbs.CsbsError) e;
    assertEquals("CSBS.2003", error.code().code());
    assertEquals(JSON.error("CSBS.2003", e.getMessage()), JSON.error(error));
  }

  @Test
  void storageUsageIsLargestFirst() {
    catalog.add(Backup.builder().id("x1").name("x1").projectId(P).server(Server.of("s-small", "petit", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(10).createdAt(T0).build());
    catalog.add(Backup.builder().id("x2").name("x2").projectId(P).server(Server.of("s-big", "grand", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(30).createdAt(T0).build());
    catalog.add(Backup.builder().id("x3").name("x3").projectId(P).server(Server.of("s-mid", "moyen", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(15).createdAt(T0).build());
    catalog.add(Backup.builder().id("x4").name("x4").projectId(P).server(Server.of("s-mid", "moyen", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(10).createdAt(T0).build());
    String u = get(v1(P) + "/storage_usage").body().replace(" ", "");
    assertTrue(u.indexOf("s-big") < u.indexOf("s-mid") && u.indexOf("s-mid") < u.indexOf("s-small"), u);
    assertTrue(u.contains("\"resource_id\":\"s-mid\",\"resource_name\":\"moyen\",\"resource_type\":\"OS::Nova::Server\","
        + "\"backup_count\":2,\"backup_size\":25"), u);
    assertTrue(u.endsWith("\"resource_count\":3}"), u);
  }

  @Test
  void tagQueryGroupsThroughTheServer() {
    catalog.add(backup(P, "a", 1).addTags(Tag.of("env", "prod"), Tag.of("team", "qa-test")).build());
    catalog.add(backup(P, "b", 2).addTags(Tag.of("env", "staging"), Tag.of("app", "x")).build());
    catalog.add(backup(P, "c", 3).addTags(Tag.of("app", "y")).build());
    catalog.add(backup(P, "d", 4).build());
    String path = v1(P) + "/csbs_backup/resource_instances/action";
    Map<String, Long> counts = new java.util.LinkedHashMap<>();
    counts.put("\"tags\": [{\"key\": \"env\", \"values\": [\"prod\", \"staging\"]}, {\"key\": \"app\", \"values\": []}]", 1L);
    counts.put("\"tags_any\": [{\"key\": \"env\", \"values\": [\"prod\"]}, {\"key\": \"app\", \"values\": [\"*\"]}]", 3L);
    counts.put("\"not_tags\": [{\"key\": \"env\", \"values\": []}, {\"key\": \"app\", \"values\": []}]", 3L);
    counts.put("\"not_tags_any\": [{\"key\": \"team\", \"values\": [\"*test\"]}]", 3L);
    counts.put("\"not_tags_any\": [{\"key\": \"env\", \"values\": []}, {\"key\": \"app\", \"values\": []}]", 1L);
    counts.put("\"tags\": [{\"key\": \" env \", \"values\": [\" prod \"]}]", 1L);   // trimmed
    counts.put("\"matches\": [{\"key\": \"resource_name\", \"value\": \"SAUVEGARDE\"}]", 4L);
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      Reply r = send("POST", path, "{\"action\": \"count\", " + e.getKey() + "}");
      assertEquals(200, r.status(), e.getKey() + ": " + r.body());
      assertEquals("{\"total_count\":" + e.getValue() + "}", r.body().replace(" ", ""), e.getKey());
    }
    // a count ignores limit and offset
    Reply r = send("POST", path, "{\"action\": \"count\", \"limit\": 1, \"offset\": 3}");
    assertEquals("{\"total_count\":4}", r.body().replace(" ", ""));
  }

  @Test
  void aTagQueryResultsResourceDetailIsTheCheckpointItem() {
    Backup b = backup(P, "b-1", 1).addTags(Tag.of("env", "prod")).description("détail").build();
    catalog.add(b);
    Reply r = send("POST", v1(P) + "/csbs_backup/resource_instances/action", "{\"action\": \"filter\"}");
    String body = r.body();
    int start = body.indexOf("\"resource_detail\":") + "\"resource_detail\":".length();
    String item = JSON.checkpointItem(b);
    String bare = item.substring(item.indexOf(':') + 1, item.length() - 1);
    assertTrue(body.startsWith(bare, start), body);
    assertEquals(b, JSON.readCheckpointItem(bare, P));
  }

  @Test
  void aNextLinkKeepsTheRequestsEncodingAndMarkersWithOddIds() {
    Server odd = Server.of("srv-odd", "a&b=c é", "az");
    String oddId = "b&c=d é/x+y";
    catalog.add(Backup.builder().id(oddId).name("one").projectId(P).server(odd).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(T0.plusSeconds(2)).build());
    catalog.add(Backup.builder().id("second").name("two").projectId(P).server(odd).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(T0.plusSeconds(1)).build());
    Reply first = get(v1(P) + "/checkpoint_items?resource_name=" + enc("A&B=C É") + "&limit=1");
    assertEquals(200, first.status(), first.body());
    assertEquals(List.of(oddId), JSON.readCheckpointItems(first.body(), P).stream().map(Backup::id).toList());
    assertEquals(Optional.of(oddId), JSON.readNextMarker(first.body()));
    String href = nextHref(first.body());
    Reply second = send("GET", server.uri().relativize(URI.create(href)).toString(), null);
    assertEquals(200, second.status(), href + ": " + second.body());
    assertEquals(List.of("second"), JSON.readCheckpointItems(second.body(), P).stream().map(Backup::id).toList(), href);
  }

  // ------------------------------------------------------------------ versions

  /** A catalog whose apply conflicts {@code conflicts} times, then applies; counts the calls in {@code calls}. */
  BackupCatalog conflicting(int conflicts, java.util.concurrent.atomic.AtomicInteger calls) {
    return around(catalog, Map.of("apply", args -> {
      if (calls.incrementAndGet() <= conflicts) {
        throw new io.csbs.catalog.VersionConflictException((String) args[1], (Long) args[2], (Long) args[2] + 1);
      }
      return catalog.apply((String) args[0], (String) args[1], (Long) args[2], (Transition) args[3]);
    }));
  }

  @Test
  void aRestoreThatConflictsAFewTimesIsRetriedAndSucceeds() {
    add(P, "b-1", 1);
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    try (CsbsServer s = CsbsServer.builder(conflicting(3, calls)).build().start()) {
      Reply r = send(s, "POST", v1(P) + "/restores", restoreBody(PROVIDER, "cp", "b-1", ""));
      assertEquals(200, r.status(), r.body());
      assertEquals(4, calls.get());
      assertEquals(BackupStatus.RESTORING, catalog.get(P, "b-1").status());
    }
  }

  @Test
  void aDeleteThatAlwaysConflictsIs409() {
    add(P, "b-1", 1);
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    try (CsbsServer s = CsbsServer.builder(conflicting(Integer.MAX_VALUE, calls)).build().start()) {
      Reply r = send(s, "DELETE", v1(P) + "/providers/" + PROVIDER + "/checkpoints/cp?checkpoint_items=b-1", null);
      assertApiError(409, "CSBS.LIB.VERSION_CONFLICT", null, r);
      assertTrue(calls.get() >= 10 && calls.get() <= 11, "tried " + calls.get() + " times");
      assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "b-1").status());
    }
  }

  @Test
  void aCallThatAlwaysConflictsActualBehaviour() {
    add(P, "b-1", 1);
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    try (CsbsServer s = CsbsServer.builder(conflicting(Integer.MAX_VALUE, calls)).build().start()) {
      assertApiError(409, "CSBS.LIB.VERSION_CONFLICT", null,
          send(s, "POST", v1(P) + "/restores", restoreBody(PROVIDER, "cp", "b-1", "")));
      assertEquals(10, calls.get());
    }
  }

  @Test
  void aBackupAtTheLastVersionIsRefusedNamingVersion() {
    catalog.add(backup(P, "b-max", 1).version(Long.MAX_VALUE).build());
    assertApiError(400, "CSBS.9001", "version", send("POST", v1(P) + "/restores", restoreBody(PROVIDER, "cp", "b-max", "")));
    assertApiError(400, "CSBS.9001", "version", send("POST", v1(P) + "/csbs_backup/b-max/tags",
        "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}"));
    assertEquals(Long.MAX_VALUE, catalog.get(P, "b-max").version());
  }

  // ------------------------------------------------------------------ odd bodies

  @Test
  void oddBodiesAre400NamingBodyOrTheKey() {
    add(P, "b-1", 1);
    String tags = v1(P) + "/csbs_backup/b-1/tags";
    for (String body : List.of("", "null", "42", "[]", "\"tag\"", "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}} x")) {
      Reply r = send("POST", tags, body);
      assertApiError(400, "CSBS.9001", null, r);
      assertTrue(r.body().contains("body") || r.body().contains("tag"), body + ": " + r.body());
    }
    Reply lone = send("POST", tags, "{\"tag\": {\"key\": \"k\\uD800\", \"value\": \"v\"}}");
    assertApiError(400, "CSBS.9001", "key", lone);
    Reply match = send("POST", v1(P) + "/csbs_backup/resource_instances/action",
        "{\"action\": \"count\", \"matches\": [{\"key\": \"resource_name\", \"value\": \"\\uDC00\"}]}");
    assertTrue(match.status() == 200 || match.status() == 400, match.status() + " " + match.body());
    assertEquals(List.of(), catalog.get(P, "b-1").tags());
  }

  // ------------------------------------------------------------------ addresses

  @Test
  void anotherLoopbackAddressIsTheUrisHost() throws Exception {
    InetAddress other = InetAddress.getByName("127.0.0.2");
    CsbsServer s;
    try {
      s = CsbsServer.builder(catalog).address(other).build().start();
    } catch (UncheckedIOException e) {
      Assumptions.abort("127.0.0.2 cannot be bound here: " + e.getMessage());
      return;
    }
    try {
      assertEquals("127.0.0.2", s.uri().getHost());
      assertEquals(200, send(s, "GET", "v1/p/quotas", null).status());
    } finally {
      s.close();
    }
  }

  @Test
  void theIpv6LoopbackGivesAUsableUri() throws Exception {
    InetAddress v6 = InetAddress.getByName("::1");
    CsbsServer s;
    try {
      s = CsbsServer.builder(catalog).address(v6).build().start();
    } catch (UncheckedIOException e) {
      Assumptions.abort("::1 cannot be bound here: " + e.getMessage());
      return;
    }
    try {
      assertTrue(s.uri().toString().startsWith("http://["), s.uri().toString());
      add("p", "b-1", 1);
      add("p", "b-2", 2);
      Reply r = send(s, "GET", "v1/p/checkpoint_items?limit=1", null);
      assertEquals(200, r.status(), r.body());
      String href = nextHref(r.body());
      assertTrue(href.startsWith(s.uri().toString()), href + " on " + s.uri());
      assertEquals(200, send(s, "GET", s.uri().relativize(URI.create(href)).toString(), null).status());
    } finally {
      s.close();
    }
  }

  // ------------------------------------------------------------------ tag bodies through the reader

  @Test
  void tagFilterNumbersAndRefusalsNameTheKey() {
    TagFilter f = JSON.readTagFilter("{\"action\": \"filter\", \"limit\": \"5\", \"offset\": 2}");
    assertEquals(TagFilter.builder().limit(5).offset(2).build(), f);
    for (String[] c : new String[][] {{"\"limit\": \"abc\"", "limit"}, {"\"limit\": 0", "limit"},
        {"\"offset\": -1", "offset"}, {"\"tags\": {}", "tags"}, {"\"tags\": [{\"values\": [\"a\"]}]", "key"}}) {
      String body = "{\"action\": \"filter\", " + c[0] + "}";
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readTagFilter(body), c[0]);
      assertTrue(e.field().contains(c[1]) || e.getMessage().contains(c[1]), c[0] + ": " + e.field() + " / " + e.getMessage());
    }
  }

  @Test
  void tagFilterActionIsRequiredActualBehaviour() {
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readTagFilter("{\"limit\": 5}"));
    assertEquals("action", e.field(), e.getMessage());
    InvalidValueException e2 = assertThrows(InvalidValueException.class, () -> JSON.readTagFilter("{\"action\": \"list\"}"));
    assertEquals("action", e2.field(), e2.getMessage());
    assertApiError(400, "CSBS.9001", "action", send("POST", v1(P) + "/csbs_backup/resource_instances/action", "{}"));
  }

  @Test
  void theWildcardAddressUriNamesTheLoopbackAddress() throws Exception {
    try (CsbsServer s = CsbsServer.builder(catalog).address(InetAddress.getByName("0.0.0.0")).build().start()) {
      assertEquals(InetAddress.getLoopbackAddress().getHostAddress(), s.uri().getHost());
      assertEquals(200, send(s, "GET", "/console/", null).status());
    }
  }

  @Test
  void tagUpdateRefusalsNameTheKey() {
    for (String[] c : new String[][] {{"{\"action\": \"merge\", \"tags\": []}", "action"},
        {"{\"action\": \"create\"}", "tags"}, {"{\"action\": \"create\", \"tags\": [{\"key\": \"k\"}]}", "value"},
        {"{}", "tag"}}) {
      InvalidValueException e = assertThrows(InvalidValueException.class,
          () -> { if (c[0].contains("action")) { JSON.readTagUpdate(c[0]); } else { JSON.readTag(c[0]); } }, c[0]);
      assertTrue(e.field().contains(c[1]), c[0] + ": " + e.field() + " / " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------ more paths

  @Test
  void otherFilesUnderConsoleAre404InPlainText() {
    for (String path : List.of("/console/index.html", "/console/Console.css", "/console/console.js/", "/console/x/console.js",
        "/console/settings.json/x", "/console/settings")) {
      Reply r = get(path);
      assertEquals(404, r.status(), path + ": " + r.body());
      assertTrue(String.valueOf(r.header("Content-Type")).startsWith("text/plain"), path + ": " + r.header("Content-Type"));
      assertFalse(r.body().contains("error_code"), path + ": " + r.body());
    }
    Reply post = send("POST", "/console/", "x");
    assertTrue(String.valueOf(post.header("Content-Type")).startsWith("text/plain"), post.header("Content-Type"));
  }

  @Test
  void theConsolePageTakesAnyProjectAndSettingsIgnoreAQuery() {
    assertEquals(200, get("/console/?project=" + enc("p/\uD835\uDC9C &x=1")).status());
    assertEquals(200, get("/console/settings.json?x=1").status());
    assertEquals(200, get("/console/console.js?v=2").status());
  }

  @Test
  void idsAndProjectsWithDotsPercentAndQuestionMarksAreFound() {
    for (String id : List.of("..", ".", "100%", "a?b", "a#b", "a;b")) {
      add("p/..", id, 1);
      Reply r = get("v1/" + enc("p/..") + "/checkpoint_items/" + enc(id).replace(".", "%2E"));
      assertEquals(200, r.status(), id + ": " + r.body());
      assertEquals(id, JSON.readCheckpointItem(r.body(), "p/..").id());
    }
    Reply list = get("v1/" + enc("p/..") + "/checkpoint_items");
    assertEquals(6, JSON.readCheckpointItems(list.body(), "p/..").size());
  }

  @Test
  void aBodyOverOneMebibyteInBytesIs413EvenWhenItsCharsAreFewer() {
    add(P, "b-1", 1);
    String value = "é".repeat(600_000);   // 600,000 chars, 1,200,000 bytes
    String body = "{\"tag\": {\"key\": \"k\", \"value\": \"" + value + "\"}}";
    assertApiError(413, "CSBS.LIB.BODY_TOO_LARGE", null, send("POST", v1(P) + "/csbs_backup/b-1/tags", body));
  }

  @Test
  void aChunkedBodyOverOneMebibyteIs413() throws Exception {
    add(P, "b-1", 1);
    byte[] big = ("{\"tag\": {\"key\": \"k\", \"value\": \"" + "x".repeat(1 << 20) + "\"}}").getBytes(StandardCharsets.UTF_8);
    HttpRequest request = HttpRequest.newBuilder(server.uri().resolve(v1(P) + "/csbs_backup/b-1/tags"))
        .POST(BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
        .timeout(Duration.ofSeconds(20)).build();
    HttpResponse<String> response;
    try {
      response = HTTP.send(request, BodyHandlers.ofString());
    } catch (IOException e) {
      return;   // the server may stop reading and close: then nothing was changed either
    } finally {
      assertEquals(List.of(), catalog.get(P, "b-1").tags());
    }
    assertEquals(413, response.statusCode(), response.body());
    assertTrue(response.body().contains("CSBS.LIB.BODY_TOO_LARGE"), response.body());
  }

  @Test
  void otherMethodsOnTheRootAreNo500() {
    for (String method : List.of("POST", "DELETE", "PUT")) {
      Reply r = send(method, "/", "{}");
      assertTrue(r.status() == 404 || r.status() == 405, method + ": " + r.status() + " " + r.body());
    }
  }

  // ------------------------------------------------------------------ next hrefs of odd requests

  String hrefFor(String request) {
    Backup b1 = backup("p1", "b-1", 2).build();
    Page page = new Page(List.of(b1), 5, true);
    return nextHref(JSON.checkpointItems(page, URI.create(request)));
  }

  @Test
  void nextHrefsOfOddRequests() {
    assertEquals("/v1/p1/checkpoint_items?marker=b-1", hrefFor("/v1/p1/checkpoint_items?"));
    assertEquals("/v1/p1/checkpoint_items?marker=b-1", hrefFor("/v1/p1/checkpoint_items?marker="));
    assertEquals("/v1/p1/checkpoint_items?mymarker=1&offset_x=2&marker=b-1",
        hrefFor("/v1/p1/checkpoint_items?mymarker=1&offset_x=2"));
    assertEquals("/v1/p1/checkpoint_items?name=a%26b&marker=b-1", hrefFor("/v1/p1/checkpoint_items?name=a%26b&offset=3"));
    assertEquals("http://h.example:8443/v1/p1/checkpoint_items?limit=1&marker=b-1",
        hrefFor("http://h.example:8443/v1/p1/checkpoint_items?limit=1"));
    assertEquals("/v1/p1/checkpoint_items?limit=1&marker=b-1", hrefFor("/v1/p1/checkpoint_items?marker=b-0&limit=1"));
  }

  @Test
  void aMarkerWithReservedCharsIsEncodedAndReadBack() {
    String id = "a&b=c+d é/%";
    Page page = new Page(List.of(backup("p1", id, 1).build()), 2, true);
    String body = JSON.checkpointItems(page, URI.create("/v1/p1/checkpoint_items?limit=1"));
    String href = nextHref(body);
    assertFalse(href.contains("&b=c"), href);
    assertEquals(Optional.of(id), JSON.readNextMarker(body));
    assertEquals(id, ListQueryString.parse(URI.create(href).getRawQuery()).toString().contains(id) ? id
        : catalogMarkerOf(href), href);
  }

  static String catalogMarkerOf(String href) {
    for (String pair : URI.create(href).getRawQuery().split("&")) {
      if (pair.startsWith("marker=")) {
        return java.net.URLDecoder.decode(pair.substring("marker=".length()), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ more refusals and empty answers

  @Test
  void restoreRequiresEachIdAsANonBlankString() {
    add(P, "b-1", 1);
    String path = v1(P) + "/restores";
    assertApiError(400, "CSBS.9001", "checkpoint_id", send("POST", path,
        "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"\", \"parameters\": {\"checkpoint_item_id\": \"b-1\"}}}"));
    assertApiError(400, "CSBS.9001", "checkpoint_id", send("POST", path,
        "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": 42, \"parameters\": {\"checkpoint_item_id\": \"b-1\"}}}"));
    assertApiError(400, "CSBS.9001", "provider_id", send("POST", path,
        "{\"restore\": {\"provider_id\": 42, \"checkpoint_id\": \"cp\", \"parameters\": {\"checkpoint_item_id\": \"b-1\"}}}"));
    assertApiError(400, "CSBS.9001", "restore.parameters.checkpoint_item_id", send("POST", path,
        restoreBody(PROVIDER, "cp", " ", "")));
    assertApiError(400, "CSBS.9001", "restore", send("POST", path, "{}"));
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "b-1").status());
  }

  @Test
  void deleteOfAnUnknownBackupIs3001() {
    assertApiError(404, "CSBS.3001", null,
        send("DELETE", v1(P) + "/providers/" + PROVIDER + "/checkpoints/cp?checkpoint_items=nobody", null));
  }

  @Test
  void anEmptyProjectHasEmptyUsageAndNoQuota() {
    assertEquals("{\"storage_usage\":[],\"resource_count\":0}", get(v1("vide") + "/storage_usage").body().replace(" ", ""));
    assertEquals("{\"quotas\":{\"resources\":[{\"type\":\"backups\",\"quota\":-1,\"used\":0},"
        + "{\"type\":\"backup_capacity\",\"unit\":\"GB\",\"quota\":-1,\"used\":0.00}]}}",
        get(v1("vide") + "/quotas").body().replace(" ", ""));
    assertEquals("{\"tags\":[]}", get(v1("vide") + "/csbs_backup/tags").body().replace(" ", ""));
    assertEquals("{\"count\":0}", get(v1("vide") + "/checkpoint_items/count").body().replace(" ", ""));
  }

  @Test
  void readNextMarkerOfOddBodies() {
    assertEquals(Optional.empty(), JSON.readNextMarker("{\"checkpoint_items\": []}"));
    assertEquals(Optional.empty(), JSON.readNextMarker(
        "{\"checkpoint_items\": [], \"checkpoint_items_links\": [{\"href\": \"/x?marker=a\", \"rel\": \"prev\"}]}"));
    assertEquals(Optional.of("a b"), JSON.readNextMarker(
        "{\"checkpoint_items\": [], \"checkpoint_items_links\": [{\"href\": \"/x?limit=1&marker=a%20b\", \"rel\": \"next\"}]}"));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> JSON.readNextMarker("{\"checkpoint_items\": [], \"checkpoint_items_links\": \"next\"}"));
    assertTrue(e.field().startsWith("checkpoint_items_links"), e.field());
    InvalidValueException e2 = assertThrows(InvalidValueException.class, () -> JSON.readNextMarker("not json"));
    assertEquals("body", e2.field(), e2.getMessage());
  }

  @Test
  void theTagCatalogueIsSortedCharByChar() {
    catalog.add(backup(P, "b-1", 1).addTags(Tag.of("F", "b"), Tag.of("É", "é"), Tag.of("e", "B")).build());
    catalog.add(backup(P, "b-2", 2).addTags(Tag.of("F", "a"), Tag.of("e", "a")).build());
    assertEquals("{\"tags\":[{\"key\":\"F\",\"values\":[\"a\",\"b\"]},{\"key\":\"e\",\"values\":[\"B\",\"a\"]},"
        + "{\"key\":\"É\",\"values\":[\"é\"]}]}", get(v1(P) + "/csbs_backup/tags").body().replace(" ", ""));
  }

  @Test
  void theNextLinkIsOnTheHostTheClientNamed() throws Exception {
    add(P, "b-1", 1);
    add(P, "b-2", 2);
    URI viaName = URI.create("http://localhost:" + server.port() + "/" + v1(P) + "/checkpoint_items?limit=1");
    HttpResponse<String> r;
    try {
      r = HTTP.send(HttpRequest.newBuilder(viaName).build(), BodyHandlers.ofString());
    } catch (java.net.ConnectException e) {
      Assumptions.abort("localhost does not reach 127.0.0.1 here");
      return;
    }
    String href = nextHref(r.body());
    assertTrue(href.startsWith("http://localhost:" + server.port() + "/"), href);
    assertTrue(href.endsWith("marker=b-2"), href);
  }

  @Test
  void tagDeletesOfAnUnknownBackupAre3001AndANonMatchingValueIsNoError() {
    assertApiError(404, "CSBS.3001", null, send("DELETE", v1(P) + "/csbs_backup/nobody/tags/k", null));
    assertApiError(404, "CSBS.3001", null, send("POST", v1(P) + "/csbs_backup/nobody/tags/action",
        "{\"action\": \"delete\", \"tags\": [{\"key\": \"k\"}]}"));
    catalog.add(backup(P, "b-1", 1).addTags(Tag.of("env", "prod")).build());
    Reply r = send("POST", v1(P) + "/csbs_backup/b-1/tags/action",
        "{\"action\": \"delete\", \"tags\": [{\"key\": \"env\", \"value\": \"test\"}]}");
    assertEquals(204, r.status(), r.body());
    assertEquals(List.of(Tag.of("env", "prod")), catalog.get(P, "b-1").tags());
    Reply match = send("POST", v1(P) + "/csbs_backup/b-1/tags/action",
        "{\"action\": \"delete\", \"tags\": [{\"key\": \"env\", \"value\": \"prod\"}]}");
    assertEquals(204, match.status(), match.body());
    assertEquals(List.of(), catalog.get(P, "b-1").tags());
  }

  @Test
  void aDeletingBackupWithItsOldFailureRefusesRestoreWith2003() {
    catalog.add(io.csbs.lifecycle.Lifecycle.delete(error(P, "b-1"), T0.plusSeconds(60)));
    assertApiError(400, "CSBS.2003", null, send("POST", v1(P) + "/restores", restoreBody(PROVIDER, "cp", "b-1", "")));
  }

  @Test
  void finerTimesKeepTheDigitsTheyNeedUpToNine() {
    Map<String, String> written = new java.util.LinkedHashMap<>();
    written.put("2017-04-18T01:21:52.000000100Z", "2017-04-18T01:21:52.0000001");
    written.put("2017-04-18T01:21:52.000000001Z", "2017-04-18T01:21:52.000000001");
    written.put("2017-04-18T01:21:52.000001Z", "2017-04-18T01:21:52.000001");
    written.put("2017-04-18T01:21:52.12345678Z", "2017-04-18T01:21:52.12345678");
    written.put("2017-04-18T01:21:52.1Z", "2017-04-18T01:21:52.100000");
    for (Map.Entry<String, String> e : written.entrySet()) {
      Backup b = backup(P, "b", 1, BackupStatus.AVAILABLE, Instant.parse(e.getKey())).build();
      String item = JSON.checkpointItem(b);
      assertTrue(item.contains("\"created_at\":\"" + e.getValue() + "\""), e.getKey() + ": " + item);
      assertEquals(b, JSON.readCheckpointItem(item, P));
    }
  }

  @Test
  void anApiItemWithoutUpdatedAtIsUpdatedAtItsCreation() {
    String body = String.format(API_ITEM, "available", "100").replace("\"updated_at\": \"2018-08-14T08:00:00.000001\",", "");
    Backup b = JSON.readCheckpointItem(body, "p");
    assertEquals(Instant.parse("2018-08-14T07:53:15.663766Z"), b.updatedAt());
  }

  @Test
  void otherResourceTypesAndFailedJobsRoundTrip() {
    Server volume = Server.builder().id("vol-1").name("disque").availabilityZone("az").resourceType("OS::Cinder::Volume").build();
    List<Backup> backups = List.of(
        Backup.builder().id("r").name("r").projectId(P).server(volume).status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T0).build(),
        backup(P, "e-restore", 1, BackupStatus.ERROR, T0).failure(Failure.of(JobType.RESTORE, "cible absente", T0)).build(),
        backup(P, "e-delete", 1, BackupStatus.ERROR, T0).failure(Failure.of(JobType.DELETE, "x".repeat(Failure.MAX_REASON_LENGTH), T0))
            .build());
    for (Backup b : backups) {
      assertEquals(b, JSON.readCheckpointItem(JSON.checkpointItem(b), P), b.id());
    }
    assertTrue(JSON.checkpointItem(backups.get(0)).contains("\"resource_type\":\"OS::Cinder::Volume\""));
    assertTrue(JSON.checkpointItem(backups.get(1)).contains("\"fail_op\":\"restore\""));
  }

  // ------------------------------------------------------------------ the README's JSON example on the quick start's catalog

  /** The README quick start's catalog, as written there. */
  static BackupCatalog quickStartCatalog() {
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
    catalog.apply("project-1", oldest.id(), oldest.version(), Transition.delete());
    return catalog;
  }

  @Test
  void readmeJsonExampleOnTheQuickStartsCatalog() {
    BackupCatalog catalog = quickStartCatalog();
    CsbsJson json = CsbsJson.create();
    String rawQuery = "status=available&limit=20";
    String list = json.checkpointItems(catalog.query("project-1", ListQueryString.parse(rawQuery)),
        URI.create("/v1/project-1/checkpoint_items?" + rawQuery));
    assertEquals("/v1/project-1/checkpoint_items?status=available&limit=20&marker=backup-20", nextHref(list));
    String details = json.checkpointItem(catalog.get("project-1", "backup-1"));
    assertEquals(catalog.get("project-1", "backup-1"), json.readCheckpointItem(details, "project-1"));
    // the Deleting backup round-trips too
    Backup deleting = catalog.get("project-1", "backup-30");
    assertEquals(deleting, json.readCheckpointItem(json.checkpointItem(deleting), "project-1"));
    TagFilter filter = json.readTagFilter("{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}]}");
    assertEquals(20, catalog.query("project-1", filter.toQuery()).total());   // 30 days, 10 of them test
  }

  @Test
  void longIdsAreUnknownNot500() {
    String id = "x".repeat(65);
    assertApiError(404, "CSBS.3001", null, get(v1(P) + "/checkpoint_items/" + id));
    assertApiError(404, "CSBS.3001", null, get(v1(P) + "/csbs_backup/" + id + "/tags"));
    assertApiError(404, "CSBS.3001", null, send("POST", v1(P) + "/restores", restoreBody(PROVIDER, "cp", id, "")));
  }

  @Test
  void aRepeatedKeyAnywhereInTheItemNamesItsPath() {
    Backup b = backup(P, "b-1", 1).addTags(Tag.of("env", "prod")).build();
    String item = JSON.checkpointItem(b);
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put(item.replace("{\"key\":\"env\",", "{\"key\":\"x\",\"key\":\"env\","), "checkpoint_item.tags[0].key");
    cases.put(item.replace("\"disk\":0", "\"disk\":0,\"disk\":1"), "checkpoint_item.backup_data.disk");
    cases.put(item.replace("\"name\":\"sauvegarde_1\"", "\"name\":\"sauvegarde_1\",\"name\":\"autre\""),
        "checkpoint_item.name");
    cases.put(item.substring(0, item.length() - 1) + ",\"checkpoint_item\":{}}", "checkpoint_item");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      assertNotEquals(item, c.getKey(), "the case was made");
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(c.getKey(), P),
          c.getValue());
      assertEquals(c.getValue(), e.field(), e.getMessage());
    }
  }

  @Test
  void aNodelayPropertySetAlreadyIsLeftAsItIs() {
    String before = System.getProperty("sun.net.httpserver.nodelay");
    try {
      System.setProperty("sun.net.httpserver.nodelay", "false");
      CsbsServer.builder(catalog).build().close();
      assertEquals("false", System.getProperty("sun.net.httpserver.nodelay"));
    } finally {
      if (before == null) {
        System.clearProperty("sun.net.httpserver.nodelay");
      } else {
        System.setProperty("sun.net.httpserver.nodelay", before);
      }
    }
  }

  @Test
  void storageUsageParametersAreStrict() {
    assertApiError(400, "CSBS.9001", "limit", get(v1(P) + "/storage_usage?limit="));
    assertApiError(400, "CSBS.9001", "limit", get(v1(P) + "/storage_usage?limit=5&limit=6"));
    assertApiError(400, "CSBS.9001", "sort", get(v1(P) + "/storage_usage?sort=size"));
    assertApiError(400, "CSBS.9001", "offset", get(v1(P) + "/storage_usage?offset=x"));
    assertApiError(400, "CSBS.9001", "limit", get(v1(P) + "/storage_usage?limit=1.5"));
    assertEquals(200, get(v1(P) + "/storage_usage?limit=1&offset=0").status());
  }

  @Test
  void loneSurrogatesInBodiesAreEchoedEscapedNotAsQuestionMarks() {
    add(P, "b-1", 1);
    Reply refused = send("POST", v1(P) + "/csbs_backup/b-1/tags", "{\"tag\": {\"key\": \"k\\uD800\", \"value\": \"v\"}}");
    assertEquals(400, refused.status());
    assertFalse(refused.body().contains("k?"), refused.body());
    Reply restore = send("POST", v1(P) + "/restores",
        restoreBody(PROVIDER, "cp", "b-1", ", \"targets\": {\"server_id\": \"s\\uDC00\"}"));
    assertEquals(200, restore.status(), restore.body());
    assertFalse(restore.body().contains("s?"), restore.body());
    assertTrue(restore.body().contains("s\\uDC00") || restore.body().contains("s\\udc00"), restore.body());
    Backup withReason = backup(P, "b-2", 2, BackupStatus.ERROR, T0)
        .failure(Failure.of(JobType.BACKUP, "raison \uD83D seule", T0)).build();
    catalog.add(withReason);
    assertEquals(withReason, JSON.readCheckpointItem(get(v1(P) + "/checkpoint_items/b-2").body(), P));
  }
}
