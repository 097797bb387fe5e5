package io.csbs.backup;

import static java.util.Objects.requireNonNull;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;

/**
 * Thrown when a value, a parameter or a query breaks one of the library's rules.
 *
 * <p>The message names the field (or parameter), the rejected value and the rule, for example
 * {@code name 'my backup' is invalid: must be 1 to 255 letters, digits, '_' or '-'}. The field and
 * the rule are available to code through {@link #field()} and {@link #rule()}; the value only in the
 * message (a value over 80 code points is shown cut, with its length: {@code ...(400 chars)} counts
 * {@code char}s as {@link String#length()} does, followed by the code points where they differ,
 * {@code ...(400 chars, 200 code points)}, since some rules count one and some the other). Whatever
 * raised it changed nothing: no value was built and no catalog was modified.
 *
 * <pre>{@code
 * try {
 *   Tag.of("env", "prod env");
 * } catch (InvalidValueException e) {
 *   e.field(); // "tag value"
 * }
 * }</pre>
 *
 * <p>Its {@linkplain #code() code} is {@link ErrorCode#INVALID_VALUE} ({@code CSBS.9001}, the CSBS
 * API's code for parameters that fail its checks).
 */
public class InvalidValueException extends IllegalArgumentException implements CsbsError {
  private static final long serialVersionUID = 1L;
  private static final int MAX_SHOWN_VALUE_LENGTH = 80;

  /** The name of the rejected field or parameter. */
  private final String field;
  /** What the field accepts. */
  private final String rule;
  /** The rejected value as the message shows it (quoted if text, shortened if long). */
  private final String shownValue;

  /**
   * Creates an exception for {@code field}, whose {@code value} breaks {@code rule}.
   *
   * @param field the name of the field or parameter, as a user would write it; taken as given (a
   *     document's key may be empty, and a reader names it so)
   * @param value the rejected value; may be {@code null} (shown {@code null}, as is a value whose
   *     {@code toString()} is null)
   * @param rule what the field accepts, phrased to follow "must" or a similar verb
   */
  public InvalidValueException(String field, Object value, String rule) {
    this(requireNonNull(field, "field"), show(value), requireNonNull(rule, "rule"), null);
  }

  private InvalidValueException(String field, String shownValue, String rule, InvalidValueException cause) {
    super(field + " " + shownValue + " is invalid: " + rule, cause);
    this.field = field;
    this.shownValue = shownValue;
    this.rule = rule;
  }

  /**
   * The same refusal (value and rule), naming the field {@code field} instead: for a reader of a
   * document, whose values the library's rules name by their own names, to name the key that held
   * the value.
   *
   * <pre>{@code
   * try {
   *   Tag.of("env", value);
   * } catch (InvalidValueException e) {
   *   throw e.renamed("checkpoint_item.tags[1].value");
   *   // checkpoint_item.tags[1].value 'prod env' is invalid: must be ...
   * }
   * }</pre>
   *
   * @param field the name to give the field or parameter
   * @return a new exception of the same value and rule, with this one as its cause
   */
  public InvalidValueException renamed(String field) {
    return new InvalidValueException(requireNonNull(field, "field"), shownValue, rule, this);
  }

  /** {@return the field or parameter that was rejected} */
  public String field() {
    return field;
  }

  /** {@return the rule that the value broke} */
  public String rule() {
    return rule;
  }

  /** {@return {@link ErrorCode#INVALID_VALUE}} */
  @Override
  public ErrorCode code() {
    return ErrorCode.INVALID_VALUE;
  }

  private static String show(Object value) {
    if (value == null) {
      return "null";
    }
    String text = value.toString();
    if (text == null) {
      return "null";
    }
    // cut after 80 code points, never inside a surrogate pair (half a letter outside the Basic
    // Multilingual Plane made the message invalid Unicode); the length in both units, since some
    // rules count chars ("at most 255 chars") and some code points (keywords)
    if (text.length() > MAX_SHOWN_VALUE_LENGTH) {
      int codePoints = text.codePointCount(0, text.length());
      if (codePoints > MAX_SHOWN_VALUE_LENGTH) {
        String length = codePoints == text.length()
            ? text.length() + " chars"
            : text.length() + " chars, " + codePoints + " code points";
        text = text.substring(0, text.offsetByCodePoints(0, MAX_SHOWN_VALUE_LENGTH)) + "...(" + length + ")";
      }
    }
    return value instanceof CharSequence ? "'" + text + "'" : text;
  }
}
