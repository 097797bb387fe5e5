package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Progress;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
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
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console's Backups page in a real browser: Debian's Chromium, driven by Selenium through
 * Debian's chromedriver, against the catalog's own answers. Each filter, paging, details, the usage
 * dialog, restore and delete. Skipped, saying why, where {@code /usr/bin/chromium} or {@code
 * /usr/bin/chromedriver} is missing (other paths: {@code -Dcsbs.chromium=} and {@code
 * -Dcsbs.chromedriver=}); {@code .ci/run} installs both.
 */
class ConsolePageTest {
  private static final String PROJECT = BackupGenerator.projectId(0);
  /** The project whose backups the restore and delete tests change; the others only read. */
  private static final String CHANGED = BackupGenerator.projectId(1);
  private static final int PAGE = 10;
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofMillis(20);

  private static final FakeClock CLOCK = FakeClock.create();
  private static final BackupCatalog CATALOG = Catalogs.indexed(CLOCK);
  private static CsbsServer server;
  private static ChromeDriverService service;
  private static WebDriver driver;
  private static Path profile;
  /** Why the browser cannot start, or null. */
  private static String missing;

  @BeforeAll
  static void startBrowser() throws IOException {
    File chromium = new File(System.getProperty("csbs.chromium", "/usr/bin/chromium"));
    File chromedriver = new File(System.getProperty("csbs.chromedriver", "/usr/bin/chromedriver"));
    if (!chromium.canExecute() || !chromedriver.canExecute()) {
      // each test is then skipped with this reason, and the build says so once
      missing = "the console page's browser test needs Chromium and its driver, " + chromium + " and " + chromedriver
          + ": apt-get install chromium chromium-driver (Debian), or -Dcsbs.chromium= and -Dcsbs.chromedriver=";
      System.err.println("ConsolePageTest skipped: " + missing);
      return;
    }
    CATALOG.addAll(BackupGenerator.builder().seed(21).projects(2).servers(40).build().backups(3000));
    server = CsbsServer.builder(CATALOG).clock(CLOCK).build().start();
    profile = Files.createTempDirectory("csbs-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    // the flags of a headless Chromium on a closed network: no background calls home, no sandbox as root
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1400,1000", "--user-data-dir=" + profile);
    // the machine's chromedriver, named: Selenium Manager, which would download one, is never asked
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
  void openTheProjectsPage() {
    Assumptions.assumeTrue(missing == null, missing);
    open(PROJECT);
  }

  // ---------------------------------------------------------------- the list and its filters

  @Test
  void theFirstPageIsTheNewestBackupsWithTheirTotal() {
    assertShows(Predicates.all());
    assertEquals("1", text("page-number"));
    assertFalse(element("previous").isEnabled());
    assertTrue(element("next").isEnabled());
    List<WebElement> rows = rows();
    Backup first = CATALOG.get(PROJECT, rows.get(0).getDomAttribute("data-id"));
    String firstRow = rows.get(0).getText();
    assertTrue(firstRow.contains(first.name()) && firstRow.contains(first.id()) && firstRow.contains(first.server().name()),
        firstRow);
  }

  @Test
  void eachStatusShowsItsBackupsWithProgressBarsAndStalledMarks() {
    Map<String, BackupStatus> states = Map.of("available", BackupStatus.AVAILABLE, "protecting", BackupStatus.CREATING,
        "restoring", BackupStatus.RESTORING, "deleting", BackupStatus.DELETING, "error", BackupStatus.ERROR);
    selectPageSize(100);
    int stalled = 0;
    int running = 0;
    for (Map.Entry<String, BackupStatus> state : states.entrySet()) {
      // a real click on the option here; elsewhere chosen by script, one round trip
      loaded(() -> new Select(element("status-filter")).selectByValue(state.getKey()));
      assertShows(Predicates.status(state.getValue()), 100);
      // each row's id, state, progress bars, first bar's value and stalled mark, read in one round trip
      @SuppressWarnings("unchecked")
      List<List<Object>> shown = (List<List<Object>>) ((JavascriptExecutor) driver).executeScript(
          "return Array.from(document.querySelectorAll('#backup-rows tr.backup'), row => {"
              + " const bars = row.querySelectorAll('[role=progressbar]');"
              + " return [row.getAttribute('data-id'), row.getAttribute('data-state'), bars.length,"
              + " bars.length ? bars[0].getAttribute('aria-valuenow') : null,"
              + " row.getElementsByClassName('stalled').length > 0]; });");
      for (List<Object> row : shown) {
        Backup backup = CATALOG.get(PROJECT, (String) row.get(0));
        assertEquals(label(backup.status()), row.get(1));
        boolean isRunning = !backup.status().isStable();
        assertEquals(isRunning ? 1 : 0, ((Number) row.get(2)).intValue(), backup.toString());
        if (isRunning) {
          running++;
          int percent = backup.progress().map(Progress::percent).orElse(0);
          assertEquals(String.valueOf(percent), row.get(3), backup.toString());
        }
        boolean marked = (Boolean) row.get(4);
        assertEquals(StallRule.DEFAULT.isStalled(backup, CLOCK), marked, backup.toString());
        stalled += marked ? 1 : 0;
      }
    }
    assertTrue(running > 0 && stalled > 0 && stalled < running,
        "the data shows running jobs, stalled and not: " + running + " running, " + stalled + " stalled");
  }

  @Test
  void aTimeSegmentShowsTheBackupsCreatedInIt() {
    Instant now = CLOCK.instant();
    for (int days : new int[] {1, 7, 30}) {
      loaded(() -> choose("time-filter", String.valueOf(days)));
      assertShows(Predicates.createdBetween(now.minus(Duration.ofDays(days)), now));
    }
    loaded(() -> choose("time-filter", "custom"));
    assertTrue(element("time-from").isDisplayed());
    assertShows(Predicates.all());
    loaded(() -> setValue("time-from", "2025-10-01T00:00:00"));
    assertShows(Predicates.createdIn(io.csbs.query.TimeRange.from(Instant.parse("2025-10-01T00:00:00Z"))));
    loaded(() -> setValue("time-to", "2025-11-15T12:30:00"));
    assertShows(Predicates.createdBetween(Instant.parse("2025-10-01T00:00:00Z"), Instant.parse("2025-11-15T12:30:00Z")));
  }

  @Test
  void aRefusedSearchShowsTheApisMessage() {
    loaded(() -> choose("time-filter", "custom"));
    loaded(() -> setValue("time-from", "2025-12-01T00:00:00"));
    loaded(() -> setValue("time-to", "2025-11-01T00:00:00"));
    assertTrue(rows().isEmpty());
    assertTrue(text("message").contains("start_time"), text("message"));
    assertEquals("0", text("total"));
  }

  @Test
  void aKeywordSearchesTheFieldChosen() {
    // among the newest few, so that it stays on the first page whatever share of the backups a fragment
    // of its name matches (the 37th newest, as it was, fell off it once the generator's data moved)
    Backup sample = CATALOG.query(PROJECT, Query.builder().limit(50).build()).backups().get(5);
    String nameFragment = sample.name().substring(1, 5).toUpperCase(java.util.Locale.ROOT);
    String serverFragment = sample.server().name().substring(2, 7);
    Map<String, BackupPredicate> searches = new java.util.LinkedHashMap<>();
    searches.put("name=" + nameFragment, Predicates.nameContains(nameFragment));
    searches.put("checkpoint_id=" + sample.id(), Predicates.backupId(sample.id()));
    searches.put("resource_name=" + serverFragment, Predicates.serverNameContains(serverFragment));
    searches.put("resource_id=" + sample.server().id(), Predicates.serverId(sample.server().id()));
    for (Map.Entry<String, BackupPredicate> search : searches.entrySet()) {
      String[] fieldAndText = search.getKey().split("=", 2);
      choose("keyword-field", fieldAndText[0]);
      element("keyword").clear();
      element("keyword").sendKeys(fieldAndText[1]);
      loaded(() -> press(element("keyword-search")));
      assertShows(search.getValue());
      assertTrue(ids().contains(sample.id()), search.getKey());
    }
  }

  @Test
  void filtersCombineAndResetClearsThem() {
    choose("keyword-field", "resource_name");
    element("keyword").sendKeys("api");
    loaded(() -> press(element("keyword-search")));
    loaded(() -> choose("status-filter", "available"));
    loaded(() -> choose("time-filter", "30"));
    Instant now = CLOCK.instant();
    assertShows(Predicates.and(Predicates.serverNameContains("api"), Predicates.status(BackupStatus.AVAILABLE),
        Predicates.createdBetween(now.minus(Duration.ofDays(30)), now)));
    loaded(() -> press(element("reset")));
    assertShows(Predicates.all());
    assertEquals("", element("keyword").getDomProperty("value"));
    assertEquals("", chosen("status-filter"));
  }

  // ---------------------------------------------------------------- search by tag

  @Test
  void aTagSearchShowsTheBackupsWithEveryPairAndResetEndsIt() {
    TagCatalogue catalogue = CATALOG.tagCatalogue(PROJECT);
    List<String> keys = new ArrayList<>(catalogue.keys());
    assertTrue(keys.size() >= 2, "the data has two tag keys at least: " + catalogue);
    String key = mostUsedKey(keys);
    String value = catalogue.values(key).first();
    press(element("tag-toggle"));
    assertTrue(element("tag-panel").isDisplayed());
    addTag(key, value);
    assertEquals(List.of(key + "=" + value), criteria());
    loaded(() -> press(element("tag-search")));
    assertShowsTagSearch(TagFilter.builder().tags(key, value));
    assertFalse(element("status-filter").isEnabled(), "a tag search takes no status");
    assertTrue(rows().size() > 0, "the tag " + key + "=" + value + " is on backups of the page");

    NavigableSet<String> values = catalogue.values(key);
    if (values.size() > 1) { // pairs of one key match either value, as the API's tags do
      addTag(key, values.last());
      loaded(() -> press(element("tag-search")));
      assertShowsTagSearch(TagFilter.builder().tags(key, values.first(), values.last()));
    }
    String other = keys.get(keys.indexOf(key) == 0 ? 1 : 0);
    addTag(other, catalogue.values(other).first());
    loaded(() -> press(element("tag-search")));
    TagFilter.Builder both = TagFilter.builder().tags(other, catalogue.values(other).first());
    both = values.size() > 1 ? both.tags(key, values.first(), values.last()) : both.tags(key, value);
    assertShowsTagSearch(both);

    loaded(() -> press(element("reset")));
    assertTrue(criteria().isEmpty());
    assertTrue(element("status-filter").isEnabled());
    assertShows(Predicates.all());
  }

  @Test
  void aTagMustBeAmongTheProjectsAndAtMostTenPairs() {
    TagCatalogue catalogue = CATALOG.tagCatalogue(PROJECT);
    press(element("tag-toggle"));
    addTag("no-such-key", "x");
    assertTrue(text("message").contains("Tag key no-such-key does not exist"), text("message"));
    String key = catalogue.keys().first();
    addTag(key, "no-such-value");
    assertTrue(text("message").contains("does not exist for key " + key), text("message"));
    assertTrue(criteria().isEmpty());

    List<Tag> pairs = new ArrayList<>();
    for (String each : catalogue.keys()) {
      for (String value : catalogue.values(each)) {
        pairs.add(Tag.of(each, value));
      }
    }
    Assumptions.assumeTrue(pairs.size() > 10, "the data's tag catalogue has more than 10 pairs: " + catalogue);
    for (int i = 0; i < 10; i++) {  // set, not typed: typing ten pairs char by char took 5 s of the CI run
      ((JavascriptExecutor) driver).executeScript("document.getElementById('tag-key').value = arguments[0];"
          + " document.getElementById('tag-value').value = arguments[1]; document.getElementById('tag-add').click();",
          pairs.get(i).key(), pairs.get(i).value());
    }
    assertEquals(10, criteria().size());
    assertFalse(element("tag-add").isEnabled(), "a maximum of 10 tags can be added at the same time");
    element("tag-criteria").findElement(By.className("remove")).click();
    assertEquals(9, criteria().size());
    assertTrue(element("tag-add").isEnabled());
  }

  // ---------------------------------------------------------------- pages

  @Test
  void nextAndPreviousWalkThePagesInOrder() {
    List<String> first = ids();
    loaded(() -> press(element("next")));
    assertEquals(page(Predicates.all(), PAGE, PAGE), ids());
    assertEquals("2", text("page-number"));
    loaded(() -> press(element("next")));
    assertEquals(page(Predicates.all(), 2 * PAGE, PAGE), ids());
    loaded(() -> press(element("previous")));
    loaded(() -> press(element("previous")));
    assertEquals(first, ids());
    assertFalse(element("previous").isEnabled());

    selectPageSize(20);
    assertEquals(page(Predicates.all(), 0, 20), ids());
    assertEquals("1", text("page-number"));
  }

  @Test
  void theLastPageHasNoNext() {
    // the server with the fewest backups that still take more than one page
    ServerUsage smallest = CATALOG.usage(PROJECT, UsageQuery.firstServers(UsageQuery.MAX_LIMIT)).servers().stream()
        .filter(usage -> usage.backups() > PAGE)
        .min(Comparator.comparingLong(ServerUsage::backups))
        .orElseThrow();
    BackupPredicate server = Predicates.serverId(smallest.serverId());
    long total = CATALOG.count(PROJECT, server);
    assertTrue(total <= 10 * PAGE, "one server's backups take 2 to 10 pages: " + total);
    choose("keyword-field", "resource_id");
    element("keyword").sendKeys(smallest.serverId());
    loaded(() -> press(element("keyword-search")));
    List<String> seen = new ArrayList<>(ids());
    while (element("next").isEnabled()) {
      loaded(() -> press(element("next")));
      seen.addAll(ids());
    }
    assertEquals(page(server, 0, (int) total), seen);
  }

  // ---------------------------------------------------------------- details

  @Test
  void expandingARowShowsTheBackupsDetails() {
    WebElement row = rows().get(3);
    Backup backup = CATALOG.get(PROJECT, row.getDomAttribute("data-id"));
    row.findElement(By.className("expander")).click();
    WebElement details = new WebDriverWait(driver, WAIT, POLL).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#backup-rows tr.details dl")));
    assertEquals(backup.id(), detail(details, "Backup ID"));
    assertEquals(backup.server().name(), detail(details, "Server name"));
    assertEquals(backup.server().availabilityZone(), detail(details, "AZ"));
    assertEquals(String.valueOf(backup.sizeMb()), detail(details, "Size (MB)"));
    if (!backup.details().vm().privateIp().isEmpty()) {
      assertEquals(backup.details().vm().privateIp(), detail(details, "Private IP"));
    }
    backup.policyId().ifPresent(policy -> assertEquals(policy, detail(details, "Policy ID")));
    String tags = backup.tags().stream().map(tag -> tag.key() + "=" + tag.value()).collect(Collectors.joining(", "));
    if (!tags.isEmpty()) {
      assertEquals(tags, detail(details, "Tags"));
    }
    assertEquals("true", row.findElement(By.className("expander")).getDomAttribute("aria-expanded"));
    row.findElement(By.className("expander")).click();
    assertTrue(driver.findElements(By.cssSelector("#backup-rows tr.details")).isEmpty());
  }

  // ---------------------------------------------------------------- space usage

  @Test
  void theUsageDialogShowsEachServersBackupsAndCapacityAndTheTotal() {
    UsageReport firstTen = CATALOG.usage(PROJECT, UsageQuery.of(Predicates.all(), 0, 10));
    var quota = CATALOG.quotaUsage(PROJECT);
    assertEquals(String.valueOf(quota.backupsUsed()), text("overview-backups"));
    assertEquals(quota.capacityUsedGb().toPlainString(), text("overview-capacity"));
    press(element("usage-open"));
    WebElement dialog = new WebDriverWait(driver, WAIT, POLL).until(ExpectedConditions.visibilityOf(element("usage-dialog")));
    waitIdle();
    assertEquals(usageRows(firstTen.servers()), usageRows());
    assertEquals(String.valueOf(firstTen.serverCount()), text("usage-servers"));
    assertEquals(String.valueOf(quota.backupsUsed()), text("usage-total-backups"));
    assertEquals(quota.capacityUsedGb().toPlainString(), text("usage-total-capacity"));
    press(element("usage-next"));
    waitIdle();
    assertEquals(usageRows(CATALOG.usage(PROJECT, UsageQuery.of(Predicates.all(), 10, 10)).servers()), usageRows());
    press(element("usage-close"));
    assertFalse(dialog.isDisplayed());
  }

  // ---------------------------------------------------------------- restore and delete

  @Test
  void restoreAndDeleteStartTheirJobsAfterConfirming() {
    open(CHANGED);
    loaded(() -> choose("status-filter", "available"));
    WebElement row = rows().get(0);
    String restored = row.getDomAttribute("data-id");
    assertFalse(row.findElement(By.className("delete")).getDomProperty("disabled").equals("true"));
    row.findElement(By.className("restore")).click();
    driver.switchTo().alert().dismiss();
    assertEquals(BackupStatus.AVAILABLE, CATALOG.get(CHANGED, restored).status(), "dismissed: nothing starts");
    loaded(() -> {
      rows().get(0).findElement(By.className("restore")).click();
      driver.switchTo().alert().accept();
    });
    assertEquals(BackupStatus.RESTORING, CATALOG.get(CHANGED, restored).status());
    assertFalse(ids().contains(restored), "the list shows the Available backups again");
    assertTrue(text("message").startsWith("Restoring "), text("message"));

    loaded(() -> choose("status-filter", "error"));
    String deleted = rows().get(0).getDomAttribute("data-id");
    loaded(() -> {
      rows().get(0).findElement(By.className("delete")).click();
      driver.switchTo().alert().accept();
    });
    assertEquals(BackupStatus.DELETING, CATALOG.get(CHANGED, deleted).status());
    assertNotEquals(deleted, rows().isEmpty() ? null : rows().get(0).getDomAttribute("data-id"));
  }

  @Test
  void aRunningBackupOffersNeitherRestoreNorDelete() {
    loaded(() -> choose("status-filter", "protecting"));
    for (WebElement row : rows()) {
      assertFalse(row.findElement(By.className("restore")).isEnabled());
      assertFalse(row.findElement(By.className("delete")).isEnabled());
    }
  }

  // ---------------------------------------------------------------- plumbing

  private static void open(String project) {
    driver.get(server.uri() + "console/?project=" + project);
    ConsoleBrowser.loadsAbove(driver, 0);
    // the overview and the tag catalogue load beside the first page
    waitIdle();
  }

  /** Runs an action that loads the list, and waits for that load to be shown. */
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

  /**
   * Clicks a control by script, one round trip (WebDriver's click, mouse events a frame apart, takes
   * 130-200 ms); the rows' buttons (expand, restore, delete, a tag's remove) and one status option are
   * clicked for real.
   */
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
    ((JavascriptExecutor) driver).executeScript(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));", element(id), value);
  }

