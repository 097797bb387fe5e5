package io.csbs.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.csbs.CsbsError;
import io.csbs.ErrorCode;
import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.VersionConflictException;
import io.csbs.json.CsbsJson;
import io.csbs.json.RestoreRequest;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.Transition;
import io.csbs.query.ListQueryString;
import io.csbs.query.Predicates;
import io.csbs.query.TagFilter;
import io.csbs.usage.UsageQuery;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The endpoints of {@link CsbsServer}: routes {@code /v1/{project_id}/...} to the catalog, and every
 * answer and refusal to the API's JSON.
 */
final class Api implements HttpHandler {
  private static final System.Logger LOG = System.getLogger(CsbsServer.class.getName());
  private static final String JSON_TYPE = "application/json; charset=utf-8";
  /** The largest request body read: a tag query or a restore is a few hundred bytes. */
  static final int MAX_BODY = 1 << 20;
  /** How many times a change is tried on the backup's current version while other writers change it. */
  static final int ATTEMPTS = 10;
  /** How long, in all, one call's retries after version conflicts wait for the catalog to show the newer version. */
  static final long CATCH_UP_MILLIS = 1_000;

  /** The list's filters, which the count takes; the rest of the list's parameters page and sort. */
  private static final List<String> FILTERS = ListQueryString.PARAMETERS.stream()
      .filter(name -> !List.of("sort", "limit", "marker", "offset").contains(name))
      .toList();

  private final BackupCatalog catalog;
  private final URI base;
  private final CsbsJson json = CsbsJson.create();
  private final List<Route> routes = List.of(
      new Route("GET", "checkpoint_items", this::list),
      new Route("GET", "checkpoint_items/count", this::count),
      new Route("GET", "checkpoint_items/*", this::details),
      new Route("GET", "csbs_backup/tags", this::tagCatalogue),
      new Route("POST", "csbs_backup/resource_instances/action", this::tagQuery),
      new Route("GET", "csbs_backup/*/tags", this::tagsOfBackup),
      new Route("POST", "csbs_backup/*/tags", this::addTag),
      new Route("POST", "csbs_backup/*/tags/action", this::changeTags),
      new Route("DELETE", "csbs_backup/*/tags/*", this::deleteTag),
      new Route("GET", "quotas", this::quotas),
      new Route("GET", "storage_usage", this::storageUsage),
      new Route("POST", "restores", this::restore),
      new Route("DELETE", "providers/*/checkpoints/*", this::delete));

  /**
   * The endpoints on {@code catalog}.
   *
   * @param base the server's own URI, {@code http://127.0.0.1:41723/}
   */
  Api(BackupCatalog catalog, URI base) {
    this.catalog = catalog;
    this.base = base;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    Response response;
    Error fatal = null;
    try {
      if (CallExecutor.refused()) {
        // on the dispatcher thread, which every other client waits for: answered without work
        exchange.getResponseHeaders().set("Retry-After", "1");
        throw new ApiError(503, "CSBS.LIB.SERVER_BUSY", "the server is busy: its executor refused the call; try again");
      }
      response = route(exchange);
    } catch (RuntimeException e) {
      response = refusal(e);
    } catch (Error e) {
      // a catalog's failed assertion or a linkage error: answered as any unexpected failure (the JDK's
      // server closed the connection without an answer, and HTTP clients retried a GET on their own)
      response = internalError(e);
      fatal = e instanceof VirtualMachineError ? e : null;
    }
    try {
      drain(exchange);
      respond(exchange, response);
    } finally {
      exchange.close();
    }
    if (fatal != null) {
      throw fatal;   // the JVM is in trouble: its handler and the caller decide, not this request
    }
  }

  /**
   * Marks an exchange whose body could not be read (a broken chunk): nothing more is read from it
   * before the answer, which asks the client to close the connection ({@code Connection: close}).
   */
  static final String UNREADABLE = "io.csbs.server.bodyUnreadable";

  /** The most of a request body read past what a call needs, so that its answer reaches the client. */
  static final int DRAINED = 64 << 20;

