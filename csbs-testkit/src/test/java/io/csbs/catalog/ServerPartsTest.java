package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.VmMetadata;
import io.csbs.lifecycle.Transition;
import io.csbs.query.Predicates;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.Seeds;
import io.csbs.usage.Quota;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A backup stored with parts (server, tags, VM metadata, policy id) equal to those of its server's
 * earlier backups holds the same objects as they do ({@link ServerParts}), whichever way it came in:
 * one by one, in a batch, in a snapshot, in a replayed change; and is equal to the backup given.
 * The backups here are decoded as a database row or a JSON body would be: every part, every string
 * a new object.
 */
class ServerPartsTest {
  private static final String PROJECT = "project-parts";

  /** An equal copy of {@code backup} whose parts and their strings are all objects of its own. */
  static Backup decoded(Backup backup) {
    Server server = Server.builder().id(new String(backup.server().id())).name(new String(backup.server().name()))
        .availabilityZone(new String(backup.server().availabilityZone()))
        .resourceType(new String(backup.server().resourceType())).build();
    List<Tag> tags = new ArrayList<>();
    for (Tag tag : backup.tags()) {
      tags.add(Tag.of(new String(tag.key()), new String(tag.value())));
    }
    VmMetadata vm = backup.details().vm();
    VmMetadata vmCopy = new VmMetadata(new String(vm.regionName()), new String(vm.cloudServiceType()), vm.diskGb(),
        new String(vm.imageType()), vm.ramMb(), vm.vcpus(), new String(vm.eip()), new String(vm.privateIp()));
    BackupDetails details = backup.details().toBuilder().vm(vmCopy).build();
    Backup copy = backup.toBuilder().server(server).tags(tags).details(details)
        .policyId(backup.policyId().map(String::new)).build();
    assertEquals(backup, copy);
    return copy;
  }

  private static List<Backup> generated(long seed, int count) {
    return BackupGenerator.builder().seed(seed).projects(1).servers(count / 20).build().backups(count).stream()
        .map(backup -> backup.toBuilder().projectId(PROJECT).build()).toList();
  }

  /**
   * Every stored backup equals the one given, and those of a server with equal parts hold the same
   * objects: one server, one tag object a tag, one VM metadata and one policy id a value.
   */
  private static void assertShared(BackupCatalog catalog, List<Backup> given) {
    Map<Object, Object> servers = new java.util.HashMap<>();
    Map<Object, Object> tagObjects = new java.util.HashMap<>();
    Map<Object, Object> vms = new java.util.HashMap<>();
    Map<Object, Object> policies = new java.util.HashMap<>();
    for (Backup backup : given) {
      Backup stored = catalog.find(PROJECT, backup.id()).orElseThrow();
      assertEquals(backup, stored, "stored " + backup.id());
      assertSame(servers.computeIfAbsent(stored.server(), s -> s), stored.server(), "server of " + backup.id());
      for (Tag tag : stored.tags()) {
        // a tag shared among the backups of one server: key by server and tag
        assertSame(tagObjects.computeIfAbsent(List.of(stored.server().id(), tag), t -> tag), tag, "tag of " + backup.id());
      }
      VmMetadata vm = stored.details().vm();
      if (!vm.equals(VmMetadata.NONE)) {  // an empty one is VmMetadata.NONE once copied, else as given
        assertSame(vms.computeIfAbsent(List.of(stored.server().id(), vm), v -> vm), vm, "VM of " + backup.id());
      }
      if (stored.policyId().isPresent()) {
        assertSame(policies.computeIfAbsent(List.of(stored.server().id(), stored.policyId()), p -> stored.policyId()),
            stored.policyId(), "policy id of " + backup.id());
      }
    }
  }

  @Test
  void backupsAddedOneByOneShareTheirServersParts() {
    Seeds.run(Seeds.pick(), seed -> {
      List<Backup> given = new ArrayList<>(generated(seed, 2_000).stream().map(ServerPartsTest::decoded).toList());
      Collections.shuffle(given, new java.util.Random(seed));  // late ones too: the tail's path
      BackupCatalog catalog = Catalogs.indexed(FakeClock.create());
      given.forEach(catalog::add);
      assertShared(catalog, given);
      assertEquals(given.size(), catalog.count(PROJECT, Predicates.all()));
    });
  }

  @Test
  void backupsOfABatchAndOfASnapshotShareTheirServersParts() {
    Seeds.run(Seeds.pick(), seed -> {
      List<Backup> given = generated(seed, 3_000).stream().map(ServerPartsTest::decoded).toList();
      BackupCatalog batch = Catalogs.indexed(FakeClock.create());
      batch.addAll(given);
      assertShared(batch, given);
      BackupCatalog loaded = Catalogs.indexed(FakeClock.create());
      loaded.load(new ProjectSnapshot(PROJECT, 7, Quota.NONE, given));
      assertShared(loaded, given);
      // a batch into a project that has backups: added one by one or laid out again
      BackupCatalog second = Catalogs.indexed(FakeClock.create());
      second.addAll(given.subList(0, 1_000));
      second.addAll(given.subList(1_000, given.size()).stream().map(ServerPartsTest::decoded).toList());
      for (Backup backup : given) {
        assertEquals(backup, second.find(PROJECT, backup.id()).orElseThrow());
      }
    });
  }

