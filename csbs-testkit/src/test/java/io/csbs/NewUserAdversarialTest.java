package io.csbs;

import static io.csbs.SeededRuns.escape;
import static io.csbs.SeededRuns.seeded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
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
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A new user's adversarial differential checks of the indexed catalog ({@code Catalogs.indexed}):
 * shapes that NewUserContractTest did not try. Every answer is compared with a plain scan: a model
 * of the backups filtered with {@code predicate.test(backup, now, stallRule)} (the javadoc of
 * BackupPredicate: "the plain reference that every indexed answer equals") and sorted with the
 * order that the javadoc of Sort and SortField documents, written here.
 *
 * <p>Random tests print their seed on failure; replay with {@code -Dcsbs.seed=N}.
 */
class NewUserAdversarialTest {
  static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
  static final StallRule RULE = StallRule.DEFAULT;

  // ---------------------------------------------------------------------------------------------
  // the model: a plain list per project

  static final class Model {
    final ArrayList<Backup> list = new ArrayList<>();
    final HashMap<String, Integer> at = new HashMap<>();

    void put(Backup b) {
      Integer i = at.get(b.id());
      if (i == null) {
        at.put(b.id(), list.size());
        list.add(b);
      } else {
        list.set(i, b);
      }
    }

    void remove(String id) {
      int i = at.remove(id);
      Backup last = list.remove(list.size() - 1);
      if (i < list.size()) {
        list.set(i, last);
        at.put(last.id(), i);
      }
    }

    Backup get(String id) {
      Integer i = at.get(id);
      return i == null ? null : list.get(i);
    }

    boolean has(String id) {
      return at.containsKey(id);
    }

    Backup pick(Random r) {
      return list.get(r.nextInt(list.size()));
    }

    int size() {
      return list.size();
    }
  }

  /** SortField's documented ascending orders: char by char for names and ids; status in enum order. */
  static Comparator<Backup> field(SortField f) {
    switch (f) {
      case CREATED_AT:
        return Comparator.comparing(Backup::createdAt);
      case UPDATED_AT:
        return Comparator.comparing(Backup::updatedAt);
      case NAME:
        return (a, b) -> charByChar(a.name(), b.name());
      case STATUS:
        return Comparator.comparingInt(b -> List.of(BackupStatus.AVAILABLE, BackupStatus.CREATING,
            BackupStatus.RESTORING, BackupStatus.DELETING, BackupStatus.ERROR).indexOf(b.status()));
      default:
        return (a, b) -> charByChar(a.id(), b.id());
    }
  }

