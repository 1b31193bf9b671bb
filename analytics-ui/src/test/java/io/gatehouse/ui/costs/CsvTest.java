package io.gatehouse.ui.costs;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.ui.rollup.Dimension;
import io.gatehouse.ui.rollup.Stats;
import java.util.List;
import org.junit.jupiter.api.Test;

class CsvTest {
  @Test
  void writesAHeaderAndOneQuotedRowPerGroup() {
    String csv = Csv.of(Dimension.USER, List.of(
        new Stats("ana, \"the boss\"", 3, 1, 100, 20, 5, 0, 1.5, 0.25, 1, 120, 900),
        new Stats("=cmd()", 1, 0, 1, 1, 0, 0, 0.000021, 0, 0, 10, 10)));

    assertThat(csv.split("\r\n")).containsExactly(
        "user,requests,errors,input_tokens,output_tokens,cached_input_tokens,reasoning_tokens,cost_usd,cost_saved_usd,cache_hits",
        "\"ana, \"\"the boss\"\"\",3,1,100,20,5,0,1.5,0.25,1",
        "'=cmd(),1,0,1,1,0,0,0.000021,0,0");
  }
}
