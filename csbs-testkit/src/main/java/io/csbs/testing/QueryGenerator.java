package io.csbs.testing;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Tag;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TimeRange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Seeded generator of random, valid search criteria and queries, drawn from a given list of backups
 * so that the criteria often hit real values: the same seed and the same backups, in the same
 * order, always give the same sequence (the states, names and markers are drawn by position in the
 * list).
 *
 * <p>Criteria are trees of depth at most 3 of and, or and not over every kind of leaf: one or
 * several states; creation time ranges with inclusive or exclusive bounds, sometimes open on one
 * side, their bounds often exactly some backup's creation time; relative windows ({@code created
 * within last}); name and server name substrings of existing names in random case, and random text;
 * backup ids that exist and that do not; each {@link Attribute} with existing and other values; tags
 * by key and value, by key only, and by several values including {@code *substring} patterns;
 * stalled. Queries add a sort (the default half of the time, else one to three distinct keys in
 * random directions), a limit (1 to 50, sometimes up to 1000) and sometimes an offset or a marker
 * (the id of one of the backups).
 *
 * <pre>{@code
 * List<Backup> backups = BackupGenerator.withSeed(seed).backups(300);
 * QueryGenerator queries = QueryGenerator.create(seed, backups);
 * for (int i = 0; i < 100; i++) {
 *   Query query = queries.nextQuery();
 *   assertEquals(reference.query("project-0", query), catalog.query("project-0", query));
 * }
 * }</pre>
 *
 * <p>Markers are drawn from all the given backups; for a catalog with several projects, give the
 * generator the backups of the project you query, so that markers name backups of that project.
 * Not thread-safe: use one generator per thread.
 */
public final class QueryGenerator {
  /** The deepest nesting of and, or and not. */
  public static final int MAX_DEPTH = 3;

  private static final String WORD_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
  private static final Duration[] WINDOWS = {
    Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(6), Duration.ofDays(1), Duration.ofDays(7),
    Duration.ofDays(30), Duration.ofDays(90), Duration.ofDays(365), Duration.ofDays(3650)
  };

  private final SplittableRandom random;
  private final List<Backup> backups;
  private final List<String> names;
  private final List<String> serverNames;
  private final List<String> ids;
  private final List<Instant> createdTimes;
  private final Instant earliest;
  private final Instant latest;
  private final Map<Attribute, List<String>> attributeValues = new EnumMap<>(Attribute.class);
  private final List<String> tagKeys;
  private final Map<String, List<String>> tagValues;

  private QueryGenerator(long seed, List<Backup> backups) {
    this.random = new SplittableRandom(seed);
    this.backups = List.copyOf(backups);
    TreeSet<String> names = new TreeSet<>();
    TreeSet<String> serverNames = new TreeSet<>();
    TreeSet<String> ids = new TreeSet<>();
    TreeSet<Instant> created = new TreeSet<>();
    Map<Attribute, TreeSet<String>> attributes = new EnumMap<>(Attribute.class);
    for (Attribute attribute : Attribute.values()) {
      attributes.put(attribute, new TreeSet<>());
    }
    TreeMap<String, TreeSet<String>> tags = new TreeMap<>();
    for (Backup backup : this.backups) {
      names.add(backup.name());
      serverNames.add(backup.server().name());
      ids.add(backup.id());
      created.add(backup.createdAt());
      for (Attribute attribute : Attribute.values()) {
        String value = attribute.valueOf(backup);
        if (value != null) {
          attributes.get(attribute).add(value);
        }
      }
      for (Tag tag : backup.tags()) {
        tags.computeIfAbsent(tag.key(), k -> new TreeSet<>()).add(tag.value());
      }
    }
    this.names = List.copyOf(names);
    this.serverNames = List.copyOf(serverNames);
    this.ids = List.copyOf(ids);
    this.createdTimes = List.copyOf(created);
    this.earliest = created.isEmpty() ? FakeClock.DEFAULT_START.minus(Duration.ofDays(365)) : created.first();
    this.latest = created.isEmpty() ? FakeClock.DEFAULT_START : created.last();
    attributes.forEach((attribute, values) -> attributeValues.put(attribute, List.copyOf(values)));
    this.tagKeys = List.copyOf(tags.keySet());
    this.tagValues = new TreeMap<>();
    tags.forEach((key, values) -> tagValues.put(key, List.copyOf(values)));
  }

