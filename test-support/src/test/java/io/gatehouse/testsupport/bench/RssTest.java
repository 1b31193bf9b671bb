package io.gatehouse.testsupport.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class RssTest {
  private static final String STATUS = "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 4012345 kB\n"
      + "VmHWM:\t  301234 kB\nVmRSS:\t  187432 kB\nRssAnon:\t  170000 kB\nThreads:\t42\n";

  @Test
  void readsVmRssNotTheOtherMemoryLines() {
    assertThat(Rss.parseVmRssKb(STATUS)).hasValue(187_432);
    assertThat(Rss.parseVmRssKb("Name:\tkthreadd\nState:\tS\n")).isEmpty(); // kernel threads have none
  }

  @Test
  void readsThisProcess() {
    assertThat(Rss.ofPid(ProcessHandle.current().pid()).orElseThrow()).isGreaterThan(1024);
    assertThat(Rss.ofPid(Long.MAX_VALUE)).isEmpty();
  }

  @Test
  void slopeIsMegabytesPerMinute() {
    List<Rss.Sample> growing = List.of(new Rss.Sample(0, 100), new Rss.Sample(60, 102), new Rss.Sample(120, 104),
        new Rss.Sample(180, 106));
    assertThat(Rss.slopeMbPerMinute(growing)).isCloseTo(2.0, within(1e-9));
    List<Rss.Sample> flat = List.of(new Rss.Sample(0, 150), new Rss.Sample(10, 151), new Rss.Sample(20, 150),
        new Rss.Sample(30, 151));
    assertThat(Math.abs(Rss.slopeMbPerMinute(flat))).isLessThan(2.0);
    assertThat(Rss.slopeMbPerMinute(List.of(new Rss.Sample(0, 1)))).isNaN();
  }
}
