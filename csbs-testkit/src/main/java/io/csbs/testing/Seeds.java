package io.csbs.testing;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongConsumer;
import org.opentest4j.TestAbortedException;

/**
 * Seeds for random tests: a fresh seed each run, or the one given by the system property
 * {@value #PROPERTY} to replay a failure; a failure always reports the seed that caused it.
 *
 * <pre>{@code
 * @RepeatedTest(100)
 * void indexedAnswersEqualAScan() {
 *   Seeds.run(Seeds.pick(), seed -> {
 *     List<Backup> backups = BackupGenerator.withSeed(seed).backups(500);
 *     ...
 *   });
 * }
 * // replay: mvn verify -Dcsbs.seed=-4242
 * }</pre>
 */
public final class Seeds {
  /** The system property that fixes the seed of every random test, to replay a failure. */
  public static final String PROPERTY = "csbs.seed";

  private Seeds() {}

  /**
   * {@return the seed named by {@value #PROPERTY} if it is set (surrounding white space ignored),
   * else a random one; a blank value counts as not set}
   *
   * @throws IllegalArgumentException naming the property if its value is not a {@code long}
   */
  public static long pick() {
    String fixed = System.getProperty(PROPERTY);
    if (fixed != null && !fixed.isBlank()) {
      try {
        return Long.parseLong(fixed.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "system property " + PROPERTY + " '" + fixed + "' is invalid: must be a long", e);
      }
    }
    return ThreadLocalRandom.current().nextLong();
  }

  /**
   * Runs {@code body} with {@code seed}. If it fails (any exception or error it throws, checked
   * ones thrown sneakily included), the failure is rethrown as an {@link AssertionError} whose
   * message starts with the seed and the command to replay it, followed by the failure's message
   * (or, for one without a message, its type: {@code java.lang.NullPointerException}), with the
   * original failure as its cause. An aborted assumption (JUnit's {@code Assumptions.assumeTrue}, any {@link
   * TestAbortedException}) passes through unchanged, so the test is skipped, not failed.
   *
   * @param seed the seed of this run
   * @param body the test, given the seed
   * @throws NullPointerException if {@code body} is null
   */
  public static void run(long seed, LongConsumer body) {
    requireNonNull(body, "body");  // a mistake of the test's code, not a failure of the seed
    try {
      body.accept(seed);
    } catch (TestAbortedException skipped) {
      throw skipped;
    } catch (Throwable e) {
      throw new AssertionError(
          "failed with seed " + seed + " (replay with -D" + PROPERTY + "=" + seed + "): "
              + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
    }
  }
}
