package io.gatehouse.testsupport.bench;

import io.undertow.Undertow;
import io.undertow.server.handlers.proxy.LoadBalancingProxyClient;
import io.undertow.server.handlers.proxy.ProxyHandler;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The bench's floor: a reverse proxy that does nothing but forward, built from Undertow's own
 * {@link ProxyHandler} on the same server library, IO threads and JVM flags as Gatehouse's proxy. It
 * reads no body, routes nothing, prices nothing and publishes no event, so what it adds to a direct
 * call is what any JVM proxy in one more process adds on this machine: a hop through the kernel, a
 * process the scheduler must run, and its IO threads' wake-ups. Gatehouse minus this is Gatehouse's
 * own cost.
 */
@Command(name = "gatehouse-floor-proxy", mixinStandardHelpOptions = true,
    description = "A bare reverse proxy (Undertow ProxyHandler, no parsing, no logging) for the bench's floor.")
public final class FloorProxy implements Callable<Integer> {
  @Option(names = "--port", required = true, description = "Port to listen on (loopback).")
  int port;

  @Option(names = "--upstream", required = true, description = "Where to forward, e.g. http://127.0.0.1:18090 (paths kept).")
  URI upstream;

  @Option(names = "--connections-per-thread", defaultValue = "64",
      description = "Kept-alive upstream connections per IO thread (default: ${DEFAULT-VALUE}).")
  int connectionsPerThread;

  public static void main(String[] args) {
    int code = new CommandLine(new FloorProxy()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    // as many kept-alive connections as the bench's bursts need, and a queue rather than a 503 when all
    // are busy (Undertow's defaults: 5 kept, no queue)
    LoadBalancingProxyClient upstreamClient = new LoadBalancingProxyClient()
        .addHost(upstream)
        .setConnectionsPerThread(connectionsPerThread)
        .setSoftMaxConnectionsPerThread(connectionsPerThread)
        .setMaxQueueSize(4096);
    Undertow server = Undertow.builder()
        .addHttpListener(port, "127.0.0.1")
        .setHandler(ProxyHandler.builder().setProxyClient(upstreamClient).setMaxRequestTime(30_000).build())
        .build();
    server.start();
    System.out.println("Floor proxy on 127.0.0.1:" + port + " -> " + upstream);
    Thread.currentThread().join(); // until the bench stops this process
    return 0;
  }
}
