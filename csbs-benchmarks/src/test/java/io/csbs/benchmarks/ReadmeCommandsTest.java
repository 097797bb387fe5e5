package io.csbs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.profile.ProfilerFactory;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.ProfilerConfig;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Every benchmark command the READMEs (and the benchmarks' javadoc) print, checked as a user who
 * copies it would need it to work, without running any benchmark: the jar's regex matches a
 * benchmark of {@code META-INF/BenchmarkList}, every {@code -p} names a parameter of every matched
 * benchmark with values it accepts, every option is JMH's, every profiler exists; the main classes
 * run with {@code -cp} exist with a main and the arguments they take. Then a sample of the
 * Benchmarks sections' claims that need no timing.
 */
class ReadmeCommandsTest {
  private static final Path ROOT_README = Path.of("../README.md");
  private static final Path BENCH_README = Path.of("README.md");
  private static final Path SOURCES = Path.of("src/main/java");

  /** Words the READMEs use in place of a value, explained in the prose around the command. */
  private static final Set<String> PLACEHOLDERS =
      Set.of("...", "S", "L", "N", "ID", "IDS", "LAYOUT", "PLACEHOLDER", "[SCENARIO...]", "GC", "[GC]", "[option]");
  /** JMH options that take a number. */
  private static final Set<String> NUMERIC_OPTIONS = Set.of("-f", "-wi", "-i", "-t", "-bs", "-wbs", "-opi", "-wf");

  // ------------------------------------------------------------------------------------------
  // Extraction
  // ------------------------------------------------------------------------------------------

  /** A command as printed: where, and its text with line breaks (and {@code \}) joined. */
  record Snippet(String file, int line, String text) {
    String where() {
      return file + ":" + line;
    }
  }

  /** {@code java [jvm options] -jar JAR args}. */
  record JarCommand(Snippet source, String jar, List<String> jvm, List<String> args) {
    @Override
    public String toString() {
      return source.where() + " `" + source.text() + "`";
    }
  }

  /** {@code java [jvm options] -cp CP MAIN args}. */
  record MainCommand(Snippet source, String classpath, String mainClass, List<String> args) {
    @Override
    public String toString() {
      return source.where() + " `" + source.text() + "`";
    }
  }

  /** Every code block line and inline code span (line breaks joined) that holds a {@code java} command. */
  static List<Snippet> readmeSnippets(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    String name = file.normalize().toString();
    List<Snippet> out = new ArrayList<>();
    StringBuilder prose = new StringBuilder();
    List<Integer> lineOf = new ArrayList<>();
    boolean fence = false;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.trim().startsWith("```")) {
        fence = !fence;
        prose.append('\n');
        lineOf.add(i + 1);
        continue;
      }
      if (fence) {
        String t = l.trim();
        int first = i;
        while (t.endsWith("\\") && i + 1 < lines.size()) {
          i++;
          t = t.substring(0, t.length() - 1) + " " + lines.get(i).trim();
        }
        if (t.matches(".*\\bjava\\s.*")) {
          out.add(new Snippet(name, first + 1, t));
        }
        prose.append('\n');
        lineOf.add(i + 1);
      } else {
        for (int k = 0; k <= l.length(); k++) {
          lineOf.add(i + 1);
        }
        prose.append(l).append('\n');
      }
    }
    Matcher m = Pattern.compile("`([^`]+)`").matcher(prose);
    while (m.find()) {
      String t = m.group(1).replaceAll("\\s+", " ").trim();
      if (t.matches(".*\\bjava\\s.*")) {
        out.add(new Snippet(name, lineOf.get(m.start()), t));
      }
    }
    return out;
  }

  /** The {@code {@code java ...}} commands of the benchmarks' javadoc. */
  static List<Snippet> javadocSnippets() throws IOException {
    List<Snippet> out = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(SOURCES)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
    }
    Pattern code = Pattern.compile("\\{@code\\s+(java\\s(?:[^{}]|\\{[^{}]*\\})*)\\}");
    for (Path file : files) {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      Matcher m = code.matcher(text);
      while (m.find()) {
        String t = m.group(1).replaceAll("\\\\\\s*\\n\\s*\\*", " ").replaceAll("\\n\\s*\\*", " ")
            .replaceAll("\\s+", " ").trim();
        int line = 1 + (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count();
        out.add(new Snippet(file.toString(), line, t));
      }
    }
    return out;
  }

  /** Shell-like words: blanks split, '...' and "..." quote. */
  static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  private static List<Snippet> allSnippets(boolean withJavadoc) throws IOException {
    List<Snippet> all = new ArrayList<>(readmeSnippets(ROOT_README));
    all.addAll(readmeSnippets(BENCH_README));
    if (withJavadoc) {
      all.addAll(javadocSnippets());
    }
    return all;
  }

  /** Splits every snippet into its {@code java} commands and sorts them into jar and main-class commands. */
  static void commands(List<Snippet> snippets, List<JarCommand> jars, List<MainCommand> mains) {
    for (Snippet s : snippets) {
      String text = s.text().replaceAll("<[^>]*>", "PLACEHOLDER");
      List<List<String>> segments = new ArrayList<>();
      List<String> current = new ArrayList<>();
      for (String w : words(text)) {
        if (w.equals("&&") || w.equals(";")) {
          segments.add(current);
          current = new ArrayList<>();
        } else {
          current.add(w);
        }
      }
      segments.add(current);
      for (List<String> seg : segments) {
        int java = seg.indexOf("java");
        if (java < 0) {
          continue;
        }
        List<String> jvm = new ArrayList<>();
        for (int i = java + 1; i < seg.size(); i++) {
          String w = seg.get(i);
          if (w.equals("-jar") && i + 1 < seg.size()) {
            jars.add(new JarCommand(s, seg.get(i + 1), jvm, List.copyOf(seg.subList(i + 2, seg.size()))));
            break;
          } else if ((w.equals("-cp") || w.equals("-classpath")) && i + 2 < seg.size()) {
            mains.add(new MainCommand(s, seg.get(i + 1), seg.get(i + 2), List.copyOf(seg.subList(i + 3, seg.size()))));
            break;
          } else {
            jvm.add(w);
          }
        }
      }
    }
  }

  /** The commands that run the benchmarks jar (any name; the server's jar is not the benchmarks'). */
  static List<JarCommand> benchmarkJarCommands(boolean withJavadoc) throws IOException {
    List<JarCommand> jars = new ArrayList<>();
    commands(allSnippets(withJavadoc), jars, new ArrayList<>());
    jars.removeIf(c -> c.jar().contains("csbs-server"));
    return jars;
  }

  static List<MainCommand> mainCommands(boolean withJavadoc) throws IOException {
    List<MainCommand> mains = new ArrayList<>();
    commands(allSnippets(withJavadoc), new ArrayList<>(), mains);
    return mains;
  }

  /** The JMH arguments with a placeholder count ({@code -i N}) made a number, as the user would. */
  static String[] jmhArgs(JarCommand c) {
    List<String> args = new ArrayList<>(c.args());
    for (int i = 1; i < args.size(); i++) {
      if (NUMERIC_OPTIONS.contains(args.get(i - 1)) && PLACEHOLDERS.contains(args.get(i))) {
        args.set(i, "1");
      }
    }
    return args.toArray(new String[0]);
  }

  /** The {@code -p name=values} of a command, in order (a name may come twice). */
  static List<Map.Entry<String, List<String>>> params(JarCommand c) {
    List<Map.Entry<String, List<String>>> params = new ArrayList<>();
    List<String> args = c.args();
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).equals("-p")) {
        String nv = args.get(i + 1);
        int eq = nv.indexOf('=');
        assertTrue(eq > 0, c + ": -p without name=value: " + nv);
        params.add(Map.entry(nv.substring(0, eq), List.of(nv.substring(eq + 1).split(","))));
      }
    }
    return params;
  }

  // ------------------------------------------------------------------------------------------
  // The jar's benchmark list, as JMH reads it
  // ------------------------------------------------------------------------------------------

  private static final OutputFormat SILENT =
      OutputFormatFactory.createFormatInstance(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          VerboseMode.SILENT);

  private static final BenchmarkList LIST = BenchmarkList.defaultList();
  private static final Map<List<String>, SortedSet<BenchmarkListEntry>> MATCHED = new java.util.concurrent.ConcurrentHashMap<>();

  static SortedSet<BenchmarkListEntry> matching(List<String> includes) {
    return MATCHED.computeIfAbsent(List.copyOf(includes),
        key -> LIST.find(SILENT, key.isEmpty() ? List.of(".*") : key, List.of()));
  }

  static Map<String, String[]> paramsOf(BenchmarkListEntry e) {
    return e.getParams().orElse(Collections.emptyMap());
  }

  /** The {@code @Param} field named {@code name} of a benchmark's class or the states it declares. */
  static Field paramField(BenchmarkListEntry e, String name) throws ClassNotFoundException {
    Class<?> user = Class.forName(e.getUserClassQName());
    List<Class<?>> classes = new ArrayList<>();
    collect(user, classes);
    for (Class<?> k : classes) {
      for (Class<?> c = k; c != null && c != Object.class; c = c.getSuperclass()) {
        for (Field f : c.getDeclaredFields()) {
          if (f.getName().equals(name) && f.isAnnotationPresent(Param.class)) {
            return f;
          }
        }
      }
    }
    return null;
  }

  private static void collect(Class<?> c, List<Class<?>> into) {
    into.add(c);
    for (Class<?> nested : c.getDeclaredClasses()) {
      collect(nested, into);
    }
  }

  /** Why {@code value} is not one {@code field} accepts, or null. */
  static String refusal(Field field, String value) {
    Class<?> type = field.getType();
    try {
      if (type == int.class || type == Integer.class) {
        Integer.parseInt(value);
      } else if (type == long.class || type == Long.class) {
        Long.parseLong(value);
      } else if (type.isEnum()) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        Object constant = Enum.valueOf((Class) type, value);
        assertNotNull(constant);
      } else if (type == String.class) {
        List<String> declared = List.of(field.getAnnotation(Param.class).value());
        if (!declared.isEmpty() && !declared.contains(value)) {
          return "not one of the documented values " + declared;
        }
      }
      return null;
    } catch (IllegalArgumentException e) {
      return e.toString();
    }
  }

  /** {@code A.(b|c)$} as {@code A.b$, A.c$}; {@code A|B} as {@code A, B}; else the regex itself. */
  static List<String> alternatives(String regex) {
    Matcher group = Pattern.compile("^([^()]*)\\(([^()]*)\\)([^()]*)$").matcher(regex);
    List<String> out = new ArrayList<>();
    if (group.matches()) {
      for (String alt : group.group(2).split("\\|")) {
        out.add(group.group(1) + alt + group.group(3));
      }
    } else if (!regex.contains("(")) {
      out.addAll(List.of(regex.split("\\|")));
    } else {
      out.add(regex);
    }
    return out;
  }

  /** Every problem a JMH command has, one a line (empty: it runs as printed). */
  static List<String> problems(JarCommand c) {
    List<String> problems = new ArrayList<>();
    CommandLineOptions options;
    try {
      options = new CommandLineOptions(jmhArgs(c));
    } catch (Exception e) {
      problems.add(c + ": JMH refuses its options: " + e.getMessage());
      return problems;
    }
    SortedSet<BenchmarkListEntry> matched = matching(options.getIncludes());
    if (matched.isEmpty()) {
      problems.add(c + ": the regex " + options.getIncludes() + " matches no benchmark");
      return problems;
    }
    for (String include : options.getIncludes()) {
      for (String alt : alternatives(include)) {
        if (matching(List.of(alt)).isEmpty()) {
          problems.add(c + ": the part '" + alt + "' of the regex '" + include + "' matches no benchmark");
        }
      }
    }
    for (Map.Entry<String, List<String>> p : params(c)) {
      for (BenchmarkListEntry e : matched) {
        if (!paramsOf(e).containsKey(p.getKey())) {
          problems.add(c + ": -p " + p.getKey() + " is not a parameter of " + e.getUsername()
              + " (JMH ignores it there), which has " + paramsOf(e).keySet());
          continue;
        }
        Field field;
        try {
          field = paramField(e, p.getKey());
        } catch (ClassNotFoundException ex) {
          problems.add(c + ": " + ex);
          continue;
        }
        if (field == null) {
          problems.add(c + ": no @Param field " + p.getKey() + " found for " + e.getUsername());
          continue;
        }
        for (String v : p.getValue()) {
          if (PLACEHOLDERS.contains(v)) {
            continue;
          }
          String why = refusal(field, v);
          if (why != null) {
            problems.add(c + ": -p " + p.getKey() + "=" + v + " is not a value " + e.getUsername() + "'s "
                + field.getType().getSimpleName() + " " + p.getKey() + " accepts: " + why);
          }
        }
      }
    }
    for (ProfilerConfig profiler : options.getProfilers()) {
      try {
        ProfilerFactory.getProfilerOrException(profiler);
      } catch (Exception e) {
        problems.add(c + ": no profiler " + profiler + ": " + e.getMessage());
      }
    }
    return problems;
  }

  // ------------------------------------------------------------------------------------------
  // The commands
  // ------------------------------------------------------------------------------------------

  @Test
  void theCommandsAreFoundInBothReadmes() throws IOException {
    List<JarCommand> jars = benchmarkJarCommands(false);
    List<MainCommand> mains = mainCommands(false);
    assertTrue(jars.size() > 90, "jar commands found: " + jars.size());
    assertTrue(jars.stream().anyMatch(c -> c.jar().equals("csbs-benchmarks/target/benchmarks.jar")), jars.toString());
    assertTrue(jars.stream().anyMatch(c -> c.jar().equals("X.jar")), jars.toString());
    assertTrue(jars.stream().anyMatch(c -> c.jar().equals("head29.jar")), jars.toString());
    assertTrue(mains.stream().anyMatch(c -> c.mainClass().equals("io.csbs.benchmarks.ConsoleDemo")
        && c.source().file().endsWith("README.md") && !c.source().file().contains("benchmarks")), mains.toString());
    // a command printed over two lines is read whole
    assertTrue(jars.stream().anyMatch(c -> c.args().contains("layout=IN_ORDER,LATE_5PCT,DISTINCT_NAMES")
        && c.args().contains("scenario=DEFAULT_LIST,RARE_STATUS")),
        jars.toString());
  }

  @Test
  void everyCurrentJarCommandOfTheReadmesRunsAsPrinted() throws IOException {
    List<String> problems = new ArrayList<>();
    for (JarCommand c : benchmarkJarCommands(false)) {
      if (c.jar().endsWith("target/benchmarks.jar") || c.jar().equals("benchmarks.jar")) {
        problems.addAll(problems(c));
      }
    }
    assertEquals(List.of(), problems, String.join("\n", problems));
  }

  private static final String IGNORED = "(JMH ignores it there)";
  private static List<String> readmeAndJavadocProblems;

  /** The problems of every jar command of the READMEs and the javadoc, found once. */
  private static synchronized List<String> readmeAndJavadocProblems() throws IOException {
    if (readmeAndJavadocProblems == null) {
      List<String> problems = new ArrayList<>();
      for (JarCommand c : benchmarkJarCommands(true)) {
        problems.addAll(problems(c));
      }
      readmeAndJavadocProblems = List.copyOf(problems);
    }
    return readmeAndJavadocProblems;
  }

  @Test
  void everyJarCommandOfTheReadmesRunsOnTodaysJar() throws IOException {
    // every command, the earlier sessions' jars (X.jar, base29.jar, ...) included, on today's benchmark list;
    // a -p that some matched benchmark lacks is the next tests' (JMH 1.37 ignores it for that benchmark)
    List<String> problems = new ArrayList<>();
    for (JarCommand c : benchmarkJarCommands(false)) {
      problems.addAll(problems(c));
    }
    problems.removeIf(p -> p.contains(IGNORED));
    assertEquals(List.of(), problems, String.join("\n", problems));
  }

  @Test
  void theOnlyParameterSetForABenchmarkWithoutItIsImportIdsOfAddAndRetireOldest() throws IOException {
    List<String> problems = new ArrayList<>(readmeAndJavadocProblems());
    problems.removeIf(p -> !p.contains(IGNORED));
    assertEquals(1, problems.size(), String.join("\n", problems));
    assertTrue(problems.get(0).contains("CatalogChangeBenchmark.(addLate|addAndRetireOldest)$")
        && problems.get(0).contains("-p importIds is not a parameter of io.csbs.benchmarks.CatalogChangeBenchmark.addAndRetireOldest"),
        problems.get(0));
    // addLate, which the same command runs, takes it with the values the benchmark documents
    assertEquals(List.of("UUID", "PREFIXED"), List.of(paramsOf(benchmark("CatalogChangeBenchmark.addLate")).get("importIds")));
    assertFalse(paramsOf(benchmark("CatalogChangeBenchmark.addAndRetireOldest")).containsKey("importIds"));
  }

  @Test
  void theCheckerCatchesWhatWouldFail() {
    // the negative controls of this class's checks: each of these would fail or mislead at run time
    Snippet s = new Snippet("synthetic", 1, "");
    Map<String, String> broken = new LinkedHashMap<>();
    broken.put("NoSuchBenchmark -f 1", "matches no benchmark");
    broken.put("'QueryBenchmark.(page|pages)$' -f 1", "'QueryBenchmark.pages$'");
    broken.put("QueryBenchmark -p engine=CSBS,LUCENE", "LUCENE");
    broken.put("QueryBenchmark -p backups=1M", "1M");
    broken.put("CountBenchmark -p layout=SORTED", "SORTED");
    broken.put("'CatalogChangeBenchmark.importAndRetire$' -p retire=NEWEST", "NEWEST");
    broken.put("LoadBenchmark -p scenario=TAGS_2", IGNORED);
    broken.put("QueryBenchmark -prof nosuchprofiler", "no profiler");
    broken.put("QueryBenchmark -wi two", "JMH refuses");
    broken.put("QueryBenchmark --iterations 2", "JMH refuses");
    for (Map.Entry<String, String> b : broken.entrySet()) {
      List<String> problems = problems(new JarCommand(s, "benchmarks.jar", List.of(), words(b.getKey())));
      assertTrue(problems.stream().anyMatch(p -> p.contains(b.getValue())), b.getKey() + " -> " + problems);
    }
    assertEquals(List.of(), problems(new JarCommand(s, "benchmarks.jar", List.of(),
        words("'QueryBenchmark|CountBenchmark' -p engine=CSBS -p scenario=TAGS_2 -prof gc -bm sample -tu us -f 0 -w 1s"))));
  }

  @Test
  void theNarrowingOptionsTheReadmeSuggestsApplyToQueryAndCountBenchmark() {
    // "Add `-p scenario=TAGS_2 -p engine=CSBS,CQENGINE_INDEX_ORDERING` to narrow a run, `-prof gc` or `-prof stack`"
    // "add `-p engine=CSBS,SCAN,CQENGINE,CQENGINE_INDEX_ORDERING`"
    Snippet s = new Snippet("csbs-benchmarks/README.md", 105, "");
    for (String bench : List.of("QueryBenchmark", "CountBenchmark")) {
      for (String extra : List.of("-p scenario=TAGS_2 -p engine=CSBS,CQENGINE_INDEX_ORDERING -prof gc",
          "-p scenario=TAGS_2 -p engine=CSBS,CQENGINE_INDEX_ORDERING -prof stack",
          "-p engine=CSBS,SCAN,CQENGINE,CQENGINE_INDEX_ORDERING")) {
        List<String> args = words(bench + " -p backups=100000 -f 1 -wi 1 -i 2 -w 1s -r 1s " + extra);
        assertEquals(List.of(), problems(new JarCommand(s, "benchmarks.jar", List.of(), args)), bench + " " + extra);
      }
    }
    // "`QueryBenchmark` and `CountBenchmark` run every engine unless `-p engine=` narrows them, the PostgreSQL ones included"
    assertEquals(names(Engine.values()), List.of(paramsOf(benchmark("QueryBenchmark.page")).get("engine")));
    assertEquals(names(Engine.values()), List.of(paramsOf(benchmark("CountBenchmark.count")).get("engine")));
  }

  @Test
  void everyJarCommandOfTheJavadocRunsAsPrinted() throws IOException {
    List<String> problems = new ArrayList<>();
    List<JarCommand> javadoc = new ArrayList<>();
    commands(javadocSnippets(), javadoc, new ArrayList<>());
    assertFalse(javadoc.isEmpty());
    for (JarCommand c : javadoc) {
      problems.addAll(problems(c));
    }
    assertEquals(List.of(), problems, String.join("\n", problems));
  }

  /** How each committed main class reads its arguments (from its javadoc). */
  private static final Map<String, List<String>> ARGUMENTS = Map.of(
      "ConsoleDemo", List.of("int", "long"),
      "MemoryReport", List.of("int", "Layout"),
      "LockHoldReport", List.of("int", "int"),
      "StallProbe", List.of("int", "long"),
      "ServerLoadReport", List.of("int", "int", "int", "long"),
      "PrepareDatabase", List.of("int..."),
      "ExplainReport", List.of("int", "Scenario..."),
      "LateImportReport", List.of("int", "int", "UUID|PREFIXED"),
      "DecodedBackupsReport", List.of("int", "DECODED|GENERATED", "ADD_ALL|ADD"));

  static List<String> mainProblems(MainCommand c) throws IOException {
    List<String> problems = new ArrayList<>();
    String main = c.mainClass();
    Class<?> type;
    try {
      type = Class.forName(main.contains(".") ? main : "io.csbs.benchmarks." + main);
    } catch (ClassNotFoundException e) {
      boolean ownClasspath = c.classpath().contains(":");
      List<String> lines = Files.readAllLines(Path.of(c.source().file()), StandardCharsets.UTF_8);
      String before = String.join(" ", lines.subList(Math.max(0, c.source().line() - 12), c.source().line()));
      if (!(ownClasspath && before.contains("not committed"))) {
        problems.add(c + ": no class " + main + " (and the text does not say it is a probe not committed)");
      }
      return problems;
    }
    try {
      Method m = type.getMethod("main", String[].class);
      if (!Modifier.isStatic(m.getModifiers())) {
        problems.add(c + ": main is not static");
      }
    } catch (NoSuchMethodException e) {
      problems.add(c + ": " + main + " has no public static void main(String[])");
      return problems;
    }
    List<String> kinds = ARGUMENTS.get(type.getSimpleName());
    if (kinds == null) {
      problems.add(c + ": a main this test does not know: " + main);
      return problems;
    }
    for (int i = 0; i < c.args().size(); i++) {
      String arg = c.args().get(i);
      String kind = i < kinds.size() ? kinds.get(i) : kinds.get(kinds.size() - 1);
      if (!kind.endsWith("...") && i >= kinds.size()) {
        problems.add(c + ": " + main + " takes " + kinds.size() + " arguments; extra: " + arg);
        continue;
      }
      kind = kind.replace("...", "");
      if (PLACEHOLDERS.contains(arg)) {
        continue;
      }
      try {
        switch (kind) {
          case "int" -> Integer.parseInt(arg.replace("_", ""));
          case "long" -> Long.parseLong(arg.replace("_", ""));
          case "Layout" -> Layout.valueOf(arg);
          case "Scenario" -> Scenario.valueOf(arg);
          default -> {
            if (!List.of(kind.split("\\|")).contains(arg)) {
              problems.add(c + ": " + arg + " is not one of " + kind);
            }
          }
        }
      } catch (IllegalArgumentException e) {
        problems.add(c + ": argument " + (i + 1) + " '" + arg + "' is not a " + kind + ": " + e.getMessage());
      }
    }
    return problems;
  }

  @Test
  void everyMainClassCommandNamesAClassWithAMainAndArgumentsItTakes() throws IOException {
    List<String> problems = new ArrayList<>();
    for (MainCommand c : mainCommands(true)) {
      problems.addAll(mainProblems(c));
    }
    assertEquals(List.of(), problems, String.join("\n", problems));
  }

  @Test
  void theReadmesFirstCommandConsoleDemoRunsAsAProgramOnASmallCatalog() throws Exception {
    // README.md: "`ConsoleDemo 100000 7` runs it on 100,000 backups with seed 7." The same command line at the
    // smallest size it takes (its javadoc: "at least 100"), so that this class stays short (100,000 takes
    // about 15 s here)
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        "io.csbs.benchmarks.ConsoleDemo", "100", "7");
    pb.redirectErrorStream(true);
    File log = Files.createTempFile("console-demo", ".txt").toFile();
    log.deleteOnExit();
    pb.redirectOutput(log);
    Process process = pb.start();
    boolean done = process.waitFor(60, TimeUnit.SECONDS);
    if (!done) {
      process.destroyForcibly();
      fail("ConsoleDemo 100 7 did not end in 60 s: " + Files.readString(log.toPath()));
    }
    String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), out);
    assertTrue(out.contains(" 100 generated backups (seed 7"), out);
    assertTrue(out.contains("Every page equals the plain scan's: the same backups, in the same order, with the same total."), out);
    assertTrue(out.contains("The same as the plain scan's."), out);
    // the README's header line and its first rows
    assertTrue(out.lines().anyMatch(l -> l.matches("search\\s+total\\s+newest match\\s+csbs\\s+plain scan\\s+csbs is")), out);
    assertTrue(out.contains("All statuses (the list as it opens)") && out.contains("Status: Error")
        && out.contains("Available, created in the last 7 days"), out);
    // "the console's searches (status, time segment, keyword, tags, stalled jobs, a page after a marker) ... and the
    // space usage dialog"
    for (String search : List.of("Backup name contains", "Server name contains", "Tags ", "Stalled jobs",
        "(after a marker)", "Space usage")) {
      assertTrue(out.contains(search), search + " in " + out);
    }
  }

  // ------------------------------------------------------------------------------------------
  // The claims of the Benchmarks sections
  // ------------------------------------------------------------------------------------------

  private static String section(Path file, String heading) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int start = text.indexOf("\n" + heading + "\n");
    assertTrue(start >= 0, heading);
    int end = text.indexOf("\n## ", start + heading.length() + 2);
    return text.substring(start, end < 0 ? text.length() : end);
  }

  /** The first column's backticked names of the tables of a section. */
  private static List<String> tableNames(String section) {
    List<String> names = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\| `([A-Z_0-9]+)` \\|").matcher(section);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static List<String> names(Enum<?>[] values) {
    return Arrays.stream(values).map(Enum::name).collect(Collectors.toList());
  }

  @Test
  void theEnginesTableListsEveryEngine() throws IOException {
    assertEquals(names(Engine.values()), tableNames(section(BENCH_README, "## The engines")));
  }

  @Test
  void theScenariosTableListsEveryScenario() throws IOException {
    assertEquals(new TreeSet<>(names(Scenario.values())), new TreeSet<>(tableNames(section(BENCH_README, "## Scenarios"))));
  }

  @Test
  void theLayoutsTheCommandsNameAreEveryLayout() throws IOException {
    String commands = section(BENCH_README, "## Commands");
    Matcher m = Pattern.compile("\\(layout: ([A-Z_0-9, ]+)\\)").matcher(commands);
    assertTrue(m.find(), commands);
    assertEquals(names(Layout.values()), List.of(m.group(1).split(",\\s*")));
    for (Layout layout : Layout.values()) {
      assertTrue(commands.contains("`" + layout.name() + "`"), "the layout paragraph explains " + layout);
    }
  }

  private static BenchmarkListEntry benchmark(String name) {
    List<BenchmarkListEntry> found = new ArrayList<>();
    for (BenchmarkListEntry e : matching(List.of(".*"))) {
      if (e.getUsername().equals("io.csbs.benchmarks." + name) || e.getUsername().endsWith("." + name)) {
        found.add(e);
      }
    }
    assertEquals(1, found.size(), name + ": " + found);
    return found.get(0);
  }

  @Test
  void theDefaultsOfTheFirstCommandAreTheOnesItsCommentSays() {
    // "# first page of each scenario, every engine, 10k/100k/1M backups (-Xms8g -Xmx8g, 3x1 s warm-up, 5x1 s)"
    BenchmarkListEntry page = benchmark("QueryBenchmark.page");
    assertEquals(List.of("10000", "100000", "1000000"), List.of(paramsOf(page).get("backups")));
    assertEquals(names(Engine.values()), List.of(paramsOf(page).get("engine")));
    assertEquals(names(Scenario.values()), List.of(paramsOf(page).get("scenario")));
    assertEquals(3, page.getWarmupIterations().get());
    assertEquals(1, page.getWarmupTime().get().convertTo(TimeUnit.SECONDS));
    assertEquals(5, page.getMeasurementIterations().get());
    assertEquals(1, page.getMeasurementTime().get().convertTo(TimeUnit.SECONDS));
    assertTrue(page.getJvmArgsAppend().get().containsAll(List.of("-Xms8g", "-Xmx8g")), page.getJvmArgsAppend().toString());
  }

  @Test
  void theCountBenchmarkCountsRareStatusToTagsNoResult() {
    // "# counts of RARE_STATUS..TAGS_NO_RESULT"
    List<String> all = names(Scenario.values());
    List<String> expected = all.subList(all.indexOf("RARE_STATUS"), all.indexOf("TAGS_NO_RESULT") + 1);
    assertEquals(expected, List.of(paramsOf(benchmark("CountBenchmark.count")).get("scenario")));
  }

  @Test
  void theModesAreTheOnesTheReadmeSays() {
    // "loading N backups into an empty engine, single shot"; "query latency percentiles"; "Sample time";
    // ReplicaStartBenchmark and ReplicaCatchUpBenchmark "single shot"
    assertEquals(Mode.SingleShotTime, benchmark("LoadBenchmark.load").getMode());
    assertEquals(Mode.SingleShotTime, benchmark("ReplicaStartBenchmark.start").getMode());
    assertEquals(Mode.SingleShotTime, benchmark("ReplicaCatchUpBenchmark.catchUp").getMode());
    assertEquals(Mode.SampleTime, benchmark("PostgresChangeBenchmark.transition").getMode());
    assertEquals(Mode.SampleTime, benchmark("PostgresChangeBenchmark.transitionSeenByReplica").getMode());
    for (BenchmarkListEntry e : matching(List.of("ReadsDuringWritesBenchmark"))) {
      assertEquals(Mode.SampleTime, e.getMode(), e.getUsername());
      // "(csbs, CQEngine index ordering)"
      assertEquals(List.of("CSBS", "CQENGINE_INDEX_ORDERING"), List.of(paramsOf(e).get("engine")), e.getUsername());
    }
    // "1,000,000 backups in 1,000 projects"
    for (BenchmarkListEntry e : matching(List.of("AllProjectsBenchmark"))) {
      assertEquals(List.of("1000"), List.of(paramsOf(e).get("projects")), e.getUsername());
    }
  }

  @Test
  void everyBenchmarkMethodTheReadmesNameExists() throws IOException {
    Set<String> known = new HashSet<>();
    Set<String> classes = new HashSet<>();
    for (BenchmarkListEntry e : matching(List.of(".*"))) {
      String user = e.getUsername();
      String simple = user.substring(user.lastIndexOf('.', user.lastIndexOf('.') - 1) + 1);
      known.add(simple);
      classes.add(simple.substring(0, simple.indexOf('.')));
    }
    List<String> problems = new ArrayList<>();
    for (Path file : List.of(ROOT_README, BENCH_README)) {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = Pattern.compile("\\b([A-Z][A-Za-z]*Benchmark)(?:\\.([a-z][A-Za-z0-9]*))?\\b").matcher(lines.get(i));
        while (m.find()) {
          String klass = m.group(1);
          if (!classes.contains(klass)) {
            problems.add(file + ":" + (i + 1) + ": no benchmark class " + klass);
          } else if (m.group(2) != null && !known.contains(klass + "." + m.group(2)) && !hasMethod(klass, m.group(2))) {
            problems.add(file + ":" + (i + 1) + ": no benchmark (nor method) " + klass + "." + m.group(2));
          }
        }
      }
    }
    assertEquals(List.of(), problems, String.join("\n", problems));
  }

  private static boolean hasMethod(String klass, String method) {
    for (String pkg : List.of("io.csbs.benchmarks.", "io.csbs.catalog.")) {
      try {
        return Arrays.stream(Class.forName(pkg + klass).getDeclaredMethods()).anyMatch(m -> m.getName().equals(method));
      } catch (ClassNotFoundException e) {
        // next package
      }
    }
    return false;
  }

  @Test
  void theSmokeTestRunsTheCombinationsTheReadmeCounts() throws IOException {
    // "(`BenchmarksSmokeTest`: every benchmark, engine and search in the `LATE_5PCT` layout, and the
    // other layouts' set-ups with one search, 292 combinations ..."
    Matcher m = Pattern.compile("layouts' set-ups with one search, ([0-9,]+) combinations")
        .matcher(Files.readString(BENCH_README, StandardCharsets.UTF_8));
    assertTrue(m.find());
    long documented = Long.parseLong(m.group(1).replace(",", ""));
    assertEquals(documented, smokeCombinations());
  }

  /**
   * The combinations the smoke test runs: every benchmark at backups=1000 and changes=50 in the
   * LATE_5PCT layout with every other value; then QueryBenchmark.page and CountBenchmark.count in the
   * four other layouts with the TAGS_2 search and every other value.
   */
  static long smokeCombinations() {
    long combinations = 0;
    for (BenchmarkListEntry e : matching(List.of("io\\.csbs\\..*"))) {
      combinations += combinations(e, Map.of("layout", 1));
    }
    for (BenchmarkListEntry e : matching(List.of("io\\.csbs\\.benchmarks\\.(QueryBenchmark\\.page|CountBenchmark\\.count)$"))) {
      combinations += combinations(e, Map.of("layout", Layout.values().length - 1, "scenario", 1));
    }
    return combinations;
  }

  /** The product of the benchmark's parameters' value counts, backups and changes fixed, some counts given. */
  private static long combinations(BenchmarkListEntry e, Map<String, Integer> given) {
    long product = 1;
    for (Map.Entry<String, String[]> p : paramsOf(e).entrySet()) {
      if (!p.getKey().equals("backups") && !p.getKey().equals("changes")) {
        product *= given.getOrDefault(p.getKey(), p.getValue().length);
      }
    }
    return product;
  }

  // ------------------------------------------------------------------------------------------
  // What each layout means (Layout's javadoc and the README's paragraph), on a small workload
  // ------------------------------------------------------------------------------------------

  private static final int SIZE = 5_000;
  private static final Map<String, Workload> WORKLOADS = new java.util.concurrent.ConcurrentHashMap<>();

  /** {@link Workload#of(int, Layout)}, kept: it keeps only the last one. */
  static Workload workload(int size, Layout layout) {
    return WORKLOADS.computeIfAbsent(size + " " + layout, k -> Workload.of(size, layout));
  }

  @Test
  void everyLayoutHoldsTheSameBackupsOfOneProject() {
    // Layout: "Every layout holds the same number of backups of one project, picked by the same seed."
    Set<String> ids = null;
    for (Layout layout : Layout.values()) {
      Workload w = workload(SIZE, layout);
      assertEquals(SIZE, w.backups.size(), layout.toString());
      assertEquals(Set.of(w.projectId), w.backups.stream().map(Backup::projectId).collect(Collectors.toSet()), layout.toString());
      Set<String> these = w.backups.stream().map(Backup::id).collect(Collectors.toSet());
      assertEquals(SIZE, these.size(), layout + ": ids repeat");
      if (ids == null) {
        ids = these;
      } else {
        assertEquals(ids, these, layout + " holds other backups");
      }
    }
  }

  @Test
  void late5pctAddsOneInTwentyLateAfterUpToATenthOfNewerOnes() {
    Workload w = workload(SIZE, Layout.LATE_5PCT);
    List<Backup> sorted = new ArrayList<>(w.backups);
    sorted.sort(Workload.CREATION_ORDER);
    Map<String, Integer> rank = new LinkedHashMap<>();
    for (int i = 0; i < sorted.size(); i++) {
      rank.put(sorted.get(i).id(), i);
    }
    int late = 0;
    int maxSeen = -1;
    for (int i = 0; i < w.backups.size(); i++) {
      int r = rank.get(w.backups.get(i).id());
      if (r < maxSeen) {
        late++;
        // newer ones that arrived before it: at most a tenth of the list
        int newerBefore = 0;
        for (int j = 0; j < i; j++) {
          if (rank.get(w.backups.get(j).id()) > r) {
            newerBefore++;
          }
        }
        assertTrue(newerBefore <= SIZE / 10, "a late backup after " + newerBefore + " newer ones");
      }
      maxSeen = Math.max(maxSeen, r);
    }
    assertTrue(late > SIZE * 0.04 && late < SIZE * 0.06, "late: " + late + " of " + SIZE);
  }

  @Test
  void distinctNamesRenamesNineInTen() {
    Workload w = workload(SIZE, Layout.DISTINCT_NAMES);
    long renamed = w.backups.stream().filter(b -> b.name().matches(".*-[0-9a-f]{8}")).count();
    assertTrue(renamed > SIZE * 0.88 && renamed < SIZE * 0.92, "renamed " + renamed + " of " + SIZE);
    Set<String> distinct = new HashSet<>();
    w.backups.stream().filter(b -> b.name().matches(".*-[0-9a-f]{8}")).forEach(b -> distinct.add(b.name()));
    assertTrue(distinct.size() > renamed * 0.99, "renamed names unique: " + distinct.size() + " of " + renamed);
  }

  @Test
  void randomOrderAddsAlmostEveryBackupOutOfOrder() {
    // "every add but a few is out of order"
    Workload w = workload(SIZE, Layout.RANDOM_ORDER);
    Instant newest = Instant.MIN;
    int outOfOrder = 0;
    for (Backup b : w.backups) {
      if (b.createdAt().isBefore(newest)) {
        outOfOrder++;
      } else {
        newest = b.createdAt();
      }
    }
    assertTrue(outOfOrder > SIZE - 100, "out of order: " + outOfOrder + " of " + SIZE);
  }

  @Test
  void retainedLoadsHalfAsManyAgainOfTheYearBeforeAndRemovesThemOldestFirst() {
    Workload w = workload(SIZE, Layout.RETAINED);
    assertEquals(SIZE / 2, w.retired.size());
    Instant oldestLive = w.backups.stream().map(Backup::createdAt).min(Instant::compareTo).orElseThrow();
    Instant newestRetired = w.retired.stream().map(Backup::createdAt).max(Instant::compareTo).orElseThrow();
    assertTrue(newestRetired.isBefore(oldestLive), "the retired backups are older than every live one");
    Instant oldestRetired = w.retired.stream().map(Backup::createdAt).min(Instant::compareTo).orElseThrow();
    assertTrue(Duration.between(oldestRetired, w.now).toDays() <= 2 * 366, "the year before: " + oldestRetired);
    List<Backup> order = new ArrayList<>(w.retired);
    order.sort(Workload.CREATION_ORDER);
    assertEquals(order, w.retired, "removed oldest first");
    Set<String> live = w.backups.stream().map(Backup::id).collect(Collectors.toSet());
    assertTrue(w.retired.stream().noneMatch(b -> live.contains(b.id())));
  }

  // ------------------------------------------------------------------------------------------
  // What the benchmarks' setups make, against what their docs say
  // ------------------------------------------------------------------------------------------

  /** Runs PostingsBenchmark's setup for {@code pair} at 1M rows and returns what it prints. */
  private static String postingsSetUp(String pair) throws Exception {
    Class<?> type = Class.forName("io.csbs.catalog.PostingsBenchmark");
    Object bench = type.getDeclaredConstructor().newInstance();
    Field backups = type.getDeclaredField("backups");
    backups.setAccessible(true);
    backups.setInt(bench, 1_000_000);
    Field pairField = type.getDeclaredField("pair");
    pairField.setAccessible(true);
    pairField.set(bench, pair);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      type.getMethod("build").invoke(bench);
    } finally {
      System.setOut(out);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void thePostingsPairsHaveTheReadmesRowsAndRepresentations() throws Exception {
    // "2% and 2.5% (20,109 and 24,708 rows)", "2% and 30%", "30% and 40%";
    // "csbs keeps a sorted `int[]` below 1/32 of the rows and a `long[]` bitmap above"
    assertEquals(List.of("2_2.5", "2_30", "30_40"), List.of(paramsOf(benchmark("PostingsBenchmark.csbs")).get("pair")));
    Pattern line = Pattern.compile("rows (\\d+)/(\\d+); csbs (\\S+)/(\\S+);");
    Map<String, String> expectedKinds = Map.of("2_2.5", "int[]/int[]", "2_30", "int[]/bitmap", "30_40", "bitmap/bitmap");
    for (String pair : List.of("2_2.5", "2_30", "30_40")) {
      String printed = postingsSetUp(pair);
      Matcher m = line.matcher(printed);
      assertTrue(m.find(), printed);
      int a = Integer.parseInt(m.group(1));
      int b = Integer.parseInt(m.group(2));
      String[] d = pair.split("_");
      assertEquals(Double.parseDouble(d[0]) / 100, a / 1e6, 0.002, pair + ": " + printed);
      assertEquals(Double.parseDouble(d[1]) / 100, b / 1e6, 0.002, pair + ": " + printed);
      if (pair.equals("2_2.5")) {
        assertEquals(List.of(20_109, 24_708), List.of(a, b), printed);
      }
      assertEquals(expectedKinds.get(pair), m.group(3) + "/" + m.group(4), pair + ": " + printed);
    }
  }

  @Test
  void readsDuringWritesHasTheFourGroupsAndFortyCombinationsAtOneSize() {
    // "Four JMH groups": alone (one reader), withWriter, withImporter, withDeleter (a reader and a writer each);
    // "A full run at 1M (2 engines, 5 scenarios, 4 groups: 40 forks ...)"
    SortedSet<BenchmarkListEntry> groups = matching(List.of("ReadsDuringWritesBenchmark"));
    Map<String, Integer> threads = new LinkedHashMap<>();
    long combinations = 0;
    for (BenchmarkListEntry e : groups) {
      String user = e.getUsername();
      threads.put(user.substring(user.lastIndexOf('.') + 1), Arrays.stream(e.getThreadGroups()).sum());
      combinations += (long) paramsOf(e).get("engine").length * paramsOf(e).get("scenario").length;
    }
    assertEquals(Map.of("alone", 1, "withWriter", 2, "withImporter", 2, "withDeleter", 2), threads);
    assertEquals(40, combinations);
    // "Scenarios, each on another of csbs's indexes: the default list, a rare status, two tags, a name substring
    // and status with a 30-day window and a tag"
    assertEquals(Set.of("DEFAULT_LIST", "RARE_STATUS", "TAGS_2", "NAME_SUBSTRING", "STATUS_30_DAYS_ONE_TAG"),
        Set.of(paramsOf(benchmark("ReadsDuringWritesBenchmark.alone")).get("scenario")));
  }

  @Test
  void theScenariosSearchForWhatTheTableSays() {
    // the Scenarios table: "TAGS_2 | 2 tags of a backup that has 10", "TAGS_NO_RESULT | two frequent tags (different
    // keys) that no backup has together | 0", "NAME_SUBSTRING | backup name contains 4 hex digits of an autobk_xxxx,
    // upper case", "SERVER_NAME_SUBSTRING | server name contains WEB-0042-like text, upper case", "DEEP_PAGE_MARKER |
    // the page after the 10,000th backup", "DEEP_PAGE_OFFSET | page 500 by offset 9,980"; on 12,000 backups
    int size = 12_000;
    Workload w = workload(size, Layout.IN_ORDER);
    assertEquals(10, w.manyTags.size(), w.toString());
    assertEquals(2, w.tags(2).size());
    assertFalse(w.disjointTags[0].key().equals(w.disjointTags[1].key()), w.toString());
    assertTrue(w.backups.stream().noneMatch(b -> b.tags().contains(w.disjointTags[0]) && b.tags().contains(w.disjointTags[1])));
    assertTrue(w.backups.stream().anyMatch(b -> b.tags().contains(w.disjointTags[0])));
    assertTrue(w.backups.stream().anyMatch(b -> b.tags().contains(w.disjointTags[1])));
    assertTrue(w.nameKeyword.matches("[0-9A-F]{4}"), w.nameKeyword);
    assertTrue(w.backups.stream().anyMatch(b -> b.name().endsWith("_" + w.nameKeyword.toLowerCase(java.util.Locale.ROOT))),
        "a backup's name: " + w.nameKeyword);
    assertTrue(w.serverNameKeyword.matches("[A-Z]+-[0-9]{4}"), w.serverNameKeyword);
    List<Backup> newestFirst = new ArrayList<>(w.backups);
    newestFirst.sort(Workload.CREATION_ORDER.reversed());
    assertEquals(newestFirst.get(9_999).id(), w.deepMarker, "the marker is the 10,000th backup, newest first");
    assertEquals(9_980, w.deepOffset);
    assertEquals(499 * 20, w.deepOffset, "page 500");
    // STATUS_30_DAYS_ONE_TAG: "the most frequent tag"
    Map<Object, Long> frequency = w.backups.stream().flatMap(b -> b.tags().stream())
        .collect(Collectors.groupingBy(t -> t, Collectors.counting()));
    long most = Collections.max(frequency.values());
    assertEquals(most, frequency.get(w.commonTag));
  }

  @Test
  void theAllProjectsBenchmarksProjectsAreAFewLargeAndManySmall() {
    // AllProjectsBenchmark: "{@code backups} backups spread over {@code projects} projects (the generator's, a few
    // large and many small)"; its setup's generator, at 50,000 backups (1,000 servers: every project has one)
    int backups = 50_000;
    List<Backup> list = io.csbs.testing.BackupGenerator.builder().seed(42).projects(1000)
        .servers(Math.max(10, backups / 50)).build().backups(backups);
    Map<String, Long> perProject = list.stream().collect(Collectors.groupingBy(Backup::projectId, Collectors.counting()));
    List<Long> sizes = new ArrayList<>(perProject.values());
    Collections.sort(sizes);
    long median = sizes.get(sizes.size() / 2);
    long largest = sizes.get(sizes.size() - 1);
    assertEquals(1000, perProject.size(), "every project has backups");
    assertTrue(largest >= 10 * Math.max(1, median), "largest " + largest + ", median " + median);
  }

  private static List<Backup> usageBackups;

  /** UsageBenchmark's backups (its setup's generator) at 10,000, one of its sizes. */
  private static synchronized List<Backup> usageBackups() {
    if (usageBackups == null) {
      int backups = 10_000;
      usageBackups = io.csbs.testing.BackupGenerator.builder().seed(42).servers(Math.max(10, backups / 50)).build()
          .backups(backups);
    }
    return usageBackups;
  }

  @Test
  void theUsageBenchmarksZoneHoldsAThirdOfTheServersButFewerOfTheBackups() {
    List<Backup> list = usageBackups();
    long inZone = list.stream().filter(b -> b.server().availabilityZone().equals("eu-de-02")).count();
    double share = inZone / (double) list.size();
    assertTrue(share > 0.12 && share < 0.28, inZone + " of " + list.size());
    Map<String, Long> servers = list.stream().map(Backup::server).distinct()
        .collect(Collectors.groupingBy(x -> x.availabilityZone(), Collectors.counting()));
    long all = servers.values().stream().mapToLong(Long::longValue).sum();
    assertEquals(1.0 / 3, servers.get("eu-de-02") / (double) all, 0.05, servers.toString());
    assertEquals(Set.of(io.csbs.testing.BackupGenerator.projectId(0)),
        list.stream().map(Backup::projectId).collect(Collectors.toSet()), "one project: the dialog's");
  }

  @Test
  void atTenThousandBackupsTheNameSubstringIsAManualBackupsDigits() {
    Workload w = workload(10_000, Layout.IN_ORDER);
    assertEquals("1B6B", w.nameKeyword);
    assertTrue(w.backups.stream().anyMatch(b -> b.name().equals("manualbk_1b6b")));
    assertTrue(w.backups.stream().noneMatch(b -> b.name().equals("autobk_1b6b")));
  }

  /** The trials (benchmark and parameter combinations) a command runs on today's jar. */
  static long trials(JarCommand c) throws Exception {
    CommandLineOptions options = new CommandLineOptions(jmhArgs(c));
    long trials = 0;
    for (BenchmarkListEntry e : matching(options.getIncludes())) {
      long product = 1;
      for (Map.Entry<String, String[]> p : paramsOf(e).entrySet()) {
        product *= options.getParameter(p.getKey()).hasValue()
            ? options.getParameter(p.getKey()).get().size() : p.getValue().length;
      }
      trials += product;
    }
    return trials;
  }

  /** The first command of the benchmarks README after the line that holds {@code text}. */
  private static JarCommand commandAfter(String text) throws IOException {
    List<String> lines = Files.readAllLines(BENCH_README);
    int at = 1;
    while (at <= lines.size() && !lines.get(at - 1).contains(text)) {
      at++;
    }
    int line = at;
    return benchmarkJarCommands(false).stream()
        .filter(c -> c.source().file().equals(BENCH_README.normalize().toString()) && c.source().line() > line)
        .min(Comparator.comparingInt(c -> c.source().line()))
        .orElseThrow(() -> new AssertionError("no command after '" + text + "'"));
  }

  private static final String REDUCED_MATRIX = "# the reduced matrix the results below come from";

  @Test
  void theReducedMatrixCommandRunsTheMatrixTheResultsComeFrom() throws Exception {
    JarCommand reduced = commandAfter(REDUCED_MATRIX);
    assertEquals(names(Scenario.values()).size() * 4L, trials(reduced), reduced.toString());
  }

  @Test
  void theReducedMatrixCommandWithoutItsTwoNarrowingsRunsEveryLayoutAndEngine() throws Exception {
    // its comment: "without the two -p, every layout and the PostgreSQL engines run too, 540 trials"
    JarCommand reduced = commandAfter(REDUCED_MATRIX);
    assertTrue(Files.readString(BENCH_README).contains("every layout and the PostgreSQL engines run too, 540 trials"));
    List<String> wide = new ArrayList<>();
    for (int i = 0; i < reduced.args().size(); i++) {
      String arg = reduced.args().get(i);
      if (arg.equals("-p") && (reduced.args().get(i + 1).startsWith("layout=") || reduced.args().get(i + 1).startsWith("engine="))) {
        i++;
        continue;
      }
      wide.add(arg);
    }
    long all = trials(new JarCommand(reduced.source(), reduced.jar(), List.of(), wide));
    assertEquals((long) Layout.values().length * Engine.values().length * Scenario.values().length, all);
    assertEquals(540, all);
  }

  /** GitHub's anchor of a heading: lower case, punctuation dropped, blanks as hyphens. */
  static String slug(String heading) {
    return heading.trim().toLowerCase(java.util.Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
  }

  @Test
  void everyLinkOfTheReadmesLeadsSomewhere() throws IOException {
    List<String> problems = new ArrayList<>();
    for (Path file : List.of(ROOT_README, BENCH_README)) {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      Map<String, Integer> seen = new LinkedHashMap<>();
      Set<String> anchors = new HashSet<>();
      boolean fence = false;
      for (String l : lines) {
        if (l.trim().startsWith("```")) {
          fence = !fence;
        } else if (!fence && l.matches("#{1,6} .*")) {
          String base = slug(l.replaceFirst("#{1,6} ", ""));
          int n = seen.merge(base, 1, Integer::sum) - 1;
          anchors.add(n == 0 ? base : base + "-" + n);
        }
      }
      Matcher m = Pattern.compile("\\]\\(([^)\\s]+)\\)").matcher(String.join("\n", lines));
      while (m.find()) {
        String target = m.group(1);
        if (target.startsWith("http")) {
          continue;
        }
        int hash = target.indexOf('#');
        String path = hash < 0 ? target : target.substring(0, hash);
        if (!path.isEmpty() && !Files.exists(file.toAbsolutePath().getParent().resolve(path))) {
          problems.add(file + ": no file " + target);
        }
        if (hash >= 0 && path.isEmpty() && !anchors.contains(target.substring(hash + 1))) {
          problems.add(file + ": no heading " + target);
        }
      }
    }
    assertEquals(List.of(), problems, String.join("\n", problems));
  }

  /** An engine that records how the workload reaches it. */
  static final class Recorder implements BacklistEngine {
    final List<Integer> loads = new ArrayList<>();
    final List<Backup> loaded = new ArrayList<>();
    final List<String> removed = new ArrayList<>();

    @Override
    public void load(List<Backup> backups) {
      loads.add(backups.size());
      loaded.addAll(backups);
    }

    @Override
    public void remove(String projectId, String backupId, long expectedVersion) {
      removed.add(backupId);
    }

    @Override
    public Hits page(String projectId, io.csbs.query.Query query) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long count(String projectId, io.csbs.query.BackupPredicate predicate) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.Optional<Backup> apply(String projectId, String backupId, long expectedVersion,
        io.csbs.lifecycle.Transition transition) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.Optional<Backup> find(String projectId, String backupId) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void eachLayoutReachesCsbsAsTheReadmeSaysAndTheBaselinesAtOnce() {
    // "IN_ORDER loads the generator's backups at once (addAll sorts them), LATE_5PCT adds them one by one in creation
    // order but for 5% ..., DISTINCT_NAMES renames nine in ten uniquely, RANDOM_ORDER adds them one by one in the
    // generator's order, ..., RETAINED loads them with half as many again of the year before and then removes those
    // one by one, oldest first ... The baselines (scan, CQEngine, PostgreSQL) are loaded with the live backups at once
    // whatever the layout"
    int size = SIZE;
    for (Layout layout : Layout.values()) {
      Workload w = workload(size, layout);
      Recorder csbs = new Recorder();
      w.loadInto(Engine.CSBS, csbs);
      switch (layout) {
        case IN_ORDER, DISTINCT_NAMES -> {
          assertEquals(List.of(size), csbs.loads, layout.toString());
          assertEquals(List.of(), csbs.removed, layout.toString());
        }
        case LATE_5PCT, RANDOM_ORDER -> {
          assertEquals(Collections.nCopies(size, 1), csbs.loads, layout.toString());
          assertEquals(w.backups, csbs.loaded, layout + ": in their order of arrival");
        }
        case RETAINED -> {
          assertEquals(List.of(size + size / 2), csbs.loads, layout.toString());
          assertEquals(w.retired.stream().map(Backup::id).collect(Collectors.toList()), csbs.removed, "oldest first");
        }
        default -> fail(layout.toString());
      }
      for (Engine baseline : List.of(Engine.SCAN, Engine.CQENGINE, Engine.CQENGINE_INDEX_ORDERING, Engine.POSTGRES,
          Engine.POSTGRES_REPLICA)) {
        Recorder r = new Recorder();
        w.loadInto(baseline, r);
        assertEquals(List.of(size), r.loads, layout + " " + baseline);
        assertEquals(new HashSet<>(w.backups), new HashSet<>(r.loaded), layout + " " + baseline + ": the live backups");
        assertEquals(List.of(), r.removed, layout + " " + baseline);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // The PostgreSQL data set the layouts share
  // ------------------------------------------------------------------------------------------

  /** The marker's digest of what each layout hands the PostgreSQL engines (their load() argument). */
  private static final Map<Integer, Map<Layout, String>> DIGESTS = new java.util.concurrent.ConcurrentHashMap<>();

  private static Map<Layout, String> postgresDigests(int size) {
    return DIGESTS.computeIfAbsent(size, ReadmeCommandsTest::computeDigests);
  }

  private static Map<Layout, String> computeDigests(int size) {
    Map<Layout, String> digests = new LinkedHashMap<>();
    for (Layout layout : Layout.values()) {
      Recorder r = new Recorder();
      workload(size, layout).loadInto(Engine.POSTGRES, r);
      digests.put(layout, BenchDatabase.digest(r.loaded));
    }
    return digests;
  }

  @Test
  void aLayoutOfTheSameBackupsInAnotherOrderFindsThePostgresDataSetLoaded() {
    Map<Layout, String> digests = postgresDigests(SIZE);
    assertEquals(digests.get(Layout.IN_ORDER), digests.get(Layout.LATE_5PCT), digests.toString());
  }

  @Test
  void theDataSetsMarkerDependsOnTheLayoutsNamesNotItsOrder() {
    int size = SIZE;
    Map<Layout, String> digests = postgresDigests(size);
    // what PrepareDatabase loads: Workload.of(size), the generator's order
    String prepared = BenchDatabase.digest(workload(size, Layout.IN_ORDER).backups);
    assertEquals(prepared, digests.get(Layout.IN_ORDER));
    assertEquals(prepared, digests.get(Layout.RANDOM_ORDER));
    assertEquals(prepared, digests.get(Layout.RETAINED));
    assertFalse(prepared.equals(digests.get(Layout.DISTINCT_NAMES)), "other names: another data set");
    // the same backups in another arrival order: the same data set
    assertEquals(new HashSet<>(workload(size, Layout.IN_ORDER).backups), new HashSet<>(workload(size, Layout.LATE_5PCT).backups));
    assertEquals(prepared, digests.get(Layout.LATE_5PCT), "LATE_5PCT: the same set, another order");
  }

  @Test
  void theReadmesPostgresCommandsRunOnlyOnTheDataSetPrepareDatabaseLoads() throws Exception {
    List<String> problems = postgresCommandsReloading();
    assertEquals(List.of(), problems, String.join("\n", problems));
  }

  /** The README's commands that run a PostgreSQL engine on a layout whose data is not the prepared data set's. */
  private static List<String> postgresCommandsReloading() throws Exception {
    Map<Layout, String> digests = postgresDigests(SIZE);
    String prepared = BenchDatabase.digest(workload(SIZE, Layout.IN_ORDER).backups);
    List<String> problems = new ArrayList<>();
    for (JarCommand c : benchmarkJarCommands(false)) {
      CommandLineOptions options;
      try {
        options = new CommandLineOptions(jmhArgs(c));
      } catch (Exception e) {
        continue;
      }
      for (BenchmarkListEntry e : matching(options.getIncludes())) {
        Map<String, String[]> params = paramsOf(e);
        if (!params.containsKey("engine") || !params.containsKey("layout")) {
          continue;
        }
        if (!options.getParameter("engine").hasValue()) {
          continue;  // the whole matrix (every engine and layout) is run knowing it: only the narrowed runs count here
        }
        Collection<String> engines = options.getParameter("engine").get();
        Collection<String> layouts = options.getParameter("layout").orElse(List.of(params.get("layout")));
        if (engines.stream().noneMatch(x -> x.startsWith("POSTGRES"))) {
          continue;
        }
        List<String> reloading = layouts.stream().filter(l -> !PLACEHOLDERS.contains(l))
            .filter(l -> !prepared.equals(digests.get(Layout.valueOf(l)))).collect(Collectors.toList());
        if (!reloading.isEmpty()) {
          problems.add(c.source().where() + " " + e.getUsername() + ": layouts " + reloading + " reload the data set");
        }
      }
    }
    return problems;
  }

  @Test
  void everyBenchmarkHasACommandInTheReadmesHowToSections() throws Exception {
    // README.md: "how to run each one ... [is] in csbs-benchmarks/README.md"; the how-to sections come before "## Results"
    int results = Files.readAllLines(BENCH_README, StandardCharsets.UTF_8).indexOf("## Results") + 1;
    assertTrue(results > 0);
    Set<String> covered = new TreeSet<>();
    for (JarCommand c : benchmarkJarCommands(false)) {
      if (c.source().file().equals(BENCH_README.normalize().toString()) && c.source().line() < results) {
        for (BenchmarkListEntry e : matching(new CommandLineOptions(jmhArgs(c)).getIncludes())) {
          covered.add(e.getUsername());
        }
      }
    }
    Set<String> all = matching(List.of(".*")).stream().map(BenchmarkListEntry::getUsername).collect(Collectors.toCollection(TreeSet::new));
    all.removeAll(covered);
    assertEquals(Set.of(), all);
  }

  // ------------------------------------------------------------------------------------------
  // README.md, Benchmarks, "Removals": when a retention job makes a reorganisation due
  // ------------------------------------------------------------------------------------------

  /** 10,000 backups of one project, oldest first, named by {@code name}; a catalog holding them. */
  private static Object[] retentionCatalog(java.util.function.IntFunction<String> name) {
    io.csbs.testing.BackupGenerator g = io.csbs.testing.BackupGenerator.builder().seed(20261203L).projects(1).servers(200).build();
    List<Backup> list = new ArrayList<>();
    int i = 0;
    for (Backup b : g.backups(10_000)) {
      list.add(b.toBuilder().name(name.apply(i++)).build());
    }
    list.sort(Workload.CREATION_ORDER);
    io.csbs.catalog.BackupCatalog catalog = io.csbs.catalog.Catalogs.indexed(io.csbs.testing.FakeClock.at(g.end()));
    catalog.addAll(list);
    return new Object[] {catalog, list};
  }

  private static long reorganisationsAfterRemoving(io.csbs.catalog.BackupCatalog catalog, List<Backup> list, int from, int to)
      throws InterruptedException {
    for (int k = from; k < to; k++) {
      Backup b = list.get(k);
      catalog.remove(b.projectId(), b.id(), b.version());
    }
    Thread.sleep(300); // a reorganisation made due would have started and, at 10,000 backups, ended
    return catalog.stats(list.get(0).projectId()).reorganisations();
  }

  private static long awaitReorganisation(io.csbs.catalog.BackupCatalog catalog, String project) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (catalog.stats(project).reorganisations() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return catalog.stats(project).reorganisations();
  }

  @Test
  @SuppressWarnings("unchecked")
  void aRetentionJobMakesNoReorganisationDueUntilTheRemovedAreThreeTimesTheLive() throws InterruptedException {
    // "A retention job that removes the oldest backups makes no reorganisation due until they are three times the
    // positions past them": eight names shared by all, so that no name is left without a live backup
    Object[] made = retentionCatalog(i -> "rétention_" + (i % 8));
    io.csbs.catalog.BackupCatalog catalog = (io.csbs.catalog.BackupCatalog) made[0];
    List<Backup> list = (List<Backup>) made[1];
    String project = list.get(0).projectId();
    assertEquals(0, reorganisationsAfterRemoving(catalog, list, 0, 7_400), "74% removed: 2.85 times the live");
    assertEquals(2_600, catalog.stats(project).backups());
    reorganisationsAfterRemoving(catalog, list, 7_400, 8_000);
    assertTrue(awaitReorganisation(catalog, project) >= 1, "80% removed, 4 times the live: " + catalog.stats(project));
  }

  @Test
  @SuppressWarnings("unchecked")
  void aRetentionJobOfBackupsNamedEachTheirOwnWayReorganisesOnceTheDeadNamesOutnumberTheLive() throws InterruptedException {
    // "... or until the names and values no live backup has any more outnumber the live backups (each backup named
    // its own way)"
    Object[] made = retentionCatalog(i -> "each-its-own-" + i);
    io.csbs.catalog.BackupCatalog catalog = (io.csbs.catalog.BackupCatalog) made[0];
    List<Backup> list = (List<Backup>) made[1];
    String project = list.get(0).projectId();
    assertEquals(0, reorganisationsAfterRemoving(catalog, list, 0, 4_500), "4,500 dead names, 5,500 live backups");
    reorganisationsAfterRemoving(catalog, list, 4_500, 5_500);
    assertTrue(awaitReorganisation(catalog, project) >= 1, "5,500 dead names, 4,500 live: " + catalog.stats(project));
  }

  private static int searchesTheReadmeCounts() throws IOException {
    Matcher m = Pattern.compile("of each of (\\d+) console searches").matcher(section(ROOT_README, "## Benchmarks"));
    assertTrue(m.find());
    return Integer.parseInt(m.group(1));
  }

  @Test
  void theReadmesSixteenSearchesAreTheScenariosButStalledAndNameSort() throws IOException {
    assertEquals(16, searchesTheReadmeCounts());
    assertEquals(18, paramsOf(benchmark("QueryBenchmark.page")).get("scenario").length);
    List<String> older = new ArrayList<>(names(Scenario.values()));
    older.removeAll(List.of("STALLED", "NAME_SORT"));
    assertEquals(16, older.size());
  }

  @Test
  void catalogStatsReportsAProjectsIndexSizeReorganisationsAndLockHolds() {
    // README.md, Benchmarks: "`catalog.stats(project)` reports a project's index size, reorganisations and lock holds at
    // run time"; ProjectStats: "a project it does not know reads as empty (no backups, no index bytes, nothing counted)"
    Workload w = workload(SIZE, Layout.IN_ORDER);
    io.csbs.catalog.BackupCatalog catalog = io.csbs.catalog.Catalogs.indexed(io.csbs.testing.FakeClock.at(w.now));
    io.csbs.catalog.ProjectStats unknown = catalog.stats("no-such-project");
    assertEquals(0, unknown.backups());
    assertEquals(0, unknown.estimatedIndexBytes());
    assertEquals(0, unknown.reorganisations());
    assertEquals(Duration.ZERO, unknown.longestChangeHold());
    catalog.addAll(w.backups);
    Backup first = w.backups.get(0);
    catalog.apply(first.projectId(), first.id(), first.version(), LifecycleBenchmark.nextTransition(first));
    io.csbs.catalog.ProjectStats stats = catalog.stats(w.projectId);
    assertEquals(SIZE, stats.backups());
    assertTrue(stats.estimatedIndexBytes() > 0, stats.toString());
    assertTrue(stats.indexBytesPerBackup() > 10 && stats.indexBytesPerBackup() < 1_000, stats.toString());
    assertFalse(stats.longestChangeHold().isNegative(), stats.toString());
  }

  @Test
  void stallProbePrintsOneLineAThreadForTheSecondsItIsGiven() throws Exception {
    // "java -cp ... io.csbs.benchmarks.StallProbe 2 30": args[0] threads spin for args[1] seconds, "each prints the
    // longest gap ..., how many gaps were over 1 ms and over 10 ms, and the most CPU time"; here 1 thread, 1 second
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = System.out;
    long start = System.nanoTime();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      StallProbe.main(new String[] {"1", "1"});
    } finally {
      System.setOut(out);
    }
    assertTrue(System.nanoTime() - start >= TimeUnit.SECONDS.toNanos(1), "spun its second");
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().collect(Collectors.toList());
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).matches("longest gap [0-9.]+ ms, gaps over 1 ms \\d+, over 10 ms \\d+, most CPU time between two "
        + "checks [0-9.]+ ms"), lines.get(0));
  }
}
