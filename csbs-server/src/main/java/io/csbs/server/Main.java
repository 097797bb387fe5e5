package io.csbs.server;

import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.testing.BackupGenerator;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar csbs-server-<version>.jar [--backups N] [--projects K] [--port P] [--seed S]}: serves
 * a generated catalog ({@link BackupGenerator}; 1,000,000 backups in 3 projects by default, created in
 * the year before now) on 127.0.0.1 and prints its URL; Ctrl-C stops it. Needs csbs-testkit, which
 * the runnable jar's {@code lib/} has; on the module path, {@code java -p csbs-server.jar:lib
 * --add-modules csbs.testkit -m csbs.server/io.csbs.server.Main}.
 */
final class Main {
  static final String USAGE = "usage: java -jar csbs-server.jar [--backups N] [--projects K] [--port P] [--seed S]\n"
      + "  --backups   backups to generate, 0 to 100000000 (default 1000000)\n"
      + "  --projects  projects they belong to, project-0, project-1, ... (default 3)\n"
      + "  --port      port on 127.0.0.1, 0 for any free one (default 8080)\n"
      + "  --seed      seed of the generated backups (default 0)";

  private Main() {}

  public static void main(String[] args) throws InterruptedException {
    CsbsServer server;
    try {
      server = start(args, System.out);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    } catch (NoClassDefFoundError e) {
      // on the module path csbs.testkit is read only if asked: it is an optional dependency
      System.err.println("csbs-server: the generated catalog needs csbs-testkit (" + e.getMessage() + "); on the"
          + " module path add --add-modules csbs.testkit");
      System.exit(1);
      return;
    } catch (java.io.UncheckedIOException e) {
      System.err.println("csbs-server: " + e.getMessage() + " (another port: --port P, or --port 0 for any free one)");
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

  /**
   * Generates the catalog, starts the server on it and prints what it serves.
   *
   * @throws IllegalArgumentException with a message for the user if an argument is bad
   */
  static CsbsServer start(String[] args, PrintStream out) {
    long backups = 1_000_000;
    long projects = 3;
    long port = 8080;
    long seed = 0;
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(name + " needs a value");
      }
      String value = args[i + 1];
      switch (name) {
        case "--backups":
          backups = number(name, value, 0, 100_000_000);
          break;
        case "--projects":
          projects = number(name, value, 1, 1000);
          break;
        case "--port":
          port = number(name, value, 0, 65_535);
          break;
        case "--seed":
          seed = number(name, value, Long.MIN_VALUE, Long.MAX_VALUE);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + name);
      }
    }
    long started = System.nanoTime();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    BackupGenerator generator = BackupGenerator.builder()
        .seed(seed)
        .projects((int) projects)
        .servers((int) Math.max(10, backups / 50))
        .window(now, Duration.ofDays(365))
        .build();
    BackupCatalog catalog = Catalogs.indexed(Clock.systemUTC());
    // one batch: the catalog indexes a batch at once, and 1M backups in 100k batches took 6 times longer
    catalog.addAll(generator.backups((int) backups));
    CsbsServer server = CsbsServer.builder(catalog).port((int) port).build().start();
    out.printf(Locale.ROOT, "csbs-server: %,d generated backups (seed %d) in %s, ready in %.1f s%n",
        backups, seed, String.join(", ", generator.projectIds()), (System.nanoTime() - started) / 1e9);
    out.println("serving " + server.uri() + "v1/{project_id}/... ; for example");
    out.println("  " + server.uri() + "v1/" + BackupGenerator.projectId(0) + "/checkpoint_items?status=available&limit=20");
    out.println("  " + server.uri() + "v1/" + BackupGenerator.projectId(0) + "/checkpoint_items/count");
    out.println("Ctrl-C stops it.");
    return server;
  }

  private static long number(String name, String value, long min, long max) {
    long number;
    try {
      number = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " " + value + " is invalid: must be a whole number", e);
    }
    if (number < min || number > max) {
      throw new IllegalArgumentException(name + " " + value + " is invalid: must be " + min + " to " + max);
    }
    return number;
  }
}
