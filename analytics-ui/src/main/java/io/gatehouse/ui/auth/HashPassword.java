package io.gatehouse.ui.auth;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Prints the hash of a password for {@code GATEHOUSE_UI_USERS} / {@code GATEHOUSE_UI_USERS_FILE}:
 * {@code java -cp analytics-ui/target/gatehouse-analytics-ui.jar io.gatehouse.ui.auth.HashPassword}.
 * Reads the password from the terminal without echo, or from the first line of stdin when piped.
 */
public final class HashPassword {
  private HashPassword() {}

  public static void main(String[] args) throws IOException {
    Console console = System.console();
    char[] password;
    if (console != null) {
      password = console.readPassword("Password: ");
    } else {
      String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      password = line == null ? new char[0] : line.toCharArray();
    }
    if (password == null || password.length == 0) {
      System.err.println("empty password");
      System.exit(2);
    }
    System.out.println(PasswordHash.hash(password));
  }
}
