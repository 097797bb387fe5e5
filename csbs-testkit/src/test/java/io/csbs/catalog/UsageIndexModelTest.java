package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.backup.Backup;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.Seeds;
import io.csbs.usage.ServerUsage;
import io.csbs.usage.UsageReport;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.RepeatedTest;

/**
 * {@link UsageIndex} against a sum over the live backups: servers emptied by removals (a retention
 * job), by the thousand between two reports, and given backups again, with reports at random
 * moments. Every total, server count and largest-first page equals the sum's. Replay with
 * {@code -Dcsbs.seed=N}.
 */
class UsageIndexModelTest {

  @RepeatedTest(10)
  void totalsEqualASumWhileServersEmptyAndFillAgain() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      int servers = 200 + random.nextInt(3000);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(servers).build();
      List<Backup> pool = generator.backups(servers * 3);
      UsageIndex index = new UsageIndex();
      List<Backup> live = new ArrayList<>();
      int loaded = random.nextInt(pool.size());
      index.addAll(pool.toArray(new Backup[0]), 0, loaded);
      live.addAll(pool.subList(0, loaded));
      int next = loaded;
      for (int step = 0; step < 20_000; step++) {
        int action = random.nextInt(100);
        if (action < 45 && next < pool.size()) {
          Backup backup = pool.get(next++);
          index.add(backup);
          live.add(backup);
        } else if (action < 45) {
          Backup backup = pool.get(random.nextInt(pool.size())).toBuilder().id("again-" + step).build();
          index.add(backup);
          live.add(backup);
        } else if (!live.isEmpty()) {
          // mostly the oldest: whole servers empty
          int at = random.nextInt(4) == 0 ? random.nextInt(live.size()) : 0;
          Backup backup = live.remove(at);
          index.remove(backup);
        }
        if (random.nextInt(2000) == 0 || step == 19_999) {
          check(index, live, random, "step " + step);
        }
      }
    });
  }

  private static void check(UsageIndex index, List<Backup> live, SplittableRandom random, String at) {
    UsageReport expected = UsageIndex.sum(live, 0, Integer.MAX_VALUE);
    int offset = random.nextInt(3) == 0 ? random.nextInt((int) expected.serverCount() + 1) : 0;
    int limit = 1 + random.nextInt(50);
    UsageReport page = index.report(offset, limit, serverId -> "-");
    UsageReport expectedPage = UsageIndex.sum(live, offset, limit);
    assertEquals(expected.backups(), page.backups(), at + ": backups");
    assertEquals(expected.sizeMb(), page.sizeMb(), at + ": size");
    assertEquals(expected.serverCount(), page.serverCount(), at + ": servers");
    assertEquals(totals(expectedPage.servers()), totals(page.servers()), at + ": page at " + offset);
  }

  private static List<String> totals(List<ServerUsage> servers) {
    return servers.stream().map(s -> s.serverId() + " " + s.backups() + " " + s.sizeMb()).collect(Collectors.toList());
  }
}
