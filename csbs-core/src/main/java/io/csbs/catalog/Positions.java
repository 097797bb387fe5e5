package io.csbs.catalog;

/**
 * The matching row positions of a query, as the pager walks them and a count reads them. Usually a
 * materialized {@link MatchSet}; a union of disjoint index sets (several states, or tag sets) is
 * walked lazily instead, since its count is the sum of theirs and a page reads only a few of its
 * positions.
 */
interface Positions {
  /** How many positions. */
  int cardinality();

  boolean isEmpty();

  /** Whether {@code position} is one of the positions. */
  boolean contains(int position);

  /**
   * About what one {@link #contains} costs, in tests of a bit: what a plan weighs testing positions
   * one by one against reading the set's own (the tail's matches, {@code Pager}).
   */
  default double containsCost() {
    return 1;
  }

  /** How many positions lie in {@code [from, to)}. */
  int countIn(int from, int to);

  /** The largest position at or below {@code position}, or -1. */
  int previous(int position);

  /** The smallest position at or above {@code position}, or -1. */
  int next(int position);

  /**
   * Gives {@code action} each position at or above {@code from}, in any order: for a caller that
   * orders them itself (the pager's heap of a shard's late rows), so that a set kept unsorted need
   * not sort them all.
   */
  default void forEachFrom(int from, java.util.function.IntConsumer action) {
    for (int position = next(from); position >= 0; position = next(position + 1)) {
      action.accept(position);
    }
  }

  /** The position {@code skip} positions after the largest at or below {@code position}, walking down; or -1. */
  int previousSkipping(int position, long skip);

  /** Like {@link #previousSkipping}, walking up from {@code position}. */
  int nextSkipping(int position, long skip);

  /**
   * A lazy union of sets that share no position, whose total is {@code cardinality}: several states,
   * or the tag sets that hold every tag of a search.
   */
  static Positions disjointUnion(MatchSet[] sets, int cardinality) {
    return new DisjointUnion(sets, cardinality, null, Double.MAX_VALUE);
  }

  /**
   * Like {@link #disjointUnion(MatchSet[], int)}, whose membership {@code member} also decides, at
   * {@code memberCost} (see {@link #containsCost()}): the tag sets of a search hold a row exactly when
   * it has each of the search's tags, a test of a few postings where the sets would take a search each.
   */
  static Positions disjointUnion(MatchSet[] sets, int cardinality, java.util.function.IntPredicate member, double memberCost) {
    return new DisjointUnion(sets, cardinality, member, memberCost);
  }

  /**
   * Positions found by walking (not a materialized set): skips step match by match, and the count is
   * known beforehand.
   */
  abstract class Walked implements Positions {
    private final int cardinality;

    Walked(int cardinality) {
      this.cardinality = cardinality;
    }

    @Override
    public int cardinality() {
      return cardinality;
    }

    @Override
    public boolean isEmpty() {
      return cardinality == 0;
    }

    @Override
    public int previousSkipping(int position, long skip) {
      int at = previous(position);
      for (long i = 0; i < skip && at >= 0; i++) {
        at = previous(at - 1);
      }
      return at;
    }

    @Override
    public int nextSkipping(int position, long skip) {
      int at = next(position);
      for (long i = 0; i < skip && at >= 0; i++) {
        at = next(at + 1);
      }
      return at;
    }
  }

  /**
   * The union of disjoint sets, walked for a page: a heap holds each set's nearest position below
   * (or above) the last one asked, so that a step down (or up) reads the heap's top and searches
   * again only in the sets whose position it passed: a few heap operations a step rather than a
   * look at every set, which counts when the sets are the hundreds of tag sets of a two-tag search
   * (459 at 5M backups: a scan of them all for each of a page's 20 rows was most of its 50 to 150
   * µs). A jump the other way (up while walking down) fills the heap again, a search in every set.
   * One query walks it, on one thread.
   */
  final class DisjointUnion extends Walked {
    private final MatchSet[] sets;
    /** Each set's largest position at or below {@link #belowOf}, largest on top; sets without one are left out. */
    private final CursorHeap below;
    /** Each set's smallest position at or above {@link #aboveOf}, smallest on top; sets without one are left out. */
    private final CursorHeap above;
    private int belowOf = -1;
    private int aboveOf = -1;

    /** Decides membership as the sets do, or null; used when cheaper than testing each set. */
    private final java.util.function.IntPredicate member;
    private final double memberCost;
    /** The sum of the sets' costs, once asked. */
    private double setsCost = -1;

