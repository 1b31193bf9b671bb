package io.gatehouse.ui.layout;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.HasElement;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dependency.StyleSheet;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.router.RouterLayout;
import com.vaadin.flow.router.RouterLink;
import com.vaadin.flow.router.HighlightConditions;
import com.vaadin.flow.server.VaadinSession;
import io.gatehouse.ui.auth.SignedIn;
import io.gatehouse.ui.costs.CostExplorerView;
import io.gatehouse.ui.experiments.ExperimentsView;
import io.gatehouse.ui.keys.KeysView;
import io.gatehouse.ui.overview.OverviewView;
import io.gatehouse.ui.requests.RequestsView;
import java.util.Objects;

/** The frame of every signed-in page: navigation, the signed-in user, sign out. */
@StyleSheet("context://gatehouse/gatehouse.css")
public class MainLayout extends Div implements RouterLayout {
  private final Div content = new Div();

  public MainLayout() {
    addClassName("gh-shell");
    Div nav = new Div();
    nav.addClassName("gh-nav");
    Span brand = new Span("Gatehouse");
    brand.addClassName("gh-nav-brand");
    nav.add(brand,
        link("Overview", OverviewView.class),
        link("Costs", CostExplorerView.class),
        link("Requests", RequestsView.class),
        link("Experiments", ExperimentsView.class),
        link("Keys & budgets", KeysView.class));
    Span spacer = new Span();
    spacer.addClassName("gh-nav-spacer");
    Span user = new Span(SignedIn.user(VaadinSession.getCurrent()).orElse(""));
    user.addClassName("gh-nav-user");
    Button signOut = new Button("Sign out", e -> {
      VaadinSession.getCurrent().getSession().invalidate();
      getUI().ifPresent(ui -> ui.getPage().setLocation("/login"));
    });
    signOut.setId("sign-out");
    signOut.addThemeVariants(ButtonVariant.LUMO_TERTIARY, ButtonVariant.LUMO_SMALL);
    nav.add(spacer, user, signOut);
    content.addClassName("gh-content");
    add(nav, content);
  }

  private static RouterLink link(String text, Class<? extends Component> view) {
    RouterLink link = new RouterLink(text, view);
    link.addClassName("gh-nav-link");
    link.setHighlightCondition(HighlightConditions.sameLocation());
    return link;
  }

  @Override
  public void showRouterLayoutContent(HasElement view) {
    content.getElement().removeAllChildren();
    if (view != null) {
      content.getElement().appendChild(Objects.requireNonNull(view.getElement()));
    }
  }
}
