package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Transition;
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
import io.csbs.query.TimeRange;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.InvalidInputs;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * Each kind of bad input to a catalog, or to the builders of its queries, gets a clear exception and
 * leaves every project of the catalog exactly as it was: a full snapshot (every backup of every
 * project, tag catalogues, usage, quotas) is compared before and after.
 */
class BadInputLeavesTheCatalogUnchangedTest {
  private static final String MINE = BackupGenerator.projectId(0);
  private static final String OTHER = BackupGenerator.projectId(1);

  private final FakeClock clock = FakeClock.create();
  private final BackupCatalog catalog = Catalogs.indexed(clock);
  private final List<Backup> backups;

  BadInputLeavesTheCatalogUnchangedTest() {
    backups = BackupGenerator.builder().seed(11).projects(2).servers(40).build().backups(600);
    catalog.addAll(backups);
    catalog.setQuota(MINE, Quota.of(catalog.quotaUsage(MINE).backupsUsed() + 1, Quota.UNLIMITED));
  }

  /** One bad input: what it does, what it must throw, and the field it must name (or null). */
  private record Case(String name, Executable action, Class<? extends Throwable> thrown, String field) {}

  @TestFactory
  Stream<DynamicTest> everyBadInputIsRefusedAndChangesNothing() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      Snapshot before = snapshot();
      Throwable e = assertThrows(c.thrown(), c.action(), c.name());
      if (c.field() != null) {
        assertEquals(c.field(), ((InvalidValueException) e).field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(c.field()), e.getMessage());
      }
      assertEquals(before, snapshot(), "the catalog changed after: " + c.name());
    }));
  }

  /** The testkit's catalogue of invalid search inputs, each refused as declared, the catalog untouched. */
  @TestFactory
  Stream<DynamicTest> everyInvalidSearchInputOfTheTestkitIsRefusedAndChangesNothing() {
    return InvalidInputs.withSeed(11).all().stream().map(c -> DynamicTest.dynamicTest(c.description(), () -> {
      Snapshot before = snapshot();
      c.assertRefused();
      assertEquals(before, snapshot(), "the catalog changed after: " + c.description());
    }));
  }

  private List<Case> cases() {
    Backup mine = first(MINE, BackupStatus.AVAILABLE);
    Backup busy = first(MINE, BackupStatus.CREATING);
    Backup error = first(MINE, BackupStatus.ERROR);
    Backup theirs = first(OTHER, BackupStatus.AVAILABLE);
    TagCatalogue tags = catalog.tagCatalogue(MINE);
    String key = tags.keys().first();
    List<Case> cases = new ArrayList<>();
    // searches
    cases.add(new Case("console search with an unknown tag value",
        () -> ConsoleSearch.empty().withTag(key, "no-such-value").toPredicate(tags), InvalidValueException.class, "tag value"));
    cases.add(new Case("console search with an unknown tag key",
        () -> ConsoleSearch.empty().withTag("no-such-key", "x").toPredicate(tags), InvalidValueException.class, "tag key"));
    cases.add(new Case("console search with an 11th tag pair", () -> {
      ConsoleSearch search = ConsoleSearch.empty();
      for (int i = 0; i < 11; i++) {
        search = search.withTag("k" + i, "v");
      }
    }, InvalidValueException.class, "tags"));
    cases.add(new Case("an inverted time range",
        () -> TimeRange.between(clock.instant(), clock.instant().minusSeconds(1)), InvalidValueException.class, "time range"));
    cases.add(new Case("a limit of 0", () -> Query.builder().limit(0), InvalidValueException.class, "limit"));
    cases.add(new Case("a limit of 1001", () -> Query.builder().limit(1001), InvalidValueException.class, "limit"));
    cases.add(new Case("a marker that is no backup",
        () -> catalog.query(MINE, Query.builder().marker("no-such-id").build()), InvalidValueException.class, "marker"));
    cases.add(new Case("another project's backup as marker",
        () -> catalog.query(MINE, Query.builder().marker(theirs.id()).build()), InvalidValueException.class, "marker"));
    cases.add(new Case("an unknown query parameter",
        () -> ListQueryString.parse("status=available&colour=red"), InvalidValueException.class, "colour"));
    cases.add(new Case("a malformed start_time",
        () -> ListQueryString.parse("start_time=2017-04-18 01:21"), InvalidValueException.class, "start_time"));
    cases.add(new Case("a keyword of spaces",
        () -> Predicates.keyword(KeywordField.BACKUP_NAME, "  "), InvalidValueException.class, "keyword"));
    cases.add(new Case("a sort by an unknown field",
        () -> Sort.parse("size:desc"), InvalidValueException.class, "sort"));
    cases.add(new Case("a sort naming a field twice",
        () -> Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.NAME)), InvalidValueException.class, "sort"));
    cases.add(new Case("a usage page of 0 servers",
        () -> catalog.usage(MINE, UsageQuery.firstServers(0)), InvalidValueException.class, "limit"));
    // changes
    cases.add(new Case("another project's backup id",
        () -> catalog.apply(MINE, theirs.id(), theirs.version(), Transition.delete()), BackupNotFoundException.class, null));
    cases.add(new Case("details of another project's backup",
        () -> catalog.get(MINE, theirs.id()), BackupNotFoundException.class, null));
    cases.add(new Case("removing another project's backup",
        () -> catalog.remove(MINE, theirs.id(), theirs.version()), BackupNotFoundException.class, null));
    cases.add(new Case("a change based on a stale version",
        () -> catalog.apply(MINE, mine.id(), mine.version() + 1, Transition.delete()), VersionConflictException.class, null));
    cases.add(new Case("a restore of a busy backup",
        () -> catalog.apply(MINE, busy.id(), busy.version(), Transition.restore()), IllegalTransitionException.class, null));
    cases.add(new Case("a restore of an Error backup",
        () -> catalog.apply(MINE, error.id(), error.version(), Transition.restore()), IllegalTransitionException.class, null));
    cases.add(new Case("progress going down",
        () -> catalog.apply(MINE, busy.id(), busy.version(), Transition.reportProgress(-1)), InvalidValueException.class, "progress"));
    cases.add(new Case("a failure without a reason",
        () -> catalog.apply(MINE, busy.id(), busy.version(), Transition.fail(" ")), InvalidValueException.class, "failure reason"));
    cases.add(new Case("adding a backup whose id exists",
        () -> catalog.add(mine), DuplicateBackupException.class, null));
    cases.add(new Case("adding a batch with one existing id", () -> {
      Backup fresh = BackupGenerator.builder().seed(99).build().next();
      catalog.addAll(List.of(fresh, mine));
    }, DuplicateBackupException.class, null));
    cases.add(new Case("a backup beyond the project's quota", () -> {
      List<Backup> two = BackupGenerator.builder().seed(98).build().backups(2);
      catalog.addAll(two);
    }, QuotaExceededException.class, null));
    cases.add(new Case("a blank project id", () -> catalog.query(" ", Query.all()), InvalidValueException.class, "project id"));
    return cases;
  }

  private Backup first(String project, BackupStatus status) {
    return backups.stream()
        .filter(b -> b.projectId().equals(project) && b.status() == status)
        .findFirst()
        .orElseThrow(() -> new AssertionError("the fixture has no " + status + " backup in " + project));
  }

  /** Everything a user can read of the two projects. */
  private record Snapshot(List<List<Backup>> backups, List<TagCatalogue> tags, List<UsageReport> usage,
      List<QuotaUsage> quotas, long countAll) {}

  private Snapshot snapshot() {
    List<List<Backup>> all = new ArrayList<>();
    List<TagCatalogue> tags = new ArrayList<>();
    List<UsageReport> usage = new ArrayList<>();
    List<QuotaUsage> quotas = new ArrayList<>();
    for (String project : List.of(MINE, OTHER)) {
      List<Backup> listed = new ArrayList<>();
      Query query = Query.builder().limit(Query.MAX_LIMIT).build();
      Page page;
      do {
        page = catalog.query(project, query);
        listed.addAll(page.backups());
        query = page.nextMarker().map(query::after).orElse(null);
      } while (query != null);
      all.add(listed);
      tags.add(catalog.tagCatalogue(project));
      usage.add(catalog.usage(project, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)));
      quotas.add(catalog.quotaUsage(project));
    }
    return new Snapshot(all, tags, usage, quotas, catalog.countAllProjects(Predicates.all()));
  }
}
