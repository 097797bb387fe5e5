package io.csbs;

import io.csbs.testing.Seeds;

/**
 * The new-user tests' random runs: each run takes {@link Seeds#pick()} (a fresh seed, or the one
 * {@code -Dcsbs.seed=N} gives, which replays a failure in one run), and a failure is reported by
 * {@link Seeds#run} with its seed, here with the test's line where it failed and every char outside
 * printable ASCII written as a Java escape, so that reports keep odd text readable.
 */
final class SeededRuns {
  private SeededRuns() {}

  /** A run of a random test, given its seed; may throw anything a test does. */
  interface SeededRun {
    void run(long seed) throws Exception;
  }

  /** Runs {@code body} {@code runs} times with fresh seeds, once with the seed of {@code -Dcsbs.seed}. */
  static void seeded(int runs, SeededRun body) {
    String test = body.getClass().getName().replaceAll("\\$.*", "");
    int times = System.getProperty(Seeds.PROPERTY) != null ? 1 : runs;
    for (int i = 0; i < times; i++) {
      Seeds.run(Seeds.pick(), seed -> {
        try {
          body.run(seed);
        } catch (Throwable t) {
          throw new AssertionError(at(t, test) + escape(String.valueOf(t)), t);
        }
      });
    }
  }

  /** "at line N: " of the first frame of {@code test} in {@code t}'s stack, or nothing. */
  private static String at(Throwable t, String test) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().startsWith(test)) {
        return "at line " + e.getLineNumber() + ": ";
      }
    }
    return "";
  }

  /** The text with every char outside printable ASCII as a Java escape, so that reports keep it. */
  static String escape(String text) {
    StringBuilder s = new StringBuilder();
    for (char c : text.toCharArray()) {
      if (c >= 0x20 && c < 0x7F || c == '\n') {
        s.append(c);
      } else {
        s.append(String.format("\\u%04X", (int) c));
      }
    }
    return s.toString();
  }
}
