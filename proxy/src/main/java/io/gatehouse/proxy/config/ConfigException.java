package io.gatehouse.proxy.config;

/**
 * An invalid configuration, found at start. The message names where the problem is (a YAML path such
 * as {@code models.smart.targets[1]}, or an environment variable) and what to do about it; the proxy
 * prints it and exits.
 */
public final class ConfigException extends RuntimeException {
  private final String path;

  public ConfigException(String path, String message) {
    super(path == null || path.isEmpty() ? message : path + ": " + message);
    this.path = path;
  }

  /** Where the problem is, e.g. {@code providers.local.base_url}; may be empty for the whole file. */
  public String path() {
    return path;
  }
}
