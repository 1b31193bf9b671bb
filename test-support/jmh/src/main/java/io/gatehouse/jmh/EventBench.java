package io.gatehouse.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.config.GatehouseConfig;
import io.gatehouse.proxy.events.EventEncoder;
import io.gatehouse.proxy.events.PromptHash;
import io.gatehouse.proxy.events.Redactor;
import io.gatehouse.proxy.pipeline.Attribution;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.provider.ProviderRegistry;
import io.gatehouse.proxy.provider.Usage;
import io.gatehouse.schemas.GatehouseEvent;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One event, as the proxy makes it for a streamed chat answer:
 * <ul>
 *   <li>{@code build}: on the request's IO thread — a {@link CallRecord} (UUIDv7 id, clock readings), the
 *       builder filled as the handler and forwarder fill it (attribution, params, prompt, route, provider,
 *       answer, usage), priced from the catalog and finished, which hands it to the sink;
 *   <li>{@code encode}: on the publisher thread — {@link EventEncoder} with the redaction the proxy is
 *       configured with (every built-in pattern, the default), i.e. the Kafka record's value bytes;
 *   <li>{@code encodeWithoutRedaction}: the same with {@code redaction: {patterns: []}}, for comparison.
 * </ul>
 * The prompt is one of {@link ChatRequests}' bodies.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String COMPLETION = "To reset your password, open the sign-in page, choose \"Forgot password\" "
      + "and enter your account e-mail. If the mail does not arrive within five minutes, check the spam folder "
      + "and whether your domain blocks acme.example; see docs/account/password-reset.";

  @Param({ChatRequests.SHORT, ChatRequests.FAQ, ChatRequests.CHAT})
  public String request;

  private final HeaderMap headers = new HeaderMap();
  private ObjectNode body;
  private JsonNode messages;
  private ObjectNode params;
  private String promptHash;
  private Provider openai;
  private EventEncoder configured;
  private final EventEncoder plain = EventEncoder.plain();
  private GatehouseEvent published;
  GatehouseEvent event;

  @Setup
  public void setUp() throws IOException {
    headers.put(HttpString.tryFromString("x-gatehouse-team"), "support");
    headers.put(HttpString.tryFromString("x-gatehouse-feature"), "help-center");
    headers.put(HttpString.tryFromString("x-gatehouse-tags"), "env=prod,region=eu");
    body = (ObjectNode) JSON.readTree(ChatRequests.body(request));
    messages = body.get("messages");
    params = body.deepCopy();
    params.remove("messages");
    promptHash = PromptHash.sha256Hex(JSON.writeValueAsBytes(messages));
    GatehouseConfig config = BenchConfig.load();
    openai = new ProviderRegistry(config).get("openai").orElseThrow();
    // as GatehouseProxy wires the publisher's encoder
    configured = new EventEncoder(Redactor.of(config.events().redaction()), config.events()::metadataOnly);
    event = build();
  }

  @Benchmark
  public GatehouseEvent build() {
    CallRecord record = new CallRecord(e -> {
      published = e;
      return true;
    }, "/v1/chat/completions");
    Attribution.from(headers, body).applyTo(record.event());
    record.event().stream(true).params(params).prompt(messages).promptHash(promptHash)
        .modelRequested(body.path("model").asText()).route("chat-default").cacheResult("miss");
    record.event().provider(openai.name()).fallbackUsed(false).model("gpt-4o-mini");
    record.pricedBy(openai.prices(), openai.name(), openai.type().priceFamily());
    record.attemptStarted(openai.name(), openai.type().yamlName(), "gpt-4o-mini");
    record.firstByteSent();
    record.event().model("gpt-4o-mini-2024-07-18").finishReason("stop").completion(COMPLETION);
    record.usage(new Usage(312L, 64L, 0L, 0L));
    record.finish(200, new GatehouseEvent.Attempt(openai.name(), null, "gpt-4o-mini", 200, null, 0));
    return published;
  }

  @Benchmark
  public byte[] encode() {
    return configured.encode(event);
  }

  @Benchmark
  public byte[] encodeWithoutRedaction() {
    return plain.encode(event);
  }
}
