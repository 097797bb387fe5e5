package io.csbs.backup;

import java.util.Locale;

/**
 * Where the replication of a backup to another region stands: the API's {@code
 * extend_info.copy_status}.
 *
 * <pre>{@code
 * CopyStatus.parse("waiting_copy");  // WAITING_COPY
 * CopyStatus.NA.apiName();           // "na": not replicated, the default
 * }</pre>
 */
public enum CopyStatus {
  /** Not replicated; the default. */
  NA,
  /** A replication is queued. */
  WAITING_COPY,
  /** A replication runs. */
  COPYING,
  /** The last replication succeeded. */
  SUCCESS,
  /** The last replication failed. */
  FAIL;

  /** {@return the status as the API writes it, for example {@code waiting_copy}} */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The status named {@code text} as the API writes it.
   *
   * @param text {@code na}, {@code waiting_copy}, {@code copying}, {@code success} or {@code fail}
   * @return the status
   * @throws InvalidValueException naming {@code copy_status} if {@code text} is none of them
   */
  public static CopyStatus parse(String text) {
    return Rules.apiConstant("copy_status", text, values());
  }
}
