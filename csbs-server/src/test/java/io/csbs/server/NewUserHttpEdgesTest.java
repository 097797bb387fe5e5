package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.lifecycle.Transition;
import io.csbs.query.ListQueryString;
import io.csbs.testing.Seeds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's second, adversarial pass over the HTTP API of CsbsServer and its JSON (README "A reference
 * server: csbs-server", CsbsServer's and CsbsJson's javadoc): odd JSON bodies, odd paths, odd query
 * strings, odd methods, raw HTTP, races with running jobs, and the next link walked to the end. Every
 * refusal is checked for its status, its error body naming the parameter, and for changing nothing.
 * A fresh catalog (fixed clock) and server per test; own data only.
 */
class NewUserHttpEdgesTest {
  static final CsbsJson JSON = CsbsJson.create();
  static final String PROVIDER = CsbsServer.PROVIDER_ID;
  static final Instant NOW = Instant.parse("2025-06-30T12:00:00Z");
  static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  static final String P = "edge-\u00e9\u4e2d";             // a project with letters beyond ASCII
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

  static String seg(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String v1() {
    return "/v1/" + seg(P);
  }

  Backup add(String project, String id, BackupStatus status, int second) {
    Backup.Builder b = Backup.builder().id(id).name("n-" + id.replaceAll("[^A-Za-z0-9]", "_")).projectId(project)
        .server(Server.of("srv-1", "web srv", "az-1")).status(status).sizeMb(100)
        .createdAt(T0.plusSeconds(second)).addTags(Tag.of("env", "prod"));
    if (status.isIntermediate()) {
      b.progress(Progress.of(10, T0.plusSeconds(second)));
    }
    if (status == BackupStatus.ERROR) {
      b.failure(io.csbs.backup.Failure.of(io.csbs.backup.JobType.BACKUP, "disk gone", T0.plusSeconds(second)));
    }
    Backup backup = b.build();
    catalog.add(backup);
    return catalog.get(project, id);
  }

  Backup add(String id, BackupStatus status) {
    return add(P, id, status, 0);
  }

  static void assertError(int status, String code, String names, Client.Reply reply) {
    assertEquals(status, reply.status(), reply.body());
    assertEquals("application/json; charset=utf-8", reply.header("Content-Type"), reply.body());
    assertTrue(reply.body().startsWith("{\"error_code\":\"" + code + "\",\"error_msg\":\""), reply.body());
    if (names != null) {
      assertTrue(reply.body().contains(names), names + " in " + reply.body());
    }
  }

  /** The answer of a raw HTTP/1.1 exchange: status line, headers and body as text. */
  String raw(byte[] request) {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = socket.getInputStream().read(buffer)) > 0; ) {
          got.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException | java.net.SocketException e) {
        // what came is the answer
      }
      return got.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String raw(String request) {
    return raw(request.getBytes(StandardCharsets.UTF_8));
  }

  static int rawStatus(String answer) {
    assertTrue(answer.startsWith("HTTP/1.1 "), answer);
    return Integer.parseInt(answer.substring(9, 12));
  }

  static String rawBody(String answer) {
    int at = answer.indexOf("\r\n\r\n");
    return at < 0 ? "" : answer.substring(at + 4);
  }

