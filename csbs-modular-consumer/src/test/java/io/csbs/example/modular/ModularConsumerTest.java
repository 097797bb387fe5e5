package io.csbs.example.modular;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Starts {@link ModularConsumer} in a fresh JVM on the module path, with exactly the runtime
 * dependencies that Maven resolves for a user of csbs-postgres and csbs-testkit, and checks the
 * descriptors of the published modules with {@code jdeps}.
 */
class ModularConsumerTest {
  private static final String CLASSES = System.getProperty("consumer.classes");
  private static final String RUNTIME_PATH = System.getProperty("consumer.runtime.path");
  private static final String ANNOTATIONS_PATH = System.getProperty("consumer.annotations.path");

  @Test
  void runsOnTheModulePathWithTheRuntimeDependenciesOnly() throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(java, "--module-path", CLASSES + File.pathSeparator + RUNTIME_PATH,
        "-m", "io.csbs.example.modular/io.csbs.example.modular.ModularConsumer");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the application ends within 2 minutes");
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), "exit code; output:\n" + output);
    assertTrue(output.contains("modular consumer: ok"), output);
    assertTrue(output.contains("refused: CSBS.9001"), output);
    assertTrue(output.contains("json: {\"count\":"), output);
    assertTrue(output.contains("server: {\"count\":"), output);
  }

  @Test
  void runtimePathHasNoGuava() {
    assertTrue(!RUNTIME_PATH.contains("guava"), "csbs has no runtime dependency on Guava: " + RUNTIME_PATH);
  }

  @Test
  void jdepsFindsEveryDependencyOfThePublishedModules() {
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    List<String> args = new ArrayList<>(List.of("--module-path", RUNTIME_PATH + File.pathSeparator + ANNOTATIONS_PATH,
        "--multi-release", "17", "--check", "csbs.core,csbs.testkit,csbs.postgres,csbs.json,csbs.server"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = jdeps.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        args.toArray(String[]::new));
    String report = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, report);
    assertTrue(!report.contains("not found") && !report.contains("Error"), report);
  }
}
