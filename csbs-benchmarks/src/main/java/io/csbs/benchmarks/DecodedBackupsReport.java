package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.testing.BackupGenerator;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reports the heap a catalog takes per backup, backups and indexes, when it holds backups as a service
 * gets them: decoded from the API's JSON (or from database rows), each with its own server, tags,
 * VM metadata and policy id, strings and all; or the generator's backups, whose parts the backups
 * of a server share. The backups alone, then a catalog filled from them (by one {@code addAll}, or
 * by {@code add} one by one in the order given) with the list of backups dropped, so that what is
 * left is what the catalog keeps. Approximate: used heap as {@link MemoryReport} measures it;
 * run it alone.
 *
 * <p>Run: {@code java -Xmx8g -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.DecodedBackupsReport 1000000 DECODED ADD}
 */
public final class DecodedBackupsReport {
  private DecodedBackupsReport() {}

  /**
   * Prints the report for {@code args[0]} backups (1,000,000 by default), {@code args[1]} {@code
   * DECODED} (the default) or {@code GENERATED}, the catalog filled by {@code args[2]} {@code ADD_ALL}
   * (the default) or {@code ADD}: one shape and one way a run, so that nothing of another stays on
   * the heap it measures.
   */
  public static void main(String[] args) {
    int size = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
    boolean decoded = args.length <= 1 || args[1].equals("DECODED");
    boolean batch = args.length <= 2 || args[2].equals("ADD_ALL");
    if (args.length > 1 && !List.of("DECODED", "GENERATED").contains(args[1])
        || args.length > 2 && !List.of("ADD_ALL", "ADD").contains(args[2])) {
      throw new IllegalArgumentException("usage: DecodedBackupsReport [size] [DECODED|GENERATED] [ADD_ALL|ADD]");
    }
    System.out.printf(Locale.ROOT, "Heap per backup, %,d backups of one project, %s %s, max heap %,d MB%n", size,
        System.getProperty("java.vm.name"), System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);
    String shape = decoded ? "decoded from JSON" : "generated";
    long empty = MemoryReport.usedAfterGc();
    BackupCatalog catalog = fill(size, decoded, shape, batch, empty);
    MemoryReport.print(shape + ", a catalog filled by " + (batch ? "addAll" : "add") + ", alone", MemoryReport.usedAfterGc() - empty, size);
    MemoryReport.print("  its index (stats().estimatedIndexBytes())", catalog.stats(PROJECT).estimatedIndexBytes(), size);
    if (catalog.count(PROJECT, io.csbs.query.Predicates.all()) != size) {
      throw new IllegalStateException("the catalog lost backups");
    }
  }

  private static final String PROJECT = "project-0";

  /** A catalog filled with the backups, which it alone holds once this returns. */
  private static BackupCatalog fill(int size, boolean decoded, String shape, boolean batch, long empty) {
    List<Backup> backups = backups(size, decoded);
    MemoryReport.print(shape + ", the backups alone", MemoryReport.usedAfterGc() - empty, size);
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(java.time.Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));
    if (batch) {
      catalog.addAll(backups);
    } else {
      backups.forEach(catalog::add);
    }
    return catalog;
  }

  /** The generator's backups (seed 42), or the same decoded from their JSON one by one. */
  private static List<Backup> backups(int size, boolean decoded) {
    List<Backup> generated = BackupGenerator.builder().seed(42).servers(Math.max(10, size / 50)).build().backups(size);
    if (!decoded) {
      return generated;
    }
    CsbsJson json = CsbsJson.create();
    List<Backup> list = new ArrayList<>(size);
    for (Backup backup : generated) {
      list.add(json.readCheckpointItem(json.checkpointItem(backup), backup.projectId()));
    }
    return list;
  }
}
