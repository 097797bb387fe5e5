package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.ProjectView;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The contract catches broken catalogs: each test breaks one promise of a correct catalog and checks
 * that the contract's tests fail on it, so that a passing contract means something.
 */
class BackupCatalogContractSelfTest {
  /** How many seeds the differential property may need to notice a bug. */
  private static final int SEEDS = 30;

  @Test
  void differentialPropertyCatchesAMarkerPageThatRepeatsTheMarker() {
    assertDifferentialFails(clock -> new Forwarding(clock) {
      @Override
      public Page query(String projectId, Query query) {
        if (query.marker().isEmpty()) {
          return delegate.query(projectId, query);
        }
        // off by one: the page starts at the marker instead of after it
        Query everything = query.toBuilder().marker(null).offset(0).limit(Query.MAX_LIMIT).build();
        List<Backup> matches = delegate.query(projectId, everything).backups();
        int at = matches.stream().map(Backup::id).toList().indexOf(query.marker().get());
        return at < 0 ? delegate.query(projectId, query) : delegate.query(projectId, query.toBuilder().marker(null).offset(at).build());
      }
    });
  }

  @Test
  void differentialPropertyCatchesAnotherStallThreshold() {
    assertDifferentialFails(clock -> ReferenceCatalog.create(clock, StallRule.ofThreshold(Duration.ofMinutes(20))));
  }

  @Test
  void differentialPropertyCatchesATotalOfOnlyThePage() {
    assertDifferentialFails(clock -> new Forwarding(clock) {
      @Override
      public Page query(String projectId, Query query) {
        Page page = delegate.query(projectId, query);
        return new Page(page.backups(), page.backups().size(), page.hasMore());
      }
    });
  }

  @Test
  void differentialPropertyCatchesAQueryThatIgnoresTheSecondSortKey() {
    assertDifferentialFails(clock -> new Forwarding(clock) {
      @Override
      public Page query(String projectId, Query query) {
        io.csbs.query.Sort first = io.csbs.query.Sort.by(query.sort().keys().get(0));
        return delegate.query(projectId, query.toBuilder().sort(first).build());
      }
    });
  }

  @Test
  void differentialPropertyCatchesAFrozenClock() {
    assertDifferentialFails(clock -> new Forwarding(FakeClock.at(clock.instant())));
  }

  @Test
  void differentialPropertyCatchesAnUnknownMarkerTakenAsTheStart() {
    assertDifferentialFails(clock -> new Forwarding(clock) {
      @Override
      public Page query(String projectId, Query query) {
        if (query.marker().isPresent() && delegate.find(projectId, query.marker().get()).isEmpty()) {
          return delegate.query(projectId, query.toBuilder().marker(null).build());
        }
        return delegate.query(projectId, query);
      }
    });
  }

