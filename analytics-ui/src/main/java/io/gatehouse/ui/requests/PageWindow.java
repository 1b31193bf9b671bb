package io.gatehouse.ui.requests;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where a time-ordered page lies, worked out from the volume chart's per-bucket counts, which the page
 * has already read for the same filter: rows {@code [offset, offset + limit)} newest (or oldest) first
 * lie in a few buckets, so the page query reads only their time range, with the offset made relative
 * to it. ts is the table's first sorting key: a narrower range is fewer granules read, which is what
 * makes the first page of a text search over days cheap.
 *
 * <p>Bucket edges are whole seconds and rows are ordered by ts first, so the rows of a sub-range keep
 * their relative order. Counts taken moments before the page may be off by rows ingested in between;
 * the page is then off by as many rows at its edge, as any live list would be.
 */
record PageWindow(RequestFilter filter, int offset) {
  /**
   * The narrowed filter and offset, or empty when the page lies past the last row (nothing to read).
   * {@code volume} must be the filled, oldest-first buckets of {@code filter} (see
   * {@link RequestQueries#volume}).
   */
  static Optional<PageWindow> of(RequestFilter filter, List<VolumeBucket> volume, BucketSize size,
      boolean newestFirst, int offset, int limit) {
    int n = volume.size();
    long before = 0; // rows in buckets that come before the current one in page order
    int first = -1;
    long firstBefore = 0;
    int last = -1;
    for (int i = 0; i < n; i++) {
      VolumeBucket b = volume.get(newestFirst ? n - 1 - i : i);
      if (first < 0 && before + b.requests() > offset) {
        first = i;
        firstBefore = before;
      }
      before += b.requests();
      if (first >= 0 && before >= (long) offset + limit) {
        last = i;
        break;
      }
    }
    if (first < 0) {
      return Optional.empty();
    }
    if (last < 0) {
      last = n - 1; // the page runs past the last row: read to the end
    }
    Instant a = volume.get(newestFirst ? n - 1 - last : first).start();
    Instant b = volume.get(newestFirst ? n - 1 - first : last).start().plus(size.width());
    Instant from = a.isAfter(filter.from()) ? a : filter.from();
    Instant to = b.isBefore(filter.to()) ? b : filter.to();
    RequestFilter narrowed = new RequestFilter(from, to, filter.search(), filter.criteria());
    return Optional.of(new PageWindow(narrowed, (int) (offset - firstBefore)));
  }
}
