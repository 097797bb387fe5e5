package io.csbs.testing;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Tag;
import io.csbs.query.Attribute;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.KeywordField;
import io.csbs.query.ListQueryString;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortKey;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.query.TimeRange;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Seeded generator of invalid search inputs, each paired with what the library must say about it:
 * the exception and, for an {@link InvalidValueException}, the {@linkplain InvalidValueException#field()
 * field} it names. Every method returns one case for each kind of mistake it covers, with its values
 * drawn at random (and, for a query string, among random valid parameters in random order); half of
 * the time a limit is broken by the smallest margin (a limit of 1001, 11 values, a 37-char tag key).
 * The same seed always gives the same cases.
 *
 * <pre>{@code
 * InvalidInputs invalid = InvalidInputs.withSeed(seed);
 * for (InvalidInputs.Case bad : invalid.all()) {
 *   bad.assertRefused();  // AssertionError naming the case unless it throws as declared
 * }
 * // or test your own HTTP layer with the raw query strings:
 * for (InvalidInputs.Case bad : invalid.listQueryStrings()) {
 *   Response response = client.get("/v1/project-1/checkpoint_items?" + bad.input());
 *   assertEquals(400, response.status(), bad.toString());
 *   assertTrue(response.body().contains(bad.expectedField().orElseThrow()), bad.toString());
 * }
 * }</pre>
 *
 * <p>The case {@code bad percent-encoding in name} ({@code name=x%zz}, {@code %2} or a lone {@code
 * %}) is not a valid URI: {@code java.net.URI} and the JDK's {@code HttpClient} refuse it before any
 * request is sent. Send it with a client that writes the request line as given (a raw socket, or
 * your framework's test client), or call {@code ListQueryString.parse(bad.input())} for it.
 *
 * <p>What it covers: the list API's query string ({@link #listQueryStrings()}), the predicate DSL
 * ({@link #predicates()}), the {@link Query} builder ({@link #queries()}), the console's search form
 * ({@link #consoleSearches()}), the tag API's body ({@link #tagFilters()}), time ranges ({@link
 * #timeRanges()}) and sorts ({@link #sorts()}). Not thread-safe: use one generator per thread.
 */
public final class InvalidInputs {
  private static final String WORD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-";
  /** Names that look like list parameters but are not. */
  private static final String[] UNKNOWN_PARAMETERS = {
    "colour", "page", "per_page", "project_id", "sort_key", "sort_dir", "tags", "status_in", "q", "created_at"
  };
  /** Statuses a user might try, none of the API's nine. */
  private static final String[] BAD_STATUSES = {"paused", "all", "creating", "stalled", "done", "waiting", "ok"};
  private static final String[] BAD_TIMES = {
    "2017-04-18", "2017-04-18T01:21:52Z", "2017-04-18T01:21:52%2B08:00", "2017-13-01T00:00:00",
    "2017-02-30T00:00:00", "2017-04-18+01:21:52", "yesterday", "1492478512", "2017-04-18T25:00:00",
    "2017-04-18T01:21:52.1234567890", "18.04.2017"
  };
  private static final String[] NOT_NUMBERS = {"ten", "1.5", "0x10", "1e3", "%2B5", "99999999999999999999", "5%20"};
  /** The kinds of bad sort texts {@link #sorts()} covers: the kind, then texts of that kind. */
  private static final String[][] BAD_SORT_KINDS = {
    {"unknown field", "size:asc", "created:desc", "Name:asc", "server_name"},
    {"bad direction", "created_at:up", "name:ASCENDING", "status:", "updated_at:descending"},
    {"too many colons", "name:asc:desc", "created_at::desc", "id:asc:"},
    {"a field twice", "name,name", "created_at:desc,created_at:asc", "status,id,status:desc"},
    {"an empty key", "created_at:desc,", ":asc", ",", "name,,id"}
  };
  private static final String[] BAD_TAG_CHARS = {" ", "=", ".", "/", "!", "*", ":", "@", "+"};
  private static final String[] TAG_FILTER_GROUPS = {"tags", "tags_any", "not_tags", "not_tags_any"};
  private static final Instant BASE = FakeClock.DEFAULT_START;
  private static final DateTimeFormatter API_SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT);

  private final SplittableRandom random;

  private InvalidInputs(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /**
   * {@return a generator with {@code seed}}
   *
   * @param seed the seed that picks the bad values
   */
  public static InvalidInputs withSeed(long seed) {
    return new InvalidInputs(seed);
  }

  /** {@return the cases of every method below, in the order they are documented} */
  public List<Case> all() {
    List<Case> cases = new ArrayList<>();
    cases.addAll(listQueryStrings());
    cases.addAll(predicates());
    cases.addAll(queries());
    cases.addAll(consoleSearches());
    cases.addAll(tagFilters());
    cases.addAll(timeRanges());
    cases.addAll(sorts());
    return cases;
  }

  // ---------------------------------------------------------------- list API query string

  /**
   * Bad query strings of the list API, for {@link ListQueryString#parse(String)}; the case's {@link
   * Case#input() input} is the raw query string, and the field the parameter it must name: an unknown
   * parameter; a repeated one; an empty value; a malformed {@code start_time} or {@code end_time}; a
   * start after the end; a limit of 0, above 1000 or not a number; a negative offset; a marker with an
   * offset; an unknown status; a bad sort; a blank name; bad percent-encoding; a pair without a name.
   *
   * @return the cases
   */
  public List<Case> listQueryStrings() {
    List<Case> cases = new ArrayList<>();
    String unknown = pick(UNKNOWN_PARAMETERS);
    cases.add(queryString("unknown parameter " + unknown, unknown, List.of(unknown + "=" + word(1, 8))));
    String repeated = pick(new String[] {"status", "name", "limit", "sort", "az", "resource_type", "marker"});
    cases.add(queryString("parameter " + repeated + " given twice", repeated,
        List.of(repeated + "=" + validValue(repeated), repeated + "=" + validValue(repeated))));
    String emptied = pick(ListQueryString.PARAMETERS.toArray(new String[0]));
    cases.add(queryString("empty value of " + emptied, emptied, List.of(emptied + "=")));
    String timeParameter = random.nextBoolean() ? "start_time" : "end_time";
    String badTime = pick(BAD_TIMES);
    cases.add(queryString("malformed " + timeParameter + " " + badTime, timeParameter,
        List.of(timeParameter + "=" + badTime)));
    Instant end = BASE.minusSeconds(random.nextInt(1, 365 * 86_400));
    Instant start = end.plusSeconds(random.nextInt(1, 30 * 86_400));
    cases.add(queryString("start_time after end_time", "start_time",
        List.of("start_time=" + apiTime(start), "end_time=" + apiTime(end)), "start_time", "end_time"));
    cases.add(queryString("limit 0", "limit", List.of("limit=0")));
    cases.add(queryString("limit above 1000", "limit", List.of("limit=" + edge(Query.MAX_LIMIT + 1, 100_000))));
    cases.add(queryString("limit not a whole number", "limit", List.of("limit=" + pick(NOT_NUMBERS))));
    cases.add(queryString("negative offset", "offset", List.of("offset=-" + edge(1, 1000))));
    cases.add(queryString("marker together with offset", "marker",
        List.of("marker=" + uuid(), "offset=" + random.nextInt(1, 100)), "marker", "offset"));
    cases.add(queryString("unknown status", "status", List.of("status=" + pick(BAD_STATUSES))));
    cases.add(queryString("bad sort", "sort", List.of("sort=" + badSort(pick(BAD_SORT_KINDS)))));
    cases.add(queryString("blank name", "name", List.of("name=" + pick(new String[] {"%20", "+", "%20%20", "%09"}))));
    cases.add(queryString("bad percent-encoding in name", "name", List.of("name=" + word(1, 5) + pick(new String[] {"%zz", "%2", "%"}))));
    cases.add(queryString("a pair without a name", "query string", List.of("=" + word(1, 5))));
    return cases;
  }

  /**
   * A query string of {@code bad} pairs among 0 to 4 valid ones (never the parameters the case uses,
   * nor marker with offset, so that the bad pairs are the only mistake), in random order.
   */
  private Case queryString(String description, String field, List<String> bad, String... alsoUsed) {
    List<String> excluded = new ArrayList<>(List.of(alsoUsed));
    for (String pair : bad) {
      excluded.add(pair.substring(0, pair.indexOf('=')));
    }
    if (excluded.contains("offset")) {
      excluded.add("marker"); // a marker with an offset is a mistake of its own, and reported first
    }
    List<String> candidates = new ArrayList<>();
    for (String parameter : ListQueryString.PARAMETERS) {
      if (!excluded.contains(parameter) && !parameter.equals("end_time") && !parameter.equals("offset")) {
        candidates.add(parameter); // start_time brings its end_time, marker stands for "marker or offset"
      }
    }
    shuffle(candidates);
    List<String> pairs = new ArrayList<>(bad);
    int extra = random.nextInt(5);
    for (String parameter : candidates.subList(0, Math.min(extra, candidates.size()))) {
      if (parameter.equals("start_time")) {
        if (excluded.contains("end_time")) {
          continue;
        }
        Instant from = BASE.minusSeconds(random.nextInt(86_400, 365 * 86_400));
        pairs.add("start_time=" + apiTime(from));
        pairs.add("end_time=" + apiTime(from.plusSeconds(random.nextInt(0, 30 * 86_400))));
      } else if (parameter.equals("marker") && !excluded.contains("offset") && random.nextBoolean()) {
        pairs.add("offset=" + random.nextInt(0, 500));
      } else {
        pairs.add(parameter + "=" + validValue(parameter));
      }
    }
    shuffle(pairs);
    String raw = String.join("&", pairs);
    return new Case(description, raw, InvalidValueException.class, field, () -> ListQueryString.parse(raw));
  }

  /** A valid, already encoded value of a list parameter. */
  private String validValue(String parameter) {
    switch (parameter) {
      case "status":
        return pick(new String[] {"available", "error", "protecting", "waiting_restore", "deleting", "deleted"});
      case "name":
        return pick(new String[] {"autobk", "manualbk_", "AUTO", "bk_0"}) + word(0, 3);
      case "resource_id":
      case "checkpoint_id":
      case "policy_id":
      case "marker":
        return uuid();
      case "resource_name":
        return "ecs-" + word(1, 6);
      case "az":
        return "eu-de-0" + random.nextInt(1, 4);
      case "resource_type":
        return "OS%3A%3ANova%3A%3AServer";
      case "sort":
        return pick(new String[] {"created_at:desc", "name:asc", "created_at:asc,name:desc", "status", "id:desc"});
      case "limit":
        return String.valueOf(random.nextInt(1, 1001));
      default:
        throw new IllegalArgumentException(parameter);
    }
  }

  /** The API's form, {@code 2017-04-18T01:21:52.701973}, with 0 to 6 digits of fraction. */
  private String apiTime(Instant instant) {
    String seconds = API_SECONDS.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
    int digits = random.nextInt(0, 7);
    return digits == 0 ? seconds : seconds + "." + String.format(Locale.ROOT, "%06d", random.nextInt(1_000_000)).substring(0, digits);
  }

  // ---------------------------------------------------------------- predicates

  /**
   * Bad arguments of {@link Predicates}: a blank keyword; a keyword over 255 chars; 11 values for one
   * tag key; a tag key or value with a character outside letters, digits, {@code _} and {@code -}; a
   * blank tag key; a key over 36 chars; a value over 43 chars; a window that is zero or negative, or
   * over 100 years; no status; a blank attribute; a type or trigger that is not one.
   *
   * @return the cases
   */
  public List<Case> predicates() {
    List<Case> cases = new ArrayList<>();
    KeywordField field = KeywordField.values()[random.nextInt(KeywordField.values().length)];
    String blank = pick(new String[] {"", " ", "   ", "\t", "\n "});
    cases.add(code("blank keyword", "Predicates.keyword(" + field + ", " + quote(blank) + ")", "keyword",
        () -> Predicates.keyword(field, blank)));
    String tooLongKeyword = word(edge(Predicates.MAX_KEYWORD_LENGTH + 1, 300));
    cases.add(code("keyword over 255 chars", "Predicates.nameContains(<" + tooLongKeyword.length() + " chars>)", "keyword",
        () -> Predicates.nameContains(tooLongKeyword)));
    List<String> values = distinctWords(edge(Predicates.MAX_TAG_VALUES + 1, 15));
    String key = tagKey();
    cases.add(code(values.size() + " values for one tag key", "Predicates.tag(" + quote(key) + ", " + values + ")",
        "tag values", () -> Predicates.tag(key, values)));
    String badKey = withBadChar(tagKey());
    cases.add(code("tag key with a bad character", "Predicates.tag(" + quote(badKey) + ", \"prod\")", "tag key",
        () -> Predicates.tag(badKey, "prod")));
    String badValue = withBadChar(word(1, 10));
    cases.add(code("tag value with a bad character", "Predicates.tag(\"env\", " + quote(badValue) + ")", "tag value",
        () -> Predicates.tag("env", badValue)));
    cases.add(code("blank tag key", "Predicates.tagKey(" + quote(blank) + ")", "tag key", () -> Predicates.tagKey(blank)));
    String longKey = word(edge(Tag.MAX_KEY_LENGTH + 1, 60));
    cases.add(code("tag key over 36 chars", "Predicates.tagKey(<" + longKey.length() + " chars>)", "tag key",
        () -> Predicates.tagKey(longKey)));
    String longValue = word(edge(Tag.MAX_VALUE_LENGTH + 1, 80));
    cases.add(code("tag value over 43 chars", "Predicates.tag(\"env\", <" + longValue.length() + " chars>)", "tag value",
        () -> Predicates.tag("env", longValue)));
    Duration nonPositive = random.nextBoolean() ? Duration.ZERO : Duration.ofSeconds(-random.nextInt(1, 1_000_000));
    cases.add(code("window not positive", "Predicates.createdWithinLast(" + nonPositive + ")", "time window",
        () -> Predicates.createdWithinLast(nonPositive)));
    Duration tooLong = Predicates.MAX_WINDOW.plusDays(random.nextInt(1, 10_000));
    cases.add(code("window over 100 years", "Predicates.createdWithinLast(" + tooLong + ")", "time window",
        () -> Predicates.createdWithinLast(tooLong)));
    cases.add(code("no status", "Predicates.status([])", "status",
        () -> Predicates.status(EnumSet.noneOf(BackupStatus.class))));
    Attribute attribute = Attribute.values()[random.nextInt(Attribute.values().length)];
    cases.add(code("blank " + attribute, "Predicates.attribute(" + attribute.name() + ", " + quote(blank) + ")",
        attribute.toString(), () -> Predicates.attribute(attribute, blank)));
    boolean type = random.nextBoolean();
    Attribute constant = type ? Attribute.BACKUP_TYPE : Attribute.TRIGGER;
    String notOne = type ? pick(new String[] {"FAST", "common", "FULL", "INCREMENTAL"})
        : pick(new String[] {"SCHEDULED", "manual", "POLICY", "AUTO"});
    cases.add(code(constant + " that is not one", "Predicates.attribute(" + constant.name() + ", " + quote(notOne) + ")",
        constant.toString(), () -> Predicates.attribute(constant, notOne)));
    return cases;
  }

  // ---------------------------------------------------------------- query builder

  /**
   * Bad values of the {@link Query} builder: a limit below 1 or above 1000, a negative offset, a blank
   * marker, a marker with an offset.
   *
   * @return the cases
   */
  public List<Case> queries() {
    List<Case> cases = new ArrayList<>();
    int low = -edge(0, 1000);
    cases.add(code("limit below 1", "Query.builder().limit(" + low + ")", "limit", () -> Query.builder().limit(low)));
    int high = edge(Query.MAX_LIMIT + 1, 1_000_000);
    cases.add(code("limit above 1000", "Query.builder().limit(" + high + ")", "limit", () -> Query.builder().limit(high)));
    long offset = random.nextBoolean() ? -1 : -random.nextLong(1, Long.MAX_VALUE);
    cases.add(code("negative offset", "Query.builder().offset(" + offset + ")", "offset",
        () -> Query.builder().offset(offset)));
    String blank = pick(new String[] {"", " ", "\t"});
    cases.add(code("blank marker", "Query.builder().marker(" + quote(blank) + ")", "marker",
        () -> Query.builder().marker(blank)));
    String marker = uuid();
    long positive = random.nextLong(1, 10_000);
    cases.add(code("marker with an offset",
        "Query.builder().marker(" + quote(marker) + ").offset(" + positive + ").build()", "marker",
        () -> Query.builder().marker(marker).offset(positive).build()));
    return cases;
  }

  // ---------------------------------------------------------------- console search

  /**
   * Bad uses of the console's search form: an 11th tag pair; a tag key, or a value of an existing key,
   * that the project's {@link TagCatalogue} does not hold (checked by {@code toPredicate}); a last-days
   * window of 0 or less; a blank keyword; no status; a page limit out of range.
   *
   * @return the cases
   */
  public List<Case> consoleSearches() {
    List<Case> cases = new ArrayList<>();
    List<String> keys = distinctWords(ConsoleSearch.MAX_TAGS + 1);
    ConsoleSearch full = ConsoleSearch.empty();
    for (String key : keys.subList(0, ConsoleSearch.MAX_TAGS)) {
      full = full.withTag(key, word(0, 8));
    }
    ConsoleSearch tenPairs = full;
    String eleventh = keys.get(ConsoleSearch.MAX_TAGS);
    cases.add(code("an 11th tag pair", tenPairs + ".withTag(" + quote(eleventh) + ", \"x\")", "tags",
        () -> tenPairs.withTag(eleventh, "x")));
    TagCatalogue existing = tagCatalogue();
    String unknownKey = unlike(existing.keys());
    ConsoleSearch withUnknownKey = ConsoleSearch.empty().withTag(unknownKey, "prod");
    cases.add(code("tag key not in the project", withUnknownKey + ".toPredicate(" + existing + ")", "tag key",
        () -> withUnknownKey.toPredicate(existing)));
    String knownKey = pick(existing.keys().toArray(new String[0]));
    String unknownValue = unlike(existing.values(knownKey));
    ConsoleSearch withUnknownValue = ConsoleSearch.empty().withTag(knownKey, unknownValue);
    cases.add(code("tag value not in the project", withUnknownValue + ".toPredicate(" + existing + ")", "tag value",
        () -> withUnknownValue.toPredicate(existing)));
    int days = -random.nextInt(0, 400);
    cases.add(code("last days not positive", "ConsoleSearch.empty().withLastDays(" + days + ")", "time window",
        () -> ConsoleSearch.empty().withLastDays(days)));
    KeywordField field = KeywordField.values()[random.nextInt(KeywordField.values().length)];
    String blank = pick(new String[] {"", " ", "  \t"});
    cases.add(code("blank keyword", "ConsoleSearch.empty().withKeyword(" + field + ", " + quote(blank) + ")", "keyword",
        () -> ConsoleSearch.empty().withKeyword(field, blank)));
    cases.add(code("no status", "ConsoleSearch.empty().withStatuses([])", "status",
        () -> ConsoleSearch.empty().withStatuses(List.of())));
    int limit = random.nextBoolean() ? -edge(0, 100) : edge(Query.MAX_LIMIT + 1, 5000);
    cases.add(code("page limit out of range", "ConsoleSearch.empty().toQuery(" + existing + ", " + limit + ")", "limit",
        () -> ConsoleSearch.empty().toQuery(existing, limit)));
    return cases;
  }

  /** A tag key or value that is not among {@code existing}. */
  private String unlike(java.util.Set<String> existing) {
    String word;
    do {
      word = "no-" + word(1, 10);
    } while (existing.contains(word));
    return word;
  }

  /** Two to five keys, each with one to four values. */
  private TagCatalogue tagCatalogue() {
    Map<String, List<String>> valuesByKey = new TreeMap<>();
    for (String key : distinctWords(random.nextInt(2, 6))) {
      valuesByKey.put(key, distinctWords(random.nextInt(1, 5)));
    }
    return TagCatalogue.of(valuesByKey);
  }

  // ---------------------------------------------------------------- tag filter

  /**
   * Bad bodies of the tag API, for the {@link TagFilter} builder: 11 keys in a group, a key twice in a
   * group, 11 values for a key, a key with a bad character, {@code matches} with another key than
   * {@code resource_name} or a blank value, a limit out of range, a negative offset, an unknown action;
   * and the limit set twice, a programming error ({@link IllegalStateException}, no field).
   *
   * @return the cases
   */
  public List<Case> tagFilters() {
    List<Case> cases = new ArrayList<>();
    String group = pick(TAG_FILTER_GROUPS);
    List<String> keys = distinctWords(TagFilter.MAX_KEYS + 1);
    cases.add(code("11 keys in " + group, "TagFilter.builder()." + group + "(k, ...) for " + keys, group, () -> {
      TagFilter.Builder filter = TagFilter.builder();
      for (String key : keys) {
        addToGroup(filter, group, key, List.of());
      }
    }));
    String repeatedGroup = pick(TAG_FILTER_GROUPS);
    String key = tagKey();
    cases.add(code("key twice in " + repeatedGroup,
        "TagFilter.builder()." + repeatedGroup + "(" + quote(key) + ")." + repeatedGroup + "(" + quote(key) + ")",
        repeatedGroup, () -> {
          TagFilter.Builder filter = TagFilter.builder();
          addToGroup(filter, repeatedGroup, key, List.of("a"));
          addToGroup(filter, repeatedGroup, key, List.of("b"));
        }));
    String valuesGroup = pick(TAG_FILTER_GROUPS);
    List<String> values = distinctWords(edge(TagFilter.MAX_VALUES + 1, 20));
    cases.add(code(values.size() + " values for one key in " + valuesGroup,
        "TagFilter.builder()." + valuesGroup + "(\"env\", " + values + ")", valuesGroup,
        () -> addToGroup(TagFilter.builder(), valuesGroup, "env", values)));
    String badKey = withBadChar(tagKey());
    String badKeyGroup = pick(TAG_FILTER_GROUPS);
    cases.add(code("tag key with a bad character in " + badKeyGroup,
        "TagFilter.builder()." + badKeyGroup + "(" + quote(badKey) + ")", "tag key",
        () -> addToGroup(TagFilter.builder(), badKeyGroup, badKey, List.of())));
    String otherKey = pick(new String[] {"name", "resource_id", "checkpoint_name", "resource-name", "tags"});
    cases.add(code("matches with key " + otherKey, "TagFilter.builder().matches(" + quote(otherKey) + ", \"autobk\")",
        "matches", () -> TagFilter.builder().matches(otherKey, "autobk")));
    String blank = pick(new String[] {"", " ", "\t"});
    cases.add(code("matches with a blank value", "TagFilter.builder().matches(\"resource_name\", " + quote(blank) + ")",
        "matches", () -> TagFilter.builder().matches(TagFilter.RESOURCE_NAME, blank)));
    int limit = random.nextBoolean() ? -edge(0, 100) : edge(Query.MAX_LIMIT + 1, 5000);
    cases.add(code("limit out of range", "TagFilter.builder().limit(" + limit + ")", "limit",
        () -> TagFilter.builder().limit(limit)));
    long offset = -edge(1, 1_000_000);
    cases.add(code("negative offset", "TagFilter.builder().offset(" + offset + ")", "offset",
        () -> TagFilter.builder().offset(offset)));
    String action = pick(new String[] {"delete", "list", "FILTERS", "sum", ""});
    cases.add(code("unknown action", "TagFilter.Action.parse(" + quote(action) + ")", "action",
        () -> TagFilter.Action.parse(action)));
    int first = random.nextInt(1, 1001);
    int second = random.nextInt(1, 1001);
    cases.add(new Case("limit set twice", "TagFilter.builder().limit(" + first + ").limit(" + second + ")",
        IllegalStateException.class, null, () -> TagFilter.builder().limit(first).limit(second)));
    return cases;
  }

  private static void addToGroup(TagFilter.Builder filter, String group, String key, List<String> values) {
    switch (group) {
      case "tags":
        filter.tags(key, values);
        break;
      case "tags_any":
        filter.tagsAny(key, values);
        break;
      case "not_tags":
        filter.notTags(key, values);
        break;
      default:
        filter.notTagsAny(key, values);
    }
  }

  // ---------------------------------------------------------------- time ranges and sorts

  /**
   * Empty ranges, refused by {@link TimeRange}: a start after the end, whatever the bounds; equal
   * bounds with one of them exclusive.
   *
   * @return the cases
   */
  public List<Case> timeRanges() {
    List<Case> cases = new ArrayList<>();
    Instant end = BASE.minusSeconds(random.nextLong(0, 10L * 365 * 86_400)).minusNanos(random.nextInt(1_000_000_000));
    Instant start = end.plusNanos(random.nextLong(1, 40L * 86_400 * 1_000_000_000L));
    boolean startInclusive = random.nextBoolean();
    boolean endInclusive = random.nextBoolean();
    cases.add(code("start after end", "TimeRange.of(" + start + ", " + startInclusive + ", " + end + ", " + endInclusive + ")",
        "time range", () -> TimeRange.of(start, startInclusive, end, endInclusive)));
    cases.add(code("start after end", "TimeRange.between(" + start + ", " + end + ")", "time range",
        () -> TimeRange.between(start, end)));
    boolean exclusiveStart = random.nextBoolean();
    boolean exclusiveEnd = !exclusiveStart || random.nextBoolean();
    cases.add(code("equal bounds, one exclusive",
        "TimeRange.of(" + end + ", " + !exclusiveStart + ", " + end + ", " + !exclusiveEnd + ")", "time range",
        () -> TimeRange.of(end, !exclusiveStart, end, !exclusiveEnd)));
    return cases;
  }

  /**
   * Bad sorts: texts {@link Sort#parse} refuses (an unknown field, a bad direction, too many colons, a
   * field twice, an empty key, an empty or blank text), and {@link Sort#by(List)} of no keys: seven
   * cases, each naming {@code sort}.
   *
   * @return the cases
   */
  public List<Case> sorts() {
    List<Case> cases = new ArrayList<>();
    for (String[] kind : BAD_SORT_KINDS) {
      String text = badSort(kind);
      cases.add(code("bad sort text: " + kind[0], "Sort.parse(" + quote(text) + ")", "sort", () -> Sort.parse(text)));
    }
    String empty = pick(new String[] {"", " "});
    cases.add(code("empty sort text", "Sort.parse(" + quote(empty) + ")", "sort", () -> Sort.parse(empty)));
    List<SortKey> none = List.of();
    cases.add(code("no sort keys", "Sort.by([])", "sort", () -> Sort.by(none)));
    return cases;
  }

  /** A text of this kind of {@link #BAD_SORT_KINDS}. */
  private String badSort(String[] kind) {
    return kind[random.nextInt(1, kind.length)];
  }

  // ---------------------------------------------------------------- values

  private static Case code(String description, String input, String field, Runnable action) {
    return new Case(description, input, InvalidValueException.class, field, action);
  }

  private String tagKey() {
    return pick(new String[] {"env", "app", "team", "owner", "cost-center", "tier"});
  }

  /** {@code text} with a character that tags refuse inside it (not at an end, where it would be trimmed). */
  private String withBadChar(String text) {
    int at = random.nextInt(0, text.length() + 1);
    return "x" + text.substring(0, at) + pick(BAD_TAG_CHARS) + text.substring(at) + "x";
  }

  private List<String> distinctWords(int count) {
    TreeSet<String> words = new TreeSet<>();
    while (words.size() < count) {
      words.add(word(1, 12));
    }
    List<String> shuffled = new ArrayList<>(words);
    shuffle(shuffled);
    return shuffled;
  }

  /** Half of the time {@code edge}, the first value that breaks a limit; else up to {@code max}. */
  private int edge(int edge, int max) {
    return random.nextBoolean() ? edge : random.nextInt(edge, max + 1);
  }

  /** {@code min} to {@code max} letters, digits, {@code _} or {@code -}. */
  private String word(int min, int max) {
    return word(random.nextInt(min, max + 1));
  }

  /** {@code length} letters, digits, {@code _} or {@code -}. */
  private String word(int length) {
    StringBuilder word = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      word.append(WORD_CHARS.charAt(random.nextInt(WORD_CHARS.length())));
    }
    return word.toString();
  }

  private String uuid() {
    return new java.util.UUID(random.nextLong(), random.nextLong()).toString();
  }

  private <T> T pick(T[] values) {
    return values[random.nextInt(values.length)];
  }

  private <T> void shuffle(List<T> values) {
    for (int i = values.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      T swap = values.get(i);
      values.set(i, values.get(j));
      values.set(j, swap);
    }
  }

  private static String quote(String text) {
    return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\t", "\\t").replace("\n", "\\n") + '"';
  }

  /**
   * One invalid input and what the library must say about it: the exception type and, for an {@link
   * InvalidValueException}, the field its message and {@link InvalidValueException#field()} name.
   *
   * <pre>{@code
   * InvalidInputs.Case bad = InvalidInputs.withSeed(1).listQueryStrings().get(0);
   * bad.input();          // an unknown parameter among valid ones, e.g. "sort=name:asc&colour=k3x"
   * bad.expectedField();  // Optional[colour], that parameter
   * bad.assertRefused();  // passes: ListQueryString.parse refuses it naming "colour"
   * }</pre>
   */
  public static final class Case {
    private final String description;
    private final String input;
    private final Class<? extends RuntimeException> expectedException;
    private final String expectedField;
    private final Runnable action;

    Case(String description, String input, Class<? extends RuntimeException> expectedException,
        String expectedField, Runnable action) {
      this.description = requireNonNull(description, "description");
      this.input = requireNonNull(input, "input");
      this.expectedException = requireNonNull(expectedException, "expectedException");
      if (expectedField != null && !InvalidValueException.class.isAssignableFrom(expectedException)) {
        throw new IllegalArgumentException("a field is named only by an InvalidValueException, not " + expectedException);
      }
      this.expectedField = expectedField;
      this.action = requireNonNull(action, "action");
    }

    /** {@return what is wrong with the input, for example {@code limit above 1000}} */
    public String description() {
      return description;
    }

    /**
     * The input as a user gives it: for a list query string the raw string, to feed your own HTTP
     * layer; otherwise the library call, written as Java, for messages.
     *
     * @return the input, as text
     */
    public String input() {
      return input;
    }

    /** {@return the exception the library must throw} */
    public Class<? extends RuntimeException> expectedException() {
      return expectedException;
    }

    /** {@return the field the {@link InvalidValueException} must name; empty for other exceptions} */
    public Optional<String> expectedField() {
      return Optional.ofNullable(expectedField);
    }

    /**
     * The call that gives the input to the library; it must throw as declared.
     *
     * @return the call that must throw
     */
    public Runnable action() {
      return action;
    }

    /**
     * Runs the {@link #action()} and checks that it throws the expected exception, naming the expected
     * field both in {@link InvalidValueException#field()} and at the start of its message.
     *
     * @throws AssertionError naming this case otherwise, with what was thrown as its cause
     */
    public void assertRefused() {
      RuntimeException thrown = null;
      try {
        action.run();
      } catch (RuntimeException e) {
        thrown = e;
      }
      if (thrown == null) {
        throw new AssertionError(this + ": accepted, nothing was thrown");
      }
      if (!expectedException.isInstance(thrown)) {
        throw new AssertionError(this + ": threw " + thrown, thrown);
      }
      if (expectedField != null) {
        String field = ((InvalidValueException) thrown).field();
        if (!expectedField.equals(field)) {
          throw new AssertionError(this + ": named field '" + field + "' (" + thrown.getMessage() + ")", thrown);
        }
        if (!thrown.getMessage().startsWith(expectedField + " ")) {
          throw new AssertionError(this + ": the message does not start with the field: " + thrown.getMessage(), thrown);
        }
      }
    }

    /** {@code limit above 1000: limit=1784&status=error -> InvalidValueException naming limit}. */
    @Override
    public String toString() {
      return description + ": " + input + " -> " + expectedException.getSimpleName()
          + (expectedField != null ? " naming " + expectedField : "");
    }
  }
}