  /**
   * A generator with {@code seed} whose criteria draw their values from {@code backups} (copied; may
   * be empty, then every value is made up).
   *
   * @param seed the seed of the generator's random numbers
   * @param backups the backups whose values the criteria use
   * @return the generator
   */
  public static QueryGenerator create(long seed, List<Backup> backups) {
    return new QueryGenerator(seed, requireNonNull(backups, "backups"));
  }

  /** {@return a random criterion: a leaf, or a tree of and, or and not at most {@value #MAX_DEPTH} deep} */
  public BackupPredicate nextPredicate() {
    return predicate(0);
  }

  /**
   * A random query: {@link #nextPredicate()}, {@link #nextSort()}, a limit of 1 to 50 (sometimes up
   * to 1000), and a third of the time each an offset or a marker (the id of one of the backups).
   *
   * @return the query
   */
  public Query nextQuery() {
    Query.Builder query = Query.builder().where(nextPredicate()).sort(nextSort()).limit(nextLimit());
    int paging = random.nextInt(3);
    if (paging == 1) {
      int bound = Math.max(1, backups.size() + 5);
      query.offset(random.nextBoolean() ? random.nextInt(Math.min(bound, 10)) : random.nextInt(bound));
    } else if (paging == 2 && !ids.isEmpty()) {
      query.marker(pick(backups).id());
    }
    return query.build();
  }

  /**
   * A random sort: the default half of the time, else one to three distinct keys, random
   * directions.
   *
   * @return the sort
   */
  public Sort nextSort() {
    if (random.nextBoolean()) {
      return Sort.DEFAULT;
    }
    List<SortField> fields = new ArrayList<>(Arrays.asList(SortField.values()));
    shuffle(fields);
    int size = 1 + random.nextInt(3);
    List<SortKey> keys = new ArrayList<>();
    for (SortField field : fields.subList(0, size)) {
      keys.add(new SortKey(field, random.nextBoolean()));
    }
    return Sort.by(keys);
  }

  private int nextLimit() {
    return random.nextInt(10) == 0 ? 1 + random.nextInt(1000) : 1 + random.nextInt(50);
  }

  private BackupPredicate predicate(int depth) {
    if (depth < MAX_DEPTH && random.nextInt(100) < (depth == 0 ? 60 : 35)) {
      int kind = random.nextInt(5);
      if (kind == 0) {
        return Predicates.not(predicate(depth + 1));
      }
      List<BackupPredicate> operands = new ArrayList<>();
      int size = 2 + random.nextInt(2);
      for (int i = 0; i < size; i++) {
        operands.add(predicate(depth + 1));
      }
      return kind <= 2 ? Predicates.and(operands) : Predicates.or(operands);
    }
    return leaf();
  }

  private BackupPredicate leaf() {
    switch (random.nextInt(12)) {
      case 0:
        return status();
      case 1:
        return Predicates.createdIn(timeRange());
      case 2:
        return Predicates.createdWithinLast(window());
      case 3:
        return Predicates.nameContains(keyword(names));
      case 4:
        return Predicates.serverNameContains(keyword(serverNames));
      case 5:
        return Predicates.backupId(ids.isEmpty() || random.nextInt(4) == 0 ? madeUpId() : pick(ids));
      case 6:
      case 7:
        return attribute();
      case 8:
      case 9:
        return tag();
      case 10:
        return Predicates.stalled();
      default:
        return random.nextInt(8) == 0 ? (random.nextBoolean() ? Predicates.all() : Predicates.none()) : status();
    }
  }

