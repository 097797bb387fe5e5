package io.csbs.catalog;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * The entries of an ungrouped {@link TextIndex} (backup names) in the order of their texts, compared
 * char by char as {@link io.csbs.query.SortField#NAME} sorts: a sort by name walks the distinct names
 * in order and reads each one's rows, and stops when the page is full, instead of reading every
 * match into a heap. Entry numbers are kept in blocks of at most {@value #BLOCK}, so a new name is
 * placed by two binary searches (over the blocks' first texts, then in one block) and moves at most
 * a block. Texts are distinct in an ungrouped index, so the order is total.
 *
 * <p>A block packs its entry numbers in as many bits as its largest needs (20 for a million names,
 * where an {@code int} would take 32): with mostly distinct names the order holds an entry a
 * backup, and the 1.5 bytes a backup this saves were a tenth of the memory goal's margin. A new entry
 * has the highest number yet, so it may widen its block: the block is repacked, at most {@value
 * #BLOCK} numbers.
 *
 * <p>A cursor is a {@code long}: the block in the high half, the index in it in the low half; {@link
 * #END} stands for none.
 *
 * <pre>{@code
 * EntryOrder order = EntryOrder.sorted(entries, texts::get);
 * for (long c = order.ceiling("autobk_b", true); c != EntryOrder.END; c = order.next(c)) {
 *   int entry = order.at(c);  // the names from "autobk_b" on, in order
 * }
 * }</pre>
 */
final class EntryOrder {
  /** No entry: past either end. */
  static final long END = -1L;
  static final int BLOCK = 512;
  /**
   * Blocks built at once are full and exactly sized: a name added later splits its block in two
   * halves, with room for the next ones, a copy of at most a block.
   */
  private static final int FILL = BLOCK;

  private final IntFunction<String> textOf;
  /** Each block's entry numbers, {@link #widths} bits each, packed little-end first in longs. */
  private long[][] blocks;
  private int[] widths;
  private int[] lengths;
  private int blockCount;
  private int size;

  private EntryOrder(IntFunction<String> textOf, long[][] blocks, int[] widths, int[] lengths, int blockCount, int size) {
    this.textOf = textOf;
    this.blocks = blocks;
    this.widths = widths;
    this.lengths = lengths;
    this.blockCount = blockCount;
    this.size = size;
  }

  /**
   * Entries {@code 0 .. entries - 1} in the order of {@code textOf}, sorted at once; those without a
   * text (null: entries an index let go of) are left out.
   */
  static EntryOrder sorted(int numbers, IntFunction<String> textOf) {
    String[] texts = new String[numbers];
    Prefixes prefixes = new Prefixes(numbers);
    if (numbers < PARALLEL) {
      readTexts(0, numbers, textOf, texts, prefixes);
    } else {
      // reading a text is a few dependent cache misses (its row, the backup, the string, its chars)
      // and most of a build: a second core reads the upper half beside this one. The caller holds
      // the shard's lock, so nothing changes under either
      int half = numbers >>> 1;
      SecondCore.run(() -> readTexts(0, half, textOf, texts, prefixes),
          () -> readTexts(half, numbers, textOf, texts, prefixes));
    }
    return sorted(numbers, texts, prefixes, textOf);
  }

  /** Builds of at least this many entries read and sort their texts on two threads. */
  static final int PARALLEL = 1 << 16;

  /** Reads the texts of entries {@code [from, to)} into {@code texts} and their first keys into {@code prefixes}. */
  private static void readTexts(int from, int to, IntFunction<String> textOf, String[] texts, Prefixes prefixes) {
    int[] lengths = new int[READ_CHUNK];
    for (int start = from; start < to; start += READ_CHUNK) {
      int end = Math.min(to, start + READ_CHUNK);
      // three passes over a chunk, each a cache miss an entry that depends on no other entry's, so
      // that the processor has many in flight: the backups (their names), the names and their chars'
      // arrays (the lengths), then the first chars, from the cache
      for (int entry = start; entry < end; entry++) {
        texts[entry] = textOf.apply(entry);
      }
      for (int entry = start; entry < end; entry++) {
        String text = texts[entry];
        lengths[entry - start] = text == null ? -1 : text.length();
      }
      for (int entry = start; entry < end; entry++) {
        if (lengths[entry - start] >= 0) {
          prefixes.read(entry, texts[entry]);
        }
      }
    }
  }

  /** Entries a pass of {@link #readTexts} reads before the next pass: their strings stay in a core's cache. */
  private static final int READ_CHUNK = 512;

  /**
   * The first 16 chars of each text read, as the two keys of the sort's first two levels ({@link
   * #sortByText}), taken as the texts are read (from the cache, in a chunk's last pass): those
   * levels then read no text (a string and its chars, two cache misses, each level, where the texts
   * of millions of names lie far apart). Void once a text has a char past Latin-1 in them: the sort
   * works its keys out then.
   */
  private static final class Prefixes {
    private final long[] first;
    private final long[] second;
    /**
     * Cleared (never set) by whichever reading thread meets a wide char; the join that ends a read
     * on two threads makes either's clearing seen.
     */
    private boolean narrow = true;

    Prefixes(int entries) {
      first = new long[entries];
      second = new long[entries];
    }

    /** Takes the keys of {@code entry}'s text (null: none, sorted by nothing). */
    void read(int entry, String text) {
      if (text == null || !narrow) {
        return;
      }
      long one = 0;
      long two = 0;
      for (int c = 0; c < 16; c++) {
        int ch = c < text.length() ? text.charAt(c) : 0;
        if (ch > 0xFF) {
          narrow = false;
          return;
        }
        if (c < 8) {
          one = one << 8 | ch;
        } else {
          two = two << 8 | ch;
        }
      }
      first[entry] = one;
      second[entry] = two;
    }

    /** Whether the keys at {@code depth} were taken: the first two levels, if every text is Latin-1 in its first 16 chars. */
    private boolean has(int depth) {
      return narrow && (depth == 0 || depth == 8);
    }

    private long key(int depth, int entry) {
      return depth == 0 ? first[entry] : second[entry];
    }
  }

  /** Entries {@code 0 .. numbers - 1} in the order of their {@code texts} (null: left out), whose first keys {@code prefixes} took. */
  private static EntryOrder sorted(int numbers, String[] texts, Prefixes prefixes, IntFunction<String> textOf) {
    int[] order = new int[numbers];
    int entries = 0;
    for (int entry = 0; entry < numbers; entry++) {
      if (texts[entry] != null) {
        order[entries++] = entry;
      }
    }
    sortByText(order, entries, texts, prefixes);
    int blockCount = Math.max(1, (entries + FILL - 1) / FILL);
    long[][] blocks = new long[Math.max(4, blockCount)][];
    int[] widths = new int[blocks.length];
    int[] lengths = new int[blocks.length];
    int width = widthOf(numbers - 1);
    for (int b = 0; b < blockCount; b++) {
      int from = b * FILL;
      int length = Math.min(FILL, entries - from);
      blocks[b] = new long[wordsFor(Math.max(length, 16), width)];  // exact, but never tiny
      widths[b] = width;
      for (int i = 0; i < length; i++) {
        put(blocks[b], width, i, order[from + i]);
      }
      lengths[b] = length;
    }
    return new EntryOrder(textOf, blocks, widths, lengths, blockCount, entries);
  }

  /** The bits an entry number up to {@code largest} needs: at least one. */
  private static int widthOf(int largest) {
    return Math.max(1, 32 - Integer.numberOfLeadingZeros(largest));
  }

  private static int wordsFor(int values, int width) {
    return (int) (((long) values * width + 63) >>> 6);
  }

  /** The number at {@code index} of a block packed {@code width} bits a number. */
  private static int get(long[] words, int width, int index) {
    long bit = (long) index * width;
    int word = (int) (bit >>> 6);
    int shift = (int) (bit & 63);
    long value = words[word] >>> shift;
    if (shift + width > 64) {
      value |= words[word + 1] << (64 - shift);
    }
    return (int) (value & ((1L << width) - 1));
  }

  private static void put(long[] words, int width, int index, int value) {
    long bit = (long) index * width;
    int word = (int) (bit >>> 6);
    int shift = (int) (bit & 63);
    long mask = (1L << width) - 1;
    words[word] = words[word] & ~(mask << shift) | ((long) value & mask) << shift;
    if (shift + width > 64) {
      int spilled = 64 - shift;
      words[word + 1] = words[word + 1] & ~(mask >>> spilled) | ((long) value & mask) >>> spilled;
    }
  }

  /** How many numbers {@code block} has room for. */
  private int capacity(int block) {
    return (int) (((long) blocks[block].length << 6) / widths[block]);
  }

  /** Repacks {@code block} {@code width} bits a number, with room for {@code room} numbers. */
  private void repack(int block, int width, int room) {
    blocks[block] = copy(block, 0, lengths[block], width, room);
    widths[block] = width;
  }

  /** Numbers {@code [from, to)} of {@code block}, packed {@code width} bits each into room for {@code room}. */
  private long[] copy(int block, int from, int to, int width, int room) {
    long[] packed = new long[wordsFor(room, width)];
    for (int i = from; i < to; i++) {
      put(packed, width, i - from, get(blocks[block], widths[block], i));
    }
    return packed;
  }

  /** Ranges at most this long are sorted by comparing their texts, one insertion at a time. */
  private static final int INSERTION = 16;
  /** Ranges at least this long sort their keys by radix, the shorter ones by insertion. */
  private static final int RADIX = 256;

  /**
   * Sorts {@code values[0 .. count)}, entry numbers of distinct non-null texts, in the order of {@link
   * String#compareTo}. A comparison sort of a few million names read two strings a comparison,
   * cache misses each, 22 times over (5 s for 5M names): this one reads each text once a level into
   * a {@code long} key of its next 8 chars (4 where one of them is past Latin-1), sorts the keys,
   * and goes one level deeper only among texts whose keys tie: a name like {@code
   * autobk_1a2b-0c3d4e5f} takes two or three levels.
   */
  private static void sortByText(int[] values, int count, String[] texts, Prefixes prefixes) {
    boolean inOrder = true;
    for (int i = 1; i < count && inOrder; i++) {
      inOrder = texts[values[i - 1]].compareTo(texts[values[i]]) < 0;
    }
    if (inOrder) {
      return;  // names added in order cost one pass
    }
    sortLevel(values, new long[count], new int[count], new long[count], 0, count, 0, texts, prefixes,
        count >= PARALLEL);
  }

  /**
   * Sorts {@code values[from .. to)}, texts equal in their first {@code depth} chars, by the chars
   * from {@code depth} on.
   */
  private static void sortLevel(int[] values, long[] keys, int[] valueScratch, long[] keyScratch, int from, int to,
      int depth, String[] texts, Prefixes prefixes, boolean split) {
    if (to - from <= INSERTION) {
      insertionByText(values, from, to, texts);
      return;
    }
    boolean wide = false;
    boolean reached = false;  // whether any text has a char at this level
    if (prefixes.has(depth)) {
      for (int i = from; i < to; i++) {
        keys[i] = prefixes.key(depth, values[i]);
      }
      // taken as if a text reached the level: if none did, the keys all tie at 0 and the next level,
      // which reads the texts, finds out
      reached = true;
    } else {
      for (int i = from; i < to && !wide; i++) {
        String text = texts[values[i]];
        long key = 0;
        for (int c = 0; c < 8; c++) {
          int at = depth + c;
          int ch = at < text.length() ? text.charAt(at) : 0;  // past the end sorts first: a prefix comes before
          if (ch > 0xFF) {
            wide = true;
            break;
          }
          key = key << 8 | ch;
        }
        keys[i] = key;
        reached |= text.length() > depth;
      }
    }
    int step = 8;
    if (wide) {
      step = 4;
      for (int i = from; i < to; i++) {
        String text = texts[values[i]];
        long key = 0;
        for (int c = 0; c < 4; c++) {
          int at = depth + c;
          key = key << 16 | (at < text.length() ? text.charAt(at) : 0);
        }
        keys[i] = key;
      }
    }
    if (!reached) {
      // every text ended at an earlier level, where the zeros that pad it tied with real '\0' chars
      // of another: texts that differ only in how many '\0' they end with, a handful
      insertionByText(values, from, to, texts);
      return;
    }
    int tie = from + 1;
    while (tie < to && keys[tie] == keys[from]) {
      tie++;
    }
    if (tie == to) {
      // every key ties: the texts share these chars, and maybe many more (names of one long stem);
      // one pass finds how many, where a level a pass would read every text again for each 8
      String first = texts[values[from]];
      int shared = first.length();
      for (int i = from + 1; i < to && shared > depth + step; i++) {
        String text = texts[values[i]];
        int limit = Math.min(shared, text.length());
        int at = depth + step;
        while (at < limit && text.charAt(at) == first.charAt(at)) {
          at++;
        }
        shared = at;
      }
      sortLevel(values, keys, valueScratch, keyScratch, from, to, Math.max(depth + step, shared), texts, prefixes,
          split);
      return;
    }
    if (to - from >= RADIX) {
      radixByKey(values, keys, valueScratch, keyScratch, from, to);
    } else {
      insertionByKey(values, keys, from, to);
    }
    int next = depth + step;
    int middle = split && to - from >= PARALLEL ? groupStartNear((from + to) >>> 1, keys, from, to) : from;
    if (middle == from) {
      sortGroups(values, keys, valueScratch, keyScratch, from, to, next, texts, prefixes);
      return;
    }
    // the groups are disjoint ranges of every array here: a second core sorts the upper ones (whose
    // texts are read again from the third level on, cache misses each)
    SecondCore.run(() -> sortGroups(values, keys, valueScratch, keyScratch, from, middle, next, texts, prefixes),
        () -> sortGroups(values, keys, valueScratch, keyScratch, middle, to, next, texts, prefixes));
  }

  /** Sorts, by the chars from {@code depth} on, each run of tied keys in {@code [from, to)}, sorted by key. */
  private static void sortGroups(int[] values, long[] keys, int[] valueScratch, long[] keyScratch, int from, int to,
      int depth, String[] texts, Prefixes prefixes) {
    for (int start = from; start < to; ) {
      int end = start + 1;
      while (end < to && keys[end] == keys[start]) {
        end++;
      }
      if (end - start > 1) {
        sortLevel(values, keys, valueScratch, keyScratch, start, end, depth, texts, prefixes, false);
      }
      start = end;
    }
  }

  /**
   * The start of a run of tied keys in the sorted {@code keys[from .. to)}: the first at or after
   * {@code near}, else the last before it; {@code from} when the range is one run.
   */
  private static int groupStartNear(int near, long[] keys, int from, int to) {
    for (int at = Math.max(near, from + 1); at < to; at++) {
      if (keys[at] != keys[at - 1]) {
        return at;
      }
    }
    for (int at = Math.min(near, to - 1); at > from; at--) {
      if (keys[at] != keys[at - 1]) {
        return at;
      }
    }
    return from;
  }

  private static void insertionByText(int[] values, int from, int to, String[] texts) {
    for (int i = from + 1; i < to; i++) {
      int moving = values[i];
      String text = texts[moving];
      int j = i - 1;
      while (j >= from && texts[values[j]].compareTo(text) > 0) {
        values[j + 1] = values[j];
        j--;
      }
      values[j + 1] = moving;
    }
  }

  private static void insertionByKey(int[] values, long[] keys, int from, int to) {
    for (int i = from + 1; i < to; i++) {
      int moving = values[i];
      long key = keys[i];
      int j = i - 1;
      while (j >= from && Long.compareUnsigned(keys[j], key) > 0) {
        values[j + 1] = values[j];
        keys[j + 1] = keys[j];
        j--;
      }
      values[j + 1] = moving;
      keys[j + 1] = key;
    }
  }

  /** LSD radix sort of {@code keys[from .. to)} (unsigned), a byte a pass, moving {@code values} alongside. */
  private static void radixByKey(int[] values, long[] keys, int[] valueScratch, long[] keyScratch, int from, int to) {
    int[] counts = new int[257];
    for (int shift = 0; shift < 64; shift += 8) {
      Arrays.fill(counts, 0);
      for (int i = from; i < to; i++) {
        counts[(int) (keys[i] >>> shift & 0xFF) + 1]++;
      }
      if (counts[(int) (keys[from] >>> shift & 0xFF) + 1] == to - from) {
        continue;  // every key has this byte: the pass would move nothing (the common prefix of names)
      }
      for (int d = 0; d < 256; d++) {
        counts[d + 1] += counts[d];
      }
      for (int i = from; i < to; i++) {
        int at = from + counts[(int) (keys[i] >>> shift & 0xFF)]++;
        keyScratch[at] = keys[i];
        valueScratch[at] = values[i];
      }
      System.arraycopy(keyScratch, from, keys, from, to - from);
      System.arraycopy(valueScratch, from, values, from, to - from);
    }
  }

  int size() {
    return size;
  }

  /** About the bytes the blocks take on the heap. */
  long estimatedBytes() {
    long bytes = 48 + 3 * (16 + 8L * blocks.length);
    for (int b = 0; b < blockCount; b++) {
      bytes += 16 + 8L * blocks[b].length;
    }
    return bytes;
  }

  /** Places a new entry, whose text no entry has, at its place in the order. */
  void insert(int entry) {
    String text = textOf.apply(entry);
    int block = blockOf(text);
    int index = indexAfter(block, text, true);
    if (lengths[block] == BLOCK) {
      split(block);
      if (index > lengths[block]) {
        index -= lengths[block];
        block++;
      }
    }
    int length = lengths[block];
    int width = Math.max(widths[block], widthOf(entry));
    if (width > widths[block] || length == capacity(block)) {
      repack(block, width, Math.min(BLOCK, Math.max(16, 2 * length)));
    }
    long[] words = blocks[block];
    for (int i = length; i > index; i--) {  // a shift of at most a block, number by number
      put(words, width, i, get(words, width, i - 1));
    }
    put(words, width, index, entry);
    lengths[block]++;
    size++;
  }

  /**
   * Takes out {@code entry}, whose text is {@code text} (still readable, like every other entry's,
   * while it is taken out). A block left empty leaves the order; blocks are not merged (a
   * reorganisation builds the order afresh).
   */
  void remove(int entry, String text) {
    int block = blockOf(text);
    int index = indexAfter(block, text, false);
    if (index >= lengths[block] || at(block, index) != entry) {
      throw new IllegalStateException("entry " + entry + " is not in the order at its text");
    }
    long[] words = blocks[block];
    int width = widths[block];
    for (int i = index + 1; i < lengths[block]; i++) {
      put(words, width, i - 1, get(words, width, i));
    }
    lengths[block]--;
    size--;
    if (lengths[block] == 0 && blockCount > 1) {
      System.arraycopy(blocks, block + 1, blocks, block, blockCount - block - 1);
      System.arraycopy(widths, block + 1, widths, block, blockCount - block - 1);
      System.arraycopy(lengths, block + 1, lengths, block, blockCount - block - 1);
      blockCount--;
      blocks[blockCount] = null;
    }
  }

  /** The entry at a cursor. */
  int at(long cursor) {
    return at((int) (cursor >>> 32), (int) cursor);
  }

  private int at(int block, int index) {
    return get(blocks[block], widths[block], index);
  }

  /** The first entry's cursor, or {@link #END}. */
  long first() {
    return size == 0 ? END : forward(0, 0);
  }

  /** The last entry's cursor, or {@link #END}. */
  long last() {
    return size == 0 ? END : backward(blockCount - 1, lengths[blockCount - 1] - 1);
  }

  long next(long cursor) {
    return forward((int) (cursor >>> 32), (int) cursor + 1);
  }

  long previous(long cursor) {
    return backward((int) (cursor >>> 32), (int) cursor - 1);
  }

  /** The first entry whose text is after {@code text} (or equal to it, when {@code inclusive}), or {@link #END}. */
  long ceiling(String text, boolean inclusive) {
    if (size == 0) {
      return END;
    }
    int block = blockOf(text);
    return forward(block, indexAfter(block, text, !inclusive));
  }

  /** The last entry whose text is before {@code text} (or equal to it, when {@code inclusive}), or {@link #END}. */
  long floor(String text, boolean inclusive) {
    if (size == 0) {
      return END;
    }
    int block = blockOf(text);
    return backward(block, indexAfter(block, text, inclusive) - 1);
  }

  /** The cursor of index {@code index} of {@code block}, or of the next entry if past its end. */
  private long forward(int block, int index) {
    while (block < blockCount && index >= lengths[block]) {
      block++;
      index = 0;
    }
    return block < blockCount ? (long) block << 32 | index : END;
  }

  /** The cursor of index {@code index} of {@code block}, or of the entry before it if below 0. */
  private long backward(int block, int index) {
    while (block >= 0 && index < 0) {
      block--;
      index = block >= 0 ? lengths[block] - 1 : -1;
    }
    return block >= 0 ? (long) block << 32 | index : END;
  }

  /** The last block whose first text is at or before {@code text}; the first block if none is. */
  private int blockOf(String text) {
    int low = 1;
    int high = blockCount - 1;
    int found = 0;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      // an empty block (only the first may be empty, in an empty order) has no first text
      if (lengths[middle] > 0 && textOf.apply(at(middle, 0)).compareTo(text) <= 0) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  /**
   * The index in {@code block} of the first entry whose text is after {@code text}, or at it when
   * {@code atIncluded} is false: the entries before the index are before {@code text} (or at it).
   */
  private int indexAfter(int block, String text, boolean atIncluded) {
    int low = 0;
    int high = lengths[block];
    while (low < high) {
      int middle = (low + high) >>> 1;
      int comparison = textOf.apply(at(block, middle)).compareTo(text);
      if (comparison < 0 || comparison == 0 && atIncluded) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  private void split(int block) {
    if (blockCount == blocks.length) {
      blocks = Arrays.copyOf(blocks, blockCount * 2);
      widths = Arrays.copyOf(widths, blockCount * 2);
      lengths = Arrays.copyOf(lengths, blockCount * 2);
    }
    System.arraycopy(blocks, block + 1, blocks, block + 2, blockCount - block - 1);
    System.arraycopy(widths, block + 1, widths, block + 2, blockCount - block - 1);
    System.arraycopy(lengths, block + 1, lengths, block + 2, blockCount - block - 1);
    int half = lengths[block] / 2;
    blocks[block + 1] = copy(block, half, lengths[block], widths[block], BLOCK);
    widths[block + 1] = widths[block];
    lengths[block + 1] = lengths[block] - half;
    lengths[block] = half;
    blockCount++;
  }
}
