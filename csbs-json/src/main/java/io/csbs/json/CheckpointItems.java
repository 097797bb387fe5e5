package io.csbs.json;

import com.fasterxml.jackson.core.JsonGenerator;
import io.csbs.backup.ApiStatus;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupDetails;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.BackupTrigger;
import io.csbs.backup.BackupType;
import io.csbs.backup.CopyStatus;
import io.csbs.backup.FailCode;
import io.csbs.backup.Failure;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.JobType;
import io.csbs.backup.Progress;
import io.csbs.backup.RestoreMode;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.backup.VmMetadata;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One backup as the API's {@code checkpoint_item}, both ways. See {@link CsbsJson} for the mapping
 * of each field and for the four keys csbs adds to {@code extend_info} so that nothing is lost.
 */
final class CheckpointItems {
  /** The failure reason of an Error backup whose JSON reports none. */
  static final String NO_REASON = "no reason reported";

  private CheckpointItems() {}

  static void write(JsonGenerator json, Backup backup) throws IOException {
    json.writeStartObject();
    json.writeStringField("id", backup.id());
    json.writeStringField("name", backup.name());
    if (backup.description().isPresent()) {
      json.writeStringField("description", backup.description().get());
    }
    if (backup.details().checkpointId().isPresent()) {
      json.writeStringField("checkpoint_id", backup.details().checkpointId().get());
    }
    json.writeStringField("status", backup.apiStatus().apiName());
    json.writeStringField("resource_id", backup.server().id());
    json.writeStringField("resource_type", backup.server().resourceType());
    json.writeStringField("created_at", Times.format(backup.createdAt()));
    json.writeStringField("updated_at", Times.format(backup.updatedAt()));
    writeBackupData(json, backup.details().vm());
    writeExtendInfo(json, backup);
    writeTags(json, "tags", backup.tags());
    json.writeEndObject();
  }

  private static void writeBackupData(JsonGenerator json, VmMetadata vm) throws IOException {
    json.writeObjectFieldStart("backup_data");
    json.writeStringField("__openstack_region_name", vm.regionName());
    json.writeStringField("cloudservicetype", vm.cloudServiceType());
    json.writeNumberField("disk", vm.diskGb());
    json.writeStringField("imagetype", vm.imageType());
    json.writeNumberField("ram", vm.ramMb());
    json.writeNumberField("vcpus", vm.vcpus());
    json.writeStringField("eip", vm.eip());
    json.writeStringField("private_ip", vm.privateIp());
    json.writeEndObject();
  }

  private static void writeExtendInfo(JsonGenerator json, Backup backup) throws IOException {
    BackupDetails details = backup.details();
    Optional<Failure> failure = backup.failure();
    json.writeObjectFieldStart("extend_info");
    json.writeBooleanField("auto_trigger", backup.trigger() == BackupTrigger.AUTOMATIC);
    json.writeNumberField("average_speed", details.averageSpeedKbps());
    json.writeStringField("copy_from", "");
    json.writeStringField("copy_status", details.copyStatus().apiName());
    json.writeObjectFieldStart("fail_code");
    if (details.failCode().isPresent()) {
      json.writeNumberField("Code", details.failCode().get().code());
      json.writeStringField("Description", details.failCode().get().description());
    }
    json.writeEndObject();
    json.writeStringField("fail_op", failure.map(f -> f.job().name().toLowerCase(Locale.ROOT)).orElse(""));
    json.writeStringField("fail_reason", failure.map(Failure::reason).orElse(""));
    json.writeStringField("image_type", "backup");
    json.writeBooleanField("incremental", details.incremental());
    json.writeNumberField("progress", backup.progress().map(Progress::percent)
        .orElse(backup.status() == BackupStatus.AVAILABLE ? 100 : 0));
    json.writeStringField("resource_az", backup.server().availabilityZone());
    json.writeStringField("resource_name", backup.server().name());
    json.writeStringField("resource_type", backup.server().resourceType());
    json.writeNumberField("size", backup.sizeMb());
    json.writeNumberField("space_saving_ratio", details.spaceSavingRatio());
    if (backup.finishedAt().isPresent()) {
      json.writeStringField("finished_at", Times.format(backup.finishedAt().get()));
    }
    json.writeStringField("supported_restore_mode", details.restoreMode().apiName());
    json.writeBooleanField("support_lld", backup.type() == BackupType.ENHANCED);
    json.writeStringField("hypervisor_type", "QEMU");
    // csbs's own keys: what the API's item lacks and a backup has
    if (backup.policyId().isPresent()) {
      json.writeStringField("policy_id", backup.policyId().get());
    }
    if (backup.progress().isPresent()) {
      json.writeStringField("progress_updated_at", Times.format(backup.progress().get().changedAt()));
    }
    if (failure.isPresent()) {
      json.writeStringField("failed_at", Times.format(failure.get().failedAt()));
    }
    json.writeNumberField("version", backup.version());
    json.writeEndObject();
  }

