package io.gatehouse.proxy.cache;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

/**
 * all-MiniLM-L6-v2 (quantized), packaged with LangChain4j as a Maven artifact and run in process by ONNX
 * Runtime: nothing is downloaded at run time. 384 dimensions; roughly 5–25 ms per short question on one
 * core. Loading takes seconds, so the model is created on first use, on the cache's executor.
 *
 * <p>Thread-safe (the ONNX session is).
 */
public final class LocalEmbedder implements Embedder {
  private volatile AllMiniLmL6V2QuantizedEmbeddingModel model;

  @Override
  public int dimensions() {
    return 384;
  }

  @Override
  public float[] embed(String text) {
    return model().embed(text).content().vector();
  }

  private AllMiniLmL6V2QuantizedEmbeddingModel model() {
    AllMiniLmL6V2QuantizedEmbeddingModel m = model;
    if (m == null) {
      synchronized (this) {
        if (model == null) {
          model = new AllMiniLmL6V2QuantizedEmbeddingModel();
        }
        m = model;
      }
    }
    return m;
  }
}
