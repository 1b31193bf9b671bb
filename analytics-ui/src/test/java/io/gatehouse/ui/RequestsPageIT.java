package io.gatehouse.ui;

import static io.gatehouse.ui.requests.TestEvents.event;
import static io.gatehouse.ui.requests.TestEvents.insert;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.ui.requests.TestEvents;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
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
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The Requests page in headless Chromium, against a real ClickHouse and the UI started in-process.
 * Chromium and ChromeDriver are Debian's, given explicitly so that Selenium Manager never runs.
 */
class RequestsPageIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static ClickHouseServer clickHouse;
  private static AnalyticsUi ui;
  private WebDriver driver;

  @BeforeAll
  static void startServers() {
    clickHouse = TestEvents.migratedServer();
    ui = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0", "GATEHOUSE_CLICKHOUSE_URL", clickHouse.httpUrl()));
  }

  @AfterAll
  static void stopServers() {
    if (ui != null) {
      ui.close();
    }
  }

  /** One driver service per browser: quit() stops the service it was started with. */
  @BeforeEach
  void openBrowser() {
    ChromeDriverService driverService = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver"))
        .usingAnyFreePort()
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1400,900");
    driver = new ChromeDriver(driverService, options);
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

    driver.get("http://127.0.0.1:" + ui.port() + "/");
    WebDriverWait wait = new WebDriverWait(driver, WAIT);

    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(user)));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("gh-chart canvas")));
    assertThat(driver.findElement(By.cssSelector("h1")).getText()).isEqualTo("Gatehouse · Requests");
    assertThat(driver.findElements(By.cssSelector(".gh-status.error"))).as("error rows are marked").isNotEmpty();

    // a request made while the page is open appears without a reload (the page polls)
    String later = user + "-later";
    insert(clickHouse, event(Instant.now(), later));
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(later)));

    Path screenshot = Path.of("target", "requests-page.png");
    Files.copy(((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(), screenshot,
        StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void saysWhatClickHouseAnsweredWhenThereIsNoData() {
    try (AnalyticsUi down = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0",
        "GATEHOUSE_CLICKHOUSE_URL", "http://127.0.0.1:1"))) {
      driver.get("http://127.0.0.1:" + down.port() + "/requests");

      new WebDriverWait(driver, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(
          By.cssSelector(".gh-banner"), "No data yet: is ingest running? ClickHouse at http://127.0.0.1:1 answered:"));
    }
  }

  /** A grid cell whose whole text is {@code text}: Vaadin grid cells live in the light DOM. */
  private static By cell(String text) {
    return By.xpath("//vaadin-grid-cell-content[normalize-space(.)='" + text + "']");
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
