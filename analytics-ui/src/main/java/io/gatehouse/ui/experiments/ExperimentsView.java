package io.gatehouse.ui.experiments;

import com.vaadin.flow.component.grid.ColumnTextAlign;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.function.ValueProvider;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.QueryParameters;
import com.vaadin.flow.router.Route;
import io.gatehouse.schemas.clickhouse.ClickHouseException;
import io.gatehouse.ui.layout.MainLayout;
import io.gatehouse.ui.layout.Page;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.DoubleFunction;
import java.util.stream.Collectors;

/**
 * Prompt and routing A/B tests: pick an experiment (or a prompt id), a baseline variant and a range;
 * see each variant's requests, cost, tokens, latency, errors, feedback scores and labels, and for every
 * other variant a Welch test per mean or share and a bootstrap for latency p50/p95, each with its
 * confidence interval and a plain verdict. Choices live in the URL
 * ({@code ?kind=experiment&name=support-prompt-v3&baseline=control&days=7}).
 */
@Route(value = "experiments", layout = MainLayout.class)
@PageTitle("Gatehouse · Experiments")
public class ExperimentsView extends Div implements BeforeEnterObserver {
  private static final List<Integer> DAYS = List.of(1, 7, 30, 90);

  private final ExperimentQueries queries = Page.service(ExperimentQueries.class);
  private final Clock clock = Clock.systemUTC();
  private final Select<Experiment> experiment = new Select<>();
  private final Select<String> baseline = new Select<>();
  private final Select<Integer> days = new Select<>();
  private final Div banner = new Div();
  private final Grid<VariantStats> grid = new Grid<>();
  private final Div verdicts = new Div();
  private boolean applying;

  public ExperimentsView() {
    addClassName("gh-page");
    experiment.setId("experiment");
    experiment.setAriaLabel("Experiment or prompt");
    experiment.setItemLabelGenerator(e -> e.label() + " (" + Page.count(e.requests()) + " requests)");
    experiment.setEmptySelectionCaption("No experiments in this range");
    baseline.setId("baseline");
    baseline.setAriaLabel("Baseline variant");
    baseline.setItemLabelGenerator(v -> "Baseline: " + v);
    days.setId("days");
    days.setAriaLabel("Range");
    days.setItems(DAYS);
    days.setItemLabelGenerator(d -> d == 1 ? "Last 24 hours" : "Last " + d + " days");
    banner.addClassName("gh-banner");
    banner.setVisible(false);
    verdicts.addClassName("gh-verdicts");
    verdicts.setId("verdicts");
    grid();
    experiment.addValueChangeListener(e -> {
      if (!applying) {
        applying = true;
        baseline.setItems(e.getValue() == null ? List.of() : e.getValue().variants());
        baseline.setValue(e.getValue() == null || e.getValue().variants().isEmpty() ? null : e.getValue().variants().get(0));
        applying = false;
        changed();
      }
    });
    baseline.addValueChangeListener(e -> changed());
    days.addValueChangeListener(e -> {
      if (!applying) {
        loadList(null, null);
        changed();
      }
    });
    add(Page.header("Experiments", experiment, baseline, days), banner, Page.card("Variants", grid),
        Page.card("Is the difference real?", verdicts));
  }

