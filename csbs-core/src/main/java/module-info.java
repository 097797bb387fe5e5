/**
 * csbs-core: the backup value types, the lifecycle, the indexed query engine, space usage and quotas.
 *
 * <p>It requires nothing beyond {@code java.base}. A modular application reads it with
 * <pre>{@code
 * module com.example.backups {
 *   requires csbs.core;
 * }
 * }</pre>
 * and starts from {@link io.csbs.catalog.Catalogs#indexed(java.time.Clock)}.
 */
module csbs.core {
  // Immutables' annotations are read by the annotation processor at build time only.
  requires static org.immutables.value.annotations;

  exports io.csbs;
  exports io.csbs.backup;
  exports io.csbs.catalog;
  exports io.csbs.lifecycle;
  exports io.csbs.query;
  exports io.csbs.usage;
}
