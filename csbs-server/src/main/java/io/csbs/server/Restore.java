package io.csbs.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.csbs.backup.InvalidValueException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The body of {@code POST /v1/{project_id}/restores} and its answer (csbs-json has no restore: it is a
 * call on a backup, not a backup). Read with Jackson's streaming parser: the fields csbs needs are
 * typed and required, {@code targets} is kept as the JSON it was, and other keys are skipped.
 *
 * @param providerId {@code restore.provider_id}
 * @param checkpointId {@code restore.checkpoint_id}
 * @param checkpointItemId {@code restore.parameters.checkpoint_item_id}: the backup
 * @param powerOn {@code restore.parameters.power_on}, if given
 * @param targets {@code restore.parameters.targets} as JSON, if given
 * @param restoreTarget {@code restore.restore_target}, if given
 */
record Restore(
    String providerId,
    String checkpointId,
    String checkpointItemId,
    Optional<Boolean> powerOn,
    Optional<String> targets,
    Optional<String> restoreTarget) {

  /**
   * The restore of a request body.
   *
   * @throws InvalidValueException naming {@code body} if it is not one JSON object, or the key's path
   *     ({@code restore.parameters.checkpoint_item_id}) if it is missing or of the wrong type
   */
  static Restore read(JsonFactory factory, String body) {
    try (JsonParser json = factory.createParser(body)) {
      json.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      Restore restore = null;
      start(json, json.nextToken(), "body");
      while (json.nextToken() == JsonToken.FIELD_NAME) {
        String name = json.currentName();
        JsonToken value = json.nextToken();
        if (name.equals("restore")) {
          restore = readRestore(factory, json, value);
        } else {
          json.skipChildren();
        }
      }
      if (json.nextToken() != null) {
        throw new InvalidValueException("body", excerpt(body), "must be one JSON object; more follows it");
      }
      if (restore == null) {
        throw missing("restore");
      }
      return restore;
    } catch (JsonProcessingException e) {
      throw new InvalidValueException("body", excerpt(body), "must be JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a string does not fail
    }
  }

  private static Restore readRestore(JsonFactory factory, JsonParser json, JsonToken token) throws IOException {
    start(json, token, "restore");
    String providerId = null;
    String checkpointId = null;
    String restoreTarget = null;
    String[] parameters = null; // checkpoint_item_id, power_on, targets
    while (json.nextToken() == JsonToken.FIELD_NAME) {
      String name = json.currentName();
      JsonToken value = json.nextToken();
      switch (name) {
        case "provider_id":
          providerId = text(json, value, "restore.provider_id");
          break;
        case "checkpoint_id":
          checkpointId = text(json, value, "restore.checkpoint_id");
          break;
        case "restore_target":
          restoreTarget = text(json, value, "restore.restore_target");
          break;
        case "parameters":
          parameters = readParameters(factory, json, value);
          break;
        default:
          json.skipChildren();
      }
    }
    if (providerId == null) {
      throw missing("restore.provider_id");
    }
    if (checkpointId == null) {
      throw missing("restore.checkpoint_id");
    }
    if (parameters == null) {
      throw missing("restore.parameters");
    }
    return new Restore(providerId, checkpointId, parameters[0],
        Optional.ofNullable(parameters[1]).map(Boolean::valueOf), Optional.ofNullable(parameters[2]),
        Optional.ofNullable(restoreTarget));
  }

  private static String[] readParameters(JsonFactory factory, JsonParser json, JsonToken token) throws IOException {
    start(json, token, "restore.parameters");
    String[] parameters = new String[3];
    while (json.nextToken() == JsonToken.FIELD_NAME) {
      String name = json.currentName();
      JsonToken value = json.nextToken();
      switch (name) {
        case "checkpoint_item_id":
          parameters[0] = text(json, value, "restore.parameters.checkpoint_item_id");
          break;
        case "power_on":
          if (value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE) {
            throw new InvalidValueException("restore.parameters.power_on", json.getText(), "must be true or false");
          }
          parameters[1] = String.valueOf(json.getBooleanValue());
          break;
        case "targets":
          start(json, value, "restore.parameters.targets");
          StringWriter copy = new StringWriter();
          try (JsonGenerator out = factory.createGenerator(copy)) {
            out.copyCurrentStructure(json);
          }
          parameters[2] = copy.toString();
          break;
        default:
          json.skipChildren();
      }
    }
    if (parameters[0] == null) {
      throw missing("restore.parameters.checkpoint_item_id");
    }
    return parameters;
  }

  /**
   * The answer: {@code {"restore": {"id", "checkpoint_id", "parameters", "project_id", "provider_id",
   * "resources_reason": {}, "resources_status": {}, "restore_target"?, "status": "in_progress"}}}.
   */
  String answer(JsonFactory factory, String id, String projectId) {
    StringWriter out = new StringWriter(512);
    try (JsonGenerator json = factory.createGenerator(out)) {
      json.writeStartObject();
      json.writeObjectFieldStart("restore");
      json.writeStringField("id", id);
      json.writeStringField("checkpoint_id", checkpointId);
      json.writeObjectFieldStart("parameters");
      json.writeStringField("checkpoint_item_id", checkpointItemId);
      if (powerOn.isPresent()) {
        json.writeBooleanField("power_on", powerOn.get());
      }
      if (targets.isPresent()) {
        json.writeFieldName("targets");
        json.writeRawValue(targets.get());
      }
      json.writeEndObject();
      json.writeStringField("project_id", projectId);
      json.writeStringField("provider_id", providerId);
      json.writeObjectFieldStart("resources_reason");
      json.writeEndObject();
      json.writeObjectFieldStart("resources_status");
      json.writeEndObject();
      if (restoreTarget.isPresent()) {
        json.writeStringField("restore_target", restoreTarget.get());
      }
      json.writeStringField("status", "in_progress");
      json.writeEndObject();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  private static void start(JsonParser json, JsonToken token, String path) throws IOException {
    if (token != JsonToken.START_OBJECT) {
      throw new InvalidValueException(path, token == null ? "" : json.getText(), "must be a JSON object");
    }
  }

  private static String text(JsonParser json, JsonToken token, String path) throws IOException {
    if (token != JsonToken.VALUE_STRING || json.getText().isBlank()) {
      throw new InvalidValueException(path, token == null ? "" : json.getText(), "must be a non-blank JSON string");
    }
    return json.getText();
  }

  private static InvalidValueException missing(String path) {
    return new InvalidValueException(path, "", "is required");
  }

  private static String excerpt(String body) {
    return body.length() <= 60 ? body : body.substring(0, 60) + "...";
  }
}
