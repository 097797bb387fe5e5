package io.csbs.server;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;
import io.csbs.lifecycle.IllegalTransitionException;

/**
 * A refusal of the server itself, with the HTTP status and the API's error code it answers with; and
 * the mapping of the library's refusals ({@link CsbsError}) to both.
 */
final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The API's "system internal error", for anything unexpected. */
  static final String INTERNAL = "CSBS.9999";
  /** The API's "request tags exceed the max allowed count". */
  static final String TOO_MANY_TAGS = "CSBS.7000";
  /** The API's "The backup tag does not exist.". */
  static final String TAG_NOT_FOUND = "CSBS.7001";
  /** The API's "checkpoint item not available": the backup's state does not allow a restore. */
  static final String NOT_AVAILABLE = "CSBS.4000";

  private final int status;
  private final String code;

  ApiError(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  static ApiError unknownPath(String path) {
    return new ApiError(404, "CSBS.LIB.UNKNOWN_PATH", "path " + path + " is not an endpoint of this server");
  }

  /** The HTTP status of a refusal of the library; the code is the refusal's. */
  static int status(CsbsError error) {
    ErrorCode code = error.code();
    switch (code) {
      case BACKUP_NOT_FOUND:
        return 404;
      case VERSION_CONFLICT:
      case DUPLICATE_BACKUP:
        return 409;
      case DATABASE_FAILURE:
      case SCHEMA_VERSION_MISMATCH:
        return 503;
      default:
        return 400; // INVALID_VALUE, BACKUP_BUSY (the API answers CSBS.2003 with 400), QUOTA_EXCEEDED, ...
    }
  }

  /**
   * A refused restore as the API answers it: busy stays {@code CSBS.2003}; a stable state that does
   * not allow it (Error) is the API's {@code CSBS.4000}.
   */
  static RuntimeException ofRestore(IllegalTransitionException e) {
    return e.code() == ErrorCode.TRANSITION_NOT_ALLOWED ? new ApiError(400, NOT_AVAILABLE, e.getMessage()) : e;
  }
}
