package io.csbs.catalog;

import static java.util.Objects.requireNonNull;

import io.csbs.lifecycle.StallRule;
import java.time.Clock;

/**
 * Makes the library's indexed, concurrent {@link BackupCatalog}.
 *
 * <pre>{@code
 * BackupCatalog catalog = Catalogs.indexed(Clock.systemUTC());
 * BackupCatalog strict = Catalogs.builder()
 *     .clock(clock)                                           // default: Clock.systemUTC()
 *     .stallRule(StallRule.ofThreshold(Duration.ofMinutes(10))) // default: StallRule.DEFAULT (30 min)
 *     .build();
 * }</pre>
 *
 * <p>The clock gives the instant of every change the catalog applies and the "now" of every query
 * (relative time windows, stalled jobs), read once per query.
 *
 * <p>Threads: a catalog reorganises a project's rows on one daemon thread shared by every catalog of
 * the process ({@code csbs-reorganiser}, started when first needed, ended after a minute idle).
 * A large bulk load ({@link BackupCatalog#addAll}), a reorganisation and the first sort by name of
 * a project of many names hand part of their work to the common {@link
 * java.util.concurrent.ForkJoinPool} beside the calling thread, and do it themselves if no pool
 * thread has started it when they are done with theirs: they never wait for the pool, so tasks of
 * the service's own on it may use the catalog.
 *
 * <p>Arrival order: a backup older than its project's newest (an import, a record that came in
 * late) joins a tail that the searches merge into their answers until a reorganisation lays the
 * project out again in creation order, on the thread above. A batch ({@link BackupCatalog#addAll})
 * whose backups older than the project's newest are at least half as many as the project's backups
 * (and at least 1,024) lays the project out again with them at once, as a bulk load does, under
 * the batch's lock, and leaves no tail; a smaller one adds those backups to the tail one by one, as
 * single adds do. So an import of old backups is best given as few large batches. Late backups
 * that come in faster than a reorganisation could lay the project out (it would end with a tail as
 * long as the one it removed) make none due on their own while they keep coming: the tail stays
 * until they slow down or stop, or until the searches have paid for it about what a reorganisation
 * costs.
 *
 * <p>Backups kept: the catalog returns backups equal to those it was given, not always the same
 * objects. A backup whose server, tags or policy id equal those of its server's earlier backups (or,
 * for the policy id, of the project's) but are other objects, as a backup decoded from JSON or read
 * from a database row holds its own, is stored as an equal copy holding theirs (and their VM
 * metadata), so that the parts are kept once a server and the backup given, once its caller lets go
 * of it, is collected young. A million backups decoded from the API's JSON took 1,421 bytes each on
 * their own and about 570 in such a catalog, index included (1,468 when the catalog kept them as
 * given). A backup that holds its server's very {@code Server} object (one made with {@code
 * toBuilder()} from a stored backup, or by a transition) is stored as it is, and so is a batch whose
 * first 4,096 backups share their parts already.
 */
public final class Catalogs {
  private Catalogs() {}

  /**
   * {@return an empty indexed catalog on {@code clock}, with the default stall rule}
   *
   * @param clock the clock of changes and of relative searches
   */
  public static BackupCatalog indexed(Clock clock) {
    return builder().clock(clock).build();
  }

  /** {@return a builder of indexed catalogs; every option is optional} */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of an indexed catalog; each may be set once. */
  public static final class Builder {
    private Clock clock;
    private StallRule stallRule;

    private Builder() {}

    /**
     * Sets the clock of changes and queries; {@code Clock.systemUTC()} by default.
     *
     * @param clock the clock that dates changes and anchors relative time windows
     * @return this builder
     * @throws IllegalStateException if the clock was set already
     */
    public Builder clock(Clock clock) {
      if (this.clock != null) {
        throw new IllegalStateException("clock was already set to " + this.clock);
      }
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets when a running job counts as stalled; {@link StallRule#DEFAULT} by default.
     *
     * @param stallRule the rule that judges the {@code stalled} criterion
     * @return this builder
     * @throws IllegalStateException if the rule was set already
     */
    public Builder stallRule(StallRule stallRule) {
      if (this.stallRule != null) {
        throw new IllegalStateException("stall rule was already set to " + this.stallRule);
      }
      this.stallRule = requireNonNull(stallRule, "stallRule");
      return this;
    }

    /** {@return a new, empty catalog} */
    public BackupCatalog build() {
      return new IndexedCatalog(
          clock != null ? clock : Clock.systemUTC(), stallRule != null ? stallRule : StallRule.DEFAULT);
    }
  }
}
