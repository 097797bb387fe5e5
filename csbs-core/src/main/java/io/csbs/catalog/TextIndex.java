package io.csbs.catalog;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A substring index over the distinct values of one text field: each distinct value is an entry with
 * the postings of its rows, and a trigram index over the lower-cased entries finds the entries
 * containing a text without reading every value. A search reads the entries of the needle's rarest
 * trigram and checks each exactly, then unions the postings of those that contain it. Real backup
 * lists repeat names ({@code autobk_xxxx}) and servers, so there are far fewer entries than rows.
 *
 * <p>Entries may belong to a group: server names are grouped by server id, an entry per (id, name),
 * so that the same postings answer both "server id is" (the union of the group's entries, one in
 * practice) and "server name contains", and no row is indexed twice. Entries are found through an
 * {@link IdIndex} keyed by (group, text), a table of entry numbers rather than a map of boxed
 * numbers, for the memory; like the entries themselves (in {@link ChunkedArray}s) it grows a slice
 * at a time, so that a new entry costs microseconds also when names are mostly distinct and the
 * entries number millions (a rehash of them all read every entry's text and group).
 */
final class TextIndex {
  private static final int[] NO_ENTRIES = {0};
  /** Stands for every entry, when a needle is too short for the trigram lists to narrow it. */
  private static final byte[] ALL_ENTRIES = new byte[0];

  // in chunks, and found through an IdIndex, so that a new entry never copies or rehashes them all
  private final ChunkedArray<String> groups = new ChunkedArray<>();
  private final ChunkedArray<String> texts = new ChunkedArray<>();
  private final ChunkedArray<String> lowerCase = new ChunkedArray<>();
  private final ChunkedArray<Postings> postings = new ChunkedArray<>();
  private int entries;
  /** (group, text) to entry number. */
  private final IdIndex slots = new IdIndex(texts.reader(), groups.reader());
  /** Group to its entries as {@code [count, id, id, ...]}; only for grouped entries. */
  private final GrowingMap<int[]> entriesByGroup = new GrowingMap<>();
  /**
   * Trigram hash to the ascending ids of the entries that contain a trigram with that hash, as a
   * {@link GapList}. Distinct trigrams may share a hash: a list is a superset of the entries, which a
   * search checks exactly anyway.
   */
  private final Map<Integer, byte[]> entriesByTrigram = new HashMap<>();

  /**
   * About the bytes the index takes on the heap: its tables, the postings and lower-cased copy of
   * each entry (the texts themselves are the backups' strings), the trigram lists and the groups.
   */
  long estimatedBytes() {
    long bytes = 64 + 16 * 4 + 4L * 4 * postings.capacity() + slots.estimatedBytes();
    for (int entry = 0; entry < entries; entry++) {
      bytes += postings.get(entry).estimatedBytes();
      if (lowerCase.get(entry) != texts.get(entry)) {
        bytes += 40 + lowerCase.get(entry).length();
      }
    }
    for (byte[] list : entriesByTrigram.values()) {
      bytes += 16 + list.length + 48;  // the array, the map's node and boxed key
    }
    bytes += entriesByGroup.estimatedBytes();
    long[] members = {0};
    entriesByGroup.forEach((group, entries) -> members[0] += 16 + 4L * entries.length);
    bytes += members[0];
    return bytes;
  }

  /** Indexes row {@code position} under {@code text} in {@code group} (null for none). */
  void add(String group, String text, int position, int rows) {
    int entry = find(group, text);
    if (entry < 0) {
      entry = newEntry(group, text);
    }
    postings.get(entry).add(position, rows);
  }

  void remove(String group, String text, int position) {
    int entry = find(group, text);
    if (entry >= 0) {
      postings.get(entry).remove(position);
    }
  }

  private int[] groupEntries(String group) {
    int[] members = group == null ? null : entriesByGroup.get(group);
    return members == null ? NO_ENTRIES : members;
  }

  /** The rows of the group's entries. */
  MatchSet group(String group, int rows) {
    int[] members = groupEntries(group);
    if (members[0] == 1) {
      return MatchSet.of(postings.get(members[1]));
    }
    return union(members, members[0], rows, true);
  }

  /** How many rows the group's entries hold. */
  long groupCount(String group) {
    int[] members = groupEntries(group);
    long total = 0;
    for (int i = 1; i <= members[0]; i++) {
      total += postings.get(members[i]).count();
    }
    return total;
  }

  /** Whether row {@code position} is in the group. */
  boolean groupContains(String group, int position) {
    int[] members = groupEntries(group);
    for (int i = 1; i <= members[0]; i++) {
      if (postings.get(members[i]).contains(position)) {
        return true;
      }
    }
    return false;
  }

  /** The postings of the group's entries, to find its newest row. */
  Postings[] groupPostings(String group) {
    int[] members = groupEntries(group);
    Postings[] result = new Postings[members[0]];
    for (int i = 0; i < result.length; i++) {
      result[i] = postings.get(members[i + 1]);
    }
    return result;
  }

  /** The rows whose value contains {@code lowerNeedle} (lower case already), ignoring case. */
  MatchSet containing(String lowerNeedle, int rows) {
    byte[] candidates = candidates(lowerNeedle);
    int count = candidates == ALL_ENTRIES ? entries : GapList.count(candidates);
    GapList.Reader reader = candidates == ALL_ENTRIES ? null : new GapList.Reader(candidates);
    int[] matched = new int[Math.min(count, 1024) + 1];
    int matches = 0;
    for (int i = 0; i < count; i++) {
      int entry = reader == null ? i : reader.next();
      if (postings.get(entry).count() > 0 && lowerCase.get(entry).contains(lowerNeedle)) {
        if (matches + 1 == matched.length) {
          matched = Arrays.copyOf(matched, matched.length * 2);
        }
        matched[++matches] = entry;
      }
    }
    if (matches == 1) {
      return MatchSet.of(postings.get(matched[1]));
    }
    return union(matched, matches, rows, false);
  }

  /** An upper bound of the rows {@link #containing} returns, without reading postings. */
  long estimate(String lowerNeedle, int rows) {
    byte[] candidates = candidates(lowerNeedle);
    if (candidates == ALL_ENTRIES) {
      return rows;
    }
    long total = 0;
    GapList.Reader reader = new GapList.Reader(candidates);
    for (int i = GapList.count(candidates); i > 0; i--) {
      total += postings.get(reader.next()).count();
    }
    return Math.min(total, rows);
  }

  /** The union of the postings of {@code list[1..count]}; sorted first when they may overlap. */
  private MatchSet union(int[] list, int count, int rows, boolean disjoint) {
    long total = 0;
    for (int i = 1; i <= count; i++) {
      total += postings.get(list[i]).count();
    }
    if (total == 0) {
      return MatchSet.EMPTY;
    }
    if (total * Postings.DENSE_RATIO > rows) {
      long[] words = new long[Bits.wordsFor(rows)];
      for (int i = 1; i <= count; i++) {
        orInto(postings.get(list[i]), words);
      }
      return MatchSet.window(words, 0);
    }
    int[] positions = new int[(int) total];
    int n = 0;
    for (int i = 1; i <= count; i++) {
      Postings p = postings.get(list[i]);
      if (p.isDense()) {
        for (int position = Bits.nextSetBit(p.dense(), 0, p.dense().length); position >= 0;
            position = Bits.nextSetBit(p.dense(), position + 1, p.dense().length)) {
          positions[n++] = position;
        }
      } else {
        System.arraycopy(p.sparse(), 0, positions, n, p.count());
        n += p.count();
      }
    }
    Arrays.sort(positions, 0, n);
    return MatchSet.sparse(positions, n);
  }

  private static void orInto(Postings p, long[] words) {
    if (p.isDense()) {
      long[] dense = p.dense();
      for (int w = 0; w < Math.min(dense.length, words.length); w++) {
        words[w] |= dense[w];
      }
    } else {
      int[] sparse = p.sparse();
      for (int i = 0; i < p.count(); i++) {
        Bits.set(words, sparse[i]);
      }
    }
  }

  /**
   * The entries of the needle's rarest trigram (null for none), or {@link #ALL_ENTRIES} when the
   * needle is shorter than a trigram and every entry is a candidate.
   */
  private byte[] candidates(String lowerNeedle) {
    if (lowerNeedle.length() < 3) {
      return ALL_ENTRIES;
    }
    byte[] best = null;
    for (int i = 0; i + 3 <= lowerNeedle.length(); i++) {
      byte[] list = entriesByTrigram.get(trigram(lowerNeedle, i));
      if (list == null) {
        return null;
      }
      if (best == null || GapList.count(list) < GapList.count(best)) {
        best = list;
      }
    }
    return best;
  }

  private int find(String group, String text) {
    return slots.get(group, text);
  }

  private int newEntry(String group, String text) {
    int entry = entries++;
    groups.set(entry, group);
    texts.set(entry, text);
    String lower = text.toLowerCase(Locale.ROOT);
    lowerCase.set(entry, lower);
    postings.set(entry, new Postings());
    slots.put(group, text, entry);
    if (group != null) {
      entriesByGroup.put(group, appendTo(entriesByGroup.get(group), entry));
    }
    for (int i = 0; i + 3 <= lower.length(); i++) {
      int key = trigram(lower, i);
      byte[] list = entriesByTrigram.get(key);
      if (list != null && GapList.last(list) == entry) {
        continue; // the same trigram twice in one value
      }
      byte[] appended = GapList.append(list, entry);
      if (appended != list) {
        entriesByTrigram.put(key, appended);
      }
    }
    return entry;
  }

  /** {@code list} ({@code [count, ids...]}, or null for none) with {@code entry} appended. */
  private static int[] appendTo(int[] list, int entry) {
    if (list == null) {
      list = new int[] {0, 0, 0};
    } else if (list[0] + 1 == list.length) {
      list = Arrays.copyOf(list, list.length * 2);
    }
    list[++list[0]] = entry;
    return list;
  }

  /** A well-spread hash of the three chars at {@code at}. */
  private static int trigram(String text, int at) {
    int h = text.charAt(at) * 0x9E3779B1 + text.charAt(at + 1) * 0x85EBCA77 + text.charAt(at + 2) * 0xC2B2AE3D;
    return h ^ (h >>> 15);
  }
}
