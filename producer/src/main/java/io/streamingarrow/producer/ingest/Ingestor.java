package io.streamingarrow.producer.ingest;

import java.util.List;

import io.streamingarrow.producer.batching.ShardedBatcher;

/** Parses an ingest body and appends its valid events to the batcher, stopping when it is saturated. */
public final class Ingestor {

    private final EventParser parser;
    private final ShardedBatcher batcher;

    public Ingestor(EventParser parser, ShardedBatcher batcher) {
        this.parser = parser;
        this.batcher = batcher;
    }

    public boolean saturated() {
        return batcher.saturated();
    }

    public IngestOutcome ingest(byte[] body, long nowMicros) {
        EventParser.Result parsed = parser.parse(body, nowMicros);
        List<IngestEvent> events = parsed.events();
        int accepted = 0;
        for (IngestEvent e : events) {
            if (!batcher.tryAppendNullable(e.device(), e.tsMicros(), e.cpuUsed(), e.cpuFree(), e.memoryUsed(),
                    e.memoryFree(), e.runElapsedMs())) {
                return new IngestOutcome(accepted, parsed.rejections(), e.line(), events.size() - accepted);
            }
            accepted++;
        }
        return new IngestOutcome(accepted, parsed.rejections(), null, 0);
    }
}
