package io.gatehouse.ui.auth;

import com.vaadin.flow.server.VaadinSession;
import java.util.Optional;

/** The signed-in user of a Vaadin session. Call on the UI thread (with the session locked). */
public final class SignedIn {
  private static final String USER = "gatehouse.user";
  private static final String WANTED = "gatehouse.wanted-location";

  private SignedIn() {}

  public static Optional<String> user(VaadinSession session) {
    return Optional.ofNullable((String) session.getAttribute(USER));
  }

  static void set(VaadinSession session, String user) {
    session.setAttribute(USER, user);
  }

  /** Where an anonymous visitor was going, so that signing in takes them there. */
  static void rememberWanted(VaadinSession session, String location) {
    session.setAttribute(WANTED, location);
  }

  static String takeWanted(VaadinSession session) {
    String wanted = (String) session.getAttribute(WANTED);
    session.setAttribute(WANTED, null);
    return wanted == null || wanted.startsWith("login") ? "" : wanted;
  }
}
