package io.gatehouse.ui.requests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestFormatTest {

  @Test
  void formatsValuesForTheList() {
    assertThat(RequestFormat.time(Instant.parse("2025-03-04T05:06:07.890Z"))).isEqualTo("2025-03-04 05:06:07");
    assertThat(RequestFormat.timeOfDay(Instant.parse("2025-03-04T05:06:07.890Z"))).isEqualTo("05:06:07");
    assertThat(RequestFormat.count(1234567L)).isEqualTo("1,234,567");
    assertThat(RequestFormat.millis(2345L)).isEqualTo("2,345 ms");
    assertThat(RequestFormat.usd(0.000021)).isEqualTo("$0.000021");
    assertThat(RequestFormat.usd(12.5)).isEqualTo("$12.5000");
    assertThat(RequestFormat.text("")).isEqualTo("—");
  }

  @Test
  void unknownValuesShowAsADash() {
    assertThat(RequestFormat.count(null)).isEqualTo("—");
    assertThat(RequestFormat.millis(null)).isEqualTo("—");
    assertThat(RequestFormat.usd(null)).isEqualTo("—");
  }

  @Test
  void chartOptionStacksSuccessesAndErrorsPerBucket() throws Exception {
    Instant t = Instant.parse("2025-03-04T10:00:00Z");
    JsonNode option = new ObjectMapper().readTree(VolumeChartOption.of(
        List.of(new VolumeBucket(t, 5, 2), new VolumeBucket(t.plusSeconds(3600), 0, 0)), TimeRange.LAST_24_HOURS));

    assertThat(option.at("/xAxis/data").toString()).isEqualTo("[\"10:00\",\"11:00\"]");
    assertThat(option.at("/series/0/name").asText()).isEqualTo("OK");
    assertThat(option.at("/series/0/data").toString()).isEqualTo("[3,0]");
    assertThat(option.at("/series/1/name").asText()).isEqualTo("Errors");
    assertThat(option.at("/series/1/data").toString()).isEqualTo("[2,0]");
    assertThat(option.at("/series/1/stack").asText()).isEqualTo(option.at("/series/0/stack").asText());
  }
}
