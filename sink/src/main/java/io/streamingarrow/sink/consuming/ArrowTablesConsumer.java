package io.streamingarrow.sink.consuming;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Consumes {@code arrow_tables}. Acknowledgement is manual: {@link SinkPipeline} acknowledges each
 * message once its rows are in ClickHouse (or it was dead-lettered); the returned stage only paces
 * consumption.
 */
@ApplicationScoped
public class ArrowTablesConsumer {

    @Inject
    SinkPipeline pipeline;

    @Incoming("arrow-tables")
    public CompletionStage<Void> consume(Message<byte[]> message) {
        return pipeline.accept(message);
    }
}
