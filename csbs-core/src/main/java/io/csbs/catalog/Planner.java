package io.csbs.catalog;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.StallRule;
import io.csbs.query.Attribute;
import io.csbs.query.BackupPredicate;
import io.csbs.query.PredicateVisitor;
import io.csbs.query.TimeRange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a predicate tree into a plan over one shard's indexes, and runs it to the exact set of
 * matching row positions.
 *
 * <p>Every node can do two things: <em>materialize</em> its matches from the indexes, and
 * <em>test</em> one row exactly. An and materializes its most selective operand first (the lowest
 * estimate) and then, like Lucene's conjunctions, either intersects the next operand's set or, when
 * the running result is much smaller than that operand, tests each remaining row against it instead;
 * a not subtracts its operand. Two tag=value operands or more of an and are answered together,
 * when that is cheaper, by the shard's distinct tag sets that hold them all ({@link TagSets}), whose
 * rows are the answer. Time segments become ranges of positions (the rows are in creation
 * order), so that every operation after them costs the segment, not the catalog. The plan runs with
 * the caller holding the shard's read lock.
 */
final class Planner implements PredicateVisitor<Planner.Node> {
  /** Testing a row costs about this many times a word operation of a set intersection. */
  private static final int TEST_COST = 8;

  private final ProjectShard shard;
  private final Instant now;
  private final StallRule stallRule;

  private Planner(ProjectShard shard, Instant now, StallRule stallRule) {
    this.shard = shard;
    this.now = now;
    this.stallRule = stallRule;
  }

  /** The positions of the live rows of {@code shard} that match {@code predicate} at {@code now}. */
  static Positions matches(ProjectShard shard, BackupPredicate predicate, Instant now, StallRule stallRule) {
    shard.noteTailRead();  // the caller starts a reorganisation this makes due, after releasing the lock
    return matchesUnnoted(shard, predicate, now, stallRule);
  }

  /**
   * {@link #matches} without paying for the tail: for a read without the lock, whose plan may run on
   * a mix of states and is thrown away then, and which notes the tail itself once it proved valid.
   */
  static Positions matchesUnnoted(ProjectShard shard, BackupPredicate predicate, Instant now, StallRule stallRule) {
    return predicate.accept(new Planner(shard, now, stallRule)).positions();
  }

  /** One node of a plan. */
  abstract static class Node {
    /** An upper bound of the matches, to order the operands of an and. */
    abstract long estimate();

    /** The exact matching live positions. */
    abstract MatchSet materialize();

    /** Whether the live row at {@code position} matches. */
    abstract boolean test(int position);

    /** The matches for a page and a count: materialized, unless a node can do with less. */
    Positions positions() {
      return materialize();
    }

    /**
     * Whether {@link #materialize()} only hands out an index's own set (no work), so that an and
     * intersects it word by word (or by lookups for a sparse result) rather than testing rows.
     */
    boolean isShared() {
      return false;
    }

    /** Whether {@link #materialize()} hands out an index bitmap, so that a row is tested by one bit. */
    boolean isBitmap() {
      return false;
    }
  }

  @Override
  public Node all() {
    return new Node() {
      @Override
      boolean isShared() {
        return true;
      }

      @Override
      boolean isBitmap() {
        return true;
      }

      @Override
      long estimate() {
        return shard.liveCount();
      }

      @Override
      MatchSet materialize() {
        return shard.liveSet();
      }

      @Override
      boolean test(int position) {
        return shard.isLive(position);
      }
    };
  }

  @Override
  public Node none() {
    return new Node() {
      @Override
      long estimate() {
        return 0;
      }

      @Override
      MatchSet materialize() {
        return MatchSet.EMPTY;
      }

      @Override
      boolean test(int position) {
        return false;
      }
    };
  }

