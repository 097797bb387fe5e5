package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.csbs.testing.Seeds;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.RepeatedTest;

/**
 * {@link TimeOrder} against a sorted set of (second, nano, key, value) under random insertions and
 * removals, over enough entries for tens of blocks, with many entries at one instant and key (ordered
 * by value, the tie), keys that are negative as ints (the order takes them unsigned), and removals of
 * blocks' first entries: seeks and counts by instant, with and without the key and the tie, agree
 * with the set, and so does a walk of every entry; an order without keys, against a set whose keys
 * are all 0. Removals find their entry with the tie or without. The block table's copy of each
 * block's first instant, which a seek searches, must follow every insertion, removal, split and
 * shift. Replay with {@code -Dcsbs.seed=N}.
 */
class TimeOrderModelTest {
  private record Entry(long second, int nano, int key, int value) implements Comparable<Entry> {
    @Override
    public int compareTo(Entry other) {
      int order = Long.compare(second, other.second);
      if (order == 0) {
        order = Integer.compare(nano, other.nano);
      }
      if (order == 0) {
        order = Integer.compareUnsigned(key, other.key);
      }
      return order != 0 ? order : Integer.compare(value, other.value);
    }
  }

  /** Few keys, two of them negative as ints: many entries share an instant and a key. */
  private static final int[] KEYS = {0, 1, 7, Integer.MIN_VALUE, -1};

  @RepeatedTest(10)
  void seeksAndWalksAnswerLikeASortedSet() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      boolean keyed = random.nextBoolean();
      TimeOrder order = new TimeOrder(keyed);
      TreeSet<Entry> model = new TreeSet<>();
      List<Entry> stored = new ArrayList<>();
      Map<Integer, Entry> entries = new HashMap<>();
      // few distinct seconds and nanos: many entries share an instant, so the tie decides
      int seconds = 1 + random.nextInt(2000);
      int steps = 20_000 + random.nextInt(20_000);
      int nextValue = 0;
      for (int step = 0; step < steps; step++) {
        if (stored.isEmpty() || random.nextInt(3) > 0) {
          Entry entry = new Entry(random.nextInt(seconds), random.nextInt(3), keyed ? KEYS[random.nextInt(KEYS.length)] : 0, nextValue++);
          order.insert(entry.second(), entry.nano(), entry.key(), entry.value(), byValue(entry.value()));
          model.add(entry);
          stored.add(entry);
          entries.put(entry.value(), entry);
        } else {
          // often a block's first entry: the smallest entry of the set, or one at the same instant
          Entry entry = random.nextInt(4) == 0 ? model.first() : stored.get(random.nextInt(stored.size()));
          order.remove(entry.second(), entry.nano(), entry.key(), entry.value(),
              random.nextBoolean() ? byValue(entry.value()) : null);
          model.remove(entry);
          stored.remove(entry);
        }
        if (random.nextInt(500) == 0) {
          order.trim();  // full blocks, which the next inserts split
        }
        assertEquals(model.size(), order.size(), "size");
        long second = random.nextInt(seconds + 1) - (random.nextInt(10) == 0 ? 1 : 0);
        int nano = random.nextInt(3);
        Entry probe = new Entry(second, nano, keyed ? KEYS[random.nextInt(KEYS.length)] : 0, random.nextInt(nextValue + 1));
        assertEquals(model.ceiling(new Entry(second, nano, 0, Integer.MIN_VALUE)), entryAt(order, order.seek(second, nano, null), entries),
            () -> "first entry at or after " + second + "s " + nano + "ns");
        assertEquals(model.ceiling(new Entry(second, nano, probe.key(), Integer.MIN_VALUE)),
            entryAt(order, order.seek(second, nano, probe.key(), null), entries),
            () -> "first entry at or after " + second + "s " + nano + "ns, key " + probe.key());
        assertEquals(model.ceiling(probe), entryAt(order, order.seek(second, nano, probe.key(), byValue(probe.value())), entries),
            () -> "first entry at or after " + probe);
        if (step % 16 == 0) {  // the values between two seeks, set as bits, against a walk between them
          long from = order.seek(second, nano, null);
          long second2 = second + random.nextInt(50) - 5;
          long to = random.nextInt(8) == 0 ? TimeOrder.END : order.seek(second2, random.nextInt(3), null);
          long[] bits = new long[(nextValue >>> 6) + 1];
          int set = order.setBits(from, to, bits, 0);
          long[] walked = new long[bits.length];
          int count = 0;
          for (long c = from; c != TimeOrder.END && (to == TimeOrder.END || c < to); c = order.next(c)) {
            walked[order.at(c) >>> 6] |= 1L << order.at(c);
            count++;
          }
          assertEquals(count, set, "values set between two seeks");
          org.junit.jupiter.api.Assertions.assertArrayEquals(walked, bits, "bits set between two seeks");
        }
        if (step % 64 == 0) {  // a head set counts by walking it
          assertEquals(model.headSet(new Entry(second, nano, 0, Integer.MIN_VALUE)).size(), order.countBefore(second, nano),
              "count before");
        }
        if (step % 2000 == 0) {
          Iterator<Entry> expected = model.iterator();
          for (long c = order.first(); c != TimeOrder.END; c = order.next(c)) {
            assertEquals(expected.next(), entryAt(order, c, entries), "walk");
          }
          assertFalse(expected.hasNext(), "walk ends with the set");
        }
      }
    });
  }

  private static TimeOrder.Tie byValue(int value) {
    return stored -> Integer.compare(stored, value);
  }

  /** The entry at {@code cursor}, or null at {@link TimeOrder#END}: values are unique, so a value names its entry. */
  private static Entry entryAt(TimeOrder order, long cursor, Map<Integer, Entry> byValue) {
    return cursor == TimeOrder.END ? null : byValue.get(order.at(cursor));
  }
}
