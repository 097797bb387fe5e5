package io.csbs.server;

import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.testing.BackupGenerator;
import java.io.PrintStream;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar csbs-server-<version>.jar [--backups N] [--projects K] [--port P] [--seed S]}: serves
 * a generated catalog ({@link BackupGenerator}; 1,000,000 backups in 3 projects by default, created in
 * the year before now) on 127.0.0.1 and prints its URL; Ctrl-C stops it. Needs csbs-testkit (not
 * csbs-postgres), which the runnable jar's {@code lib/} has; on the module path, {@code java -p
 * csbs-server.jar:lib --add-modules csbs.testkit -m csbs.server/io.csbs.server.Main}.
 *
 * <p>{@code --jdbc-url URL [--migrate]} serves a PostgreSQL (or Citus) catalog instead, through a
 * {@link io.csbs.postgres.PostgresReplica} that loads it and follows its change feed: reads from
 * memory, writes to the database. {@code --migrate} first creates or upgrades the schema
 * ({@link io.csbs.postgres.Schema#migrate}); without it, a database at another schema version is
 * refused. Needs csbs-postgres and the PostgreSQL driver (not csbs-testkit), which {@code lib/} has
 * too; on the module path, {@code java -p csbs-server.jar:lib --add-modules csbs.postgres,java.naming
 * -m csbs.server/io.csbs.server.Main --jdbc-url URL} (the driver's data source needs
 * {@code java.naming}).
 */
final class Main {
  static final String USAGE = "usage: java -jar csbs-server.jar [--backups N] [--projects K] [--port P] [--seed S]\n"
      + "       java -jar csbs-server.jar --jdbc-url URL [--migrate] [--port P]\n"
      + "  --backups   backups to generate, 0 to 100000000 (default 1000000)\n"
      + "  --projects  projects they belong to, 1 to 1000: project-0, project-1, ... (default 3)\n"
      + "  --port      port on 127.0.0.1, 0 to 65535, 0 for any free one (default 8080)\n"
      + "  --seed      seed of the generated backups (default 0); their times count back from the start\n"
      + "  --jdbc-url  serve the csbs catalog of this PostgreSQL database instead, through a replica\n"
      + "  --migrate   with --jdbc-url: create or upgrade the csbs schema first\n"
      + "  --help, -h  print this and exit";

  private static final Set<String> OPTIONS =
      Set.of("--backups", "--projects", "--port", "--seed", "--jdbc-url", "--migrate");

  private Main() {}

  public static void main(String[] args) throws InterruptedException {
    if (asksForHelp(args)) {  // anywhere on the line, as most programs: the user wants to read, not to start
      System.out.println(USAGE);
      return;
    }
    Running server;
    try {
      server = start(args, System.out);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    } catch (NoClassDefFoundError e) {
      // on the module path csbs.testkit is read only if asked: it is an optional dependency
      System.err.println("csbs-server: the generated catalog needs csbs-testkit, a database csbs-postgres ("
          + e.getMessage() + "); on the module path add --add-modules csbs.testkit (or csbs.postgres,java.naming)");
      System.exit(1);
      return;
    } catch (java.io.UncheckedIOException e) {
      System.err.println("csbs-server: " + e.getMessage() + " (another port: --port P, or --port 0 for any free one)");
      System.exit(1);
      return;
    } catch (StartFailure e) {
      System.err.println("csbs-server: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "csbs-server-stop"));
    stopped.await();
  }

  /** Whether {@code --help} or {@code -h} stands anywhere on the command line. */
  static boolean asksForHelp(String[] args) {
    for (String arg : args) {
      if (arg.equals("--help") || arg.equals("-h")) {
        return true;
      }
    }
    return false;
  }

  /** A failure to start that is not the command line's: said in one line, without a stack trace. */
  static final class StartFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StartFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The server and the catalogs it serves, closed together: server first, then the catalogs. */
  static final class Running implements AutoCloseable {
    private final CsbsServer server;
    private final List<AutoCloseable> catalogs;

    Running(CsbsServer server, List<AutoCloseable> catalogs) {
      this.server = server;
      this.catalogs = catalogs;
    }

    CsbsServer server() {
      return server;
    }

    @Override
    public void close() {
      server.close();
      RuntimeException failure = null;
      for (int i = catalogs.size() - 1; i >= 0; i--) {
        try {
          catalogs.get(i).close();
        } catch (Exception e) {
          failure = failure == null ? new IllegalStateException("closing the served catalog failed", e) : failure;
        }
      }
      if (failure != null) {
        throw failure;
      }
    }
  }

  /**
   * Generates the catalog, or opens the database's, starts the server on it and prints what it serves.
   *
   * @throws IllegalArgumentException with a message for the user if an argument is bad
   */
  static Running start(String[] args, PrintStream out) {
    long backups = 1_000_000;
    long projects = 3;
    long port = 8080;
    long seed = 0;
    String jdbcUrl = null;
    boolean migrate = false;
    List<String> generatorOptions = new ArrayList<>();
    Set<String> given = new HashSet<>();
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i];
      if (!OPTIONS.contains(name)) {  // before its value: "--verbose" given last is unknown, not valueless
        throw new IllegalArgumentException("unknown option " + name);
      }
      if (!given.add(name)) {  // as the list API refuses a repeated parameter: which one was meant?
        throw new IllegalArgumentException(name + " is given twice: give it once");
      }
      if (name.equals("--migrate")) {
        migrate = true;
        i--;  // a flag: no value follows
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(name + " needs a value");
      }
      String value = args[i + 1];
      switch (name) {
        case "--backups":
          backups = number(name, value, 0, 100_000_000);
          generatorOptions.add(name);
          break;
        case "--projects":
          projects = number(name, value, 1, 1000);
          generatorOptions.add(name);
          break;
        case "--port":
          port = number(name, value, 0, 65_535);
          break;
        case "--seed":
          seed = number(name, value, Long.MIN_VALUE, Long.MAX_VALUE);
          generatorOptions.add(name);
          break;
        case "--jdbc-url":
          jdbcUrl = value;
          break;
        default:
          throw new IllegalArgumentException("unknown option " + name);
      }
    }
    if (jdbcUrl != null) {
      if (!generatorOptions.isEmpty()) {
        throw new IllegalArgumentException(generatorOptions.get(0) + " is for the generated catalog: not with --jdbc-url");
      }
      // in a class of its own: Main runs without csbs-postgres, which only this class needs
      return ServedDatabase.serve(jdbcUrl, migrate, (int) port, out);
    }
    if (migrate) {
      throw new IllegalArgumentException("--migrate needs --jdbc-url");
    }
    long started = System.nanoTime();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    BackupCatalog catalog = Catalogs.indexed(Clock.systemUTC());
    // bound before the backups are made: a port in use is said at once, not after a minute of generating
    CsbsServer server = CsbsServer.builder(catalog).port((int) port).consoleProject(BackupGenerator.projectId(0))
        .build();
    BackupGenerator generator;
    try {
      generator = BackupGenerator.builder()
          .seed(seed)
          .projects((int) projects)
          .servers((int) Math.max(10, backups / 50))
          .window(now, Duration.ofDays(365))
          .build();
      // one batch: the catalog indexes a batch at once, and 1M backups in 100k batches took 6 times longer
      catalog.addAll(generator.backups((int) backups));
    } catch (OutOfMemoryError e) {
      server.close();
      throw new StartFailure(String.format(Locale.ROOT, "--backups %d do not fit in this JVM's heap of %,d MB:"
          + " give java a larger -Xmx (1,000,000 backups take about 1.5 GB) or ask for fewer backups",
          backups, Runtime.getRuntime().maxMemory() >> 20), e);
    }
    server.start();
    out.printf(Locale.ROOT, "csbs-server: %,d generated backups (seed %d) in %s, ready in %.1f s%n",
        backups, seed, String.join(", ", generator.projectIds()), (System.nanoTime() - started) / 1e9);
    printExamples(server, BackupGenerator.projectId(0), out);
    return new Running(server, List.of());
  }

  static void printExamples(CsbsServer server, String project, PrintStream out) {
    out.println("console: " + server.uri() + "console/"
        + (project.startsWith("{") ? " (enter a project id)" : "?project=" + project));
    out.println("serving " + server.uri() + "v1/{project_id}/... ; for example");
    out.println("  " + server.uri() + "v1/" + project + "/checkpoint_items?status=available&limit=20");
    out.println("  " + server.uri() + "v1/" + project + "/checkpoint_items/count");
    out.println("Ctrl-C stops it.");
  }

  /** The URL without its query, which may hold a password. */
  static String withoutQuery(String url) {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query);
  }

  private static long number(String name, String value, long min, long max) {
    BigInteger number;
    try {
      number = new BigInteger(value);  // a whole number past a long is out of range, not "not a number"
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " " + value + " is invalid: must be a whole number");
    }
    if (number.compareTo(BigInteger.valueOf(min)) < 0 || number.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new IllegalArgumentException(name + " " + value + " is invalid: must be " + min + " to " + max);
    }
    return number.longValueExact();
  }
}
