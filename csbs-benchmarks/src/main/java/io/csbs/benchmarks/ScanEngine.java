package io.csbs.benchmarks;

import io.csbs.backup.Backup;
import io.csbs.lifecycle.Transition;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Query;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@link Engine#SCAN}: the plain reference, a list per project searched with {@code
 * stream().filter().sorted().skip().limit()} and counted with a second {@code filter().count()}.
 *
 * <p>It has no write path: its lists are plain {@code ArrayList}s, which a writer may not change
 * while other threads stream them, and making them safe would change what the query benchmarks
 * measure. {@link #apply} throws.
 */
final class ScanEngine implements BacklistEngine {
  private final Instant now;
  private final Map<String, List<Backup>> byProject = new HashMap<>();

  ScanEngine(Instant now) {
    this.now = now;
  }

  @Override
  public void load(List<Backup> backups) {
    for (Backup backup : backups) {
      byProject.computeIfAbsent(backup.projectId(), p -> new ArrayList<>()).add(backup);
    }
  }

  @Override
  public Hits page(String projectId, Query query) {
    List<Backup> backups = byProject.getOrDefault(projectId, List.of());
    BackupPredicate predicate = query.predicate();
    Comparator<Backup> order = query.sort().comparator();
    Stream<Backup> matches = backups.stream().filter(b -> predicate.test(b, now, StallRule.DEFAULT));
    if (query.marker().isPresent()) {
      String marker = query.marker().get();
      Backup after = backups.stream().filter(b -> b.id().equals(marker)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("unknown marker " + marker));
      matches = matches.filter(b -> order.compare(b, after) > 0);
    }
    List<Backup> page = matches.sorted(order).skip(query.offset()).limit(query.limit()).collect(Collectors.toList());
    return new Hits(page, count(projectId, predicate));
  }

  @Override
  public long count(String projectId, BackupPredicate predicate) {
    return byProject.getOrDefault(projectId, List.of()).stream()
        .filter(b -> predicate.test(b, now, StallRule.DEFAULT))
        .count();
  }

  /** Always throws: see the class comment. */
  @Override
  public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
    throw new UnsupportedOperationException("the SCAN engine cannot change backups beside concurrent readers"
        + " (plain ArrayLists); use CSBS or a CQENGINE engine");
  }

  @Override
  public Optional<Backup> find(String projectId, String backupId) {
    return byProject.getOrDefault(projectId, List.of()).stream().filter(b -> b.id().equals(backupId)).findFirst();
  }
}
