package io.csbs.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.csbs.backup.VmMetadata;
import io.csbs.query.Page;
import io.csbs.query.TagFilter;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A new user's deeper checks of CsbsJson's javadoc: round trips of extreme but valid backups (every raw
 * status, far instants in every time, largest sizes and versions, 10 tags, names of 255 letters outside
 * the BMP, details filled), the values extend_info documents, the API's bodies, and refusals' paths.
 */
class NewUserJsonDeepTest {
  static final CsbsJson JSON = CsbsJson.create();
  static final String NON_BMP = "\uD835\uDC9C";

  static Backup extreme(ApiStatus raw, Instant created, Instant later, boolean filled) {
    BackupStatus status = raw.state().orElseThrow();
    Backup.Builder b = Backup.builder()
        .id(("id-" + raw.apiName() + "-\"\\/\u2028" + NON_BMP).substring(0, Math.min(64, ("id-" + raw.apiName() + "-\"\\/\u2028" + NON_BMP).length())))
        .name(NON_BMP.repeat(255))
        .projectId("p")
        .server(Server.builder().id("s\u0000" + NON_BMP).name("srv " + NON_BMP).resourceType(Server.NOVA_SERVER)
            .availabilityZone("az\t1").build())
        .status(status).apiStatus(raw)
        .type(filled ? BackupType.ENHANCED : BackupType.COMMON)
        .trigger(filled ? BackupTrigger.AUTOMATIC : BackupTrigger.MANUAL)
        .sizeMb(filled ? Backup.MAX_SIZE_MB : 0)
        .createdAt(created).updatedAt(later)
        .version(filled ? Long.MAX_VALUE : 1);
    if (filled) {
      b.description("d".repeat(255)).policyId("pol-" + NON_BMP).finishedAt(later);
      for (int i = 0; i < Backup.MAX_TAGS; i++) {
        b.addTags(Tag.of(NON_BMP.repeat(Tag.MAX_KEY_LENGTH - 1) + i, i % 2 == 0 ? "" : NON_BMP.repeat(Tag.MAX_VALUE_LENGTH)));
      }
      b.details(BackupDetails.builder().incremental(true).restoreMode(RestoreMode.values()[RestoreMode.values().length - 1])
          .copyStatus(CopyStatus.values()[CopyStatus.values().length - 1]).spaceSavingRatio(100)
          .averageSpeedKbps(Long.MAX_VALUE).checkpointId("cp-" + NON_BMP).failCode(new FailCode(Long.MIN_VALUE, ""))
          .vm(VmMetadata.builder().regionName("r").cloudServiceType("c").diskGb(Integer.MAX_VALUE).imageType("i")
              .ramMb(Integer.MAX_VALUE).vcpus(Integer.MAX_VALUE).eip("").privateIp("10.0.0.1").build())
          .build());
    }
    if (status.isIntermediate()) {
      b.progress(Progress.of(filled ? 100 : 0, later));
    }
    if (status == BackupStatus.ERROR || (status == BackupStatus.DELETING && filled)) {
      b.failure(Failure.of(filled ? JobType.DELETE : JobType.RESTORE, NON_BMP.repeat(Failure.MAX_REASON_LENGTH / 2), later));
    }
    return b.build();
  }

  /** CsbsJson: "With them, writing a backup and reading it back gives an equal backup": every raw status, extreme values. */
  @Test
  void extremeBackupsOfEveryRawStatusRoundTrip() {
    Instant[][] times = {
        {Instant.MIN, Instant.MAX},
        {Instant.MIN, Instant.MIN},
        {Instant.MAX, Instant.MAX},
        {Instant.parse("0999-12-31T23:59:59.999999999Z"), Instant.parse("+10000-01-01T00:00:00Z")},
        {Instant.EPOCH, Instant.EPOCH.plusNanos(1)},
    };
    List<Backup> all = new ArrayList<>();
    for (ApiStatus raw : ApiStatus.values()) {
      if (raw.state().isEmpty()) {
        continue;
      }
      for (Instant[] t : times) {
        for (boolean filled : new boolean[] {false, true}) {
          Backup backup = extreme(raw, t[0], t[1], filled);
          String item = JSON.checkpointItem(backup);
          assertEquals(backup, JSON.readCheckpointItem(item, "p"), item);
          all.add(backup);
        }
      }
    }
    String list = JSON.checkpointItems(new Page(all, all.size(), false), URI.create("/v1/p/checkpoint_items"));
    assertEquals(all, JSON.readCheckpointItems(list, "p"));
    assertFalse(list.contains("checkpoint_items_links"), "no next link on a last page");
  }

