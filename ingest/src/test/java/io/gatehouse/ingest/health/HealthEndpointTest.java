package io.gatehouse.ingest.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.ingest.consume.IngestStats;
import io.gatehouse.ingest.health.HealthEndpoint.State;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Liveness and readiness over real HTTP through each state of the service. */
class HealthEndpointTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void liveUntilTheLoopDiesReadyOnlyWhileItRuns() throws Exception {
    AtomicReference<State> state = new AtomicReference<>(State.STARTING);
    HealthEndpoint health = new HealthEndpoint(0, new IngestStats(), state::get);
    try {
      // waiting for ClickHouse: alive (a restart would not help) but not ready
      assertThat(get(health, HealthEndpoint.LIVE)).isEqualTo("200 {\"status\":\"live\"}");
      assertThat(get(health, HealthEndpoint.READY)).isEqualTo("503 {\"status\":\"starting\"}");
      assertThat(get(health, "/health")).startsWith("503 {\"status\":\"starting\"");

      state.set(State.RUNNING);
      assertThat(get(health, HealthEndpoint.LIVE)).isEqualTo("200 {\"status\":\"live\"}");
      assertThat(get(health, HealthEndpoint.READY)).isEqualTo("200 {\"status\":\"ready\"}");
      assertThat(get(health, "/health")).startsWith("200 {\"status\":\"ok\"");

      state.set(State.DOWN);
      assertThat(get(health, HealthEndpoint.LIVE)).isEqualTo("503 {\"status\":\"down\"}");
      assertThat(get(health, HealthEndpoint.READY)).isEqualTo("503 {\"status\":\"down\"}");

      HttpResponse<Void> post = http.send(HttpRequest.newBuilder(url(health, HealthEndpoint.READY))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
      assertThat(post.statusCode()).isEqualTo(405);
    } finally {
      health.close();
    }
  }

  private String get(HealthEndpoint health, String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(url(health, path)).build(),
        HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  private static URI url(HealthEndpoint health, String path) {
    return URI.create("http://127.0.0.1:" + health.port() + path);
  }
}
