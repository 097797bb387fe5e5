package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.testing.NullPointerTester;
import io.csbs.NullChecks;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every public method and constructor of io.csbs.catalog refuses null, the indexed catalog's included. */
class NullsTest {
  @Test
  void publicMethodsAndConstructorsRefuseNullTheIndexedCatalogsAndItsViewsIncluded() {
    NullPointerTester tester = NullChecks.tester();
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NullChecks.NOW, ZoneOffset.UTC));
    catalog.add(NullChecks.sampleBackup());
    List<Class<?>> tested = NullChecks.assertRefuseNull(tester, "io.csbs.catalog", List.of(catalog, Catalogs.builder(),
        new ProjectSnapshot("p", 0, io.csbs.usage.Quota.NONE, List.of()), new BackupNotFoundException("p", "b"),
        new DuplicateBackupException("p", "b"), new VersionConflictException("b", 1, 2)));
    assertTrue(tested.contains(Catalogs.class) && tested.contains(Change.class), "tested " + tested);
    // a view works only inside its read
    catalog.read("p", view -> NullChecks.assertRefuseNull(tester, "io.csbs.catalog", List.of(view)));
  }
}
