package io.csbs.backup;

import java.util.Objects;

/**
 * The error code of a backup's last failed job, as the API reports it in {@code
 * extend_info.fail_code} ({@code {"Code": 64003, "Description": "..."}}).
 *
 * <pre>{@code
 * FailCode code = new FailCode(64003, "The disk is detached.");
 * }</pre>
 *
 * @param code the error code
 * @param description the error's description; may be empty, at most {@value #MAX_DESCRIPTION_LENGTH} chars
 */
public record FailCode(long code, String description) {
  /** The longest description kept. */
  public static final int MAX_DESCRIPTION_LENGTH = 1024;

  /**
   * Checks the description.
   *
   * @param code the error code
   * @param description the error's description
   * @throws InvalidValueException naming {@code fail_code description} if it is too long
   */
  public FailCode {
    Objects.requireNonNull(description, "description");
    Rules.requireAtMost("fail_code description", description, MAX_DESCRIPTION_LENGTH);
  }
}
