package io.csbs.server;

import static io.csbs.server.Client.assertReply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.CsbsError;
import io.csbs.ErrorCode;
import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.VersionConflictException;
import io.csbs.json.CsbsJson;
import io.csbs.testing.BackupGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** How failures of the catalog and of the request line are answered. */
class ErrorMappingTest {
  private static final CsbsJson JSON = CsbsJson.create();
  private static final Backup BACKUP = BackupGenerator.withSeed(2).next();

  /** A failure of a durable catalog's database, as csbs-postgres's CatalogDatabaseException is. */
  static final class DatabaseDown extends RuntimeException implements CsbsError {
    private static final long serialVersionUID = 1L;

    DatabaseDown() {
      super("database unreachable: connection refused");
    }

    @Override
    public ErrorCode code() {
      return ErrorCode.DATABASE_FAILURE;
    }
  }

  /** A catalog whose every call is {@code answer}'s, given the method's name and arguments. */
  private static BackupCatalog catalog(BiFunction<String, Object[], Object> answer) {
    return (BackupCatalog) Proxy.newProxyInstance(BackupCatalog.class.getClassLoader(), new Class<?>[] {BackupCatalog.class},
        (proxy, method, args) -> {
          if (method.isDefault()) {
            try {
              return java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          }
          return answer.apply(method.getName(), args);
        });
  }

  private static Client.Reply call(BackupCatalog catalog, String method, String path, String body) {
    try (CsbsServer server = CsbsServer.builder(catalog).build().start()) {
      return new Client(server).send(method, path, body);
    }
  }

  @Test
  void aFailingDatabaseIs503WithItsCode() {
    BackupCatalog down = catalog((name, args) -> {
      throw new DatabaseDown();
    });
    assertReply(503, JSON.error("CSBS.LIB.DATABASE_FAILURE", "database unreachable: connection refused"),
        call(down, "GET", "/v1/p/checkpoint_items", null));
  }

  @Test
  void anUnexpectedFailureIs500WithoutItsMessage() {
    BackupCatalog broken = catalog((name, args) -> {
      throw new IllegalStateException("secret internals");
    });
    assertReply(500, JSON.error("CSBS.9999", "request failed: an internal error"), call(broken, "GET", "/v1/p/quotas", null));
  }

  @Test
  void aTagChangeThatAlwaysConflictsIsTriedTenTimesThen409() {
    AtomicInteger attempts = new AtomicInteger();
    BackupCatalog contended = catalog((name, args) -> {
      if (name.equals("find")) {
        return Optional.of(BACKUP);
      }
      if (name.equals("updateTags")) {
        attempts.incrementAndGet();
        throw new VersionConflictException(BACKUP.id(), BACKUP.version(), BACKUP.version() + 1);
      }
      throw new AssertionError(name);
    });
    Client.Reply reply = call(contended, "POST", "/v1/p/csbs_backup/" + BACKUP.id() + "/tags",
        "{\"tag\": {\"key\": \"env\", \"value\": \"prod\"}}");
    assertEquals(409, reply.status(), reply.body());
    assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.LIB.VERSION_CONFLICT\""), reply.body());
    assertEquals(Api.ATTEMPTS, attempts.get());
  }

  @Test
  void aRequestLineThatIsNoUriIsRefusedByTheJdksServer() throws IOException {
    // the JDK's server parses the request line before any handler runs, and answers 400 itself
    try (CsbsServer server = CsbsServer.builder(catalog((name, args) -> null)).build().start();
        Socket socket = new Socket(server.uri().getHost(), server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET /v1/p/checkpoint_items?name=a%zz HTTP/1.1\r\nHost: " + server.uri().getAuthority()
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      in.transferTo(answer);
      assertTrue(answer.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 400 "), answer.toString(StandardCharsets.US_ASCII));
    }
  }

  @Test
  void aHostThatIsNoUriAuthorityFallsBackToTheServersAddress() throws IOException {
    try (CsbsServer server = CsbsServer.builder(catalog((name, args) -> {
      if (name.equals("query")) {
        return new io.csbs.query.Page(java.util.List.of(BACKUP), 2, true);
      }
      throw new AssertionError(name);
    })).build().start();
        Socket socket = new Socket(server.uri().getHost(), server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET /v1/p/checkpoint_items?limit=1 HTTP/1.1\r\nHost: bad host\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(answer);
      String text = answer.toString(StandardCharsets.UTF_8);
      assertTrue(text.startsWith("HTTP/1.1 200 "), text);
      assertTrue(text.contains("\"href\":\"" + server.uri() + "v1/p/checkpoint_items?limit=1&marker=" + BACKUP.id() + "\""), text);
    }
  }
}
