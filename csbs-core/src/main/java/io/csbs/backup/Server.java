package io.csbs.backup;

import org.immutables.value.Value;

/**
 * The backed-up resource: an ECS, with its id, name, resource type and availability zone.
 *
 * <pre>{@code
 * Server server = Server.of("f8ddc472-cf00-4384-851e-5f2a68c33762", "ecs-ggao", "eu-de-02");
 * server.resourceType(); // "OS::Nova::Server"
 * }</pre>
 */
@Value.Immutable
public abstract class Server {
  /** The resource type of an ECS, the default. */
  public static final String NOVA_SERVER = "OS::Nova::Server";

  Server() {}

  /** {@return the server (resource) id; non-blank, at most 64 chars} */
  public abstract String id();

  /** {@return the server's name; non-blank, at most 255 chars} */
  public abstract String name();

  /** {@return the resource type; {@value #NOVA_SERVER} by default; non-blank, at most 255 chars} */
  @Value.Default
  public String resourceType() {
    return NOVA_SERVER;
  }

  /**
   * The availability zone of the server, for example {@code eu-de-02}; non-blank, at most 64 chars.
   *
   * @return the availability zone
   */
  public abstract String availabilityZone();

  /**
   * {@return an ECS ({@value #NOVA_SERVER}) with the given id, name and availability zone}
   *
   * @param id the server id
   * @param name the server name
   * @param availabilityZone the availability zone, for example {@code eu-de-02}
   */
  public static Server of(String id, String name, String availabilityZone) {
    return builder().id(id).name(name).availabilityZone(availabilityZone).build();
  }

  /** {@return a builder, for a resource type other than the default} */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Server}; {@code id}, {@code name} and {@code availabilityZone} are required. */
  public static final class Builder extends ImmutableServer.Builder {
    Builder() {}
  }

  @Value.Check
  void check() {
    Rules.requireId("server id", id());
    Rules.requireText("server name", name(), Rules.MAX_NAME_LENGTH);
    Rules.requireText("resource type", resourceType(), Rules.MAX_NAME_LENGTH);
    Rules.requireId("availability zone", availabilityZone());
  }
}
