package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.Tag;
import io.csbs.json.CsbsJson;
import io.csbs.postgres.PostgresCatalog;
import io.csbs.postgres.SchemaVersionException;
import io.csbs.testing.BackupGenerator;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** {@code --jdbc-url}: the server serves a PostgreSQL catalog through a replica, writes go to the database. */
class DatabaseMainTest {
  private static final CsbsJson JSON = CsbsJson.create();

  @Test
  void mainServesTheDatabasesCatalogThroughAReplica() throws IOException, InterruptedException {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "off").start()) {
      String url = postgres.getJdbcUrl("postgres", "postgres");
      PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
      Main.StartFailure refused = assertThrows(Main.StartFailure.class,
          () -> Main.start(new String[] {"--jdbc-url", url, "--port", "0"}, quiet),
          "without --migrate, a database without the schema is refused");
      assertInstanceOf(SchemaVersionException.class, refused.getCause());
      assertTrue(refused.getMessage().endsWith(": create it with --migrate"), refused.getMessage());

      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      try (Main.Running running = Main.start(new String[] {"--jdbc-url", url, "--migrate", "--port", "0"},
          new PrintStream(printed, true, StandardCharsets.UTF_8))) {
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("csbs-server: the csbs catalog of jdbc:postgresql://"), out);
        assertTrue(!out.contains("password"), "the URL's query, which may hold a password, is not printed: " + out);
        Client client = new Client(running.server());

        // another instance of a service writes to the database; the served replica follows its feed
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(url);
        BackupGenerator generator = BackupGenerator.builder().seed(4).projects(1)
            .window(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).minusSeconds(60), Duration.ofDays(30)).build();
        String project = generator.projectIds().get(0);
        List<Backup> backups = generator.backups(40);
        try (PostgresCatalog elsewhere = PostgresCatalog.create(dataSource, Clock.systemUTC())) {
          elsewhere.addAll(backups);
          long count = 0;
          for (long deadline = System.nanoTime() + 10_000_000_000L; count < 40 && System.nanoTime() < deadline; ) {
            count = JSON.readCount(client.get("/v1/" + project + "/checkpoint_items/count").body());
            Thread.sleep(50);
          }
          assertEquals(40, count, "the replica has followed the database within 10 s");

          // a write through the server goes to the database
          Backup first = backups.get(0);
          assertEquals(204, client.post("/v1/" + project + "/csbs_backup/" + first.id() + "/tags",
              "{\"tag\": {\"key\": \"served\", \"value\": \"yes\"}}").status());
          assertEquals("yes", elsewhere.get(project, first.id()).tagValue("served").orElseThrow());
          assertTrue(JSON.readCheckpointItem(client.get("/v1/" + project + "/checkpoint_items/" + first.id()).body(), project)
              .tags().contains(Tag.of("served", "yes")), "the server reads its own write");
        }
      }
    }
  }
}
