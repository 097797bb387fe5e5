package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** {@link GapList} reads back what was appended, for gaps of every varint length. */
class GapListTest {

  @RepeatedTest(30)
  void readsBackEveryAppendedValueInOrder() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      List<Integer> values = new ArrayList<>();
      byte[] list = null;
      long value = -1;
      int length = random.nextInt(2000);
      for (int i = 0; i < length; i++) {
        int bits = 1 + random.nextInt(random.nextInt(4) == 0 ? 31 : 8);
        value += 1 + random.nextLong(1L << (bits - 1));
        if (value > Integer.MAX_VALUE) {
          break;
        }
        list = GapList.append(list, (int) value);
        values.add((int) value);
        assertEquals(values.size(), GapList.count(list));
        assertEquals((int) value, GapList.last(list));
      }
      GapList.Reader reader = new GapList.Reader(list);
      for (int expected : values) {
        assertEquals(expected, reader.next());
      }
    });
  }

  @Test
  void anEmptyListCountsZero() {
    assertEquals(0, GapList.count(null));
  }

  @Test
  void startsAtZeroAndReachesTheLargestInt() {
    byte[] list = GapList.append(GapList.append(null, 0), Integer.MAX_VALUE);
    GapList.Reader reader = new GapList.Reader(list);
    assertEquals(0, reader.next());
    assertEquals(Integer.MAX_VALUE, reader.next());
  }

  @Test
  void refusesAValueThatIsNotAboveTheLast() {
    byte[] list = GapList.append(null, 5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GapList.append(list, 5));
    assertEquals("value 5 must be above the last value 5", e.getMessage());
  }
}
