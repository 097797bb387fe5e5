package io.csbs.postgres;

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
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Every public method of csbs-postgres refuses null with a {@link NullPointerException} (Guava's
 * {@link NullPointerTester}): the static factories and builders, and the instance methods of a
 * catalog and a replica on a real database, whose other arguments are valid.
 */
class NullsTest {
  private static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");

  private static NullPointerTester tester(DataSource dataSource) {
    Backup backup = Backup.builder().id("b-1").name("bk").projectId("p").server(Server.of("s-1", "ecs-1", "eu-de-01"))
        .status(BackupStatus.AVAILABLE).sizeMb(1024).createdAt(NOW.minusSeconds(3600)).build();
    return new NullPointerTester()
        .setDefault(String.class, "p")
        .setDefault(DataSource.class, dataSource)
        .setDefault(Instant.class, NOW)
        .setDefault(Duration.class, Duration.ofSeconds(1))
        .setDefault(Clock.class, Clock.fixed(NOW, ZoneOffset.UTC))
        .setDefault(Backup.class, backup)
        .setDefault(Transition.class, Transition.restore())
        .setDefault(io.csbs.backup.TagUpdate.class, io.csbs.backup.TagUpdate.create(Tag.of("env", "prod")))
        .setDefault(io.csbs.backup.TagUpdate.Match.class, io.csbs.backup.TagUpdate.Match.key("env"))
        .setDefault(StallRule.class, StallRule.DEFAULT)
        .setDefault(BackupPredicate.class, Predicates.all())
        .setDefault(Query.class, Query.all())
        .setDefault(Quota.class, Quota.NONE)
        .setDefault(UsageQuery.class, UsageQuery.firstServers(10))
        .setDefault(Change.class, new Change(1, "p", backup.id(), Optional.empty(), Optional.of(backup), Optional.empty()))
        .setDefault(ProjectSnapshot.class, new ProjectSnapshot("p", 0, Quota.NONE, List.of()))
        .setDefault(Consumer.class, change -> { })
        .setDefault(Function.class, view -> 0)
        .setDefault(Map.class, Map.of())
        .setDefault(java.sql.SQLException.class, new java.sql.SQLException("lost", "08006"));
  }

  @Test
  void staticFactoriesAndBuildersRefuseNull() {
    DataSource store = TestDatabase.dataSource(0);
    NullPointerTester tester = tester(store);
    tester.testAllPublicStaticMethods(Schema.class);
    tester.testAllPublicStaticMethods(PostgresCatalog.class);
    tester.testAllPublicStaticMethods(PostgresReplica.class);
    tester.testAllPublicInstanceMethods(PostgresCatalog.builder(store));
    tester.testAllPublicConstructors(CatalogDatabaseException.class);
    tester.testAllPublicConstructors(SchemaVersionException.class);
  }

  @Test
  void aCatalogAndAReplicaRefuseNull() {
    DataSource store = TestDatabase.dataSource(0);
    TestDatabase.truncate(store);
    NullPointerTester tester = tester(store);
    try (PostgresCatalog catalog = PostgresCatalog.create(store, Clock.fixed(NOW, ZoneOffset.UTC));
        PostgresReplica replica = PostgresReplica.start(catalog)) {
      tester.testAllPublicInstanceMethods(catalog);
      tester.testAllPublicInstanceMethods(replica);
      catalog.read("p", view -> {
        tester.testAllPublicInstanceMethods(view);
        return null;
      });
    }
  }
}
