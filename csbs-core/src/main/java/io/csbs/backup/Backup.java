package io.csbs.backup;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.immutables.value.Value;

/**
 * One backup of the backup list: an immutable, validated record.
 *
 * <p>A backup always satisfies the rules of the CSBS API and of the lifecycle: a progress exactly
 * while its state is intermediate, a failure whenever it is in Error, at most 10 tags with unique
 * keys, a policy id only on automatic backups, times that do not precede its creation. A builder
 * whose values break a rule throws an {@link InvalidValueException} naming the field and the rule;
 * no half-built backup exists.
 *
 * <p>Changes of state go through {@link io.csbs.lifecycle.Lifecycle}, which returns a new backup with
 * a higher {@link #version()}.
 *
 * <pre>{@code
 * Backup backup = Backup.builder()
 *     .id("7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12")
 *     .name("autobk_a61d")
 *     .projectId("project-1")
 *     .server(Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02"))
 *     .status(BackupStatus.AVAILABLE)
 *     .trigger(BackupTrigger.AUTOMATIC)
 *     .policyId("policy-daily")
 *     .sizeMb(146184)
 *     .createdAt(Instant.parse("2018-08-14T07:53:15.663766Z"))
 *     .finishedAt(Instant.parse("2018-08-14T08:31:08.720800Z"))
 *     .addTags(Tag.of("env", "prod"))
 *     .build();
 * }</pre>
 */
@Value.Immutable(builder = false, copy = false)
public abstract class Backup {
  /** At most this many tags on one backup. */
  public static final int MAX_TAGS = 10;

  /**
   * The largest size of one backup, in MB: 2^30 MB (1 PiB), far beyond any server's disks, and small
   * enough that 2^31 backups of this size sum to 2^61 MB: no sum of a project's sizes overflows.
   */
  public static final long MAX_SIZE_MB = 1L << 30;

  Backup() {}

  /** {@return the backup id; non-blank, at most 64 chars} */
  public abstract String id();

  /**
   * {@return the name: 1 to 255 letters (of any script, each counted once), digits, {@code _} or
   * {@code -}; letters and digits as {@link Character#isLetterOrDigit(int)} judges them}
   */
  public abstract String name();

  /** {@return an optional description of at most 255 chars} */
  public abstract Optional<String> description();

  /** {@return the project (tenant) that owns the backup; non-blank, at most 64 chars} */
  public abstract String projectId();

  /** {@return the backed-up server} */
  public abstract Server server();

  /** {@return the state} */
  public abstract BackupStatus status();

  /** {@return the progress of the running job; present exactly when the state is intermediate} */
  public abstract Optional<Progress> progress();

  /**
   * Common (the default) or enhanced.
   *
   * @return the type
   */
  @Value.Default
  public BackupType type() {
    return BackupType.COMMON;
  }

  /**
   * Manual (the default) or automatic.
   *
   * @return the trigger
   */
  @Value.Default
  public BackupTrigger trigger() {
    return BackupTrigger.MANUAL;
  }

  /** {@return the backup policy that started an automatic backup, if known} */
  public abstract Optional<String> policyId();

  /** {@return the capacity the backup uses, in MB as the API reports it: 0 to {@link #MAX_SIZE_MB}} */
  public abstract long sizeMb();

  /** {@return when the backup job started} */
  public abstract Instant createdAt();

  /**
   * {@return when the backup last changed; {@link #createdAt()} by default} Kept as given: the builder
   * does not compare it with the progress, failure and finish times; the lifecycle, which moves it
   * to each change's instant, refuses a change dated before it.
   */
  @Value.Default
  public Instant updatedAt() {
    return createdAt();
  }

  /**
   * {@return when the backup job finished, once it has} Taken as given in every state: the builder
   * checks only that it is not before {@link #createdAt()}, so a source that reports a finish time
   * beside a running job (or none beside a failed one) is kept as it reported. The lifecycle sets it
   * when a backup job completes or fails ({@code Lifecycle.complete}, {@code fail}), replacing the
   * time held; a restore or delete keeps it.
   */
  public abstract Optional<Instant> finishedAt();

  /**
   * Why the last job failed; present whenever the state is Error.
   *
   * @return the failure of the last job, if it failed
   */
  public abstract Optional<Failure> failure();

