package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.VmMetadata;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of a backup that the other backups of its server mostly hold equal: the server, the
 * tags, the VM's metadata and the policy id. A backup decoded from JSON or read from a database row
 * holds its own copy of each, strings and all: a million such backups took about 1,430 bytes each on
 * the heap against about 550 once they held one copy of those parts a server ({@code csbs-benchmarks}
 * README, session 39). A catalog keeps what it is given, so it stores a backup that holds equal but
 * distinct parts as an equal copy holding the ones its server's earlier backup holds ({@link
 * #share}): the copy is what searches return, and the backup given, once its caller lets go of it,
 * dies young; G1's young pauses, which copy every backup that survives, copy the smaller one.
 *
 * <p>The tags are shared tag by tag: a backup's builder makes a list of its own whatever it is given,
 * so a shared copy holds the server's {@link Tag} objects in a list of its own (tens of bytes, not
 * hundreds). Backups whose parts are the very objects held already (those made with {@code
 * toBuilder()} from one another, those a transition made) are stored as they are: a backup that
 * holds the very server object held for its server is taken as one of those, and its other parts
 * are not read.
 *
 * <p>One instance per server lives in the shard's usage totals ({@link UsageIndex}), created and let
 * go of with them, and records the parts of the last backups of the server the shard stored ({@link
 * #hold}: the last two distinct tag lists and VM metadata, so that a server whose backups alternate
 * between two still shares them); the policy ids, which belong to the project, are kept in the
 * shard's {@link Policies}. A batch shares among its own backups ({@link #shareAll}). Not thread-safe: {@link #share}
 * runs under the shard's read lock or write lock, {@link #hold} under its write lock (or on the
 * thread building a shard).
 */
class ServerParts {
  /** Parts for a backup of a server the shard has no backup of: only the empty VM metadata is shared. */
  static final ServerParts NONE = new ServerParts();
  /** How many distinct policy ids a shard (or a batch) keeps to share: a project has a few policies. */
  static final int POLICIES = 8;

  private Server server;
  /** The last tags held, and the ones held before them (a server's backups may alternate between two). */
  private List<Tag> tags;
  private List<Tag> earlierTags;
  /** The last VM metadata held, and the one before (an elastic IP comes and goes). */
  private VmMetadata vm;
  private VmMetadata earlierVm;

  /**
   * {@code backup}, or an equal copy of it that holds the parts held here (and one of {@code
   * policies}) where {@code backup}'s are equal to them but other objects: made when its server,
   * tags or policy id can be shared, and then holding the shared VM metadata too.
   */
  final Backup share(Backup backup, Policies policies) {
    if (backup.server() == server) {
      // it holds the very server object held here: made from a backup stored here (toBuilder(), a
      // transition), its other parts are taken as shared too, unread (reading its tags was a cache
      // miss or two and a tenth of a late add's time)
      return backup;
    }
    Server sharedServer = ifEqual(server, backup.server());
    List<Tag> sharedTags = tagsIfEqual(tags, backup.tags());
    if (sharedTags == backup.tags()) {
      sharedTags = tagsIfEqual(earlierTags, backup.tags());
    }
    Optional<String> sharedPolicyId = policies.share(backup.policyId());
    if (sharedServer == backup.server() && sharedTags == backup.tags() && sharedPolicyId == backup.policyId()) {
      // the VM metadata alone makes no copy: about 50 bytes saved for a copy of 0.5 to 1 us (a bulk
      // load of the generator's backups, whose VM metadata is its own, took twice as long)
      return backup;
    }
    Backup.Builder copy = backup.toBuilder();
    if (sharedServer != backup.server()) {
      copy.server(sharedServer);
    }
    if (sharedTags != backup.tags()) {
      copy.tags(sharedTags);
    }
    if (sharedPolicyId != backup.policyId()) {
      copy.policyId(sharedPolicyId);
    }
    BackupDetails details = backup.details();
    VmMetadata givenVm = details.vm();
    VmMetadata sharedVm = givenVm == VmMetadata.NONE ? givenVm
        : givenVm.equals(VmMetadata.NONE) ? VmMetadata.NONE : ifEqual(vm, givenVm);
    if (sharedVm == givenVm) {
      sharedVm = ifEqual(earlierVm, givenVm);
    }
    if (sharedVm != givenVm) {
      copy.details(details.equals(BackupDetails.NONE) ? BackupDetails.NONE : details.toBuilder().vm(sharedVm).build());
    }
    return copy.build();
  }

  /**
   * Holds the parts of {@code stored}, the backup of this server the shard stored last, for the next
   * {@link #share}; its policy id in {@code policies}.
   */
  final void hold(Backup stored, Policies policies) {
    // each field written only when it changes: a write into a total in the old generation is a card
    // that G1's refinement threads then scan (they took a twelfth of the CPU of late adds that wrote
    // on every add)
    if (stored.server() != server) {
      server = stored.server();
    }
    if (!sameTagObjects(stored.tags(), tags)) {
      earlierTags = tags;
      tags = stored.tags();
    }
    VmMetadata storedVm = stored.details().vm();
    if (storedVm != vm && storedVm != VmMetadata.NONE && !storedVm.equals(VmMetadata.NONE)) {
      earlierVm = vm;
      vm = storedVm;
    }
    policies.hold(stored.policyId());
  }

