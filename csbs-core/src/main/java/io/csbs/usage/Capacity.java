package io.csbs.usage;

import io.csbs.backup.InvalidValueException;
import java.math.BigDecimal;
import java.math.RoundingMode;

/** MB to GB as the usage dialog shows it: MB / 1024, rounded half up to two decimals. */
final class Capacity {
  private static final BigDecimal MB_PER_GB = BigDecimal.valueOf(1024);

  private Capacity() {}

  static BigDecimal gb(long mb) {
    return BigDecimal.valueOf(mb).divide(MB_PER_GB, 2, RoundingMode.HALF_UP);
  }

  /** Refuses a negative count or size, naming it: no use is below nothing. */
  static void requireNotNegative(String field, long value) {
    if (value < 0) {
      throw new InvalidValueException(field, value, "must not be negative");
    }
  }

  /** {@code 512 MB} below 1 GB, where GB would round to nothing; {@code 99.50 GB (101888 MB)} from 1 GB on. */
  static String text(long mb) {
    return mb < 1024 ? mb + " MB" : gb(mb) + " GB (" + mb + " MB)";
  }
}
