package io.csbs.usage;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.InvalidValueException;
import io.csbs.query.Predicates;
import java.math.BigDecimal;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class UsageValuesTest {
  @Test
  void capacityIsMegabytesOver1024RoundedHalfUpToTwoDecimals() {
    assertEquals(new BigDecimal("142.76"), new ServerUsage("s", "ecs", 1, 146_184).capacityGb());
    assertEquals(new BigDecimal("0.01"), new ServerUsage("s", "ecs", 1, 6).capacityGb()); // 0.00586 -> 0.01
    assertEquals(new BigDecimal("0.00"), new ServerUsage("s", "ecs", 1, 5).capacityGb()); // 0.00488 -> 0.00
    assertEquals(new BigDecimal("1.00"), new UsageReport(1, 1024, 1, List.of()).capacityGb());
  }

  @Test
  void quotaOfMinusOneIsUnlimited() {
    assertDoesNotThrow(() -> Quota.NONE.checkRoomFor(Long.MAX_VALUE / 2, Long.MAX_VALUE / 4, 1, 1));
    assertEquals(OptionalLong.empty(), new QuotaUsage(Quota.NONE, 5, 5).backupsRemaining());
    assertEquals(OptionalLong.empty(), new QuotaUsage(Quota.NONE, 5, 5).capacityRemainingMb());
  }

  @Test
  void refusesAQuotaBelowMinusOne() {
    InvalidValueException backups = assertThrows(InvalidValueException.class, () -> Quota.of(-2, 10));
    assertEquals("backups", backups.field());
    InvalidValueException capacity = assertThrows(InvalidValueException.class, () -> Quota.of(10, -5));
    assertEquals("backup_capacity", capacity.field());
  }

  @Test
  void refusesTheBackupBeyondTheCountQuotaNamingItsLimitAndUse() {
    Quota quota = Quota.of(3, Quota.UNLIMITED);
    assertDoesNotThrow(() -> quota.checkRoomFor(2, 0, 1, 0));
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> quota.checkRoomFor(3, 0, 1, 0));
    assertEquals("backups", e.quota());
    assertTrue(e.getMessage().contains("limit 3 backups"), e.getMessage());
    assertTrue(e.getMessage().contains("used 3 backups"), e.getMessage());
  }

  @Test
  void refusesTheBackupBeyondTheCapacityQuota() {
    Quota quota = Quota.of(Quota.UNLIMITED, 1);
    assertDoesNotThrow(() -> quota.checkRoomFor(0, 1000, 1, 24)); // exactly 1 GB
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> quota.checkRoomFor(0, 1000, 1, 25));
    assertEquals("backup_capacity", e.quota());
    assertTrue(e.getMessage().contains("limit 1 GB"), e.getMessage());
    assertTrue(e.getMessage().contains("used 0.98 GB"), e.getMessage());
  }

  @Test
  void remainingNeverGoesBelowZero() {
    QuotaUsage over = new QuotaUsage(Quota.of(2, 1), 5, 4096);
    assertEquals(OptionalLong.of(0), over.backupsRemaining());
    assertEquals(OptionalLong.of(0), over.capacityRemainingMb());
    QuotaUsage under = new QuotaUsage(Quota.of(10, 2), 4, 1024);
    assertEquals(OptionalLong.of(6), under.backupsRemaining());
    assertEquals(OptionalLong.of(1024), under.capacityRemainingMb());
    assertEquals(new BigDecimal("1.00"), under.capacityUsedGb());
  }

  @Test
  void refusesAUsagePageOutOfRange() {
    assertEquals("limit", assertThrows(InvalidValueException.class, () -> UsageQuery.firstServers(0)).field());
    assertEquals("limit", assertThrows(InvalidValueException.class, () -> UsageQuery.firstServers(1001)).field());
    assertEquals("offset",
        assertThrows(InvalidValueException.class, () -> UsageQuery.of(Predicates.all(), -1, 10)).field());
  }
}
