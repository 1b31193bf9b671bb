package io.gatehouse.proxy.events;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads a spool directory's segment files directly, read-only, as a power-cut survivor would find them. Test-only. */
final class SpoolFiles {
  private SpoolFiles() {}

  static List<Path> segments(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(SpoolSegment.SUFFIX)).sorted().toList();
    }
  }

  /** The keys (event ids) of every valid record, in spool order. */
  static List<String> keys(Path dir) throws IOException {
    List<String> keys = new ArrayList<>();
    for (Path p : segments(dir)) {
      try (SpoolSegment s = SpoolSegment.openExisting(p, Long.parseLong(p.getFileName().toString().substring(0, 20)))) {
        long offset = SpoolSegment.HEADER_BYTES;
        while (offset < s.size()) {
          SpoolSegment.Read r = s.read(offset);
          if (r.kind() == SpoolSegment.Kind.RECORD) {
            keys.add(r.key());
          }
          offset = r.next();
        }
      }
    }
    return keys;
  }
}