  /** CsbsJson: progress "the job's percent; 100 for Available, 0 for Error"; fail_op/fail_reason "the failure, or empty"; support_lld, auto_trigger. */
  @Test
  void extendInfoValuesAreAsDocumented() {
    Instant t = Instant.parse("2017-04-18T01:21:52.701973Z");
    String available = JSON.checkpointItem(extreme(ApiStatus.AVAILABLE, t, t, true));
    assertTrue(available.contains("\"progress\":100,"), available);
    assertTrue(available.contains("\"fail_op\":\"\",\"fail_reason\":\"\""), available);
    assertTrue(available.contains("\"support_lld\":true"), available);
    assertTrue(available.contains("\"auto_trigger\":true"), available);
    assertTrue(available.contains("\"copy_from\":\"\""), available);
    assertTrue(available.contains("\"image_type\":\"backup\""), available);
    assertTrue(available.contains("\"hypervisor_type\":\"QEMU\""), available);
    assertTrue(available.contains("\"size\":1073741824,"), available);
    assertTrue(available.contains("\"version\":9223372036854775807"), available);
    assertTrue(available.contains("\"created_at\":\"2017-04-18T01:21:52.701973\""), available);
    assertTrue(available.contains("\"checkpoint_id\":\"cp-" + NON_BMP + "\""), available);
    String error = JSON.checkpointItem(extreme(ApiStatus.ERROR, t, t, false));
    assertTrue(error.contains("\"progress\":0,"), error);
    assertTrue(error.contains("\"fail_op\":\"restore\",\"fail_reason\":\"" + NON_BMP), error);
    assertTrue(error.contains("\"failed_at\":\"2017-04-18T01:21:52.701973\""), error);
    assertTrue(error.contains("\"support_lld\":false") && error.contains("\"auto_trigger\":false"), error);
    assertFalse(error.contains("\"checkpoint_id\""), error);
    assertFalse(error.contains("\"description\""), error);
    assertFalse(error.contains("\"policy_id\""), error);
    assertFalse(error.contains("\"finished_at\""), error);
    String creating = JSON.checkpointItem(extreme(ApiStatus.WAITING_PROTECT, t, t, false));
    assertTrue(creating.contains("\"status\":\"waiting_protect\""), creating);
    assertTrue(creating.contains("\"progress\":0,") && creating.contains("\"progress_updated_at\":\"2017-04-18T01:21:52.701973\""),
        creating);
  }

  /** CsbsJson reading: four keys optional (version 1, times = update time); numbers as strings; empty copy_status etc.; unknown keys ignored; Error without reason. */
  @Test
  void anApiListBodyReadsWithItsDefaults() {
    String body = "{\"checkpoint_items\": [{\"status\": \"protecting\", \"id\": \"b-1\", \"name\": \"bk\", "
        + "\"resource_id\": \"s-1\", \"resource_type\": \"OS::Nova::Server\", \"created_at\": \"2018-01-01T00:00:00.5\", "
        + "\"updated_at\": \"2018-01-01T00:10:00.000001Z\", \"backup_data\": {\"ram\": \"2048\", \"vcpus\": \"2\", \"extra\": 1}, "
        + "\"extend_info\": {\"progress\": \"35\", \"size\": \"40\", \"resource_name\": \"ecs\", \"resource_az\": \"az1\", "
        + "\"copy_status\": \"\", \"supported_restore_mode\": \"\", \"finished_at\": \"\", \"fail_reason\": \"\", "
        + "\"volume_backups\": [{\"id\": \"v\"}], \"taskid\": \"t\", \"os_images_data\": []}, \"tags\": [{\"key\": \"env\"}]}, "
        + "{\"status\": \"error\", \"id\": \"b-2\", \"name\": \"bk2\", \"resource_id\": \"s-1\", "
        + "\"created_at\": \"2018-01-01T00:00:00\", \"updated_at\": \"2018-01-02T00:00:00\", "
        + "\"extend_info\": {\"resource_name\": \"ecs\", \"resource_az\": \"az1\", \"fail_reason\": \"\", \"fail_op\": \"backup\"}}],"
        + "\"checkpoint_items_links\": [{\"href\": \"https://x/v1/p/checkpoint_items?limit=2&marker=b-2\", \"rel\": \"next\"}]}";
    List<Backup> backups = JSON.readCheckpointItems(body, "p");
    Backup creating = backups.get(0);
    assertEquals(ApiStatus.PROTECTING, creating.apiStatus());
    assertEquals(Optional.of(Progress.of(35, Instant.parse("2018-01-01T00:10:00.000001Z"))), creating.progress());
    assertEquals(40, creating.sizeMb());
    assertEquals(1, creating.version());
    assertEquals(2048, creating.details().vm().ramMb());
    assertEquals(List.of(Tag.of("env", "")), creating.tags());
    assertEquals(Optional.empty(), creating.finishedAt());
    assertEquals(Instant.parse("2018-01-01T00:00:00.5Z"), creating.createdAt());
    Backup error = backups.get(1);
    assertEquals(Optional.of(Failure.of(JobType.BACKUP, "no reason reported", Instant.parse("2018-01-02T00:00:00Z"))), error.failure());
    assertEquals(Optional.of("b-2"), JSON.readNextMarker(body));
  }

