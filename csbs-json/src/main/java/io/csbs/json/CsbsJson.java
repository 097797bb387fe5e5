package io.csbs.json;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.io.SegmentedStringWriter;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.JsonGenerator;
import io.csbs.CsbsError;
import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.query.ListQueryString;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The JSON of the CSBS v1 API, read and written exactly: backups ({@code checkpoint_item}), list
 * and count responses, the tag catalogue, the tag query and its answer, tag changes, quotas and
 * storage usage; error bodies ({@code error_code}, {@code error_msg}) are written only, a server's
 * business (no reader: a client reads their two strings with any JSON reader). Immutable and
 * thread-safe: one instance serves a whole service.
 *
 * <pre>{@code
 * CsbsJson json = CsbsJson.create();
 * String body = json.checkpointItems(catalog.query(project, query), URI.create(request.uri()));
 * List<Backup> backups = json.readCheckpointItems(body, "project-1");
 * TagFilter filter = json.readTagFilter(requestBody);          // POST .../resource_instances/action
 * }</pre>
 *
 * <h2>A backup as {@code checkpoint_item}</h2>
 *
 * <p>{@code id}, {@code name}, {@code description} (when the backup has one), {@code checkpoint_id}
 * (when known), {@code status} (the raw status, {@link Backup#apiStatus()}), {@code resource_id},
 * {@code resource_type}, {@code created_at}, {@code updated_at}, {@code tags}; {@code backup_data}
 * from {@link io.csbs.backup.VmMetadata}; and in {@code extend_info}: {@code auto_trigger} (the
 * trigger), {@code support_lld} (true for an enhanced backup), {@code progress} (the job's percent;
 * 100 for Available, 0 for Error), {@code fail_op} and {@code fail_reason} (the failure, or empty),
 * {@code fail_code}, {@code resource_az}, {@code resource_name}, {@code size} (MB), {@code
 * finished_at} (once a job has finished), {@code incremental}, {@code copy_status}, {@code space_saving_ratio}, {@code
 * average_speed}, {@code supported_restore_mode}, and the fixed {@code copy_from} (empty), {@code
 * image_type} ({@code backup}) and {@code hypervisor_type} ({@code QEMU}).
 *
 * <p>The API's item has no place for four things a backup has, so csbs adds four keys to {@code
 * extend_info}, which clients of the API ignore: {@code policy_id} (when the backup has one), {@code
 * progress_updated_at} (when the progress last changed, which stall detection needs; with a
 * progress), {@code failed_at} (with a failure) and {@code version} (always; for optimistic
 * concurrency). With them, writing a backup and reading it back gives an equal
 * backup. The project is not in the item (the API takes it from the path), so readers name it.
 *
 * <p>An item must hold {@code id}, {@code name}, {@code status}, {@code created_at}, {@code
 * resource_id}, and in {@code extend_info} the server's {@code resource_name} and {@code
 * resource_az}: a backup has a server, so an item without them (as the API's tag query example
 * shows one) is refused naming the missing key's path ({@code
 * checkpoint_item.extend_info.resource_name}); every other key is optional.
 *
 * <p>Reading accepts the API's own bodies: the four keys are optional (the version is then 1, the
 * times of the progress and the failure the update time); numbers may be JSON strings of digits;
 * {@code copy_status}, {@code supported_restore_mode}, {@code finished_at}, {@code fail_reason},
 * {@code policy_id} and {@code checkpoint_id} may be empty (absent); a tag of an item without a
 * {@code value} has the empty value; unknown keys ({@code volume_backups}, {@code os_images_data},
 * {@code taskid}, ...) are ignored; an Error backup without a reason gets {@code "no reason reported"}. A key that
 * repeats in an object, a value of the wrong type, or a value that breaks a rule of the backup is
 * refused with an {@link InvalidValueException} naming the key's path ({@code
 * checkpoint_item.extend_info.progress}), whatever the state: a {@code progress} of {@code true} is
 * refused on an Available backup too, although only intermediate states keep one. A whole number
 * may also be written with a fraction or an exponent if its value is whole ({@code 100.0}, {@code
 * 1e2}); any other number, however large its exponent, is refused at once.
 *
 * <p>Every body, unknown keys included, is parsed within the JSON parser's bounds: at most 1000
 * nesting levels, numbers of at most 1000 digits, strings of at most 20,000,000 chars and key names
 * of at most 50,000; a body beyond them is refused naming {@code body} (before any key is read), as
 * is a body that is not JSON.
 *
 * <p>Times are UTC without a zone, with microseconds: {@code 2017-04-18T01:21:52.701973} (a finer
 * time keeps the digits it needs, up to nine; a year before 1000 or after 9999 is written as
 * {@code java.time} writes it, {@code 0999-...}, {@code +10000-...}, {@code -0001-...}). Readers
 * accept 0 to 9 digits of fraction and a trailing {@code Z}, and nothing looser: seconds are
 * required, a point needs digits, the {@code T} is upper case, second 60 and hour 24 are refused.
 */
