package io.gatehouse.ui.rollup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The ECharts option of a cost chart: one stacked bar series per group, every bucket on the axis. */
public final class StackedCostChart {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter HOURS = DateTimeFormatter.ofPattern("MMM d HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter DAYS = DateTimeFormatter.ofPattern("MMM d", Locale.ROOT).withZone(ZoneOffset.UTC);

  private StackedCostChart() {}

  public static String of(List<Instant> buckets, List<SeriesPoint> points, Bucket bucket) {
    DateTimeFormatter labels = bucket == Bucket.HOUR ? HOURS : DAYS;
    ObjectNode option = JSON.createObjectNode();
    option.put("animation", false);
    option.putObject("grid").put("left", 56).put("right", 12).put("top", 36).put("bottom", 24);
    option.putObject("tooltip").put("trigger", "axis");
    option.putObject("legend").put("type", "scroll").put("top", 0).put("left", 0);
    ObjectNode x = option.putObject("xAxis").put("type", "category");
    ArrayNode categories = x.putArray("data");
    buckets.forEach(b -> categories.add(labels.format(b)));
    ObjectNode y = option.putObject("yAxis").put("type", "value");
    y.putObject("axisLabel").put("formatter", "${value}");
    y.putObject("splitLine").putObject("lineStyle").put("color", "#eef0f3");

    Set<String> keys = new LinkedHashSet<>();
    points.forEach(p -> keys.add(p.key()));
    Map<String, double[]> values = new LinkedHashMap<>();
    keys.forEach(k -> values.put(k, new double[buckets.size()]));
    Map<Instant, Integer> index = new LinkedHashMap<>();
    for (int i = 0; i < buckets.size(); i++) {
      index.put(buckets.get(i), i);
    }
    for (SeriesPoint p : points) {
      Integer i = index.get(p.bucket());
      if (i != null) {
        values.get(p.key())[i] += p.costUsd();
      }
    }
    ArrayNode series = option.putArray("series");
    values.forEach((key, v) -> {
      ObjectNode s = series.addObject().put("name", key.isEmpty() ? "(none)" : key).put("type", "bar").put("stack", "cost");
      ArrayNode data = s.putArray("data");
      for (double d : v) {
        data.add(Math.round(d * 1e6) / 1e6);
      }
    });
    return option.toString();
  }
}
