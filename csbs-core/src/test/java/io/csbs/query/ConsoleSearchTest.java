package io.csbs.query;

import static io.csbs.query.TestBackups.CREATED;
import static io.csbs.query.TestBackups.NOW;
import static io.csbs.query.TestBackups.assertInvalid;
import static io.csbs.query.TestBackups.backup;
import static io.csbs.query.TestBackups.matches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.BackupStatus;
import io.csbs.backup.Tag;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ConsoleSearchTest {
  private static final TagCatalogue TAGS = TagCatalogue.of(Map.of(
      "env", List.of("dev", "prod"),
      "app", List.of("shop", "web"),
      "team", List.of("blue")));

  private static ConsoleSearch withTags(int count) {
    ConsoleSearch search = ConsoleSearch.empty();
    for (int i = 0; i < count; i++) {
      search = search.withTag("k" + i, "v" + i);
    }
    return search;
  }

  // ---- defaults

  @Test
  void emptySearchMatchesEveryBackup() {
    assertSame(Predicates.all(), ConsoleSearch.empty().toPredicate(TagCatalogue.empty()));
  }

  @Test
  void emptySearchHasAllStatusesAndNoOtherCriterion() {
    ConsoleSearch search = ConsoleSearch.empty();
    assertTrue(search.allStatuses());
    assertEquals(EnumSet.allOf(BackupStatus.class), search.statuses());
    assertEquals(Optional.empty(), search.timeRange());
    assertEquals(Optional.empty(), search.createdWithinLast());
    assertEquals(Optional.empty(), search.keywordField());
    assertEquals(Optional.empty(), search.keyword());
    assertEquals(List.of(), search.tags());
  }

  // ---- status

  @Test
  void oneStatusLimitsToThatState() {
    ConsoleSearch search = ConsoleSearch.empty().withStatus(BackupStatus.ERROR);
    assertEquals(Predicates.status(BackupStatus.ERROR), search.toPredicate(TAGS));
    assertFalse(search.allStatuses());
  }

  @Test
  void severalStatusesLimitToAnyOfThem() {
    ConsoleSearch search = ConsoleSearch.empty().withStatus(BackupStatus.ERROR, BackupStatus.CREATING);
    assertEquals(Predicates.status(BackupStatus.CREATING, BackupStatus.ERROR), search.toPredicate(TAGS));
    assertEquals(EnumSet.of(BackupStatus.CREATING, BackupStatus.ERROR), search.statuses());
  }

  @Test
  void allFiveStatusesAreAllStatuses() {
    ConsoleSearch search = ConsoleSearch.empty().withStatuses(EnumSet.allOf(BackupStatus.class));
    assertEquals(ConsoleSearch.empty(), search);
    assertTrue(search.allStatuses());
  }

  @Test
  void withStatusReplacesTheEarlierChoice() {
    ConsoleSearch search = ConsoleSearch.empty().withStatus(BackupStatus.ERROR).withStatus(BackupStatus.AVAILABLE);
    assertEquals(EnumSet.of(BackupStatus.AVAILABLE), search.statuses());
  }

  @Test
  void withAllStatusesClearsTheChoice() {
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withStatus(BackupStatus.ERROR).withAllStatuses());
  }

  @Test
  void noStatusIsRefused() {
    assertInvalid("status", "at least one state", () -> ConsoleSearch.empty().withStatuses(List.of()));
  }

  // ---- time segment

  @Test
  void timeRangeLimitsTheCreationTime() {
    TimeRange range = TimeRange.between(CREATED, NOW);
    ConsoleSearch search = ConsoleSearch.empty().withTimeRange(range);
    assertEquals(Predicates.createdIn(range), search.toPredicate(TAGS));
    assertEquals(Optional.of(range), search.timeRange());
  }

  @Test
  void unboundedTimeRangeIsNoTimeSegment() {
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withTimeRange(TimeRange.all()));
  }

  @Test
  void lastDaysIsAWindowBeforeNow() {
    ConsoleSearch search = ConsoleSearch.empty().withLastDays(7);
    assertEquals(Predicates.createdWithinLast(Duration.ofDays(7)), search.toPredicate(TAGS));
    assertEquals(Optional.of(Duration.ofDays(7)), search.createdWithinLast());
  }

  @Test
  void lastDaysIsEvaluatedAtTheGivenNow() {
    BackupPredicate lastDay = ConsoleSearch.empty().withLastDays(1).toPredicate(TAGS);
    assertTrue(matches(lastDay, backup().createdAt(NOW.minus(Duration.ofHours(23))).build()));
    assertFalse(matches(lastDay, backup().createdAt(NOW.minus(Duration.ofHours(25))).build()));
  }

  @Test
  void lastZeroDaysIsRefused() {
    assertInvalid("time window", "positive", () -> ConsoleSearch.empty().withLastDays(0));
  }

  @Test
  void lastNegativeDaysIsRefused() {
    assertInvalid("time window", "positive", () -> ConsoleSearch.empty().withLastDays(-7));
  }

  @Test
  void zeroWindowIsRefused() {
    assertInvalid("time window", () -> ConsoleSearch.empty().withCreatedWithinLast(Duration.ZERO));
  }

  @Test
  void lastDaysReplacesATimeRange() {
    ConsoleSearch search = ConsoleSearch.empty().withTimeRange(TimeRange.from(CREATED)).withLastDays(7);
    assertEquals(Optional.empty(), search.timeRange());
    assertEquals(Predicates.createdWithinLast(Duration.ofDays(7)), search.toPredicate(TAGS));
  }

  @Test
  void timeRangeReplacesLastDays() {
    ConsoleSearch search = ConsoleSearch.empty().withLastDays(7).withTimeRange(TimeRange.from(CREATED));
    assertEquals(Optional.empty(), search.createdWithinLast());
    assertEquals(Predicates.createdIn(TimeRange.from(CREATED)), search.toPredicate(TAGS));
  }

  @Test
  void withoutTimeSegmentClearsIt() {
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withLastDays(7).withoutTimeSegment());
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withTimeRange(TimeRange.from(CREATED)).withoutTimeSegment());
  }

  // ---- keyword

  @Test
  void keywordInEachFieldIsThatFieldsPredicate() {
    for (KeywordField field : KeywordField.values()) {
      assertEquals(Predicates.keyword(field, "abc"), ConsoleSearch.empty().withKeyword(field, "abc").toPredicate(TAGS));
    }
  }

  @Test
  void keywordLosesSurroundingSpaces() {
    ConsoleSearch search = ConsoleSearch.empty().withKeyword(KeywordField.SERVER_NAME, "  web ");
    assertEquals(Optional.of("web"), search.keyword());
    assertEquals(ConsoleSearch.empty().withKeyword(KeywordField.SERVER_NAME, "web"), search);
  }

  @Test
  void blankKeywordIsRefused() {
    assertInvalid("keyword", "non-blank", () -> ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_NAME, "  "));
  }

  @Test
  void blankServerIdKeywordIsRefusedAsAKeyword() {
    assertInvalid("keyword", "non-blank", () -> ConsoleSearch.empty().withKeyword(KeywordField.SERVER_ID, ""));
  }

  @Test
  void keywordLongerThan255CharsIsRefused() {
    assertInvalid("keyword", "at most 255",
        () -> ConsoleSearch.empty().withKeyword(KeywordField.BACKUP_ID, "x".repeat(256)));
  }

  @Test
  void withKeywordReplacesTheEarlierKeyword() {
    ConsoleSearch search = ConsoleSearch.empty()
        .withKeyword(KeywordField.SERVER_NAME, "web")
        .withKeyword(KeywordField.BACKUP_ID, "b1");
    assertEquals(Optional.of(KeywordField.BACKUP_ID), search.keywordField());
    assertEquals(Predicates.backupId("b1"), search.toPredicate(TAGS));
  }

  @Test
  void withoutKeywordClearsIt() {
    assertEquals(ConsoleSearch.empty(), ConsoleSearch.empty().withKeyword(KeywordField.SERVER_NAME, "web").withoutKeyword());
  }

  // ---- tags

  @Test
  void oneTagPairMustHold() {
    BackupPredicate predicate = ConsoleSearch.empty().withTag("env", "prod").toPredicate(TAGS);
    assertEquals(Predicates.tag("env", "prod"), predicate);
    assertTrue(matches(predicate, backup().tag("env", "prod").build()));
    assertFalse(matches(predicate, backup().tag("env", "dev").build()));
  }

  @Test
  void everyTagPairMustHold() {
    BackupPredicate predicate = ConsoleSearch.empty().withTag("env", "prod").withTag("app", "web").toPredicate(TAGS);
    assertEquals(Predicates.and(Predicates.tag("env", "prod"), Predicates.tag("app", "web")), predicate);
    assertTrue(matches(predicate, backup().tag("env", "prod").tag("app", "web").build()));
    assertFalse(matches(predicate, backup().tag("env", "prod").build()));
  }

  @Test
  void twoValuesOfOneKeyMatchNoBackup() {
    BackupPredicate predicate = ConsoleSearch.empty().withTag("env", "prod").withTag("env", "dev").toPredicate(TAGS);
    assertFalse(matches(predicate, backup().tag("env", "prod").build()));
    assertFalse(matches(predicate, backup().tag("env", "dev").build()));
  }

  @Test
  void tagPairsKeepTheOrderAdded() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prod").withTag("app", "web");
    assertEquals(List.of(Tag.of("env", "prod"), Tag.of("app", "web")), search.tags());
  }

  @Test
  void tagPairIsTrimmed() {
    assertEquals(ConsoleSearch.empty().withTag("env", "prod"), ConsoleSearch.empty().withTag(" env ", " prod "));
  }

  @Test
  void tenTagPairsAreAccepted() {
    assertEquals(10, withTags(10).tags().size());
  }

  @Test
  void eleventhTagPairIsRefused() {
    ConsoleSearch ten = withTags(10);
    assertInvalid("tags", "at most 10", () -> ten.withTag("k10", "v10"));
  }

  @Test
  void repeatedTagPairIsIgnored() {
    ConsoleSearch once = ConsoleSearch.empty().withTag("env", "prod");
    assertSame(once, once.withTag("env", "prod"));
    assertSame(once, once.withTag(" env", "prod "));
  }

  @Test
  void repeatedTagPairDoesNotCountTowardsTheLimit() {
    ConsoleSearch ten = withTags(10);
    assertEquals(ten, ten.withTag("k3", "v3"));
  }

  @Test
  void tagPairWithABadKeyIsRefused() {
    assertInvalid("tag key", () -> ConsoleSearch.empty().withTag("my env", "prod"));
  }

  @Test
  void tagPairWithAnEmptyKeyIsRefused() {
    assertInvalid("tag key", () -> ConsoleSearch.empty().withTag("", "prod"));
  }

  @Test
  void tagPairWithABadValueIsRefused() {
    assertInvalid("tag value", () -> ConsoleSearch.empty().withTag("env", "*prod"));
  }

  @Test
  void unknownTagKeyIsRefusedListingTheExistingKeys() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("evn", "prod");
    var e = assertInvalid("tag key", () -> search.toPredicate(TAGS));
    assertEquals("tag key 'evn' is invalid: must be an existing key: [app, env, team]", e.getMessage());
  }

  @Test
  void unknownTagValueIsRefusedListingTheValuesOfItsKey() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prood");
    var e = assertInvalid("tag value", () -> search.toPredicate(TAGS));
    assertEquals("tag value 'prood' is invalid: must be an existing value of key env: [dev, prod]", e.getMessage());
  }

  @Test
  void valueOfAnotherKeyIsRefused() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "web");
    assertInvalid("tag value", "key env", () -> search.toPredicate(TAGS));
  }

  @Test
  void firstUnknownPairIsTheOneRefused() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prod").withTag("app", "nope").withTag("nokey", "x");
    var e = assertInvalid("tag value", () -> search.toPredicate(TAGS));
    assertTrue(e.getMessage().startsWith("tag value 'nope'"), e.getMessage());
  }

  @Test
  void tagOfAProjectWithoutTagsIsRefused() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prod");
    assertInvalid("tag key", "no tags", () -> search.toPredicate(TagCatalogue.empty()));
  }

  @Test
  void longListOfExistingValuesIsShortened() {
    TreeMap<String, List<String>> many = new TreeMap<>();
    List<String> values = new java.util.ArrayList<>();
    for (int i = 10; i < 35; i++) {
      values.add("v" + i);
    }
    many.put("env", values);
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prod");
    var e = assertInvalid("tag value", () -> search.toPredicate(TagCatalogue.of(many)));
    assertEquals("tag value 'prod' is invalid: must be an existing value of key env: "
        + "[v10, v11, v12, v13, v14, v15, v16, v17, v18, v19, ... (25 in all)]", e.getMessage());
  }

  @Test
  void emptyValueIsAcceptedWhereItExists() {
    TagCatalogue withEmpty = TagCatalogue.of(Map.of("env", List.of("")));
    BackupPredicate predicate = ConsoleSearch.empty().withTag("env", "").toPredicate(withEmpty);
    assertTrue(matches(predicate, backup().tag("env", "").build()));
    assertFalse(matches(predicate, backup().tag("env", "prod").build()));
  }

  @Test
  void searchWithoutTagsDoesNotReadTheCatalogue() {
    ConsoleSearch search = ConsoleSearch.empty().withStatus(BackupStatus.AVAILABLE);
    assertEquals(Predicates.status(BackupStatus.AVAILABLE), search.toPredicate(TagCatalogue.empty()));
  }

  @Test
  void withoutTagRemovesOnePair() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prod").withTag("app", "web").withoutTag("env", "prod");
    assertEquals(ConsoleSearch.empty().withTag("app", "web"), search);
  }

  @Test
  void withoutTagOfAnAbsentPairChangesNothing() {
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prod");
    assertSame(search, search.withoutTag("env", "dev"));
  }

  @Test
  void withoutTagsClearsThePairs() {
    assertEquals(ConsoleSearch.empty(), withTags(3).withoutTags());
  }

  // ---- all together

  @Test
  void everyCriterionIsAnded() {
    ConsoleSearch search = ConsoleSearch.empty()
        .withStatus(BackupStatus.AVAILABLE, BackupStatus.ERROR)
        .withLastDays(7)
        .withKeyword(KeywordField.SERVER_NAME, "web")
        .withTag("env", "prod")
        .withTag("app", "shop");
    BackupPredicate expected = Predicates.and(
        Predicates.status(BackupStatus.AVAILABLE, BackupStatus.ERROR),
        Predicates.createdWithinLast(Duration.ofDays(7)),
        Predicates.serverNameContains("web"),
        Predicates.tag("env", "prod"),
        Predicates.tag("app", "shop"));
    assertEquals(expected, search.toPredicate(TAGS));
  }

  @Test
  void backupMustMeetEveryCriterion() {
    BackupPredicate predicate = ConsoleSearch.empty()
        .withStatus(BackupStatus.AVAILABLE)
        .withKeyword(KeywordField.BACKUP_NAME, "AUTO")
        .withTag("env", "prod")
        .toPredicate(TAGS);
    assertTrue(matches(predicate, backup().name("autobk_1").tag("env", "prod").build()));
    assertFalse(matches(predicate, backup().name("manualbk_1").tag("env", "prod").build()));
    assertFalse(matches(predicate, backup().name("autobk_1").tag("env", "dev").build()));
    assertFalse(matches(predicate, backup().name("autobk_1").tag("env", "prod").status(BackupStatus.ERROR).build()));
  }

  @Test
  void resetClearsEveryCriterion() {
    ConsoleSearch search = ConsoleSearch.empty()
        .withStatus(BackupStatus.ERROR)
        .withTimeRange(TimeRange.from(CREATED))
        .withKeyword(KeywordField.BACKUP_ID, "b1")
        .withTag("env", "prod");
    assertEquals(ConsoleSearch.empty(), search.reset());
    assertSame(Predicates.all(), search.reset().toPredicate(TAGS));
  }

  @Test
  void withMethodsLeaveTheOriginalUnchanged() {
    ConsoleSearch original = ConsoleSearch.empty().withTag("env", "prod");
    original.withStatus(BackupStatus.ERROR).withLastDays(3).withKeyword(KeywordField.BACKUP_ID, "x").withTag("app", "web");
    original.reset();
    assertEquals(ConsoleSearch.empty().withTag("env", "prod"), original);
  }

  // ---- query

  @Test
  void toQueryIsTheFirstPageNewestFirst() {
    Query query = ConsoleSearch.empty().withTag("env", "prod").toQuery(TAGS, 20);
    assertEquals(Query.builder().where(Predicates.tag("env", "prod")).limit(20).build(), query);
  }

  @Test
  void toQueryRefusesALimitOf0() {
    assertInvalid("limit", () -> ConsoleSearch.empty().toQuery(TAGS, 0));
  }

  @Test
  void toQueryRefusesALimitOf1001() {
    assertInvalid("limit", () -> ConsoleSearch.empty().toQuery(TAGS, 1001));
  }

  @Test
  void toQueryRefusesAnUnknownTag() {
    assertInvalid("tag key", () -> ConsoleSearch.empty().withTag("nope", "x").toQuery(TAGS, 20));
  }

  // ---- value

  @Test
  void equalFormsAreEqualWithEqualHashCodes() {
    ConsoleSearch one = ConsoleSearch.empty().withStatus(BackupStatus.ERROR).withLastDays(7).withTag("env", "prod");
    ConsoleSearch two = ConsoleSearch.empty().withTag("env", "prod").withLastDays(7).withStatus(BackupStatus.ERROR);
    assertEquals(one, two);
    assertEquals(one.hashCode(), two.hashCode());
  }

  @Test
  void formsDifferingInOneCriterionDiffer() {
    ConsoleSearch base = ConsoleSearch.empty().withTag("env", "prod");
    assertNotEquals(base, base.withStatus(BackupStatus.ERROR));
    assertNotEquals(base, base.withLastDays(7));
    assertNotEquals(base, base.withKeyword(KeywordField.SERVER_NAME, "web"));
    assertNotEquals(base.withKeyword(KeywordField.SERVER_NAME, "web"), base.withKeyword(KeywordField.BACKUP_NAME, "web"));
    assertNotEquals(base, base.withTag("app", "web"));
    assertNotEquals(base.withTag("app", "web"), ConsoleSearch.empty().withTag("app", "web").withTag("env", "prod"));
  }

  @Test
  void toStringOfTheEmptySearch() {
    assertEquals("ConsoleSearch{all}", ConsoleSearch.empty().toString());
  }

  @Test
  void toStringNamesEveryCriterion() {
    ConsoleSearch search = ConsoleSearch.empty()
        .withStatus(BackupStatus.AVAILABLE, BackupStatus.ERROR)
        .withLastDays(7)
        .withKeyword(KeywordField.SERVER_NAME, "web")
        .withTag("env", "prod");
    assertEquals(
        "ConsoleSearch{status in [Available, Error], created within last 7 days, server name \"web\", tags [env=prod]}",
        search.toString());
    assertEquals("ConsoleSearch{status = Error, created in [2026-11-24T10:00:00Z, +inf)}",
        ConsoleSearch.empty().withStatus(BackupStatus.ERROR).withTimeRange(TimeRange.from(CREATED)).toString());
  }
}
