package io.csbs;

import static io.csbs.SeededRuns.seeded;
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
    final List<String> gone = new ArrayList<>();
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
      // whole letters: a keyword holding half of a surrogate pair is refused (Predicates.nameContains)
      if (start > 0 && Character.isLowSurrogate(source.charAt(start)) && Character.isHighSurrogate(source.charAt(start - 1))) {
        start--;
      }
      if (end < source.length() && Character.isLowSurrogate(source.charAt(end)) && Character.isHighSurrogate(source.charAt(end - 1))) {
        end++;
      }
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
    int pageLimit = (int) Math.min(1000, count / 40 + 1 + random.nextInt(Math.max(1, (int) Math.min(1000, count / 3 + 2))));
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
      // now and then an id used before: removed here, or living in another project
      String reused = !maker.gone.isEmpty() && random.nextInt(3) == 0 ? maker.gone.remove(random.nextInt(maker.gone.size())) : null;
      Backup b = reused != null && !model.projects.getOrDefault(project, Map.of()).containsKey(reused)
          ? maker.backup(project, reused, maker.pick(maker.servers)) : maker.backup(project);
      long before = catalog.sequence(project);
      catalog.add(b);
      model.put(b);
      assertEquals(before + 1, catalog.sequence(project), "sequence after add");
    } else if (kind == 1) {
      Backup b = maker.pick(backups);
      long before = catalog.sequence(project);
      catalog.remove(project, b.id(), b.version());
      model.remove(project, b.id());
      maker.gone.add(b.id());
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
      boolean small = backups.size() < 2000 || random.nextInt(50) == 0;
      List<Object> before = small ? snapshot(catalog, project) : null;
      long sequenceBefore = catalog.sequence(project);
      if (refusal != null) {
        RuntimeException r = refusal;
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> catalog.apply(project, b.id(), b.version(), t));
        assertEquals(r.getClass(), thrown.getClass(), "refusal of " + t + " on " + b + ": " + thrown);
        if (small) {
          assertEquals(before, snapshot(catalog, project), "a refused transition changed the catalog");
        }
        assertEquals(sequenceBefore, catalog.sequence(project));
      } else {
        Optional<Backup> actual = catalog.apply(project, b.id(), b.version(), t);
        assertEquals(expected, actual, t + " on " + b);
        if (actual.isPresent()) {
          model.put(actual.get());
        } else {
          model.remove(project, b.id());
          maker.gone.add(b.id());
        }
        long expectedSequence = sequenceBefore + (expected.isPresent() && expected.get().equals(b) ? 0 : 1);
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
        List<Object> before = backups.size() < 2000 || random.nextInt(50) == 0 ? snapshot(catalog, project) : null;
        InvalidValueException thrown = assertThrows(InvalidValueException.class,
            () -> catalog.updateTags(project, b.id(), b.version(), update));
        assertEquals(e.field(), thrown.field());
        if (before != null) {
          assertEquals(before, snapshot(catalog, project), "a refused tag update changed the catalog");
        }
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
        String target = random.nextBoolean() ? project : maker.pick(maker.projects);
        String reused = !maker.gone.isEmpty() && random.nextInt(3) == 0 ? maker.gone.get(random.nextInt(maker.gone.size())) : null;
        boolean free = reused != null && !model.projects.getOrDefault(target, Map.of()).containsKey(reused)
            && batch.stream().noneMatch(x -> x.projectId().equals(target) && x.id().equals(reused));
        batch.add(free ? maker.backup(target, reused, maker.pick(maker.servers)) : maker.backup(target));
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

  /** One step of a check on a {@link Loaded} catalog: its first project, and that project's backups now. */
  interface LoadedStep {
    void run(Loaded l, Random random, String project, List<Backup> backups) throws Exception;
  }

  /** {@code steps} steps of {@code step} on each of four seeded catalogs of 400 backups in two projects. */
  static void onLoadedCatalogs(int steps, LoadedStep step) {
    seeded(4, seed -> {
      Loaded l = new Loaded(seed, 2, 20, 400);
      for (int i = 0; i < steps; i++) {
        step.run(l, l.maker.random, l.project(), l.model.of(l.project()));
      }
    });
  }

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
    onLoadedCatalogs(150, (l, random, project, backups) -> {
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
    onLoadedCatalogs(200, (l, random, project, backups) -> {
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
    });
  }

  @Test
  void tagFilterAgreesWithTheDocumentedGroups() {
    onLoadedCatalogs(200, (l, random, project, backups) -> {
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
      if (k.codePoints().anyMatch(cp -> Character.isSurrogate((char) cp) && cp <= Character.MAX_VALUE)) {
        // half of a letter outside the BMP: refused (Predicates.nameContains), as no database could look for it
        assertThrows(InvalidValueException.class, () -> Predicates.nameContains(k), k);
        assertThrows(InvalidValueException.class, () -> Predicates.serverNameContains(k), k);
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

  /** A project large enough for bitmaps, late rows, reorganisations and the name order. */
  @Test
  void aLargeProjectWithLateAddsRemovalsAndChangesAgreesWithTheScan() throws Exception {
    seeded(1, seed -> {
      Maker maker = new Maker(seed, 1, 300);
      Random random = maker.random;
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      Model model = new Model();
      String p = maker.projects.get(0);
      // in creation order first
      List<Backup> first = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {  // 20,000 took a fifth of the module's test time for no more reorganisations
        first.add(maker.backup(p));
      }
      first.sort(Comparator.comparing(Backup::createdAt));
      catalog.addAll(first);
      first.forEach(model::put);
      check(catalog, model, p, maker, clock, 12, "loaded");
      for (int phase = 0; phase < 2; phase++) {
        // late rows: older than most, one by one and in batches
        for (int i = 0; i < 1500; i++) {
          Backup b = maker.backup(p);
          if (random.nextInt(4) == 0) {
            List<Backup> batch = new ArrayList<>(List.of(b));
            for (int k = 0; k < random.nextInt(50); k++) {
              batch.add(maker.backup(p));
            }
            catalog.addAll(batch);
            batch.forEach(model::put);
          } else {
            catalog.add(b);
            model.put(b);
          }
        }
        check(catalog, model, p, maker, clock, 8, "phase " + phase + " after late adds");
        // retention: remove the oldest, and some at random
        List<Backup> byAge = model.of(p);
        byAge.sort(Comparator.comparing(Backup::createdAt).thenComparing(Backup::id));
        for (int i = 0; i < 1250 && i < byAge.size(); i++) {
          Backup b = byAge.get(random.nextInt(3) == 0 ? random.nextInt(byAge.size() - i) + i : i);
          if (model.projects.get(p).containsKey(b.id())) {
            Backup current = model.projects.get(p).get(b.id());
            catalog.remove(p, b.id(), current.version());
            model.remove(p, b.id());
          }
        }
        check(catalog, model, p, maker, clock, 8, "phase " + phase + " after removals");
        for (int i = 0; i < 1500; i++) {
          operate(catalog, model, maker, clock);
        }
        check(catalog, model, p, maker, clock, 8, "phase " + phase + " after changes");
        Thread.sleep(300);  // the reorganiser may run
        check(catalog, model, p, maker, clock, 8, "phase " + phase + " a moment later");
      }
    });
  }

  static void check(BackupCatalog catalog, Model model, String p, Maker maker, FakeClock clock, int queries, String when) {
    Crits crits = new Crits(maker, model, clock.instant());
    try {
      // by name: the first sort, then again after the others
      checkQuery(catalog, model, p, new Crit(Predicates.all(), b -> true, "all"),
          List.of(SortKey.asc(SortField.NAME)), maker.random);
      checkQuery(catalog, model, p, new Crit(Predicates.all(), b -> true, "all"),
          List.of(SortKey.desc(SortField.CREATED_AT)), maker.random);
      checkProject(catalog, model, p, crits, queries);
    } catch (AssertionError e) {
      throw new AssertionError(when + ": " + e.getMessage(), e);
    }
  }

  static void assertField(String field, Class<? extends Throwable> type, org.junit.jupiter.api.function.Executable action, String what) {
    Throwable t = assertThrows(Throwable.class, action, what);
    if (!type.isInstance(t)) {
      fail(what + ": expected " + type.getSimpleName() + " but got " + t);
    }
    if (field != null) {
      assertEquals(field, ((InvalidValueException) t).field(), what + ": " + t.getMessage());
    }
  }

  @Test
  void listQueryStringIsStrictAsDocumented() {
    Class<InvalidValueException> ive = InvalidValueException.class;
    assertEquals(Query.all(), ListQueryString.parse(""));
    assertEquals(Query.all(), ListQueryString.parse("?"));
    assertEquals(Query.all(), ListQueryString.parse("&&"));
    assertEquals(ListQueryString.parse("limit=5&name=a"), ListQueryString.parse("?&limit=5&&name=a&"));
    assertEquals(Query.where(Predicates.serverNameContains("web 01")), ListQueryString.parse("resource_name=web+01"));
    assertEquals(Query.where(Predicates.serverNameContains("web 01")), ListQueryString.parse("resource_name=web%2001"));
    assertEquals(Query.where(Predicates.nameContains("日本")), ListQueryString.parse("name=%E6%97%A5%E6%9C%AC"));
    assertEquals(Query.where(Predicates.none()), ListQueryString.parse("status=deleted"));
    assertEquals(Query.where(Predicates.status(BackupStatus.CREATING)), ListQueryString.parse("status=waiting_protect"));
    assertEquals(Query.where(Predicates.status(BackupStatus.DELETING)), ListQueryString.parse("status=waiting_delete"));
    assertEquals(Query.where(Predicates.createdBetween(Instant.parse("2017-04-18T01:21:52.701973Z"), Instant.parse("2017-04-18T01:21:52.701973Z"))),
        ListQueryString.parse("start_time=2017-04-18T01:21:52.701973&end_time=2017-04-18T01:21:52.701973"));
    assertEquals(Query.where(Predicates.createdIn(TimeRange.from(Instant.parse("2017-04-18T01:21:52Z")))),
        ListQueryString.parse("start_time=2017-04-18T01:21:52"));
    assertEquals(Query.where(Predicates.createdIn(TimeRange.until(Instant.parse("2017-04-18T01:21:52.123456789Z")))),
        ListQueryString.parse("end_time=2017-04-18T01:21:52.123456789"));
    assertEquals(Query.builder().offset(Long.MAX_VALUE).build(), ListQueryString.parse("offset=9223372036854775807"));
    assertEquals(Query.builder().sort(Sort.parse("name:asc")).build(), ListQueryString.parse("sort=name%3Aasc"));
    assertEquals(Sort.by(SortKey.desc(SortField.CREATED_AT), SortKey.asc(SortField.NAME)), Sort.parse(" created_at , name:ASC "));
    assertTrue(Sort.parse("created_at").isDefault());
    assertEquals(Sort.DEFAULT, Sort.by(List.of(SortKey.desc(SortField.CREATED_AT))));

    String[][] bad = {
      {"foo=1", "foo"}, {"status=paused", "status"}, {"status=Available", "status"}, {"limit=0", "limit"},
      {"limit=1001", "limit"}, {"limit=-1", "limit"}, {"limit=+5", "limit"}, {"limit=abc", "limit"}, {"limit=", "limit"},
      {"limit", "limit"}, {"limit=1&limit=2", "limit"}, {"offset=-1", "offset"}, {"offset=99999999999999999999", "offset"},
      {"offset=9223372036854775808", "offset"}, {"marker=b-1&offset=0", "marker"}, {"offset=3&marker=b-1", "marker"},
      {"=x", "query string"}, {"name=%zz", "name"}, {"name=%", "name"}, {"sort=size", "sort"}, {"sort=name:up", "sort"},
      {"sort=name,name", "sort"}, {"sort=", "sort"}, {"sort=Name", "sort"},
      {"start_time=2017-02-30T00:00:00", "start_time"}, {"start_time=2017-04-18", "start_time"},
      {"start_time=2017-04-18T01:21:52Z", "start_time"}, {"end_time=2017-04-18T01:21:52.1234567890", "end_time"},
      {"start_time=2017-04-18T01:21:53&end_time=2017-04-18T01:21:52", "start_time"},
      {"name=%20%20", "name"}, {"checkpoint_id=+", "checkpoint_id"}, {"az=%20", "az"}, {"resource_type=+", "resource_type"},
      {"policy_id=%20", "policy_id"}, {"resource_id=%20", "resource_id"}, {"resource_name=%20", "resource_name"},
      {"name=" + "a".repeat(256), "name"}, {"marker=%20", "marker"}
    };
    List<String> wrong = new ArrayList<>();
    for (String[] c : bad) {
      try {
        Query q = ListQueryString.parse(c[0]);
        wrong.add(c[0] + ": accepted as " + q);
      } catch (InvalidValueException e) {
        if (!e.field().equals(c[1])) {
          wrong.add(c[0] + ": names " + e.field() + " (" + e.getMessage() + "), expected " + c[1]);
        }
      } catch (RuntimeException e) {
        wrong.add(c[0] + ": threw " + e);
      }
    }
    assertEquals(List.of(), wrong);
    // the map form
    assertField("limit", ive, () -> ListQueryString.parse(Map.of("limit", List.of())), "no value");
    assertField("limit", ive, () -> ListQueryString.parse(Map.of("limit", List.of("1", "2"))), "two values");
    assertField("limit", ive, () -> ListQueryString.parse(Map.of("limit", List.of(""))), "empty value");
    assertField("query string", ive, () -> ListQueryString.parse(Map.of("", List.of("x"))), "empty name");
    assertField("bogus", ive, () -> ListQueryString.parse(Map.of("bogus", List.of("x"))), "unknown");
  }

  @Test
  void valuesAreRefusedNamingTheField() {
    Class<InvalidValueException> ive = InvalidValueException.class;
    assertField("limit", ive, () -> Query.builder().limit(0), "limit 0");
    assertField("limit", ive, () -> Query.builder().limit(1001), "limit 1001");
    assertField("offset", ive, () -> Query.builder().offset(-1), "offset -1");
    assertField("marker", ive, () -> Query.builder().marker(" "), "blank marker");
    assertField("marker", ive, () -> Query.builder().marker("x").offset(2).build(), "marker and offset");
    assertEquals(0, Query.builder().offset(5).build().after("x").offset());
    assertEquals(Optional.of("x"), Query.builder().offset(5).build().after("x").marker());
    assertField("keyword", ive, () -> Predicates.nameContains(" "), "blank keyword");
    assertField("keyword", ive, () -> Predicates.nameContains("a".repeat(256)), "long keyword");
    Predicates.nameContains("a".repeat(255));
    assertField("keyword", ive, () -> Predicates.keyword(KeywordField.SERVER_ID, " "), "blank server id keyword");
    assertField("keyword", ive, () -> Predicates.keyword(KeywordField.BACKUP_ID, ""), "blank id keyword");
    assertField("time window", ive, () -> Predicates.createdWithinLast(Duration.ZERO), "zero window");
    assertField("time window", ive, () -> Predicates.createdWithinLast(Predicates.MAX_WINDOW.plusNanos(1)), "long window");
    assertField("status", ive, () -> Predicates.status(List.of()), "no status");
    assertField("tag key", ive, () -> Predicates.tag("a b", "x"), "bad key");
    assertField("tag key", ive, () -> Predicates.tag("k".repeat(37), "x"), "long key");
    assertField("tag value", ive, () -> Predicates.tag("k", "a b"), "bad value");
    assertField("tag value", ive, () -> Predicates.tag("k", "v".repeat(44)), "long value");
    assertField("tag values", ive, () -> Predicates.tag("k", List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")), "11 values");
    Predicates.tag("k", List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", " 10 ", "10"));
    assertField("availability zone", ive, () -> Predicates.availabilityZone(" "), "blank zone");
    assertField("backup type", ive, () -> Predicates.attribute(Attribute.BACKUP_TYPE, "enhanced"), "type");
    assertField("trigger", ive, () -> Predicates.attribute(Attribute.TRIGGER, "AUTO"), "trigger");
    assertField("time range", ive, () -> TimeRange.between(NOW, NOW.minusNanos(1)), "inverted");
    assertField("time range", ive, () -> TimeRange.of(NOW, false, NOW, true), "empty");
    TimeRange.between(NOW, NOW);
    assertField("tag value", ive, () -> Tag.of("env", "prod env"), "README tag");
    assertEquals("tag value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-'",
        assertThrows(InvalidValueException.class, () -> Tag.of("env", "prod env")).getMessage());
    assertEquals(Tag.of("env", "prod"), Tag.of(" env ", " prod "));
    assertField("sort", ive, () -> Sort.by(List.of()), "empty sort");
    assertField("sort", ive, () -> Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.NAME)), "repeat");
    assertField("limit", ive, () -> UsageQuery.firstServers(0), "usage limit");
    assertField("offset", ive, () -> UsageQuery.of(Predicates.all(), -1, 1), "usage offset");
    assertField("backups", ive, () -> Quota.of(-2, 1), "quota backups");
    assertField("backup_capacity", ive, () -> Quota.of(1, Quota.MAX_CAPACITY_GB + 1), "quota capacity");
    assertField("tags", ive, () -> TagUpdate.create(List.of()), "no tags");
    assertField("tags", ive, () -> TagUpdate.create(Tag.of("a", "1"), Tag.of("a", "2")), "repeat key");
    assertField("tags", ive, () -> TagUpdate.delete(List.of()), "no matches");
    assertField("tag key", ive, () -> TagUpdate.Match.key(" "), "blank match");
    TagUpdate.Match.key("k".repeat(127));
    assertField("tag key", ive, () -> TagUpdate.Match.key("k".repeat(128)), "long match");
    assertField("stall threshold", ive, () -> StallRule.ofThreshold(Duration.ZERO), "threshold");
    // console search
    ConsoleSearch ten = ConsoleSearch.empty();
    for (int i = 0; i < 10; i++) {
      ten = ten.withTag("k" + i, "v");
    }
    assertEquals(ten, ten.withTag("k3", "v"));
    assertEquals(ten, ten.withTag(" k3 ", " v "));
    ConsoleSearch full = ten;
    assertField("tags", ive, () -> full.withTag("k10", "v"), "11th pair");
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE, BackupStatus.values()));
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withTimeRange(TimeRange.all()));
    assertEquals(ConsoleSearch.empty().withKeyword(KeywordField.SERVER_NAME, "web"),
        ConsoleSearch.empty().withKeyword(KeywordField.SERVER_NAME, "  web "));
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withTag("a", "b").withoutTag(" a", "b "));
    assertEquals(Predicates.all(), ConsoleSearch.empty().toPredicate(TagCatalogue.empty()));
    assertField("status", ive, () -> ConsoleSearch.empty().withStatuses(List.of()), "no status");
    assertField("limit", ive, () -> ConsoleSearch.empty().toQuery(TagCatalogue.empty(), 0), "console limit");
    assertField("tag key", ive, () -> ConsoleSearch.empty().withTag("env", "prod").toPredicate(TagCatalogue.empty()), "no tags at all");
    // tag filter
    assertField("tags", ive, () -> TagFilter.builder().tags("a").tags("a"), "repeat key");
    assertField("not_tags_any", ive, () -> TagFilter.builder().notTagsAny("a").notTagsAny(" a "), "repeat key");
    TagFilter.Builder eleven = TagFilter.builder();
    for (int i = 0; i < 10; i++) {
      eleven.tagsAny("k" + i);
    }
    assertField("tags_any", ive, () -> eleven.tagsAny("k10"), "11 keys");
    assertField("tags", ive, () -> TagFilter.builder().tags("k", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"), "11 values");
    assertField("tag value", ive, () -> TagFilter.builder().tags("k", "a b"), "bad value");
    assertField("tag key", ive, () -> TagFilter.builder().tags("a b"), "bad key");
    assertField("matches", ive, () -> TagFilter.builder().matches("name", "x"), "matches key");
    assertField("matches", ive, () -> TagFilter.builder().matches("resource_name", " "), "matches blank");
    assertField("matches", ive, () -> TagFilter.builder().matches("resource_name", "x").matches("resource_name", "y"), "matches twice");
    assertThrows(IllegalStateException.class, () -> TagFilter.builder().limit(5).limit(6));
    assertThrows(IllegalStateException.class, () -> TagFilter.builder().offset(5).offset(6));
    assertThrows(IllegalStateException.class, () -> TagFilter.builder().action(TagFilter.Action.COUNT).action(TagFilter.Action.FILTER));
    assertField("action", ive, () -> TagFilter.Action.parse("Count"), "action");
    assertEquals(TagFilter.builder().tags("a", "x", "y").tags("b").build(), TagFilter.builder().tags("b").tags("a", "y", " x", "x").build());
    assertEquals(TagFilter.builder().tags("a", "*").build().toPredicate(), TagFilter.builder().tags("a").build().toPredicate());
    // backups
    Server s = Server.of("s", "n", "az");
    assertField("name", ive, () -> simple("p", "b", "a b", s, NOW, 1), "name with a space");
    assertField("name", ive, () -> simple("p", "b", "x".repeat(256), s, NOW, 1), "long name");
    simple("p", "b", "x".repeat(255), s, NOW, 1);
    assertField("id", ive, () -> simple("p", " ", "n", s, NOW, 1), "blank id");
    assertField("id", ive, () -> simple("p", "i".repeat(65), "n", s, NOW, 1), "long id");
    assertField("project id", ive, () -> simple(" ", "b", "n", s, NOW, 1), "blank project");
    assertField("size", ive, () -> simple("p", "b", "n", s, NOW, -1), "negative size");
    assertField("size", ive, () -> simple("p", "b", "n", s, NOW, Backup.MAX_SIZE_MB + 1), "huge size");
    simple("p", "b", "n", s, NOW, Backup.MAX_SIZE_MB);
    List<Tag> eleventags = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      eleventags.add(Tag.of("k" + i, "v"));
    }
    assertField("tags", ive, () -> Backup.builder().id("b").name("n").projectId("p").server(s).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(NOW).tags(eleventags).build(), "11 tags");
    assertField("tags", ive, () -> Backup.builder().id("b").name("n").projectId("p").server(s).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(NOW).addTags(Tag.of("a", "1"), Tag.of("a", "2")).build(), "repeated key");
    assertField("policy id", ive, () -> Backup.builder().id("b").name("n").projectId("p").server(s).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(NOW).policyId("pol").build(), "policy on a manual backup");
    assertField("progress", ive, () -> Backup.builder().id("b").name("n").projectId("p").server(s).status(BackupStatus.CREATING)
        .sizeMb(1).createdAt(NOW).build(), "no progress");
    assertField("failure", ive, () -> Backup.builder().id("b").name("n").projectId("p").server(s).status(BackupStatus.ERROR)
        .sizeMb(1).createdAt(NOW).build(), "no failure");
    assertField("updated at", ive, () -> Backup.builder().id("b").name("n").projectId("p").server(s).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(NOW).updatedAt(NOW.minusNanos(1)).build(), "updated before created");
    assertThrows(IllegalStateException.class, () -> Backup.builder().id("a").id("b"));
    assertThrows(IllegalStateException.class, () -> Backup.builder().id("a").build());
  }

  @Test
  void addAllChecksProjectByProjectThenQuotas() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog c = Catalogs.indexed(clock);
    Server s = Server.of("s", "n", "az");
    c.add(simple("a", "y", "n", s, NOW, 1));
    c.add(simple("b", "y", "n", s, NOW, 1));
    c.setQuota("a", Quota.of(1, Quota.UNLIMITED));
    // a repeat in z, a quota beyond in a: the duplicate comes first
    DuplicateBackupException d = assertThrows(DuplicateBackupException.class, () -> c.addAll(List.of(
        simple("a", "new", "n", s, NOW, 1), simple("z", "r", "n", s, NOW, 1), simple("z", "r", "n", s, NOW, 1))));
    assertEquals("z", d.projectId());
    assertTrue(d.inBatch());
    // duplicates in b and in a, b given first: a is checked first
    d = assertThrows(DuplicateBackupException.class, () -> c.addAll(List.of(
        simple("b", "y", "n", s, NOW, 1), simple("a", "y", "n", s, NOW, 1))));
    assertEquals("a", d.projectId());
    // within a project, the first refused in the order given: an existing id before a repeat
    d = assertThrows(DuplicateBackupException.class, () -> c.addAll(List.of(
        simple("b", "x", "n", s, NOW, 1), simple("b", "y", "n", s, NOW, 1), simple("b", "x", "n", s, NOW, 1))));
    assertEquals("y", d.backupId());
    assertFalse(d.inBatch());
    d = assertThrows(DuplicateBackupException.class, () -> c.addAll(List.of(
        simple("b", "x", "n", s, NOW, 1), simple("b", "x", "n", s, NOW, 1), simple("b", "y", "n", s, NOW, 1))));
    assertEquals("x", d.backupId());
    assertTrue(d.inBatch());
    // add: the duplicate is checked before the quota
    d = assertThrows(DuplicateBackupException.class, () -> c.add(simple("a", "y", "n", s, NOW, 1)));
    assertEquals("a", d.projectId());
    QuotaExceededException q = assertThrows(QuotaExceededException.class, () -> c.add(simple("a", "z", "n", s, NOW, 1)));
    assertEquals("a", q.projectId());
    assertEquals(1, c.quotaUsage("a").backupsUsed());
    assertEquals(0, c.sequence("z"));
    assertEquals(1, c.sequence("b"));
    // the quota example of the javadoc: 100 GB, 101888 MB used
    BackupCatalog c2 = Catalogs.indexed(clock);
    c2.setQuota("project-1", Quota.of(Quota.UNLIMITED, 100));
    c2.add(simple("project-1", "big", "n", s, NOW, 101_888));
    QuotaExceededException over = assertThrows(QuotaExceededException.class,
        () -> c2.add(simple("project-1", "more", "n", s, NOW, 102_400 - 101_888 + 1)));
    assertEquals("quota backup_capacity of project project-1 (limit 100 GB) is exceeded: used 99.50 GB (101888 MB), asked 513 MB more",
        over.getMessage());
    assertEquals(new java.math.BigDecimal("99.50"), c2.quotaUsage("project-1").capacityUsedGb());
    assertEquals(java.util.OptionalLong.of(512), c2.quotaUsage("project-1").capacityRemainingMb());
    assertEquals(java.util.OptionalLong.empty(), c2.quotaUsage("project-1").backupsRemaining());
    // lowering a quota keeps what is there
    c2.setQuota("project-1", Quota.of(0, 1));
    assertEquals(1, c2.quotaUsage("project-1").backupsUsed());
    assertEquals(java.util.OptionalLong.of(0), c2.quotaUsage("project-1").backupsRemaining());
    assertEquals(java.util.OptionalLong.of(0), c2.quotaUsage("project-1").capacityRemainingMb());
    // a zero-size backup still counts as a backup
    c2.setQuota("project-1", Quota.of(1, Quota.UNLIMITED));
    assertThrows(QuotaExceededException.class, () -> c2.add(simple("project-1", "zero", "n", s, NOW, 0)));
    c2.setQuota("project-1", Quota.NONE);
    c2.add(simple("project-1", "zero", "n", s, NOW, 0));
    assertEquals(2, c2.usage("project-1", UsageQuery.firstServers(5)).backups());
  }

  @Test
  void applyChecksExistenceThenVersionThenTransition() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog c = Catalogs.indexed(clock);
    Server s = Server.of("s", "n", "az");
    c.add(simple("p", "b", "n", s, NOW.minusSeconds(5), 1));
    c.add(simple("q", "other", "n", s, NOW.minusSeconds(5), 1));
    assertThrows(BackupNotFoundException.class, () -> c.apply("p", "other", 1, Transition.reportProgress(101)));
    assertThrows(VersionConflictException.class, () -> c.apply("p", "b", 2, Transition.reportProgress(101)));
    assertThrows(VersionConflictException.class, () -> c.apply("p", "b", 2, Transition.complete()));
    assertThrows(IllegalTransitionException.class, () -> c.apply("p", "b", 1, Transition.complete()));
    assertThrows(IllegalTransitionException.class, () -> c.apply("p", "b", 1, Transition.instantRestore()));  // common
    Backup restoring = c.apply("p", "b", 1, Transition.restore()).orElseThrow();
    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(2, restoring.version());
    assertEquals(NOW, restoring.updatedAt());
    assertEquals(Optional.of(Progress.of(0, NOW)), restoring.progress());
    assertEquals(ApiStatus.RESTORING, restoring.apiStatus());
    clock.advance(Duration.ofSeconds(1));
    assertField("progress", InvalidValueException.class, () -> c.apply("p", "b", 2, Transition.reportProgress(-1)), "negative progress");
    assertField("failure reason", InvalidValueException.class, () -> c.apply("p", "b", 2, Transition.fail(" ")), "blank reason");
    Backup half = c.apply("p", "b", 2, Transition.reportProgress(50)).orElseThrow();
    assertField("progress", InvalidValueException.class, () -> c.apply("p", "b", 3, Transition.reportProgress(49)), "progress down");
    Backup failed = c.apply("p", "b", 3, Transition.fail("disk")).orElseThrow();
    assertEquals(BackupStatus.ERROR, failed.status());
    assertEquals(JobType.RESTORE, failed.failure().get().job());
    Backup deleting = c.apply("p", "b", 4, Transition.delete()).orElseThrow();
    assertEquals(failed.failure(), deleting.failure());
    assertEquals(Optional.empty(), c.apply("p", "b", 5, Transition.complete()));
    assertEquals(Optional.empty(), c.find("p", "b"));
    assertEquals(0, c.count("p", Predicates.all()));
    assertEquals(TagCatalogue.empty(), c.tagCatalogue("p"));
    assertEquals(6, c.sequence("p"));
    // a clock before the backup's last change: refused naming now
    c.add(simple("p", "future", "n", s, NOW.plus(Duration.ofDays(1)), 1));
    assertField("now", InvalidValueException.class, () -> c.apply("p", "future", 1, Transition.delete()), "now before");
    assertEquals(1, c.get("p", "future").version());
  }

  /** The tag APIs' rules from TagUpdate's javadoc, without TagUpdate.applyTo. */
  @Test
  void tagUpdatesFollowTheTagApisRules() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog c = Catalogs.indexed(clock);
    Server s = Server.of("s", "n", "az");
    c.add(simple("p", "b", "n", s, NOW.minusSeconds(5), 1, Tag.of("env", "prod"), Tag.of("team", "a"), Tag.of("app", "")));
    List<io.csbs.catalog.Change> changes = new ArrayList<>();
    c.subscribe(changes::add);
    Backup same = c.updateTags("p", "b", 1, TagUpdate.create(Tag.of("team", "a")));
    assertEquals(1, same.version());
    assertEquals(List.of(), changes);
    Backup replaced = c.updateTags("p", "b", 1, TagUpdate.create(Tag.of("new", "x"), Tag.of("env", "dev")));
    assertEquals(List.of(Tag.of("env", "dev"), Tag.of("team", "a"), Tag.of("app", ""), Tag.of("new", "x")), replaced.tags());
    assertEquals(2, replaced.version());
    assertEquals(NOW, replaced.updatedAt());
    assertEquals(1, changes.size());
    assertEquals(0, c.count("p", Predicates.tag("env", "prod")));
    assertEquals(1, c.count("p", Predicates.tag("env", "dev")));
    assertFalse(c.tagCatalogue("p").contains("env", "prod"));
    Backup deleted = c.updateTags("p", "b", 2, TagUpdate.delete(TagUpdate.Match.of("team", "b"), TagUpdate.Match.key("app"),
        TagUpdate.Match.key("nothing"), TagUpdate.Match.of("new", "x")));
    assertEquals(List.of(Tag.of("env", "dev"), Tag.of("team", "a")), deleted.tags());
    assertEquals(3, deleted.version());
    assertFalse(c.tagCatalogue("p").containsKey("app"));
    assertEquals(0, c.count("p", Predicates.tagKey("app")));
    Backup noop = c.updateTags("p", "b", 3, TagUpdate.delete(TagUpdate.Match.key("x".repeat(127))));
    assertEquals(deleted, noop);
    // to exactly ten, then one more refused
    List<Tag> eight = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      eight.add(Tag.of("k" + i, "v"));
    }
    Backup ten = c.updateTags("p", "b", 3, TagUpdate.create(eight));
    assertEquals(10, ten.tags().size());
    List<Object> before = snapshot(c, "p");
    assertField("tags", InvalidValueException.class, () -> c.updateTags("p", "b", 4, TagUpdate.create(Tag.of("eleven", "v"))), "11th");
    assertEquals(before, snapshot(c, "p"));
    // in any state
    Backup deleting = c.apply("p", "b", 4, Transition.delete()).orElseThrow();
    Backup tagged = c.updateTags("p", "b", deleting.version(), TagUpdate.create(Tag.of("env", "gone")));
    assertEquals(BackupStatus.DELETING, tagged.status());
    assertEquals(1, c.count("p", Predicates.and(Predicates.tag("env", "gone"), Predicates.status(BackupStatus.DELETING))));
  }

  @Test
  void predicatesAreNormalizedValues() {
    BackupPredicate a = Predicates.status(BackupStatus.ERROR);
    BackupPredicate b = Predicates.nameContains("Web");
    BackupPredicate c = Predicates.tag("env", "prod");
    assertEquals(Predicates.and(a, b), Predicates.and(b, a));
    assertEquals(Predicates.and(a, Predicates.and(b, c)), Predicates.and(Predicates.and(a, b), c));
    assertEquals(Predicates.or(a, Predicates.or(b, c)), Predicates.or(c, Predicates.or(b, a)));
    assertEquals(a, Predicates.and(a, a));
    assertEquals(a, Predicates.or(a, Predicates.none()));
    assertEquals(a, Predicates.and(a, Predicates.all()));
    assertEquals(Predicates.none(), Predicates.and(a, Predicates.none()));
    assertEquals(Predicates.all(), Predicates.or(a, Predicates.all()));
    assertEquals(a, Predicates.not(Predicates.not(a)));
    assertEquals(b, Predicates.not(Predicates.not(b)));
    assertEquals(Predicates.all(), Predicates.status(EnumSet.allOf(BackupStatus.class)));
    assertEquals(Predicates.nameContains("web"), b);
    assertEquals(Predicates.serverNameContains("WEB"), Predicates.serverNameContains("web"));
    assertEquals(Predicates.all(), Predicates.and());
    assertEquals(Predicates.none(), Predicates.or());
    assertEquals(Predicates.tag("env", List.of("b", "a")), Predicates.tag(" env ", List.of(" a", "b ", "a")));
    assertEquals(Predicates.tagKey("env"), Predicates.tag("env", List.of("*")));
    assertEquals(Predicates.createdIn(TimeRange.all()), Predicates.all());
    assertEquals("(created within last 7 days AND status = Available AND tag env=prod)",
        Predicates.and(Predicates.status(BackupStatus.AVAILABLE), Predicates.createdWithinLast(Duration.ofDays(7)),
            Predicates.tag("env", "prod")).toString());
    assertEquals(Predicates.keyword(KeywordField.SERVER_NAME, "web"), Predicates.serverNameContains("web"));
    assertEquals(Predicates.keyword(KeywordField.SERVER_ID, "s-1"), Predicates.serverId("s-1"));
    assertEquals(Predicates.keyword(KeywordField.BACKUP_ID, "b-1"), Predicates.backupId("b-1"));
    // a backup id keyword matches exactly, any case counts
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog cat = Catalogs.indexed(clock);
    Server s = Server.of("Srv-1", "n", "az");
    cat.add(simple("p", "B-1", "n", s, NOW, 1));
    cat.add(simple("p", "b-1", "n", s, NOW, 1));
    cat.add(simple("p", "b-10", "n", s, NOW, 1));
    assertEquals(List.of("b-1"), cat.query("p", Query.where(Predicates.backupId("b-1"))).ids());
    assertEquals(List.of(), cat.query("p", Query.where(Predicates.serverId("srv-1"))).ids());
    assertEquals(3, cat.count("p", Predicates.serverId("Srv-1")));
    // ties of creation time: newest first means id descending
    assertEquals(List.of("b-10", "b-1", "B-1"), cat.query("p", Query.all()).ids());
    assertEquals(List.of("B-1", "b-1", "b-10"), cat.query("p", Query.builder().sort(Sort.parse("created_at:asc")).build()).ids());
    assertEquals(List.of("B-1", "b-1", "b-10"), cat.query("p", Query.builder().sort(Sort.parse("name:asc")).build()).ids());
    assertEquals(List.of("b-10", "b-1", "B-1"), cat.query("p", Query.builder().sort(Sort.parse("name:desc")).build()).ids());
    assertEquals(List.of("b-10", "b-1", "B-1"), cat.query("p", Query.builder().sort(Sort.parse("status")).build()).ids());
  }

  static String wideName(Random random) {
    String[] stems = {"autobk_", "AUTOBK_", "가나다", "ﬁﬁﬁﬁ", "é", "\uD801\uDC00\uD801\uDC00", "日本語の", "x", "ÿÿÿÿÿÿÿÿÿ", "ÿÿÿÿÿÿÿÿÿ가"};
    char[] alphabet = {'a', 'B', '0', '_', '-', 'é', 'ÿ', 'Ā', '가', 'ﬁ', '日', 'Σ', 'ς', 'z', 'Z'};
    StringBuilder name = new StringBuilder(stems[random.nextInt(stems.length)]);
    int n = random.nextInt(14);
    for (int i = 0; i < n; i++) {
      if (random.nextInt(12) == 0) {
        name.append("\uD801\uDC28");
      } else {
        name.append(alphabet[random.nextInt(alphabet.length)]);
      }
    }
    return name.toString();
  }

  /** The first sort by name of a project of many names, wide chars and shared stems among them, then names added. */
  @Test
  void sortingManyUnicodeNamesIsCharByChar() {
    seeded(1, seed -> {
      Random random = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      Model model = new Model();
      Server s = Server.of("s", "n", "az");
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < 20_000; i++) {
        load.add(simple("p", "b-" + i, wideName(random), s, NOW.minusSeconds(random.nextInt(1_000_000)), 1));
      }
      catalog.addAll(load);
      load.forEach(model::put);
      for (int round = 0; round < 3; round++) {
        for (boolean ascending : new boolean[] {true, false}) {
          List<SortKey> sort = List.of(new SortKey(SortField.NAME, ascending));
          List<String> expected = model.of("p").stream().sorted(order(sort)).map(Backup::id).collect(Collectors.toList());
          Query q = Query.builder().sort(Sort.by(sort)).limit(1000).build();
          List<String> walked = new ArrayList<>();
          Page page = catalog.query("p", q);
          while (true) {
            walked.addAll(page.ids());
            if (page.nextMarker().isEmpty()) {
              break;
            }
            page = catalog.query("p", q.after(page.nextMarker().get()));
          }
          if (!expected.equals(walked)) {
            int at = 0;
            while (at < expected.size() && at < walked.size() && expected.get(at).equals(walked.get(at))) {
              at++;
            }
            fail("round " + round + " ascending " + ascending + ": first difference at " + at + ": expected "
                + expected.subList(at, Math.min(expected.size(), at + 3)).stream().map(id -> id + "=" + model.projects.get("p").get(id).name()).collect(Collectors.toList())
                + " got " + walked.subList(at, Math.min(walked.size(), at + 3)).stream().map(id -> id + "=" + model.projects.get("p").get(id).name()).collect(Collectors.toList()));
          }
          // an offset page in the middle
          int offset = random.nextInt(expected.size());
          assertEquals(expected.subList(offset, Math.min(expected.size(), offset + 50)),
              catalog.query("p", Query.builder().sort(Sort.by(sort)).limit(50).offset(offset).build()).ids());
        }
        // more names, some new, some removed
        for (int i = 0; i < 3000; i++) {
          Backup b = simple("p", "r" + round + "-" + i, wideName(random), s, NOW.minusSeconds(random.nextInt(1_000_000)), 1);
          catalog.add(b);
          model.put(b);
          // among the first 1% of the model's backups (copying them all here took most of the test's time)
          java.util.Collection<Backup> stored = model.projects.get("p").values();
          Backup gone = stored.stream().skip(random.nextInt(stored.size() / 100 + 1)).findFirst().orElseThrow();
          catalog.remove("p", gone.id(), gone.version());
          model.remove("p", gone.id());
        }
      }
    });
  }

  /** A retention job: the oldest removed as new ones come, each backup named its own way. */
  @Test
  void retentionWithDistinctNamesAgreesWithTheScan() {
    seeded(1, seed -> {
      Maker maker = new Maker(seed, 1, 50);
      Random random = maker.random;
      FakeClock clock = FakeClock.at(NOW.minus(Duration.ofDays(60)));
      BackupCatalog catalog = Catalogs.indexed(clock);
      Model model = new Model();
      String p = maker.projects.get(0);
      java.util.ArrayDeque<Backup> live = new java.util.ArrayDeque<>();
      int n = 0;
      for (int i = 0; i < 8000; i++) {
        clock.advance(Duration.ofSeconds(1 + random.nextInt(60)));
        Backup b = distinct(p, n++, maker, clock.instant(), random);
        catalog.add(b);
        model.put(b);
        live.add(b);
      }
      for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 7000; i++) {
          clock.advance(Duration.ofSeconds(1 + random.nextInt(60)));
          Backup b = distinct(p, n++, maker, clock.instant(), random);
          catalog.add(b);
          model.put(b);
          live.add(b);
          Backup oldest = live.poll();
          Backup current = model.projects.get(p).get(oldest.id());
          catalog.remove(p, oldest.id(), current.version());
          model.remove(p, oldest.id());
          if (random.nextInt(20) == 0) {
            // a late one: an old backup imported again
            Backup late = distinct(p, n++, maker, clock.instant().minus(Duration.ofDays(30)), random);
            catalog.add(late);
            model.put(late);
            live.addFirst(late);
          }
        }
        Crits crits = new Crits(maker, model, clock.instant());
        for (int q = 0; q < 10; q++) {
          Crit crit = random.nextBoolean() ? crits.tree(2)
              : new Crit(Predicates.nameContains(crits.keyword(crits.someName())), null, null);
          if (crit.mine() == null) {
            String k = crit.lib().toString().replaceAll("^name contains \"(.*)\"$", "$1");
            crit = new Crit(crit.lib(), b -> lower(b.name()).contains(k), "name~" + k);
          }
          checkQuery(catalog, model, p, crit, crits.sort(), random);
        }
        assertEquals(expectedCatalogue(model.of(p)), catalog.tagCatalogue(p));
        assertEquals(expectedUsage(model.of(p), b -> true, 0, 100), catalog.usage(p, UsageQuery.firstServers(100)));
      }
    });
  }

  static Backup distinct(String p, int n, Maker maker, Instant created, Random random) {
    String name = "bk_" + Integer.toHexString(n * 2654435761L > 0 ? (int) (n * 2654435761L) : n) + maker.name();
    return Backup.builder().id("r-" + n).name(name).projectId(p).server(maker.pick(maker.servers))
        .status(BackupStatus.AVAILABLE).sizeMb(maker.size()).createdAt(created)
        .addTags(Tag.of("uniq", "u" + n), Tag.of("env", random.nextBoolean() ? "prod" : "dev")).build();
  }

  @Test
  void theReadmeQuickStartAnswersAsItSays() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    Backup backup = Backup.builder().id("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12").name("autobk_a61d").projectId("project-1")
        .server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02")).status(BackupStatus.AVAILABLE)
        .type(BackupType.ENHANCED).trigger(BackupTrigger.AUTOMATIC).sizeMb(146_184).createdAt(now.minus(Duration.ofDays(3)))
        .addTags(Tag.of("env", "prod")).build();
    Backup restoring = io.csbs.lifecycle.Lifecycle.instantRestore(backup, now);
    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(0, restoring.progress().get().percent());
    Backup halfway = io.csbs.lifecycle.Lifecycle.reportProgress(restoring, 50, now.plusSeconds(60));
    assertTrue(StallRule.DEFAULT.isStalled(halfway, now.plus(Duration.ofHours(1))));
    assertFalse(StallRule.DEFAULT.isStalled(halfway, now.plusSeconds(60).plus(Duration.ofMinutes(30))));
    Backup restored = io.csbs.lifecycle.Lifecycle.complete(halfway, now.plusSeconds(120)).orElseThrow();
    assertEquals(BackupStatus.AVAILABLE, restored.status());
    assertEquals(4, restored.version());

    Server web = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web-01", "eu-de-02");
    Server db = Server.of("0c5b1a9e-2f9d-4a57-9d3b-7d1f4c2a9b10", "ecs-db-01", "eu-de-01");
    BackupCatalog catalog = Catalogs.indexed(java.time.Clock.fixed(now, ZoneOffset.UTC));
    for (int day = 1; day <= 30; day++) {
      catalog.add(Backup.builder().id("backup-" + day).name("autobk_" + day).projectId("project-1").server(day % 2 == 0 ? web : db)
          .status(BackupStatus.AVAILABLE).sizeMb(40_960).createdAt(now.minus(Duration.ofDays(day)))
          .addTags(Tag.of("env", day % 3 == 0 ? "test" : "prod")).build());
    }
    Backup oldest = catalog.get("project-1", "backup-30");
    catalog.apply("project-1", oldest.id(), oldest.version(), Transition.delete());
    ConsoleSearch search = ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE).withLastDays(7)
        .withKeyword(KeywordField.SERVER_NAME, "WEB").withTag("env", "prod");
    Page page = catalog.query("project-1", search.toQuery(catalog.tagCatalogue("project-1"), 20));
    assertEquals(List.of("backup-2", "backup-4"), page.ids());
    assertEquals(2, page.total());
    Query query = search.toQuery(catalog.tagCatalogue("project-1"), 20);
    List<Object> console = catalog.read("project-1", view -> List.of(view.query(query), view.tagCatalogue(),
        view.usage(UsageQuery.firstServers(20))));
    assertEquals(page, console.get(0));
    UsageReport usage = (UsageReport) console.get(2);
    assertEquals(30, usage.backups());
    assertEquals(30 * 40_960L, usage.sizeMb());
    assertEquals(new java.math.BigDecimal("1200.00"), usage.capacityGb());
    // the refusal's message, as the README shows it
    Backup creating = Backup.builder().id("7b99").name("n").projectId("p").server(web).status(BackupStatus.CREATING)
        .progress(Progress.of(0, now)).sizeMb(1).createdAt(now).build();
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> io.csbs.lifecycle.Lifecycle.restore(creating, now));
    assertEquals("backup 7b99 is Creating: restore is refused (the backup is busy until its backup job ends); "
        + "Creating allows progress, complete, fail", e.getMessage());
    assertEquals(java.util.Set.of(io.csbs.backup.Operation.RESTORE, io.csbs.backup.Operation.DELETE),
        simple("p", "b", "n", web, now, 1).allowedOperations());
    assertEquals(ApiStatus.PROTECTING, creating.apiStatus());
    Backup queued = creating.toBuilder().apiStatus(ApiStatus.WAITING_PROTECT).build();
    assertEquals(ApiStatus.WAITING_PROTECT, io.csbs.lifecycle.Lifecycle.reportProgress(queued, 0, now).apiStatus());
    assertEquals(ApiStatus.PROTECTING, io.csbs.lifecycle.Lifecycle.reportProgress(queued, 1, now).apiStatus());
    // time segments replace each other
    TimeRange r = TimeRange.between(now.minus(Duration.ofDays(3)), now);
    assertEquals(ConsoleSearch.empty().withLastDays(7), ConsoleSearch.empty().withTimeRange(r).withLastDays(7));
    assertEquals(ConsoleSearch.empty().withTimeRange(r), ConsoleSearch.empty().withLastDays(7).withTimeRange(r));
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withLastDays(7).withoutTimeSegment());
    // other projects and unknown ones
    assertEquals(0, catalog.count("project-2", Predicates.all()));
    assertEquals(TagCatalogue.empty(), catalog.tagCatalogue("project-2"));
    assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage("project-2", UsageQuery.firstServers(20)));
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), catalog.quotaUsage("project-2"));
    assertEquals(new Page(List.of(), 0, false), catalog.query("project-2", Query.all()));
    assertEquals(0, catalog.stats("project-2").backups());
    assertEquals(30, catalog.stats("project-1").backups());
    assertEquals(30, catalog.countAllProjects(Predicates.all()));
    assertEquals(2, catalog.countAllProjects(search.toPredicate(catalog.tagCatalogue("project-1"))));
  }

  @Test
  void aReadAgreesWithItselfWhileAWriterRuns() throws Exception {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Maker maker = new Maker(1, 1, 20);
    String p = maker.projects.get(0);
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      load.add(maker.backup(p));
    }
    catalog.addAll(load);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    Thread writer = new Thread(() -> {
      Random random = new Random(2);
      Maker m = new Maker(3, 1, 20);
      try {
        while (!stop.get()) {
          Page some = catalog.query(p, Query.builder().limit(50).offset(random.nextInt(2000)).build());
          if (some.backups().isEmpty()) {
            continue;
          }
          Backup b = some.backups().get(random.nextInt(some.backups().size()));
          try {
            if (random.nextBoolean()) {
              catalog.remove(p, b.id(), b.version());
              Backup fresh = m.backup(p, "w-" + random.nextLong(), m.pick(m.servers));
              catalog.add(fresh);
            } else {
              catalog.updateTags(p, b.id(), b.version(), TagUpdate.create(Tag.of("env", random.nextBoolean() ? "prod" : "dev")));
            }
          } catch (InvalidValueException e) {
            // a backup created after the clock's now: its tags cannot be updated at now
          } catch (VersionConflictException | BackupNotFoundException e) {
            // raced with nothing: single writer, so this should not happen
            failure.compareAndSet(null, e);
          }
        }
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
      }
    });
    writer.start();
    long end = System.nanoTime() + 1_500_000_000L;
    int reads = 0;
    while (System.nanoTime() < end) {
      List<Long> r = catalog.read(p, view -> {
        long all = view.count(Predicates.all());
        long byStatus = 0;
        for (BackupStatus st : BackupStatus.values()) {
          byStatus += view.count(Predicates.status(st));
        }
        long prod = view.count(Predicates.tag("env", "prod"));
        long notProd = view.count(Predicates.not(Predicates.tag("env", "prod")));
        Page page = view.query(Query.builder().limit(1000).build());
        UsageReport usage = view.usage(UsageQuery.firstServers(1000));
        long serverSum = usage.servers().stream().mapToLong(ServerUsage::backups).sum();
        return List.of(all, byStatus, prod + notProd, page.total(), usage.backups(), serverSum);
      });
      assertEquals(1, r.stream().distinct().count(), "one state: " + r);
      long total = catalog.count(p, Predicates.all());
      assertTrue(total == 3000 || total == 2999, "between a removal and its add: " + total);
      reads++;
    }
    stop.set(true);
    writer.join();
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertTrue(reads > 10);
  }

  /**
   * QuotaExceededException's javadoc example, as written (101,888 MB of 100 GB used, 600 MB asked),
   * and BackupCatalog.updateTags's refusals of a clock before the backup's creation ({@code updated
   * at}) or its last change ({@code now}, as a transition's), leaving the backup as it was.
   */
  @Test
  void theQuotaExampleAndTagUpdatesAtAnEarlierClockAreAsDocumented() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog c = Catalogs.indexed(clock);
    Server s = Server.of("s", "n", "az");
    c.setQuota("project-1", Quota.of(Quota.UNLIMITED, 100));
    c.add(simple("project-1", "big", "n", s, NOW, 101_888));
    QuotaExceededException full = assertThrows(QuotaExceededException.class,
        () -> c.add(simple("project-1", "more", "n", s, NOW, 600)));
    assertEquals("quota backup_capacity of project project-1 (limit 100 GB) is exceeded: used 99.50 GB (101888 MB),"
        + " asked 600 MB more", full.getMessage());
    c.add(simple("project-1", "one-more-mb", "n", s, NOW, 512));  // exactly what is left fits
    assertEquals(102_400, c.quotaUsage("project-1").sizeMbUsed());

    c.add(simple("p", "future", "n", s, NOW.plusSeconds(60), 1));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> c.updateTags("p", "future", 1, TagUpdate.create(Tag.of("a", "b"))));
    assertEquals("updated at", e.field());
    Backup later = Backup.builder().id("later").name("n").projectId("p").server(s).status(BackupStatus.AVAILABLE).sizeMb(1)
        .createdAt(NOW.minusSeconds(60)).updatedAt(NOW.plusSeconds(60)).build();
    c.add(later);
    InvalidValueException early = assertThrows(InvalidValueException.class,
        () -> c.updateTags("p", "later", 1, TagUpdate.create(Tag.of("a", "b"))));
    assertEquals("now", early.field());
    assertEquals(later, c.find("p", "later").orElseThrow());
    // as a transition at the same clock is refused, naming now
    c.add(later.toBuilder().id("later-2").build());
    InvalidValueException now = assertThrows(InvalidValueException.class, () -> c.apply("p", "later-2", 1, Transition.delete()));
    assertEquals("now", now.field());
  }
}
