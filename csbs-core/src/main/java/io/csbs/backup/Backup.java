package io.csbs.backup;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
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
@Value.Immutable
public abstract class Backup {
  /** At most this many tags on one backup. */
  public static final int MAX_TAGS = 10;

  Backup() {}

  /** {@return the backup id; non-blank, at most 64 chars} */
  public abstract String id();

  /** {@return the name: 1 to 255 letters, digits, {@code _} or {@code -}} */
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

  /** {@return the capacity the backup uses, in MB as the API reports it; not negative} */
  public abstract long sizeMb();

  /** {@return when the backup job started} */
  public abstract Instant createdAt();

  /** {@return when the backup last changed; {@link #createdAt()} by default} */
  @Value.Default
  public Instant updatedAt() {
    return createdAt();
  }

  /** {@return when the backup job finished, once it has} */
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
   * Increases with every change, for optimistic concurrency; 1 by default, at least 1.
   *
   * @return the version, at least 1
   */
  @Value.Default
  public long version() {
    return 1;
  }

  /** {@return the operations a user may start on this backup now, given its state and type} */
  public final Set<Operation> allowedOperations() {
    return status().allowedOperations(type());
  }

  /**
   * {@return whether {@code operation} may be started on this backup now}
   *
   * @param operation an operation a user may start
   */
  public final boolean allows(Operation operation) {
    return allowedOperations().contains(operation);
  }

  /**
   * {@return the value of the tag with {@code key}, if the backup has one}
   *
   * @param key a tag key, compared exactly
   */
  public final Optional<String> tagValue(String key) {
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
   * Builds a {@link Backup}. Required: id, name, projectId, server, status, sizeMb, createdAt; and
   * a progress for an intermediate state, a failure for Error.
   */
  public static final class Builder extends ImmutableBackup.Builder {
    Builder() {}

    /**
     * Builds the backup and checks every rule.
     *
     * @throws InvalidValueException naming the field and the rule it breaks
     * @throws IllegalStateException naming the required fields that were not set
     */
    @Override
    public Backup build() {
      Backup backup = super.build();
      backup.checkRecord();
      backup.checkStateAndTimes();
      return backup;
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
        tags(),  // an ImmutableList, which the copy keeps as it is
        version() + 1);
    next.checkStateAndTimes();
    return next;
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
    if (sizeMb() < 0) {
      throw new InvalidValueException("size", sizeMb(), "must not be negative");
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
