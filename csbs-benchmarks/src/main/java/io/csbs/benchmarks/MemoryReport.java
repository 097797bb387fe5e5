package io.csbs.benchmarks;

import com.googlecode.cqengine.ConcurrentIndexedCollection;
import com.googlecode.cqengine.IndexedCollection;
import com.googlecode.cqengine.index.Index;
import com.googlecode.cqengine.index.hash.HashIndex;
import com.googlecode.cqengine.index.navigable.NavigableIndex;
import com.googlecode.cqengine.index.unique.UniqueIndex;
import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.Attribute;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;

/**
 * Reports the heap each engine takes per backup, for the same backups as the query benchmarks:
 * the records alone (the {@code List<Backup>}), csbs's catalog over them, and CQEngine's collection
 * (its object store, then each index). Approximate: used heap as the {@link MemoryMXBean} reports it
 * after several {@code System.gc()} calls, before and after building each structure over the same
 * records, which stay reachable throughout, csbs's once its heap is steady (a reorganisation that
 * the load made due has finished); run it alone on a quiet JVM.
 *
 * <p>Run: {@code java -Xmx8g -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.MemoryReport 1000000 DISTINCT_NAMES}
 * (the second argument, a {@link Layout}, is {@code IN_ORDER} by default)
 */
public final class MemoryReport {
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private MemoryReport() {}

