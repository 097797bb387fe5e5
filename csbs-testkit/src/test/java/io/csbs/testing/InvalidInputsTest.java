package io.csbs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.InvalidValueException;
import io.csbs.query.ListQueryString;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class InvalidInputsTest {
  @RepeatedTest(200)
  void everyGeneratedCaseIsRefusedAsDeclared() {
    Seeds.run(Seeds.pick(), seed -> {
      for (InvalidInputs.Case bad : InvalidInputs.withSeed(seed).all()) {
        bad.assertRefused();
      }
    });
  }

  @Test
  void sameSeedGivesTheSameCases() {
    assertEquals(describe(InvalidInputs.withSeed(5).all()), describe(InvalidInputs.withSeed(5).all()));
    assertNotEquals(describe(InvalidInputs.withSeed(5).all()), describe(InvalidInputs.withSeed(6).all()));
  }

  @Test
  void coversEveryKindOfMistakeTheIssueLists() {
    Set<String> fields = new HashSet<>();
    Set<String> descriptions = new HashSet<>();
    for (long seed = 0; seed < 50; seed++) {
      for (InvalidInputs.Case bad : InvalidInputs.withSeed(seed).all()) {
        bad.expectedField().ifPresent(fields::add);
        descriptions.add(bad.description());
      }
    }
    assertTrue(fields.containsAll(List.of(
        "start_time", "end_time", "limit", "offset", "marker", "status", "sort", "name", "query string",
        "keyword", "tag values", "tag key", "tag value", "time window", "tags", "tags_any", "not_tags",
        "not_tags_any", "matches", "action", "time range", "backup type", "trigger")), fields.toString());
    assertTrue(descriptions.containsAll(List.of(
        "start_time after end_time", "limit 0", "limit above 1000", "limit not a whole number", "negative offset",
        "marker together with offset", "unknown status", "bad sort", "blank keyword", "tag key over 36 chars",
        "window not positive", "an 11th tag pair", "tag key not in the project", "tag value not in the project",
        "start after end", "bad sort text: unknown field", "bad sort text: bad direction",
        "bad sort text: too many colons", "bad sort text: a field twice", "bad sort text: an empty key",
        "limit set twice")), descriptions.toString());
    assertTrue(descriptions.stream().anyMatch(d -> d.startsWith("unknown parameter ")), descriptions.toString());
    assertTrue(descriptions.stream().anyMatch(d -> d.matches("parameter \\w+ given twice")), descriptions.toString());
    assertTrue(descriptions.stream().anyMatch(d -> d.matches("1\\d values for one tag key")), descriptions.toString());
    assertTrue(descriptions.stream().anyMatch(d -> d.startsWith("11 keys in ")), descriptions.toString());
  }

  @Test
  void limitsAreOftenBrokenByTheSmallestMargin() {
    Set<String> inputs = new HashSet<>();
    for (long seed = 0; seed < 20; seed++) {
      InvalidInputs.withSeed(seed).all().forEach(bad -> inputs.add(bad.input()));
    }
    assertTrue(inputs.stream().anyMatch(q -> q.matches("(.*&)?limit=1001(&.*)?")), "limit=1001");
    assertTrue(inputs.contains("Query.builder().limit(1001)"), "Query limit 1001");
    assertTrue(inputs.contains("Query.builder().limit(0)"), "Query limit 0");
    assertTrue(inputs.contains("Query.builder().offset(-1)"), "Query offset -1");
    assertTrue(inputs.contains("Predicates.tagKey(<37 chars>)"), "a key of 37 chars");
  }

  @Test
  void queryStringCasesHoldTheRawQueryStringAmongValidParameters() {
    List<String> raw = InvalidInputs.withSeed(3).listQueryStrings().stream()
        .map(InvalidInputs.Case::input).collect(Collectors.toList());
    assertTrue(raw.stream().anyMatch(q -> q.contains("&")), "some bad pairs come with valid ones: " + raw);
    for (InvalidInputs.Case bad : InvalidInputs.withSeed(3).listQueryStrings()) {
      InvalidValueException e = assertThrows(InvalidValueException.class, () -> ListQueryString.parse(bad.input()));
      assertEquals(bad.expectedField(), Optional.of(e.field()), bad.toString());
    }
  }

  @Test
  void queryStringsAppendToAPathAfterItsQuestionMark() {
    for (long seed = 0; seed < 50; seed++) {
      for (InvalidInputs.Case bad : InvalidInputs.withSeed(seed).listQueryStrings()) {
        assertFalse(bad.input().startsWith("?"), bad.toString());
      }
    }
  }

  @Test
  void everySeedGivesOneBadSortOfEachKind() {
    for (long seed = 0; seed < 50; seed++) {
      List<String> kinds = InvalidInputs.withSeed(seed).sorts().stream()
          .map(InvalidInputs.Case::description).collect(Collectors.toList());
      assertEquals(List.of("bad sort text: unknown field", "bad sort text: bad direction", "bad sort text: too many colons",
          "bad sort text: a field twice", "bad sort text: an empty key", "empty sort text", "no sort keys"), kinds);
      InvalidInputs.withSeed(seed).sorts().forEach(InvalidInputs.Case::assertRefused);
    }
  }

  @Test
  void assertRefusedFailsWhenTheInputIsAccepted() {
    InvalidInputs.Case accepted = new InvalidInputs.Case(
        "a valid limit", "limit=20", InvalidValueException.class, "limit", () -> ListQueryString.parse("limit=20"));
    AssertionError error = assertThrows(AssertionError.class, accepted::assertRefused);
    assertTrue(error.getMessage().contains("a valid limit: limit=20"), error.getMessage());
  }

  @Test
  void assertRefusedFailsWhenAnotherFieldOrExceptionIsNamed() {
    InvalidInputs.Case wrongField = new InvalidInputs.Case(
        "bad offset", "offset=-1", InvalidValueException.class, "limit", () -> ListQueryString.parse("offset=-1"));
    AssertionError error = assertThrows(AssertionError.class, wrongField::assertRefused);
    assertTrue(error.getMessage().contains("named field 'offset'"), error.getMessage());

    InvalidInputs.Case wrongType = new InvalidInputs.Case(
        "bad offset", "offset=-1", IllegalStateException.class, null, () -> ListQueryString.parse("offset=-1"));
    assertThrows(AssertionError.class, wrongType::assertRefused);
  }

  @Test
  void aFieldIsDeclaredOnlyForAnInvalidValueException() {
    assertThrows(IllegalArgumentException.class,
        () -> new InvalidInputs.Case("x", "x", IllegalStateException.class, "limit", () -> { }));
  }

  private static List<String> describe(List<InvalidInputs.Case> cases) {
    return cases.stream().map(InvalidInputs.Case::toString).collect(Collectors.toList());
  }
}
