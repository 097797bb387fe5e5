package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectView;
import io.csbs.catalog.Subscription;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.PredicateVisitor;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TimeRange;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A backup service's own unit tests with csbs-testkit, written from the README and the javadoc: its
 * own catalog decorator run through {@link BackupCatalogContract} (and broken decorators that the
 * contract must fail), {@link InvalidInputs}, {@link QueryGenerator} and {@link BackupGenerator}.
 */
class NewUserTestkitContractTest {
  private static final String P = "tenant-α";
  private static final Instant NOW = FakeClock.DEFAULT_START;

  // ================================================================ the service's own catalog

  /** The service's decorator: forwards everything, and hands the view of a read to {@link #view}. */
  static class Forwarding implements BackupCatalog {
    final BackupCatalog inner;

    Forwarding(BackupCatalog inner) {
      this.inner = inner;
    }

    ProjectView view(ProjectView view) {
      return view;
    }

    @Override public void add(Backup backup) { inner.add(backup); }
    @Override public void addAll(Collection<Backup> backups) { inner.addAll(backups); }
    @Override public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
      return inner.apply(projectId, backupId, expectedVersion, transition);
    }
    @Override public Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update) {
      return inner.updateTags(projectId, backupId, expectedVersion, update);
    }
    @Override public void remove(String projectId, String backupId, long expectedVersion) {
      inner.remove(projectId, backupId, expectedVersion);
    }
    @Override public Optional<Backup> find(String projectId, String backupId) { return inner.find(projectId, backupId); }
    @Override public Page query(String projectId, Query query) { return inner.query(projectId, query); }
    @Override public long count(String projectId, BackupPredicate predicate) { return inner.count(projectId, predicate); }
    @Override public TagCatalogue tagCatalogue(String projectId) { return inner.tagCatalogue(projectId); }
    @Override public <T> T read(String projectId, Function<? super ProjectView, ? extends T> reads) {
      return inner.read(projectId, view -> reads.apply(view(view)));
    }
    @Override public Page queryAllProjects(Query query) { return inner.queryAllProjects(query); }
    @Override public long countAllProjects(BackupPredicate predicate) { return inner.countAllProjects(predicate); }
    @Override public UsageReport usage(String projectId, UsageQuery query) { return inner.usage(projectId, query); }
    @Override public void setQuota(String projectId, Quota quota) { inner.setQuota(projectId, quota); }
    @Override public QuotaUsage quotaUsage(String projectId) { return inner.quotaUsage(projectId); }
    @Override public Subscription subscribe(Consumer<Change> subscriber) { return inner.subscribe(subscriber); }
    @Override public long sequence(String projectId) { return inner.sequence(projectId); }
    @Override public boolean replay(Change change) { return inner.replay(change); }
    @Override public void load(ProjectSnapshot snapshot) { inner.load(snapshot); }
  }

  /** A view that forwards every call; a broken catalog overrides one. */
  static class ForwardingView implements ProjectView {
    final ProjectView view;

    ForwardingView(ProjectView view) {
      this.view = view;
    }

    @Override public String projectId() { return view.projectId(); }
    @Override public Optional<Backup> find(String backupId) { return view.find(backupId); }
    @Override public Page query(Query query) { return view.query(query); }
    @Override public long count(BackupPredicate predicate) { return view.count(predicate); }
    @Override public TagCatalogue tagCatalogue() { return view.tagCatalogue(); }
    @Override public UsageReport usage(UsageQuery query) { return view.usage(query); }
    @Override public QuotaUsage quotaUsage() { return view.quotaUsage(); }
    @Override public long sequence() { return view.sequence(); }
  }

  /**
   * The service's catalog: the indexed catalog behind an audit (every call counted by method) and a
   * maintenance switch that makes it read-only (a write is then refused before it reaches the catalog).
   */
  static final class AuditedCatalog extends Forwarding {
    final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
    final AtomicBoolean readOnly = new AtomicBoolean();

    AuditedCatalog(BackupCatalog inner) {
      super(inner);
    }

    private void audit(String method) {
      calls.computeIfAbsent(method, m -> new LongAdder()).increment();
    }

    private void write(String method) {
      audit(method);
      if (readOnly.get()) {
        throw new IllegalStateException("catalog in maintenance: " + method + " refused");
      }
    }

    long calls(String method) {
      LongAdder adder = calls.get(method);
      return adder == null ? 0 : adder.sum();
    }

    @Override public void add(Backup backup) { write("add"); super.add(backup); }
    @Override public void addAll(Collection<Backup> backups) { write("addAll"); super.addAll(backups); }
    @Override public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
      write("apply");
      return super.apply(projectId, backupId, expectedVersion, transition);
    }
    @Override public Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update) {
      write("updateTags");
      return super.updateTags(projectId, backupId, expectedVersion, update);
    }
    @Override public void remove(String projectId, String backupId, long expectedVersion) {
      write("remove");
      super.remove(projectId, backupId, expectedVersion);
    }
    @Override public Page query(String projectId, Query query) { audit("query"); return super.query(projectId, query); }
    @Override public long count(String projectId, BackupPredicate predicate) { audit("count"); return super.count(projectId, predicate); }
    @Override public void setQuota(String projectId, Quota quota) { write("setQuota"); super.setQuota(projectId, quota); }
    @Override public boolean replay(Change change) { write("replay"); return super.replay(change); }
    @Override public void load(ProjectSnapshot snapshot) { write("load"); super.load(snapshot); }
  }

  /**
   * README: "To test your own implementation, extend it and return a new instance from
   * newCatalog(FakeClock clock); every test, including random differential runs against
   * ReferenceCatalog, then runs on yours."
   */
  @Nested
  class TheServicesAuditedCatalogPassesTheContract extends BackupCatalogContract {
    @Override
    protected BackupCatalog newCatalog(FakeClock clock) {
      return new AuditedCatalog(Catalogs.indexed(clock));
    }
  }

  @Test
  void theAuditedCatalogInMaintenanceRefusesWritesAndChangesNothing() {
    FakeClock clock = FakeClock.create();
    AuditedCatalog catalog = new AuditedCatalog(Catalogs.indexed(clock));
    catalog.add(backup(P, "b-1", "server-1", 100));
    catalog.readOnly.set(true);
    assertThrows(IllegalStateException.class, () -> catalog.add(backup(P, "b-2", "server-1", 100)));
    assertThrows(IllegalStateException.class, () -> catalog.apply(P, "b-1", 1, Transition.restore()));
    assertEquals(1, catalog.count(P, Predicates.all()));
    assertEquals(1, catalog.sequence(P));
    assertEquals(2, catalog.calls("add"));
    assertEquals(1, catalog.calls("count"));
  }

  // ================================================================ running the contract on broken catalogs

  private interface ContractTest {
    void run(BackupCatalogContract contract) throws Exception;
  }

  private static BackupCatalogContract contractOn(Function<FakeClock, BackupCatalog> catalogs) {
    BackupCatalogContract contract = new BackupCatalogContract() {
      @Override
      protected BackupCatalog newCatalog(FakeClock clock) {
        return catalogs.apply(clock);
      }

      @Override
      protected Duration deliveryDeadline() {
        return Duration.ofMillis(500);   // the decorated catalogs deliver on the writer's thread
      }
    };
    contract.newCatalogOnAFakeClock();
    return contract;
  }

  /** The contract tests among {@code tests} that fail on the catalogs {@code catalogs} makes. */
  private static List<String> failing(Function<FakeClock, BackupCatalog> catalogs, Map<String, ContractTest> tests) {
    List<String> failed = new ArrayList<>();
    for (Map.Entry<String, ContractTest> test : tests.entrySet()) {
      try {
        test.getValue().run(contractOn(catalogs));
      } catch (Exception | AssertionError e) {
        failed.add(test.getKey());
      }
    }
    return failed;
  }

  private static Map<String, ContractTest> tests(Object... nameThenTest) {
    Map<String, ContractTest> tests = new java.util.LinkedHashMap<>();
    for (int i = 0; i < nameThenTest.length; i += 2) {
      tests.put((String) nameThenTest[i], (ContractTest) nameThenTest[i + 1]);
    }
    return tests;
  }

  /** Whether the differential property fails the catalog on one of the seeds 1 to {@code seeds}. */
  private static boolean differentialFails(Function<FakeClock, BackupCatalog> catalogs, int seeds) {
    BackupCatalogContract contract = contractOn(catalogs);
    for (long seed = 1; seed <= seeds; seed++) {
      try {
        contract.checkAgainstReference(seed);
      } catch (AssertionError e) {
        return true;
      }
    }
    return false;
  }

  private static Page dropLast(Page page) {
    if (page.backups().isEmpty()) {
      return page;
    }
    return new Page(page.backups().subList(0, page.backups().size() - 1), page.total(), page.hasMore());
  }

  private static Page reversed(Page page) {
    List<Backup> backups = new ArrayList<>(page.backups());
    java.util.Collections.reverse(backups);
    return new Page(backups, page.total(), page.hasMore());
  }

  /** The brief's first fault: a decorator that drops one backup (the last of each page) from query answers. */
  @Test
  void theContractFailsADecoratorThatDropsABackupFromEachPage() {
    Function<FakeClock, BackupCatalog> broken = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public Page query(String projectId, Query query) {
        return dropLast(inner.query(projectId, query));
      }
    };
    List<String> failed = failing(broken, tests(
        "pagingByOffsetVisitsEveryMatchOnceInSortOrder", (ContractTest) BackupCatalogContract::pagingByOffsetVisitsEveryMatchOnceInSortOrder,
        "addAllAddsEveryBackup", (ContractTest) BackupCatalogContract::addAllAddsEveryBackup));
    assertEquals(List.of("pagingByOffsetVisitsEveryMatchOnceInSortOrder", "addAllAddsEveryBackup"), failed);
  }

  /** The brief's second fault: a decorator that ignores the predicate (of queries, or of counts). */
  @Test
  void theContractFailsADecoratorThatIgnoresThePredicate() {
    Function<FakeClock, BackupCatalog> queries = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public Page query(String projectId, Query query) {
        return inner.query(projectId, query.toBuilder().where(Predicates.all()).build());
      }
    };
    assertEquals(List.of("countEqualsTheTotalOfTheQuery", "stalledFollowsTheClock"), failing(queries, tests(
        "countEqualsTheTotalOfTheQuery", (ContractTest) BackupCatalogContract::countEqualsTheTotalOfTheQuery,
        "stalledFollowsTheClock", (ContractTest) BackupCatalogContract::stalledFollowsTheClock)));
    Function<FakeClock, BackupCatalog> counts = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public long count(String projectId, BackupPredicate predicate) {
        return inner.count(projectId, Predicates.all());
      }
    };
    assertEquals(List.of("createdWithinLastFollowsTheClock"), failing(counts, tests(
        "createdWithinLastFollowsTheClock", (ContractTest) BackupCatalogContract::createdWithinLastFollowsTheClock)));
  }

  /** The brief's third fault: a decorator that reverses the order of every page. */
  @Test
  void theContractFailsADecoratorThatReversesTheOrder() {
    Function<FakeClock, BackupCatalog> broken = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public Page query(String projectId, Query query) {
        return reversed(inner.query(projectId, query));
      }
    };
    assertEquals(List.of("pagingByMarkerVisitsEveryMatchOnceInSortOrder"), failing(broken, tests(
        "pagingByMarkerVisitsEveryMatchOnceInSortOrder", (ContractTest) BackupCatalogContract::pagingByMarkerVisitsEveryMatchOnceInSortOrder)));
    Function<FakeClock, BackupCatalog> allProjects = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public Page queryAllProjects(Query query) {
        return reversed(inner.queryAllProjects(query));
      }
    };
    assertEquals(List.of("allProjectsViewSpansEveryProject"), failing(allProjects, tests(
        "allProjectsViewSpansEveryProject", (ContractTest) BackupCatalogContract::allProjectsViewSpansEveryProject)));
  }

  /** The brief's fourth fault: decorators that swallow a refusal, each failing the contract. */
  @Test
  void theContractFailsADecoratorThatSwallowsARefusal() {
    Function<FakeClock, BackupCatalog> staleVersions = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
        try {
          return inner.apply(projectId, backupId, expectedVersion, transition);
        } catch (VersionConflictException e) {
          return inner.find(projectId, backupId);   // "someone else changed it: show the current one"
        }
      }
    };
    assertEquals(List.of("refusesAChangeBasedOnAStaleVersionAndKeepsTheBackup"), failing(staleVersions, tests(
        "refusesAChangeBasedOnAStaleVersionAndKeepsTheBackup",
        (ContractTest) BackupCatalogContract::refusesAChangeBasedOnAStaleVersionAndKeepsTheBackup)));
    Function<FakeClock, BackupCatalog> duplicates = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public void add(Backup backup) {
        try {
          inner.add(backup);
        } catch (DuplicateBackupException e) {
          // "idempotent add"
        }
      }
    };
    assertEquals(List.of("refusesADuplicateIdAndKeepsTheFirstBackup"), failing(duplicates, tests(
        "refusesADuplicateIdAndKeepsTheFirstBackup", (ContractTest) BackupCatalogContract::refusesADuplicateIdAndKeepsTheFirstBackup)));
    Function<FakeClock, BackupCatalog> unknown = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public void remove(String projectId, String backupId, long expectedVersion) {
        try {
          inner.remove(projectId, backupId, expectedVersion);
        } catch (BackupNotFoundException e) {
          // "already gone"
        }
      }
    };
    assertEquals(List.of("removeRefusesAStaleVersionAndAnUnknownBackup"), failing(unknown, tests(
        "removeRefusesAStaleVersionAndAnUnknownBackup", (ContractTest) BackupCatalogContract::removeRefusesAStaleVersionAndAnUnknownBackup)));
    Function<FakeClock, BackupCatalog> markers = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public Page query(String projectId, Query query) {
        try {
          return inner.query(projectId, query);
        } catch (InvalidValueException e) {
          return inner.query(projectId, query.toBuilder().marker(null).build());   // "start again"
        }
      }
    };
    assertEquals(List.of("refusesAMarkerThatIsNotABackupOfTheProject"), failing(markers, tests(
        "refusesAMarkerThatIsNotABackupOfTheProject", (ContractTest) BackupCatalogContract::refusesAMarkerThatIsNotABackupOfTheProject)));
  }

  /** A cache of answers that forgets the clock: relative windows and stalled jobs go stale. */
  @Test
  void theContractFailsACacheThatIgnoresTheClock() {
    Function<FakeClock, BackupCatalog> cached = clock -> new Forwarding(Catalogs.indexed(clock)) {
      final Map<List<Object>, Object> cache = new ConcurrentHashMap<>();

      @Override
      public Page query(String projectId, Query query) {
        return (Page) cache.computeIfAbsent(List.of("query", projectId, query), k -> inner.query(projectId, query));
      }

      @Override
      public long count(String projectId, BackupPredicate predicate) {
        return (Long) cache.computeIfAbsent(List.of("count", projectId, predicate), k -> inner.count(projectId, predicate));
      }

      @Override public void add(Backup backup) { cache.clear(); inner.add(backup); cache.clear(); }
      @Override public void addAll(Collection<Backup> backups) { cache.clear(); inner.addAll(backups); cache.clear(); }
      @Override public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
        try {
          return inner.apply(projectId, backupId, expectedVersion, transition);
        } finally {
          cache.clear();
        }
      }
    };
    assertEquals(List.of("stalledFollowsTheClock", "createdWithinLastFollowsTheClock"), failing(cached, tests(
        "stalledFollowsTheClock", (ContractTest) BackupCatalogContract::stalledFollowsTheClock,
        "createdWithinLastFollowsTheClock", (ContractTest) BackupCatalogContract::createdWithinLastFollowsTheClock)));
  }

  /** An own query engine that takes exclusive creation-time bounds as inclusive: the differential property catches it. */
  @Test
  void theDifferentialPropertyFailsAnEngineThatTakesExclusiveBoundsAsInclusive() {
    Function<FakeClock, BackupCatalog> broken = clock -> new Forwarding(Catalogs.indexed(clock)) {
      @Override
      public Page query(String projectId, Query query) {
        return inner.query(projectId, query.toBuilder().where(inclusiveBounds(query.predicate())).build());
      }

      @Override
      public long count(String projectId, BackupPredicate predicate) {
        return inner.count(projectId, inclusiveBounds(predicate));
      }
    };
    assertTrue(differentialFails(broken, 40), "the differential property passed exclusive bounds taken as inclusive");
  }

  /** {@code predicate} with every creation-time range made inclusive at both ends. */
  private static BackupPredicate inclusiveBounds(BackupPredicate predicate) {
    return predicate.accept(new PredicateVisitor<BackupPredicate>() {
      @Override public BackupPredicate all() { return Predicates.all(); }
      @Override public BackupPredicate none() { return Predicates.none(); }
      @Override public BackupPredicate status(Set<BackupStatus> statuses) { return Predicates.status(statuses); }
      @Override public BackupPredicate createdIn(TimeRange range) {
        return Predicates.createdIn(TimeRange.of(range.start().orElse(null), true, range.end().orElse(null), true));
      }
      @Override public BackupPredicate createdWithinLast(Duration window) { return Predicates.createdWithinLast(window); }
      @Override public BackupPredicate nameContains(String text) { return Predicates.nameContains(text); }
      @Override public BackupPredicate serverNameContains(String text) { return Predicates.serverNameContains(text); }
      @Override public BackupPredicate backupId(String id) { return Predicates.backupId(id); }
      @Override public BackupPredicate attribute(Attribute attribute, String value) { return Predicates.attribute(attribute, value); }
      @Override public BackupPredicate tag(String key, List<String> values) { return Predicates.tag(key, values); }
      @Override public BackupPredicate stalled() { return Predicates.stalled(); }
      @Override public BackupPredicate and(List<BackupPredicate> operands) {
        return Predicates.and(operands.stream().map(p -> p.accept(this)).collect(Collectors.toList()));
      }
      @Override public BackupPredicate or(List<BackupPredicate> operands) {
        return Predicates.or(operands.stream().map(p -> p.accept(this)).collect(Collectors.toList()));
      }
      @Override public BackupPredicate not(BackupPredicate operand) { return Predicates.not(operand.accept(this)); }
    });
  }

  // ---------------------------------------------------------------- contract gaps

  /** A catalog that answers a blank project id as a project without backups instead of refusing it. */
  static final class AnswersBlankProjects extends Forwarding {
    AnswersBlankProjects(BackupCatalog inner) {
      super(inner);
    }

    private static String orNobody(String projectId) {
      return projectId.isBlank() ? "nobody" : projectId;
    }

    @Override public Optional<Backup> find(String projectId, String backupId) { return inner.find(orNobody(projectId), backupId); }
    @Override public Page query(String projectId, Query query) { return inner.query(orNobody(projectId), query); }
    @Override public long count(String projectId, BackupPredicate predicate) { return inner.count(orNobody(projectId), predicate); }
    @Override public TagCatalogue tagCatalogue(String projectId) { return inner.tagCatalogue(orNobody(projectId)); }
    @Override public UsageReport usage(String projectId, UsageQuery query) { return inner.usage(orNobody(projectId), query); }
    @Override public QuotaUsage quotaUsage(String projectId) { return inner.quotaUsage(orNobody(projectId)); }
    @Override public void setQuota(String projectId, Quota quota) { inner.setQuota(orNobody(projectId), quota); }
    @Override public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
      return inner.apply(orNobody(projectId), backupId, expectedVersion, transition);
    }
    @Override public void remove(String projectId, String backupId, long expectedVersion) {
      inner.remove(orNobody(projectId), backupId, expectedVersion);
    }
    @Override public Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update) {
      return inner.updateTags(orNobody(projectId), backupId, expectedVersion, update);
    }
  }

  @Test
  void theContractFailsACatalogThatAnswersABlankProjectId() {
    assertEquals(List.of("everyMethodNamingAProjectRefusesABlankOne"), failing(clock -> new AnswersBlankProjects(Catalogs.indexed(clock)),
        tests("everyMethodNamingAProjectRefusesABlankOne", (ContractTest) BackupCatalogContract::everyMethodNamingAProjectRefusesABlankOne)), "the contract passed a catalog that answers a blank project id");
  }

  /** Usage lines ordered by capacity, then by server id descending: ignores "more backups first" and reverses the id tie-break. */
  static final class WrongUsageTies extends Forwarding {
    WrongUsageTies(BackupCatalog inner) {
      super(inner);
    }

    @Override
    public UsageReport usage(String projectId, UsageQuery query) {
      UsageReport all = inner.usage(projectId, UsageQuery.of(query.where(), 0, UsageQuery.MAX_LIMIT));
      List<ServerUsage> lines = new ArrayList<>(all.servers());
      lines.sort(Comparator.comparingLong(ServerUsage::sizeMb).reversed()
          .thenComparing(ServerUsage::serverId, Comparator.reverseOrder()));
      int from = (int) Math.min(lines.size(), query.offset());
      return new UsageReport(all.backups(), all.sizeMb(), all.serverCount(),
          lines.subList(from, Math.min(lines.size(), from + query.limit())));
    }
  }

  @Test
  void theContractFailsACatalogThatBreaksUsageTiesTheWrongWay() {
    assertEquals(List.of("usageTiesGoToMoreBackupsThenToTheServerId"), failing(clock -> new WrongUsageTies(Catalogs.indexed(clock)),
        tests("usageTiesGoToMoreBackupsThenToTheServerId", (ContractTest) BackupCatalogContract::usageTiesGoToMoreBackupsThenToTheServerId)), "the contract passed a catalog whose usage ties are in the wrong order");
  }

  private static List<String> serverIds(UsageReport report) {
    return report.servers().stream().map(ServerUsage::serverId).collect(Collectors.toList());
  }

  /** A catalog that cancels a subscriber the first time it throws. */
  static final class DropsFailingSubscribers extends Forwarding {
    DropsFailingSubscribers(BackupCatalog inner) {
      super(inner);
    }

    @Override
    public Subscription subscribe(Consumer<Change> subscriber) {
      AtomicBoolean dropped = new AtomicBoolean();
      return inner.subscribe(change -> {
        if (dropped.get()) {
          return;
        }
        try {
          subscriber.accept(change);
        } catch (RuntimeException | Error e) {
          dropped.set(true);
          throw e;
        }
      });
    }
  }

  @Test
  void theContractFailsACatalogThatDropsASubscriberThatThrew() {
    assertEquals(List.of("aFailingSubscriberDoesNotCorruptTheCatalogNorStopOthers"), failing(clock -> new DropsFailingSubscribers(Catalogs.indexed(clock)),
        tests("aFailingSubscriberDoesNotCorruptTheCatalogNorStopOthers", (ContractTest) BackupCatalogContract::aFailingSubscriberDoesNotCorruptTheCatalogNorStopOthers)), "the contract passed a catalog that drops a failing subscriber");
  }

  /** A catalog whose view takes an unknown marker as the start of the list. */
  static final class ViewTakesUnknownMarkers extends Forwarding {
    ViewTakesUnknownMarkers(BackupCatalog inner) {
      super(inner);
    }

    @Override
    ProjectView view(ProjectView view) {
      return new ForwardingView(view) {
        @Override
        public Page query(Query query) {
          try {
            return view.query(query);
          } catch (InvalidValueException e) {
            return view.query(query.toBuilder().marker(null).build());
          }
        }
      };
    }
  }

  @Test
  void theContractFailsACatalogWhoseViewTakesAnUnknownMarker() {
    assertEquals(List.of("refusesAMarkerThatIsNotABackupOfTheProject"), failing(clock -> new ViewTakesUnknownMarkers(Catalogs.indexed(clock)),
        tests("refusesAMarkerThatIsNotABackupOfTheProject", (ContractTest) BackupCatalogContract::refusesAMarkerThatIsNotABackupOfTheProject)), "the contract passed a view that takes an unknown marker");
  }

  /** A catalog that judges a tag update's tags before its version. */
  static final class TagsBeforeVersion extends Forwarding {
    TagsBeforeVersion(BackupCatalog inner) {
      super(inner);
    }

    @Override
    public Backup updateTags(String projectId, String backupId, long expectedVersion, TagUpdate update) {
      Optional<Backup> current = inner.find(projectId, backupId);
      if (current.isPresent()) {
        update.applyTo(current.get().tags());   // refuses too many tags, whatever the version
      }
      return inner.updateTags(projectId, backupId, expectedVersion, update);
    }
  }

  @Test
  void theContractFailsACatalogThatJudgesTagsBeforeTheVersion() {
    assertEquals(List.of("refusedTagUpdatesLeaveTheCatalogAsItWas"), failing(clock -> new TagsBeforeVersion(Catalogs.indexed(clock)),
        tests("refusedTagUpdatesLeaveTheCatalogAsItWas", (ContractTest) BackupCatalogContract::refusedTagUpdatesLeaveTheCatalogAsItWas)), "the contract passed a catalog that judges tags before the version");
  }

  /** A catalog that lets a backup of 0 MB past every quota ("it takes no space"). */
  static final class ZeroMbSkipsQuotas extends Forwarding {
    ZeroMbSkipsQuotas(BackupCatalog inner) {
      super(inner);
    }

    @Override
    public void add(Backup backup) {
      if (backup.sizeMb() != 0) {
        inner.add(backup);
        return;
      }
      Quota quota = inner.quotaUsage(backup.projectId()).quota();
      inner.setQuota(backup.projectId(), Quota.NONE);
      try {
        inner.add(backup);
      } finally {
        inner.setQuota(backup.projectId(), quota);
      }
    }
  }

  @Test
  void theContractFailsACatalogThatLetsZeroMbBackupsPastTheQuotas() {
    assertEquals(List.of("aBackupOfZeroMbIsRefusedBeyondALoweredQuota"), failing(clock -> new ZeroMbSkipsQuotas(Catalogs.indexed(clock)),
        tests("aBackupOfZeroMbIsRefusedBeyondALoweredQuota", (ContractTest) BackupCatalogContract::aBackupOfZeroMbIsRefusedBeyondALoweredQuota)), "the contract passed a catalog that lets 0 MB backups past the quotas");
  }

  // ================================================================ InvalidInputs

  /** The class example's first loop, for many seeds, with the promises of Case checked here too. */
  @Test
  void everyCaseOfManySeedsIsRefusedWithItsExceptionAndFieldAtTheStartOfTheMessage() {
    for (long seed = -5; seed < 15; seed++) {
      for (InvalidInputs.Case bad : InvalidInputs.withSeed(seed).all()) {
        bad.assertRefused();
        RuntimeException thrown = null;
        try {
          bad.action().run();
        } catch (RuntimeException e) {
          thrown = e;
        }
        String where = "seed " + seed + ", " + bad;
        assertNotNull(thrown, where);
        assertEquals(bad.expectedException(), thrown.getClass(), where);
        if (bad.expectedField().isPresent()) {
          InvalidValueException invalid = (InvalidValueException) thrown;
          assertEquals(bad.expectedField().get(), invalid.field(), where);
          assertTrue(invalid.getMessage().startsWith(bad.expectedField().get() + " "), where + ": " + invalid.getMessage());
        } else {
          assertFalse(thrown instanceof InvalidValueException, where);
        }
      }
    }
  }

  @Test
  void theSameSeedGivesTheSameCasesOnTwoGeneratorsAndAllIsTheMethodsInOrder() {
    Random seeds = new Random();
    long seed = seeds.nextLong();
    List<String> all = describe(InvalidInputs.withSeed(seed).all());
    assertEquals(all, describe(InvalidInputs.withSeed(seed).all()), "seed " + seed);
    InvalidInputs one = InvalidInputs.withSeed(seed);
    List<InvalidInputs.Case> inOrder = new ArrayList<>();
    inOrder.addAll(one.listQueryStrings());
    inOrder.addAll(one.predicates());
    inOrder.addAll(one.queries());
    inOrder.addAll(one.consoleSearches());
    inOrder.addAll(one.tagFilters());
    inOrder.addAll(one.timeRanges());
    inOrder.addAll(one.sorts());
    assertEquals(all, describe(inOrder), "seed " + seed);
    assertNotEquals(all, describe(InvalidInputs.withSeed(seed + 1).all()), "seed " + seed + " and the next");
  }

  private static List<String> describe(List<InvalidInputs.Case> cases) {
    return cases.stream().map(InvalidInputs.Case::toString).collect(Collectors.toList());
  }

  /**
   * "Every method returns one case for each kind of mistake it covers": the kinds each method's
   * javadoc lists.
   */
  @Test
  void eachMethodReturnsOneCaseForEachKindItsJavadocLists() {
    InvalidInputs invalid = InvalidInputs.withSeed(20261204);
    // unknown, repeated, empty value, malformed time, start after end, limit 0, above 1000, not a number,
    // negative offset, marker with offset, unknown status, bad sort, blank name, bad percent-encoding, no name
    assertEquals(15, invalid.listQueryStrings().size());
    // blank keyword, keyword over 255, 11 values, bad key char, bad value char, blank key, key over 36,
    // value over 43, window not positive, window over 100 years, no status, blank attribute, not a type/trigger
    assertEquals(13, invalid.predicates().size());
    assertEquals(5, invalid.queries().size());
    assertEquals(7, invalid.consoleSearches().size());
    assertEquals(10, invalid.tagFilters().size());
  }

  @Test
  void sortsAlsoReturnsAnEmptySortText() {
    for (long seed = 0; seed < 20; seed++) {
      List<InvalidInputs.Case> sorts = InvalidInputs.withSeed(seed).sorts();
      assertEquals(7, sorts.size());
      assertEquals(1, sorts.stream().filter(c -> c.input().equals("Sort.parse(\"\")") || c.input().equals("Sort.parse(\" \")")).count(),
          "seed " + seed + ": " + describe(sorts));
    }
  }

  /** The class example's second loop, with the list API's parser standing in for the user's HTTP layer. */
  @Test
  void rawQueryStringsAppendToAPathAndEachNamesItsParameter() {
    for (long seed = 0; seed < 40; seed++) {
      for (InvalidInputs.Case bad : InvalidInputs.withSeed(seed).listQueryStrings()) {
        String input = bad.input();
        assertFalse(input.startsWith("?"), bad.toString());
        assertEquals(InvalidValueException.class, bad.expectedException(), bad.toString());
        String field = bad.expectedField().orElseThrow();
        InvalidValueException e = assertThrows(InvalidValueException.class,
            () -> io.csbs.query.ListQueryString.parse(input), bad.toString());
        assertEquals(field, e.field(), bad.toString());
        assertTrue(e.getMessage().contains(field), bad + ": " + e.getMessage());
      }
    }
  }

  /** Runs {@code body} with {@code tag} as the JVM's default locale, as on a user's machine set to it. */
  private static <T> T inLocale(String tag, java.util.function.Supplier<T> body) {
    java.util.Locale before = java.util.Locale.getDefault();
    java.util.Locale.setDefault(java.util.Locale.forLanguageTag(tag));
    try {
      return body.get();
    } finally {
      java.util.Locale.setDefault(before);
    }
  }

  /** The cases of seeds 0 to 29 that assertRefused fails, under the default locale {@code tag}. */
  private static List<String> casesNotRefusedAsDeclared(String tag) {
    return inLocale(tag, () -> {
      List<String> wrong = new ArrayList<>();
      for (long seed = 0; seed < 30; seed++) {
        for (InvalidInputs.Case bad : InvalidInputs.withSeed(seed).all()) {
          try {
            bad.assertRefused();
          } catch (AssertionError e) {
            wrong.add("seed " + seed + ": " + e.getMessage());
          }
        }
      }
      return wrong;
    });
  }

  @Test
  void invalidInputsAreRefusedAsDeclaredWhateverTheDefaultLocale() {
    assertEquals(List.of(), casesNotRefusedAsDeclared("ar-EG"));
    assertEquals(List.of(), casesNotRefusedAsDeclared("th-TH-u-nu-thai"));
  }

  @Test
  void theSameSeedGivesTheSameBackupsWhateverTheDefaultLocale() {
    List<Backup> english = inLocale("en-US", () -> BackupGenerator.builder().seed(42).servers(30).build().backups(50));
    assertEquals(english, inLocale("ar-EG", () -> BackupGenerator.builder().seed(42).servers(30).build().backups(50)));
    assertEquals(english, inLocale("hi-IN-u-nu-deva", () -> BackupGenerator.builder().seed(42).servers(30).build().backups(50)));
  }

  // ================================================================ QueryGenerator

  /** Hand-made backups of the service: unicode names and server names, long values, odd tags. */
  private static List<Backup> ownBackups() {
    List<Backup> backups = new ArrayList<>();
    String[] names = {"Ümlaut_Ärger", "ΣΙΣΥΦΟΣ_bk", "日本_バックアップ", "x", "straße_ß", "autobk_" + "9".repeat(248),
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢_𝔫𝔞𝔪𝔢", "İstanbul_İ", "ǅ_title"};
    String[] servers = {"ecs web 01", "ΣΕΡΒΕΡ ς", "サーバー", "s", "x".repeat(255), "🙂 host 🙂"};
    for (int i = 0; i < 60; i++) {
      Backup.Builder builder = Backup.builder()
          .id("id-" + i + "-ü")
          .name(names[i % names.length])
          .projectId(P)
          .server(Server.of("srv-" + (i % 6), servers[i % servers.length], "zone-" + (i % 3)))
          .status(BackupStatus.AVAILABLE)
          .sizeMb(i * 1000L)
          .createdAt(NOW.minus(Duration.ofHours(i * 7L)).minusNanos(i))
          .tags(i % 4 == 0 ? List.of() : List.of(Tag.of("env", i % 2 == 0 ? "prod" : "ütest"), Tag.of("k" + i % 5, "v".repeat(43)),
              Tag.of("empty", "")));
      backups.add(builder.build());
    }
    return backups;
  }

  @Test
  void theSameSeedAndBackupsGiveTheSameQueriesOnTwoGenerators() {
    long seed = new Random().nextLong();
    List<Backup> backups = ownBackups();
    QueryGenerator first = QueryGenerator.create(seed, backups);
    QueryGenerator second = QueryGenerator.create(seed, new ArrayList<>(backups));
    for (int i = 0; i < 100; i++) {
      assertEquals(first.nextQuery(), second.nextQuery(), "seed " + seed + ", query " + i);
      assertEquals(first.nextPredicate(), second.nextPredicate(), "seed " + seed + ", predicate " + i);
      assertEquals(first.nextSort(), second.nextSort(), "seed " + seed + ", sort " + i);
    }
  }

  /** The class example on the service's own backups: the indexed catalog answers each query as the reference does. */
  @Test
  void queriesOverTheServicesOwnBackupsAreValidAndTheCatalogsAgree() {
    long seed = new Random().nextLong();
    FakeClock clock = FakeClock.create();
    BackupCatalog catalog = new AuditedCatalog(Catalogs.indexed(clock));
    ReferenceCatalog reference = ReferenceCatalog.create(clock);
    List<Backup> backups = ownBackups();
    catalog.addAll(backups);
    reference.addAll(backups);
    QueryGenerator queries = QueryGenerator.create(seed, backups);
    for (int i = 0; i < 100; i++) {
      Query query = queries.nextQuery();
      assertEquals(reference.query(P, query), catalog.query(P, query), "seed " + seed + ": " + query);
    }
  }

  /** The documented shape: limits 1 to 50, sometimes up to 1000; a third each offset and marker; the default sort half of the time. */
  @Test
  void queriesHaveTheDocumentedLimitsPagingAndSorts() {
    long seed = new Random().nextLong();
    List<Backup> backups = ownBackups();
    Set<String> ids = backups.stream().map(Backup::id).collect(Collectors.toSet());
    QueryGenerator queries = QueryGenerator.create(seed, backups);
    int n = 1200;
    int small = 0;
    int large = 0;
    int offsets = 0;
    int markers = 0;
    int defaults = 0;
    for (int i = 0; i < n; i++) {
      Query query = queries.nextQuery();
      assertTrue(query.limit() >= 1 && query.limit() <= 1000, "seed " + seed + ": " + query);
      if (query.limit() <= 50) {
        small++;
      } else {
        large++;
      }
      if (query.offset() > 0) {
        offsets++;
      }
      if (query.marker().isPresent()) {
        markers++;
        assertTrue(ids.contains(query.marker().get()), "seed " + seed + ": a marker is the id of one of the backups: " + query);
      }
      if (query.sort().equals(Sort.DEFAULT)) {
        defaults++;
      }
      assertTrue(depth(query.predicate()) <= QueryGenerator.MAX_DEPTH, "seed " + seed + ": " + query.predicate());
    }
    String where = "seed " + seed;
    assertTrue(small > n * 0.8 && large > 0, where + ": " + small + " small limits, " + large + " large");
    assertTrue(offsets > n * 0.25 && offsets < n * 0.4, where + ": " + offsets + " offsets");
    assertTrue(markers > n * 0.27 && markers < n * 0.40, where + ": " + markers + " markers");
    assertTrue(defaults > n * 0.42 && defaults < n * 0.6, where + ": " + defaults + " default sorts");
  }

  /** How deep and, or and not nest in {@code predicate}: 0 for a leaf. */
  private static int depth(BackupPredicate predicate) {
    return predicate.accept(new PredicateVisitor<Integer>() {
      @Override public Integer all() { return 0; }
      @Override public Integer none() { return 0; }
      @Override public Integer status(Set<BackupStatus> statuses) { return 0; }
      @Override public Integer createdIn(TimeRange range) { return 0; }
      @Override public Integer createdWithinLast(Duration window) { return 0; }
      @Override public Integer nameContains(String text) { return 0; }
      @Override public Integer serverNameContains(String text) { return 0; }
      @Override public Integer backupId(String id) { return 0; }
      @Override public Integer attribute(Attribute attribute, String value) { return 0; }
      @Override public Integer tag(String key, List<String> values) { return 0; }
      @Override public Integer stalled() { return 0; }
      @Override public Integer and(List<BackupPredicate> operands) { return 1 + operands.stream().mapToInt(p -> p.accept(this)).max().orElse(0); }
      @Override public Integer or(List<BackupPredicate> operands) { return 1 + operands.stream().mapToInt(p -> p.accept(this)).max().orElse(0); }
      @Override public Integer not(BackupPredicate operand) { return 1 + operand.accept(this); }
    });
  }

  @Test
  void createRefusesNullBackupsNamingThem() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> QueryGenerator.create(1, null));
    assertTrue(String.valueOf(e.getMessage()).contains("backups"), e.getMessage());
  }

  /** Backups of a window ending at the latest instant, which BackupGenerator accepts and documents. */
  private static List<Backup> backupsEndingAtTheLatestInstant() {
    return BackupGenerator.builder().seed(11).servers(20).window(Instant.MAX, Duration.ofDays(30)).build().backups(100);
  }

  @Test
  void queriesOverBackupsOfAWindowEndingAtTheLatestInstantAreValid() {
    QueryGenerator queries = QueryGenerator.create(5, backupsEndingAtTheLatestInstant());
    for (int i = 0; i < 500; i++) {
      queries.nextQuery();
    }
  }

  /** A valid backup created at the earliest instant. */
  private static Backup createdAtTheEarliestInstant() {
    return backup(P, "b-min", "srv-a", 1).toBuilder().createdAt(Instant.MIN).updatedAt(Instant.MIN).build();
  }

  @Test
  void queriesOverABackupCreatedAtTheEarliestInstantAreValid() {
    QueryGenerator queries = QueryGenerator.create(5, List.of(createdAtTheEarliestInstant()));
    for (int i = 0; i < 500; i++) {
      queries.nextPredicate();
    }
  }

  /** A backup whose server name holds a lone surrogate: Server takes any non-blank name of at most 255 chars. */
  private static Backup onAServerWithALoneSurrogate() {
    return backup(P, "b-1", "srv-a", 1).toBuilder().server(Server.of("srv-a", "web\uD83Dserver", "eu-de-01")).build();
  }

  @Test
  void queriesOverAServerNameWithALoneSurrogateAreValid() {
    QueryGenerator queries = QueryGenerator.create(3, List.of(onAServerWithALoneSurrogate()));
    for (int i = 0; i < 500; i++) {
      queries.nextPredicate();
    }
  }

  // ================================================================ BackupGenerator

  private static BackupGenerator.Builder customGenerator(long seed) {
    return BackupGenerator.builder().seed(seed).projects(3).servers(60)
        .window(Instant.parse("2030-06-15T12:34:56.789Z"), Duration.ofDays(40));
  }

  @Test
  void theSameSeedAndOptionsGiveTheSameBackupsOnTwoGenerators() {
    long seed = new Random().nextLong();
    List<Backup> first = customGenerator(seed).build().backups(300);
    BackupGenerator second = customGenerator(seed).build();
    List<Backup> pieces = new ArrayList<>(second.backups(123));
    while (pieces.size() < 300) {
      pieces.add(second.next());
    }
    assertEquals(first, pieces, "seed " + seed);
    assertNotEquals(first, customGenerator(seed + 1).build().backups(300), "seed " + seed + " and the next");
    assertEquals(List.of(), BackupGenerator.withSeed(seed).backups(0));
  }

  @Test
  void generatedBackupsFollowTheDocumentedShapeOnCustomOptions() {
    long seed = new Random().nextLong();
    String where = "seed " + seed;
    BackupGenerator generator = customGenerator(seed).build();
    Instant end = Instant.parse("2030-06-15T12:34:56.789Z");
    assertEquals(end, generator.end());
    assertEquals(List.of("project-0", "project-1", "project-2"), generator.projectIds());
    List<Backup> backups = generator.backups(2000);
    Map<BackupStatus, Integer> statuses = new HashMap<>();
    Map<String, String> projectOfServer = new HashMap<>();
    Map<String, List<Tag>> tagsOfServer = new HashMap<>();
    int automatic = 0;
    List<Long> sizes = new ArrayList<>();
    for (Backup backup : backups) {
      statuses.merge(backup.status(), 1, Integer::sum);
      assertTrue(generator.projectIds().contains(backup.projectId()), where + ": " + backup);
      assertEquals(projectOfServer.computeIfAbsent(backup.server().id(), s -> backup.projectId()), backup.projectId(),
          where + ": each server belongs to one project");
      assertEquals(tagsOfServer.computeIfAbsent(backup.server().id(), s -> backup.tags()), backup.tags(),
          where + ": backups of one server share their tags");
      assertTrue(backup.tags().size() <= 10, where);
      assertTrue(backup.createdAt().isBefore(end) && !backup.createdAt().isBefore(end.minus(Duration.ofDays(40))),
          where + ": created in the window: " + backup);
      if (backup.status() == BackupStatus.CREATING) {
        assertFalse(backup.createdAt().isBefore(end.minus(Duration.ofHours(6))), where + ": Creating in the last six hours: " + backup);
      }
      if (backup.status().isIntermediate()) {
        assertEquals(backup.updatedAt(), backup.progress().orElseThrow().changedAt(), where + ": the last progress is the last change");
      }
      if (backup.trigger() == BackupTrigger.AUTOMATIC) {
        automatic++;
        assertTrue(backup.name().matches("autobk_[0-9a-f]{4}"), where + ": " + backup.name());
        assertTrue(backup.policyId().isPresent(), where);
      } else {
        assertTrue(backup.name().matches("manualbk_[0-9a-f]{4}"), where + ": " + backup.name());
      }
      assertTrue(backup.sizeMb() >= 1024 && backup.sizeMb() <= 16L * 1024 * 1024, where + ": " + backup.sizeMb());
      sizes.add(backup.sizeMb());
    }
    int n = backups.size();
    int available = statuses.getOrDefault(BackupStatus.AVAILABLE, 0);
    int error = statuses.getOrDefault(BackupStatus.ERROR, 0);
    assertTrue(available > n * 0.86 && available < n * 0.94, where + ": " + statuses);
    assertTrue(error > n * 0.01 && error < n * 0.05, where + ": " + statuses);
    assertTrue(automatic > n * 0.70 && automatic < n * 0.80, where + ": " + automatic + " automatic of " + n);
    sizes.sort(null);
    long median = sizes.get(n / 2);
    assertTrue(median > 30 * 1024 && median < 55 * 1024, where + ": median " + median + " MB");
    assertEquals(3, projectOfServer.values().stream().distinct().count(), where + ": every project owns backups");
  }

  @Test
  void optionsAreRefusedNamingTheParameter() {
    assertMessageStartsWith("projects", assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder().projects(0)));
    assertMessageStartsWith("servers", assertThrows(IllegalArgumentException.class, () -> BackupGenerator.builder().servers(-1)));
    assertMessageStartsWith("span", assertThrows(IllegalArgumentException.class,
        () -> BackupGenerator.builder().window(NOW, Duration.ofMillis(999))));
    assertMessageStartsWith("span", assertThrows(IllegalArgumentException.class,
        () -> BackupGenerator.builder().window(Instant.MIN.plusSeconds(3600), Duration.ofSeconds(1))));
    assertMessageStartsWith("count", assertThrows(IllegalArgumentException.class, () -> BackupGenerator.withSeed(1).backups(-1)));
    assertEquals("end", assertThrows(NullPointerException.class, () -> BackupGenerator.builder().window(null, Duration.ofDays(1))).getMessage());
    assertEquals("span", assertThrows(NullPointerException.class, () -> BackupGenerator.builder().window(NOW, null)).getMessage());
    // the smallest accepted values
    List<Backup> one = BackupGenerator.builder().projects(1).servers(1).window(NOW, Duration.ofSeconds(1)).build().backups(50);
    assertTrue(one.stream().allMatch(b -> b.createdAt().equals(NOW.minusSeconds(1))), "one second before the end");
    assertEquals(1, one.stream().map(b -> b.server().id()).distinct().count());
  }

  private static void assertMessageStartsWith(String parameter, IllegalArgumentException e) {
    assertTrue(e.getMessage().startsWith(parameter + " "), "the message names " + parameter + ": " + e.getMessage());
  }

  // ================================================================ helpers

  private static Backup backup(String project, String id, String serverId, long sizeMb) {
    return Backup.builder().id(id).name("manualbk_" + id.replace('-', '_')).projectId(project)
        .server(Server.of(serverId, "ecs-" + serverId, "eu-de-01"))
        .status(BackupStatus.AVAILABLE).sizeMb(sizeMb).createdAt(NOW.minus(Duration.ofDays(1))).build();
  }
}
