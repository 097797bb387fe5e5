package io.csbs.backup;

import static io.csbs.backup.TestBackups.assertInvalid;
import static io.csbs.backup.TestBackups.repeat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class ServerTest {

  @Test
  void ofKeepsIdNameAndAvailabilityZone() {
    Server server = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02");

    assertEquals("f8ddc472-cf00-4384-851e-5f2a68c33762", server.id());
    assertEquals("ecs-ggao", server.name());
    assertEquals("eu-de-02", server.availabilityZone());
  }

  @Test
  void resourceTypeDefaultsToNovaServer() {
    assertEquals("OS::Nova::Server", Server.of("s1", "ecs", "az1").resourceType());
    assertEquals(Server.NOVA_SERVER, Server.builder().id("s1").name("ecs").availabilityZone("az1").build().resourceType());
  }

  @Test
  void keepsAnotherResourceTypeGivenToTheBuilder() {
    Server volume = Server.builder().id("v1").name("data").availabilityZone("az1")
        .resourceType("OS::Cinder::Volume").build();

    assertEquals("OS::Cinder::Volume", volume.resourceType());
  }

  @Test
  void acceptsServerNameWithSpacesAndDots() {
    assertEquals("web server 1.2", Server.of("s1", "web server 1.2", "az1").name());
  }

  @Test
  void rejectsBlankServerId() {
    assertInvalid("server id", "non-blank", () -> Server.of(" ", "ecs", "az1"));
  }

  @Test
  void rejectsServerIdLongerThan64Chars() {
    assertInvalid("server id", "at most 64", () -> Server.of(repeat('s', 65), "ecs", "az1"));
  }

  @Test
  void acceptsServerIdOf64Chars() {
    assertEquals(64, Server.of(repeat('s', 64), "ecs", "az1").id().length());
  }

  @Test
  void rejectsEmptyServerName() {
    assertInvalid("server name", "non-blank", () -> Server.of("s1", "", "az1"));
  }

  @Test
  void rejectsBlankServerName() {
    assertInvalid("server name", "non-blank", () -> Server.of("s1", "  ", "az1"));
  }

  @Test
  void rejectsServerNameLongerThan255Chars() {
    assertInvalid("server name", "at most 255", () -> Server.of("s1", repeat('n', 256), "az1"));
  }

  @Test
  void rejectsBlankAvailabilityZone() {
    assertInvalid("availability zone", "non-blank", () -> Server.of("s1", "ecs", " "));
  }

  @Test
  void rejectsAvailabilityZoneLongerThan64Chars() {
    assertInvalid("availability zone", "at most 64", () -> Server.of("s1", "ecs", repeat('z', 65)));
  }

  @Test
  void rejectsBlankResourceType() {
    assertInvalid("resource type", "non-blank",
        () -> Server.builder().id("s1").name("ecs").availabilityZone("az1").resourceType(" ").build());
  }

  @Test
  void serversWithEqualValuesAreEqual() {
    Server built = Server.builder().id("s1").name("ecs").availabilityZone("az1").resourceType(Server.NOVA_SERVER).build();

    assertEquals(Server.of("s1", "ecs", "az1"), built);
    assertEquals(Server.of("s1", "ecs", "az1").hashCode(), built.hashCode());
    assertNotEquals(Server.of("s1", "ecs", "az1"), Server.of("s1", "ecs", "az2"));
  }
}
