package io.gatehouse.proxy.keys;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.gatehouse.proxy.limits.Budget;
import io.gatehouse.proxy.limits.RateLimit;
import java.util.List;
import java.util.Map;

/**
 * A virtual key as stored and replicated: never the secret, only its SHA-256. Immutable; a change
 * (rotation, revocation) is a new record with the same id.
 *
 * @param id public id ({@code vk_…}), the {@code virtual_key_id} of events
 * @param hash lowercase hex SHA-256 of the secret
 * @param hint the secret's first characters and last four, for people to tell keys apart
 * @param models models the key may request (names as the client sends them); empty = all
 * @param budget spend limit of the key, or null
 * @param limits RPM/TPM of the key, or null
 * @param expiresAt epoch ms after which the key is refused, or null
 * @param revokedAt epoch ms of revocation, or null while active
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VirtualKey(
    String id,
    String hash,
    String hint,
    String name,
    String team,
    String user,
    List<String> models,
    Budget budget,
    RateLimit limits,
    @JsonProperty("expires_at") Long expiresAt,
    Map<String, String> metadata,
    @JsonProperty("created_at") long createdAt,
    @JsonProperty("rotated_at") Long rotatedAt,
    @JsonProperty("revoked_at") Long revokedAt) {

  public VirtualKey {
    models = models == null ? List.of() : List.copyOf(models);
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  public boolean allows(String model) {
    return models.isEmpty() || (model != null && models.contains(model));
  }

  public boolean expired(long nowMs) {
    return expiresAt != null && nowMs >= expiresAt;
  }

  VirtualKey rotated(String newHash, String newHint, long nowMs) {
    return new VirtualKey(id, newHash, newHint, name, team, user, models, budget, limits, expiresAt, metadata,
        createdAt, nowMs, revokedAt);
  }

  VirtualKey revoked(long nowMs) {
    return new VirtualKey(id, hash, hint, name, team, user, models, budget, limits, expiresAt, metadata, createdAt,
        rotatedAt, revokedAt == null ? nowMs : revokedAt);
  }
}
