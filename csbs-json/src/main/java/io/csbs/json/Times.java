package io.csbs.json;

import io.csbs.backup.InvalidValueException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;

/**
 * The API's times: UTC without a zone and with microseconds, {@code 2017-04-18T01:21:52.701973}.
 * A time finer than a microsecond is written with as many digits as it needs (up to nine), so
 * that nothing is lost; reading accepts 0 to 9 digits and an optional {@code Z}, and nothing
 * looser (a time without seconds, a point without digits, a lower-case {@code t}, second 60, hour 24).
 */
final class Times {
  /** The rules of the API's times; {@link #format} writes years 1000 to 9999 by hand, the same way. */
  static final DateTimeFormatter WRITE = new DateTimeFormatterBuilder()
      .append(DateTimeFormatter.ISO_LOCAL_DATE)
      .appendLiteral('T')
      .appendValue(ChronoField.HOUR_OF_DAY, 2)
      .appendLiteral(':')
      .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
      .appendLiteral(':')
      .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
      .appendFraction(ChronoField.NANO_OF_SECOND, 6, 9, true)
      .toFormatter();

  /** What readers accept: {@link #WRITE}'s form with 0 to 9 digits of fraction, strictly. */
  private static final DateTimeFormatter READ = new DateTimeFormatterBuilder()
      .parseCaseSensitive()
      .append(DateTimeFormatter.ISO_LOCAL_DATE)
      .appendLiteral('T')
      .append(strictTimeOfDay())
      .toFormatter()
      .withResolverStyle(ResolverStyle.STRICT);

  /** {@code HH:mm:ss}, then a point and 1 to 9 digits or nothing. */
  private static DateTimeFormatter strictTimeOfDay() {
    return new DateTimeFormatterBuilder()
        .parseCaseSensitive()
        .appendValue(ChronoField.HOUR_OF_DAY, 2)
        .appendLiteral(':')
        .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
        .appendLiteral(':')
        .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
        .optionalStart()
        .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
        .optionalEnd()
        .toFormatter()
        .withResolverStyle(ResolverStyle.STRICT);
  }

  private static final DateTimeFormatter TIME_OF_DAY = strictTimeOfDay();

  /** The first and last seconds a {@code LocalDateTime} holds: an {@code Instant} reaches a year further each way. */
  private static final long FIRST_LOCAL_SECOND = LocalDateTime.MIN.toEpochSecond(ZoneOffset.UTC);
  private static final long LAST_LOCAL_SECOND = LocalDateTime.MAX.toEpochSecond(ZoneOffset.UTC);

  private Times() {}

  static String format(Instant instant) {
    if (instant.getEpochSecond() < FIRST_LOCAL_SECOND || instant.getEpochSecond() > LAST_LOCAL_SECOND) {
      return beyondLocalYears(instant);
    }
    // ofEpochSecond: ofInstant builds the offset's ZoneRules on every call
    LocalDateTime time = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), instant.getNano(), ZoneOffset.UTC);
    int year = time.getYear();
    if (year < 1000 || year > 9999) {
      return WRITE.format(time); // signs and wider years: the formatter's rules
    }
    // by hand, as the formatter writes it: a list page writes 60 to 80 times, and the formatter was a
    // tenth of the server's time
    char[] text = new char[29];
    digits(text, 0, year, 4);
    text[4] = '-';
    digits(text, 5, time.getMonthValue(), 2);
    text[7] = '-';
    digits(text, 8, time.getDayOfMonth(), 2);
    text[10] = 'T';
    digits(text, 11, time.getHour(), 2);
    text[13] = ':';
    digits(text, 14, time.getMinute(), 2);
    text[16] = ':';
    digits(text, 17, time.getSecond(), 2);
    text[19] = '.';
    digits(text, 20, time.getNano(), 9);
    return new String(text, 0, fractionEnd(text));
  }

  /** Where a text whose last nine chars are a fraction's digits ends: at least microseconds, more digits only where needed. */
  private static int fractionEnd(char[] text) {
    int end = text.length;
    while (end > text.length - 3 && text[end - 1] == '0') {
      end--;
    }
    return end;
  }

  /**
   * An instant of the year 1,000,000,000 or -1,000,000,000 (an {@code Instant}'s last and first), which
   * no {@code LocalDateTime} holds: written as the wider years are ({@code +1000000000-12-31T23:59:59.999999}),
   * from the instant's ISO text.
   */
  private static String beyondLocalYears(Instant instant) {
    String seconds = DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
    char[] text = new char[seconds.length() - 1 + 10];  // without the Z, with a point and nine digits
    seconds.getChars(0, seconds.length() - 1, text, 0);
    text[seconds.length() - 1] = '.';
    digits(text, seconds.length(), instant.getNano(), 9);
    return new String(text, 0, fractionEnd(text));
  }

  private static void digits(char[] text, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      text[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  static Instant parse(String field, String text) {
    String local = text.endsWith("Z") ? text.substring(0, text.length() - 1) : text;
    if (!yearAsWritten(local)) {
      throw refused(field, text);
    }
    try {
      return LocalDateTime.parse(local, READ).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      int t = local.indexOf('T');
      if ((local.startsWith("+") || local.startsWith("-")) && t > 0) {
        try {
          // the years beyond a LocalDateTime's, which an Instant holds; Instant.parse alone is lenient
          // (second 60, hour 24), so the time of day is judged by the same rules first
          TIME_OF_DAY.parse(local.substring(t + 1), LocalTime::from);
          return Instant.parse(local + "Z");
        } catch (DateTimeParseException beyond) {
          // refused below, as any other
        }
      }
      throw refused(field, text);
    }
  }

  private static InvalidValueException refused(String field, String text) {
    return new InvalidValueException(field, text, "must be a UTC time as the API writes it, for example "
        + "2017-04-18T01:21:52.701973");
  }

  /**
   * Whether the year is written as {@code java.time} writes it, nothing looser: 4 digits without a
   * sign; after {@code +} 5 digits or more, the first not 0; after {@code -} 4 digits or more, padded
   * with zeros to 4 only ({@code +02017} is refused: the parser's own sign style would read it).
   */
  private static boolean yearAsWritten(String local) {
    boolean signed = !local.isEmpty() && (local.charAt(0) == '+' || local.charAt(0) == '-');
    int start = signed ? 1 : 0;
    int end = start;
    while (end < local.length() && local.charAt(end) >= '0' && local.charAt(end) <= '9') {
      end++;
    }
    int digits = end - start;
    if (!signed) {
      return digits == 4;
    }
    boolean leadingZero = digits > 0 && local.charAt(start) == '0';
    return local.charAt(0) == '+' ? digits >= 5 && !leadingZero : digits == 4 || (digits > 4 && !leadingZero);
  }
}
