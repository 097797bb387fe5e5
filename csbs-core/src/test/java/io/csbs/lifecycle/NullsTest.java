package io.csbs.lifecycle;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.NullChecks;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every public method and constructor of io.csbs.lifecycle refuses null with a NullPointerException. */
class NullsTest {
  @Test
  void publicMethodsAndConstructorsRefuseNull() {
    List<Class<?>> tested = NullChecks.assertRefuseNull(NullChecks.tester(), "io.csbs.lifecycle", List.of(
        StallRule.DEFAULT, StallRule.ofThreshold(Duration.ofMinutes(5)), Transition.restore(),
        Transition.reportProgress(50), Transition.fail("disk full")));
    assertTrue(tested.contains(Lifecycle.class), "tested " + tested);
  }
}
