package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.KeywordField;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TimeRange;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.UsageQuery;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's black-box review: code written against {@link BackupCatalog} swaps the in-memory
 * catalog ({@code Catalogs.indexed}), the testkit's {@link ReferenceCatalog}, a {@link
 * PostgresCatalog} and a {@link PostgresReplica}: the README says everything works the same on each.
 * Seeded random walks apply the same operations (valid and refused) to all four side by side and
 * compare every answer, every refusal (type and the field it names), the state after each refusal,
 * and the change feeds. Replay a walk with {@code -Dcsbs.seed=N -Dcsbs.walks=1}; more walks with
 * {@code -Dcsbs.walks=} and longer ones with {@code -Dcsbs.ops=}.
 *
 * <p>Its findings, now fixed or documented, keep a test each: the testkit's ReferenceCatalog took
 * blank project ids; PostgresCatalog orders ids, names, tied servers of its usage and tied project
 * ids of the all-projects view by code point (documented; its usage with a predicate ordered tied
 * servers char by char); it could not read back a time on 29 February of a year BC on a fresh
 * connection; {@code stats} of a blank project id was not refused naming it on two catalogs.
 */
class NewUserSwapTest {
  private static final long BASE_SEED = Seeds.pick();
  private static final int WALKS = Integer.getInteger("csbs.walks", 3);
  private static final int OPS = Integer.getInteger("csbs.ops", 200);
  /** Stores of this test's own (schemas csbs_test_40 and _41), apart from the other tests'. */
  private static final int STORE = 40;
  private static final Instant START = Instant.parse("2026-11-24T10:00:00.123456Z");
  /** The earliest and latest instants PostgreSQL keeps (README: from 1 January 4713 BC, to the microsecond). */
  private static final Instant PG_MIN = Instant.parse("-4712-01-01T00:00:00Z");
  private static final Instant PG_MAX = Instant.parse("+294276-12-31T23:59:59.999999Z");

  private final List<AutoCloseable> opened = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
    opened.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // The four catalogs, side by side

  /** One implementation under the same walk, with the changes its subscriber heard. */
  static final class Side {
    final String name;
    final BackupCatalog catalog;
    final ConcurrentLinkedQueue<Change> heard = new ConcurrentLinkedQueue<>();
    Subscription subscription;

