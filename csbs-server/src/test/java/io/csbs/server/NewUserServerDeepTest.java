package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.query.ListQueryString;
import io.csbs.query.Predicates;
import io.csbs.usage.Quota;
import io.csbs.usage.UsageQuery;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's deeper black-box checks of CsbsServer (README "A reference server: csbs-server" and the
 * javadoc of CsbsServer): writes through the API read back through the API and the catalog, refusals
 * that change nothing, races between clients, odd input. A fresh catalog (fixed clock) and server per
 * test; own data only.
 */
class NewUserServerDeepTest {
  static final CsbsJson JSON = CsbsJson.create();
  static final String P = "deep-\uD835\uDC9C p";            // a project with a letter outside the BMP and a space
  static final String OTHER = "deep-other";
  static final String PROVIDER = CsbsServer.PROVIDER_ID;
  static final Instant T0 = Instant.parse("2024-03-01T10:00:00.123456Z");
  static final Instant NOW = Instant.parse("2025-01-01T00:00:00.000001Z");
  static final String NON_BMP = "\uD835\uDC9C";            // MATHEMATICAL SCRIPT CAPITAL A, a letter
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  BackupCatalog catalog;
  CsbsServer server;
  Client client;

  @BeforeEach
  void start() {
    catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    server = CsbsServer.builder(catalog).build().start();
    client = new Client(server);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  // ------------------------------------------------------------------ helpers

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String seg(String s) {
    return enc(s).replace("+", "%20");
  }

  static String v1(String project) {
    return "/v1/" + seg(project);
  }

  static String v1() {
    return v1(P);
  }

  static Backup.Builder base(String project, String id, BackupStatus status, int minute) {
    Instant created = T0.plusSeconds(60L * minute);
    Backup.Builder b = Backup.builder().id(id).name("n_" + id.replaceAll("[^A-Za-z0-9]", "_")).projectId(project)
        .server(Server.of("srv-" + (minute % 3), "my srv " + (minute % 3), "az-1"))
        .status(status).sizeMb(1024L * (minute + 1)).createdAt(created).updatedAt(created.plusSeconds(5));
    if (status.isIntermediate()) {
      b.progress(Progress.of(40, created.plusSeconds(5)));
    }
    if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "disk gone", created.plusSeconds(5)));
    }
    return b;
  }

  Backup add(String project, String id, BackupStatus status, int minute) {
    Backup b = base(project, id, status, minute).build();
    catalog.add(b);
    return b;
  }

  Backup add(String id, BackupStatus status) {
    return add(P, id, status, 0);
  }

  Backup current(String id) {
    return catalog.get(P, id);
  }

  static void assertError(int status, String code, String names, Client.Reply reply) {
    assertEquals(status, reply.status(), reply.body());
    assertEquals("application/json; charset=utf-8", reply.header("Content-Type"), reply.body());
    assertTrue(reply.body().startsWith("{\"error_code\":\"" + code + "\",\"error_msg\":\""), reply.body());
    if (names != null) {
      assertTrue(reply.body().contains(names), names + " in " + reply.body());
    }
  }

  String tagsPath(String id) {
    return v1() + "/csbs_backup/" + seg(id) + "/tags";
  }

  static String restoreBody(String checkpoint, String itemId) {
    return "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"" + checkpoint + "\", "
        + "\"parameters\": {\"checkpoint_item_id\": \"" + itemId + "\"}}}";
  }

  static String deletePath(String checkpoint, String id) {
    return v1() + "/providers/" + PROVIDER + "/checkpoints/" + seg(checkpoint) + "?checkpoint_items=" + enc(id);
  }

  /** A request without the Client's Content-Type header. */
  Client.Reply bare(String method, String path, String body) {
    HttpRequest request = HttpRequest.newBuilder(client.uri(path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .timeout(Duration.ofSeconds(20)).build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      return new Client.Reply(response.statusCode(), response.body(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A raw HTTP/1.1 exchange on a socket (for a Host header of one's own, HEAD): the whole answer as text. */
  String raw(String requestHead) {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(requestHead.getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) > 0; ) {
          got.write(buffer, 0, n);
        }
      } catch (java.net.SocketTimeoutException e) {
        // an answer kept open: what came is the answer
      }
      return got.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String nextHref(String body) {
    Matcher m = Pattern.compile("\"href\":\"([^\"]*)\",\"rel\":\"next\"").matcher(body);
    assertTrue(m.find(), body);
    return m.group(1);
  }

  // ------------------------------------------------------------------ the list and its next link

  /** CsbsServer: "the next link carries the page's last backup as marker (an absolute URI on the request's Host)". */
  @Test
  void nextLinkIsAbsoluteOnTheRequestsHost() {
    for (int i = 0; i < 3; i++) {
      add(P, "b" + i, BackupStatus.AVAILABLE, i);
    }
    String answer = raw("GET " + v1() + "/checkpoint_items?limit=2 HTTP/1.1\r\nHost: example.test:8443\r\n"
        + "Connection: close\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    String href = nextHref(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    assertEquals("http://example.test:8443" + v1() + "/checkpoint_items?limit=2&marker=b1", href);
  }

  /** CsbsServer: next link's marker is the page's last backup; a page that ends the list has no next link. */
  @Test
  void nextLinkMarkerIsLastBackupAndLastPageHasNoLink() {
    for (int i = 0; i < 5; i++) {
      add(P, "m+" + i + "&x=" + NON_BMP, BackupStatus.AVAILABLE, i);
    }
    Client.Reply first = client.get(v1() + "/checkpoint_items?sort=created_at:asc&limit=3&offset=0");
    assertEquals(200, first.status(), first.body());
    assertEquals(Optional.of("m+2&x=" + NON_BMP), JSON.readNextMarker(first.body()));
    String href = nextHref(first.body());
    assertTrue(href.startsWith(server.uri().toString()) && !href.contains("offset"), href);
    Client.Reply second = client.get(URI.create(href).getRawPath() + "?" + URI.create(href).getRawQuery());
    assertEquals(200, second.status(), second.body());
    List<Backup> page = JSON.readCheckpointItems(second.body(), P);
    assertEquals(List.of("m+3&x=" + NON_BMP, "m+4&x=" + NON_BMP), page.stream().map(Backup::id).toList());
    assertFalse(second.body().contains("checkpoint_items_links"), second.body());
  }

  /** BackupCatalog: nothing of another project is hinted at; ListQueryString: marker must be a backup of the project (400 naming marker). */
  @Test
  void markerOfAnotherProjectsBackupIsRefusedAsAnUnknownOne() {
    add(P, "mine", BackupStatus.AVAILABLE, 0);
    add(OTHER, "theirs", BackupStatus.AVAILABLE, 0);
    Client.Reply theirs = client.get(v1() + "/checkpoint_items?marker=theirs");
    Client.Reply none = client.get(v1() + "/checkpoint_items?marker=nobody");
    assertError(400, "CSBS.9001", "marker", theirs);
    assertEquals(none.body().replace("nobody", "theirs"), theirs.body());
    assertFalse(theirs.body().contains(OTHER), theirs.body());
  }

  /**
   * CsbsServer: the next link is "an absolute URI on the request's Host"; a Host that is no URI authority
   * falls back to the server's own address (as ErrorMappingTest checks for "bad host"): "[ff]" looks like
   * an IPv6 literal but is none, and the list must still answer 200.
   */
  @Test
  void aHostThatLooksLikeAnIpv6LiteralButIsNoneIsNo500() {
    for (int i = 0; i < 3; i++) {
      add(P, "b" + i, BackupStatus.AVAILABLE, i);
    }
    for (String host : new String[] {"[ff]", "[1:2]"}) {
      String answer = raw("GET " + v1() + "/checkpoint_items?limit=2 HTTP/1.1\r\nHost: " + host + "\r\n"
          + "Connection: close\r\n\r\n");
      assertTrue(answer.startsWith("HTTP/1.1 200"), host + ": " + answer);
      assertTrue(answer.contains("\"href\":\"" + server.uri() + v1().substring(1) + "/checkpoint_items?limit=2&marker=b1\""),
          answer);
    }
  }

  /**
   * CsbsJson#checkpointItems / CsbsServer: the next href is the request "with marker set to the page's last
   * backup (and any offset removed)". ListQueryString decodes parameter names, so "%6Fffset" is offset and
   * "%6Darker" is marker: the link must not keep them, or following it is refused.
   */
  @Test
  void nextLinkOfPercentEncodedNamesCanBeFollowed() {
    for (int i = 0; i < 5; i++) {
      add(P, "b" + i, BackupStatus.AVAILABLE, i);
    }
    for (String q : new String[] {"%6Fffset=1&limit=2", "%6Darker=b4&limit=2"}) {
      Client.Reply first = client.get(v1() + "/checkpoint_items?" + q);
      assertEquals(200, first.status(), first.body());
      URI href = URI.create(nextHref(first.body()));
      Client.Reply next = client.get(href.getRawPath() + "?" + href.getRawQuery());
      assertEquals(200, next.status(), q + " -> " + href + ": " + next.body());
    }
  }

  /**
   * CsbsServer: "power_on (a boolean) and targets (an object) are optional here and echoed back unchecked":
   * a JSON string escape of a lone surrogate in targets ("\\ud83d") comes back as the same string.
   */
  @Test
  void restoreEchoesTargetsUnchanged() {
    add("r", BackupStatus.AVAILABLE);
    Client.Reply r = client.post(v1() + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"c\", "
        + "\"parameters\": {\"checkpoint_item_id\": \"r\", \"targets\": {\"d\": \"\\ud83d\"}}}}");
    assertEquals(200, r.status(), r.body());
    // the same string: JSON's hex digits may be either case
    assertTrue(r.body().toLowerCase(java.util.Locale.ROOT).contains("\"targets\":{\"d\":\"\\ud83d\"}"), r.body());
  }

  /** CsbsServer restore: targets echoed back unchecked: numbers of any size and form are kept (as values). */
  @Test
  void restoreEchoesOddNumbersInTargets() {
    add("r", BackupStatus.AVAILABLE);
    Client.Reply r = client.post(v1() + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"c\", "
        + "\"parameters\": {\"checkpoint_item_id\": \"r\", \"targets\": {\"a\": 123456789012345678901234567890, \"c\": 1.50, "
        + "\"e\": [true, null, {}], \"s\": \"\\u0000" + NON_BMP + "\"}}}}");
    assertEquals(200, r.status(), r.body());
    assertTrue(r.body().contains("\"targets\":{\"a\":123456789012345678901234567890,\"c\":1.50,\"e\":[true,null,{}],"
        + "\"s\":\"\\u0000" + NON_BMP + "\"}"), r.body());
  }

  /**
   * README/ListQueryString: name: "the backup name contains it, ignoring case"; a backup name is "1 to 255
   * letters (of any script, each counted once)" (Backup#name). A valid name of 255 letters outside the BMP
   * (510 chars) must be searchable by itself; the filter counts chars (Predicates MAX_KEYWORD_LENGTH, 255 chars).
   */
  @Test
  void aValidNameOutsideTheBmpIsSearchableByItself() {
    String name = NON_BMP.repeat(255);
    catalog.add(base(P, "long", BackupStatus.AVAILABLE, 9).build().toBuilder().name(name).build());
    Client.Reply reply = client.get(v1() + "/checkpoint_items?name=" + enc(name));
    assertEquals(200, reply.status(), reply.body());
    assertEquals(List.of("long"), JSON.readCheckpointItems(reply.body(), P).stream().map(Backup::id).toList());
  }

  /** A name of 255 letters outside the BMP is answered whole by details and the list (CsbsJson round trip through HTTP). */
  @Test
  void aLongNameOutsideTheBmpIsAnsweredWhole() {
    String name = NON_BMP.repeat(255);
    catalog.add(base(P, "long", BackupStatus.AVAILABLE, 9).build().toBuilder().name(name).build());
    Backup held = current("long");
    assertEquals(held, JSON.readCheckpointItem(client.get(v1() + "/checkpoint_items/long").body(), P));
    assertEquals(List.of(held), JSON.readCheckpointItems(client.get(v1() + "/checkpoint_items?name=" + enc(NON_BMP.repeat(100))).body(), P));
  }

  /** CsbsServer Errors: a method the path does not serve is 405 with Allow, HEAD included (no body on HEAD). */
  @Test
  void headOnDetailsIs405() {
    add("b0", BackupStatus.AVAILABLE);
    Client.Reply h = client.send("HEAD", v1() + "/checkpoint_items/b0", null);
    assertEquals(405, h.status());
    assertEquals("GET", h.header("Allow"));
    assertEquals("", h.body());
  }

  /** ListQueryString offset "0 or more": an offset beyond the end is an empty page, 200, without a next link. */
  @Test
  void offsetBeyondTheEndIsAnEmptyPage() {
    add("a", BackupStatus.AVAILABLE);
    for (String offset : new String[] {"1", "5", "999999999999"}) {
      Client.Reply reply = client.get(v1() + "/checkpoint_items?offset=" + offset);
      assertEquals(200, reply.status(), offset + " " + reply.body());
      assertEquals("{\"checkpoint_items\":[]}", reply.body());
    }
  }

  /** ListQueryString: "percent-encoded (+ is a space)": resource_name=my+srv is resource_name=my%20srv. */
  @Test
  void plusIsASpaceInTheListsQuery() {
    add(P, "a", BackupStatus.AVAILABLE, 1);
    add(P, "b", BackupStatus.AVAILABLE, 2);
    Client.Reply plus = client.get(v1() + "/checkpoint_items?resource_name=my+srv+1");
    Client.Reply pct = client.get(v1() + "/checkpoint_items?resource_name=my%20srv%201");
    assertEquals(200, plus.status(), plus.body());
    assertEquals(pct.body(), plus.body());
    assertEquals(List.of("a"), JSON.readCheckpointItems(plus.body(), P).stream().map(Backup::id).toList());
    assertEquals(1, JSON.readCount(client.get(v1() + "/checkpoint_items/count?resource_name=my+srv+1").body()));
  }

  /** README: path segments are percent-decoded; "+" is a space only in a query: a backup id with '+' is found by its path. */
  @Test
  void plusInAPathIsAPlus() {
    add("x+y", BackupStatus.AVAILABLE);
    add("x y", BackupStatus.AVAILABLE);
    Client.Reply reply = client.get(v1() + "/checkpoint_items/x+y");
    assertEquals(200, reply.status(), reply.body());
    assertEquals("x+y", JSON.readCheckpointItem(reply.body(), P).id());
    assertEquals("x y", JSON.readCheckpointItem(client.get(v1() + "/checkpoint_items/x%20y").body(), P).id());
  }

  /** CsbsServer: count: "sort, limit, marker and offset are refused" (naming the parameter). */
  @Test
  void countRefusesMarkerAndOffsetNamingThem() {
    add("a", BackupStatus.AVAILABLE);
    assertError(400, "CSBS.9001", "marker", client.get(v1() + "/checkpoint_items/count?marker=a"));
    assertError(400, "CSBS.9001", "offset", client.get(v1() + "/checkpoint_items/count?offset=0"));
    assertError(400, "CSBS.9001", "status", client.get(v1() + "/checkpoint_items/count?status=available&status=error"));
    assertError(400, "CSBS.9001", "name", client.get(v1() + "/checkpoint_items/count?name="));
  }

  /** CsbsServer: "The path .../checkpoint_items/count is the count, whatever the backup ids are". */
  @Test
  void countPathIsTheCountEvenWithABackupNamedCount() {
    add("count", BackupStatus.AVAILABLE);
    add("other", BackupStatus.AVAILABLE);
    Client.Reply reply = client.get(v1() + "/checkpoint_items/count");
    assertEquals(200, reply.status(), reply.body());
    assertEquals("{\"count\":2}", reply.body());
    // the backup "count" is still reachable by its tags
    assertEquals(200, client.get(v1() + "/csbs_backup/count/tags").status());
  }

  /** README: a bad parameter is 400 naming it; a very long query value is no internal error. */
  @Test
  void aVeryLongQueryValueIsNoInternalError() {
    add("a", BackupStatus.AVAILABLE);
    String longName = "x".repeat(200_000);
    Client.Reply reply = client.get(v1() + "/checkpoint_items?name=" + longName);
    assertTrue(reply.status() == 200 || reply.status() == 400, reply.status() + " " + reply.body());
    if (reply.status() == 200) {
      assertEquals("{\"checkpoint_items\":[]}", reply.body());
    } else {
      assertError(400, "CSBS.9001", "name", reply);
    }
  }

  /** CsbsServer Errors: "a method the path does not serve 405, CSBS.LIB.METHOD_NOT_ALLOWED, with an Allow header". */
  @Test
  void optionsIs405WithAllowAndTheErrorBody() {
    Client.Reply reply = client.send("OPTIONS", v1() + "/checkpoint_items", null);
    assertError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, reply);
    assertEquals("GET", reply.header("Allow"));
    reply = client.send("OPTIONS", v1() + "/csbs_backup/a/tags/k", null);
    assertError(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, reply);
    assertEquals("DELETE", reply.header("Allow"));
  }

  /** CsbsServer Errors: a method the path does not serve (HEAD on the list) is 405 with an Allow header. */
  @Test
  void headOnTheListIs405WithAllow() {
    add("a", BackupStatus.AVAILABLE);
    String answer = raw("HEAD " + v1() + "/checkpoint_items HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 405"), answer);
    assertTrue(answer.contains("\r\nAllow: GET\r\n"), answer);
  }

  // ------------------------------------------------------------------ tags: writes read back

  /** CsbsServer POST tags: "204: adds one tag"; BackupCatalog#updateTags: next version, updated at the clock. */
  @Test
  void addingATagMakesExactlyOneNewVersion() {
    Backup before = add("t", BackupStatus.AVAILABLE);
    Client.Reply reply = client.post(tagsPath("t"), "{\"tag\": {\"key\": \"env\", \"value\": \"prod\"}}");
    assertEquals(204, reply.status(), reply.body());
    assertEquals("", reply.body());
    Backup after = current("t");
    assertEquals(before.version() + 1, after.version());
    assertEquals(NOW, after.updatedAt());
    assertEquals(List.of(Tag.of("env", "prod")), after.tags());
    assertEquals(before.toBuilder().tags(List.of(Tag.of("env", "prod"))).updatedAt(NOW)
        .version(before.version() + 1).build(), after);
    assertEquals("{\"tags\":[{\"key\":\"env\",\"value\":\"prod\"}]}", client.get(tagsPath("t")).body());
    assertEquals("{\"tags\":[{\"key\":\"env\",\"values\":[\"prod\"]}]}", client.get(v1() + "/csbs_backup/tags").body());
    // the details answer the new version
    assertEquals(JSON.checkpointItem(after), client.get(v1() + "/checkpoint_items/t").body());
  }

  /** CsbsServer POST tags: "or sets the value of the key": one tag, the new value, order kept. */
  @Test
  void addingAnExistingKeySetsItsValueInPlace() {
    catalog.add(base(P, "t", BackupStatus.AVAILABLE, 0).addTags(Tag.of("a", "1"), Tag.of("b", "2"), Tag.of("c", "3")).build());
    assertEquals(204, client.post(tagsPath("t"), "{\"tag\": {\"key\": \"b\", \"value\": \"" + NON_BMP + "\"}}").status());
    assertEquals(List.of(Tag.of("a", "1"), Tag.of("b", NON_BMP), Tag.of("c", "3")), current("t").tags());
    assertEquals("{\"tags\":[{\"key\":\"a\",\"value\":\"1\"},{\"key\":\"b\",\"value\":\"" + NON_BMP
        + "\"},{\"key\":\"c\",\"value\":\"3\"}]}", client.get(tagsPath("t")).body());
  }

  /** CsbsServer tags/action: "deleting tags the backup does not have is no error"; BackupCatalog#updateTags: no new version. */
  @Test
  void deletingTagsTheBackupLacksIs204AndChangesNothing() {
    catalog.add(base(P, "t", BackupStatus.AVAILABLE, 0).addTags(Tag.of("a", "1")).build());
    Backup before = current("t");
    Client.Reply reply = client.post(tagsPath("t") + "/action",
        "{\"action\": \"delete\", \"tags\": [{\"key\": \"zz\"}, {\"key\": \"a\", \"value\": \"2\"}]}");
    assertEquals(204, reply.status(), reply.body());
    assertEquals(before, current("t"));
  }

  /** CsbsServer DELETE tags/{key}: 204; the tag catalogue follows (BackupCatalog#updateTags). */
  @Test
  void deletingATagByKeyOutsideTheBmp() {
    String key = NON_BMP.repeat(Tag.MAX_KEY_LENGTH);   // 36 letters, 72 chars
    catalog.add(base(P, "t", BackupStatus.AVAILABLE, 0).build());
    Client.Reply added = client.post(tagsPath("t"), "{\"tag\": {\"key\": \"" + key + "\", \"value\": \"\"}}");
    assertEquals(204, added.status(), added.body());
    assertEquals(Optional.of(""), current("t").tagValue(key));
    assertTrue(client.get(v1() + "/csbs_backup/tags").body().contains(key));
    Client.Reply deleted = client.delete(tagsPath("t") + "/" + seg(key));
    assertEquals(204, deleted.status(), deleted.body());
    assertEquals(List.of(), current("t").tags());
    assertEquals(3, current("t").version());
    assertEquals("{\"tags\":[]}", client.get(v1() + "/csbs_backup/tags").body());
  }

  /** CsbsServer DELETE tags/{key} of a backup of another project: 404 CSBS.3001 (not 7001), and theirs unchanged. */
  @Test
  void deletingATagOfAnotherProjectsBackupIs3001() {
    catalog.add(base(OTHER, "t", BackupStatus.AVAILABLE, 0).addTags(Tag.of("a", "1")).build());
    Backup theirs = catalog.get(OTHER, "t");
    assertError(404, "CSBS.3001", null, client.delete(tagsPath("t") + "/a"));
    assertError(404, "CSBS.3001", null, client.post(tagsPath("t"), "{\"tag\": {\"key\": \"b\", \"value\": \"1\"}}"));
    assertError(404, "CSBS.3001", null, client.post(tagsPath("t") + "/action",
        "{\"action\": \"delete\", \"tags\": [{\"key\": \"a\"}]}"));
    assertEquals(theirs, catalog.get(OTHER, "t"));
  }

  /** CsbsServer Errors: a bad body 400 CSBS.9001 naming it; BackupCatalog: a refused change leaves the backup as it was. */
  @Test
  void refusedTagBodiesNameTheKeyAndChangeNothing() {
    catalog.add(base(P, "t", BackupStatus.AVAILABLE, 0).addTags(Tag.of("a", "1")).build());
    Backup before = current("t");
    String path = tagsPath("t");
    assertError(400, "CSBS.9001", "tag.value", client.post(path, "{\"tag\": {\"key\": \"b\", \"value\": 5}}"));
    assertError(400, "CSBS.9001", "tag.key", client.post(path, "{\"tag\": {\"key\": \"b\", \"key\": \"c\", \"value\": \"1\"}}"));
    assertError(400, "CSBS.9001", "tag", client.post(path, "{\"tags\": {\"key\": \"b\", \"value\": \"1\"}}"));
    assertError(400, "CSBS.9001", "body", client.post(path, ""));
    assertError(400, "CSBS.9001", "body", client.post(path, "{\"tag\": {\"key\": \"b\", \"value\": \"1\"}} x"));
    assertError(400, "CSBS.9001", "tag.value", client.post(path, "{\"tag\": {\"key\": \"b\", \"value\": \"" + "v".repeat(44) + "\"}}"));
    assertError(400, "CSBS.9001", "tags", client.post(path + "/action", "{\"action\": \"create\", \"tags\": []}"));
    assertError(400, "CSBS.9001", "tags", client.post(path + "/action",
        "{\"action\": \"create\", \"tags\": [{\"key\": \"q\", \"value\": \"1\"}, {\"key\": \"q\", \"value\": \"2\"}]}"));
    assertError(400, "CSBS.9001", "action", client.post(path + "/action", "{\"action\": \"update\", \"tags\": []}"));
    assertError(400, "CSBS.9001", "tags", client.post(path + "/action", "{\"action\": \"delete\", \"tags\": {}}"));
    assertError(400, "CSBS.9001", "x", client.post(path + "?x=1", "{\"tag\": {\"key\": \"b\", \"value\": \"1\"}}"));
    assertEquals(before, current("t"));
  }

  /** CsbsServer: a tag change leaving more than 10 tags is 400 CSBS.7000, and the backup keeps its 10 tags and version. */
  @Test
  void theEleventhTagIs7000AndChangesNothing() {
    Backup.Builder b = base(P, "t", BackupStatus.AVAILABLE, 0);
    for (int i = 0; i < 10; i++) {
      b.addTags(Tag.of(NON_BMP + i, ""));
    }
    catalog.add(b.build());
    Backup before = current("t");
    assertError(400, "CSBS.7000", null, client.post(tagsPath("t"), "{\"tag\": {\"key\": \"k\", \"value\": \"\"}}"));
    assertError(400, "CSBS.7000", null, client.post(tagsPath("t") + "/action",
        "{\"action\": \"create\", \"tags\": [{\"key\": \"" + NON_BMP + "0\", \"value\": \"x\"}, {\"key\": \"k\", \"value\": \"\"}]}"));
    assertEquals(before, current("t"));
    // replacing values of the 10 keys is no 11th tag
    assertEquals(204, client.post(tagsPath("t"), "{\"tag\": {\"key\": \"" + NON_BMP + "9\", \"value\": \"v\"}}").status());
    assertEquals(before.version() + 1, current("t").version());
  }

  /** CsbsServer: the bodies are the API's JSON; no Content-Type is required of the request (none is documented). */
  @Test
  void aTagBodyWithoutContentTypeIsAccepted() {
    add("t", BackupStatus.AVAILABLE);
    Client.Reply reply = bare("POST", tagsPath("t"), "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}");
    assertEquals(204, reply.status(), reply.body());
    assertEquals(List.of(Tag.of("k", "v")), current("t").tags());
  }

  /** CsbsServer Errors: "a body over 1 MiB 413, CSBS.LIB.BODY_TOO_LARGE" (and 1 MiB itself is read). */
  @Test
  void bodyLimitIsOneMebibyteExactly() {
    Backup before = add("t", BackupStatus.AVAILABLE);
    String json = "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}";
    String exactly = json + " ".repeat((1 << 20) - json.length());
    Client.Reply over = client.post(tagsPath("t"), exactly + " ");
    assertError(413, "CSBS.LIB.BODY_TOO_LARGE", null, over);
    assertEquals(before, current("t"));
    Client.Reply ok = client.post(tagsPath("t"), exactly);
    assertEquals(204, ok.status(), ok.body());
    assertEquals(List.of(Tag.of("k", "v")), current("t").tags());
  }

  /** CsbsServer Errors: a body that is not JSON names body; deeply nested JSON is a bad body (400), not a 500 or a cut connection. */
  @Test
  void deeplyNestedBodyIs400NamingBody() {
    add("t", BackupStatus.AVAILABLE);
    String nested = "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"c\", \"parameters\": "
        + "{\"checkpoint_item_id\": \"t\", \"targets\": {\"volumes\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}}}}";
    assertError(400, "CSBS.9001", "body", client.post(v1() + "/restores", nested));
    assertEquals(BackupStatus.AVAILABLE, current("t").status());
  }

  // ------------------------------------------------------------------ the tag query

  /** CsbsServer resource_instances/action: "filter a page of matches with their total": beyond the end, empty resources and the total. */
  @Test
  void tagQueryOffsetBeyondTheEndKeepsTheTotal() {
    for (int i = 0; i < 3; i++) {
      catalog.add(base(P, "q" + i, BackupStatus.AVAILABLE, i).addTags(Tag.of("env", "prod")).build());
    }
    Client.Reply reply = client.post(v1() + "/csbs_backup/resource_instances/action",
        "{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}], \"offset\": \"10\", \"limit\": 2}");
    assertEquals(200, reply.status(), reply.body());
    assertEquals("{\"resources\":[],\"total_count\":3}", reply.body());
    reply = client.post(v1() + "/csbs_backup/resource_instances/action",
        "{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}], \"limit\": 1}");
    assertTrue(reply.body().endsWith(",\"total_count\":3}"), reply.body());
    assertEquals(1, reply.body().split("\"resource_detail\"").length - 1, reply.body());
  }

  /** CsbsServer Errors: a bad body value is 400 CSBS.9001 naming it: huge numbers in the tag query. */
  @Test
  void tagQueryHugeNumbersAre400NamingThem() {
    String path = v1() + "/csbs_backup/resource_instances/action";
    assertError(400, "CSBS.9001", "limit", client.post(path, "{\"action\": \"filter\", \"limit\": 2147483648}"));
    assertError(400, "CSBS.9001", "limit", client.post(path, "{\"action\": \"filter\", \"limit\": 99999999999999999999999}"));
    assertError(400, "CSBS.9001", "offset", client.post(path, "{\"action\": \"filter\", \"offset\": 99999999999999999999999}"));
    assertError(400, "CSBS.9001", "action", client.post(path, "{\"action\": 1}"));
    assertError(400, "CSBS.9001", "action", client.post(path, "{\"action\": \"filter\", \"action\": \"count\"}"));
  }

  // ------------------------------------------------------------------ quotas and storage usage

  /** CsbsServer storage_usage: limit 1 to 1000, 1000 by default, offset 0 by default; beyond the end an empty page with the count. */
  @Test
  void storageUsageBoundsAndOffsetBeyondTheEnd() {
    for (int i = 0; i < 3; i++) {
      add(P, "u" + i, BackupStatus.AVAILABLE, i);
    }
    Client.Reply all = client.get(v1() + "/storage_usage");
    assertEquals(200, all.status(), all.body());
    assertEquals(all.body(), client.get(v1() + "/storage_usage?limit=1000&offset=0").body());
    assertTrue(all.body().endsWith("\"resource_count\":3}"), all.body());
    // largest first: server srv-2 has the 3 GB backup
    assertTrue(all.body().startsWith("{\"storage_usage\":[{\"resource_id\":\"srv-2\",\"resource_name\":\"my srv 2\","
        + "\"resource_type\":\"OS::Nova::Server\",\"backup_count\":1,\"backup_size\":3072}"), all.body());
    assertEquals("{\"storage_usage\":[],\"resource_count\":3}", client.get(v1() + "/storage_usage?offset=3").body());
    assertEquals(200, client.get(v1() + "/storage_usage?limit=1").status());
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/storage_usage?limit="));
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/storage_usage?limit=1&limit=2"));
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/storage_usage?limit=%2B1"));
    assertError(400, "CSBS.9001", "offset", client.get(v1() + "/storage_usage?offset=1.0"));
  }

  /**
   * CsbsServer storage_usage: "offset 0 by default" (no upper bound documented); the server's own refusal
   * says offsets up to 4611686018427387903 are valid, so 10^18 must be an empty page, not refused.
   */
  @Test
  void storageUsageOffsetWithinItsOwnStatedRangeIsAccepted() {
    add("u", BackupStatus.AVAILABLE);
    Client.Reply reply = client.get(v1() + "/storage_usage?offset=1000000000000000000");
    assertEquals(200, reply.status(), reply.body());
    assertEquals("{\"storage_usage\":[],\"resource_count\":1}", reply.body());
  }

  /** CsbsJson#quotas: backups used, capacity used in GB with two decimals, -1 no limit; the quotas the catalog holds. */
  @Test
  void quotasAnswerWhatTheCatalogHolds() {
    add(P, "a", BackupStatus.AVAILABLE, 0);    // 1024 MB
    add(P, "b", BackupStatus.AVAILABLE, 1);    // 2048 MB
    add(OTHER, "c", BackupStatus.AVAILABLE, 5);
    Client.Reply unlimited = client.get(v1() + "/quotas");
    assertEquals("{\"quotas\":{\"resources\":[{\"type\":\"backups\",\"quota\":-1,\"used\":2},"
        + "{\"type\":\"backup_capacity\",\"unit\":\"GB\",\"quota\":-1,\"used\":3.00}]}}", unlimited.body());
    catalog.setQuota(P, Quota.of(7, 100));
    assertEquals("{\"quotas\":{\"resources\":[{\"type\":\"backups\",\"quota\":7,\"used\":2},"
        + "{\"type\":\"backup_capacity\",\"unit\":\"GB\",\"quota\":100,\"used\":3.00}]}}", client.get(v1() + "/quotas").body());
  }

  // ------------------------------------------------------------------ restore

  /** CsbsServer: the restore answer: id (new random), checkpoint_id, parameters echoed, project_id, provider_id, resources_*, status. */
  @Test
  void restoreAnswerHasEveryDocumentedKey() {
    Backup before = add("r", BackupStatus.AVAILABLE);
    String body = "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"cp-9\", \"parameters\": "
        + "{\"checkpoint_item_id\": \"r\", \"power_on\": true, \"targets\": {\"server_id\": \"s-1\", \"volumes\": "
        + "[{\"backup_id\": \"v1\", \"volume_id\": \"v2\"}]}, \"unknown\": 1}, \"extra\": []}}";
    Client.Reply reply = client.post(v1() + "/restores", body);
    assertEquals(200, reply.status(), reply.body());
    Matcher m = Pattern.compile("^\\{\"restore\":\\{\"id\":\"([^\"]+)\",(.*)$").matcher(reply.body());
    assertTrue(m.matches(), reply.body());
    UUID.fromString(m.group(1));
    assertEquals("\"checkpoint_id\":\"cp-9\",\"parameters\":{\"checkpoint_item_id\":\"r\",\"power_on\":true,"
        + "\"targets\":{\"server_id\":\"s-1\",\"volumes\":[{\"backup_id\":\"v1\",\"volume_id\":\"v2\"}]}},"
        + "\"project_id\":\"" + P + "\",\"provider_id\":\"" + PROVIDER + "\",\"resources_reason\":{},"
        + "\"resources_status\":{},\"status\":\"in_progress\"}}", m.group(2));
    Backup after = current("r");
    assertEquals(BackupStatus.RESTORING, after.status());
    assertEquals(before.version() + 1, after.version());
    assertEquals(NOW, after.updatedAt());
    // the API reads what the catalog holds
    assertEquals(JSON.checkpointItem(after), client.get(v1() + "/checkpoint_items/r").body());
    // another restore has another id
    add(P, "r2", BackupStatus.AVAILABLE, 1);
    Client.Reply second = client.post(v1() + "/restores", restoreBody("cp", "r2"));
    assertEquals(200, second.status(), second.body());
    assertFalse(second.body().contains(m.group(1)), second.body());
  }

  /** CsbsServer restore: required keys, typed optional keys; each refusal 400 CSBS.9001 naming the key's path, and nothing changes. */
  @Test
  void restoreRefusalsNameTheKeyAndChangeNothing() {
    Backup before = add("r", BackupStatus.AVAILABLE);
    String path = v1() + "/restores";
    String ok = restoreBody("cp", "r");
    assertError(400, "CSBS.9001", "restore.checkpoint_id", client.post(path, ok.replace("\"checkpoint_id\": \"cp\", ", "")));
    assertError(400, "CSBS.9001", "restore.checkpoint_id", client.post(path, ok.replace("\"cp\"", "\" \"")));
    assertError(400, "CSBS.9001", "restore.parameters.checkpoint_item_id", client.post(path, ok.replace("\"r\"", "7")));
    assertError(400, "CSBS.9001", "restore.parameters.targets", client.post(path,
        ok.replace("\"r\"}", "\"r\", \"targets\": [1]}")));
    assertError(400, "CSBS.9001", "restore.parameters.power_on", client.post(path,
        ok.replace("\"r\"}", "\"r\", \"power_on\": 1}")));
    assertError(400, "CSBS.9001", "restore.provider_id", client.post(path,
        ok.replace("\"provider_id\": \"" + PROVIDER + "\"", "\"provider_id\": \"" + PROVIDER + "\", \"provider_id\": \"x\"")));
    assertError(400, "CSBS.9001", "restore", client.post(path, "{\"restores\": {}}"));
    assertError(400, "CSBS.9001", "body", client.post(path, "restore=r"));
    assertError(400, "CSBS.9001", "x", client.post(path + "?x=1", ok));
    assertEquals(before, current("r"));
  }

  /** CsbsServer: "a backup whose checkpoint_id is known and is not the one named is not found"; unknown checkpoint: any is accepted. */
  @Test
  void restoreOfABackupWithoutCheckpointTakesAnyCheckpointAndNoContentType() {
    Backup before = add("r", BackupStatus.AVAILABLE);
    Client.Reply reply = bare("POST", v1() + "/restores", restoreBody("whatever-" + NON_BMP, "r"));
    assertEquals(200, reply.status(), reply.body());
    assertTrue(reply.body().contains("\"checkpoint_id\":\"whatever-" + NON_BMP + "\""), reply.body());
    assertEquals(before.version() + 1, current("r").version());
  }

  /** CsbsServer restore: a backup of another project is 404 CSBS.3001 (scoped to the path's project) and stays as it was. */
  @Test
  void restoreOfAnotherProjectsBackupIs404() {
    add(OTHER, "r", BackupStatus.AVAILABLE, 0);
    Backup theirs = catalog.get(OTHER, "r");
    assertError(404, "CSBS.3001", null, client.post(v1() + "/restores", restoreBody("cp", "r")));
    assertEquals(theirs, catalog.get(OTHER, "r"));
  }

  /** CsbsServer: a restore of a Restoring backup is 400 CSBS.2003; of an Error backup 400 CSBS.4000; nothing changes. */
  @Test
  void restoreRefusedByStateChangesNothing() {
    Backup restoring = add(P, "busy", BackupStatus.RESTORING, 0);
    Backup error = add(P, "err", BackupStatus.ERROR, 1);
    assertError(400, "CSBS.2003", null, client.post(v1() + "/restores", restoreBody("cp", "busy")));
    assertError(400, "CSBS.4000", null, client.post(v1() + "/restores", restoreBody("cp", "err")));
    assertEquals(restoring, current("busy"));
    assertEquals(error, current("err"));
  }

  // ------------------------------------------------------------------ delete

  /** CsbsServer delete: "200, {}: starts deleting the backup id": Deleting, one new version at the clock. */
  @Test
  void deleteStartsTheDeletionAsOneVersion() {
    catalog.add(base(P, "d", BackupStatus.AVAILABLE, 0)
        .details(BackupDetails.builder().checkpointId("cp-1").build()).build());
    Backup before = current("d");
    Client.Reply reply = client.delete(deletePath("cp-1", "d"));
    assertEquals(200, reply.status(), reply.body());
    assertEquals("{}", reply.body());
    Backup after = current("d");
    assertEquals(BackupStatus.DELETING, after.status());
    assertEquals(before.version() + 1, after.version());
    assertEquals(NOW, after.updatedAt());
    assertEquals(JSON.checkpointItem(after), client.get(v1() + "/checkpoint_items/d").body());
    // a second delete: the job runs
    assertError(400, "CSBS.2003", null, client.delete(deletePath("cp-1", "d")));
    assertEquals(after, current("d"));
  }

  /** CsbsServer/Parameters: checkpoint_items at most once, not empty, no other parameter; each refusal names it and changes nothing. */
  @Test
  void deleteParametersAreStrict() {
    Backup before = add("d", BackupStatus.AVAILABLE);
    String base = v1() + "/providers/" + PROVIDER + "/checkpoints/cp";
    assertError(400, "CSBS.9001", "checkpoint_items", client.delete(base + "?checkpoint_items=d&checkpoint_items=d"));
    assertError(400, "CSBS.9001", "checkpoint_items", client.delete(base + "?checkpoint_items="));
    assertError(400, "CSBS.9001", "force", client.delete(base + "?checkpoint_items=d&force=true"));
    assertError(400, "CSBS.9001", "checkpoint_items", client.delete(base + "?Checkpoint_Items=d"));
    assertEquals(before, current("d"));
  }

  // ------------------------------------------------------------------ concurrency

  /**
   * The answers of {@code calls}, each run on a thread of its own, all released at once (a latch),
   * in the order given.
   */
  @SafeVarargs
  private static <T> List<T> atOnce(Callable<T>... calls) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(calls.length);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> answers = new ArrayList<>();
      for (Callable<T> call : calls) {
        answers.add(pool.submit(() -> {
          go.await();
          return call.call();
        }));
      }
      go.countDown();
      List<T> done = new ArrayList<>();
      for (Future<T> answer : answers) {
        done.add(answer.get());
      }
      return done;
    } finally {
      pool.shutdownNow();
    }
  }

  /** CsbsServer: tag changes apply to the current version; "when another writer changes the backup in between, the call reads it again and retries, up to 10 times". */
  @Test
  void twoClientsAddingTagsAtOnceLoseNothing() throws Exception {
    for (int round = 0; round < 10; round++) {
      String id = "c" + round;
      Backup before = add(P, id, BackupStatus.AVAILABLE, round);
      List<List<Integer>> done = atOnce(addingTags(id, "a"), addingTags(id, "b"));
      for (List<Integer> statuses : done) {
        assertEquals(List.of(204, 204, 204, 204, 204), statuses);
      }
      Backup after = current(id);
      assertEquals(10, after.tags().size(), after.tags().toString());
      assertEquals(before.version() + 10, after.version());
    }
  }

  /** Adds the tags {@code prefix}0 to {@code prefix}4 to backup {@code id}, one request each; their statuses. */
  private Callable<List<Integer>> addingTags(String id, String prefix) {
    return () -> {
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        statuses.add(client.post(tagsPath(id), "{\"tag\": {\"key\": \"" + prefix + i + "\", \"value\": \"v\"}}").status());
      }
      return statuses;
    };
  }

  /** CsbsServer: "up to 10 times (then 409, CSBS.LIB.VERSION_CONFLICT)": under many writers each answer is 204 or 409, and the catalog has exactly the 204s. */
  @Test
  void manyClientsSettingTagsAtOnceEachGet204Or409AndTheCatalogAgrees() throws Exception {
    int writers = 8;
    int each = 15;
    Backup before = add("hot", BackupStatus.AVAILABLE);
    List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
    @SuppressWarnings("unchecked")
    Callable<Map<String, String>>[] calls = new Callable[writers];
    for (int t = 0; t < writers; t++) {
      String key = "k" + t;
      calls[t] = () -> {
        String last = null;
        for (int i = 0; i < each; i++) {
          Client.Reply reply = client.post(tagsPath("hot"), "{\"tag\": {\"key\": \"" + key + "\", \"value\": \"v" + i + "\"}}");
          statuses.add(reply.status());
          if (reply.status() == 204) {
            last = "v" + i;
          } else {
            assertError(409, "CSBS.LIB.VERSION_CONFLICT", null, reply);
          }
        }
        Map<String, String> result = new HashMap<>();
        if (last != null) {
          result.put(key, last);
        }
        return result;
      };
    }
    Map<String, String> expected = new HashMap<>();
    atOnce(calls).forEach(expected::putAll);
    Backup after = current("hot");
    Map<String, String> actual = new HashMap<>();
    after.tags().forEach(tag -> actual.put(tag.key(), tag.value()));
    assertEquals(expected, actual);
    long ok = statuses.stream().filter(s -> s == 204).count();
    assertEquals(before.version() + ok, after.version(), statuses.toString());
  }

  /** CsbsServer: a backup whose job runs is refused 400 CSBS.2003: a restore racing a delete, exactly one wins. */
  @Test
  void aRestoreRacingADeleteExactlyOneWins() throws Exception {
    for (int round = 0; round < 20; round++) {
      String id = "race" + round;
      Backup before = add(P, id, BackupStatus.AVAILABLE, round);
      List<Client.Reply> replies = atOnce(
          () -> client.post(v1() + "/restores", restoreBody("cp", id)), () -> client.delete(deletePath("cp", id)));
      Client.Reply r = replies.get(0);
      Client.Reply d = replies.get(1);
      Backup after = current(id);
      assertEquals(before.version() + 1, after.version());
      if (r.status() == 200) {
        assertError(400, "CSBS.2003", null, d);
        assertEquals(BackupStatus.RESTORING, after.status());
      } else {
        assertError(400, "CSBS.2003", null, r);
        assertEquals(200, d.status(), d.body());
        assertEquals(BackupStatus.DELETING, after.status());
      }
    }
  }

  /** CsbsServer DELETE tags/{key}: "a key the backup has no tag of: 404, CSBS.7001", judged on the current version: two deletes of one key, one 204 and one 404. */
  @Test
  void twoDeletesOfOneKeyAtOnceOneWins() throws Exception {
    for (int round = 0; round < 15; round++) {
      String id = "dd" + round;
      catalog.add(base(P, id, BackupStatus.AVAILABLE, round).addTags(Tag.of("k", "v"), Tag.of("keep", "")).build());
      Backup before = current(id);
      List<Integer> statuses = new ArrayList<>();
      for (Client.Reply reply : atOnce(() -> client.delete(tagsPath(id) + "/k"), () -> client.delete(tagsPath(id) + "/k"))) {
        statuses.add(reply.status());
        if (reply.status() != 204) {
          assertError(404, "CSBS.7001", null, reply);
        }
      }
      Collections.sort(statuses);
      assertEquals(List.of(204, 404), statuses);
      assertEquals(List.of(Tag.of("keep", "")), current(id).tags());
      assertEquals(before.version() + 1, current(id).version());
    }
  }

  /** CsbsServer: "Tag changes and lifecycle operations apply to the backup's current version ... retries": a restore racing a tag change, both succeed. */
  @Test
  void aRestoreRacingATagChangeBothApply() throws Exception {
    for (int round = 0; round < 15; round++) {
      String id = "rt" + round;
      Backup before = add(P, id, BackupStatus.AVAILABLE, round);
      List<Client.Reply> replies = atOnce(() -> client.post(v1() + "/restores", restoreBody("cp", id)),
          () -> client.post(tagsPath(id), "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}"));
      assertEquals(200, replies.get(0).status(), replies.get(0).body());
      assertEquals(204, replies.get(1).status(), replies.get(1).body());
      Backup after = current(id);
      assertEquals(BackupStatus.RESTORING, after.status());
      assertEquals(List.of(Tag.of("k", "v")), after.tags());
      assertEquals(before.version() + 2, after.version());
    }
  }

  /** CsbsServer: a body is read whatever its framing: a chunked tag body (no Content-Length) is a tag. */
  @Test
  void aChunkedBodyIsRead() throws Exception {
    add("t", BackupStatus.AVAILABLE);
    byte[] body = "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}".getBytes(StandardCharsets.UTF_8);
    HttpRequest request = HttpRequest.newBuilder(client.uri(tagsPath("t")))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    assertEquals(204, response.statusCode(), response.body());
    assertEquals(List.of(Tag.of("k", "v")), current("t").tags());
  }

  /** Api#requestUri (via CsbsServer's next link): without a Host header (HTTP/1.0) the next link is on the server's own address. */
  @Test
  void withoutHostTheNextLinkIsOnTheServersAddress() {
    for (int i = 0; i < 3; i++) {
      add(P, "b" + i, BackupStatus.AVAILABLE, i);
    }
    String answer = raw("GET " + v1() + "/checkpoint_items?limit=1 HTTP/1.0\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    assertTrue(answer.contains("\"href\":\"" + server.uri() + v1().substring(1) + "/checkpoint_items?limit=1&marker=b2\""), answer);
  }

  /** CsbsServer console: settings.json is {"now": the builder's clock, "stall_threshold_ms": the rule's}; other paths 404 and methods 405, plain text. */
  @Test
  void consoleSettingsAndRefusals() {
    try (CsbsServer own = CsbsServer.builder(catalog).clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .stallRule(io.csbs.lifecycle.StallRule.DEFAULT).build().start()) {
      Client c = new Client(own);
      Client.Reply settings = c.get("/console/settings.json");
      assertEquals(200, settings.status());
      assertEquals("{\"now\":\"2025-01-01T00:00:00.000001Z\",\"stall_threshold_ms\":1800000}", settings.body());
      Client.Reply missing = c.get("/console/nothing.js");
      assertEquals(404, missing.status());
      assertTrue(missing.header("Content-Type").startsWith("text/plain"), missing.header("Content-Type"));
      Client.Reply post = c.post("/console/settings.json", "{}");
      assertEquals(405, post.status());
      assertTrue(post.header("Content-Type").startsWith("text/plain"), post.header("Content-Type"));
      Client.Reply postConsole = c.post("/console", "{}");
      assertEquals(405, postConsole.status());
    }
  }

  /** CsbsServer#start: "IllegalStateException if it was started or closed already"; close twice does nothing; Builder: each option once. */
  @Test
  void lifecycleAndBuilderRules() {
    CsbsServer.Builder builder = CsbsServer.builder(catalog).port(0);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> builder.port(0));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> CsbsServer.builder(catalog).port(65_536));
    CsbsServer built = builder.build();
    built.start();
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, built::start);
    built.close();
    built.close();
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, built::start);
    assertEquals("true", System.getProperty("sun.net.httpserver.nodelay"));
    // a port in use
    org.junit.jupiter.api.Assertions.assertThrows(UncheckedIOException.class,
        () -> CsbsServer.builder(catalog).port(server.port()).build());
    // an executor given belongs to the caller
    ExecutorService mine = Executors.newSingleThreadExecutor();
    try {
      CsbsServer withMine = CsbsServer.builder(catalog).executor(mine).build().start();
      assertEquals(200, new Client(withMine).get(v1() + "/quotas").status());
      withMine.close();
      assertFalse(mine.isShutdown());
    } finally {
      mine.shutdownNow();
    }
  }

  // ------------------------------------------------------------------ odd paths and projects

  /** README: "every call is scoped to that project"; a project outside the BMP with a space, decoded from the path, sees its own backups only. */
  @Test
  void projectOfThePathIsDecodedAndScoped() {
    add(P, "a", BackupStatus.AVAILABLE, 0);
    add(OTHER, "b", BackupStatus.AVAILABLE, 0);
    Client.Reply reply = client.get(v1() + "/checkpoint_items");
    assertEquals(List.of("a"), JSON.readCheckpointItems(reply.body(), P).stream().map(Backup::id).toList());
    assertEquals("{\"count\":0}", client.get("/v1/deep-" + NON_BMP + "+p/checkpoint_items/count".replace(NON_BMP, seg(NON_BMP))).body());
  }

  /** CsbsServer Errors: a bad parameter is 400 CSBS.9001; "anything unexpected 500" is not a blank project's answer. */
  @Test
  void aBlankProjectIsABadParameterNotA500() {
    Client.Reply reply = client.get("/v1/%20/checkpoint_items");
    assertError(400, "CSBS.9001", "project", reply);
  }

  /** CsbsServer Errors: a path with an encoded slash in an id is that id (no new segment); unknown backup 404 CSBS.3001. */
  @Test
  void anEncodedSlashIsPartOfTheId() {
    add("a/b", BackupStatus.AVAILABLE);
    Client.Reply reply = client.get(v1() + "/checkpoint_items/a%2Fb");
    assertEquals(200, reply.status(), reply.body());
    assertEquals("a/b", JSON.readCheckpointItem(reply.body(), P).id());
    assertError(404, "CSBS.LIB.UNKNOWN_PATH", null, client.get(v1() + "/checkpoint_items/a/b"));
  }

  /** README: the list uses every parameter of ListQueryString; the answer equals what the catalog's query gives. */
  @Test
  void listAnswersTheCatalogsQuery() {
    for (int i = 0; i < 12; i++) {
      add(P, "l" + i, i % 3 == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE, i);
    }
    String q = "status=available&start_time=2024-03-01T10:02:00&end_time=2024-03-01T10:09:00.123456&sort=name:desc&limit=3&offset=1";
    Client.Reply reply = client.get(v1() + "/checkpoint_items?" + q);
    assertEquals(200, reply.status(), reply.body());
    assertEquals(catalog.query(P, ListQueryString.parse(q)).backups(), JSON.readCheckpointItems(reply.body(), P));
    assertEquals(JSON.count(catalog.count(P, Predicates.status(BackupStatus.AVAILABLE))),
        client.get(v1() + "/checkpoint_items/count?status=available").body());
    assertEquals(JSON.storageUsage(catalog.usage(P, UsageQuery.firstServers(1000))), client.get(v1() + "/storage_usage").body());
  }
}
