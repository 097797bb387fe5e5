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
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectStats;
import io.csbs.catalog.VersionConflictException;
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
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A new user's black-box reading of the value types, the lifecycle, space usage and quotas, and the
 * catalog's stats, against README.md and the public javadoc of csbs-core. Each test names the
 * promise it checks. The five that found bugs (the stall rule's overflow near Instant.MIN or with a
 * huge threshold, lengths counted in chars rather than letters, Backup.Builder's toString) now check
 * the fixed behaviour.
 */
class NewUserValuesTest {
  static final Instant T0 = Instant.parse("2031-02-28T23:59:59.999999999Z");
  static final Server ZEUS = Server.of("srv-Ζεύς", "ゼウス-web", "eu-de-01");

  /** An Available backup's copy builder: each field may be set once more on it (Backup#toBuilder). */
  static Backup.Builder base(String project, String id) {
    return Backup.builder().id("seed").name("n_seed").projectId("seed").server(ZEUS)
        .status(BackupStatus.AVAILABLE).sizeMb(7).createdAt(T0).build().toBuilder().id(id).projectId(project);
  }

  static Backup avail(String project, String id, Server server, Instant created, long size) {
    return Backup.builder().id(id).name("bk-" + id.replaceAll("[^A-Za-z0-9_-]", "_")).projectId(project)
        .server(server).status(BackupStatus.AVAILABLE).sizeMb(size).createdAt(created).build();
  }

  static InvalidValueException field(String expected, Executable action) {
    InvalidValueException e = assertThrows(InvalidValueException.class, action);
    assertEquals(expected, e.field(), e.getMessage());
    assertTrue(e.getMessage().startsWith(expected + " "), e.getMessage());
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
    return e;
  }

  // ---------------------------------------------------------------- InvalidValueException, ErrorCode

  /** InvalidValueException class doc: "The message names the field ..., the rejected value and the rule" (quoted text). */
  @Test
  void invalidValueMessageIsFieldQuotedValueAndRule() {
    InvalidValueException e = new InvalidValueException("widget", "a b", "must be fine");
    assertEquals("widget 'a b' is invalid: must be fine", e.getMessage());
    assertEquals("widget", e.field());
    assertEquals("must be fine", e.rule());
    assertEquals("widget 42 is invalid: must be fine", new InvalidValueException("widget", 42L, "must be fine").getMessage());
    assertEquals("widget null is invalid: must be fine", new InvalidValueException("widget", null, "must be fine").getMessage());
    assertTrue(e instanceof IllegalArgumentException);
  }

  /** InvalidValueException#renamed: "a new exception of the same value and rule, with this one as its cause". */
  @Test
  void renamedKeepsValueAndRuleAndHasTheOriginalAsCause() {
    InvalidValueException original = assertThrows(InvalidValueException.class, () -> Tag.of("env", "prod env"));
    InvalidValueException renamed = original.renamed("checkpoint_item.tags[1].value");
    assertEquals("checkpoint_item.tags[1].value", renamed.field());
    assertEquals(original.rule(), renamed.rule());
    assertSame(original, renamed.getCause());
    assertEquals("checkpoint_item.tags[1].value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-'",
        renamed.getMessage());
    assertEquals(ErrorCode.INVALID_VALUE, renamed.code());
  }

  /** InvalidValueException: "the rejected value as the message shows it (quoted if text, shortened if long)". */
  @Test
  void aLongRejectedValueIsShortenedInTheMessage() {
    String id = "x".repeat(500);
    InvalidValueException e = field("id", () -> base("p", id).build());
    assertTrue(e.getMessage().length() < 300, e.getMessage());
    assertTrue(e.getMessage().contains("x".repeat(80)), e.getMessage());
  }

  /** ErrorCode#code(): "the CSBS API's code where it has one ..., else CSBS.LIB. and the constant's name". */
  @Test
  void errorCodesAreTheApisOrLibPlusName() {
    Map<ErrorCode, String> api = Map.of(ErrorCode.INVALID_VALUE, "CSBS.9001", ErrorCode.BACKUP_BUSY, "CSBS.2003",
        ErrorCode.BACKUP_NOT_FOUND, "CSBS.3001", ErrorCode.QUOTA_EXCEEDED, "CSBS.9006");
    for (ErrorCode code : ErrorCode.values()) {
      assertEquals(api.getOrDefault(code, "CSBS.LIB." + code.name()), code.code(), code.name());
    }
    assertEquals(9, ErrorCode.values().length);
  }

  /** CsbsError: every refusal "implements this interface, while keeping the JDK supertype it always had". */
  @Test
  void refusalsAreCsbsErrorsWithTheirJdkSupertypes() {
    CsbsError notFound = new BackupNotFoundException("p", "b");
    assertTrue(notFound instanceof java.util.NoSuchElementException);
    assertEquals(ErrorCode.BACKUP_NOT_FOUND, notFound.code());
    DuplicateBackupException dup = new DuplicateBackupException("p", "b");
    assertTrue(dup instanceof IllegalStateException);
    assertEquals(ErrorCode.DUPLICATE_BACKUP, dup.code());
    VersionConflictException conflict = new VersionConflictException("b", 1, 2);
    assertTrue(conflict instanceof IllegalStateException);
    assertEquals(ErrorCode.VERSION_CONFLICT, conflict.code());
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    c.setQuota("p", Quota.of(0, Quota.UNLIMITED));
    QuotaExceededException q = assertThrows(QuotaExceededException.class, () -> c.add(base("p", "b").build()));
    assertTrue(q instanceof IllegalStateException);
    assertEquals(ErrorCode.QUOTA_EXCEEDED, ((CsbsError) q).code());
  }

  // ---------------------------------------------------------------- Tag

  /** Tag: "the key is 1 to 36 and the value 0 to 43 letters, digits, _ or -" (letters of any script). */
  @Test
  void tagLengthBoundariesAndScripts() {
    assertEquals("k".repeat(36), Tag.of("k".repeat(36), "").key());
    assertEquals("", Tag.of("k", "").value());
    assertEquals("в".repeat(43), Tag.of("ключ", "в".repeat(43)).value());
    field("tag key", () -> Tag.of("k".repeat(37), "v"));
    field("tag value", () -> Tag.of("k", "v".repeat(44)));
    field("tag key", () -> Tag.of("", "v"));
    field("tag key", () -> Tag.of("   ", "v"));
    field("tag key", () -> Tag.of("a.b", "v"));
    field("tag value", () -> Tag.of("k", "a/b"));
    assertEquals(Tag.of("名前_1-x", "值"), Tag.of("名前_1-x", "值"));
  }

  /** Tag: "the key is 1 to 36 ... letters": a letter outside the BMP is one letter, so 36 of them are a valid key. */
  @Test
  void tagKeyOf36SupplementaryLettersIsAccepted() {
    String bold = new String(Character.toChars(0x1D400));  // MATHEMATICAL BOLD CAPITAL A, a letter
    assertTrue(Character.isLetter(0x1D400));
    assertEquals(bold.repeat(36), Tag.of(bold.repeat(36), "v").key());
  }

  /** Tag: "surrounding spaces are trimmed" and toString "key=value". */
  @Test
  void tagTrimsAndPrintsKeyEqualsValue() {
    Tag t = Tag.of("  env\t", "  prod ");
    assertEquals("env", t.key());
    assertEquals("prod", t.value());
    assertEquals("env=prod", t.toString());
    assertEquals(Tag.of("env", "prod"), t);
    assertEquals(Tag.of("env", "prod").hashCode(), t.hashCode());
    assertEquals("env", Tag.checkKey("  env "));
    assertEquals("", Tag.checkValue("   "));
  }

  /** Tag#compareTo: "Orders by key, then value." */
  @Test
  void tagsOrderByKeyThenValue() {
    List<Tag> tags = new ArrayList<>(List.of(Tag.of("b", "1"), Tag.of("a", "z"), Tag.of("a", ""), Tag.of("B", "0")));
    java.util.Collections.sort(tags);
    assertEquals(List.of(Tag.of("B", "0"), Tag.of("a", ""), Tag.of("a", "z"), Tag.of("b", "1")), tags);
  }

  // ---------------------------------------------------------------- Server, Progress, Failure, FailCode

  /** Server: id and zone "non-blank, at most 64 chars", name "non-blank, at most 255 chars", resource type default. */
  @Test
  void serverRules() {
    Server s = Server.of("i".repeat(64), "n".repeat(255), "z".repeat(64));
    assertEquals(Server.NOVA_SERVER, s.resourceType());
    assertEquals("OS::Nova::Server", s.resourceType());
    field("server id", () -> Server.of("i".repeat(65), "n", "z"));
    field("server id", () -> Server.of(" \t", "n", "z"));
    field("server name", () -> Server.of("i", "n".repeat(256), "z"));
    field("server name", () -> Server.of("i", "  ", "z"));
    field("availability zone", () -> Server.of("i", "n", "z".repeat(65)));
    field("availability zone", () -> Server.of("i", "n", ""));
    Server other = Server.builder().id("i").name("n").availabilityZone("z").resourceType("OS::Cinder::Volume").build();
    assertEquals("OS::Cinder::Volume", other.resourceType());
    assertNotEquals(Server.of("i", "n", "z"), other);
    assertEquals(Server.of("i", "n", "z"), Server.builder().id("i").name("n").availabilityZone("z").build());
    assertThrows(IllegalStateException.class, () -> Server.builder().id("i").name("n").build());
  }

  /** Progress#of: "InvalidValueException naming progress unless percent is 0 to 100"; toString "40% since ...". */
  @Test
  void progressRangeAndText() {
    assertEquals(0, Progress.of(0, Instant.MIN).percent());
    assertEquals(100, Progress.of(100, Instant.MAX).percent());
    field("progress", () -> Progress.of(-1, T0));
    field("progress", () -> Progress.of(101, T0));
    field("progress", () -> Progress.of(Integer.MIN_VALUE, T0));
    assertEquals("40% since 2026-11-24T10:15:00Z", Progress.of(40, Instant.parse("2026-11-24T10:15:00Z")).toString());
    assertEquals(Progress.of(40, T0), Progress.of(40, T0));
    assertNotEquals(Progress.of(40, T0), Progress.of(40, T0.plusNanos(1)));
  }

  /** Failure: reason "non-blank, at most 1024 chars", naming "failure reason"; toString documented. */
  @Test
  void failureRulesAndText() {
    assertEquals(1024, Failure.of(JobType.DELETE, "r".repeat(1024), T0).reason().length());
    field("failure reason", () -> Failure.of(JobType.DELETE, "r".repeat(1025), T0));
    field("failure reason", () -> Failure.of(JobType.BACKUP, " \n ", T0));
    field("failure reason", () -> Failure.of(JobType.BACKUP, "", T0));
    assertEquals("restore failed at 2026-11-24T10:15:00Z: target disk detached",
        Failure.of(JobType.RESTORE, "target disk detached", Instant.parse("2026-11-24T10:15:00Z")).toString());
  }

  /** FailCode: "description; may be empty, at most 1024 chars", naming "fail_code description". */
  @Test
  void failCodeDescription() {
    assertEquals("", new FailCode(-5, "").description());
    assertEquals(1024, new FailCode(Long.MAX_VALUE, "d".repeat(1024)).description().length());
    field("fail_code description", () -> new FailCode(64003, "d".repeat(1025)));
    assertEquals(new FailCode(64003, "x"), new FailCode(64003, "x"));
  }

  // ---------------------------------------------------------------- VmMetadata, BackupDetails

  /** VmMetadata: texts "at most 64 chars", numbers "0 or more", each naming the field as the API names it. */
  @Test
  void vmMetadataRulesNameTheApiFields() {
    VmMetadata.Builder ok = VmMetadata.builder();
    ok.regionName("r".repeat(64)).cloudServiceType("c".repeat(64)).imageType("i".repeat(64)).eip("e".repeat(64))
        .privateIp("p".repeat(64)).diskGb(Integer.MAX_VALUE).ramMb(0).vcpus(1);
    assertEquals(Integer.MAX_VALUE, ok.build().diskGb());
    field("__openstack_region_name", () -> VmMetadata.builder().regionName("r".repeat(65)).build());
    field("cloudservicetype", () -> VmMetadata.builder().cloudServiceType("c".repeat(65)).build());
    field("imagetype", () -> VmMetadata.builder().imageType("i".repeat(65)).build());
    field("eip", () -> VmMetadata.builder().eip("e".repeat(65)).build());
    field("private_ip", () -> VmMetadata.builder().privateIp("p".repeat(65)).build());
    field("disk", () -> VmMetadata.builder().diskGb(-1).build());
    field("ram", () -> VmMetadata.builder().ramMb(-1).build());
    field("vcpus", () -> VmMetadata.builder().vcpus(Integer.MIN_VALUE).build());
  }

  /** VmMetadata.Builder#build: "NONE itself when nothing is set"; NONE has "empty texts and zeros". */
  @Test
  void vmMetadataBuilderOfNothingIsNone() {
    assertSame(VmMetadata.NONE, VmMetadata.builder().build());
    assertSame(VmMetadata.NONE, VmMetadata.builder().ramMb(8).ramMb(0).eip("x").eip("").build());
    assertEquals(new VmMetadata("", "", 0, "", 0, 0, "", ""), VmMetadata.NONE);
    VmMetadata vm = VmMetadata.builder().ramMb(8192).vcpus(4).build();
    assertEquals(vm, vm.toBuilder().build());
    assertEquals(16, vm.toBuilder().vcpus(16).build().vcpus());
    assertEquals(8192, vm.toBuilder().vcpus(16).build().ramMb());
  }

  /** BackupDetails: checkpoint id "non-blank, at most 64 chars", ratio "0 to 100", speed "0 or more", named as the API names them. */
  @Test
  void backupDetailsRules() {
    field("checkpoint_id", () -> BackupDetails.builder().checkpointId(" ").build());
    field("checkpoint_id", () -> BackupDetails.builder().checkpointId("c".repeat(65)).build());
    field("space_saving_ratio", () -> BackupDetails.builder().spaceSavingRatio(101).build());
    field("space_saving_ratio", () -> BackupDetails.builder().spaceSavingRatio(-1).build());
    field("average_speed", () -> BackupDetails.builder().averageSpeedKbps(-1).build());
    BackupDetails d = BackupDetails.builder().checkpointId("c".repeat(64)).spaceSavingRatio(100)
        .averageSpeedKbps(Long.MAX_VALUE).copyStatus(CopyStatus.FAIL).restoreMode(RestoreMode.NA).incremental(true)
        .failCode(new FailCode(64003, "The disk is detached.")).build();
    assertEquals(d, d.toBuilder().build());
    assertEquals(Optional.of(new FailCode(64003, "The disk is detached.")), d.failCode());
  }

  /** BackupDetails#NONE: "no checkpoint id, VmMetadata.NONE, full, restorable from backup, not copied"; builder of nothing is NONE. */
  @Test
  void backupDetailsNoneAndBuilderIdentity() {
    BackupDetails none = BackupDetails.NONE;
    assertEquals(Optional.empty(), none.checkpointId());
    assertSame(VmMetadata.NONE, none.vm());
    assertFalse(none.incremental());
    assertEquals(RestoreMode.BACKUP, none.restoreMode());
    assertEquals(CopyStatus.NA, none.copyStatus());
    assertEquals(Optional.empty(), none.failCode());
    assertSame(BackupDetails.NONE, BackupDetails.builder().build());
    assertSame(BackupDetails.NONE, BackupDetails.builder().spaceSavingRatio(37).spaceSavingRatio(0).build());
    assertSame(BackupDetails.NONE, base("p", "b").build().details());
  }

  /** CopyStatus/RestoreMode/ApiStatus/TagUpdate.Action#parse: the API's lower-case names, refusals naming the documented field. */
  @Test
  void apiEnumerationsParseTheirLowerCaseNamesOnly() {
    for (CopyStatus s : CopyStatus.values()) {
      assertEquals(s, CopyStatus.parse(s.apiName()));
    }
    assertEquals("waiting_copy", CopyStatus.WAITING_COPY.apiName());
    field("copy_status", () -> CopyStatus.parse("SUCCESS"));
    field("copy_status", () -> CopyStatus.parse(""));
    for (RestoreMode m : RestoreMode.values()) {
      assertEquals(m, RestoreMode.parse(m.apiName()));
    }
    field("supported_restore_mode", () -> RestoreMode.parse("Backup"));
    field("status", () -> ApiStatus.parse("paused"));
    field("status", () -> ApiStatus.parse("WAITING_PROTECT"));
    field("status", () -> ApiStatus.parse(" available"));
    assertEquals(TagUpdate.Action.DELETE, TagUpdate.Action.parse("delete"));
    field("action", () -> TagUpdate.Action.parse("Delete"));
  }

  /** ApiStatus: "The nine raw statuses of the CSBS API and the state each one maps to"; of(state) is the running form. */
  @Test
  void apiStatusMapsToTheDocumentedStates() {
    assertEquals(9, ApiStatus.values().length);
    assertEquals(Optional.of(BackupStatus.CREATING), ApiStatus.parse("waiting_protect").state());
    assertEquals(Optional.of(BackupStatus.CREATING), ApiStatus.parse("protecting").state());
    assertEquals(Optional.of(BackupStatus.RESTORING), ApiStatus.parse("waiting_restore").state());
    assertEquals(Optional.of(BackupStatus.DELETING), ApiStatus.parse("waiting_delete").state());
    assertEquals(Optional.of(BackupStatus.ERROR), ApiStatus.parse("error").state());
    assertEquals(Optional.empty(), ApiStatus.parse("deleted").state());
    assertEquals(ApiStatus.PROTECTING, ApiStatus.of(BackupStatus.CREATING));
    assertEquals(ApiStatus.RESTORING, ApiStatus.of(BackupStatus.RESTORING));
    assertEquals(ApiStatus.DELETING, ApiStatus.of(BackupStatus.DELETING));
    assertEquals(ApiStatus.AVAILABLE, ApiStatus.of(BackupStatus.AVAILABLE));
    assertEquals(ApiStatus.ERROR, ApiStatus.of(BackupStatus.ERROR));
    for (ApiStatus s : ApiStatus.values()) {
      assertEquals(s.name().startsWith("WAITING_"), s.isQueued(), s.name());
      assertEquals(s.apiName(), s.toString());
    }
  }

  /** BackupStatus/Operation/JobType/BackupType: the documented examples and names. */
  @Test
  void statusOperationsAndNames() {
    assertEquals(Set.of(Operation.DELETE), BackupStatus.ERROR.allowedOperations(BackupType.ENHANCED));
    assertEquals(List.of(Operation.RESTORE, Operation.INSTANT_RESTORE, Operation.DELETE),
        List.copyOf(BackupStatus.AVAILABLE.allowedOperations(BackupType.ENHANCED)));
    assertEquals(List.of(Operation.RESTORE, Operation.DELETE), List.copyOf(BackupStatus.AVAILABLE.allowedOperations(BackupType.COMMON)));
    for (BackupStatus s : List.of(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING)) {
      assertTrue(s.isIntermediate());
      assertFalse(s.isStable());
      assertEquals(Set.of(), s.allowedOperations(BackupType.ENHANCED));
      assertEquals(s, BackupStatus.of(s.job().orElseThrow()));
    }
    assertTrue(BackupStatus.AVAILABLE.isStable() && BackupStatus.ERROR.isStable());
    assertEquals(Optional.empty(), BackupStatus.ERROR.job());
    assertEquals(Optional.of(JobType.RESTORE), BackupStatus.RESTORING.job());
    assertEquals("Available", BackupStatus.AVAILABLE.toString());
    assertEquals("Deleting", BackupStatus.DELETING.toString());
    assertEquals("instant restore", Operation.INSTANT_RESTORE.toString());
    assertEquals(JobType.RESTORE, Operation.INSTANT_RESTORE.job());
    assertEquals(JobType.DELETE, Operation.DELETE.job());
    assertTrue(BackupType.ENHANCED.supportsInstantRestore());
    assertFalse(BackupType.COMMON.supportsInstantRestore());
    assertThrows(UnsupportedOperationException.class, () -> BackupStatus.AVAILABLE.allowedOperations(BackupType.COMMON).clear());
  }

  // ---------------------------------------------------------------- Backup

  /** Backup: id/project id "non-blank, at most 64 chars"; description "at most 255 chars"; policy id only on automatic, non-blank, at most 64. */
  @Test
  void backupTextRules() {
    assertEquals("i".repeat(64), base("p", "i".repeat(64)).build().id());
    assertEquals("p".repeat(64), base("p".repeat(64), "b").build().projectId());
    field("project id", () -> base("p".repeat(65), "b").build());
    field("id", () -> base("p", "\u2003").build());
    assertEquals(Optional.of(""), base("p", "b").description("").build().description());
    assertEquals(255, base("p", "b").description("d".repeat(255)).build().description().get().length());
    field("description", () -> base("p", "b").description("d".repeat(256)).build());
    Backup auto = base("p", "b").trigger(BackupTrigger.AUTOMATIC).policyId("q".repeat(64)).build();
    assertEquals(Optional.of("q".repeat(64)), auto.policyId());
    field("policy id", () -> base("p", "b").trigger(BackupTrigger.AUTOMATIC).policyId("q".repeat(65)).build());
    field("policy id", () -> base("p", "b").trigger(BackupTrigger.AUTOMATIC).policyId("  ").build());
    field("name", () -> base("p", "b").name("").build());
    assertEquals("Ünïcödé_名前-ß", Backup.builder().id("b").name("Ünïcödé_名前-ß").projectId("p").server(ZEUS)
        .status(BackupStatus.AVAILABLE).sizeMb(0).createdAt(T0).build().name());
  }

  /** Backup: defaults "Common (the default)", "Manual (the default)", version "1 by default", updatedAt "createdAt by default", apiStatus "running form". */
  @Test
  void backupDefaults() {
    Backup b = base("p", "b").build();
    assertEquals(BackupType.COMMON, b.type());
    assertEquals(BackupTrigger.MANUAL, b.trigger());
    assertEquals(1, b.version());
    assertEquals(T0, b.updatedAt());
    assertEquals(ApiStatus.AVAILABLE, b.apiStatus());
    assertEquals(Optional.empty(), b.finishedAt());
    assertEquals(Optional.empty(), b.failure());
    assertEquals(Optional.empty(), b.progress());
    assertEquals(List.of(), b.tags());
    Backup creating = base("p", "c").status(BackupStatus.CREATING).progress(Progress.of(3, T0)).build();
    assertEquals(ApiStatus.PROTECTING, creating.apiStatus());
  }

  /** Backup sizeMb: "0 to MAX_SIZE_MB"; times at Instant.MIN/MAX are valid; "times that do not precede its creation". */
  @Test
  void backupSizeAndTimeBoundaries() {
    assertEquals(Backup.MAX_SIZE_MB, base("p", "b").sizeMb(Backup.MAX_SIZE_MB).build().sizeMb());
    assertEquals(1L << 30, Backup.MAX_SIZE_MB);
    field("size", () -> base("p", "b").sizeMb(Long.MIN_VALUE).build());
    field("size", () -> base("p", "b").sizeMb(Long.MAX_VALUE).build());
    Backup ancient = Backup.builder().id("b").name("n").projectId("p").server(ZEUS).status(BackupStatus.AVAILABLE)
        .sizeMb(0).createdAt(Instant.MIN).updatedAt(Instant.MAX).finishedAt(Instant.MIN).build();
    assertEquals(Instant.MIN, ancient.createdAt());
    field("finished at", () -> base("p", "b").finishedAt(T0.minusNanos(1)).build());
    field("updated at", () -> Backup.builder().id("b").name("n").projectId("p").server(ZEUS).status(BackupStatus.AVAILABLE)
        .sizeMb(0).createdAt(Instant.MAX).updatedAt(Instant.MIN).build());
    field("version", () -> base("p", "b").version(0).build());
    field("version", () -> base("p", "b").version(Long.MIN_VALUE).build());
    assertEquals(Long.MAX_VALUE, base("p", "b").version(Long.MAX_VALUE).build().version());
  }

  /** Backup: "a progress exactly while its state is intermediate, a failure whenever it is in Error" (and failure kept only while an Error backup is deleted). */
  @Test
  void backupStateWholeness() {
    field("progress", () -> base("p", "b").progress(Progress.of(0, T0)).build());
    field("progress", () -> base("p", "b").status(BackupStatus.ERROR).failure(Failure.of(JobType.BACKUP, "x", T0))
        .progress(Progress.of(10, T0)).build());
    field("progress", () -> base("p", "b").status(BackupStatus.RESTORING).build());
    field("failure", () -> base("p", "b").failure(Failure.of(JobType.BACKUP, "x", T0)).build());
    field("failure", () -> base("p", "b").status(BackupStatus.RESTORING).progress(Progress.of(0, T0))
        .failure(Failure.of(JobType.BACKUP, "x", T0)).build());
    Backup deletingError = base("p", "b").status(BackupStatus.DELETING).progress(Progress.of(0, T0))
        .failure(Failure.of(JobType.RESTORE, "x", T0)).build();
    assertTrue(deletingError.failure().isPresent());
  }

  /** Backup#apiStatus: "It always maps to status()"; "never DELETED"; Builder#apiStatus "must map to the state". */
  @Test
  void backupApiStatusMustMapToTheState() {
    field("api status", () -> base("p", "b").apiStatus(ApiStatus.DELETED).build());
    field("api status", () -> base("p", "b").apiStatus(ApiStatus.PROTECTING).build());
    field("api status", () -> base("p", "b").status(BackupStatus.DELETING).progress(Progress.of(0, T0))
        .apiStatus(ApiStatus.WAITING_RESTORE).build());
    Backup queued = base("p", "b").status(BackupStatus.RESTORING).progress(Progress.of(0, T0))
        .apiStatus(ApiStatus.WAITING_RESTORE).build();
    assertEquals(ApiStatus.WAITING_RESTORE, queued.apiStatus());
  }

  /** Backup.Builder: "Each field is set once", "on a builder from toBuilder(), each field may be set once more"; tags replaced "once, before adding any". */
  @Test
  void builderSetsEachFieldOnceAndCopiesOnceMore() {
    assertThrows(IllegalStateException.class, () -> Backup.builder().sizeMb(1).sizeMb(2));
    assertThrows(IllegalStateException.class, () -> Backup.builder().version(2).version(2));
    assertThrows(IllegalStateException.class, () -> Backup.builder().description("a").description(Optional.empty()));
    assertThrows(IllegalStateException.class, () -> Backup.builder().details(BackupDetails.NONE).details(BackupDetails.NONE));
    assertThrows(IllegalStateException.class, () -> Backup.builder().addTags(Tag.of("a", "b")).tags(List.of()));
    assertThrows(IllegalStateException.class, () -> Backup.builder().tags(List.of()).tags(List.of()));
    Backup b = base("p", "b").addTags(Tag.of("a", "1")).build();
    Backup renamed = b.toBuilder().name("weekly_db").build();
    assertEquals("weekly_db", renamed.name());
    assertEquals(b.version(), renamed.version());
    assertEquals(b.tags(), renamed.tags());
    assertThrows(IllegalStateException.class, () -> b.toBuilder().name("x").name("y"));
    assertEquals(List.of(), b.toBuilder().tags(List.of()).build().tags());
    assertEquals(List.of(Tag.of("a", "1"), Tag.of("c", "3")), b.toBuilder().addTags(Tag.of("c", "3")).build().tags());
    assertEquals(b, b.toBuilder().build());
  }

  /** Backup.Builder: "Null is refused with a NullPointerException naming the parameter"; build() "IllegalStateException naming the required fields that were not set". */
  @Test
  void builderNullsAndMissingFields() {
    NullPointerException npe = assertThrows(NullPointerException.class, () -> Backup.builder().name(null));
    assertEquals("name", npe.getMessage());
    assertEquals("createdAt", assertThrows(NullPointerException.class, () -> Backup.builder().createdAt(null)).getMessage());
    IllegalStateException missing = assertThrows(IllegalStateException.class,
        () -> Backup.builder().id("b").projectId("p").build());
    assertTrue(missing.getMessage().contains("name") && missing.getMessage().contains("server")
        && missing.getMessage().contains("status") && missing.getMessage().contains("sizeMb")
        && missing.getMessage().contains("createdAt"), missing.getMessage());
    assertFalse(missing.getMessage().contains("projectId"), missing.getMessage());
    assertThrows(NullPointerException.class, () -> Backup.builder().addTags(Tag.of("a", "b"), null));
  }

  /** Backup#toBuilder: a copy whose state is changed takes "the new state's running form" (apiStatus javadoc: "by default it is the state's running form"). */
  @Test
  void toBuilderWithAnotherStateTakesItsRunningForm() {
    Backup queued = base("p", "b").status(BackupStatus.CREATING).progress(Progress.of(0, T0))
        .apiStatus(ApiStatus.WAITING_PROTECT).build();
    Backup same = queued.toBuilder().name("other").build();
    assertEquals(ApiStatus.WAITING_PROTECT, same.apiStatus());
    Backup done = queued.toBuilder().status(BackupStatus.AVAILABLE).progress(Optional.empty()).build();
    assertEquals(ApiStatus.AVAILABLE, done.apiStatus());
  }

  /** Backup: "at most 10 tags with unique keys, in the order given"; tagValue compares the key exactly. */
  @Test
  void backupTagsOrderAndLookups() {
    List<Tag> ten = new ArrayList<>();
    for (int i = 9; i >= 0; i--) {
      ten.add(Tag.of("k" + i, "v" + i));
    }
    Backup b = base("p", "b").tags(ten).build();
    assertEquals(ten, b.tags());
    assertEquals(Optional.of("v3"), b.tagValue("k3"));
    assertEquals(Optional.empty(), b.tagValue("K3"));
    assertEquals(Optional.empty(), b.tagValue(" k3"));
    assertThrows(UnsupportedOperationException.class, () -> b.tags().add(Tag.of("x", "y")));
    field("tags", () -> b.toBuilder().addTags(Tag.of("k10", "v")).build());
    field("tags", () -> base("p", "b").addTags(Tag.of("k", "1")).addAllTags(List.of(Tag.of(" k ", "2"))).build());
  }

  /** Backup#allowedOperations/allows: by state and type, "Instant Restore ... enhanced only". */
  @Test
  void backupAllowsByStateAndType() {
    Backup enhanced = base("p", "b").type(BackupType.ENHANCED).build();
    assertTrue(enhanced.allows(Operation.INSTANT_RESTORE));
    assertFalse(base("p", "b").build().allows(Operation.INSTANT_RESTORE));
    Backup error = base("p", "e").status(BackupStatus.ERROR).failure(Failure.of(JobType.BACKUP, "x", T0)).build();
    assertEquals(Set.of(Operation.DELETE), error.allowedOperations());
    assertFalse(error.allows(Operation.RESTORE));
  }

  /** Backup#toString: "A short form for logs: id, name, state, progress and version." */
  @Test
  void backupToStringIsShort() {
    Backup b = base("p", "b-1").name("autobk_a61d").build();
    assertEquals("Backup{b-1 autobk_a61d Available v1}", b.toString());
    Backup r = Lifecycle.reportProgress(Lifecycle.restore(b, T0), 40, T0.plusSeconds(1));
    assertEquals("Backup{b-1 autobk_a61d Restoring 40% v3}", r.toString());
  }

  /** Backup: "an immutable, validated record": equal fields are equal values; any field differing makes them differ. */
  @Test
  void backupEquality() {
    Backup a = base("p", "b").addTags(Tag.of("k", "v")).build();
    Backup b = base("p", "b").addTags(Tag.of(" k", "v ")).build();
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, a.toBuilder().version(2).build());
    assertNotEquals(a, a.toBuilder().details(BackupDetails.builder().incremental(true).build()).build());
    assertNotEquals(a, a.toBuilder().updatedAt(T0.plusNanos(1)).build());
    assertNotEquals(a, a.toBuilder().projectId("q").build());
  }

  /** Backup#nextVersion: "one version later, with everything else kept"; "the times must not precede the creation". */
  @Test
  void nextVersionKeepsEverythingElse() {
    Backup a = base("p", "b").type(BackupType.ENHANCED).addTags(Tag.of("k", "v")).description("d")
        .details(BackupDetails.builder().incremental(true).build()).finishedAt(T0).build();
    Instant now = T0.plusSeconds(5);
    Backup deleting = a.nextVersion(BackupStatus.DELETING, Optional.of(Progress.of(0, now)), Optional.empty(), now, a.finishedAt());
    assertEquals(2, deleting.version());
    assertEquals(ApiStatus.DELETING, deleting.apiStatus());
    assertEquals(a.details(), deleting.details());
    assertEquals(a.tags(), deleting.tags());
    assertEquals(a.description(), deleting.description());
    assertEquals(now, deleting.updatedAt());
    field("progress", () -> a.nextVersion(BackupStatus.DELETING, Optional.empty(), Optional.empty(), now, Optional.empty()));
    field("updated at", () -> a.nextVersion(BackupStatus.AVAILABLE, Optional.empty(), Optional.empty(), T0.minusNanos(1), Optional.empty()));
  }

  /** Backup.Builder#toString: "Backup.Builder{id=b-1, status=Available, ...}: the fields that have a value". */
  @Test
  void builderToStringShowsTheFieldsThatHaveAValue() {
    String text = Backup.builder().id("b-1").status(BackupStatus.AVAILABLE).sizeMb(5).toString();
    assertTrue(text.startsWith("Backup.Builder{id=b-1, status=Available"), text);
    assertFalse(text.contains("null"), text);
    assertTrue(text.contains("5"), text);
  }

  // ---------------------------------------------------------------- TagUpdate

  /** TagUpdate#create: "a tag whose key the backup has replaces that tag's value in place, the others are added after". */
  @Test
  void tagUpdateCreateReplacesInPlaceAndAppends() {
    List<Tag> current = List.of(Tag.of("a", "1"), Tag.of("b", "2"), Tag.of("c", "3"));
    assertEquals(List.of(Tag.of("a", "1"), Tag.of("b", "9"), Tag.of("c", "3"), Tag.of("d", "4")),
        TagUpdate.create(Tag.of("d", "4"), Tag.of("b", "9")).applyTo(current));
    assertSame(current, TagUpdate.create(Tag.of("b", "2")).applyTo(current));
    assertSame(current, TagUpdate.delete(TagUpdate.Match.key("zz")).applyTo(current));
  }

  /** TagUpdate#delete: "a match without a value removes the tag with its key, one with a value only a tag with that key and value"; keys "unchecked otherwise". */
  @Test
  void tagUpdateDeleteMatches() {
    List<Tag> current = List.of(Tag.of("a", "1"), Tag.of("b", "2"), Tag.of("c", "3"));
    assertEquals(List.of(Tag.of("b", "2"), Tag.of("c", "3")),
        TagUpdate.delete(TagUpdate.Match.key(" a "), TagUpdate.Match.of("b", "x")).applyTo(current));
    assertEquals(List.of(Tag.of("a", "1"), Tag.of("c", "3")), TagUpdate.delete(TagUpdate.Match.of("b", " 2 ")).applyTo(current));
    TagUpdate odd = TagUpdate.delete(TagUpdate.Match.key("a b/c"), TagUpdate.Match.key("a b/c"), TagUpdate.Match.of("k", "v".repeat(255)));
    assertEquals(3, odd.matches().size());
    field("tag value", () -> TagUpdate.Match.of("k", "v".repeat(256)));
  }

  /** TagUpdate#create: "1 to 10 tags", naming tags; applyTo: "naming tags if a creation would leave more than 10". */
  @Test
  void tagUpdateLimits() {
    List<Tag> eleven = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      eleven.add(Tag.of("t" + i, ""));
    }
    field("tags", () -> TagUpdate.create(eleven));
    TagUpdate ten = TagUpdate.create(eleven.subList(0, 10));
    assertEquals(10, ten.applyTo(List.of()).size());
    field("tags", () -> ten.applyTo(List.of(Tag.of("other", "x"))));
    assertEquals(10, ten.applyTo(List.of(Tag.of("t0", "x"))).size());
  }

  /** TagUpdate#toString: "create [env=prod, owner=alice] or delete [owner, env=staging]"; equal updates are equal. */
  @Test
  void tagUpdateTextAndEquality() {
    assertEquals("create [env=prod, owner=alice]", TagUpdate.create(Tag.of("env", "prod"), Tag.of("owner", "alice")).toString());
    assertEquals("delete [owner, env=staging]",
        TagUpdate.delete(TagUpdate.Match.key("owner"), TagUpdate.Match.of("env", "staging")).toString());
    assertEquals(TagUpdate.create(Tag.of("env", "prod")), TagUpdate.create(List.of(Tag.of(" env", "prod"))));
    assertEquals(TagUpdate.create(Tag.of("env", "prod")).hashCode(), TagUpdate.create(List.of(Tag.of(" env", "prod"))).hashCode());
    assertNotEquals(TagUpdate.create(Tag.of("a", "1"), Tag.of("b", "2")), TagUpdate.create(Tag.of("b", "2"), Tag.of("a", "1")));
    assertEquals(TagUpdate.Action.CREATE, TagUpdate.create(Tag.of("a", "1")).action());
    assertEquals(List.of(), TagUpdate.create(Tag.of("a", "1")).matches());
    assertEquals(List.of(), TagUpdate.delete(TagUpdate.Match.key("a")).tags());
  }

  /** TagUpdate#applyTo(Backup, now): "one version later, updated at now"; "backup itself if its tags do not change". */
  @Test
  void tagUpdateOnABackup() {
    Backup b = base("p", "b").addTags(Tag.of("a", "1")).build();
    Backup next = TagUpdate.create(Tag.of("a", "2")).applyTo(b, T0.plusSeconds(9));
    assertEquals(2, next.version());
    assertEquals(T0.plusSeconds(9), next.updatedAt());
    assertEquals(List.of(Tag.of("a", "2")), next.tags());
    assertSame(b, TagUpdate.create(Tag.of("a", "1")).applyTo(b, T0.minusSeconds(1)));
    assertEquals(List.of(Tag.of("a", "1")), b.tags());
  }

  // ---------------------------------------------------------------- Lifecycle

  /** Lifecycle: "returns the next backup with version + 1 and updatedAt = now ...; the input is never changed"; an operation enters the intermediate state "with progress 0". */
  @Test
  void startsEnterTheIntermediateStateWithProgressZero() {
    Backup a = base("p", "b").type(BackupType.ENHANCED).version(41).build();
    Instant now = T0.plus(Duration.ofDays(400));
    for (Operation op : Operation.values()) {
      Backup next = Lifecycle.start(a, op, now);
      assertEquals(BackupStatus.of(op.job()), next.status());
      assertEquals(Optional.of(Progress.of(0, now)), next.progress());
      assertEquals(42, next.version());
      assertEquals(now, next.updatedAt());
      assertEquals(ApiStatus.of(next.status()), next.apiStatus());
      assertEquals(next, Transition.start(op).applyTo(a, now).orElseThrow());
    }
    assertEquals(BackupStatus.AVAILABLE, a.status());
    assertEquals(41, a.version());
  }

  /** Lifecycle#complete: "Creating and Restoring become Available (a completed backup job also sets finishedAt); a completed deletion ... is empty". */
  @Test
  void completeEndsEachJobAsDocumented() {
    Backup creating = base("p", "b").status(BackupStatus.CREATING).progress(Progress.of(0, T0)).build();
    Instant t1 = T0.plusSeconds(100);
    Backup created = Lifecycle.complete(creating, t1).orElseThrow();
    assertEquals(BackupStatus.AVAILABLE, created.status());
    assertEquals(Optional.of(t1), created.finishedAt());
    assertEquals(Optional.empty(), created.progress());
    Instant t2 = t1.plusSeconds(100);
    Backup restored = Lifecycle.complete(Lifecycle.restore(created, t2), t2.plusSeconds(1)).orElseThrow();
    assertEquals(Optional.of(t1), restored.finishedAt());
    assertEquals(4, restored.version());
    assertEquals(Optional.empty(), Lifecycle.complete(Lifecycle.delete(restored, t2.plusSeconds(2)), t2.plusSeconds(3)));
  }

  /** Lifecycle#fail: "the backup goes to Error with a Failure naming the job, the reason and the time" (diagram: Creating, Restoring, Deleting --fail--> Error). */
  @Test
  void failGoesToErrorNamingTheJob() {
    Backup a = base("p", "b").finishedAt(T0).build();
    Instant t = T0.plusSeconds(10);
    for (Operation op : List.of(Operation.RESTORE, Operation.DELETE)) {
      Backup failed = Lifecycle.fail(Lifecycle.start(a, op, t), "disk gone", t.plusSeconds(1));
      assertEquals(BackupStatus.ERROR, failed.status());
      assertEquals(Optional.of(Failure.of(op.job(), "disk gone", t.plusSeconds(1))), failed.failure());
      assertEquals(Optional.empty(), failed.progress());
      assertEquals(Optional.of(T0), failed.finishedAt());
    }
    Backup creating = base("p", "c").status(BackupStatus.CREATING).progress(Progress.of(0, T0)).build();
    Backup failed = Lifecycle.fail(creating, "quota", t);
    assertEquals(JobType.BACKUP, failed.failure().orElseThrow().job());
    field("failure reason", () -> Lifecycle.fail(creating, "  ", t));
    field("failure reason", () -> Transition.fail("").applyTo(creating, t));
  }

  /** Lifecycle#start: "A failure is kept while an Error backup is deleted"; Deleting --complete--> gone, Deleting --fail--> Error. */
  @Test
  void deletingAnErrorBackupKeepsItsFailure() {
    Backup error = base("p", "b").status(BackupStatus.ERROR).failure(Failure.of(JobType.BACKUP, "first", T0)).build();
    Backup deleting = Lifecycle.delete(error, T0.plusSeconds(1));
    assertEquals(error.failure(), deleting.failure());
    Backup halfway = Lifecycle.reportProgress(deleting, 50, T0.plusSeconds(2));
    assertEquals(error.failure(), halfway.failure());
    Backup failedAgain = Lifecycle.fail(halfway, "second", T0.plusSeconds(3));
    assertEquals(Failure.of(JobType.DELETE, "second", T0.plusSeconds(3)), failedAgain.failure().orElseThrow());
  }

  /** Lifecycle#reportProgress: "never goes down within a phase; the same percentage again ... returns backup itself"; naming progress. */
  @Test
  void progressNeverGoesDownAndRepeatsAreNoChange() {
    Backup r = Lifecycle.restore(base("p", "b").build(), T0);
    Backup at30 = Lifecycle.reportProgress(r, 30, T0.plusSeconds(1));
    assertSame(at30, Lifecycle.reportProgress(at30, 30, T0.plusSeconds(500)));
    assertEquals(T0.plusSeconds(1), at30.progress().orElseThrow().changedAt());
    field("progress", () -> Lifecycle.reportProgress(at30, 29, T0.plusSeconds(2)));
    field("progress", () -> Lifecycle.reportProgress(at30, 101, T0.plusSeconds(2)));
    Backup at100 = Lifecycle.reportProgress(at30, 100, T0.plusSeconds(2));
    assertEquals(BackupStatus.RESTORING, at100.status());
    assertEquals(Optional.of(Progress.of(100, T0.plusSeconds(2))), at100.progress());
    assertEquals(Transition.reportProgress(100), Transition.reportProgress(100));
  }

  /** IllegalTransitionException: "the state, the refused transition and what the state allows"; code BACKUP_BUSY while intermediate else TRANSITION_NOT_ALLOWED. */
  @Test
  void refusedTransitionsSayStateAttemptAllowedAndCode() {
    Backup error = base("p", "E-1").status(BackupStatus.ERROR).failure(Failure.of(JobType.BACKUP, "x", T0)).build();
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> Lifecycle.restore(error, T0));
    assertEquals(BackupStatus.ERROR, e.status());
    assertEquals("restore", e.attempted());
    assertEquals(List.of("delete"), e.allowed());
    assertEquals("E-1", e.backupId());
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, e.code());
    IllegalTransitionException common = assertThrows(IllegalTransitionException.class,
        () -> Lifecycle.instantRestore(base("p", "c").build(), T0));
    assertEquals("instant restore", common.attempted());
    assertEquals(List.of("restore", "delete"), common.allowed());
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, common.code());
    for (String attempt : List.of("progress", "complete", "fail")) {
      Transition t = attempt.equals("progress") ? Transition.reportProgress(5)
          : attempt.equals("complete") ? Transition.complete() : Transition.fail("why");
      IllegalTransitionException s = assertThrows(IllegalTransitionException.class, () -> t.applyTo(error, T0));
      assertEquals(attempt, s.attempted());
      assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, s.code());
    }
    Backup deleting = Lifecycle.delete(error, T0);
    for (Operation op : Operation.values()) {
      IllegalTransitionException busy = assertThrows(IllegalTransitionException.class, () -> Lifecycle.start(deleting, op, T0));
      assertEquals(ErrorCode.BACKUP_BUSY, busy.code());
      assertEquals(List.of("progress", "complete", "fail"), busy.allowed());
      assertEquals(op.toString(), busy.attempted());
    }
  }

  /** Lifecycle: "InvalidValueException if now is before the backup's last change" (naming now); now equal to it is fine. */
  @Test
  void everyTransitionRefusesATimeBeforeTheLastChange() {
    Backup a = base("p", "b").updatedAt(T0.plusSeconds(60)).build();
    Instant early = T0.plusSeconds(59);
    field("now", () -> Lifecycle.restore(a, early));
    field("now", () -> Lifecycle.delete(a, early));
    field("now", () -> Lifecycle.instantRestore(a, early));
    Backup r = Lifecycle.restore(a, T0.plusSeconds(60));
    field("now", () -> Lifecycle.reportProgress(r, 10, early));
    field("now", () -> Lifecycle.complete(r, early));
    field("now", () -> Lifecycle.fail(r, "x", early));
    assertEquals(T0.plusSeconds(60), Lifecycle.complete(r, T0.plusSeconds(60)).orElseThrow().updatedAt());
  }

  /** Lifecycle at the end of time: transitions at Instant.MAX and from Instant.MIN are ordinary. */
  @Test
  void transitionsAtTheEndsOfTime() {
    Backup a = Backup.builder().id("b").name("n").projectId("p").server(ZEUS).status(BackupStatus.AVAILABLE).sizeMb(1)
        .createdAt(Instant.MIN).build();
    Backup r = Lifecycle.restore(a, Instant.MIN);
    Backup r2 = Lifecycle.reportProgress(r, 99, Instant.MAX);
    Backup done = Lifecycle.complete(r2, Instant.MAX).orElseThrow();
    assertEquals(Instant.MAX, done.updatedAt());
    assertEquals(4, done.version());
  }

  /** Lifecycle#allowedTransitions: "operations ... when stable, its job's events (progress, complete, fail) when intermediate". */
  @Test
  void allowedTransitionNames() {
    assertEquals(List.of("restore", "instant restore", "delete"),
        Lifecycle.allowedTransitions(base("p", "b").type(BackupType.ENHANCED).build()));
    assertEquals(List.of("restore", "delete"), Lifecycle.allowedTransitions(base("p", "b").build()));
    assertEquals(List.of("progress", "complete", "fail"),
        Lifecycle.allowedTransitions(base("p", "b").status(BackupStatus.CREATING).progress(Progress.of(1, T0)).build()));
  }

  /** Transition: "Equal transitions are equal values"; toString "progress 40%". */
  @Test
  void transitionsAreValues() {
    assertEquals("progress 40%", Transition.reportProgress(40).toString());
    assertEquals("restore", Transition.restore().toString());
    assertEquals("instant restore", Transition.instantRestore().toString());
    assertEquals("delete", Transition.delete().toString());
    assertEquals("complete", Transition.complete().toString());
    assertEquals(Transition.fail("x"), Transition.fail("x"));
    assertEquals(Transition.fail("x").hashCode(), Transition.fail("x").hashCode());
    assertNotEquals(Transition.fail("x"), Transition.fail("y"));
    assertEquals(Transition.restore(), Transition.start(Operation.RESTORE));
    assertEquals(Transition.delete(), Transition.start(Operation.DELETE));
    assertEquals(Transition.instantRestore(), Transition.start(Operation.INSTANT_RESTORE));
    assertEquals(Transition.complete(), Transition.complete());
    Transition bad = Transition.reportProgress(150);  // "checked when applied"
    Backup r = Lifecycle.restore(base("p", "b").build(), T0);
    field("progress", () -> bad.applyTo(r, T0));
  }

  /** Backup#apiStatus: "moves a queued status to the running one with the first progress above 0%" (for restore and delete too). */
  @Test
  void queuedRawStatusesMoveOnTheFirstProgress() {
    Backup waitingDelete = base("p", "b").status(BackupStatus.DELETING).progress(Progress.of(0, T0))
        .apiStatus(ApiStatus.WAITING_DELETE).build();
    assertEquals(ApiStatus.DELETING, Lifecycle.reportProgress(waitingDelete, 1, T0).apiStatus());
    Backup waitingRestore = base("p", "c").status(BackupStatus.RESTORING).progress(Progress.of(0, T0))
        .apiStatus(ApiStatus.WAITING_RESTORE).build();
    assertEquals(ApiStatus.ERROR, Lifecycle.fail(waitingRestore, "x", T0).apiStatus());
    assertEquals(ApiStatus.AVAILABLE, Lifecycle.complete(waitingRestore, T0).orElseThrow().apiStatus());
  }

  // ---------------------------------------------------------------- StallRule

  /** StallRule: "stalled when it is in an intermediate state and its progress has not changed for longer than the threshold; at exactly the threshold it is not yet". */
  @Test
  void stalledStrictlyAfterTheThreshold() {
    StallRule rule = StallRule.ofThreshold(Duration.ofNanos(1_500));
    Backup r = Lifecycle.reportProgress(Lifecycle.restore(base("p", "b").build(), T0), 10, T0.plusSeconds(1));
    Instant changed = T0.plusSeconds(1);
    assertFalse(rule.isStalled(r, changed.plusNanos(1_500)));
    assertTrue(rule.isStalled(r, changed.plusNanos(1_501)));
    assertFalse(rule.isStalled(r, changed.minusSeconds(3600)));  // a judgement before the change
    assertFalse(rule.isStalled(base("p", "a").build(), Instant.MAX));
    assertTrue(rule.isStalled(r, Clock.fixed(Instant.MAX, java.time.ZoneOffset.UTC)));
    assertEquals(changed.plusNanos(1), rule.stalledIfChangedBefore(changed.plusNanos(1_501)));
    assertEquals(Duration.ofMinutes(30), StallRule.DEFAULT.threshold());
    assertEquals(StallRule.DEFAULT, StallRule.ofThreshold(Duration.ofSeconds(1800)));
    field("stall threshold", () -> StallRule.ofThreshold(Duration.ofNanos(-1)));
  }

  /** StallRule#isStalled: a job whose progress changed at Instant.MIN is, a minute later, not stalled (unchanged for 1 minute, not longer than 30). */
  @Test
  void stallNearInstantMinIsJudgedNotThrown() {
    Backup creating = Backup.builder().id("b").name("n").projectId("p").server(ZEUS).status(BackupStatus.CREATING)
        .progress(Progress.of(0, Instant.MIN)).sizeMb(1).createdAt(Instant.MIN).build();
    assertFalse(StallRule.DEFAULT.isStalled(creating, Instant.MIN.plusSeconds(60)));
  }

  /** StallRule: a threshold is valid when "positive"; a huge one means no job is stalled yet, it must not throw. */
  @Test
  void aHugeThresholdStallsNothing() {
    StallRule forever = StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE));
    Backup r = Lifecycle.restore(base("p", "b").build(), T0);
    assertFalse(forever.isStalled(r, T0.plus(Duration.ofDays(365))));
  }

  // ---------------------------------------------------------------- usage

  static final class Expected {
    long backups;
    long size;
    final Map<String, long[]> perServer = new HashMap<>();

    void add(Backup b) {
      backups++;
      size += b.sizeMb();
      long[] t = perServer.computeIfAbsent(b.server().id(), k -> new long[2]);
      t[0]++;
      t[1] += b.sizeMb();
    }

    /** Largest capacity first (ties: more backups first, then by server id). */
    List<String> order() {
      List<String> ids = new ArrayList<>(perServer.keySet());
      ids.sort(Comparator.<String>comparingLong(id -> -perServer.get(id)[1]).thenComparingLong(id -> -perServer.get(id)[0])
          .thenComparing(Comparator.naturalOrder()));
      return ids;
    }
  }

  static BigDecimal gb(long mb) {
    return new BigDecimal(mb).divide(new BigDecimal(1024), 2, RoundingMode.HALF_UP);
  }

  static void assertUsage(Expected e, UsageReport r, long offset, int limit, Map<String, String> names) {
    assertEquals(e.backups, r.backups());
    assertEquals(e.size, r.sizeMb());
    assertEquals(e.perServer.size(), r.serverCount());
    assertEquals(gb(e.size), r.capacityGb());
    List<String> order = e.order();
    List<ServerUsage> page = new ArrayList<>();
    for (long i = offset; i < order.size() && page.size() < limit; i++) {
      String id = order.get((int) i);
      page.add(new ServerUsage(id, names.get(id), e.perServer.get(id)[0], e.perServer.get(id)[1]));
    }
    assertEquals(page, r.servers());
  }

  /** io.csbs.usage: "every state counts (Creating, Available, Restoring, Deleting and Error); a backup whose deletion completed is no longer ... counted". */
  @Test
  void usageCountsEveryStateUntilTheDeletionCompletes() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    Server s = Server.of("s-1", "one", "az");
    c.add(base("p", "creating").server(s).status(BackupStatus.CREATING).progress(Progress.of(0, T0)).sizeMb(0).build());
    c.add(base("p", "error").server(s).status(BackupStatus.ERROR).failure(Failure.of(JobType.BACKUP, "x", T0)).sizeMb(3).build());
    c.add(base("p", "avail").server(s).sizeMb(Backup.MAX_SIZE_MB).build());
    clock.advance(Duration.ofSeconds(1));
    c.apply("p", "avail", 1, Transition.restore());
    c.apply("p", "error", 1, Transition.delete());
    UsageReport r = c.usage("p", UsageQuery.firstServers(5));
    assertEquals(new UsageReport(3, Backup.MAX_SIZE_MB + 3, 1, List.of(new ServerUsage("s-1", "one", 3, Backup.MAX_SIZE_MB + 3))), r);
    assertEquals(new QuotaUsage(Quota.NONE, 3, Backup.MAX_SIZE_MB + 3), c.quotaUsage("p"));
    c.apply("p", "error", 2, Transition.reportProgress(70));
    c.apply("p", "error", 3, Transition.complete());
    assertEquals(new UsageReport(2, Backup.MAX_SIZE_MB, 1, List.of(new ServerUsage("s-1", "one", 2, Backup.MAX_SIZE_MB))),
        c.usage("p", UsageQuery.firstServers(5)));
    c.apply("p", "creating", 1, Transition.fail("no space"));
    assertEquals(2, c.usage("p", UsageQuery.firstServers(5)).backups());
    c.remove("p", "creating", 2);
    c.remove("p", "avail", 2);
    assertEquals(new UsageReport(0, 0, 0, List.of()), c.usage("p", UsageQuery.firstServers(5)));
  }

  /** UsageReport: "a page of its servers, largest capacity first (ties: more backups first, then by server id)", over 1,500 servers and pages of UsageQuery. */
  @Test
  void usageOfManyServersPagesAsDocumented() {
    Random random = new Random(20310228);
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    Expected e = new Expected();
    Map<String, String> names = new HashMap<>();
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 6000; i++) {
      int server = random.nextInt(1500);
      String sid = "srv-" + (server % 3 == 0 ? "Ä" : "a") + server;
      names.put(sid, "名-" + server);
      long size = switch (random.nextInt(5)) {
        case 0 -> 0;
        case 1 -> Backup.MAX_SIZE_MB;
        case 2 -> 1024;
        default -> random.nextInt(3) * 512L;
      };
      Backup b = avail("p", "b" + i, Server.of(sid, "名-" + server, "az-" + (server % 4)), T0.minusSeconds(i % 97), size);
      if (i < 3000) {
        batch.add(b);
      } else {
        c.add(b);
      }
      e.add(b);
    }
    c.addAll(batch);
    for (long offset : new long[] {0, 1, 999, 1499, 1500, 1_000_000, Long.MAX_VALUE}) {
      for (int limit : new int[] {1, 7, 1000}) {
        assertUsage(e, c.usage("p", UsageQuery.of(Predicates.all(), offset, limit)), offset, limit, names);
      }
    }
    // after removals of every backup of some servers and of some backups of others
    Expected after = new Expected();
    for (int i = 0; i < 6000; i++) {
      Backup b = c.get("p", "b" + i);
      if (i % 5 == 0 || b.server().id().endsWith("7")) {
        c.remove("p", b.id(), b.version());
      } else {
        after.add(b);
      }
    }
    for (long offset : new long[] {0, 500}) {
      assertUsage(after, c.usage("p", UsageQuery.of(Predicates.all(), offset, 1000)), offset, 1000, names);
    }
  }

  /** BackupCatalog#usage: "counting the backups that match the query's predicate"; grouped per server as the unrestricted report. */
  @Test
  void restrictedUsageSumsTheMatchesOnly() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      Server s = Server.of("s" + (i % 37), "name" + (i % 37), "az-" + (i % 3));
      Backup b = avail("p", "x" + i, s, T0.minusSeconds(i), (i * 7919L) % 5000);
      all.add(b);
    }
    c.addAll(all);
    clock.advance(Duration.ofSeconds(1));
    for (int i = 0; i < 400; i += 9) {
      c.apply("p", "x" + i, 1, Transition.delete());
    }
    Map<String, String> names = new HashMap<>();
    all.forEach(b -> names.put(b.server().id(), b.server().name()));
    Predicate<Backup> inZone = b -> b.server().availabilityZone().equals("az-1");
    Expected zone = new Expected();
    Expected deleting = new Expected();
    for (Backup b : all) {
      Backup now = c.get("p", b.id());
      if (inZone.test(now)) {
        zone.add(now);
      }
      if (now.status() == BackupStatus.DELETING) {
        deleting.add(now);
      }
    }
    assertUsage(zone, c.usage("p", UsageQuery.of(Predicates.availabilityZone("az-1"), 0, 1000)), 0, 1000, names);
    assertUsage(zone, c.usage("p", UsageQuery.of(Predicates.availabilityZone("az-1"), 3, 4)), 3, 4, names);
    assertUsage(deleting, c.usage("p", UsageQuery.of(Predicates.status(BackupStatus.DELETING), 0, 1000)), 0, 1000, names);
    assertEquals(new UsageReport(0, 0, 0, List.of()), c.usage("p", UsageQuery.of(Predicates.none(), 0, 10)));
    assertEquals(new UsageReport(0, 0, 0, List.of()), c.usage("other", UsageQuery.of(Predicates.availabilityZone("az-1"), 0, 10)));
  }

  /** Usage per project: "nothing of another project is ever returned or counted", including the same server id in two projects. */
  @Test
  void usageAndQuotaUseArePerProject() {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    Server shared = Server.of("shared", "shared", "az");
    c.add(avail("α", "b1", shared, T0, 100));
    c.add(avail("β", "b1", shared, T0, 1));
    c.add(avail("β", "b2", shared, T0, 2));
    assertEquals(new UsageReport(1, 100, 1, List.of(new ServerUsage("shared", "shared", 1, 100))), c.usage("α", UsageQuery.firstServers(10)));
    assertEquals(new UsageReport(2, 3, 1, List.of(new ServerUsage("shared", "shared", 2, 3))), c.usage("β", UsageQuery.firstServers(10)));
    assertEquals(new QuotaUsage(Quota.NONE, 1, 100), c.quotaUsage("α"));
    c.setQuota("α", Quota.of(1, Quota.UNLIMITED));
    c.add(avail("β", "b3", shared, T0, 2));  // β's quota is not α's
    assertThrows(QuotaExceededException.class, () -> c.add(avail("α", "b2", shared, T0, 0)));
  }

  /** Capacity in GB: "MB / 1024, rounded half up to two decimals" (UsageReport, ServerUsage, QuotaUsage). */
  @Test
  void capacitiesRoundHalfUpToTwoDecimals() {
    long[] sizes = {0, 1, 5, 6, 10, 11, 512, 1023, 1024, 1029, 1030, 101_888, Backup.MAX_SIZE_MB, (1L << 61)};
    for (long mb : sizes) {
      assertEquals(gb(mb), new ServerUsage("s", "n", 1, mb).capacityGb(), "MB " + mb);
      assertEquals(gb(mb), new UsageReport(1, mb, 1, List.of()).capacityGb(), "MB " + mb);
      assertEquals(gb(mb), new QuotaUsage(Quota.NONE, 1, mb).capacityUsedGb(), "MB " + mb);
    }
    assertEquals(new BigDecimal("0.01"), new ServerUsage("s", "n", 1, 6).capacityGb());  // 0.00586 up
    assertEquals(new BigDecimal("0.00"), new ServerUsage("s", "n", 1, 5).capacityGb());  // 0.00488 down
    assertEquals(new BigDecimal("99.50"), new ServerUsage("s", "n", 1, 101_888).capacityGb());
    assertThrows(IllegalArgumentException.class, () -> new ServerUsage("s", "n", -1, 0));
    assertThrows(IllegalArgumentException.class, () -> new ServerUsage("s", "n", 0, -1));
  }

  /** A backup's size changed by a replayed change ("change.after() becomes the stored backup ... with everything") is what usage counts afterwards. */
  @Test
  void replayedSizeAndServerChangesMoveTheUsage() {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    Backup v1 = avail("p", "b", Server.of("s1", "one", "az"), T0, 100);
    c.add(v1);
    c.add(avail("p", "c", Server.of("s2", "two", "az"), T0, 50));
    Backup v2 = v1.toBuilder().sizeMb(10).server(Server.of("s2", "two", "az")).version(2).build();
    assertTrue(c.replay(new Change(3, "p", "b", Optional.of(v1), Optional.of(v2), Optional.empty())));
    assertEquals(new UsageReport(2, 60, 1, List.of(new ServerUsage("s2", "two", 2, 60))), c.usage("p", UsageQuery.firstServers(10)));
    assertEquals(new QuotaUsage(Quota.NONE, 2, 60), c.quotaUsage("p"));
  }

  /** ProjectView: "a usage report equals the sum of the sizes a query returns" (the javadoc's example, whatever writers do meanwhile). */
  @Test
  void aViewsUsageEqualsTheSumOfItsQuery() throws Exception {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    for (int i = 0; i < 600; i++) {
      c.add(avail("p", "v" + i, Server.of("s" + (i % 13), "n", "az"), T0.minusMillis(i), (i * 104_729L) % 300_000));
    }
    Thread writer = new Thread(() -> {
      for (int i = 600; i < 900; i++) {
        c.add(avail("p", "v" + i, Server.of("s" + (i % 13), "n", "az"), T0.minusMillis(i), i));
        Backup old = c.get("p", "v" + (i - 600));
        c.remove("p", old.id(), old.version());
      }
    });
    writer.start();
    for (int round = 0; round < 50; round++) {
      long[] check = c.read("p", view -> new long[] {
          view.usage(UsageQuery.firstServers(20)).sizeMb(),
          view.query(io.csbs.query.Query.builder().limit(1000).build()).backups().stream().mapToLong(Backup::sizeMb).sum(),
          view.usage(UsageQuery.firstServers(20)).backups(),
          view.count(Predicates.all()),
          view.quotaUsage().sizeMbUsed()});
      assertEquals(check[0], check[1]);
      assertEquals(check[2], check[3]);
      assertEquals(check[0], check[4]);
    }
    writer.join();
    assertEquals(UsageQuery.of(Predicates.all(), 0, 20), UsageQuery.firstServers(20));
    // a predicate that matches everything, written another way, counts as the unrestricted report
    assertEquals(c.usage("p", UsageQuery.firstServers(1000)),
        c.usage("p", UsageQuery.of(Predicates.not(Predicates.none()), 0, 1000)));
  }

  /** BackupCatalog#replay: "quotas are not checked (the source already decided)". */
  @Test
  void replayIgnoresQuotas() {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    c.setQuota("p", Quota.of(0, 0));
    Backup b = avail("p", "r", ZEUS, T0, 4096);
    assertTrue(c.replay(new Change(1, "p", "r", Optional.empty(), Optional.of(b), Optional.empty())));
    assertEquals(new QuotaUsage(Quota.of(0, 0), 1, 4096), c.quotaUsage("p"));
    assertEquals(OptionalLong.of(0), c.quotaUsage("p").capacityRemainingMb());
  }

  /** A catalog's stall rule judges restricted usage ("counting the backups that match the query's predicate"): with a huge valid threshold nothing is stalled. */
  @Test
  void restrictedUsageByStalledWithAHugeThreshold() {
    BackupCatalog c = Catalogs.builder().clock(FakeClock.at(T0)).stallRule(StallRule.ofThreshold(Duration.ofSeconds(Long.MAX_VALUE))).build();
    c.add(base("p", "b").status(BackupStatus.CREATING).progress(Progress.of(0, T0)).build());
    assertEquals(new UsageReport(0, 0, 0, List.of()), c.usage("p", UsageQuery.of(Predicates.stalled(), 0, 10)));
  }

  /** BackupCatalog#load: "its backups as they are ..., its quota"; usage and quota use then count them (quotas not checked on load). */
  @Test
  void loadedSnapshotIsCountedWithItsQuota() {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    List<Backup> backups = List.of(avail("p", "a", Server.of("s1", "one", "az"), T0, 2048),
        avail("p", "b", Server.of("s2", "two", "az"), T0, 4096), avail("p", "c", Server.of("s2", "two", "az"), T0, 1));
    c.load(new ProjectSnapshot("p", 17, Quota.of(2, 1), backups));
    assertEquals(new QuotaUsage(Quota.of(2, 1), 3, 6145), c.quotaUsage("p"));
    assertEquals(OptionalLong.of(0), c.quotaUsage("p").backupsRemaining());
    assertEquals(OptionalLong.of(0), c.quotaUsage("p").capacityRemainingMb());
    assertEquals(new UsageReport(3, 6145, 2, List.of(new ServerUsage("s2", "two", 2, 4097), new ServerUsage("s1", "one", 1, 2048))),
        c.usage("p", UsageQuery.firstServers(10)));
    assertEquals(3, c.stats("p").backups());
  }

  // ---------------------------------------------------------------- quotas

  /** QuotaExceededException: message names "the project, which quota ..., its limit, the project's use and what was asked"; nothing was added. */
  @Test
  void backupsQuotaRefusesTheNextBackupAndAddsNothing() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    c.setQuota("proj-ü", Quota.of(2, Quota.UNLIMITED));
    c.add(avail("proj-ü", "a", ZEUS, T0, 0));
    c.add(avail("proj-ü", "b", ZEUS, T0, 0));
    long seq = c.sequence("proj-ü");
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> c.add(avail("proj-ü", "c", ZEUS, T0, 0)));
    assertEquals("proj-ü", e.projectId());
    assertEquals("backups", e.quota());
    assertEquals("quota backups of project proj-ü (limit 2 backups) is exceeded: used 2 backups, asked 1 more", e.getMessage());
    assertEquals(Optional.empty(), c.find("proj-ü", "c"));
    assertEquals(seq, c.sequence("proj-ü"));
    assertEquals(2, c.stats("proj-ü").backups());
    assertEquals(OptionalLong.of(0), c.quotaUsage("proj-ü").backupsRemaining());
    // a deletion that completes makes room again
    clock.advance(Duration.ofSeconds(1));
    c.apply("proj-ü", "a", 1, Transition.delete());
    assertThrows(QuotaExceededException.class, () -> c.add(avail("proj-ü", "c", ZEUS, T0, 0)));  // Deleting still counts
    c.apply("proj-ü", "a", 2, Transition.complete());
    c.add(avail("proj-ü", "c", ZEUS, T0, 0));
    assertEquals(OptionalLong.of(0), c.quotaUsage("proj-ü").backupsRemaining());
  }

  /** QuotaExceededException: "capacities below 1 GB are given in MB, larger ones in GB with the exact MB beside". */
  @Test
  void capacityQuotaMessageUnits() {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    c.setQuota("p", Quota.of(Quota.UNLIMITED, 1));
    c.add(avail("p", "a", ZEUS, T0, 1000));
    QuotaExceededException small = assertThrows(QuotaExceededException.class, () -> c.add(avail("p", "b", ZEUS, T0, 25)));
    assertEquals("quota backup_capacity of project p (limit 1 GB) is exceeded: used 1000 MB, asked 25 MB more", small.getMessage());
    assertEquals("backup_capacity", small.quota());
    c.add(avail("p", "b", ZEUS, T0, 24));  // exactly the limit
    QuotaExceededException big = assertThrows(QuotaExceededException.class, () -> c.add(avail("p", "c", ZEUS, T0, 1536)));
    assertEquals("quota backup_capacity of project p (limit 1 GB) is exceeded: used 1.00 GB (1024 MB), asked 1.50 GB (1536 MB) more",
        big.getMessage());
    c.add(avail("p", "zero", ZEUS, T0, 0));  // a backup of 0 MB takes nothing beyond the quota
  }

  /** Quota: "each -1 for unlimited"; capacity "at most MAX_CAPACITY_GB (2^51 GB)"; QuotaUsage remaining "empty when unlimited; 0 when at or over". */
  @Test
  void quotaLimitsAndRemaining() {
    assertEquals(1L << 51, Quota.MAX_CAPACITY_GB);
    assertEquals(new Quota(-1, -1), Quota.NONE);
    Quota max = Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB);
    assertEquals(OptionalLong.of((1L << 61) - 5), new QuotaUsage(max, 1, 5).capacityRemainingMb());
    assertEquals(OptionalLong.of(Long.MAX_VALUE - 1), new QuotaUsage(max, 1, 5).backupsRemaining());
    assertEquals(OptionalLong.empty(), new QuotaUsage(Quota.NONE, 1, 5).backupsRemaining());
    assertEquals(OptionalLong.empty(), new QuotaUsage(Quota.NONE, 1, 5).capacityRemainingMb());
    assertEquals(OptionalLong.of(0), new QuotaUsage(Quota.of(3, 1), 7, 4096).backupsRemaining());
    assertEquals(OptionalLong.of(0), new QuotaUsage(Quota.of(3, 1), 7, 4096).capacityRemainingMb());
    assertEquals(OptionalLong.of(1024 - 100), new QuotaUsage(Quota.of(3, 1), 2, 100).capacityRemainingMb());
    field("backups", () -> Quota.of(Long.MIN_VALUE, 0));
    field("backup_capacity", () -> Quota.of(0, -2));
    assertEquals(0, Quota.of(0, 0).maxBackups());
  }

  /** Quota#checkRoomFor: "compared by subtraction: no sum of the arguments can overflow" (javadoc: throws naming the quota that would be exceeded). */
  @Test
  void checkRoomForAtTheLimitsOfLong() {
    Quota.NONE.checkRoomFor("p", Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
    Quota max = Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB);
    max.checkRoomFor("p", Long.MAX_VALUE - 1, (1L << 61) - 1, 1, 1);
    assertEquals("backups", assertThrows(QuotaExceededException.class,
        () -> max.checkRoomFor("p", Long.MAX_VALUE, 0, 1, 0)).quota());
    assertEquals("backup_capacity", assertThrows(QuotaExceededException.class,
        () -> max.checkRoomFor("p", 0, 1L << 61, 0, 1)).quota());
  }

  /** BackupCatalog#setQuota: "Quota.NONE removes them. Backups already there stay"; quotas apply to new backups only (transitions still work). */
  @Test
  void lowerQuotaKeepsBackupsAndTransitions() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    for (int i = 0; i < 5; i++) {
      c.add(avail("p", "b" + i, ZEUS, T0, 2048));
    }
    c.setQuota("p", Quota.of(1, 1));
    assertEquals(new QuotaUsage(Quota.of(1, 1), 5, 5 * 2048), c.quotaUsage("p"));
    clock.advance(Duration.ofMinutes(1));
    assertEquals(BackupStatus.RESTORING, c.apply("p", "b0", 1, Transition.restore()).orElseThrow().status());
    assertThrows(QuotaExceededException.class, () -> c.add(avail("p", "new", ZEUS, T0, 0)));
    c.setQuota("p", Quota.NONE);
    c.add(avail("p", "new", ZEUS, T0, 0));
    assertEquals(new QuotaUsage(Quota.NONE, 6, 5 * 2048), c.quotaUsage("p"));
  }

  // ---------------------------------------------------------------- stats

  /** BackupCatalog#stats: "a project it does not know reads as empty"; ProjectStats#indexBytesPerBackup "0 for a project without backups". */
  @Test
  void statsOfAnUnknownProjectReadAsEmpty() {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    ProjectStats s = c.stats("never-seen");
    assertEquals("never-seen", s.projectId());
    assertEquals(0, s.backups());
    assertEquals(0, s.reorganisations());
    assertEquals(Duration.ZERO, s.reorganisationTime());
    assertEquals(Duration.ZERO, s.longestReorganisation());
    assertEquals(Duration.ZERO, s.longestSwap());
    assertEquals(Duration.ZERO, s.longestChangeHold());
    assertEquals(0, s.lockWaits());
    assertEquals(Duration.ZERO, s.lockWaitTime());
    assertEquals(0.0, s.indexBytesPerBackup());
    assertThrows(NullPointerException.class, () -> c.stats(null));
  }

  /** ProjectStats#backups: "how many backups the project has", after adds, batches, removals and completed deletions, per project. */
  @Test
  void statsCountTheProjectsBackups() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      batch.add(avail(i % 3 == 0 ? "p" : "q", "b" + i, ZEUS, T0.minusSeconds(i), i));
    }
    c.addAll(batch);
    assertEquals(100, c.stats("p").backups());
    assertEquals(200, c.stats("q").backups());
    clock.advance(Duration.ofSeconds(1));
    c.remove("p", "b0", 1);
    c.apply("p", "b3", 1, Transition.delete());
    assertEquals(99, c.stats("p").backups());  // Deleting is still a backup of the project
    c.apply("p", "b3", 2, Transition.complete());
    assertEquals(98, c.stats("p").backups());
    assertEquals(200, c.stats("q").backups());
    for (int i = 0; i < 300; i += 3) {
      c.find("p", "b" + i).ifPresent(b -> c.remove("p", b.id(), b.version()));
    }
    ProjectStats empty = c.stats("p");
    assertEquals(0, empty.backups());
    assertEquals(0.0, empty.indexBytesPerBackup());
  }

  /** ProjectStats#indexBytesPerBackup is estimatedIndexBytes / backups; estimatedIndexBytes grows with the backups (README: "about 60" bytes a backup at scale). */
  @Test
  void indexBytesEstimateGrowsAndDividesByBackups() {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 50_000; i++) {
      batch.add(avail("p", "bk-" + i, Server.of("s" + (i % 500), "web-" + (i % 500), "az"), T0.minusSeconds(50_000 - i), 1));
    }
    c.addAll(batch.subList(0, 1000));
    ProjectStats small = c.stats("p");
    c.addAll(batch.subList(1000, batch.size()));
    ProjectStats big = c.stats("p");
    assertTrue(big.estimatedIndexBytes() > small.estimatedIndexBytes(), small + " / " + big);
    assertEquals(big.estimatedIndexBytes() / 50_000.0, big.indexBytesPerBackup(), 1e-9);
    assertTrue(big.indexBytesPerBackup() > 10 && big.indexBytesPerBackup() < 600, big.toString());
  }

  /** ProjectStats#longestChangeHold: "by one change (an add, a transition, a removal or a replayed change; not a batch ...)": batches and loads alone leave it zero. */
  @Test
  void batchesAreNotChangeHolds() {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      batch.add(avail("p", "a" + i, ZEUS, T0.minusSeconds(i), 1));
    }
    c.addAll(batch);
    c.load(new ProjectSnapshot("q", 3, Quota.NONE, List.of(avail("q", "x", ZEUS, T0, 1))));
    assertEquals(Duration.ZERO, c.stats("p").longestChangeHold());
    assertEquals(Duration.ZERO, c.stats("q").longestChangeHold());
    assertEquals(20_000, c.stats("p").backups());
  }

  /** ProjectStats: longest hold of the write lock "by one change"; and with no other thread, no read or change "waited for the project's lock". */
  @Test
  void aLoneThreadNeverWaitsAndChangesAreTimed() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    assertEquals(Duration.ZERO, c.stats("p").longestChangeHold());
    for (int i = 0; i < 200; i++) {
      c.add(avail("p", "b" + i, ZEUS, T0, 1));
      c.usage("p", UsageQuery.firstServers(3));
      c.count("p", Predicates.all());
    }
    ProjectStats s = c.stats("p");
    assertEquals(0, s.lockWaits());
    assertEquals(Duration.ZERO, s.lockWaitTime());
    assertTrue(s.longestChangeHold().compareTo(Duration.ZERO) > 0, s.toString());
    assertTrue(s.longestChangeHold().compareTo(Duration.ofSeconds(5)) < 0, s.toString());
  }

  /** ProjectStats#lockWaits: "how many times a read or a change waited for the project's lock", with the time waited; another project's waits are not this one's. */
  @Test
  void aChangeWaitingForAReadIsCounted() throws Exception {
    BackupCatalog c = Catalogs.indexed(FakeClock.at(T0));
    c.add(avail("p", "first", ZEUS, T0, 1));
    CountDownLatch reading = new CountDownLatch(1);
    Thread reader = new Thread(() -> c.read("p", view -> {
      reading.countDown();
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return view.count(Predicates.all());
    }));
    reader.start();
    reading.await();
    long start = System.nanoTime();
    c.add(avail("p", "second", ZEUS, T0, 1));
    long waited = System.nanoTime() - start;
    reader.join();
    ProjectStats s = c.stats("p");
    assertTrue(waited > 100_000_000L, "the add did not wait: " + waited);
    assertTrue(s.lockWaits() >= 1, s.toString());
    assertTrue(s.lockWaitTime().compareTo(Duration.ofMillis(100)) >= 0, s.toString());
    assertTrue(s.lockWaitTime().toNanos() <= waited, s.toString());
    assertEquals(0, c.stats("q").lockWaits());
  }

  /** ProjectStats: reorganisations "how many ... have completed", reorganisationTime "how long they took in all", longestReorganisation "the longest of them". */
  @Test
  void reorganisationsAreCountedAndTimed() throws Exception {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 8000; i++) {
      batch.add(avail("p", "r" + i, Server.of("s" + (i % 50), "n", "az"), T0.minusSeconds(8000 - i), 1));
    }
    c.addAll(batch);
    // a retention job: the oldest removed, far more than the slack and a fraction of the project
    for (int i = 0; i < 6000; i++) {
      c.remove("p", "r" + i, 1);
    }
    // late backups too, for good measure
    for (int i = 0; i < 3000; i++) {
      c.add(avail("p", "late" + i, ZEUS, T0.minus(Duration.ofDays(1)).plusSeconds(i * 7L % 3000), 1));
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    ProjectStats s = c.stats("p");
    while (s.reorganisations() == 0 && System.nanoTime() < deadline) {
      c.count("p", Predicates.nameContains("late1"));
      c.query("p", io.csbs.query.Query.where(Predicates.createdBetween(T0.minus(Duration.ofDays(2)), T0)));
      Thread.sleep(20);
      s = c.stats("p");
    }
    assertTrue(s.reorganisations() >= 1, s.toString());
    assertEquals(5000, s.backups());
    assertTrue(s.longestReorganisation().compareTo(Duration.ZERO) > 0, s.toString());
    assertTrue(s.reorganisationTime().compareTo(s.longestReorganisation()) >= 0, s.toString());
    assertTrue(s.longestReorganisation().compareTo(s.reorganisationTime().dividedBy(s.reorganisations())) >= 0, s.toString());
    // the reorganised project still counts its space as before (io.csbs.usage: every live backup counts)
    UsageReport usage = c.usage("p", UsageQuery.firstServers(1000));
    assertEquals(5000, usage.backups());
    assertEquals(5000, usage.sizeMb());
    assertEquals(51, usage.serverCount());
    assertEquals(new ServerUsage(ZEUS.id(), ZEUS.name(), 3000, 3000), usage.servers().get(0));
    assertEquals(5000, c.quotaUsage("p").backupsUsed());
  }

  /** ProjectStats: "Checks that nothing is null or negative"; "IllegalArgumentException if a count or a duration is negative". */
  @Test
  void projectStatsRefusesNegativesAndNulls() {
    Duration z = Duration.ZERO;
    Duration neg = Duration.ofNanos(-1);
    new ProjectStats("p", 0, 0, 0, z, z, z, z, 0, z);
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", -1, 0, 0, z, z, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, -1, 0, z, z, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, -1, z, z, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, z, z, -1, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, neg, z, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, neg, z, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, neg, z, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, z, neg, 0, z));
    assertThrows(IllegalArgumentException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, z, z, 0, neg));
    assertThrows(NullPointerException.class, () -> new ProjectStats(null, 0, 0, 0, z, z, z, z, 0, z));
    assertThrows(NullPointerException.class, () -> new ProjectStats("p", 0, 0, 0, z, z, z, null, 0, z));
    assertEquals(2.5, new ProjectStats("p", 4, 10, 0, z, z, z, z, 0, z).indexBytesPerBackup());
  }
}
