package io.csbs.server;

import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's server, on a fake clock and a catalog of generated backups in the projects {@code
 * project-0} and {@code project-1}; started before the class's tests, closed after them.
 *
 * <pre>{@code
 * @RegisterExtension static final ServedCatalog SERVED = new ServedCatalog(14, 2000);
 * }</pre>
 */
final class ServedCatalog implements BeforeAllCallback, AfterAllCallback {
  final FakeClock clock = FakeClock.create();
  final BackupCatalog catalog = Catalogs.indexed(clock);
  private final long seed;
  private final int backups;
  CsbsServer server;
  Client client;

  ServedCatalog(long seed, int backups) {
    this.seed = seed;
    this.backups = backups;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    catalog.addAll(BackupGenerator.builder().seed(seed).projects(2).servers(40).build().backups(backups));
    server = CsbsServer.builder(catalog).clock(clock).build().start();
    client = new Client(server);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    server.close();
  }
}
