package io.gatehouse.testsupport.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Demo traffic for {@code ./gatehouse demo}: a steady trickle of realistic chat requests through the
 * proxy, spread over users, teams, features and models, some streamed, a few that fail (unknown model,
 * upstream error), so every page of the UI has something to show.
 *
 * <p>Requests are sent asynchronously at a fixed rate; a slow proxy never slows the schedule.
 */
@Command(name = "gatehouse-demo-traffic", mixinStandardHelpOptions = true,
    description = "Sends demo chat traffic to a Gatehouse proxy.")
public final class DemoTraffic implements Callable<Integer> {
  private static final List<String> USERS =
      List.of("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy");
  private static final List<String> TEAMS = List.of("support", "search", "growth");
  private static final List<String> FEATURES = List.of("summarize", "chat", "classify", "extract");
  private static final List<String> PROMPTS =
      List.of(
          "Summarise this support ticket about a late delivery in two sentences.",
          "Classify the sentiment of: the new dashboard is fantastic but slow.",
          "Extract the order number and city from: order 88123 shipped to Lisbon.",
          "Write a friendly reply to a customer asking for a refund.",
          "What are three ways to reduce cloud costs for a small startup?",
          "Translate 'where is the train station' into French and German.");

  @Option(names = "--proxy", defaultValue = "http://127.0.0.1:8080", description = "Proxy base URL.")
  String proxy;

  @Option(names = "--rate", defaultValue = "4", description = "Requests per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--models", split = ",", defaultValue = "demo/gpt-4o-mini,demo/llama-3.1-8b,chat-default",
      description = "Models to spread traffic over.")
  List<String> models;

  @Option(names = "--count", defaultValue = "0", description = "Stop after this many requests (0 = run until stopped).")
  long count;

  @Option(names = "--backfill-hours", defaultValue = "0",
      description = "Before live traffic, publish this many past hours of synthetic history to Kafka (0 = none).")
  int backfillHours;

  @Option(names = "--kafka", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap for --backfill-hours.")
  String kafka;

  @Option(names = "--prices-from", description = "Gatehouse YAML whose prices: price the --backfill-hours history "
      + "(as the proxy prices live traffic); without it, the built-in catalog only.")
  java.nio.file.Path pricesFrom;

  private final Random random = new Random(42);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  public static void main(String[] args) {
    System.exit(new CommandLine(new DemoTraffic()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    if (backfillHours > 0) {
      int sent = DemoHistory.publish(kafka, backfillHours, USERS, TEAMS, FEATURES, models,
          DemoHistory.prices(pricesFrom));
      System.out.printf("Demo history: %d synthetic events for the last %d hours published to %s "
          + "(environment 'demo-history')%n", sent, backfillHours, kafka);
    }
    waitForProxy();
    System.out.printf("Demo traffic: %.1f req/s to %s over %s%n", rate, proxy, models);
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    long periodMicros = (long) (1_000_000 / rate);
    scheduler.scheduleAtFixedRate(this::sendOne, 0, periodMicros, TimeUnit.MICROSECONDS);
    scheduler.scheduleAtFixedRate(
        () -> System.out.printf("Demo traffic: %d sent, %d ok, %d errors (on purpose, some are)%n",
            sent.get(), ok.get(), failed.get()),
        30, 30, TimeUnit.SECONDS);
    while (count == 0 || sent.get() < count) {
      Thread.sleep(200); // main thread only watches the counter; requests go out on the scheduler
    }
    scheduler.shutdown();
    scheduler.awaitTermination(30, TimeUnit.SECONDS);
    return 0;
  }

  private void waitForProxy() throws InterruptedException {
    URI health = URI.create(proxy + "/health");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.discarding()).statusCode()
            == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not up yet
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("proxy at " + proxy + " did not become healthy within 3 minutes");
  }

  private void sendOne() {
    if (count > 0 && sent.get() >= count) {
      return;
    }
    sent.incrementAndGet();
    String user = USERS.get(random.nextInt(USERS.size()));
    String model = models.get(random.nextInt(models.size()));
    int dice = random.nextInt(100);
    if (dice < 2) {
      model = "nosuchprovider/gpt-5"; // a client mistake: a clear 4xx, recorded as an event
    } else if (dice < 5) {
      model = "demo/gpt-4o-mini@fail-503"; // the fake provider fails this one: an upstream error
    }
    boolean stream = random.nextInt(3) == 0;
    String prompt = PROMPTS.get(random.nextInt(PROMPTS.size()));
    String body =
        "{\"model\":\"" + model + "\",\"stream\":" + stream
            + ",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
            + "{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(proxy + "/v1/chat/completions"))
            .timeout(Duration.ofSeconds(60))
            .header("content-type", "application/json")
            .header("authorization", "Bearer demo-client-key")
            .header("x-gatehouse-user", user)
            .header("x-gatehouse-team", TEAMS.get(Math.abs(user.hashCode()) % TEAMS.size()))
            .header("x-gatehouse-feature", FEATURES.get(random.nextInt(FEATURES.size())))
            .header("x-gatehouse-tags", "env=demo")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (response, error) -> {
              if (error == null && response.statusCode() == 200) {
                ok.incrementAndGet();
              } else {
                failed.incrementAndGet();
              }
            });
  }
}