  /** CsbsJson: refusals name "the key's path"; for a bare item (no checkpoint_item wrapper) the path is the key itself ("status"). */
  @Test
  void aBareDeletedItemNamesStatus() {
    String bare = "{\"status\": \"deleted\", \"id\": \"b\", \"name\": \"n\", \"resource_id\": \"s\", \"created_at\": \"2018-01-01T00:00:00\", "
        + "\"extend_info\": {\"resource_name\": \"ecs\", \"resource_az\": \"az1\"}}";
    assertEquals("status", assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(bare, "p")).field());
  }

  /** CsbsJson: a missing key is refused naming its path; a bare item without extend_info names extend_info.resource_name. */
  @Test
  void aBareItemWithoutExtendInfoNamesTheMissingKey() {
    String bare = "{\"status\": \"available\", \"id\": \"b\", \"name\": \"n\", \"resource_id\": \"s\", \"created_at\": \"2018-01-01T00:00:00\"}";
    assertEquals("extend_info.resource_name", assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(bare, "p")).field());
    String wrapped = "{\"checkpoint_item\": " + bare + "}";
    assertEquals("checkpoint_item.extend_info.resource_name",
        assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(wrapped, "p")).field());
  }

  /** CsbsJson#checkpointItems: href is the request with marker set (any offset removed); a request without a query gets one. */
  @Test
  void nextHrefOfARequestWithoutQueryAndWithOnlyOffset() {
    Backup b = extreme(ApiStatus.AVAILABLE, Instant.EPOCH, Instant.EPOCH, false);
    Page page = new Page(List.of(b), 5, true);
    String plain = JSON.checkpointItems(page, URI.create("http://h:1/v1/p/checkpoint_items"));
    assertTrue(plain.contains("\"href\":\"http://h:1/v1/p/checkpoint_items?marker="), plain);
    assertEquals(Optional.of(b.id()), JSON.readNextMarker(plain));
    String offset = JSON.checkpointItems(page, URI.create("/v1/p/checkpoint_items?offset=3"));
    assertTrue(offset.contains("\"href\":\"/v1/p/checkpoint_items?marker="), offset);
    assertEquals(Optional.of(b.id()), JSON.readNextMarker(offset));
  }

  /** CsbsJson#quotas: "the capacity used is in GB with two decimals" (half up), -1 no limit. */
  @Test
  void quotaCapacityHasTwoDecimals() {
    assertEquals("{\"quotas\":{\"resources\":[{\"type\":\"backups\",\"quota\":-1,\"used\":1},"
        + "{\"type\":\"backup_capacity\",\"unit\":\"GB\",\"quota\":-1,\"used\":1.50}]}}",
        JSON.quotas(new QuotaUsage(Quota.NONE, 1, 1531)));
    assertEquals("{\"quotas\":{\"resources\":[{\"type\":\"backups\",\"quota\":0,\"used\":0},"
        + "{\"type\":\"backup_capacity\",\"unit\":\"GB\",\"quota\":0,\"used\":0.00}]}}",
        JSON.quotas(new QuotaUsage(Quota.of(0, 0), 0, 0)));
  }

  /** CsbsJson#readTagFilter: limit and offset "numbers or strings"; wrong types refused naming the key's path. */
  @Test
  void tagFilterTypesAndPaths() {
    TagFilter f = JSON.readTagFilter("{\"action\": \"filter\", \"limit\": \"100\", \"offset\": \"1\", "
        + "\"matches\": [{\"key\": \"resource_name\", \"value\": \"ecs\"}]}");
    assertEquals(TagFilter.Action.FILTER, f.action());
    assertEquals("limit", assertThrows(InvalidValueException.class,
        () -> JSON.readTagFilter("{\"action\": \"filter\", \"limit\": true}")).field());
    assertEquals("matches[0].value", assertThrows(InvalidValueException.class,
        () -> JSON.readTagFilter("{\"action\": \"filter\", \"matches\": [{\"key\": \"resource_name\", \"value\": 5}]}")).field());
    assertEquals("tags", assertThrows(InvalidValueException.class,
        () -> JSON.readTagFilter("{\"action\": \"filter\", \"tags\": {}}")).field());
    assertEquals("tags[0]", assertThrows(InvalidValueException.class,
        () -> JSON.readTagFilter("{\"action\": \"filter\", \"tags\": [\"env\"]}")).field());
  }

  /** CsbsJson#readTagUpdate/readTag: keys repeated in an object refused naming the path; an empty value is a tag. */
  @Test
  void tagBodies() {
    assertEquals("tag.key", assertThrows(InvalidValueException.class,
        () -> JSON.readTag("{\"tag\": {\"key\": \"a\", \"key\": \"b\", \"value\": \"\"}}")).field());
    assertEquals("tags[0].key", assertThrows(InvalidValueException.class,
        () -> JSON.readTagUpdate("{\"action\": \"delete\", \"tags\": [{\"value\": \"x\"}]}")).field());
    assertEquals(JSON.readTag("{\"tag\": {\"key\": \" k \", \"value\": \"\"}}"),
        JSON.readTagUpdate("{\"action\": \"create\", \"tags\": [{\"key\": \"k\", \"value\": \"\"}]}"));
  }
}
