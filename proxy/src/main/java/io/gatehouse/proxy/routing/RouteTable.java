package io.gatehouse.proxy.routing;

import io.gatehouse.proxy.config.GatehouseConfig;
import io.gatehouse.proxy.config.ModelAlias;
import io.gatehouse.proxy.config.ProviderType;
import io.gatehouse.proxy.config.RoutingRule;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.provider.ProviderRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Maps the {@code model} a client asked for to an ordered list of targets (provider + upstream model):
 * the first is tried first, the others are fallbacks. For a chat request ({@link #resolve(String,
 * RouteFacts)}), in this order:
 * <ol>
 *   <li>{@code routing.rules}: the first rule whose conditions hold replaces the model ({@code RoutingRules});
 *   <li>{@code experiments}: if an experiment splits that model, the request's variant may replace it
 *       again, and the route records the experiment and variant ({@code Experiments});
 *   <li>the model is then resolved once, without further rules or experiments:
 *     <ol>
 *       <li>a configured alias → its targets, ordered by the alias's {@link TargetPolicy}
 *           ({@code strategy:});
 *       <li>{@code provider/model} → that provider, with the prefix stripped (only the first '/' splits,
 *           so {@code local/meta-llama/Llama-3} sends {@code meta-llama/Llama-3} to {@code local});
 *       <li>a bare model name ({@code gpt-4o-mini}, what an unchanged OpenAI SDK sends) → the default
 *           provider: {@code openai} when configured, else the only provider when there is exactly one.
 *     </ol>
 * </ol>
 * Anything else is an error whose message lists what is configured. Models named by rules and
 * experiments are validated at start, so a rule or variant never leads to an error. Immutable;
 * thread-safe.
 */
public final class RouteTable {
  /** Per-thread randomness behind a shared, thread-safe generator. */
  private static final RandomGenerator THREAD_LOCAL_RANDOM = () -> ThreadLocalRandom.current().nextLong();

  private final ProviderRegistry providers;
  private final Map<String, ModelAlias> aliases;
  private final Map<String, TargetPolicy> policies;
  private final RoutingRules rules;
  private final Experiments experiments;
  private final Optional<Provider> defaultProvider;

  public RouteTable(GatehouseConfig config, ProviderRegistry providers) {
    this(config, providers, THREAD_LOCAL_RANDOM);
  }

  /**
   * @param random draws weighted targets and the variants of requests without a sticky key; shared by
   *     all requests, so thread-safe (tests pass a seeded one and call from one thread)
   */
  public RouteTable(GatehouseConfig config, ProviderRegistry providers, RandomGenerator random) {
    this.providers = providers;
    this.aliases = config.models();
    TargetPolicies.Context context = new TargetPolicies.Context(random);
    Map<String, TargetPolicy> byAlias = new HashMap<>();
    for (ModelAlias alias : aliases.values()) {
      byAlias.put(alias.name(), TargetPolicies.create(alias.strategy(), context));
    }
    this.policies = Map.copyOf(byAlias);
    this.rules = new RoutingRules(config.rules());
    this.experiments = new Experiments(config.experiments().values(), random);
    this.defaultProvider =
        providers.get("openai").or(() -> providers.all().size() == 1
            ? Optional.of(providers.all().iterator().next()) : Optional.empty());
  }

  /** The provider that bare model names go to, if any. */
  public Optional<Provider> defaultProvider() {
    return defaultProvider;
  }

  /** Either a route or an error, never both. */
  public sealed interface Resolution permits Route, RouteError {}

  /** One place a request can go: a provider and the model name it knows. */
  public record Target(Provider provider, String upstreamModel) {
    public String id() {
      return provider.name() + "/" + upstreamModel;
    }
  }

  /**
   * Where a request goes, in order: the first target is tried first, the others are fallbacks.
   *
   * @param route what the event records as the route: the alias name, or {@code provider/model}
   * @param experiment the experiment that chose the targets, or null
   * @param variant the experiment's variant, or null
   */
  public record Route(List<Target> targets, String route, String experiment, String variant) implements Resolution {
    public Route {
      targets = List.copyOf(targets);
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("a route has at least one target");
      }
    }

