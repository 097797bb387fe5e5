package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.ApiStatus;
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
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.KeywordField;
import io.csbs.query.ListQueryString;
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
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A new user's reading of README.md and the public javadoc of csbs-core, checked against a plain
 * scan written from that documentation only (the oracle below uses none of the library's
 * predicates, sorts or usage code). The data is made here, with shapes the testkit's generator does
 * not make: unicode and mixed-case names, names that are substrings of each other, ties of creation
 * time, nanoseconds, very old and far-future instants, one server with many backups and many servers
 * with one, many projects, tags with shared keys and many values, no tags, zero and huge sizes,
 * out-of-order adds, removals, transitions and tag updates through the catalog.
 *
 * <p>Random tests print their seed on failure; replay with {@code -Dcsbs.seed=N}.
 */
class NewUserContractTest {
  static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  static final StallRule RULE = StallRule.DEFAULT;

  // ---------------------------------------------------------------------------------------------
  // seeds

  interface SeededRun {
    void run(long seed) throws Exception;
  }

  static void seeded(int runs, SeededRun body) {
    String fixed = System.getProperty("csbs.seed");
    if (fixed != null) {
      runs = 1;
    }
    for (int i = 0; i < runs; i++) {
      long seed = fixed != null ? Long.parseLong(fixed) : new Random().nextLong();
      try {
        body.run(seed);
      } catch (Throwable t) {
        AssertionError e = new AssertionError("failed with seed " + seed + " (replay: -Dcsbs.seed=" + seed + "): " + t, t);
        throw e;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // data maker

  static final String[] NAME_PARTS = {
    "auto", "AUTO", "Auto", "bk", "BK", "a", "ab", "abc", "abcd", "A", "AB", "ΟΔΟΣ", "οδος", "Σ", "σ", "ς", "İ",
    "ı", "I", "i", "straße", "STRASSE", "日本", "日本語", "\uD801\uDC00", "\uD801\uDC28", "Ǆ", "ǅ", "ǆ", "é", "É",
    "_", "-", "0", "123", "x", "xx", "ﬁ", "K", "\u212A", "Ω", "\u2126", "ǰ", "Ϊ"
  };
  static final String[] SERVER_PARTS = {
    "ecs", "ECS", "web", "Web", "WEB", "db", " ", "-", "01", "数据库", "Ñandú", "İzmir", "server", "SERVER", "ΣΊΣΥΦΟΣ", "ß",
    "\uD801\uDC00"
  };
  static final String[] TAG_KEYS = {"env", "Env", "ENV", "team", "app", "k-1", "ключ", "日本", "many", "empty"};
  static final String[] TAG_VALUES = {"prod", "Prod", "prod-1", "production", "", "dev", "тест", "x", "xx", "xxx", "preprod"};
  static final String[] ZONES = {"eu-de-01", "eu-de-02", "EU-DE-01", "az-ü"};

  static final class Maker {
    final Random random;
    final List<String> projects = new ArrayList<>();
    final List<Server> servers = new ArrayList<>();
    final List<Instant> times = new ArrayList<>();
    int nextId;

    Maker(long seed, int projectCount, int serverCount) {
      random = new Random(seed);
      for (int i = 0; i < projectCount; i++) {
        projects.add(i % 3 == 0 ? "p-" + i : i % 3 == 1 ? "Projekt-" + i : "проект-" + i);
      }
      for (int i = 0; i < serverCount; i++) {
        String resourceType = random.nextInt(5) == 0 ? "OS::Cinder::Volume" : Server.NOVA_SERVER;
        servers.add(Server.builder().id(random.nextInt(4) == 0 ? "SRV-" + i : "srv-" + i)
            .name(serverName()).availabilityZone(pick(ZONES)).resourceType(resourceType).build());
      }
      Instant[] specials = {
        Instant.EPOCH, Instant.EPOCH.minusNanos(1), Instant.parse("1900-01-01T00:00:00Z"),
        Instant.ofEpochSecond(-40_000_000_000L, 999_999_999), Instant.parse("2100-01-01T00:00:00.000000001Z"),
        Instant.ofEpochSecond(10_000_000_000_000L, 7), NOW, NOW.minusNanos(1), NOW.plusNanos(1),
        NOW.minus(Duration.ofDays(7)), NOW.minus(Duration.ofDays(7)).minusNanos(1), NOW.minus(Duration.ofDays(1))
      };
      times.addAll(List.of(specials));
      for (int i = 0; i < 40; i++) {
        times.add(NOW.minusSeconds(random.nextInt(40 * 86_400)).plusNanos(random.nextInt(3) == 0 ? random.nextInt(1_000_000_000) : 0));
      }
    }

    <T> T pick(T[] values) {
      return values[random.nextInt(values.length)];
    }

    <T> T pick(List<T> values) {
      return values.get(random.nextInt(values.size()));
    }

    String name() {
      StringBuilder name = new StringBuilder();
      int parts = 1 + random.nextInt(4);
      for (int i = 0; i < parts; i++) {
        name.append(pick(NAME_PARTS));
      }
      return name.toString();
    }

    String serverName() {
      StringBuilder name = new StringBuilder();
      int parts = 1 + random.nextInt(4);
      for (int i = 0; i < parts; i++) {
        name.append(pick(SERVER_PARTS));
      }
      String text = name.toString();
      return text.isBlank() ? "x" + text : text;
    }

    Instant time() {
      int kind = random.nextInt(10);
      if (kind < 5) {
        return pick(times); // ties
      } else if (kind < 9) {
        return NOW.minusSeconds(random.nextInt(40 * 86_400)).minusNanos(random.nextInt(1_000_000_000));
      }
      return NOW.plusSeconds(random.nextInt(86_400 * 400)); // the future
    }

    String id() {
      int n = nextId++;
      int kind = random.nextInt(8);
      if (kind == 0) {
        return "бэкап-" + n;
      } else if (kind == 1) {
        return "id " + n;
      } else if (kind == 2) {
        return "B-" + n;
      }
      return "b-" + n;
    }

    List<Tag> tags() {
      int count = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(random.nextInt(10) == 0 ? 10 : 4);
      Map<String, Tag> byKey = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        String key = pick(TAG_KEYS);
        String value = key.equals("many") ? "v" + random.nextInt(150)
            : key.equals("empty") ? "" : pick(TAG_VALUES);
        byKey.putIfAbsent(key, Tag.of(key, value));
      }
      return new ArrayList<>(byKey.values());
    }

    long size() {
      int kind = random.nextInt(10);
      return kind == 0 ? 0 : kind == 1 ? Backup.MAX_SIZE_MB : kind == 2 ? 1 : random.nextInt(500_000);
    }

    Backup backup(String project) {
      return backup(project, id(), pick(servers));
    }

    Backup backup(String project, String id, Server server) {
      Instant created = time();
      BackupStatus status = BackupStatus.values()[random.nextInt(5)];
      BackupTrigger trigger = random.nextBoolean() ? BackupTrigger.AUTOMATIC : BackupTrigger.MANUAL;
      Backup.Builder b = Backup.builder().id(id).name(name()).projectId(project).server(server)
          .status(status).type(random.nextBoolean() ? BackupType.ENHANCED : BackupType.COMMON).trigger(trigger)
          .sizeMb(size()).createdAt(created).addAllTags(tags());
      if (trigger == BackupTrigger.AUTOMATIC && random.nextBoolean()) {
        b.policyId(random.nextBoolean() ? "policy-1" : "Policy-2");
      }
      if (status.isIntermediate()) {
        Instant changed = created.isAfter(NOW) ? created
            : random.nextInt(4) == 0 ? NOW.minus(RULE.threshold())
            : NOW.minusSeconds(random.nextInt(7200));
        if (changed.isBefore(created)) {
          changed = created;
        }
        b.progress(Progress.of(random.nextInt(101), changed));
        b.updatedAt(changed);
      } else if (random.nextInt(3) == 0 && !created.isAfter(NOW)) {
        Instant updated = NOW.minusSeconds(random.nextInt(100));
        b.updatedAt(updated.isBefore(created) ? created : updated);
      }
      if (status == BackupStatus.ERROR) {
        b.failure(Failure.of(JobType.BACKUP, "boom", created));
      }
      return b.build();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the oracle: a model of the catalog, from the javadoc

  static final class Model {
    final Map<String, Map<String, Backup>> projects = new TreeMap<>();
    final Map<String, Quota> quotas = new HashMap<>();

    void put(Backup b) {
      projects.computeIfAbsent(b.projectId(), p -> new LinkedHashMap<>()).put(b.id(), b);
    }

    void remove(String project, String id) {
      projects.get(project).remove(id);
    }

    List<Backup> of(String project) {
      return new ArrayList<>(projects.getOrDefault(project, Map.of()).values());
    }

    List<Backup> all() {
      List<Backup> all = new ArrayList<>();
      projects.values().forEach(m -> all.addAll(m.values()));
      return all;
    }
  }

  /** A criterion: the library's predicate beside my own evaluation of its documented meaning. */
  record Crit(BackupPredicate lib, Predicate<Backup> mine, String text) {
    @Override
    public String toString() {
      return text;
    }
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  static boolean tagMatches(Backup b, String key, Collection<String> values) {
    Optional<String> actual = Optional.empty();
    for (Tag t : b.tags()) {
      if (t.key().equals(key.strip())) {
        actual = Optional.of(t.value());
      }
    }
    if (actual.isEmpty()) {
      return false;
    }
    if (values.isEmpty()) {
      return true;
    }
    for (String v : values) {
      String value = v.strip();
      if (value.equals("*")) {
        return true;
      }
      if (value.startsWith("*") ? actual.get().contains(value.substring(1).strip()) : actual.get().equals(value)) {
        return true;
      }
    }
    return false;
  }

  static boolean stalled(Backup b, Instant now) {
    return b.status().isIntermediate() && b.progress().get().changedAt().isBefore(now.minus(RULE.threshold()));
  }

  static Comparator<Backup> field(SortField f) {
    switch (f) {
      case CREATED_AT:
        return Comparator.comparing(Backup::createdAt);
      case UPDATED_AT:
        return Comparator.comparing(Backup::updatedAt);
      case NAME:
        return Comparator.comparing(Backup::name);
      case STATUS:
        return Comparator.comparing(b -> List.of(BackupStatus.AVAILABLE, BackupStatus.CREATING,
            BackupStatus.RESTORING, BackupStatus.DELETING, BackupStatus.ERROR).indexOf(b.status()));
      default:
        return Comparator.comparing(Backup::id);
    }
  }

  static Comparator<Backup> order(List<SortKey> keys) {
    Comparator<Backup> c = null;
    boolean hasId = false;
    for (SortKey k : keys) {
      Comparator<Backup> one = k.ascending() ? field(k.field()) : field(k.field()).reversed();
      c = c == null ? one : c.thenComparing(one);
      hasId |= k.field() == SortField.ID;
    }
    if (!hasId) {
      Comparator<Backup> id = field(SortField.ID);
      c = c.thenComparing(keys.get(0).ascending() ? id : id.reversed());
    }
    return c;
  }

  static final class Oracle {
    static Page page(List<Backup> backups, Predicate<Backup> where, List<SortKey> sort, int limit, String marker, long offset) {
      Comparator<Backup> order = order(sort);
      List<Backup> matches = backups.stream().filter(where).sorted(order).collect(Collectors.toList());
      int from;
      if (marker != null) {
        Backup m = backups.stream().filter(b -> b.id().equals(marker)).findFirst().orElseThrow();
        from = 0;
        while (from < matches.size() && order.compare(matches.get(from), m) <= 0) {
          from++;
        }
      } else {
        from = (int) Math.min(offset, matches.size());
      }
      int to = Math.min(matches.size(), from + limit);
      return new Page(matches.subList(from, to), matches.size(), to < matches.size());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // random criteria

  static final class Crits {
    final Maker maker;
    final Random random;
    final Model model;
    final Instant now;

    Crits(Maker maker, Model model, Instant now) {
      this.maker = maker;
      this.random = maker.random;
      this.model = model;
      this.now = now;
    }

    String someName() {
      List<Backup> all = model.all();
      return all.isEmpty() ? maker.name() : maker.pick(all).name();
    }

    String keyword(String source) {
      int start = random.nextInt(source.length());
      int end = start + 1 + random.nextInt(Math.min(6, source.length() - start));
      String k = source.substring(start, end);
      switch (random.nextInt(5)) {
        case 0:
          k = k.toUpperCase(Locale.ROOT);
          break;
        case 1:
          k = k.toLowerCase(Locale.ROOT);
          break;
        case 2: {
          StringBuilder s = new StringBuilder();
          for (char c : k.toCharArray()) {
            s.append(random.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
          }
          k = s.toString();
          break;
        }
        default:
      }
      if (k.isBlank()) {
        k = "a";
      }
      return k;
    }

    Instant boundary() {
      List<Backup> all = model.all();
      if (!all.isEmpty() && random.nextBoolean()) {
        Instant t = maker.pick(all).createdAt();
        int d = random.nextInt(5);
        return d == 0 ? t.minusNanos(1) : d == 1 ? t.plusNanos(1) : t;
      }
      return maker.time();
    }

    Crit leaf() {
      List<Backup> all = model.all();
      switch (random.nextInt(19)) {
        case 0: {
          EnumSet<BackupStatus> s = EnumSet.noneOf(BackupStatus.class);
          int n = 1 + random.nextInt(3);
          for (int i = 0; i < n; i++) {
            s.add(BackupStatus.values()[random.nextInt(5)]);
          }
          return new Crit(Predicates.status(s), b -> s.contains(b.status()), "status " + s);
        }
        case 1: {
          Instant a = boundary();
          Instant c = boundary();
          Instant from = a.isBefore(c) ? a : c;
          Instant to = a.isBefore(c) ? c : a;
          boolean fi = random.nextBoolean() || from.equals(to);
          boolean ti = random.nextBoolean() || from.equals(to);
          int shape = random.nextInt(4);
          Instant f = shape == 1 ? null : from;
          Instant t = shape == 2 ? null : to;
          TimeRange range = TimeRange.of(f, fi, t, ti);
          Predicate<Backup> p = b -> {
            Instant x = b.createdAt();
            if (f != null && (x.isBefore(f) || (x.equals(f) && !fi))) {
              return false;
            }
            return t == null || x.isBefore(t) || (x.equals(t) && ti);
          };
          return new Crit(Predicates.createdIn(range), p, "created in " + range);
        }
        case 2: {
          Duration w = random.nextBoolean() ? Duration.ofDays(1 + random.nextInt(40))
              : Duration.ofSeconds(1 + random.nextInt(100_000), random.nextInt(1_000_000_000));
          Instant nowHere = now;
          return new Crit(Predicates.createdWithinLast(w),
              b -> !b.createdAt().isBefore(nowHere.minus(w)) && !b.createdAt().isAfter(nowHere), "within " + w);
        }
        case 3:
        case 4: {
          String k = keyword(someName());
          return new Crit(Predicates.nameContains(k), b -> lower(b.name()).contains(lower(k)), "name~" + k);
        }
        case 5: {
          String source = all.isEmpty() ? "web" : maker.pick(all).server().name();
          String k = keyword(source);
          return new Crit(Predicates.serverNameContains(k), b -> lower(b.server().name()).contains(lower(k)), "server~" + k);
        }
        case 6: {
          String id = all.isEmpty() || random.nextInt(4) == 0 ? "b-" + random.nextInt(1000) : maker.pick(all).id();
          return new Crit(Predicates.backupId(id), b -> b.id().equals(id), "id=" + id);
        }
        case 7: {
          String id = maker.pick(maker.servers).id();
          return new Crit(Predicates.serverId(id), b -> b.server().id().equals(id), "serverId=" + id);
        }
        case 8: {
          String z = maker.pick(ZONES);
          return new Crit(Predicates.availabilityZone(z), b -> b.server().availabilityZone().equals(z), "az=" + z);
        }
        case 9: {
          String t = random.nextBoolean() ? Server.NOVA_SERVER : "OS::Cinder::Volume";
          return new Crit(Predicates.resourceType(t), b -> b.server().resourceType().equals(t), "rt=" + t);
        }
        case 10: {
          String p = random.nextBoolean() ? "policy-1" : "Policy-2";
          return new Crit(Predicates.policyId(p), b -> b.policyId().equals(Optional.of(p)), "policy=" + p);
        }
        case 11: {
          BackupType t = random.nextBoolean() ? BackupType.ENHANCED : BackupType.COMMON;
          return new Crit(Predicates.type(t), b -> b.type() == t, "type=" + t);
        }
        case 12: {
          BackupTrigger t = random.nextBoolean() ? BackupTrigger.AUTOMATIC : BackupTrigger.MANUAL;
          return new Crit(Predicates.trigger(t), b -> b.trigger() == t, "trigger=" + t);
        }
        case 13:
        case 14: {
          String key = maker.pick(TAG_KEYS);
          String value = key.equals("many") ? "v" + random.nextInt(150) : maker.pick(TAG_VALUES);
          return new Crit(Predicates.tag(key, value), b -> tagMatches(b, key, List.of(value)), "tag " + key + "=" + value);
        }
        case 15: {
          String key = maker.pick(TAG_KEYS);
          return new Crit(Predicates.tagKey(key), b -> tagMatches(b, key, List.of()), "tagKey " + key);
        }
        case 16: {
          String key = maker.pick(TAG_KEYS);
          List<String> values = new ArrayList<>();
          int n = random.nextInt(4);
          for (int i = 0; i < n; i++) {
            String v = key.equals("many") ? "v" + random.nextInt(150) : maker.pick(TAG_VALUES);
            int form = random.nextInt(4);
            values.add(form == 0 ? "*" + v : form == 1 ? " " + v + " " : form == 2 && v.length() > 1 ? "*" + v.substring(1) : v);
          }
          return new Crit(Predicates.tag(" " + key, values), b -> tagMatches(b, key, values), "tag " + key + " in " + values);
        }
        case 17: {
          Instant nowHere = now;
          return new Crit(Predicates.stalled(), b -> stalled(b, nowHere), "stalled");
        }
        default:
          return random.nextBoolean() ? new Crit(Predicates.all(), b -> true, "all") : new Crit(Predicates.none(), b -> false, "none");
      }
    }

    Crit tree(int depth) {
      if (depth == 0 || random.nextInt(3) == 0) {
        return leaf();
      }
      int kind = random.nextInt(3);
      if (kind == 2) {
        Crit c = tree(depth - 1);
        return new Crit(Predicates.not(c.lib()), c.mine().negate(), "NOT " + c);
      }
      int n = 1 + random.nextInt(3);
      List<Crit> parts = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        parts.add(tree(depth - 1));
      }
      List<BackupPredicate> libs = parts.stream().map(Crit::lib).collect(Collectors.toList());
      if (kind == 0) {
        return new Crit(Predicates.and(libs), b -> parts.stream().allMatch(c -> c.mine().test(b)), "AND" + parts);
      }
      return new Crit(Predicates.or(libs), b -> parts.stream().anyMatch(c -> c.mine().test(b)), "OR" + parts);
    }

    List<SortKey> sort() {
      if (random.nextInt(3) == 0) {
        return List.of(SortKey.desc(SortField.CREATED_AT));
      }
      List<SortField> fields = new ArrayList<>(List.of(SortField.values()));
      java.util.Collections.shuffle(fields, random);
      int n = 1 + random.nextInt(3);
      List<SortKey> keys = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        keys.add(new SortKey(fields.get(i), random.nextBoolean()));
      }
      return keys;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // comparing a catalog with the model

  static void assertPage(Page expected, Page actual, String what) {
    assertEquals(expected.ids(), actual.ids(), what + ": ids");
    assertEquals(expected.backups(), actual.backups(), what + ": backups");
    assertEquals(expected.total(), actual.total(), what + ": total");
    assertEquals(expected.hasMore(), actual.hasMore(), what + ": hasMore");
  }

  static void checkQuery(BackupCatalog catalog, Model model, String project, Crit crit, List<SortKey> sort, Random random) {
    List<Backup> backups = model.of(project);
    Sort s = Sort.by(sort);
    String what = project + " where " + crit + " sort " + s;
    long count = backups.stream().filter(crit.mine()).count();
    assertEquals(count, catalog.count(project, crit.lib()), what + ": count");
    // offset pages
    int limit = 1 + random.nextInt(Math.min(1000, backups.size() + 3));
    long offset = random.nextInt(3) == 0 ? 0 : random.nextInt(backups.size() + 3);
    Query q = Query.builder().where(crit.lib()).sort(s).limit(limit).offset(offset).build();
    assertPage(Oracle.page(backups, crit.mine(), sort, limit, null, offset), catalog.query(project, q),
        what + " limit " + limit + " offset " + offset);
    // a marker of any backup of the project, matching or not
    if (!backups.isEmpty()) {
      String marker = backups.get(random.nextInt(backups.size())).id();
      assertPage(Oracle.page(backups, crit.mine(), sort, limit, marker, 0),
          catalog.query(project, q.after(marker)), what + " limit " + limit + " after " + marker);
    }
    // page after page to the end
    int pageLimit = 1 + random.nextInt(Math.max(1, (int) Math.min(1000, count / 3 + 2)));
    Query first = Query.builder().where(crit.lib()).sort(s).limit(pageLimit).build();
    List<String> walked = new ArrayList<>();
    Page page = catalog.query(project, first);
    int guard = 0;
    while (true) {
      walked.addAll(page.ids());
      assertEquals(count, page.total(), what + ": total of a page by marker");
      if (page.nextMarker().isEmpty()) {
        assertFalse(page.hasMore(), what + ": no marker but more");
        break;
      }
      page = catalog.query(project, first.after(page.nextMarker().get()));
      assertTrue(guard++ < 100_000, "endless paging");
    }
    List<String> expected = backups.stream().filter(crit.mine()).sorted(order(sort)).map(Backup::id)
        .collect(Collectors.toList());
    assertEquals(expected, walked, what + ": page after page by marker, limit " + pageLimit);
  }

  static TagCatalogue expectedCatalogue(List<Backup> backups) {
    Map<String, List<String>> map = new TreeMap<>();
    for (Backup b : backups) {
      for (Tag t : b.tags()) {
        map.computeIfAbsent(t.key(), k -> new ArrayList<>()).add(t.value());
      }
    }
    return TagCatalogue.of(map);
  }

  static UsageReport expectedUsage(List<Backup> backups, Predicate<Backup> where, long offset, int limit) {
    Map<String, List<Backup>> byServer = new TreeMap<>();
    long total = 0;
    long count = 0;
    for (Backup b : backups) {
      if (where.test(b)) {
        byServer.computeIfAbsent(b.server().id(), k -> new ArrayList<>()).add(b);
        total += b.sizeMb();
        count++;
      }
    }
    List<ServerUsage> lines = new ArrayList<>();
    byServer.forEach((id, list) -> {
      Backup newest = list.stream().max(Comparator.comparing(Backup::createdAt).thenComparing(Backup::id)).get();
      lines.add(new ServerUsage(id, newest.server().name(), list.size(), list.stream().mapToLong(Backup::sizeMb).sum()));
    });
    lines.sort(Comparator.comparingLong(ServerUsage::sizeMb).reversed()
        .thenComparing(Comparator.comparingLong(ServerUsage::backups).reversed())
        .thenComparing(ServerUsage::serverId));
    List<ServerUsage> page = lines.subList((int) Math.min(offset, lines.size()), (int) Math.min(lines.size(), offset + limit));
    return new UsageReport(count, total, lines.size(), page);
  }

  /** Everything a project answers, to compare before and after a refused change. */
  static List<Object> snapshot(BackupCatalog catalog, String project) {
    List<Object> state = new ArrayList<>();
    Query all = Query.builder().sort(Sort.by(SortKey.asc(SortField.ID))).limit(1000).build();
    Page page = catalog.query(project, all);
    while (true) {
      state.add(page.backups());
      if (page.nextMarker().isEmpty()) {
        break;
      }
      page = catalog.query(project, all.after(page.nextMarker().get()));
    }
    state.add(page.total());
    state.add(catalog.tagCatalogue(project));
    state.add(catalog.usage(project, UsageQuery.firstServers(1000)));
    state.add(catalog.quotaUsage(project));
    state.add(catalog.sequence(project));
    state.add(catalog.count(project, Predicates.stalled()));
    return state;
  }

  static void checkProject(BackupCatalog catalog, Model model, String project, Crits crits, int queries) {
    List<Backup> backups = model.of(project);
    for (Backup b : backups) {
      assertEquals(Optional.of(b), catalog.find(project, b.id()), "find " + b.id());
    }
    assertEquals(expectedCatalogue(backups), catalog.tagCatalogue(project), project + ": tag catalogue");
    long size = backups.stream().mapToLong(Backup::sizeMb).sum();
    QuotaUsage qu = catalog.quotaUsage(project);
    assertEquals(backups.size(), qu.backupsUsed(), project + ": backups used");
    assertEquals(size, qu.sizeMbUsed(), project + ": size used");
    int limit = 1 + crits.random.nextInt(30);
    long offset = crits.random.nextInt(3) == 0 ? crits.random.nextInt(30) : 0;
    assertEquals(expectedUsage(backups, b -> true, offset, limit), catalog.usage(project, UsageQuery.of(Predicates.all(), offset, limit)),
        project + ": usage offset " + offset + " limit " + limit);
    Crit where = crits.tree(2);
    assertEquals(expectedUsage(backups, where.mine(), offset, limit), catalog.usage(project, UsageQuery.of(where.lib(), offset, limit)),
        project + ": usage of " + where + " offset " + offset + " limit " + limit);
    for (int i = 0; i < queries; i++) {
      checkQuery(catalog, model, project, crits.tree(3), crits.sort(), crits.random);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the random differential run

  static void randomRun(long seed, int projects, int servers, int initial, int rounds, int opsPerRound, int queries) {
    Maker maker = new Maker(seed, projects, servers);
    Random random = maker.random;
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Model model = new Model();
    // initial load, out of creation order, in several batches
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < initial; i++) {
      String project = random.nextInt(3) == 0 ? maker.projects.get(0) : maker.pick(maker.projects);
      load.add(maker.backup(project));
    }
    for (int from = 0; from < load.size(); ) {
      int to = Math.min(load.size(), from + 1 + random.nextInt(Math.max(1, initial / 3)));
      List<Backup> batch = load.subList(from, to);
      if (batch.size() == 1 || random.nextBoolean()) {
        catalog.addAll(batch);
      } else {
        batch.forEach(catalog::add);
      }
      batch.forEach(model::put);
      from = to;
    }
    for (int round = 0; round < rounds; round++) {
      for (int op = 0; op < opsPerRound; op++) {
        operate(catalog, model, maker, clock);
      }
      Crits crits = new Crits(maker, model, clock.instant());
      for (String project : maker.projects) {
        checkProject(catalog, model, project, crits, project.equals(maker.projects.get(0)) ? queries : Math.max(1, queries / 5));
      }
      checkAllProjects(catalog, model, crits);
    }
  }

  static void operate(BackupCatalog catalog, Model model, Maker maker, FakeClock clock) {
    Random random = maker.random;
    String project = random.nextInt(2) == 0 ? maker.projects.get(0) : maker.pick(maker.projects);
    List<Backup> backups = model.of(project);
    int kind = random.nextInt(10);
    if (kind == 0 || backups.isEmpty()) {
      Backup b = maker.backup(project);
      long before = catalog.sequence(project);
      catalog.add(b);
      model.put(b);
      assertEquals(before + 1, catalog.sequence(project), "sequence after add");
    } else if (kind == 1) {
      Backup b = maker.pick(backups);
      long before = catalog.sequence(project);
      catalog.remove(project, b.id(), b.version());
      model.remove(project, b.id());
      assertEquals(before + 1, catalog.sequence(project), "sequence after remove");
    } else if (kind <= 5) {
      Backup b = maker.pick(backups);
      Transition[] transitions = {
        Transition.restore(), Transition.instantRestore(), Transition.delete(), Transition.reportProgress(random.nextInt(101)),
        Transition.complete(), Transition.fail("it broke")
      };
      Transition t = maker.pick(transitions);
      Optional<Backup> expected;
      RuntimeException refusal = null;
      try {
        expected = t.applyTo(b, clock.instant());
      } catch (RuntimeException e) {
        expected = null;
        refusal = e;
      }
      List<Object> before = snapshot(catalog, project);
      if (refusal != null) {
        RuntimeException r = refusal;
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> catalog.apply(project, b.id(), b.version(), t));
        assertEquals(r.getClass(), thrown.getClass(), "refusal of " + t + " on " + b + ": " + thrown);
        assertEquals(before, snapshot(catalog, project), "a refused transition changed the catalog");
      } else {
        Optional<Backup> actual = catalog.apply(project, b.id(), b.version(), t);
        assertEquals(expected, actual, t + " on " + b);
        if (actual.isPresent()) {
          model.put(actual.get());
        } else {
          model.remove(project, b.id());
        }
        long expectedSequence = (long) before.get(before.size() - 2) + (expected.isPresent() && expected.get().equals(b) ? 0 : 1);
        assertEquals(expectedSequence, catalog.sequence(project), "sequence after " + t);
      }
    } else if (kind <= 7) {
      Backup b = maker.pick(backups);
      TagUpdate update;
      if (random.nextBoolean()) {
        List<Tag> tags = maker.tags();
        if (tags.isEmpty()) {
          tags = List.of(Tag.of("env", "prod"));
        }
        update = TagUpdate.create(tags);
      } else {
        List<TagUpdate.Match> matches = new ArrayList<>();
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
          String key = maker.pick(TAG_KEYS);
          matches.add(random.nextBoolean() ? TagUpdate.Match.key(key) : TagUpdate.Match.of(key, maker.pick(TAG_VALUES)));
        }
        update = TagUpdate.delete(matches);
      }
      Backup expected;
      try {
        expected = update.applyTo(b, clock.instant());
      } catch (InvalidValueException e) {
        List<Object> before = snapshot(catalog, project);
        InvalidValueException thrown = assertThrows(InvalidValueException.class,
            () -> catalog.updateTags(project, b.id(), b.version(), update));
        assertEquals(e.field(), thrown.field());
        assertEquals(before, snapshot(catalog, project), "a refused tag update changed the catalog");
        return;
      }
      long seqBefore = catalog.sequence(project);
      Backup actual = catalog.updateTags(project, b.id(), b.version(), update);
      assertEquals(expected, actual, update + " on " + b);
      model.put(actual);
      assertEquals(seqBefore + (expected == b ? 0 : 1), catalog.sequence(project), "sequence after " + update);
    } else if (kind == 8) {
      // a batch of new backups, of several projects, out of order
      List<Backup> batch = new ArrayList<>();
      int n = 1 + random.nextInt(20);
      for (int i = 0; i < n; i++) {
        batch.add(maker.backup(random.nextBoolean() ? project : maker.pick(maker.projects)));
      }
      catalog.addAll(batch);
      batch.forEach(model::put);
    } else {
      clock.advance(Duration.ofSeconds(random.nextInt(3600), random.nextInt(1_000_000_000)));
    }
  }

  static void checkAllProjects(BackupCatalog catalog, Model model, Crits crits) {
    Crit crit = crits.tree(2);
    assertEquals(model.all().stream().filter(crit.mine()).count(), catalog.countAllProjects(crit.lib()), "countAllProjects " + crit);
    List<SortKey> sort = crits.sort();
    Comparator<Backup> order = order(sort).thenComparing(Backup::projectId);
    List<Backup> matches = model.all().stream().filter(crit.mine()).sorted(order).collect(Collectors.toList());
    int limit = 1 + crits.random.nextInt(200);
    long offset = crits.random.nextInt(matches.size() + 2);
    Page page = catalog.queryAllProjects(Query.builder().where(crit.lib()).sort(Sort.by(sort)).limit(limit).offset(offset).build());
    int from = (int) Math.min(offset, matches.size());
    int to = Math.min(matches.size(), from + limit);
    assertPage(new Page(matches.subList(from, to), matches.size(), to < matches.size()), page,
        "all projects " + crit + " sort " + sort + " offset " + offset + " limit " + limit);
  }

  @Test
  void randomDifferentialSmall() {
    seeded(6, seed -> randomRun(seed, 3, 8, 60, 6, 15, 25));
  }

  @Test
  void randomDifferentialManyProjectsManyServers() {
    seeded(2, seed -> randomRun(seed, 25, 400, 1500, 3, 200, 15));
  }

  @Test
  void randomDifferentialOneServerManyBackups() {
    seeded(2, seed -> randomRun(seed, 2, 1, 3000, 3, 400, 25));
  }

  // ---------------------------------------------------------------------------------------------
  // a loaded catalog for the entry points

  static final class Loaded {
    final Maker maker;
    final FakeClock clock = FakeClock.at(NOW);
    final BackupCatalog catalog = Catalogs.indexed(clock);
    final Model model = new Model();

    Loaded(long seed, int projects, int servers, int backups) {
      maker = new Maker(seed, projects, servers);
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < backups; i++) {
        load.add(maker.backup(maker.random.nextInt(2) == 0 ? maker.projects.get(0) : maker.pick(maker.projects)));
      }
      catalog.addAll(load);
      load.forEach(model::put);
      // a few changes so that versions, tags and states move
      for (int i = 0; i < backups / 4; i++) {
        operate(catalog, model, maker, clock);
      }
    }

    String project() {
      return maker.projects.get(0);
    }
  }

  static String utc(Instant t) {
    return DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS").format(LocalDateTime.ofInstant(t, ZoneOffset.UTC));
  }

  @Test
  void consoleSearchAgreesWithTheDocumentedForm() {
    seeded(4, seed -> {
      Loaded l = new Loaded(seed, 2, 20, 400);
      Random random = l.maker.random;
      String project = l.project();
      for (int i = 0; i < 150; i++) {
        List<Backup> backups = l.model.of(project);
        Crits crits = new Crits(l.maker, l.model, l.clock.instant());
        ConsoleSearch search = ConsoleSearch.empty();
        List<Predicate<Backup>> mine = new ArrayList<>();
        if (random.nextBoolean()) {
          EnumSet<BackupStatus> s = EnumSet.noneOf(BackupStatus.class);
          int n = 1 + random.nextInt(5);
          for (int k = 0; k < n; k++) {
            s.add(BackupStatus.values()[random.nextInt(5)]);
          }
          search = search.withStatuses(s);
          mine.add(b -> s.contains(b.status()));
        }
        int time = random.nextInt(3);
        if (time == 1) {
          int days = 1 + random.nextInt(30);
          search = search.withLastDays(days);
          Instant now = l.clock.instant();
          mine.add(b -> !b.createdAt().isBefore(now.minus(Duration.ofDays(days))) && !b.createdAt().isAfter(now));
        } else if (time == 2) {
          Instant a = crits.boundary();
          Instant c = crits.boundary();
          Instant from = a.isBefore(c) ? a : c;
          Instant to = a.isBefore(c) ? c : a;
          search = search.withTimeRange(TimeRange.between(from, to));
          mine.add(b -> !b.createdAt().isBefore(from) && !b.createdAt().isAfter(to));
        }
        if (random.nextBoolean() && !backups.isEmpty()) {
          KeywordField field = KeywordField.values()[random.nextInt(4)];
          Backup some = l.maker.pick(backups);
          String text;
          Predicate<Backup> p;
          switch (field) {
            case SERVER_NAME: {
              String k = crits.keyword(some.server().name()).strip();
              text = k.isEmpty() ? "e" : k;
              p = b -> lower(b.server().name()).contains(lower(text));
              break;
            }
            case BACKUP_NAME: {
              text = crits.keyword(some.name());
              p = b -> lower(b.name()).contains(lower(text));
              break;
            }
            case SERVER_ID:
              text = some.server().id();
              p = b -> b.server().id().equals(text);
              break;
            default:
              text = some.id().strip();
              p = b -> b.id().equals(text);
          }
          search = search.withKeyword(field, "  " + text + " ");
          mine.add(p);
        }
        TagCatalogue existing = l.catalog.tagCatalogue(project);
        if (random.nextBoolean() && !existing.keys().isEmpty()) {
          int n = 1 + random.nextInt(3);
          for (int k = 0; k < n; k++) {
            String key = l.maker.pick(new ArrayList<>(existing.keys()));
            String value = l.maker.pick(new ArrayList<>(existing.values(key)));
            search = search.withTag(" " + key + " ", value);
            mine.add(b -> b.tagValue(key).equals(Optional.of(value)));
          }
        }
        Predicate<Backup> all = b -> mine.stream().allMatch(p -> p.test(b));
        int limit = 1 + random.nextInt(40);
        Page page = l.catalog.query(project, search.toQuery(existing, limit));
        assertPage(Oracle.page(backups, all, List.of(SortKey.desc(SortField.CREATED_AT)), limit, null, 0), page,
            search.toString());
        assertEquals(backups.stream().filter(all).count(), l.catalog.count(project, search.toPredicate(existing)), search + " count");
        assertEquals(ConsoleSearch.empty(), search.reset());
        operate(l.catalog, l.model, l.maker, l.clock);
      }
    });
  }

  @Test
  void consoleSearchRefusesTagsTheProjectDoesNotHave() {
    Loaded l = new Loaded(5, 1, 5, 50);
    TagCatalogue existing = l.catalog.tagCatalogue(l.project());
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> ConsoleSearch.empty().withTag("nosuchkey", "prod").toPredicate(existing));
    assertEquals("tag key", e.field());
    String key = existing.keys().first();
    e = assertThrows(InvalidValueException.class, () -> ConsoleSearch.empty().withTag(key, "nosuchvalue").toPredicate(existing));
    assertEquals("tag value", e.field());
    // two values of one key: no backup
    if (existing.values("env").size() >= 2) {
      Page p = l.catalog.query(l.project(), ConsoleSearch.empty().withTag("env", existing.values("env").first())
          .withTag("env", existing.values("env").last()).toQuery(existing, 100));
      assertEquals(0, p.total());
    }
    // keyword: blank refused naming keyword
    e = assertThrows(InvalidValueException.class, () -> ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, "   "));
    assertEquals("keyword", e.field());
    e = assertThrows(InvalidValueException.class, () -> ConsoleSearch.empty().withLastDays(0));
    assertEquals("time window", e.field());
  }

  @Test
  void listQueryStringAgreesWithTheDocumentedParameters() {
    seeded(4, seed -> {
      Loaded l = new Loaded(seed, 2, 20, 400);
      Random random = l.maker.random;
      String project = l.project();
      for (int i = 0; i < 200; i++) {
        List<Backup> backups = l.model.of(project);
        Crits crits = new Crits(l.maker, l.model, l.clock.instant());
        Map<String, List<String>> params = new LinkedHashMap<>();
        List<Predicate<Backup>> mine = new ArrayList<>();
        Backup some = l.maker.pick(backups);
        if (random.nextInt(3) == 0) {
          ApiStatus s = ApiStatus.values()[random.nextInt(ApiStatus.values().length)];
          params.put("status", List.of(s.apiName()));
          mine.add(b -> s.state().isPresent() && b.status() == s.state().get());
        }
        if (random.nextInt(3) == 0) {
          String k = crits.keyword(some.name());
          params.put("name", List.of(k));
          mine.add(b -> lower(b.name()).contains(lower(k)));
        }
        if (random.nextInt(5) == 0) {
          params.put("resource_id", List.of(some.server().id()));
          mine.add(b -> b.server().id().equals(some.server().id()));
        }
        if (random.nextInt(4) == 0) {
          String k = crits.keyword(some.server().name());
          if (!k.isBlank()) {
            params.put("resource_name", List.of(k));
            mine.add(b -> lower(b.server().name()).contains(lower(k)));
          }
        }
        if (random.nextInt(8) == 0) {
          params.put("checkpoint_id", List.of(some.id()));
          mine.add(b -> b.id().equals(some.id()));
        }
        Instant a = crits.boundary();
        Instant c = crits.boundary();
        Instant from = a.isBefore(c) ? a : c;
        Instant to = a.isBefore(c) ? c : a;
        boolean withStart = random.nextInt(3) == 0 && from.getEpochSecond() > -60_000_000_000L && from.getEpochSecond() < 250_000_000_000L;
        boolean withEnd = random.nextInt(3) == 0 && to.getEpochSecond() > -60_000_000_000L && to.getEpochSecond() < 250_000_000_000L;
        if (withStart) {
          params.put("start_time", List.of(utc(from)));
          mine.add(b -> !b.createdAt().isBefore(from));
        }
        if (withEnd) {
          params.put("end_time", List.of(utc(to)));
          mine.add(b -> !b.createdAt().isAfter(to));
        }
        if (random.nextInt(5) == 0) {
          String z = l.maker.pick(ZONES);
          params.put("az", List.of(z));
          mine.add(b -> b.server().availabilityZone().equals(z));
        }
        if (random.nextInt(6) == 0) {
          params.put("resource_type", List.of("OS::Cinder::Volume"));
          mine.add(b -> b.server().resourceType().equals("OS::Cinder::Volume"));
        }
        if (random.nextInt(6) == 0) {
          params.put("policy_id", List.of("policy-1"));
          mine.add(b -> b.policyId().equals(Optional.of("policy-1")));
        }
        List<SortKey> sort = List.of(SortKey.desc(SortField.CREATED_AT));
        if (random.nextBoolean()) {
          sort = crits.sort();
          params.put("sort", List.of(sort.stream().map(k -> random.nextBoolean() && !k.ascending() ? k.field().apiName() : k.toString())
              .collect(Collectors.joining(","))));
        }
        int limit = 1000;
        if (random.nextBoolean()) {
          limit = 1 + random.nextInt(50);
          params.put("limit", List.of(String.valueOf(limit)));
        }
        String marker = null;
        long offset = 0;
        if (random.nextInt(3) == 0) {
          marker = l.maker.pick(backups).id();
          params.put("marker", List.of(marker));
        } else if (random.nextInt(3) == 0) {
          offset = random.nextInt(backups.size() + 2);
          params.put("offset", List.of(String.valueOf(offset)));
        }
        Predicate<Backup> all = b -> mine.stream().allMatch(p -> p.test(b));
        Page expected = Oracle.page(backups, all, sort, limit, marker, offset);
        String raw = params.entrySet().stream()
            .map(e -> java.net.URLEncoder.encode(e.getKey(), java.nio.charset.StandardCharsets.UTF_8) + "="
                + java.net.URLEncoder.encode(e.getValue().get(0), java.nio.charset.StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
        boolean loneSurrogate = params.values().stream().flatMap(List::stream)
            .anyMatch(v -> v.codePoints().anyMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF));
        Query fromMap = ListQueryString.parse(params);
        assertPage(expected, l.catalog.query(project, fromMap), "params " + params);
        if (!loneSurrogate) {  // a lone surrogate cannot be percent-encoded as UTF-8
          Query fromRaw = ListQueryString.parse((random.nextBoolean() ? "?" : "") + raw);
          assertEquals(fromMap, fromRaw, raw);
        }
        operate(l.catalog, l.model, l.maker, l.clock);
      }
    });
  }

  @Test
  void tagFilterAgreesWithTheDocumentedGroups() {
    seeded(4, seed -> {
      Loaded l = new Loaded(seed, 2, 20, 400);
      Random random = l.maker.random;
      String project = l.project();
      for (int i = 0; i < 200; i++) {
        List<Backup> backups = l.model.of(project);
        TagFilter.Builder f = TagFilter.builder();
        List<Predicate<Backup>> mine = new ArrayList<>();
        String[] groups = {"tags", "tags_any", "not_tags", "not_tags_any"};
        for (String group : groups) {
          if (random.nextInt(3) != 0) {
            continue;
          }
          Map<String, List<String>> keys = new LinkedHashMap<>();
          int n = 1 + random.nextInt(3);
          for (int k = 0; k < n; k++) {
            String key = l.maker.pick(TAG_KEYS);
            if (keys.containsKey(key)) {
              continue;
            }
            List<String> values = new ArrayList<>();
            int m = random.nextInt(3);
            for (int v = 0; v < m; v++) {
              String value = key.equals("many") ? "v" + random.nextInt(150) : l.maker.pick(TAG_VALUES);
              int form = random.nextInt(4);
              values.add(form == 0 ? "*" + value : form == 1 ? " " + value : value);
            }
            keys.put(key, values);
            switch (group) {
              case "tags":
                f.tags(key, values);
                break;
              case "tags_any":
                f.tagsAny(key, values);
                break;
              case "not_tags":
                f.notTags(key, values);
                break;
              default:
                f.notTagsAny(key, values);
            }
          }
          Predicate<Backup> each = b -> keys.entrySet().stream().allMatch(e -> tagMatches(b, e.getKey(), e.getValue()));
          Predicate<Backup> any = b -> keys.entrySet().stream().anyMatch(e -> tagMatches(b, e.getKey(), e.getValue()));
          switch (group) {
            case "tags":
              mine.add(each);
              break;
            case "tags_any":
              mine.add(any);
              break;
            case "not_tags":
              mine.add(each.negate());
              break;
            default:
              mine.add(any.negate());
          }
        }
        if (random.nextInt(3) == 0) {
          String k = new Crits(l.maker, l.model, l.clock.instant()).keyword(l.maker.pick(backups).name());
          f.matches("resource_name", k);
          mine.add(b -> lower(b.name()).contains(lower(k)));
        }
        int limit = 1 + random.nextInt(60);
        long offset = random.nextInt(3) == 0 ? random.nextInt(backups.size() + 1) : 0;
        f.limit(limit).offset(offset);
        TagFilter filter = f.build();
        Predicate<Backup> all = b -> mine.stream().allMatch(p -> p.test(b));
        assertPage(Oracle.page(backups, all, List.of(SortKey.desc(SortField.CREATED_AT)), limit, null, offset),
            l.catalog.query(project, filter.toQuery()), filter.toString());
        assertEquals(backups.stream().filter(all).count(), l.catalog.count(project, filter.toPredicate()), filter + " count");
        operate(l.catalog, l.model, l.maker, l.clock);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // focused checks

  static Backup simple(String project, String id, String name, Server server, Instant created, long size, Tag... tags) {
    return Backup.builder().id(id).name(name).projectId(project).server(server).status(BackupStatus.AVAILABLE)
        .sizeMb(size).createdAt(created).addTags(tags).build();
  }

  @Test
  void everySubstringKeywordOfTrickyNamesMatchesAsToLowerCaseRootCompares() {
    String[] names = {
      "ΟΔΟΣ", "ΟΔΟΣx", "οδοσ", "οδος", "İstanbul", "istanbul", "ISTANBUL", "ıi", "straße", "STRASSE", "ǄǅǆDž",
      "\uD801\uDC00\uD801\uDC28x", "ﬁle", "FILE", "K\u212Aelvin", "ΩΩ\u2126", "日本語abc", "abc", "ab", "a", "ABCD", "xabcx",
      "Ϊϊ", "ǰJ", "ΣΑΣ", "σας", "A_b-C", "é", "É", "E\u0301"
    };
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Server server = Server.of("s-1", "ΣΕΡΒΕΡ ΟΔΟΣ İzmir", "eu-de-01");
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      if (!names[i].codePoints().allMatch(cp -> Character.isLetterOrDigit(cp) || cp == '_' || cp == '-')) {
        continue;  // the combining accent is no letter: not a valid name
      }
      Backup b = simple("p", "b-" + i, names[i], Server.of("s-" + i, names[i] + " " + i, "eu-de-01"), NOW.minusSeconds(i), i);
      backups.add(b);
      catalog.add(b);
    }
    TreeSet<String> keywords = new TreeSet<>();
    for (String name : names) {
      for (int from = 0; from < name.length(); from++) {
        for (int to = from + 1; to <= name.length(); to++) {
          String k = name.substring(from, to);
          keywords.add(k);
          keywords.add(k.toUpperCase(Locale.ROOT));
          keywords.add(k.toLowerCase(Locale.ROOT));
        }
      }
    }
    keywords.addAll(List.of("\u0307", "i\u0307", "ss", "SS", "ς", "σ", "Σ", "fi", "k", "\u212A", "ω"));
    List<String> failures = new ArrayList<>();
    for (String k : keywords) {
      if (k.isBlank()) {
        continue;
      }
      List<String> expected = backups.stream().sorted(order(List.of(SortKey.desc(SortField.CREATED_AT))))
          .filter(b -> lower(b.name()).contains(lower(k))).map(Backup::id).collect(Collectors.toList());
      List<String> actual = catalog.query("p", Query.where(Predicates.nameContains(k))).ids();
      if (!expected.equals(actual)) {
        failures.add("name contains '" + k + "' " + codes(k) + ": expected " + expected + " got " + actual);
      }
      List<String> expectedServer = backups.stream().sorted(order(List.of(SortKey.desc(SortField.CREATED_AT))))
          .filter(b -> lower(b.server().name()).contains(lower(k))).map(Backup::id).collect(Collectors.toList());
      List<String> actualServer = catalog.query("p", Query.where(Predicates.serverNameContains(k))).ids();
      if (!expectedServer.equals(actualServer)) {
        failures.add("server name contains '" + k + "' " + codes(k) + ": expected " + expectedServer + " got " + actualServer);
      }
      long count = catalog.count("p", Predicates.nameContains(k));
      if (count != expected.size()) {
        failures.add("count name contains '" + k + "': expected " + expected.size() + " got " + count);
      }
    }
    assertEquals(List.of(), failures, failures.size() + " keyword mismatches");
  }

  static String codes(String s) {
    return s.codePoints().mapToObj(cp -> String.format("U+%04X", cp)).collect(Collectors.joining(" ", "[", "]"));
  }

  @Test
  void usageNamesAServerAsItsNewestCountedBackupDoes() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Instant t = NOW.minus(Duration.ofDays(2));
    // one server id renamed over time; added out of order
    catalog.add(simple("p", "b-2", "n", Server.of("s", "second", "az"), t.plusSeconds(10), 5));
    catalog.add(simple("p", "b-3", "n", Server.of("s", "third", "az"), t.plusSeconds(20), 5));
    catalog.add(simple("p", "b-1", "n", Server.of("s", "first", "az"), t, 5));
    catalog.add(simple("p", "b-3b", "n", Server.of("s", "third-b", "az"), t.plusSeconds(20), 5));  // tie: greater id wins
    catalog.add(simple("p", "b-3a", "n", Server.of("s", "third-a", "az"), t.plusSeconds(20), 5));
    assertEquals("third-b", catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0).serverName());
    Backup b3b = catalog.get("p", "b-3b");
    catalog.remove("p", "b-3b", b3b.version());
    assertEquals("third-a", catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0).serverName(), "after removing the newest");
    Backup b3a = catalog.get("p", "b-3a");
    catalog.remove("p", "b-3a", b3a.version());
    assertEquals("third", catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0).serverName());
    Backup b3 = catalog.get("p", "b-3");
    catalog.remove("p", "b-3", b3.version());
    assertEquals("second", catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0).serverName());
    // restricted: only the first counts
    UsageReport r = catalog.usage("p", UsageQuery.of(Predicates.createdBetween(t, t), 0, 10));
    assertEquals(List.of(new ServerUsage("s", "first", 1, 5)), r.servers());
    // a newest that goes through a transition keeps naming it
    Backup b2 = catalog.get("p", "b-2");
    catalog.apply("p", "b-2", b2.version(), Transition.delete());
    assertEquals("second", catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0).serverName());
    catalog.apply("p", "b-2", b2.version() + 1, Transition.complete());
    assertEquals(List.of(new ServerUsage("s", "first", 1, 5)), catalog.usage("p", UsageQuery.firstServers(10)).servers());
    catalog.remove("p", "b-1", 1);
    UsageReport empty = catalog.usage("p", UsageQuery.firstServers(10));
    assertEquals(new UsageReport(0, 0, 0, List.of()), empty);
  }

  @Test
  void usageOrderAndPagesFollowTheJavadoc() {
    seeded(5, seed -> {
      Random random = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      List<Backup> backups = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        int server = random.nextInt(40);
        long size = random.nextInt(4) == 0 ? 0 : random.nextInt(3) == 0 ? 1024 : random.nextInt(5) * 512;
        Backup b = simple("p", "b-" + i, "n" + i, Server.of("s-" + (char) ('a' + server % 26) + server,
            "name-" + random.nextInt(3), "az"), NOW.minusSeconds(random.nextInt(50)), size);
        backups.add(b);
      }
      catalog.addAll(backups);
      for (int offset = 0; offset < 45; offset += 7) {
        for (int limit : new int[] {1, 3, 10, 1000}) {
          assertEquals(expectedUsage(backups, b -> true, offset, limit), catalog.usage("p", UsageQuery.of(Predicates.all(), offset, limit)));
        }
      }
    });
  }

  @Test
  void refusedChangesThrowTheDocumentedExceptionAndLeaveTheCatalogUnchanged() {
    Loaded l = new Loaded(77, 3, 10, 300);
    String p = l.project();
    String other = l.maker.projects.get(1);
    BackupCatalog c = l.catalog;
    Backup some = l.model.of(p).get(0);
    Backup ofOther = l.model.of(other).get(0);
    List<Object> before = snapshot(c, p);
    List<Object> beforeOther = snapshot(c, other);

    DuplicateBackupException dup = assertThrows(DuplicateBackupException.class, () -> c.add(some));
    assertEquals(p, dup.projectId());
    assertEquals(some.id(), dup.backupId());
    // the same id in another project is fine, but a batch with a repeat is refused whole
    Backup fresh1 = simple(p, "fresh-1", "f", l.maker.servers.get(0), NOW, 1);
    Backup fresh2 = simple(other, "fresh-2", "f", l.maker.servers.get(0), NOW, 1);
    DuplicateBackupException inBatch = assertThrows(DuplicateBackupException.class,
        () -> c.addAll(List.of(fresh1, fresh2, simple(p, "fresh-1", "g", l.maker.servers.get(1), NOW, 2))));
    assertTrue(inBatch.inBatch());
    assertEquals("fresh-1", inBatch.backupId());
    DuplicateBackupException existing = assertThrows(DuplicateBackupException.class,
        () -> c.addAll(List.of(fresh1, fresh2, some)));
    assertFalse(existing.inBatch());
    assertEquals(before, snapshot(c, p));
    assertEquals(beforeOther, snapshot(c, other));

    // not found: an id of another project
    BackupNotFoundException nf = assertThrows(BackupNotFoundException.class,
        () -> c.apply(p, ofOther.id() + "-none", ofOther.version(), Transition.delete()));
    assertEquals(p, nf.projectId());
    if (l.model.projects.get(p).get(ofOther.id()) == null) {
      assertThrows(BackupNotFoundException.class, () -> c.apply(p, ofOther.id(), ofOther.version(), Transition.delete()));
      assertThrows(BackupNotFoundException.class, () -> c.remove(p, ofOther.id(), ofOther.version()));
      assertThrows(BackupNotFoundException.class, () -> c.updateTags(p, ofOther.id(), ofOther.version(), TagUpdate.create(Tag.of("a", "b"))));
      assertEquals(Optional.empty(), c.find(p, ofOther.id()));
      InvalidValueException m = assertThrows(InvalidValueException.class, () -> c.query(p, Query.all().after(ofOther.id())));
      assertEquals("marker", m.field());
    }
    // a version conflict comes before a lifecycle refusal
    Backup busy = l.model.of(p).stream().filter(b -> b.status().isIntermediate()).findFirst().orElseThrow();
    VersionConflictException vc = assertThrows(VersionConflictException.class,
        () -> c.apply(p, busy.id(), busy.version() + 1, Transition.restore()));
    assertEquals(busy.version(), vc.currentVersion());
    assertEquals(busy.version() + 1, vc.expectedVersion());
    assertThrows(IllegalTransitionException.class, () -> c.apply(p, busy.id(), busy.version(), Transition.restore()));
    assertThrows(VersionConflictException.class, () -> c.remove(p, busy.id(), busy.version() + 7));
    assertThrows(VersionConflictException.class, () -> c.updateTags(p, busy.id(), 0, TagUpdate.create(Tag.of("a", "b"))));
    // progress out of range
    InvalidValueException bad = assertThrows(InvalidValueException.class,
        () -> c.apply(p, busy.id(), busy.version(), Transition.reportProgress(101)));
    assertEquals("progress", bad.field());
    // more than ten tags
    Backup tagged = l.model.of(p).get(1);
    List<Tag> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(Tag.of("new" + i, "v"));
    }
    if (tagged.tags().stream().noneMatch(t -> t.key().startsWith("new"))) {
      if (!tagged.tags().isEmpty()) {
        InvalidValueException tooMany = assertThrows(InvalidValueException.class,
            () -> c.updateTags(p, tagged.id(), tagged.version(), TagUpdate.create(ten)));
        assertEquals("tags", tooMany.field());
      }
    }
    // queries: unknown marker
    InvalidValueException m = assertThrows(InvalidValueException.class, () -> c.query(p, Query.all().after("no-such-id")));
    assertEquals("marker", m.field());
    // blank project ids
    InvalidValueException blank = assertThrows(InvalidValueException.class, () -> c.sequence(" "));
    assertEquals("project id", blank.field());
    blank = assertThrows(InvalidValueException.class, () -> c.read("", v -> 1));
    assertEquals("project id", blank.field());
    assertEquals(before, snapshot(c, p));
    assertEquals(beforeOther, snapshot(c, other));

    // quotas: a batch beyond a project's quota is refused whole, naming the project and the quota
    c.setQuota(other, Quota.of(l.model.of(other).size() + 1, Quota.UNLIMITED));
    List<Object> beforeQuota = snapshot(c, other);
    List<Object> beforeMine = snapshot(c, p);
    QuotaExceededException q = assertThrows(QuotaExceededException.class, () -> c.addAll(List.of(
        simple(p, "q-1", "q", l.maker.servers.get(0), NOW, 1),
        simple(other, "q-2", "q", l.maker.servers.get(0), NOW, 1),
        simple(other, "q-3", "q", l.maker.servers.get(0), NOW, 1))));
    assertEquals(other, q.projectId());
    assertEquals("backups", q.quota());
    assertEquals(beforeQuota, snapshot(c, other));
    assertEquals(beforeMine, snapshot(c, p));
    long used = c.quotaUsage(p).sizeMbUsed();
    long gb = (used + 1023) / 1024 + 1;
    c.setQuota(p, Quota.of(Quota.UNLIMITED, gb));
    long room = gb * 1024 - used;
    List<Object> beforeCap = snapshot(c, p);
    q = assertThrows(QuotaExceededException.class, () -> c.add(simple(p, "q-4", "q", l.maker.servers.get(0), NOW, room + 1)));
    assertEquals("backup_capacity", q.quota());
    assertEquals(beforeCap, snapshot(c, p));
    c.add(simple(p, "q-5", "q", l.maker.servers.get(0), NOW, room));  // exactly at the quota
    assertEquals(OptionalLongZero.ZERO, c.quotaUsage(p).capacityRemainingMb().getAsLong());
  }

