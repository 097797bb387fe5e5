package io.csbs.usage;

/**
 * Thrown when a new backup would take a project beyond one of its quotas; nothing was added. The
 * message says which quota ({@code backups} or {@code backup_capacity}, as the API names them), its
 * limit, the project's use and what was asked.
 *
 * <pre>{@code
 * catalog.add(backup); // QuotaExceededException: quota backup_capacity (limit 100 GB) is exceeded: used 99.50 GB, asked 1.00 GB more
 * }</pre>
 */
public final class QuotaExceededException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** The quota that would be exceeded, as the API names it. */
  private final String quota;

  QuotaExceededException(String quota, String limit, String used, String asked) {
    super("quota " + quota + " (limit " + limit + ") is exceeded: used " + used + ", asked " + asked);
    this.quota = quota;
  }

  /** {@return the quota that would be exceeded: {@code backups} or {@code backup_capacity}} */
  public String quota() {
    return quota;
  }
}