    /** A route with a single target and no experiment. */
    public Route(Provider provider, String upstreamModel, String route) {
      this(List.of(new Target(provider, upstreamModel)), route, null, null);
    }

    /** The first target's provider. */
    public Provider provider() {
      return targets.get(0).provider();
    }

    /** The first target's model. */
    public String upstreamModel() {
      return targets.get(0).upstreamModel();
    }
  }

  /**
   * @param status HTTP status for the client (400 missing/malformed, 404 unknown)
   * @param code OpenAI-style error code
   */
  public record RouteError(int status, String code, String message) implements Resolution {}

  /**
   * Resolves without request facts: no rule or experiment applies (they describe chat requests, and
   * this is for endpoints such as embeddings that have none); an alias's strategy still orders its
   * targets.
   */
  public Resolution resolve(String model) {
    if (model == null || model.isBlank()) {
      return missingModel();
    }
    return resolveName(model, RouteFacts.NONE, null, null);
  }

  /**
   * Resolves a chat request: rules, then experiments, then the alias's strategy (see the class
   * comment). A missing model is an error before any rule: clients must name one.
   *
   * @param facts what rules and experiments may look at; {@link RouteFacts#of} builds them
   * @return a {@link Route} whose {@code experiment} and {@code variant} are set when an experiment
   *     assigned the request, or a {@link RouteError}
   */
  public Resolution resolve(String model, RouteFacts facts) {
    if (model == null || model.isBlank()) {
      return missingModel();
    }
    RouteFacts f = facts == null ? RouteFacts.NONE : facts;
    RoutingRule rule = rules.firstMatch(model, f);
    String routed = rule == null ? model : rule.model();
    Experiments.Assignment assignment = experiments.assign(routed, f);
    if (assignment == null) {
      return resolveName(routed, f, null, null);
    }
    return resolveName(assignment.model(), f, assignment.experiment().name(), assignment.variant().name());
  }

  private RouteError missingModel() {
    return new RouteError(400, "missing_model", "You must provide a model parameter, e.g. \"openai/gpt-4o-mini\""
        + hint());
  }

  /** An alias, {@code provider/model} or bare name → a route; no rules or experiments. */
  private Resolution resolveName(String model, RouteFacts facts, String experiment, String variant) {
    ModelAlias alias = aliases.get(model);
    if (alias != null) {
      // aliases are validated at start: their providers exist
      List<Target> targets = policies.get(alias.name()).order(alias.targets(), facts).stream()
          .map(t -> new Target(providers.get(t.provider()).orElseThrow(), t.model())).toList();
      return new Route(targets, alias.name(), experiment, variant);
    }
    int slash = model.indexOf('/');
    if (slash < 0 && defaultProvider.isPresent()) {
      return new Route(List.of(new Target(defaultProvider.get(), model)), defaultProvider.get().name() + "/" + model,
          experiment, variant);
    }
    if (slash < 0) {
      return new RouteError(404, "model_not_found", "The model '" + model + "' is not a configured alias and has no "
          + "provider prefix. Use 'provider/model' (e.g. 'openai/" + model + "')" + hint());
    }
    String providerName = model.substring(0, slash);
    String upstreamModel = model.substring(slash + 1);
    Optional<Provider> provider = providers.get(providerName);
    if (provider.isEmpty()) {
      return new RouteError(404, "model_not_found", "Unknown provider '" + providerName + "' in model '" + model
          + "'." + hint());
    }
    if (upstreamModel.isBlank()) {
      return new RouteError(400, "invalid_model", "The model '" + model + "' names no model after the provider; "
          + "use 'provider/model', e.g. '" + providerName + "/gpt-4o-mini'.");
    }
    return new Route(List.of(new Target(provider.get(), upstreamModel)), model, experiment, variant);
  }

  /**
   * Routing for the Anthropic-native endpoints, which can only go to a provider of type
   * {@code anthropic} (the body is forwarded, not translated):
   * <ol>
   *   <li>a configured alias whose first target is an anthropic provider;
   *   <li>{@code provider/model} naming an anthropic provider;
   *   <li>a bare name ({@code claude-…}, what an unchanged Anthropic SDK sends) → the only anthropic
   *       provider, or the one named {@code anthropic} when there are several.
   * </ol>
   * Errors carry Anthropic's error type as their code: {@code invalid_request_error} (400) for a
   * missing model or one that routes to a non-anthropic provider, {@code not_found_error} (404) for an
   * unknown one; the message lists the anthropic providers configured.
   */
  public Resolution resolveAnthropic(String model) {
    if (model == null || model.isBlank()) {
      return new RouteError(400, "invalid_request_error", "model: Field required. Use e.g. \"claude-3-5-haiku-latest\" "
          + "or \"anthropic/claude-3-5-haiku-latest\"." + anthropicHint());
    }
    ModelAlias alias = aliases.get(model);
    if (alias != null) {
      ModelAlias.Target t = alias.targets().get(0);
      Provider p = providers.get(t.provider()).orElseThrow();
      return isAnthropic(p) ? new Route(p, t.model(), alias.name())
          : notAnthropic("The model alias '" + model + "' routes to provider '" + p.name() + "'", p);
    }
    int slash = model.indexOf('/');
    if (slash < 0) {
      return anthropicDefault().<Resolution>map(p -> new Route(p, model, p.name() + "/" + model))
          .orElseGet(() -> new RouteError(404, "not_found_error", "The model '" + model + "' is not a configured "
              + "alias and no single anthropic provider is configured to take bare model names." + anthropicHint()));
    }
    String providerName = model.substring(0, slash);
    String upstreamModel = model.substring(slash + 1);
    Optional<Provider> provider = providers.get(providerName);
    if (provider.isEmpty()) {
      return new RouteError(404, "not_found_error", "Unknown provider '" + providerName + "' in model '" + model
          + "'." + anthropicHint());
    }
    if (!isAnthropic(provider.get())) {
      return notAnthropic("The model '" + model + "' names provider '" + providerName + "'", provider.get());
    }
    if (upstreamModel.isBlank()) {
      return new RouteError(400, "invalid_request_error", "The model '" + model + "' names no model after the "
          + "provider; use e.g. '" + providerName + "/claude-3-5-haiku-latest'.");
    }
    return new Route(provider.get(), upstreamModel, model);
  }

  private static boolean isAnthropic(Provider p) {
    return p.type() == ProviderType.ANTHROPIC;
  }

  private Optional<Provider> anthropicDefault() {
    List<Provider> anthropic = providers.all().stream().filter(RouteTable::isAnthropic).toList();
    if (anthropic.size() == 1) {
      return Optional.of(anthropic.get(0));
    }
    return anthropic.stream().filter(p -> p.name().equals("anthropic")).findFirst();
  }

  private RouteError notAnthropic(String what, Provider p) {
    return new RouteError(400, "invalid_request_error", what + " of type " + p.type().yamlName() + "; "
        + "/v1/messages forwards the Anthropic Messages API as is and only to providers of type anthropic. "
        + "Use POST /v1/chat/completions for other providers." + anthropicHint());
  }

  private String anthropicHint() {
    List<String> names = providers.all().stream().filter(RouteTable::isAnthropic).map(Provider::name).toList();
    StringBuilder sb = new StringBuilder(" Anthropic providers configured: ")
        .append(names.isEmpty() ? "none" : String.join(", ", names)).append('.');
    List<String> anthropicAliases = aliases.values().stream()
        .filter(a -> providers.get(a.targets().get(0).provider()).map(RouteTable::isAnthropic).orElse(false))
        .map(ModelAlias::name).toList();
    if (!anthropicAliases.isEmpty()) {
      sb.append(" Model aliases: ").append(String.join(", ", anthropicAliases)).append('.');
    }
    if (names.isEmpty()) {
      sb.append(" Set ANTHROPIC_API_KEY, or list a provider of type anthropic in the YAML file named by GATEHOUSE_CONFIG.");
    }
    return sb.toString();
  }

  private String hint() {
    StringBuilder sb = new StringBuilder(" Configured providers: ").append(providers.namesForMessage()).append('.');
    if (!aliases.isEmpty()) {
      sb.append(" Model aliases: ").append(String.join(", ", aliases.keySet())).append('.');
    }
    if (providers.all().isEmpty()) {
      sb.append(" Set OPENAI_API_KEY or ANTHROPIC_API_KEY, or list providers in the YAML file named by GATEHOUSE_CONFIG.");
    }
    return sb.toString();
  }
}
