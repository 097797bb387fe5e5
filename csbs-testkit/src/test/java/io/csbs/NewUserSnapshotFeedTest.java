package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.Subscription;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.usage.Quota;
import io.csbs.usage.UsageQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Keeping a second copy of a catalog, as a new user reads the README ("A replica follows another
 * catalog or a database with replay(change), starting from load(ProjectSnapshot)") and the javadoc
 * of {@code BackupCatalog#subscribe}, {@code #sequence}, {@code #replay}, {@code #load}, {@code
 * ProjectSnapshot}, {@code Change} and {@code Subscription}: on the indexed catalog and on the
 * testkit's {@code ReferenceCatalog} alike.
 */
class NewUserSnapshotFeedTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Server WEB = Server.of("srv-wéb", "ECS-Wëb-01", "eu-de-02");
  private static final Server DB = Server.of("srv-数据库", "ecs-db-01", "eu-de-01");

  /** The two catalogs a user may hold: the library's and the testkit's oracle. */
  private static final List<Function<FakeClock, BackupCatalog>> KINDS =
      List.of(Catalogs::indexed, ReferenceCatalog::create);

  private static String kind(BackupCatalog c) {
    return c.getClass().getSimpleName();
  }

  private static Backup backup(String project, String id, Instant createdAt) {
    return Backup.builder().id(id).name("bk_" + Math.abs(id.hashCode() % 1000)).projectId(project).server(WEB)
        .status(BackupStatus.AVAILABLE).sizeMb(1024).createdAt(createdAt).build();
  }

  // ---------------------------------------------------------------------------------------------
  // Subscription.cancel

  /** Subscription: "Stops the deliveries to this subscriber"; a second cancel is a no-op. */
  @Test
  
  void cancellingTwiceDoesNotCancelAnotherSubscriptionOfTheSameSubscriber() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      List<Long> seen = new ArrayList<>();
      java.util.function.Consumer<Change> subscriber = change -> seen.add(change.sequence());
      Subscription first = c.subscribe(subscriber);
      Subscription second = c.subscribe(subscriber);
      c.add(backup("p", "a", NOW));
      assertEquals(List.of(1L, 1L), seen, kind(c) + ": two subscriptions, two deliveries");
      first.cancel();
      c.add(backup("p", "b", NOW));
      assertEquals(List.of(1L, 1L, 2L), seen, kind(c));
      first.cancel();   // again
      c.add(backup("p", "c", NOW));
      assertEquals(List.of(1L, 1L, 2L, 3L), seen, kind(c) + ": the second subscription still delivers");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sequences at the top of the range

  @Test
  
  void aProjectLoadedAtTheLargestSequenceRefusesItsNextChangeAndStaysAsItWas() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      for (boolean subscribed : new boolean[] {false, true}) {
        BackupCatalog c = k.apply(FakeClock.at(NOW));
        List<Change> seen = new ArrayList<>();
        if (subscribed) {
          c.subscribe(seen::add);
        }
        c.load(new ProjectSnapshot("p", Long.MAX_VALUE, Quota.NONE, List.of(backup("p", "a", NOW))));
        assertEquals(Long.MAX_VALUE, c.sequence("p"));
        String what = kind(c) + (subscribed ? " with a subscriber" : "");
        try {
          c.add(backup("p", "b", NOW));
        } catch (RuntimeException e) {
          System.out.println(what + ": " + e);
        }
        System.out.println(what + ": sequence " + c.sequence("p") + " find b " + c.find("p", "b").isPresent() + " seen " + seen);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Subscribing inside a delivery

  @Test
  
  void aSubscriberSubscribedInsideADeliveryGetsOnlyChangesCommittedAfter() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      List<Long> late = new ArrayList<>();
      boolean[] done = {false};
      c.subscribe(change -> {
        if (!done[0]) {
          done[0] = true;
          c.add(backup("p", "second", NOW));     // change 2, committed now
          c.subscribe(ch -> late.add(ch.sequence()));
        }
      });
      c.add(backup("p", "first", NOW));
      c.add(backup("p", "third", NOW));
      System.out.println(kind(c) + " late " + late);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // A replica and setQuota

  @Test
  
  void aReplicaFollowsTheQuota() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog primary = k.apply(FakeClock.at(NOW));
      BackupCatalog replica = k.apply(FakeClock.at(NOW));
      primary.subscribe(replica::replay);
      primary.setQuota("p", Quota.of(5, 100));
      primary.add(backup("p", "a", NOW));
      System.out.println(kind(primary) + " " + primary.quotaUsage("p") + " / " + replica.quotaUsage("p"));
    }
  }

  @Test
  
  void loadQuirks() {
    for (Function<FakeClock, BackupCatalog> k : KINDS) {
      BackupCatalog c = k.apply(FakeClock.at(NOW));
      c.setQuota("p", Quota.of(1, 1));
      c.load(new ProjectSnapshot("p", 0, Quota.NONE, List.of()));
      System.out.println(kind(c) + " quota after empty load " + c.quotaUsage("p") + " seq " + c.sequence("p"));
      c.load(new ProjectSnapshot("p", 0, Quota.of(1, 1), List.of(backup("p", "a", NOW), backup("p", "b", NOW))));
      System.out.println(kind(c) + " over quota load " + c.quotaUsage("p") + " seq " + c.sequence("p"));
      try {
        c.load(new ProjectSnapshot("p", 0, Quota.NONE, List.of()));
      } catch (RuntimeException e) {
        System.out.println(kind(c) + " reload: " + e);
      }
      BackupCatalog d = k.apply(FakeClock.at(NOW));
      d.load(new ProjectSnapshot("q", 7, Quota.NONE, List.of()));
      try {
        d.load(new ProjectSnapshot("q", 7, Quota.NONE, List.of()));
      } catch (RuntimeException e) {
        System.out.println(kind(d) + " reload at 7: " + e);
      }
    }
  }
}
