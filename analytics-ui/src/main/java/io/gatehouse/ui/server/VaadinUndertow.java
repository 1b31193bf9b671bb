package io.gatehouse.ui.server;

import com.vaadin.flow.server.InitParameters;
import com.vaadin.flow.server.VaadinServlet;
import io.github.classgraph.ClassGraph;
import io.github.classgraph.ClassInfoList;
import io.github.classgraph.ScanResult;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.servlet.api.ServletContainer;
import io.undertow.servlet.api.ServletContainerInitializerInfo;
import io.undertow.servlet.util.ImmediateInstanceFactory;
import jakarta.servlet.ServletContainerInitializer;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.HandlesTypes;
import jakarta.servlet.annotation.WebListener;
import java.net.InetSocketAddress;
import java.util.EventListener;
import java.util.HashSet;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vaadin Flow in production mode on embedded Undertow. Undertow does no annotation scanning, so this
 * class does what a servlet container would: it scans the classpath (ClassGraph) to hand every
 * {@link ServletContainerInitializer} its {@link HandlesTypes} classes, registers {@link WebListener}
 * classes, and deploys {@link VaadinServlet} on {@code /*}. Static files come from
 * {@code META-INF/resources} on the classpath (our scripts, webjars, the pre-compiled bundle).
 */
public final class VaadinUndertow implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VaadinUndertow.class);
  /** Vaadin's own classes and ours: the only places that hold @HandlesTypes targets and routes. */
  private static final String[] SCANNED_PACKAGES = {"com.vaadin", "io.gatehouse.ui"};
  /** 200 while the process serves HTTP at all. */
  public static final String LIVE = "/health/live";
  /** Registered by the composition root: 200 while the UI can do its job ({@link ClickHouseReadiness}). */
  public static final String READY = "/health/ready";

  private final Undertow undertow;
  private final DeploymentManager deployment;
  private final int port;

  private VaadinUndertow(Undertow undertow, DeploymentManager deployment, int port) {
    this.undertow = undertow;
    this.deployment = deployment;
    this.port = port;
  }

  /**
   * Deploys and starts listening on {@code host:port} (0 = a free port). {@code attributes} become
   * servlet context attributes, which views read through {@code VaadinContext#getAttribute(Class)}.
   */
  public static VaadinUndertow start(String host, int port, Map<String, Object> attributes) throws ServletException {
    return start(host, port, attributes, Map.of());
  }

  /**
   * Like {@link #start(String, int, Map)}, with {@code endpoints} answering their exact paths outside
   * Vaadin and its sign-in (e.g. {@code /metrics}, {@code /health/ready}; each handler decides who may
   * read). {@code /health} and {@code /health/live} are always there.
   */
  public static VaadinUndertow start(String host, int port, Map<String, Object> attributes,
      Map<String, io.undertow.server.HttpHandler> endpoints) throws ServletException {
    ClassLoader classLoader = VaadinUndertow.class.getClassLoader();
    DeploymentInfo info = Servlets.deployment()
        .setClassLoader(classLoader)
        .setContextPath("/")
        .setDeploymentName("gatehouse-analytics-ui")
        .setResourceManager(new ClassPathResourceManager(classLoader, "META-INF/resources"))
        // the Vaadin plugin removes flow-build-info.json after the build: force production mode here
        .addInitParameter(InitParameters.SERVLET_PARAMETER_PRODUCTION_MODE, "true")
        .addServlet(Servlets.servlet("vaadin", VaadinServlet.class)
            .addMapping("/*")
            .setAsyncSupported(true)
            .setLoadOnStartup(1)
            .addInitParam(InitParameters.SERVLET_PARAMETER_PRODUCTION_MODE, "true"));
    attributes.forEach(info::addServletContextAttribute);

    long scanStart = System.nanoTime();
    try (ScanResult scan = new ClassGraph().enableClassInfo().enableAnnotationInfo()
        .acceptPackages(SCANNED_PACKAGES).scan()) {
      for (ServletContainerInitializer initializer : ServiceLoader.load(ServletContainerInitializer.class, classLoader)) {
        info.addServletContainerInitializer(new ServletContainerInitializerInfo(initializer.getClass(),
            new ImmediateInstanceFactory<>(initializer), handledTypes(initializer, scan)));
      }
      for (Class<?> listener : scan.getClassesWithAnnotation(WebListener.class).loadClasses(true)) {
        if (EventListener.class.isAssignableFrom(listener)) {
          info.addListener(Servlets.listener(listener.asSubclass(EventListener.class)));
        }
      }
    }
    log.debug("classpath scan took {} ms", (System.nanoTime() - scanStart) / 1_000_000);

    DeploymentManager deployment = ServletContainer.Factory.newInstance().addDeployment(info);
    deployment.deploy();
    io.undertow.server.handlers.PathHandler paths = Handlers.path(deployment.start())
        .addExactPath("/health", exchange -> json(exchange, "{\"status\":\"ok\"}"))
        .addExactPath(LIVE, exchange -> json(exchange, "{\"status\":\"live\"}"));
    endpoints.forEach(paths::addExactPath);
    Undertow undertow = Undertow.builder()
        .addHttpListener(port, host)
        .setHandler(paths)
        .build();
    undertow.start();
    int actualPort = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
    return new VaadinUndertow(undertow, deployment, actualPort);
  }

  /** Anonymous liveness answers ({@code /health}, {@link #LIVE}) for probes and the launcher: no data, no session. */
  private static void json(HttpServerExchange exchange, String body) {
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send(body);
  }

  public int port() {
    return port;
  }

  /** Stops accepting connections, then destroys the servlet context (sessions, Vaadin service). */
  @Override
  public void close() {
    undertow.stop();
    try {
      deployment.stop();
    } catch (ServletException e) {
      log.warn("Vaadin deployment did not stop cleanly", e);
    }
    deployment.undeploy();
  }

  /** What a container would pass to {@code onStartup}: classes annotated with, implementing or extending each type. */
  private static Set<Class<?>> handledTypes(ServletContainerInitializer initializer, ScanResult scan) {
    HandlesTypes handles = initializer.getClass().getAnnotation(HandlesTypes.class);
    Set<Class<?>> classes = new HashSet<>();
    if (handles == null) {
      return classes;
    }
    for (Class<?> type : handles.value()) {
      ClassInfoList matches;
      if (type.isAnnotation()) {
        matches = scan.getClassesWithAnnotation(type.getName());
      } else if (type.isInterface()) {
        matches = scan.getClassesImplementing(type.getName());
      } else {
        matches = scan.getSubclasses(type.getName());
      }
      // true: skip classes whose optional dependencies (Spring, dev mode) are not on the classpath
      classes.addAll(matches.loadClasses(true));
    }
    return classes;
  }
}
