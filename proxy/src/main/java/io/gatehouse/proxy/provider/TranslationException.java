package io.gatehouse.proxy.provider;

/**
 * A client request that cannot be expressed in a provider's API (Anthropic, Gemini, …): a caller fault, answered with HTTP
 * 400 and an OpenAI-shaped {@code invalid_request_error} whose {@code param} is {@link #param()}.
 *
 * <p>Value-like: no cause, no stack trace (it is an answer to the caller, not a bug report).
 */
public final class TranslationException extends RuntimeException {
  private final String param;

  /**
   * @param param the OpenAI request path of the offending value, e.g. {@code messages[2].content[0]}
   * @param problem what is wrong, phrased so the caller can fix it (without the path)
   */
  public TranslationException(String param, String problem) {
    super(param + ": " + problem, null, false, false);
    this.param = param;
  }

  /** The OpenAI request path of the offending value, e.g. {@code messages[2].content[0]}. */
  public String param() {
    return param;
  }
}
