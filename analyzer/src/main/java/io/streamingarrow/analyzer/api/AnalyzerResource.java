package io.streamingarrow.analyzer.api;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

import io.smallrye.mutiny.Uni;
import io.streamingarrow.analyzer.AnalyzerConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/** Read access to what the analyzer stored: alerts and a device's windows. */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public class AnalyzerResource {

    private static final int MAX_ROWS = 10_000;

    @Inject
    Pool pool;

    @Inject
    AnalyzerConfig config;

    @GET
    @Path("/alerts/open")
    @Operation(summary = "Alerts open now, newest first")
    public Uni<List<JsonObject>> openAlerts() {
        return pool.query("SELECT * FROM " + schema() + ".alerts WHERE state = 'open' ORDER BY opened_window_end DESC")
                .execute().map(AnalyzerResource::json);
    }

    @GET
    @Path("/alerts")
    @Operation(summary = "Alert history (open and resolved), newest first")
    public Uni<List<JsonObject>> alerts(@QueryParam("limit") @Parameter(description = "at most this many (default 100)") Integer limit) {
        int rows = Math.min(MAX_ROWS, limit == null ? 100 : Math.max(1, limit));
        return pool.preparedQuery("SELECT * FROM " + schema() + ".alerts ORDER BY opened_window_end DESC LIMIT $1")
                .execute(Tuple.of(rows)).map(AnalyzerResource::json);
    }

    @GET
    @Path("/devices/{device}/windows")
    @Operation(summary = "A device's closed windows whose start lies in [from, to), oldest first")
    public Uni<List<JsonObject>> windows(@PathParam("device") String device,
                                         @QueryParam("from") @Parameter(description = "ISO-8601, default: 1 hour ago") String from,
                                         @QueryParam("to") @Parameter(description = "ISO-8601, default: now") String to) {
        OffsetDateTime end = parse(to, OffsetDateTime.now());
        OffsetDateTime start = parse(from, end.minusHours(1));
        return pool.preparedQuery("SELECT * FROM " + schema() + ".window_aggregates WHERE device = $1"
                        + " AND window_start >= $2 AND window_start < $3 ORDER BY window_start LIMIT " + MAX_ROWS)
                .execute(Tuple.of(device, start, end)).map(AnalyzerResource::json);
    }

    private String schema() {
        return config.store().schema();
    }

    private static OffsetDateTime parse(String value, OffsetDateTime fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return OffsetDateTime.parse(value);
        } catch (java.time.format.DateTimeParseException e) {
            throw new BadRequestException("not an ISO-8601 date-time with offset: " + value);
        }
    }

    private static List<JsonObject> json(RowSet<Row> rows) {
        List<JsonObject> out = new ArrayList<>();
        for (Row row : rows) {
            out.add(row.toJson());
        }
        return out;
    }
}
