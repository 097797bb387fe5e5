package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupType;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.Transition;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.query.TimeRange;
import io.csbs.testing.FakeClock;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A new user's review of csbs's error model, from the README and the javadoc of {@link ErrorCode},
 * {@link CsbsError} and every public exception of csbs-core: codes, supertypes, getters, messages,
 * serialisation, and the exception each catalog method throws for each documented cause on {@code
 * Catalogs.indexed}, with the catalog unchanged after the refusal. (csbs-postgres is not on this
 * module's test class path: its two exceptions are left out.)
 */
class NewUserErrorsTest {
  private static final Instant T0 = Instant.parse("2026-05-17T08:30:00Z");
  private static final Server WEB = Server.of("srv-web-\u00e9", "ecs-web", "eu-de-02");
  private static final Server DB = Server.of("srv-db-\u65e5", "ecs-db", "eu-de-01");

  // ------------------------------------------------------------------ helpers

  private static Backup.Builder base(String project, String id, Server server, long sizeMb) {
    return Backup.builder().id(id).name("bk_" + Integer.toHexString(id.hashCode())).projectId(project)
        .server(server).sizeMb(sizeMb).createdAt(T0.minus(Duration.ofDays(2)));
  }

  private static Backup available(String project, String id, long sizeMb) {
    return base(project, id, WEB, sizeMb).status(BackupStatus.AVAILABLE).build();
  }

  private static Backup enhanced(String project, String id) {
    return base(project, id, DB, 10).status(BackupStatus.AVAILABLE).type(BackupType.ENHANCED).build();
  }

  /** A catalog at T0 with a few backups in two projects, one of them in each interesting state. */
  private static final class Fixture {
    final FakeClock clock = FakeClock.at(T0);
    final BackupCatalog catalog = Catalogs.indexed(clock);
    final List<Change> changes = new ArrayList<>();

    Fixture() {
      catalog.add(available("p-\u00fcml\u00e4ut", "avail", 100));
      catalog.add(enhanced("p-\u00fcml\u00e4ut", "enh"));
      catalog.add(base("p-\u00fcml\u00e4ut", "err", WEB, 5).status(BackupStatus.AVAILABLE).build());
      catalog.apply("p-\u00fcml\u00e4ut", "err", 1, Transition.restore());
      catalog.apply("p-\u00fcml\u00e4ut", "err", 2, Transition.fail("disk gone"));
      catalog.add(base("p-\u00fcml\u00e4ut", "creating", DB, 7).status(BackupStatus.CREATING).progress(Progress.of(0, T0.minus(Duration.ofDays(2)))).build());
      catalog.add(available("p-\u00fcml\u00e4ut", "restoring", 9));
      catalog.apply("p-\u00fcml\u00e4ut", "restoring", 1, Transition.restore());
      catalog.add(available("p-\u00fcml\u00e4ut", "deleting", 11));
      catalog.apply("p-\u00fcml\u00e4ut", "deleting", 1, Transition.delete());
      catalog.updateTags("p-\u00fcml\u00e4ut", "avail", 1, TagUpdate.create(Tag.of("env", "prod")));
      catalog.add(available("other", "only-there", 1));
      catalog.subscribe(changes::add);
    }

    String state(String project) {
      return catalog.sequence(project) + "|" + catalog.query(project, Query.all()).backups() + "|"
          + catalog.quotaUsage(project) + "|" + catalog.tagCatalogue(project) + "|"
          + catalog.usage(project, UsageQuery.firstServers(100)) + "|" + catalog.count(project, Predicates.all());
    }

    String all() {
      return state("p-\u00fcml\u00e4ut") + "#" + state("other") + "#"
          + catalog.countAllProjects(Predicates.all()) + "#" + changes;
    }

    /** Runs {@code refused}, expects {@code type}, and checks that nothing changed. */
    <T extends Throwable> T refusedUnchanged(Class<T> type, Executable refused) {
      String before = all();
      T e = assertThrows(type, refused);
      assertEquals(before, all(), "the catalog changed although the change was refused: " + e);
      return e;
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  /** The CsbsError javadoc's edge: catch RuntimeException, keep a CsbsError's code, rethrow the rest. */
  private static String edge(Runnable call) {
    try {
      call.run();
      return "ok";
    } catch (RuntimeException e) {
      if (!(e instanceof CsbsError error)) {
        throw e;
      }
      return error.code().code();
    }
  }

  // ------------------------------------------------------------------ ErrorCode

  @Test
  void errorCodeTableIsTheDocumentedOne() {
    assertEquals(9, ErrorCode.values().length, Arrays.toString(ErrorCode.values()));
    assertEquals("CSBS.9001", ErrorCode.INVALID_VALUE.code());
    assertEquals("CSBS.2003", ErrorCode.BACKUP_BUSY.code());
    assertEquals("CSBS.LIB.TRANSITION_NOT_ALLOWED", ErrorCode.TRANSITION_NOT_ALLOWED.code());
    assertEquals("CSBS.LIB.VERSION_CONFLICT", ErrorCode.VERSION_CONFLICT.code());
    assertEquals("CSBS.3001", ErrorCode.BACKUP_NOT_FOUND.code());
    assertEquals("CSBS.LIB.DUPLICATE_BACKUP", ErrorCode.DUPLICATE_BACKUP.code());
    assertEquals("CSBS.9006", ErrorCode.QUOTA_EXCEEDED.code());
    assertEquals("CSBS.LIB.DATABASE_FAILURE", ErrorCode.DATABASE_FAILURE.code());
    assertEquals("CSBS.LIB.SCHEMA_VERSION_MISMATCH", ErrorCode.SCHEMA_VERSION_MISMATCH.code());
  }

  @Test
  void codesAreUniqueAndEitherTheApisNumberedFormOrLibAndTheConstantsName() {
    Set<String> seen = new HashSet<>();
    for (ErrorCode code : ErrorCode.values()) {
      assertTrue(seen.add(code.code()), "repeated " + code.code());
      String text = code.code();
      assertTrue(text.matches("CSBS\\.\\d{4}") || text.equals("CSBS.LIB." + code.name()), text);
      assertFalse(text.isBlank());
      assertEquals(text.strip(), text);
    }
  }

  @Test
  void theErrorCodeJavadocsSwitchMapsEveryCode() {
    for (ErrorCode code : ErrorCode.values()) {
      int status = switch (code) {
        case BACKUP_NOT_FOUND -> 404;
        case VERSION_CONFLICT, DUPLICATE_BACKUP -> 409;
        case DATABASE_FAILURE, SCHEMA_VERSION_MISMATCH -> 503;
        default -> 400;
      };
      assertTrue(status >= 400, code + " " + status);
    }
  }

  // ------------------------------------------------------------------ InvalidValueException

  @Test
  void readmesTagExampleHasTheDocumentedMessageFieldRuleAndCode() {
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> Tag.of("env", "prod env"));
    assertEquals("tag value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-'", e.getMessage());
    assertEquals("tag value", e.field());
    assertEquals("must be 0 to 43 letters, digits, '_' or '-'", e.rule());
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
    assertInstanceOf(IllegalArgumentException.class, e);
    assertInstanceOf(CsbsError.class, e);
  }

  @Test
  void invalidValueExceptionJavadocsNameExampleHasItsMessage() {
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> Backup.builder().id("b").name("my backup").projectId("p").server(WEB).sizeMb(1).createdAt(T0)
            .status(BackupStatus.AVAILABLE).build());
    assertEquals("name", e.field());
    assertTrue(e.getMessage().startsWith("name 'my backup' is invalid: must be "), e.getMessage());
    assertEquals("name 'my backup' is invalid: " + e.rule(), e.getMessage());
  }

  @Test
  void invalidValueExceptionConstructorKeepsFieldRuleAndNamesTheValue() {
    InvalidValueException text = new InvalidValueException("checkpoint_item.\u540d\u524d", "\u00e9t\u00e9 \uD83D\uDE00",
        "must be a summer");
    assertEquals("checkpoint_item.\u540d\u524d", text.field());
    assertEquals("must be a summer", text.rule());
    assertEquals("checkpoint_item.\u540d\u524d '\u00e9t\u00e9 \uD83D\uDE00' is invalid: must be a summer", text.getMessage());
    assertEquals(ErrorCode.INVALID_VALUE, text.code());

    InvalidValueException number = new InvalidValueException("limit", 0, "must be 1 to 1000");
    assertEquals("limit 0 is invalid: must be 1 to 1000", number.getMessage());
    InvalidValueException none = new InvalidValueException("marker", null, "must be given");
    assertEquals("marker null is invalid: must be given", none.getMessage());
    // "a document's key may be empty, and a reader names it so"
    InvalidValueException empty = new InvalidValueException("", "x", "must be y");
    assertEquals("", empty.field());
    assertTrue(empty.getMessage().contains("'x'") && empty.getMessage().contains("must be y"), empty.getMessage());
    // an empty text value is still shown, quoted
    assertEquals("name '' is invalid: must not be empty",
        new InvalidValueException("name", "", "must not be empty").getMessage());
  }

  @Test
  void invalidValueExceptionRefusesNullFieldAndRuleWithNullPointerExceptions() {
    NullPointerException field = assertThrows(NullPointerException.class, () -> new InvalidValueException(null, "v", "r"));
    assertEquals("field", field.getMessage());
    NullPointerException rule = assertThrows(NullPointerException.class, () -> new InvalidValueException("f", "v", null));
    assertEquals("rule", rule.getMessage());
    InvalidValueException e = new InvalidValueException("f", "v", "r");
    assertThrows(NullPointerException.class, () -> e.renamed(null));
  }

  @Test
  void aLongValueIsShortenedButTheMessageStillNamesFieldAndRuleAndIsValidUnicode() {
    String huge = "\uD83D\uDE00".repeat(5_000);
    InvalidValueException e = new InvalidValueException("description", huge, "must be at most 255 chars");
    assertTrue(e.getMessage().startsWith("description '"), e.getMessage());
    assertTrue(e.getMessage().endsWith(" is invalid: must be at most 255 chars"), e.getMessage());
    assertTrue(e.getMessage().length() < 1000, "not shortened: " + e.getMessage().length());
    String message = e.getMessage();
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (Character.isHighSurrogate(c)) {
        assertTrue(i + 1 < message.length() && Character.isLowSurrogate(message.charAt(i + 1)), "half a pair at " + i);
        i++;
      } else {
        assertFalse(Character.isLowSurrogate(c), "half a pair at " + i);
      }
    }
  }

  @Test
  void renamedKeepsValueAndRuleNamesTheNewFieldAndHasTheOriginalAsCause() {
    InvalidValueException original = assertThrows(InvalidValueException.class, () -> Tag.of("env", "prod env"));
    InvalidValueException renamed = original.renamed("checkpoint_item.tags[1].value");
    assertEquals("checkpoint_item.tags[1].value", renamed.field());
    assertEquals(original.rule(), renamed.rule());
    assertEquals("checkpoint_item.tags[1].value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-'",
        renamed.getMessage());
    assertSame(original, renamed.getCause());
    assertEquals(ErrorCode.INVALID_VALUE, renamed.code());
    InvalidValueException twice = renamed.renamed("body");
    assertSame(renamed, twice.getCause());
    assertEquals("body 'prod env' is invalid: " + original.rule(), twice.getMessage());
    // the original is untouched
    assertEquals("tag value", original.field());
  }

  // ------------------------------------------------------------------ IllegalTransitionException

  @Test
  void readmesCreatingRestoreExampleHasTheDocumentedMessageAndBusyCode() {
    Backup creating = base("p", "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12", WEB, 1).status(BackupStatus.CREATING).progress(Progress.of(0, T0.minus(Duration.ofDays(2)))).build();
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> Lifecycle.restore(creating, T0));
    assertEquals("backup 7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12 is Creating: restore is refused "
        + "(the backup is busy until its backup job ends); Creating allows progress, complete, fail", e.getMessage());
    assertEquals("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12", e.backupId());
    assertEquals(BackupStatus.CREATING, e.status());
    assertEquals("restore", e.attempted());
    assertEquals(List.of("progress", "complete", "fail"), e.allowed());
    assertEquals(ErrorCode.BACKUP_BUSY, e.code());
    assertInstanceOf(IllegalStateException.class, e);
    assertInstanceOf(CsbsError.class, e);
  }

  @Test
  void everyRefusedTransitionOnTheCatalogSaysStateAttemptAllowedAndTheCodeOfItsState() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    List<Transition> all = List.of(Transition.restore(), Transition.instantRestore(), Transition.delete(),
        Transition.reportProgress(100), Transition.complete(), Transition.fail("x"));
    List<String> names = List.of("restore", "instant restore", "delete", "progress", "complete", "fail");
    int refusals = 0;
    for (String id : List.of("avail", "enh", "err", "creating", "restoring", "deleting")) {
      for (int i = 0; i < all.size(); i++) {
        Backup b = f.catalog.get(p, id);
        List<String> allowed = Lifecycle.allowedTransitions(b);
        if (allowed.contains(names.get(i))) {
          continue;
        }
        Transition t = all.get(i);
        IllegalTransitionException e = f.refusedUnchanged(IllegalTransitionException.class,
            () -> f.catalog.apply(p, id, b.version(), t));
        refusals++;
        String where = id + " " + names.get(i) + ": " + e.getMessage();
        assertEquals(id, e.backupId(), where);
        assertEquals(b.status(), e.status(), where);
        assertEquals(names.get(i), e.attempted(), where);
        assertEquals(allowed, e.allowed(), where);
        assertEquals(b.status().isIntermediate() ? ErrorCode.BACKUP_BUSY : ErrorCode.TRANSITION_NOT_ALLOWED, e.code(),
            where);
        assertTrue(e.getMessage().contains(id) && e.getMessage().contains(b.status().toString())
            && e.getMessage().contains(names.get(i)), where);
        assertEquals(e.code().code(), edge(() -> f.catalog.apply(p, id, b.version(), t)));
      }
    }
    assertTrue(refusals >= 20, "refusals " + refusals);
  }

  @Test
  void instantRestoreOfACommonBackupIsNotAllowedRatherThanBusy() {
    Fixture f = new Fixture();
    IllegalTransitionException e = f.refusedUnchanged(IllegalTransitionException.class,
        () -> f.catalog.apply("p-\u00fcml\u00e4ut", "avail", 2, Transition.instantRestore()));
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, e.code());
    assertEquals("instant restore", e.attempted());
    assertEquals(List.of("restore", "delete"), e.allowed());
    IllegalTransitionException error = f.refusedUnchanged(IllegalTransitionException.class,
        () -> f.catalog.apply("p-\u00fcml\u00e4ut", "err", 3, Transition.restore()));
    assertEquals(ErrorCode.TRANSITION_NOT_ALLOWED, error.code());
    assertEquals(List.of("delete"), error.allowed());
  }

  @Test
  void allowedIsUnmodifiable() {
    Backup creating = base("p", "c", WEB, 1).status(BackupStatus.CREATING).progress(Progress.of(0, T0.minus(Duration.ofDays(2)))).build();
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> Lifecycle.delete(creating, T0));
    assertThrows(UnsupportedOperationException.class, () -> e.allowed().add("restore"));
  }

  // ------------------------------------------------------------------ BackupNotFoundException

  @Test
  void backupNotFoundExceptionHasTheDocumentedMessageGettersAndCode() {
    BackupNotFoundException e = new BackupNotFoundException("project-1", "no-such-id");
    assertEquals("backup no-such-id not found in project project-1", e.getMessage());
    assertEquals("project-1", e.projectId());
    assertEquals("no-such-id", e.backupId());
    assertEquals(ErrorCode.BACKUP_NOT_FOUND, e.code());
    assertInstanceOf(NoSuchElementException.class, e);
    assertThrows(NullPointerException.class, () -> new BackupNotFoundException(null, "x"));
    assertThrows(NullPointerException.class, () -> new BackupNotFoundException("p", null));
  }

  @Test
  void unknownIdsAndOtherProjectsBackupsAreNotFoundOnEveryMethodNamingProjectAndId() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    for (String id : List.of("only-there", "nope", "AVAIL", "avail ", "\uD83D\uDE00", "x".repeat(64))) {
      List<Executable> calls = List.of(
          () -> f.catalog.get(p, id),
          () -> f.catalog.apply(p, id, 1, Transition.delete()),
          () -> f.catalog.apply(p, id, 1, Transition.reportProgress(5)),
          () -> f.catalog.remove(p, id, 1),
          () -> f.catalog.updateTags(p, id, 1, TagUpdate.create(Tag.of("k", "v"))));
      for (Executable call : calls) {
        BackupNotFoundException e = f.refusedUnchanged(BackupNotFoundException.class, call);
        assertEquals(p, e.projectId(), id);
        assertEquals(id, e.backupId(), id);
        assertEquals("backup " + id + " not found in project " + p, e.getMessage());
        assertEquals(ErrorCode.BACKUP_NOT_FOUND, e.code());
      }
      assertEquals(Optional.empty(), f.catalog.find(p, id));
    }
  }

  @Test
  void theUnknownIdIsReportedWhateverTheVersionGiven() {
    // "the backup exists in the project, its version is the expected one, then the transition"
    Fixture f = new Fixture();
    for (long v : new long[] {Long.MIN_VALUE, -1, 0, 1, 2, Long.MAX_VALUE}) {
      f.refusedUnchanged(BackupNotFoundException.class, () -> f.catalog.apply("other", "avail", v, Transition.restore()));
      f.refusedUnchanged(BackupNotFoundException.class, () -> f.catalog.remove("other", "avail", v));
    }
  }

  // ------------------------------------------------------------------ VersionConflictException

  @Test
  void versionConflictExceptionKeepsItsVersionsAndRefusesEqualOnes() {
    VersionConflictException e = new VersionConflictException("b-\u00e9", 3, 5);
    assertEquals("b-\u00e9", e.backupId());
    assertEquals(3, e.expectedVersion());
    assertEquals(5, e.currentVersion());
    assertEquals(ErrorCode.VERSION_CONFLICT, e.code());
    assertInstanceOf(IllegalStateException.class, e);
    assertTrue(e.getMessage().contains("b-\u00e9"), e.getMessage());
    VersionConflictException unknown = new VersionConflictException("b", Long.MIN_VALUE, -1);
    assertEquals(-1, unknown.currentVersion());
    assertEquals(Long.MIN_VALUE, unknown.expectedVersion());
    assertTrue(unknown.getMessage().startsWith("backup b was changed (its version is not known), the change was based on version "),
        unknown.getMessage());
    IllegalArgumentException equal = assertThrows(IllegalArgumentException.class,
        () -> new VersionConflictException("b", 4, 4));
    assertFalse(equal instanceof CsbsError);
    assertThrows(NullPointerException.class, () -> new VersionConflictException(null, 1, 2));
  }

  @Test
  void aStaleOrFutureVersionIsAConflictNamingBothVersionsOnEveryChange() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    long current = f.catalog.get(p, "avail").version();
    assertEquals(2, current);
    for (long v : new long[] {Long.MIN_VALUE, -1, 0, 1, 3, 99, Long.MAX_VALUE}) {
      List<Executable> calls = List.of(
          () -> f.catalog.apply(p, "avail", v, Transition.restore()),
          () -> f.catalog.remove(p, "avail", v),
          () -> f.catalog.updateTags(p, "avail", v, TagUpdate.create(Tag.of("team", "\u00e9quipe"))));
      for (Executable call : calls) {
        VersionConflictException e = f.refusedUnchanged(VersionConflictException.class, call);
        assertEquals("avail", e.backupId());
        assertEquals(v, e.expectedVersion());
        assertEquals(current, e.currentVersion());
        assertTrue(e.getMessage().contains(Long.toString(v)) && e.getMessage().contains(Long.toString(current)),
            e.getMessage());
        assertEquals("CSBS.LIB.VERSION_CONFLICT", edge(() -> {
          try {
            call.execute();
          } catch (RuntimeException r) {
            throw r;
          } catch (Throwable t) {
            throw new AssertionError(t);
          }
        }));
      }
    }
  }

  @Test
  void aVersionConflictComesBeforeTheLifecycleRefusal() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    // Error backup at version 3: restore is refused by its state, but the version is checked first
    VersionConflictException e = f.refusedUnchanged(VersionConflictException.class,
        () -> f.catalog.apply(p, "err", 1, Transition.restore()));
    assertEquals(3, e.currentVersion());
    // a progress out of range on a stale version
    f.refusedUnchanged(VersionConflictException.class, () -> f.catalog.apply(p, "restoring", 1, Transition.reportProgress(101)));
    // a blank failure reason on a stale version
    f.refusedUnchanged(VersionConflictException.class, () -> f.catalog.apply(p, "creating", 7, Transition.fail(" ")));
  }

  @Test
  void aStaleVersionIsAConflictEvenWhenTheChangeWouldChangeNothing() {
    // the class javadoc: "A change is checked in this order: the backup exists in the project, its
    // version is the expected one ..., then the transition"
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    f.refusedUnchanged(VersionConflictException.class, () -> f.catalog.apply(p, "restoring", 1, Transition.reportProgress(0)));
    f.refusedUnchanged(VersionConflictException.class,
        () -> f.catalog.updateTags(p, "avail", 1, TagUpdate.create(Tag.of("env", "prod"))));
  }

  // ------------------------------------------------------------------ DuplicateBackupException

  @Test
  void duplicateBackupExceptionConstructorsMessagesAndGetters() {
    DuplicateBackupException exists = new DuplicateBackupException("project-1", "b-1");
    assertEquals("backup b-1 already exists in project project-1", exists.getMessage());
    assertFalse(exists.inBatch());
    DuplicateBackupException batch = new DuplicateBackupException("project-1", "b-2", true);
    assertEquals("backup b-2 repeats in the batch for project project-1", batch.getMessage());
    assertTrue(batch.inBatch());
    assertEquals("project-1", batch.projectId());
    assertEquals("b-2", batch.backupId());
    assertEquals(ErrorCode.DUPLICATE_BACKUP, batch.code());
    assertInstanceOf(IllegalStateException.class, batch);
    assertThrows(NullPointerException.class, () -> new DuplicateBackupException(null, "b"));
    assertThrows(NullPointerException.class, () -> new DuplicateBackupException("p", null, true));
  }

  @Test
  void addingAnExistingIdIsADuplicateNamingProjectAndIdAndChangesNothing() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    DuplicateBackupException e = f.refusedUnchanged(DuplicateBackupException.class,
        () -> f.catalog.add(available(p, "avail", 1)));
    assertEquals(p, e.projectId());
    assertEquals("avail", e.backupId());
    assertFalse(e.inBatch());
    assertEquals("backup avail already exists in project " + p, e.getMessage());
    // another project may use the id
    f.catalog.add(available("third", "avail", 1));
    assertEquals(1, f.catalog.sequence("third"));
  }

  @Test
  void aDuplicateIsCheckedBeforeTheQuota() {
    Fixture f = new Fixture();
    f.catalog.setQuota("other", Quota.of(1, -1));
    // "DuplicateBackupException if the project already has a backup with that id (checked first)"
    f.refusedUnchanged(DuplicateBackupException.class, () -> f.catalog.add(available("other", "only-there", 1)));
    f.refusedUnchanged(QuotaExceededException.class, () -> f.catalog.add(available("other", "new", 1)));
  }

  @Test
  void addAllRefusesTheFirstDuplicateInProjectIdOrderThenGivenOrderAndAddsNothing() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    // project "other" sorts before "p-..."; in "p-...", "avail" (existing) comes before the repeat of "y"
    List<Backup> batch = List.of(available(p, "y", 1), available(p, "avail", 1), available(p, "y", 1),
        available("other", "z", 1), available("other", "z", 1));
    DuplicateBackupException e = f.refusedUnchanged(DuplicateBackupException.class, () -> f.catalog.addAll(batch));
    assertEquals("other", e.projectId());
    assertEquals("z", e.backupId());
    assertTrue(e.inBatch());
    assertEquals("backup z repeats in the batch for project other", e.getMessage());

    List<Backup> second = List.of(available(p, "y", 1), available(p, "avail", 1), available(p, "y", 1));
    DuplicateBackupException e2 = f.refusedUnchanged(DuplicateBackupException.class, () -> f.catalog.addAll(second));
    assertEquals("avail", e2.backupId());
    assertFalse(e2.inBatch());

    List<Backup> third = List.of(available(p, "y", 1), available(p, "y", 1), available(p, "avail", 1));
    DuplicateBackupException e3 = f.refusedUnchanged(DuplicateBackupException.class, () -> f.catalog.addAll(third));
    assertEquals("y", e3.backupId());
    assertTrue(e3.inBatch());
  }

  @Test
  void addAllChecksDuplicatesOfEveryProjectBeforeAnyQuota() {
    Fixture f = new Fixture();
    f.catalog.setQuota("aaa", Quota.of(0, -1));
    // "first that no id exists in its project or repeats in backups ..., then the quotas of every project"
    List<Backup> batch = List.of(available("aaa", "a1", 1), available("zzz", "d", 1), available("zzz", "d", 1));
    DuplicateBackupException e = f.refusedUnchanged(DuplicateBackupException.class, () -> f.catalog.addAll(batch));
    assertEquals("zzz", e.projectId());
  }

  @Test
  void addAllNamesTheFirstProjectOverQuotaInProjectIdOrder() {
    Fixture f = new Fixture();
    String[] projects = {"\uD83D\uDE00-emoji", "\uFFFD-repl", "z-last", "A-first", "a-lower", "\u00e9t\u00e9"};
    for (String project : projects) {
      f.catalog.setQuota(project, Quota.of(0, 0));
    }
    List<Backup> batch = new ArrayList<>();
    for (String project : projects) {
      batch.add(available(project, "b", 1));
    }
    String first = Arrays.stream(projects).sorted().findFirst().orElseThrow();
    QuotaExceededException e = f.refusedUnchanged(QuotaExceededException.class, () -> f.catalog.addAll(batch));
    assertEquals(first, e.projectId());
    assertEquals("backups", e.quota());
  }

  // ------------------------------------------------------------------ QuotaExceededException

  @Test
  void quotaExceededJavadocExampleGivesItsExactMessage() {
    Fixture f = new Fixture();
    f.catalog.setQuota("project-1", Quota.of(-1, 100));
    f.catalog.add(available("project-1", "big", 101_888));
    QuotaExceededException e = f.refusedUnchanged(QuotaExceededException.class,
        () -> f.catalog.add(available("project-1", "more", 600)));
    assertEquals("quota backup_capacity of project project-1 (limit 100 GB) is exceeded: used 99.50 GB (101888 MB), "
        + "asked 600 MB more", e.getMessage());
    assertEquals("project-1", e.projectId());
    assertEquals("backup_capacity", e.quota());
    assertEquals(ErrorCode.QUOTA_EXCEEDED, e.code());
    assertEquals("CSBS.9006", edge(() -> f.catalog.add(available("project-1", "more", 600))));
    assertInstanceOf(IllegalStateException.class, e);
  }

  @Test
  void theBackupsQuotaIsNamedWithItsFiguresAndBeforeTheCapacity() {
    Fixture f = new Fixture();
    String p = "\u30d7\u30ed\u30b8\u30a7\u30af\u30c8";
    f.catalog.setQuota(p, Quota.of(1, 0));
    f.catalog.add(available(p, "zero", 0));   // at capacity 0 with 0 MB: taken
    QuotaExceededException e = f.refusedUnchanged(QuotaExceededException.class, () -> f.catalog.add(available(p, "b", 5)));
    assertEquals("backups", e.quota());
    assertEquals(p, e.projectId());
    assertTrue(e.getMessage().startsWith("quota backups of project " + p + " (limit 1 backup) is exceeded: used 1 backup"),
        e.getMessage());
    f.catalog.setQuota(p, Quota.of(5, 0));
    QuotaExceededException cap = f.refusedUnchanged(QuotaExceededException.class,
        () -> f.catalog.add(available(p, "b", 5)));
    assertEquals("backup_capacity", cap.quota());
    assertEquals("quota backup_capacity of project " + p + " (limit 0 GB) is exceeded: used 0 MB, asked 5 MB more",
        cap.getMessage());
  }

  @Test
  void aProjectBeyondALoweredQuotaTakesNotEvenZeroMbWhileOneExactlyAtItDoes() {
    Fixture f = new Fixture();
    String p = "lowered";
    f.catalog.add(available(p, "a", 2048));
    f.catalog.setQuota(p, Quota.of(-1, 1));   // 1 GB, 2 GB used
    QuotaExceededException e = f.refusedUnchanged(QuotaExceededException.class, () -> f.catalog.add(available(p, "z", 0)));
    assertEquals("backup_capacity", e.quota());
    assertTrue(e.getMessage().contains("used 2.00 GB (2048 MB)") && e.getMessage().contains("asked 0 MB more"),
        e.getMessage());
    f.catalog.setQuota(p, Quota.of(-1, 2));   // exactly at capacity
    f.catalog.add(available(p, "z", 0));
    f.refusedUnchanged(QuotaExceededException.class, () -> f.catalog.add(available(p, "one", 1)));
    f.catalog.setQuota(p, Quota.of(1, -1));   // 2 backups, 1 allowed
    QuotaExceededException backups = f.refusedUnchanged(QuotaExceededException.class,
        () -> f.catalog.add(available(p, "zz", 0)));
    assertEquals("backups", backups.quota());
  }

  @Test
  void quotaFiguresInAddAllNameWhatTheWholeBatchAsks() {
    Fixture f = new Fixture();
    String p = "batch";
    f.catalog.setQuota(p, Quota.of(-1, 1));
    List<Backup> batch = List.of(available(p, "a", 600), available(p, "b", 600));
    QuotaExceededException e = f.refusedUnchanged(QuotaExceededException.class, () -> f.catalog.addAll(batch));
    assertEquals("quota backup_capacity of project batch (limit 1 GB) is exceeded: used 0 MB, asked 1.17 GB (1200 MB) more",
        e.getMessage());
  }

  @Test
  void quotaCheckRoomForRefusesNegativesAndNamesTheProject() {
    Quota q = Quota.of(3, 1);
    for (String field : List.of("backups", "size mb", "more backups", "more mb")) {
      long[] args = {0, 0, 0, 0};
      args[List.of("backups", "size mb", "more backups", "more mb").indexOf(field)] = -1;
      InvalidValueException e = assertThrows(InvalidValueException.class,
          () -> q.checkRoomFor("p", args[0], args[1], args[2], args[3]));
      assertEquals(field, e.field());
    }
    QuotaExceededException e = assertThrows(QuotaExceededException.class,
        () -> q.checkRoomFor("\u00e9", 3, 0, 1, 0));
    assertEquals("\u00e9", e.projectId());
    assertEquals("backups", e.quota());
    assertEquals("quota backups of project \u00e9 (limit 3 backups) is exceeded: used 3 backups, asked 1 more",
        e.getMessage());
    // no overflow at the bounds
    Quota max = Quota.of(Long.MAX_VALUE, Quota.MAX_CAPACITY_GB);
    max.checkRoomFor("p", Long.MAX_VALUE - 1, 0, 1, 0);
    assertThrows(QuotaExceededException.class, () -> max.checkRoomFor("p", Long.MAX_VALUE, 0, Long.MAX_VALUE, 0));
    assertThrows(QuotaExceededException.class,
        () -> max.checkRoomFor("p", 0, Quota.MAX_CAPACITY_GB * 1024, 0, Long.MAX_VALUE));
  }

  // ------------------------------------------------------------------ blank project ids

  @Test
  void aBlankProjectIdIsRefusedNamingProjectIdBeforeAnyOtherCheck() {
    Fixture f = new Fixture();
    for (String blank : List.of("", " ", "\t\n", "\u2003", "\u3000 ")) {
      List<Executable> calls = List.of(
          () -> f.catalog.get(blank, "nope"),
          () -> f.catalog.find(blank, "nope"),
          () -> f.catalog.apply(blank, "nope", -7, Transition.reportProgress(400)),
          () -> f.catalog.remove(blank, "nope", 0),
          () -> f.catalog.updateTags(blank, "nope", 0, TagUpdate.create(Tag.of("k", "v"))),
          () -> f.catalog.query(blank, Query.all().after("nope")),
          () -> f.catalog.count(blank, Predicates.all()),
          () -> f.catalog.tagCatalogue(blank),
          () -> f.catalog.read(blank, view -> view.query(Query.all())),
          () -> f.catalog.usage(blank, UsageQuery.firstServers(5)),
          () -> f.catalog.setQuota(blank, Quota.NONE),
          () -> f.catalog.quotaUsage(blank),
          () -> f.catalog.sequence(blank),
          () -> f.catalog.stats(blank));
      for (int i = 0; i < calls.size(); i++) {
        InvalidValueException e = f.refusedUnchanged(InvalidValueException.class, calls.get(i));
        assertEquals("project id", e.field(), "call " + i + " '" + blank + "': " + e.getMessage());
        assertEquals(ErrorCode.INVALID_VALUE, e.code());
      }
    }
  }

  // ------------------------------------------------------------------ other documented refusals

  @Test
  void anUnknownMarkerIsAnInvalidValueNamingMarker() {
    Fixture f = new Fixture();
    InvalidValueException e = f.refusedUnchanged(InvalidValueException.class,
        () -> f.catalog.query("p-\u00fcml\u00e4ut", Query.all().after("only-there")));
    assertEquals("marker", e.field());
    assertTrue(e.getMessage().contains("'only-there'"), e.getMessage());
    f.catalog.add(available("third", "avail", 1));
    InvalidValueException all = f.refusedUnchanged(InvalidValueException.class,
        () -> f.catalog.queryAllProjects(Query.all().after("avail")));
    assertEquals("marker", all.field());
    f.refusedUnchanged(InvalidValueException.class, () -> f.catalog.queryAllProjects(Query.all().after("nope")));
  }

  @Test
  void aClockSetBackIsRefusedNamingNowOrUpdatedAtAndChangesNothing() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    f.clock.set(T0.minusSeconds(1));   // before every change of the fixture (made at T0)
    InvalidValueException apply = f.refusedUnchanged(InvalidValueException.class,
        () -> f.catalog.apply(p, "avail", 2, Transition.delete()));
    assertEquals("now", apply.field());
    InvalidValueException tags = f.refusedUnchanged(InvalidValueException.class,
        () -> f.catalog.updateTags(p, "avail", 2, TagUpdate.create(Tag.of("a", "b"))));
    assertEquals("now", tags.field());
    f.clock.set(T0.minus(Duration.ofDays(3)));   // before the backups' creation
    InvalidValueException created = f.refusedUnchanged(InvalidValueException.class,
        () -> f.catalog.updateTags(p, "enh", 1, TagUpdate.create(Tag.of("a", "b"))));
    assertEquals("updated at", created.field());
  }

  @Test
  void tooManyTagsIsAnInvalidValueNamingTagsAndChangesNothing() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    List<Tag> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(Tag.of("k" + i, "v"));
    }
    Backup b = f.catalog.updateTags(p, "enh", 1, TagUpdate.create(ten));
    List<Tag> more = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      more.add(Tag.of("m" + i, "v"));
    }
    int over = 0;
    while (true) {
      long version = f.catalog.get(p, "enh").version();
      List<Tag> next = List.of(Tag.of("x" + over, "v"));
      try {
        f.catalog.updateTags(p, "enh", version, TagUpdate.create(next));
        over++;
        assertTrue(over <= Backup.MAX_TAGS, "took more than " + Backup.MAX_TAGS + " tags");
      } catch (InvalidValueException e) {
        assertEquals("tags", e.field());
        break;
      }
    }
    String before = f.all();
    long version = f.catalog.get(p, "enh").version();
    InvalidValueException e = f.refusedUnchanged(InvalidValueException.class,
        () -> f.catalog.updateTags(p, "enh", version, TagUpdate.create(more)));
    assertEquals("tags", e.field());
    assertEquals(before, f.all());
    assertNotNull(b);
  }

  @Test
  void invalidProgressAndFailureReasonAreInvalidValuesNamingThem() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    f.catalog.apply(p, "restoring", 2, Transition.reportProgress(40));
    for (int percent : new int[] {39, 0, -1, 101, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      InvalidValueException e = f.refusedUnchanged(InvalidValueException.class,
          () -> f.catalog.apply(p, "restoring", 3, Transition.reportProgress(percent)));
      assertEquals("progress", e.field());
      assertTrue(e.getMessage().startsWith("progress " + percent + " is invalid: "), e.getMessage());
    }
    InvalidValueException blank = f.refusedUnchanged(InvalidValueException.class,
        () -> f.catalog.apply(p, "restoring", 3, Transition.fail("  ")));
    assertEquals("failure reason", blank.field());
    InvalidValueException longer = f.refusedUnchanged(InvalidValueException.class,
        () -> f.catalog.apply(p, "restoring", 3, Transition.fail("r".repeat(100_000))));
    assertEquals("failure reason", longer.field());
  }

  // ------------------------------------------------------------------ misuse is not a CsbsError

  @Test
  void misuseStaysAPlainJdkExceptionNotACsbsError() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    RuntimeException inRead = assertThrows(IllegalStateException.class,
        () -> f.catalog.read(p, view -> {
          f.catalog.add(available(p, "inside", 1));
          return null;
        }));
    assertFalse(inRead instanceof CsbsError, inRead.toString());
    assertEquals(Optional.empty(), f.catalog.find(p, "inside"));

    BackupCatalog replica = Catalogs.indexed(FakeClock.at(T0));
    Change gap = new Change(5, "r", "b", Optional.empty(), Optional.of(available("r", "b", 1)), Optional.empty());
    RuntimeException replay = assertThrows(IllegalStateException.class, () -> replica.replay(gap));
    assertFalse(replay instanceof CsbsError, replay.toString());
    assertTrue(replay.getMessage().contains("r") && replay.getMessage().contains("5"), replay.getMessage());

    RuntimeException load = assertThrows(IllegalStateException.class,
        () -> f.catalog.load(new ProjectSnapshot(p, 1, Quota.NONE, List.of())));
    assertFalse(load instanceof CsbsError, load.toString());

    RuntimeException twice = assertThrows(IllegalStateException.class,
        () -> Catalogs.builder().clock(f.clock).clock(f.clock));
    assertFalse(twice instanceof CsbsError);
    RuntimeException nul = assertThrows(NullPointerException.class, () -> f.catalog.get(p, null));
    assertFalse(nul instanceof CsbsError);
    // and the CsbsError javadoc's edge rethrows them
    assertThrows(NullPointerException.class, () -> edge(() -> f.catalog.get(p, null)));
  }

  @Test
  void replayRefusalsAreTheDocumentedCsbsErrorsAndChangeNothing() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog primary = Catalogs.indexed(clock);
    List<Change> changes = new ArrayList<>();
    primary.subscribe(changes::add);
    primary.add(available("r", "b", 1));
    primary.apply("r", "b", 1, Transition.restore());
    primary.add(available("r", "c", 1));
    assertEquals(3, changes.size());

    BackupCatalog replica = Catalogs.indexed(clock);
    replica.add(available("r", "b", 1));   // replica's own change 1: "b" added
    // change 2 (b: v1 -> v2) applies; then change 3 adds "c"
    // a change that adds a backup the project has: Duplicate
    Change addB = new Change(2, "r", "b", Optional.empty(), Optional.of(available("r", "b", 1)), Optional.empty());
    String before = replica.query("r", Query.all()).backups() + "" + replica.sequence("r");
    DuplicateBackupException dup = assertThrows(DuplicateBackupException.class, () -> replica.replay(addB));
    assertEquals("b", dup.backupId());
    assertEquals(before, replica.query("r", Query.all()).backups() + "" + replica.sequence("r"));
    // a change of a backup the project lacks: NotFound
    Change ofC = new Change(2, "r", "c", Optional.of(available("r", "c", 1)), Optional.empty(), Optional.empty());
    BackupNotFoundException nf = assertThrows(BackupNotFoundException.class, () -> replica.replay(ofC));
    assertEquals("r", nf.projectId());
    assertEquals("c", nf.backupId());
    // a change based on another version: conflict, expected the before's, current the stored one
    Backup v2 = changes.get(1).after().orElseThrow();
    Backup v2before = v2.toBuilder().version(5).status(BackupStatus.AVAILABLE).progress(Optional.empty()).build();
    Change stale = new Change(2, "r", "b", Optional.of(v2before), Optional.of(v2), Optional.empty());
    VersionConflictException vc = assertThrows(VersionConflictException.class, () -> replica.replay(stale));
    assertEquals(5, vc.expectedVersion());
    assertEquals(1, vc.currentVersion());
    assertEquals(before, replica.query("r", Query.all()).backups() + "" + replica.sequence("r"));
    // "Checked in this order: the sequence (already installed, or one missing), then whether the
    // backup exists (or is new), then its version"
    Change oldOfC = new Change(1, "r", "c", Optional.of(available("r", "c", 1)), Optional.empty(), Optional.empty());
    assertFalse(replica.replay(oldOfC));
    Change gapOfC = new Change(3, "r", "c", Optional.of(available("r", "c", 1)), Optional.empty(), Optional.empty());
    RuntimeException gap = assertThrows(IllegalStateException.class, () -> replica.replay(gapOfC));
    assertFalse(gap instanceof CsbsError, gap.toString());
    Change gapAddB = new Change(3, "r", "b", Optional.empty(), Optional.of(available("r", "b", 1)), Optional.empty());
    assertFalse(assertThrows(IllegalStateException.class, () -> replica.replay(gapAddB)) instanceof CsbsError);
    Change staleOfC = new Change(2, "r", "c", Optional.of(v2before.toBuilder().id("c").build()), Optional.empty(),
        Optional.empty());
    assertThrows(BackupNotFoundException.class, () -> replica.replay(staleOfC));
    assertEquals(before, replica.query("r", Query.all()).backups() + "" + replica.sequence("r"));
  }

  // ------------------------------------------------------------------ subscribers see no refusal

  @Test
  void refusalsAreNotDeliveredToSubscribersNorCounted() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    long sequence = f.catalog.sequence(p);
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    List<Consumer<BackupCatalog>> refusals = List.of(
        c -> c.add(available(p, "avail", 1)),
        c -> c.apply(p, "nope", 1, Transition.delete()),
        c -> c.apply(p, "avail", 1, Transition.delete()),
        c -> c.apply(p, "err", 3, Transition.restore()),
        c -> c.remove(p, "creating", 9),
        c -> c.updateTags(p, "avail", 9, TagUpdate.create(Tag.of("a", "b"))),
        c -> c.addAll(List.of(available(p, "q", 1), available(p, "q", 1))));
    for (int round = 0; round < 200; round++) {
      Consumer<BackupCatalog> refusal = refusals.get(random.nextInt(refusals.size()));
      try {
        refusal.accept(f.catalog);
        fail("seed " + seed + ": not refused");
      } catch (RuntimeException e) {
        assertInstanceOf(CsbsError.class, e, "seed " + seed);
      }
    }
    assertEquals(sequence, f.catalog.sequence(p), "seed " + seed);
    assertEquals(List.of(), f.changes, "seed " + seed);
  }


  // ------------------------------------------------------------------ fuzz: every refusal is a CsbsError

  private static final String[] PIECES = {"status", "name", "resource_id", "resource_name", "checkpoint_id",
      "start_time", "end_time", "az", "resource_type", "policy_id", "sort", "limit", "marker", "offset", "=", "&",
      "%", "%2", "%zz", "%e9", "%C3%A9", "%F0%9F%98%80", "%ED%A0%80", "%00", "+", "?", "available", "AVAILABLE",
      "deleting", "2017-04-18T01:21:52.701973", "2017-02-29T00:00:00", "+10000-01-01T00:00:00", "-0001-01-01T00:00:00",
      "99999999999999999999", "-1", "0", "1000", "1001", "1e3", "created_at:desc", "name:asc", "name:ASC,name:desc",
      "size:asc", " ", "\u00e9", "\uD83D\uDE00", "\uD800", "\u0000", "x".repeat(300), ",", ":"};

  private static String randomText(Random random, int pieces) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < pieces; i++) {
      text.append(PIECES[random.nextInt(PIECES.length)]);
    }
    return text.toString();
  }

  /** Runs {@code call}; a refusal must be an InvalidValueException whose message starts with its field. */
  private static void refusedAsInvalidValue(long seed, String input, Runnable call) {
    try {
      call.run();
    } catch (InvalidValueException e) {
      assertFalse(e.field() == null, "seed " + seed + " " + input);
      assertTrue(e.getMessage().startsWith(e.field() + " "), "seed " + seed + " " + input + ": " + e.getMessage());
      assertEquals(ErrorCode.INVALID_VALUE, e.code());
    } catch (RuntimeException e) {
      throw new AssertionError("seed " + seed + ": input '" + escape(input) + "' was refused with a "
          + e.getClass().getName() + ", not a CsbsError: " + e.getMessage(), e);
    }
  }

  private static String escape(String text) {
    StringBuilder out = new StringBuilder();
    text.codePoints().limit(200).forEach(c -> out.append(c >= 0x20 && c < 0x7f ? Character.toString(c)
        : String.format(java.util.Locale.ROOT, "\\u%04x", c)));
    return out.toString();
  }

  @Test
  void everyRefusedQueryStringSortAndParameterIsAnInvalidValueNamingItsField() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int round = 0; round < 300; round++) {
      String raw = randomText(random, 1 + random.nextInt(8));
      refusedAsInvalidValue(seed, raw, () -> ListQueryString.parse(raw));
      refusedAsInvalidValue(seed, raw, () -> Sort.parse(raw));
      refusedAsInvalidValue(seed, raw, () -> ListQueryString.decodeParameter("name", raw));
      String parameter = ListQueryString.PARAMETERS.get(random.nextInt(ListQueryString.PARAMETERS.size()));
      String value = randomText(random, 1 + random.nextInt(3));
      refusedAsInvalidValue(seed, parameter + "=" + value, () -> ListQueryString.parse(
          java.util.Map.of(parameter, List.of(value))));
      refusedAsInvalidValue(seed, value, () -> Tag.of(value, value));
      refusedAsInvalidValue(seed, value, () -> Server.of(value, value, value));
      refusedAsInvalidValue(seed, value, () -> Predicates.nameContains(value));
      refusedAsInvalidValue(seed, value, () -> Predicates.backupId(value));
      refusedAsInvalidValue(seed, value, () -> TagUpdate.Match.of(value, value));
      refusedAsInvalidValue(seed, value, () -> io.csbs.backup.ApiStatus.parse(value));
      refusedAsInvalidValue(seed, value, () -> io.csbs.backup.CopyStatus.parse(value));
      refusedAsInvalidValue(seed, value, () -> io.csbs.backup.RestoreMode.parse(value));
      refusedAsInvalidValue(seed, value, () -> TagUpdate.Action.parse(value));
      refusedAsInvalidValue(seed, value, () -> TagFilter.Action.parse(value));
      refusedAsInvalidValue(seed, value, () -> Tag.checkKey(value));
      refusedAsInvalidValue(seed, value, () -> Tag.checkValue(value));
      refusedAsInvalidValue(seed, value, () -> TagUpdate.Match.key(value));
      refusedAsInvalidValue(seed, value, () -> io.csbs.backup.Failure.of(io.csbs.backup.JobType.RESTORE, value, T0));
      refusedAsInvalidValue(seed, value, () -> new io.csbs.usage.ServerUsage(value, value, value.length() - 3,
          value.length() - 5));
      refusedAsInvalidValue(seed, value, () -> TagFilter.builder().tags(value, value).tagsAny(value, value)
          .notTags(value, value).build());
      refusedAsInvalidValue(seed, value, () -> ConsoleSearch.empty().withKeyword(
          io.csbs.query.KeywordField.values()[Math.floorMod(value.hashCode(), io.csbs.query.KeywordField.values().length)],
          value).withTag(value, value).toQuery(TagCatalogue.of(java.util.Map.of(value, List.of(value))), 20));
      refusedAsInvalidValue(seed, value, () -> Backup.builder().id(value).name(value).projectId(value)
          .server(WEB).status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(T0).description(value).policyId(value)
          .build());
    }
  }

  @Test
  void everyRefusedNumberOrTimeIsAnInvalidValueNamingItsField() {
    long[] longs = {Long.MIN_VALUE, Integer.MIN_VALUE, -2, -1, 0, 1, 1000, 1001, 36_500, 36_501, Integer.MAX_VALUE,
        Long.MAX_VALUE, Backup.MAX_SIZE_MB, Backup.MAX_SIZE_MB + 1, Quota.MAX_CAPACITY_GB, Quota.MAX_CAPACITY_GB + 1};
    Instant[] instants = {Instant.MIN, Instant.MIN.plusNanos(1), Instant.EPOCH, T0, Instant.MAX.minusNanos(1), Instant.MAX};
    for (long n : longs) {
      String in = Long.toString(n);
      refusedAsInvalidValue(0, in, () -> Quota.of(n, n));
      refusedAsInvalidValue(0, in, () -> Query.builder().limit((int) n).build());
      refusedAsInvalidValue(0, in, () -> Query.builder().offset(n).build());
      refusedAsInvalidValue(0, in, () -> UsageQuery.of(Predicates.all(), n, (int) n));
      refusedAsInvalidValue(0, in, () -> UsageQuery.firstServers((int) n));
      refusedAsInvalidValue(0, in, () -> ConsoleSearch.empty().withLastDays((int) n));
      refusedAsInvalidValue(0, in, () -> Predicates.createdWithinLast(Duration.ofSeconds(n)));
      refusedAsInvalidValue(0, in, () -> ConsoleSearch.empty().withLastDays((int) n).toQuery(
          TagCatalogue.empty(), (int) n));
      refusedAsInvalidValue(0, in, () -> base("p", "b", WEB, n).status(BackupStatus.AVAILABLE).build());
      refusedAsInvalidValue(0, in, () -> base("p", "b", WEB, 1).status(BackupStatus.AVAILABLE).version(n).build());
      refusedAsInvalidValue(0, in, () -> Progress.of((int) n, T0));
      refusedAsInvalidValue(0, in, () -> io.csbs.lifecycle.StallRule.ofThreshold(Duration.ofSeconds(n)));
      refusedAsInvalidValue(0, in, () -> io.csbs.lifecycle.StallRule.ofThreshold(Duration.ofNanos(n)));
      refusedAsInvalidValue(0, in, () -> new io.csbs.usage.UsageReport(n, n, n, List.of()));
      refusedAsInvalidValue(0, in, () -> new QuotaUsage(Quota.of(-1, -1), n, n));
      refusedAsInvalidValue(0, in, () -> ListQueryString.parse("limit=" + n + "&offset=" + n));
      refusedAsInvalidValue(0, in, () -> ListQueryString.parse("start_time=2017-04-18T01:21:52&end_time="
          + Instant.ofEpochSecond(Math.max(-31557014167219200L, Math.min(31556889864403199L, n)))
              .toString().replace("Z", "")));
      refusedAsInvalidValue(0, in, () -> TagFilter.builder().limit((int) n).offset(n).build());
      for (Instant a : instants) {
        refusedAsInvalidValue(0, in + " " + a, () -> TimeRange.last(Duration.ofSeconds(n), a));
        refusedAsInvalidValue(0, in + " " + a, () -> ConsoleSearch.empty().withLastDays((int) Math.max(1, Math.min(n, 36_500)))
            .toQuery(TagCatalogue.empty(), 20));
        for (Instant b : instants) {
          refusedAsInvalidValue(0, a + " " + b, () -> TimeRange.between(a, b));
          refusedAsInvalidValue(0, a + " " + b, () -> TimeRange.of(a, false, b, false));
          refusedAsInvalidValue(0, a + " " + b, () -> Backup.builder().id("b").name("n").projectId("p").server(WEB)
              .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(a).updatedAt(b).build());
        }
      }
    }
  }


  // ------------------------------------------------------------------ concurrent refusals

  /** Runs {@code tasks} at once on their own threads; each returns its refusal or null. */
  private static List<RuntimeException> race(List<Runnable> tasks) throws InterruptedException {
    java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
    RuntimeException[] outcomes = new RuntimeException[tasks.size()];
    Throwable[] unexpected = new Throwable[1];
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      int index = i;
      Thread thread = new Thread(() -> {
        try {
          start.await();
          tasks.get(index).run();
        } catch (RuntimeException e) {
          outcomes[index] = e;
        } catch (Throwable t) {
          unexpected[0] = t;
        }
      });
      thread.start();
      threads.add(thread);
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(30_000);
      assertFalse(thread.isAlive(), "a racing call hung for 30 s");
    }
    assertEquals(null, unexpected[0]);
    return Arrays.asList(outcomes);
  }

  @Test
  void racingChangesOfOneVersionLetExactlyOneThroughAndTellTheOthersTheWinnersVersion() throws Exception {
    for (int round = 0; round < 5; round++) {
      Fixture f = new Fixture();
      String p = "p-\u00fcml\u00e4ut";
      long version = f.catalog.get(p, "restoring").version();
      List<Runnable> tasks = new ArrayList<>();
      for (int i = 1; i <= 8; i++) {
        int percent = i * 10;
        tasks.add(() -> f.catalog.apply(p, "restoring", version, Transition.reportProgress(percent)));
      }
      List<RuntimeException> outcomes = race(tasks);
      long passed = outcomes.stream().filter(o -> o == null).count();
      assertEquals(1, passed, "round " + round + ": " + outcomes);
      for (RuntimeException o : outcomes) {
        if (o != null) {
          VersionConflictException e = assertInstanceOf(VersionConflictException.class, o);
          assertEquals(version, e.expectedVersion());
          assertEquals(version + 1, e.currentVersion());
        }
      }
      assertEquals(version + 1, f.catalog.get(p, "restoring").version());
      assertEquals(1, f.changes.size());
    }
  }

  @Test
  void racingAddsAreRefusedAsDuplicatesOrOverQuotaWithNothingHalfDone() throws Exception {
    for (int round = 0; round < 5; round++) {
      Fixture f = new Fixture();
      f.catalog.setQuota("race", Quota.of(3, -1));
      List<Runnable> tasks = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String id = "b" + (i % 4);   // each id twice
        tasks.add(() -> f.catalog.add(available("race", id, 1)));
      }
      List<RuntimeException> outcomes = race(tasks);
      assertEquals(3, outcomes.stream().filter(o -> o == null).count(), "round " + round + ": " + outcomes);
      for (RuntimeException o : outcomes) {
        if (o != null) {
          assertTrue(o instanceof DuplicateBackupException || o instanceof QuotaExceededException, o.toString());
          assertEquals("race", ((o instanceof DuplicateBackupException d) ? d.projectId()
              : ((QuotaExceededException) o).projectId()));
        }
      }
      assertEquals(3, f.catalog.count("race", Predicates.all()));
      assertEquals(3, f.catalog.sequence("race"));
      assertEquals(3, f.catalog.quotaUsage("race").backupsUsed());
    }
  }

  @Test
  void racingBatchesOverSeveralProjectsAreAllOrNothingUnderQuotasAndDuplicates() throws Exception {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int round = 0; round < 4; round++) {
      FakeClock clock = FakeClock.at(T0);
      BackupCatalog c = Catalogs.indexed(clock);
      List<String> projects = List.of("\u00e9-one", "two", "\uD83D\uDE00");
      for (String project : projects) {
        c.setQuota(project, Quota.of(5, 1));   // 5 backups, 1024 MB
      }
      List<List<Backup>> batches = new ArrayList<>();
      List<Runnable> tasks = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        List<Backup> batch = new ArrayList<>();
        int size = 1 + random.nextInt(4);
        for (int k = 0; k < size; k++) {
          String project = projects.get(random.nextInt(projects.size()));
          batch.add(available(project, "b" + random.nextInt(10), 1 + random.nextInt(400)));
        }
        batches.add(batch);
        tasks.add(() -> c.addAll(batch));
      }
      List<RuntimeException> outcomes = race(tasks);
      long stored = 0;
      for (int t = 0; t < batches.size(); t++) {
        RuntimeException o = outcomes.get(t);
        String where = "seed " + seed + " round " + round + " batch " + batches.get(t) + ": " + o;
        if (o != null) {
          assertTrue(o instanceof DuplicateBackupException || o instanceof QuotaExceededException, where);
        }
        for (Backup b : batches.get(t)) {
          Optional<Backup> found = c.find(b.projectId(), b.id());
          if (o == null) {
            assertEquals(Optional.of(b), found, where);
          }
        }
        if (o == null) {
          stored += batches.get(t).size();
        }
      }
      long total = 0;
      for (String project : projects) {
        long count = c.count(project, Predicates.all());
        total += count;
        assertTrue(count <= 5, "seed " + seed + ": over the backups quota in " + project);
        assertTrue(c.quotaUsage(project).sizeMbUsed() <= 1024, "seed " + seed + ": over capacity in " + project);
        assertEquals(count, c.sequence(project), "seed " + seed);
      }
      assertEquals(stored, total, "seed " + seed + ": a refused batch left backups behind");
    }
  }

  @Test
  void quotaFiguresSwitchToGbAt1024MbAndKeepWholeGbLimits() {
    Quota q = Quota.of(-1, 1);
    assertEquals("quota backup_capacity of project p (limit 1 GB) is exceeded: used 1023 MB, asked 2 MB more",
        assertThrows(QuotaExceededException.class, () -> q.checkRoomFor("p", 1, 1023, 1, 2)).getMessage());
    assertEquals("quota backup_capacity of project p (limit 1 GB) is exceeded: used 1.00 GB (1024 MB), asked 1.00 GB"
        + " (1024 MB) more", assertThrows(QuotaExceededException.class, () -> q.checkRoomFor("p", 1, 1024, 1, 1024))
            .getMessage());
    Quota max = Quota.of(-1, Quota.MAX_CAPACITY_GB);
    QuotaExceededException e = assertThrows(QuotaExceededException.class,
        () -> max.checkRoomFor("p", 1, Quota.MAX_CAPACITY_GB * 1024, 1, 1));
    assertTrue(e.getMessage().contains("(limit " + Quota.MAX_CAPACITY_GB + " GB)"), e.getMessage());
    assertTrue(e.getMessage().contains("(" + Quota.MAX_CAPACITY_GB * 1024 + " MB)"), e.getMessage());
    assertTrue(e.getMessage().endsWith("asked 1 MB more"), e.getMessage());
  }

  // ------------------------------------------------------------------ the testkit's fake refuses alike

  private static void fill(BackupCatalog catalog) {
    String p = "p-\u00fcml\u00e4ut";
    catalog.add(available(p, "avail", 100));
    catalog.add(enhanced(p, "enh"));
    catalog.add(base(p, "err", WEB, 5).status(BackupStatus.AVAILABLE).build());
    catalog.apply(p, "err", 1, Transition.restore());
    catalog.apply(p, "err", 2, Transition.fail("disk gone"));
    catalog.add(base(p, "creating", DB, 7).status(BackupStatus.CREATING)
        .progress(Progress.of(0, T0.minus(Duration.ofDays(2)))).build());
    catalog.add(available("other", "only-there", 1));
    catalog.add(available("third", "avail", 1));
    catalog.setQuota("q", Quota.of(2, 1));
    catalog.add(available("q", "q1", 1000));
  }

  /** What a service's edge sees of a call: the answer, or the refusal with everything it tells. */
  private static String outcome(java.util.function.Function<BackupCatalog, Object> call, BackupCatalog catalog) {
    try {
      return "answer " + call.apply(catalog);
    } catch (RuntimeException e) {
      StringBuilder text = new StringBuilder(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
      if (e instanceof CsbsError error) {
        text.append(" code=").append(error.code());
      }
      if (e instanceof InvalidValueException i) {
        text.append(" field=").append(i.field()).append(" rule=").append(i.rule());
      } else if (e instanceof BackupNotFoundException n) {
        text.append(" ids=").append(n.projectId()).append('/').append(n.backupId());
      } else if (e instanceof DuplicateBackupException d) {
        text.append(" ids=").append(d.projectId()).append('/').append(d.backupId()).append(" batch=").append(d.inBatch());
      } else if (e instanceof VersionConflictException v) {
        text.append(" id=").append(v.backupId()).append(" v=").append(v.expectedVersion()).append('/')
            .append(v.currentVersion());
      } else if (e instanceof QuotaExceededException q) {
        text.append(" project=").append(q.projectId()).append(" quota=").append(q.quota());
      } else if (e instanceof IllegalTransitionException t) {
        text.append(" id=").append(t.backupId()).append(" status=").append(t.status()).append(" attempted=")
            .append(t.attempted()).append(" allowed=").append(t.allowed());
      }
      return text.toString();
    }
  }

  @Test
  void theTestkitsReferenceCatalogRefusesEveryChangeAsTheIndexedCatalogDoes() {
    String p = "p-\u00fcml\u00e4ut";
    List<java.util.function.Function<BackupCatalog, Object>> calls = List.of(
        c -> c.get(p, "only-there"),
        c -> c.get(" ", "x"),
        c -> c.apply(p, "nope", 1, Transition.delete()),
        c -> c.apply(p, "avail", 7, Transition.delete()),
        c -> c.apply(p, "err", 1, Transition.restore()),
        c -> c.apply(p, "err", 3, Transition.restore()),
        c -> c.apply(p, "avail", 1, Transition.instantRestore()),
        c -> c.apply(p, "creating", 1, Transition.delete()),
        c -> c.apply(p, "creating", 1, Transition.reportProgress(101)),
        c -> c.apply(p, "creating", 1, Transition.fail(" ")),
        c -> c.apply(p, "avail", 1, Transition.complete()),
        c -> {
          c.remove(p, "avail", 0);
          return null;
        },
        c -> c.updateTags(p, "avail", 2, TagUpdate.create(Tag.of("k", "v"))),
        c -> c.updateTags(p, "nope", 2, TagUpdate.create(Tag.of("k", "v"))),
        c -> {
          c.add(available(p, "avail", 1));
          return null;
        },
        c -> {
          c.addAll(List.of(available(p, "n", 1), available("other", "n", 1), available("other", "n", 1)));
          return null;
        },
        c -> {
          c.add(available("q", "q2", 100));
          return null;
        },
        c -> {
          c.addAll(List.of(available("q", "q2", 1), available("q", "q3", 1)));
          return null;
        },
        c -> {
          c.add(available("q", "q1", 100));
          return null;
        },
        c -> c.query(p, Query.all().after("only-there")),
        c -> c.queryAllProjects(Query.all().after("avail")),
        c -> c.read(p, v -> v.query(Query.all().after("zz"))),
        c -> c.sequence("\u2003"),
        c -> c.read(p, v -> c.count("other", Predicates.all())));
    for (int i = 0; i < calls.size(); i++) {
      BackupCatalog indexed = Catalogs.indexed(FakeClock.at(T0));
      BackupCatalog reference = io.csbs.testing.ReferenceCatalog.create(FakeClock.at(T0));
      fill(indexed);
      fill(reference);
      String expected = outcome(calls.get(i), indexed);
      assertFalse(expected.startsWith("answer"), "call " + i + " was not refused: " + expected);
      assertEquals(expected, outcome(calls.get(i), reference), "call " + i);
    }
  }

  @Test
  void aBackupCountsTowardsItsQuotaInEveryStateUntilItsDeletionCompletes() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    String p = "\u00e9tat";
    c.setQuota(p, Quota.of(3, 1));
    c.add(available(p, "a", 300));
    c.add(available(p, "e", 300));
    c.apply(p, "e", 1, Transition.restore());
    c.apply(p, "e", 2, Transition.fail("lost"));
    c.add(available(p, "d", 300));
    c.apply(p, "d", 1, Transition.delete());
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> c.add(available(p, "x", 1)));
    assertEquals("backups", e.quota());
    assertTrue(e.getMessage().contains("used 3 backups"), e.getMessage());
    c.setQuota(p, Quota.of(10, 1));
    QuotaExceededException cap = assertThrows(QuotaExceededException.class, () -> c.add(available(p, "x", 200)));
    assertTrue(cap.getMessage().contains("used 900 MB, asked 200 MB more"), cap.getMessage());
    c.apply(p, "d", 2, Transition.complete());   // gone: no longer counts
    c.add(available(p, "x", 200));
    c.remove(p, "e", 3);
    c.add(available(p, "y", 300));
    assertEquals(300 + 200 + 300, c.quotaUsage(p).sizeMbUsed());
    // a load or a replay does not check quotas, so a project can be beyond them: nothing more is taken
    BackupCatalog replica = Catalogs.indexed(clock);
    replica.load(new ProjectSnapshot(p, 9, Quota.of(1, 1), List.of(available(p, "a", 300), available(p, "b", 300))));
    QuotaExceededException beyond = assertThrows(QuotaExceededException.class,
        () -> replica.add(available(p, "z", 0)));
    assertEquals("backups", beyond.quota());
    assertEquals(9, replica.sequence(p));
  }

  @Test
  void aSubscriberThatThrowsDoesNotTurnACommittedChangeIntoARefusal() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    List<Long> seen = new ArrayList<>();
    f.catalog.subscribe(change -> {
      seen.add(change.sequence());
      throw new VersionConflictException(change.backupId(), 1, 2);
    });
    f.catalog.subscribe(change -> {
      throw new AssertionError("a failed assertion in a subscriber");
    });
    long sequence = f.catalog.sequence(p);
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.csbs.catalog.ChangeLog");
    java.util.logging.Level level = log.getLevel();
    log.setLevel(java.util.logging.Level.OFF);   // the catalog logs the subscribers' failures: expected here
    try {
      assertEquals("ok", edge(() -> f.catalog.add(available(p, "sub-1", 1))));
      assertEquals("ok", edge(() -> f.catalog.apply(p, "sub-1", 1, Transition.delete())));
    } finally {
      log.setLevel(level);
    }
    assertEquals(List.of(sequence + 1, sequence + 2), seen);
    assertEquals(sequence + 2, f.catalog.sequence(p));
    assertEquals(2, f.changes.size());
  }

  @Test
  void aQueryStringRefusalNamesTheParameterAsDocumented() {
    String[][] cases = {
        {"name=%zz", "name"}, {"limit=%", "limit"}, {"marker=%ED%A0%80", "marker"}, {"status=%C3", "status"},
        {"b%C3%A9gus=1", "b\u00e9gus"}, {"limit=5&limit=6", "limit"}, {"limit=", "limit"}, {"limit", "limit"},
        {"=5", "query string"}, {"%zz=1", "query string"}, {"sort=bogus", "sort"}, {"offset=-1", "offset"},
        {"limit=0", "limit"}, {"limit=1001", "limit"}, {"start_time=yesterday", "start_time"},
        {"marker=a&offset=3", "marker"}};
    for (String[] c : cases) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> ListQueryString.parse(c[0]), c[0]);
      assertEquals(c[1], e.field(), c[0] + ": " + e.getMessage());
      assertTrue(e.getMessage().startsWith(c[1] + " "), e.getMessage());
    }
  }

  @Test
  void aConflictsCurrentVersionIsTheOneToRetryOn() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    long stale = 1;
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        f.catalog.updateTags(p, "avail", stale, TagUpdate.create(Tag.of("retry", "yes")));
        break;
      } catch (VersionConflictException e) {
        assertEquals(stale, e.expectedVersion());
        stale = e.currentVersion();
      }
    }
    assertEquals(3, f.catalog.get(p, "avail").version());
    VersionConflictException e = assertThrows(VersionConflictException.class,
        () -> f.catalog.apply(p, "restoring", 1, Transition.complete()));
    assertTrue(f.catalog.apply(p, "restoring", e.currentVersion(), Transition.complete()).isPresent());
  }

  @Test
  void aLargeBatchIsRefusedWholeForARepeatAnExistingIdOrAQuota() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog c = Catalogs.indexed(clock);
    String p = "bulk-\u00e9";
    c.add(available(p, "id-07777", 1));
    List<Backup> batch = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      batch.add(Backup.builder().id(String.format(java.util.Locale.ROOT, "id-%05d", (i * 7919) % 20_000))
          .name("bulk_" + i % 97).projectId(p).server(i % 2 == 0 ? WEB : DB).sizeMb(1)
          .status(BackupStatus.AVAILABLE).createdAt(T0.minusSeconds(i)).build());
    }
    // the existing id comes first in the given order
    DuplicateBackupException exists = assertThrows(DuplicateBackupException.class, () -> c.addAll(batch));
    assertEquals("id-07777", exists.backupId());
    assertFalse(exists.inBatch());
    assertEquals(1, c.count(p, Predicates.all()));
    c.remove(p, "id-07777", 1);
    List<Backup> repeated = new ArrayList<>(batch);
    repeated.add(batch.get(12_345));
    DuplicateBackupException repeat = assertThrows(DuplicateBackupException.class, () -> c.addAll(repeated));
    assertEquals(batch.get(12_345).id(), repeat.backupId());
    assertTrue(repeat.inBatch());
    assertEquals(0, c.count(p, Predicates.all()));
    c.setQuota(p, Quota.of(19_999, -1));
    QuotaExceededException quota = assertThrows(QuotaExceededException.class, () -> c.addAll(batch));
    assertEquals("quota backups of project " + p + " (limit 19999 backups) is exceeded: used 0 backups, asked 20000 more",
        quota.getMessage());
    assertEquals(0, c.count(p, Predicates.all()));
    assertEquals(1 + 1, c.sequence(p));
    c.setQuota(p, Quota.NONE);
    c.addAll(batch);
    assertEquals(20_000, c.count(p, Predicates.all()));
  }

  // ------------------------------------------------------------------ more documented refusals

  @Test
  void aRemovedOrDeletedBackupIsNotFoundForEveryLaterChangeWhateverTheVersion() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    f.catalog.apply(p, "deleting", 2, Transition.complete());
    f.catalog.remove(p, "creating", 1);
    for (String id : List.of("deleting", "creating")) {
      for (long v : new long[] {1, 2, 3}) {
        BackupNotFoundException e = f.refusedUnchanged(BackupNotFoundException.class,
            () -> f.catalog.apply(p, id, v, Transition.complete()));
        assertEquals(id, e.backupId());
        f.refusedUnchanged(BackupNotFoundException.class, () -> f.catalog.remove(p, id, v));
      }
    }
  }

  @Test
  void aReadViewRefusesAnUnknownMarkerNamingMarker() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    InvalidValueException e = f.refusedUnchanged(InvalidValueException.class,
        () -> f.catalog.read(p, view -> view.query(Query.all().after("only-there"))));
    assertEquals("marker", e.field());
  }

  @Test
  void aSnapshotRepeatingAnIdOrHoldingAnotherProjectsBackupIsRefusedAsDocumented() {
    Backup b = available("snap", "b", 1);
    DuplicateBackupException dup = assertThrows(DuplicateBackupException.class,
        () -> new ProjectSnapshot("snap", 3, Quota.NONE, List.of(b, available("snap", "c", 1), b)));
    assertTrue(dup.inBatch());
    assertEquals("snap", dup.projectId());
    assertEquals("b", dup.backupId());
    InvalidValueException other = assertThrows(InvalidValueException.class,
        () -> new ProjectSnapshot("snap", 3, Quota.NONE, List.of(available("other", "b", 1))));
    assertEquals("backups", other.field());
    assertEquals("project id", assertThrows(InvalidValueException.class,
        () -> new ProjectSnapshot(" ", 3, Quota.NONE, List.of())).field());
    assertEquals("sequence", assertThrows(InvalidValueException.class,
        () -> new ProjectSnapshot("snap", -1, Quota.NONE, List.of())).field());
  }

  @Test
  void addAllNamesTheBackupsQuotaWhenBothWouldBeExceeded() {
    Fixture f = new Fixture();
    f.catalog.setQuota("both", Quota.of(1, 1));
    QuotaExceededException e = f.refusedUnchanged(QuotaExceededException.class,
        () -> f.catalog.addAll(List.of(available("both", "a", 2000), available("both", "b", 2000))));
    assertEquals("backups", e.quota());
    assertTrue(e.getMessage().startsWith("quota backups of project both (limit 1 backup) is exceeded: used 0 backups"),
        e.getMessage());
    QuotaExceededException one = f.refusedUnchanged(QuotaExceededException.class,
        () -> f.catalog.add(available("both", "a", 2000)));
    assertEquals("backup_capacity", one.quota());
  }

  // ------------------------------------------------------------------ serialisation

  @Test
  void everyCsbsExceptionSurvivesSerialisationWithItsGettersMessageAndCode() throws Exception {
    InvalidValueException ive = new InvalidValueException("tag value", "prod env", "must be nice").renamed("tags[0]");
    InvalidValueException ive2 = roundTrip(ive);
    assertEquals(ive.field(), ive2.field());
    assertEquals(ive.rule(), ive2.rule());
    assertEquals(ive.getMessage(), ive2.getMessage());
    assertEquals(ive.code(), ive2.code());
    assertEquals(ive.getCause().getMessage(), ive2.getCause().getMessage());

    Backup creating = base("p", "c", WEB, 1).status(BackupStatus.CREATING).progress(Progress.of(0, T0.minus(Duration.ofDays(2)))).build();
    IllegalTransitionException ite = assertThrows(IllegalTransitionException.class, () -> Lifecycle.restore(creating, T0));
    IllegalTransitionException ite2 = roundTrip(ite);
    assertEquals(ite.backupId(), ite2.backupId());
    assertEquals(ite.status(), ite2.status());
    assertEquals(ite.attempted(), ite2.attempted());
    assertEquals(ite.allowed(), ite2.allowed());
    assertEquals(ite.code(), ite2.code());
    assertEquals(ite.getMessage(), ite2.getMessage());

    BackupNotFoundException nf = roundTrip(new BackupNotFoundException("p\u00e9", "b\uD83D\uDE00"));
    assertEquals("p\u00e9", nf.projectId());
    assertEquals("b\uD83D\uDE00", nf.backupId());
    assertEquals(ErrorCode.BACKUP_NOT_FOUND, nf.code());

    DuplicateBackupException dup = roundTrip(new DuplicateBackupException("p", "b", true));
    assertEquals("p", dup.projectId());
    assertEquals("b", dup.backupId());
    assertTrue(dup.inBatch());

    VersionConflictException vc = roundTrip(new VersionConflictException("b", 7, -1));
    assertEquals("b", vc.backupId());
    assertEquals(7, vc.expectedVersion());
    assertEquals(-1, vc.currentVersion());

    Fixture f = new Fixture();
    f.catalog.setQuota("q", Quota.of(0, 0));
    QuotaExceededException q = assertThrows(QuotaExceededException.class, () -> f.catalog.add(available("q", "x", 1)));
    QuotaExceededException q2 = roundTrip(q);
    assertEquals("q", q2.projectId());
    assertEquals("backups", q2.quota());
    assertEquals(q.getMessage(), q2.getMessage());
    assertEquals(ErrorCode.QUOTA_EXCEEDED, q2.code());
  }

  // ------------------------------------------------------------------ every refused value is a CsbsError?

  @Test
  void refusedPagesAndChangesArePlainIllegalArgumentExceptions() {
    Backup b = available("p", "b", 1);
    RuntimeException page = assertThrows(IllegalArgumentException.class, () -> new Page(List.of(b), 0, false));
    assertFalse(page instanceof CsbsError);
    RuntimeException change = assertThrows(IllegalArgumentException.class,
        () -> new Change(0, "p", "b", Optional.empty(), Optional.of(b), Optional.empty()));
    assertFalse(change instanceof CsbsError);
  }

  // ------------------------------------------------------------------ refusals leave no trace

  /** A clock a test can break: its instant() throws while {@code failure} is set. */
  static final class BreakableClock extends java.time.Clock {
    volatile RuntimeException failure;

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      RuntimeException f = failure;
      if (f != null) {
        throw f;
      }
      return T0;
    }
  }

  @Test
  void aChangeFailingOnTheClockOrANullLeavesTheCatalogExactlyAsItWas() {
    // "a refused change (any exception) leaves the catalog exactly as it was"
    BreakableClock clock = new BreakableClock();
    BackupCatalog c = Catalogs.indexed(clock);
    c.add(available("pp", "a", 1));
    List<Change> changes = new ArrayList<>();
    c.subscribe(changes::add);
    String before = c.query("pp", Query.all()).backups() + "|" + c.sequence("pp") + "|" + c.quotaUsage("pp");
    List<Executable> failing = List.of(
        () -> c.apply("pp", "a", 1, Transition.delete()),
        () -> c.updateTags("pp", "a", 1, TagUpdate.create(Tag.of("k", "v"))));
    for (Executable call : failing) {
      clock.failure = new IllegalStateException("clock broken");
      IllegalStateException e = assertThrows(IllegalStateException.class, call);
      assertEquals("clock broken", e.getMessage());
      clock.failure = null;
      assertEquals(before, c.query("pp", Query.all()).backups() + "|" + c.sequence("pp") + "|" + c.quotaUsage("pp"));
    }
    assertThrows(NullPointerException.class, () -> c.addAll(Arrays.asList(available("pp", "b", 1), null)));
    assertThrows(NullPointerException.class, () -> c.add(null));
    assertEquals(before, c.query("pp", Query.all()).backups() + "|" + c.sequence("pp") + "|" + c.quotaUsage("pp"));
    assertEquals(List.of(), changes);
  }

  @Test
  void theVersionIsCheckedBeforeTheClockAndTheIdBeforeBoth() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    f.clock.set(T0.minusSeconds(5));
    f.refusedUnchanged(VersionConflictException.class, () -> f.catalog.apply(p, "avail", 1, Transition.delete()));
    f.refusedUnchanged(BackupNotFoundException.class, () -> f.catalog.apply(p, "nope", 1, Transition.delete()));
    f.refusedUnchanged(VersionConflictException.class,
        () -> f.catalog.updateTags(p, "avail", 1, TagUpdate.create(Tag.of("n", "m"))));
  }

  @Test
  void readsAndChangesFromInsideAReadArePlainIllegalStateExceptionsEvenAfterANestedReadAndAFailedRead() {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    RuntimeException other = assertThrows(IllegalStateException.class,
        () -> f.catalog.read(p, v -> f.catalog.count("other", Predicates.all())));
    assertFalse(other instanceof CsbsError);
    RuntimeException all = assertThrows(IllegalStateException.class,
        () -> f.catalog.read(p, v -> f.catalog.queryAllProjects(Query.all())));
    assertFalse(all instanceof CsbsError);
    String before = f.all();
    assertThrows(IllegalStateException.class, () -> f.catalog.read(p, v -> {
      f.catalog.read(p, w -> w.count(Predicates.all()));
      f.catalog.add(available("other", "n1", 1));
      return null;
    }));
    assertThrows(IllegalStateException.class, () -> f.catalog.read(p, v -> {
      assertThrows(InvalidValueException.class, () -> f.catalog.read(p, w -> w.query(Query.all().after("zz"))));
      f.catalog.add(available(p, "n2", 1));
      return null;
    }));
    assertEquals(before, f.all());
    // a read that failed with a refusal leaves the thread free to change the catalog
    assertThrows(InvalidValueException.class, () -> f.catalog.read(p, v -> v.query(Query.all().after("zz"))));
    f.catalog.add(available(p, "n3", 1));
    assertTrue(f.catalog.find(p, "n3").isPresent());
  }

  @Test
  void aViewUsedAfterItsReadOrFromAnotherThreadIsAPlainIllegalStateException() throws Exception {
    Fixture f = new Fixture();
    String p = "p-\u00fcml\u00e4ut";
    io.csbs.catalog.ProjectView[] escaped = new io.csbs.catalog.ProjectView[1];
    RuntimeException[] fromOther = new RuntimeException[1];
    f.catalog.read(p, view -> {
      escaped[0] = view;
      Thread other = new Thread(() -> {
        try {
          view.count(Predicates.all());
        } catch (RuntimeException e) {
          fromOther[0] = e;
        }
      });
      other.start();
      try {
        other.join(30_000);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      assertFalse(other.isAlive(), "the other thread hung on the view");
      return null;
    });
    assertInstanceOf(IllegalStateException.class, fromOther[0]);
    assertFalse(fromOther[0] instanceof CsbsError);
    RuntimeException after = assertThrows(IllegalStateException.class, () -> escaped[0].query(Query.all()));
    assertFalse(after instanceof CsbsError);
    assertEquals(p, escaped[0].projectId());
  }

  // ------------------------------------------------------------------ doc findings

  @Test
  void threeCodesDifferFromTheOnes020Released() {
    assertEquals("CSBS.2003", ErrorCode.BACKUP_BUSY.code());
    assertEquals("CSBS.3001", ErrorCode.BACKUP_NOT_FOUND.code());
    assertEquals("CSBS.9006", ErrorCode.QUOTA_EXCEEDED.code());
  }

  @Test
  void theRejectedValueIsOnlyInTheMessage() {
    assertThrows(NoSuchMethodException.class, () -> InvalidValueException.class.getMethod("value"));
    assertThrows(NoSuchMethodException.class, () -> InvalidValueException.class.getMethod("getValue"));
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> Tag.of("env", "prod env"));
    assertTrue(e.getMessage().contains("'prod env'"));
  }

  /** A value of a type whose toString() gives null (legal, if odd: Object.toString's contract does not forbid it). */
  private static final Object NULL_TEXT = new Object() {
    @Override
    public String toString() {
      return null;
    }
  };

  @Test
  void aValueWhoseToStringIsNullIsShownAsNull() {
    InvalidValueException e = new InvalidValueException("limit", NULL_TEXT, "must be 1 to 1000");
    assertEquals("limit", e.field());
    assertEquals("limit null is invalid: must be 1 to 1000", e.getMessage());
  }


  @Test
  void aShortenedValueCountsCharsAsTheRuleBesideItDoes() {
    String emoji = "\uD83D\uDE00".repeat(200);
    InvalidValueException e = assertThrows(InvalidValueException.class,
        () -> base("p", "b", WEB, 1).status(BackupStatus.AVAILABLE).description(emoji).build());
    assertEquals("description", e.field());
    assertTrue(e.getMessage().contains("...(" + emoji.length() + " chars, 200 code points)' is invalid: must be at most 255 chars"),
        e.getMessage());
  }

}
