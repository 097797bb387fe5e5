package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.ApiStatus;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Binds the query string of the CSBS list API, {@code GET /v1/{project_id}/checkpoint_items?...}, to
 * a {@link Query} in one call, refusing anything the API would not accept.
 *
 * <pre>{@code
 * Query query = ListQueryString.parse("status=available&name=auto&sort=created_at:desc&limit=20");
 * // Query{where (name contains "auto" AND status = Available), sort created_at:desc, limit 20}
 * Page page = catalog.query(projectId, query);
 *
 * ListQueryString.parse("status=paused");
 * // InvalidValueException: status 'paused' is invalid: must be one of waiting_protect, protecting, ...
 * }</pre>
 *
 * <p>The parameters, each optional and at most once; every criterion given must hold (they are
 * ANDed):
 *
 * <table>
 *   <caption>Parameters</caption>
 *   <tr><th>parameter</th><th>meaning</th></tr>
 *   <tr><td>{@code status}</td><td>one of the nine raw statuses ({@link ApiStatus}), which selects the
 *       state it maps to: {@code protecting} selects Creating; {@code deleted} matches nothing, a
 *       deleted backup being gone</td></tr>
 *   <tr><td>{@code name}</td><td>the backup name contains it, ignoring case; taken as given,
 *       surrounding spaces included ({@link ConsoleSearch}'s keyword strips them)</td></tr>
 *   <tr><td>{@code resource_id}</td><td>the server id equals it</td></tr>
 *   <tr><td>{@code resource_name}</td><td>the server name contains it, ignoring case; taken as
 *       given, as {@code name}</td></tr>
 *   <tr><td>{@code checkpoint_id}</td><td>the backup id (an item's {@code id}) equals it, as the
 *       console's "backup ID" search means it; not the item's {@code checkpoint_id} field, the
 *       backup record id</td></tr>
 *   <tr><td>{@code start_time}, {@code end_time}</td><td>created from, up to, both inclusive; UTC
 *       without a zone, {@code 2017-04-18T01:21:52.701973}, the fraction of a second optional (1 to 9
 *       digits); the start must not be after the end</td></tr>
 *   <tr><td>{@code az}</td><td>the server's availability zone equals it</td></tr>
 *   <tr><td>{@code resource_type}</td><td>the resource type equals it, {@code OS::Nova::Server}</td></tr>
 *   <tr><td>{@code policy_id}</td><td>the backup was made by that policy</td></tr>
 *   <tr><td>{@code sort}</td><td>{@link Sort#parse} (at most 255 characters, as the API allows),
 *       {@code created_at:desc} by default; the API's {@code protected_at} key is not supported</td></tr>
 *   <tr><td>{@code limit}</td><td>1 to 1000, 1000 by default</td></tr>
 *   <tr><td>{@code marker}</td><td>the id of the last backup of the previous page</td></tr>
 *   <tr><td>{@code offset}</td><td>0 or more; not together with {@code marker}</td></tr>
 * </table>
 *
 * <p>Strict: an unknown parameter, a parameter given twice, an empty value or a bad value throws an
 * {@link InvalidValueException} whose {@link InvalidValueException#field() field} is the parameter's
 * name (a malformed pair such as {@code =x} names {@code query string}) and whose rule says what the
 * parameter accepts; for an unknown parameter, the names of the parameters above. The API's other
 * list parameters ({@code all_tenants}, {@code image_type}, {@code ip}) are not supported and are
 * refused as unknown.
 */
public final class ListQueryString {
  /**
   * The parameters the list API accepts, in the order of the table above (the criteria they give
   * are combined into one AND, whose operands {@link Predicates#and} puts in its own canonical order).
   */
  public static final List<String> PARAMETERS = List.of(
      "status", "name", "resource_id", "resource_name", "checkpoint_id", "start_time", "end_time",
      "az", "resource_type", "policy_id", "sort", "limit", "marker", "offset");

  private static final String QUERY_STRING = "query string";

  /** {@code 2017-04-18T01:21:52.701973}: no zone, the fraction 1 to 9 digits and optional. */
  private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder()
      .appendPattern("uuuu-MM-dd'T'HH:mm:ss")
      .optionalStart()
      .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
      .optionalEnd()
      .toFormatter(Locale.ROOT)
      .withResolverStyle(ResolverStyle.STRICT);

  private static final String TIME_RULE =
      "must be a UTC time without a zone, like 2017-04-18T01:21:52.701973 (fraction optional, up to 9 digits)";

  private ListQueryString() {}

  /**
   * The query of a raw query string: {@code name=value} pairs separated by {@code &}, percent-encoded
   * ({@code +} is a space), with or without a leading {@code ?}. Empty pairs ({@code a=1&&b=2}, a
   * trailing {@code &}) are skipped; the empty string is {@link Query#all()}.
   *
   * @param rawQueryString the query string of a list request, for example {@code
   *     status=available&limit=50}
   * @return the query
   * @throws InvalidValueException naming the parameter that is unknown, repeated, empty, not
   *     percent-encoded correctly or bad; or naming {@code query string} for a pair without a name or
   *     a name not percent-encoded correctly
   */
  public static Query parse(String rawQueryString) {
    requireNonNull(rawQueryString, "rawQueryString");
    String raw = rawQueryString.startsWith("?") ? rawQueryString.substring(1) : rawQueryString;
    Map<String, List<String>> parameters = new LinkedHashMap<>();
    for (String pair : raw.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      String rawName = equals < 0 ? pair : pair.substring(0, equals);
      String name = decode(QUERY_STRING, rawName, pair);
      if (name.isEmpty()) {
        throw new InvalidValueException(QUERY_STRING, pair, "must be name=value pairs separated by '&'");
      }
      String rawValue = equals < 0 ? "" : pair.substring(equals + 1);
      // an unknown name is refused as such by parse(Map), whatever its value
      String value = PARAMETERS.contains(name) ? decode(name, rawValue, rawValue) : rawValue;
      parameters.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
    return parse(parameters);
  }

  /**
   * The query of parameters already decoded, each name with the values given for it (a servlet's
   * {@code getParameterMap()} has them as arrays: {@code Arrays.asList} each).
   *
   * @param parameters each parameter name with its values
   * @return the query
   * @throws InvalidValueException naming the parameter that is unknown, has no value or several, an
   *     empty value or a bad one; or naming {@code query string} for an empty name
   */
  public static Query parse(Map<String, List<String>> parameters) {
    requireNonNull(parameters, "parameters");
    Map<String, String> values = new HashMap<>();
    for (Map.Entry<String, List<String>> entry : parameters.entrySet()) {
      String name = entry.getKey();
      List<String> given = entry.getValue();
      if (name == null || name.isEmpty()) {
        throw new InvalidValueException(QUERY_STRING, given, "must be name=value pairs; a name is empty");
      }
      if (!PARAMETERS.contains(name)) {
        throw new InvalidValueException(name, given == null || given.size() != 1 ? given : given.get(0),
            "is not a parameter of the backup list; it accepts " + String.join(", ", PARAMETERS));
      }
      if (given == null || given.isEmpty()) {
        throw new InvalidValueException(name, given, "must have a value");
      }
      if (given.size() > 1) {
        throw new InvalidValueException(name, given, "must be given at most once");
      }
      String value = given.get(0);
      if (value == null || value.isEmpty()) {
        throw new InvalidValueException(name, value, "must not be empty");
      }
      values.put(name, value);
    }
    return bind(values);
  }

  private static Query bind(Map<String, String> values) {
    List<BackupPredicate> criteria = new ArrayList<>();
    with(values, "status", text -> criteria.add(status(text)));
    with(values, "name", text -> criteria.add(Predicates.nameContains(text)));
    with(values, "resource_id", text -> criteria.add(Predicates.serverId(text)));
    with(values, "resource_name", text -> criteria.add(Predicates.serverNameContains(text)));
    with(values, "checkpoint_id", text -> criteria.add(Predicates.backupId(text)));
    Optional<Instant> start = Optional.ofNullable(values.get("start_time")).map(text -> time("start_time", text));
    Optional<Instant> end = Optional.ofNullable(values.get("end_time")).map(text -> time("end_time", text));
    if (start.isPresent() && end.isPresent() && start.get().isAfter(end.get())) {
      throw new InvalidValueException(
          "start_time", values.get("start_time"), "must not be after end_time " + values.get("end_time"));
    }
    if (start.isPresent() || end.isPresent()) {
      criteria.add(Predicates.createdIn(TimeRange.of(start.orElse(null), true, end.orElse(null), true)));
    }
    with(values, "az", text -> criteria.add(Predicates.availabilityZone(text)));
    with(values, "resource_type", text -> criteria.add(Predicates.resourceType(text)));
    with(values, "policy_id", text -> criteria.add(Predicates.policyId(text)));

    Query.Builder query = Query.builder().where(Predicates.and(criteria));
    with(values, "sort", text -> query.sort(Sort.parse(text)));
    with(values, "limit", text -> query.limit((int) number("limit", text, 1, Query.MAX_LIMIT)));
    if (values.containsKey("marker") && values.containsKey("offset")) {
      throw new InvalidValueException("marker", values.get("marker"),
          "cannot be combined with offset " + values.get("offset") + "; page by marker or by offset");
    }
    with(values, "marker", query::marker);
    with(values, "offset", text -> query.offset(number("offset", text, 0, Long.MAX_VALUE)));
    return query.build();
  }

  /**
   * Applies {@code binder} to the parameter's value if it was given; an {@link InvalidValueException}
   * of the binder is reported as one of the parameter, with the binder's rule.
   */
  private static void with(Map<String, String> values, String parameter, Consumer<String> binder) {
    String value = values.get(parameter);
    if (value == null) {
      return;
    }
    try {
      binder.accept(value);
    } catch (InvalidValueException e) {
      throw e.field().equals(parameter) ? e : new InvalidValueException(parameter, value, e.rule());
    }
  }

  private static BackupPredicate status(String text) {
    Optional<BackupStatus> state = ApiStatus.parse(text).state();
    return state.isPresent() ? Predicates.status(state.get()) : Predicates.none();
  }

  private static Instant time(String parameter, String text) {
    try {
      return LocalDateTime.parse(text, TIME).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new InvalidValueException(parameter, text, TIME_RULE);
    }
  }

  /** The value of an ASCII hex digit, or -1: {@link Character#digit} takes any script's digits too. */
  private static int hexDigit(char c) {
    return c >= '0' && c <= '9' ? c - '0'
        : c >= 'a' && c <= 'f' ? c - 'a' + 10
        : c >= 'A' && c <= 'F' ? c - 'A' + 10
        : -1;
  }

  private static long number(String parameter, String text, long min, long max) {
    String rule = max == Long.MAX_VALUE
        ? "must be a whole number, " + min + " or more"
        : "must be a whole number from " + min + " to " + max;
    if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new InvalidValueException(parameter, text, rule);
    }
    int first = 0;  // 0001 is 1, however many zeros lead
    while (first < text.length() - 1 && text.charAt(first) == '0') {
      first++;
    }
    long value;
    try {
      value = text.length() - first > 19 ? -1 : Long.parseLong(text, first, text.length(), 10);
    } catch (NumberFormatException e) {
      value = -1;  // past a long: out of every range
    }
    if (value < min || value > max) {  // min is never negative: -1 is out of range
      throw new InvalidValueException(parameter, text, rule);
    }
    return value;
  }

  private static String decode(String parameter, String encoded, String shown) {
    try {
      return decodeStrictly(encoded);
    } catch (IllegalArgumentException e) {
      throw new InvalidValueException(parameter, shown, "must be percent-encoded: '%' followed by two hex digits");
    } catch (CharacterCodingException e) {
      throw new InvalidValueException(parameter, shown, "must be percent-encoded UTF-8: its bytes are no UTF-8 text");
    }
  }

  /**
   * A parameter of a request's query string, decoded as {@link #parse(String)} decodes the list's: each
   * {@code %XX} a byte, a run of them UTF-8, {@code +} a space. For a service's other endpoints, whose
   * parameters should be refused the same way.
   *
   * <pre>{@code
   * ListQueryString.decodeParameter("offset", "20");            // "20"
   * ListQueryString.decodeParameter("name", "caf%C3%A9+db");    // "café db"
   * ListQueryString.decodeParameter("name", "%FF");             // InvalidValueException naming name: no UTF-8
   * }</pre>
   *
   * @param parameter the parameter's name, for the refusal
   * @param encoded its raw value
   * @return the decoded value
   * @throws InvalidValueException naming {@code parameter} if a {@code %} is not followed by two hex
   *     digits, or the bytes are not UTF-8 (where a lenient decoder would put U+FFFD)
   */
  public static String decodeParameter(String parameter, String encoded) {
    requireNonNull(parameter, "parameter");
    requireNonNull(encoded, "encoded");
    return decode(parameter, encoded, encoded);
  }

  private static String decodeStrictly(String encoded) throws CharacterCodingException {
    if (encoded.indexOf('%') < 0 && encoded.indexOf('+') < 0) {
      return encoded;
    }
    StringBuilder text = new StringBuilder(encoded.length());
    int i = 0;
    while (i < encoded.length()) {
      char c = encoded.charAt(i);
      if (c != '%') {
        text.append(c == '+' ? ' ' : c);
        i++;
        continue;
      }
      // a run of escapes is one byte sequence: a character's UTF-8 bytes are escaped one by one
      ByteBuffer bytes = ByteBuffer.allocate(encoded.length() / 3 + 1);
      while (i < encoded.length() && encoded.charAt(i) == '%') {
        int high = i + 2 < encoded.length() ? hexDigit(encoded.charAt(i + 1)) : -1;
        int low = high >= 0 ? hexDigit(encoded.charAt(i + 2)) : -1;
        if (low < 0) {
          throw new IllegalArgumentException("'%' not followed by two hex digits at " + i);
        }
        bytes.put((byte) (high << 4 | low));
        i += 3;
      }
      bytes.flip();
      text.append(StandardCharsets.UTF_8.newDecoder().decode(bytes));  // reports malformed bytes: no U+FFFD
    }
    return text.toString();
  }
}
