package io.csbs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.Tag;
import io.csbs.backup.TagUpdate;
import io.csbs.lifecycle.StallRule;
import io.csbs.lifecycle.Transition;
import io.csbs.query.BackupPredicate;
import io.csbs.query.Page;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.query.Sort;
import io.csbs.query.SortField;
import io.csbs.query.SortKey;
import io.csbs.testing.BackupGenerator;
import io.csbs.testing.FakeClock;
import io.csbs.testing.ReferenceCatalog;
import io.csbs.testing.Seeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Conjunctions of tag=value criteria, which the planner answers from the distinct tag sets of a
 * shard ({@link TagSets}) when they are few, against the plain scan of {@link ReferenceCatalog}: on
 * catalogs whose backups share their server's tags (sets repeat) and on catalogs whose backups draw
 * their own tags (sets mostly distinct), with 2 to 10 pairs of one backup, pairs no backup has
 * together, two values of one key, the same pair twice, and beside status, time and keyword
 * criteria; between the checks tags are updated, backups removed, added late and moved through
 * jobs, and shards reorganise after a few out-of-order or removed rows. Replay with {@code
 * -Dcsbs.seed=N}.
 */
class TagSetsDifferentialTest {
  private static final String[] KEYS = {"env", "app", "tier", "owner", "cost", "team", "zone", "os", "db", "dr", "ha", "x"};

