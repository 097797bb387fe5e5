package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.Schema;
import io.csbs.testing.BackupGenerator;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * csbs-server run as a program, as a new user runs it: the README's section "A reference server:
 * csbs-server", the usage text the program prints ({@code Main.USAGE}) and the javadoc of {@link
 * CsbsServer}; then the console page it serves and every API call the page's script makes, on the
 * generated catalog. Each program is a JVM of its own (the test JVM's class path, main class {@code
 * io.csbs.server.Main}), read through what it prints and its HTTP port, and stopped as Ctrl-C stops it.
 *
 * <p>One server ({@code --backups 2000 --projects 4 --seed 11 --port 0}) serves the read-only checks
 * on project-0 to project-2; project-3 takes the restore and delete the page starts.
 */
class NewUserMainTest {
  private static final long WAIT_SECONDS = 30;
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(Duration.ofSeconds(10))
      .build();
  private static final String PROVIDER_ID = "fc4d5750-22e7-4798-8a46-f48f62c4c1da";
  /** The console script's map of raw statuses to the states it shows. */
  private static final Map<String, String> STATES = Map.of(
      "waiting_protect", "Creating", "protecting", "Creating", "available", "Available",
      "waiting_restore", "Restoring", "restoring", "Restoring", "error", "Error",
      "waiting_delete", "Deleting", "deleting", "Deleting", "deleted", "Deleted");
  /** The console's status filter: option value and the state it stands for. */
  private static final Map<String, String> STATUS_OPTIONS = new LinkedHashMap<>();

  static {
    STATUS_OPTIONS.put("available", "Available");
    STATUS_OPTIONS.put("protecting", "Creating");
    STATUS_OPTIONS.put("restoring", "Restoring");
    STATUS_OPTIONS.put("deleting", "Deleting");
    STATUS_OPTIONS.put("error", "Error");
  }

  /** The shared server: 2,000 backups in 4 projects, seed 11. */
  private static Program served;

  /** What the shared server printed on stderr as it started. */
  private static String servedStartErr;

  @BeforeAll
  static void startTheSharedServer() {
    served = Program.start("--backups", "2000", "--projects", "4", "--seed", "11", "--port", "0");
    servedStartErr = served.err();
  }

  @AfterAll
  static void stopTheSharedServer() {
    if (served != null) {
      served.close();
    }
  }

  // =================================================================== the program and its options

  @Test
  void portZeroPrintsTheRealUrlAndEveryPrintedUrlAnswers() {
    String out = served.out();
    assertNotEquals(0, served.base.getPort(), out);
    assertEquals("127.0.0.1", served.base.getHost(), out);
    assertTrue(out.contains("http://127.0.0.1:" + served.base.getPort() + "/"), out);
    assertFalse(out.contains(":0/"), "port 0 is never printed, the port taken is: " + out);
    Matcher urls = Pattern.compile("http://127\\.0\\.0\\.1:[0-9]+/[^\\s]*").matcher(out);
    int answered = 0;
    while (urls.find()) {
      String url = urls.group();
      if (url.contains("{project_id}")) {
        continue;
      }
      Answer answer = send("GET", URI.create(url), null);
      assertEquals(200, answer.status, url + " printed by the program: " + answer.body);
      answered++;
    }
    assertTrue(answered >= 3, "the console and two API examples are printed: " + out);
    assertTrue(out.contains("console: " + served.base + "console/?project=project-0"), out);
    assertEquals("", servedStartErr.strip(), "a start prints nothing on stderr");
  }

