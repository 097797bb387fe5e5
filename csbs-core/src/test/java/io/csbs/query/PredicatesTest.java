package io.csbs.query;

import static io.csbs.query.Predicates.all;
import static io.csbs.query.Predicates.and;
import static io.csbs.query.Predicates.none;
import static io.csbs.query.Predicates.not;
import static io.csbs.query.Predicates.or;
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

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.lifecycle.StallRule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PredicatesTest {
  private static final BackupPredicate AVAILABLE = Predicates.status(BackupStatus.AVAILABLE);
  private static final BackupPredicate PROD = Predicates.tag("env", "prod");
  private static final BackupPredicate WEB = Predicates.serverNameContains("web");
  private static final BackupPredicate AUTO = Predicates.nameContains("auto");

  // ---- normalization

  @Test
  void andOfNothingIsAll() {
    assertSame(all(), and());
    assertSame(all(), and(List.of()));
  }

  @Test
  void orOfNothingIsNone() {
    assertSame(none(), or());
    assertSame(none(), or(List.of()));
  }

  @Test
  void andOfOneOperandIsThatOperand() {
    assertEquals(PROD, and(PROD));
  }

  @Test
  void orOfOneOperandIsThatOperand() {
    assertEquals(PROD, or(PROD));
  }

  @Test
  void andFlattensNestedAnds() {
    assertEquals(and(AVAILABLE, PROD, WEB), and(AVAILABLE, and(PROD, WEB)));
    assertEquals(and(AVAILABLE, PROD, WEB), and(and(AVAILABLE, PROD), WEB));
  }

  @Test
  void orFlattensNestedOrs() {
    assertEquals(or(AVAILABLE, PROD, WEB), or(AVAILABLE, or(PROD, WEB)));
  }

  @Test
  void andKeepsNestedOrsAsOperands() {
    BackupPredicate tree = and(AVAILABLE, or(PROD, WEB));
    assertEquals("((server name contains \"web\" OR tag env=prod) AND status = Available)", tree.toString());
  }

  @Test
  void andDropsRepeatedOperands() {
    assertEquals(and(AVAILABLE, PROD), and(AVAILABLE, PROD, AVAILABLE, and(PROD)));
    assertEquals(PROD, and(PROD, PROD));
  }

  @Test
  void orDropsRepeatedOperands() {
    assertEquals(or(AVAILABLE, PROD), or(AVAILABLE, PROD, PROD));
  }

  @Test
  void andDropsAll() {
    assertEquals(and(AVAILABLE, PROD), and(all(), AVAILABLE, all(), PROD));
    assertSame(all(), and(all(), all()));
  }

  @Test
  void orDropsNone() {
    assertEquals(or(AVAILABLE, PROD), or(none(), AVAILABLE, PROD, none()));
    assertSame(none(), or(none()));
  }

  @Test
  void andWithNoneIsNone() {
    assertSame(none(), and(AVAILABLE, none(), PROD));
  }

  @Test
  void orWithAllIsAll() {
    assertSame(all(), or(AVAILABLE, all(), PROD));
  }

  @Test
  void andIsTheSameValueWhateverTheOrderOfItsOperands() {
    assertEquals(and(AVAILABLE, PROD), and(PROD, AVAILABLE));
    assertEquals(and(AVAILABLE, PROD).toString(), and(PROD, AVAILABLE).toString());
  }

  @Test
  void orIsTheSameValueWhateverTheOrderOfItsOperands() {
    assertEquals(or(AVAILABLE, PROD, WEB), or(WEB, PROD, AVAILABLE));
  }

  @Test
  void notOfNotIsTheOperand() {
    assertEquals(PROD, not(not(PROD)));
    assertEquals(and(PROD, WEB), not(not(and(PROD, WEB))));
  }

  @Test
  void notOfAllIsNone() {
    assertSame(none(), not(all()));
  }

  @Test
  void notOfNoneIsAll() {
    assertSame(all(), not(none()));
  }

  @Test
  void notOfAStatusIsTheOtherStatuses() {
    assertEquals(
        Predicates.status(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING, BackupStatus.ERROR),
        not(AVAILABLE));
    assertEquals(AVAILABLE, not(Predicates.status(EnumSet.complementOf(EnumSet.of(BackupStatus.AVAILABLE)))));
  }

  @Test
  void statusWithAllFiveStatesIsAll() {
    assertSame(all(), Predicates.status(EnumSet.allOf(BackupStatus.class)));
    assertSame(all(), Predicates.status(BackupStatus.AVAILABLE, BackupStatus.CREATING, BackupStatus.RESTORING,
        BackupStatus.DELETING, BackupStatus.ERROR));
  }

  @Test
  void statusIgnoresOrderAndRepeats() {
    assertEquals(
        Predicates.status(BackupStatus.ERROR, BackupStatus.AVAILABLE),
        Predicates.status(List.of(BackupStatus.AVAILABLE, BackupStatus.ERROR, BackupStatus.ERROR)));
  }

  @Test
  void statusIsRefusedWithoutAState() {
    assertInvalid("status", "at least one state", () -> Predicates.status(List.of()));
  }

  @Test
  void statusSetCannotBeChangedThroughTheVisitor() {
    Set<BackupStatus> seen = Predicates.status(BackupStatus.AVAILABLE, BackupStatus.ERROR).accept(new Printer()).statuses;
    org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> seen.add(BackupStatus.CREATING));
  }

  @Test
  void createdInTheUnboundedRangeIsAll() {
    assertSame(all(), Predicates.createdIn(TimeRange.all()));
  }

  @Test
  void createdBetweenIsCreatedInAnInclusiveRange() {
    Instant end = CREATED.plusSeconds(60);
    assertEquals(Predicates.createdIn(TimeRange.between(CREATED, end)), Predicates.createdBetween(CREATED, end));
  }

  @Test
  void createdWithinLastIsRefusedForAZeroWindow() {
    assertInvalid("time window", "positive", () -> Predicates.createdWithinLast(Duration.ZERO));
  }

  @Test
  void createdWithinLastIsRefusedForANegativeWindow() {
    assertInvalid("time window", "positive", () -> Predicates.createdWithinLast(Duration.ofDays(-1)));
  }

  @Test
  void keywordInServerNameIsServerNameContains() {
    assertEquals(Predicates.serverNameContains("web"), Predicates.keyword(KeywordField.SERVER_NAME, "web"));
  }

  @Test
  void keywordInServerIdIsServerIdEquals() {
    assertEquals(Predicates.serverId("f8dd"), Predicates.keyword(KeywordField.SERVER_ID, "f8dd"));
  }

  @Test
  void keywordInBackupNameIsNameContains() {
    assertEquals(Predicates.nameContains("auto"), Predicates.keyword(KeywordField.BACKUP_NAME, "auto"));
  }

  @Test
  void keywordInBackupIdIsBackupIdEquals() {
    assertEquals(Predicates.backupId("7b99"), Predicates.keyword(KeywordField.BACKUP_ID, "7b99"));
  }

  @Test
  void blankKeywordIsRefusedInEveryField() {
    for (KeywordField field : KeywordField.values()) {
      assertInvalid("keyword", "non-blank", () -> Predicates.keyword(field, " "));
    }
  }

  @Test
  void keywordLongerThan255CharsIsRefused() {
    assertInvalid("keyword", "at most 255", () -> Predicates.nameContains("a".repeat(256)));
  }

  @Test
  void aKeywordCountsALetterOutsideTheBasicMultilingualPlaneOnce() {
    String script = new String(Character.toChars(0x1D49C));  // MATHEMATICAL SCRIPT CAPITAL A, two chars
    // the longest backup name (255 such letters) can be searched for whole
    assertTrue(matches(Predicates.nameContains(script.repeat(255)), backup().name(script.repeat(255)).build()));
    assertInvalid("keyword", "at most 255 characters", () -> Predicates.nameContains(script.repeat(256)));
    assertInvalid("policy id", "at most 255 characters", () -> Predicates.policyId(script.repeat(256)));
  }

  @Test
  void keywordOf255CharsIsAccepted() {
    assertEquals("name contains \"" + "a".repeat(255) + "\"", Predicates.nameContains("a".repeat(255)).toString());
  }

  @Test
  void blankAttributeValueIsRefusedNamingTheAttribute() {
    assertInvalid("availability zone", "non-blank", () -> Predicates.availabilityZone(""));
  }

  @Test
  void attributeValueLongerThan255CharsIsRefused() {
    assertInvalid("policy id", "at most 255", () -> Predicates.policyId("p".repeat(256)));
  }

  @Test
  void backupTypeOtherThanAConstantIsRefused() {
    assertInvalid("backup type", "[COMMON, ENHANCED]", () -> Predicates.attribute(Attribute.BACKUP_TYPE, "enhanced"));
  }

  @Test
  void triggerOtherThanAConstantIsRefused() {
    assertInvalid("trigger", "[MANUAL, AUTOMATIC]", () -> Predicates.attribute(Attribute.TRIGGER, "policy"));
  }

  @Test
  void typeAndTriggerAreAttributes() {
    assertEquals(Predicates.attribute(Attribute.BACKUP_TYPE, "ENHANCED"), Predicates.type(BackupType.ENHANCED));
    assertEquals(Predicates.attribute(Attribute.TRIGGER, "AUTOMATIC"), Predicates.trigger(BackupTrigger.AUTOMATIC));
  }

  @Test
  void tagTrimsKeyAndValue() {
    assertEquals(PROD, Predicates.tag(" env ", " prod "));
  }

  @Test
  void tagValuesAreSortedAndDistinct() {
    assertEquals(Predicates.tag("env", List.of("prod", "dev")), Predicates.tag("env", List.of("dev", "prod", "dev")));
  }

  @Test
  void tagValueStarAloneMeansAnyValue() {
    assertEquals(Predicates.tagKey("env"), Predicates.tag("env", List.of("*", "prod")));
  }

  @Test
  void tagWithABadKeyIsRefused() {
    assertInvalid("tag key", () -> Predicates.tag("my env", "prod"));
  }

  @Test
  void tagWithAnEmptyKeyIsRefused() {
    assertInvalid("tag key", () -> Predicates.tagKey(""));
  }

  @Test
  void tagWithABadValueIsRefused() {
    assertInvalid("tag value", () -> Predicates.tag("env", "prod env"));
  }

  @Test
  void tagWithABadSubstringPatternIsRefused() {
    assertInvalid("tag value", () -> Predicates.tag("env", List.of("*pr.d")));
  }

  @Test
  void tagWithMoreThan10ValuesIsRefused() {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      values.add("v" + i);
    }
    assertInvalid("tag values", "at most 10", () -> Predicates.tag("env", values));
  }

  @Test
  void tagWith10ValuesIsAccepted() {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      values.add("v" + i);
    }
    assertTrue(matches(Predicates.tag("env", values), backup().tag("env", "v9").build()));
  }

  // ---- values

  @Test
  void equalTreesAreEqualWithEqualHashCodes() {
    BackupPredicate one = and(AVAILABLE, or(PROD, Predicates.tag("env", "dev")), not(WEB));
    BackupPredicate two = and(Predicates.status(BackupStatus.AVAILABLE),
        or(Predicates.tag("env", "prod"), Predicates.tag("env", "dev")), not(Predicates.serverNameContains("web")));
    assertEquals(one, two);
    assertEquals(one.hashCode(), two.hashCode());
  }

  @Test
  void treesWithDifferentLeavesDiffer() {
    assertNotEquals(and(AVAILABLE, PROD), and(AVAILABLE, Predicates.tag("env", "dev")));
    assertNotEquals(Predicates.nameContains("web"), Predicates.serverNameContains("web"));
    assertNotEquals(Predicates.nameContains("web"), Predicates.nameContains("web-1"));
    assertNotEquals(and(AVAILABLE, PROD), or(AVAILABLE, PROD));
  }

  @Test
  void namesDifferingOnlyInCaseAreOneCriterion() {
    assertEquals(Predicates.nameContains("Web"), Predicates.nameContains("web"));
    assertEquals(Predicates.serverNameContains("WEB"), Predicates.serverNameContains("web"));
    assertEquals("name contains \"web\"", Predicates.nameContains("WeB").toString());
  }

  @Test
  void toStringOfTheJavadocExample() {
    BackupPredicate p = and(AVAILABLE, Predicates.createdWithinLast(Duration.ofDays(7)), PROD);
    assertEquals("(created within last 7 days AND status = Available AND tag env=prod)", p.toString());
  }

  @Test
  void toStringOfEachLeaf() {
    assertEquals("all", all().toString());
    assertEquals("none", none().toString());
    assertEquals("status in [Available, Error]", Predicates.status(BackupStatus.ERROR, BackupStatus.AVAILABLE).toString());
    assertEquals("created in [2026-11-24T10:00:00Z, +inf)", Predicates.createdIn(TimeRange.from(CREATED)).toString());
    assertEquals("created within last 1 day", Predicates.createdWithinLast(Duration.ofDays(1)).toString());
    assertEquals("created within last 3 hours", Predicates.createdWithinLast(Duration.ofHours(3)).toString());
    assertEquals("created within last PT1M30S", Predicates.createdWithinLast(Duration.ofSeconds(90)).toString());
    assertEquals("name contains \"auto\"", AUTO.toString());
    assertEquals("server name contains \"web\"", WEB.toString());
    assertEquals("id = \"7b99\"", Predicates.backupId("7b99").toString());
    assertEquals("availability zone = \"eu-de-02\"", Predicates.availabilityZone("eu-de-02").toString());
    assertEquals("tag env=dev|prod", Predicates.tag("env", List.of("prod", "dev")).toString());
    assertEquals("tag env", Predicates.tagKey("env").toString());
    assertEquals("stalled", Predicates.stalled().toString());
    assertEquals("NOT tag env=prod", not(PROD).toString());
    assertEquals("(name contains \"auto\" OR tag env=prod)", or(PROD, AUTO).toString());
  }

  // ---- evaluation of each leaf

  @Test
  void allMatchesEveryBackupAndNoneNone() {
    Backup backup = backup().build();
    assertTrue(matches(all(), backup));
    assertFalse(matches(none(), backup));
  }

  @Test
  void statusMatchesBackupsInTheChosenStates() {
    BackupPredicate availableOrError = Predicates.status(BackupStatus.AVAILABLE, BackupStatus.ERROR);
    assertTrue(matches(availableOrError, backup().build()));
    assertTrue(matches(availableOrError, backup().status(BackupStatus.ERROR).build()));
    assertFalse(matches(availableOrError, backup().status(BackupStatus.CREATING).build()));
  }

  @Test
  void createdInIncludesAnInclusiveBoundAndExcludesAnExclusiveOne() {
    Instant end = CREATED.plusSeconds(3600);
    BackupPredicate halfOpen = Predicates.createdIn(TimeRange.of(CREATED, true, end, false));
    assertTrue(matches(halfOpen, backup().createdAt(CREATED).build()));
    assertFalse(matches(halfOpen, backup().createdAt(end).build()));
    assertFalse(matches(halfOpen, backup().createdAt(CREATED.minusNanos(1)).build()));
  }

  @Test
  void createdWithinLastIncludesItsStartAndNow() {
    BackupPredicate lastHour = Predicates.createdWithinLast(Duration.ofHours(1));
    assertTrue(matches(lastHour, backup().createdAt(NOW.minus(Duration.ofHours(1))).build()));
    assertTrue(matches(lastHour, backup().createdAt(NOW).build()));
    assertFalse(matches(lastHour, backup().createdAt(NOW.minus(Duration.ofHours(1)).minusNanos(1)).build()));
  }

  @Test
  void createdWithinLastExcludesBackupsCreatedAfterNow() {
    BackupPredicate lastHour = Predicates.createdWithinLast(Duration.ofHours(1));
    assertFalse(matches(lastHour, backup().createdAt(NOW.plusSeconds(1)).build()));
  }

  @Test
  void createdWithinLastReadsNowFromTheEvaluation() {
    BackupPredicate lastHour = Predicates.createdWithinLast(Duration.ofHours(1));
    Backup backup = backup().createdAt(NOW).build();
    assertTrue(lastHour.test(backup, NOW.plus(Duration.ofMinutes(30)), StallRule.DEFAULT));
    assertFalse(lastHour.test(backup, NOW.plus(Duration.ofMinutes(61)), StallRule.DEFAULT));
  }

  @Test
  void nameContainsMatchesAnywhereIgnoringCase() {
    Backup backup = backup().name("Autobk_A61d").build();
    assertTrue(matches(Predicates.nameContains("autobk"), backup));
    assertTrue(matches(Predicates.nameContains("BK_a6"), backup));
    assertFalse(matches(Predicates.nameContains("manual"), backup));
  }

  @Test
  void serverNameContainsMatchesAnywhereIgnoringCase() {
    Backup backup = backup().serverName("ECS-Web-01").build();
    assertTrue(matches(Predicates.serverNameContains("web"), backup));
    assertFalse(matches(Predicates.serverNameContains("db"), backup));
  }

  @Test
  void nameContainsDoesNotLookAtTheServerName() {
    assertFalse(matches(Predicates.nameContains("ggao"), backup().build()));
  }

  @Test
  void backupIdMatchesOnlyTheWholeIdInItsCase() {
    Backup backup = backup().id("Backup-1").build();
    assertTrue(matches(Predicates.backupId("Backup-1"), backup));
    assertFalse(matches(Predicates.backupId("Backup"), backup));
    assertFalse(matches(Predicates.backupId("backup-1"), backup));
  }

  @Test
  void serverIdMatchesOnlyTheWholeId() {
    Backup backup = backup().serverId("server-1").build();
    assertTrue(matches(Predicates.serverId("server-1"), backup));
    assertFalse(matches(Predicates.serverId("server"), backup));
  }

  @Test
  void availabilityZoneMatchesExactly() {
    Backup backup = backup().zone("eu-de-02").build();
    assertTrue(matches(Predicates.availabilityZone("eu-de-02"), backup));
    assertFalse(matches(Predicates.availabilityZone("eu-de-01"), backup));
  }

  @Test
  void resourceTypeMatchesExactly() {
    assertTrue(matches(Predicates.resourceType("OS::Nova::Server"), backup().build()));
    assertFalse(matches(Predicates.resourceType("OS::Cinder::Volume"), backup().build()));
  }

  @Test
  void policyIdMatchesBackupsOfThatPolicyOnly() {
    assertTrue(matches(Predicates.policyId("daily"), backup().policy("daily").build()));
    assertFalse(matches(Predicates.policyId("daily"), backup().policy("weekly").build()));
    assertFalse(matches(Predicates.policyId("daily"), backup().build()));
  }

  @Test
  void typeMatchesTheBackupType() {
    assertTrue(matches(Predicates.type(BackupType.ENHANCED), backup().type(BackupType.ENHANCED).build()));
    assertFalse(matches(Predicates.type(BackupType.ENHANCED), backup().build()));
  }

  @Test
  void triggerMatchesManualOrAutomatic() {
    assertTrue(matches(Predicates.trigger(BackupTrigger.MANUAL), backup().build()));
    assertFalse(matches(Predicates.trigger(BackupTrigger.AUTOMATIC), backup().build()));
    assertTrue(matches(Predicates.trigger(BackupTrigger.AUTOMATIC), backup().policy("daily").build()));
  }

  @Test
  void tagMatchesTheExactValueOnly() {
    assertTrue(matches(PROD, backup().tag("env", "prod").build()));
    assertFalse(matches(PROD, backup().tag("env", "production").build()));
    assertFalse(matches(PROD, backup().tag("env", "Prod").build()));
  }

  @Test
  void tagNeverMatchesABackupWithoutTheKey() {
    assertFalse(matches(PROD, backup().tag("app", "prod").build()));
    assertFalse(matches(Predicates.tagKey("env"), backup().build()));
  }

  @Test
  void tagKeyMatchesAnyValueEvenAnEmptyOne() {
    assertTrue(matches(Predicates.tagKey("env"), backup().tag("env", "").build()));
    assertTrue(matches(Predicates.tagKey("env"), backup().tag("env", "dev").build()));
  }

  @Test
  void tagMatchesAnyOfItsValues() {
    BackupPredicate devOrProd = Predicates.tag("env", List.of("dev", "prod"));
    assertTrue(matches(devOrProd, backup().tag("env", "dev").build()));
    assertTrue(matches(devOrProd, backup().tag("env", "prod").build()));
    assertFalse(matches(devOrProd, backup().tag("env", "test").build()));
  }

  @Test
  void tagValueWithAStarMatchesTheRestAnywhere() {
    BackupPredicate containsRod = Predicates.tag("env", List.of("*rod"));
    assertTrue(matches(containsRod, backup().tag("env", "production").build()));
    assertTrue(matches(containsRod, backup().tag("env", "rod").build()));
    assertFalse(matches(containsRod, backup().tag("env", "dev").build()));
  }

  @Test
  void stalledMatchesARunningJobWhoseProgressIsOlderThanTheThreshold() {
    Backup stuck = backup().status(BackupStatus.CREATING).progressChangedAt(NOW.minus(Duration.ofMinutes(31))).build();
    Backup moving = backup().status(BackupStatus.CREATING).progressChangedAt(NOW.minus(Duration.ofMinutes(29))).build();
    assertTrue(matches(Predicates.stalled(), stuck));
    assertFalse(matches(Predicates.stalled(), moving));
  }

  @Test
  void stalledNeverMatchesAStableBackup() {
    assertFalse(matches(Predicates.stalled(), backup().createdAt(NOW.minus(Duration.ofDays(30))).build()));
  }

  @Test
  void stalledUsesTheGivenStallRule() {
    Backup backup = backup().status(BackupStatus.DELETING).progressChangedAt(NOW.minus(Duration.ofMinutes(10))).build();
    assertTrue(Predicates.stalled().test(backup, NOW, StallRule.ofThreshold(Duration.ofMinutes(5))));
    assertFalse(Predicates.stalled().test(backup, NOW, StallRule.DEFAULT));
  }

  @Test
  void andMatchesWhenEveryOperandDoes() {
    BackupPredicate availableProd = and(AVAILABLE, PROD);
    assertTrue(matches(availableProd, backup().tag("env", "prod").build()));
    assertFalse(matches(availableProd, backup().tag("env", "dev").build()));
    assertFalse(matches(availableProd, backup().status(BackupStatus.ERROR).tag("env", "prod").build()));
  }

  @Test
  void orMatchesWhenAnyOperandDoes() {
    BackupPredicate prodOrWeb = or(PROD, WEB);
    assertTrue(matches(prodOrWeb, backup().tag("env", "prod").build()));
    assertTrue(matches(prodOrWeb, backup().serverName("web-1").build()));
    assertFalse(matches(prodOrWeb, backup().build()));
  }

  @Test
  void notMatchesWhenItsOperandDoesNot() {
    assertFalse(matches(not(PROD), backup().tag("env", "prod").build()));
    assertTrue(matches(not(PROD), backup().build()));
  }

  @Test
  void testWithAClockUsesItsInstantAndTheDefaultStallRule() {
    Backup backup = backup().status(BackupStatus.CREATING).progressChangedAt(NOW).createdAt(NOW).build();
    Clock later = Clock.fixed(NOW.plus(Duration.ofMinutes(31)), ZoneOffset.UTC);
    Clock soon = Clock.fixed(NOW.plus(Duration.ofMinutes(29)), ZoneOffset.UTC);
    assertTrue(Predicates.stalled().test(backup, later));
    assertFalse(Predicates.stalled().test(backup, soon));
  }

  // ---- visitor

  @Test
  void visitorSeesEveryKindOfNode() {
    BackupPredicate tree = and(
        Predicates.status(BackupStatus.AVAILABLE, BackupStatus.ERROR),
        Predicates.createdIn(TimeRange.from(CREATED)),
        Predicates.createdWithinLast(Duration.ofDays(7)),
        or(AUTO, WEB, Predicates.backupId("b1"), Predicates.serverId("s1")),
        not(Predicates.tag("env", List.of("dev", "*test"))),
        not(Predicates.stalled()));
    assertEquals(
        "and[or[id[b1], name[auto], server id[s1], serverName[web]], not[stalled], not[tag[env, [*test, dev]]], "
            + "createdIn[[2026-11-24T10:00:00Z, +inf)], within[PT168H], status[Available, Error]]",
        tree.accept(new Printer()).text);
    assertEquals("all", all().accept(new Printer()).text);
    assertEquals("none", none().accept(new Printer()).text);
  }

  @Test
  void visitorSeesOneStateAsAStatusNode() {
    assertEquals("status[Available]", AVAILABLE.accept(new Printer()).text);
  }

  /** Prints a tree in a prefix form, and keeps the last status set it saw. */
  private static final class Printer implements PredicateVisitor<Printer.Out> {
    static final class Out {
      final String text;
      final Set<BackupStatus> statuses;

      Out(String text, Set<BackupStatus> statuses) {
        this.text = text;
        this.statuses = statuses;
      }
    }

    private static Out out(String text) {
      return new Out(text, Collections.emptySet());
    }

    private Out list(String name, List<BackupPredicate> operands) {
      List<String> parts = new ArrayList<>();
      for (BackupPredicate operand : operands) {
        parts.add(operand.accept(this).text);
      }
      return out(name + parts);
    }

    @Override
    public Out all() {
      return out("all");
    }

    @Override
    public Out none() {
      return out("none");
    }

    @Override
    public Out status(Set<BackupStatus> statuses) {
      return new Out("status" + statuses, statuses);
    }

    @Override
    public Out createdIn(TimeRange range) {
      return out("createdIn[" + range + "]");
    }

    @Override
    public Out createdWithinLast(Duration window) {
      return out("within[" + window + "]");
    }

    @Override
    public Out nameContains(String text) {
      return out("name[" + text + "]");
    }

    @Override
    public Out serverNameContains(String text) {
      return out("serverName[" + text + "]");
    }

    @Override
    public Out backupId(String id) {
      return out("id[" + id + "]");
    }

    @Override
    public Out attribute(Attribute attribute, String value) {
      return out(attribute + "[" + value + "]");
    }

    @Override
    public Out tag(String key, List<String> values) {
      return out("tag[" + key + ", " + values + "]");
    }

    @Override
    public Out stalled() {
      return out("stalled");
    }

    @Override
    public Out and(List<BackupPredicate> operands) {
      return list("and", operands);
    }

    @Override
    public Out or(List<BackupPredicate> operands) {
      return list("or", operands);
    }

    @Override
    public Out not(BackupPredicate operand) {
      return out("not[" + operand.accept(this).text + "]");
    }
  }
}
