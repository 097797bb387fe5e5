package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
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
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectView;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.usage.Quota;
import io.csbs.usage.UsageQuery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A new user's look at {@link PostgresCatalog} as the durable truth that in-memory replicas and
 * consumers follow: its feed ({@code subscribe}, {@code subscribe(after, ...)}), snapshots taken with
 * {@code read(p, ProjectView::snapshot)}, {@code load}, {@code replay}, {@code sequence} and {@code
 * setQuota}, held against what {@code BackupCatalog}, {@code ProjectView}, {@code ProjectSnapshot},
 * {@code Subscription} and the README promise. Written from the docs only, on data of its own
 * (unicode and emoji project ids, odd backup ids). One schema for the class, emptied by each test.
 *
 * <p>Findings of the review, fixed since (their tests now assert the fix): a subscriber that
 * restored an interrupt silently lost its subscription; {@code changes} of another project inside
 * a read was not refused as the other reads are; {@code changes} inside a read read outside its
 * state; {@code replay} on the database refused an unstorable backup before it looked at the
 * sequence; no snapshot of a project past {@code ProjectSnapshot.MAX_SEQUENCE} could be taken.
 */
class NewUserPostgresFeedParityTest {
  private static final Instant NOW = Instant.parse("2026-06-15T08:30:00.654321Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Server[] SERVERS = {
      Server.of("srv-α", "ecs-Web-ü", "eu-de-01"), Server.of("srv-β", "ecs-db", "eu-de-02"),
      Server.of("srv-\uE000", "ecs-中文", "eu-de-03"), Server.of("srv-δ", "ECS-web-2", "eu-de-01")};
  private static final String[] NAMES = {"naïve_名前", "autobk_a61d", "Ωmega-1", "ÉCLAIR", "éclair", "x"};
  private static final String[] TAG_KEYS = {"env", "Ключ", "k_1"};
  private static final String[] TAG_VALUES = {"prod", "тест", "", "v-2"};
  private static final BackupStatus[] ADDABLE = {BackupStatus.AVAILABLE, BackupStatus.AVAILABLE, BackupStatus.CREATING,
      BackupStatus.ERROR};

  private static DataSource store;
  private static final AtomicInteger TEST_NUMBER = new AtomicInteger();

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private PostgresCatalog db;
  private String prefix;
  private int counter;

  @BeforeAll
  static void oneSchema() {
    store = TestDatabase.dataSource(0);
  }

  /**
   * Each test empties the tables of the class's one schema (no new schema, no migration): a
   * subscription with positions delivers every project it does not name from its first change, and
   * should not read the other tests' feeds.
   */
  private void start() {
    TestDatabase.truncate(store);
    prefix = "fp" + TEST_NUMBER.incrementAndGet() + "-";
    db = open();
  }