  static void writeTags(JsonGenerator json, String name, List<Tag> tags) throws IOException {
    json.writeArrayFieldStart(name);
    for (Tag tag : tags) {
      json.writeStartObject();
      json.writeStringField("key", tag.key());
      json.writeStringField("value", tag.value());
      json.writeEndObject();
    }
    json.writeEndArray();
  }

  /**
   * The key, under a {@code checkpoint_item}, of the value each field of a backup's rules names (the
   * rules name {@code server name}; the body holds it at {@code extend_info.resource_name}), so that
   * a value that breaks a rule is refused naming its key's path, as a value of the wrong type is.
   * A tag's fields are named at the tag read ({@code tags[1].value}).
   */
  private static final Map<String, String> KEY_OF_FIELD = Map.ofEntries(
      Map.entry("id", "id"),
      Map.entry("name", "name"),
      Map.entry("description", "description"),
      Map.entry("status", "status"),
      Map.entry("api status", "status"),
      Map.entry("created at", "created_at"),
      Map.entry("updated at", "updated_at"),
      Map.entry("tags", "tags"),
      Map.entry("server id", "resource_id"),
      Map.entry("server name", "extend_info.resource_name"),
      Map.entry("availability zone", "extend_info.resource_az"),
      Map.entry("resource type", "extend_info.resource_type"),
      Map.entry("size", "extend_info.size"),
      Map.entry("version", "extend_info.version"),
      Map.entry("policy id", "extend_info.policy_id"),
      Map.entry("finished at", "extend_info.finished_at"),
      Map.entry("progress", "extend_info.progress"),
      Map.entry("failure", "extend_info.fail_reason"),
      Map.entry("failure reason", "extend_info.fail_reason"),
      Map.entry("checkpoint_id", "checkpoint_id"),
      Map.entry("copy_status", "extend_info.copy_status"),
      Map.entry("supported_restore_mode", "extend_info.supported_restore_mode"),
      Map.entry("space_saving_ratio", "extend_info.space_saving_ratio"),
      Map.entry("average_speed", "extend_info.average_speed"),
      Map.entry("fail_code description", "extend_info.fail_code.Description"),
      Map.entry("__openstack_region_name", "backup_data.__openstack_region_name"),
      Map.entry("cloudservicetype", "backup_data.cloudservicetype"),
      Map.entry("disk", "backup_data.disk"),
      Map.entry("imagetype", "backup_data.imagetype"),
      Map.entry("ram", "backup_data.ram"),
      Map.entry("vcpus", "backup_data.vcpus"),
      Map.entry("eip", "backup_data.eip"),
      Map.entry("private_ip", "backup_data.private_ip"));

  static Backup read(Node item, String projectId) {
    try {
      return readFields(item, projectId);
    } catch (InvalidValueException e) {
      String key = KEY_OF_FIELD.get(e.field());
      // else a path already (Node's checks); an item that is the body itself has its keys as paths
      throw key == null ? e : e.renamed(item.pathOf(key));
    }
  }

