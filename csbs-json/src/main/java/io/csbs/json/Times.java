package io.csbs.json;

import io.csbs.backup.InvalidValueException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;

/**
 * The API's times: UTC without a zone and with microseconds, {@code 2017-04-18T01:21:52.701973}.
 * A time finer than a microsecond is written with as many digits as it needs (up to nine), so
 * that nothing is lost; reading accepts 0 to 9 digits and an optional {@code Z}.
 */
final class Times {
  private static final DateTimeFormatter WRITE = new DateTimeFormatterBuilder()
      .append(DateTimeFormatter.ISO_LOCAL_DATE)
      .appendLiteral('T')
      .appendValue(ChronoField.HOUR_OF_DAY, 2)
      .appendLiteral(':')
      .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
      .appendLiteral(':')
      .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
      .appendFraction(ChronoField.NANO_OF_SECOND, 6, 9, true)
      .toFormatter();

  private Times() {}

  static String format(Instant instant) {
    return WRITE.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
  }

  static Instant parse(String field, String text) {
    String local = text.endsWith("Z") ? text.substring(0, text.length() - 1) : text;
    try {
      return LocalDateTime.parse(local, DateTimeFormatter.ISO_LOCAL_DATE_TIME).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new InvalidValueException(field, text, "must be a UTC time as the API writes it, for example "
          + "2017-04-18T01:21:52.701973");
    }
  }
}
