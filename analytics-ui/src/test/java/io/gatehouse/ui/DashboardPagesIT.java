package io.gatehouse.ui;

import static io.gatehouse.ui.Browser.cell;
import static io.gatehouse.ui.requests.TestEvents.event;
import static io.gatehouse.ui.requests.TestEvents.insert;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.ui.experiments.ExperimentSeeds;
import io.gatehouse.ui.requests.TestEvents;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Sign-in, Overview, Costs, Experiments and Keys in headless Chromium against a real ClickHouse and the
 * UI started in-process. Names are unique per run: the shared ClickHouse holds other tests' rows too.
 */
class DashboardPagesIT {
  private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
  private static ClickHouseServer clickHouse;
  private static AnalyticsUi ui;
  private WebDriver driver;

  @BeforeAll
  static void startServers() {
    clickHouse = TestEvents.migratedServer();
    ui = AnalyticsUi.start(Map.of("GATEHOUSE_UI_PORT", "0", "GATEHOUSE_CLICKHOUSE_URL", clickHouse.httpUrl(),
        "GATEHOUSE_UI_USERS", Browser.USERS, "GATEHOUSE_UI_BUDGETS", "key:vk-" + RUN + "=10"));
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

  private static String url(String path) {
    return "http://127.0.0.1:" + ui.port() + path;
  }

  @Test
  void everyPageNeedsASignInButHealthDoesNot() throws Exception {
    HttpResponse<String> health = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(url("/health"))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("ok");

    driver.get(url("/costs?by=user"));
    WebDriverWait wait = new WebDriverWait(driver, Browser.WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#login-user input"))).sendKeys(Browser.USER);
    assertThat(driver.findElements(By.id("cost-grid"))).isEmpty();
    driver.findElement(By.cssSelector("#login-password input")).sendKeys("wrong");
    driver.findElement(By.id("login-submit")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("login-error"), "Wrong user or password."));
    Browser.screenshot(driver, "login-page.png");

    driver.findElement(By.cssSelector("#login-password input")).sendKeys(Browser.PASSWORD);
    driver.findElement(By.id("login-submit")).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.id("cost-grid")));
    assertThat(driver.getCurrentUrl()).contains("/costs").contains("by=user");

    driver.findElement(By.id("sign-out")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#login-user input")));
    driver.get(url("/keys"));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#login-user input")));
    assertThat(driver.findElements(By.id("keys-grid"))).isEmpty();
  }

