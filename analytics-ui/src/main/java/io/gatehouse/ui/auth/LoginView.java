package io.gatehouse.ui.auth;

import com.vaadin.flow.component.Key;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dependency.StyleSheet;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.router.Location;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.VaadinRequest;
import com.vaadin.flow.server.VaadinService;
import com.vaadin.flow.server.VaadinSession;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The only page an anonymous visitor sees. Users come from {@link UiUsers}. */
@Route("login")
@PageTitle("Gatehouse · Sign in")
@StyleSheet("context://gatehouse/gatehouse.css")
public class LoginView extends Div {
  private static final Logger log = LoggerFactory.getLogger(LoginView.class);

  private final UiUsers users;
  private final TextField name = new TextField("User");
  private final PasswordField password = new PasswordField("Password");
  private final Span error = new Span();

  public LoginView() {
    users = VaadinService.getCurrent().getContext().getAttribute(UiUsers.class);
    if (users == null) {
      throw new IllegalStateException("UiUsers missing from the servlet context: start via AnalyticsUi");
    }
    addClassName("gh-login");
    H1 title = new H1();
    title.addClassName("gh-title");
    Span brand = new Span("Gatehouse");
    brand.addClassName("gh-brand");
    title.add(brand, new Span(" · Sign in"));
    name.setId("login-user");
    name.setAutofocus(true);
    password.setId("login-password");
    error.setId("login-error");
    error.addClassName("gh-login-error");
    Button signIn = new Button("Sign in", e -> signIn());
    signIn.setId("login-submit");
    signIn.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
    signIn.addClickShortcut(Key.ENTER);
    Div card = new Div(title, name, password, signIn, error);
    card.addClassName("gh-login-card");
    add(card);
  }

  private void signIn() {
    Optional<String> user = users.authenticate(name.getValue().strip(), password.getValue().toCharArray());
    password.clear();
    if (user.isEmpty()) {
      log.info("failed sign-in for user '{}'", name.getValue().strip());
      error.setText("Wrong user or password.");
      return;
    }
    // a new session id once signed in (no session fixation)
    VaadinService.reinitializeSession(VaadinRequest.getCurrent());
    VaadinSession session = VaadinSession.getCurrent();
    SignedIn.set(session, user.get());
    log.info("user '{}' signed in", user.get());
    // a path inside the app from the router, never a URL: no open redirect
    Location wanted = new Location(SignedIn.takeWanted(session));
    UI.getCurrent().navigate(wanted.getPath(), wanted.getQueryParameters());
  }
}
