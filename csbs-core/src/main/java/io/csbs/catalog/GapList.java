package io.csbs.catalog;

import java.util.Arrays;

/**
 * An ascending list of non-negative ints packed into a {@code byte[]}: a header (count, last value,
 * bytes in use), then the gap from each value to the one before as a varint (7 bits a byte). The
 * text indexes keep, for each trigram, the ascending numbers of the blocks of entries containing it;
 * the gaps are small, so most take one byte instead of four, and a million backup names cost a few
 * MB of lists rather than tens.
 *
 * <pre>{@code
 * byte[] list = GapList.append(GapList.append(null, 3), 130);
 * GapList.Reader reader = new GapList.Reader(list);
 * reader.next(); // 3
 * reader.next(); // 130
 * }</pre>
 */
final class GapList {
  private static final int COUNT = 0;
  private static final int LAST = 4;
  private static final int USED = 8;
  private static final int HEADER = 12;

  private GapList() {}

  /** How many values {@code list} holds; 0 for null. */
  static int count(byte[] list) {
    return list == null ? 0 : readInt(list, COUNT);
  }

  /** The largest value of a non-empty {@code list}. */
  static int last(byte[] list) {
    return readInt(list, LAST);
  }

  /**
   * {@code list} (null for an empty one) with {@code value} appended; the same array while it has
   * room, else a larger copy.
   *
   * @throws IllegalArgumentException if {@code value} is not above the last value
   */
  static byte[] append(byte[] list, int value) {
    if (list == null) {
      list = new byte[HEADER + 4];
      writeInt(list, LAST, -1);
      writeInt(list, USED, HEADER);
    }
    int last = readInt(list, LAST);
    if (value <= last) {
      throw new IllegalArgumentException("value " + value + " must be above the last value " + last);
    }
    int used = readInt(list, USED);
    if (used + 5 > list.length) {
      // by a sixteenth: the lists of a million distinct names are most of the text index's bytes,
      // and the room a list leaves unused is at most a sixteenth of it; the copies stay cheap, O(1)
      // a value, and short (a list that grows long becomes a bitmap in the text index)
      list = Arrays.copyOf(list, list.length + Math.max(8, (list.length - HEADER) >>> 4));
    }
    for (int gap = value - last; ; gap >>>= 7) {
      if (gap < 0x80) {
        list[used++] = (byte) gap;
        break;
      }
      list[used++] = (byte) (gap | 0x80);
    }
    writeInt(list, COUNT, readInt(list, COUNT) + 1);
    writeInt(list, LAST, value);
    writeInt(list, USED, used);
    return list;
  }

  /** Reads the values of a list in ascending order; {@link #next()} exactly {@link #count} times. */
  static final class Reader {
    private final byte[] list;
    private int offset = HEADER;
    private int value = -1;

    Reader(byte[] list) {
      this.list = list;
    }

    int next() {
      int gap = 0;
      for (int shift = 0; ; shift += 7) {
        byte b = list[offset++];
        gap |= (b & 0x7F) << shift;
        if (b >= 0) {
          break;
        }
      }
      value += gap;
      return value;
    }
  }

  private static int readInt(byte[] list, int at) {
    return (list[at] & 0xFF) | (list[at + 1] & 0xFF) << 8 | (list[at + 2] & 0xFF) << 16 | list[at + 3] << 24;
  }

  private static void writeInt(byte[] list, int at, int value) {
    list[at] = (byte) value;
    list[at + 1] = (byte) (value >>> 8);
    list[at + 2] = (byte) (value >>> 16);
    list[at + 3] = (byte) (value >>> 24);
  }
}
