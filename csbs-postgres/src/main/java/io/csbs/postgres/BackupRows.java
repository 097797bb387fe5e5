package io.csbs.postgres;

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
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How a {@link Backup} is stored: as a row of {@code csbs_backup} (one column a field, so that
 * indexes and a DBA can read it) and, in the change feed, in a compact binary form that keeps every
 * field exactly.
 */
final class BackupRows {
  /** The columns of {@code csbs_backup}, in the order {@link #bind} sets and {@link #read} reads them. */
  static final String COLUMNS = "project_id, id, name, name_lower, description, server_id, server_name, "
      + "server_name_lower, resource_type, availability_zone, status, progress, progress_at, backup_type, "
      + "backup_trigger, policy_id, size_mb, created_at, updated_at, finished_at, failed_job, failure_reason, "
      + "failed_at, tags, tag_keys, version, api_status, details";
  static final int COLUMN_COUNT = 28;
  /**
   * The columns after the key ({@code project_id, id}), which an update sets: Citus refuses an
   * update that sets the distribution column, even to its own value.
   */
  /**
   * The columns a backup is read from, in the order {@link #read} reads them: every column but the
   * lower-cased names and the tag keys, which only searches use.
   */
  static final String READ_COLUMNS = "project_id, id, name, description, server_id, server_name, resource_type, "
      + "availability_zone, status, progress, progress_at, backup_type, backup_trigger, policy_id, size_mb, created_at, "
      + "updated_at, finished_at, failed_job, failure_reason, failed_at, tags, version, api_status, details";
  static final String FIELD_COLUMNS = COLUMNS.substring("project_id, id, ".length());
  static final int FIELD_COUNT = COLUMN_COUNT - 2;

  /**
   * The earliest instant kept: 1 January 4713 BC. PostgreSQL's timestamptz holds some earlier ones
   * (from 24 November 4714 BC), but the JDBC driver sends every time before this one as {@code
   * -infinity}, which read back as another time.
   */
  static final Instant EARLIEST = Instant.parse("-4712-01-01T00:00:00Z");
  /** The latest instant PostgreSQL's timestamptz holds (294276 AD). */
  static final Instant LATEST = Instant.parse("+294276-12-31T23:59:59.999999Z");
  private static final BackupStatus[] STATUSES = BackupStatus.values();
  /** The binary form of the feed's backups: 2 adds the raw status and the details; 1 is still read. */
  private static final byte CODEC_VERSION = 2;
  private static final ApiStatus[] API_STATUSES = ApiStatus.values();
  private static final byte DETAILS_VERSION = 1;

  private BackupRows() {}

  /**
   * Refuses a backup that PostgreSQL cannot hold exactly: a time finer than a microsecond or outside
   * its range, or text with a NUL char or half of a surrogate pair (which the driver would alter).
   */
  static void checkStorable(Backup backup) {
    storableTime("created at", backup.createdAt());
    storableTime("updated at", backup.updatedAt());
    backup.finishedAt().ifPresent(t -> storableTime("finished at", t));
    backup.progress().ifPresent(p -> storableTime("progress changed at", p.changedAt()));
    backup.failure().ifPresent(f -> storableTime("failed at", f.failedAt()));
    storableText("id", backup.id());
    storableText("project id", backup.projectId());
    backup.description().ifPresent(d -> storableText("description", d));
    storableText("server id", backup.server().id());
    storableText("server name", backup.server().name());
    storableText("resource type", backup.server().resourceType());
    storableText("availability zone", backup.server().availabilityZone());
    backup.policyId().ifPresent(p -> storableText("policy id", p));
    backup.failure().ifPresent(f -> storableText("failure reason", f.reason()));
  }