    Side(String name, BackupCatalog catalog) {
      this.name = name;
      this.catalog = catalog;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private List<Side> sides(FakeClock clock) {
    return sides(clock, clock, clock, clock);
  }

  /** The four catalogs: indexed, reference, postgres, replica, each on its clock. */
  private List<Side> sides(FakeClock indexedClock, FakeClock referenceClock, FakeClock postgresClock, FakeClock replicaClock) {
    FakeClock clock = postgresClock;
    DataSource direct = TestDatabase.dataSource(STORE);
    DataSource behindReplica = TestDatabase.dataSource(STORE + 1);
    TestDatabase.truncate(direct);
    TestDatabase.truncate(behindReplica);
    PostgresCatalog postgres = PostgresCatalog.builder(direct).clock(clock).pollInterval(Duration.ofMillis(20)).build();
    PostgresCatalog database = PostgresCatalog.builder(behindReplica).clock(replicaClock)
        .pollInterval(Duration.ofMillis(20)).build();
    PostgresReplica replica = PostgresReplica.start(database);
    opened.add(postgres);
    opened.add(database);
    opened.add(replica);
    List<Side> sides = List.of(
        new Side("indexed", Catalogs.indexed(indexedClock)),
        new Side("reference", ReferenceCatalog.create(referenceClock)),
        new Side("postgres", postgres),
        new Side("replica", replica));
    for (Side side : sides) {
      side.subscription = side.catalog.subscribe(side.heard::add);
    }
    return sides;
  }

  /** What a call gave: its value, or the refusal's type and what it names. */
  static Object outcome(Supplier<?> call) {
    try {
      return call.get();
    } catch (InvalidValueException e) {
      return "refused " + e.getClass().getSimpleName() + " naming '" + e.field() + "'";
    } catch (DuplicateBackupException e) {
      return "refused DuplicateBackupException " + e.projectId() + "/" + e.backupId() + (e.inBatch() ? " in batch" : "");
    } catch (VersionConflictException e) {
      return "refused VersionConflictException " + e.backupId() + " expected " + e.expectedVersion()
          + " current " + e.currentVersion();
    } catch (BackupNotFoundException e) {
      return "refused BackupNotFoundException " + e.projectId() + "/" + e.backupId();
    } catch (QuotaExceededException e) {
      return "refused QuotaExceededException " + e.projectId() + " quota " + e.quota();
    } catch (IllegalTransitionException e) {
      return "refused IllegalTransitionException " + e.backupId() + " " + e.status() + " " + e.attempted()
          + " allows " + e.allowed();
    } catch (RuntimeException e) {
      // the type of a plain IllegalStateException is what the docs promise; its words are the implementation's
      return "refused " + e.getClass().getName() + (e.getClass() == IllegalStateException.class ? "" : ": " + e.getMessage());
    }
  }

  static boolean refused(Object outcome) {
    return outcome instanceof String s && s.startsWith("refused");
  }

  /** A project's whole visible state on one catalog. */
  static List<Object> state(BackupCatalog catalog, String project) {
    return List.of(
        outcome(() -> catalog.sequence(project)),
        outcome(() -> catalog.query(project, Query.builder().limit(1000).sort(Sort.parse("id:asc")).build())),
        outcome(() -> catalog.quotaUsage(project)),
        outcome(() -> catalog.tagCatalogue(project)),
        outcome(() -> catalog.usage(project, UsageQuery.firstServers(1000))));
  }

  // ---------------------------------------------------------------------------------------------
  // The user's own data

  static final String[] SMALL_PROJECTS = {"p-0", "p-1", "p-2", "p-3", "Projekt-Ä", "ünï-😀", "ΣΑΣ",
      "x".repeat(64), "P-0", "tenant with space"};
  static final String BIG_PROJECT = "big";
  static final String[] ODD_IDS = {"ß", "SS", "ss", "é", "É", "😀", "😀x", "𐐀", "𐐨", "a\u00C0", "a😀",
      "B-1", "b-1", "İ", "i", "ı", "-", "_", "z".repeat(64)};
  static final String[] NAMES = {"autobk_a61d", "AUTOBK_A61D", "été", "ÉTÉ", "straße", "STRASSE", "Σίσυφος",
      "ΣΊΣΥΦΟΣ", "σας", "ΣΑΣ", "İstanbul", "istanbul", "ı", "I", "𐐀𐐁", "𐐨𐐩", "𝔘_bk", "bk𝔘", "ǅemal",
      "٣٤", "x", "manualbk_01", "a\u00C0", "a𐐀", "Ǆ", "ǆ", "K", "\u212A", "k"};
  static final String[] TAG_KEYS = {"env", "Env", "ENV", "owner", "ключ", "𐐀k", "k".repeat(36), "é", "É",
      "𐐀".repeat(36), "ǅ", "ß"};
  static final String[] TAG_VALUES = {"prod", "Prod", "", "тест", "𐐨𐐩", "v".repeat(43), "a_b-c", "É", "é",
      "𐐨".repeat(43), "SS", "ß"};
  static final Server[] SERVERS = {
      Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web-01", "eu-de-01"),
      Server.of("0c5b1a9e-2f9d-4a57-9d3b-7d1f4c2a9b10", "ECS-Db-01", "eu-de-02"),
      Server.of("srv-ü", "Ünï Server", "eu-de-02"),
      Server.of("srv-😀", "😀 server ß", "eu-de-03"),
      Server.of("SRV-ü", "straße", "eu-de-01"),
      Server.builder().id("vol-1").name("data volume").availabilityZone("eu-de-01").resourceType("OS::Cinder::Volume").build()};

  /** My generator: random backups of a project, valid, at instants PostgreSQL holds. */
  static final class Gen {
    final Random random;
    final FakeClock clock;
    int counter;

    Gen(Random random, FakeClock clock) {
      this.random = random;
      this.clock = clock;
    }

    <T> T pick(T[] values) {
      return values[random.nextInt(values.length)];
    }

    <T> T pick(List<T> values) {
      return values.get(random.nextInt(values.size()));
    }

    String project() {
      int kind = random.nextInt(8);
      return kind == 0 ? BIG_PROJECT : kind == 1 ? "t-" + random.nextInt(12) : pick(SMALL_PROJECTS);
    }

    String freshId() {
      counter++;
      int kind = random.nextInt(10);
      if (kind == 0) {
        String id = pick(ODD_IDS) + "-" + counter;
        return id.length() <= 64 ? id : "ü-" + counter;
      }
      if (kind == 1) {
        return pick(ODD_IDS);
      }
      return "b-" + Integer.toString(counter, 36);
    }

    Instant micros(Instant instant) {
      return instant.truncatedTo(ChronoUnit.MICROS);
    }

    Instant createdAt() {
      Instant now = clock.instant();
      int kind = random.nextInt(50);
      if (kind == 0) {
        return PG_MIN;
      }
      if (kind == 1) {
        return PG_MIN.plusNanos(1000L * random.nextInt(1_000_000));
      }
      if (kind == 2) {
        return PG_MAX;
      }
      if (kind == 3) {
        return now;   // the same instant as others: ties by id
      }
      if (kind < 8) {
        return Instant.parse("2026-01-01T00:00:00Z");   // many ties
      }
      return micros(now.minusNanos(1000L * (long) (random.nextDouble() * 400L * 86_400_000_000L)));
    }

    Tag tag() {
      return Tag.of(pick(TAG_KEYS), pick(TAG_VALUES));
    }

    List<Tag> tags(int most) {
      Map<String, Tag> byKey = new LinkedHashMap<>();
      int n = random.nextInt(most + 1);
      for (int i = 0; i < n; i++) {
        Tag tag = tag();
        byKey.putIfAbsent(tag.key(), tag);
      }
      return new ArrayList<>(byKey.values());
    }

    String name() {
      int kind = random.nextInt(10);
      if (kind == 0) {
        return "n" + Integer.toString(random.nextInt(1_000_000), 36);
      }
      if (kind == 1 && random.nextInt(10) == 0) {
        return "𝔘".repeat(255);
      }
      return pick(NAMES);
    }

    /** A valid backup; one whose extras (details, raw status, version) the library refuses is made without them. */
    Backup backup(String project, String id) {
      try {
        return backup(project, id, true);
      } catch (InvalidValueException e) {
        return backup(project, id, false);
      }
    }

    io.csbs.backup.BackupDetails details() {
      return io.csbs.backup.BackupDetails.builder()
          .checkpointId(pick(new String[] {"ck-1", "ck\u0000nul", "half \uD800 pair", "😀", ""}))
          .vm(io.csbs.backup.VmMetadata.builder().regionName(random.nextBoolean() ? "eu-de" : "r\u0000")
              .imageType("😀 image").ramMb(random.nextInt(65536)).vcpus(random.nextInt(64)).diskGb(random.nextInt(4096))
              .privateIp("10.0.0." + random.nextInt(255)).build())
          .incremental(random.nextBoolean())
          .spaceSavingRatio(random.nextInt(101))
          .averageSpeedKbps(random.nextInt(1_000_000))
          .build();
    }

    Backup backup(String project, String id, boolean extras) {
      Instant now = clock.instant();
      Instant created = createdAt();
      Instant later = created.isAfter(now) ? created
          : random.nextInt(4) == 0 ? created
          : random.nextInt(8) == 0 ? micros(created.plusNanos(1000L * random.nextInt(1_000_000)))
          : micros(created.plusSeconds((long) (random.nextDouble() * Duration.between(created, now).toSeconds())));
      BackupStatus status = pick(BackupStatus.values());
      Backup.Builder builder = Backup.builder()
          .id(id)
          .name(name())
          .projectId(project)
          .server(pick(SERVERS))
          .status(status)
          .sizeMb(random.nextInt(20) == 0 ? Backup.MAX_SIZE_MB : random.nextInt(5) == 0 ? 0 : random.nextInt(300_000))
          .createdAt(created)
          .tags(tags(4));
      if (random.nextBoolean()) {
        builder.type(BackupType.ENHANCED);
      }
      if (random.nextBoolean()) {
        builder.trigger(BackupTrigger.AUTOMATIC);
        if (random.nextBoolean()) {
          builder.policyId(random.nextBoolean() ? "policy-daily" : "policy-ü😀");
        }
      }
      if (random.nextInt(4) == 0) {
        builder.description(pick(new String[] {"desc ü 😀 \t line", "", "😀".repeat(127) + "x", " ", "\n"}));
      }
      if (status.isIntermediate()) {
        boolean queued = extras && random.nextInt(3) == 0;
        builder.progress(Progress.of(queued ? 0 : random.nextInt(101), later));
        if (queued) {
          builder.apiStatus(status == BackupStatus.CREATING ? io.csbs.backup.ApiStatus.WAITING_PROTECT
              : status == BackupStatus.RESTORING ? io.csbs.backup.ApiStatus.WAITING_RESTORE
              : io.csbs.backup.ApiStatus.WAITING_DELETE);
        }
      }
      if (extras && random.nextInt(5) == 0) {
        builder.details(details());
      }
      if (extras && random.nextInt(25) == 0) {
        builder.version(random.nextBoolean() ? Long.MAX_VALUE : Long.MAX_VALUE - 1 - random.nextInt(3));
      } else if (extras && random.nextInt(10) == 0) {
        builder.version(1 + random.nextInt(1_000_000));
      }
      if (status == BackupStatus.ERROR) {
        builder.failure(Failure.of(pick(JobType.values()), "disk ü 😀 failed", later));
      }
      if (status == BackupStatus.AVAILABLE && random.nextBoolean()) {
        builder.finishedAt(later);
      }
      // now and then a last change after the catalog's clock: later changes are refused naming 'now'
      builder.updatedAt(extras && random.nextInt(25) == 0 && !created.isAfter(now)
          ? micros(now.plusSeconds(1 + random.nextInt(86_400))) : later);
      return builder.build();
    }

    Transition transition() {
      switch (random.nextInt(7)) {
        case 0:
          return Transition.restore();
        case 1:
          return Transition.instantRestore();
        case 2:
          return Transition.delete();
        case 3:
          return Transition.reportProgress(random.nextInt(8) == 0 ? -1 - random.nextInt(5) : random.nextInt(8) == 0
              ? 101 + random.nextInt(5) : random.nextInt(101));
        case 4:
          return Transition.complete();
        case 5:
          return Transition.fail(random.nextInt(6) == 0 ? " " : random.nextInt(8) == 0 ? "r".repeat(1025)
              : random.nextInt(8) == 0 ? "r".repeat(1022) + "😀" : "failed ü😀");
        default:
          return Transition.reportProgress(100);
      }
    }

    /** A random predicate; one the library refuses to build is drawn again. */
    BackupPredicate predicate(int depth) {
      for (int i = 0; ; i++) {
        try {
          return predicate0(depth);
        } catch (InvalidValueException e) {
          if (i > 20) {
            throw e;
          }
        }
      }
    }

    BackupPredicate predicate0(int depth) {
      int kind = random.nextInt(depth > 1 ? 19 : 22);
      Instant now = clock.instant();
      switch (kind) {
        case 0:
          return Predicates.status(pick(BackupStatus.values()));
        case 1:
          return Predicates.status(pick(BackupStatus.values()), pick(BackupStatus.values()));
        case 2:
          return Predicates.createdWithinLast(Duration.ofDays(1 + random.nextInt(60)));
        case 3: {
          Instant a = createdAt();
          Instant b = createdAt();
          Instant from = a.isBefore(b) ? a : b;
          Instant to = a.isBefore(b) ? b : a;
          if (random.nextBoolean()) {
            return Predicates.createdIn(TimeRange.between(from, to));
          }
          // bounds of nanoseconds, inclusive or not, open or not
          from = from.plusNanos(random.nextInt(3) - 1);
          to = to.plusNanos(random.nextInt(3) - 1);
          return Predicates.createdIn(TimeRange.of(random.nextInt(4) == 0 ? null : from, random.nextBoolean(),
              random.nextInt(4) == 0 ? null : to, random.nextBoolean()));
        }
        case 4:
          return Predicates.keyword(pick(KeywordField.values()), keyword());
        case 5:
          return Predicates.nameContains(keyword());
        case 6:
          return Predicates.serverNameContains(keyword());
        case 7:
          return Predicates.backupId(random.nextBoolean() ? pick(ODD_IDS) : "b-" + Integer.toString(random.nextInt(40), 36));
        case 8:
          return Predicates.serverId(random.nextInt(6) == 0 ? "srv-\u0000" : pick(SERVERS).id());
        case 9:
          return Predicates.availabilityZone(random.nextBoolean() ? pick(SERVERS).availabilityZone() : "EU-DE-01");
        case 10:
          return Predicates.policyId(random.nextBoolean() ? "policy-daily" : "policy-ü😀");
        case 11:
          return Predicates.type(pick(BackupType.values()));
        case 12:
          return Predicates.trigger(pick(BackupTrigger.values()));
        case 13: {
          Tag tag = tag();
          return Predicates.tag(tag.key(), tag.value());
        }
        case 14:
          return Predicates.tagKey(pick(TAG_KEYS));
        case 15: {
          List<String> values = new ArrayList<>();
          int n = random.nextInt(3);
          for (int i = 0; i < n; i++) {
            String v = pick(TAG_VALUES);
            values.add(random.nextInt(3) == 0 && !v.isEmpty() ? "*" + v.substring(0, v.offsetByCodePoints(0, 1)) : v);
          }
          return Predicates.tag(pick(TAG_KEYS), values);
        }
        case 16:
          return Predicates.stalled();
        case 17:
          return Predicates.attribute(pick(Attribute.values()), attributeValue());
        case 18:
          return pick(new BackupPredicate[] {Predicates.all(), Predicates.none(), Predicates.resourceType(Server.NOVA_SERVER),
              Predicates.resourceType("OS::Cinder::Volume"), Predicates.not(Predicates.all())});
        case 19:
          return Predicates.and(predicate(depth + 1), predicate(depth + 1));
        case 20:
          return Predicates.or(predicate(depth + 1), predicate(depth + 1));
        default:
          return Predicates.not(predicate(depth + 1));
      }
    }

    String attributeValue() {
      switch (random.nextInt(6)) {
        case 5:
          return "OS::Cinder::Volume";
        case 0:
          return "COMMON";
        case 1:
          return "AUTOMATIC";
        case 2:
          return pick(SERVERS).id();
        case 3:
          return "eu-de-02";
        default:
          return "policy-daily";
      }
    }

    String keyword() {
      int kind = random.nextInt(6);
      if (kind == 0) {
        String name = pick(NAMES);
        int from = random.nextInt(name.codePointCount(0, name.length()));
        int to = from + 1 + random.nextInt(name.codePointCount(0, name.length()) - from);
        return name.substring(name.offsetByCodePoints(0, from), name.offsetByCodePoints(0, to));
      }
      if (kind == 1) {
        return pick(new String[] {"ss", "SS", "ß", "Σ", "σ", "ς", "i", "I", "İ", "ı", "É", "é", "𐐀", "𐐨", "k", "\u212A",
            "ǅ", "ǆ", "%", "_", "\\", "a%b", "x_y", "'", "ü s", "\u0000"});
      }
      if (kind == 2) {
        return pick(SERVERS).name().substring(0, 3);
      }
      return pick(NAMES);
    }

    Sort sort() {
      if (random.nextInt(3) == 0) {
        return Sort.DEFAULT;
      }
      List<SortField> fields = new ArrayList<>(List.of(SortField.values()));
      java.util.Collections.shuffle(fields, random);
      int n = 1 + random.nextInt(3);
      List<SortKey> keys = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        keys.add(random.nextBoolean() ? SortKey.asc(fields.get(i)) : SortKey.desc(fields.get(i)));
      }
      return Sort.by(keys);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The walk

  /** A walk's run: the sides, the generator, and a history to show on failure. */
  final class Walk {
    final long seed;
    final FakeClock clock = FakeClock.at(START);
    final Random random;
    final Gen gen;
    final List<Side> sides;
    final Deque<String> history = new ArrayDeque<>();
    final Set<String> projects = new LinkedHashSet<>();
    int step;
    final Map<String, Integer> refusals = new TreeMap<>();
    /** Projects whose feed starts after a loaded snapshot: the snapshot's sequence. */
    final Map<String, Long> starts = new java.util.HashMap<>();

    Walk(long seed) {
      this.seed = seed;
      this.random = new Random(seed);
      this.gen = new Gen(random, clock);
      this.sides = sides(clock);
      projects.add(BIG_PROJECT);
      projects.addAll(List.of(SMALL_PROJECTS));
      for (int i = 0; i < 12; i++) {
        projects.add("t-" + i);
      }
    }

    BackupCatalog indexed() {
      return sides.get(0).catalog;
    }

    void note(String what) {
      history.addLast("#" + step + " " + what);
      if (history.size() > 25) {
        history.removeFirst();
      }
    }

    AssertionError failure(String message) {
      return new AssertionError("seed " + seed + " (replay with -Dcsbs.seed=" + seed + " -Dcsbs.walks=1), step "
          + step + ": " + message + "\nlast operations:\n  " + String.join("\n  ", history));
    }

    /** Calls {@code call} on every side, and fails unless every side gives the same outcome. */
    Object same(String what, Function<BackupCatalog, ?> call) {
      note(what);
      Map<String, Object> outcomes = new LinkedHashMap<>();
      for (Side side : sides) {
        outcomes.put(side.name, outcome(() -> call.apply(side.catalog)));
      }
      Object first = outcomes.get("indexed");
      for (Map.Entry<String, Object> o : outcomes.entrySet()) {
        if (!Objects.equals(first, o.getValue())) {
          StringBuilder all = new StringBuilder(what + ": the catalogs answer differently");
          outcomes.forEach((side, value) -> all.append("\n  ").append(side).append(": ").append(value));
          throw failure(all.toString());
        }
      }
      if (refused(first)) {
        refusals.merge(((String) first).replaceAll(" [^ ]*/.*| naming.*", "").replaceAll("refused ", ""), 1, Integer::sum);
      }
      return first;
    }

    /** A write on every side; after a refusal, the projects it names are unchanged on every side. */
    Object write(String what, Collection<String> touched, Function<BackupCatalog, ?> call) {
      Map<String, List<Object>> before = new LinkedHashMap<>();
      for (String project : touched) {
        before.put(project, state(indexed(), project));
      }
      Object result = same(what, call);
      if (refused(result)) {
        for (Side side : sides) {
          for (String project : touched) {
            List<Object> after = state(side.catalog, project);
            if (!before.get(project).equals(after)) {
              throw failure(what + " was refused (" + result + ") but changed project " + project + " on " + side
                  + ":\n  before " + before.get(project) + "\n  after  " + after);
            }
          }
        }
      } else {
        for (String project : touched) {
          same("state of " + project, c -> state(c, project));
        }
      }
      return result;
    }

    /** The project's backups, from the in-memory catalog. */
    List<Backup> backups(String project) {
      return indexed().query(project, Query.builder().limit(1000).build()).backups();
    }

    Optional<Backup> someBackup(String project) {
      List<Backup> backups = backups(project);
      return backups.isEmpty() ? Optional.empty() : Optional.of(gen.pick(backups));
    }

    long version(Backup backup) {
      int kind = random.nextInt(10);
      if (kind == 0) {
        return backup.version() - 1;   // stale (0 for a first version)
      }
      if (kind == 1) {
        return backup.version() + 1 + random.nextInt(3);   // from the future
      }
      return backup.version();
    }

    String existingOrMissingId(String project) {
      Optional<Backup> backup = someBackup(project);
      if (backup.isPresent() && random.nextInt(6) != 0) {
        return backup.get().id();
      }
      if (random.nextBoolean()) {
        // another project's backup
        Optional<Backup> other = someBackup(gen.project());
        if (other.isPresent()) {
          return other.get().id();
        }
      }
      return random.nextBoolean() ? "missing-" + random.nextInt(9) : gen.pick(ODD_IDS);
    }

    void run(int ops) {
      // a few larger projects, loaded in one batch
      List<Backup> big = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        big.add(gen.backup(BIG_PROJECT, gen.freshId()));
      }
      for (int i = 0; i < 40; i++) {
        big.add(gen.backup("p-0", gen.freshId()));
      }
      write("addAll " + big.size() + " backups", List.of(BIG_PROJECT, "p-0"), c -> {
        c.addAll(big);
        return "ok";
      });
      for (step = 1; step <= ops; step++) {
        clock.advance(Duration.ofNanos(1000L * random.nextInt(5_000_000)));
        one();
        if (step % 50 == 0) {
          whole();
        }
      }
      whole();
      feeds();
    }

    void one() {
      int kind = random.nextInt(100);
      String project = gen.project();
      if (kind < 22) {
        String id = random.nextInt(5) == 0 ? existingOrMissingId(project) : gen.freshId();
        Backup backup = gen.backup(project, id);
        write("add " + project + "/" + id + " " + backup.createdAt(), List.of(project), c -> {
          c.add(backup);
          return "ok";
        });
      } else if (kind < 32) {
        List<Backup> batch = new ArrayList<>();
        Set<String> touched = new LinkedHashSet<>();
        int n = 1 + random.nextInt(5);
        for (int i = 0; i < n; i++) {
          String p = random.nextInt(3) == 0 ? gen.project() : project;
          String id = random.nextInt(8) == 0 && !batch.isEmpty() ? gen.pick(batch).id()
              : random.nextInt(8) == 0 ? existingOrMissingId(p) : gen.freshId();
          batch.add(gen.backup(p, id));
          touched.add(p);
        }
        write("addAll " + batch.stream().map(b -> b.projectId() + "/" + b.id()).toList(), touched, c -> {
          c.addAll(batch);
          return "ok";
        });
      } else if (kind < 52) {
        String id = existingOrMissingId(project);
        Optional<Backup> current = indexed().find(project, id);
        long version = current.map(this::version).orElse(1L + random.nextInt(3));
        Transition transition = gen.transition();
        write("apply " + transition + " to " + project + "/" + id + " at v" + version, List.of(project),
            c -> c.apply(project, id, version, transition));
      } else if (kind < 62) {
        String id = existingOrMissingId(project);
        Optional<Backup> current = indexed().find(project, id);
        long version = current.map(this::version).orElse(1L);
        TagUpdate update = tagUpdate(current);
        write("updateTags " + update + " of " + project + "/" + id + " at v" + version, List.of(project),
            c -> c.updateTags(project, id, version, update));
      } else if (kind < 66) {
        String id = existingOrMissingId(project);
        Optional<Backup> current = indexed().find(project, id);
        long version = current.map(this::version).orElse(1L);
        write("remove " + project + "/" + id + " at v" + version, List.of(project), c -> {
          c.remove(project, id, version);
          return "ok";
        });
      } else if (kind < 70) {
        long backups = backups(project).size();
        Quota quota = random.nextInt(4) == 0 ? Quota.NONE
            : Quota.of(random.nextInt(3) == 0 ? -1 : Math.max(0, backups - 1 + random.nextInt(4)),
                random.nextInt(3) == 0 ? -1 : random.nextInt(2000));
        write("setQuota " + project + " " + quota, List.of(project), c -> {
          c.setQuota(project, quota);
          return "ok";
        });
      } else if (kind < 84) {
        Query query = query(project);
        same("query " + project + " " + query, c -> c.query(project, query));
      } else if (kind < 87) {
        BackupPredicate predicate = gen.predicate(0);
        same("count " + project + " " + predicate, c -> c.count(project, predicate));
      } else if (kind < 89) {
        UsageQuery usage = UsageQuery.of(random.nextBoolean() ? Predicates.all() : gen.predicate(0),
            random.nextInt(3), 1 + random.nextInt(4));
        same("usage " + project + " " + usage, c -> c.usage(project, usage));
      } else if (kind < 91) {
        String id = existingOrMissingId(project);
        same("find " + project + "/" + id, c -> c.find(project, id));
        same("get " + project + "/" + id, c -> c.get(project, id));
      } else if (kind < 93) {
        Query query = allProjectsQuery();
        same("queryAllProjects " + query, c -> c.queryAllProjects(query));
        same("countAllProjects " + query.predicate(), c -> c.countAllProjects(query.predicate()));
      } else if (kind < 96) {
        String odd = gen.pick(new String[] {"", " ", "\t", "\u3000", "never-used", "p-0 ", "P-0", "p\u0000", "\uD800"});
        oddProject(odd);
      } else if (kind < 98) {
        Query query = query(project);
        BackupPredicate predicate = gen.predicate(0);
        String id = existingOrMissingId(project);
        same("read " + project + " " + query, c -> c.read(project, view -> List.of(outcome(() -> view.query(query)),
            view.tagCatalogue(), view.usage(UsageQuery.firstServers(3)), view.quotaUsage(), view.sequence(),
            view.count(predicate), view.find(id), view.projectId())));
      } else {
        pageThrough(project);
      }
    }

    /** Every page of a search, by marker and by offset, the same on every side, each match once. */
    void pageThrough(String project) {
      BackupPredicate predicate = random.nextInt(3) == 0 ? Predicates.all() : gen.predicate(0);
      Sort sort = gen.sort();
      Page all = indexed().query(project, Query.builder().where(predicate).sort(sort).limit(1000).build());
      int limit = (int) Math.max(1 + random.nextInt(7), all.total() / 12 + 1);   // at most about a dozen pages
      Query first = Query.builder().where(predicate).sort(sort).limit(limit).build();
      List<String> byMarker = new ArrayList<>();
      Query query = first;
      for (int pages = 0; pages < 200; pages++) {
        Query theQuery = query;
        Page page = (Page) same("page through " + project + " " + theQuery, c -> c.query(project, theQuery));
        byMarker.addAll(page.ids());
        if (page.nextMarker().isEmpty()) {
          break;
        }
        query = first.after(page.nextMarker().get());
      }
      if (!byMarker.equals(all.ids())) {
        throw failure("paging " + first + " by marker gave " + byMarker + ", not " + all.ids());
      }
      List<String> byOffset = new ArrayList<>();
      for (long offset = 0; offset < all.total() + limit; offset += limit) {
        Query theQuery = first.toBuilder().offset(offset).build();
        Page page = (Page) same("page through " + project + " " + theQuery, c -> c.query(project, theQuery));
        byOffset.addAll(page.ids());
      }
      if (!byOffset.equals(all.ids())) {
        throw failure("paging " + first + " by offset gave " + byOffset + ", not " + all.ids());
      }
    }

    void oddProject(String odd) {
      String id = existingOrMissingId("p-1");
      Query query = query("p-1");
      same("sequence '" + odd + "'", c -> c.sequence(odd));
      same("query '" + odd + "' " + query, c -> c.query(odd, query));
      same("count '" + odd + "'", c -> c.count(odd, Predicates.all()));
      same("find '" + odd + "'/" + id, c -> c.find(odd, id));
      same("tagCatalogue '" + odd + "'", c -> c.tagCatalogue(odd));
      same("usage '" + odd + "'", c -> c.usage(odd, UsageQuery.firstServers(5)));
      same("quotaUsage '" + odd + "'", c -> c.quotaUsage(odd));
      write("apply restore to '" + odd + "'/" + id, List.of("p-1"), c -> c.apply(odd, id, 1, Transition.restore()));
      write("remove '" + odd + "'/" + id, List.of("p-1"), c -> {
        c.remove(odd, id, 1);
        return "ok";
      });
      write("updateTags '" + odd + "'/" + id, List.of("p-1"),
          c -> c.updateTags(odd, id, 1, TagUpdate.create(Tag.of("env", "prod"))));
    }

    TagUpdate tagUpdate(Optional<Backup> current) {
      if (random.nextBoolean()) {
        int n = random.nextInt(10) == 0 ? 10 : 1 + random.nextInt(4);
        Map<String, Tag> byKey = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(List.of(TAG_KEYS));
        for (int i = 0; i < 12 && byKey.size() < n; i++) {
          String key = random.nextInt(4) == 0 ? "k" + random.nextInt(30) : gen.pick(keys);
          byKey.putIfAbsent(key, Tag.of(key, gen.pick(TAG_VALUES)));
        }
        if (current.isPresent() && random.nextInt(4) == 0 && !current.get().tags().isEmpty()) {
          // the same tags again: no change
          return TagUpdate.create(current.get().tags());
        }
        return TagUpdate.create(new ArrayList<>(byKey.values()));
      }
      List<TagUpdate.Match> matches = new ArrayList<>();
      int n = 1 + random.nextInt(3);
      for (int i = 0; i < n; i++) {
        int kind = random.nextInt(8);
        if (kind == 0) {
          matches.add(TagUpdate.Match.key("x\u0000"));
        } else if (kind == 1) {
          matches.add(TagUpdate.Match.key("q".repeat(127)));
        } else if (kind == 2) {
          matches.add(TagUpdate.Match.of("env", "not a value !"));
        } else if (kind == 3 && current.isPresent() && !current.get().tags().isEmpty()) {
          Tag tag = gen.pick(current.get().tags());
          matches.add(TagUpdate.Match.of(tag.key(), tag.value()));
        } else {
          matches.add(random.nextBoolean() ? TagUpdate.Match.key(gen.pick(TAG_KEYS))
              : TagUpdate.Match.of(gen.pick(TAG_KEYS), gen.pick(TAG_VALUES)));
        }
      }
      return TagUpdate.delete(matches);
    }

    Query query(String project) {
      Query.Builder builder = Query.builder().where(gen.predicate(0)).sort(gen.sort())
          .limit(random.nextInt(5) == 0 ? 1000 : 1 + random.nextInt(random.nextBoolean() ? 3 : 30));
      int kind = random.nextInt(6);
      if (kind == 0) {
        builder.offset(random.nextInt(10) == 0 ? Long.MAX_VALUE - random.nextInt(3) : random.nextInt(40));
      } else if (kind == 1 || kind == 2) {
        builder.marker(existingOrMissingId(project));
      }
      return builder.build();
    }

    Query allProjectsQuery() {
      Query.Builder builder = Query.builder().where(gen.predicate(0)).sort(gen.sort()).limit(1 + random.nextInt(50));
      int kind = random.nextInt(4);
      if (kind == 0) {
        builder.offset(random.nextInt(100));
      } else if (kind == 1) {
        builder.marker(existingOrMissingId(gen.project()));
      }
      return builder.build();
    }

    /** Every project's state, the all-projects view, the same on every side. */
    void whole() {
      for (String project : projects) {
        same("state of " + project, c -> state(c, project));
      }
      same("countAllProjects all", c -> c.countAllProjects(Predicates.all()));
      same("queryAllProjects by id", c -> c.queryAllProjects(Query.builder().limit(1000)
          .sort(Sort.by(SortKey.asc(SortField.ID))).build()));
    }

    /** Each side's subscriber heard the same changes, in the same order, per project. */
    void feeds() {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      for (String project : projects) {
        long last = indexed().sequence(project);
        for (Side side : sides) {
          while (lastHeard(side, project) < last) {
            if (System.nanoTime() > deadline) {
              throw failure(side + " delivered project " + project + "'s changes up to " + lastHeard(side, project)
                  + " in 30 s, not " + last);
            }
            sleep(10);
          }
        }
        List<String> expected = null;
        for (Side side : sides) {
          List<String> heard = heard(side, project);
          if (expected == null) {
            expected = heard;
          } else if (!expected.equals(heard)) {
            throw failure("the change feed of " + project + " differs on " + side + ":\n  indexed: " + expected
                + "\n  " + side + ": " + heard);
          }
        }
        assertEquals(last - starts.getOrDefault(project, 0L), expected.size(), "seed " + seed + ": changes of " + project);
      }
    }

    long lastHeard(Side side, String project) {
      return side.heard.stream().filter(c -> c.projectId().equals(project)).mapToLong(Change::sequence).max().orElse(0);
    }

    /** The project's changes as a subscriber that ignores sequences it has handled keeps them. */
    List<String> heard(Side side, String project) {
      List<String> changes = new ArrayList<>();
      long handled = starts.getOrDefault(project, 0L);
      for (Change change : side.heard) {
        if (!change.projectId().equals(project) || change.sequence() <= handled) {
          continue;
        }
        if (change.sequence() != handled + 1) {
          throw failure(side + " skipped from change " + handled + " to " + change.sequence() + " of " + project);
        }
        handled = change.sequence();
        changes.add(change.sequence() + " " + change.backupId() + " " + change.before() + " -> " + change.after()
            + " by " + change.transition());
      }
      return changes;
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void randomWalksAnswerTheSameOnEveryCatalog() throws Exception {
    for (int w = 0; w < WALKS; w++) {
      long seed = BASE_SEED + w;
      Walk walk = new Walk(seed);
      try {
        walk.run(OPS);
      } catch (AssertionError e) {
        throw e.getMessage() != null && e.getMessage().startsWith("seed ") ? e
            : new AssertionError("seed " + seed + " (replay with -Dcsbs.seed=" + seed + " -Dcsbs.walks=1): "
                + e.getMessage(), e);
      } catch (RuntimeException e) {
        throw walk.failure("the walk itself threw " + e);
      }
      if (w == 0 && Boolean.getBoolean("csbs.verbose")) {
        System.out.println("walk " + seed + " refusals: " + walk.refusals);
      }
      close();
    }
    System.out.println("NewUserSwapTest: " + WALKS + " walks of " + OPS + " operations from seed " + BASE_SEED
        + "; every answer alike");
  }

  /**
   * README: "A replica follows another catalog or a database with replay(change), starting from
   * load(ProjectSnapshot)". The in-memory catalog is the primary; the four catalogs follow its feed
   * (some projects from a snapshot taken midway), with changes delivered twice and some too early,
   * and must answer as the primary does.
   */
  @Test
  void everyCatalogFollowsTheSameFeedToThePrimarysState() throws Exception {
    for (int w = 0; w < Math.max(1, WALKS / 8); w++) {
      long seed = BASE_SEED + 1000 + w;
      Walk followers = new Walk(seed);
      BackupCatalog primary = Catalogs.indexed(followers.clock);
      List<Change> feed = new ArrayList<>();
      primary.subscribe(feed::add);
      Gen gen = followers.gen;
      Random random = followers.random;
      Map<String, io.csbs.catalog.ProjectSnapshot> snapshots = new LinkedHashMap<>();
      for (int step = 0; step < OPS; step++) {
        followers.clock.advance(Duration.ofNanos(1000L * random.nextInt(5_000_000)));
        String project = gen.project();
        List<Backup> backups = primary.query(project, Query.builder().limit(1000).build()).backups();
        int kind = random.nextInt(10);
        try {
          if (kind < 4 || backups.isEmpty()) {
            primary.add(gen.backup(project, gen.freshId()));
          } else if (kind < 5) {
            primary.addAll(List.of(gen.backup(project, gen.freshId()), gen.backup(gen.project(), gen.freshId())));
          } else if (kind < 8) {
            Backup b = gen.pick(backups);
            primary.apply(project, b.id(), b.version(), gen.transition());
          } else if (kind < 9) {
            Backup b = gen.pick(backups);
            primary.updateTags(project, b.id(), b.version(), followers.tagUpdate(Optional.of(b)));
          } else {
            Backup b = gen.pick(backups);
            primary.remove(project, b.id(), b.version());
          }
        } catch (RuntimeException refused) {
          // the primary's refusals are the walk's business; here only its feed matters
        }
        if (step == OPS / 2) {
          for (String p : List.of("p-1", "ΣΑΣ", BIG_PROJECT)) {
            snapshots.put(p, new io.csbs.catalog.ProjectSnapshot(p, primary.sequence(p), Quota.NONE,
                primary.query(p, Query.builder().limit(1000).build()).backups()));
          }
        }
      }
      followers.step = 0;
      for (io.csbs.catalog.ProjectSnapshot snapshot : snapshots.values()) {
        followers.write("load " + snapshot.projectId() + " at " + snapshot.sequence(), List.of(snapshot.projectId()), c -> {
          c.load(snapshot);
          return "ok";
        });
        followers.starts.put(snapshot.projectId(), snapshot.sequence());
      }
      List<Change> delivered = new ArrayList<>();
      for (Change change : feed) {
        followers.step++;
        io.csbs.catalog.ProjectSnapshot snapshot = snapshots.get(change.projectId());
        boolean expectedNew = snapshot == null || change.sequence() > snapshot.sequence();
        if (!delivered.isEmpty() && random.nextInt(10) == 0) {
          Change again = gen.pick(delivered);
          followers.write("replay again " + again, List.of(again.projectId()), c -> c.replay(again));
        }
        int ahead = feed.indexOf(change) + 1;
        if (random.nextInt(20) == 0 && ahead < feed.size()) {
          Change early = feed.get(ahead + random.nextInt(Math.min(5, feed.size() - ahead)));
          long at = followers.indexed().sequence(early.projectId());
          if (early.sequence() > at + 1) {
            followers.write("replay early " + early, List.of(early.projectId()), c -> c.replay(early));
            for (Side side : followers.sides) {
              // "the message names the project, its sequence and the change's sequence"
              try {
                side.catalog.replay(early);
                throw followers.failure(side + " replayed " + early + " at change " + at);
              } catch (IllegalStateException e) {
                String message = e.getMessage();
                if (!message.contains(early.projectId()) || !message.contains(" " + at)
                    || !message.contains(" " + early.sequence())) {
                  throw followers.failure(side + "'s refusal of change " + early.sequence() + " at " + at
                      + " does not name the project and both sequences: " + message);
                }
              }
            }
          }
        }
        Object result = followers.same("replay " + change, c -> c.replay(change));
        if (!Objects.equals(result, expectedNew)) {
          throw followers.failure("replay " + change + " gave " + result + ", not " + expectedNew);
        }
        delivered.add(change);
      }
      for (String project : followers.projects) {
        List<Object> expected = state(primary, project).subList(0, 2);
        for (Side side : followers.sides) {
          List<Object> actual = state(side.catalog, project).subList(0, 2);
          if (!expected.equals(actual)) {
            throw followers.failure(side + " followed project " + project + " to another state:\n  primary " + expected
                + "\n  " + side + " " + actual);
          }
        }
        followers.same("follower state of " + project, c -> state(c, project));
      }
      followers.feeds();
      close();
    }
  }

  /**
   * BackupCatalog.subscribe: "A subscriber may change the catalog; each subscriber still sees each
   * project's changes in sequence order." A subscriber completes every backup job it hears of; on
   * every catalog the projects end the same, and a second subscriber hears the same changes in the
   * same order.
   */
  @Test
  void aSubscriberThatChangesTheCatalogLeadsToTheSameChangesOnEveryCatalog() {
    FakeClock clock = FakeClock.at(START);
    List<Side> sides = sides(clock);
    Map<String, List<String>> troubles = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, ConcurrentLinkedQueue<Change>> second = new LinkedHashMap<>();
    for (Side side : sides) {
      side.subscription.cancel();
      side.heard.clear();
      side.catalog.subscribe(change -> {
        Optional<Backup> after = change.after();
        if (change.isAdded() && after.isPresent() && after.get().status() == BackupStatus.CREATING) {
          try {
            side.catalog.apply(change.projectId(), change.backupId(), after.get().version(), Transition.complete());
          } catch (RuntimeException e) {
            if (!(e instanceof VersionConflictException)) {   // a durable feed may deliver a change again
              troubles.computeIfAbsent(side.name, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(e.toString());
            }
          }
        }
      });
      ConcurrentLinkedQueue<Change> heard = new ConcurrentLinkedQueue<>();
      second.put(side.name, heard);
      side.catalog.subscribe(heard::add);
    }
    Random random = new Random(BASE_SEED);
    List<Backup> jobs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String project = "job-" + (i % 3);
      jobs.add(Backup.builder().id("j-" + i).name("autobk_" + i).projectId(project).server(SERVERS[i % SERVERS.length])
          .status(BackupStatus.CREATING).progress(Progress.of(random.nextInt(100), START.minusSeconds(60)))
          .sizeMb(100).createdAt(START.minusSeconds(60)).build());
    }
    for (Side side : sides) {
      for (Backup job : jobs.subList(0, 6)) {
        side.catalog.add(job);
      }
      side.catalog.addAll(jobs.subList(6, 12));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (Side side : sides) {
      for (String project : List.of("job-0", "job-1", "job-2")) {
        while (second.get(side.name).stream().filter(c -> c.projectId().equals(project)).mapToLong(Change::sequence)
            .max().orElse(0) < 8) {
          assertTrue(System.nanoTime() < deadline, side + ": project " + project + "'s 8 changes not all heard in 30 s: "
              + second.get(side.name) + "; troubles " + troubles);
          sleep(10);
        }
      }
    }
    assertEquals(Map.of(), troubles);
    Map<String, Object> feeds = new LinkedHashMap<>();
    for (Side side : sides) {
      Map<String, List<String>> byProject = new TreeMap<>();
      Map<String, Long> handled = new java.util.HashMap<>();
      for (Change change : second.get(side.name)) {
        if (change.sequence() <= handled.getOrDefault(change.projectId(), 0L)) {
          continue;
        }
        assertEquals(handled.getOrDefault(change.projectId(), 0L) + 1, change.sequence(), side + ": " + change);
        handled.put(change.projectId(), change.sequence());
        byProject.computeIfAbsent(change.projectId(), k -> new ArrayList<>()).add(change.toString());
      }
      feeds.put(side.name, byProject);
      for (String project : List.of("job-0", "job-1", "job-2")) {
        assertEquals(8L, side.catalog.sequence(project), side + " " + project);
        assertEquals(4L, side.catalog.count(project, Predicates.status(BackupStatus.AVAILABLE)), side + " " + project);
      }
    }
    for (Side side : sides) {
      for (String project : List.of("job-0", "job-1", "job-2")) {
        assertEquals(state(side(sides, "indexed"), project), state(side.catalog, project), side + " " + project);
      }
    }
    // the order of the adds and completions may differ (a durable feed completes later), the count of each not
    for (Side side : sides) {
      @SuppressWarnings("unchecked")
      Map<String, List<String>> byProject = (Map<String, List<String>>) feeds.get(side.name);
      for (List<String> changes : byProject.values()) {
        assertEquals(4, changes.stream().filter(c -> c.contains("added")).count(), side + ": " + changes);
        assertEquals(4, changes.stream().filter(c -> c.contains("complete")).count(), side + ": " + changes);
      }
    }
  }

  /**
   * README, csbs-testkit: SimulatedJobs runs jobs on "a catalog"; its javadoc: "two runners with one
   * seed, started alike on two catalogs, make identical changes". Four runners on the four catalogs
   * (each on a clock of its own, as a runner moves its clock) leave the same backups, jobs and
   * stalled searches at every step.
   */
  @Test
  void simulatedJobsMakeTheSameChangesOnEveryCatalog() {
    List<FakeClock> clocks = List.of(FakeClock.at(START), FakeClock.at(START), FakeClock.at(START), FakeClock.at(START));
    List<Side> sides = sides(clocks.get(0), clocks.get(1), clocks.get(2), clocks.get(3));
    List<io.csbs.testing.SimulatedJobs> runners = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      runners.add(io.csbs.testing.SimulatedJobs.create(sides.get(i).catalog, clocks.get(i), BASE_SEED));
    }
    Random random = new Random(BASE_SEED);
    List<String> projects = List.of("jobs-1", "jobs-ü", "jobs-𐐀");
    for (int round = 0; round < 12; round++) {
      int kind = random.nextInt(4);
      String project = projects.get(random.nextInt(projects.size()));
      io.csbs.testing.JobPlan plan = io.csbs.testing.JobPlan.taking(Duration.ofMinutes(1 + random.nextInt(90)));
      if (random.nextInt(4) == 0) {
        plan = plan.failingAt(random.nextInt(100), "agent ü lost");
      } else if (random.nextInt(4) == 0) {
        plan = plan.stallingAt(random.nextInt(100));
      }
      Server server = SERVERS[random.nextInt(SERVERS.length)];
      List<Object> outcomes = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        io.csbs.testing.SimulatedJobs jobs = runners.get(i);
        BackupCatalog catalog = sides.get(i).catalog;
        io.csbs.testing.JobPlan thePlan = plan;
        outcomes.add(outcome(() -> {
          if (kind == 0 || kind == 1) {
            return jobs.startBackup(project, server, thePlan).toString();
          }
          List<Backup> available = catalog.query(project, Query.builder().where(Predicates.status(BackupStatus.AVAILABLE))
              .sort(Sort.parse("id:asc")).build()).backups();
          if (available.isEmpty()) {
            return "none available";
          }
          Backup target = available.get(0);
          return (kind == 2 ? jobs.startRestore(project, target.id(), thePlan) : jobs.startDelete(project, target.id(), thePlan))
              .toString();
        }));
      }
      assertEquals(1, new LinkedHashSet<>(outcomes).size(), "round " + round + ": " + outcomes);
      Duration step = Duration.ofMinutes(random.nextInt(50));
      for (io.csbs.testing.SimulatedJobs jobs : runners) {
        jobs.advance(step);
      }
      for (String p : projects) {
        List<Object> expected = state(sides.get(0).catalog, p);
        Object stalled = sides.get(0).catalog.query(p, Query.where(Predicates.stalled())).ids();
        for (Side side : sides) {
          assertEquals(expected, state(side.catalog, p), "round " + round + ", " + side + ", " + p);
          assertEquals(stalled, side.catalog.query(p, Query.where(Predicates.stalled())).ids(), "round " + round + ", " + side);
        }
      }
      List<String> jobStates = runners.get(0).jobs().stream().map(Object::toString).toList();
      for (io.csbs.testing.SimulatedJobs jobs : runners) {
        assertEquals(jobStates, jobs.jobs().stream().map(Object::toString).toList(), "round " + round);
      }
    }
  }

  /**
   * addAll, "all or none", on batches larger than one statement's worth: a batch of 1,110 backups
   * over three projects (1,050 in one) whose last backup repeats an id (in the batch, or in its project), or breaks
   * a quota, changes nothing anywhere and names the same backup; the same batch without it loads the
   * same everywhere.
   */
  @Test
  void largeBatchesAreAllOrNothingAlikeOnEveryCatalog() {
    Walk walk = new Walk(BASE_SEED + 77);
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 1110; i++) {
      String project = i % 37 == 1 ? "l-😀" : i % 37 == 2 ? "l-Ä" : "l-1";   // l-1 over two statements' worth
      batch.add(walk.gen.backup(project, "id-" + i));
    }
    Backup existing = walk.gen.backup("l-Ä", "already");
    walk.write("add " + existing.id(), List.of("l-Ä"), c -> {
      c.add(existing);
      return "ok";
    });
    List<String> projects = List.of("l-1", "l-😀", "l-Ä");
    List<Backup> repeatInBatch = new ArrayList<>(batch);
    repeatInBatch.add(walk.gen.backup("l-1", "id-1000"));
    walk.write("addAll 1111, the last repeats id-999", projects, c -> {
      c.addAll(repeatInBatch);
      return "ok";
    });
    List<Backup> repeatInProject = new ArrayList<>(batch);
    repeatInProject.add(walk.gen.backup("l-Ä", "already"));
    walk.write("addAll 1111, the last repeats a stored id", projects, c -> {
      c.addAll(repeatInProject);
      return "ok";
    });
    long small = batch.stream().filter(b -> b.projectId().equals("l-😀")).count();
    walk.write("setQuota l-😀 " + (small - 1), List.of("l-😀"), c -> {
      c.setQuota("l-😀", Quota.of(small - 1, -1));
      return "ok";
    });
    walk.write("addAll 1110 over the quota of l-😀", projects, c -> {
      c.addAll(batch);
      return "ok";
    });
    walk.write("setQuota l-😀 " + small, List.of("l-😀"), c -> {
      c.setQuota("l-😀", Quota.of(small, -1));
      return "ok";
    });
    walk.write("addAll 1110", projects, c -> {
      c.addAll(batch);
      return "ok";
    });
    for (String project : projects) {
      walk.same("page 2 of " + project, c -> c.query(project, Query.builder().offset(400).limit(100)
          .sort(Sort.parse("name:asc,created_at:desc")).build()));
    }
    walk.feeds();
  }

  /**
   * BackupCatalog.replay and load: checked "the sequence (already installed, or one missing), then
   * whether the backup exists (or is new), then its version"; "quotas are not checked"; a refused
   * change leaves the catalog as it was; load refuses a project that has backups or a sequence.
   */
  @Test
  void replayAndLoadRefuseAlikeOnEveryCatalog() {
    Walk walk = new Walk(BASE_SEED + 99);
    Backup b1 = simple("r", "b1", "n", SERVERS[0], START.minusSeconds(60));
    Backup b1v5 = b1.toBuilder().version(5).build();
    Backup b1v6 = b1.toBuilder().version(6).updatedAt(START.minusSeconds(30)).build();
    Backup bx = simple("r", "bx", "n", SERVERS[1], START.minusSeconds(60));
    Backup huge = simple("r", "huge", "n", SERVERS[1], START.minusSeconds(60)).toBuilder().sizeMb(Backup.MAX_SIZE_MB).build();
    List<String> r = List.of("r");
    walk.write("add b1", r, c -> {
      c.add(b1);
      return "ok";
    });
    walk.write("setQuota r 1 backup", r, c -> {
      c.setQuota("r", Quota.of(1, 1));
      return "ok";
    });
    walk.write("replay 1 again", r, c -> c.replay(new Change(1, "r", "b1", Optional.empty(), Optional.of(b1), Optional.empty())));
    walk.write("replay 3: 2 missing", r, c -> c.replay(new Change(3, "r", "bx", Optional.empty(), Optional.of(bx), Optional.empty())));
    walk.write("replay 2 adds b1 again", r, c -> c.replay(new Change(2, "r", "b1", Optional.empty(), Optional.of(b1), Optional.empty())));
    walk.write("replay 2 changes bx", r, c -> c.replay(new Change(2, "r", "bx", Optional.of(bx), Optional.of(bx.toBuilder()
        .version(2).build()), Optional.empty())));
    walk.write("replay 2 from v5", r, c -> c.replay(new Change(2, "r", "b1", Optional.of(b1v5), Optional.of(b1v6),
        Optional.of(Transition.restore()))));
    walk.write("replay 2 removes bx", r, c -> c.replay(new Change(2, "r", "bx", Optional.of(bx), Optional.empty(), Optional.empty())));
    walk.write("replay 2 adds huge beyond the quota", r, c -> c.replay(new Change(2, "r", "huge", Optional.empty(),
        Optional.of(huge), Optional.empty())));
    walk.write("replay 3 jumps b1 to v6", r, c -> c.replay(new Change(3, "r", "b1", Optional.of(b1), Optional.of(b1v6),
        Optional.empty())));
    walk.write("replay 4 removes b1", r, c -> c.replay(new Change(4, "r", "b1", Optional.of(b1v6), Optional.empty(),
        Optional.of(Transition.complete()))));
    walk.write("load r, which has a backup", r, c -> {
      c.load(new io.csbs.catalog.ProjectSnapshot("r", 9, Quota.NONE, List.of(bx.toBuilder().projectId("r").build())));
      return "ok";
    });
    Backup s1 = simple("s", "s1", "n", SERVERS[2], START.minusSeconds(60)).toBuilder().version(7).build();
    walk.write("load s at 41", List.of("s"), c -> {
      c.load(new io.csbs.catalog.ProjectSnapshot("s", 41, Quota.of(1, 0), List.of(s1)));
      return "ok";
    });
    walk.write("load s again", List.of("s"), c -> {
      c.load(new io.csbs.catalog.ProjectSnapshot("s", 0, Quota.NONE, List.of()));
      return "ok";
    });
    walk.write("replay 41 of s", List.of("s"), c -> c.replay(new Change(41, "s", "s1", Optional.empty(), Optional.of(s1),
        Optional.empty())));
    walk.write("replay 42 of s", List.of("s"), c -> c.replay(new Change(42, "s", "s2", Optional.empty(),
        Optional.of(simple("s", "s2", "n", SERVERS[2], START)), Optional.empty())));
    walk.same("apply to s1 at v7", c -> c.apply("s", "s1", 7, Transition.delete()));
    walk.same("add to s beyond its loaded quota", c -> {
      c.add(simple("s", "s3", "n", SERVERS[2], START));
      return "ok";
    });
    walk.projects.add("r");
    walk.projects.add("s");
    walk.starts.put("s", 41L);
    walk.feeds();
  }

  // ---------------------------------------------------------------------------------------------
  // The findings, one test each (the walk goes past them: see known())

  private static Backup simple(String project, String id, String name, Server server, Instant created) {
    return Backup.builder().id(id).name(name).projectId(project).server(server).status(BackupStatus.AVAILABLE)
        .sizeMb(10).createdAt(created).build();
  }

  private static BackupCatalog side(List<Side> sides, String name) {
    return sides.stream().filter(s -> s.name.equals(name)).findFirst().orElseThrow().catalog;
  }

  /** Every method that names a project, called with {@code project}; each call's outcome. */
  private static Map<String, Object> blankProjectCalls(BackupCatalog catalog, String project) {
    Map<String, Object> outcomes = new LinkedHashMap<>();
    outcomes.put("sequence", outcome(() -> catalog.sequence(project)));
    outcomes.put("read", outcome(() -> catalog.read(project, view -> "read")));
    outcomes.put("query", outcome(() -> catalog.query(project, Query.all())));
    outcomes.put("count", outcome(() -> catalog.count(project, Predicates.all())));
    outcomes.put("find", outcome(() -> catalog.find(project, "b-1")));
    outcomes.put("get", outcome(() -> catalog.get(project, "b-1")));
    outcomes.put("tagCatalogue", outcome(() -> catalog.tagCatalogue(project)));
    outcomes.put("usage", outcome(() -> catalog.usage(project, UsageQuery.firstServers(10))));
    outcomes.put("quotaUsage", outcome(() -> catalog.quotaUsage(project)));
    outcomes.put("setQuota", outcome(() -> {
      catalog.setQuota(project, Quota.of(5, 5));
      return "ok";
    }));
    outcomes.put("apply", outcome(() -> catalog.apply(project, "b-1", 1, Transition.restore())));
    outcomes.put("updateTags", outcome(() -> catalog.updateTags(project, "b-1", 1, TagUpdate.create(Tag.of("env", "prod")))));
    outcomes.put("remove", outcome(() -> {
      catalog.remove(project, "b-1", 1);
      return "ok";
    }));
    return outcomes;
  }

  @Test
  void referenceCatalogRefusesABlankProjectIdInEveryMethodAsTheOthersDo() {
    List<Side> sides = sides(FakeClock.at(START));
    String refusal = "refused InvalidValueException naming 'project id'";
    for (String blank : List.of("", " ", "\t", "\u3000")) {
      for (Side side : sides) {
        Map<String, Object> outcomes = blankProjectCalls(side.catalog, blank);
        outcomes.forEach((method, outcome) ->
            assertEquals(refusal, outcome, side + "." + method + "('" + blank + "')"));
      }
    }
  }

  /** Ids and names that sort one way char by char (UTF-16) and another by code point. */
  private static final String HIGH_BMP = "a\uFF21";        // U+FF21, FULLWIDTH A: one char above the surrogates
  private static final String SUPPLEMENTARY = "a\uD801\uDC00";   // U+10400, DESERET CAPITAL LONG I: a surrogate pair

  private List<Side> twoBackupsOnEachSide() {
    List<Side> sides = sides(FakeClock.at(START));
    for (Side side : sides) {
      side.catalog.add(simple("p", HIGH_BMP, HIGH_BMP, SERVERS[0], START.minusSeconds(10)));
      side.catalog.add(simple("p", SUPPLEMENTARY, SUPPLEMENTARY, SERVERS[0], START.minusSeconds(10)));
    }
    return sides;
  }

  @Test
  void postgresSortsIdsAndNamesByCodePointAndItsMarkersFollowThatOrder() {
    List<Side> sides = twoBackupsOnEachSide();
    for (String name : List.of("indexed", "reference", "replica")) {
      BackupCatalog catalog = side(sides, name);
      assertEquals(List.of(SUPPLEMENTARY, HIGH_BMP), catalog.query("p", Query.builder().sort(Sort.parse("id:asc")).build()).ids(), name);
      assertEquals(List.of(SUPPLEMENTARY, HIGH_BMP), catalog.query("p", Query.builder().sort(Sort.parse("name:asc")).build()).ids(), name);
      assertEquals(List.of(HIGH_BMP), catalog.query("p", Query.builder().sort(Sort.parse("id:asc")).marker(SUPPLEMENTARY).build()).ids(), name);
    }
    BackupCatalog postgres = side(sides, "postgres");
    assertEquals(List.of(HIGH_BMP, SUPPLEMENTARY), postgres.query("p", Query.builder().sort(Sort.parse("id:asc")).build()).ids());
    assertEquals(List.of(HIGH_BMP, SUPPLEMENTARY), postgres.query("p", Query.builder().sort(Sort.parse("name:asc")).build()).ids());
    // the same marker continues with nothing on PostgreSQL, with the other backup elsewhere
    assertEquals(List.of(), postgres.query("p", Query.builder().sort(Sort.parse("id:asc")).marker(SUPPLEMENTARY).build()).ids());
  }

  private List<Side> tiedServersOnEachSide() {
    List<Side> sides = sides(FakeClock.at(START));
    for (Side side : sides) {
      side.catalog.add(simple("p", "b-1", "n", Server.of("s\uFF21", "one", "z"), START.minusSeconds(10)));
      side.catalog.add(simple("p", "b-2", "n", Server.of("s\uD801\uDC00", "two", "z"), START.minusSeconds(10)));
    }
    return sides;
  }

  @Test
  void postgresOrdersTiedServersByCodePointWithAndWithoutAPredicate() {
    List<Side> sides = tiedServersOnEachSide();
    BackupCatalog postgres = side(sides, "postgres");
    assertEquals(List.of("s\uFF21", "s\uD801\uDC00"), postgres.usage("p", UsageQuery.firstServers(10)).servers().stream()
        .map(u -> u.serverId()).toList());
    assertEquals(List.of("s\uFF21", "s\uD801\uDC00"), postgres.usage("p", UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), 0, 10))
        .servers().stream().map(u -> u.serverId()).toList(), "the same backups, restricted: the same order");
    assertEquals(List.of("s\uD801\uDC00"), postgres.usage("p", UsageQuery.of(Predicates.all(), 1, 10)).servers().stream()
        .map(u -> u.serverId()).toList(), "second page");
    assertEquals(List.of("s\uD801\uDC00", "s\uFF21"), side(sides, "indexed").usage("p", UsageQuery.firstServers(10)).servers()
        .stream().map(u -> u.serverId()).toList());
  }

