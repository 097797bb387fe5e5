package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.PredicateVisitor;
import io.csbs.query.Query;
import io.csbs.query.TimeRange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class QueryGeneratorTest {
  private static final BackupGenerator BACKUPS = BackupGenerator.builder().seed(11).projects(1).servers(30).build();
  private static final List<Backup> SAMPLE = BACKUPS.backups(300);
  private static final Set<String> IDS = SAMPLE.stream().map(Backup::id).collect(Collectors.toSet());
  private static final Set<Instant> CREATED = SAMPLE.stream().map(Backup::createdAt).collect(Collectors.toSet());

  @Test
  void sameSeedGivesTheSameSequence() {
    QueryGenerator first = QueryGenerator.create(42, SAMPLE);
    QueryGenerator second = QueryGenerator.create(42, new ArrayList<>(SAMPLE));

    for (int i = 0; i < 300; i++) {
      assertEquals(first.nextPredicate(), second.nextPredicate(), "predicate " + i);
      assertEquals(first.nextQuery(), second.nextQuery(), "query " + i);
      assertEquals(first.nextSort(), second.nextSort(), "sort " + i);
    }
  }

  @Test
  void differentSeedsGiveDifferentSequences() {
    QueryGenerator first = QueryGenerator.create(1, SAMPLE);
    QueryGenerator second = QueryGenerator.create(2, SAMPLE);

    List<Query> one = new ArrayList<>();
    List<Query> other = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      one.add(first.nextQuery());
      other.add(second.nextQuery());
    }
    assertNotEquals(one, other);
  }

  @Test
  void predicatesNestAtMostThreeDeepAndSometimesThatDeep() {
    QueryGenerator generator = QueryGenerator.create(3, SAMPLE);
    int deepest = 0;
    for (int i = 0; i < 2000; i++) {
      BackupPredicate predicate = generator.nextPredicate();
      int depth = predicate.accept(new Depth());
      assertTrue(depth <= QueryGenerator.MAX_DEPTH, "too deep: " + predicate);
      deepest = Math.max(deepest, depth);
    }
    assertEquals(QueryGenerator.MAX_DEPTH, deepest);
  }

  @Test
  void predicatesOftenMatchSomeButNotAllBackups() {
    FakeClock clock = FakeClock.at(BACKUPS.end());
    ReferenceCatalog catalog = ReferenceCatalog.create(clock);
    catalog.addAll(SAMPLE);
    QueryGenerator generator = QueryGenerator.create(4, SAMPLE);
    int some = 0;
    int none = 0;
    int runs = 1000;
    for (int i = 0; i < runs; i++) {
      long count = catalog.count("project-0", generator.nextPredicate());
      if (count == 0) {
        none++;
      } else if (count < SAMPLE.size()) {
        some++;
      }
    }
    assertTrue(some > runs / 2, "only " + some + " of " + runs + " predicates match some but not all backups");
    assertTrue(none > runs / 50, "only " + none + " of " + runs + " predicates match nothing; misses are cases too");
  }

  @Test
  void everyKindOfCriterionAppears() {
    QueryGenerator generator = QueryGenerator.create(5, SAMPLE);
    Leaves leaves = new Leaves();
    for (int i = 0; i < 3000; i++) {
      generator.nextPredicate().accept(leaves);
    }

    assertEquals(
        Set.of("all", "none", "status", "createdIn", "createdWithinLast", "nameContains", "serverNameContains",
            "backupId", "attribute", "tag", "stalled", "and", "or", "not"),
        leaves.kinds);
    assertEquals(EnumSet.allOf(Attribute.class), leaves.attributes);
    assertTrue(leaves.statusSizes.containsAll(Set.of(1, 2, 3, 4)), "status with one to four states: " + leaves.statusSizes);
    assertTrue(leaves.backupIds.stream().anyMatch(IDS::contains), "no existing backup id");
    assertTrue(leaves.backupIds.stream().anyMatch(id -> !IDS.contains(id)), "no unknown backup id");
    assertTrue(leaves.tagValueLists.contains(0), "no tag criterion by key only");
    assertTrue(leaves.tagValueLists.stream().anyMatch(n -> n > 1), "no tag criterion with several values");
    assertTrue(leaves.tagPatterns > 0, "no *substring tag pattern");
  }

  @Test
  void timeRangesHaveExactOpenInclusiveAndExclusiveBounds() {
    QueryGenerator generator = QueryGenerator.create(6, SAMPLE);
    Leaves leaves = new Leaves();
    for (int i = 0; i < 3000; i++) {
      generator.nextPredicate().accept(leaves);
    }
    List<TimeRange> ranges = leaves.ranges;

    assertTrue(ranges.stream().anyMatch(r -> r.start().isEmpty()), "no range open at the start");
    assertTrue(ranges.stream().anyMatch(r -> r.end().isEmpty()), "no range open at the end");
    assertTrue(ranges.stream().anyMatch(r -> r.start().isPresent() && !r.startInclusive()), "no exclusive start");
    assertTrue(ranges.stream().anyMatch(r -> r.end().isPresent() && !r.endInclusive()), "no exclusive end");
    assertTrue(ranges.stream().anyMatch(r -> r.start().isPresent() && r.startInclusive()), "no inclusive start");
    assertTrue(ranges.stream().anyMatch(r -> r.start().map(CREATED::contains).orElse(false)), "no start at a creation time");
    assertTrue(ranges.stream().anyMatch(r -> r.end().map(CREATED::contains).orElse(false)), "no end at a creation time");
    assertTrue(ranges.stream().anyMatch(r -> r.start().isPresent() && r.start().equals(r.end())), "no single-instant range");
  }

  @Test
  void keywordsAreSubstringsOfNamesOrMadeUp() {
    QueryGenerator generator = QueryGenerator.create(7, SAMPLE);
    Leaves leaves = new Leaves();
    for (int i = 0; i < 3000; i++) {
      generator.nextPredicate().accept(leaves);
    }
    List<String> names = SAMPLE.stream().map(b -> b.name().toLowerCase(Locale.ROOT)).collect(Collectors.toList());
    List<String> keywords = leaves.nameKeywords;

    // the predicates hold keywords lower-cased (matching ignores case), so the generator's mixed case is not seen here
    assertTrue(keywords.stream().anyMatch(k -> names.stream().anyMatch(n -> n.contains(k))), "no keyword that matches");
    assertTrue(keywords.stream().anyMatch(k -> names.stream().noneMatch(n -> n.contains(k.toLowerCase(Locale.ROOT)))),
        "no keyword that matches nothing");
  }

  @Test
  void namesAndTagValuesOutsideTheBasicMultilingualPlaneAreCutOnWholeLetters() {
    // every name, server name and tag value made of letters of two chars each: a cut between the two
    // halves would be a keyword or tag value that Predicates refuses, and the generator would throw
    String bold = "\uD835\uDC00";  // MATHEMATICAL BOLD CAPITAL A
    String script = "\uD835\uDC9C";  // MATHEMATICAL SCRIPT CAPITAL A
    List<Backup> backups = SAMPLE.stream().limit(50).map(b -> b.toBuilder()
            .name(bold + script + bold + "_" + script.repeat(3))
            .server(io.csbs.backup.Server.of(b.server().id(), script + bold + " " + bold, b.server().availabilityZone()))
            .tags(List.of(io.csbs.backup.Tag.of("k", bold + script + bold)))
            .build())
        .collect(Collectors.toList());
    QueryGenerator generator = QueryGenerator.create(21, backups);
    Leaves leaves = new Leaves();
    for (int i = 0; i < 3000; i++) {
      generator.nextPredicate().accept(leaves);
    }
    assertTrue(leaves.nameKeywords.stream().anyMatch(k -> k.contains(script) || k.contains(bold)), "no keyword from the names");
  }

  @Test
  void queriesVarySortLimitAndPaging() {
    QueryGenerator generator = QueryGenerator.create(8, SAMPLE);
    int defaultSorts = 0;
    Set<Integer> sortSizes = new TreeSet<>();
    int smallLimits = 0;
    int largeLimits = 0;
    int offsets = 0;
    int markers = 0;
    int runs = 1000;
    for (int i = 0; i < runs; i++) {
      Query query = generator.nextQuery();
      defaultSorts += query.sort().isDefault() ? 1 : 0;
      sortSizes.add(query.sort().keys().size());
      assertTrue(query.limit() >= 1 && query.limit() <= Query.MAX_LIMIT);
      smallLimits += query.limit() <= 50 ? 1 : 0;
      largeLimits += query.limit() > 50 ? 1 : 0;
      offsets += query.offset() > 0 ? 1 : 0;
      if (query.marker().isPresent()) {
        markers++;
        assertTrue(IDS.contains(query.marker().get()), "a marker must be the id of a given backup: " + query);
      }
    }
    assertTrue(defaultSorts > runs / 3 && defaultSorts < runs * 2 / 3, "default sort " + defaultSorts + " of " + runs);
    assertEquals(Set.of(1, 2, 3), sortSizes);
    assertTrue(smallLimits > runs * 3 / 4, "limits of 1 to 50: " + smallLimits);
    assertTrue(largeLimits > 0, "no limit above 50");
    assertTrue(offsets > runs / 10, "offsets: " + offsets);
    assertTrue(markers > runs / 10, "markers: " + markers);
  }

  @Test
  void withoutBackupsMakesUpEveryValueAndUsesNoMarker() {
    QueryGenerator generator = QueryGenerator.create(9, List.of());
    ReferenceCatalog empty = ReferenceCatalog.create(FakeClock.create());
    for (int i = 0; i < 500; i++) {
      Query query = generator.nextQuery();
      assertTrue(query.marker().isEmpty(), query.toString());
      assertEquals(0, empty.query("project-0", query).total());
    }
  }

  /** How deep and, or and not nest; a leaf is 0. */
  private static final class Depth implements PredicateVisitor<Integer> {
    @Override public Integer all() { return 0; }
    @Override public Integer none() { return 0; }
    @Override public Integer status(Set<BackupStatus> statuses) { return 0; }
    @Override public Integer createdIn(TimeRange range) { return 0; }
    @Override public Integer createdWithinLast(Duration window) { return 0; }
    @Override public Integer nameContains(String text) { return 0; }
    @Override public Integer serverNameContains(String text) { return 0; }
    @Override public Integer backupId(String id) { return 0; }
    @Override public Integer attribute(Attribute attribute, String value) { return 0; }
    @Override public Integer tag(String key, List<String> values) { return 0; }
    @Override public Integer stalled() { return 0; }

    @Override
    public Integer and(List<BackupPredicate> operands) {
      return 1 + operands.stream().mapToInt(p -> p.accept(this)).max().orElse(0);
    }

    @Override
    public Integer or(List<BackupPredicate> operands) {
      return and(operands);
    }

    @Override
    public Integer not(BackupPredicate operand) {
      return 1 + operand.accept(this);
    }
  }

  /** Collects what kinds of node and which values the generated trees hold. */
  private static final class Leaves implements PredicateVisitor<Void> {
    final Set<String> kinds = new HashSet<>();
    final Set<Attribute> attributes = EnumSet.noneOf(Attribute.class);
    final Set<Integer> statusSizes = new HashSet<>();
    final List<String> backupIds = new ArrayList<>();
    final List<String> nameKeywords = new ArrayList<>();
    final Set<Integer> tagValueLists = new HashSet<>();
    final List<TimeRange> ranges = new ArrayList<>();
    int tagPatterns;

    @Override public Void all() { kinds.add("all"); return null; }
    @Override public Void none() { kinds.add("none"); return null; }

    @Override
    public Void status(Set<BackupStatus> statuses) {
      kinds.add("status");
      statusSizes.add(statuses.size());
      return null;
    }

    @Override
    public Void createdIn(TimeRange range) {
      kinds.add("createdIn");
      ranges.add(range);
      return null;
    }

    @Override public Void createdWithinLast(Duration window) { kinds.add("createdWithinLast"); return null; }

    @Override
    public Void nameContains(String text) {
      kinds.add("nameContains");
      nameKeywords.add(text);
      return null;
    }

    @Override public Void serverNameContains(String text) { kinds.add("serverNameContains"); return null; }

    @Override
    public Void backupId(String id) {
      kinds.add("backupId");
      backupIds.add(id);
      return null;
    }

    @Override
    public Void attribute(Attribute attribute, String value) {
      kinds.add("attribute");
      attributes.add(attribute);
      return null;
    }

    @Override
    public Void tag(String key, List<String> values) {
      kinds.add("tag");
      tagValueLists.add(values.size());
      tagPatterns += (int) values.stream().filter(v -> v.startsWith("*")).count();
      return null;
    }

    @Override public Void stalled() { kinds.add("stalled"); return null; }

    @Override
    public Void and(List<BackupPredicate> operands) {
      kinds.add("and");
      operands.forEach(p -> p.accept(this));
      return null;
    }

    @Override
    public Void or(List<BackupPredicate> operands) {
      kinds.add("or");
      operands.forEach(p -> p.accept(this));
      return null;
    }

    @Override
    public Void not(BackupPredicate operand) {
      kinds.add("not");
      operand.accept(this);
      return null;
    }
  }
}
