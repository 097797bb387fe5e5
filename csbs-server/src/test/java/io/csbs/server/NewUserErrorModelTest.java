package io.csbs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.csbs.CsbsError;
import io.csbs.ErrorCode;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.VersionConflictException;
import io.csbs.json.CsbsJson;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Transition;
import io.csbs.postgres.CatalogDatabaseException;
import io.csbs.postgres.SchemaVersionException;
import io.csbs.query.Predicates;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A new user's review of the error model: {@link CsbsError}, {@link ErrorCode}, every exception of
 * csbs-core and csbs-postgres, {@link CsbsJson#error} and {@link CsbsServer}'s answers, from the
 * README and the javadoc only.
 */
class NewUserErrorModelTest {
  private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final CsbsJson JSON = CsbsJson.create();
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final String JSON_TYPE = "application/json; charset=utf-8";

  /** What the next catalog call of the served catalog throws, if set (then cleared). */
  private static final AtomicReference<Throwable> INJECT = new AtomicReference<>();
  private static BackupCatalog served;
  private static CsbsServer server;
  private static HttpClient http;

  @BeforeAll
  static void start() {
    served = Catalogs.indexed(CLOCK);
    BackupCatalog wrapper = (BackupCatalog) Proxy.newProxyInstance(BackupCatalog.class.getClassLoader(),
        new Class<?>[] {BackupCatalog.class}, (proxy, method, args) -> {
          Throwable t = INJECT.getAndSet(null);
          if (t != null) {
            throw t;
          }
          try {
            return method.invoke(served, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    server = CsbsServer.builder(wrapper).clock(CLOCK).build().start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void clearInjection() {
    INJECT.set(null);
  }

  // ---------------------------------------------------------------- helpers

  private static int ids;

  private static synchronized String nextId(String prefix) {
    return prefix + "-" + (++ids);
  }

  private static Backup backup(String project, String id, BackupStatus status, long sizeMb) {
    Backup.Builder builder = Backup.builder();
    if (status.isIntermediate()) {
      builder.progress(io.csbs.backup.Progress.of(0, NOW.minus(Duration.ofDays(2))));
    }
    return builder
        .id(id)
        .name("bk_" + Math.abs(id.hashCode()))
        .projectId(project)
        .server(Server.of("srv-1", "ecs-ü", "eu-de-01"))
        .status(status)
        .sizeMb(sizeMb)
        .createdAt(NOW.minus(Duration.ofDays(2)))
        .build();
  }

  private static Backup available(String project, String id) {
    return backup(project, id, BackupStatus.AVAILABLE, 10);
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T object) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(object);
      }
      try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        return (T) in.readObject();
      }
    } catch (IOException | ClassNotFoundException e) {
      throw new AssertionError("serialization of " + object + " failed: " + e, e);
    }
  }

  private static <T extends Throwable> T thrown(Class<T> type, org.junit.jupiter.api.function.Executable call) {
    return assertThrows(type, call);
  }

  record Reply(int status, String contentType, String body) {
    java.util.Map<String, String> json() {
      return readFlat(body.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static Reply send(String method, String path, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(server.uri().resolve(path)).timeout(Duration.ofSeconds(20));
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(null), response.body());
    } catch (IOException e) {
      return new Reply(-1, null, "IOException: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Asserts the API's error body: exactly error_code and error_msg, as CsbsJson.error writes them. */
  /** A flat JSON object of strings (or null for other values), read with Jackson's streaming parser. */
  static java.util.Map<String, String> readFlat(byte[] bytes) {
    java.util.Map<String, String> map = new java.util.LinkedHashMap<>();
    try (JsonParser parser = FACTORY.createParser(bytes)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new AssertionError("not an object: " + new String(bytes, StandardCharsets.UTF_8));
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.getCurrentName();
        JsonToken value = parser.nextToken();
        if (value.isStructStart()) {
          parser.skipChildren();
          map.put(name, null);
        } else {
          map.put(name, value == JsonToken.VALUE_STRING ? parser.getText() : null);
        }
      }
      return map;
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + new String(bytes, StandardCharsets.UTF_8), e);
    }
  }

  private static void assertErrorReply(int status, String code, String message, Reply reply) {
    assertEquals(status, reply.status(), reply.body());
    assertEquals(JSON_TYPE, reply.contentType(), reply.body());
    java.util.Map<String, String> json = reply.json();
    assertEquals(List.of("error_code", "error_msg"), List.copyOf(json.keySet()), reply.body());
    assertEquals(code, json.get("error_code"), reply.body());
    assertNotNull(json.get("error_msg"), reply.body());
    if (message != null) {
      assertEquals(message, json.get("error_msg"), reply.body());
      assertEquals(JSON.error(code, message), reply.body());
    }
  }

  private static String enc(String id) {
    return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String restoreBody(String id) {
    return "{\"restore\": {\"provider_id\": \"" + CsbsServer.PROVIDER_ID + "\", \"checkpoint_id\": \"cp-1\","
        + " \"parameters\": {\"checkpoint_item_id\": \"" + id + "\"}}}";
  }

  // ---------------------------------------------------------------- ErrorCode

  @Test
  void everyErrorCodeIsTheDocumentedText() {
    assertEquals("CSBS.9001", ErrorCode.INVALID_VALUE.code());
    assertEquals("CSBS.2003", ErrorCode.BACKUP_BUSY.code());
    assertEquals("CSBS.3001", ErrorCode.BACKUP_NOT_FOUND.code());
    assertEquals("CSBS.9006", ErrorCode.QUOTA_EXCEEDED.code());
    Set<String> api = Set.of("CSBS.9001", "CSBS.2003", "CSBS.3001", "CSBS.9006");
    Set<String> seen = new HashSet<>();
    for (ErrorCode code : ErrorCode.values()) {
      assertTrue(seen.add(code.code()), "codes are unique: " + code);
      if (!api.contains(code.code())) {
        assertEquals("CSBS.LIB." + code.name(), code.code(), "the library's own code of " + code);
      }
      assertTrue(code.code().startsWith("CSBS."), code.code());
    }
    assertEquals(9, ErrorCode.values().length);
  }

  @Test
  void errorCodeClassExampleSwitchMatchesTheServersStatuses() {
    // ErrorCode's javadoc example, and CsbsServer's mapping for each injected refusal below
    for (ErrorCode code : ErrorCode.values()) {
      int status = switch (code) {
        case BACKUP_NOT_FOUND -> 404;
        case VERSION_CONFLICT, DUPLICATE_BACKUP -> 409;
        case DATABASE_FAILURE, SCHEMA_VERSION_MISMATCH -> 503;
        default -> 400;
      };
      RuntimeException refusal = new CodedRefusal(code, "refused: " + code + " ✓");
      INJECT.set(refusal);
      Reply reply = send("GET", "v1/p-switch/quotas", null);
      String message = code == ErrorCode.BACKUP_NOT_FOUND ? null : refusal.getMessage();
      assertErrorReply(status, code.code(), message, reply);
    }
  }

  /** A refusal of a catalog a service wrote itself, with any code. */
  static final class CodedRefusal extends RuntimeException implements CsbsError {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    CodedRefusal(ErrorCode code, String message) {
      super(message);
      this.code = code;
    }

    @Override
    public ErrorCode code() {
      return code;
    }
  }

  // ---------------------------------------------------------------- BACKUP_NOT_FOUND

  @Test
  void backupNotFoundThroughTheCatalogNamesProjectAndIdAndSurvivesSerialization() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("tenant-ä", "b/ü 1"));
    for (String[] call : new String[][] {{"tenant-ä", "no-such-id"}, {"tenant-b", "b/ü 1"}}) {
      BackupNotFoundException e = thrown(BackupNotFoundException.class, () -> catalog.get(call[0], call[1]));
      assertInstanceOf(NoSuchElementException.class, e);
      assertEquals(ErrorCode.BACKUP_NOT_FOUND, e.code());
      assertEquals("backup " + call[1] + " not found in project " + call[0], e.getMessage());
      assertEquals(call[0], e.projectId());
      assertEquals(call[1], e.backupId());
      BackupNotFoundException copy = roundTrip(e);
      assertEquals(e.getMessage(), copy.getMessage());
      assertEquals(call[0], copy.projectId());
      assertEquals(call[1], copy.backupId());
      assertEquals(ErrorCode.BACKUP_NOT_FOUND, copy.code());
    }
    // apply, updateTags and remove of an unknown id too
    assertThrows(BackupNotFoundException.class, () -> catalog.apply("tenant-ä", "x", 1, Transition.restore()));
    assertThrows(BackupNotFoundException.class, () -> catalog.remove("tenant-ä", "x", 1));
  }

  @Test
  void backupNotFoundOverHttpIs404With3001NamingTheIdOnly() {
    String id = nextId("ünï 😀");
    served.add(available("other-project", id));
    for (String project : new String[] {"p-nf", "other-project-x"}) {
      Reply reply = send("GET", "v1/" + project + "/checkpoint_items/" + enc(id), null);
      assertErrorReply(404, "CSBS.3001", "Checkpoint_item (" + id + ") is not found.", reply);
      assertFalse(reply.body().contains("other-project"), reply.body());
    }
    Reply restore = send("POST", "v1/p-nf/restores", restoreBody(id));
    assertErrorReply(404, "CSBS.3001", null, restore);
  }

  // ---------------------------------------------------------------- DUPLICATE_BACKUP

  @Test
  void duplicateBackupInTheProjectAndInABatchAddsNothing() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p-1", "b-1"));
    DuplicateBackupException again = thrown(DuplicateBackupException.class, () -> catalog.add(available("p-1", "b-1")));
    assertInstanceOf(IllegalStateException.class, again);
    assertEquals(ErrorCode.DUPLICATE_BACKUP, again.code());
    assertEquals("backup b-1 already exists in project p-1", again.getMessage());
    assertEquals("p-1", again.projectId());
    assertEquals("b-1", again.backupId());
    assertFalse(again.inBatch());

    DuplicateBackupException batch = thrown(DuplicateBackupException.class,
        () -> catalog.addAll(List.of(available("p-1", "b-2"), available("p-1", "b-3"), available("p-1", "b-2"))));
    assertEquals("backup b-2 repeats in the batch for project p-1", batch.getMessage());
    assertTrue(batch.inBatch());
    assertEquals(1, catalog.count("p-1", Predicates.all()), "nothing of the batch was added");

    DuplicateBackupException copy = roundTrip(batch);
    assertEquals(batch.getMessage(), copy.getMessage());
    assertTrue(copy.inBatch());
    assertEquals("b-2", copy.backupId());
    assertEquals("p-1", copy.projectId());

    // another project may use the same id
    catalog.add(available("p-2", "b-1"));
  }

  @Test
  void duplicateIdsInTwoProjectsOfABatchNameTheFirstProjectInIdOrder() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    DuplicateBackupException e = thrown(DuplicateBackupException.class, () -> catalog.addAll(List.of(
        available("zeta", "x"), available("zeta", "x"), available("alpha", "y"), available("alpha", "y"))));
    assertEquals("alpha", e.projectId(), e.getMessage());
    assertEquals("y", e.backupId());
    assertEquals(0, catalog.countAllProjects(Predicates.all()));
  }

  @Test
  void duplicateBackupOverHttpIs409() {
    DuplicateBackupException e = new DuplicateBackupException("p-dup", "b-ä", true);
    INJECT.set(e);
    assertErrorReply(409, "CSBS.LIB.DUPLICATE_BACKUP", e.getMessage(), send("GET", "v1/p-dup/csbs_backup/tags", null));
  }

  // ---------------------------------------------------------------- VERSION_CONFLICT

  @Test
  void versionConflictNamesBothVersionsChangesNothingAndComesBeforeTheLifecycle() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p", "b"));
    catalog.apply("p", "b", 1, Transition.restore());   // now Restoring, version 2
    for (long stale : new long[] {1, 3, 0, -5, Long.MAX_VALUE}) {
      VersionConflictException e = thrown(VersionConflictException.class,
          () -> catalog.apply("p", "b", stale, Transition.restore()));   // busy too, but the version comes first
      assertEquals(ErrorCode.VERSION_CONFLICT, e.code());
      assertEquals("b", e.backupId());
      assertEquals(stale, e.expectedVersion());
      assertEquals(2, e.currentVersion());
      assertEquals("backup b is at version 2, the change was based on version " + stale + ": read it again and retry",
          e.getMessage());
      VersionConflictException copy = roundTrip(e);
      assertEquals(e.getMessage(), copy.getMessage());
      assertEquals(stale, copy.expectedVersion());
      assertEquals(2, copy.currentVersion());
    }
    assertEquals(2, catalog.get("p", "b").version());
    assertEquals(BackupStatus.RESTORING, catalog.get("p", "b").status());
    assertThrows(VersionConflictException.class, () -> catalog.remove("p", "b", 1));
    assertThrows(VersionConflictException.class,
        () -> catalog.updateTags("p", "b", 7, io.csbs.backup.TagUpdate.create(List.of(Tag.of("k", "v")))));
  }

  @Test
  void versionConflictFromAReadOverHttpIs409WithItsMessage() {
    VersionConflictException e = new VersionConflictException("b-1", 3, 4);
    INJECT.set(e);
    assertErrorReply(409, "CSBS.LIB.VERSION_CONFLICT", e.getMessage(), send("GET", "v1/p-vc/checkpoint_items", null));
  }

  // ---------------------------------------------------------------- BACKUP_BUSY / TRANSITION_NOT_ALLOWED

  @Test
  void csbsErrorClassExampleGivesCsbs2003ForABusyBackup() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(backup("project-1", "b", BackupStatus.CREATING, 0));
    String answer;
    try {
      catalog.apply("project-1", "b", 1, Transition.restore());
      answer = "no refusal";
    } catch (RuntimeException e) {
      if (!(e instanceof CsbsError error)) {
        throw e;
      }
      answer = error.code().code();
      IllegalTransitionException t = assertInstanceOf(IllegalTransitionException.class, e);
      assertEquals(BackupStatus.CREATING, t.status());
      assertEquals("restore", t.attempted());
      assertEquals(List.of("progress", "complete", "fail"), t.allowed());
      assertTrue(e.getMessage().startsWith("backup b is Creating: restore is refused"), e.getMessage());
      assertTrue(e.getMessage().endsWith("; Creating allows progress, complete, fail"), e.getMessage());
      IllegalTransitionException copy = roundTrip(t);
      assertEquals(t.getMessage(), copy.getMessage());
      assertEquals(t.allowed(), copy.allowed());
      assertEquals(ErrorCode.BACKUP_BUSY, copy.code());
    }
    assertEquals("CSBS.2003", answer);
  }

  @Test
  void stableStatesRefuseWithTransitionNotAllowedAndBusyOnesWithBusy() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p", "err"));
    catalog.apply("p", "err", 1, Transition.delete());
    catalog.apply("p", "err", 2, Transition.fail("disk gone ✗"));   // Deleting --fail--> Error
    Backup error = catalog.get("p", "err");
    assertEquals(BackupStatus.ERROR, error.status());
    IllegalTransitionException restoreError = thrown(IllegalTransitionException.class,
        () -> catalog.apply("p", "err", error.version(), Transition.restore()));
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, restoreError.code());
    assertEquals("CSBS.LIB.TRANSITION_NOT_ALLOWED", restoreError.code().code());
    assertTrue(restoreError.getMessage().startsWith("backup err is Error: restore is refused"), restoreError.getMessage());
    assertFalse(restoreError.allowed().contains("restore"));

    catalog.add(available("p", "common").toBuilder().type(BackupType.COMMON).build());
    IllegalTransitionException instant = thrown(IllegalTransitionException.class,
        () -> catalog.apply("p", "common", 1, Transition.instantRestore()));
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, instant.code());
    assertEquals("instant restore", instant.attempted());
    assertEquals(BackupStatus.AVAILABLE, instant.status());
    IllegalTransitionException progress = thrown(IllegalTransitionException.class,
        () -> catalog.apply("p", "common", 1, Transition.reportProgress(40)));
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, progress.code());
    assertEquals("progress", progress.attempted());
    assertEquals(BackupStatus.AVAILABLE, progress.status());
    assertEquals(1, catalog.get("p", "common").version(), "the backup is unchanged");
    // every intermediate state refuses delete as busy
    catalog.apply("p", "common", 1, Transition.delete());
    IllegalTransitionException busy = thrown(IllegalTransitionException.class,
        () -> catalog.apply("p", "common", 2, Transition.delete()));
    assertEquals(ErrorCode.BACKUP_BUSY, busy.code());
    assertEquals("delete", busy.attempted());
  }

  @Test
  void busyAndErrorBackupsOverHttpAre2003And4000WithTheLibrarysMessage() {
    String creating = nextId("busy é");
    served.add(backup("p-busy", creating, BackupStatus.CREATING, 0));
    String expected = thrown(IllegalTransitionException.class,
        () -> served.apply("p-busy", creating, 1, Transition.restore())).getMessage();
    assertErrorReply(400, "CSBS.2003", expected, send("POST", "v1/p-busy/restores", restoreBody(creating)));
    String deleteMessage = thrown(IllegalTransitionException.class,
        () -> served.apply("p-busy", creating, 1, Transition.delete())).getMessage();
    assertErrorReply(400, "CSBS.2003", deleteMessage, send("DELETE",
        "v1/p-busy/providers/" + CsbsServer.PROVIDER_ID + "/checkpoints/cp-1?checkpoint_items=" + enc(creating), null));

    String error = nextId("err");
    served.add(available("p-busy", error));
    served.apply("p-busy", error, 1, Transition.delete());
    served.apply("p-busy", error, 2, Transition.fail("boom"));
    String errorMessage = thrown(IllegalTransitionException.class,
        () -> served.apply("p-busy", error, 3, Transition.restore())).getMessage();
    assertErrorReply(400, "CSBS.4000", errorMessage, send("POST", "v1/p-busy/restores", restoreBody(error)));
    assertEquals(3, served.get("p-busy", error).version(), "nothing changed");
  }

  @Test
  void aTransitionNotAllowedFromAServicesCatalogIs400WithTheLibrarysCode() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p", "b"));
    IllegalTransitionException e = thrown(IllegalTransitionException.class,
        () -> catalog.apply("p", "b", 1, Transition.complete()));
    INJECT.set(e);
    assertErrorReply(400, "CSBS.LIB.TRANSITION_NOT_ALLOWED", e.getMessage(), send("GET", "v1/p/quotas", null));
  }

  // ---------------------------------------------------------------- QUOTA_EXCEEDED

  @Test
  void quotaExceptionExampleMessageAsDocumented() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.setQuota("project-1", Quota.of(Quota.UNLIMITED, 100));
    catalog.add(backup("project-1", "big", BackupStatus.AVAILABLE, 101_888));
    QuotaExceededException e = thrown(QuotaExceededException.class,
        () -> catalog.add(backup("project-1", "more", BackupStatus.AVAILABLE, 600)));
    assertEquals("quota backup_capacity of project project-1 (limit 100 GB) is exceeded: used 99.50 GB (101888 MB), "
        + "asked 600 MB more", e.getMessage());
    assertEquals(ErrorCode.QUOTA_EXCEEDED, e.code());
    assertEquals("project-1", e.projectId());
    assertEquals("backup_capacity", e.quota());
    assertInstanceOf(IllegalStateException.class, e);
    QuotaExceededException copy = roundTrip(e);
    assertEquals(e.getMessage(), copy.getMessage());
    assertEquals("backup_capacity", copy.quota());
    assertEquals("project-1", copy.projectId());
    assertEquals(1, catalog.count("project-1", Predicates.all()), "nothing was added");
  }

  @Test
  void quotaBoundariesBackupsFirstAndLoweredQuotas() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.setQuota("q", Quota.of(2, 1));
    catalog.add(backup("q", "a", BackupStatus.AVAILABLE, 1000));
    catalog.add(backup("q", "b", BackupStatus.AVAILABLE, 24));   // exactly 1 GB used
    // both exceeded: backups is named
    QuotaExceededException both = thrown(QuotaExceededException.class,
        () -> catalog.add(backup("q", "c", BackupStatus.AVAILABLE, 2048)));
    assertEquals("backups", both.quota());
    assertTrue(both.getMessage().startsWith("quota backups of project q (limit "), both.getMessage());
    // exactly at capacity, room for a backup: 0 MB is taken
    catalog.setQuota("q", Quota.of(4, 1));
    catalog.add(backup("q", "zero", BackupStatus.AVAILABLE, 0));
    QuotaExceededException one = thrown(QuotaExceededException.class,
        () -> catalog.add(backup("q", "one", BackupStatus.AVAILABLE, 1)));
    assertEquals("backup_capacity", one.quota());
    assertTrue(one.getMessage().contains("used 1.00 GB (1024 MB), asked 1 MB more"), one.getMessage());
    // lowered below use: not even 0 MB
    catalog.setQuota("q", Quota.of(Quota.UNLIMITED, 0));
    QuotaExceededException lowered = thrown(QuotaExceededException.class,
        () -> catalog.add(backup("q", "zero-2", BackupStatus.AVAILABLE, 0)));
    assertEquals("backup_capacity", lowered.quota());
    assertTrue(lowered.getMessage().contains("(limit 0 GB)"), lowered.getMessage());
    assertTrue(lowered.getMessage().contains("asked 0 MB more"), lowered.getMessage());
    // asked in GB with the exact MB beside; use below 1 GB in MB
    BackupCatalog other = Catalogs.indexed(CLOCK);
    other.setQuota("r", Quota.of(Quota.UNLIMITED, 2));
    other.add(backup("r", "s", BackupStatus.AVAILABLE, 1023));
    QuotaExceededException gb = thrown(QuotaExceededException.class,
        () -> other.add(backup("r", "t", BackupStatus.AVAILABLE, 3000)));
    assertEquals("quota backup_capacity of project r (limit 2 GB) is exceeded: used 1023 MB, asked 2.93 GB (3000 MB) more",
        gb.getMessage());
  }

  @Test
  void aQuotaRefusalOfAServicesCatalogKeepsItsMessageOverHttp() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.setQuota("p-q", Quota.of(0, Quota.UNLIMITED));
    QuotaExceededException e = thrown(QuotaExceededException.class, () -> catalog.add(available("p-q", "x")));
    INJECT.set(e);
    assertErrorReply(400, "CSBS.9006", e.getMessage(), send("POST", "v1/p-q/restores", restoreBody("x")));
  }

  // ---------------------------------------------------------------- INVALID_VALUE

  @Test
  void invalidValueReadmeExampleAndAccessorsAndSerialization() {
    InvalidValueException e = thrown(InvalidValueException.class, () -> Tag.of("env", "prod env"));
    assertEquals("tag value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-'", e.getMessage());
    assertEquals("tag value", e.field());
    assertEquals("must be 0 to 43 letters, digits, '_' or '-'", e.rule());
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
    InvalidValueException renamed = e.renamed("checkpoint_item.tags[1].value");
    assertEquals("checkpoint_item.tags[1].value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-'",
        renamed.getMessage());
    assertEquals(e, renamed.getCause());
    assertEquals(e.rule(), renamed.rule());
    InvalidValueException copy = roundTrip(renamed);
    assertEquals(renamed.getMessage(), copy.getMessage());
    assertEquals("checkpoint_item.tags[1].value", copy.field());
    assertEquals(e.rule(), copy.rule());
    assertEquals(e.getMessage(), copy.getCause().getMessage());
  }

  @Test
  void invalidValueShowsValuesAsDocumented() {
    assertEquals("n 'x' is invalid: must be y", new InvalidValueException("n", "x", "must be y").getMessage());
    assertEquals("n null is invalid: must be y", new InvalidValueException("n", null, "must be y").getMessage());
    assertEquals("n 5 is invalid: must be y", new InvalidValueException("n", 5, "must be y").getMessage());
    String huge = "é".repeat(100_000);
    String message = new InvalidValueException("n", huge, "must be short").getMessage();
    assertTrue(message.length() < 300, "a huge value is shortened: " + message.length());
    assertTrue(message.contains("100000"), message);
  }

  @Test
  void exceptionConstructorsRefuseNullsNamingTheParameter() {
    assertEquals("field", assertThrows(NullPointerException.class, () -> new InvalidValueException(null, 1, "r")).getMessage());
    assertEquals("rule", assertThrows(NullPointerException.class, () -> new InvalidValueException("f", 1, null)).getMessage());
    assertEquals("field", assertThrows(NullPointerException.class,
        () -> new InvalidValueException("f", 1, "r").renamed(null)).getMessage());
    assertEquals("projectId", assertThrows(NullPointerException.class,
        () -> new BackupNotFoundException(null, "b")).getMessage());
    assertEquals("backupId", assertThrows(NullPointerException.class,
        () -> new BackupNotFoundException("p", null)).getMessage());
    assertEquals("projectId", assertThrows(NullPointerException.class,
        () -> new DuplicateBackupException(null, "b", true)).getMessage());
    assertEquals("backupId", assertThrows(NullPointerException.class,
        () -> new DuplicateBackupException("p", null)).getMessage());
    assertEquals("backupId", assertThrows(NullPointerException.class,
        () -> new VersionConflictException(null, 1, 2)).getMessage());
    assertEquals("what", assertThrows(NullPointerException.class,
        () -> new CatalogDatabaseException(null, new SQLException("x", "08006"))).getMessage());
    assertEquals("cause", assertThrows(NullPointerException.class,
        () -> new CatalogDatabaseException("read", null)).getMessage());
  }

  @Test
  void versionConflictConstructorRefusesANonConflict() {
    assertThrows(IllegalArgumentException.class, () -> new VersionConflictException("b", 3, 3));
    // -1: a current version not known (documented), and any expected version a caller gave
    assertEquals(-1, new VersionConflictException("b", 1, -1).currentVersion());
    assertEquals(-5, new VersionConflictException("b", -5, 2).expectedVersion());
  }

  @Test
  void invalidValuesOverHttpAre400With9001AndTheLibrarysMessage() {
    InvalidValueException e = new InvalidValueException("checkpoint_item.name", "a \"quoted\" ü\n value", "must be nice");
    INJECT.set(e);
    assertErrorReply(400, "CSBS.9001", e.getMessage(), send("GET", "v1/p-iv/checkpoint_items/x", null));
    Reply limit = send("GET", "v1/p-iv/checkpoint_items?limit=0", null);
    assertErrorReply(400, "CSBS.9001", null, limit);
    assertTrue(limit.json().get("error_msg").startsWith("limit '0' is invalid: "), limit.body());
  }

  // ---------------------------------------------------------------- programming errors

  @Test
  void programmingErrorsAreNotCsbsErrors() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p", "b"));
    RuntimeException inRead = assertThrows(IllegalStateException.class,
        () -> catalog.read("p", view -> {
          catalog.remove("p", "b", 1);
          return null;
        }));
    assertFalse(inRead instanceof CsbsError, inRead.toString());
    assertFalse(assertThrows(NullPointerException.class, () -> catalog.get(null, "b")) instanceof CsbsError);
    assertFalse(assertThrows(IllegalStateException.class,
        () -> Backup.builder().id("a").id("b")) instanceof CsbsError);
    assertEquals(1, catalog.get("p", "b").version());
  }

  // ---------------------------------------------------------------- DATABASE_FAILURE, SCHEMA_VERSION_MISMATCH

  @Test
  void catalogDatabaseExceptionSaysWhatFailedAndWhetherRetryable() {
    String[][] cases = {{"08006", "true"}, {"40001", "true"}, {"40P01", "true"}, {"57014", "true"}, {"55P03", "true"},
        {"25P03", "true"}, {"57P01", "true"}, {"53300", "true"}, {"23505", "false"}, {"42P01", "false"}};
    for (String[] c : cases) {
      CatalogDatabaseException e = new CatalogDatabaseException("add backup b-ü", new SQLException("driver says ✗", c[0]));
      assertEquals(Boolean.parseBoolean(c[1]), e.isRetryable(), c[0]);
      assertEquals(c[0], e.sqlState());
      assertEquals(ErrorCode.DATABASE_FAILURE, e.code());
      assertTrue(e.getMessage().contains("add backup b-ü"), e.getMessage());
      assertTrue(e.getMessage().contains("driver says ✗"), e.getMessage());
      assertInstanceOf(SQLException.class, e.getCause());
      CatalogDatabaseException copy = roundTrip(e);
      assertEquals(e.getMessage(), copy.getMessage());
      assertEquals(e.isRetryable(), copy.isRetryable());
      assertEquals(c[0], copy.sqlState());
    }
    CatalogDatabaseException pool = new CatalogDatabaseException("read", new SQLTransientConnectionException("timeout"));
    assertTrue(pool.isRetryable());
    assertEquals(null, pool.sqlState());
  }

  @Test
  void schemaVersionExceptionAccessorsRefusalsAndSerialization() {
    SchemaVersionException none = new SchemaVersionException(0, 1);
    assertEquals(ErrorCode.SCHEMA_VERSION_MISMATCH, none.code());
    assertInstanceOf(CatalogDatabaseException.class, none);
    assertFalse(none.isRetryable());
    assertEquals(0, none.databaseVersion());
    assertEquals(1, none.libraryVersion());
    assertTrue(none.getMessage().contains("Schema.migrate"), none.getMessage());
    SchemaVersionException copy = roundTrip(new SchemaVersionException(7, 2));
    assertEquals(7, copy.databaseVersion());
    assertEquals(2, copy.libraryVersion());
    assertTrue(copy.getMessage().contains("upgrade the library"), copy.getMessage());
    IllegalArgumentException same = assertThrows(IllegalArgumentException.class, () -> new SchemaVersionException(3, 3));
    assertTrue(same.getMessage().contains("databaseVersion"), same.getMessage());
    IllegalArgumentException low = assertThrows(IllegalArgumentException.class, () -> new SchemaVersionException(3, 0));
    assertTrue(low.getMessage().contains("libraryVersion"), low.getMessage());
    assertTrue(new SchemaVersionException(-2, 1).getMessage().contains("-2"));
  }

  @Test
  void databaseFailuresOverHttpAre503WithTheirCodes() {
    CatalogDatabaseException db = new CatalogDatabaseException("query project p", new SQLException("gone", "08006"));
    INJECT.set(db);
    assertErrorReply(503, "CSBS.LIB.DATABASE_FAILURE", db.getMessage(), send("GET", "v1/p-db/checkpoint_items/count", null));
    SchemaVersionException schema = new SchemaVersionException(0, 1);
    INJECT.set(schema);
    assertErrorReply(503, "CSBS.LIB.SCHEMA_VERSION_MISMATCH", schema.getMessage(),
        send("GET", "v1/p-db/storage_usage", null));
  }

  // ---------------------------------------------------------------- unexpected failures

  @Test
  void anUnexpectedRuntimeExceptionIs500With9999AndNoDetail() {
    for (RuntimeException e : List.of(new NullPointerException("secret-npe"), new IllegalArgumentException("secret-iae"),
        new NoSuchElementException("secret-nse"))) {
      INJECT.set(e);
      Reply reply = send("GET", "v1/p-500/csbs_backup/tags", null);
      assertErrorReply(500, "CSBS.9999", null, reply);
      assertFalse(reply.body().contains("secret"), reply.body());
      assertFalse(reply.body().contains("at io.csbs"), reply.body());
    }
  }

  /** One request on a raw socket (no client retry): the status line and what follows, or "" if none came. */
  private static String rawGet(String path) {
    try (java.net.Socket socket = new java.net.Socket(server.uri().getHost(), server.uri().getPort())) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "IOException: " + e;
    }
  }

  @Test
  void anErrorThrownByTheCatalogIs500() {
    INJECT.set(new AssertionError("secret-error"));
    String answer = rawGet("/v1/p-500/quotas");
    assertTrue(answer.startsWith("HTTP/1.1 500"), answer);
    assertTrue(answer.contains("CSBS.9999"), answer);
  }

  @Test
  void aCsbsErrorWithANullMessageIsStillTheApisBody() {
    INJECT.set(new CodedRefusal(ErrorCode.INVALID_VALUE, null));
    Reply reply = send("GET", "v1/p-null/quotas", null);
    assertEquals(400, reply.status(), reply.body());
    assertEquals("CSBS.9001", reply.json().get("error_code"));
    assertNotNull(reply.json().get("error_msg"), reply.body());
  }

  // ---------------------------------------------------------------- more refusals of the catalog

  @Test
  void readmeTransitionMessageIsExact() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(backup("p", "7b99", BackupStatus.CREATING, 0));
    IllegalTransitionException e = thrown(IllegalTransitionException.class,
        () -> catalog.apply("p", "7b99", 1, Transition.restore()));
    assertEquals("backup 7b99 is Creating: restore is refused (the backup is busy until its backup job ends); "
        + "Creating allows progress, complete, fail", e.getMessage());
  }

  @Test
  void allowedNamesWhatTheStateAllows() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p", "e"));
    catalog.apply("p", "e", 1, Transition.delete());
    catalog.apply("p", "e", 2, Transition.fail("x"));
    IllegalTransitionException error = thrown(IllegalTransitionException.class,
        () -> catalog.apply("p", "e", 3, Transition.complete()));
    assertEquals(List.of("delete"), error.allowed(), error.getMessage());
    assertTrue(error.getMessage().endsWith("; Error allows delete"), error.getMessage());
    catalog.add(available("p", "c"));
    IllegalTransitionException available = thrown(IllegalTransitionException.class,
        () -> catalog.apply("p", "c", 1, Transition.fail("x")));
    assertEquals("fail", available.attempted());
    for (String name : available.allowed()) {
      assertTrue(List.of("restore", "instant restore", "delete", "progress", "complete", "fail").contains(name), name);
    }
    assertTrue(available.allowed().contains("restore") && available.allowed().contains("delete"), available.toString());
    if (catalog.get("p", "c").type() == BackupType.COMMON) {
      assertFalse(available.allowed().contains("instant restore"), "a common backup: " + available.getMessage());
    }
  }

  @Test
  void aClockSetBackIsRefusedNamingNow() {
    Backup future = available("p", "f").toBuilder().createdAt(NOW.plus(Duration.ofDays(1)))
        .updatedAt(NOW.plus(Duration.ofDays(1))).build();
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(future);
    InvalidValueException e = thrown(InvalidValueException.class, () -> catalog.apply("p", "f", 1, Transition.restore()));
    assertEquals("now", e.field(), e.getMessage());
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
    assertEquals(1, catalog.get("p", "f").version());
  }

  @Test
  void tooManyTagsIsAnInvalidValueNamingTagsAndChangesNothing() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    List<Tag> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(Tag.of("k" + i, "v"));
    }
    catalog.add(available("p", "t").toBuilder().tags(ten).build());
    InvalidValueException e = thrown(InvalidValueException.class,
        () -> catalog.updateTags("p", "t", 1, io.csbs.backup.TagUpdate.create(List.of(Tag.of("k10", "v")))));
    assertEquals("tags", e.field(), e.getMessage());
    assertEquals(1, catalog.get("p", "t").version());
    assertEquals(10, catalog.get("p", "t").tags().size());
  }

  @Test
  void theFirstOffendingBackupOfABatchIsNamed() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p", "old"));
    DuplicateBackupException e = thrown(DuplicateBackupException.class,
        () -> catalog.addAll(List.of(available("p", "new"), available("p", "old"), available("p", "new"))));
    assertEquals("old", e.backupId(), e.getMessage());
    assertFalse(e.inBatch());
    DuplicateBackupException repeat = thrown(DuplicateBackupException.class,
        () -> catalog.addAll(List.of(available("p", "n2"), available("p", "n2"), available("p", "old"))));
    assertEquals("n2", repeat.backupId(), repeat.getMessage());
    assertTrue(repeat.inBatch());
    assertEquals(1, catalog.count("p", Predicates.all()));
  }

  @Test
  void aBatchChecksEveryProjectsIdsBeforeAnyQuota() {
    // BackupCatalog.addAll: "first that no id exists in its project or repeats in backups ..., then the quotas of
    // every project"
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.setQuota("alpha", Quota.of(0, Quota.UNLIMITED));
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> catalog.addAll(List.of(available("alpha", "a"), available("zeta", "z"), available("zeta", "z"))));
    assertInstanceOf(DuplicateBackupException.class, e, e.toString());
    assertEquals(0, catalog.countAllProjects(Predicates.all()));
  }

  @Test
  void quotaCheckRoomForRefusesNegativesNamingThem() {
    Quota quota = Quota.of(5, 5);
    assertEquals("backups", thrown(InvalidValueException.class, () -> quota.checkRoomFor("p", -1, 0, 0, 0)).field());
    assertEquals("size mb", thrown(InvalidValueException.class, () -> quota.checkRoomFor("p", 0, -1, 0, 0)).field());
    assertEquals("more backups", thrown(InvalidValueException.class, () -> quota.checkRoomFor("p", 0, 0, -1, 0)).field());
    assertEquals("more mb", thrown(InvalidValueException.class, () -> quota.checkRoomFor("p", 0, 0, 0, -1)).field());
    assertEquals("backups", thrown(InvalidValueException.class, () -> Quota.of(-2, 0)).field());
    assertEquals("backup_capacity", thrown(InvalidValueException.class, () -> Quota.of(0, Quota.MAX_CAPACITY_GB + 1)).field());
    QuotaExceededException e = thrown(QuotaExceededException.class, () -> quota.checkRoomFor("p ü", 5, 0, 1, 0));
    assertEquals("quota backups of project p ü (limit 5 backups) is exceeded: used 5 backups, asked 1 more", e.getMessage());
    QuotaExceededException huge = thrown(QuotaExceededException.class,
        () -> Quota.of(Quota.UNLIMITED, 1).checkRoomFor("p", 0, 0, 1, Long.MAX_VALUE));
    assertEquals("backup_capacity", huge.quota());
    // room exactly: no refusal
    quota.checkRoomFor("p", 4, 5 * 1024 - 7, 1, 7);
  }

  /** CsbsServer: "a database at another schema version 503, CSBS.LIB.SCHEMA_VERSION_MISMATCH". */
  @Test
  void aSchemaMismatchIs503WithItsOwnCode() {
    SchemaVersionException schema = new SchemaVersionException(2, 1);
    INJECT.set(schema);
    assertErrorReply(503, "CSBS.LIB.SCHEMA_VERSION_MISMATCH", schema.getMessage(), send("GET", "v1/p-db/quotas", null));
  }

  @Test
  void aRefusedLoadActualBehaviour() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p", "b"));
    IllegalStateException load = assertThrows(IllegalStateException.class,
        () -> catalog.load(new io.csbs.catalog.ProjectSnapshot("p", 0, Quota.NONE, List.of(available("p", "c")))));
    assertFalse(load instanceof CsbsError, load.toString());
    assertEquals(1, catalog.count("p", Predicates.all()));
    // through a server: 500, the API's internal error
    INJECT.set(load);
    assertErrorReply(500, "CSBS.9999", "request failed: an internal error", send("GET", "v1/p-load/quotas", null));
  }

  // ---------------------------------------------------------------- CsbsJson.error

  @Test
  void csbsJsonErrorWritesCodeAndMessageThatReadBackExactly() {
    String message = "quote \" backslash \\ newline \n tab \t nul \u0000 é 😀 lone \uD83D end";
    String body = JSON.error(new InvalidValueException("f", message, "r"));
    java.util.Map<String, String> json = readFlat(body.getBytes(StandardCharsets.UTF_8));
    assertEquals("CSBS.9001", json.get("error_code"));
    assertEquals(new InvalidValueException("f", message, "r").getMessage(), json.get("error_msg"));
    assertEquals(body, JSON.error("CSBS.9001", new InvalidValueException("f", message, "r").getMessage()));
    assertThrows(NullPointerException.class, () -> JSON.error((CsbsError) null));
    assertThrows(NullPointerException.class, () -> JSON.error(null, "m"));
    assertThrows(NullPointerException.class, () -> JSON.error("c", null));
  }

  @Test
  void csbsJsonErrorOfEveryLibraryException() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.setQuota("p", Quota.of(0, 0));
    List<RuntimeException> refusals = new ArrayList<>(List.of(
        new InvalidValueException("f", "v", "r"), new BackupNotFoundException("p", "b"),
        new DuplicateBackupException("p", "b"), new VersionConflictException("b", 1, 2),
        thrown(QuotaExceededException.class, () -> catalog.add(available("p", "b"))),
        new CatalogDatabaseException("x", new SQLException("y", "08001")), new SchemaVersionException(0, 1)));
    catalog.add(backup("p2", "c", BackupStatus.CREATING, 0));
    refusals.add(thrown(IllegalTransitionException.class, () -> catalog.apply("p2", "c", 1, Transition.delete())));
    for (RuntimeException e : refusals) {
      CsbsError error = (CsbsError) e;
      assertEquals(JSON.error(error.code().code(), e.getMessage()), JSON.error(error), e.toString());
    }
  }

  @Test
  void anErrorBodyReadAsAListIsRefusedNamingCheckpointItems() {
    String body = send("GET", "v1/p-read/checkpoint_items/nope", null).body();
    InvalidValueException e = thrown(InvalidValueException.class, () -> JSON.readCheckpointItems(body, "p-read"));
    assertEquals("checkpoint_items", e.field(), e.getMessage());
    // the body read back with a plain JSON parser gives the same code and message
    assertEquals(java.util.Map.of("error_code", "CSBS.3001", "error_msg", "Checkpoint_item (nope) is not found."),
        readFlat(body.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void tagEndpointsOfAnUnknownBackupAre404With3001() {
    String id = nextId("tag-less ✓");
    assertErrorReply(404, "CSBS.3001", "Checkpoint_item (" + id + ") is not found.",
        send("GET", "v1/p-tags/csbs_backup/" + enc(id) + "/tags", null));
    assertErrorReply(404, "CSBS.3001", "Checkpoint_item (" + id + ") is not found.",
        send("POST", "v1/p-tags/csbs_backup/" + enc(id) + "/tags", "{\"tag\": {\"key\": \"env\", \"value\": \"prod\"}}"));
    assertErrorReply(404, "CSBS.3001", "Checkpoint_item (" + id + ") is not found.",
        send("DELETE", "v1/p-tags/csbs_backup/" + enc(id) + "/tags/env", null));
    assertErrorReply(404, "CSBS.3001", "Checkpoint_item (" + id + ") is not found.", send("DELETE",
        "v1/p-tags/providers/" + CsbsServer.PROVIDER_ID + "/checkpoints/cp-1?checkpoint_items=" + enc(id), null));
  }

  @Test
  void unknownPathsAndMethodsHaveTheApisBody() {
    Reply unknown = send("GET", "v1/p/no_such_thing", null);
    assertErrorReply(404, "CSBS.LIB.UNKNOWN_PATH", null, unknown);
    Reply method = send("PUT", "v1/p/quotas", "{}");
    assertErrorReply(405, "CSBS.LIB.METHOD_NOT_ALLOWED", null, method);
  }

  @Test
  void everyBusyStateRefusesRestoreAndDeleteOverHttpWith2003() {
    String restoring = nextId("restoring");
    served.add(available("p-states", restoring));
    served.apply("p-states", restoring, 1, Transition.restore());
    String deleting = nextId("deleting");
    served.add(available("p-states", deleting));
    served.apply("p-states", deleting, 1, Transition.delete());
    for (String id : List.of(restoring, deleting)) {
      assertErrorReply(400, "CSBS.2003", null, send("POST", "v1/p-states/restores", restoreBody(id)));
      assertErrorReply(400, "CSBS.2003", null, send("DELETE",
          "v1/p-states/providers/" + CsbsServer.PROVIDER_ID + "/checkpoints/cp-1?checkpoint_items=" + enc(id), null));
      assertEquals(2, served.get("p-states", id).version(), "nothing changed");
    }
  }

  @Test
  void aQuotaOfOneBackupIsSaidInTheSingular() {
    QuotaExceededException e = thrown(QuotaExceededException.class, () -> Quota.of(1, 1).checkRoomFor("p", 1, 0, 1, 0));
    assertEquals("quota backups of project p (limit 1 backup) is exceeded: used 1 backup, asked 1 more", e.getMessage());
  }

  private static boolean hasLoneSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aShortenedValueIsNeverCutInsideASurrogatePair() {
    for (int prefix = 75; prefix <= 82; prefix++) {
      String value = "a".repeat(prefix) + "😀".repeat(20);
      String message = new InvalidValueException("f", value, "r").getMessage();
      assertFalse(hasLoneSurrogate(message), "prefix " + prefix + ": " + message);
    }
  }

  @Test
  void aCsbsErrorWithoutACodeIs500() {
    INJECT.set(new CodedRefusal(null, "x"));
    String answer = rawGet("/v1/p-null/quotas");
    assertTrue(answer.startsWith("HTTP/1.1 500"), "[" + answer + "]");
  }

  @Test
  void aSnapshotRepeatingAnIdSaysItRepeats() {
    DuplicateBackupException e = thrown(DuplicateBackupException.class,
        () -> new io.csbs.catalog.ProjectSnapshot("p", 0, Quota.NONE, List.of(available("p", "c"), available("p", "c"))));
    assertTrue(e.inBatch(), e.getMessage());
    assertFalse(e.getMessage().contains("already exists"), e.getMessage());
  }

  @Test
  void aClockBehindTheBackupOverHttpIs400With9001NamingNow() {
    String id = nextId("future");
    served.add(available("p-clock", id).toBuilder().createdAt(NOW.plus(Duration.ofHours(1)))
        .updatedAt(NOW.plus(Duration.ofHours(1))).build());
    String expected = thrown(InvalidValueException.class,
        () -> served.apply("p-clock", id, 1, Transition.restore())).getMessage();
    assertTrue(expected.startsWith("now "), expected);
    assertErrorReply(400, "CSBS.9001", expected, send("POST", "v1/p-clock/restores", restoreBody(id)));
    assertEquals(1, served.get("p-clock", id).version());
  }

  @Test
  void anUnexpectedFailureIsLoggedWithItsCause() {
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger(CsbsServer.class.getName());
    List<java.util.logging.LogRecord> records = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.logging.Handler handler = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord record) {
        records.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(handler);
    try {
      IllegalStateException cause = new IllegalStateException("secret-logged");
      INJECT.set(cause);
      assertErrorReply(500, "CSBS.9999", "request failed: an internal error", send("GET", "v1/p-log/quotas", null));
      boolean logged = false;
      synchronized (records) {
        for (java.util.logging.LogRecord record : records) {
          logged |= record.getThrown() == cause;
        }
      }
      assertTrue(logged, "the cause is logged: " + records.size() + " records");
    } finally {
      logger.removeHandler(handler);
    }
  }

  @Test
  void aTransitionsValuesAreCheckedWhenAppliedAndChangeNothing() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p", "r"));
    catalog.apply("p", "r", 1, Transition.restore());
    InvalidValueException progress = thrown(InvalidValueException.class,
        () -> catalog.apply("p", "r", 2, Transition.reportProgress(150)));
    assertEquals("progress", progress.field(), progress.getMessage());
    InvalidValueException reason = thrown(InvalidValueException.class,
        () -> catalog.apply("p", "r", 2, Transition.fail(" ")));
    assertEquals("failure reason", reason.field(), reason.getMessage());
    assertEquals(2, catalog.get("p", "r").version());
    assertEquals(BackupStatus.RESTORING, catalog.get("p", "r").status());
  }

  @Test
  void aBatchOverTheQuotasOfTwoProjectsNamesTheFirstInIdOrder() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.setQuota("zz", Quota.of(0, Quota.UNLIMITED));
    catalog.setQuota("Ab", Quota.of(Quota.UNLIMITED, 0));
    QuotaExceededException e = thrown(QuotaExceededException.class,
        () -> catalog.addAll(List.of(available("zz", "1"), available("Ab", "2"))));
    assertEquals("Ab", e.projectId(), e.getMessage());   // "Ab" < "zz" as String.compareTo orders them
    assertEquals("backup_capacity", e.quota());
    assertEquals(0, catalog.countAllProjects(Predicates.all()));
  }

  @Test
  void concurrentRefusalsEachGetTheirOwnAnswer() throws Exception {
    long seed = System.nanoTime();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        answers.add(pool.submit(() -> {
          java.util.Random random = new java.util.Random(seed + thread);
          for (int i = 0; i < 10; i++) {
            String id = "c-" + thread + "-" + i + "-" + Integer.toHexString(random.nextInt()) + "-ñ";
            Reply reply = send("GET", "v1/p-conc-" + thread + "/checkpoint_items/" + enc(id), null);
            String expected = JSON.error("CSBS.3001", "Checkpoint_item (" + id + ") is not found.");
            if (reply.status() != 404 || !expected.equals(reply.body())) {
              return "seed " + seed + ": " + id + " got " + reply;
            }
            String message = "m-" + thread + "-" + i + "-" + random.nextLong();
            String body = JSON.error(new InvalidValueException("f" + thread, message, "r"));
            if (!body.equals(JSON.error("CSBS.9001", "f" + thread + " '" + message + "' is invalid: r"))) {
              return "seed " + seed + ": " + body;
            }
          }
          return "ok";
        }));
      }
      for (java.util.concurrent.Future<String> answer : answers) {
        assertEquals("ok", answer.get(60, java.util.concurrent.TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aDroppedDatabaseIsNotCalledAServerShuttingDown() {
    CatalogDatabaseException e = new CatalogDatabaseException("read project p", new SQLException("gone", "57P04"));
    assertFalse(e.isRetryable());
    assertFalse(e.getMessage().contains("server shutting down"), e.getMessage());
  }

  @Test
  void allowedIsWhatLifecycleAllows() {
    BackupCatalog catalog = Catalogs.indexed(CLOCK);
    catalog.add(available("p", "c").toBuilder().type(BackupType.ENHANCED).build());
    IllegalTransitionException t = thrown(IllegalTransitionException.class,
        () -> catalog.apply("p", "c", 1, Transition.complete()));
    assertEquals(io.csbs.lifecycle.Lifecycle.allowedTransitions(catalog.get("p", "c")), t.allowed());
    assertEquals(List.of("restore", "instant restore", "delete"), t.allowed());
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, t.code());
    assertThrows(UnsupportedOperationException.class, () -> t.allowed().add("x"));
  }

  @Test
  void manyProjectsRandomRefusalsAreMappedConsistently() {
    long seed = System.nanoTime();
    java.util.Random random = new java.util.Random(seed);
    for (int round = 0; round < 25; round++) {
      String project = "proj-" + random.nextInt(1000);
      String id = "id-" + Integer.toHexString(random.nextInt()) + (random.nextBoolean() ? "-ß" : "");
      int kind = random.nextInt(3);
      Reply reply;
      if (kind == 0) {
        reply = send("GET", "v1/" + project + "/checkpoint_items/" + enc(id), null);
        assertErrorReply(404, "CSBS.3001", "Checkpoint_item (" + id + ") is not found.", reply);
      } else if (kind == 1) {
        VersionConflictException e = new VersionConflictException(id, random.nextInt(100), random.nextInt(100) + 100);
        INJECT.set(e);
        reply = send("GET", "v1/" + project + "/quotas", null);
        assertErrorReply(409, "CSBS.LIB.VERSION_CONFLICT", e.getMessage(), reply);
      } else {
        reply = send("GET", "v1/" + project + "/checkpoint_items?limit=" + (1001 + random.nextInt(5000)), null);
        assertErrorReply(400, "CSBS.9001", null, reply);
      }
      assertNotNull(reply, "seed " + seed);
    }
    if (INJECT.get() != null) {
      fail("an injection was left unused, seed " + seed);
    }
  }
}
