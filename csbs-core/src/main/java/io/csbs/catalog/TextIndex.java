package io.csbs.catalog;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A substring index over the distinct values of one text field: each distinct value is an entry with
 * the rows that carry it, and a trigram index over the lower-cased entries finds the entries
 * containing a text without reading every value. A search reads the candidates of the needle's
 * rarest trigrams and checks each exactly, then unions the rows of those that contain it. Real
 * backup lists repeat names ({@code autobk_xxxx}) and servers, so there are far fewer entries than
 * rows; but a list may also name every backup differently, an entry a row, so an entry is kept
 * small: see {@link #rows} and {@link #blocksByTrigram}.
 *
 * <p>Entries may belong to a group: server names are grouped by server id, an entry per (id, name),
 * so that the same rows answer both "server id is" (the union of the group's entries, one in
 * practice) and "server name contains", and no row is indexed twice. Entries are found through an
 * {@link IdIndex} keyed by (group, text), a table of entry numbers rather than a map of boxed
 * numbers, for the memory; like the entries themselves (in chunked arrays) it grows a slice
 * at a time, so that a new entry costs microseconds also when names are mostly distinct and the
 * entries number millions (a rehash of them all read every entry's text and group).
 */
final class TextIndex {
  /**
   * The block of an index of many entries (backup names): its trigram lists name blocks of {@value
   * #MANY_ENTRIES_BLOCK} consecutive entries, not entries. With mostly distinct names a rare
   * trigram's entries lie hundreds apart, two bytes a gap, and a block's gaps fit one byte, with up
   * to eight times fewer of them for a common trigram. A search checks the entries of a candidate
   * block exactly, as it checks a candidate entry, and narrows the blocks by a second trigram first
   * (see {@link Candidates}).
   */
  static final int MANY_ENTRIES_BLOCK = 8;
  /** An entry's {@link #rows} when it holds no row. */
  private static final int NO_ROWS = -1;
  /**
   * A second trigram's list narrows the candidates while it is at most this many times longer than
   * the rarest: decoding it costs less than checking the entries it rules out.
   */
  private static final int NARROWING_RATIO = 16;
  private static final int[] NO_ENTRIES = {0};

  /** Log2 of the entries a block: 3 for {@link #MANY_ENTRIES_BLOCK}, 0 for a block an entry. */
  private final int blockBits;
  /** The group of each entry; null for an index without groups (backup names), which saves a slot. */
  private final ChunkedArray<String> groups;
  /**
   * The text of each entry; with {@link #textOfRow}, only of an entry of one row left without it
   * (the others read their text from their row, or from {@link #multiTexts}: see {@link #text(int)}).
   */
  private final ChunkedArray<String> texts = new ChunkedArray<>();
  /**
   * The indexed text of the row at a position, or null: backup names are read from the rows instead
   * of being kept a second time per entry, four bytes an entry that, with mostly distinct names, is
   * four bytes a backup.
   */
  private java.util.function.IntFunction<String> textOfRow;
  /**
   * The lower-cased text of an entry whose text has upper case; null (and mostly no chunk at all) for
   * the others, whose text is its own lower case: backup and server names are mostly lower case.
   */
  private final ChunkedArray<String> lowerCase = new ChunkedArray<>();
  /**
   * The rows of each entry: the position of its only row ({@code >= 0}), {@link #NO_ROWS}, or {@code
   * -2 - i} for the {@link Postings} {@code multi[i]} once a second row came. With distinct names most
   * entries hold one row, and four bytes here replace a postings object and its array (about 56).
   * An entry that drops back to one row keeps its postings: entries with several rows are few, and a
   * reorganisation builds the index afresh.
   */
  private final ChunkedInts rows = new ChunkedInts();
  private final ChunkedArray<Postings> multi = new ChunkedArray<>();
  /**
   * With {@link #textOfRow}, the text of each {@code multi[i]}'s entry: a lookup that meets an entry
   * of several rows (a name many backups share, which most adds of such names meet) compares its
   * text here, two reads, rather than through the postings, a row and its backup, six dependent
   * reads. Four bytes an entry of several rows, which are few where names are mostly distinct.
   */
  private final ChunkedArray<String> multiTexts = new ChunkedArray<>();
  private int multiCount;
  private int entries;
  /**
   * Entries without rows: let go of (their numbers are not taken again), or kept for their text (an
   * entry of a group, or of several rows, which the same text takes again). A shard reorganises
   * once they outnumber its live rows ({@link #deadEntries()}).
   */
  private int deadEntries;
  /** (group, text) to entry number. */
  private final IdIndex slots;
  /**
   * Group to its first entry (found by the group of the entry at a position); null for an index
   * without groups. With {@link #nextInGroup}, the entries of a group, for "server id is": about 9
   * bytes a group, where a map of groups to lists of entries took about 55 (a byte a backup at 50
   * backups a server).
   */
  private final IdIndex groupHeads;
  /** The next entry of the same group after each entry, or -1: a chain from its group's head. */
  private final ChunkedInts nextInGroup = new ChunkedInts();
  /**
   * Trigram hash to the ascending numbers of the {@linkplain #blockBits blocks} of the entries that
   * contain a trigram with that hash: a {@link GapList} ({@code byte[]}) while the trigram is rare, a
   * bitmap of blocks once that is smaller ({@code long[]}, word 0 the count, block {@code b} at bit
   * {@code 64 + b}): a trigram of every name ({@code aut}) or of one in 16 names ({@code k_1})
   * costs a bit a block rather than a byte. Distinct trigrams may share a hash: a list is a superset
   * of the blocks, whose entries a search checks exactly anyway.
   */
  private final Map<Integer, Object> blocksByTrigram = new HashMap<>();
  /**
   * The entries in the order of their texts, for sorts by name; null until {@link #buildOrder()}:
   * four bytes a distinct name that only a project sorted by name pays for. Kept by {@link #add}
   * once built. Volatile: a reader may build it under the read lock ({@link #orderForReaders}).
   */
  private volatile EntryOrder order;

  /**
   * An index whose entries have a group ({@link #add} with a non-null group) or none, and whose
   * trigram lists name blocks of {@code block} entries (a power of two): {@link #MANY_ENTRIES_BLOCK}
   * for backup names, 1 for server names, which are few (a server has tens of backups), so that
   * their lists are small anyway and a search reads only the entries that have its trigrams.
   */
  TextIndex(boolean grouped, int block) {
    this(grouped, block, null);
  }

  /**
   * Like {@link #TextIndex(boolean, int)}, for an index whose text of a row at a position {@code
   * textOfRow} reads (from the rows, which stay at their positions while indexed there): then an
   * entry with rows keeps no reference to its text.
   */
  TextIndex(boolean grouped, int block, java.util.function.IntFunction<String> textOfRow) {
    if (Integer.bitCount(block) != 1) {
      throw new IllegalArgumentException("block " + block + " is not a power of two");
    }
    blockBits = Integer.numberOfTrailingZeros(block);
    groups = grouped ? new ChunkedArray<>() : null;
    this.textOfRow = textOfRow;
    slots = new IdIndex(this::text, grouped ? groups.reader() : null);
    groupHeads = grouped ? new IdIndex(groups.reader()) : null;
  }

  /**
   * Reads the texts of rows with {@code textOfRow} from now on (an index made with such a function):
   * while a shard's rows are being placed beside the index's build, the build reads the batch they
   * come from. The caller owns the index alone, or holds the write lock.
   */
  void readTextsWith(java.util.function.IntFunction<String> textOfRow) {
    if (this.textOfRow == null) {
      throw new IllegalStateException("an index that keeps its texts reads none from rows");
    }
    this.textOfRow = java.util.Objects.requireNonNull(textOfRow, "textOfRow");
  }

  /**
   * About the bytes the index takes on the heap: its tables, the rows of each entry and lower-cased
   * copy of those with upper case (the texts themselves are the backups' strings), the trigram lists
   * and the groups.
   */
  long estimatedBytes() {
    long bytes = 96 + texts.estimatedBytes() + lowerCase.estimatedBytes() + rows.estimatedBytes()
        + multi.estimatedBytes() + multiTexts.estimatedBytes() + (groups == null ? 0 : groups.estimatedBytes() + groupHeads.estimatedBytes() + nextInGroup.estimatedBytes())
        + slots.estimatedBytes();
    for (int i = 0; i < multiCount; i++) {
      bytes += multi.get(i).estimatedBytes();
    }
    for (int entry = 0; entry < entries; entry++) {
      String lower = lowerCase.peek(entry);
      if (lower != null) {
        bytes += 40 + lower.length();
      }
    }
    if (order != null) {
      bytes += order.estimatedBytes();
    }
    for (Object list : blocksByTrigram.values()) {
      // the array, the map's node and boxed key
      bytes += 16 + (list instanceof long[] ? 8L * ((long[]) list).length : ((byte[]) list).length) + 48;
    }
    return bytes;
  }

  /** Indexes row {@code position} under {@code text} in {@code group} (null for none). */
  void add(String group, String text, int position, int rowsInUse) {
    int entry = find(group, text);
    if (entry < 0) {
      newEntry(group, text, position);
      return;
    }
    int held = rows.get(entry);
    if (held == NO_ROWS) {
      rows.set(entry, position);
      deadEntries--;
    } else if (held >= 0) {
      if (held != position) {
        Postings postings = new Postings();
        postings.add(held, rowsInUse);
        postings.add(position, rowsInUse);
        multi.set(multiCount, postings);
        if (textOfRow != null) {
          multiTexts.set(multiCount, text);
        }
        rows.set(entry, -2 - multiCount++);
      }
    } else {
      Postings postings = multi.get(-2 - held);
      if (postings.count() == 0) {
        deadEntries--;
      }
      postings.add(position, rowsInUse);
    }
  }

  /** Whether {@code text} in {@code group} has an entry (with rows or without); changes nothing. */
  boolean contains(String group, String text) {
    return find(group, text) >= 0;
  }

  void remove(String group, String text, int position) {
    int entry = find(group, text);
    if (entry < 0) {
      return;
    }
    int held = rows.get(entry);
    if (held == position) {
      if (groups == null) {
        forget(entry, text);
      } else {
        keepText(entry, text);
        rows.set(entry, NO_ROWS);
      }
      deadEntries++;
    } else if (held < NO_ROWS) {
      if (multi.get(-2 - held).remove(position)) {  // its text stays in multiTexts
        deadEntries++;
      }
    }
  }

  /**
   * How many entries hold no row: each still costs its slots in the entry arrays and, let go of, its
   * block's places in the trigram lists, until a reorganisation builds the index afresh.
   */
  int deadEntries() {
    return deadEntries;
  }

  /**
   * Lets go of the room the postings of entries of several rows keep to grow ({@link Postings#trim()}),
   * and of the spare slots of the table of entries ({@link IdIndex#compact()}).
   */
  void trim() {
    for (int i = 0; i < multiCount; i++) {
      multi.get(i).trim();
    }
    slots.compact();
    if (groupHeads != null) {
      groupHeads.compact();
    }
  }

  /**
   * Lets go of an entry of one row about to lose it, in an index without groups: out of the order of
   * texts, if built, and out of the table of texts (while its row, which gives its text, is still
   * there), its text and lower case dropped. With mostly distinct names, each backup a retention job
   * removed kept its name (a string, about 60 bytes) until a reorganisation. The entry's number
   * stays unused (the trigram lists may still name its block: a search checks a block's entries,
   * and skips those without rows), and the name, if it comes again, takes a new entry. Entries of
   * several rows are few and keep their text.
   */
  private void forget(int entry, String text) {
    if (order != null) {
      order.remove(entry, text);
    }
    slots.remove(null, text);
    rows.set(entry, NO_ROWS);
    if (texts.peek(entry) != null) {
      texts.set(entry, null);
    }
    if (lowerCase.peek(entry) != null) {
      lowerCase.set(entry, null);  // a chunk of the lower cases is allocated only where one is set
    }
  }

  /** Keeps the text of an entry of one row about to lose it, which its text was read from. */
  private void keepText(int entry, String text) {
    if (textOfRow != null) {
      texts.set(entry, text);
    }
  }

  /**
   * Sorts the entries by their text, once: from then on {@link #order()} holds every entry, new
   * ones included, but those let go of (see {@link #forget}). Only for an index without groups,
   * whose texts are distinct.
   */
  synchronized void buildOrder() {
    if (groups != null) {
      throw new IllegalStateException("an index with groups has no order of its texts");
    }
    if (order == null) {
      order = EntryOrder.sorted(entries, this::text);
    }
  }

  /**
   * {@link #buildOrder()} for a reader, under the shard's read lock: the first sort by name of a
   * project sorts its names there and then. Readers may call it at once: the first builds
   * (synchronized), the others wait for it and read the same order; a writer, which holds the write
   * lock, sees it built. At 5M backups with mostly distinct names the build reads every name and
   * sorts them, on two threads, in about 1 to 1.5 s, less than one sort by name reading every match
   * (the only answer without the order) takes: the order was once built beside the readers instead,
   * while every sort by name read every match, each holding the read lock as long, for 6 to 16 s.
   */
  EntryOrder orderForReaders() {
    EntryOrder built = order;
    if (built != null) {
      return built;
    }
    buildOrder();
    return order;
  }

  /** The entries in the order of their texts, or null before {@link #buildOrder()}. */
  EntryOrder order() {
    return order;
  }

  /** The text of {@code entry}: read from one of its rows, if the index reads texts from rows and it has one. */
  String text(int entry) {
    if (textOfRow != null) {
      int held = rows.get(entry);
      if (held >= 0) {
        return textOfRow.apply(held);
      } else if (held != NO_ROWS) {
        return multiTexts.peek(-2 - held);  // kept from the entry's second row on
      }
    }
    return texts.peek(entry);
  }

  /** The position of the only row of {@code entry}, or -1 if it holds none or several. */
  int onlyRow(int entry) {
    int held = rows.get(entry);
    return held >= 0 ? held : -1;
  }

  /** How many rows {@code entry} holds. */
  int count(int entry) {
    int held = rows.get(entry);
    return held >= 0 ? 1 : held == NO_ROWS ? 0 : multi.get(-2 - held).count();
  }

  /** The rows of {@code entry}; its postings shared when it has several (not to be changed). */
  MatchSet rowsOf(int entry) {
    int held = rows.get(entry);
    if (held >= 0) {
      return MatchSet.sparse(new int[] {held}, 1);
    }
    return held == NO_ROWS ? MatchSet.EMPTY : MatchSet.of(multi.get(-2 - held));
  }

  /**
   * The entries of {@code group} as {@code [count, entry, ...]}, for the calls below; none for null
   * or a group without entries.
   */
  int[] groupEntries(String group) {
    int head = group == null || groupHeads == null ? -1 : groupHeads.get(group);
    if (head < 0) {
      return NO_ENTRIES;
    }
    int[] members = {0, 0};
    for (int entry = head; entry >= 0; entry = nextInGroup.get(entry)) {
      if (members[0] + 1 == members.length) {
        members = Arrays.copyOf(members, members.length * 2);
      }
      members[++members[0]] = entry;
    }
    return members;
  }

  /**
   * The rows of the group's entries {@code members} (of {@link #groupEntries}), among the positions
   * in use: from word {@code fromWord} (a shard's first live row's) to {@code end}.
   */
  MatchSet group(int[] members, int fromWord, int end) {
    if (members[0] == 1) {
      return rowsOf(members[1]);
    }
    return union(members, members[0], fromWord, end);
  }

  /** How many rows the group's entries {@code members} hold. */
  long groupCount(int[] members) {
    long total = 0;
    for (int i = 1; i <= members[0]; i++) {
      total += count(members[i]);
    }
    return total;
  }

  /** Whether row {@code position} is in one of the group's entries {@code members}. */
  boolean groupContains(int[] members, int position) {
    for (int i = 1; i <= members[0]; i++) {
      int held = rows.get(members[i]);
      if (held == position || held < NO_ROWS && multi.get(-2 - held).contains(position)) {
        return true;
      }
    }
    return false;
  }

  /** The rows of each of the group's entries, to find its newest row. */
  MatchSet[] groupRows(String group) {
    int[] members = groupEntries(group);
    MatchSet[] result = new MatchSet[members[0]];
    for (int i = 0; i < result.length; i++) {
      result[i] = rowsOf(members[i + 1]);
    }
    return result;
  }

  /**
   * The rows whose value contains {@code lowerNeedle} (lower case already), ignoring case, among the
   * positions in use: from word {@code fromWord} (a shard's first live row's) to {@code endOfRows}.
   */
  MatchSet containing(String lowerNeedle, int fromWord, int endOfRows) {
    Candidates candidates = candidates(lowerNeedle);
    int[] matched = new int[16];
    int matches = 0;
    for (int block = candidates.next(); block >= 0; block = candidates.next()) {
      int end = candidates.all ? entries : Math.min(entries, (block + 1) << blockBits);
      for (int entry = candidates.all ? 0 : block << blockBits; entry < end; entry++) {
        if (rows.get(entry) != NO_ROWS && lowerCaseOf(entry).contains(lowerNeedle) && count(entry) > 0) {
          if (matches + 1 == matched.length) {
            matched = Arrays.copyOf(matched, matched.length * 2);
          }
          matched[++matches] = entry;
        }
      }
    }
    if (matches == 1) {
      return rowsOf(matched[1]);
    }
    return union(matched, matches, fromWord, endOfRows);
  }

  /**
   * An upper bound of the rows {@link #containing} returns, without reading the texts: at most
   * {@code rowsInUse}.
   */
  long estimate(String lowerNeedle, int rowsInUse) {
    Candidates candidates = candidates(lowerNeedle);
    if (candidates.all) {
      return rowsInUse;
    }
    long total = 0;
    for (int block = candidates.next(); block >= 0; block = candidates.next()) {
      for (int entry = block << blockBits, end = Math.min(entries, (block + 1) << blockBits); entry < end; entry++) {
        total += count(entry);
      }
    }
    return Math.min(total, rowsInUse);
  }

  private String lowerCaseOf(int entry) {
    String lower = lowerCase.peek(entry);
    return lower != null ? lower : text(entry);
  }

  /** The union of the rows of entries {@code list[1..count]}, sorted; positions as for {@link #containing}. */
  private MatchSet union(int[] list, int count, int fromWord, int end) {
    long total = 0;
    for (int i = 1; i <= count; i++) {
      total += count(list[i]);
    }
    if (total == 0) {
      return MatchSet.EMPTY;
    }
    int first = fromWord << 6;
    if (total * Postings.DENSE_RATIO > end - first) {
      long[] words = new long[Math.max(1, Bits.wordsFor(end) - fromWord)];
      for (int i = 1; i <= count; i++) {
        int held = rows.get(list[i]);
        if (held >= 0) {
          Bits.set(words, held - first);
        } else if (held != NO_ROWS) {
          multi.get(-2 - held).orInto(words, fromWord);
        }
      }
      return MatchSet.window(words, fromWord);
    }
    int[] positions = new int[(int) total];
    int n = 0;
    for (int i = 1; i <= count; i++) {
      int held = rows.get(list[i]);
      if (held >= 0) {
        positions[n++] = held;
        continue;
      } else if (held == NO_ROWS) {
        continue;
      }
      n += multi.get(-2 - held).copyTo(positions, n);
    }
    Arrays.sort(positions, 0, n);
    return MatchSet.sparse(positions, n);
  }


  /**
   * The blocks that may hold entries containing a needle, ascending: those of its rarest trigram's
   * list that are also in the second rarest's, when that one is a bitmap or a list short enough to
   * read (at most {@value #NARROWING_RATIO} times longer). Two rare trigrams of a needle seldom share
   * a block by chance, so the blocks left are mostly those of real matches; or, when the needle is
   * shorter than a trigram, every entry at once ({@link #all}, a single "block").
   */
  private static final class Candidates {
    static final Candidates NONE = new Candidates(null, null, false);

    final boolean all;
    private final Cursor driver;
    private final Object narrowing;
    private Cursor narrowingCursor;
    private int narrowingBlock = -1;

    Candidates(Object rarest, Object second, boolean all) {
      this.all = all;
      driver = all ? null : new Cursor(rarest);
      narrowing = second instanceof long[]
          || second != null && count(second) <= (long) NARROWING_RATIO * count(rarest) ? second : null;
      if (narrowing instanceof byte[]) {
        narrowingCursor = new Cursor(narrowing);
      }
    }

    private boolean allTaken;

    /** The next block, or -1 at the end. */
    int next() {
      if (all) {
        boolean first = !allTaken;
        allTaken = true;
        return first ? 0 : -1;
      }
      for (int block = driver.next(); block >= 0; block = driver.next()) {
        if (narrowing == null) {
          return block;
        }
        if (narrowingCursor == null) {
          if (Bits.get((long[]) narrowing, 64 + block)) {
            return block;
          }
          continue;
        }
        while (narrowingBlock < block) {
          narrowingBlock = narrowingCursor.next();
          if (narrowingBlock < 0) {
            return -1;  // the narrowing list ended below this block: no later block is in it
          }
        }
        if (narrowingBlock == block) {
          return block;
        }
      }
      return -1;
    }
  }

  /** Reads the blocks of a trigram's list or bitmap (or none, for null) in ascending order. */
  private static final class Cursor {
    private final long[] bits;
    private final GapList.Reader gaps;
    private int left;
    private int bit = 63;

    Cursor(Object list) {
      bits = list instanceof long[] ? (long[]) list : null;
      gaps = list instanceof byte[] ? new GapList.Reader((byte[]) list) : null;
      left = count(list);
    }

    /** The next block, or -1 at the end. */
    int next() {
      if (left == 0) {
        return -1;
      }
      left--;
      if (gaps != null) {
        return gaps.next();
      }
      bit = Bits.nextSetBit(bits, bit + 1, bits.length);
      return bit - 64;
    }
  }

  /** How many blocks a trigram's list or bitmap holds; 0 for null. */
  private static int count(Object list) {
    return list instanceof long[] ? (int) ((long[]) list)[0] : GapList.count((byte[]) list);
  }

  private Candidates candidates(String lowerNeedle) {
    if (lowerNeedle.length() < 3) {
      return new Candidates(null, null, true);
    }
    Object rarest = null;
    Object second = null;
    for (int i = 0; i + 3 <= lowerNeedle.length(); i++) {
      Object list = blocksByTrigram.get(trigram(lowerNeedle, i));
      if (list == null) {
        return Candidates.NONE;
      }
      if (list == rarest || list == second) {
        continue;  // the same trigram twice in the needle
      }
      if (rarest == null || count(list) < count(rarest)) {
        second = rarest;
        rarest = list;
      } else if (second == null || count(list) < count(second)) {
        second = list;
      }
    }
    return new Candidates(rarest, second, false);
  }

  private int find(String group, String text) {
    return slots.get(group, text);
  }

  /** A new entry for {@code text} in {@code group}, holding the row at {@code position}. */
  private int newEntry(String group, String text, int position) {
    if ((group != null) != (groups != null)) {
      throw new IllegalArgumentException("group " + group + " in an index " + (groups != null ? "with" : "without")
          + " groups");
    }
    int entry = entries++;
    if (groups != null) {
      groups.set(entry, group);
      int head = groupHeads.get(group);
      if (head < 0) {
        nextInGroup.set(entry, -1);
        groupHeads.put(group, entry);
      } else {  // second in the chain: the head stays put
        nextInGroup.set(entry, nextInGroup.get(head));
        nextInGroup.set(head, entry);
      }
    }
    if (textOfRow == null) {
      texts.set(entry, text);
    }
    String lower = text.toLowerCase(Locale.ROOT);
    if (!lower.equals(text)) {
      lowerCase.set(entry, lower);
    }
    rows.set(entry, position);  // before the entry is looked up by its text, which its row gives
    slots.put(group, text, entry);
    if (order != null) {
      order.insert(entry);
    }
    int block = entry >>> blockBits;
    for (int i = 0; i + 3 <= lower.length(); i++) {
      int key = trigram(lower, i);
      Object list = blocksByTrigram.get(key);
      Object appended = list instanceof long[] ? setBlock((long[]) list, block) : appendBlock((byte[]) list, block);
      if (appended != list) {
        blocksByTrigram.put(key, appended);
      }
    }
    return entry;
  }

  /** {@code list} with {@code block} (not below its last) added; as a bitmap once that is smaller. */
  private static Object appendBlock(byte[] list, int block) {
    if (list != null && GapList.last(list) == block) {
      return list;  // the same trigram twice in one value, or in an earlier entry of the block
    }
    byte[] appended = GapList.append(list, block);
    // a bitmap takes (block + 64) / 8 bytes, the list its length: converting decodes a list no
    // longer than that bitmap, a few kB for a million entries
    if (appended.length > 64 && appended.length * 8L > block + 128) {
      long[] bits = new long[Bits.wordsFor(64 + block + 1)];
      GapList.Reader reader = new GapList.Reader(appended);
      for (int i = GapList.count(appended); i > 0; i--) {
        Bits.set(bits, 64 + reader.next());
      }
      bits[0] = GapList.count(appended);
      return bits;
    }
    return appended;
  }

  /** {@code bits} (a bitmap of blocks, word 0 its count) with {@code block} set; a larger copy if needed. */
  private static long[] setBlock(long[] bits, int block) {
    bits = Bits.ensure(bits, 64 + block);
    if (!Bits.get(bits, 64 + block)) {
      Bits.set(bits, 64 + block);
      bits[0]++;
    }
    return bits;
  }

  /** {@code list} ({@code [count, ids...]}, or null for none) with {@code entry} appended. */
  /** A well-spread hash of the three chars at {@code at}. */
  private static int trigram(String text, int at) {
    int h = text.charAt(at) * 0x9E3779B1 + text.charAt(at + 1) * 0x85EBCA77 + text.charAt(at + 2) * 0xC2B2AE3D;
    return h ^ (h >>> 15);
  }
}
