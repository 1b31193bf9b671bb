package io.gatehouse.testsupport.fake;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A recorded provider stream cut into the pieces {@link FixtureProvider} writes: one piece per SSE
 * event, separators kept. (In this package only to reach {@link FixtureProvider#events}, so the
 * benchmarks read exactly what the fake provider sends.)
 */
public final class FixtureChunks {
  private FixtureChunks() {}

  /** {@code fixtures/<dialect>/<file>} as the fake provider sends it, one read-only buffer per event. */
  public static List<ByteBuffer> of(String dialect, String file) {
    return FixtureProvider.events(FixtureProvider.text(dialect, file).getBytes(StandardCharsets.UTF_8)).stream()
        .map(ByteBuffer::asReadOnlyBuffer).toList();
  }
}
