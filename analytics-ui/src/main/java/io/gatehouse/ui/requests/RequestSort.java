package io.gatehouse.ui.requests;

import java.util.Arrays;
import java.util.Optional;

/**
 * How the request list is ordered. The grid names a sort property; only the properties listed here
 * ever reach SQL (as fixed column names), anything else falls back to newest first.
 */
public record RequestSort(Column column, boolean descending) {
  public static final RequestSort NEWEST_FIRST = new RequestSort(Column.TIME, true);

  /** Sortable columns: grid sort property → ClickHouse column. */
  public enum Column {
    TIME("time", "ts"),
    DURATION("duration", "duration_ms"),
    TTFT("ttft", "ttft_ms"),
    INPUT_TOKENS("input_tokens", "input_tokens"),
    OUTPUT_TOKENS("output_tokens", "output_tokens"),
    COST("cost", "cost_usd");

    private final String property;
    private final String sqlColumn;

    Column(String property, String sqlColumn) {
      this.property = property;
      this.sqlColumn = sqlColumn;
    }

    /** The name the grid uses for this column's sort property. */
    public String property() {
      return property;
    }

    String sqlColumn() {
      return sqlColumn;
    }

    public static Optional<Column> ofProperty(String property) {
      return Arrays.stream(values()).filter(c -> c.property.equals(property)).findFirst();
    }
  }

  /** The ORDER BY clause body; ties break on newest first, then event id, so paging is stable. */
  String orderBy() {
    String direction = descending ? "DESC" : "ASC";
    if (column == Column.TIME) {
      return "ts " + direction + ", event_id " + direction;
    }
    return column.sqlColumn() + " " + direction + ", ts DESC, event_id DESC";
  }
}
