/**
 * Test helpers for code that uses csbs, in the spirit of Guava's testlib. Add {@code csbs-testkit} at
 * test scope.
 *
 * <ul>
 *   <li>Time and jobs: {@link io.csbs.testing.FakeClock}, a clock that moves only when told; {@link
 *       io.csbs.testing.SimulatedJobs}, a runner of backup, restore and delete jobs on any catalog and
 *       that clock, with rising progress and the failures and stalls a {@link
 *       io.csbs.testing.JobPlan} injects, each job seen as a {@link io.csbs.testing.SimulatedJob}.
 *   <li>Seeded generators: {@link io.csbs.testing.BackupGenerator} (realistic backups), {@link
 *       io.csbs.testing.QueryGenerator} (valid criteria and queries drawn from backups) and {@link
 *       io.csbs.testing.InvalidInputs} (invalid search inputs, each with the exception and field the
 *       library must name); {@link io.csbs.testing.Seeds} prints the seed of a failed random test and
 *       replays it with {@code -Dcsbs.seed=N}.
 *   <li>Catalogs: {@link io.csbs.testing.ReferenceCatalog}, a plain scan catalog that is the oracle of
 *       differential tests, and {@link io.csbs.testing.BackupCatalogContract}, the contract tests to
 *       extend for your own {@link io.csbs.catalog.BackupCatalog}.
 * </ul>
 */
package io.csbs.testing;
