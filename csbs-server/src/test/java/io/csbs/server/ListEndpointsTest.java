package io.csbs.server;

import static io.csbs.server.Client.assertReply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.CsbsError;
import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.json.CsbsJson;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.InvalidInputs;
import io.csbs.testing.QueryGenerator;
import io.csbs.testing.Seeds;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The list, count and details against the catalog's own answers, on random query strings of the
 * list API; nothing here changes the catalog.
 */
class ListEndpointsTest {
  private static final CsbsJson JSON = CsbsJson.create();
  private static final String PROJECT = BackupGenerator.projectId(0);
  private static final String OTHER = BackupGenerator.projectId(1);
  private static final DateTimeFormatter API_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS", Locale.ROOT);
  private static final int QUERIES = 150;

  @RegisterExtension
  static final ServedCatalog SERVED = new ServedCatalog(14, 2000);

  private static List<Backup> backups;

  @BeforeAll
  static void projectBackups() {
    backups = SERVED.catalog.query(PROJECT, io.csbs.query.Query.builder().limit(1000).build()).backups();
  }

  @Test
  void aListPageIsTheCatalogsPageWithItsNextLink() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      QueryGenerator sorts = QueryGenerator.create(seed, backups);
      int withNext = 0;
      for (int i = 0; i < QUERIES; i++) {
        String query = listQuery(random, sorts, true);
        String path = "/v1/" + PROJECT + "/checkpoint_items" + (query.isEmpty() ? "" : "?" + query);
        Page page = SERVED.catalog.query(PROJECT, ListQueryString.parse(query));
        String expected = JSON.checkpointItems(page, SERVED.client.uri(path));
        assertReply(200, expected, SERVED.client.get(path));
        if (JSON.readNextMarker(expected).isPresent()) {
          withNext++;
          String nextPath = SERVED.client.uri(path).getRawPath() + "?" + nextQuery(expected);
          Page nextPage = SERVED.catalog.query(PROJECT, ListQueryString.parse(nextQuery(expected)));
          assertReply(200, JSON.checkpointItems(nextPage, SERVED.client.uri(nextPath)), SERVED.client.get(nextPath));
        }
      }
      assertTrue(withNext > 0, "some pages have a next page");
    });
  }

  @Test
  void followingNextLinksWalksTheWholeResultInOrder() {
    String path = "/v1/" + PROJECT + "/checkpoint_items?status=available&sort=name:asc&limit=97";
    List<String> walked = new ArrayList<>();
    for (int pages = 0; path != null; pages++) {
      Client.Reply reply = SERVED.client.get(path);
      assertEquals(200, reply.status());
      JSON.readCheckpointItems(reply.body(), PROJECT).forEach(backup -> walked.add(backup.id()));
      path = JSON.readNextMarker(reply.body()).isPresent() ? SERVED.client.uri("/").relativize(
          java.net.URI.create(nextHref(reply.body()))).toString() : null;
      assertTrue(pages < 100);
    }
    assertEquals(SERVED.catalog.query(PROJECT, ListQueryString.parse("status=available&sort=name:asc&limit=1000")).ids(), walked);
  }

  @Test
  void aCountIsTheCatalogsCountOfTheFilters() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      QueryGenerator sorts = QueryGenerator.create(seed, backups);
      for (int i = 0; i < QUERIES; i++) {
        String query = listQuery(random, sorts, false);
        String path = "/v1/" + PROJECT + "/checkpoint_items/count" + (query.isEmpty() ? "" : "?" + query);
        long count = SERVED.catalog.count(PROJECT, ListQueryString.parse(query).predicate());
        assertReply(200, JSON.count(count), SERVED.client.get(path));
      }
    });
  }

  @Test
  void aCountRefusesTheListsPagingParameters() {
    for (String paging : List.of("sort=name", "limit=5", "marker=" + backups.get(0).id(), "offset=3")) {
      Client.Reply reply = SERVED.client.get("/v1/" + PROJECT + "/checkpoint_items/count?status=available&" + paging);
      String name = paging.substring(0, paging.indexOf('='));
      assertEquals(400, reply.status(), paging);
      assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"" + name + " '"), reply.body());
      assertTrue(reply.body().contains("is not a parameter of the backup count"), reply.body());
    }
  }

  @Test
  void aBadListParameterIs400NamingIt() {
    Seeds.run(Seeds.pick(), seed -> {
      int sent = 0;
      for (int round = 0; round < 5; round++) {
        for (InvalidInputs.Case bad : InvalidInputs.withSeed(seed + round).listQueryStrings()) {
          String path = "/v1/" + PROJECT + "/checkpoint_items?" + bad.input();
          try {
            SERVED.client.uri(path);
          } catch (IllegalArgumentException e) {
            continue; // bad percent-encoding: the JDK's client sends no such URI (and the JDK's server answers 400 itself)
          }
          String expected;
          try {
            ListQueryString.parse(bad.input());
            throw new AssertionError("not refused: " + bad);
          } catch (RuntimeException e) {
            expected = JSON.error((CsbsError) e);
          }
          Client.Reply reply = SERVED.client.get(path);
          assertReply(400, expected, reply);
          assertTrue(reply.body().contains("\"error_msg\":\"" + bad.expectedField().orElseThrow() + " "), bad + ": " + reply.body());
          sent++;
        }
      }
      assertTrue(sent > 40, "sent " + sent);
    });
  }

  @Test
  void anUnknownMarkerIs400NamingMarker() {
    Client.Reply reply = SERVED.client.get("/v1/" + PROJECT + "/checkpoint_items?marker=no-such-backup");
    assertEquals(400, reply.status());
    assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"marker 'no-such-backup'"), reply.body());
  }

  @Test
  void detailsAreTheCatalogsBackup() {
    for (Backup backup : backups.subList(0, 50)) {
      assertReply(200, JSON.checkpointItem(SERVED.catalog.get(PROJECT, backup.id())),
          SERVED.client.get("/v1/" + PROJECT + "/checkpoint_items/" + backup.id()));
    }
  }

  @Test
  void aBackupOfAnotherProjectIsNotFoundJustAsAnUnknownOne() {
    Backup others = SERVED.catalog.query(OTHER, io.csbs.query.Query.builder().limit(1).build()).backups().get(0);
    assertReply(404, "{\"error_code\":\"CSBS.3001\",\"error_msg\":\"Checkpoint_item (" + others.id() + ") is not found.\"}",
        SERVED.client.get("/v1/" + PROJECT + "/checkpoint_items/" + others.id()));
    assertReply(404, "{\"error_code\":\"CSBS.3001\",\"error_msg\":\"Checkpoint_item (unknown-id) is not found.\"}",
        SERVED.client.get("/v1/" + PROJECT + "/checkpoint_items/unknown-id"));
    String list = SERVED.client.get("/v1/" + PROJECT + "/checkpoint_items?checkpoint_id=" + others.id()).body();
    assertEquals("{\"checkpoint_items\":[]}", list);
    assertReply(200, "{\"count\":0}", SERVED.client.get("/v1/" + PROJECT + "/checkpoint_items/count?checkpoint_id=" + others.id()));
  }

  @Test
  void aProjectWithoutBackupsHasAnEmptyList() {
    assertReply(200, "{\"checkpoint_items\":[]}", SERVED.client.get("/v1/nobody/checkpoint_items"));
    assertReply(200, "{\"count\":0}", SERVED.client.get("/v1/nobody/checkpoint_items/count"));
  }

  // ---------------------------------------------------------------- random list query strings

  /**
   * A random query string of the list API, valid, its values drawn from the project's backups:
   * filters, and when {@code paging}, a sort (from the testkit's {@link QueryGenerator}), a limit and
   * a marker or an offset.
   */
  private static String listQuery(SplittableRandom random, QueryGenerator sorts, boolean paging) {
    List<String> pairs = new ArrayList<>();
    Backup one = backups.get(random.nextInt(backups.size()));
    if (random.nextInt(10) < 4) {
      ApiStatus[] statuses = ApiStatus.values();
      pairs.add("status=" + statuses[random.nextInt(statuses.length)].apiName());
    }
    if (random.nextInt(10) < 2) {
      pairs.add("name=" + encode(randomCase(random, part(random, one.name()))));
    }
    if (random.nextInt(10) < 1) {
      pairs.add("resource_id=" + encode(one.server().id()));
    }
    if (random.nextInt(10) < 2) {
      pairs.add("resource_name=" + encode(randomCase(random, part(random, one.server().name()))));
    }
    if (random.nextInt(20) < 1) {
      pairs.add("checkpoint_id=" + encode(backups.get(random.nextInt(backups.size())).id()));
    }
    if (random.nextInt(10) < 3) {
      java.time.Instant a = backups.get(random.nextInt(backups.size())).createdAt();
      java.time.Instant b = backups.get(random.nextInt(backups.size())).createdAt();
      boolean both = random.nextBoolean();
      if (both || random.nextBoolean()) {
        pairs.add("start_time=" + apiTime(a.isBefore(b) ? a : b));
      }
      if (both || random.nextBoolean()) {
        pairs.add("end_time=" + apiTime(a.isBefore(b) ? b : a));
      }
    }
    if (random.nextInt(10) < 2) {
      pairs.add("az=eu-de-0" + (1 + random.nextInt(3)));
    }
    if (random.nextInt(10) < 1) {
      pairs.add("resource_type=" + encode("OS::Nova::Server"));
    }
    if (random.nextInt(10) < 1 && one.policyId().isPresent()) {
      pairs.add("policy_id=" + encode(one.policyId().get()));
    }
    if (paging) {
      if (random.nextBoolean()) {
        pairs.add("sort=" + encode(sorts.nextSort().toString()));
      }
      if (random.nextInt(10) < 8) {
        pairs.add("limit=" + (random.nextInt(10) == 0 ? 1 + random.nextInt(1000) : 1 + random.nextInt(40)));
      }
      int page = random.nextInt(4);
      if (page == 1) {
        pairs.add("marker=" + encode(backups.get(random.nextInt(backups.size())).id()));
      } else if (page == 2) {
        pairs.add("offset=" + random.nextInt(backups.size() + 10));
      }
    }
    java.util.Collections.shuffle(pairs, new java.util.Random(random.nextLong()));
    return String.join("&", pairs);
  }

  private static String part(SplittableRandom random, String text) {
    int from = random.nextInt(text.length());
    return text.substring(from, from + 1 + random.nextInt(text.length() - from));
  }

  private static String randomCase(SplittableRandom random, String text) {
    return random.nextBoolean() ? text.toUpperCase(Locale.ROOT) : text;
  }

  private static String apiTime(java.time.Instant instant) {
    return API_TIME.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** The raw query of a list response's next link. */
  private static String nextQuery(String list) {
    return java.net.URI.create(nextHref(list)).getRawQuery();
  }

  private static String nextHref(String list) {
    int at = list.indexOf("\"href\":\"") + "\"href\":\"".length();
    return list.substring(at, list.indexOf('"', at));
  }
}
