package io.gatehouse.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.config.GatehouseConfig;
import io.gatehouse.proxy.provider.ProviderRegistry;
import io.gatehouse.proxy.routing.RouteFacts;
import io.gatehouse.proxy.routing.RouteTable;
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
 * The routing decision of one chat request with {@link BenchConfig} (the proxy's {@link RouteTable}, its
 * default thread-local randomness):
 * <ul>
 *   <li>{@code factsAndResolve}: what the handler does per request — {@link RouteFacts#of} (attribution
 *       headers, prompt-size estimate, tools, images) then {@link RouteTable#resolve(String, RouteFacts)};
 *   <li>{@code resolve}: the decision alone, facts already known.
 * </ul>
 * Scenarios: {@code alias} — {@code chat-default}, all five rules tried and none holds, a primary and a
 * fallback; {@code weighted} — {@code smart}, an 80/20 draw; {@code experiment} — feature {@code support}
 * (the first rule) sends the request to {@code support-chat}, whose experiment assigns the user's sticky
 * variant; {@code direct} — {@code openai/gpt-4o} without an alias.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingBench {
  @Param({"alias", "weighted", "experiment", "direct"})
  public String scenario;

  RouteTable routes;
  final HeaderMap headers = new HeaderMap();
  ObjectNode request;
  String model;
  RouteFacts facts;

  @Setup
  public void setUp() throws IOException {
    GatehouseConfig config = BenchConfig.load();
    routes = new RouteTable(config, new ProviderRegistry(config));
    headers.put(HttpString.tryFromString("x-gatehouse-user"), "user-4711");
    headers.put(HttpString.tryFromString("x-gatehouse-team"), "support");
    headers.put(HttpString.tryFromString("x-gatehouse-feature"), scenario.equals("experiment") ? "support" : "help-center");
    request = (ObjectNode) new ObjectMapper().readTree(ChatRequests.body(ChatRequests.FAQ));
    model = switch (scenario) {
      case "alias", "experiment" -> "chat-default";
      case "weighted" -> "smart";
      case "direct" -> "openai/gpt-4o";
      default -> throw new IllegalArgumentException("unknown scenario '" + scenario + "'");
    };
    request.put("model", model);
    facts = RouteFacts.of(headers, request);
  }

  @Benchmark
  public RouteTable.Resolution factsAndResolve() {
    return routes.resolve(model, RouteFacts.of(headers, request));
  }

  @Benchmark
  public RouteTable.Resolution resolve() {
    return routes.resolve(model, facts);
  }
}
