package io.gatehouse.ui.requests;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/** The ECharts option for the volume chart: successful and failed requests stacked per bucket. */
final class VolumeChartOption {
  static final String OK_COLOR = "#1a7ae6";
  static final String ERROR_COLOR = "#e5484d";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter DAY_TIME =
      DateTimeFormatter.ofPattern("MMM d HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

  private VolumeChartOption() {}

  static String of(List<VolumeBucket> buckets, TimeRange range) {
    DateTimeFormatter labels = range.length().toHours() > 24 ? DAY_TIME : TIME;
    ObjectNode option = JSON.createObjectNode();
    option.put("animation", false);
    option.putObject("grid").put("left", 44).put("right", 12).put("top", 28).put("bottom", 24);
    option.putObject("tooltip").put("trigger", "axis").putObject("axisPointer").put("type", "shadow");
    ObjectNode legend = option.putObject("legend").put("top", 0).put("right", 0).put("itemWidth", 12).put("itemHeight", 12);
    legend.putArray("data").add("OK").add("Errors");

    ObjectNode x = option.putObject("xAxis").put("type", "category");
    x.putObject("axisTick").put("alignWithLabel", true);
    x.putObject("axisLabel").put("color", "#6b7785");
    ArrayNode categories = x.putArray("data");
    ObjectNode y = option.putObject("yAxis").put("type", "value").put("minInterval", 1);
    y.putObject("splitLine").putObject("lineStyle").put("color", "#eef0f3");
    y.putObject("axisLabel").put("color", "#6b7785");

    ArrayNode series = option.putArray("series");
    ArrayNode ok = bars(series, "OK", OK_COLOR);
    ArrayNode errors = bars(series, "Errors", ERROR_COLOR);
    for (VolumeBucket b : buckets) {
      categories.add(labels.format(b.start()));
      ok.add(b.successes());
      errors.add(b.errors());
    }
    return option.toString();
  }

  private static ArrayNode bars(ArrayNode series, String name, String color) {
    ObjectNode s = series.addObject().put("name", name).put("type", "bar").put("stack", "requests")
        .put("barMaxWidth", 28);
    s.putObject("itemStyle").put("color", color);
    return s.putArray("data");
  }
}
