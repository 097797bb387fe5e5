package io.csbs.backup;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.testing.NullPointerTester;
import io.csbs.NullChecks;
import java.lang.reflect.Constructor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every public method and constructor of io.csbs.backup refuses null with a NullPointerException. */
class NullsTest {
  @Test
  void publicMethodsAndConstructorsRefuseNull() throws Exception {
    NullPointerTester tester = NullChecks.tester();
    Backup backup = NullChecks.sampleBackup();
    // the rejected value may be null; the field and the rule may not
    Constructor<InvalidValueException> invalid =
        InvalidValueException.class.getConstructor(String.class, Object.class, String.class);
    List<Class<?>> tested = NullChecks.assertRefuseNull(tester, "io.csbs.backup", List.of(backup, Backup.builder(),
        backup.toBuilder(), Server.builder(), Server.of("s", "ecs", "eu-de-01"), Tag.of("env", "prod"),
        Progress.of(1, NullChecks.NOW), Failure.of(JobType.DELETE, "gone", NullChecks.NOW), BackupStatus.CREATING,
        ApiStatus.values()[0], BackupType.ENHANCED, Operation.values()[0], new InvalidValueException("f", null, "rule")),
        invalid);
    assertTrue(tested.contains(Backup.Builder.class), "tested " + tested);
    tester.testConstructorParameter(invalid, 0);
    tester.testConstructorParameter(invalid, 2);
  }
}
