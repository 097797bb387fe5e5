package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.query.BackupPredicate;
import io.csbs.query.KeywordField;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TagFilter;
import io.csbs.query.TimeRange;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.usage.UsageQuery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's adversarial review of "same answers" between {@link PostgresCatalog}, {@link
 * PostgresReplica} and the in-memory catalog ({@code Catalogs.indexed}), with the testkit's
 * ReferenceCatalog as a fourth opinion, for odd TEXT (LIKE and regex metacharacters, whitespace,
 * case-folding oddities of many scripts, letters outside the BMP) and ODD ORDERS (case-only, accent,
 * BMP edge and digit differences, ties). The promises checked: README "A durable, shared catalog:
 * csbs-postgres" ("PostgresCatalog implements BackupCatalog, so everything above works on it ...
 * every search, sort, page and total is compiled to SQL") and the javadoc of {@link PostgresCatalog}
 * ("Names match ignoring case as toLowerCase(Locale.ROOT) does, and names and ids sort char by char
 * (COLLATE "C"), as the in-memory catalog does for every name of the Basic Multilingual Plane").
 *
 * <p>Generated cases use a seeded {@link Random}: the seed is printed in every failure; replay with
 * {@code -Dcsbs.text.seed=<seed>}.
 */
class NewUserPostgresTextTest {
  private static final int STORE = 29;
  private static final long SEED = Long.getLong("csbs.text.seed", System.nanoTime());
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00.123456Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String P = "p";

  /** Letters (Character.isLetterOrDigit), digits, '_' and '-': what names, tag keys and values may hold. */
  static final String[] WORD_PIECES = {
      "a", "A", "z", "Z", "i", "I", "k", "K", "s", "S", "ss", "SS", "fi", "FI",
      "ß", "ẞ",                 // German sharp s, small and capital
      "İ", "ı",                 // Turkish dotted capital I (lower case is two chars) and dotless small i
      "Σ", "σ", "ς",            // Greek sigma, capital, small, final
      "ﬁ", "ﬀ",                 // ligatures (upper case is two letters)
      "Ꭰ", "ꭰ",                 // Cherokee A and its small form
      "Ა", "ა",                 // Georgian Mtavruli AN and Mkhedruli an
      "ǅ", "ǆ", "Ǆ", "ǈ",       // titlecase digraphs
      "Ⱥ", "ⱥ",                 // A with stroke: lower case is 3 bytes of UTF-8, upper 2
      "K", "Å", "Ω", "ϴ",       // Kelvin, Angstrom, Ohm, theta symbol: lower case is another block
      "ΐ", "ŉ",                 // upper case is three or two chars
      "é", "E", "É", "e",
      "𝒜", "𝓈",                // mathematical script letters, outside the BMP, no case
      "𐐀", "𐐨",                // Deseret: upper and lower case both outside the BMP
      "0", "1", "9", "10", "٣", // digits, and an Arabic-Indic digit
      "_", "-", "__", "_-",
      "\uFFDA", "\uFFA0",       // Halfwidth Hangul letters near the end of the BMP
  };

  /** Text the keyword box and server names may hold beyond words. */
  static final String[] TEXT_PIECES = {
      "%", "_", "\\", "[", "]", "*", ".", "'", "\"", " ", "\t", "\n", "%_", "\\%", "\\_", "[a]", ".*", "^", "$",
      "i\u0307", "\u0307", "e\u0301", "  ", "?", "(", "|", "+", "{1}", "\r", "\u00A0",
  };

  private DataSource ds;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final Random random = new Random(SEED);

  @BeforeEach
  void emptyStore() {
    ds = TestDatabase.dataSource(STORE);
    TestDatabase.truncate(ds);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    toClose.clear();
  }

  // --- the four catalogs ------------------------------------------------------------------------

  /** The catalogs compared, the in-memory one first (the one the docs describe). */
  private final class Catalogs4 {
    final BackupCatalog memory;
    final BackupCatalog reference;
    final PostgresCatalog database;
    PostgresReplica replica;

    Catalogs4() {
      this(CLOCK);
    }

    Catalogs4(Clock clock) {
      memory = Catalogs.indexed(clock);
      reference = ReferenceCatalog.create(clock);
      database = PostgresCatalog.builder(ds).clock(clock).pollInterval(Duration.ofMillis(20)).build();
      toClose.add(database);
    }

    Catalogs4 load(List<Backup> backups) {
      memory.addAll(backups);
      reference.addAll(backups);
      database.addAll(backups);
      replica = PostgresReplica.start(database);
      toClose.add(replica);
      return this;
    }

    Map<String, BackupCatalog> all() {
      Map<String, BackupCatalog> all = new LinkedHashMap<>();
      all.put("memory", memory);
      all.put("reference", reference);
      all.put("postgres", database);
      all.put("replica", replica);
      return all;
    }

    /** Each catalog's answer, or the exception it threw (its type and field), keyed by catalog. */
    Map<String, String> answers(Function<BackupCatalog, Object> read) {
      Map<String, String> answers = new LinkedHashMap<>();
      for (Map.Entry<String, BackupCatalog> c : all().entrySet()) {
        answers.put(c.getKey(), answer(() -> read.apply(c.getValue())));
      }
      return answers;
    }

    /** Null when all agree, else a line saying who answered what. */
    String disagreement(String what, Function<BackupCatalog, Object> read) {
      Map<String, String> answers = answers(read);
      if (new LinkedHashSet<>(answers.values()).size() == 1) {
        return null;
      }
      return what + " -> " + answers;
    }
  }

  private static String answer(java.util.function.Supplier<Object> read) {
    try {
      Object value = read.get();
      return value instanceof Page ? describe((Page) value) : String.valueOf(value);
    } catch (InvalidValueException e) {
      return "threw InvalidValueException field=" + e.field();
    } catch (RuntimeException e) {
      return "threw " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static String describe(Page page) {
    return page.ids() + " total " + page.total() + " more " + page.hasMore();
  }

  private static String show(String text) {
    StringBuilder out = new StringBuilder("\"");
    text.codePoints().forEach(cp -> {
      if (cp < 0x20 || cp > 0x7e) {
        out.append(String.format("\\u{%X}", cp));
      } else {
        out.append((char) cp);
      }
    });
    return out.append('"').toString();
  }

  private String seeded(List<String> failures) {
    return failures.size() + " disagreement(s), seed " + SEED + " (replay with -Dcsbs.text.seed=" + SEED + "):\n"
        + String.join("\n", failures.subList(0, Math.min(15, failures.size())));
  }

  // --- generators -------------------------------------------------------------------------------

  /** Whether generated text stays in the Basic Multilingual Plane, where the docs promise the same order. */
  private boolean bmpOnly;

  private String pick(String[] pieces) {
    while (true) {
      String piece = pieces[random.nextInt(pieces.length)];
      if (!bmpOnly || piece.length() == piece.codePointCount(0, piece.length())) {
        return piece;
      }
    }
  }

  private String word(int minPieces, int maxPieces) {
    StringBuilder w = new StringBuilder();
    int n = minPieces + random.nextInt(maxPieces - minPieces + 1);
    for (int i = 0; i < n; i++) {
      w.append(pick(WORD_PIECES));
    }
    return w.toString();
  }

  private String text(int minPieces, int maxPieces) {
    StringBuilder w = new StringBuilder();
    int n = minPieces + random.nextInt(maxPieces - minPieces + 1);
    for (int i = 0; i < n; i++) {
      w.append(random.nextInt(3) == 0 ? pick(TEXT_PIECES) : pick(WORD_PIECES));
    }
    String t = w.toString();
    return t.isBlank() ? t + "x" : t;
  }

  /** A part of {@code s} (whole code points), maybe with its case changed. */
  private String partOf(String s) {
    int[] cps = s.codePoints().toArray();
    int from = random.nextInt(cps.length);
    int to = from + 1 + random.nextInt(cps.length - from);
    String part = new String(cps, from, to - from);
    switch (random.nextInt(4)) {
      case 0:
        return part.toUpperCase(java.util.Locale.ROOT);
      case 1:
        return part.toLowerCase(java.util.Locale.ROOT);
      default:
        return part;
    }
  }

  private static Backup.Builder available(String id, String name, Server server, Instant created) {
    return Backup.builder().id(id).name(name).projectId(P).server(server).status(BackupStatus.AVAILABLE)
        .createdAt(created).sizeMb(1024);
  }

  private Sort randomSort() {
    List<SortField> fields = new ArrayList<>(List.of(SortField.values()));
    java.util.Collections.shuffle(fields, random);
    int n = 1 + random.nextInt(3);
    List<SortKey> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(random.nextBoolean() ? SortKey.asc(fields.get(i)) : SortKey.desc(fields.get(i)));
    }
    return Sort.by(keys);
  }

  /** A random sort; without the name when names may hold letters outside the BMP (the docs' limit). */
  private Sort nameSortUnlessOutsideBmp() {
    while (true) {
      Sort sort = randomSort();
      if (bmpOnly || sort.keys().stream().noneMatch(k -> k.field() == SortField.NAME)) {
        return sort;
      }
    }
  }

  /** Every page of the search, walked by marker or by offset, as one list of ids (and the totals seen). */
  private static String walk(BackupCatalog catalog, BackupPredicate p, Sort sort, int limit, boolean byMarker) {
    List<String> ids = new ArrayList<>();
    Set<Long> totals = new LinkedHashSet<>();
    Query q = Query.builder().where(p).sort(sort).limit(limit).build();
    for (int pages = 0; pages < 1000; pages++) {
      Page page = catalog.query(P, q);
      ids.addAll(page.ids());
      totals.add(page.total());
      if (!page.hasMore()) {
        return ids + " totals " + totals;
      }
      q = byMarker ? q.after(page.nextMarker().orElseThrow()) : q.toBuilder().offset(q.offset() + limit).build();
    }
    return "no end: " + ids;
  }

  // --- keyword searches ---------------------------------------------------------------------------

  private List<Backup> textData(int n) {
    List<Server> servers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      boolean bmp = bmpOnly;
      bmpOnly = true;   // ids sort as the docs promise only within the BMP
      String id = random.nextBoolean() ? "srv-" + word(1, 2) : "srv " + text(1, 3);
      bmpOnly = bmp;
      servers.add(Server.of(id, text(1, 5), random.nextBoolean() ? "az-" + word(1, 1) : "AZ " + text(1, 2)));
    }
    List<Backup> list = new ArrayList<>();
    Set<String> ids = new LinkedHashSet<>();
    for (int i = 0; i < n; i++) {
      boolean bmp = bmpOnly;
      bmpOnly = true;   // ids sort as the docs promise only within the BMP
      String id = "b" + i + (random.nextBoolean() ? text(0, 2) : "");
      bmpOnly = bmp;
      if (!ids.add(id)) {
        continue;
      }
      Backup.Builder b = available(id, word(1, 6), servers.get(random.nextInt(servers.size())),
          NOW.minusSeconds(random.nextInt(1000)));
      if (random.nextInt(3) == 0) {
        b.trigger(io.csbs.backup.BackupTrigger.AUTOMATIC).policyId("pol " + text(1, 2));
      }
      int tags = random.nextInt(4);
      Set<String> keys = new LinkedHashSet<>();
      for (int t = 0; t < tags; t++) {
        String key = word(1, 2);
        if (keys.add(key)) {
          b.addTags(Tag.of(key, random.nextInt(4) == 0 ? "" : word(1, 3)));
        }
      }
      list.add(b.build());
    }
    return list;
  }

  private List<BackupPredicate> textPredicates(List<Backup> data, int n) {
    List<BackupPredicate> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Backup b = data.get(random.nextInt(data.size()));
      String keyword;
      switch (random.nextInt(4)) {
        case 0:
          keyword = partOf(b.name());
          break;
        case 1:
          keyword = partOf(b.server().name());
          break;
        case 2:
          keyword = pick(TEXT_PIECES) + (random.nextBoolean() ? pick(WORD_PIECES) : "");
          break;
        default:
          keyword = pick(WORD_PIECES);
      }
      if (keyword.isBlank()) {
        keyword = keyword + "a";
      }
      try {
        out.add(textPredicate(b, keyword));
      } catch (InvalidValueException e) {
        // a blank part: not a search the API lets through
      }
    }
    return out;
  }

  private BackupPredicate textPredicate(Backup b, String keyword) {
    List<BackupPredicate> out = new ArrayList<>();
    {
      switch (random.nextInt(9)) {
        case 0:
          out.add(Predicates.nameContains(keyword));
          break;
        case 1:
          out.add(Predicates.serverNameContains(keyword));
          break;
        case 2:
          out.add(Predicates.keyword(KeywordField.values()[random.nextInt(4)], keyword));
          break;
        case 3:
          out.add(Predicates.keyword(KeywordField.BACKUP_ID, random.nextBoolean() ? b.id() : partOf(b.id()) + " "));
          break;
        case 4:
          out.add(Predicates.serverId(random.nextBoolean() ? b.server().id() : partOf(b.server().id())));
          break;
        case 5:
          out.add(Predicates.availabilityZone(random.nextBoolean() ? b.server().availabilityZone()
              : b.server().availabilityZone().toUpperCase(java.util.Locale.ROOT)));
          break;
        case 6:
          out.add(Predicates.policyId(b.policyId().orElse("pol " + pick(TEXT_PIECES))));
          break;
        default:
          out.add(tagPredicate(b));
      }
    }
    return out.get(0);
  }

  private BackupPredicate tagPredicate(Backup b) {
    List<Tag> tags = new ArrayList<>(b.tags());
    String key = tags.isEmpty() || random.nextInt(4) == 0 ? word(1, 1) : tags.get(random.nextInt(tags.size())).key();
    String value = tags.isEmpty() ? word(1, 1) : tags.get(random.nextInt(tags.size())).value();
    List<String> values = new ArrayList<>();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      switch (random.nextInt(4)) {
        case 0:
          values.add(value);
          break;
        case 1:
          values.add("*" + (value.isEmpty() ? "" : partOf(value)));
          break;
        case 2:
          values.add("*" + pick(WORD_PIECES));
          break;
        default:
          values.add(word(0, 2));
      }
    }
    return Predicates.tag(key, new ArrayList<>(new LinkedHashSet<>(values)));
  }

  /** Adds a line to {@code failures} when the catalogs disagree on {@code read}. */
  private static void check(List<String> failures, Catalogs4 c, String what, Function<BackupCatalog, Object> read) {
    String d = c.disagreement(what, read);
    if (d != null) {
      failures.add(d);
    }
  }

  private BackupPredicate combine(List<BackupPredicate> atoms) {
    BackupPredicate a = atoms.get(random.nextInt(atoms.size()));
    BackupPredicate b = atoms.get(random.nextInt(atoms.size()));
    switch (random.nextInt(5)) {
      case 0:
        return Predicates.and(a, b);
      case 1:
        return Predicates.or(a, b);
      case 2:
        return Predicates.not(a);
      case 3:
        return a;
      default:
        return Predicates.and(Predicates.not(a), Predicates.or(b, atoms.get(random.nextInt(atoms.size()))));
    }
  }

  // README csbs-postgres: "PostgresCatalog implements BackupCatalog, so everything above works on it
  // ... every search, sort, page and total is compiled to SQL"; PostgresCatalog javadoc: "Names match
  // ignoring case as toLowerCase(Locale.ROOT) does"; KeywordField: names "substring,
  // case-insensitive", ids "exact". Generated backups whose names, server names and ids hold LIKE and
  // regex metacharacters, quotes, whitespace and case-folding oddities (sharp s, Turkish i, sigma,
  // ligatures, Cherokee, Georgian, titlecase, Kelvin sign, letters outside the BMP); searched with
  // every KeywordField, name/server-name substrings, server id, zone, policy id and tags, alone and
  // combined: counts, pages (sorted by any key but the name, whose order outside the BMP the docs
  // leave open; ids stay in the BMP), usage and the tag catalogue agree.
  @Test
  void keywordAndExactSearchesOnOddTextAgree() {
    List<Backup> data = textData(120);
    Catalogs4 c = new Catalogs4().load(data);
    List<String> failures = new ArrayList<>();
    List<BackupPredicate> atoms = textPredicates(data, 500);
    for (BackupPredicate p : atoms) {
      check(failures, c, "count " + p, cat -> cat.count(P, p));
    }
    for (int i = 0; i < 250; i++) {
      Query q = Query.builder().where(combine(atoms)).sort(nameSortUnlessOutsideBmp()).limit(1 + random.nextInt(30))
          .offset(random.nextInt(3)).build();
      check(failures, c, "query " + q, cat -> cat.query(P, q));
    }
    for (int i = 0; i < 20; i++) {
      UsageQuery u = UsageQuery.of(combine(atoms), 0, 1000);
      check(failures, c, "usage " + u, cat -> cat.usage(P, u));
    }
    check(failures, c, "usage", cat -> cat.usage(P, UsageQuery.firstServers(1000)));
    check(failures, c, "tag catalogue", cat -> cat.tagCatalogue(P));
    check(failures, c, "count all projects", cat -> cat.countAllProjects(atoms.get(0)));
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  // Sort javadoc: "ties broken by id so that the order is total. The id tie-break runs in the
  // direction of the first key"; SortField.NAME/ID: "compared char by char (so upper case sorts before
  // lower case)"; PostgresCatalog javadoc: names and ids sort char by char "as the in-memory catalog
  // does for every name of the Basic Multilingual Plane"; BackupCatalog: "a marker continues strictly
  // after the marker backup's current place". Every SortField ascending and descending, and random
  // multi-key sorts, walked to the end by marker and by offset, over names and ids (BMP only, the
  // docs' limit) differing only in case, by accents, by digits, by trailing spaces and tabs, and by
  // the BMP's last chars, with equal creation and update times.
  @Test
  void everySortWalkedByMarkerAndOffsetAgreesWithinTheBmp() {
    bmpOnly = true;
    Instant t = NOW.minusSeconds(50);
    Server s = Server.of("s", "S", "az");
    List<Backup> data = new ArrayList<>();
    String[] names = {"a", "A", "á", "Á", "a1", "a10", "a2", "a02", "ab", "aB", "AB", "a_", "a-", "ß", "ss", "SS", "ẞ",
        "İ", "i", "ı", "I", "Σ", "σ", "ς", "ﬁ", "fi", "Ꭰ", "ꭰ", "Ა", "ა", "ǅ", "ǆ", "Ǆ", "\uFFDA", "\uFFA0", "K", "k"};
    String[] ids = {"x", "X", "x ", "x\t", "x  ", "x\u00A0", "x\uE000", "x\uFFFD", "x\uD7FF", "é", "e\u0301", "x1",
        "x10", "x9", "X ", "%", "_", "\\", "[", "*", ".", "'", "\"", "x\n", " x"};
    for (int i = 0; i < ids.length; i++) {
      Instant created = t.plusSeconds(i % 3);
      Backup.Builder b = Backup.builder().id(ids[i]).name(names[i % names.length]).projectId(P).server(s)
          .createdAt(created).sizeMb(7);
      if (i % 4 == 0 || i % 3 == 0) {
        b.status(i % 4 == 0 ? BackupStatus.CREATING : BackupStatus.RESTORING).progress(Progress.of(10, created.plusSeconds(1))).updatedAt(created.plusSeconds(1));
      } else {
        b.status(BackupStatus.AVAILABLE).updatedAt(created.plusSeconds(i % 2));
      }
      data.add(b.build());
    }
    for (int i = ids.length; i < ids.length + 30; i++) {
      Instant created = t.plusSeconds(random.nextInt(3));
      data.add(available(text(1, 3), word(1, 3), s, created).updatedAt(created.plusSeconds(random.nextInt(2))).build());
    }
    Map<String, Backup> unique = new LinkedHashMap<>();
    data.forEach(b -> unique.putIfAbsent(b.id(), b));
    Catalogs4 c = new Catalogs4().load(new ArrayList<>(unique.values()));
    List<String> failures = new ArrayList<>();
    List<Sort> sorts = new ArrayList<>();
    for (SortField f : SortField.values()) {
      sorts.add(Sort.by(SortKey.asc(f)));
      sorts.add(Sort.by(SortKey.desc(f)));
    }
    for (int i = 0; i < 8; i++) {
      sorts.add(randomSort());
    }
    for (Sort sort : sorts) {
      int limit = 1 + random.nextInt(7);
      check(failures, c, "whole list " + sort, cat -> cat.query(P, Query.builder().sort(sort).build()));
      check(failures, c, "walk by marker " + sort + " limit " + limit, cat -> walk(cat, Predicates.all(), sort, limit, true));
      check(failures, c, "walk by offset " + sort + " limit " + limit, cat -> walk(cat, Predicates.all(), sort, limit, false));
      BackupPredicate p = Predicates.nameContains(pick(new String[] {"a", "s", "i", "σ", "ǆ", "1"}));
      check(failures, c, "walk by marker " + sort + " where " + p, cat -> walk(cat, p, sort, limit, true));
      for (String marker : List.of("x ", "x\t", "X", "e\u0301", "é", "x\uFFFD")) {
        Query q = Query.builder().where(p).sort(sort).limit(limit).marker(marker).build();
        check(failures, c, "after " + show(marker) + " " + q, cat -> cat.query(P, q));
      }
    }
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  // PostgresCatalog javadoc: ids and names sort char by char "as the in-memory catalog does for every
  // name of the Basic Multilingual Plane": the docs leave the order of letters outside the BMP open
  // (Java compares UTF-16 chars, COLLATE "C" code points, so U+1D49C sorts before U+FFFD in memory and
  // after it in PostgreSQL). What stays promised there: the same backups, totals and ends of lists.
  @Test
  void lettersOutsideTheBmpChangeOnlyTheOrderTheDocsLeaveOpen() {
    Server s = Server.of("s", "S", "az");
    List<Backup> data = List.of(available("𝒜", "𝒜", s, NOW.minusSeconds(3)).build(),
        available("\uFFFD", "\uFFDA", s, NOW.minusSeconds(3)).build(),
        available("\uE000", "\uE000x".replace("\uE000", "ꭰ"), s, NOW.minusSeconds(3)).build(),
        available("𐐀", "𐐀", s, NOW.minusSeconds(3)).build());
    Catalogs4 c = new Catalogs4().load(data);
    List<String> failures = new ArrayList<>();
    for (String sort : List.of("name:asc", "name:desc", "id:asc", "id:desc", "created_at:desc")) {
      for (int limit : new int[] {1, 2, 1000}) {
        check(failures, c, "walk " + sort + " limit " + limit, cat -> {
          String walked = walk(cat, Predicates.all(), Sort.parse(sort), limit, false);
          List<String> ids = new ArrayList<>(List.of(walked.substring(1, walked.indexOf(']')).split(", ")));
          java.util.Collections.sort(ids);
          return ids + walked.substring(walked.indexOf(']') + 1);
        });
      }
    }
    Map<String, String> order = c.answers(cat -> cat.query(P, Query.builder().sort(Sort.parse("id:asc")).build()));
    System.out.println("id:asc outside the BMP (order left open by the docs): " + order);
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  private String tagValueQuery(List<String> values) {
    String v = values.isEmpty() ? word(0, 2) : values.get(random.nextInt(values.size()));
    switch (random.nextInt(5)) {
      case 0:
        return "*" + (v.isEmpty() ? "" : partOf(v));
      case 1:
        return "*";
      case 2:
        return word(0, 1);
      default:
        return v;
    }
  }

  // Predicates.tag: "a value beginning with * matches the rest of it anywhere in the tag's value; no
  // values means any value"; TagFilter: tags (AND over keys), tags_any (OR), not_tags, not_tags_any,
  // "an empty value list means any value, and so does * alone", matches resource_name "ignoring
  // case". Keys and values of many scripts and case variants, keys that are prefixes of other keys
  // (env, env_, enV, en), values that are prefixes or parts of others, empty values, letters outside
  // the BMP: counts, pages, the tag catalogue and usage agree.
  @Test
  void tagSearchesAndTagFiltersOnOddKeysAndValuesAgree() {
    String[] keys = {"env", "env_", "enV", "en", "ENV", "e", "ß", "ss", "ẞ", "İ", "i", "ı", "Σ", "ς", "σ", "ǅ", "ǆ",
        "𐐀", "𐐨", "𝒜", "_", "-", "__", "ﬁ", "fi", "Ꭰ", "ꭰ", "Ა", "ა", "1", "k-1", "k_1"};
    String[] values = {"", "prod", "Prod", "prod-eu", "pro", "d", "_", "-", "ß", "ss", "𐐨", "𐐀x", "σς", "ΣΣ", "i", "İ",
        "ı", "ǅ", "ﬁ", "fi", "ꭰ", "Ꭰ", "1", "10", "01"};
    Server s = Server.of("s", "S", "az");
    List<Backup> data = new ArrayList<>();
    Map<String, List<String>> valuesByKey = new LinkedHashMap<>();
    for (int i = 0; i < 150; i++) {
      Backup.Builder b = available("t" + i, word(1, 3), s, NOW.minusSeconds(i));
      Set<String> used = new LinkedHashSet<>();
      for (int t = random.nextInt(6); t > 0; t--) {
        String key = keys[random.nextInt(keys.length)];
        String value = random.nextInt(3) == 0 ? word(0, 2) : values[random.nextInt(values.length)];
        if (used.add(key)) {
          b.addTags(Tag.of(key, value));
          valuesByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
      }
      data.add(b.build());
    }
    Catalogs4 c = new Catalogs4().load(data);
    List<String> failures = new ArrayList<>();
    check(failures, c, "tag catalogue", cat -> cat.tagCatalogue(P));
    List<BackupPredicate> atoms = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String key = keys[random.nextInt(keys.length)];
      List<String> known = valuesByKey.getOrDefault(key, List.of());
      List<String> asked = new ArrayList<>();
      for (int v = random.nextInt(4); v > 0; v--) {
        asked.add(tagValueQuery(known));
      }
      try {
        atoms.add(Predicates.tag(key, new ArrayList<>(new LinkedHashSet<>(asked))));
      } catch (InvalidValueException e) {
        // a part whose case change is no word (lower-case İ is i + U+0307): refused before any catalog
      }
    }
    for (BackupPredicate p : atoms) {
      check(failures, c, "count " + p, cat -> cat.count(P, p));
    }
    for (int i = 0; i < 150; i++) {
      TagFilter.Builder f = TagFilter.builder();
      int groups = 1 + random.nextInt(4);
      for (int g = 0; g < groups; g++) {
        Set<String> groupKeys = new LinkedHashSet<>();
        for (int k = 1 + random.nextInt(3); k > 0; k--) {
          groupKeys.add(keys[random.nextInt(keys.length)]);
        }
        int which = random.nextInt(5);
        for (String key : groupKeys) {
          List<String> known = valuesByKey.getOrDefault(key, List.of());
          List<String> asked = new ArrayList<>();
          for (int v = random.nextInt(3); v > 0; v--) {
            asked.add(tagValueQuery(known));
          }
          List<String> distinct = new ArrayList<>(new LinkedHashSet<>(asked));
          try {
            switch (which) {
              case 0:
                f.tags(key, distinct);
                break;
              case 1:
                f.tagsAny(key, distinct);
                break;
              case 2:
                f.notTags(key, distinct);
                break;
              case 3:
                f.notTagsAny(key, distinct);
                break;
              default:
                f.matches(TagFilter.RESOURCE_NAME, random.nextBoolean() ? partOf(data.get(random.nextInt(data.size())).name())
                    : pick(TEXT_PIECES));
            }
          } catch (InvalidValueException e) {
            // a key twice in one group, or matches twice: refused when built, before any catalog
          }
        }
      }
      TagFilter filter = f.limit(1 + random.nextInt(20)).offset(random.nextInt(3)).build();
      check(failures, c, "tag filter " + filter, cat -> cat.query(P, filter.toQuery()));
      check(failures, c, "tag filter count " + filter, cat -> cat.count(P, filter.toPredicate()));
    }
    for (int i = 0; i < 10; i++) {
      UsageQuery u = UsageQuery.of(combine(atoms), 0, 10);
      check(failures, c, "usage " + u, cat -> cat.usage(P, u));
    }
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  private static String utc(Instant instant) {
    return java.time.LocalDateTime.ofInstant(instant, ZoneOffset.UTC).toString();
  }

  // ListQueryString: name and resource_name "contains it, ignoring case"; resource_id, checkpoint_id,
  // az, policy_id "equals it"; start_time/end_time "created from, up to, both inclusive ... the
  // fraction of a second optional (1 to 9 digits)"; "a bad value throws an InvalidValueException whose
  // field is the parameter's name". The same parsed queries, with odd text in every text parameter
  // and nanosecond bounds, give the same pages (or the same refusal, compared by type and field).
  @Test
  void listQueryStringsWithOddTextAgree() {
    List<Backup> data = textData(80);
    Catalogs4 c = new Catalogs4().load(data);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      Backup b = data.get(random.nextInt(data.size()));
      Map<String, List<String>> params = new LinkedHashMap<>();
      switch (random.nextInt(7)) {
        case 0:
          params.put("name", List.of(random.nextBoolean() ? partOf(b.name()) : pick(TEXT_PIECES)));
          break;
        case 1:
          params.put("resource_name", List.of(random.nextBoolean() ? partOf(b.server().name()) : pick(TEXT_PIECES)));
          break;
        case 2:
          params.put("resource_id", List.of(random.nextBoolean() ? b.server().id() : partOf(b.server().id())));
          break;
        case 3:
          params.put("checkpoint_id", List.of(random.nextBoolean() ? b.id() : b.id().toUpperCase(java.util.Locale.ROOT)));
          break;
        case 4:
          params.put("az", List.of(b.server().availabilityZone()));
          break;
        case 5:
          params.put("policy_id", List.of(b.policyId().orElse("pol %")));
          break;
        default:
          Instant t = b.createdAt().plusNanos(random.nextInt(3) * 500 - 500);
          params.put(random.nextBoolean() ? "start_time" : "end_time", List.of(utc(t)));
      }
      if (random.nextBoolean()) {
        params.put("sort", List.of(random.nextBoolean() ? "created_at:asc" : "updated_at:desc,id:asc"));
      }
      params.put("limit", List.of(String.valueOf(1 + random.nextInt(10))));
      if (random.nextInt(3) == 0) {
        params.put("marker", List.of(data.get(random.nextInt(data.size())).id()));
      }
      Query q;
      try {
        q = ListQueryString.parse(params);
      } catch (InvalidValueException e) {
        continue;   // refused before any catalog: the same for all
      }
      check(failures, c, "list " + params, cat -> cat.query(P, q));
    }
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  // PostgresCatalog javadoc: "Stored times are whole microseconds" / README "Times are kept to the
  // microsecond ... the catalog's clock is read to the microsecond"; Predicates.createdBetween "both
  // inclusive", createdWithinLast "Now is the evaluation's instant (a catalog's clock)"; StallRule
  // "an intermediate state whose progress has not changed for longer than the stall threshold".
  // Backups one microsecond before, at and after each cut-off, with a clock that has nanoseconds,
  // and bounds with nanoseconds: the same backups on every catalog.
  @Test
  void timeWindowsAndStalledAtMicrosecondCutOffsAgree() {
    Instant now = Instant.parse("2026-11-24T10:00:00.123456789Z");
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    Instant cut = now.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    Server s = Server.of("s", "S", "az");
    List<Backup> list = new ArrayList<>();
    for (long micros : new long[] {-1, 0, 1}) {
      Instant w = cut.minus(Duration.ofHours(1)).plusNanos(micros * 1000);
      list.add(available("w" + micros, "w", s, w).build());
      Instant p = cut.minus(Duration.ofMinutes(30)).plusNanos(micros * 1000);
      list.add(Backup.builder().id("r" + micros).name("r").projectId(P).server(s).createdAt(p.minusSeconds(60))
          .status(BackupStatus.CREATING).sizeMb(3).progress(Progress.of(10, p)).updatedAt(p).build());
      list.add(available("f" + micros, "f", s, cut.plusNanos(micros * 1000)).build());
    }
    Catalogs4 c = new Catalogs4(clock).load(list);
    List<String> failures = new ArrayList<>();
    Instant hourAgo = cut.minus(Duration.ofHours(1));
    List<BackupPredicate> predicates = new ArrayList<>(List.of(Predicates.stalled(), Predicates.not(Predicates.stalled()),
        Predicates.createdBetween(hourAgo, cut), Predicates.createdBetween(hourAgo.plusNanos(1), now),
        Predicates.createdBetween(hourAgo.minusNanos(1), cut.minusNanos(1)),
        Predicates.createdBetween(hourAgo.plusNanos(999), cut.plusNanos(999)),
        Predicates.createdBetween(hourAgo.plusNanos(1000), cut.plusNanos(1000)),
        Predicates.createdIn(TimeRange.of(hourAgo.minusNanos(1), false, cut.plusNanos(999), false)),
        Predicates.createdIn(TimeRange.of(hourAgo, false, cut, false)),
        Predicates.createdIn(TimeRange.before(cut.plusNanos(1))), Predicates.createdIn(TimeRange.from(cut.minusNanos(1)))));
    for (long nanos : new long[] {-1001, -1000, -999, -1, 0, 1, 999, 1000, 1001}) {
      predicates.add(Predicates.createdWithinLast(Duration.ofHours(1).plusNanos(nanos)));
    }
    for (BackupPredicate p : predicates) {
      check(failures, c, "query " + p, cat -> cat.query(P, Query.builder().where(p).sort(Sort.parse("id:asc")).build()));
    }
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  // ServerUsage: "serverName: the server's name, as its newest counted backup names it (the latest
  // created; among backups created at the same instant, the one with the greatest id)"; usage
  // "largest first"; BackupCatalog.queryAllProjects: "Backups that are equal in the sort order (the
  // same id in two projects) are ordered by project id". Server names differing only in case, ids
  // differing in case, accents (composed or not) and trailing spaces, projects ids likewise.
  @Test
  void usageAndTheAllProjectsViewWithNamesAndIdsDifferingInCaseAgree() {
    Instant t = NOW.minusSeconds(100);
    List<Backup> list = new ArrayList<>();
    String[] projects = {"p", "P", "p ", "ṗ", "\uFFFD", "\uE000", "p\t"};
    for (String project : projects) {
      list.add(Backup.builder().id("x").name("n").projectId(project).server(Server.of("S", "web", "az"))
          .status(BackupStatus.AVAILABLE).createdAt(t).sizeMb(5).build());
      list.add(Backup.builder().id("X").name("N").projectId(project).server(Server.of("S", "WEB", "az"))
          .status(BackupStatus.AVAILABLE).createdAt(t).sizeMb(5).build());
      list.add(Backup.builder().id("é").name("ÉÉ").projectId(project).server(Server.of("s", "Web", "az"))
          .status(BackupStatus.AVAILABLE).createdAt(t).sizeMb(10).build());
      list.add(Backup.builder().id("e\u0301").name("ee").projectId(project).server(Server.of("s ", "wEB", "az"))
          .status(BackupStatus.AVAILABLE).createdAt(t).sizeMb(10).build());
      list.add(Backup.builder().id("x ").name("n").projectId(project).server(Server.of("ṡ", "w", "az"))
          .status(BackupStatus.AVAILABLE).createdAt(t).sizeMb(10).build());
    }
    list.add(Backup.builder().id("only").name("o").projectId("P").server(Server.of("S", "Web", "az"))
        .status(BackupStatus.AVAILABLE).createdAt(t).sizeMb(1).build());
    Catalogs4 c = new Catalogs4().load(list);
    List<String> failures = new ArrayList<>();
    for (String project : projects) {
      for (UsageQuery u : List.of(UsageQuery.firstServers(1000), UsageQuery.firstServers(1), UsageQuery.of(Predicates.all(), 1, 2),
          UsageQuery.of(Predicates.serverNameContains("WEB"), 0, 10), UsageQuery.of(Predicates.not(Predicates.backupId("x")), 0, 10),
          UsageQuery.of(Predicates.nameContains("é"), 0, 10))) {
        check(failures, c, "usage " + show(project) + " " + u, cat -> cat.usage(project, u));
      }
    }
    for (String sort : List.of("id:asc", "id:desc", "name:asc", "name:desc", "created_at:desc", "status:asc,name:desc")) {
      for (int limit : new int[] {1, 3, 1000}) {
        check(failures, c, "all projects by offset " + sort + " " + limit, cat -> {
          List<String> out = new ArrayList<>();
          long offset = 0;
          while (true) {
            Page page = cat.queryAllProjects(Query.builder().sort(Sort.parse(sort)).limit(limit).offset(offset).build());
            page.backups().forEach(b -> out.add(show(b.projectId()) + "/" + show(b.id())));
            if (!page.hasMore()) {
              return out + " total " + page.total();
            }
            offset += limit;
          }
        });
      }
    }
    check(failures, c, "count all projects", cat -> cat.countAllProjects(Predicates.serverNameContains("wEb")));
    for (String marker : List.of("x", "x ", "X", "é", "e\u0301", "only", "ONLY", "only ")) {
      for (String sort : List.of("id:asc", "name:desc", "created_at:desc")) {
        Query q = Query.builder().sort(Sort.parse(sort)).limit(4).marker(marker).build();
        check(failures, c, "all projects after " + show(marker) + " " + sort, cat -> cat.queryAllProjects(q));
      }
    }
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  // The same promises as keywordAndExactSearchesOnOddTextAgree, on 3,000 backups: enough that the
  // database reads substrings and tags through its trigram and GIN indexes and sorts pages from the
  // matches (or walks the time index past 1,000 matches), and that the in-memory text index keeps its
  // entries in blocks. Pages after a marker and at offset 1,000.
  @Test
  void largeCatalogsAgreeOnOddTextThroughTheirIndexes() {
    List<Backup> data = textData(3000);
    Catalogs4 c = new Catalogs4().load(data);
    List<String> failures = new ArrayList<>();
    for (BackupPredicate p : textPredicates(data, 250)) {
      Query first = Query.builder().where(p).sort(nameSortUnlessOutsideBmp()).limit(5).offset(random.nextInt(2) * 1000).build();
      Query q = random.nextBoolean() ? first
          : first.toBuilder().offset(0).marker(data.get(random.nextInt(data.size())).id()).build();
      check(failures, c, "query " + q, cat -> cat.query(P, q));
    }
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  // TagUpdate.delete: "Keys of up to 127 and values of up to 255 chars are accepted, unchecked
  // otherwise ... A match no tag has is not an error"; "An update that leaves the tags as they are
  // changes nothing: no new version". Matches with a NUL, half a surrogate pair, LIKE characters, a
  // key in another case, "key=value" as a key, empty and blank values: the same backup and tag
  // catalogue after the update on every catalog (the replica writes to the database: left out).
  @Test
  void tagDeletionsWithOddTextAgree() throws Exception {
    Server sv = Server.of("s", "S", "az");
    List<String> failures = new ArrayList<>();
    int n = 0;
    for (String[] m : new String[][] {{"\uD801", null}, {"a\u0000", null}, {"%", null}, {"ENV", null}, {"env", "PROD"},
        {"env=prod", null}, {"env", "pro%"}, {"env", "\uDC28"}, {"𐐀", null}, {"𐐀", "\uD801"}, {"env", "\u0000"},
        {"env", ""}, {"k", ""}, {"k", " "}, {" env ", " prod "}}) {
      String id = "b" + n++;
      closeAll();
      TestDatabase.truncate(ds);
      Catalogs4 c = new Catalogs4().load(List.of(available(id, "n", sv, NOW.minusSeconds(9))
          .addTags(Tag.of("env", "prod"), Tag.of("𐐀", "𐐨"), Tag.of("k", "")).build()));
      TagUpdate.Match match = m[1] == null ? TagUpdate.Match.key(m[0]) : TagUpdate.Match.of(m[0], m[1]);
      Map<String, BackupCatalog> writers = new LinkedHashMap<>(c.all());
      writers.remove("replica");
      Map<String, String> answers = new LinkedHashMap<>();
      for (Map.Entry<String, BackupCatalog> w : writers.entrySet()) {
        answers.put(w.getKey(), answer(() -> {
          Backup b = w.getValue().updateTags(P, id, 1, TagUpdate.delete(match));
          return b.version() + " " + b.tags() + " " + w.getValue().tagCatalogue(P);
        }));
      }
      if (new LinkedHashSet<>(answers.values()).size() > 1) {
        failures.add("delete " + show(m[0]) + "=" + (m[1] == null ? "*" : show(m[1])) + " -> " + answers);
      }
    }
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  // PostgresCatalog javadoc: "Names match ignoring case as toLowerCase(Locale.ROOT) does ... as the
  // in-memory catalog does". Half of a surrogate pair as a keyword found names with a letter outside
  // the BMP in memory (String.contains finds the char) and nothing in PostgreSQL (which holds no such
  // half): found by this review. Predicates.nameContains and serverNameContains now refuse it, naming
  // the keyword (the list's "name" and the tag query's "matches" name themselves), before any catalog
  // answers; a whole letter is found alike by all four.
  @Test
  void aKeywordOfHalfASurrogatePairIsRefusedAndAWholeLetterFoundAlike() {
    Catalogs4 c = new Catalogs4().load(List.of(
        available("a", "\uD801\uDC28", Server.of("s", "\uD801\uDC00", "az"), NOW.minusSeconds(1)).build()));
    for (String half : List.of("\uD801", "\uDC28", "x\uD801", "\uDC28\uD801")) {
      assertEquals("keyword", assertThrows(InvalidValueException.class, () -> Predicates.nameContains(half)).field());
      assertEquals("keyword", assertThrows(InvalidValueException.class, () -> Predicates.serverNameContains(half)).field());
      assertEquals("keyword", assertThrows(InvalidValueException.class,
          () -> Predicates.keyword(KeywordField.BACKUP_NAME, half)).field());
      assertEquals("name", assertThrows(InvalidValueException.class,
          () -> ListQueryString.parse(Map.of("name", List.of(half)))).field());
      assertEquals("matches", assertThrows(InvalidValueException.class,
          () -> TagFilter.builder().matches(TagFilter.RESOURCE_NAME, half)).field());
    }
    List<String> failures = new ArrayList<>();
    check(failures, c, "name contains the letter", cat -> cat.count(P, Predicates.nameContains("\uD801\uDC28")));
    check(failures, c, "server name contains the letter", cat -> cat.count(P, Predicates.serverNameContains("\uD801\uDC00")));
    check(failures, c, "usage where name contains the letter",
        cat -> cat.usage(P, UsageQuery.of(Predicates.nameContains("\uD801\uDC28"), 0, 10)));
    assertEquals(1, c.memory.count(P, Predicates.nameContains("\uD801\uDC28")));
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  // README: "PostgresReplica is an in-memory csbs catalog that loads the database and follows its
  // change feed"; BackupCatalog.updateTags: "the tag catalogue and the tag searches follow at once";
  // ServerUsage.serverName "as its newest counted backup names it". Random changes (tags created and
  // deleted with odd keys and values, restores, deletions completed, failures with odd reasons,
  // removals) made alike on the database and on the in-memory catalogs; once the replica has caught
  // up, searches, usage (servers whose backups name them in different cases) and tag catalogues agree.
  @Test
  void changesWithOddTextAreFollowedAlike() {
    String[] names = {"Web", "WEB", "web", "wEb\t%", "ẞ", "ß"};
    List<Backup> data = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      Server s = Server.of("srv" + (i % 4), names[random.nextInt(names.length)], "az");
      Backup.Builder b = available("c" + i + pick(TEXT_PIECES), word(1, 3), s, NOW.minusSeconds(random.nextInt(5)));
      if (random.nextBoolean()) {
        b.addTags(Tag.of(word(1, 1), word(0, 2)));
      }
      data.add(b.build());
    }
    Map<String, Backup> unique = new LinkedHashMap<>();
    data.forEach(b -> unique.putIfAbsent(b.id(), b));
    Catalogs4 c = new Catalogs4().load(new ArrayList<>(unique.values()));
    List<String> ids = new ArrayList<>(unique.keySet());
    List<BackupCatalog> writers = List.of(c.memory, c.reference, c.database);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      String id = ids.get(random.nextInt(ids.size()));
      int action = random.nextInt(7);
      String tagKey = word(1, 1);
      String tagValue = word(0, 2);
      Map<String, String> answers = new LinkedHashMap<>();
      for (BackupCatalog w : writers) {
        answers.put(w == c.memory ? "memory" : w == c.reference ? "reference" : "postgres", answer(() -> {
          Backup b = w.get(P, id);
          switch (action) {
            case 0:
            case 1:
              return w.updateTags(P, id, b.version(), TagUpdate.create(Tag.of(tagKey, tagValue))).tags();
            case 2:
              return b.tags().isEmpty() ? "none" : w.updateTags(P, id, b.version(),
                  TagUpdate.delete(TagUpdate.Match.key(b.tags().get(0).key()))).tags();
            case 3:
              return w.apply(P, id, b.version(), io.csbs.lifecycle.Transition.restore());
            case 4:
              return w.apply(P, id, b.version(), io.csbs.lifecycle.Transition.delete());
            case 5:
              return w.apply(P, id, b.version(), b.status() == BackupStatus.AVAILABLE
                  ? io.csbs.lifecycle.Transition.reportProgress(5) : io.csbs.lifecycle.Transition.complete());
            default:
              return w.apply(P, id, b.version(), io.csbs.lifecycle.Transition.fail("100% \\ 'x' \n " + tagKey));
          }
        }));
      }
      if (new LinkedHashSet<>(answers.values()).size() > 1) {
        failures.add("change " + action + " of " + show(id) + " -> " + answers);
      }
    }
    long sequence = c.database.sequence(P);
    assertTrue(c.replica.awaitSequence(P, sequence, Duration.ofSeconds(10)), "replica caught up to " + sequence);
    check(failures, c, "usage", cat -> cat.usage(P, UsageQuery.firstServers(1000)));
    check(failures, c, "tag catalogue", cat -> cat.tagCatalogue(P));
    for (String sort : List.of("created_at:desc", "updated_at:asc", "status:desc,id:asc", "id:desc")) {
      check(failures, c, "walk " + sort, cat -> walk(cat, Predicates.all(), Sort.parse(sort), 7, true));
    }
    List<BackupPredicate> atoms = textPredicates(new ArrayList<>(unique.values()), 150);
    atoms.add(Predicates.stalled());
    atoms.add(Predicates.status(BackupStatus.ERROR));
    for (BackupPredicate p : atoms) {
      check(failures, c, "count " + p, cat -> cat.count(P, p));
    }
    for (int i = 0; i < 10; i++) {
      UsageQuery u = UsageQuery.of(combine(atoms), 0, 10);
      check(failures, c, "usage " + u, cat -> cat.usage(P, u));
    }
    assertTrue(failures.isEmpty(), seeded(failures));
  }

  // Query.Builder#offset: "0 or more"; UsageQuery offset "how many servers to skip"; Predicates.keyword
  // "longer than 255 characters (code points)" is refused, so 255 letters outside the BMP (510 chars),
  // and 255 letters whose lower case is two chars (İ), are valid keywords. Offsets past the end up to
  // Long.MAX_VALUE, the longest keywords, a NUL keyword and its negation: the same answers.
  @Test
  void extremeOffsetsAndKeywordsAgree() {
    Server s = Server.of("s", "İ".repeat(255), "az");
    Catalogs4 c = new Catalogs4().load(List.of(available("a", "𐐀".repeat(255), s, NOW.minusSeconds(1)).build(),
        available("b", "İ".repeat(255), Server.of("t", "x", "az"), NOW.minusSeconds(2)).build()));
    List<String> failures = new ArrayList<>();
    for (long offset : new long[] {1, 2, 3, Integer.MAX_VALUE, 1L << 40, Long.MAX_VALUE - 1, Long.MAX_VALUE}) {
      for (String sort : List.of("created_at:desc", "name:asc", "id:desc")) {
        Query q = Query.builder().sort(Sort.parse(sort)).limit(1000).offset(offset).build();
        check(failures, c, "offset " + offset + " " + sort, cat -> cat.query(P, q));
        Query named = q.toBuilder().where(Predicates.nameContains("İ")).build();
        check(failures, c, "offset " + offset + " " + named, cat -> cat.query(P, named));
      }
      UsageQuery u = UsageQuery.of(Predicates.all(), offset, 1000);
      check(failures, c, "usage offset " + offset, cat -> cat.usage(P, u));
      UsageQuery restricted = UsageQuery.of(Predicates.serverNameContains("i"), offset, 1);
      check(failures, c, "usage " + restricted, cat -> cat.usage(P, restricted));
    }
    for (String k : List.of("𐐀".repeat(255), "𐐨".repeat(255), "İ".repeat(255), "i\u0307".repeat(255), "\u0000", "I")) {
      for (KeywordField f : KeywordField.values()) {
        check(failures, c, "keyword " + f + " " + show(k.substring(0, Math.min(4, k.length()))) + " x" + k.length(),
            cat -> cat.count(P, Predicates.keyword(f, k)));
        check(failures, c, "not keyword " + f + " " + show(k.substring(0, Math.min(4, k.length()))) + " x" + k.length(),
            cat -> cat.count(P, Predicates.not(Predicates.keyword(f, k))));
      }
    }
    assertTrue(failures.isEmpty(), seeded(failures));
  }
}
