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
