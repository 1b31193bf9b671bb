package io.gatehouse.proxy.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.gatehouse.proxy.config.GatehouseConfig.BuiltinPattern;
import io.gatehouse.proxy.config.GatehouseConfig.CustomPattern;
import io.gatehouse.proxy.config.GatehouseConfig.RedactionSettings;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets and personal data in text before an event leaves the proxy: each match becomes
 * {@code [REDACTED:<kind>]} (for bearer tokens only the token, so {@code Bearer [REDACTED:bearer_token]}).
 *
 * <p>Built-in patterns, applied in this order so that a more specific one wins:
 * <ol>
 *   <li>{@code api_keys}: OpenAI/Anthropic-style {@code sk-…} (16+ characters after the dash), Stripe
 *       {@code sk_live_…}/{@code rk_…}, Google {@code AIza…}, AWS {@code AKIA…}, GitHub {@code ghp_…}
 *       and friends, GitLab {@code glpat-…}, Slack {@code xox?-…};
 *   <li>{@code bearer_tokens}: the token after {@code Bearer } (any case);
 *   <li>{@code emails};
 *   <li>{@code card_numbers}: 13–19 digits, optionally grouped by spaces or dashes, that pass the
 *       Luhn check (a random 16-digit number fails it 9 times in 10 and is left alone);
 *   <li>{@code phones}: 9–15 digits in groups separated by spaces, dots, dashes or parentheses, or
 *       7–15 after a leading {@code +}; dates ({@code 2024-10-21 12}) and IPv4 addresses are not
 *       phones. A heuristic: a bare run of digits is not treated as a phone number.
 * </ol>
 * then the configured custom regular expressions, in order.
 *
 * <p>Immutable and thread-safe.
 */
public final class Redactor {
  /** One rule: where to look, what a candidate must also satisfy, and what replaces it. */
  private record Rule(Pattern pattern, Predicate<String> accept, String replacement, int keepGroup,
      Predicate<String> mayMatch) {
    /** A rule whose pattern is tried on every text. */
    Rule(Pattern pattern, Predicate<String> accept, String replacement, int keepGroup) {
      this(pattern, accept, replacement, keepGroup, s -> true);
    }
  }

  /** Literal pieces at least one of which every {@link #API_KEYS} match contains. */
  private static final String[] KEY_PREFIXES = {"sk-", "k_live_", "k_test_", "AIza", "AKIA", "gh", "glpat-", "xox"};

