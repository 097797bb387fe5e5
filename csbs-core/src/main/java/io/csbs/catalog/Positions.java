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
    return new DisjointUnion(sets, cardinality);
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
   * The union of disjoint sets, walked for a page: each set's nearest position below (or above) the
   * last one asked is kept, so that a walk down (or up) looks again only into the set it took the
   * last position from: a scan of a small array a step rather than a search in every set, which
   * counts when the sets are hundreds of tag sets. One query walks it, on one thread.
   */
  final class DisjointUnion extends Walked {
    private final MatchSet[] sets;
    private final int[] below;
    private final int[] above;
    /** {@code below[i]} is the largest position of set {@code i} at or below this; -1: none yet. */
    private int belowOf = -1;
    /** {@code above[i]} is the smallest position of set {@code i} at or above this; -1: none yet. */
    private int aboveOf = -1;

    DisjointUnion(MatchSet[] sets, int cardinality) {
      super(cardinality);
      this.sets = sets;
      this.below = new int[sets.length];
      this.above = new int[sets.length];
    }

    @Override
    public boolean contains(int position) {
      for (MatchSet set : sets) {
        if (set.contains(position)) {
          return true;
        }
      }
      return false;
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
      boolean again = belowOf < 0 || position > belowOf;
      int best = -1;
      for (int i = 0; i < sets.length; i++) {
        // a set's largest position at or below the last one asked stays its largest below this one
        // when it is not above it
        if (again || below[i] > position) {
          below[i] = sets[i].previous(position);
        }
        best = Math.max(best, below[i]);
      }
      belowOf = position;
      return best;
    }

    @Override
    public int next(int position) {
      int from = Math.max(0, position);
      boolean again = aboveOf < 0 || from < aboveOf;
      int best = -1;
      for (int i = 0; i < sets.length; i++) {
        if (again || (above[i] >= 0 && above[i] < from)) {
          above[i] = sets[i].next(from);
        }
        if (above[i] >= 0 && (best < 0 || above[i] < best)) {
          best = above[i];
        }
      }
      aboveOf = from;
      return best;
    }
  }
}
