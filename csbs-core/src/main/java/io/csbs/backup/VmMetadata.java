package io.csbs.backup;

import static java.util.Objects.requireNonNull;

/**
 * What the backup service knew of the server when it backed it up: the API's {@code backup_data}
 * ("VM metadata"). Empty text and zero mean "not obtained", as in the API; {@link #NONE} has nothing.
 *
 * <pre>{@code
 * VmMetadata vm = VmMetadata.builder().regionName("eu-de").cloudServiceType("server").diskGb(40)
 *     .imageType("gold").ramMb(4096).vcpus(2).privateIp("192.168.0.12").build();
 * }</pre>
 *
 * @param regionName the region of the server ({@code __openstack_region_name}); at most 64 chars
 * @param cloudServiceType the kind of resource ({@code cloudservicetype}, {@code server} for an ECS); at most 64 chars
 * @param diskGb the system disk size of the server's flavor, in GB ({@code disk}); 0 or more
 * @param imageType the image type ({@code imagetype}: {@code gold} public, {@code private}, {@code market}); at most 64 chars
 * @param ramMb the memory of the server, in MB ({@code ram}); 0 or more
 * @param vcpus the CPU cores of the server ({@code vcpus}); 0 or more
 * @param eip the server's elastic IP address ({@code eip}); at most 64 chars
 * @param privateIp the server's internal IP address ({@code private_ip}); at most 64 chars
 */
public record VmMetadata(
    String regionName,
    String cloudServiceType,
    int diskGb,
    String imageType,
    int ramMb,
    int vcpus,
    String eip,
    String privateIp) {
  /** Nothing obtained: empty texts and zeros. */
  public static final VmMetadata NONE = new VmMetadata("", "", 0, "", 0, 0, "", "");

  /** The longest text of a field. */
  public static final int MAX_TEXT_LENGTH = 64;

  /**
   * Checks every field.
   *
   * @param regionName the region
   * @param cloudServiceType the kind of resource
   * @param diskGb the system disk size in GB
   * @param imageType the image type
   * @param ramMb the memory in MB
   * @param vcpus the CPU cores
   * @param eip the elastic IP address
   * @param privateIp the internal IP address
   * @throws InvalidValueException naming the field (as the API names it) and the rule
   */
  public VmMetadata {
    Rules.requireAtMost("__openstack_region_name", requireNonNull(regionName, "regionName"), MAX_TEXT_LENGTH);
    Rules.requireAtMost("cloudservicetype", requireNonNull(cloudServiceType, "cloudServiceType"), MAX_TEXT_LENGTH);
    Rules.requireRange("disk", diskGb, 0, Integer.MAX_VALUE);
    Rules.requireAtMost("imagetype", requireNonNull(imageType, "imageType"), MAX_TEXT_LENGTH);
    Rules.requireRange("ram", ramMb, 0, Integer.MAX_VALUE);
    Rules.requireRange("vcpus", vcpus, 0, Integer.MAX_VALUE);
    Rules.requireAtMost("eip", requireNonNull(eip, "eip"), MAX_TEXT_LENGTH);
    Rules.requireAtMost("private_ip", requireNonNull(privateIp, "privateIp"), MAX_TEXT_LENGTH);
  }

  /** {@return a builder whose fields start as in {@link #NONE}} */
  public static Builder builder() {
    return new Builder(NONE);
  }

  /** {@return a builder holding this metadata's fields, to change some} */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Builds a {@link VmMetadata}; every field is optional and starts empty or zero.
   *
   * <pre>{@code
   * VmMetadata vm = VmMetadata.builder().ramMb(8192).vcpus(4).build();
   * }</pre>
   */
  public static final class Builder {
    private String regionName;
    private String cloudServiceType;
    private int diskGb;
    private String imageType;
    private int ramMb;
    private int vcpus;
    private String eip;
    private String privateIp;

    private Builder(VmMetadata from) {
      regionName = from.regionName;
      cloudServiceType = from.cloudServiceType;
      diskGb = from.diskGb;
      imageType = from.imageType;
      ramMb = from.ramMb;
      vcpus = from.vcpus;
      eip = from.eip;
      privateIp = from.privateIp;
    }

    /**
     * Sets the region name.
     *
     * @param regionName the region, at most 64 chars
     * @return this builder
     */
    public Builder regionName(String regionName) {
      this.regionName = requireNonNull(regionName, "regionName");
      return this;
    }

    /**
     * Sets the cloud service type.
     *
     * @param cloudServiceType the kind of resource, {@code server} for an ECS
     * @return this builder
     */
    public Builder cloudServiceType(String cloudServiceType) {
      this.cloudServiceType = requireNonNull(cloudServiceType, "cloudServiceType");
      return this;
    }

    /**
     * Sets the system disk size.
     *
     * @param diskGb the size in GB, 0 or more
     * @return this builder
     */
    public Builder diskGb(int diskGb) {
      this.diskGb = diskGb;
      return this;
    }

    /**
     * Sets the image type.
     *
     * @param imageType {@code gold}, {@code private}, {@code market} or another type
     * @return this builder
     */
    public Builder imageType(String imageType) {
      this.imageType = requireNonNull(imageType, "imageType");
      return this;
    }

    /**
     * Sets the memory.
     *
     * @param ramMb the memory in MB, 0 or more
     * @return this builder
     */
    public Builder ramMb(int ramMb) {
      this.ramMb = ramMb;
      return this;
    }

    /**
     * Sets the CPU cores.
     *
     * @param vcpus the cores, 0 or more
     * @return this builder
     */
    public Builder vcpus(int vcpus) {
      this.vcpus = vcpus;
      return this;
    }

    /**
     * Sets the elastic IP address.
     *
     * @param eip the address, at most 64 chars
     * @return this builder
     */
    public Builder eip(String eip) {
      this.eip = requireNonNull(eip, "eip");
      return this;
    }

    /**
     * Sets the internal IP address.
     *
     * @param privateIp the address, at most 64 chars
     * @return this builder
     */
    public Builder privateIp(String privateIp) {
      this.privateIp = requireNonNull(privateIp, "privateIp");
      return this;
    }

    /**
     * Builds the metadata and checks every field.
     *
     * @return the metadata; {@link #NONE} itself when nothing is set
     * @throws InvalidValueException naming the field and the rule
     */
    public VmMetadata build() {
      VmMetadata built = new VmMetadata(regionName, cloudServiceType, diskGb, imageType, ramMb, vcpus, eip, privateIp);
      return built.equals(NONE) ? NONE : built;
    }
  }
}