  /**
   * Reads what is left of the request body (up to {@value #DRAINED} bytes) before answering: the
   * JDK's server closes a connection whose request was not read to its end, and a client still
   * sending its body (one over the limit, or one a GET carries) then loses the answer too.
   */
  static void drain(HttpExchange exchange) {
    if (exchange.getAttribute(UNREADABLE) != null) {
      return;  // reading on would wait for a chunk the client may never send: answer first
    }
    byte[] sink = new byte[8192];
    try {
      InputStream in = exchange.getRequestBody();
      for (long read = 0; read < DRAINED; ) {
        int n = in.read(sink);
        if (n < 0) {
          return;
        }
        read += n;
      }
    } catch (IOException e) {
      // a body that cannot be read (a broken chunk): the JDK's server closes the connection
    }
  }

  // ---------------------------------------------------------------- routing

  /** What a route answers: a status, a JSON body or none (204), and an {@code Allow} header for 405. */
  record Response(int status, String body, String allow) {
    static Response ok(String body) {
      return new Response(200, body, null);
    }

    static final Response NO_CONTENT = new Response(204, null, null);
  }

  /** One call: its project, the values of the route's {@code *} segments, and the exchange. */
  record Call(String projectId, List<String> values, HttpExchange exchange) {
    String value(int index) {
      return values.get(index);
    }

    String rawQuery() {
      return exchange.getRequestURI().getRawQuery();
    }
  }

  /** A method on a path under {@code /v1/{project_id}/}, whose {@code *} segments are values. */
  record Route(String method, String path, Function<Call, Response> handler) {
    /** The values of the {@code *} segments if {@code segments} is this route's path, else null. */
    List<String> match(List<String> segments) {
      String[] pattern = path.split("/");
      if (pattern.length != segments.size()) {
        return null;
      }
      List<String> values = new ArrayList<>();
      for (int i = 0; i < pattern.length; i++) {
        if (pattern[i].equals("*")) {
          values.add(segments.get(i));
        } else if (!pattern[i].equals(segments.get(i))) {
          return null;
        }
      }
      return values;
    }
  }

  private Response route(HttpExchange exchange) {
    String rawPath = exchange.getRequestURI().getRawPath();
    String[] raw = rawPath.split("/", -1);
    if (raw.length < 4 || !raw[0].isEmpty() || !raw[1].equals("v1")) {
      throw ApiError.unknownPath(rawPath);
    }
    List<String> segments = new ArrayList<>();
    for (int i = 2; i < raw.length; i++) {
      if (raw[i].isEmpty()) {
        throw ApiError.unknownPath(rawPath);
      }
      segments.add(Parameters.decode("path", raw[i].replace("+", "%2B")));
    }
    String projectId = segments.remove(0);
    String method = exchange.getRequestMethod();
    TreeSet<String> allowed = new TreeSet<>();
    for (Route route : routes) {
      List<String> values = route.match(segments);
      if (values == null) {
        continue;
      }
      if (route.method().equals(method)) {
        return route.handler().apply(new Call(projectId, values, exchange));
      }
      allowed.add(route.method());
    }
    if (allowed.isEmpty()) {
      throw ApiError.unknownPath(rawPath);
    }
    return new Response(405, json.error("CSBS.LIB.METHOD_NOT_ALLOWED",
        "method " + method + " is not allowed on " + rawPath + "; it allows " + String.join(", ", allowed)),
        String.join(", ", allowed));
  }

  // ---------------------------------------------------------------- backups

  private Response list(Call call) {
    String rawQuery = call.rawQuery();
    return Response.ok(json.checkpointItems(
        catalog.query(call.projectId(), ListQueryString.parse(rawQuery == null ? "" : rawQuery)),
        requestUri(call.exchange())));
  }

  private Response count(Call call) {
    String rawQuery = call.rawQuery();
    Parameters.parse(rawQuery, "the backup count", FILTERS);
    return Response.ok(json.count(catalog.count(call.projectId(),
        ListQueryString.parse(rawQuery == null ? "" : rawQuery).predicate())));
  }

  private Response details(Call call) {
    noParameters(call, "a backup's details");
    return Response.ok(json.checkpointItem(catalog.get(call.projectId(), call.value(0))));
  }

