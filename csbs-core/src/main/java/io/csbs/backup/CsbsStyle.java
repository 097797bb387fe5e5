package io.csbs.backup;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.immutables.value.Value;
import org.immutables.value.Value.Style.ImplementationVisibility;

/**
 * The one Immutables style of the project, applied to the whole package in {@code package-info.java}.
 *
 * <p>Generated {@code Immutable*} classes stay package-private: users reach them only through the
 * {@code of(...)} and {@code builder()} factories on the abstract types. Builders are not strict,
 * because the lifecycle derives each next state from the previous one with {@code from(previous)},
 * which strict builders do not offer, and that copy costs one validation instead of one per changed field.
 */
@Target({ElementType.PACKAGE, ElementType.TYPE})
@Retention(RetentionPolicy.CLASS)
@Value.Style(
    visibility = ImplementationVisibility.PACKAGE,
    overshadowImplementation = true,
    defaults = @Value.Immutable(copy = false),
    strictBuilder = false)
@interface CsbsStyle {}
