package io.streamingarrow.producer.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

class EventParserTest {

    private static final long NOW = 1_767_225_600_000_000L;
    private final EventParser parser = new EventParser(new ObjectMapper());

    private EventParser.Result parse(String body) {
        return parser.parse(body.getBytes(StandardCharsets.UTF_8), NOW);
    }

    @Test
    void ndjsonKeepsValidLinesAndExplainsEachBadOne() {
        EventParser.Result result = parse("""
                {"device":"pump-1","ts":"2026-01-01T00:00:01.000002Z","cpu_used":12.5,"cpu_free":87.5,"memory_used":40,"memory_free":60,"run_elapsed_ms":7}
                {"device":"","cpu_used":1}
                not json

                {"device":"pump-2","cpu_used":null,"run_elapsed_ms":3000000000}
                {"device":"pump-3","colour":"red"}
                {"device":"pump-4","ts":1767225600000123}
                """);
        assertEquals(2, result.events().size());
        IngestEvent first = result.events().get(0);
        assertEquals(1, first.line());
        assertEquals("pump-1", first.device());
        assertEquals(NOW + 1_000_002L, first.tsMicros());
        assertEquals(12.5f, first.cpuUsed());
        assertEquals(7, first.runElapsedMs());
        IngestEvent last = result.events().get(1);
        assertEquals(7, last.line());
        assertEquals(NOW + 123, last.tsMicros());
        assertNull(last.cpuUsed());

        List<Rejection> rejected = result.rejections();
        assertEquals(List.of(2, 3, 5, 6), rejected.stream().map(Rejection::line).toList());
        assertTrue(rejected.get(0).reason().contains("'device' is required"), rejected.get(0).reason());
        assertTrue(rejected.get(1).reason().startsWith("malformed JSON"), rejected.get(1).reason());
        assertTrue(rejected.get(2).reason().contains("run_elapsed_ms"), rejected.get(2).reason());
        assertTrue(rejected.get(3).reason().contains("unknown field 'colour'"), rejected.get(3).reason());
    }

    @Test
    void jsonArrayReportsTheLineEachElementStartsOn() {
        EventParser.Result result = parse("""
                [
                  {"device":"a"},
                  {"device":"b","ts":"yesterday"},
                  42,
                  {"device":"c","memory_used":"high"}
                ]""");
        assertEquals(1, result.events().size());
        assertEquals(NOW, result.events().get(0).tsMicros(), "absent ts means now");
        assertEquals(List.of(3, 4, 5), result.rejections().stream().map(Rejection::line).toList());
        assertTrue(result.rejections().get(0).reason().contains("ISO-8601"));
        assertTrue(result.rejections().get(1).reason().contains("JSON object"));
        assertTrue(result.rejections().get(2).reason().contains("memory_used"));
    }

    @Test
    void aBrokenArrayKeepsWhatCameBeforeTheBreak() {
        EventParser.Result result = parse("[{\"device\":\"a\"},\n{\"device\":\"b\"},\n{\"device\":");
        assertEquals(List.of("a", "b"), result.events().stream().map(IngestEvent::device).toList());
        assertEquals(1, result.rejections().size());
        assertTrue(result.rejections().get(0).reason().startsWith("malformed JSON"));
    }

    @Test
    void anEmptyBodyIsOneRejection() {
        EventParser.Result result = parse("  \n ");
        assertTrue(result.events().isEmpty());
        assertEquals(1, result.rejections().size());
    }

    @Test
    void aTooLongDeviceNameIsRejected() {
        EventParser.Result result = parse("{\"device\":\"" + "d".repeat(EventParser.MAX_DEVICE_BYTES + 1) + "\"}");
        assertEquals(1, result.rejections().size());
        assertTrue(result.rejections().get(0).reason().contains("longer than"));
    }
}
