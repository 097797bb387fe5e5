package io.csbs.benchmarks;

import static com.googlecode.cqengine.query.QueryFactory.applyThresholds;
import static com.googlecode.cqengine.query.QueryFactory.ascending;
import static com.googlecode.cqengine.query.QueryFactory.attribute;
import static com.googlecode.cqengine.query.QueryFactory.between;
import static com.googlecode.cqengine.query.QueryFactory.contains;
import static com.googlecode.cqengine.query.QueryFactory.descending;
import static com.googlecode.cqengine.query.QueryFactory.equal;
import static com.googlecode.cqengine.query.QueryFactory.greaterThan;
import static com.googlecode.cqengine.query.QueryFactory.greaterThanOrEqualTo;
import static com.googlecode.cqengine.query.QueryFactory.in;
import static com.googlecode.cqengine.query.QueryFactory.lessThan;
import static com.googlecode.cqengine.query.QueryFactory.lessThanOrEqualTo;
import static com.googlecode.cqengine.query.QueryFactory.nullableAttribute;
import static com.googlecode.cqengine.query.QueryFactory.orderBy;
import static com.googlecode.cqengine.query.QueryFactory.queryOptions;
import static com.googlecode.cqengine.query.QueryFactory.threshold;

import com.googlecode.cqengine.ConcurrentIndexedCollection;
import com.googlecode.cqengine.IndexedCollection;
import com.googlecode.cqengine.attribute.MultiValueAttribute;
import com.googlecode.cqengine.attribute.SimpleAttribute;
import com.googlecode.cqengine.attribute.SimpleNullableAttribute;
import com.googlecode.cqengine.attribute.support.MultiValueFunction;
import com.googlecode.cqengine.attribute.support.SimpleFunction;
import com.googlecode.cqengine.index.hash.HashIndex;
import com.googlecode.cqengine.index.navigable.NavigableIndex;
import com.googlecode.cqengine.index.unique.UniqueIndex;
import com.googlecode.cqengine.query.QueryFactory;
import com.googlecode.cqengine.query.logical.And;
import com.googlecode.cqengine.query.logical.Not;
import com.googlecode.cqengine.query.logical.Or;
import com.googlecode.cqengine.query.option.AttributeOrder;
import com.googlecode.cqengine.query.option.EngineThresholds;
import com.googlecode.cqengine.query.option.QueryOptions;
import com.googlecode.cqengine.resultset.ResultSet;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.PredicateVisitor;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TimeRange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@link Engine#CQENGINE} and {@link Engine#CQENGINE_INDEX_ORDERING}: one CQEngine {@code
 * ConcurrentIndexedCollection} per project, queried with the csbs predicate translated to a CQEngine
 * query by a {@link PredicateVisitor}.
 *
 * <p>Indexes: hash on status, navigable on the creation time (epoch microseconds), hash on tags
 * (multi-valued {@code key=value}), hash on the server id, unique on the backup id. Leaves without an
 * index (name and server name substrings, the other attributes) are CQEngine attributes that it
 * filters on; leaves CQEngine cannot express (stalled jobs, tag key or wildcard value) are a boolean
 * attribute that evaluates the csbs leaf. Order: creation time, then id, in the sort's direction.
 * The total is a second retrieval of the same query without ordering, the way a CQEngine user gets a
 * count (sizing the ordered result set would sort again).
 *
 * <p>A change ({@link #apply}) is what a CQEngine user does for a new state: look the backup up by
 * its id (unique index), compare its version, compute the next version with the csbs transition,
 * then {@code update(remove the old, add the new)} on the {@code ConcurrentIndexedCollection}. That
 * collection is safe for concurrent readers and writers but has no isolation: a query running
 * during the update may see neither version or both (its {@code TransactionalIndexedCollection}
 * would isolate them, at a cost not measured here). The version check and the update are two steps,
 * so two writers of one backup need a lock of their own; the benchmarks run one writer.
 */
final class CqEngine implements BacklistEngine {
  static final SimpleAttribute<Backup, String> ID = simple(String.class, "id", Backup::id);
  static final SimpleAttribute<Backup, BackupStatus> STATUS =
      simple(BackupStatus.class, "status", Backup::status);
  static final SimpleAttribute<Backup, Long> CREATED_AT =
      simple(Long.class, "createdAt", b -> micros(b.createdAt()));
  static final SimpleAttribute<Backup, Long> UPDATED_AT =
      simple(Long.class, "updatedAt", b -> micros(b.updatedAt()));
  static final SimpleAttribute<Backup, String> NAME = simple(String.class, "name", Backup::name);
  static final SimpleAttribute<Backup, String> NAME_LOWER_CASE =
      simple(String.class, "nameLowerCase", b -> b.name().toLowerCase(Locale.ROOT));
  static final SimpleAttribute<Backup, String> SERVER_NAME_LOWER_CASE = simple(
      String.class, "serverNameLowerCase", b -> b.server().name().toLowerCase(Locale.ROOT));
  static final MultiValueAttribute<Backup, String> TAGS =
      multiValued("tags", CqEngine::tagPairs);
  /** One attribute per {@link Attribute}; the policy id may be missing. */
  static final Map<Attribute, com.googlecode.cqengine.attribute.Attribute<Backup, String>> ATTRIBUTES =
      new EnumMap<>(Attribute.class);

  static {
    for (Attribute attribute : Attribute.values()) {
      ATTRIBUTES.put(attribute,
          nullable(String.class, "attribute:" + attribute.name(), attribute::valueOf));
    }
  }

  private final Instant now;
  private final boolean indexOrdering;

  // typed helpers: with lambdas, QueryFactory's simple and multi-valued overloads are ambiguous
  private static <A> SimpleAttribute<Backup, A> simple(Class<A> type, String name, SimpleFunction<Backup, A> function) {
    return attribute(Backup.class, type, name, function);
  }

  private static <A> SimpleNullableAttribute<Backup, A> nullable(
      Class<A> type, String name, SimpleFunction<Backup, A> function) {
    return nullableAttribute(Backup.class, type, name, function);
  }

  private static MultiValueAttribute<Backup, String> multiValued(
      String name, MultiValueFunction<Backup, String, List<String>> function) {
    return attribute(Backup.class, String.class, name, function);
  }
  private final Map<String, IndexedCollection<Backup>> byProject = new HashMap<>();

  CqEngine(Instant now, boolean indexOrdering) {
    this.now = now;
    this.indexOrdering = indexOrdering;
  }

  /** A collection with the indexes this engine queries. */
  static IndexedCollection<Backup> newCollection() {
    IndexedCollection<Backup> collection = new ConcurrentIndexedCollection<>();
    collection.addIndex(HashIndex.onAttribute(STATUS));
    collection.addIndex(NavigableIndex.onAttribute(CREATED_AT));
    collection.addIndex(HashIndex.onAttribute(TAGS));
    collection.addIndex(HashIndex.onAttribute(ATTRIBUTES.get(Attribute.SERVER_ID)));
    collection.addIndex(UniqueIndex.onAttribute(ID));
    return collection;
  }

  static long micros(Instant instant) {
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000);
  }

  static List<String> tagPairs(Backup backup) {
    List<Tag> tags = backup.tags();
    List<String> pairs = new ArrayList<>(tags.size());
    for (Tag tag : tags) {
      pairs.add(tag.key() + "=" + tag.value());
    }
    return pairs;
  }

  @Override
  public void load(List<Backup> backups) {
    Map<String, List<Backup>> grouped = new HashMap<>();
    for (Backup backup : backups) {
      grouped.computeIfAbsent(backup.projectId(), p -> new ArrayList<>()).add(backup);
    }
    grouped.forEach((projectId, list) -> byProject.computeIfAbsent(projectId, p -> newCollection()).addAll(list));
  }

  @Override
  public Hits page(String projectId, Query query) {
    IndexedCollection<Backup> collection = byProject.get(projectId);
    if (collection == null) {
      if (query.marker().isPresent()) {
        throw new IllegalArgumentException("unknown marker " + query.marker().get());
      }
      return new Hits(List.of(), 0);
    }
    com.googlecode.cqengine.query.Query<Backup> where = translate(query.predicate());
    com.googlecode.cqengine.query.Query<Backup> pageWhere = where;
    if (query.marker().isPresent()) {
      pageWhere = and(where, after(collection, query.marker().get(), query.sort()));
    }
    List<Backup> page = new ArrayList<>(query.limit());
    try (ResultSet<Backup> results = collection.retrieve(pageWhere, options(query.sort()))) {
      Iterator<Backup> iterator = results.iterator();
      for (long skipped = 0; skipped < query.offset() && iterator.hasNext(); skipped++) {
        iterator.next();
      }
      while (page.size() < query.limit() && iterator.hasNext()) {
        page.add(iterator.next());
      }
    }
    return new Hits(page, size(collection, where));
  }

  @Override
  public long count(String projectId, BackupPredicate predicate) {
    IndexedCollection<Backup> collection = byProject.get(projectId);
    return collection == null ? 0 : size(collection, translate(predicate));
  }

  @Override
  public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
    Backup stored = stored(projectId, backupId, expectedVersion);
    Optional<Backup> next = transition.applyTo(stored, now);
    // remove before add: the unique index on the id refuses a second backup with the same id
    byProject.get(projectId).update(List.of(stored), next.map(List::of).orElse(List.of()));
    return next;
  }

  /** The stored backup at {@code expectedVersion}, found by its id (the unique index), as a change needs it. */
  private Backup stored(String projectId, String backupId, long expectedVersion) {
    IndexedCollection<Backup> collection = byProject.get(projectId);
    Backup stored = collection == null ? null : byId(collection, backupId);
    if (stored == null) {
      throw new BackupNotFoundException(projectId, backupId);
    }
    if (stored.version() != expectedVersion) {
      throw new VersionConflictException(backupId, expectedVersion, stored.version());
    }
    return stored;
  }

  @Override
  public Optional<Backup> find(String projectId, String backupId) {
    IndexedCollection<Backup> collection = byProject.get(projectId);
    return Optional.ofNullable(collection == null ? null : byId(collection, backupId));
  }

  /** Adds a backup: a unique-index check of its id, then {@code add}. */
  @Override
  public void add(Backup backup) {
    IndexedCollection<Backup> collection = byProject.computeIfAbsent(backup.projectId(), p -> newCollection());
    if (byId(collection, backup.id()) != null) {
      throw new io.csbs.catalog.DuplicateBackupException(backup.projectId(), backup.id());
    }
    collection.add(backup);
  }

  /** Removes a backup: a lookup by id, a version check, then {@code remove}. */
  @Override
  public void remove(String projectId, String backupId, long expectedVersion) {
    byProject.get(projectId).remove(stored(projectId, backupId, expectedVersion));
  }

  private static Backup byId(IndexedCollection<Backup> collection, String backupId) {
    try (ResultSet<Backup> found = collection.retrieve(equal(ID, backupId))) {
      return found.isEmpty() ? null : found.uniqueResult();
    }
  }

  private static long size(IndexedCollection<Backup> collection, com.googlecode.cqengine.query.Query<Backup> where) {
    try (ResultSet<Backup> results = collection.retrieve(where)) {
      return results.size();
    }
  }

  private QueryOptions options(Sort sort) {
    List<AttributeOrder<Backup>> orders = new ArrayList<>();
    boolean hasId = false;
    for (SortKey key : sort.keys()) {
      com.googlecode.cqengine.attribute.Attribute<Backup, ? extends Comparable<?>> attribute = sortAttribute(key.field());
      orders.add(key.ascending() ? ascending(attribute) : descending(attribute));
      hasId |= key.field() == SortField.ID;
    }
    if (!hasId) {
      orders.add(sort.keys().get(0).ascending() ? ascending(ID) : descending(ID));
    }
    if (indexOrdering) {
      return queryOptions(orderBy(orders), applyThresholds(threshold(EngineThresholds.INDEX_ORDERING_SELECTIVITY, 1.0)));
    }
    return queryOptions(orderBy(orders));
  }

  private static com.googlecode.cqengine.attribute.Attribute<Backup, ? extends Comparable<?>> sortAttribute(SortField field) {
    switch (field) {
      case CREATED_AT:
        return CREATED_AT;
      case UPDATED_AT:
        return UPDATED_AT;
      case NAME:
        return NAME;
      case STATUS:
        return STATUS;
      default:
        return ID;
    }
  }

  /** The backups strictly after the marker in {@code sort}'s order. */
  private com.googlecode.cqengine.query.Query<Backup> after(
      IndexedCollection<Backup> collection, String marker, Sort sort) {
    Backup markerBackup;
    try (ResultSet<Backup> found = collection.retrieve(equal(ID, marker))) {
      if (found.isEmpty()) {
        throw new IllegalArgumentException("unknown marker " + marker);
      }
      markerBackup = found.uniqueResult();
    }
    if (sort.isDefault()) {
      // newest first: created before the marker, or at the same time with a smaller id; the top-level
      // bound on the creation time lets index ordering start its walk at the marker
      long created = micros(markerBackup.createdAt());
      return and(lessThanOrEqualTo(CREATED_AT, created),
          QueryFactory.or(lessThan(CREATED_AT, created), lessThan(ID, markerBackup.id())));
    }
    Comparator<Backup> order = sort.comparator();
    return equal(simple(Boolean.class, "after:" + marker + ":" + sort,
        b -> order.compare(b, markerBackup) > 0), Boolean.TRUE);
  }

  /** {@code a AND b}, flattening ands so that range bounds stay at the top level. */
  private static com.googlecode.cqengine.query.Query<Backup> and(
      com.googlecode.cqengine.query.Query<Backup> a, com.googlecode.cqengine.query.Query<Backup> b) {
    List<com.googlecode.cqengine.query.Query<Backup>> operands = new ArrayList<>();
    for (com.googlecode.cqengine.query.Query<Backup> operand : List.of(a, b)) {
      if (operand instanceof And) {
        operands.addAll(((And<Backup>) operand).getChildQueries());
      } else {
        operands.add(operand);
      }
    }
    return new And<>(operands);
  }

  com.googlecode.cqengine.query.Query<Backup> translate(BackupPredicate predicate) {
    return predicate.accept(new Translator(now));
  }

  /** Translates a csbs predicate tree to a CQEngine query at a fixed "now". */
  static final class Translator implements PredicateVisitor<com.googlecode.cqengine.query.Query<Backup>> {
    private final Instant now;

    Translator(Instant now) {
      this.now = now;
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> all() {
      return QueryFactory.all(Backup.class);
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> none() {
      return QueryFactory.none(Backup.class);
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> status(Set<BackupStatus> statuses) {
      return in(STATUS, statuses);
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> createdIn(TimeRange range) {
      Long from = range.start().map(CqEngine::micros).orElse(null);
      Long to = range.end().map(CqEngine::micros).orElse(null);
      if (from != null && to != null) {
        return between(CREATED_AT, from, range.startInclusive(), to, range.endInclusive());
      } else if (from != null) {
        return range.startInclusive() ? greaterThanOrEqualTo(CREATED_AT, from) : greaterThan(CREATED_AT, from);
      } else if (to != null) {
        return range.endInclusive() ? lessThanOrEqualTo(CREATED_AT, to) : lessThan(CREATED_AT, to);
      }
      return all();
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> createdWithinLast(Duration window) {
      return between(CREATED_AT, micros(now.minus(window)), true, micros(now), true);
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> nameContains(String text) {
      return contains(NAME_LOWER_CASE, text.toLowerCase(Locale.ROOT));
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> serverNameContains(String text) {
      return contains(SERVER_NAME_LOWER_CASE, text.toLowerCase(Locale.ROOT));
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> backupId(String id) {
      return equal(ID, id);
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> attribute(Attribute attribute, String value) {
      return equal(ATTRIBUTES.get(attribute), value);
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> tag(String key, List<String> values) {
      if (values.isEmpty() || values.stream().anyMatch(v -> v.startsWith("*"))) {
        return filter(io.csbs.query.Predicates.tag(key, values));
      }
      List<String> pairs = new ArrayList<>();
      for (String value : values) {
        pairs.add(key + "=" + value);
      }
      return in(TAGS, pairs);
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> stalled() {
      return filter(io.csbs.query.Predicates.stalled());
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> and(List<BackupPredicate> operands) {
      return new And<>(translateAll(operands));
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> or(List<BackupPredicate> operands) {
      return new Or<>(translateAll(operands));
    }

    @Override
    public com.googlecode.cqengine.query.Query<Backup> not(BackupPredicate operand) {
      return new Not<>(operand.accept(this));
    }

    private List<com.googlecode.cqengine.query.Query<Backup>> translateAll(List<BackupPredicate> operands) {
      List<com.googlecode.cqengine.query.Query<Backup>> queries = new ArrayList<>(operands.size());
      for (BackupPredicate operand : operands) {
        queries.add(operand.accept(this));
      }
      return queries;
    }

    /** A leaf CQEngine cannot express: an unindexed boolean attribute that runs the csbs test. */
    private com.googlecode.cqengine.query.Query<Backup> filter(BackupPredicate leaf) {
      Instant at = now;
      return equal(simple(Boolean.class, "csbs:" + leaf,
          b -> leaf.test(b, at, StallRule.DEFAULT)), Boolean.TRUE);
    }
  }
}