  @Override
  public Node status(Set<BackupStatus> statuses) {
    BackupStatus[] wanted = statuses.toArray(new BackupStatus[0]);
    return new Node() {
      @Override
      boolean isShared() {
        return wanted.length == 1;
      }

      @Override
      boolean isBitmap() {
        return wanted.length == 1;
      }

      @Override
      Positions positions() {
        if (wanted.length == 1) {
          return materialize();
        }
        // states are disjoint: count by their counters, walk the page over their bitmaps
        MatchSet[] sets = new MatchSet[wanted.length];
        for (int i = 0; i < wanted.length; i++) {
          sets[i] = shard.statusSet(wanted[i]);
        }
        return Positions.disjointUnion(sets, (int) estimate());
      }

      @Override
      long estimate() {
        long total = 0;
        for (BackupStatus status : wanted) {
          total += shard.statusCount(status);
        }
        return total;
      }

      @Override
      MatchSet materialize() {
        MatchSet result = MatchSet.EMPTY;
        for (BackupStatus status : wanted) {
          result = result.or(shard.statusSet(status));
        }
        return result;
      }

      @Override
      boolean test(int position) {
        for (BackupStatus status : wanted) {
          if (shard.hasStatus(position, status)) {
            return true;
          }
        }
        return false;
      }
    };
  }

  @Override
  public Node createdIn(TimeRange range) {
    return new RangeNode(range);
  }

  @Override
  public Node createdWithinLast(Duration window) {
    return new RangeNode(TimeRange.last(window, now));
  }

  /** A time segment: a range of sorted positions, plus the tail rows that fall in it. */
  private final class RangeNode extends Node {
    private final TimeRange range;
    private final int low;
    private final int high;

    RangeNode(TimeRange range) {
      this.range = range;
      this.low = range.start().map(start -> shard.lowerBound(start, !range.startInclusive())).orElse(shard.firstLive());
      this.high = range.end().map(end -> shard.lowerBound(end, range.endInclusive())).orElse(shard.sortedCount());
    }

    @Override
    long estimate() {
      return Math.max(0, high - low) + (shard.size() - shard.sortedCount());
    }

    @Override
    MatchSet materialize() {
      MatchSet late = tailPart();
      int end = late.isEmpty() ? high : shard.size();
      if (low >= end) {
        return MatchSet.EMPTY;
      }
      int fromWord = low >>> 6;
      long[] words = new long[Bits.wordsFor(end) - fromWord];
      int base = fromWord << 6;
      if (low < high) {
        Bits.setRange(words, low - base, high - base);
      }
      for (int position = late.next(0); position >= 0; position = late.next(position + 1)) {
        Bits.set(words, position - base);
      }
      return MatchSet.window(words, fromWord).and(shard.liveSet());
    }

    /**
     * The live tail rows created in the range: a stretch of the tail's order, found by binary search,
     * so that it costs the rows in the range, not the tail.
     */
    MatchSet tailPart() {
      return tailRowsIn(range);  // a new set each time: an and may narrow it in place
    }

    @Override
    boolean test(int position) {
      return shard.isLive(position) && range.contains(shard.row(position).createdAt());
    }
  }

  /**
   * The live tail rows created in {@code range}, as a bitmap over the tail's positions: the range's
   * stretch of the tail's order is found by two searches and its positions set a block at a time
   * (testing each entry's time against the end cost a late import's searches of 30 days about 0.6
   * ms at 1M, their tail tens of thousands of rows long).
   */
  private MatchSet tailRowsIn(TimeRange range) {
    TailOrder tail = shard.tail();
    if (tail.size() == 0) {
      return MatchSet.EMPTY;
    }
    long from = range.start().isEmpty() ? tail.first() : tail.firstFrom(range.start().get(), range.startInclusive());
    // the first entry past the end: after it (an inclusive end), or at it or after (an exclusive one)
    long to = range.end().isEmpty() ? TailOrder.END : tail.firstFrom(range.end().get(), !range.endInclusive());
    // a bitmap over the tail's positions: set a bit a row, no sort of the positions
    int fromWord = shard.sortedCount() >>> 6;
    long[] words = new long[Bits.wordsFor(shard.size()) - fromWord];
    int set = tail.setBits(from, to, words, fromWord << 6);
    return set > 0 ? MatchSet.window(words, fromWord) : MatchSet.EMPTY;
  }

  @Override
  public Node nameContains(String text) {
    return new TextNode(shard.names(), text, Backup::name);
  }

