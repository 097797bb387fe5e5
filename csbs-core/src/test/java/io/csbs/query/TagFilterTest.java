package io.csbs.query;

import static io.csbs.query.Predicates.and;
import static io.csbs.query.Predicates.not;
import static io.csbs.query.Predicates.or;
import static io.csbs.query.Predicates.tag;
import static io.csbs.query.TestBackups.assertInvalid;
import static io.csbs.query.TestBackups.backup;
import static io.csbs.query.TestBackups.matches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

class TagFilterTest {
  private static final Backup PROD_WEB = backup().tag("env", "prod").tag("app", "web").build();
  private static final Backup PROD_ONLY = backup().tag("env", "prod").build();
  private static final Backup DEV_WEB = backup().tag("env", "dev").tag("app", "web").build();
  private static final Backup UNTAGGED = backup().build();

  private static List<String> values(int count) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      values.add("v" + i);
    }
    return values;
  }

  private static TagFilter.Builder withKeys(BiConsumer<TagFilter.Builder, String> add, int count) {
    TagFilter.Builder builder = TagFilter.builder();
    for (int i = 0; i < count; i++) {
      add.accept(builder, "k" + i);
    }
    return builder;
  }

  // ---- defaults

  @Test
  void emptyFilterMatchesEveryBackup() {
    assertSame(Predicates.all(), TagFilter.builder().build().toPredicate());
  }

  @Test
  void defaultsAreFilterLimit1000Offset0() {
    TagFilter filter = TagFilter.builder().build();
    assertEquals(TagFilter.Action.FILTER, filter.action());
    assertEquals(1000, filter.limit());
    assertEquals(0, filter.offset());
    assertEquals(Query.all(), filter.toQuery());
  }

  // ---- tags

  @Test
  void tagsRequireEveryKey() {
    TagFilter filter = TagFilter.builder().tags("env", "prod").tags("app", "web").build();
    assertEquals(and(tag("app", "web"), tag("env", "prod")), filter.toPredicate());
    assertTrue(matches(filter.toPredicate(), PROD_WEB));
    assertFalse(matches(filter.toPredicate(), PROD_ONLY));
    assertFalse(matches(filter.toPredicate(), DEV_WEB));
  }

  @Test
  void tagsRequireOneOfTheValuesOfAKey() {
    BackupPredicate predicate = TagFilter.builder().tags("env", "prod", "dev").build().toPredicate();
    assertTrue(matches(predicate, PROD_ONLY));
    assertTrue(matches(predicate, DEV_WEB));
    assertFalse(matches(predicate, UNTAGGED));
  }

  @Test
  void noValuesMeanAnyValue() {
    BackupPredicate predicate = TagFilter.builder().tags("app").build().toPredicate();
    assertEquals(Predicates.tagKey("app"), predicate);
    assertTrue(matches(predicate, PROD_WEB));
    assertFalse(matches(predicate, PROD_ONLY));
  }

  @Test
  void starValueMatchesTheRestAnywhere() {
    BackupPredicate predicate = TagFilter.builder().tags("env", "*ro").build().toPredicate();
    assertTrue(matches(predicate, PROD_ONLY));
    assertFalse(matches(predicate, DEV_WEB));
  }

  @Test
  void starAloneIsAnyValue() {
    assertEquals(TagFilter.builder().tags("env").build(), TagFilter.builder().tags("env", "*", "prod").build());
  }

  @Test
  void tagsTakeValuesFromACollection() {
    assertEquals(TagFilter.builder().tags("env", "prod", "dev").build(),
        TagFilter.builder().tags("env", List.of("dev", "prod")).build());
  }

  @Test
  void keysAndValuesAreTrimmedAndValuesCountOnce() {
    TagFilter filter = TagFilter.builder().tags(" env ", " prod", "prod ", "* ro").build();
    assertEquals(Map.of("env", List.of("*ro", "prod")), filter.tags());
  }

  // ---- tags_any

  @Test
  void tagsAnyRequireOneOfTheKeys() {
    TagFilter filter = TagFilter.builder().tagsAny("env", "prod").tagsAny("app", "web").build();
    assertEquals(or(tag("app", "web"), tag("env", "prod")), filter.toPredicate());
    assertTrue(matches(filter.toPredicate(), PROD_ONLY));
    assertTrue(matches(filter.toPredicate(), DEV_WEB));
    assertFalse(matches(filter.toPredicate(), UNTAGGED));
  }

  // ---- not_tags

  @Test
  void notTagsExcludeBackupsMatchingEveryKey() {
    TagFilter filter = TagFilter.builder().notTags("env", "prod").notTags("app", "web").build();
    assertEquals(not(and(tag("app", "web"), tag("env", "prod"))), filter.toPredicate());
    assertFalse(matches(filter.toPredicate(), PROD_WEB));
    assertTrue(matches(filter.toPredicate(), PROD_ONLY));
    assertTrue(matches(filter.toPredicate(), DEV_WEB));
    assertTrue(matches(filter.toPredicate(), UNTAGGED));
  }

  @Test
  void notTagsWithoutValuesExcludeBackupsHavingTheKey() {
    BackupPredicate predicate = TagFilter.builder().notTags("app").build().toPredicate();
    assertFalse(matches(predicate, PROD_WEB));
    assertTrue(matches(predicate, PROD_ONLY));
  }

  // ---- not_tags_any

  @Test
  void notTagsAnyExcludeBackupsMatchingAnyKey() {
    TagFilter filter = TagFilter.builder().notTagsAny("env", "prod").notTagsAny("app", "web").build();
    assertEquals(not(or(tag("app", "web"), tag("env", "prod"))), filter.toPredicate());
    assertFalse(matches(filter.toPredicate(), PROD_ONLY));
    assertFalse(matches(filter.toPredicate(), DEV_WEB));
    assertTrue(matches(filter.toPredicate(), UNTAGGED));
    assertTrue(matches(filter.toPredicate(), backup().tag("env", "dev").build()));
  }

  // ---- matches

  @Test
  void matchesResourceNameIsTheBackupNameContainingTheValue() {
    BackupPredicate predicate = TagFilter.builder().matches("resource_name", "AUTO").build().toPredicate();
    assertEquals(Predicates.nameContains("AUTO"), predicate);
    assertTrue(matches(predicate, backup().name("autobk_a61d").build()));
    assertFalse(matches(predicate, backup().name("manualbk_a61d").serverName("auto-server").build()));
  }

  @Test
  void matchesWithAnotherKeyIsRefused() {
    assertInvalid("matches", "resource_name", () -> TagFilter.builder().matches("name", "auto"));
  }

  @Test
  void matchesWithARepeatedKeyIsRefused() {
    TagFilter.Builder builder = TagFilter.builder().matches("resource_name", "auto");
    assertInvalid("matches", "once", () -> builder.matches("resource_name", "manual"));
  }

  @Test
  void matchesWithABlankValueIsRefused() {
    assertInvalid("matches", "non-blank", () -> TagFilter.builder().matches("resource_name", " "));
  }

  @Test
  void matchesWithAValueLongerThan255CharsIsRefused() {
    assertInvalid("matches", "at most 255", () -> TagFilter.builder().matches("resource_name", "n".repeat(256)));
  }

  @Test
  void matchesAreReported() {
    assertEquals(Map.of("resource_name", "auto"), TagFilter.builder().matches("resource_name", "auto").build().matches());
    assertEquals(Map.of(), TagFilter.builder().build().matches());
  }

  // ---- all groups

  @Test
  void groupsAndMatchesAreAnded() {
    TagFilter filter = TagFilter.builder()
        .tags("env", "prod")
        .tagsAny("app", "web")
        .tagsAny("team", "blue")
        .notTags("tier", "gold")
        .notTagsAny("owner", "*test")
        .matches("resource_name", "auto")
        .build();
    BackupPredicate expected = and(
        tag("env", "prod"),
        or(tag("app", "web"), tag("team", "blue")),
        not(tag("tier", "gold")),
        not(Predicates.tag("owner", List.of("*test"))),
        Predicates.nameContains("auto"));
    assertEquals(expected, filter.toPredicate());
    assertTrue(matches(filter.toPredicate(), backup().name("autobk_1").tag("env", "prod").tag("team", "blue").build()));
    assertFalse(matches(filter.toPredicate(),
        backup().name("autobk_1").tag("env", "prod").tag("team", "blue").tag("owner", "qa-test").build()));
  }

  @Test
  void oneKeyMayAppearInSeveralGroups() {
    BackupPredicate predicate = TagFilter.builder().tags("env").notTags("env", "dev").build().toPredicate();
    assertTrue(matches(predicate, PROD_ONLY));
    assertFalse(matches(predicate, DEV_WEB));
    assertFalse(matches(predicate, UNTAGGED));
  }

  // ---- limits of the groups

  @Test
  void tenKeysAreAccepted() {
    assertEquals(10, withKeys(TagFilter.Builder::tags, 10).build().tags().size());
  }

  @Test
  void eleventhKeyOfTagsIsRefused() {
    TagFilter.Builder builder = withKeys(TagFilter.Builder::tags, 10);
    assertInvalid("tags", "at most 10 keys", () -> builder.tags("k10"));
  }

  @Test
  void eleventhKeyOfTagsAnyIsRefused() {
    TagFilter.Builder builder = withKeys(TagFilter.Builder::tagsAny, 10);
    assertInvalid("tags_any", "at most 10 keys", () -> builder.tagsAny("k10"));
  }

  @Test
  void eleventhKeyOfNotTagsIsRefused() {
    TagFilter.Builder builder = withKeys(TagFilter.Builder::notTags, 10);
    assertInvalid("not_tags", "at most 10 keys", () -> builder.notTags("k10"));
  }

  @Test
  void eleventhKeyOfNotTagsAnyIsRefused() {
    TagFilter.Builder builder = withKeys(TagFilter.Builder::notTagsAny, 10);
    assertInvalid("not_tags_any", "at most 10 keys", () -> builder.notTagsAny("k10"));
  }

  @Test
  void keysOfEachGroupCountSeparately() {
    TagFilter.Builder builder = withKeys(TagFilter.Builder::tags, 10);
    builder.tagsAny("k10").notTags("k11").notTagsAny("k12");
    assertEquals(10, builder.build().tags().size());
  }

  @Test
  void tenValuesAKeyAreAccepted() {
    assertEquals(values(10).size(), TagFilter.builder().tags("env", values(10)).build().tags().get("env").size());
  }

  @Test
  void eleventhValueOfTagsIsRefused() {
    assertInvalid("tags", "at most 10 values", () -> TagFilter.builder().tags("env", values(11)));
  }

  @Test
  void eleventhValueOfTagsAnyIsRefused() {
    assertInvalid("tags_any", "at most 10 values", () -> TagFilter.builder().tagsAny("env", values(11)));
  }

  @Test
  void eleventhValueOfNotTagsIsRefused() {
    assertInvalid("not_tags", "at most 10 values", () -> TagFilter.builder().notTags("env", values(11)));
  }

  @Test
  void eleventhValueOfNotTagsAnyIsRefused() {
    assertInvalid("not_tags_any", "at most 10 values", () -> TagFilter.builder().notTagsAny("env", values(11)));
  }

  @Test
  void repeatedKeyInAGroupIsRefused() {
    TagFilter.Builder builder = TagFilter.builder().tags("env", "prod");
    assertInvalid("tags", "env repeats", () -> builder.tags(" env", "dev"));
  }

  @Test
  void repeatedKeyInNotTagsAnyIsRefused() {
    TagFilter.Builder builder = TagFilter.builder().notTagsAny("env");
    assertInvalid("not_tags_any", "env repeats", () -> builder.notTagsAny("env"));
  }

  @Test
  void badKeyIsRefused() {
    assertInvalid("tag key", () -> TagFilter.builder().tags("my env", "prod"));
  }

  @Test
  void emptyKeyIsRefused() {
    assertInvalid("tag key", () -> TagFilter.builder().tagsAny(""));
  }

  @Test
  void badValueIsRefused() {
    assertInvalid("tag value", () -> TagFilter.builder().notTags("env", "prod env"));
  }

  @Test
  void badSubstringValueIsRefused() {
    assertInvalid("tag value", () -> TagFilter.builder().notTagsAny("env", "*pr.d"));
  }

  @Test
  void refusedKeyLeavesTheBuilderUnchanged() {
    TagFilter.Builder builder = TagFilter.builder().tags("env", "prod");
    assertInvalid("tag value", () -> builder.tags("app", "bad value"));
    assertEquals(TagFilter.builder().tags("env", "prod").build(), builder.build());
  }

  // ---- action and page

  @Test
  void actionParsesTheApiNames() {
    assertEquals(TagFilter.Action.FILTER, TagFilter.Action.parse("filter"));
    assertEquals(TagFilter.Action.COUNT, TagFilter.Action.parse("count"));
    assertEquals("count", TagFilter.Action.COUNT.toString());
  }

  @Test
  void unknownActionIsRefused() {
    assertInvalid("action", "filter or count", () -> TagFilter.Action.parse("COUNT"));
  }

  @Test
  void countIsKept() {
    assertEquals(TagFilter.Action.COUNT, TagFilter.builder().action(TagFilter.Action.COUNT).build().action());
  }

  @Test
  void limitAndOffsetMakeThePage() {
    TagFilter filter = TagFilter.builder().tags("env", "prod").limit(50).offset(100).build();
    assertEquals(Query.builder().where(tag("env", "prod")).limit(50).offset(100).build(), filter.toQuery());
  }

  @Test
  void limitOf0IsRefused() {
    assertInvalid("limit", "1 to 1000", () -> TagFilter.builder().limit(0));
  }

  @Test
  void limitOf1001IsRefused() {
    assertInvalid("limit", "1 to 1000", () -> TagFilter.builder().limit(1001));
  }

  @Test
  void negativeOffsetIsRefused() {
    assertInvalid("offset", "not be negative", () -> TagFilter.builder().offset(-1));
  }

  @Test
  void limitSetTwiceIsRefused() {
    TagFilter.Builder builder = TagFilter.builder().limit(10);
    assertThrows(IllegalStateException.class, () -> builder.limit(20));
  }

  @Test
  void offsetSetTwiceIsRefused() {
    TagFilter.Builder builder = TagFilter.builder().offset(10);
    assertThrows(IllegalStateException.class, () -> builder.offset(20));
  }

  @Test
  void actionSetTwiceIsRefused() {
    TagFilter.Builder builder = TagFilter.builder().action(TagFilter.Action.COUNT);
    assertThrows(IllegalStateException.class, () -> builder.action(TagFilter.Action.FILTER));
  }

  // ---- value

  @Test
  void orderOfKeysDoesNotMatter() {
    TagFilter one = TagFilter.builder().tags("env", "prod").tags("app").notTagsAny("x", "1").build();
    TagFilter two = TagFilter.builder().notTagsAny("x", "1").tags("app").tags("env", "prod").build();
    assertEquals(one, two);
    assertEquals(one.hashCode(), two.hashCode());
    assertEquals(one.toPredicate(), two.toPredicate());
  }

  @Test
  void orderOfValuesDoesNotMatter() {
    assertEquals(TagFilter.builder().tags("env", "prod", "dev").build(), TagFilter.builder().tags("env", "dev", "prod").build());
  }

  @Test
  void filtersDifferingInOneValueDiffer() {
    TagFilter base = TagFilter.builder().tags("env", "prod").build();
    assertNotEquals(base, TagFilter.builder().tagsAny("env", "prod").build());
    assertNotEquals(base, TagFilter.builder().notTags("env", "prod").build());
    assertNotEquals(base, TagFilter.builder().notTagsAny("env", "prod").build());
    assertNotEquals(base, TagFilter.builder().tags("env", "dev").build());
    assertNotEquals(base, TagFilter.builder().tags("env", "prod").limit(10).build());
    assertNotEquals(base, TagFilter.builder().tags("env", "prod").offset(10).build());
    assertNotEquals(base, TagFilter.builder().tags("env", "prod").action(TagFilter.Action.COUNT).build());
    assertNotEquals(base, TagFilter.builder().tags("env", "prod").matches("resource_name", "a").build());
  }

  @Test
  void groupsCannotBeChanged() {
    TagFilter filter = TagFilter.builder().tags("env", "prod").build();
    assertThrows(UnsupportedOperationException.class, () -> filter.tags().put("app", List.of()));
    assertThrows(UnsupportedOperationException.class, () -> filter.tags().get("env").add("dev"));
  }

  @Test
  void toStringUsesTheApiNames() {
    TagFilter filter = TagFilter.builder()
        .tags("env", "prod", "staging")
        .tags("app")
        .notTagsAny("team", "*test")
        .matches("resource_name", "autobk")
        .limit(100)
        .build();
    assertEquals("TagFilter{tags {app=[], env=[prod, staging]}, not_tags_any {team=[*test]}, "
        + "matches resource_name=autobk, action filter, limit 100, offset 0}", filter.toString());
  }
}