  static final class OptionalLongZero {
    static final long ZERO = 0L;
  }

  @Test
  void extremeInstantsAreSearchedAndSortedLikeAnyOther() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Instant[] times = {
      Instant.MIN, Instant.MIN.plusNanos(1), Instant.ofEpochSecond(-9_000_000_001L), Instant.EPOCH.minusNanos(1), Instant.EPOCH,
      NOW.minus(Duration.ofDays(7)).minusNanos(1), NOW.minus(Duration.ofDays(7)), NOW.minusNanos(1), NOW, NOW.plusNanos(1),
      Instant.ofEpochSecond(9_000_000_001L), Instant.MAX.minusNanos(1), Instant.MAX
    };
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < times.length; i++) {
      for (int copy = 0; copy < 2; copy++) {
        Backup b = simple("p", "b-" + (times.length - i) + "-" + copy, "n" + i, Server.of("s", "s", "az"), times[i], 1);
        backups.add(b);
      }
    }
    java.util.Collections.shuffle(backups, new Random(3));
    backups.forEach(catalog::add);
    List<String> expected = backups.stream().sorted(order(List.of(SortKey.desc(SortField.CREATED_AT)))).map(Backup::id)
        .collect(Collectors.toList());
    assertEquals(expected, catalog.query("p", Query.all()).ids());
    for (int i = 0; i < times.length; i++) {
      for (int j = i; j < times.length; j++) {
        Instant from = times[i];
        Instant to = times[j];
        for (int inc = 0; inc < 4; inc++) {
          boolean fi = (inc & 1) == 1 || i == j;
          boolean ti = (inc & 2) == 2 || i == j;
          TimeRange range = TimeRange.of(from, fi, to, ti);
          long n = backups.stream().filter(b -> range.contains(b.createdAt())).count();
          assertEquals(n, catalog.count("p", Predicates.createdIn(range)), "count " + range);
          assertEquals(n, catalog.query("p", Query.where(Predicates.createdIn(range))).total(), "total " + range);
          assertEquals(n, catalog.count("p", Predicates.not(Predicates.not(Predicates.createdIn(range)))), "count " + range);
          assertEquals(backups.size() - n, catalog.count("p", Predicates.not(Predicates.createdIn(range))), "count not " + range);
        }
      }
      TimeRange before = TimeRange.before(times[i]);
      assertEquals(backups.stream().filter(b -> before.contains(b.createdAt())).count(), catalog.count("p", Predicates.createdIn(before)), before.toString());
      TimeRange from = TimeRange.from(times[i]);
      assertEquals(backups.stream().filter(b -> from.contains(b.createdAt())).count(), catalog.count("p", Predicates.createdIn(from)), from.toString());
    }
    for (Duration w : List.of(Duration.ofNanos(1), Duration.ofDays(7), Duration.ofDays(7).plusNanos(1), Predicates.MAX_WINDOW)) {
      Instant now = clock.instant();
      long n = backups.stream().filter(b -> !b.createdAt().isBefore(now.minus(w)) && !b.createdAt().isAfter(now)).count();
      assertEquals(n, catalog.count("p", Predicates.createdWithinLast(w)), "within " + w);
      assertEquals(n, catalog.query("p", Query.where(Predicates.createdWithinLast(w))).total(), "within " + w);
    }
  }

  @Test
  void aReplicaFollowingBySubscriptionAnswersAsThePrimary() {
    seeded(3, seed -> {
      Maker maker = new Maker(seed, 4, 12);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog primary = Catalogs.indexed(clock);
      BackupCatalog replica = Catalogs.indexed(clock);  // the same now: stalled jobs agree
      List<io.csbs.catalog.Change> seen = new ArrayList<>();
      primary.subscribe(replica::replay);
      primary.subscribe(seen::add);
      Model model = new Model();
      for (int i = 0; i < 100; i++) {
        Backup b = maker.backup(maker.pick(maker.projects));
        primary.add(b);
        model.put(b);
      }
      for (int i = 0; i < 300; i++) {
        operate(primary, model, maker, clock);
      }
      for (String p : maker.projects) {
        assertEquals(snapshot(primary, p), snapshot(replica, p), p);
        long n = seen.stream().filter(ch -> ch.projectId().equals(p)).count();
        assertEquals(n, primary.sequence(p));
        List<Long> seqs = seen.stream().filter(ch -> ch.projectId().equals(p)).map(io.csbs.catalog.Change::sequence).collect(Collectors.toList());
        for (int k = 0; k < seqs.size(); k++) {
          assertEquals(k + 1L, seqs.get(k));
        }
      }
      // a change again is not installed
      assertFalse(replica.replay(seen.get(0)));
    });
  }

  @Test
  void allProjectsPagesByMarkerAndOffset() {
    seeded(3, seed -> {
      Maker maker = new Maker(seed, 6, 10);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      Model model = new Model();
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < 600; i++) {
        String project = maker.pick(maker.projects);
        // shared ids across projects, for the tie-break by project id
        String id = maker.random.nextInt(3) == 0 ? "shared-" + maker.random.nextInt(40) : maker.id();
        if (model.projects.getOrDefault(project, Map.of()).containsKey(id)) {
          continue;
        }
        Backup b = maker.backup(project, id, maker.pick(maker.servers));
        model.put(b);
        load.add(b);
      }
      catalog.addAll(load);
      Crits crits = new Crits(maker, model, NOW);
      for (int round = 0; round < 30; round++) {
        Crit crit = crits.tree(2);
        List<SortKey> sort = crits.sort();
        Comparator<Backup> order = order(sort).thenComparing(Backup::projectId);
        List<Backup> matches = model.all().stream().filter(crit.mine()).sorted(order).collect(Collectors.toList());
        int limit = 1 + maker.random.nextInt(60);
        Query first = Query.builder().where(crit.lib()).sort(Sort.by(sort)).limit(limit).build();
        List<Backup> walked = new ArrayList<>();
        Page page = catalog.queryAllProjects(first);
        int pages = 0;
        while (true) {
          walked.addAll(page.backups());
          assertEquals(matches.size(), page.total());
          if (page.nextMarker().isEmpty()) {
            break;
          }
          String marker = page.nextMarker().get();
          long owners = model.all().stream().filter(b -> b.id().equals(marker)).count();
          if (owners > 1) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.queryAllProjects(first.after(marker)));
            assertEquals("marker", e.field());
            // continue by offset instead
            long offset = walked.size();
            page = catalog.queryAllProjects(first.toBuilder().marker(null).offset(offset).build());
          } else {
            page = catalog.queryAllProjects(first.after(marker));
          }
          assertTrue(pages++ < 10_000);
        }
        assertEquals(matches.stream().map(b -> b.projectId() + "/" + b.id()).collect(Collectors.toList()),
            walked.stream().map(b -> b.projectId() + "/" + b.id()).collect(Collectors.toList()), crit + " sort " + sort);
      }
    });
  }

  @Test
  void readRefusesChangesAndOtherProjectsAndAViewDiesWithItsRead() {
    Loaded l = new Loaded(9, 2, 5, 100);
    String p = l.project();
    String other = l.maker.projects.get(1);
    List<Object> before = snapshot(l.catalog, p);
    Backup b = l.model.of(p).get(0);
    io.csbs.catalog.ProjectView[] kept = new io.csbs.catalog.ProjectView[1];
    l.catalog.read(p, view -> {
      kept[0] = view;
      assertThrows(IllegalStateException.class, () -> l.catalog.add(simple(p, "inside", "x", l.maker.servers.get(0), NOW, 1)));
      assertThrows(IllegalStateException.class, () -> l.catalog.remove(p, b.id(), b.version()));
      assertThrows(IllegalStateException.class, () -> l.catalog.query(other, Query.all()));
      assertEquals(view.query(Query.all()), l.catalog.query(p, Query.all()));
      assertEquals(view.count(Predicates.all()), l.catalog.count(p, Predicates.all()));
      return null;
    });
    assertEquals(before, snapshot(l.catalog, p));
    assertThrows(IllegalStateException.class, () -> kept[0].query(Query.all()));
  }

  @Test
  void subscribersSeeEachChangeOnceInOrderAndAThrowingOneKeepsItsSubscription() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<String> log = new ArrayList<>();
    int[] calls = new int[1];
    catalog.subscribe(change -> {
      calls[0]++;
      throw new RuntimeException("subscriber failure");
    });
    io.csbs.catalog.Subscription s = catalog.subscribe(change -> log.add("A" + change.sequence() + change.backupId()));
    catalog.subscribe(change -> {
      log.add("B" + change.sequence() + change.backupId());
      if (change.backupId().equals("one") && change.isAdded()) {
        catalog.add(simple("p", "two", "x", Server.of("s", "s", "az"), NOW, 1));
        log.add("B returns");
      }
    });
    catalog.add(simple("p", "one", "x", Server.of("s", "s", "az"), NOW, 1));
    assertEquals(List.of("A1one", "B1one", "B returns", "A2two", "B2two"), log);
    assertEquals(2, calls[0]);
    assertTrue(catalog.find("p", "one").isPresent());
    s.cancel();
    catalog.remove("p", "one", 1);
    assertEquals(List.of("A1one", "B1one", "B returns", "A2two", "B2two", "B3one"), log);
    assertEquals(3, calls[0]);
  }

  @Test
  void replayAndLoadRefuseInTheDocumentedOrder() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog primary = Catalogs.indexed(clock);
    List<io.csbs.catalog.Change> changes = new ArrayList<>();
    primary.subscribe(changes::add);
    Server server = Server.of("s", "s", "az");
    Backup one = simple("p", "one", "x", server, NOW.minusSeconds(10), 1);
    primary.add(one);
    primary.apply("p", "one", 1, Transition.delete());
    primary.add(simple("p", "two", "x", server, NOW.minusSeconds(5), 1));
    BackupCatalog replica = Catalogs.indexed(clock);
    // a gap: change 2 before change 1
    IllegalStateException gap = assertThrows(IllegalStateException.class, () -> replica.replay(changes.get(1)));
    assertTrue(gap.getMessage().contains("p"), gap.getMessage());
    assertEquals(0, replica.sequence("p"));
    assertTrue(replica.replay(changes.get(0)));
    assertFalse(replica.replay(changes.get(0)));
    // a change 2 whose before has another version: version conflict, expected the before's version
    Backup stored = replica.get("p", "one");
    Backup wrongBefore = stored.toBuilder().version(5).build();
    io.csbs.catalog.Change conflicting = new io.csbs.catalog.Change(2, "p", "one", Optional.of(wrongBefore),
        changes.get(1).after(), changes.get(1).transition());
    VersionConflictException vc = assertThrows(VersionConflictException.class, () -> replica.replay(conflicting));
    assertEquals(5, vc.expectedVersion());
    assertEquals(1, vc.currentVersion());
    // a change 2 adding an id that exists
    io.csbs.catalog.Change dupAdd = new io.csbs.catalog.Change(2, "p", "one", Optional.empty(), Optional.of(stored), Optional.empty());
    assertThrows(DuplicateBackupException.class, () -> replica.replay(dupAdd));
    // a change 2 of a backup it lacks
    Backup ghost = simple("p", "ghost", "x", server, NOW, 1);
    io.csbs.catalog.Change missing = new io.csbs.catalog.Change(2, "p", "ghost", Optional.of(ghost), Optional.empty(), Optional.empty());
    assertThrows(BackupNotFoundException.class, () -> replica.replay(missing));
    assertEquals(1, replica.sequence("p"));
    assertTrue(replica.replay(changes.get(1)));
    assertTrue(replica.replay(changes.get(2)));
    assertEquals(snapshot(primary, "p"), snapshot(replica, "p"));
    // load into a project that has a sequence: refused
    assertThrows(IllegalStateException.class,
        () -> replica.load(new io.csbs.catalog.ProjectSnapshot("p", 3, Quota.NONE, List.of())));
    BackupCatalog fresh = Catalogs.indexed(clock);
    List<io.csbs.catalog.Change> told = new ArrayList<>();
    fresh.subscribe(told::add);
    fresh.load(new io.csbs.catalog.ProjectSnapshot("p", 3, Quota.of(10, 10), List.of(primary.get("p", "one"), primary.get("p", "two"))));
    assertEquals(List.of(), told);
    assertEquals(3, fresh.sequence("p"));
    assertEquals(Quota.of(10, 10), fresh.quotaUsage("p").quota());
    assertEquals(primary.query("p", Query.all()), fresh.query("p", Query.all()));
  }

  @Test
  void aCustomStallRuleJudgesTheStalledSearch() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(10))).build();
    Server server = Server.of("s", "s", "az");
    for (int minutes = 0; minutes <= 20; minutes++) {
      Instant changed = NOW.minus(Duration.ofMinutes(minutes));
      catalog.add(Backup.builder().id("b-" + minutes).name("n").projectId("p").server(server).status(BackupStatus.CREATING)
          .progress(Progress.of(10, changed)).sizeMb(1).createdAt(changed.minusSeconds(1)).build());
    }
    catalog.add(Backup.builder().id("b-x").name("n").projectId("p").server(server).status(BackupStatus.RESTORING)
        .progress(Progress.of(10, NOW.minus(Duration.ofMinutes(10)).minusNanos(1))).sizeMb(1).createdAt(NOW.minus(Duration.ofDays(1))).build());
    assertEquals(11, catalog.count("p", Predicates.stalled()));  // 11..20 minutes and 10 min + 1 ns
    clock.advance(Duration.ofMinutes(1));
    assertEquals(12, catalog.count("p", Predicates.stalled()));  // 10..20 minutes and b-x
    Page page = catalog.query("p", Query.where(Predicates.and(Predicates.stalled(), Predicates.status(BackupStatus.CREATING))));
    assertEquals(11, page.total());
    // progress moves: no longer stalled
    Backup b = catalog.get("p", "b-20");
    catalog.apply("p", "b-20", b.version(), Transition.reportProgress(11));
    assertEquals(11, catalog.count("p", Predicates.stalled()));
    // the same progress again changes nothing and leaves its progress time
    Backup b19 = catalog.get("p", "b-19");
    long seq = catalog.sequence("p");
    Optional<Backup> same = catalog.apply("p", "b-19", b19.version(), Transition.reportProgress(10));
    assertEquals(Optional.of(b19), same);
    assertEquals(seq, catalog.sequence("p"));
    assertEquals(11, catalog.count("p", Predicates.stalled()));
  }
}