public final class CsbsJson {
  private final JsonFactory factory;

  private CsbsJson(JsonFactory factory) {
    this.factory = factory;
  }

  /** {@return a reader and writer of the API's JSON} */
  public static CsbsJson create() {
    return new CsbsJson(JsonFactory.builder().build());
  }

  // ---------------------------------------------------------------- backups

  /**
   * The details response of one backup, {@code {"checkpoint_item": {...}}}.
   *
   * @param backup the backup
   * @return the JSON
   */
  public String checkpointItem(Backup backup) {
    requireNonNull(backup, "backup");
    return write(json -> {
      json.writeFieldName("checkpoint_item");
      CheckpointItems.write(json, backup);
    });
  }

  /**
   * The list response of a page: {@code {"checkpoint_items": [...]}}, and when more backups follow,
   * {@code "checkpoint_items_links": [{"href": ..., "rel": "next"}]}, whose {@code href} is {@code
   * request} with {@code marker} set to the page's last backup (and any {@code offset} and fragment
   * removed). An id holding half of a surrogate pair alone has no UTF-8 form, so no URL can carry
   * it: its marker is written with {@code %3F} ({@code ?}) in the half's place.
   *
   * <pre>{@code
   * json.checkpointItems(page, URI.create("/v1/p1/checkpoint_items?status=available&limit=20"));
   * // ..."href":"/v1/p1/checkpoint_items?status=available&limit=20&marker=<id of the 20th>","rel":"next"
   * }</pre>
   *
   * @param page the page
   * @param request the URI of the list request the page answers
   * @return the JSON
   */
  public String checkpointItems(Page page, URI request) {
    requireNonNull(page, "page");
    requireNonNull(request, "request");
    return write(json -> {
      json.writeArrayFieldStart("checkpoint_items");
      for (Backup backup : page.backups()) {
        CheckpointItems.write(json, backup);
      }
      json.writeEndArray();
      Optional<String> marker = page.nextMarker();
      if (marker.isPresent()) {
        json.writeArrayFieldStart("checkpoint_items_links");
        json.writeStartObject();
        json.writeStringField("href", nextHref(request, marker.get()));
        json.writeStringField("rel", "next");
        json.writeEndObject();
        json.writeEndArray();
      }
    });
  }

  /**
   * The count response, {@code {"count": 42}}.
   *
   * @param count the number of backups, 0 or more
   * @return the JSON
   * @throws InvalidValueException naming {@code count} if it is negative
   */
  public String count(long count) {
    requireNotNegative("count", count);
    return write(json -> json.writeNumberField("count", count));
  }

  /**
   * The backup of a details response ({@code {"checkpoint_item": {...}}}) or of a bare item.
   *
   * @param json the JSON
   * @param projectId the project the backup belongs to (the API's path names it)
   * @return the backup
   * @throws InvalidValueException naming the key's path if the JSON or a value is invalid
   */
  public Backup readCheckpointItem(String json, String projectId) {
    requireNonNull(json, "json");
    requireNonNull(projectId, "projectId");
    Node body = Node.parse(factory, json);
    // a null checkpoint_item is refused as itself, not read as a bare item without a status
    return CheckpointItems.read(body.contains("checkpoint_item") ? body.object("checkpoint_item") : body, projectId);
  }

