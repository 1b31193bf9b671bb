package io.gatehouse.ui.requests;

import com.fasterxml.jackson.databind.JsonNode;
import com.vaadin.flow.component.grid.ColumnTextAlign;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Pre;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.router.RouterLink;
import io.gatehouse.schemas.clickhouse.ClickHouseException;
import io.gatehouse.ui.layout.MainLayout;
import io.gatehouse.ui.layout.Page;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One request, opened from the search grid ({@code /requests/EVENT_ID?ts=EPOCH_SECONDS}): the
 * conversation as messages, timings, attempts and fallbacks, tokens and cost, and the stored row as JSON.
 */
@Route(value = "requests/:id", layout = MainLayout.class)
@PageTitle("Gatehouse · Request")
public class RequestDetailView extends Div implements BeforeEnterObserver {
  /** One attempt at a provider, from the parallel arrays of the {@code attempts} Nested column. */
  record Attempt(int n, String provider, String deployment, String model, int status, String failureClass, long durationMs) {}

  private final RequestQueries queries = Page.service(RequestQueries.class);

  public RequestDetailView() {
    addClassName("gh-page");
    addClassName("gh-detail");
  }

  @Override
  public void beforeEnter(BeforeEnterEvent event) {
    removeAll();
    String id = event.getRouteParameters().get("id").orElse("");
    Long ts = event.getLocation().getQueryParameters().getParameters().getOrDefault("ts", List.of()).stream()
        .findFirst().flatMap(RequestDetailView::parseLong).orElse(null);
    RouterLink back = new RouterLink("← Back to requests", RequestsView.class);
    back.setId("back-to-requests");
    add(Page.header("Request", back));
    try {
      Optional<JsonNode> row = queries.detail(id, ts);
      if (row.isEmpty()) {
        Div missing = new Div(new Span("No request with id '" + id + "'."));
        missing.addClassName("gh-banner");
        add(missing);
        return;
      }
      show(row.get());
    } catch (ClickHouseException e) {
      Div banner = new Div(new Span("ClickHouse at " + queries.source() + " answered: " + e.getMessage()));
      banner.addClassName("gh-banner");
      add(banner);
    }
  }

  private void show(JsonNode r) {
    boolean error = r.path("status").asInt() >= 400 || !r.path("error_class").asText().isEmpty();
    Div figures = new Div(
        Page.figure("detail-status", "Status", r.path("status").asText() + (error ? " " + r.path("error_class").asText() : ""),
            error ? RequestFormat.text(r.path("error_message").asText()) : r.path("finish_reason").asText()),
        Page.figure("detail-model", "Model", r.path("model").asText(), r.path("provider").asText()
            + (r.path("model_requested").asText().equals(r.path("model").asText()) ? "" : " · asked for " + r.path("model_requested").asText())),
        Page.figure("detail-who", "User", RequestFormat.text(r.path("user").asText()),
            "team " + RequestFormat.text(r.path("team").asText()) + " · feature " + RequestFormat.text(r.path("feature").asText())),
        Page.figure("detail-id", "Request id", r.path("event_id").asText(), r.path("ts").asText() + " UTC · " + r.path("source").asText()));
    figures.addClassName("gh-figures");
    add(figures);

    Div columns = new Div(timings(r), tokens(r));
    columns.addClassName("gh-tops");
    add(columns);
    add(Page.card("Attempts" + (r.path("fallback_used").asInt() != 0 ? " (fallback used)" : ""), attempts(r)));
    add(Page.card("Conversation", conversation(r)));
    Pre raw = new Pre(r.toPrettyString());
    raw.setId("detail-raw");
    raw.addClassName("gh-raw");
    add(Page.card("Raw event (JSON)", raw));
  }

  private static Div timings(JsonNode r) {
    long total = r.path("duration_ms").asLong();
    JsonNode ttft = r.path("ttft_ms");
    JsonNode upstream = r.path("upstream_ms");
    JsonNode overhead = r.path("overhead_us");
    Div list = new Div(
        fact("Total", RequestFormat.millis(total)),
        fact("Gateway overhead", overhead.isNull() || overhead.isMissingNode() ? "—"
            : String.format(java.util.Locale.ROOT, "%.2f ms", overhead.asLong() / 1000.0)),
        fact("Upstream", upstream.isNull() || upstream.isMissingNode() ? "—" : RequestFormat.millis(upstream.asLong())),
        fact("First token", ttft.isNull() || ttft.isMissingNode() ? "—" : RequestFormat.millis(ttft.asLong())),
        fact("Streaming", r.path("stream").asInt() == 0 || ttft.isNull() ? "not streamed"
            : RequestFormat.millis(Math.max(0, total - ttft.asLong()))));
    list.setId("detail-timings");
    return Page.card("Timings", list);
  }

