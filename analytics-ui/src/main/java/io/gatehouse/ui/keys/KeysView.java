package io.gatehouse.ui.keys;

import com.vaadin.flow.component.grid.ColumnTextAlign;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.function.ValueProvider;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import io.gatehouse.schemas.clickhouse.ClickHouseException;
import io.gatehouse.ui.budget.Budgets;
import io.gatehouse.ui.layout.MainLayout;
import io.gatehouse.ui.layout.Page;
import io.gatehouse.ui.rollup.Bucket;
import io.gatehouse.ui.rollup.Dimension;
import io.gatehouse.ui.rollup.RollupQueries;
import io.gatehouse.ui.rollup.Stats;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Spend this month per virtual key and per team against the monthly budgets of
 * {@code GATEHOUSE_UI_BUDGETS}. Key ids only: key names live in the proxy's admin API, not here.
 */
@Route(value = "keys", layout = MainLayout.class)
@PageTitle("Gatehouse · Keys & budgets")
public class KeysView extends Div {
  private static final int MAX_ROWS = 500;

  /** One row: a key or team, its spend this month and its budget if one is configured. */
  record Row(String name, Stats stats, Optional<Double> budget) {
    Optional<Double> used() {
      return budget.map(b -> stats.costUsd() / b);
    }
  }

  private final RollupQueries queries = Page.service(RollupQueries.class);
  private final Budgets budgets = Page.service(Budgets.class);
  private final Div banner = new Div();

  public KeysView() {
    addClassName("gh-page");
    banner.addClassName("gh-banner");
    banner.setVisible(false);
    add(Page.header("Keys & budgets"), banner);
    Instant now = Clock.systemUTC().instant();
    Instant month = Bucket.MONTH.floor(now);
    try {
      add(Page.card("Virtual keys, this month", grid("keys-grid", "Virtual key",
              rows(queries.groups(Dimension.KEY, month, now.plusSeconds(1), MAX_ROWS, false), budgets::key))),
          Page.card("Teams, this month", grid("teams-grid", "Team",
              rows(queries.groups(Dimension.TEAM, month, now.plusSeconds(1), MAX_ROWS, false), budgets::team))));
    } catch (ClickHouseException e) {
      banner.setText("No data yet: is ingest running? ClickHouse at " + queries.source() + " answered: " + e.getMessage());
      banner.setVisible(true);
    }
  }

  private static List<Row> rows(List<Stats> stats, Function<String, Optional<Double>> budget) {
    return stats.stream().map(s -> new Row(s.key().isEmpty() ? "(none)" : s.key(), s, budget.apply(s.key()))).toList();
  }

  private static Grid<Row> grid(String id, String header, List<Row> rows) {
    Grid<Row> grid = new Grid<>();
    grid.setId(id);
    grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_ROW_STRIPES);
    grid.addColumn(Row::name).setHeader(header).setFlexGrow(1).setSortable(true).setComparator(Row::name);
    number(grid, "Requests", r -> Page.count(r.stats().requests()));
    number(grid, "Spend", r -> Page.usd(r.stats().costUsd()));
    number(grid, "Budget", r -> r.budget().map(Page::usd).orElse("—"));
    number(grid, "Used", r -> r.used().map(Page::percent).orElse("—"));
    grid.setPartNameGenerator(r -> r.used().filter(u -> u >= 1).isPresent() ? "gh-error-row"
        : r.used().filter(u -> u >= 0.8).isPresent() ? "gh-warn-row" : null);
    grid.setItems(rows);
    grid.setAllRowsVisible(true);
    return grid;
  }

  private static void number(Grid<Row> grid, String header, ValueProvider<Row, String> value) {
    grid.addColumn(value).setHeader(header).setTextAlign(ColumnTextAlign.END).setAutoWidth(true).setFlexGrow(0);
  }
}
