package io.gatehouse.ui.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UiUsersTest {
  private static final String ANA = "ana:" + PasswordHash.hash("correct horse".toCharArray(), 1000);
  private static final String BO = "bo:" + PasswordHash.hash("battery".toCharArray(), 1000);

  @Test
  void hashesAreSaltedAndVerify() {
    String a = PasswordHash.hash("s3cret".toCharArray(), 1000);
    String b = PasswordHash.hash("s3cret".toCharArray(), 1000);
    assertThat(a).startsWith("pbkdf2-sha256$1000$").isNotEqualTo(b).doesNotContain("s3cret");
    assertThat(PasswordHash.matches("s3cret".toCharArray(), a)).isTrue();
    assertThat(PasswordHash.matches("s3cret ".toCharArray(), a)).isFalse();
  }

  @Test
  void authenticatesOnlyTheRightPasswordForTheRightUser() {
    UiUsers users = UiUsers.fromEnv(Map.of("GATEHOUSE_UI_USERS", ANA + "," + BO));
    assertThat(users.size()).isEqualTo(2);
    assertThat(users.authenticate("ana", "correct horse".toCharArray())).contains("ana");
    assertThat(users.authenticate("ana", "battery".toCharArray())).isEmpty();
    assertThat(users.authenticate("bo", "battery".toCharArray())).contains("bo");
    assertThat(users.authenticate("eve", "battery".toCharArray())).isEmpty();
    assertThat(users.generatedPassword()).isEmpty();
  }

  @Test
  void readsAFileWithComments(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("users.txt");
    Files.writeString(file, "# dashboard users\n" + ANA + "\n\n" + BO + "  # on call\n");
    UiUsers users = UiUsers.fromEnv(Map.of("GATEHOUSE_UI_USERS_FILE", file.toString()));
    assertThat(users.authenticate("bo", "battery".toCharArray())).contains("bo");
  }

  @Test
  void withoutConfigurationAnAdminWithAGeneratedPasswordIsTheOnlyUser() {
    UiUsers users = UiUsers.fromEnv(Map.of());
    String password = users.generatedPassword().orElseThrow();
    assertThat(password).hasSize(20);
    assertThat(users.authenticate("admin", password.toCharArray())).contains("admin");
    assertThat(users.authenticate("admin", "admin".toCharArray())).isEmpty();
  }

  @Test
  void badEntriesAreRejectedWithTheirLine() {
    assertThatThrownBy(() -> UiUsers.parse("ana:plaintext", "GATEHOUSE_UI_USERS"))
        .hasMessageContaining("GATEHOUSE_UI_USERS line 1, user 'ana'").hasMessageContaining("HashPassword");
    assertThatThrownBy(() -> UiUsers.parse(ANA + "\nnocolon", "F")).hasMessageContaining("F line 2: expected name:hash");
    assertThatThrownBy(() -> UiUsers.parse("# nobody\n", "F")).hasMessageContaining("names no user");
  }
}
