package io.csbs.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.CopyStatus;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.RestoreMode;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.query.TagFilter;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.Seeds;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The API's JSON both ways: lossless round trips on generated backups, the API's own bodies, refusals. */
class CsbsJsonTest {
  private static final CsbsJson JSON = CsbsJson.create();
  private static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");

  @Test
  void everyGeneratedBackupSurvivesTheDetailsAndTheListResponses() {
    Seeds.run(Seeds.pick(), seed -> {
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(3).servers(50).build();
      List<Backup> backups = generator.backups(2_000);
      for (Backup backup : backups) {
        String item = JSON.checkpointItem(backup);
        assertEquals(backup, JSON.readCheckpointItem(item, backup.projectId()), item);
      }
      List<Backup> ofOne = backups.stream().filter(b -> b.projectId().equals(backups.get(0).projectId())).toList();
      Page page = new Page(ofOne, ofOne.size(), false);
      assertEquals(ofOne, JSON.readCheckpointItems(JSON.checkpointItems(page, URI.create("/v1/p/checkpoint_items")),
          backups.get(0).projectId()));
    });
  }

  @Test
  void backupsThroughTheirLifecycleSurviveToo() {
    Backup backup = Backup.builder().id("b-1").name("manualbk_47222").description("").projectId("p")
        .server(Server.builder().id("srv \"1\"").name("ecs-Ünïcödé-\uD83D\uDE00").resourceType("OS::Nova::Server")
            .availabilityZone("az1.dc1").build())
        .status(BackupStatus.AVAILABLE).type(BackupType.ENHANCED).trigger(BackupTrigger.AUTOMATIC)
        .policyId("policy-1").sizeMb(Backup.MAX_SIZE_MB).createdAt(Instant.parse("+12026-01-01T00:00:00.123456789Z"))
        .finishedAt(Instant.parse("+12026-01-01T00:10:00Z")).addTags(Tag.of("env", "")).build();
    Instant later = Instant.parse("+12026-01-02T00:00:00Z");
    List<Backup> versions = List.of(backup,
        Lifecycle.instantRestore(backup, later),
        Lifecycle.reportProgress(Lifecycle.instantRestore(backup, later), 40, later.plusNanos(1)),
        Lifecycle.fail(Lifecycle.restore(backup, later), "disk \"gone\"\n", later.plusSeconds(1)),
        Lifecycle.delete(Lifecycle.fail(Lifecycle.restore(backup, later), "x", later.plusSeconds(1)), later.plusSeconds(2)));
    for (Backup version : versions) {
      assertEquals(version, JSON.readCheckpointItem(JSON.checkpointItem(version), "p"), version.toString());
    }
  }

