package io.gatehouse.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.jmh.ChatRequests;
import org.junit.jupiter.api.Test;

/** Every benchmark body parses to the request it is and passes the proxy's checks (none is rejected). */
class RequestBodyBenchTest {
  @Test
  void everyBodyParsesAndMayBeForwarded() {
    for (String shape : new String[] {ChatRequests.SHORT, ChatRequests.FAQ, ChatRequests.CHAT}) {
      RequestBodyBench bench = new RequestBodyBench();
      bench.request = shape;
      bench.setUp();
      ObjectNode request = bench.parse();
      assertThat(request).as(shape).isNotNull();
      assertThat(request.path("messages").size()).as(shape).isGreaterThan(0);
      assertThat(request.path("stream").asBoolean()).as(shape).isTrue();
      assertThat(bench.check()).as(shape).isNull();
    }
  }
}
