package io.csbs.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
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
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageReport;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A new user's black-box checks of CsbsJson's readers and writers (README "The API's JSON: csbs-json",
 * CsbsJson's and RestoreRequest's javadoc), as a service reading and writing the API's bodies, on own
 * data. Findings are @Disabled tests asserting the documented behaviour, each with an enabled sibling
 * ("actually...") asserting what happens.
 */
class NewUserJsonReadersTest {
  private static final CsbsJson JSON = CsbsJson.create();
  private static final Instant T0 = Instant.parse("2021-03-04T05:06:07.123456Z");

  // ============================================================== helpers

  /** A strict plain JSON reader (jackson-core): objects as ordered maps, repeated keys refused, numbers as BigDecimal. */
  private static final JsonFactory STRICT = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  static Object parse(String json) {
    try (JsonParser p = STRICT.createParser(json)) {
      Object v = value(p, p.nextToken());
      assertEquals(null, p.nextToken(), "one value: " + json);
      return v;
    } catch (java.io.IOException e) {
      throw new AssertionError("not strict JSON: " + json, e);
    }
  }

  private static Object value(JsonParser p, JsonToken t) throws java.io.IOException {
    switch (t) {
      case START_OBJECT: {
        Map<String, Object> m = new LinkedHashMap<>();
        for (JsonToken n = p.nextToken(); n != JsonToken.END_OBJECT; n = p.nextToken()) {
          String k = p.currentName();
          m.put(k, value(p, p.nextToken()));
        }
        return m;
      }
      case START_ARRAY: {
        List<Object> l = new ArrayList<>();
        for (JsonToken n = p.nextToken(); n != JsonToken.END_ARRAY; n = p.nextToken()) {
          l.add(value(p, n));
        }
        return l;
      }
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return new BigDecimal(p.getText());
      case VALUE_TRUE:
        return true;
      case VALUE_FALSE:
        return false;
      default:
        return null;
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> obj(Object o) {
    assertTrue(o instanceof Map, String.valueOf(o));
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> arr(Object o) {
    assertTrue(o instanceof List, String.valueOf(o));
    return (List<Object>) o;
  }

  static InvalidValueException refused(String path, Executable call) {
    InvalidValueException e = assertThrows(InvalidValueException.class, call, path);
    assertEquals(path, e.field(), e.getMessage());
    return e;
  }

  static Backup.Builder base(String id) {
    return Backup.builder().id(id).name("bk").projectId("p").server(Server.of("s-1", "ecs", "az-1"))
        .status(BackupStatus.AVAILABLE).createdAt(T0);
  }

  static String item() {
    return JSON.checkpointItem(base("b-1").version(7).sizeMb(5).build());
  }

  static String withTimes(String t) {
    return "{\"checkpoint_item\":{\"id\":\"b\",\"name\":\"n\",\"status\":\"available\",\"resource_id\":\"s\","
        + "\"created_at\":\"" + t + "\",\"updated_at\":\"" + t + "\",\"extend_info\":{\"resource_name\":\"r\",\"resource_az\":\"az\"}}}";
  }

  // ============================================================== findings

  @Test
  void actuallyANumberOfMoreThanAThousandDigitsIsRefusedNamingBody() {
    String digits = "9".repeat(1001);
    InvalidValueException e = refused("body", () -> JSON.readCount("{\"count\":" + digits + "}"));
    assertTrue(e.getMessage().contains("getMaxNumberLength"), e.getMessage());
    // even 1.000...0 (= 1, a whole number as the docs allow) and in a key the reader ignores
    refused("body", () -> JSON.readCount("{\"count\":1." + "0".repeat(1000) + "}"));
    refused("body", () -> JSON.readCount("{\"count\":1,\"ignored\":" + digits + "}"));
    // 1,000 digits are still judged by the key
    refused("count", () -> JSON.readCount("{\"count\":" + "9".repeat(1000) + "}"));
  }

  @Test
  void actuallyDeepOrLongNamedUnknownKeysRefuseTheBodyNamingBody() {
    String item = item();
    String deep999 = "[".repeat(990) + "]".repeat(990);
    assertEquals(7, JSON.readCheckpointItem(item.replace("\"size\":5", "\"size\":5,\"taskid\":" + deep999), "p").version());
    String deep = "[".repeat(1001) + "]".repeat(1001);
    refused("body", () -> JSON.readCheckpointItem(item.replace("\"size\":5", "\"size\":5,\"taskid\":" + deep), "p"));
    refused("body", () -> JSON.readCheckpointItem(item.replace("\"size\":5", "\"size\":5,\"" + "k".repeat(50_001) + "\":1"), "p"));
    // very deep bodies are refused, never a StackOverflowError
    String veryDeep = "{\"count\":1,\"x\":" + "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000) + "}";
    refused("body", () -> JSON.readCount(veryDeep));
  }

  /**
   * BUG. CsbsJson:88-90 "Readers accept 0 to 9 digits of fraction and a trailing Z, and nothing
   * looser" and README "a year outside 1000-9999 is written as java.time writes it: 0999-..., +10000-...":
   * a year of 1000-9999 given with a sign and a leading zero (+01000-..., +02017-...), a form csbs never
   * writes and the strict formatter refuses as +2017-..., is read as 1000 and 2017.
   */
  @Test
  void aSignedPaddedFourDigitYearIsRefused() {
    for (String t : new String[] {"+01000-01-01T00:00:00", "+02017-04-18T01:21:52", "+09999-12-31T23:59:59.5Z", "-00001-01-01T00:00:00"}) {
      refused("checkpoint_item.created_at", () -> JSON.readCheckpointItem(withTimes(t), "p"));
    }
  }

  /**
   * BUG. CsbsJson#readNextMarker (CsbsJson:210) 'the value of marker in the next link's href'; CsbsJson's own
   * nextHref reads a parameter's name decoded, "as the list's parser reads it (%6Darker is marker)",
   * and ListQueryString reads ?%6Darker=a as the marker a; readNextMarker finds no marker there.
   */
  @Test
  void readNextMarkerReadsAPercentEncodedMarkerName() {
    assertEquals(Optional.of("a"), ListQueryString.parse("%6Darker=a").marker());
    assertEquals(Optional.of("a"), JSON.readNextMarker(
        "{\"checkpoint_items\":[],\"checkpoint_items_links\":[{\"href\":\"/v1/p/checkpoint_items?%6Darker=a\",\"rel\":\"next\"}]}"));
  }

  @Test
  void actuallyATagQueryEntryWithoutValuesMeansAnyValue() {
    TagFilter any = TagFilter.builder().tags("env").action(TagFilter.Action.FILTER).build();
    assertEquals(any, JSON.readTagFilter("{\"action\":\"filter\",\"tags\":[{\"key\":\"env\",\"value\":\"prod\"}]}"));
    assertEquals(any, JSON.readTagFilter("{\"action\":\"filter\",\"tags\":[{\"key\":\"env\",\"values\":null}]}"));
    assertEquals(any, JSON.readTagFilter("{\"action\":\"filter\",\"tags\":[{\"key\":\"env\",\"values\":[]}]}"));
  }

  // ============================================================== random odd backups, round trips

  static final String[] PIECES = {"a", "Z", "9", " ", "\"", "\\", "/", "\n", "\t", "\u0000", "\u001f", "\u007f", "é", "ß", "Ж",
      "中", "\u2028", "\u2029", "\uFEFF", "\uFFFF", "\uD83D\uDE00", "\uD800", "\uDFFF", "<", "&", "%", "+", "#", "?", "'", "}", "]"};
  static final String[] WORD = {"a", "Z", "0", "_", "-", "é", "Ж", "中", "\uD835\uDC9C", "٣"};

  static String text(Random r, int min, int max, String[] pieces) {
    StringBuilder s = new StringBuilder();
    int target = min + r.nextInt(max - min + 1);
    while (s.length() < target) {
      String p = pieces[r.nextInt(pieces.length)];
      s.append(s.length() + p.length() > max ? "x" : p);
    }
    return s.toString();
  }

  static String nonBlank(Random r, int max) {
    return "x" + text(r, 0, max - 1, PIECES);
  }

  static Instant time(Random r) {
    switch (r.nextInt(5)) {
      case 0: return Instant.ofEpochSecond(r.nextInt(2_000_000_000), r.nextInt(1_000_000_000));
      case 1: return Instant.ofEpochSecond(r.nextInt(2_000_000_000), r.nextInt(1_000_000) * 1000L);
      case 2: return Instant.ofEpochSecond(r.nextInt(2_000_000_000));
      case 3: return Instant.parse(new String[] {"0999-12-31T23:59:59.999999999Z", "+10000-01-01T00:00:00Z", "-0001-06-30T12:00:00.000001Z",
          "1000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00.1Z"}[r.nextInt(6)]);
      default: return T0.plusNanos(r.nextInt(1000));
    }
  }

  static Instant notBefore(Random r, Instant t) {
    return r.nextBoolean() ? t : t.plusNanos(1 + (r.nextLong() & 0xFFFF_FFFF_FFFFL));
  }

  /** A random valid backup of odd values in every field; null when the random choices break a rule (then another is drawn). */
  static Backup randomBackup(Random r, int n) {
    try {
      BackupStatus status = BackupStatus.values()[r.nextInt(BackupStatus.values().length)];
      Instant created = time(r);
      Backup.Builder b = Backup.builder()
          .id(r.nextInt(5) == 0 ? "b-" + n : nonBlank(r, 64) + n)
          .name(text(r, 1, r.nextInt(10) == 0 ? 255 : 20, WORD))
          .projectId(r.nextBoolean() ? "p" : nonBlank(r, 64))
          .server(Server.of(nonBlank(r, 64), nonBlank(r, r.nextInt(10) == 0 ? 255 : 20), nonBlank(r, 64)))
          .status(status)
          .type(BackupType.values()[r.nextInt(2)])
          .sizeMb(new long[] {0, 1, Backup.MAX_SIZE_MB, r.nextInt(1 << 30)}[r.nextInt(4)])
          .createdAt(created)
          .updatedAt(notBefore(r, created))
          .version(new long[] {1, 2, Long.MAX_VALUE, 1 + (r.nextLong() & (Long.MAX_VALUE - 1))}[r.nextInt(4)]);
      BackupTrigger trigger = BackupTrigger.values()[r.nextInt(BackupTrigger.values().length)];
      b.trigger(trigger);
      if (trigger != BackupTrigger.MANUAL && r.nextBoolean()) {
        b.policyId(nonBlank(r, 64));
      }
      List<ApiStatus> raws = new ArrayList<>();
      for (ApiStatus a : ApiStatus.values()) {
        if (a.state().equals(Optional.of(status))) {
          raws.add(a);
        }
      }
      if (!raws.isEmpty() && r.nextBoolean()) {
        b.apiStatus(raws.get(r.nextInt(raws.size())));
      }
      if (r.nextBoolean()) {
        b.description(r.nextInt(5) == 0 ? "" : text(r, 0, 255, PIECES));
      }
      if (r.nextBoolean()) {
        b.finishedAt(notBefore(r, created));
      }
      if (status.isIntermediate()) {
        b.progress(Progress.of(new int[] {0, 100, r.nextInt(101)}[r.nextInt(3)], notBefore(r, created)));
      }
      if (status == BackupStatus.ERROR || (status == BackupStatus.DELETING && r.nextBoolean())) {
        b.failure(Failure.of(JobType.values()[r.nextInt(JobType.values().length)],
            r.nextInt(8) == 0 ? "y".repeat(Failure.MAX_REASON_LENGTH) : nonBlank(r, 30), notBefore(r, created)));
      }
      int tags = new int[] {0, 1, Backup.MAX_TAGS, r.nextInt(Backup.MAX_TAGS + 1)}[r.nextInt(4)];
      Set<String> keys = new LinkedHashSet<>();
      while (keys.size() < tags) {
        String key = "k" + text(r, 0, Tag.MAX_KEY_LENGTH - 1, WORD);
        if (keys.add(key)) {
          b.addTags(Tag.of(key, r.nextInt(4) == 0 ? "" : text(r, 1, Tag.MAX_VALUE_LENGTH, WORD)));
        }
      }
      if (r.nextInt(3) > 0) {
        BackupDetails.Builder d = BackupDetails.builder();
        if (r.nextBoolean()) {
          d.checkpointId(nonBlank(r, 64));
        }
        if (r.nextBoolean()) {
          d.vm(new VmMetadata(text(r, 0, 64, PIECES), text(r, 0, 64, PIECES), r.nextBoolean() ? Integer.MAX_VALUE : r.nextInt(10),
              text(r, 0, 64, PIECES), r.nextInt(Integer.MAX_VALUE), r.nextInt(3), text(r, 0, 64, PIECES), text(r, 0, 64, PIECES)));
        }
        if (r.nextBoolean()) {
          d.incremental(r.nextBoolean());
        }
        if (r.nextBoolean()) {
          d.restoreMode(RestoreMode.values()[r.nextInt(RestoreMode.values().length)]);
        }
        if (r.nextBoolean()) {
          d.copyStatus(CopyStatus.values()[r.nextInt(CopyStatus.values().length)]);
        }
        if (r.nextBoolean()) {
          d.spaceSavingRatio(r.nextInt(101));
        }
        if (r.nextBoolean()) {
          d.averageSpeedKbps(r.nextBoolean() ? Long.MAX_VALUE : r.nextInt(1000));
        }
        if (r.nextBoolean()) {
          d.failCode(new FailCode(new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, r.nextLong()}[r.nextInt(5)],
              text(r, 0, r.nextInt(8) == 0 ? FailCode.MAX_DESCRIPTION_LENGTH : 20, PIECES)));
        }
        b.details(d.build());
      }
      return b.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      return null;
    }
  }


  static String halvesAsQuestionMarks(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        b.append(c).append(s.charAt(++i));
      } else {
        b.append(Character.isSurrogate(c) ? '?' : c);
      }
    }
    return b.toString();
  }

  /** README: "A backup written and read back is equal to the original", through details, bare item, list and tag query answer. */
  @Test
  void sevenHundredRandomOddBackupsRoundTripThroughEveryBackupWriter() {
    long seed = System.nanoTime();
    Random r = new Random(seed);
    int written = 0;
    List<Backup> all = new ArrayList<>();
    for (int n = 0; written < 700 && n < 3_000; n++) {
      Backup b = randomBackup(r, n);
      if (b == null) {
        continue;
      }
      written++;
      String details = JSON.checkpointItem(b);
      String msg = "seed " + seed + ": " + details;
      Map<String, Object> body = obj(parse(details));
      assertEquals(List.of("checkpoint_item"), new ArrayList<>(body.keySet()), msg);
      assertEquals(b, JSON.readCheckpointItem(details, b.projectId()), msg);
      Map<String, Object> item = obj(body.get("checkpoint_item"));
      assertEquals(b.id(), item.get("id"), msg);
      assertEquals(b.name(), item.get("name"), msg);
      assertEquals(b.apiStatus().apiName(), item.get("status"), msg);
      assertEquals(BigDecimal.valueOf(b.version()), obj(item.get("extend_info")).get("version"), msg);
      assertEquals(BigDecimal.valueOf(b.sizeMb()), obj(item.get("extend_info")).get("size"), msg);
      // the bare item (the value of checkpoint_item) reads the same
      String bare = details.substring("{\"checkpoint_item\":".length(), details.length() - 1);
      assertEquals(b, JSON.readCheckpointItem(bare, b.projectId()), msg);
      if (b.projectId().equals("p") && all.size() < 200) {
        all.add(b);
      }
    }
    assertTrue(written >= 700, "seed " + seed + ": only " + written + " valid backups drawn");
    // lists of them, in pages, with a next link, and the tag query's answer
    for (int from = 0; from < all.size(); from += 37) {
      List<Backup> page = all.subList(from, Math.min(all.size(), from + 37));
      boolean more = from + 37 < all.size();
      String list = JSON.checkpointItems(new Page(page, all.size(), more), URI.create("/v1/p/checkpoint_items?limit=37&offset=" + from));
      parse(list);
      assertEquals(page, JSON.readCheckpointItems(list, "p"), "seed " + seed);
      // CsbsJson#checkpointItems: a lone half of a surrogate pair is written as %3F (?) in the marker
      assertEquals(more ? Optional.of(halvesAsQuestionMarks(page.get(page.size() - 1).id())) : Optional.empty(), JSON.readNextMarker(list), "seed " + seed);
      Map<String, Object> answer = obj(parse(JSON.tagQueryResult(new Page(page, all.size(), more))));
      assertEquals(List.of("resources", "total_count"), new ArrayList<>(answer.keySet()));
      assertEquals(BigDecimal.valueOf(all.size()), answer.get("total_count"));
      List<Object> resources = arr(answer.get("resources"));
      for (int i = 0; i < page.size(); i++) {
        Map<String, Object> res = obj(resources.get(i));
        assertEquals(List.of("resource_id", "resource_name", "resource_detail", "tags"), new ArrayList<>(res.keySet()), "seed " + seed);
        assertEquals(page.get(i).id(), res.get("resource_id"));
        assertEquals(page.get(i).name(), res.get("resource_name"));
        assertEquals(page.get(i).tags().size(), arr(res.get("tags")).size());
        // the detail is an item the reader reads back
        String detail = JSON.checkpointItem(page.get(i));
        assertEquals(obj(parse(detail)).get("checkpoint_item"), res.get("resource_detail"), "seed " + seed);
      }
    }
  }

  // ============================================================== readers: refusals name the key's path

  /** CsbsJson: "an item must hold id, name, status, created_at, resource_id, and in extend_info resource_name and resource_az". */
  @Test
  void eachRequiredKeyOfAnItemMissingOrNullIsRefusedNamingItsPath() {
    String full = "{\"checkpoint_item\":{\"id\":\"b\",\"name\":\"n\",\"status\":\"available\",\"resource_id\":\"s\",\"created_at\":\"2020-01-01T00:00:00\","
        + "\"extend_info\":{\"resource_name\":\"r\",\"resource_az\":\"az\"}}}";
    assertEquals("b", JSON.readCheckpointItem(full, "p").id());
    for (String key : new String[] {"id", "name", "status", "resource_id", "created_at"}) {
      String path = "checkpoint_item." + key;
      String missing = full.replaceFirst("\"" + key + "\":\"[^\"]*\",", "");
      refused(path, () -> JSON.readCheckpointItem(missing, "p"));
      String nulled = full.replaceFirst("\"" + key + "\":\"[^\"]*\"", "\"" + key + "\":null");
      refused(path, () -> JSON.readCheckpointItem(nulled, "p"));
      for (String wrong : new String[] {"1", "true", "[]", "{}", "[\"x\"]"}) {
        String typed = full.replaceFirst("\"" + key + "\":\"[^\"]*\"", "\"" + key + "\":" + wrong);
        refused(path, () -> JSON.readCheckpointItem(typed, "p"));
      }
    }
    for (String key : new String[] {"resource_name", "resource_az"}) {
      String path = "checkpoint_item.extend_info." + key;
      refused(path, () -> JSON.readCheckpointItem(full.replaceFirst(",?\"" + key + "\":\"[^\"]*\"", "").replace("{,", "{"), "p"));
      refused(path, () -> JSON.readCheckpointItem(full.replaceFirst("\"" + key + "\":\"[^\"]*\"", "\"" + key + "\":null"), "p"));
      refused(path, () -> JSON.readCheckpointItem(full.replaceFirst("\"" + key + "\":\"[^\"]*\"", "\"" + key + "\":7"), "p"));
    }
    refused("checkpoint_item.extend_info", () -> JSON.readCheckpointItem(full.replace("\"extend_info\":{", "\"extend_info\":[{").replace("}}}", "}]}}"), "p"));
    // in a list, the element's index is part of the path
    String items = "{\"checkpoint_items\":[" + full.substring(19, full.length() - 1) + "," + full.substring(19, full.length() - 1).replace("\"id\":\"b\",", "") + "]}";
    refused("checkpoint_items[1].id", () -> JSON.readCheckpointItems(items, "p"));
    refused("checkpoint_items[0]", () -> JSON.readCheckpointItems("{\"checkpoint_items\":[7]}", "p"));
    refused("checkpoint_items", () -> JSON.readCheckpointItems("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"x\"}", "p"));
    refused("checkpoint_items", () -> JSON.readCheckpointItems("{\"checkpoint_items\":{}}", "p"));
    assertEquals(List.of(), JSON.readCheckpointItems("{\"checkpoint_items\":[]}", "p"));
  }

  /** CsbsJson: every reader refuses a body that is not one JSON object naming body, never another exception. */
  @Test
  void badBodiesAreRefusedNamingBodyByEveryReader() {
    List<java.util.function.Consumer<String>> readers = List.of(
        b -> JSON.readCheckpointItem(b, "p"), b -> JSON.readCheckpointItems(b, "p"), JSON::readNextMarker, JSON::readCount,
        JSON::readTagFilter, JSON::readTagUpdate, JSON::readTag, JSON::readRestore);
    String[] bodies = {"", " ", "\n\t", "null", "[]", "[{}]", "\"x\"", "7", "true", "{", "}", "{\"a\":}", "{\"a\" 1}", "{'a':1}", "{a:1}",
        "{\"a\":1,}", "{} {}", "{}x", "{}\u0000", "\u0000{}", "\uFEFF{}", "{\"a\":NaN}", "{\"a\":01}", "{\"a\":.5}", "{\"a\":+1}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\n\"}", "{\"a\":\"\u0001\"}", "/*c*/{}", "{}//c", "{\"a\":[1,]}", "{\"a\":undefined}",
        "{\"a\":\"x}", "{\"\uD800\":1", "{\"a\":1}]"};
    for (int i = 0; i < readers.size(); i++) {
      for (String body : bodies) {
        int reader = i;
        refused("body", () -> readers.get(reader).accept(body));
      }
    }
  }

  /** CsbsJson: "A key that repeats in an object ... is refused ... naming the key's path", in any object, at any depth. */
  @Test
  void aRepeatedKeyAnywhereIsRefusedNamingItsPath() {
    refused("count", () -> JSON.readCount("{\"count\":1,\"count\":1}"));
    refused("x.a", () -> JSON.readCount("{\"count\":1,\"x\":{\"a\":1,\"a\":1}}"));
    refused("x[1].b", () -> JSON.readCount("{\"count\":1,\"x\":[{},{\"b\":null,\"b\":null}]}"));
    String item = item();
    refused("checkpoint_item.extend_info.size", () -> JSON.readCheckpointItem(item.replace("\"size\":5", "\"size\":5,\"size\":5"), "p"));
    refused("checkpoint_item.tags", () -> JSON.readCheckpointItem(item.replace("\"tags\":[]", "\"tags\":[],\"tags\":[]"), "p"));
    refused("checkpoint_item", () -> JSON.readCheckpointItem("{\"checkpoint_item\":{},\"checkpoint_item\":{}}", "p"));
    refused("restore.parameters.targets.t", () -> JSON.readRestore("{\"restore\":{\"provider_id\":\"a\",\"checkpoint_id\":\"c\","
        + "\"parameters\":{\"checkpoint_item_id\":\"i\",\"targets\":{\"t\":1,\"t\":2}}}}"));
    refused("tags[0].key", () -> JSON.readTagUpdate("{\"action\":\"create\",\"tags\":[{\"key\":\"a\",\"key\":\"b\",\"value\":\"v\"}]}"));
    // keys that differ only by an escape are the same key
    refused("count", () -> JSON.readCount("{\"count\":1,\"\\u0063ount\":1}"));
  }

  /** CsbsJson: the numbers of an item: whole numbers, JSON strings of digits allowed, 100.0 and 1e2 are whole. */
  @Test
  void numbersOfAnItemAtAndPastTheirBounds() {
    String item = item();
    java.util.function.Function<String, Backup> size = n -> JSON.readCheckpointItem(item.replace("\"size\":5", "\"size\":" + n), "p");
    assertEquals(0, size.apply("0").sizeMb());
    assertEquals(0, size.apply("-0").sizeMb());
    assertEquals(Backup.MAX_SIZE_MB, size.apply(String.valueOf(Backup.MAX_SIZE_MB)).sizeMb());
    assertEquals(Backup.MAX_SIZE_MB, size.apply("\"" + Backup.MAX_SIZE_MB + "\"").sizeMb());
    assertEquals(1024, size.apply("1.024e3").sizeMb());
    assertEquals(7, size.apply("\"0007\"").sizeMb());
    assertEquals(0, size.apply("null").sizeMb());  // an optional key: null is absent
    for (String bad : new String[] {String.valueOf(Backup.MAX_SIZE_MB + 1), "-1", "\"-1\"", "0.5", "1e-1", "true", "[]", "{}", "\"\"", "\"5 \"",
        "\"5.0\"", "\"0x10\"", "\"\u0665\"", "1e30", "-1e30"}) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> size.apply(bad), bad);
      assertEquals("checkpoint_item.extend_info.size", e.field(), bad);
    }
    java.util.function.Function<String, Backup> version = n -> JSON.readCheckpointItem(item.replace("\"version\":7", "\"version\":" + n), "p");
    assertEquals(Long.MAX_VALUE, version.apply(String.valueOf(Long.MAX_VALUE)).version());
    assertEquals(Long.MAX_VALUE, version.apply("\"" + Long.MAX_VALUE + "\"").version());
    assertEquals(1, version.apply("1").version());
    for (String bad : new String[] {"0", "-1", "9223372036854775808", "\"9223372036854775808\"", "9.223372036854775808e18", "1.5"}) {
      refused("checkpoint_item.extend_info.version", () -> version.apply(bad));
    }
    assertEquals(Long.MAX_VALUE, JSON.readCount("{\"count\":9.223372036854775807e18}"));
    assertEquals(0, JSON.readCount("{\"count\":0e999999}"));
  }

  /** CsbsJson: escapes of every kind read back; the writer's escapes of NUL, lone halves, line separators read back equal. */
  @Test
  void escapedAndOddStringsAreReadAsTheirChars() {
    String item = item();
    String[][] cases = {{"\\u0000", "\u0000"}, {"\\uD800", "\uD800"}, {"\\uDFFF", "\uDFFF"}, {"\\uDBFF\\uDFFF", "\uDBFF\uDFFF"}, {"\\/", "/"},
        {"\\b\\f\\n\\r\\t", "\b\f\n\r\t"}, {"\\\"\\\\", "\"\\"}, {"\\u00e9", "é"}, {"\u2028\u2029", "\u2028\u2029"}, {"\\uFFFF\\uFEFF", "\uFFFF\uFEFF"}};
    for (String[] c : cases) {
      Backup b = JSON.readCheckpointItem(item.replace("\"id\":\"b-1\"", "\"id\":\"i" + c[0] + "\",\"description\":\"" + c[0] + "\""), "p");
      assertEquals("i" + c[1], b.id(), c[0]);
      assertEquals(Optional.of(c[1]), b.description(), c[0]);
      assertEquals(b, JSON.readCheckpointItem(JSON.checkpointItem(b), "p"), c[0]);
    }
    // a very long value: 255 letters beyond the BMP is 510 chars, a name of 255 characters
    String long255 = "\uD835\uDC9C".repeat(255);
    Backup b = JSON.readCheckpointItem(item.replace("\"name\":\"bk\"", "\"name\":\"" + long255 + "\""), "p");
    assertEquals(long255, b.name());
    refused("checkpoint_item.name", () -> JSON.readCheckpointItem(item.replace("\"name\":\"bk\"", "\"name\":\"" + "n".repeat(256) + "\""), "p"));
    refused("checkpoint_item.name", () -> JSON.readCheckpointItem(item.replace("\"name\":\"bk\"", "\"name\":\"" + "n".repeat(1_000_000) + "\""), "p"));
    refused("checkpoint_item.id", () -> JSON.readCheckpointItem(item.replace("\"id\":\"b-1\"", "\"id\":\"" + "i".repeat(65) + "\""), "p"));
    refused("checkpoint_item.id", () -> JSON.readCheckpointItem(item.replace("\"id\":\"b-1\"", "\"id\":\" \\t\""), "p"));
  }

  /** CsbsJson: "Reading accepts the API's own bodies": optional keys, empty strings, strings of digits, no reason. */
  @Test
  void theApisOwnItemWithItsDefaults() {
    String api = "{\"checkpoint_item\":{\"id\":\"b\",\"name\":\"n\",\"status\":\"error\",\"resource_id\":\"s\",\"resource_type\":\"OS::Nova::Server\","
        + "\"created_at\":\"2020-01-01T00:00:00\",\"updated_at\":\"2020-01-02T00:00:00.5Z\",\"tags\":[],\"volume_backups\":[{\"x\":1}],"
        + "\"extend_info\":{\"resource_name\":\"r\",\"resource_az\":\"az\",\"size\":\"12\",\"copy_status\":\"\",\"supported_restore_mode\":\"\","
        + "\"finished_at\":\"\",\"fail_reason\":\"\",\"taskid\":\"t\",\"os_images_data\":[]}}}";
    Backup b = JSON.readCheckpointItem(api, "project-\u00e9");
    assertEquals("project-\u00e9", b.projectId());
    assertEquals(1, b.version());
    assertEquals(12, b.sizeMb());
    assertEquals(BackupStatus.ERROR, b.status());
    assertEquals("no reason reported", b.failure().orElseThrow().reason());
    assertEquals(Instant.parse("2020-01-02T00:00:00.5Z"), b.failure().orElseThrow().failedAt());
    assertEquals(Optional.empty(), b.finishedAt());
    // every raw status reads as its state
    for (ApiStatus raw : ApiStatus.values()) {
      if (raw == ApiStatus.DELETED) {
        refused("checkpoint_item.status", () -> JSON.readCheckpointItem(api.replace("\"status\":\"error\"", "\"status\":\"deleted\""), "p"));
        continue;
      }
      Backup read = JSON.readCheckpointItem(api.replace("\"status\":\"error\"", "\"status\":\"" + raw.apiName() + "\""), "p");
      assertEquals(raw, read.apiStatus());
      assertEquals(raw.state().orElseThrow(), read.status());
    }
    for (String bad : new String[] {"Available", "AVAILABLE", " available", "creating", "", "unknown"}) {
      refused("checkpoint_item.status", () -> JSON.readCheckpointItem(api.replace("\"status\":\"error\"", "\"status\":\"" + bad + "\""), "p"));
    }
    // a progress of true is refused on an Available backup too
    String available = api.replace("\"status\":\"error\"", "\"status\":\"available\"");
    refused("checkpoint_item.extend_info.progress", () -> JSON.readCheckpointItem(available.replace("\"size\":\"12\"", "\"size\":\"12\",\"progress\":true"), "p"));
    refused("checkpoint_item.extend_info.progress", () -> JSON.readCheckpointItem(available.replace("\"size\":\"12\"", "\"size\":\"12\",\"progress\":101"), "p"));
    refused("checkpoint_item.extend_info.size", () -> JSON.readCheckpointItem(available.replace("\"size\":\"12\"", "\"size\":\"\""), "p"));
  }

  /** CsbsJson: the documented time forms, and nothing looser, named by the key's path. */
  @Test
  void timesAcceptedAndRefusedAsDocumented() {
    Map<String, String> accepted = new LinkedHashMap<>();
    accepted.put("2017-04-18T01:21:52.701973", "2017-04-18T01:21:52.701973Z");
    accepted.put("2017-04-18T01:21:52.701973Z", "2017-04-18T01:21:52.701973Z");
    accepted.put("2017-04-18T01:21:52", "2017-04-18T01:21:52Z");
    accepted.put("2017-04-18T01:21:52.1", "2017-04-18T01:21:52.1Z");
    accepted.put("2017-04-18T01:21:52.123456789", "2017-04-18T01:21:52.123456789Z");
    accepted.put("2016-02-29T23:59:59.999999999Z", "2016-02-29T23:59:59.999999999Z");
    accepted.put("0999-12-31T00:00:00", "0999-12-31T00:00:00Z");
    accepted.put("0000-01-01T00:00:00", "0000-01-01T00:00:00Z");
    accepted.put("-0001-01-01T00:00:00", "-0001-01-01T00:00:00Z");
    accepted.put("+10000-01-01T00:00:00", "+10000-01-01T00:00:00Z");
    accepted.put("+10000-01-01T00:00:00.000000001Z", "+10000-01-01T00:00:00.000000001Z");
    accepted.put("-10000-12-31T23:59:59.5", "-10000-12-31T23:59:59.5Z");
    accepted.put("+1000000000-12-31T23:59:59.999999999", "+1000000000-12-31T23:59:59.999999999Z");
    accepted.put("-1000000000-01-01T00:00:00", "-1000000000-01-01T00:00:00Z");
    for (Map.Entry<String, String> e : accepted.entrySet()) {
      Backup b = JSON.readCheckpointItem(withTimes(e.getKey()), "p");
      assertEquals(Instant.parse(e.getValue()), b.createdAt(), e.getKey());
      assertEquals(b, JSON.readCheckpointItem(JSON.checkpointItem(b), "p"), e.getKey());
    }
    for (String t : new String[] {"2017-04-18T01:21:52z", "2017-04-18t01:21:52", "2017-04-18 01:21:52", " 2017-04-18T01:21:52", "2017-04-18T01:21:52 ",
        "2017-04-18T01:21:52+00:00", "2017-04-18T01:21:52.1234567890", "2017-04-18T01:21:52.", "2017-04-18T01:21", "2017-04-18",
        "2017-4-18T01:21:52", "2017-04-18T1:21:52", "\uff12017-04-18T01:21:52", "2017-04-18T01:21:52ZZ", "2017-02-29T00:00:00",
        "2017-04-18T24:00:00", "2017-04-18T23:59:60", "2017-04-31T00:00:00", "+2017-04-18T01:21:52", "10000-01-01T00:00:00",
        "999-01-01T00:00:00", "-0000-01-01T00:00:00", "+10000-01-01T24:00:00", "+10000-01-01T00:00", "+10000-02-30T00:00:00",
        "+10000-01-01t00:00:00", "+1000000001-01-01T00:00:00", "-1000000001-12-31T23:59:59", "2017-04-18T01:21:52,5", "",
        "2017-04-18T01:21:52.701973\\u0000", "1492474912"}) {
      refused("checkpoint_item.created_at", () -> JSON.readCheckpointItem(withTimes(t), "p"));
    }
  }

  // ============================================================== the other writers and readers

  /** CsbsJson: the small writers' exact shapes, parsed by a plain JSON reader. */
  @Test
  void countsErrorsTagsQuotasAndUsageHaveTheDocumentedKeysInOrder() {
    assertEquals(Map.of("count", BigDecimal.ZERO), parse(JSON.count(0)));
    assertEquals(Map.of("count", BigDecimal.valueOf(Long.MAX_VALUE)), parse(JSON.count(Long.MAX_VALUE)));
    assertEquals(Long.MAX_VALUE, JSON.readCount(JSON.count(Long.MAX_VALUE)));
    assertEquals(Map.of("total_count", BigDecimal.valueOf(42)), parse(JSON.tagQueryCount(42)));
    refused("count", () -> JSON.count(Long.MIN_VALUE));
    refused("count", () -> JSON.tagQueryCount(-1));
    // error bodies of odd text
    String odd = "m\u0000\"\\\n\uD800\u2028\uD83D\uDE00";
    Map<String, Object> err = obj(parse(JSON.error("CSBS.9001", odd)));
    assertEquals(List.of("error_code", "error_msg"), new ArrayList<>(err.keySet()));
    assertEquals(odd, err.get("error_msg"));
    InvalidValueException refusal = assertThrows(InvalidValueException.class, () -> JSON.readCount("{}"));
    Map<String, Object> fromRefusal = obj(parse(JSON.error(refusal)));
    assertEquals("CSBS.9001", fromRefusal.get("error_code"));
    assertEquals(refusal.getMessage(), fromRefusal.get("error_msg"));
    // a backup's tags, in its order, null elements named
    List<Tag> tags = List.of(Tag.of("z\u00e9", ""), Tag.of("a", "\uD835\uDC9C"), Tag.of("M_-9", "v"));
    Map<String, Object> t = obj(parse(JSON.tags(tags)));
    assertEquals(List.of("tags"), new ArrayList<>(t.keySet()));
    assertEquals(List.of(Map.of("key", "z\u00e9", "value", ""), Map.of("key", "a", "value", "\uD835\uDC9C"), Map.of("key", "M_-9", "value", "v")), t.get("tags"));
    assertEquals(Map.of("tags", List.of()), parse(JSON.tags(List.of())));
    List<Tag> withNull = new ArrayList<>(tags);
    withNull.add(2, null);
    assertEquals("tags[2]", assertThrows(NullPointerException.class, () -> JSON.tags(withNull)).getMessage());
    // the tag catalogue, keys and values sorted
    Map<String, List<String>> cat = new LinkedHashMap<>();
    cat.put("zeta", List.of("b", "a", ""));
    cat.put("Alpha", List.of("x"));
    cat.put("\u00e9t\u00e9", List.of());
    Map<String, Object> c = obj(parse(JSON.tagCatalogue(TagCatalogue.of(cat))));
    assertEquals(List.of(Map.of("key", "Alpha", "values", List.of("x")), Map.of("key", "zeta", "values", List.of("", "a", "b")),
        Map.of("key", "\u00e9t\u00e9", "values", List.of())), c.get("tags"));
    assertEquals(Map.of("tags", List.of()), parse(JSON.tagCatalogue(TagCatalogue.empty())));
    // quotas: -1 no limit, capacity used in GB with two decimals
    Map<String, Object> q = obj(obj(parse(JSON.quotas(new QuotaUsage(Quota.of(-1, 10), 3, 1536)))).get("quotas"));
    List<Object> res = arr(q.get("resources"));
    assertEquals(List.of("type", "quota", "used"), new ArrayList<>(obj(res.get(0)).keySet()));
    assertEquals(List.of("type", "unit", "quota", "used"), new ArrayList<>(obj(res.get(1)).keySet()));
    assertEquals("backups", obj(res.get(0)).get("type"));
    assertEquals(new BigDecimal("-1"), obj(res.get(0)).get("quota"));
    assertEquals(new BigDecimal("3"), obj(res.get(0)).get("used"));
    assertEquals("GB", obj(res.get(1)).get("unit"));
    assertEquals(new BigDecimal("10"), obj(res.get(1)).get("quota"));
    assertTrue(JSON.quotas(new QuotaUsage(Quota.of(-1, 10), 3, 1536)).contains("\"used\":1.50}"), JSON.quotas(new QuotaUsage(Quota.of(-1, 10), 3, 1536)));
    assertTrue(JSON.quotas(new QuotaUsage(Quota.of(0, 0), 0, 5)).contains("\"used\":0.00}"));
    assertTrue(JSON.quotas(new QuotaUsage(Quota.of(0, 0), 0, Long.MAX_VALUE)).contains("\"used\":9007199254740992.00}"));
    // storage usage: the report's order, MB, resource_count the servers with backups
    UsageReport report = new UsageReport(9, 300, 7, List.of(new ServerUsage("s-\uD800", "\u4e2d", 5, 200), new ServerUsage("s-2", "n\"2", 4, 100)));
    Map<String, Object> u = obj(parse(JSON.storageUsage(report)));
    assertEquals(List.of("storage_usage", "resource_count"), new ArrayList<>(u.keySet()));
    assertEquals(new BigDecimal("7"), u.get("resource_count"));
    List<Object> servers = arr(u.get("storage_usage"));
    assertEquals(2, servers.size());
    assertEquals(List.of("resource_id", "resource_name", "resource_type", "backup_count", "backup_size"), new ArrayList<>(obj(servers.get(0)).keySet()));
    assertEquals("s-\uD800", obj(servers.get(0)).get("resource_id"));
    assertEquals("OS::Nova::Server", obj(servers.get(0)).get("resource_type"));
    assertEquals(new BigDecimal("200"), obj(servers.get(0)).get("backup_size"));
    assertEquals("n\"2", obj(servers.get(1)).get("resource_name"));
    // the writers' text is ASCII-safe for lone halves: no raw surrogate stands alone in it
    for (String json : List.of(JSON.storageUsage(report), JSON.error("C", odd))) {
      assertEquals(json, halvesAsQuestionMarks(json), json);
    }
  }

  /** CsbsJson#readRestore and restoreAccepted, RestoreRequest's checks. */
  @Test
  void restoreBodiesAreReadAndAnsweredAsDocumented() {
    String body = "{\"restore\":{\"provider_id\":\"prov-\u00e9\",\"checkpoint_id\":\"cp\",\"restore_target\":\"t\",\"extra\":[1],"
        + "\"parameters\":{\"checkpoint_item_id\":\"b-\\u0001\",\"power_on\":false,\"x\":null,"
        + "\"targets\":{\"volumes\":[{\"backup_id\":\"v\",\"volume_id\":\"\\uD800\"}],\"n\":1e400,\"m\":-0.0}}}}";
    RestoreRequest r = JSON.readRestore(body);
    assertEquals("prov-\u00e9", r.providerId());
    assertEquals("cp", r.checkpointId());
    assertEquals("b-\u0001", r.checkpointItemId());
    assertEquals(Optional.of(false), r.powerOn());
    assertEquals(Optional.of("t"), r.restoreTarget());
    Map<String, Object> targets = obj(parse(r.targetsJson().orElseThrow()));
    assertEquals(List.of("volumes", "n", "m"), new ArrayList<>(targets.keySet()));
    assertEquals(new BigDecimal("1e400"), targets.get("n"));
    Map<String, Object> answer = obj(obj(parse(JSON.restoreAccepted(r, "r-1", "p\u00e9"))).get("restore"));
    assertEquals(List.of("id", "checkpoint_id", "parameters", "project_id", "provider_id", "resources_reason", "resources_status", "restore_target", "status"),
        new ArrayList<>(answer.keySet()));
    assertEquals("in_progress", answer.get("status"));
    assertEquals(Map.of(), answer.get("resources_reason"));
    Map<String, Object> params = obj(answer.get("parameters"));
    assertEquals(List.of("checkpoint_item_id", "power_on", "targets"), new ArrayList<>(params.keySet()));
    assertEquals(targets, params.get("targets"));
    // the minimal body, and its answer without the optional keys
    RestoreRequest min = JSON.readRestore("{\"restore\":{\"provider_id\":\"a\",\"checkpoint_id\":\"c\",\"parameters\":{\"checkpoint_item_id\":\"i\",\"power_on\":null}}}");
    assertEquals(new RestoreRequest("a", "c", "i", Optional.empty(), Optional.empty(), Optional.empty()), min);
    Map<String, Object> minAnswer = obj(obj(parse(JSON.restoreAccepted(min, "r", "p"))).get("restore"));
    assertFalse(minAnswer.containsKey("restore_target"));
    assertEquals(Map.of("checkpoint_item_id", "i"), minAnswer.get("parameters"));
    // refusals name the key's path
    String ok = "{\"restore\":{\"provider_id\":\"a\",\"checkpoint_id\":\"c\",\"parameters\":{\"checkpoint_item_id\":\"i\"}}}";
    refused("restore", () -> JSON.readRestore("{}"));
    refused("restore", () -> JSON.readRestore("{\"restore\":[]}"));
    refused("restore.parameters", () -> JSON.readRestore(ok.replace(",\"parameters\":{\"checkpoint_item_id\":\"i\"}", "")));
    refused("restore.parameters", () -> JSON.readRestore(ok.replace("\"parameters\":{\"checkpoint_item_id\":\"i\"}", "\"parameters\":\"i\"")));
    for (String bad : new String[] {"null", "\"\"", "\" \\t\\n\"", "\"\\u3000\"", "7", "[\"i\"]", "{}", "true"}) {
      refused("restore.parameters.checkpoint_item_id", () -> JSON.readRestore(ok.replace("\"checkpoint_item_id\":\"i\"", "\"checkpoint_item_id\":" + bad)));
      refused("restore.provider_id", () -> JSON.readRestore(ok.replace("\"provider_id\":\"a\"", "\"provider_id\":" + bad)));
      refused("restore.checkpoint_id", () -> JSON.readRestore(ok.replace("\"checkpoint_id\":\"c\"", "\"checkpoint_id\":" + bad)));
    }
    refused("restore.parameters.power_on", () -> JSON.readRestore(ok.replace("\"checkpoint_item_id\":\"i\"", "\"checkpoint_item_id\":\"i\",\"power_on\":\"true\"")));
    refused("restore.parameters.power_on", () -> JSON.readRestore(ok.replace("\"checkpoint_item_id\":\"i\"", "\"checkpoint_item_id\":\"i\",\"power_on\":1")));
    refused("restore.parameters.targets", () -> JSON.readRestore(ok.replace("\"checkpoint_item_id\":\"i\"", "\"checkpoint_item_id\":\"i\",\"targets\":[]")));
    refused("restore.restore_target", () -> JSON.readRestore(ok.replace("\"checkpoint_id\":\"c\"", "\"checkpoint_id\":\"c\",\"restore_target\":5")));
    // RestoreRequest: targetsJson must be one JSON object
    for (String t : new String[] {"[]", "1", "{} x", "{\"a\":1,\"a\":2}", "{", "", "{}//"}) {
      refused("targetsJson", () -> new RestoreRequest("a", "c", "i", Optional.empty(), Optional.of(t), Optional.empty()));
    }
    assertThrows(NullPointerException.class, () -> new RestoreRequest("a", "c", null, Optional.empty(), Optional.empty(), Optional.empty()));
  }

  /** CsbsJson#readTagFilter, readTagUpdate and readTag: the documented keys, strings or numbers, refusals by path. */
  @Test
  void tagBodiesAreReadAndRefusedAsDocumented() {
    TagFilter f = JSON.readTagFilter("{\"action\":\"filter\",\"limit\":\"20\",\"offset\":\"0\",\"tags\":[{\"key\":\"env\",\"values\":[\"prod\",\"*pr\"]}],"
        + "\"tags_any\":[],\"not_tags\":[{\"key\":\"\u00e9\",\"values\":[\"\"]}],\"not_tags_any\":null,\"matches\":[{\"key\":\"resource_name\",\"value\":\"\u4e2d\"}],\"unknown\":{}}");
    assertEquals(TagFilter.builder().tags("env", "prod", "*pr").notTags("\u00e9", "").matches("resource_name", "\u4e2d")
        .action(TagFilter.Action.FILTER).limit(20).offset(0).build(), f);
    assertEquals(TagFilter.builder().action(TagFilter.Action.COUNT).limit(1000).offset(Long.MAX_VALUE).build(),
        JSON.readTagFilter("{\"action\":\"count\",\"limit\":1000,\"offset\":" + Long.MAX_VALUE + "}"));
    refused("action", () -> JSON.readTagFilter("{}"));
    refused("action", () -> JSON.readTagFilter("{\"action\":null}"));
    refused("action", () -> JSON.readTagFilter("{\"action\":\"FILTER\"}"));
    refused("action", () -> JSON.readTagFilter("{\"action\":[\"filter\"]}"));
    refused("limit", () -> JSON.readTagFilter("{\"action\":\"filter\",\"limit\":0}"));
    refused("limit", () -> JSON.readTagFilter("{\"action\":\"filter\",\"limit\":1001}"));
    refused("limit", () -> JSON.readTagFilter("{\"action\":\"filter\",\"limit\":\"2 \"}"));
    refused("offset", () -> JSON.readTagFilter("{\"action\":\"filter\",\"offset\":-1}"));
    refused("offset", () -> JSON.readTagFilter("{\"action\":\"filter\",\"offset\":9223372036854775808}"));
    refused("tags", () -> JSON.readTagFilter("{\"action\":\"filter\",\"tags\":{}}"));
    refused("tags[0]", () -> JSON.readTagFilter("{\"action\":\"filter\",\"tags\":[\"env\"]}"));
    refused("tags[0].key", () -> JSON.readTagFilter("{\"action\":\"filter\",\"tags\":[{\"values\":[]}]}"));
    refused("tags[0].key", () -> JSON.readTagFilter("{\"action\":\"filter\",\"tags\":[{\"key\":\"a b\",\"values\":[]}]}"));
    refused("not_tags_any[0].values", () -> JSON.readTagFilter("{\"action\":\"filter\",\"not_tags_any\":[{\"key\":\"k\",\"values\":\"v\"}]}"));
    refused("tags[0].values[1]", () -> JSON.readTagFilter("{\"action\":\"filter\",\"tags\":[{\"key\":\"k\",\"values\":[\"a\",7]}]}"));
    refused("matches[0].value", () -> JSON.readTagFilter("{\"action\":\"filter\",\"matches\":[{\"key\":\"resource_name\",\"value\":5}]}"));
    // tag updates
    assertEquals(io.csbs.backup.TagUpdate.create(List.of(Tag.of("k", ""), Tag.of("\u00e9", "v"))),
        JSON.readTagUpdate("{\"action\":\"create\",\"tags\":[{\"key\":\"k\",\"value\":\"\"},{\"key\":\"\u00e9\",\"value\":\"v\"}]}"));
    assertEquals(io.csbs.backup.TagUpdate.create(Tag.of("env", "prod")), JSON.readTag("{\"tag\":{\"key\":\"env\",\"value\":\"prod\"}}"));
    refused("action", () -> JSON.readTagUpdate("{\"tags\":[]}"));
    refused("action", () -> JSON.readTagUpdate("{\"action\":\"Create\",\"tags\":[]}"));
    refused("tags[1].value", () -> JSON.readTagUpdate("{\"action\":\"create\",\"tags\":[{\"key\":\"a\",\"value\":\"\"},{\"key\":\"b\"}]}"));
    refused("tags[0].value", () -> JSON.readTagUpdate("{\"action\":\"create\",\"tags\":[{\"key\":\"a\",\"value\":\"" + "v".repeat(44) + "\"}]}"));
    refused("tags[0].key", () -> JSON.readTagUpdate("{\"action\":\"delete\",\"tags\":[{\"key\":7}]}"));
    refused("tags[0].value", () -> JSON.readTagUpdate("{\"action\":\"delete\",\"tags\":[{\"key\":\"a\",\"value\":7}]}"));
    refused("tag", () -> JSON.readTag("{\"tags\":{\"key\":\"env\",\"value\":\"prod\"}}"));
    refused("tag.value", () -> JSON.readTag("{\"tag\":{\"key\":\"env\"}}"));
    refused("tag.key", () -> JSON.readTag("{\"tag\":{\"key\":\"e\\u0000\",\"value\":\"\"}}"));
    refused("tag.key", () -> JSON.readTag("{\"tag\":{\"key\":\"e\\uD800\",\"value\":\"\"}}"));
  }

  /** CsbsJson#checkpointItems: href is the request with marker set (offset and fragment removed); readNextMarker reads it back. */
  @Test
  void nextLinksOfOddRequestsAndMarkers() {
    String[] ids = {"a b+c&d=\u00e9/?#%", "\u4e2d\uD83D\uDE00", "x;y,z:@$!'()*~", "%6Darker=q"};
    for (String id : ids) {
      Page page = new Page(List.of(base(id).sizeMb(0).build()), 2, true);
      for (String request : new String[] {"/v1/p/checkpoint_items", "/v1/p/checkpoint_items?status=available&limit=1&offset=5",
          "/v1/p/checkpoint_items?marker=old&limit=1#frag?x", "http://h:8080/v1/p/checkpoint_items?limit=1&name=%E4%B8%AD"}) {
        String list = JSON.checkpointItems(page, URI.create(request));
        Map<String, Object> body = obj(parse(list));
        assertEquals(List.of("checkpoint_items", "checkpoint_items_links"), new ArrayList<>(body.keySet()), list);
        Map<String, Object> link = obj(arr(body.get("checkpoint_items_links")).get(0));
        assertEquals(List.of("href", "rel"), new ArrayList<>(link.keySet()));
        assertEquals("next", link.get("rel"));
        String href = (String) link.get("href");
        assertFalse(href.contains("offset=") || href.contains("#") || href.contains("old"), href);
        assertTrue(href.startsWith(request.replaceAll("\\?.*", "") + "?"), href);
        assertEquals(Optional.of(id), JSON.readNextMarker(list), href);
        assertEquals(Optional.of(id), ListQueryString.parse(URI.create(href).getRawQuery()).marker(), href);
      }
      // no link on the last page, nor on an empty page
      assertEquals(List.of("checkpoint_items"), new ArrayList<>(obj(parse(JSON.checkpointItems(new Page(List.of(base(id).sizeMb(0).build()), 1, false),
          URI.create("/x")))).keySet()));
    }
    assertEquals("{\"checkpoint_items\":[]}", JSON.checkpointItems(new Page(List.of(), 0, false), URI.create("/v1/p/checkpoint_items")));
    assertEquals(Optional.empty(), JSON.readNextMarker("{\"checkpoint_items\":[]}"));
    assertEquals(Optional.empty(), JSON.readNextMarker("{\"checkpoint_items_links\":[{\"href\":\"/x?marker=a\",\"rel\":\"prev\"}]}"));
    refused("checkpoint_items_links", () -> JSON.readNextMarker("{\"checkpoint_items_links\":{}}"));
    refused("checkpoint_items_links[0].href", () -> JSON.readNextMarker("{\"checkpoint_items_links\":[{\"rel\":\"next\"}]}"));
    refused("checkpoint_items_links[0].href", () -> JSON.readNextMarker("{\"checkpoint_items_links\":[{\"href\":\"/x?marker=%ZZ\",\"rel\":\"next\"}]}"));
    refused("checkpoint_items_links[0].href", () -> JSON.readNextMarker("{\"checkpoint_items_links\":[{\"href\":\"/x y?marker=a\",\"rel\":\"next\"}]}"));
    refused("checkpoint_items_links[1].rel", () -> JSON.readNextMarker("{\"checkpoint_items_links\":[{\"href\":\"/x\",\"rel\":\"self\"},{\"href\":\"/x\",\"rel\":5}]}"));
  }

  /** A backup with every optional field, in a state (Deleting an Error backup) that keeps both a progress and a failure. */
  static Backup full() {
    return Backup.builder().id("b-1").name("bk").projectId("p").server(Server.of("s-1", "ecs", "az-1")).createdAt(T0).sizeMb(3)
        .status(BackupStatus.DELETING).progress(Progress.of(50, T0)).trigger(BackupTrigger.AUTOMATIC).policyId("pol")
        .failure(Failure.of(JobType.BACKUP, "why", T0)).updatedAt(T0.plusSeconds(5)).finishedAt(T0.plusSeconds(3)).addTags(Tag.of("k", "v"))
        .details(BackupDetails.builder().checkpointId("cp").vm(new VmMetadata("r", "c", 1, "i", 2, 3, "e", "p")).incremental(true)
            .restoreMode(RestoreMode.values()[0]).copyStatus(CopyStatus.values()[0]).spaceSavingRatio(5).averageSpeedKbps(9)
            .failCode(new FailCode(4, "d")).build()).build();
  }

  /** CsbsJson: "a value of the wrong type, or a value that breaks a rule of the backup is refused ... naming the key's path". */
  @Test
  void everyRuleBreakingValueOfAFullItemNamesItsOwnPath() {
    Backup full = full();
    String it = JSON.checkpointItem(full);
    assertEquals(full, JSON.readCheckpointItem(it, "p"));
    String[][] cases = {
        {"\"updated_at\":\"2021-03-04T05:06:12.123456\"", "\"updated_at\":\"2021-03-04T05:06:06\"", "checkpoint_item.updated_at"},
        {"\"finished_at\":\"2021-03-04T05:06:10.123456\"", "\"finished_at\":\"2021-03-04T05:06:06\"", "checkpoint_item.extend_info.finished_at"},
        {"\"progress_updated_at\":\"2021-03-04T05:06:07.123456\"", "\"progress_updated_at\":\"2021-03-04T05:06:06\"", "checkpoint_item.extend_info.progress_updated_at"},
        {"\"failed_at\":\"2021-03-04T05:06:07.123456\"", "\"failed_at\":\"2021-03-04T05:06:06\"", "checkpoint_item.extend_info.failed_at"},
        {"\"auto_trigger\":true", "\"auto_trigger\":false", "checkpoint_item.extend_info.policy_id"},
        {"\"auto_trigger\":true", "\"auto_trigger\":\"true\"", "checkpoint_item.extend_info.auto_trigger"},
        {"\"disk\":1", "\"disk\":-1", "checkpoint_item.backup_data.disk"},
        {"\"ram\":2", "\"ram\":2147483648", "checkpoint_item.backup_data.ram"},
        {"\"vcpus\":3", "\"vcpus\":\"x\"", "checkpoint_item.backup_data.vcpus"},
        {"\"eip\":\"e\"", "\"eip\":\"" + "e".repeat(65) + "\"", "checkpoint_item.backup_data.eip"},
        {"\"space_saving_ratio\":5", "\"space_saving_ratio\":101", "checkpoint_item.extend_info.space_saving_ratio"},
        {"\"average_speed\":9", "\"average_speed\":-1", "checkpoint_item.extend_info.average_speed"},
        {"\"progress\":50", "\"progress\":101", "checkpoint_item.extend_info.progress"},
        {"\"progress\":50", "\"progress\":-1", "checkpoint_item.extend_info.progress"},
        {"\"fail_op\":\"backup\"", "\"fail_op\":\"nope\"", "checkpoint_item.extend_info.fail_op"},
        {"\"fail_reason\":\"why\"", "\"fail_reason\":\" \"", "checkpoint_item.extend_info.fail_reason"},
        {"\"fail_reason\":\"why\"", "\"fail_reason\":\"" + "w".repeat(1025) + "\"", "checkpoint_item.extend_info.fail_reason"},
        {"\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]", "\"tags\":[{\"key\":\"k\",\"value\":\"v\"},{\"key\":\"k\",\"value\":\"w\"}]", "checkpoint_item.tags"},
        {"\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]", "\"tags\":[{\"key\":\"k\",\"value\":\"v\"},{\"key\":\"k k\",\"value\":\"v\"}]", "checkpoint_item.tags[1].key"},
        {"\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]", "\"tags\":[{\"key\":\"k\",\"value\":\"v v\"}]", "checkpoint_item.tags[0].value"},
        {"\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]", "\"tags\":{}", "checkpoint_item.tags"},
        {"\"support_lld\":false", "\"support_lld\":\"false\"", "checkpoint_item.extend_info.support_lld"},
        {"\"copy_status\":\"na\"", "\"copy_status\":\"NA\"", "checkpoint_item.extend_info.copy_status"},
        {"\"policy_id\":\"pol\"", "\"policy_id\":\" \"", "checkpoint_item.extend_info.policy_id"},
        {"\"checkpoint_id\":\"cp\"", "\"checkpoint_id\":\" \"", "checkpoint_item.checkpoint_id"},
        {"\"checkpoint_id\":\"cp\"", "\"checkpoint_id\":7", "checkpoint_item.checkpoint_id"},
        {"\"backup_data\":{", "\"backup_data\":[],\"x\":{", "checkpoint_item.backup_data"},
        {"\"fail_code\":{\"Code\":4,", "\"fail_code\":{\"Code\":\"x\",", "checkpoint_item.extend_info.fail_code.Code"},
    };
    for (String[] c : cases) {
      assertTrue(it.contains(c[0]), c[0] + " in " + it);
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> JSON.readCheckpointItem(it.replace(c[0], c[1]), "p"), c[1]);
      assertEquals(c[2], e.field(), c[1] + ": " + e.getMessage());
    }
  }

  @Test
  void actuallyAnEmptyPolicyIdOrCheckpointIdAndAValuelessTagAreRead() {
    String it = JSON.checkpointItem(full());
    assertEquals(Optional.empty(), JSON.readCheckpointItem(it.replace("\"policy_id\":\"pol\"", "\"policy_id\":\"\""), "p").policyId());
    assertEquals(Optional.empty(), JSON.readCheckpointItem(it.replace("\"checkpoint_id\":\"cp\"", "\"checkpoint_id\":\"\""), "p").details().checkpointId());
    assertEquals(List.of(Tag.of("k", "")), JSON.readCheckpointItem(it.replace("{\"key\":\"k\",\"value\":\"v\"}", "{\"key\":\"k\"}"), "p").tags());
  }

  /** CsbsJson: times written with microseconds, finer digits only when needed, years outside 1000-9999 as java.time writes them. */
  @Test
  void timesAreWrittenInTheDocumentedForm() {
    String[][] cases = {{"2017-04-18T01:21:52.701973Z", "2017-04-18T01:21:52.701973"}, {"2017-04-18T01:21:52Z", "2017-04-18T01:21:52.000000"},
        {"2017-04-18T01:21:52.0000015Z", "2017-04-18T01:21:52.0000015"}, {"2017-04-18T01:21:52.000000001Z", "2017-04-18T01:21:52.000000001"},
        {"0999-12-31T23:59:59.1Z", "0999-12-31T23:59:59.100000"}, {"+10000-01-01T00:00:00Z", "+10000-01-01T00:00:00.000000"},
        {"-0001-01-01T00:00:00.12345678Z", "-0001-01-01T00:00:00.12345678"}, {"1000-01-01T00:00:00Z", "1000-01-01T00:00:00.000000"},
        {"9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999"}};
    for (String[] c : cases) {
      Instant t = Instant.parse(c[0]);
      Backup b = Backup.builder().id("b").name("n").projectId("p").server(Server.of("s", "n", "az")).status(BackupStatus.AVAILABLE).sizeMb(0)
          .createdAt(t).build();
      Map<String, Object> item = obj(obj(parse(JSON.checkpointItem(b))).get("checkpoint_item"));
      assertEquals(c[1], item.get("created_at"), c[0]);
      assertEquals(c[1], item.get("updated_at"), c[0]);
      assertEquals(b, JSON.readCheckpointItem(JSON.checkpointItem(b), "p"), c[0]);
    }
  }

  @Test
  void actuallyAVeryLongStringValueIsRefusedNamingBody() {
    String big = "n".repeat(20_000_001);
    InvalidValueException e = refused("body", () -> JSON.readCheckpointItem(item().replace("\"name\":\"bk\"", "\"name\":\"" + big + "\""), "p"));
    assertTrue(e.getMessage().contains("getMaxStringLength"), e.getMessage());
  }
}
