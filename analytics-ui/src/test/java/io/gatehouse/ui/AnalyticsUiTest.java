package io.gatehouse.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The composition root over plain HTTP; the page itself is checked in a browser by RequestsPageIT. */
class AnalyticsUiTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void startsWithoutClickHouseAndServesThePageAndItsScripts() throws Exception {
    try (AnalyticsUi ui = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0",
        "GATEHOUSE_CLICKHOUSE_URL", "http://127.0.0.1:" + closedPort()))) {
      String base = "http://127.0.0.1:" + ui.port();

      HttpResponse<String> page = get(base + "/requests");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("VAADIN/build/");
      assertThat(get(base + "/gatehouse/gh-chart.js").body()).contains("customElements.define('gh-chart'");
      assertThat(get(base + "/gatehouse/gatehouse.css").statusCode()).isEqualTo(200);
      assertThat(get(base + "/webjars/echarts/5.3.1/dist/echarts.min.js").statusCode()).isEqualTo(200);

      // serving, so live; without ClickHouse it cannot show anything, so not ready
      assertThat(status(base + "/health/live")).isEqualTo("200 {\"status\":\"live\"}");
      assertThat(status(base + "/health")).isEqualTo("200 {\"status\":\"ok\"}");
      assertThat(status(base + "/health/ready"))
          .isEqualTo("503 {\"status\":\"unready\",\"clickhouse\":\"unreachable\"}");
    }
  }

  @Test
  void readyWhenClickHouseAnswersItsQueries() throws Exception {
    ClickHouseServer clickHouse = ClickHouseServer.shared();
    try (AnalyticsUi ui = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0",
        "GATEHOUSE_CLICKHOUSE_URL", clickHouse.httpUrl()))) {
      assertThat(status("http://127.0.0.1:" + ui.port() + "/health/ready"))
          .isEqualTo("200 {\"status\":\"ready\"}");
    }
    // reachable but refusing (an unknown user): still not ready, and the anonymous answer tells no more
    try (AnalyticsUi ui = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0",
        "GATEHOUSE_CLICKHOUSE_URL", clickHouse.httpUrl(), "GATEHOUSE_CLICKHOUSE_USER", "nobody"))) {
      assertThat(status("http://127.0.0.1:" + ui.port() + "/health/ready"))
          .isEqualTo("503 {\"status\":\"unready\",\"clickhouse\":\"error\"}");
    }
  }

  private String status(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = get(url);
    return r.statusCode() + " " + r.body();
  }

  @Test
  void metricsNeedTheirTokenAndCountClickHouseQueries() throws Exception {
    // no ClickHouse on this port: the start-up probe is a failed query, counted as an error
    try (AnalyticsUi ui = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0",
        "GATEHOUSE_CLICKHOUSE_URL", "http://127.0.0.1:" + closedPort(), AnalyticsUi.METRICS_TOKEN, "scrape-me"))) {
      String url = "http://127.0.0.1:" + ui.port() + "/metrics";
      assertThat(get(url).statusCode()).as("not anonymous").isEqualTo(401);
      HttpResponse<String> scraped = http.send(HttpRequest.newBuilder(URI.create(url))
          .header("Authorization", "Bearer scrape-me").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(scraped.statusCode()).isEqualTo(200);
      assertThat(scraped.body()).contains("gatehouse_ui_clickhouse_queries_seconds_count{outcome=\"error\",service=\"gatehouse-ui\"}")
          .contains("jvm_memory_used_bytes");
    }
    try (AnalyticsUi ui = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0", "GATEHOUSE_CLICKHOUSE_URL", "http://127.0.0.1:1"))) {
      HttpResponse<String> off = get("http://127.0.0.1:" + ui.port() + "/metrics");
      assertThat(off.statusCode()).isEqualTo(404);
      assertThat(off.body()).contains(AnalyticsUi.METRICS_TOKEN);
    }
  }

  @Test
  void closeReleasesThePort() throws Exception {
    AnalyticsUi ui = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0", "GATEHOUSE_CLICKHOUSE_URL", "http://127.0.0.1:1"));
    String url = "http://127.0.0.1:" + ui.port() + "/";
    assertThat(get(url).statusCode()).isEqualTo(200);

    ui.close();

    assertThatThrownBy(() -> get(url)).isInstanceOf(ConnectException.class);
  }

  @Test
  void rejectsAPortThatIsNotANumber() {
    assertThatThrownBy(() -> AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "80a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GATEHOUSE_UI_PORT");
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
