package io.gatehouse.ui;

import static io.gatehouse.ui.requests.TestEvents.event;
import static io.gatehouse.ui.requests.TestEvents.insert;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.ui.requests.TestEvents;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The Requests page in headless Chromium, against a real ClickHouse and the UI started in-process.
 * Chromium and ChromeDriver are Debian's, given explicitly so that Selenium Manager never runs.
 */
class RequestsPageIT {
  private static ClickHouseServer clickHouse;
  private static AnalyticsUi ui;
  private WebDriver driver;

  @BeforeAll
  static void startServers() {
    clickHouse = TestEvents.migratedServer();
    ui = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0", "GATEHOUSE_CLICKHOUSE_URL", clickHouse.httpUrl(),
        "GATEHOUSE_UI_USERS", Browser.USERS));
  }

  @AfterAll
  static void stopServers() {
    if (ui != null) {
      ui.close();
    }
  }

  @BeforeEach
  void openBrowser() {
    driver = Browser.open();
  }

  @AfterEach
  void closeBrowser() {
    if (driver != null) {
      driver.quit();
    }
  }

  @Test
  void showsRecentRequestsInTheGridAndTheChartAndPicksUpNewOnes() throws IOException {
    String user = "it-" + UUID.randomUUID().toString().substring(0, 8);
    insert(clickHouse, trafficOfTheLastDay());
    insert(clickHouse, event(Instant.now().minusSeconds(5), user).put("model", "gpt-4o").put("cost_usd", 0.0042));

    Browser.signInAt(driver, "http://127.0.0.1:" + ui.port() + "/requests");
    WebDriverWait wait = new WebDriverWait(driver, Browser.WAIT);

    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(user)));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("gh-chart canvas")));
    assertThat(driver.findElement(By.cssSelector("h1")).getText()).isEqualTo("Gatehouse · Requests");
    assertThat(driver.findElements(By.cssSelector(".gh-status.error"))).as("error rows are marked").isNotEmpty();

    // a request made while the page is open appears without a reload (the page polls)
    String later = user + "-later";
    insert(clickHouse, event(Instant.now(), later));
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(later)));

    Browser.screenshot(driver, "requests-page.png");
  }

  @Test
  void filtersInTheUrlNarrowTheListAndARowOpensItsDetail() throws IOException {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String slow = "slow-" + run;
    String fast = "fast-" + run;
    ObjectNode slowEvent = event(Instant.now().minusSeconds(30), slow).put("feature", "feat-" + run)
        .put("duration_ms", 12_345).put("stream", 1).put("ttft_ms", 900).put("overhead_us", 350).put("upstream_ms", 12_300)
        .put("prompt", "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Why is the sky blue?\"}]")
        .put("completion", "Rayleigh scattering.").put("fallback_used", 1);
    slowEvent.putArray("attempts.provider").add("anthropic").add("openai");
    slowEvent.putArray("attempts.deployment").add("anthropic#0").add("openai#0");
    slowEvent.putArray("attempts.model").add("claude-3-5-haiku").add("gpt-4o-mini");
    slowEvent.putArray("attempts.status").add(529).add(200);
    slowEvent.putArray("attempts.failure_class").add("transient").add("");
    slowEvent.putArray("attempts.duration_ms").add(40).add(12_250);
    insert(clickHouse, slowEvent, event(Instant.now().minusSeconds(20), fast).put("feature", "feat-" + run).put("duration_ms", 90));

    Browser.signInAt(driver, "http://127.0.0.1:" + ui.port() + "/requests?feature=feat-" + run);
    WebDriverWait wait = new WebDriverWait(driver, Browser.WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(slow)));
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(fast)));
    assertThat(driver.findElement(By.cssSelector("#filter-feature input")).getAttribute("value")).isEqualTo("feat-" + run);

    // typing a filter narrows the list and lands in the URL
    driver.findElement(By.cssSelector("#filter-latency input")).sendKeys("10000");
    wait.until(ExpectedConditions.invisibilityOfElementLocated(cell(fast)));
    wait.until(ExpectedConditions.urlContains("latency_ge=10000"));
    assertThat(driver.findElements(cell(slow))).isNotEmpty();
    driver.get("http://127.0.0.1:" + ui.port() + "/requests?feature=feat-" + run + "&q=rayleigh");
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(slow)));
    assertThat(driver.findElements(cell(fast))).as("text search in prompt/completion").isEmpty();
    Browser.screenshot(driver, "requests-search.png");

    driver.findElement(cell(slow)).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.id("detail-conversation")));
    assertThat(driver.findElement(By.id("detail-conversation")).getText())
        .contains("Be brief.").contains("Why is the sky blue?").contains("Rayleigh scattering.");
    assertThat(driver.findElement(By.id("detail-timings")).getText()).contains("12,345 ms").contains("900 ms").contains("0.35 ms");
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell("transient")));
    assertThat(driver.findElement(By.id("detail-raw")).getText()).contains("\"event_id\"").contains(slow);
    Browser.screenshot(driver, "request-detail.png");
  }

  @Test
  void saysWhatClickHouseAnsweredWhenThereIsNoData() {
    try (AnalyticsUi down = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0",
        "GATEHOUSE_CLICKHOUSE_URL", "http://127.0.0.1:1", "GATEHOUSE_UI_USERS", Browser.USERS))) {
      Browser.signInAt(driver, "http://127.0.0.1:" + down.port() + "/requests");

      new WebDriverWait(driver, Browser.WAIT).until(ExpectedConditions.textToBePresentInElementLocated(
          By.cssSelector(".gh-banner"), "No data yet: is ingest running? ClickHouse at http://127.0.0.1:1 answered:"));
    }
  }

  /** A grid cell whose whole text is {@code text}: Vaadin grid cells live in the light DOM. */
  private static By cell(String text) {
    return Browser.cell(text);
  }

  /** Realistic background traffic so the chart shows bars of both kinds. */
  private static ObjectNode[] trafficOfTheLastDay() {
    Random random = new Random(42);
    String[] users = {"ana@acme.io", "bo@acme.io", "chen@acme.io", "dara@acme.io"};
    String[] features = {"summarize", "support-bot", "search"};
    String[][] models = {{"gpt-4o-mini", "openai"}, {"claude-3-5-haiku", "anthropic"}, {"gemini-2.0-flash", "gemini"}};
    List<ObjectNode> events = new ArrayList<>();
    Instant now = Instant.now();
    for (int i = 0; i < 160; i++) {
      Instant ts = now.minusSeconds(60 + (long) (Math.pow(random.nextDouble(), 1.6) * 23 * 3600));
      String[] model = models[random.nextInt(models.length)];
      ObjectNode e = event(ts, users[random.nextInt(users.length)])
          .put("feature", features[random.nextInt(features.length)])
          .put("model", model[0]).put("provider", model[1])
          .put("duration_ms", 300 + random.nextInt(4000))
          .put("input_tokens", 50 + random.nextInt(2000)).put("output_tokens", 20 + random.nextInt(800))
          .put("cost_usd", random.nextInt(5000) / 1_000_000.0);
      if (random.nextBoolean()) {
        e.put("stream", 1).put("ttft_ms", 80 + random.nextInt(700));
      }
      if (random.nextInt(9) == 0) {
        e.put("status", 429).put("error_class", "rate_limit").put("error_message", "Rate limit reached for requests")
            .putNull("cost_usd").putNull("output_tokens");
      }
      events.add(e);
    }
    return events.toArray(ObjectNode[]::new);
  }
}
