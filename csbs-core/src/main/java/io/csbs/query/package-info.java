/**
 * Searching the backup list: predicates as values, sorting and pages.
 *
 * <p>Every criterion of the console and of the CSBS list API is a {@link
 * io.csbs.query.BackupPredicate}, built with the static DSL {@link io.csbs.query.Predicates} and
 * composed with {@code and}, {@code or} and {@code not} into trees. A tree is a value (equals,
 * hashCode, a readable toString) and can always be evaluated on a single backup; that plain
 * evaluation is the reference every index agrees with. A {@link io.csbs.query.Query} adds a {@link
 * io.csbs.query.Sort} and a page (limit with a marker or an offset); a catalog answers it with a
 * {@link io.csbs.query.Page}. {@link io.csbs.query.ConsoleSearch} and {@link
 * io.csbs.query.ListQueryString} are thin builders of queries from the console form and the API's
 * query string.
 */
package io.csbs.query;