  @RepeatedTest(20)
  void tagConjunctionsEqualAPlainScanUnderRandomChanges() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      // per server (repeating sets), or each backup its own draw from a small or a large vocabulary
      int mode = random.nextInt(3);
      int values = mode == 2 ? 50 : 3;
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(5 + random.nextInt(60)).build();
      FakeClock clock = FakeClock.at(generator.end());
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1 + random.nextInt(200));
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      List<Backup> initial = new ArrayList<>();
      for (Backup backup : generator.backups(300 + random.nextInt(1500))) {
        initial.add(mode == 0 ? backup : backup.toBuilder().tags(randomTags(random, values)).build());
      }
      int batch = random.nextInt(initial.size());
      indexed.addAll(initial.subList(0, batch));
      reference.addAll(initial.subList(0, batch));
      for (Backup backup : initial.subList(batch, initial.size())) {
        indexed.add(backup);
        reference.add(backup);
      }
      List<String> ids = new ArrayList<>();
      initial.forEach(backup -> ids.add(backup.id()));
      for (int round = 0; round < 10; round++) {
        check(indexed, reference, project, queries(random, reference, project, values), "seed " + seed + " round " + round);
        for (int i = 0; i < 40; i++) {
          String id = ids.get(random.nextInt(ids.size()));
          Backup backup = indexed.find(project, id).orElse(null);
          int action = random.nextInt(10);
          if (backup == null) {
            continue;
          } else if (action < 4) {
            // set a value (often of a key it has: a set it joins or leaves), or delete a key
            TagUpdate update;
            if (backup.tags().isEmpty() || (random.nextBoolean() && backup.tags().size() < Backup.MAX_TAGS)) {
              update = TagUpdate.create(Tag.of(KEYS[random.nextInt(KEYS.length)], "v" + random.nextInt(values)));
            } else {
              update = TagUpdate.delete(TagUpdate.Match.key(backup.tags().get(random.nextInt(backup.tags().size())).key()));
            }
            assertEquals(reference.updateTags(project, id, backup.version(), update),
                indexed.updateTags(project, id, backup.version(), update));
          } else if (action < 6) {
            indexed.remove(project, id, backup.version());
            reference.remove(project, id, backup.version());
          } else if (action < 8) {
            // a late copy, with the tags of another backup (a set that exists) or its own
            Backup other = initial.get(random.nextInt(initial.size()));
            Backup late = backup.toBuilder().id("late-" + round + "-" + i).version(1)
                .tags(random.nextBoolean() ? other.tags() : randomTags(random, values)).build();
            indexed.add(late);
            reference.add(late);
            ids.add(late.id());
          } else if (backup.status() == BackupStatus.AVAILABLE) {
            Transition transition = random.nextBoolean() ? Transition.restore() : Transition.delete();
            assertEquals(reference.apply(project, id, backup.version(), transition),
                indexed.apply(project, id, backup.version(), transition));
          }
        }
      }
      check(indexed, reference, project, queries(random, reference, project, values), "seed " + seed + " at the end");
    });
  }

  /**
   * A tail of thousands of late backups that no reorganisation sorts in (the catalog's slack is
   * larger than the test), whose tags come from a few lists: a page of tag criteria then walks the tail's
   * order testing each late row's tags (cheaper than a search in each tag set, or a heap of every
   * late match), and must read what the plain scan does, newest or oldest first, from any offset.
   */
  @RepeatedTest(10)
  void aLongTailOfLateBackupsReadsLikeAPlainScan() {
    Seeds.run(Seeds.pick(), seed -> {
      SplittableRandom random = new SplittableRandom(seed);
      BackupGenerator generator = BackupGenerator.builder().seed(seed).projects(1).servers(3 + random.nextInt(20)).build();
      FakeClock clock = FakeClock.at(generator.end());
      IndexedCatalog indexed = new IndexedCatalog(clock, StallRule.DEFAULT, 1_000_000);
      ReferenceCatalog reference = ReferenceCatalog.create(clock, StallRule.DEFAULT);
      String project = BackupGenerator.projectId(0);
      // tags from a few lists of a small vocabulary: a pair of tags is in several lists (tag sets)
      List<List<Tag>> lists = new ArrayList<>();
      for (int i = 5 + random.nextInt(40); i > 0; i--) {
        lists.add(randomTags(random, 2 + random.nextInt(2)));
      }
      List<Backup> initial = new ArrayList<>();
      for (Backup backup : generator.backups(500 + random.nextInt(1000))) {
        initial.add(backup.toBuilder().tags(lists.get(random.nextInt(lists.size()))).build());
      }
      indexed.addAll(initial);
      reference.addAll(initial);
      int late = 1000 + random.nextInt(2000);
      for (int i = 0; i < late; i++) {
        Backup copy = initial.get(random.nextInt(initial.size())).toBuilder().id("late-" + i).version(1)
            .tags(lists.get(random.nextInt(lists.size()))).build();
        indexed.add(copy);
        reference.add(copy);
      }
      assertEquals(0, indexed.reorganisations(project), "seed " + seed + ": the tail must stay");
      String at = "seed " + seed + ", " + late + " late";
      check(indexed, reference, project, queries(random, reference, project, 3), at);
      // two or three tags of one list, in several lists: pages by offset, then page after page by marker
      Sort oldestFirst = Sort.by(SortKey.asc(SortField.CREATED_AT));
      for (int q = 0; q < 30; q++) {
        List<Tag> tags = new ArrayList<>(lists.get(random.nextInt(lists.size())));
        if (tags.size() < 2) {
          continue;
        }
        java.util.Collections.shuffle(tags, new java.util.Random(random.nextLong()));
        List<BackupPredicate> pairs = new ArrayList<>();
        for (Tag tag : tags.subList(0, Math.min(tags.size(), 2 + random.nextInt(2)))) {
          pairs.add(Predicates.tag(tag.key(), tag.value()));
        }
        Query.Builder builder = Query.builder().where(Predicates.and(pairs)).limit(new int[] {1, 20, 50}[random.nextInt(3)]);
        if (random.nextBoolean()) {
          builder.sort(oldestFirst);
        }
        Query query = builder.offset(random.nextInt(4) == 0 ? random.nextInt(200) : 0).build();
        assertEquals(reference.query(project, query), indexed.query(project, query), at + ": " + query);
        query = query.toBuilder().offset(0).build();
        for (int pages = 0; pages < 20; pages++) {
          Page expected = reference.query(project, query);
          assertEquals(expected, indexed.query(project, query), at + ", page " + pages + " of " + query);
          if (expected.nextMarker().isEmpty()) {
            break;
          }
          query = query.after(expected.nextMarker().get());
        }
      }
    });
  }

  /** Up to ten tags with distinct keys, values from {@code values} a key. */
  private static List<Tag> randomTags(SplittableRandom random, int values) {
    List<Tag> tags = new ArrayList<>();
    int count = random.nextInt(Backup.MAX_TAGS + 1);
    for (int k = 0; k < KEYS.length && tags.size() < count; k++) {
      if (random.nextInt(KEYS.length) < count + 1) {
        tags.add(Tag.of(KEYS[k], "v" + random.nextInt(values)));
      }
    }
    java.util.Collections.shuffle(tags, new java.util.Random(random.nextLong()));  // not in key order
    return tags;
  }

  private static List<Query> queries(SplittableRandom random, ReferenceCatalog reference, String project, int values) {
    List<Backup> backups = reference.query(project, Query.builder().limit(1000).build()).backups();
    List<Query> queries = new ArrayList<>();
    Sort oldestFirst = Sort.by(SortKey.asc(SortField.CREATED_AT));
    for (int q = 0; q < 40; q++) {
      List<BackupPredicate> pairs = new ArrayList<>();
      Backup model = backups.isEmpty() ? null : backups.get(random.nextInt(backups.size()));
      int kind = random.nextInt(5);
      if (kind < 2 && model != null && model.tags().size() >= 2) {
        // 2 to 10 tags of one backup
        List<Tag> tags = new ArrayList<>(model.tags());
        java.util.Collections.shuffle(tags, new java.util.Random(random.nextLong()));
        for (Tag tag : tags.subList(0, 2 + random.nextInt(tags.size() - 1))) {
          pairs.add(Predicates.tag(tag.key(), tag.value()));
        }
      } else if (kind == 2) {
        // two values of one key, or the same pair twice, beside another pair
        String key = KEYS[random.nextInt(KEYS.length)];
        pairs.add(Predicates.tag(key, "v" + random.nextInt(values)));
        pairs.add(Predicates.tag(key, random.nextBoolean() ? "v" + random.nextInt(values) : "v0"));
        pairs.add(Predicates.tag(KEYS[random.nextInt(KEYS.length)], "v" + random.nextInt(values)));
      } else {
        // random pairs: often no backup has them together
        for (int i = 2 + random.nextInt(4); i > 0; i--) {
          pairs.add(Predicates.tag(KEYS[random.nextInt(KEYS.length)], "v" + random.nextInt(values)));
        }
      }
      if (pairs.isEmpty()) {
        continue;
      }
      int extra = random.nextInt(6);
      if (extra == 1) {
        pairs.add(Predicates.status(BackupStatus.AVAILABLE));
      } else if (extra == 2) {
        pairs.add(Predicates.createdWithinLast(Duration.ofDays(1 + random.nextInt(60))));
      } else if (extra == 3 && model != null) {
        pairs.add(Predicates.nameContains(model.name().substring(model.name().length() - 2)));
      } else if (extra == 4) {
        pairs.add(Predicates.tagKey(KEYS[random.nextInt(KEYS.length)]));
      }
      BackupPredicate where = Predicates.and(pairs);
      if (random.nextInt(8) == 0) {
        where = Predicates.not(where);
      } else if (random.nextInt(8) == 0) {
        where = Predicates.or(where, Predicates.status(BackupStatus.ERROR));
      }
      Query.Builder query = Query.builder().where(where).limit(new int[] {1, 20, 50}[random.nextInt(3)]);
      if (random.nextBoolean()) {
        query.offset(random.nextInt(60));
      }
      if (random.nextInt(4) == 0) {
        query.sort(oldestFirst);
      }
      queries.add(query.build());
    }
    return queries;
  }

  private static void check(IndexedCatalog indexed, ReferenceCatalog reference, String project, List<Query> queries,
      String at) {
    for (Query query : queries) {
      assertEquals(reference.query(project, query), indexed.query(project, query), at + ": " + query);
      assertEquals(reference.count(project, query.predicate()), indexed.count(project, query.predicate()), at + ": count " + query);
    }
  }
}
