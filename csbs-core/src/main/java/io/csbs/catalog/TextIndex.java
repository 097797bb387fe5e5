package io.csbs.catalog;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A substring index over the distinct values of one text field (backup names, server names): each
 * distinct value is an entry with the postings of its rows, and a trigram index over the
 * lower-cased entries finds the entries containing a text without reading every value. A search
 * reads the entries of the needle's rarest trigram and checks each exactly, then unions the postings
 * of those that contain it. Real backup lists repeat names ({@code autobk_xxxx}) and servers, so
 * there are far fewer entries than rows.
 */
final class TextIndex {
  private final Map<String, Integer> entryByValue = new HashMap<>();
  private String[] lowerCase = new String[16];
  private Postings[] postings = new Postings[16];
  private int entries;
  /**
   * Trigram hash to the ascending ids of the entries that contain a trigram with that hash, as
   * {@code [count, id, id, ...]}. Distinct trigrams may share a hash: a list is a superset of the
   * entries, which a search checks exactly anyway.
   */
  private final Map<Integer, int[]> entriesByTrigram = new HashMap<>();

  void add(String value, int position, int rows) {
    Integer entry = entryByValue.get(value);
    if (entry == null) {
      entry = newEntry(value);
    }
    postings[entry].add(position, rows);
  }

  void remove(String value, int position) {
    Integer entry = entryByValue.get(value);
    if (entry != null) {
      postings[entry].remove(position);
    }
  }

  /** The rows whose value contains {@code needle}, ignoring case; {@code needle} is lower case already. */
  MatchSet containing(String lowerNeedle, int rows) {
    MatchSet result = MatchSet.EMPTY;
    int[] candidates = candidates(lowerNeedle);
    int count = candidates == null ? entries : candidates[0];
    long total = 0;
    int[] matched = new int[Math.min(count, 1024)];
    int matches = 0;
    for (int i = 0; i < count; i++) {
      int entry = candidates == null ? i : candidates[i + 1];
      if (postings[entry].count() > 0 && lowerCase[entry].contains(lowerNeedle)) {
        if (matches == matched.length) {
          matched = Arrays.copyOf(matched, matches * 2);
        }
        matched[matches++] = entry;
        total += postings[entry].count();
      }
    }
    if (matches == 0) {
      return result;
    }
    if (matches == 1) {
      return MatchSet.of(postings[matched[0]]);
    }
    if (total * Postings.DENSE_RATIO > rows) {
      long[] words = new long[Bits.wordsFor(rows)];
      for (int i = 0; i < matches; i++) {
        orInto(postings[matched[i]], words);
      }
      return MatchSet.window(words, 0);
    }
    int[] positions = new int[(int) total];
    int n = 0;
    for (int i = 0; i < matches; i++) {
      Postings p = postings[matched[i]];
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

  /** An upper bound of the rows {@link #containing} returns, without reading postings. */
  long estimate(String lowerNeedle, int rows) {
    int[] candidates = candidates(lowerNeedle);
    if (candidates == null) {
      return rows;
    }
    long total = 0;
    for (int i = 1; i <= candidates[0]; i++) {
      total += postings[candidates[i]].count();
    }
    return Math.min(total, rows);
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
   * The entries of the needle's rarest trigram, as {@code [count, id, id, ...]}, or null when the
   * needle is shorter than a trigram and every entry is a candidate.
   */
  private int[] candidates(String lowerNeedle) {
    if (lowerNeedle.length() < 3) {
      return null;
    }
    int[] best = null;
    for (int i = 0; i + 3 <= lowerNeedle.length(); i++) {
      int[] list = entriesByTrigram.get(trigram(lowerNeedle, i));
      if (list == null) {
        return new int[] {0};
      }
      if (best == null || list[0] < best[0]) {
        best = list;
      }
    }
    return best;
  }

  private int newEntry(String value) {
    int entry = entries++;
    if (entry == postings.length) {
      postings = Arrays.copyOf(postings, entry * 2);
      lowerCase = Arrays.copyOf(lowerCase, entry * 2);
    }
    String lower = value.toLowerCase(Locale.ROOT);
    lowerCase[entry] = lower;
    postings[entry] = new Postings();
    entryByValue.put(value, entry);
    for (int i = 0; i + 3 <= lower.length(); i++) {
      int key = trigram(lower, i);
      int[] list = entriesByTrigram.get(key);
      if (list == null) {
        list = new int[] {0, 0, 0};
      } else if (list[list[0]] == entry) {
        continue; // the same trigram twice in one value
      }
      if (list[0] + 1 == list.length) {
        list = Arrays.copyOf(list, list.length * 2);
      }
      list[++list[0]] = entry;
      entriesByTrigram.put(key, list);
    }
    return entry;
  }

  /** A well-spread hash of the three chars at {@code at}. */
  private static int trigram(String text, int at) {
    int h = text.charAt(at) * 0x9E3779B1 + text.charAt(at + 1) * 0x85EBCA77 + text.charAt(at + 2) * 0xC2B2AE3D;
    return h ^ (h >>> 15);
  }
}