  @Override
  public Node serverNameContains(String text) {
    return new TextNode(shard.servers(), text, backup -> backup.server().name());
  }

  private final class TextNode extends Node {
    private final TextIndex index;
    private final String lowerCase;
    private final java.util.function.Function<Backup, String> field;

    TextNode(TextIndex index, String text, java.util.function.Function<Backup, String> field) {
      this.index = index;
      this.lowerCase = text.toLowerCase(Locale.ROOT);
      this.field = field;
    }

    @Override
    long estimate() {
      return index.estimate(lowerCase, shard.positionsInUse());
    }

    @Override
    MatchSet materialize() {
      return index.containing(lowerCase, shard.firstLiveWord(), shard.size());
    }

    @Override
    boolean test(int position) {
      return shard.isLive(position)
          && field.apply(shard.row(position)).toLowerCase(Locale.ROOT).contains(lowerCase);
    }
  }

  @Override
  public Node backupId(String id) {
    int position = shard.positionOf(id);
    return new Node() {
      @Override
      long estimate() {
        return position < 0 ? 0 : 1;
      }

      @Override
      MatchSet materialize() {
        return position < 0 ? MatchSet.EMPTY : MatchSet.sparse(new int[] {position}, 1);
      }

      @Override
      boolean test(int candidate) {
        return candidate == position;
      }
    };
  }

  @Override
  public Node attribute(Attribute attribute, String value) {
    if (attribute == Attribute.SERVER_ID) {
      return serverNode(value);
    }
    return postingsNode(shard.attributePostings(attribute, value));
  }

  /** The rows of a server: the union of its (id, name) entries, one in practice. */
  private Node serverNode(String serverId) {
    TextIndex servers = shard.servers();
    int[] entries = servers.groupEntries(serverId);  // once a query, not once a row tested
    return new Node() {
      @Override
      boolean isShared() {
        return true;
      }

      @Override
      long estimate() {
        return servers.groupCount(entries);
      }

      @Override
      MatchSet materialize() {
        return servers.group(entries, shard.firstLiveWord(), shard.size());
      }

      @Override
      boolean test(int position) {
        return servers.groupContains(entries, position);
      }
    };
  }

  private Node postingsNode(Postings postings) {
    return new PostingsNode(postings);
  }

  /** The rows of one indexed value: its postings, shared. */
  private class PostingsNode extends Node {
    final Postings postings;

    PostingsNode(Postings postings) {
      this.postings = postings;
    }

    @Override
    boolean isShared() {
      return true;
    }

    @Override
    boolean isBitmap() {
      return postings != null && postings.isDense();
    }

    @Override
    long estimate() {
      return postings == null ? 0 : postings.count();
    }

    @Override
    MatchSet materialize() {
      return shard.setOf(postings);
    }

    @Override
    boolean test(int position) {
      return postings != null && postings.contains(position);
    }
  }

  /** The rows with one tag key=value: an and of two or more may answer from the tag sets instead. */
  private final class TagValueNode extends PostingsNode {
    final String key;
    final String value;

    TagValueNode(String key, String value, Postings postings) {
      super(postings);
      this.key = key;
      this.value = value;
    }
  }

  @Override
  public Node tag(String key, List<String> values) {
    if (values.isEmpty()) {
      return postingsNode(shard.tagKeyPostings(key));
    }
    GrowingMap<Postings> existing = shard.tagValuePostings(key);
    if (values.size() == 1 && !values.get(0).startsWith("*")) {
      return new TagValueNode(key, values.get(0), existing.get(values.get(0)));
    }
    List<Postings> matching = new ArrayList<>();
    for (String pattern : values) {
      if (pattern.startsWith("*")) {
        String part = pattern.substring(1);
        existing.forEach((value, postings) -> {
          if (value.contains(part) && !matching.contains(postings)) {
            matching.add(postings);
          }
        });
      } else {
        Postings postings = existing.get(pattern);
        if (postings != null && !matching.contains(postings)) {
          matching.add(postings);
        }
      }
    }
    if (matching.size() == 1) {
      return postingsNode(matching.get(0));
    }
    List<Node> operands = new ArrayList<>();
    for (Postings postings : matching) {
      operands.add(postingsNode(postings));
    }
    return new OrNode(operands);
  }

