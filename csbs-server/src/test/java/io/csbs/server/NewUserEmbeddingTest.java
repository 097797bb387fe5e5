package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.PostgresReplica;
import io.csbs.postgres.Schema;
import io.csbs.testing.FakeClock;
import io.csbs.usage.Quota;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A new user's review of csbs-server's embedding API ({@link CsbsServer}, {@link CsbsServer.Builder})
 * as a service serving its own catalog would use it: in memory, on a {@link PostgresCatalog}, or on a
 * {@link PostgresReplica} (README "A reference server: csbs-server" and "A durable, shared catalog";
 * the javadoc of {@link CsbsServer} and {@link PostgresReplica}). One PostgreSQL for the class.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NewUserEmbeddingTest {
  /** The tests on the database run last, once it has started in the background. */
  private static final int DATABASE_TESTS = Integer.MAX_VALUE;
  private static final CsbsJson JSON = CsbsJson.create();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Instant T0 = Instant.parse("2026-06-15T08:30:00.123456Z");

  private static EmbeddedPostgres postgres;
  private static Pool dataSource;
  /** The replica's own catalog, which it follows and writes through. */
  private static PostgresCatalog database;
  private static PostgresReplica replica;
  /** Another instance of the service: writes straight to the database, and reads it back. */
  private static PostgresCatalog elsewhere;
  private static CsbsServer replicaServer;

  /** The database, started in the background while the tests that need none run (they run first). */
  private static CompletableFuture<Void> started;

  @BeforeAll
  static void startDatabaseInTheBackground() {
    started = new CompletableFuture<>();
    Thread starter = new Thread(() -> {
      try {
        startDatabase();
        started.complete(null);
      } catch (Throwable e) {
        started.completeExceptionally(e);
      }
    }, "embedding-test-database");
    starter.setDaemon(true);
    starter.start();
  }

  /** Waits for the database the test needs (60 s at most). */
  static void awaitDatabase() {
    try {
      started.get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the test database did not start", e);
    }
  }

  static void startDatabase() {
    try {
      postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "off")
          .setServerConfig("synchronous_commit", "off").start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PGSimpleDataSource physical = new PGSimpleDataSource();
    physical.setURL(postgres.getJdbcUrl("postgres", "postgres"));
    physical.setSslMode("disable");
    dataSource = new Pool(physical);
    Schema.migrate(dataSource);
    database = PostgresCatalog.builder(dataSource).pollInterval(Duration.ofMillis(20)).build();
    elsewhere = PostgresCatalog.builder(new Pool(physical)).pollInterval(Duration.ofMillis(20)).build();
    replica = PostgresReplica.start(database);
    replicaServer = CsbsServer.builder(replica).build().start();
  }

  @AfterAll
  static void stopDatabase() throws IOException {
    try {
      started.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closed below as far as it got
    }
    for (AutoCloseable closeable : new AutoCloseable[] {replicaServer, replica, database, elsewhere}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        // quietly: the tests' answers are known
      }
    }
    if (dataSource != null) {
      dataSource.closeAll();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * A small connection pool ("bring your own connection pool", README): a new PostgreSQL connection
   * costs a process, which on a busy 2-core machine made each call of the catalog slow. A connection
   * given back is rolled back and reset ({@code DISCARD ALL}: no LISTEN, no settings left) before reuse.
   */
  static final class Pool implements javax.sql.DataSource {
    private final javax.sql.DataSource physical;
    private final java.util.concurrent.ConcurrentLinkedDeque<java.sql.Connection> idle = new java.util.concurrent.ConcurrentLinkedDeque<>();
    /** While set, no connection is handed out: the database is away (SQLState 08001). */
    volatile boolean down;
    /** When set, a commit on a thread whose name starts with it takes the database away right after. */
    volatile String downAfterCommitOn;

    Pool(javax.sql.DataSource physical) {
      this.physical = physical;
    }

    @Override
    public java.sql.Connection getConnection() throws java.sql.SQLException {
      if (down) {
        throw new java.sql.SQLException("the test took the database away", "08001");
      }
      java.sql.Connection real = idle.pollFirst();
      if (real == null || real.isClosed()) {
        real = physical.getConnection();
      }
      java.sql.Connection connection = real;
      java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
      return (java.sql.Connection) Proxy.newProxyInstance(Pool.class.getClassLoader(), new Class<?>[] {java.sql.Connection.class},
          (proxy, method, args) -> {
            if (method.getName().equals("close")) {
              if (closed.compareAndSet(false, true)) {
                giveBack(connection);
              }
              return null;
            }
            if (method.getName().equals("isClosed")) {
              return closed.get() || connection.isClosed();
            }
            if (method.getName().equals("unwrap") || method.getName().equals("isWrapperFor")) {
              return method.invoke(connection, args);
            }
            if (closed.get()) {
              throw new java.sql.SQLException("connection closed");
            }
            try {
              Object result = method.invoke(connection, args);
              String armed = downAfterCommitOn;
              if (method.getName().equals("commit") && armed != null && Thread.currentThread().getName().startsWith(armed)) {
                downAfterCommitOn = null;
                down = true;
              }
              return result;
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }

    private void giveBack(java.sql.Connection connection) {
      try {
        if (connection.isClosed()) {
          return;
        }
        if (!connection.getAutoCommit()) {
          connection.rollback();
          connection.setAutoCommit(true);
        }
        connection.setReadOnly(false);
        connection.setTransactionIsolation(java.sql.Connection.TRANSACTION_READ_COMMITTED);
        try (java.sql.Statement statement = connection.createStatement()) {
          statement.execute("DISCARD ALL");
        }
        connection.clearWarnings();
        idle.addFirst(connection);
      } catch (java.sql.SQLException e) {
        try {
          connection.close();
        } catch (java.sql.SQLException ignored) {
          // dropped
        }
      }
    }

    void closeAll() {
      for (java.sql.Connection connection; (connection = idle.pollFirst()) != null; ) {
        try {
          connection.close();
        } catch (java.sql.SQLException ignored) {
          // the database goes away next
        }
      }
    }

    @Override
    public java.sql.Connection getConnection(String user, String password) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.io.PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(java.io.PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public java.util.logging.Logger getParentLogger() {
      return java.util.logging.Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws java.sql.SQLException {
      throw new java.sql.SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
      return false;
    }
  }

  record Reply(int status, String body, HttpResponse<String> response) {
    String header(String name) {
      return response.headers().firstValue(name).orElse(null);
    }
  }

  static Reply send(CsbsServer server, String method, String path, String body) {
    HttpRequest request = HttpRequest.newBuilder(server.uri().resolve(path.startsWith("/") ? path.substring(1) : path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .timeout(Duration.ofSeconds(20))
        .build();
    try {
      HttpResponse<String> response = HTTP.send(request, BodyHandlers.ofString());
      return new Reply(response.statusCode(), response.body(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Reply get(CsbsServer server, String path) {
    return send(server, "GET", path, null);
  }

  static String enc(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String v1(String project) {
    return "/v1/" + enc(project);
  }

  static Backup.Builder backup(String project, String id, Instant created) {
    return backup(project, id, created, BackupStatus.AVAILABLE);
  }

  static Backup.Builder backup(String project, String id, Instant created, BackupStatus status) {
    return Backup.builder().id(id).name("bk_" + Math.abs(id.hashCode() % 1000)).projectId(project)
        .server(Server.of("srv-ü-1", "ecs-Ärger", "eu-de-01")).status(status)
        .sizeMb(1024).createdAt(created);
  }

  /** Polls {@code condition} every 10 ms for up to 15 s; true once it holds. */
  static boolean eventually(BooleanSupplier condition) throws InterruptedException {
    for (long deadline = System.nanoTime() + 15_000_000_000L; System.nanoTime() < deadline; ) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(10);
    }
    return condition.getAsBoolean();
  }

  static String tagBody(String key, String value) {
    return "{\"tag\": {\"key\": \"" + key + "\", \"value\": \"" + value + "\"}}";
  }

  static String restoreBody(String backupId) {
    return "{\"restore\": {\"provider_id\": \"" + CsbsServer.PROVIDER_ID + "\", \"checkpoint_id\": \"any\","
        + " \"parameters\": {\"checkpoint_item_id\": \"" + backupId.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}}}";
  }

  static String deletePath(String project, String backupId) {
    return v1(project) + "/providers/" + CsbsServer.PROVIDER_ID + "/checkpoints/any?checkpoint_items=" + enc(backupId);
  }

  /** The backup as the API's details answer it. */
  static Backup details(CsbsServer server, String project, String id) {
    Reply reply = get(server, v1(project) + "/checkpoint_items/" + enc(id));
    assertEquals(200, reply.status(), reply.body());
    return JSON.readCheckpointItem(reply.body(), project);
  }

  /** A catalog whose every call runs {@code before} first, then the real one. */
  static BackupCatalog around(BackupCatalog real, Runnable before) {
    return (BackupCatalog) Proxy.newProxyInstance(BackupCatalog.class.getClassLoader(), new Class<?>[] {BackupCatalog.class},
        (proxy, method, args) -> {
          if (method.getDeclaringClass() != Object.class) {
            before.run();
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  // ================================================================ the builder and the lifecycle

  @Test
  void portAndUriAreTheBoundOnesBeforeStartAfterStartAndAfterClose() {
    BackupCatalog catalog = Catalogs.indexed(Clock.systemUTC());
    CsbsServer server = CsbsServer.builder(catalog).build();
    int port = server.port();
    URI uri = server.uri();
    assertTrue(port > 0, "port 0 takes a free port, which port() says already: " + port);
    assertEquals(URI.create("http://127.0.0.1:" + port + "/"), uri);
    server.start();
    assertEquals(port, server.port());
    assertEquals(uri, server.uri());
    server.close();
    assertEquals(uri, server.uri(), "uri() after close");
    assertEquals(port, server.port(), "port() after close: the port it listened on");
  }

  @Test
  void toStringNamesTheServersUriInEveryState() {
    CsbsServer server = CsbsServer.builder(Catalogs.indexed(Clock.systemUTC())).build();
    String built = server.toString();
    assertTrue(built.contains(server.uri().toString()), built);
    server.start();
    assertEquals(built, server.toString());
    server.close();
    assertEquals(built, server.toString());
  }

  @Test
  void builderRefusalsNameTheParameterAndTheRuleAndLeaveTheBuilderUsable() {
    BackupCatalog catalog = Catalogs.indexed(Clock.systemUTC());
    CsbsServer.Builder builder = CsbsServer.builder(catalog);
    for (int bad : new int[] {-1, 65_536, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> builder.port(bad));
      assertEquals("port " + bad + " is invalid: must be 0 to 65535", e.getMessage());
    }
    assertEquals("address", assertThrows(NullPointerException.class, () -> builder.address(null)).getMessage());
    assertEquals("executor", assertThrows(NullPointerException.class, () -> builder.executor(null)).getMessage());
    assertEquals("clock", assertThrows(NullPointerException.class, () -> builder.clock(null)).getMessage());
    assertEquals("stallRule", assertThrows(NullPointerException.class, () -> builder.stallRule(null)).getMessage());
    assertEquals("catalog", assertThrows(NullPointerException.class, () -> CsbsServer.builder(null)).getMessage());
    for (String blank : new String[] {"", " ", "\t\n", "\u2003"}) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> builder.consoleProject(blank),
          "blank console project '" + blank + "'");
      assertEquals("project id", e.field());
    }
    // nothing refused was kept: each option can still be set, once
    int port = freePort();
    builder.port(port).address(InetAddress.getLoopbackAddress()).clock(Clock.systemUTC()).stallRule(StallRule.DEFAULT)
        .consoleProject("ünï proj");
    IllegalStateException twice = assertThrows(IllegalStateException.class, () -> builder.port(port));
    assertEquals("port was already set to " + port + ": set it once", twice.getMessage());
    IllegalStateException project = assertThrows(IllegalStateException.class, () -> builder.consoleProject("other"));
    assertTrue(project.getMessage().contains("ünï proj"), project.getMessage());
    try (CsbsServer server = builder.build().start()) {
      assertEquals(port, server.port());
      Reply root = get(server, "/");
      assertEquals(302, root.status());
      assertEquals("/console/?project=%C3%BCn%C3%AF%20proj", root.header("Location"));
    }
  }

  // CsbsServer: "Thread-safe"; start: "@throws IllegalStateException if it was started or closed already"
  @Test
  void startCalledFromManyThreadsAtOnceStartsTheServerOnce() throws Exception {
    for (int round = 0; round < 3; round++) {
      CsbsServer server = CsbsServer.builder(Catalogs.indexed(Clock.systemUTC())).build();
      ExecutorService threads = Executors.newFixedThreadPool(6);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> outcomes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          outcomes.add(threads.submit(() -> {
            go.await();
            try {
              return server.start() == server ? "started" : "another";
            } catch (IllegalStateException e) {
              return e.getMessage();
            }
          }));
        }
        go.countDown();
        List<String> answers = new ArrayList<>();
        for (Future<String> outcome : outcomes) {
          answers.add(outcome.get(20, TimeUnit.SECONDS));
        }
        assertEquals(1, answers.stream().filter("started"::equals).count(), answers.toString());
        for (String answer : answers) {
          assertTrue(answer.equals("started")
              || answer.equals("server at " + server.uri() + " was started or closed already: start it once"), answer);
        }
        assertEquals(200, get(server, "v1/p/quotas").status());
      } finally {
        threads.shutdownNow();
        server.close();
      }
    }
  }

  // Builder.build: "@throws UncheckedIOException if the address and port cannot be bound"; an address
  // this machine does not have cannot be bound either: the message names it
  @Test
  void anAddressThisMachineLacksIsRefusedNamingIt() throws Exception {
    InetAddress foreign = InetAddress.getByName("192.0.2.33");   // TEST-NET-1, never a local address
    UncheckedIOException e = assertThrows(UncheckedIOException.class,
        () -> CsbsServer.builder(Catalogs.indexed(Clock.systemUTC())).address(foreign).build());
    assertTrue(e.getMessage().contains("192.0.2.33"), e.getMessage());
  }

  /** The live threads this JVM has that {@code before} did not. */
  private static List<Thread> newThreads(Set<Thread> before) {
    List<Thread> added = new ArrayList<>();
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (!before.contains(thread) && thread.isAlive()) {
        added.add(thread);
      }
    }
    return added;
  }

  @Test
  void aStartedServerKeepsANonDaemonDispatcherThreadUntilClose() throws Exception {
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    CsbsServer server = CsbsServer.builder(Catalogs.indexed(Clock.systemUTC())).build();
    assertTrue(newThreads(before).stream().noneMatch(t -> t.getName().startsWith("HTTP-Dispatcher")), "built: no dispatcher yet");
    server.start();
    List<Thread> dispatchers = newThreads(before).stream().filter(t -> t.getName().startsWith("HTTP-Dispatcher")).toList();
    assertEquals(1, dispatchers.size(), newThreads(before).toString());
    assertFalse(dispatchers.get(0).isDaemon(), "the JDK's dispatcher holds the JVM while the server runs");
    server.close();
    dispatchers.get(0).join(20_000);
    assertFalse(dispatchers.get(0).isAlive(), "close ends it");
  }

  // CsbsServer#uri: "For a server listening on a wildcard address (0.0.0.0, ::) the URI names the loopback
  // address, which a client on this machine can use"
  @Test
  void theIpv6WildcardAddressGivesAUriAClientHereCanUse() throws Exception {
    CsbsServer server;
    try {
      server = CsbsServer.builder(Catalogs.indexed(Clock.systemUTC())).address(InetAddress.getByName("::")).build().start();
    } catch (UncheckedIOException e) {
      org.junit.jupiter.api.Assumptions.abort(":: cannot be bound here: " + e.getMessage());
      return;
    }
    try {
      assertTrue(InetAddress.getByName(server.uri().getHost().replace("[", "").replace("]", "")).isLoopbackAddress(), server.uri().toString());
      assertEquals(server.port(), server.uri().getPort());
      assertEquals(200, get(server, "v1/p/quotas").status());
    } finally {
      server.close();
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // Builder: "Options of a CsbsServer; each set at most once"; port: "@throws IllegalStateException if
  // the port was set already". After build() the builder says the user set options the user never set.
  @Test
  void aBuilderUsedForOneServerStillTakesTheOptionsNotSet() {
    CsbsServer.Builder builder = CsbsServer.builder(Catalogs.indexed(Clock.systemUTC()));
    try (CsbsServer first = builder.build()) {
      assertNotNull(first);
      int port = freePort();
      builder.port(port);   // never set before
      builder.clock(Clock.fixed(T0, ZoneOffset.UTC));
      try (CsbsServer second = builder.build()) {
        assertEquals(port, second.port());
      }
    }
  }

  // ================================================================ the executor

  /** An executor that runs each task on a new thread named {@code prefix-N}, and counts the tasks. */
  static final class NamedExecutor implements Executor {
    final String prefix;
    final AtomicInteger tasks = new AtomicInteger();
    final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    NamedExecutor(String prefix) {
      this.prefix = prefix;
    }

    @Override
    public void execute(Runnable command) {
      Thread thread = new Thread(command, prefix + "-" + tasks.incrementAndGet());
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  // Builder.executor: "Sets the executor that runs the calls"
  @Test
  void aGivenExecutorRunsEveryCallOfTheApiAndTheConsole() {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    BackupCatalog real = Catalogs.indexed(FakeClock.at(T0));
    real.add(backup("pé", "b-1", T0.minusSeconds(60)).build());
    BackupCatalog catalog = around(real, () -> seen.add(Thread.currentThread().getName()));
    NamedExecutor executor = new NamedExecutor("mine");
    try (CsbsServer server = CsbsServer.builder(catalog).executor(executor).build().start()) {
      assertEquals(200, get(server, v1("pé") + "/checkpoint_items").status());
      assertEquals(204, send(server, "POST", v1("pé") + "/csbs_backup/b-1/tags", tagBody("k", "v")).status());
      assertEquals(200, get(server, "/console/settings.json").status());
      assertEquals(404, get(server, "/nowhere").status());
      assertTrue(executor.tasks.get() >= 4, "every exchange is a task of the executor: " + executor.tasks.get());
      assertFalse(seen.isEmpty());
      for (String name : seen) {
        assertTrue(name.startsWith("mine-"), "the catalog was called on " + name + ", not on the executor's threads");
      }
    }
  }

  // Builder.executor: "by default a pool of daemon threads, twice the number of processors and at least 4,
  // which CsbsServer#close() shuts down"
  @Test
  void theDefaultPoolRunsAtLeastFourCallsAtOnceOnDaemonThreadsAndEndsThemOnClose() throws Exception {
    int size = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    CountDownLatch entered = new CountDownLatch(size);
    CountDownLatch release = new CountDownLatch(1);
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    BackupCatalog real = Catalogs.indexed(FakeClock.at(T0));
    BackupCatalog catalog = around(real, () -> {
      threads.add(Thread.currentThread());
      entered.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    CsbsServer server = CsbsServer.builder(catalog).build().start();
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    try {
      for (int i = 0; i < size; i++) {
        calls.add(HTTP.sendAsync(HttpRequest.newBuilder(server.uri().resolve("v1/p-" + i + "/quotas"))
            .timeout(Duration.ofSeconds(20)).build(), BodyHandlers.ofString()));
      }
      assertTrue(entered.await(20, TimeUnit.SECONDS), size + " calls at once: " + (size - entered.getCount()) + " ran");
      assertEquals(size, threads.size());
      for (Thread thread : threads) {
        assertTrue(thread.isDaemon(), thread.getName() + " is a daemon thread");
      }
      release.countDown();
      for (CompletableFuture<HttpResponse<String>> call : calls) {
        assertEquals(200, call.get(20, TimeUnit.SECONDS).statusCode());
      }
    } finally {
      release.countDown();
      server.close();
    }
    for (Thread thread : threads) {
      thread.join(20_000);
      assertFalse(thread.isAlive(), thread.getName() + " ended: close shut the pool down");
    }
  }

  /** An executor that refuses every task, as a pool shut down or saturated does. */
  static final Executor REFUSING = command -> {
    throw new RejectedExecutionException("full");
  };

  // Builder.executor: "A call it refuses ... is answered at once with 503 and the code CSBS.LIB.SERVER_BUSY,
  // and a Retry-After header"; the server goes on serving the calls the executor takes
  @Test
  void aCallTheExecutorRefusesIsAnswered503AndTheServerGoesOnServing() throws Exception {
    AtomicInteger refusals = new AtomicInteger(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    Executor sometimes = command -> {
      if (refusals.getAndDecrement() > 0) {
        throw new RejectedExecutionException("full");
      }
      pool.execute(command);
    };
    try (CsbsServer server = CsbsServer.builder(Catalogs.indexed(Clock.systemUTC())).executor(sometimes).build().start()) {
      HttpClient noRetry = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> refused = noRetry.send(HttpRequest.newBuilder(server.uri().resolve("v1/p/quotas"))
          .POST(HttpRequest.BodyPublishers.ofString("{}")).timeout(Duration.ofSeconds(25)).build(), BodyHandlers.ofString());
      assertEquals(503, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("\"CSBS.LIB.SERVER_BUSY\""), refused.body());
      assertEquals(java.util.Optional.of("1"), refused.headers().firstValue("Retry-After"));
      Reply after = get(server, "v1/p/quotas");
      assertEquals(200, after.status(), "the next call, which the executor takes, is served: " + after.body());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aCallTheExecutorRefusesIsAnsweredAsUnavailable() throws Exception {
    Executor refusing = command -> {
      throw new RejectedExecutionException("full");
    };
    try (CsbsServer server = CsbsServer.builder(Catalogs.indexed(Clock.systemUTC())).executor(refusing).build().start()) {
      Reply reply = get(server, "v1/p/quotas");
      assertEquals(503, reply.status(), reply.body());
    }
  }

  // CsbsServer#close: "calls in progress are cut off, and the executor the server made is shut down (an
  // executor given to the builder is not)"
  @Test
  void closeCutsOffACallInProgressOnAGivenExecutorAndLeavesItRunning() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    BackupCatalog real = Catalogs.indexed(FakeClock.at(T0));
    BackupCatalog catalog = around(real, () -> {
      entered.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    ExecutorService mine = Executors.newFixedThreadPool(2);
    try {
      CsbsServer server = CsbsServer.builder(catalog).executor(mine).build().start();
      CompletableFuture<HttpResponse<String>> call = HTTP.sendAsync(HttpRequest.newBuilder(server.uri().resolve("v1/p/quotas"))
          .timeout(Duration.ofSeconds(25)).build(), BodyHandlers.ofString());
      assertTrue(entered.await(20, TimeUnit.SECONDS));
      server.close();
      ExecutionException cut = assertThrows(ExecutionException.class, () -> call.get(30, TimeUnit.SECONDS),
          "the call in progress is cut off");
      assertTrue(cut.getCause() instanceof IOException, String.valueOf(cut.getCause()));
      release.countDown();
      assertFalse(mine.isShutdown());
      assertEquals("ok", mine.submit(() -> "ok").get(20, TimeUnit.SECONDS));
    } finally {
      release.countDown();
      mine.shutdownNow();
    }
  }

  // Builder.executor: "An executor given here belongs to the caller, who shuts it down": one executor for two
  // servers of one catalog; closing one leaves the executor, and the other server, serving
  @Test
  void oneExecutorForTwoServersOutlivesTheOneClosed() throws Exception {
    NamedExecutor shared = new NamedExecutor("shared");
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(T0));
    catalog.add(backup("p", "x", T0.minusSeconds(5)).build());
    CsbsServer first = CsbsServer.builder(catalog).executor(shared).build().start();
    try (CsbsServer second = CsbsServer.builder(catalog).executor(shared).build().start()) {
      assertEquals(204, send(first, "POST", "v1/p/csbs_backup/x/tags", tagBody("via", "first")).status());
      first.close();
      assertEquals("first", details(second, "p", "x").tagValue("via").orElseThrow());
      int before = shared.tasks.get();
      assertEquals(204, send(second, "POST", "v1/p/csbs_backup/x/tags", tagBody("via", "second")).status());
      assertTrue(shared.tasks.get() > before, "the second server's calls still run on the shared executor");
    } finally {
      first.close();
    }
  }

  /** A catalog whose every call waits for {@code release} (20 s at most), after counting down {@code entered}. */
  static BackupCatalog blocking(CountDownLatch entered, CountDownLatch release) {
    return around(Catalogs.indexed(FakeClock.at(T0)), () -> {
      entered.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  @Test
  void closeWithAnInlineExecutorActualBehaviour() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CsbsServer server = CsbsServer.builder(blocking(entered, release)).executor(Runnable::run).build().start();
    try {
      CompletableFuture<HttpResponse<String>> call = HTTP.sendAsync(HttpRequest.newBuilder(server.uri().resolve("v1/p/quotas"))
          .timeout(Duration.ofSeconds(25)).build(), BodyHandlers.ofString());
      assertTrue(entered.await(20, TimeUnit.SECONDS));
      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
      Thread.sleep(300);
      assertFalse(closing.isDone(), "close waits while the call runs");
      release.countDown();
      closing.get(20, TimeUnit.SECONDS);
      assertThrows(ExecutionException.class, () -> call.get(20, TimeUnit.SECONDS), "and the call is cut off all the same");
    } finally {
      release.countDown();
      server.close();
    }
  }

  // ================================================================ clock and stall rule

  // Builder.clock: "The API's answers do not depend on it"; two servers on one catalog, one with the
  // catalog's clock and rule, one with another clock and rule, answer every read alike
  @Test
  void theApisAnswersDoNotDependOnTheServersClockOrStallRule() {
    FakeClock clock = FakeClock.at(T0);
    StallRule rule = StallRule.ofThreshold(Duration.ofMinutes(10));
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
    String project = "clock-ö";
    for (int i = 0; i < 12; i++) {
      BackupStatus status = i % 3 == 0 ? BackupStatus.AVAILABLE : i % 3 == 1 ? BackupStatus.RESTORING : BackupStatus.DELETING;
      Backup.Builder b = backup(project, "c-" + i, T0.minus(Duration.ofMinutes(7 * i + 1)), status);
      if (i % 3 != 0) {
        b.progress(Progress.of(i * 5, T0.minus(Duration.ofMinutes(4 * i))));
      }
      catalog.add(b.addTags(Tag.of("env", i % 2 == 0 ? "prod" : "test")).build());
    }
    try (CsbsServer own = CsbsServer.builder(catalog).clock(clock).stallRule(rule).build().start();
         CsbsServer other = CsbsServer.builder(catalog).clock(Clock.fixed(Instant.parse("2099-01-01T00:00:00Z"), ZoneOffset.UTC))
             .stallRule(StallRule.ofThreshold(Duration.ofNanos(1))).build().start()) {
      String v1 = v1(project);
      for (String path : List.of(v1 + "/checkpoint_items?sort=created_at:asc&limit=5", v1 + "/checkpoint_items?status=restoring",
          v1 + "/checkpoint_items?start_time=2026-06-15T07:30:00", v1 + "/checkpoint_items/count?status=deleting",
          v1 + "/checkpoint_items/c-4", v1 + "/csbs_backup/tags", v1 + "/quotas", v1 + "/storage_usage",
          v1 + "/csbs_backup/c-1/tags")) {
        Reply a = get(own, path);
        Reply b = get(other, path);
        assertEquals(200, a.status(), path + ": " + a.body());
        assertEquals(a.body().replace(own.uri().toString(), "BASE/"), b.body().replace(other.uri().toString(), "BASE/"), path);
      }
      String query = "{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\"]}]}";
      assertEquals(send(own, "POST", v1 + "/csbs_backup/resource_instances/action", query).body(),
          send(other, "POST", v1 + "/csbs_backup/resource_instances/action", query).body());
      // and the console's settings are each server's own
      assertEquals("{\"now\":\"2026-06-15T08:30:00.123456Z\",\"stall_threshold_ms\":600000}", get(own, "/console/settings.json").body());
      clock.advance(Duration.ofMillis(1500));
      assertEquals("{\"now\":\"2026-06-15T08:30:01.623456Z\",\"stall_threshold_ms\":600000}", get(own, "/console/settings.json").body(),
          "the builder's clock is read at each request");
      assertEquals("{\"now\":\"2099-01-01T00:00:00Z\",\"stall_threshold_ms\":0}", get(other, "/console/settings.json").body());
    }
  }

  // StallRule: "@param threshold ... positive" (any positive Duration); a service that never wants the
  // "Stalled" mark gives the longest one. Builder.stallRule: "Sets when the console page marks a running job
  // as stalled", which the page reads from GET /console/settings.json ({"now": ..., "stall_threshold_ms": N})
  @Test
  void aStallRuleOfTheLongestDurationIsServedToThePage() {
    for (Duration threshold : List.of(ChronoUnit.FOREVER.getDuration(), Duration.ofDays(365L * 300_000_000))) {
      try (CsbsServer server = CsbsServer.builder(Catalogs.indexed(Clock.systemUTC()))
          .stallRule(StallRule.ofThreshold(threshold)).build().start()) {
        Reply settings = get(server, "/console/settings.json");
        assertEquals(200, settings.status(), threshold.toString());
        assertTrue(settings.body().contains("\"stall_threshold_ms\":9007199254740991}"), settings.body());
      }
    }
  }

  // ================================================================ a server on a PostgresReplica

  // README: a replica's "writes go to the database and are visible to the writer when the call returns";
  // PostgresReplica: "the replica catches up with the project before returning, so that the writer reads its
  // own write". Through the server: each API write is read back at once through the API, and another
  // instance (a separate PostgresCatalog) reads the same backup from the database.
  @Test
  @Order(DATABASE_TESTS)
  void writesThroughTheReplicasServerAreReadAtOnceAndAreTheDatabasesTruth() {
    awaitDatabase();
    String project = "rép/1 ü#?";
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<String> ids = List.of("w-0 é", "w-1+", "w-2%", "w-3/x", "w-4Ω", "w-5");
    for (String id : ids) {
      replica.add(backup(project, id, now.minus(Duration.ofHours(1 + id.length())))
          .addTags(Tag.of("env", "prod")).build());
    }
    String v1 = v1(project);
    List<String[]> writes = List.of(
        new String[] {"POST", v1 + "/csbs_backup/" + enc(ids.get(0)) + "/tags", tagBody("ключ", "значение")},
        new String[] {"POST", v1 + "/csbs_backup/" + enc(ids.get(1)) + "/tags/action",
            "{\"action\": \"create\", \"tags\": [{\"key\": \"a\", \"value\": \"1\"}, {\"key\": \"env\", \"value\": \"test\"}]}"},
        new String[] {"DELETE", v1 + "/csbs_backup/" + enc(ids.get(2)) + "/tags/env", null},
        new String[] {"POST", v1 + "/restores", restoreBody(ids.get(3))},
        new String[] {"DELETE", deletePath(project, ids.get(4)), null},
        new String[] {"POST", v1 + "/csbs_backup/" + enc(ids.get(5)) + "/tags/action",
            "{\"action\": \"delete\", \"tags\": [{\"key\": \"env\", \"value\": \"prod\"}]}"});
    for (int i = 0; i < writes.size(); i++) {
      String[] w = writes.get(i);
      Backup before = elsewhere.get(project, ids.get(i));
      Reply reply = send(replicaServer, w[0], w[1], w[2]);
      assertTrue(reply.status() == 200 || reply.status() == 204, w[0] + " " + w[1] + ": " + reply.status() + " " + reply.body());
      Backup inDatabase = elsewhere.get(project, ids.get(i));
      assertEquals(before.version() + 1, inDatabase.version(), "one change in the database: " + w[1]);
      assertEquals(inDatabase, details(replicaServer, project, ids.get(i)), "read back at once through the API: " + w[1]);
      assertEquals(inDatabase, replica.get(project, ids.get(i)));
    }
    assertEquals(List.of(Tag.of("env", "prod"), Tag.of("ключ", "значение")), elsewhere.get(project, ids.get(0)).tags());
    assertEquals(List.of(Tag.of("env", "test"), Tag.of("a", "1")), elsewhere.get(project, ids.get(1)).tags());
    assertEquals(List.of(), elsewhere.get(project, ids.get(2)).tags());
    assertEquals(BackupStatus.RESTORING, elsewhere.get(project, ids.get(3)).status());
    assertEquals(BackupStatus.DELETING, elsewhere.get(project, ids.get(4)).status());
    assertEquals(List.of(), elsewhere.get(project, ids.get(5)).tags());
    assertEquals(JSON.count(elsewhere.count(project, io.csbs.query.Predicates.status(BackupStatus.AVAILABLE))),
        get(replicaServer, v1 + "/checkpoint_items/count?status=available").body());
    assertEquals(JSON.quotas(elsewhere.quotaUsage(project)), get(replicaServer, v1 + "/quotas").body());
  }

  // README: the replica "loads the database and follows its change feed"; PostgresReplica: "A change made
  // elsewhere (another instance, another replica) arrives by the feed". Changes another instance writes
  // straight to the database reach the API's answers (a bounded poll).
  @Test
  @Order(DATABASE_TESTS)
  void changesWrittenStraightToTheDatabaseReachTheApiOnceTheReplicaFollows() throws InterruptedException {
    awaitDatabase();
    String project = "straight-ß";
    String v1 = v1(project);
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<Backup> added = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      added.add(backup(project, "s-" + i, now.minus(Duration.ofMinutes(10 + i))).build());
    }
    elsewhere.addAll(added);
    assertTrue(eventually(() -> get(replicaServer, v1 + "/checkpoint_items/count").body().equals("{\"count\":5}")),
        "the added backups reach the list");
    Backup tagged = elsewhere.updateTags(project, "s-0", 1, TagUpdate.create(List.of(Tag.of("from", "elsewhere"))));
    Backup restoring = elsewhere.apply(project, "s-1", 1, Transition.restore()).orElseThrow();
    elsewhere.remove(project, "s-2", 1);
    elsewhere.setQuota(project, Quota.of(40, 9_000));
    assertTrue(eventually(() -> {
      Reply r = get(replicaServer, v1 + "/checkpoint_items/s-0");
      return r.status() == 200 && JSON.readCheckpointItem(r.body(), project).equals(tagged);
    }), "the tag change reaches the details");
    assertTrue(eventually(() -> get(replicaServer, v1 + "/checkpoint_items/s-2").status() == 404), "the removal reaches the API");
    assertEquals(restoring, details(replicaServer, project, "s-1"), "an earlier change of the feed is there too");
    assertEquals("{\"count\":1}", get(replicaServer, v1 + "/checkpoint_items/count?status=restoring").body());
    assertTrue(eventually(() -> get(replicaServer, v1 + "/quotas").body().equals(JSON.quotas(elsewhere.quotaUsage(project)))),
        "the quota set elsewhere reaches the quotas: " + get(replicaServer, v1 + "/quotas").body());
    assertTrue(get(replicaServer, v1 + "/csbs_backup/tags").body().contains("elsewhere"));
  }

  // CsbsServer: "when another writer changes the backup in between, the call reads it again and tries again
  // ... it waits (1 s at most in all) for the catalog to show the other writer's version: a PostgresReplica
  // shows another instance's change once it has followed the database's feed". Another instance changes the
  // backup just before each API write: both changes are kept.
  @Test
  @Order(DATABASE_TESTS)
  void anApiWriteRightAfterAnotherInstancesChangeKeepsBoth() {
    awaitDatabase();
    String project = "race-ü";
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    replica.add(backup(project, "r-1", now.minusSeconds(300)).build());
    String path = v1(project) + "/csbs_backup/r-1/tags";
    for (int round = 0; round < 4; round++) {
      Backup current = elsewhere.get(project, "r-1");
      elsewhere.updateTags(project, "r-1", current.version(), TagUpdate.create(List.of(Tag.of("db-" + round, "x"))));
      Reply reply = send(replicaServer, "POST", path, tagBody("api-" + round, "y"));
      assertEquals(204, reply.status(), "round " + round + ": " + reply.body());
      Backup after = elsewhere.get(project, "r-1");
      assertTrue(after.tagValue("db-" + round).isPresent() && after.tagValue("api-" + round).isPresent(), after.tags().toString());
      assertEquals(after, details(replicaServer, project, "r-1"), "round " + round);
    }
    assertEquals(1 + 8, elsewhere.get(project, "r-1").version());
  }

  // README "every call is scoped to that project": one id in many projects; a write through one project's
  // path changes that project's backup only, in the database too
  @Test
  @Order(DATABASE_TESTS)
  void oneIdInManyProjectsIsEachProjectsOwnThroughTheReplica() {
    awaitDatabase();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<String> projects = List.of("m-0", "m-1 é", "M-0", "m-\uE000", "m.0", "m%0");
    List<Backup> backups = new ArrayList<>();
    for (String project : projects) {
      backups.add(backup(project, "same id", now.minusSeconds(100)).addTags(Tag.of("p", "v")).build());
    }
    replica.addAll(backups);
    assertEquals(204, send(replicaServer, "POST", v1("m-1 é") + "/csbs_backup/same%20id/tags", tagBody("only", "here")).status());
    assertEquals(200, send(replicaServer, "POST", v1("M-0") + "/restores", restoreBody("same id")).status());
    assertEquals(204, send(replicaServer, "DELETE", v1("m%0") + "/csbs_backup/same%20id/tags/p", null).status());
    for (String project : projects) {
      Backup inDatabase = elsewhere.get(project, "same id");
      assertEquals(inDatabase, details(replicaServer, project, "same id"), project);
      assertEquals(project.equals("m-1 é"), inDatabase.tagValue("only").isPresent(), project);
      assertEquals(project.equals("M-0") ? BackupStatus.RESTORING : BackupStatus.AVAILABLE, inDatabase.status(), project);
      assertEquals(!project.equals("m%0"), inDatabase.tagValue("p").isPresent(), project);
      assertEquals("{\"count\":1}", get(replicaServer, v1(project) + "/checkpoint_items/count").body(), project);
    }
  }

  // Two instances of a service, each a replica of one database behind its own server: a write through
  // either server is read at once through it and, once the other replica follows, through the other;
  // writers on both servers at once lose nothing (each call retries on the backup's current version)
  @Test
  @Order(DATABASE_TESTS)
  void twoServersOnTwoReplicasOfOneDatabase() throws Exception {
    awaitDatabase();
    String project = "two-replicas";
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    try (PostgresCatalog secondDatabase = PostgresCatalog.builder(dataSource).pollInterval(Duration.ofMillis(20)).build();
         PostgresReplica second = PostgresReplica.start(secondDatabase);
         CsbsServer secondServer = CsbsServer.builder(second).build().start()) {
      replica.add(backup(project, "t-1", now.minusSeconds(60)).build());
      assertTrue(eventually(() -> get(secondServer, v1(project) + "/checkpoint_items/t-1").status() == 200), "the other replica follows");
      assertEquals(204, send(secondServer, "POST", v1(project) + "/csbs_backup/t-1/tags", tagBody("via", "second")).status());
      assertEquals("second", details(secondServer, project, "t-1").tagValue("via").orElseThrow(), "read at once by its writer");
      assertTrue(eventually(() -> details(replicaServer, project, "t-1").tagValue("via").isPresent()), "and by the other, once it follows");

      // three writers on each server, adding one tag each to one backup, at once
      ExecutorService clients = Executors.newFixedThreadPool(6);
      try {
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          CsbsServer target = i % 2 == 0 ? replicaServer : secondServer;
          String body = tagBody("k" + i, "v" + i);
          replies.add(clients.submit(() -> send(target, "POST", v1(project) + "/csbs_backup/t-1/tags", body)));
        }
        List<String> answers = new ArrayList<>();
        for (Future<Reply> reply : replies) {
          Reply r = reply.get(30, TimeUnit.SECONDS);
          answers.add(r.status() == 204 ? "204" : r.status() + " " + r.body());
        }
        assertEquals(Collections.nCopies(6, "204"), answers);
      } finally {
        clients.shutdownNow();
      }
      Backup inDatabase = elsewhere.get(project, "t-1");
      assertEquals(7, inDatabase.tags().size(), inDatabase.tags().toString());
      assertEquals(3 + 6 - 1, inDatabase.version());
      assertTrue(eventually(() -> details(replicaServer, project, "t-1").equals(inDatabase)
          && details(secondServer, project, "t-1").equals(inDatabase)), "both replicas reach the database's state");
    }
  }

  // ================================================================ two servers, and a catalog written directly

  @Test
  void twoServersOnOneCatalogAndDirectWritesAreSeenAtOnce() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    try (CsbsServer a = CsbsServer.builder(catalog).clock(clock).build().start();
         CsbsServer b = CsbsServer.builder(catalog).consoleProject("p").build().start()) {
      assertNotEquals(a.port(), b.port());
      for (int i = 0; i < 30; i++) {
        String context = "seed " + seed + ", step " + i;
        clock.advance(Duration.ofSeconds(1 + random.nextInt(100)));
        String id = "d-" + random.nextInt(6);
        CsbsServer writer = random.nextBoolean() ? a : b;
        CsbsServer reader = writer == a ? b : a;
        java.util.Optional<Backup> current = catalog.find("p", id);
        switch (random.nextInt(4)) {
          case 0 -> {
            if (current.isEmpty()) {
              catalog.add(backup("p", id, clock.instant().minusSeconds(1)).build());   // straight into the catalog
            }
          }
          case 1 -> {
            Reply r = send(writer, "POST", v1("p") + "/csbs_backup/" + id + "/tags", tagBody("k" + random.nextInt(3), "v" + i));
            assertEquals(current.isPresent() ? 204 : 404, r.status(), context + ": " + r.body());
          }
          case 2 -> {
            if (current.isPresent()) {
              catalog.updateTags("p", id, current.get().version(), TagUpdate.create(List.of(Tag.of("direct", "s" + i))));
            }
          }
          default -> {
            Reply r = send(writer, "POST", v1("p") + "/restores", restoreBody(id));
            int expected = current.isEmpty() ? 404 : current.get().status() == BackupStatus.AVAILABLE ? 200 : 400;
            assertEquals(expected, r.status(), context + ": " + r.body());
          }
        }
        java.util.Optional<Backup> now = catalog.find("p", id);
        Reply read = get(reader, v1("p") + "/checkpoint_items/" + id);
        if (now.isEmpty()) {
          assertEquals(404, read.status(), context);
        } else {
          assertEquals(now.get(), JSON.readCheckpointItem(read.body(), "p"), context + ": the other server reads it at once");
        }
      }
      assertEquals(get(a, v1("p") + "/checkpoint_items?sort=id:asc").body().replace(a.uri().toString(), "/"),
          get(b, v1("p") + "/checkpoint_items?sort=id:asc").body().replace(b.uri().toString(), "/"));
      a.close();
      assertEquals(200, get(b, v1("p") + "/quotas").status(), "closing one server leaves the other serving the catalog");
    }
  }

  // README "A reference server": the embedding example, on a PostgresReplica as the catalog ("To serve your
  // own catalog"): 20 backups and the next link with the 20th as its marker
  @Test
  @Order(DATABASE_TESTS)
  void theReadmeEmbeddingExampleOnAReplica() throws Exception {
    awaitDatabase();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<Backup> backups = new ArrayList<>();
    for (int i = 1; i <= 25; i++) {
      backups.add(backup("project-1", "b-" + i, now.minus(Duration.ofMinutes(i))).build());
    }
    replica.addAll(backups);
    BackupCatalog catalog = replica;
    String page;
    try (CsbsServer server = CsbsServer.builder(catalog).build().start()) {   // 127.0.0.1, any free port
      URI list = server.uri().resolve("v1/project-1/checkpoint_items?status=available&limit=20");
      page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(list).build(), BodyHandlers.ofString()).body();
      assertEquals(20, JSON.readCheckpointItems(page, "project-1").size());
      assertEquals(java.util.Optional.of("b-20"), JSON.readNextMarker(page));
      assertTrue(page.contains("\"href\":\"" + server.uri() + "v1/project-1/checkpoint_items?status=available&limit=20&marker=b-20\""), page);
    }
  }

  // ================================================================ a server on a replica while the database is away

  // README: a replica's "reads answer at in-memory speed, writes go to the database"; CsbsServer: "a failing
  // database 503, CSBS.LIB.DATABASE_FAILURE"; README: "nothing is ever half-written"
  @Test
  @Order(DATABASE_TESTS)
  void whileTheDatabaseIsAwayTheReplicasServerAnswersReadsAndRefusesWritesWith503() throws InterruptedException {
    awaitDatabase();
    String project = "away-ü";
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    replica.add(backup(project, "a-1", now.minusSeconds(30)).addTags(Tag.of("env", "prod")).build());
    String v1 = v1(project);
    List<String> reads = List.of(v1 + "/checkpoint_items", v1 + "/checkpoint_items/a-1", v1 + "/checkpoint_items/count",
        v1 + "/quotas", v1 + "/storage_usage", v1 + "/csbs_backup/tags", v1 + "/csbs_backup/a-1/tags");
    List<String> before = new ArrayList<>();
    for (String path : reads) {
      before.add(get(replicaServer, path).body());
    }
    Backup stored = elsewhere.get(project, "a-1");
    dataSource.down = true;
    try {
      for (int i = 0; i < reads.size(); i++) {
        Reply reply = get(replicaServer, reads.get(i));
        assertEquals(200, reply.status(), reads.get(i) + " is read from memory: " + reply.body());
        assertEquals(before.get(i), reply.body(), reads.get(i));
      }
      for (String[] write : new String[][] {{"POST", v1 + "/csbs_backup/a-1/tags", tagBody("k", "v")},
          {"DELETE", v1 + "/csbs_backup/a-1/tags/env", null}, {"POST", v1 + "/restores", restoreBody("a-1")},
          {"DELETE", deletePath(project, "a-1"), null}}) {
        Reply reply = send(replicaServer, write[0], write[1], write[2]);
        assertEquals(503, reply.status(), write[1] + ": " + reply.body());
        assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.LIB.DATABASE_FAILURE\",\"error_msg\":"), reply.body());
      }
    } finally {
      dataSource.down = false;
    }
    assertEquals(stored, elsewhere.get(project, "a-1"), "nothing was written");
    assertEquals(stored, details(replicaServer, project, "a-1"));
    assertEquals(204, send(replicaServer, "POST", v1 + "/csbs_backup/a-1/tags", tagBody("k", "v")).status(), "the database is back");
    assertEquals(elsewhere.get(project, "a-1"), details(replicaServer, project, "a-1"));
  }

  // README: "writes go to the database and are visible to the writer when the call returns (if the database
  // fails between the commit and the replica's read-back, the call still returns and the write shows once the
  // replica reaches the database again)"
  @Test
  @Order(DATABASE_TESTS)
  void anApiWriteWhoseReadBackFailsIsAnsweredAndShowsOnceTheDatabaseIsBack() throws InterruptedException {
    awaitDatabase();
    String project = "read-back-fails";
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    PostgresReplica own = PostgresReplica.start(database);
    ExecutorService api = Executors.newFixedThreadPool(2, task -> new Thread(task, "api-call"));
    try (CsbsServer server = CsbsServer.builder(own).executor(api).build().start()) {
      own.add(backup(project, "rb-1", now.minusSeconds(30)).build());
      dataSource.downAfterCommitOn = "api-call";
      Reply reply;
      try {
        reply = send(server, "POST", v1(project) + "/csbs_backup/rb-1/tags", tagBody("after", "commit"));
      } finally {
        dataSource.downAfterCommitOn = null;
        dataSource.down = false;
      }
      assertEquals(204, reply.status(), "the write committed: the call returns as done: " + reply.body());
      Backup inDatabase = elsewhere.get(project, "rb-1");
      assertEquals("commit", inDatabase.tagValue("after").orElseThrow(), "in the database");
      assertTrue(eventually(() -> details(server, project, "rb-1").equals(inDatabase)), "shows once the replica reaches the database");
    } finally {
      dataSource.downAfterCommitOn = null;
      dataSource.down = false;
      own.close();
      api.shutdownNow();
    }
  }
}