  static void storableTime(String field, Instant instant) {
    if (instant.getNano() % 1000 != 0) {
      throw new InvalidValueException(field, instant, "must be a whole number of microseconds: PostgreSQL keeps no finer time");
    }
    if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
      throw new InvalidValueException(field, instant, "must be between " + EARLIEST + " and " + LATEST + " to be stored in PostgreSQL");
    }
  }

  static String storableText(String field, String text) {
    switch (unstorable(text)) {
      case NUL:
        throw new InvalidValueException(field, text.replace('\0', '?'), "must not contain a NUL char: PostgreSQL text cannot hold it");
      case HALF_PAIR:
        throw new InvalidValueException(field, text, "must not contain half of a surrogate pair: it is not valid UTF-8");
      default:
        return text;
    }
  }

  /** Whether PostgreSQL's text holds {@code text} as it is (see {@link #storableText}). */
  static boolean isStorable(String text) {
    return unstorable(text) == Unstorable.NONE;
  }

  /** Why PostgreSQL's text cannot hold a text, if it cannot. */
  private enum Unstorable { NONE, NUL, HALF_PAIR }

  private static Unstorable unstorable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0) {
        return Unstorable.NUL;
      }
      if (Character.isSurrogate(c)) {
        boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        if (!paired) {
          return Unstorable.HALF_PAIR;
        }
        i++;
      }
    }
    return Unstorable.NONE;
  }

  /**
   * A key no stored project id or backup id equals: every one is non-blank (a backup's rules, and
   * every call that makes a project's row refuses a blank project id).
   */
  private static final String NO_STORED_KEY = "";

  /**
   * {@code key} (a project id, a backup id, a marker) to look up in the database as it is; for a text
   * PostgreSQL cannot hold (a NUL char, half a surrogate pair), which no stored row can have, a key
   * that matches no row either. Why: bound as it is, a NUL failed the statement (a database error for
   * what is simply not found) and the driver sent half a pair as {@code '?'}, which found the project
   * or backup whose id has a {@code '?'} there.
   */
  static String lookupKey(String key) {
    return key == null || isStorable(key) ? key : NO_STORED_KEY;
  }

  /** The instant as the driver binds a timestamptz. */
  static OffsetDateTime timestamp(Instant instant) {
    return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  /** {@code instant} cut to the microsecond: the time of a change, as the database keeps it. */
  static Instant toMicros(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS);
  }

  /** Sets the {@link #COLUMN_COUNT} parameters from {@code first} on to the backup's columns. */
  static void bind(PreparedStatement statement, int first, Backup backup) throws SQLException {
    statement.setString(first, backup.projectId());
    statement.setString(first + 1, backup.id());
    bindFields(statement, first + 2, backup);
  }

  /** Sets the {@link #FIELD_COUNT} parameters from {@code first} on to the backup's {@link #FIELD_COLUMNS}. */
  static void bindFields(PreparedStatement statement, int first, Backup backup) throws SQLException {
    Connection connection = statement.getConnection();
    int i = first;
    statement.setString(i++, backup.name());
    statement.setString(i++, backup.name().toLowerCase(Locale.ROOT));
    statement.setString(i++, backup.description().orElse(null));
    Server server = backup.server();
    statement.setString(i++, server.id());
    statement.setString(i++, server.name());
    statement.setString(i++, server.name().toLowerCase(Locale.ROOT));
    statement.setString(i++, server.resourceType());
    statement.setString(i++, server.availabilityZone());
    i = bindState(statement, i, backup);
    statement.setString(i++, backup.type().name());
    statement.setString(i++, backup.trigger().name());
    statement.setString(i++, backup.policyId().orElse(null));
    statement.setLong(i++, backup.sizeMb());
    statement.setObject(i++, timestamp(backup.createdAt()));
    statement.setObject(i++, timestamp(backup.updatedAt()));
    statement.setObject(i++, timestamp(backup.finishedAt().orElse(null)));
    i = bindFailure(statement, i, backup);
    List<Tag> tags = backup.tags();
    String[] pairs = new String[tags.size()];
    String[] keys = new String[tags.size()];
    for (int t = 0; t < pairs.length; t++) {
      pairs[t] = tagText(tags.get(t).key(), tags.get(t).value());
      keys[t] = tags.get(t).key();
    }
    statement.setArray(i++, connection.createArrayOf("text", pairs));
    statement.setArray(i++, connection.createArrayOf("text", keys));
    statement.setLong(i++, backup.version());
    statement.setString(i++, storedApiStatus(backup));
    statement.setBytes(i, encodeDetails(backup.details()));
  }

  /** The raw status as the api_status column keeps it: null for the state's running form. */
  static String storedApiStatus(Backup backup) {
    return backup.apiStatus() == ApiStatus.of(backup.status()) ? null : backup.apiStatus().apiName();
  }

  /** Sets status, progress and progress_at; returns the next parameter index. */
  static int bindState(PreparedStatement statement, int i, Backup backup) throws SQLException {
    statement.setShort(i++, (short) backup.status().ordinal());
    Optional<Progress> progress = backup.progress();
    if (progress.isPresent()) {
      statement.setShort(i++, (short) progress.get().percent());
      statement.setObject(i++, timestamp(progress.get().changedAt()));
    } else {
      statement.setNull(i++, Types.SMALLINT);
      statement.setObject(i++, null, Types.TIMESTAMP_WITH_TIMEZONE);
    }
    return i;
  }

  /** Sets failed_job, failure_reason and failed_at; returns the next parameter index. */
  static int bindFailure(PreparedStatement statement, int i, Backup backup) throws SQLException {
    Optional<Failure> failure = backup.failure();
    statement.setString(i++, failure.map(f -> f.job().name()).orElse(null));
    statement.setString(i++, failure.map(Failure::reason).orElse(null));
    statement.setObject(i++, timestamp(failure.map(Failure::failedAt).orElse(null)), Types.TIMESTAMP_WITH_TIMEZONE);
    return i;
  }

  /** A tag as the {@code tags} column holds it; keys have no {@code =}, so the first one splits. */
  static String tagText(String key, String value) {
    return key + "=" + value;
  }

  /** The backup of the row's {@link #READ_COLUMNS} from {@code first} on. */
  static Backup read(ResultSet row, int first) throws SQLException {
    return build(raw(row, first));
  }

  /**
   * The values of the row's {@link #READ_COLUMNS} from {@code first} on, as the driver decodes
   * them, for {@link #build} to make a backup of, on another thread if need be.
   */
  static Object[] raw(ResultSet row, int first) throws SQLException {
    Object[] values = new Object[25];
    int i = first;
    for (int v = 0; v < 8; v++) {      // project .. availability zone
      values[v] = row.getString(i++);
    }
    values[8] = row.getShort(i++);     // status
    short percent = row.getShort(i++);
    values[9] = row.wasNull() ? null : percent;
    values[10] = instant(row, i++);   // progress_at
    for (int v = 11; v < 14; v++) {    // type, trigger, policy id
      values[v] = row.getString(i++);
    }
    values[14] = row.getLong(i++);     // size
    for (int v = 15; v < 18; v++) {    // created, updated, finished
      values[v] = instant(row, i++);
    }
    values[18] = row.getString(i++);   // failed job
    values[19] = row.getString(i++);   // failure reason
    values[20] = instant(row, i++);   // failed at
    Array tags = row.getArray(i++);
    values[21] = tags == null ? null : tags.getArray();
    values[22] = row.getLong(i++);     // version
    values[23] = row.getString(i++);   // api status
    values[24] = row.getBytes(i);      // details
    return values;
  }

  /** The backup of a row's {@link #raw} values. */
  static Backup build(Object[] values) {
    Backup.Builder backup = Backup.builder();
    backup.projectId((String) values[0]);
    backup.id((String) values[1]);
    backup.name((String) values[2]);
    backup.description(Optional.ofNullable((String) values[3]));
    backup.server(Server.builder().id((String) values[4]).name((String) values[5]).resourceType((String) values[6])
        .availabilityZone((String) values[7]).build());
    backup.status(STATUSES[(Short) values[8]]);
    if (values[9] != null) {
      backup.progress(Progress.of((Short) values[9], (Instant) values[10]));
    }
    backup.type(BackupType.valueOf((String) values[11]));
    backup.trigger(BackupTrigger.valueOf((String) values[12]));
    backup.policyId(Optional.ofNullable((String) values[13]));
    backup.sizeMb((Long) values[14]);
    backup.createdAt((Instant) values[15]);
    backup.updatedAt((Instant) values[16]);
    backup.finishedAt(Optional.ofNullable((Instant) values[17]));
    if (values[18] != null) {
      backup.failure(Failure.of(JobType.valueOf((String) values[18]), (String) values[19], (Instant) values[20]));
    }
    if (values[21] != null) {
      for (Object pair : (Object[]) values[21]) {
        String text = (String) pair;
        int split = text.indexOf('=');
        backup.addTags(Tag.of(text.substring(0, split), text.substring(split + 1)));
      }
    }
    backup.version((Long) values[22]);
    if (values[23] != null) {
      backup.apiStatus(ApiStatus.parse((String) values[23]));
    }
    backup.details(decodeDetails((byte[]) values[24]));
    return backup.build();
  }

  static Instant instant(ResultSet row, int column) throws SQLException {
    OffsetDateTime time;
    try {
      time = row.getObject(column, OffsetDateTime.class);
    } catch (DateTimeException e) {
      // the driver's text form of a leap day before Christ ("0001-02-29 ... BC") fails on its way
      // to ISO years; its binary form, used once a statement has run five times, does not
      return fromText(row.getString(column));
    }
    return time == null ? null : time.toInstant();
  }

  /** An instant of PostgreSQL's ISO text form, {@code 0001-02-29 10:15:30.123456+00 BC}. */
  static Instant fromText(String text) {
    boolean beforeChrist = text.endsWith(" BC");
    String body = beforeChrist ? text.substring(0, text.length() - 3) : text;
    int space = body.indexOf(' ');
    String[] date = body.substring(0, space).split("-");
    String clock = body.substring(space + 1);
    int sign = Math.max(clock.lastIndexOf('+'), clock.lastIndexOf('-'));
    int year = Integer.parseInt(date[0]);
    LocalDate day = LocalDate.of(beforeChrist ? 1 - year : year, Integer.parseInt(date[1]), Integer.parseInt(date[2]));
    return OffsetDateTime.of(day, LocalTime.parse(clock.substring(0, sign)), ZoneOffset.of(clock.substring(sign)))
        .toInstant();
  }

  // ---------------------------------------------------------------- the change feed's binary form

  /** The backup in the change feed's binary form: every field, exactly; null for null. */
  static byte[] encode(Backup backup) {
    if (backup == null) {
      return null;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(CODEC_VERSION);
      out.writeUTF(backup.id());
      out.writeUTF(backup.name());
      writeOptional(out, backup.description());
      out.writeUTF(backup.projectId());
      out.writeUTF(backup.server().id());
      out.writeUTF(backup.server().name());
      out.writeUTF(backup.server().resourceType());
      out.writeUTF(backup.server().availabilityZone());
      out.writeByte(backup.status().ordinal());
      out.writeBoolean(backup.progress().isPresent());
      if (backup.progress().isPresent()) {
        out.writeByte(backup.progress().get().percent());
        writeInstant(out, backup.progress().get().changedAt());
      }
      out.writeByte(backup.type().ordinal());
      out.writeByte(backup.trigger().ordinal());
      writeOptional(out, backup.policyId());
      out.writeLong(backup.sizeMb());
      writeInstant(out, backup.createdAt());
      writeInstant(out, backup.updatedAt());
      out.writeBoolean(backup.finishedAt().isPresent());
      if (backup.finishedAt().isPresent()) {
        writeInstant(out, backup.finishedAt().get());
      }
      out.writeBoolean(backup.failure().isPresent());
      if (backup.failure().isPresent()) {
        Failure failure = backup.failure().get();
        out.writeByte(failure.job().ordinal());
        out.writeUTF(failure.reason());
        writeInstant(out, failure.failedAt());
      }
      out.writeByte(backup.tags().size());
      for (Tag tag : backup.tags()) {
        out.writeUTF(tag.key());
        out.writeUTF(tag.value());
      }
      out.writeLong(backup.version());
      out.writeByte(backup.apiStatus().ordinal());
      writeDetails(out, backup.details());
    } catch (IOException e) {
      throw new UncheckedIOException(e);  // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /** The backup of {@link #encode}'s bytes; null for null. */
  static Backup decode(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte version = in.readByte();
      if (version != 1 && version != CODEC_VERSION) {
        throw new IllegalStateException("a change of the feed has binary form " + version
            + ", this library reads " + CODEC_VERSION + ": upgrade the library");
      }
      Backup.Builder backup = Backup.builder();
      backup.id(in.readUTF());
      backup.name(in.readUTF());
      backup.description(readOptional(in));
      backup.projectId(in.readUTF());
      backup.server(Server.builder().id(in.readUTF()).name(in.readUTF()).resourceType(in.readUTF())
          .availabilityZone(in.readUTF()).build());
      backup.status(STATUSES[in.readByte()]);
      if (in.readBoolean()) {
        int percent = in.readByte();
        backup.progress(Progress.of(percent, readInstant(in)));
      }
      backup.type(BackupType.values()[in.readByte()]);
      backup.trigger(BackupTrigger.values()[in.readByte()]);
      backup.policyId(readOptional(in));
      backup.sizeMb(in.readLong());
      backup.createdAt(readInstant(in));
      backup.updatedAt(readInstant(in));
      if (in.readBoolean()) {
        backup.finishedAt(readInstant(in));
      }
      if (in.readBoolean()) {
        JobType job = JobType.values()[in.readByte()];
        String reason = in.readUTF();
        backup.failure(Failure.of(job, reason, readInstant(in)));
      }
      int tags = in.readByte();
      List<Tag> list = new ArrayList<>(tags);
      for (int t = 0; t < tags; t++) {
        list.add(Tag.of(in.readUTF(), in.readUTF()));
      }
      backup.addAllTags(list);
      backup.version(in.readLong());
      if (version >= 2) {
        backup.apiStatus(API_STATUSES[in.readByte()]);
        backup.details(readDetails(in));
      }
      return backup.build();
    } catch (IOException e) {
      throw new IllegalStateException("a change of the feed is damaged: " + e, e);
    }
  }

  /** The details as the details column keeps them: null for {@link BackupDetails#NONE}. */
  static byte[] encodeDetails(BackupDetails details) {
    if (details.equals(BackupDetails.NONE)) {
      return null;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writeDetails(out, details);
    } catch (IOException e) {
      throw new UncheckedIOException(e);  // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /** The details of {@link #encodeDetails}'s bytes; {@link BackupDetails#NONE} for null. */
  static BackupDetails decodeDetails(byte[] bytes) {
    if (bytes == null) {
      return BackupDetails.NONE;
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      return readDetails(in);
    } catch (IOException e) {
      throw new IllegalStateException("the details of a backup are damaged: " + e, e);
    }
  }

  private static void writeDetails(DataOutputStream out, BackupDetails details) throws IOException {
    out.writeByte(DETAILS_VERSION);
    writeOptional(out, details.checkpointId());
    VmMetadata vm = details.vm();
    out.writeUTF(vm.regionName());
    out.writeUTF(vm.cloudServiceType());
    out.writeInt(vm.diskGb());
    out.writeUTF(vm.imageType());
    out.writeInt(vm.ramMb());
    out.writeInt(vm.vcpus());
    out.writeUTF(vm.eip());
    out.writeUTF(vm.privateIp());
    out.writeBoolean(details.incremental());
    out.writeByte(details.restoreMode().ordinal());
    out.writeByte(details.copyStatus().ordinal());
    out.writeByte(details.spaceSavingRatio());
    out.writeLong(details.averageSpeedKbps());
    out.writeBoolean(details.failCode().isPresent());
    if (details.failCode().isPresent()) {
      out.writeLong(details.failCode().get().code());
      out.writeUTF(details.failCode().get().description());
    }
  }

  private static BackupDetails readDetails(DataInputStream in) throws IOException {
    byte version = in.readByte();
    if (version != DETAILS_VERSION) {
      throw new IllegalStateException("backup details have binary form " + version + ", this library reads "
          + DETAILS_VERSION + ": upgrade the library");
    }
    Optional<String> checkpointId = readOptional(in);
    VmMetadata vm = new VmMetadata(in.readUTF(), in.readUTF(), in.readInt(), in.readUTF(), in.readInt(), in.readInt(),
        in.readUTF(), in.readUTF());
    boolean incremental = in.readBoolean();
    RestoreMode restoreMode = RestoreMode.values()[in.readByte()];
    CopyStatus copyStatus = CopyStatus.values()[in.readByte()];
    int spaceSavingRatio = in.readByte();
    long averageSpeedKbps = in.readLong();
    Optional<FailCode> failCode = in.readBoolean() ? Optional.of(new FailCode(in.readLong(), in.readUTF())) : Optional.empty();
    BackupDetails details = new BackupDetails(checkpointId, vm.equals(VmMetadata.NONE) ? VmMetadata.NONE : vm,
        incremental, restoreMode, copyStatus, spaceSavingRatio, averageSpeedKbps, failCode);
    return details.equals(BackupDetails.NONE) ? BackupDetails.NONE : details;
  }

  private static void writeOptional(DataOutputStream out, Optional<String> value) throws IOException {
    out.writeBoolean(value.isPresent());
    if (value.isPresent()) {
      out.writeUTF(value.get());
    }
  }

  private static Optional<String> readOptional(DataInputStream in) throws IOException {
    return in.readBoolean() ? Optional.of(in.readUTF()) : Optional.empty();
  }

  private static void writeInstant(DataOutputStream out, Instant instant) throws IOException {
    out.writeLong(instant.getEpochSecond());
    out.writeInt(instant.getNano());
  }

  private static Instant readInstant(DataInputStream in) throws IOException {
    long seconds = in.readLong();
    return Instant.ofEpochSecond(seconds, in.readInt());
  }
}
