package io.gatehouse.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Feedback on one request, as it travels on {@link Topics#FEEDBACK_V1} and lands in
 * {@code gatehouse.feedback}: a score and/or a label and a comment, linked to the request by its event id
 * (the {@code x-gatehouse-request-id} the proxy answered with). {@code feedbackId} identifies one
 * submission, so a re-delivered record collapses into the same row.
 *
 * @param tsMs when the feedback was given, epoch ms
 * @param score e.g. 1 / 0, or 1..5; null when only a label is given
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Feedback(
    @JsonProperty("feedback_id") String feedbackId,
    @JsonProperty("event_id") String eventId,
    @JsonProperty("ts_ms") long tsMs,
    @JsonProperty("score") Double score,
    @JsonProperty("label") String label,
    @JsonProperty("comment") String comment,
    @JsonProperty("user") String user) {}