  private void grid() {
    grid.setId("variants");
    grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_ROW_STRIPES);
    grid.setAllRowsVisible(true);
    grid.addColumn(VariantStats::variant).setHeader("Variant").setFlexGrow(1);
    number("Requests", v -> Page.count(v.requests()));
    number("Cost / request", v -> Page.usd(v.costUsd().mean()));
    number("Tokens / request", v -> String.format(Locale.ROOT, "%,.0f", v.tokens().mean()));
    number("Latency p50", v -> Page.millis(v.p50Ms()));
    number("Latency p95", v -> Page.millis(v.p95Ms()));
    number("Error rate", v -> Page.percent(v.errors().mean()));
    number("Feedback", v -> v.feedback().n() == 0 ? "—"
        : String.format(Locale.ROOT, "%.2f (n=%d)", v.feedback().mean(), v.feedback().n()));
    number("Labels", ExperimentsView::labels).setTooltipGenerator(v -> v.labels().counts().entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .map(e -> e.getKey() + ": " + Page.count(e.getValue())).collect(Collectors.joining(", ")));
  }

  /** "75.0% positive (n=120)", plus the labels without a direction ("+ 3 other"). */
  static String labels(VariantStats v) {
    Labels l = v.labels();
    Sample share = l.positiveShare();
    long other = l.total() - share.n();
    if (l.total() == 0) {
      return "—";
    }
    String directed = share.n() == 0 ? "" : Page.percent(share.mean()) + " positive (n=" + share.n() + ")";
    String rest = other == 0 ? "" : (directed.isEmpty() ? "" : " + ") + other + " other";
    return directed + rest;
  }

  private Grid.Column<VariantStats> number(String header, ValueProvider<VariantStats, String> value) {
    return grid.addColumn(value).setHeader(header).setTextAlign(ColumnTextAlign.END).setAutoWidth(true).setFlexGrow(0);
  }

  @Override
  public void beforeEnter(BeforeEnterEvent event) {
    Map<String, List<String>> p = event.getLocation().getQueryParameters().getParameters();
    applying = true;
    days.setValue(first(p, "days").flatMap(ExperimentsView::integer).filter(DAYS::contains).orElse(7));
    loadList(first(p, "kind").orElse(null), first(p, "name").orElse(null));
    Experiment e = experiment.getValue();
    if (e != null) {
      baseline.setItems(e.variants());
      String wanted = first(p, "baseline").orElse(null);
      baseline.setValue(e.variants().contains(wanted) ? wanted : e.variants().isEmpty() ? null : e.variants().get(0));
    }
    applying = false;
    refresh();
  }

  /** Fills the experiment list for the range and selects {@code kind/name} if present, else the busiest. */
  private void loadList(String kind, String name) {
    boolean was = applying;
    applying = true;
    try {
      List<Experiment> all = queries.list(from(), clock.instant().plusSeconds(1));
      Experiment current = experiment.getValue();
      experiment.setItems(all);
      Optional<Experiment> pick = all.stream()
          .filter(e -> name != null ? e.name().equals(name) && (kind == null || e.kind().param().equals(kind))
              : current != null && e.name().equals(current.name()) && e.kind() == current.kind())
          .findFirst();
      experiment.setValue(pick.orElse(all.isEmpty() ? null : all.get(0)));
      Experiment chosen = experiment.getValue();
      if (name == null && chosen != null) {
        baseline.setItems(chosen.variants());
        baseline.setValue(chosen.variants().isEmpty() ? null : chosen.variants().get(0));
      }
      banner.setVisible(false);
    } catch (ClickHouseException e) {
      showUnavailable(e);
    } finally {
      applying = was;
    }
  }

  private void changed() {
    if (applying) {
      return;
    }
    Map<String, String> params = new LinkedHashMap<>();
    Experiment e = experiment.getValue();
    if (e != null) {
      params.put("kind", e.kind().param());
      params.put("name", e.name());
    }
    if (baseline.getValue() != null) {
      params.put("baseline", baseline.getValue());
    }
    params.put("days", Integer.toString(Objects.requireNonNullElse(days.getValue(), 7)));
    getUI().ifPresent(ui -> ui.getPage().getHistory().replaceState(null,
        "experiments?" + QueryParameters.simple(params).getQueryString()));
    refresh();
  }

  private void refresh() {
    verdicts.removeAll();
    Experiment e = experiment.getValue();
    if (e == null) {
      grid.setItems(List.of());
      verdicts.add(new Span("No requests carry an experiment variant or an x-gatehouse-prompt version in this range."));
      return;
    }
    try {
      List<VariantStats> stats = queries.variants(e.kind(), e.name(), from(), clock.instant().plusSeconds(1));
      grid.setItems(stats);
      String base = baseline.getValue();
      VariantStats a = stats.stream().filter(s -> s.variant().equals(base)).findFirst().orElse(null);
      if (a == null || stats.size() < 2) {
        verdicts.add(new Span("Needs at least two variants with traffic to compare."));
        return;
      }
      for (VariantStats b : stats) {
        if (b != a) {
          verdicts.add(verdictsFor(a, b));
        }
      }
      banner.setVisible(false);
    } catch (ClickHouseException ex) {
      showUnavailable(ex);
    }
  }

  private Div verdictsFor(VariantStats a, VariantStats b) {
    Div box = new Div();
    box.addClassName("gh-verdict-group");
    Span title = new Span(b.variant() + " vs " + a.variant());
    title.addClassName("gh-card-title");
    box.add(title);
    box.add(line(b, "cost", Comparison.of("Cost per request", a.costUsd(), b.costUsd()), a, Page::usd));
    box.add(line(b, "latency", Comparison.of("Mean latency", a.latencyMs(), b.latencyMs()), a, Page::millis));
    box.add(line(b, "p50", Comparison.ofQuantile("Latency p50", 0.5, a.latencies(), b.latencies()), a, Page::millis));
    box.add(line(b, "p95", Comparison.ofQuantile("Latency p95", 0.95, a.latencies(), b.latencies()), a, Page::millis));
    box.add(line(b, "errors", Comparison.of("Error rate", a.errors(), b.errors()), a, Page::percent));
    box.add(line(b, "tokens", Comparison.of("Tokens per request", a.tokens(), b.tokens()), a,
        v -> String.format(Locale.ROOT, "%,.1f", v)));
    if (a.feedback().n() > 0 || b.feedback().n() > 0) {
      box.add(line(b, "feedback", Comparison.of("Mean feedback score", a.feedback(), b.feedback()), a,
          v -> String.format(Locale.ROOT, "%.2f", v)));
    }
    if (a.labels().positiveShare().n() > 0 || b.labels().positiveShare().n() > 0) {
      box.add(line(b, "labels", Comparison.of("Share of positive labels", a.labels().positiveShare(),
          b.labels().positiveShare()), a, Page::percent));
    }
    return box;
  }

  private static Div line(VariantStats b, String metric, Comparison c, VariantStats a, DoubleFunction<String> format) {
    Span word = new Span(c.verdict());
    word.addClassName("gh-verdict-word");
    word.addClassName(c.significant() ? "significant" : "not-significant");
    Span text = new Span(c.sentence(a.variant(), b.variant(), format));
    Div line = new Div(word, text);
    line.setId("verdict-" + b.variant().replaceAll("[^A-Za-z0-9_-]", "_") + "-" + metric);
    line.addClassName("gh-verdict");
    if (c.tooSmall()) {
      line.addClassName("small-sample");
    }
    return line;
  }

  private Instant from() {
    return clock.instant().minus(Duration.ofDays(Objects.requireNonNullElse(days.getValue(), 7)));
  }

  private void showUnavailable(ClickHouseException e) {
    banner.setText("No data yet: is ingest running? ClickHouse at " + queries.source() + " answered: " + e.getMessage());
    banner.setVisible(true);
  }

  private static Optional<String> first(Map<String, List<String>> params, String name) {
    return Optional.ofNullable(params.get(name)).filter(l -> !l.isEmpty()).map(l -> l.get(0));
  }

  private static Optional<Integer> integer(String s) {
    try {
      return Optional.of(Integer.parseInt(s));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
