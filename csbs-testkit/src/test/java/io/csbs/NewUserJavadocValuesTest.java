package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.CopyStatus;
import io.csbs.backup.FailCode;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Operation;
import io.csbs.backup.Progress;
import io.csbs.backup.RestoreMode;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.backup.VmMetadata;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.testing.FakeClock;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A new user's second reading of csbs-core's values, lifecycle and usage, against README.md and the
 * public javadoc only: every {@code {@code}} example compiled and run as written (with only the set-up
 * it leaves out), the documented enum mappings, null and builder contracts, transitions and refusals,
 * and the usage and quota arithmetic at and beyond the limits. Complements {@code NewUserValuesTest}.
 */
class NewUserJavadocValuesTest {
  static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  static final String LONG_ID = "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12";
  static final Server GGAO = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02");
  /** MATHEMATICAL BOLD CAPITAL A: one letter, two chars. */
  static final String BOLD_A = new String(Character.toChars(0x1D400));

  /** An Available backup's copy builder: each field may be set once more on it (Backup#toBuilder). */
  static Backup.Builder available(String project, String id) {
    return Backup.builder().id(id).name("bk_" + id.replaceAll("[^A-Za-z0-9_-]", "_")).projectId(project)
        .server(GGAO).status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(NOW).build().toBuilder();
  }

  static Backup creating(String project, String id) {
    return Backup.builder().id(id).name("bk_creating").projectId(project).server(GGAO).status(BackupStatus.CREATING)
        .progress(Progress.of(0, NOW)).sizeMb(1).createdAt(NOW).build();
  }

  static Backup sized(String project, String id, Server server, Instant created, long mb) {
    return Backup.builder().id(id).name("bk_" + id).projectId(project).server(server).status(BackupStatus.AVAILABLE)
        .sizeMb(mb).createdAt(created).build();
  }

  /** Refused naming {@code expected}, as NewUserValuesTest checks it. */
  static InvalidValueException field(String expected, Executable action) {
    return NewUserValuesTest.field(expected, action);
  }

  static void npe(String parameter, Executable action) {
    NullPointerException e = assertThrows(NullPointerException.class, action);
    assertEquals(parameter, e.getMessage());
  }

  // ================================================================ README

  /** README quick start, the lifecycle half, as written: "Restoring, 0%", stalled "true", "Available". */
  @Test
  void readmeQuickStartLifecycle() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    Backup backup = Backup.builder()
        .id("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12")
        .name("autobk_a61d")
        .projectId("project-1")
        .server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02"))
        .status(BackupStatus.AVAILABLE)
        .type(BackupType.ENHANCED)
        .trigger(BackupTrigger.AUTOMATIC)
        .sizeMb(146_184)
        .createdAt(now.minus(Duration.ofDays(3)))
        .addTags(Tag.of("env", "prod"))
        .build();

    Backup restoring = Lifecycle.instantRestore(backup, now);                // Restoring, 0%
    Backup halfway = Lifecycle.reportProgress(restoring, 50, now.plusSeconds(60));
    boolean stalled = StallRule.DEFAULT.isStalled(halfway, now.plus(Duration.ofHours(1)));  // true
    Backup restored = Lifecycle.complete(halfway, now.plusSeconds(120)).orElseThrow();       // Available

