package io.csbs.json;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import io.csbs.backup.InvalidValueException;
import java.util.Optional;

/**
 * The body of the CSBS restore call, {@code POST /v1/{project_id}/restores}: {@code {"restore":
 * {"provider_id", "checkpoint_id", "restore_target"?, "parameters": {"checkpoint_item_id",
 * "power_on"?, "targets"?}}}}, as {@link CsbsJson#readRestore} reads it.
 *
 * <pre>{@code
 * RestoreRequest restore = json.readRestore(body);
 * catalog.apply(projectId, restore.checkpointItemId(), version, Transition.restore());
 * String answer = json.restoreAccepted(restore, UUID.randomUUID().toString(), projectId);
 * }</pre>
 *
 * @param providerId {@code restore.provider_id}
 * @param checkpointId {@code restore.checkpoint_id}
 * @param checkpointItemId {@code restore.parameters.checkpoint_item_id}: the backup to restore
 * @param powerOn {@code restore.parameters.power_on}, if given
 * @param targetsJson {@code restore.parameters.targets}, if given, as the JSON object it was (one
 *     JSON object: {@link CsbsJson#restoreAccepted} writes it as it is)
 * @param restoreTarget {@code restore.restore_target}, if given
 */
public record RestoreRequest(
    String providerId,
    String checkpointId,
    String checkpointItemId,
    Optional<Boolean> powerOn,
    Optional<String> targetsJson,
    Optional<String> restoreTarget) {
  private static final JsonFactory JSON = JsonFactory.builder().build();

  /**
   * Checks that nothing is null and that {@code targetsJson} is one JSON object.
   *
   * @param providerId {@code restore.provider_id}
   * @param checkpointId {@code restore.checkpoint_id}
   * @param checkpointItemId {@code restore.parameters.checkpoint_item_id}
   * @param powerOn {@code restore.parameters.power_on}, if given
   * @param targetsJson {@code restore.parameters.targets} as JSON, if given
   * @param restoreTarget {@code restore.restore_target}, if given
   * @throws InvalidValueException naming {@code targetsJson} if it is not one JSON object
   */
  public RestoreRequest {
    requireNonNull(providerId, "providerId");
    requireNonNull(checkpointId, "checkpointId");
    requireNonNull(checkpointItemId, "checkpointItemId");
    requireNonNull(powerOn, "powerOn");
    requireNonNull(targetsJson, "targetsJson");
    requireNonNull(restoreTarget, "restoreTarget");
    targetsJson.ifPresent(RestoreRequest::requireOneObject);
  }

  private static void requireOneObject(String targetsJson) {
    try {
      Node.parse(JSON, targetsJson);
    } catch (InvalidValueException e) {
      throw e.renamed("targetsJson");
    }
  }
}