  /** {@return the tags, at most 10 with unique keys, in the order given} */
  public abstract List<Tag> tags();

  /**
   * Increases with every change, for optimistic concurrency; 1 by default, at least 1. A backup at
   * {@link Long#MAX_VALUE} is valid but cannot change again: every transition and tag update that
   * would make a new version of it is refused with an {@link InvalidValueException} naming {@code
   * version}. One that changes nothing (the same progress again, tags as they are) returns the
   * backup as it is, and a completed deletion, which makes no version but removes it, is accepted.
   *
   * @return the version, at least 1
   */
  @Value.Default
  public long version() {
    return 1;
  }

  /**
   * The raw status of the CSBS API, which says more than the state: {@code waiting_protect} (queued)
   * or {@code protecting} (running) are both Creating. It always maps to {@link #status()}; by
   * default it is the state's running form ({@code protecting}, {@code restoring}, {@code deleting},
   * or {@code available}, {@code error}). The lifecycle sets the running form when the state changes,
   * and moves a queued status to the running one with the first progress above 0%. A queued status
   * built with a progress above 0% (an API that reported one) is taken as given; it moves to the
   * running one with the first progress reported above the one it holds.
   *
   * @return the raw status; never {@link ApiStatus#DELETED}, which no backup in a list has
   */
  public abstract ApiStatus apiStatus();

  /**
   * The details the API reports and the console shows on expanding a row, searched by nothing: the
   * backup record id, the server's metadata, and the job figures; {@link BackupDetails#NONE} by
   * default.
   *
   * @return the details
   */
  public abstract BackupDetails details();

  /**
   * {@return the operations a user may start on this backup now, given its state and type} The
   * details' {@link BackupDetails#restoreMode() restore mode} is reported as the API gave it and not
   * consulted: a backup whose mode is {@link RestoreMode#NA} still allows a restore here (the
   * service that starts the job refuses it if its back end cannot).
   */
  public final Set<Operation> allowedOperations() {
    return status().allowedOperations(type());
  }

  /**
   * {@return whether {@code operation} may be started on this backup now}
   *
   * @param operation an operation a user may start
   */
  public final boolean allows(Operation operation) {
    requireNonNull(operation, "operation");
    return allowedOperations().contains(operation);
  }

  /**
   * {@return the value of the tag with {@code key}, if the backup has one}
   *
   * @param key a tag key, compared exactly
   */
  public final Optional<String> tagValue(String key) {
    requireNonNull(key, "key");
    for (Tag tag : tags()) {
      if (tag.key().equals(key)) {
        return Optional.of(tag.value());
      }
    }
    return Optional.empty();
  }

