package io.csbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Progress;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.backup.TagUpdate.Match;
import io.csbs.catalog.BackupCatalog;
import io.csbs.catalog.BackupNotFoundException;
import io.csbs.catalog.Catalogs;
import io.csbs.catalog.Change;
import io.csbs.catalog.ProjectSnapshot;
import io.csbs.catalog.VersionConflictException;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.ConsoleSearch;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.TagCatalogue;
import io.csbs.query.TagFilter;
import io.csbs.testing.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A new user's black-box reading of csbs-core's tags (Tag, TagUpdate, TagFilter, TagCatalogue, the
 * tag predicates, ConsoleSearch's tag pairs and BackupCatalog.updateTags / tagCatalogue), from
 * README.md and the javadoc only, on data of its own (odd keys, letters outside the BMP, empty
 * values, keys differing in case). A {@code @Disabled} test asserts what the docs promise where the
 * library does something else; its enabled sibling pins what it does.
 */
class NewUserTagsTest {
  static final Instant T0 = Instant.parse("2032-02-29T12:00:00Z");
  static final Server SRV = Server.of("srv-ᚠ", "web-ᚠ", "eu-de-01");
  /** A letter outside the Basic Multilingual Plane (MATHEMATICAL BOLD CAPITAL A): two Java chars. */
  static final String A1D400 = "\uD835\uDC00";

  static Backup backup(String project, String id, Instant created, Tag... tags) {
    return Backup.builder().id(id).name("bk_" + id.replaceAll("[^A-Za-z0-9_-]", "_")).projectId(project)
        .server(SRV).status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(created).addTags(tags).build();
  }

  static InvalidValueException field(String expected, Executable action) {
    InvalidValueException e = assertThrows(InvalidValueException.class, action);
    assertEquals(expected, e.field(), e.getMessage());
    assertTrue(e.getMessage().startsWith(expected + " "), e.getMessage());
    return e;
  }

  static BackupCatalog catalogAt(Instant now) {
    return Catalogs.indexed(FakeClock.at(now));
  }

  // ------------------------------------------------------------------------------------------ Tag

  /** README: "Tag.of("env", "prod env") throws ... (tag value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-')". */
  @Test
  void tagRefusalMessageIsTheReadmes() {
    InvalidValueException e = field("tag value", () -> Tag.of("env", "prod env"));
    assertEquals("tag value 'prod env' is invalid: must be 0 to 43 letters, digits, '_' or '-'", e.getMessage());
    assertEquals("env=prod", Tag.of(" env ", "prod").toString());
  }

  /** Tag: "the key is 1 to 36 and the value 0 to 43 letters ... each counts once, one outside the BMP too". */
  @Test
  void tagLengthsAtTheLimitAndOnePast() {
    assertEquals(36, Tag.of("k".repeat(36), "").key().length());
    field("tag key", () -> Tag.of("k".repeat(37), ""));
    assertEquals(43, Tag.of("k", "v".repeat(43)).value().length());
    field("tag value", () -> Tag.of("k", "v".repeat(44)));
    field("tag key", () -> Tag.of("", "v"));
    field("tag key", () -> Tag.of(" \t ", "v"));
    assertEquals("", Tag.of("k", "").value());
    assertEquals("", Tag.of("k", " \u3000 ").value());
    // letters outside the BMP: 36 and 43 letters (72 and 86 chars) are valid, one more is not
    Tag wide = Tag.of(A1D400.repeat(36), A1D400.repeat(43));
    assertEquals(72, wide.key().length());
    assertEquals(86, wide.value().length());
    field("tag key", () -> Tag.of(A1D400.repeat(37), ""));
    field("tag value", () -> Tag.of("k", A1D400.repeat(44)));
    assertEquals(Tag.MAX_KEY_LENGTH, 36);
    assertEquals(Tag.MAX_VALUE_LENGTH, 43);
  }

  /** Tag: letters of any script, digits, _ and -; combining marks and half surrogates are not letters. */
  @Test
  void tagCharacters() {
    assertEquals("日本_語-1", Tag.of("日本_語-1", "Ωμέγα").key());
    assertEquals("٣٤", Tag.of("k", "٣٤").value()); // Arabic-Indic digits are digits
    assertEquals("\u00e9", Tag.of("\u00e9", "x").key()); // composed é
    field("tag key", () -> Tag.of("e\u0301", "x")); // decomposed é
    field("tag value", () -> Tag.of("k", "\u0915\u093f")); // Devanagari with a vowel sign
    field("tag key", () -> Tag.of("\uD835", "v")); // half of a pair
    field("tag value", () -> Tag.of("k", "a\uDC00"));
    for (String bad : List.of("a.b", "a b", "a/b", "a=b", "a*", "a\u00A0b", "a:b", "a\"b", "a'b", "a\tb")) {
      field("tag value", () -> Tag.of("k", bad));
      field("tag key", () -> Tag.of(bad, ""));
    }
  }

  /** Tag: "surrounding white space is trimmed (as String.strip does ...; not the no-break space U+00A0, which is refused". */
  @Test
  void tagTrimsAsStripDoes() {
    Tag tag = Tag.of("\t\n\u3000env\u2003 ", "\r\n prod \u3000");
    assertEquals("env", tag.key());
    assertEquals("prod", tag.value());
    assertEquals(Tag.of("env", "prod"), tag);
    field("tag key", () -> Tag.of("\u00A0env", "prod"));
    field("tag value", () -> Tag.of("env", "prod\u00A0"));
    field("tag key", () -> Tag.of("\u2007env", "prod")); // figure space: not white space to strip either
  }

  /** Tag is a value: case kept, equals/hashCode by key and value, toString key=value, compareTo char by char. */
  @Test
  void tagIsAValue() {
    Tag upper = Tag.of("Env", "Prod");
    assertEquals("Env", upper.key());
    assertEquals("Prod", upper.value());
    assertNotEquals(Tag.of("env", "prod"), upper);
    assertEquals(Tag.of(" Env", "Prod "), upper);
    assertEquals(Tag.of(" Env", "Prod ").hashCode(), upper.hashCode());
    assertEquals("Env=Prod", upper.toString());
    assertEquals("k=", Tag.of("k", "").toString());
    List<Tag> tags = new ArrayList<>(List.of(Tag.of("b", "1"), Tag.of("a", "2"), Tag.of("a", "10"),
        Tag.of("\uFF41", "x"), Tag.of(A1D400, "x"), Tag.of("B", "z"), Tag.of("a", "")));
    Collections.sort(tags);
    assertEquals(List.of(Tag.of("B", "z"), Tag.of("a", ""), Tag.of("a", "10"), Tag.of("a", "2"),
        Tag.of("b", "1"), Tag.of(A1D400, "x"), Tag.of("\uFF41", "x")), tags);
    assertEquals(0, Tag.of("a", "b").compareTo(Tag.of(" a", " b")));
  }

  /** Tag.of names its null argument; checkKey and checkValue trim and check. */
  @Test
  void tagNullsAndChecks() {
    NullPointerException key = assertThrows(NullPointerException.class, () -> Tag.of(null, "v"));
    assertEquals("key", key.getMessage());
    NullPointerException value = assertThrows(NullPointerException.class, () -> Tag.of("k", null));
    assertEquals("value", value.getMessage());
    assertEquals("env", Tag.checkKey("  env\t"));
    assertEquals("", Tag.checkValue("  "));
    field("tag key", () -> Tag.checkKey(" "));
    field("tag value", () -> Tag.checkValue("a b"));
  }

  // ------------------------------------------------------------------------------------- TagUpdate

  /** TagUpdate's toString javadoc: create [env=prod, owner=alice] or delete [owner, env=staging]. */
  @Test
  void tagUpdateToStringAndAccessors() {
    TagUpdate create = TagUpdate.create(Tag.of("env", "prod"), Tag.of("owner", "alice"));
    assertEquals("create [env=prod, owner=alice]", create.toString());
    assertEquals(TagUpdate.Action.CREATE, create.action());
    assertEquals(List.of(Tag.of("env", "prod"), Tag.of("owner", "alice")), create.tags());
    assertEquals(List.of(), create.matches());
    TagUpdate delete = TagUpdate.delete(Match.key("owner"), Match.of("env", "staging"));
    assertEquals("delete [owner, env=staging]", delete.toString());
    assertEquals(TagUpdate.Action.DELETE, delete.action());
    assertEquals(List.of(), delete.tags());
    assertEquals(2, delete.matches().size());
    assertEquals("create", TagUpdate.Action.CREATE.apiName());
    assertEquals(TagUpdate.Action.DELETE, TagUpdate.Action.parse("delete"));
    field("action", () -> TagUpdate.Action.parse("Delete"));
    field("action", () -> TagUpdate.Action.parse("remove"));
  }

  /** TagUpdate equals/hashCode: equal action, tags and matches. */
  @Test
  void tagUpdateEquality() {
    assertEquals(TagUpdate.create(Tag.of("a", "1")), TagUpdate.create(List.of(Tag.of(" a", "1 "))));
    assertEquals(TagUpdate.create(Tag.of("a", "1")).hashCode(), TagUpdate.create(List.of(Tag.of("a", "1"))).hashCode());
    assertEquals(TagUpdate.delete(Match.key("a")), TagUpdate.delete(List.of(Match.key(" a "))));
    assertNotEquals(TagUpdate.delete(Match.key("a")), TagUpdate.delete(Match.of("a", "")));
    assertNotEquals(TagUpdate.create(Tag.of("a", "1")), TagUpdate.create(Tag.of("a", "2")));
    assertEquals(Match.of(" k", "v "), Match.of("k", "v"));
    assertEquals("k=v", Match.of("k", "v").toString());
    assertEquals("k=", Match.of("k", "").toString());
    assertEquals("k", Match.key("k").toString());
  }

  /** TagUpdate.create: "1 to 10 tags with unique keys ... InvalidValueException naming tags if there are none, more than 10, or a key repeats". */
  @Test
  void tagUpdateCreateRefusals() {
    field("tags", () -> TagUpdate.create());
    field("tags", () -> TagUpdate.create(List.of()));
    List<Tag> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(Tag.of("k" + i, "v"));
    }
    assertEquals(10, TagUpdate.create(ten).tags().size());
    List<Tag> eleven = new ArrayList<>(ten);
    eleven.add(Tag.of("k10", ""));
    InvalidValueException tooMany = field("tags", () -> TagUpdate.create(eleven));
    assertTrue(tooMany.getMessage().contains("at most 10"), tooMany.getMessage());
    InvalidValueException repeat = field("tags", () -> TagUpdate.create(Tag.of("k", "a"), Tag.of(" k", "b")));
    assertTrue(repeat.getMessage().contains("'k'"), repeat.getMessage());
    field("tags", () -> TagUpdate.create(Tag.of("k", "a"), Tag.of("k", "a")));
    // keys differing in case are different keys
    assertEquals(2, TagUpdate.create(Tag.of("k", "a"), Tag.of("K", "a")).tags().size());
    assertEquals("tags[1]", assertThrows(NullPointerException.class,
        () -> TagUpdate.create(Arrays.asList(Tag.of("a", ""), null))).getMessage());
    field("tags", () -> TagUpdate.delete());
    field("tags", () -> TagUpdate.delete(List.of()));
    assertEquals("matches[0]", assertThrows(NullPointerException.class,
        () -> TagUpdate.delete(Arrays.asList((Match) null))).getMessage());
  }

  /** TagUpdate.Match: "Keys of up to 127 and values of up to 255 chars are accepted, unchecked otherwise". */
  @Test
  void matchBounds() {
    assertEquals(127, Match.key("k".repeat(127)).key().length());
    field("tag key", () -> Match.key("k".repeat(128)));
    field("tag key", () -> Match.key("  "));
    field("tag key", () -> Match.of("", "v"));
    assertEquals(255, Match.of("k", "v".repeat(255)).value().orElseThrow().length());
    field("tag value", () -> Match.of("k", "v".repeat(256)));
    // unchecked otherwise: characters no tag may hold are accepted (they match nothing)
    assertEquals("a b", Match.of("a b", "c.d").key());
    assertEquals("c.d", Match.of("a b", " c.d ").value().orElseThrow());
    assertEquals("", Match.of("k", "  ").value().orElseThrow());
    // chars, not letters: 127 chars accepted, 64 letters outside the BMP (128 chars) refused
    assertEquals(127, Match.key("k" + A1D400.repeat(63)).key().length());
    field("tag key", () -> Match.key(A1D400.repeat(64)));
    assertEquals("key", assertThrows(NullPointerException.class, () -> Match.key(null)).getMessage());
    assertEquals("value", assertThrows(NullPointerException.class, () -> Match.of("k", null)).getMessage());
  }

  /** TagUpdate: create replaces the value of a key in place, adds others after; delete by key or key and value. */
  @Test
  void applyToListSemantics() {
    List<Tag> current = List.of(Tag.of("a", "1"), Tag.of("B", "x"), Tag.of("b", "1"));
    assertEquals(List.of(Tag.of("a", "1"), Tag.of("B", "x"), Tag.of("b", "2"), Tag.of("c", "")),
        TagUpdate.create(Tag.of("c", ""), Tag.of("b", "2")).applyTo(current));
    assertEquals(List.of(Tag.of("a", "9"), Tag.of("B", "x"), Tag.of("b", "1")),
        TagUpdate.create(Tag.of("a", "9")).applyTo(current));
    // an update that changes nothing returns current itself
    assertSame(current, TagUpdate.create(Tag.of("B", "x"), Tag.of(" a ", "1")).applyTo(current));
    assertSame(current, TagUpdate.delete(Match.key("zz"), Match.of("a", "2"), Match.key("A")).applyTo(current));
    // delete: by key, whatever the value; by key and value only that tag; keys may repeat
    assertEquals(List.of(Tag.of("B", "x"), Tag.of("b", "1")), TagUpdate.delete(Match.key("a")).applyTo(current));
    assertEquals(List.of(Tag.of("a", "1"), Tag.of("b", "1")),
        TagUpdate.delete(Match.of("B", "x"), Match.of("b", "2")).applyTo(current));
    assertEquals(List.of(Tag.of("a", "1")),
        TagUpdate.delete(Match.of("b", "7"), Match.of("b", "1"), Match.key("B"), Match.key("B")).applyTo(current));
    assertEquals(List.of(), TagUpdate.delete(Match.key("a"), Match.key("b"), Match.key("B")).applyTo(current));
    // an empty value is a value
    List<Tag> empty = List.of(Tag.of("e", ""));
    assertEquals(List.of(), TagUpdate.delete(Match.of("e", "")).applyTo(empty));
    assertSame(empty, TagUpdate.delete(Match.of("e", "x")).applyTo(empty));
  }

  /** TagUpdate: "The backup may have at most 10 tags after it" (replacing values of a full backup is fine). */
  @Test
  void applyToTheTenTagsLimit() {
    List<Tag> full = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      full.add(Tag.of("k" + i, ""));
    }
    assertEquals(Tag.of("k3", "new"), TagUpdate.create(Tag.of("k3", "new"), Tag.of("k9", "x")).applyTo(full).get(3));
    InvalidValueException e = field("tags", () -> TagUpdate.create(Tag.of("k3", "new"), Tag.of("k10", "")).applyTo(full));
    assertTrue(e.getMessage().contains("at most 10"), e.getMessage());
    List<Tag> nine = full.subList(0, 9);
    assertEquals(10, TagUpdate.create(Tag.of("z", "")).applyTo(nine).size());
    field("tags", () -> TagUpdate.create(Tag.of("z", ""), Tag.of("y", "")).applyTo(nine));
  }

  // ------------------------------------------------------------------------ BackupCatalog.updateTags

  /** TagUpdate's class example and BackupCatalog.updateTags's (version 3 becomes 4). */
  @Test
  void updateTagsJavadocExamples() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Backup b1 = backup("project-1", "b-1", T0.minus(Duration.ofDays(1)));
    catalog.add(b1.toBuilder().version(3).build());
    clock.advance(Duration.ofSeconds(5));
    Backup tagged = catalog.updateTags("project-1", "b-1", 3, TagUpdate.create(Tag.of("env", "prod")));
    assertEquals(4, tagged.version());
    assertEquals(List.of(Tag.of("env", "prod")), tagged.tags());
    assertEquals(T0.plusSeconds(5), tagged.updatedAt());
    assertEquals(tagged, catalog.get("project-1", "b-1"));

    Backup backup = catalog.get("project-1", "b-1");
    catalog.updateTags("project-1", backup.id(), backup.version(),
        TagUpdate.create(Tag.of("env", "prod"), Tag.of("owner", "alice")));
    Backup after = catalog.updateTags("project-1", backup.id(), backup.version() + 1, TagUpdate.delete(Match.key("owner")));
    assertEquals(List.of(Tag.of("env", "prod")), after.tags());
    assertEquals(6, after.version());
  }

  /** updateTags: "An update that leaves the tags as they are changes nothing ... (no new version, no change for subscribers)". */
  @Test
  void updateTagsThatChangesNothing() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(backup("p", "b", T0.minusSeconds(60), Tag.of("env", "prod"), Tag.of("x", "")));
    List<Change> changes = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(changes::add);
    long sequence = catalog.sequence("p");
    Backup before = catalog.get("p", "b");
    clock.advance(Duration.ofMinutes(1));
    assertEquals(before, catalog.updateTags("p", "b", 1, TagUpdate.create(Tag.of("env", " prod"))));
    assertEquals(before, catalog.updateTags("p", "b", 1, TagUpdate.delete(Match.key("nope"), Match.of("env", "dev"))));
    assertEquals(before, catalog.updateTags("p", "b", 1, TagUpdate.create(Tag.of("x", ""), Tag.of("env", "prod"))));
    assertEquals(before, catalog.get("p", "b"));
    assertEquals(List.of(), changes);
    assertEquals(sequence, catalog.sequence("p"));
    // a real change is one change for subscribers
    Backup changed = catalog.updateTags("p", "b", 1, TagUpdate.create(Tag.of("x", "1")));
    assertEquals(1, changes.size());
    assertEquals(changed, changes.get(0).after().orElseThrow());
    assertEquals(before, changes.get(0).before().orElseThrow());
    assertEquals(sequence + 1, catalog.sequence("p"));
  }

  /** updateTags's refusals, and "a refused change (any exception) leaves the catalog exactly as it was". */
  @Test
  void updateTagsRefusals() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    List<Tag> nine = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      nine.add(Tag.of("t" + i, "v" + i));
    }
    catalog.add(backup("p", "b", T0.minusSeconds(60), nine.toArray(new Tag[0])));
    catalog.add(backup("q", "other", T0.minusSeconds(60), Tag.of("secret", "s")));
    TagCatalogue tagsBefore = catalog.tagCatalogue("p");
    Backup before = catalog.get("p", "b");
    clock.advance(Duration.ofMinutes(1));
    InvalidValueException tooMany = field("tags",
        () -> catalog.updateTags("p", "b", 1, TagUpdate.create(Tag.of("n1", ""), Tag.of("n2", ""))));
    assertTrue(tooMany.getMessage().contains("at most 10"), tooMany.getMessage());
    assertThrows(VersionConflictException.class, () -> catalog.updateTags("p", "b", 2, TagUpdate.create(Tag.of("n1", ""))));
    assertThrows(VersionConflictException.class, () -> catalog.updateTags("p", "b", 0, TagUpdate.delete(Match.key("t1"))));
    assertThrows(BackupNotFoundException.class, () -> catalog.updateTags("p", "zz", 1, TagUpdate.create(Tag.of("n1", ""))));
    assertThrows(BackupNotFoundException.class, () -> catalog.updateTags("p", "other", 1, TagUpdate.create(Tag.of("n1", ""))));
    assertThrows(BackupNotFoundException.class, () -> catalog.updateTags("q", "b", 1, TagUpdate.create(Tag.of("n1", ""))));
    field("project id", () -> catalog.updateTags(" ", "b", 1, TagUpdate.create(Tag.of("n1", ""))));
    assertEquals("update", assertThrows(NullPointerException.class, () -> catalog.updateTags("p", "b", 1, null)).getMessage());
    assertEquals(before, catalog.get("p", "b"));
    assertEquals(tagsBefore, catalog.tagCatalogue("p"));
    assertEquals(List.of(Tag.of("secret", "s")), catalog.get("q", "other").tags());
    // the tenth tag is fine
    assertEquals(10, catalog.updateTags("p", "b", 1, TagUpdate.create(Tag.of("n1", ""), Tag.of("t0", "w"))).tags().size());
  }

  /** updateTags: naming "updated at" if the clock is before the creation, "now" if before the last change. */
  @Test
  void updateTagsWithAClockSetBack() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(backup("p", "b", T0.minusSeconds(100)));
    catalog.updateTags("p", "b", 1, TagUpdate.create(Tag.of("a", "1")));  // updated at T0
    clock.set(T0.minusSeconds(50));
    field("now", () -> catalog.updateTags("p", "b", 2, TagUpdate.create(Tag.of("a", "2"))));
    clock.set(T0.minusSeconds(101));
    field("updated at", () -> catalog.updateTags("p", "b", 2, TagUpdate.create(Tag.of("a", "2"))));
    assertEquals(List.of(Tag.of("a", "1")), catalog.get("p", "b").tags());
    assertEquals(2, catalog.get("p", "b").version());
    clock.set(T0);
    assertEquals(3, catalog.updateTags("p", "b", 2, TagUpdate.create(Tag.of("a", "2"))).version());
  }

  /** updateTags: "in any state"; Backup.version: a backup at Long.MAX_VALUE is refused naming version, but for no-ops. */
  @Test
  void updateTagsInAnyStateAndAtTheLastVersion() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(Backup.builder().id("c").name("c").projectId("p").server(SRV).status(BackupStatus.CREATING)
        .progress(Progress.of(10, T0.minusSeconds(5))).sizeMb(1).createdAt(T0.minusSeconds(10)).build());
    Backup creating = catalog.updateTags("p", "c", 1, TagUpdate.create(Tag.of("job", "")));
    assertEquals(BackupStatus.CREATING, creating.status());
    assertEquals(List.of(Tag.of("job", "")), creating.tags());
    catalog.add(backup("p", "d", T0.minusSeconds(10)));
    catalog.apply("p", "d", 1, Transition.delete());
    Backup deleting = catalog.updateTags("p", "d", 2, TagUpdate.create(Tag.of("gone", "soon")));
    assertEquals(BackupStatus.DELETING, deleting.status());
    assertEquals(3, deleting.version());

    catalog.add(backup("p", "max", T0.minusSeconds(10), Tag.of("a", "1")).toBuilder().version(Long.MAX_VALUE).build());
    field("version", () -> catalog.updateTags("p", "max", Long.MAX_VALUE, TagUpdate.create(Tag.of("a", "2"))));
    Backup same = catalog.updateTags("p", "max", Long.MAX_VALUE, TagUpdate.create(Tag.of("a", "1")));
    assertEquals(Long.MAX_VALUE, same.version());
    assertEquals(List.of(Tag.of("a", "1")), catalog.get("p", "max").tags());
  }

  /** The catalog is safe for concurrent writers: no tag update is lost (each names its version). */
  @Test
  void concurrentTagUpdatesLoseNothing() throws Exception {
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(backup("p", "b", T0.minusSeconds(10)));
    int rounds = 60;
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (String key : List.of("left", "right")) {
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 1; i <= rounds; i++) {
            while (true) {
              Backup now = catalog.get("p", "b");
              try {
                catalog.updateTags("p", "b", now.version(), TagUpdate.create(Tag.of(key, "v" + i)));
                break;
              } catch (VersionConflictException retry) {
                // another writer went first
              }
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> future : futures) {
        future.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Backup last = catalog.get("p", "b");
    assertEquals(1 + 2 * rounds, last.version());
    assertEquals("v" + rounds, last.tagValue("left").orElseThrow());
    assertEquals("v" + rounds, last.tagValue("right").orElseThrow());
    assertEquals(Map.of("left", new TreeSet<>(List.of("v" + rounds)), "right", new TreeSet<>(List.of("v" + rounds))),
        catalog.tagCatalogue("p").asMap());
  }

  // ---------------------------------------------------------------------------------- TagCatalogue

  /** TagCatalogue's class example: keys [app, env, team], values(env) [dev, prod], contains(env, prod). */
  @Test
  void tagCatalogueJavadocExample() {
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(backup("project-1", "a", T0.minusSeconds(3), Tag.of("env", "prod"), Tag.of("team", "x")));
    catalog.add(backup("project-1", "b", T0.minusSeconds(2), Tag.of("env", "dev"), Tag.of("app", "shop")));
    catalog.add(backup("project-1", "c", T0.minusSeconds(1), Tag.of("env", "prod")));
    catalog.add(backup("project-2", "d", T0.minusSeconds(1), Tag.of("zone", "secret")));
    TagCatalogue tags = catalog.tagCatalogue("project-1");
    assertEquals(List.of("app", "env", "team"), List.copyOf(tags.keys()));
    assertEquals(List.of("dev", "prod"), List.copyOf(tags.values("env")));
    assertTrue(tags.contains("env", "prod"));
    assertFalse(tags.contains("env", "staging"));
    assertFalse(tags.contains("zone", "secret"));
    assertFalse(tags.containsKey("zone"));
    assertTrue(tags.containsKey("team"));
    assertEquals(Collections.emptyNavigableSet(), tags.values("nope"));
    assertEquals("{app=[shop], env=[dev, prod], team=[x]}", tags.toString());
    assertEquals(TagCatalogue.of(Map.of("app", List.of("shop"), "env", List.of("prod", "dev"), "team", List.of("x"))), tags);
    assertEquals(TagCatalogue.of(Map.of("app", List.of("shop"), "env", List.of("prod", "dev"), "team", List.of("x"))).hashCode(),
        tags.hashCode());
    assertEquals(tags, catalog.read("project-1", view -> view.tagCatalogue()));
    assertEquals(TagCatalogue.empty(), catalog.tagCatalogue("project-without-backups"));
    assertEquals("{}", TagCatalogue.empty().toString());
  }

  /** TagCatalogue: keys and values sorted (char order), an empty value listed, case-distinct keys apart. */
  @Test
  void tagCatalogueOrderAndOddTags() {
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(backup("p", "a", T0.minusSeconds(3), Tag.of("env", ""), Tag.of("Env", "X"), Tag.of(A1D400, "\uFF41")));
    catalog.add(backup("p", "b", T0.minusSeconds(2), Tag.of("env", "prod"), Tag.of("\uFF41", A1D400)));
    TagCatalogue tags = catalog.tagCatalogue("p");
    assertEquals(List.of("Env", "env", A1D400, "\uFF41"), List.copyOf(tags.keys()));
    assertEquals(List.of("", "prod"), List.copyOf(tags.values("env")));
    assertTrue(tags.contains("env", ""));
    assertFalse(tags.contains("Env", "x"));
    assertFalse(tags.containsKey("ENV"));
  }

  /** updateTags: "the tag catalogue and the tag searches follow at once"; removals too. */
  @Test
  void tagCatalogueFollowsUpdatesAndRemovals() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    catalog.add(backup("p", "a", T0.minusSeconds(3), Tag.of("env", "prod"), Tag.of("owner", "ann")));
    catalog.add(backup("p", "b", T0.minusSeconds(2), Tag.of("env", "prod")));
    catalog.updateTags("p", "a", 1, TagUpdate.create(Tag.of("env", "dev")));
    assertEquals(Map.of("env", Set("dev", "prod"), "owner", Set("ann")), catalog.tagCatalogue("p").asMap());
    catalog.updateTags("p", "b", 1, TagUpdate.delete(Match.key("env")));
    assertEquals(Map.of("env", Set("dev"), "owner", Set("ann")), catalog.tagCatalogue("p").asMap());
    assertEquals(List.of("a"), catalog.query("p", Query.where(Predicates.tagKey("env"))).ids());
    catalog.updateTags("p", "a", 2, TagUpdate.delete(Match.of("owner", "ann"), Match.of("env", "prod")));
    assertEquals(Map.of("env", Set("dev")), catalog.tagCatalogue("p").asMap());
    catalog.remove("p", "a", 3);
    assertEquals(TagCatalogue.empty(), catalog.tagCatalogue("p"));
    assertEquals(List.of(), catalog.query("p", Query.where(Predicates.tag("env", "dev"))).ids());
    // a completed deletion takes its tags away too
    catalog.add(backup("p", "c", T0.minusSeconds(1), Tag.of("gone", "")));
    catalog.apply("p", "c", 1, Transition.delete());
    assertTrue(catalog.tagCatalogue("p").contains("gone", ""));
    assertTrue(catalog.apply("p", "c", 2, Transition.complete()).isEmpty());
    assertEquals(TagCatalogue.empty(), catalog.tagCatalogue("p"));
  }

  static NavigableSet<String> Set(String... values) {
    return new TreeSet<>(List.of(values));
  }

  /** TagCatalogue.of: "a catalogue of the given keys and values; copied". */
  @Test
  void tagCatalogueOfCopies() {
    Map<String, List<String>> source = new HashMap<>();
    List<String> values = new ArrayList<>(List.of("b", "a", "b"));
    source.put("k", values);
    source.put("empty", List.of());
    TagCatalogue tags = TagCatalogue.of(source);
    values.add("c");
    source.put("later", List.of("x"));
    assertEquals("{empty=[], k=[a, b]}", tags.toString());
    assertTrue(tags.containsKey("empty"));
    assertEquals(List.of("a", "b"), List.copyOf(tags.values("k")));
    assertThrows(UnsupportedOperationException.class, () -> tags.asMap().put("x", new TreeSet<>()));
    assertThrows(UnsupportedOperationException.class, () -> tags.values("k").add("z"));
    assertThrows(UnsupportedOperationException.class, () -> tags.keys().remove("k"));
  }

  /** A catalog's tag catalogue is a value of its own: no caller may change it. */
  @Test
  void aCatalogsTagCatalogueCannotBeChanged() {
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(backup("p", "a", T0.minusSeconds(3), Tag.of("env", "prod")));
    TagCatalogue tags = catalog.tagCatalogue("p");
    assertThrows(UnsupportedOperationException.class, () -> tags.asMap().put("x", new TreeSet<>()));
    assertThrows(UnsupportedOperationException.class, () -> tags.values("env").clear());
    TagCatalogue none = catalog.tagCatalogue("none");
    assertThrows(UnsupportedOperationException.class, () -> none.asMap().put("x", new TreeSet<>()));
  }

  /**
   * TagCatalogue.empty(): "the catalogue with no tags". Like every other catalogue (of(...) and a catalog's
   * are unmodifiable), no caller should be able to add tags to it: it is shared by every caller, and
   * PostgresCatalog (and the testkit's ReferenceCatalog) answer a project without tags with it.
   */
  @Test
  void emptyTagCatalogueCannotBeChanged() {
    TagCatalogue empty = TagCatalogue.empty();
    assertThrows(UnsupportedOperationException.class, () -> empty.asMap().put("poison", new TreeSet<>()));
    assertThrows(UnsupportedOperationException.class, () -> empty.keys().add("poison"));
    assertEquals("{}", TagCatalogue.empty().toString());
  }

  // ------------------------------------------------------------------------------------- TagFilter

  /** TagFilter's class example: its toString and its matches on data of my own. */
  @Test
  void tagFilterJavadocExample() {
    TagFilter filter = TagFilter.builder()
        .tags("env", "prod", "staging")
        .tags("app")
        .notTagsAny("team", "*test")
        .matches("resource_name", "autobk")
        .limit(100)
        .build();
    assertEquals("TagFilter{tags {app=[], env=[prod, staging]}, not_tags_any {team=[*test]}, matches resource_name=autobk,"
        + " action filter, limit 100, offset 0}", filter.toString());
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(named("p1", "AutoBK_1", 9, Tag.of("env", "prod"), Tag.of("app", "")));                              // match
    catalog.add(named("p2", "x_autobk", 8, Tag.of("env", "staging"), Tag.of("app", "shop"), Tag.of("team", "qa"))); // match
    catalog.add(named("p3", "autobk_3", 7, Tag.of("env", "prod"), Tag.of("app", "a"), Tag.of("team", "attested"))); // team contains test
    catalog.add(named("p4", "autobk_4", 6, Tag.of("env", "dev"), Tag.of("app", "a")));                               // env
    catalog.add(named("p5", "autobk_5", 5, Tag.of("env", "prod")));                                                  // no app
    catalog.add(named("p6", "manual_6", 4, Tag.of("env", "prod"), Tag.of("app", "a")));                              // name
    catalog.add(named("p7", "autobk_7", 3, Tag.of("env", "Prod"), Tag.of("app", "a")));                              // case
    catalog.add(named("p8", "autobk_8", 2, Tag.of("env", "prod"), Tag.of("app", "a"), Tag.of("team", "TEST")));      // TEST is not test
    Page page = catalog.query("project-1", filter.toQuery());
    assertEquals(List.of("p8", "p2", "p1"), page.ids());
    assertEquals(3, catalog.count("project-1", filter.toPredicate()));
  }

  static Backup named(String id, String name, int minutesAgo, Tag... tags) {
    return Backup.builder().id(id).name(name).projectId("project-1").server(SRV).status(BackupStatus.AVAILABLE)
        .sizeMb(1).createdAt(T0.minus(Duration.ofMinutes(minutesAgo))).addTags(tags).build();
  }

  /** TagFilter groups: tags AND, tags_any OR, not_tags NOT(AND), not_tags_any NOT(OR); within a key any value. */
  @Test
  void tagFilterGroupSemantics() {
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(named("ab", "n", 5, Tag.of("a", "1"), Tag.of("b", "1")));
    catalog.add(named("a", "n", 4, Tag.of("a", "2")));
    catalog.add(named("b", "n", 3, Tag.of("b", "")));
    catalog.add(named("none", "n", 2));
    catalog.add(named("c", "n", 1, Tag.of("c", "1")));
    assertEquals(List.of("ab"), ids(catalog, TagFilter.builder().tags("a").tags("b").build()));
    assertEquals(List.of("b", "a", "ab"), ids(catalog, TagFilter.builder().tagsAny("a").tagsAny("b").build()));
    assertEquals(List.of("c", "none", "b", "a"), ids(catalog, TagFilter.builder().notTags("a").notTags("b").build()));
    assertEquals(List.of("c", "none"), ids(catalog, TagFilter.builder().notTagsAny("a").notTagsAny("b").build()));
    assertEquals(List.of("a", "ab"), ids(catalog, TagFilter.builder().tags("a", "1", "2").build()));
    assertEquals(List.of("ab"), ids(catalog, TagFilter.builder().tags("a", "1", "3").build()));
    assertEquals(List.of("b"), ids(catalog, TagFilter.builder().tags("b", "").build()));
    assertEquals(List.of("b", "ab"), ids(catalog, TagFilter.builder().tags("b", "*").build()));
    assertEquals(List.of("b", "ab"), ids(catalog, TagFilter.builder().tags("b", List.of()).build()));
    assertEquals(List.of("c", "none", "a", "ab"), ids(catalog, TagFilter.builder().notTags("b", "").build()));
    assertEquals(List.of("c", "none", "b", "a", "ab"), ids(catalog, TagFilter.builder().notTags("zz").build()));
    assertEquals(List.of(), ids(catalog, TagFilter.builder().tagsAny("zz").build()));
    assertEquals(List.of("c", "none", "b", "a", "ab"), ids(catalog, TagFilter.builder().build()));
    // the groups are ANDed
    assertEquals(List.of("a"), ids(catalog, TagFilter.builder().tagsAny("a").tagsAny("b").notTags("b").build()));
    assertEquals(List.of("ab"), ids(catalog, TagFilter.builder().tags("a").notTagsAny("c").notTagsAny("a", "2").build()));
  }

  static List<String> ids(BackupCatalog catalog, TagFilter filter) {
    Page page = catalog.query("project-1", filter.toQuery());
    assertEquals(page.total(), catalog.count("project-1", filter.toPredicate()));
    return page.ids();
  }

  /** TagFilter: "a value beginning with * matches the rest of it anywhere in the tag's value; the other values match exactly". */
  @Test
  void tagFilterPatterns() {
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(named("prod", "n", 6, Tag.of("env", "prod")));
    catalog.add(named("preprod", "n", 5, Tag.of("env", "pre-prod")));
    catalog.add(named("Prod", "n", 4, Tag.of("env", "Prod")));
    catalog.add(named("empty", "n", 3, Tag.of("env", "")));
    catalog.add(named("wide", "n", 2, Tag.of("env", "x" + A1D400 + "y")));
    catalog.add(named("other", "n", 1, Tag.of("app", "prod")));
    assertEquals(List.of("preprod", "prod"), ids(catalog, TagFilter.builder().tags("env", "*prod").build()));
    assertEquals(List.of("preprod", "prod"), ids(catalog, TagFilter.builder().tags("env", " * prod ").build()));
    assertEquals(List.of("Prod", "preprod", "prod"), ids(catalog, TagFilter.builder().tags("env", "*rod").build()));
    assertEquals(List.of("prod"), ids(catalog, TagFilter.builder().tags("env", "prod").build()));
    assertEquals(List.of("Prod"), ids(catalog, TagFilter.builder().tags("env", "Prod").build()));
    assertEquals(List.of("preprod"), ids(catalog, TagFilter.builder().tags("env", "*-").build()));
    assertEquals(List.of("wide"), ids(catalog, TagFilter.builder().tags("env", "*" + A1D400).build()));
    assertEquals(List.of("wide"), ids(catalog, TagFilter.builder().tags("env", "*x" + A1D400 + "y").build()));
    assertEquals(List.of("wide", "empty", "Prod", "preprod", "prod"), ids(catalog, TagFilter.builder().tags("env", "*").build()));
    assertEquals(List.of("empty", "prod"), ids(catalog, TagFilter.builder().tags("env", "", "prod").build()));
    assertEquals(List.of("other", "wide", "Prod"), ids(catalog, TagFilter.builder().notTagsAny("env", "*prod", "").build()));
    // a pattern's rest follows the value rules
    field("tag value", () -> TagFilter.builder().tags("env", "*a b"));
    field("tag value", () -> TagFilter.builder().tags("env", "**"));
    field("tag value", () -> TagFilter.builder().tags("env", "a*"));
    assertEquals(List.of("*" + "v".repeat(43)), TagFilter.builder().tags("env", "*" + "v".repeat(43)).build().tags().get("env"));
    field("tag value", () -> TagFilter.builder().tags("env", "*" + "v".repeat(44)));
  }

  /** TagFilter's limits and refusals: 10 keys a group, 10 values a key (distinct once trimmed), a key once a group. */
  @Test
  void tagFilterRefusals() {
    TagFilter.Builder keys = TagFilter.builder();
    for (int i = 0; i < 10; i++) {
      keys.tagsAny("k" + i);
    }
    field("tags_any", () -> keys.tagsAny("k10"));
    field("tags_any", () -> keys.tagsAny("k3"));
    field("not_tags", () -> TagFilter.builder().notTags("k").notTags(" k\t"));
    field("not_tags_any", () -> TagFilter.builder().notTagsAny("k", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"));
    field("tags", () -> TagFilter.builder().tags("k", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "*11"));
    // distinct once trimmed: eleven texts, ten values
    TagFilter ten = TagFilter.builder().tags("k", "1", " 1", "2", "3", "4", "5", "6", "7", "8", "9", "10").build();
    assertEquals(10, ten.tags().get("k").size());
    // a key may be in two groups
    TagFilter both = TagFilter.builder().tags("k").notTags("k", "x").tagsAny("k").notTagsAny("k", "y").build();
    assertEquals(List.of("k"), List.copyOf(both.notTagsAny().keySet()));
    field("tag key", () -> TagFilter.builder().tags("k".repeat(37)));
    field("tag key", () -> TagFilter.builder().tags(" "));
    field("tag key", () -> TagFilter.builder().notTags("a.b"));
    field("tag value", () -> TagFilter.builder().tagsAny("k", "v".repeat(44)));
    field("tag value", () -> TagFilter.builder().notTagsAny("k", "\u00A0"));
    assertEquals(1, TagFilter.builder().tags(A1D400.repeat(36), A1D400.repeat(43)).build().tags().size());
    assertEquals("key", assertThrows(NullPointerException.class, () -> TagFilter.builder().tags(null, "x")).getMessage());
    assertEquals("value", assertThrows(NullPointerException.class, () -> TagFilter.builder().tags("k", "a", null)).getMessage());
    // matches
    field("matches", () -> TagFilter.builder().matches("name", "x"));
    field("matches", () -> TagFilter.builder().matches("resource_name", " "));
    field("matches", () -> TagFilter.builder().matches("resource_name", "x".repeat(256)));
    field("matches", () -> TagFilter.builder().matches("resource_name", "a").matches("resource_name", "b"));
    field("matches", () -> TagFilter.builder().matches("resource_name", "a\uD835"));
    field("matches", () -> TagFilter.builder().matches("Resource_Name", "a"));
    // keys differing in case are different keys of a group
    assertEquals(List.of("Env", "env"), List.copyOf(TagFilter.builder().tags("Env").tags("env").build().tags().keySet()));
    assertEquals(Map.of("resource_name", A1D400.repeat(255)),
        TagFilter.builder().matches("resource_name", A1D400.repeat(255)).build().matches());
    // page
    field("limit", () -> TagFilter.builder().limit(0));
    field("limit", () -> TagFilter.builder().limit(1001));
    field("offset", () -> TagFilter.builder().offset(-1));
    assertEquals(1000, TagFilter.builder().limit(1000).build().limit());
    assertEquals(1, TagFilter.builder().limit(1).build().limit());
    assertThrows(IllegalStateException.class, () -> TagFilter.builder().limit(5).limit(5));
    assertThrows(IllegalStateException.class, () -> TagFilter.builder().offset(5).offset(6));
    assertThrows(IllegalStateException.class, () -> TagFilter.builder().action(TagFilter.Action.COUNT).action(TagFilter.Action.COUNT));
    assertEquals(TagFilter.Action.COUNT, TagFilter.Action.parse("count"));
    field("action", () -> TagFilter.Action.parse("COUNT"));
  }

  /** TagFilter defaults: no criteria, action filter, limit 1000, offset 0; toPredicate all(). */
  @Test
  void tagFilterDefaultsAndPage() {
    TagFilter none = TagFilter.builder().build();
    assertEquals(TagFilter.Action.FILTER, none.action());
    assertEquals(1000, none.limit());
    assertEquals(0, none.offset());
    assertEquals(Predicates.all(), none.toPredicate());
    assertEquals(Map.of(), none.matches());
    assertTrue(none.tags().isEmpty() && none.tagsAny().isEmpty() && none.notTags().isEmpty() && none.notTagsAny().isEmpty());
    assertEquals("TagFilter{action filter, limit 1000, offset 0}", none.toString());
    BackupCatalog catalog = catalogAt(T0);
    for (int i = 0; i < 7; i++) {
      catalog.add(named("b" + i, "n", i, Tag.of("k", "v" + (i % 2))));
    }
    TagFilter page = TagFilter.builder().tags("k", "v0").limit(2).offset(1).action(TagFilter.Action.COUNT).build();
    assertEquals(List.of("b2", "b4"), catalog.query("project-1", page.toQuery()).ids());
    assertEquals(4, catalog.query("project-1", page.toQuery()).total());
    assertEquals(4, catalog.count("project-1", page.toPredicate()));
    assertEquals(Query.builder().where(page.toPredicate()).limit(2).offset(1).build(), page.toQuery());
  }

  /** TagFilter: "equal criteria ... make equal filters whatever the order in which keys were added, and equal filters make equal predicates". */
  @Test
  void tagFilterEquality() {
    TagFilter one = TagFilter.builder().tags("b", "y", "x").tags("a").notTagsAny("c", "*z").build();
    TagFilter two = TagFilter.builder().notTagsAny(" c", "* z").tags("a", "*").tags("b", "x", "y", "x ").build();
    assertEquals(one, two);
    assertEquals(one.hashCode(), two.hashCode());
    assertEquals(one.toString(), two.toString());
    assertEquals(one.toPredicate(), two.toPredicate());
    assertEquals(List.of("x", "y"), one.tags().get("b"));
    assertEquals(List.of(), one.tags().get("a"));
    assertNotEquals(one, TagFilter.builder().tagsAny("b", "y", "x").tagsAny("a").notTagsAny("c", "*z").build());
    assertNotEquals(one, TagFilter.builder().tags("b", "y", "x").tags("a").notTagsAny("c", "*z").limit(999).build());
    // a name match differing in case: unequal filters, equal predicates
    TagFilter lower = TagFilter.builder().matches("resource_name", "auto").build();
    TagFilter upper = TagFilter.builder().matches("resource_name", "AUTO").build();
    assertNotEquals(lower, upper);
    assertEquals(lower.toPredicate(), upper.toPredicate());
    // a single-key group: AND and OR of one key are the same criterion
    assertEquals(TagFilter.builder().tags("k", "v").build().toPredicate(),
        TagFilter.builder().tagsAny("k", "v").build().toPredicate());
    assertThrows(UnsupportedOperationException.class, () -> one.tags().put("z", List.of()));
    assertThrows(UnsupportedOperationException.class, () -> one.tags().get("b").add("w"));
  }

  /** TagFilter.toString's javadoc: {@code app=[]} is a key with any value; a key whose only value is empty must print otherwise. */
  @Test
  void tagFilterToStringTellsTheEmptyValueFromAnyValue() {
    TagFilter emptyValue = TagFilter.builder().tags("env", "").build();
    TagFilter anyValue = TagFilter.builder().tags("env").build();
    assertNotEquals(emptyValue, anyValue);
    assertNotEquals(emptyValue.toPredicate(), anyValue.toPredicate());
    assertNotEquals(anyValue.toString(), emptyValue.toString());
  }

  /** TagFilter.Builder: every null is named (key, value, the collection's "values"); the varargs array too. */
  @Test
  void tagFilterNamesANullValuesArray() {
    for (Executable call : List.<Executable>of(
        () -> TagFilter.builder().tags("k", (String[]) null),
        () -> TagFilter.builder().tagsAny("k", (String[]) null),
        () -> TagFilter.builder().notTags("k", (String[]) null),
        () -> TagFilter.builder().notTagsAny("k", (String[]) null))) {
      assertEquals("values", assertThrows(NullPointerException.class, call).getMessage());
    }
  }

  /** TagFilter.Builder: a refused argument changes nothing; the builder goes on, and earlier filters stay as built. */
  @Test
  void tagFilterBuilderAfterARefusal() {
    TagFilter.Builder builder = TagFilter.builder().tags("a", "1");
    TagFilter first = builder.build();
    field("tags", () -> builder.tags("k", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"));
    field("tag value", () -> builder.tags("k", "ok", "not ok"));
    field("matches", () -> builder.matches("resource_name", " "));
    field("limit", () -> builder.limit(0));
    builder.tags("k", "x").matches("resource_name", "n").limit(3);
    TagFilter second = builder.build();
    assertEquals(Map.of("a", List.of("1"), "k", List.of("x")), second.tags());
    assertEquals(3, second.limit());
    assertEquals(Map.of("a", List.of("1")), first.tags());
    assertEquals(Map.of(), first.matches());
    assertEquals(1000, first.limit());
  }

  // ---------------------------------------------------------------------------- Predicates, console

  /** Predicates.tag: trimmed, "* prod" is "*prod", "*" alone any value, at most 10 values naming "tag values". */
  @Test
  void tagPredicates() {
    assertEquals(Predicates.tag("env", List.of("*prod")), Predicates.tag(" env ", List.of(" * prod ")));
    assertEquals(Predicates.tagKey("env"), Predicates.tag("env", List.of("*")));
    assertEquals(Predicates.tagKey("env"), Predicates.tag("env", List.of("a", "*")));
    assertEquals(Predicates.tag("env", "prod"), Predicates.tag("env", List.of("prod", " prod")));
    assertNotEquals(Predicates.tag("env", ""), Predicates.tagKey("env"));
    assertEquals("tag env=prod", Predicates.tag("env", "prod").toString());
    assertEquals("tag env", Predicates.tagKey("env").toString());
    List<String> ten = List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "*10");
    assertEquals(Predicates.tag("k", ten), Predicates.tag("k", new ArrayList<>(ten)));
    List<String> eleven = new ArrayList<>(ten);
    eleven.add("11");
    field("tag values", () -> Predicates.tag("k", eleven));
    field("tag key", () -> Predicates.tag("a b", "c"));
    field("tag value", () -> Predicates.tag("a", "c d"));
    field("tag value", () -> Predicates.tag("a", List.of("*c d")));
    field("tag key", () -> Predicates.tagKey(""));
    BackupPredicate p = Predicates.and(Predicates.status(BackupStatus.AVAILABLE),
        Predicates.createdWithinLast(Duration.ofDays(7)), Predicates.tag("env", "prod"));
    assertEquals("(created within last 7 days AND status = Available AND tag env=prod)", p.toString());
    Backup b = backup("p", "b", T0.minusSeconds(5), Tag.of("env", "prod"), Tag.of("Env", "x"));
    assertTrue(p.test(b, FakeClock.at(T0)));
    assertFalse(Predicates.tag("env", "Prod").test(b, FakeClock.at(T0)));
    assertFalse(Predicates.tag("ENV", "prod").test(b, FakeClock.at(T0)));
    assertTrue(Predicates.tag("Env", "x").test(b, FakeClock.at(T0)));
    assertTrue(Predicates.tag("env", List.of("*")).test(b, FakeClock.at(T0)));
  }

  /** ConsoleSearch's tag pairs: trimmed, in order, a pair twice counts once, 10 at most naming tags, checked against the catalogue. */
  @Test
  void consoleSearchTagPairs() {
    ConsoleSearch one = ConsoleSearch.empty().withTag(" env", "prod ");
    assertSame(one, one.withTag("env", "prod"));
    assertEquals(List.of(Tag.of("env", "prod")), one.tags());
    ConsoleSearch two = one.withTag("env", "test");
    assertEquals(List.of(Tag.of("env", "prod"), Tag.of("env", "test")), two.tags());
    assertNotEquals(two, ConsoleSearch.empty().withTag("env", "test").withTag("env", "prod"));
    ConsoleSearch full = ConsoleSearch.empty();
    for (int i = 0; i < 10; i++) {
      full = full.withTag("k" + i, "");
    }
    ConsoleSearch ten = full;
    field("tags", () -> ten.withTag("k10", ""));
    assertSame(ten, ten.withTag("k3", ""));
    field("tag key", () -> ConsoleSearch.empty().withTag("a b", "x"));
    field("tag value", () -> ConsoleSearch.empty().withTag("a", "x y"));
    field("tag key", () -> ConsoleSearch.empty().withoutTag("a b", "x"));
    assertSame(one, one.withoutTag("env", "nope"));
    assertEquals(ConsoleSearch.empty(), one.withoutTag(" env ", " prod"));
    assertEquals(ConsoleSearch.empty(), two.withoutTags());
    assertEquals("ConsoleSearch{tags [env=prod, env=test]}", two.toString());
    // tags in another order: an unequal search with an equal predicate
    ConsoleSearch swapped = ConsoleSearch.empty().withTag("env", "test").withTag("env", "prod");
    TagCatalogue both = TagCatalogue.of(Map.of("env", List.of("prod", "test")));
    assertNotEquals(two, swapped);
    assertEquals(two.toPredicate(both), swapped.toPredicate(both));

    BackupCatalog catalog = catalogAt(T0);
    catalog.add(backup("p", "a", T0.minusSeconds(3), Tag.of("env", "prod")));
    catalog.add(backup("p", "b", T0.minusSeconds(2), Tag.of("env", "test")));
    catalog.add(backup("p", "c", T0.minusSeconds(1), Tag.of("env", "prod"), Tag.of("app", "")));
    // two pairs with the same key and different values match no backup
    assertEquals(List.of(), catalog.query("p", two.toQuery(catalog.tagCatalogue("p"), 20)).ids());
    assertEquals(List.of("c", "a"), catalog.query("p", one.toQuery(catalog.tagCatalogue("p"), 20)).ids());
    assertEquals(List.of("c"), catalog.query("p", one.withTag("app", "").toQuery(catalog.tagCatalogue("p"), 20)).ids());
    InvalidValueException noKey = field("tag key", () -> ConsoleSearch.empty().withTag("team", "x").toPredicate(catalog.tagCatalogue("p")));
    assertTrue(noKey.getMessage().contains("[app, env]"), noKey.getMessage());
    InvalidValueException noValue = field("tag value", () -> one.withTag("env", "dev").toPredicate(catalog.tagCatalogue("p")));
    assertTrue(noValue.getMessage().contains("[prod, test]"), noValue.getMessage());
    field("tag key", () -> one.toPredicate(TagCatalogue.empty()));
    // the message lists the first ten values, then how many there are in all
    Map<String, List<String>> many = new TreeMap<>();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      values.add("v" + (char) ('a' + i));
    }
    many.put("env", values);
    InvalidValueException listed = field("tag value", () -> one.toPredicate(TagCatalogue.of(many)));
    assertTrue(listed.getMessage().endsWith("[va, vb, vc, vd, ve, vf, vg, vh, vi, vj, ... (12 in all)]"), listed.getMessage());
  }

  /** What ConsoleSearch does with two pairs of one key, as its own javadoc says: no backup. */
  @Test
  void consoleSearchPairsOfOneKeyMatchNothing() {
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(backup("p", "a", T0.minusSeconds(3), Tag.of("env", "prod")));
    catalog.add(backup("p", "b", T0.minusSeconds(2), Tag.of("env", "test")));
    ConsoleSearch search = ConsoleSearch.empty().withTag("env", "prod").withTag("env", "test");
    Page page = catalog.query("p", search.toQuery(catalog.tagCatalogue("p"), 20));
    assertEquals(List.of(), page.ids());
    assertEquals(0, page.total());
    // the console page's either-value search, in Java: a TagFilter with both values of the key
    assertEquals(List.of("b", "a"), catalog.query("p", TagFilter.builder().tags("env", "prod", "test").build().toQuery()).ids());
  }

  /** ConsoleSearch.toPredicate: "naming tag key or tag value for the first pair whose key, or whose value for its key, is not in existing". */
  @Test
  void consoleSearchNamesTheFirstMissingPair() {
    TagCatalogue existing = TagCatalogue.of(Map.of("a", List.of("1"), "b", List.of("2")));
    InvalidValueException value = field("tag value", () -> ConsoleSearch.empty().withTag("a", "9").withTag("zz", "1").toPredicate(existing));
    assertTrue(value.getMessage().contains("'9'"), value.getMessage());
    InvalidValueException key = field("tag key", () -> ConsoleSearch.empty().withTag("b", "2").withTag("zz", "1").withTag("a", "9").toPredicate(existing));
    assertTrue(key.getMessage().contains("'zz'"), key.getMessage());
    assertEquals(Predicates.and(Predicates.tag("a", "1"), Predicates.tag("b", "2")),
        ConsoleSearch.empty().withTag("b", "2").withTag("a", "1").toPredicate(existing));
  }

  /** What a tag update's change is: a change of the backup, with its before and after, no transition, sequence + 1. */
  @Test
  void aTagUpdatesChangeAsItIs() {
    BackupCatalog catalog = catalogAt(T0);
    List<Change> changes = Collections.synchronizedList(new ArrayList<>());
    catalog.subscribe(changes::add);
    catalog.add(backup("p", "b", T0.minusSeconds(3)));
    Backup after = catalog.updateTags("p", "b", 1, TagUpdate.create(Tag.of("env", "prod")));
    assertEquals(2, changes.size());
    Change change = changes.get(1);
    assertFalse(change.isAdded());
    assertFalse(change.isRemoved());
    assertTrue(change.transition().isEmpty());
    assertEquals(after, change.after().orElseThrow());
    assertEquals(List.of(), change.before().orElseThrow().tags());
    assertEquals(2, change.sequence());
    assertEquals(2, catalog.sequence("p"));
  }

  /** A replica that replays a primary's changes has the same tags, tag catalogue and tag searches; a snapshot too. */
  @Test
  void replicasFollowTagUpdates() {
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog primary = Catalogs.indexed(clock);
    BackupCatalog replica = Catalogs.indexed(FakeClock.at(T0.minusSeconds(3600)));  // replay reads no clock
    primary.subscribe(replica::replay);
    primary.add(backup("p", "a", T0.minusSeconds(3), Tag.of("env", "prod"), Tag.of("app", "x")));
    primary.add(backup("p", "b", T0.minusSeconds(2), Tag.of("env", "dev")));
    primary.updateTags("p", "a", 1, TagUpdate.create(Tag.of("env", "test")));
    primary.updateTags("p", "b", 1, TagUpdate.delete(Match.key("env")));
    primary.updateTags("p", "b", 2, TagUpdate.create(Tag.of("app", "x")));
    TagFilter filter = TagFilter.builder().tags("app", "x").notTags("env", "*es").build();
    assertEquals(primary.tagCatalogue("p"), replica.tagCatalogue("p"));
    assertEquals(Map.of("app", Set("x"), "env", Set("test")), replica.tagCatalogue("p").asMap());
    assertEquals(List.of("b"), primary.query("p", filter.toQuery()).ids());
    assertEquals(primary.query("p", filter.toQuery()), replica.query("p", filter.toQuery()));
    assertEquals(primary.get("p", "a"), replica.get("p", "a"));
    BackupCatalog loaded = Catalogs.indexed(clock);
    loaded.load(new ProjectSnapshot("p", primary.sequence("p"), io.csbs.usage.Quota.NONE,
        List.of(primary.get("p", "a"), primary.get("p", "b"))));
    assertEquals(primary.tagCatalogue("p"), loaded.tagCatalogue("p"));
    assertEquals(primary.query("p", filter.toQuery()), loaded.query("p", filter.toQuery()));
  }

  /** Tag reads and writes name their project; all-projects searches by tag; no change inside a read. */
  @Test
  void tagReadsAcrossProjectsAndInsideReads() {
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(backup("p", "x", T0.minusSeconds(3), Tag.of("a", "1")));
    catalog.add(backup("q", "y", T0.minusSeconds(2), Tag.of("a", "2")));
    field("project id", () -> catalog.tagCatalogue(" "));
    assertEquals("projectId", assertThrows(NullPointerException.class, () -> catalog.tagCatalogue(null)).getMessage());
    assertEquals(List.of("y", "x"), catalog.queryAllProjects(TagFilter.builder().tags("a").build().toQuery()).ids());
    assertEquals(1, catalog.countAllProjects(Predicates.tag("a", "2")));
    assertEquals(List.of("x"), catalog.query("p", TagFilter.builder().tags("a").build().toQuery()).ids());
    assertThrows(IllegalStateException.class,
        () -> catalog.read("p", view -> catalog.updateTags("p", "x", 1, TagUpdate.create(Tag.of("a", "3")))));
    assertEquals(List.of(Tag.of("a", "1")), catalog.get("p", "x").tags());
    // a stale version is a conflict before the tags are judged
    List<Tag> ten = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(Tag.of("m" + i, ""));
    }
    assertThrows(VersionConflictException.class, () -> catalog.updateTags("p", "x", 7, TagUpdate.create(ten)));
  }

  /** "each call sees one state": while a writer moves a backup's only tag from value to value, a reader sees one value. */
  @Test
  void tagReadsSeeOneStateDuringUpdates() throws Exception {
    BackupCatalog catalog = catalogAt(T0);
    catalog.add(backup("p", "moving", T0.minusSeconds(10), Tag.of("k", "v0")));
    catalog.add(backup("p", "still", T0.minusSeconds(9), Tag.of("other", "x")));
    ExecutorService pool = Executors.newFixedThreadPool(1);
    try {
      Future<?> writer = pool.submit(() -> {
        for (int i = 1; i <= 300; i++) {
          catalog.updateTags("p", "moving", i, TagUpdate.create(Tag.of("k", "v" + i)));
        }
        return null;
      });
      while (!writer.isDone()) {
        TagCatalogue tags = catalog.tagCatalogue("p");
        assertEquals(1, tags.values("k").size(), tags.toString());
        assertEquals(List.of("moving"), catalog.query("p", Query.where(Predicates.tagKey("k"))).ids());
        // one read: the catalogue's value is the one the backup has
        long matches = catalog.read("p", view -> view.count(Predicates.tag("k", view.tagCatalogue().values("k").first())));
        assertEquals(1, matches);
      }
      writer.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(Map.of("k", Set("v300"), "other", Set("x")), catalog.tagCatalogue("p").asMap());
  }

  // ----------------------------------------------------------------------- indexed versus a scan

  static final String[] KEYS = {"env", "Env", "app", "k_1", "\u00e9", "t" + A1D400};
  static final String[] VALUES = {"", "prod", "pro", "Prod", "dev", "x-1", A1D400 + "b", "a"};
  static final String[] NAME_PARTS = {"B1", "k_b2", "_B", "BK_B3", "K", "ULK-1", "late-1"};
  static final String[] PATTERNS = {"*", "*ro", "*r", "*" + A1D400, "*1", "*P", "*d", "*b", " * o ", "*x-1"};

  /** My own reading of a group's key: the backup has the key, with a value one of the values matches. */
  static boolean keyMatches(List<Tag> tags, String key, List<String> values) {
    String actual = null;
    for (Tag tag : tags) {
      if (tag.key().equals(key)) {
        actual = tag.value();
      }
    }
    if (actual == null) {
      return false;
    }
    if (values.isEmpty()) {
      return true;
    }
    for (String raw : values) {
      String value = raw.strip();
      if (value.startsWith("*") ? actual.contains(value.substring(1).strip()) : actual.equals(value)) {
        return true;
      }
    }
    return false;
  }

  /** A filter drawn at random, with the groups as I gave them (raw texts), to be judged by my scan. */
  record Drawn(TagFilter filter, List<Map<String, List<String>>> groups, String name) {
    boolean matches(String id, List<Tag> tags) {
      if (name != null && !("bk_" + id).toLowerCase(java.util.Locale.ROOT).contains(name.toLowerCase(java.util.Locale.ROOT))) {
        return false;
      }
      for (int g = 0; g < 4; g++) {
        Map<String, List<String>> group = groups.get(g);
        if (group.isEmpty()) {
          continue;
        }
        boolean all = true;
        boolean any = false;
        for (Map.Entry<String, List<String>> e : group.entrySet()) {
          boolean m = keyMatches(tags, e.getKey(), e.getValue());
          all &= m;
          any |= m;
        }
        boolean ok = switch (g) {
          case 0 -> all;
          case 1 -> any;
          case 2 -> !all;
          default -> !any;
        };
        if (!ok) {
          return false;
        }
      }
      return true;
    }
  }

  static Drawn drawFilter(Random random) {
    TagFilter.Builder builder = TagFilter.builder();
    List<Map<String, List<String>>> groups = new ArrayList<>();
    for (int g = 0; g < 4; g++) {
      Map<String, List<String>> group = new LinkedHashMap<>();
      int keys = random.nextInt(4) == 0 ? random.nextInt(3) + 1 : 0;
      for (int k = 0; k < keys; k++) {
        String key = KEYS[random.nextInt(KEYS.length)];
        if (group.containsKey(key)) {
          continue;
        }
        List<String> values = new ArrayList<>();
        int n = random.nextInt(3);
        for (int v = 0; v < n; v++) {
          values.add(random.nextBoolean() ? VALUES[random.nextInt(VALUES.length)] : PATTERNS[random.nextInt(PATTERNS.length)]);
        }
        group.put(key, values);
        switch (g) {
          case 0 -> builder.tags(key, values);
          case 1 -> builder.tagsAny(key, values);
          case 2 -> builder.notTags(key, values);
          default -> builder.notTagsAny(key, values);
        }
      }
      groups.add(group);
    }
    String name = null;
    if (random.nextInt(5) == 0) {
      name = NAME_PARTS[random.nextInt(NAME_PARTS.length)];
      builder.matches("resource_name", name);
    }
    return new Drawn(builder.build(), groups, name);
  }

  static List<Tag> drawTags(Random random, int most) {
    Map<String, Tag> byKey = new LinkedHashMap<>();
    int n = random.nextInt(most + 1);
    for (int i = 0; i < n; i++) {
      String key = KEYS[random.nextInt(KEYS.length)];
      byKey.putIfAbsent(key, Tag.of(key, VALUES[random.nextInt(VALUES.length)]));
    }
    return new ArrayList<>(byKey.values());
  }

  static final Comparator<Backup> NEWEST_FIRST =
      Comparator.comparing(Backup::createdAt).thenComparing(Backup::id).reversed();

  /**
   * Catalogs.indexed answers every tag search as the documented semantics do on a plain scan, with
   * backups added out of creation order, tag updates (create and delete) and removals in between;
   * and its tag catalogue is the keys and values of the project's backups.
   */
  @Test
  void indexedTagSearchesEqualAScan() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    String at = "seed " + seed + ": ";
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Map<String, Map<String, List<Tag>>> model = new TreeMap<>();   // project -> id -> tags (my own)
    Map<String, Map<String, Instant>> created = new TreeMap<>();
    List<String> projects = List.of("p-1", "p-2");
    int nextId = 0;
    for (int round = 0; round < 300; round++) {
      String project = projects.get(random.nextInt(projects.size()));
      Map<String, List<Tag>> backups = model.computeIfAbsent(project, p -> new TreeMap<>());
      Map<String, Instant> times = created.computeIfAbsent(project, p -> new TreeMap<>());
      int op = random.nextInt(10);
      if (op < 4 || backups.size() < 3) {
        String id = "b" + (nextId++);
        List<Tag> tags = drawTags(random, 5);
        Instant when = T0.minusSeconds(60L * random.nextInt(200));  // out of creation order, ties too
        catalog.add(backup(project, id, when, tags.toArray(new Tag[0])));
        backups.put(id, tags);
        times.put(id, when);
      } else if (op < 7) {
        List<String> ids = new ArrayList<>(backups.keySet());
        String id = ids.get(random.nextInt(ids.size()));
        Backup current = catalog.get(project, id);
        assertEquals(backups.get(id), current.tags(), at + id);
        TagUpdate update;
        List<Tag> expected = new ArrayList<>(backups.get(id));
        if (random.nextBoolean()) {
          List<Tag> create = drawTags(random, 3);
          if (create.isEmpty()) {
            create = List.of(Tag.of(KEYS[0], VALUES[1]));
          }
          update = TagUpdate.create(create);
          for (Tag tag : create) {
            int index = -1;
            for (int i = 0; i < expected.size(); i++) {
              if (expected.get(i).key().equals(tag.key())) {
                index = i;
              }
            }
            if (index >= 0) {
              expected.set(index, tag);
            } else {
              expected.add(tag);
            }
          }
        } else {
          List<Match> matches = new ArrayList<>();
          for (int i = random.nextInt(2) + 1; i > 0; i--) {
            String key = KEYS[random.nextInt(KEYS.length)];
            matches.add(random.nextBoolean() ? Match.key(key) : Match.of(key, VALUES[random.nextInt(VALUES.length)]));
          }
          update = TagUpdate.delete(matches);
          expected.removeIf(tag -> matches.stream().anyMatch(
              m -> m.key().equals(tag.key()) && (m.value().isEmpty() || m.value().get().equals(tag.value()))));
        }
        Backup after = catalog.updateTags(project, id, current.version(), update);
        assertEquals(expected, after.tags(), at + update + " on " + current.tags());
        assertEquals(expected.equals(current.tags()) ? current.version() : current.version() + 1, after.version(), at + update);
        backups.put(id, expected);
      } else if (op < 8) {
        List<String> ids = new ArrayList<>(backups.keySet());
        String id = ids.get(random.nextInt(ids.size()));
        catalog.remove(project, id, catalog.get(project, id).version());
        backups.remove(id);
        times.remove(id);
      } else {
        checkSearches(catalog, project, backups, times, random, at + "round " + round + ": ");
      }
    }
    for (String project : projects) {
      checkSearches(catalog, project, model.computeIfAbsent(project, p -> new TreeMap<>()),
          created.computeIfAbsent(project, p -> new TreeMap<>()), random, at + "end: ");
    }
  }

  private static void checkSearches(BackupCatalog catalog, String project, Map<String, List<Tag>> backups,
      Map<String, Instant> times, Random random, String at) {
    // the tag catalogue
    Map<String, TreeSet<String>> expectedTags = new TreeMap<>();
    for (List<Tag> tags : backups.values()) {
      for (Tag tag : tags) {
        expectedTags.computeIfAbsent(tag.key(), k -> new TreeSet<>()).add(tag.value());
      }
    }
    assertEquals(expectedTags, catalog.tagCatalogue(project).asMap(), at + "tag catalogue");
    List<String> sortedIds = new ArrayList<>(backups.keySet());
    sortedIds.sort(Comparator.comparing((String id) -> times.get(id)).thenComparing(id -> id).reversed());
    for (int i = 0; i < 4; i++) {
      Drawn drawn = drawFilter(random);
      List<String> expected = new ArrayList<>();
      for (String id : sortedIds) {
        if (drawn.matches(id, backups.get(id))) {
          expected.add(id);
        }
      }
      String what = at + drawn.filter() + " -> " + drawn.filter().toPredicate();
      Page whole = catalog.query(project, drawn.filter().toQuery());
      assertEquals(expected.subList(0, Math.min(expected.size(), Query.DEFAULT_LIMIT)), whole.ids(), what);
      assertEquals(expected.size(), whole.total(), what);
      assertEquals(expected.size() > Query.DEFAULT_LIMIT, whole.hasMore(), what);
      assertEquals(expected.size(), catalog.count(project, drawn.filter().toPredicate()), what);
      // a page by offset, and all pages by marker
      int limit = random.nextInt(4) + 1;
      int offset = random.nextInt(expected.size() + 2);
      Page page = catalog.query(project, Query.builder().where(drawn.filter().toPredicate()).limit(limit).offset(offset).build());
      assertEquals(expected.subList(Math.min(offset, expected.size()), Math.min(offset + limit, expected.size())), page.ids(),
          what + " limit " + limit + " offset " + offset);
      List<String> walked = new ArrayList<>();
      int pageSize = Math.max(limit, expected.size() / 6 + 1);   // a few pages at most
      Query query = Query.builder().where(drawn.filter().toPredicate()).limit(pageSize).build();
      Page next = catalog.query(project, query);
      walked.addAll(next.ids());
      while (next.hasMore()) {
        next = catalog.query(project, query.after(walked.get(walked.size() - 1)));
        walked.addAll(next.ids());
        assertTrue(walked.size() <= expected.size(), what);
      }
      assertEquals(expected, walked, what + " by markers of " + pageSize);
    }
    // the console's AND of exact pairs (the tag sets' path): two or three pairs drawn from existing tags
    List<Tag> existing = new ArrayList<>();
    expectedTags.forEach((key, values) -> values.forEach(value -> existing.add(Tag.of(key, value))));
    if (!existing.isEmpty()) {
      for (int i = 0; i < 3; i++) {
        ConsoleSearch search = ConsoleSearch.empty();
        for (int n = random.nextInt(3) + 1; n > 0; n--) {
          Tag tag = existing.get(random.nextInt(existing.size()));
          search = search.withTag(tag.key(), tag.value());
        }
        List<String> expected = new ArrayList<>();
        for (String id : sortedIds) {
          if (backups.get(id).containsAll(search.tags())) {
            expected.add(id);
          }
        }
        Page page = catalog.query(project, search.toQuery(catalog.tagCatalogue(project), 1000));
        assertEquals(expected, page.ids(), at + search);
        assertEquals(expected.size(), page.total(), at + search);
      }
    }
  }

  /** The same catalogue and searches on a project large enough for the catalog's tag-set index, built by addAll. */
  @Test
  void indexedTagSearchesOnABulkLoad() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    String at = "seed " + seed + ": ";
    FakeClock clock = FakeClock.at(T0);
    BackupCatalog catalog = Catalogs.indexed(clock);
    Map<String, List<Tag>> backups = new TreeMap<>();
    Map<String, Instant> times = new TreeMap<>();
    List<Backup> load = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      String id = "bulk-" + i;
      List<Tag> tags = drawTags(random, 6);
      Instant when = T0.minusSeconds(i * 7L + random.nextInt(5));
      load.add(backup("bulk", id, when, tags.toArray(new Tag[0])));
      backups.put(id, tags);
      times.put(id, when);
    }
    catalog.addAll(load);
    for (int i = 0; i < 60; i++) {
      String id = "late-" + i;   // older than the bulk: out of creation order
      List<Tag> tags = drawTags(random, 6);
      Instant when = T0.minusSeconds(random.nextInt(30_000));
      catalog.add(backup("bulk", id, when, tags.toArray(new Tag[0])));
      backups.put(id, tags);
      times.put(id, when);
    }
    for (int i = 0; i < 60; i++) {
      List<String> ids = new ArrayList<>(backups.keySet());
      String id = ids.get(random.nextInt(ids.size()));
      Backup current = catalog.get("bulk", id);
      if (random.nextInt(3) == 0) {
        catalog.remove("bulk", id, current.version());
        backups.remove(id);
        times.remove(id);
      } else {
        Tag tag = Tag.of(KEYS[random.nextInt(KEYS.length)], VALUES[random.nextInt(VALUES.length)]);
        Backup after = catalog.updateTags("bulk", id, current.version(), TagUpdate.create(tag));
        backups.put(id, after.tags());
      }
    }
    for (int i = 0; i < 8; i++) {
      checkSearches(catalog, "bulk", backups, times, random, at + "check " + i + ": ");
    }
  }
}
