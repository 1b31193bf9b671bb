package io.gatehouse.proxy.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.proxy.config.GatehouseConfig.BuiltinPattern;
import io.gatehouse.proxy.config.GatehouseConfig.CustomPattern;
import io.gatehouse.proxy.config.GatehouseConfig.RedactionSettings;
import io.gatehouse.schemas.EventJson;
import io.gatehouse.schemas.GatehouseEvent;
import java.util.EnumSet;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RedactorTest {
  private static final Redactor ALL = Redactor.defaults();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Redactor only(BuiltinPattern p) {
    return Redactor.of(new RedactionSettings(EnumSet.of(p), List.of()));
  }

  @Test
  void providerKeys() {
    Redactor r = only(BuiltinPattern.API_KEYS);
    assertThat(r.redact("use sk-proj-AbCdEf0123456789_xyzXYZ-42 now"))
        .isEqualTo("use [REDACTED:api_key] now");
    assertThat(r.redact("anthropic sk-ant-api03-Q1w2E3r4T5y6U7i8O9p0aSdFgHjK")).isEqualTo("anthropic [REDACTED:api_key]");
    assertThat(r.redact("google AIzaSyA1234567890abcdefghijklmnopqrstuv")).isEqualTo("google [REDACTED:api_key]");
    assertThat(r.redact("aws AKIAIOSFODNN7EXAMPLE.")).isEqualTo("aws [REDACTED:api_key].");
    assertThat(r.redact("gh ghp_0123456789abcdefghijABCDEFGHIJ012345")).isEqualTo("gh [REDACTED:api_key]");
    assertThat(r.redact("the sk-learn library and task-force")).isEqualTo("the sk-learn library and task-force");
  }

  @Test
  void bearerTokensKeepTheWordBearer() {
    Redactor r = only(BuiltinPattern.BEARER_TOKENS);
    assertThat(r.redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"))
        .isEqualTo("Authorization: Bearer [REDACTED:bearer_token]");
    assertThat(r.redact("a bearer of bad news")).isEqualTo("a bearer of bad news");
  }

  @Test
  void emails() {
    Redactor r = only(BuiltinPattern.EMAILS);
    assertThat(r.redact("write to jane.doe+ai@mail.example.co.uk, or not"))
        .isEqualTo("write to [REDACTED:email], or not");
    assertThat(r.redact("no at-sign @ here")).isEqualTo("no at-sign @ here");
  }

  @Test
  void phones() {
    Redactor r = only(BuiltinPattern.PHONES);
    assertThat(r.redact("call +1 415 555 0132 today")).isEqualTo("call [REDACTED:phone] today");
    assertThat(r.redact("call (415) 555-0132")).isEqualTo("call [REDACTED:phone]");
    assertThat(r.redact("ring +44 20 7946 0958.")).isEqualTo("ring [REDACTED:phone].");
    assertThat(r.redact("on 2024-10-21 12:30, order 1234567890, host 192.168.100.200, v1.2.3"))
        .isEqualTo("on 2024-10-21 12:30, order 1234567890, host 192.168.100.200, v1.2.3");
  }

  @Test
  void cardNumbersOnlyWhenTheLuhnCheckPasses() {
    Redactor r = only(BuiltinPattern.CARD_NUMBERS);
    assertThat(Redactor.luhnValid("4111111111111111")).isTrue();
    assertThat(Redactor.luhnValid("4111111111111112")).isFalse();
    assertThat(r.redact("card 4111 1111 1111 1111 exp 12/29")).isEqualTo("card [REDACTED:card_number] exp 12/29");
    assertThat(r.redact("card 5500-0000-0000-0004.")).isEqualTo("card [REDACTED:card_number].");
    assertThat(r.redact("amex 378282246310005")).isEqualTo("amex [REDACTED:card_number]");
    assertThat(r.redact("tracking 4111111111111112 please")).isEqualTo("tracking 4111111111111112 please");
    // with every pattern on, a Luhn-failing 16-digit number is not taken for a phone either
    assertThat(ALL.redact("tracking 4111 1111 1111 1112")).isEqualTo("tracking 4111 1111 1111 1112");
  }

  @Test
  void customPatterns() {
    Redactor r = Redactor.of(new RedactionSettings(EnumSet.noneOf(BuiltinPattern.class),
        List.of(new CustomPattern("employee_id", Pattern.compile("EMP-\\d{6}")))));
    assertThat(r.redact("ask EMP-123456 and EMP-654321")).isEqualTo("ask [REDACTED:employee_id] and [REDACTED:employee_id]");
    assertThat(r.redact("EMP-12")).isEqualTo("EMP-12");
  }

  @Test
  void nothingToRedactReturnsTheSameString() {
    String s = "plain words";
    assertThat(ALL.redact(s)).isSameAs(s);
    assertThat(Redactor.none().isEmpty()).isTrue();
    assertThat(Redactor.none().redact("sk-proj-AbCdEf0123456789_xyz")).isEqualTo("sk-proj-AbCdEf0123456789_xyz");
  }

  private static GatehouseEvent event(String route) throws Exception {
    JsonNode prompt = JSON.readTree("[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        + "\"text\":\"my key is sk-proj-AbCdEf0123456789_xyz and I am bob@example.com\"}]}]");
    JsonNode params = JSON.readTree("{\"temperature\":0.2,\"stream\":false,\"user\":\"bob@example.com\","
        + "\"tools\":[{\"type\":\"function\"}],\"system\":\"secret system prompt\"}");
    return GatehouseEvent.builder().eventId("e1").route(route).prompt(prompt).params(params).promptHash("abc")
        .completion("Echo: my key is sk-proj-AbCdEf0123456789_xyz").errorMessage("bad key sk-proj-AbCdEf0123456789_xyz")
        .inputTokens(12L).build();
  }

  @Test
  void theEncoderRedactsPromptCompletionErrorAndParams() throws Exception {
    EventEncoder enc = new EventEncoder(ALL, route -> false);
    GatehouseEvent original = event("chat");
    String json = new String(enc.encode(original), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("sk-proj").doesNotContain("bob@example.com")
        .contains("[REDACTED:api_key]").contains("[REDACTED:email]");
    GatehouseEvent back = EventJson.fromBytes(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(back.prompt().get(0).path("content").get(0).path("text").asText())
        .isEqualTo("my key is [REDACTED:api_key] and I am [REDACTED:email]");
    assertThat(back.completion()).isEqualTo("Echo: my key is [REDACTED:api_key]");
    assertThat(back.errorMessage()).isEqualTo("bad key [REDACTED:api_key]");
    assertThat(back.params().path("user").asText()).isEqualTo("[REDACTED:email]");
    assertThat(back.params().path("tools")).hasSize(1);
    assertThat(back.inputTokens()).isEqualTo(12L);
    assertThat(original.prompt().toString()).as("the event itself is not modified").contains("sk-proj");
  }

  @Test
  void metadataOnlyRoutesCarryNoBodies() throws Exception {
    EventEncoder enc = new EventEncoder(ALL, "private"::equals);
    GatehouseEvent back = EventJson.fromBytes(enc.encode(event("private")));
    assertThat(back.prompt()).isNull();
    assertThat(back.completion()).isNull();
    assertThat(back.params().has("temperature")).isTrue();
    assertThat(back.params().has("stream")).isTrue();
    assertThat(back.params().has("tools")).isFalse();
    assertThat(back.params().has("system")).isFalse();
    assertThat(back.params().path("user").asText()).isEqualTo("[REDACTED:email]");
    assertThat(back.promptHash()).isEqualTo("abc");
    assertThat(back.inputTokens()).isEqualTo(12L);
    assertThat(EventJson.fromBytes(enc.encode(event("chat"))).prompt()).isNotNull();
  }

  @Test
  void withNothingToRedactTheRedactingEncoderWritesExactlyWhatEventJsonWrites() throws Exception {
    GatehouseEvent clean = GatehouseEvent.builder().eventId("e2").route("chat").promptHash("def")
        .prompt(JSON.readTree("[{\"role\":\"user\",\"content\":\"What is a gateway?\"}]"))
        .params(JSON.readTree("{\"temperature\":0.2}")).completion("A gateway sits in front.").build();
    assertThat(new EventEncoder(ALL, route -> false).encode(clean)).isEqualTo(EventJson.toBytes(clean));
  }

  @Test
  void thePlainEncoderWritesExactlyWhatEventJsonWrites() throws Exception {
    GatehouseEvent e = event("chat");
    assertThat(EventEncoder.plain().encode(e)).isEqualTo(EventJson.toBytes(e));
  }

  @Test
  void aLongBlobWithoutSeparatorsIsScannedInLinearTime() {
    String blob = "aGVsbG8gd29ybGQ".repeat(20_000) + "1234567890".repeat(2_000); // 300 KB + 20 KB of digits
    long t0 = System.nanoTime();
    assertThat(ALL.redact(blob)).isSameAs(blob);
    // quadratic scanning of this blob takes minutes; linear takes milliseconds
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
  }
}
