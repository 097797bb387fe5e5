package io.csbs.server;

import static io.csbs.server.Client.assertReply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.query.Predicates;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.usage.Quota;
import io.csbs.usage.UsageQuery;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Quotas, storage usage, routing and the server's own life: builder, start, close, main. */
class ServerTest {
  private static final CsbsJson JSON = CsbsJson.create();
  private static final String PROJECT = BackupGenerator.projectId(0);

  @RegisterExtension
  static final ServedCatalog SERVED = new ServedCatalog(9, 1500);

  @BeforeAll
  static void quota() {
    SERVED.catalog.setQuota(PROJECT, Quota.of(5000, 100_000));
  }

  @Test
  void quotasAreTheProjectsWithWhatItUses() {
    assertReply(200, JSON.quotas(SERVED.catalog.quotaUsage(PROJECT)), SERVED.client.get("/v1/" + PROJECT + "/quotas"));
    assertTrue(SERVED.client.get("/v1/" + PROJECT + "/quotas").body().contains("{\"type\":\"backups\",\"quota\":5000,"));
    assertReply(200, JSON.quotas(SERVED.catalog.quotaUsage("nobody")), SERVED.client.get("/v1/nobody/quotas"));
  }

  @Test
  void storageUsageIsTheCatalogsReportPageByPage() {
    String path = "/v1/" + PROJECT + "/storage_usage";
    assertReply(200, JSON.storageUsage(SERVED.catalog.usage(PROJECT, UsageQuery.firstServers(1000))), SERVED.client.get(path));
    assertReply(200, JSON.storageUsage(SERVED.catalog.usage(PROJECT, UsageQuery.of(Predicates.all(), 5, 7))),
        SERVED.client.get(path + "?offset=5&limit=7"));
    assertReply(200, JSON.storageUsage(SERVED.catalog.usage(PROJECT, UsageQuery.of(Predicates.all(), 0, 1))), SERVED.client.get(path + "?limit=1"));
  }