  private static Div tokens(JsonNode r) {
    Div list = new Div(
        fact("Input tokens", count(r, "input_tokens")),
        fact("Cached input tokens", count(r, "cached_input_tokens")),
        fact("Cache write tokens", count(r, "cache_write_tokens")),
        fact("Reasoning tokens", count(r, "reasoning_tokens")),
        fact("Output tokens", count(r, "output_tokens")),
        fact("Cost", r.path("cost_usd").isNull() ? "—" : RequestFormat.usd(r.path("cost_usd").asDouble())),
        fact("Saved by cache (" + RequestFormat.text(r.path("cache_result").asText()) + ")",
            r.path("cost_saved_usd").isNull() ? "—" : RequestFormat.usd(r.path("cost_saved_usd").asDouble())),
        fact("Price catalog", RequestFormat.text(r.path("price_version").asText())));
    list.setId("detail-tokens");
    return Page.card("Tokens and cost", list);
  }

  private static String count(JsonNode r, String field) {
    JsonNode v = r.path(field);
    return v.isNull() || v.isMissingNode() ? "—" : RequestFormat.count(v.asLong());
  }

  private static Div fact(String label, String value) {
    Span l = new Span(label);
    l.addClassName("gh-fact-label");
    Span v = new Span(value);
    v.addClassName("gh-fact-value");
    Div d = new Div(l, v);
    d.addClassName("gh-fact");
    return d;
  }

  static List<Attempt> attemptsOf(JsonNode r) {
    JsonNode providers = r.path("attempts.provider");
    List<Attempt> out = new ArrayList<>();
    for (int i = 0; i < providers.size(); i++) {
      out.add(new Attempt(i + 1, providers.get(i).asText(), r.path("attempts.deployment").path(i).asText(),
          r.path("attempts.model").path(i).asText(), r.path("attempts.status").path(i).asInt(),
          r.path("attempts.failure_class").path(i).asText(), r.path("attempts.duration_ms").path(i).asLong()));
    }
    return out;
  }

  private static Grid<Attempt> attempts(JsonNode r) {
    Grid<Attempt> grid = new Grid<>();
    grid.setId("detail-attempts");
    grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_NO_BORDER);
    grid.addColumn(Attempt::n).setHeader("#").setWidth("48px").setFlexGrow(0);
    grid.addColumn(Attempt::provider).setHeader("Provider");
    grid.addColumn(Attempt::deployment).setHeader("Deployment").setFlexGrow(2);
    grid.addColumn(Attempt::model).setHeader("Model");
    grid.addColumn(Attempt::status).setHeader("Status").setTextAlign(ColumnTextAlign.END);
    grid.addColumn(a -> RequestFormat.text(a.failureClass())).setHeader("Failure class");
    grid.addColumn(a -> RequestFormat.millis(a.durationMs())).setHeader("Duration").setTextAlign(ColumnTextAlign.END);
    grid.setItems(attemptsOf(r));
    grid.setAllRowsVisible(true);
    grid.setEmptyStateText("No upstream attempt (served from cache, rejected, or received as a log).");
    return grid;
  }

  private static Div conversation(JsonNode r) {
    Div list = new Div();
    list.setId("detail-conversation");
    list.addClassName("gh-messages");
    List<Message> messages = Message.conversation(r.path("prompt").asText(), r.path("completion").asText());
    if (messages.isEmpty()) {
      list.add(new Span("No prompt or completion stored (redacted or not captured)."));
    }
    for (Message m : messages) {
      Span role = new Span(m.role());
      role.addClassName("gh-message-role");
      Div text = new Div();
      text.setText(m.text());
      text.addClassName("gh-message-text");
      Div message = new Div(role, text);
      message.addClassName("gh-message");
      message.addClassName("role-" + m.role().replaceAll("[^a-z]", ""));
      list.add(message);
    }
    return list;
  }

  private static Optional<Long> parseLong(String s) {
    try {
      return Optional.of(Long.parseLong(s));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
