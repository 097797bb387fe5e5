package io.csbs.example.modular;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.json.CsbsJson;
import io.csbs.postgres.PostgresCatalog;
import io.csbs.server.CsbsServer;
import io.csbs.testing.FakeClock;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Requires.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's "Compatibility": each published jar is a named module exporting its API package only
 * and reading what the README says. Here, after every module is packaged, the descriptors are read
 * from the jars this module depends on (csbs-core's own are checked in csbs-testkit's
 * NewUserReadmeTest, which runs before the others are built).
 */
class ModuleDescriptorsTest {
  @Test
  void csbsTestkitExportsTheTestingPackageAndReadsCoreAndJunitTransitively() throws Exception {
    ModuleDescriptor testkit = descriptorOf(FakeClock.class);
    assertEquals("csbs.testkit", testkit.name());
    assertEquals(Set.of("io.csbs.testing"), exports(testkit));
    Map<String, Set<Modifier>> requires = requires(testkit);
    assertTrue(requires.get("csbs.core").contains(Modifier.TRANSITIVE), requires.toString());
    assertTrue(requires.get("org.junit.jupiter.api").contains(Modifier.TRANSITIVE), requires.toString());
    // "JUnit 5 API (testkit)": nothing else at run time
    requires.forEach((name, modifiers) -> assertTrue(Set.of("java.base", "csbs.core", "org.junit.jupiter.api").contains(name)
        || modifiers.contains(Modifier.STATIC), name + " " + modifiers));
  }

  @Test
  void csbsPostgresExportsItsPackageAndReadsCoreAndSqlTransitivelyAndTheDriver() throws Exception {
    ModuleDescriptor postgres = descriptorOf(PostgresCatalog.class);
    assertEquals("csbs.postgres", postgres.name());
    assertEquals(Set.of("io.csbs.postgres"), exports(postgres));
    Map<String, Set<Modifier>> requires = requires(postgres);
    assertTrue(requires.get("csbs.core").contains(Modifier.TRANSITIVE), requires.toString());
    assertTrue(requires.get("java.sql").contains(Modifier.TRANSITIVE), requires.toString());
    assertTrue(requires.containsKey("org.postgresql.jdbc"), requires.toString());
    assertFalse(requires.get("org.postgresql.jdbc").contains(Modifier.STATIC));
  }

  @Test
  void csbsJsonExportsItsPackageAndReadsCoreTransitivelyAndJacksonCore() throws Exception {
    ModuleDescriptor json = descriptorOf(CsbsJson.class);
    assertEquals("csbs.json", json.name());
    assertEquals(Set.of("io.csbs.json"), exports(json));
    Map<String, Set<Modifier>> requires = requires(json);
    assertTrue(requires.get("csbs.core").contains(Modifier.TRANSITIVE), requires.toString());
    assertTrue(requires.containsKey("com.fasterxml.jackson.core"), requires.toString());
    assertFalse(requires.get("com.fasterxml.jackson.core").contains(Modifier.STATIC));
  }

  @Test
  void csbsServerExportsItsPackageAndReadsCoreAndJsonTransitivelyAndTheJdksHttpServer() throws Exception {
    ModuleDescriptor server = descriptorOf(CsbsServer.class);
    assertEquals("csbs.server", server.name());
    assertEquals(Set.of("io.csbs.server"), exports(server));
    Map<String, Set<Modifier>> requires = requires(server);
    assertTrue(requires.get("csbs.core").contains(Modifier.TRANSITIVE), requires.toString());
    assertTrue(requires.get("csbs.json").contains(Modifier.TRANSITIVE), requires.toString());
    assertTrue(requires.containsKey("jdk.httpserver"), requires.toString());
    // "the testkit only for its java -jar demo": not needed at run time
    assertTrue(!requires.containsKey("csbs.testkit") || requires.get("csbs.testkit").contains(Modifier.STATIC),
        requires.toString());
  }

  /** The module descriptor of the jar (or directory of classes) that holds {@code type}. */
  private static ModuleDescriptor descriptorOf(Class<?> type) throws IOException, URISyntaxException {
    Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor = null;
    if (Files.isDirectory(location)) {
      Path info = location.resolve("module-info.class");
      if (Files.isRegularFile(info)) {
        try (InputStream in = Files.newInputStream(info)) {
          descriptor = ModuleDescriptor.read(in);
        }
      }
    } else {
      try (JarFile jar = new JarFile(location.toFile())) {
        var entry = jar.getEntry("module-info.class");
        if (entry != null) {
          try (InputStream in = jar.getInputStream(entry)) {
            descriptor = ModuleDescriptor.read(in);
          }
        }
      }
    }
    assertNotNull(descriptor, "a module descriptor in " + location);
    return descriptor;
  }

  private static Set<String> exports(ModuleDescriptor descriptor) {
    assertTrue(descriptor.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified),
        descriptor.exports().toString());
    return descriptor.exports().stream().map(ModuleDescriptor.Exports::source)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static Map<String, Set<Modifier>> requires(ModuleDescriptor descriptor) {
    Map<String, Set<Modifier>> requires = new TreeMap<>();
    for (ModuleDescriptor.Requires each : descriptor.requires()) {
      requires.put(each.name(), each.modifiers());
    }
    return requires;
  }
}