  private BackupPredicate status() {
    List<BackupStatus> statuses = new ArrayList<>(Arrays.asList(BackupStatus.values()));
    if (random.nextBoolean() && !backups.isEmpty()) {
      // a state that exists, usually Available in a realistic list
      return Predicates.status(pick(backups).status());
    }
    shuffle(statuses);
    return Predicates.status(EnumSet.copyOf(statuses.subList(0, 1 + random.nextInt(4))));
  }

  private TimeRange timeRange() {
    Instant from = random.nextInt(4) == 0 ? null : instant();
    Instant to = random.nextInt(4) == 0 ? null : instant();
    boolean fromInclusive = random.nextBoolean();
    boolean toInclusive = random.nextBoolean();
    if (from != null && to != null) {
      if (random.nextInt(10) == 0) {
        to = from; // a single instant, both bounds inclusive
      }
      if (from.isAfter(to)) {
        Instant swap = from;
        from = to;
        to = swap;
      }
      if (from.equals(to)) {
        fromInclusive = true;
        toInclusive = true;
      }
    }
    return TimeRange.of(from, fromInclusive, to, toInclusive);
  }

  /** Half of the time exactly some backup's creation time, else anywhere around the backups' span. */
  private Instant instant() {
    if (!createdTimes.isEmpty() && random.nextBoolean()) {
      Instant exact = pick(createdTimes);
      switch (random.nextInt(6)) {
        case 0:
          return exact.equals(Instant.MIN) ? exact : exact.minusNanos(1);
        case 1:
          return exact.equals(Instant.MAX) ? exact : exact.plusNanos(1);
        default:
          return exact;
      }
    }
    long span = Math.max(1, Duration.between(earliest, latest).getSeconds());
    long margin = span / 10 + 1;
    // in epoch seconds, kept within the instants there are: backups may be created at Instant.MIN or
    // near Instant.MAX, where a margin around them reached past the ends (a DateTimeException)
    long second = Math.max(Instant.MIN.getEpochSecond(), earliest.getEpochSecond() - margin)
        + random.nextLong(span + 2 * margin);
    Instant drawn = Instant.ofEpochSecond(Math.min(second, Instant.MAX.getEpochSecond()), earliest.getNano());
    int nanos = random.nextInt(1_000_000_000);
    boolean fits = drawn.getEpochSecond() < Instant.MAX.getEpochSecond() || drawn.getNano() + nanos <= Instant.MAX.getNano();
    return fits ? drawn.plusNanos(nanos) : Instant.MAX;
  }

  private Duration window() {
    return random.nextInt(4) == 0
        ? Duration.ofSeconds(1 + random.nextLong(400L * 24 * 3600))
        : WINDOWS[random.nextInt(WINDOWS.length)];
  }

  /** A substring of an existing text in random case, sometimes the whole text, else made-up text. */
  private String keyword(List<String> texts) {
    if (texts.isEmpty() || random.nextInt(5) == 0) {
      return randomWord(1 + random.nextInt(6));
    }
    String text = pick(texts);
    String part;
    if (random.nextInt(6) == 0) {
      part = text;
    } else {
      int start = random.nextInt(text.length());
      int end = start + 1 + random.nextInt(Math.min(8, text.length() - start));
      part = wholeLetters(text, start, end);
    }
    // a server's name may hold half of a surrogate pair alone, which no keyword may: left out
    part = withoutLoneSurrogates(part);
    if (part.isBlank()) {
      return randomWord(3);
    }
    return randomCase(part);
  }