  private static final Pattern API_KEYS = Pattern.compile(
      "\\b(?:sk-[A-Za-z0-9_-]{16,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|AKIA[0-9A-Z]{16}"
          + "|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})");
  private static final Pattern BEARER = Pattern.compile("(?i)(\\bbearer\\s+)[A-Za-z0-9\\-._~+/]{8,}=*");
  // every pattern is anchored by a look-behind or a literal prefix so that a long run of word characters (a
  // base64 blob) is tried once, not from each of its positions: linear, not quadratic
  private static final Pattern EMAIL =
      Pattern.compile("(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");
  private static final Pattern CARD = Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d])");
  private static final Pattern PHONE = Pattern.compile(
      "(?<![\\w+.-])\\+?(?:\\(\\d{1,4}\\)|\\d{1,4})(?:[ .-]?(?:\\(\\d{1,4}\\)|\\d{1,4})){2,6}(?![\\w])");
  private static final Pattern DATE_START = Pattern.compile("^\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}");
  private static final Pattern IPV4 = Pattern.compile("^\\d{1,3}(?:\\.\\d{1,3}){3}$");

  private static final Redactor NONE = new Redactor(List.of());

  private final List<Rule> rules;

  private Redactor(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** Redacts nothing. */
  public static Redactor none() {
    return NONE;
  }

  /** Every built-in pattern, no custom ones. */
  public static Redactor defaults() {
    return of(new RedactionSettings(EnumSet.allOf(BuiltinPattern.class), List.of()));
  }

  public static Redactor of(RedactionSettings settings) {
    Set<BuiltinPattern> on = settings.builtins();
    List<Rule> rules = new ArrayList<>();
    if (on.contains(BuiltinPattern.API_KEYS)) {
      // each rule first asks a cheap necessary condition, so most texts skip the regex scan entirely
      rules.add(new Rule(API_KEYS, s -> true, "[REDACTED:api_key]", 0, Redactor::hasKeyPrefix));
    }
    if (on.contains(BuiltinPattern.BEARER_TOKENS)) {
      rules.add(new Rule(BEARER, s -> true, "[REDACTED:bearer_token]", 1,
          s -> containsIgnoreCase(s, "bearer")));
    }
    if (on.contains(BuiltinPattern.EMAILS)) {
      rules.add(new Rule(EMAIL, s -> true, "[REDACTED:email]", 0, s -> s.indexOf('@') >= 0));
    }
    if (on.contains(BuiltinPattern.CARD_NUMBERS)) {
      rules.add(new Rule(CARD, Redactor::luhnValid, "[REDACTED:card_number]", 0, s -> digits(s, 13)));
    }
    if (on.contains(BuiltinPattern.PHONES)) {
      rules.add(new Rule(PHONE, Redactor::looksLikePhone, "[REDACTED:phone]", 0, s -> digits(s, 3)));
    }
    for (CustomPattern c : settings.custom()) {
      rules.add(new Rule(c.regex(), s -> !s.isEmpty(), "[REDACTED:" + c.name() + "]", 0));
    }
    return new Redactor(rules);
  }

  /** True when no rule is on (redaction can be skipped entirely). */
  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /** {@code text} with every match replaced; the same instance when nothing matched. Null stays null. */
  public String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = text;
    for (Rule rule : rules) {
      out = apply(rule, out);
    }
    return out;
  }

  private static boolean hasKeyPrefix(String s) {
    for (String p : KEY_PREFIXES) {
      if (s.contains(p)) {
        return true;
      }
    }
    return false;
  }

  private static boolean containsIgnoreCase(String s, String word) {
    for (int i = 0; i + word.length() <= s.length(); i++) {
      if (s.regionMatches(true, i, word, 0, word.length())) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code s} holds at least {@code n} digits. */
  private static boolean digits(String s, int n) {
    int seen = 0;
    for (int i = 0; i < s.length() && seen < n; i++) {
      if (s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        seen++;
      }
    }
    return seen >= n;
  }

  private static String apply(Rule rule, String text) {
    if (!rule.mayMatch().test(text)) {
      return text;
    }
    Matcher m = rule.pattern().matcher(text);
    StringBuilder sb = null;
    int copied = 0;
    while (m.find()) {
      if (!rule.accept().test(m.group())) {
        continue;
      }
      if (sb == null) {
        sb = new StringBuilder(text.length());
      }
      sb.append(text, copied, m.start());
      if (rule.keepGroup() > 0) {
        sb.append(m.group(rule.keepGroup()));
      }
      sb.append(rule.replacement());
      copied = m.end();
    }
    if (sb == null) {
      return text;
    }
    return sb.append(text, copied, text.length()).toString();
  }

  /**
   * {@code node} with every string inside it redacted, leaving {@code node} itself untouched: the same
   * instance when nothing matched (the common case, and then nothing is copied), else a copy of the
   * containers on the way to each change.
   */
  public JsonNode redacted(JsonNode node) {
    if (node == null || isEmpty()) {
      return node;
    }
    if (node.isTextual()) {
      String r = redact(node.textValue());
      return r == node.textValue() ? node : TextNode.valueOf(r);
    }
    if (node instanceof ObjectNode o) {
      ObjectNode copy = null;
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode r = redacted(e.getValue());
        if (r != e.getValue()) {
          if (copy == null) {
            copy = o.deepCopy();
          }
          copy.set(e.getKey(), r);
        }
      }
      return copy == null ? node : copy;
    }
    if (node instanceof ArrayNode a) {
      ArrayNode copy = null;
      for (int i = 0; i < a.size(); i++) {
        JsonNode r = redacted(a.get(i));
        if (r != a.get(i)) {
          if (copy == null) {
            copy = a.deepCopy();
          }
          copy.set(i, r);
        }
      }
      return copy == null ? node : copy;
    }
    return node;
  }

  /** The Luhn (mod 10) check over the digits of {@code s}, which must have 13–19 of them. */
  static boolean luhnValid(String s) {
    int sum = 0;
    int digits = 0;
    for (int i = s.length() - 1; i >= 0; i--) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        continue;
      }
      int d = c - '0';
      if (digits % 2 == 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      digits++;
    }
    return digits >= 13 && digits <= 19 && sum % 10 == 0;
  }

  private static boolean looksLikePhone(String s) {
    int digits = 0;
    boolean separated = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (c != '+') {
        separated = true;
      }
    }
    boolean plus = s.startsWith("+");
    if (plus ? digits < 7 : digits < 9) {
      return false;
    }
    return digits <= 15 && (plus || separated) && !DATE_START.matcher(s).find() && !IPV4.matcher(s).matches();
  }
}
