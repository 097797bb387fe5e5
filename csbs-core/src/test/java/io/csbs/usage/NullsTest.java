package io.csbs.usage;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.NullChecks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every public method and constructor of io.csbs.usage refuses null with a NullPointerException. */
class NullsTest {
  @Test
  void publicMethodsAndConstructorsRefuseNull() {
    List<Class<?>> tested = NullChecks.assertRefuseNull(NullChecks.tester(), "io.csbs.usage", List.of(
        Quota.of(10, 100), new QuotaUsage(Quota.NONE, 1, 1), new ServerUsage("s", "ecs", 1, 1),
        UsageQuery.firstServers(5), new UsageReport(0, 0, 0, List.of())));
    assertTrue(tested.contains(Quota.class), "tested " + tested);
  }
}
