package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.csbs.backup.InvalidValueException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class JobPlanTest {
  @Test
  void theDefaultTakesTenMinutesReportingEveryMinuteWithoutFailureOrStall() {
    assertEquals(Duration.ofMinutes(10), JobPlan.DEFAULT.duration());
    assertEquals(Duration.ofMinutes(1), JobPlan.DEFAULT.reportInterval());
    assertEquals(OptionalInt.empty(), JobPlan.DEFAULT.failAtPercent());
    assertEquals(Optional.empty(), JobPlan.DEFAULT.failureReason());
    assertEquals(OptionalInt.empty(), JobPlan.DEFAULT.stallAtPercent());
  }

  @Test
  void eachOptionReturnsANewPlanAndLeavesTheOldOne() {
    JobPlan plan = JobPlan.taking(Duration.ofMinutes(20)).reportingEvery(Duration.ofSeconds(30))
        .failingAt(60, "agent not reachable").stallingAt(40);

    assertEquals(OptionalInt.of(60), plan.failAtPercent());
    assertEquals(Optional.of("agent not reachable"), plan.failureReason());
    assertEquals(OptionalInt.of(40), plan.stallAtPercent());
    assertEquals("JobPlan{PT20M, report every PT30S, fail at 60%: agent not reachable, stall at 40%}", plan.toString());
    assertEquals(OptionalInt.empty(), JobPlan.DEFAULT.stallAtPercent());
  }

  @Test
  void equalOptionsMakeEqualPlans() {
    assertEquals(JobPlan.DEFAULT, JobPlan.taking(Duration.ofMinutes(10)));
    assertEquals(JobPlan.DEFAULT.hashCode(), JobPlan.taking(Duration.ofMinutes(10)).hashCode());
    assertEquals(JobPlan.DEFAULT.stallingAt(5), JobPlan.taking(Duration.ofMinutes(10)).stallingAt(5));
    assertNotEquals(JobPlan.DEFAULT.stallingAt(5), JobPlan.DEFAULT.stallingAt(6));
    assertNotEquals(JobPlan.DEFAULT.failingAt(5, "a"), JobPlan.DEFAULT.failingAt(5, "b"));
  }

  @Test
  void refusesDurationsAndIntervalsThatAreNotPositiveOrLongerThanAYear() {
    assertThrows(IllegalArgumentException.class, () -> JobPlan.taking(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> JobPlan.taking(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class, () -> JobPlan.taking(JobPlan.MAX_DURATION.plusNanos(1)));
    assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.reportingEvery(Duration.ZERO));
    assertEquals(JobPlan.MAX_DURATION, JobPlan.taking(JobPlan.MAX_DURATION).duration());
  }

  @Test
  void refusesPercentsOutsideZeroToHundredAndReasonsTheLibraryWouldRefuse() {
    assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.stallingAt(-1));
    assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.stallingAt(101));
    assertThrows(IllegalArgumentException.class, () -> JobPlan.DEFAULT.failingAt(101, "x"));
    InvalidValueException blank = assertThrows(InvalidValueException.class, () -> JobPlan.DEFAULT.failingAt(50, " "));
    assertEquals("failure reason", blank.field());
  }

  @Test
  void progressIsTheShareOfTheDurationRoundedDownAndExactAtAYear() {
    JobPlan plan = JobPlan.taking(Duration.ofSeconds(420));
    assertEquals(35, plan.percentAfter(Duration.ofSeconds(150)));
    assertEquals(Duration.ofSeconds(147), plan.workAt(35));
    JobPlan year = JobPlan.taking(JobPlan.MAX_DURATION);
    assertEquals(99, year.percentAfter(JobPlan.MAX_DURATION.minusNanos(1)));
    assertEquals(JobPlan.MAX_DURATION, year.workAt(100));
  }
}
