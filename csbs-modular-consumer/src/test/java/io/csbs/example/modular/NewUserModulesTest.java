package io.csbs.example.modular;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.json.CsbsJson;
import io.csbs.postgres.Schema;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.lang.module.ResolvedModule;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * README "Compatibility" (README.md:569-587), read by a new user who writes a modular application:
 * "Each published jar is a named Java module that exports its API packages only", the packages each
 * module exports, what each one reads transitively (and what it reads without passing it on), "a
 * modular application with {@code requires csbs.postgres} (or {@code csbs.core} alone)" works, and
 * "On the class path they work as before".
 *
 * <p>Unlike {@link ModuleDescriptorsTest} (one descriptor at a time) and {@link ModularConsumerTest}
 * (one application requiring every module), this class resolves the jars the build resolves ({@code
 * consumer.runtime.path}) with {@link ModuleFinder}, compiles four small user modules, each of which
 * requires ONE csbs module and uses the types it should read through it, and runs each of them in a
 * {@link ModuleLayer} built of exactly the jars a Maven user of that one module gets (the platform
 * class loader as parent, so that nothing comes from this test's class path); a fifth, an open test
 * module that requires csbs.testkit, runs the testkit's contract and a test of its own through the
 * JUnit launcher. It also scans every public signature
 * of the exported packages, and starts csbs-server's runnable main class as the README and its javadoc
 * say it can be started.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NewUserModulesTest {
  /** The tests that run the compiled user modules run last, while javac works beside the others. */
  private static final int AFTER_JAVAC = Integer.MAX_VALUE;

  private static final String RUNTIME_PATH = System.getProperty("consumer.runtime.path");

  /** README.md:569-575: the package each module exports. */
  private static final Map<String, String> README_EXPORTS = Map.ofEntries(
      Map.entry("io.csbs", "csbs.core"),
      Map.entry("io.csbs.backup", "csbs.core"),
      Map.entry("io.csbs.lifecycle", "csbs.core"),
      Map.entry("io.csbs.query", "csbs.core"),
      Map.entry("io.csbs.catalog", "csbs.core"),
      Map.entry("io.csbs.usage", "csbs.core"),
      Map.entry("io.csbs.testing", "csbs.testkit"),
      Map.entry("io.csbs.postgres", "csbs.postgres"),
      Map.entry("io.csbs.json", "csbs.json"),
      Map.entry("io.csbs.server", "csbs.server"));

  /** README.md:571-575: what a module that requires the key reads through it ("transitively"). */
  private static final Map<String, Set<String>> README_TRANSITIVE = Map.of(
      "csbs.core", Set.of(),
      "csbs.testkit", Set.of("csbs.core", "org.junit.jupiter.api"),
      "csbs.postgres", Set.of("csbs.core", "java.sql"),
      "csbs.json", Set.of("csbs.core"),
      "csbs.server", Set.of("csbs.core", "csbs.json"));

  /** README.md:571-576: what each module reads without the "transitively" (not passed on to its users). */
  private static final Map<String, Set<String>> README_NOT_TRANSITIVE = Map.of(
      "csbs.core", Set.of(),
      "csbs.testkit", Set.of(),
      "csbs.postgres", Set.of("org.postgresql.jdbc"),
      "csbs.json", Set.of("com.fasterxml.jackson.core"),
      "csbs.server", Set.of("jdk.httpserver", "com.fasterxml.jackson.core"));

  /** The artifact each module is published as (file names of the resolved jars). */
  private static final Map<String, String> ARTIFACTS = Map.of(
      "csbs.core", "csbs-core-",
      "csbs.testkit", "csbs-testkit-",
      "csbs.postgres", "csbs-postgres-",
      "csbs.json", "csbs-json-",
      "csbs.server", "csbs-server-");

  /**
   * The jars Maven resolves (runtime scope) for a user who depends on one csbs artifact: its pom's
   * compile dependencies, the optional ones left out (csbs-server's csbs-testkit and csbs-postgres).
   */
  private static final Map<String, List<String>> RESOLVED_FOR = Map.of(
      "csbs.core", List.of("csbs-core-"),
      "csbs.testkit", List.of("csbs-core-", "csbs-testkit-", "junit-jupiter-api-", "opentest4j-",
          "junit-platform-commons-", "apiguardian-api-"),
      "csbs.postgres", List.of("csbs-core-", "csbs-postgres-", "postgresql-", "checker-qual-"),
      "csbs.json", List.of("csbs-core-", "csbs-json-", "jackson-core-"),
      "csbs.server", List.of("csbs-core-", "csbs-json-", "jackson-core-", "csbs-server-"));

  @TempDir
  static Path temp;

  private static CompletableFuture<Map<String, Path>> compiling;

  @BeforeAll
  static void startCompilingTheUserModules() {
    CompletableFuture<Map<String, Path>> future = new CompletableFuture<>();
    Thread javac = new Thread(() -> {
      try {
        future.complete(compile());
      } catch (Throwable e) {
        future.completeExceptionally(e);
      }
    }, "javac of the user modules");
    javac.setDaemon(true);
    javac.start();
    compiling = future;
  }

  // ---------------------------------------------------------------------------------------------
  // The resolved jars and their descriptors

  private static List<Path> runtimeJars() {
    assertNotNull(RUNTIME_PATH, "consumer.runtime.path (set by the module's pom)");
    return Arrays.stream(RUNTIME_PATH.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of)
        .collect(Collectors.toList());
  }

  /** The resolved jars whose file names start with one of {@code prefixes}; each prefix must match one jar. */
  private static List<Path> jars(List<String> prefixes) {
    List<Path> all = runtimeJars();
    List<Path> chosen = new ArrayList<>();
    for (String prefix : prefixes) {
      List<Path> matches = all.stream()
          .filter(p -> p.getFileName().toString().startsWith(prefix)
              && Character.isDigit(p.getFileName().toString().charAt(prefix.length())))
          .collect(Collectors.toList());
      assertEquals(1, matches.size(), prefix + " in " + all);
      chosen.add(matches.get(0));
    }
    return chosen;
  }

  private static Map<String, ModuleReference> onThePath;
  private static ModuleLayer allCsbs;

  /** The modules of the resolved jars, by name (read once). */
  private static synchronized Map<String, ModuleReference> modulesOnThePath() {
    if (onThePath != null) {
      return onThePath;
    }
    Map<String, ModuleReference> modules = new TreeMap<>();
    for (ModuleReference reference : ModuleFinder.of(runtimeJars().toArray(Path[]::new)).findAll()) {
      modules.put(reference.descriptor().name(), reference);
    }
    onThePath = modules;
    return modules;
  }

  /** One layer of every resolved jar, the five csbs modules its roots (built once). */
  private static synchronized ModuleLayer allCsbs() {
    if (allCsbs == null) {
      allCsbs = layer(runtimeJars(), ARTIFACTS.keySet());
    }
    return allCsbs;
  }

  private static ModuleDescriptor csbs(String module) {
    ModuleReference reference = modulesOnThePath().get(module);
    assertNotNull(reference, module + " among the resolved modules " + modulesOnThePath().keySet());
    return reference.descriptor();
  }

  /** A module layer of exactly {@code jars} (and {@code extra} directories), resolved from {@code roots}. */
  private static ModuleLayer layer(List<Path> jars, Set<String> roots) {
    Configuration configuration = ModuleLayer.boot().configuration()
        .resolve(ModuleFinder.of(jars.toArray(Path[]::new)), ModuleFinder.of(), roots);
    return ModuleLayer.boot().defineModulesWithOneLoader(configuration, ClassLoader.getPlatformClassLoader());
  }

  /** A finder of one module that has no content: to resolve what a user's module would read. */
  private static ModuleFinder only(ModuleDescriptor descriptor) {
    ModuleReference reference = new ModuleReference(descriptor, null) {
      @Override
      public ModuleReader open() {
        throw new UnsupportedOperationException("a descriptor only");
      }
    };
    return new ModuleFinder() {
      @Override
      public Optional<ModuleReference> find(String name) {
        return name.equals(descriptor.name()) ? Optional.of(reference) : Optional.empty();
      }

      @Override
      public Set<ModuleReference> findAll() {
        return Set.of(reference);
      }
    };
  }

  /** What a module {@code requires csbs} and nothing else reads, resolved over the jars Maven gives it. */
  private static Set<String> readByAUserOf(String csbsModule) {
    ModuleDescriptor user = ModuleDescriptor.newModule("com.example.user").requires(csbsModule).build();
    Configuration configuration = ModuleLayer.boot().configuration().resolve(
        ModuleFinder.compose(only(user), ModuleFinder.of(jars(RESOLVED_FOR.get(csbsModule)).toArray(Path[]::new))),
        ModuleFinder.of(), Set.of("com.example.user"));
    return configuration.findModule("com.example.user").orElseThrow().reads().stream()
        .map(ResolvedModule::name).collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> exportsOf(ModuleDescriptor descriptor) {
    return descriptor.exports().stream().map(ModuleDescriptor.Exports::source)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  // ---------------------------------------------------------------------------------------------
  // Names, exports, opens, packages

  @Test
  void eachPublishedJarIsANamedModuleOfTheReadmesNameWithoutAConflictingAutomaticModuleName() throws IOException {
    for (Map.Entry<String, String> artifact : new TreeMap<>(ARTIFACTS).entrySet()) {
      Path jar = jars(List.of(artifact.getValue())).get(0);
      ModuleReference found = ModuleFinder.of(jar).findAll().iterator().next();
      assertEquals(artifact.getKey(), found.descriptor().name(), jar.toString());
      assertFalse(found.descriptor().isAutomatic(), jar + " has a module-info.class");
      assertFalse(found.descriptor().isOpen(), jar + " is not an open module");
      try (JarFile file = new JarFile(jar.toFile())) {
        Manifest manifest = file.getManifest();
        String automatic = manifest == null ? null : manifest.getMainAttributes().getValue("Automatic-Module-Name");
        assertTrue(automatic == null || automatic.equals(artifact.getKey()), jar + ": Automatic-Module-Name " + automatic);
        // the module's version is the artifact's (what jdeps, jlink and stack traces show)
        String version = jar.getFileName().toString().substring(artifact.getValue().length()).replace(".jar", "");
        assertEquals(Optional.of(version), found.descriptor().rawVersion(), jar.toString());
      }
    }
  }

  @Test
  void everyReadmePackageIsExportedByExactlyTheModuleItNamesAndNoOtherModuleHasAnIoCsbsPackage() {
    Map<String, Set<String>> exporters = new TreeMap<>();
    Map<String, Set<String>> holders = new TreeMap<>();
    for (ModuleReference reference : modulesOnThePath().values()) {
      ModuleDescriptor d = reference.descriptor();
      for (ModuleDescriptor.Exports e : d.exports()) {
        exporters.computeIfAbsent(e.source(), k -> new TreeSet<>()).add(d.name());
      }
      for (String p : d.packages()) {
        if (p.equals("io.csbs") || p.startsWith("io.csbs.")) {
          holders.computeIfAbsent(p, k -> new TreeSet<>()).add(d.name());
        }
      }
    }
    README_EXPORTS.forEach((pkg, module) -> assertEquals(Set.of(module), exporters.get(pkg), pkg));
    // no csbs package beyond the README's, in any module of the path
    assertEquals(new TreeSet<>(README_EXPORTS.keySet()), holders.keySet(), "io.csbs packages on the module path");
    holders.forEach((pkg, modules) -> assertEquals(Set.of(README_EXPORTS.get(pkg)), modules, pkg));
    // and every csbs module exports exactly its README packages, each to everybody
    for (String module : ARTIFACTS.keySet()) {
      ModuleDescriptor d = csbs(module);
      Set<String> expected = README_EXPORTS.entrySet().stream().filter(e -> e.getValue().equals(module))
          .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
      assertEquals(expected, exportsOf(d), module);
      assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified), module + " " + d.exports());
    }
  }

  @Test
  void noCsbsModuleHasAPackageItDoesNotExport() {
    // "exports its API packages only": a package a module holds but does not export would be internal;
    // here every package of every csbs module is API (so none can be opened or leaked by mistake)
    for (String module : ARTIFACTS.keySet()) {
      ModuleDescriptor d = csbs(module);
      assertEquals(new TreeSet<>(d.packages()), exportsOf(d), module + ": packages vs exports");
    }
  }

  @Test
  void noCsbsModuleOpensAPackageBeyondTheTestkitsContractToJunit() {
    for (String module : ARTIFACTS.keySet()) {
      ModuleDescriptor d = csbs(module);
      assertFalse(d.isOpen(), module);
      if (module.equals("csbs.testkit")) {
        // module-info's comment: JUnit calls the contract's inherited test methods reflectively
        assertEquals(1, d.opens().size(), d.opens().toString());
        ModuleDescriptor.Opens opens = d.opens().iterator().next();
        assertEquals("io.csbs.testing", opens.source());
        assertEquals(Set.of("org.junit.platform.commons"), opens.targets());
      } else {
        assertTrue(d.opens().isEmpty(), module + " opens " + d.opens());
      }
    }
  }

  @Test
  void noTwoModulesOfTheResolvedPathShareAPackageAndAllCsbsModulesLoadTogether() {
    Map<String, String> owner = new HashMap<>();
    for (ModuleReference reference : modulesOnThePath().values()) {
      for (String p : reference.descriptor().packages()) {
        String before = owner.putIfAbsent(p, reference.descriptor().name());
        assertTrue(before == null, "package " + p + " in " + before + " and " + reference.descriptor().name());
      }
    }
    // one class loader for all of them, as the application class loader is on the module path
    ModuleLayer layer = allCsbs();
    for (String module : ARTIFACTS.keySet()) {
      assertTrue(layer.findModule(module).isPresent(), module);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Readability: what a module that requires ONE csbs module reads

  @Test
  void aModuleRequiringOneCsbsModuleReadsWhatTheReadmeSaysItReadsTransitively() {
    for (String module : new TreeSet<>(ARTIFACTS.keySet())) {
      Set<String> reads = readByAUserOf(module);
      assertTrue(reads.contains(module), module + ": " + reads);
      for (String transitive : README_TRANSITIVE.get(module)) {
        assertTrue(reads.contains(transitive), "requires " + module + " reads " + transitive + ": " + reads);
      }
    }
  }

  @Test
  void whatTheReadmeDoesNotCallTransitiveIsNotPassedOnToTheUser() {
    for (String module : new TreeSet<>(ARTIFACTS.keySet())) {
      Set<String> reads = readByAUserOf(module);
      for (String notTransitive : README_NOT_TRANSITIVE.get(module)) {
        assertFalse(reads.contains(notTransitive), "requires " + module + " does not read " + notTransitive + ": " + reads);
      }
      // csbs.server's optional (static) csbs.testkit and csbs.postgres are not even resolved
      if (module.equals("csbs.server")) {
        assertFalse(reads.contains("csbs.testkit") || reads.contains("csbs.postgres"), reads.toString());
      }
      assertFalse(module.equals("csbs.core") && !reads.equals(Set.of("csbs.core", "java.base")),
          "csbs.core alone: " + reads);
    }
  }

  @Test
  void theRuntimePathOfAUserOfEveryModuleHoldsTheReadmesDependenciesAndNothingElse() {
    // "Dependencies: none (core); JUnit 5 API (testkit); the PostgreSQL JDBC driver (csbs-postgres); Jackson's
    // jackson-core (csbs-json); csbs-json and the JDK's jdk.httpserver (csbs-server ...)" (README.md:564-567),
    // with what those bring themselves (the JUnit API's opentest4j, commons and apiguardian; the driver's checker-qual)
    Set<String> expected = RESOLVED_FOR.values().stream().flatMap(List::stream).collect(Collectors.toCollection(TreeSet::new));
    Set<String> actual = new TreeSet<>();
    for (Path jar : runtimeJars()) {
      String name = jar.getFileName().toString();
      String prefix = expected.stream().filter(p -> name.startsWith(p) && Character.isDigit(name.charAt(p.length())))
          .findFirst().orElse(name);
      actual.add(prefix);
    }
    assertEquals(expected, actual, RUNTIME_PATH);
  }

  @Test
  void eachPublishedPomDependsOnWhatTheReadmeSaysAndTheServersTestkitAndPostgresAreOptional() throws Exception {
    // the pom inside each jar (META-INF/maven/...), its compile and runtime dependencies that are not optional
    Map<String, Set<String>> expected = Map.of(
        "csbs-core", Set.of(),
        "csbs-testkit", Set.of("csbs-core", "junit-jupiter-api"),
        "csbs-postgres", Set.of("csbs-core", "postgresql"),
        "csbs-json", Set.of("csbs-core", "jackson-core"),
        "csbs-server", Set.of("csbs-core", "csbs-json"));
    for (Map.Entry<String, Set<String>> artifact : new TreeMap<>(expected).entrySet()) {
      Path jar = jars(List.of(artifact.getKey() + "-")).get(0);
      Set<String> direct = new TreeSet<>();
      try (JarFile file = new JarFile(jar.toFile())) {
        var entry = file.getEntry("META-INF/maven/io.csbs/" + artifact.getKey() + "/pom.xml");
        assertNotNull(entry, jar + " has its pom");
        org.w3c.dom.Document pom;
        try (InputStream in = file.getInputStream(entry)) {
          pom = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
        }
        org.w3c.dom.NodeList dependencies = pom.getDocumentElement().getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
          org.w3c.dom.Element d = (org.w3c.dom.Element) dependencies.item(i);
          if (!d.getParentNode().getParentNode().isSameNode(pom.getDocumentElement())) {
            continue; // dependencyManagement's, or a plugin's
          }
          String scope = text(d, "scope");
          if (scope != null && Set.of("test", "provided", "system").contains(scope) || "true".equals(text(d, "optional"))) {
            continue;
          }
          direct.add(text(d, "artifactId"));
        }
      }
      assertEquals(artifact.getValue(), direct, artifact.getKey());
    }
  }

  private static String text(org.w3c.dom.Element element, String child) {
    org.w3c.dom.NodeList nodes = element.getElementsByTagName(child);
    return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
  }

  @Test
  void theModulesMavenResolvesForEachArtifactAreEnoughToResolveIt() {
    // e.g. csbs-server's optional csbs-testkit and csbs-postgres are not needed to resolve csbs.server
    for (String module : new TreeSet<>(ARTIFACTS.keySet())) {
      ModuleLayer layer = layer(jars(RESOLVED_FOR.get(module)), Set.of(module));
      assertTrue(layer.findModule(module).isPresent(), module);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Public signatures: nothing a user cannot name

  @Test
  void noPublicSignatureOfAnExportedTypeNamesATypeItsUsersCannotRead() throws Exception {
    ModuleLayer layer = allCsbs();
    List<String> leaks = new ArrayList<>();
    int members = 0;
    for (String moduleName : new TreeSet<>(ARTIFACTS.keySet())) {
      Module module = layer.findModule(moduleName).orElseThrow();
      for (Class<?> type : apiClasses(layer, moduleName)) {
        List<Executable> executables = new ArrayList<>();
        executables.addAll(Arrays.asList(type.getDeclaredMethods()));
        // public methods inherited from a class of the module that has no public name (Immutables' builders)
        for (Method m : type.getMethods()) {
          if (m.getDeclaringClass() != type && m.getDeclaringClass().getModule() == module
              && !publicAllTheWay(m.getDeclaringClass())) {
            executables.add(m);
          }
        }
        executables.addAll(Arrays.asList(type.getDeclaredConstructors()));
        for (Executable e : executables) {
          if (!visible(e.getModifiers()) || e.isSynthetic()) {
            continue;
          }
          members++;
          List<Type> types = new ArrayList<>(Arrays.asList(e.getGenericParameterTypes()));
          types.addAll(Arrays.asList(e.getGenericExceptionTypes()));
          types.addAll(Arrays.asList(e.getTypeParameters()));
          if (e instanceof Method) {
            types.add(((Method) e).getGenericReturnType());
          }
          for (Type t : types) {
            leaks.addAll(problems(module, type.getName() + "." + e.getName(), t));
          }
        }
        for (Field f : type.getDeclaredFields()) {
          if (visible(f.getModifiers()) && !f.isSynthetic()) {
            members++;
            leaks.addAll(problems(module, type.getName() + "." + f.getName(), f.getGenericType()));
          }
        }
        for (Type t : type.getGenericInterfaces()) {
          leaks.addAll(problems(module, type.getName() + " implements", t));
        }
      }
    }
    assertTrue(members > 500, "scanned " + members + " members");
    assertTrue(leaks.isEmpty(), String.join("\n", leaks));
  }

  @Test
  void serverBuildersInheritedSettersWorkFromAnotherModuleThroughReflection() throws Exception {
    // Server.Builder extends a class of no public name (Immutables' ImmutableServer.Builder): its
    // setters are declared there. A framework in another module that calls them by reflection
    // (getMethods, invoke), as on the class path, still gets a Server.
    ModuleLayer layer = layer(jars(RESOLVED_FOR.get("csbs.core")), Set.of("csbs.core"));
    Class<?> server = Class.forName(layer.findModule("csbs.core").orElseThrow(), "io.csbs.backup.Server");
    Object builder = server.getMethod("builder").invoke(null);
    for (String[] setter : new String[][] {{"id", "srv-ß"}, {"name", "ecs-straße-İ"}, {"availabilityZone", "eu-de-03"}}) {
      builder = builder.getClass().getMethod(setter[0], String.class).invoke(builder, setter[1]);
    }
    Object built = builder.getClass().getMethod("build").invoke(builder);
    assertEquals("ecs-straße-İ", server.getMethod("name").invoke(built));
    assertTrue(Modifier.isPublic(builder.getClass().getModifiers()));
  }

  // ---------------------------------------------------------------------------------------------
  // Applications that require one csbs module, compiled and run on exactly the jars Maven resolves

  private static final Map<String, String> USER_SOURCES = new LinkedHashMap<>();

  static {
    USER_SOURCES.put("user.core", String.join("\n",
        "package user.core;",
        "import io.csbs.backup.*;",
        "import io.csbs.catalog.*;",
        "import io.csbs.lifecycle.Transition;",
        "import io.csbs.query.*;",
        "import io.csbs.usage.UsageQuery;",
        "import java.time.*;",
        "public final class App {",
        "  public static String run() {",
        "    Instant now = Instant.parse(\"2026-12-01T00:00:00Z\");",
        "    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(now, ZoneOffset.UTC));",
        "    Server straße = Server.builder().id(\"srv-ß\").name(\"ecs-straße-İ\").availabilityZone(\"eu-de-03\").build();",
        "    for (int i = 0; i < 5; i++) {",
        "      catalog.add(Backup.builder().id(\"b-\" + i).name(\"sicherung-é-\" + i).projectId(\"projekt-ü\")",
        "          .server(straße).status(BackupStatus.AVAILABLE).sizeMb(1 + i).createdAt(now.minusSeconds(60 * i))",
        "          .addTags(Tag.of(\"umgebung\", i % 2 == 0 ? \"prod\" : \"test\")).build());",
        "    }",
        "    catalog.apply(\"projekt-ü\", \"b-4\", 1, Transition.delete());",
        "    Page page = catalog.query(\"projekt-ü\", ListQueryString.parse(\"status=available&name=SICHERUNG-É&limit=2\"));",
        "    java.util.function.Function<Server.Builder, Server> build = Server.Builder::build;",
        "    build.apply(Server.builder().id(\"s\").name(\"n\").availabilityZone(\"z\"));",
        "    return page.ids() + \" of \" + page.total() + \"; usage \" + catalog.usage(\"projekt-ü\", UsageQuery.firstServers(1)).sizeMb()",
        "        + \" MB; module \" + Backup.class.getModule().getName();",
        "  }",
        "}"));
    USER_SOURCES.put("user.postgres", String.join("\n",
        "package user.postgres;",
        "import io.csbs.postgres.*;",
        "import io.csbs.query.Query;",                      // csbs.core, through csbs.postgres
        "import java.io.PrintWriter;",
        "import java.sql.Connection;",                      // java.sql, through csbs.postgres
        "import java.sql.SQLException;",
        "import java.sql.SQLFeatureNotSupportedException;",
        "import java.time.Clock;",
        "import java.util.logging.Logger;",                 // java.logging, through java.sql
        "import javax.sql.DataSource;",
        "public final class App {",
        "  public static String run() {",
        "    DataSource down = new DataSource() {",
        "      public Connection getConnection() throws SQLException { throw new SQLException(\"no database here\", \"08001\"); }",
        "      public Connection getConnection(String u, String p) throws SQLException { return getConnection(); }",
        "      public PrintWriter getLogWriter() { return null; }",
        "      public void setLogWriter(PrintWriter out) {}",
        "      public void setLoginTimeout(int seconds) {}",
        "      public int getLoginTimeout() { return 0; }",
        "      public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }",
        "      public <T> T unwrap(Class<T> type) throws SQLException { throw new SQLException(\"not a wrapper\"); }",
        "      public boolean isWrapperFor(Class<?> type) { return false; }",
        "    };",
        "    String script = Schema.script(1);",
        "    try (PostgresCatalog catalog = PostgresCatalog.create(down, Clock.systemUTC())) {",
        "      catalog.query(\"projekt-ü\", Query.all());",
        "      return \"answered without a database\";",
        "    } catch (CatalogDatabaseException e) {",
        "      return \"schema v\" + Schema.CURRENT_VERSION + \" \" + script.contains(\"csbs_backup\") + \"; refused \"",
        "          + e.code().code() + \" \" + e.getClass().getModule().getName()",
        "          + \"; script as a resource \" + (Schema.class.getResourceAsStream(\"V1__catalog.sql\") != null);",
        "    }",
        "  }",
        "}"));
    USER_SOURCES.put("user.json", String.join("\n",
        "package user.json;",
        "import io.csbs.backup.*;",                         // csbs.core, through csbs.json
        "import io.csbs.json.CsbsJson;",
        "import io.csbs.query.*;",
        "import java.net.URI;",
        "import java.time.Instant;",
        "import java.util.List;",
        "public final class App {",
        "  public static String run() {",
        "    Backup b = Backup.builder().id(\"bé-1\").name(\"名前-ünï_1\").projectId(\"projekt-ü\")",
        "        .server(Server.of(\"srv-ß\", \"ecs-straße-İ\", \"eu-de-03\")).status(BackupStatus.AVAILABLE).sizeMb(7)",
        "        .createdAt(Instant.parse(\"2026-11-30T12:00:00.123456Z\")).addTags(Tag.of(\"schlüssel\", \"wert\")).build();",
        "    CsbsJson json = CsbsJson.create();",
        "    String body = json.checkpointItem(b);",
        "    boolean same = json.readCheckpointItem(body, \"projekt-ü\").equals(b);",
        "    String list = json.checkpointItems(new PageOf(b).page(), URI.create(\"http://h/v1/projekt-%C3%BC/checkpoint_items?limit=1\"));",
        "    List<Backup> read = json.readCheckpointItems(list, \"projekt-ü\");",
        "    return \"same \" + same + \"; list \" + read.equals(List.of(b)) + \"; count \" + json.readCount(json.count(42));",
        "  }",
        "  /** A page of one backup, from an indexed catalog. */",
        "  private static final class PageOf {",
        "    private final Backup b;",
        "    PageOf(Backup b) { this.b = b; }",
        "    Page page() {",
        "      io.csbs.catalog.BackupCatalog c = io.csbs.catalog.Catalogs.indexed(java.time.Clock.systemUTC());",
        "      c.add(b);",
        "      return c.query(b.projectId(), Query.all());",
        "    }",
        "  }",
        "}"));
    USER_SOURCES.put("user.server", String.join("\n",
        "package user.server;",
        "import io.csbs.backup.*;",                         // csbs.core, through csbs.server
        "import io.csbs.catalog.*;",
        "import io.csbs.json.CsbsJson;",                    // csbs.json, through csbs.server
        "import io.csbs.server.CsbsServer;",
        "import java.io.*;",
        "import java.net.*;",
        "import java.nio.charset.StandardCharsets;",
        "import java.time.*;",
        "public final class App {",
        "  public static String run() throws IOException {",
        "    Instant now = Instant.parse(\"2026-12-01T00:00:00Z\");",
        "    BackupCatalog catalog = Catalogs.indexed(Clock.fixed(now, ZoneOffset.UTC));",
        "    Backup b = Backup.builder().id(\"bé-1\").name(\"sicherung\").projectId(\"projekt-ü\")",
        "        .server(Server.of(\"srv-ß\", \"ecs-straße-İ\", \"eu-de-03\")).status(BackupStatus.AVAILABLE).sizeMb(7)",
        "        .createdAt(now.minusSeconds(5)).build();",
        "    catalog.add(b);",
        "    StringBuilder out = new StringBuilder();",
        "    try (CsbsServer server = CsbsServer.builder(catalog).port(0).consoleProject(\"projekt-ü\").build().start()) {",
        "      URI base = server.uri();",
        "      out.append(\"root \").append(get(base.resolve(\"/\"), \"Location\"));",
        "      out.append(\"; page \").append(get(base.resolve(\"console/?project=projekt-%C3%BC\"), null).contains(\"console.js\"));",
        "      out.append(\"; js \").append(get(base.resolve(\"console/console.js\"), null).length() > 100);",
        "      out.append(\"; css \").append(get(base.resolve(\"console/console.css\"), null).length() > 100);",
        "      String details = get(base.resolve(\"v1/projekt-%C3%BC/checkpoint_items/b%C3%A9-1\"), null);",
        "      CsbsJson json = CsbsJson.create();",
        "      out.append(\"; details \").append(json.readCheckpointItem(details, \"projekt-ü\").equals(b));",
        "      out.append(\"; count \").append(json.readCount(get(base.resolve(\"v1/projekt-%C3%BC/checkpoint_items/count\"), null)));",
        "    }",
        "    return out.toString();",
        "  }",
        "  /** The body, or the value of {@code header}, of a GET; an answer that is not 2xx or 3xx is an exception. */",
        "  private static String get(URI uri, String header) throws IOException {",
        "    HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();",
        "    c.setInstanceFollowRedirects(false);",
        "    c.setConnectTimeout(30_000);",
        "    c.setReadTimeout(30_000);",
        "    int status = c.getResponseCode();",
        "    if (status >= 400) throw new IOException(uri + \": \" + status);",
        "    if (header != null) return status + \" \" + c.getHeaderField(header);",
        "    try (InputStream in = c.getInputStream()) { return new String(in.readAllBytes(), StandardCharsets.UTF_8); }",
        "  }",
        "}"));
  }

  /**
   * csbs.testkit's module-info javadoc: {@code open module com.example.backups.test { requires csbs.testkit; }}, and
   * BackupCatalogContract's: "extend it and make your implementation, and every test runs against it". Run by the
   * JUnit Platform launcher from the same layer (the one module this user needs beyond csbs.testkit).
   */
  private static final String CONTRACT_TEST = String.join("\n",
      "package user.contract;",
      "import static org.junit.jupiter.api.Assertions.assertEquals;",   // the JUnit API, through csbs.testkit
      "import io.csbs.catalog.*;",                                      // csbs.core, through csbs.testkit
      "import io.csbs.query.*;",
      "import io.csbs.testing.*;",
      "import org.junit.jupiter.api.Test;",
      "public class IndexedContractTest extends BackupCatalogContract {",
      "  @Override",
      "  protected BackupCatalog newCatalog(FakeClock clock) {",
      "    return Catalogs.indexed(clock);",
      "  }",
      "  @Test",
      "  void theUsersOwnTestAgainstTheReference() {",
      "    FakeClock clock = FakeClock.create();",
      "    ReferenceCatalog reference = ReferenceCatalog.create(clock);",
      "    BackupCatalog indexed = newCatalog(clock);",
      "    var backups = BackupGenerator.withSeed(4711).backups(60);",
      "    reference.addAll(backups);",
      "    indexed.addAll(backups);",
      "    Query query = ListQueryString.parse(\"sort=name:asc&limit=7\");",
      "    assertEquals(reference.query(backups.get(0).projectId(), query), indexed.query(backups.get(0).projectId(), query));",
      "  }",
      "}");

  private static final String CONTRACT_RUNNER = String.join("\n",
      "package user.contract;",
      "import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;",
      "import org.junit.platform.launcher.core.*;",
      "import org.junit.platform.launcher.listeners.*;",
      "public final class App {",
      "  public static String run() {",
      "    SummaryGeneratingListener listener = new SummaryGeneratingListener();",
      "    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(",
      "        selectMethod(IndexedContractTest.class, \"aCompletedDeletionIsDeliveredAsARemoval\"),",
      "        selectMethod(IndexedContractTest.class, \"anotherProjectsBackupIsNotFound\"),",
      "        selectMethod(IndexedContractTest.class, \"theUsersOwnTestAgainstTheReference\")).build(), listener);",
      "    TestExecutionSummary summary = listener.getSummary();",
      "    StringBuilder out = new StringBuilder(\"found \" + summary.getTestsFoundCount() + \", succeeded \"",
      "        + summary.getTestsSucceededCount() + \", failed \" + summary.getTestsFailedCount());",
      "    summary.getFailures().forEach(f -> out.append(\"; \").append(f.getTestIdentifier().getDisplayName())",
      "        .append(\": \").append(f.getException()));",
      "    return out.toString();",
      "  }",
      "}");

  /** The JUnit Platform's launcher and the Jupiter engine, from this test's own class path (surefire's). */
  private static List<Path> junitRunnerJars() throws Exception {
    List<Path> jars = new ArrayList<>();
    for (String type : List.of("org.junit.platform.launcher.core.LauncherFactory", "org.junit.platform.engine.TestEngine",
        "org.junit.jupiter.engine.JupiterTestEngine")) {
      jars.add(Path.of(Class.forName(type).getProtectionDomain().getCodeSource().getLocation().toURI()));
    }
    return jars;
  }

  private static final Map<String, String> USER_REQUIRES = Map.of(
      "user.core", "csbs.core",
      "user.postgres", "csbs.postgres",
      "user.json", "csbs.json",
      "user.server", "csbs.server");

  /** The compiled user modules, by name (waits for javac, 2 minutes at most). */
  private static Map<String, Path> compiledUsers() throws InterruptedException, TimeoutException {
    try {
      return compiling.get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("compiling the user modules failed: " + e.getCause(), e.getCause());
    }
  }

  /** Compiles the user modules (one javac run), each {@code requires} one csbs module only (the contract's also the launcher). */
  private static Map<String, Path> compile() throws IOException {
    Path sources = temp.resolve("src");
    Path classes = temp.resolve("classes");
    List<String> files = new ArrayList<>();
    for (Map.Entry<String, String> user : USER_SOURCES.entrySet()) {
      Path dir = sources.resolve(user.getKey());
      Path app = dir.resolve(user.getKey().replace('.', '/')).resolve("App.java");
      Files.createDirectories(app.getParent());
      Files.writeString(dir.resolve("module-info.java"),
          "module " + user.getKey() + " {\n  requires " + USER_REQUIRES.get(user.getKey()) + ";\n  exports " + user.getKey()
          + ";\n}\n");
      Files.writeString(app, user.getValue() + "\n");
      files.add(dir.resolve("module-info.java").toString());
      files.add(app.toString());
    }
    Path contract = sources.resolve("user.contract");
    Files.createDirectories(contract.resolve("user/contract"));
    Files.writeString(contract.resolve("module-info.java"),
        "open module user.contract {\n  requires csbs.testkit;\n  requires org.junit.platform.launcher;\n  exports user.contract;\n}\n");
    Files.writeString(contract.resolve("user/contract/IndexedContractTest.java"), CONTRACT_TEST + "\n");
    Files.writeString(contract.resolve("user/contract/App.java"), CONTRACT_RUNNER + "\n");
    files.add(contract.resolve("module-info.java").toString());
    files.add(contract.resolve("user/contract/IndexedContractTest.java").toString());
    files.add(contract.resolve("user/contract/App.java").toString());
    String modulePath;
    try {
      modulePath = RUNTIME_PATH + File.pathSeparator + junitRunnerJars().stream().map(Path::toString)
          .collect(Collectors.joining(File.pathSeparator));
    } catch (Exception e) {
      throw new AssertionError("the JUnit launcher's jars", e);
    }
    ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
    List<String> args = new ArrayList<>(List.of("-proc:none", "-encoding", "UTF-8",
        "-Xlint:-options", "-implicit:none", "--module-path", modulePath,
        "--module-source-path", sources.toString(), "-d", classes.toString()));
    args.addAll(files);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream print = new PrintStream(log, true, StandardCharsets.UTF_8);
    int exit = javac.run(print, print, args.toArray(String[]::new));
    assertEquals(0, exit, "javac: " + log.toString(StandardCharsets.UTF_8));
    Map<String, Path> compiled = new TreeMap<>();
    for (String user : USER_SOURCES.keySet()) {
      compiled.put(user, classes.resolve(user));
    }
    compiled.put("user.contract", classes.resolve("user.contract"));
    return compiled;
  }

  /** Runs {@code user}'s {@code App.run()} in a layer of its classes and the jars Maven resolves for its one csbs module. */
  private static String runUser(String user) throws Exception {
    Path classes = compiledUsers().get(user);
    List<Path> path = new ArrayList<>(jars(RESOLVED_FOR.get(USER_REQUIRES.get(user))));
    path.add(0, classes);
    ModuleLayer layer = layer(path, Set.of(user));
    Module module = layer.findModule(user).orElseThrow();
    assertTrue(layer.modules().stream().map(Module::getName).noneMatch(n -> n.equals("csbs.testkit"))
        || USER_REQUIRES.get(user).equals("csbs.testkit"), layer.modules().toString());
    Class<?> app = Class.forName(module, user + ".App");
    assertNotNull(app, user);
    try {
      return (String) app.getMethod("run").invoke(null);
    } catch (InvocationTargetException e) {
      throw new AssertionError(user + " failed on the module path: " + e.getCause(), e.getCause());
    }
  }

  @Test
  @Order(AFTER_JAVAC)
  void csbsCoreAloneRunsAUsersModuleOnTheModulePath() throws Exception {
    assertEquals("[b-0, b-1] of 4; usage 15 MB; module csbs.core", runUser("user.core"));
  }

  @Test
  @Order(AFTER_JAVAC)
  void requiresCsbsPostgresGivesTheUserJavaSqlAndCsbsCoreAndARefusalNamingTheDatabase() throws Exception {
    // the script stays encapsulated in csbs.postgres (Schema.script is the way to read it)
    assertEquals("schema v2 true; refused CSBS.LIB.DATABASE_FAILURE csbs.postgres; script as a resource false",
        runUser("user.postgres"));
  }

  @Test
  @Order(AFTER_JAVAC)
  void requiresCsbsJsonAloneWritesAndReadsBackupsOnTheModulePath() throws Exception {
    assertEquals("same true; list true; count 42", runUser("user.json"));
  }

  @Test
  @Order(AFTER_JAVAC)
  void requiresCsbsServerAloneServesTheApiAndTheConsolePageFromTheResolvedJarsOnly() throws Exception {
    // GET / leads to the console project's page (CsbsServer's javadoc, "The console page")
    assertEquals("root 302 /console/?project=projekt-%C3%BC; page true; js true; css true; details true; count 1",
        runUser("user.server"));
  }

  @Test
  @Order(AFTER_JAVAC)
  void aUsersOpenTestModuleRunsTheInheritedContractTestsOnTheModulePath() throws Exception {
    List<Path> path = new ArrayList<>(jars(RESOLVED_FOR.get("csbs.testkit")));
    path.add(0, compiledUsers().get("user.contract"));
    path.addAll(junitRunnerJars());
    ModuleLayer layer = layer(path, Set.of("user.contract", "org.junit.jupiter.engine"));
    Module module = layer.findModule("user.contract").orElseThrow();
    Thread thread = Thread.currentThread();
    ClassLoader before = thread.getContextClassLoader();
    thread.setContextClassLoader(module.getClassLoader());   // where the launcher looks for engines
    try {
      String summary = (String) Class.forName(module, "user.contract.App").getMethod("run").invoke(null);
      // the contract's @BeforeEach is package-private in io.csbs.testing: JUnit reaches it through the opens
      // and the user's own package-private test, in the open module, beside them
      assertEquals("found 3, succeeded 3, failed 0", summary);
    } finally {
      thread.setContextClassLoader(before);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // csbs-server's runnable jar: "the testkit only for its java -jar demo"

  @Test
  void theServersMainNeedsTheTestkitButNotCsbsPostgresForItsGeneratedCatalog() throws Exception {
    List<String> prefixes = new ArrayList<>(RESOLVED_FOR.get("csbs.server"));
    prefixes.addAll(RESOLVED_FOR.get("csbs.testkit"));
    List<Path> path = jars(prefixes.stream().distinct().collect(Collectors.toList()));
    String modulePath = path.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    // the command of Main's javadoc, with --help: it prints the usage and ends with 0 (CHANGELOG)
    String output = java("-p", modulePath, "--add-modules", "csbs.testkit", "-m", "csbs.server/io.csbs.server.Main", "--help");
    assertTrue(output.startsWith("0\n") && output.contains("usage: java -jar csbs-server.jar"), output);
    // and on the class path ("they work as before"), csbs-server with its compile dependencies and the testkit
    output = java("-cp", modulePath, "io.csbs.server.Main", "--help");
    assertTrue(output.startsWith("0\n") && output.contains("usage: java -jar csbs-server.jar"), output);
    // Main's javadoc's command with every jar of the runnable jar's lib/ (csbs-postgres included) on the module path
    output = java("-p", RUNTIME_PATH, "--add-modules", "csbs.testkit", "-m", "csbs.server/io.csbs.server.Main", "--help");
    assertTrue(output.startsWith("0\n") && output.contains("usage: java -jar csbs-server.jar"), output);
  }

  // ---------------------------------------------------------------------------------------------
  // Schema's scripts: "versioned SQL scripts shipped in this jar (io/csbs/postgres/V1__catalog.sql, ...),
  // which a DBA can read before anything runs"; "A DBA who runs the scripts by hand" (Schema.java:18-43)

  @Test
  void onTheModulePathTheSchemaScriptsAreReadOnlyThroughSchemaScript() throws Exception {
    ModuleLayer layer = layer(jars(RESOLVED_FOR.get("csbs.postgres")), Set.of("csbs.postgres"));
    Module postgres = layer.findModule("csbs.postgres").orElseThrow();
    assertFalse(postgres.isOpen("io.csbs.postgres"));
    try (InputStream in = postgres.getResourceAsStream("io/csbs/postgres/V1__catalog.sql")) {
      assertEquals(null, in, "encapsulated: the package is not open to this test's (unnamed) module");
    }
    assertEquals(null, postgres.getClassLoader().getResource("io/csbs/postgres/V1__catalog.sql"));
    Class<?> schema = Class.forName(postgres, "io.csbs.postgres.Schema");
    String script = (String) schema.getMethod("script", int.class).invoke(null, 1);
    assertEquals(Schema.script(1), script, "the same script as on the class path");
    assertTrue(script.contains("csbs_backup"), script.substring(0, Math.min(200, script.length())));
  }

  // ---------------------------------------------------------------------------------------------
  // "The class files of csbs.core keep Immutables' annotations (class retention, read by tools, never
  // at run time)" (README.md:585-587)

  @Test
  void noImmutablesAnnotationIsVisibleAtRunTimeEvenWithTheAnnotationsOnTheModulePath() throws Exception {
    String annotations = System.getProperty("consumer.annotations.path");
    assertNotNull(annotations, "consumer.annotations.path (set by the module's pom)");
    List<Path> path = new ArrayList<>(jars(RESOLVED_FOR.get("csbs.core")));
    path.add(Path.of(annotations.split(File.pathSeparator)[0]));
    ModuleLayer layer = layer(path, Set.of("csbs.core", "org.immutables.value.annotations"));
    List<String> visible = new ArrayList<>();
    int checked = 0;
    for (Class<?> type : apiClasses(layer, "csbs.core")) {
      List<java.lang.reflect.AnnotatedElement> elements = new ArrayList<>(List.of(type));
      elements.addAll(Arrays.asList(type.getDeclaredMethods()));
      for (java.lang.reflect.AnnotatedElement element : elements) {
        checked++;
        for (java.lang.annotation.Annotation a : element.getDeclaredAnnotations()) {
          if (a.annotationType().getName().startsWith("org.immutables")) {
            visible.add(element + ": " + a);
          }
        }
      }
    }
    assertTrue(checked > 300, "checked " + checked);
    assertTrue(visible.isEmpty(), String.join("\n", visible));
  }

  // ---------------------------------------------------------------------------------------------
  // "Java 17 or later (bytecode level 17)" (README.md:564), module descriptors included

  @Test
  void everyClassOfEveryCsbsJarIsBytecodeLevel17() throws IOException {
    for (String prefix : new TreeSet<>(ARTIFACTS.values())) {
      Path jar = jars(List.of(prefix)).get(0);
      int classes = 0;
      try (JarFile file = new JarFile(jar.toFile())) {
        for (var entry : java.util.Collections.list(file.entries())) {
          assertFalse(entry.getName().startsWith("META-INF/versions/"), jar + ": a multi-release entry " + entry.getName());
          if (!entry.getName().endsWith(".class")) {
            continue;
          }
          try (InputStream in = file.getInputStream(entry)) {
            byte[] head = in.readNBytes(8);
            int major = ((head[6] & 0xff) << 8) | (head[7] & 0xff);
            assertEquals(61, major, jar.getFileName() + "!" + entry.getName());
            classes++;
          }
        }
      }
      assertTrue(classes > 1, jar.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // "On the class path they work as before"

  @Test
  void onTheClassPathTheSameJarsAreTheUnnamedModuleAndWorkAsBefore() throws IOException {
    // this test class runs on the class path (the module's surefire configuration)
    assertFalse(Backup.class.getModule().isNamed());
    assertFalse(CsbsJson.class.getModule().isNamed());
    Backup b = Backup.builder().id("bé-2").name("ünïcödé").projectId("projekt-ü")
        .server(Server.of("srv-ß", "ecs-straße-İ", "eu-de-03")).status(BackupStatus.AVAILABLE).sizeMb(3)
        .createdAt(Instant.parse("2026-11-30T12:00:00Z")).addTags(Tag.of("k", "v")).build();
    CsbsJson json = CsbsJson.create();
    assertEquals(b, json.readCheckpointItem(json.checkpointItem(b), "projekt-ü"));
    // the scripts are plain resources of the jar on the class path, as Schema's javadoc names them
    try (InputStream in = ClassLoader.getSystemResourceAsStream("io/csbs/postgres/V1__catalog.sql")) {
      assertNotNull(in);
      assertEquals(Schema.script(1), new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  /** The public types of a module's exported packages (nested ones whose enclosing types are public too). */
  private static List<Class<?>> apiClasses(ModuleLayer layer, String moduleName) throws IOException, ClassNotFoundException {
    Module module = layer.findModule(moduleName).orElseThrow();
    ModuleReference reference = layer.configuration().findModule(moduleName).orElseThrow().reference();
    List<String> names;
    try (ModuleReader reader = reference.open(); Stream<String> entries = reader.list()) {
      names = entries.filter(n -> n.endsWith(".class") && !n.equals("module-info.class") && !n.endsWith("package-info.class"))
          .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.')).sorted().collect(Collectors.toList());
    }
    List<Class<?>> api = new ArrayList<>();
    for (String name : names) {
      if (name.equals("io.csbs.server.Main")) {
        continue; // not public; its linkage is the subject of the tests above
      }
      Class<?> type = Class.forName(name, false, module.getClassLoader());
      if (!type.isAnonymousClass() && !type.isLocalClass() && publicAllTheWay(type)
          && module.isExported(type.getPackageName())) {
        api.add(type);
      }
    }
    return api;
  }

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  /** Why a user of {@code module} could not name a type that {@code t} mentions; empty when it can. */
  private static List<String> problems(Module module, String where, Type t) {
    List<String> problems = new ArrayList<>();
    for (Class<?> raw : rawTypes(t, new HashSet<>(), new HashSet<>())) {
      Class<?> c = raw;
      while (c.isArray()) {
        c = c.getComponentType();
      }
      if (c.isPrimitive()) {
        continue;
      }
      Module owner = c.getModule();
      String problem = null;
      if (!owner.isNamed()) {
        problem = "a type of the unnamed module";
      } else if (!owner.isExported(c.getPackageName())) {
        problem = "a package " + owner.getName() + " does not export";
      } else if (!publicAllTheWay(c)) {
        problem = "a type that is not public";
      } else if (owner != module && !owner.getName().equals("java.base") && !readsTransitively(module, owner.getName())) {
        problem = "a type of " + owner.getName() + ", which " + module.getName() + " does not read transitively";
      }
      if (problem != null) {
        problems.add(where + " names " + c.getName() + ": " + problem);
      }
    }
    return problems;
  }

  /** A top-level type that is public, or a member type that is public or protected in such a type. */
  private static boolean publicAllTheWay(Class<?> c) {
    for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
      if (k.getDeclaringClass() == null ? !Modifier.isPublic(k.getModifiers()) : !visible(k.getModifiers())) {
        return false;
      }
    }
    return true;
  }

  /** Whether a module that requires {@code module} reads {@code target}: module itself or a chain of requires transitive. */
  private static boolean readsTransitively(Module module, String target) {
    Deque<String> todo = new ArrayDeque<>(List.of(module.getName()));
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      String name = todo.poll();
      if (!seen.add(name)) {
        continue;
      }
      if (name.equals(target)) {
        return true;
      }
      Optional<Module> m = module.getLayer().findModule(name);
      if (m.isEmpty() || m.get().getDescriptor().isAutomatic()) {
        continue;
      }
      for (ModuleDescriptor.Requires r : m.get().getDescriptor().requires()) {
        if (r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)) {
          todo.add(r.name());
        }
      }
    }
    return false;
  }

  private static Set<Class<?>> rawTypes(Type t, Set<Class<?>> out, Set<Type> seen) {
    if (!seen.add(t)) {
      return out;
    }
    if (t instanceof Class<?>) {
      out.add((Class<?>) t);
    } else if (t instanceof ParameterizedType) {
      ParameterizedType p = (ParameterizedType) t;
      rawTypes(p.getRawType(), out, seen);
      for (Type a : p.getActualTypeArguments()) {
        rawTypes(a, out, seen);
      }
    } else if (t instanceof GenericArrayType) {
      rawTypes(((GenericArrayType) t).getGenericComponentType(), out, seen);
    } else if (t instanceof WildcardType) {
      for (Type b : ((WildcardType) t).getUpperBounds()) {
        rawTypes(b, out, seen);
      }
      for (Type b : ((WildcardType) t).getLowerBounds()) {
        rawTypes(b, out, seen);
      }
    } else if (t instanceof TypeVariable<?>) {
      for (Type b : ((TypeVariable<?>) t).getBounds()) {
        rawTypes(b, out, seen);
      }
    }
    return out;
  }

  /** Runs a JVM of this JDK; its exit status, a newline and its output. */
  private static String java(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(args));
    Path log = Files.createTempFile(temp, "java", ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("java " + command + " did not end within 60 s: " + Files.readString(log));
    }
    return process.exitValue() + "\n" + Files.readString(log, StandardCharsets.UTF_8);
  }
}
