package io.csbs.example.modular;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * csbs shipped as a company ships a library, checked by a release engineer and by a consumer who adds it to
 * a Maven build: the published artifacts and their metadata.
 *
 * <p>Documents read: README.md's "Coordinates", "Compatibility" and "The two commands" sections (and the
 * dependency snippets and commands of its other sections), CHANGELOG.md (its claim to follow Keep a
 * Changelog and Semantic Versioning; 0.2.0's "A library a company can ship: Apache-2.0, sources and javadoc
 * jars, named modules, no runtime dependency in core"; "License: Apache License 2.0, in LICENSE, in the
 * POM's {@code <licenses>} and as META-INF/LICENSE in every jar the build makes"), LICENSE, and each
 * module's pom.xml as published (the parent pom too).
 *
 * <p>What is checked: the jars the build made (found, as {@link ModularConsumerTest} finds them, through
 * the {@code consumer.runtime.path} system property that this module's pom sets, and beside them or in the
 * {@code target/} of the sibling modules for the sources and javadoc jars), their entries and the class
 * files' constant pools (which classes they need at run time), the module descriptors, the poms (the
 * reactor's {@code pom.xml} files, the copies packed into each jar and, when the jars come from a local
 * repository, the installed {@code .pom} files), README's versions and commands, and CHANGELOG's form. A
 * jar the build did not make (javadoc skipped, benchmarks not yet packaged) skips its test with a message
 * saying so. No Maven and no JVM is started: everything is read from files.
 *
 * <p>Unlike {@link NewUserModulesTest} (which resolves and runs the modules) this class looks at the
 * artifacts as files: licences, sources and javadoc jars, leaked classes, poms, versions, the changelog and
 * whether a build is reproducible.
 */
class NewUserShippingTest {
  private static final String RUNTIME_PATH = System.getProperty("consumer.runtime.path");

  /** The published artifacts (README "Compatibility": "Each published jar ..."), with their module names. */
  private static final Map<String, String> PUBLISHED = orderedMap(
      "csbs-core", "csbs.core",
      "csbs-testkit", "csbs.testkit",
      "csbs-postgres", "csbs.postgres",
      "csbs-json", "csbs.json",
      "csbs-server", "csbs.server");

  /** README "Compatibility": the API packages each module exports. */
  private static final Map<String, Set<String>> README_EXPORTS = Map.of(
      "csbs.core", Set.of("io.csbs", "io.csbs.backup", "io.csbs.lifecycle", "io.csbs.query", "io.csbs.catalog",
          "io.csbs.usage"),
      "csbs.testkit", Set.of("io.csbs.testing"),
      "csbs.postgres", Set.of("io.csbs.postgres"),
      "csbs.json", Set.of("io.csbs.json"),
      "csbs.server", Set.of("io.csbs.server"));

  /**
   * The SHA-256 of the Apache License 2.0 as the Apache Software Foundation publishes it
   * (https://www.apache.org/licenses/LICENSE-2.0.txt, 11,358 bytes, 202 lines).
   */
  private static final String APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30";

  private static final List<String> KEEP_A_CHANGELOG_TYPES =
      List.of("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security");

  // ---------------------------------------------------------------------------------------------
  // Versions: README's Coordinates, its Status, CHANGELOG and the poms

  /**
   * README: "Status: 0.3.0, released 2026-12-05"; "Coordinates": {@code <version>0.3.0</version>} for
   * csbs-core and csbs-testkit, and "To put a release in your local Maven repository, build its tag in a
   * working tree of its own ...: {@code git worktree add ../csbs-0.3.0 v0.3.0 && cd ../csbs-0.3.0 && mvn -B
   * -q -DskipTests install}"; CHANGELOG: "the project follows Semantic Versioning" and its latest
   * release heading. The Coordinates name the latest release of the CHANGELOG, on its date, and the poms
   * build either that release (the release's own commit, which its tag names) or the SNAPSHOT of a later
   * version (the [Unreleased] section's), the same in every module.
   */
  @Test
  void theReadmesCoordinatesNameTheChangelogsLatestReleaseAndThePomsBuildALaterSnapshot() throws Exception {
    String readme = readme();
    Map<String, String> coordinates = dependencySnippets(section(readme, "Coordinates"));
    assertEquals(List.of("csbs-core", "csbs-testkit"), new ArrayList<>(coordinates.keySet()), coordinates.toString());
    Set<String> versions = new TreeSet<>(coordinates.values());
    assertEquals(1, versions.size(), "one version in the Coordinates: " + coordinates);
    String coordinatesVersion = versions.iterator().next();

    Matcher status = Pattern.compile("Status: (\\S+), released (\\d{4}-\\d{2}-\\d{2})").matcher(readme);
    assertTrue(status.find(), "README's Status line");
    List<String[]> releases = changelogReleases();
    assertFalse(releases.isEmpty());
    assertEquals(releases.get(0)[0], coordinatesVersion, "the Coordinates name the latest release");
    assertEquals(releases.get(0)[0], status.group(1), "README's Status names the latest release");
    assertEquals(releases.get(0)[1], status.group(2), "README's Status gives the CHANGELOG's release date");

    String install = "git worktree add ../csbs-" + coordinatesVersion + " v" + coordinatesVersion + " && cd ../csbs-"
        + coordinatesVersion + " && mvn -B -q -DskipTests install";
    assertTrue(section(readme, "Coordinates").replaceAll("\\s+", " ").contains("`" + install + "`"),
        "the Coordinates say how to install the release from its tag: " + install);
    String pomVersion = projectVersion();
    String unreleased = changelogSection("Unreleased");
    if (pomVersion.equals(coordinatesVersion)) {
      // the release's own commit: nothing is unreleased yet
      assertFalse(unreleased.contains("\n### "), "a release build with unreleased changes: " + unreleased);
    } else {
      assertTrue(pomVersion.endsWith("-SNAPSHOT"), pomVersion);
      String next = pomVersion.substring(0, pomVersion.length() - "-SNAPSHOT".length());
      assertTrue(compareVersions(next, coordinatesVersion) > 0, next + " after " + coordinatesVersion);
      // README: "before 1.0 a minor version may change the API": [Unreleased] changes the API, so the next
      // version is the next minor one, not a patch
      if (unreleased.contains("\n### Changed\n") || unreleased.contains("\n### Removed\n")) {
        String[] r = coordinatesVersion.split("\\.");
        assertEquals(r[0] + "." + (Integer.parseInt(r[1]) + 1) + ".0", next, "the next version after " + coordinatesVersion);
      }
    }
    for (String module : modules()) {
      Element pom = pom(module);
      assertEquals(pomVersion, text(child(pom, "parent"), "version"), module + "'s parent version");
      assertEquals(null, child(pom, "version"), module + " inherits the parent's version");
    }
  }

  /**
   * README, "Coordinates" ({@code csbs-core} and {@code csbs-testkit}), "A durable, shared catalog"
   * ({@code csbs-postgres}), "The API's JSON" ({@code csbs-json}) and "A reference server" ({@code
   * csbs-server}): every module's snippet names the CHANGELOG's latest release, and no section says a
   * module is unreleased or to take a SNAPSHOT. csbs-json's classes call {@code
   * InvalidValueException.renamed}, which csbs-core has from the release that added csbs-json on (the
   * CHANGELOG adds both in one section): at the README's one version, csbs-json runs with the
   * Coordinates' csbs-core.
   */
  @Test
  void everyModulesSnippetNamesTheLatestReleaseWhichHasWhatCsbsJsonCalls() throws Exception {
    Map<String, String> snippets = dependencySnippets(readme());
    String release = changelogReleases().get(0)[0];
    Map<String, String> expected = new LinkedHashMap<>();
    for (String module : List.of("csbs-core", "csbs-testkit", "csbs-postgres", "csbs-json", "csbs-server")) {
      expected.put(module, release);
    }
    assertEquals(expected, snippets);
    String readme = readme();
    assertFalse(readme.contains("-SNAPSHOT</version>"), "a snippet names a SNAPSHOT");
    assertFalse(readme.toLowerCase(Locale.ROOT).contains("unreleased"), "the README calls a module unreleased");
    String addedJson = null;
    for (String[] r : changelogReleases()) {
      String section = changelogSection(r[0]);
      if (section.contains("New module `csbs-json`")) {
        addedJson = section;
      }
    }
    assertNotNull(addedJson, "a release adds csbs-json");
    assertTrue(addedJson.contains("`InvalidValueException.renamed(field)`"), "the release that adds csbs-json adds renamed");
    Set<String> calls = new TreeSet<>();
    try (JarFile jar = new JarFile(mainJar("csbs-json").toFile())) {
      for (JarEntry entry : classEntries(jar)) {
        calls.addAll(constantPool(read(jar, entry)).methodRefs);
      }
    }
    assertTrue(calls.contains("io/csbs/backup/InvalidValueException.renamed"), "csbs-json calls renamed");
  }

