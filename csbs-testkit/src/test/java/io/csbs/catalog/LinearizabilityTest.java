package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import io.csbs.usage.UsageQuery;
import io.csbs.usage.UsageReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Linearizability of the indexed catalog: threads run a few random operations at once on a small
 * catalog (changes that often conflict, adds of contested ids, finds, counts of a status, a tag, a
 * name or the stalled jobs, pages, usage), each operation's start, end and result are recorded, and
 * a search looks for one sequential order that respects real time (an operation that ended before
 * another started comes first) and in which {@link ReferenceCatalog}, the sequential specification,
 * gives every recorded result. Without such an order, some caller saw a state no sequence of whole
 * operations leads to.
 *
 * <p>This is the check Lincheck's stress mode makes, written against the testkit's own oracle rather
 * than adding Lincheck (a Kotlin runtime and a bytecode agent) to the build; unlike Lincheck's
 * model-checking mode it only explores the interleavings the scheduler happens to produce, so it runs
 * many short rounds. Histories are small (3 threads of 4 operations), so the search is exhaustive.
 * As a check of the check: a catalog whose {@code find} returns the previous answer one time in three
 * failed 5 of the 10 repetitions. Replay with {@code -Dcsbs.seed=N}.
 */
class LinearizabilityTest {
  private static final int THREADS = 3;
  private static final int OPERATIONS_PER_THREAD = 4;
  private static final int ROUNDS = 200;
  private static final Instant NOW = FakeClock.DEFAULT_START;
  private static final List<String> PROJECTS = List.of("p-1", "p-2");
  private static final List<String> IDS = List.of("b-1", "b-2", "b-3");

  private static ExecutorService pool;

  @BeforeAll
  static void startThreads() {
    pool = Executors.newFixedThreadPool(THREADS);
  }