  private static Backup readFields(Node item, String projectId) {
    ApiStatus apiStatus = ApiStatus.parse(item.text("status"));
    if (apiStatus == ApiStatus.DELETED) {
      throw new InvalidValueException(item.pathOf("status"), "deleted", "names a backup that is gone: "
          + "a backup of the list is waiting_protect, protecting, available, waiting_restore, restoring, error, "
          + "waiting_delete or deleting");
    }
    BackupStatus status = apiStatus.state().orElseThrow();
    Node extend = item.optionalObject("extend_info").orElse(Node.object(item.pathOf("extend_info"), java.util.Map.of()));
    Instant createdAt = item.time("created_at");
    Instant updatedAt = item.optionalTime("updated_at").orElse(createdAt);
    String resourceType = extend.text("resource_type", item.text("resource_type", Server.NOVA_SERVER));
    Backup.Builder backup = Backup.builder()
        .id(item.text("id"))
        .name(item.text("name"))
        .projectId(projectId)
        .server(Server.builder()
            .id(item.text("resource_id"))
            .name(extend.text("resource_name"))
            .resourceType(resourceType.isEmpty() ? Server.NOVA_SERVER : resourceType)
            .availabilityZone(extend.text("resource_az"))
            .build())
        .status(status)
        .apiStatus(apiStatus)
        .type(extend.bool("support_lld", false) ? BackupType.ENHANCED : BackupType.COMMON)
        .trigger(extend.bool("auto_trigger", false) ? BackupTrigger.AUTOMATIC : BackupTrigger.MANUAL)
        .sizeMb(extend.integer("size", 0, Backup.MAX_SIZE_MB, 0))
        .createdAt(createdAt)
        .updatedAt(updatedAt)
        .version(extend.integer("version", 1, Long.MAX_VALUE, 1))
        .details(details(item, extend));
    if (item.has("description")) {
      backup.description(item.text("description"));
    }
    extend.optionalText("policy_id").ifPresent(backup::policyId);
    extend.optionalTime("finished_at").ifPresent(backup::finishedAt);
    // read (so checked) whatever the state, although only some states keep them
    int percent = (int) extend.integer("progress", 0, 100, 0);
    Optional<Instant> progressAt = extend.optionalTime("progress_updated_at");
    JobType job = job(extend);
    Optional<Instant> failedAt = extend.optionalTime("failed_at");
    // here, to name their own keys: the backup's rule names the progress and the failure they date
    notBefore(extend, "progress_updated_at", progressAt, createdAt);
    notBefore(extend, "failed_at", failedAt, createdAt);
    if (status.isIntermediate()) {
      backup.progress(Progress.of(percent, progressAt.orElse(updatedAt)));
    }
    Optional<String> reason = extend.optionalText("fail_reason");
    if (status == BackupStatus.ERROR || (status == BackupStatus.DELETING && reason.isPresent())) {
      backup.failure(Failure.of(job, reason.orElse(NO_REASON), failedAt.orElse(updatedAt)));
    }
    List<Object> tags = item.list("tags");
    for (int i = 0; i < tags.size(); i++) {
      Node tag = item.element("tags", tags, i);
      try {
        backup.addTags(Tag.of(tag.text("key"), tag.text("value", "")));
      } catch (InvalidValueException e) {
        throw renamedToItsKey(e, tag, "value");
      }
    }
    return backup.build();
  }

  private static void notBefore(Node extend, String key, Optional<Instant> time, Instant createdAt) {
    if (time.isPresent() && time.get().isBefore(createdAt)) {
      throw new InvalidValueException(extend.pathOf(key), Times.format(time.get()),
          "must not be before created_at " + Times.format(createdAt));
    }
  }

  /**
   * A tag's refusal, which names {@code tag key} or {@code tag value}, naming the key of {@code tag}
   * that held it instead: {@code key}, or {@code valueKey} ({@code value}; a filter's {@code values});
   * any other refusal as it is.
   */
  static InvalidValueException renamedToItsKey(InvalidValueException e, Node tag, String valueKey) {
    return e.field().equals("tag key") ? e.renamed(tag.pathOf("key"))
        : e.field().equals("tag value") ? e.renamed(tag.pathOf(valueKey)) : e;
  }

  private static JobType job(Node extend) {
    String op = extend.text("fail_op", "");
    switch (op) {
      case "":
      case "backup":
        return JobType.BACKUP;
      case "restore":
        return JobType.RESTORE;
      case "delete":
        return JobType.DELETE;
      default:
        throw new InvalidValueException(extend.pathOf("fail_op"), op, "must be backup, restore or delete");
    }
  }

  private static BackupDetails details(Node item, Node extend) {
    BackupDetails.Builder details = BackupDetails.builder()
        .incremental(extend.bool("incremental", false))
        .spaceSavingRatio((int) extend.integer("space_saving_ratio", 0, 100, 0))
        .averageSpeedKbps(extend.integer("average_speed", 0, Long.MAX_VALUE, 0));
    item.optionalText("checkpoint_id").ifPresent(details::checkpointId);
    extend.optionalText("copy_status").map(CopyStatus::parse).ifPresent(details::copyStatus);
    extend.optionalText("supported_restore_mode").map(RestoreMode::parse).ifPresent(details::restoreMode);
    Optional<Node> failCode = extend.optionalObject("fail_code");
    if (failCode.isPresent() && failCode.get().has("Code")) {
      details.failCode(new FailCode(failCode.get().integer("Code", Long.MIN_VALUE, Long.MAX_VALUE),
          failCode.get().text("Description", "")));
    }
    Optional<Node> data = item.optionalObject("backup_data");
    if (data.isPresent()) {
      Node vm = data.get();
      details.vm(VmMetadata.builder()
          .regionName(vm.text("__openstack_region_name", ""))
          .cloudServiceType(vm.text("cloudservicetype", ""))
          .diskGb((int) vm.integer("disk", 0, Integer.MAX_VALUE, 0))
          .imageType(vm.text("imagetype", ""))
          .ramMb((int) vm.integer("ram", 0, Integer.MAX_VALUE, 0))
          .vcpus((int) vm.integer("vcpus", 0, Integer.MAX_VALUE, 0))
          .eip(vm.text("eip", ""))
          .privateIp(vm.text("private_ip", ""))
          .build());
    }
    return details.build();
  }
}
