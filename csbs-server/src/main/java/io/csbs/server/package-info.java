/**
 * A reference server of the CSBS v1 API on a csbs {@link io.csbs.catalog.BackupCatalog}: {@link
 * io.csbs.server.CsbsServer}.
 *
 * <pre>{@code
 * try (CsbsServer server = CsbsServer.builder(catalog).build().start()) {
 *   server.uri();   // http://127.0.0.1:41723/
 * }
 * }</pre>
 */
package io.csbs.server;