  /** Prints the report for {@code args[0]} backups (1,000,000 by default). */
  public static void main(String[] args) {
    int size = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
    Layout layout = args.length > 1 ? Layout.valueOf(args[1]) : Layout.IN_ORDER;
    System.out.printf(Locale.ROOT, "Heap per backup, %,d backups of one project (seed %d), %s %s, max heap %,d MB%n",
        size, Workload.SEED, System.getProperty("java.vm.name"), System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20);
    long empty = usedAfterGc();
    List<Backup> backups = Workload.of(size, layout).backups;
    long records = usedAfterGc() - empty;
    print("records alone (List<Backup> and the workload's picks)", records, size);

    long before = usedAfterGc();
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(Workload.of(size, layout).now, ZoneOffset.UTC));
    Workload.of(size, layout).loadInto(Engine.CSBS, new CsbsEngine(catalog));
    settle(catalog, Workload.of(size, layout).projectId);
    long csbs = usedAfterGc() - before;
    print("csbs catalog (Catalogs.indexed, all its indexes), " + layout, csbs, size);
    System.out.printf(Locale.ROOT, "%-58s %,10d KB  %7.1f B/backup%n", "  its own estimate (stats().estimatedIndexBytes())",
        catalog.stats(Workload.of(size, layout).projectId).estimatedIndexBytes() >> 10,
        catalog.stats(Workload.of(size, layout).projectId).indexBytesPerBackup());
    // the first sort by name makes the project keep its distinct names in order, built beside the
    // readers: 20 bits a distinct name more from then on (at a million names)
    String projectId = Workload.of(size, layout).projectId;
    long unsorted = catalog.stats(projectId).estimatedIndexBytes();
    catalog.query(projectId, Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME))).limit(20).build());
    awaitNameOrder(catalog, projectId, unsorted);
    settle(catalog, projectId);
    print("  once sorted by name (its names kept in order too)", usedAfterGc() - before, size);
    System.out.printf(Locale.ROOT, "%-58s %,10d KB  %7.1f B/backup%n", "  its own estimate then",
        catalog.stats(projectId).estimatedIndexBytes() >> 10, catalog.stats(projectId).indexBytesPerBackup());
    reachable(catalog);
    catalog = null;

    before = usedAfterGc();
    IndexedCollection<Backup> collection = new ConcurrentIndexedCollection<>();
    collection.addAll(backups);
    long store = usedAfterGc() - before;
    print("CQEngine collection, no index (its object store)", store, size);
    long three = 0;
    three += addIndex(collection, "  + hash index on status", HashIndex.onAttribute(CqEngine.STATUS), size);
    three += addIndex(collection, "  + navigable index on creation time", NavigableIndex.onAttribute(CqEngine.CREATED_AT), size);
    three += addIndex(collection, "  + hash index on tags (key=value)", HashIndex.onAttribute(CqEngine.TAGS), size);
    print("CQEngine's three indexes (status, creation time, tags)", three, size);
    long more = 0;
    more += addIndex(collection, "  + hash index on server id",
        HashIndex.onAttribute(CqEngine.ATTRIBUTES.get(Attribute.SERVER_ID)), size);
    more += addIndex(collection, "  + unique index on id", UniqueIndex.onAttribute(CqEngine.ID), size);
    print("CQEngine as benchmarked (store and five indexes)", store + three + more, size);
    reachable(collection);
    System.out.println("Approximate: used heap after System.gc(), deltas over the same records; "
        + "compressed oops, G1 unless set otherwise.");
  }

  /**
   * Waits (at most five minutes) until the project's used heap is steady: two measures
   * {@value #STEADY_SECONDS} s apart within 1% of each other, with no reorganisation completed between
   * them. Backups added one by one ({@code LATE_5PCT}) make a reorganisation due, and while it runs
   * in the background (up to tens of seconds on a busy machine) it holds a second copy of the rows
   * and indexes, which the report would count as the catalog's: 20 to 60 B a backup more, varying
   * from run to run. The two measures are also at least four times the longest reorganisation apart:
   * a tail of late backups left when the changes stop waits out the pause after the last one (three
   * times as long as it took) and is then laid out; a shorter window measured that tail (67 B a
   * backup in {@code RANDOM_ORDER} against 57 after it).
   */
  private static void settle(BackupCatalog catalog, String projectId) {
    long deadline = System.nanoTime() + 300_000_000_000L;
    long reorganisations = catalog.stats(projectId).reorganisations();
    long used = usedAfterGc();
    while (System.nanoTime() < deadline) {
      long window = Math.max(STEADY_SECONDS * 1000L, 4 * catalog.stats(projectId).longestReorganisation().toMillis());
      try {
        Thread.sleep(window);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long nowReorganisations = catalog.stats(projectId).reorganisations();
      long nowUsed = usedAfterGc();
      if (nowReorganisations == reorganisations && Math.abs(nowUsed - used) * 100 <= used) {
        return;
      }
      reorganisations = nowReorganisations;
      used = nowUsed;
    }
  }

  private static final int STEADY_SECONDS = 5;

  /**
   * Waits (up to five minutes) until the project holds its order of names, which its estimate then
   * counts: a project of few names builds it during the sort, one of many names on the reorganiser's
   * thread, beside the readers (until session 14, in a whole reorganisation, which at 5M distinct
   * names outlasted {@link #settle}'s first window: its heap looked steady while the new state was
   * being built beside the old, 133 B a backup read that way).
   */
  private static void awaitNameOrder(BackupCatalog catalog, String projectId, long unsortedEstimate) {
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (catalog.stats(projectId).estimatedIndexBytes() == unsortedEstimate && System.nanoTime() < deadline) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static long addIndex(IndexedCollection<Backup> collection, String label, Index<Backup> index, int size) {
    long before = usedAfterGc();
    collection.addIndex(index);
    long bytes = usedAfterGc() - before;
    print(label, bytes, size);
    return bytes;
  }

  static void print(String label, long bytes, int size) {
    System.out.printf(Locale.ROOT, "%-58s %,10d KB  %7.1f B/backup%n", label, bytes >> 10, bytes / (double) size);
  }

  /** The used heap once several full collections have settled it. */
  static long usedAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private static volatile Object sink;

  /** Keeps {@code structure} reachable up to here, so that the measurement before included it. */
  private static void reachable(Object structure) {
    sink = structure;
    sink = null;
  }
}
