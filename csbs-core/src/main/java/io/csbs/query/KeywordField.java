package io.csbs.query;

/**
 * The four fields the console's keyword box searches. Names match case-insensitively anywhere in
 * the text (the API's "fuzzy" {@code name} and {@code resource_name}); IDs match exactly.
 *
 * <pre>{@code
 * Predicates.keyword(KeywordField.SERVER_NAME, "web"); // server name contains "web", any case
 * }</pre>
 */
public enum KeywordField {
  /** The backed-up server's name; substring, case-insensitive. */
  SERVER_NAME,
  /** The backed-up server's id; exact. */
  SERVER_ID,
  /** The backup's name; substring, case-insensitive. */
  BACKUP_NAME,
  /** The backup's id; exact. */
  BACKUP_ID
}