  private List<Side> sameIdInTiedProjects() {
    List<Side> sides = sides(FakeClock.at(START));
    for (Side side : sides) {
      side.catalog.add(simple("q\uFF21", "same", "n", SERVERS[0], START.minusSeconds(10)));
      side.catalog.add(simple("q\uD801\uDC00", "same", "n", SERVERS[0], START.minusSeconds(10)));
    }
    return sides;
  }

  @Test
  void allProjectsViewOrdersTiesByProjectIdAsEachCatalogComparesIds() {
    List<Side> sides = sameIdInTiedProjects();
    for (Side side : sides) {
      // PostgresCatalog's javadoc: by code point there, char by char (String.compareTo) in memory
      List<String> expected = side.name.equals("postgres") ? List.of("q\uFF21", "q\uD801\uDC00")
          : List.of("q\uD801\uDC00", "q\uFF21");
      assertEquals(expected, side.catalog.queryAllProjects(Query.all()).backups().stream()
          .map(Backup::projectId).toList(), side.name);
    }
  }

  @Test
  void postgresAllProjectsViewOrdersTiedProjectIdsByCodePoint() {
    List<Side> sides = sameIdInTiedProjects();
    for (String name : List.of("indexed", "reference", "replica")) {
      assertEquals(List.of("q\uD801\uDC00", "q\uFF21"), side(sides, name).queryAllProjects(Query.all()).backups().stream()
          .map(Backup::projectId).toList(), name);
    }
    assertEquals(List.of("q\uFF21", "q\uD801\uDC00"), side(sides, "postgres").queryAllProjects(Query.all()).backups().stream()
        .map(Backup::projectId).toList());
    // so the same offset gives another project's backup
    assertEquals(List.of("q\uD801\uDC00"), side(sides, "postgres").queryAllProjects(Query.builder().offset(1).build())
        .backups().stream().map(Backup::projectId).toList());
  }

