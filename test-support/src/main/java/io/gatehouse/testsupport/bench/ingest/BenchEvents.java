package io.gatehouse.testsupport.bench.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.schemas.EventIds;
import io.gatehouse.schemas.GatehouseEvent;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Realistic proxy events for the ingest benchmark, ≈ 1.5 KB of event JSON each: varied users, teams,
 * models, prompts and completions, some streaming, some failing. Built with {@link GatehouseEvent}'s
 * builder, so every one is a valid v1 event. Deterministic for a seed. Not thread-safe.
 */
public final class BenchEvents {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final List<String> MODELS = List.of("openai/gpt-4o-mini", "openai/gpt-4o", "anthropic/claude-3-5-haiku",
      "anthropic/claude-sonnet-4", "mistral/mistral-small", "google/gemini-2.0-flash");
  private static final List<String> TEAMS = List.of("support", "search", "growth", "platform", "legal", "data");
  private static final List<String> FEATURES = List.of("order-status", "summarise", "translate", "classify",
      "draft-reply", "extract-fields", "qa", "rewrite");
  private static final String[] WORDS = ("the order invoice customer shipping refund account password delivery "
      + "product warranty summary contract clause meeting notes report quarterly revenue forecast translate "
      + "german french please short answer table bullet points explain why how when where status tracking "
      + "number address change cancel subscription plan upgrade premium support ticket priority urgent "
      + "escalate manager feedback review rating policy privacy data export delete request").split(" ");

  private final SplittableRandom random;
  private final int users;

  /** @param users distinct user ids to spread events over */
  public BenchEvents(long seed, int users) {
    this.random = new SplittableRandom(seed);
    this.users = users;
  }

  /** One event that ended at {@code endMs}; {@code environment} marks the benchmark phase. */
  public GatehouseEvent next(long endMs, String environment) {
    String model = MODELS.get(random.nextInt(MODELS.size()));
    String provider = model.substring(0, model.indexOf('/'));
    String upstream = model.substring(model.indexOf('/') + 1);
    int user = random.nextInt(users);
    boolean stream = random.nextInt(3) == 0;
    int dice = random.nextInt(100);
    int status = dice < 2 ? 503 : dice < 3 ? 429 : 200;
    long duration = 150 + random.nextInt(2_500);
    long start = endMs - duration;
    String deployment = provider + "#0/" + upstream;
    ObjectNode params = NODES.objectNode().put("temperature", random.nextInt(10) / 10.0).put("max_tokens", 256);
    GatehouseEvent.Builder b = GatehouseEvent.builder()
        .eventId(EventIds.of(start, random.nextLong(), random.nextLong()).toString())
        .tsStartMs(start)
        .tsEndMs(endMs)
        .durationMs(duration)
        .upstreamMs(duration - 1)
        .overheadUs(250L + random.nextInt(500))
        .endpoint("/v1/chat/completions")
        .modelRequested(model)
        .model(upstream)
        .provider(provider)
        .deployment(deployment)
        .stream(stream)
        .params(params)
        .prompt(prompt())
        .promptHash(hex(64))
        .status(status)
        .virtualKeyId("vk-" + (user % 50))
        .team(TEAMS.get(user % TEAMS.size()))
        .user("u-" + user)
        .feature(FEATURES.get(random.nextInt(FEATURES.size())))
        .environment(environment)
        .tags(Map.of("env", "prod", "tier", random.nextBoolean() ? "gold" : "free"))
        .traceId(hex(32))
        .spanId(hex(16))
        .sessionId("s-" + random.nextInt(100_000))
        .route(model)
        .attempts(List.of(new GatehouseEvent.Attempt(provider, deployment, upstream, status,
            status == 200 ? null : status == 429 ? "rate_limit" : "transient", duration - 1)))
        .cacheResult(random.nextInt(10) == 0 ? "hit" : "miss");
    if (status == 200) {
      long in = 40 + random.nextInt(900);
      long out = 10 + random.nextInt(400);
      b.finishReason("stop").completion(text(5 + random.nextInt(12)))
          .inputTokens(in).outputTokens(out).cachedInputTokens(0L).reasoningTokens(0L)
          .costUsd((in * 0.15 + out * 0.6) / 1_000_000).priceVersion("2026-11");
      if (stream) {
        long ttft = Math.min(duration, 80 + random.nextInt(300));
        b.ttftMs(ttft).tsFirstTokenMs(start + ttft);
      }
    } else {
      b.errorClass(status == 429 ? "rate_limit_error" : "server_error")
          .errorMessage(status == 429 ? "Rate limit reached for requests" : "Upstream unavailable");
    }
    return b.build();
  }

  private JsonNode prompt() {
    ArrayNode messages = NODES.arrayNode();
    messages.addObject().put("role", "system").put("content", "You are a helpful assistant for " + text(6) + ".");
    messages.addObject().put("role", "user").put("content", text(10 + random.nextInt(22)));
    return messages;
  }

  private String text(int words) {
    StringBuilder sb = new StringBuilder(words * 8);
    for (int i = 0; i < words; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(WORDS[random.nextInt(WORDS.length)]);
      if (random.nextInt(12) == 0) {
        sb.append(' ').append(random.nextInt(10_000));
      }
    }
    return sb.toString();
  }

  private String hex(int digits) {
    StringBuilder sb = new StringBuilder(digits);
    while (sb.length() < digits) {
      sb.append(Long.toHexString(random.nextLong() | Long.MIN_VALUE));
    }
    return sb.substring(0, digits);
  }
}
