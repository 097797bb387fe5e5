package io.csbs.testing;

import com.google.common.testing.NullPointerTester;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.usage.Quota;
import io.csbs.usage.UsageQuery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** ReferenceCatalog refuses null as every BackupCatalog must: with a NullPointerException. */
class NullsTest {
  private static final Instant NOW = FakeClock.DEFAULT_START;

  @Test
  void theReferenceCatalogAndItsViewRefuseNull() {
    Backup backup = Backup.builder().id("b-1").name("bk").projectId("p").server(Server.of("s-1", "ecs-1", "eu-de-01"))
        .status(BackupStatus.AVAILABLE).sizeMb(1024).createdAt(NOW.minusSeconds(3600)).build();
    NullPointerTester tester = new NullPointerTester()
        .setDefault(String.class, "p")
        .setDefault(Instant.class, NOW)
        .setDefault(Duration.class, Duration.ofMinutes(1))
        .setDefault(Clock.class, FakeClock.at(NOW))
        .setDefault(Backup.class, backup)
        .setDefault(Transition.class, Transition.restore())
        .setDefault(io.csbs.backup.TagUpdate.class, io.csbs.backup.TagUpdate.create(Tag.of("env", "prod")))
        .setDefault(io.csbs.backup.TagUpdate.Match.class, io.csbs.backup.TagUpdate.Match.key("env"))
        .setDefault(StallRule.class, StallRule.DEFAULT)
        .setDefault(BackupPredicate.class, Predicates.all())
        .setDefault(Query.class, Query.all())
        .setDefault(Quota.class, Quota.NONE)
        .setDefault(UsageQuery.class, UsageQuery.firstServers(10))
        .setDefault(Change.class, new Change(1, "p", "b-2", Optional.empty(), Optional.of(backup.toBuilder().id("b-2")
            .build()), Optional.empty()))
        .setDefault(ProjectSnapshot.class, new ProjectSnapshot("p", 0, Quota.NONE, List.of()));
    ReferenceCatalog catalog = ReferenceCatalog.create(FakeClock.at(NOW));
    catalog.add(backup);
    tester.testAllPublicStaticMethods(ReferenceCatalog.class);
    tester.testAllPublicInstanceMethods(catalog);
    catalog.read("p", view -> {
      tester.testAllPublicInstanceMethods(view);
      return null;
    });
  }
}
