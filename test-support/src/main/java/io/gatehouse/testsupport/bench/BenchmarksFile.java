package io.gatehouse.testsupport.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code BENCHMARKS.md}: each bench part owns one {@code ## } section and replaces only that one, so
 * sections written by other tools (the dashboard bench's "## Dashboard queries") stay as they are. Public
 * for the benches that live elsewhere (the response cache's, in proxy's test sources).
 */
public final class BenchmarksFile {
  private static final Pattern MODEL_NAME = Pattern.compile("(?m)^model name\\s*:\\s*(.+)$");
  private static final Pattern MEM_TOTAL = Pattern.compile("(?m)^MemTotal:\\s*(\\d+) kB$");

  private final Path file;

  public BenchmarksFile(Path file) {
    this.file = file;
  }

  /** Replaces (or appends) the section headed {@code ## heading} with {@code body}. */
  public void write(String heading, String body) throws IOException {
    String old = Files.isRegularFile(file) ? Files.readString(file) : "# Benchmarks\n";
    Files.writeString(file, replaceSection(old, heading, body));
    System.out.println("Updated " + file + " (section \"" + heading + "\")");
  }

  /**
   * {@code document} with the section headed exactly {@code ## heading} replaced by that heading and
   * {@code body} (up to the next {@code ## } heading or the end); appended at the end when absent. A
   * {@code ### } sub-heading belongs to its section; a heading that only starts with {@code heading}
   * is another section.
   */
  static String replaceSection(String document, String heading, String body) {
    String section = "## " + heading + "\n\n" + body.strip() + "\n";
    Matcher m = Pattern.compile("(?m)^## " + Pattern.quote(heading) + "[ \\t]*$").matcher(document);
    if (!m.find()) {
      return document.stripTrailing() + "\n\n" + section;
    }
    int start = m.start();
    Matcher next = Pattern.compile("(?m)^## ").matcher(document);
    int end = next.find(m.end()) ? next.start() : document.length();
    return document.substring(0, start) + section + (end < document.length() ? "\n" + document.substring(end) : "");
  }

  /**
   * The first lines of every section: the machine (cores, CPU model, RAM), the date, the exact command
   * and the load average when the part started.
   */
  static String preamble(String command, String loadAverage) {
    return preamble(command, loadAverage, String.format("The load generator, the fake provider, Kafka and the proxy "
        + "share this %d-core box.", Runtime.getRuntime().availableProcessors()));
  }

  /** {@link #preamble(String, String)} with {@code setup} (what shares the box) as its second paragraph. */
  public static String preamble(String command, String loadAverage, String setup) {
    String cpu = read("/proc/cpuinfo").flatMap(t -> first(MODEL_NAME, t)).orElse("unknown CPU");
    String ram = read("/proc/meminfo").flatMap(t -> first(MEM_TOTAL, t))
        .map(kb -> String.format("%.1f GiB RAM", Long.parseLong(kb) / 1024.0 / 1024.0)).orElse("RAM unknown");
    return String.format("Machine: %d cores (`nproc`), %s, %s. Date: %s. Command: `%s`. Load average at start: %s.%n%n"
            + "%s%n", Runtime.getRuntime().availableProcessors(), cpu, ram,
        ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
        command, loadAverage, setup);
  }

  /** {@code /proc/loadavg}'s three averages, e.g. "1.20 0.90 0.75"; "unknown" elsewhere. */
  public static String loadAverage() {
    return read("/proc/loadavg").map(t -> {
      String[] f = t.trim().split("\\s+");
      return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "unknown";
    }).orElse("unknown");
  }

  private static Optional<String> first(Pattern p, String text) {
    Matcher m = p.matcher(text);
    return m.find() ? Optional.of(m.group(1).trim()) : Optional.empty();
  }

  private static Optional<String> read(String path) {
    try {
      return Optional.of(Files.readString(Path.of(path)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
