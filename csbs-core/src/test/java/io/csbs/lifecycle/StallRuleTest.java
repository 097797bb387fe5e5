package io.csbs.lifecycle;

import static io.csbs.lifecycle.TestBackups.LAST_CHANGE;
import static io.csbs.lifecycle.TestBackups.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every running backup of {@link TestBackups} last changed its progress at {@link TestBackups#LAST_CHANGE}. */
class StallRuleTest {
  private static final Duration THIRTY_MINUTES = Duration.ofMinutes(30);

  @Test
  void defaultThresholdIs30Minutes() {
    assertEquals(THIRTY_MINUTES, StallRule.DEFAULT_THRESHOLD);
    assertEquals(THIRTY_MINUTES, StallRule.DEFAULT.threshold());
  }

  @Test
  void runningBackupIsStalledStrictlyAfterTheThreshold() {
    assertTrue(StallRule.DEFAULT.isStalled(TestBackups.creating(), LAST_CHANGE.plus(THIRTY_MINUTES).plusNanos(1)));
  }

  @Test
  void runningBackupIsNotStalledExactlyAtTheThreshold() {
    assertFalse(StallRule.DEFAULT.isStalled(TestBackups.creating(), LAST_CHANGE.plus(THIRTY_MINUTES)));
  }

  @Test
  void runningBackupIsNotStalledBeforeTheThreshold() {
    assertFalse(StallRule.DEFAULT.isStalled(TestBackups.creating(), LAST_CHANGE.plus(Duration.ofMinutes(29))));
    assertFalse(StallRule.DEFAULT.isStalled(TestBackups.creating(), LAST_CHANGE));
  }

  @Test
  void everyIntermediateStateCanStall() {
    Instant late = LAST_CHANGE.plus(Duration.ofHours(2));
    for (Backup running : List.of(TestBackups.creating(), TestBackups.restoring(), TestBackups.deleting())) {
      assertTrue(StallRule.DEFAULT.isStalled(running, late), running::toString);
    }
  }

  @Test
  void stableBackupIsNeverStalled() {
    Instant muchLater = LAST_CHANGE.plus(Duration.ofDays(365));
    for (Backup stable : List.of(TestBackups.available(), TestBackups.availableEnhanced(), TestBackups.error())) {
      assertFalse(StallRule.DEFAULT.isStalled(stable, muchLater), stable::toString);
    }
  }

  @Test
  void newProgressRestartsTheStallClock() {
    Instant later = LAST_CHANGE.plus(Duration.ofMinutes(31));
    Backup moved = Lifecycle.reportProgress(TestBackups.creating(20), 21, later);

    assertTrue(StallRule.DEFAULT.isStalled(TestBackups.creating(20), later));
    assertFalse(StallRule.DEFAULT.isStalled(moved, later.plus(THIRTY_MINUTES)));
    assertTrue(StallRule.DEFAULT.isStalled(moved, later.plus(THIRTY_MINUTES).plusMillis(1)));
  }

  @Test
  void sameProgressAgainDoesNotRestartTheStallClock() {
    Instant later = LAST_CHANGE.plus(Duration.ofMinutes(31));
    Backup same = Lifecycle.reportProgress(TestBackups.creating(20), 20, later);

    assertTrue(StallRule.DEFAULT.isStalled(same, later));
  }

  @Test
  void customThresholdIsUsed() {
    StallRule rule = StallRule.ofThreshold(Duration.ofMinutes(10));

    assertTrue(rule.isStalled(TestBackups.restoring(), LAST_CHANGE.plus(Duration.ofMinutes(11))));
    assertFalse(rule.isStalled(TestBackups.restoring(), LAST_CHANGE.plus(Duration.ofMinutes(10))));
  }

  @Test
  void clockOverloadJudgesAtTheClocksInstant() {
    Clock justAfter = Clock.fixed(LAST_CHANGE.plus(THIRTY_MINUTES).plusSeconds(1), ZoneOffset.UTC);
    Clock exactly = Clock.fixed(LAST_CHANGE.plus(THIRTY_MINUTES), ZoneOffset.UTC);

    assertTrue(StallRule.DEFAULT.isStalled(TestBackups.deleting(), justAfter));
    assertFalse(StallRule.DEFAULT.isStalled(TestBackups.deleting(), exactly));
    assertFalse(StallRule.DEFAULT.isStalled(TestBackups.available(), justAfter));
  }

  @Test
  void instantOverloadComparesProgressTimeWithNow() {
    assertTrue(StallRule.DEFAULT.isStalled(LAST_CHANGE, LAST_CHANGE.plus(THIRTY_MINUTES).plusNanos(1)));
    assertFalse(StallRule.DEFAULT.isStalled(LAST_CHANGE, LAST_CHANGE.plus(THIRTY_MINUTES)));
  }

  @Test
  void stalledIfChangedBeforeIsNowMinusTheThreshold() {
    Instant now = Instant.parse("2026-11-24T12:00:00Z");

    assertEquals(Instant.parse("2026-11-24T11:30:00Z"), StallRule.DEFAULT.stalledIfChangedBefore(now));
    assertEquals(Instant.parse("2026-11-24T11:55:00Z"),
        StallRule.ofThreshold(Duration.ofMinutes(5)).stalledIfChangedBefore(now));
  }

  @Test
  void refusesZeroThreshold() {
    assertInvalid("stall threshold", () -> StallRule.ofThreshold(Duration.ZERO));
  }

  @Test
  void refusesNegativeThreshold() {
    assertInvalid("stall threshold", () -> new StallRule(Duration.ofMinutes(-1)));
  }

  @Test
  void refusesMissingThreshold() {
    assertThrows(NullPointerException.class, () -> StallRule.ofThreshold(null));
  }

  @Test
  void rulesWithEqualThresholdsAreEqual() {
    assertEquals(StallRule.DEFAULT, StallRule.ofThreshold(Duration.ofMinutes(30)));
    assertEquals(StallRule.DEFAULT.hashCode(), StallRule.ofThreshold(Duration.ofSeconds(1800)).hashCode());
    assertNotEquals(StallRule.DEFAULT, StallRule.ofThreshold(Duration.ofMinutes(31)));
  }
}