  // ---------------------------------------------------------------- tags

  private Response tagCatalogue(Call call) {
    noParameters(call, "the tag catalogue");
    return Response.ok(json.tagCatalogue(catalog.tagCatalogue(call.projectId())));
  }

  private Response tagQuery(Call call) {
    noParameters(call, "the tag query");
    TagFilter filter = json.readTagFilter(body(call));
    if (filter.action() == TagFilter.Action.COUNT) {
      return Response.ok(json.tagQueryCount(catalog.count(call.projectId(), filter.toPredicate())));
    }
    return Response.ok(json.tagQueryResult(catalog.query(call.projectId(), filter.toQuery())));
  }

  /** {@code {"tags": [{"key": ..., "value": ...}]}}, the backup's tags in their order. */
  private Response tagsOfBackup(Call call) {
    noParameters(call, "a backup's tags");
    return Response.ok(json.tags(catalog.get(call.projectId(), call.value(0)).tags()));
  }

  private Response addTag(Call call) {
    noParameters(call, "adding a tag");
    TagUpdate update = json.readTag(body(call));
    updateTags(call, backup -> update);
    return Response.NO_CONTENT;
  }

  private Response changeTags(Call call) {
    noParameters(call, "a tag change");
    TagUpdate update;
    try {
      update = json.readTagUpdate(body(call));
    } catch (InvalidValueException e) {
      throw tooManyTags(e) ? new ApiError(400, ApiError.TOO_MANY_TAGS, e.getMessage()) : e;  // a creation of 11 or more
    }
    updateTags(call, backup -> update);
    return Response.NO_CONTENT;
  }

  /**
   * Whether {@code e} refuses more than {@value Backup#MAX_TAGS} tags, on a backup or in one creation: the
   * API's {@code CSBS.7000}; other refusals of the tags (none to create, a key twice) are {@code CSBS.9001}.
   */
  private static boolean tooManyTags(InvalidValueException e) {
    return e.field().equals("tags") && e.rule().startsWith("must be at most " + Backup.MAX_TAGS + " tags");
  }

  private Response deleteTag(Call call) {
    noParameters(call, "removing a tag");
    String key = call.value(1).strip();
    updateTags(call, backup -> {
      // any key the backup has no tag of is 7001, one no tag could have (blank, too long) too
      if (backup.tags().stream().noneMatch(tag -> tag.key().equals(key))) {
        throw new ApiError(404, ApiError.TAG_NOT_FOUND,
            "The backup tag does not exist: backup " + backup.id() + " has no tag with key '" + key + "'");
      }
      return TagUpdate.delete(TagUpdate.Match.key(key));
    });
    return Response.NO_CONTENT;
  }

  /** Applies the update {@code decide} makes of the backup's current version; too many tags is {@code CSBS.7000}. */
  private void updateTags(Call call, Function<Backup, TagUpdate> decide) {
    String projectId = call.projectId();
    String backupId = call.value(0);
    changeCurrent(projectId, backupId, backup -> {
      try {
        return catalog.updateTags(projectId, backupId, backup.version(), decide.apply(backup));
      } catch (InvalidValueException e) {
        // the tags a backup would have (more than Backup.MAX_TAGS), or the catalog's clock before its last change
        throw tooManyTags(e) ? new ApiError(400, ApiError.TOO_MANY_TAGS, e.getMessage()) : e;
      }
    });
  }

  // ---------------------------------------------------------------- quotas and usage

  private Response quotas(Call call) {
    noParameters(call, "the quotas");
    return Response.ok(json.quotas(catalog.quotaUsage(call.projectId())));
  }

  private Response storageUsage(Call call) {
    Map<String, String> parameters = Parameters.parse(call.rawQuery(), "the storage usage", List.of("limit", "offset"));
    int limit = (int) Parameters.number(parameters, "limit", 1, UsageQuery.MAX_LIMIT, UsageQuery.MAX_LIMIT);
    long offset = Parameters.number(parameters, "offset", 0, Long.MAX_VALUE / 2, 0);
    return Response.ok(json.storageUsage(
        catalog.usage(call.projectId(), UsageQuery.of(Predicates.all(), offset, limit))));
  }

