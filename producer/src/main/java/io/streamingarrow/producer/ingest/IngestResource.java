package io.streamingarrow.producer.ingest;

import java.util.Map;

import jakarta.annotation.PostConstruct;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.streamingarrow.producer.ProducerConfig;
import io.streamingarrow.producer.batching.ShardedBatcher;

/**
 * {@code POST /ingest}: a JSON array of events or NDJSON. Answers 200 with what was accepted and why each
 * rejected line was rejected (400 if nothing was valid), 401 without the configured bearer token, 413 over
 * the body limit, 429 when the producer is saturated before the body was read, and 503 when it became
 * saturated part-way (the response says from which line to resend). Both carry {@code Retry-After}.
 */
@Path("/ingest")
public class IngestResource {

    @Inject
    ProducerConfig config;

    @Inject
    ShardedBatcher batcher;

    @Inject
    ObjectMapper json;

    @Inject
    MeterRegistry meters;

    private Ingestor ingestor;
    private Counter rowsIn;
    private Counter rowsRejected;
    private Counter rowsRefused;

    @PostConstruct
    void init() {
        ingestor = new Ingestor(new EventParser(json), batcher);
        rowsIn = Counter.builder("producer.rows.in").tag("source", "http").register(meters);
        rowsRejected = Counter.builder("producer.rows.rejected").tag("source", "http").tag("reason", "invalid").register(meters);
        rowsRefused = Counter.builder("producer.rows.rejected").tag("source", "http").tag("reason", "saturated").register(meters);
    }

    @POST
    @Consumes({MediaType.APPLICATION_JSON, "application/x-ndjson", MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    @Produces(MediaType.APPLICATION_JSON)
    public Response ingest(byte[] body, @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        if (config.ingest().token().isPresent() && !("Bearer " + config.ingest().token().get()).equals(authorization)) {
            return Response.status(Response.Status.UNAUTHORIZED).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                    .entity(Map.of("error", "missing or wrong bearer token")).build();
        }
        if (body.length > config.ingest().maxBodyBytes()) {
            return Response.status(Response.Status.REQUEST_ENTITY_TOO_LARGE)
                    .entity(Map.of("error", "body of " + body.length + " bytes is over the limit of "
                            + config.ingest().maxBodyBytes())).build();
        }
        String retryAfter = Integer.toString(config.ingest().retryAfterSeconds());
        if (ingestor.saturated()) {
            return Response.status(Response.Status.TOO_MANY_REQUESTS).header(HttpHeaders.RETRY_AFTER, retryAfter)
                    .entity(Map.of("error", "the producer is saturated: Kafka has not acknowledged enough batches yet"))
                    .build();
        }
        IngestOutcome outcome = ingestor.ingest(body, System.currentTimeMillis() * 1000);
        rowsIn.increment(outcome.accepted());
        rowsRejected.increment(outcome.rejected().size());
        rowsRefused.increment(outcome.notAttempted());
        Map<String, Object> answer = Map.of(
                "accepted", outcome.accepted(),
                "rejected", outcome.rejected().stream().map(r -> Map.of("line", r.line(), "reason", r.reason())).toList());
        if (outcome.saturated()) {
            return Response.status(Response.Status.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, retryAfter)
                    .entity(Map.of("accepted", outcome.accepted(), "rejected", answer.get("rejected"),
                            "error", "the producer became saturated; resend the events from line " + outcome.saturatedAtLine(),
                            "resendFromLine", outcome.saturatedAtLine(), "notAccepted", outcome.notAttempted()))
                    .build();
        }
        boolean nothingValid = outcome.accepted() == 0 && !outcome.rejected().isEmpty();
        return Response.status(nothingValid ? Response.Status.BAD_REQUEST : Response.Status.OK).entity(answer).build();
    }

}
