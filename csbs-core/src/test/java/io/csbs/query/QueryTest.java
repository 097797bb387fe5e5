package io.csbs.query;

import static io.csbs.query.TestBackups.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.csbs.backup.BackupStatus;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QueryTest {
  private static final BackupPredicate AVAILABLE = Predicates.status(BackupStatus.AVAILABLE);

  @Test
  void defaultsAreEveryBackupNewestFirstThe1000First() {
    Query query = Query.builder().build();
    assertSame(Predicates.all(), query.predicate());
    assertSame(Sort.DEFAULT, query.sort());
    assertEquals(1000, query.limit());
    assertEquals(Optional.empty(), query.marker());
    assertEquals(0, query.offset());
    assertEquals(Query.all(), query);
  }

  @Test
  void whereIsTheFirstPageOfAPredicate() {
    assertEquals(Query.builder().where(AVAILABLE).build(), Query.where(AVAILABLE));
  }

  @Test
  void limitOf1IsAccepted() {
    assertEquals(1, Query.builder().limit(1).build().limit());
  }

  @Test
  void limitOf1000IsAccepted() {
    assertEquals(1000, Query.builder().limit(1000).build().limit());
  }

  @Test
  void limitOf0IsRefused() {
    assertInvalid("limit", "1 to 1000", () -> Query.builder().limit(0));
  }

  @Test
  void limitOf1001IsRefused() {
    assertInvalid("limit", "1 to 1000", () -> Query.builder().limit(1001));
  }

  @Test
  void negativeLimitIsRefused() {
    assertInvalid("limit", () -> Query.builder().limit(-1));
  }

  @Test
  void negativeOffsetIsRefused() {
    assertInvalid("offset", "not be negative", () -> Query.builder().offset(-1));
  }

  @Test
  void blankMarkerIsRefused() {
    assertInvalid("marker", () -> Query.builder().marker(" "));
  }

  @Test
  void markerWithAnOffsetIsRefused() {
    assertInvalid("marker", "offset", () -> Query.builder().marker("b1").offset(20).build());
  }

  @Test
  void markerWithOffsetZeroIsAccepted() {
    Query query = Query.builder().offset(0).marker("b1").build();
    assertEquals(Optional.of("b1"), query.marker());
  }

  @Test
  void nullMarkerStartsFromTheFirst() {
    assertEquals(Query.all(), Query.builder().marker("b1").marker(null).build());
  }

  @Test
  void afterContinuesAfterTheMarkerWithoutTheOffset() {
    Query first = Query.builder().where(AVAILABLE).limit(20).offset(40).build();
    Query next = first.after("b20");
    assertEquals(Optional.of("b20"), next.marker());
    assertEquals(0, next.offset());
    assertEquals(20, next.limit());
    assertEquals(AVAILABLE, next.predicate());
  }

  @Test
  void toBuilderKeepsEveryValue() {
    Query query = Query.builder().where(AVAILABLE).sort(Sort.parse("name:asc")).limit(5).offset(10).build();
    assertEquals(query, query.toBuilder().build());
  }

  @Test
  void equalQueriesAreEqualWithEqualHashCodes() {
    Query one = Query.builder().where(AVAILABLE).limit(20).marker("x").build();
    Query two = Query.builder().where(Predicates.status(BackupStatus.AVAILABLE)).limit(20).marker("x").build();
    assertEquals(one, two);
    assertEquals(one.hashCode(), two.hashCode());
  }

  @Test
  void queriesDifferingInOneValueDiffer() {
    Query base = Query.where(AVAILABLE);
    assertNotEquals(base, base.toBuilder().limit(10).build());
    assertNotEquals(base, base.toBuilder().offset(1).build());
    assertNotEquals(base, base.after("x"));
    assertNotEquals(base, base.toBuilder().sort(Sort.parse("name")).build());
    assertNotEquals(base, Query.all());
  }

  @Test
  void toStringShowsThePredicateSortLimitAndPage() {
    assertEquals("Query{where all, sort created_at:desc, limit 1000}", Query.all().toString());
    assertEquals("Query{where status = Available, sort name:asc, limit 20, after b1}",
        Query.builder().where(AVAILABLE).sort(Sort.parse("name:asc")).limit(20).marker("b1").build().toString());
    assertEquals("Query{where all, sort created_at:desc, limit 20, offset 40}",
        Query.builder().limit(20).offset(40).build().toString());
  }
}
