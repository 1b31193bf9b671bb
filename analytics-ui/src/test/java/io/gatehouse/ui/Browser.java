package io.gatehouse.ui;

import io.gatehouse.ui.auth.PasswordHash;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
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

  static By cell(String text) {
    return By.xpath("//vaadin-grid-cell-content[normalize-space(.)='" + text + "']");
  }

  static void screenshot(WebDriver driver, String name) throws IOException {
    Files.copy(((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(), Path.of("target", name),
        StandardCopyOption.REPLACE_EXISTING);
  }
}
