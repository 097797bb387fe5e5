package io.csbs.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.csbs.backup.InvalidValueException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A JSON object read from a body, with its path for messages ({@code checkpoint_item.extend_info}),
 * and typed reads of its members that refuse a wrong type with an {@link InvalidValueException}
 * naming the member's path. Values are {@code Map}, {@code List}, {@code String}, {@link JsonNumber},
 * {@code Boolean} or null, as {@link #parse} reads them.
 */
final class Node {
  private final String path;
  private final Map<String, Object> members;

  private Node(String path, Map<String, Object> members) {
    this.path = path;
    this.members = members;
  }

  /** The JSON object of {@code body}; refuses anything else, and keys that repeat. */
  static Node parse(JsonFactory factory, String body) {
    try (JsonParser parser = factory.createParser(body)) {
      Object value = read(parser, parser.nextToken(), "body");
      if (parser.nextToken() != null) {
        throw new InvalidValueException("body", excerpt(body), "must be one JSON value; more follows it");
      }
      return object("body", value);
    } catch (JsonProcessingException e) {
      throw new InvalidValueException("body", excerpt(body), "must be JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);  // a string does not fail
    }
  }

  private static Object read(JsonParser parser, JsonToken token, String path) throws IOException {
    if (token == null) {
      throw new InvalidValueException("body", "", "must be JSON: it is empty");
    }
    switch (token) {
      case START_OBJECT: {
        Map<String, Object> members = new LinkedHashMap<>();
        for (JsonToken next = parser.nextToken(); next != JsonToken.END_OBJECT; next = parser.nextToken()) {
          String name = parser.currentName();
          String memberPath = path.equals("body") ? name : path + "." + name;
          Object value = read(parser, parser.nextToken(), memberPath);
          if (members.containsKey(name)) {
            throw new InvalidValueException(memberPath, value, "must appear once in its object");
          }
          members.put(name, value);
        }
        return members;
      }
      case START_ARRAY: {
        List<Object> elements = new ArrayList<>();
        for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
          elements.add(read(parser, next, path + "[" + elements.size() + "]"));
        }
        return elements;
      }
      case VALUE_STRING:
        return parser.getText();
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        // as text: a value is judged only where a reader needs it (1e2147483648 in an ignored key is no
        // error), and never expanded (1e9999999 has ten million digits)
        return new JsonNumber(parser.getText());
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new InvalidValueException(path, token, "is not a JSON value");
    }
  }

  @SuppressWarnings("unchecked")
  static Node object(String path, Object value) {
    if (!(value instanceof Map)) {
      throw new InvalidValueException(path, describe(value), "must be a JSON object");
    }
    return new Node(path, (Map<String, Object>) value);
  }

  String path() {
    return path;
  }

  boolean has(String key) {
    return members.get(key) != null;
  }

  /** Whether the object has the key {@code key}, null or not. */
  boolean contains(String key) {
    return members.containsKey(key);
  }

  /** The path of the member {@code key}: the key alone in the body itself, as a reader names it. */
  String pathOf(String key) {
    return path.equals("body") ? key : path + "." + key;
  }

  /** The object member {@code key}; refused when absent. */
  Node object(String key) {
    return object(pathOf(key), required(key));
  }

  /** The object member {@code key}, if present and not null. */
  Optional<Node> optionalObject(String key) {
    return has(key) ? Optional.of(object(key)) : Optional.empty();
  }

  /** The array member {@code key}; refused when absent or null. */
  List<Object> requiredList(String key) {
    required(key);
    return list(key);
  }

  /** The array member {@code key}; empty when absent or null. */
  @SuppressWarnings("unchecked")
  List<Object> list(String key) {
    Object value = members.get(key);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List)) {
      throw new InvalidValueException(pathOf(key), describe(value), "must be a JSON array");
    }
    return (List<Object>) value;
  }

  /** The i-th element of {@code list(key)} as an object. */
  Node element(String key, List<Object> list, int i) {
    return object(pathOf(key) + "[" + i + "]", list.get(i));
  }

  String text(String key) {
    Object value = required(key);
    if (!(value instanceof String)) {
      throw new InvalidValueException(pathOf(key), describe(value), "must be a JSON string");
    }
    return (String) value;
  }

  /** The string member {@code key}; empty when absent, null, or the empty string. */
  Optional<String> optionalText(String key) {
    if (!has(key)) {
      return Optional.empty();
    }
    String text = text(key);
    return text.isEmpty() ? Optional.empty() : Optional.of(text);
  }

  String text(String key, String absent) {
    return has(key) ? text(key) : absent;
  }

  /**
   * A whole number, written as a JSON number (a fraction or an exponent allowed if the value is
   * whole: {@code 100.0}, {@code 1e2}) or, as some API bodies do, as a string of digits (an optional
   * minus, then digits only: no sign, space, point or exponent).
   */
  long integer(String key, long min, long max) {
    Object value = required(key);
    String text = value instanceof JsonNumber ? ((JsonNumber) value).text()
        : value instanceof String && isDigits((String) value) ? (String) value : null;
    BigDecimal number;
    try {
      number = text == null ? null : new BigDecimal(text);
    } catch (NumberFormatException e) {  // an exponent past an int's
      number = null;
    }
    if (number == null) {
      throw new InvalidValueException(pathOf(key), describe(value), "must be a whole number");
    }
    // the range first: comparing reads the exponents, where making the whole number of 1e9999999 took minutes
    if (number.compareTo(BigDecimal.valueOf(min)) < 0 || number.compareTo(BigDecimal.valueOf(max)) > 0) {
      throw new InvalidValueException(pathOf(key), text, "must be " + min + " to " + max);
    }
    BigDecimal whole = number.stripTrailingZeros();  // of at most Jackson's 1,000 digits
    if (whole.scale() > 0) {
      throw new InvalidValueException(pathOf(key), text, "must be a whole number");
    }
    return whole.longValueExact();
  }

  /** A JSON number as it was written. */
  record JsonNumber(String text) {
    @Override
    public String toString() {
      return text;
    }
  }

  /** Whether {@code text} is digits, after an optional minus: a number the API writes as a string. */
  private static boolean isDigits(String text) {
    int start = text.startsWith("-") ? 1 : 0;
    if (text.length() == start) {
      return false;
    }
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  long integer(String key, long min, long max, long absent) {
    return has(key) ? integer(key, min, max) : absent;
  }

  boolean bool(String key, boolean absent) {
    if (!has(key)) {
      return absent;
    }
    Object value = members.get(key);
    if (!(value instanceof Boolean)) {
      throw new InvalidValueException(pathOf(key), describe(value), "must be true or false");
    }
    return (Boolean) value;
  }

  Instant time(String key) {
    return Times.parse(pathOf(key), text(key));
  }

  /** The time member {@code key}; empty when absent, null or the empty string. */
  Optional<Instant> optionalTime(String key) {
    return optionalText(key).map(text -> Times.parse(pathOf(key), text));
  }

  /** Writes this object's members, as they were read, into the object {@code json} is writing. */
  void writeMembers(JsonGenerator json) throws IOException {
    for (Map.Entry<String, Object> member : members.entrySet()) {
      json.writeFieldName(member.getKey());
      writeValue(json, member.getValue());
    }
  }

  @SuppressWarnings("unchecked")
  private static void writeValue(JsonGenerator json, Object value) throws IOException {
    if (value instanceof Map) {
      json.writeStartObject();
      for (Map.Entry<String, Object> member : ((Map<String, Object>) value).entrySet()) {
        json.writeFieldName(member.getKey());
        writeValue(json, member.getValue());
      }
      json.writeEndObject();
    } else if (value instanceof List) {
      json.writeStartArray();
      for (Object element : (List<Object>) value) {
        writeValue(json, element);
      }
      json.writeEndArray();
    } else if (value instanceof String) {
      json.writeString((String) value);
    } else if (value instanceof JsonNumber) {
      json.writeNumber(((JsonNumber) value).text());
    } else if (value instanceof Boolean) {
      json.writeBoolean((Boolean) value);
    } else {
      json.writeNull();
    }
  }

  private Object required(String key) {
    Object value = members.get(key);
    if (value == null) {
      throw new InvalidValueException(pathOf(key), null, "is required");
    }
    return value;
  }

  private static Object describe(Object value) {
    return value instanceof Map ? "an object" : value instanceof List ? "an array" : value;
  }

  private static String excerpt(String body) {
    return body.length() <= 80 ? body : body.substring(0, 80) + "...";
  }
}
