package io.gatehouse.ui;

import io.gatehouse.ui.auth.PasswordHash;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.stream.Collectors;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** Headless Debian Chromium for the browser tests, and signing in to the UI. */
final class Browser {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String USER = "it";
  static final String PASSWORD = "it-password";
  /** {@code GATEHOUSE_UI_USERS} for a UI the browser tests can sign in to. */
  static final String USERS = USER + ":" + PasswordHash.hash(PASSWORD.toCharArray());

  private Browser() {}

  /** One driver service per browser: quit() stops the service it was started with. */
  static WebDriver open() {
    ChromeDriverService driverService = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver"))
        .usingAnyFreePort()
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1400,900");
    return new ChromeDriver(driverService, options);
  }

  /** Opens {@code url}, which forwards to the login page, signs in and waits to be back on {@code url}'s page. */
  static void signInAt(WebDriver driver, String url) {
    driver.get(url);
    WebDriverWait wait = new WebDriverWait(driver, WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#login-user input"))).sendKeys(USER);
    driver.findElement(By.cssSelector("#login-password input")).sendKeys(PASSWORD);
    driver.findElement(By.id("login-submit")).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.id("sign-out")));
  }

  /** Opens the vaadin-select {@code id} and picks the item labelled {@code label}. */
  static void choose(WebDriver driver, String id, String label) {
    driver.findElement(By.id(id)).click();
    new WebDriverWait(driver, WAIT).until(ExpectedConditions.elementToBeClickable(
        By.xpath("//vaadin-select-item[normalize-space(.)='" + label + "']"))).click();
  }

  /** GET {@code href} (relative to the page) in the browser's session: its cookies go along. */
  static String fetch(WebDriver driver, String href) throws IOException, InterruptedException {
    URI uri = URI.create(driver.getCurrentUrl()).resolve(href);
    String cookies = driver.manage().getCookies().stream().map(c -> c.getName() + "=" + c.getValue())
        .collect(Collectors.joining("; "));
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(uri).header("Cookie", cookies).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("GET " + uri + " answered " + response.statusCode());
    }
    return response.body();
  }

  static By cell(String text) {
    return By.xpath("//vaadin-grid-cell-content[normalize-space(.)='" + text + "']");
  }

  static void screenshot(WebDriver driver, String name) throws IOException {
    Files.copy(((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(), Path.of("target", name),
        StandardCopyOption.REPLACE_EXISTING);
  }
}
