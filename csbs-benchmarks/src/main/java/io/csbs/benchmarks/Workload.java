package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.backup.Tag;
import io.csbs.query.Sort;
import io.csbs.testing.BackupGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The data of the query benchmarks: {@code size} backups of one project from the testkit's
 * generator (seed {@value #SEED}, one server per 50 backups), the fixed "now" (the generator's end),
 * and the values each {@link Scenario} searches for, all picked from the data itself so that every
 * search has a realistic selectivity and the same seed gives the same picks.
 */
final class Workload {
  static final long SEED = 42;
  /** The rows before the deep page: the marker is the id of the 10000th backup, newest first. */
  static final int DEEP_ROWS = 10_000;
  /** The console's page size. */
  static final int PAGE = 20;

  private static Workload last;

  /** The catalog's row order: creation time, then id (the default list is its reverse). */
  static final Comparator<Backup> CREATION_ORDER = Comparator.comparing(Backup::createdAt).thenComparing(Backup::id);

  final int size;
  final Layout layout;
  /** The backups in the order they reach the engine. */
  final List<Backup> backups;
  /**
   * {@link Layout#RETAINED}: the older backups csbs loads with {@link #backups} and then removes,
   * oldest first; empty in the other layouts.
   */
  final List<Backup> retired;
  final Instant now;
  final String projectId;
  /** The tags of the first backup with the most tags: ten when one has ten. */
  final List<Tag> manyTags;
  /** The most frequent tag (key=value). */
  final Tag commonTag;
  /** Two frequent tags (of different keys when such a pair exists) that no backup has together. */
  final Tag[] disjointTags;
  /**
   * Part of a backup name, upper case: the four hex digits of a generated name ({@code autobk_xxxx},
   * or {@code manualbk_xxxx} where the chosen backup is a manual one, as at 10,000 backups).
   */
  final String nameKeyword;
  /** Part of a server name, upper case: {@code WEB-0042} of {@code ecs-web-0042}. */
  final String serverNameKeyword;
  final String serverId;
  final String backupId;
  /** The id of the {@value #DEEP_ROWS}th backup newest first (fewer on small lists). */
  final String deepMarker;
  /** The offset of page 500 ({@code 9980}; less on small lists). */
  final long deepOffset;

  private Workload(int size, Layout layout) {
    this.size = size;
    this.layout = layout;
    BackupGenerator generator = BackupGenerator.builder()
        .seed(SEED).projects(1).servers(Math.max(10, size / 50)).build();
    List<Backup> generated = List.copyOf(layout == Layout.DISTINCT_NAMES
        ? arrange(generator.backups(size), layout) : generator.backups(size));
    // the generator's order is random in time (addAll sorts it); the late layout starts from creation order
    List<Backup> sorted = new ArrayList<>(generated);
    sorted.sort(CREATION_ORDER);
    this.backups = layout == Layout.LATE_5PCT ? List.copyOf(arrange(sorted, layout)) : generated;
    this.now = generator.end();
    this.projectId = BackupGenerator.projectId(0);
    if (layout == Layout.RETAINED) {
      // the year before the generator's (365 days by default), of other servers of the same project
      List<Backup> older = new ArrayList<>(BackupGenerator.builder().seed(SEED + 1).projects(1)
          .servers(Math.max(10, size / 50)).window(now.minus(java.time.Duration.ofDays(366)), java.time.Duration.ofDays(365))
          .build().backups(size / 2));
      older.sort(CREATION_ORDER);
      this.retired = List.copyOf(older);
    } else {
      this.retired = List.of();
    }

    Backup tagged = generated.get(0);
    Map<Tag, Integer> frequency = new HashMap<>();
    Set<List<Tag>> tagSets = new HashSet<>();
    for (Backup backup : generated) {
      if (backup.tags().size() > tagged.tags().size()) {
        tagged = backup;
      }
      for (Tag tag : backup.tags()) {
        frequency.merge(tag, 1, Integer::sum);
      }
      tagSets.add(backup.tags());
    }
    this.manyTags = tagged.tags();
    List<Tag> byFrequency = new ArrayList<>(frequency.keySet());
    byFrequency.sort(Comparator.comparing((Tag t) -> -frequency.get(t)).thenComparing(Tag::toString));
    this.commonTag = byFrequency.get(0);
    this.disjointTags = disjointPair(byFrequency, tagSets);

    Backup forName = generated.get(size / 4);
    String hex = forName.name().substring(forName.name().indexOf('_') + 1);
    this.nameKeyword = (hex.indexOf('-') < 0 ? hex : hex.substring(0, hex.indexOf('-'))).toUpperCase(Locale.ROOT);
    String serverName = generated.get(size * 3 / 4).server().name();
    this.serverNameKeyword = serverName.substring(serverName.indexOf('-') + 1).toUpperCase(Locale.ROOT);
    this.serverId = generated.get(size / 3).server().id();
    this.backupId = generated.get(size / 2).id();

    Backup[] newestFirst = generated.toArray(new Backup[0]);
    java.util.Arrays.sort(newestFirst, Sort.DEFAULT.comparator());
    this.deepMarker = newestFirst[Math.max(1, Math.min(DEEP_ROWS, size - PAGE)) - 1].id();
    this.deepOffset = Math.max(0, Math.min(DEEP_ROWS - PAGE, size - PAGE));
  }

  /** The workload of {@code size} backups in creation order. */
  static Workload of(int size) {
    return of(size, Layout.IN_ORDER);
  }

  /**
   * The workload of {@code size} backups in {@code layout}; the last one is kept, so that trials of
   * one size and layout share it.
   */
  static synchronized Workload of(int size, Layout layout) {
    if (last == null || last.size != size || last.layout != layout) {
      last = null; // let the previous one go before building the next
      last = new Workload(size, layout);
    }
    return last;
  }

  /**
   * Loads the backups into an empty {@code backlist} of {@code engine} as the layout says: csbs gets
   * the late and random layouts' backups one by one, in their order of arrival, and the retained
   * layout's older backups with the others, then their removals; the baselines, whose indexes do
   * not depend on the order, and the PostgreSQL engines, which load once, get the live backups at once.
   */
  void loadInto(Engine engine, BacklistEngine backlist) {
    if ((layout == Layout.LATE_5PCT || layout == Layout.RANDOM_ORDER) && engine == Engine.CSBS) {
      for (Backup backup : backups) {
        backlist.load(List.of(backup));
      }
    } else if (layout == Layout.RETAINED && engine == Engine.CSBS) {
      List<Backup> all = new ArrayList<>(retired);
      all.addAll(backups);
      backlist.load(all);
      for (Backup backup : retired) {
        backlist.remove(backup.projectId(), backup.id(), backup.version());
      }
    } else {
      backlist.load(backups);
    }
  }

  /** The generator's backups (in creation order) as {@code layout} has them arrive. */
  private static List<Backup> arrange(List<Backup> generated, Layout layout) {
    java.util.Random random = new java.util.Random(SEED + layout.ordinal());
    switch (layout) {
      case IN_ORDER:
      case RANDOM_ORDER:
        return generated;
      case DISTINCT_NAMES: {
        List<Backup> renamed = new ArrayList<>(generated.size());
        for (Backup backup : generated) {
          renamed.add(random.nextInt(10) == 0 ? backup
              : backup.toBuilder().name(backup.name() + "-" + String.format(Locale.ROOT, "%08x", random.nextInt())).build());
        }
        return renamed;
      }
      case LATE_5PCT: {
        // each late backup arrives after up to a tenth of the list of newer ones
        int n = generated.size();
        List<List<Backup>> arrivingAfter = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          arrivingAfter.add(null);
        }
        List<Backup> arrivals = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          Backup backup = generated.get(i);
          if (random.nextInt(20) == 0) {
            int at = Math.min(n - 1, i + 1 + random.nextInt(Math.max(1, n / 10)));
            if (arrivingAfter.get(at) == null) {
              arrivingAfter.set(at, new ArrayList<>(1));
            }
            arrivingAfter.get(at).add(backup);
          } else {
            arrivals.add(backup);
          }
          if (arrivingAfter.get(i) != null) {
            arrivals.addAll(arrivingAfter.get(i));
          }
        }
        return arrivals;
      }
      default:
        throw new AssertionError(layout);
    }
  }

  /** The first {@code n} of {@link #manyTags} (all of them if it has fewer). */
  List<Tag> tags(int n) {
    return manyTags.subList(0, Math.min(n, manyTags.size()));
  }

  private static Tag[] disjointPair(List<Tag> byFrequency, Set<List<Tag>> tagSets) {
    Set<List<Tag>> together = new HashSet<>();
    for (List<Tag> tags : tagSets) {
      for (Tag a : tags) {
        for (Tag b : tags) {
          together.add(List.of(a, b));
        }
      }
    }
    for (int i = 0; i < byFrequency.size(); i++) {
      for (int j = 0; j < i; j++) {
        Tag a = byFrequency.get(j);
        Tag b = byFrequency.get(i);
        if (!a.key().equals(b.key()) && !together.contains(List.of(a, b))) {
          return new Tag[] {a, b};
        }
      }
    }
    // no such pair: two values of one key never meet (keys are unique on a backup)
    for (int i = 0; i < byFrequency.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (byFrequency.get(j).key().equals(byFrequency.get(i).key())) {
          return new Tag[] {byFrequency.get(j), byFrequency.get(i)};
        }
      }
    }
    throw new IllegalStateException("no two tags that never co-occur in " + byFrequency);
  }

  @Override
  public String toString() {
    return "Workload{" + size + " backups, now " + now + ", many tags " + manyTags + ", common tag " + commonTag
        + ", disjoint " + List.of(disjointTags) + ", name ~" + nameKeyword + ", server name ~" + serverNameKeyword
        + ", server id " + serverId + ", backup id " + backupId + ", marker " + deepMarker + ", offset "
        + deepOffset + ", " + layout + "}";
  }
}
