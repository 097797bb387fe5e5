package io.csbs.server;

import static io.csbs.server.Client.assertReply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.json.CsbsJson;
import io.csbs.query.Query;
import io.csbs.query.TagFilter;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The tag catalogue, the tag query and tag changes, against the SERVED.catalog. */
class TagEndpointsTest {
  private static final CsbsJson JSON = CsbsJson.create();
  private static final String PROJECT = BackupGenerator.projectId(0);
  private static final String OTHER = BackupGenerator.projectId(1);

  @RegisterExtension
  static final ServedCatalog SERVED = new ServedCatalog(3, 1500);

  private static int next;

  /** A backup of the project that no other test of the class has used, with exactly {@code tags}. */
  private static Backup fresh(List<Tag> tags) {
    Backup backup = SERVED.catalog.query(PROJECT, Query.builder().offset(next++).limit(1).build()).backups().get(0);
    if (!backup.tags().isEmpty()) {
      List<TagUpdate.Match> all = new ArrayList<>();
      backup.tags().forEach(tag -> all.add(TagUpdate.Match.key(tag.key())));
      backup = SERVED.catalog.updateTags(PROJECT, backup.id(), backup.version(), TagUpdate.delete(all));
    }
    return tags.isEmpty() ? backup : SERVED.catalog.updateTags(PROJECT, backup.id(), backup.version(), TagUpdate.create(tags));
  }

  private static Backup current(Backup backup) {
    return SERVED.catalog.get(PROJECT, backup.id());
  }

  @Test
  void theTagCatalogueIsTheProjects() {
    assertReply(200, JSON.tagCatalogue(SERVED.catalog.tagCatalogue(PROJECT)), SERVED.client.get("/v1/" + PROJECT + "/csbs_backup/tags"));
    assertReply(200, "{\"tags\":[]}", SERVED.client.get("/v1/nobody/csbs_backup/tags"));
  }

