package io.csbs;

import com.google.common.reflect.ClassPath;
import com.google.common.testing.NullPointerTester;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TimeRange;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageQuery;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleReader;
import java.lang.module.ResolvedModule;
import java.lang.reflect.Constructor;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Checks with Guava's {@link NullPointerTester} that the public API refuses null: every public static
 * method and constructor of the public classes of a package (and of their public nested classes), and
 * the public instance methods of sample instances. The defaults are valid values, so that a call
 * refuses the one null argument, not another argument.
 */
public final class NullChecks {
  /** The instant of the sample values. */
  public static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

  private NullChecks() {}

  /** {@return a tester whose defaults are valid values of the library's types} */
  public static NullPointerTester tester() {
    Server server = Server.of("server-1", "ecs-1", "eu-de-01");
    Backup backup = sampleBackup();
    NullPointerTester tester = new NullPointerTester()
        .setDefault(String.class, "p")
        .setDefault(Instant.class, NOW)
        .setDefault(Duration.class, Duration.ofMinutes(1))
        .setDefault(Clock.class, Clock.fixed(NOW, ZoneOffset.UTC))
        .setDefault(Server.class, server)
        .setDefault(Tag.class, Tag.of("env", "prod"))
        .setDefault(Progress.class, Progress.of(10, NOW))
        .setDefault(Failure.class, Failure.of(JobType.BACKUP, "disk full", NOW))
        .setDefault(Backup.class, backup)
        .setDefault(BackupStatus.class, BackupStatus.AVAILABLE)
        .setDefault(Transition.class, Transition.restore())
        .setDefault(io.csbs.backup.TagUpdate.class, io.csbs.backup.TagUpdate.create(Tag.of("env", "prod")))
        .setDefault(io.csbs.backup.TagUpdate.Match.class, io.csbs.backup.TagUpdate.Match.key("env"))
        .setDefault(StallRule.class, StallRule.DEFAULT)
        .setDefault(BackupPredicate.class, Predicates.all())
        .setDefault(Query.class, Query.all())
        .setDefault(Sort.class, Sort.DEFAULT)
        .setDefault(SortKey.class, SortKey.asc(SortField.NAME))
        .setDefault(TimeRange.class, TimeRange.all())
        .setDefault(TagCatalogue.class, TagCatalogue.empty())
        .setDefault(ConsoleSearch.class, ConsoleSearch.empty())
        .setDefault(Quota.class, Quota.NONE)
        .setDefault(QuotaUsage.class, new QuotaUsage(Quota.NONE, 0, 0))
        .setDefault(UsageQuery.class, UsageQuery.firstServers(10))
        .setDefault(Change.class, new Change(1, "p", backup.id(), Optional.empty(), Optional.of(backup),
            Optional.empty()))
        .setDefault(ProjectSnapshot.class, new ProjectSnapshot("p", 0, Quota.NONE, List.of()));
    return tester;
  }

  /** {@return an Available backup of project {@code p}} */
  public static Backup sampleBackup() {
    return Backup.builder().id("b-1").name("bk").projectId("p").server(Server.of("server-1", "ecs-1", "eu-de-01"))
        .status(BackupStatus.AVAILABLE).sizeMb(1024).createdAt(NOW.minusSeconds(3600)).build();
  }

  /**
   * Checks every public static method and public constructor of the public classes of {@code
   * packageName} found in the main (not the test) classes and of their public nested classes, and
   * the public instance methods of {@code samples}; fails listing every member that accepts null.
   *
   * @param tester the tester, with its defaults
   * @param packageName the package
   * @param samples instances whose public instance methods are checked
   * @param skip members whose parameters may be null, checked by the caller parameter by parameter
   * @return the classes whose static methods and constructors were checked
   */
  public static List<Class<?>> assertRefuseNull(NullPointerTester tester, String packageName, List<?> samples,
      Member... skip) {
    Set<Member> skipped = Set.of(skip);
    List<String> failures = new ArrayList<>();
    List<Class<?>> tested = new ArrayList<>();
    try {
      for (Class<?> type : topLevelClasses(packageName)) {
        if (Modifier.isPublic(type.getModifiers()) && !isTestClass(type)) {
          checkType(tester, type, skipped, tested, failures);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Object sample : samples) {
      for (Method method : sample.getClass().getMethods()) {
        if (Modifier.isStatic(method.getModifiers()) || method.isBridge() || method.isSynthetic()
            || method.getDeclaringClass().getName().startsWith("java.") || method.getParameterCount() == 0
            || (method.getName().equals("equals") && method.getParameterCount() == 1) || skipped.contains(method)) {
          continue;
        }
        check(() -> tester.testMethod(sample, method), failures);
      }
    }
    if (!failures.isEmpty()) {
      throw new AssertionError(failures.size() + " members accept null:\n" + String.join("\n", failures));
    }
    return tested;
  }

  /**
   * The top-level classes of {@code packageName}: read from its module when the tests run on the
   * module path (Surefire's default for a module with a {@code module-info}), where Guava's {@code
   * ClassPath} sees nothing, and from the class path otherwise.
   */
  private static List<Class<?>> topLevelClasses(String packageName) throws IOException {
    ClassLoader loader = NullChecks.class.getClassLoader();
    Optional<ResolvedModule> module = ModuleLayer.boot().configuration().modules().stream()
        .filter(candidate -> candidate.reference().descriptor().packages().contains(packageName))
        .findFirst();
    List<Class<?>> classes = new ArrayList<>();
    if (module.isEmpty()) {
      for (ClassPath.ClassInfo info : ClassPath.from(loader).getTopLevelClasses(packageName)) {
        classes.add(info.load());
      }
      return classes;
    }
    String directory = packageName.replace('.', '/') + "/";
    List<String> names;
    try (ModuleReader reader = module.get().reference().open(); Stream<String> resources = reader.list()) {
      names = resources
          .filter(name -> name.startsWith(directory) && name.endsWith(".class"))
          .map(name -> name.substring(directory.length(), name.length() - ".class".length()))
          .filter(name -> !name.contains("/") && !name.contains("$") && !name.equals("package-info"))
          .sorted()
          .toList();
    }
    for (String name : names) {
      try {
        classes.add(Class.forName(packageName + "." + name, false, loader));
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }
    return classes;
  }

  private static void checkType(NullPointerTester tester, Class<?> type, Set<Member> skipped, List<Class<?>> tested,
      List<String> failures) {
    tested.add(type);
    for (Method method : type.getDeclaredMethods()) {
      if (Modifier.isStatic(method.getModifiers()) && Modifier.isPublic(method.getModifiers()) && !method.isSynthetic()
          && !skipped.contains(method)) {
        check(() -> tester.testMethod(null, method), failures);
      }
    }
    for (Constructor<?> constructor : type.getConstructors()) {
      if (!skipped.contains(constructor)) {
        check(() -> tester.testConstructor(constructor), failures);
      }
    }
    for (Class<?> nested : type.getDeclaredClasses()) {
      if (Modifier.isPublic(nested.getModifiers())) {
        checkType(tester, nested, skipped, tested, failures);
      }
    }
  }

  private static void check(Runnable test, List<String> failures) {
    try {
      test.run();
    } catch (AssertionError e) {
      failures.add(e.getMessage());
    }
  }

  private static boolean isTestClass(Class<?> type) {
    return type.getProtectionDomain().getCodeSource().getLocation().getPath().contains("test-classes");
  }
}
