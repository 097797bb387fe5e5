package io.csbs.backup;

/** The field rules shared by the value types; one place so that every message reads the same. */
final class Rules {
  static final int MAX_ID_LENGTH = 64;
  static final int MAX_NAME_LENGTH = 255;
  static final int MAX_DESCRIPTION_LENGTH = 255;

  private Rules() {}

  /**
   * {@code element}, refused if null naming {@code name[index]}; the message is made only when it
   * throws (every tag of every backup built passes here).
   */
  static <T> T requireElement(T element, String name, int index) {
    if (element == null) {
      throw new NullPointerException(name + "[" + index + "]");
    }
    return element;
  }

  static String requireId(String field, String value) {
    if (value.isBlank() || value.length() > MAX_ID_LENGTH) {
      throw new InvalidValueException(field, value, "must be non-blank and at most " + MAX_ID_LENGTH + " chars");
    }
    return value;
  }

  static String requireText(String field, String value, int maxLength) {
    if (value.isBlank() || value.length() > maxLength) {
      throw new InvalidValueException(field, value, "must be non-blank and at most " + maxLength + " chars");
    }
    return value;
  }

  /** Text that may be empty ("not known", as the API writes it) and is at most {@code maxLength} chars. */
  static String requireAtMost(String field, String value, int maxLength) {
    if (value.length() > maxLength) {
      throw new InvalidValueException(field, value, "must be at most " + maxLength + " chars");
    }
    return value;
  }

  /**
   * The constant of {@code values} whose name, lower-cased, is {@code text}: how the API writes its
   * enumerations ({@code waiting_protect}, {@code na}, {@code create}).
   */
  static <E extends Enum<E>> E apiConstant(String field, String text, E[] values) {
    java.util.Objects.requireNonNull(text, "text");
    for (E value : values) {
      if (value.name().toLowerCase(java.util.Locale.ROOT).equals(text)) {
        return value;
      }
    }
    StringBuilder accepted = new StringBuilder();
    for (E value : values) {
      accepted.append(accepted.length() == 0 ? "" : ", ").append(value.name().toLowerCase(java.util.Locale.ROOT));
    }
    throw new InvalidValueException(field, text, "must be one of " + accepted);
  }

  /** A count or amount within {@code [min, max]}. */
  static long requireRange(String field, long value, long min, long max) {
    if (value < min || value > max) {
      throw new InvalidValueException(field, value, "must be " + min + " to " + max);
    }
    return value;
  }

  /**
   * The CSBS rule for names, tag keys and tag values: letters (any script), digits, '_' and '-',
   * counted as letters: a letter outside the Basic Multilingual Plane (two chars) counts once.
   */
  static String requireWord(String field, String value, int minLength, int maxLength) {
    int length = value.length();
    if (length > maxLength) {
      length = value.codePointCount(0, length);  // never more than the chars, so only a long one is counted
    }
    if (length < minLength || length > maxLength || !isWord(value)) {
      String size = minLength == maxLength ? "exactly " + minLength : minLength + " to " + maxLength;
      throw new InvalidValueException(field, value, "must be " + size + " letters, digits, '_' or '-'");
    }
    return value;
  }

  static boolean isWord(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '_' || c == '-' || (c < 128 ? isAsciiLetterOrDigit(c) : isOtherLetterOrDigit(value, i))) {
        continue;
      }
      return false;
    }
    return true;
  }

  private static boolean isAsciiLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  private static boolean isOtherLetterOrDigit(String value, int index) {
    char c = value.charAt(index);
    if (Character.isLowSurrogate(c)) {
      // judged together with its high surrogate
      return index > 0 && Character.isHighSurrogate(value.charAt(index - 1));
    }
    return Character.isLetterOrDigit(value.codePointAt(index));
  }
}
