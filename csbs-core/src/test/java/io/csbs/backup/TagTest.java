package io.csbs.backup;

import static io.csbs.backup.TestBackups.assertInvalid;
import static io.csbs.backup.TestBackups.available;
import static io.csbs.backup.TestBackups.repeat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TagTest {

  // ---- key

  @Test
  void acceptsKeyOf1Char() {
    assertEquals("k", Tag.of("k", "v").key());
  }

  @Test
  void acceptsKeyOf36Chars() {
    assertEquals(repeat('k', 36), Tag.of(repeat('k', 36), "v").key());
  }

  @Test
  void rejectsEmptyTagKey() {
    assertInvalid("tag key", "1 to 36", () -> Tag.of("", "v"));
  }

  @Test
  void rejectsTagKeyOfOnlySpaces() {
    assertInvalid("tag key", "1 to 36", () -> Tag.of("   ", "v"));
  }

  @Test
  void countsALetterOutsideTheBasicMultilingualPlaneOnce() {
    String bold = new String(Character.toChars(0x1D400));  // MATHEMATICAL BOLD CAPITAL A: a letter, two chars
    String key = bold.repeat(36);
    assertEquals(72, key.length());
    assertEquals(key, Tag.of(key, bold.repeat(43)).key());
    assertInvalid("tag key", "1 to 36 letters", () -> Tag.of(key + bold, "v"));
    assertInvalid("tag value", "0 to 43 letters", () -> Tag.of("k", bold.repeat(44)));
    assertEquals(bold.repeat(255), available().name(bold.repeat(255)).build().name());
    assertInvalid("name", "1 to 255 letters", () -> available().name(bold.repeat(256)).build());
  }

  @Test
  void rejectsTagKeyLongerThan36Chars() {
    assertInvalid("tag key", "1 to 36", () -> Tag.of(repeat('k', 37), "v"));
  }

  @Test
  void rejectsTagKeyWithASpaceInside() {
    assertInvalid("tag key", "letters, digits, '_' or '-'", () -> Tag.of("my env", "v"));
  }

  @Test
  void rejectsTagKeyWithADot() {
    assertInvalid("tag key", "letters, digits, '_' or '-'", () -> Tag.of("env.name", "v"));
  }

  @Test
  void rejectsTagKeyWithAnEqualsSign() {
    assertInvalid("tag key", "letters, digits, '_' or '-'", () -> Tag.of("env=prod", "v"));
  }

  // ---- value

  @Test
  void acceptsEmptyTagValue() {
    assertEquals("", Tag.of("env", "").value());
  }

  @Test
  void acceptsValueOf43Chars() {
    assertEquals(repeat('v', 43), Tag.of("env", repeat('v', 43)).value());
  }

  @Test
  void rejectsTagValueLongerThan43Chars() {
    assertInvalid("tag value", "0 to 43", () -> Tag.of("env", repeat('v', 44)));
  }

  @Test
  void rejectsTagValueWithASpaceInside() {
    assertInvalid("tag value", "letters, digits, '_' or '-'", () -> Tag.of("env", "prod env"));
  }

  @Test
  void rejectsTagValueWithAnAsterisk() {
    assertInvalid("tag value", "letters, digits, '_' or '-'", () -> Tag.of("env", "prod*"));
  }

  @Test
  void acceptsLettersDigitsUnderscoreAndHyphenInKeyAndValue() {
    Tag tag = Tag.of("cost_center-2", "Team_A-42");

    assertEquals("cost_center-2", tag.key());
    assertEquals("Team_A-42", tag.value());
  }

  @Test
  void acceptsUnicodeLettersInKeyAndValue() {
    Tag tag = Tag.of("环境", "生产");

    assertEquals("环境", tag.key());
    assertEquals("生产", tag.value());
  }

  // ---- trimming

  @Test
  void trimsSurroundingSpacesOfTagKeyAndValue() {
    Tag tag = Tag.of("  env ", " prod  ");

    assertEquals("env", tag.key());
    assertEquals("prod", tag.value());
  }

  @Test
  void trimmedTagEqualsTheTagWithoutSpaces() {
    assertEquals(Tag.of("env", "prod"), Tag.of(" env ", " prod "));
    assertEquals(Tag.of("env", "prod").hashCode(), Tag.of(" env ", " prod ").hashCode());
  }

  @Test
  void trimsBeforeCheckingTheLength() {
    assertEquals(repeat('k', 36), Tag.of(" " + repeat('k', 36) + " ", "v").key());
    assertEquals(repeat('v', 43), Tag.of("k", "  " + repeat('v', 43) + "  ").value());
  }

  @Test
  void trimsAValueOfOnlySpacesToEmpty() {
    assertEquals("", Tag.of("env", "   ").value());
  }

  @Test
  void checkKeyReturnsTheTrimmedKey() {
    assertEquals("env", Tag.checkKey(" env "));
  }

  @Test
  void checkKeyRejectsAnInvalidKey() {
    assertInvalid("tag key", "1 to 36", () -> Tag.checkKey(repeat('k', 37)));
  }

  @Test
  void checkValueReturnsTheTrimmedValue() {
    assertEquals("prod", Tag.checkValue(" prod "));
  }

  @Test
  void checkValueRejectsAnInvalidValue() {
    assertInvalid("tag value", "letters", () -> Tag.checkValue("a.b"));
  }

  // ---- value semantics

  @Test
  void tagsWithDifferentKeyOrValueAreNotEqual() {
    assertNotEquals(Tag.of("env", "prod"), Tag.of("env", "test"));
    assertNotEquals(Tag.of("env", "prod"), Tag.of("stage", "prod"));
  }

  @Test
  void ordersByKeyThenValue() {
    List<Tag> tags = new ArrayList<>(List.of(Tag.of("env", "test"), Tag.of("app", "z"), Tag.of("env", "prod")));
    tags.sort(null);

    assertEquals(List.of(Tag.of("app", "z"), Tag.of("env", "prod"), Tag.of("env", "test")), tags);
  }

  @Test
  void toStringIsKeyEqualsValue() {
    assertEquals("env=prod", Tag.of("env", "prod").toString());
  }

  // ---- tags on a backup

  @Test
  void acceptsTenTagsOnABackupInTheOrderGiven() {
    List<Tag> ten = tags(10);

    assertEquals(ten, available().tags(ten).build().tags());
  }

  @Test
  void rejectsMoreThan10TagsOnABackup() {
    assertInvalid("tags", "at most 10", () -> available().tags(tags(11)).build());
  }

  @Test
  void rejectsDuplicateTagKeysOnABackup() {
    InvalidValueException e = assertInvalid("tags", "unique keys",
        () -> available().tags(Tag.of("env", "prod"), Tag.of("app", "web"), Tag.of("env", "test")).build());

    assertTrue(e.getMessage().contains("'env'"), e.getMessage());
  }

  @Test
  void rejectsTagKeysThatAreDuplicatesOnceTrimmed() {
    assertInvalid("tags", "unique keys", () -> available().tags(Tag.of("env", "prod"), Tag.of(" env ", "prod")).build());
  }

  @Test
  void tagValueFindsTheValueOfAKey() {
    Backup backup = available().tags(Tag.of("env", "prod"), Tag.of("owner", "")).build();

    assertEquals(Optional.of("prod"), backup.tagValue("env"));
    assertEquals(Optional.of(""), backup.tagValue("owner"));
    assertEquals(Optional.empty(), backup.tagValue("app"));
  }

  @Test
  void tagsOfABackupCannotBeModified() {
    Backup backup = available().tags(Tag.of("env", "prod")).build();

    assertThrows(UnsupportedOperationException.class, () -> backup.tags().add(Tag.of("app", "web")));
  }

  private static List<Tag> tags(int count) {
    List<Tag> tags = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      tags.add(Tag.of("key" + i, "value" + i));
    }
    return tags;
  }
}
