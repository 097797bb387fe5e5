package io.csbs.catalog;

import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.roaringbitmap.RoaringBitmap;

/**
 * The choice of representation for tag postings, measured: the count of the intersection of two
 * posting lists over {@code backups} rows, with csbs's adaptive postings (a sorted {@code int[]}
 * below 1/32 of the rows, a {@code long[]} bitmap above), RoaringBitmap and {@code java.util.BitSet}.
 * {@code pair} names the two densities: both rare (2% and 2.5%, the shape of correlated tags that
 * made the ten-tag search slow), rare with common (2% and 30%), both common (30% and 40%). Heap per
 * posting list is printed at setup.
 *
 * <p>In package {@code io.csbs.catalog} to reach the package-private postings. Run: {@code java -jar
 * csbs-benchmarks/target/benchmarks.jar PostingsBenchmark -p backups=1000000}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class PostingsBenchmark {
  /** Rows in the catalog. */
  @Param({"1000000"})
  int backups;

  /** The densities of the two posting lists, in percent. */
  @Param({"2_2.5", "2_30", "30_40"})
  String pair;

  private MatchSet csbsA;
  private MatchSet csbsB;
  private RoaringBitmap roaringA;
  private RoaringBitmap roaringB;
  private BitSet bitSetA;
  private BitSet bitSetB;

  @Setup(Level.Trial)
  public void build() {
    String[] densities = pair.split("_");
    SplittableRandom random = new SplittableRandom(42);
    Postings a = new Postings();
    Postings b = new Postings();
    roaringA = new RoaringBitmap();
    roaringB = new RoaringBitmap();
    bitSetA = new BitSet(backups);
    bitSetB = new BitSet(backups);
    double da = Double.parseDouble(densities[0]) / 100;
    double db = Double.parseDouble(densities[1]) / 100;
    for (int row = 0; row < backups; row++) {
      if (random.nextDouble() < da) {
        a.add(row, backups);
        roaringA.add(row);
        bitSetA.set(row);
      }
      if (random.nextDouble() < db) {
        b.add(row, backups);
        roaringB.add(row);
        bitSetB.set(row);
      }
    }
    roaringA.runOptimize();
    roaringB.runOptimize();
    csbsA = MatchSet.of(a);
    csbsB = MatchSet.of(b);
    System.out.printf("%n%s: rows %d/%d; csbs %s/%s; roaring %d/%d bytes; BitSet %d bytes each%n", pair,
        a.count(), b.count(), a.isDense() ? "bitmap" : "int[]", b.isDense() ? "bitmap" : "int[]",
        roaringA.serializedSizeInBytes(), roaringB.serializedSizeInBytes(), bitSetA.size() / 8);
    if (csbsA.and(csbsB).cardinality() != RoaringBitmap.andCardinality(roaringA, roaringB)) {
      throw new IllegalStateException("csbs and RoaringBitmap disagree on " + pair);
    }
  }

  /** csbs: intersect (galloping merge, bit tests or word-wise and, as the sizes decide) and count. */
  @Benchmark
  public int csbs() {
    return csbsA.and(csbsB).cardinality();
  }

  /** RoaringBitmap: materialize the intersection and count it, as a page and its total need. */
  @Benchmark
  public int roaring() {
    return RoaringBitmap.and(roaringA, roaringB).getCardinality();
  }

  /** RoaringBitmap's count without materializing (a lower bound: a page needs the positions too). */
  @Benchmark
  public int roaringCountOnly() {
    return RoaringBitmap.andCardinality(roaringA, roaringB);
  }

  /** java.util.BitSet: copy, and, count. */
  @Benchmark
  public int bitSet() {
    BitSet copy = (BitSet) bitSetA.clone();
    copy.and(bitSetB);
    return copy.cardinality();
  }
}
