package io.gatehouse.ui.costs;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.datepicker.DatePicker;
import com.vaadin.flow.component.grid.ColumnTextAlign;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.function.ValueProvider;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.QueryParameters;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.StreamResource;
import io.gatehouse.schemas.clickhouse.ClickHouseException;
import io.gatehouse.ui.chart.EChart;
import io.gatehouse.ui.layout.MainLayout;
import io.gatehouse.ui.layout.Page;
import io.gatehouse.ui.rollup.Bucket;
import io.gatehouse.ui.rollup.Dimension;
import io.gatehouse.ui.rollup.RollupQueries;
import io.gatehouse.ui.rollup.StackedCostChart;
import io.gatehouse.ui.rollup.Stats;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Spend grouped by team, user, feature, model, provider, virtual key or tag over any range of whole
 * UTC days, bucketed by hour, day, week or month: a stacked chart, a table of the {@value #MAX_GROUPS}
 * most expensive groups (a note says when there are more) and a CSV export of all of them (latency
 * belongs to the Requests and Overview pages: merging its quantile states would triple the cost). The
 * choices live in the URL ({@code ?by=model&bucket=day&from=2026-11-01&to=2026-11-25}).
 */
@Route(value = "costs", layout = MainLayout.class)
@PageTitle("Gatehouse · Costs")
public class CostExplorerView extends Div implements BeforeEnterObserver {
  static final int MAX_GROUPS = 500;
  private static final int CHART_SERIES = 10;
  /** Hourly bars beyond this many days would be unreadable; the bucket is widened to a day. */
  private static final int MAX_HOURLY_DAYS = 14;

  private final RollupQueries queries = Page.service(RollupQueries.class);
  private final Clock clock = Clock.systemUTC();
  private final Select<Dimension> by = new Select<>();
  private final Select<Bucket> bucket = new Select<>();
  private final DatePicker from = new DatePicker();
  private final DatePicker to = new DatePicker();
  private final Anchor csv = new Anchor();
  private final Div banner = new Div();
  private final Div capNote = new Div();
  private final EChart chart = new EChart();
  private final Grid<Stats> grid = new Grid<>();
  private boolean applying;

  public CostExplorerView() {
    addClassName("gh-page");
    by.setItems(Dimension.values());
    by.setItemLabelGenerator(d -> "By " + d.label().toLowerCase());
    by.setId("group-by");
    by.setAriaLabel("Group by");
    bucket.setItems(Bucket.values());
    bucket.setItemLabelGenerator(b -> "Per " + b.label().toLowerCase());
    bucket.setId("bucket");
    bucket.setAriaLabel("Bucket");
    from.setId("from");
    from.setAriaLabel("From (UTC day)");
    to.setId("to");
    to.setAriaLabel("To (UTC day, inclusive)");
    csv.setText("Export CSV");
    csv.setId("export-csv");
    csv.getElement().setAttribute("download", true);
    banner.addClassName("gh-banner");
    banner.setVisible(false);
    capNote.setId("cost-cap-note");
    capNote.addClassName("gh-note");
    capNote.setVisible(false);
    chart.addClassName("gh-chart");
    grid();
    by.addValueChangeListener(e -> changed());
    bucket.addValueChangeListener(e -> changed());
    from.addValueChangeListener(e -> changed());
    to.addValueChangeListener(e -> changed());
    add(Page.header("Costs", by, bucket, from, to, csv), banner, Page.card("Cost over time", chart), capNote, grid);
  }

  private void grid() {
    grid.setId("cost-grid");
    grid.addClassName("gh-grid");
    grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_ROW_STRIPES);
    grid.addColumn(s -> s.key().isEmpty() ? "(none)" : s.key()).setHeader("Group").setFlexGrow(2)
        .setSortable(true).setComparator(Stats::key);
    number("Requests", s -> Page.count(s.requests()), Stats::requests);
    number("Error rate", s -> Page.percent(s.errorRate()), Stats::errorRate);
    number("Input tokens", s -> Page.count(s.inputTokens()), Stats::inputTokens);
    number("Output tokens", s -> Page.count(s.outputTokens()), Stats::outputTokens);
    number("Cost", s -> Page.usd(s.costUsd()), Stats::costUsd);
    number("Cost / request", s -> Page.usd(s.costPerRequest()), Stats::costPerRequest);
    number("Saved by cache", s -> Page.usd(s.costSavedUsd()), Stats::costSavedUsd);
  }

  private <C extends Comparable<? super C>> void number(String header, ValueProvider<Stats, String> text,
                                                      ValueProvider<Stats, C> sortKey) {
    grid.addColumn(text).setHeader(header).setTextAlign(ColumnTextAlign.END).setAutoWidth(true).setFlexGrow(0)
        .setSortable(true).setComparator(sortKey);
  }

  @Override
  public void beforeEnter(BeforeEnterEvent event) {
    Map<String, List<String>> p = event.getLocation().getQueryParameters().getParameters();
    LocalDate today = clock.instant().atOffset(ZoneOffset.UTC).toLocalDate();
    applying = true;
    by.setValue(first(p, "by").flatMap(Dimension::ofParam).orElse(Dimension.MODEL));
    bucket.setValue(first(p, "bucket").flatMap(Bucket::ofParam).orElse(Bucket.DAY));
    to.setValue(first(p, "to").flatMap(CostExplorerView::date).orElse(today));
    from.setValue(first(p, "from").flatMap(CostExplorerView::date).orElse(to.getValue().minusDays(6)));
    applying = false;
    refresh();
  }

  private void changed() {
    if (applying) {
      return;
    }
    Map<String, String> params = new LinkedHashMap<>();
    params.put("by", value(by.getValue(), Dimension.MODEL).param());
    params.put("bucket", value(bucket.getValue(), Bucket.DAY).param());
    if (from.getValue() != null) {
      params.put("from", from.getValue().toString());
    }
    if (to.getValue() != null) {
      params.put("to", to.getValue().toString());
    }
    getUI().ifPresent(ui -> ui.getPage().getHistory().replaceState(null, "costs?" + QueryParameters.simple(params).getQueryString()));
    refresh();
  }

  private void refresh() {
    Dimension dimension = value(by.getValue(), Dimension.MODEL);
    LocalDate lastDay = to.getValue() == null ? clock.instant().atOffset(ZoneOffset.UTC).toLocalDate() : to.getValue();
    LocalDate firstDay = from.getValue() == null || from.getValue().isAfter(lastDay) ? lastDay : from.getValue();
    Bucket size = value(bucket.getValue(), Bucket.DAY);
    // users are rolled up per day (see RollupQueries)
    if (size == Bucket.HOUR && (dimension == Dimension.USER || ChronoUnit.DAYS.between(firstDay, lastDay) >= MAX_HOURLY_DAYS)) {
      size = Bucket.DAY;
    }
    Instant start = firstDay.atStartOfDay().toInstant(ZoneOffset.UTC);
    Instant end = lastDay.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    try {
      chart.setOption(StackedCostChart.of(size.starts(start, end),
          queries.costSeries(dimension, size, start, end, CHART_SERIES), size));
      // one row more than shown tells whether the table is cut
      List<Stats> rows = queries.groups(dimension, start, end, MAX_GROUPS + 1, false);
      boolean capped = rows.size() > MAX_GROUPS;
      grid.setItems(capped ? rows.subList(0, MAX_GROUPS) : rows);
      capNote.setText("More than " + MAX_GROUPS + " groups by " + dimension.label().toLowerCase() + ": the table shows the "
          + MAX_GROUPS + " most expensive, the CSV export has them all.");
      capNote.setVisible(capped);
      String name = "gatehouse-cost-by-" + dimension.param() + "-" + firstDay + "-" + lastDay + ".csv";
      // a cut table's CSV reads every group when it is downloaded (nothing is read unless it is)
      StreamResource resource = new StreamResource(name, () -> new ByteArrayInputStream(Csv.of(dimension,
          capped ? queries.groups(dimension, start, end, Integer.MAX_VALUE, false) : rows).getBytes(StandardCharsets.UTF_8)));
      resource.setContentType("text/csv; charset=utf-8");
      csv.setHref(resource);
      banner.setVisible(false);
    } catch (ClickHouseException e) {
      banner.setText("No data yet: is ingest running? ClickHouse at " + queries.source() + " answered: " + e.getMessage());
      banner.setVisible(true);
      grid.setItems(List.of());
      capNote.setVisible(false);
    }
  }

  private static <T> T value(T value, T fallback) {
    return value == null ? fallback : value;
  }

  private static Optional<String> first(Map<String, List<String>> params, String name) {
    return Optional.ofNullable(params.get(name)).filter(l -> !l.isEmpty()).map(l -> l.get(0));
  }

  private static Optional<LocalDate> date(String text) {
    try {
      return Optional.of(LocalDate.parse(text));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
