package io.gatehouse.testsupport.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.math3.stat.regression.SimpleRegression;

/** A process's resident memory from {@code /proc/PID/status}, and the trend of a series of samples. */
final class Rss {
  private static final Pattern VM_RSS = Pattern.compile("(?m)^VmRSS:\\s*(\\d+)\\s*kB\\s*$");

  private Rss() {}

  /** {@code VmRSS} in kB from the text of {@code /proc/PID/status}; empty when the line is missing. */
  static OptionalLong parseVmRssKb(String status) {
    Matcher m = VM_RSS.matcher(status);
    return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  /** The process's current RSS in kB; empty once it has exited. */
  static OptionalLong ofPid(long pid) {
    try {
      return parseVmRssKb(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  /** One sample: seconds since the run started, RSS in MB. */
  record Sample(double seconds, double mb) {}

  /** Least-squares slope of the samples in MB per minute (NaN with fewer than two). */
  static double slopeMbPerMinute(List<Sample> samples) {
    if (samples.size() < 2) {
      return Double.NaN;
    }
    SimpleRegression r = new SimpleRegression();
    samples.forEach(s -> r.addData(s.seconds() / 60.0, s.mb()));
    return r.getSlope();
  }
}
