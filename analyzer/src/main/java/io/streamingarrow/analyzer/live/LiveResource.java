package io.streamingarrow.analyzer.live;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestStreamElementType;

import io.smallrye.mutiny.Multi;
import io.vertx.core.json.JsonObject;

/** Server-sent events of closed windows and alert transitions; the live page at / listens here. */
@Path("/api/live")
public class LiveResource {

    @Inject
    LiveFeed feed;

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "Closed windows and alert transitions as they happen (SSE)")
    public Multi<JsonObject> live() {
        return feed.stream();
    }
}