    assertEquals(BackupStatus.RESTORING, restoring.status());
    assertEquals(Optional.of(Progress.of(0, now)), restoring.progress());
    assertEquals(Optional.of(Progress.of(50, now.plusSeconds(60))), halfway.progress());
    assertTrue(stalled);
    assertFalse(StallRule.DEFAULT.isStalled(halfway, now.plusSeconds(60).plus(Duration.ofMinutes(30))));
    assertEquals(BackupStatus.AVAILABLE, restored.status());
    assertEquals(Optional.empty(), restored.progress());
    assertEquals(4, restored.version());
    assertEquals(now.plusSeconds(120), restored.updatedAt());
    assertEquals(BackupStatus.AVAILABLE, backup.status());  // "every change of state is a pure function"
    assertEquals(1, backup.version());
  }

  /** README: a refused transition's message: "backup 7b99... is Creating: restore is refused (the backup is busy until its backup job ends); Creating allows progress, complete, fail". */
  @Test
  void readmeRefusedTransitionMessage() {
    Backup creating = creating("project-1", LONG_ID);
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> Lifecycle.restore(creating, NOW));
    assertTrue(e.getMessage().startsWith("backup 7b99"), e.getMessage());
    assertTrue(e.getMessage().endsWith(" is Creating: restore is refused (the backup is busy until its backup job ends);"
        + " Creating allows progress, complete, fail"), e.getMessage());
    assertEquals("backup " + LONG_ID + " is Creating: restore is refused (the backup is busy until its backup job ends);"
        + " Creating allows progress, complete, fail", e.getMessage());
  }

  /** README quick start, the catalog half and the consistent read, as written: the page, and the usage beside it (Deleting still counts). */
  @Test
  void readmeConsoleSearchAndUsageInOneRead() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    Server web = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-web-01", "eu-de-02");
    Server db = Server.of("0c5b1a9e-2f9d-4a57-9d3b-7d1f4c2a9b10", "ecs-db-01", "eu-de-01");
    BackupCatalog catalog = Catalogs.indexed(java.time.Clock.fixed(now, java.time.ZoneOffset.UTC));
    for (int day = 1; day <= 30; day++) {
      catalog.add(Backup.builder()
          .id("backup-" + day)
          .name("autobk_" + day)
          .projectId("project-1")
          .server(day % 2 == 0 ? web : db)
          .status(BackupStatus.AVAILABLE)
          .sizeMb(40_960)
          .createdAt(now.minus(Duration.ofDays(day)))
          .addTags(Tag.of("env", day % 3 == 0 ? "test" : "prod"))
          .build());
    }
    Backup oldest = catalog.get("project-1", "backup-30");
    catalog.apply("project-1", oldest.id(), oldest.version(), Transition.delete());  // now Deleting

    io.csbs.query.ConsoleSearch search = io.csbs.query.ConsoleSearch.empty()
        .withStatus(BackupStatus.AVAILABLE)
        .withLastDays(7)
        .withKeyword(io.csbs.query.KeywordField.SERVER_NAME, "WEB")   // names match case-insensitively
        .withTag("env", "prod");                         // must exist among the project's tags
    io.csbs.query.Query query = search.toQuery(catalog.tagCatalogue("project-1"), 20);
    List<Object> console = catalog.read("project-1", view -> List.of(
        view.query(query), view.tagCatalogue(), view.usage(UsageQuery.firstServers(20))));
    io.csbs.query.Page page = (io.csbs.query.Page) console.get(0);
    assertEquals(List.of("backup-2", "backup-4"), page.ids());
    assertEquals(2, page.total());
    UsageReport usage = (UsageReport) console.get(2);
    // 30 backups of 40,960 MB, the Deleting one included; 15 a server: a tie, so by server id
    assertEquals(new UsageReport(30, 30 * 40_960L, 2, List.of(
        new ServerUsage(db.id(), "ecs-db-01", 15, 15 * 40_960L), new ServerUsage(web.id(), "ecs-web-01", 15, 15 * 40_960L))), usage);
    assertEquals(new BigDecimal("1200.00"), usage.capacityGb());
    assertEquals(new BigDecimal("600.00"), usage.servers().get(0).capacityGb());
    assertEquals(usage, catalog.usage("project-1", UsageQuery.firstServers(20)));
    assertEquals(new QuotaUsage(Quota.NONE, 30, 30 * 40_960L), catalog.quotaUsage("project-1"));
  }

  /** README and Tag's javadoc: Tag.of("env", "prod env") throws, naming "tag value", with the documented message. */
  @Test
  void readmeInvalidTagMessageAndInvalidValueExceptionExample() {
    String field = null;
    try {
      Tag.of("env", "prod env");
    } catch (InvalidValueException e) {
      field = e.field(); // "tag value"
      assertEquals("tag value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-'", e.getMessage());
      assertEquals("must be 0 to 43 letters, digits, '_' or '-'", e.rule());
    }
    assertEquals("tag value", field);
    Tag tag = Tag.of(" env ", "prod");  // env=prod
    assertEquals("env=prod", tag.toString());
  }

  /** InvalidValueException's class doc: "name 'my backup' is invalid: must be 1 to 255 letters, digits, '_' or '-'". */
  @Test
  void invalidNameMessageAsDocumented() {
    InvalidValueException e = field("name", () -> available("p", "b").name("my backup").build());
    assertEquals("name 'my backup' is invalid: must be 1 to 255 letters, digits, '_' or '-'", e.getMessage());
    assertEquals("must be 1 to 255 letters, digits, '_' or '-'", e.rule());
  }

  // ================================================================ CsbsError, ErrorCode

  static String errorResponse(String code, String message) {
    return code + ": " + message;
  }

  static String applyAsAService(BackupCatalog catalog, String projectId, String backupId, long version) {
    try {
      catalog.apply(projectId, backupId, version, Transition.restore());
    } catch (RuntimeException e) {
      if (!(e instanceof CsbsError error)) {
        throw e;                                   // a bug, not a refusal
      }
      return errorResponse(error.code().code(), e.getMessage());   // for example "CSBS.2003", the backup is busy
    }
    return "ok";
  }

  /** CsbsError's example: a service catches RuntimeException and answers "CSBS.2003" for a busy backup. */
  @Test
  void csbsErrorExampleAnswersTheApiCode() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(creating("project-1", "b-1"));
    catalog.add(available("project-1", "b-2").build());
    assertTrue(applyAsAService(catalog, "project-1", "b-1", 1).startsWith("CSBS.2003: backup b-1 is Creating"));
    assertTrue(applyAsAService(catalog, "project-1", "nope", 1).startsWith("CSBS.3001: "));
    assertTrue(applyAsAService(catalog, "project-1", "b-2", 7).startsWith("CSBS.LIB.VERSION_CONFLICT: "));
    assertEquals("ok", applyAsAService(catalog, "project-1", "b-2", 1));
  }

  static int httpStatus(CsbsError error) {
    return switch (error.code()) {
      case BACKUP_NOT_FOUND -> 404;
      case VERSION_CONFLICT, DUPLICATE_BACKUP -> 409;
      case DATABASE_FAILURE, SCHEMA_VERSION_MISMATCH -> 503;
      default -> 400;   // BACKUP_BUSY too: the API answers CSBS.2003 with 400
    };
  }

  /** ErrorCode's switch example, fed with the refusals a catalog really throws, each with the documented code. */
  @Test
  void errorCodeSwitchExampleOnRealRefusals() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(creating("p", "busy"));
    catalog.add(available("p", "ok").build());
    catalog.setQuota("q", Quota.of(0, Quota.UNLIMITED));
    Map<Executable, Object[]> cases = new LinkedHashMap<>();
    cases.put(() -> catalog.get("p", "missing"), new Object[] {ErrorCode.BACKUP_NOT_FOUND, 404});
    cases.put(() -> catalog.apply("p", "ok", 2, Transition.delete()), new Object[] {ErrorCode.VERSION_CONFLICT, 409});
    cases.put(() -> catalog.add(available("p", "ok").build()), new Object[] {ErrorCode.DUPLICATE_BACKUP, 409});
    cases.put(() -> catalog.apply("p", "busy", 1, Transition.delete()), new Object[] {ErrorCode.BACKUP_BUSY, 400});
    cases.put(() -> catalog.apply("p", "ok", 1, Transition.complete()), new Object[] {ErrorCode.TRANSITION_NOT_ALLOWED, 400});
    cases.put(() -> catalog.add(available("q", "x").build()), new Object[] {ErrorCode.QUOTA_EXCEEDED, 400});
    cases.put(() -> catalog.apply("p", "busy", 1, Transition.reportProgress(101)), new Object[] {ErrorCode.INVALID_VALUE, 400});
    for (Map.Entry<Executable, Object[]> c : cases.entrySet()) {
      RuntimeException e = assertThrows(RuntimeException.class, c.getKey());
      assertTrue(e instanceof CsbsError, e.toString());
      assertEquals(c.getValue()[0], ((CsbsError) e).code(), e.toString());
      assertEquals(c.getValue()[1], httpStatus((CsbsError) e), e.toString());
    }
    assertEquals("CSBS.9006", ErrorCode.QUOTA_EXCEEDED.code());
    assertEquals("CSBS.LIB.SCHEMA_VERSION_MISMATCH", ErrorCode.SCHEMA_VERSION_MISMATCH.code());
  }

  /** CsbsError: "Programming errors are not CsbsErrors: a null argument (NullPointerException), a builder field set twice, a change made inside read ... (IllegalStateException)". */
  @Test
  void programmingErrorsAreNotCsbsErrors() {
    IllegalStateException twice = assertThrows(IllegalStateException.class, () -> Backup.builder().id("a").id("b"));
    assertFalse(twice instanceof CsbsError);
    assertTrue(twice.getMessage().contains("id"), twice.getMessage());
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(available("p", "b").build());
    IllegalStateException inRead = assertThrows(IllegalStateException.class,
        () -> catalog.read("p", view -> catalog.apply("p", "b", 1, Transition.delete())));
    assertFalse(inRead instanceof CsbsError, inRead.toString());
    assertEquals(1, catalog.get("p", "b").version());
    NullPointerException npe = assertThrows(NullPointerException.class, () -> Tag.of(null, "v"));
    assertFalse(npe instanceof CsbsError);
  }

  /**
   * CsbsError says a change "from a subscriber" is a programming error (IllegalStateException);
   * BackupCatalog#subscribe says "A subscriber may change the catalog". This checks the latter.
   */
  @Test
  void aSubscriberMayChangeTheCatalog() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Long> seen = new ArrayList<>();
    List<Throwable> thrown = new ArrayList<>();
    catalog.subscribe(change -> {
      seen.add(change.sequence());
      if (change.sequence() == 1) {
        try {
          catalog.apply("p", "b", 1, Transition.delete());
        } catch (RuntimeException e) {
          thrown.add(e);
        }
      }
    });
    catalog.add(available("p", "b").build());
    assertEquals(List.of(), thrown);
    assertEquals(BackupStatus.DELETING, catalog.get("p", "b").status());
    assertEquals(List.of(1L, 2L), seen);
  }

  /** CsbsError: "a null argument (NullPointerException)", across the value types, lifecycle and usage. */
  @Test
  void nullArgumentsAreNullPointerExceptions() {
    Backup b = available("p", "b").build();
    List<Executable> calls = List.of(
        () -> Tag.of(null, "v"),
        () -> Tag.of("k", null),
        () -> Server.of(null, "n", "z"),
        () -> Server.of("i", "n", null),
        () -> Progress.of(1, null),
        () -> Failure.of(null, "r", NOW),
        () -> Failure.of(JobType.BACKUP, null, NOW),
        () -> Failure.of(JobType.BACKUP, "r", null),
        () -> new FailCode(1, null),
        () -> Lifecycle.restore(null, NOW),
        () -> Lifecycle.restore(b, null),
        () -> Lifecycle.start(b, null, NOW),
        () -> Transition.fail(null),
        () -> Transition.start(null),
        () -> StallRule.DEFAULT.isStalled(b, (Instant) null),
        () -> StallRule.ofThreshold(null),
        () -> UsageQuery.of(null, 0, 10),
        () -> new QuotaUsage(null, 0, 0),
        () -> TagUpdate.create((List<Tag>) null),
        () -> TagUpdate.Match.key(null));
    for (int i = 0; i < calls.size(); i++) {
      Throwable t = assertThrows(Throwable.class, calls.get(i));
      assertTrue(t instanceof NullPointerException, "call " + i + " threw " + t);
    }
  }

  /** The parse methods' nulls: a null argument is a NullPointerException (CsbsError), not "none of the nine". */
  @Test
  void parseOfNullIsANullPointerException() {
    assertThrows(NullPointerException.class, () -> ApiStatus.parse(null));
    assertThrows(NullPointerException.class, () -> CopyStatus.parse(null));
    assertThrows(NullPointerException.class, () -> RestoreMode.parse(null));
    assertThrows(NullPointerException.class, () -> TagUpdate.Action.parse(null));
  }

  // ================================================================ enumerations

  /** ApiStatus: every one of the nine raw statuses, its API name and the state it maps to; the class example. */
  @Test
  void apiStatusNamesAndStatesOfAllNine() {
    assertEquals(Optional.of(BackupStatus.CREATING), ApiStatus.parse("waiting_protect").state()); // Optional[Creating]
    assertEquals(Optional.empty(), ApiStatus.parse("deleted").state());   // the backup is gone
    field("status", () -> ApiStatus.parse("paused"));
    Map<String, Optional<BackupStatus>> expected = new LinkedHashMap<>();
    expected.put("waiting_protect", Optional.of(BackupStatus.CREATING));
    expected.put("protecting", Optional.of(BackupStatus.CREATING));
    expected.put("available", Optional.of(BackupStatus.AVAILABLE));
    expected.put("waiting_restore", Optional.of(BackupStatus.RESTORING));
    expected.put("restoring", Optional.of(BackupStatus.RESTORING));
    expected.put("error", Optional.of(BackupStatus.ERROR));
    expected.put("waiting_delete", Optional.of(BackupStatus.DELETING));
    expected.put("deleting", Optional.of(BackupStatus.DELETING));
    expected.put("deleted", Optional.empty());
    for (Map.Entry<String, Optional<BackupStatus>> e : expected.entrySet()) {
      ApiStatus s = ApiStatus.parse(e.getKey());
      assertEquals(e.getKey(), s.apiName());
      assertEquals(e.getValue(), s.state(), e.getKey());
      assertEquals(e.getKey().startsWith("waiting_"), s.isQueued(), e.getKey());
      assertEquals(s.name(), e.getKey().toUpperCase(java.util.Locale.ROOT));
    }
    assertEquals(9, expected.size());
    for (BackupStatus state : BackupStatus.values()) {
      assertEquals(Optional.of(state), ApiStatus.of(state).state());
      assertFalse(ApiStatus.of(state).isQueued(), state.toString());
    }
  }

  /** CopyStatus, RestoreMode, TagUpdate.Action: the documented API names and examples. */
  @Test
  void apiNamesOfTheSmallEnumerations() {
    assertEquals(CopyStatus.WAITING_COPY, CopyStatus.parse("waiting_copy"));  // WAITING_COPY
    assertEquals("na", CopyStatus.NA.apiName());                               // "na": not replicated, the default
    assertEquals(List.of("na", "waiting_copy", "copying", "success", "fail"),
        java.util.Arrays.stream(CopyStatus.values()).map(CopyStatus::apiName).toList());
    assertEquals(RestoreMode.BACKUP, RestoreMode.parse("backup"));  // BACKUP
    assertEquals("backup", RestoreMode.BACKUP.apiName());           // "backup"
    assertEquals(List.of("na", "snapshot", "backup"),
        java.util.Arrays.stream(RestoreMode.values()).map(RestoreMode::apiName).toList());
    assertEquals("create", TagUpdate.Action.CREATE.apiName());
    assertEquals("delete", TagUpdate.Action.DELETE.apiName());
    assertEquals(TagUpdate.Action.CREATE, TagUpdate.Action.parse("create"));
    field("copy_status", () -> CopyStatus.parse("copied"));
    field("supported_restore_mode", () -> RestoreMode.parse("snapshots"));
    field("action", () -> TagUpdate.Action.parse("update"));
    assertEquals(CopyStatus.NA, BackupDetails.NONE.copyStatus());
    assertEquals(RestoreMode.BACKUP, BackupDetails.NONE.restoreMode());
  }

  /** BackupStatus: the class example, every state's console name, stable/intermediate, job and of(JobType). */
  @Test
  void backupStatusExampleAndEveryState() {
    assertTrue(BackupStatus.CREATING.isIntermediate());                                        // true
    assertEquals(java.util.Set.of(Operation.DELETE), BackupStatus.ERROR.allowedOperations(BackupType.ENHANCED)); // [delete]
    assertEquals("[restore, instant restore, delete]", BackupStatus.AVAILABLE.allowedOperations(BackupType.ENHANCED).toString());
    assertEquals("[delete]", BackupStatus.ERROR.allowedOperations(BackupType.COMMON).toString());
    assertEquals(List.of("Available", "Creating", "Restoring", "Deleting", "Error"),
        List.of(BackupStatus.AVAILABLE.toString(), BackupStatus.CREATING.toString(), BackupStatus.RESTORING.toString(),
            BackupStatus.DELETING.toString(), BackupStatus.ERROR.toString()));
    assertEquals(5, BackupStatus.values().length);
    for (BackupStatus s : BackupStatus.values()) {
      assertEquals(!s.isIntermediate(), s.isStable(), s.toString());
      assertEquals(s.isIntermediate(), s.job().isPresent(), s.toString());
    }
    assertEquals(BackupStatus.CREATING, BackupStatus.of(JobType.BACKUP));
    assertEquals(BackupStatus.RESTORING, BackupStatus.of(JobType.RESTORE));
    assertEquals(BackupStatus.DELETING, BackupStatus.of(JobType.DELETE));
    assertEquals(Optional.of(JobType.RESTORE), BackupStatus.RESTORING.job());  // JobType's example
    assertEquals(Optional.of(JobType.BACKUP), BackupStatus.CREATING.job());
    assertEquals(Optional.empty(), BackupStatus.AVAILABLE.job());
    assertEquals(JobType.RESTORE, Operation.RESTORE.job());
    assertEquals("restore", Operation.RESTORE.toString());
    assertEquals("delete", Operation.DELETE.toString());
  }

  /** Operation's example: "backup.allows(Operation.INSTANT_RESTORE); // true only for an Available enhanced backup". */
  @Test
  void instantRestoreOnlyOnAnAvailableEnhancedBackup() {
    Backup enhanced = available("p", "b").type(BackupType.ENHANCED).build();
    assertTrue(enhanced.allows(Operation.INSTANT_RESTORE));
    assertFalse(Lifecycle.restore(enhanced, NOW).allows(Operation.INSTANT_RESTORE));
    Backup error = Lifecycle.fail(Lifecycle.restore(enhanced, NOW), "x", NOW);
    assertFalse(error.allows(Operation.INSTANT_RESTORE));
    assertTrue(error.allows(Operation.DELETE));
    assertEquals(java.util.Set.of(), Lifecycle.delete(error, NOW).allowedOperations());
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> Lifecycle.instantRestore(error, NOW));
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, e.code());
    assertEquals(List.of("delete"), e.allowed());
    assertEquals("instant restore", e.attempted());
  }

  // ================================================================ Backup and its builder

  /** Backup's class example as written; its defaults (version 1, updatedAt = createdAt, apiStatus available). */
  @Test
  void backupClassExample() {
    Backup backup = Backup.builder()
        .id("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12")
        .name("autobk_a61d")
        .projectId("project-1")
        .server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02"))
        .status(BackupStatus.AVAILABLE)
        .trigger(BackupTrigger.AUTOMATIC)
        .policyId("policy-daily")
        .sizeMb(146184)
        .createdAt(Instant.parse("2018-08-14T07:53:15.663766Z"))
        .finishedAt(Instant.parse("2018-08-14T08:31:08.720800Z"))
        .addTags(Tag.of("env", "prod"))
        .build();
    assertEquals(Optional.of("policy-daily"), backup.policyId());
    assertEquals(Optional.of(Instant.parse("2018-08-14T08:31:08.720800Z")), backup.finishedAt());
    assertEquals(Instant.parse("2018-08-14T07:53:15.663766Z"), backup.updatedAt());
    assertEquals(1, backup.version());
    assertEquals(ApiStatus.AVAILABLE, backup.apiStatus());
    assertEquals(Optional.of("prod"), backup.tagValue("env"));
    assertEquals(BackupType.COMMON, backup.type());
    assertEquals("OS::Nova::Server", backup.server().resourceType());   // Server's example
    assertSame(BackupDetails.NONE, backup.details());
  }

  /** Backup: "a policy id only on automatic backups"; BackupTrigger's example. */
  @Test
  void policyIdOnlyOnAutomaticBackups() {
    field("policy id", () -> available("p", "b").policyId("policy-1").build());
    field("policy id", () -> available("p", "b").trigger(BackupTrigger.MANUAL).policyId(Optional.of("policy-1")).build());
    Backup auto = available("p", "b").trigger(BackupTrigger.AUTOMATIC).policyId("policy-1").build();
    assertEquals(Optional.of("policy-1"), auto.policyId());
    assertEquals(Optional.empty(), available("p", "b").trigger(BackupTrigger.AUTOMATIC).build().policyId()); // "usually carry"
    assertEquals(Optional.empty(), available("p", "b").policyId(Optional.empty()).build().policyId());
    field("policy id", () -> auto.toBuilder().trigger(BackupTrigger.MANUAL).build());
  }

  /** Backup#name: "1 to 255 letters (of any script, each counted once, one outside the BMP too), digits, _ or -". */
  @Test
  void nameLettersCountedOnceAndOfAnyScript() {
    assertEquals(BOLD_A.repeat(255), available("p", "b").name(BOLD_A.repeat(255)).build().name());
    field("name", () -> available("p", "b").name(BOLD_A.repeat(256)).build());
    assertEquals("a".repeat(255), available("p", "b").name("a".repeat(255)).build().name());
    field("name", () -> available("p", "b").name("a".repeat(256)).build());
    for (String ok : List.of("ß", "İstanbul_1", "Ωμέγα-2", "日本語", "x", "9", "_", "-", "café")) {
      assertEquals(ok, available("p", "b").name(ok).build().name());
    }
    for (String bad : List.of(" ", "a.b", "a b", "a/b", "😀", "tab\t", "a+b")) {
      field("name", () -> available("p", "b").name(bad).build());
    }
  }

  /** Backup#description: "at most 255 chars" (chars, where the name counts letters). */
  @Test
  void descriptionCountsChars() {
    assertEquals(255, available("p", "b").description(BOLD_A.repeat(127) + "x").build().description().orElseThrow().length());
    field("description", () -> available("p", "b").description(BOLD_A.repeat(128)).build());
    assertEquals(Optional.empty(), available("p", "b").description(Optional.empty()).build().description());
  }

  /** Server: id "at most 64 chars", name "at most 255 chars" (chars). */
  @Test
  void serverLengthsCountChars() {
    field("server id", () -> Server.of(BOLD_A.repeat(33), "n", "z"));
    assertEquals(64, Server.of(BOLD_A.repeat(32), "n", "z").id().length());
    field("server name", () -> Server.of("i", BOLD_A.repeat(128), "z"));
    assertEquals(254, Server.of("i", BOLD_A.repeat(127), "z").name().length());
    assertEquals(Server.of("i", "n", "z"), Server.of("i", "n", "z"));
    assertEquals(Server.of("i", "n", "z").hashCode(), Server.of("i", "n", "z").hashCode());
    assertNotEquals(Server.of("i", "n", "z"), Server.of("i", "N", "z"));
  }

  /** Backup: "A backup always satisfies the rules ...: times that do not precede its creation": a progress or a failure dated before it too. */
  @Test
  void progressAndFailureTimesBeforeTheCreationAreRefused() {
    Instant created = NOW;
    InvalidValueException e = field("progress", () -> Backup.builder().id("b").name("n").projectId("p")
        .server(GGAO).status(BackupStatus.CREATING).progress(Progress.of(0, created.minus(Duration.ofDays(1)))).sizeMb(1)
        .createdAt(created).build());
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
    field("failure", () -> available("p", "b").status(BackupStatus.ERROR)
        .failure(Failure.of(JobType.BACKUP, "x", created.minusSeconds(1))).build());
    // at the creation itself: accepted
    available("p", "b").status(BackupStatus.ERROR).failure(Failure.of(JobType.BACKUP, "x", created)).build();
    // nextVersion: "the times must not precede the creation"
    Backup available = available("p", "b").build();
    assertThrows(InvalidValueException.class, () -> available.nextVersion(BackupStatus.DELETING,
        Optional.of(Progress.of(0, created.minus(Duration.ofDays(1)))), Optional.empty(), created, Optional.empty()));
  }

  /** Backup.Builder: "Null is refused with a NullPointerException naming the parameter", every setter. */
  @Test
  void everyBuilderSetterNamesItsNullParameter() {
    npe("id", () -> Backup.builder().id(null));
    npe("projectId", () -> Backup.builder().projectId(null));
    npe("server", () -> Backup.builder().server(null));
    npe("status", () -> Backup.builder().status(null));
    npe("progress", () -> Backup.builder().progress((Progress) null));
    npe("progress", () -> Backup.builder().progress((Optional<Progress>) null));
    npe("type", () -> Backup.builder().type(null));
    npe("trigger", () -> Backup.builder().trigger(null));
    npe("policyId", () -> Backup.builder().policyId((String) null));
    npe("policyId", () -> Backup.builder().policyId((Optional<String>) null));
    npe("description", () -> Backup.builder().description((String) null));
    npe("description", () -> Backup.builder().description((Optional<String>) null));
    npe("updatedAt", () -> Backup.builder().updatedAt(null));
    npe("finishedAt", () -> Backup.builder().finishedAt((Instant) null));
    npe("finishedAt", () -> Backup.builder().finishedAt((Optional<Instant>) null));
    npe("failure", () -> Backup.builder().failure((Failure) null));
    npe("failure", () -> Backup.builder().failure((Optional<Failure>) null));
    npe("tags", () -> Backup.builder().tags(null));
    npe("tags", () -> Backup.builder().addAllTags(null));
    npe("tags", () -> Backup.builder().addTags((Tag[]) null));
    npe("apiStatus", () -> Backup.builder().apiStatus(null));
    npe("details", () -> Backup.builder().details(null));
  }

  /** Backup.Builder#build: "IllegalStateException naming the required fields that were not set", all seven. */
  @Test
  void buildNamesEveryMissingRequiredField() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backup.builder().build());
    for (String required : List.of("id", "name", "projectId", "server", "status", "sizeMb", "createdAt")) {
      assertTrue(e.getMessage().contains(required), required + " in " + e.getMessage());
    }
    IllegalStateException one = assertThrows(IllegalStateException.class,
        () -> Backup.builder().id("b").name("n").projectId("p").server(GGAO).status(BackupStatus.AVAILABLE).sizeMb(1).build());
    assertTrue(one.getMessage().contains("createdAt"), one.getMessage());
    assertFalse(one.getMessage().contains("sizeMb"), one.getMessage());
  }

  /** Backup.Builder: tags "accumulate with addTags and addAllTags, or are replaced at once with tags"; tags() refused after a set or add "on this builder". */
  @Test
  void builderTagsAccumulateOrReplace() {
    Backup b = available("p", "b").tags(List.of(Tag.of("a", "1"))).addTags(Tag.of("b", "2"))
        .addAllTags(List.of(Tag.of("c", "3"))).addTags().build();
    assertEquals(List.of(Tag.of("a", "1"), Tag.of("b", "2"), Tag.of("c", "3")), b.tags());
    assertThrows(IllegalStateException.class, () -> b.toBuilder().addTags(Tag.of("d", "4")).tags(List.of()));
    assertThrows(IllegalStateException.class, () -> b.toBuilder().addAllTags(List.of()).tags(List.of()));
    assertEquals(List.of(Tag.of("z", "9")), b.toBuilder().tags(List.of(Tag.of("z", "9"))).build().tags());
    assertEquals(List.of(Tag.of("z", "9"), Tag.of("y", "8")),
        b.toBuilder().tags(List.of(Tag.of("z", "9"))).addTags(Tag.of("y", "8")).build().tags());
    // keys are unique as compared exactly: case and case folding make distinct keys
    Backup cased = available("p", "c").addTags(Tag.of("env", "1"), Tag.of("Env", "2"), Tag.of("ß", "3"), Tag.of("SS", "4"),
        Tag.of("ss", "5"), Tag.of("İ", "6"), Tag.of("i", "7")).build();
    assertEquals(7, cased.tags().size());
    assertEquals(Optional.of("2"), cased.tagValue("Env"));
    assertEquals(Optional.empty(), cased.tagValue("ENV"));
    assertEquals(Optional.of("3"), cased.tagValue("ß"));
    field("tags", () -> available("p", "d").addTags(Tag.of("ß", "1"), Tag.of("ß ", "2")).build());
  }

  /** Backup#toBuilder: "Each field may be set once more on it", the version included; a third time is refused naming the field. */
  @Test
  void toBuilderFieldsMaySetOnceMore() {
    Backup b = available("p", "b").version(3).build();
    assertEquals(7, b.toBuilder().version(7).build().version());
    Backup.Builder copy = b.toBuilder().status(BackupStatus.DELETING);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> copy.status(BackupStatus.CREATING));
    assertTrue(e.getMessage().contains("status"), e.getMessage());
    Backup deleting = copy.progress(Progress.of(5, NOW)).build();
    assertEquals(BackupStatus.DELETING, deleting.status());
    assertEquals(ApiStatus.DELETING, deleting.apiStatus());
    assertEquals(3, deleting.version());
    // the class example of toBuilder, as written
    Backup backup = available("p", "b").addTags(Tag.of("env", "prod")).build();
    Backup renamed = backup.toBuilder().name("weekly_db").build();
    Backup untagged = backup.toBuilder().tags(List.of()).build();
    assertEquals("weekly_db", renamed.name());
    assertEquals(List.of(), untagged.tags());
    assertEquals(List.of(Tag.of("env", "prod")), backup.tags());
  }

  /** Backup.Builder#apiStatus's example: "builder.status(BackupStatus.CREATING).apiStatus(ApiStatus.WAITING_PROTECT)"; the queued status moves "with the first progress above 0%". */
  @Test
  void queuedCreatingMovesToProtectingOnTheFirstProgressAboveZero() {
    Backup.Builder builder = Backup.builder().id("b").name("n").projectId("p").server(GGAO).sizeMb(1).createdAt(NOW)
        .progress(Progress.of(0, NOW));
    Backup queued = builder.status(BackupStatus.CREATING).apiStatus(ApiStatus.WAITING_PROTECT).build();
    assertEquals(ApiStatus.WAITING_PROTECT, queued.apiStatus());
    assertSame(queued, Lifecycle.reportProgress(queued, 0, NOW.plusSeconds(5)));
    Backup running = Lifecycle.reportProgress(queued, 1, NOW.plusSeconds(5));
    assertEquals(ApiStatus.PROTECTING, running.apiStatus());
    assertEquals(ApiStatus.AVAILABLE, Lifecycle.complete(running, NOW.plusSeconds(6)).orElseThrow().apiStatus());
    Backup failed = Lifecycle.fail(queued, "no agent", NOW.plusSeconds(6));
    assertEquals(ApiStatus.ERROR, failed.apiStatus());
  }

  /** Backup#nextVersion's example as written. */
  @Test
  void nextVersionExample() {
    Backup available = available("p", "b").finishedAt(NOW.plusSeconds(1)).build();
    Instant now = NOW.plusSeconds(10);
    Backup deleting = available.nextVersion(
        BackupStatus.DELETING, Optional.of(Progress.of(0, now)), Optional.empty(), now, available.finishedAt());
    assertEquals(BackupStatus.DELETING, deleting.status());
    assertEquals(2, deleting.version());
    assertEquals(available.finishedAt(), deleting.finishedAt());
    assertEquals(available.name(), deleting.name());
    field("failure", () -> available.nextVersion(BackupStatus.ERROR, Optional.empty(), Optional.empty(), now, Optional.empty()));
  }

  /** Backup.Builder#toString: "Backup.Builder{id=b-1, status=Available, sizeMb=5}: the fields that have a value ..., absent optional ones left out, in the order of the setters". */
  @Test
  void builderToStringAsDocumented() {
    assertEquals("Backup.Builder{id=b-1, status=Available, sizeMb=5}",
        Backup.builder().id("b-1").status(BackupStatus.AVAILABLE).sizeMb(5).toString());
    assertEquals("Backup.Builder{id=b-1, status=Available, sizeMb=5}",
        Backup.builder().sizeMb(5).status(BackupStatus.AVAILABLE).id("b-1").toString());
    assertEquals("Backup.Builder{}", Backup.builder().toString());
    String copy = available("p", "b-1").build().toBuilder().toString();
    for (String shown : List.of("id=b-1", "name=bk_b-1", "projectId=p", "status=Available", "sizeMb=1", "createdAt=" + NOW)) {
      assertTrue(copy.contains(shown), shown + " in " + copy);
    }
    for (String absent : List.of("description", "progress", "policyId", "finishedAt", "failure")) {
      assertFalse(copy.contains(absent + "="), absent + " in " + copy);
    }
    assertTrue(copy.indexOf("id=b-1") < copy.indexOf("name=") && copy.indexOf("name=") < copy.indexOf("projectId=")
        && copy.indexOf("projectId=") < copy.indexOf("status=") && copy.indexOf("status=") < copy.indexOf("sizeMb="), copy);
  }

  // ================================================================ details, metadata, small values

  /** BackupDetails' class example as written, and the builder's example. */
  @Test
  void backupDetailsExamples() {
    Backup backup = available("p", "b").build();
    BackupDetails details = BackupDetails.builder()
        .checkpointId("f672a1bb-6912-446a-816c-72792c5263e0")
        .vm(VmMetadata.builder().ramMb(4096).vcpus(4).build())
        .incremental(true)
        .spaceSavingRatio(37)
        .build();
    Backup detailed = backup.toBuilder().details(details).build();
    assertEquals(details, detailed.details());
    assertEquals(Optional.of("f672a1bb-6912-446a-816c-72792c5263e0"), details.checkpointId());
    assertEquals(new VmMetadata("", "", 0, "", 4096, 4, "", ""), details.vm());
    assertTrue(details.incremental());
    assertEquals(37, details.spaceSavingRatio());
    assertEquals(RestoreMode.BACKUP, details.restoreMode());
    assertEquals(CopyStatus.NA, details.copyStatus());
    assertEquals(0, details.averageSpeedKbps());
    assertEquals(Optional.empty(), details.failCode());
    assertEquals(backup, detailed.toBuilder().details(BackupDetails.NONE).build());
    assertNotEquals(backup, detailed);
    assertEquals(backup.version(), detailed.version());

    BackupDetails copied = BackupDetails.builder().copyStatus(CopyStatus.SUCCESS).build();
    assertEquals(CopyStatus.SUCCESS, copied.copyStatus());
    assertNotEquals(BackupDetails.NONE, copied);
    assertEquals(copied, new BackupDetails(Optional.empty(), VmMetadata.NONE, false, RestoreMode.BACKUP, CopyStatus.SUCCESS, 0, 0,
        Optional.empty()));
    assertEquals(100, details.toBuilder().spaceSavingRatio(100).build().spaceSavingRatio());
    assertEquals(details.checkpointId(), details.toBuilder().spaceSavingRatio(100).build().checkpointId());
  }

  /** VmMetadata's examples as written; "Empty text and zero mean not obtained"; imageType "or another type". */
  @Test
  void vmMetadataExamples() {
    VmMetadata vm = VmMetadata.builder().regionName("eu-de").cloudServiceType("server").diskGb(40)
        .imageType("gold").ramMb(4096).vcpus(2).privateIp("192.168.0.12").build();
    assertEquals(new VmMetadata("eu-de", "server", 40, "gold", 4096, 2, "", "192.168.0.12"), vm);
    VmMetadata small = VmMetadata.builder().ramMb(8192).vcpus(4).build();
    assertEquals(8192, small.ramMb());
    assertEquals("", small.regionName());
    assertEquals(0, small.diskGb());
    assertEquals("custom-image", vm.toBuilder().imageType("custom-image").build().imageType());
    assertEquals(vm, vm.toBuilder().build());
    assertEquals("r".repeat(64), new VmMetadata("r".repeat(64), "", 0, "", 0, 0, "", "").regionName());
    field("__openstack_region_name", () -> new VmMetadata("r".repeat(65), "", 0, "", 0, 0, "", ""));
    field("disk", () -> new VmMetadata("", "", -1, "", 0, 0, "", ""));
  }

  /** FailCode, Failure and Progress examples as written; equal values are equal. */
  @Test
  void failCodeFailureAndProgressExamples() {
    FailCode code = new FailCode(64003, "The disk is detached.");
    assertEquals(64003, code.code());
    assertEquals("The disk is detached.", code.description());
    assertEquals(1024, FailCode.MAX_DESCRIPTION_LENGTH);
    Instant now = NOW;
    Failure failure = Failure.of(JobType.RESTORE, "target disk detached", now);
    assertEquals(JobType.RESTORE, failure.job());
    assertEquals("target disk detached", failure.reason());
    assertEquals(now, failure.failedAt());
    assertEquals(failure, Failure.of(JobType.RESTORE, "target disk detached", now));
    assertEquals(failure.hashCode(), Failure.of(JobType.RESTORE, "target disk detached", now).hashCode());
    assertNotEquals(failure, Failure.of(JobType.DELETE, "target disk detached", now));
    assertEquals(1024, Failure.MAX_REASON_LENGTH);
    Progress progress = Progress.of(40, Instant.parse("2026-11-24T10:15:00Z"));
    assertEquals(40, progress.percent());
    assertEquals("40% since 2026-11-24T10:15:00Z", progress.toString());
    assertEquals(progress.hashCode(), Progress.of(40, Instant.parse("2026-11-24T10:15:00Z")).hashCode());
    assertEquals("backup failed at 2026-11-24T10:00:00Z: x", Failure.of(JobType.BACKUP, "x", now).toString());
  }

  /** Tag: value "0 to 43 letters" of any script, one outside the BMP counted once; checkKey and checkValue name their field. */
  @Test
  void tagValueLettersAndChecks() {
    assertEquals(BOLD_A.repeat(43), Tag.of("k", BOLD_A.repeat(43)).value());
    field("tag value", () -> Tag.of("k", BOLD_A.repeat(44)));
    field("tag key", () -> Tag.of(BOLD_A.repeat(37), "v"));
    field("tag key", () -> Tag.checkKey("a b"));
    field("tag value", () -> Tag.checkValue("a b"));
    assertEquals("ключ", Tag.checkKey(" ключ "));
    assertEquals(36, Tag.MAX_KEY_LENGTH);
    assertEquals(43, Tag.MAX_VALUE_LENGTH);
    assertNotEquals(Tag.of("ß", "v"), Tag.of("SS", "v"));
    assertNotEquals(Tag.of("k", "İ"), Tag.of("k", "i"));
    assertTrue(Tag.of("a", "b").compareTo(Tag.of("a", "c")) < 0);
    assertTrue(Tag.of("b", "a").compareTo(Tag.of("a", "z")) > 0);
    assertEquals(0, Tag.of(" a", "b ").compareTo(Tag.of("a", "b")));
  }

  // ================================================================ TagUpdate

  /** TagUpdate's class example on a catalog, as written: create then delete, one version each; an update that changes nothing is no change. */
  @Test
  void tagUpdateExampleOnACatalog() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Backup backup = available("project-1", "b-1").build();
    catalog.add(backup);
    clock.advance(Duration.ofSeconds(1));
    Backup tagged = catalog.updateTags("project-1", backup.id(), backup.version(),
        TagUpdate.create(Tag.of("env", "prod"), Tag.of("owner", "alice")));
    Backup untagged = catalog.updateTags("project-1", backup.id(), backup.version() + 1, TagUpdate.delete(TagUpdate.Match.key("owner")));
    assertEquals(2, tagged.version());
    assertEquals(List.of(Tag.of("env", "prod"), Tag.of("owner", "alice")), tagged.tags());
    assertEquals(NOW.plusSeconds(1), tagged.updatedAt());
    assertEquals(3, untagged.version());
    assertEquals(List.of(Tag.of("env", "prod")), untagged.tags());
    long sequence = catalog.sequence("project-1");
    Backup same = catalog.updateTags("project-1", "b-1", 3, TagUpdate.delete(TagUpdate.Match.of("env", "staging")));
    assertEquals(3, same.version());
    assertEquals(sequence, catalog.sequence("project-1"));
    assertEquals(untagged, catalog.get("project-1", "b-1"));
  }

  /** TagUpdate#applyTo(Backup, now): "updated at if now precedes the creation; now if it comes at or after the creation but before the last change". */
  @Test
  void tagUpdateTimesNameUpdatedAtOrNow() {
    Backup b = available("p", "b").updatedAt(NOW.plusSeconds(60)).build();
    TagUpdate add = TagUpdate.create(Tag.of("env", "prod"));
    field("updated at", () -> add.applyTo(b, NOW.minusNanos(1)));
    field("now", () -> add.applyTo(b, NOW));
    field("now", () -> add.applyTo(b, NOW.plusSeconds(59)));
    Backup next = add.applyTo(b, NOW.plusSeconds(60));
    assertEquals(NOW.plusSeconds(60), next.updatedAt());
    assertEquals(2, next.version());
  }

  /** TagUpdate.Match: key "1 to 127 chars once trimmed", value "at most 255"; equal after trimming; create/delete refusals naming tags. */
  @Test
  void tagUpdateMatchesAndRefusals() {
    assertEquals("k".repeat(127), TagUpdate.Match.key(" " + "k".repeat(127) + " ").key());
    field("tag key", () -> TagUpdate.Match.key("k".repeat(128)));
    field("tag key", () -> TagUpdate.Match.key(""));
    field("tag key", () -> TagUpdate.Match.key("   "));
    assertEquals(TagUpdate.Match.of("env", "staging"), TagUpdate.Match.of(" env", " staging "));
    assertEquals(Optional.empty(), TagUpdate.Match.key("owner").value());
    assertEquals(Optional.of("staging"), TagUpdate.Match.of("env", "staging").value());
    assertEquals(127, TagUpdate.MAX_DELETE_KEY_LENGTH);
    assertEquals(255, TagUpdate.MAX_DELETE_VALUE_LENGTH);
    field("tags", () -> TagUpdate.create(List.of()));
    field("tags", () -> TagUpdate.create());
    field("tags", () -> TagUpdate.delete(List.of()));
    field("tags", () -> TagUpdate.delete());
    field("tags", () -> TagUpdate.create(Tag.of("env", "a"), Tag.of(" env ", "b")));
    // a match with an empty value matches only the tag whose value is empty
    List<Tag> current = List.of(Tag.of("a", ""), Tag.of("b", "x"));
    assertEquals(List.of(Tag.of("b", "x")), TagUpdate.delete(TagUpdate.Match.of("a", ""), TagUpdate.Match.of("b", "")).applyTo(current));
    assertEquals(List.of(), TagUpdate.delete(TagUpdate.Match.key("a"), TagUpdate.Match.key("b"), TagUpdate.Match.key("a")).applyTo(current));
    assertEquals("delete [a, b=x]", TagUpdate.delete(TagUpdate.Match.key("a"), TagUpdate.Match.of("b", "x")).toString());
  }

  // ================================================================ Lifecycle

  /** Lifecycle's class example as written, and the diagram's refusals from a stable state. */
  @Test
  void lifecycleExampleAndStableRefusals() {
    Backup available = available("p", "b").build();
    Instant now = NOW.plusSeconds(1);
    Backup restoring = Lifecycle.restore(available, now);
    Backup halfway = Lifecycle.reportProgress(restoring, 50, now.plusSeconds(30));
    Backup done = Lifecycle.complete(halfway, now.plusSeconds(60)).orElseThrow(); // Available again
    assertEquals(BackupStatus.AVAILABLE, done.status());
    assertEquals(4, done.version());
    assertEquals(now.plusSeconds(60), done.updatedAt());
    assertEquals(Optional.empty(), done.finishedAt());  // only a completed backup job sets it
    for (Executable refused : List.<Executable>of(
        () -> Lifecycle.complete(available, now), () -> Lifecycle.fail(available, "x", now),
        () -> Lifecycle.reportProgress(available, 10, now))) {
      IllegalTransitionException e = assertThrows(IllegalTransitionException.class, refused);
      assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, e.code());
      assertEquals(BackupStatus.AVAILABLE, e.status());
      assertEquals(List.of("restore", "delete"), e.allowed());
    }
    Backup failed = Lifecycle.fail(halfway, "target disk detached", now.plusSeconds(40));
    assertEquals(BackupStatus.ERROR, failed.status());
    assertEquals(Failure.of(JobType.RESTORE, "target disk detached", now.plusSeconds(40)), failed.failure().orElseThrow());
    assertEquals(List.of("delete"), Lifecycle.allowedTransitions(failed));
    Backup deleting = Lifecycle.delete(failed, now.plusSeconds(50));
    assertEquals(Optional.empty(), Lifecycle.complete(deleting, now.plusSeconds(51)));
  }

  /** IllegalTransitionException's example: restore of a Creating backup; status, attempted, allowed; code BACKUP_BUSY. */
  @Test
  void illegalTransitionExceptionExample() {
    Backup creatingBackup = creating("p", "c-1");
    Instant now = NOW;
    try {
      Lifecycle.restore(creatingBackup, now);
      throw new AssertionError("restore of a Creating backup was allowed");
    } catch (IllegalTransitionException e) {
      assertEquals(BackupStatus.CREATING, e.status());    // Creating
      assertEquals("restore", e.attempted()); // "restore"
      assertEquals(List.of("progress", "complete", "fail"), e.allowed());   // [progress, complete, fail]
      assertEquals("c-1", e.backupId());
      assertEquals(ErrorCode.BACKUP_BUSY, e.code());
      assertTrue(e instanceof IllegalStateException);
    }
    for (Operation op : Operation.values()) {
      assertEquals(ErrorCode.BACKUP_BUSY, assertThrows(IllegalTransitionException.class,
          () -> Lifecycle.start(creatingBackup, op, now)).code());
    }
  }

  /** Transition's example as written: applyTo gives the next backup; "empty only when a deletion completes"; records expose their fields. */
  @Test
  void transitionExample() {
    Backup backup = creating("p", "b");
    Instant now = NOW.plusSeconds(3);
    Transition t = Transition.reportProgress(40);
    Optional<Backup> next = t.applyTo(backup, now); // empty only when a deletion completes
    assertEquals("progress 40%", t.toString());
    assertEquals(Optional.of(Progress.of(40, now)), next.orElseThrow().progress());
    assertEquals(Optional.of(Progress.of(0, NOW)), backup.progress());
    assertEquals(40, ((Transition.ReportProgress) t).percent());
    assertEquals("why", ((Transition.Fail) Transition.fail("why")).reason());
    assertEquals(Operation.INSTANT_RESTORE, ((Transition.Start) Transition.instantRestore()).operation());
    assertEquals(Transition.restore().hashCode(), Transition.start(Operation.RESTORE).hashCode());
    assertEquals(Transition.complete().hashCode(), Transition.complete().hashCode());
    assertNotEquals(Transition.restore(), Transition.instantRestore());
    assertNotEquals(Transition.reportProgress(40), Transition.reportProgress(41));
    Backup created = Transition.complete().applyTo(next.orElseThrow(), now).orElseThrow();
    assertEquals(Optional.of(now), created.finishedAt());
    Backup deleting = Transition.delete().applyTo(created, now).orElseThrow();
    assertEquals(Optional.empty(), Transition.complete().applyTo(deleting, now));
    assertEquals(BackupStatus.ERROR, Transition.fail("gone").applyTo(deleting, now).orElseThrow().status());
  }

  /** InvalidValueException: "Whatever raised it changed nothing: ... no catalog was modified" (apply and updateTags). */
  @Test
  void refusedChangesLeaveTheCatalogAsItWas() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Tag> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(Tag.of("k" + i, "v"));
    }
    catalog.add(available("p", "b").tags(ten).build());
    catalog.add(creating("p", "c"));
    clock.advance(Duration.ofSeconds(1));
    Backup b = catalog.get("p", "b");
    Backup c = catalog.get("p", "c");
    long sequence = catalog.sequence("p");
    field("progress", () -> catalog.apply("p", "c", 1, Transition.reportProgress(101)));
    field("failure reason", () -> catalog.apply("p", "c", 1, Transition.fail(" ")));
    field("tags", () -> catalog.updateTags("p", "b", 1, TagUpdate.create(Tag.of("k10", "v"))));
    assertThrows(IllegalTransitionException.class, () -> catalog.apply("p", "c", 1, Transition.restore()));
    assertEquals(b, catalog.get("p", "b"));
    assertEquals(c, catalog.get("p", "c"));
    assertEquals(sequence, catalog.sequence("p"));
    assertEquals(Optional.of(Progress.of(10, NOW.plusSeconds(1))),
        catalog.apply("p", "c", 1, Transition.reportProgress(10)).orElseThrow().progress());
  }

  // ================================================================ StallRule

  /** StallRule's example with a FakeClock; the threshold must be "positive" (zero refused); the three isStalled forms agree. */
  @Test
  void stallRuleExampleAndThreshold() {
    FakeClock clock = FakeClock.at(NOW);
    Backup backup = creating("p", "b");
    StallRule rule = StallRule.ofThreshold(Duration.ofMinutes(10));
    assertFalse(rule.isStalled(backup, clock));
    clock.advance(Duration.ofMinutes(10));
    assertFalse(rule.isStalled(backup, clock));   // exactly the threshold: not yet
    assertFalse(rule.isStalled(NOW, clock.instant()));
    clock.advance(Duration.ofNanos(1));
    assertTrue(rule.isStalled(backup, clock));
    assertTrue(rule.isStalled(backup, clock.instant()));
    assertTrue(rule.isStalled(NOW, clock.instant()));
    assertEquals(Duration.ofMinutes(30), StallRule.DEFAULT.threshold()); // PT30M
    assertEquals("PT30M", StallRule.DEFAULT.threshold().toString());
    assertEquals(StallRule.DEFAULT_THRESHOLD, StallRule.DEFAULT.threshold());
    field("stall threshold", () -> StallRule.ofThreshold(Duration.ZERO));
    field("stall threshold", () -> new StallRule(Duration.ZERO));
    assertEquals(Duration.ofNanos(1), StallRule.ofThreshold(Duration.ofNanos(1)).threshold());
    assertEquals(rule, new StallRule(Duration.ofSeconds(600)));
    assertEquals(rule.hashCode(), new StallRule(Duration.ofSeconds(600)).hashCode());
    // a stable backup is never stalled, however old its last change
    Backup old = available("p", "a").createdAt(Instant.MIN).build();
    assertFalse(StallRule.DEFAULT.isStalled(old, Instant.MAX));
  }

  /** StallRule at the ends of time: stalledIfChangedBefore is "Instant.MIN when that is before it"; MIN to MAX is longer than 30 minutes. */
  @Test
  void stallRuleAtTheEndsOfTime() {
    assertEquals(Instant.MIN, StallRule.DEFAULT.stalledIfChangedBefore(Instant.MIN));
    assertEquals(Instant.MIN, StallRule.DEFAULT.stalledIfChangedBefore(Instant.MIN.plus(Duration.ofMinutes(29))));
    assertEquals(Instant.MIN, StallRule.DEFAULT.stalledIfChangedBefore(Instant.MIN.plus(Duration.ofMinutes(30))));
    assertEquals(Instant.MIN.plusSeconds(1), StallRule.DEFAULT.stalledIfChangedBefore(Instant.MIN.plus(Duration.ofSeconds(1801))));
    assertEquals(Instant.MAX.minus(Duration.ofMinutes(30)), StallRule.DEFAULT.stalledIfChangedBefore(Instant.MAX));
    assertTrue(StallRule.DEFAULT.isStalled(Instant.MIN, Instant.MAX));
    assertFalse(StallRule.DEFAULT.isStalled(Instant.MAX, Instant.MIN));
    assertFalse(StallRule.DEFAULT.isStalled(Instant.MAX, Instant.MAX));
    StallRule forever = StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
    assertFalse(forever.isStalled(Instant.MIN, Instant.MAX));
    assertEquals(Instant.MIN, forever.stalledIfChangedBefore(Instant.MAX));
  }

  // ================================================================ quotas

  /** Quota's and QuotaUsage's examples: 500 backups and 10 TB; 120 used leaves 380; 2048.00 GB used. */
  @Test
  void quotaAndQuotaUsageExamples() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.setQuota("project-1", Quota.of(500, 10_240));  // 500 backups, 10 TB
    assertEquals(new Quota(Quota.UNLIMITED, Quota.UNLIMITED), Quota.NONE); // unlimited
    List<Backup> backups = new ArrayList<>();
    for (int i = 0; i < 119; i++) {
      backups.add(sized("project-1", "b" + i, GGAO, NOW, 16_384));
    }
    backups.add(sized("project-1", "b119", GGAO, NOW, 147_456));
    catalog.addAll(backups);
    QuotaUsage q = catalog.quotaUsage("project-1");
    assertEquals(120, q.backupsUsed());          // 120
    assertEquals(OptionalLong.of(380), q.backupsRemaining());     // OptionalLong[380], empty when unlimited
    assertEquals(new BigDecimal("2048.00"), q.capacityUsedGb());       // 2048.00
    assertEquals(OptionalLong.of(10_240L * 1024 - 2_097_152), q.capacityRemainingMb());
    assertEquals(Quota.of(500, 10_240), q.quota());
    assertEquals(2_097_152, q.sizeMbUsed());
    assertEquals(new QuotaUsage(Quota.NONE, 0, 0), catalog.quotaUsage("project-never-seen"));
    assertEquals(Quota.NONE, Quota.of(-1, -1));
  }

  /** QuotaExceededException's example as written: 101,888 MB of 100 GB used, a 600 MB backup asked. */
  @Test
  void quotaExceededExceptionExample() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.setQuota("project-1", Quota.of(Quota.UNLIMITED, 100));
    catalog.add(sized("project-1", "big", GGAO, NOW, 101_888));
    Backup backup = sized("project-1", "b-600", GGAO, NOW, 600);
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> catalog.add(backup));
    assertEquals("quota backup_capacity of project project-1 (limit 100 GB) is exceeded: used 99.50 GB (101888 MB), asked 600 MB more",
        e.getMessage());
    assertEquals("backup_capacity", e.quota());
    assertEquals("project-1", e.projectId());
    assertEquals(ErrorCode.QUOTA_EXCEEDED, e.code());
    catalog.add(sized("project-1", "b-512", GGAO, NOW, 512));  // exactly the 102,400 MB of the quota
    assertEquals(OptionalLong.of(0), catalog.quotaUsage("project-1").capacityRemainingMb());
    assertEquals(new BigDecimal("100.00"), catalog.quotaUsage("project-1").capacityUsedGb());
  }

  /** BackupCatalog#addAll: "all or none", quotas "of every project", checked "in project id order"; the refusal names what was asked in all. */
  @Test
  void batchQuotasAreAllOrNoneInProjectIdOrder() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.setQuota("b-project", Quota.of(2, Quota.UNLIMITED));
    catalog.setQuota("a-project", Quota.of(Quota.UNLIMITED, 1));
    List<Backup> batch = List.of(sized("b-project", "1", GGAO, NOW, 0), sized("b-project", "2", GGAO, NOW, 0),
        sized("b-project", "3", GGAO, NOW, 0), sized("a-project", "1", GGAO, NOW, 1000), sized("a-project", "2", GGAO, NOW, 100));
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> catalog.addAll(batch));
    assertEquals("a-project", e.projectId());
    assertEquals("quota backup_capacity of project a-project (limit 1 GB) is exceeded: used 0 MB, asked 1.07 GB (1100 MB) more",
        e.getMessage());
    assertEquals(0, catalog.quotaUsage("a-project").backupsUsed());
    assertEquals(0, catalog.quotaUsage("b-project").backupsUsed());
    QuotaExceededException b = assertThrows(QuotaExceededException.class, () -> catalog.addAll(batch.subList(0, 3)));
    assertEquals("quota backups of project b-project (limit 2 backups) is exceeded: used 0 backups, asked 3 more", b.getMessage());
    catalog.addAll(batch.subList(0, 2));  // exactly the quota
    assertEquals(OptionalLong.of(0), catalog.quotaUsage("b-project").backupsRemaining());
  }

  /** Quota of zero: no backup at all, or backups of 0 MB only; limits below -1 or above MAX_CAPACITY_GB refused naming the API's names. */
  @Test
  void zeroQuotasAndLimits() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.setQuota("none", Quota.of(0, Quota.UNLIMITED));
    assertEquals("backups", assertThrows(QuotaExceededException.class, () -> catalog.add(sized("none", "a", GGAO, NOW, 0))).quota());
    catalog.setQuota("empty", Quota.of(Quota.UNLIMITED, 0));
    catalog.add(sized("empty", "zero", GGAO, NOW, 0));
    assertEquals("backup_capacity", assertThrows(QuotaExceededException.class,
        () -> catalog.add(sized("empty", "one", GGAO, NOW, 1))).quota());
    assertEquals(new QuotaUsage(Quota.of(Quota.UNLIMITED, 0), 1, 0), catalog.quotaUsage("empty"));
    assertEquals(OptionalLong.empty(), catalog.quotaUsage("empty").backupsRemaining());
    assertEquals(OptionalLong.of(0), catalog.quotaUsage("empty").capacityRemainingMb());
    field("backups", () -> Quota.of(-2, 0));
    field("backup_capacity", () -> Quota.of(0, Quota.MAX_CAPACITY_GB + 1));
    field("backup_capacity", () -> new Quota(0, Long.MAX_VALUE));
    assertEquals(Quota.MAX_CAPACITY_GB, Quota.of(0, Quota.MAX_CAPACITY_GB).maxCapacityGb());
    assertEquals(-1, Quota.UNLIMITED);
    // checkRoomFor: exactly at the limit is room; one more is not
    Quota q = Quota.of(3, 2);
    q.checkRoomFor("p", 2, 1024, 1, 1024);
    assertEquals("backups", assertThrows(QuotaExceededException.class, () -> q.checkRoomFor("p", 3, 0, 1, 0)).quota());
    assertEquals("backup_capacity", assertThrows(QuotaExceededException.class, () -> q.checkRoomFor("p", 0, 2048, 0, 1)).quota());
    assertEquals("p", assertThrows(QuotaExceededException.class, () -> q.checkRoomFor("p", 0, 2048, 0, 1)).projectId());
  }

  // ================================================================ usage

  /** ServerUsage#serverName: "as its newest counted backup names it (the latest created; among backups created at the same instant, the one with the greatest id)". */
  @Test
  void serverNameIsTheNewestCountedBackupsName() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    String sid = "srv-1";
    catalog.add(sized("p", "old", Server.of(sid, "ecs-old", "az-1"), NOW.minus(Duration.ofDays(2)), 10));
    catalog.add(sized("p", "new", Server.of(sid, "ecs-new", "az-2"), NOW.minus(Duration.ofDays(1)), 10));
    catalog.add(sized("p", "older", Server.of(sid, "ecs-older", "az-1"), NOW.minus(Duration.ofDays(3)), 10));
    assertEquals(List.of(new ServerUsage(sid, "ecs-new", 3, 30)), catalog.usage("p", UsageQuery.firstServers(10)).servers());
    // restricted: the newest backup that counts names it
    assertEquals(List.of(new ServerUsage(sid, "ecs-old", 2, 20)),
        catalog.usage("p", UsageQuery.of(Predicates.availabilityZone("az-1"), 0, 10)).servers());
    // ties in time: the greatest id
    catalog.add(sized("p", "a-tie", Server.of(sid, "ecs-a", "az-3"), NOW, 1));
    catalog.add(sized("p", "z-tie", Server.of(sid, "ecs-z", "az-3"), NOW, 1));
    catalog.add(sized("p", "m-tie", Server.of(sid, "ecs-m", "az-3"), NOW, 1));
    assertEquals("ecs-z", catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0).serverName());
    assertEquals("ecs-z", catalog.usage("p", UsageQuery.of(Predicates.availabilityZone("az-3"), 0, 10)).servers().get(0).serverName());
    // once the newest is gone, the next newest names it
    catalog.remove("p", "z-tie", 1);
    assertEquals("ecs-m", catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0).serverName());
    clock.advance(Duration.ofSeconds(1));
    catalog.apply("p", "m-tie", 1, Transition.delete());
    assertEquals("ecs-m", catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0).serverName());  // Deleting still counts
    catalog.apply("p", "m-tie", 2, Transition.complete());
    assertEquals("ecs-a", catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0).serverName());
    assertEquals(new ServerUsage(sid, "ecs-a", 4, 31), catalog.usage("p", UsageQuery.firstServers(10)).servers().get(0));
  }

  /** ServerUsage's and UsageReport's examples: 12 backups, 1712.50 GB; "the list of servers is copied"; a project without backups reports nothing. */
  @Test
  void usageReportExamplesAndCopiedList() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    Server web = Server.of("web-id", "ecs-web-01", "eu-de-01");
    Server db = Server.of("db-id", "ecs-db-01", "eu-de-02");
    long total = 1_753_600;  // 1712.50 GB
    for (int i = 0; i < 12; i++) {
      catalog.add(sized("project-1", "w" + i, web, NOW.minusSeconds(i), i < 11 ? 146_133 : total - 11 * 146_133));
    }
    catalog.add(sized("project-1", "d0", db, NOW, 1));
    UsageReport report = catalog.usage("project-1", UsageQuery.firstServers(20));
    ServerUsage line = report.servers().get(0);
    assertEquals("ecs-web-01", line.serverName());  // "ecs-web-01"
    assertEquals(12, line.backups());     // 12
    assertEquals(new BigDecimal("1712.50"), line.capacityGb());  // 1712.50
    assertEquals(2, report.serverCount());
    assertEquals(13, report.backups());
    assertEquals(total + 1, report.sizeMb());
    assertEquals(new BigDecimal("1712.50"), report.capacityGb());  // 1,753,601 MB is 1712.5010 GB
    assertEquals(new ServerUsage("db-id", "ecs-db-01", 1, 1), report.servers().get(1));
    assertEquals(List.of(line), catalog.usage("project-1", UsageQuery.firstServers(1)).servers());
    assertEquals(List.of(report.servers().get(1)), catalog.usage("project-1", UsageQuery.of(Predicates.all(), 1, 1)).servers());
    assertEquals(List.of(new ServerUsage("db-id", "ecs-db-01", 1, 1)),
        catalog.usage("project-1", UsageQuery.of(Predicates.availabilityZone("eu-de-02"), 0, 50)).servers()); // one zone's usage
    assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage("project-0", UsageQuery.firstServers(20)));
    assertEquals(new BigDecimal("0.00"), new UsageReport(0, 0, 0, List.of()).capacityGb());

    List<ServerUsage> mine = new ArrayList<>(List.of(new ServerUsage("s", "n", 1, 1)));
    UsageReport copied = new UsageReport(1, 1, 1, mine);
    mine.add(new ServerUsage("t", "m", 1, 1));
    mine.set(0, new ServerUsage("x", "x", 9, 9));
    assertEquals(List.of(new ServerUsage("s", "n", 1, 1)), copied.servers());
  }

  /** UsageQuery: limit "1 to 1000", offset not negative, each naming its parameter; firstServers(n) is every backup, offset 0. */
  @Test
  void usageQueryBounds() {
    assertEquals(1000, UsageQuery.MAX_LIMIT);
    assertEquals(1, UsageQuery.firstServers(1).limit());
    assertEquals(1000, UsageQuery.firstServers(1000).limit());
    field("limit", () -> UsageQuery.firstServers(0));
    field("limit", () -> UsageQuery.firstServers(1001));
    field("limit", () -> UsageQuery.of(Predicates.all(), 0, -1));
    field("offset", () -> UsageQuery.of(Predicates.all(), -1, 10));
    field("offset", () -> new UsageQuery(Predicates.all(), Long.MIN_VALUE, 10));
    assertEquals(Long.MAX_VALUE, UsageQuery.of(Predicates.all(), Long.MAX_VALUE, 10).offset());
    assertEquals(0, UsageQuery.firstServers(20).offset());
  }

  /** Usage ordering: "largest capacity first (ties: more backups first, then by server id)", with hand-made ties and servers of 0 MB. */
  @Test
  void usageOrderWithHandMadeTies() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    // b and a: 100 MB each, b with more backups; c and d: 50 MB and one backup each (id order); e and f: 0 MB
    catalog.add(sized("p", "1", Server.of("a", "A", "z"), NOW, 100));
    catalog.add(sized("p", "2", Server.of("b", "B", "z"), NOW, 60));
    catalog.add(sized("p", "3", Server.of("b", "B", "z"), NOW, 40));
    catalog.add(sized("p", "4", Server.of("d", "D", "z"), NOW, 50));
    catalog.add(sized("p", "5", Server.of("c", "C", "z"), NOW, 50));
    catalog.add(sized("p", "6", Server.of("f", "F", "z"), NOW, 0));
    catalog.add(sized("p", "7", Server.of("e", "E", "z"), NOW, 0));
    catalog.add(sized("p", "8", Server.of("e", "E", "z"), NOW, 0));
    catalog.add(sized("p", "9", Server.of("Z", "Zed", "z"), NOW, 0));
    UsageReport r = catalog.usage("p", UsageQuery.firstServers(1000));
    assertEquals(List.of("b", "a", "c", "d", "e", "Z", "f"), r.servers().stream().map(ServerUsage::serverId).toList());
    assertEquals(7, r.serverCount());
    assertEquals(9, r.backups());
    assertEquals(300, r.sizeMb());
    assertEquals(new BigDecimal("0.29"), r.capacityGb());
  }

  /** Capacities: "MB / 1024, rounded half up to two decimals" at exact ties (0.125 is 0.13, not 0.12) and exactly beyond a double's precision. */
  @Test
  void capacityRoundingAtExactTiesAndHugeSizes() {
    Map<Long, String> expected = new LinkedHashMap<>();
    expected.put(128L, "0.13");      // 0.125 exactly
    expected.put(640L, "0.63");      // 0.625 exactly
    expected.put(1152L, "1.13");     // 1.125 exactly
    expected.put(2688L, "2.63");     // 2.625 exactly
    expected.put(10L, "0.01");       // 0.009765625
    expected.put((1L << 61) - 600, "2251799813685247.41");
    expected.put(Long.MAX_VALUE, "9007199254740992.00");
    for (Map.Entry<Long, String> e : expected.entrySet()) {
      BigDecimal gb = new BigDecimal(e.getValue());
      assertEquals(gb, new ServerUsage("s", "n", 1, e.getKey()).capacityGb(), "MB " + e.getKey());
      assertEquals(gb, new UsageReport(1, e.getKey(), 1, List.of()).capacityGb(), "MB " + e.getKey());
      assertEquals(gb, new QuotaUsage(Quota.NONE, 1, e.getKey()).capacityUsedGb(), "MB " + e.getKey());
    }
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.setQuota("p", Quota.of(Quota.UNLIMITED, 2));
    catalog.add(sized("p", "a", GGAO, NOW, 1152));
    assertEquals("quota backup_capacity of project p (limit 2 GB) is exceeded: used 1.13 GB (1152 MB), asked 1.13 GB (1152 MB) more",
        assertThrows(QuotaExceededException.class, () -> catalog.add(sized("p", "b", GGAO, NOW, 1152))).getMessage());
    assertEquals("quota backup_capacity of project p (limit 2 GB) is exceeded: used 1.13 GB (1152 MB), asked 1023 MB more",
        assertThrows(QuotaExceededException.class, () -> catalog.add(sized("p", "c", GGAO, NOW, 1023))).getMessage());
    assertEquals(new BigDecimal("1.13"), catalog.usage("p", UsageQuery.firstServers(1)).capacityGb());
  }

  /** BackupCatalog#addAll: duplicates are checked "first", "then the quotas of every project"; nothing is added. */
  @Test
  void batchDuplicatesAreCheckedBeforeQuotas() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.setQuota("a", Quota.of(1, Quota.UNLIMITED));
    catalog.add(sized("b", "dup", GGAO, NOW, 1));
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> catalog.addAll(List.of(sized("a", "1", GGAO, NOW, 1), sized("a", "2", GGAO, NOW, 1), sized("b", "dup", GGAO, NOW, 1))));
    assertEquals(ErrorCode.DUPLICATE_BACKUP, ((CsbsError) e).code());
    assertEquals(0, catalog.sequence("a"));
    assertEquals(1, catalog.sequence("b"));
  }

  /** TagUpdate#create: keys are compared exactly, so "Env" does not replace "env"; the backup may have exactly 10 after it. */
  @Test
  void tagUpdateKeysCompareExactly() {
    List<Tag> current = List.of(Tag.of("env", "prod"), Tag.of("ß", "1"));
    assertEquals(List.of(Tag.of("env", "prod"), Tag.of("ß", "1"), Tag.of("Env", "test"), Tag.of("SS", "2")),
        TagUpdate.create(Tag.of("Env", "test"), Tag.of("SS", "2")).applyTo(current));
    assertEquals(List.of(Tag.of("env", "prod")), TagUpdate.delete(TagUpdate.Match.key("ß"), TagUpdate.Match.key("ENV")).applyTo(current));
    List<Tag> eight = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      eight.add(Tag.of("k" + i, ""));
    }
    assertEquals(10, TagUpdate.create(Tag.of("x", ""), Tag.of("y", "")).applyTo(eight).size());
    field("tags", () -> TagUpdate.create(Tag.of("x", ""), Tag.of("y", ""), Tag.of("z", "")).applyTo(eight));
    // in any state: a Deleting backup's tags change in place, one version later
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(available("p", "b").build());
    clock.advance(Duration.ofSeconds(1));
    catalog.apply("p", "b", 1, Transition.delete());
    Backup tagged = catalog.updateTags("p", "b", 2, TagUpdate.create(Tag.of("Env", "x")));
    assertEquals(BackupStatus.DELETING, tagged.status());
    assertEquals(3, tagged.version());
    assertEquals(Optional.of(Progress.of(0, NOW.plusSeconds(1))), tagged.progress());
  }

  /** IllegalTransitionException: "The message says the state, the refused transition and what the state allows", in the README's form, for each state. */
  @Test
  void refusalMessagesSayStateTransitionAndWhatIsAllowed() {
    Backup available = available("p", "b-1").build();
    Backup error = Lifecycle.fail(Lifecycle.restore(available, NOW), "x", NOW);
    assertTrue(assertThrows(IllegalTransitionException.class, () -> Lifecycle.restore(error, NOW)).getMessage()
        .matches("backup b-1 is Error: restore is refused.*; Error allows delete"));
    assertTrue(assertThrows(IllegalTransitionException.class, () -> Lifecycle.complete(available, NOW)).getMessage()
        .matches("backup b-1 is Available: complete is refused.*; Available allows restore, delete"));
    Backup restoring = Lifecycle.restore(available, NOW);
    assertTrue(assertThrows(IllegalTransitionException.class, () -> Lifecycle.delete(restoring, NOW)).getMessage()
        .matches("backup b-1 is Restoring: delete is refused.*; Restoring allows progress, complete, fail"));
    Backup deleting = Lifecycle.delete(available, NOW);
    assertTrue(assertThrows(IllegalTransitionException.class, () -> Lifecycle.delete(deleting, NOW)).getMessage()
        .matches("backup b-1 is Deleting: delete is refused.*; Deleting allows progress, complete, fail"));
    Backup enhanced = available("p", "b-2").type(BackupType.ENHANCED).build();
    assertTrue(assertThrows(IllegalTransitionException.class, () -> Lifecycle.reportProgress(enhanced, 5, NOW)).getMessage()
        .matches("backup b-2 is Available: progress is refused.*; Available allows restore, instant restore, delete"));
  }

  /** UsageQuery: a restricted report "is summed over the predicate's matches when asked": stalled jobs by the catalog's clock and rule, at the threshold and just past it. */
  @Test
  void usageOfStalledJobsFollowsTheCatalogsClock() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.builder().clock(clock).stallRule(StallRule.ofThreshold(Duration.ofMinutes(10))).build();
    Server web = Server.of("web", "ecs-web", "az");
    catalog.add(sized("p", "done", web, NOW.minusSeconds(1), 4096));
    catalog.add(Backup.builder().id("job").name("bk_job").projectId("p").server(web).status(BackupStatus.CREATING)
        .progress(Progress.of(0, NOW)).sizeMb(0).createdAt(NOW).build());
    catalog.add(Backup.builder().id("err").name("bk_err").projectId("p").server(Server.of("db", "ecs-db", "az"))
        .status(BackupStatus.ERROR).failure(Failure.of(JobType.BACKUP, "x", NOW)).sizeMb(2048).createdAt(NOW).build());
    UsageQuery stalled = UsageQuery.of(Predicates.stalled(), 0, 10);
    clock.advance(Duration.ofMinutes(10));
    assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage("p", stalled));
    clock.advance(Duration.ofNanos(1));
    assertEquals(new UsageReport(1, 0, 1, List.of(new ServerUsage("web", "ecs-web", 1, 0))), catalog.usage("p", stalled));
    assertEquals(new UsageReport(3, 6144, 2, List.of(new ServerUsage("web", "ecs-web", 2, 4096), new ServerUsage("db", "ecs-db", 1, 2048))),
        catalog.usage("p", UsageQuery.firstServers(10)));
    assertEquals(new UsageReport(1, 2048, 1, List.of(new ServerUsage("db", "ecs-db", 1, 2048))),
        catalog.usage("p", UsageQuery.of(Predicates.status(BackupStatus.ERROR), 0, 10)));
    Backup job = catalog.get("p", "job");
    catalog.apply("p", "job", job.version(), Transition.reportProgress(20));
    assertEquals(new UsageReport(0, 0, 0, List.of()), catalog.usage("p", stalled));
  }

  /** Backup equality covers the raw status: a queued and a running Creating backup differ; equal values have equal hashes. */
  @Test
  void backupEqualityCoversTheRawStatus() {
    Backup running = creating("p", "b");
    Backup queued = running.toBuilder().apiStatus(ApiStatus.WAITING_PROTECT).build();
    assertNotEquals(running, queued);
    assertEquals(queued, running.toBuilder().apiStatus(ApiStatus.WAITING_PROTECT).build());
    assertEquals(queued.hashCode(), running.toBuilder().apiStatus(ApiStatus.WAITING_PROTECT).build().hashCode());
    assertEquals(running, queued.toBuilder().apiStatus(ApiStatus.PROTECTING).build());
    assertNotEquals(available("p", "b").description("").build(), available("p", "b").build());
    assertNotEquals(available("p", "b").createdAt(NOW.plusNanos(1)).updatedAt(NOW.plusNanos(1)).build(), available("p", "b").build());
  }

  /** Transition: "what a catalog applies to a stored backup": the catalog's result equals the Lifecycle function at the catalog's clock. */
  @Test
  void aCatalogAppliesTheLifecycleAtItsClock() {
    FakeClock clock = FakeClock.at(NOW);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Backup stored = available("p", "b").type(BackupType.ENHANCED).addTags(Tag.of("env", "prod")).build();
    catalog.add(stored);
    clock.advance(Duration.ofMinutes(5));
    Backup restoring = catalog.apply("p", "b", 1, Transition.instantRestore()).orElseThrow();
    assertEquals(Lifecycle.instantRestore(stored, clock.instant()), restoring);
    clock.advance(Duration.ofMinutes(5));
    Backup progressed = catalog.apply("p", "b", 2, Transition.reportProgress(60)).orElseThrow();
    assertEquals(Lifecycle.reportProgress(restoring, 60, clock.instant()), progressed);
    assertEquals(progressed, catalog.apply("p", "b", 3, Transition.reportProgress(60)).orElseThrow());  // the same percentage
    assertEquals(3, catalog.get("p", "b").version());
    clock.advance(Duration.ofMinutes(5));
    Backup failed = catalog.apply("p", "b", 3, Transition.fail("target disk detached")).orElseThrow();
    assertEquals(Lifecycle.fail(progressed, "target disk detached", clock.instant()), failed);
    assertEquals(Optional.empty(), catalog.apply("p", "b", 4, Transition.delete()).flatMap(
        deleting -> catalog.apply("p", "b", deleting.version(), Transition.complete())));
    assertEquals(Optional.empty(), catalog.find("p", "b"));
  }

  /** Catalogs.Builder: "each may be set once" ("IllegalStateException if the clock was set already"); the stall rule drives the stalled search. */
  @Test
  void catalogOptionsAreSetOnce() {
    Catalogs.Builder builder = Catalogs.builder().clock(FakeClock.at(NOW)).stallRule(StallRule.DEFAULT);
    assertThrows(IllegalStateException.class, () -> builder.clock(FakeClock.at(NOW)));
    assertThrows(IllegalStateException.class, () -> builder.stallRule(StallRule.DEFAULT));
    BackupCatalog catalog = builder.build();
    catalog.add(creating("p", "job"));
    assertEquals(0, catalog.count("p", Predicates.stalled()));
  }

  // ================================================================ where the docs were wrong or silent (now said)

  /** The actual behaviour beside CsbsError's claim that a change "from a subscriber" is a programming error. */
  @Test
  void aSubscriberMayChangeTheCatalogCsbsErrorAgrees() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    List<Optional<Backup>> results = new ArrayList<>();
    catalog.subscribe(change -> {
      if (change.sequence() == 1) {
        results.add(catalog.apply("p", "b", 1, Transition.delete()));
      }
    });
    catalog.add(available("p", "b").build());
    assertEquals(1, results.size());
    assertEquals(BackupStatus.DELETING, results.get(0).orElseThrow().status());
  }

  /** QuotaExceededException: "capacities below 1 GB are given in MB, larger ones in GB with the exact MB beside" versus "(limit 100 GB)". */
  @Test
  void theQuotaLimitIsInWholeGb() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.setQuota("p", Quota.of(Quota.UNLIMITED, 0));
    assertEquals("quota backup_capacity of project p (limit 0 GB) is exceeded: used 0 MB, asked 5 MB more",
        assertThrows(QuotaExceededException.class, () -> catalog.add(sized("p", "a", GGAO, NOW, 5))).getMessage());
    catalog.setQuota("p", Quota.of(Quota.UNLIMITED, 2));
    catalog.add(sized("p", "b", GGAO, NOW, 2048));
    assertEquals("quota backup_capacity of project p (limit 2 GB) is exceeded: used 2.00 GB (2048 MB), asked 1 MB more",
        assertThrows(QuotaExceededException.class, () -> catalog.add(sized("p", "c", GGAO, NOW, 1))).getMessage());
  }

  /** A project already beyond its capacity quota (lowered by setQuota) and a backup of 0 MB. */
  @Test
  void aZeroMbBackupOnAProjectAlreadyBeyondItsCapacityIsRefused() {
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(sized("p", "a", GGAO, NOW, 3000));
    catalog.setQuota("p", Quota.of(Quota.UNLIMITED, 1));
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> catalog.add(sized("p", "zero", GGAO, NOW, 0)));
    assertEquals("quota backup_capacity of project p (limit 1 GB) is exceeded: used 2.93 GB (3000 MB), asked 0 MB more",
        e.getMessage());
    catalog.addAll(List.of());  // an empty batch is not refused
  }

  /** Tag: "surrounding spaces are trimmed": which spaces. */
  @Test
  void tagsTrimWhiteSpaceButNotNoBreakSpaces() {
    assertEquals(Tag.of("env", "v"), Tag.of("\u3000env\u3000", "v"));
    assertEquals(Tag.of("env", "v"), Tag.of("\tenv\n", "v"));
    field("tag key", () -> Tag.of("\u00A0env", "v"));
    field("tag value", () -> Tag.of("env", "prod\u00A0"));
  }

  /** "greatest id" and "by server id": in which order of text. */
  @Test
  void idsAndTagsCompareAsUtf16Strings() {
    String fullwidthA = "\uFF21";
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.add(sized("p", "id-" + fullwidthA, Server.of("srv", "name-FF21", "z"), NOW, 5));
    catalog.add(sized("p", "id-" + BOLD_A, Server.of("srv", "name-1D400", "z"), NOW, 5));
    catalog.add(sized("p", "q1", Server.of("sv-" + fullwidthA, "x", "z"), NOW, 7));
    catalog.add(sized("p", "q2", Server.of("sv-" + BOLD_A, "y", "z"), NOW, 7));
    List<ServerUsage> expected = List.of(new ServerUsage("srv", "name-FF21", 2, 10), new ServerUsage("sv-" + BOLD_A, "y", 1, 7),
        new ServerUsage("sv-" + fullwidthA, "x", 1, 7));
    assertEquals(expected, catalog.usage("p", UsageQuery.firstServers(10)).servers());
    assertEquals(expected, catalog.usage("p", UsageQuery.of(Predicates.not(Predicates.none()), 0, 10)).servers());
    assertTrue(Tag.of(BOLD_A, "").compareTo(Tag.of(fullwidthA, "")) < 0);
  }

  /** A backup at the last version, Long.MAX_VALUE, which the builder accepts ("at least 1"). */
  @Test
  void theLastVersionCannotChange() {
    Backup last = available("p", "b").version(Long.MAX_VALUE).build();
    InvalidValueException e = field("version", () -> Lifecycle.restore(last, NOW));
    assertTrue(e.getMessage().startsWith("version 9223372036854775807 is invalid"), e.getMessage());
    assertTrue(e.getMessage().contains("cannot change again"), e.getMessage());
    field("version", () -> TagUpdate.create(Tag.of("a", "b")).applyTo(last, NOW));
  }

  /** "letters of any script": words of scripts written with combining marks, and decomposed accents. */
  @Test
  void combiningMarksAreNotLetters() {
    field("tag key", () -> Tag.of("नाम", "v"));
    field("tag value", () -> Tag.of("k", "ชื่อ"));
    field("tag value", () -> Tag.of("k", "cafe\u0301"));
    field("name", () -> available("p", "b").name("cafe\u0301").build());
    assertEquals("café", Tag.of("k", "caf\u00E9").value());
    assertEquals("日本", Tag.of("k", "日本").value());
  }
}
