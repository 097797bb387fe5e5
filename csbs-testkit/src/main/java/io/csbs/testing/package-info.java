/**
 * Test helpers for code that uses csbs, in the spirit of Guava's testlib: a {@link
 * io.csbs.testing.FakeClock}, seeded generators of realistic backups ({@link
 * io.csbs.testing.BackupGenerator}) and {@link io.csbs.testing.Seeds} to print and replay the seed of
 * a random test. Add {@code csbs-testkit} at test scope.
 */
package io.csbs.testing;
