package io.csbs.catalog;

/**
 * A subscription to a catalog's committed changes; cancel it to stop receiving them.
 *
 * <pre>{@code
 * Subscription subscription = catalog.subscribe(changes::add);
 * ...
 * subscription.cancel();
 * }</pre>
 */
@FunctionalInterface
public interface Subscription {
  /** Stops the deliveries to this subscriber; changes being delivered may still arrive. */
  void cancel();
}
