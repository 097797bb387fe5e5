package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.KeywordField;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.query.TimeRange;
import io.csbs.testing.FakeClock;
import io.csbs.usage.Quota;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's black-box review: {@link PostgresCatalog} against the in-memory catalog ({@code
 * Catalogs.indexed}) on catalogs shaped as real services' are and the testkit's generator's are not.
 * The promise checked: README "A durable, shared catalog: csbs-postgres" ("PostgresCatalog
 * implements BackupCatalog, so everything above works on it: ... every search, sort, page and total
 * is compiled to SQL"; "Texts sort by code point (COLLATE "C") ... That is the in-memory catalog's
 * order for every text of the Basic Multilingual Plane"), the javadoc of {@link BackupCatalog},
 * {@link Sort} (ties broken by id in the first key's direction), {@link
 * io.csbs.usage.ServerUsage} (a line's name from the newest backup, ties by the greatest id) and
 * {@link io.csbs.usage.UsageReport} (largest first, then more backups, then server id).
 *
 * <p>The shapes, from a generator of its own: every backup created at one of three instants (with
 * microsecond parts, one microsecond apart for two of them), ids differing only by case, a trailing
 * space, a combining accent against a precomposed letter, or quotes, {@code %}, {@code _} and
 * {@code \}; projects whose names are all equal, all distinct, or prefixes of each other; hundreds of
 * projects of 1 to 3 backups beside a larger one, with ids shared among projects and project ids
 * differing by case, a trailing space or an accent's form; servers sharing a name under different ids
 * and one id under several names; ten tags of the longest keys and values; sizes 0 and {@link
 * Backup#MAX_SIZE_MB}; every state, stalled progress at and around the threshold. Then random
 * transitions, tag updates and removals applied to both, and every query again.
 *
 * <p>Besides the comparison, independent oracles from the docs: each page by offset is the
 * predicate's {@code test} sorted by {@link Sort#comparator()} (all projects: then by project id),
 * the usage report is summed as {@code io.csbs.usage} defines it, the tag catalogue is every key
 * with its values. Findings: one DOC fault ({@link io.csbs.usage.ServerUsage}'s name rule says
 * {@code String.compareTo} without PostgreSQL's code-point exception); no difference in answers
 * was found on these shapes.
 *
 * <p>Seeded: every failure names the seed (replay with {@code -Dcsbs.shapes.seed=<seed>}).
 */
class NewUserShapesParityTest {
  private static final int STORE = 135;
  /** The three creation instants: T0 and T1 one microsecond apart, T2 two days later. */
  private static final Instant T0 = Instant.parse("2026-11-20T08:00:00.123456Z");
  private static final Instant T1 = T0.plusNanos(1_000);
  private static final Instant T2 = Instant.parse("2026-11-22T08:00:00.999999Z");
  private static final Instant[] CREATED = {T0, T1, T2};
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00.000007Z");
  private static final Duration THRESHOLD = StallRule.DEFAULT_THRESHOLD;

  private static DataSource store;
  private static long seed;

  private FakeClock clock;
  private BackupCatalog mem;
  private PostgresCatalog pg;

  @BeforeAll
  static void oneStore() {
    store = TestDatabase.dataSource(STORE);
    seed = Long.getLong("csbs.shapes.seed", System.nanoTime());
  }

  @BeforeEach
  void fresh() {
    TestDatabase.truncate(store);
    clock = FakeClock.at(NOW);
    mem = Catalogs.indexed(clock);
    pg = PostgresCatalog.builder(store).clock(clock).build();
  }

  @AfterEach
  void closeCatalog() {
    pg.close();
  }

  // ------------------------------------------------------------------------------------ generator

  /** Ids of one family: the same text but for case, a trailing space, an accent's form, quotes. */
  private static final List<String> ID_SHAPES = List.of(
      "bk-a", "Bk-a", "BK-A", "bk-a ", " bk-a", "bk-\u00e9", "bk-e\u0301", "bk-%", "bk-_", "bk-\\",
      "bk-'", "bk-\"", "bk-a\t", "bk-A", "bk_a", "bk-a-", "0", "00", "Z", "z", "~", "bk-\u00c9",
      "bk-\u00df", "bk-ss");

  /** Names that are prefixes of each other, with {@code _} and {@code -}, case-only differences. */
  private static final List<String> NAME_SHAPES = List.of(
      "autobk_", "autobk_x", "AUTOBK_X", "autobk_x_", "a_b", "a-b", "ab", "_", "-", "__", "\u00e9",
      "\u00c9", "Stra\u00dfe", "STRASSE", "\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c3",
      "x", "X", "x0", "x-", "autobk");

  /** Servers: two ids share a name, one id is met under two names; names with LIKE and quote chars. */
  private static final List<Server> SERVERS = List.of(
      Server.of("srv-1", "ecs-web", "eu-de-01"),
      Server.of("srv-2", "ecs-web", "eu-de-02"),
      Server.of("SRV-1", "ecs-web", "eu-de-01"),
      Server.of("srv-3", "ecs%web", "eu-de-01"),
      Server.of("srv-4", "ecs_web", "eu-de-03"),
      Server.of("srv-5", "ecs\\web", "eu-de-02"),
      Server.of("srv-6", "o'brien \"db\"", "eu-de-01"),
      Server.of("srv-1", "ecs-web-renamed", "eu-de-01"),
      Server.builder().id("srv-7").name("ECS Web").availabilityZone("eu-de-02").resourceType("OS::Cinder::Volume").build(),
      Server.of("srv-8 ", "ecs-web ", "eu-de-01"));

  private static String repeat(char c, int n) {
    return String.valueOf(c).repeat(n);
  }

  /** Tag keys and values, with the longest ones the rules allow (36 and 43). */
  private static final List<String> KEYS = List.of(
      "env", "Env", "app", repeat('k', 35) + "a", repeat('k', 35) + "b", repeat('k', 36),
      "k_1", "k-1", "team", "\u00e9", "x", "y", "z", "w");

  private static final List<String> VALUES = List.of(
      "prod", "Prod", "", "test", repeat('v', 43), repeat('v', 42) + "w", "v_1", "v-1", "pro",
      "\u00e9t\u00e9", "a", "_");

  static final class Gen {
    final Random random;
    final List<Backup> made = new ArrayList<>();

    Gen(Random random) {
      this.random = random;
    }

    <T> T pick(List<T> values) {
      return values.get(random.nextInt(values.size()));
    }

    Instant created() {
      return CREATED[random.nextInt(CREATED.length)];
    }

    List<Tag> tags() {
      int n = random.nextInt(4) == 0 ? Backup.MAX_TAGS : random.nextInt(4);
      List<String> keys = new ArrayList<>(KEYS);
      Collections.shuffle(keys, random);
      List<Tag> tags = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String value = keys.get(i).length() == 36 || random.nextInt(3) == 0 ? repeat('v', 43) : pick(VALUES);
        tags.add(Tag.of(keys.get(i), value));
      }
      return tags;
    }

    long size() {
      switch (random.nextInt(6)) {
        case 0: return 0;
        case 1: return Backup.MAX_SIZE_MB;
        case 2: return 512;
        case 3: return 1023;
        default: return random.nextInt(200_000);
      }
    }

    /** A progress time at, just before or just after the stall threshold, or at creation. */
    Instant progressTime(Instant created) {
      switch (random.nextInt(4)) {
        case 0: return NOW.minus(THRESHOLD);
        case 1: return NOW.minus(THRESHOLD).minusNanos(1_000);
        case 2: return NOW.minus(THRESHOLD).plusNanos(1_000);
        default: return created;
      }
    }

    Backup backup(String project, String id, String name) {
      Instant created = created();
      BackupStatus status = BackupStatus.values()[random.nextInt(BackupStatus.values().length)];
      Backup.Builder b = Backup.builder()
          .id(id)
          .name(name)
          .projectId(project)
          .server(pick(SERVERS))
          .status(status)
          .type(random.nextBoolean() ? BackupType.COMMON : BackupType.ENHANCED)
          .sizeMb(size())
          .createdAt(created)
          .tags(tags());
      int trigger = random.nextInt(3);
      if (trigger == 0) {
        b.trigger(BackupTrigger.AUTOMATIC).policyId(pick(List.of("pol-1", "Pol-1", "pol-1 ", "pol-%")));
      } else {
        b.trigger(trigger == 1 ? BackupTrigger.MANUAL : BackupTrigger.AUTOMATIC);
      }
      Instant updated = created;
      if (status.isIntermediate()) {
        Instant at = progressTime(created);
        b.progress(Progress.of(pick(List.of(0, 1, 50, 99, 100)), at));
        updated = at;
      } else if (status == BackupStatus.ERROR) {
        b.failure(Failure.of(JobType.BACKUP, "disk '%_\\' detached", T2));
        updated = T2.isAfter(created) ? T2 : created;
      } else if (random.nextBoolean()) {
        updated = T2;
      }
      b.updatedAt(updated);
      Backup backup = b.build();
      made.add(backup);
      return backup;
    }
  }

  // ------------------------------------------------------------------------------------ comparing

  private String ctx = "";

  private String where(String what) {
    return "seed " + seed + " (-Dcsbs.shapes.seed=" + seed + "), " + ctx + ": " + what;
  }

  /** Both catalogs' answers, or the refusals' types and fields, compared. */
  private <T> T same(String what, Function<BackupCatalog, T> call) {
    Object a = outcome(mem, call);
    Object b = outcome(pg, call);
    if (a instanceof Page pa && b instanceof Page pb) {
      samePage(what, pa, pb);
    } else {
      assertEquals(a, b, where(what + " (in memory, then PostgreSQL)"));
    }
    @SuppressWarnings("unchecked")
    T t = a instanceof String s && s.startsWith("refused ") ? null : (T) a;
    return t;
  }

  /** Both catalogs' outcomes, compared; memory's returned as text. */
  private String sameOutcome(String what, Function<BackupCatalog, ?> call) {
    String a = String.valueOf(outcome(mem, call));
    assertEquals(a, String.valueOf(outcome(pg, call)), where(what + " (in memory, then PostgreSQL)"));
    return a;
  }

  private static Object outcome(BackupCatalog catalog, Function<BackupCatalog, ?> call) {
    try {
      return call.apply(catalog);
    } catch (InvalidValueException e) {
      return "refused " + e.getClass().getSimpleName() + " field=" + e.field();
    } catch (RuntimeException e) {
      return "refused " + e.getClass().getSimpleName();
    }
  }

  private void samePage(String what, Page a, Page b) {
    if (!a.ids().equals(b.ids())) {
      int i = 0;
      while (i < Math.min(a.ids().size(), b.ids().size()) && a.ids().get(i).equals(b.ids().get(i))) {
        i++;
      }
      fail(where(what + ": first differing row " + i + ": in memory "
          + (i < a.ids().size() ? show(a.backups().get(i)) : "none") + ", PostgreSQL "
          + (i < b.ids().size() ? show(b.backups().get(i)) : "none") + "; ids in memory " + quoted(a.ids())
          + ", PostgreSQL " + quoted(b.ids())));
    }
    assertEquals(a.total(), b.total(), where(what + ": total"));
    assertEquals(a.hasMore(), b.hasMore(), where(what + ": hasMore"));
    assertEquals(a.backups(), b.backups(), where(what + ": the backups"));
  }

  private static String show(Backup b) {
    return "'" + b.projectId() + "'/'" + b.id() + "' name '" + b.name() + "' created " + b.createdAt()
        + " updated " + b.updatedAt() + " " + b.status();
  }

  private static List<String> quoted(List<String> ids) {
    List<String> q = new ArrayList<>();
    for (String id : ids) {
      q.add("'" + id + "'");
    }
    return q;
  }

  /** Walks {@code query} to the end by marker, comparing each page; returns the pages walked. */
  private int walkByMarker(String project, Query query) {
    Query q = query;
    for (int pages = 1; pages <= 200; pages++) {
      Query current = q;
      Page page = same("page " + pages + " by marker of " + current, c -> c.query(project, current));
      if (page == null || !page.hasMore()) {
        return pages;
      }
      q = query.after(page.nextMarker().orElseThrow());
    }
    return 200;
  }

  private void walkByOffset(String project, Query query, long total) {
    List<Backup> everything = everything(project);
    for (long offset = 0; offset <= total; offset += query.limit()) {
      Query q = query.toBuilder().offset(offset).build();
      Page page = same("page by offset of " + q, c -> c.query(project, q));
      if (page != null) {
        assertEquals(quoted(oracle(everything, q, null)), quoted(page.ids()),
            where("the documented page (predicate's test, the sort's comparator) of " + q));
      }
    }
  }

  /**
   * The page the docs define: the backups matching the predicate at the clock's instant, in the
   * sort's total order ({@link Sort#comparator()}), equal ones of several projects by project id.
   */
  private List<String> oracle(List<Backup> everything, Query q, Comparator<Backup> byProject) {
    Comparator<Backup> order = q.sort().comparator();
    if (byProject != null) {
      order = order.thenComparing(byProject);
    }
    Instant now = clock.instant();
    List<String> ids = new ArrayList<>();
    everything.stream().filter(b -> q.predicate().test(b, now, StallRule.DEFAULT)).sorted(order)
        .skip(q.offset()).limit(q.limit()).forEach(b -> ids.add(b.id()));
    return ids;
  }

  // ------------------------------------------------------------------------------------ random queries

  final class Queries {
    final Gen gen;
    final Random random;

    Queries(Gen gen) {
      this.gen = gen;
      this.random = gen.random;
    }

    Instant instant() {
      Instant at = CREATED[random.nextInt(3)];
      switch (random.nextInt(4)) {
        case 0: return at.minusNanos(1_000);
        case 1: return at.plusNanos(1_000);
        default: return at;
      }
    }

    String nameFragment() {
      if (random.nextInt(3) == 0) {
        return gen.pick(List.of("_", "%", "\\", "'", "\"", "K_X", "autobk_", "b_", "-", "SS", "\u00df",
            "\u03c3", "\u03a3", "e\u0301", "\u00c9", "web", "WEB", "%web", "s_w", "\\w", "o'b", "\"db\"",
            "ecs-web ", "x"));
      }
      String name = random.nextBoolean() ? gen.pick(gen.made).name() : gen.pick(gen.made).server().name();
      int from = random.nextInt(name.length());
      int to = from + 1 + random.nextInt(name.length() - from);
      String part = name.substring(from, to);
      return part.isBlank() ? name.strip().isEmpty() ? "x" : name.strip() : part;
    }

    BackupPredicate leaf() {
      Backup some = gen.pick(gen.made);
      switch (random.nextInt(20)) {
        case 0: {
          List<BackupStatus> statuses = new ArrayList<>();
          for (BackupStatus s : BackupStatus.values()) {
            if (random.nextBoolean()) {
              statuses.add(s);
            }
          }
          return statuses.isEmpty() ? Predicates.status(BackupStatus.ERROR) : Predicates.status(statuses);
        }
        case 1: {
          Instant a = instant();
          Instant b = instant();
          return Predicates.createdBetween(a.isBefore(b) ? a : b, a.isBefore(b) ? b : a);
        }
        case 2: {
          Instant a = instant();
          Instant b = instant();
          if (!a.isBefore(b)) {
            Instant t = a;
            a = b;
            b = t.plusNanos(1_000);
          }
          return Predicates.createdIn(TimeRange.of(a, random.nextBoolean(), b, random.nextBoolean()));
        }
        case 3:
          return Predicates.createdWithinLast(Duration.between(instant(), clock.instant()));
        case 4:
          return Predicates.nameContains(nameFragment());
        case 5:
          return Predicates.serverNameContains(nameFragment());
        case 6:
          return Predicates.keyword(KeywordField.values()[random.nextInt(KeywordField.values().length)],
              random.nextBoolean() ? nameFragment() : random.nextBoolean() ? some.id() : some.server().id());
        case 7:
          return Predicates.backupId(random.nextBoolean() ? some.id() : gen.pick(ID_SHAPES));
        case 8:
          return Predicates.serverId(gen.pick(SERVERS).id());
        case 9:
          return Predicates.availabilityZone(gen.pick(List.of("eu-de-01", "eu-de-02", "eu-de-03", "EU-DE-01")));
        case 10:
          return Predicates.resourceType(random.nextBoolean() ? Server.NOVA_SERVER : "OS::Cinder::Volume");
        case 11:
          return Predicates.policyId(gen.pick(List.of("pol-1", "Pol-1", "pol-1 ", "pol-%", "pol-_")));
        case 12:
          return random.nextBoolean() ? Predicates.type(BackupType.ENHANCED) : Predicates.trigger(BackupTrigger.AUTOMATIC);
        case 13: {
          Attribute attribute = Attribute.values()[random.nextInt(Attribute.values().length)];
          String value;
          switch (attribute) {
            case SERVER_ID: value = gen.pick(SERVERS).id(); break;
            case AVAILABILITY_ZONE: value = "eu-de-02"; break;
            case RESOURCE_TYPE: value = "OS::Cinder::Volume"; break;
            case POLICY_ID: value = "Pol-1"; break;
            case BACKUP_TYPE: value = "COMMON"; break;
            default: value = "MANUAL"; break;
          }
          return Predicates.attribute(attribute, value);
        }
        case 14:
          return Predicates.tag(gen.pick(KEYS), gen.pick(VALUES));
        case 15:
          return Predicates.tagKey(gen.pick(KEYS));
        case 16: {
          List<String> values = new ArrayList<>();
          int n = random.nextInt(4);
          for (int i = 0; i < n; i++) {
            values.add(gen.pick(List.of("*", "*v", "*prod", "*_", "* ro", "prod", "", "*\u00e9", "*vw", "*V")));
          }
          return Predicates.tag(gen.pick(KEYS), values);
        }
        case 17:
          return Predicates.stalled();
        case 18:
          return random.nextBoolean() ? Predicates.all() : Predicates.none();
        default: {
          Backup b = gen.pick(gen.made);
          return b.tags().isEmpty() ? Predicates.tagKey("env")
              : Predicates.tag(b.tags().get(0).key(), b.tags().get(0).value());
        }
      }
    }

    BackupPredicate predicate(int depth) {
      int r = random.nextInt(depth <= 0 ? 1 : 5);
      switch (r) {
        case 1: return Predicates.and(predicate(depth - 1), predicate(depth - 1));
        case 2: return Predicates.or(predicate(depth - 1), predicate(depth - 1), predicate(depth - 1));
        case 3: return Predicates.not(predicate(depth - 1));
        default: return leaf();
      }
    }

    Sort sort() {
      List<SortField> fields = new ArrayList<>(List.of(SortField.values()));
      Collections.shuffle(fields, random);
      int n = 1 + random.nextInt(3);
      List<SortKey> keys = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        keys.add(random.nextBoolean() ? SortKey.asc(fields.get(i)) : SortKey.desc(fields.get(i)));
      }
      return random.nextInt(5) == 0 ? Sort.DEFAULT : Sort.by(keys);
    }

    ConsoleSearch console() {
      ConsoleSearch s = ConsoleSearch.empty();
      if (random.nextBoolean()) {
        s = s.withStatus(BackupStatus.values()[random.nextInt(5)], BackupStatus.values()[random.nextInt(5)]);
      }
      switch (random.nextInt(3)) {
        case 0: s = s.withLastDays(1 + random.nextInt(5)); break;
        case 1: s = s.withTimeRange(TimeRange.between(T0, T1)); break;
        default: break;
      }
      if (random.nextBoolean()) {
        KeywordField f = KeywordField.values()[random.nextInt(KeywordField.values().length)];
        Backup b = gen.pick(gen.made);
        String text = f == KeywordField.BACKUP_NAME || f == KeywordField.SERVER_NAME ? nameFragment()
            : f == KeywordField.SERVER_ID ? b.server().id() : b.id();
        if (!text.isBlank()) {
          s = s.withKeyword(f, text);
        }
      }
      int tags = random.nextInt(3);
      for (int i = 0; i < tags; i++) {
        Backup b = gen.pick(gen.made);
        if (!b.tags().isEmpty()) {
          Tag t = b.tags().get(random.nextInt(b.tags().size()));
          s = s.withTag(t.key(), t.value());
        }
      }
      return s;
    }

    TagFilter tagFilter() {
      TagFilter.Builder f = TagFilter.builder();
      int groups = random.nextInt(5);
      for (int i = 0; i < groups; i++) {
        String key = gen.pick(KEYS);
        String[] values = random.nextBoolean() ? new String[0]
            : new String[] {gen.pick(VALUES), gen.pick(List.of("*", "*v", "*ro", "prod", "*_"))};
        try {
          switch (random.nextInt(4)) {
            case 0: f.tags(key, values); break;
            case 1: f.tagsAny(key, values); break;
            case 2: f.notTags(key, values); break;
            default: f.notTagsAny(key, values); break;
          }
        } catch (InvalidValueException repeated) {
          // a key repeated in one group: the builder refuses it, as documented
        }
      }
      if (random.nextBoolean()) {
        f.matches(TagFilter.RESOURCE_NAME, nameFragment());
      }
      f.limit(1 + random.nextInt(40));
      f.offset(random.nextInt(3) == 0 ? random.nextInt(30) : 0);
      return f.build();
    }
  }

  /** Every kind of query on {@code project}, {@code rounds} times. */
  private void compareQueries(String project, Queries queries, int rounds) {
    Random random = queries.random;
    TagCatalogue catalogue = same("tag catalogue", c -> c.tagCatalogue(project));
    Map<String, Set<String>> tags = new java.util.TreeMap<>();
    for (Backup b : everything(project)) {
      b.tags().forEach(t -> tags.computeIfAbsent(t.key(), k -> new TreeSet<>()).add(t.value()));
    }
    assertEquals(TagCatalogue.of(tags), catalogue, where("the documented tag catalogue: every key with its values"));
    assertEquals(usageOracle(everything(project), Predicates.all()),
        mem.usage(project, UsageQuery.firstServers(1000)), where("the documented usage"));
    same("sequence", c -> c.sequence(project));
    same("quota usage", c -> c.quotaUsage(project));
    same("usage of every backup", c -> c.usage(project, UsageQuery.firstServers(1000)));
    for (int round = 0; round < rounds; round++) {
      ctx = "project '" + project + "' round " + round;
      BackupPredicate p = queries.predicate(2);
      same("count " + p, c -> c.count(project, p));
      long total = mem.count(project, p);
      int limit = (int) Math.max(1, Math.min(1000, total / (1 + random.nextInt(4)) + random.nextInt(2)));
      Query q = Query.builder().where(p).sort(queries.sort()).limit(limit).build();
      if (random.nextBoolean()) {
        walkByMarker(project, q);
      } else {
        walkByOffset(project, q, total);
      }
      if (round % 4 == 3) {
        // one state: a page, its count, the usage, the tag catalogue, the quotas and the sequence
        same("read of " + q, c -> c.read(project, v -> List.of(v.query(q), v.count(p), v.usage(UsageQuery.of(p, 0, 5)),
            v.tagCatalogue(), v.quotaUsage(), v.sequence(), v.find(q.marker().orElse("bk-a")))));
      }
      if (round % 3 == 0) {
        ConsoleSearch s = queries.console();
        int consoleLimit = 1 + random.nextInt(30);
        Query cq = same("console query of " + s, c -> s.toQuery(c.tagCatalogue(project), consoleLimit));
        if (cq != null) {
          walkByMarker(project, cq);
        }
      }
      if (round % 3 == 1) {
        TagFilter f = queries.tagFilter();
        same("tag filter " + f, c -> c.query(project, f.toQuery()));
        same("tag filter count " + f, c -> c.count(project, f.toPredicate()));
      }
      if (round % 3 == 2) {
        BackupPredicate u = queries.predicate(1);
        UsageReport all = same("usage of " + u, c -> c.usage(project, UsageQuery.of(u, 0, 1000)));
        if (all != null) {
          assertEquals(usageOracle(everything(project), u), all, where("the documented usage of " + u));
        }
        if (all != null && all.serverCount() > 1) {
          int l = 1 + random.nextInt((int) all.serverCount());
          for (long off = 0; off <= all.serverCount(); off += l) {
            long o = off;
            same("usage page " + o + "+" + l + " of " + u, c -> c.usage(project, UsageQuery.of(u, o, l)));
          }
        }
      }
    }
  }

  private void compareAllProjects(Queries queries, int rounds) {
    Random random = queries.random;
    for (int round = 0; round < rounds; round++) {
      ctx = "all projects round " + round;
      BackupPredicate p = queries.predicate(1);
      long total = same("count all projects " + p, c -> c.countAllProjects(p));
      int limit = (int) Math.max(1, Math.min(1000, total / (2 + random.nextInt(3)) + 1));
      Query q = Query.builder().where(p).sort(queries.sort()).limit(limit).build();
      List<Backup> everything = new ArrayList<>();
      for (long offset = 0; ; offset += 1000) {
        Page chunk = pg.queryAllProjects(Query.builder().offset(offset).build());
        everything.addAll(chunk.backups());
        if (!chunk.hasMore()) {
          break;
        }
      }
      for (long offset = 0; offset <= total; offset += limit) {
        Query page = q.toBuilder().offset(offset).build();
        Page got = same("all projects " + page, c -> c.queryAllProjects(page));
        if (got != null) {
          List<String> projects = new ArrayList<>();
          got.backups().forEach(b -> projects.add(b.projectId() + "/" + b.id()));
          List<String> expected = new ArrayList<>();
          Comparator<Backup> order = page.sort().comparator().thenComparing(Backup::projectId);
          Instant now = clock.instant();
          everything.stream().filter(b -> page.predicate().test(b, now, StallRule.DEFAULT)).sorted(order)
              .skip(page.offset()).limit(page.limit()).forEach(b -> expected.add(b.projectId() + "/" + b.id()));
          assertEquals(expected, projects, where("the documented all-projects page of " + page));
        }
      }
      Page first = same("all projects first page " + q, c -> c.queryAllProjects(q));
      if (first != null && first.hasMore()) {
        Query next = q.after(first.nextMarker().orElseThrow());
        same("all projects after marker " + next, c -> c.queryAllProjects(next));
      }
    }
  }

  private void addToBoth(List<Backup> backups) {
    for (int from = 0; from < backups.size(); from += 500) {
      List<Backup> chunk = backups.subList(from, Math.min(backups.size(), from + 500));
      mem.addAll(chunk);
      pg.addAll(chunk);
    }
  }

  // ------------------------------------------------------------------------------------ random changes

  private void randomChanges(Gen gen, List<String> projects, int changes) {
    Random random = gen.random;
    for (int i = 0; i < changes; i++) {
      String project = gen.pick(projects);
      List<Backup> backups = mem.query(project, Query.all()).backups();
      if (backups.isEmpty()) {
        continue;
      }
      Backup b = backups.get(random.nextInt(backups.size()));
      long version = random.nextInt(12) == 0 ? b.version() + 1 : b.version();
      ctx = "change " + i + " of '" + project + "'/'" + b.id() + "' v" + b.version();
      // the clock moves by whole microseconds, sometimes not at all (changes at one instant)
      clock.advance(Duration.ofNanos(1_000L * random.nextInt(3)));
      switch (random.nextInt(9)) {
        case 0: same("restore", c -> c.apply(project, b.id(), version, Transition.restore())); break;
        case 1: same("delete", c -> c.apply(project, b.id(), version, Transition.delete())); break;
        case 2: {
          int pct = gen.pick(List.of(0, 30, 100));
          same("progress " + pct, c -> c.apply(project, b.id(), version, Transition.reportProgress(pct)));
          break;
        }
        case 3: same("complete", c -> c.apply(project, b.id(), version, Transition.complete())); break;
        case 4: same("fail", c -> c.apply(project, b.id(), version, Transition.fail("it's 100% \\ gone"))); break;
        case 5: same("instant restore", c -> c.apply(project, b.id(), version, Transition.instantRestore())); break;
        case 6: {
          List<Tag> generated = gen.tags();
          List<Tag> tags = generated.subList(0, Math.min(3, generated.size()));
          TagUpdate u = TagUpdate.create(tags.isEmpty() ? List.of(Tag.of("env", "prod")) : tags);
          same("tags " + u, c -> c.updateTags(project, b.id(), version, u));
          break;
        }
        case 7: {
          TagUpdate u = b.tags().isEmpty() || random.nextBoolean()
              ? TagUpdate.delete(TagUpdate.Match.key(gen.pick(KEYS)))
              : TagUpdate.delete(TagUpdate.Match.of(b.tags().get(0).key(), b.tags().get(0).value()));
          same("tag delete " + u, c -> c.updateTags(project, b.id(), version, u));
          break;
        }
        default: same("remove", c -> {
          c.remove(project, b.id(), version);
          return "removed";
        });
      }
    }
  }

  // ------------------------------------------------------------------------------------ the tests

  @Test
  void oneLargerProjectBesideHundredsOfSmallOnesAgreesOnEveryQueryBeforeAndAfterRandomChanges() {
    Gen gen = new Gen(new Random(seed));
    Random random = gen.random;
    List<Backup> all = new ArrayList<>();
    // the larger project: mixed names, all id shapes with numbered families
    String big = "proj-big";
    for (int i = 0; i < 260; i++) {
      String id = ID_SHAPES.get(i % ID_SHAPES.size()) + (i < ID_SHAPES.size() ? "" : "#" + (i / ID_SHAPES.size()));
      all.add(gen.backup(big, id, gen.pick(NAME_SHAPES)));
    }
    // hundreds of small projects of 1 to 3 backups, their ids shared among projects
    List<String> projects = new ArrayList<>();
    projects.add(big);
    List<String> projectShapes = List.of("p-a", "P-a", "p-a ", "p-\u00e9", "p-e\u0301", "p-%", "p-_", "p-\\", "p-'");
    for (int i = 0; i < 100; i++) {
      String project = i < projectShapes.size() ? projectShapes.get(i) : "p-" + i;
      projects.add(project);
      int n = 1 + random.nextInt(3);
      List<String> ids = new ArrayList<>(ID_SHAPES);
      Collections.shuffle(ids, random);
      for (int j = 0; j < n; j++) {
        all.add(gen.backup(project, ids.get(j), random.nextBoolean() ? "bk" : gen.pick(NAME_SHAPES)));
      }
    }
    addToBoth(all);
    pg.setQuota("p-a", Quota.of(3, 1));
    mem.setQuota("p-a", Quota.of(3, 1));
    pg.setQuota(big, Quota.of(10_000, Quota.MAX_CAPACITY_GB));
    mem.setQuota(big, Quota.of(10_000, Quota.MAX_CAPACITY_GB));

    Queries queries = new Queries(gen);
    compareQueries(big, queries, 10);
    for (int i = 0; i < 7; i++) {
      compareQueries(i < projectShapes.size() ? projectShapes.get(i) : gen.pick(projects), queries, 2);
    }
    compareAllProjects(queries, 5);

    randomChanges(gen, List.of(big, big, big, "p-a", "P-a", "p-e\u0301", gen.pick(projects)), 80);
    compareQueries(big, queries, 7);
    for (String p : List.of("p-a", "P-a", "p-e\u0301")) {
      compareQueries(p, queries, 2);
    }
    compareAllProjects(queries, 3);
  }

  @Test
  void aProjectWhoseNamesAreAllEqualPagesByEveryNameSortInIdOrderAlike() {
    Gen gen = new Gen(new Random(seed + 1));
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      String id = ID_SHAPES.get(i % ID_SHAPES.size()) + (i < ID_SHAPES.size() ? "" : " " + (i / ID_SHAPES.size()));
      all.add(gen.backup("same-names", id, "bk"));
    }
    addToBoth(all);
    Queries queries = new Queries(gen);
    for (SortKey key : List.of(SortKey.asc(SortField.NAME), SortKey.desc(SortField.NAME),
        SortKey.asc(SortField.CREATED_AT), SortKey.desc(SortField.UPDATED_AT), SortKey.asc(SortField.STATUS))) {
      ctx = "same names, sort " + key;
      for (int limit : key.equals(SortKey.asc(SortField.NAME)) ? new int[] {1, 7, 120} : new int[] {7, 120}) {
        Query q = Query.builder().sort(Sort.by(key)).limit(limit).build();
        int pages = walkByMarker("same-names", q);
        assertEquals((120 + limit - 1) / limit, pages, where("pages walked by marker at limit " + limit));
      }
      walkByOffset("same-names", Query.builder().sort(Sort.by(key)).limit(13).build(), 120);
    }
    compareQueries("same-names", queries, 5);
  }

  @Test
  void aNameSortTiesBreakByIdInTheFirstKeysDirectionOnBothCatalogs() {
    Gen gen = new Gen(new Random(seed + 2));
    List<Backup> all = new ArrayList<>();
    for (String id : ID_SHAPES) {
      all.add(gen.backup("ties", id, "bk"));
    }
    addToBoth(all);
    List<String> ascending = new ArrayList<>(ID_SHAPES);
    Collections.sort(ascending);
    ctx = "ties";
    Page asc = same("name asc", c -> c.query("ties", Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME))).build()));
    assertEquals(ascending, asc.ids(), where("names equal: ids ascending, String.compareTo"));
    Page desc = same("name desc", c -> c.query("ties", Query.builder().sort(Sort.by(SortKey.desc(SortField.NAME))).build()));
    List<String> descending = new ArrayList<>(ascending);
    Collections.reverse(descending);
    assertEquals(descending, desc.ids(), where("names equal, descending: ids descending"));
  }

  @Test
  void backupsAtThreeInstantsPageAlikeByCreationAndUpdateTimeWithEveryMicrosecondBoundary() {
    Gen gen = new Gen(new Random(seed + 3));
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      all.add(gen.backup("instants", "b-" + (char) ('a' + i % 26) + (i / 26), gen.pick(NAME_SHAPES)));
    }
    addToBoth(all);
    ctx = "instants";
    for (Instant at : CREATED) {
      for (long micros : new long[] {-1, 0, 1}) {
        Instant edge = at.plusNanos(micros * 1_000);
        same("created between T0 and " + edge, c -> c.count("instants", Predicates.createdBetween(T0, edge)));
        same("created from " + edge, c -> c.count("instants", Predicates.createdIn(TimeRange.from(edge))));
        same("created before " + edge, c -> c.query("instants", Query.where(Predicates.createdIn(TimeRange.before(edge)))));
        same("created until " + edge, c -> c.count("instants", Predicates.createdIn(TimeRange.until(edge))));
        Duration window = Duration.between(edge, NOW);
        same("created within " + window, c -> c.query("instants", Query.where(Predicates.createdWithinLast(window))));
      }
    }
    for (Sort sort : List.of(Sort.DEFAULT, Sort.by(SortKey.asc(SortField.CREATED_AT)),
        Sort.by(SortKey.desc(SortField.UPDATED_AT), SortKey.asc(SortField.CREATED_AT)),
        Sort.by(SortKey.asc(SortField.UPDATED_AT), SortKey.desc(SortField.NAME)))) {
      walkByMarker("instants", Query.builder().sort(sort).limit(15).build());
    }
    // degenerate and sub-microsecond ranges: a point, open ends one microsecond or one nanosecond apart
    for (Instant a : List.of(T0, T1, T0.plusNanos(500), T1.minusNanos(1))) {
      for (Instant b : List.of(T1, T1.plusNanos(1), T0.plusNanos(999))) {
        for (int ends = 0; ends < 4; ends++) {
          boolean fromIn = (ends & 1) != 0;
          boolean toIn = (ends & 2) != 0;
          String range = (fromIn ? "[" : "(") + a + ", " + b + (toIn ? "]" : ")");
          String memOutcome = sameOutcome("range " + range,
              c -> c.query("instants", Query.where(Predicates.createdIn(TimeRange.of(a, fromIn, b, toIn)))).ids());
          if (!memOutcome.startsWith("refused")) {
            long expected = all.stream().filter(x -> (fromIn ? !x.createdAt().isBefore(a) : x.createdAt().isAfter(a))
                && (toIn ? !x.createdAt().isAfter(b) : x.createdAt().isBefore(b))).count();
            assertEquals(expected, pg.count("instants", Predicates.createdIn(TimeRange.of(a, fromIn, b, toIn))),
                where("the range " + range + " as its bounds say"));
          }
        }
      }
    }
    // the expected count from the docs: createdBetween is inclusive at both ends
    long atT0orT1 = all.stream().filter(b -> !b.createdAt().isAfter(T1)).count();
    assertEquals(atT0orT1, pg.count("instants", Predicates.createdBetween(T0, T1)), where("inclusive bounds"));
  }

  @Test
  void stalledAtExactlyTheThresholdIsNotStalledOnEitherCatalogAndAMicrosecondMoreIs() {
    Instant created = T2;
    List<Backup> all = new ArrayList<>();
    int n = 0;
    for (BackupStatus status : List.of(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING)) {
      for (long micros : new long[] {-1, 0, 1}) {
        Instant at = NOW.minus(THRESHOLD).plusNanos(micros * 1_000);
        all.add(Backup.builder().id("s-" + (n++)).name("s").projectId("stall")
            .server(SERVERS.get(0)).status(status).progress(Progress.of(40, at)).sizeMb(1)
            .createdAt(created).updatedAt(at).build());
      }
    }
    all.add(Backup.builder().id("s-available").name("s").projectId("stall").server(SERVERS.get(0))
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(created).build());
    addToBoth(all);
    ctx = "stalled";
    // older than the threshold by a microsecond: stalled; exactly at it or younger: not yet
    Page stalled = same("stalled", c -> c.query("stall", Query.builder().where(Predicates.stalled()).sort(Sort.by(SortKey.asc(SortField.ID))).build()));
    assertEquals(List.of("s-0", "s-3", "s-6"), stalled.ids(), where("stalled at exactly the threshold is not yet"));
    same("not stalled", c -> c.query("stall", Query.where(Predicates.not(Predicates.stalled()))));
    clock.advance(Duration.ofNanos(1_000));
    Page later = same("stalled a microsecond later", c -> c.query("stall", Query.builder().where(Predicates.stalled()).sort(Sort.by(SortKey.asc(SortField.ID))).build()));
    assertEquals(List.of("s-0", "s-1", "s-3", "s-4", "s-6", "s-7"), later.ids(), where("a microsecond past"));
  }

  @Test
  void usageLinesOfServersSharingANameOrAnIdAgreeAndTakeTheNameOfTheGreatestIdAtOneInstant() {
    List<Backup> all = new ArrayList<>();
    // one server id under three names, all created at T2: the line's name comes from the greatest id
    String[] ids = {"b-A", "b-a", "b-a ", "b-\u00e9", "b-e\u0301"};
    String[] names = {"name-1", "name-2", "name-3", "name-4", "name-5"};
    for (int i = 0; i < ids.length; i++) {
      all.add(Backup.builder().id(ids[i]).name("bk").projectId("usage")
          .server(Server.of("srv-x", names[i], "eu-de-01")).status(BackupStatus.AVAILABLE)
          .sizeMb(100).createdAt(T2).build());
    }
    // servers of equal use differing in id only by case, a trailing space and an accent's form
    for (String server : List.of("s-a", "S-a", "s-a ", "s-\u00e9", "s-e\u0301", "s-_", "s-%")) {
      all.add(Backup.builder().id("x-" + server).name("bk").projectId("usage")
          .server(Server.of(server, "ecs-web", "eu-de-02")).status(BackupStatus.AVAILABLE)
          .sizeMb(Backup.MAX_SIZE_MB).createdAt(T1).build());
    }
    all.add(Backup.builder().id("zero").name("bk").projectId("usage")
        .server(Server.of("s-zero", "ecs-web", "eu-de-02")).status(BackupStatus.AVAILABLE)
        .sizeMb(0).createdAt(T0).build());
    addToBoth(all);
    ctx = "usage";
    UsageReport report = same("usage", c -> c.usage("usage", UsageQuery.firstServers(1000)));
    String greatest = new TreeSet<>(List.of(ids)).last();
    int at = List.of(ids).indexOf(greatest);
    assertEquals(names[at], report.servers().stream().filter(s -> s.serverId().equals("srv-x")).findFirst()
        .orElseThrow().serverName(), where("the line's name: the greatest id's"));
    List<String> expectedOrder = new ArrayList<>(List.of("s-a", "S-a", "s-a ", "s-\u00e9", "s-e\u0301", "s-_", "s-%"));
    Collections.sort(expectedOrder);
    List<String> actual = new ArrayList<>();
    report.servers().forEach(s -> actual.add(s.serverId()));
    assertEquals(expectedOrder, actual.subList(0, 7), where("equal use: by server id"));
    assertEquals("s-zero", actual.get(actual.size() - 1), where("0 MB last"));
    for (int l = 1; l <= 4; l++) {
      for (long off = 0; off <= 10; off += l) {
        long o = off;
        int lim = l;
        same("usage page " + o + "+" + lim, c -> c.usage("usage", UsageQuery.of(Predicates.all(), o, lim)));
        same("usage page of zone 2 " + o + "+" + lim,
            c -> c.usage("usage", UsageQuery.of(Predicates.availabilityZone("eu-de-02"), o, lim)));
      }
    }
    // after the greatest id is removed, the next greatest names the line
    same("remove", c -> {
      c.remove("usage", greatest, 1);
      return "removed";
    });
    same("usage after removing the greatest id", c -> c.usage("usage", UsageQuery.firstServers(1000)));
    same("quota usage at the largest sizes", c -> c.quotaUsage("usage"));
  }

  @Test
  void tenTagsOfTheLongestKeysAndValuesAreCataloguedSearchedAndUpdatedAlike() {
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      List<Tag> tags = new ArrayList<>();
      for (int k = 0; k < Backup.MAX_TAGS; k++) {
        String key = repeat('k', 33) + String.format("%03d", (k + i) % 13);
        String value = repeat(i % 2 == 0 ? 'v' : 'V', 40) + String.format("%03d", k);
        tags.add(Tag.of(key, value));
      }
      all.add(Backup.builder().id("t-" + i).name("bk").projectId("tags").server(SERVERS.get(i % SERVERS.size()))
          .status(BackupStatus.AVAILABLE).sizeMb(i).createdAt(CREATED[i % 3]).tags(tags).build());
    }
    addToBoth(all);
    ctx = "tags";
    TagCatalogue catalogue = same("tag catalogue", c -> c.tagCatalogue("tags"));
    assertEquals(13, catalogue.keys().size(), where("13 keys"));
    String key = repeat('k', 33) + "005";
    for (String pattern : List.of("*", "*V", "*v", "*001", "*" + repeat('v', 40) + "00", repeat('v', 40) + "004", "*0")) {
      same("tag " + key + " " + pattern, c -> c.query("tags", Query.where(Predicates.tag(key, List.of(pattern)))));
    }
    TagFilter filter = TagFilter.builder().tags(key).notTagsAny(repeat('k', 33) + "012", "*V").build();
    same("tag filter", c -> c.query("tags", filter.toQuery()));
    // an eleventh tag is refused naming tags, alike
    Backup b = mem.get("tags", "t-0");
    same("an eleventh tag", c -> c.updateTags("tags", "t-0", b.version(), TagUpdate.create(Tag.of("new", "x"))));
    // replacing a value of one of the ten is no eleventh
    String first = b.tags().get(0).key();
    same("replace a value", c -> c.updateTags("tags", "t-0", b.version(), TagUpdate.create(Tag.of(first, ""))));
    same("tag catalogue after", c -> c.tagCatalogue("tags"));
    same("by the empty value", c -> c.query("tags", Query.where(Predicates.tag(first, ""))));
    TagUpdate deleteAll = TagUpdate.delete(
        mem.get("tags", "t-1").tags().stream().map(t -> TagUpdate.Match.key(t.key())).toList());
    same("delete every tag", c -> c.updateTags("tags", "t-1", 1, deleteAll));
    same("tag catalogue at the end", c -> c.tagCatalogue("tags"));
  }

  @Test
  void idsAboveUPlusFfffSortAfterThePrivateUseCharsInPostgresAsDocumentedAndFindAlike() {
    // documented difference: in memory a char above U+FFFF sorts before U+E000..U+FFFF, here after
    List<String> ids = List.of("k\uD83D\uDE00", "k\uE000", "k\uFFFD", "k\uFF21", "k\u00e9", "k\uD800\uDC00");
    List<String> names = List.of("n\uD835\uDC9C", "n\uFF21", "n\uFF41", "n\u00e9", "n\uD835\uDC9E", "nz");
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      all.add(Backup.builder().id(ids.get(i)).name(names.get(i)).projectId("astral").server(SERVERS.get(0))
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T0).build());
    }
    addToBoth(all);
    ctx = "astral";
    Comparator<String> byCodePoint = (a, b) -> {
      int i = 0;
      int j = 0;
      while (i < a.length() && j < b.length()) {
        int ca = a.codePointAt(i);
        int cb = b.codePointAt(j);
        if (ca != cb) {
          return Integer.compare(ca, cb);
        }
        i += Character.charCount(ca);
        j += Character.charCount(cb);
      }
      return Integer.compare(a.length() - i, b.length() - j);
    };
    List<String> byChar = new ArrayList<>(ids);
    Collections.sort(byChar);
    List<String> byPoint = new ArrayList<>(ids);
    byPoint.sort(byCodePoint);
    Query byId = Query.builder().sort(Sort.by(SortKey.asc(SortField.ID))).build();
    assertEquals(byChar, mem.query("astral", byId).ids(), where("in memory: String.compareTo"));
    assertEquals(byPoint, pg.query("astral", byId).ids(), where("PostgreSQL: by code point"));
    // whatever the order, every search and count agrees, and each id is found exactly
    for (String id : ids) {
      same("find " + id, c -> c.find("astral", id));
      same("backupId " + id, c -> c.count("astral", Predicates.backupId(id)));
    }
    for (String name : names) {
      same("name " + name, c -> c.count("astral", Predicates.nameContains(name)));
    }
    // a walk by marker in PostgreSQL's own order visits each backup once
    Query walk = Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME))).limit(2).build();
    List<String> seen = new ArrayList<>();
    Query q = walk;
    for (int i = 0; i < 10; i++) {
      Page p = pg.query("astral", q);
      seen.addAll(p.ids());
      if (!p.hasMore()) {
        break;
      }
      q = walk.after(p.nextMarker().orElseThrow());
    }
    assertEquals(new LinkedHashSet<>(ids), new java.util.HashSet<>(seen), where("each once"));
    assertEquals(ids.size(), seen.size(), where("each once"));
  }

  @Test
  void everyStateWithAndWithoutProgressSurvivesTransitionsAtOneInstantAlike() {
    Gen gen = new Gen(new Random(seed + 4));
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      all.add(gen.backup("states", "s" + (i % 7 == 0 ? "S" : "s") + i, gen.pick(NAME_SHAPES)));
    }
    addToBoth(all);
    // many changes at one instant: updated_at ties everywhere
    Random random = gen.random;
    for (int i = 0; i < 60; i++) {
      Backup b = gen.pick(mem.query("states", Query.all()).backups());
      ctx = "state change " + i + " of " + b.id() + " " + b.status();
      Transition t = gen.pick(List.of(Transition.restore(), Transition.delete(), Transition.reportProgress(random.nextInt(101)),
          Transition.complete(), Transition.fail("x"), Transition.instantRestore()));
      same(t.toString(), c -> c.apply("states", b.id(), b.version(), t));
    }
    Queries queries = new Queries(gen);
    for (SortField f : SortField.values()) {
      for (boolean asc : new boolean[] {true, false}) {
        ctx = "states sort " + f + (asc ? " asc" : " desc");
        walkByMarker("states", Query.builder().sort(Sort.by(asc ? SortKey.asc(f) : SortKey.desc(f))).limit(17).build());
        walkByOffset("states", Query.builder().where(Predicates.stalled()).sort(Sort.by(asc ? SortKey.asc(f) : SortKey.desc(f))).limit(3).build(), 150);
      }
    }
    clock.set(NOW.plus(THRESHOLD));
    same("stalled at the threshold after changes", c -> c.query("states", Query.where(Predicates.stalled())));
    clock.advance(Duration.ofNanos(1_000));
    same("stalled a microsecond past", c -> c.query("states", Query.where(Predicates.stalled())));
    compareQueries("states", queries, 5);
  }

  @Test
  void changesAtTheSameInstantKeepMarkersPagingAlikeWhileTheMarkersBackupMoves() {
    Gen gen = new Gen(new Random(seed + 5));
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      all.add(gen.backup("moving", "m-" + i, "bk"));
    }
    addToBoth(all);
    Query q = Query.builder().sort(Sort.by(SortKey.desc(SortField.UPDATED_AT), SortKey.asc(SortField.STATUS))).limit(6).build();
    ctx = "moving marker";
    Page first = same("first", c -> c.query("moving", q));
    String marker = first.nextMarker().orElseThrow();
    Backup moved = mem.get("moving", marker);
    // the marker's backup changes (a new updated_at, maybe a new state): the next page follows its new place
    same("tag the marker", c -> c.updateTags("moving", marker, moved.version(), TagUpdate.create(Tag.of("moved", "yes"))));
    same("after the moved marker", c -> c.query("moving", q.after(marker)));
    Query byName = Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.CREATED_AT))).limit(5).build();
    walkByMarker("moving", byName);
  }

  @Test
  void aBatchWithATimeFinerThanAMicrosecondIsRefusedWholeByPostgresAndKeptInMemory() {
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      batch.add(Backup.builder().id("n-" + i).name("bk").projectId("nanos").server(SERVERS.get(0))
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(i == 3 ? T0.plusNanos(1) : T0).build());
    }
    mem.addAll(batch);
    ctx = "nanos";
    InvalidValueException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidValueException.class, () -> pg.addAll(batch));
    assertTrue(e.field().contains("created"), where("names the field: " + e.field()));
    assertEquals(0, pg.count("nanos", Predicates.all()), where("nothing added"));
    assertEquals(5, mem.count("nanos", Predicates.all()), where("kept in memory"));
    assertEquals(0, pg.sequence("nanos"), where("no change"));
  }

  @Test
  void manySmallProjectsWithTheSameIdsPageTheAllProjectsViewByProjectIdAlike() {
    Gen gen = new Gen(new Random(seed + 6));
    List<Backup> all = new ArrayList<>();
    List<String> projects = new ArrayList<>(List.of("q", "Q", "q ", "q-\u00e9", "q-e\u0301", "q%", "q_", "q\\", "q'", "q\""));
    for (int i = 0; i < 90; i++) {
      projects.add("q-" + i);
    }
    for (String project : projects) {
      // every project has "dup", created at the same instant, with the same name
      all.add(Backup.builder().id("dup").name("bk").projectId(project).server(SERVERS.get(0))
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T1).build());
      if (gen.random.nextBoolean()) {
        all.add(gen.backup(project, gen.pick(ID_SHAPES), "bk"));
      }
    }
    addToBoth(all);
    Queries queries = new Queries(gen);
    ctx = "all projects";
    for (Sort sort : List.of(Sort.DEFAULT, Sort.by(SortKey.asc(SortField.ID)), Sort.by(SortKey.desc(SortField.ID)),
        Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.UPDATED_AT)))) {
      Query q = Query.builder().where(Predicates.backupId("dup")).sort(sort).limit(37).build();
      Page firstPage = same("dup first page " + sort, c -> c.queryAllProjects(q));
      List<String> sortedProjects = new ArrayList<>(projects);
      Collections.sort(sortedProjects);
      List<String> got = new ArrayList<>();
      for (long off = 0; off < projects.size(); off += 37) {
        Query page = q.toBuilder().offset(off).build();
        Page p = same("dup page at " + off + " " + sort, c -> c.queryAllProjects(page));
        p.backups().forEach(b -> got.add(b.projectId()));
      }
      assertEquals(sortedProjects, got, where("equal backups by project id, ascending whatever the direction: " + sort));
      // the marker "dup" is in every project: refused naming marker, alike
      same("marker held by many projects", c -> c.queryAllProjects(q.after(firstPage.nextMarker().orElseThrow())));
    }
    compareAllProjects(queries, 4);
  }

  @Test
  void pagesByMarkerWithChangesBetweenThemContinueAlikeEvenWhenTheMarkerLeavesTheSearch() {
    Gen gen = new Gen(new Random(seed + 7));
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      all.add(gen.backup("between", ID_SHAPES.get(i % ID_SHAPES.size()) + "/" + i, gen.pick(NAME_SHAPES)));
    }
    addToBoth(all);
    Queries queries = new Queries(gen);
    Random random = gen.random;
    for (int round = 0; round < 12; round++) {
      ctx = "between round " + round;
      BackupPredicate p = queries.predicate(1);
      Query q = Query.builder().where(p).sort(queries.sort()).limit(1 + random.nextInt(9)).build();
      Query current = q;
      for (int pages = 0; pages < 8; pages++) {
        Query asked = current;
        Page page = same("page " + pages + " of " + asked, c -> c.query("between", asked));
        if (page == null || !page.hasMore()) {
          break;
        }
        String marker = page.nextMarker().orElseThrow();
        // the marker's own backup changes (state, tags or time), or another one is removed
        Backup b = mem.get("between", marker);
        clock.advance(Duration.ofNanos(1_000L * random.nextInt(2)));
        switch (random.nextInt(4)) {
          case 0: same("restore the marker", c -> c.apply("between", marker, b.version(), Transition.restore())); break;
          case 1: same("delete the marker", c -> c.apply("between", marker, b.version(), Transition.delete())); break;
          case 2: {
            TagUpdate u = TagUpdate.create(Tag.of("env", "prod" + pages));
            same("tag the marker", c -> c.updateTags("between", marker, b.version(), u));
            break;
          }
          default: {
            Backup other = page.backups().get(0);
            if (!other.id().equals(marker)) {
              same("remove another", c -> {
                c.remove("between", other.id(), other.version());
                return "removed";
              });
            }
          }
        }
        current = q.after(marker);
      }
    }
  }

  @Test
  void aBackupUpdatedAfterTheClocksNowIsRefusedNamingNowAlikeAndChangesNothing() {
    Backup late = Backup.builder().id("late ").name("bk").projectId("late").server(SERVERS.get(0))
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T2).updatedAt(NOW.plusNanos(1_000)).build();
    addToBoth(List.of(late));
    ctx = "late";
    same("restore", c -> c.apply("late", "late ", 1, Transition.restore()));
    same("tags", c -> c.updateTags("late", "late ", 1, TagUpdate.create(Tag.of("a", "b"))));
    same("sequence", c -> c.sequence("late"));
    same("find", c -> c.find("late", "late "));
    clock.advance(Duration.ofNanos(1_000));
    same("restore at the same microsecond", c -> c.apply("late", "late ", 1, Transition.restore()));
    same("sorted by update", c -> c.query("late", Query.builder().sort(Sort.by(SortKey.asc(SortField.UPDATED_AT))).build()));
  }

  @Test
  void aClockWithNanosecondsJudgesWindowsAndStallsAsTheInMemoryCatalogDoes() {
    // the README: "the catalog's clock is read to the microsecond"; the catalogs must still agree
    List<Backup> all = new ArrayList<>();
    Instant progress = NOW.minus(THRESHOLD);
    all.add(Backup.builder().id("job").name("bk").projectId("nanos").server(SERVERS.get(0))
        .status(BackupStatus.CREATING).progress(Progress.of(10, progress)).sizeMb(1).createdAt(T2)
        .updatedAt(progress).build());
    all.add(Backup.builder().id("old").name("bk").projectId("nanos").server(SERVERS.get(0))
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T0).build());
    addToBoth(all);
    clock.set(NOW.plusNanos(500));
    ctx = "nanosecond clock";
    Duration window = Duration.between(T0, NOW);
    long memStalled = mem.count("nanos", Predicates.stalled());
    long pgStalled = pg.count("nanos", Predicates.stalled());
    long memWindow = mem.count("nanos", Predicates.createdWithinLast(window));
    long pgWindow = pg.count("nanos", Predicates.createdWithinLast(window));
    assertEquals(memStalled + " stalled, " + memWindow + " in the window",
        pgStalled + " stalled, " + pgWindow + " in the window", where("in memory, then PostgreSQL"));
  }

  @Test
  void replayedChangesThatMoveABackupBetweenServersStatesSizesAndTimesKeepEveryCountAlike() {
    Gen gen = new Gen(new Random(seed + 8));
    Random random = gen.random;
    String project = "moves";
    List<String> ids = List.of("m", "M", "m ", "m-\u00e9", "m-e\u0301", "m%", "m_");
    List<Backup> first = new ArrayList<>();
    for (String id : ids) {
      first.add(gen.backup(project, id, gen.pick(NAME_SHAPES)));
    }
    addToBoth(first);
    Queries queries = new Queries(gen);
    long sequence = ids.size();
    for (int i = 0; i < 40; i++) {
      String id = gen.pick(ids);
      Optional<Backup> before = mem.find(project, id);
      Optional<Backup> after;
      if (before.isPresent() && random.nextInt(6) == 0) {
        after = Optional.empty();
      } else {
        // the same id, as committed elsewhere: another server, state, size, name, creation time, tags
        Backup fresh = gen.backup(project, id, gen.pick(NAME_SHAPES));
        long version = before.map(b -> b.version() + 1).orElse(1L);
        Instant updated = before.map(b -> b.updatedAt().isAfter(fresh.updatedAt()) ? b.updatedAt() : fresh.updatedAt())
            .orElse(fresh.updatedAt());
        after = Optional.of(fresh.toBuilder().version(version).updatedAt(updated).build());
      }
      Change change = new Change(++sequence, project, id, before, after, Optional.empty());
      ctx = "replay " + i + " " + change;
      same("replay", c -> c.replay(change));
      for (String server : List.of("srv-1", "srv-8 ")) {
        same("count of server " + server, c -> c.count(project, Predicates.serverId(server)));
        same("page of server " + server, c -> c.query(project, Query.builder().where(Predicates.serverId(server)).limit(2).build()));
      }
      same("count by state", c -> {
        List<Long> counts = new ArrayList<>();
        for (BackupStatus st : BackupStatus.values()) {
          counts.add(c.count(project, Predicates.status(st)));
        }
        counts.add(c.count(project, Predicates.all()));
        counts.add(c.countAllProjects(Predicates.status(BackupStatus.AVAILABLE, BackupStatus.ERROR)));
        return counts;
      });
      same("usage", c -> c.usage(project, UsageQuery.firstServers(1000)));
      same("quota usage", c -> c.quotaUsage(project));
      same("tag catalogue", c -> c.tagCatalogue(project));
    }
    compareQueries(project, queries, 8);
  }

  /**
   * The usage the docs define: per server id, the matching backups' count and size, the name of the
   * newest (ties: the greatest id); largest size first, then more backups, then server id.
   */
  private UsageReport usageOracle(List<Backup> everything, BackupPredicate where) {
    Instant now = clock.instant();
    Map<String, List<Backup>> byServer = new java.util.TreeMap<>();
    long count = 0;
    long size = 0;
    for (Backup b : everything) {
      if (where.test(b, now, StallRule.DEFAULT)) {
        byServer.computeIfAbsent(b.server().id(), k -> new ArrayList<>()).add(b);
        count++;
        size += b.sizeMb();
      }
    }
    List<io.csbs.usage.ServerUsage> lines = new ArrayList<>();
    byServer.forEach((server, backups) -> {
      Backup newest = backups.stream().max(Comparator.comparing(Backup::createdAt).thenComparing(Backup::id)).orElseThrow();
      lines.add(new io.csbs.usage.ServerUsage(server, newest.server().name(), backups.size(),
          backups.stream().mapToLong(Backup::sizeMb).sum()));
    });
    lines.sort(Comparator.comparingLong(io.csbs.usage.ServerUsage::sizeMb).reversed()
        .thenComparing(Comparator.comparingLong(io.csbs.usage.ServerUsage::backups).reversed())
        .thenComparing(io.csbs.usage.ServerUsage::serverId));
    return new UsageReport(count, size, lines.size(), lines);
  }

  @Test
  void backupsAddedOneByOneOutOfCreationOrderBesideSearchesAgreeAsTheProjectGrows() {
    Gen gen = new Gen(new Random(seed + 9));
    Random random = gen.random;
    String project = "late";
    List<Backup> backups = new ArrayList<>();
    int size = 1400;
    for (int i = 0; i < size; i++) {
      Backup b = gen.backup(project, "l" + Integer.toString(i, 36) + (i % 5 == 0 ? "X" : ""), gen.pick(NAME_SHAPES));
      if (random.nextInt(3) > 0) {
        // spread over two days, to the microsecond: most are added late, among newer ones
        Instant at = T0.plusNanos(1_000L * random.nextInt(172_800_000) * 1_000L);
        b = Backup.builder().id(b.id()).name(b.name()).projectId(project).server(b.server())
            .status(BackupStatus.AVAILABLE).sizeMb(b.sizeMb()).createdAt(at).tags(b.tags())
            .type(b.type()).build();
      }
      backups.add(b);
    }
    Queries queries = new Queries(gen);
    List<BackupPredicate> watched = List.of(Predicates.all(), Predicates.status(BackupStatus.AVAILABLE),
        Predicates.status(BackupStatus.CREATING, BackupStatus.ERROR), Predicates.tagKey("env"),
        Predicates.createdWithinLast(Duration.ofDays(3)),
        Predicates.not(Predicates.createdIn(TimeRange.until(T1))));
    for (int from = 0; from < backups.size(); from += 600) {
      List<Backup> chunk = backups.subList(from, Math.min(backups.size(), from + 600));
      for (Backup b : chunk) {
        mem.add(b);
      }
      pg.addAll(chunk);
      ctx = "late adds, " + (from + chunk.size()) + " added";
      for (BackupPredicate p : watched) {
        same("count " + p, c -> c.count(project, p));
        Query q = Query.builder().where(p).limit(25).build();
        same("first page " + p, c -> c.query(project, q));
      }
    }
    walkByOffset(project, Query.builder().limit(1000).build(), size);
    // a retention job: the oldest 300 removed, one by one
    List<Backup> oldest = new ArrayList<>(backups);
    oldest.sort(Sort.DEFAULT.comparator().reversed());
    for (int i = 0; i < 300; i++) {
      Backup b = mem.get(project, oldest.get(i).id());
      mem.remove(project, b.id(), b.version());
      pg.remove(project, b.id(), b.version());
    }
    for (int i = 0; i < 60; i++) {
      Backup b = mem.query(project, Query.builder().offset(random.nextInt(1000)).limit(1).build()).backups().get(0);
      ctx = "late changes " + i + " of " + b.id();
      same("restore", c -> c.apply(project, b.id(), b.version(), Transition.restore()));
    }
    for (BackupPredicate p : watched) {
      ctx = "after late changes";
      same("count " + p, c -> c.count(project, p));
      walkByMarker(project, Query.builder().where(p).limit(1000).build());
    }
    compareQueries(project, queries, 1);
    // (at 1,800 backups the in-memory project was reorganised twice on the way: ProjectStats says so;
    // not asserted, as a reorganisation runs beside the writers and may end after the last call)
  }

  /** Every backup of the project, from PostgreSQL (whose pages the tests compare with memory's). */
  private List<Backup> everything(String project) {
    List<Backup> all = new ArrayList<>();
    for (long offset = 0; ; offset += Query.MAX_LIMIT) {
      Page chunk = pg.query(project, Query.builder().offset(offset).build());
      all.addAll(chunk.backups());
      if (!chunk.hasMore()) {
        return all;
      }
    }
  }

  /** Two backups of one server created at one instant, ids "k" + U+1F600 and "k" + U+E000. */
  private void astralUsage() {
    for (String[] b : new String[][] {{"k\uD83D\uDE00", "name-astral"}, {"k\uE000", "name-private-use"}}) {
      Backup backup = Backup.builder().id(b[0]).name("bk").projectId("astral-usage")
          .server(Server.of("srv-a", b[1], "eu-de-01")).status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T2).build();
      mem.add(backup);
      pg.add(backup);
    }
  }

  @Test
  void aUsageLineNamesTheGreatestIdByCodePointOnPostgresAndByCharInMemory() {
    astralUsage();
    ctx = "astral usage";
    assertEquals("name-private-use", mem.usage("astral-usage", UsageQuery.firstServers(10)).servers().get(0).serverName(),
        where("in memory: U+E000 is the greater char"));
    assertEquals("name-astral", pg.usage("astral-usage", UsageQuery.firstServers(10)).servers().get(0).serverName(),
        where("PostgreSQL: U+1F600 is the greater code point"));
  }

  @Test
  void markersOfARemovedBackupOfAnotherProjectShapeOrOfManyProjectsAreRefusedNamingMarker() {
    List<Backup> all = new ArrayList<>();
    for (String project : List.of("r-a", "R-a", "r-a ")) {
      for (String id : List.of("x", "X", "x ", "only-" + project)) {
        all.add(Backup.builder().id(id).name("bk").projectId(project).server(SERVERS.get(0))
            .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T1).build());
      }
    }
    addToBoth(all);
    ctx = "markers";
    String refused = "refused InvalidValueException field=marker";
    Query q = Query.builder().limit(1).build();
    assertEquals(refused, sameOutcome("a marker of another project's shape", k -> k.query("r-a", q.after("only-R-a"))),
        where("a marker of no backup of the project"));
    Backup x = mem.get("r-a", "x ");
    same("remove the marker", c -> {
      c.remove("r-a", "x ", x.version());
      return "removed";
    });
    assertEquals(refused, sameOutcome("a removed marker", k -> k.query("r-a", q.after("x "))), where("removed"));
    assertEquals(refused, sameOutcome("all projects, a marker in two projects",
        k -> k.queryAllProjects(q.after("X"))), where("an id of several projects"));
    Page unique = same("all projects after a unique id", c -> c.queryAllProjects(
        Query.builder().sort(Sort.by(SortKey.asc(SortField.ID))).limit(3).build().after("only-R-a")));
    List<String> expected = new ArrayList<>();
    all.stream().filter(b -> !(b.projectId().equals("r-a") && b.id().equals("x ")))
        .sorted(Comparator.comparing(Backup::id).thenComparing(Backup::projectId))
        .filter(b -> b.id().compareTo("only-R-a") > 0).limit(3).forEach(b -> expected.add(b.projectId() + "/" + b.id()));
    List<String> got = new ArrayList<>();
    unique.backups().forEach(b -> got.add(b.projectId() + "/" + b.id()));
    assertEquals(expected, got, where("after a unique marker, ties by project id"));
  }

  @Test
  void stallRulesOfEveryScaleJudgeAlikeOnBothCatalogs() {
    List<Backup> all = new ArrayList<>();
    int n = 0;
    for (long micros : new long[] {0, 1, 2, 3, 1_000_000, 86_400_000_000L}) {
      Instant at = NOW.minusNanos(micros * 1_000);
      all.add(Backup.builder().id("j" + (n++)).name("bk").projectId("rules").server(SERVERS.get(0))
          .status(BackupStatus.RESTORING).progress(Progress.of(5, at)).sizeMb(1).createdAt(T0).updatedAt(at).build());
    }
    for (Duration threshold : List.of(Duration.ofNanos(1), Duration.ofNanos(999), Duration.ofNanos(1_500),
        Duration.ofNanos(2_000), Duration.ofSeconds(1), Duration.ofDays(1), Duration.ofDays(36_500_000L),
        Duration.ofSeconds(Long.MAX_VALUE))) {
      TestDatabase.truncate(store);
      StallRule rule = StallRule.ofThreshold(threshold);
      BackupCatalog memory = Catalogs.builder().clock(clock).stallRule(rule).build();
      try (PostgresCatalog database = PostgresCatalog.builder(store).clock(clock).stallRule(rule).build()) {
        memory.addAll(all);
        database.addAll(all);
        for (long later : new long[] {0, 1, 500}) {
          clock.set(NOW.plusNanos(later * 1_000));
          Instant now = clock.instant();
          List<String> expected = new ArrayList<>();
          all.stream().filter(b -> rule.isStalled(b, now)).forEach(b -> expected.add(b.id()));
          Collections.sort(expected);
          Query q = Query.builder().where(Predicates.stalled()).sort(Sort.by(SortKey.asc(SortField.ID))).build();
          ctx = "stall rule " + threshold + " at " + now;
          assertEquals(expected, memory.query("rules", q).ids(), where("in memory, as StallRule.isStalled says"));
          assertEquals(expected, database.query("rules", q).ids(), where("PostgreSQL, as StallRule.isStalled says"));
          assertEquals(expected.size(), database.count("rules", Predicates.stalled()), where("PostgreSQL's count"));
          assertEquals(all.size() - expected.size(), database.count("rules", Predicates.not(Predicates.stalled())),
              where("PostgreSQL's count of the others"));
        }
      }
    }
  }

  /**
   * ProjectView#snapshot: "every backup (in the default order, newest created first), the quota and
   * the sequence, from the one state of the view". More backups than a page holds, at three instants
   * (ties broken by id, descending), ids of every shape: the snapshot of a read is the project's
   * default pages walked by marker, on PostgreSQL as in memory, with the quota and the sequence the
   * view reads.
   */
  @Test
  void aReadsSnapshotListsEveryBackupInTheDefaultOrderOfThePagesTiesIncluded() {
    Gen gen = new Gen(new Random(seed + 40));
    List<Backup> all = new ArrayList<>();
    int n = 2 * Query.MAX_LIMIT + 300;
    for (int i = 0; i < n; i++) {
      all.add(gen.backup("snap", ID_SHAPES.get(i % ID_SHAPES.size()) + (i < ID_SHAPES.size() ? "" : "#" + i), "bk"));
    }
    addToBoth(all);
    mem.setQuota("snap", io.csbs.usage.Quota.of(n + 5, 1 << 20));
    pg.setQuota("snap", io.csbs.usage.Quota.of(n + 5, 1 << 20));
    ctx = "snapshot of a read";
    for (BackupCatalog catalog : List.of(mem, pg)) {
      List<String> walked = new ArrayList<>();
      Query page = Query.builder().limit(Query.MAX_LIMIT).build();
      for (Page answer = catalog.query("snap", page); ; answer = catalog.query("snap", page)) {
        walked.addAll(answer.ids());
        if (answer.nextMarker().isEmpty()) {
          break;
        }
        page = page.after(answer.nextMarker().get());
      }
      io.csbs.catalog.ProjectSnapshot snapshot = catalog.read("snap", io.csbs.catalog.ProjectView::snapshot);
      String which = catalog == pg ? "PostgreSQL" : "in memory";
      assertEquals(walked, snapshot.backups().stream().map(Backup::id).collect(java.util.stream.Collectors.toList()),
          where(which + ": the snapshot's order is the default pages'"));
      assertEquals(n, snapshot.backups().size(), where(which));
      assertEquals(catalog.sequence("snap"), snapshot.sequence(), where(which + ": sequence"));
      assertEquals(io.csbs.usage.Quota.of(n + 5, 1 << 20), snapshot.quota(), where(which + ": quota"));
    }
    assertEquals(mem.read("snap", io.csbs.catalog.ProjectView::snapshot), pg.read("snap", io.csbs.catalog.ProjectView::snapshot),
        where("the same snapshot (every id of the Basic Multilingual Plane)"));
  }
}