  @Override
  public Node stalled() {
    Instant cutoff = stallRule.stalledIfChangedBefore(now);
    RunningJobs running = shard.running();
    return new Node() {
      @Override
      long estimate() {
        return running.countChangedBefore(cutoff);  // exact, and a binary search
      }

      @Override
      Positions positions() {
        return running.positionsChangedBefore(cutoff, shard.sortedCount());  // a page reads a few of them: not sorted
      }

      @Override
      MatchSet materialize() {
        return running.changedBefore(cutoff);
      }

      @Override
      boolean test(int position) {
        return running.changedBefore(position, cutoff);
      }
    };
  }

  @Override
  public Node and(List<BackupPredicate> operands) {
    List<RangeNode> ranges = new ArrayList<>();
    List<Node> others = new ArrayList<>();
    for (BackupPredicate operand : operands) {
      Node node = operand.accept(this);
      if (node instanceof RangeNode) {
        ranges.add((RangeNode) node);
      } else {
        others.add(node);
      }
    }
    others = withTagSets(others, ranges.isEmpty());
    if (ranges.isEmpty() && others.size() == 1 && others.get(0) instanceof TagSetsNode) {
      return others.get(0);  // walked lazily for a page, counted by the sets' counts
    }
    others.sort(Comparator.comparingLong(Node::estimate));
    if (others.size() > 2) {
      // the most selective operand drives; then bitmaps, a bit test a row, before sorted arrays,
      // which are merged: correlated tags keep results large for several steps, and bit tests shrink
      // them far cheaper than merges
      Node driver = others.remove(0);
      others.sort(Comparator.comparing((Node node) -> !node.isBitmap()).thenComparingLong(Node::estimate));
      others.add(0, driver);
    }
    return new AndNode(ranges, others);
  }

  /**
   * {@code operands} with their tag=value criteria, when there are two distinct pairs or more,
   * replaced by the rows of the tag sets that hold them all (see {@link TagSets}): the intersection
   * of the pairs' short lists of set ids, whose rows are the exact answer. Kept as they are when those
   * sets are so many that uniting their rows would cost more than intersecting the tags' rows as
   * before (the tags' own rows are few, or the answer is a large share of the catalog).
   */
  private List<Node> withTagSets(List<Node> operands, boolean noRanges) {
    List<TagValueNode> leaves = new ArrayList<>();
    List<Node> rest = new ArrayList<>();
    for (Node node : operands) {
      if (node instanceof TagValueNode) {
        leaves.add((TagValueNode) node);
      } else {
        rest.add(node);
      }
    }
    if (leaves.size() < 2) {
      return operands;
    }
    List<TagValueNode> distinct = new ArrayList<>();
    for (TagValueNode leaf : leaves) {
      if (distinct.stream().noneMatch(seen -> seen.key.equals(leaf.key) && seen.value.equals(leaf.value))) {
        distinct.add(leaf);  // the same criterion twice counts once
      }
    }
    TagSets tagSets = shard.tagSets();
    if (distinct.size() < 2 || !tagSets.enabled()) {
      return operands;
    }
    List<Postings> setLists = new ArrayList<>();
    long fewestRows = Long.MAX_VALUE;
    for (TagValueNode leaf : distinct) {
      fewestRows = Math.min(fewestRows, leaf.estimate());
      Postings sets = tagSets.setsWith(leaf.key, leaf.value);
      if (sets == null) {
        // no set of two tags or more has this pair, and a row with fewer cannot match two pairs
        setLists.clear();
        break;
      }
      setLists.add(sets);
    }
    TagSets.TagSet[] matching = new TagSets.TagSet[8];
    int count = 0;
    long rows = 0;
    if (!setLists.isEmpty()) {
      setLists.sort(Comparator.comparingInt(Postings::count));
      MatchSet ids = MatchSet.of(setLists.get(0));
      for (int i = 1; i < setLists.size() && !ids.isEmpty(); i++) {
        ids = ids.and(MatchSet.of(setLists.get(i)));
      }
      // intersecting the tags' rows costs about the fewest rows (a bit test each) or a word-wise and
      // over the catalog, per pair after the first; a page of the sets alone costs a lookup a set,
      // and an and with other criteria the union of the sets' rows besides
      long intersecting = (distinct.size() - 1) * Math.min(fewestRows, wordsInUse());
      boolean walked = noRanges && rest.isEmpty();
      for (int id = ids.next(0); id >= 0; id = ids.next(id + 1)) {
        TagSets.TagSet set = tagSets.set(id);
        if (count == matching.length) {
          matching = java.util.Arrays.copyOf(matching, count * 2);
        }
        matching[count++] = set;
        rows += set.rows.count();
        long uniting = SET_COST * (long) count + (walked ? 0 : unionCost(rows));
        if (uniting > intersecting) {
          return operands;
        }
      }
    }
    rest.add(new TagSetsNode(java.util.Arrays.copyOf(matching, count), (int) rows, leaves));
    return rest;
  }