  @Test
  void halvesOfSurrogatePairsAloneSurviveUtf8() {
    // Java strings may hold them (an id, a description, a failure's reason); sent as UTF-8 bytes they
    // must come back the same, so they are written escaped, and a whole pair as it is
    Backup backup = Backup.builder().id("b-\uD800").name("autobk_\uD835\uDC9C").description("x\uDC00y\uD83D")
        .projectId("p").server(Server.of("srv-\uDFFF", "ecs-1", "az1")).status(BackupStatus.AVAILABLE).sizeMb(1)
        .createdAt(Instant.parse("2026-11-24T10:00:00Z")).build();
    String json = JSON.checkpointItem(backup);
    assertTrue(json.contains("b-\\uD800") && json.contains("x\\uDC00y\\uD83D") && json.contains("srv-\\uDFFF"), json);
    assertTrue(json.contains("autobk_\uD835\uDC9C"), json);  // a whole pair is one letter, written as it is
    String sent = new String(json.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    assertEquals(backup, JSON.readCheckpointItem(sent, "p"));
    assertEquals("{\"a\":\"\\uD83D\uD83D\uDE00\"}", CsbsJson.escapeHalfPairs("{\"a\":\"\uD83D\uD83D\uDE00\"}"));
    assertEquals("\\uDE00", CsbsJson.escapeHalfPairs("\uDE00"));
  }

  @Test
  void theApisOwnExampleReads() {
    String example = """
        {"checkpoint_item": {"status": "available",
          "backup_data": {"eip": "", "cloudservicetype": "", "ram": 4096, "vcpus": 4,
            "__openstack_region_name": "", "private_ip": "", "disk": 0, "imagetype": ""},
          "name": "backup_d32c", "resource_id": "f45c477a-57e5-465f-999f-d845083962db",
          "created_at": "2017-04-15T04:20:37.277880", "checkpoint_id": "f672a1bb-6912-446a-816c-72792c5263e0",
          "updated_at": "2017-04-15T04:25:38.680638", "resource_type": "OS::Nova::Server",
          "extend_info": {"auto_trigger": false, "space_saving_ratio": 0, "copy_status": "na", "fail_reason": "",
            "resource_az": "az1.dc1", "image_type": "backup", "finished_at": "2017-04-15T04:25:38.675478",
            "average_speed": 0, "copy_from": "", "supported_restore_mode": "backup", "support_lld": false,
            "os_images_data": [{"image_id": "fe84dd80-0229-4918-8d3d-cbb33154b565"}],
            "volume_backups": [{"status": "available", "name": "manualbk_47222", "bootable": true, "size": 0}],
            "fail_code": {}, "incremental": false, "taskid": "e0a21692-2192-11e7-bf23-0242ac110007",
            "hypervisor_type": "QEMU", "progress": 100, "fail_op": "", "resource_name": "karbor_02", "size": 0},
          "id": "90c1d5fa-1b9f-4aeb-b2f4-81c806e98190"}}
        """;
    Backup backup = JSON.readCheckpointItem(example, "p");
    assertEquals("90c1d5fa-1b9f-4aeb-b2f4-81c806e98190", backup.id());
    assertEquals(BackupStatus.AVAILABLE, backup.status());
    assertEquals(Server.of("f45c477a-57e5-465f-999f-d845083962db", "karbor_02", "az1.dc1"), backup.server());
    assertEquals(Instant.parse("2017-04-15T04:20:37.277880Z"), backup.createdAt());
    assertEquals(Optional.of(Instant.parse("2017-04-15T04:25:38.675478Z")), backup.finishedAt());
    assertEquals(Optional.of("f672a1bb-6912-446a-816c-72792c5263e0"), backup.details().checkpointId());
    assertEquals(4096, backup.details().vm().ramMb());
    assertEquals(RestoreMode.BACKUP, backup.details().restoreMode());
    assertEquals(CopyStatus.NA, backup.details().copyStatus());
    assertEquals(Optional.empty(), backup.details().failCode());
    assertEquals(BackupType.COMMON, backup.type());
    assertEquals(1, backup.version());
  }

  @Test
  void aForeignErrorOrQueuedItemReadsWithTheDefaultsItLacks() {
    String error = item("error", "\"fail_op\": \"restore\", \"fail_code\": {\"Code\": 64003, \"Description\": \"d\"}");
    Backup failed = JSON.readCheckpointItem(error, "p");
    assertEquals(Optional.of(Failure.of(JobType.RESTORE, CheckpointItems.NO_REASON, Instant.parse("2017-04-15T04:25:38Z"))),
        failed.failure());
    assertEquals(64003, failed.details().failCode().orElseThrow().code());
    Backup queued = JSON.readCheckpointItem(item("waiting_restore", "\"progress\": \"7\""), "p");
    assertEquals(ApiStatus.WAITING_RESTORE, queued.apiStatus());
    assertEquals(Optional.of(Progress.of(7, Instant.parse("2017-04-15T04:25:38Z"))), queued.progress());
  }

  private static String item(String status, String extra) {
    return "{\"id\": \"b-1\", \"name\": \"bk\", \"status\": \"" + status + "\", \"resource_id\": \"s-1\", "
        + "\"created_at\": \"2017-04-15T04:20:37\", \"updated_at\": \"2017-04-15T04:25:38Z\", "
        + "\"extend_info\": {\"resource_name\": \"ecs\", \"resource_az\": \"az1\"" + (extra.isEmpty() ? "" : ", " + extra) + "}}";
  }

  @Test
  void badBodiesAreRefusedNamingTheKeysPath() {
    assertRefused("body", "{\"checkpoint_item\": ");
    assertRefused("body", "[1, 2]");
    assertRefused("body", "{} {}");
    assertRefused("status", "{\"id\": \"b\", \"status\": \"available\", \"status\": \"error\"}");
    assertRefused("checkpoint_item.status", "{\"checkpoint_item\": " + item("deleted", "") + "}");
    assertRefused("status", item("paused", ""));
    assertRefused("extend_info.progress", item("protecting", "\"progress\": 101"));
    assertRefused("extend_info.progress", item("protecting", "\"progress\": \"ten\""));
    assertRefused("extend_info.size", item("available", "\"size\": 1.5"));
    assertRefused("extend_info.auto_trigger", item("available", "\"auto_trigger\": \"yes\""));
    assertRefused("created_at", item("available", "").replace("2017-04-15T04:20:37", "yesterday"));
    assertRefused("extend_info.fail_op", item("error", "\"fail_op\": \"copy\""));
    assertRefused("tags[0].key", item("available", "").replace("\"extend_info\"", "\"tags\": [{\"value\": \"x\"}], \"extend_info\""));
    assertRefused("tags[0].value", item("available", "").replace("\"extend_info\"", "\"tags\": [{\"key\": \"k\", \"value\": \"a b\"}], \"extend_info\""));
    assertRefused("count", "{\"count\": -1}");
  }

  private static void assertRefused(String field, String json) {
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> {
      if (json.contains("\"count\"")) {
        JSON.readCount(json);
      } else {
        JSON.readCheckpointItem(json, "p");
      }
    }, json);
    assertEquals(field, e.field(), e.getMessage());
  }

