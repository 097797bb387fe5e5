package io.csbs.backup;

import org.immutables.value.Value;

/**
 * A key=value tag on a backup, with the CSBS API's rules: surrounding white space is trimmed (as
 * {@link String#strip} does: spaces, tabs, line breaks, the ideographic space; not the no-break
 * space U+00A0, which is refused like any other character outside the rules); the key
 * is 1 to 36 and the value 0 to 43 letters, digits, {@code _} or {@code -} (letters of any script;
 * each counts once, one outside the Basic Multilingual Plane too, although Java holds it as two
 * chars). Letters and digits are what {@link Character#isLetterOrDigit(int)} accepts: combining
 * marks are not, so a decomposed é (an e, then the combining accent U+0301) is refused (NFC
 * composes it).
 *
 * <pre>{@code
 * Tag tag = Tag.of(" env ", "prod");  // env=prod
 * Tag.of("env", "prod env");          // InvalidValueException naming "tag value"
 * }</pre>
 */
@Value.Immutable
public abstract class Tag implements Comparable<Tag> {
  /** The longest key the API accepts, in letters (code points). */
  public static final int MAX_KEY_LENGTH = 36;
  /** The longest value the API accepts, in letters (code points). */
  public static final int MAX_VALUE_LENGTH = 43;

  Tag() {}

  /** {@return the key, trimmed} */
  @Value.Parameter
  public abstract String key();

  /** {@return the value, trimmed; may be empty} */
  @Value.Parameter
  public abstract String value();

  /**
   * A tag with the trimmed {@code key} and {@code value}.
   *
   * @param key the key; surrounding spaces are trimmed
   * @param value the value, maybe empty; surrounding spaces are trimmed
   * @return the tag
   * @throws InvalidValueException naming {@code tag key} or {@code tag value} if it breaks the
   *     rules
   */
  public static Tag of(String key, String value) {
    return ImmutableTag.of(key, value);
  }

  /**
   * Checks a tag key against the API's rules, trimmed, without making a tag; used by searches.
   *
   * @param key the key to check
   * @return the trimmed key
   * @throws InvalidValueException naming {@code tag key} if it breaks the rules
   */
  public static String checkKey(String key) {
    return Rules.requireWord("tag key", key.strip(), 1, MAX_KEY_LENGTH);
  }

  /**
   * Checks a tag value against the API's rules, trimmed, without making a tag.
   *
   * @param value the value to check
   * @return the trimmed value
   * @throws InvalidValueException naming {@code tag value} if it breaks the rules
   */
  public static String checkValue(String value) {
    return Rules.requireWord("tag value", value.strip(), 0, MAX_VALUE_LENGTH);
  }

  @Value.Check
  Tag normalize() {
    String key = checkKey(key());
    String value = checkValue(value());
    if (key.length() != key().length() || value.length() != value().length()) {
      return ImmutableTag.of(key, value);
    }
    return this;
  }

  /**
   * Orders by key, then value, each compared char by char as {@link String#compareTo} does (so a
   * letter outside the Basic Multilingual Plane, two chars from U+D800, sorts before U+E000 to
   * U+FFFF).
   */
  @Override
  public int compareTo(Tag other) {
    int byKey = key().compareTo(other.key());
    return byKey != 0 ? byKey : value().compareTo(other.value());
  }

  /** {@code key=value}. */
  @Override
  public String toString() {
    return key() + "=" + value();
  }
}