  private static void selectPageSize(int size) {
    loaded(() -> choose("page-size", String.valueOf(size)));
  }

  private static List<WebElement> rows() {
    return driver.findElements(By.cssSelector("#backup-rows tr.backup"));
  }

  /** The rows' ids in one round trip to the browser (one a row made paging tests slow). */
  @SuppressWarnings("unchecked")
  private static List<String> ids() {
    return (List<String>) ((JavascriptExecutor) driver).executeScript(
        "return Array.from(document.querySelectorAll('#backup-rows tr.backup'), row => row.getAttribute('data-id'));");
  }

  private static List<String> page(BackupPredicate where, long offset, int limit) {
    return CATALOG.query(PROJECT, Query.builder().where(where).offset(offset).limit(limit).build()).ids();
  }

  /** The page shows the first page of the backups matching {@code where}, and their total. */
  private static void assertShows(BackupPredicate where) {
    assertShows(where, PAGE);
  }

  private static void assertShows(BackupPredicate where, int pageSize) {
    Page expected = CATALOG.query(PROJECT, Query.builder().where(where).limit(pageSize).build());
    assertEquals(expected.ids(), ids(), where.toString());
    assertEquals(String.valueOf(expected.total()), text("total"), where.toString());
    assertEquals(expected.hasMore(), element("next").isEnabled(), where.toString());
  }

  private static void assertShowsTagSearch(TagFilter.Builder filter) {
    Page expected = CATALOG.query(PROJECT, filter.limit(PAGE).build().toQuery());
    assertEquals(expected.ids(), ids(), filter.build().toString());
    assertEquals(String.valueOf(expected.total()), text("total"));
  }

  private static String mostUsedKey(List<String> keys) {
    return keys.stream().max(Comparator.comparingLong(key -> CATALOG.count(PROJECT, Predicates.tagKey(key)))).orElseThrow();
  }

  private static void addTag(String key, String value) {
    element("tag-key").clear();
    element("tag-key").sendKeys(key);
    element("tag-value").clear();
    element("tag-value").sendKeys(value);
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
        .map(row -> row.getDomAttribute("data-id") + " " + row.findElement(By.className("backups")).getText()
            + " " + row.findElement(By.className("capacity")).getText())
        .toList();
  }

  private static List<String> usageRows(List<ServerUsage> servers) {
    return servers.stream().map(server -> server.serverId() + " " + server.backups() + " " + server.capacityGb().toPlainString())
        .toList();
  }

  private static String label(BackupStatus status) {
    String name = status.name();
    return name.charAt(0) + name.substring(1).toLowerCase(java.util.Locale.ROOT);
  }
}
