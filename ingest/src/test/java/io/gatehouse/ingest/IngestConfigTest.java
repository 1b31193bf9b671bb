package io.gatehouse.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestConfigTest {
  @Test
  void migrationsAreAppliedUnlessTheSchemaIsManagedOutside() {
    assertThat(IngestConfig.fromEnv(Map.of()).applyMigrations()).isTrue();
    assertThat(IngestConfig.fromEnv(Map.of(IngestConfig.SKIP_MIGRATIONS, "1")).applyMigrations()).isFalse();
    assertThat(IngestConfig.fromEnv(Map.of(IngestConfig.SKIP_MIGRATIONS, "false")).applyMigrations()).isTrue();
    assertThat(IngestConfig.fromEnv(Map.of(IngestConfig.SKIP_MIGRATIONS, "1")).toString()).contains("migrations=skipped");
    assertThatThrownBy(() -> IngestConfig.fromEnv(Map.of(IngestConfig.SKIP_MIGRATIONS, "maybe")))
        .hasMessageContaining(IngestConfig.SKIP_MIGRATIONS).hasMessageContaining("maybe");
  }
}