  @Test
  void overviewShowsTodaysSpendAndTheTopSpenders() throws IOException {
    String big = "big-" + RUN;
    Instant now = Instant.now();
    insert(clickHouse,
        event(now.minusSeconds(30), big).put("cost_usd", 40.0).put("model", "gpt-4o").put("feature", "feat-" + RUN),
        event(now.minusSeconds(20), big).put("cost_usd", 35.0).put("model", "gpt-4o").put("feature", "feat-" + RUN)
            .put("status", 500).put("error_class", "transient"));

    Browser.signInAt(driver, url("/"));
    WebDriverWait wait = new WebDriverWait(driver, Browser.WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(big)));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("gh-chart canvas")));
    assertThat(driver.findElement(By.cssSelector("h1")).getText()).isEqualTo("Gatehouse · Overview");
    String spend = driver.findElement(By.cssSelector("#spend-today .gh-figure-value")).getText();
    assertThat(Double.parseDouble(spend.replace("$", "").replace(",", ""))).isGreaterThanOrEqualTo(75.0);
    assertThat(driver.findElements(cell("feat-" + RUN))).isNotEmpty();
    Browser.screenshot(driver, "overview-page.png");

    // stacked by model, then by feature: the chart's series follow the choice
    String model = "gpt-4o";
    assertThat(chartOption()).contains("\"" + model + "\"").doesNotContain("\"feat-" + RUN + "\"");
    Browser.choose(driver, "stack-by", "Stack by feature");
    wait.until(d -> chartOption().contains("\"feat-" + RUN + "\""));
    assertThat(chartOption()).doesNotContain("\"" + model + "\"");
  }

  private String chartOption() {
    return driver.findElement(By.cssSelector("gh-chart")).getAttribute("option");
  }

  @Test
  void costExplorerGroupsByTheDimensionInTheUrlAndTheDateRangeNarrowsIt() throws Exception {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    Instant now = Instant.now();
    String old = "old-" + RUN;
    String recent = "recent-" + RUN;
    insert(clickHouse,
        event(today.minusDays(3).atStartOfDay().toInstant(ZoneOffset.UTC).plusSeconds(600), old).put("cost_usd", 400.0),
        event(now.minusSeconds(10), recent).put("cost_usd", 500.0).put("model", "model-" + RUN));

    Browser.signInAt(driver, url("/costs?by=user&bucket=day&from=" + today.minusDays(6) + "&to=" + today));
    WebDriverWait wait = new WebDriverWait(driver, Browser.WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(recent)));
    assertThat(driver.findElements(cell(old))).isNotEmpty();
    assertThat(driver.findElements(By.id("cost-cap-note"))).as("no note: nothing is cut").noneMatch(WebElement::isDisplayed);
    String csv = Browser.fetch(driver, driver.findElement(By.id("export-csv")).getAttribute("href"));
    assertThat(csv).startsWith("user,requests,errors,input_tokens,output_tokens,");
    assertThat(csv.lines()).anyMatch(l -> l.startsWith(recent + ",1,0,") && l.contains(",500,"))
        .anyMatch(l -> l.startsWith(old + ",1,0,") && l.contains(",400,"));
    Browser.screenshot(driver, "costs-page.png");

    driver.get(url("/costs?by=user&bucket=hour&from=" + today + "&to=" + today));
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(recent)));
    assertThat(driver.findElements(cell(old))).as("a day outside the range").isEmpty();

    driver.get(url("/costs?by=model&from=" + today + "&to=" + today));
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell("model-" + RUN)));
    assertThat(driver.findElements(cell(recent))).isEmpty();
  }

  @Test
  void aCostTableOfMoreThan500GroupsSaysSoAndItsCsvHasThemAll() throws Exception {
    Instant day = Instant.parse("2022-02-01T10:00:00Z");
    int users = 501;
    insert(clickHouse, java.util.stream.IntStream.range(0, users)
        .mapToObj(i -> event(day.plusSeconds(i), "cap-" + RUN + "-" + i).put("cost_usd", 1.0 + i))
        .toArray(com.fasterxml.jackson.databind.node.ObjectNode[]::new));

    Browser.signInAt(driver, url("/costs?by=user&bucket=day&from=2022-02-01&to=2022-02-01"));
    WebDriverWait wait = new WebDriverWait(driver, Browser.WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("cost-cap-note")));
    assertThat(driver.findElement(By.id("cost-cap-note")).getText()).contains("More than 500 groups by user");
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell("cap-" + RUN + "-" + (users - 1)))); // the most expensive

    String csv = Browser.fetch(driver, driver.findElement(By.id("export-csv")).getAttribute("href"));
    assertThat(csv.lines().filter(l -> l.startsWith("cap-" + RUN + "-"))).hasSize(users);
  }

  @Test
  void experimentsSaySignificantForARealDifferenceAndNotForNone() throws IOException {
    Instant now = Instant.now();
    String real = "exp-real-" + RUN;
    String none = "exp-null-" + RUN;
    String small = "exp-small-" + RUN;
    ExperimentSeeds.seed(clickHouse, real, now, 200, -0.2, 150, 0.5, 11);
    ExperimentSeeds.seed(clickHouse, none, now, 200, 0, 0, 0, 12);
    ExperimentSeeds.seed(clickHouse, small, now, 5, -0.5, 0, 0, 13);
    WebDriverWait wait = new WebDriverWait(driver, Browser.WAIT);

    Browser.signInAt(driver, url("/experiments?kind=experiment&name=" + real + "&baseline=control&days=1"));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.id("verdict-candidate-cost")));
    assertThat(verdict("cost")).isEqualTo("significant");
    assertThat(verdict("latency")).isEqualTo("significant");
    assertThat(verdict("feedback")).isEqualTo("significant");
    assertThat(verdict("p50")).isEqualTo("significant");
    assertThat(verdict("labels")).isEqualTo("significant");
    assertThat(driver.findElement(By.id("verdict-candidate-p50")).getText()).contains("95% bootstrap CI");
    assertThat(driver.findElement(By.id("verdict-candidate-cost")).getText()).contains("lower than control");
    Browser.screenshot(driver, "experiments-page.png");

    driver.get(url("/experiments?kind=experiment&name=" + none + "&baseline=control&days=1"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("verdict-candidate-cost"), "control"));
    assertThat(verdict("cost")).isEqualTo("not significant");
    assertThat(verdict("latency")).isEqualTo("not significant");
    assertThat(verdict("p50")).isEqualTo("not significant");

    driver.get(url("/experiments?kind=experiment&name=" + small + "&baseline=control&days=1"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("verdict-candidate-cost"), "too few samples"));
    assertThat(verdict("cost")).isEqualTo("not significant");
  }

  @Test
  void theExperimentsRangeNarrowsTheRequestsCounted() throws IOException {
    Instant now = Instant.now();
    String name = "exp-range-" + RUN;
    ExperimentSeeds.seed(clickHouse, name, now.minus(java.time.Duration.ofDays(3)), 30, 0, 0, 0, 21);
    ExperimentSeeds.seed(clickHouse, name, now, 40, 0, 0, 0, 22);

    Browser.signInAt(driver, url("/experiments?kind=experiment&name=" + name + "&baseline=control&days=7"));
    WebDriverWait wait = new WebDriverWait(driver, Browser.WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell("70")));
    Browser.choose(driver, "days", "Last 24 hours");
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell("40")));
    assertThat(driver.findElements(cell("70"))).isEmpty();
    assertThat(driver.getCurrentUrl()).contains("days=1").contains("name=" + name);
  }

  private String verdict(String metric) {
    return driver.findElement(By.cssSelector("#verdict-candidate-" + metric + " .gh-verdict-word")).getText();
  }

  @Test
  void keysShowSpendAgainstTheirBudget() throws IOException {
    String key = "vk-" + RUN;
    insert(clickHouse, event(Instant.now().minusSeconds(5), "k").put("virtual_key_id", key).put("cost_usd", 9.0));

    Browser.signInAt(driver, url("/keys"));
    WebDriverWait wait = new WebDriverWait(driver, Browser.WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(cell(key)));
    assertThat(driver.findElements(cell("$10.00"))).isNotEmpty();
    assertThat(driver.findElements(cell("90.0%"))).isNotEmpty();
    Browser.screenshot(driver, "keys-page.png");
  }
}
