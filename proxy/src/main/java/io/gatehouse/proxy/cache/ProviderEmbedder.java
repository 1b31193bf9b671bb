package io.gatehouse.proxy.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.config.ProviderConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Embeddings from a provider's OpenAI-style {@code POST /embeddings} ({@code cache.semantic.embedder:
 * <provider>/<model>}, for providers of type openai or openai-compatible). Blocking HTTP: it runs on the
 * cache's executor only. The dimensions are whatever the model returns (the index learns them from the
 * first vector). A failed call is an exception: the lookup is a miss.
 *
 * <p>Thread-safe. The provider key is sent, never logged.
 */
public final class ProviderEmbedder implements Embedder {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final URI endpoint;
  private final String model;
  private final String key;
  private final Map<String, String> headers;
  private final Duration timeout;

  public ProviderEmbedder(ProviderConfig provider, String model, Duration timeout) {
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    this.endpoint = URI.create(provider.baseUrl().replaceAll("/+$", "") + "/embeddings");
    this.model = model;
    this.key = provider.keys().isEmpty() ? null : provider.keys().get(0);
    this.headers = provider.headers();
    this.timeout = timeout;
  }

  @Override
  public int dimensions() {
    return 0; // learned from the first answer
  }

  @Override
  public float[] embed(String text) {
    ObjectNode body = JSON.createObjectNode().put("model", model).put("input", text);
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(timeout)
        .header("content-type", "application/json");
    headers.forEach(request::header);
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    HttpResponse<byte[]> response;
    try {
      response = http.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body.toString().getBytes(
          java.nio.charset.StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("embeddings call to " + endpoint + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    if (response.statusCode() != 200) {
      throw new IllegalStateException("embeddings call to " + endpoint + " answered HTTP " + response.statusCode());
    }
    try {
      JsonNode vector = JSON.readTree(response.body()).path("data").path(0).path("embedding");
      if (!vector.isArray() || vector.isEmpty()) {
        throw new IllegalStateException("embeddings answer from " + endpoint + " has no data[0].embedding array");
      }
      float[] v = new float[vector.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) vector.get(i).asDouble();
      }
      return v;
    } catch (IOException e) {
      throw new UncheckedIOException("embeddings answer from " + endpoint + " is not JSON", e);
    }
  }
}
