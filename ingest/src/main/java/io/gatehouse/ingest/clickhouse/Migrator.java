package io.gatehouse.ingest.clickhouse;

import io.gatehouse.schemas.clickhouse.ClickHouseException;
import io.gatehouse.schemas.clickhouse.ClickHouseHttp;

import io.gatehouse.schemas.clickhouse.ClickHouseUnavailableException;
import io.gatehouse.schemas.Migrations;
import io.gatehouse.schemas.Migrations.Migration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the numbered migrations of {@link Migrations#all()} once each.
 *
 * <p>Order: migration 0001 (creates the {@code gatehouse} database; idempotent), then
 * {@link Migrations#TRACKING_DDL}, then every version not yet in {@link Migrations#TRACKING_TABLE}, in
 * order, each recorded right after its statements succeed. Running it again is a no-op. Two ingest
 * replicas starting at the same instant may both run a pending migration; statements are written to
 * be idempotent ({@code IF NOT EXISTS}) so that is harmless for everything but {@code ADD COLUMN}.
 *
 * <p>Runs on the caller's thread; not thread-safe.
 */
public final class Migrator {
  private static final Logger log = LoggerFactory.getLogger(Migrator.class);
  private static final long FIRST_BACKOFF_MS = 500;
  private static final long MAX_BACKOFF_MS = 10_000;

  private final ClickHouseHttp clickHouse;

  public Migrator(ClickHouseHttp clickHouse) {
    this.clickHouse = clickHouse;
  }

  /**
   * Waits until ClickHouse answers (logging what it waits for, with backoff), then migrates.
   *
   * @param keepWaiting asked before every retry; returning false abandons the wait
   * @return the versions applied by this call (empty when the schema was already current)
   * @throws ClickHouseUnavailableException if {@code keepWaiting} turned false first
   * @throws IllegalStateException when a migration statement fails (the server's message included)
   */
  public List<Integer> awaitAndApply(BooleanSupplier keepWaiting) {
    long backoff = FIRST_BACKOFF_MS;
    for (int attempt = 1; ; attempt++) {
      try {
        List<Integer> applied = apply();
        if (attempt > 1) {
          log.info("ClickHouse at {} is up", clickHouse.endpoint());
        }
        return applied;
      } catch (ClickHouseUnavailableException e) {
        if (!keepWaiting.getAsBoolean()) {
          throw e;
        }
        log.warn("Waiting for ClickHouse at {} to apply migrations (attempt {}, next in {} ms): {}",
            clickHouse.endpoint(), attempt, backoff, e.getMessage());
      }
      long until = System.nanoTime() + backoff * 1_000_000;
      while (System.nanoTime() < until) {
        if (!keepWaiting.getAsBoolean()) {
          throw new ClickHouseUnavailableException("gave up waiting for ClickHouse at "
              + clickHouse.endpoint() + ": shutting down", null);
        }
        try {
          Thread.sleep(Math.min(100, backoff));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ClickHouseUnavailableException("interrupted while waiting for ClickHouse", e);
        }
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** Applies pending migrations now; the server must be reachable. */
  public List<Integer> apply() {
    List<Migration> all = Migrations.all();
    Migration first = all.get(0);
    for (String statement : first.statements()) {
      clickHouse.query(statement);
    }
    clickHouse.query(Migrations.TRACKING_DDL);
    Set<Integer> done = appliedVersions();
    List<Integer> appliedNow = new ArrayList<>();
    for (Migration m : all) {
      if (done.contains(m.version())) {
        continue;
      }
      log.info("Applying ClickHouse migration {} ({}, {} statement(s))",
          m.version(), m.name(), m.statements().size());
      for (String statement : m.statements()) {
        try {
          clickHouse.query(statement);
        } catch (ClickHouseUnavailableException e) {
          throw e; // the caller waits for the server and retries
        } catch (ClickHouseException e) {
          throw new IllegalStateException(String.format("migration %04d_%s failed: %s",
              m.version(), m.name(), e.getMessage()), e);
        }
      }
      // name matches [a-z0-9_]+ (enforced by Migrations), so it needs no escaping beyond quotes
      clickHouse.query("INSERT INTO " + Migrations.TRACKING_TABLE + " (version, name) VALUES ("
          + m.version() + ", '" + m.name() + "')");
      appliedNow.add(m.version());
    }
    return List.copyOf(appliedNow);
  }

  /** Versions recorded in the tracking table. */
  public Set<Integer> appliedVersions() {
    String body = clickHouse.query(
        "SELECT DISTINCT version FROM " + Migrations.TRACKING_TABLE + " FORMAT TabSeparated");
    Set<Integer> versions = new TreeSet<>();
    for (String line : body.split("\n")) {
      if (!line.isBlank()) {
        versions.add(Integer.parseInt(line.strip()));
      }
    }
    return versions;
  }
}
