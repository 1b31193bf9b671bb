package io.gatehouse.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The numbered ClickHouse migrations in {@code gatehouse/migrations/}, in order.
 *
 * <p>Each migration is a list of statements (split on a {@code ;} that ends a line; comments are
 * dropped). Every statement must be idempotent on its own ({@code IF NOT EXISTS}) and valid on
 * ClickHouse 18.16 as well as on current releases; the applier (in ingest) also records applied
 * versions in {@link #TRACKING_TABLE} so that statements that cannot be idempotent on 18.16 (e.g.
 * {@code ADD COLUMN}) run once.
 */
public final class Migrations {
  /** Listing of migration files, one name per line, in order. Adding a migration = a file + a line. */
  private static final String INDEX = "gatehouse/migrations/index.txt";
  private static final Pattern NAME = Pattern.compile("(\\d{4})_([a-z0-9_]+)\\.sql");

  public static final String TRACKING_TABLE = "gatehouse.schema_migrations";

  /** Created before any migration runs; itself idempotent. */
  public static final String TRACKING_DDL =
      "CREATE TABLE IF NOT EXISTS " + TRACKING_TABLE
          + " (version UInt32, name String, applied_at DateTime('UTC') DEFAULT now())"
          + " ENGINE = ReplacingMergeTree ORDER BY version";

  private Migrations() {}

  /** One migration file. */
  public record Migration(int version, String name, List<String> statements) {}

  public static List<Migration> all() {
    List<Migration> out = new ArrayList<>();
    int last = 0;
    for (String file : read(INDEX).split("\n")) {
      file = file.strip();
      if (file.isEmpty() || file.startsWith("#")) {
        continue;
      }
      Matcher m = NAME.matcher(file);
      if (!m.matches()) {
        throw new IllegalStateException("migration file name must look like 0001_name.sql: " + file);
      }
      int version = Integer.parseInt(m.group(1));
      if (version != last + 1) {
        throw new IllegalStateException("migrations must be numbered without gaps: " + file);
      }
      last = version;
      out.add(new Migration(version, m.group(2), statements(read("gatehouse/migrations/" + file))));
    }
    return List.copyOf(out);
  }

  static List<String> statements(String sql) {
    StringBuilder current = new StringBuilder();
    List<String> out = new ArrayList<>();
    for (String line : sql.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("--") || trimmed.isEmpty()) {
        continue;
      }
      current.append(line).append('\n');
      if (trimmed.endsWith(";")) {
        String stmt = current.toString().strip();
        out.add(stmt.substring(0, stmt.length() - 1).strip());
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) {
      throw new IllegalStateException("statement without a closing ';': " + current);
    }
    return out;
  }

  // ------------------------------------------------------------------------------- cluster variant

  private static final Pattern CREATE_DATABASE = Pattern.compile("(?s)^CREATE DATABASE IF NOT EXISTS (\\w+)$");
  private static final Pattern CREATE_TABLE = Pattern.compile(
      "(?s)^CREATE TABLE IF NOT EXISTS (\\w+)\\.(\\w+)\\s*(\\(.*\\))\\s*ENGINE\\s*=\\s*(\\w*MergeTree)"
          + "(?:\\(([^)]*)\\))?(.*)$");
  private static final Pattern CREATE_VIEW = Pattern.compile(
      "(?s)^CREATE MATERIALIZED VIEW IF NOT EXISTS (\\w+)\\.(\\w+)\\s+TO\\s+(\\w+)\\.(\\w+)\\s+(AS\\s.*)$");
  private static final Pattern FROM = Pattern.compile("(?i)\\bFROM\\s+(\\w+)\\.(\\w+)\\b");

  /**
   * Every migration's statements in the form a ClickHouse cluster named {@code cluster} needs: the
   * database {@code ON CLUSTER}; each {@code *MergeTree} table as a {@code Replicated*MergeTree} table
   * {@code <name>_local} on every node (ZooKeeper path {@code /clickhouse/tables/{shard}/<db>/<name>},
   * replica {@code {replica}}) plus a {@code Distributed} table under the original name, sharded by
   * {@code cityHash64(event_id)} where there is an event id (so a re-delivered event meets its first
   * copy on the same shard) and at random otherwise; each materialized view from local table to local
   * table, so it fires on the shard that received the insert. Ingest and the UI keep using the original
   * names. Fails on a statement it cannot translate rather than emit something wrong.
   */
  public static List<String> forCluster(String cluster) {
    if (!cluster.matches("\\w+")) {
      throw new IllegalArgumentException("cluster name must be letters, digits or _: " + cluster);
    }
    List<String> out = new ArrayList<>();
    for (Migration m : all()) {
      for (String statement : m.statements()) {
        out.addAll(forCluster(cluster, statement));
      }
    }
    return out;
  }

  static List<String> forCluster(String cluster, String statement) {
    Matcher db = CREATE_DATABASE.matcher(statement);
    if (db.matches()) {
      return List.of("CREATE DATABASE IF NOT EXISTS " + db.group(1) + " ON CLUSTER " + cluster);
    }
    Matcher t = CREATE_TABLE.matcher(statement);
    if (t.matches()) {
      String database = t.group(1);
      String table = t.group(2);
      String columns = t.group(3);
      String engineArgs = t.group(5) == null ? "" : t.group(5).strip();
      String zk = "'/clickhouse/tables/{shard}/" + database + "/" + table + "', '{replica}'";
      String local = "CREATE TABLE IF NOT EXISTS " + database + "." + table + "_local ON CLUSTER " + cluster + "\n"
          + columns + "\nENGINE = Replicated" + t.group(4) + "(" + zk + (engineArgs.isEmpty() ? "" : ", " + engineArgs)
          + ")" + t.group(6);
      String shardBy = Pattern.compile("(?m)^\\s*event_id\\s").matcher(columns).find() ? "cityHash64(event_id)" : "rand()";
      String distributed = "CREATE TABLE IF NOT EXISTS " + database + "." + table + " ON CLUSTER " + cluster + " AS "
          + database + "." + table + "_local\nENGINE = Distributed(" + cluster + ", " + database + ", " + table
          + "_local, " + shardBy + ")";
      return List.of(local, distributed);
    }
    Matcher v = CREATE_VIEW.matcher(statement);
    if (v.matches()) {
      String select = FROM.matcher(v.group(5)).replaceAll("FROM $1.$2_local");
      return List.of("CREATE MATERIALIZED VIEW IF NOT EXISTS " + v.group(1) + "." + v.group(2) + "_local ON CLUSTER "
          + cluster + " TO " + v.group(3) + "." + v.group(4) + "_local\n" + select);
    }
    throw new IllegalStateException("no cluster form for this migration statement (extend Migrations.forCluster): "
        + statement.lines().findFirst().orElse(statement));
  }

  /** Prints the migrations, single-node or ({@code --cluster NAME}) cluster form, for clickhouse-client --multiquery. */
  public static void main(String[] args) {
    List<String> statements;
    if (args.length == 2 && args[0].equals("--cluster")) {
      statements = forCluster(args[1]);
    } else if (args.length == 0) {
      statements = new ArrayList<>();
      all().forEach(m -> statements.addAll(m.statements()));
    } else {
      System.err.println("usage: Migrations [--cluster NAME]   prints the ClickHouse migrations as SQL");
      System.exit(2);
      return;
    }
    for (String statement : statements) {
      System.out.println(statement + ";\n");
    }
  }

  private static String read(String resource) {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
