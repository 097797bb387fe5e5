package io.csbs.server;

import io.csbs.backup.InvalidValueException;
import io.csbs.query.ListQueryString;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The query string of an endpoint other than the list (whose parameters {@link
 * io.csbs.query.ListQueryString} binds), as strictly: only the endpoint's parameters, each at most
 * once, none empty; a refusal names the parameter.
 */
final class Parameters {
  private Parameters() {}

  /**
   * The decoded parameters of {@code rawQuery} (null: none).
   *
   * @param rawQuery the raw query string, or null
   * @param endpoint what the parameters are of, for messages: {@code the quotas}
   * @param allowed the names the endpoint accepts
   * @throws InvalidValueException naming the parameter that is unknown, repeated, empty or badly
   *     percent-encoded
   */
  static Map<String, String> parse(String rawQuery, String endpoint, List<String> allowed) {
    Map<String, String> parameters = new LinkedHashMap<>();
    if (rawQuery == null) {
      return parameters;
    }
    for (String pair : rawQuery.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      String name = decode("query string", equals < 0 ? pair : pair.substring(0, equals));
      if (name.isEmpty()) {
        throw new InvalidValueException("query string", pair, "must be name=value pairs separated by '&'");
      }
      if (!allowed.contains(name)) {
        throw new InvalidValueException(name, equals < 0 ? "" : pair.substring(equals + 1), "is not a parameter of " + endpoint
            + (allowed.isEmpty() ? ", which takes none" : "; it accepts " + String.join(", ", allowed)));
      }
      String value = decode(name, equals < 0 ? "" : pair.substring(equals + 1));
      if (value.isEmpty()) {
        throw new InvalidValueException(name, value, "must not be empty");
      }
      if (parameters.putIfAbsent(name, value) != null) {
        throw new InvalidValueException(name, value, "must be given at most once");
      }
    }
    return parameters;
  }

  /**
   * The whole number {@code name} of {@code parameters}, or {@code otherwise} if it is absent.
   *
   * @throws InvalidValueException naming {@code name} unless it is a whole number from {@code min} to
   *     {@code max}
   */
  static long number(Map<String, String> parameters, String name, long min, long max, long otherwise) {
    String text = parameters.get(name);
    if (text == null) {
      return otherwise;
    }
    if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw notANumber(name, text, min, max);
    }
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException beyondALong) {
      throw notANumber(name, text, min, max);
    }
    if (value < min || value > max) {
      throw notANumber(name, text, min, max);
    }
    return value;
  }

  private static InvalidValueException notANumber(String name, String text, long min, long max) {
    return new InvalidValueException(name, text, "must be a whole number from " + min + " to " + max);
  }

  /** A path segment or a query string's name or value, percent-decoded ({@code +} is a space only in a query). */
  static String decode(String field, String encoded) {
    return ListQueryString.decodeParameter(field, encoded);  // as the list's parameters are
  }
}
