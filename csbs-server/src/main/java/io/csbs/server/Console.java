package io.csbs.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.csbs.lifecycle.StallRule;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The console's Backups page under {@code /console/} (and {@code /}, which leads there): three static
 * files read once from the jar, and
 * {@code settings.json}, the server's clock and stall threshold, with which the page marks stalled
 * jobs the way {@link StallRule} does (the list API has no such field, and the browser's clock may
 * differ from the catalog's). Only these four names are served: a path is never mapped to a file.
 */
final class Console implements HttpHandler {
  static final String PREFIX = "/console/";

  private final Map<String, Asset> assets = Map.of(
      "", Asset.of("console.html", "text/html; charset=utf-8"),
      "console.css", Asset.of("console.css", "text/css; charset=utf-8"),
      "console.js", Asset.of("console.js", "text/javascript; charset=utf-8"));
  private final Clock clock;
  private final StallRule stallRule;
  /**
   * What answers the paths this handler's context also gets but that are not the page's
   * ({@code /consolex}, {@code /console.json}: the JDK's server matches a context by the path's
   * first characters): the API, whose 404 they are.
   */
  private final HttpHandler elsewhere;

  /** Where {@code GET /} leads: the page, of the builder's console project if it has one. */
  private final String start;

  Console(Clock clock, StallRule stallRule, String project, HttpHandler elsewhere) {
    this.elsewhere = elsewhere;
    this.start = project == null ? PREFIX
        : PREFIX + "?project=" + URLEncoder.encode(project, StandardCharsets.UTF_8).replace("+", "%20");
    this.clock = clock;
    this.stallRule = stallRule;
  }

  /** A file of the page: its bytes, read once, and its content type. */
  record Asset(byte[] bytes, String type) {
    static Asset of(String name, String type) {
      try (InputStream in = Console.class.getResourceAsStream(name)) {
        if (in == null) {
          throw new IllegalStateException("csbs-server's jar lacks the console file io/csbs/server/" + name);
        }
        return new Asset(in.readAllBytes(), type);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the console file " + name, e);
      }
    }
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      String path = exchange.getRequestURI().getRawPath();
      String method = exchange.getRequestMethod();
      boolean root = path.equals("/");  // a browser at the server's address gets the console
      if (!root && !path.equals("/console") && !path.startsWith(PREFIX)) {
        elsewhere.handle(exchange);
        return;
      }
      Api.drain(exchange);  // a body sent to the page is read, so that its answer reaches the client
      boolean read = method.equals("GET") || method.equals("HEAD");
      if (root && read) {
        redirect(exchange, start);
        return;
      }
      if (path.equals("/console") && read) {
        redirect(exchange, PREFIX);
        return;
      }
      String name = root || path.equals("/console") ? "" : path.substring(PREFIX.length());
      Asset asset = name.equals("settings.json") ? settings() : assets.get(name);
      if (asset == null) {
        send(exchange, 404, "text/plain; charset=utf-8", ("no such page: " + path + "\n").getBytes(StandardCharsets.UTF_8));
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(exchange, 405, "text/plain; charset=utf-8",
            ("method " + method + " is not allowed on " + path + "\n").getBytes(StandardCharsets.UTF_8));
      } else {
        send(exchange, 200, asset.type(), asset.bytes());
      }
    } finally {
      exchange.close();
    }
  }

  /** The longest stall threshold the page is told: JavaScript's largest exact whole number, in ms. */
  private static final Duration LONGEST_THRESHOLD = Duration.ofMillis((1L << 53) - 1);

  /** {@code {"now": "2026-11-30T17:02:11.500Z", "stall_threshold_ms": 1800000}}: no user text in it. */
  private Asset settings() {
    // a threshold past what a JavaScript number holds exactly (about 285,000 years: no job stalls on
    // the page) is served as that, not overflowed (toMillis throws past 292 million years)
    Duration threshold = stallRule.threshold();
    long millis = threshold.compareTo(LONGEST_THRESHOLD) > 0 ? LONGEST_THRESHOLD.toMillis() : threshold.toMillis();
    String body = "{\"now\":\"" + clock.instant() + "\",\"stall_threshold_ms\":" + millis + "}";
    return new Asset(body.getBytes(StandardCharsets.UTF_8), "application/json; charset=utf-8");
  }

  static void redirect(HttpExchange exchange, String location) throws IOException {
    exchange.getResponseHeaders().set("Location", location);
    exchange.sendResponseHeaders(302, -1);
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    // the page is small and changes with the jar: always ask again rather than serve a stale script
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
