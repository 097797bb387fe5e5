package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.DuplicateBackupException;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.Transition;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaExceededException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every refusal of the library is a {@link CsbsError} with its code, and keeps its JDK supertype. */
class ErrorCodeTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

  @Test
  void everyRefusalHasItsCodeAndKeepsItsJdkSupertype() {
    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(NOW, ZoneOffset.UTC));
    Backup creating = backup("b-1", BackupStatus.CREATING);
    Backup available = backup("b-2", BackupStatus.AVAILABLE);
    catalog.addAll(List.of(creating, available));

    assertCode(ErrorCode.INVALID_VALUE, IllegalArgumentException.class,
        assertThrows(InvalidValueException.class, () -> Tag.of("env", "prod env")));
    assertCode(ErrorCode.BACKUP_BUSY, IllegalStateException.class,
        assertThrows(IllegalTransitionException.class, () -> Lifecycle.restore(creating, NOW)));
    assertCode(ErrorCode.TRANSITION_NOT_ALLOWED, IllegalStateException.class,
        assertThrows(IllegalTransitionException.class, () -> Lifecycle.instantRestore(available, NOW)));
    assertCode(ErrorCode.VERSION_CONFLICT, IllegalStateException.class,
        assertThrows(VersionConflictException.class, () -> catalog.apply("p", "b-2", 9, Transition.restore())));
    assertCode(ErrorCode.BACKUP_NOT_FOUND, NoSuchElementException.class,
        assertThrows(BackupNotFoundException.class, () -> catalog.get("p", "b-9")));
    assertCode(ErrorCode.DUPLICATE_BACKUP, IllegalStateException.class,
        assertThrows(DuplicateBackupException.class, () -> catalog.add(available)));
    catalog.setQuota("p", Quota.of(2, Quota.UNLIMITED));
    assertCode(ErrorCode.QUOTA_EXCEEDED, IllegalStateException.class,
        assertThrows(QuotaExceededException.class, () -> catalog.add(backup("b-3", BackupStatus.AVAILABLE))));
  }

  @Test
  void apiCodesAreTheApisAndTheLibrarysOwnAreMarkedAndUnique() {
    assertEquals("CSBS.9001", ErrorCode.INVALID_VALUE.code());
    assertEquals("CSBS.2003", ErrorCode.BACKUP_BUSY.code(), "the API's 'item in executing'");
    assertEquals("CSBS.3001", ErrorCode.BACKUP_NOT_FOUND.code(), "the API's 'Checkpoint_item (%s) is not found'");
    assertEquals("CSBS.9006", ErrorCode.QUOTA_EXCEEDED.code(), "the API's 'Quota exceeded for resources'");
    assertEquals("CSBS.LIB.VERSION_CONFLICT", ErrorCode.VERSION_CONFLICT.code());
    Set<String> codes = new HashSet<>();
    for (ErrorCode code : ErrorCode.values()) {
      assertTrue(codes.add(code.code()), "a code repeats: " + code.code());
      assertTrue(code.code().matches("CSBS\\.[0-9]{4}") || code.code().equals("CSBS.LIB." + code.name()), code.code());
    }
  }

  @Test
  void aCodeMapsBackToItsConstantExactly() {
    for (ErrorCode code : ErrorCode.values()) {
      assertEquals(java.util.Optional.of(code), ErrorCode.ofCode(code.code()));
    }
    assertEquals(java.util.Optional.of(ErrorCode.BACKUP_BUSY), ErrorCode.ofCode("CSBS.2003"));
    for (String unknown : List.of("", "CSBS.1001", "csbs.2003", " CSBS.2003", "CSBS.LIB.", "BACKUP_BUSY",
        "CSBS.LIB.backup_busy")) {
      assertEquals(java.util.Optional.empty(), ErrorCode.ofCode(unknown), unknown);
    }
    NullPointerException e = assertThrows(NullPointerException.class, () -> ErrorCode.ofCode(null));
    assertEquals("code", e.getMessage());
  }

  private static void assertCode(ErrorCode expected, Class<?> jdkType, RuntimeException refusal) {
    assertEquals(expected, ((CsbsError) refusal).code(), refusal.toString());
    assertInstanceOf(jdkType, refusal);
  }

  private static Backup backup(String id, BackupStatus status) {
    Backup.Builder builder = Backup.builder().id(id).name("bk").projectId("p")
        .server(Server.of("s-1", "ecs-1", "eu-de-01")).status(status).sizeMb(1024).createdAt(NOW.minusSeconds(60));
    if (status.isIntermediate()) {
      builder.progress(Progress.of(0, NOW.minusSeconds(60)));
    }
    return builder.build();
  }
}
