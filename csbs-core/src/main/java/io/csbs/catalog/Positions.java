package io.csbs.catalog;

/**
 * The matching row positions of a query, as the pager walks them and a count reads them. Usually a
 * materialized {@link MatchSet}; a union of disjoint index sets (several states) is walked lazily
 * instead, since its count is the sum of theirs and a page reads only a few of its positions.
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

  /** The position {@code skip} positions after the largest at or below {@code position}, walking down; or -1. */
  int previousSkipping(int position, long skip);

  /** Like {@link #previousSkipping}, walking up from {@code position}. */
  int nextSkipping(int position, long skip);

  /** A lazy union of sets that share no position, whose total is {@code cardinality}. */
  static Positions disjointUnion(MatchSet[] sets, int cardinality) {
    return new Walked(cardinality) {
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
        int best = -1;
        for (MatchSet set : sets) {
          best = Math.max(best, set.previous(position));
        }
        return best;
      }

      @Override
      public int next(int position) {
        int best = -1;
        for (MatchSet set : sets) {
          int candidate = set.next(position);
          if (candidate >= 0 && (best < 0 || candidate < best)) {
            best = candidate;
          }
        }
        return best;
      }

    };
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
}
