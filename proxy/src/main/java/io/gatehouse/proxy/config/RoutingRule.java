package io.gatehouse.proxy.config;

import java.util.Map;

/**
 * One entry of {@code routing.rules}: when every condition in {@code when} holds, the request goes to
 * {@code model} instead of the model it asked for. Rules are tried in order; the first match wins.
 *
 * @param model a model alias or {@code provider/model}; validated at start
 */
public record RoutingRule(When when, String model) {

  /**
   * Conditions on the request, all of which must hold. A null (or empty map) condition is not checked;
   * the loader rejects a rule with no condition at all. String values compare exactly.
   *
   * @param model the model the client asked for (before any rule)
   * @param tags every listed {@code x-gatehouse-tags} entry must be present with this value
   * @param headers every listed request header must have this value (names are case-insensitive)
   * @param promptTokensOver the estimated prompt tokens must be greater than this
   * @param hasTools whether the request offers tools
   * @param hasImages whether a message carries an image
   */
  public record When(String model, String feature, String team, String user, Map<String, String> tags,
      Map<String, String> headers, Integer promptTokensOver, Boolean hasTools, Boolean hasImages) {
    public When {
      tags = tags == null ? Map.of() : Map.copyOf(tags);
      headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public boolean isEmpty() {
      return model == null && feature == null && team == null && user == null && tags.isEmpty()
          && headers.isEmpty() && promptTokensOver == null && hasTools == null && hasImages == null;
    }
  }
}
