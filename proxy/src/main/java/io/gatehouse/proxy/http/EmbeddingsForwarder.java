package io.gatehouse.proxy.http;

import io.gatehouse.proxy.failover.FailureClassifier;
import io.gatehouse.proxy.pipeline.CallRecord;
import io.gatehouse.proxy.provider.Provider;
import io.gatehouse.proxy.provider.openai.OpenAiChat;
import io.gatehouse.proxy.provider.openai.OpenAiEmbeddings;
import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One embeddings request forwarded as is and answered to the client. The answer is collected and
 * relayed with its status and bytes unchanged; only {@code model} and {@code usage.prompt_tokens} are
 * read from it, for the event ({@link OpenAiEmbeddings}). An upstream error with OpenAI's shape is
 * relayed too; one without (an HTML page, say) becomes an OpenAI-shaped {@code upstream_error}, and no
 * answer at all a 502 / 504.
 *
 * <p>Threading: as {@link ChatForwarder}, callbacks are re-posted to the exchange's IO thread.
 */
final class EmbeddingsForwarder extends UpstreamExchange {
  private final ByteArrayOutputStream collected = new ByteArrayOutputStream();

  EmbeddingsForwarder(HttpServerExchange exchange, CallRecord record, Provider provider, String deployment,
      String upstreamModel) {
    super(exchange, record, provider, deployment, upstreamModel, ChatForwarder.PASSED_HEADER_PREFIXES);
  }

  @Override
  protected void responseStarted(HttpHeaders headers) {}

  @Override
  protected boolean streaming() {
    return false;
  }

  @Override
  protected void streamBrokeOff(String message, String failureClass) {
    throw new IllegalStateException("embeddings never stream");
  }

  @Override
  protected String sendError(int clientStatus, String code, String message) {
    String type = "internal_error".equals(code) ? OpenAiErrors.INTERNAL : OpenAiErrors.UPSTREAM;
    OpenAiErrors.send(exchange, clientStatus, message, type, null, code);
    return "internal_error".equals(code) ? OpenAiErrors.INTERNAL : code;
  }

  @Override
  protected void body(List<ByteBuffer> buffers, Demand demand) {
    if (collect(buffers, collected)) {
      demand.more();
    }
  }

  @Override
  protected void complete() {
    record.upstreamEnded();
    byte[] body = collected.toByteArray();
    if (status >= 200 && status < 300) {
      OpenAiEmbeddings.Summary summary = OpenAiEmbeddings.summarize(body);
      if (summary == null) {
        upstreamFailure(502, "upstream_invalid_response", "Provider '" + provider.name() + "' answered HTTP " + status
            + " with a body that is not a JSON object" + snippet(body), FailureClassifier.TRANSIENT);
        return;
      }
      relay(body);
      record.event().model(summary.model() == null ? upstreamModel : summary.model())
          .inputTokens(summary.promptTokens());
      finish(status, null, null);
      return;
    }
    String[] error = OpenAiChat.errorOf(body);
    if (error != null) {
      relay(body);
      finish(status, error[1] == null ? OpenAiErrors.UPSTREAM : error[1], error[0]);
    } else {
      String message = "Provider '" + provider.name() + "' answered HTTP " + status + " with a non-JSON body"
          + (contentType == null ? "" : " (" + contentType + ")") + snippet(body);
      OpenAiErrors.send(exchange, status, message, OpenAiErrors.UPSTREAM, null, "upstream_error");
      finish(status, OpenAiErrors.UPSTREAM, message);
    }
  }
}