  /** Instants PostgreSQL holds (after 1 January 4713 BC) on the 29th of February of a leap year before Christ. */
  private static final List<Instant> BC_LEAP_DAYS = List.of(
      Instant.parse("0000-02-29T00:00:00Z"),            // 29 February 1 BC
      Instant.parse("-0004-02-29T10:00:00.000001Z"),    // 5 BC
      Instant.parse("-1652-02-29T12:00:00Z"));          // 1653 BC

  /**
   * A data source on this test's PostgreSQL store that opens a new connection for each call, as a
   * pool does after it replaced its connections: the driver then receives results as text (it asks
   * for binary results only once a statement has run five times on one connection).
   */
  private static DataSource freshConnections() {
    TestDatabase.dataSource(STORE);   // created and migrated
    org.postgresql.ds.PGSimpleDataSource fresh = TestDatabase.plain();
    fresh.setCurrentSchema("csbs_test_" + STORE + ",public");
    return fresh;
  }

  @Test
  void postgresReadsBackTheTwentyNinthOfFebruaryBeforeChrist() throws Exception {
    sides(FakeClock.at(START));   // empties the store
    try (PostgresCatalog postgres = PostgresCatalog.builder(freshConnections()).clock(FakeClock.at(START)).build()) {
      for (int i = 0; i < BC_LEAP_DAYS.size(); i++) {
        Backup backup = simple("bc", "bc-" + i, "n", SERVERS[0], BC_LEAP_DAYS.get(i));
        postgres.add(backup);
        assertEquals(Optional.of(backup), postgres.find("bc", backup.id()));
      }
      assertEquals(BC_LEAP_DAYS.size(), postgres.query("bc", Query.all()).backups().size());
    }
  }

