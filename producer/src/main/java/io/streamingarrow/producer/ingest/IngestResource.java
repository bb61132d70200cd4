package io.streamingarrow.producer.ingest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

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
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.streamingarrow.producer.ProducerConfig;
import io.streamingarrow.producer.batching.ShardedBatcher;

/**
 * {@code POST /ingest}: a JSON array of events or NDJSON. Answers 200 once Kafka acknowledged (acks=all)
 * every batch that holds the body's valid events, with how many were accepted and why each rejected line
 * was rejected (400 if nothing was valid). 503 when Kafka refused or did not acknowledge some of them
 * within {@code producer.ingest.ack-timeout} (the answer names them by line), or when the producer became
 * saturated part-way (it says from which line to resend); 401 without the configured bearer token, 413
 * over the body limit, 429 when the producer is saturated or too many requests wait for Kafka already.
 *
 * <p>Threads: parsing and appending run on a worker thread ({@link Blocking}): they are CPU work over up
 * to {@code max-body-bytes}, and appending may encode a batch. The wait for Kafka then holds no thread at
 * all: the method returns a stage that the acknowledgements (or the timeout) complete, so the number of
 * waiting requests is bounded by {@code max-pending-requests}, not by the worker pool, and the event loop
 * is never blocked.
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
    private BearerToken token;
    private final AtomicInteger pending = new AtomicInteger();
    private Counter rowsIn;
    private Counter rowsRejected;
    private Counter rowsRefused;
    private Counter rowsNotStored;

    @PostConstruct
    void init() {
        ingestor = new Ingestor(new EventParser(json), batcher);
        token = BearerToken.of(config.ingest().token());
        rowsIn = Counter.builder("producer.rows.in").tag("source", "http").register(meters);
        rowsRejected = Counter.builder("producer.rows.rejected").tag("source", "http").tag("reason", "invalid").register(meters);
        rowsRefused = Counter.builder("producer.rows.rejected").tag("source", "http").tag("reason", "saturated").register(meters);
        rowsNotStored = Counter.builder("producer.rows.rejected").tag("source", "http").tag("reason", "not-stored")
                .description("Valid rows answered 503 because Kafka refused them or did not acknowledge in time")
                .register(meters);
        Gauge.builder("producer.ingest.pending.requests", pending, AtomicInteger::get)
                .description("Ingest requests waiting for Kafka to acknowledge their rows").register(meters);
        Gauge.builder("producer.ingest.pending.requests.limit", config.ingest(), ProducerConfig.Ingest::maxPendingRequests)
                .register(meters);
    }

    @POST
    @Blocking
    @Consumes({MediaType.APPLICATION_JSON, "application/x-ndjson", MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> ingest(byte[] body, @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        if (!token.admits(authorization)) {
            return answer(Response.status(Response.Status.UNAUTHORIZED).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                    .entity(Map.of("error", "missing or wrong bearer token")).build());
        }
        if (body.length > config.ingest().maxBodyBytes()) {
            return answer(Response.status(Response.Status.REQUEST_ENTITY_TOO_LARGE)
                    .entity(Map.of("error", "body of " + body.length + " bytes is over the limit of "
                            + config.ingest().maxBodyBytes())).build());
        }
        String retryAfter = Integer.toString(config.ingest().retryAfterSeconds());
        if (ingestor.saturated()) {
            return answer(Response.status(Response.Status.TOO_MANY_REQUESTS).header(HttpHeaders.RETRY_AFTER, retryAfter)
                    .entity(Map.of("error", "the producer is saturated: Kafka has not acknowledged enough batches yet"))
                    .build());
        }
        if (pending.incrementAndGet() > config.ingest().maxPendingRequests()) {
            pending.decrementAndGet();
            return answer(Response.status(Response.Status.TOO_MANY_REQUESTS).header(HttpHeaders.RETRY_AFTER, retryAfter)
                    .entity(Map.of("error", "the producer is saturated: " + config.ingest().maxPendingRequests()
                            + " requests are waiting for Kafka already"))
                    .build());
        }
        CompletionStage<IngestOutcome> stored;
        try {
            stored = ingestor.submit(body, System.currentTimeMillis() * 1000)
                    .whenStored(config.ingest().ackTimeout(), Infrastructure.getDefaultWorkerPool());
        } catch (RuntimeException e) {
            pending.decrementAndGet();
            throw e;
        }
        return stored.whenComplete((outcome, error) -> pending.decrementAndGet())
                .thenApply(outcome -> respond(outcome, retryAfter));
    }

    private Response respond(IngestOutcome outcome, String retryAfter) {
        rowsIn.increment(outcome.accepted());
        rowsRejected.increment(outcome.rejected().size());
        rowsRefused.increment(outcome.notAttempted());
        rowsNotStored.increment(outcome.notStoredEvents());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("accepted", outcome.accepted());
        answer.put("rejected", outcome.rejected().stream().map(r -> Map.of("line", r.line(), "reason", r.reason())).toList());
        if (!outcome.saturated() && outcome.notStored().isEmpty()) {
            boolean nothingValid = outcome.accepted() == 0 && !outcome.rejected().isEmpty();
            return Response.status(nothingValid ? Response.Status.BAD_REQUEST : Response.Status.OK).entity(answer).build();
        }
        StringBuilder error = new StringBuilder();
        if (!outcome.notStored().isEmpty()) {
            answer.put("notStored", outcome.notStoredEvents());
            answer.put("notStoredLines", notStoredLines(outcome.notStored()));
            error.append(outcome.notStoredEvents()).append(" valid events were not stored in Kafka (see notStoredLines); resend them");
        }
        if (outcome.saturated()) {
            answer.put("resendFromLine", outcome.saturatedAtLine());
            answer.put("notAccepted", outcome.notAttempted());
            error.append(error.isEmpty() ? "" : "; ")
                    .append("the producer became saturated; resend the events from line ").append(outcome.saturatedAtLine());
        }
        answer.put("error", error.toString());
        return Response.status(Response.Status.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, retryAfter)
                .entity(answer).build();
    }

    private static List<Map<String, Object>> notStoredLines(List<IngestOutcome.NotStored> runs) {
        return runs.stream().map(run -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("fromLine", run.fromLine());
            entry.put("toLine", run.toLine());
            entry.put("events", run.events());
            entry.put("reason", run.reason());
            entry.put("mayStillBeStored", run.stillPending());
            return entry;
        }).toList();
    }

    private static CompletionStage<Response> answer(Response response) {
        return CompletableFuture.completedFuture(response);
    }
}