    DisjointUnion(MatchSet[] sets, int cardinality, java.util.function.IntPredicate member, double memberCost) {
      super(cardinality);
      this.sets = sets;
      this.below = new CursorHeap(sets.length);
      this.above = new CursorHeap(sets.length);
      this.member = member;
      this.memberCost = memberCost;
    }

    /** The sets, not to be changed. */
    MatchSet[] sets() {
      return sets;
    }

    @Override
    public boolean contains(int position) {
      if (member != null && memberCost < setsCost()) {
        return member.test(position);
      }
      for (MatchSet set : sets) {
        if (set.contains(position)) {
          return true;
        }
      }
      return false;
    }

    /** Each set's positions in turn: no heap, as the order is the caller's (a walk in order costs a heap step each). */
    @Override
    public void forEachFrom(int from, java.util.function.IntConsumer action) {
      for (MatchSet set : sets) {
        set.forEachFrom(from, action);
      }
    }

    /** The cheaper of the membership test, if any, and a test of each set until one holds the position. */
    @Override
    public double containsCost() {
      return member == null ? setsCost() : Math.min(memberCost, setsCost());
    }

    /** A test of each set, until one holds the position: at most the sum of their costs. */
    private double setsCost() {
      if (setsCost < 0) {
        double cost = 0;
        for (MatchSet set : sets) {
          cost += set.containsCost();
        }
        setsCost = cost;
      }
      return setsCost;
    }

    @Override
    public int countIn(int from, int to) {
      int count = 0;
      for (MatchSet set : sets) {
        count += set.countIn(from, to);
      }
      return count;
    }

    @Override
    public int previous(int position) {
      if (position < 0) {
        return -1;
      }
      if (belowOf < 0 || position > belowOf) {
        below.clear();
        for (int i = 0; i < sets.length; i++) {
          int found = sets[i].previous(position);
          if (found >= 0) {
            below.append(Integer.MAX_VALUE - found, i);  // the heap keeps its least key on top
          }
        }
        below.heapify();
      } else {
        // a set's largest position at or below the last one asked stays its largest below this one
        // unless it is above it
        while (!below.isEmpty() && Integer.MAX_VALUE - below.topKey() > position) {
          int found = sets[below.topSet()].previous(position);
          if (found >= 0) {
            below.replaceTopKey(Integer.MAX_VALUE - found);
          } else {
            below.removeTop();
          }
        }
      }
      belowOf = position;
      return below.isEmpty() ? -1 : Integer.MAX_VALUE - below.topKey();
    }

    @Override
    public int next(int position) {
      int from = Math.max(0, position);
      if (aboveOf < 0 || from < aboveOf) {
        above.clear();
        for (int i = 0; i < sets.length; i++) {
          int found = sets[i].next(from);
          if (found >= 0) {
            above.append(found, i);
          }
        }
        above.heapify();
      } else {
        while (!above.isEmpty() && above.topKey() < from) {
          int found = sets[above.topSet()].next(from);
          if (found >= 0) {
            above.replaceTopKey(found);
          } else {
            above.removeTop();
          }
        }
      }
      aboveOf = from;
      return above.isEmpty() ? -1 : above.topKey();
    }
  }

  /**
   * A binary min-heap of (key, set index) pairs, each packed in a {@code long} with the key (not
   * negative) in the high half, so that comparing entries compares keys.
   */
  final class CursorHeap {
    private final long[] entries;
    private int size;

    CursorHeap(int capacity) {
      entries = new long[capacity];
    }

    boolean isEmpty() {
      return size == 0;
    }

    void clear() {
      size = 0;
    }

    /** Adds an entry without keeping the heap order: call {@link #heapify()} after the last. */
    void append(int key, int set) {
      entries[size++] = ((long) key << 32) | set;
    }

    void heapify() {
      for (int i = size / 2 - 1; i >= 0; i--) {
        siftDown(i);
      }
    }

    int topKey() {
      return (int) (entries[0] >>> 32);
    }

    int topSet() {
      return (int) entries[0];
    }

    void replaceTopKey(int key) {
      entries[0] = ((long) key << 32) | (entries[0] & 0xFFFF_FFFFL);
      siftDown(0);
    }

    void removeTop() {
      entries[0] = entries[--size];
      siftDown(0);
    }

    private void siftDown(int at) {
      long entry = entries[at];
      while (true) {
        int child = 2 * at + 1;
        if (child >= size) {
          break;
        }
        if (child + 1 < size && entries[child + 1] < entries[child]) {
          child++;
        }
        if (entries[child] >= entry) {
          break;
        }
        entries[at] = entries[child];
        at = child;
      }
      entries[at] = entry;
    }
  }
}
