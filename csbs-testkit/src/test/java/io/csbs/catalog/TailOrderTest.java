package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.testing.BackupGenerator;
import java.time.Instant;
import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The tail's seeks by creation time at the edges of a second, and its order of backups created at one
 * instant: by id, compared through the ids' keys where those differ. Replay with {@code -Dcsbs.seed=N}.
 */
class TailOrderTest {
  /** Characters at the edges of the key's byte: 0, 254, 255 (where the key stops) and above. */
  private static final char[] ALPHABET = {'\u0000', 'a', 'b', '\u00fe', '\u00ff', '\u0100', '\uffff'};

  @RepeatedTest(10)
  void anIdKeyThatIsLowerBelongsToTheLowerId() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        StringBuilder id = new StringBuilder();
        int length = random.nextInt(7);
        for (int c = 0; c < length; c++) {
          id.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        ids.add(id.toString());
      }
      for (String a : ids) {
        for (String b : ids) {
          if (Integer.compareUnsigned(TailOrder.idKey(a), TailOrder.idKey(b)) < 0) {
            assertTrue(a.compareTo(b) < 0, () -> "key of " + escaped(a) + " below the key of " + escaped(b));
          }
        }
      }
    });
  }

  /**
   * Backups created at one instant, inserted, moved and removed in random order, walk in the order of
   * their ids, whether the ids differ early (UUIDs: the keys decide, and hardly a row is read) or
   * share a prefix (the tie reads rows, as before the keys).
   */
  @RepeatedTest(10)
  void backupsOfOneInstantWalkInTheOrderOfTheirIds() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      boolean uuids = random.nextBoolean();
      Backup template = BackupGenerator.builder().seed(seed).projects(1).build().next();
      List<Backup> rows = new ArrayList<>();
      List<Integer> stored = new ArrayList<>();
      int[] reads = new int[1];
      java.util.function.IntFunction<Backup> rowAt = position -> {
        reads[0]++;
        return rows.get(position);
      };
      TailOrder tail = new TailOrder();
      for (int i = 0; i < 2000; i++) {
        String id = uuids ? new UUID(random.nextLong(), random.nextLong()).toString() : "import-" + random.nextInt(1_000_000) + "-" + i;
        rows.add(template.toBuilder().id(id).build());
        tail.insert(i, rows.get(i), rowAt);
        stored.add(i);
        if (random.nextInt(4) == 0) {
          int position = stored.remove(random.nextInt(stored.size()));
          tail.remove(position, rows.get(position), rowAt);
        }
      }
      if (uuids) {
        assertTrue(reads[0] < 200, () -> reads[0] + " rows read to order 2000 backups of UUIDs");
      }
      stored.sort(Comparator.comparing(position -> rows.get(position).id()));
      List<Integer> walked = new ArrayList<>();
      for (long c = tail.first(); c != TailOrder.END; c = tail.next(c)) {
        walked.add(tail.at(c));
      }
      assertEquals(stored, walked);
    });
  }

  private static String escaped(String id) {
    StringBuilder text = new StringBuilder("\"");
    for (char c : id.toCharArray()) {
      text.append(c >= 'a' && c <= 'z' ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return text.append('"').toString();
  }

  @Test
  void anExclusiveStartAtTheLastNanoOfASecondStartsAtTheNextSecond() {
    BackupGenerator generator = BackupGenerator.builder().seed(3).projects(1).build();
    Backup template = generator.next();
    while (template.status() != io.csbs.backup.BackupStatus.AVAILABLE) {
      template = generator.next();
    }
    // the last nano of the second before the template's creation: its other times stay after both
    Instant lastNano = template.createdAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).minusNanos(1);
    List<Backup> rows = new ArrayList<>();
    rows.add(template.toBuilder().id("b").createdAt(lastNano).build());
    rows.add(template.toBuilder().id("a").createdAt(lastNano).build());
    Instant next = lastNano.plusNanos(1);
    rows.add(template.toBuilder().id("c").createdAt(next).build());
    TailOrder tail = new TailOrder();
    for (int position = 0; position < rows.size(); position++) {
      tail.insert(position, rows.get(position), rows::get);
    }
    // same instant: by id, so "a" (position 1) before "b" (position 0)
    assertEquals(1, tail.at(tail.first()));
    assertEquals(0, tail.at(tail.next(tail.first())));
    assertEquals(2, tail.at(tail.last()));

    assertEquals(1, tail.at(tail.firstFrom(lastNano, true)));
    assertEquals(2, tail.at(tail.firstFrom(lastNano, false)));
    assertEquals(TailOrder.END, tail.firstFrom(next, false));
    assertEquals(2, tail.at(tail.firstFrom(next, true)));

    long c = tail.firstFrom(next, true);
    assertTrue(tail.createdAfter(c, lastNano, false));
    assertFalse(tail.createdAfter(c, next, false));
    assertTrue(tail.createdAfter(c, next, true));

    tail.move(0, 7, rows.get(0), position -> rows.get(position == 7 ? 0 : position));
    assertEquals(7, tail.at(tail.next(tail.first())));
  }
}