  @Test
  void aListPageLinksToTheNextByMarker() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Backup> backups = BackupGenerator.builder().seed(3).window(NOW, Duration.ofDays(10)).build().backups(30);
    catalog.addAll(backups);
    String project = backups.get(0).projectId();
    Page first = catalog.query(project, Query.builder().limit(20).offset(0).build());
    String body = JSON.checkpointItems(first, URI.create("https://csbs.example/v1/" + project
        + "/checkpoint_items?status=available&offset=0&limit=20&marker=old"));
    assertTrue(body.contains("\"rel\":\"next\""), body);
    assertTrue(body.contains("\"href\":\"https://csbs.example/v1/" + project + "/checkpoint_items?status=available&limit=20&marker="
        + first.nextMarker().orElseThrow() + "\""), body);
    assertEquals(first.nextMarker(), JSON.readNextMarker(body));
    Page last = catalog.query(project, Query.builder().limit(20).marker(first.nextMarker().orElseThrow()).build());
    String lastBody = JSON.checkpointItems(last, URI.create("/v1/p/checkpoint_items"));
    assertTrue(!lastBody.contains("checkpoint_items_links"), lastBody);
    assertEquals(Optional.empty(), JSON.readNextMarker(lastBody));
    assertEquals("/v1/p/checkpoint_items?marker=a%2Fb+c%26d", CsbsJson.nextHref(URI.create("/v1/p/checkpoint_items"), "a/b c&d"));
  }

  @Test
  void theTagQueryBodyReadsAsItsFilter() {
    String body = """
        {"offset": "100", "limit": "100", "action": "filter",
         "matches": [{"key": "resource_name", "value": "resource1"}],
         "not_tags": [{"key": "key1", "values": ["*value1", "value2"]}],
         "tags": [{"key": "key1", "values": ["*value1", "value2"]}],
         "tags_any": [{"key": "key1", "values": ["value1", "value2"]}],
         "not_tags_any": [{"key": "key1", "values": []}]}
        """;
    TagFilter expected = TagFilter.builder().offset(100).limit(100).action(TagFilter.Action.FILTER)
        .matches("resource_name", "resource1").notTags("key1", "*value1", "value2").tags("key1", "*value1", "value2")
        .tagsAny("key1", "value1", "value2").notTagsAny("key1").build();
    assertEquals(expected, JSON.readTagFilter(body));
    assertEquals(TagFilter.builder().action(TagFilter.Action.COUNT).build(), JSON.readTagFilter("{\"action\": \"count\"}"));
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> JSON.readTagFilter("{\"action\": \"filter\", \"tags\": [{\"key\": \"k\", \"values\": [1]}]}"));
    assertEquals("tags[0].values[0]", e.field());
  }

  @Test
  void tagChangesReadAsTagUpdatesAndApplyThroughACatalog() {
    assertEquals(TagUpdate.create(Tag.of("key1", "value1"), Tag.of("key", "value3")), JSON.readTagUpdate(
        "{\"action\": \"create\", \"tags\": [{\"key\": \"key1\", \"value\": \"value1\"}, {\"key\": \"key\", \"value\": \"value3\"}]}"));
    assertEquals(TagUpdate.delete(TagUpdate.Match.of("key1", "value1"), TagUpdate.Match.key("key2")), JSON.readTagUpdate(
        "{\"action\": \"delete\", \"tags\": [{\"key\": \"key1\", \"value\": \"value1\"}, {\"key\": \"key2\"}]}"));
    assertEquals(TagUpdate.create(Tag.of("env", "prod")), JSON.readTag("{\"tag\": {\"key\": \" env \", \"value\": \"prod\"}}"));
    InvalidValueException action = assertThrows(InvalidValueException.class,
        () -> JSON.readTagUpdate("{\"action\": \"merge\", \"tags\": []}"));
    assertEquals("action", action.field());
  }

  @Test
  void countsCataloguesQuotasUsageAndErrorsAreTheApisShapes() {
    assertEquals("{\"count\":42}", JSON.count(42));
    assertEquals(42, JSON.readCount("{\"count\": 42}"));
    assertEquals("{\"total_count\":7}", JSON.tagQueryCount(7));
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    Server web = Server.of("s-1", "ecs-web", "az1");
    catalog.add(Backup.builder().id("b-1").name("bk1").projectId("p").server(web).status(BackupStatus.AVAILABLE)
        .sizeMb(1536).createdAt(NOW.minusSeconds(60)).addTags(Tag.of("env", "prod"), Tag.of("app", "")).build());
    catalog.add(Backup.builder().id("b-2").name("bk2").projectId("p").server(web).status(BackupStatus.AVAILABLE)
        .sizeMb(512).createdAt(NOW.minusSeconds(30)).addTags(Tag.of("env", "dev")).build());
    assertEquals("{\"tags\":[{\"key\":\"app\",\"values\":[\"\"]},{\"key\":\"env\",\"values\":[\"dev\",\"prod\"]}]}",
        JSON.tagCatalogue(catalog.tagCatalogue("p")));
    catalog.setQuota("p", Quota.of(600, Quota.UNLIMITED));
    QuotaUsage quota = catalog.quotaUsage("p");
    assertEquals("{\"quotas\":{\"resources\":[{\"type\":\"backups\",\"quota\":600,\"used\":2},"
        + "{\"type\":\"backup_capacity\",\"unit\":\"GB\",\"quota\":-1,\"used\":2.00}]}}", JSON.quotas(quota));
    assertEquals("{\"storage_usage\":[{\"resource_id\":\"s-1\",\"resource_name\":\"ecs-web\",\"resource_type\":"
        + "\"OS::Nova::Server\",\"backup_count\":2,\"backup_size\":2048}],\"resource_count\":1}",
        JSON.storageUsage(catalog.usage("p", UsageQuery.firstServers(10))));
    String result = JSON.tagQueryResult(catalog.query("p", Query.builder().limit(1).build()));
    assertTrue(result.startsWith("{\"resources\":[{\"resource_id\":\"b-2\",\"resource_name\":\"bk2\",\"resource_detail\":{"), result);
    assertTrue(result.endsWith("\"tags\":[{\"key\":\"env\",\"value\":\"dev\"}]}],\"total_count\":2}"), result);

    Backup creating = catalog.apply("p", "b-1", 1, io.csbs.lifecycle.Transition.delete()).orElseThrow();
    IllegalTransitionException busy = assertThrows(IllegalTransitionException.class,
        () -> catalog.apply("p", "b-1", creating.version(), io.csbs.lifecycle.Transition.restore()));
    assertEquals("{\"error_code\":\"CSBS.2003\",\"error_msg\":" + quoted(busy.getMessage()) + "}", JSON.error(busy));
    VersionConflictException stale = assertThrows(VersionConflictException.class,
        () -> catalog.apply("p", "b-2", 9, io.csbs.lifecycle.Transition.restore()));
    assertTrue(JSON.error(stale).startsWith("{\"error_code\":\"CSBS.LIB.VERSION_CONFLICT\""), JSON.error(stale));
  }

  private static String quoted(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @Test
  void timesAreTheApisFormatWithMicrosecondsAndKeepFinerDigits() {
    assertEquals("2017-04-18T01:21:52.701973", Times.format(Instant.parse("2017-04-18T01:21:52.701973Z")));
    assertEquals("2017-04-18T01:21:52.000000", Times.format(Instant.parse("2017-04-18T01:21:52Z")));
    assertEquals("2017-04-18T01:21:52.7019731", Times.format(Instant.parse("2017-04-18T01:21:52.7019731Z")));
    assertEquals(Instant.parse("2017-04-18T01:21:52Z"), Times.parse("t", "2017-04-18T01:21:52"));
    assertEquals(Instant.parse("2017-04-18T01:21:52.5Z"), Times.parse("t", "2017-04-18T01:21:52.5Z"));
  }
}