  /**
   * README, "A reference server": "{@code java -jar csbs-server/target/csbs-server-<version>.jar}" and
   * "The jar finds its dependencies in {@code csbs-server/target/lib}". The command names the jar the poms
   * build, the jar names its main class, and its manifest's class path is what the build copies to lib.
   */
  @Test
  void theServersJavaJarCommandNamesTheJarThePomsBuildAndItsClassPathIsInLib() throws Exception {
    Matcher command = Pattern.compile("csbs-server/target/csbs-server-(\\S+?)\\.jar").matcher(readme());
    int commands = 0;
    while (command.find()) {
      assertEquals(projectVersion(), command.group(1), command.group());
      commands++;
    }
    assertTrue(commands >= 2, "the README's java -jar commands: " + commands);
    Manifest manifest;
    try (JarFile jar = new JarFile(mainJar("csbs-server").toFile())) {
      manifest = jar.getManifest();
    }
    assertEquals("io.csbs.server.Main", manifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS));
    List<String> classPath = Arrays.asList(manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH).split(" "));
    assertTrue(classPath.stream().allMatch(e -> e.startsWith("lib/") && e.endsWith(".jar")), classPath.toString());
    assertTrue(classPath.contains("lib/csbs-json-" + projectVersion() + ".jar"), classPath.toString());
    Path lib = root().resolve("csbs-server/target/lib");
    Assumptions.assumeTrue(Files.isDirectory(lib), lib + " is absent: csbs-server was not packaged in this tree");
    Set<String> inLib;
    try (Stream<Path> files = Files.list(lib)) {
      inLib = files.map(p -> "lib/" + p.getFileName()).collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(inLib, new TreeSet<>(classPath), "the manifest's Class-Path and " + lib);
  }

  /**
   * README: "(This code is {@code csbs-core/src/test/java/io/csbs/QuickStartTest.java}, compiled and run with
   * the tests.)", the other modules' {@code ReadmeExampleTest.java}, and "how to run each one, and every
   * result ... are in [csbs-benchmarks/README.md](csbs-benchmarks/README.md)"; CHANGELOG names
   * {@code csbs-benchmarks/README.md} too. Every file of the repository the README and CHANGELOG name (a
   * module's path that is not under {@code target/}) exists, and each named example test is a test.
   */
  @Test
  void everyRepositoryFileTheReadmeAndChangelogNameExists() throws Exception {
    Pattern path = Pattern.compile("(?<![\\w/.-])(csbs-[a-z-]+/(?!target/)[A-Za-z0-9_./-]+\\.(?:java|md|sql|xml))");
    Set<String> named = new TreeSet<>();
    for (String document : List.of("README.md", "CHANGELOG.md")) {
      Matcher m = path.matcher(Files.readString(root().resolve(document)));
      while (m.find()) {
        named.add(m.group(1));
      }
    }
    assertTrue(named.contains("csbs-core/src/test/java/io/csbs/QuickStartTest.java"), named.toString());
    assertTrue(named.size() >= 6, named.toString());
    for (String file : named) {
      Path p = root().resolve(file);
      assertTrue(Files.isRegularFile(p), file + " is named but absent");
      if (file.endsWith("Test.java")) {
        assertTrue(Files.readString(p).contains("@Test"), file + " holds a test");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The licence

  /**
   * CHANGELOG 0.2.0: "License: Apache License 2.0, in {@code LICENSE}, in the POM's {@code <licenses>} and as
   * {@code META-INF/LICENSE} in every jar the build makes". Every jar of every module's target (main,
   * sources, javadoc, the benchmarks' shaded jar) and every published jar on the resolved path carries the
   * repository's LICENSE byte for byte, and that file is the Apache License 2.0 as the ASF publishes it.
   */
  @Test
  void everyJarTheBuildMakesCarriesTheApacheLicenseAsMetaInfLicense() throws Exception {
    byte[] license = Files.readAllBytes(root().resolve("LICENSE"));
    assertEquals(APACHE_2_0_SHA256, sha256(license), "LICENSE is the ASF's text of the Apache License 2.0");
    String text = new String(license, StandardCharsets.US_ASCII);
    assertTrue(text.contains("Apache License\n                           Version 2.0, January 2004"), text.substring(0, 200));

    Set<Path> jars = new TreeSet<>();
    for (String artifact : PUBLISHED.keySet()) {
      jars.add(mainJar(artifact));
      companion(artifact, "sources").ifPresent(jars::add);
      companion(artifact, "javadoc").ifPresent(jars::add);
    }
    for (String module : modules()) {
      Path target = root().resolve(module).resolve("target");
      if (Files.isDirectory(target)) {
        try (Stream<Path> files = Files.list(target)) {
          files.filter(p -> p.toString().endsWith(".jar")).forEach(jars::add);
        }
      }
    }
    List<String> problems = new ArrayList<>();
    for (Path jar : jars) {
      try (JarFile file = new JarFile(jar.toFile())) {
        JarEntry entry = file.getJarEntry("META-INF/LICENSE");
        if (entry == null) {
          problems.add(jar + ": no META-INF/LICENSE");
        } else if (!Arrays.equals(license, read(file, entry))) {
          problems.add(jar + ": META-INF/LICENSE is not the project's LICENSE");
        }
      }
    }
    assertTrue(jars.size() >= 10, jars.toString());
    assertEquals(List.of(), problems);
  }

  /**
   * CHANGELOG 0.2.0: "in the POM's {@code <licenses>} ... the POM names the project's home, SCM and
   * developers". Each published pom (the module's own with what it inherits from the parent) has the name,
   * description, url, licence (Apache 2.0, its ASF address), developers and SCM that a release to Maven
   * Central requires, and no module overrides the licence.
   */
  @Test
  void eachPublishedPomNamesTheApacheLicenseAndTheMetadataACentralReleaseRequires() throws Exception {
    Element parent = pom(null);
    Element licenses = child(parent, "licenses");
    assertNotNull(licenses, "the parent pom's <licenses>");
    List<Element> each = children(licenses, "license");
    assertEquals(1, each.size());
    assertTrue(text(each.get(0), "name").contains("Apache License") && text(each.get(0), "name").contains("2.0"),
        text(each.get(0), "name"));
    assertEquals("https://www.apache.org/licenses/LICENSE-2.0.txt", text(each.get(0), "url"));
    assertNotNull(text(parent, "url"));
    assertNotNull(child(parent, "developers"));
    Element scm = child(parent, "scm");
    assertNotNull(scm);
    assertTrue(text(scm, "connection").startsWith("scm:git:"), text(scm, "connection"));
    assertTrue(text(scm, "url").startsWith("https://"), text(scm, "url"));
    assertEquals(null, child(parent, "repositories"), "a release needs no repository beyond Central");
    assertEquals(null, child(parent, "pluginRepositories"));
    for (Element property : children(child(parent, "properties"), null)) {
      assertFalse(property.getTextContent().contains("SNAPSHOT"), property.getTagName() + " " + property.getTextContent());
    }
    for (String artifact : PUBLISHED.keySet()) {
      Element pom = pom(artifact);
      assertEquals(null, child(pom, "repositories"), artifact);
      for (Dep d : dependencies(pom)) {
        assertTrue(d.version == null || d.version.equals("${project.version}"), artifact + ": " + d + " " + d.version
            + " (versions come from the parent's dependencyManagement)");
      }
      assertEquals(artifact, text(pom, "artifactId"));
      assertEquals(artifact, text(pom, "name"), artifact + "'s <name>");
      assertTrue(text(pom, "description") != null && text(pom, "description").length() > 20, artifact + "'s <description>");
      assertEquals(null, child(pom, "licenses"), artifact + " inherits the parent's licence");
      assertEquals(null, child(pom, "packaging"), artifact + " is a jar");
      assertEquals("io.csbs", text(child(pom, "parent"), "groupId"));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sources and javadoc jars

  /**
   * CHANGELOG 0.2.0: "Sources and javadoc jars ({@code -sources.jar}, {@code -javadoc.jar}) of csbs-core,
   * csbs-testkit and csbs-postgres are built by {@code mvn verify}" ("A library a company can ship ... sources
   * and javadoc jars"); csbs-json and csbs-server are published as well ("Each published jar", README
   * "Compatibility"). Every published module has its sources jar beside its jar, holding the sources of its
   * packages and no test.
   */
  @Test
  void everyPublishedModuleHasASourcesJarWithItsPackagesAndNoTest() throws Exception {
    for (String artifact : PUBLISHED.keySet()) {
      Path sources = companion(artifact, "sources").orElse(null);
      assertNotNull(sources, artifact + ": no -sources.jar beside " + mainJar(artifact) + " nor in its target/");
      Set<String> packages = new TreeSet<>();
      try (JarFile jar = new JarFile(sources.toFile())) {
        for (JarEntry entry : Collections.list(jar.entries())) {
          String name = entry.getName();
          if (name.endsWith(".java")) {
            assertFalse(name.matches(".*(Test|Tests|IT)\\.java"), sources + " holds a test: " + name);
            int slash = name.lastIndexOf('/');
            if (slash > 0) {
              packages.add(name.substring(0, slash).replace('/', '.'));
            }
          }
        }
      }
      assertEquals(README_EXPORTS.get(PUBLISHED.get(artifact)), packages, sources.toString());
    }
  }

  /**
   * The sources jar is what an IDE shows for a class of the jar (CHANGELOG 0.2.0: "Sources and javadoc jars
   * ... of csbs-core, csbs-testkit and csbs-postgres"): every top-level class of a published jar, the module
   * descriptor included, has its source in the sources jar (as {@code Name.java}, or declared in another
   * file of its package).
   */
  @Test
  void everyClassOfAPublishedJarHasItsSourceInTheSourcesJar() throws Exception {
    Map<String, List<String>> missing = classesWithoutSource();
    assertEquals(Map.of(), missing);
  }

  /**
   * CHANGELOG 0.2.0: "Sources and javadoc jars ... are built by {@code mvn verify}" and "LICENSE ... as
   * META-INF/LICENSE in every jar the build makes". When the build made javadoc (not
   * {@code -Dmaven.javadoc.skip}), every published module has a javadoc jar with an index, a page for each
   * package the README says it exports, and the LICENSE.
   */
  @Test
  void everyPublishedModuleHasAJavadocJarWithAPageForEachExportedPackage() throws Exception {
    Map<String, Path> javadoc = new LinkedHashMap<>();
    for (String artifact : PUBLISHED.keySet()) {
      companion(artifact, "javadoc").ifPresent(p -> javadoc.put(artifact, p));
    }
    Assumptions.assumeFalse(javadoc.isEmpty(),
        "no -javadoc.jar beside the jars nor in target/: this build skipped javadoc (-Dmaven.javadoc.skip)");
    assertEquals(PUBLISHED.keySet(), javadoc.keySet(), "javadoc jars of some modules only: " + javadoc);
    for (Map.Entry<String, Path> e : javadoc.entrySet()) {
      try (JarFile jar = new JarFile(e.getValue().toFile())) {
        assertNotNull(jar.getEntry("index.html"), e.getValue() + ": index.html");
        assertNotNull(jar.getEntry("META-INF/LICENSE"), e.getValue() + ": META-INF/LICENSE");
        for (String p : README_EXPORTS.get(PUBLISHED.get(e.getKey()))) {
          // modular javadoc puts a package's pages under the module's folder
          String page = p.replace('.', '/') + "/package-summary.html";
          String modular = PUBLISHED.get(e.getKey()) + "/" + page;
          assertTrue(jar.getEntry(page) != null || jar.getEntry(modular) != null, e.getValue() + ": " + page);
        }
        assertFalse(Collections.list(jar.entries()).stream().anyMatch(x -> x.getName().endsWith(".class")),
            e.getValue() + " holds classes");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // What the published jars hold and need

  /**
   * README "Compatibility": "Dependencies: none (core) ..."; "csbs-core has no runtime dependency:
   * Immutables generates its value classes at build time, as JDK-only code, and is not on your runtime
   * path"; benchmarks are "benchmarks only". No published jar holds a test class, a test resource, a
   * benchmark, an annotation processor (or its service file), Immutables' or Guava's or JUnit's classes, and
   * the runtime path Maven resolves has no Immutables, Guava, JMH, CQEngine or RoaringBitmap jar.
   */
  @Test
  void noPublishedJarHoldsTestsBenchmarksProcessorsOrOtherProjectsClasses() throws Exception {
    List<String> problems = new ArrayList<>();
    for (String artifact : PUBLISHED.keySet()) {
      Path path = mainJar(artifact);
      try (JarFile jar = new JarFile(path.toFile())) {
        for (JarEntry entry : Collections.list(jar.entries())) {
          String name = entry.getName();
          String simple = name.substring(name.lastIndexOf('/') + 1);
          boolean bad = simple.matches("[A-Za-z0-9_]*(Test|Tests|IT)(\\$.*)?\\.class")
              || name.startsWith("io/csbs/benchmarks/") || name.contains("/jmh_generated/")
              || name.startsWith("META-INF/services/") || name.startsWith("org/") || name.startsWith("com/")
              || name.startsWith("junit") || name.startsWith("test/") || name.endsWith(".java")
              || name.startsWith("META-INF/versions/");
          if (!name.endsWith("/") && !name.startsWith("META-INF/") && !name.startsWith("io/csbs/")
              && !name.equals("module-info.class")) {
            bad = true;
          }
          if (bad) {
            problems.add(path.getFileName() + "!" + name);
          }
        }
      }
    }
    assertEquals(List.of(), problems);
    Assumptions.assumeTrue(RUNTIME_PATH != null, "consumer.runtime.path is not set");
    for (String jar : RUNTIME_PATH.split(File.pathSeparator)) {
      String name = Path.of(jar).getFileName().toString().toLowerCase();
      for (String forbidden : List.of("immutables", "value-", "guava", "jmh", "cqengine", "roaring")) {
        assertFalse(name.contains(forbidden), "on the runtime path: " + jar);
      }
    }
  }

  /**
   * README "Compatibility": "Dependencies: none (core); JUnit 5 API (testkit); the PostgreSQL JDBC driver
   * (csbs-postgres); Jackson's jackson-core (csbs-json); csbs-json and the JDK's jdk.httpserver (csbs-server;
   * the testkit only for its java -jar demo)". Read from the class files themselves (every class, field and
   * method type their constant pools and members name): each published jar needs the JDK, csbs's own API
   * packages of the modules it depends on, and those libraries only; csbs-server's testkit (and the
   * PostgreSQL catalog its {@code --jdbc-url} serves) only from its runnable main class.
   */
  @Test
  void theClassFilesNeedOnlyTheJdkAndTheDependenciesTheReadmeLists() throws Exception {
    Map<String, String> jdkPackages = new HashMap<>();
    for (ModuleReference m : ModuleFinder.ofSystem().findAll()) {
      for (String p : m.descriptor().packages()) {
        jdkPackages.put(p, m.descriptor().name());
      }
    }
    Map<String, List<String>> allowed = Map.of(
        "csbs-core", List.of("io.csbs"),
        "csbs-testkit", List.of("io.csbs", "org.junit.jupiter.api", "org.opentest4j"),
        "csbs-postgres", List.of("io.csbs", "org.postgresql"),
        "csbs-json", List.of("io.csbs", "com.fasterxml.jackson.core"),
        "csbs-server", List.of("io.csbs", "com.fasterxml.jackson.core"));
    Map<String, Set<String>> csbsPackages = Map.of(
        "csbs-core", README_EXPORTS.get("csbs.core"),
        "csbs-testkit", union(README_EXPORTS.get("csbs.core"), README_EXPORTS.get("csbs.testkit")),
        "csbs-postgres", union(README_EXPORTS.get("csbs.core"), README_EXPORTS.get("csbs.postgres")),
        "csbs-json", union(README_EXPORTS.get("csbs.core"), README_EXPORTS.get("csbs.json")),
        "csbs-server", union(README_EXPORTS.get("csbs.core"), union(README_EXPORTS.get("csbs.json"),
            README_EXPORTS.get("csbs.server"))));
    Set<String> problems = new TreeSet<>();
    int classes = 0;
    for (String artifact : PUBLISHED.keySet()) {
      try (JarFile jar = new JarFile(mainJar(artifact).toFile())) {
        for (JarEntry entry : classEntries(jar)) {
          classes++;
          String owner = entry.getName().substring(0, entry.getName().length() - ".class".length());
          boolean runnableMain = artifact.equals("csbs-server")
              && (owner.equals("io/csbs/server/Main") || owner.startsWith("io/csbs/server/Main$"));
          // Main's --jdbc-url serves a PostgreSQL catalog through this package-private class
          boolean servedDatabase = artifact.equals("csbs-server") && owner.equals("io/csbs/server/ServedDatabase");
          for (String type : constantPool(read(jar, entry)).types) {
            String p = type.lastIndexOf('/') < 0 ? "" : type.substring(0, type.lastIndexOf('/')).replace('/', '.');
            if (jdkPackages.containsKey(p)) {
              if (p.startsWith("jdk.internal") || p.startsWith("sun.")) {
                problems.add(artifact + ": " + owner + " needs the JDK's internal " + type);
              }
              continue;
            }
            if (p.startsWith("io.csbs")) {
              if (!csbsPackages.get(artifact).contains(p)
                  && !(runnableMain && p.equals("io.csbs.testing"))
                  && !((runnableMain || servedDatabase) && p.equals("io.csbs.postgres"))) {
                problems.add(artifact + ": " + owner + " needs " + type);
              }
              continue;
            }
            String pkg = p;
            if (allowed.get(artifact).stream().noneMatch(a -> !a.equals("io.csbs") && (pkg.equals(a) || pkg.startsWith(a + ".")))
                && !((runnableMain || servedDatabase) && pkg.startsWith("org.postgresql"))) {
              problems.add(artifact + ": " + owner + " needs " + type);
            }
          }
        }
      }
    }
    assertTrue(classes > 250, "classes read: " + classes);
    assertEquals(Set.of(), problems);
  }

  /**
   * README "Compatibility": "Each published jar is a named Java module that exports its API packages only:
   * csbs.core (io.csbs, io.csbs.backup, io.csbs.lifecycle, io.csbs.query, io.csbs.catalog, io.csbs.usage),
   * csbs.testkit (io.csbs.testing ...), csbs.postgres (io.csbs.postgres ...), csbs.json (io.csbs.json ...)
   * and csbs.server (io.csbs.server ...)". Read from each jar's {@code module-info.class}: the name, exactly
   * those exports (none qualified), no package beyond them, and the module's version is the poms' version
   * (so that a stack trace or {@code jar --describe-module} names the release).
   */
  @Test
  void eachJarsDescriptorNamesTheModuleExportsTheReadmesPackagesAndCarriesThePomsVersion() throws Exception {
    for (Map.Entry<String, String> e : PUBLISHED.entrySet()) {
      ModuleDescriptor d;
      try (JarFile jar = new JarFile(mainJar(e.getKey()).toFile())) {
        JarEntry info = jar.getJarEntry("module-info.class");
        assertNotNull(info, e.getKey() + ": module-info.class");
        try (InputStream in = jar.getInputStream(info)) {
          d = ModuleDescriptor.read(in);
        }
        assertEquals(null, jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"), e.getKey());
      }
      assertEquals(e.getValue(), d.name());
      assertFalse(d.isAutomatic() || d.isOpen(), d.toString());
      Set<String> exports = new TreeSet<>();
      for (ModuleDescriptor.Exports x : d.exports()) {
        assertFalse(x.isQualified(), e.getValue() + " " + x);
        exports.add(x.source());
      }
      assertEquals(new TreeSet<>(README_EXPORTS.get(e.getValue())), exports, e.getValue() + " exports");
      assertEquals(exports, new TreeSet<>(d.packages()), e.getValue() + " packages");
      assertEquals(Optional.of(projectVersion()), d.rawVersion(), e.getValue() + " version");
      assertEquals(e.getValue().equals("csbs.server") ? Optional.of("io.csbs.server.Main") : Optional.empty(),
          d.mainClass(), e.getValue() + " main class");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The poms' dependencies

  /**
   * README "Compatibility": "Dependencies: none (core); JUnit 5 API (testkit); the PostgreSQL JDBC driver
   * (csbs-postgres); Jackson's jackson-core (csbs-json)"; "csbs-core has no runtime dependency";
   * "[csbs-postgres] depends on csbs-core and the PostgreSQL JDBC driver only; bring your own connection
   * pool"; "[csbs-json] depends on csbs-core and Jackson's streaming jackson-core only"; "The testkit
   * brings the JUnit 5 API (its contract suite is JUnit 5 tests), not the engine that runs tests". Read from
   * each module's pom: its dependencies that reach a user (compile or runtime scope, not optional) are
   * exactly those; Immutables' annotations are {@code provided}; the pool, the engine, the embedded database
   * and Guava's testlib are {@code test} scope.
   */
  @Test
  void eachPomDeclaresTheReadmesDependenciesAtTheScopesThatReachAUser() throws Exception {
    Map<String, Set<String>> expected = Map.of(
        "csbs-core", Set.of(),
        "csbs-testkit", Set.of("io.csbs:csbs-core", "org.junit.jupiter:junit-jupiter-api"),
        "csbs-postgres", Set.of("io.csbs:csbs-core", "org.postgresql:postgresql"),
        "csbs-json", Set.of("io.csbs:csbs-core", "com.fasterxml.jackson.core:jackson-core"));
    for (Map.Entry<String, Set<String>> e : new TreeMap<>(expected).entrySet()) {
      List<Dep> deps = dependencies(pom(e.getKey()));
      Set<String> reaching = deps.stream().filter(Dep::reachesUsers).map(Dep::key).collect(Collectors.toCollection(TreeSet::new));
      assertEquals(new TreeSet<>(e.getValue()), reaching, e.getKey() + ": " + deps);
      for (Dep d : deps) {
        if (d.reachesUsers()) {
          continue;
        }
        if (d.artifactId.equals("value-annotations")) {
          assertEquals("provided", d.scope, e.getKey() + ": " + d);
        } else {
          assertEquals("test", d.scope, e.getKey() + ": " + d);
        }
      }
      assertTrue(deps.stream().noneMatch(d -> d.artifactId.equals("value") || d.artifactId.equals("guava")), deps.toString());
    }
    // the value-annotations of csbs-core are "provided": Maven does not pass provided dependencies on
    assertTrue(dependencies(pom("csbs-core")).stream().anyMatch(d -> d.artifactId.equals("value-annotations")));
  }

  /**
   * README "Compatibility": "csbs-json and the JDK's jdk.httpserver (csbs-server; the testkit only for its
   * java -jar demo, csbs-postgres, optional, only for its --jdbc-url)". The server's pom depends on
   * csbs-core and csbs-json, and on the testkit and csbs-postgres only as optional dependencies: nothing else.
   */
  @Test
  void theServersPomHasTheDependenciesCompatibilityListsAndNothingElse() throws Exception {
    Set<String> deps = dependencies(pom("csbs-server")).stream().filter(d -> !"test".equals(d.scope))
        .map(d -> d.key() + (d.optional ? " optional" : "")).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(Set.of("io.csbs:csbs-core", "io.csbs:csbs-json", "io.csbs:csbs-testkit optional",
        "io.csbs:csbs-postgres optional"), deps);
    ModuleDescriptor d;
    try (JarFile jar = new JarFile(mainJar("csbs-server").toFile());
        InputStream in = jar.getInputStream(jar.getJarEntry("module-info.class"))) {
      d = ModuleDescriptor.read(in);
    }
    Map<String, Set<ModuleDescriptor.Requires.Modifier>> requires = new TreeMap<>();
    d.requires().forEach(r -> requires.put(r.name(), r.modifiers()));
    assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC), requires.get("csbs.postgres"), requires.toString());
    assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC), requires.get("csbs.testkit"), requires.toString());
  }

  /**
   * The poms "as published": what a consumer's Maven reads is the pom packed into the jar
   * ({@code META-INF/maven/io.csbs/<artifact>/pom.xml}, with {@code pom.properties}) and, from a repository,
   * the installed {@code .pom} with its parent's. Each is the reactor's {@code pom.xml} byte for byte, and
   * the parent csbs-parent is installed beside them when the jars come from a local repository.
   */
  @Test
  void theJarsEmbeddedPomsAndTheInstalledPomsAreTheReactorsPoms() throws Exception {
    int installed = 0;
    for (String artifact : PUBLISHED.keySet()) {
      Path jarPath = mainJar(artifact);
      byte[] reactorPom = Files.readAllBytes(root().resolve(artifact).resolve("pom.xml"));
      try (JarFile jar = new JarFile(jarPath.toFile())) {
        JarEntry pom = jar.getJarEntry("META-INF/maven/io.csbs/" + artifact + "/pom.xml");
        assertNotNull(pom, jarPath + ": its pom");
        assertArrayEquals(reactorPom, read(jar, pom), jarPath + ": the packed pom is " + artifact + "/pom.xml");
        JarEntry properties = jar.getJarEntry("META-INF/maven/io.csbs/" + artifact + "/pom.properties");
        assertNotNull(properties, jarPath + ": pom.properties");
        java.util.Properties p = new java.util.Properties();
        try (InputStream in = jar.getInputStream(properties)) {
          p.load(in);
        }
        assertEquals(Map.of("groupId", "io.csbs", "artifactId", artifact, "version", projectVersion()), new TreeMap<>(p));
      }
      Path installedPom = jarPath.resolveSibling(artifact + "-" + projectVersion() + ".pom");
      if (Files.isRegularFile(installedPom)) {
        installed++;
        assertArrayEquals(reactorPom, Files.readAllBytes(installedPom), installedPom.toString());
        Path parentPom = jarPath.getParent().getParent().getParent()
            .resolve("csbs-parent").resolve(projectVersion()).resolve("csbs-parent-" + projectVersion() + ".pom");
        assertTrue(Files.isRegularFile(parentPom), "the parent pom is installed: " + parentPom);
        assertArrayEquals(Files.readAllBytes(root().resolve("pom.xml")), Files.readAllBytes(parentPom), parentPom.toString());
      }
    }
    assertTrue(installed == 0 || installed == PUBLISHED.size(), "installed poms of some artifacts only: " + installed);
  }

  /**
   * README "Compatibility": "Java 17 or later (bytecode level 17); Maven 3.8 or later to build"; "Testing
   * your code with csbs-testkit": {@code junit-jupiter-engine} {@code 5.14.1} and "pin a Surefire of 2.22 or
   * later (3.x preferred)" with {@code maven-surefire-plugin} {@code 3.5.3}. The parent pom compiles for
   * release 17, its enforcer asks Java [17,) and Maven [3.8,), and the JUnit and Surefire versions the README
   * tells users to add are the ones the testkit is built and tested with (an engine of another version than
   * the testkit's JUnit API fails to start).
   */
  @Test
  void theBuildAsksJava17AndMaven38AndTheReadmesJunitAndSurefireVersionsAreTheParentPoms() throws Exception {
    Element parent = pom(null);
    Element properties = child(parent, "properties");
    assertEquals("17", text(properties, "maven.compiler.release"));
    assertEquals("UTF-8", text(properties, "project.build.sourceEncoding"));
    String pomText = Files.readString(root().resolve("pom.xml"));
    assertTrue(pomText.contains("<requireMavenVersion>\n                  <version>[3.8,)</version>"), "requireMavenVersion [3.8,)");
    assertTrue(pomText.contains("<requireJavaVersion>\n                  <version>[17,)</version>"), "requireJavaVersion [17,)");

    String testing = section(readme(), "Testing your code with csbs-testkit");
    Matcher engine = Pattern.compile("<artifactId>junit-jupiter-engine</artifactId>\\s*<version>([^<]+)</version>").matcher(testing);
    assertTrue(engine.find(), "README's engine snippet");
    assertEquals(text(properties, "junit.version"), engine.group(1), "README's engine version is the testkit's JUnit");
    Matcher surefire = Pattern.compile("<artifactId>maven-surefire-plugin</artifactId>\\s*<version>([^<]+)</version>").matcher(testing);
    assertTrue(surefire.find(), "README's Surefire snippet");
    String managed = null;
    for (Element plugin : children(child(child(child(parent, "build"), "pluginManagement"), "plugins"), "plugin")) {
      if ("maven-surefire-plugin".equals(text(plugin, "artifactId"))) {
        managed = text(plugin, "version");
      }
    }
    assertEquals(managed, surefire.group(1), "README's Surefire is the build's");
    assertTrue(compareVersions(surefire.group(1), "2.22") >= 0 && surefire.group(1).startsWith("3."), surefire.group(1));
  }

  /**
   * README "Compatibility": "JMH, CQEngine and RoaringBitmap (benchmarks only, as baselines)"; CHANGELOG
   * 0.2.0: "(not of csbs-benchmarks, which is not published)"; csbs-modular-consumer's pom: "Not published".
   * The two unpublished modules skip install, deploy, sources and javadoc; only csbs-benchmarks names JMH,
   * CQEngine and RoaringBitmap; no published module depends on an unpublished one; and a local repository
   * the jars come from holds no csbs-benchmarks or csbs-modular-consumer.
   */
  @Test
  void theBenchmarksAndTheModularConsumerAreNotPublishedAndOnlyTheBenchmarksNameTheBaselines() throws Exception {
    for (String unpublished : List.of("csbs-benchmarks", "csbs-modular-consumer")) {
      Element properties = child(pom(unpublished), "properties");
      for (String skip : List.of("maven.install.skip", "maven.deploy.skip", "maven.javadoc.skip", "maven.source.skip")) {
        assertEquals("true", text(properties, skip), unpublished + " " + skip);
      }
    }
    Set<String> baselines = Set.of("jmh-core", "jmh-generator-annprocess", "cqengine", "RoaringBitmap");
    for (String module : modules()) {
      Set<String> named = dependencies(pom(module)).stream().map(d -> d.artifactId).filter(baselines::contains)
          .collect(Collectors.toSet());
      if (module.equals("csbs-benchmarks")) {
        assertEquals(baselines, named);
      } else {
        assertEquals(Set.of(), named, module);
      }
      if (PUBLISHED.containsKey(module)) {
        for (Dep d : dependencies(pom(module))) {
          assertFalse(d.artifactId.equals("csbs-benchmarks") || d.artifactId.equals("csbs-modular-consumer"), module + ": " + d);
        }
      }
    }
    Path core = mainJar("csbs-core");
    Path repository = core.getParent().getParent().getParent();
    // a local repository's layout: .../io/csbs/csbs-core/<version>/csbs-core-<version>.jar
    if (core.getParent().getFileName().toString().equals(projectVersion())
        && core.getParent().getParent().getFileName().toString().equals("csbs-core")
        && repository.getFileName().toString().equals("csbs")
        && repository.getParent().getFileName().toString().equals("io")) {
      assertFalse(Files.exists(repository.resolve("csbs-benchmarks")), repository.toString());
      assertFalse(Files.exists(repository.resolve("csbs-modular-consumer")), repository.toString());
    }
  }

  /**
   * README "The two commands": "{@code mvn -B -q -DskipTests package && java -Xmx3g -cp
   * csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.ConsoleDemo}". The benchmarks' pom names its
   * shaded jar {@code benchmarks}, and {@code ConsoleDemo} is among its sources (csbs-benchmarks is built
   * after this module; its own ReadmeCommandsTest runs the command).
   */
  @Test
  void theConsoleDemoCommandNamesTheBenchmarksJarAndItsClass() throws Exception {
    String twoCommands = section(readme(), "The two commands");
    assertTrue(twoCommands.contains("java -Xmx3g -cp csbs-benchmarks/target/benchmarks.jar io.csbs.benchmarks.ConsoleDemo"),
        twoCommands.substring(0, 300));
    assertTrue(twoCommands.contains("\nmvn -B verify\n"), "the second command");
    assertTrue(Files.isRegularFile(root().resolve(".ci/run")), ".ci/run");
    assertTrue(Files.readString(root().resolve(".ci/run")).contains("\nmvn -B verify\n"), ".ci/run runs mvn -B verify");
    assertTrue(Files.readString(root().resolve("csbs-benchmarks/pom.xml")).contains("<finalName>benchmarks</finalName>"));
    // the jar itself is packaged after this module: csbs-benchmarks' ReadmeCommandsTest runs the command
    assertTrue(Files.isRegularFile(root().resolve("csbs-benchmarks/src/main/java/io/csbs/benchmarks/ConsoleDemo.java")),
        "ConsoleDemo's source");
  }

  /**
   * CHANGELOG 0.1.0: "Maven build: parent pom.xml ..., Java 17, every plugin version pinned and enforced".
   * Every plugin a pom of the reactor names (its build, its profiles' builds, the parent's
   * pluginManagement) has a fixed version, in itself or in the parent's pluginManagement (no range, no
   * SNAPSHOT, no LATEST or RELEASE); the plugins of the default lifecycle a release build runs are pinned
   * there too; and the enforcer's {@code requirePluginVersions} rule runs.
   */
  @Test
  void everyPluginOfEveryPomHasAFixedVersion() throws Exception {
    Element parent = pom(null);
    Map<String, String> managed = new TreeMap<>();
    for (Element plugin : children(child(child(child(parent, "build"), "pluginManagement"), "plugins"), "plugin")) {
      managed.put(text(plugin, "artifactId"), text(plugin, "version"));
    }
    for (String lifecycle : List.of("maven-clean-plugin", "maven-resources-plugin", "maven-compiler-plugin",
        "maven-surefire-plugin", "maven-jar-plugin", "maven-source-plugin", "maven-javadoc-plugin",
        "maven-install-plugin", "maven-deploy-plugin", "maven-site-plugin", "maven-enforcer-plugin")) {
      assertTrue(managed.containsKey(lifecycle), lifecycle + " in the parent's pluginManagement: " + managed);
    }
    List<String> problems = new ArrayList<>();
    List<String> poms = new ArrayList<>();
    poms.add(null);
    poms.addAll(modules());
    for (String module : poms) {
      Element pom = pom(module);
      List<Element> builds = new ArrayList<>();
      builds.add(child(pom, "build"));
      for (Element profile : children(child(pom, "profiles"), "profile")) {
        builds.add(child(profile, "build"));
      }
      for (Element build : builds) {
        List<Element> plugins = new ArrayList<>(children(child(build, "plugins"), "plugin"));
        plugins.addAll(children(child(child(build, "pluginManagement"), "plugins"), "plugin"));
        for (Element plugin : plugins) {
          String id = text(plugin, "artifactId");
          String version = text(plugin, "version") != null ? text(plugin, "version") : managed.get(id);
          if (version == null || version.contains("SNAPSHOT") || version.matches(".*[\\[\\](),].*")
              || version.equals("LATEST") || version.equals("RELEASE")
              || version.contains("${") && !version.equals("${project.version}")) {
            problems.add((module == null ? "parent" : module) + ": " + id + " " + version);
          }
        }
      }
    }
    assertEquals(List.of(), problems);
    assertTrue(Files.readString(root().resolve("pom.xml")).contains("<requirePluginVersions>"), "requirePluginVersions");
  }

  /**
   * CHANGELOG 0.2.0: "Javadoc is checked by the build: {@code mvn verify} runs javadoc with doclint on
   * ({@code -Xdoclint:all}) and fails on any warning or error". The parent's javadoc plugin runs its
   * {@code jar} goal in every module with doclint {@code all}, {@code failOnError} and
   * {@code failOnWarnings}, and no published module skips javadoc or relaxes those settings.
   */
  @Test
  void theBuildRunsJavadocWithDoclintAllAndFailsOnWarningsInEveryPublishedModule() throws Exception {
    Element javadoc = null;
    for (Element plugin : children(child(child(child(pom(null), "build"), "pluginManagement"), "plugins"), "plugin")) {
      if ("maven-javadoc-plugin".equals(text(plugin, "artifactId"))) {
        javadoc = plugin;
      }
    }
    assertNotNull(javadoc);
    Element configuration = child(javadoc, "configuration");
    assertEquals("all", text(configuration, "doclint"));
    assertEquals("true", text(configuration, "failOnError"));
    assertEquals("true", text(configuration, "failOnWarnings"));
    Element attached = null;
    for (Element plugin : children(child(child(pom(null), "build"), "plugins"), "plugin")) {
      if ("maven-javadoc-plugin".equals(text(plugin, "artifactId"))) {
        attached = plugin;
      }
    }
    assertNotNull(attached, "the javadoc plugin runs in every module's build");
    assertTrue(children(child(child(child(attached, "executions"),
        "execution"), "goals"), "goal").stream().anyMatch(g -> g.getTextContent().trim().equals("jar")), "the jar goal");
    assertEquals("false", text(child(pom(null), "properties"), "maven.javadoc.skip"));
    for (String artifact : PUBLISHED.keySet()) {
      String text = Files.readString(root().resolve(artifact).resolve("pom.xml"));
      for (String relaxed : List.of("maven.javadoc.skip", "<doclint>", "failOnWarnings", "failOnError", "<skip>")) {
        assertFalse(text.contains(relaxed), artifact + "'s pom sets " + relaxed);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The CHANGELOG

  /**
   * CHANGELOG: "All notable changes to csbs are recorded here, in the form of Keep a Changelog 1.1.0; the
   * project follows Semantic Versioning". Keep a Changelog's form: an [Unreleased] section at the top; then
   * each release {@code ## [x.y.z] - YYYY-MM-DD}, newest first (versions and dates falling); in each, only
   * the six types of change (Added, Changed, Deprecated, Removed, Fixed, Security), each once, in that order
   * (the project's own reading: commit "CHANGELOG: [Unreleased] in Keep a Changelog's order (Added, Changed,
   * Fixed)"), at least one in a release ([Unreleased] may be empty, as it is just after a release); every
   * change a list item; and a link for every version at the bottom, [Unreleased] comparing
   * the latest tag with HEAD and each release the one before it.
   */
  @Test
  void theChangelogHasKeepAChangelogsForm() throws Exception {
    List<String> lines = Files.readAllLines(root().resolve("CHANGELOG.md"));
    assertEquals("# Changelog", lines.get(0));
    String head = String.join("\n", lines.subList(0, 8));
    assertTrue(head.contains("https://keepachangelog.com/en/1.1.0/") && head.contains("https://semver.org/spec/v2.0.0.html"), head);
    Pattern release = Pattern.compile("## \\[(\\d+)\\.(\\d+)\\.(\\d+)\\] - (\\d{4}-\\d{2}-\\d{2})");
    List<String> versions = new ArrayList<>();
    LocalDate previousDate = null;
    String previousVersion = null;
    Map<String, List<String>> types = new LinkedHashMap<>();
    String current = null;
    boolean inTypeSection = false;
    List<String> problems = new ArrayList<>();
    Map<String, String> links = new LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("## ")) {
        inTypeSection = false;
        if (current == null) {
          assertEquals("## [Unreleased]", line, "the first section");
          current = "Unreleased";
        } else {
          Matcher m = release.matcher(line);
          if (!m.matches()) {
            problems.add("line " + (i + 1) + ": not a release heading: " + line);
            continue;
          }
          String version = m.group(1) + "." + m.group(2) + "." + m.group(3);
          LocalDate date = LocalDate.parse(m.group(4));
          if (previousVersion != null && compareVersions(previousVersion, version) <= 0) {
            problems.add(version + " after " + previousVersion);
          }
          if (previousDate != null && date.isAfter(previousDate)) {
            problems.add(version + " dated " + date + " after " + previousDate);
          }
          previousVersion = version;
          previousDate = date;
          current = version;
        }
        versions.add(current);
        types.put(current, new ArrayList<>());
      } else if (line.startsWith("### ")) {
        String type = line.substring(4);
        if (!KEEP_A_CHANGELOG_TYPES.contains(type)) {
          problems.add(current + ": a section of no Keep a Changelog type: " + type);
        }
        types.get(current).add(type);
        inTypeSection = true;
      } else if (line.startsWith("#")) {
        problems.add("line " + (i + 1) + ": " + line);
      } else if (line.matches("\\[[^\\]]+\\]: .*")) {
        links.put(line.substring(1, line.indexOf(']')), line.substring(line.indexOf("]: ") + 3));
        inTypeSection = false;
      } else if (inTypeSection && !line.isBlank() && !line.startsWith("- ")) {
        problems.add("line " + (i + 1) + ": not a list item in " + current + ": " + line);
      }
    }
    for (Map.Entry<String, List<String>> e : types.entrySet()) {
      List<String> ordered = new ArrayList<>(e.getValue());
      ordered.sort((a, b) -> Integer.compare(KEEP_A_CHANGELOG_TYPES.indexOf(a), KEEP_A_CHANGELOG_TYPES.indexOf(b)));
      if (!ordered.equals(e.getValue()) || new HashSet<>(e.getValue()).size() != e.getValue().size()) {
        problems.add(e.getKey() + "'s sections " + e.getValue());
      }
      if (e.getValue().isEmpty() && !e.getKey().equals("Unreleased")) {  // empty just after a release
        problems.add(e.getKey() + " has no section");
      }
    }
    assertEquals(List.of(), problems);
    assertEquals(versions, new ArrayList<>(links.keySet()), "a link for every version, in the same order");
    for (int i = 0; i < versions.size(); i++) {
      String link = links.get(versions.get(i));
      if (i == versions.size() - 1) {
        assertTrue(link.endsWith("/releases/tag/v" + versions.get(i)), link);
      } else {
        String to = i == 0 ? "HEAD" : "v" + versions.get(i);
        assertTrue(link.endsWith("/compare/v" + versions.get(i + 1) + "..." + to), link);
      }
      assertTrue(link.startsWith(text(pom(null), "url") + "/"), "links point at the pom's url: " + link);
    }
  }

  /**
   * Keep a Changelog 1.1.0 (which the CHANGELOG says it follows): "Removed for now removed features" beside
   * "Changed for changes in existing functionality". A public method or a dependency that is gone belongs in
   * a release's Removed section, where a user upgrading looks for what breaks.
   */
  @Test
  void whatARemovalTakesAwayIsListedUnderRemoved() throws Exception {
    assertEquals(Map.of(), goneUnderChanged());
  }

  // ---------------------------------------------------------------------------------------------
  // Reproducible builds

  /**
   * CHANGELOG 0.2.0: "A library a company can ship"; a release engineer checks that the published jars can be
   * rebuilt from the tag to the same bytes (Maven's reproducible builds: {@code project.build.outputTimestamp}
   * in the parent pom, so that every jar entry carries that one instant instead of the build's clock).
   * Here: the parent pom sets the property, and every entry of every published jar (main and sources) has
   * one and the same time.
   */
  @Test
  void thePublishedJarsAreReproducible() throws Exception {
    assertNotNull(text(child(pom(null), "properties"), "project.build.outputTimestamp"), "project.build.outputTimestamp");
    for (String artifact : PUBLISHED.keySet()) {
      List<Path> jars = new ArrayList<>(List.of(mainJar(artifact)));
      companion(artifact, "sources").ifPresent(jars::add);
      for (Path jar : jars) {
        assertEquals(1, entryTimes(jar).size(), jar + ": entry times " + entryTimes(jar));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers: files

  private static Path root;

  /** The reactor's top folder: the test runs in csbs-modular-consumer, beside the other modules. */
  private static synchronized Path root() throws IOException {
    if (root == null) {
      for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
        Path pom = p.resolve("pom.xml");
        if (Files.isRegularFile(pom) && Files.readString(pom).contains("<artifactId>csbs-parent</artifactId>")
            && Files.isDirectory(p.resolve("csbs-core"))) {
          root = p;
          break;
        }
      }
      Assumptions.assumeTrue(root != null, "the reactor's folder is not above " + System.getProperty("user.dir"));
    }
    return root;
  }

  private static String readme() throws IOException {
    return Files.readString(root().resolve("README.md"));
  }

  /** A {@code ## title} section of a markdown text, up to the next {@code ## } heading. */
  private static String section(String markdown, String title) {
    int start = markdown.indexOf("\n## " + title + "\n");
    assertTrue(start >= 0, "section " + title);
    int end = markdown.indexOf("\n## ", start + 4);
    return markdown.substring(start, end < 0 ? markdown.length() : end);
  }

  /** The io.csbs dependency snippets of a text: artifactId to version, in order (one version per artifact). */
  private static Map<String, String> dependencySnippets(String text) {
    Matcher m = Pattern.compile("<dependency>\\s*<groupId>io\\.csbs</groupId>\\s*<artifactId>([^<]+)</artifactId>\\s*"
        + "<version>([^<]+)</version>").matcher(text);
    Map<String, String> snippets = new LinkedHashMap<>();
    while (m.find()) {
      String before = snippets.putIfAbsent(m.group(1), m.group(2));
      assertTrue(before == null || before.equals(m.group(2)), m.group(1) + " at " + before + " and " + m.group(2));
    }
    return snippets;
  }

  /** The CHANGELOG's releases, newest first: {version, date}. */
  private static List<String[]> changelogReleases() throws IOException {
    Matcher m = Pattern.compile("(?m)^## \\[(\\d+\\.\\d+\\.\\d+)\\] - (\\d{4}-\\d{2}-\\d{2})$")
        .matcher(Files.readString(root().resolve("CHANGELOG.md")));
    List<String[]> releases = new ArrayList<>();
    while (m.find()) {
      releases.add(new String[] {m.group(1), m.group(2)});
    }
    return releases;
  }

  /** The text of one version's section of the CHANGELOG ({@code Unreleased} or a version). */
  private static String changelogSection(String version) throws IOException {
    String changelog = Files.readString(root().resolve("CHANGELOG.md"));
    int start = changelog.indexOf("\n## [" + version + "]");
    assertTrue(start >= 0, version);
    int end = changelog.indexOf("\n## [", start + 4);
    return changelog.substring(start, end < 0 ? changelog.length() : end);
  }

  /** Per version, the items of its Changed section that announce something gone. */
  private static Map<String, List<String>> goneUnderChanged() throws IOException {
    Map<String, List<String>> gone = new TreeMap<>();
    List<String> versions = new ArrayList<>(List.of("Unreleased"));
    changelogReleases().forEach(r -> versions.add(r[0]));
    for (String version : versions) {
      String section = changelogSection(version);
      int changed = section.indexOf("\n### Changed\n");
      if (changed < 0) {
        continue;
      }
      int end = section.indexOf("\n### ", changed + 5);
      for (String item : section.substring(changed, end < 0 ? section.length() : end).split("\n")) {
        if (item.startsWith("- ") && Pattern.compile("\\b(is|are) gone\\b").matcher(item).find()) {
          gone.computeIfAbsent(version, v -> new ArrayList<>()).add(item);
        }
      }
    }
    return gone;
  }

  /** The reactor's modules, as the parent pom lists them. */
  private static List<String> modules() throws Exception {
    return children(child(pom(null), "modules"), "module").stream().map(Node::getTextContent).map(String::trim)
        .collect(Collectors.toList());
  }

  private static final Map<String, Element> POMS = new HashMap<>();

  /** A module's pom.xml of the reactor ({@code null}: the parent's). */
  private static synchronized Element pom(String module) throws Exception {
    String key = module == null ? "" : module;
    Element pom = POMS.get(key);
    if (pom == null) {
      Path file = module == null ? root().resolve("pom.xml") : root().resolve(module).resolve("pom.xml");
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      Document document = factory.newDocumentBuilder().parse(file.toFile());
      pom = document.getDocumentElement();
      POMS.put(key, pom);
    }
    return pom;
  }

  private static String projectVersion() {
    try {
      return text(pom(null), "version");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A direct child element of that name, or null. */
  private static Element child(Element parent, String name) {
    if (parent == null) {
      return null;
    }
    List<Element> all = children(parent, name);
    return all.isEmpty() ? null : all.get(0);
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> all = new ArrayList<>();
    if (parent == null) {
      return all;
    }
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element && (name == null || ((Element) n).getTagName().equals(name))) {
        all.add((Element) n);
      }
    }
    return all;
  }

  /** The trimmed text of a direct child element, or null. */
  private static String text(Element parent, String name) {
    Element c = child(parent, name);
    return c == null ? null : c.getTextContent().trim();
  }

  /** A dependency of a pom's own {@code <dependencies>} (not its dependencyManagement's). */
  private static final class Dep {
    final String groupId;
    final String artifactId;
    final String scope;
    final boolean optional;
    final String version;

    Dep(Element d) {
      version = text(d, "version");
      groupId = text(d, "groupId");
      artifactId = text(d, "artifactId");
      String s = text(d, "scope");
      scope = s == null ? "compile" : s;
      optional = "true".equals(text(d, "optional"));
    }

    String key() {
      return groupId + ":" + artifactId;
    }

    /** Compile or runtime scope and not optional: Maven gives it to the users of the artifact. */
    boolean reachesUsers() {
      return (scope.equals("compile") || scope.equals("runtime")) && !optional;
    }

    @Override
    public String toString() {
      return key() + ":" + scope + (optional ? " optional" : "");
    }
  }

  private static List<Dep> dependencies(Element pom) {
    return children(child(pom, "dependencies"), "dependency").stream().map(Dep::new).collect(Collectors.toList());
  }

  /** The published artifact's jar: from the runtime path Maven resolved, else the module's target/. */
  private static Path mainJar(String artifact) throws IOException {
    if (RUNTIME_PATH != null) {
      for (String entry : RUNTIME_PATH.split(File.pathSeparator)) {
        String name = Path.of(entry).getFileName().toString();
        if (name.startsWith(artifact + "-") && Character.isDigit(name.charAt(artifact.length() + 1)) && name.endsWith(".jar")) {
          return Path.of(entry);
        }
      }
    }
    Path target = root().resolve(artifact).resolve("target").resolve(artifact + "-" + projectVersion() + ".jar");
    Assumptions.assumeTrue(Files.isRegularFile(target),
        artifact + "'s jar is absent (not on consumer.runtime.path, no " + target + "): run mvn install -DskipTests first");
    return target;
  }

  /** The artifact's {@code -classifier.jar}: beside its jar, else in the module's target/. */
  private static Optional<Path> companion(String artifact, String classifier) throws IOException {
    String name = artifact + "-" + projectVersion() + "-" + classifier + ".jar";
    Path beside = mainJar(artifact).resolveSibling(name);
    if (Files.isRegularFile(beside)) {
      return Optional.of(beside);
    }
    Path target = root().resolve(artifact).resolve("target").resolve(name);
    return Files.isRegularFile(target) ? Optional.of(target) : Optional.empty();
  }

  private static byte[] read(JarFile jar, JarEntry entry) throws IOException {
    try (InputStream in = jar.getInputStream(entry)) {
      return in.readAllBytes();
    }
  }

  private static List<JarEntry> classEntries(JarFile jar) {
    return Collections.list(jar.entries()).stream()
        .filter(e -> e.getName().endsWith(".class") && !e.getName().equals("module-info.class"))
        .collect(Collectors.toList());
  }

  private static Set<FileTime> entryTimes(Path jar) throws IOException {
    Set<FileTime> times = new TreeSet<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      for (JarEntry e : Collections.list(file.entries())) {
        times.add(e.getLastModifiedTime());
      }
    }
    return times;
  }

  /** Per published artifact, the top-level classes of its jar whose source its sources jar lacks. */
  private static Map<String, List<String>> classesWithoutSource() throws IOException {
    Map<String, List<String>> missing = new TreeMap<>();
    for (String artifact : PUBLISHED.keySet()) {
      Path sourcesJar = companion(artifact, "sources").orElse(null);
      assertNotNull(sourcesJar, artifact + ": no sources jar");
      Map<String, String> sources = new HashMap<>();
      try (JarFile jar = new JarFile(sourcesJar.toFile())) {
        for (JarEntry e : Collections.list(jar.entries())) {
          if (e.getName().endsWith(".java")) {
            sources.put(e.getName(), new String(read(jar, e), StandardCharsets.UTF_8));
          }
        }
      }
      try (JarFile jar = new JarFile(mainJar(artifact).toFile())) {
        for (JarEntry e : Collections.list(jar.entries())) {
          String name = e.getName();
          if (!name.endsWith(".class") || name.contains("$")) {
            continue;
          }
          String type = name.substring(0, name.length() - ".class".length());
          if (sources.containsKey(type + ".java")) {
            continue;
          }
          String pkg = type.lastIndexOf('/') < 0 ? "" : type.substring(0, type.lastIndexOf('/') + 1);
          String simple = type.substring(pkg.length());
          Pattern declared = Pattern.compile("\\b(class|interface|enum|record)\\s+" + Pattern.quote(simple) + "\\b");
          boolean found = sources.entrySet().stream()
              .anyMatch(s -> s.getKey().startsWith(pkg) && s.getKey().indexOf('/', pkg.length()) < 0
                  && declared.matcher(s.getValue()).find());
          if (!found) {
            missing.computeIfAbsent(artifact, a -> new ArrayList<>()).add(type);
          }
        }
      }
    }
    return missing;
  }

  // ---------------------------------------------------------------------------------------------
  // helpers: class files

  /** What a class file names: the classes it needs (internal names) and the methods it calls (owner.name). */
  private static final class ConstantPool {
    final Set<String> types = new TreeSet<>();
    final Set<String> methodRefs = new TreeSet<>();
  }

  /**
   * The types a class file needs at run time: its constant pool's classes and the types of its descriptors
   * (member references, method types, its own fields and methods). Annotations' types are left out: the
   * invisible ones are never loaded, and the visible ones of a missing class are ignored.
   */
  private static ConstantPool constantPool(byte[] bytes) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
    assertEquals(0xCAFEBABE, in.readInt());
    in.readUnsignedShort();
    in.readUnsignedShort();
    int count = in.readUnsignedShort();
    String[] utf8 = new String[count];
    int[] classNames = new int[count];
    int[][] nameAndType = new int[count][];
    List<int[]> memberRefs = new ArrayList<>();
    List<Integer> descriptors = new ArrayList<>();
    List<Integer> classes = new ArrayList<>();
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1:
          utf8[i] = in.readUTF();
          break;
        case 3:
        case 4:
          in.readInt();
          break;
        case 5:
        case 6:
          in.readLong();
          i++;
          break;
        case 7:
          classNames[i] = in.readUnsignedShort();
          classes.add(i);
          break;
        case 8:
        case 19:
        case 20:
          in.readUnsignedShort();
          break;
        case 16:
          descriptors.add(in.readUnsignedShort());
          break;
        case 9:
        case 10:
        case 11:
          memberRefs.add(new int[] {tag, in.readUnsignedShort(), in.readUnsignedShort()});
          break;
        case 12:
          nameAndType[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
          descriptors.add(nameAndType[i][1]);
          break;
        case 15:
          in.readUnsignedByte();
          in.readUnsignedShort();
          break;
        case 17:
        case 18:
          in.readUnsignedShort();
          in.readUnsignedShort();
          break;
        default:
          throw new AssertionError("constant pool tag " + tag);
      }
    }
    in.readUnsignedShort();
    Set<Integer> structural = new HashSet<>();   // class constants named outside InnerClasses
    structural.add(in.readUnsignedShort());
    structural.add(in.readUnsignedShort());
    int interfaces = in.readUnsignedShort();
    for (int i = 0; i < interfaces; i++) {
      structural.add(in.readUnsignedShort());
    }
    for (int kind = 0; kind < 2; kind++) {   // fields, then methods
      int members = in.readUnsignedShort();
      for (int i = 0; i < members; i++) {
        in.readUnsignedShort();
        in.readUnsignedShort();
        descriptors.add(in.readUnsignedShort());
        int attributes = in.readUnsignedShort();
        for (int a = 0; a < attributes; a++) {
          in.readUnsignedShort();
          in.skipNBytes(in.readInt() & 0xffffffffL);
        }
      }
    }
    // the class's attributes: a class constant named only by InnerClasses (a nested annotation type of
    // Immutables' Value, say) is not loaded by running the class. (Approximation: a constant used only by an
    // instruction (checkcast, new) and also named in InnerClasses is left out too; the code is not parsed.)
    Set<Integer> innerOnly = new HashSet<>();
    int attributes = in.readUnsignedShort();
    for (int a = 0; a < attributes; a++) {
      String name = utf8[in.readUnsignedShort()];
      long length = in.readInt() & 0xffffffffL;
      if (name.equals("InnerClasses")) {
        int entries = in.readUnsignedShort();
        for (int e = 0; e < entries; e++) {
          innerOnly.add(in.readUnsignedShort());
          int outer = in.readUnsignedShort();
          if (outer != 0) {
            innerOnly.add(outer);
          }
          in.readUnsignedShort();
          in.readUnsignedShort();
        }
      } else {
        in.skipNBytes(length);
      }
    }
    for (int[] ref : memberRefs) {
      structural.add(ref[1]);
    }
    innerOnly.removeAll(structural);
    ConstantPool pool = new ConstantPool();
    for (int c : classes) {
      if (innerOnly.contains(c)) {
        continue;
      }
      String name = utf8[classNames[c]];
      if (name.startsWith("[")) {
        typesOf(name, pool.types);
      } else {
        pool.types.add(name);
      }
    }
    for (int d : descriptors) {
      typesOf(utf8[d], pool.types);
    }
    for (int[] ref : memberRefs) {
      if (ref[0] != 9) {
        pool.methodRefs.add(utf8[classNames[ref[1]]] + "." + utf8[nameAndType[ref[2]][0]]);
      }
    }
    return pool;
  }

  private static void typesOf(String descriptor, Set<String> out) {
    Matcher m = Pattern.compile("L([^;<>]+);").matcher(descriptor);
    while (m.find()) {
      out.add(m.group(1));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers: small

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** Compares dotted numeric versions ("0.2.0" with "0.3.0", "3.5.3" with "2.22"). */
  private static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int p = i < x.length ? Integer.parseInt(x[i]) : 0;
      int q = i < y.length ? Integer.parseInt(y[i]) : 0;
      if (p != q) {
        return Integer.compare(p, q);
      }
    }
    return 0;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> u = new TreeSet<>(a);
    u.addAll(b);
    return u;
  }

  private static Map<String, String> orderedMap(String... keysAndValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return Collections.unmodifiableMap(map);
  }
}