  /**
   * A batch whose backups hold their server's parts already (the generator's: made from one another)
   * is stored as given, object for object: sharing it would copy nothing, and a pass over it costs.
   */
  @Test
  void aBatchThatSharesItsPartsAlreadyIsStoredAsGiven() {
    Seeds.run(Seeds.pick(), seed -> {
      List<Backup> given = generated(seed, 3_000);
      BackupCatalog catalog = Catalogs.indexed(FakeClock.create());
      catalog.addAll(given);
      for (Backup backup : given) {
        assertSame(backup, catalog.find(PROJECT, backup.id()).orElseThrow(), "stored " + backup.id());
      }
      // one decoded backup among them is not enough to make sharing pay; all decoded is
      List<Backup> mixed = new ArrayList<>(generated(seed + 1, 3_000));
      mixed.set(5, decoded(mixed.get(5)));
      BackupCatalog second = Catalogs.indexed(FakeClock.create());
      second.addAll(mixed);
      assertSame(mixed.get(5), second.find(PROJECT, mixed.get(5).id()).orElseThrow());
    });
  }

  @Test
  void replayedChangesShareTheirServersParts() {
    Seeds.run(Seeds.pick(), seed -> {
      FakeClock clock = FakeClock.create();
      BackupCatalog source = Catalogs.indexed(clock);
      List<Change> feed = new ArrayList<>();
      Subscription subscription = source.subscribe(feed::add);
      List<Backup> given = generated(seed, 1_000);
      given.forEach(source::add);
      SplittableRandom random = new SplittableRandom(seed);
      for (int i = 0; i < 300; i++) {  // restores started and completed, and deletions: replaced and removed rows
        Backup current = source.find(PROJECT, given.get(random.nextInt(given.size())).id()).orElse(null);
        if (current == null || current.status() != io.csbs.backup.BackupStatus.AVAILABLE) {
          continue;
        }
        clock.advance(java.time.Duration.ofSeconds(1));
        Transition first = random.nextInt(4) == 0 ? Transition.delete() : Transition.restore();
        Backup next = source.apply(PROJECT, current.id(), current.version(), first).orElseThrow();
        clock.advance(java.time.Duration.ofSeconds(1));
        source.apply(PROJECT, next.id(), next.version(), Transition.complete());
      }
      subscription.cancel();
      BackupCatalog replica = Catalogs.indexed(clock);
      for (Change change : feed) {
        // the feed as a replica decodes it: every backup after a change a new object, parts and all
        replica.replay(new Change(change.sequence(), change.projectId(), change.backupId(), change.before(),
            change.after().map(ServerPartsTest::decoded), change.transition()));
      }
      List<Backup> stored = new ArrayList<>();
      for (Backup backup : given) {
        source.find(PROJECT, backup.id()).ifPresent(stored::add);
      }
      assertTrue(stored.size() < given.size(), "some deleted");
      assertEquals(source.count(PROJECT, Predicates.all()), replica.count(PROJECT, Predicates.all()));
      assertShared(replica, stored);
    });
  }

  @Test
  void partsThatDifferAreKeptAsGivenAndTheNewestAreSharedFromThenOn() {
    List<Backup> base = generated(11, 200);
    Backup first = base.get(0);
    List<Backup> sameServer = base.stream().filter(b -> b.server().id().equals(first.server().id())).toList();
    assertTrue(sameServer.size() >= 3, "a server with three backups");
    BackupCatalog catalog = Catalogs.indexed(FakeClock.create());
    Backup a = decoded(sameServer.get(0));
    catalog.add(a);
    Server renamed = Server.of(first.server().id(), "renamed-" + first.server().name(), first.server().availabilityZone());
    Backup b = decoded(sameServer.get(1)).toBuilder().server(renamed)
        .tags(List.of(Tag.of("only", "mine"))).build();
    catalog.add(b);
    Backup storedB = catalog.find(PROJECT, b.id()).orElseThrow();
    assertEquals(b, storedB);
    assertSame(b.server(), storedB.server(), "a server unlike the held one is stored as given");
    assertNotSame(catalog.find(PROJECT, a.id()).orElseThrow().server(), storedB.server());
    Backup c = decoded(sameServer.get(2).toBuilder().server(renamed).tags(List.of(Tag.of("only", "mine"))).build());
    catalog.add(c);
    Backup storedC = catalog.find(PROJECT, c.id()).orElseThrow();
    assertEquals(c, storedC);
    assertSame(storedB.server(), storedC.server(), "the newest server held is shared from then on");
    assertSame(storedB.tags().get(0), storedC.tags().get(0), "so are its tags");
  }

  /** The stored backups hold far fewer distinct part objects than the decoded ones given. */
  @Test
  void storedBackupsHoldOnePartObjectAServer() {
    List<Backup> given = generated(5, 4_000).stream().map(ServerPartsTest::decoded).toList();
    BackupCatalog catalog = Catalogs.indexed(FakeClock.create());
    Consumer<Backup> add = catalog::add;
    given.forEach(add);
    Map<Object, Boolean> givenServers = new IdentityHashMap<>();
    Map<Object, Boolean> storedServers = new IdentityHashMap<>();
    Map<Object, Boolean> storedVms = new IdentityHashMap<>();
    for (Backup backup : given) {
      givenServers.put(backup.server(), true);
      Backup stored = catalog.find(PROJECT, backup.id()).orElseThrow();
      storedServers.put(stored.server(), true);
      if (!stored.details().vm().equals(VmMetadata.NONE)) {
        storedVms.put(stored.details().vm(), true);
      }
    }
    long servers = given.stream().map(b -> b.server().id()).distinct().count();
    assertEquals(given.size(), givenServers.size());
    assertEquals(servers, storedServers.size(), "one server object a server");
    assertTrue(storedVms.size() <= given.stream().map(b -> List.of(b.server().id(), b.details().vm())).distinct().count(),
        "one VM metadata object a server's VM");
  }
}