  /** Each tag set of an answer costs about this many word operations: a lookup, a binary search. */
  private static final int SET_COST = 16;

  /** About the word operations of uniting {@code rows} rows of tag sets: sorted, or set in a bitmap. */
  private long unionCost(long rows) {
    return Math.min(rows * (64 - Long.numberOfLeadingZeros(rows)), wordsInUse() + rows);
  }

  /** The words of a bitmap over the shard's positions in use (past its dead prefix). */
  private int wordsInUse() {
    return Bits.wordsFor(shard.size()) - shard.firstLiveWord();
  }

  /** The rows of the tag sets that hold every tag of a conjunction: disjoint, so counted by theirs. */
  private final class TagSetsNode extends Node {
    private final TagSets.TagSet[] sets;
    private final int rows;
    private final List<TagValueNode> leaves;

    TagSetsNode(TagSets.TagSet[] sets, int rows, List<TagValueNode> leaves) {
      this.sets = sets;
      this.rows = rows;
      this.leaves = leaves;
    }

    @Override
    long estimate() {
      return rows;  // exact
    }

    @Override
    Positions positions() {
      if (sets.length <= 1) {
        return materialize();
      }
      MatchSet[] each = new MatchSet[sets.length];
      for (int i = 0; i < sets.length; i++) {
        each[i] = shard.setOf(sets[i].rows);
      }
      // a row is in the sets exactly when it has every tag: a few postings tested where the sets
      // (hundreds, for two tags) would take a search each, as a walk of the late rows asks row by row
      return Positions.disjointUnion(each, rows, this::test, leavesCost());
    }

    /** The cost of {@link #test}, in {@link Positions#containsCost()}'s units: a test of each tag's postings. */
    private double leavesCost() {
      double cost = 0;
      for (TagValueNode leaf : leaves) {
        Postings postings = leaf.postings;
        if (postings != null) {
          cost += MatchSet.containsCost(postings.isDense(), postings.count());
        }
      }
      return cost;
    }

    @Override
    MatchSet materialize() {
      if (sets.length == 1) {
        return shard.setOf(sets[0].rows);
      }
      if (rows == 0) {
        return MatchSet.EMPTY;
      }
      if (unionCost(rows) < (long) rows * (64 - Long.numberOfLeadingZeros(rows))) {  // a bitmap beats a sort
        int fromWord = shard.firstLiveWord();
        long[] words = new long[Math.max(1, wordsInUse())];
        for (TagSets.TagSet set : sets) {
          set.rows.orInto(words, fromWord);
        }
        return MatchSet.sharedWindow(words, fromWord, fromWord, fromWord + words.length, rows);
      }
      int[] all = new int[rows];
      int at = 0;
      for (TagSets.TagSet set : sets) {
        at += set.rows.copyTo(all, at);
      }
      java.util.Arrays.sort(all);
      return MatchSet.sparse(all, rows);
    }

