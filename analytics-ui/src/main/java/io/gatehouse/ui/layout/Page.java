package io.gatehouse.ui.layout;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.server.VaadinService;

/** Building blocks every page shares: the title row, cards, figures. */
public final class Page {
  private Page() {}

  public static Div header(String title, Component... tools) {
    H1 h1 = new H1();
    h1.addClassName("gh-title");
    Span brand = new Span("Gatehouse");
    brand.addClassName("gh-brand");
    h1.add(brand, new Span(" · " + title));
    Div toolbar = new Div(tools);
    toolbar.addClassName("gh-tools");
    Div header = new Div(h1, toolbar);
    header.addClassName("gh-header");
    return header;
  }

  public static Div card(String title, Component... content) {
    Span head = new Span(title);
    head.addClassName("gh-card-title");
    Div card = new Div(head);
    card.add(content);
    card.addClassName("gh-card");
    return card;
  }

  /** A headline number with a caption underneath. */
  public static Div figure(String id, String label, String value, String detail) {
    Span v = new Span(value);
    v.addClassName("gh-figure-value");
    Span l = new Span(label);
    l.addClassName("gh-figure-label");
    Span d = new Span(detail);
    d.addClassName("gh-figure-detail");
    Div f = new Div(l, v, d);
    f.setId(id);
    f.addClassName("gh-figure");
    return f;
  }

  /** A service the composition root put into the servlet context. */
  public static <T> T service(Class<T> type) {
    T value = VaadinService.getCurrent().getContext().getAttribute(type);
    if (value == null) {
      throw new IllegalStateException(type.getSimpleName() + " missing from the servlet context: start via AnalyticsUi");
    }
    return value;
  }

  public static String usd(double v) {
    return v >= 100 ? String.format(java.util.Locale.ROOT, "$%,.0f", v)
        : v >= 1 ? String.format(java.util.Locale.ROOT, "$%,.2f", v)
        : String.format(java.util.Locale.ROOT, "$%.4f", v);
  }

  public static String percent(double fraction) {
    return String.format(java.util.Locale.ROOT, "%.1f%%", fraction * 100);
  }

  public static String millis(double ms) {
    return ms >= 10_000 ? String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000)
        : String.format(java.util.Locale.ROOT, "%,.0f ms", ms);
  }

  public static String count(long n) {
    return String.format(java.util.Locale.ROOT, "%,d", n);
  }
}
