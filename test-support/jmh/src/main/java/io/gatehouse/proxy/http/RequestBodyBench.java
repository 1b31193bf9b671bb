package io.gatehouse.proxy.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.jmh.ChatRequests;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
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
 * The request-body work of every chat request before routing, on the IO thread: {@link OpenAiRequestBody#parseObject}
 * (attribution from the headers, then the whole body into a Jackson tree) and {@link ChatRequestCheck#check} (the
 * messages' shape and the parameter ranges), for each of {@link ChatRequests}' bodies. {@code parse} includes the
 * {@link CallRecord} the handler makes first (its UUIDv7 id and clock readings), which {@code parseObject} writes to.
 *
 * <p>In the proxy's package: both are package-private. The exchange has no connection; {@code parseObject}
 * only reads its request headers on the success path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RequestBodyBench {
  @Param({ChatRequests.SHORT, ChatRequests.FAQ, ChatRequests.CHAT})
  public String request;

  private byte[] body;
  private final HttpServerExchange exchange = new HttpServerExchange(null);
  private ObjectNode parsed;

  @Setup
  public void setUp() {
    body = ChatRequests.body(request);
    exchange.getRequestHeaders().put(HttpString.tryFromString("x-gatehouse-team"), "support");
    exchange.getRequestHeaders().put(HttpString.tryFromString("x-gatehouse-feature"), "help-center");
    parsed = parse();
  }

  @Benchmark
  public ObjectNode parse() {
    CallRecord record = new CallRecord(e -> true, ChatCompletionsHandler.ENDPOINT);
    return OpenAiRequestBody.parseObject(exchange, record, body, "", "");
  }

  /** Null when the request may be forwarded (every body here may). */
  @Benchmark
  public Object check() {
    return ChatRequestCheck.check(parsed);
  }
}
