package io.streamingarrow.sink.consuming;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.streamingarrow.shared.kafka.ReleasableBytes;
import io.streamingarrow.shared.kafka.ReleasableBytesDeserializer;

/**
 * Consumes {@code arrow_tables}. Acknowledgement is manual: {@link SinkPipeline} acknowledges each
 * message once its rows are in ClickHouse (or it was dead-lettered); the returned stage only paces
 * consumption.
 */
// Kafka creates the value deserializer by its name (application.properties): registered for native builds.
@RegisterForReflection(targets = ReleasableBytesDeserializer.class)
@ApplicationScoped
public class ArrowTablesConsumer {

    @Inject
    SinkPipeline pipeline;

    @Incoming("arrow-tables")
    public CompletionStage<Void> consume(Message<ReleasableBytes> message) {
        return pipeline.accept(message);
    }
}
