package io.gatehouse.ui.experiments;

/** One variant's numbers over the chosen range; feedback counts only requests that got a score. */
public record VariantStats(String variant, long requests, Sample costUsd, Sample latencyMs, Sample tokens,
                           Sample errors, double p50Ms, double p95Ms, Sample feedback) {}
