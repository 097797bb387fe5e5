package io.csbs.testing;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.CopyStatus;
import io.csbs.backup.FailCode;
import io.csbs.backup.Failure;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.RestoreMode;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.VmMetadata;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Seeded generator of realistic backups: the same seed and options always give the same backups.
 *
 * <p>The shape follows a real backup list: one project by default, or as many as {@link
 * Builder#projects(int)} asks; servers whose popularity follows a Zipf
 * law (a few servers have most backups); three automatic backups ({@code autobk_xxxx}, with a policy
 * id) for each manual one ({@code manualbk_xxxx}); about 90% Available, 3% Error, the rest in a
 * running job (Creating backups created in the last six hours, Restoring and Deleting ones of any
 * age) whose progress is sometimes stalled, the job's last progress being the backup's last change
 * ({@code updatedAt}), as the lifecycle makes it; sizes spread
 * log-normally around 40 GB; tags drawn from a limited vocabulary, set per server so that backups of
 * one server share them, from none to ten. Servers and tags are shared objects, so a million
 * backups fit in a modest heap.
 *
 * <pre>{@code
 * BackupGenerator generator = BackupGenerator.builder().seed(42).projects(3).servers(500).build();
 * List<Backup> backups = generator.backups(10_000);
 * Backup one = BackupGenerator.withSeed(7).next();
 * }</pre>
 *
 * <p>Not thread-safe: use one generator per thread.
 */
public final class BackupGenerator {
  /** Tag keys and the values each may take, the vocabulary of generated tags. */
  private static final String[][] TAG_VOCABULARY = {
    {"env", "prod", "staging", "dev", "test", "qa"},
    {"app", "shop", "billing", "search", "auth", "crm", "erp", "wiki", "mail", "cms", "api", "etl"},
    {"team", "core", "payments", "platform", "data", "web", "mobile", "infra", "security"},
    {"owner", "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"},
    {"cost-center", "cc-100", "cc-200", "cc-300", "cc-400", "cc-500", "cc-600"},
    {"tier", "gold", "silver", "bronze"},
    {"os", "linux", "windows"},
    {"backup-class", "daily", "weekly", "monthly"},
    {"db", "mysql", "postgres", "redis", "mongo", "none"},
    {"region-role", "primary", "secondary"},
    {"compliance", "pci", "gdpr", "sox", "none"},
    {"lifecycle", "keep-30d", "keep-90d", "keep-1y", "keep-forever"},
    {"service", "frontend", "backend", "batch", "cache", "queue", "gateway"},
    {"customer", "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"},
    {"version", "v1", "v2", "v3"},
  };
  private static final String[] NAME_WORDS = {
    "web", "db", "app", "cache", "mq", "api", "batch", "gw", "search", "auth", "etl", "mail"
  };
  private static final String[] IMAGE_TYPES = {"gold", "private", "market", ""};
  private static final String[] FAILURE_REASONS = {
    "snapshot of volume timed out", "agent not reachable", "insufficient backup capacity",
    "target disk detached", "storage service returned 503"
  };

  private final SplittableRandom random;
  /**
   * Draws the raw statuses and the API details; a stream of its own, so that every other field of
   * a seed's backups stays what it was before the generator made details.
   */
  private final SplittableRandom detailsRandom;
  private final int projects;
  private final Instant end;
  private final Duration span;
  private final Server[] servers;
  private final String[] serverProjects;
  private final Tag[][] serverTags;
  private final double[] serverCumulativeWeights;
  private final String[][] policyIds;

  private BackupGenerator(Builder options) {
    this.random = new SplittableRandom(options.seed);
    this.detailsRandom = new SplittableRandom(options.seed ^ 0x5BD1E9955BD1E995L);
    this.projects = options.projects;
    this.end = options.end;
    this.span = options.span;
    this.policyIds = new String[projects][];
    for (int p = 0; p < projects; p++) {
      policyIds[p] = new String[5];
      for (int i = 0; i < policyIds[p].length; i++) {
        policyIds[p][i] = uuid();
      }
    }
    this.servers = new Server[options.servers];
    this.serverProjects = new String[options.servers];
    this.serverTags = new Tag[options.servers][];
    this.serverCumulativeWeights = new double[options.servers];
    Tag[][] tags = tagVocabulary();
    double total = 0;
    for (int s = 0; s < servers.length; s++) {
      int drawn = random.nextInt(projects);
      // the first servers one to a project, so that every project owns backups when there are at least
      // as many servers (the draw is made all the same: a seed's other values stay as they were)
      serverProjects[s] = projectId(s < projects ? s : drawn);
      servers[s] = Server.of(
          uuid(),
          "ecs-" + NAME_WORDS[random.nextInt(NAME_WORDS.length)] + "-" + String.format(Locale.ROOT, "%04d", s),
          "eu-de-0" + (1 + random.nextInt(3)));
      serverTags[s] = serverTagSet(tags);
      total += 1.0 / (s + 1); // Zipf, exponent 1: server s gets a share proportional to 1/(s+1)
      serverCumulativeWeights[s] = total;
    }
  }

  /**
   * {@return a generator with the given seed and the default options}
   *
   * @param seed the seed of the generator's random numbers
   */
  public static BackupGenerator withSeed(long seed) {
    return builder().seed(seed).build();
  }

  /** {@return a builder of generators; every option has a default, stated on its setter} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@return the id of the {@code index}-th project (from 0): {@code project-0}, {@code project-1},
   * ...}
   *
   * @param index the project's place, from 0
   */
  public static String projectId(int index) {
    return "project-" + index;
  }

  /** {@return the ids of this generator's projects} */
  public List<String> projectIds() {
    List<String> ids = new ArrayList<>();
    for (int p = 0; p < projects; p++) {
      ids.add(projectId(p));
    }
    return ids;
  }

  /** {@return the instant generated creation times end before} */
  public Instant end() {
    return end;
  }

  /**
   * {@code count} new backups.
   *
   * @param count how many backups, 0 or more
   * @return the backups, in the order generated
   * @throws IllegalArgumentException if {@code count} is negative
   */
  public List<Backup> backups(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("count " + count + " is invalid: must be 0 or more");
    }
    List<Backup> backups = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      backups.add(next());
    }
    return backups;
  }

  /** {@return one new backup} */
  public Backup next() {
    int s = pickServer();
    String projectId = serverProjects[s];
    BackupStatus status = pickStatus();
    boolean automatic = random.nextInt(4) != 0;
    long spanSeconds = span.getSeconds();
    Instant createdAt;
    if (status == BackupStatus.CREATING) {
      createdAt = end.minusSeconds(1 + random.nextLong(Math.min(spanSeconds, 6 * 3600)));
    } else {
      createdAt = end.minusSeconds(1 + random.nextLong(spanSeconds));
    }
    Instant updatedAt = createdAt.plusSeconds(random.nextLong(1 + Duration.between(createdAt, end).getSeconds()));
    Backup.Builder backup = Backup.builder()
        .id(uuid())
        .name((automatic ? "autobk_" : "manualbk_") + hex4())
        .projectId(projectId)
        .server(servers[s])
        .status(status)
        .type(random.nextInt(5) == 0 ? BackupType.ENHANCED : BackupType.COMMON)
        .trigger(automatic ? BackupTrigger.AUTOMATIC : BackupTrigger.MANUAL)
        .sizeMb(sizeMb())
        .createdAt(createdAt)
        .addTags(serverTags[s]);
    Instant lastChange = updatedAt;  // a running job's is its last progress (below)
    if (automatic) {
      String[] policies = policyIds[Integer.parseInt(projectId.substring("project-".length()))];
      backup.policyId(policies[random.nextInt(policies.length)]);
    }
    if (random.nextInt(10) == 0) {
      backup.description("backup of " + servers[s].name());
    }
    if (status == BackupStatus.AVAILABLE || status == BackupStatus.RESTORING || status == BackupStatus.DELETING) {
      backup.finishedAt(createdAt.plusSeconds(Math.min(
          Duration.between(createdAt, updatedAt).getSeconds(), 600 + random.nextInt(3600))));
    }
    if (status.isIntermediate()) {
      // a tenth of running jobs stalled: their progress last changed long before the end
      long sinceChange = random.nextInt(10) == 0 ? 3600 + random.nextInt(6 * 3600) : random.nextInt(600);
      Instant changedAt = max(updatedAt, end.minusSeconds(sinceChange));
      int percent = random.nextInt(100);
      backup.progress(Progress.of(percent, changedAt));
      lastChange = changedAt;  // a progress report is a change of the backup, as the lifecycle makes it
      if (percent < 5 && detailsRandom.nextBoolean()) {
        backup.apiStatus(queued(status));   // a job not started yet
      }
    }
    if (status == BackupStatus.ERROR) {
      JobType job = random.nextInt(4) == 0 ? JobType.RESTORE : JobType.BACKUP;
      backup.failure(Failure.of(job, FAILURE_REASONS[random.nextInt(FAILURE_REASONS.length)], updatedAt));
      // as the lifecycle's fail: a failed backup job finished when it gave up, a failed restore keeps the
      // finish of the backup it restored (here half an hour after creation at most); no random value
      // drawn, so every other value of a seed's backups stays as it was
      backup.finishedAt(job == JobType.BACKUP ? updatedAt
          : createdAt.plusSeconds(Math.min(Duration.between(createdAt, updatedAt).getSeconds(), 1800)));
    }
    if (detailsRandom.nextInt(10) < 7) {
      backup.details(details(s, status));
    }
    return backup.updatedAt(lastChange).build();
  }

  private static ApiStatus queued(BackupStatus status) {
    switch (status) {
      case CREATING:
        return ApiStatus.WAITING_PROTECT;
      case RESTORING:
        return ApiStatus.WAITING_RESTORE;
      default:
        return ApiStatus.WAITING_DELETE;
    }
  }

  /** Details as the API reports them for a backup of server {@code s}: most backups have some. */
  private BackupDetails details(int s, BackupStatus status) {
    SplittableRandom r = detailsRandom;
    BackupDetails.Builder details = BackupDetails.builder()
        .checkpointId(new UUID(r.nextLong(), r.nextLong()).toString())
        .incremental(r.nextInt(5) != 0)
        .spaceSavingRatio(r.nextInt(101))
        .averageSpeedKbps(r.nextInt(200_000));
    if (r.nextInt(4) != 0) {
      int flavor = s % 4;
      details.vm(VmMetadata.builder()
          .regionName("eu-de")
          .cloudServiceType("server")
          .diskGb(40 << (flavor % 3))
          .imageType(IMAGE_TYPES[s % IMAGE_TYPES.length])
          .ramMb(2048 << flavor)
          .vcpus(1 << flavor)
          .eip(r.nextInt(3) == 0 ? "80.158." + (s / 250 % 250) + "." + (s % 250 + 1) : "")
          .privateIp("192.168." + (s / 250 % 250) + "." + (s % 250 + 1))
          .build());
    }
    if (r.nextInt(20) == 0) {
      details.restoreMode(r.nextBoolean() ? RestoreMode.SNAPSHOT : RestoreMode.NA);
    }
    if (r.nextInt(10) == 0) {
      details.copyStatus(CopyStatus.values()[1 + r.nextInt(CopyStatus.values().length - 1)]);
    }
    if (status == BackupStatus.ERROR && r.nextBoolean()) {
      details.failCode(new FailCode(64000 + r.nextInt(100), FAILURE_REASONS[r.nextInt(FAILURE_REASONS.length)]));
    }
    return details.build();
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private int pickServer() {
    double target = random.nextDouble() * serverCumulativeWeights[serverCumulativeWeights.length - 1];
    int low = 0;
    int high = serverCumulativeWeights.length - 1;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (serverCumulativeWeights[mid] < target) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  private BackupStatus pickStatus() {
    int roll = random.nextInt(100);
    if (roll < 90) {
      return BackupStatus.AVAILABLE;
    } else if (roll < 93) {
      return BackupStatus.ERROR;
    } else if (roll < 96) {
      return BackupStatus.CREATING;
    } else if (roll < 98) {
      return BackupStatus.RESTORING;
    }
    return BackupStatus.DELETING;
  }

  /** Log-normal around 40 GB, between 1 GB and 16 TB, in MB. */
  private long sizeMb() {
    double gaussian = nextGaussian();
    double mb = 40_960 * Math.exp(gaussian);
    return Math.max(1024, Math.min(16L * 1024 * 1024, Math.round(mb)));
  }

  private double nextGaussian() {
    // Box-Muller: SplittableRandom has no nextGaussian on Java 17
    double u = 1.0 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  private Tag[][] tagVocabulary() {
    Tag[][] tags = new Tag[TAG_VOCABULARY.length][];
    for (int k = 0; k < TAG_VOCABULARY.length; k++) {
      String[] keyAndValues = TAG_VOCABULARY[k];
      tags[k] = new Tag[keyAndValues.length - 1];
      for (int v = 1; v < keyAndValues.length; v++) {
        tags[k][v - 1] = Tag.of(keyAndValues[0], keyAndValues[v]);
      }
    }
    return tags;
  }

  /** 0 to 10 tags with distinct keys, most often 2 to 5; earlier keys and values are more common. */
  private Tag[] serverTagSet(Tag[][] vocabulary) {
    int[] countWeights = {8, 10, 18, 20, 16, 12, 6, 4, 3, 2, 1};
    int count = weighted(countWeights);
    List<Tag> chosen = new ArrayList<>(count);
    boolean[] usedKey = new boolean[vocabulary.length];
    while (chosen.size() < count) {
      int key = Math.min(vocabulary.length - 1, (int) (Math.abs(nextGaussian()) * vocabulary.length / 2.5));
      if (usedKey[key]) {
        continue;
      }
      usedKey[key] = true;
      Tag[] values = vocabulary[key];
      int value = Math.min(values.length - 1, (int) (Math.abs(nextGaussian()) * values.length / 2.0));
      chosen.add(values[value]);
    }
    return chosen.toArray(new Tag[0]);
  }

  private int weighted(int[] weights) {
    int total = 0;
    for (int w : weights) {
      total += w;
    }
    int roll = random.nextInt(total);
    for (int i = 0; i < weights.length; i++) {
      roll -= weights[i];
      if (roll < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }

  private String uuid() {
    long most = (random.nextLong() & ~0xF000L) | 0x4000L;
    long least = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(most, least).toString();
  }

  private String hex4() {
    return String.format(Locale.ROOT, "%04x", random.nextInt(0x10000));
  }

  /** Options of a {@link BackupGenerator}. */
  public static final class Builder {
    /** The most projects a generator makes: each gets its policy ids when the generator is built. */
    public static final int MAX_PROJECTS = 100_000;
    /** The most servers a generator makes: each is built, with its tags, when the generator is built. */
    public static final int MAX_SERVERS = 1_000_000;

    private long seed = 0;
    private int projects = 1;
    private int servers = 1000;
    private Instant end = FakeClock.DEFAULT_START;
    private Duration span = Duration.ofDays(365);

    private Builder() {}

    /**
     * Sets the seed; 0 by default.
     *
     * @param seed the seed of the generator's random numbers: the same seed gives the same backups
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Sets how many projects own the backups ({@code project-0}, ...); 1 by default. Each server
     * belongs to one project: the first {@code projects} servers one each, the others to a project
     * drawn at random, so that every project owns backups when there are at least as many servers
     * (and backups enough to reach them: the servers' popularity follows a Zipf law).
     *
     * @param projects the number of projects, 1 to {@value #MAX_PROJECTS}
     * @return this builder
     * @throws IllegalArgumentException naming {@code projects} outside those bounds
     */
    public Builder projects(int projects) {
      if (projects < 1 || projects > MAX_PROJECTS) {
        throw new IllegalArgumentException("projects " + projects + " is invalid: must be 1 to " + MAX_PROJECTS);
      }
      this.projects = projects;
      return this;
    }

    /**
     * Sets how many servers are backed up; 1000 by default.
     *
     * @param servers the number of servers, 1 to {@value #MAX_SERVERS}
     * @return this builder
     * @throws IllegalArgumentException naming {@code servers} outside those bounds
     */
    public Builder servers(int servers) {
      if (servers < 1 || servers > MAX_SERVERS) {
        throw new IllegalArgumentException("servers " + servers + " is invalid: must be 1 to " + MAX_SERVERS);
      }
      this.servers = servers;
      return this;
    }

    /**
     * Backups are created within {@code span} before {@code end}; by default the 365 days before
     * {@link FakeClock#DEFAULT_START}, so that a {@link FakeClock#create()} stands at the end.
     *
     * @param end the instant creation times end before
     * @param span how far before {@code end} they may be: at least one second, and neither it nor
     *     eight hours before {@code end} beyond the earliest {@link Instant}
     * @return this builder
     */
    public Builder window(Instant end, Duration span) {
      requireNonNull(end, "end");
      requireNonNull(span, "span");
      if (span.getSeconds() < 1) {
        throw new IllegalArgumentException("span " + span + " is invalid: must be at least one second");
      }
      try {
        // the earliest creation time it may draw (end - span), and a running job's last progress (up to 7 hours back)
        Duration eightHours = Duration.ofHours(8);
        end.minus(span.compareTo(eightHours) > 0 ? span : eightHours);   // to the nanosecond
      } catch (java.time.DateTimeException | ArithmeticException e) {
        throw new IllegalArgumentException("span " + span + " is invalid: must not reach before " + Instant.MIN
            + " from end " + end);
      }
      this.end = end;
      this.span = span;
      return this;
    }

    /** {@return the generator} */
    public BackupGenerator build() {
      return new BackupGenerator(this);
    }
  }
}
