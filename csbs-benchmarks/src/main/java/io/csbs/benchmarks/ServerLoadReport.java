package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.lifecycle.Transition;
import io.csbs.query.ListQueryString;
import io.csbs.server.CsbsServer;
import io.csbs.testing.BackupGenerator;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load test of {@link CsbsServer} on 127.0.0.1: the console's list requests per second and their
 * latency (median, p99, p99.9, longest) on a catalog of {@code backups} generated backups, alone and
 * beside a writer that changes the catalog (a lifecycle step or a new backup) at a fixed rate and
 * then as fast as it can. Bounded in count and time: each phase ends after {@code seconds} seconds or
 * {@code requests} requests, whichever comes first.
 *
 * <pre>{@code
 * java -Xmx4g -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.ServerLoadReport \
 *     [backups 1000000] [seconds 20] [clients 4] [requests 2000000]
 * }</pre>
 *
 * <p>The clients are plain HTTP/1.1 keep-alive connections in this JVM, one thread each, each sending
 * its next request when the answer to the previous one has arrived (a closed loop, as a console's
 * users are); they read each answer whole. Before the phases, every search's first answer is checked
 * equal to the JSON of the catalog's own page. Client, server and writer share the machine's cores,
 * so the figures are those of one small machine doing all three.
 */
public final class ServerLoadReport {
  /** The console's page size. */
  private static final int PAGE = 20;
  private static final DateTimeFormatter API_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  private ServerLoadReport() {}

  /** Runs the report; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    int backups = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    long requests = args.length > 3 ? Long.parseLong(args[3].replace("_", "")) : 2_000_000;
    if (!run(backups, Duration.ofSeconds(seconds), clients, requests, System.out)) {
      System.exit(1);
    }
  }

  /** One phase's result: requests answered, how long it took, and each request's latency. */
  record Phase(String name, long requests, long errors, double seconds, long[] latencies, long changes) {
    double perSecond() {
      return requests / seconds;
    }

    long percentile(double fraction) {
      if (latencies.length == 0) {
        return 0;
      }
      return latencies[(int) Math.min(latencies.length - 1, Math.ceil(fraction * latencies.length) - 1)];
    }
  }

  /**
   * Runs the report.
   *
   * @return whether every search's answer equalled the catalog's page and no request failed
   */
  static boolean run(int backups, Duration phaseTime, int clients, long maxRequests, PrintStream out) throws Exception {
    if (backups < 1000) {
      throw new IllegalArgumentException("backups must be at least 1000, was " + backups);
    }
    if (clients < 1 || clients > 256) {
      throw new IllegalArgumentException("clients must be 1 to 256, was " + clients);
    }
    Workload workload = Workload.of(backups);
    // the writer's changes happen after every generated backup, on a clock that does not move
    Clock clock = Clock.fixed(workload.now.plus(Duration.ofDays(1)), ZoneOffset.UTC);
    BackupCatalog catalog = Catalogs.indexed(clock);
    long loading = System.nanoTime();
    catalog.addAll(workload.backups);
    out.printf(Locale.ROOT, "csbs-server load: %,d backups in project %s, loaded in %.1f s; %d clients, %d s or %,d "
        + "requests a phase%n", backups, workload.projectId, (System.nanoTime() - loading) / 1e9, clients,
        phaseTime.toSeconds(), maxRequests);
    Map<String, String> searches = searches(workload);
    boolean good = true;
    try (CsbsServer server = CsbsServer.builder(catalog).clock(clock).build().start()) {
      String prefix = "/v1/" + workload.projectId + "/checkpoint_items";
      good &= checkAnswers(server, catalog, workload.projectId, prefix, searches, out);
      List<String> paths = new ArrayList<>();
      for (String query : searches.values()) {
        paths.add(prefix + "?" + query);
      }
      // warm-up: the JIT compiles the server's and the catalog's paths
      phase("warm-up", server, paths, clients, Duration.ofSeconds(Math.min(5, phaseTime.toSeconds())), maxRequests, null);
      List<Phase> phases = new ArrayList<>();
      phases.add(phase("alone", server, paths, clients, phaseTime, maxRequests, null));
      phases.add(phase("beside a writer, 1,000 changes/s", server, paths, clients, phaseTime, maxRequests,
          new Writer(catalog, workload, 1_000)));
      phases.add(phase("beside a writer, as fast as it can", server, paths, clients, phaseTime, maxRequests,
          new Writer(catalog, workload, 0)));
      out.println();
      String format = "%-38s %10s %10s %9s %9s %9s %9s %12s%n";
      out.printf(Locale.ROOT, format, "phase", "requests", "req/s", "p50", "p99", "p99.9", "max", "changes/s");
      for (Phase phase : phases) {
        out.printf(Locale.ROOT, format, phase.name(), String.format(Locale.ROOT, "%,d", phase.requests()),
            String.format(Locale.ROOT, "%,.0f", phase.perSecond()), ConsoleDemo.time(phase.percentile(0.5)),
            ConsoleDemo.time(phase.percentile(0.99)), ConsoleDemo.time(phase.percentile(0.999)),
            ConsoleDemo.time(phase.percentile(1.0)),
            phase.changes() == 0 ? "-" : String.format(Locale.ROOT, "%,.0f", phase.changes() / phase.seconds()));
        if (phase.errors() > 0) {
          out.printf(Locale.ROOT, "  %,d requests of %s FAILED%n", phase.errors(), phase.name());
          good = false;
        }
      }
    }
    out.println();
    out.println("The searches, in turn on each connection:");
    searches.forEach((name, query) -> out.println("  " + name + ": ?" + query));
    return good;
  }

