package io.gatehouse.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real browser (Debian's Chromium, headless) opens the Requests page and finds a request that was
 * just made through the proxy: the whole path from SDK call to pixels.
 */
class RequestsPageBrowserIT {
  private final GatehouseStack stack = GatehouseStack.get();
  private ChromeDriver browser;

  @BeforeEach
  void openBrowser() {
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1400,900");
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  void requestsPageShowsARequestJustMadeThroughTheProxy() throws Exception {
    String uiUrl = stack.uiUrl();
    String user = "browser-" + UUID.randomUUID().toString().substring(0, 8);
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(stack.proxyUrl() + "/v1/chat/completions"))
                    .header("content-type", "application/json")
                    .header("x-gatehouse-user", user)
                    .header("x-gatehouse-feature", "browser-check")
                    .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"fake/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello browser\"}]}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);

    browser.get(uiUrl + "/requests");
    // every page needs a sign-in; GatehouseStack starts the UI with the demo's users file (demo / demo)
    WebDriverWait signIn = new WebDriverWait(browser, Duration.ofSeconds(30));
    signIn.until(d -> !d.findElements(By.cssSelector("#login-user input")).isEmpty());
    browser.findElement(By.cssSelector("#login-user input")).sendKeys("demo");
    browser.findElement(By.cssSelector("#login-password input")).sendKeys("demo");
    browser.findElement(By.id("login-submit")).click();
    signIn.until(d -> !d.findElements(By.id("sign-out")).isEmpty());
    // The page refreshes itself; the row must appear without a reload, within the ingest + poll delay.
    new WebDriverWait(browser, Duration.ofSeconds(45))
        .until(d -> d.getPageSource().contains(user));
    new WebDriverWait(browser, Duration.ofSeconds(20))
        .until(d -> !d.findElements(By.cssSelector("canvas, svg")).isEmpty());
    Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
    Path target = Path.of("target", "e2e-requests-page.png");
    Files.createDirectories(target.getParent());
    Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
    assertThat(browser.getPageSource()).contains("browser-check");
  }
}
