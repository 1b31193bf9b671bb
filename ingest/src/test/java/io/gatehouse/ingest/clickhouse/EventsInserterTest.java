package io.gatehouse.ingest.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import com.clickhouse.client.api.ServerException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** How an insert's failure is judged: retry the same batch, or split it to find the rows ClickHouse refuses. */
class EventsInserterTest {
  @Test
  void aClusterSayingNotNowIsRetriedNotSplit() {
    // what a current server answers on a shard with a replica down under insert_quorum
    EventsInserter.InsertFailedException tooFewReplicas = EventsInserter.classify(new RuntimeException("insert failed",
        new ServerException(285, "Number of alive replicas (1) is less than requested quorum (2/2)", 500)));
    assertThat(tooFewReplicas.rejected()).isFalse();
    assertThat(tooFewReplicas.getMessage()).contains("code 285");
    assertThat(EventsInserter.classify(new ServerException(252, "Too many parts", 500)).rejected()).isFalse();
  }

  @Test
  void rowsClickHouseRefusesAreARejection() {
    assertThat(EventsInserter.classify(new ServerException(27, "Cannot parse input", 500)).rejected()).isTrue();
    // 18.16 sends no code at all: every answered error counts as a refusal, as before
    assertThat(EventsInserter.classify(new ServerException(ServerException.CODE_UNKNOWN, "?", 500)).rejected()).isTrue();
    assertThat(EventsInserter.classify(new ConnectException("Connection refused")).rejected()).isFalse();
  }
}