  // ---------------------------------------------------------------- lifecycle

  private Response restore(Call call) {
    noParameters(call, "a restore");
    RestoreRequest restore = json.readRestore(body(call));
    checkProvider("restore.provider_id", restore.providerId());
    String projectId = call.projectId();
    String backupId = restore.checkpointItemId();
    changeCurrent(projectId, backupId, backup -> {
      checkCheckpoint(backup, restore.checkpointId());
      try {
        // judged on the state read first: a refusal of that state is the answer, not a version
        // conflict with a writer that keeps changing the busy backup (ten of them were a 409)
        Lifecycle.restore(backup, backup.updatedAt());
        return catalog.apply(projectId, backupId, backup.version(), Transition.restore());
      } catch (IllegalTransitionException e) {
        throw ApiError.ofRestore(e);
      }
    });
    return Response.ok(json.restoreAccepted(restore, UUID.randomUUID().toString(), projectId));
  }

  private Response delete(Call call) {
    checkProvider("provider_id", call.value(0));
    Map<String, String> parameters =
        Parameters.parse(call.rawQuery(), "deleting a backup", List.of("checkpoint_items"));
    String backupId = parameters.get("checkpoint_items");
    if (call.value(1).isBlank()) {
      throw new InvalidValueException("checkpoint_id", call.value(1), "must be non-blank: the checkpoint of the backup");
    }
    if (backupId == null) {
      throw new InvalidValueException("checkpoint_items", "",
          "is required: name the backup to delete (this server does not delete a whole checkpoint)");
    }
    String projectId = call.projectId();
    changeCurrent(projectId, backupId, backup -> {
      checkCheckpoint(backup, call.value(1));
      Lifecycle.delete(backup, backup.updatedAt());  // judged on the state read first, as a restore
      return catalog.apply(projectId, backupId, backup.version(), Transition.delete());
    });
    return Response.ok("{}");
  }

  private static void checkProvider(String field, String providerId) {
    if (!providerId.equals(CsbsServer.PROVIDER_ID)) {
      throw new InvalidValueException(field, providerId, "provider invalid: must be CSBS's, " + CsbsServer.PROVIDER_ID);
    }
  }

  /** A backup of another checkpoint than the one named is not found there. */
  private static void checkCheckpoint(Backup backup, String checkpointId) {
    Optional<String> own = backup.details().checkpointId();
    if (own.isPresent() && !own.get().equals(checkpointId)) {
      throw new ApiError(404, ErrorCode.BACKUP_NOT_FOUND.code(),
          "Checkpoint_item (" + backup.id() + ") is not found in checkpoint " + checkpointId + ".");
    }
  }