  /**
   * Shares the parts of the backups of {@code batch} among those of the same server, each as {@link
   * #share} would, in place (a list that can be set): a bulk load's backups before they are sorted
   * and stored. A batch whose first backups share their parts already (made from one another, as
   * the testkit's generator makes them) is left as it is: a pass over a million backups, a few cache
   * misses each, added a quarter to a bulk load that had nothing to share.
   */
  static void shareAll(List<Backup> batch) {
    // the sample is shared on a copy of the batch's first backups, so that a batch for which sharing
    // does not pay is stored as given; when it pays, the sample's copies are kept and the rest of the
    // batch is shared from where the sample left off
    int sample = Math.min(SAMPLE, batch.size());
    List<Backup> prefix = new java.util.ArrayList<>(batch.subList(0, sample));
    BatchSharing sharing = new BatchSharing();
    sharing.share(prefix, 0, sample);
    if (sharing.copies > 0 && sharing.copies * 4 >= sharing.repeats) {  // one copy in four repeats, at least
      for (int i = 0; i < sample; i++) {
        batch.set(i, prefix.get(i));
      }
      sharing.share(batch, sample, batch.size());
    }
  }

  /** Backups {@link #shareAll} looks at to decide whether sharing pays. */
  static final int SAMPLE = 4096;

  /** What {@link #shareAll} holds while it goes through a batch: the parts of each server met, the policy ids. */
  private static final class BatchSharing {
    private final Map<String, ServerParts> byServer = new HashMap<>();
    private final Policies policies = new Policies();
    private String lastId;  // a batch mostly holds a server's backups one after the other
    private ServerParts last;
    /** Backups whose server came earlier in the batch, and those of them copied. */
    private int repeats;
    private int copies;

    /** Shares the backups of {@code batch} from {@code from} to {@code to} in place. */
    void share(List<Backup> batch, int from, int to) {
      for (int i = from; i < to; i++) {
        Backup backup = batch.get(i);
        if (!backup.server().id().equals(lastId)) {
          lastId = backup.server().id();
          last = byServer.get(lastId);
          if (last == null) {
            last = new ServerParts();
            byServer.put(lastId, last);
          } else {
            repeats++;
          }
        } else {
          repeats++;
        }
        Backup shared = last.share(backup, policies);
        last.hold(shared, policies);
        if (shared != backup) {
          copies++;
          batch.set(i, shared);
        }
      }
    }
  }

  /**
   * The last {@value #POLICIES} distinct policy ids held, for a shard or a batch: policies belong to
   * the project, not to a server, and a project has a few. Shared as {@link ServerParts} are.
   */
  static final class Policies {
    @SuppressWarnings("unchecked")
    private final Optional<String>[] held = new Optional[POLICIES];
    private int next;

    /** {@code given}, or the equal policy id held if its text is another object. */
    Optional<String> share(Optional<String> given) {
      if (given.isEmpty()) {
        return given;
      }
      String text = given.get();
      for (Optional<String> held : this.held) {
        if (held == null) {
          return given;
        }
        if (held.get() == text) {
          return given;  // only the Optional is another object: not worth a copy of the backup
        }
        if (held.get().equals(text)) {
          return held;
        }
      }
      return given;
    }

    /** Holds {@code stored}'s policy id, in the place of the oldest held, unless its text is held already. */
    void hold(Optional<String> stored) {
      if (stored.isEmpty()) {
        return;
      }
      for (Optional<String> held : this.held) {
        if (held != null && held.get() == stored.get()) {
          return;
        }
      }
      held[next] = stored;
      next = (next + 1) % held.length;
    }
  }

  /**
   * Whether {@code held} holds {@code given}'s tag objects, as far as its first tag shows: a copy that
   * shared them holds them in a list of its own.
   */
  private static boolean sameTagObjects(List<Tag> given, List<Tag> held) {
    return given == held || held != null && held.size() == given.size() && (given.isEmpty() || given.get(0) == held.get(0));
  }

  /** {@code held} if it equals {@code given} and is another object; else {@code given}. */
  private static <T> T ifEqual(T held, T given) {
    return held != null && held != given && held.equals(given) ? held : given;
  }

  /**
   * {@code held} if it equals {@code given} and a tag of {@code given} is another object than the one
   * at its place in {@code held}; else {@code given} (also when the two lists differ but every tag is
   * the held one already: nothing to share).
   */
  private static List<Tag> tagsIfEqual(List<Tag> held, List<Tag> given) {
    if (held == null || held == given || held.size() != given.size()) {
      return given;
    }
    boolean same = true;
    for (int i = 0; i < held.size(); i++) {
      Tag heldTag = held.get(i);
      Tag givenTag = given.get(i);
      if (heldTag != givenTag) {
        if (!heldTag.equals(givenTag)) {
          return given;
        }
        same = false;
      }
    }
    return same ? given : held;
  }
}
