/**
 * csbs-json: the CSBS v1 API's JSON, read and written without loss ({@link io.csbs.json.CsbsJson}).
 *
 * <pre>{@code
 * module com.example.backups.api {
 *   requires csbs.json;   // reads csbs.core too
 * }
 * }</pre>
 */
module csbs.json {
  requires transitive csbs.core;
  requires com.fasterxml.jackson.core;

  exports io.csbs.json;
}
