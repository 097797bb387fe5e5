package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.KeywordField;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.io.PrintStream;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The library's main job on its own, for a newcomer: the backup list of one project with a million
 * generated backups, the console's searches answered by the indexed catalog beside the same searches
 * by a plain scan (the testkit's {@link ReferenceCatalog}: filter every backup, sort, page), each
 * answer checked against the scan's, and the space usage dialog.
 *
 * <pre>{@code
 * java -Xmx3g -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.ConsoleDemo [backups] [seed]
 * }</pre>
 *
 * <p>csbs's time is the median of many runs of the search after a warm-up; the scan's is one run
 * (it takes long enough to be measured once). These are wall-clock figures from one process, to give
 * the orders of magnitude; the JMH benchmarks of this module are the measurements.
 */
public final class ConsoleDemo {
  /** The console's page size. */
  private static final int PAGE = 20;
  /** Runs of each search by the catalog; the median is shown. */
  private static final int RUNS = 201;

  private ConsoleDemo() {}

  /**
   * Runs the demo and prints it; exits with 1 if an answer differs from the scan's.
   *
   * @param args the number of backups (1,000,000 by default) and the seed (42 by default)
   */
  public static void main(String[] args) {
    int size = args.length > 0 ? Integer.parseInt(args[0].replace("_", "").replace(",", "")) : 1_000_000;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 42;
    boolean same = run(size, seed, System.out);
    if (!same) {
      System.exit(1);
    }
  }

  /**
   * Runs the demo on {@code size} backups of one project.
   *
   * @param size the number of backups, at least 100
   * @param seed the generator's seed
   * @param out where the report goes
   * @return whether every answer of the catalog equals the scan's
   */
  static boolean run(int size, long seed, PrintStream out) {
    if (size < 100) {
      throw new IllegalArgumentException("backups must be at least 100, was " + size);
    }
    long start = System.nanoTime();
    BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(Math.max(10, size / 50)).build();
    List<Backup> backups = generator.backups(size);
    String project = BackupGenerator.projectId(0);
    Clock clock = Clock.fixed(generator.end(), ZoneOffset.UTC);
    double generated = seconds(start);

    start = System.nanoTime();
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.addAll(backups);
    double loaded = seconds(start);
    BackupCatalog scan = ReferenceCatalog.create(clock);
    scan.addAll(backups);

    out.printf(Locale.ROOT, "csbs: the backup list of one project, %,d generated backups (seed %d, now = %s)%n",
        size, seed, generator.end());
    out.printf(Locale.ROOT, "generated in %.1f s; loaded into the indexed catalog in %.1f s%n%n", generated, loaded);

    Map<String, Query> searches = searches(catalog, project, backups);
    out.printf(Locale.ROOT, "The console's searches: the first page of %d, newest first, and the total.%n", PAGE);
    out.printf(Locale.ROOT, "csbs: median of %d runs; plain scan: filter, sort and page every backup, one run.%n%n", RUNS);
    String format = "%-46s %10s  %-15s %11s %11s %11s%n";
    out.printf(Locale.ROOT, format, "search", "total", "newest match", "csbs", "plain scan", "csbs is");
    boolean allSame = true;
    for (Map.Entry<String, Query> search : searches.entrySet()) {
      Query query = search.getValue();
      Page indexed = catalog.query(project, query);
      long scanStart = System.nanoTime();
      Page scanned = scan.query(project, query);
      long scanNanos = System.nanoTime() - scanStart;
      long csbsNanos = median(catalog, project, query);
      boolean same = indexed.equals(scanned);
      allSame &= same;
      out.printf(Locale.ROOT, format, search.getKey(), String.format(Locale.ROOT, "%,d", indexed.total()),
          indexed.backups().isEmpty() ? "-" : indexed.backups().get(0).name(), time(csbsNanos), time(scanNanos),
          same ? String.format(Locale.ROOT, "%,.0fx", (double) scanNanos / Math.max(1, csbsNanos)) : "DIFFERENT");
    }
    out.println();
    out.println(allSame
        ? "Every page equals the plain scan's: the same backups, in the same order, with the same total."
        : "SOME ANSWERS DIFFER FROM THE PLAIN SCAN: this is a bug in csbs; please report it with the seed.");

    start = System.nanoTime();
    UsageReport usage = catalog.usage(project, UsageQuery.firstServers(5));
    long usageNanos = System.nanoTime() - start;
    out.printf(Locale.ROOT, "%nSpace usage (the console's dialog; %s): %,d backups, %,.2f GB, on %,d servers; the largest:%n",
        time(usageNanos), usage.backups(), usage.capacityGb(), usage.serverCount());
    out.printf(Locale.ROOT, "  %-24s %8s %15s%n", "server", "backups", "capacity (GB)");
    for (ServerUsage server : usage.servers()) {
      out.printf(Locale.ROOT, "  %-24s %,8d %,15.2f%n", server.serverName(), server.backups(), server.capacityGb());
    }
    boolean usageSame = usage.equals(scan.usage(project, UsageQuery.firstServers(5)));
    out.println(usageSame ? "The same as the plain scan's." : "DIFFERENT FROM THE PLAIN SCAN'S.");
    return allSame && usageSame;
  }

  /** The searches of the console's Backups tab, with values picked from the data so that each matches. */
  private static Map<String, Query> searches(BackupCatalog catalog, String project, List<Backup> backups) {
    TagCatalogue tags = catalog.tagCatalogue(project);
    Backup sample = backups.get(backups.size() / 3);
    Backup tagged = backups.stream().filter(backup -> backup.tags().size() >= 2).findFirst().orElse(sample);
    String nameHex = sample.name().substring(sample.name().indexOf('_') + 1).toUpperCase(Locale.ROOT);
    String serverName = sample.server().name();
    String serverNumber = serverName.substring(serverName.lastIndexOf('-') + 1);
    Map<String, Query> searches = new LinkedHashMap<>();
    searches.put("All statuses (the list as it opens)", ConsoleSearch.empty().toQuery(tags, PAGE));
    searches.put("Status: Error", ConsoleSearch.empty().withStatus(BackupStatus.ERROR).toQuery(tags, PAGE));
    searches.put("Available, created in the last 7 days",
        ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE).withLastDays(7).toQuery(tags, PAGE));
    searches.put("Backup name contains \"" + nameHex + "\"",
        ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, nameHex).toQuery(tags, PAGE));
    searches.put("Server name contains \"" + serverNumber + "\"",
        ConsoleSearch.empty().withKeyword(KeywordField.SERVER_NAME, serverNumber).toQuery(tags, PAGE));
    ConsoleSearch byTags = ConsoleSearch.empty();
    List<String> pairs = new ArrayList<>();
    for (Tag tag : tagged.tags().subList(0, Math.min(2, tagged.tags().size()))) {
      byTags = byTags.withTag(tag.key(), tag.value());
      pairs.add(tag.key() + "=" + tag.value());
    }
    searches.put("Tags " + String.join(", ", pairs), byTags.toQuery(tags, PAGE));
    searches.put("Stalled jobs (no progress for 30 min)", Query.builder().where(Predicates.stalled()).limit(PAGE).build());
    Page first = catalog.query(project, Query.builder().limit(1000).build());
    searches.put("All statuses, page 51 (after a marker)",
        Query.builder().limit(PAGE).marker(first.backups().get(first.backups().size() - 1).id()).build());
    return searches;
  }

  /**
   * The median time of {@value #RUNS} runs of {@code query}, after a warm-up of 300 ms or 20,000 runs,
   * whichever comes first, so that the JIT has compiled the search.
   */
  private static long median(BackupCatalog catalog, String project, Query query) {
    long warmUpEnd = System.nanoTime() + 300_000_000L;
    for (int i = 0; i < 20_000 && System.nanoTime() < warmUpEnd; i++) {
      catalog.query(project, query);
    }
    long[] nanos = new long[RUNS];
    for (int i = 0; i < RUNS; i++) {
      long start = System.nanoTime();
      catalog.query(project, query);
      nanos[i] = System.nanoTime() - start;
    }
    Arrays.sort(nanos);
    return nanos[RUNS / 2];
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** {@code 0.8 µs}, {@code 41 µs}, {@code 2.3 ms}, {@code 412 ms}. */
  static String time(long nanos) {
    if (nanos < 10_000) {
      return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
    } else if (nanos < 1_000_000) {
      return String.format(Locale.ROOT, "%.0f µs", nanos / 1e3);
    } else if (nanos < 10_000_000) {
      return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
    return String.format(Locale.ROOT, "%,.0f ms", nanos / 1e6);
  }
}