  /**
   * The backups of a list response, in its order.
   *
   * @param json the JSON, {@code {"checkpoint_items": [...]}}
   * @param projectId the project the backups belong to
   * @return the backups
   * @throws InvalidValueException naming the key's path if the JSON or a value is invalid, or naming
   *     {@code checkpoint_items} if the body has none (an error body, for example)
   */
  public List<Backup> readCheckpointItems(String json, String projectId) {
    requireNonNull(json, "json");
    requireNonNull(projectId, "projectId");
    Node body = Node.parse(factory, json);
    List<Object> items = body.requiredList("checkpoint_items");
    List<Backup> backups = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      backups.add(CheckpointItems.read(body.element("checkpoint_items", items, i), projectId));
    }
    return backups;
  }

  /**
   * The marker of a list response's {@code next} link, if it has one.
   *
   * @param json the JSON of a list response
   * @return the value of {@code marker} in the next link's {@code href}
   * @throws InvalidValueException naming the key's path if the JSON is invalid
   */
  public Optional<String> readNextMarker(String json) {
    requireNonNull(json, "json");
    Node body = Node.parse(factory, json);
    List<Object> links = body.list("checkpoint_items_links");
    for (int i = 0; i < links.size(); i++) {
      Node link = body.element("checkpoint_items_links", links, i);
      if (link.text("rel", "").equals("next")) {
        String href = link.text("href");
        try {
          String query = Optional.ofNullable(new URI(href).getRawQuery()).orElse("");
          for (String parameter : query.split("&")) {
            int equals = parameter.indexOf('=');
            // the name decoded too, as the list's parser decodes it (%6Darker is marker)
            if (equals > 0 && ListQueryString.decodeParameter("marker", parameter.substring(0, equals)).equals("marker")) {
              return Optional.of(ListQueryString.decodeParameter("marker", parameter.substring(equals + 1)));
            }
          }
        } catch (URISyntaxException | InvalidValueException e) {
          throw new InvalidValueException(link.pathOf("href"), href, "must be a URI whose marker is percent-encoded UTF-8");
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The number of a count response, {@code {"count": 42}}.
   *
   * @param json the JSON
   * @return the count
   * @throws InvalidValueException naming {@code count} if it is missing or not a whole number of 0 or more
   */
  public long readCount(String json) {
    requireNonNull(json, "json");
    return Node.parse(factory, json).integer("count", 0, Long.MAX_VALUE);
  }

  // ---------------------------------------------------------------- tags

  /**
   * The project's tag catalogue, {@code {"tags": [{"key": "env", "values": ["prod", "test"]}]}},
   * keys and values sorted.
   *
   * @param tags the tag catalogue
   * @return the JSON
   */
  public String tagCatalogue(TagCatalogue tags) {
    requireNonNull(tags, "tags");
    return write(json -> {
      json.writeArrayFieldStart("tags");
      for (String key : tags.keys()) {
        json.writeStartObject();
        json.writeStringField("key", key);
        json.writeArrayFieldStart("values");
        for (String value : tags.values(key)) {
          json.writeString(value);
        }
        json.writeEndArray();
        json.writeEndObject();
      }
      json.writeEndArray();
    });
  }

  /**
   * The tags of one backup, as {@code GET .../csbs_backup/{id}/tags} answers: {@code {"tags":
   * [{"key": "env", "value": "prod"}]}}, in the backup's order.
   *
   * @param tags the backup's tags
   * @return the JSON
   * @throws NullPointerException naming the index ({@code tags[2]}) if the list holds a null
   */
  public String tags(List<Tag> tags) {
    requireNonNull(tags, "tags");
    for (int i = 0; i < tags.size(); i++) {
      if (tags.get(i) == null) {
        throw new NullPointerException("tags[" + i + "]");
      }
    }
    return write(json -> CheckpointItems.writeTags(json, "tags", tags));
  }

  /**
   * The body of the tag query, {@code POST /v1/{project_id}/csbs_backup/resource_instances/action}:
   * {@code tags}, {@code tags_any}, {@code not_tags}, {@code not_tags_any} (lists of {@code {"key",
   * "values"}}; an entry whose {@code values} is absent, null or empty matches any value of its key,
   * so a misspelt {@code "value"} widens the query), {@code matches} ({@code [{"key": "resource_name", "value": ...}]}), {@code action},
   * {@code limit} and {@code offset} (numbers or, as the API's examples write them, strings). Only
   * {@code action} is required ({@code filter} or {@code count}, as the API requires it; {@link
   * TagFilter}'s default applies to filters built in Java); the others are optional. Where csbs
   * differs from the API's reference: a group's empty list ({@code "tags": []}) is no criterion, as
   * an absent one (the reference forbids it); keys and values follow the rules of stored tags (36
   * and 43 characters), not the reference's 127 and 255, since a longer one could match no backup;
   * a {@code matches} value must not be blank (the reference's empty value for an exact match is not
   * supported).
   *
   * @param json the JSON
   * @return the filter
   * @throws InvalidValueException naming the key's path or the filter's rule if the JSON is invalid
   */
  public TagFilter readTagFilter(String json) {
    requireNonNull(json, "json");
    Node body = Node.parse(factory, json);
    TagFilter.Builder filter = TagFilter.builder();
    readGroup(body, "tags", filter::tags);
    readGroup(body, "tags_any", filter::tagsAny);
    readGroup(body, "not_tags", filter::notTags);
    readGroup(body, "not_tags_any", filter::notTagsAny);
    List<Object> matches = body.list("matches");
    for (int i = 0; i < matches.size(); i++) {
      Node match = body.element("matches", matches, i);
      filter.matches(match.text("key"), match.text("value"));
    }
    filter.action(TagFilter.Action.parse(body.text("action")));
    // the filter's own ranges, so that a number past Java's says the API's rule
    if (body.has("limit")) {
      filter.limit((int) body.integer("limit", 1, Query.MAX_LIMIT));
    }
    if (body.has("offset")) {
      filter.offset(body.integer("offset", 0, Long.MAX_VALUE));
    }
    return filter.build();
  }

  private static void readGroup(Node body, String name, BiConsumer<String, List<String>> add) {
    List<Object> group = body.list(name);
    for (int i = 0; i < group.size(); i++) {
      Node entry = body.element(name, group, i);
      List<Object> raw = entry.list("values");
      List<String> values = new ArrayList<>(raw.size());
      for (int v = 0; v < raw.size(); v++) {
        if (!(raw.get(v) instanceof String)) {
          throw new InvalidValueException(entry.path() + ".values[" + v + "]", raw.get(v), "must be a JSON string");
        }
        values.add((String) raw.get(v));
      }
      try {
        add.accept(entry.text("key"), values);
      } catch (InvalidValueException e) {
        throw CheckpointItems.renamedToItsKey(e, entry, "values");
      }
    }
  }

  /**
   * The answer of a tag query with action {@code filter}: {@code {"resources": [{"resource_id",
   * "resource_name", "resource_detail": {checkpoint_item}, "tags"}], "total_count": N}}.
   *
   * @param page the page of matches, with its total
   * @return the JSON
   */
  public String tagQueryResult(Page page) {
    requireNonNull(page, "page");
    return write(json -> {
      json.writeArrayFieldStart("resources");
      for (Backup backup : page.backups()) {
        json.writeStartObject();
        json.writeStringField("resource_id", backup.id());
        json.writeStringField("resource_name", backup.name());
        json.writeFieldName("resource_detail");
        CheckpointItems.write(json, backup);
        CheckpointItems.writeTags(json, "tags", backup.tags());
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeNumberField("total_count", page.total());
    });
  }

  /**
   * The answer of a tag query with action {@code count}, {@code {"total_count": N}}.
   *
   * @param count the number of matches, 0 or more
   * @return the JSON
   * @throws InvalidValueException naming {@code count} if it is negative
   */
  public String tagQueryCount(long count) {
    requireNotNegative("count", count);
    return write(json -> json.writeNumberField("total_count", count));
  }

  /**
   * The body of {@code POST .../tags/action}: {@code {"action": "create", "tags": [{"key",
   * "value"}]}} or {@code {"action": "delete", "tags": [{"key"}, {"key", "value"}]}}.
   *
   * @param json the JSON
   * @return the update
   * @throws InvalidValueException naming the key's path or the rule if the JSON is invalid
   */
  public TagUpdate readTagUpdate(String json) {
    requireNonNull(json, "json");
    Node body = Node.parse(factory, json);
    TagUpdate.Action action = TagUpdate.Action.parse(body.text("action"));
    List<Object> tags = body.list("tags");
    if (action == TagUpdate.Action.CREATE) {
      List<Tag> created = new ArrayList<>();
      for (int i = 0; i < tags.size(); i++) {
        Node tag = body.element("tags", tags, i);
        created.add(tagOf(tag));
      }
      return TagUpdate.create(created);
    }
    List<TagUpdate.Match> matches = new ArrayList<>();
    for (int i = 0; i < tags.size(); i++) {
      Node tag = body.element("tags", tags, i);
      try {
        matches.add(tag.has("value") ? TagUpdate.Match.of(tag.text("key"), tag.text("value"))
            : TagUpdate.Match.key(tag.text("key")));
      } catch (InvalidValueException e) {
        throw CheckpointItems.renamedToItsKey(e, tag, "value");
      }
    }
    return TagUpdate.delete(matches);
  }

  /**
   * The body of {@code POST .../tags}, which adds one tag (or sets its value): {@code {"tag":
   * {"key": "env", "value": "prod"}}}.
   *
   * @param json the JSON
   * @return the update that creates the tag
   * @throws InvalidValueException naming the key's path or the tag's rule if the JSON is invalid
   */
  public TagUpdate readTag(String json) {
    requireNonNull(json, "json");
    Node tag = Node.parse(factory, json).object("tag");
    return TagUpdate.create(tagOf(tag));
  }

  /** The tag of {@code {"key", "value"}}, a refusal naming the key's path ({@code tags[1].value}). */
  private static Tag tagOf(Node tag) {
    try {
      return Tag.of(tag.text("key"), tag.text("value"));
    } catch (InvalidValueException e) {
      throw CheckpointItems.renamedToItsKey(e, tag, "value");
    }
  }

  private static void requireNotNegative(String parameter, long count) {
    if (count < 0) {
      throw new InvalidValueException(parameter, count, "must not be negative");
    }
  }

  // ---------------------------------------------------------------- restore

  /**
   * The body of the restore call, {@code POST /v1/{project_id}/restores}: the provider, the
   * checkpoint and, in {@code parameters}, the backup ({@code checkpoint_item_id}), and {@code
   * power_on}, {@code targets} and {@code restore_target} if given; other keys are ignored.
   *
   * @param json the JSON
   * @return the request
   * @throws InvalidValueException naming {@code body} if it is not one JSON object, or the key's path
   *     ({@code restore.parameters.checkpoint_item_id}) if it is missing, blank or of the wrong type
   */
  public RestoreRequest readRestore(String json) {
    requireNonNull(json, "json");
    Node restore = Node.parse(factory, json).object("restore");
    Node parameters = restore.object("parameters");
    Optional<String> targets = Optional.empty();
    if (parameters.has("targets")) {
      Node target = parameters.object("targets");
      targets = Optional.of(write(out -> target.writeMembers(out)));
    }
    return new RestoreRequest(
        nonBlank(restore, "provider_id"),
        nonBlank(restore, "checkpoint_id"),
        nonBlank(parameters, "checkpoint_item_id"),
        parameters.has("power_on") ? Optional.of(parameters.bool("power_on", false)) : Optional.empty(),
        targets,
        restore.has("restore_target") ? Optional.of(nonBlank(restore, "restore_target")) : Optional.empty());
  }

  private static String nonBlank(Node node, String key) {
    String text = node.text(key);
    if (text.isBlank()) {
      throw new InvalidValueException(node.pathOf(key), text,
          "must be a non-blank JSON string");
    }
    return text;
  }

  /**
   * The answer of an accepted restore: {@code {"restore": {"id", "checkpoint_id", "parameters",
   * "project_id", "provider_id", "resources_reason": {}, "resources_status": {}, "restore_target"?,
   * "status": "in_progress"}}}.
   *
   * @param restore the request
   * @param restoreId the id given to the restore
   * @param projectId the project
   * @return the JSON
   */
  public String restoreAccepted(RestoreRequest restore, String restoreId, String projectId) {
    requireNonNull(restore, "restore");
    requireNonNull(restoreId, "restoreId");
    requireNonNull(projectId, "projectId");
    return write(json -> {
      json.writeObjectFieldStart("restore");
      json.writeStringField("id", restoreId);
      json.writeStringField("checkpoint_id", restore.checkpointId());
      json.writeObjectFieldStart("parameters");
      json.writeStringField("checkpoint_item_id", restore.checkpointItemId());
      if (restore.powerOn().isPresent()) {
        json.writeBooleanField("power_on", restore.powerOn().get());
      }
      if (restore.targetsJson().isPresent()) {
        json.writeFieldName("targets");
        json.writeRawValue(restore.targetsJson().get());
      }
      json.writeEndObject();
      json.writeStringField("project_id", projectId);
      json.writeStringField("provider_id", restore.providerId());
      json.writeObjectFieldStart("resources_reason");
      json.writeEndObject();
      json.writeObjectFieldStart("resources_status");
      json.writeEndObject();
      if (restore.restoreTarget().isPresent()) {
        json.writeStringField("restore_target", restore.restoreTarget().get());
      }
      json.writeStringField("status", "in_progress");
      json.writeEndObject();
    });
  }

  // ---------------------------------------------------------------- quotas, usage, errors

  /**
   * The quota response: {@code {"quotas": {"resources": [{"type": "backups", "quota", "used"},
   * {"type": "backup_capacity", "unit": "GB", "quota", "used"}]}}}; -1 is no limit, and the capacity
   * used is in GB with two decimals, as the usage dialog shows it.
   *
   * @param usage the project's quotas and what it uses
   * @return the JSON
   */
  public String quotas(QuotaUsage usage) {
    requireNonNull(usage, "usage");
    return write(json -> {
      json.writeObjectFieldStart("quotas");
      json.writeArrayFieldStart("resources");
      json.writeStartObject();
      json.writeStringField("type", "backups");
      json.writeNumberField("quota", usage.quota().maxBackups());
      json.writeNumberField("used", usage.backupsUsed());
      json.writeEndObject();
      json.writeStartObject();
      json.writeStringField("type", "backup_capacity");
      json.writeStringField("unit", "GB");
      json.writeNumberField("quota", usage.quota().maxCapacityGb());
      json.writeNumberField("used", usage.capacityUsedGb());
      json.writeEndObject();
      json.writeEndArray();
      json.writeEndObject();
    });
  }

  /**
   * Storage usage per server in CBR's shape: {@code {"storage_usage": [{"resource_id",
   * "resource_name", "resource_type", "backup_count", "backup_size"}], "resource_count": N}}, the
   * servers of the report in its order (largest first), {@code backup_size} in MB as the API's sizes
   * are, and {@code resource_count} the number of servers with backups.
   *
   * @param report the usage report
   * @return the JSON
   */
  public String storageUsage(UsageReport report) {
    requireNonNull(report, "report");
    return write(json -> {
      json.writeArrayFieldStart("storage_usage");
      for (ServerUsage server : report.servers()) {
        json.writeStartObject();
        json.writeStringField("resource_id", server.serverId());
        json.writeStringField("resource_name", server.serverName());
        json.writeStringField("resource_type", io.csbs.backup.Server.NOVA_SERVER);
        json.writeNumberField("backup_count", server.backups());
        json.writeNumberField("backup_size", server.sizeMb());
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeNumberField("resource_count", report.serverCount());
    });
  }

  /**
   * The API's error body, {@code {"error_code": "CSBS.2003", "error_msg": "..."}}, for a refusal
   * of the library: its {@link io.csbs.ErrorCode} and its message (empty for an exception without
   * one; for a {@code CsbsError} that is not an exception, its {@code toString()}).
   *
   * @param error the refusal, an exception of the library
   * @return the JSON
   * @throws NullPointerException naming {@code error.code()} if the error has no code
   */
  public String error(CsbsError error) {
    requireNonNull(error, "error");
    requireNonNull(error.code(), "error.code()");
    String message = error instanceof Throwable
        ? java.util.Objects.requireNonNullElse(((Throwable) error).getMessage(), "")
        : error.toString();
    return error(error.code().code(), message);
  }

  /**
   * An error body with the given code and message, {@code {"error_code": ..., "error_msg": ...}}.
   *
   * @param code the code, for example {@code CSBS.9001}
   * @param message the message
   * @return the JSON
   */
  public String error(String code, String message) {
    requireNonNull(code, "code");
    requireNonNull(message, "message");
    return write(json -> {
      json.writeStringField("error_code", code);
      json.writeStringField("error_msg", message);
    });
  }

  // ---------------------------------------------------------------- plumbing

  private interface Members {
    void write(JsonGenerator json) throws IOException;
  }

  /** One JSON object with the members {@code members} writes. */
  private String write(Members members) {
    // Jackson's own writer of strings (as ObjectMapper.writeValueAsString uses): recycled segments, no
    // locking, where a StringWriter's StringBuffer took a fifth of the time of writing a list page
    BufferRecycler buffers = factory._getBufferRecycler();
    try {
      SegmentedStringWriter out = new SegmentedStringWriter(buffers);
      try (JsonGenerator json = factory.createGenerator(out)) {
        json.writeStartObject();
        members.write(json);
        json.writeEndObject();
      }
      return escapeHalfPairs(out.getAndClear());
    } catch (IOException e) {
      throw new UncheckedIOException(e);  // a writer of strings does not fail
    } finally {
      buffers.releaseToPool();
    }
  }

  /**
   * {@code json} with each half of a surrogate pair that stands alone written as its escape ({@code
   * \u005CuD83D}), which JSON allows and reads back as the same char. Jackson writes a string's chars as
   * they are, and a lone half has no UTF-8 form: written to bytes (as a server sends the text) it
   * became {@code '?'}, a value other than the one written. Such halves stand only inside strings,
   * the only place JSON text holds other than ASCII.
   */
  static String escapeHalfPairs(String json) {
    int first = firstHalfPair(json, 0);
    if (first < 0) {
      return json;
    }
    StringBuilder escaped = new StringBuilder(json.length() + 16).append(json, 0, first);
    for (int at = first; at >= 0; ) {
      escaped.append(String.format(Locale.ROOT, "\\u%04X", (int) json.charAt(at)));
      int next = firstHalfPair(json, at + 1);
      escaped.append(json, at + 1, next < 0 ? json.length() : next);
      at = next;
    }
    return escaped.toString();
  }

  /** The index of the first char at or after {@code from} that is half of a surrogate pair alone, or -1. */
  private static int firstHalfPair(String text, int from) {
    for (int i = from, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;  // a whole pair: one letter outside the Basic Multilingual Plane
        } else {
          return i;
        }
      }
    }
    return -1;
  }

  /** {@code request} with {@code marker} set to {@code marker} and without {@code offset}. */
  static String nextHref(URI request, String marker) {
    String query = request.getRawQuery();
    StringBuilder kept = new StringBuilder();
    if (query != null) {
      for (String parameter : query.split("&")) {
        String name = parameterName(parameter);
        if (parameter.isEmpty() || name.equals("marker") || name.equals("offset")) {
          continue;
        }
        kept.append(kept.length() == 0 ? "" : "&").append(parameter);
      }
    }
    kept.append(kept.length() == 0 ? "" : "&").append("marker=").append(URLEncoder.encode(marker, StandardCharsets.UTF_8));
    String base = request.toString();
    int hash = base.indexOf('#');  // a '?' after it is the fragment's: the fragment goes, the server never sees it
    String withoutFragment = hash >= 0 ? base.substring(0, hash) : base;
    int cut = withoutFragment.indexOf('?');
    return (cut >= 0 ? withoutFragment.substring(0, cut) : withoutFragment) + "?" + kept;
  }

  /**
   * The decoded name of a raw {@code name=value} parameter, as the list's parser reads it ({@code
   * %6Darker} is {@code marker}); the raw name if it does not decode (the parser refused such a
   * request, so it names no parameter of the link).
   */
  private static String parameterName(String parameter) {
    int equals = parameter.indexOf('=');
    String raw = equals < 0 ? parameter : parameter.substring(0, equals);
    try {
      return ListQueryString.decodeParameter("parameter name", raw);
    } catch (InvalidValueException notUtf8) {
      return raw;
    }
  }
}
