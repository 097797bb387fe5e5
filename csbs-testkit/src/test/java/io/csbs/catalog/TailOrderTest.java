package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.testing.BackupGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tail's seeks by creation time at the edges of a second, and its order of backups created at one instant. */
class TailOrderTest {
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
