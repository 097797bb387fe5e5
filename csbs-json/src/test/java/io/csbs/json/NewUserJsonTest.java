package io.csbs.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A new user's checks of csbs-json against README ("The API's JSON: csbs-json") and CsbsJson's javadoc,
 * on own random backups (not the testkit's generator): unicode, JSON escapes, nanosecond times, far
 * instants, every status. Replay a seed with -Dcsbs.newuser.seed=N.
 */
class NewUserJsonTest {
  private static final CsbsJson JSON = CsbsJson.create();

  static long seed() {
    String given = System.getProperty("csbs.newuser.seed");
    return given != null ? Long.parseLong(given) : System.nanoTime();
  }

  // ------------------------------------------------------------------ a random backup of odd shapes

  static final String[] TEXT_PIECES = {"a", "Z", "0", "-", "_", " ", "\"", "\\", "/", "\n", "\t", "\r", "\u0000",
      "\u0001", "\u001f", "\u007f", "é", "ß", "Ж", "中", "\u2028", "\uD83D\uDE00", "\uD835\uDC9C", "'", "<", "&", "%",
      "+", "=", "?", "#"};
  static final String[] WORD_PIECES = {"a", "B", "z", "Q", "0", "9", "_", "-", "é", "É", "ß", "Ж", "ж", "中", "ǅ",
      "\uD835\uDC9C" /* MATHEMATICAL SCRIPT CAPITAL A, a letter beyond the BMP */, "\uD840\uDC00" /* CJK ext B */, "٣"};

  static String text(SplittableRandom r, int min, int max, String[] pieces) {
    StringBuilder s = new StringBuilder();
    int target = min + r.nextInt(max - min + 1);
    while (s.length() < target) {
      String p = pieces[r.nextInt(pieces.length)];
      if (s.length() + p.length() > max) {
        p = "x";
      }
      s.append(p);
    }
    return s.toString();
  }

  static String nonBlank(SplittableRandom r, int max) {
    String t = text(r, 1, max, TEXT_PIECES);
    return t.isBlank() ? "x" + t.substring(1) : t;
  }

  static String word(SplittableRandom r, int min, int max) {
    return text(r, min, max, WORD_PIECES);
  }

  static Instant time(SplittableRandom r) {
    long second;
    switch (r.nextInt(6)) {
      case 0: second = r.nextLong(-62_135_596_800L, 253_402_300_799L); break;          // 0001..9999
      case 1: second = r.nextLong(253_402_300_800L, 300_000_000_000L); break;          // +10000...
      case 2: second = r.nextLong(-100_000_000_000L, -62_135_596_800L); break;         // BC years
      case 3: second = r.nextLong(-31_557_014_167_219_200L + 1, -100_000_000_000L); break; // very old
      case 4: second = r.nextLong(300_000_000_000L, 31_556_889_864_403_199L - 10_000_000); break; // far future
      default: second = r.nextLong(1_400_000_000L, 1_900_000_000L);                    // now-ish
    }
    int nano;
    switch (r.nextInt(5)) {
      case 0: nano = 0; break;
      case 1: nano = r.nextInt(1_000_000) * 1000; break;
      case 2: nano = r.nextInt(1000) * 1_000_000; break;
      case 3: nano = 1 + r.nextInt(999); break;
      default: nano = r.nextInt(1_000_000_000);
    }
    return Instant.ofEpochSecond(second, nano);
  }

  static Instant after(SplittableRandom r, Instant t) {
    switch (r.nextInt(4)) {
      case 0: return t;
      case 1: return t.plusNanos(1 + r.nextInt(1000));
      case 2: return t.plusSeconds(r.nextInt(1_000_000)).plusNanos(r.nextInt(1_000_000_000));
      default: return t.plus(Duration.ofDays(r.nextInt(100_000)));
    }
  }

  static Backup backup(SplittableRandom r, String projectId, int index) {
    BackupStatus status = BackupStatus.values()[r.nextInt(BackupStatus.values().length)];
    List<ApiStatus> raw = new ArrayList<>();
    for (ApiStatus s : ApiStatus.values()) {
      if (s.state().isPresent() && s.state().get() == status) {
        raw.add(s);
      }
    }
    Instant created = time(r);
    Instant updated = after(r, created);
    BackupTrigger trigger = r.nextBoolean() ? BackupTrigger.AUTOMATIC : BackupTrigger.MANUAL;
    String id = index + ":" + nonBlank(r, 60);
    Backup.Builder b = Backup.builder()
        .id(id.length() > 64 ? id.substring(0, 64) : id)
        .name(word(r, 1, r.nextInt(10) == 0 ? 255 : 30))
        .projectId(projectId)
        .server(Server.builder().id(nonBlank(r, 64)).name(nonBlank(r, r.nextInt(10) == 0 ? 255 : 20))
            .resourceType(r.nextInt(4) == 0 ? nonBlank(r, 30) : Server.NOVA_SERVER)
            .availabilityZone(nonBlank(r, 20)).build())
        .status(status)
        .apiStatus(raw.get(r.nextInt(raw.size())))
        .type(r.nextBoolean() ? BackupType.ENHANCED : BackupType.COMMON)
        .trigger(trigger)
        .sizeMb(new long[] {0, 1, Backup.MAX_SIZE_MB, r.nextLong(Backup.MAX_SIZE_MB + 1)}[r.nextInt(4)])
        .createdAt(created)
        .updatedAt(updated)
        .version(new long[] {1, 2, Long.MAX_VALUE, 1 + r.nextLong(Long.MAX_VALUE - 1)}[r.nextInt(4)]);
    if (r.nextBoolean()) {
      b.description(r.nextInt(5) == 0 ? "" : text(r, 0, 255, TEXT_PIECES));
    }
    if (trigger == BackupTrigger.AUTOMATIC && r.nextBoolean()) {
      b.policyId(nonBlank(r, 64));
    }
    if (r.nextBoolean()) {
      b.finishedAt(after(r, created));
    }
    if (status.isIntermediate()) {
      b.progress(Progress.of(r.nextInt(101), r.nextBoolean() ? updated : after(r, created)));
    }
    if (status == BackupStatus.ERROR || (status == BackupStatus.DELETING && r.nextBoolean())) {
      b.failure(Failure.of(JobType.values()[r.nextInt(3)], nonBlank(r, r.nextInt(10) == 0 ? 1024 : 40),
          r.nextBoolean() ? updated : after(r, created)));
    }
    int tags = r.nextInt(4) == 0 ? 0 : r.nextInt(11);
    List<String> keys = new ArrayList<>();
    while (keys.size() < tags) {
      String key = word(r, 1, 36);
      if (!keys.contains(key)) {
        keys.add(key);
        b.addTags(Tag.of(key, r.nextInt(5) == 0 ? "" : word(r, 1, 43)));
      }
    }
    if (r.nextBoolean()) {
      BackupDetails.Builder d = BackupDetails.builder()
          .incremental(r.nextBoolean())
          .restoreMode(RestoreMode.values()[r.nextInt(RestoreMode.values().length)])
          .copyStatus(CopyStatus.values()[r.nextInt(CopyStatus.values().length)])
          .spaceSavingRatio(r.nextInt(101))
          .averageSpeedKbps(r.nextBoolean() ? Long.MAX_VALUE : r.nextLong(1_000_000));
      if (r.nextBoolean()) {
        d.checkpointId(nonBlank(r, 64));
      }
      if (r.nextBoolean()) {
        d.failCode(new FailCode(r.nextBoolean() ? Long.MIN_VALUE : r.nextLong(), text(r, 0, 100, TEXT_PIECES)));
      }
      if (r.nextBoolean()) {
        d.vm(VmMetadata.builder().regionName(text(r, 0, 64, TEXT_PIECES)).cloudServiceType(text(r, 0, 20, TEXT_PIECES))
            .diskGb(r.nextBoolean() ? Integer.MAX_VALUE : r.nextInt(1000)).imageType(text(r, 0, 10, TEXT_PIECES))
            .ramMb(r.nextInt(1 << 20)).vcpus(r.nextInt(128)).eip(text(r, 0, 15, TEXT_PIECES))
            .privateIp(text(r, 0, 15, TEXT_PIECES)).build());
      }
      b.details(d.build());
    }
    return b.build();
  }

  // ------------------------------------------------------------------ round trips

  @Test
  void everyOddBackupSurvivesDetailsAndListResponses() {
    long seed = seed();
    try {
      SplittableRandom r = new SplittableRandom(seed);
      List<Backup> all = new ArrayList<>();
      for (int i = 0; i < 3000; i++) {
        Backup backup = backup(r, "projekt-Ü-" + (i % 3), i);
        String item = JSON.checkpointItem(backup);
        assertEquals(backup, JSON.readCheckpointItem(item, backup.projectId()), item);
        if (backup.projectId().endsWith("0")) {
          all.add(backup);
        }
      }
      String list = JSON.checkpointItems(new Page(all, all.size() + 5, true), URI.create("/v1/p/checkpoint_items?limit=5"));
      assertEquals(all, JSON.readCheckpointItems(list, "projekt-Ü-0"));
      assertEquals(all.get(all.size() - 1).id(), JSON.readNextMarker(list).orElseThrow());
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed " + seed + " (replay: -Dcsbs.newuser.seed=" + seed + ")", e);
    }
  }

  @Test
  void oneOfEachStatusAndRawStatusSurvives() {
    SplittableRandom r = new SplittableRandom(7);
    for (ApiStatus raw : ApiStatus.values()) {
      if (raw == ApiStatus.DELETED) {
        continue;
      }
      for (int i = 0; i < 200; i++) {
        Backup backup = backup(r, "p", i);
        if (backup.apiStatus() == raw) {
          assertEquals(backup, JSON.readCheckpointItem(JSON.checkpointItem(backup), "p"));
        }
      }
    }
  }

  // ------------------------------------------------------------------ times

  static Backup at(Instant created) {
    return Backup.builder().id("b").name("n").projectId("p").server(Server.of("s", "srv", "az"))
        .status(BackupStatus.AVAILABLE).sizeMb(0).createdAt(created).build();
  }

  static String createdAtText(String json) {
    java.util.regex.Matcher m = Pattern.compile("\"created_at\":\"([^\"]*)\"").matcher(json);
    assertTrue(m.find(), json);
    return m.group(1);
  }

  @Test
  void timesAreUtcWithoutZoneWithMicrosecondsAndFinerDigitsOnlyWhenNeeded() {
    assertEquals("2017-04-18T01:21:52.701973", createdAtText(JSON.checkpointItem(at(Instant.parse("2017-04-18T01:21:52.701973Z")))));
    assertEquals("2017-04-18T01:21:52.000000", createdAtText(JSON.checkpointItem(at(Instant.parse("2017-04-18T01:21:52Z")))));
    assertEquals("2017-04-18T01:21:52.700000", createdAtText(JSON.checkpointItem(at(Instant.parse("2017-04-18T01:21:52.7Z")))));
    assertEquals("2017-04-18T01:21:52.7019731", createdAtText(JSON.checkpointItem(at(Instant.parse("2017-04-18T01:21:52.7019731Z")))));
    assertEquals("2017-04-18T01:21:52.000000001", createdAtText(JSON.checkpointItem(at(Instant.parse("2017-04-18T01:21:52.000000001Z")))));
    assertEquals("1970-01-01T00:00:00.000000", createdAtText(JSON.checkpointItem(at(Instant.EPOCH))));
    // readers accept a trailing Z, and 0 to 9 digits
    String item = JSON.checkpointItem(at(Instant.parse("2017-04-18T01:21:52.701973Z")));
    assertEquals(Instant.parse("2017-04-18T01:21:52.701973Z"),
        JSON.readCheckpointItem(item.replace("52.701973\"", "52.701973Z\""), "p").createdAt());
    assertEquals(Instant.parse("2017-04-18T01:21:52Z"),
        JSON.readCheckpointItem(item.replace("52.701973\"", "52\""), "p").createdAt());
  }

  @Test
  void farInstantsSurvive() {
    for (String t : new String[] {"0001-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "-0001-12-31T23:59:59.999999999Z",
        "-999999999-01-01T00:00:00Z", "+999999999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z",
        "+10000-01-01T00:00:00.000001Z"}) {
      Backup backup = at(Instant.parse(t));
      assertEquals(backup, JSON.readCheckpointItem(JSON.checkpointItem(backup), "p"), t);
    }
  }

  /**
   * A backup whose time is Instant.MAX or Instant.MIN (valid backups: the builder accepts any instant)
   * is written and read back equal, as README promises (no LocalDateTime holds those years).
   */
  @Test
  void instantMaxAndMinAreWrittenAndReadBack() {
    for (Instant t : new Instant[] {Instant.MAX, Instant.MIN}) {
      Backup backup = at(t);
      assertEquals(backup, JSON.readCheckpointItem(JSON.checkpointItem(backup), "p"), t.toString());
    }
  }

  // ------------------------------------------------------------------ refusals naming the key's path

  static String item() {
    Backup backup = Backup.builder().id("b-1").name("n").projectId("p").server(Server.of("s", "srv", "az"))
        .status(BackupStatus.CREATING).progress(Progress.of(10, Instant.parse("2020-01-01T00:00:00Z")))
        .sizeMb(5).createdAt(Instant.parse("2020-01-01T00:00:00Z")).addTags(Tag.of("k1", "v1"), Tag.of("k2", "v2"))
        .build();
    return JSON.checkpointItem(backup);
  }

  static InvalidValueException refused(String body) {
    return assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(body, "p"), body);
  }

  @Test
  void badBodiesAreRefusedNamingTheKeysPath() {
    String item = item();
    assertEquals("checkpoint_item.extend_info.progress",
        refused(item.replace("\"progress\":10", "\"progress\":\"ten\"")).field());
    assertEquals("checkpoint_item.extend_info.progress",
        refused(item.replace("\"progress\":10", "\"progress\":101")).field());
    assertEquals("checkpoint_item.extend_info.progress",
        refused(item.replace("\"progress\":10", "\"progress\":10.5")).field());
    assertEquals("checkpoint_item.extend_info.progress",
        refused(item.replace("\"progress\":10", "\"progress\":10,\"progress\":11")).field());
    assertEquals("checkpoint_item.extend_info.size",
        refused(item.replace("\"size\":5", "\"size\":-1")).field());
    assertEquals("checkpoint_item.extend_info.size",
        refused(item.replace("\"size\":5", "\"size\":true")).field());
    assertEquals("checkpoint_item.created_at",
        refused(item.replace("\"created_at\":\"2020-01-01T00:00:00.000000\"", "\"created_at\":\"yesterday\"")).field());
    assertEquals("checkpoint_item.created_at",
        refused(item.replace("\"created_at\":\"2020-01-01T00:00:00.000000\"", "\"created_at\":12")).field());
    assertEquals("checkpoint_item.id", refused(item.replace("\"id\":\"b-1\"", "\"id\":null")).field());
    assertEquals("checkpoint_item.tags[1].key", refused(item.replace("\"key\":\"k2\"", "\"key\":7")).field());
    assertEquals("checkpoint_item.extend_info.resource_name",
        refused(item.replace("\"resource_name\":\"srv\"", "\"resource_name\":[]")).field());
    assertEquals("body", refused("not json").field());
    assertEquals("body", refused("").field());
    assertEquals("body", refused(item + "{}").field());
    assertEquals("body", refused("[1]").field());
  }

  /**
   * A value that breaks a rule of the backup is refused naming the key's path in the body
   * ({@code checkpoint_item.status}, {@code checkpoint_items[1].name}), as CsbsJson's javadoc says, not
   * the core's field ({@code status}, {@code server name}, {@code tag value}).
   */
  @Test
  void ruleBreakingValuesNameTheKeysPath() {
    String item = item();
    String[][] cases = {
        {"\"status\":\"protecting\"", "\"status\":\"paused\"", "checkpoint_item.status"},
        {"\"name\":\"n\"", "\"name\":\"n n\"", "checkpoint_item.name"},
        {"\"id\":\"b-1\"", "\"id\":\" \"", "checkpoint_item.id"},
        {"\"value\":\"v2\"", "\"value\":\"v 2\"", "checkpoint_item.tags[1].value"},
        {"\"key\":\"k2\"", "\"key\":\"k1\"", "checkpoint_item.tags"},
        {"\"resource_name\":\"srv\"", "\"resource_name\":\" \"", "checkpoint_item.extend_info.resource_name"},
        {"\"copy_status\":\"na\"", "\"copy_status\":\"NA\"", "checkpoint_item.extend_info.copy_status"},
        {"\"updated_at\":\"2020-01-01T00:00:00.000000\"", "\"updated_at\":\"2019-01-01T00:00:00\"",
            "checkpoint_item.updated_at"},
    };
    List<String> wrong = new ArrayList<>();
    for (String[] c : cases) {
      assertTrue(item.contains(c[0]), c[0]);
      String field = refused(item.replace(c[0], c[1])).field();
      if (!field.equals(c[2])) {
        wrong.add(c[2] + " named as '" + field + "'");
      }
    }
    String list = "{\"checkpoint_items\": [" + item.substring("{\"checkpoint_item\":".length(), item.length() - 1) + ", "
        + item.substring("{\"checkpoint_item\":".length(), item.length() - 1).replace("\"name\":\"n\"", "\"name\":\"n n\"") + "]}";
    String field = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItems(list, "p")).field();
    if (!field.equals("checkpoint_items[1].name")) {
      wrong.add("checkpoint_items[1].name named as '" + field + "'");
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  void errorBodyOfARefusal() {
    InvalidValueException e = refused(item().replace("\"progress\":10", "\"progress\":\"ten\""));
    String body = JSON.error(e);
    assertTrue(body.startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\""), body);
    assertTrue(body.contains("checkpoint_item.extend_info.progress"), body);
    assertEquals("{\"error_code\":\"CSBS.7001\",\"error_msg\":\"a \\\"quoted\\\" \\\\ \\n\"}",
        JSON.error("CSBS.7001", "a \"quoted\" \\ \n"));
  }

  /** A number with a huge exponent is refused at once (no 10^999999999 computed). */
  @Test
  void aHugeExponentIsRefusedPromptly() {
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCount("{\"count\": 1e999999999}"));
      assertEquals("count", e.field());
    });
  }

  @Test
  void countAndTagBodies() {
    assertEquals(42, JSON.readCount(JSON.count(42)));
    assertEquals(42, JSON.readCount("{\"count\": \"42\"}"));
    assertEquals("count", assertThrows(InvalidValueException.class, () -> JSON.readCount("{\"count\": -1}")).field());
    assertEquals("count", assertThrows(InvalidValueException.class, () -> JSON.readCount("{}")).field());
    assertEquals("count", assertThrows(InvalidValueException.class, () -> JSON.readCount("{\"count\": 1.5}")).field());
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readTagFilter(
        "{\"action\": \"filter\", \"tags\": [{\"key\": \"env\", \"values\": [\"prod\", 3]}]}"));
    assertEquals("tags[0].values[1]", e.field());
    e = assertThrows(InvalidValueException.class, () -> JSON.readTagFilter(
        "{\"action\": \"filter\", \"tags_any\": [{\"key\": 5, \"values\": []}]}"));
    assertEquals("tags_any[0].key", e.field());
    e = assertThrows(InvalidValueException.class, () -> JSON.readTagUpdate(
        "{\"action\": \"create\", \"tags\": [{\"key\": \"a\", \"value\": \"b\"}, {\"key\": \"c\", \"value\": false}]}"));
    assertEquals("tags[1].value", e.field());
    e = assertThrows(InvalidValueException.class, () -> JSON.readRestore(
        "{\"restore\": {\"provider_id\": \"x\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \" \"}}}"));
    assertEquals("restore.parameters.checkpoint_item_id", e.field());
    e = assertThrows(InvalidValueException.class, () -> JSON.readRestore(
        "{\"restore\": {\"provider_id\": \"x\", \"checkpoint_id\": \"c\", \"parameters\": {\"checkpoint_item_id\": \"b\", \"power_on\": \"yes\"}}}"));
    assertEquals("restore.parameters.power_on", e.field());
    RestoreRequest restore = JSON.readRestore("{\"restore\": {\"provider_id\": \"x\", \"checkpoint_id\": \"c\", "
        + "\"parameters\": {\"checkpoint_item_id\": \"b-\\\"é\\\"\", \"targets\": {\"server_id\": \"s\", \"volumes\": [1, {\"a\": null}]}}}}");
    assertEquals("b-\"é\"", restore.checkpointItemId());
    String accepted = JSON.restoreAccepted(restore, "r-1", "p");
    assertTrue(accepted.contains("\"targets\":{\"server_id\":\"s\",\"volumes\":[1,{\"a\":null}]}"), accepted);
  }

  @Test
  void nextLinkOfUnicodeAndReservedMarkers() {
    SplittableRandom r = new SplittableRandom(seed());
    for (int i = 0; i < 200; i++) {
      Backup backup = backup(r, "p", i);
      String query = "name=%C3%A9t%C3%A9&limit=1" + (i % 2 == 0 ? "&offset=3" : "&marker=old");
      String list = JSON.checkpointItems(new Page(List.of(backup), 10, true), URI.create("/v1/p/checkpoint_items?" + query));
      assertEquals(backup.id(), JSON.readNextMarker(list).orElseThrow(), list);
      assertTrue(list.contains("?name=%C3%A9t%C3%A9&limit=1&marker="), list);
      assertTrue(!list.contains("offset=") && !list.contains("marker=old"), list);
    }
  }
}
