package io.gatehouse.ui.auth;

import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.server.ServiceInitEvent;
import com.vaadin.flow.server.VaadinServiceInitListener;
import com.vaadin.flow.server.VaadinSession;

/**
 * Every view but {@link LoginView} needs a signed-in user: navigation to any other route by an
 * anonymous session is forwarded to the login page, which returns there after signing in. Registered
 * through {@code META-INF/services} (Vaadin loads service init listeners with ServiceLoader).
 */
public final class AccessControl implements VaadinServiceInitListener {
  @Override
  public void serviceInit(ServiceInitEvent event) {
    event.getSource().addUIInitListener(ui -> ui.getUI().addBeforeEnterListener(AccessControl::check));
  }

  static void check(BeforeEnterEvent event) {
    if (LoginView.class.equals(event.getNavigationTarget())) {
      return;
    }
    VaadinSession session = event.getUI().getSession();
    if (SignedIn.user(session).isEmpty()) {
      SignedIn.rememberWanted(session, event.getLocation().getPathWithQueryParameters());
      event.forwardTo(LoginView.class);
    }
  }
}
