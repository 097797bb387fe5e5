package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Server;
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
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A new user's review of the all-projects view ({@code queryAllProjects}, {@code countAllProjects})
 * and of the usage reports and quotas, on odd data: look-alike project ids (NFC/NFD, case, trailing
 * spaces, chars above U+FFFF), the same backup ids in many projects, renamed servers, one server in
 * several projects, sizes at 0 and at {@link Backup#MAX_SIZE_MB}, ties everywhere. Expectations come
 * from the README and the javadoc; each answer is checked against a plain scan written here, on the
 * indexed catalog and on the testkit's {@link ReferenceCatalog}.
 */
class NewUserAllProjectsUsageTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

  /** Look-alike project ids: case, NFC/NFD, trailing and leading spaces, chars above U+FFFF, U+FFFF-range. */
  private static final List<String> PROJECTS = List.of(
      "project-1", "Project-1", "project-1 ", " project-1", "project-1  ",
      "caf\u00e9", "cafe\u0301", "CAF\u00c9",
      "p\uD835\uDD38", "p\uFF21", "p\uE000", "p\uFFFD", "p\uD800\uDC00",
      "p", "P", "pp", "\u00df", "ss", "SS", "\u0130", "i");

  private static final List<Server> SERVERS = List.of(
      Server.of("srv-a", "web", "eu-de-01"),
      Server.of("srv-A", "WEB", "eu-de-01"),
      Server.of("srv-\uD835\uDD38", "math", "eu-de-02"),
      Server.of("srv-\uFF21", "fullwidth", "eu-de-02"),
      Server.of("srv-\uE000", "private", "eu-de-01"),
      Server.of("caf\u00e9", "nfc", "eu-de-01"),
      Server.of("cafe\u0301", "nfd", "eu-de-01"),
      Server.of("srv-b ", "space", "eu-de-03"));

  // ------------------------------------------------------------------ helpers

  private static Backup backup(String project, String id, String name, Server server, Instant createdAt,
      BackupStatus status, long sizeMb) {
    Backup.Builder b = Backup.builder()
        .id(id)
        .name(name)
        .projectId(project)
        .server(server)
        .status(status)
        .sizeMb(sizeMb)
        .createdAt(createdAt);
    if (status == BackupStatus.ERROR) {
      b.failure(Failure.of(JobType.BACKUP, "disk full", createdAt));
    }
    return b.build();
  }

  private static List<BackupCatalog> catalogs(FakeClock clock) {
    return List.of(Catalogs.indexed(clock), ReferenceCatalog.create(clock));
  }

  /** The order the javadoc gives: the sort's keys, the id in the first key's direction, then project id. */
  private static Comparator<Backup> documentedOrder(Sort sort) {
    Comparator<Backup> order = null;
    boolean hasId = false;
    for (SortKey key : sort.keys()) {
      Comparator<Backup> one = fieldOrder(key.field());
      if (!key.ascending()) {
        one = one.reversed();
      }
      order = order == null ? one : order.thenComparing(one);
      hasId |= key.field() == SortField.ID;
    }
    if (!hasId) {
      Comparator<Backup> byId = Comparator.comparing(Backup::id);
      order = order.thenComparing(sort.keys().get(0).ascending() ? byId : byId.reversed());
    }
    return order.thenComparing(Backup::projectId);
  }

  private static Comparator<Backup> fieldOrder(SortField field) {
    switch (field) {
      case CREATED_AT: return Comparator.comparing(Backup::createdAt);
      case UPDATED_AT: return Comparator.comparing(Backup::updatedAt);
      case NAME: return Comparator.comparing(Backup::name);
      case STATUS: return Comparator.comparing(Backup::status);
      case ID: return Comparator.comparing(Backup::id);
      default: throw new AssertionError(field);
    }
  }

  private static List<String> keys(List<Backup> backups) {
    return backups.stream().map(b -> b.projectId() + "|" + b.id()).collect(Collectors.toList());
  }

  private static List<Sort> allSorts() {
    List<Sort> sorts = new ArrayList<>();
    for (SortField f : SortField.values()) {
      sorts.add(Sort.by(SortKey.asc(f)));
      sorts.add(Sort.by(SortKey.desc(f)));
    }
    sorts.add(Sort.parse("created_at:desc,name:asc"));
    sorts.add(Sort.parse("status:asc,created_at:asc"));
    sorts.add(Sort.parse("name:desc,id:asc"));
    sorts.add(Sort.parse("status:desc,name:asc,created_at:desc"));
    sorts.add(Sort.parse("id:desc,created_at:asc"));
    sorts.add(Sort.parse("id:asc,name:desc,status:asc"));
    sorts.add(Sort.parse("updated_at:desc,id:asc,name:asc"));
    return sorts;
  }

  /**
   * Many projects with look-alike ids; each holds a few backups with ids that repeat across projects
   * and sort values that tie; plus ids unique to one project.
   */
  private static List<Backup> lookAlikeData(Random r) {
    List<Backup> all = new ArrayList<>();
    String[] sharedIds = {"b", "B", "b ", "caf\u00e9", "cafe\u0301", "x\uD835\uDD38", "x\uFF21", "x\uE000"};
    String[] names = {"n", "N", "n_", "\u00e9", "E\u00e9", "\uD835\uDD38", "\uFF21"};
    BackupStatus[] statuses = {BackupStatus.AVAILABLE, BackupStatus.ERROR};
    int unique = 0;
    for (String project : PROJECTS) {
      for (String id : sharedIds) {
        if (r.nextInt(4) == 0) {
          continue;
        }
        all.add(backup(project, id, names[r.nextInt(names.length)], SERVERS.get(r.nextInt(SERVERS.size())),
            NOW.minusSeconds(r.nextInt(3)), statuses[r.nextInt(2)], r.nextInt(3) == 0 ? 0 : r.nextInt(5)));
      }
      int more = r.nextInt(4);
      for (int i = 0; i < more; i++) {
        all.add(backup(project, "only-" + (unique++), names[r.nextInt(names.length)],
            SERVERS.get(r.nextInt(SERVERS.size())), NOW.minusSeconds(r.nextInt(3)), statuses[r.nextInt(2)],
            r.nextInt(5)));
      }
    }
    return all;
  }

  private static Map<String, Long> idProjects(List<Backup> all) {
    Map<String, Long> n = new HashMap<>();
    for (Backup b : all) {
      n.merge(b.id(), 1L, Long::sum);
    }
    return n;
  }

  // ------------------------------------------------------------------ all projects

  @Test
  void allProjectsOrderTotalsAndOffsetPagesMatchAPlainScanForEverySortOnLookAlikeProjects() {
    Seeds.run(Seeds.pick(), seed -> {
      Random r = new Random(seed);
      List<Backup> data = lookAlikeData(r);
      FakeClock clock = FakeClock.at(NOW);
      List<BackupPredicate> predicates = List.of(Predicates.all(), Predicates.status(BackupStatus.ERROR),
          Predicates.serverId("srv-a"), Predicates.not(Predicates.status(BackupStatus.ERROR)));
      for (BackupCatalog catalog : catalogs(clock)) {
        catalog.addAll(data);
        String who = catalog.getClass().getSimpleName();
        for (BackupPredicate where : predicates) {
          List<Backup> matches = data.stream().filter(b -> where.test(b, NOW, StallRule.DEFAULT))
              .collect(Collectors.toList());
          assertEquals(matches.size(), catalog.countAllProjects(where), who + " count " + where);
          for (Sort sort : allSorts()) {
            List<Backup> expected = new ArrayList<>(matches);
            expected.sort(documentedOrder(sort));
            Page whole = catalog.queryAllProjects(Query.builder().where(where).sort(sort).build());
            assertEquals(keys(expected), keys(whole.backups()), who + " " + where + " sorted " + sort);
            assertEquals(expected.size(), whole.total());
            assertFalse(whole.hasMore());
            int limit = 1 + r.nextInt(7);
            List<Backup> walked = new ArrayList<>();
            for (long offset = 0; ; offset += limit) {
              Page page = catalog.queryAllProjects(
                  Query.builder().where(where).sort(sort).limit(limit).offset(offset).build());
              assertEquals(expected.size(), page.total(), who + " total at offset " + offset);
              walked.addAll(page.backups());
              assertEquals(offset + limit < expected.size(), page.hasMore(), who + " hasMore at " + offset);
              if (!page.hasMore()) {
                break;
              }
            }
            assertEquals(keys(expected), keys(walked), who + " offset walk " + sort + " limit " + limit);
          }
        }
      }
    });
  }

  @Test
  void allProjectsMarkerWalkContinuesWhileTheMarkerIsUniqueAndIsRefusedNamingMarkerWhenItIsNot() {
    Seeds.run(Seeds.pick(), seed -> {
      Random r = new Random(seed);
      List<Backup> data = lookAlikeData(r);
      Map<String, Long> idCount = idProjects(data);
      FakeClock clock = FakeClock.at(NOW);
      for (BackupCatalog catalog : catalogs(clock)) {
        catalog.addAll(data);
        String who = catalog.getClass().getSimpleName();
        for (Sort sort : allSorts()) {
          List<Backup> expected = new ArrayList<>(data);
          expected.sort(documentedOrder(sort));
          // every backup whose id is unique across projects is a marker: the rest follows it
          for (int i = 0; i < expected.size(); i++) {
            Backup m = expected.get(i);
            int limit = 1 + r.nextInt(5);
            Query q = Query.builder().sort(sort).limit(limit).marker(m.id()).build();
            if (idCount.get(m.id()) == 1) {
              Page page = catalog.queryAllProjects(q);
              List<Backup> rest = expected.subList(i + 1, expected.size());
              assertEquals(keys(rest.subList(0, Math.min(limit, rest.size()))), keys(page.backups()),
                  who + " after " + m.id() + " sorted " + sort);
              assertEquals(data.size(), page.total(), who + " total after a marker");
              assertEquals(rest.size() > limit, page.hasMore());
            } else {
              InvalidValueException e = assertThrows(InvalidValueException.class, () -> catalog.queryAllProjects(q),
                  who + " ambiguous marker " + m.id());
              assertTrue(e.getMessage().contains("marker"), e.getMessage());
            }
          }
        }
        InvalidValueException unknown = assertThrows(InvalidValueException.class,
            () -> catalog.queryAllProjects(Query.all().after("nobody-has-it")));
        assertTrue(unknown.getMessage().contains("marker"), unknown.getMessage());
      }
    });
  }

  @Test
  void anAllProjectsMarkerNeedNotMatchThePredicate() {
    // Query's javadoc: the marker is the id of the last backup of the previous page; the reference
    // catalog's javadoc: it need not match the predicate (the page follows its current place)
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.add(backup("p1", "a-err", "n", SERVERS.get(0), NOW.minusSeconds(1), BackupStatus.ERROR, 1));
      catalog.add(backup("p2", "b-ok", "n", SERVERS.get(0), NOW.minusSeconds(2), BackupStatus.AVAILABLE, 1));
      catalog.add(backup("p3", "c-ok", "n", SERVERS.get(0), NOW.minusSeconds(0), BackupStatus.AVAILABLE, 1));
      Page page = catalog.queryAllProjects(Query.builder().where(Predicates.status(BackupStatus.AVAILABLE))
          .sort(Sort.parse("id:asc")).marker("a-err").build());
      assertEquals(List.of("b-ok", "c-ok"), page.ids());
      assertEquals(2, page.total());
    }
  }

  @Test
  void aMarkerOfOneProjectsPageContinuesTheAllProjectsViewWhenItsIdIsUnique() {
    // a marker from a project's own page means, in the all-projects view, the same backup's place
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      for (int i = 0; i < 6; i++) {
        for (String p : List.of("alpha", "Alpha", "alpha ")) {
          catalog.add(backup(p, p.strip() + "-" + p.length() + "-" + i + (p.equals("Alpha") ? "U" : ""), "n",
              SERVERS.get(i % 3), NOW.minusSeconds(i), BackupStatus.AVAILABLE, i));
        }
      }
      Page own = catalog.query("alpha ", Query.builder().limit(2).build());
      String marker = own.nextMarker().orElseThrow();
      Page all = catalog.queryAllProjects(Query.builder().limit(1000).build());
      int at = all.ids().indexOf(marker);
      assertTrue(at >= 0);
      Page next = catalog.queryAllProjects(Query.builder().limit(4).build().after(marker));
      assertEquals(all.ids().subList(at + 1, at + 5), next.ids());
    }
  }

  @Test
  void allProjectsNextMarkerOfAPageEndingOnASharedIdIsRefusedAndTheWalkMustSwitchToOffset() {
    // the documented way: "a marker whose id exists in several projects is refused: page by offset then"
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      for (String p : List.of("p", "P", "p ")) {
        catalog.add(backup(p, "same", "n", SERVERS.get(0), NOW.minusSeconds(5), BackupStatus.AVAILABLE, 1));
      }
      catalog.add(backup("q", "later", "n", SERVERS.get(0), NOW.minusSeconds(9), BackupStatus.AVAILABLE, 1));
      Page first = catalog.queryAllProjects(Query.builder().limit(2).build());
      assertEquals(List.of("P", "p"), first.backups().stream().map(Backup::projectId).collect(Collectors.toList()));
      String marker = first.nextMarker().orElseThrow();
      assertEquals("same", marker);
      assertThrows(InvalidValueException.class,
          () -> catalog.queryAllProjects(Query.builder().limit(2).build().after(marker)));
      Page second = catalog.queryAllProjects(Query.builder().limit(2).offset(2).build());
      assertEquals(List.of("p |same", "q|later"), keys(second.backups()));
    }
  }

  @Test
  void allProjectsSeesAServerRenamedBetweenBackupsAndAllStatesAcrossProjects() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.add(backup("p1", "x", "n", Server.of("s", "old", "eu-de-01"), NOW.minusSeconds(9),
          BackupStatus.AVAILABLE, 7));
      catalog.add(backup("p2", "x", "n", Server.of("s", "new", "eu-de-01"), NOW.minusSeconds(1),
          BackupStatus.AVAILABLE, 7));
      catalog.apply("p1", "x", 1, Transition.delete());
      assertEquals(2, catalog.countAllProjects(Predicates.serverId("s")));
      assertEquals(1, catalog.countAllProjects(Predicates.status(BackupStatus.DELETING)));
      assertEquals(List.of("p2", "p1"), catalog.queryAllProjects(Query.all()).backups().stream()
          .map(Backup::projectId).collect(Collectors.toList()));
    }
  }

  // ------------------------------------------------------------------ usage

  /** The documented report: largest MB first, then more backups, then server id by compareTo; named by newest. */
  private static UsageReport expectedUsage(List<Backup> backups, long offset, int limit) {
    Map<String, long[]> sums = new TreeMap<>();
    Map<String, Backup> newest = new HashMap<>();
    long count = 0;
    long size = 0;
    for (Backup b : backups) {
      long[] s = sums.computeIfAbsent(b.server().id(), k -> new long[2]);
      s[0]++;
      s[1] = Math.addExact(s[1], b.sizeMb());
      count++;
      size = Math.addExact(size, b.sizeMb());
      newest.merge(b.server().id(), b, (x, y) -> {
        int c = x.createdAt().compareTo(y.createdAt());
        if (c == 0) {
          c = x.id().compareTo(y.id());
        }
        return c >= 0 ? x : y;
      });
    }
    List<ServerUsage> lines = new ArrayList<>();
    sums.forEach((id, s) -> lines.add(new ServerUsage(id, newest.get(id).server().name(), s[0], s[1])));
    lines.sort(Comparator.comparingLong(ServerUsage::sizeMb).reversed()
        .thenComparing(Comparator.comparingLong(ServerUsage::backups).reversed())
        .thenComparing(ServerUsage::serverId));
    int from = (int) Math.min(offset, lines.size());
    List<ServerUsage> page = lines.subList(from, Math.min(from + limit, lines.size()));
    return new UsageReport(count, size, lines.size(), page);
  }

  @Test
  void usagePerProjectOnRenamedServersSharedServersAndTiesMatchesAPlainScanWithEveryPage() {
    Seeds.run(Seeds.pick(), seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      List<Backup> data = new ArrayList<>();
      String[] names = {"a", "A", "a_", "\u00e9", "E\u00e9", "\uD835\uDD38", "z"};
      long[] sizes = {0, 0, 1, 2, 1023, 1024, 1025, Backup.MAX_SIZE_MB, Backup.MAX_SIZE_MB - 1};
      List<String> projects = PROJECTS.subList(0, 8);
      for (String project : projects) {
        int n = r.nextInt(30);
        for (int i = 0; i < n; i++) {
          Server base = SERVERS.get(r.nextInt(SERVERS.size()));
          Server renamed = Server.of(base.id(), names[r.nextInt(names.length)], base.availabilityZone());
          data.add(backup(project, "id" + (char) ('A' + r.nextInt(3)) + i + (r.nextBoolean() ? "\uD835\uDD38" : "\uFF21"),
              "n", renamed, NOW.minusSeconds(r.nextInt(3)),
              r.nextBoolean() ? BackupStatus.AVAILABLE : BackupStatus.ERROR, sizes[r.nextInt(sizes.length)]));
        }
      }
      for (BackupCatalog catalog : catalogs(clock)) {
        catalog.addAll(data);
        String who = catalog.getClass().getSimpleName();
        for (String project : projects) {
          List<Backup> own = data.stream().filter(b -> b.projectId().equals(project)).collect(Collectors.toList());
          for (BackupPredicate where : List.of(Predicates.all(), Predicates.status(BackupStatus.ERROR),
              Predicates.availabilityZone("eu-de-01"))) {
            List<Backup> counted = own.stream().filter(b -> where.test(b, NOW, StallRule.DEFAULT))
                .collect(Collectors.toList());
            for (long offset : new long[] {0, 1, 3, 7, 8, 1000, Long.MAX_VALUE}) {
              for (int limit : new int[] {1, 2, 3, 1000}) {
                UsageReport expected = expectedUsage(counted, offset, limit);
                UsageReport actual = catalog.usage(project, UsageQuery.of(where, offset, limit));
                assertEquals(expected, actual, who + " " + project + " " + where + " offset " + offset + " limit " + limit);
              }
            }
            UsageReport report = catalog.usage(project, UsageQuery.of(where, 0, 1000));
            assertEquals(new BigDecimal(report.sizeMb()).divide(BigDecimal.valueOf(1024), 2,
                java.math.RoundingMode.HALF_UP), report.capacityGb());
            for (ServerUsage line : report.servers()) {
              assertEquals(2, line.capacityGb().scale());
            }
          }
        }
      }
    });
  }

  @Test
  void usageSumsOfMaximumSizesPastIntAndAcrossManyBackupsAreExact() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      Server s = Server.of("huge", "huge", "eu-de-01");
      List<Backup> batch = new ArrayList<>();
      for (int i = 0; i < 4100; i++) {   // 4100 * 2^30 MB > 2^42: far past an int
        batch.add(backup("big", "b" + i, "n", i % 2 == 0 ? s : SERVERS.get(0), NOW.minusSeconds(i % 5),
            BackupStatus.AVAILABLE, Backup.MAX_SIZE_MB));
      }
      catalog.addAll(batch);
      UsageReport report = catalog.usage("big", UsageQuery.firstServers(10));
      assertEquals(4100, report.backups());
      assertEquals(4100L * Backup.MAX_SIZE_MB, report.sizeMb());
      assertEquals(new BigDecimal("4299161600.00"), report.capacityGb());  // 4100 * 2^20 GB
      assertEquals(2, report.serverCount());
      // equal size and count: by server id, "huge" < "srv-a"
      assertEquals(List.of("huge", "srv-a"), report.servers().stream().map(ServerUsage::serverId)
          .collect(Collectors.toList()));
      assertEquals(2050L * Backup.MAX_SIZE_MB, report.servers().get(0).sizeMb());
      QuotaUsage q = catalog.quotaUsage("big");
      assertEquals(4100, q.backupsUsed());
      assertEquals(4100L * Backup.MAX_SIZE_MB, q.sizeMbUsed());
      assertEquals(Optional.empty().isPresent(), q.backupsRemaining().isPresent());
    }
  }

  @Test
  void usageTiesBetweenServerIdsAboveUffffAndInThePrivateUseAreaFollowCharOrder() {
    // UsageReport: ties by server id "compared char by char as String.compareTo does": a surrogate
    // (U+D835) sorts before U+E000 and U+FF21
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      List<String> ids = List.of("srv-\uFF21", "srv-\uE000", "srv-\uD835\uDD38", "srv-A", "srv-a", "srv-a ");
      int i = 0;
      for (String id : ids) {
        catalog.add(backup("t", "b" + (i++), "n", Server.of(id, "x", "eu-de-01"), NOW, BackupStatus.AVAILABLE, 5));
      }
      UsageReport report = catalog.usage("t", UsageQuery.firstServers(1000));
      assertEquals(List.of("srv-A", "srv-a", "srv-a ", "srv-\uD835\uDD38", "srv-\uE000", "srv-\uFF21"),
          report.servers().stream().map(ServerUsage::serverId).collect(Collectors.toList()));
      List<String> paged = new ArrayList<>();
      for (int off = 0; off < 6; off += 4) {
        catalog.usage("t", UsageQuery.of(Predicates.all(), off, 4)).servers().forEach(l -> paged.add(l.serverId()));
      }
      assertEquals(report.servers().stream().map(ServerUsage::serverId).collect(Collectors.toList()), paged);
    }
  }

  @Test
  void aServerInSeveralProjectsIsNamedPerProjectByThatProjectsNewestBackup() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.add(backup("p1", "a", "n", Server.of("s", "first", "eu-de-01"), NOW.minusSeconds(9), BackupStatus.AVAILABLE, 1));
      catalog.add(backup("p2", "b", "n", Server.of("s", "second", "eu-de-01"), NOW.minusSeconds(5), BackupStatus.AVAILABLE, 1));
      catalog.add(backup("p1", "c", "n", Server.of("s", "third", "eu-de-01"), NOW.minusSeconds(7), BackupStatus.AVAILABLE, 1));
      assertEquals("third", catalog.usage("p1", UsageQuery.firstServers(5)).servers().get(0).serverName());
      assertEquals("second", catalog.usage("p2", UsageQuery.firstServers(5)).servers().get(0).serverName());
      // the newest removed: the name goes back to the newest remaining
      catalog.remove("p1", "c", 1);
      assertEquals("first", catalog.usage("p1", UsageQuery.firstServers(5)).servers().get(0).serverName());
      // restricted: the newest *counted* backup names it
      catalog.add(backup("p1", "d", "n", Server.of("s", "erred", "eu-de-01"), NOW.minusSeconds(1), BackupStatus.ERROR, 0));
      assertEquals("erred", catalog.usage("p1", UsageQuery.firstServers(5)).servers().get(0).serverName());
      assertEquals("first", catalog.usage("p1", UsageQuery.of(Predicates.status(BackupStatus.AVAILABLE), 0, 5))
          .servers().get(0).serverName());
    }
  }

  @Test
  void aServerWhoseOnlyBackupsAreZeroMbIsListedAfterLargerOnesAndCounted() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.add(backup("z", "a", "n", Server.of("zero-many", "m", "eu-de-01"), NOW, BackupStatus.AVAILABLE, 0));
      catalog.add(backup("z", "b", "n", Server.of("zero-many", "m", "eu-de-01"), NOW, BackupStatus.AVAILABLE, 0));
      catalog.add(backup("z", "c", "n", Server.of("zero-one", "o", "eu-de-01"), NOW, BackupStatus.AVAILABLE, 0));
      catalog.add(backup("z", "d", "n", Server.of("one-mb", "o", "eu-de-01"), NOW, BackupStatus.AVAILABLE, 1));
      UsageReport r = catalog.usage("z", UsageQuery.firstServers(10));
      assertEquals(List.of("one-mb", "zero-many", "zero-one"),
          r.servers().stream().map(ServerUsage::serverId).collect(Collectors.toList()));
      assertEquals(3, r.serverCount());
      assertEquals(4, r.backups());
      assertEquals(new BigDecimal("0.00"), r.capacityGb());
      // an unknown project: an empty report, not a refusal
      UsageReport none = catalog.usage("nobody", UsageQuery.firstServers(10));
      assertEquals(new UsageReport(0, 0, 0, List.of()), none);
    }
  }

  @Test
  void usageRefusesABlankProjectNamingProjectId() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      for (String blank : List.of("", " ", "\t", "\u2003")) {
        InvalidValueException e = assertThrows(InvalidValueException.class,
            () -> catalog.usage(blank, UsageQuery.firstServers(1)), catalog.getClass().getSimpleName() + " '" + blank + "'");
        assertTrue(e.getMessage().contains("project id"), e.getMessage());
        assertThrows(InvalidValueException.class, () -> catalog.quotaUsage(blank));
        assertThrows(InvalidValueException.class, () -> catalog.setQuota(blank, Quota.NONE));
      }
    }
  }

  // ------------------------------------------------------------------ quotas

  @Test
  void quotasExactlyAtTheBoundaryOnLookAlikeProjectsAreKeptApart() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.setQuota("caf\u00e9", Quota.of(2, 1));   // 2 backups, 1024 MB
      catalog.setQuota("cafe\u0301", Quota.of(0, Quota.UNLIMITED));
      catalog.add(backup("caf\u00e9", "a", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 1000));
      catalog.add(backup("caf\u00e9", "b", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 24)); // exactly 1024
      QuotaExceededException full = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup("caf\u00e9", "c", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 0)));
      assertEquals("backups", full.quota());
      assertEquals("caf\u00e9", full.projectId());
      assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup("cafe\u0301", "a", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 0)));
      catalog.add(backup("CAF\u00c9", "a", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, Backup.MAX_SIZE_MB));
      QuotaUsage q = catalog.quotaUsage("caf\u00e9");
      assertEquals(0, q.backupsRemaining().getAsLong());
      assertEquals(0, q.capacityRemainingMb().getAsLong());
      assertEquals(new BigDecimal("1.00"), q.capacityUsedGb());
      // raise the count only: a 0 MB backup still fits exactly at capacity, 1 MB does not
      catalog.setQuota("caf\u00e9", Quota.of(Quota.UNLIMITED, 1));
      catalog.add(backup("caf\u00e9", "c", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 0));
      QuotaExceededException cap = assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup("caf\u00e9", "d", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 1)));
      assertEquals("backup_capacity", cap.quota());
      assertEquals(3, catalog.usage("caf\u00e9", UsageQuery.firstServers(1)).backups());
      assertEquals(Quota.NONE, catalog.quotaUsage("CAF\u00c9").quota());
    }
  }

  @Test
  void theLargestCapacityQuotaTakesMaximumSizeBackupsWithoutOverflow() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.setQuota("max", Quota.of(Quota.UNLIMITED, Quota.MAX_CAPACITY_GB));
      List<Backup> batch = new ArrayList<>();
      for (int i = 0; i < 3000; i++) {
        batch.add(backup("max", "m" + i, "n", SERVERS.get(i % SERVERS.size()), NOW, BackupStatus.AVAILABLE,
            Backup.MAX_SIZE_MB));
      }
      catalog.addAll(batch);
      QuotaUsage q = catalog.quotaUsage("max");
      assertEquals(Quota.MAX_CAPACITY_GB * 1024 - 3000L * Backup.MAX_SIZE_MB, q.capacityRemainingMb().getAsLong());
      assertEquals(new BigDecimal(3000L * (1L << 20) + ".00"), q.capacityUsedGb());
      // exactly at 1 GB more than used: a quota at the used GB leaves 0 remaining and takes a 0 MB backup
      catalog.setQuota("max", Quota.of(3000, 3000L * (1L << 20)));
      assertEquals(0, catalog.quotaUsage("max").capacityRemainingMb().getAsLong());
      assertThrows(QuotaExceededException.class,
          () -> catalog.add(backup("max", "one-more", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 0)));
      catalog.setQuota("max", Quota.of(3001, 3000L * (1L << 20)));
      catalog.add(backup("max", "one-more", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 0));
      assertEquals(3001, catalog.usage("max", UsageQuery.firstServers(1)).backups());
    }
  }

  // ------------------------------------------------------------------ both catalogs agree

  @Test
  void indexedAndReferenceAgreeOnEveryAllProjectsPageAndUsageAfterRandomChanges() {
    Seeds.run(Seeds.pick(), seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog indexed = Catalogs.indexed(clock);
      ReferenceCatalog reference = ReferenceCatalog.create(clock);
      List<Backup> data = lookAlikeData(r);
      indexed.addAll(data);
      reference.addAll(data);
      for (int step = 0; step < 200; step++) {
        Backup b = data.get(r.nextInt(data.size()));
        Optional<Backup> now = reference.find(b.projectId(), b.id());
        int op = r.nextInt(3);
        if (now.isEmpty()) {
          Backup again = b.toBuilder().build();
          indexed.add(again);
          reference.add(again);
        } else if (op == 0) {
          indexed.remove(b.projectId(), b.id(), now.get().version());
          reference.remove(b.projectId(), b.id(), now.get().version());
        } else if (now.get().status() == BackupStatus.AVAILABLE) {
          clock.advance(java.time.Duration.ofSeconds(r.nextInt(2)));
          Transition t = op == 1 ? Transition.delete() : Transition.restore();
          assertEquals(reference.apply(b.projectId(), b.id(), now.get().version(), t),
              indexed.apply(b.projectId(), b.id(), now.get().version(), t));
        }
        if (step % 20 == 0) {
          for (Sort sort : allSorts()) {
            Query q = Query.builder().sort(sort).limit(1 + r.nextInt(20)).offset(r.nextInt(40)).build();
            assertEquals(reference.queryAllProjects(q), indexed.queryAllProjects(q), "step " + step + " " + q);
          }
          for (String p : PROJECTS) {
            UsageQuery uq = UsageQuery.of(Predicates.all(), r.nextInt(3), 1 + r.nextInt(4));
            assertEquals(reference.usage(p, uq), indexed.usage(p, uq), "usage " + p);
            assertEquals(reference.quotaUsage(p), indexed.quotaUsage(p));
          }
          for (BackupStatus s : BackupStatus.values()) {
            assertEquals(reference.countAllProjects(Predicates.status(s)), indexed.countAllProjects(Predicates.status(s)));
          }
        }
      }
    });
  }

  // ------------------------------------------------------------------ more probes

  @Test
  void theAllProjectsViewInsideAProjectsReadIsRefusedAsAReadOfAnotherProject() {
    // BackupCatalog.read: inside reads the thread may not "read another project: ... the catalog
    // refuses both with an IllegalStateException"
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.add(backup("p1", "a", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 1));
      catalog.add(backup("p2", "a", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 1));
      String who = catalog.getClass().getSimpleName();
      assertThrows(IllegalStateException.class,
          () -> catalog.read("p1", view -> catalog.queryAllProjects(Query.all())), who + " queryAllProjects");
      assertThrows(IllegalStateException.class,
          () -> catalog.read("p1", view -> catalog.countAllProjects(Predicates.all())), who + " countAllProjects");
      assertThrows(IllegalStateException.class,
          () -> catalog.read("p1", view -> catalog.usage("p2", UsageQuery.firstServers(1))), who + " usage of p2");
      assertEquals(1, catalog.read("p1", view -> catalog.usage("p1", UsageQuery.firstServers(1))).backups());
      assertEquals(2, catalog.countAllProjects(Predicates.all()));
    }
  }

  @Test
  void anAllProjectsMarkerWhoseSortedValueChangedContinuesAfterItsNewPlace() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      catalog.add(backup("p1", "m", "n", SERVERS.get(0), NOW.minusSeconds(30), BackupStatus.AVAILABLE, 1));
      catalog.add(backup("p2", "k", "n", SERVERS.get(0), NOW.minusSeconds(20), BackupStatus.AVAILABLE, 1));
      catalog.add(backup("p3", "j", "n", SERVERS.get(0), NOW.minusSeconds(10), BackupStatus.AVAILABLE, 1));
      Query byUpdate = Query.builder().sort(Sort.parse("updated_at:asc")).limit(1).build();
      assertEquals(List.of("m"), catalog.queryAllProjects(byUpdate).ids());
      clock.advance(java.time.Duration.ofSeconds(5));
      catalog.apply("p1", "m", 1, Transition.restore());   // m now updated last
      assertEquals(List.of(), catalog.queryAllProjects(byUpdate.after("m")).ids());
      assertEquals(List.of("j"), catalog.queryAllProjects(byUpdate.after("k")).ids());
    }
  }

  @Test
  void nullArgumentsOfTheAllProjectsViewAndUsageAreNullPointerExceptions() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      assertThrows(NullPointerException.class, () -> catalog.queryAllProjects(null));
      assertThrows(NullPointerException.class, () -> catalog.countAllProjects(null));
      assertThrows(NullPointerException.class, () -> catalog.usage("p", null));
      assertThrows(NullPointerException.class, () -> catalog.setQuota("p", null));
      assertThrows(NullPointerException.class, () -> UsageQuery.of(null, 0, 1));
      assertEquals(new QuotaUsage(Quota.NONE, 0, 0), catalog.quotaUsage("never-seen"));
      assertEquals(0, catalog.countAllProjects(Predicates.all()));
      assertEquals(new Page(List.of(), 0, false), catalog.queryAllProjects(Query.all()));
    }
  }

  @Test
  void allProjectsProjectTieBreakIsAscendingWhateverTheSortDirection() {
    FakeClock clock = FakeClock.at(NOW);
    for (BackupCatalog catalog : catalogs(clock)) {
      for (String p : List.of("p-b", "p-c", "p-a")) {
        catalog.add(backup(p, "same", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 1));
      }
      for (Sort sort : allSorts()) {
        assertEquals(List.of("p-a", "p-b", "p-c"), catalog.queryAllProjects(Query.builder().sort(sort).build())
            .backups().stream().map(Backup::projectId).collect(Collectors.toList()), sort.toString());
      }
    }
  }

  @Test
  void manyProjectsWithLateAddsAndRemovalsPageDeepByOffsetAndMarkerAsAPlainScan() {
    Seeds.run(Seeds.pick(), seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      Map<String, Backup> model = new HashMap<>();  // project|id -> backup
      List<Backup> first = new ArrayList<>();
      String[] names = {"n", "N", "n_", "\u00e9", "\uD835\uDD38", "\uFF21", "z"};
      for (int i = 0; i < 6000; i++) {
        String project = "prj-" + r.nextInt(150) + (r.nextInt(4) == 0 ? " " : "");
        String id = r.nextInt(3) == 0 ? "dup-" + r.nextInt(40) : "u-" + i;
        String key = project + "|" + id;
        if (model.containsKey(key)) {
          continue;
        }
        Backup b = backup(project, id, names[r.nextInt(names.length)], SERVERS.get(r.nextInt(SERVERS.size())),
            NOW.minusSeconds(r.nextInt(500)), r.nextInt(5) == 0 ? BackupStatus.ERROR : BackupStatus.AVAILABLE,
            r.nextInt(10) == 0 ? Backup.MAX_SIZE_MB : r.nextInt(3000));
        model.put(key, b);
        first.add(b);
      }
      // a bulk of the newer half, then the older half one by one (late), then removals
      first.sort(Comparator.comparing(Backup::createdAt).reversed());
      catalog.addAll(first.subList(0, first.size() / 2));
      for (Backup b : first.subList(first.size() / 2, first.size())) {
        catalog.add(b);
      }
      List<String> keys = new ArrayList<>(model.keySet());
      java.util.Collections.sort(keys);
      for (int i = 0; i < 800; i++) {
        Backup b = model.remove(keys.get(r.nextInt(keys.size())));
        if (b != null) {
          catalog.remove(b.projectId(), b.id(), b.version());
        }
      }
      List<Backup> all = new ArrayList<>(model.values());
      Map<String, Long> idCount = idProjects(all);
      assertEquals(all.size(), catalog.countAllProjects(Predicates.all()));
      for (Sort sort : List.of(Sort.DEFAULT, Sort.parse("created_at:asc"), Sort.parse("name:asc"),
          Sort.parse("status:desc,name:desc"), Sort.parse("id:asc"))) {
        List<Backup> expected = new ArrayList<>(all);
        expected.sort(documentedOrder(sort));
        for (int probe = 0; probe < 15; probe++) {
          int offset = r.nextInt(expected.size() + 5);
          int limit = 1 + r.nextInt(r.nextBoolean() ? 10 : 1000);
          Page page = catalog.queryAllProjects(Query.builder().sort(sort).limit(limit).offset(offset).build());
          int from = Math.min(offset, expected.size());
          assertEquals(keys(expected.subList(from, Math.min(from + limit, expected.size()))), keys(page.backups()),
              sort + " offset " + offset + " limit " + limit);
          assertEquals(expected.size(), page.total());
          Backup m = expected.get(r.nextInt(expected.size()));
          if (idCount.get(m.id()) == 1) {
            int at = expected.indexOf(m);
            Page after = catalog.queryAllProjects(Query.builder().sort(sort).limit(limit).marker(m.id()).build());
            assertEquals(keys(expected.subList(at + 1, Math.min(at + 1 + limit, expected.size()))), keys(after.backups()),
                sort + " after " + m.id());
          }
        }
      }
      // usage of a few projects against the model
      for (int i = 0; i < 20; i++) {
        String project = "prj-" + r.nextInt(150);
        List<Backup> own = all.stream().filter(b -> b.projectId().equals(project)).collect(Collectors.toList());
        assertEquals(expectedUsage(own, 0, 1000), catalog.usage(project, UsageQuery.firstServers(1000)), project);
        assertEquals(expectedUsage(own, 2, 3), catalog.usage(project, UsageQuery.of(Predicates.all(), 2, 3)), project);
      }
    });
  }

  @Test
  void theBuildersStallRuleAndClockGoverTheAllProjectsViewAndRestrictedUsage() {
    StallRule tenMinutes = StallRule.ofThreshold(java.time.Duration.ofMinutes(10));
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = k == 0 ? Catalogs.builder().clock(clock).stallRule(tenMinutes).build()
          : ReferenceCatalog.create(clock, tenMinutes);
      for (String p : List.of("s1", "S1", "s1 ")) {
        catalog.add(Backup.builder().id("job").name("n").projectId(p).server(SERVERS.get(0))
            .status(BackupStatus.CREATING).sizeMb(Backup.MAX_SIZE_MB)
            .createdAt(NOW.minusSeconds(3600)).progress(io.csbs.backup.Progress.of(10, NOW.minusSeconds(900))).build());
      }
      catalog.add(Backup.builder().id("fresh").name("n").projectId("s1").server(SERVERS.get(1))
          .status(BackupStatus.CREATING).sizeMb(7)
          .createdAt(NOW.minusSeconds(60)).progress(io.csbs.backup.Progress.of(10, NOW.minusSeconds(60))).build());
      String who = catalog.getClass().getSimpleName();
      assertEquals(3, catalog.countAllProjects(Predicates.stalled()), who);   // 15 min > 10 min
      assertEquals(List.of("S1", "s1", "s1 "), catalog.queryAllProjects(Query.where(Predicates.stalled())).backups()
          .stream().map(Backup::projectId).collect(Collectors.toList()), who);
      UsageReport stalled = catalog.usage("s1", UsageQuery.of(Predicates.stalled(), 0, 10));
      assertEquals(new UsageReport(1, Backup.MAX_SIZE_MB, 1,
          List.of(new ServerUsage("srv-a", "web", 1, Backup.MAX_SIZE_MB))), stalled, who);
      clock.advance(java.time.Duration.ofMinutes(9));   // fresh: 10 min without progress, not beyond
      assertEquals(3, catalog.countAllProjects(Predicates.stalled()), who);
      clock.advance(java.time.Duration.ofMinutes(2));
      assertEquals(4, catalog.countAllProjects(Predicates.stalled()), who);
      assertEquals(2, catalog.usage("s1", UsageQuery.of(Predicates.stalled(), 0, 10)).serverCount(), who);
    }
    FakeClock clock = FakeClock.at(NOW);
    assertThrows(IllegalStateException.class, () -> Catalogs.builder().clock(clock).clock(clock));
    assertThrows(IllegalStateException.class, () -> Catalogs.builder().stallRule(tenMinutes).stallRule(tenMinutes));
    assertThrows(NullPointerException.class, () -> Catalogs.builder().clock(null));
  }

  @Test
  void aServerNameTieAtOneInstantGoesToTheGreatestIdInCharOrderNotCodePointOrder() {
    // ServerUsage: among backups created at the same instant, the greatest id "compared char by char
    // as String.compareTo does": "a\uFF21" > "a\uD835\uDD38" (a code point order would say the reverse)
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = k == 0 ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
      String who = catalog.getClass().getSimpleName();
      Instant at = NOW.minusSeconds(5);
      catalog.add(backup("t", "a\uFF21", "n", Server.of("s", "fullwidth", "eu-de-01"), at, BackupStatus.AVAILABLE, 1));
      catalog.add(backup("t", "a\uD835\uDD38", "n", Server.of("s", "math", "eu-de-01"), at, BackupStatus.ERROR, 1));
      catalog.add(backup("t", "a\uE000", "n", Server.of("s", "private", "eu-de-01"), at, BackupStatus.ERROR, 1));
      assertEquals("fullwidth", catalog.usage("t", UsageQuery.firstServers(1)).servers().get(0).serverName(), who);
      assertEquals("private", catalog.usage("t", UsageQuery.of(Predicates.status(BackupStatus.ERROR), 0, 1))
          .servers().get(0).serverName(), who);
      catalog.remove("t", "a\uFF21", 1);
      assertEquals("private", catalog.usage("t", UsageQuery.firstServers(1)).servers().get(0).serverName(), who);
      catalog.remove("t", "a\uE000", 1);
      assertEquals("math", catalog.usage("t", UsageQuery.firstServers(1)).servers().get(0).serverName(), who);
      catalog.add(backup("t", "a\uFF21", "n", Server.of("s", "back", "eu-de-01"), at, BackupStatus.AVAILABLE, 1));
      assertEquals("back", catalog.usage("t", UsageQuery.firstServers(1)).servers().get(0).serverName(), who);
      // a deletion in progress still counts, and names the server; once complete it does not
      catalog.apply("t", "a\uFF21", 1, Transition.delete());
      assertEquals("back", catalog.usage("t", UsageQuery.firstServers(1)).servers().get(0).serverName(), who);
      assertEquals(2, catalog.usage("t", UsageQuery.firstServers(1)).backups(), who);
      catalog.apply("t", "a\uFF21", 2, Transition.complete());
      UsageReport after = catalog.usage("t", UsageQuery.firstServers(1));
      assertEquals("math", after.servers().get(0).serverName(), who);
      assertEquals(1, after.backups(), who);
    }
  }

  @Test
  void aBatchOverTwoProjectsIsSeenWholeOrNotAtAllByTheAllProjectsView() throws Exception {
    // BackupCatalog: "a query sees one consistent state, never half of a change"; addAll: "all or none"
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = k == 0 ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
      int pairs = 1500;
      java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicReference<String> wrong = new java.util.concurrent.atomic.AtomicReference<>();
      Thread writer = new Thread(() -> {
        try {
          for (int i = 0; i < pairs; i++) {
            catalog.addAll(List.of(
                backup("pa", "x" + i, "n", SERVERS.get(0), NOW.minusSeconds(i % 50), BackupStatus.AVAILABLE, 1),
                backup("pb \uD835\uDD38", "x" + i, "n", SERVERS.get(1), NOW.minusSeconds(i % 50), BackupStatus.AVAILABLE, 1)));
          }
        } finally {
          done.set(true);
        }
      });
      Thread reader = new Thread(() -> {
        while (!done.get() && wrong.get() == null) {
          long count = catalog.countAllProjects(Predicates.all());
          Page page = catalog.queryAllProjects(Query.builder().limit(1).build());
          if (count % 2 != 0) {
            wrong.set("countAllProjects " + count);
          } else if (page.total() % 2 != 0) {
            wrong.set("queryAllProjects total " + page.total());
          }
        }
      });
      writer.start();
      reader.start();
      writer.join(30_000);
      reader.join(30_000);
      assertFalse(writer.isAlive() || reader.isAlive(), "hang");
      assertEquals(null, wrong.get(), catalog.getClass().getSimpleName());
      assertEquals(2L * pairs, catalog.countAllProjects(Predicates.all()));
    }
  }

  @Test
  void quotaCallsInsideAReadFollowTheReadsRulesAndARefusedSetQuotaChangesNothing() {
    for (int k = 0; k < 2; k++) {
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = k == 0 ? Catalogs.indexed(clock) : ReferenceCatalog.create(clock);
      String who = catalog.getClass().getSimpleName();
      catalog.setQuota("q1", Quota.of(5, 5));
      catalog.add(backup("q1", "a", "n", SERVERS.get(0), NOW, BackupStatus.AVAILABLE, 3));
      assertThrows(IllegalStateException.class, () -> catalog.read("q1", v -> {
        catalog.setQuota("q1", Quota.NONE);
        return null;
      }), who + " setQuota of the read project");
      assertThrows(IllegalStateException.class, () -> catalog.read("q1", v -> {
        catalog.setQuota("q2", Quota.NONE);
        return null;
      }), who + " setQuota of another project");
      assertThrows(IllegalStateException.class, () -> catalog.read("q1", v -> catalog.quotaUsage("q2")),
          who + " quotaUsage of another project");
      assertEquals(new QuotaUsage(Quota.of(5, 5), 1, 3), catalog.read("q1", v -> catalog.quotaUsage("q1")), who);
      assertEquals(new QuotaUsage(Quota.of(5, 5), 1, 3), catalog.quotaUsage("q1"), who);
      assertEquals(new QuotaUsage(Quota.NONE, 0, 0), catalog.quotaUsage("q2"), who);
    }
  }

  @Test
  void theKeptCurrentUsageFollowsEveryAddRemovalAndCompletedDeletionStepByStep() {
    Seeds.run(Seeds.pick(), seed -> {
      Random r = new Random(seed);
      FakeClock clock = FakeClock.at(NOW);
      BackupCatalog catalog = Catalogs.indexed(clock);
      Map<String, Backup> model = new TreeMap<>();
      long[] sizes = {0, 1, 1024, Backup.MAX_SIZE_MB};
      String[] names = {"a", "b", "\uD835\uDD38", "\uFF21"};
      for (int step = 0; step < 1500; step++) {
        String id = "k" + r.nextInt(60) + (r.nextBoolean() ? "\uFF21" : "\uD835\uDD38");
        Backup current = model.get(id);
        if (current == null) {
          Server base = SERVERS.get(r.nextInt(4));
          Backup b = backup("u", id, "n", Server.of(base.id(), names[r.nextInt(names.length)], "eu-de-01"),
              NOW.minusSeconds(r.nextInt(2)), BackupStatus.AVAILABLE, sizes[r.nextInt(sizes.length)]);
          catalog.add(b);
          model.put(id, b);
        } else if (r.nextBoolean()) {
          catalog.remove("u", id, current.version());
          model.remove(id);
        } else if (current.status() == BackupStatus.AVAILABLE) {
          model.put(id, catalog.apply("u", id, current.version(), Transition.delete()).orElseThrow());
        } else {
          assertTrue(catalog.apply("u", id, current.version(), Transition.complete()).isEmpty());
          model.remove(id);
        }
        List<Backup> all = new ArrayList<>(model.values());
        int offset = r.nextInt(5);
        int limit = 1 + r.nextInt(4);
        assertEquals(expectedUsage(all, offset, limit), catalog.usage("u", UsageQuery.of(Predicates.all(), offset, limit)),
            "step " + step);
        assertEquals(new QuotaUsage(Quota.NONE, all.size(), all.stream().mapToLong(Backup::sizeMb).sum()),
            catalog.quotaUsage("u"), "step " + step);
      }
    });
  }
}
