package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README shows the code of {@link QuickStartTest} verbatim: each block between its markers, and
 * exactly the imports those blocks need, so that a reader who copies them has code that compiles.
 */
class ReadmeTest {
  private static final Path TEST = Path.of("src/test/java/io/csbs/QuickStartTest.java");
  private static final Pattern MARKER = Pattern.compile("// --- README (.+): (begin|end)");

  @Test
  void everyMarkedBlockIsInTheReadme() throws IOException {
    Map<String, String> blocks = blocks();
    assertEquals(List.of("quick start", "console search", "consistent read"), new ArrayList<>(blocks.keySet()));
    String readme = readme();
    for (Map.Entry<String, String> block : blocks.entrySet()) {
      assertTrue(readme.contains("```java\n" + block.getValue() + "```\n"),
          "README.md must show the " + block.getKey() + " block in a java block, exactly:\n" + block.getValue());
    }
  }

  @Test
  void theReadmeImportsExactlyWhatTheBlocksUse() throws IOException {
    String code = String.join("\n", blocks().values());
    TreeSet<String> needed = new TreeSet<>();
    for (String line : Files.readAllLines(TEST, StandardCharsets.UTF_8)) {
      if (line.startsWith("import ") && !line.startsWith("import static")) {
        String type = line.substring("import ".length(), line.length() - 1);
        String simpleName = type.substring(type.lastIndexOf('.') + 1);
        if (Pattern.compile("\\b" + simpleName + "\\b").matcher(code).find()) {
          needed.add(line);
        }
      }
    }
    String readme = readme();
    TreeSet<String> shown = new TreeSet<>();
    Matcher imports = Pattern.compile("(?m)^import [\\w.]+;$").matcher(readme.substring(0, readme.indexOf("## A durable")));
    while (imports.find()) {
      shown.add(imports.group());
    }
    assertEquals(needed, shown, "the imports of the README's quick start");
  }

  /** The marked blocks of the test, in order, each without its indentation and ending with a newline. */
  private static Map<String, String> blocks() throws IOException {
    Map<String, String> blocks = new LinkedHashMap<>();
    String name = null;
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(TEST, StandardCharsets.UTF_8)) {
      Matcher marker = MARKER.matcher(line.strip());
      if (marker.matches() && marker.group(2).equals("begin")) {
        name = marker.group(1);
        lines.clear();
      } else if (marker.matches()) {
        StringBuilder block = new StringBuilder();
        for (String kept : lines) {
          block.append(kept.isBlank() ? "" : kept.substring(4)).append('\n');
        }
        blocks.put(name, block.toString());
        name = null;
      } else if (name != null) {
        lines.add(line);
      }
    }
    return blocks;
  }

  private static String readme() throws IOException {
    return Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
  }
}
