package io.gatehouse.ui.experiments;

import static io.gatehouse.ui.requests.TestEvents.event;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.testsupport.clickhouse.ClickHouseServer;
import io.gatehouse.ui.requests.TestEvents;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/** Seeded A/B traffic: two variants whose cost per request and latency differ by a chosen amount. */
public final class ExperimentSeeds {
  private static final DateTimeFormatter DATE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private ExperimentSeeds() {}

  /**
   * {@code n} requests per variant ("control", "candidate") of {@code experiment}, spread over the hour
   * before {@code end}. Cost ~ Normal(1.0, 0.2) USD for control and Normal(1.0 + costShift, 0.2) for the
   * candidate; latency likewise around 800 ms (σ 150) shifted by {@code latencyShiftMs}. Each request
   * gets a feedback score ~ Normal(3 + scoreShift for the candidate, 1) and the label "thumbs_up" when
   * the score is above 3, else "thumbs_down".
   */
  public static void seed(ClickHouseServer server, String experiment, Instant end, int n, double costShift,
                          int latencyShiftMs, double scoreShift, long seed) {
    Random random = new Random(seed);
    List<ObjectNode> events = new ArrayList<>();
    List<String> feedback = new ArrayList<>();
    for (String variant : List.of("control", "candidate")) {
      boolean candidate = variant.equals("candidate");
      for (int i = 0; i < n; i++) {
        Instant ts = end.minusSeconds(1 + random.nextInt(3500));
        double cost = Math.max(0.001, 1.0 + (candidate ? costShift : 0) + 0.2 * random.nextGaussian());
        int latency = (int) Math.max(50, 800 + (candidate ? latencyShiftMs : 0) + 150 * random.nextGaussian());
        ObjectNode e = event(ts, "u" + random.nextInt(50)).put("experiment", experiment).put("variant", variant)
            .put("cost_usd", cost).put("duration_ms", latency);
        events.add(e);
        double score = 3 + (candidate ? scoreShift : 0) + random.nextGaussian();
        feedback.add("{\"feedback_id\":\"" + java.util.UUID.randomUUID() + "\",\"event_id\":\"" + e.get("event_id").asText()
            + "\",\"ts\":\"" + DATE_TIME.format(ts.plusSeconds(5)) + "\",\"score\":" + score
            + ",\"label\":\"" + (score > 3 ? "thumbs_up" : "thumbs_down") + "\",\"comment\":\"\",\"user\":\"\"}");
      }
    }
    TestEvents.insert(server, events.toArray(ObjectNode[]::new));
    server.query("INSERT INTO gatehouse.feedback FORMAT JSONEachRow\n" + feedback.stream().collect(Collectors.joining("\n")));
  }
}