  static String get(String target) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  }

  static String restoreBody(String checkpoint, String itemId) {
    return "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"" + checkpoint + "\", "
        + "\"parameters\": {\"checkpoint_item_id\": \"" + itemId + "\"}}}";
  }

  String deletePath(String id) {
    return v1() + "/providers/" + PROVIDER + "/checkpoints/cp?checkpoint_items=" + seg(id);
  }

  String tags(String id) {
    return v1() + "/csbs_backup/" + seg(id) + "/tags";
  }

  static final String TAG_QUERY = "/csbs_backup/resource_instances/action";

  // ------------------------------------------------------------------ JSON bodies

  /** CsbsServer: a bad body is 400 CSBS.9001 naming it; Node: "keys that repeat" are refused. Nothing changes. */
  @Test
  void duplicateKeysInEveryBodyAre400NamingTheKeyAndChangeNothing() {
    Backup before = add("dup", BackupStatus.AVAILABLE);
    assertError(400, "CSBS.9001", "tag", client.post(tags("dup"),
        "{\"tag\": {\"key\": \"a\", \"value\": \"1\"}, \"tag\": {\"key\": \"b\", \"value\": \"2\"}}"));
    assertError(400, "CSBS.9001", "tag.key", client.post(tags("dup"),
        "{\"tag\": {\"key\": \"a\", \"key\": \"b\", \"value\": \"2\"}}"));
    assertError(400, "CSBS.9001", "action", client.post(tags("dup") + "/action",
        "{\"action\": \"create\", \"action\": \"delete\", \"tags\": [{\"key\": \"env\"}]}"));
    assertError(400, "CSBS.9001", "tags", client.post(tags("dup") + "/action",
        "{\"action\": \"create\", \"tags\": [{\"key\": \"k\", \"value\": \"1\"}, {\"key\": \"k\", \"value\": \"2\"}]}"));
    assertError(400, "CSBS.9001", "action", client.post(v1() + TAG_QUERY,
        "{\"action\": \"filter\", \"action\": \"count\"}"));
    assertError(400, "CSBS.9001", "restore.parameters.checkpoint_item_id", client.post(v1() + "/restores",
        "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"c\", \"parameters\": "
            + "{\"checkpoint_item_id\": \"dup\", \"checkpoint_item_id\": \"dup\"}}}"));
    assertError(400, "CSBS.9001", "restore.parameters.targets.volumes", client.post(v1() + "/restores",
        "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"c\", \"parameters\": "
            + "{\"checkpoint_item_id\": \"dup\", \"targets\": {\"volumes\": [], \"volumes\": []}}}}"));
    assertEquals(before, catalog.get(P, "dup"));
  }

  /** Keys are the API's, exactly: a key in another case is unknown (ignored), so the required one is missing, named. */
  @Test
  void keysInAnotherCaseAreMissingKeysNamed() {
    Backup before = add("case", BackupStatus.AVAILABLE);
    assertError(400, "CSBS.9001", "tag", client.post(tags("case"), "{\"TAG\": {\"key\": \"a\", \"value\": \"1\"}}"));
    assertError(400, "CSBS.9001", "tag.key", client.post(tags("case"), "{\"tag\": {\"Key\": \"a\", \"value\": \"1\"}}"));
    assertError(400, "CSBS.9001", "action", client.post(v1() + TAG_QUERY, "{\"Action\": \"count\"}"));
    assertError(400, "CSBS.9001", "action", client.post(v1() + TAG_QUERY, "{\"action\": \"COUNT\"}"));
    assertError(400, "CSBS.9001", "action", client.post(tags("case") + "/action",
        "{\"action\": \"Delete\", \"tags\": [{\"key\": \"env\"}]}"));
    assertError(400, "CSBS.9001", "restore", client.post(v1() + "/restores",
        "{\"Restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \"case\"}}}"));
    assertError(400, "CSBS.9001", "restore.provider_id", client.post(v1() + "/restores",
        "{\"restore\": {\"provider_id\": \"" + PROVIDER.toUpperCase() + "\", \"checkpoint_id\": \"c\", "
            + "\"parameters\": {\"checkpoint_item_id\": \"case\"}}}"));
    assertError(400, "CSBS.9001", "provider_id", client.delete(v1() + "/providers/" + PROVIDER.toUpperCase()
        + "/checkpoints/cp?checkpoint_items=case"));
    assertEquals(before, catalog.get(P, "case"));
  }

  /** "a body that is not JSON names body": empty, blank, null, an array, a string, a number, a BOM, two values. */
  @Test
  void bodiesThatAreNoJsonObjectNameBodyOnEveryBodyEndpoint() {
    Backup before = add("nb", BackupStatus.AVAILABLE);
    List<String> paths = List.of(tags("nb"), tags("nb") + "/action", v1() + TAG_QUERY, v1() + "/restores");
    List<String> bodies = List.of("", "  \r\n\t ", "null", "[]", "[{\"action\": \"count\"}]", "\"x\"", "0", "true",
        "\uFEFF{\"action\": \"count\"}", "{} {}", "{\"action\": \"count\"", "{'action': 'count'}",
        "{\"action\": \"count\",}", "/* c */ {\"action\": \"count\"}", "{\"action\": NaN}");
    for (String path : paths) {
      for (String body : bodies) {
        Client.Reply reply = client.post(path, body);
        assertEquals(400, reply.status(), path + " " + body + ": " + reply.body());
        assertError(400, "CSBS.9001", "body", reply);
      }
    }
    assertEquals(before, catalog.get(P, "nb"));
    assertEquals(1, catalog.sequence(P));
  }

  /** Strings with escapes: \\u0000 and a lone surrogate break the tag rules (named); \\/ is a '/'; \\u0065 an 'e'. */
  @Test
  void escapesInStringsAreDecodedAndJudgedByTheTagRules() {
    Backup before = add("esc", BackupStatus.AVAILABLE);
    assertError(400, "CSBS.9001", "tag.value", client.post(tags("esc"),
        "{\"tag\": {\"key\": \"a\", \"value\": \"x\\u0000\"}}"));
    assertError(400, "CSBS.9001", "tag.key", client.post(tags("esc"),
        "{\"tag\": {\"key\": \"\\ud800\", \"value\": \"1\"}}"));
    assertError(400, "CSBS.9001", "tag.key", client.post(tags("esc"),
        "{\"tag\": {\"key\": \"a\\/b\", \"value\": \"1\"}}"));
    assertError(400, "CSBS.9001", "tag.key", client.post(tags("esc"),
        "{\"tag\": {\"key\": \"\\udc00\\ud800\", \"value\": \"1\"}}"));
    assertEquals(before, catalog.get(P, "esc"));
    // escapes of valid letters are the letters: a pair written as two escapes is one letter outside the BMP
    assertEquals(204, client.post(tags("esc"), "{\"tag\": {\"key\": \"\\u0065nv\", \"value\": \"\\ud835\\udc9c\\u00e9\"}}").status());
    assertEquals(List.of(Tag.of("env", "\uD835\uDC9C\u00e9")), catalog.get(P, "esc").tags());
    Client.Reply tagsNow = client.get(tags("esc"));
    assertEquals(200, tagsNow.status());
    assertEquals("{\"tags\":[{\"key\":\"env\",\"value\":\"\uD835\uDC9C\u00e9\"}]}", tagsNow.body());
  }

  /** CsbsJson.readTagFilter: limit and offset are numbers or strings of digits; a limit 1 to 1000. */
  @Test
  void tagQueryNumbersInEveryJsonForm() {
    for (int i = 0; i < 5; i++) {
      add(P, "tq" + i, BackupStatus.AVAILABLE, i);
    }
    // a JSON number that is a whole number is one, whatever its form
    for (String two : List.of("2", "2.0", "2e0", "0.2e1", "\"2\"", "\"02\"")) {
      Client.Reply reply = client.post(v1() + TAG_QUERY, "{\"action\": \"filter\", \"limit\": " + two + "}");
      assertEquals(200, reply.status(), two + ": " + reply.body());
      assertTrue(reply.body().endsWith("],\"total_count\":5}"), reply.body());
      assertEquals(2, reply.body().split("\"resource_detail\"").length - 1, two + ": " + reply.body());
    }
    for (String bad : List.of("1.5", "0", "-0", "-1", "1001", "1E400", "99999999999999999999", "\"1e2\"", "\" 5\"",
        "\"+5\"", "\"\"", "true", "\"0x10\"", "\"\u0661\"", "[]", "{}")) {
      assertError(400, "CSBS.9001", "limit", client.post(v1() + TAG_QUERY, "{\"action\": \"filter\", \"limit\": " + bad + "}"));
    }
    for (String bad : List.of("-1", "0.5", "1e19", "\"-1\"", "\"a\"", "false")) {
      assertError(400, "CSBS.9001", "offset", client.post(v1() + TAG_QUERY, "{\"action\": \"filter\", \"offset\": " + bad + "}"));
    }
    Client.Reply far = client.post(v1() + TAG_QUERY, "{\"action\": \"filter\", \"offset\": 9223372036854775807}");
    assertEquals(200, far.status(), far.body());
    assertEquals("{\"resources\":[],\"total_count\":5}", far.body());
  }

  /** The restore's targets are echoed unchecked: odd numbers and escapes come back as JSON of the same values. */
  @Test
  void restoreTargetsWithOddNumbersAndEscapesAreEchoedAsTheSameJson() {
    add("rt", BackupStatus.AVAILABLE);
    Client.Reply reply = client.post(v1() + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER
        + "\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \"rt\", \"targets\": "
        + "{\"big\": 1e999999999, \"neg\": -0, \"s\": \"\\ud800\\/\\u0000\"}}}}");
    assertEquals(200, reply.status(), reply.body());
    assertTrue(reply.body().contains("\"targets\":{\"big\":1e999999999,\"neg\":-0,\"s\":\"\\uD800/\\u0000\"}"), reply.body());
    assertEquals(BackupStatus.RESTORING, catalog.get(P, "rt").status());
  }

  /** A body nested deeper than the parser takes, or a number of 2000 digits, is 400 naming body; nothing starts. */
  @Test
  void aTooDeepOrTooLongRestoreBodyIs400NamingBodyAndStartsNothing() {
    Backup before = add("deep", BackupStatus.AVAILABLE);
    for (int depth : new int[] {1000, 100_000}) {
      Client.Reply reply = client.post(v1() + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER
          + "\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \"deep\", \"targets\": "
          + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "}}}");
      assertError(400, "CSBS.9001", "body", reply);
    }
    assertError(400, "CSBS.9001", "body", client.post(v1() + "/restores", "{\"restore\": {\"provider_id\": \""
        + PROVIDER + "\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \"deep\", \"targets\": "
        + "{\"n\": " + "9".repeat(2000) + "}}}}"));
    assertEquals(before, catalog.get(P, "deep"));
  }

  /** The server's bodies are JSON whatever the Content-Type says: text/plain and a charset other than UTF-8 are read as UTF-8. */
  @Test
  void aBodyIsReadAsUtf8WhateverItsContentType() throws Exception {
    add("ct", BackupStatus.AVAILABLE);
    for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "application/json; charset=ISO-8859-1")) {
      HttpRequest request = HttpRequest.newBuilder(client.uri(tags("ct")))
          .POST(HttpRequest.BodyPublishers.ofString("{\"tag\": {\"key\": \"k\u00e9\", \"value\": \"" + type.length() + "\"}}",
              StandardCharsets.UTF_8))
          .header("Content-Type", type).timeout(Duration.ofSeconds(20)).build();
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      assertEquals(204, response.statusCode(), type + ": " + response.body());
    }
    assertEquals(List.of(Tag.of("env", "prod"), Tag.of("k\u00e9", "" + "application/json; charset=ISO-8859-1".length())),
        catalog.get(P, "ct").tags());
  }

  // ------------------------------------------------------------------ raw HTTP: chunks, Expect

  /** A correct chunked body in odd chunk sizes is read; Expect: 100-continue is honoured. */
  @Test
  void chunkedBodiesInOddPiecesAndExpectContinueAreRead() {
    add("ch", BackupStatus.AVAILABLE);
    String body = "{\"tag\": {\"key\": \"chunk\u00e9\", \"value\": \"v\"}}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    StringBuilder chunks = new StringBuilder();
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(("POST " + tags("ch") + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    for (int at = 0, size = 1; at < bytes.length; at += size, size = size % 7 + 1) {  // cuts inside the é's two bytes too
      int n = Math.min(size, bytes.length - at);
      request.writeBytes((Integer.toHexString(n) + ";ext=1\r\n").getBytes(StandardCharsets.US_ASCII));
      request.write(bytes, at, n);
      request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    request.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    String answer = raw(request.toByteArray());
    assertEquals(204, rawStatus(answer), answer + chunks);
    assertTrue(catalog.get(P, "ch").tags().contains(Tag.of("chunk\u00e9", "v")));
    String expect = raw("POST " + tags("ch") + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 39\r\n"
        + "Connection: close\r\n\r\n{\"tag\": {\"key\": \"ex\", \"value\": \"pect\"}}");
    assertTrue(expect.contains(" 204 "), expect);
    assertTrue(catalog.get(P, "ch").tags().contains(Tag.of("ex", "pect")));
  }

  static String malformedChunked(String path) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + "2\r\n{}XX\r\n0\r\n\r\n";   // a chunk of 2 followed by more than its 2 bytes: no CRLF where one must be
  }

  /** CsbsServer: "a bad parameter or body 400, CSBS.9001, its message naming the parameter (a body that is not JSON names body)"; "anything unexpected 500". */
  @Test
  void aMalformedChunkedBodyIs400NamingBody() {
    Backup before = add("mc", BackupStatus.AVAILABLE);
    for (String path : List.of(tags("mc"), tags("mc") + "/action", v1() + TAG_QUERY, v1() + "/restores")) {
      String answer = raw(malformedChunked(path));
      assertEquals(400, rawStatus(answer), answer);
      assertTrue(rawBody(answer).startsWith("{\"error_code\":\"CSBS.9001\""), answer);
      assertTrue(rawBody(answer).contains("body"), answer);
    }
    assertEquals(before, catalog.get(P, "mc"));
  }

  // ------------------------------------------------------------------ paths

  /** Unknown paths are 404 CSBS.LIB.UNKNOWN_PATH: trailing, doubled and dot segments are not normalised into routes. */
  @Test
  void trailingDoubledAndDotSegmentsAreUnknownPaths() {
    add("b0", BackupStatus.AVAILABLE);
    String list = v1() + "/checkpoint_items";
    for (String target : List.of(list + "/", v1() + "//checkpoint_items", v1() + "/./checkpoint_items",
        v1() + "/x/../checkpoint_items", list + "/b0/", list + "/count/", "/v1//checkpoint_items", "/v1/",
        "/v1", "/V1/" + seg(P) + "/checkpoint_items", v1() + "/CHECKPOINT_ITEMS", v1() + "/csbs_backup/b0/tags/env/",
        v1() + "/csbs_backup/tags/x", v1() + "/providers/" + PROVIDER + "/checkpoints/cp/", "/v1/" + seg(P) + "/",
        v1() + "/checkpoint_items/b0/..", v1() + "/quotas/")) {
      String answer = raw(get(target));
      assertEquals(404, rawStatus(answer), target + ": " + answer);
      assertTrue(rawBody(answer).startsWith("{\"error_code\":\"CSBS.LIB.UNKNOWN_PATH\""), target + ": " + answer);
    }
    assertEquals(1, catalog.sequence(P));
  }

  /** A percent-encoded segment is a value: %2E%2E and %2F are ids, not path syntax; %00 is an unknown id, not a 500. */
  @Test
  void encodedDotsSlashesAndNulAreValuesOfTheirSegment() {
    add("a/b", BackupStatus.AVAILABLE);
    add("..", BackupStatus.AVAILABLE);
    assertEquals(200, raw(get(v1() + "/checkpoint_items/a%2Fb")).substring(9, 12).equals("200") ? 200 : -1);
    String dots = raw(get(v1() + "/checkpoint_items/%2E%2E"));
    assertEquals(200, rawStatus(dots), dots);
    assertEquals("..", JSON.readCheckpointItem(rawBody(dots), P).id());
    String nul = raw(get(v1() + "/checkpoint_items/%00"));
    assertEquals(404, rawStatus(nul), nul);
    assertTrue(rawBody(nul).startsWith("{\"error_code\":\"CSBS.3001\""), nul);
    // a project with a slash is its own project
    String other = raw(get("/v1/" + seg(P) + "%2Fx/checkpoint_items/a%2Fb"));
    assertEquals(404, rawStatus(other), other);
    // tags of the id with a slash, by its encoded segment
    assertEquals(204, client.delete(tags("a/b") + "/env").status());
    assertEquals(List.of(), catalog.get(P, "a/b").tags());
  }

  /** A very long path or id is no 500: the unknown id is 404 CSBS.3001. */
  @Test
  void veryLongPathsAreUnknownIdsNot500() {
    String id = "\u00e9".repeat(20_000);
    String answer = raw(get(v1() + "/checkpoint_items/" + seg(id)));
    assertEquals(404, rawStatus(answer), answer.substring(0, 200));
    assertTrue(rawBody(answer).startsWith("{\"error_code\":\"CSBS.3001\""));
    assertError(404, "CSBS.3001", null, client.get(v1() + "/csbs_backup/" + seg(id) + "/tags"));
    assertError(404, "CSBS.3001", null, client.delete(v1() + "/csbs_backup/" + seg(id) + "/tags/env"));
  }

  /** README table and CsbsServer: "DELETE .../csbs_backup/{id}/tags/{key}: 204; a key the backup has no tag of: 404, CSBS.7001". */
  @Test
  void deletingAKeyTooLongOrBlankIs7001LikeAnyKeyTheBackupLacks() {
    Backup before = add("lk", BackupStatus.AVAILABLE);
    for (String key : List.of("k".repeat(128), "\u00e9".repeat(200), " ", "\t")) {
      assertError(404, "CSBS.7001", null, client.delete(tags("lk") + "/" + seg(key)));
    }
    assertError(404, "CSBS.3001", null, client.delete(tags("nobody") + "/" + seg("k".repeat(128))));
    assertEquals(before, catalog.get(P, "lk"));
  }

  @Test
  void rawUtf8IdsInThePathActualBehaviour() {
    add(P, "b\u00e9", BackupStatus.AVAILABLE, 0);
    String answer = raw(get("/v1/" + seg(P) + "/checkpoint_items/b\u00e9"));
    assertEquals(404, rawStatus(answer), answer);
    assertTrue(rawBody(answer).contains("b\u00c3\u00a9"), answer);
    assertEquals(200, rawStatus(raw(get("/v1/" + seg(P) + "/checkpoint_items/b%C3%A9"))));
  }

  // ------------------------------------------------------------------ query strings

  /** ListQueryString: a parameter given twice is refused naming it; ';' is no separator; a fragment is not sent as a parameter. */
  @Test
  void repeatedParametersSemicolonsAndFragments() {
    for (int i = 0; i < 3; i++) {
      add(P, "q" + i, BackupStatus.AVAILABLE, i);
    }
    assertError(400, "CSBS.9001", "status", client.get(v1() + "/checkpoint_items?status=available&status=available"));
    assertError(400, "CSBS.9001", "status", client.get(v1() + "/checkpoint_items/count?status=available&status=error"));
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/storage_usage?limit=5&limit=5"));
    assertError(400, "CSBS.9001", "checkpoint_items",
        client.delete(deletePath("q0") + "&checkpoint_items=q1"));
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/checkpoint_items?limit=1;offset=1"));
    assertError(400, "CSBS.9001", "marker", client.get(v1() + "/checkpoint_items?limit=1&marker=q1&marker=q0"));
    // ';' inside a value is the value's: no backup has it in its name
    Client.Reply semicolon = client.get(v1() + "/checkpoint_items?name=n-q0;x");
    assertEquals(200, semicolon.status());
    assertEquals("{\"checkpoint_items\":[]}", semicolon.body());
    // a fragment (sent raw, which clients do not do) is not part of the query
    String fragment = raw(get(v1() + "/checkpoint_items?limit=1#limit=2"));
    assertEquals(200, rawStatus(fragment), fragment);
    assertEquals(1, JSON.readCheckpointItems(rawBody(fragment), P).size());
    assertEquals(3, catalog.sequence(P));
    // a delete with two ids in one value names one id, unknown
    assertError(404, "CSBS.3001", null, client.delete(deletePath("q0,q1")));
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "q0").status());
  }

  /** Other endpoints' parameters: '+' is a space in a query, and no number takes a sign or spaces. */
  @Test
  void plusAndSignsInNumbersAreRefusedNamingTheParameter() {
    add("u", BackupStatus.AVAILABLE);
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/storage_usage?limit=+5"));
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/storage_usage?limit=%2B5"));
    assertError(400, "CSBS.9001", "offset", client.get(v1() + "/storage_usage?offset=-0"));
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/checkpoint_items?limit=%2B5"));
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/checkpoint_items?limit=1e1"));
    assertError(400, "CSBS.9001", "limit", client.get(v1() + "/checkpoint_items?limit=%205"));
    assertEquals(200, client.get(v1() + "/storage_usage?limit=%35").status());
  }

  // ------------------------------------------------------------------ methods

  /** "other methods 405, with the same body" and an Allow header: every route, every odd method, and a method in lower case. */
  @Test
  void everyRouteAnswersOtherMethodsWith405AndItsAllow() {
    add("m", BackupStatus.AVAILABLE);
    Map<String, String> routes = new java.util.LinkedHashMap<>();
    routes.put(v1() + "/checkpoint_items", "GET");
    routes.put(v1() + "/checkpoint_items/count", "GET");
    routes.put(v1() + "/checkpoint_items/m", "GET");
    routes.put(v1() + "/csbs_backup/tags", "GET");
    routes.put(v1() + TAG_QUERY, "POST");
    routes.put(tags("m"), "GET, POST");
    routes.put(tags("m") + "/action", "DELETE, POST");   // also DELETE .../tags/{key} of the key "action"
    routes.put(tags("m") + "/env", "DELETE");
    routes.put(v1() + "/quotas", "GET");
    routes.put(v1() + "/storage_usage", "GET");
    routes.put(v1() + "/restores", "POST");
    routes.put(v1() + "/providers/" + PROVIDER + "/checkpoints/cp?checkpoint_items=m", "DELETE");
    for (Map.Entry<String, String> route : routes.entrySet()) {
      for (String method : List.of("PUT", "PATCH", "OPTIONS", "TRACE", "HEAD", "FOO", "get", "post", "delete")) {
        if (route.getValue().contains(method)) {
          continue;
        }
        String answer = raw(method + " " + route.getKey() + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertEquals(405, rawStatus(answer), method + " " + route.getKey() + ": " + answer);
        assertTrue(answer.contains("\r\nAllow: " + route.getValue() + "\r\n"), method + " " + route.getKey() + ": " + answer);
        if (!method.equals("HEAD")) {
          assertTrue(rawBody(answer).startsWith("{\"error_code\":\"CSBS.LIB.METHOD_NOT_ALLOWED\""), answer);
        }
      }
    }
    assertEquals(catalog.get(P, "m").version(), 1);
    assertEquals(List.of(Tag.of("env", "prod")), catalog.get(P, "m").tags());
  }

  // ------------------------------------------------------------------ races with running jobs

  /**
   * CsbsServer: "a backup whose job runs refuses restore and delete with 400 CSBS.2003"; a change retries on
   * a version conflict up to 10 times. While the job reports progress without pause, every restore and delete
   * is still 2003 (never 409, never 500), and the job is left to itself.
   */
  @Test
  void restoreAndDeleteOfARunningJobWhoseProgressMovesAreAlways2003() throws Exception {
    add("run", BackupStatus.CREATING);
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<Integer> progress = pool.submit(() -> {
        int reports = 0;
        while (!stop.get()) {
          Backup current = catalog.get(P, "run");
          try {
            // the job's own writer changes the backup (its tags) without pause: each change a new version
            catalog.updateTags(P, "run", current.version(), io.csbs.backup.TagUpdate.create(Tag.of("n", "" + reports)));
            reports++;
          } catch (RuntimeException e) {
            if (!e.getClass().getSimpleName().equals("VersionConflictException")) {
              throw e;
            }
          }
        }
        return reports;
      });
      List<Future<List<String>>> clients = new ArrayList<>();
      for (int c = 0; c < 2; c++) {
        int which = c;
        clients.add(pool.submit(() -> {
          List<String> wrong = new ArrayList<>();
          for (int i = 0; i < 60; i++) {
            Client.Reply reply = which == 0 ? client.post(v1() + "/restores", restoreBody("cp", "run"))
                : client.delete(deletePath("run"));
            if (reply.status() != 400 || !reply.body().startsWith("{\"error_code\":\"CSBS.2003\"")) {
              wrong.add(reply.status() + " " + reply.body());
            }
          }
          return wrong;
        }));
      }
      for (Future<List<String>> c : clients) {
        assertEquals(List.of(), c.get(60, TimeUnit.SECONDS));
      }
      stop.set(true);
      assertTrue(progress.get(30, TimeUnit.SECONDS) > 0);
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
    assertEquals(BackupStatus.CREATING, catalog.get(P, "run").status());
  }

  /** A job that completes while clients restore and delete: each call is 200 once the backup is Available, else 2003; exactly one wins. */
  @Test
  void aJobCompletingWhileClientsRestoreAndDeleteStartsExactlyOneJob() throws Exception {
    long seed = Seeds.pick();  // -Dcsbs.seed=N replays a failure
    Random random = new Random(seed);
    for (int round = 0; round < 6; round++) {
      String id = "race" + round;
      add(id, BackupStatus.CREATING);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Client.Reply>> calls = new ArrayList<>();
        int restores = 1 + random.nextInt(3);
        for (int c = 0; c < 4; c++) {
          boolean restore = c < restores;
          calls.add(pool.submit(() -> {
            Client.Reply last = null;
            for (int i = 0; i < 200; i++) {
              last = restore ? client.post(v1() + "/restores", restoreBody("cp", id)) : client.delete(deletePath(id));
              if (last.status() != 400 || !last.body().contains("CSBS.2003")) {
                return last;
              }
              if (catalog.get(P, id).status() != BackupStatus.CREATING && i > 5) {
                return last;  // another call won; this one keeps being refused
              }
            }
            return last;
          }));
        }
        Thread.sleep(random.nextInt(20));
        Backup current = catalog.get(P, id);
        catalog.apply(P, id, current.version(), Transition.complete());
        int won = 0;
        for (Future<Client.Reply> call : calls) {
          Client.Reply reply = call.get(60, TimeUnit.SECONDS);
          if (reply.status() == 200) {
            won++;
          } else {
            assertError(400, "CSBS.2003", null, reply);
          }
        }
        assertEquals(1, won, "seed " + seed + " round " + round);
        BackupStatus now = catalog.get(P, id).status();
        assertTrue(now == BackupStatus.RESTORING || now == BackupStatus.DELETING, "seed " + seed + ": " + now);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  // ------------------------------------------------------------------ the next link to the end

  static String nextHref(String body) {
    Matcher m = Pattern.compile("\"href\":\"([^\"]*)\",\"rel\":\"next\"").matcher(body);
    return m.find() ? m.group(1) : null;
  }

  /**
   * CsbsServer: "the next link carries the page's last backup as marker"; followed to the end it gives the
   * list the catalog's query gives, in its order, without a backup twice or missing: ties of names, times and
   * statuses, odd ids, many projects, every sort, with filters.
   */
  @Test
  void theNextLinkFollowedToTheEndIsTheCatalogsWholeList() throws Exception {
    long seed = Seeds.pick();  // -Dcsbs.seed=N replays a failure
    Random random = new Random(seed);
    List<String> projects = List.of(P, "p&=+?#", "p-" + "\uD83D\uDE00");
    String[] names = {"a", "A", "b_b", "\u00e9t\u00e9", "a"};
    BackupStatus[] statuses = {BackupStatus.AVAILABLE, BackupStatus.AVAILABLE, BackupStatus.ERROR, BackupStatus.CREATING,
        BackupStatus.DELETING, BackupStatus.RESTORING};
    for (String project : projects) {
      for (int i = 0; i < 90; i++) {
        BackupStatus status = statuses[random.nextInt(statuses.length)];
        String id = (i % 7 == 0 ? "id&x=" : i % 5 == 0 ? "\u00e9/" : "id-") + String.format("%03d", random.nextInt(1000)) + "-" + i;
        Backup.Builder b = Backup.builder().id(id).name(names[random.nextInt(names.length)]).projectId(project)
            .server(Server.of("srv-" + random.nextInt(3), "srv " + random.nextInt(3), "az-" + random.nextInt(2)))
            .status(status).sizeMb(1 + random.nextInt(1000)).createdAt(T0.plusSeconds(random.nextInt(4) * 3600L));
        if (status.isIntermediate()) {
          b.progress(Progress.of(random.nextInt(100), T0.plusSeconds(5 * 3600)));
        }
        if (status == BackupStatus.ERROR) {
          b.failure(io.csbs.backup.Failure.of(io.csbs.backup.JobType.BACKUP, "gone", T0.plusSeconds(5 * 3600)));
        }
        catalog.add(b.build());
      }
    }
    List<String> sorts = List.of("", "sort=name:asc", "sort=name:desc,created_at:asc", "sort=status:asc", "sort=updated_at:desc",
        "sort=id:desc", "sort=created_at:asc,name:desc", "sort=status:desc,name:asc,created_at:desc");
    List<String> filters = List.of("", "status=available", "name=a", "resource_name=SRV%201", "az=az-1&name=%C3%A9",
        "start_time=2025-01-01T01:00:00&end_time=2025-01-01T02:00:00");
    for (int walk = 0; walk < 40; walk++) {
      String project = projects.get(random.nextInt(projects.size()));
      String query = String.join("&", List.of(filters.get(random.nextInt(filters.size())), sorts.get(random.nextInt(sorts.size()))))
          .replaceAll("^&|&$", "");
      int limit = 1 + random.nextInt(17);
      List<String> expected = catalog.query(project, ListQueryString.parse(query)).ids();
      List<String> got = new ArrayList<>();
      URI next = client.uri("/v1/" + seg(project) + "/checkpoint_items?" + (query.isEmpty() ? "" : query + "&") + "limit=" + limit);
      int pages = 0;
      while (next != null) {
        HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(next).timeout(Duration.ofSeconds(20)).build(),
            HttpResponse.BodyHandlers.ofString());
        String context = "seed " + seed + " walk " + walk + " " + next + ": " + page.body();
        assertEquals(200, page.statusCode(), context);
        List<Backup> backups = JSON.readCheckpointItems(page.body(), project);
        assertTrue(backups.size() <= limit, context);
        backups.forEach(b -> got.add(b.id()));
        String href = nextHref(page.body());
        assertTrue(href == null || !backups.isEmpty(), context);
        next = href == null ? null : URI.create(href);
        if (++pages > 200) {
          fail("no end: " + context);
        }
      }
      assertEquals(expected, got, "seed " + seed + " project " + project + " query " + query + " limit " + limit);
    }
  }

  // ------------------------------------------------------------------ more refusals

  @Test
  void aNullPowerOnOrTargetsActualBehaviour() {
    add("nl", BackupStatus.AVAILABLE);
    Client.Reply reply = client.post(v1() + "/restores", "{\"restore\": {\"provider_id\": \"" + PROVIDER
        + "\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \"nl\", \"power_on\": null, \"targets\": null}}}");
    assertEquals(200, reply.status(), reply.body());
    assertTrue(reply.body().contains("\"parameters\":{\"checkpoint_item_id\":\"nl\"},"), reply.body());
    assertEquals(BackupStatus.RESTORING, catalog.get(P, "nl").status());
  }

  /** CsbsServer: restore's checkpoint_id is required (a blank one refused naming it); the delete names it in its path. */
  @Test
  void aDeleteNamingABlankCheckpointIsRefusedNamingIt() {
    Backup before = add("bc", BackupStatus.AVAILABLE);
    assertError(400, "CSBS.9001", "checkpoint", client.delete(v1() + "/providers/" + PROVIDER
        + "/checkpoints/%20?checkpoint_items=bc"));
    assertEquals(before, catalog.get(P, "bc"));
  }

  /**
   * CsbsServer: "a tag change that would leave more than 10 tags 400, CSBS.7000", each change applied to the
   * backup's current version and retried. Clients adding tags at once never leave more than 10: of two
   * creations of 2 new tags each on a backup of 8 tags, exactly one is 204, the other 7000.
   */
  @Test
  void clientsAddingTagsAtOnceNeverLeaveMoreThanTen() throws Exception {
    long seed = Seeds.pick();  // -Dcsbs.seed=N replays a failure
    Random random = new Random(seed);
    for (int round = 0; round < 8; round++) {
      String id = "ten" + round;
      Backup.Builder b = Backup.builder().id(id).name("ten").projectId(P).server(Server.of("s", "s", "az"))
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T0);
      for (int t = 0; t < 8; t++) {
        b.addTags(Tag.of("t" + t, "v"));
      }
      catalog.add(b.build());
      int clients = 2 + random.nextInt(3);
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      try {
        List<Future<Client.Reply>> calls = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
          String body = c % 2 == 0
              ? "{\"action\": \"create\", \"tags\": [{\"key\": \"c" + c + "a\", \"value\": \"1\"}, {\"key\": \"c" + c + "b\", \"value\": \"1\"}]}"
              : null;
          String path = body == null ? tags(id) : tags(id) + "/action";
          String send = body != null ? body : "{\"tag\": {\"key\": \"c" + c + "\", \"value\": \"1\"}}";
          calls.add(pool.submit(() -> client.post(path, send)));
        }
        int added = 0;
        for (int c = 0; c < calls.size(); c++) {
          Client.Reply reply = calls.get(c).get(60, TimeUnit.SECONDS);
          if (reply.status() == 204) {
            added += c % 2 == 0 ? 2 : 1;
          } else {
            assertError(400, "CSBS.7000", null, reply);
          }
        }
        List<Tag> now = catalog.get(P, id).tags();
        assertTrue(now.size() <= 10, "seed " + seed + ": " + now);
        // every 204 left its tags, and a refused call left none
        long created = now.stream().filter(t -> t.key().startsWith("c")).count();
        assertEquals(added, created, "seed " + seed + ": " + now);
        assertTrue(created >= 1, "seed " + seed + ": " + now);
        assertEquals(8 + created, now.size(), "seed " + seed + ": " + now);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  // ------------------------------------------------------------------ huge bodies

  /** A request with a body of {@code size} spaces; the answer, or the IOException's text if none came. */
  Object sendBig(String method, String path, int size) {
    HttpRequest request = HttpRequest.newBuilder(client.uri(path))
        .method(method, HttpRequest.BodyPublishers.ofString(" ".repeat(size))).timeout(Duration.ofSeconds(20)).build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      return new Client.Reply(response.statusCode(), response.body(), response);
    } catch (IOException e) {
      return "no answer: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** CsbsServer: "a body over 1 MiB 413, CSBS.LIB.BODY_TOO_LARGE": the client gets that answer, whatever the body's size. */
  @Test
  void aHugeBodyIsAnswered413EveryTime() {
    Backup before = add("big", BackupStatus.AVAILABLE);
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Object answer = sendBig("POST", tags("big"), 16 << 20);
      if (!(answer instanceof Client.Reply) || ((Client.Reply) answer).status() != 413
          || !((Client.Reply) answer).body().startsWith("{\"error_code\":\"CSBS.LIB.BODY_TOO_LARGE\"")) {
        wrong.add(String.valueOf(answer));
      }
      Object ignored = sendBig("GET", v1() + "/quotas", 3 << 20);
      if (!(ignored instanceof Client.Reply) || ((Client.Reply) ignored).status() != 200) {
        wrong.add("GET with a body: " + ignored);
      }
    }
    assertEquals(List.of(), wrong);
    assertEquals(before, catalog.get(P, "big"));
  }

  /** Actual: the answer is the documented 413 or none at all (never another status); nothing changes. */
  @Test
  void aHugeBodyActualBehaviour() {
    Backup before = add("big", BackupStatus.AVAILABLE);
    for (int i = 0; i < 3; i++) {
      Object answer = sendBig("POST", tags("big"), 16 << 20);
      if (answer instanceof Client.Reply) {
        assertError(413, "CSBS.LIB.BODY_TOO_LARGE", null, (Client.Reply) answer);
      } else {
        assertTrue(answer.toString().startsWith("no answer: "), answer.toString());
      }
    }
    // just over the limit, with the whole body read, the answer always comes
    Object justOver = sendBig("POST", tags("big"), (1 << 20) + 1);
    assertError(413, "CSBS.LIB.BODY_TOO_LARGE", null, (Client.Reply) justOver);
    assertEquals(before, catalog.get(P, "big"));
  }

  /** A job that fails while clients restore and delete: restores are 2003 (running) or 4000 (Error), never 200; one delete wins. */
  @Test
  void aJobFailingWhileClientsRestoreAndDeleteLetsOnlyADeleteStart() throws Exception {
    long seed = Seeds.pick();  // -Dcsbs.seed=N replays a failure
    Random random = new Random(seed);
    for (int round = 0; round < 5; round++) {
      String id = "fail" + round;
      add(id, BackupStatus.CREATING);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<List<Client.Reply>>> calls = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
          boolean restore = c < 2;
          calls.add(pool.submit(() -> {
            List<Client.Reply> replies = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
              Client.Reply reply = restore ? client.post(v1() + "/restores", restoreBody("cp", id)) : client.delete(deletePath(id));
              replies.add(reply);
              if (reply.status() == 200 || (catalog.get(P, id).status() == BackupStatus.DELETING && i > 3)) {
                break;
              }
            }
            return replies;
          }));
        }
        Thread.sleep(random.nextInt(20));
        Backup current = catalog.get(P, id);
        catalog.apply(P, id, current.version(), Transition.fail("disk gone"));
        int won = 0;
        for (int c = 0; c < calls.size(); c++) {
          for (Client.Reply reply : calls.get(c).get(60, TimeUnit.SECONDS)) {
            if (reply.status() == 200) {
              assertTrue(c >= 2, "seed " + seed + ": a restore of a failed job started: " + reply.body());
              won++;
            } else if (c < 2 && reply.body().contains("CSBS.4000")) {
              assertError(400, "CSBS.4000", null, reply);
            } else {
              assertError(400, "CSBS.2003", null, reply);
            }
          }
        }
        assertEquals(1, won, "seed " + seed + " round " + round);
        assertEquals(BackupStatus.DELETING, catalog.get(P, id).status(), "seed " + seed);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Error bodies are JSON whatever the id echoed: quotes, backslashes, controls, letters outside the BMP. */
  @Test
  void errorBodiesEscapeWhatTheyEcho() {
    for (String id : List.of("a\"b", "a\\b", "line\nbreak", "tab\t", "\u007f", "\uD83D\uDE00", "</script>", "\u2028")) {
      Client.Reply reply = client.get(v1() + "/checkpoint_items/" + seg(id));
      assertError(404, "CSBS.3001", null, reply);
      String escaped = JSON.error("X", id);   // the library's own escaping of the same text
      String inner = escaped.substring(escaped.indexOf("\"error_msg\":\"") + 13, escaped.length() - 2);
      assertTrue(reply.body().contains("(" + inner + ")"), id + ": " + reply.body());
      assertFalse(reply.body().contains("\n"), reply.body());
    }
  }

  static List<String> requestsTheJdkRefusesItself() {
    return List.of(
        "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET v1/p/checkpoint_items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /v1/p/restores HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}",
        "POST /v1/p/restores HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  }

  @Test
  void everyOtherOddRequestActualBehaviour() {
    List<Integer> statuses = new ArrayList<>();
    for (String request : requestsTheJdkRefusesItself()) {
      String answer = raw(request);
      statuses.add(rawStatus(answer));
      assertTrue(answer.contains("Content-Type: text/html"), request + " -> " + answer);
      assertTrue(rawBody(answer).startsWith("<h1>"), request + " -> " + answer);
    }
    assertEquals(List.of(404, 404, 400, 400), statuses);
  }

  /** A call refused before its body is read leaves the connection usable: the pipelined calls after it are answered, each once. */
  @Test
  void aRefusedCallDoesNotSpoilTheNextOnTheSameConnection() {
    add("pp", BackupStatus.AVAILABLE);
    String tagBody = "{\"tag\": {\"key\": \"k\", \"value\": \"v\"}}";
    String restore = restoreBody("cp", "pp");
    String three = "POST " + v1() + "/restores?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: " + restore.length() + "\r\n\r\n" + restore
        + "POST " + tags("pp") + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + tagBody.length() + "\r\n\r\n" + tagBody
        + "GET " + tags("pp") + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    String answers = raw(three);
    assertTrue(answers.startsWith("HTTP/1.1 400 "), answers);
    assertTrue(answers.contains("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"x '1' is invalid"), answers);
    assertTrue(answers.contains("HTTP/1.1 204 "), answers);
    assertTrue(answers.endsWith("{\"tags\":[{\"key\":\"env\",\"value\":\"prod\"},{\"key\":\"k\",\"value\":\"v\"}]}"), answers);
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "pp").status());
    assertEquals(2, catalog.get(P, "pp").version());
  }

  /** '+' is a space in a query and a plus in a path: the delete's checkpoint_items=a+b names "a b", a%2Bb names "a+b". */
  @Test
  void plusInTheDeletesQueryIsASpace() {
    for (String id : List.of("a b", "a+b")) {
      catalog.add(Backup.builder().id(id).name("plus").projectId(P).server(Server.of("s", "s", "az"))
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T0).build());
    }
    String base = v1() + "/providers/" + PROVIDER + "/checkpoints/cp?checkpoint_items=";
    assertEquals(200, client.delete(base + "a+b").status());
    assertEquals(BackupStatus.DELETING, catalog.get(P, "a b").status());
    assertEquals(BackupStatus.AVAILABLE, catalog.get(P, "a+b").status());
    assertEquals(200, client.delete(base + "a%2Bb").status());
    assertEquals(BackupStatus.DELETING, catalog.get(P, "a+b").status());
    assertError(400, "CSBS.2003", null, client.post(v1() + "/restores", restoreBody("cp", "a+b")));
  }

  /** The restore body with the string {@code targetsValue}'s bytes put raw into targets.s: a request as bytes. */
  byte[] restoreWithRawBytes(String id, byte[] inside) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"c\", \"parameters\": "
        + "{\"checkpoint_item_id\": \"" + id + "\", \"targets\": {\"s\": \"").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(inside);
    body.writeBytes("\"}}}}".getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(("POST " + v1() + "/restores HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        + body.size() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    request.writeBytes(body.toByteArray());
    return request.toByteArray();
  }

  /** CsbsServer: "a body that is not JSON names body"; JSON text is UTF-8, and the server refuses non-UTF-8 percent-encoding naming the parameter. */
  @Test
  void aBodyThatIsNoUtf8IsRefusedNamingBody() {
    Backup before = add("u8", BackupStatus.AVAILABLE);
    for (byte[] bad : List.of(new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})) {
      String answer = raw(restoreWithRawBytes("u8", bad));
      assertEquals(400, rawStatus(answer), answer);
      assertTrue(rawBody(answer).startsWith("{\"error_code\":\"CSBS.9001\""), answer);
      assertTrue(rawBody(answer).contains("body"), answer);
    }
    assertEquals(before, catalog.get(P, "u8"));
  }

  static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** A refusal names the parameter and its rule: the tag query's limit is 1 to 1000 and its offset 0 or more, whatever the number's size. */
  @Test
  void hugeTagQueryNumbersAreRefusedWithTheApisRule() {
    for (String limit : List.of("1E400", "99999999999999999999", "-99999999999999999999")) {
      Client.Reply reply = client.post(v1() + TAG_QUERY, "{\"action\": \"filter\", \"limit\": " + limit + "}");
      assertError(400, "CSBS.9001", "limit", reply);
      assertTrue(reply.body().contains("must be 1 to 1000"), reply.body());
    }
    Client.Reply offset = client.post(v1() + TAG_QUERY, "{\"action\": \"filter\", \"offset\": 1e19}");
    assertError(400, "CSBS.9001", "offset", offset);
    assertFalse(offset.body().contains("-9223372036854775808"), offset.body());
  }

}
