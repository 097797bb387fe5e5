package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Tag;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How {@link TagSets} names a set: by the slots of its key=value pairs, so that one set of tags is
 * one set whatever the order of the tags (a second set for another order would still answer right,
 * which the differential tests cannot see, but cost its memory), and a pair's slot taken again
 * after the pair left every set names the new pair only.
 */
class TagSetsKeyTest {
  private static final Tag ENV = Tag.of("env", "prod");
  private static final Tag APP = Tag.of("app", "db");
  private static final Tag TIER = Tag.of("tier", "gold");

  @Test
  void theSameTagsInAnotherOrderAreTheSameSet() {
    TagSets sets = new TagSets();
    sets.add(0, List.of(ENV, APP, TIER), 3);
    sets.add(1, List.of(TIER, ENV, APP), 3);
    sets.add(2, List.of(APP, TIER, ENV), 3);
    assertEquals(1, sets.size());
    TagSets.TagSet set = sets.set(sets.setsWith("env", "prod").sparse()[0]);
    assertEquals(3, set.rows.count());
    sets.remove(1, List.of(APP, ENV, TIER));
    assertEquals(2, set.rows.count());
    assertTrue(set.rows.contains(0) && set.rows.contains(2));
  }

  @Test
  void aSlotTakenAgainNamesItsNewPairOnly() {
    TagSets sets = new TagSets();
    sets.add(0, List.of(ENV, APP), 1);
    sets.remove(0, List.of(APP, ENV));  // the set and both pairs leave: their slots are free
    assertEquals(0, sets.size());
    assertNull(sets.setsWith("env", "prod"));
    Tag os = Tag.of("os", "linux");
    Tag zone = Tag.of("zone", "a");
    sets.add(1, List.of(os, zone), 2);  // takes the freed slots
    sets.add(2, List.of(ENV, APP), 3);
    assertEquals(2, sets.size());
    TagSets.TagSet envApp = sets.set(sets.setsWith("app", "db").sparse()[0]);
    TagSets.TagSet osZone = sets.set(sets.setsWith("os", "linux").sparse()[0]);
    assertTrue(envApp != osZone);
    assertEquals(1, envApp.rows.count());
    assertTrue(envApp.rows.contains(2));
    assertTrue(osZone.rows.contains(1));
    sets.add(3, List.of(zone, os), 4);
    assertEquals(2, osZone.rows.count());
    assertEquals(2, sets.size());
  }
}
