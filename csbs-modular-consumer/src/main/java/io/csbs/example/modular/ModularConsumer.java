package io.csbs.example.modular;

import io.csbs.CsbsError;
import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.json.CsbsJson;
import io.csbs.postgres.Schema;
import io.csbs.server.CsbsServer;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Uses each published module from the module path: a generated catalog (csbs.testkit), searched
 * and checked against the reference scan (csbs.core), an error code, a backup through the API's JSON
 * (csbs.json, on Jackson's module), a count through the API on a server (csbs.server), and the PostgreSQL schema script, a resource inside csbs.postgres. Prints one line per step; exits with 1 when an answer is
 * wrong, and the JVM exits with 1 on any linkage error.
 */
public final class ModularConsumer {
  private ModularConsumer() {}

  /**
   * Runs the steps.
   *
   * @param args none
   */
  public static void main(String[] args) {
    Instant now = Instant.parse("2026-11-30T12:00:00Z");
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    List<Backup> backups = BackupGenerator.builder().seed(11).window(now, Duration.ofDays(30)).build().backups(2_000);
    BackupCatalog catalog = Catalogs.indexed(clock);
    ReferenceCatalog scan = ReferenceCatalog.create(clock);
    catalog.addAll(backups);
    scan.addAll(backups);
    String project = backups.get(0).projectId();

    Query query = ListQueryString.parse("status=available&limit=20&sort=created_at:desc");
    Page indexed = catalog.query(project, query);
    Page scanned = scan.query(project, query);
    check(indexed.ids().equals(scanned.ids()) && indexed.total() == scanned.total(), "indexed page equals the scan");
    System.out.println("query: " + indexed.ids().size() + " of " + indexed.total() + " available backups");

    UsageReport usage = catalog.usage(project, UsageQuery.firstServers(3));
    System.out.println("usage: " + usage.backups() + " backups, " + usage.capacityGb() + " GB");

    Backup renamed = backups.get(0).toBuilder().name("renamed").build();
    check(renamed.name().equals("renamed") && renamed.id().equals(backups.get(0).id()), "toBuilder keeps the id");

    try {
      Tag.of("env", "prod env");
      check(false, "a tag value with a space is refused");
    } catch (InvalidValueException e) {
      CsbsError error = e;
      System.out.println("refused: " + error.code().code());
    }

    CsbsJson json = CsbsJson.create();
    Backup first = indexed.backups().get(0);
    check(json.readCheckpointItem(json.checkpointItem(first), project).equals(first), "a backup survives its JSON");
    System.out.println("json: " + json.count(indexed.total()));

    try (CsbsServer server = CsbsServer.builder(catalog).build().start()) {
      HttpResponse<String> count = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          server.uri().resolve("v1/" + project + "/checkpoint_items/count?status=available")).build(),
          HttpResponse.BodyHandlers.ofString());
      check(count.statusCode() == 200 && json.readCount(count.body()) == indexed.total(), "the server counts as the catalog");
      System.out.println("server: " + count.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }

    String script = Schema.script(Schema.CURRENT_VERSION);
    check(script.contains("csbs_backup"), "the schema script is readable from the module");
    System.out.println("schema: version " + Schema.CURRENT_VERSION + ", " + script.length() + " chars");
    System.out.println("modular consumer: ok");
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      System.out.println("FAILED: " + what);
      System.exit(1);
    }
  }
}
