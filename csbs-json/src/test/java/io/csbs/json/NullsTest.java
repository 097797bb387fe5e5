package io.csbs.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.testing.NullPointerTester;
import io.csbs.CsbsError;
import io.csbs.backup.Backup;
import io.csbs.backup.BackupStatus;
import io.csbs.backup.InvalidValueException;
import io.csbs.backup.Server;
import io.csbs.backup.Tag;
import io.csbs.query.Page;
import io.csbs.query.TagCatalogue;
import io.csbs.usage.Quota;
import io.csbs.usage.QuotaUsage;
import io.csbs.usage.UsageReport;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every public method of csbs-json refuses null with a NullPointerException naming the parameter. */
class NullsTest {
  @Test
  void csbsJsonRefusesNull() {
    Backup backup = Backup.builder().id("b-1").name("bk").projectId("p").server(Server.of("s-1", "ecs-1", "az1"))
        .status(BackupStatus.AVAILABLE).sizeMb(1).createdAt(Instant.parse("2026-11-30T10:00:00Z")).build();
    NullPointerTester tester = new NullPointerTester()
        .setDefault(String.class, "{\"count\": 1}")
        .setDefault(Backup.class, backup)
        .setDefault(Page.class, new Page(List.of(backup), 1, false))
        .setDefault(URI.class, URI.create("/v1/p/checkpoint_items"))
        .setDefault(TagCatalogue.class, TagCatalogue.empty())
        .setDefault(QuotaUsage.class, new QuotaUsage(Quota.NONE, 0, 0))
        .setDefault(UsageReport.class, new UsageReport(0, 0, 0, List.of()))
        .setDefault(CsbsError.class, new InvalidValueException("f", 1, "must be 2"))
        .setDefault(RestoreRequest.class, new RestoreRequest("p", "c", "b-1", java.util.Optional.empty(),
            java.util.Optional.empty(), java.util.Optional.empty()));
    tester.testAllPublicStaticMethods(CsbsJson.class);
    tester.testAllPublicInstanceMethods(CsbsJson.create());
    tester.testAllPublicConstructors(RestoreRequest.class);
  }

  @Test
  void anErrorWithoutAMessageHasAnEmptyOneAndAnErrorWithoutACodeIsNamed() {
    InvalidValueException noMessage = new InvalidValueException("f", 1, "r") {
      @Override
      public String getMessage() {
        return null;
      }
    };
    assertEquals(CsbsJson.create().error("CSBS.9001", ""), CsbsJson.create().error(noMessage));
    CsbsError noCode = () -> null;
    assertEquals("error.code()", assertThrows(NullPointerException.class, () -> CsbsJson.create().error(noCode)).getMessage());
  }

  @Test
  void aNullTagInTheListIsNamedByItsIndex() {
    List<Tag> tags = java.util.Arrays.asList(Tag.of("env", "prod"), Tag.of("team", ""), null);
    NullPointerException e = assertThrows(NullPointerException.class, () -> CsbsJson.create().tags(tags));
    assertEquals("tags[2]", e.getMessage());
  }
}
