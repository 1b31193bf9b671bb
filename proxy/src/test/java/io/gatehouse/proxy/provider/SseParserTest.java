package io.gatehouse.proxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {
  /** Every kind of framing at once: CRLF, CR, comments, multi-line data, no event name, multi-byte text. */
  private static final String STREAM = "event: message_start\r\ndata: {\"a\":1}\r\n\r\n"
      + ": keep-alive comment\n\n"
      + "event: ping\ndata: {}\n\n"
      + "data:{\"no\":\"space\"}\n\n"
      + "event: content_block_delta\rdata: {\"text\":\"h\u00e9llo \u4e16\u754c \ud83d\ude00\"}\r\r"
      + "event: multi\ndata: line1\ndata: line2\nid: 7\nretry: 10\n\n"
      + "event: no-data\n\n"
      + "event: message_stop\ndata: {}\n\n"
      + "event\ndata\n\n"                                  // no colon: empty values
      + "event:  two\ndata:  x\r\ndata:\r\n\r\n"             // only one space is dropped; an empty data line
      + "eventx: no\ndat: no\ndata: y\nevent: \u00e9v\n\n";  // other fields ignored; a non-ASCII name

  private static final List<String> EXPECTED = List.of(
      "message_start|{\"a\":1}",
      "ping|{}",
      "null|{\"no\":\"space\"}",
      "content_block_delta|{\"text\":\"h\u00e9llo \u4e16\u754c \ud83d\ude00\"}",
      "multi|line1\nline2",
      "message_stop|{}",
      "|",
      " two| x\n",
      "\u00e9v|y");

  private static List<String> parse(byte[]... pieces) {
    List<String> events = new ArrayList<>();
    SseParser parser = new SseParser((event, data) -> events.add(event + "|" + data));
    for (byte[] p : pieces) {
      parser.feed(ByteBuffer.wrap(p));
    }
    return events;
  }

  @Test
  void parsesTheWholeStreamInOnePiece() {
    assertThat(parse(STREAM.getBytes(StandardCharsets.UTF_8))).isEqualTo(EXPECTED);
  }

  @Test
  void everySplitIntoTwoPiecesGivesTheSameEvents() {
    byte[] all = STREAM.getBytes(StandardCharsets.UTF_8);
    for (int cut = 0; cut <= all.length; cut++) {
      assertThat(parse(Arrays.copyOfRange(all, 0, cut), Arrays.copyOfRange(all, cut, all.length)))
          .as("split at byte %d", cut).isEqualTo(EXPECTED);
    }
  }

  @Test
  void oneByteAtATimeGivesTheSameEvents() {
    byte[] all = STREAM.getBytes(StandardCharsets.UTF_8);
    byte[][] pieces = new byte[all.length][];
    for (int i = 0; i < all.length; i++) {
      pieces[i] = new byte[] {all[i]};
    }
    assertThat(parse(pieces)).isEqualTo(EXPECTED);
  }

  @Test
  void anEventIsEmittedByThePieceThatCompletesItAndNotBefore() {
    List<String> events = new ArrayList<>();
    SseParser parser = new SseParser((event, data) -> events.add(event + "|" + data));
    parser.feed(ByteBuffer.wrap("event: a\ndata: 1\n".getBytes(StandardCharsets.UTF_8)));
    assertThat(events).isEmpty();
    parser.feed(ByteBuffer.wrap("\nevent: b\ndata: 2".getBytes(StandardCharsets.UTF_8)));
    assertThat(events).containsExactly("a|1");
    parser.feed(ByteBuffer.wrap("\n\n".getBytes(StandardCharsets.UTF_8)));
    assertThat(events).containsExactly("a|1", "b|2");
  }

  @Test
  void aLineLongerThanTheBoundIsRefused() {
    SseParser parser = new SseParser((event, data) -> { });
    byte[] piece = new byte[1 << 20];
    Arrays.fill(piece, (byte) 'a');
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
      for (int i = 0; i <= SseParser.MAX_LINE_BYTES >> 20; i++) {
        parser.feed(ByteBuffer.wrap(piece));
      }
    }).isInstanceOf(IllegalStateException.class).hasMessageContaining("longer than");
  }
}
