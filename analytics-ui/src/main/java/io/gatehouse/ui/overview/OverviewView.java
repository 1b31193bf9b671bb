package io.gatehouse.ui.overview;

import com.vaadin.flow.component.grid.ColumnTextAlign;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import io.gatehouse.schemas.clickhouse.ClickHouseException;
import io.gatehouse.ui.budget.Budgets;
import io.gatehouse.ui.chart.EChart;
import io.gatehouse.ui.layout.MainLayout;
import io.gatehouse.ui.layout.Page;
import io.gatehouse.ui.rollup.Bucket;
import io.gatehouse.ui.rollup.Dimension;
import io.gatehouse.ui.rollup.RollupQueries;
import io.gatehouse.ui.rollup.StackedCostChart;
import io.gatehouse.ui.rollup.Stats;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * What a lead opens first: spend today and this month (against the configured budget), traffic,
 * errors, latency and cache savings, the most expensive users, features and models, and cost over
 * the last 24 hours stacked by model, feature or team. Everything reads the hourly rollups.
 */
@Route(value = "", layout = MainLayout.class)
@PageTitle("Gatehouse · Overview")
public class OverviewView extends Div {
  private static final int TOP = 8;

  private final RollupQueries queries = Page.service(RollupQueries.class);
  private final Budgets budgets = Page.service(Budgets.class);
  private final Clock clock = Clock.systemUTC();
  private final Div figures = new Div();
  private final Div banner = new Div();
  private final Select<Dimension> stackBy = new Select<>();
  private final EChart chart = new EChart();
  private final Div tops = new Div();

  public OverviewView() {
    addClassName("gh-page");
    stackBy.setItems(Dimension.MODEL, Dimension.FEATURE, Dimension.TEAM);
    stackBy.setItemLabelGenerator(d -> "Stack by " + d.label().toLowerCase());
    stackBy.setValue(Dimension.MODEL);
    stackBy.setAriaLabel("Stack cost by");
    stackBy.setId("stack-by");
    stackBy.addValueChangeListener(e -> refresh());
    banner.addClassName("gh-banner");
    banner.setVisible(false);
    figures.addClassName("gh-figures");
    tops.addClassName("gh-tops");
    chart.addClassName("gh-chart");
    add(Page.header("Overview", stackBy), banner, figures, Page.card("Cost per hour, last 24 hours", chart), tops);
    refresh();
  }

  private void refresh() {
    Instant now = clock.instant();
    Instant today = now.atOffset(ZoneOffset.UTC).toLocalDate().atStartOfDay().toInstant(ZoneOffset.UTC);
    Instant month = Bucket.MONTH.floor(now);
    Instant end = now.plusSeconds(1);
    Instant dayAgo = Bucket.HOUR.floor(now).minus(Duration.ofHours(23));
    try {
      Stats day = queries.totals(today, end, true);
      Stats mtd = queries.totals(month, end, false);
      figures.removeAll();
      figures.add(
          Page.figure("spend-today", "Spend today", Page.usd(day.costUsd()), Page.count(day.requests()) + " requests"),
          Page.figure("spend-month", "Spend this month", Page.usd(mtd.costUsd()), budgets.total()
              .map(b -> Page.percent(mtd.costUsd() / b) + " of " + Page.usd(b) + " budget").orElse("no budget set")),
          Page.figure("error-rate", "Error rate today", Page.percent(day.errorRate()), Page.count(day.errors()) + " errors"),
          Page.figure("latency", "Latency today p50 / p95", Page.millis(day.p50Ms()) + " / " + Page.millis(day.p95Ms()), "end to end"),
          Page.figure("cache-savings", "Cache savings this month", Page.usd(mtd.costSavedUsd()),
              Page.count(mtd.cacheHits()) + " cache hits"));
      Dimension by = stackBy.getValue() == null ? Dimension.MODEL : stackBy.getValue();
      chart.setOption(StackedCostChart.of(Bucket.HOUR.starts(dayAgo, end),
          queries.costSeries(by, Bucket.HOUR, dayAgo, end, TOP), Bucket.HOUR));
      tops.removeAll();
      Instant week = today.minus(Duration.ofDays(6));
      tops.add(top("Top users by cost, 7 days", "top-users", queries.groups(Dimension.USER, week, end, TOP, false)),
          top("Top features by cost, 7 days", "top-features", queries.groups(Dimension.FEATURE, week, end, TOP, false)),
          top("Top models by cost, 7 days", "top-models", queries.groups(Dimension.MODEL, week, end, TOP, false)));
      banner.setVisible(false);
    } catch (ClickHouseException e) {
      banner.setText("No data yet: is ingest running? ClickHouse at " + queries.source() + " answered: " + e.getMessage());
      banner.setVisible(true);
    }
  }

  private static Div top(String title, String id, List<Stats> rows) {
    Grid<Stats> grid = new Grid<>();
    grid.setId(id);
    grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_NO_BORDER);
    grid.addColumn(s -> s.key().isEmpty() ? "(none)" : s.key()).setHeader("Name").setFlexGrow(1);
    grid.addColumn(s -> Page.count(s.requests())).setHeader("Requests").setTextAlign(ColumnTextAlign.END).setAutoWidth(true);
    grid.addColumn(s -> Page.usd(s.costUsd())).setHeader("Cost").setTextAlign(ColumnTextAlign.END).setAutoWidth(true);
    grid.setItems(rows);
    grid.setAllRowsVisible(true);
    return Page.card(title, grid);
  }
}
