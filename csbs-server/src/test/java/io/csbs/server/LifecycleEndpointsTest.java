package io.csbs.server;

import static io.csbs.server.Client.assertReply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.lifecycle.IllegalTransitionException;
import io.csbs.lifecycle.Lifecycle;
import io.csbs.lifecycle.Transition;
import io.csbs.json.CsbsJson;
import io.csbs.query.Predicates;
import io.csbs.query.Query;
import io.csbs.testing.BackupGenerator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Restore and delete: the API's bodies, answers and refusals, and the catalog's state after them. */
class LifecycleEndpointsTest {
  private static final CsbsJson JSON = CsbsJson.create();
  private static final String PROJECT = BackupGenerator.projectId(0);
  private static final String OTHER = BackupGenerator.projectId(1);
  private static final String PROVIDER = CsbsServer.PROVIDER_ID;

  @RegisterExtension
  static final ServedCatalog SERVED = new ServedCatalog(5, 1500);

  private static int next;

  /** A backup in {@code status} that no other test of the class has used. */
  private static Backup fresh(String project, BackupStatus status) {
    return SERVED.catalog.query(project, Query.builder().where(Predicates.status(status)).offset(next++).limit(1).build())
        .backups().get(0);
  }

  private static String checkpoint(Backup backup) {
    return backup.details().checkpointId().orElse("any-checkpoint");
  }

  private static String restoreBody(Backup backup) {
    return "{\"restore\": {\"provider_id\": \"" + PROVIDER + "\", \"checkpoint_id\": \"" + checkpoint(backup) + "\","
        + " \"parameters\": {\"checkpoint_item_id\": \"" + backup.id() + "\", \"power_on\": true,"
        + " \"targets\": {\"server_id\": \"" + backup.server().id() + "\", \"volumes\": [{\"backup_id\": \"b1\", \"volume_id\": \"v1\"}]}}}}";
  }

  private static String restores() {
    return "/v1/" + PROJECT + "/restores";
  }

  private static String deletion(Backup backup) {
    return "/v1/" + PROJECT + "/providers/" + PROVIDER + "/checkpoints/" + checkpoint(backup) + "?checkpoint_items=" + backup.id();
  }

  @Test
  void aRestoreStartsRestoringAndAnswersTheApisBody() {
    Backup backup = fresh(PROJECT, BackupStatus.AVAILABLE);
    Client.Reply reply = SERVED.client.post(restores(), restoreBody(backup));
    Matcher id = Pattern.compile("^\\{\"restore\":\\{\"id\":\"([0-9a-f-]{36})\"").matcher(reply.body());
    assertTrue(id.find(), reply.body());
    assertReply(200, "{\"restore\":{\"id\":\"" + id.group(1) + "\",\"checkpoint_id\":\"" + checkpoint(backup) + "\","
        + "\"parameters\":{\"checkpoint_item_id\":\"" + backup.id() + "\",\"power_on\":true,"
        + "\"targets\":{\"server_id\":\"" + backup.server().id() + "\",\"volumes\":[{\"backup_id\":\"b1\",\"volume_id\":\"v1\"}]}},"
        + "\"project_id\":\"" + PROJECT + "\",\"provider_id\":\"" + PROVIDER + "\",\"resources_reason\":{},\"resources_status\":{},"
        + "\"status\":\"in_progress\"}}", reply);
    assertEquals(Lifecycle.restore(backup, SERVED.clock.instant()), SERVED.catalog.get(PROJECT, backup.id()));
  }

  @Test
  void aRestoreOfABusyBackupIs400ItemInExecuting() {
    for (BackupStatus busy : List.of(BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING)) {
      Backup backup = fresh(PROJECT, busy);
      String expected = JSON.error(refusal(backup, Transition.restore()));
      assertTrue(expected.startsWith("{\"error_code\":\"CSBS.2003\""), expected);
      assertReply(400, expected, SERVED.client.post(restores(), restoreBody(backup)));
      assertEquals(backup, SERVED.catalog.get(PROJECT, backup.id()));
    }
  }

  @Test
  void aRestoreOfAnErrorBackupIs400CheckpointItemNotAvailable() {
    Backup backup = fresh(PROJECT, BackupStatus.ERROR);
    assertReply(400, JSON.error("CSBS.4000", refusal(backup, Transition.restore()).getMessage()),
        SERVED.client.post(restores(), restoreBody(backup)));
    assertEquals(backup, SERVED.catalog.get(PROJECT, backup.id()));
  }

  @Test
  void aBadRestoreBodyIs400NamingTheKey() {
    Backup backup = fresh(PROJECT, BackupStatus.AVAILABLE);
    String good = restoreBody(backup);
    assertRefused("body", "{\"restore\": ");
    assertRefused("body", "restore=" + backup.id());
    assertRefused("restore", "{}");
    assertRefused("restore.provider_id", good.replace(PROVIDER, "another-provider"));
    assertRefused("restore.provider_id", good.replace("\"provider_id\"", "\"provider\""));
    assertRefused("restore.checkpoint_id", good.replace("\"checkpoint_id\"", "\"checkpoint\""));
    assertRefused("restore.parameters.checkpoint_item_id", good.replace("\"checkpoint_item_id\"", "\"item\""));
    assertRefused("restore.parameters.checkpoint_item_id", good.replace("\"" + backup.id() + "\"", "42"));
    assertRefused("restore.parameters.power_on", good.replace("true", "\"yes\""));
    assertRefused("restore.parameters.targets", good.replace("\"targets\": {", "\"targets\": [{").replace("}]}}}}", "}]}]}}}"));
    assertEquals(backup, SERVED.catalog.get(PROJECT, backup.id()));
  }

