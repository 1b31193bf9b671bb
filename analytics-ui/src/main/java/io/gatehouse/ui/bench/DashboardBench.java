package io.gatehouse.ui.bench;

import io.gatehouse.schemas.Migrations;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;
import io.gatehouse.ui.experiments.Experiment;
import io.gatehouse.ui.experiments.ExperimentQueries;
import io.gatehouse.ui.requests.RequestCriteria;
import io.gatehouse.ui.requests.RequestFilter;
import io.gatehouse.ui.requests.RequestQueries;
import io.gatehouse.ui.requests.RequestSort;
import io.gatehouse.ui.requests.RequestsView;
import io.gatehouse.ui.requests.BucketSize;
import io.gatehouse.ui.requests.TimeRange;
import io.gatehouse.ui.requests.VolumeBucket;
import io.gatehouse.ui.rollup.Bucket;
import io.gatehouse.ui.rollup.Dimension;
import io.gatehouse.ui.rollup.RollupQueries;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./gatehouse bench ui}: writes N realistic events (default 10M) straight into ClickHouse with
 * {@code INSERT … SELECT … FROM numbers()} (server-side, so the rollup view fills as in production),
 * then times every dashboard query — the very methods the views call — and reports p50/p95 per query
 * against the targets (rollup views ≤ 300 ms p95, raw search ≤ 1 s p95), updating BENCHMARKS.md.
 *
 * <p>Arguments: {@code --clickhouse URL} (required), {@code --events N}, {@code --runs R} (per query,
 * default 15), {@code --benchmarks PATH} (BENCHMARKS.md to update), {@code --regenerate} (drop and
 * regenerate even if the table already holds N events).
 */
public final class DashboardBench {
  static final long ROLLUP_TARGET_MS = 300;
  static final long SEARCH_TARGET_MS = 1_000;
  private static final long CHUNK = 1_000_000;
  static final String SECTION = "## Dashboard queries";

  private record Timed(String name, String reads, long targetMs, Runnable query) {}

  private record Result(String name, String reads, long targetMs, double p50, double p95) {
    boolean ok() {
      return p95 <= targetMs;
    }
  }

  private DashboardBench() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> opts = options(args);
    URI url = URI.create(required(opts, "clickhouse"));
    long events = Long.parseLong(opts.getOrDefault("events", "10000000"));
    int runs = Integer.parseInt(opts.getOrDefault("runs", "15"));
    ClickHouseHttp ch = new ClickHouseHttp(url, "default", "", Duration.ofMinutes(30));
    Instant now = Instant.now();

    long have = tableRows(ch);
    if (have != events || opts.containsKey("regenerate")) {
      for (String table : List.of("rollup_hourly_mv", "rollup_hourly", "rollup_daily_mv", "rollup_daily",
          "rollup_daily_user_mv", "rollup_daily_user", "events", "feedback")) {
        ch.query("DROP TABLE IF EXISTS gatehouse." + table);
      }
      migrate(ch);
      generate(ch, events, now);
      // steady state: background merges collapse rollup rows of the same key over time; do it now
      long merging = System.nanoTime();
      for (String part : ch.query("SELECT DISTINCT concat(table, ' PARTITION ', partition) FROM system.parts"
          + " WHERE active AND database = 'gatehouse' AND table LIKE 'rollup_%' FORMAT TabSeparated").strip().split("\n")) {
        ch.query("OPTIMIZE TABLE gatehouse." + part + " FINAL");
      }
      System.out.printf(Locale.ROOT, "  merged the rollups (%.0f s)%n", (System.nanoTime() - merging) / 1e9);
    } else {
      migrate(ch);
      System.out.printf(Locale.ROOT, "Reusing %,d events already in gatehouse.events (--regenerate to rebuild)%n", have);
    }
    String version = ch.query("SELECT version()").strip();
    String rollupRows = ch.query("SELECT count() FROM gatehouse.rollup_hourly").strip() + " hourly, "
        + ch.query("SELECT count() FROM gatehouse.rollup_daily").strip() + " daily and "
        + ch.query("SELECT count() FROM gatehouse.rollup_daily_user").strip() + " daily-user";
    String size = ch.query("SELECT formatReadableSize(sum(bytes_on_disk)) FROM system.parts WHERE active AND database = 'gatehouse' AND table = 'events'").strip();

