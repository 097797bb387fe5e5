package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.catalog.Change;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The README's "A durable, shared catalog" section, compiled and run. */
class ReadmeExampleTest {
  /** A consumer's own store: what it applied, and the last sequence it handled per project. */
  static final class SearchIndex {
    final List<Change> applied = new CopyOnWriteArrayList<>();
    final Map<String, Long> positions = new ConcurrentHashMap<>();

    void apply(Change change) {
      if (change.sequence() > positions.getOrDefault(change.projectId(), 0L)) {   // at least once: skip repeats
        applied.add(change);
        positions.put(change.projectId(), change.sequence());
      }
    }
  }

  @Test
  void aServiceWritesToTheDatabaseAndReadsFromItsReplica() {
    DataSource dataSource = TestDatabase.dataSource(0);   // in a service: a pooled DataSource (HikariCP, ...)
    TestDatabase.truncate(dataSource);
    SearchIndex index = new SearchIndex();

    // --- README: durable catalog
    Schema.migrate(dataSource);                           // once, explicitly: creates or upgrades the tables

    PostgresCatalog database = PostgresCatalog.create(dataSource, Clock.systemUTC());
    PostgresReplica catalog = PostgresReplica.start(database);   // loads the database, then follows it

    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);   // PostgreSQL keeps microseconds
    catalog.add(Backup.builder()
        .id("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12")
        .name("autobk_a61d")
        .projectId("project-1")
        .server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02"))
        .status(BackupStatus.AVAILABLE)
        .sizeMb(146_184)
        .createdAt(now.minus(Duration.ofDays(1)))
        .build());                                        // committed in PostgreSQL, then applied here
    catalog.apply("project-1", "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12", 1, Transition.restore());
    Page restoring = catalog.query("project-1", Query.where(Predicates.status(BackupStatus.RESTORING)));

    // a consumer that keeps another store in step resumes where it stopped, even after a crash
    Subscription feed = database.subscribe(index.positions, index::apply);
    // ---

    assertEquals(List.of("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12"), restoring.ids());
    ChangeFeedTest.await(() -> index.applied.size() == 2, "two changes in the search index");
    assertEquals(Map.of("project-1", 2L), index.positions);
    feed.cancel();
    catalog.close();
    database.close();
  }
}
