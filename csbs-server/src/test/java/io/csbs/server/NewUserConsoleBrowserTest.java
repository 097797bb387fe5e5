package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.CopyStatus;
import io.csbs.backup.FailCode;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Operation;
import io.csbs.backup.Progress;
import io.csbs.backup.RestoreMode;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.VmMetadata;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.KeywordField;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.query.TimeRange;
import io.csbs.testing.FakeClock;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.logging.Level;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A new user's review of the console page (README "A reference server: csbs-server", {@link
 * CsbsServer}'s "The console page"), clicked in Debian's Chromium through Selenium, on a catalog of
 * its own: odd ids and names (spaces, {@code # & % + / ? ' " <>}, unicode), many tags, every status,
 * details present and absent, a clock with a fraction of a second. Each page shown is compared with
 * the catalog's own answer for the same search. Skipped where Chromium or chromedriver is missing.
 */
class NewUserConsoleBrowserTest {
  /** A project id with a space, unicode and URI-special chars: the page must encode it everywhere. */
  private static final String MAIN = "prj Ü#&%+ 1";
  /** Backups at the edges of the time segments and of the stall rule. */
  private static final String EDGE = "edge-project";
  /** A project id with a slash, a question mark and a hash: each is a path's or URI's delimiter unencoded. */
  private static final String SLASHED = "team/ü?#1";
  /** Backups that the lifecycle tests change. */
  private static final String CHANGED = "changed-Ж";
  private static final long SEED = 31_4159L;
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofMillis(20);
  /** The server's clock: a fraction of a second, as a real clock has. */
  private static final Instant NOW = Instant.parse("2026-03-15T10:20:30.750Z");
  private static final FakeClock CLOCK = FakeClock.at(NOW);
  private static final BackupCatalog CATALOG = Catalogs.indexed(CLOCK);

  private static final String[] ID_SUFFIXES = {"", " #x", "&m=1", "%41", "+p", "-ü", "/s", "?q", "'\"", "<i>"};
  private static final String[] NAMES = {"autobk", "manualbk", "备份", "Ünïcode", "𝔘nicode", "ÉTÉ", "ß", "x-y"};
  private static final String[] TAG_KEYS = {"env", "環境", "team", "cost-center", "Ключ", "k_1", "app", "owner",
      "tier", "zone", "ü", "x-y-z"};
  private static final String[] TAG_VALUES = {"prod", "dev", "測試", "значение", "v-1", "ß", "Prod"};
  private static final List<Server> SERVERS = List.of(
      Server.of("srv-1", "web 01", "eu-de-01"),
      Server.of("srv #2", "<script>window.injected=1</script>", "eu-de-02"),
      Server.of("srv&3=x", "50% & \"quotes\" 'single' #hash", "eu-de-01"),
      Server.of("srv%4", "Сервер №5", "eu-de-02"),
      Server.of("srv+5", "数据库 主", "eu-de-01"),
      Server.of("сервер-6", "ß-straße", "eu-de-02"),
      Server.of("srv/7", "api+gateway", "eu-de-01"),
      Server.of("srv?8", "a  b", "eu-de-02"),
      Server.of("srv 'q' \"9\"", "emoji 😀 box", "eu-de-01"),
      Server.of("srv<10>", "x&y=z", "eu-de-02"),
      Server.of("srv-11", "plain", "eu-de-01"),
      Server.of("srv-12", "Plain Upper", "eu-de-02"));

  private static CsbsServer server;
  private static ChromeDriverService service;
  private static WebDriver driver;
  private static Path profile;
  private static String missing;

  @BeforeAll
  static void startBrowser() throws IOException {
    File chromium = new File(System.getProperty("csbs.chromium", "/usr/bin/chromium"));
    File chromedriver = new File(System.getProperty("csbs.chromedriver", "/usr/bin/chromedriver"));
    if (!chromium.canExecute() || !chromedriver.canExecute()) {
      missing = "needs Chromium and chromedriver: " + chromium + ", " + chromedriver;
      System.err.println("NewUserConsoleBrowserTest skipped: " + missing);
      return;
    }
    CATALOG.addAll(mainBackups(new Random(SEED)));
    CATALOG.addAll(edgeBackups());
    CATALOG.addAll(changedBackups());
    for (String id : List.of("a/b", "c?d#e", "f%2Fg")) {
      CATALOG.add(Backup.builder().id(id).name("slashed_" + id.charAt(0)).projectId(SLASHED).server(SERVERS.get(6))
          .status(BackupStatus.AVAILABLE).sizeMb(5).createdAt(NOW.minusSeconds(100 + id.length())).build());
    }
    server = CsbsServer.builder(CATALOG).clock(CLOCK).build().start();
    profile = Files.createTempDirectory("csbs-newuser-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1400,1000", "--user-data-dir=" + profile);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver).usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
    ConsoleBrowser.limit(driver, WAIT);
  }

  @AfterAll
  static void stopBrowser() throws IOException {
    if (driver != null) {
      driver.quit();
    }
    if (service != null) {
      service.stop();
    }
    if (server != null) {
      server.close();
    }
    if (profile != null) {
      try (var files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  @BeforeEach
  void openMain() {
    Assumptions.assumeTrue(missing == null, missing);
    open(MAIN);
  }

  /** No test leaves an uncaught JavaScript error, whatever it clicked. */
  @AfterEach
  void noUncaughtError() {
    if (driver == null) {
      return;
    }
    List<String> uncaught = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .map(LogEntry::getMessage)
        .filter(message -> message.contains("Uncaught") || message.contains("TypeError")
            || message.contains("ReferenceError") || message.contains("SyntaxError"))
        .toList();
    assertEquals(List.of(), uncaught, "uncaught errors in the browser's console");
    assertEquals(Boolean.FALSE, js("return window.injected === 1;"), "a server name's <script> ran");
  }

  // ---------------------------------------------------------------- data

  private static List<Backup> mainBackups(Random random) {
    List<Backup> backups = new ArrayList<>();
    BackupStatus[] statuses = BackupStatus.values();
    for (int i = 0; i < 157; i++) {
      BackupStatus status = random.nextInt(2) == 0 ? BackupStatus.AVAILABLE : statuses[random.nextInt(statuses.length)];
      Instant created = NOW.minusSeconds(60 + random.nextInt(40 * 86_400)).minusMillis(random.nextInt(1000));
      Backup.Builder builder = Backup.builder()
          .id("b" + i + ID_SUFFIXES[i % ID_SUFFIXES.length])
          .name(NAMES[i % NAMES.length] + "_" + i)
          .projectId(MAIN)
          .server(SERVERS.get(random.nextInt(SERVERS.size())))
          .status(status)
          .sizeMb(random.nextInt(500_000))
          .createdAt(created);
      if (i % 3 == 0) {
        builder.trigger(BackupTrigger.AUTOMATIC).policyId("policy-" + (i % 4));
      }
      if (status.isIntermediate()) {
        builder.progress(Progress.of(random.nextInt(101), max(created, NOW.minusSeconds(60L * random.nextInt(90)))));
      }
      if (status == BackupStatus.ERROR) {
        builder.failure(Failure.of(JobType.BACKUP, "disk <b>full</b> & \"odd\"", max(created, NOW.minusSeconds(30))));
      }
      if (status == BackupStatus.AVAILABLE && i % 2 == 0) {
        builder.finishedAt(created.plusSeconds(30));
      }
      if (i % 2 == 0) {
        builder.description("desc <b>bold</b> & \"q\" " + i);
      }
      int tags = random.nextInt(Backup.MAX_TAGS + 1);
      List<String> keys = new ArrayList<>(List.of(TAG_KEYS));
      java.util.Collections.shuffle(keys, random);
      for (int t = 0; t < tags; t++) {
        builder.addTags(Tag.of(keys.get(t), TAG_VALUES[random.nextInt(TAG_VALUES.length)]));
      }
      if (i % 4 == 0) {
        builder.details(fullDetails(i));
      }
      backups.add(builder.build());
    }
    return backups;
  }

  private static BackupDetails fullDetails(int i) {
    return BackupDetails.builder()
        .checkpointId("cp-" + i)
        .vm(VmMetadata.builder().regionName("eu-de").cloudServiceType("ecs").diskGb(40).imageType("gold")
            .ramMb(4096).vcpus(2).eip("80.158.1.2").privateIp("192.168.0.7").build())
        .incremental(true)
        .restoreMode(RestoreMode.SNAPSHOT)
        .copyStatus(CopyStatus.SUCCESS)
        .spaceSavingRatio(37)
        .averageSpeedKbps(1234)
        .failCode(new FailCode(42, "bad <b>thing</b>"))
        .build();
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /** Backups just inside and just outside the last 1, 7 and 30 days, and running jobs at the stall threshold. */
  private static List<Backup> edgeBackups() {
    List<Backup> backups = new ArrayList<>();
    Map<String, Instant> times = new LinkedHashMap<>();
    times.put("just-now", NOW.minusMillis(200));        // created 0.2 s ago: in the last day
    times.put("now", NOW);                               // created at the clock's instant: in it
    for (int days : new int[] {1, 7, 30}) {
      Instant edge = NOW.minus(Duration.ofDays(days));
      times.put("in-" + days, edge.plusMillis(300));     // 0.3 s inside the segment
      times.put("at-" + days, edge);                     // its first instant
      times.put("out-" + days, edge.minusMillis(300));   // 0.3 s before it: outside
    }
    int i = 0;
    for (Map.Entry<String, Instant> time : times.entrySet()) {
      backups.add(Backup.builder().id(time.getKey()).name("edge_" + time.getKey()).projectId(EDGE)
          .server(SERVERS.get(i++ % SERVERS.size())).status(BackupStatus.AVAILABLE).sizeMb(1)
          .createdAt(time.getValue()).build());
    }
    Instant created = NOW.minus(Duration.ofDays(2));
    Duration threshold = Duration.ofMinutes(30);
    Map<String, Instant> progress = new LinkedHashMap<>();
    progress.put("stall-exactly", NOW.minus(threshold));                 // not yet stalled
    progress.put("stall-1ms-over", NOW.minus(threshold).minusMillis(1));  // stalled
    progress.put("stall-1ms-under", NOW.minus(threshold).plusMillis(1));  // not stalled
    progress.put("stall-1us-over", NOW.minus(threshold).minusNanos(1000)); // stalled
    for (Map.Entry<String, Instant> entry : progress.entrySet()) {
      backups.add(Backup.builder().id(entry.getKey()).name(entry.getKey().replace('-', '_')).projectId(EDGE)
          .server(SERVERS.get(0)).status(BackupStatus.CREATING).progress(Progress.of(50, entry.getValue()))
          .sizeMb(1).createdAt(created).build());
    }
    // a tag with an empty value: "a tag value 0 to 43" chars (Tag's javadoc)
    backups.add(Backup.builder().id("empty-value").name("empty_value").projectId(EDGE).server(SERVERS.get(1))
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(created).addTags(Tag.of("flag", "")).build());
    backups.add(Backup.builder().id("with-value").name("with_value").projectId(EDGE).server(SERVERS.get(1))
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(created).addTags(Tag.of("flag", "on")).build());
    return backups;
  }

  private static List<Backup> changedBackups() {
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      backups.add(Backup.builder().id("c" + i + " #&").name("changed_" + i).projectId(CHANGED)
          .server(SERVERS.get(i)).status(i % 2 == 0 ? BackupStatus.AVAILABLE : BackupStatus.ERROR)
          .failure(i % 2 == 0 ? java.util.Optional.empty()
              : java.util.Optional.of(Failure.of(JobType.BACKUP, "broke", NOW.minusSeconds(10))))
          .sizeMb(10).createdAt(NOW.minusSeconds(3600L * (i + 1))).build());
    }
    return backups;
  }

  // ---------------------------------------------------------------- tests: filter combinations

  /** Status x time segment (all, 1/7/30 days, custom) x keyword field x page size, seeded. */
  @Test
  void everyFilterCombinationShowsTheCatalogsPageAndTotal() {
    long seed = SEED + 1;
    Random random = new Random(seed);
    String[] statuses = {"", "available", "protecting", "restoring", "deleting", "error"};
    String[] segments = {"", "1", "7", "30", "custom"};
    KeywordField[] fields = {KeywordField.BACKUP_NAME, KeywordField.BACKUP_ID, KeywordField.SERVER_NAME, KeywordField.SERVER_ID};
    String[] fieldValues = {"name", "checkpoint_id", "resource_name", "resource_id"};
    List<Backup> all = CATALOG.query(MAIN, Query.builder().limit(1000).build()).backups();
    for (int round = 0; round < 3; round++) {  // three rounds: each costs the CI run 1.3 s of browser
      String context = "seed " + seed + ", round " + round;
      int pageSize = new int[] {10, 20, 50, 100}[random.nextInt(4)];
      if (!String.valueOf(pageSize).equals(chosen("page-size"))) {
        loaded(() -> choose("page-size", String.valueOf(pageSize)));
      }
      String status = statuses[random.nextInt(statuses.length)];
      loadedIfChanged("status-filter", status);
      String segment = segments[random.nextInt(segments.length)];
      loadedIfChanged("time-filter", segment);
      List<BackupPredicate> where = new ArrayList<>();
      if (!status.isEmpty()) {
        where.add(Predicates.status(statusOf(status)));
      }
      if (segment.equals("custom")) {
        Instant from = NOW.minus(Duration.ofDays(1 + random.nextInt(20))).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant to = from.plus(Duration.ofDays(1 + random.nextInt(15)));
        loaded(() -> setValue("time-from", from.toString().substring(0, 19)));
        loaded(() -> setValue("time-to", to.toString().substring(0, 19)));
        where.add(Predicates.createdBetween(from, to));
      } else if (!segment.isEmpty()) {
        where.add(Predicates.createdBetween(NOW.minus(Duration.ofDays(Integer.parseInt(segment))), NOW));
      }
      int field = random.nextInt(5);
      String keyword = "";
      if (field < 4) {
        Backup sample = all.get(random.nextInt(all.size()));
        keyword = switch (field) {
          case 0 -> sample.name().substring(0, Math.min(3, sample.name().length()));
          case 1 -> sample.id();
          case 2 -> sample.server().name().substring(0, 2);
          default -> sample.server().id();
        };
        where.add(Predicates.keyword(fields[field], keyword.strip()));
        choose("keyword-field", fieldValues[field]);
      }
      element("keyword").clear();
      element("keyword").sendKeys(keyword);
      loaded(() -> press(element("keyword-search")));
      assertShows(MAIN, Predicates.and(where.isEmpty() ? List.of(Predicates.all()) : where), pageSize,
          context + " " + status + "/" + segment + "/" + keyword);
    }
  }

  /** What a user types into the keyword box is searched as typed, encoded, and never becomes markup. */
  @Test
  void typedKeywordsAreSentEncodedAndShownAsText() {
    recordFetches();
    // one text a hazard of the query string or the page (two spaces, quotes, markup, '+', emoji, '&' and
    // '=', '%', '#', a char above U+FFFF)
    String[] typed = {"a  b", "\"quotes\" 'single'", "<script>", "api+gateway",
        "😀", "srv&3=x", "b3%41", "b1 #x", "𝔘nicode_4"};
    String[] fieldOrder = {"resource_name", "resource_id", "name", "checkpoint_id"};
    int index = 0;
    Map<String, String> fields = Map.of("resource_name", "server name", "resource_id", "server id",
        "name", "name", "checkpoint_id", "backup id");
    for (String text : typed) {
      for (String field : List.of(fieldOrder[index++ % 4])) {  // each text in one field, the fields in turn
        choose("keyword-field", field);
        type("keyword", text);
        loaded(() -> press(element("keyword-search")));
        String context = fields.get(field) + " typed [" + text + "]";
        BackupPredicate where = Predicates.keyword(keywordField(field), text);
        assertShows(MAIN, where, 10, context);
        // the list's query string, as the page sent it, is that search
        String sent = lastFetch("/checkpoint_items?");
        String raw = URI.create(sent).getRawQuery();
        Query parsed = ListQueryString.parse(raw);
        assertEquals(Query.builder().where(where).limit(10).build(), parsed, context + ": sent " + sent);
        assertEquals(1, ((Number) js("return document.querySelectorAll('script').length;")).intValue(), context);
      }
    }
    // the server names with markup are shown as their text
    loaded(() -> press(element("reset")));
    loaded(() -> choose("page-size", "100"));
    String page = element("backup-rows").getText();
    assertTrue(page.contains("<script>window.injected=1</script>") || !ids().contains("b1 #x"), "markup shown as text");
  }

  /** A keyword over the API's 255 chars is refused by the API: the page says so, naming the field. */
  @Test
  void aRefusedKeywordShowsTheApisMessage() {
    String tooLong = "x".repeat(Predicates.MAX_KEYWORD_LENGTH + 1);
    element("keyword").sendKeys(tooLong);
    loaded(() -> press(element("keyword-search")));
    assertTrue(rows().isEmpty());
    assertTrue(text("message").contains("name"), text("message"));
    assertEquals("0", text("total"));
    // correcting it shows the list again and clears the message
    element("keyword").clear();
    element("keyword").sendKeys("autobk");
    loaded(() -> press(element("keyword-search")));
    assertEquals("", text("message"));
    assertShows(MAIN, Predicates.nameContains("autobk"), 10, "after the refusal");
  }

  // ---------------------------------------------------------------- time segments at their edges

  @Test
  void aTimeSegmentIsTheLastDaysUpToTheServersNow() {
    open(EDGE);
    selectPageSize(100);
    for (int days : new int[] {1, 7, 30}) {
      loaded(() -> choose("time-filter", String.valueOf(days)));
      assertShows(EDGE, Predicates.createdBetween(NOW.minus(Duration.ofDays(days)), NOW), 100, days + " days");
      assertTrue(allIds().contains("just-now"), days + " days: " + allIds());
      assertFalse(allIds().contains("out-" + days), days + " days: " + allIds());
    }
  }

  /** A custom range with only one end, and the "To" end alone. */
  @Test
  void aCustomRangeWithOneEndIsOpenOnTheOther() {
    selectPageSize(50);
    loaded(() -> choose("time-filter", "custom"));
    Instant to = NOW.minus(Duration.ofDays(10)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    loaded(() -> setValue("time-to", to.toString().substring(0, 19)));
    assertShows(MAIN, Predicates.createdIn(TimeRange.until(to)), 50, "to only");
    loaded(() -> choose("status-filter", "error"));
    assertShows(MAIN, Predicates.and(Predicates.createdIn(TimeRange.until(to)), Predicates.status(BackupStatus.ERROR)), 50,
        "to only, Error");
    // a value without seconds, as a datetime-local may give it
    loaded(() -> setValue("time-to", to.toString().substring(0, 16)));
    Instant toMinute = to.truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
    assertShows(MAIN, Predicates.and(Predicates.createdIn(TimeRange.until(toMinute)), Predicates.status(BackupStatus.ERROR)),
        50, "to a minute, Error");
  }

  // ---------------------------------------------------------------- stalled marks at the threshold

  @Test
  void theStalledMarkFollowsTheStallRuleAtItsThreshold() {
    open(EDGE);
    loaded(() -> choose("status-filter", "protecting"));
    Map<String, Boolean> expected = new LinkedHashMap<>();
    for (WebElement row : rows()) {
      String id = row.getDomAttribute("data-id");
      Backup backup = CATALOG.get(EDGE, id);
      boolean stalled = io.csbs.lifecycle.StallRule.DEFAULT.isStalled(backup, CLOCK);
      expected.put(id, stalled);
      assertEquals(stalled, !row.findElements(By.className("stalled")).isEmpty(), id);
    }
    assertEquals(Map.of("stall-exactly", false, "stall-1ms-over", true, "stall-1ms-under", false, "stall-1us-over", true),
        expected);
  }

  /**
   * README: "give the builder the catalog's own (.clock(clock).stallRule(rule))": a server with a 45-minute rule marks
   * none of the jobs 30 minutes old; its clock with microseconds or nanoseconds (a system clock's) gives the time
   * segments to its own precision.
   */
  @Test
  void theBuildersStallRuleAndAFineClockAreThePagesOwn() {
    io.csbs.lifecycle.StallRule rule = io.csbs.lifecycle.StallRule.ofThreshold(Duration.ofMinutes(45));
    for (Instant now : List.of(NOW.plusNanos(123_000), NOW.plusNanos(123_456))) {
      FakeClock clock = FakeClock.at(now);
      CsbsServer second = CsbsServer.builder(CATALOG).clock(clock).stallRule(rule).build().start();
      try {
        driver.get(second.uri() + "console/?project=" + EDGE);
        ConsoleBrowser.loadsAbove(driver, 0);
        waitIdle();
        loaded(() -> choose("status-filter", "protecting"));
        assertEquals(4, rows().size());
        assertTrue(driver.findElements(By.className("stalled")).isEmpty(), "45 minutes: none stalled, clock " + now);
        loaded(() -> choose("status-filter", ""));
        loaded(() -> choose("time-filter", "7"));
        assertShows(EDGE, Predicates.createdBetween(now.minus(Duration.ofDays(7)), now), 10, "clock " + now);
      } finally {
        second.close();
      }
    }
  }

  // ---------------------------------------------------------------- pages

  /** Two page sizes, to the last page and back, equal to the catalog's pages; ids with URI-special chars. */
  @Test
  void pagingToTheLastPageAndBackShowsTheCatalogsPages() {
    long total = CATALOG.count(MAIN, Predicates.all());
    for (int size : new int[] {50, 100}) {
      selectPageSize(size);
      int pages = (int) ((total + size - 1) / size);
      for (int page = 0; page < pages; page++) {
        String context = "size " + size + ", page " + (page + 1);
        assertEquals(page(MAIN, Predicates.all(), (long) page * size, size), ids(), context);
        assertEquals(String.valueOf(page + 1), text("page-number"), context);
        assertEquals(String.valueOf(total), text("total"), context);
        assertEquals(page < pages - 1, element("next").isEnabled(), context);
        if (page < pages - 1) {
          loaded(() -> press(element("next")));
        }
      }
      for (int page = pages - 1; page > 0; page--) {
        loaded(() -> press(element("previous")));
        assertEquals(page(MAIN, Predicates.all(), (long) (page - 1) * size, size), ids(), "back, size " + size);
      }
      assertFalse(element("previous").isEnabled());
    }
  }

  /** A filter changed on page 3 starts again at page 1 of the new search. */
  @Test
  void aFilterChangedOnALaterPageStartsAtItsFirstPage() {
    loaded(() -> press(element("next")));
    loaded(() -> press(element("next")));
    assertEquals("3", text("page-number"));
    loaded(() -> choose("status-filter", "available"));
    assertEquals("1", text("page-number"));
    assertShows(MAIN, Predicates.status(BackupStatus.AVAILABLE), 10, "status after page 3");
    loaded(() -> press(element("next")));
    loaded(() -> choose("page-size", "20"));
    assertEquals("1", text("page-number"));
    assertShows(MAIN, Predicates.status(BackupStatus.AVAILABLE), 20, "page size after page 2");
  }

  @Test
  void aDoubleClickOnNextShowsTheThirdPage() {
    int before = loads();
    js("const next = document.getElementById('next'); next.click(); next.click();");
    ConsoleBrowser.loadsAbove(driver, before);
    // Next waits for the page it asked for (it has no marker for the one after): the second click is dropped
    assertEquals("2", text("page-number"));
    assertEquals(page(MAIN, Predicates.all(), 10, 10), ids(), "page 1 is " + page(MAIN, Predicates.all(), 0, 10));
  }

  @Test
  void nextShowsThePageOfTheSearchShownNotOfAKeywordOnlyTyped() {
    long total = CATALOG.count(MAIN, Predicates.all());
    element("keyword").sendKeys("autobk");   // typed, not searched
    loaded(() -> press(element("next")));
    assertEquals(page(MAIN, Predicates.all(), 10, 10), ids());
    assertEquals(String.valueOf(total), text("total"));
  }

  @Test
  void nextAfterRemovingATagPairShowsThePageOfTheSearchShown() {
    press(element("tag-toggle"));
    addTag("env", "prod");
    addTag("env", "dev");
    addTag("env", "測試");
    loaded(() -> press(element("tag-search")));
    TagFilter.Builder shown = TagFilter.builder().tags("env", "prod", "dev", "測試");
    long total = CATALOG.query(MAIN, shown.limit(10).build().toQuery()).total();
    Assumptions.assumeTrue(total > 10, "the search has two pages: " + total);
    driver.findElements(By.cssSelector("#tag-criteria .remove")).get(2).click();
    loaded(() -> press(element("next")));
    assertEquals(String.valueOf(total), text("total"));
  }

  // ---------------------------------------------------------------- search by tag

  /** Unicode keys and values, pairs of one key OR'ed, all pages of the tag search, page size. */
  @Test
  void aTagSearchWithUnicodePairsPagesThroughTheCatalogsAnswer() {
    TagCatalogue catalogue = CATALOG.tagCatalogue(MAIN);
    press(element("tag-toggle"));
    addTag("環境", "測試");
    addTag("環境", "значение");
    addTag("Ключ", "ß");
    assertEquals(List.of("環境=測試", "環境=значение", "Ключ=ß"), criteria(), text("message"));
    loaded(() -> press(element("tag-search")));
    TagFilter.Builder filter = TagFilter.builder().tags("環境", "測試", "значение").tags("Ключ", "ß");
    assertShowsTagSearch(filter, 10, "three pairs");

    // one pair, many matches: every page, then back
    loaded(() -> press(element("reset")));
    String key = catalogue.keys().stream().max(Comparator.comparingLong(k -> CATALOG.count(MAIN, Predicates.tagKey(k))))
        .orElseThrow();
    String value = catalogue.values(key).stream()
        .max(Comparator.comparingLong(v -> CATALOG.count(MAIN, Predicates.tag(key, v)))).orElseThrow();
    press(element("tag-toggle"));
    if (!element("tag-panel").isDisplayed()) {
      press(element("tag-toggle"));
    }
    addTag(key, value);
    loaded(() -> press(element("tag-search")));
    TagFilter.Builder one = TagFilter.builder().tags(key, value);
    long total = CATALOG.count(MAIN, Predicates.tag(key, value));
    assertTrue(total > 10, key + "=" + value + ": " + total);
    int pages = (int) ((total + 9) / 10);
    for (int page = 0; page < pages; page++) {
      Page expected = CATALOG.query(MAIN, TagFilter.builder().tags(key, value).limit(10).offset(page * 10L).build().toQuery());
      assertEquals(expected.ids(), ids(), "tag page " + (page + 1));
      assertEquals(String.valueOf(total), text("total"));
      assertEquals(page < pages - 1, element("next").isEnabled(), "tag page " + (page + 1));
      if (page < pages - 1) {
        loaded(() -> press(element("next")));
      }
    }
    loaded(() -> press(element("previous")));
    loaded(() -> choose("page-size", "50"));
    assertShowsTagSearch(one, 50, "page size 50");
  }

  /** A row of the tag search shows the same cells as the same backup's row in the list. */
  @Test
  void aTagSearchRowReadsAsTheListsRow() {
    Backup sample = CATALOG.query(MAIN, Query.builder().where(Predicates.tagKey("env")).limit(1).build()).backups().get(0);
    choose("keyword-field", "checkpoint_id");
    element("keyword").sendKeys(sample.id());
    loaded(() -> press(element("keyword-search")));
    String listRow = rows().get(0).getText();
    loaded(() -> press(element("reset")));
    press(element("tag-toggle"));
    addTag("env", sample.tagValue("env").orElseThrow());
    loaded(() -> press(element("tag-search")));
    while (!ids().contains(sample.id()) && element("next").isEnabled()) {
      loaded(() -> press(element("next")));
    }
    WebElement row = rows().stream().filter(r -> sample.id().equals(r.getDomAttribute("data-id"))).findFirst().orElseThrow();
    assertEquals(listRow, row.getText());
  }

  @Test
  void aTagWithAnEmptyValueCanBeSearched() {
    open(EDGE);
    press(element("tag-toggle"));
    addTag("flag", "");
    assertEquals(List.of("flag="), criteria(), text("message"));
    loaded(() -> press(element("tag-search")));
    assertEquals(List.of("empty-value"), ids());
  }

  /** Ten pairs over several keys: the search is the catalog's AND of keys, OR of one key's values. */
  @Test
  void tenPairsOverSeveralKeysAreTheCatalogsAnswer() {
    TagCatalogue catalogue = CATALOG.tagCatalogue(MAIN);
    press(element("tag-toggle"));
    TagFilter.Builder filter = TagFilter.builder();
    int added = 0;
    for (String key : List.of("env", "team")) {
      List<String> values = new ArrayList<>(catalogue.values(key)).subList(0, Math.min(5, catalogue.values(key).size()));
      for (String value : values) {
        addTag(key, value);
        added++;
      }
      filter.tags(key, values);
    }
    assertEquals(added, criteria().size(), text("message"));
    loaded(() -> press(element("tag-search")));
    assertShowsTagSearch(filter, 10, added + " pairs");
    assertFalse(element("keyword").isEnabled(), "a tag search takes no keyword");
    assertFalse(element("time-filter").isEnabled(), "a tag search takes no time");
  }

  // ---------------------------------------------------------------- details

  @Test
  void detailsOfABackupWithEveryOptionalFieldPresent() {
    Backup backup = CATALOG.get(MAIN, "b0");   // automatic, full details, a description, tags maybe
    WebElement details = expand(MAIN, backup);
    assertEquals(backup.id(), detail(details, "Backup ID"));
    assertEquals(backup.name(), detail(details, "Backup name"));
    assertEquals(backup.description().orElseThrow(), detail(details, "Description"));
    assertEquals("cp-0", detail(details, "Checkpoint ID"));
    assertEquals(backup.server().name(), detail(details, "Server name"));
    assertEquals(backup.server().id(), detail(details, "Server ID"));
    assertEquals(backup.policyId().orElseThrow(), detail(details, "Policy ID"));
    assertEquals("Yes", detail(details, "Incremental"));
    assertEquals("37%", detail(details, "Space saving ratio"));
    assertEquals("1234", detail(details, "Average speed (KB/s)"));
    assertEquals("42 bad <b>thing</b>", detail(details, "Fail code"));
    assertEquals("eu-de", detail(details, "Region"));
    assertEquals("40", detail(details, "Disk (GB)"));
    assertEquals("4096", detail(details, "RAM (MB)"));
    assertEquals("2", detail(details, "vCPUs"));
    assertEquals("80.158.1.2", detail(details, "EIP"));
    assertEquals("192.168.0.7", detail(details, "Private IP"));
    assertEquals(backup.tags().stream().map(t -> t.key() + "=" + t.value()).collect(Collectors.joining(", ")),
        backup.tags().isEmpty() ? "" : detail(details, "Tags"));
    assertNoPlaceholder(details);
  }

  @Test
  void detailsOfABackupWithEveryOptionalFieldAbsent() {
    // manual, no details, no description, no tags, no finish, no policy
    Backup bare = CATALOG.query(MAIN, Query.builder().limit(1000).build()).backups().stream()
        .filter(b -> b.description().isEmpty() && b.policyId().isEmpty() && b.tags().isEmpty()
            && b.details().equals(BackupDetails.NONE) && b.finishedAt().isEmpty() && b.status() == BackupStatus.AVAILABLE)
        .findFirst().orElseThrow(() -> new AssertionError("seed " + SEED + " has no bare backup"));
    WebElement details = expand(MAIN, bare);
    assertEquals(bare.id(), detail(details, "Backup ID"));
    for (String absent : List.of("Description", "Policy ID", "Tags", "Finished", "Checkpoint ID", "Private IP", "EIP",
        "Disk (GB)", "Fail code", "Failure")) {
      assertTrue(details.findElements(By.cssSelector("div[data-field='" + absent + "']")).isEmpty(),
          absent + " shown for " + bare + ": " + details.getText());
    }
    assertNoPlaceholder(details);
  }

  @Test
  void detailsOfRunningAndFailedBackupsShowProgressAndFailure() {
    Backup failed = CATALOG.query(MAIN, Query.builder().where(Predicates.status(BackupStatus.ERROR)).limit(1).build())
        .backups().get(0);
    WebElement details = expand(MAIN, failed);
    assertEquals("disk <b>full</b> & \"odd\"", detail(details, "Failure"));
    assertNoPlaceholder(details);
    Backup running = CATALOG.query(MAIN, Query.builder().where(Predicates.status(BackupStatus.RESTORING)).limit(1).build())
        .backups().get(0);
    details = expand(MAIN, running);
    assertEquals(running.progress().orElseThrow().percent() + "%", detail(details, "Progress"));
    assertNoPlaceholder(details);
  }

  // ---------------------------------------------------------------- restore and delete

  /** Restore where Backup.allows(RESTORE), Delete where it allows DELETE: on every backup of the project. */
  @Test
  void restoreAndDeleteAreOfferedExactlyWhereTheLifecycleAllowsThem() {
    selectPageSize(100);
    int checked = 0;
    do {
        @SuppressWarnings("unchecked")
      List<List<Object>> shown = (List<List<Object>>) js("return [...document.querySelectorAll('#backup-rows tr.backup')]"
          + ".map(r => [r.dataset.id, !r.querySelector('.restore').disabled, !r.querySelector('.delete').disabled]);");
      for (List<Object> row : shown) {
        Backup backup = CATALOG.get(MAIN, (String) row.get(0));
        assertEquals(backup.allows(Operation.RESTORE), row.get(1), backup.toString());
        assertEquals(backup.allows(Operation.DELETE), row.get(2), backup.toString());
        checked++;
      }
      if (element("next").isEnabled()) {
        loaded(() -> press(element("next")));
      } else {
        break;
      }
    } while (true);
    assertEquals(CATALOG.count(MAIN, Predicates.all()), checked);
  }

  /** A row shown Available whose backup another writer has started a job on: the API's refusal is shown. */
  @Test
  void aRestoreRefusedByTheApiShowsItsMessage() {
    open(CHANGED);
    loaded(() -> choose("status-filter", "available"));
    String id = rows().get(0).getDomAttribute("data-id");
    Backup backup = CATALOG.get(CHANGED, id);
    CATALOG.apply(CHANGED, id, backup.version(), Transition.start(Operation.RESTORE));   // someone else restores it
    rows().get(0).findElement(By.className("restore")).click();
    driver.switchTo().alert().accept();
    new WebDriverWait(driver, WAIT, POLL).until(d -> !text("message").isEmpty() && !busy());
    assertFalse(text("message").isBlank());
    assertFalse(text("message").startsWith("Restoring"), text("message"));
    assertEquals(BackupStatus.RESTORING, CATALOG.get(CHANGED, id).status());
  }

  /** Delete of an Error backup whose ids hold # and &: the catalog's backup starts deleting. */
  @Test
  void deletingABackupWithOddIdsStartsItsJob() {
    open(CHANGED);
    loaded(() -> choose("status-filter", "error"));
    String id = rows().get(0).getDomAttribute("data-id");
    loaded(() -> {
      rows().get(0).findElement(By.className("delete")).click();
      driver.switchTo().alert().accept();
    });
    waitIdle();
    assertEquals(BackupStatus.DELETING, CATALOG.get(CHANGED, id).status(), text("message"));
    assertTrue(text("message").startsWith("Deleting "), text("message"));
  }

  // ---------------------------------------------------------------- errors

  /** The server stops under the page: each click says so; no blank page, no uncaught error. */
  @Test
  void aStoppedServerIsShownToTheUser() {
    CsbsServer second = CsbsServer.builder(CATALOG).clock(CLOCK).build().start();
    try {
      driver.get(second.uri() + "console/?project=" + URLEncoder.encode(MAIN, StandardCharsets.UTF_8));
      ConsoleBrowser.loadsAbove(driver, 0);
      waitIdle();
      assertShows(MAIN, Predicates.all(), 10, "before the stop");
    } finally {
      second.close();
    }
    loaded(() -> press(element("next")));
    System.err.println("stopped server: message [" + text("message") + "]");
    assertFalse(text("message").isBlank(), "a message says the list could not load");
    assertEquals("0", text("total"));
    WebElement row = driver.findElement(By.cssSelector("#backup-rows tr"));
    assertNotNull(row);
    press(element("usage-open"));
    waitIdle();
    new WebDriverWait(driver, WAIT, POLL).until(d -> !text("usage-message").isBlank());
    press(element("usage-close"));
  }

  /** A backup removed by another writer after the list showed it: its details say so (the API's 404 message). */
  @Test
  void detailsOfABackupRemovedMeanwhileShowTheApisMessage() {
    open(CHANGED);
    String id = ids().get(ids().size() - 1);
    CATALOG.remove(CHANGED, id, CATALOG.get(CHANGED, id).version());
    WebElement row = rows().get(rows().size() - 1);
    row.findElement(By.className("expander")).click();
    WebElement cell = new WebDriverWait(driver, WAIT, POLL).until(d -> {
      WebElement details = d.findElement(By.cssSelector("#backup-rows tr.details td"));
      return details.getText().equals("Loading...") ? null : details;
    });
    System.err.println("removed backup's details: [" + cell.getText() + "]");
    assertTrue(cell.getText().contains(id) || cell.getText().toLowerCase(java.util.Locale.ROOT).contains("not"), cell.getText());
    waitIdle();
  }

  /** README: ids in a path are percent-encoded; a project and backup ids with '/', '?', '#' and '%2F' open and expand. */
  @Test
  void aProjectAndBackupsWithPathDelimitersInTheirIdsOpenAndExpand() {
    open(SLASHED);
    assertShows(SLASHED, Predicates.all(), 10, "project " + SLASHED);
    assertEquals(String.valueOf(CATALOG.quotaUsage(SLASHED).backupsUsed()), text("overview-backups"));
    for (String id : List.of("a/b", "c?d#e", "f%2Fg")) {
      WebElement details = expand(SLASHED, CATALOG.get(SLASHED, id));
      assertEquals(id, detail(details, "Backup ID"));
    }
    open(MAIN);
    for (String id : List.of("b6/s", "b7?q", "b3%41")) {
      WebElement details = expand(MAIN, CATALOG.get(MAIN, id));
      assertEquals(id, detail(details, "Backup ID"));
    }
  }

  /** A project without backups: an empty list that says so, a total of 0, no Next, an empty usage dialog. */
  @Test
  void aProjectWithoutBackupsShowsAnEmptyList() {
    open("empty-Ω project");
    assertEquals(List.of(), ids());
    assertEquals("0", text("total"));
    assertFalse(element("next").isEnabled());
    assertFalse(element("previous").isEnabled());
    assertEquals("No backups found.", driver.findElement(By.cssSelector("#backup-rows tr.empty")).getText());
    assertEquals("0", text("overview-backups"));
    press(element("usage-open"));
    waitIdle();
    assertEquals("0", text("usage-servers"));
    assertFalse(element("usage-next").isEnabled());
    press(element("usage-close"));
  }

  @Test
  void aBlankProjectClearsTheList() {
    element("project").clear();
    element("project").sendKeys("   ");
    press(element("project-open"));
    waitIdle();
    assertEquals("Enter a project id to see its backups.", text("message"));
    assertEquals(List.of(), ids());
  }

  // ---------------------------------------------------------------- project, reload, history

  /** A project typed into the form, with a space, unicode and URI-special chars: its backups, and a reload keeps it. */
  @Test
  void aProjectTypedIntoTheFormIsOpenedAndKeptOnReload() {
    open(EDGE);
    element("project").clear();
    element("project").sendKeys("  " + MAIN + "  ");
    loaded(() -> press(element("project-open")));
    waitIdle();
    assertShows(MAIN, Predicates.all(), 10, "typed project");
    assertEquals(String.valueOf(CATALOG.quotaUsage(MAIN).backupsUsed()), text("overview-backups"));
    driver.navigate().refresh();
    ConsoleBrowser.loadsAbove(driver, 0);
    waitIdle();
    assertEquals(MAIN, element("project").getDomProperty("value"));
    assertShows(MAIN, Predicates.all(), 10, "after reload");
  }

  /** The page names no URL parameter but project: after a reload the filters shown are the ones applied. */
  @Test
  void aReloadShowsFiltersThatMatchTheListShown() {
    loaded(() -> choose("status-filter", "error"));
    loaded(() -> choose("page-size", "20"));
    driver.navigate().refresh();
    ConsoleBrowser.loadsAbove(driver, 0);
    waitIdle();
    String status = chosen("status-filter");
    String size = chosen("page-size");
    BackupPredicate where = status.isEmpty() ? Predicates.all() : Predicates.status(statusOf(status));
    assertShows(MAIN, where, Integer.parseInt(size), "after a reload, filters shown " + status + "/" + size);
  }

  @Test
  void backAndForwardShowFiltersThatMatchTheListShown() {
    loaded(() -> choose("status-filter", "available"));
    driver.get(server.uri() + "console/?project=" + URLEncoder.encode(EDGE, StandardCharsets.UTF_8));
    ConsoleBrowser.loadsAbove(driver, 0);
    driver.navigate().back();
    ConsoleBrowser.loadsAbove(driver, 0);
    waitIdle();
    assertEquals(MAIN, element("project").getDomProperty("value"));
    String status = chosen("status-filter");
    String size = chosen("page-size");
    BackupPredicate where = status.isEmpty() ? Predicates.all() : Predicates.status(statusOf(status));
    assertShows(MAIN, where, Integer.parseInt(size), "after back, filters shown " + status + "/" + size);
  }

  // ---------------------------------------------------------------- usage

  @Test
  void theUsageDialogPagesToTheLastServerWithOddNamesAsText() {
    UsageReport all = CATALOG.usage(MAIN, UsageQuery.firstServers(UsageQuery.MAX_LIMIT));
    assertEquals(SERVERS.size(), all.serverCount());
    press(element("usage-open"));
    new WebDriverWait(driver, WAIT, POLL).until(ExpectedConditions.visibilityOf(element("usage-dialog")));
    waitIdle();
    List<String> seen = new ArrayList<>(usageRows());
    assertTrue(element("usage-next").isEnabled());
    press(element("usage-next"));
    waitIdle();
    seen.addAll(usageRows());
    assertFalse(element("usage-next").isEnabled(), "12 servers: 2 pages");
    assertEquals(all.servers().stream().map(s -> s.serverId() + "|" + s.serverName() + "|" + s.backups() + "|"
        + s.capacityGb().toPlainString()).toList(), seen);
    press(element("usage-previous"));
    waitIdle();
    assertFalse(element("usage-previous").isEnabled());
    press(element("usage-close"));
  }

  // ---------------------------------------------------------------- plumbing

  private static BackupStatus statusOf(String value) {
    return switch (value) {
      case "available" -> BackupStatus.AVAILABLE;
      case "protecting" -> BackupStatus.CREATING;
      case "restoring" -> BackupStatus.RESTORING;
      case "deleting" -> BackupStatus.DELETING;
      default -> BackupStatus.ERROR;
    };
  }

  private static KeywordField keywordField(String parameter) {
    return switch (parameter) {
      case "name" -> KeywordField.BACKUP_NAME;
      case "checkpoint_id" -> KeywordField.BACKUP_ID;
      case "resource_name" -> KeywordField.SERVER_NAME;
      default -> KeywordField.SERVER_ID;
    };
  }

  private static void loadedIfChanged(String select, String value) {
    if (!value.equals(chosen(select))) {
      loaded(() -> choose(select, value));
    }
  }

  private static WebElement expand(String project, Backup backup) {
    choose("keyword-field", "checkpoint_id");
    // set as typing sets it, in one round trip (typedKeywordsAreSentEncodedAndShownAsText types for real)
    js("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", element("keyword"), backup.id());
    loaded(() -> press(element("keyword-search")));
    assertEquals(List.of(backup.id()), ids());
    press(rows().get(0).findElement(By.className("expander")));
    return new WebDriverWait(driver, WAIT, POLL).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#backup-rows tr.details dl")));
  }

  private static void assertNoPlaceholder(WebElement details) {
    for (WebElement value : details.findElements(By.tagName("dd"))) {
      String text = value.getText();
      assertFalse(text.contains("undefined") || text.contains("null") || text.contains("NaN") || text.contains("[object"),
          "a details value reads " + text + ": " + details.getText());
    }
  }

  private static void open(String project) {
    driver.get(server.uri() + "console/?project=" + URLEncoder.encode(project, StandardCharsets.UTF_8));
    ConsoleBrowser.loadsAbove(driver, 0);
    waitIdle();
  }

  private static void loaded(Runnable action) {
    int before = loads();
    action.run();
    ConsoleBrowser.loadsAbove(driver, before);
  }

  private static void waitIdle() {
    ConsoleBrowser.idle(driver);
  }

  private static int loads() {
    return ConsoleBrowser.loads(driver);
  }

  private static boolean busy() {
    return "true".equals(driver.findElement(By.tagName("body")).getDomAttribute("data-busy"));
  }

  private static Object js(String script, Object... arguments) {
    return ((JavascriptExecutor) driver).executeScript(script, arguments);
  }

  /** Records the URL of each fetch of the page from now on. */
  private static void recordFetches() {
    js("if (!window.__urls) { window.__urls = []; const f = window.fetch;"
        + " window.fetch = function (u, o) { window.__urls.push(new URL(String(u), location.href).href); return f.apply(this, arguments); }; }");
  }

  @SuppressWarnings("unchecked")
  private static String lastFetch(String containing) {
    List<String> urls = (List<String>) js("return window.__urls;");
    for (int i = urls.size() - 1; i >= 0; i--) {
      if (urls.get(i).contains(containing)) {
        return urls.get(i);
      }
    }
    throw new AssertionError("no fetch of " + containing + " in " + urls);
  }

  /** Types {@code text}; chromedriver types only BMP chars, so a text beyond it is set as typing would set it. */
  private static void type(String id, String text) {
    element(id).clear();
    if (text.codePoints().allMatch(c -> c < 0x10000)) {
      element(id).sendKeys(text);
    } else {
      js("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", element(id), text);
    }
  }

  /** Clicks by script, one round trip (WebDriver's click takes 130-200 ms); some tests click for real. */
  private static void press(WebElement element) {
    ConsoleBrowser.press(driver, element);
  }

  private static void choose(String select, String value) {
    ConsoleBrowser.choose(driver, select, value);
  }

  private static String chosen(String select) {
    return ConsoleBrowser.chosen(driver, select);
  }

  private static WebElement element(String id) {
    return driver.findElement(By.id(id));
  }

  private static String text(String id) {
    return element(id).getText();
  }

  private static void setValue(String id, String value) {
    js("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));", element(id), value);
  }

  private static void selectPageSize(int size) {
    if (!String.valueOf(size).equals(chosen("page-size"))) {
      loaded(() -> choose("page-size", String.valueOf(size)));
    }
  }

  private static List<WebElement> rows() {
    return driver.findElements(By.cssSelector("#backup-rows tr.backup"));
  }

  @SuppressWarnings("unchecked")
  private static List<String> ids() {
    return (List<String>) js("return [...document.querySelectorAll('#backup-rows tr.backup')].map(r => r.dataset.id);");
  }

  /** The ids of every page of the list shown, walking Next from the page shown. */
  private static List<String> allIds() {
    List<String> seen = new ArrayList<>(ids());
    while (element("next").isEnabled()) {
      loaded(() -> press(element("next")));
      seen.addAll(ids());
    }
    return seen;
  }

  private static List<String> page(String project, BackupPredicate where, long offset, int limit) {
    return CATALOG.query(project, Query.builder().where(where).offset(offset).limit(limit).build()).ids();
  }

  private static void assertShows(String project, BackupPredicate where, int pageSize, String context) {
    Page expected = CATALOG.query(project, Query.builder().where(where).limit(pageSize).build());
    assertEquals(expected.ids(), ids(), context + ": " + where + " / message " + text("message"));
    assertEquals(String.valueOf(expected.total()), text("total"), context + ": " + where);
    assertEquals(expected.hasMore(), element("next").isEnabled(), context + ": " + where);
    assertEquals("", text("message"), context);
  }

  private static void assertShowsTagSearch(TagFilter.Builder filter, int pageSize, String context) {
    Page expected = CATALOG.query(MAIN, filter.limit(pageSize).build().toQuery());
    assertEquals(expected.ids(), ids(), context + ": " + filter.build());
    assertEquals(String.valueOf(expected.total()), text("total"), context);
  }

  /** Types a key and a value (one script: the key's input event, as typing fires it) and clicks +. */
  private static void addTag(String key, String value) {
    js("const k = document.getElementById('tag-key'), v = document.getElementById('tag-value');"
        + " k.value = arguments[0]; k.dispatchEvent(new Event('input'));"
        + " v.value = arguments[1]; v.dispatchEvent(new Event('input'));", key, value);
    press(element("tag-add"));
  }

  private static List<String> criteria() {
    return driver.findElements(By.cssSelector("#tag-criteria li")).stream()
        .map(item -> item.getDomAttribute("data-key") + "=" + item.getDomAttribute("data-value")).toList();
  }

  private static String detail(WebElement details, String field) {
    return details.findElement(By.cssSelector("div[data-field='" + field + "'] dd")).getText();
  }

  private static List<String> usageRows() {
    return driver.findElements(By.cssSelector("#usage-rows tr.server")).stream()
        .map(row -> row.getDomAttribute("data-id") + "|" + row.findElement(By.cssSelector(".name")).getDomProperty("textContent") + "|"
            + row.findElement(By.className("backups")).getText() + "|" + row.findElement(By.className("capacity")).getText())
        .toList();
  }
}