    List<Result> results = new ArrayList<>();
    double minLoad = Double.NaN;
    double maxLoad = Double.NaN;
    for (Timed t : queries(ch, now)) {
      double load = loadAverage();
      minLoad = Double.isNaN(minLoad) ? load : Math.min(minLoad, load);
      maxLoad = Double.isNaN(maxLoad) ? load : Math.max(maxLoad, load);
      results.add(time(t, runs));
      Result r = results.get(results.size() - 1);
      System.out.printf(Locale.ROOT, "%-46s %-7s p50 %7.1f ms  p95 %7.1f ms  (target %,d ms) %s%n",
          r.name(), r.reads(), r.p50(), r.p95(), r.targetMs(), r.ok() ? "ok" : "OVER");
    }
    String table = markdown(results, events, runs, version, rollupRows, size) + conditions(minLoad, maxLoad);
    System.out.println();
    System.out.println(table);
    if (opts.containsKey("benchmarks")) {
      Path file = Path.of(opts.get("benchmarks"));
      String old = Files.exists(file) ? Files.readString(file) : "# Benchmarks\n";
      Files.writeString(file, replaceSection(old, table));
      System.out.println("Updated " + file + " (section \"" + SECTION.substring(3) + "\")");
    }
    if (results.stream().anyMatch(r -> !r.ok())) {
      System.exit(1);
    }
  }

  private static List<Timed> queries(ClickHouseHttp ch, Instant now) {
    RollupQueries rollups = new RollupQueries(ch);
    RequestQueries requests = new RequestQueries(ch);
    ExperimentQueries experiments = new ExperimentQueries(ch);
    Instant end = now.plusSeconds(1);
    Instant today = now.atOffset(ZoneOffset.UTC).toLocalDate().atStartOfDay().toInstant(ZoneOffset.UTC);
    Instant month = Bucket.MONTH.floor(now);
    // as the views ask: whole UTC days for day ranges (the Costs page's from/to are days)
    Instant week = today.minus(Duration.ofDays(6));
    Instant thirty = today.minus(Duration.ofDays(29));
    Instant dayAgo = Bucket.HOUR.floor(now).minus(Duration.ofHours(23));
    RequestFilter last24h = RequestFilter.last(TimeRange.LAST_24_HOURS, now, "");
    RequestFilter text7d = RequestFilter.last(TimeRange.LAST_7_DAYS, now, "",
        new RequestCriteria("", "", "", "", "", "", null, null, null, "", "chargeback"));
    RequestFilter text24h = RequestFilter.last(TimeRange.LAST_24_HOURS, now, "",
        new RequestCriteria("", "", "", "", "", "", null, null, null, "", "chargeback"));
    RequestFilter textModel7d = RequestFilter.last(TimeRange.LAST_7_DAYS, now, "",
        new RequestCriteria("gpt-4o", "", "", "", "", "", null, null, null, "", "chargeback"));
    RequestFilter slow7d = RequestFilter.last(TimeRange.LAST_7_DAYS, now, "",
        new RequestCriteria("gpt-4o", "", "", "", "error", "", 5000L, null, null, "", ""));
    // the page's auto-refresh 5 s later: the same text search, the range moved on (see RequestsView)
    List<VolumeBucket> before = requests.volume(text7d, BucketSize.HOUR);
    RequestFilter text7dLater = RequestFilter.last(TimeRange.LAST_7_DAYS, now.plusSeconds(5), "", text7d.criteria());
    Instant settled = text7d.to().minus(RequestsView.LATE);
    // the grid opens a request with its id and its second (ts), as the detail page is linked
    String[] sample = ch.query("SELECT toString(event_id), toUInt32(ts) FROM gatehouse.events WHERE ts >= toDateTime("
        + now.minus(Duration.ofHours(2)).getEpochSecond() + ") LIMIT 1 FORMAT TabSeparated").strip().split("\t");
    return List.of(
        new Timed("Overview: today (totals, latency p50/p95)", "rollup", ROLLUP_TARGET_MS, () -> rollups.totals(today, end, true)),
        new Timed("Overview: spend this month (totals)", "rollup", ROLLUP_TARGET_MS, () -> rollups.totals(month, end, false)),
        new Timed("Overview: top users, 7 days", "rollup", ROLLUP_TARGET_MS, () -> rollups.groups(Dimension.USER, week, end, 8, false)),
        new Timed("Overview: top models, 7 days", "rollup", ROLLUP_TARGET_MS, () -> rollups.groups(Dimension.MODEL, week, end, 8, false)),
        new Timed("Overview: cost per hour by model, 24 h", "rollup", ROLLUP_TARGET_MS,
            () -> rollups.costSeries(Dimension.MODEL, Bucket.HOUR, dayAgo, end, 8)),
        new Timed("Costs: by user per day, 30 days (table)", "rollup", ROLLUP_TARGET_MS,
            () -> rollups.groups(Dimension.USER, thirty, end, 500, false)),
        new Timed("Costs: by team per day, 30 days (chart)", "rollup", ROLLUP_TARGET_MS,
            () -> rollups.costSeries(Dimension.TEAM, Bucket.DAY, thirty, end, 10)),
        new Timed("Keys: spend per key, this month", "rollup", ROLLUP_TARGET_MS,
            () -> rollups.groups(Dimension.KEY, month, end, 500, false)),
        // as the Requests page asks: the volume chart (which also gives the grid its count), then the
        // first page of the grid
        new Timed("Requests: chart + first page, 24 h", "raw", SEARCH_TARGET_MS,
            () -> search(requests, last24h, BucketSize.HOUR, RequestSort.NEWEST_FIRST)),
        new Timed("Search: text in prompt/completion, 24 h (the page's default range)", "raw", SEARCH_TARGET_MS,
            () -> search(requests, text24h, BucketSize.HOUR, RequestSort.NEWEST_FIRST)),
        new Timed("Search: text in prompt/completion, 7 days", "raw", SEARCH_TARGET_MS,
            () -> search(requests, text7d, BucketSize.HOUR, RequestSort.NEWEST_FIRST)),
        new Timed("Search: text, 7 days, the auto-refresh 5 s later (range ends only)", "raw", SEARCH_TARGET_MS, () -> {
          List<VolumeBucket> volume = requests.volume(text7dLater, BucketSize.HOUR, before, settled);
          requests.page(text7dLater, RequestSort.NEWEST_FIRST, 0, 50, volume, BucketSize.HOUR);
        }),
        new Timed("Search: text + one model, 7 days", "raw", SEARCH_TARGET_MS,
            () -> search(requests, textModel7d, BucketSize.HOUR, RequestSort.NEWEST_FIRST)),
        new Timed("Search: model+error+latency≥5s, slowest first, 7 days", "raw", SEARCH_TARGET_MS,
            () -> search(requests, slow7d, BucketSize.HOUR, new RequestSort(RequestSort.Column.DURATION, true))),
        new Timed("Request detail by id", "raw", SEARCH_TARGET_MS, () -> requests.detail(sample[0], Long.parseLong(sample[1]))),
        new Timed("Experiments: variants of one, 7 days", "raw", SEARCH_TARGET_MS,
            () -> experiments.variants(Experiment.Kind.EXPERIMENT, "support-prompt-v3", week, end)));
  }

  private static void search(RequestQueries requests, RequestFilter filter, BucketSize size, RequestSort sort) {
    List<VolumeBucket> volume = requests.volume(filter, size);
    requests.page(filter, sort, 0, 50, volume, size);
  }

  private static Result time(Timed t, int runs) {
    t.query().run(); // warm-up: first read of the parts' marks
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      t.query().run();
      ms[i] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(ms);
    return new Result(t.name(), t.reads(), t.targetMs(), percentile(ms, 0.50), percentile(ms, 0.95));
  }

  /** Nearest-rank percentile of sorted values. */
  static double percentile(double[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static void migrate(ClickHouseHttp ch) {
    // the first migration creates the database; the tracking table lives in it, so it comes after
    Migrations.all().forEach(m -> m.statements().forEach(ch::query));
    ch.query(Migrations.TRACKING_DDL);
  }

  private static long tableRows(ClickHouseHttp ch) {
    try {
      return Long.parseLong(ch.query("SELECT count() FROM gatehouse.events").strip());
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /**
   * Events over the last 30 days with realistic skew (recent days and a few heavy users dominate):
   * 2,000 users, each in one of 12 teams and using one of its team's 4 virtual keys (48 keys); each team
   * builds 3 of 20 features; each feature mostly calls one of 8 models of 4 providers; ~3% errors (with failed attempts), a latency tail, streaming with
   * TTFT, cache hits, 10% of traffic in an A/B experiment, a prompt of ~300 characters.
   */
  private static void generate(ClickHouseHttp ch, long events, Instant now) {
    long end = now.getEpochSecond();
    long span = Duration.ofDays(30).toSeconds();
    long started = System.nanoTime();
    for (long offset = 0; offset < events; offset += CHUNK) {
      long n = Math.min(CHUNK, events - offset);
      ch.query("INSERT INTO gatehouse.events (event_id, schema_version, source, ts, ts_start_ms, ts_first_token_ms,"
          + " ts_end_ms, ttft_ms, duration_ms, upstream_ms, overhead_us, endpoint, model_requested, model, provider,"
          + " deployment, stream, params, prompt, prompt_hash, status, finish_reason, completion, error_class, error_message,"
          + " input_tokens, output_tokens, cached_input_tokens, cost_usd, cost_saved_usd, price_version, virtual_key_id,"
          + " team, user, feature, environment, `tags.key`, `tags.value`, route, `attempts.provider`, `attempts.deployment`,"
          + " `attempts.model`, `attempts.status`, `attempts.failure_class`, `attempts.duration_ms`, fallback_used,"
          + " cache_result, experiment, variant, prompt_id, prompt_version)"
          + " SELECT generateUUIDv4(), 1, 'proxy', toDateTime(t), t * 1000, if(st, t * 1000 + ttft, NULL), t * 1000 + dur,"
          + " if(st, toUInt32(ttft), NULL), toUInt32(dur), toUInt32(dur - 1), toUInt32(300 + r1 % 400),"
          + " '/v1/chat/completions', m, m, p, concat(p, '#0'), st, '{}',"
          + " concat('[{\"role\":\"user\",\"content\":\"Ticket ', toString(number), ': customer asks about ', topic,"
          + " '. ', arrayStringConcat(arrayMap(x -> 'Please summarise the history and propose a reply.', range(5)), ' '), '\"}]'),"
          + " hex(r2), if(err, 502, 200), if(err, '', 'stop'),"
          + " if(err, '', concat('Here is a reply about ', topic, ' for ticket ', toString(number), '.')),"
          + " if(err, 'transient', ''), if(err, 'upstream returned 502', ''),"
          + " toUInt32(inTok), if(err, NULL, toUInt32(outTok)), toUInt32(if(hit, inTok, 0)),"
          + " if(err OR hit, 0., (inTok * price + outTok * price * 4) / 1000000.), if(hit, (inTok * price + outTok * price * 4) / 1000000., 0.),"
          + " '2026-11', concat('vk_', toString((u % 12) * 4 + intDiv(u, 12) % 4)), concat('team-', toString(u % 12)), concat('user-', toString(u)),"
          + " concat('feature-', toString(fi)), 'prod', ['env'], ['prod'], m,"
          + " if(err, [p, p], [p]), if(err, [concat(p, '#0'), concat(p, '#1')], [concat(p, '#0')]), if(err, [m, m], [m]),"
          + " if(err, [529, 502], [200]), if(err, ['transient', 'transient'], ['']), if(err, [40, toUInt32(dur - 40)], [toUInt32(dur)]),"
          + " 0, if(hit, 'exact', 'miss'), if(ab, 'support-prompt-v3', ''), if(ab, if(r1 % 2 = 0, 'control', 'candidate'), ''),"
          + " if(fi = 3, 'summarize', ''), if(fi = 3, toString(1 + r2 % 3), '')"
          + " FROM (SELECT number + " + offset + " AS number, rand(1) AS r1, rand(2) AS r2, rand(3) AS r3, rand(4) AS r4,"
          + "   " + end + " - toUInt32(pow((r2 % 1000000) / 1000000., 1.3) * " + span + ") AS t,"
          + "   toUInt32(pow((r3 % 10000) / 10000., 3) * 2000) AS u,"
          + "   ((u % 12) * 3 + r4 % 3) % 20 AS fi,"
          + "   (fi * 3 + if(r1 % 10 < 8, 0, 1)) % 8 AS mi,"
          + "   ['gpt-4o-mini','gpt-4o','claude-3-5-haiku','claude-sonnet-4','gemini-2.0-flash','gemini-2.5-pro','llama-3.1-8b','o3-mini'][mi + 1] AS m,"
          + "   ['openai','openai','anthropic','anthropic','gemini','gemini','local','openai'][mi + 1] AS p,"
          + "   [0.15, 2.5, 0.8, 3.0, 0.1, 1.25, 0.0, 1.1][mi + 1] AS price,"
          + "   r4 % 100 < 3 AS err, r4 % 100 >= 90 AS hit, r3 % 10 = 0 AS ab, r2 % 3 != 0 AS st,"
          + "   ['billing','refund','chargeback','login','shipping','invoice','upgrade','cancellation'][r1 % 8 + 1] AS topic,"
          + "   200 + r1 % 1500 + if(r2 % 50 = 0, r3 % 20000, 0) AS dur, 80 + r4 % 600 AS ttft,"
          + "   50 + r2 % 3000 AS inTok, 10 + r3 % 800 AS outTok"
          + "   FROM numbers(" + n + "))");
      System.out.printf(Locale.ROOT, "  generated %,d / %,d events (%.0f s)%n", offset + n, events,
          (System.nanoTime() - started) / 1e9);
    }
  }

  static String markdown(List<Result> results, long events, int runs, String version, String rollupRows, String size) {
    StringBuilder sb = new StringBuilder();
    sb.append(SECTION).append("\n\n");
    sb.append(String.format(Locale.ROOT, "`./gatehouse bench ui`: %,d events over 30 days (%s on disk, %s rollup rows)"
        + " generated in ClickHouse %s on this machine, then each dashboard query (the methods the views call) run"
        + " %d times after one warm-up. Targets: p95 ≤ %d ms for rollup views, ≤ %,d ms for raw search and detail.%n%n",
        events, size, rollupRows, version, runs, ROLLUP_TARGET_MS, SEARCH_TARGET_MS));
    sb.append("| Query | Reads | p50 ms | p95 ms | Target ms | |\n|---|---|---:|---:|---:|---|\n");
    for (Result r : results) {
      sb.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %,d | %s |%n", r.name(), r.reads(), r.p50(), r.p95(),
          r.targetMs(), r.ok() ? "ok" : "over"));
    }
    return sb.toString();
  }

  /** When and under what load it ran, and why the raw reads are as fast as they are. */
  private static String conditions(double minLoad, double maxLoad) {
    String load = Double.isNaN(minLoad) ? "unknown"
        : String.format(Locale.ROOT, "%.2f to %.2f", minLoad, maxLoad);
    return String.format(Locale.ROOT, "%nMeasured %s UTC on %d cores, 1-minute load average %s while the"
        + " queries ran (read before each one; these machines are shared: at a load above the core count"
        + " the other processes' share of the CPU is in these times, so compare p50s and rerun when it is high).%n%n"
        + "How the raw reads stay fast on ClickHouse 18.16, which has no skip indexes: every filter is a"
        + " PREWHERE (its columns are read first, the rest only where it holds); the volume chart also gives"
        + " the grid its count; a page in time order reads only the hours that hold it (from the chart's"
        + " per-hour counts) and a page finds its 50 keys first, then reads the shown columns of those rows"
        + " alone; no FINAL (ingest writes each event once). A text search is still a scan of the range's"
        + " prompts and completions (about 1.2 GB of text for 7 days here): it reads them in blocks of one"
        + " granule (`max_block_size` 8192 instead of 65536: about a third less CPU on this machine), next to"
        + " a narrowing filter (model, user, errors, …) it is a WHERE after that filter's PREWHERE, so the text"
        + " is read only where the filter holds; the case-insensitive search stays the UTF-8 function (the"
        + " ASCII one was slower on 18.16). While a text search stays on screen, its 5-second auto-refresh"
        + " re-reads only the range's first bucket and the buckets of the last 10 minutes. The scan still"
        + " grows with the range, so the Requests page opens on the last 24 hours.%n",
        java.time.LocalDateTime.now(ZoneOffset.UTC).withNano(0), Runtime.getRuntime().availableProcessors(), load);
  }

  /** The 1-minute load average of this machine, NaN where there is no /proc/loadavg. */
  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Replaces the "Dashboard queries" section (up to the next "## " heading) or appends it. */
  static String replaceSection(String document, String section) {
    int start = document.indexOf(SECTION);
    if (start < 0) {
      return document.stripTrailing() + "\n\n" + section;
    }
    int next = document.indexOf("\n## ", start + SECTION.length());
    return document.substring(0, start) + section + (next < 0 ? "" : "\n" + document.substring(next + 1));
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
      }
      String name = args[i].substring(2);
      if (name.equals("regenerate")) {
        out.put(name, "true");
      } else if (i + 1 < args.length) {
        out.put(name, args[++i]);
      } else {
        throw new IllegalArgumentException("--" + name + " needs a value");
      }
    }
    return out;
  }

  private static String required(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }
}
