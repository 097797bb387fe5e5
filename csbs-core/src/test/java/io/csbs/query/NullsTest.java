package io.csbs.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.testing.NullPointerTester;
import io.csbs.NullChecks;
import io.csbs.backup.BackupStatus;
import java.lang.reflect.Method;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every public method and constructor of io.csbs.query refuses null with a NullPointerException. */
class NullsTest {
  @Test
  void publicMethodsAndConstructorsRefuseNull() throws Exception {
    NullPointerTester tester = NullChecks.tester();
    // null is documented as "none" here: no marker, an open bound
    Method marker = Query.Builder.class.getMethod("marker", String.class);
    Method range = TimeRange.class.getMethod("of", Instant.class, boolean.class, Instant.class, boolean.class);
    List<Class<?>> tested = NullChecks.assertRefuseNull(tester, "io.csbs.query", List.of(
        Predicates.all(), Predicates.status(BackupStatus.AVAILABLE), Predicates.tag("env", "prod"), Query.all(),
        Query.builder(), Sort.DEFAULT, SortKey.asc(SortField.NAME), TimeRange.all(),
        TagCatalogue.of(Map.of("env", List.of("prod"))), ConsoleSearch.empty(), TagFilter.builder(),
        TagFilter.builder().build(), new Page(List.of(), 0, false)), marker, range);
    assertTrue(tested.contains(Predicates.class) && tested.contains(Query.Builder.class), "tested " + tested);
  }

  @Test
  void aNullElementIsRefusedNamingItsParameter() {
    NullPointerException status = assertThrows(NullPointerException.class,
        () -> Predicates.status(BackupStatus.AVAILABLE, (BackupStatus) null));
    assertEquals("more[0]", status.getMessage());
    NullPointerException statuses = assertThrows(NullPointerException.class,
        () -> Predicates.status(Arrays.asList(BackupStatus.AVAILABLE, null)));
    assertEquals("statuses[1]", statuses.getMessage());
    NullPointerException operands = assertThrows(NullPointerException.class,
        () -> Predicates.and(Predicates.all(), null));
    assertEquals("operands[1]", operands.getMessage());
  }
}