  private static void assertRefused(String field, String body) {
    Client.Reply reply = SERVED.client.post(restores(), body);
    assertEquals(400, reply.status(), body + ": " + reply.body());
    assertTrue(reply.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"" + field + " "), body + ": " + reply.body());
  }

  @Test
  void aRestoreOfAnotherProjectsBackupIsNotFound() {
    Backup others = fresh(OTHER, BackupStatus.AVAILABLE);
    assertReply(404, "{\"error_code\":\"CSBS.3001\",\"error_msg\":\"Checkpoint_item (" + others.id() + ") is not found.\"}",
        SERVED.client.post(restores(), restoreBody(others)));
    assertEquals(others, SERVED.catalog.get(OTHER, others.id()));
  }

  @Test
  void aBackupOfAnotherCheckpointIsNotFoundThere() {
    Backup backup = SERVED.catalog.query(PROJECT, Query.where(Predicates.status(BackupStatus.AVAILABLE)).toBuilder().limit(1000).build())
        .backups().stream().filter(b -> b.details().checkpointId().isPresent()).skip(next++).findFirst().orElseThrow();
    String elsewhere = "/v1/" + PROJECT + "/providers/" + PROVIDER + "/checkpoints/other-checkpoint?checkpoint_items=" + backup.id();
    assertReply(404, "{\"error_code\":\"CSBS.3001\",\"error_msg\":\"Checkpoint_item (" + backup.id()
        + ") is not found in checkpoint other-checkpoint.\"}", SERVED.client.delete(elsewhere));
    assertEquals(404, SERVED.client.post(restores(), restoreBody(backup).replace(checkpoint(backup), "other-checkpoint")).status());
    assertEquals(backup, SERVED.catalog.get(PROJECT, backup.id()));
  }

  @Test
  void aDeleteStartsDeletingAndAnswersAnEmptyObject() {
    for (BackupStatus stable : List.of(BackupStatus.AVAILABLE, BackupStatus.ERROR)) {
      Backup backup = fresh(PROJECT, stable);
      assertReply(200, "{}", SERVED.client.delete(deletion(backup)));
      assertEquals(Lifecycle.delete(backup, SERVED.clock.instant()), SERVED.catalog.get(PROJECT, backup.id()));
    }
  }

  @Test
  void aDeleteOfABusyBackupIs400ItemInExecuting() {
    Backup backup = fresh(PROJECT, BackupStatus.CREATING);
    assertReply(400, JSON.error(refusal(backup, Transition.delete())), SERVED.client.delete(deletion(backup)));
    assertEquals(backup, SERVED.catalog.get(PROJECT, backup.id()));
  }

  @Test
  void aDeleteNeedsTheBackupAndCsbssProvider() {
    Backup backup = fresh(PROJECT, BackupStatus.AVAILABLE);
    String checkpoint = "/v1/" + PROJECT + "/providers/" + PROVIDER + "/checkpoints/" + checkpoint(backup);
    Client.Reply whole = SERVED.client.delete(checkpoint);
    assertEquals(400, whole.status());
    assertTrue(whole.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"checkpoint_items '' is invalid: is required"), whole.body());
    Client.Reply provider = SERVED.client.delete(deletion(backup).replace(PROVIDER, "other"));
    assertEquals(400, provider.status());
    assertTrue(provider.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"provider_id 'other' is invalid: provider invalid"), provider.body());
    Client.Reply unknown = SERVED.client.delete(deletion(backup) + "&force=true");
    assertEquals(400, unknown.status());
    assertTrue(unknown.body().startsWith("{\"error_code\":\"CSBS.9001\",\"error_msg\":\"force 'true' is invalid: is not a parameter"), unknown.body());
    assertEquals(backup, SERVED.catalog.get(PROJECT, backup.id()));
  }

  @Test
  void aDeleteOfAnotherProjectsBackupIsNotFound() {
    Backup others = fresh(OTHER, BackupStatus.AVAILABLE);
    assertReply(404, "{\"error_code\":\"CSBS.3001\",\"error_msg\":\"Checkpoint_item (" + others.id() + ") is not found.\"}",
        SERVED.client.delete(deletion(others)));
    assertEquals(others, SERVED.catalog.get(OTHER, others.id()));
  }

  private static IllegalTransitionException refusal(Backup backup, Transition transition) {
    try {
      transition.applyTo(backup, SERVED.clock.instant());
    } catch (IllegalTransitionException e) {
      return e;
    }
    throw new AssertionError(transition + " of " + backup + " was not refused");
  }
}