  /** The console's list requests, each the first page of 20 with its next link. */
  static Map<String, String> searches(Workload workload) {
    String now = API_TIME.format(workload.now);
    String weekAgo = API_TIME.format(workload.now.minus(Duration.ofDays(7)));
    Map<String, String> searches = new LinkedHashMap<>();
    searches.put("all statuses", "limit=" + PAGE);
    searches.put("available", "status=available&limit=" + PAGE);
    searches.put("available, last 7 days", "status=available&start_time=" + weekAgo + "&end_time=" + now + "&limit=" + PAGE);
    searches.put("error", "status=error&limit=" + PAGE);
    searches.put("backup name", "name=" + workload.nameKeyword + "&limit=" + PAGE);
    searches.put("server name", "resource_name=" + workload.serverNameKeyword + "&limit=" + PAGE);
    searches.put("server id", "resource_id=" + workload.serverId + "&limit=" + PAGE);
    searches.put("page after 10,000", "marker=" + workload.deepMarker + "&limit=" + PAGE);
    return searches;
  }

  /** Each search's answer is the JSON of the catalog's own page for its query string. */
  private static boolean checkAnswers(CsbsServer server, BackupCatalog catalog, String project, String prefix,
      Map<String, String> searches, PrintStream out) throws IOException {
    CsbsJson json = CsbsJson.create();
    boolean good = true;
    try (Connection connection = new Connection(server.port())) {
      for (Map.Entry<String, String> search : searches.entrySet()) {
        String path = prefix + "?" + search.getValue();
        String expected = json.checkpointItems(catalog.query(project, ListQueryString.parse(search.getValue())),
            URI.create("http://127.0.0.1:" + server.port() + path));
        String body = connection.get(path);
        if (!body.equals(expected)) {
          out.println("DIFFERENT from the catalog's page: " + search.getKey() + " ?" + search.getValue());
          good = false;
        }
      }
    }
    out.println(good ? "Every search's answer equals the JSON of the catalog's own page." : "SOME ANSWERS DIFFER.");
    return good;
  }

