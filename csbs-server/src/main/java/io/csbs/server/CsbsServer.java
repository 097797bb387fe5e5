package io.csbs.server;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpServer;
import io.csbs.backup.InvalidValueException;
import io.csbs.catalog.BackupCatalog;
import io.csbs.lifecycle.StallRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reference server of the CSBS v1 API on a {@link BackupCatalog}, on the JDK's own HTTP server
 * ({@code com.sun.net.httpserver}): what a backup service's edge answers, for a console, a client's
 * tests, or a service to read and copy. Every call is scoped to the project of its path; the bodies
 * are those of {@link io.csbs.json.CsbsJson}, as {@code application/json; charset=utf-8}.
 *
 * <pre>{@code
 * BackupCatalog catalog = Catalogs.indexed(Clock.systemUTC());
 * try (CsbsServer server = CsbsServer.builder(catalog).build().start()) {
 *   URI list = server.uri().resolve("v1/project-1/checkpoint_items?status=available&limit=20");
 *   // GET list: {"checkpoint_items": [...], "checkpoint_items_links": [{"href": ..., "rel": "next"}]}
 * }
 * }</pre>
 *
 * <h2>Endpoints</h2>
 *
 * <table>
 *   <caption>Endpoints, under {@code /v1/{project_id}}</caption>
 *   <tr><th>call</th><th>answer</th></tr>
 *   <tr><td>{@code GET /checkpoint_items?...}</td><td>200, a page of the project's backups: every
 *       parameter of {@link io.csbs.query.ListQueryString}; the {@code next} link carries the page's
 *       last backup as {@code marker} (an absolute URI on the request's {@code Host})</td></tr>
 *   <tr><td>{@code GET /checkpoint_items/count?...}</td><td>200, {@code {"count": N}}: the list's
 *       filters; {@code sort}, {@code limit}, {@code marker} and {@code offset} are refused, as the API
 *       has no such parameters for a count</td></tr>
 *   <tr><td>{@code GET /checkpoint_items/{id}}</td><td>200, {@code {"checkpoint_item": {...}}}; a
 *       backup the project does not have: 404, {@code CSBS.3001} (also when another project has it).
 *       The path {@code .../checkpoint_items/count} is the count, whatever the backup ids are</td></tr>
 *   <tr><td>{@code GET /csbs_backup/tags}</td><td>200, the project's tag catalogue</td></tr>
 *   <tr><td>{@code POST /csbs_backup/resource_instances/action}</td><td>200, the tag query: {@code
 *       filter} a page of matches with their total, {@code count} their number</td></tr>
 *   <tr><td>{@code GET /csbs_backup/{id}/tags}</td><td>200, the backup's tags, {@code {"tags":
 *       [{"key", "value"}]}}</td></tr>
 *   <tr><td>{@code POST /csbs_backup/{id}/tags}</td><td>204: adds one tag, or sets the value of the
 *       key ({@code {"tag": {"key", "value"}}})</td></tr>
 *   <tr><td>{@code POST /csbs_backup/{id}/tags/action}</td><td>204: {@code create} or {@code delete}
 *       tags; deleting tags the backup does not have is no error, as the API documents</td></tr>
 *   <tr><td>{@code DELETE /csbs_backup/{id}/tags/{key}}</td><td>204; a key the backup has no tag of:
 *       404, {@code CSBS.7001}</td></tr>
 *   <tr><td>{@code GET /quotas}</td><td>200, the quotas with what the project uses</td></tr>
 *   <tr><td>{@code GET /storage_usage?limit=&offset=}</td><td>200, usage per server, largest first
 *       (CBR's shape); {@code limit} 1 to 1000, 1000 by default; {@code offset} 0 by default</td></tr>
 *   <tr><td>{@code POST /restores}</td><td>200: starts a restore of the backup {@code
 *       restore.parameters.checkpoint_item_id}, the API's body and answer (see below)</td></tr>
 *   <tr><td>{@code DELETE /providers/{provider_id}/checkpoints/{checkpoint_id}?checkpoint_items={id}}</td>
 *       <td>200, {@code {}}: starts deleting the backup {@code id}</td></tr>
 * </table>
 *
 * <p>Tag changes and lifecycle operations apply to the backup's current version, read just before;
 * the HTTP API has no version, so when another writer changes the backup in between, the call reads
 * it again and tries again: up to 10 tries in all, the first included (then 409, {@code
 * CSBS.LIB.VERSION_CONFLICT}). Before a retry it waits (1 s at most in all) for the catalog to show
 * the other writer's version: a {@code PostgresReplica} shows another instance's change once it has
 * followed the database's feed.
 *
 * <h2>Restore and delete</h2>
 *
 * <p>The restore body is the API's: {@code {"restore": {"provider_id", "checkpoint_id",
 * "parameters": {"checkpoint_item_id", "power_on", "targets": {"server_id", "volumes"}}}}}. The
 * provider must be CSBS's, {@value #PROVIDER_ID} (else 400, {@code CSBS.9001}, naming {@code
 * restore.provider_id}); {@code checkpoint_id} and {@code checkpoint_item_id} are required; {@code
 * power_on} (a boolean) and {@code targets} (an object) are optional here (a JSON {@code null} is
 * taken as absent) and echoed back unchecked when given, the catalog knowing no servers to restore to. The answer is {@code {"restore": {"id", "checkpoint_id",
 * "parameters", "project_id", "provider_id", "resources_reason", "resources_status", "status":
 * "in_progress"}}}, with a new random {@code id} (the catalog keeps no restore tasks). A delete names
 * one backup in {@code checkpoint_items} (deleting a whole checkpoint without it is refused naming
 * {@code checkpoint_items}: the catalog does not search by checkpoint), and its path a non-blank
 * {@code checkpoint_id} (else 400 naming it). In both, a backup whose
 * {@code checkpoint_id} is known and is not the one named is not found (404, {@code CSBS.3001}).
 *
 * <p>A backup whose job runs (Creating, Restoring, Deleting) is refused with 400 and {@code
 * CSBS.2003}, the API's "item in executing"; a restore of an Error backup with 400 and {@code
 * CSBS.4000}, the API's "checkpoint item not available".
 *
 * <h2>The console page</h2>
 *
 * <p>{@code GET /console/?project={project_id}} is the console's Backups page ({@code GET /} leads
 * there: to {@code /console/?project=}{@linkplain Builder#consoleProject the console project} if the
 * builder names one, else to {@code /console/}, where the page asks for a project id): plain HTML, CSS and JavaScript from the jar ({@code /console/console.css}, {@code
 * /console/console.js}) that call the endpoints above. Its filters are the list's parameters (status,
 * {@code start_time} and {@code end_time}, and one of {@code name}, {@code checkpoint_id}, {@code
 * resource_name}, {@code resource_id}); Search by Tag uses the tag query instead, with the pairs added
 * (at most 10, each among the project's tag catalogue) as its {@code tags}, and then takes no other
 * filter. It marks a Creating, Restoring or Deleting backup stalled when its {@code progress_updated_at}
 * is older than the {@linkplain Builder#stallRule stall rule}'s threshold at the {@linkplain
 * Builder#clock clock}'s instant, both of which it reads from {@code GET /console/settings.json}
 * ({@code {"now": "2026-11-30T17:02:11Z", "stall_threshold_ms": 1800000}}). {@code GET /console}
 * redirects to {@code /console/}. The console's paths ({@code /} included) serve {@code GET} and
 * {@code HEAD}; other paths under {@code /console/} are 404, other methods 405 (on {@code /console}
 * and {@code /} too, with {@code Allow: GET, HEAD}); these answers are plain text, not the API's error body. A path that only
 * begins with {@code /console} ({@code /consolex}) is the API's, an unknown path.
 *
 * <h2>Errors</h2>
 *
 * <p>Every error has the API's body, {@code {"error_code": ..., "error_msg": ...}}: a bad parameter or
 * body 400, {@code CSBS.9001}, its message naming the parameter (a body that is not JSON names {@code
 * body}); a tag change that would leave more than 10 tags 400, {@code CSBS.7000}; a quota 400, {@code
 * CSBS.9006}. Where the API has no code the server uses its own: an unknown path 404, {@code
 * CSBS.LIB.UNKNOWN_PATH}; a method the path does not serve 405, {@code CSBS.LIB.METHOD_NOT_ALLOWED}, with
 * an {@code Allow} header; a body over 1 MiB 413, {@code CSBS.LIB.BODY_TOO_LARGE} (answered once the
 * body is read, so that the answer reaches a client still sending it: a body over 64 MiB is read that
 * far, then the connection is closed, and such a client may get no answer); a version conflict
 * that ten tries did not get past, or a backup id that exists already, 409, {@code
 * CSBS.LIB.VERSION_CONFLICT} or {@code CSBS.LIB.DUPLICATE_BACKUP}; a failing database 503, {@code
 * CSBS.LIB.DATABASE_FAILURE}, and a database at another schema version 503, {@code
 * CSBS.LIB.SCHEMA_VERSION_MISMATCH}; a call the builder's executor refuses 503, {@code
 * CSBS.LIB.SERVER_BUSY}, with {@code Retry-After: 1}; anything unexpected 500, {@code CSBS.9999}
 * (the API's "system internal error"; the cause is logged, not returned), an {@link Error} the catalog throws and a
 * service's {@link io.csbs.CsbsError} without a code included. A body must be UTF-8 (else 400
 * naming {@code body}); a body that cannot be read to its end (a chunk size that is not a number) is
 * 400 naming {@code body} with {@code Connection: close}, and its thread is free once the client
 * closes the connection. Some refusals are not the server's but the JDK's HTTP server's, answered before any handler
 * runs with a small HTML or plain body: a request line whose target is not a URI (a query with {@code
 * %zz}) 400; a bad {@code Content-Length}, or one beside {@code Transfer-Encoding}, 400; a target that
 * does not start with {@code /} ({@code OPTIONS *}) 404.
 *
 * <p>Ids in a path are percent-encoded UTF-8, as in a URI ({@code /v1/p/checkpoint_items/b%C3%A9});
 * the JDK's server reads raw bytes above ASCII in a request line as ISO-8859-1, so an id sent
 * unencoded is another id (and not found).
 *
 * <p>No authentication: the server is a reference and a test double, bound to 127.0.0.1 unless told
 * otherwise. Thread-safe; {@link #close()} stops it. Building the first server sets the system
 * property {@code sun.net.httpserver.nodelay} to {@code true} unless it is set already: the JDK's
 * server otherwise waits for the client's delayed ACK, about 40 ms, before the body of each answer.
 * It affects every {@code com.sun.net.httpserver} server of the JVM that starts afterwards.
 */
public final class CsbsServer implements AutoCloseable {
  /** The provider id of CSBS in the API's paths and bodies (the API's fixed value for servers). */
  public static final String PROVIDER_ID = "fc4d5750-22e7-4798-8a46-f48f62c4c1da";

  /**
   * The JDK server's switch for {@code TCP_NODELAY}, off by default: its answers go out as headers,
   * then body, and Nagle's algorithm held the body until the client's delayed ACK, 40 ms a call.
   */
  private static final String NODELAY = "sun.net.httpserver.nodelay";

  private final HttpServer server;
  private final ExecutorService ownExecutor;
  private final URI uri;
  private final AtomicInteger state = new AtomicInteger(); // 0 built, 1 started, 2 closed

  private CsbsServer(BackupCatalog catalog, InetSocketAddress address, Executor executor, Clock clock,
      StallRule stallRule, String consoleProject) {
    if (System.getProperty(NODELAY) == null) {
      System.setProperty(NODELAY, "true");
    }
    try {
      this.server = HttpServer.create(address, 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind " + address + ": " + e.getMessage(), e);
    }
    this.ownExecutor = executor == null
        ? Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), daemonThreads())
        : null;
    this.server.setExecutor(new CallExecutor(executor == null ? ownExecutor : executor));
    InetSocketAddress bound = server.getAddress();
    // a wildcard address (0.0.0.0, ::) is no address to send a request to: this machine's clients use loopback
    String host = (bound.getAddress().isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : bound.getAddress())
        .getHostAddress();
    this.uri = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort() + "/");
    Api api = new Api(catalog, uri);
    // one context: the page's paths (/, /console, /console/...) are the console's, the others the API's
    this.server.createContext("/", new Console(clock, stallRule, consoleProject, api));
  }

  /**
   * A builder of a server of {@code catalog}; every other option has a default, stated on its setter.
   *
   * @param catalog the catalog to serve
   * @return the builder
   */
  public static Builder builder(BackupCatalog catalog) {
    return new Builder(requireNonNull(catalog, "catalog"));
  }

  /**
   * Starts serving requests.
   *
   * @return this server
   * @throws IllegalStateException if it was started or closed already
   */
  public CsbsServer start() {
    if (!state.compareAndSet(0, 1)) {
      throw new IllegalStateException("server at " + uri + " was started or closed already: start it once");
    }
    server.start();
    return this;
  }

  /** {@return the port the server listens on: the one asked for, or the free one chosen for port 0} */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * {@return the server's base URI, for example {@code http://127.0.0.1:41723/}; the API is under
   * {@code v1/}} For a server listening on a wildcard address ({@code 0.0.0.0}, {@code ::}) the URI
   * names the loopback address, which a client on this machine can use; a client elsewhere uses one
   * of the machine's own addresses or names.
   */
  public URI uri() {
    return uri;
  }

  /**
   * Stops the server at once: the port is released, calls in progress are cut off, and the executor
   * the server made is shut down (an executor given to the builder is not). Closing again does
   * nothing. A started server runs the JDK server's dispatcher thread, which is not a daemon thread:
   * it keeps the JVM running until the server is closed. (With an executor that runs calls on the
   * calling thread, the dispatcher's, close waits for the call in progress: see {@link
   * Builder#executor}.)
   */
  @Override
  public void close() {
    int was = state.getAndSet(2);
    if (was == 2) {
      return;
    }
    if (was == 0) {
      // the JDK server's listening channel is registered with its selector, so closing it frees the
      // port only once the dispatcher thread selects again: a server never started has none
      server.start();
    }
    server.stop(0);
    if (ownExecutor != null) {
      ownExecutor.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "CsbsServer{" + uri + "}";
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, "csbs-server-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Options of a {@link CsbsServer}; each set at most once.
   *
   * <pre>{@code
   * CsbsServer server = CsbsServer.builder(catalog)
   *     .address(InetAddress.getLoopbackAddress())   // the default
   *     .port(8080)                                   // 0, any free port, by default
   *     .executor(Executors.newFixedThreadPool(16))
   *     .build()
   *     .start();
   * }</pre>
   */
  public static final class Builder {
    private final BackupCatalog catalog;
    private InetAddress address;
    private int port = -1;
    private Executor executor;
    private Clock clock;
    private StallRule stallRule;
    private String consoleProject;

    private Builder(BackupCatalog catalog) {
      this.catalog = catalog;
    }

    /**
     * Sets the address to listen on; 127.0.0.1 by default. The server has no authentication: bind it
     * to another address only where every client may read and change every project.
     *
     * @param address the local address
     * @return this builder
     * @throws IllegalStateException if the address was set already
     */
    public Builder address(InetAddress address) {
      requireNonNull(address, "address");
      if (this.address != null) {
        throw new IllegalStateException("address was already set to " + this.address + ": set it once");
      }
      this.address = address;
      return this;
    }

    /**
     * Sets the port to listen on; 0 by default, which takes any free port ({@link CsbsServer#port()}
     * says which).
     *
     * @param port 0 to 65535
     * @return this builder
     * @throws IllegalArgumentException if the port is out of range
     * @throws IllegalStateException if the port was set already
     */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port " + port + " is invalid: must be 0 to 65535");
      }
      if (this.port != -1) {
        throw new IllegalStateException("port was already set to " + this.port + ": set it once");
      }
      this.port = port;
      return this;
    }

    /**
     * Sets the executor that runs the calls; by default a pool of daemon threads, twice the number of
     * processors and at least 4, which {@link CsbsServer#close()} shuts down. An executor given here
     * belongs to the caller, who shuts it down. A call it refuses (a {@link
     * java.util.concurrent.RejectedExecutionException}: a bounded queue full, a pool shut down) is
     * answered at once with 503 and the code {@code CSBS.LIB.SERVER_BUSY}, and a {@code Retry-After}
     * header. An executor that runs a call on the calling thread ({@code Runnable::run}, or a pool's
     * caller-runs policy) runs it on the JDK server's single dispatcher thread: the server then serves
     * one call at a time, and {@link CsbsServer#close()} waits for the call in progress.
     *
     * @param executor the executor of the calls
     * @return this builder
     * @throws IllegalStateException if the executor was set already
     */
    public Builder executor(Executor executor) {
      requireNonNull(executor, "executor");
      if (this.executor != null) {
        throw new IllegalStateException("executor was already set to " + this.executor + ": set it once");
      }
      this.executor = executor;
      return this;
    }

    /**
     * Sets the clock the console page judges stalled jobs by; {@link Clock#systemUTC()} by default.
     * Give the catalog's own clock, so that the page marks what {@link io.csbs.query.Predicates#stalled()}
     * finds. The API's answers do not depend on it.
     *
     * @param clock the catalog's clock
     * @return this builder
     * @throws IllegalStateException if the clock was set already
     */
    public Builder clock(Clock clock) {
      requireNonNull(clock, "clock");
      if (this.clock != null) {
        throw new IllegalStateException("clock was already set to " + this.clock + ": set it once");
      }
      this.clock = clock;
      return this;
    }

    /**
     * Sets when the console page marks a running job as stalled; {@link StallRule#DEFAULT} (30
     * minutes without progress) by default. Give the catalog's own rule.
     *
     * @param stallRule the catalog's stall rule
     * @return this builder
     * @throws IllegalStateException if the rule was set already
     */
    public Builder stallRule(StallRule stallRule) {
      requireNonNull(stallRule, "stallRule");
      if (this.stallRule != null) {
        throw new IllegalStateException("stallRule was already set to " + this.stallRule + ": set it once");
      }
      this.stallRule = stallRule;
      return this;
    }

    /**
     * Sets the project whose Backups page a browser at the server's address gets: {@code GET /}
     * redirects to {@code /console/?project={projectId}}. By default it redirects to {@code
     * /console/}, where the page asks for a project id. The project need not exist yet.
     *
     * @param projectId the project the console opens, not blank
     * @return this builder
     * @throws InvalidValueException naming {@code project id} if it is blank
     * @throws IllegalStateException if the console project was set already
     */
    public Builder consoleProject(String projectId) {
      requireNonNull(projectId, "projectId");
      if (projectId.isBlank()) {
        throw new InvalidValueException("project id", projectId, "must be non-blank");
      }
      if (this.consoleProject != null) {
        throw new IllegalStateException("consoleProject was already set to " + this.consoleProject + ": set it once");
      }
      this.consoleProject = projectId;
      return this;
    }

    /**
     * The server, bound to its address and port but not serving yet: call {@link CsbsServer#start()}.
     *
     * @return the server
     * @throws UncheckedIOException if the address and port cannot be bound (a port in use)
     */
    public CsbsServer build() {
      // the defaults go to the server, not into this builder: an option not set stays settable
      InetSocketAddress socket = new InetSocketAddress(address == null ? InetAddress.getLoopbackAddress() : address,
          port == -1 ? 0 : port);
      return new CsbsServer(catalog, socket, executor, clock == null ? Clock.systemUTC() : clock,
          stallRule == null ? StallRule.DEFAULT : stallRule, consoleProject);
    }
  }
}