  private BackupPredicate attribute() {
    Attribute attribute = Attribute.values()[random.nextInt(Attribute.values().length)];
    switch (attribute) {
      case BACKUP_TYPE:
        return Predicates.attribute(attribute, BackupType.values()[random.nextInt(BackupType.values().length)].name());
      case TRIGGER:
        return Predicates.attribute(
            attribute, BackupTrigger.values()[random.nextInt(BackupTrigger.values().length)].name());
      default:
        List<String> values = attributeValues.get(attribute);
        if (values.isEmpty() || random.nextInt(5) == 0) {
          return Predicates.attribute(attribute, random.nextBoolean() ? madeUpId() : randomWord(1 + random.nextInt(10)));
        }
        return Predicates.attribute(attribute, pick(values));
    }
  }

  private BackupPredicate tag() {
    boolean knownKey = !tagKeys.isEmpty() && random.nextInt(6) != 0;
    String key = knownKey ? pick(tagKeys) : randomWord(1 + random.nextInt(12));
    List<String> known = knownKey ? tagValues.get(key) : List.of();
    switch (random.nextInt(4)) {
      case 0:
        return Predicates.tagKey(key);
      case 1: {
        List<String> values = new ArrayList<>();
        int size = 1 + random.nextInt(4);
        for (int i = 0; i < size; i++) {
          values.add(tagValuePattern(known));
        }
        return Predicates.tag(key, values);
      }
      default:
        return Predicates.tag(key, tagValue(known));
    }
  }

  /** An existing value most of the time, else made up; now and then the empty value. */
  private String tagValue(List<String> known) {
    int roll = random.nextInt(10);
    if (roll == 0) {
      return "";
    }
    if (known.isEmpty() || roll < 3) {
      return randomWord(1 + random.nextInt(8));
    }
    return pick(known);
  }

  /** A tag value, or half of the time a {@code *substring} pattern of one (rarely {@code *} alone). */
  private String tagValuePattern(List<String> known) {
    if (random.nextBoolean()) {
      return tagValue(known);
    }
    if (random.nextInt(15) == 0) {
      return "*";
    }
    String value = known.isEmpty() || random.nextInt(4) == 0 ? randomWord(1 + random.nextInt(3)) : pick(known);
    if (value.isEmpty()) {
      return "*";
    }
    int start = random.nextInt(value.length());
    int end = start + 1 + random.nextInt(value.length() - start);
    return "*" + wholeLetters(value, start, end);
  }

  /**
   * {@code text}'s chars from {@code start} to {@code end}, widened so as not to cut a letter outside
   * the Basic Multilingual Plane (two chars) in half: a keyword or tag value holding half of one is
   * refused.
   */
  private static String wholeLetters(String text, int start, int end) {
    if (start > 0 && Character.isLowSurrogate(text.charAt(start)) && Character.isHighSurrogate(text.charAt(start - 1))) {
      start--;
    }
    if (end < text.length() && Character.isLowSurrogate(text.charAt(end)) && Character.isHighSurrogate(text.charAt(end - 1))) {
      end++;
    }
    return text.substring(start, end);
  }

  private static String withoutLoneSurrogates(String text) {
    StringBuilder kept = new StringBuilder(text.length());
    text.codePoints()
        .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
        .forEach(kept::appendCodePoint);
    return kept.toString();
  }

  private String madeUpId() {
    return "no-such-" + Long.toHexString(random.nextLong());
  }

  private String randomWord(int length) {
    StringBuilder word = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      word.append(WORD_CHARS.charAt(random.nextInt(WORD_CHARS.length())));
    }
    return word.toString();
  }

  private String randomCase(String text) {
    StringBuilder mixed = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      mixed.append(random.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
    }
    return mixed.toString();
  }

  private <T> T pick(List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  private <T> void shuffle(List<T> values) {
    for (int i = values.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      T swap = values.get(i);
      values.set(i, values.get(j));
      values.set(j, swap);
    }
  }

  /** {@code QueryGenerator{300 backups}}. */
  @Override
  public String toString() {
    return "QueryGenerator{" + backups.size() + " backups}";
  }
}