  /**
   * Runs {@code change} on the backup's current version, again on a version conflict (another writer
   * changed it in between), up to {@value #ATTEMPTS} times.
   */
  private <T> T changeCurrent(String projectId, String backupId, Function<Backup, T> change) {
    long waitUntil = 0;  // the waits of one call share one budget, from its first conflict
    for (int attempt = 1; ; attempt++) {
      Backup current = catalog.get(projectId, backupId);
      try {
        return change.apply(current);
      } catch (VersionConflictException e) {
        if (attempt == ATTEMPTS) {
          throw e;
        }
        if (attempt == 1) {
          waitUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CATCH_UP_MILLIS);
        }
        awaitVersion(projectId, backupId, e.currentVersion(), waitUntil);
      }
    }
  }

  /**
   * Waits, until {@code deadline} ({@link System#nanoTime}) at most, until the catalog reads the
   * backup at {@code version} or later (or no longer has it): a replica ({@code PostgresReplica})
   * shows another instance's change only once it has followed the database's feed, and retrying on
   * its older copy at once spent every attempt on the same stale version. An in-memory catalog reads
   * it at once.
   */
  private void awaitVersion(String projectId, String backupId, long version, long deadline) {
    for (long pause = 1; ; pause = Math.min(pause * 2, 50)) {
      Optional<Backup> now = catalog.find(projectId, backupId);
      if (now.isEmpty() || now.get().version() >= version || System.nanoTime() > deadline) {
        return;
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  // ---------------------------------------------------------------- plumbing

  private static void noParameters(Call call, String endpoint) {
    Parameters.parse(call.rawQuery(), endpoint, List.of());
  }

  /**
   * The request body as UTF-8 text, refused above {@value #MAX_BODY} bytes, or naming {@code body}
   * when its bytes are not UTF-8 or cannot be read (a broken chunk). Left open: {@link #drain}
   * reads the rest (but not of a body that could not be read).
   */
  private static String body(Call call) {
    byte[] bytes;
    try {
      bytes = call.exchange().getRequestBody().readNBytes(MAX_BODY + 1);
    } catch (IOException e) {
      // the stream cannot say where the body ends: what follows on the connection is not a request.
      // The JDK's server reads on after the answer until the client sends more or closes, so the
      // answer asks the client to close (its thread is free once it does)
      call.exchange().setAttribute(UNREADABLE, Boolean.TRUE);
      call.exchange().getResponseHeaders().set("Connection", "close");
      throw new InvalidValueException("body", "(unreadable)", "could not be read: " + e.getMessage());
    }
    if (bytes.length > MAX_BODY) {
      throw new ApiError(413, "CSBS.LIB.BODY_TOO_LARGE", "body is larger than " + MAX_BODY + " bytes");
    }
    try {
      // strict: a byte that is not UTF-8 is refused, not read as U+FFFD into a stored or echoed text
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new InvalidValueException("body", "(" + bytes.length + " bytes)", "must be UTF-8 text");
    }
  }

  /** A {@code Host} header that names a host and port, nothing else. */
  private static final Pattern HOST =
      Pattern.compile("([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+])(:[0-9]{1,5})?");

  /**
   * The request as the client named it, for the list's next link: on its {@code Host}, or on the
   * server's own address when the header is missing or is not a host and port.
   */
  private URI requestUri(HttpExchange exchange) {
    URI request = exchange.getRequestURI();
    String pathAndQuery = request.getRawPath() + (request.getRawQuery() == null ? "" : "?" + request.getRawQuery());
    String host = exchange.getRequestHeaders().getFirst("Host");
    if (host != null && HOST.matcher(host).matches()) {
      try {
        URI named = new URI("http://" + host + pathAndQuery);
        if (named.getHost() != null) {
          return named;
        }
      } catch (URISyntaxException notAHost) {
        // the pattern's shape without being an address ("[ff]"): as if the header were missing
      }
    }
    return base.resolve(pathAndQuery.substring(1));
  }

  private Response refusal(RuntimeException e) {
    if (e instanceof ApiError) {
      ApiError error = (ApiError) e;
      return new Response(error.status(), json.error(error.code(), error.getMessage()), null);
    }
    if (e instanceof CsbsError && ((CsbsError) e).code() != null) {
      CsbsError error = (CsbsError) e;
      if (error instanceof BackupNotFoundException) {
        // the API's message, naming the id only: whether another project has it is not hinted at
        return new Response(404, json.error(error.code().code(),
            "Checkpoint_item (" + ((BackupNotFoundException) error).backupId() + ") is not found."), null);
      }
      return new Response(ApiError.status(error), json.error(error), null);
    }
    return internalError(e);   // a service's CsbsError without a code is unexpected too
  }

  private Response internalError(Throwable e) {
    LOG.log(System.Logger.Level.WARNING, "csbs-server: a call failed", e);
    return new Response(500, json.error(ApiError.INTERNAL, "request failed: an internal error"), null);
  }

  private static void respond(HttpExchange exchange, Response response) throws IOException {
    if (response.allow() != null) {
      exchange.getResponseHeaders().set("Allow", response.allow());
    }
    if (response.body() == null) {
      exchange.sendResponseHeaders(response.status(), -1);
      return;
    }
    byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", JSON_TYPE);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(response.status(), -1);  // a body on a HEAD: the JDK's server warns on stderr
      return;
    }
    exchange.sendResponseHeaders(response.status(), bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
