package io.csbs.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.InvalidValueException;
import io.csbs.catalog.Change;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.Transition;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The change feed: pulled, subscribed, resumed after a crash, redelivered after a subscriber fails. */
class ChangeFeedTest {
  private PostgresCatalog catalog;
  private BackupGenerator generator;

  @BeforeEach
  void emptyStore() {
    DataSource store = TestDatabase.dataSource(0);
    TestDatabase.truncate(store);
    generator = BackupGenerator.builder().seed(11).projects(3).servers(5).build();
    catalog = PostgresCatalog.builder(store).clock(FakeClock.at(generator.end())).pollInterval(Duration.ofMillis(20)).build();
  }

  @AfterEach
  void close() {
    catalog.close();
  }

  /** Adds {@code count} backups one by one and starts a delete on every third: about 1.33 changes each. */
  private void write(int count) {
    for (int i = 0; i < count; i++) {
      Backup backup = generator.next();
      catalog.add(backup);
      if (i % 3 == 0 && backup.allows(io.csbs.backup.Operation.DELETE)) {
        catalog.apply(backup.projectId(), backup.id(), backup.version(), Transition.delete());
      }
    }
  }

  private Map<String, Long> heads() {
    Map<String, Long> heads = new TreeMap<>();
    for (String project : generator.projectIds()) {
      heads.put(project, catalog.sequence(project));
    }
    return heads;
  }

  @Test
  void changesArePulledInOrderWithoutGaps() {
    write(40);
    for (String project : generator.projectIds()) {
      List<Change> all = catalog.changes(project, 0, 10_000);
      assertEquals(catalog.sequence(project), all.size());
      for (int i = 0; i < all.size(); i++) {
        assertEquals(i + 1, all.get(i).sequence());
        assertEquals(project, all.get(i).projectId());
      }
      assertEquals(all.subList(3, 5), catalog.changes(project, 3, 2));
    }
    assertEquals("limit", assertThrows(InvalidValueException.class, () -> catalog.changes("p", 0, 0)).field());
    assertEquals("after sequence", assertThrows(InvalidValueException.class, () -> catalog.changes("p", -1, 5)).field());
  }

  @Test
  void aConsumerThatCrashedResumesAfterTheLastChangeItHandledAndLosesNothing() {
    write(20);
    // the consumer's own store: the last sequence it handled per project, and what it saw
    Map<String, Long> handled = Collections.synchronizedMap(new HashMap<>());
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger budget = new AtomicInteger(15);
    Subscription crashed = catalog.subscribe(Map.of(), change -> {
      if (budget.getAndDecrement() <= 0) {
        throw new IllegalStateException("the consumer's process dies here");
      }
      seen.add(change);
      handled.put(change.projectId(), change.sequence());
    });
    await(() -> budget.get() < 0, "the consumer to crash");
    crashed.cancel();
    write(20);   // changes keep coming while the consumer is down

    Subscription resumed = catalog.subscribe(new HashMap<>(handled), change -> {
      seen.add(change);
      handled.put(change.projectId(), change.sequence());
    });
    Map<String, Long> heads = heads();
    await(() -> heads.equals(new TreeMap<>(handled)), "the resumed consumer to reach " + heads);
    resumed.cancel();

    for (String project : generator.projectIds()) {
      List<Change> expected = catalog.changes(project, 0, 10_000);
      List<Change> got = seen.stream().filter(c -> c.projectId().equals(project)).toList();
      assertEquals(expected, got, "every change of " + project + " once, in order");
    }
  }

  @Test
  void aSubscriberThatThrowsGetsTheSameChangeAgainAndOthersGoOn() {
    List<Change> flakySaw = Collections.synchronizedList(new ArrayList<>());
    List<Change> steadySaw = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger failures = new AtomicInteger(3);
    Subscription flaky = catalog.subscribe(change -> {
      if (failures.getAndDecrement() > 0) {
        throw new IllegalStateException("the store is down for a moment");
      }
      flakySaw.add(change);
    });
    Subscription steady = catalog.subscribe(steadySaw::add);
    write(10);
    int total = generator.projectIds().stream().mapToInt(p -> (int) catalog.sequence(p)).sum();

    await(() -> steadySaw.size() == total, total + " changes for the steady subscriber");
    await(() -> flakySaw.size() == total, total + " changes for the flaky one, after its failures");
    flaky.cancel();
    steady.cancel();
    for (String project : generator.projectIds()) {
      assertEquals(steadySaw.stream().filter(c -> c.projectId().equals(project)).toList(),
          flakySaw.stream().filter(c -> c.projectId().equals(project)).toList(),
          "the failed changes came again, in order, nothing lost or doubled");
    }
  }

  @Test
  void aChangeMadeByAnotherInstanceReachesSubscribersByTheFeed() {
    List<Change> seen = Collections.synchronizedList(new ArrayList<>());
    Subscription subscription = catalog.subscribe(seen::add);
    // another instance of the service: its own catalog on the same database, no shared memory
    try (PostgresCatalog other = PostgresCatalog.create(TestDatabase.dataSource(0), FakeClock.at(generator.end()))) {
      Backup backup = generator.next();
      other.add(backup);
      await(() -> seen.size() == 1, "the other instance's change");
      assertEquals(backup, seen.get(0).after().orElseThrow());
    }
    subscription.cancel();
  }

  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited 20 s for " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    assertTrue(condition.getAsBoolean());
  }
}
