/**
 * Immutable value types of the backup list: {@link io.csbs.backup.Backup} and its parts.
 *
 * <p>Every value is validated when it is built: a value that breaks a rule of the CSBS API is never
 * created, and the {@link io.csbs.backup.InvalidValueException} thrown instead names the field, the
 * rejected value and the rule. Values are built through the {@code of(...)} and {@code builder()}
 * factories of the abstract types; the generated implementations are not part of the API.
 */
@CsbsStyle
package io.csbs.backup;
