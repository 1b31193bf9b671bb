package io.gatehouse.ui.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Who may sign in to the dashboard: user names and password hashes ({@link PasswordHash}), from
 * {@code GATEHOUSE_UI_USERS_FILE} (one {@code name:hash} per line, {@code #} comments) or
 * {@code GATEHOUSE_UI_USERS} (the same entries separated by commas or whitespace). Immutable.
 */
public final class UiUsers {
  /** Compared against when the user is unknown, so that a wrong name takes as long as a wrong password. */
  private static final String DUMMY = PasswordHash.hash("not a password".toCharArray(), PasswordHash.ITERATIONS);

  private final Map<String, String> hashes;
  private final String generatedPassword;

  private UiUsers(Map<String, String> hashes, String generatedPassword) {
    this.hashes = Map.copyOf(hashes);
    this.generatedPassword = generatedPassword;
  }

  /**
   * Users from the environment. With none configured, one user {@code admin} with a random password
   * (see {@link #generatedPassword()}): the dashboard is never open to anyone who can reach it.
   */
  public static UiUsers fromEnv(Map<String, String> env) {
    String file = env.get("GATEHOUSE_UI_USERS_FILE");
    String inline = env.get("GATEHOUSE_UI_USERS");
    if (file != null && !file.isBlank()) {
      try {
        return parse(Files.readString(Path.of(file.strip())), "GATEHOUSE_UI_USERS_FILE " + file.strip());
      } catch (IOException e) {
        throw new IllegalArgumentException("GATEHOUSE_UI_USERS_FILE " + file + " cannot be read: " + e.getMessage());
      }
    }
    if (inline != null && !inline.isBlank()) {
      return parse(inline, "GATEHOUSE_UI_USERS");
    }
    String password = randomPassword();
    return new UiUsers(Map.of("admin", PasswordHash.hash(password.toCharArray())), password);
  }

  static UiUsers parse(String text, String source) {
    Map<String, String> hashes = new LinkedHashMap<>();
    int n = 0;
    for (String line : text.split("\\R")) {
      n++;
      String content = line.replaceFirst("#.*", "").strip();
      for (String entry : content.split("[,\\s]+")) {
        if (entry.isEmpty()) {
          continue;
        }
        int colon = entry.indexOf(':');
        if (colon <= 0) {
          throw new IllegalArgumentException(source + " line " + n + ": expected name:hash, got '"
              + entry.substring(0, Math.min(entry.length(), 20)) + "…'");
        }
        String name = entry.substring(0, colon);
        String hash = entry.substring(colon + 1);
        try {
          PasswordHash.validate(hash);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(source + " line " + n + ", user '" + name + "': " + e.getMessage());
        }
        hashes.put(name, hash);
      }
    }
    if (hashes.isEmpty()) {
      throw new IllegalArgumentException(source + " names no user");
    }
    return new UiUsers(hashes, null);
  }

  /** The user name if {@code password} is right for {@code name}. */
  public Optional<String> authenticate(String name, char[] password) {
    String hash = hashes.get(name);
    boolean ok = PasswordHash.matches(password, hash == null ? DUMMY : hash);
    return ok && hash != null ? Optional.of(name) : Optional.empty();
  }

  /** The password of the generated {@code admin} user, if no users were configured. */
  public Optional<String> generatedPassword() {
    return Optional.ofNullable(generatedPassword);
  }

  public int size() {
    return hashes.size();
  }

  private static String randomPassword() {
    String alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    SecureRandom random = new SecureRandom();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }
}
