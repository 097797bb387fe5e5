package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.query.Attribute;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;

/**
 * {@link ProjectShard#touch}, which a change runs under the read lock before it takes the write lock,
 * reads and changes nothing: after touching stored backups (at their positions, or at another),
 * removed ones and new ones, every index of the shard holds what it held (the same estimate of its
 * bytes, keys without rows, positions of every id, counts of every status and attribute value).
 * Replay with {@code -Dcsbs.seed=N}.
 */
class TouchBeforeChangeTest {

  @RepeatedTest(10)
  void touchingBackupsChangesNothing() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(30).build();
      ProjectShard shard = new ProjectShard(BackupGenerator.projectId(0), 1_000_000);
      List<Backup> stored = new ArrayList<>(generator.backups(3000));
      shard.addBatch(stored);
      List<Backup> removed = new ArrayList<>();
      for (int i = 0; i < 600; i++) {
        Backup backup = stored.remove(random.nextInt(stored.size()));
        shard.remove(shard.positionOf(backup.id()));
        removed.add(backup);
      }
      for (int i = 0; i < 300; i++) {
        Backup late = generator.next();  // random creation times: some late, in the tail
        shard.add(late);
        stored.add(late);
      }
      String before = state(shard, stored, removed);
      for (int i = 0; i < 2000; i++) {
        int kind = random.nextInt(4);
        if (kind == 0) {
          Backup backup = stored.get(random.nextInt(stored.size()));
          shard.touch(backup, shard.positionOf(backup.id()));
        } else if (kind == 1) {
          shard.touch(stored.get(random.nextInt(stored.size())), random.nextInt(shard.size()));
        } else if (kind == 2) {
          shard.touch(removed.get(random.nextInt(removed.size())), -1);
        } else {
          shard.touch(generator.next(), -1);
        }
      }
      assertEquals(before, state(shard, stored, removed));
    });
  }

  /** What the shard's indexes hold, spelt out. */
  private static String state(ProjectShard shard, List<Backup> stored, List<Backup> removed) {
    StringBuilder state = new StringBuilder();
    state.append("bytes ").append(shard.estimatedIndexBytes()).append(", dead keys ").append(shard.deadKeys())
        .append(", size ").append(shard.size()).append(", live ").append(shard.liveCount()).append('\n');
    for (BackupStatus status : BackupStatus.values()) {
      state.append(status).append(' ').append(shard.statusSet(status).cardinality()).append('\n');
    }
    for (List<Backup> backups : List.of(stored, removed)) {
      for (Backup backup : backups) {
        state.append(backup.id()).append(" at ").append(shard.positionOf(backup.id()));
        for (Attribute attribute : Attribute.values()) {
          String value = attribute.valueOf(backup);
          Postings postings = value == null || attribute == Attribute.SERVER_ID ? null : shard.attributePostings(attribute, value);
          state.append(' ').append(postings == null ? -1 : postings.count());
        }
        state.append('\n');
      }
    }
    return state.toString();
  }
}
