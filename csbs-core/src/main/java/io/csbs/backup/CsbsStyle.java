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
 * {@code of(...)} and {@code builder()} factories on the abstract types. Builders are strict: setting
 * an attribute twice is a mistake and throws. No {@code with*} copy methods: the lifecycle builds each
 * next state in one builder pass, so a transition costs one validation, not one per changed field.
 * JDK-only code: the generated classes use {@code java.util} collections, so csbs-core has no
 * runtime dependency at all (Guava was on users' path for three generated classes only).
 */
@Target({ElementType.PACKAGE, ElementType.TYPE})
@Retention(RetentionPolicy.CLASS)
@Value.Style(
    visibility = ImplementationVisibility.PACKAGE,
    overshadowImplementation = true,
    defaults = @Value.Immutable(copy = false),
    strictBuilder = true,
    allParameters = true,
    jdkOnly = true,
    // Optional and List attributes are plain values: Backup's own builder makes its tag list
    // unmodifiable once, and every later version shares that list instead of copying it
    builtinContainerAttributes = false,
    // no @Generated on the generated classes: its annotation type is not on users' class path, and
    // javac warns about it wherever a user calls a builder
    allowedClasspathAnnotations = {Override.class})
@interface CsbsStyle {}
