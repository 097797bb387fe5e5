package io.csbs.query;

import static java.util.Objects.requireNonNull;

import io.csbs.backup.Backup;

/**
 * Attributes of a backup that a search compares for equality with {@link
 * Predicates#attribute(Attribute, String)}: the server id, availability zone, resource type, policy
 * id, backup type and trigger.
 *
 * <pre>{@code
 * Predicates.attribute(Attribute.AVAILABILITY_ZONE, "eu-de-02");
 * Attribute.BACKUP_TYPE.valueOf(backup); // "ENHANCED"
 * }</pre>
 */
public enum Attribute {
  /** The server (resource) id. */
  SERVER_ID("server id"),
  /** The server's availability zone. */
  AVAILABILITY_ZONE("availability zone"),
  /** The resource type, for example {@code OS::Nova::Server}. */
  RESOURCE_TYPE("resource type"),
  /** The policy that made an automatic backup; a backup without one never matches. */
  POLICY_ID("policy id"),
  /** {@code COMMON} or {@code ENHANCED}. */
  BACKUP_TYPE("backup type"),
  /** {@code MANUAL} or {@code AUTOMATIC}. */
  TRIGGER("trigger");

  private final String label;

  Attribute(String label) {
    this.label = label;
  }

  /**
   * {@return the attribute's value on {@code backup}; {@code null} when it has none (a policy id)}
   * Not to be mixed up with the enum's static {@code valueOf(String)}, which looks an attribute up by
   * its constant's name ({@code Attribute.valueOf("SERVER_ID")}; {@link #toString} gives the label
   * instead, {@code name()} the constant's name).
   *
   * @param backup the backup
   * @throws NullPointerException if {@code backup} is null
   */
  public String valueOf(Backup backup) {
    requireNonNull(backup, "backup");
    switch (this) {
      case SERVER_ID:
        return backup.server().id();
      case AVAILABILITY_ZONE:
        return backup.server().availabilityZone();
      case RESOURCE_TYPE:
        return backup.server().resourceType();
      case POLICY_ID:
        return backup.policyId().orElse(null);
      case BACKUP_TYPE:
        return backup.type().name();
      default:
        return backup.trigger().name();
    }
  }

  /** The attribute as a message names it, for example {@code availability zone}. */
  @Override
  public String toString() {
    return label;
  }
}