  private PostgresCatalog open() {
    PostgresCatalog c = PostgresCatalog.builder(store).clock(CLOCK).pollInterval(Duration.ofMillis(20)).build();
    toClose.add(c);
    return c;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private Subscription keep(Subscription s) {
    toClose.add(s::cancel);
    return s;
  }

  /** The test's own project ids: unicode, an emoji, a space, a private-use char. */
  private List<String> projects() {
    return List.of(prefix + "projekt-ä", prefix + "项目", prefix + "p\ud83d\ude00", prefix + "P ü \uE000");
  }

  private String id(Random random) {
    counter++;
    switch (random.nextInt(4)) {
      case 0:
        return "bk-é-" + counter;
      case 1:
        return "Ω " + counter + " \uE001";
      case 2:
        return String.format("7b99acfd-18c3-4f26-9d39-%012d", counter);
      default:
        return "ID_" + counter + "_中";
    }
  }

  private Backup backup(Random random, String project, String id) {
    BackupStatus status = ADDABLE[random.nextInt(ADDABLE.length)];
    Instant created = NOW.minusSeconds(1 + random.nextInt(60 * 86_400)).minusNanos(1000L * random.nextInt(1_000_000));
    Backup.Builder b = Backup.builder()
        .id(id)
        .name(NAMES[random.nextInt(NAMES.length)])
        .projectId(project)
        .server(SERVERS[random.nextInt(SERVERS.length)])
        .status(status)
        .sizeMb(random.nextInt(5) == 0 ? 0 : random.nextInt(200_000))
        .createdAt(created);
    Map<String, Tag> tags = new LinkedHashMap<>();
    for (int i = random.nextInt(3); i > 0; i--) {
      Tag t = Tag.of(TAG_KEYS[random.nextInt(TAG_KEYS.length)], TAG_VALUES[random.nextInt(TAG_VALUES.length)]);
      tags.putIfAbsent(t.key(), t);
    }
    b.tags(new ArrayList<>(tags.values()));
    if (status == BackupStatus.CREATING) {
      b.progress(Progress.of(random.nextInt(100), created.plusSeconds(random.nextInt(3600))));
    }
    if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "disk ü failed", created.plusSeconds(5)));
    }
    if (random.nextInt(4) == 0) {
      b.description(random.nextBoolean() ? "описание 😀\tline" : "");
    }
    if (random.nextInt(4) == 0) {   // details' texts are kept exactly, a NUL and half a surrogate pair too
      b.details(io.csbs.backup.BackupDetails.builder()
          .checkpointId(random.nextBoolean() ? "ck-\u0000-nul" : "half \uD800 pair")
          .vm(io.csbs.backup.VmMetadata.builder().regionName("eu-de").imageType("😀 image").ramMb(random.nextInt(65536))
              .vcpus(1 + random.nextInt(64)).diskGb(random.nextInt(4096)).privateIp("10.0.0." + random.nextInt(255)).build())
          .incremental(random.nextBoolean())
          .spaceSavingRatio(random.nextInt(101))
          .build());
    }
    return b.build();
  }

  private Backup simple(String project, String id, long sizeMb, Instant created) {
    return Backup.builder().id(id).name("n_" + Math.abs(id.hashCode())).projectId(project).server(SERVERS[0])
        .status(BackupStatus.AVAILABLE).sizeMb(sizeMb).createdAt(created).build();
  }

  private Backup simple(String project, String id) {
    counter++;
    return simple(project, id, counter, NOW.minusSeconds(counter));
  }

  /** One random change of {@code project} on {@code c}; a refusal is fine (the catalog decides). */
  private void randomChange(Random random, BackupCatalog c, String project) {
    List<Backup> there = c.query(project, Query.builder().limit(1000).build()).backups();
    int kind = random.nextInt(10);
    try {
      if (kind < 3 || there.isEmpty()) {
        c.add(backup(random, project, id(random)));
      } else if (kind == 3) {
        c.addAll(List.of(backup(random, project, id(random)), backup(random, project, id(random))));
      } else if (kind < 7) {
        Backup b = there.get(random.nextInt(there.size()));
        Transition t = b.status() == BackupStatus.CREATING
            ? (random.nextBoolean() ? Transition.reportProgress(random.nextInt(101)) : Transition.complete())
            : b.status() == BackupStatus.RESTORING || b.status() == BackupStatus.DELETING
                ? (random.nextBoolean() ? Transition.complete() : Transition.fail("ü broke"))
                : random.nextBoolean() ? Transition.restore() : Transition.delete();
        c.apply(project, b.id(), b.version(), t);
      } else if (kind < 9) {
        Backup b = there.get(random.nextInt(there.size()));
        c.updateTags(project, b.id(), b.version(), random.nextBoolean()
            ? TagUpdate.create(Tag.of(TAG_KEYS[random.nextInt(TAG_KEYS.length)], TAG_VALUES[random.nextInt(TAG_VALUES.length)]))
            : TagUpdate.delete(TagUpdate.Match.key(TAG_KEYS[random.nextInt(TAG_KEYS.length)])));
      } else {
        Backup b = there.get(random.nextInt(there.size()));
        c.remove(project, b.id(), b.version());
      }
    } catch (RuntimeException refused) {
      if (refused instanceof CatalogDatabaseException) {
        throw refused;
      }
      // a lifecycle or quota refusal: the catalog's business
    }
  }

  private static void await(String what, BooleanSupplier condition) {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("waited 30 s for " + what);
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static List<Long> seqs(List<Change> changes, String project) {
    List<Long> out = new ArrayList<>();
    for (Change c : changes) {
      if (c.projectId().equals(project)) {
        out.add(c.sequence());
      }
    }
    return out;
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

  private static List<Change> feed(PostgresCatalog c, String project) {
    List<Change> all = new ArrayList<>();
    long after = 0;
    while (true) {
      List<Change> some = c.changes(project, after, 10_000);
      if (some.isEmpty()) {
        return all;
      }
      all.addAll(some);
      after = some.get(some.size() - 1).sequence();
    }
  }

  /** Every backup of the project, paged by marker in the default order. */
  private static List<Backup> all(BackupCatalog c, String project) {
    List<Backup> out = new ArrayList<>();
    Query q = Query.builder().limit(1000).build();
    while (true) {
      Page p = c.query(project, q);
      out.addAll(p.backups());
      if (p.nextMarker().isEmpty()) {
        return out;
      }
      q = q.after(p.nextMarker().get());
    }
  }

  private static Map<String, Backup> byId(List<Backup> backups) {
    Map<String, Backup> out = new HashMap<>();
    for (Backup b : backups) {
      assertEquals(null, out.put(b.id(), b), "an id twice: " + b.id());
    }
    return out;
  }

  /** Every answer a console asks of a project: equal on both catalogs. */
  private static void assertSameAnswers(String what, BackupCatalog expected, BackupCatalog actual, String project) {
    assertEquals(expected.sequence(project), actual.sequence(project), what + ": sequence");
    assertEquals(all(expected, project), all(actual, project), what + ": every backup in the default order");
    List<BackupPredicate> predicates = new ArrayList<>(List.of(Predicates.all(), Predicates.stalled(),
        Predicates.createdWithinLast(Duration.ofDays(7)), Predicates.nameContains("ÉC"),
        Predicates.serverNameContains("WEB"), Predicates.tag("env", "prod"), Predicates.tagKey("Ключ"),
        Predicates.not(Predicates.status(BackupStatus.AVAILABLE))));
    for (BackupStatus s : BackupStatus.values()) {
      predicates.add(Predicates.status(s));
    }
    for (BackupPredicate p : predicates) {
      assertEquals(expected.count(project, p), actual.count(project, p), what + ": count " + p);
      if (predicates.indexOf(p) >= 8) {
        continue;   // the states: counted only
      }
      Query q = Query.builder().where(p).sort(Sort.parse("name:asc")).limit(20).build();
      for (int page = 0; page < 40; page++) {
        Page e = expected.query(project, q);
        assertEquals(e, actual.query(project, q), what + ": page " + page + " of " + q);
        if (e.nextMarker().isEmpty()) {
          break;
        }
        q = q.after(e.nextMarker().get());
      }
      assertEquals(expected.usage(project, UsageQuery.of(p, 0, 50)), actual.usage(project, UsageQuery.of(p, 0, 50)),
          what + ": usage " + p);
    }
    assertEquals(expected.tagCatalogue(project), actual.tagCatalogue(project), what + ": tag catalogue");
    assertEquals(expected.quotaUsage(project), actual.quotaUsage(project), what + ": quota usage");
  }

  // =============================================================================================
  // Snapshots while a writer writes; a replica loaded from them and the feed after them

  /**
   * README: "subscribe to the source first and hold its changes, load source.read(project,
   * ProjectView::snapshot) (one consistent state: backups, quota, sequence), then replay the held
   * changes and the later ones (those the snapshot has return false). A quota is no change: set later
   * quotas on the replica too." Done on the database with a writer thread making random changes to
   * four projects while the snapshots are read; each snapshot must be the project at its sequence
   * (the feed's changes 1..sequence replayed on an empty catalog), and the replica must then answer as
   * the database.
   */
  @Test
  void snapshotsReadWhileAWriterWritesAreTheProjectAtTheirSequenceAndAReplicaFromThemAnswersAsTheDatabase()
      throws Exception {
    start();
    long seed = System.nanoTime();
    String why = "seed " + seed;
    Random random = new Random(seed);
    List<String> projects = projects();
    db.setQuota(projects.get(0), Quota.of(100_000, 1_000_000));   // before everything: in the snapshot
    for (String p : projects.subList(0, 2)) {
      db.add(backup(random, p, id(random)));
    }
    List<Change> held = new CopyOnWriteArrayList<>();
    keep(db.subscribe(held::add));

    AtomicInteger written = new AtomicInteger();
    AtomicReference<Throwable> writerFailed = new AtomicReference<>();
    long writerSeed = random.nextLong();
    PostgresCatalog writerCatalog = open();   // another instance of the service
    Thread writer = new Thread(() -> {
      Random r = new Random(writerSeed);
      try {
        for (int i = 0; i < 80; i++) {
          randomChange(r, writerCatalog, projects.get(r.nextInt(projects.size())));
          written.incrementAndGet();
        }
      } catch (Throwable t) {
        writerFailed.set(t);
      }
    }, "writer");
    writer.start();

    Map<String, ProjectSnapshot> first = new LinkedHashMap<>();
    List<ProjectSnapshot> taken = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      int at = 15 + round * 25;
      await("the writer's change " + at, () -> written.get() >= at || writerFailed.get() != null || !writer.isAlive());
      for (String p : projects) {
        ProjectSnapshot s = db.read(p, ProjectView::snapshot);
        taken.add(s);
        first.putIfAbsent(p, s);
      }
    }
    writer.join(30_000);
    assertFalse(writer.isAlive(), why + ": the writer hangs");
    if (writerFailed.get() != null) {
      throw new AssertionError(why + ": the writer failed", writerFailed.get());
    }

    // each snapshot is the project at its sequence
    for (ProjectSnapshot s : taken) {
      BackupCatalog rebuilt = Catalogs.indexed(CLOCK);
      for (Change c : feed(db, s.projectId())) {
        if (c.sequence() <= s.sequence()) {
          assertTrue(rebuilt.replay(c), why);
        }
      }
      assertEquals(s.sequence(), rebuilt.sequence(s.projectId()), why + ": " + s);
      assertEquals(byId(all(rebuilt, s.projectId())), byId(s.backups()), why + ": " + s + " is the project at its sequence");
      assertEquals(s.projectId().equals(projects.get(0)) ? Quota.of(100_000, 1_000_000) : Quota.NONE, s.quota(), why);
      List<Backup> inOrder = new ArrayList<>(s.backups());
      inOrder.sort(Sort.DEFAULT.comparator());
      assertEquals(ids(inOrder), ids(s.backups()), why + ": a snapshot's backups are in the default order, newest first");
    }

    // the replica: load the first snapshots, then replay every held change
    BackupCatalog replica = Catalogs.indexed(CLOCK);
    for (ProjectSnapshot s : first.values()) {
      replica.load(s);
    }
    Map<String, Long> heads = new HashMap<>();
    for (String p : projects) {
      heads.put(p, db.sequence(p));
    }
    await("the feed up to the heads " + heads, () -> {
      for (String p : projects) {
        List<Long> got = seqs(held, p);
        if (heads.get(p) > 0 && (got.isEmpty() || got.get(got.size() - 1) < heads.get(p))) {
          return false;
        }
      }
      return true;
    });
    replayHeld(why, held, first, replica, projects);
    for (String p : projects) {
      assertSameAnswers(why + ", " + p, db, replica, p);
    }

    // quotas are no changes: set them on both, then go on writing
    held.clear();
    Map<String, Long> before = new HashMap<>();
    for (String p : projects) {
      before.put(p, db.sequence(p));
      Quota q = Quota.of(db.quotaUsage(p).backupsUsed() + 2, 5_000);
      db.setQuota(p, q);
      replica.setQuota(p, q);
      assertEquals(before.get(p), db.sequence(p), why + ": setQuota raises no sequence");
    }
    for (int i = 0; i < 30; i++) {
      randomChange(random, db, projects.get(random.nextInt(projects.size())));
    }
    await("the feed of the second phase", () -> {
      for (String p : projects) {
        if (seqs(held, p).size() < db.sequence(p) - before.get(p)) {
          return false;
        }
      }
      return true;
    });
    for (String p : projects) {
      assertEquals(range(before.get(p) + 1, db.sequence(p)), seqs(held, p), why + ": " + p + " after its quota");
    }
    for (Change c : held) {
      assertTrue(replica.replay(c), why + ": " + c);
    }
    for (String p : projects) {
      assertSameAnswers(why + ", " + p + " with quotas", db, replica, p);
    }
  }

  private static List<String> ids(List<Backup> backups) {
    List<String> out = new ArrayList<>();
    for (Backup b : backups) {
      out.add(b.id());
    }
    return out;
  }

  private static void replayHeld(String why, List<Change> held, Map<String, ProjectSnapshot> snapshots,
      BackupCatalog replica, List<String> projects) {
    for (String p : projects) {
      List<Long> got = seqs(held, p);
      if (!got.isEmpty()) {
        assertEquals(range(got.get(0), got.get(got.size() - 1)), got, why + ": " + p + " without gaps");
        assertTrue(got.get(0) <= snapshots.get(p).sequence() + 1, why + ": " + p + " held from before its snapshot");
      }
    }
    for (Change c : held) {
      boolean expected = c.sequence() > snapshots.get(c.projectId()).sequence();
      assertEquals(expected, replica.replay(c), why + ": replay " + c + " over " + snapshots.get(c.projectId()));
    }
  }

  // =============================================================================================
  // The other way: an in-memory primary's snapshot loaded into the database, its feed replayed there

  /**
   * BackupCatalog#load: "A consistent snapshot of a project of another catalog is source.read(projectId,
   * ProjectView::snapshot)"; #replay installs "exactly as committed ... quotas are not checked". An
   * in-memory primary with a quota its replayed changes go beyond; the database loads its snapshot
   * mid-way and replays the held feed: the database then answers as the primary, and its own
   * subscribers hear the replayed changes with their own sequences.
   */
  @Test
  void anInMemoryPrimarysSnapshotLoadedIntoTheDatabaseAndItsFeedReplayedThereAnswerAlike() {
    start();
    long seed = System.nanoTime();
    String why = "seed " + seed;
    Random random = new Random(seed);
    List<String> projects = projects();
    BackupCatalog primary = Catalogs.indexed(CLOCK);
    List<Change> held = new ArrayList<>();
    primary.subscribe(held::add);
    List<Change> heard = new CopyOnWriteArrayList<>();
    keep(db.subscribe(heard::add));
    for (int i = 0; i < 20; i++) {
      randomChange(random, primary, projects.get(random.nextInt(projects.size())));
    }
    primary.setQuota(projects.get(1), Quota.of(primary.quotaUsage(projects.get(1)).backupsUsed(), 1));
    Map<String, ProjectSnapshot> snapshots = new LinkedHashMap<>();
    for (String p : projects) {
      ProjectSnapshot s = primary.read(p, ProjectView::snapshot);
      snapshots.put(p, s);
      db.load(s);
      assertEquals(s.sequence(), db.sequence(p), why);
    }
    for (int i = 0; i < 20; i++) {
      String p = projects.get(random.nextInt(projects.size()));
      if (p.equals(projects.get(1)) && random.nextBoolean()) {
        // beyond the primary's quota only through replay: the primary refuses, so set it aside
        primary.setQuota(p, Quota.NONE);
        primary.add(backup(random, p, id(random)));
        primary.setQuota(p, Quota.of(primary.quotaUsage(p).backupsUsed() - 1, 1));
      } else {
        randomChange(random, primary, p);
      }
    }
    replayHeld(why, held, snapshots, db, projects);
    db.setQuota(projects.get(1), primary.quotaUsage(projects.get(1)).quota());   // quotas: set on both
    for (String p : projects) {
      assertSameAnswers(why + ", " + p, primary, db, p);
      long from = snapshots.get(p).sequence();
      long to = primary.sequence(p);
      await(why + ": the database's subscriber hears " + p + " to " + to,
          () -> to == from || seqs(heard, p).contains(to));
      assertEquals(range(from + 1, to), seqs(heard, p), why + ": the database's feed after the loaded snapshot");
      assertEquals(range(from + 1, to), seqs(feed(db, p), p), why + ": changes() holds no change before the snapshot");
    }
  }

  // =============================================================================================
  // Snapshots of many tied backups: several pages of one read

  /**
   * ProjectView#snapshot: "every backup (in the default order, newest created first) ... from the
   * one state of the view". 1,001 backups created at one instant (so the default order is decided by
   * the ids alone: odd ones, private-use chars, letters above U+FFFF, case pairs) take two pages of
   * the maximum limit: each is in the snapshot once, in the order the database's own pages give.
   */
  @Test
  void aSnapshotOfThousandsOfBackupsCreatedAtOneInstantHoldsEachOnceInTheDefaultOrder() {
    start();
    String p = prefix + "tied-ü";
    Instant at = NOW.minusSeconds(3600);
    String[] stems = {"a", "A", "\uE000", "\uFFFF", "\ud83d\ude00", "é", "Z", "-", "中"};
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      batch.add(simple(p, stems[i % stems.length] + (i / stems.length) + stems[(i * 7) % stems.length], 1, at));
    }
    List<Change> feedFromZero = new CopyOnWriteArrayList<>();
    keep(db.subscribe(Map.of(p, 0L), c -> {
      if (c.projectId().equals(p)) {
        feedFromZero.add(c);
      }
    }));
    db.addAll(batch);
    db.setQuota(p, Quota.of(3000, 10));
    await("1001 changes of one batch", () -> feedFromZero.size() >= 1001);
    assertEquals(range(1, 1001), seqs(feedFromZero, p), "in order across the feed's reads");
    ProjectSnapshot s = db.read(p, ProjectView::snapshot);
    assertEquals(1001, s.sequence());
    assertEquals(Quota.of(3000, 10), s.quota());
    assertEquals(1001, byId(s.backups()).size());
    assertEquals(ids(all(db, p)), ids(s.backups()), "the snapshot's order is the database's default order");
    List<String> byOffset = new ArrayList<>();
    for (int offset = 0; offset < 1001; offset += 1000) {
      byOffset.addAll(ids(db.query(p, Query.builder().limit(1000).offset(offset).build()).backups()));
    }
    assertEquals(byOffset, ids(s.backups()));
    BackupCatalog replica = Catalogs.indexed(CLOCK);
    replica.load(s);
    assertEquals(1001, replica.count(p, Predicates.all()));
    assertEquals(db.quotaUsage(p), replica.quotaUsage(p));
    assertEquals(db.usage(p, UsageQuery.firstServers(10)), replica.usage(p, UsageQuery.firstServers(10)));
  }

  // =============================================================================================
  // Quotas are no changes

  /**
   * BackupCatalog#setQuota: "A quota is no Change: setting it raises no sequence and tells no
   * subscriber". On the database: a quota of a project that has nothing else, and quotas of a
   * project with changes, leave sequence, feed and both kinds of subscription untouched; the snapshot
   * of a project with a quota alone is at sequence 0 with the quota and no backup, and loads.
   */
  @Test
  void quotasRaiseNoSequenceReachNoSubscriberAndAQuotaOnlyProjectSnapshotsAtZero() {
    start();
    String quotaOnly = prefix + "quota-only-ä";
    String busy = prefix + "busy-\ud83d\ude00";
    String other = prefix + "other";
    db.add(simple(busy, "b-1"));
    List<Change> fromNow = new CopyOnWriteArrayList<>();
    List<Change> fromPositions = new CopyOnWriteArrayList<>();
    keep(db.subscribe(fromNow::add));
    keep(db.subscribe(Map.of(quotaOnly, 0L, busy, 1L, other, 0L), fromPositions::add));
    db.setQuota(quotaOnly, Quota.of(7, 70));
    db.setQuota(busy, Quota.of(1, 1));
    db.setQuota(busy, Quota.NONE);
    db.setQuota(busy, Quota.of(5, 50));
    assertEquals(0, db.sequence(quotaOnly));
    assertEquals(1, db.sequence(busy));
    assertEquals(List.of(), db.changes(quotaOnly, 0, 10));
    assertEquals(List.of(1L), seqs(db.changes(busy, 0, 10), busy));
    db.add(simple(other, "o-1"));   // a change after the quotas: once it is heard, the quotas were not
    await("the other project's change", () -> seqs(fromNow, other).size() == 1 && seqs(fromPositions, other).size() == 1);
    for (List<Change> heard : List.of(fromNow, fromPositions)) {
      assertEquals(List.of(), seqs(heard, quotaOnly));
      assertEquals(List.of(), seqs(heard, busy));
    }
    ProjectSnapshot s = db.read(quotaOnly, ProjectView::snapshot);
    assertEquals(new ProjectSnapshot(quotaOnly, 0, Quota.of(7, 70), List.of()), s);
    String unknown = prefix + "never-written-ß";
    assertEquals(new ProjectSnapshot(unknown, 0, Quota.NONE, List.of()), db.read(unknown, ProjectView::snapshot));
    String longId = prefix + "x".repeat(80);   // any non-blank id takes a quota (setQuota's javadoc)
    db.setQuota(longId, Quota.of(1, 2));
    assertEquals(new ProjectSnapshot(longId, 0, Quota.of(1, 2), List.of()), db.read(longId, ProjectView::snapshot));
    assertEquals(new ProjectSnapshot(busy, 1, Quota.of(5, 50), List.of(db.get(busy, "b-1"))),
        db.read(busy, ProjectView::snapshot));
    BackupCatalog replica = Catalogs.indexed(CLOCK);
    replica.load(s);
    assertEquals(db.quotaUsage(quotaOnly), replica.quotaUsage(quotaOnly));
    db.add(simple(busy, "b-2"));
    await("busy's change 2", () -> seqs(fromNow, busy).equals(List.of(2L)) && seqs(fromPositions, busy).equals(List.of(2L)));
  }

  // =============================================================================================
  // subscribe(after, ...) over many projects, loaded ones among them

  /**
   * #subscribe(Map, Consumer): "Delivers every change after the given sequences ... a project it
   * does not name is delivered from its first change ... A position is taken as given, also beyond
   * the project's current sequence: the changes up to it are then skipped"; #changes: "Changes before
   * a project's loaded snapshot are not in the feed". Twenty projects with odd ids, random positions
   * (some past the head, some absent), two loaded at sequence 500.
   */
  @Test
  void positionsOfManyProjectsResumeExactlyAfterThemLoadedProjectsAmongThem() {
    start();
    long seed = System.nanoTime();
    String why = "seed " + seed;
    Random random = new Random(seed);
    List<String> projects = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      projects.add(prefix + (i % 2 == 0 ? "ü-" : "\ud83d\ude00 ") + i);
    }
    List<Backup> batch = new ArrayList<>();
    for (String p : projects) {
      for (int i = random.nextInt(5); i > 0; i--) {
        batch.add(simple(p, id(random)));
      }
    }
    db.addAll(batch);
    String loadedLow = prefix + "loaded-low";
    String loadedHigh = prefix + "loaded-high";
    db.load(new ProjectSnapshot(loadedLow, 500, Quota.NONE, List.of(simple(loadedLow, "l-1"))));
    db.load(new ProjectSnapshot(loadedHigh, 500, Quota.NONE, List.of()));
    Map<String, Long> after = new HashMap<>();
    Map<String, Long> expectedFrom = new HashMap<>();
    for (String p : projects) {
      long head = db.sequence(p);
      int kind = random.nextInt(4);
      if (kind == 0) {
        expectedFrom.put(p, 1L);   // not named: from its first change
      } else {
        long position = kind == 1 ? head + 1 + random.nextInt(2) : random.nextInt((int) head + 1);
        after.put(p, position);
        expectedFrom.put(p, position + 1);
      }
    }
    after.put(loadedLow, 0L);
    expectedFrom.put(loadedLow, 501L);
    after.put(loadedHigh, 503L);
    expectedFrom.put(loadedHigh, 504L);
    List<Change> refusedConsumer = new CopyOnWriteArrayList<>();
    Map<String, Long> bad = new HashMap<>(after);
    bad.put(prefix + "bad", -1L);
    InvalidValueException refused = assertThrows(InvalidValueException.class, () -> db.subscribe(bad, refusedConsumer::add));
    assertEquals("after[" + prefix + "bad]", refused.field());
    List<Change> got = new CopyOnWriteArrayList<>();
    keep(db.subscribe(after, got::add));
    after.clear();   // the caller's map is not the subscription's
    batch.clear();
    for (String p : projects) {
      for (int i = 1 + random.nextInt(3); i > 0; i--) {
        batch.add(simple(p, id(random)));
      }
    }
    for (int i = 0; i < 5; i++) {
      batch.add(simple(loadedLow, "l+" + i));
      batch.add(simple(loadedHigh, "h+" + i));
    }
    db.addAll(batch);
    List<String> all = new ArrayList<>(projects);
    all.add(loadedLow);
    all.add(loadedHigh);
    for (String p : all) {
      long head = db.sequence(p);
      await(why + ": " + p + " to " + head, () -> expectedFrom.get(p) > head || seqs(got, p).contains(head));
    }
    for (String p : all) {
      long head = db.sequence(p);
      long from = expectedFrom.get(p);
      assertEquals(range(p.equals(loadedLow) ? 501 : from, head), seqs(got, p), why + ": " + p);
    }
    assertEquals(List.of(), refusedConsumer, "a refused subscribe delivers nothing");
  }

  // =============================================================================================
  // Cancel

  /**
   * BackupCatalog#subscribe: "the same subscriber subscribed twice is two subscriptions, each
   * cancelled on its own"; Subscription#cancel: "Stops the deliveries to this subscriber; changes being
   * delivered may still arrive". On the database: one consumer subscribed twice hears each change
   * twice; one subscription cancelled twice leaves the other; a subscription cancelled from inside
   * its own delivery hears nothing after that change.
   */
  @Test
  void theSameConsumerTwiceIsTwoSubscriptionsAndACancelInsideADeliveryStopsItsOwn() {
    start();
    String p = prefix + "cancel-ñ";
    List<Change> got = new CopyOnWriteArrayList<>();
    Consumer<Change> consumer = got::add;
    Subscription first = keep(db.subscribe(consumer));
    Subscription second = keep(db.subscribe(Map.of(p, 0L), consumer));
    List<Change> self = new CopyOnWriteArrayList<>();
    AtomicReference<Subscription> selfSubscription = new AtomicReference<>();
    selfSubscription.set(keep(db.subscribe(change -> {
      if (change.projectId().equals(p)) {
        self.add(change);
        if (change.sequence() == 2) {
          selfSubscription.get().cancel();
          selfSubscription.get().cancel();
        }
      }
    })));
    db.add(simple(p, "c-1"));
    await("change 1 twice", () -> seqs(got, p).equals(List.of(1L, 1L)));
    first.cancel();
    first.cancel();
    db.add(simple(p, "c-2"));
    db.add(simple(p, "c-3"));
    await("changes 2 and 3 once", () -> seqs(got, p).equals(List.of(1L, 1L, 2L, 3L)));
    second.cancel();
    db.add(simple(p, "c-4"));
    List<Change> witness = new CopyOnWriteArrayList<>();
    keep(db.subscribe(Map.of(p, 3L), witness::add));
    await("change 4 reaches a new subscription", () -> seqs(witness, p).equals(List.of(4L)));
    PostgresCatalog other = open();
    List<Change> otherWitness = new CopyOnWriteArrayList<>();
    keep(other.subscribe(Map.of(p, 4L), otherWitness::add));
    db.add(simple(p, "c-5"));
    await("change 5 reaches another instance's subscription", () -> seqs(otherWitness, p).equals(List.of(5L)));
    assertEquals(List.of(1L, 1L, 2L, 3L), seqs(got, p), "cancelled twice each: nothing after");
    assertEquals(List.of(1L, 2L), seqs(self, p), "cancelled inside the delivery of change 2");
  }

  // =============================================================================================
  // A subscriber that throws

  /**
   * PostgresCatalog: "A subscriber that throws gets the same change again later, so nothing committed
   * is lost". A consumer that fails the first try of every change of one project (an exception, then
   * an error) gets each again, in order, while another project's changes go on.
   */
  @Test
  void aSubscriberFailingTheFirstTryOfEveryChangeGetsEachAgainInOrder() {
    start();
    String p = prefix + "flaky-ß";
    String q = prefix + "steady";
    List<String> tries = new CopyOnWriteArrayList<>();
    List<Change> accepted = new CopyOnWriteArrayList<>();
    Map<Long, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
    keep(db.subscribe(Map.of(), change -> {
      if (change.projectId().equals(p)) {
        tries.add("#" + change.sequence());
        if (seen.merge(change.sequence(), 1, Integer::sum) == 1) {
          if (change.sequence() % 2 == 0) {
            throw new AssertionError("first try of " + change.sequence());
          }
          throw new IllegalStateException("first try of " + change.sequence());
        }
      }
      if (change.projectId().equals(p) || change.projectId().equals(q)) {
        accepted.add(change);
      }
    }));
    db.addAll(List.of(simple(p, "f-1"), simple(p, "f-2"), simple(q, "s-1")));
    db.add(simple(q, "s-2"));
    await("two changes of " + p, () -> seqs(accepted, p).size() == 2);
    assertEquals(List.of("#1", "#1", "#2", "#2"), tries);
    assertEquals(List.of(1L, 2L), seqs(accepted, p));
    await("two changes of " + q, () -> seqs(accepted, q).size() == 2);
    assertEquals(List.of(1L, 2L), seqs(accepted, q));
  }

  // =============================================================================================
  // load on the database

  /** What a test compares to say "nothing changed" of a project of the database. */
  private List<Object> state(String project) {
    return List.of(db.sequence(project), all(db, project), db.tagCatalogue(project),
        db.usage(project, UsageQuery.firstServers(50)), db.quotaUsage(project), db.count(project, Predicates.all()),
        feed(db, project));
  }

  /**
   * BackupCatalog#load: "Loads a project ... where the project has no backups and sequence 0 ...
   * All or nothing ... @throws IllegalStateException if the project already has backups or a sequence
   * above 0 here". On the database: a project with a quota alone loads (and takes the snapshot's
   * quota); one whose every backup was removed (sequence above 0, no backup) is refused and keeps its
   * quota, sequence and feed; a snapshot with a backup PostgreSQL cannot hold (a NUL in its name) is
   * refused naming the field and writes nothing, not even the project; a from-now subscriber hears
   * no load, and the first change after a load is the snapshot's sequence + 1.
   */
  @Test
  void loadOnTheDatabaseIsAllowedRefusedAndAllOrNothingAsDocumented() {
    start();
    String quotaOnly = prefix + "q-only-é";
    String emptied = prefix + "emptied-\ud83d\ude00";
    String fresh = prefix + "fresh-中";
    List<Change> heard = new CopyOnWriteArrayList<>();
    keep(db.subscribe(heard::add));
    db.setQuota(quotaOnly, Quota.of(1, 1));
    db.load(new ProjectSnapshot(quotaOnly, 42, Quota.of(9, 90),
        List.of(simple(quotaOnly, "q-1", 5_000, NOW.minusSeconds(9)), simple(quotaOnly, "q-2", 6_000, NOW.minusSeconds(8)))));
    assertEquals(42, db.sequence(quotaOnly));
    assertEquals(Quota.of(9, 90), db.quotaUsage(quotaOnly).quota(), "the snapshot's quota replaces the one set before");
    assertEquals(2, db.quotaUsage(quotaOnly).backupsUsed());
    assertEquals(11_000, db.quotaUsage(quotaOnly).sizeMbUsed());
    assertEquals(List.of(), feed(db, quotaOnly));

    db.add(simple(emptied, "e-1"));
    db.remove(emptied, "e-1", 1);
    db.setQuota(emptied, Quota.of(3, 3));
    List<Object> before = state(emptied);
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> db.load(new ProjectSnapshot(emptied, 0, Quota.NONE, List.of())));
    assertTrue(refused.getMessage().contains(emptied), refused.getMessage());
    assertEquals(before, state(emptied), "a refused load changes nothing");

    Backup bad = Backup.builder().id("x-1").name("ok").projectId(fresh).server(SERVERS[1])
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(NOW.minusSeconds(1)).description("nul \u0000 here").build();
    List<Backup> many = new ArrayList<>();
    for (int i = 0; i < 700; i++) {
      many.add(simple(fresh, "f-" + i));
    }
    many.add(bad);
    InvalidValueException notStorable = assertThrows(InvalidValueException.class,
        () -> db.load(new ProjectSnapshot(fresh, 7, Quota.of(2, 2), many)));
    assertEquals("description", notStorable.field());
    assertEquals(0, db.sequence(fresh));
    assertEquals(Quota.NONE, db.quotaUsage(fresh).quota(), "nothing of the refused snapshot, not even its quota");
    assertEquals(0, db.count(fresh, Predicates.all()));
    many.remove(bad);
    db.load(new ProjectSnapshot(fresh, 7, Quota.of(2, 2), many));   // beyond its quota: loads as documented
    assertEquals(700, db.count(fresh, Predicates.all()));

    db.add(simple(prefix + "after-loads", "w-1"));   // once heard, any change of the loads would be too
    db.apply(fresh, "f-3", 1, Transition.delete());  // change 8
    await("the change after the loads", () -> seqs(heard, prefix + "after-loads").size() == 1 && seqs(heard, fresh).size() == 1);
    assertEquals(List.of(8L), seqs(heard, fresh), "the load is no change; the next change is its sequence + 1");
    assertEquals(List.of(), seqs(heard, quotaOnly));
    assertEquals(List.of(1L, 2L), seqs(heard, emptied), "the refused load is no change either");
  }

  /**
   * ProjectSnapshot.MAX_SEQUENCE: "the project's changes are numbered on from it". A project loaded
   * into the database at 2^62 numbers its next change 2^62 + 1, and an in-memory replica loaded at
   * 2^62 replays it.
   */
  @Test
  void aProjectLoadedAtTheLargestSequenceNumbersItsNextChangesOnAndAReplicaFollows() {
    start();
    String p = prefix + "max-ω";
    ProjectSnapshot top = new ProjectSnapshot(p, ProjectSnapshot.MAX_SEQUENCE, Quota.NONE, List.of(simple(p, "m-1")));
    db.load(top);
    BackupCatalog replica = Catalogs.indexed(CLOCK);
    replica.load(db.read(p, ProjectView::snapshot));
    List<Change> heard = new CopyOnWriteArrayList<>();
    keep(db.subscribe(Map.of(p, ProjectSnapshot.MAX_SEQUENCE), heard::add));
    db.add(simple(p, "m-2"));
    db.apply(p, "m-1", 1, Transition.restore());
    assertEquals(ProjectSnapshot.MAX_SEQUENCE + 2, db.sequence(p));
    await("two changes past 2^62", () -> seqs(heard, p).size() == 2);
    assertEquals(List.of(ProjectSnapshot.MAX_SEQUENCE + 1, ProjectSnapshot.MAX_SEQUENCE + 2), seqs(heard, p));
    for (Change c : heard) {
      if (c.projectId().equals(p)) {
        assertTrue(replica.replay(c));
      }
    }
    assertSameAnswers("past 2^62", db, replica, p);
    // a snapshot of a project past 2^62 is taken; loading one is refused naming sequence
    ProjectSnapshot past = new ProjectSnapshot(p, ProjectSnapshot.MAX_SEQUENCE + 1, Quota.NONE, List.of());
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> Catalogs.indexed(CLOCK).load(past));
    assertEquals("sequence", e.field());
  }

  /**
   * ProjectView#snapshot: "@return the snapshot of the project at the view's state" (no exception
   * documented). A project loaded at MAX_SEQUENCE goes on past it (see above), and then no snapshot
   * of it can be taken: ProjectSnapshot refuses a sequence above 2^62, so a replica of it can no
   * longer be started from the documented read(p, ProjectView::snapshot).
   */
  @Test
  void aSnapshotOfAProjectPastTheLargestSequenceIsTaken() {
    start();
    String p = prefix + "past-max";
    db.load(new ProjectSnapshot(p, ProjectSnapshot.MAX_SEQUENCE, Quota.NONE, List.of()));
    db.add(simple(p, "pm-1"));
    ProjectSnapshot s = db.read(p, ProjectView::snapshot);
    assertEquals(ProjectSnapshot.MAX_SEQUENCE + 1, s.sequence());
  }

  // =============================================================================================
  // Changes the database refuses

  /**
   * README: "each change is one transaction (..., and a row in the change feed, all or nothing)";
   * BackupCatalog: "a refused change (any exception) leaves the catalog exactly as it was". Changes
   * the database itself refuses (a trigger of the test's schema raising on chosen ids): an add, a
   * batch over two projects, a transition, a removal, a replay and a load of 600 backups that fails
   * on the last chunk each raise CatalogDatabaseException and leave every project's state, feed and
   * subscribers as they were.
   */
  @Test
  void changesTheDatabaseRefusesLeaveTheDatabaseAndEverySubscriberUntouched() {
    // the refusal is a test trigger, and Citus refuses triggers on distributed tables
    org.junit.jupiter.api.Assumptions.assumeFalse(TestDatabase.citus(), "plain PostgreSQL only: a test trigger");
    start();
    String p = prefix + "refusing-ü";
    String q = prefix + "other-\ud83d\ude00";
    String r = prefix + "to-load";
    db.add(simple(p, "ok-1"));
    db.add(simple(p, "refuse-later-1"));
    db.add(simple(q, "ok-q"));
    db.setQuota(q, Quota.of(10, 10));
    List<Change> fromNow = new CopyOnWriteArrayList<>();
    List<Change> fromZero = new CopyOnWriteArrayList<>();
    keep(db.subscribe(fromNow::add));
    keep(db.subscribe(Map.of(p, 0L, q, 0L, r, 0L), fromZero::add));
    await("the existing changes", () -> seqs(fromZero, p).size() == 2 && seqs(fromZero, q).size() == 1);
    Map<String, List<Object>> before = new HashMap<>();
    for (String x : List.of(p, q, r)) {
      before.put(x, state(x));
    }
    TestDatabase.execute(store, "CREATE OR REPLACE FUNCTION fp_refuse_backup() RETURNS trigger LANGUAGE plpgsql AS $$ "
        + "BEGIN IF NEW.id LIKE 'refuse-me%' THEN RAISE EXCEPTION 'the test refuses %', NEW.id; END IF; RETURN NEW; END $$");
    TestDatabase.execute(store, "CREATE OR REPLACE FUNCTION fp_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        + "BEGIN IF NEW.backup_id LIKE 'refuse-later%' THEN RAISE EXCEPTION 'the test refuses %', NEW.backup_id; END IF; "
        + "RETURN NEW; END $$");
    TestDatabase.execute(store, "CREATE TRIGGER fp_refuse_backup BEFORE INSERT OR UPDATE ON csbs_backup "
        + "FOR EACH ROW EXECUTE FUNCTION fp_refuse_backup()");
    TestDatabase.execute(store, "CREATE TRIGGER fp_refuse_change BEFORE INSERT ON csbs_change "
        + "FOR EACH ROW EXECUTE FUNCTION fp_refuse_change()");
    try {
      assertThrows(CatalogDatabaseException.class, () -> db.add(simple(p, "refuse-me-1")));
      assertThrows(CatalogDatabaseException.class,
          () -> db.addAll(List.of(simple(q, "fine-q"), simple(p, "fine-p"), simple(p, "refuse-me-2"))));
      assertThrows(CatalogDatabaseException.class, () -> db.apply(p, "refuse-later-1", 1, Transition.restore()));
      assertThrows(CatalogDatabaseException.class, () -> db.updateTags(p, "refuse-later-1", 1,
          TagUpdate.create(Tag.of("env", "prod"))));
      assertThrows(CatalogDatabaseException.class, () -> db.remove(p, "refuse-later-1", 1));
      Backup replayed = simple(p, "refuse-me-3");
      assertThrows(CatalogDatabaseException.class,
          () -> db.replay(new Change(3, p, replayed.id(), Optional.empty(), Optional.of(replayed), Optional.empty())));
      List<Backup> many = new ArrayList<>();
      for (int i = 0; i < 599; i++) {
        many.add(simple(r, "l-" + i));
      }
      many.add(simple(r, "refuse-me-4"));
      assertThrows(CatalogDatabaseException.class, () -> db.load(new ProjectSnapshot(r, 12, Quota.of(1, 1), many)));
    } finally {
      TestDatabase.execute(store, "DROP TRIGGER IF EXISTS fp_refuse_backup ON csbs_backup");
      TestDatabase.execute(store, "DROP TRIGGER IF EXISTS fp_refuse_change ON csbs_change");
      TestDatabase.execute(store, "DROP FUNCTION IF EXISTS fp_refuse_backup()");
      TestDatabase.execute(store, "DROP FUNCTION IF EXISTS fp_refuse_change()");
    }
    for (String x : List.of(p, q, r)) {
      assertEquals(before.get(x), state(x), x + ": as it was");
    }
    db.add(simple(p, "ok-2"));
    db.add(simple(q, "ok-q2"));
    db.add(simple(r, "ok-r"));
    await("the changes after the refusals", () -> seqs(fromZero, r).size() == 1 && seqs(fromNow, r).size() == 1
        && seqs(fromZero, q).size() == 2 && seqs(fromNow, q).size() == 1);
    await("p's change 3", () -> seqs(fromZero, p).size() == 3 && seqs(fromNow, p).size() == 1);
    assertEquals(List.of(1L, 2L, 3L), seqs(fromZero, p));
    assertEquals("ok-2", fromZero.stream().filter(c -> c.projectId().equals(p) && c.sequence() == 3).findFirst()
        .orElseThrow().backupId());
    assertEquals(List.of(3L), seqs(fromNow, p));
    assertEquals(List.of(1L, 2L), seqs(fromZero, q));
    assertEquals(List.of(1L), seqs(fromZero, r));
  }

  // =============================================================================================
  // Snapshots beside batches and quotas

  /**
   * README: "load source.read(project, ProjectView::snapshot) (one consistent state: backups, quota,
   * sequence)". Another instance sets the quota to k backups, then adds backup k, and so on, and adds
   * batches of 510 (two statements of rows each); every snapshot read meanwhile has as many backups
   * as its sequence and a quota of those or one more, and never part of a batch.
   */
  @Test
  void snapshotsBesideQuotasAndBatchesOfAnotherInstanceAreEachOneState() throws Exception {
    start();
    String single = prefix + "one-by-one-ä";
    String batches = prefix + "batches-\ud83d\ude00";
    PostgresCatalog other = open();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    AtomicInteger progress = new AtomicInteger();
    Thread writer = new Thread(() -> {
      try {
        for (int k = 1; k <= 30; k++) {
          other.setQuota(single, Quota.of(k, 1_000_000));
          other.add(simple(single, "s-" + k, k, NOW.minusSeconds(k)));
          progress.incrementAndGet();
          if (k % 13 == 0) {
            List<Backup> batch = new ArrayList<>();
            for (int i = 0; i < 510; i++) {
              batch.add(simple(batches, "b-" + k + "-" + i, 1, NOW.minusSeconds(i)));
            }
            other.addAll(batch);
          }
        }
      } catch (Throwable t) {
        failed.set(t);
      }
    }, "quota-writer");
    writer.start();
    int snapshots = 0;
    while (writer.isAlive() && snapshots < 40) {
      int seen = progress.get();
      await("the writer's progress", () -> progress.get() > seen || !writer.isAlive());
      ProjectSnapshot one = db.read(single, ProjectView::snapshot);
      assertEquals(one.sequence(), one.backups().size(), one.toString());
      if (one.sequence() > 0) {
        long over = one.quota().maxBackups() - one.backups().size();
        assertTrue(over == 0 || over == 1, "quota " + one.quota() + " beside " + one);
      }
      ProjectSnapshot many = db.read(batches, ProjectView::snapshot);
      assertEquals(0, many.backups().size() % 510, many.toString());
      assertEquals(many.sequence(), many.backups().size(), many.toString());
      snapshots++;
    }
    writer.join(30_000);
    assertFalse(writer.isAlive(), "the writer hangs");
    if (failed.get() != null) {
      throw new AssertionError("the writer failed", failed.get());
    }
    assertEquals(new ProjectSnapshot(single, 30, Quota.of(30, 1_000_000), all(db, single)),
        db.read(single, ProjectView::snapshot));
    assertEquals(1020, db.read(batches, ProjectView::snapshot).backups().size());
  }

  /**
   * Subscription#cancel: "Stops the deliveries to this subscriber". A subscriber that threw on a
   * change waits to get it again; cancelled during that wait, it does not get it again.
   */
  @Test
  void aSubscriberCancelledWhileWaitingToGetAChangeAgainDoesNotGetIt() {
    start();
    String p = prefix + "cancel-after-throw";
    List<Change> tries = new CopyOnWriteArrayList<>();
    Subscription s = keep(db.subscribe(Map.of(p, 0L), change -> {
      if (change.projectId().equals(p)) {
        tries.add(change);
        throw new IllegalStateException("not now");
      }
    }));
    db.add(simple(p, "t-1"));
    await("the first try", () -> tries.size() == 1);
    s.cancel();
    List<Change> witness = new CopyOnWriteArrayList<>();
    keep(db.subscribe(Map.of(p, 1L), witness::add));
    long end = System.nanoTime() + Duration.ofMillis(200).toNanos();
    int n = 1;
    while (System.nanoTime() < end) {   // more changes, each seen by the witness: the feed is going on
      db.add(simple(p, "t-" + ++n));
      long head = n;
      await("change " + head + " at the witness", () -> seqs(witness, p).contains(head));
    }
    assertEquals(List.of(1L), seqs(tries, p), "cancelled: the change it threw on is not delivered again");
  }

  // =============================================================================================
  // A subscription made inside a delivery; a snapshot of a view outside its read

  /**
   * BackupCatalog#subscribe: "A subscription gets the changes committed after subscribe returned (one
   * made inside a delivery too: not the changes committed before it, even those not yet delivered)".
   * On the database: a subscriber that, delivered change 1, makes change 2 and then subscribes
   * another, whose first change is 3.
   */
  @Test
  void aSubscriptionMadeInsideADeliveryGetsOnlyTheChangesCommittedAfterIt() {
    start();
    String p = prefix + "inside-ø";
    List<Change> late = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    keep(db.subscribe(Map.of(p, 0L), change -> {
      if (change.projectId().equals(p) && change.sequence() == 1) {
        try {
          db.add(simple(p, "in-2"));
          keep(db.subscribe(c -> {
            if (c.projectId().equals(p)) {
              late.add(c);
            }
          }));
        } catch (Throwable t) {
          failed.set(t);
        }
      }
    }));
    db.add(simple(p, "in-1"));
    await("change 2, made inside the delivery", () -> db.sequence(p) == 2 || failed.get() != null);
    await("the inner subscription", () -> toClose.size() >= 3 || failed.get() != null);
    db.add(simple(p, "in-3"));
    await("change 3 at the inner subscription", () -> !late.isEmpty() || failed.get() != null);
    if (failed.get() != null) {
      throw new AssertionError(failed.get());
    }
    db.add(simple(p, "in-4"));
    await("change 4 at the inner subscription", () -> late.size() >= 2);
    assertEquals(List.of(3L, 4L), seqs(late, p));
  }

  /**
   * ProjectView: "A view works only on the thread that called read, and only until read returns;
   * otherwise its methods throw IllegalStateException". snapshot() is one of its methods.
   */
  @Test
  void aSnapshotOfAViewOutsideItsReadOrThreadIsRefused() throws Exception {
    start();
    String p = prefix + "leaked-view";
    db.add(simple(p, "v-1"));
    ProjectView[] leaked = new ProjectView[1];
    AtomicReference<Throwable> fromAnotherThread = new AtomicReference<>();
    db.read(p, view -> {
      leaked[0] = view;
      Thread t = new Thread(() -> {
        try {
          view.snapshot();
        } catch (Throwable e) {
          fromAnotherThread.set(e);
        }
      });
      t.start();
      try {
        t.join(30_000);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      return null;
    });
    assertTrue(fromAnotherThread.get() instanceof IllegalStateException, String.valueOf(fromAnotherThread.get()));
    assertThrows(IllegalStateException.class, () -> leaked[0].snapshot());
  }

  // =============================================================================================
  // The feed inside a read

  /**
   * BackupCatalog#read: "Inside reads the calling thread may read the same project (through the view
   * or the catalog) but not change any project, nor read another project: either could deadlock
   * against other threads, so the catalog refuses both with an IllegalStateException". On the
   * database queryAllProjects inside a read is refused so; PostgresCatalog#changes, a read of another
   * project's feed, is not.
   */
  @Test
  void theFeedOfAnotherProjectInsideAReadIsRefused() {
    start();
    String p = prefix + "reading";
    String q = prefix + "other";
    db.add(simple(p, "r-1"));
    db.add(simple(q, "o-1"));
    assertThrows(IllegalStateException.class, () -> db.read(p, view -> db.queryAllProjects(Query.all())));
    assertThrows(IllegalStateException.class, () -> db.read(p, view -> db.changes(q, 0, 10)));
  }

  /**
   * PostgresCatalog#read: "one read-only REPEATABLE READ transaction, so its answers agree although
   * writers go on"; BackupCatalog#read: inside it the thread "may read the same project (through the
   * view or the catalog)", and the view "does not see changes committed while reads runs". The
   * catalog's own sequence and find inside a read answer from the read's state; its changes(...)
   * does not: a change another thread commits meanwhile is in the feed read inside the read, beyond
   * the read's sequence. The docs do not say which calls leave the read's state.
   */
  @Test
  void theFeedReadInsideAReadAgreesWithTheReadsSequence() throws Exception {
    start();
    String p = prefix + "feed-in-read";
    db.add(simple(p, "r-1"));
    long[] seen = db.read(p, view -> {
      long at = view.sequence();
      addFromAnotherThread(p, "r-2");
      return new long[] {at, db.sequence(p), db.changes(p, 0, 10).size()};
    });
    assertEquals(1, seen[0]);
    assertEquals(1, seen[1]);
    assertEquals(1, seen[2], "the feed inside the read ends at the read's sequence");
  }

  private void addFromAnotherThread(String project, String id) {
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        db.add(simple(project, id));
      } catch (Throwable e) {
        failed.set(e);
      }
    });
    t.start();
    try {
      t.join(30_000);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    assertFalse(t.isAlive(), "a writer beside the read hangs");
    if (failed.get() != null) {
      throw new AssertionError("the writer beside the read failed", failed.get());
    }
  }

  // =============================================================================================
  // replay's order of checks on the database

  /**
   * BackupCatalog#replay: "Checked in this order: the sequence (already installed, or one missing),
   * then whether the backup exists (or is new), then its version"; "@return ... false if
   * change.sequence() <= sequence(...): the change is already installed and nothing happens (so an
   * at-least-once feed can be replayed safely)"; "@throws IllegalStateException if ... a change is
   * missing". PostgresCatalog refuses a backup with a time finer than a microsecond naming the
   * field, and does so before it looks at the sequence: a change already installed, or one whose
   * predecessor is missing, is refused naming {@code created at} instead. (An in-memory primary's
   * change forwarded to the database, as #replay's javadoc shows, may carry such a time.)
   */
  @Test
  void replayOnTheDatabaseChecksTheSequenceFirst() {
    start();
    String p = prefix + "replay-order";
    db.add(simple(p, "a-1"));
    Backup fine = simple(p, "a-2", 1, NOW.minusNanos(1));
    assertFalse(db.replay(new Change(1, p, fine.id(), Optional.empty(), Optional.of(fine), Optional.empty())));
    assertThrows(IllegalStateException.class,
        () -> db.replay(new Change(5, p, fine.id(), Optional.empty(), Optional.of(fine), Optional.empty())));
  }

  // =============================================================================================
  // Subscribing while another instance writes

  /**
   * BackupCatalog#subscribe: "A subscription gets the changes committed after subscribe returned
   * (...: not the changes committed before it, even those not yet delivered)", each project's "1, 2,
   * 3, ... (from where the subscription starts) without gaps". Subscriptions made at moments while
   * another instance writes: each starts after the sequence read before subscribe and at most one
   * past the sequence read after it, and has no gap.
   */
  @Test
  void subscriptionsMadeWhileAnotherInstanceWritesStartBetweenTheSequencesAroundThemWithoutGaps() throws Exception {
    start();
    String p = prefix + "moving-ü";
    PostgresCatalog other = open();
    AtomicInteger written = new AtomicInteger();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < 60; i++) {
          other.add(simple(p, "m-" + i));
          written.incrementAndGet();
        }
      } catch (Throwable t) {
        failed.set(t);
      }
    }, "moving-writer");
    writer.start();
    List<long[]> bounds = new ArrayList<>();
    List<List<Change>> lists = new ArrayList<>();
    for (int k = 0; k < 4; k++) {
      int at = 8 + 14 * k;
      await("the writer's change " + at, () -> written.get() >= at || !writer.isAlive());
      List<Change> got = new CopyOnWriteArrayList<>();
      long before = db.sequence(p);
      keep(db.subscribe(c -> {
        if (c.projectId().equals(p)) {
          got.add(c);
        }
      }));
      long after = db.sequence(p);
      bounds.add(new long[] {before, after});
      lists.add(got);
    }
    writer.join(30_000);
    assertFalse(writer.isAlive(), "the writer hangs");
    if (failed.get() != null) {
      throw new AssertionError("the writer failed", failed.get());
    }
    db.add(simple(p, "m-last"));   // change 61: after every subscription, even one made once the writer was done
    for (int k = 0; k < lists.size(); k++) {
      List<Change> got = lists.get(k);
      await("subscription " + k + " to change 61", () -> seqs(got, p).contains(61L));
      List<Long> seqs = seqs(got, p);
      long first = seqs.get(0);
      String what = "subscription " + k + " made between sequences " + bounds.get(k)[0] + " and " + bounds.get(k)[1];
      assertTrue(first > bounds.get(k)[0] && first <= bounds.get(k)[1] + 1, what + " starts at " + first);
      assertEquals(range(first, 61), seqs, what);
    }
  }

  /**
   * Subscription#cancel: "Stops the deliveries to this subscriber; changes being delivered may still
   * arrive". A subscriber that cancels itself in its first delivery, of a batch over three projects,
   * gets nothing more: not the batch's other changes, not the other projects'.
   */
  @Test
  void aCancelInTheFirstDeliveryOfABatchOverThreeProjectsStopsEverythingAfterIt() {
    start();
    List<String> ps = List.of(prefix + "a-é", prefix + "b-\ud83d\ude00", prefix + "c-中");
    List<Change> got = new CopyOnWriteArrayList<>();
    AtomicReference<Subscription> own = new AtomicReference<>();
    own.set(keep(db.subscribe(c -> {
      if (ps.contains(c.projectId())) {
        got.add(c);
        own.get().cancel();
      }
    })));
    List<Backup> batch = new ArrayList<>();
    for (String p : ps) {
      for (int i = 0; i < 3; i++) {
        batch.add(simple(p, "x-" + i));
      }
    }
    db.addAll(batch);
    // a subscription finds projects made after it when its reader next reads the project list, which
    // may come after the witness below has read all it asks for: wait for its first delivery
    await("the first delivery to the subscriber that cancels", () -> !got.isEmpty());
    List<Change> witness = new CopyOnWriteArrayList<>();
    keep(db.subscribe(Map.of(ps.get(0), 0L, ps.get(1), 0L, ps.get(2), 0L), c -> {
      if (ps.contains(c.projectId())) {
        witness.add(c);
      }
    }));
    await("the batch at a witness", () -> witness.size() == 9);
    db.add(simple(ps.get(2), "later"));
    await("a later change at the witness", () -> witness.size() == 10);
    assertEquals(1, got.size(), "cancelled in its first delivery: " + got);
  }

  // =============================================================================================
  // A subscriber that leaves its thread interrupted

  /**
   * PostgresCatalog#subscribe: "Delivers every change committed from now on to subscriber: at least
   * once"; BackupCatalog#subscribe: it gets them "until it is cancelled"; the class: "nothing
   * committed is lost". A subscriber that caught an InterruptedException and restored the interrupt
   * (the usual Java idiom) is never cancelled, yet its feed thread takes the interrupt as the end of
   * the subscription: it stops without a word and every later change is lost to it.
   */
  @Test
  void aSubscriberThatRestoresAnInterruptGetsTheLaterChanges() {
    start();
    String p = prefix + "interrupted";
    List<Change> got = interruptingSubscriber(p);
    db.add(simple(p, "i-2"));
    await("change 2 after the interrupt", () -> seqs(got, p).contains(2L));
    assertEquals(List.of(1L, 2L), seqs(got, p));
  }

  private List<Change> interruptingSubscriber(String p) {
    List<Change> got = new CopyOnWriteArrayList<>();
    keep(db.subscribe(Map.of(p, 0L), c -> {
      if (c.projectId().equals(p)) {
        got.add(c);
        if (c.sequence() == 1) {
          try {
            throw new InterruptedException("as a blocking call inside the subscriber would");
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // restored, as the JDK's docs advise
          }
        }
      }
    }));
    db.add(simple(p, "i-1"));
    await("change 1", () -> got.size() == 1);
    return got;
  }
}