  /** Usage: "port on 127.0.0.1": the machine's other addresses do not answer on it. */
  @Test
  void itListensOnLoopbackOnly() throws IOException {
    int port = served.base.getPort();
    for (java.net.NetworkInterface network : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress address : java.util.Collections.list(network.getInetAddresses())) {
        if (address.isLoopbackAddress() || address.isLinkLocalAddress() || !(address instanceof java.net.Inet4Address)) {
          continue;
        }
        try (Socket socket = new Socket()) {
          socket.connect(new java.net.InetSocketAddress(address, port), 5000);
          fail("the server answers on " + address + ":" + port);
        } catch (ConnectException | java.net.SocketTimeoutException refused) {
          // not listening there
        }
      }
    }
  }

  @Test
  void projectsOptionMakesProjectZeroToKMinusOneAndNoOther() {
    assertTrue(served.out().contains("project-0, project-1, project-2, project-3"), served.out());
    long sum = 0;
    for (int p = 0; p < 4; p++) {
      long count = count(served, "project-" + p, "");
      assertTrue(count > 0, "project-" + p + " has backups");
      sum += count;
    }
    assertEquals(2000, sum, "--backups 2000 in all");
    for (String other : List.of("project-4", "project-10", "project_0", "Project-0", "a b/\u00fc+%", "\u9879\u76ee-0")) {
      // what the page asks for a project it is opened on (/console/?project=ID)
      assertEquals(0, count(served, other, ""), other + " has no backup");
      assertEquals(List.of(), list(served, other, "").get("checkpoint_items"), other);
      assertEquals(List.of(), json(get(served, "/v1/" + encode(other) + "/csbs_backup/tags")).get("tags"), other);
      assertEquals(List.of(), json(get(served, "/v1/" + encode(other) + "/storage_usage?limit=10&offset=0")).get("storage_usage"), other);
      assertNotNull(json(get(served, "/v1/" + encode(other) + "/quotas")).get("quotas"), other);
      assertEquals(200, get(served, "/console/?project=" + encode(other)).status, other);
    }
  }

  @Test
  void explicitPortIsTakenAndAPortInUseIsRefusedNamingTheOption() throws IOException {
    int port = freePort();
    try (Program program = Program.start("--backups", "300", "--projects", "3", "--seed", "5", "--port", String.valueOf(port))) {
      assertEquals(port, program.base.getPort(), program.out());
      assertEquals(URI.create("http://127.0.0.1:" + port + "/"), program.base);
      assertEquals(300, count(program, "project-0", "") + count(program, "project-1", "") + count(program, "project-2", ""));

      Ended again = Program.run("--backups", "10", "--port", String.valueOf(port));
      assertNotEquals(0, again.exit, again.toString());
      assertTrue(again.err.contains(String.valueOf(port)), "names the port: " + again);
      assertTrue(again.err.contains("--port"), "says which option to change: " + again);
      assertNoStackTrace(again);
      assertFalse(again.out.contains("serving"), again.toString());
      // the first server still answers
      assertEquals(300, count(program, "project-0", "") + count(program, "project-1", "") + count(program, "project-2", ""));
    }
  }

  /** Same seed: the same backups (ids, names, order, servers, tags, sizes), their times shifted by the start. */
  @Test
  void sameSeedGivesTheSameBackupsWithTimesRelativeToTheStart() {
    List<Map<String, Object>> first;
    List<Map<String, Object>> second;
    try (Program a = Program.start("--backups", "300", "--projects", "3", "--seed", "5", "--port", "0")) {
      first = all(a, "project-1", "");
    }
    try (Program b = Program.start("--backups", "300", "--projects", "3", "--seed", "5", "--port", "0")) {
      second = all(b, "project-1", "");
    }
    assertEquals(first.size(), second.size());
    assertFalse(first.isEmpty());
    Long shift = null;
    for (int i = 0; i < first.size(); i++) {
      Map<String, Object> x = first.get(i);
      Map<String, Object> y = second.get(i);
      for (String field : List.of("id", "name", "status", "resource_id", "tags", "checkpoint_id")) {
        assertEquals(x.get(field), y.get(field), field + " of backup " + i);
      }
      assertEquals(obj(x, "extend_info").get("size"), obj(y, "extend_info").get("size"));
      assertEquals(obj(x, "extend_info").get("resource_name"), obj(y, "extend_info").get("resource_name"));
      long s = Duration.between(time(x.get("created_at")), time(y.get("created_at"))).getSeconds();
      if (shift == null) {
        shift = s;
      }
      assertEquals(shift, s, "every creation time moves by the same whole seconds, the starts' difference");
    }
  }

  /**
   * The defaults of the usage text: 3 projects, seed 0, port 8080 (where this machine has it free, else
   * {@code --port 0}); another seed gives other backups.
   */
  @Test
  void defaultsAreThreeProjectsSeedZeroAndPort8080AndAnotherSeedAnotherCatalog() {
    Set<String> seedZero = new HashSet<>();
    boolean free8080;
    try (ServerSocket probe = new ServerSocket(8080, 1, InetAddress.getLoopbackAddress())) {
      free8080 = probe.getLocalPort() == 8080;
    } catch (IOException taken) {
      free8080 = false;
    }
    Program started = free8080 ? Program.tryStart("--backups", "300") : null;
    if (started != null && started.base == null && started.err().contains("cannot bind")) {
      started = null;   // taken meanwhile
    }
    try (Program program = started != null ? started : Program.start("--backups", "300", "--port", "0")) {
      assertNotNull(program.base, program.toString());
      if (started != null) {
        assertEquals(URI.create("http://127.0.0.1:8080/"), program.base, "the default port");
        assertTrue(program.out().contains("console: http://127.0.0.1:8080/console/?project=project-0"), program.out());
      }
      String out = program.out();
      assertTrue(out.contains("300 generated backups (seed 0) in project-0, project-1, project-2,"), out);
      long sum = 0;
      for (int p = 0; p < 3; p++) {
        long count = count(program, "project-" + p, "");
        assertTrue(count > 0, "project-" + p);
        sum += count;
        all(program, "project-" + p, "").forEach(item -> seedZero.add((String) item.get("id")));
      }
      assertEquals(300, sum);
      assertEquals(0, count(program, "project-3", ""));
    }
    Set<String> seedFive = new HashSet<>();
    try (Program program = Program.start("--backups", "300", "--seed", "5", "--port", "0")) {
      assertTrue(program.out().contains("(seed 5)"), program.out());
      for (int p = 0; p < 3; p++) {
        all(program, "project-" + p, "").forEach(item -> seedFive.add((String) item.get("id")));
      }
    }
    assertEquals(300, seedZero.size());
    assertEquals(300, seedFive.size());
    seedFive.retainAll(seedZero);
    assertEquals(Set.of(), seedFive, "another seed, other backups");
  }

  /** {@code --backups 0} is in the usage's range: an empty catalog, served, and Ctrl-C stops it. */
  @Test
  void zeroBackupsServesAnEmptyCatalogAndCtrlCStopsTheProgramAndFreesThePort() throws Exception {
    Program program = Program.start("--backups", "0", "--port", "0");
    try {
      assertTrue(program.out().contains("0 generated backups"), program.out());
      assertEquals(0, count(program, "project-0", ""));
      Map<String, Object> quotas = obj(json(get(program, "/v1/project-0/quotas")), "quotas");
      for (Object resource : (List<?>) quotas.get("resources")) {
        assertEquals(0, ((Number) ((Map<?, ?>) resource).get("used")).doubleValue(), 0.0, resource.toString());
      }
      Map<String, Object> usage = json(get(program, "/v1/project-0/storage_usage?limit=10&offset=0"));
      assertEquals(List.of(), usage.get("storage_usage"));
      assertEquals(200, get(program, "/console/?project=project-0").status);
    } finally {
      int port = program.base.getPort();
      program.interrupt();   // Ctrl-C
      assertTrue(program.process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "Ctrl-C stops it: " + program);
      program.close();
      Ended ended = program.ended();
      assertEquals("", ended.err, "a stop prints nothing on stderr: " + ended);
      boolean refused = false;
      for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS); !refused && System.nanoTime() < deadline; ) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
          Thread.sleep(100);
        } catch (ConnectException e) {
          refused = true;
        }
      }
      assertTrue(refused, "the port is free once the program has stopped");
    }
  }

  /** The page asks for a list and its count at once; many pages at once get consistent answers. */
  @Test
  void manyPagesAtOnceGetTheSameAnswersAsOne() throws Exception {
    String project = "project-1";
    Map<String, List<Object>> expected = new LinkedHashMap<>();
    Map<String, Long> counts = new LinkedHashMap<>();
    for (String filter : List.of("", "status=available", "status=protecting", "status=error", "status=restoring")) {
      expected.put(filter, all(served, project, filter).stream().limit(20).map(item -> item.get("id")).collect(Collectors.toList()));
      counts.put(filter, count(served, project, filter));
    }
    List<String> filters = new ArrayList<>(expected.keySet());
    long seed = new Random().nextLong();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<String>> clients = new ArrayList<>();
      for (int c = 0; c < 6; c++) {
        Random random = new Random(seed + c);
        clients.add(pool.submit(() -> {
          for (int i = 0; i < 30; i++) {
            String filter = filters.get(random.nextInt(filters.size()));
            List<Object> ids = items(list(served, project, (filter.isEmpty() ? "" : filter + "&") + "limit=20")).stream()
                .map(item -> item.get("id")).collect(Collectors.toList());
            if (!ids.equals(expected.get(filter))) {
              return "list " + filter + ": " + ids;
            }
            if (count(served, project, filter) != counts.get(filter)) {
              return "count " + filter;
            }
          }
          return null;
        }));
      }
      for (Future<String> client : clients) {
        assertEquals(null, client.get(2 * WAIT_SECONDS, TimeUnit.SECONDS), "seed " + seed);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // =================================================================== bad command lines

  /** A bad command line: the arguments and what its message must name. */
  private record Bad(List<String> args, List<String> named) {
    static Bad of(String args, String... named) {
      return new Bad(Arrays.asList(args.split(" ", -1)), List.of(named));
    }
  }

  @Test
  void badCommandLinesAreRefusedNamingTheOptionAndTheRuleWithoutAStackTrace() throws Exception {
    List<Bad> cases = List.of(
        Bad.of("--bogus 1", "unknown option", "--bogus"),
        Bad.of("--backups", "--backups", "needs a value"),
        Bad.of("--port 0 --seed", "--seed", "needs a value"),
        Bad.of("--backups abc", "--backups", "abc", "whole number"),
        Bad.of("--backups -1", "--backups", "-1", "0 to 100000000"),
        Bad.of("--backups 100000001", "--backups", "100000001", "0 to 100000000"),
        Bad.of("--projects 0", "--projects", "0", "1 to"),
        Bad.of("--port 65536", "--port", "65536", "0 to 65535"),
        Bad.of("--port eighty", "--port", "eighty", "whole number"),
        Bad.of("--seed x7", "--seed", "x7", "whole number"),
        Bad.of("--migrate", "--migrate", "--jdbc-url"),
        Bad.of("--jdbc-url jdbc:postgresql://127.0.0.1:1/x --projects 2", "--projects", "--jdbc-url"));
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<Ended>> runs = new ArrayList<>();
      for (Bad bad : cases) {
        runs.add(pool.submit(() -> Program.run(bad.args().toArray(String[]::new))));
      }
      List<String> failures = new ArrayList<>();
      for (int i = 0; i < cases.size(); i++) {
        Bad bad = cases.get(i);
        Ended ended = runs.get(i).get(2 * WAIT_SECONDS, TimeUnit.SECONDS);
        String first = ended.err.lines().findFirst().orElse("");
        if (ended.exit == 0) {
          failures.add(bad.args() + ": exit 0");
        }
        for (String name : bad.named()) {
          if (!first.contains(name)) {
            failures.add(bad.args() + ": the message does not name '" + name + "': " + first);
          }
        }
        if (!ended.err.contains("usage: java -jar csbs-server.jar")) {
          failures.add(bad.args() + ": no usage text: " + ended.err);
        }
        if (ended.err.contains("Exception") || ended.err.contains("\tat ")) {
          failures.add(bad.args() + ": a stack trace: " + ended.err);
        }
        if (ended.out.contains("serving")) {
          failures.add(bad.args() + ": it served: " + ended.out);
        }
      }
      assertEquals(List.of(), failures);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aCatalogLargerThanTheHeapIsRefusedWithAMessage() {
    Ended ended = Program.runWithHeap("-Xmx24m", "--backups", "100000000", "--port", "0");
    assertNotEquals(0, ended.exit);
    assertTrue(ended.err.contains("--backups"), ended.toString());
    assertNoStackTrace(ended);
  }

  @Test
  void helpPrintsTheUsageAndEndsWithoutStarting() {
    for (String help : List.of("--help", "-h")) {
      Ended ended = Program.run("--port", "0", help);
      assertEquals(0, ended.exit, ended.toString());
      assertEquals(Main.USAGE, ended.out.strip(), ended.toString());
      assertFalse(ended.out.contains("http://"), ended.toString());
      assertEquals("", ended.err, ended.toString());
    }
  }

  @Test
  void anUnknownOptionGivenLastIsRefusedAsUnknown() {
    Ended ended = Program.run("--verbose");
    assertNotEquals(0, ended.exit);
    assertTrue(ended.err.startsWith("unknown option --verbose"), ended.toString());
    Ended glued = Program.run("--port=0");
    assertTrue(glued.err.startsWith("unknown option --port=0"), glued.toString());
  }

  @Test
  void aWholeNumberTooLargeForALongIsRefusedNamingTheRange() {
    Ended seed = Program.run("--seed", "9223372036854775808");
    assertNotEquals(0, seed.exit);
    assertFalse(seed.err.lines().findFirst().orElse("").contains("whole number"), seed.toString());
    Ended backups = Program.run("--backups", "99999999999999999999");
    assertTrue(backups.err.startsWith("--backups 99999999999999999999 is invalid: must be 0 to 100000000"), backups.toString());
  }

  @Test
  void usageTextGivesTheRangeOfProjects() {
    Ended ended = Program.run("--bogus", "1");
    String projects = ended.err.lines().filter(line -> line.strip().startsWith("--projects")).findFirst().orElse("");
    assertTrue(projects.contains("1 to 1000"), projects);
  }

  @Test
  void projectsAboveAThousandAreRefusedNamingTheRange() {
    Ended ended = Program.run("--projects", "1001");
    assertEquals(2, ended.exit, ended.toString());
    assertTrue(ended.err.startsWith("--projects 1001 is invalid: must be 1 to 1000"), ended.toString());
  }

  @Test
  void anInvalidJdbcUrlIsRefusedWithoutPrintingItsPassword() {
    for (String url : List.of("jdbc:mysql://h/db?user=u&password=Sekr3t-Pa55",
        "jdbc:postgresql://h:99999/db?user=u&password=Sekr3t-Pa55")) {
      Ended ended = Program.run("--jdbc-url", url);
      assertNotEquals(0, ended.exit);
      assertFalse(ended.out.contains("Sekr3t-Pa55") || ended.err.contains("Sekr3t-Pa55"), ended.toString());
    }
  }

  @Test
  void anUnreachableDatabaseIsRefusedWithoutAStackTraceOrItsPassword() {
    Ended ended = Program.run("--jdbc-url", "jdbc:postgresql://127.0.0.1:1/db?user=u&password=Sekr3t-Pa55", "--port", "0");
    assertEquals(1, ended.exit, ended.toString());
    assertTrue(ended.err.startsWith("csbs-server: "), ended.toString());
    assertTrue(ended.err.contains("127.0.0.1:1"), "names the database: " + ended);
    assertFalse(ended.err.contains("Sekr3t-Pa55") || ended.out.contains("Sekr3t-Pa55"), ended.toString());
    assertNoStackTrace(ended);
  }

  // =================================================================== --jdbc-url and --migrate

  @Test
  void jdbcUrlServesTheDatabaseAndMigrateCreatesOrUpgradesTheSchema() throws Exception {
    EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "off").start();
    boolean running = true;
    try {
      PGSimpleDataSource admin = dataSource(postgres.getJdbcUrl("postgres", "postgres"));
      execute(admin, "CREATE DATABASE fresh", "CREATE DATABASE older", "CREATE DATABASE newer");
      String secret = "Sekr3t-Pa55";
      String fresh = postgres.getJdbcUrl("postgres", "fresh") + "&password=" + secret;
      // a database at an older version, one at a newer version
      String older = postgres.getJdbcUrl("postgres", "older");
      execute(dataSource(older),
          "CREATE TABLE csbs_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
          Schema.script(1), "INSERT INTO csbs_schema_version (version) VALUES (1)");
      String newer = postgres.getJdbcUrl("postgres", "newer");
      Schema.migrate(dataSource(newer));
      int newerVersion = Schema.CURRENT_VERSION + 40;
      execute(dataSource(newer), "INSERT INTO csbs_schema_version (version) VALUES (" + newerVersion + ")");

      // without --migrate each is at another version: refused; with --migrate a newer one still is
      List<List<String>> refusals = List.of(
          List.of("--jdbc-url", fresh, "--port", "0"),
          List.of("--jdbc-url", older, "--port", "0"),
          List.of("--jdbc-url", newer, "--port", "0"),
          List.of("--migrate", "--jdbc-url", newer, "--port", "0"));
      List<Ended> refused = runAll(refusals);
      for (int i = 0; i < refusals.size(); i++) {
        Ended ended = refused.get(i);
        assertEquals(1, ended.exit, refusals.get(i) + " " + ended);
        assertTrue(ended.err.startsWith("csbs-server: "), ended.toString());
        assertTrue(ended.err.contains("schema"), ended.toString());
        assertNoStackTrace(ended);
        assertFalse(ended.toString().contains(secret), ended.toString());
        assertFalse(ended.out.contains("serving"), ended.toString());
      }
      assertTrue(refused.get(0).err.contains("--migrate"), "names the program's option: " + refused.get(0));
      assertTrue(refused.get(1).err.contains("version 1"), refused.get(1).toString());
      assertTrue(refused.get(2).err.contains(String.valueOf(newerVersion)), "names the database's version: " + refused.get(2));
      assertTrue(refused.get(3).err.contains(String.valueOf(newerVersion)), "names the database's version: " + refused.get(3));
      assertEquals(0, Schema.version(dataSource(fresh)), "nothing was created");
      assertEquals(1, Schema.version(dataSource(older)), "nothing was upgraded");
      assertEquals(newerVersion, Schema.version(dataSource(newer)));

      // with --migrate (anywhere on the line): created, or upgraded, then served
      try (Program program = Program.start("--jdbc-url", fresh, "--migrate", "--port", "0")) {
        String out = program.out();
        assertFalse(out.contains(secret) || program.err().contains(secret), out);
        assertTrue(out.contains(postgres.getJdbcUrl("postgres", "fresh").replaceAll("\\?.*", "")), out);
        assertTrue(out.contains("0 backups"), out);
        assertEquals(0, count(program, "project-0", ""));
        assertEquals(200, get(program, "/console/?project=anything").status);
      }
      assertEquals(Schema.CURRENT_VERSION, Schema.version(dataSource(fresh)));
      // a port in use, with a database: refused as without one
      Ended taken = Program.run("--jdbc-url", fresh, "--port", String.valueOf(served.base.getPort()));
      assertEquals(1, taken.exit, taken.toString());
      assertTrue(taken.err.contains(String.valueOf(served.base.getPort())) && taken.err.contains("--port"), taken.toString());
      assertNoStackTrace(taken);
      assertFalse(taken.toString().contains(secret), taken.toString());
      try (Program program = Program.start("--migrate", "--port", "0", "--jdbc-url", older)) {
        assertEquals(0, count(program, "project-0", ""));
      }
      assertEquals(Schema.CURRENT_VERSION, Schema.version(dataSource(older)));

      // another instance writes; a start without --migrate serves what is there, and writes to it
      BackupGenerator generator = BackupGenerator.builder().seed(21).projects(2)
          .window(Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60), Duration.ofDays(30)).build();
      List<Backup> backups = generator.backups(120);
      try (PostgresCatalog database = PostgresCatalog.create(dataSource(fresh), Clock.systemUTC())) {
        database.addAll(backups);
        String project = generator.projectIds().get(0);
        long expected = backups.stream().filter(b -> b.projectId().equals(project)).count();
        try (Program program = Program.start("--jdbc-url", fresh, "--port", "0")) {
          assertTrue(program.out().contains("120 backups"), program.out());
          assertTrue(program.out().contains("console: " + program.base + "console/"), program.out());
          assertEquals("", program.err(), "a start prints nothing on stderr");
          assertEquals(expected, count(program, project, ""));
          List<Map<String, Object>> availables = all(program, project, "status=available");
          assertTrue(availables.size() >= 2, "available backups in " + project);
          String id = (String) availables.get(0).get("id");
          Answer restore = post(program, "/v1/" + project + "/restores", restoreBody(availables.get(0)));
          assertEquals(200, restore.status, restore.body);
          assertEquals(io.csbs.backup.BackupStatus.RESTORING, database.get(project, id).status(),
              "the write went to the database");
          assertEquals("Restoring", STATES.get(obj(json(get(program, "/v1/" + project + "/checkpoint_items/" + id)),
              "checkpoint_item").get("status")), "the server reads its own write");

          // the database goes away: reads answer from memory, a write is 503 CSBS.LIB.DATABASE_FAILURE
          database.close();
          postgres.close();
          running = false;
          assertEquals(expected, count(program, project, ""), "reads from memory");
          Answer down = post(program, "/v1/" + project + "/restores", restoreBody(availables.get(1)));
          assertEquals(503, down.status, down.body);
          assertEquals("CSBS.LIB.DATABASE_FAILURE", parse(down.body).get("error_code"), down.body);
          assertFalse(down.body.contains(secret), down.body);
          assertEquals("available", obj(json(get(program, "/v1/" + project + "/checkpoint_items/" + availables.get(1).get("id"))),
              "checkpoint_item").get("status"), "nothing changed");
        }
      }
    } finally {
      if (running) {
        postgres.close();
      }
    }
  }

  /** Runs the command lines side by side, three at a time. */
  private static List<Ended> runAll(List<List<String>> commandLines) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<Ended>> runs = new ArrayList<>();
      for (List<String> args : commandLines) {
        runs.add(pool.submit(() -> Program.run(args.toArray(String[]::new))));
      }
      List<Ended> ended = new ArrayList<>();
      for (Future<Ended> run : runs) {
        ended.add(run.get(3 * WAIT_SECONDS, TimeUnit.SECONDS));
      }
      return ended;
    } finally {
      pool.shutdownNow();
    }
  }


  @Test
  void aDatabaseWithoutTheSchemaIsRefusedNamingTheMigrateOption() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "off").start()) {
      Ended refused = Program.run("--jdbc-url", postgres.getJdbcUrl("postgres", "postgres"), "--port", "0");
      assertEquals(1, refused.exit, refused.toString());
      assertTrue(refused.err.contains("--migrate"), refused.toString());
      assertFalse(refused.err.contains("Schema.migrate(dataSource)"), refused.toString());
    }
  }

  // =================================================================== the console page

  @Test
  void rootOpensTheConsoleOfProjectZero() {
    Answer root = get(served, "/");
    assertEquals(302, root.status);
    URI page = served.base.resolve(root.header("Location"));
    assertTrue(("&" + page.getQuery() + "&").contains("&project=project-0&"), page.toString());
  }

  @Test
  void headOfTheRootAnswersAsGetAndOtherMethodsAre405() throws InterruptedException {
    int printed = served.err().length();
    Answer head = send("HEAD", served.base, null);
    assertEquals(302, head.status);
    assertEquals("/console/?project=project-0", head.header("Location"));
    Answer post = send("POST", served.base, "{}");
    assertEquals(405, post.status, post.body);
    assertNotNull(post.header("Allow"));
    assertEquals(405, send("HEAD", served.base.resolve("v1/project-0/checkpoint_items"), null).status);
    Thread.sleep(1000);
    assertEquals("", served.err().substring(printed), "a HEAD is no warning on the server's stderr");
  }

  @Test
  void consolePageAndEveryFileItReferencesLoadWithGetAndHead() {
    for (String project : List.of("project-0", "project-2", "project-3")) {
      Answer page = get(served, "/console/?project=" + project);
      assertEquals(200, page.status);
      assertEquals("text/html; charset=utf-8", page.header("Content-Type"));
      assertTrue(page.body.contains("<title>"), page.body);
      Answer head = send("HEAD", served.base.resolve("console/?project=" + project), null);
      assertEquals(200, head.status);
      assertEquals("text/html; charset=utf-8", head.header("Content-Type"));
      assertEquals("", head.body);
    }
    Answer console = get(served, "/console");
    assertEquals(302, console.status);
    assertEquals("/console/", console.header("Location"));
    // the javadoc's other answers of the console's paths: plain text 404 and 405, the API's 404 beside them
    Answer consoleHead = send("HEAD", served.base.resolve("console"), null);
    assertEquals(302, consoleHead.status);
    assertEquals("/console/", consoleHead.header("Location"));
    Answer missing = get(served, "/console/index.html");
    assertEquals(404, missing.status);
    assertTrue(missing.header("Content-Type").startsWith("text/plain"), missing.header("Content-Type"));
    for (String path : List.of("console/", "console/console.js", "console/settings.json")) {
      Answer post = send("POST", served.base.resolve(path), "{}");
      assertEquals(405, post.status, path);
      assertEquals("GET, HEAD", post.header("Allow"), path);
      assertTrue(post.header("Content-Type").startsWith("text/plain"), path);
    }
    Answer settingsHead = send("HEAD", served.base.resolve("console/settings.json"), null);
    assertEquals(200, settingsHead.status);
    assertEquals("", settingsHead.body);
    Answer elsewhere = get(served, "/consolex");
    assertEquals(404, elsewhere.status);
    assertEquals("CSBS.LIB.UNKNOWN_PATH", parse(elsewhere.body).get("error_code"));

    URI page = served.base.resolve("console/?project=project-0");
    String html = get(served, "/console/?project=project-0").body;
    Matcher references = Pattern.compile("(?:href|src)=\"([^\"#]+)\"").matcher(html);
    Set<URI> files = new LinkedHashSet<>();
    while (references.find()) {
      files.add(page.resolve(references.group(1)));
    }
    assertTrue(files.contains(served.base.resolve("console/console.css")), files.toString());
    assertTrue(files.contains(served.base.resolve("console/console.js")), files.toString());
    for (URI file : files) {
      Answer answer = send("GET", file, null);
      assertEquals(200, answer.status, file.toString());
      String type = answer.header("Content-Type");
      if (file.getPath().endsWith(".css")) {
        assertTrue(type.startsWith("text/css"), file + ": " + type);
      } else if (file.getPath().endsWith(".js")) {
        assertTrue(type.startsWith("text/javascript") || type.startsWith("application/javascript"), file + ": " + type);
      }
      assertFalse(answer.body.isEmpty(), file.toString());
      Answer head = send("HEAD", file, null);
      assertEquals(200, head.status, file.toString());
      assertEquals(type, head.header("Content-Type"));
      assertEquals("", head.body);
    }
  }

  @Test
  void settingsGiveTheServersClockAndTheDefaultThirtyMinutes() {
    Instant before = Instant.now();
    Answer answer = get(served, "/console/settings.json");
    Instant after = Instant.now();
    assertEquals(200, answer.status);
    assertTrue(answer.header("Content-Type").startsWith("application/json"), answer.header("Content-Type"));
    Map<String, Object> settings = parse(answer.body);
    assertEquals(1_800_000L, ((Number) settings.get("stall_threshold_ms")).longValue());
    Instant now = Instant.parse((String) settings.get("now"));
    assertFalse(now.isBefore(before.minusSeconds(5)) || now.isAfter(after.plusSeconds(5)), now + " not near " + before);
  }

  /** The script served names the API calls the tests below make as it makes them. */
  @Test
  void theScriptCallsTheEndpointsTheReadmeLists() {
    String script = get(served, "/console/console.js").body;
    for (String call : List.of("'/checkpoint_items?'", "'/checkpoint_items/count?'", "'/csbs_backup/resource_instances/action'",
        "'/checkpoint_items/'", "'/csbs_backup/tags'", "'/quotas'", "'/storage_usage?limit='", "'/restores'",
        "'/providers/'", "'settings.json'", "'/v1/'")) {
      assertTrue(script.contains(call), call);
    }
  }

  // =================================================================== the page's calls on the generated catalog

  @Test
  void readmeCurlExampleAnswersAPageOfTwentyAvailableBackupsWithItsNextLink() {
    Answer answer = get(served, "/v1/project-0/checkpoint_items?status=available&limit=20");
    assertEquals(200, answer.status);
    assertEquals("application/json; charset=utf-8", answer.header("Content-Type"));
    Map<String, Object> page = parse(answer.body);
    List<Map<String, Object>> items = items(page);
    assertEquals(20, items.size());
    items.forEach(item -> assertEquals("available", item.get("status"), item.get("id").toString()));
    URI next = nextLink(page);
    assertNotNull(next, answer.body);
    assertEquals(served.base.getPort(), next.getPort());
    assertEquals("127.0.0.1", next.getHost());
    assertEquals("/v1/project-0/checkpoint_items", next.getPath());
    Map<String, String> query = queryOf(next);
    assertEquals(items.get(19).get("id"), query.get("marker"));
    assertEquals("available", query.get("status"));
    assertEquals("20", query.get("limit"));
    List<Map<String, Object>> after = items(parse(send("GET", next, null).body));
    assertEquals(20, after.size());
    Set<Object> ids = items.stream().map(item -> item.get("id")).collect(Collectors.toSet());
    after.forEach(item -> assertFalse(ids.contains(item.get("id")), "no backup twice"));
  }

  /** Page by page as the page's pager goes (its next link's marker), each page size of the select. */
  @Test
  void pagesOfTenToHundredFollowTheNextMarkerToTheTotal() {
    for (String project : List.of("project-0", "project-2")) {
      for (String filter : List.of("", "status=available", "status=error")) {
        List<Map<String, Object>> whole = all(served, project, filter);
        long total = count(served, project, filter);
        assertEquals(whole.size(), total, project + " " + filter);
        for (int size : new int[] {10, 20, 50, 100}) {
          List<Object> walked = new ArrayList<>();
          String marker = null;
          int pages = 0;
          while (true) {
            String query = (filter.isEmpty() ? "" : filter + "&") + "limit=" + size + (marker == null ? "" : "&marker=" + marker);
            Map<String, Object> page = list(served, project, query);
            List<Map<String, Object>> items = items(page);
            pages++;
            items.forEach(item -> walked.add(item.get("id")));
            URI next = nextLink(page);
            if (next == null) {
              break;
            }
            assertEquals(size, items.size(), "a page with a next link is full");
            marker = queryOf(next).get("marker");
            assertEquals(items.get(items.size() - 1).get("id"), marker);
            assertTrue(pages <= total / size + 2, "the pager ends");
          }
          assertEquals(whole.stream().map(item -> item.get("id")).collect(Collectors.toList()), walked,
              project + " " + filter + " pages of " + size);
        }
        Instant previous = Instant.MAX;
        for (Map<String, Object> item : whole) {
          Instant created = time(item.get("created_at"));
          assertFalse(created.isAfter(previous), "newest first: " + item.get("id"));
          previous = created;
        }
      }
    }
  }

  @Test
  void statusFilterOfEveryOptionCountsAndListsItsState() {
    for (String project : List.of("project-0", "project-1", "project-2")) {
      List<Map<String, Object>> whole = all(served, project, "");
      long sum = 0;
      for (Map.Entry<String, String> option : STATUS_OPTIONS.entrySet()) {
        String state = option.getValue();
        List<Object> expected = whole.stream().filter(item -> state.equals(STATES.get(item.get("status"))))
            .map(item -> item.get("id")).collect(Collectors.toList());
        String filter = "status=" + option.getKey();
        assertEquals(expected.size(), count(served, project, filter), project + " " + filter);
        assertEquals(expected, all(served, project, filter).stream().map(item -> item.get("id")).collect(Collectors.toList()),
            project + " " + filter);
        sum += expected.size();
      }
      assertEquals(whole.size(), sum, "the five states cover the list: " + project);
    }
  }

  @Test
  void timeSegmentsAndACustomRangeCountWhatTheyList() {
    Instant now = Instant.parse((String) parse(get(served, "/console/settings.json").body).get("now"));
    List<Map<String, Object>> whole = all(served, "project-1", "");
    for (int days : new int[] {1, 7, 30}) {
      Instant start = now.minus(Duration.ofDays(days)).truncatedTo(ChronoUnit.SECONDS);
      Instant end = now.truncatedTo(ChronoUnit.SECONDS);
      String filter = "start_time=" + apiTime(start) + "&end_time=" + apiTime(end);
      checkFilter("project-1", filter, whole, item -> within(time(item.get("created_at")), start, end));
      for (String status : STATUS_OPTIONS.keySet()) {
        String state = STATUS_OPTIONS.get(status);
        checkFilter("project-1", "status=" + status + "&" + filter, whole,
            item -> state.equals(STATES.get(item.get("status"))) && within(time(item.get("created_at")), start, end));
      }
    }
    // a custom range, minutes from the page's datetime-local (":00" added), one bound or both
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int i = 0; i < 8; i++) {
      Instant a = time(whole.get(random.nextInt(whole.size())).get("created_at")).truncatedTo(ChronoUnit.MINUTES);
      Instant b = time(whole.get(random.nextInt(whole.size())).get("created_at")).truncatedTo(ChronoUnit.MINUTES);
      Instant from = a.isBefore(b) ? a : b;
      Instant to = a.isBefore(b) ? b : a;
      checkFilter("project-1", "start_time=" + apiTime(from) + "&end_time=" + apiTime(to), whole,
          item -> within(time(item.get("created_at")), from, to), "seed " + seed);
      checkFilter("project-1", "start_time=" + apiTime(from), whole,
          item -> !time(item.get("created_at")).isBefore(from), "seed " + seed);
      checkFilter("project-1", "end_time=" + apiTime(to), whole,
          item -> !time(item.get("created_at")).isAfter(to), "seed " + seed);
    }
  }

  @Test
  void keywordInNameBackupIdServerNameOrServerIdCountsWhatItLists() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    List<Map<String, Object>> whole = all(served, "project-2", "");
    for (int i = 0; i < 6; i++) {
      Map<String, Object> item = whole.get(random.nextInt(whole.size()));
      String name = (String) item.get("name");
      String part = name.substring(random.nextInt(name.length() / 2), name.length() - random.nextInt(name.length() / 2))
          .toUpperCase(Locale.ROOT);
      checkFilter("project-2", "name=" + encode(part), whole,
          other -> ((String) other.get("name")).toUpperCase(Locale.ROOT).contains(part), "seed " + seed);
      checkFilter("project-2", "checkpoint_id=" + encode((String) item.get("id")), whole,
          other -> other.get("id").equals(item.get("id")), "seed " + seed);
      String server = (String) obj(item, "extend_info").get("resource_name");
      String serverPart = server.substring(random.nextInt(server.length() / 2)).toUpperCase(Locale.ROOT);
      checkFilter("project-2", "resource_name=" + encode(serverPart), whole,
          other -> ((String) obj(other, "extend_info").get("resource_name")).toUpperCase(Locale.ROOT).contains(serverPart),
          "seed " + seed);
      checkFilter("project-2", "resource_id=" + encode((String) item.get("resource_id")), whole,
          other -> other.get("resource_id").equals(item.get("resource_id")), "seed " + seed);
      // the page sends the keyword with the status and the time segment
      String status = new ArrayList<>(STATUS_OPTIONS.keySet()).get(random.nextInt(STATUS_OPTIONS.size()));
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      Instant start = now.minus(Duration.ofDays(30));
      checkFilter("project-2", "status=" + status + "&start_time=" + apiTime(start) + "&end_time=" + apiTime(now)
              + "&resource_name=" + encode(serverPart), whole,
          other -> STATUS_OPTIONS.get(status).equals(STATES.get(other.get("status")))
              && within(time(other.get("created_at")), start, now)
              && ((String) obj(other, "extend_info").get("resource_name")).toUpperCase(Locale.ROOT).contains(serverPart),
          "seed " + seed);
    }
    // an id that no backup has, and a backup id of another project
    checkFilter("project-2", "checkpoint_id=" + encode(whole.get(0).get("id") + "x"), whole, other -> false);
    String elsewhere = (String) all(served, "project-1", "").get(0).get("id");
    checkFilter("project-2", "checkpoint_id=" + elsewhere, whole, other -> false);
  }

  @Test
  void searchByTagPagesByOffsetAndCountsAsTheScriptAsks() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    List<Map<String, Object>> whole = all(served, "project-0", "");
    Map<String, List<String>> catalogue = new LinkedHashMap<>();
    for (Object entry : (List<?>) json(get(served, "/v1/project-0/csbs_backup/tags")).get("tags")) {
      Map<?, ?> tag = (Map<?, ?>) entry;
      catalogue.put((String) tag.get("key"), ((List<?>) tag.get("values")).stream().map(String.class::cast).collect(Collectors.toList()));
    }
    // the catalogue is every key and value of the project's backups
    Map<String, Set<String>> seen = new LinkedHashMap<>();
    for (Map<String, Object> item : whole) {
      for (Object tag : (List<?>) item.get("tags")) {
        seen.computeIfAbsent((String) ((Map<?, ?>) tag).get("key"), k -> new HashSet<>()).add((String) ((Map<?, ?>) tag).get("value"));
      }
    }
    assertEquals(seen.keySet(), catalogue.keySet());
    seen.forEach((key, values) -> assertEquals(values, new HashSet<>(catalogue.get(key)), key));

    List<Map<String, Object>> tagged = whole.stream().filter(item -> ((List<?>) item.get("tags")).size() >= 2).collect(Collectors.toList());
    assertFalse(tagged.isEmpty());
    for (int round = 0; round < 6; round++) {
      Map<String, Object> item = tagged.get(random.nextInt(tagged.size()));
      List<?> tags = (List<?>) item.get("tags");
      // the page's pairs: two of the backup's tags, plus another value of the first key (pairs of one key: either)
      Map<String, List<String>> pairs = new LinkedHashMap<>();
      for (Object tag : tags.subList(0, 2)) {
        pairs.computeIfAbsent((String) ((Map<?, ?>) tag).get("key"), k -> new ArrayList<>()).add((String) ((Map<?, ?>) tag).get("value"));
      }
      String firstKey = pairs.keySet().iterator().next();
      List<String> others = new ArrayList<>(catalogue.get(firstKey));
      others.removeAll(pairs.get(firstKey));
      if (!others.isEmpty()) {
        pairs.get(firstKey).add(others.get(random.nextInt(others.size())));
      }
      Predicate<Map<String, Object>> matches = other -> pairs.entrySet().stream().allMatch(pair ->
          ((List<?>) other.get("tags")).stream().anyMatch(tag -> ((Map<?, ?>) tag).get("key").equals(pair.getKey())
              && pair.getValue().contains(((Map<?, ?>) tag).get("value"))));
      Set<Object> expected = whole.stream().filter(matches).map(other -> other.get("id")).collect(Collectors.toSet());
      assertTrue(expected.contains(item.get("id")));
      String tagsJson = pairs.entrySet().stream().map(pair -> "{\"key\": " + quote(pair.getKey()) + ", \"values\": ["
          + pair.getValue().stream().map(NewUserMainTest::quote).collect(Collectors.joining(", ")) + "]}")
          .collect(Collectors.joining(", ", "[", "]"));
      int size = new int[] {10, 20, 50, 100}[random.nextInt(4)];
      Set<Object> walked = new HashSet<>();
      for (int page = 0; ; page++) {
        Answer answer = post(served, "/v1/project-0/csbs_backup/resource_instances/action",
            "{\"action\": \"filter\", \"tags\": " + tagsJson + ", \"limit\": " + size + ", \"offset\": " + page * size + "}");
        assertEquals(200, answer.status, answer.body);
        Map<String, Object> result = parse(answer.body);
        assertEquals(expected.size(), ((Number) result.get("total_count")).intValue(), "seed " + seed + " " + tagsJson);
        List<?> resources = (List<?>) result.get("resources");
        for (Object resource : resources) {
          Map<?, ?> detail = (Map<?, ?>) ((Map<?, ?>) resource).get("resource_detail");
          assertNotNull(detail, "resource_detail, as the page reads it");
          assertTrue(walked.add(detail.get("id")), "no backup twice: seed " + seed);
          assertTrue(detail.containsKey("status") && detail.containsKey("name") && detail.containsKey("created_at"), detail.toString());
        }
        if ((page + 1) * size >= expected.size()) {
          assertTrue(resources.size() <= size);
          break;
        }
        assertEquals(size, resources.size(), "a page before the last is full: seed " + seed);
      }
      assertEquals(expected, walked, "seed " + seed + " " + tagsJson);
      Answer count = post(served, "/v1/project-0/csbs_backup/resource_instances/action",
          "{\"action\": \"count\", \"tags\": " + tagsJson + "}");
      assertEquals(200, count.status, count.body);
      assertEquals(expected.size(), ((Number) parse(count.body).get("total_count")).intValue(), count.body);
    }
    // ten pairs of ten keys, as many as the page allows: answered
    List<String> keys = new ArrayList<>(catalogue.keySet());
    if (keys.size() >= 10) {
      String ten = keys.subList(0, 10).stream().map(key -> "{\"key\": " + quote(key) + ", \"values\": [" + quote(catalogue.get(key).get(0)) + "]}")
          .collect(Collectors.joining(", ", "[", "]"));
      Answer answer = post(served, "/v1/project-0/csbs_backup/resource_instances/action",
          "{\"action\": \"filter\", \"tags\": " + ten + ", \"limit\": 10, \"offset\": 0}");
      assertEquals(200, answer.status, answer.body);
    }
  }

  @Test
  void detailsOfARowAreTheListsBackupAndAnotherProjectsBackupIsNotFound() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    List<Map<String, Object>> whole = all(served, "project-1", "");
    for (int i = 0; i < 10; i++) {
      Map<String, Object> item = whole.get(random.nextInt(whole.size()));
      Answer answer = get(served, "/v1/project-1/checkpoint_items/" + encode((String) item.get("id")));
      assertEquals(200, answer.status, answer.body);
      assertEquals(item, obj(parse(answer.body), "checkpoint_item"), "seed " + seed);
    }
    String elsewhere = (String) all(served, "project-0", "").get(0).get("id");
    Answer other = get(served, "/v1/project-1/checkpoint_items/" + elsewhere);
    assertEquals(404, other.status);
    assertEquals("CSBS.3001", parse(other.body).get("error_code"));
    Answer unknown = get(served, "/v1/project-1/checkpoint_items/" + encode("no-such-backup-\u00e9"));
    assertEquals(404, unknown.status, unknown.body);
    assertEquals("CSBS.3001", parse(unknown.body).get("error_code"));
  }

  @Test
  void overviewAndStorageUsageDialogAddUpToTheList() {
    for (String project : List.of("project-0", "project-1", "project-2")) {
      List<Map<String, Object>> whole = all(served, project, "");
      Map<String, Object> quotas = obj(json(get(served, "/v1/" + project + "/quotas")), "quotas");
      Map<String, Number> used = new LinkedHashMap<>();
      for (Object resource : (List<?>) quotas.get("resources")) {
        used.put((String) ((Map<?, ?>) resource).get("type"), (Number) ((Map<?, ?>) resource).get("used"));
      }
      assertEquals(whole.size(), used.get("backups").longValue(), project);
      long mb = whole.stream().mapToLong(item -> ((Number) obj(item, "extend_info").get("size")).longValue()).sum();
      assertEquals(mb / 1024.0, used.get("backup_capacity").doubleValue(), 0.0051, project + " capacity in GB");

      Map<String, Long> perServer = new LinkedHashMap<>();
      for (Map<String, Object> item : whole) {
        perServer.merge((String) item.get("resource_id"), 1L, Long::sum);
      }
      // the dialog's pages of 10
      long servers = -1;
      long backups = 0;
      long size = 0;
      long previous = Long.MAX_VALUE;
      Set<Object> listed = new HashSet<>();
      for (int offset = 0; servers < 0 || offset < servers; offset += 10) {
        Map<String, Object> usage = json(get(served, "/v1/" + project + "/storage_usage?limit=10&offset=" + offset));
        servers = ((Number) usage.get("resource_count")).longValue();
        List<?> rows = (List<?>) usage.get("storage_usage");
        assertTrue(rows.size() <= 10);
        for (Object row : rows) {
          Map<?, ?> server = (Map<?, ?>) row;
          assertTrue(listed.add(server.get("resource_id")), "a server once: " + server);
          long count = ((Number) server.get("backup_count")).longValue();
          assertEquals(perServer.get(server.get("resource_id")), count, server.toString());
          long bytes = ((Number) server.get("backup_size")).longValue();
          assertTrue(bytes <= previous, "largest first: " + server);
          previous = bytes;
          backups += count;
          size += bytes;
          assertNotNull(server.get("resource_name"));
        }
        if (rows.isEmpty()) {
          break;
        }
      }
      assertEquals(perServer.size(), servers, project + " servers");
      assertEquals(whole.size(), backups, project + " backups of the dialog's servers");
      assertEquals(mb, size, project + " MB of the dialog's servers");
    }
  }

  /** Restore and Delete as the page calls them, on project-3. */
  @Test
  void restoreAndDeleteAsThePageCallsThem() {
    String project = "project-3";
    List<Map<String, Object>> available = all(served, project, "status=available");
    Map<String, Object> withCheckpoint = available.stream().filter(item -> item.get("checkpoint_id") != null).findFirst().orElseThrow();
    Map<String, Object> withoutCheckpoint = available.stream().filter(item -> item.get("checkpoint_id") == null).findFirst().orElseThrow();
    long restoringBefore = count(served, project, "status=restoring");
    long deletingBefore = count(served, project, "status=deleting");

    for (Map<String, Object> item : List.of(withCheckpoint, withoutCheckpoint)) {
      Answer restore = post(served, "/v1/" + project + "/restores", restoreBody(item));
      assertEquals(200, restore.status, restore.body);
      Map<String, Object> answer = obj(parse(restore.body), "restore");
      assertEquals("in_progress", answer.get("status"), restore.body);
      assertEquals(item.get("id"), obj(answer, "parameters").get("checkpoint_item_id"), restore.body);
      assertEquals(project, answer.get("project_id"));
      assertEquals("Restoring", STATES.get(details(project, item).get("status")));
      Answer again = post(served, "/v1/" + project + "/restores", restoreBody(item));
      assertEquals(400, again.status, again.body);
      assertEquals("CSBS.2003", parse(again.body).get("error_code"));
      Answer delete = send("DELETE", served.base.resolve(deletePath(project, item)), null);
      assertEquals(400, delete.status, "a restoring backup is not deleted: " + delete.body);
      assertEquals("CSBS.2003", parse(delete.body).get("error_code"));
    }
    assertEquals(restoringBefore + 2, count(served, project, "status=restoring"));

    List<Map<String, Object>> deletable = new ArrayList<>(all(served, project, "status=error"));
    deletable.addAll(all(served, project, "status=available").subList(0, 2));
    for (Map<String, Object> item : deletable.subList(0, 3)) {
      Answer delete = send("DELETE", served.base.resolve(deletePath(project, item)), null);
      assertEquals(200, delete.status, delete.body);
      assertEquals("{}", delete.body.replace(" ", ""));
      assertEquals("Deleting", STATES.get(details(project, item).get("status")));
      Answer again = send("DELETE", served.base.resolve(deletePath(project, item)), null);
      assertEquals(400, again.status, again.body);
      assertEquals("CSBS.2003", parse(again.body).get("error_code"));
    }
    assertEquals(deletingBefore + 3, count(served, project, "status=deleting"));
    // the other projects are untouched
    assertEquals(0, all(served, "project-0", "").stream()
        .filter(item -> item.get("id").equals(withCheckpoint.get("id"))).count());
  }

  /** A tag of the user's own, letters of several scripts, added to a backup of project-3: the page's catalogue and search find it. */
  @Test
  void aTagOfUnicodeAddedThroughTheApiIsInTheCatalogueAndTheTagSearch() {
    String project = "project-3";
    String key = "\u043a\u043b\u044e\u0447_\u952e-\uD835\uDC00";   // Cyrillic, CJK, a letter past the BMP
    String value = "\u5024-\u00fc_\uD835\uDFD8";
    Map<String, Object> item = all(served, project, "status=error").get(0);
    String id = (String) item.get("id");
    String tags = "/v1/" + project + "/csbs_backup/" + encode(id) + "/tags";
    int before = ((List<?>) item.get("tags")).size();
    if (before >= 10) {
      return;
    }
    Answer add = post(served, tags, "{\"tag\": {\"key\": " + quote(key) + ", \"value\": " + quote(value) + "}}");
    assertEquals(204, add.status, add.body);
    boolean inCatalogue = false;
    for (Object entry : (List<?>) json(get(served, "/v1/" + project + "/csbs_backup/tags")).get("tags")) {
      if (key.equals(((Map<?, ?>) entry).get("key"))) {
        inCatalogue = true;
        assertEquals(List.of(value), ((Map<?, ?>) entry).get("values"));
      }
    }
    assertTrue(inCatalogue, "the catalogue has the new key");
    Answer search = post(served, "/v1/" + project + "/csbs_backup/resource_instances/action",
        "{\"action\": \"filter\", \"tags\": [{\"key\": " + quote(key) + ", \"values\": [" + quote(value) + "]}], \"limit\": 10, \"offset\": 0}");
    assertEquals(200, search.status, search.body);
    Map<String, Object> result = parse(search.body);
    assertEquals(1L, ((Number) result.get("total_count")).longValue(), search.body);
    Map<?, ?> detail = (Map<?, ?>) ((Map<?, ?>) ((List<?>) result.get("resources")).get(0)).get("resource_detail");
    assertEquals(id, detail.get("id"));
    List<?> detailTags = (List<?>) details(project, item).get("tags");
    assertEquals(before + 1, detailTags.size());
    assertTrue(detailTags.contains(Map.of("key", key, "value", value)), detailTags.toString());

    Answer remove = send("DELETE", served.base.resolve(tags.substring(1) + "/" + encode(key)), null);
    assertEquals(204, remove.status, remove.body);
    assertEquals(before, ((List<?>) details(project, item).get("tags")).size());
    Answer again = send("DELETE", served.base.resolve(tags.substring(1) + "/" + encode(key)), null);
    assertEquals(404, again.status, again.body);
    assertEquals("CSBS.7001", parse(again.body).get("error_code"));
  }

  // =================================================================== helpers

  private Map<String, Object> details(String project, Map<String, Object> item) {
    Answer answer = get(served, "/v1/" + project + "/checkpoint_items/" + encode((String) item.get("id")));
    assertEquals(200, answer.status, answer.body);
    return obj(parse(answer.body), "checkpoint_item");
  }

  /** The page's restore body: the item's checkpoint, or its id when it has none. */
  private static String restoreBody(Map<String, Object> item) {
    Object checkpoint = item.get("checkpoint_id") != null ? item.get("checkpoint_id") : item.get("id");
    return "{\"restore\": {\"provider_id\": \"" + PROVIDER_ID + "\", \"checkpoint_id\": " + quote((String) checkpoint)
        + ", \"parameters\": {\"checkpoint_item_id\": " + quote((String) item.get("id")) + "}}}";
  }

  /** The page's delete path. */
  private static String deletePath(String project, Map<String, Object> item) {
    Object checkpoint = item.get("checkpoint_id") != null ? item.get("checkpoint_id") : item.get("id");
    return "v1/" + encode(project) + "/providers/" + PROVIDER_ID + "/checkpoints/" + encode((String) checkpoint)
        + "?checkpoint_items=" + encode((String) item.get("id"));
  }

  private static void checkFilter(String project, String filter, List<Map<String, Object>> whole,
      Predicate<Map<String, Object>> matches, String... context) {
    List<Object> expected = whole.stream().filter(matches).map(item -> item.get("id")).collect(Collectors.toList());
    String where = project + "?" + filter + " " + String.join(" ", context);
    assertEquals(expected.size(), count(served, project, filter), "count of " + where);
    assertEquals(expected, all(served, project, filter).stream().map(item -> item.get("id")).collect(Collectors.toList()),
        "list of " + where);
  }

  private static boolean within(Instant time, Instant from, Instant to) {
    return !time.isBefore(from) && !time.isAfter(to);
  }

  private static final DateTimeFormatter API_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT)
      .withZone(ZoneOffset.UTC);

  /** The page's time: UTC without a zone, to the second. */
  private static String apiTime(Instant instant) {
    return API_TIME.format(instant);
  }

  private static Instant time(Object text) {
    return LocalDateTime.parse((String) text).toInstant(ZoneOffset.UTC);
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static Map<String, Object> first(List<Map<String, Object>> items) {
    return items.isEmpty() ? null : items.get(0);
  }

  private static long count(Program program, String project, String filter) {
    Answer answer = get(program, "/v1/" + encode(project) + "/checkpoint_items/count" + (filter.isEmpty() ? "" : "?" + filter));
    assertEquals(200, answer.status, answer.body);
    return ((Number) parse(answer.body).get("count")).longValue();
  }

  private static Map<String, Object> list(Program program, String project, String query) {
    Answer answer = get(program, "/v1/" + encode(project) + "/checkpoint_items" + (query.isEmpty() ? "" : "?" + query));
    assertEquals(200, answer.status, answer.body);
    return parse(answer.body);
  }

  /** Every backup the filter lists, in the list's order, by pages of 1000 and their markers. */
  private static List<Map<String, Object>> all(Program program, String project, String filter) {
    List<Map<String, Object>> all = new ArrayList<>();
    String marker = null;
    for (int pages = 0; pages < 1000; pages++) {
      Map<String, Object> page = list(program, project,
          (filter.isEmpty() ? "" : filter + "&") + "limit=1000" + (marker == null ? "" : "&marker=" + encode(marker)));
      List<Map<String, Object>> items = items(page);
      all.addAll(items);
      URI next = nextLink(page);
      if (next == null) {
        return all;
      }
      marker = queryOf(next).get("marker");
    }
    throw new AssertionError("no end of the list of " + project + " " + filter);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> items(Map<String, Object> page) {
    Object items = page.get("checkpoint_items");
    assertNotNull(items, page.toString());
    return (List<Map<String, Object>>) items;
  }

  private static URI nextLink(Map<String, Object> page) {
    Object links = page.get("checkpoint_items_links");
    if (links == null) {
      return null;
    }
    for (Object link : (List<?>) links) {
      if ("next".equals(((Map<?, ?>) link).get("rel"))) {
        return URI.create((String) ((Map<?, ?>) link).get("href"));
      }
    }
    return null;
  }

  private static Map<String, String> queryOf(URI uri) {
    Map<String, String> query = new LinkedHashMap<>();
    for (String pair : uri.getRawQuery().split("&")) {
      int equals = pair.indexOf('=');
      query.put(java.net.URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
          java.net.URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
    }
    return query;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> obj(Map<?, ?> map, String key) {
    Object value = map.get(key);
    assertNotNull(value, key + " in " + map);
    return (Map<String, Object>) value;
  }

  private static Map<String, Object> json(Answer answer) {
    assertEquals(200, answer.status, answer.body);
    return parse(answer.body);
  }

  private static void assertNoStackTrace(Ended ended) {
    assertFalse(ended.err.contains("\tat ") || ended.err.contains("Exception in thread") || ended.out.contains("\tat "),
        "no stack trace for a user's error: " + ended);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static PGSimpleDataSource dataSource(String url) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setURL(url);
    return dataSource;
  }

  private static void execute(PGSimpleDataSource dataSource, String... statements) throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  static String quote(String text) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        quoted.append('\\').append(c);
      } else if (c < 0x20) {
        quoted.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    return quoted.append('"').toString();
  }

  // ------------------------------------------------------------------- HTTP

  /** An answer: status, headers and body. */
  record Answer(int status, HttpResponse<String> response, String body) {
    String header(String name) {
      return response.headers().firstValue(name).orElse(null);
    }
  }

  private static Answer get(Program program, String path) {
    return send("GET", program.base.resolve(path.startsWith("/") ? path.substring(1) : path), null);
  }

  private static Answer post(Program program, String path, String body) {
    return send("POST", program.base.resolve(path.startsWith("/") ? path.substring(1) : path), body);
  }

  private static Answer send(String method, URI uri, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(WAIT_SECONDS))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    try {
      HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response, response.body() == null ? "" : response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + uri, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------- the program

  /** A program that ended: its exit code and what it printed. */
  record Ended(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
  }

  /** {@code java io.csbs.server.Main args} in a JVM of its own, its output read as it comes. */
  static final class Program implements AutoCloseable {
    final Process process;
    final List<String> args;
    private final StringBuffer out = new StringBuffer();
    private final StringBuffer err = new StringBuffer();
    private final Thread outPump;
    private final Thread errPump;
    URI base;

    private Program(List<String> args) {
      this("-Xmx384m", args);
    }

    private Program(String heap, List<String> args) {
      this.args = args;
      List<String> command = new ArrayList<>(List.of(
          Path.java(), heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-cp", System.getProperty("java.class.path"), "io.csbs.server.Main"));
      command.addAll(args);
      try {
        process = new ProcessBuilder(command).start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      outPump = pump(process.getInputStream(), out);
      errPump = pump(process.getErrorStream(), err);
    }

    /** Starts the program and waits until it says it serves. */
    static Program start(String... args) {
      Program program = tryStart(args);
      if (program.base == null) {
        fail("the program did not start: " + program);
      }
      return program;
    }

    /** Starts the program and waits until it says it serves or ends; {@link #base} is null if it ended. */
    static Program tryStart(String... args) {
      Program program = new Program(List.of(args));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (!program.out().contains("Ctrl-C stops it.")) {
        if (!program.process.isAlive()) {
          try {
            program.outPump.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            program.errPump.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return program;
        }
        if (System.nanoTime() > deadline) {
          program.close();
          fail("the program did not start: " + program);
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      Matcher serving = Pattern.compile("serving (http://\\S+/)v1/").matcher(program.out());
      assertTrue(serving.find(), program.toString());
      program.base = URI.create(serving.group(1));
      return program;
    }

    /** Runs the program to its end (a bad command line ends it). */
    static Ended run(String... args) {
      return runWithHeap("-Xmx384m", args);
    }

    /** Runs the program to its end in a JVM of that heap ({@code -Xmx24m}). */
    static Ended runWithHeap(String heap, String... args) {
      Program program = new Program(heap, List.of(args));
      try {
        if (!program.process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
          program.close();
          fail("the program did not end: " + program);
        }
        program.outPump.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        program.errPump.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return new Ended(program.process.exitValue(), program.out(), program.err());
    }

    /** What it printed, once it has ended. */
    Ended ended() throws InterruptedException {
      outPump.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      errPump.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      return new Ended(process.exitValue(), out(), err());
    }

    String out() {
      return out.toString();
    }

    String err() {
      return err.toString();
    }

    /**
     * Ctrl-C: SIGINT where the machine has kill, else the JVM's own termination request (SIGTERM),
     * which also stands in where this JVM was started with SIGINT ignored (see {@link #sigintIgnored}).
     */
    void interrupt() throws IOException, InterruptedException {
      if ((new File("/bin/kill").canExecute() || new File("/usr/bin/kill").canExecute()) && !sigintIgnored()) {
        Process kill = new ProcessBuilder("kill", "-INT", String.valueOf(process.pid())).start();
        assertTrue(kill.waitFor(WAIT_SECONDS, TimeUnit.SECONDS));
      } else {
        process.destroy();
      }
    }

    /**
     * Whether this JVM runs with SIGINT ignored, as everything started by a shell's background job
     * ({@code mvn ... &} in a script) does: the program started here inherits that, and a JVM leaves
     * an ignored SIGINT ignored, so no Ctrl-C could reach it (a CI run started that way failed here).
     */
    static boolean sigintIgnored() {
      try {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
          if (line.startsWith("SigIgn:")) {
            return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16) & (1L << (2 - 1))) != 0;
          }
        }
      } catch (IOException | RuntimeException unknown) {
        // not Linux: take SIGINT as delivered
      }
      return false;
    }

    private static Thread pump(InputStream stream, StringBuffer into) {
      Thread thread = new Thread(() -> {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
          for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            into.append(line).append('\n');
          }
        } catch (IOException ended) {
          // the process is gone
        }
      }, "NewUserMainTest-pump");
      thread.setDaemon(true);
      thread.start();
      return thread;
    }

    /** Stops it as a user's Ctrl-C or kill does, and waits for it to go. */
    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroy();
      }
      try {
        if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
          fail("the program did not stop within " + WAIT_SECONDS + " s of its termination request: " + this);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public String toString() {
      return args + (process.isAlive() ? " running" : " exit " + process.exitValue()) + "\n--- stdout:\n" + out() + "--- stderr:\n" + err();
    }
  }

  /** The java of this JVM. */
  private static final class Path {
    static String java() {
      return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
  }

  // ------------------------------------------------------------------- a small JSON reader

  static Map<String, Object> parse(String text) {
    JsonReader reader = new JsonReader(text);
    Object value = reader.value();
    reader.space();
    assertEquals(text.length(), reader.at, "one JSON value: " + text);
    assertTrue(value instanceof Map, "a JSON object: " + text);
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) value;
    return map;
  }

  /** Objects as ordered maps, arrays as lists, numbers as Long or BigDecimal. */
  private static final class JsonReader {
    private final String text;
    int at;

    JsonReader(String text) {
      this.text = text;
    }

    void space() {
      while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
        at++;
      }
    }

    Object value() {
      space();
      if (at >= text.length()) {
        throw new AssertionError("JSON ends early: " + text);
      }
      char c = text.charAt(at);
      if (c == '{') {
        at++;
        Map<String, Object> map = new LinkedHashMap<>();
        space();
        if (text.charAt(at) == '}') {
          at++;
          return map;
        }
        while (true) {
          space();
          String key = string();
          space();
          expect(':');
          map.put(key, value());
          space();
          if (text.charAt(at) == ',') {
            at++;
          } else {
            expect('}');
            return map;
          }
        }
      }
      if (c == '[') {
        at++;
        List<Object> list = new ArrayList<>();
        space();
        if (text.charAt(at) == ']') {
          at++;
          return list;
        }
        while (true) {
          list.add(value());
          space();
          if (text.charAt(at) == ',') {
            at++;
          } else {
            expect(']');
            return list;
          }
        }
      }
      if (c == '"') {
        return string();
      }
      if (text.startsWith("true", at)) {
        at += 4;
        return Boolean.TRUE;
      }
      if (text.startsWith("false", at)) {
        at += 5;
        return Boolean.FALSE;
      }
      if (text.startsWith("null", at)) {
        at += 4;
        return null;
      }
      int start = at;
      while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
        at++;
      }
      String number = text.substring(start, at);
      if (number.isEmpty()) {
        throw new AssertionError("not JSON at " + start + ": " + text);
      }
      BigDecimal decimal = new BigDecimal(number);
      try {
        return decimal.longValueExact();
      } catch (ArithmeticException notWhole) {
        return decimal;
      }
    }

    private void expect(char c) {
      if (at >= text.length() || text.charAt(at) != c) {
        throw new AssertionError("expected '" + c + "' at " + at + ": " + text);
      }
      at++;
    }

    private String string() {
      expect('"');
      StringBuilder value = new StringBuilder();
      while (true) {
        char c = text.charAt(at++);
        if (c == '"') {
          return value.toString();
        }
        if (c != '\\') {
          value.append(c);
          continue;
        }
        char escaped = text.charAt(at++);
        switch (escaped) {
          case 'n': value.append('\n'); break;
          case 't': value.append('\t'); break;
          case 'r': value.append('\r'); break;
          case 'b': value.append('\b'); break;
          case 'f': value.append('\f'); break;
          case 'u':
            value.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
            at += 4;
            break;
          default: value.append(escaped);
        }
      }
    }
  }
}
