package io.csbs.query;

import static io.csbs.query.TestBackups.assertInvalid;
import static io.csbs.query.TestBackups.backup;
import static io.csbs.query.TestBackups.matches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ListQueryStringTest {
  private static final Instant START = Instant.parse("2017-04-18T01:21:52.701973Z");
  private static final Instant END = Instant.parse("2017-04-19T00:00:00Z");

  private static BackupPredicate where(String rawQueryString) {
    return ListQueryString.parse(rawQueryString).predicate();
  }

  // ---- the whole string

  @Test
  void percentEncodingThatIsNoUtf8IsRefusedNamingTheParameter() {
    assertEquals("café db", ListQueryString.decodeParameter("name", "caf%C3%A9+db"));
    assertEquals("20", ListQueryString.decodeParameter("offset", "20"));
    assertTrue(ListQueryString.parse("name=caf%C3%A9").predicate().toString().contains("café"));
    assertInvalid("name", "UTF-8", () -> ListQueryString.parse("name=%FF"));
    assertInvalid("name", "UTF-8", () -> ListQueryString.parse("name=caf%C3"));
    assertInvalid("name", "UTF-8", () -> ListQueryString.decodeParameter("name", "%E9"));
    assertInvalid("name", "two hex digits", () -> ListQueryString.decodeParameter("name", "a%2"));
    assertInvalid("name", "two hex digits", () -> ListQueryString.decodeParameter("name", "%zz"));
  }

  @Test
  void emptyStringIsEveryBackupNewestFirst() {
    assertEquals(Query.all(), ListQueryString.parse(""));
  }

  @Test
  void javadocExampleBindsEveryPart() {
    Query query = ListQueryString.parse("status=available&name=auto&sort=created_at:desc&limit=20");
    Query expected = Query.builder()
        .where(Predicates.and(Predicates.status(BackupStatus.AVAILABLE), Predicates.nameContains("auto")))
        .sort(Sort.DEFAULT)
        .limit(20)
        .build();
    assertEquals(expected, query);
  }

  @Test
  void leadingQuestionMarkIsSkipped() {
    assertEquals(ListQueryString.parse("limit=5"), ListQueryString.parse("?limit=5"));
  }

  @Test
  void emptyPairsAreSkipped() {
    assertEquals(ListQueryString.parse("status=error&limit=5"), ListQueryString.parse("&status=error&&limit=5&"));
  }

  @Test
  void orderOfParametersDoesNotMatter() {
    assertEquals(
        ListQueryString.parse("name=auto&status=error&az=eu-de-02&resource_name=web"),
        ListQueryString.parse("resource_name=web&az=eu-de-02&status=error&name=auto"));
  }

  @Test
  void everyCriterionIsAndedInTheOrderOfTheParameterList() {
    BackupPredicate predicate = where("policy_id=p1&resource_type=OS::Nova::Server&az=eu-de-02"
        + "&end_time=2017-04-19T00:00:00&start_time=2017-04-18T01:21:52.701973&checkpoint_id=b1"
        + "&resource_name=web&resource_id=s1&name=auto&status=protecting");
    BackupPredicate expected = Predicates.and(
        Predicates.status(BackupStatus.CREATING),
        Predicates.nameContains("auto"),
        Predicates.serverId("s1"),
        Predicates.serverNameContains("web"),
        Predicates.backupId("b1"),
        Predicates.createdBetween(START, END),
        Predicates.availabilityZone("eu-de-02"),
        Predicates.resourceType("OS::Nova::Server"),
        Predicates.policyId("p1"));
    assertEquals(expected, predicate);
  }

  @Test
  void mapFormEqualsTheStringForm() {
    Map<String, List<String>> parameters = new LinkedHashMap<>();
    parameters.put("status", List.of("error"));
    parameters.put("resource_type", List.of("OS::Nova::Server"));
    parameters.put("limit", List.of("5"));
    assertEquals(ListQueryString.parse("status=error&resource_type=OS%3A%3ANova%3A%3AServer&limit=5"),
        ListQueryString.parse(parameters));
  }

  @Test
  void mapFormTakesValuesAsTheyAre() {
    assertEquals(Predicates.nameContains("a%20b"), ListQueryString.parse(Map.of("name", List.of("a%20b"))).predicate());
  }

  // ---- status

  @ParameterizedTest
  @CsvSource({
      "waiting_protect, CREATING", "protecting, CREATING", "available, AVAILABLE",
      "waiting_restore, RESTORING", "restoring, RESTORING", "error, ERROR",
      "waiting_delete, DELETING", "deleting, DELETING"})
  void rawStatusSelectsTheStateItMapsTo(String raw, BackupStatus state) {
    assertEquals(Predicates.status(state), where("status=" + raw));
  }

  @Test
  void deletedStatusMatchesNothing() {
    assertSame(Predicates.none(), where("status=deleted"));
    assertSame(Predicates.none(), where("status=deleted&name=auto"));
  }

  @Test
  void unknownStatusIsRefusedListingTheNine() {
    assertInvalid("status", "waiting_protect, protecting, available, waiting_restore, restoring, error, "
        + "waiting_delete, deleting, deleted", () -> ListQueryString.parse("status=paused"));
  }

  @Test
  void statusInAnotherCaseIsRefused() {
    assertInvalid("status", () -> ListQueryString.parse("status=Available"));
  }

  // ---- keyword parameters

  @Test
  void nameIsFuzzy() {
    BackupPredicate predicate = where("name=AUTO");
    assertEquals(Predicates.nameContains("AUTO"), predicate);
    assertTrue(matches(predicate, backup().name("my_autobk_1").build()));
  }

  @Test
  void resourceIdIsTheExactServerId() {
    BackupPredicate predicate = where("resource_id=f8ddc472-cf00-4384-851e-5f2a68c33762");
    assertEquals(Predicates.serverId("f8ddc472-cf00-4384-851e-5f2a68c33762"), predicate);
    assertTrue(matches(predicate, backup().build()));
    assertFalse(matches(where("resource_id=f8ddc472"), backup().build()));
  }

  @Test
  void resourceNameIsTheFuzzyServerName() {
    BackupPredicate predicate = where("resource_name=GGAO");
    assertEquals(Predicates.serverNameContains("GGAO"), predicate);
    assertTrue(matches(predicate, backup().build()));
  }

  @Test
  void checkpointIdIsTheExactBackupId() {
    assertEquals(Predicates.backupId("7b99acfd"), where("checkpoint_id=7b99acfd"));
  }

  @Test
  void azIsTheAvailabilityZone() {
    assertEquals(Predicates.availabilityZone("eu-de-02"), where("az=eu-de-02"));
  }

  @Test
  void resourceTypeIsExact() {
    assertEquals(Predicates.resourceType("OS::Nova::Server"), where("resource_type=OS::Nova::Server"));
  }

  @Test
  void policyIdIsExact() {
    assertEquals(Predicates.policyId("policy-daily"), where("policy_id=policy-daily"));
  }

  @Test
  void valuesArePercentDecoded() {
    assertEquals(Predicates.resourceType("OS::Nova::Server"), where("resource_type=OS%3A%3ANova%3A%3AServer"));
    assertEquals(Predicates.serverNameContains("web 01"), where("resource_name=web%2001"));
  }

  @Test
  void plusIsASpace() {
    assertEquals(Predicates.serverNameContains("web 01"), where("resource_name=web+01"));
  }

  @Test
  void namesArePercentDecoded() {
    assertEquals(Predicates.nameContains("auto"), where("n%61me=auto"));
  }

  @Test
  void blankNameIsRefusedAsName() {
    assertInvalid("name", "non-blank", () -> ListQueryString.parse("name=%20"));
  }

  @Test
  void nameLongerThan255CharsIsRefused() {
    assertInvalid("name", "at most 255", () -> ListQueryString.parse("name=" + "a".repeat(256)));
  }

  @Test
  void blankResourceIdIsRefusedAsResourceId() {
    assertInvalid("resource_id", "non-blank", () -> ListQueryString.parse("resource_id=+"));
  }

  @Test
  void blankAzIsRefusedAsAz() {
    assertInvalid("az", "non-blank", () -> ListQueryString.parse("az=%20%20"));
  }

  @Test
  void blankPolicyIdIsRefusedAsPolicyId() {
    assertInvalid("policy_id", () -> ListQueryString.parse("policy_id=+"));
  }

  // ---- times

  @Test
  void startTimeAloneIsAnInclusiveLowerBound() {
    BackupPredicate predicate = where("start_time=2017-04-18T01:21:52.701973");
    assertEquals(Predicates.createdIn(TimeRange.from(START)), predicate);
    assertTrue(matches(predicate, backup().createdAt(START).build()));
    assertFalse(matches(predicate, backup().createdAt(START.minusNanos(1000)).build()));
  }

  @Test
  void endTimeAloneIsAnInclusiveUpperBound() {
    BackupPredicate predicate = where("end_time=2017-04-19T00:00:00");
    assertEquals(Predicates.createdIn(TimeRange.until(END)), predicate);
    assertTrue(matches(predicate, backup().createdAt(END).build()));
    assertFalse(matches(predicate, backup().createdAt(END.plusNanos(1)).build()));
  }

  @Test
  void bothTimesAreAnInclusiveRange() {
    assertEquals(Predicates.createdBetween(START, END),
        where("start_time=2017-04-18T01:21:52.701973&end_time=2017-04-19T00:00:00"));
  }

  @Test
  void equalStartAndEndAreOneInstant() {
    assertEquals(Predicates.createdBetween(END, END), where("start_time=2017-04-19T00:00:00&end_time=2017-04-19T00:00:00"));
  }

  @Test
  void timesAreUtc() {
    assertEquals(Predicates.createdIn(TimeRange.from(Instant.parse("2018-08-14T07:53:15.663766Z"))),
        where("start_time=2018-08-14T07:53:15.663766"));
  }

  @ParameterizedTest
  @CsvSource({
      "2017-04-19T00:00:00, 2017-04-19T00:00:00Z",
      "2017-04-19T00:00:00.5, 2017-04-19T00:00:00.5Z",
      "2017-04-19T00:00:00.123456789, 2017-04-19T00:00:00.123456789Z"})
  void fractionOfASecondIsOptionalUpTo9Digits(String text, String instant) {
    assertEquals(Predicates.createdIn(TimeRange.from(Instant.parse(instant))), where("start_time=" + text));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "2017-04-18T01:21:52.701973Z",     // a zone
      "2017-04-18T01:21:52%2B08:00",     // an offset
      "2017-04-18T01:21:52.1234567890",  // 10 digits
      "2017-04-18T01:21:52.",            // a point without digits
      "2017-04-18",                      // no time
      "2017-04-18T01:21",                // no seconds
      "2017-04-18 01:21:52",             // no T
      "2017-02-30T01:21:52",             // no such day
      "2017-04-18T24:00:00",             // no such hour
      "yesterday"})
  void badStartTimeIsRefused(String text) {
    assertInvalid("start_time", "2017-04-18T01:21:52.701973", () -> ListQueryString.parse("start_time=" + text));
  }

  @Test
  void badEndTimeIsRefused() {
    assertInvalid("end_time", "without a zone", () -> ListQueryString.parse("end_time=2017-04-18T01:21:52Z"));
  }

  @Test
  void startAfterEndIsRefused() {
    assertInvalid("start_time", "must not be after end_time 2017-04-18T00:00:00",
        () -> ListQueryString.parse("start_time=2017-04-18T00:00:01&end_time=2017-04-18T00:00:00"));
  }

  // ---- sort and page

  @Test
  void sortIsParsed() {
    assertEquals(Sort.parse("name:asc,created_at:desc"), ListQueryString.parse("sort=name:asc,created_at:desc").sort());
  }

  @Test
  void sortWithAPercentEncodedCommaIsParsed() {
    assertEquals(Sort.parse("name:asc,created_at:desc"), ListQueryString.parse("sort=name%3Aasc%2Ccreated_at%3Adesc").sort());
  }

  @Test
  void badSortIsRefused() {
    assertInvalid("sort", "created_at, updated_at, name, status, id", () -> ListQueryString.parse("sort=size:desc"));
  }

  @Test
  void limitDefaultsTo1000() {
    assertEquals(1000, ListQueryString.parse("name=auto").limit());
  }

  @Test
  void limitIsParsed() {
    assertEquals(1, ListQueryString.parse("limit=1").limit());
    assertEquals(1000, ListQueryString.parse("limit=1000").limit());
  }

  @Test
  void limitOf0IsRefused() {
    assertInvalid("limit", "1 to 1000", () -> ListQueryString.parse("limit=0"));
  }

  @Test
  void limitOf1001IsRefused() {
    assertInvalid("limit", "1 to 1000", () -> ListQueryString.parse("limit=1001"));
  }

  @Test
  void negativeLimitIsRefused() {
    assertInvalid("limit", "whole number", () -> ListQueryString.parse("limit=-1"));
  }

  @Test
  void limitWithASignIsRefused() {
    assertInvalid("limit", "whole number", () -> ListQueryString.parse("limit=%2B5"));
  }

  @Test
  void nonNumericLimitIsRefused() {
    assertInvalid("limit", "whole number", () -> ListQueryString.parse("limit=ten"));
  }

  @Test
  void hugeLimitIsRefused() {
    assertInvalid("limit", "1 to 1000", () -> ListQueryString.parse("limit=99999999999999999999"));
  }

  @Test
  void markerIsKept() {
    Query query = ListQueryString.parse("marker=7b99acfd&limit=20");
    assertEquals(Optional.of("7b99acfd"), query.marker());
    assertEquals(0, query.offset());
  }

  @Test
  void blankMarkerIsRefused() {
    assertInvalid("marker", () -> ListQueryString.parse("marker=%20"));
  }

  @Test
  void offsetIsParsed() {
    assertEquals(40, ListQueryString.parse("offset=40").offset());
    assertEquals(0, ListQueryString.parse("offset=0").offset());
  }

  @Test
  void negativeOffsetIsRefused() {
    assertInvalid("offset", "0 or more", () -> ListQueryString.parse("offset=-1"));
  }

  @Test
  void nonNumericOffsetIsRefused() {
    assertInvalid("offset", "whole number", () -> ListQueryString.parse("offset=1e3"));
  }

  @Test
  void offsetBeyondALongIsRefused() {
    assertInvalid("offset", "whole number", () -> ListQueryString.parse("offset=9223372036854775808"));
  }

  @Test
  void markerWithAnOffsetIsRefused() {
    assertInvalid("marker", "offset", () -> ListQueryString.parse("marker=b1&offset=20"));
  }

  @Test
  void markerWithOffsetZeroIsRefusedToo() {
    assertInvalid("marker", "offset", () -> ListQueryString.parse("offset=0&marker=b1"));
  }

  // ---- strictness

  @Test
  void unknownParameterIsRefusedListingTheAcceptedOnes() {
    InvalidValueException e = assertInvalid("color", () -> ListQueryString.parse("status=available&color=red"));
    assertEquals("color 'red' is invalid: is not a parameter of the backup list; it accepts status, name, "
        + "resource_id, resource_name, checkpoint_id, start_time, end_time, az, resource_type, policy_id, sort, "
        + "limit, marker, offset", e.getMessage());
  }

  @Test
  void parameterNameInAnotherCaseIsUnknown() {
    assertInvalid("Status", "is not a parameter", () -> ListQueryString.parse("Status=available"));
  }

  @Test
  void unknownParameterWithABadEncodingIsRefusedAsUnknown() {
    assertInvalid("color", "is not a parameter", () -> ListQueryString.parse("color=%zz"));
  }

  @Test
  void repeatedParameterIsRefused() {
    assertInvalid("status", "at most once", () -> ListQueryString.parse("status=available&status=error"));
  }

  @Test
  void repeatedParameterWithEqualValuesIsRefused() {
    assertInvalid("limit", "at most once", () -> ListQueryString.parse("limit=5&limit=5"));
  }

  @Test
  void emptyValueIsRefused() {
    assertInvalid("name", "not be empty", () -> ListQueryString.parse("name="));
  }

  @Test
  void parameterWithoutAnEqualsSignIsAnEmptyValue() {
    assertInvalid("status", "not be empty", () -> ListQueryString.parse("status&limit=5"));
  }

  @Test
  void pairWithoutANameIsRefused() {
    assertInvalid("query string", "name=value", () -> ListQueryString.parse("=available"));
  }

  @Test
  void badPercentEncodingOfAValueIsRefusedNamingTheParameter() {
    assertInvalid("name", "percent-encoded", () -> ListQueryString.parse("name=auto%2"));
  }

  @Test
  void badPercentEncodingOfANameIsRefused() {
    assertInvalid("query string", "percent-encoded", () -> ListQueryString.parse("na%zzme=auto"));
  }

  @Test
  void mapWithARepeatedParameterIsRefused() {
    assertInvalid("name", "at most once", () -> ListQueryString.parse(Map.of("name", List.of("a", "b"))));
  }

  @Test
  void mapWithoutAValueIsRefused() {
    assertInvalid("name", "must have a value", () -> ListQueryString.parse(Map.of("name", List.of())));
  }

  @Test
  void mapWithAnEmptyValueIsRefused() {
    assertInvalid("az", "not be empty", () -> ListQueryString.parse(Map.of("az", List.of(""))));
  }

  @Test
  void mapWithAnUnknownParameterIsRefused() {
    assertInvalid("project_id", "it accepts status", () -> ListQueryString.parse(Map.of("project_id", List.of("p1"))));
  }

  @Test
  void mapWithAnEmptyNameIsRefused() {
    assertInvalid("query string", () -> ListQueryString.parse(Map.of("", List.of("x"))));
  }

  @Test
  void everyParameterOfTheListIsAccepted() {
    for (String parameter : ListQueryString.PARAMETERS) {
      String value = parameter.endsWith("_time") ? "2017-04-18T00:00:00"
          : parameter.equals("sort") ? "name"
          : parameter.equals("limit") || parameter.equals("offset") ? "1"
          : parameter.equals("status") ? "available"
          : "x";
      ListQueryString.parse(parameter + "=" + value);
    }
    assertEquals(14, ListQueryString.PARAMETERS.size());
  }
}
