package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.KeywordField;
import io.csbs.query.PredicateVisitor;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TimeRange;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A new user's reading of the query API as a service that translates predicates to its own store:
 * its own {@link PredicateVisitor}s (an evaluator written from the visitor's javadoc, a SQL-like
 * printer, a checker of the visitor's promises), the documented algebra of predicates (normalization,
 * equality, immutability, null refusals), {@link ConsoleSearch} and {@link Query} as values, and
 * {@link Attribute} on odd values. Expectations come from the javadoc and README only.
 */
class NewUserPredicateVisitorTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Server WEB = Server.of("srv-ÄÖ-1", "Ecs-Web-Ünïcode-01", "eu-de-02");
  private static final Server VOL = Server.builder().id("vol 'x' \"y\"").name("Straße-VOL-ΣΑΣ")
      .availabilityZone("zone-日本").resourceType("OS::Cinder::Volume").build();

  // ---------------------------------------------------------------- helpers

  private static Backup.Builder base(String id, String name, Server server, Instant createdAt) {
    return Backup.builder().id(id).name(name).projectId("p-1").server(server).sizeMb(1).createdAt(createdAt);
  }

  private static Backup inState(String id, String name, Server server, Instant createdAt, BackupStatus status,
      Instant progressAt, Tag... tags) {
    Backup.Builder b = base(id, name, server, createdAt).status(status).addTags(tags);
    if (status.isIntermediate()) {
      b.progress(Progress.of(10, progressAt)).updatedAt(progressAt);
    } else if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "disk full", createdAt));
    }
    return b.build();
  }

  private static InvalidValueException refused(String field, Executable call) {
    InvalidValueException e = assertThrows(InvalidValueException.class, call);
    assertEquals(field, e.field(), e.getMessage());
    return e;
  }

  private static void npeNaming(String name, Executable call) {
    NullPointerException e = assertThrows(NullPointerException.class, call);
    assertNotNull(e.getMessage(), "a NullPointerException without a message, expected one naming " + name);
    assertTrue(e.getMessage().contains(name), "expected the message to name " + name + ": " + e.getMessage());
  }

  /** What a visitor is told by each node: the method's name and its arguments. */
  private static class Kind implements PredicateVisitor<String> {
    public String all() { return "all"; }
    public String none() { return "none"; }
    public String status(Set<BackupStatus> s) { return "status" + s; }
    public String createdIn(TimeRange r) { return "createdIn" + r; }
    public String createdWithinLast(Duration w) { return "createdWithinLast " + w; }
    public String nameContains(String t) { return "nameContains " + t; }
    public String serverNameContains(String t) { return "serverNameContains " + t; }
    public String backupId(String id) { return "backupId " + id; }
    public String attribute(Attribute a, String v) { return "attribute " + a.name() + " " + v; }
    public String tag(String k, List<String> v) { return "tag " + k + " " + v; }
    public String stalled() { return "stalled"; }
    public String and(List<BackupPredicate> o) { return "and" + o.size(); }
    public String or(List<BackupPredicate> o) { return "or" + o.size(); }
    public String not(BackupPredicate o) { return "not"; }
  }

  private static String kind(BackupPredicate p) {
    return p.accept(new Kind());
  }

  /**
   * An in-memory filter written from the visitor's javadoc alone (never calling {@code test}): what
   * a service that evaluates predicates on its own objects would write.
   */
  private static final class Evaluator implements PredicateVisitor<Predicate<Backup>> {
    private final Instant now;
    private final StallRule rule;

    Evaluator(Instant now, StallRule rule) {
      this.now = now;
      this.rule = rule;
    }

    public Predicate<Backup> all() { return b -> true; }
    public Predicate<Backup> none() { return b -> false; }
    public Predicate<Backup> status(Set<BackupStatus> statuses) {
      Set<BackupStatus> copy = EnumSet.copyOf(statuses);
      return b -> copy.contains(b.status());
    }
    public Predicate<Backup> createdIn(TimeRange range) {
      return b -> {
        Instant t = b.createdAt();
        if (range.start().isPresent()) {
          int c = t.compareTo(range.start().get());
          if (c < 0 || c == 0 && !range.startInclusive()) {
            return false;
          }
        }
        if (range.end().isPresent()) {
          int c = t.compareTo(range.end().get());
          if (c > 0 || c == 0 && !range.endInclusive()) {
            return false;
          }
        }
        return true;
      };
    }
    public Predicate<Backup> createdWithinLast(Duration window) {
      // "within window before the evaluation's now, up to now" (TimeRange.last: both inclusive)
      Instant start;
      try {
        start = now.minus(window);
      } catch (RuntimeException beforeTheFirstInstant) {
        start = Instant.MIN;
      }
      Instant from = start;
      return b -> !b.createdAt().isBefore(from) && !b.createdAt().isAfter(now);
    }
    public Predicate<Backup> nameContains(String text) {
      String lower = text.toLowerCase(Locale.ROOT);
      return b -> b.name().toLowerCase(Locale.ROOT).contains(lower);
    }
    public Predicate<Backup> serverNameContains(String text) {
      String lower = text.toLowerCase(Locale.ROOT);
      return b -> b.server().name().toLowerCase(Locale.ROOT).contains(lower);
    }
    public Predicate<Backup> backupId(String id) { return b -> b.id().equals(id); }
    public Predicate<Backup> attribute(Attribute attribute, String value) {
      return b -> value.equals(attribute.valueOf(b));
    }
    public Predicate<Backup> tag(String key, List<String> values) {
      List<String> copy = List.copyOf(values);
      return b -> {
        for (Tag t : b.tags()) {
          if (t.key().equals(key)) {
            if (copy.isEmpty()) {
              return true;
            }
            for (String v : copy) {
              if (v.startsWith("*") ? t.value().contains(v.substring(1)) : t.value().equals(v)) {
                return true;
              }
            }
            return false;
          }
        }
        return false;
      };
    }
    public Predicate<Backup> stalled() {
      return b -> b.status().isIntermediate() && b.progress().isPresent()
          && Duration.between(b.progress().get().changedAt(), now).compareTo(rule.threshold()) > 0;
    }
    public Predicate<Backup> and(List<BackupPredicate> operands) {
      List<Predicate<Backup>> ps = operands.stream().map(o -> o.accept(this)).collect(Collectors.toList());
      return b -> ps.stream().allMatch(p -> p.test(b));
    }
    public Predicate<Backup> or(List<BackupPredicate> operands) {
      List<Predicate<Backup>> ps = operands.stream().map(o -> o.accept(this)).collect(Collectors.toList());
      return b -> ps.stream().anyMatch(p -> p.test(b));
    }
    public Predicate<Backup> not(BackupPredicate operand) { return operand.accept(this).negate(); }
  }

  /** A translation to a SQL WHERE text with bound parameters, as a service on its own store would write. */
  private static final class Sql implements PredicateVisitor<String> {
    final List<Object> params = new ArrayList<>();

    private String bind(Object value) {
      params.add(value);
      return "?";
    }

    public String all() { return "TRUE"; }
    public String none() { return "FALSE"; }
    public String status(Set<BackupStatus> s) {
      return "status IN (" + s.stream().map(this::bind).collect(Collectors.joining(", ")) + ")";
    }
    public String createdIn(TimeRange r) {
      List<String> parts = new ArrayList<>();
      r.start().ifPresent(t -> parts.add("created_at " + (r.startInclusive() ? ">=" : ">") + " " + bind(t)));
      r.end().ifPresent(t -> parts.add("created_at " + (r.endInclusive() ? "<=" : "<") + " " + bind(t)));
      return parts.isEmpty() ? "TRUE" : parts.size() == 1 ? parts.get(0) : "(" + String.join(" AND ", parts) + ")";
    }
    public String createdWithinLast(Duration w) { return "created_at BETWEEN now() - " + bind(w) + " AND now()"; }
    public String nameContains(String t) { return "lower(name) LIKE " + bind("%" + t + "%"); }
    public String serverNameContains(String t) { return "lower(server_name) LIKE " + bind("%" + t + "%"); }
    public String backupId(String id) { return "id = " + bind(id); }
    public String attribute(Attribute a, String v) { return a.name().toLowerCase(Locale.ROOT) + " = " + bind(v); }
    public String tag(String k, List<String> v) {
      return "tag(" + bind(k) + (v.isEmpty() ? "" : ", " + v.stream().map(this::bind).collect(Collectors.joining(", "))) + ")";
    }
    public String stalled() { return "stalled"; }
    public String and(List<BackupPredicate> o) {
      return o.stream().map(p -> p.accept(this)).collect(Collectors.joining(" AND ", "(", ")"));
    }
    public String or(List<BackupPredicate> o) {
      return o.stream().map(p -> p.accept(this)).collect(Collectors.joining(" OR ", "(", ")"));
    }
    public String not(BackupPredicate o) { return "NOT " + o.accept(this); }
  }

  private static String sql(BackupPredicate p) {
    Sql s = new Sql();
    String where = p.accept(s);
    return where + " " + s.params;
  }

  /**
   * Checks what the visitor's javadoc promises of every node it is handed: a status of one to four
   * states, and and or of at least two operands; and, from Predicates' normalization, no and directly
   * in an and, no or in an or, no not of a not, no all in an and, no none in an or.
   */
  private static final class Promises implements PredicateVisitor<Void> {
    final List<String> broken = new ArrayList<>();

    public Void all() { return null; }
    public Void none() { return null; }
    public Void status(Set<BackupStatus> s) {
      if (s.isEmpty() || s.size() >= 5) {
        broken.add("status of " + s);
      }
      return null;
    }
    public Void createdIn(TimeRange r) {
      if (r.equals(TimeRange.all())) {
        broken.add("createdIn of the unbounded range");
      }
      return null;
    }
    public Void createdWithinLast(Duration w) { return null; }
    public Void nameContains(String t) {
      if (!t.equals(t.toLowerCase(Locale.ROOT))) {
        broken.add("name not lower-cased " + t);
      }
      return null;
    }
    public Void serverNameContains(String t) { return nameContains(t); }
    public Void backupId(String id) { return null; }
    public Void attribute(Attribute a, String v) { return null; }
    public Void tag(String k, List<String> v) {
      if (!v.equals(new ArrayList<>(new TreeSet<>(v)))) {
        broken.add("tag values not sorted and distinct " + v);
      }
      return null;
    }
    public Void stalled() { return null; }
    public Void and(List<BackupPredicate> o) {
      if (o.size() < 2) {
        broken.add("and of " + o.size());
      }
      for (BackupPredicate p : o) {
        String k = kind(p);
        if (k.startsWith("and") || k.equals("all") || k.equals("none")) {
          broken.add("and holding " + k);
        }
        p.accept(this);
      }
      if (new LinkedHashSet<>(o).size() != o.size()) {
        broken.add("and with a duplicate " + o);
      }
      return null;
    }
    public Void or(List<BackupPredicate> o) {
      if (o.size() < 2) {
        broken.add("or of " + o.size());
      }
      for (BackupPredicate p : o) {
        String k = kind(p);
        if (k.startsWith("or") || k.equals("all") || k.equals("none")) {
          broken.add("or holding " + k);
        }
        p.accept(this);
      }
      if (new LinkedHashSet<>(o).size() != o.size()) {
        broken.add("or with a duplicate " + o);
      }
      return null;
    }
    public Void not(BackupPredicate o) {
      String k = kind(o);
      if (k.equals("not") || k.equals("all") || k.equals("none") || k.startsWith("status")) {
        broken.add("not of " + k);
      }
      o.accept(this);
      return null;
    }
  }

  /** Rebuilds a tree through the DSL, as a translation back from another form would. */
  private static final class Rebuild implements PredicateVisitor<BackupPredicate> {
    public BackupPredicate all() { return Predicates.all(); }
    public BackupPredicate none() { return Predicates.none(); }
    public BackupPredicate status(Set<BackupStatus> s) { return Predicates.status(s); }
    public BackupPredicate createdIn(TimeRange r) { return Predicates.createdIn(r); }
    public BackupPredicate createdWithinLast(Duration w) { return Predicates.createdWithinLast(w); }
    public BackupPredicate nameContains(String t) { return Predicates.nameContains(t); }
    public BackupPredicate serverNameContains(String t) { return Predicates.serverNameContains(t); }
    public BackupPredicate backupId(String id) { return Predicates.backupId(id); }
    public BackupPredicate attribute(Attribute a, String v) { return Predicates.attribute(a, v); }
    public BackupPredicate tag(String k, List<String> v) { return Predicates.tag(k, v); }
    public BackupPredicate stalled() { return Predicates.stalled(); }
    public BackupPredicate and(List<BackupPredicate> o) {
      List<BackupPredicate> reversed = o.stream().map(p -> p.accept(this)).collect(Collectors.toList());
      Collections.reverse(reversed);
      return Predicates.and(reversed);
    }
    public BackupPredicate or(List<BackupPredicate> o) {
      List<BackupPredicate> reversed = o.stream().map(p -> p.accept(this)).collect(Collectors.toList());
      Collections.reverse(reversed);
      return Predicates.or(reversed);
    }
    public BackupPredicate not(BackupPredicate o) { return Predicates.not(o.accept(this)); }
  }

  // ---------------------------------------------------------------- random trees

  /** Random predicates drawn from the values of {@code backups}, with odd variants of each. */
  private static final class Trees {
    final Random random;
    final List<Backup> backups;

    Trees(Random random, List<Backup> backups) {
      this.random = random;
      this.backups = backups;
    }

    Backup any() {
      return backups.get(random.nextInt(backups.size()));
    }

    String randomCase(String s) {
      StringBuilder b = new StringBuilder();
      s.codePoints().forEach(cp -> b.appendCodePoint(random.nextBoolean() ? Character.toUpperCase(cp) : cp));
      return b.toString();
    }

    /** A part of {@code s} made of whole code points, not blank. */
    String part(String s) {
      int[] cps = s.codePoints().toArray();
      for (int tries = 0; tries < 10; tries++) {
        int from = random.nextInt(cps.length);
        int to = from + 1 + random.nextInt(Math.min(6, cps.length - from));
        String p = new String(cps, from, to - from);
        if (!p.isBlank()) {
          return p;
        }
      }
      return s.strip().isEmpty() ? "x" : s.strip();
    }

    Instant time() {
      Instant t = any().createdAt();
      switch (random.nextInt(4)) {
        case 0: return t;
        case 1: return t.plusNanos(random.nextBoolean() ? 1 : -1);
        case 2: return t.plus(Duration.ofHours(random.nextInt(2000) - 1000));
        default: return NOW.minus(Duration.ofDays(random.nextInt(400)));
      }
    }

    TimeRange range() {
      Instant a = time();
      Instant b = time();
      if (a.isAfter(b)) {
        Instant x = a;
        a = b;
        b = x;
      }
      switch (random.nextInt(6)) {
        case 0: return TimeRange.from(a);
        case 1: return TimeRange.before(b);
        case 2: return TimeRange.until(b);
        case 3: return TimeRange.between(a, b);
        case 4: return TimeRange.of(random.nextBoolean() ? a : null, random.nextBoolean(),
            random.nextBoolean() ? b : null, random.nextBoolean());
        default:
          boolean fi = random.nextBoolean();
          boolean ti = random.nextBoolean();
          if (a.equals(b) && !(fi && ti)) {
            fi = true;
            ti = true;
          }
          return TimeRange.of(a, fi, b, ti);
      }
    }

    BackupPredicate leaf() {
      Backup b = any();
      switch (random.nextInt(22)) {
        case 0: return Predicates.all();
        case 1: return Predicates.none();
        case 2: {
          List<BackupStatus> s = new ArrayList<>();
          for (BackupStatus st : BackupStatus.values()) {
            if (random.nextInt(3) == 0) {
              s.add(st);
            }
          }
          if (s.isEmpty()) {
            s.add(b.status());
          }
          return Predicates.status(s);
        }
        case 3: return Predicates.status(b.status());
        case 4: return Predicates.createdIn(range());
        case 5: {
          Instant a = time();
          return Predicates.createdBetween(a, a.plusSeconds(random.nextInt(100_000)));
        }
        case 6: {
          Duration w = random.nextInt(4) == 0 ? Duration.ofDays(1 + random.nextInt(400))
              : Duration.between(b.createdAt(), NOW).abs().plusNanos(random.nextInt(3) - 1);
          return Predicates.createdWithinLast(w.isZero() || w.isNegative() ? Duration.ofNanos(1) : w);
        }
        case 7: return Predicates.nameContains(randomCase(part(b.name())));
        case 8: return Predicates.serverNameContains(randomCase(part(b.server().name())));
        case 9: return Predicates.backupId(random.nextBoolean() ? b.id() : b.id().toUpperCase(Locale.ROOT));
        case 10: return Predicates.serverId(b.server().id());
        case 11: return Predicates.availabilityZone(b.server().availabilityZone());
        case 12: return Predicates.resourceType(b.server().resourceType());
        case 13: return b.policyId().map(Predicates::policyId).orElse(Predicates.policyId("no-such-policy"));
        case 14: return random.nextBoolean() ? Predicates.type(b.type()) : Predicates.trigger(b.trigger());
        case 15: case 16: {
          if (b.tags().isEmpty()) {
            return Predicates.tagKey("env");
          }
          Tag t = b.tags().get(random.nextInt(b.tags().size()));
          switch (random.nextInt(4)) {
            case 0: return Predicates.tag(t.key(), t.value());
            case 1: return Predicates.tagKey(t.key());
            case 2: return Predicates.tag(t.key(), t.value().isEmpty() ? List.of("*") : List.of("*" + part(t.value()), "zz"));
            default: return Predicates.tag(" " + t.key() + " ", List.of("nope", " " + t.value() + " ", t.value()));
          }
        }
        case 17: return Predicates.stalled();
        case 18: {
          KeywordField f = KeywordField.values()[random.nextInt(4)];
          switch (f) {
            case SERVER_NAME: return Predicates.keyword(f, randomCase(part(b.server().name())));
            case BACKUP_NAME: return Predicates.keyword(f, randomCase(part(b.name())));
            case SERVER_ID: return Predicates.keyword(f, b.server().id());
            default: return Predicates.keyword(f, b.id());
          }
        }
        case 19: {
          Attribute a = Attribute.values()[random.nextInt(6)];
          String v = a == Attribute.TRIGGER ? "MANUAL" : a == Attribute.BACKUP_TYPE ? "ENHANCED"
              : random.nextBoolean() ? "MANUAL" : a.valueOf(b) == null ? "x" : a.valueOf(b);
          return Predicates.attribute(a, v);
        }
        default: return Predicates.createdIn(TimeRange.of(null, random.nextBoolean(), null, random.nextBoolean()));
      }
    }

    BackupPredicate tree(int depth) {
      if (depth == 0 || random.nextInt(3) == 0) {
        return leaf();
      }
      switch (random.nextInt(3)) {
        case 0: return Predicates.not(tree(depth - 1));
        case 1: return Predicates.and(operands(depth));
        default: return Predicates.or(operands(depth));
      }
    }

    List<BackupPredicate> operands(int depth) {
      int n = random.nextInt(5);
      List<BackupPredicate> ops = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ops.add(random.nextInt(6) == 0 && !ops.isEmpty() ? ops.get(random.nextInt(ops.size())) : tree(depth - 1));
      }
      return ops;
    }
  }

  private static List<Backup> generated(long seed, int count) {
    List<Backup> backups = new ArrayList<>(BackupGenerator.builder().seed(seed).servers(40)
        .window(NOW, Duration.ofDays(90)).build().backups(count));
    // and a few hand-made ones with odd values
    backups.add(inState("odd-1", "İSTANBUL-σς-𐐀x", VOL, NOW.minusSeconds(1), BackupStatus.AVAILABLE, null,
        Tag.of("env", ""), Tag.of("ключ", "значение")));
    backups.add(inState("odd-2", "autobk_ΣΣ", WEB, NOW.minus(Duration.ofHours(2)), BackupStatus.CREATING, NOW.minus(Duration.ofMinutes(31)),
        Tag.of("env", "prod")));
    backups.add(inState("odd-3", "stuck", WEB, NOW.minus(Duration.ofHours(1)), BackupStatus.RESTORING,
        NOW.minus(Duration.ofMinutes(30)), Tag.of("env", "prod-eu")));
    backups.add(inState("ODD-1", "Bad", VOL, NOW.minus(Duration.ofDays(7)), BackupStatus.ERROR, null));
    return backups;
  }

  // ---------------------------------------------------------------- (1) visitors

  @Test
  void everyFactoryReachesTheVisitorMethodOfItsKind() {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    List<Map.Entry<String, Supplier<BackupPredicate>>> cases = new ArrayList<>();
    cases.add(Map.entry("all", Predicates::all));
    cases.add(Map.entry("none", Predicates::none));
    cases.add(Map.entry("status[Available]", () -> Predicates.status(BackupStatus.AVAILABLE)));
    cases.add(Map.entry("status[Available, Error]", () -> Predicates.status(BackupStatus.ERROR, BackupStatus.AVAILABLE, BackupStatus.ERROR)));
    cases.add(Map.entry("status[Creating, Restoring, Deleting, Error]", () -> Predicates.not(Predicates.status(BackupStatus.AVAILABLE))));
    cases.add(Map.entry("createdIn[2026-01-01T00:00:00Z, +inf)", () -> Predicates.createdIn(TimeRange.from(t))));
    cases.add(Map.entry("createdIn(-inf, 2026-01-01T00:00:00Z)", () -> Predicates.createdIn(TimeRange.before(t))));
    cases.add(Map.entry("createdIn(-inf, 2026-01-01T00:00:00Z]", () -> Predicates.createdIn(TimeRange.until(t))));
    cases.add(Map.entry("createdIn(2026-01-01T00:00:00Z, +inf)", () -> Predicates.createdIn(TimeRange.of(t, false, null, false))));
    cases.add(Map.entry("createdIn[2026-01-01T00:00:00Z, 2026-01-01T00:00:00Z]", () -> Predicates.createdBetween(t, t)));
    cases.add(Map.entry("createdIn[-1000000000-01-01T00:00:00Z, +1000000000-12-31T23:59:59.999999999Z]",
        () -> Predicates.createdBetween(Instant.MIN, Instant.MAX)));
    cases.add(Map.entry("all ", () -> Predicates.createdIn(TimeRange.of(null, false, null, false))));
    cases.add(Map.entry("createdWithinLast PT36H", () -> Predicates.createdWithinLast(Duration.ofHours(36))));
    cases.add(Map.entry("createdWithinLast PT0.000000001S", () -> Predicates.createdWithinLast(Duration.ofNanos(1))));
    cases.add(Map.entry("createdWithinLast PT876000H", () -> Predicates.createdWithinLast(Predicates.MAX_WINDOW)));
    cases.add(Map.entry("nameContains straße-σς", () -> Predicates.nameContains("STRAßE-Σς")));
    cases.add(Map.entry("serverNameContains ünï", () -> Predicates.keyword(KeywordField.SERVER_NAME, "ÜNÏ")));
    cases.add(Map.entry("nameContains 𐐨", () -> Predicates.keyword(KeywordField.BACKUP_NAME, "𐐀")));
    cases.add(Map.entry("backupId ID-1", () -> Predicates.keyword(KeywordField.BACKUP_ID, "ID-1")));
    cases.add(Map.entry("attribute SERVER_ID ÄÖ", () -> Predicates.keyword(KeywordField.SERVER_ID, "ÄÖ")));
    cases.add(Map.entry("attribute AVAILABILITY_ZONE zone-日本", () -> Predicates.availabilityZone("zone-日本")));
    cases.add(Map.entry("attribute RESOURCE_TYPE OS::Cinder::Volume", () -> Predicates.resourceType("OS::Cinder::Volume")));
    cases.add(Map.entry("attribute POLICY_ID p ' \"", () -> Predicates.policyId("p ' \"")));
    cases.add(Map.entry("attribute BACKUP_TYPE COMMON", () -> Predicates.type(BackupType.COMMON)));
    cases.add(Map.entry("attribute TRIGGER AUTOMATIC", () -> Predicates.attribute(Attribute.TRIGGER, "AUTOMATIC")));
    cases.add(Map.entry("tag env [prod]", () -> Predicates.tag(" env ", " prod ")));
    cases.add(Map.entry("tag env []", () -> Predicates.tag("env", List.of("a", "*", "b"))));
    cases.add(Map.entry("tag env [*o, b, c]", () -> Predicates.tag("env", List.of("c", "*o", "b", "c ", " b"))));
    cases.add(Map.entry("tag env []  ", () -> Predicates.tagKey("env")));
    cases.add(Map.entry("tag env []", () -> Predicates.tag("env", List.of())));
    cases.add(Map.entry("tag env []", () -> Predicates.tag("env", List.of("*", "zz"))));
    cases.add(Map.entry("tag ключ []", () -> Predicates.tag("ключ", List.of(" * "))));
    cases.add(Map.entry("tag env []", () -> Predicates.tag("env", List.of("*"))));
    cases.add(Map.entry("stalled", Predicates::stalled));
    cases.add(Map.entry("and2", () -> Predicates.and(Predicates.stalled(), Predicates.tagKey("a"))));
    cases.add(Map.entry("and3", () -> Predicates.and(Predicates.and(Predicates.stalled(), Predicates.tagKey("a")), Predicates.tagKey("b"))));
    cases.add(Map.entry("or2", () -> Predicates.or(Predicates.stalled(), Predicates.or(Predicates.tagKey("a"), Predicates.stalled()))));
    cases.add(Map.entry("not", () -> Predicates.not(Predicates.stalled())));
    cases.add(Map.entry("stalled ", () -> Predicates.not(Predicates.not(Predicates.stalled()))));
    cases.add(Map.entry("stalled  ", () -> Predicates.and(Predicates.stalled())));
    cases.add(Map.entry("stalled   ", () -> Predicates.or(List.of(Predicates.stalled()))));
    cases.add(Map.entry("stalled    ", () -> Predicates.and(Predicates.all(), Predicates.stalled(), Predicates.all())));
    cases.add(Map.entry("stalled     ", () -> Predicates.or(Predicates.none(), Predicates.stalled(), Predicates.stalled())));
    cases.add(Map.entry("all  ", Predicates::and));
    cases.add(Map.entry("none ", Predicates::or));
    cases.add(Map.entry("all   ", () -> Predicates.and(List.of())));
    cases.add(Map.entry("none  ", () -> Predicates.or(List.of())));
    cases.add(Map.entry("none   ", () -> Predicates.and(Predicates.stalled(), Predicates.none())));
    cases.add(Map.entry("all    ", () -> Predicates.or(Predicates.stalled(), Predicates.all())));
    cases.add(Map.entry("none    ", () -> Predicates.not(Predicates.all())));
    cases.add(Map.entry("all     ", () -> Predicates.not(Predicates.none())));
    cases.add(Map.entry("all      ", () -> Predicates.status(EnumSet.allOf(BackupStatus.class))));
    cases.add(Map.entry("none     ", () -> Predicates.not(Predicates.status(BackupStatus.AVAILABLE, BackupStatus.CREATING,
        BackupStatus.RESTORING, BackupStatus.DELETING, BackupStatus.ERROR))));
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Supplier<BackupPredicate>> c : cases) {
      BackupPredicate p = c.getValue().get();
      String got = kind(p);
      if (!got.equals(c.getKey().strip())) {
        wrong.add("expected " + c.getKey().strip() + ", the visitor was told " + got + " by " + p);
      }
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  void anEvaluatorWrittenFromTheVisitorsJavadocAgreesWithTestOnGeneratedBackups() {
    for (long seed : new long[] {11, -7}) {
      Random random = new Random(seed);
      List<Backup> backups = generated(seed, 200);
      Trees trees = new Trees(random, backups);
      StallRule[] rules = {StallRule.DEFAULT, StallRule.ofThreshold(Duration.ofMinutes(1)),
          StallRule.ofThreshold(Duration.ofDays(3))};
      int matched = 0;
      for (int round = 0; round < 70; round++) {
        BackupPredicate p = trees.tree(3);
        Instant now = round % 5 == 0 ? NOW.plus(Duration.ofHours(random.nextInt(48))) : NOW;
        StallRule rule = rules[round % rules.length];
        Predicate<Backup> mine = p.accept(new Evaluator(now, rule));
        for (Backup b : backups) {
          boolean expected = mine.test(b);
          boolean actual = p.test(b, now, rule);
          if (expected != actual) {
            throw new AssertionError("seed " + seed + " round " + round + ": " + p + " on " + b.id() + " (" + b.name()
                + ", " + b.status() + ", created " + b.createdAt() + ", tags " + b.tags() + ") at " + now + " with "
                + rule + ": test says " + actual + ", the visitor's meaning " + expected);
          }
          matched += actual ? 1 : 0;
        }
      }
      assertTrue(matched > 0, "seed " + seed + ": no tree matched any backup; the generator of trees is off");
    }
  }

  @Test
  void theIndexedCatalogAnswersEveryRandomTreeAsTheVisitorsMeaningInEveryProject() {
    for (long seed : new long[] {8, 31}) {
      Random random = new Random(seed);
      List<Backup> backups = new ArrayList<>(BackupGenerator.builder().seed(seed).projects(3).servers(30)
          .window(NOW, Duration.ofDays(60)).build().backups(240));
      backups.addAll(generated(seed, 0));
      FakeClock clock = FakeClock.at(NOW);
      StallRule rule = StallRule.ofThreshold(Duration.ofMinutes(20));
      BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(rule).build();
      catalog.addAll(backups);
      Set<String> projects = backups.stream().map(Backup::projectId).collect(Collectors.toCollection(TreeSet::new));
      Trees trees = new Trees(random, backups);
      for (int round = 0; round < 40; round++) {
        BackupPredicate p = trees.tree(3);
        Predicate<Backup> mine = p.accept(new Evaluator(NOW, rule));
        for (String project : projects) {
          List<String> expected = backups.stream().filter(b -> b.projectId().equals(project)).filter(mine)
              .sorted(java.util.Comparator.comparing(Backup::createdAt).thenComparing(Backup::id).reversed())
              .map(Backup::id).collect(Collectors.toList());
          String at = "seed " + seed + " round " + round + " project " + project + ": " + p;
          assertEquals(expected, catalog.query(project, Query.where(p)).ids(), at);
          assertEquals(expected.size(), catalog.count(project, p), at);
        }
      }
    }
  }

  @Test
  void theDefaultTestWithAClockIsTheInstantOfTheClockAndTheDefaultRule() {
    List<Backup> backups = generated(5, 120);
    Random random = new Random(5);
    Trees trees = new Trees(random, backups);
    for (int round = 0; round < 60; round++) {
      BackupPredicate p = trees.tree(2);
      Instant now = NOW.plus(Duration.ofMinutes(random.nextInt(120)));
      Clock clock = Clock.fixed(now, ZoneOffset.UTC);
      for (Backup b : backups) {
        assertEquals(p.test(b, now, StallRule.DEFAULT), p.test(b, clock), "seed 5 round " + round + ": " + p + " on " + b.id());
      }
    }
  }

  @Test
  void composingKeepsTheMeaningOfTheOperandsAndTheVisitorIsHandedOnlyWhatItsJavadocPromises() {
    for (long seed : new long[] {3, 99}) {
      Random random = new Random(seed);
      List<Backup> backups = generated(seed, 120);
      Trees trees = new Trees(random, backups);
      for (int round = 0; round < 80; round++) {
        List<BackupPredicate> ops = trees.operands(3);
        BackupPredicate and = Predicates.and(ops);
        BackupPredicate or = Predicates.or(ops);
        BackupPredicate first = ops.isEmpty() ? trees.leaf() : ops.get(0);
        BackupPredicate not = Predicates.not(first);
        String at = "seed " + seed + " round " + round + ": " + ops;
        for (BackupPredicate p : List.of(and, or, not)) {
          Promises promises = new Promises();
          p.accept(promises);
          assertEquals(List.of(), promises.broken, at + " built " + p);
        }
        for (Backup b : backups) {
          boolean all = ops.stream().allMatch(o -> o.test(b, NOW, StallRule.DEFAULT));
          boolean any = ops.stream().anyMatch(o -> o.test(b, NOW, StallRule.DEFAULT));
          assertEquals(all, and.test(b, NOW, StallRule.DEFAULT), at + " and on " + b.id());
          assertEquals(any, or.test(b, NOW, StallRule.DEFAULT), at + " or on " + b.id());
          assertEquals(!first.test(b, NOW, StallRule.DEFAULT), not.test(b, NOW, StallRule.DEFAULT), at + " not on " + b.id());
        }
      }
    }
  }

  @Test
  void treesAreValuesWhateverTheOrderOfTheOperandsAndATranslationIsStable() {
    for (long seed : new long[] {1, 42, 777}) {
      Random random = new Random(seed);
      Trees trees = new Trees(random, generated(seed, 60));
      for (int round = 0; round < 100; round++) {
        List<BackupPredicate> ops = trees.operands(3);
        List<BackupPredicate> shuffled = new ArrayList<>(ops);
        Collections.shuffle(shuffled, random);
        String at = "seed " + seed + " round " + round + ": " + ops;
        for (boolean isAnd : new boolean[] {true, false}) {
          BackupPredicate a = isAnd ? Predicates.and(ops) : Predicates.or(ops);
          BackupPredicate b = isAnd ? Predicates.and(shuffled) : Predicates.or(shuffled);
          assertEquals(a, b, at);
          assertEquals(a.hashCode(), b.hashCode(), at);
          assertEquals(a.toString(), b.toString(), at);
          assertEquals(sql(a), sql(b), at);
          // a rebuild through the visitor, with every operand list reversed, is the same value
          BackupPredicate rebuilt = a.accept(new Rebuild());
          assertEquals(a, rebuilt, at);
          assertEquals(a.hashCode(), rebuilt.hashCode(), at);
          assertEquals(a, Predicates.and(a, a), at);
          assertEquals(a, Predicates.or(a, a), at);
          assertEquals(a, Predicates.not(Predicates.not(a)), at);
        }
      }
    }
  }

  @Test
  void treesBuiltTheSameWayAreEqualAndEqualTreesHaveEqualHashCodesAndTexts() {
    for (long seed : new long[] {4, 65}) {
      List<Backup> backups = generated(seed, 80);
      Trees one = new Trees(new Random(seed), backups);
      Trees two = new Trees(new Random(seed), backups);
      List<BackupPredicate> built = new ArrayList<>();
      for (int round = 0; round < 80; round++) {
        BackupPredicate a = one.tree(3);
        BackupPredicate b = two.tree(3);
        String at = "seed " + seed + " round " + round + ": " + a;
        assertEquals(a, b, at);
        assertEquals(b, a, at);
        assertEquals(a.hashCode(), b.hashCode(), at);
        assertEquals(a.toString(), b.toString(), at);
        assertEquals(kind(a), kind(b), at);
        assertNotEquals(null, a);
        assertNotEquals(a, a.toString());
        built.add(a);
      }
      // among the trees of a run, equal ones print alike, and (values without quotes) alike ones are equal
      List<String> texts = built.stream().map(Object::toString).collect(Collectors.toList());
      for (int i = 0; i < built.size(); i++) {
        for (int j = 0; j < built.size(); j++) {
          BackupPredicate a = built.get(i);
          BackupPredicate b = built.get(j);
          assertEquals(a.equals(b), texts.get(i).equals(texts.get(j)), "seed " + seed + ": " + a + " / " + b);
          if (a.equals(b)) {
            assertEquals(a.hashCode(), b.hashCode(), "seed " + seed + ": " + a);
          }
        }
      }
    }
  }

  @Test
  void aSqlTranslationOfTheDocumentedExamples() {
    BackupPredicate p = Predicates.and(
        Predicates.status(BackupStatus.AVAILABLE),
        Predicates.createdWithinLast(Duration.ofDays(7)),
        Predicates.tag("env", "prod"));
    assertEquals("(created_at BETWEEN now() - ? AND now() AND status IN (?) AND tag(?, ?)) [PT168H, Available, env, prod]",
        sql(p));
    BackupPredicate q = Predicates.and(Predicates.stalled(), Predicates.attribute(Attribute.AVAILABILITY_ZONE, "eu-de-02"));
    assertEquals("(availability_zone = ? AND stalled) [eu-de-02]", sql(q));
    BackupPredicate r = Predicates.and(Predicates.createdWithinLast(Duration.ofDays(7)),
        Predicates.or(Predicates.tag("env", "prod"), Predicates.tag("env", "staging")));
    assertEquals("((tag(?, ?) OR tag(?, ?)) AND created_at BETWEEN now() - ? AND now()) [env, prod, env, staging, PT168H]",
        sql(r));
    assertEquals("NOT lower(name) LIKE ? [%web%]", sql(Predicates.not(Predicates.nameContains("WEB"))));
    assertEquals("(created_at > ? AND created_at < ?) [2026-01-01T00:00:00Z, 2026-02-01T00:00:00Z]",
        sql(Predicates.createdIn(TimeRange.of(Instant.parse("2026-01-01T00:00:00Z"), false,
            Instant.parse("2026-02-01T00:00:00Z"), false))));
  }

  @Test
  void theDocumentedLeafCountExampleCompilesAsAVisitorOfEveryLeaf() {
    class LeafCount implements PredicateVisitor<Integer> {
      public Integer and(List<BackupPredicate> operands) { return sum(operands); }
      public Integer or(List<BackupPredicate> operands) { return sum(operands); }
      public Integer not(BackupPredicate operand) { return operand.accept(this); }
      public Integer status(Set<BackupStatus> statuses) { return 1; }
      public Integer all() { return 1; }
      public Integer none() { return 1; }
      public Integer createdIn(TimeRange range) { return 1; }
      public Integer createdWithinLast(Duration window) { return 1; }
      public Integer nameContains(String text) { return 1; }
      public Integer serverNameContains(String text) { return 1; }
      public Integer backupId(String id) { return 1; }
      public Integer attribute(Attribute attribute, String value) { return 1; }
      public Integer tag(String key, List<String> values) { return 1; }
      public Integer stalled() { return 1; }
      private int sum(List<BackupPredicate> operands) {
        return operands.stream().mapToInt(p -> p.accept(this)).sum();
      }
    }
    // duplicates count once (deduplicated), nested ands are flattened, not(not(p)) is p
    BackupPredicate a = Predicates.nameContains("a");
    BackupPredicate b = Predicates.nameContains("B");
    assertEquals(2, Predicates.and(a, Predicates.and(b, a), Predicates.nameContains("A")).accept(new LeafCount()));
    assertEquals(4, Predicates.or(a, Predicates.not(Predicates.not(b)), Predicates.and(a, b)).accept(new LeafCount()));
    assertEquals(1, Predicates.and(Predicates.all(), Predicates.all()).accept(new LeafCount()));
  }

  // ---------------------------------------------------------------- (2) algebra

  @Test
  void normalizationExamplesOfThePredicatesJavadoc() {
    BackupPredicate a = Predicates.tag("env", "prod");
    BackupPredicate b = Predicates.nameContains("Web");
    BackupPredicate c = Predicates.stalled();
    // nested ands and ors are flattened and deduplicated
    assertEquals(Predicates.and(a, b, c), Predicates.and(Predicates.and(a, b), Predicates.and(c, a)));
    assertEquals(Predicates.or(a, b, c), Predicates.or(Predicates.or(Predicates.or(a), b), c, b));
    assertEquals("(name contains \"web\" AND stalled AND tag env=prod)", Predicates.and(c, b, a).toString());
    assertEquals("(name contains \"web\" OR stalled OR tag env=prod)", Predicates.or(a, c, b).toString());
    // an and inside an or is not flattened into it
    assertEquals("((stalled AND tag env=prod) OR name contains \"web\")", Predicates.or(b, Predicates.and(a, c)).toString());
    // all() disappears from an and, none() from an or; an and with none() is none()
    assertEquals(Predicates.and(a, b), Predicates.and(Predicates.all(), a, Predicates.all(), b));
    assertEquals(Predicates.or(a, b), Predicates.or(Predicates.none(), a, b, Predicates.none()));
    assertSame(Predicates.none(), Predicates.and(a, Predicates.or(), b));
    assertSame(Predicates.all(), Predicates.or(a, Predicates.and(), b));
    // not(not(p)) is p at any depth
    assertEquals(Predicates.and(a, b), Predicates.not(Predicates.not(Predicates.and(b, a))));
    assertEquals("NOT (name contains \"web\" AND tag env=prod)", Predicates.not(Predicates.and(b, a)).toString());
    // names lower-cased: equal criteria, equal values, equal hash codes
    assertEquals(Predicates.nameContains("ΣTRAßE"), Predicates.nameContains("σtraße"));
    assertEquals(Predicates.nameContains("ΣTRAßE").hashCode(), Predicates.nameContains("σtraße").hashCode());
    assertEquals(Predicates.serverNameContains("İ"), Predicates.serverNameContains("i̇"));
    // ids and attributes compared exactly: not lower-cased
    assertNotEquals(Predicates.backupId("ID-1"), Predicates.backupId("id-1"));
    assertNotEquals(Predicates.availabilityZone("EU-DE-01"), Predicates.availabilityZone("eu-de-01"));
    // a status criterion with every state is all(), and of several states is one criterion
    assertEquals(Predicates.status(BackupStatus.ERROR, BackupStatus.AVAILABLE),
        Predicates.status(List.of(BackupStatus.AVAILABLE, BackupStatus.ERROR, BackupStatus.AVAILABLE)));
    assertEquals("status in [Available, Error]", Predicates.status(BackupStatus.ERROR, BackupStatus.AVAILABLE).toString());
    assertEquals("status = Deleting", Predicates.status(BackupStatus.DELETING).toString());
    // equal tag criteria: values sorted, distinct, trimmed
    assertEquals(Predicates.tag("env", List.of("b", "a")), Predicates.tag(" env", List.of("a ", "b", " a")));
    assertEquals("tag env=*ro|a|b", Predicates.tag("env", List.of("b", "a", "*ro")).toString());
    assertEquals("tag env", Predicates.tag("env", List.of("a", "*")).toString());
    // operands compare by value, not by the instances given
    assertEquals(Predicates.and(Predicates.nameContains("x"), Predicates.tagKey("k")),
        Predicates.and(List.of(Predicates.tagKey(" k "), Predicates.nameContains("X"))));
  }

  /**
   * Two trees that are different criteria but print the same text: attribute values are printed
   * between quotes without escaping, so an or of server ids {@code a} and {@code b" OR server id = "c}
   * prints as the or of {@code a" OR server id = "b} and {@code c}.
   */
  private static final BackupPredicate X = Predicates.or(Predicates.serverId("a"), Predicates.serverId("b\" OR server id = \"c"));
  private static final BackupPredicate Y = Predicates.or(Predicates.serverId("a\" OR server id = \"b"), Predicates.serverId("c"));

  @Test
  void andOfTwoOperandsIsEqualWhateverTheirOrderEvenWhenTheyPrintTheSame() {
    assertEquals(Predicates.and(X, Y), Predicates.and(Y, X));
    assertEquals(Predicates.or(Predicates.not(X), Predicates.not(Y)), Predicates.or(Predicates.not(Y), Predicates.not(X)));
  }

  @Test
  void differentCriteriaPrintDifferentTexts() {
    assertNotEquals(X.toString(), Y.toString());
    assertNotEquals(Predicates.nameContains("a\" AND name contains \"b").toString(),
        Predicates.and(Predicates.nameContains("a"), Predicates.nameContains("b")).toString().replaceAll("^\\(|\\)$", ""));
  }

  @Test
  void todayAKeywordEndingInCapitalSigmaMissesANameThatHoldsItVerbatim() {
    Backup road = inState("r", "ΟΔΟΣΤΡΩΜΑ_01", VOL, NOW, BackupStatus.AVAILABLE, null);
    assertTrue(road.name().contains("ΟΔΟΣ"));
    assertFalse(Predicates.nameContains("ΟΔΟΣ").test(road, NOW, StallRule.DEFAULT));
    assertTrue(Predicates.nameContains("ΟΔΟΣΤ").test(road, NOW, StallRule.DEFAULT));
    assertTrue(Predicates.nameContains("οδοσ").test(road, NOW, StallRule.DEFAULT));
    // the indexed catalog answers the same (the plain evaluation is the reference)
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(road);
    assertEquals(0, catalog.count("p-1", Predicates.nameContains("ΟΔΟΣ")));
    assertEquals(1, catalog.count("p-1", Predicates.nameContains("ΟΔΟΣΤ")));
  }

  @Test
  void listsGivenToTheDslCanBeChangedAfterwardsWithoutChangingTheTree() {
    BackupPredicate a = Predicates.tag("env", "prod");
    BackupPredicate b = Predicates.nameContains("web");
    List<BackupPredicate> ops = new ArrayList<>(List.of(a, b));
    BackupPredicate and = Predicates.and(ops);
    BackupPredicate or = Predicates.or(ops);
    ops.add(Predicates.stalled());
    ops.set(0, Predicates.none());
    assertEquals("(name contains \"web\" AND tag env=prod)", and.toString());
    assertEquals("(name contains \"web\" OR tag env=prod)", or.toString());

    List<String> values = new ArrayList<>(List.of("b", "a"));
    BackupPredicate tag = Predicates.tag("env", values);
    values.clear();
    values.add("zz");
    assertEquals("tag env=a|b", tag.toString());

    EnumSet<BackupStatus> states = EnumSet.of(BackupStatus.ERROR);
    BackupPredicate status = Predicates.status(states);
    states.add(BackupStatus.AVAILABLE);
    assertEquals("status = Error", status.toString());

    ConsoleSearch search = ConsoleSearch.empty().withStatuses(states);
    states.add(BackupStatus.CREATING);
    assertEquals(EnumSet.of(BackupStatus.ERROR, BackupStatus.AVAILABLE), search.statuses());
  }

  @Test
  void whatTheVisitorIsHandedCannotChangeTheTree() {
    BackupPredicate tree = Predicates.and(Predicates.status(BackupStatus.ERROR, BackupStatus.CREATING),
        Predicates.tag("env", List.of("a", "b")), Predicates.or(Predicates.stalled(), Predicates.tagKey("x")));
    String before = tree.toString();
    List<String> accepted = new ArrayList<>();
    tree.accept(new Kind() {
      @Override public String status(Set<BackupStatus> s) {
        tryChange(() -> s.add(BackupStatus.AVAILABLE), "status set");
        return "";
      }
      @Override public String tag(String k, List<String> v) {
        tryChange(() -> v.add("c"), "tag values of " + k);
        return "";
      }
      @Override public String and(List<BackupPredicate> o) {
        tryChange(() -> o.remove(0), "and operands");
        o.forEach(p -> p.accept(this));
        return "";
      }
      @Override public String or(List<BackupPredicate> o) {
        tryChange(() -> o.add(Predicates.none()), "or operands");
        o.forEach(p -> p.accept(this));
        return "";
      }
      private void tryChange(Runnable change, String what) {
        try {
          change.run();
          accepted.add(what);
        } catch (UnsupportedOperationException expected) {
          // an immutable value
        }
      }
    });
    assertEquals(List.of(), accepted, "parts of a value that a visitor could change");
    assertEquals(before, tree.toString());
  }

  @Test
  void nullArgumentsAreRefusedNamingTheParameter() {
    BackupPredicate p = Predicates.stalled();
    Backup b = inState("b", "n", WEB, NOW, BackupStatus.AVAILABLE, null);
    npeNaming("operands", () -> Predicates.and((List<BackupPredicate>) null));
    npeNaming("operands", () -> Predicates.and((BackupPredicate[]) null));
    npeNaming("operands[1]", () -> Predicates.and(p, null));
    npeNaming("operands[2]", () -> Predicates.or(Arrays.asList(p, p, null)));
    npeNaming("operand", () -> Predicates.not(null));
    npeNaming("statuses", () -> Predicates.status((Collection<BackupStatus>) null));
    npeNaming("statuses[1]", () -> Predicates.status(Arrays.asList(BackupStatus.ERROR, null)));
    npeNaming("status", () -> Predicates.status((BackupStatus) null));
    npeNaming("more[0]", () -> Predicates.status(BackupStatus.ERROR, (BackupStatus) null));
    npeNaming("more", () -> Predicates.status(BackupStatus.ERROR, (BackupStatus[]) null));
    npeNaming("range", () -> Predicates.createdIn(null));
    npeNaming("from", () -> Predicates.createdBetween(null, NOW));
    npeNaming("to", () -> Predicates.createdBetween(NOW, null));
    npeNaming("window", () -> Predicates.createdWithinLast(null));
    npeNaming("field", () -> Predicates.keyword(null, "x"));
    npeNaming("id", () -> Predicates.backupId(null));
    npeNaming("attribute", () -> Predicates.attribute(null, "x"));
    npeNaming("value", () -> Predicates.attribute(Attribute.SERVER_ID, null));
    npeNaming("type", () -> Predicates.type(null));
    npeNaming("trigger", () -> Predicates.trigger(null));
    npeNaming("key", () -> Predicates.tag(null, "v"));
    npeNaming("key", () -> Predicates.tagKey(null));
    npeNaming("value", () -> Predicates.tag("k", (String) null));
    npeNaming("values", () -> Predicates.tag("k", (Collection<String>) null));
    npeNaming("backup", () -> p.test(null, NOW, StallRule.DEFAULT));
    npeNaming("now", () -> p.test(b, null, StallRule.DEFAULT));
    npeNaming("stallRule", () -> p.test(b, NOW, null));
    npeNaming("clock", () -> p.test(b, (Clock) null));
    npeNaming("backup", () -> Predicates.and(p, Predicates.tagKey("k")).test(null, NOW, StallRule.DEFAULT));
    npeNaming("visitor", () -> p.accept(null));
    npeNaming("visitor", () -> Predicates.and(p, Predicates.tagKey("k")).accept(null));
    npeNaming("backup", () -> Attribute.POLICY_ID.valueOf((Backup) null));
    // ConsoleSearch
    ConsoleSearch s = ConsoleSearch.empty();
    npeNaming("status", () -> s.withStatus(null));
    npeNaming("statuses", () -> s.withStatuses(null));
    npeNaming("range", () -> s.withTimeRange(null));
    npeNaming("window", () -> s.withCreatedWithinLast(null));
    npeNaming("field", () -> s.withKeyword(null, "x"));
    npeNaming("key", () -> s.withTag(null, "x"));
    npeNaming("value", () -> s.withTag("k", null));
    npeNaming("key", () -> s.withoutTag(null, "x"));
    npeNaming("value", () -> s.withoutTag("k", null));
    npeNaming("existing", () -> s.toPredicate(null));
    npeNaming("existing", () -> s.toQuery(null, 10));
    // Query
    npeNaming("predicate", () -> Query.where(null));
    npeNaming("predicate", () -> Query.builder().where(null));
    npeNaming("sort", () -> Query.builder().sort(null));
    npeNaming("marker", () -> Query.all().after(null));
    npeNaming("field", () -> new SortKey(null, true));
    npeNaming("field", () -> SortKey.asc(null));
    npeNaming("first", () -> Sort.by((SortKey) null));
    npeNaming("keys", () -> Sort.by((List<SortKey>) null));
    npeNaming("sort", () -> Sort.parse(null));
  }

  @Test
  void theAttributeShortcutsNameTheirOwnParameterWhenNull() {
    npeNaming("serverId", () -> Predicates.serverId(null));
    npeNaming("zone", () -> Predicates.availabilityZone(null));
    npeNaming("resourceType", () -> Predicates.resourceType(null));
    npeNaming("policyId", () -> Predicates.policyId(null));
  }

  @Test
  void aNullArrayOfMoreIsRefusedNamingItsParameter() {
    npeNaming("more", () -> ConsoleSearch.empty().withStatus(BackupStatus.ERROR, (BackupStatus[]) null));
    npeNaming("more", () -> Sort.by(SortKey.asc(SortField.NAME), (SortKey[]) null));
    npeNaming("more[0]", () -> ConsoleSearch.empty().withStatus(BackupStatus.ERROR, (BackupStatus) null));
    npeNaming("statuses[1]", () -> ConsoleSearch.empty().withStatuses(Arrays.asList(BackupStatus.ERROR, null)));
  }

  @Test
  void emptyAndBlankArgumentsAreRefusedNamingTheCriterion() {
    refused("status", () -> Predicates.status(List.of()));
    refused("status", () -> Predicates.status(EnumSet.noneOf(BackupStatus.class)));
    refused("keyword", () -> Predicates.nameContains(""));
    refused("keyword", () -> Predicates.serverNameContains("\u3000\t"));
    refused("keyword", () -> Predicates.keyword(KeywordField.SERVER_ID, " "));
    refused("backup id", () -> Predicates.backupId(""));
    refused("server id", () -> Predicates.serverId(""));
    refused("availability zone", () -> Predicates.availabilityZone(" "));
    refused("resource type", () -> Predicates.resourceType("\n"));
    refused("policy id", () -> Predicates.policyId(""));
    refused("backup type", () -> Predicates.attribute(Attribute.BACKUP_TYPE, "enhanced"));
    refused("backup type", () -> Predicates.attribute(Attribute.BACKUP_TYPE, " ENHANCED"));
    refused("trigger", () -> Predicates.attribute(Attribute.TRIGGER, "AUTO"));
    refused("tag key", () -> Predicates.tag("", "v"));
    refused("tag key", () -> Predicates.tagKey(" "));
    refused("tag value", () -> Predicates.tag("k", "a b"));
    refused("tag value", () -> Predicates.tag("k", List.of("ok", "*a b")));
    refused("tag value", () -> Predicates.tag("k", List.of("**a")));
    refused("tag values", () -> Predicates.tag("k", List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*")));
    refused("time window", () -> Predicates.createdWithinLast(Duration.ZERO));
    refused("time window", () -> Predicates.createdWithinLast(Duration.ofNanos(-1)));
    refused("time window", () -> Predicates.createdWithinLast(Predicates.MAX_WINDOW.plusNanos(1)));
    // ten values repeated once trimmed count once
    assertEquals("tag k=0|1|2|3|4|5|6|7|8|9", Predicates.tag("k", List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
        " 9", "0 ")).toString());
  }

  @Test
  void attributeValuesOnOddBackupsAndExactComparison() {
    Backup web = base("w", "n", WEB, NOW).status(BackupStatus.AVAILABLE).build();
    Backup vol = base("v", "n", VOL, NOW).status(BackupStatus.AVAILABLE).trigger(BackupTrigger.AUTOMATIC)
        .policyId("pol-ü").type(BackupType.ENHANCED).build();
    assertEquals("srv-ÄÖ-1", Attribute.SERVER_ID.valueOf(web));
    assertEquals("eu-de-02", Attribute.AVAILABILITY_ZONE.valueOf(web));
    assertEquals(Server.NOVA_SERVER, Attribute.RESOURCE_TYPE.valueOf(web));
    assertEquals(null, Attribute.POLICY_ID.valueOf(web));
    assertEquals("COMMON", Attribute.BACKUP_TYPE.valueOf(web));
    assertEquals("MANUAL", Attribute.TRIGGER.valueOf(web));
    assertEquals("vol 'x' \"y\"", Attribute.SERVER_ID.valueOf(vol));
    assertEquals("zone-日本", Attribute.AVAILABILITY_ZONE.valueOf(vol));
    assertEquals("OS::Cinder::Volume", Attribute.RESOURCE_TYPE.valueOf(vol));
    assertEquals("pol-ü", Attribute.POLICY_ID.valueOf(vol));
    assertEquals("ENHANCED", Attribute.BACKUP_TYPE.valueOf(vol));
    assertEquals("AUTOMATIC", Attribute.TRIGGER.valueOf(vol));
    assertEquals(List.of("server id", "availability zone", "resource type", "policy id", "backup type", "trigger"),
        Arrays.stream(Attribute.values()).map(Attribute::toString).collect(Collectors.toList()));
    // a backup without a policy never matches a policy id, and its negation matches it
    assertFalse(Predicates.policyId("pol-ü").test(web, NOW, StallRule.DEFAULT));
    assertTrue(Predicates.not(Predicates.policyId("pol-ü")).test(web, NOW, StallRule.DEFAULT));
    assertTrue(Predicates.policyId("pol-ü").test(vol, NOW, StallRule.DEFAULT));
    // exactly: no case folding, no trimming
    for (Attribute a : Attribute.values()) {
      String value = a.valueOf(vol);
      assertTrue(Predicates.attribute(a, value).test(vol, NOW, StallRule.DEFAULT), a + " " + value);
      if (a != Attribute.BACKUP_TYPE && a != Attribute.TRIGGER) {
        assertFalse(Predicates.attribute(a, value.toUpperCase(Locale.ROOT)).test(vol, NOW, StallRule.DEFAULT), a + " upper");
        assertFalse(Predicates.attribute(a, " " + value).test(vol, NOW, StallRule.DEFAULT), a + " with a space");
      }
    }
    // the longest value, in code points, for every attribute that takes free text
    String longest = "𐐀".repeat(Predicates.MAX_KEYWORD_LENGTH);
    for (Attribute a : List.of(Attribute.SERVER_ID, Attribute.AVAILABILITY_ZONE, Attribute.RESOURCE_TYPE, Attribute.POLICY_ID)) {
      assertEquals(a + " = \"" + longest + "\"", Predicates.attribute(a, longest).toString());
      refused(a.toString(), () -> Predicates.attribute(a, longest + "x"));
    }
    // every constant of the type and trigger is accepted, as its name
    for (BackupType t : BackupType.values()) {
      assertEquals(Predicates.type(t), Predicates.attribute(Attribute.BACKUP_TYPE, t.name()));
    }
    for (BackupTrigger t : BackupTrigger.values()) {
      assertEquals(Predicates.trigger(t), Predicates.attribute(Attribute.TRIGGER, t.name()));
    }
  }

  @Test
  void rangesWithOpenEndsAtTheEndsOfTime() {
    Backup first = base("a", "n", WEB, Instant.parse("1970-01-01T00:00:00Z")).status(BackupStatus.AVAILABLE).build();
    Backup later = base("b", "n", WEB, NOW).status(BackupStatus.AVAILABLE).build();
    BackupPredicate upToNow = Predicates.createdIn(TimeRange.until(NOW));
    BackupPredicate beforeNow = Predicates.createdIn(TimeRange.before(NOW));
    BackupPredicate fromNow = Predicates.createdIn(TimeRange.from(NOW));
    BackupPredicate afterNow = Predicates.createdIn(TimeRange.of(NOW, false, null, true));
    assertTrue(upToNow.test(later, NOW, StallRule.DEFAULT));
    assertFalse(beforeNow.test(later, NOW, StallRule.DEFAULT));
    assertTrue(fromNow.test(later, NOW, StallRule.DEFAULT));
    assertFalse(afterNow.test(later, NOW, StallRule.DEFAULT));
    assertTrue(beforeNow.test(first, NOW, StallRule.DEFAULT));
    assertEquals("created in (-inf, 2026-11-24T10:00:00Z)", beforeNow.toString());
    assertEquals("created in (2026-11-24T10:00:00Z, +inf)", afterNow.toString());
    // the bounds of every instant are a range like any other, holding every backup
    BackupPredicate everyInstant = Predicates.createdBetween(Instant.MIN, Instant.MAX);
    assertTrue(everyInstant.test(first, NOW, StallRule.DEFAULT));
    assertTrue(everyInstant.test(later, NOW, StallRule.DEFAULT));
    assertFalse(Predicates.createdIn(TimeRange.before(Instant.MIN)).test(first, NOW, StallRule.DEFAULT));
    assertTrue(Predicates.createdIn(TimeRange.until(Instant.MAX)).test(later, NOW, StallRule.DEFAULT));
    // a window at the first instants reaches back to Instant.MIN: it holds what is up to now
    BackupPredicate longest = Predicates.createdWithinLast(Predicates.MAX_WINDOW);
    assertTrue(longest.test(first, NOW, StallRule.DEFAULT));
    assertFalse(longest.test(later, Instant.MIN.plusSeconds(5), StallRule.DEFAULT));
    assertTrue(Predicates.createdWithinLast(Duration.ofNanos(1)).test(later, NOW, StallRule.DEFAULT));
    assertTrue(Predicates.createdWithinLast(Duration.ofNanos(1)).test(later, NOW.plusNanos(1), StallRule.DEFAULT));
    assertFalse(Predicates.createdWithinLast(Duration.ofNanos(1)).test(later, NOW.plusNanos(2), StallRule.DEFAULT));
    assertFalse(Predicates.createdWithinLast(Duration.ofDays(1)).test(later, NOW.minusNanos(1), StallRule.DEFAULT));
    assertEquals("created within last 1 day", Predicates.createdWithinLast(Duration.ofHours(24)).toString());
    assertEquals("created within last 36 hours", Predicates.createdWithinLast(Duration.ofHours(36)).toString());
    assertEquals(Predicates.createdWithinLast(Duration.ofDays(1)), Predicates.createdWithinLast(Duration.ofMinutes(1440)));
  }

  @Test
  void backupsAtTheFirstAndLastInstantsUnderEveryTimeCriterion() {
    StallRule r = StallRule.DEFAULT;
    Backup first = inState("min", "n", WEB, Instant.MIN, BackupStatus.CREATING, Instant.MIN);
    Backup last = base("max", "n", WEB, Instant.MAX).status(BackupStatus.AVAILABLE).build();
    Instant early = Instant.MIN.plusSeconds(10);
    assertTrue(Predicates.createdWithinLast(Predicates.MAX_WINDOW).test(first, early, r), "a window reaching before MIN");
    assertTrue(Predicates.createdWithinLast(Duration.ofNanos(1)).test(first, Instant.MIN, r));
    assertFalse(Predicates.createdWithinLast(Duration.ofSeconds(9)).test(first, early, r));
    assertTrue(Predicates.createdWithinLast(Duration.ofSeconds(10)).test(first, early, r));
    assertTrue(Predicates.createdWithinLast(Duration.ofNanos(1)).test(last, Instant.MAX, r));
    assertFalse(Predicates.createdWithinLast(Predicates.MAX_WINDOW).test(last, Instant.MAX.minusNanos(1), r));
    assertTrue(Predicates.createdIn(TimeRange.until(Instant.MIN)).test(first, early, r));
    assertFalse(Predicates.createdIn(TimeRange.before(Instant.MIN)).test(first, early, r));
    assertFalse(Predicates.createdIn(TimeRange.of(Instant.MIN, false, null, true)).test(first, early, r));
    assertTrue(Predicates.createdIn(TimeRange.from(Instant.MAX)).test(last, early, r));
    assertFalse(Predicates.createdIn(TimeRange.before(Instant.MAX)).test(last, early, r));
    assertTrue(Predicates.createdBetween(Instant.MIN, Instant.MAX).test(first, early, r));
    assertTrue(Predicates.createdBetween(Instant.MIN, Instant.MAX).test(last, early, r));
    // stalled: a progress at MIN is stalled once more than the threshold has passed, not at it
    assertFalse(Predicates.stalled().test(first, Instant.MIN.plus(StallRule.DEFAULT_THRESHOLD), r));
    assertTrue(Predicates.stalled().test(first, Instant.MIN.plus(StallRule.DEFAULT_THRESHOLD).plusNanos(1), r));
    assertTrue(Predicates.stalled().test(first, Instant.MAX, r));
    assertFalse(Predicates.stalled().test(first, Instant.MAX, StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE))));
    // the evaluator written from the docs agrees at the ends of time
    for (Instant now : List.of(Instant.MIN, early, NOW, Instant.MAX)) {
      for (BackupPredicate p : List.of(Predicates.stalled(), Predicates.createdWithinLast(Predicates.MAX_WINDOW),
          Predicates.createdWithinLast(Duration.ofNanos(1)), Predicates.not(Predicates.createdWithinLast(Duration.ofDays(1))))) {
        for (Backup b : List.of(first, last)) {
          assertEquals(p.accept(new Evaluator(now, r)).test(b), p.test(b, now, r), p + " on " + b.id() + " at " + now);
        }
      }
    }
  }

  @Test
  void stalledAtTheThresholdAndOnlyForRunningJobs() {
    Instant changed = NOW.minus(StallRule.DEFAULT_THRESHOLD);
    Backup atThreshold = inState("a", "n", WEB, NOW.minus(Duration.ofHours(2)), BackupStatus.DELETING, changed);
    BackupPredicate stalled = Predicates.stalled();
    assertFalse(stalled.test(atThreshold, NOW, StallRule.DEFAULT), "at exactly the threshold it is not yet");
    assertTrue(stalled.test(atThreshold, NOW.plusNanos(1), StallRule.DEFAULT));
    assertFalse(Predicates.not(stalled).test(atThreshold, NOW.plusNanos(1), StallRule.DEFAULT));
    assertTrue(stalled.test(atThreshold, NOW, StallRule.ofThreshold(Duration.ofMinutes(29))));
    for (BackupStatus stable : List.of(BackupStatus.AVAILABLE, BackupStatus.ERROR)) {
      Backup b = inState("s", "n", WEB, NOW.minus(Duration.ofDays(300)), stable, null);
      assertFalse(stalled.test(b, NOW, StallRule.ofThreshold(Duration.ofNanos(1))), stable.toString());
    }
  }

  @Test
  void tagCriteriaOnOddValues() {
    Backup b = inState("t", "n", WEB, NOW, BackupStatus.AVAILABLE, null,
        Tag.of("ключ", "значение"), Tag.of("env", ""), Tag.of("Env", "Prod-1"));
    StallRule r = StallRule.DEFAULT;
    assertTrue(Predicates.tag("ключ", "значение").test(b, NOW, r));
    assertTrue(Predicates.tag("ключ", List.of("*наче")).test(b, NOW, r));
    assertTrue(Predicates.tag("env", "").test(b, NOW, r), "an empty value is a value");
    assertTrue(Predicates.tagKey("env").test(b, NOW, r));
    assertFalse(Predicates.tag("env", "Prod-1").test(b, NOW, r), "keys compared exactly");
    assertTrue(Predicates.tag("Env", "Prod-1").test(b, NOW, r));
    assertFalse(Predicates.tag("Env", "prod-1").test(b, NOW, r), "values compared exactly");
    assertTrue(Predicates.tag("Env", List.of("*od-", "x")).test(b, NOW, r));
    assertFalse(Predicates.tag("Env", List.of("*OD")).test(b, NOW, r));
    assertTrue(Predicates.tag("Env", List.of("*")).test(b, NOW, r));
    assertFalse(Predicates.tagKey("missing").test(b, NOW, r));
    assertTrue(Predicates.not(Predicates.tagKey("missing")).test(b, NOW, r));
    // the longest key and value
    String key = "k".repeat(Tag.MAX_KEY_LENGTH);
    String value = "𐐀".repeat(Tag.MAX_VALUE_LENGTH);
    Backup c = inState("c", "n", WEB, NOW, BackupStatus.AVAILABLE, null, Tag.of(key, value));
    assertTrue(Predicates.tag(key, value).test(c, NOW, r));
    assertTrue(Predicates.tag(key, List.of("*" + value)).test(c, NOW, r));
    refused("tag value", () -> Predicates.tag(key, value + "x"));
    refused("tag key", () -> Predicates.tagKey(key + "k"));
  }

  // ---------------------------------------------------------------- (3) ConsoleSearch and Query

  @Test
  void consoleSearchToStringAsItsJavadocShowsAndItsDefaults() {
    ConsoleSearch s = ConsoleSearch.empty()
        .withStatus(BackupStatus.AVAILABLE, BackupStatus.ERROR)
        .withLastDays(7)
        .withKeyword(KeywordField.SERVER_NAME, "web")
        .withTag("env", "prod");
    assertEquals("ConsoleSearch{status in [Available, Error], created within last 7 days, server name \"web\", tags [env=prod]}",
        s.toString());
    assertEquals("ConsoleSearch{all}", ConsoleSearch.empty().toString());
    assertEquals("ConsoleSearch{all}", s.reset().toString());
    assertEquals(ConsoleSearch.empty(), s.reset());
    ConsoleSearch e = ConsoleSearch.empty();
    assertTrue(e.allStatuses());
    assertEquals(EnumSet.allOf(BackupStatus.class), e.statuses());
    assertEquals(java.util.Optional.empty(), e.timeRange());
    assertEquals(java.util.Optional.empty(), e.createdWithinLast());
    assertEquals(java.util.Optional.empty(), e.keyword());
    assertEquals(java.util.Optional.empty(), e.keywordField());
    assertEquals(List.of(), e.tags());
    assertSame(Predicates.all(), e.toPredicate(TagCatalogue.empty()));
    // choosing all five is "All statuses", and so are the ways back to it
    ConsoleSearch five = ConsoleSearch.empty().withStatuses(EnumSet.allOf(BackupStatus.class));
    assertEquals(ConsoleSearch.empty(), five);
    assertEquals(ConsoleSearch.empty().hashCode(), five.hashCode());
    assertEquals("ConsoleSearch{all}", five.toString());
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withStatus(BackupStatus.ERROR).withAllStatuses());
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE, BackupStatus.CREATING,
        BackupStatus.RESTORING, BackupStatus.DELETING, BackupStatus.ERROR));
    // each field's text in toString
    assertEquals("ConsoleSearch{status = Deleting, created in [2026-11-24T10:00:00Z, +inf), backup id \"B 1\"}",
        ConsoleSearch.empty().withStatus(BackupStatus.DELETING).withTimeRange(TimeRange.from(NOW))
            .withKeyword(KeywordField.BACKUP_ID, "  B 1\t").toString());
    assertEquals("ConsoleSearch{created within last 36 hours, server id \"srv\", tags [env=prod, app=]}",
        ConsoleSearch.empty().withCreatedWithinLast(Duration.ofHours(36)).withKeyword(KeywordField.SERVER_ID, "srv")
            .withTag(" env ", " prod ").withTag("app", "").toString());
    assertEquals("ConsoleSearch{backup name \"ÀB\"}",
        ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, "\u3000ÀB ").toString());
  }

  @Test
  void consoleSearchSegmentsReplaceEachOtherAndTheUnboundedRangeIsNoSegment() {
    ConsoleSearch window = ConsoleSearch.empty().withLastDays(7);
    ConsoleSearch range = window.withTimeRange(TimeRange.before(NOW));
    assertEquals(java.util.Optional.empty(), range.createdWithinLast());
    assertEquals(java.util.Optional.of(TimeRange.before(NOW)), range.timeRange());
    ConsoleSearch back = range.withLastDays(7);
    assertEquals(window, back);
    assertEquals(java.util.Optional.empty(), back.timeRange());
    assertEquals(ConsoleSearch.empty(), window.withTimeRange(TimeRange.all()));
    assertEquals(ConsoleSearch.empty(), range.withTimeRange(TimeRange.of(null, false, null, false)));
    assertEquals(ConsoleSearch.empty(), range.withoutTimeSegment());
    assertEquals(ConsoleSearch.empty().withLastDays(1), ConsoleSearch.empty().withCreatedWithinLast(Duration.ofHours(24)));
    refused("time window", () -> window.withLastDays(0));
    refused("time window", () -> window.withLastDays(-1));
    refused("time window", () -> window.withLastDays(36_501));
    assertEquals(java.util.Optional.of(Predicates.MAX_WINDOW), window.withLastDays(36_500).createdWithinLast());
    // a refused change leaves the search as it was (a value)
    assertEquals(java.util.Optional.of(Duration.ofDays(7)), window.createdWithinLast());
    // the predicate is the and of the criteria
    TagCatalogue existing = TagCatalogue.of(Map.of("env", List.of("prod", "dev")));
    assertEquals(Predicates.and(Predicates.createdIn(TimeRange.before(NOW)), Predicates.status(BackupStatus.ERROR)),
        range.withStatus(BackupStatus.ERROR).toPredicate(existing));
    assertEquals(Predicates.createdWithinLast(Duration.ofDays(7)), window.toPredicate(existing));
  }

  @Test
  void consoleSearchKeywordsAndTagsAsValues() {
    TagCatalogue existing = TagCatalogue.of(Map.of("env", List.of("prod", "dev"), "app", List.of("shop")));
    ConsoleSearch s = ConsoleSearch.empty();
    // the same keyword differing in case: unequal searches, equal predicates
    ConsoleSearch upper = s.withKeyword(KeywordField.BACKUP_NAME, "WEB");
    ConsoleSearch lower = s.withKeyword(KeywordField.BACKUP_NAME, " web ");
    assertNotEquals(upper, lower);
    assertEquals(upper.toPredicate(existing), lower.toPredicate(existing));
    assertEquals(java.util.Optional.of("web"), lower.keyword());
    // id keywords compared exactly: different predicates
    assertNotEquals(s.withKeyword(KeywordField.SERVER_ID, "A").toPredicate(existing),
        s.withKeyword(KeywordField.SERVER_ID, "a").toPredicate(existing));
    assertEquals(Predicates.serverId("srv 1"), s.withKeyword(KeywordField.SERVER_ID, " srv 1 ").toPredicate(existing));
    assertEquals(Predicates.backupId("b"), s.withKeyword(KeywordField.BACKUP_ID, "b\u2003").toPredicate(existing));
    // a keyword replaces the other, whatever its field
    assertEquals(s.withKeyword(KeywordField.BACKUP_ID, "b"), upper.withKeyword(KeywordField.BACKUP_ID, "b"));
    assertEquals(s, upper.withoutKeyword());
    refused("keyword", () -> s.withKeyword(KeywordField.BACKUP_NAME, " \t "));
    refused("keyword", () -> s.withKeyword(KeywordField.SERVER_ID, "x".repeat(256)));
    refused("keyword", () -> s.withKeyword(KeywordField.SERVER_NAME, "a\uD800"));
    // tags in order: the order makes the search, not the predicate
    ConsoleSearch ab = s.withTag("env", "prod").withTag("app", "shop");
    ConsoleSearch ba = s.withTag("app", "shop").withTag("env", "prod");
    assertNotEquals(ab, ba);
    assertEquals(ab.toPredicate(existing), ba.toPredicate(existing));
    assertEquals(List.of(Tag.of("env", "prod"), Tag.of("app", "shop")), ab.tags());
    assertSame(ab, ab.withTag(" env", "prod "));
    assertSame(ab, ab.withoutTag("env", "dev"));
    assertEquals(s.withTag("app", "shop"), ab.withoutTag(" env ", "prod"));
    assertEquals(s, ab.withoutTags());
    // two values of a key: no backup
    BackupPredicate both = s.withTag("env", "prod").withTag("env", "dev").toPredicate(existing);
    Backup prod = inState("p", "n", WEB, NOW, BackupStatus.AVAILABLE, null, Tag.of("env", "prod"));
    assertFalse(both.test(prod, NOW, StallRule.DEFAULT));
    assertTrue(s.withTag("env", "prod").toPredicate(existing).test(prod, NOW, StallRule.DEFAULT));
    // a tag pair of the form is exact: a catalogue's value never matches another one containing it
    TagCatalogue withPro = TagCatalogue.of(Map.of("env", List.of("pro", "prod")));
    assertFalse(s.withTag("env", "pro").toPredicate(withPro).test(prod, NOW, StallRule.DEFAULT));
    // the pair checked against the catalogue when searching
    refused("tag key", () -> ab.toPredicate(TagCatalogue.of(Map.of("env", List.of("prod")))));
    refused("tag value", () -> ab.toPredicate(TagCatalogue.of(Map.of("env", List.of("dev"), "app", List.of("shop")))));
    refused("tag key", () -> ab.toQuery(TagCatalogue.empty(), 20));
    // the search is immutable
    assertThrows(UnsupportedOperationException.class, () -> ab.tags().add(Tag.of("x", "y")));
    assertThrows(UnsupportedOperationException.class, () -> ab.statuses().remove(BackupStatus.ERROR));
    assertThrows(UnsupportedOperationException.class,
        () -> ab.withStatus(BackupStatus.ERROR).statuses().add(BackupStatus.AVAILABLE));
    assertEquals(ab, s.withTag("env", "prod").withTag("app", "shop"));
    assertEquals(ab.hashCode(), s.withTag("env", "prod").withTag("app", "shop").hashCode());
  }

  @Test
  void todayAKeywordsSurroundingNoBreakSpacesAreKeptAndFindNoName() {
    ConsoleSearch s = ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, "\u00A0web\u00A0");
    assertEquals(java.util.Optional.of("\u00A0web\u00A0"), s.keyword());
    Backup web = inState("w", "autobk_web_01", WEB, NOW, BackupStatus.AVAILABLE, null);
    assertFalse(s.toPredicate(TagCatalogue.empty()).test(web, NOW, StallRule.DEFAULT));
    // the white space String.strip removes is removed, and the length counts after it
    assertEquals(java.util.Optional.of("web"),
        ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, "\u2003\u3000 web\t\n").keyword());
    String longest = "a".repeat(Predicates.MAX_KEYWORD_LENGTH);
    assertEquals(java.util.Optional.of(longest),
        ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, "  " + longest + "  ").keyword());
  }

  @Test
  void theFirstPairNotInTheCatalogueIsTheOneRefused() {
    TagCatalogue existing = TagCatalogue.of(Map.of("env", List.of("prod"), "app", List.of("shop")));
    ConsoleSearch s = ConsoleSearch.empty().withTag("env", "dev").withTag("team", "x");
    InvalidValueException e = refused("tag value", () -> s.toPredicate(existing));
    assertTrue(e.getMessage().contains("dev") && e.getMessage().contains("prod"), e.getMessage());
    InvalidValueException f = refused("tag key", () -> ConsoleSearch.empty().withTag("team", "x").withTag("env", "dev")
        .toPredicate(existing));
    assertTrue(f.getMessage().contains("team") && f.getMessage().contains("[app, env]"), f.getMessage());
  }

  @Test
  void consoleSearchToQueryLimitsAndDefaults() {
    TagCatalogue existing = TagCatalogue.empty();
    ConsoleSearch s = ConsoleSearch.empty().withStatus(BackupStatus.ERROR);
    Query q = s.toQuery(existing, 1);
    assertEquals(1, q.limit());
    assertEquals(Sort.DEFAULT, q.sort());
    assertEquals(0, q.offset());
    assertEquals(java.util.Optional.empty(), q.marker());
    assertEquals(Predicates.status(BackupStatus.ERROR), q.predicate());
    assertEquals(1000, s.toQuery(existing, 1000).limit());
    refused("limit", () -> s.toQuery(existing, 0));
    refused("limit", () -> s.toQuery(existing, 1001));
    refused("limit", () -> s.toQuery(existing, Integer.MIN_VALUE));
    assertEquals(Query.builder().limit(20).build(), ConsoleSearch.empty().toQuery(existing, 20));
  }

  @Test
  void queryDefaultsBoundsAndTheMarkerOffsetRule() {
    Query all = Query.all();
    assertEquals(Query.builder().build(), all);
    assertEquals(Query.where(Predicates.all()), all);
    assertEquals(Query.DEFAULT_LIMIT, all.limit());
    assertEquals(1000, Query.MAX_LIMIT);
    assertSame(Predicates.all(), all.predicate());
    assertTrue(all.sort().isDefault());
    assertEquals(0, all.offset());
    assertEquals(java.util.Optional.empty(), all.marker());
    assertEquals("Query{where all, sort created_at:desc, limit 1000}", all.toString());
    Query q = Query.builder().where(Predicates.and(Predicates.tag("env", "prod"), Predicates.status(BackupStatus.AVAILABLE)))
        .limit(20).marker("x").build();
    assertEquals("Query{where (status = Available AND tag env=prod), sort created_at:desc, limit 20, after x}", q.toString());
    assertEquals("Query{where none, sort name:asc,id:desc, limit 1, offset 9223372036854775807}",
        Query.builder().where(Predicates.none()).sort(Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.ID)))
            .limit(1).offset(Long.MAX_VALUE).build().toString());
    // both a marker and an offset: refused naming the marker, and the message tells the offset
    InvalidValueException both = refused("marker", () -> Query.builder().offset(5).marker("m").build());
    assertTrue(both.getMessage().contains("offset"), both.getMessage());
    refused("marker", () -> Query.builder().marker("m").offset(1).build());
    refused("marker", () -> Query.builder().marker(" "));
    refused("marker", () -> Query.builder().marker(""));
    refused("marker", () -> Query.all().after("\t"));
    refused("offset", () -> Query.builder().offset(-1));
    refused("limit", () -> Query.builder().limit(0));
    refused("limit", () -> Query.builder().limit(1001));
    // a marker cleared with null, or an offset of 0, is no combination
    assertEquals(5, Query.builder().marker("m").marker(null).offset(5).build().offset());
    assertEquals(java.util.Optional.of("m"), Query.builder().offset(5).offset(0).marker("m").build().marker());
    // after: the same query after the marker, without the offset
    Query byOffset = Query.builder().where(Predicates.stalled()).limit(7).offset(40).build();
    Query next = byOffset.after("b-9");
    assertEquals(0, next.offset());
    assertEquals(java.util.Optional.of("b-9"), next.marker());
    assertEquals(Predicates.stalled(), next.predicate());
    assertEquals(7, next.limit());
    assertEquals(java.util.Optional.of("b-10"), next.after("b-10").marker());
    assertEquals(40, byOffset.offset());
    // toBuilder keeps every value; a builder used again does not change what it built
    assertEquals(q, q.toBuilder().build());
    assertEquals(q.hashCode(), q.toBuilder().build().hashCode());
    Query.Builder builder = Query.builder().limit(3);
    Query built = builder.build();
    builder.limit(4).where(Predicates.stalled());
    assertEquals(3, built.limit());
    assertSame(Predicates.all(), built.predicate());
    assertNotEquals(built, builder.build());
    // a refused value leaves the builder as it was
    Query.Builder kept = Query.builder().limit(9);
    assertThrows(InvalidValueException.class, () -> kept.limit(0));
    assertEquals(9, kept.build().limit());
  }

  @Test
  void queriesAreEqualWhenBuiltTheSameWayWhateverTheOrderOfOperandsAndSetters() {
    BackupPredicate a = Predicates.tag("env", "prod");
    BackupPredicate b = Predicates.nameContains("Web");
    Query one = Query.builder().limit(5).where(Predicates.and(a, b)).sort(Sort.parse("name:asc")).build();
    Query two = Query.builder().sort(Sort.by(SortKey.asc(SortField.NAME))).where(Predicates.and(b, a)).limit(5).build();
    assertEquals(one, two);
    assertEquals(one.hashCode(), two.hashCode());
    assertEquals(one.toString(), two.toString());
    assertNotEquals(one, one.toBuilder().limit(6).build());
    assertNotEquals(one, one.after("m"));
    assertNotEquals(one, one.toBuilder().offset(1).build());
    assertNotEquals(one, one.toBuilder().sort(Sort.parse("name:desc")).build());
    assertEquals(Query.where(Predicates.all()), Query.builder().sort(Sort.parse("created_at")).build());
  }

  @Test
  void sortFieldsApiNamesAndComparatorsAsDocumented() {
    assertEquals(List.of("created_at", "updated_at", "name", "status", "id"),
        Arrays.stream(SortField.values()).map(SortField::apiName).collect(Collectors.toList()));
    // status in the order Available, Creating, Restoring, Deleting, Error
    List<Backup> byStatus = new ArrayList<>();
    BackupStatus[] order = {BackupStatus.ERROR, BackupStatus.DELETING, BackupStatus.AVAILABLE, BackupStatus.RESTORING,
        BackupStatus.CREATING};
    for (int i = 0; i < order.length; i++) {
      byStatus.add(inState("s" + i, "n", WEB, NOW, order[i], NOW));
    }
    byStatus.sort(Sort.by(SortKey.asc(SortField.STATUS)).comparator());
    assertEquals(List.of(BackupStatus.AVAILABLE, BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING,
        BackupStatus.ERROR), byStatus.stream().map(Backup::status).collect(Collectors.toList()));
    // names char by char: upper case first, a letter outside the BMP before U+E000..U+FFFF
    List<Backup> byName = new ArrayList<>();
    for (String n : List.of("b", "B", "\uFF21x", "𐐀", "a", "A")) {
      byName.add(base("id-" + byName.size(), n, WEB, NOW).status(BackupStatus.AVAILABLE).build());
    }
    byName.sort(Sort.by(SortKey.asc(SortField.NAME)).comparator());
    assertEquals(List.of("A", "B", "a", "b", "𐐀", "\uFF21x"), byName.stream().map(Backup::name).collect(Collectors.toList()));
    assertEquals("name:asc", SortKey.asc(SortField.NAME).toString());
    assertEquals("updated_at:desc,status:asc", Sort.by(SortKey.desc(SortField.UPDATED_AT), SortKey.asc(SortField.STATUS)).toString());
    refused("sort", () -> Sort.by(SortKey.asc(SortField.ID), SortKey.desc(SortField.ID)));
    refused("sort", () -> Sort.by(List.of()));
  }
}
