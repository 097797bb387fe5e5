package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.CsbsError;
import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.CopyStatus;
import io.csbs.backup.FailCode;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.RestoreMode;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.backup.VmMetadata;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.ReferenceCatalog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new user's review of storage fidelity: what a service stores is what it gets back, on every
 * catalog ({@code Catalogs.indexed}, the testkit's {@link ReferenceCatalog}, {@link PostgresCatalog}
 * and {@link PostgresReplica}), and the parity of refusals among them. The promises checked: README
 * "A durable, shared catalog: csbs-postgres" ("PostgresCatalog implements BackupCatalog, so
 * everything above works on it"; "Times are kept to the microsecond, from 1 January 4713 BC: a backup
 * with a finer or an earlier time, or with text PostgreSQL cannot hold (a NUL char, half a surrogate
 * pair) in any text but those of details(), is refused with an InvalidValueException naming the
 * field (the texts of details() are stored encoded ... and kept exactly whatever they hold)"), the
 * javadoc of {@link PostgresCatalog} ("a time outside the range kept (1 January 4713 BC to
 * PostgreSQL's end)", "A refused change rolls back whole") and of {@link Backup} and its values.
 *
 * <p>Random backups come from a seeded {@link Random}; the seed is in every failure message (replay
 * with {@code -Dcsbs.fidelity.seed=<seed>}).
 */
class NewUserStorageFidelityTest {
  /**
   * The stores of NewUserQuotaParityTest (each test of both classes empties them first): a test run
   * migrates no store of this class's own (the class's time budget).
   */
  private static final int STORE = 92;
  private static final int REPLICA_STORE = 93;
  private static final long SEED = Long.getLong("csbs.fidelity.seed", System.nanoTime());
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00.123456Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  /** The first instant PostgreSQL keeps (README: from 1 January 4713 BC, ISO year -4712). */
  private static final Instant PG_MIN = Instant.parse("-4712-01-01T00:00:00Z");
  /** The last microsecond PostgreSQL's timestamptz keeps ("PostgreSQL's end"). */
  private static final Instant PG_MAX = Instant.parse("+294276-12-31T23:59:59.999999Z");

  private DataSource ds;
  /** A second database, under the replica: each catalog of the four writes to a store of its own. */
  private DataSource replicaDs;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final Random random = new Random(SEED);

  @BeforeEach
  void emptyStore() {
    ds = TestDatabase.dataSource(STORE);
    TestDatabase.truncate(ds);
    replicaDs = TestDatabase.dataSource(REPLICA_STORE);
    TestDatabase.truncate(replicaDs);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    toClose.clear();
  }

  private <T extends AutoCloseable> T closing(T c) {
    toClose.add(c);
    return c;
  }

  private PostgresCatalog database() {
    return database(ds);
  }

  private PostgresCatalog database(DataSource store) {
    return closing(PostgresCatalog.builder(store).clock(CLOCK).pollInterval(Duration.ofMillis(20)).build());
  }

  /**
   * The four catalogs, the in-memory one first; the replica on a database of its own (its writes go
   * to that database, so that the four start equal and change alike).
   */
  private Map<String, BackupCatalog> four() {
    Map<String, BackupCatalog> all = new LinkedHashMap<>();
    all.put("memory", Catalogs.indexed(CLOCK));
    all.put("reference", ReferenceCatalog.create(CLOCK));
    all.put("postgres", database());
    all.put("replica", closing(PostgresReplica.start(database(replicaDs))));
    return all;
  }

  /** A restart of both databases: a new catalog on each, and a replica started on each. */
  private Map<String, BackupCatalog> restarted() {
    Map<String, BackupCatalog> all = new LinkedHashMap<>();
    PostgresCatalog first = database();
    PostgresCatalog second = database(replicaDs);
    all.put("restarted postgres", first);
    all.put("replica of the restarted postgres", closing(PostgresReplica.start(first)));
    all.put("restarted replica's database", second);
    all.put("new replica on the replica's database", closing(PostgresReplica.start(second)));
    return all;
  }

  private String seed() {
    return " (seed " + SEED + ", replay with -Dcsbs.fidelity.seed=" + SEED + ")";
  }

  // --- values --------------------------------------------------------------------------------------

  private static final Server WEB = Server.of("srv-web", "ecs-web", "eu-de-01");

  private static Backup.Builder base(String project, String id, Instant created) {
    return Backup.builder().id(id).name("n").projectId(project).server(WEB).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(created);
  }

  /** Text of exactly {@code length} chars from pieces, some outside the BMP (two chars each). */
  private String text(int length, boolean oddChars) {
    String[] pieces = oddChars
        ? new String[] {"a", "Z", " ", "é", "😀", "𐐀", "\u0000", "\uD800", "\uDFFF", "%", "'", "\\", "\n", "\uFFFF"}
        : new String[] {"a", "Z", " ", "é", "😀", "𐐀", "%", "'", "\\", "\n", "\uFFFF", "ß", "ǅ"};
    StringBuilder out = new StringBuilder();
    while (out.length() < length) {
      String piece = pieces[random.nextInt(pieces.length)];
      if (out.length() + piece.length() > length) {
        piece = "x";
      }
      out.append(piece);
    }
    String s = out.toString();
    return s.isBlank() && length > 0 ? "y" + s.substring(1) : s;
  }

  /** A non-blank text of 1 to {@code max} chars, often at the limit, holding only what PostgreSQL can. */
  private String limited(int max) {
    int length = random.nextInt(3) == 0 ? max : 1 + random.nextInt(max);
    return text(length, false);
  }

  /** Text of a details field: 0 to {@code max} chars, anything at all (NUL, halves of pairs). */
  private String detailText(int max) {
    int r = random.nextInt(4);
    int length = r == 0 ? 0 : r == 1 ? max : random.nextInt(max + 1);
    return text(length, true);
  }

  private static final String[] WORDS = {"a", "Ab", "ä", "𝒜", "𐐨", "٣", "_", "-", "ǅ", "Ω", "ß", "9", "\uFFDA"};

  private String word(int max) {
    int target = random.nextInt(4) == 0 ? max : 1 + random.nextInt(max);
    StringBuilder out = new StringBuilder();
    int letters = 0;
    while (letters < target) {
      String w = WORDS[random.nextInt(WORDS.length)];
      out.append(w);
      letters += w.codePointCount(0, w.length());
    }
    // each letter counted once: cut to exactly target code points
    return out.substring(0, out.offsetByCodePoints(0, target));
  }

  /** A microsecond instant between PostgreSQL's first instant and {@code latest}, often at an edge. */
  private Instant micros(Instant earliest, Instant latest) {
    int r = random.nextInt(6);
    if (r == 0) {
      return earliest;
    }
    if (r == 1) {
      return latest;
    }
    Duration between = Duration.between(earliest, latest);
    long span = between.getSeconds() * 1_000_000 + between.getNano() / 1000;   // microseconds: fits for 290,000 years
    long at = (long) (random.nextDouble() * span);
    return earliest.plusSeconds(at / 1_000_000).plusNanos(1000 * (at % 1_000_000));
  }

  private Instant createdAt() {
    int r = random.nextInt(5);
    if (r == 0) {
      return PG_MIN.plusNanos(1000L * random.nextInt(1000));
    }
    return NOW.minusSeconds(random.nextInt(1_000_000)).minusNanos(1000L * random.nextInt(1_000_000));
  }

  private BackupDetails details() {
    if (random.nextInt(5) == 0) {
      return BackupDetails.NONE;
    }
    BackupDetails.Builder d = BackupDetails.builder();
    if (random.nextBoolean()) {
      d.checkpointId(random.nextBoolean() ? text(64, true) : limited(64));
    }
    if (random.nextBoolean()) {
      d.vm(new VmMetadata(detailText(64), detailText(64), random.nextBoolean() ? Integer.MAX_VALUE : random.nextInt(500),
          detailText(64), random.nextBoolean() ? Integer.MAX_VALUE : 0, random.nextInt(3) == 0 ? Integer.MAX_VALUE : 4,
          detailText(64), detailText(64)));
    }
    d.incremental(random.nextBoolean());
    d.restoreMode(RestoreMode.values()[random.nextInt(RestoreMode.values().length)]);
    d.copyStatus(CopyStatus.values()[random.nextInt(CopyStatus.values().length)]);
    d.spaceSavingRatio(random.nextBoolean() ? 100 : random.nextInt(101));
    d.averageSpeedKbps(random.nextBoolean() ? Long.MAX_VALUE : random.nextInt(100_000));
    if (random.nextBoolean()) {
      d.failCode(new FailCode(random.nextBoolean() ? Long.MIN_VALUE : random.nextLong(),
          random.nextBoolean() ? detailText(FailCode.MAX_DESCRIPTION_LENGTH) : ""));
    }
    return d.build();
  }

  /** A backup using every documented field, within what every catalog stores. */
  private Backup randomBackup(String project, String id) {
    Instant created = createdAt();
    BackupStatus status = BackupStatus.values()[random.nextInt(BackupStatus.values().length)];
    Backup.Builder b = Backup.builder().id(id).name(word(random.nextInt(4) == 0 ? 255 : 20)).projectId(project)
        .server(Server.builder().id(limited(64)).name(limited(255)).resourceType(random.nextBoolean() ? Server.NOVA_SERVER : limited(255))
            .availabilityZone(limited(64)).build())
        .status(status)
        .type(random.nextBoolean() ? BackupType.ENHANCED : BackupType.COMMON)
        .sizeMb(random.nextInt(3) == 0 ? 0 : random.nextInt(3) == 0 ? Backup.MAX_SIZE_MB : random.nextInt(1_000_000))
        .createdAt(created)
        .version(random.nextInt(4) == 0 ? Long.MAX_VALUE - 1 : 1 + random.nextInt(1000));
    if (random.nextBoolean()) {
      b.description(random.nextBoolean() ? limited(255) : "");
    }
    if (random.nextBoolean()) {
      b.trigger(BackupTrigger.AUTOMATIC);
      if (random.nextBoolean()) {
        b.policyId(limited(64));
      }
    }
    Instant updated = micros(created, NOW);
    b.updatedAt(updated);
    boolean intermediate = status == BackupStatus.CREATING || status == BackupStatus.RESTORING || status == BackupStatus.DELETING;
    if (intermediate) {
      int percent = random.nextInt(3) == 0 ? 0 : random.nextInt(3) == 0 ? 100 : random.nextInt(101);
      b.progress(Progress.of(percent, micros(created, updated)));
      if (random.nextBoolean()) {
        ApiStatus queued = status == BackupStatus.CREATING ? ApiStatus.WAITING_PROTECT
            : status == BackupStatus.RESTORING ? ApiStatus.WAITING_RESTORE : ApiStatus.WAITING_DELETE;
        b.apiStatus(queued);
      }
    }
    if (status == BackupStatus.ERROR || (status == BackupStatus.DELETING && random.nextBoolean())) {
      b.failure(Failure.of(JobType.values()[random.nextInt(JobType.values().length)],
          random.nextBoolean() ? text(Failure.MAX_REASON_LENGTH, false) : limited(30), micros(created, updated)));
    }
    if (status != BackupStatus.CREATING && random.nextBoolean()) {
      b.finishedAt(micros(created, updated));
    }
    int tags = random.nextInt(3) == 0 ? Backup.MAX_TAGS : random.nextInt(Backup.MAX_TAGS + 1);
    for (int i = 0; i < tags; i++) {
      String key = i + word(random.nextBoolean() ? 35 : 5);
      String value = random.nextInt(4) == 0 ? "" : word(random.nextBoolean() ? 43 : 5);
      b.addTags(Tag.of(key.substring(0, key.offsetByCodePoints(0, Math.min(36, key.codePointCount(0, key.length())))), value));
    }
    b.details(details());
    return b.build();
  }

  // --- storage fidelity --------------------------------------------------------------------------

  /** Fails naming every backup that some catalog does not give back equal to what was stored. */
  private void assertAllHold(Map<String, BackupCatalog> catalogs, List<Backup> expected, String when) {
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
      for (Backup b : expected) {
        Optional<Backup> found = c.getValue().find(b.projectId(), b.id());
        if (!found.equals(Optional.of(b))) {
          wrong.add(c.getKey() + " " + b.projectId() + "/" + b.id() + ": stored " + b + "\n   got " + found);
        }
      }
    }
    if (!wrong.isEmpty()) {
      fail(wrong.size() + " backup(s) not given back " + when + seed() + ":\n" + String.join("\n", wrong.subList(0, Math.min(5, wrong.size()))));
    }
  }

  @Test
  void randomBackupsComeBackEqualEverywhereAfterAddQueryRestartTransitionAndTagUpdate() {
    List<Backup> backups = new ArrayList<>();
    String[] projects = {"p-1", "𐐀-project", "p ' %", "x".repeat(64)};
    for (int i = 0; i < 28; i++) {
      String project = projects[i % projects.length];
      backups.add(randomBackup(project, i % 7 == 0 ? "b-" + i + "😀".repeat(29) : "b-" + i));
    }
    Map<String, BackupCatalog> catalogs = four();
    for (BackupCatalog c : catalogs.values()) {
      c.addAll(backups.subList(0, 18));
      for (Backup b : backups.subList(18, backups.size())) {
        c.add(b);
      }
    }
    assertAllHold(catalogs, backups, "after add");

    // query: every backup of each project, on a page
    for (String project : projects) {
      for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
        List<String> ids = c.getValue().query(project, Query.builder().limit(1000).build()).ids();
        long expected = backups.stream().filter(b -> b.projectId().equals(project)).count();
        assertEquals(expected, ids.size(), c.getKey() + " " + project + seed());
        for (String id : ids) {
          Backup stored = backups.stream().filter(b -> b.projectId().equals(project) && b.id().equals(id)).findFirst().orElseThrow();
          assertEquals(stored, c.getValue().get(project, id), c.getKey() + seed());
        }
      }
    }

    // a restart (a new catalog on each database, and a replica started on it): after the changes below

    // a transition each catalog accepts, or the same refusal on each; then a tag update
    List<Backup> changed = new ArrayList<>();
    List<String> disagreements = new ArrayList<>();
    for (Backup b : backups) {
      Transition t = transitionFor(b);
      Map<String, String> answers = new LinkedHashMap<>();
      Backup after = null;
      for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
        try {
          Optional<Backup> result = c.getValue().apply(b.projectId(), b.id(), b.version(), t);
          answers.put(c.getKey(), String.valueOf(result));
          after = result.orElse(null);
        } catch (RuntimeException e) {
          answers.put(c.getKey(), describe(e));
        }
      }
      if (answers.values().stream().distinct().count() != 1) {
        disagreements.add(b.id() + " " + t + ": " + answers);
      }
      Backup current = after != null ? after : catalogs.get("memory").find(b.projectId(), b.id()).orElse(null);
      if (current == null) {
        continue;
      }
      TagUpdate update = random.nextBoolean() || current.tags().isEmpty()
          ? TagUpdate.create(Tag.of("z" + word(30), word(43)))
          : TagUpdate.delete(TagUpdate.Match.key(current.tags().get(0).key()));
      Map<String, String> tagAnswers = new LinkedHashMap<>();
      Backup tagged = null;
      for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
        try {
          tagged = c.getValue().updateTags(current.projectId(), current.id(), current.version(), update);
          tagAnswers.put(c.getKey(), String.valueOf(tagged));
        } catch (RuntimeException e) {
          tagAnswers.put(c.getKey(), describe(e));
        }
      }
      if (tagAnswers.values().stream().distinct().count() != 1) {
        disagreements.add(b.id() + " " + update + ": " + tagAnswers);
      }
      changed.add(tagged != null ? tagged : current);
    }
    assertTrue(disagreements.isEmpty(), disagreements.size() + " disagreement(s)" + seed() + ":\n"
        + String.join("\n", disagreements.subList(0, Math.min(5, disagreements.size()))));
    assertAllHold(catalogs, changed, "after a transition and a tag update");
    Map<String, BackupCatalog> again = restarted();
    assertAllHold(again, changed, "after changes and a restart");
    for (String project : projects) {
      for (Map.Entry<String, BackupCatalog> c : again.entrySet()) {
        assertEquals(catalogs.get("memory").sequence(project), c.getValue().sequence(project), c.getKey() + " " + project + seed());
      }
    }
  }

  private Transition transitionFor(Backup b) {
    switch (b.status()) {
      case AVAILABLE:
        return random.nextBoolean() ? Transition.restore() : Transition.delete();
      case ERROR:
        return Transition.delete();
      case CREATING:
        return random.nextBoolean() ? Transition.reportProgress(random.nextInt(101))
            : random.nextBoolean() ? Transition.complete() : Transition.fail("failed 😀 " + random.nextInt(9));
      default:
        return random.nextBoolean() ? Transition.reportProgress(random.nextInt(101)) : Transition.complete();
    }
  }

  private static String describe(RuntimeException e) {
    String field = e instanceof InvalidValueException ? " field=" + ((InvalidValueException) e).field() : "";
    String code = e instanceof CsbsError ? " code=" + ((CsbsError) e).code() : "";
    return "threw " + e.getClass().getSimpleName() + field + code;
  }

  // --- what PostgreSQL cannot hold: refused before anything is written -------------------------------

  /** One backup PostgreSQL cannot hold, the field the docs say its refusal names, and why. */
  private record Bad(String what, String field, Supplier<Backup> backup) {}

  private static final Instant T = Instant.parse("2026-11-20T08:00:00.000001Z");
  private static final Instant FINE = T.plusNanos(1);              // below the microsecond
  private static final Instant AFTER_END = PG_MAX.plusNanos(1000);  // a microsecond after PostgreSQL's end
  private static final Instant FAR = Instant.MAX.minusNanos(999);   // Instant.MAX cut to the microsecond

  private static Backup.Builder good(String id) {
    return base("p", id, T);
  }

  private static Backup.Builder unstated(String id) {
    return Backup.builder().id(id).name("n").projectId("p").server(WEB).sizeMb(1).createdAt(T);
  }

  /** Progress and failure times are not compared with the update time (Backup.updatedAt's javadoc). */
  private static Backup.Builder running(String id, Instant progressAt) {
    return unstated(id).status(BackupStatus.CREATING).progress(Progress.of(40, progressAt));
  }

  private static Backup.Builder failed(String id, String reason, Instant failedAt) {
    return unstated(id).status(BackupStatus.ERROR).failure(Failure.of(JobType.RESTORE, reason, failedAt));
  }

  private static Backup.Builder onServer(String id, Server server) {
    return Backup.builder().id(id).name("n").projectId("p").server(server).status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T);
  }

  private static List<Bad> bads() {
    List<Bad> bads = new ArrayList<>();
    for (Object[] time : new Object[][] {{"a nanosecond", FINE}, {"after PostgreSQL's end", AFTER_END}, {"near Instant.MAX", FAR}}) {
      String w = (String) time[0];
      Instant t = (Instant) time[1];
      bads.add(new Bad("created at " + w, "created at", () -> base("p", "x", t).build()));
      bads.add(new Bad("updated at " + w, "updated at", () -> good("x").updatedAt(t).build()));
      bads.add(new Bad("finished at " + w, "finished at", () -> good("x").finishedAt(t).build()));
      bads.add(new Bad("progress changed at " + w, "progress changed at", () -> running("x", t).build()));
      bads.add(new Bad("failed at " + w, "failed at", () -> failed("x", "disk gone", t).build()));
    }
    bads.add(new Bad("created at before 4713 BC", "created at", () -> base("p", "x", PG_MIN.minusNanos(1000)).build()));
    for (Object[] odd : new Object[][] {{"a NUL", "a\u0000b"}, {"a high surrogate alone", "a\uD83D"}, {"a low surrogate alone", "\uDE00b"},
        {"a reversed pair", "\uDE00\uD83D"}}) {
      String w = (String) odd[0];
      String v = (String) odd[1];
      bads.add(new Bad("id with " + w, "id", () -> good(v).build()));
      bads.add(new Bad("project id with " + w, "project id", () -> base(v, "x", T).build()));
      bads.add(new Bad("description with " + w, "description", () -> good("x").description(v).build()));
      bads.add(new Bad("policy id with " + w, "policy id", () -> good("x").trigger(BackupTrigger.AUTOMATIC).policyId(v).build()));
      bads.add(new Bad("server id with " + w, "server id", () -> onServer("x", Server.of(v, "s", "az")).build()));
      bads.add(new Bad("server name with " + w, "server name", () -> onServer("x", Server.of("s", v, "az")).build()));
      bads.add(new Bad("resource type with " + w, "resource type",
          () -> onServer("x", Server.builder().id("s").name("s").availabilityZone("az").resourceType(v).build()).build()));
      bads.add(new Bad("availability zone with " + w, "availability zone", () -> onServer("x", Server.of("s", "s", v)).build()));
      bads.add(new Bad("failure reason with " + w, "failure reason", () -> failed("x", v, T).build()));
    }
    return bads;
  }

  // README: "a backup with a finer or an earlier time, or with text PostgreSQL cannot hold (a NUL
  // char, half a surrogate pair) in any text but those of details(), is refused with an
  // InvalidValueException naming the field"; PostgresCatalog: "with a time outside the range kept (1
  // January 4713 BC to PostgreSQL's end)"; PostgresReplica: "a write that throws is refused ... as
  // PostgresCatalog's does". The in-memory catalogs take each of them (the difference the docs
  // document). The field named: the builder's name of the field ("created at", "server name", ...); the
  // times of the progress and the failure as "progress changed at" and "failed at" (the builder names
  // "progress" and "failure" for their own rules on those times; the docs list no names).
  @Test
  void everyBackupPostgresCannotHoldIsRefusedNamingItsFieldByTheDatabaseAndTheReplicaAlikeAndKeptInMemory() {
    Map<String, BackupCatalog> catalogs = four();
    List<String> wrong = new ArrayList<>();
    for (Bad bad : bads()) {
      Backup backup = bad.backup().get();
      for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
        BackupCatalog catalog = c.getValue();
        boolean memory = c.getKey().equals("memory") || c.getKey().equals("reference");
        try {
          catalog.add(backup);
          if (!memory) {
            wrong.add(c.getKey() + " took " + bad.what());
          } else if (!catalog.find(backup.projectId(), backup.id()).equals(Optional.of(backup))) {
            wrong.add(c.getKey() + " changed " + bad.what());
          } else {
            catalog.remove(backup.projectId(), backup.id(), backup.version());
          }
        } catch (InvalidValueException e) {
          if (memory) {
            wrong.add(c.getKey() + " refused " + bad.what() + ": " + e.getMessage());
          } else if (!bad.field().equals(e.field()) || e.code() != io.csbs.ErrorCode.INVALID_VALUE
              || !e.getMessage().contains(bad.field())) {
            wrong.add(c.getKey() + " refused " + bad.what() + " naming '" + e.field() + "' (expected '" + bad.field() + "'), code "
                + e.code() + ": " + e.getMessage());
          }
        } catch (RuntimeException e) {
          wrong.add(c.getKey() + " threw " + e + " for " + bad.what());
        }
      }
    }
    assertTrue(wrong.isEmpty(), wrong.size() + " wrong answer(s):\n" + String.join("\n", wrong));
  }

  // The same, checked for "before anything is written": no row, no change in the feed, no sequence,
  // nothing in the all-projects view; and in a batch after good backups ("Adds backups, all or none"),
  // the good ones are not added either, on the database and the replica.
  @Test
  void aBatchHoldingOneBackupPostgresCannotHoldLeavesTheDatabaseAndTheReplicaAsTheyWere() {
    PostgresCatalog database = database();
    PostgresReplica replica = closing(PostgresReplica.start(database(replicaDs)));
    Backup kept = base("p", "kept", T.minusSeconds(60)).build();
    database.add(kept);
    replica.add(kept);
    for (Bad bad : bads()) {
      Backup backup = bad.backup().get();
      List<Backup> batch = List.of(base("p", "good-1", T).build(), base("q", "good-2", T).build(), backup,
          base("r", "good-3", T).build());
      for (BackupCatalog c : List.of(database, replica)) {
        String who = (c == database ? "postgres" : "replica") + ", " + bad.what();
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> c.addAll(batch), who);
        assertEquals(bad.field(), e.field(), who);
        assertEquals(1, c.sequence("p"), who);
        assertEquals(0, c.sequence("q"), who);
        assertEquals(0, c.sequence("r"), who);
        assertEquals(1, c.countAllProjects(Predicates.all()), who);
        assertEquals(Optional.empty(), c.find("p", "good-1"), who);
        assertEquals(kept, c.get("p", "kept"), who);
      }
    }
    assertEquals(1, database.changes("p", 0, 100).size());
    assertEquals(List.of(kept), restartedBackups("p"));
  }

  /** The project's backups as a new catalog on the first database reads them. */
  private List<Backup> restartedBackups(String project) {
    PostgresCatalog again = database();
    List<Backup> out = new ArrayList<>();
    for (String id : again.query(project, Query.builder().limit(1000).build()).ids()) {
      out.add(again.get(project, id));
    }
    return out;
  }

  // --- the change feed and snapshots carry backups exactly ----------------------------------------------

  /** Random backups added to {@code source}, then changed: a transition, a tag update, some removed. */
  private List<Backup> randomHistory(BackupCatalog source, String[] projects, int count) {
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      backups.add(randomBackup(projects[i % projects.length], "h-" + i));
    }
    source.addAll(backups.subList(0, count / 2));
    backups.subList(count / 2, count).forEach(source::add);
    for (Backup b : backups) {
      try {
        source.apply(b.projectId(), b.id(), b.version(), transitionFor(b));
      } catch (RuntimeException refused) {
        // a refusal (a busy backup, a version at its greatest) changes nothing
      }
      Optional<Backup> now = source.find(b.projectId(), b.id());
      if (now.isPresent() && random.nextBoolean()) {
        try {
          source.updateTags(b.projectId(), b.id(), now.get().version(), TagUpdate.create(Tag.of("feed", word(43))));
        } catch (RuntimeException refused) {
          // ditto
        }
      }
      now = source.find(b.projectId(), b.id());
      if (now.isPresent() && random.nextInt(5) == 0) {
        source.remove(b.projectId(), b.id(), now.get().version());
      }
    }
    return backups;
  }

  private static List<Backup> all(BackupCatalog catalog, String project) {
    List<Backup> out = new ArrayList<>();
    for (String id : catalog.query(project, Query.builder().limit(1000).build()).ids()) {
      out.add(catalog.get(project, id));
    }
    return out;
  }

  // BackupCatalog.replay: "change.after() becomes the stored backup ... with its version, times and
  // everything"; PostgresCatalog: "changes reads the feed directly"; README: the texts of details()
  // "kept exactly whatever they hold". The in-memory catalog's changes, replayed into PostgreSQL, read
  // back from its feed equal (before and after, details and all), and its backups equal the source's,
  // also on a replica and after a restart.
  @Test
  void changesReplayedIntoPostgresAreStoredAndReadBackFromItsFeedExactly() {
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    List<io.csbs.catalog.Change> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
    memory.subscribe(changes::add);
    String[] projects = {"feed-1", "feed-😀"};
    randomHistory(memory, projects, 24);
    PostgresCatalog database = database();
    for (io.csbs.catalog.Change change : changes) {
      assertTrue(database.replay(change), change + seed());
    }
    PostgresReplica replica = closing(PostgresReplica.start(database));
    for (String project : projects) {
      List<io.csbs.catalog.Change> expected = changes.stream().filter(c -> c.projectId().equals(project)).toList();
      List<io.csbs.catalog.Change> stored = database.changes(project, 0, 10_000);
      assertEquals(expected.size(), stored.size(), project + seed());
      for (int i = 0; i < expected.size(); i++) {
        assertEquals(expected.get(i), stored.get(i), project + " change " + (i + 1) + seed());
      }
      List<Backup> source = all(memory, project);
      assertEquals(source, all(database, project), project + seed());
      assertEquals(source, all(replica, project), project + seed());
      assertEquals(source, all(database(), project), "after a restart, " + project + seed());
      assertEquals(memory.sequence(project), database.sequence(project), project + seed());
    }
  }

  // BackupCatalog.load: "its backups as they are (versions kept), its quota, and its change sequence";
  // ProjectView.snapshot: "every backup, quota, sequence, from one state". A snapshot of random
  // backups loaded into PostgreSQL and into a replica's database comes back equal, also after a
  // restart; the next change replays on each.
  @Test
  void aSnapshotOfRandomBackupsLoadsIntoPostgresAndAReplicaExactly() {
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    String project = "snap-𐐀 %";
    randomHistory(memory, new String[] {project}, 20);
    io.csbs.catalog.ProjectSnapshot snapshot = memory.read(project, io.csbs.catalog.ProjectView::snapshot);
    PostgresCatalog database = database();
    PostgresReplica replica = closing(PostgresReplica.start(database(replicaDs)));
    database.load(snapshot);
    replica.load(snapshot);
    List<Backup> expected = all(memory, project);
    assertEquals(expected, all(database, project), seed());
    assertEquals(expected, all(replica, project), seed());
    assertEquals(expected, all(database(), project), "after a restart" + seed());
    assertEquals(snapshot.sequence(), database.sequence(project), seed());
    assertEquals(snapshot.sequence(), replica.sequence(project), seed());
    // and a snapshot read back from each is the one loaded (backups in any order)
    for (BackupCatalog c : List.of(database, replica, database())) {
      io.csbs.catalog.ProjectSnapshot back = c.read(project, io.csbs.catalog.ProjectView::snapshot);
      assertEquals(snapshot.projectId(), back.projectId(), seed());
      assertEquals(snapshot.sequence(), back.sequence(), seed());
      assertEquals(snapshot.quota(), back.quota(), seed());
      assertEquals(new java.util.HashSet<>(snapshot.backups()), new java.util.HashSet<>(back.backups()), seed());
      assertEquals(snapshot.backups().size(), back.backups().size(), seed());
    }
    // one more change of the source replays on both
    List<io.csbs.catalog.Change> next = new ArrayList<>();
    memory.subscribe(next::add);
    Backup added = randomBackup(project, "after-snapshot");
    memory.add(added);
    assertTrue(database.replay(next.get(0)), seed());
    assertTrue(replica.replay(next.get(0)), seed());
    assertEquals(added, database.get(project, added.id()), seed());
    assertEquals(added, replica.get(project, added.id()), seed());
  }

  // --- parity of what the four keep apart and refuse ----------------------------------------------------

  // "Every read and write names a project; nothing of another project is ever returned": ids and
  // project ids that differ only by a trailing or leading space, case, composition, a noncharacter,
  // a byte-order mark, a line break or a letter outside the BMP are different backups and projects on
  // every catalog, each kept exactly (also in the server's texts and the description).
  @Test
  void idsDifferingOnlyInInvisibleWaysAreKeptApartAndExactOnEveryCatalog() {
    List<String> ids = List.of("a", "A", "a ", " a", "é", "e\u0301", "\uFFFE", "\uFFFF", "\uDBFF\uDFFF", "\uFEFF", "a\r\nb",
        "x\u2028", "ǅ", "Ǆ", "ss", "ß", "\u00A0", "😀".repeat(32));
    Map<String, BackupCatalog> catalogs = four();
    List<Backup> backups = new ArrayList<>();
    for (String id : ids) {
      backups.add(Backup.builder().id(id).name("n").projectId(id).server(Server.of(id, id, id)).description(id)
          .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T).addTags(Tag.of("k", "v")).build());
    }
    for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
      for (Backup b : backups) {
        c.getValue().add(b);
      }
      for (Backup b : backups) {
        assertEquals(List.of(b.id()), c.getValue().query(b.projectId(), Query.all()).ids(), c.getKey());
      }
      assertEquals(ids.size(), c.getValue().countAllProjects(Predicates.all()), c.getKey());
    }
    assertAllHold(catalogs, backups, "with ids differing in invisible ways");
    assertAllHold(restarted(), backups, "after a restart, with ids differing in invisible ways");
  }

  // BackupCatalog's refusals of changes, the same on every catalog (type and code): an unknown id (also
  // one PostgreSQL cannot hold: "an id or marker of that kind given to ... a change of a stored backup
  // finds nothing, as any id no backup has"), a stale version, a clock behind the backup's last change
  // ("naming now") or before its creation ("updated at", updateTags' javadoc).
  @Test
  void refusedChangesAreRefusedAlikeOnEveryCatalog() {
    Map<String, BackupCatalog> catalogs = four();
    Instant now = NOW;
    Backup later = base("f", "later", T).updatedAt(now.plusNanos(1000)).build();
    Backup young = base("f", "young", now.plusNanos(1000)).build();
    Backup plain = base("f", "plain", T).build();
    for (BackupCatalog c : catalogs.values()) {
      c.addAll(List.of(later, young, plain));
    }
    Map<String, Function<BackupCatalog, Object>> calls = new LinkedHashMap<>();
    for (String odd : List.of("a\u0000", "\uD800", "\uDC00x", "zz", "PLAIN", "plain ")) {
      calls.put("apply " + odd, c -> c.apply("f", odd, 1, Transition.restore()));
      calls.put("tags " + odd, c -> c.updateTags("f", odd, 1, TagUpdate.create(Tag.of("k", "v"))));
      calls.put("remove " + odd, c -> {
        c.remove("f", odd, 1);
        return "removed";
      });
      calls.put("apply in project " + odd, c -> c.apply(odd, "plain", 1, Transition.restore()));
      calls.put("find " + odd, c -> c.find("f", odd));
    }
    calls.put("stale apply", c -> c.apply("f", "plain", 2, Transition.restore()));
    calls.put("stale tags", c -> c.updateTags("f", "plain", 0, TagUpdate.create(Tag.of("k", "v"))));
    calls.put("stale remove", c -> {
      c.remove("f", "plain", Long.MAX_VALUE);
      return "removed";
    });
    calls.put("apply behind the last change", c -> c.apply("f", "later", 1, Transition.restore()));
    calls.put("tags behind the last change", c -> c.updateTags("f", "later", 1, TagUpdate.create(Tag.of("k", "v"))));
    calls.put("apply before the creation", c -> c.apply("f", "young", 1, Transition.delete()));
    calls.put("tags before the creation", c -> c.updateTags("f", "young", 1, TagUpdate.create(Tag.of("k", "v"))));
    calls.put("illegal transition", c -> c.apply("f", "plain", 1, Transition.complete()));
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Function<BackupCatalog, Object>> call : calls.entrySet()) {
      Map<String, String> answers = new LinkedHashMap<>();
      for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
        try {
          answers.put(c.getKey(), String.valueOf(call.getValue().apply(c.getValue())));
        } catch (RuntimeException e) {
          answers.put(c.getKey(), describe(e));
        }
      }
      if (answers.values().stream().distinct().count() != 1 || !answers.get("memory").startsWith(call.getKey().startsWith("find") ? "Optional" : "threw")) {
        wrong.add(call.getKey() + ": " + answers);
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
      assertEquals(3, c.getValue().sequence("f"), c.getKey() + ": a refused change changes nothing");
      assertEquals(plain, c.getValue().get("f", "plain"), c.getKey());
    }
  }

  // A transition whose result PostgreSQL cannot hold: Transition.fail(reason) with a NUL or half a
  // surrogate pair in the reason. The in-memory catalogs take it; PostgreSQL and the replica refuse it
  // naming "failure reason" (the text of Failure.reason) and change nothing; a reason it can hold is
  // then taken alike.
  @Test
  void aFailureReasonPostgresCannotHoldIsRefusedOnTheDatabaseAndTheReplicaAndChangesNothing() {
    Map<String, BackupCatalog> catalogs = four();
    Backup creating = unstated("c").status(BackupStatus.CREATING).progress(Progress.of(5, T)).build();
    for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
      c.getValue().add(creating);
      boolean memory = c.getKey().equals("memory") || c.getKey().equals("reference");
      for (String reason : List.of("bad\u0000", "half \uD800", "\uDC00")) {
        if (memory) {
          break;
        }
        InvalidValueException e = assertThrows(InvalidValueException.class,
            () -> c.getValue().apply("p", "c", 1, Transition.fail(reason)), c.getKey());
        assertEquals("failure reason", e.field(), c.getKey());
        assertEquals(1, c.getValue().sequence("p"), c.getKey());
        assertEquals(creating, c.getValue().get("p", "c"), c.getKey());
      }
      String reason = memory ? "bad\u0000" : "disk 😀 gone";
      Backup failed = c.getValue().apply("p", "c", 1, Transition.fail(reason)).orElseThrow();
      assertEquals(reason, failed.failure().orElseThrow().reason(), c.getKey());
      assertEquals(failed, c.getValue().get("p", "c"), c.getKey());
    }
  }

  // A catalog's clock beyond PostgreSQL's end: a change would date the backup at a time PostgreSQL
  // cannot hold. The docs say nothing of it; PostgreSQL and the replica refuse the change naming
  // "updated at" and change nothing, the in-memory catalogs take it.
  @Test
  void aClockBeyondPostgresEndRefusesChangesNamingUpdatedAtAndChangesNothing() {
    Clock far = Clock.fixed(AFTER_END, ZoneOffset.UTC);
    PostgresCatalog database = closing(PostgresCatalog.builder(ds).clock(far).build());
    PostgresReplica replica = closing(PostgresReplica.start(closing(PostgresCatalog.builder(replicaDs).clock(far).build())));
    BackupCatalog memory = Catalogs.indexed(far);
    Backup plain = good("b").build();
    for (BackupCatalog c : List.of(database, replica)) {
      c.add(plain);
      assertEquals("updated at", assertThrows(InvalidValueException.class, () -> c.apply("p", "b", 1, Transition.restore())).field());
      assertEquals("updated at", assertThrows(InvalidValueException.class,
          () -> c.updateTags("p", "b", 1, TagUpdate.create(Tag.of("k", "v")))).field());
      assertEquals(plain, c.get("p", "b"));
      assertEquals(1, c.sequence("p"));
    }
    memory.add(plain);
    assertEquals(AFTER_END, memory.apply("p", "b", 1, Transition.restore()).orElseThrow().updatedAt());
  }

  // PostgresCatalog: "as is such a project id given to ... load or replay"; README: a backup with a
  // finer time or text PostgreSQL cannot hold "is refused"; BackupCatalog.load "All or nothing",
  // replay "Atomic: a refused change leaves the catalog exactly as it was". Alike on the database and
  // the replica; the in-memory catalogs take them.
  @Test
  void loadAndReplayOfBackupsPostgresCannotHoldAreRefusedWholeOnTheDatabaseAndTheReplica() {
    PostgresCatalog database = database();
    PostgresReplica replica = closing(PostgresReplica.start(database(replicaDs)));
    Backup good = base("L", "g", T).build();
    List<Bad> bads = bads();
    for (BackupCatalog c : List.of(database, replica)) {
      for (Bad bad : bads) {
        Backup b = bad.backup().get();
        if (!b.projectId().equals("p")) {
          continue;   // project ids: below
        }
        Backup inL = b.toBuilder().projectId("L").build();
        String who = c.getClass().getSimpleName() + ", " + bad.what();
        InvalidValueException loadRefusal = assertThrows(InvalidValueException.class,
            () -> c.load(new io.csbs.catalog.ProjectSnapshot("L", 5, io.csbs.usage.Quota.NONE, List.of(good, inL))), who);
        assertEquals(bad.field(), loadRefusal.field(), who);
        assertEquals(0, c.sequence("L"), who);
        assertEquals(Optional.empty(), c.find("L", "g"), who);
        InvalidValueException replayRefusal = assertThrows(InvalidValueException.class,
            () -> c.replay(new io.csbs.catalog.Change(1, "L", inL.id(), Optional.empty(), Optional.of(inL), Optional.empty())), who);
        assertEquals(bad.field(), replayRefusal.field(), who);
        assertEquals(0, c.sequence("L"), who);
      }
      String nul = "L\u0000";
      Backup inNul = base(nul, "w", T).build();
      assertEquals("project id", assertThrows(InvalidValueException.class,
          () -> c.load(new io.csbs.catalog.ProjectSnapshot(nul, 5, io.csbs.usage.Quota.NONE, List.of(inNul)))).field());
      assertEquals("project id", assertThrows(InvalidValueException.class,
          () -> c.replay(new io.csbs.catalog.Change(1, nul, "w", Optional.empty(), Optional.of(inNul), Optional.empty()))).field());
      assertEquals(0, c.countAllProjects(Predicates.all()));
    }
    BackupCatalog memory = Catalogs.indexed(CLOCK);
    Backup fine = base("L", "z", T.minusNanos(1)).build();
    memory.load(new io.csbs.catalog.ProjectSnapshot("L", 5, io.csbs.usage.Quota.NONE, List.of(good, fine)));
    assertEquals(fine, memory.get("L", "z"));
  }

  // --- what a replayed change's subscribers see --------------------------------------------------------

  /**
   * Replays change 1 (adds {@code stored}) and change 2 (its before of {@code stored}'s version but
   * other contents) on each catalog; the before each one's feed then holds for change 2 (memory and
   * reference: their subscribers; postgres: its feed; replica: its subscribers, waited for 10 s).
   */
  private Map<String, Optional<Backup>> deliveredBefores(Backup stored, Backup otherBefore, Backup after) {
    Map<String, BackupCatalog> catalogs = four();
    Map<String, Optional<Backup>> befores = new LinkedHashMap<>();
    for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
      List<io.csbs.catalog.Change> got = new java.util.concurrent.CopyOnWriteArrayList<>();
      if (!c.getKey().equals("postgres")) {
        c.getValue().subscribe(got::add);
      }
      assertTrue(c.getValue().replay(new io.csbs.catalog.Change(1, "M", stored.id(), Optional.empty(), Optional.of(stored), Optional.empty())));
      assertTrue(c.getValue().replay(new io.csbs.catalog.Change(2, "M", stored.id(), Optional.of(otherBefore), Optional.of(after),
          Optional.of(Transition.restore()))));
      if (c.getKey().equals("postgres")) {
        got.addAll(((PostgresCatalog) c.getValue()).changes("M", 0, 10));
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (got.size() < 2 && System.nanoTime() < deadline) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      assertEquals(2, got.size(), c.getKey() + ": both changes delivered");
      assertEquals(Optional.of(after), got.get(1).after(), c.getKey());
      assertEquals(after, c.getValue().get("M", stored.id()), c.getKey());
      befores.put(c.getKey(), got.get(1).before());
    }
    return befores;
  }

  private static final Backup STORED = Backup.builder().id("g").name("n").projectId("M").server(Server.of("s1", "one", "az"))
      .status(BackupStatus.AVAILABLE).sizeMb(10).createdAt(T).addTags(Tag.of("a", "1")).build();
  private static final Backup OTHER_BEFORE = STORED.toBuilder().name("other").server(Server.of("s2", "two", "az")).sizeMb(99)
      .tags(List.of(Tag.of("b", "2"))).build();
  private static final Backup REPLAYED_AFTER = STORED.toBuilder().version(2).updatedAt(T.plusSeconds(1))
      .status(BackupStatus.RESTORING).progress(Progress.of(0, T.plusSeconds(1))).build();

  // BackupCatalog.replay: "Checked in this order: the sequence ..., then whether the backup exists (or
  // is new), then its version"; "The change is delivered to this catalog's subscribers with its own
  // sequence"; Change.before: "the backup before the change". A replayed change whose before has the
  // stored version but other contents is installed by every catalog; what its subscribers then see as
  // the before is not documented, and the catalogs differ (see the sibling test).
  @Test
  void aReplayedChangeIsDeliveredWithTheSameBeforeByEveryCatalog() {
    Map<String, Optional<Backup>> befores = deliveredBefores(STORED, OTHER_BEFORE, REPLAYED_AFTER);
    assertEquals(1, befores.values().stream().distinct().count(), befores.toString());
  }

  // --- every text at its limit, outside the BMP ---------------------------------------------------------

  // Backup: a name of "1 to 255 letters (of any script, each counted once, one outside the Basic
  // Multilingual Plane too)"; Tag: keys of 1 to 36 and values of 0 to 43 letters; ids "at most 64
  // chars"; description "at most 255 chars"; Server texts 64 and 255 chars; a failure reason of 1024.
  // Every one at its limit, in letters of two chars each, on every catalog: added, tags updated to ten
  // at their limits, the tag catalogue, a restart.
  @Test
  void everyTextAtItsLimitInLettersOutsideTheBmpIsKeptOnEveryCatalog() {
    String name = "𐐀".repeat(255);
    String id = "😀".repeat(32);
    String project = "𝒜".repeat(32);
    Backup backup = Backup.builder().id(id).name(name).projectId(project)
        .server(Server.builder().id("😀".repeat(32)).name("😀".repeat(127) + "a").resourceType("𐐨".repeat(127) + "b")
            .availabilityZone("😀".repeat(32)).build())
        .description("😀".repeat(127) + "c").status(BackupStatus.ERROR)
        .failure(Failure.of(JobType.BACKUP, "😀".repeat(512), T)).finishedAt(T)
        .trigger(BackupTrigger.AUTOMATIC).policyId("𐐀".repeat(32)).sizeMb(Backup.MAX_SIZE_MB).createdAt(T)
        .addAllTags(tenTags("𝒜", "𐐨", 0))
        .build();
    Map<String, BackupCatalog> catalogs = four();
    for (BackupCatalog c : catalogs.values()) {
      c.add(backup);
    }
    assertAllHold(catalogs, List.of(backup), "with every text at its limit");
    List<Tag> others = tenTags("𐐨", "𝒜", 1);
    List<Backup> updated = new ArrayList<>();
    for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
      Backup deleted = c.getValue().updateTags(project, id, 1, TagUpdate.delete(backup.tags().stream()
          .map(t -> TagUpdate.Match.of(t.key(), t.value())).toList()));
      assertEquals(List.of(), deleted.tags(), c.getKey());
      Backup tagged = c.getValue().updateTags(project, id, 2, TagUpdate.create(others));
      assertEquals(others, tagged.tags(), c.getKey());
      updated.add(tagged);
      assertEquals(updated.get(0), tagged, c.getKey());
      assertEquals(catalogs.get("memory").tagCatalogue(project), c.getValue().tagCatalogue(project), c.getKey());
      assertEquals(1, c.getValue().count(project, Predicates.tag(others.get(9).key(), others.get(9).value())), c.getKey());
    }
    assertAllHold(catalogs, List.of(updated.get(0)), "after the tag updates");
    assertAllHold(restarted(), List.of(updated.get(0)), "after a restart");
  }

  /** Ten tags: keys of 36 letters (the last one differing), values of 43. */
  private static List<Tag> tenTags(String keyLetter, String valueLetter, int shift) {
    List<Tag> tags = new ArrayList<>();
    for (int i = 0; i < Backup.MAX_TAGS; i++) {
      tags.add(Tag.of(keyLetter.repeat(35) + (char) ('a' + i + shift), valueLetter.repeat(42) + (char) ('A' + i)));
    }
    return tags;
  }

  // --- the documented order of refusals, and what PostgreSQL cannot hold ----------------------------------

  /**
   * The README's recipe for a replica, with PostgreSQL following an in-memory primary whose clock has
   * nanoseconds (Clock.systemUTC() on many machines): the primary's change 2 dates the backup at a
   * nanosecond, change 3 removes it; the snapshot (at change 3) holds neither; the held changes 1 to
   * 3 are then replayed. README: "replay the held changes and the later ones (those the snapshot has
   * return false)"; BackupCatalog.replay: "false if change.sequence() <= sequence(change.projectId()):
   * the change is already installed and nothing happens (so an at-least-once feed can be replayed
   * safely)", "Checked in this order: the sequence ..., then ...".
   */
  private List<io.csbs.catalog.Change> heldChangesOfANanosecondPrimary(BackupCatalog primary) {
    List<io.csbs.catalog.Change> held = new ArrayList<>();
    primary.subscribe(held::add);
    Backup b = base("H", "b", T).build();
    primary.add(b);                                                   // change 1: storable
    primary.apply("H", "b", 1, Transition.restore());                // change 2: updated at a nanosecond
    primary.remove("H", "b", 2);                                      // change 3: gone
    assertEquals(3, held.size());
    assertTrue(held.get(1).after().orElseThrow().updatedAt().getNano() % 1000 != 0);
    return held;
  }

  private static final Clock NANO_CLOCK = Clock.fixed(NOW.plusNanos(7), ZoneOffset.UTC);

  @Test
  void replayingHeldChangesTheLoadedSnapshotHasReturnsFalseOnPostgresAsOnEveryCatalog() {
    BackupCatalog primary = Catalogs.indexed(NANO_CLOCK);
    List<io.csbs.catalog.Change> held = heldChangesOfANanosecondPrimary(primary);
    io.csbs.catalog.ProjectSnapshot snapshot = primary.read("H", io.csbs.catalog.ProjectView::snapshot);
    Map<String, BackupCatalog> catalogs = four();
    for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
      c.getValue().load(snapshot);
      for (io.csbs.catalog.Change change : held) {
        assertFalse(c.getValue().replay(change), c.getKey() + ": change " + change.sequence() + " is in the snapshot");
      }
      assertEquals(3, c.getValue().sequence("H"), c.getKey());
    }
  }

  /** A change 1 of project "R" adding a backup PostgreSQL cannot hold (a nanosecond), with another id. */
  private static io.csbs.catalog.Change unholdableAdd(long sequence, String id) {
    Backup fine = base("R", id, T.minusNanos(1)).build();
    return new io.csbs.catalog.Change(sequence, "R", id, Optional.empty(), Optional.of(fine), Optional.empty());
  }

  // BackupCatalog.replay: "Checked in this order: the sequence (already installed, or one missing),
  // then whether the backup exists (or is new), then its version"; its @throws: IllegalStateException
  // for a missing change, DuplicateBackupException for an add of an existing id.
  @Test
  void replayRefusesAMissingChangeOrAnExistingIdBeforeJudgingWhetherPostgresCanHoldTheBackup() {
    for (Map.Entry<String, BackupCatalog> c : four().entrySet()) {
      BackupCatalog catalog = c.getValue();
      catalog.add(base("R", "r", T).build());
      assertThrows(IllegalStateException.class, () -> catalog.replay(unholdableAdd(3, "new")), c.getKey() + ": change 2 missing");
      assertThrows(io.csbs.catalog.DuplicateBackupException.class, () -> catalog.replay(unholdableAdd(2, "r")), c.getKey() + ": r exists");
    }
  }

  // BackupCatalog.add: "@throws DuplicateBackupException if the project already has a backup with
  // that id (checked first)": a backup sent again whose copy PostgreSQL could not hold (a nanosecond,
  // a NUL in its description) is a duplicate on every catalog.
  @Test
  void addingAnExistingIdIsADuplicateFirstOnEveryCatalog() {
    for (Map.Entry<String, BackupCatalog> c : four().entrySet()) {
      BackupCatalog catalog = c.getValue();
      Backup stored = good("g").build();
      catalog.add(stored);
      for (Backup again : List.of(good("g").description("x\u0000").build(), base("p", "g", T.minusNanos(1)).build())) {
        assertThrows(io.csbs.catalog.DuplicateBackupException.class, () -> catalog.add(again), c.getKey());
      }
    }
  }

  // BackupCatalog.addAll: "Checked project by project in project id order, each project's backups in
  // the order given: first that no id exists in its project or repeats in backups (the first such
  // backup is refused), then the quotas of every project."
  @Test
  void addAllRefusesADuplicateOfAnEarlierProjectBeforeABackupPostgresCannotHold() {
    for (Map.Entry<String, BackupCatalog> c : four().entrySet()) {
      BackupCatalog catalog = c.getValue();
      Backup inA = base("A", "a1", T).build();
      catalog.add(inA);
      List<Backup> batch = List.of(base("M", "new", T.minusNanos(1)).build(), inA);
      io.csbs.catalog.DuplicateBackupException e = assertThrows(io.csbs.catalog.DuplicateBackupException.class,
          () -> catalog.addAll(batch), c.getKey());
      assertTrue(e.getMessage().contains("a1"), c.getKey() + ": " + e.getMessage());
    }
  }

  // BackupCatalog.load: "@throws IllegalStateException if the project already has backups or a
  // sequence above 0 here". A snapshot PostgreSQL cannot hold, loaded into a project that has backups.
  @Test
  void loadIntoAProjectWithBackupsIsAnIllegalStateOnEveryCatalog() {
    for (Map.Entry<String, BackupCatalog> c : four().entrySet()) {
      BackupCatalog catalog = c.getValue();
      catalog.add(good("g").build());
      io.csbs.catalog.ProjectSnapshot snapshot = new io.csbs.catalog.ProjectSnapshot("p", 3, io.csbs.usage.Quota.NONE,
          List.of(base("p", "h", T.minusNanos(1)).build()));
      assertThrows(IllegalStateException.class, () -> catalog.load(snapshot), c.getKey());
    }
  }

  // --- queued raw statuses and cleared details -------------------------------------------------------

  // Backup.apiStatus: "A queued status built with a progress above 0% (an API that reported one) is
  // taken as given; it moves to the running one with the first progress reported above the one it
  // holds"; BackupCatalog.sequence: "an apply ... that changes nothing (the same progress again) does
  // not" raise the sequence. Each queued status, stored and read back after a restart, then moved
  // alike on every catalog.
  @Test
  void queuedStatusesWithAProgressAreKeptAndMovedAlikeOnEveryCatalog() {
    Map<String, BackupCatalog> catalogs = four();
    List<Backup> queued = new ArrayList<>();
    Object[][] cases = {{BackupStatus.CREATING, ApiStatus.WAITING_PROTECT, ApiStatus.PROTECTING},
        {BackupStatus.RESTORING, ApiStatus.WAITING_RESTORE, ApiStatus.RESTORING},
        {BackupStatus.DELETING, ApiStatus.WAITING_DELETE, ApiStatus.DELETING}};
    for (Object[] k : cases) {
      for (int percent : new int[] {0, 30, 100}) {
        queued.add(unstated(((ApiStatus) k[1]).apiName() + "-" + percent).status((BackupStatus) k[0])
            .apiStatus((ApiStatus) k[1]).progress(Progress.of(percent, T.plusNanos(1000))).updatedAt(T.plusSeconds(1)).build());
      }
    }
    for (BackupCatalog c : catalogs.values()) {
      c.addAll(queued);
    }
    assertAllHold(catalogs, queued, "queued");
    assertAllHold(restarted(), queued, "queued, after a restart");
    List<String> wrong = new ArrayList<>();
    for (Backup b : queued) {
      int held = b.progress().orElseThrow().percent();
      ApiStatus running = (ApiStatus) java.util.Arrays.stream(cases).filter(k -> k[0] == b.status()).findFirst().orElseThrow()[2];
      Map<String, Backup> same = new LinkedHashMap<>();
      Map<String, Backup> moved = new LinkedHashMap<>();
      for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
        same.put(c.getKey(), c.getValue().apply("p", b.id(), b.version(), Transition.reportProgress(held)).orElseThrow());
        if (held < 100) {
          moved.put(c.getKey(), c.getValue().apply("p", b.id(), b.version(), Transition.reportProgress(held + 1)).orElseThrow());
        }
      }
      if (!same.values().stream().allMatch(b::equals)) {
        wrong.add(b.id() + " the same progress again: " + same);
      }
      if (held < 100 && (moved.values().stream().distinct().count() != 1 || moved.get("memory").apiStatus() != running)) {
        wrong.add(b.id() + " a higher progress: " + moved.values().stream().map(x -> x.apiStatus() + " " + x.progress()).toList());
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
      assertEquals(queued.size() + 6, c.getValue().sequence("p"), c.getKey() + ": only the six moves are changes");
    }
  }

  // BackupDetails.Builder: checkpointId(Optional.empty()) and failCode(Optional.empty()) clear them, "a
  // job that succeeded on retry drops the old code"; BackupCatalog.replay: "change.after() becomes the
  // stored backup ... with ... everything". Details set in full, then cleared field by field, then
  // NONE, come back as replayed on every catalog and after a restart.
  @Test
  void detailsClearedFieldByFieldByReplayedChangesAreStoredClearedOnEveryCatalog() {
    BackupDetails full = BackupDetails.builder().checkpointId("ck-😀").incremental(true).restoreMode(RestoreMode.SNAPSHOT)
        .copyStatus(CopyStatus.FAIL).spaceSavingRatio(100).averageSpeedKbps(Long.MAX_VALUE)
        .vm(VmMetadata.builder().regionName("r\u0000").eip("\uD800").privateIp("10.0.0.1").diskGb(Integer.MAX_VALUE).build())
        .failCode(new FailCode(64003, "The disk is detached.\u0000")).build();
    List<BackupDetails> steps = List.of(full,
        full.toBuilder().failCode(Optional.empty()).build(),
        full.toBuilder().failCode(Optional.empty()).checkpointId(Optional.empty()).build(),
        full.toBuilder().failCode(Optional.empty()).checkpointId(Optional.empty()).vm(VmMetadata.NONE).build(),
        BackupDetails.builder().incremental(false).build(),
        new BackupDetails(Optional.empty(), VmMetadata.NONE, false, RestoreMode.BACKUP, CopyStatus.NA, 0, 0, Optional.empty()),
        BackupDetails.builder().failCode(new FailCode(0, "")).build());
    Map<String, BackupCatalog> catalogs = four();
    Backup previous = null;
    List<io.csbs.catalog.Change> changes = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      Backup next = good("d").details(steps.get(i)).version(i + 1).updatedAt(T.plusSeconds(i)).build();
      changes.add(new io.csbs.catalog.Change(i + 1, "p", "d", Optional.ofNullable(previous), Optional.of(next), Optional.empty()));
      previous = next;
    }
    for (int i = 0; i < changes.size(); i++) {
      Backup expected = changes.get(i).after().orElseThrow();
      for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
        assertTrue(c.getValue().replay(changes.get(i)), c.getKey());
        assertEquals(expected, c.getValue().get("p", "d"), c.getKey() + " step " + i);
        assertEquals(steps.get(i), c.getValue().get("p", "d").details(), c.getKey() + " step " + i);
      }
      Map<String, BackupCatalog> again = new LinkedHashMap<>();
      again.put("restarted postgres", database());
      assertAllHold(again, List.of(expected), "step " + i + " after a restart");
    }
  }

  // Backup: "an optional description of at most 255 chars" (empty text is a description, absence none),
  // a policy id only if given, a finish time only if given, a failure "kept while an Error backup is
  // deleted", type and trigger defaults, a raw status defaulting to the running form: each present,
  // empty and absent form stays what it was on every catalog and after a restart.
  @Test
  void optionalFieldsPresentEmptyAndAbsentStayApartOnEveryCatalog() {
    List<Backup> backups = List.of(
        good("none").build(),
        good("empty").description("").build(),
        good("space").description(" ").build(),
        good("tab").description("\t\n").build(),
        good("nbsp").description("\u00A0").build(),
        good("auto").trigger(BackupTrigger.AUTOMATIC).build(),
        good("auto-policy").trigger(BackupTrigger.AUTOMATIC).policyId("daily").build(),
        good("finished-at-creation").finishedAt(T).build(),
        good("enhanced").type(BackupType.ENHANCED).build(),
        unstated("deleting-failed").status(BackupStatus.DELETING).progress(Progress.of(0, T))
            .failure(Failure.of(JobType.BACKUP, "\u00A0", T)).finishedAt(T).build(),
        unstated("error-unfinished").status(BackupStatus.ERROR).failure(Failure.of(JobType.DELETE, "x", T)).build(),
        good("zero").build().toBuilder().sizeMb(0).build(),
        good("max").build().toBuilder().sizeMb(Backup.MAX_SIZE_MB).version(Long.MAX_VALUE).build());
    Map<String, BackupCatalog> catalogs = four();
    for (BackupCatalog c : catalogs.values()) {
      c.addAll(backups);
    }
    assertAllHold(catalogs, backups, "with optional fields present, empty and absent");
    assertAllHold(restarted(), backups, "after a restart");
    for (Map.Entry<String, BackupCatalog> c : catalogs.entrySet()) {
      assertEquals(Optional.empty(), c.getValue().get("p", "none").description(), c.getKey());
      assertEquals(Optional.of(""), c.getValue().get("p", "empty").description(), c.getKey());
      assertEquals(ApiStatus.DELETING, c.getValue().get("p", "deleting-failed").apiStatus(), c.getKey());
    }
  }

  // The in-memory catalogs keep any Instant (no range is documented for them); PostgreSQL documents
  // its range. Instant.MIN and Instant.MAX: kept exactly and answered alike by memory and reference,
  // refused naming the field by the database and the replica, which then hold nothing.
  @Test
  void theExtremeInstantsAreKeptAlikeInMemoryAndRefusedNamingTheFieldByPostgres() {
    Backup min = base("p", "min", Instant.MIN).build();
    Backup max = Backup.builder().id("max").name("n").projectId("p").server(WEB).sizeMb(1).createdAt(Instant.MAX)
        .status(BackupStatus.CREATING).progress(Progress.of(1, Instant.MAX)).build();
    for (Map.Entry<String, BackupCatalog> c : four().entrySet()) {
      BackupCatalog catalog = c.getValue();
      if (c.getKey().equals("memory") || c.getKey().equals("reference")) {
        catalog.addAll(List.of(min, max));
        assertEquals(min, catalog.get("p", "min"), c.getKey());
        assertEquals(max, catalog.get("p", "max"), c.getKey());
        assertEquals(List.of("max", "min"), catalog.query("p", Query.where(Predicates.createdBetween(Instant.MIN, Instant.MAX))).ids(), c.getKey());
        assertEquals(NOW, catalog.apply("p", "min", 1, Transition.restore()).orElseThrow().updatedAt(), c.getKey());
        assertEquals("now", assertThrows(InvalidValueException.class,
            () -> catalog.apply("p", "max", 1, Transition.reportProgress(50)), c.getKey()).field());
      } else {
        assertEquals("created at", assertThrows(InvalidValueException.class, () -> catalog.add(min), c.getKey()).field());
        assertEquals("created at", assertThrows(InvalidValueException.class, () -> catalog.addAll(List.of(max)), c.getKey()).field());
        assertEquals(0, catalog.sequence("p"), c.getKey());
      }
    }
  }
}