  static int charByChar(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      if (a.charAt(i) != b.charAt(i)) {
        return a.charAt(i) - b.charAt(i);
      }
    }
    return a.length() - b.length();
  }

  /** Sort: the keys, then the id in the direction of the first key unless id is a key. */
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

  static List<Backup> matches(Collection<Backup> backups, BackupPredicate p, Instant now, Comparator<Backup> order) {
    List<Backup> m = new ArrayList<>();
    for (Backup b : backups) {
      if (p.test(b, now, RULE)) {
        m.add(b);
      }
    }
    m.sort(order);
    return m;
  }

  static Page slice(List<Backup> sorted, long offset, int limit) {
    int from = (int) Math.min(offset, sorted.size());
    int to = Math.min(sorted.size(), from + limit);
    return new Page(sorted.subList(from, to), sorted.size(), to < sorted.size());
  }

  /** The page after the marker backup's current place: BackupCatalog's "Paging" paragraph. */
  static Page after(List<Backup> sorted, Comparator<Backup> order, Backup marker, int limit) {
    int lo = 0;
    int hi = sorted.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (order.compare(sorted.get(mid), marker) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    int to = Math.min(sorted.size(), lo + limit);
    return new Page(sorted.subList(lo, to), sorted.size(), to < sorted.size());
  }

  static String show(List<String> ids) {
    if (ids.size() > 12) {
      return ids.subList(0, 6) + "...(" + ids.size() + ")..." + ids.subList(ids.size() - 6, ids.size());
    }
    return ids.toString();
  }

  static void assertPage(Page expected, Page actual, String what) {
    List<String> e = expected.ids();
    List<String> a = actual.ids();
    if (!e.equals(a)) {
      int i = 0;
      while (i < Math.min(e.size(), a.size()) && e.get(i).equals(a.get(i))) {
        i++;
      }
      throw new AssertionError(what + ": ids differ at " + i + ": expected " + show(e) + " but was " + show(a)
          + (i < e.size() ? "; expected there " + expected.backups().get(i) : "")
          + (i < a.size() ? "; got there " + actual.backups().get(i) : ""));
    }
    assertEquals(expected.total(), actual.total(), what + ": total");
    assertEquals(expected.hasMore(), actual.hasMore(), what + ": hasMore");
    assertEquals(expected.backups(), actual.backups(), what + ": backups");
  }

  static List<SortKey> randomSort(Random r) {
    int kind = r.nextInt(4);
    if (kind == 0) {
      return Sort.DEFAULT.keys();
    }
    List<SortField> fields = new ArrayList<>(List.of(SortField.values()));
    Collections.shuffle(fields, r);
    int n = kind == 1 ? 1 + r.nextInt(3) : 1;
    List<SortKey> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(new SortKey(fields.get(i), r.nextBoolean()));
    }
    return keys;
  }

  static int randomLimit(Random r, int size) {
    switch (r.nextInt(5)) {
      case 0:
        return 1;
      case 1:
        return 1000;
      case 2:
        return 1 + r.nextInt(7);
      default:
        return 1 + r.nextInt(Math.min(1000, size + 2));
    }
  }

  static long randomOffset(Random r, int matches, int all) {
    switch (r.nextInt(6)) {
      case 0:
        return 0;
      case 1:
        return matches;
      case 2:
        return matches + 1 + r.nextInt(5);
      case 3:
        return 1L << (20 + r.nextInt(40));
      case 4:
        return Math.max(0, matches - 1 - r.nextInt(3));
      default:
        return r.nextInt(all + 3);
    }
  }

  /**
   * One query and its pages compared with the scan: count, an offset page, a marker page (any backup
   * of the project, matching or not) and, now and then, a walk of every page by marker.
   */
  static void checkQuery(BackupCatalog catalog, String project, Model model, BackupPredicate p, List<SortKey> sort,
      Instant now, Random r, boolean walk, String when) {
    Comparator<Backup> order = order(sort);
    List<Backup> m = matches(model.list, p, now, order);
    String what = when + ": " + project + " where " + p + " sort " + Sort.by(sort);
    assertEquals(m.size(), catalog.count(project, p), what + ": count");
    int limit = randomLimit(r, m.size());
    long offset = randomOffset(r, m.size(), model.size());
    Query q = Query.builder().where(p).sort(Sort.by(sort)).limit(limit).offset(offset).build();
    assertPage(slice(m, offset, limit), catalog.query(project, q), what + " limit " + limit + " offset " + offset);
    if (model.size() > 0) {
      Backup marker = model.pick(r);
      if (r.nextInt(3) == 0 && !m.isEmpty()) {
        marker = m.get(r.nextInt(m.size()));
      }
      assertPage(after(m, order, marker, limit), catalog.query(project, q.after(marker.id())),
          what + " limit " + limit + " after " + marker.id());
    }
    if (walk) {
      int pageLimit = Math.min(1000, Math.max(1 + r.nextInt(50), m.size() / 150 + 1));
      Query first = Query.builder().where(p).sort(Sort.by(sort)).limit(pageLimit).build();
      List<String> walked = new ArrayList<>();
      Page page = catalog.query(project, first);
      int guard = 0;
      while (true) {
        walked.addAll(page.ids());
        assertEquals(m.size(), page.total(), what + ": total of a marker page");
        if (page.nextMarker().isEmpty()) {
          assertFalse(page.hasMore(), what + ": more but no marker");
          break;
        }
        page = catalog.query(project, first.after(page.nextMarker().get()));
        assertTrue(guard++ < 10_000, "endless paging");
      }
      List<String> expected = m.stream().map(Backup::id).collect(Collectors.toList());
      if (!expected.equals(walked)) {
        assertPage(new Page(m, m.size(), false), new Page(catalogBackups(catalog, project, walked), m.size(), false),
            what + ": the walk by marker, limit " + pageLimit);
      }
    }
  }

  static List<Backup> catalogBackups(BackupCatalog catalog, String project, List<String> ids) {
    List<Backup> out = new ArrayList<>();
    for (String id : ids) {
      out.add(catalog.find(project, id).orElse(null));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // usage, quota and tag catalogue

  static UsageReport expectedUsage(List<Backup> backups, BackupPredicate where, Instant now, long offset, int limit) {
    Map<String, List<Backup>> byServer = new TreeMap<>();
    long total = 0;
    long count = 0;
    for (Backup b : backups) {
      if (where.test(b, now, RULE)) {
        byServer.computeIfAbsent(b.server().id(), k -> new ArrayList<>()).add(b);
        total += b.sizeMb();
        count++;
      }
    }
    List<ServerUsage> lines = new ArrayList<>();
    byServer.forEach((id, list) -> {
      // the name of its newest counted backup: the latest created, then the greatest id
      Backup newest = list.stream().max(Comparator.comparing(Backup::createdAt).thenComparing(field(SortField.ID))).get();
      lines.add(new ServerUsage(id, newest.server().name(), list.size(), list.stream().mapToLong(Backup::sizeMb).sum()));
    });
    lines.sort(Comparator.comparingLong(ServerUsage::sizeMb).reversed()
        .thenComparing(Comparator.comparingLong(ServerUsage::backups).reversed())
        .thenComparing(ServerUsage::serverId, NewUserAdversarialTest::charByChar));
    List<ServerUsage> page = lines.subList((int) Math.min(offset, lines.size()), (int) Math.min(lines.size(), offset + limit));
    return new UsageReport(count, total, lines.size(), page);
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

  static void checkUsage(BackupCatalog catalog, String project, Model model, BackupPredicate where, Instant now, Random r, String when) {
    long offset = r.nextInt(3) == 0 ? r.nextInt(8) : 0;
    int limit = 1 + r.nextInt(r.nextBoolean() ? 5 : 1000);
    assertEquals(expectedUsage(model.list, Predicates.all(), now, offset, limit),
        catalog.usage(project, UsageQuery.of(Predicates.all(), offset, limit)), when + ": usage offset " + offset + " limit " + limit);
    assertEquals(expectedUsage(model.list, where, now, offset, limit),
        catalog.usage(project, UsageQuery.of(where, offset, limit)), when + ": usage of " + where);
    QuotaUsage q = catalog.quotaUsage(project);
    assertEquals(model.size(), q.backupsUsed(), when + ": backups used");
    assertEquals(model.list.stream().mapToLong(Backup::sizeMb).sum(), q.sizeMbUsed(), when + ": size used");
    assertEquals(expectedCatalogue(model.list), catalog.tagCatalogue(project), when + ": tag catalogue");
  }

  // ---------------------------------------------------------------------------------------------
  // random criteria drawn from the stored data, at exact boundaries

  static String substring(Random r, String s) {
    int start = r.nextInt(s.length());
    int end = start + 1 + r.nextInt(Math.min(6, s.length() - start));
    // whole letters: a keyword holding half of a surrogate pair is refused (Predicates.nameContains)
    if (start > 0 && Character.isLowSurrogate(s.charAt(start)) && Character.isHighSurrogate(s.charAt(start - 1))) {
      start--;
    }
    if (end < s.length() && Character.isLowSurrogate(s.charAt(end)) && Character.isHighSurrogate(s.charAt(end - 1))) {
      end++;
    }
    String k = s.substring(start, end);
    switch (r.nextInt(4)) {
      case 0:
        k = k.toUpperCase(Locale.ROOT);
        break;
      case 1:
        k = k.toLowerCase(Locale.ROOT);
        break;
      default:
    }
    return k.isBlank() ? "a" : k;
  }

  /** A piece of {@code s} that splits no surrogate pair (a valid tag value). */
  static String cpSubstring(Random r, String s) {
    int[] cps = s.codePoints().toArray();
    int start = r.nextInt(cps.length);
    int end = start + 1 + r.nextInt(cps.length - start);
    return new String(cps, start, end - start);
  }

  static Instant plus(Instant t, Duration d) {
    try {
      return t.plus(d);
    } catch (RuntimeException beyondTheLastInstant) {
      return Instant.MAX;
    }
  }

  static Instant near(Random r, Instant t) {
    switch (r.nextInt(4)) {
      case 0:
        return t.equals(Instant.MIN) ? t : t.minusNanos(1);
      case 1:
        return t.equals(Instant.MAX) ? t : t.plusNanos(1);
      default:
        return t;
    }
  }

  static BackupPredicate leaf(Random r, Model model, Instant now, List<BackupPredicate> extras) {
    if (model.size() == 0) {
      return Predicates.all();
    }
    Backup b = model.pick(r);
    Backup c = model.pick(r);
    switch (r.nextInt(12)) {
      case 0: {
        BackupStatus[] s = BackupStatus.values();
        return r.nextBoolean() ? Predicates.status(s[r.nextInt(5)]) : Predicates.status(s[r.nextInt(5)], s[r.nextInt(5)]);
      }
      case 1: {
        Instant x = near(r, b.createdAt());
        Instant y = near(r, c.createdAt());
        Instant lo = x.isBefore(y) ? x : y;
        Instant hi = x.isBefore(y) ? y : x;
        boolean li = r.nextBoolean();
        boolean hiIn = r.nextBoolean();
        if (lo.equals(hi)) {
          li = true;
          hiIn = true;
        }
        switch (r.nextInt(4)) {
          case 0:
            return Predicates.createdIn(TimeRange.from(lo));
          case 1:
            return Predicates.createdIn(r.nextBoolean() ? TimeRange.before(hi) : TimeRange.until(hi));
          default:
            return Predicates.createdIn(TimeRange.of(lo, li, hi, hiIn));
        }
      }
      case 2: {
        Duration w;
        try {
          w = Duration.between(b.createdAt(), now);
        } catch (ArithmeticException tooLong) {
          w = Predicates.MAX_WINDOW;
        }
        w = r.nextBoolean() ? w : w.plusNanos(r.nextBoolean() ? 1 : -1);
        if (w.isNegative() || w.isZero() || w.compareTo(Predicates.MAX_WINDOW) > 0) {
          w = Duration.ofNanos(1 + r.nextInt(3));
        }
        return Predicates.createdWithinLast(w);
      }
      case 3:
        return Predicates.stalled();
      case 4:
        return Predicates.nameContains(substring(r, b.name()));
      case 5:
        if (!b.tags().isEmpty()) {
          Tag t = b.tags().get(r.nextInt(b.tags().size()));
          switch (r.nextInt(4)) {
            case 0:
              return Predicates.tagKey(t.key());
            case 1:
              return Predicates.tag(t.key(), t.value());
            case 2:
              return Predicates.tag(t.key(), t.value().isEmpty() ? "*" : "*" + cpSubstring(r, t.value()));
            default:
              return Predicates.tag(t.key(), List.of(t.value(), "*" + t.value(), "zz"));
          }
        }
        return Predicates.tagKey("k");
      case 6:
        return Predicates.backupId(b.id());
      case 7:
        return r.nextBoolean() ? Predicates.serverId(b.server().id()) : Predicates.availabilityZone(b.server().availabilityZone());
      case 8:
        return r.nextBoolean() ? Predicates.all() : Predicates.none();
      default:
        return extras.isEmpty() ? Predicates.stalled() : extras.get(r.nextInt(extras.size()));
    }
  }

  static BackupPredicate tree(Random r, Model model, Instant now, List<BackupPredicate> extras, int depth) {
    if (depth == 0 || r.nextInt(3) == 0) {
      return leaf(r, model, now, extras);
    }
    int n = 1 + r.nextInt(3);
    List<BackupPredicate> ops = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ops.add(tree(r, model, now, extras, depth - 1));
    }
    switch (r.nextInt(3)) {
      case 0:
        return Predicates.and(ops);
      case 1:
        return Predicates.or(ops);
      default:
        return Predicates.not(ops.get(0));
    }
  }

  static void checkProject(BackupCatalog catalog, String project, Model model, FakeClock clock, Random r,
      List<BackupPredicate> extras, int queries, String when) {
    Instant now = clock.instant();
    for (int i = 0; i < queries; i++) {
      BackupPredicate p = tree(r, model, now, extras, 2);
      checkQuery(catalog, project, model, p, randomSort(r), now, r, i % 4 == 0, when + " #" + i);
    }
    for (int i = 0; i < 20 && model.size() > 0; i++) {
      Backup b = model.pick(r);
      assertEquals(Optional.of(b), catalog.find(project, b.id()), when + ": find " + b.id());
    }
    checkUsage(catalog, project, model, tree(r, model, now, extras, 1), now, r, when);
  }

  // ---------------------------------------------------------------------------------------------
  // making backups

  static Backup make(String project, String id, String name, Server server, BackupStatus status, Instant created,
      Instant progressAt, long size, List<Tag> tags) {
    Backup.Builder b = Backup.builder().id(id).name(name).projectId(project).server(server).status(status)
        .type(BackupType.ENHANCED).trigger(BackupTrigger.MANUAL).sizeMb(size).createdAt(created).addAllTags(tags);
    if (status.isIntermediate()) {
      Instant at = progressAt.isBefore(created) ? created : progressAt;
      b.progress(Progress.of(37, at)).updatedAt(at);
    }
    if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "boom", created));
    }
    return b.build();
  }

  /** Applies a transition through the catalog and the model; a refusal must be the model's one. */
  static void transition(BackupCatalog catalog, String project, Model model, Backup b, Transition t, Instant now) {
    Optional<Backup> expected;
    try {
      expected = t.applyTo(b, now);
    } catch (RuntimeException e) {
      RuntimeException thrown = assertThrows(RuntimeException.class, () -> catalog.apply(project, b.id(), b.version(), t));
      assertEquals(e.getClass(), thrown.getClass(), t + " on " + b + ": " + thrown);
      return;
    }
    Optional<Backup> actual = catalog.apply(project, b.id(), b.version(), t);
    assertEquals(expected, actual, t + " on " + b);
    if (actual.isPresent()) {
      model.put(actual.get());
    } else {
      model.remove(b.id());
    }
  }

  static Transition randomTransition(Random r) {
    switch (r.nextInt(6)) {
      case 0:
        return Transition.restore();
      case 1:
        return Transition.instantRestore();
      case 2:
        return Transition.delete();
      case 3:
        return Transition.reportProgress(r.nextInt(101));
      case 4:
        return Transition.complete();
      default:
        return Transition.fail("broke");
    }
  }

  static void tagUpdate(BackupCatalog catalog, String project, Model model, Backup b, TagUpdate u, Instant now) {
    Backup expected;
    try {
      expected = u.applyTo(b, now);
    } catch (InvalidValueException e) {
      InvalidValueException thrown = assertThrows(InvalidValueException.class,
          () -> catalog.updateTags(project, b.id(), b.version(), u));
      assertEquals(e.field(), thrown.field());
      return;
    }
    Backup actual = catalog.updateTags(project, b.id(), b.version(), u);
    assertEquals(expected, actual, u + " on " + b);
    model.put(actual);
  }

  /** Ids over an alphabet of look-alikes: case, length, precomposed and combining, surrogates, fullwidth. */
  static final String[] ID_PARTS = {
    "a", "A", "\u00E1", "a\u0301", "\uD83D\uDE00", "\uFF41", "b", "-", "\uDBFF\uDFFF", "0", "00", " ", "\uFFFF", "\u0000x"
  };

  static final class Ids {
    final Set<String> used = new HashSet<>();
    long next = 1;

    /** The next id in bijective numeration over ID_PARTS: short ids, and every id a prefix of many. */
    String next() {
      while (true) {
        long n = next++;
        StringBuilder s = new StringBuilder();
        while (n > 0) {
          n--;
          s.append(ID_PARTS[(int) (n % ID_PARTS.length)]);
          n /= ID_PARTS.length;
        }
        String id = s.toString();
        if (!id.isBlank() && id.length() <= 64 && used.add(id)) {
          return id;
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 1. ties of createdAt, look-alike ids, late adds, removals, re-adds, through reorganisations

  /**
   * BackupPredicate#test ("the plain reference that every indexed answer equals"), Sort ("ties broken
   * by id ... in the direction of the first key"), SortField.ID ("compared char by char"),
   * BackupCatalog Paging; ServerUsage#serverName ("among backups created at the same instant, the
   * one with the greatest id"). One project; nearly every backup shares one of four instants.
   */
  @Test
  void tiesOfCreationTimeAndLookAlikeIdsThroughReorganisations() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "p";
      Model model = new Model();
      Ids ids = new Ids();
      Instant[] ties = {T0.minusSeconds(7200), T0.minusSeconds(3600), T0.minusSeconds(3600).plusNanos(1), T0};
      Server[] servers = new Server[6];
      for (int i = 0; i < servers.length; i++) {
        servers[i] = Server.of("srv-" + (i % 3), "name-" + i, i % 2 == 0 ? "eu-de-01" : "eu-de-02");
      }
      String[] names = {"same", "same", "same", "Same", "SAME", "sam\u00E9"};
      List<String> removed = new ArrayList<>();
      int checks = 0;
      while (model.size() < 12_000) {
        // a burst of adds: the old ties (late) or the clock's instant (in order), all or one by one
        List<Backup> burst = new ArrayList<>();
        int n = 1 + r.nextInt(r.nextInt(4) == 0 ? 3000 : 300);
        for (int i = 0; i < n; i++) {
          String id = !removed.isEmpty() && r.nextInt(10) == 0 ? removed.remove(r.nextInt(removed.size())) : ids.next();
          Instant created = r.nextInt(4) == 0 ? clock.instant() : ties[r.nextInt(ties.length)];
          BackupStatus status = r.nextInt(3) == 0 ? BackupStatus.values()[r.nextInt(5)] : BackupStatus.AVAILABLE;
          List<Tag> tags = r.nextBoolean() ? List.of(Tag.of("env", r.nextBoolean() ? "prod" : "")) : List.of();
          burst.add(make(p, id, names[r.nextInt(names.length)], servers[r.nextInt(servers.length)], status, created,
              clock.instant().minusSeconds(r.nextInt(3600)), r.nextInt(5) == 0 ? 0 : r.nextInt(100_000), tags));
        }
        if (r.nextBoolean()) {
          catalog.addAll(burst);
        } else {
          burst.forEach(catalog::add);
        }
        burst.forEach(model::put);
        // remove some of the just-added, and some of the others
        int removals = r.nextInt(n / 2 + 1);
        for (int i = 0; i < removals; i++) {
          Backup b = r.nextBoolean() || model.size() == 0 ? model.get(burst.get(r.nextInt(burst.size())).id()) : model.pick(r);
          if (b == null) {
            continue;
          }
          catalog.remove(p, b.id(), b.version());
          model.remove(b.id());
          removed.add(b.id());
        }
        // states back and forth, tags
        int changes = r.nextInt(200);
        for (int i = 0; i < changes && model.size() > 0; i++) {
          Backup b = model.pick(r);
          if (r.nextInt(3) == 0) {
            tagUpdate(catalog, p, model, b, r.nextBoolean() ? TagUpdate.create(Tag.of("env", r.nextBoolean() ? "prod" : "dev"))
                : TagUpdate.delete(TagUpdate.Match.key("env")), clock.instant());
          } else {
            transition(catalog, p, model, b, randomTransition(r), clock.instant());
          }
        }
        clock.advance(Duration.ofMillis(r.nextInt(3) == 0 ? 0 : r.nextInt(5000)));
        if (r.nextInt(3) == 0 && model.size() > 0) {
          checkProject(catalog, p, model, clock, r, List.of(), 6, "check " + checks++ + " at " + model.size());
        }
      }
      clock.advance(Duration.ofHours(1)); // some jobs stall
      checkProject(catalog, p, model, clock, r, List.of(), 20, "last check at " + model.size());
      assertTrue(catalog.stats(p).reorganisations() >= 2, "too few reorganisations: " + catalog.stats(p));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 2. names that fold case oddly, in a large project

  static final String[] NAME_PARTS = {
    "STRASSE", "stra\u00DFe", "Stra\u00DFe", "\u1E9E", "ss", "\u0130", "i", "\u0131", "I", "\u039F\u0394\u039F\u03A3",
    "\u03BF\u03B4\u03BF\u03C2", "\u0391\u03A3\u0391", "\u03A3", "\u03C3", "\u03C2", "\uFB01", "FI", "fi", "\u212A", "k",
    "\u2126", "\u03C9", "\u01C5", "\u01C4", "\u01C6", "\uD801\uDC00", "\uD801\uDC28", "\uFF41", "\uFF21", "_", "-", "0",
    "\u03A3\u0391", "A\u03C3", "auto"
  };

  static final String[] KEYWORDS = {
    "\u0307", "i\u0307", "\u0130", "\u0131", "I", "i", "\u03A3", "\u03C3", "\u03C2", "\u039F\u03A3", "\u03A3_", "\u03A30",
    "\u03A3-", "ss", "SS", "\u00DF", "\u1E9E", "STRA\u1E9EE", "fi", "FI", "\uFB01", "k", "K", "\u212A", "\u03C9", "\u2126",
    "\u01C5", "dz", "DZ", "\uD801\uDC28", "\uD801\uDC00", "\uFF41", "\uFF21", "a", "A",
    "-0", "_-", "auto"
  };

  static String trickyName(Random r, boolean distinct, int n) {
    StringBuilder s = new StringBuilder();
    int parts = 1 + r.nextInt(4);
    for (int i = 0; i < parts; i++) {
      s.append(NAME_PARTS[r.nextInt(NAME_PARTS.length)]);
    }
    if (distinct) {
      s.append(r.nextBoolean() ? "_" : "").append(Integer.toString(n, 36));
    }
    return s.toString();
  }

  /**
   * BackupCatalog: "Names match ignoring case as toLowerCase(Locale.ROOT) compares them";
   * Predicates#nameContains; SortField.NAME ("compared char by char"). Names with ß/ẞ, dotted and
   * dotless i, final sigma, ligatures, Kelvin and ohm signs, titlecase digraphs, letters outside the
   * BMP and fullwidth letters; keywords that are half a surrogate pair or the combining dot that
   * lower-casing İ makes. First every backup has the same name, then names are distinct with shared
   * substrings; backups are removed and re-added under other names, out of creation order.
   */
  @Test
  void namesFoldingCaseOddlyInALargeProject() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "names";
      Model model = new Model();
      Server server = Server.of("s-1", "\u0130ZM\u0130R-\u03A3", "eu-de-01");
      String same = "\u0130stanbul_\u039F\u0394\u039F\u03A3_stra\u00DFe_\uFB01_\uD801\uDC00";
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < 6000; i++) {
        load.add(make(p, "n-" + i, same, server, BackupStatus.AVAILABLE, T0.minusSeconds(r.nextInt(100_000)), T0, 1, List.of()));
      }
      catalog.addAll(load);
      load.forEach(model::put);
      List<BackupPredicate> extras = new ArrayList<>();
      for (String k : KEYWORDS) {
        extras.add(Predicates.nameContains(k));
        extras.add(Predicates.serverNameContains(k));
      }
      checkNames(catalog, p, model, clock, r, extras, "all the same name");
      int next = 6000;
      for (int round = 0; round < 2; round++) {
        // replace a third by distinct names, late, and re-add some removed ids under other names
        int n = 2500 + r.nextInt(2500);
        for (int i = 0; i < n; i++) {
          Backup old = model.pick(r);
          catalog.remove(p, old.id(), old.version());
          model.remove(old.id());
          String id = r.nextInt(3) == 0 ? old.id() : "n-" + next++;
          Server on = r.nextBoolean() ? server : Server.of("s-" + r.nextInt(40), trickyName(r, false, 0), "eu-de-02");
          Backup b = make(p, id, trickyName(r, r.nextInt(4) != 0, next), on, BackupStatus.AVAILABLE,
              T0.minusSeconds(r.nextInt(100_000)), T0, 1, List.of());
          catalog.add(b);
          model.put(b);
        }
        for (int i = 0; i < 30; i++) {
          String name = model.pick(r).name();
          extras.add(Predicates.nameContains(substring(r, name)));
          // half of a surrogate pair, when the name has one: refused, as no database could look for it
          int at = name.indexOf('\uD801');
          if (at >= 0) {
            String before = name.substring(Math.max(0, at - 1), at + 1);
            String after = name.substring(at + 1, Math.min(name.length(), at + 3));
            assertThrows(InvalidValueException.class, () -> Predicates.nameContains(before));
            assertThrows(InvalidValueException.class, () -> Predicates.nameContains(after));
          }
        }
        checkNames(catalog, p, model, clock, r, extras, "round " + round);
      }
    });
  }

  static void checkNames(BackupCatalog catalog, String p, Model model, FakeClock clock, Random r,
      List<BackupPredicate> extras, String when) {
    Instant now = clock.instant();
    for (BackupPredicate k : extras) {
      List<SortKey> sort = r.nextBoolean() ? List.of(new SortKey(SortField.NAME, r.nextBoolean())) : Sort.DEFAULT.keys();
      List<Backup> m = matches(model.list, k, now, order(sort));
      assertEquals(m.size(), catalog.count(p, k), when + ": count " + k);
      int limit = randomLimit(r, m.size());
      assertPage(slice(m, 0, limit), catalog.query(p, Query.builder().where(k).sort(Sort.by(sort)).limit(limit).build()),
          when + ": " + k + " sort " + sort + " limit " + limit);
    }
    for (int i = 0; i < 6; i++) {
      List<SortKey> sort = new ArrayList<>(List.of(new SortKey(SortField.NAME, r.nextBoolean())));
      if (r.nextBoolean()) {
        sort.add(new SortKey(r.nextBoolean() ? SortField.CREATED_AT : SortField.ID, r.nextBoolean()));
      }
      BackupPredicate where = r.nextBoolean() ? Predicates.all() : extras.get(r.nextInt(extras.size()));
      checkQuery(catalog, p, model, where, sort, now, r, true, when + " name sort " + i);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 3. tag shapes

  static final String[] TAG_KEYS = {"k", "k1", "k12", "k123", "K", "kk", "all", "\u043A\u043B\u044E\u0447", "\uD801\uDC00", "e"};
  static final String[] TAG_VALUES = {"", "", "v", "vv", "v-v", "V", "prod", "preprod", "x_y", "\uD801\uDC28", "v_\u00DF"};

  static List<Tag> randomTags(Random r) {
    Map<String, Tag> tags = new LinkedHashMap<>();
    tags.put("all", Tag.of("all", ""));
    int n = r.nextInt(3) == 0 ? 9 : r.nextInt(4);
    for (int i = 0; i < n; i++) {
      String k = TAG_KEYS[r.nextInt(TAG_KEYS.length)];
      tags.putIfAbsent(k, Tag.of(k, TAG_VALUES[r.nextInt(TAG_VALUES.length)]));
    }
    return new ArrayList<>(tags.values());
  }

  static List<String> randomValues(Random r) {
    List<String> values = new ArrayList<>();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      String v = TAG_VALUES[r.nextInt(TAG_VALUES.length)];
      values.add(r.nextInt(3) == 0 ? "*" + (v.isEmpty() ? "" : v.substring(0, v.offsetByCodePoints(0, 1))) : v);
    }
    return values;
  }

  static TagFilter randomFilter(Random r) {
    TagFilter.Builder f = TagFilter.builder();
    String[][] groups = new String[4][];
    for (int g = 0; g < 4; g++) {
      if (r.nextInt(3) == 0) {
        continue;
      }
      List<String> keys = new ArrayList<>(List.of(TAG_KEYS));
      Collections.shuffle(keys, r);
      int n = 1 + r.nextInt(3);
      for (int i = 0; i < n; i++) {
        List<String> values = randomValues(r);
        switch (g) {
          case 0:
            f.tags(keys.get(i), values);
            break;
          case 1:
            f.tagsAny(keys.get(i), values);
            break;
          case 2:
            f.notTags(keys.get(i), values);
            break;
          default:
            f.notTagsAny(keys.get(i), values);
        }
      }
    }
    return f.build();
  }

  /**
   * TagFilter (the four groups; "an empty value list means any value, and so does * alone; a value
   * beginning with * matches the rest of it anywhere"), Predicates#tag, BackupCatalog#updateTags ("the
   * tag catalogue and the tag searches follow at once") and #tagCatalogue. One tag with an empty value
   * on every backup, ten tags on a third, keys that are prefixes of others, empty values; tags
   * created, replaced and deleted constantly, backups removed and re-added with other tags.
   */
  @Test
  void tagShapesWithConstantTagUpdates() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "tags";
      Model model = new Model();
      Server[] servers = {Server.of("s1", "one", "eu-de-01"), Server.of("s2", "two", "eu-de-02")};
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < 8_000; i++) {
        load.add(make(p, "t" + i, "n" + (i % 7), servers[i % 2], BackupStatus.AVAILABLE, T0.minusSeconds(r.nextInt(1000)), T0,
            r.nextInt(1000), randomTags(r)));
      }
      catalog.addAll(load);
      load.forEach(model::put);
      int next = load.size();
      for (int round = 0; round < 5; round++) {
        clock.advance(Duration.ofSeconds(1));
        int n = 1500 + r.nextInt(1500);
        for (int i = 0; i < n; i++) {
          Backup b = model.pick(r);
          int kind = r.nextInt(6);
          if (kind <= 2) {
            List<Tag> create = new ArrayList<>();
            Set<String> keys = new HashSet<>();
            int m = 1 + r.nextInt(3);
            for (int j = 0; j < m; j++) {
              String k = TAG_KEYS[r.nextInt(TAG_KEYS.length)];
              if (keys.add(k)) {
                create.add(Tag.of(k, TAG_VALUES[r.nextInt(TAG_VALUES.length)]));
              }
            }
            tagUpdate(catalog, p, model, b, TagUpdate.create(create), clock.instant());
          } else if (kind == 3) {
            String k = TAG_KEYS[r.nextInt(TAG_KEYS.length)];
            TagUpdate.Match match = r.nextBoolean() ? TagUpdate.Match.key(k) : TagUpdate.Match.of(k, TAG_VALUES[r.nextInt(TAG_VALUES.length)]);
            tagUpdate(catalog, p, model, b, TagUpdate.delete(match, TagUpdate.Match.key("k1")), clock.instant());
          } else if (kind == 4) {
            catalog.remove(p, b.id(), b.version());
            model.remove(b.id());
            Backup again = make(p, r.nextBoolean() ? b.id() : "t" + next++, b.name(), servers[r.nextInt(2)], BackupStatus.AVAILABLE,
                T0.minusSeconds(r.nextInt(2000)), T0, r.nextInt(1000), randomTags(r));
            catalog.add(again);
            model.put(again);
          } else {
            transition(catalog, p, model, b, randomTransition(r), clock.instant());
          }
        }
        Instant now = clock.instant();
        for (int i = 0; i < 14; i++) {
          TagFilter f = randomFilter(r);
          BackupPredicate where = f.toPredicate();
          if (r.nextInt(3) == 0) {
            where = Predicates.and(where, tree(r, model, now, List.of(), 1));
          }
          checkQuery(catalog, p, model, where, randomSort(r), now, r, i % 5 == 0, "round " + round + " filter " + f);
        }
        for (String k : TAG_KEYS) {
          for (List<String> values : List.of(List.<String>of(), List.of(""), List.of("*"), List.of("*v"), List.of("*", "v"),
              List.of("", "v"), List.of("*\uD801\uDC28"), List.of("*-"), randomValues(r))) {
            BackupPredicate where = Predicates.tag(k, values);
            assertEquals(model.list.stream().filter(b -> where.test(b, now, RULE)).count(), catalog.count(p, where),
                "round " + round + " count " + where + " of " + values);
            assertEquals(model.list.stream().filter(b -> !where.test(b, now, RULE)).count(),
                catalog.count(p, Predicates.not(where)), "round " + round + " count NOT " + where + " of " + values);
          }
        }
        checkUsage(catalog, p, model, Predicates.tag(TAG_KEYS[r.nextInt(TAG_KEYS.length)], randomValues(r)), now, r, "round " + round);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 4. time windows and stalled jobs at exact boundaries

  /**
   * Predicates#createdWithinLast ("within window before now, up to now"; TimeRange#last: both
   * inclusive), TimeRange#of with inclusive and exclusive bounds equal to stored instants,
   * StallRule ("at exactly the threshold it is not yet"), Catalogs ("the now of every query ... read
   * once per query"). The clock is set to the exact instants where a stored backup enters or
   * leaves a window or becomes stalled, and one nanosecond on either side, forward and back.
   */
  @Test
  void timeWindowsAndStallsAtExactBoundariesWithAMovingClock() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "times";
      Model model = new Model();
      Server server = Server.of("s", "s", "eu-de-01");
      List<Instant> instants = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        instants.add(T0.plusSeconds(r.nextInt(20 * 86_400) - 10 * 86_400).plusNanos(r.nextInt(3) == 0 ? r.nextInt(1_000_000_000) : 0));
      }
      instants.addAll(List.of(Instant.MIN, Instant.MIN.plusNanos(1), Instant.MAX, Instant.MAX.minusNanos(1),
          Instant.EPOCH.minusNanos(1), Instant.MIN.plus(Predicates.MAX_WINDOW)));
      Duration[] windows = {Duration.ofNanos(1), Duration.ofSeconds(1), Duration.ofMinutes(30), Duration.ofHours(1),
          Duration.ofDays(1), Duration.ofDays(7), Predicates.MAX_WINDOW};
      List<BackupPredicate> extras = new ArrayList<>();
      for (Duration w : windows) {
        extras.add(Predicates.createdWithinLast(w));
      }
      extras.add(Predicates.stalled());
      extras.add(Predicates.not(Predicates.stalled()));
      int id = 0;
      for (int round = 0; round < 9; round++) {
        // late and in-order adds: running jobs whose progress is at stored instants
        List<Backup> burst = new ArrayList<>();
        int n = 300 + r.nextInt(1200);
        for (int i = 0; i < n; i++) {
          Instant created = instants.get(r.nextInt(instants.size()));
          Instant progress = r.nextBoolean() ? created : instants.get(r.nextInt(instants.size()));
          BackupStatus status = r.nextInt(3) == 0 ? BackupStatus.AVAILABLE : BackupStatus.values()[1 + r.nextInt(3)];
          burst.add(make(p, "b" + id++, "n", server, status, created, progress, 1, List.of()));
        }
        catalog.addAll(burst);
        burst.forEach(model::put);
        for (int i = 0; i < n / 3; i++) {
          Backup b = model.pick(r);
          catalog.remove(p, b.id(), b.version());
          model.remove(b.id());
        }
        // progress reports at the clock's instant, which is then one of the boundaries
        for (int i = 0; i < 100; i++) {
          Backup b = model.pick(r);
          transition(catalog, p, model, b, Transition.reportProgress(r.nextInt(100)), clock.instant());
        }
        for (int i = 0; i < 40; i++) {
          Backup b = model.pick(r);
          Duration w = windows[r.nextInt(windows.length)];
          Instant base;
          switch (r.nextInt(4)) {
            case 0:
              base = plus(b.createdAt(), w); // the window starts at b
              break;
            case 1:
              base = b.createdAt(); // b was created at now
              break;
            case 2:
              base = b.progress().isPresent() ? plus(b.progress().get().changedAt(), RULE.threshold()) : b.createdAt();
              break;
            default:
              base = plus(b.updatedAt(), RULE.threshold());
          }
          Instant now = near(r, base);
          clock.set(now);
          BackupPredicate where;
          int kind = r.nextInt(4);
          if (kind == 0) {
            where = Predicates.createdWithinLast(w);
          } else if (kind == 1) {
            where = Predicates.stalled();
          } else if (kind == 2) {
            Instant other = near(r, model.pick(r).createdAt());
            Instant lo = other.isBefore(b.createdAt()) ? other : b.createdAt();
            Instant hi = other.isBefore(b.createdAt()) ? b.createdAt() : other;
            where = lo.equals(hi) ? Predicates.createdBetween(lo, hi) : Predicates.createdIn(TimeRange.of(lo, r.nextBoolean(), hi, r.nextBoolean()));
          } else {
            where = tree(r, model, now, extras, 2);
          }
          checkQuery(catalog, p, model, where, randomSort(r), now, r, i % 10 == 0, "round " + round + " at " + now);
        }
        clock.set(T0.plusSeconds(round * 3600L));
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 5. pages by marker while the catalog changes

  /**
   * BackupCatalog Paging: "a marker continues strictly after the marker backup's current place in
   * the order (if its sorted value changed since the previous page, the page follows its new
   * place)"; Query: "the page continues after it in the same order, even when backups were added or
   * removed in between"; BackupCatalog#query: a marker that is not a backup of the project is refused
   * naming marker. Between two pages: late adds (now and then enough to reorganise), removals,
   * transitions and tag updates, also of the marker backup itself.
   */
  @Test
  void markerPagesWhileTheCatalogChanges() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "walk";
      Model model = new Model();
      Ids ids = new Ids();
      Server server = Server.of("s", "s", "eu-de-01");
      Instant[] ties = {T0.minusSeconds(100), T0.minusSeconds(50), T0.minusSeconds(50).plusNanos(1)};
      String[] names = {"x", "X", "xx", "x-"};
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < 4000; i++) {
        load.add(make(p, ids.next(), names[r.nextInt(names.length)], server, BackupStatus.AVAILABLE, ties[r.nextInt(ties.length)],
            T0, 1, List.of()));
      }
      catalog.addAll(load);
      load.forEach(model::put);
      int walks = 0;
      int pages = 0;
      // 20 walks, and more while they have given few pages (some seeds pick narrow searches with
      // large pages, or remove the marker early: 25 pages in 20 walks with seed 1036259627677873487)
      while (walks < 20 || (pages <= 25 && walks < 200)) {
        walks++;
        Instant now0 = clock.instant();
        BackupPredicate where = r.nextInt(3) == 0 ? Predicates.all() : tree(r, model, now0, List.of(), 1);
        List<SortKey> sort = randomSort(r);
        Comparator<Backup> order = order(sort);
        int limit = 1 + r.nextInt(r.nextBoolean() ? 5 : 200);
        Query first = Query.builder().where(where).sort(Sort.by(sort)).limit(limit).build();
        Page page = catalog.query(p, first);
        assertPage(slice(matches(model.list, where, now0, order), 0, limit), page, "walk " + walks + " first page");
        int steps = 0;
        while (page.nextMarker().isPresent() && steps++ < 40) {
          String marker = page.nextMarker().get();
          // change the catalog between the pages
          clock.advance(Duration.ofMillis(r.nextInt(2000)));
          int changes = r.nextInt(8) == 0 ? 1500 : r.nextInt(20);
          for (int i = 0; i < changes; i++) {
            int kind = r.nextInt(6);
            if (kind == 5 && model.has(marker)) {
              // the marker backup removed and added again, elsewhere in every order
              Backup m = model.get(marker);
              catalog.remove(p, m.id(), m.version());
              model.remove(m.id());
              Backup again = make(p, m.id(), names[r.nextInt(names.length)], server, BackupStatus.values()[r.nextInt(5)],
                  r.nextBoolean() ? ties[r.nextInt(ties.length)] : clock.instant(), clock.instant(), 2, List.of());
              catalog.add(again);
              model.put(again);
            } else if (kind <= 1) {
              Backup b = make(p, ids.next(), names[r.nextInt(names.length)], server, BackupStatus.AVAILABLE,
                  r.nextBoolean() ? ties[r.nextInt(ties.length)] : clock.instant(), T0, 1, List.of());
              catalog.add(b);
              model.put(b);
            } else if (kind == 2) {
              Backup b = model.pick(r);
              if (!b.id().equals(marker)) {
                catalog.remove(p, b.id(), b.version());
                model.remove(b.id());
              }
            } else if (kind == 3) {
              Backup b = r.nextInt(4) == 0 && model.has(marker) ? model.get(marker) : model.pick(r);
              transition(catalog, p, model, b, randomTransition(r), clock.instant());
            } else {
              Backup b = r.nextInt(4) == 0 && model.has(marker) ? model.get(marker) : model.pick(r);
              tagUpdate(catalog, p, model, b, r.nextBoolean() ? TagUpdate.create(Tag.of("k", "v" + r.nextInt(3)))
                  : TagUpdate.delete(TagUpdate.Match.key("k")), clock.instant());
            }
          }
          Instant now = clock.instant();
          if (!model.has(marker)) {
            // a completed deletion removed the marker backup: the marker is refused
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.query(p, first.after(marker)));
            assertEquals("marker", e.field());
            break;
          }
          page = catalog.query(p, first.after(marker));
          pages++;
          assertPage(after(matches(model.list, where, now, order), order, model.get(marker), limit), page,
              "walk " + walks + " where " + where + " sort " + sort + " limit " + limit + " page " + steps + " after " + marker);
        }
      }
      assertTrue(pages > 25, "too few pages: " + pages);
      Backup gone = model.pick(r);
      catalog.remove(p, gone.id(), gone.version());
      model.remove(gone.id());
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.query(p, Query.all().after(gone.id())));
      assertEquals("marker", e.field());
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 6. the all-projects view

  /**
   * BackupCatalog#queryAllProjects ("backups that are equal in the sort order (the same id in two
   * projects) are ordered by project id"; "a marker whose id exists in several projects is refused")
   * and #countAllProjects, with 400 small projects and two large ones, ids shared by many projects
   * and unique ones, project ids that differ in case, length and surrogates.
   */
  @Test
  void allProjectsWithManySmallProjectsAndTwoLargeOnes() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      Map<String, Model> models = new TreeMap<>(NewUserAdversarialTest::charByChar);
      List<String> projects = new ArrayList<>();
      String[] projectParts = {"p", "P", "p-", "\uD83D\uDE00", "\uFF50", "0"};
      for (int i = 1; projects.size() < 402; i++) {
        StringBuilder s = new StringBuilder();
        for (int n = i; n > 0; n = (n - 1) / projectParts.length) {
          s.append(projectParts[(n - 1) % projectParts.length]);
        }
        projects.add(s.toString());
      }
      String big1 = projects.get(0);
      String big2 = projects.get(3);
      Instant[] ties = {T0.minusSeconds(10), T0.minusSeconds(5), T0};
      Server[] servers = {Server.of("s1", "one", "eu-de-01"), Server.of("s2", "two", "eu-de-02")};
      int unique = 0;
      List<Backup> load = new ArrayList<>();
      for (String project : projects) {
        int n = project.equals(big1) || project.equals(big2) ? 10_000 : 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
          String id = r.nextBoolean() ? "shared-" + i : "u-" + unique++;
          load.add(make(project, id, r.nextBoolean() ? "a" : "b", servers[r.nextInt(2)],
              r.nextInt(4) == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE, ties[r.nextInt(ties.length)], T0, 1, List.of()));
        }
      }
      Collections.shuffle(load, r);
      for (int from = 0; from < load.size(); from += 5000) {
        List<Backup> batch = load.subList(from, Math.min(load.size(), from + 5000));
        catalog.addAll(batch);
        batch.forEach(b -> models.computeIfAbsent(b.projectId(), k -> new Model()).put(b));
      }
      for (int round = 0; round < 4; round++) {  // six took 10 s of a CI run whose budget is thin
        // changes in the large projects and the small ones
        for (int i = 0; i < 800; i++) {
          String project = r.nextBoolean() ? big1 : projects.get(r.nextInt(projects.size()));
          Model model = models.computeIfAbsent(project, k -> new Model());
          if (model.size() == 0 || r.nextBoolean()) {
            String id = r.nextBoolean() ? "shared-" + r.nextInt(20) : "u-" + unique++;
            if (model.has(id)) {
              continue;
            }
            Backup b = make(project, id, "c", servers[r.nextInt(2)], BackupStatus.AVAILABLE, ties[r.nextInt(ties.length)], T0, 1, List.of());
            catalog.add(b);
            model.put(b);
          } else if (r.nextBoolean()) {
            Backup b = model.pick(r);
            catalog.remove(project, b.id(), b.version());
            model.remove(b.id());
          } else {
            transition(catalog, project, model, model.pick(r), randomTransition(r), clock.instant());
          }
        }
        clock.advance(Duration.ofSeconds(1));
        Instant now = clock.instant();
        List<Backup> all = new ArrayList<>();
        models.values().forEach(m -> all.addAll(m.list));
        Model union = new Model();
        for (int i = 0; i < 200; i++) {
          union.put(all.get(r.nextInt(all.size())));
        }
        for (int q = 0; q < 8; q++) {
          BackupPredicate where = r.nextInt(3) == 0 ? Predicates.all() : tree(r, union, now, List.of(), 1);
          List<SortKey> sort = randomSort(r);
          Comparator<Backup> order = order(sort).thenComparing(Backup::projectId, NewUserAdversarialTest::charByChar);
          List<Backup> m = matches(all, where, now, order);
          String what = "round " + round + " all projects where " + where + " sort " + sort;
          assertEquals(m.size(), catalog.countAllProjects(where), what + ": count");
          int limit = randomLimit(r, m.size());
          long offset = randomOffset(r, m.size(), all.size());
          assertPage(slice(m, offset, limit),
              catalog.queryAllProjects(Query.builder().where(where).sort(Sort.by(sort)).limit(limit).offset(offset).build()),
              what + " limit " + limit + " offset " + offset);
          // a marker of an id that exactly one backup has
          Map<String, Integer> idCount = new HashMap<>();
          all.forEach(b -> idCount.merge(b.id(), 1, Integer::sum));
          Backup marker = all.get(r.nextInt(all.size()));
          if (idCount.get(marker.id()) == 1) {
            assertPage(after(m, order, marker, limit),
                catalog.queryAllProjects(Query.builder().where(where).sort(Sort.by(sort)).limit(limit).marker(marker.id()).build()),
                what + " limit " + limit + " after " + marker.id());
          } else {
            InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> catalog.queryAllProjects(Query.builder().where(where).limit(limit).marker(marker.id()).build()));
            assertEquals("marker", e.field());
          }
        }
        // a marker of another project's backup is no backup of this project: refused, naming marker
        for (int i = 0; i < 20; i++) {
          Backup elsewhere = all.get(r.nextInt(all.size()));
          if (!models.get(big1).has(elsewhere.id())) {
            InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> catalog.query(big1, Query.all().after(elsewhere.id())), "marker of " + elsewhere.projectId());
            assertEquals("marker", e.field());
          }
        }
        for (String project : List.of(big1, big2, projects.get(r.nextInt(projects.size())))) {
          Model model = models.computeIfAbsent(project, k -> new Model());
          checkProject(catalog, project, model, clock, r, List.of(), 3, "round " + round + " " + project);
        }
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 7. a large project changed while it reorganises

  /**
   * ProjectStats ("readers keep reading the previous state until the new one is swapped in"; the
   * swap applies "the changes made meanwhile"), BackupPredicate#test, SortField.NAME. A project of
   * 30k backups with distinct tricky names (the first sort by name of a project of many names is
   * parallel), then bursts of late adds that make reorganisations due; while each runs, every kind of
   * change, each followed by searches; then again once it has swapped in.
   */
  @Test
  void aLargeProjectChangedWhileItReorganises() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "large";
      Model model = new Model();
      Server[] servers = {Server.of("s1", "one", "eu-de-01"), Server.of("s2", "two", "eu-de-02"), Server.of("s3", "three", "eu-de-01")};
      List<Backup> load = new ArrayList<>();
      int n = 30_000;   // 50k and three rounds took 29 s of the CI run; the late share is kept
      for (int i = 0; i < n; i++) {
        // in creation order: a second apart, some ties
        Instant created = T0.minusSeconds(2L * n - 2L * i - (i % 7 == 0 ? 1 : 0));
        load.add(make(p, "L" + i, trickyName(r, true, i), servers[i % 3], BackupStatus.AVAILABLE, created, T0, i % 1000,
            i % 5 == 0 ? List.of(Tag.of("k", "v" + (i % 3))) : List.of()));
      }
      catalog.addAll(load);
      load.forEach(model::put);
      load = null;
      checkProject(catalog, p, model, clock, r, List.of(), 4, "loaded");
      int next = n;
      for (int round = 0; round < 2; round++) {
        long reorganisations = catalog.stats(p).reorganisations();
        // a burst of late adds
        List<Backup> late = new ArrayList<>();
        for (int i = 0; i < 3600; i++) {
          Backup old = model.pick(r);
          late.add(make(p, "L" + next++, r.nextBoolean() ? old.name() : trickyName(r, true, next), servers[r.nextInt(3)],
              r.nextInt(5) == 0 ? BackupStatus.CREATING : BackupStatus.AVAILABLE, near(r, old.createdAt()), clock.instant(), 7,
              List.of(Tag.of("late", "" + round))));
        }
        if (r.nextBoolean()) {
          catalog.addAll(late);
        } else {
          late.forEach(catalog::add);
        }
        late.forEach(model::put);
        // changes while it reorganises, each few followed by searches
        long deadline = System.nanoTime() + 3_000_000_000L;
        int steps = 0;
        while (steps < 20 || catalog.stats(p).reorganisations() == reorganisations && System.nanoTime() < deadline) {
          steps++;
          clock.advance(Duration.ofMillis(r.nextInt(100)));
          for (int i = 0; i < 40; i++) {
            Backup b = model.pick(r);
            switch (r.nextInt(5)) {
              case 0:
                catalog.remove(p, b.id(), b.version());
                model.remove(b.id());
                if (r.nextBoolean()) {
                  // the same id back at once, elsewhere in time and in the name order: a row that moved
                  Backup again = make(p, b.id(), trickyName(r, true, i), servers[r.nextInt(3)],
                      r.nextBoolean() ? BackupStatus.AVAILABLE : BackupStatus.DELETING, model.pick(r).createdAt(), clock.instant(), 5,
                      r.nextBoolean() ? b.tags() : List.of());
                  catalog.add(again);
                  model.put(again);
                }
                break;
              case 1: {
                Backup c = make(p, r.nextBoolean() ? b.id() + "x" : "L" + next++, b.name() + "_", servers[r.nextInt(3)],
                    BackupStatus.AVAILABLE, near(r, b.createdAt()), clock.instant(), 3, List.of());
                if (!model.has(c.id())) {
                  catalog.add(c);
                  model.put(c);
                }
                break;
              }
              case 2:
                tagUpdate(catalog, p, model, b, r.nextBoolean() ? TagUpdate.create(Tag.of("k", "v" + r.nextInt(4)))
                    : TagUpdate.delete(TagUpdate.Match.key("k")), clock.instant());
                break;
              default:
                transition(catalog, p, model, b, randomTransition(r), clock.instant());
            }
          }
          Instant now = clock.instant();
          BackupPredicate where = tree(r, model, now, List.of(Predicates.tag("late", "" + round), Predicates.tagKey("k")), 2);
          checkQuery(catalog, p, model, where, randomSort(r), now, r, false, "round " + round + " step " + steps);
        }
        checkProject(catalog, p, model, clock, r, List.of(), 5, "round " + round + " after " + steps + " steps, "
            + catalog.stats(p).reorganisations() + " reorganisations");
      }
      assertTrue(catalog.stats(p).reorganisations() >= 2, "too few reorganisations: " + catalog.stats(p));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 8. replicas: one loaded from a snapshot, one following by subscription; views

  /**
   * BackupCatalog#replay ("change.after() becomes the stored backup ... exactly as committed"),
   * #load ("its backups as they are (versions kept)") and #read (a view answers as the catalog): a
   * replica loaded from a snapshot of shuffled, tied, look-alike backups and one following by
   * subscription answer every search as the scan does, through late adds, removals, re-adds,
   * transitions and tag updates that reorganise all three.
   */
  @Test
  void replicasFromASnapshotAndBySubscriptionAnswerAsTheScan() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog primary = Catalogs.indexed(clock);
      BackupCatalog follower = Catalogs.indexed(clock);
      primary.subscribe(follower::replay);
      String p = "rep";
      Model model = new Model();
      Ids ids = new Ids();
      Instant[] ties = {T0.minusSeconds(300), T0.minusSeconds(200), T0.minusSeconds(200).plusNanos(1)};
      Server[] servers = {Server.of("s1", "one", "eu-de-01"), Server.of("s1", "uno", "eu-de-01"), Server.of("s2", "two", "eu-de-02")};
      List<String> removed = new ArrayList<>();
      BackupCatalog loaded = null;
      for (int round = 0; round < 10; round++) {
        List<Backup> burst = new ArrayList<>();
        int n = 200 + r.nextInt(2500);
        for (int i = 0; i < n; i++) {
          String id = !removed.isEmpty() && r.nextInt(5) == 0 ? removed.remove(r.nextInt(removed.size())) : ids.next();
          burst.add(make(p, id, r.nextBoolean() ? "a" : "A", servers[r.nextInt(3)],
              r.nextInt(4) == 0 ? BackupStatus.values()[r.nextInt(5)] : BackupStatus.AVAILABLE,
              r.nextInt(3) == 0 ? clock.instant() : ties[r.nextInt(ties.length)], clock.instant(), r.nextInt(100),
              r.nextBoolean() ? List.of(Tag.of("k", "" + r.nextInt(3))) : List.of()));
        }
        primary.addAll(burst);
        burst.forEach(model::put);
        for (int i = 0; i < n; i++) {
          Backup b = model.pick(r);
          int kind = r.nextInt(4);
          if (kind == 0) {
            primary.remove(p, b.id(), b.version());
            model.remove(b.id());
            removed.add(b.id());
          } else if (kind == 1) {
            tagUpdate(primary, p, model, b, r.nextBoolean() ? TagUpdate.create(Tag.of("k", "" + r.nextInt(3)), Tag.of("e", ""))
                : TagUpdate.delete(TagUpdate.Match.key("k")), clock.instant());
          } else {
            transition(primary, p, model, b, randomTransition(r), clock.instant());
          }
        }
        if (round == 2) {
          List<Backup> shuffled = new ArrayList<>(model.list);
          Collections.shuffle(shuffled, r);
          loaded = Catalogs.indexed(clock);
          loaded.load(new io.csbs.catalog.ProjectSnapshot(p, primary.sequence(p), io.csbs.usage.Quota.NONE, shuffled));
          primary.subscribe(loaded::replay);
        }
        clock.advance(Duration.ofMillis(r.nextInt(3000)));
        for (BackupCatalog c : loaded == null ? List.of(primary, follower) : List.of(primary, follower, loaded)) {
          String which = c == primary ? "primary" : c == follower ? "follower" : "loaded";
          checkProject(c, p, model, clock, r, List.of(), 4, "round " + round + " " + which);
          // a view of one state answers as the catalog
          Instant now = clock.instant();
          BackupPredicate where = tree(r, model, now, List.of(), 2);
          List<SortKey> sort = randomSort(r);
          List<Backup> m = matches(model.list, where, now, order(sort));
          int limit = randomLimit(r, m.size());
          Page viewed = c.read(p, view -> view.query(Query.builder().where(where).sort(Sort.by(sort)).limit(limit).build()));
          assertPage(slice(m, 0, limit), viewed, "round " + round + " " + which + " view where " + where + " sort " + sort);
          assertEquals(m.size(), (long) c.read(p, view -> view.count(where)), "view count " + where);
        }
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 9. refused large batches

  /**
   * BackupCatalog: "a refused change (any exception) leaves the catalog exactly as it was";
   * #addAll "all or none" (a repeated or existing id, checked first; then quotas). Large batches
   * (beyond the size a bulk load splits over the common pool) of late backups, refused by a
   * duplicate at their end, by a repeat inside them or by a quota, beside a project that is being
   * reorganised; every search, the usage and the tag catalogue stay the scan's.
   */
  @Test
  void refusedLargeBatchesLeaveEveryIndexAsItWas() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "batch";
      Model model = new Model();
      Server[] servers = {Server.of("s1", "one", "eu-de-01"), Server.of("s2", "two", "eu-de-02")};
      int next = 0;
      for (int round = 0; round < 3; round++) {  // one round of each kind of refusal
        List<Backup> batch = new ArrayList<>();
        int n = 20_000 + r.nextInt(5000);
        for (int i = 0; i < n; i++) {
          batch.add(make(p, "B" + next++, "n" + r.nextInt(500), servers[r.nextInt(2)], BackupStatus.values()[r.nextInt(5)],
              T0.minusSeconds(r.nextInt(100_000)), clock.instant(), r.nextInt(1000), List.of(Tag.of("r", "" + round))));
        }
        // also one of another project, which must not be added either
        batch.add(make("other", "B0", "x", servers[0], BackupStatus.AVAILABLE, T0, T0, 1, List.of()));
        int kind = (round + 1) % 3;  // a repeat, a quota, then an id the project has
        if (kind == 0) {
          batch.add(model.pick(r).toBuilder().sizeMb(5).build()); // an id the project has, at the end
          assertThrows(io.csbs.catalog.DuplicateBackupException.class, () -> catalog.addAll(batch));
        } else if (kind == 1) {
          batch.add(batch.get(r.nextInt(n))); // a repeat inside the batch
          io.csbs.catalog.DuplicateBackupException e = assertThrows(io.csbs.catalog.DuplicateBackupException.class,
              () -> catalog.addAll(batch));
          assertTrue(e.inBatch(), "in batch: " + e);
        } else {
          catalog.setQuota(p, io.csbs.usage.Quota.of(model.size() + n - 1, io.csbs.usage.Quota.UNLIMITED));
          assertThrows(io.csbs.usage.QuotaExceededException.class, () -> catalog.addAll(batch));
          catalog.setQuota(p, io.csbs.usage.Quota.NONE);
        }
        assertEquals(0, catalog.quotaUsage("other").backupsUsed(), "round " + round + ": the other project");
        checkProject(catalog, p, model, clock, r, List.of(), 4, "round " + round + " refused");
        // then the batch without its last, accepted; then a third of it removed
        List<Backup> accepted = new ArrayList<>(batch.subList(0, n));
        catalog.addAll(accepted);
        accepted.forEach(model::put);
        for (int i = 0; i < n / 3; i++) {
          Backup b = model.pick(r);
          catalog.remove(p, b.id(), b.version());
          model.remove(b.id());
        }
        clock.advance(Duration.ofSeconds(1));
        checkProject(catalog, p, model, clock, r, List.of(), 3, "round " + round + " accepted");
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 10. conjunctions of tag pairs over shared and distinct tag sets

  static final String[] SET_KEYS = {"a", "ab", "b", "abc", "a-b", "a_b", "\u043A", "A"};
  static final String[] SET_VALUES = {"", "b", "bc", "c", "b-c", "x", "B"};

  static List<Tag> tagSet(Random r, int maxTags) {
    List<String> keys = new ArrayList<>(List.of(SET_KEYS));
    Collections.shuffle(keys, r); // the same set in any order
    int n = 2 + r.nextInt(maxTags - 1);
    List<Tag> tags = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tags.add(Tag.of(keys.get(i), SET_VALUES[r.nextInt(SET_VALUES.length)]));
    }
    return tags;
  }

  /**
   * Predicates#and of several Predicates#tag key=value criteria (TagFilter "tags": every key must be
   * present with one of its values), BackupCatalog#updateTags ("the tag searches follow at once"):
   * backups sharing a few whole tag sets, given in any order, with keys and values that concatenate
   * alike (a + bc, ab + c; empty values); then thousands of distinct sets (a unique value each), then
   * those removed and the project doubled with shared sets again; tags changed all along.
   */
  @Test
  void conjunctionsOfTagPairsOverSharedAndDistinctTagSets() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "sets";
      Model model = new Model();
      Server server = Server.of("s", "s", "eu-de-01");
      List<List<Tag>> shared = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        shared.add(tagSet(r, 4));
      }
      int[] next = {0};
      java.util.function.IntFunction<List<Backup>> sharedBackups = n -> {
        List<Backup> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          List<Tag> tags = new ArrayList<>(shared.get(r.nextInt(shared.size())));
          Collections.shuffle(tags, r);
          list.add(make(p, "S" + next[0]++, "n" + r.nextInt(3), server, r.nextInt(6) == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE,
              T0.minusSeconds(r.nextInt(50_000)), T0, 1, tags));
        }
        return list;
      };
      List<Backup> first = sharedBackups.apply(4_000);
      catalog.addAll(first);
      first.forEach(model::put);
      checkConjunctions(catalog, p, model, clock, r, "shared sets");
      // thousands of distinct sets: a unique value each, added one by one, late
      List<String> distinct = new ArrayList<>();
      for (int i = 0; i < 2500; i++) {
        List<Tag> tags = new ArrayList<>(tagSet(r, 3));
        tags.add(Tag.of("u", "u" + i));
        Backup b = make(p, "D" + i, "d", server, BackupStatus.AVAILABLE, T0.minusSeconds(r.nextInt(50_000)), T0, 1, tags);
        catalog.add(b);
        model.put(b);
        distinct.add(b.id());
      }
      changeTags(catalog, p, model, clock, r, shared, 1500);
      checkConjunctions(catalog, p, model, clock, r, "distinct sets");
      // the distinct ones removed, the project doubled with shared sets, in batches and one by one
      for (String id : distinct) {
        Backup b = model.get(id);
        if (b != null) {
          catalog.remove(p, id, b.version());
          model.remove(id);
        }
      }
      checkConjunctions(catalog, p, model, clock, r, "distinct removed");
      for (int round = 0; round < 2; round++) {  // a batch, then one by one
        List<Backup> more = sharedBackups.apply(2_500);
        if (round == 1) {
          more.forEach(catalog::add);
        } else {
          catalog.addAll(more);
        }
        more.forEach(model::put);
        changeTags(catalog, p, model, clock, r, shared, 1500);
        checkConjunctions(catalog, p, model, clock, r, "doubled, round " + round);
      }
    });
  }

  static void changeTags(BackupCatalog catalog, String p, Model model, FakeClock clock, Random r, List<List<Tag>> shared, int n) {
    clock.advance(Duration.ofSeconds(1));
    for (int i = 0; i < n; i++) {
      Backup b = model.pick(r);
      int kind = r.nextInt(4);
      TagUpdate u;
      if (kind == 0) {
        u = TagUpdate.create(shared.get(r.nextInt(shared.size())));
      } else if (kind == 1) {
        u = TagUpdate.create(Tag.of(SET_KEYS[r.nextInt(SET_KEYS.length)], SET_VALUES[r.nextInt(SET_VALUES.length)]));
      } else if (kind == 2 && !b.tags().isEmpty()) {
        Tag t = b.tags().get(r.nextInt(b.tags().size()));
        u = TagUpdate.delete(r.nextBoolean() ? TagUpdate.Match.key(t.key()) : TagUpdate.Match.of(t.key(), t.value()));
      } else {
        catalog.remove(p, b.id(), b.version());
        model.remove(b.id());
        List<Tag> tags = new ArrayList<>(shared.get(r.nextInt(shared.size())));
        Collections.shuffle(tags, r);
        Backup again = make(p, b.id(), b.name(), b.server(), BackupStatus.AVAILABLE, b.createdAt(), T0, 1, tags);
        catalog.add(again);
        model.put(again);
        continue;
      }
      tagUpdate(catalog, p, model, b, u, clock.instant());
    }
  }

  static void checkConjunctions(BackupCatalog catalog, String p, Model model, FakeClock clock, Random r, String when) {
    Instant now = clock.instant();
    for (int i = 0; i < 40; i++) {
      List<BackupPredicate> pairs = new ArrayList<>();
      Backup b = model.pick(r);
      int n = 2 + r.nextInt(3);
      for (int j = 0; j < n; j++) {
        if (r.nextInt(3) != 0 && !b.tags().isEmpty()) {
          Tag t = b.tags().get(r.nextInt(b.tags().size()));
          pairs.add(Predicates.tag(t.key(), t.value()));
        } else {
          pairs.add(Predicates.tag(SET_KEYS[r.nextInt(SET_KEYS.length)], SET_VALUES[r.nextInt(SET_VALUES.length)]));
        }
      }
      if (r.nextInt(3) == 0) {
        pairs.add(leaf(r, model, now, List.of()));
      }
      BackupPredicate where = Predicates.and(pairs);
      if (r.nextInt(5) == 0) {
        where = Predicates.not(where);
      } else if (r.nextInt(5) == 0) {
        where = Predicates.or(where, Predicates.and(Predicates.tag("a", "b"), Predicates.tag("ab", "c")));
      }
      checkQuery(catalog, p, model, where, randomSort(r), now, r, i % 8 == 0, when + " #" + i);
    }
    checkUsage(catalog, p, model, Predicates.and(Predicates.tag("a", "bc"), Predicates.tagKey("ab")), now, r, when);
  }

  // ---------------------------------------------------------------------------------------------
  // 11. ids and names with one String.hashCode

  /** The {@code 2^blocks} strings of {@code blocks} blocks "Aa" or "BB": all of one String.hashCode. */
  static List<String> sameHash(int blocks, String prefix) {
    List<String> out = new ArrayList<>();
    for (int bits = 0; bits < 1 << blocks; bits++) {
      StringBuilder s = new StringBuilder(prefix);
      for (int i = 0; i < blocks; i++) {
        s.append((bits >> i & 1) == 0 ? "Aa" : "BB");
      }
      out.add(s.toString());
    }
    return out;
  }

  /**
   * BackupCatalog#find, #add ("DuplicateBackupException if the project already has a backup with
   * that id"), #remove, Predicates#backupId and #nameContains, SortField.NAME and markers: thousands
   * of ids, and of names, that share one String.hashCode (any hash table of ids or names sees them
   * collide), added late and in order, removed, added again, through the id table's growth and
   * reorganisations.
   */
  @Test
  void idsAndNamesOfOneHashCode() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "hash";
      Model model = new Model();
      Server server = Server.of("s", "s", "eu-de-01");
      List<String> ids = sameHash(12, "");
      List<String> names = sameHash(9, "n");
      Collections.shuffle(ids, r);
      List<String> out = new ArrayList<>();
      int at = 0;
      for (int round = 0; round < 8; round++) {
        // adds: in bursts and one by one; some ids back after removal
        int n = 300 + r.nextInt(700);
        List<Backup> burst = new ArrayList<>();
        for (int i = 0; i < n && (at < ids.size() || !out.isEmpty()); i++) {
          String id = at < ids.size() && (out.isEmpty() || r.nextInt(3) != 0) ? ids.get(at++) : out.remove(r.nextInt(out.size()));
          burst.add(make(p, id, names.get(r.nextInt(names.size())), server, BackupStatus.AVAILABLE,
              r.nextBoolean() ? T0.minusSeconds(r.nextInt(3)) : clock.instant(), T0, 1, List.of()));
        }
        if (r.nextBoolean()) {
          catalog.addAll(burst);
        } else {
          burst.forEach(catalog::add);
        }
        burst.forEach(model::put);
        // every id stored is found, is refused again, and is its own backupId answer
        for (int i = 0; i < 300; i++) {
          Backup b = model.pick(r);
          assertEquals(Optional.of(b), catalog.find(p, b.id()), "round " + round + " find " + b.id());
          assertThrows(io.csbs.catalog.DuplicateBackupException.class,
              () -> catalog.add(b.toBuilder().name("again").build()), "round " + round + " again " + b.id());
          assertEquals(1, catalog.count(p, Predicates.backupId(b.id())), "round " + round + " count id " + b.id());
        }
        for (String gone : out) {
          assertEquals(Optional.empty(), catalog.find(p, gone), "round " + round + " removed " + gone);
          assertEquals(0, catalog.count(p, Predicates.backupId(gone)), "round " + round + " count removed " + gone);
        }
        // removals
        int m = r.nextInt(model.size() / 2 + 1);
        for (int i = 0; i < m; i++) {
          Backup b = model.pick(r);
          catalog.remove(p, b.id(), b.version());
          model.remove(b.id());
          out.add(b.id());
        }
        clock.advance(Duration.ofSeconds(1));
        Instant now = clock.instant();
        List<BackupPredicate> extras = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          extras.add(Predicates.nameContains(names.get(r.nextInt(names.size()))));
          extras.add(Predicates.nameContains(names.get(r.nextInt(names.size())).substring(0, 1 + r.nextInt(18)).toLowerCase(Locale.ROOT)));
          extras.add(Predicates.backupId(ids.get(r.nextInt(ids.size()))));
        }
        for (int i = 0; i < 8; i++) {
          List<SortKey> sort = i % 2 == 0 ? List.of(new SortKey(SortField.NAME, r.nextBoolean())) : randomSort(r);
          checkQuery(catalog, p, model, tree(r, model, now, extras, 2), sort, now, r, i % 3 == 0, "round " + round + " #" + i);
        }
        assertEquals(expectedCatalogue(model.list), catalog.tagCatalogue(p));
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 12. a sliding window: the newest added, the oldest removed

  /**
   * BackupPredicate#test and the documented orders on a retention-shaped project: each step adds the
   * newest backups (many at one instant) and removes the oldest ones, so that the removed rows pile
   * up at the old end, with now and then a late backup; oldest-first pages, offsets near the end,
   * markers at the oldest backups and windows that slide with the clock.
   */
  @Test
  void aSlidingWindowOfNewestAddedAndOldestRemoved() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "window";
      Model model = new Model();
      Server[] servers = {Server.of("s1", "one", "eu-de-01"), Server.of("s2", "two", "eu-de-02")};
      java.util.TreeMap<String, Backup> byAge = new java.util.TreeMap<>();
      int next = 0;
      for (int step = 0; step < 40; step++) {
        clock.advance(Duration.ofMinutes(10));
        int adds = 500 + r.nextInt(1000);
        List<Backup> burst = new ArrayList<>();
        for (int i = 0; i < adds; i++) {
          Instant created = r.nextInt(50) == 0 && !model.list.isEmpty() ? model.pick(r).createdAt() // late
              : clock.instant().minusSeconds(r.nextInt(3)); // newest, ties
          burst.add(make(p, "w" + (next++ % 7) + "-" + next, "n" + r.nextInt(4), servers[r.nextInt(2)],
              r.nextInt(8) == 0 ? BackupStatus.CREATING : BackupStatus.AVAILABLE, created, clock.instant().minusSeconds(r.nextInt(3600)),
              r.nextInt(100), List.of()));
        }
        if (r.nextBoolean()) {
          catalog.addAll(burst);
        } else {
          burst.forEach(catalog::add);
        }
        for (Backup b : burst) {
          model.put(b);
          byAge.put(ageKey(b), b);
        }
        // retention: the oldest go, keeping about 6000
        while (model.size() > 6000) {
          Backup oldest = model.get(byAge.pollFirstEntry().getValue().id());
          catalog.remove(p, oldest.id(), oldest.version());
          model.remove(oldest.id());
        }
        if (step % 6 == 5) {
          Instant now = clock.instant();
          List<BackupPredicate> extras = List.of(Predicates.createdWithinLast(Duration.ofMinutes(10)),
              Predicates.createdWithinLast(Duration.ofHours(1)), Predicates.createdWithinLast(Duration.ofHours(8)), Predicates.stalled());
          for (int i = 0; i < 8; i++) {
            List<SortKey> sort = i % 2 == 0 ? List.of(SortKey.asc(SortField.CREATED_AT)) : randomSort(r);
            BackupPredicate where = i % 3 == 0 ? Predicates.all() : tree(r, model, now, extras, 2);
            checkQuery(catalog, p, model, where, sort, now, r, i % 4 == 0, "step " + step + " #" + i);
            // a marker at the oldest backup, and an offset to the last few
            Backup oldest = model.get(byAge.firstEntry().getValue().id());
            Comparator<Backup> order = order(sort);
            List<Backup> m = matches(model.list, where, now, order);
            Query q = Query.builder().where(where).sort(Sort.by(sort)).limit(1 + r.nextInt(5)).build();
            assertPage(after(m, order, oldest, q.limit()), catalog.query(p, q.after(oldest.id())), "step " + step + " after the oldest");
            long off = Math.max(0, m.size() - 1 - r.nextInt(3));
            assertPage(slice(m, off, q.limit()), catalog.query(p, q.toBuilder().offset(off).build()), "step " + step + " offset " + off);
          }
          checkUsage(catalog, p, model, Predicates.createdWithinLast(Duration.ofHours(2)), now, r, "step " + step);
        }
      }
    });
  }

  static String ageKey(Backup b) {
    return String.format("%020d%010d", b.createdAt().getEpochSecond(), b.createdAt().getNano()) + b.id();
  }

  // ---------------------------------------------------------------------------------------------
  // 13. the name of a server in the usage, among ties

  /**
   * ServerUsage#serverName: "as its newest counted backup names it (the latest created; among
   * backups created at the same instant, the one with the greatest id)", ids compared char by char
   * (SortField.ID): a fullwidth letter (U+FF41) is greater than a surrogate pair (U+1F600 is
   * D83D DE00), although its code point is smaller. Checked as the newest backups are removed, added
   * again, added late, and for a restricted usage.
   */
  @Test
  void aServerIsNamedByItsNewestBackupAmongTiesByCharOrderOfIds() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Model model = new Model();
    String[] ids = {"\uFF41", "\uD83D\uDE00", "a", "\uFFFF", "\uD800x", "\uFF41\u0000"};
    Instant[] created = {T0.minusSeconds(5), T0.minusSeconds(5), T0.minusSeconds(5), T0.minusSeconds(9), T0.minusSeconds(5), T0.minusSeconds(5)};
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      all.add(make("p", ids[i], "n", Server.of("s", "name-" + i, "z"), i % 2 == 0 ? BackupStatus.AVAILABLE : BackupStatus.ERROR,
          created[i], T0, 10 + i, List.of()));
    }
    Random r = new Random(1);
    for (int round = 0; round < 40; round++) {
      Backup b = all.get(r.nextInt(all.size()));
      if (model.has(b.id())) {
        Backup stored = model.get(b.id());
        catalog.remove("p", stored.id(), stored.version());
        model.remove(b.id());
      } else {
        catalog.add(b);
        model.put(b);
      }
      for (BackupPredicate where : List.of(Predicates.all(), Predicates.status(BackupStatus.AVAILABLE), Predicates.status(BackupStatus.ERROR))) {
        assertEquals(expectedUsage(model.list, where, T0, 0, 10), catalog.usage("p", UsageQuery.of(where, 0, 10)),
            "round " + round + " usage of " + where + " with " + model.at.keySet().stream().map(SeededRuns::escape).collect(Collectors.toList()));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 14. a project searched far more than written

  /**
   * ProjectStats: a reorganisation also becomes due "when the searches have spent about as much on
   * the late backups as a reorganisation costs", and "readers keep reading the previous state until
   * the new one is swapped in". A project with a few hundred late backups, tied with the others, is
   * only searched, thousands of times, and each answer must stay the scan's before, during and after
   * the reorganisation the searches make due.
   */
  @Test
  void aProjectSearchedFarMoreThanWrittenAnswersAlikeAcrossTheReorganisationItCauses() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      String p = "reads";
      Model model = new Model();
      Server server = Server.of("s", "s", "eu-de-01");
      List<Backup> load = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        load.add(make(p, "r" + i, "n" + (i % 11), server, i % 9 == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE,
            T0.minusSeconds(10_000 - i / 2), T0, 1, i % 4 == 0 ? List.of(Tag.of("k", "v" + i % 3)) : List.of()));
      }
      catalog.addAll(load);
      load.forEach(model::put);
      for (int i = 0; i < 400; i++) {
        Backup old = model.pick(r);
        Backup late = make(p, old.id() + "-late" + i, old.name(), server, BackupStatus.AVAILABLE, old.createdAt(), T0, 1,
            r.nextBoolean() ? List.of(Tag.of("k", "v1")) : List.of());
        catalog.add(late);
        model.put(late);
      }
      Instant now = clock.instant();
      // a fixed set of searches, their answers computed once
      List<Query> queries = new ArrayList<>();
      List<Page> answers = new ArrayList<>();
      List<Long> counts = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        BackupPredicate where = i % 4 == 0 ? Predicates.all() : tree(r, model, now, List.of(Predicates.tag("k", "v1")), 2);
        List<SortKey> sort = i % 3 == 0 ? Sort.DEFAULT.keys() : randomSort(r);
        List<Backup> m = matches(model.list, where, now, order(sort));
        int limit = randomLimit(r, m.size());
        long offset = i % 2 == 0 ? 0 : randomOffset(r, m.size(), model.size());
        Query q = Query.builder().where(where).sort(Sort.by(sort)).limit(limit).offset(offset).build();
        Backup marker = model.pick(r);
        if (i % 5 == 1) {
          queries.add(q.after(marker.id()));
          answers.add(after(m, order(sort), marker, limit));
        } else {
          queries.add(q);
          answers.add(slice(m, offset, limit));
        }
        counts.add((long) m.size());
      }
      long before = catalog.stats(p).reorganisations();
      long deadline = System.nanoTime() + 6_000_000_000L;
      int asked = 0;
      while (asked < 4000 || catalog.stats(p).reorganisations() == before && System.nanoTime() < deadline && asked < 200_000) {
        int i = r.nextInt(queries.size());
        Query q = queries.get(i);
        assertPage(answers.get(i), catalog.query(p, q), "search " + asked + ": " + q);
        if (asked % 7 == 0) {
          assertEquals(counts.get(i), catalog.count(p, q.predicate()), "count " + asked + ": " + q.predicate());
        }
        asked++;
      }
      for (int i = 0; i < queries.size(); i++) {
        assertPage(answers.get(i), catalog.query(p, queries.get(i)), "after " + asked + " searches and "
            + (catalog.stats(p).reorganisations() - before) + " reorganisations: " + queries.get(i));
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 15. all-projects pages by marker while projects change

  /**
   * BackupCatalog#queryAllProjects with a marker (the id of exactly one backup), the Paging paragraph
   * ("strictly after the marker backup's current place in the order") and Query ("even when backups
   * were added or removed in between"): pages over many small projects and a large one, in every
   * order, with adds (late, tied), removals and transitions in several projects between the pages.
   */
  @Test
  void allProjectsPagesByMarkerWhileProjectsChange() {
    seeded(1, seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog catalog = Catalogs.indexed(clock);
      Map<String, Model> models = new TreeMap<>();
      List<String> projects = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        projects.add(i % 2 == 0 ? "p" + i : "P" + i);
      }
      Ids ids = new Ids();
      Instant[] ties = {T0.minusSeconds(20), T0.minusSeconds(10), T0.minusSeconds(10).plusNanos(1)};
      Server server = Server.of("s", "s", "eu-de-01");
      java.util.function.Function<String, Backup> fresh = project -> make(project, ids.next(), r.nextBoolean() ? "a" : "B", server,
          r.nextInt(5) == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE,
          r.nextBoolean() ? ties[r.nextInt(ties.length)] : clock.instant(), clock.instant(), 1, List.of());
      List<Backup> load = new ArrayList<>();
      for (String project : projects) {
        int n = project.equals("p0") ? 8000 : r.nextInt(30);
        for (int i = 0; i < n; i++) {
          load.add(fresh.apply(project));
        }
      }
      catalog.addAll(load);
      load.forEach(b -> models.computeIfAbsent(b.projectId(), k -> new Model()).put(b));
      int pages = 0;
      for (int walk = 0; walk < 10; walk++) {
        List<SortKey> sort = randomSort(r);
        Comparator<Backup> order = order(sort).thenComparing(Backup::projectId, NewUserAdversarialTest::charByChar);
        BackupPredicate where = r.nextBoolean() ? Predicates.all()
            : r.nextBoolean() ? Predicates.status(BackupStatus.ERROR) : Predicates.nameContains("b");
        int limit = 1 + r.nextInt(r.nextBoolean() ? 3 : 300);
        Query first = Query.builder().where(where).sort(Sort.by(sort)).limit(limit).build();
        Page page = catalog.queryAllProjects(first);
        for (int step = 0; step < 30 && page.nextMarker().isPresent(); step++) {
          String marker = page.nextMarker().get();
          String markerProject = page.backups().get(page.backups().size() - 1).projectId();
          clock.advance(Duration.ofMillis(r.nextInt(1000)));
          int changes = r.nextInt(6) == 0 ? 800 : r.nextInt(15);
          for (int i = 0; i < changes; i++) {
            String project = r.nextBoolean() ? "p0" : projects.get(r.nextInt(projects.size()));
            Model model = models.computeIfAbsent(project, k -> new Model());
            int kind = r.nextInt(3);
            if (kind == 0 || model.size() == 0) {
              Backup b = fresh.apply(project);
              catalog.add(b);
              model.put(b);
            } else {
              Backup b = model.pick(r);
              if (b.id().equals(marker)) {
                continue;
              }
              if (kind == 1) {
                catalog.remove(project, b.id(), b.version());
                model.remove(b.id());
              } else {
                transition(catalog, project, model, b, randomTransition(r), clock.instant());
              }
            }
          }
          if (r.nextInt(4) == 0 && models.get(markerProject).has(marker)) {
            // the marker backup itself changes state (and updated at)
            Model model = models.get(markerProject);
            transition(catalog, markerProject, model, model.get(marker), randomTransition(r), clock.instant());
          }
          Instant now = clock.instant();
          List<Backup> all = new ArrayList<>();
          models.values().forEach(m -> all.addAll(m.list));
          if (!models.get(markerProject).has(marker)) {
            InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.queryAllProjects(first.after(marker)));
            assertEquals("marker", e.field());
            break;
          }
          page = catalog.queryAllProjects(first.after(marker));
          pages++;
          assertPage(after(matches(all, where, now, order), order, models.get(markerProject).get(marker), limit), page,
              "walk " + walk + " where " + where + " sort " + sort + " limit " + limit + " step " + step + " after " + escape(marker));
        }
      }
      assertTrue(pages > 15, "too few pages: " + pages);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // bugs found

  /**
   * Query.Builder#offset ("Skips offset matches"; only a negative offset is refused) and
   * BackupCatalog#query (refuses only a marker that is no backup of the project): an offset past
   * every match is an empty page with the total, whatever its size. Minimal case: one backup, sort
   * id:asc (or updated_at:desc: any order read with the heap), limit 1, offset Long.MAX_VALUE - 1,
   * that is offset + limit = Long.MAX_VALUE; also limit 1000, offset Long.MAX_VALUE - 1000. The
   * catalog throws a NullPointerException (from Pager.addInOrder); offsets Long.MAX_VALUE and
   * Long.MAX_VALUE - limit + 1 answer correctly, and so do the created_at and name orders. The same
   * through a ProjectView of BackupCatalog#read, and from the API's list query string
   * {@code sort=id:asc&limit=1&offset=9223372036854775806} (ListQueryString accepts offsets up to
   * Long.MAX_VALUE).
   */
  @Test
  void anOffsetWhoseSumWithTheLimitIsLongMaxIsAnEmptyPage() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(T0));
    Backup only = make("p", "b", "n", Server.of("s", "s", "eu-de-01"), BackupStatus.AVAILABLE, T0, T0, 1, List.of());
    catalog.add(only);
    for (List<SortKey> sort : List.of(List.of(SortKey.asc(SortField.ID)), List.of(SortKey.desc(SortField.UPDATED_AT)),
        List.of(SortKey.asc(SortField.STATUS)))) {
      for (int limit : new int[] {1, 1000}) {
        Query q = Query.builder().sort(Sort.by(sort)).limit(limit).offset(Long.MAX_VALUE - limit).build();
        assertPage(new Page(List.of(), 1, false), catalog.query("p", q), "offset Long.MAX_VALUE - " + limit + " sort " + sort);
        assertPage(new Page(List.of(), 1, false), catalog.read("p", view -> view.query(q)), "view: offset Long.MAX_VALUE - " + limit);
      }
    }
    // as the API's list query string gives it
    Query parsed = io.csbs.query.ListQueryString.parse("sort=id:asc&limit=1&offset=9223372036854775806");
    assertPage(new Page(List.of(), 1, false), catalog.query("p", parsed), "the API's offset=9223372036854775806");
  }

  /**
   * Backup#name ("1 to 255 letters (of any script, each counted once)"), Predicates#MAX_KEYWORD_LENGTH
   * (255 code points "so that any backup name ... can be searched for whole") and the BackupCatalog
   * name matching: names of up to 255 letters, many outside the BMP, with long runs of one letter;
   * keywords that are whole tails of them, upper-cased too; a walk of every page by name.
   */
  @Test
  void longNamesSearchedByTheirWholeTails() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Model model = new Model();
    Random r = new Random(3);
    String[] units = {"a", "A", "\uD801\uDC00", "\uD801\uDC28", "\u0130", "\u03A3", "\u00DF"};
    for (int i = 0; i < 500; i++) {
      StringBuilder name = new StringBuilder();
      int len = 240 + r.nextInt(16);
      String u = units[r.nextInt(units.length)];
      for (int j = 0; j < len; j++) {
        name.append(r.nextInt(20) == 0 ? units[r.nextInt(units.length)] : u);
      }
      Backup b = make("p", "x" + i, name.toString(), Server.of("s", "s", "z"), BackupStatus.AVAILABLE, T0.minusSeconds(r.nextInt(100)), T0, 1, List.of());
      catalog.add(b);
      model.put(b);
    }
    for (int i = 0; i < 20; i++) {
      String name = model.pick(r).name();
      int cps = name.codePointCount(0, name.length());
      int from = name.offsetByCodePoints(0, r.nextInt(cps));
      String k = name.substring(from);
      if (r.nextBoolean()) k = k.toUpperCase(Locale.ROOT);
      if (k.codePointCount(0, k.length()) > 255 || k.isBlank()) continue;
      BackupPredicate w = Predicates.nameContains(k);
      List<SortKey> sort = r.nextBoolean() ? List.of(SortKey.asc(SortField.NAME)) : Sort.DEFAULT.keys();
      List<Backup> m = matches(model.list, w, T0, order(sort));
      Page page = catalog.query("p", Query.builder().where(w).sort(Sort.by(sort)).limit(1000).build());
      assertPage(slice(m, 0, 1000), page, "keyword " + escape(k));
      assertEquals(m.size(), catalog.count("p", w), "count of keyword " + escape(k));
    }
    List<SortKey> sort = List.of(SortKey.desc(SortField.NAME));
    List<Backup> m = matches(model.list, Predicates.all(), T0, order(sort));
    Query q = Query.builder().sort(Sort.by(sort)).limit(37).build();
    Page page = catalog.query("p", q);
    List<String> walked = new ArrayList<>(page.ids());
    while (page.nextMarker().isPresent()) {
      page = catalog.query("p", q.after(page.nextMarker().get()));
      walked.addAll(page.ids());
    }
    assertEquals(m.stream().map(Backup::id).collect(Collectors.toList()), walked, "the walk by name, descending");
  }
}
