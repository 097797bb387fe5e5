/**
 * csbs-testkit: fakes, seeded generators, a reference catalog and the {@code BackupCatalog}
 * contract, for the unit tests of services that use csbs.
 *
 * <pre>{@code
 * open module com.example.backups.test {
 *   requires csbs.testkit;   // reads csbs.core and the JUnit 5 API too
 * }
 * }</pre>
 */
module csbs.testkit {
  requires transitive csbs.core;
  requires transitive org.junit.jupiter.api;

  exports io.csbs.testing;
  // the contract's test methods are inherited by users' test classes; JUnit calls them reflectively
  opens io.csbs.testing to org.junit.platform.commons;
}