  @Test
  void statsRefusesABlankProjectIdOnEveryCatalog() {
    for (Side side : sides(FakeClock.at(START))) {
      assertEquals("refused InvalidValueException naming 'project id'", outcome(() -> side.catalog.stats(" ")), side.name);
    }
  }

  @Test
  void statsOnlyOnTheInMemoryCatalogsAndTheReplicaCountsAsItsMemory() {
    List<Side> sides = sides(FakeClock.at(START));
    for (Side side : sides) {
      side.catalog.add(simple("p", "b-1", "n", SERVERS[0], START.minusSeconds(10)));
    }
    assertEquals(1L, side(sides, "indexed").stats("p").backups());
    assertEquals(1L, side(sides, "replica").stats("p").backups());
    assertEquals(0L, side(sides, "replica").stats("never").backups());
    assertEquals("refused InvalidValueException naming 'project id'", outcome(() -> side(sides, "indexed").stats(" ")));
    assertEquals("refused InvalidValueException naming 'project id'", outcome(() -> side(sides, "replica").stats(" ")));
    for (String name : List.of("reference", "postgres")) {
      assertEquals("refused InvalidValueException naming 'project id'", outcome(() -> side(sides, name).stats(" ")), name);
      Object stats = outcome(() -> side(sides, name).stats("p"));
      assertTrue(String.valueOf(stats).startsWith("refused java.lang.UnsupportedOperationException"), name + ": " + stats);
    }
  }
}