    @Override
    boolean test(int position) {
      for (TagValueNode leaf : leaves) {
        if (!leaf.test(position)) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * A conjunction. Its time segments narrow every other operand to one window of positions; the
   * most selective of the others drives, and each next operand is either intersected (a word-wise
   * and over the window, or a filter of a sparse result) or, when the result is much smaller than
   * what the operand would materialize, tested row by row.
   */
  private final class AndNode extends Node {
    private final List<RangeNode> ranges;
    private final List<Node> others;
    private final int low;
    private final int high;

    AndNode(List<RangeNode> ranges, List<Node> others) {
      this.ranges = ranges;
      this.others = others;
      int low = 0;
      int high = shard.sortedCount();
      for (RangeNode range : ranges) {
        low = Math.max(low, range.low);
        high = Math.min(high, range.high);
      }
      this.low = low;
      this.high = high;
    }

    @Override
    long estimate() {
      long tail = shard.size() - shard.sortedCount();
      long window = ranges.isEmpty() ? Long.MAX_VALUE : Math.max(0, high - low) + tail;
      return others.isEmpty() ? window : Math.min(window, others.get(0).estimate());
    }

    @Override
    MatchSet materialize() {
      if (others.isEmpty()) {
        return ranges.size() == 1 ? ranges.get(0).materialize() : inWindow(shard.liveSet());
      }
      MatchSet result = inWindow(others.get(0).materialize());
      for (int i = 1; i < others.size() && !result.isEmpty(); i++) {
        Node next = others.get(i);
        if (next instanceof NotNode) {
          Node inner = ((NotNode) next).operand;
          result = !inner.isShared() && result.cardinality() * TEST_COST < inner.estimate()
              ? result.filter(position -> !inner.test(position))
              : result.andNot(inner.materialize());
        } else if (next.isShared() || result.cardinality() * TEST_COST >= next.estimate()) {
          result = result.and(next.materialize());
        } else {
          result = result.filter(next::test);
        }
      }
      return result;
    }

    /** {@code set} narrowed to the time segments: the sorted window, and the tail rows inside them. */
    private MatchSet inWindow(MatchSet set) {
      if (ranges.isEmpty()) {
        return set;
      }
      if (shard.tail().size() == 0) {
        return set.restrict(low, high);
      }
      MatchSet late = ranges.get(0).tailPart();
      for (int i = 1; i < ranges.size() && !late.isEmpty(); i++) {
        late = late.and(ranges.get(i).tailPart());
      }
      MatchSet inOrder = set.restrict(low, high);
      return late.isEmpty() ? inOrder : inOrder.or(late.and(set));
    }

    private boolean inRanges(int position) {
      for (RangeNode range : ranges) {
        if (!range.test(position)) {
          return false;
        }
      }
      return true;
    }

    @Override
    boolean test(int position) {
      if (!inRanges(position)) {
        return false;
      }
      for (Node node : others) {
        if (!node.test(position)) {
          return false;
        }
      }
      return true;
    }
  }

  @Override
  public Node or(List<BackupPredicate> operands) {
    List<Node> nodes = new ArrayList<>();
    for (BackupPredicate operand : operands) {
      nodes.add(operand.accept(this));
    }
    return new OrNode(nodes);
  }

  private static final class OrNode extends Node {
    private final List<Node> operands;

    OrNode(List<Node> operands) {
      this.operands = operands;
    }

    @Override
    long estimate() {
      long total = 0;
      for (Node operand : operands) {
        total += operand.estimate();
      }
      return total;
    }

    @Override
    MatchSet materialize() {
      MatchSet result = MatchSet.EMPTY;
      for (Node operand : operands) {
        result = result.or(operand.materialize());
      }
      return result;
    }

    @Override
    boolean test(int position) {
      for (Node operand : operands) {
        if (operand.test(position)) {
          return true;
        }
      }
      return false;
    }
  }

  @Override
  public Node not(BackupPredicate operand) {
    return new NotNode(operand.accept(this));
  }

  private final class NotNode extends Node {
    private final Node operand;

    NotNode(Node operand) {
      this.operand = operand;
    }

    @Override
    long estimate() {
      return shard.liveCount();
    }

    @Override
    MatchSet materialize() {
      return shard.liveSet().andNot(operand.materialize());
    }

    @Override
    boolean test(int position) {
      return shard.isLive(position) && !operand.test(position);
    }
  }
}