  @Test
  void badStorageUsageParametersAre400NamingThem() {
    String path = "/v1/" + PROJECT + "/storage_usage?";
    for (String bad : new String[] {"limit=0", "limit=1001", "limit=x", "offset=-1", "limit=", "limit=2&limit=3", "sort=name"}) {
      Client.Reply reply = SERVED.client.get(path + bad);
      assertEquals(400, reply.status(), bad);
      String name = bad.substring(0, bad.indexOf('='));
      assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"" + name + " '"), bad + ": " + reply.body());
    }
  }

  @Test
  void parametersOfEndpointsThatTakeNoneAre400() {
    Client.Reply reply = SERVED.client.get("/v1/" + PROJECT + "/quotas?all_tenants=true");
    assertReply(400, "{\"error_code\":\"CSBS.9001\",\"error_msg\":\"all_tenants 'true' is invalid: is not a parameter of "
        + "the quotas, which takes none\"}", reply);
  }

  @Test
  void anUnknownPathIs404WithTheApisBody() {
    for (String path : new String[] {"/v1", "/v1/" + PROJECT, "/v2/" + PROJECT + "/checkpoint_items",
        "/v1/" + PROJECT + "/checkpoint_items/a/b", "/v1/" + PROJECT + "/checkpoint_items/", "/v1//checkpoint_items",
        "/v1/" + PROJECT + "/backups"}) {
      Client.Reply reply = SERVED.client.get(path);
      assertReply(404, JSON.error("CSBS.LIB.UNKNOWN_PATH", "path " + SERVED.client.uri(path).getRawPath() + " is not an endpoint of this server"), reply);
    }
  }

  @Test
  void theServersAddressLeadsToTheConsolePage() {
    Client.Reply root = SERVED.client.get("/");
    assertEquals(302, root.status());
    assertEquals("/console/", root.header("Location"));
    assertEquals("/console/", SERVED.client.get("/console").header("Location"));
    Client.Reply post = SERVED.client.post("/", "{}");
    assertEquals(405, post.status(), "/ is the console's: GET and HEAD only");
    assertEquals("GET, HEAD", post.header("Allow"));
  }

  @Test
  void theConsoleProjectIsWhereTheServersAddressLeads() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.create());
    try (CsbsServer server = CsbsServer.builder(catalog).consoleProject("projet été/1").build().start()) {
      Client client = new Client(server);
      for (String method : new String[] {"GET", "HEAD"}) {
        Client.Reply root = client.send(method, "/", null);
        assertEquals(302, root.status(), method);
        assertEquals("/console/?project=projet%20%C3%A9t%C3%A9%2F1", root.header("Location"), method);
      }
      assertEquals("/console/", client.get("/console").header("Location"), "/console leads to the page as it did");
    }
    assertEquals("project id", assertThrows(io.csbs.backup.InvalidValueException.class,
        () -> CsbsServer.builder(catalog).consoleProject(" ")).field());
    assertThrows(IllegalStateException.class, () -> CsbsServer.builder(catalog).consoleProject("a").consoleProject("b"));
  }

  @Test
  void theConsoleIsItsThreeFilesAndTheServersSettings() {
    Client.Reply page = SERVED.client.get("/console/");
    assertEquals(200, page.status());
    assertEquals("text/html; charset=utf-8", page.header("Content-Type"));
    assertTrue(page.body().contains("<script src=\"console.js\" defer></script>"), page.body());
    assertEquals("text/javascript; charset=utf-8", SERVED.client.get("/console/console.js").header("Content-Type"));
    assertEquals("text/css; charset=utf-8", SERVED.client.get("/console/console.css").header("Content-Type"));
    assertReply(200, "{\"now\":\"" + SERVED.clock.instant() + "\",\"stall_threshold_ms\":1800000}",
        SERVED.client.get("/console/settings.json"));
    for (String missing : new String[] {"/console/console.java", "/console/../v1/x", "/console/io/csbs/server/Api.class",
        "/console/index.html", "/consoles"}) {
      assertEquals(404, SERVED.client.get(missing).status(), missing);
    }
    Client.Reply post = SERVED.client.post("/console/", "{}");
    assertEquals(405, post.status());
    assertEquals("GET, HEAD", post.header("Allow"));
    Client.Reply postToConsole = SERVED.client.post("/console", "{}");  // not redirected: a page takes no POST
    assertEquals(405, postToConsole.status());
    assertEquals("GET, HEAD", postToConsole.header("Allow"));
    assertEquals(302, SERVED.client.get("/console").status());
  }

  @Test
  void aMethodThePathDoesNotServeIs405WithAllow() {
    Client.Reply put = SERVED.client.send("PUT", "/v1/" + PROJECT + "/checkpoint_items", "{}");
    assertReply(405, JSON.error("CSBS.LIB.METHOD_NOT_ALLOWED",
        "method PUT is not allowed on /v1/" + PROJECT + "/checkpoint_items; it allows GET"), put);
    assertEquals("GET", put.header("Allow"));
    Client.Reply get = SERVED.client.get("/v1/" + PROJECT + "/csbs_backup/b-1/tags/action");
    assertEquals(405, get.status());
    assertEquals("DELETE, POST", get.header("Allow"));
    assertEquals("GET, POST", SERVED.client.send("PUT", "/v1/" + PROJECT + "/csbs_backup/b-1/tags", "{}").header("Allow"));
    assertEquals(405, SERVED.client.post("/v1/" + PROJECT + "/quotas", "{}").status());
    assertEquals(405, SERVED.client.delete("/v1/" + PROJECT + "/restores").status());
  }

  @Test
  void aBodyOverOneMebibyteIs413() {
    Client.Reply reply = SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/resource_instances/action",
        "{\"action\": \"count\", \"x\": \"" + "a".repeat(Api.MAX_BODY) + "\"}");
    assertEquals(413, reply.status());
    assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.LIB.BODY_TOO_LARGE\""), reply.body());
  }

  @Test
  void percentEncodedPathSegmentsAreDecoded() {
    BackupCatalog own = Catalogs.indexed(FakeClock.create());
    own.add(BackupGenerator.withSeed(1).next().toBuilder().projectId("project a+b").build());
    try (CsbsServer spaced = CsbsServer.builder(own).build().start()) {
      Client.Reply reply = new Client(spaced).get("/v1/project%20a+b/checkpoint_items/count");
      assertReply(200, "{\"count\":1}", reply);
    }
  }

  @Test
  void aCallDoesNotWaitForTheClientsDelayedAck() {
    // regression: without TCP_NODELAY each answer's body waited about 40 ms for the headers' ACK
    long start = System.nanoTime();
    for (int i = 0; i < 100; i++) {
      assertEquals(200, SERVED.client.get("/v1/" + PROJECT + "/checkpoint_items/count").status());
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 3000, "100 calls took " + millis + " ms");
  }

  // ---------------------------------------------------------------- the server's life

  @Test
  void theServerListensOn127001AndAFreePortByDefault() {
    assertEquals("127.0.0.1", SERVED.server.uri().getHost());
    assertTrue(SERVED.server.port() > 0);
    assertEquals("http://127.0.0.1:" + SERVED.server.port() + "/", SERVED.server.uri().toString());
  }

  @Test
  void aClosedServerReleasesItsPort() throws IOException {
    CsbsServer closing = CsbsServer.builder(SERVED.catalog).build().start();
    int port = closing.port();
    closing.close();
    closing.close();
    UncheckedIOException refused = assertThrows(UncheckedIOException.class, () -> new Client(closing).get("/v1/p/quotas"));
    assertTrue(refused.getCause() instanceof ConnectException, refused.toString());
    try (ServerSocket again = new ServerSocket(port, 0, InetAddress.getLoopbackAddress())) {
      assertEquals(port, again.getLocalPort());
    }
  }

  @Test
  void aServerIsStartedOnce() {
    try (CsbsServer once = CsbsServer.builder(SERVED.catalog).build()) {
      once.start();
      assertThrows(IllegalStateException.class, once::start);
    }
  }

  @Test
  void aPortInUseIsRefusedNamingIt() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      UncheckedIOException e = assertThrows(UncheckedIOException.class,
          () -> CsbsServer.builder(SERVED.catalog).port(taken.getLocalPort()).build());
      assertTrue(e.getMessage().contains(":" + taken.getLocalPort()), e.getMessage());
    }
  }

  @Test
  void builderOptionsAreSetOnceAndChecked() {
    CsbsServer.Builder builder = CsbsServer.builder(SERVED.catalog).port(0).address(InetAddress.getLoopbackAddress());
    assertThrows(IllegalStateException.class, () -> builder.port(1));
    assertThrows(IllegalStateException.class, () -> builder.address(InetAddress.getLoopbackAddress()));
    assertThrows(IllegalArgumentException.class, () -> CsbsServer.builder(SERVED.catalog).port(65_536));
    assertThrows(IllegalArgumentException.class, () -> CsbsServer.builder(SERVED.catalog).port(-1));
    assertThrows(NullPointerException.class, () -> CsbsServer.builder(null));
  }

  @Test
  void aGivenExecutorRunsTheCallsAndIsNotShutDown() {
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      try (CsbsServer own = CsbsServer.builder(SERVED.catalog).executor(executor).build().start()) {
        assertEquals(200, new Client(own).get("/v1/" + PROJECT + "/quotas").status());
      }
      assertTrue(!executor.isShutdown());
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void mainServesAGeneratedCatalogAndPrintsItsUrl() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (Main.Running running = Main.start(new String[] {"--backups", "3000", "--projects", "2", "--port", "0", "--seed", "7"},
        new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      CsbsServer main = running.server();
      String out = printed.toString(StandardCharsets.UTF_8);
      assertTrue(out.startsWith("csbs-server: 3,000 generated backups (seed 7) in project-0, project-1, ready in "), out);
      assertTrue(out.contains("serving " + main.uri() + "v1/{project_id}/..."), out);
      Client generated = new Client(main);
      long zero = JSON.readCount(generated.get("/v1/project-0/checkpoint_items/count").body());
      long one = JSON.readCount(generated.get("/v1/project-1/checkpoint_items/count").body());
      assertEquals(3000, zero + one);
    }
  }

  @Test
  void mainRefusesBadArgumentsNamingThem() {
    PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertEquals("--backups x is invalid: must be a whole number",
        assertThrows(IllegalArgumentException.class, () -> Main.start(new String[] {"--backups", "x"}, out)).getMessage());
    assertEquals("--port 70000 is invalid: must be 0 to 65535",
        assertThrows(IllegalArgumentException.class, () -> Main.start(new String[] {"--port", "70000"}, out)).getMessage());
    assertEquals("unknown option --size",
        assertThrows(IllegalArgumentException.class, () -> Main.start(new String[] {"--size", "1"}, out)).getMessage());
    assertEquals("--port needs a value",
        assertThrows(IllegalArgumentException.class, () -> Main.start(new String[] {"--port"}, out)).getMessage());
    assertEquals("--migrate needs --jdbc-url",
        assertThrows(IllegalArgumentException.class, () -> Main.start(new String[] {"--migrate"}, out)).getMessage());
    assertEquals("--backups is for the generated catalog: not with --jdbc-url",
        assertThrows(IllegalArgumentException.class,
            () -> Main.start(new String[] {"--jdbc-url", "jdbc:postgresql://127.0.0.1:1/x", "--backups", "5"}, out)).getMessage());
    assertEquals("--port is given twice: give it once",
        assertThrows(IllegalArgumentException.class, () -> Main.start(new String[] {"--port", "1", "--port", "0"}, out)).getMessage());
    assertEquals("--migrate is given twice: give it once", assertThrows(IllegalArgumentException.class,
        () -> Main.start(new String[] {"--migrate", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/x", "--migrate"}, out)).getMessage());
    assertEquals("unknown option --verbose",
        assertThrows(IllegalArgumentException.class, () -> Main.start(new String[] {"--port", "0", "--verbose"}, out)).getMessage());
    assertTrue(Main.asksForHelp(new String[] {"--port", "0", "--help"}));
    assertTrue(Main.asksForHelp(new String[] {"-h"}));
    assertFalse(Main.asksForHelp(new String[] {"--port", "0", "--helps"}));
    assertEquals("--seed 9223372036854775808 is invalid: must be -9223372036854775808 to 9223372036854775807",
        assertThrows(IllegalArgumentException.class,
            () -> Main.start(new String[] {"--seed", "9223372036854775808"}, out)).getMessage());
  }
}
