package io.gatehouse.ui.requests;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.dependency.StyleSheet;
import com.vaadin.flow.component.grid.ColumnTextAlign;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridSortOrder;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.data.provider.CallbackDataProvider;
import com.vaadin.flow.data.provider.DataProvider;
import com.vaadin.flow.data.provider.Query;
import com.vaadin.flow.data.provider.QuerySortOrder;
import com.vaadin.flow.data.provider.SortDirection;
import com.vaadin.flow.data.renderer.LitRenderer;
import com.vaadin.flow.data.value.ValueChangeMode;
import com.vaadin.flow.function.ValueProvider;
import com.vaadin.flow.component.textfield.IntegerField;
import com.vaadin.flow.component.textfield.NumberField;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.QueryParameters;
import com.vaadin.flow.router.RouteParameters;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.VaadinService;
import com.vaadin.flow.shared.Registration;
import io.gatehouse.ui.chart.EChart;
import io.gatehouse.ui.layout.MainLayout;
import io.gatehouse.schemas.clickhouse.ClickHouseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Recent requests: a volume chart over the chosen time range and a lazy, sortable list whose
 * paging and sorting run in ClickHouse. Polls every {@link #REFRESH_MILLIS} ms so new requests appear.
 */
@Route(value = "requests", layout = MainLayout.class)
@PageTitle("Gatehouse · Requests")
@StyleSheet("context://gatehouse/gatehouse.css")
public class RequestsView extends Div implements BeforeEnterObserver {
  static final int REFRESH_MILLIS = 5_000;
  /** How late a request may reach ClickHouse (long streams are written when they end) and still be counted by a refresh. */
  public static final Duration LATE = Duration.ofMinutes(10);
  static final Duration FULL_READ_EVERY = Duration.ofMinutes(10);

  private final RequestQueries queries;
  private final Clock clock = Clock.systemUTC();

  private final Select<TimeRange> range = new Select<>();
  private final TextField search = new TextField();
  private final Div banner = new Div();
  private final Span chartTitle = new Span();
  private final Span summary = new Span();
  private final Span updated = new Span();
  private final EChart chart = new EChart();
  private final Grid<RequestRow> grid = new Grid<>();
  private final TextField userFilter = filterField("filter-user", "User");
  private final TextField featureFilter = filterField("filter-feature", "Feature");
  private final TextField modelFilter = filterField("filter-model", "Model");
  private final TextField providerFilter = filterField("filter-provider", "Provider");
  private final Select<String> statusFilter = new Select<>();
  private final TextField failureFilter = filterField("filter-failure", "Failure class");
  private final IntegerField latencyFilter = new IntegerField();
  private final IntegerField ttftFilter = new IntegerField();
  private final NumberField costFilter = new NumberField();
  private final Select<String> cacheFilter = new Select<>();
  private final TextField textFilter = filterField("filter-text", "Text in prompt or completion");
  /** True while the URL's values are put into the fields: no URL update, one refresh at the end. */
  private boolean applying;
  private final CallbackDataProvider<RequestRow, Void> rows;

  /** Read by the grid's callbacks; replaced (never mutated) on every refresh, on the UI thread. */
  private RequestFilter filter;
  private volatile Volume volume;
  private Registration pollRegistration;

  public RequestsView() {
    this.queries = VaadinService.getCurrent().getContext().getAttribute(RequestQueries.class);
    if (queries == null) {
      throw new IllegalStateException("RequestQueries missing from the servlet context: start via AnalyticsUi");
    }
    addClassName("gh-page");
    rows = DataProvider.fromCallbacks(this::fetch, this::count);

    add(header(), filters(), banner, chartCard(), grid());
    banner.addClassName("gh-banner");
    banner.setVisible(false);
  }

  private static TextField filterField(String id, String placeholder) {
    TextField field = new TextField();
    field.setId(id);
    field.setPlaceholder(placeholder);
    field.setAriaLabel(placeholder);
    field.setClearButtonVisible(true);
    field.setValueChangeMode(ValueChangeMode.LAZY);
    return field;
  }

  private Div filters() {
    statusFilter.setId("filter-status");
    statusFilter.setItems("", "ok", "error");
    statusFilter.setItemLabelGenerator(v -> v.isEmpty() ? "Any status" : v.equals("ok") ? "Succeeded" : "Failed");
    statusFilter.setValue("");
    statusFilter.setAriaLabel("Status");
    cacheFilter.setId("filter-cache");
    cacheFilter.setItems("", "miss", "exact", "semantic");
    cacheFilter.setItemLabelGenerator(v -> v.isEmpty() ? "Any cache result" : "Cache " + v);
    cacheFilter.setValue("");
    cacheFilter.setAriaLabel("Cache result");
    latencyFilter.setId("filter-latency");
    latencyFilter.setPlaceholder("Latency ≥ ms");
    latencyFilter.setAriaLabel("Latency at least (ms)");
    latencyFilter.setMin(0);
    latencyFilter.setValueChangeMode(ValueChangeMode.LAZY);
    ttftFilter.setId("filter-ttft");
    ttftFilter.setPlaceholder("TTFT ≥ ms");
    ttftFilter.setAriaLabel("Time to first token at least (ms)");
    ttftFilter.setMin(0);
    ttftFilter.setValueChangeMode(ValueChangeMode.LAZY);
    costFilter.setId("filter-cost");
    costFilter.setPlaceholder("Cost ≥ $");
    costFilter.setAriaLabel("Cost at least (USD)");
    costFilter.setMin(0);
    costFilter.setValueChangeMode(ValueChangeMode.LAZY);
    List.of(userFilter, featureFilter, modelFilter, providerFilter, failureFilter, textFilter)
        .forEach(f -> f.addValueChangeListener(e -> filtersChanged()));
    statusFilter.addValueChangeListener(e -> filtersChanged());
    cacheFilter.addValueChangeListener(e -> filtersChanged());
    latencyFilter.addValueChangeListener(e -> filtersChanged());
    ttftFilter.addValueChangeListener(e -> filtersChanged());
    costFilter.addValueChangeListener(e -> filtersChanged());
    Div bar = new Div(userFilter, featureFilter, modelFilter, providerFilter, statusFilter, failureFilter,
        latencyFilter, ttftFilter, costFilter, cacheFilter, textFilter);
    bar.addClassName("gh-filters");
    return bar;
  }

  private RequestCriteria criteria() {
    return new RequestCriteria(modelFilter.getValue(), providerFilter.getValue(), userFilter.getValue(),
        featureFilter.getValue(), statusFilter.getValue(), failureFilter.getValue(),
        latencyFilter.getValue() == null ? null : latencyFilter.getValue().longValue(),
        ttftFilter.getValue() == null ? null : ttftFilter.getValue().longValue(),
        costFilter.getValue(), cacheFilter.getValue(), textFilter.getValue());
  }

  /** Reads the filters from the URL (a shared link shows the same view). */
  @Override
  public void beforeEnter(BeforeEnterEvent event) {
    Map<String, List<String>> params = event.getLocation().getQueryParameters().getParameters();
    RequestCriteria c = RequestCriteria.fromParams(params);
    applying = true;
    range.setValue(params.getOrDefault("range", List.of()).stream().findFirst()
        .flatMap(TimeRange::ofParam).orElse(TimeRange.DEFAULT));
    search.setValue(params.getOrDefault("search", List.of("")).get(0));
    userFilter.setValue(c.user());
    featureFilter.setValue(c.feature());
    modelFilter.setValue(c.model());
    providerFilter.setValue(c.provider());
    statusFilter.setValue(c.status());
    failureFilter.setValue(c.failureClass());
    latencyFilter.setValue(c.minLatencyMs() == null ? null : (int) Math.min(Integer.MAX_VALUE, c.minLatencyMs()));
    ttftFilter.setValue(c.minTtftMs() == null ? null : (int) Math.min(Integer.MAX_VALUE, c.minTtftMs()));
    costFilter.setValue(c.minCostUsd());
    cacheFilter.setValue(List.of("miss", "exact", "semantic").contains(c.cacheResult()) ? c.cacheResult() : "");
    textFilter.setValue(c.text());
    applying = false;
    refresh();
  }

  /** Puts the filters into the URL (without a navigation) and re-queries. */
  private void filtersChanged() {
    if (applying) {
      return;
    }
    Map<String, String> params = new LinkedHashMap<>();
    TimeRange selected = range.getValue() == null ? TimeRange.DEFAULT : range.getValue();
    if (selected != TimeRange.DEFAULT) {
      params.put("range", selected.param());
    }
    if (!search.getValue().isBlank()) {
      params.put("search", search.getValue().strip());
    }
    params.putAll(criteria().toParams());
    getUI().ifPresent(ui -> ui.getPage().getHistory().replaceState(null,
        params.isEmpty() ? "requests" : "requests?" + QueryParameters.simple(params).getQueryString()));
    refresh();
  }

  private Div header() {
    H1 title = new H1();
    title.addClassName("gh-title");
    Span brand = new Span("Gatehouse");
    brand.addClassName("gh-brand");
    title.add(brand, new Span(" · Requests"));

    range.setItems(TimeRange.values());
    range.setItemLabelGenerator(TimeRange::label);
    range.setValue(TimeRange.DEFAULT);
    range.setAriaLabel("Time range");
    range.addValueChangeListener(e -> filtersChanged());

    search.setPlaceholder("Search user, team, feature, model");
    search.setPrefixComponent(VaadinIcon.SEARCH.create());
    search.setClearButtonVisible(true);
    search.setValueChangeMode(ValueChangeMode.LAZY);
    search.addClassName("gh-search");
    search.addValueChangeListener(e -> filtersChanged());

    Div tools = new Div(search, range);
    tools.addClassName("gh-tools");
    Div header = new Div(title, tools);
    header.addClassName("gh-header");
    return header;
  }

  private Div chartCard() {
    chartTitle.addClassName("gh-card-title");
    summary.addClassName("gh-summary");
    updated.addClassName("gh-updated");
    Div head = new Div(chartTitle, summary, updated);
    head.addClassName("gh-card-head");
    chart.addClassName("gh-chart");
    Div card = new Div(head, chart);
    card.addClassName("gh-card");
    return card;
  }

  private Grid<RequestRow> grid() {
    grid.addClassName("gh-grid");
    grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_ROW_STRIPES);
    grid.setSelectionMode(Grid.SelectionMode.NONE);
    // a click opens the request; ts narrows the lookup to one second of the table
    grid.addItemClickListener(e -> getUI().ifPresent(ui -> ui.navigate(RequestDetailView.class,
        new RouteParameters("id", e.getItem().eventId()),
        QueryParameters.of("ts", Long.toString(e.getItem().time().getEpochSecond())))));
    grid.setMultiSort(false);

    Grid.Column<RequestRow> time = grid.addColumn(r -> RequestFormat.time(r.time()))
        .setHeader("Time (UTC)").setWidth("176px").setFlexGrow(0)
        .setSortProperty(RequestSort.Column.TIME.property());
    text("User", RequestRow::user, "140px", 2);
    text("Feature", RequestRow::feature, "110px", 1);
    text("Model", RequestRow::model, "130px", 2);
    text("Provider", RequestRow::provider, "96px", 1);
    number("In tokens", "112px", r -> RequestFormat.count(r.inputTokens()), RequestSort.Column.INPUT_TOKENS);
    number("Out tokens", "118px", r -> RequestFormat.count(r.outputTokens()), RequestSort.Column.OUTPUT_TOKENS);
    number("Cost", "104px", r -> RequestFormat.usd(r.costUsd()), RequestSort.Column.COST);
    number("Latency", "104px", r -> RequestFormat.millis(r.durationMs()), RequestSort.Column.DURATION);
    number("TTFT", "96px", r -> RequestFormat.millis(r.ttftMs()), RequestSort.Column.TTFT);
    grid.addColumn(LitRenderer.<RequestRow>of("<span class=\"gh-status ${item.kind}\">${item.label}</span>")
            .withProperty("kind", r -> r.isError() ? "error" : "ok")
            .withProperty("label", RequestsView::statusLabel))
        .setHeader("Status").setWidth("128px").setFlexGrow(0)
        .setTooltipGenerator(r -> r.isError() ? RequestFormat.text(r.errorMessage()) : null);
    grid.setPartNameGenerator(r -> r.isError() ? "gh-error-row" : null);

    grid.setItems(rows);
    grid.sort(List.of(new GridSortOrder<>(time, SortDirection.DESCENDING)));
    return grid;
  }

  private void text(String header, ValueProvider<RequestRow, String> value, String width, int flex) {
    grid.addColumn(r -> RequestFormat.text(value.apply(r)))
        .setHeader(header).setWidth(width).setFlexGrow(flex).setTooltipGenerator(value::apply);
  }

  private void number(String header, String width, ValueProvider<RequestRow, String> value, RequestSort.Column sort) {
    grid.addColumn(value).setHeader(header).setTextAlign(ColumnTextAlign.END)
        .setWidth(width).setFlexGrow(0).setSortProperty(sort.property());
  }

  private static String statusLabel(RequestRow r) {
    String status = r.status() == 0 ? "—" : Integer.toString(r.status());
    return r.errorClass().isEmpty() ? status : status + " " + r.errorClass();
  }

  /**
   * Re-reads for "now": chart, summary and the grid (which keeps its sort order). A text search scans
   * the prompts and completions of the whole range, so while the same one refreshes, only the range's
   * ends are re-read (see {@link RequestQueries#volume(RequestFilter, BucketSize, List, Instant)}):
   * rows older than {@link #LATE} at the last read are taken as complete, and everything is re-read
   * every {@link #FULL_READ_EVERY}.
   */
  private void refresh() {
    TimeRange selected = range.getValue() == null ? TimeRange.DEFAULT : range.getValue();
    Instant now = clock.instant();
    Volume previous = volume;
    filter = RequestFilter.last(selected, now, search.getValue(), criteria());
    chartTitle.setText("Requests " + selected.bucketSize().label());
    updated.setText("Auto-refresh · updated " + RequestFormat.timeOfDay(now) + " UTC");
    volume = null;
    try {
      boolean tailOnly = previous != null && !filter.criteria().text().isEmpty() && previous.size() == selected.bucketSize()
          && previous.filter().search().equals(filter.search()) && previous.filter().criteria().equals(filter.criteria())
          && Duration.between(previous.filter().from(), previous.filter().to()).equals(selected.length())
          && previous.fullReadAt().plus(FULL_READ_EVERY).isAfter(now);
      List<VolumeBucket> buckets = tailOnly
          ? queries.volume(filter, selected.bucketSize(), previous.buckets(), previous.filter().to().minus(LATE))
          : queries.volume(filter, selected.bucketSize());
      volume = new Volume(filter, buckets, selected.bucketSize(), tailOnly ? previous.fullReadAt() : now);
      chart.setOption(VolumeChartOption.of(buckets, selected));
      long total = buckets.stream().mapToLong(VolumeBucket::requests).sum();
      long errors = buckets.stream().mapToLong(VolumeBucket::errors).sum();
      summary.setText(RequestFormat.count(total) + " requests · " + RequestFormat.count(errors) + " errors"
          + (total == 0 ? "" : String.format(" (%.1f%%)", 100.0 * errors / total)));
      grid.setEmptyStateText("No requests in the " + selected.label().toLowerCase() + ".");
      banner.setVisible(false);
    } catch (ClickHouseException e) {
      showUnavailable(e);
    }
    rows.refreshAll();
  }

  private Stream<RequestRow> fetch(Query<RequestRow, Void> query) {
    int offset = query.getOffset();
    int limit = query.getLimit();
    RequestSort sort = sortOf(query.getSortOrders());
    try {
      Volume v = volume;
      return (v != null && v.filter().equals(filter)
          ? queries.page(filter, sort, offset, limit, v.buckets(), v.size())
          : queries.page(filter, sort, offset, limit)).stream();
    } catch (ClickHouseException e) {
      showUnavailable(e);
      return Stream.empty();
    }
  }

  private int count(Query<RequestRow, Void> query) {
    try {
      Volume v = volume;
      long total = v != null && v.filter().equals(filter)
          ? v.buckets().stream().mapToLong(VolumeBucket::requests).sum() // the chart just counted them
          : queries.count(filter);
      return (int) Math.min(Integer.MAX_VALUE, total);
    } catch (ClickHouseException e) {
      showUnavailable(e);
      return 0;
    }
  }

  /**
   * The volume chart's buckets and the filter they count: the grid's count and page windows reuse them,
   * and so does the next auto-refresh of a text search; {@code fullReadAt}: when the whole range was last read.
   */
  private record Volume(RequestFilter filter, List<VolumeBucket> buckets, BucketSize size, Instant fullReadAt) {}

  /** The grid's sort order, mapped through the whitelist in {@link RequestSort.Column}. */
  static RequestSort sortOf(List<QuerySortOrder> orders) {
    return orders.stream()
        .flatMap(o -> RequestSort.Column.ofProperty(o.getSorted())
            .map(c -> new RequestSort(c, o.getDirection() == SortDirection.DESCENDING)).stream())
        .findFirst()
        .orElse(RequestSort.NEWEST_FIRST);
  }

  private void showUnavailable(ClickHouseException e) {
    banner.setText("No data yet: is ingest running? ClickHouse at " + queries.source() + " answered: " + e.getMessage());
    banner.setVisible(true);
    summary.setText("");
    chart.setOption(VolumeChartOption.of(List.of(), range.getValue() == null ? TimeRange.DEFAULT : range.getValue()));
    grid.setEmptyStateText("No data.");
  }

  @Override
  protected void onAttach(AttachEvent event) {
    UI ui = event.getUI();
    ui.setPollInterval(REFRESH_MILLIS);
    pollRegistration = ui.addPollListener(e -> refresh());
  }

  @Override
  protected void onDetach(DetachEvent event) {
    if (pollRegistration != null) {
      pollRegistration.remove();
      pollRegistration = null;
    }
    event.getUI().setPollInterval(-1);
  }
}