  /** {@return a builder; see the class documentation for an example} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding every field of this backup, its version included, to make a changed copy: set
   * the fields to change and build. Each field may be set once more on it; {@link Builder#build()}
   * checks the copy as it checks any backup. Changes of state belong to {@link
   * io.csbs.lifecycle.Lifecycle}; this is for corrections and for tests.
   *
   * <pre>{@code
   * Backup renamed = backup.toBuilder().name("weekly_db").build();
   * Backup untagged = backup.toBuilder().tags(List.of()).build();
   * }</pre>
   *
   * @return a builder with this backup's fields
   */
  public final Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Builds a {@link Backup}. Required: {@link #id id}, {@link #name name}, {@link #projectId
   * projectId}, {@link #server server}, {@link #status status}, {@link #sizeMb sizeMb} and {@link
   * #createdAt createdAt}; and a {@link #progress(Progress) progress} in an intermediate state, a
   * {@link #failure(Failure) failure} in Error. The seven fields are checked first, by an {@link
   * IllegalStateException} naming those not set; a progress or failure missing where the state needs
   * it is then a rule of the state, refused by an {@link InvalidValueException} naming {@code progress}
   * or {@code failure}.
   *
   * <p>Each field is set once: setting it again is a mistake and throws an {@link
   * IllegalStateException} naming the field (on a builder from {@link Backup#toBuilder()}, each field
   * may be set once more). Tags accumulate with {@link #addTags} and {@link #addAllTags}, or are
   * replaced at once with {@link #tags}. Null is refused with a {@link NullPointerException} naming
   * the parameter. The rules of the values are checked by {@link #build()}, which throws an {@link
   * InvalidValueException} naming the field and the rule.
   */
  public static final class Builder {
    private static final int ID = 1;
    private static final int NAME = 1 << 1;
    private static final int DESCRIPTION = 1 << 2;
    private static final int PROJECT_ID = 1 << 3;
    private static final int SERVER = 1 << 4;
    private static final int STATUS = 1 << 5;
    private static final int PROGRESS = 1 << 6;
    private static final int TYPE = 1 << 7;
    private static final int TRIGGER = 1 << 8;
    private static final int POLICY_ID = 1 << 9;
    private static final int SIZE_MB = 1 << 10;
    private static final int CREATED_AT = 1 << 11;
    private static final int UPDATED_AT = 1 << 12;
    private static final int FINISHED_AT = 1 << 13;
    private static final int FAILURE = 1 << 14;
    private static final int TAGS = 1 << 15;
    private static final int VERSION = 1 << 16;
    private static final int API_STATUS = 1 << 17;
    private static final int DETAILS = 1 << 18;
    private static final int REQUIRED = ID | NAME | PROJECT_ID | SERVER | STATUS | SIZE_MB | CREATED_AT;
    private static final int ALL = (DETAILS << 1) - 1;
    private static final String TO_STRING_START = "Backup.Builder{";

    /** The fields set on this builder, each at most once. */
    private int set;
    /** The fields that have a value: those set, and every field of a {@link Backup#toBuilder()} copy. */
    private int present;

    private String id;
    private String name;
    private Optional<String> description = Optional.empty();
    private String projectId;
    private Server server;
    private BackupStatus status;
    private Optional<Progress> progress = Optional.empty();
    private BackupType type = BackupType.COMMON;
    private BackupTrigger trigger = BackupTrigger.MANUAL;
    private Optional<String> policyId = Optional.empty();
    private long sizeMb;
    private Instant createdAt;
    /** Null for the default, the creation time. */
    private Instant updatedAt;
    private Optional<Instant> finishedAt = Optional.empty();
    private Optional<Failure> failure = Optional.empty();
    /** The backup's own immutable list until a tag is added; then a copy. */
    private List<Tag> tags = List.of();
    private long version = 1;
    /** Null for the default: the running form of the state. */
    private ApiStatus apiStatus;
    private BackupDetails details = BackupDetails.NONE;

    Builder() {}

    Builder(Backup backup) {
      id = backup.id();
      name = backup.name();
      description = backup.description();
      projectId = backup.projectId();
      server = backup.server();
      status = backup.status();
      progress = backup.progress();
      type = backup.type();
      trigger = backup.trigger();
      policyId = backup.policyId();
      sizeMb = backup.sizeMb();
      createdAt = backup.createdAt();
      updatedAt = backup.updatedAt();
      finishedAt = backup.finishedAt();
      failure = backup.failure();
      tags = backup.tags();
      version = backup.version();
      apiStatus = backup.apiStatus();
      details = backup.details();
      present = ALL;  // every field has the copied backup's value
    }

    /**
     * Sets the backup id: non-blank, at most 64 chars.
     *
     * @param id the backup id
     * @return this builder
     * @throws IllegalStateException if the id was set already
     */
    public Builder id(String id) {
      requireNonNull(id, "id");
      mark(ID, "id", this.id);
      this.id = id;
      return this;
    }

    /**
     * Sets the name: 1 to 255 letters (of any script, each counted once, one outside the Basic
     * Multilingual Plane too), digits, {@code _} or {@code -}. Letters and digits are what {@link
     * Character#isLetterOrDigit(int)} accepts: combining marks are not letters, so a decomposed é
     * (an e, then the combining acute accent U+0301) is refused (compose it first with {@link
     * java.text.Normalizer} NFC), and so are words of scripts whose vowel signs are marks
     * (Devanagari, Thai).
     *
     * @param name the name
     * @return this builder
     * @throws IllegalStateException if the name was set already
     */
    public Builder name(String name) {
      requireNonNull(name, "name");
      mark(NAME, "name", this.name);
      this.name = name;
      return this;
    }

    /**
     * Sets the description, at most 255 chars; none by default.
     *
     * @param description the description
     * @return this builder
     * @throws IllegalStateException if the description was set already
     */
    public Builder description(String description) {
      return description(Optional.of(requireNonNull(description, "description")));
    }

    /**
     * Sets the description, or none; none by default.
     *
     * @param description the description, or empty for none
     * @return this builder
     * @throws IllegalStateException if the description was set already
     */
    public Builder description(Optional<String> description) {
      requireNonNull(description, "description");
      mark(DESCRIPTION, "description", this.description.orElse(null));
      this.description = description;
      return this;
    }

    /**
     * Sets the project (tenant) that owns the backup: non-blank, at most 64 chars.
     *
     * @param projectId the project id
     * @return this builder
     * @throws IllegalStateException if the project id was set already
     */
    public Builder projectId(String projectId) {
      requireNonNull(projectId, "projectId");
      mark(PROJECT_ID, "projectId", this.projectId);
      this.projectId = projectId;
      return this;
    }

    /**
     * Sets the backed-up server.
     *
     * @param server the server
     * @return this builder
     * @throws IllegalStateException if the server was set already
     */
    public Builder server(Server server) {
      requireNonNull(server, "server");
      mark(SERVER, "server", this.server);
      this.server = server;
      return this;
    }

    /**
     * Sets the state; an intermediate state needs a {@linkplain #progress(Progress) progress}, Error
     * a {@linkplain #failure(Failure) failure}.
     *
     * @param status the state
     * @return this builder
     * @throws IllegalStateException if the state was set already
     */
    public Builder status(BackupStatus status) {
      requireNonNull(status, "status");
      mark(STATUS, "status", this.status);
      this.status = status;
      return this;
    }

    /**
     * Sets the progress of the running job: required exactly while the state is intermediate.
     *
     * @param progress the progress
     * @return this builder
     * @throws IllegalStateException if the progress was set already
     */
    public Builder progress(Progress progress) {
      return progress(Optional.of(requireNonNull(progress, "progress")));
    }

    /**
     * Sets the progress of the running job, or none; none by default.
     *
     * @param progress the progress, or empty for none (a stable state)
     * @return this builder
     * @throws IllegalStateException if the progress was set already
     */
    public Builder progress(Optional<? extends Progress> progress) {
      requireNonNull(progress, "progress");
      mark(PROGRESS, "progress", this.progress.orElse(null));
      this.progress = Optional.ofNullable(progress.orElse(null));
      return this;
    }

    /**
     * Sets the type; {@link BackupType#COMMON} by default.
     *
     * @param type common or enhanced
     * @return this builder
     * @throws IllegalStateException if the type was set already
     */
    public Builder type(BackupType type) {
      requireNonNull(type, "type");
      mark(TYPE, "type", this.type);
      this.type = type;
      return this;
    }

    /**
     * Sets the trigger; {@link BackupTrigger#MANUAL} by default.
     *
     * @param trigger manual or automatic
     * @return this builder
     * @throws IllegalStateException if the trigger was set already
     */
    public Builder trigger(BackupTrigger trigger) {
      requireNonNull(trigger, "trigger");
      mark(TRIGGER, "trigger", this.trigger);
      this.trigger = trigger;
      return this;
    }

    /**
     * Sets the backup policy that started the backup: only on automatic backups; non-blank, at most
     * 64 chars.
     *
     * @param policyId the policy id
     * @return this builder
     * @throws IllegalStateException if the policy id was set already
     */
    public Builder policyId(String policyId) {
      return policyId(Optional.of(requireNonNull(policyId, "policyId")));
    }

    /**
     * Sets the backup policy that started the backup, or none; none by default.
     *
     * @param policyId the policy id, or empty for none
     * @return this builder
     * @throws IllegalStateException if the policy id was set already
     */
    public Builder policyId(Optional<String> policyId) {
      requireNonNull(policyId, "policyId");
      mark(POLICY_ID, "policyId", this.policyId.orElse(null));
      this.policyId = policyId;
      return this;
    }

    /**
     * Sets the capacity the backup uses, in MB: 0 to {@link Backup#MAX_SIZE_MB}.
     *
     * @param sizeMb the size in MB
     * @return this builder
     * @throws IllegalStateException if the size was set already
     */
    public Builder sizeMb(long sizeMb) {
      mark(SIZE_MB, "sizeMb", this.sizeMb);
      this.sizeMb = sizeMb;
      return this;
    }

    /**
     * Sets when the backup job started.
     *
     * @param createdAt the creation time
     * @return this builder
     * @throws IllegalStateException if the creation time was set already
     */
    public Builder createdAt(Instant createdAt) {
      requireNonNull(createdAt, "createdAt");
      mark(CREATED_AT, "createdAt", this.createdAt);
      this.createdAt = createdAt;
      return this;
    }

    /**
     * Sets when the backup last changed, not before its creation; the creation time by default.
     *
     * @param updatedAt the time of the last change
     * @return this builder
     * @throws IllegalStateException if the update time was set already
     */
    public Builder updatedAt(Instant updatedAt) {
      requireNonNull(updatedAt, "updatedAt");
      mark(UPDATED_AT, "updatedAt", this.updatedAt);
      this.updatedAt = updatedAt;
      return this;
    }

    /**
     * Sets when the backup job finished, not before the creation.
     *
     * @param finishedAt the time the job finished
     * @return this builder
     * @throws IllegalStateException if the finish time was set already
     */
    public Builder finishedAt(Instant finishedAt) {
      return finishedAt(Optional.of(requireNonNull(finishedAt, "finishedAt")));
    }

    /**
     * Sets when the backup job finished, or none; none by default.
     *
     * @param finishedAt the time the job finished, or empty while it has not
     * @return this builder
     * @throws IllegalStateException if the finish time was set already
     */
    public Builder finishedAt(Optional<? extends Instant> finishedAt) {
      requireNonNull(finishedAt, "finishedAt");
      mark(FINISHED_AT, "finishedAt", this.finishedAt.orElse(null));
      this.finishedAt = Optional.ofNullable(finishedAt.orElse(null));
      return this;
    }

    /**
     * Sets why the last job failed: required in Error, kept while an Error backup is deleted.
     *
     * @param failure the failure
     * @return this builder
     * @throws IllegalStateException if the failure was set already
     */
    public Builder failure(Failure failure) {
      return failure(Optional.of(requireNonNull(failure, "failure")));
    }

    /**
     * Sets why the last job failed, or none; none by default.
     *
     * @param failure the failure, or empty for none
     * @return this builder
     * @throws IllegalStateException if the failure was set already
     */
    public Builder failure(Optional<? extends Failure> failure) {
      requireNonNull(failure, "failure");
      mark(FAILURE, "failure", this.failure.orElse(null));
      this.failure = Optional.ofNullable(failure.orElse(null));
      return this;
    }

    /**
     * Adds tags after those already given; at most {@value Backup#MAX_TAGS} in all, with unique keys.
     *
     * @param tags the tags to add, in order
     * @return this builder
     */
    public Builder addTags(Tag... tags) {
      requireNonNull(tags, "tags");
      return addAllTags(java.util.Arrays.asList(tags));
    }

    /**
     * Adds tags after those already given; at most {@value Backup#MAX_TAGS} in all, with unique keys.
     *
     * @param tags the tags to add, in order
     * @return this builder
     */
    public Builder addAllTags(Iterable<? extends Tag> tags) {
      List<Tag> added = copyTags(tags);
      if (!(this.tags instanceof ArrayList)) {
        this.tags = new ArrayList<>(this.tags);
      }
      this.tags.addAll(added);
      present |= TAGS;  // shown by toString, as every field set on the builder
      return this;
    }

    /**
     * Replaces the tags: on a builder from {@link Backup#toBuilder()}, the copy's tags are these.
     *
     * @param tags the tags, in order; at most {@value Backup#MAX_TAGS}, with unique keys
     * @return this builder
     * @throws IllegalStateException if tags were set or added on this builder already
     */
    public Builder tags(Iterable<? extends Tag> tags) {
      List<Tag> replacement = copyTags(tags);
      if ((set & TAGS) != 0 || this.tags instanceof ArrayList) {
        throw new IllegalStateException("tags were already set or added to " + this.tags
            + ": replace the tags of a backup builder once, before adding any");
      }
      set |= TAGS;
      present |= TAGS;
      this.tags = replacement;
      return this;
    }

    /**
     * Sets the version, at least 1; 1 by default (a new backup).
     *
     * @param version the version
     * @return this builder
     * @throws IllegalStateException if the version was set already
     */
    public Builder version(long version) {
      mark(VERSION, "version", this.version);
      this.version = version;
      return this;
    }

    /**
     * Sets the raw status of the API; by default the running form of the {@link #status state}
     * ({@code protecting} for Creating). It must map to the state: {@code waiting_protect} or {@code
     * protecting} for Creating, and so on.
     *
     * <pre>{@code
     * builder.status(BackupStatus.CREATING).apiStatus(ApiStatus.WAITING_PROTECT);
     * }</pre>
     *
     * @param apiStatus the raw status
     * @return this builder
     * @throws IllegalStateException if the raw status was set already
     */
    public Builder apiStatus(ApiStatus apiStatus) {
      requireNonNull(apiStatus, "apiStatus");
      mark(API_STATUS, "apiStatus", this.apiStatus);
      this.apiStatus = apiStatus;
      return this;
    }

    /**
     * Sets the details the API reports; {@link BackupDetails#NONE} by default.
     *
     * @param details the details
     * @return this builder
     * @throws IllegalStateException if the details were set already
     */
    public Builder details(BackupDetails details) {
      requireNonNull(details, "details");
      mark(DETAILS, "details", this.details);
      this.details = details;
      return this;
    }

    /**
     * Builds the backup and checks every rule.
     *
     * @return the backup
     * @throws InvalidValueException naming the field and the rule it breaks (a progress or failure
     *     the state needs and that was not set included)
     * @throws IllegalStateException naming the required fields among id, name, projectId, server,
     *     status, sizeMb and createdAt that were not set
     */
    public Backup build() {
      if ((present & REQUIRED) != REQUIRED) {
        throw new IllegalStateException("a backup needs " + missing() + ": set them before build()");
      }
      Backup backup = ImmutableBackup.of(id, name, description, projectId, server, status, progress, type, trigger,
          policyId, sizeMb, createdAt, updatedAt != null ? updatedAt : createdAt, finishedAt, failure,
          List.copyOf(tags),  // the same list when untouched since toBuilder(); later versions share it
          version, rawStatus(), details);
      backup.checkRecord();
      backup.checkStateAndTimes();
      return backup;
    }

    /**
     * The raw status to build with: the one set; else the copied one if it still maps to the state
     * (a copy whose state was changed takes the new state's running form); else the running form.
     */
    private ApiStatus rawStatus() {
      if (apiStatus == null || status == null) {
        return status == null ? null : ApiStatus.of(status);
      }
      if ((set & API_STATUS) == 0 && !apiStatus.state().equals(Optional.of(status))) {
        return ApiStatus.of(status);
      }
      return apiStatus;
    }

    /** Notes that {@code field} is set, refusing a second time; {@code current} is its value, for the message. */
    private void mark(int field, String name, Object current) {
      if ((set & field) != 0) {
        // an optional field set to empty holds null here: say "none", not "null"
        throw new IllegalStateException(name + " was already set to " + (current == null ? "none" : current)
            + ": set each field of a backup builder once");
      }
      set |= field;
      present |= field;
    }

    private String missing() {
      List<String> missing = new ArrayList<>();
      String[] names = {"id", "name", "projectId", "server", "status", "sizeMb", "createdAt"};
      int[] fields = {ID, NAME, PROJECT_ID, SERVER, STATUS, SIZE_MB, CREATED_AT};
      for (int i = 0; i < fields.length; i++) {
        if ((present & fields[i]) == 0) {
          missing.add(names[i]);
        }
      }
      return String.join(", ", missing);
    }

    private static List<Tag> copyTags(Iterable<? extends Tag> tags) {
      requireNonNull(tags, "tags");
      List<Tag> copy = new ArrayList<>();
      for (Tag tag : tags) {
        copy.add(Rules.requireElement(tag, "tags", copy.size()));
      }
      return copy;
    }

    /**
     * {@code Backup.Builder{id=b-1, status=Available, sizeMb=5}}: the fields that have a value (set
     * on this builder, or copied by {@link Backup#toBuilder()}, absent optional ones left out), in
     * the order of the setters.
     */
    @Override
    public String toString() {
      StringBuilder text = new StringBuilder(TO_STRING_START);
      append(text, ID, "id", id);
      append(text, NAME, "name", name);
      append(text, DESCRIPTION, "description", description);
      append(text, PROJECT_ID, "projectId", projectId);
      append(text, SERVER, "server", server);
      append(text, STATUS, "status", status);
      append(text, PROGRESS, "progress", progress);
      append(text, TYPE, "type", type);
      append(text, TRIGGER, "trigger", trigger);
      append(text, POLICY_ID, "policyId", policyId);
      append(text, SIZE_MB, "sizeMb", sizeMb);
      append(text, CREATED_AT, "createdAt", createdAt);
      append(text, UPDATED_AT, "updatedAt", updatedAt);
      append(text, FINISHED_AT, "finishedAt", finishedAt);
      append(text, FAILURE, "failure", failure);
      append(text, TAGS, "tags", tags);
      append(text, VERSION, "version", version);
      append(text, API_STATUS, "apiStatus", apiStatus);
      append(text, DETAILS, "details", details);
      return text.append('}').toString();
    }

    /** Appends {@code name=value} if {@code field} has a value ({@link #present}, not an empty optional). */
    private void append(StringBuilder text, int field, String name, Object value) {
      Object shown = value instanceof Optional<?> optional ? optional.orElse(null) : value;
      if ((present & field) != 0 && shown != null) {
        text.append(text.length() == TO_STRING_START.length() ? "" : ", ").append(name).append('=').append(shown);
      }
    }
  }

  /**
   * This backup in another state, one version later, with everything else kept: the raw step that
   * the checked transitions of {@link io.csbs.lifecycle.Lifecycle} are made of. The state must be
   * whole (a progress exactly in an intermediate state, a failure in Error) and the times must not
   * precede the creation, but which state may follow which is the lifecycle's business, not this
   * method's.
   *
   * <p>The kept fields were checked when this backup was built and are shared, not copied or checked
   * again: on a catalog of millions a transition then reads only the backup itself, not its id, name
   * and tags, which are rarely in the processor's caches.
   *
   * <pre>{@code
   * Backup deleting = available.nextVersion(
   *     BackupStatus.DELETING, Optional.of(Progress.of(0, now)), Optional.empty(), now, available.finishedAt());
   * }</pre>
   *
   * @param status the next state
   * @param progress the next progress: present exactly when {@code status} is intermediate
   * @param failure the next failure: present whenever {@code status} is Error
   * @param updatedAt when the change happens; not before the creation
   * @param finishedAt when the last job finished, if one has
   * @return the backup in its next state, with {@code version + 1}
   * @throws InvalidValueException naming the field and the rule it breaks
   */
  public final Backup nextVersion(
      BackupStatus status,
      Optional<Progress> progress,
      Optional<Failure> failure,
      Instant updatedAt,
      Optional<Instant> finishedAt) {
    Backup next = ImmutableBackup.of(
        id(),
        name(),
        description(),
        projectId(),
        server(),
        requireNonNull(status, "status"),
        requireNonNull(progress, "progress"),
        type(),
        trigger(),
        policyId(),
        sizeMb(),
        createdAt(),
        requireNonNull(updatedAt, "updatedAt"),
        requireNonNull(finishedAt, "finishedAt"),
        requireNonNull(failure, "failure"),
        tags(),  // unmodifiable since the builder, so shared, not copied
        followingVersion(),
        nextApiStatus(status, progress),
        details());
    next.checkStateAndTimes();
    return next;
  }

  /** The raw status of the next version: see {@link #apiStatus()}. */
  private ApiStatus nextApiStatus(BackupStatus nextStatus, Optional<Progress> nextProgress) {
    if (nextStatus != status()) {
      return ApiStatus.of(nextStatus);
    }
    ApiStatus raw = apiStatus();
    if (raw.isQueued() && nextProgress.isPresent() && nextProgress.get().percent() > 0) {
      return ApiStatus.of(nextStatus);
    }
    return raw;
  }

  /** {@return the version of this backup's next change} */
  final long followingVersion() {
    if (version() == Long.MAX_VALUE) {
      throw new InvalidValueException("version", version(), "is the greatest a version can be: this backup cannot change again");
    }
    return version() + 1;
  }

  /** The rules on what stays the same from version to version: identity, names, size and tags. */
  private void checkRecord() {
    Rules.requireId("id", id());
    Rules.requireWord("name", name(), 1, Rules.MAX_NAME_LENGTH);
    if (description().isPresent() && description().get().length() > Rules.MAX_DESCRIPTION_LENGTH) {
      throw new InvalidValueException(
          "description", description().get(), "must be at most " + Rules.MAX_DESCRIPTION_LENGTH + " chars");
    }
    Rules.requireId("project id", projectId());
    if (policyId().isPresent()) {
      if (trigger() != BackupTrigger.AUTOMATIC) {
        throw new InvalidValueException("policy id", policyId().get(), "is only allowed on automatic backups");
      }
      Rules.requireId("policy id", policyId().get());
    }
    if (sizeMb() < 0 || sizeMb() > MAX_SIZE_MB) {
      throw new InvalidValueException("size", sizeMb(), "must be 0 to " + MAX_SIZE_MB + " MB (2^30 MB, 1 PiB)");
    }
    checkTags();
  }

  /** The rules on what each version sets anew: the state, the times and the version. */
  private void checkStateAndTimes() {
    checkState();
    if (updatedAt().isBefore(createdAt())) {
      throw new InvalidValueException("updated at", updatedAt(), "must not be before created at " + createdAt());
    }
    if (finishedAt().isPresent() && finishedAt().get().isBefore(createdAt())) {
      throw new InvalidValueException(
          "finished at", finishedAt().get(), "must not be before created at " + createdAt());
    }
    if (progress().isPresent() && progress().get().changedAt().isBefore(createdAt())) {
      throw new InvalidValueException(
          "progress", progress().get(), "must not have changed before created at " + createdAt());
    }
    if (failure().isPresent() && failure().get().failedAt().isBefore(createdAt())) {
      throw new InvalidValueException(
          "failure", failure().get(), "must not have failed before created at " + createdAt());
    }
    if (version() < 1) {
      throw new InvalidValueException("version", version(), "must be at least 1");
    }
  }

  private void checkState() {
    BackupStatus status = status();
    if (status.isIntermediate() != progress().isPresent()) {
      throw new InvalidValueException(
          "progress",
          progress().orElse(null),
          status.isIntermediate()
              ? "is required while " + status + " (an intermediate state)"
              : "is only allowed in an intermediate state, not " + status);
    }
    if (!apiStatus().state().equals(Optional.of(status))) {
      throw new InvalidValueException("api status", apiStatus(), apiStatus() == ApiStatus.DELETED
          ? "is for a backup that is gone, not one in the list"
          : "must map to the state " + status + "; " + apiStatus() + " is " + apiStatus().state().get());
    }
    if (status == BackupStatus.ERROR && failure().isEmpty()) {
      throw new InvalidValueException("failure", null, "is required in state Error");
    }
    if (failure().isPresent() && status != BackupStatus.ERROR && status != BackupStatus.DELETING) {
      throw new InvalidValueException(
          "failure", failure().get(), "is only kept in Error, or while an Error backup is deleted; state is " + status);
    }
  }

  private void checkTags() {
    List<Tag> tags = tags();
    if (tags.size() > MAX_TAGS) {
      throw new InvalidValueException("tags", tags, "must be at most " + MAX_TAGS + " tags");
    }
    // at most 10 tags: pairwise comparison, no set to allocate on every transition
    for (int i = 1; i < tags.size(); i++) {
      String key = tags.get(i).key();
      for (int j = 0; j < i; j++) {
        if (tags.get(j).key().equals(key)) {
          throw new InvalidValueException("tags", tags, "must have unique keys; '" + key + "' repeats");
        }
      }
    }
  }

  /** A short form for logs: id, name, state, progress and version. */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("Backup{").append(id()).append(' ').append(name())
        .append(' ').append(status());
    progress().ifPresent(p -> text.append(' ').append(p.percent()).append('%'));
    return text.append(" v").append(version()).append('}').toString();
  }
}
