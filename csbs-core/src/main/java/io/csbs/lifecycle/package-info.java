/**
 * The backup lifecycle: the transitions between the five states, progress, and stall detection.
 *
 * <p>{@link io.csbs.lifecycle.Lifecycle} holds the transitions as pure functions: each takes a
 * backup and the time, and returns the next backup (with a higher version) or throws, never
 * changing its input. {@link io.csbs.lifecycle.Transition} names the same transitions as values, so
 * that a catalog can apply them and report them as changes. {@link io.csbs.lifecycle.StallRule}
 * tells a stuck job from the progress time and a clock.
 */
package io.csbs.lifecycle;
