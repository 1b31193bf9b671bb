package io.gatehouse.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.cache.CacheKey;
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
 * The exact cache's key ({@link CacheKey#of}: canonical JSON of the parsed request, SHA-256 of it, and the
 * semantic partition's hash when the last turn is the user's) for each of {@link ChatRequests}' bodies, as
 * the cache stage computes it on the IO thread for every request of a cached route.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CacheKeyBench {
  @Param({ChatRequests.SHORT, ChatRequests.FAQ, ChatRequests.CHAT})
  public String request;

  private ObjectNode body;

  @Setup
  public void setUp() throws IOException {
    body = (ObjectNode) new ObjectMapper().readTree(ChatRequests.body(request));
  }

  @Benchmark
  public CacheKey.Keys key() {
    return CacheKey.of(body, "team:support", "chat-default", "openai/gpt-4o-mini", CacheKey.Form.SSE_WITH_USAGE);
  }
}