  @Test
  void aTagQueryIsTheCatalogsAnswer() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      List<String> keys = new ArrayList<>(SERVED.catalog.tagCatalogue(PROJECT).keys());
      for (int i = 0; i < 60; i++) {
        String key = keys.get(random.nextInt(keys.size()));
        List<String> values = new ArrayList<>(SERVED.catalog.tagCatalogue(PROJECT).values(key));
        String value = values.get(random.nextInt(values.size()));
        String group = List.of("tags", "tags_any", "not_tags", "not_tags_any").get(random.nextInt(4));
        String action = random.nextBoolean() ? "filter" : "count";
        String body = "{\"action\": \"" + action + "\", \"" + group + "\": [{\"key\": \"" + key + "\", \"values\": [\""
            + (random.nextBoolean() ? value : "*" + value.substring(1)) + "\"]}], \"limit\": \"" + (1 + random.nextInt(30))
            + "\", \"offset\": \"" + random.nextInt(50) + "\"}";
        TagFilter filter = JSON.readTagFilter(body);
        String expected = action.equals("count")
            ? JSON.tagQueryCount(SERVED.catalog.count(PROJECT, filter.toPredicate()))
            : JSON.tagQueryResult(SERVED.catalog.query(PROJECT, filter.toQuery()));
        assertReply(200, expected, SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/resource_instances/action", body));
      }
    });
  }

  @Test
  void aBadTagQueryIs400NamingTheKey() {
    Client.Reply reply = SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/resource_instances/action",
        "{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [3]}]}");
    assertEquals(400, reply.status());
    assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"tags[0].values[0] "), reply.body());
    Client.Reply notJson = SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/resource_instances/action", "tags=env");
    assertEquals(400, notJson.status());
    assertTrue(notJson.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"body "), notJson.body());
  }

  @Test
  void addingATagSetsItAndTheCatalogueHasIt() {
    Backup backup = fresh(List.of(Tag.of("env", "prod")));
    Client.Reply reply = SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags",
        "{\"tag\": {\"key\": \"rare-key\", \"value\": \"rare-value\"}}");
    assertEquals(204, reply.status());
    assertEquals("", reply.body());
    Backup tagged = current(backup);
    assertEquals(List.of(Tag.of("env", "prod"), Tag.of("rare-key", "rare-value")), tagged.tags());
    assertEquals(backup.version() + 1, tagged.version());
    assertTrue(SERVED.catalog.tagCatalogue(PROJECT).contains("rare-key", "rare-value"));
    assertTrue(SERVED.client.get("/v1/" + PROJECT + "/csbs_backup/tags").body().contains("{\"key\":\"rare-key\",\"values\":[\"rare-value\"]}"));

    assertEquals(204, SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags",
        "{\"tag\": {\"key\": \"env\", \"value\": \"test\"}}").status());
    assertEquals(List.of(Tag.of("env", "test"), Tag.of("rare-key", "rare-value")), current(backup).tags());
  }

  @Test
  void aBackupsTagsAreItsTagsInOrder() {
    Backup backup = fresh(List.of(Tag.of("team", "web"), Tag.of("env", "prod")));
    String path = "/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags";
    assertReply(200, "{\"tags\":[{\"key\":\"team\",\"value\":\"web\"},{\"key\":\"env\",\"value\":\"prod\"}]}",
        SERVED.client.get(path));
    assertReply(200, "{\"tags\":[]}", SERVED.client.get("/v1/" + PROJECT + "/csbs_backup/" + fresh(List.of()).id() + "/tags"));
    Backup others = SERVED.catalog.query(OTHER, Query.builder().limit(1).build()).backups().get(0);
    assertEquals(404, SERVED.client.get("/v1/" + PROJECT + "/csbs_backup/" + others.id() + "/tags").status());
  }

  @Test
  void aBatchCreatesAndDeletesTags() {
    Backup backup = fresh(List.of(Tag.of("env", "prod"), Tag.of("app", "shop")));
    String path = "/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags/action";
    assertEquals(204, SERVED.client.post(path,
        "{\"action\": \"create\", \"tags\": [{\"key\": \"team\", \"value\": \"web\"}, {\"key\": \"env\", \"value\": \"qa\"}]}").status());
    assertEquals(List.of(Tag.of("env", "qa"), Tag.of("app", "shop"), Tag.of("team", "web")), current(backup).tags());
    assertEquals(204, SERVED.client.post(path,
        "{\"action\": \"delete\", \"tags\": [{\"key\": \"app\"}, {\"key\": \"team\", \"value\": \"other\"}, {\"key\": \"nope\"}]}").status());
    assertEquals(List.of(Tag.of("env", "qa"), Tag.of("team", "web")), current(backup).tags());
  }

  @Test
  void deletingATagRemovesItAndAMissingTagIs404() {
    Backup backup = fresh(List.of(Tag.of("env", "prod"), Tag.of("app", "shop")));
    String path = "/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags/";
    Client.Reply deleted = SERVED.client.delete(path + "app");
    assertEquals(204, deleted.status());
    assertNull(deleted.header("Content-Type"));
    assertEquals(List.of(Tag.of("env", "prod")), current(backup).tags());
    assertReply(404, "{\"error_code\":\"CSBS.7001\",\"error_msg\":\"The backup tag does not exist: backup " + backup.id()
        + " has no tag with key 'app'\"}", SERVED.client.delete(path + "app"));
    assertEquals(List.of(Tag.of("env", "prod")), current(backup).tags());
  }

  @Test
  void aKeyNamedActionIsDeletedByDelete() {
    Backup backup = fresh(List.of(Tag.of("action", "x")));
    assertEquals(204, SERVED.client.delete("/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags/action").status());
    assertEquals(List.of(), current(backup).tags());
  }

  @Test
  void anEleventhTagIs400WithTheApisCode() {
    List<Tag> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(Tag.of("k" + i, "v"));
    }
    Backup backup = fresh(ten);
    Client.Reply reply = SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags",
        "{\"tag\": {\"key\": \"k10\", \"value\": \"v\"}}");
    assertEquals(400, reply.status());
    assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.7000\",\"error_msg\":\"tags "), reply.body());
    assertEquals(ten, current(backup).tags());
  }

  @Test
  void aBadTagIs400NamingIt() {
    Backup backup = fresh(List.of());
    Client.Reply reply = SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags",
        "{\"tag\": {\"key\": \"env\", \"value\": \"prod env\"}}");
    assertEquals(400, reply.status());
    assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"tag.value 'prod env' is invalid"), reply.body());
    Client.Reply action = SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags/action",
        "{\"action\": \"replace\", \"tags\": [{\"key\": \"env\", \"value\": \"prod\"}]}");
    assertEquals(400, action.status());
    assertTrue(action.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"action 'replace'"), action.body());
    assertEquals(backup, current(backup));
  }

  @Test
  void theTagsOfAnotherProjectsBackupAreNotFound() {
    Backup others = SERVED.catalog.query(OTHER, Query.builder().limit(1).build()).backups().get(0);
    String base = "/v1/" + PROJECT + "/csbs_backup/" + others.id();
    String notFound = "{\"error_code\":\"CSBS.3001\",\"error_msg\":\"Checkpoint_item (" + others.id() + ") is not found.\"}";
    assertReply(404, notFound, SERVED.client.post(base + "/tags", "{\"tag\": {\"key\": \"env\", \"value\": \"prod\"}}"));
    assertReply(404, notFound, SERVED.client.post(base + "/tags/action", "{\"action\": \"delete\", \"tags\": [{\"key\": \"env\"}]}"));
    assertReply(404, notFound, SERVED.client.delete(base + "/tags/env"));
    assertEquals(others, SERVED.catalog.get(OTHER, others.id()));
  }

  @Test
  void concurrentTagChangesOfOneBackupAreAllApplied() throws Exception {
    Backup backup = fresh(List.of());
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<Client.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String body = "{\"tag\": {\"key\": \"writer-" + i + "\", \"value\": \"v\"}}";
        replies.add(CompletableFuture.supplyAsync(
            () -> SERVED.client.post("/v1/" + PROJECT + "/csbs_backup/" + backup.id() + "/tags", body), threads));
      }
      for (CompletableFuture<Client.Reply> reply : replies) {
        assertEquals(204, reply.get().status(), reply.get().body());
      }
    } finally {
      threads.shutdownNow();
    }
    assertEquals(8, current(backup).tags().size());
  }
}