  @AfterAll
  static void stopThreads() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
  }

  @RepeatedTest(10)
  void everyConcurrentHistoryHasASequentialExplanation() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      for (int round = 0; round < ROUNDS; round++) {
        checkRound(random.split(), "round " + round);
      }
    });
  }

  private void checkRound(SplittableRandom random, String round) {
    List<Backup> initial = initialBackups(random);
    BackupCatalog catalog = Catalogs.indexed(FakeClock.at(NOW));
    catalog.addAll(initial);
    List<List<Operation>> plans = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      List<Operation> plan = new ArrayList<>();
      for (int i = 0; i < OPERATIONS_PER_THREAD; i++) {
        plan.add(randomOperation(random, t + "." + i));
      }
      plans.add(plan);
    }
    List<Call> history = run(catalog, plans);
    if (!explainable(initial, history, new boolean[history.size()], new ArrayList<>())) {
      StringBuilder text = new StringBuilder(round + ": no sequential order explains this history:");
      for (Call call : history) {
        text.append("\n  ").append(call);
      }
      fail(text.toString());
    }
  }

  /** Two projects; a running, an available and an Error backup among ids that the operations contest. */
  private static List<Backup> initialBackups(SplittableRandom random) {
    List<Backup> backups = new ArrayList<>();
    for (String project : PROJECTS) {
      for (int i = 0; i < IDS.size(); i++) {
        if (random.nextInt(4) == 0) {
          continue; // leave room for adds
        }
        backups.add(backup(project, IDS.get(i), BackupStatus.values()[random.nextInt(BackupStatus.values().length)],
            1 + random.nextInt(3), 100L * (i + 1)));
      }
    }
    return backups;
  }

  private static Backup backup(String project, String id, BackupStatus status, long version, long sizeMb) {
    Backup.Builder builder = Backup.builder().id(id).name("bk-" + id).projectId(project)
        .server(Server.of("server-" + id, "ecs-" + id, "eu-de-01")).status(status).sizeMb(sizeMb)
        .createdAt(NOW.minus(Duration.ofHours(sizeMb))).addTags(Tag.of("env", "prod")).version(version);
    if (status.isIntermediate()) {
      // stalled (the default rule's 30 minutes) until a transition reports progress, now
      builder.progress(Progress.of(40, NOW.minus(Duration.ofMinutes(40))));
    }
    if (status == BackupStatus.ERROR) {
      builder.failure(io.csbs.backup.Failure.of(io.csbs.backup.JobType.BACKUP, "disk full", NOW.minusSeconds(60)));
    }
    return builder.build();
  }

  private static Operation randomOperation(SplittableRandom random, String name) {
    // mostly one project and few ids, so that operations meet; sometimes the other tenant
    String project = PROJECTS.get(random.nextInt(4) == 0 ? 1 : 0);
    String id = IDS.get(random.nextInt(IDS.size()));
    long version = 1 + random.nextInt(3);
    switch (random.nextInt(8)) {
      case 0:
      case 1: {
        Transition transition = List.of(Transition.restore(), Transition.delete(), Transition.reportProgress(60),
            Transition.complete(), Transition.fail("stopped")).get(random.nextInt(5));
        return new Operation(name, "apply " + transition + " to " + project + "/" + id + " at v" + version,
            catalog -> catalog.apply(project, id, version, transition));
      }
      case 2:
        return new Operation(name, "remove " + project + "/" + id + " at v" + version, catalog -> {
          catalog.remove(project, id, version);
          return "removed";
        });
      case 3: {
        Backup added = backup(project, id, BackupStatus.AVAILABLE, 1, 50);
        return new Operation(name, "add " + project + "/" + id, catalog -> {
          catalog.add(added);
          return "added";
        });
      }
      case 4:
        return new Operation(name, "find " + project + "/" + id, catalog -> catalog.find(project, id));
      case 5: {
        // indexes that a change updates after its lock: the running jobs, the tags' and names' postings
        switch (random.nextInt(4)) {
          case 0:
            return new Operation(name, "count stalled in " + project, catalog -> catalog.count(project, Predicates.stalled()));
          case 1:
            return new Operation(name, "count env=prod in " + project,
                catalog -> catalog.count(project, Predicates.tag("env", "prod")));
          case 2:
            return new Operation(name, "count names with b-2 in " + project,
                catalog -> catalog.count(project, Predicates.nameContains("b-2")));
          default:
            break;
        }
        BackupStatus status = BackupStatus.values()[random.nextInt(BackupStatus.values().length)];
        return new Operation(name, "count " + status + " in " + project,
            catalog -> catalog.count(project, Predicates.status(status)));
      }
      case 6:
        return new Operation(name, "page of " + project, catalog -> {
          Page page = catalog.query(project, Query.builder().limit(10).build());
          return page.total() + " " + page.backups();
        });
      default:
        return new Operation(name, "usage of " + project, catalog -> {
          UsageReport usage = catalog.usage(project, UsageQuery.firstServers(10));
          return usage.backups() + " backups, " + usage.sizeMb() + " MB, " + usage.servers();
        });
    }
  }

  /** Runs each thread's plan at once on {@code catalog}, recording every call's interval and result. */
  private static List<Call> run(BackupCatalog catalog, List<List<Operation>> plans) {
    CyclicBarrier start = new CyclicBarrier(plans.size());
    List<Future<List<Call>>> threads = new ArrayList<>();
    for (List<Operation> plan : plans) {
      threads.add(pool.submit(() -> {
        start.await(10, TimeUnit.SECONDS);
        List<Call> calls = new ArrayList<>();
        for (Operation operation : plan) {
          long begin = System.nanoTime();
          Object result = operation.applyTo(catalog);
          calls.add(new Call(operation, begin, System.nanoTime(), result));
        }
        return calls;
      }));
    }
    List<Call> history = new ArrayList<>();
    for (Future<List<Call>> thread : threads) {
      try {
        history.addAll(thread.get(30, TimeUnit.SECONDS));
      } catch (Exception e) {
        throw new AssertionError("a thread of the history failed", e);
      }
    }
    return history;
  }

  /**
   * Whether the calls not yet {@code placed} can follow {@code order} (already checked) one by one,
   * each first when no other remaining call ended before it began, with the reference's results.
   */
  private static boolean explainable(List<Backup> initial, List<Call> history, boolean[] placed, List<Call> order) {
    if (order.size() == history.size()) {
      return true;
    }
    for (int i = 0; i < history.size(); i++) {
      if (placed[i] || !mayComeNext(history, placed, i)) {
        continue;
      }
      Call call = history.get(i);
      order.add(call);
      if (Objects.equals(call.result, replay(initial, order))) {
        placed[i] = true;
        if (explainable(initial, history, placed, order)) {
          return true;
        }
        placed[i] = false;
      }
      order.remove(order.size() - 1);
    }
    return false;
  }

  private static boolean mayComeNext(List<Call> history, boolean[] placed, int candidate) {
    for (int j = 0; j < history.size(); j++) {
      if (!placed[j] && j != candidate && history.get(j).end < history.get(candidate).begin) {
        return false;
      }
    }
    return true;
  }

  /** The result of the last call of {@code order} when the reference runs them all in that order. */
  private static Object replay(List<Backup> initial, List<Call> order) {
    ReferenceCatalog reference = ReferenceCatalog.create(FakeClock.at(NOW));
    reference.addAll(initial);
    Object result = null;
    for (Call call : order) {
      result = call.operation.applyTo(reference);
    }
    return result;
  }

  /** One operation of a thread's plan; its result is a value or the refusal's type and message. */
  private static final class Operation {
    final String name;
    final String description;
    final Function<BackupCatalog, Object> body;

    Operation(String name, String description, Function<BackupCatalog, Object> body) {
      this.name = name;
      this.description = description;
      this.body = body;
    }

    Object applyTo(BackupCatalog catalog) {
      try {
        return body.apply(catalog);
      } catch (RuntimeException refused) {
        return refused.getClass().getSimpleName() + ": " + refused.getMessage();
      }
    }
  }

  private static final class Call {
    final Operation operation;
    final long begin;
    final long end;
    final Object result;

    Call(Operation operation, long begin, long end, Object result) {
      this.operation = operation;
      this.begin = begin;
      this.end = end;
      this.result = result;
    }

    @Override
    public String toString() {
      return "thread." + operation.name + " [" + begin + ", " + end + "] " + operation.description + " -> " + result;
    }
  }
}
