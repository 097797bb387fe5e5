package io.csbs.query;

import static io.csbs.query.TestBackups.CREATED;
import static io.csbs.query.TestBackups.assertInvalid;
import static io.csbs.query.TestBackups.backup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SortTest {

  private static List<String> idsSortedBy(Sort sort, Backup... backups) {
    List<Backup> list = new ArrayList<>(List.of(backups));
    list.sort(sort.comparator());
    return list.stream().map(Backup::id).collect(Collectors.toList());
  }

  // ---- parse: good inputs

  @Test
  void defaultIsCreatedAtDescending() {
    assertEquals(List.of(SortKey.desc(SortField.CREATED_AT)), Sort.DEFAULT.keys());
    assertTrue(Sort.DEFAULT.isDefault());
    assertEquals("created_at:desc", Sort.DEFAULT.toString());
  }

  @Test
  void parseOfTheDefaultIsTheDefault() {
    assertSame(Sort.DEFAULT, Sort.parse("created_at:desc"));
    assertSame(Sort.DEFAULT, Sort.parse("created_at"));
  }

  @Test
  void parseWithoutADirectionIsDescending() {
    assertEquals(Sort.by(SortKey.desc(SortField.NAME)), Sort.parse("name"));
  }

  @Test
  void parseReadsSeveralKeysInOrder() {
    Sort sort = Sort.parse("created_at:desc,name:asc");
    assertEquals(List.of(SortKey.desc(SortField.CREATED_AT), SortKey.asc(SortField.NAME)), sort.keys());
    assertFalse(sort.isDefault());
  }

  @Test
  void parseReadsEveryField() {
    assertEquals(
        List.of(SortKey.asc(SortField.CREATED_AT), SortKey.asc(SortField.UPDATED_AT), SortKey.asc(SortField.NAME),
            SortKey.asc(SortField.STATUS), SortKey.asc(SortField.ID)),
        Sort.parse("created_at:asc,updated_at:asc,name:asc,status:asc,id:asc").keys());
  }

  @Test
  void parseIgnoresTheCaseOfTheDirection() {
    assertEquals(Sort.parse("name:asc"), Sort.parse("name:ASC"));
  }

  @Test
  void parseIgnoresSpacesAroundKeysAndDirections() {
    assertEquals(Sort.parse("created_at:desc,name:asc"), Sort.parse(" created_at : desc , name:asc "));
  }

  @Test
  void toStringIsTheApiFormAndParsesBack() {
    Sort sort = Sort.by(SortKey.asc(SortField.STATUS), SortKey.desc(SortField.UPDATED_AT));
    assertEquals("status:asc,updated_at:desc", sort.toString());
    assertEquals(sort, Sort.parse(sort.toString()));
  }

  // ---- parse: bad inputs

  @Test
  void parseRefusesAnUnknownField() {
    assertInvalid("sort", "created_at, updated_at, name, status, id", () -> Sort.parse("size:desc"));
  }

  @Test
  void parseRefusesAFieldInUpperCase() {
    assertInvalid("sort", () -> Sort.parse("NAME:asc"));
  }

  @Test
  void parseRefusesAnUnknownDirection() {
    assertInvalid("sort", "field[:asc|:desc]", () -> Sort.parse("name:up"));
  }

  @Test
  void parseRefusesAnEmptyDirection() {
    assertInvalid("sort", () -> Sort.parse("name:"));
  }

  @Test
  void parseRefusesTheEmptyString() {
    assertInvalid("sort", () -> Sort.parse(""));
  }

  @Test
  void parseRefusesAnEmptyKey() {
    assertInvalid("sort", () -> Sort.parse("name:asc,"));
    assertInvalid("sort", () -> Sort.parse(",name:asc"));
  }

  @Test
  void parseRefusesTwoColons() {
    assertInvalid("sort", () -> Sort.parse("name:asc:desc"));
  }

  @Test
  void parseRefusesARepeatedField() {
    assertInvalid("sort", "name repeats", () -> Sort.parse("name:asc,created_at,name:desc"));
  }

  @Test
  void byRefusesNoKeys() {
    assertInvalid("sort", "at least one key", () -> Sort.by(List.of()));
  }

  @Test
  void byRefusesARepeatedField() {
    assertInvalid("sort", "id repeats", () -> Sort.by(SortKey.asc(SortField.ID), SortKey.desc(SortField.ID)));
  }

  // ---- values

  @Test
  void equalKeysMakeEqualSorts() {
    assertEquals(Sort.parse("name:asc,id"), Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.ID)));
    assertEquals(Sort.parse("name:asc,id").hashCode(),
        Sort.by(SortKey.asc(SortField.NAME), SortKey.desc(SortField.ID)).hashCode());
    assertNotEquals(Sort.parse("name:asc"), Sort.parse("name:desc"));
    assertNotEquals(Sort.parse("name,id"), Sort.parse("id,name"));
  }

  // ---- comparator

  @Test
  void defaultOrderIsNewestFirst() {
    Backup old = backup().id("a").createdAt(CREATED).build();
    Backup young = backup().id("b").createdAt(CREATED.plusSeconds(1)).build();
    assertEquals(List.of("b", "a"), idsSortedBy(Sort.DEFAULT, old, young));
  }

  @Test
  void tiesOfADescendingFirstKeyAreBrokenByIdDescending() {
    Backup a = backup().id("a").build();
    Backup b = backup().id("b").build();
    Backup c = backup().id("c").build();
    assertEquals(List.of("c", "b", "a"), idsSortedBy(Sort.DEFAULT, b, a, c));
  }

  @Test
  void tiesOfAnAscendingFirstKeyAreBrokenByIdAscending() {
    Backup a = backup().id("a").build();
    Backup b = backup().id("b").build();
    assertEquals(List.of("a", "b"), idsSortedBy(Sort.parse("created_at:asc"), b, a));
  }

  @Test
  void tieBreakFollowsTheFirstKeyNotTheLast() {
    Backup a = backup().id("a").name("same").build();
    Backup b = backup().id("b").name("same").build();
    assertEquals(List.of("b", "a"), idsSortedBy(Sort.parse("created_at:desc,name:asc"), a, b));
  }

  @Test
  void anExplicitIdKeyReplacesTheTieBreak() {
    Backup a = backup().id("a").build();
    Backup b = backup().id("b").build();
    assertEquals(List.of("a", "b"), idsSortedBy(Sort.parse("created_at:desc,id:asc"), b, a));
  }

  @Test
  void defaultOrderIsTheReverseOfCreatedAtThenIdAscending() {
    Backup a1 = backup().id("a").createdAt(CREATED).build();
    Backup b1 = backup().id("b").createdAt(CREATED).build();
    Backup a2 = backup().id("c").createdAt(CREATED.plusSeconds(5)).build();
    List<String> ascending = idsSortedBy(Sort.parse("created_at:asc"), b1, a2, a1);
    List<String> descending = idsSortedBy(Sort.DEFAULT, b1, a2, a1);
    java.util.Collections.reverse(ascending);
    assertEquals(ascending, descending);
  }

  @Test
  void secondKeyOrdersTiesOfTheFirst() {
    Backup zed = backup().id("1").name("zed").build();
    Backup abe = backup().id("2").name("abe").build();
    Backup newer = backup().id("3").name("mid").createdAt(CREATED.plusSeconds(1)).build();
    assertEquals(List.of("3", "2", "1"), idsSortedBy(Sort.parse("created_at:desc,name:asc"), zed, abe, newer));
  }

  @Test
  void nameSortsCharByCharSoUpperCaseFirst() {
    Backup lower = backup().id("1").name("apple").build();
    Backup upper = backup().id("2").name("Zebra").build();
    assertEquals(List.of("2", "1"), idsSortedBy(Sort.parse("name:asc"), lower, upper));
  }

  @Test
  void statusSortsInTheOrderOfTheStates() {
    Backup error = backup().id("1").status(BackupStatus.ERROR).build();
    Backup available = backup().id("2").build();
    Backup creating = backup().id("3").status(BackupStatus.CREATING).build();
    assertEquals(List.of("2", "3", "1"), idsSortedBy(Sort.parse("status:asc"), error, available, creating));
  }

  @Test
  void updatedAtSortsByTheLastChange() {
    Backup early = backup().id("1").updatedAt(CREATED.plusSeconds(10)).build();
    Backup late = backup().id("2").updatedAt(CREATED.plusSeconds(20)).build();
    assertEquals(List.of("2", "1"), idsSortedBy(Sort.parse("updated_at"), early, late));
  }
}
