package io.gatehouse.ui.costs;

import io.gatehouse.ui.rollup.Dimension;
import io.gatehouse.ui.rollup.Stats;
import java.util.List;
import java.util.Locale;

/** RFC 4180 CSV of a cost table. Text cells that a spreadsheet would run as a formula get a leading quote. */
final class Csv {
  private Csv() {}

  static String of(Dimension by, List<Stats> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(by.param()).append(",requests,errors,input_tokens,output_tokens,cached_input_tokens,reasoning_tokens,")
        .append("cost_usd,cost_saved_usd,cache_hits\r\n");
    for (Stats s : rows) {
      sb.append(cell(s.key())).append(',').append(s.requests()).append(',').append(s.errors()).append(',')
          .append(s.inputTokens()).append(',').append(s.outputTokens()).append(',').append(s.cachedInputTokens()).append(',')
          .append(s.reasoningTokens()).append(',').append(number(s.costUsd())).append(',').append(number(s.costSavedUsd()))
          .append(',').append(s.cacheHits()).append("\r\n");
    }
    return sb.toString();
  }

  static String cell(String text) {
    String t = !text.isEmpty() && "=+-@\t\r".indexOf(text.charAt(0)) >= 0 ? "'" + text : text;
    if (t.contains(",") || t.contains("\"") || t.contains("\n") || t.contains("\r")) {
      return "\"" + t.replace("\"", "\"\"") + "\"";
    }
    return t;
  }

  private static String number(double v) {
    return String.format(Locale.ROOT, "%.6f", v).replaceAll("\\.?0+$", "");
  }
}