  private static Phase phase(String name, CsbsServer server, List<String> paths, int clients, Duration time,
      long maxRequests, Writer writer) throws InterruptedException {
    long[][] latencies = new long[clients][];
    int[] counts = new int[clients];
    AtomicLong sent = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long perClient = Math.min(Integer.MAX_VALUE - 8, maxRequests / clients + 1);
    long deadline = System.nanoTime() + time.toNanos();
    Thread writerThread = null;
    if (writer != null) {
      writerThread = new Thread(writer, "load-writer");
      writerThread.setDaemon(true);
      writerThread.start();
    }
    Thread[] threads = new Thread[clients];
    long start = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      int client = c;
      threads[c] = new Thread(() -> {
        long[] own = new long[(int) Math.min(perClient, 1 << 20)];
        int count = 0;
        try (Connection connection = new Connection(server.port())) {
          for (int i = client; count < perClient && System.nanoTime() < deadline && sent.get() < maxRequests; i++) {
            sent.incrementAndGet();
            long begin = System.nanoTime();
            try {
              connection.get(paths.get(i % paths.size()));
            } catch (IOException | RuntimeException e) {
              errors.incrementAndGet();
              continue;
            }
            if (count == own.length) {
              own = Arrays.copyOf(own, (int) Math.min(perClient, own.length * 2L));
            }
            own[count++] = System.nanoTime() - begin;
          }
        } catch (IOException e) {
          errors.incrementAndGet();
        }
        latencies[client] = own;
        counts[client] = count;
      }, "load-client-" + c);
      threads[c].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long changes = 0;
    if (writer != null) {
      writer.stop.set(true);
      writerThread.join();
      changes = writer.changes;
    }
    int total = 0;
    for (int count : counts) {
      total += count;
    }
    long[] all = new long[total];
    int at = 0;
    for (int c = 0; c < clients; c++) {
      System.arraycopy(latencies[c], 0, all, at, counts[c]);
      at += counts[c];
    }
    Arrays.sort(all);
    return new Phase(name, total, errors.get(), seconds, all, changes);
  }

  /**
   * Changes the catalog as a backup service's job runner does: a restore of an Available backup, the
   * completion of a Restoring one, or a new backup; at {@code perSecond} changes a second, or as fast
   * as it can when 0.
   */
  static final class Writer implements Runnable {
    final AtomicBoolean stop = new AtomicBoolean();
    volatile long changes;
    private final BackupCatalog catalog;
    private final Workload workload;
    private final int perSecond;
    private final BackupGenerator fresh;

    Writer(BackupCatalog catalog, Workload workload, int perSecond) {
      this.catalog = catalog;
      this.workload = workload;
      this.perSecond = perSecond;
      this.fresh = BackupGenerator.builder().seed(perSecond + 11L).projects(1)
          .servers(Math.max(10, workload.size / 50)).window(workload.now.plus(Duration.ofHours(20)), Duration.ofHours(19))
          .build();
    }

    @Override
    public void run() {
      Random random = new Random(perSecond);
      List<Backup> stored = workload.backups;
      String project = workload.projectId;
      long start = System.nanoTime();
      long made = 0;
      while (!stop.get()) {
        if (perSecond > 0) {
          long due = start + made * 1_000_000_000L / perSecond;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
            continue;
          }
        }
        if (random.nextInt(4) == 0) {
          catalog.add(fresh.next()); // the generator's one project is the workload's
        } else {
          Backup current = catalog.find(project, stored.get(random.nextInt(stored.size())).id()).orElse(null);
          if (current == null) {
            continue;
          }
          if (current.status() == BackupStatus.AVAILABLE) {
            catalog.apply(project, current.id(), current.version(), Transition.restore());
          } else if (current.status() == BackupStatus.RESTORING) {
            catalog.apply(project, current.id(), current.version(), Transition.complete());
          } else {
            continue;
          }
        }
        made++;
        changes = made;
      }
    }
  }

  /** One HTTP/1.1 keep-alive connection that GETs a path and reads the answer whole. */
  static final class Connection implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final String host;

    Connection(int port) throws IOException {
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress("127.0.0.1", port));
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
      host = "127.0.0.1:" + port;
    }

    /** GETs {@code path}; the body, or an IOException unless the answer is 200. */
    String get(String path) throws IOException {
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: application/json\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String status = line();
      int length = -1;
      for (String header = line(); !header.isEmpty(); header = line()) {
        int colon = header.indexOf(':');
        if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
          length = Integer.parseInt(header.substring(colon + 1).trim());
        }
      }
      if (length < 0) {
        throw new IOException("answer without a Content-Length: " + status);
      }
      byte[] body = in.readNBytes(length);
      if (body.length < length) {
        throw new IOException("connection closed in the body");
      }
      if (!status.startsWith("HTTP/1.1 200")) {
        throw new IOException(status + ": " + new String(body, StandardCharsets.UTF_8));
      }
      return new String(body, StandardCharsets.UTF_8);
    }

    private String line() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream(64);
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          throw new IOException("connection closed");
        }
        if (b != '\r') {
          line.write(b);
        }
      }
      return line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
