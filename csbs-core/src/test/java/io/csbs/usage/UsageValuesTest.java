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
    assertDoesNotThrow(() -> Quota.NONE.checkRoomFor("p", Long.MAX_VALUE / 2, Long.MAX_VALUE / 4, 1, 1));
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
    assertDoesNotThrow(() -> quota.checkRoomFor("p", 2, 0, 1, 0));
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> quota.checkRoomFor("p", 3, 0, 1, 0));
    assertEquals("backups", e.quota());
    assertTrue(e.getMessage().contains("limit 3 backups"), e.getMessage());
    assertTrue(e.getMessage().contains("used 3 backups"), e.getMessage());
    assertTrue(e.getMessage().contains("of project p"), e.getMessage());
    QuotaExceededException one = assertThrows(QuotaExceededException.class, () -> Quota.of(1, Quota.UNLIMITED).checkRoomFor("p", 1, 0, 1, 0));
    assertEquals("quota backups of project p (limit 1 backup) is exceeded: used 1 backup, asked 1 more", one.getMessage());
  }

  @Test
  void refusesTheBackupBeyondTheCapacityQuota() {
    Quota quota = Quota.of(Quota.UNLIMITED, 1);
    assertDoesNotThrow(() -> quota.checkRoomFor("p", 0, 1000, 1, 24)); // exactly 1 GB
    QuotaExceededException e = assertThrows(QuotaExceededException.class, () -> quota.checkRoomFor("q", 0, 1000, 1, 25));
    assertEquals("backup_capacity", e.quota());
    assertEquals("q", e.projectId());
    assertEquals(io.csbs.ErrorCode.QUOTA_EXCEEDED, e.code());
    assertEquals("quota backup_capacity of project q (limit 1 GB) is exceeded: used 1000 MB, asked 25 MB more",
        e.getMessage());
  }

  @Test
  void aSmallBackupOverAFullQuotaSaysMegabytesNotZeroGigabytes() {
    QuotaExceededException e = assertThrows(QuotaExceededException.class,
        () -> Quota.of(Quota.UNLIMITED, 1).checkRoomFor("q", 1, 1024, 1, 1));
    assertEquals("quota backup_capacity of project q (limit 1 GB) is exceeded: used 1.00 GB (1024 MB), asked 1 MB more",
        e.getMessage());
  }

  @Test
  void boundsTheCapacityQuotaSoThatItsMegabytesFitInALong() {
    InvalidValueException e = assertThrows(InvalidValueException.class, () -> Quota.of(-1, Long.MAX_VALUE));
    assertEquals("backup_capacity", e.field());
    assertTrue(e.rule().contains(String.valueOf(Quota.MAX_CAPACITY_GB)), e.rule());
    assertThrows(InvalidValueException.class, () -> Quota.of(-1, Quota.MAX_CAPACITY_GB + 1));
    Quota largest = Quota.of(-1, Quota.MAX_CAPACITY_GB);
    // 2^31 backups of the largest size fit exactly, and nothing overflows on the way
    long most = (1L << 31) * io.csbs.backup.Backup.MAX_SIZE_MB;
    assertDoesNotThrow(() -> largest.checkRoomFor("q", 1L << 30, most / 2, 1L << 30, most / 2));
    assertThrows(QuotaExceededException.class, () -> largest.checkRoomFor("q", 1L << 30, most / 2, 1, most / 2 + 1));
    assertEquals(OptionalLong.of(most), new QuotaUsage(largest, 0, 0).capacityRemainingMb());
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