  @Test
  void contractCatchesACountThatLeaksOtherProjects() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public long count(String projectId, BackupPredicate predicate) {
        return delegate.countAllProjects(predicate);
      }
    }, BackupCatalogContract::anotherProjectsBackupsAreNeverListedCountedOrCatalogued);
  }

  @Test
  void contractCatchesAChangeBasedOnAStaleVersion() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
        long current = delegate.find(projectId, backupId).map(Backup::version).orElse(expectedVersion);
        return delegate.apply(projectId, backupId, current, transition);
      }
    }, BackupCatalogContract::refusesAChangeBasedOnAStaleVersionAndKeepsTheBackup);
  }

  @Test
  void contractCatchesAnAddAllThatKeepsPartOfARefusedBatch() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public void addAll(Collection<Backup> backups) {
        backups.forEach(delegate::add);
      }
    }, BackupCatalogContract::addAllAddsNothingWhenOneIdExistsAlready);
  }

  @Test
  void contractCatchesAnUnsynchronizedCatalog() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
        // check, then act, without holding a lock in between
        Backup current = delegate.get(projectId, backupId);
        if (current.version() != expectedVersion) {
          return delegate.apply(projectId, backupId, expectedVersion, transition);
        }
        try {
          Thread.sleep(1); // widen the window so that the race shows
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return transition.applyTo(current, clock.instant()).map(next -> {
          delegate.remove(projectId, backupId, delegate.get(projectId, backupId).version());
          delegate.add(next);
          return next;
        });
      }
    }, BackupCatalogContract::concurrentWritersThatRetryOnConflictLoseNoUpdate);
  }

  @Test
  void contractCatchesAStalledCriterionThatIgnoresTheClock() {
    assertTestFails(clock -> new Forwarding(FakeClock.at(clock.instant())),
        BackupCatalogContract::stalledFollowsTheClock);
  }

  @Test
  void contractCatchesARefusedChangeThatWipesTheQuota() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
        try {
          return delegate.apply(projectId, backupId, expectedVersion, transition);
        } catch (RuntimeException refused) {
          delegate.setQuota(projectId, io.csbs.usage.Quota.NONE);  // a cleanup that forgets what it reset
          throw refused;
        }
      }
    }, BackupCatalogContract::refusalsLeaveQuotasUsageAndSequencesAsTheyWere);
  }

  @Test
  void contractCatchesUsageLinesNamedAsTheOldestBackupNamesTheServer() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public io.csbs.usage.UsageReport usage(String projectId, io.csbs.usage.UsageQuery query) {
        io.csbs.usage.UsageReport report = delegate.usage(projectId, query);
        List<Backup> counted = delegate.query(projectId,
            Query.builder().where(query.where()).limit(Query.MAX_LIMIT).build()).backups();
        java.util.Comparator<Backup> oldestFirst =
            java.util.Comparator.comparing(Backup::createdAt).thenComparing(Backup::id);
        List<io.csbs.usage.ServerUsage> renamed = report.servers().stream()
            .map(line -> new io.csbs.usage.ServerUsage(line.serverId(), counted.stream()
                .filter(backup -> backup.server().id().equals(line.serverId()))
                .min(oldestFirst).orElseThrow().server().name(), line.backups(), line.sizeMb()))
            .toList();
        return new io.csbs.usage.UsageReport(report.backups(), report.sizeMb(), report.serverCount(), renamed);
      }
    }, BackupCatalogContract::aUsageLineNamesItsServerAsTheNewestCountedBackupDoes);
  }

  // ---- per-project sequences, replay, load, and subscribers called asynchronously

  @Test
  void contractCatchesASequenceSharedByEveryProject() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public long sequence(String projectId) {
        delegate.sequence(projectId);  // checks the project id
        return delegate.sequence("project-a") + delegate.sequence("project-b");
      }
    }, BackupCatalogContract::sequenceCountsTheCommittedChangesOfEachProject);
  }

  @Test
  void contractCatchesAViewThatReadsNoSequence() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public <T> T read(String projectId, Function<? super ProjectView, ? extends T> reads) {
        return delegate.read(projectId, view -> reads.apply(new ForwardingView(view) {
          @Override
          public long sequence() {
            return 0;
          }
        }));
      }
    }, BackupCatalogContract::sequenceCountsTheCommittedChangesOfEachProject);
  }

  @Test
  void contractCatchesAReplayThatAppliesTheTransitionAtItsOwnClock() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public boolean replay(Change change) {
        if (change.sequence() != delegate.sequence(change.projectId()) + 1
            || change.before().isEmpty() || change.transition().isEmpty()) {
          return delegate.replay(change);
        }
        delegate.apply(change.projectId(), change.backupId(), change.before().get().version(), change.transition().get());
        return true;
      }
    }, BackupCatalogContract::replayingEveryChangeIntoAnotherCatalogMakesItEqual);
  }

  @Test
  void contractCatchesAReplayThatInstallsAChangeAgain() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public boolean replay(Change change) {
        return delegate.replay(change) || delegate.sequence(change.projectId()) >= change.sequence();
      }
    }, BackupCatalogContract::replayingEveryChangeIntoAnotherCatalogMakesItEqual);
  }

  @Test
  void contractCatchesAReplayThatSkipsAGap() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public boolean replay(Change change) {
        long next = delegate.sequence(change.projectId()) + 1;
        if (change.sequence() > next) {
          change = new Change(next, change.projectId(), change.backupId(), change.before(), change.after(),
              change.transition());
        }
        return delegate.replay(change);
      }
    }, BackupCatalogContract::replayRefusesAMissingChangeAndAChangeThatDoesNotFitAndChangesNothing);
  }

  @Test
  void contractCatchesALoadThatForgetsTheSequence() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public void load(ProjectSnapshot snapshot) {
        delegate.load(new ProjectSnapshot(snapshot.projectId(), 0, snapshot.quota(), snapshot.backups()));
      }
    }, BackupCatalogContract::aLoadedSnapshotContinuesWithTheNextChange);
  }

  @Test
  void contractCatchesALoadThatTellsSubscribers() {
    assertTestFails(clock -> new Forwarding(clock) {
      private final List<java.util.function.Consumer<Change>> subscribers = new java.util.concurrent.CopyOnWriteArrayList<>();

      @Override
      public io.csbs.catalog.Subscription subscribe(java.util.function.Consumer<Change> subscriber) {
        subscribers.add(subscriber);
        return delegate.subscribe(subscriber);
      }

      @Override
      public void load(ProjectSnapshot snapshot) {
        delegate.load(snapshot);
        long sequence = snapshot.sequence();
        for (Backup backup : snapshot.backups()) {  // announced as if added
          Change added = new Change(sequence, snapshot.projectId(), backup.id(), Optional.empty(), Optional.of(backup),
              Optional.empty());
          subscribers.forEach(subscriber -> subscriber.accept(added));
        }
      }
    }, BackupCatalogContract::aLoadedSnapshotContinuesWithTheNextChange);
  }

  @Test
  void contractCatchesALoadThatMergesIntoAProjectWithBackups() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public void load(ProjectSnapshot snapshot) {
        if (delegate.sequence(snapshot.projectId()) > 0) {
          delegate.addAll(snapshot.backups());
        } else {
          delegate.load(snapshot);
        }
      }
    }, BackupCatalogContract::loadIsRefusedWhereTheProjectHasBackupsOrChangesAndChangesNothing);
  }

  @Test
  void contractCatchesAViewThatSeesChangesCommittedDuringTheRead() {
    assertTestFails(clock -> new Forwarding(clock) {
      @Override
      public <T> T read(String projectId, Function<? super ProjectView, ? extends T> reads) {
        Forwarding catalog = this;
        return reads.apply(new ProjectView() {  // no one state: each call reads the catalog as it is now
          @Override public String projectId() { return projectId; }
          @Override public Optional<Backup> find(String backupId) { return catalog.find(projectId, backupId); }
          @Override public Page query(Query query) { return catalog.query(projectId, query); }
          @Override public long count(BackupPredicate predicate) { return catalog.count(projectId, predicate); }
          @Override public TagCatalogue tagCatalogue() { return catalog.tagCatalogue(projectId); }
          @Override public io.csbs.usage.UsageReport usage(io.csbs.usage.UsageQuery query) {
            return catalog.usage(projectId, query);
          }
          @Override public io.csbs.usage.QuotaUsage quotaUsage() { return catalog.quotaUsage(projectId); }
          @Override public long sequence() { return catalog.sequence(projectId); }
        });
      }
    }, BackupCatalogContract::aReadDoesNotSeeChangesCommittedDuringIt);
  }

  /** The tests of subscriptions pass on a catalog that delivers later, on a thread of its own. */
  @Test
  void subscriptionTestsPassOnACatalogThatDeliversAsynchronously() throws Exception {
    List<ContractTest> tests = List.of(
        BackupCatalogContract::subscribersSeeEveryCommittedChangeOnceInCommitOrder,
        BackupCatalogContract::aCompletedDeletionIsDeliveredAsARemoval,
        BackupCatalogContract::aFailingSubscriberDoesNotCorruptTheCatalogNorStopOthers,
        BackupCatalogContract::aCancelledSubscriptionReceivesNothingMore,
        BackupCatalogContract::concurrentWritersChangesArriveInOrderOneAtATimeAndReplayToTheCatalog,
        BackupCatalogContract::replayingEveryChangeIntoAnotherCatalogMakesItEqual,
        BackupCatalogContract::replayRefusesAMissingChangeAndAChangeThatDoesNotFitAndChangesNothing,
        BackupCatalogContract::aLoadedSnapshotContinuesWithTheNextChange,
        BackupCatalogContract::loadIsRefusedWhereTheProjectHasBackupsOrChangesAndChangesNothing);
    for (ContractTest test : tests) {
      test.run(contract(Delayed::new));
    }
  }

  /** The same contract tests fail on it if they do not wait for the deliveries. */
  @Test
  void aDelayedDeliveryIsNotSeenWithoutWaiting() {
    Delayed catalog = new Delayed(FakeClock.create());
    List<Change> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    catalog.subscribe(seen::add);
    catalog.add(BackupGenerator.withSeed(1).next());
    org.junit.jupiter.api.Assertions.assertEquals(0, seen.size(), "the delivery came before the add returned");
  }

  private interface ContractTest {
    void run(BackupCatalogContract contract) throws Exception;
  }

  private static BackupCatalogContract contract(Function<FakeClock, BackupCatalog> factory) {
    BackupCatalogContract contract = new BackupCatalogContract() {
      @Override
      protected BackupCatalog newCatalog(FakeClock clock) {
        return factory.apply(clock);
      }
    };
    contract.newCatalogOnAFakeClock();
    return contract;
  }

  private static void assertTestFails(Function<FakeClock, BackupCatalog> broken, ContractTest test) {
    BackupCatalogContract contract = contract(broken);
    assertThrows(AssertionError.class, () -> test.run(contract), "the contract passed a broken catalog");
  }

  private static void assertDifferentialFails(Function<FakeClock, BackupCatalog> broken) {
    BackupCatalogContract contract = contract(broken);
    for (long seed = 1; seed <= SEEDS; seed++) {
      try {
        contract.checkAgainstReference(seed);
      } catch (AssertionError expected) {
        return;
      }
    }
    fail("the differential property passed a broken catalog on " + SEEDS + " seeds");
  }

  /**
   * A reference catalog whose subscribers are called later, one change at a time, on a thread of
   * its own, as a poller of a change table would call them.
   */
  private static final class Delayed extends Forwarding {
    private final java.util.concurrent.ExecutorService poller = java.util.concurrent.Executors.newSingleThreadExecutor(
        task -> {
          Thread thread = new Thread(task, "delayed-deliveries");
          thread.setDaemon(true);
          return thread;
        });

    Delayed(FakeClock clock) {
      super(clock);
    }

    @Override
    public io.csbs.catalog.Subscription subscribe(java.util.function.Consumer<Change> subscriber) {
      java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
      io.csbs.catalog.Subscription inner = delegate.subscribe(change -> poller.execute(() -> {
        try {
          Thread.sleep(1);
          if (!cancelled.get()) {
            subscriber.accept(change);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
          // logged by a real implementation; the catalog and other subscribers go on
        }
      }));
      return () -> {
        cancelled.set(true);
        inner.cancel();
      };
    }
  }

  /** A view that forwards every call; a test overrides one. */
  private static class ForwardingView implements ProjectView {
    private final ProjectView view;

    ForwardingView(ProjectView view) {
      this.view = view;
    }

    @Override public String projectId() { return view.projectId(); }
    @Override public Optional<Backup> find(String backupId) { return view.find(backupId); }
    @Override public Page query(Query query) { return view.query(query); }
    @Override public long count(BackupPredicate predicate) { return view.count(predicate); }
    @Override public TagCatalogue tagCatalogue() { return view.tagCatalogue(); }
    @Override public io.csbs.usage.UsageReport usage(io.csbs.usage.UsageQuery query) { return view.usage(query); }
    @Override public io.csbs.usage.QuotaUsage quotaUsage() { return view.quotaUsage(); }
    @Override public long sequence() { return view.sequence(); }
  }

  /** A reference catalog that a test breaks by overriding one method. */
  private static class Forwarding implements BackupCatalog {
    final FakeClock clock;
    final ReferenceCatalog delegate;

    Forwarding(FakeClock clock) {
      this.clock = clock;
      this.delegate = ReferenceCatalog.create(clock);
    }

    @Override public void add(Backup backup) { delegate.add(backup); }
    @Override public void addAll(Collection<Backup> backups) { delegate.addAll(backups); }

    @Override
    public Optional<Backup> apply(String projectId, String backupId, long expectedVersion, Transition transition) {
      return delegate.apply(projectId, backupId, expectedVersion, transition);
    }

    @Override
    public Backup updateTags(String projectId, String backupId, long expectedVersion, io.csbs.backup.TagUpdate update) {
      return delegate.updateTags(projectId, backupId, expectedVersion, update);
    }

    @Override public void remove(String projectId, String backupId, long expectedVersion) {
      delegate.remove(projectId, backupId, expectedVersion);
    }

    @Override public Optional<Backup> find(String projectId, String backupId) { return delegate.find(projectId, backupId); }
    @Override public Page query(String projectId, Query query) { return delegate.query(projectId, query); }
    @Override public io.csbs.usage.UsageReport usage(String projectId, io.csbs.usage.UsageQuery query) {
      return delegate.usage(projectId, query);
    }
    @Override public void setQuota(String projectId, io.csbs.usage.Quota quota) { delegate.setQuota(projectId, quota); }
    @Override public io.csbs.usage.QuotaUsage quotaUsage(String projectId) { return delegate.quotaUsage(projectId); }
    @Override public io.csbs.catalog.Subscription subscribe(java.util.function.Consumer<io.csbs.catalog.Change> s) {
      return delegate.subscribe(s);
    }
    @Override public long count(String projectId, BackupPredicate predicate) { return delegate.count(projectId, predicate); }
    @Override public TagCatalogue tagCatalogue(String projectId) { return delegate.tagCatalogue(projectId); }

    @Override
    public <T> T read(String projectId, Function<? super ProjectView, ? extends T> reads) {
      return delegate.read(projectId, reads);
    }
    @Override public Page queryAllProjects(Query query) { return delegate.queryAllProjects(query); }
    @Override public long countAllProjects(BackupPredicate predicate) { return delegate.countAllProjects(predicate); }
    @Override public long sequence(String projectId) { return delegate.sequence(projectId); }
    @Override public boolean replay(Change change) { return delegate.replay(change); }
    @Override public void load(ProjectSnapshot snapshot) { delegate.load(snapshot); }
  }
}
