package io.streamingarrow.producer.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamingarrow.shared.schema.SeedSchema;

/**
 * Parses an ingest body, a JSON array of events or NDJSON (one event per line), into valid events and
 * per-event rejections. A bad event never spoils the others. Fields are the seed schema's: {@code device}
 * (required string), {@code ts} (optional: an ISO-8601 instant or integer epoch microseconds; absent
 * means now), the four float measures and {@code run_elapsed_ms} (optional, may be null).
 *
 * <p>An event is rejected, never rewritten, when the stores could not hold it as sent ({@link RowRules}),
 * and when its bytes are not well-formed UTF-8: decoding would silently turn them into U+FFFD.
 */
public final class EventParser {

    /** The parse of one body. */
    public record Result(List<IngestEvent> events, List<Rejection> rejections) {
    }

    static final int MAX_DEVICE_BYTES = RowRules.MAX_DEVICE_BYTES;
    private static final Set<String> FIELDS = Set.of(SeedSchema.DEVICE, SeedSchema.TS, SeedSchema.CPU_USED,
            SeedSchema.CPU_FREE, SeedSchema.MEMORY_USED, SeedSchema.MEMORY_FREE, SeedSchema.RUN_ELAPSED_MS);

    private final ObjectMapper json;

    public EventParser(ObjectMapper json) {
        this.json = json;
    }

    public Result parse(byte[] body, long nowMicros) {
        List<IngestEvent> events = new ArrayList<>();
        List<Rejection> rejections = new ArrayList<>();
        int first = firstNonWhitespace(body);
        if (first < 0) {
            rejections.add(new Rejection(1, "empty body: send a JSON array of events or one JSON event per line"));
        } else if (body[first] == '[') {
            parseArray(body, nowMicros, events, rejections);
        } else {
            parseLines(body, nowMicros, events, rejections);
        }
        return new Result(events, rejections);
    }

    private void parseArray(byte[] body, long nowMicros, List<IngestEvent> events, List<Rejection> rejections) {
        // Malformed UTF-8 would be decoded to U+FFFD (or stop the parser and lose the rest of the array):
        // parse a copy in which each malformed byte is an ASCII '?', and reject every element that held one.
        BitSet malformed = null;
        byte[] parsed = body;
        if (Utf8Check.firstInvalid(body, 0, body.length) >= 0) {
            parsed = body.clone();
            malformed = Utf8Check.markAndReplaceInvalid(parsed);
        }
        try (JsonParser parser = json.getFactory().createParser(parsed)) {
            parser.nextToken(); // [
            while (true) {
                JsonToken token = parser.nextToken();
                if (token == JsonToken.END_ARRAY || token == null) {
                    break;
                }
                int line = parser.currentTokenLocation().getLineNr();
                int start = (int) parser.currentTokenLocation().getByteOffset();
                JsonNode node = parser.readValueAsTree();
                int bad = malformed == null ? -1 : malformed.nextSetBit(start);
                if (bad >= 0 && bad < parser.currentLocation().getByteOffset()) {
                    rejections.add(new Rejection(line, malformedUtf8(bad - start)));
                } else {
                    accept(node, line, nowMicros, events, rejections);
                }
            }
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 1 : e.getLocation().getLineNr();
            rejections.add(new Rejection(line, "malformed JSON, the rest of the array was not read: " + e.getOriginalMessage()));
        } catch (IOException e) {
            rejections.add(new Rejection(1, "unreadable body: " + e.getMessage()));
        }
    }

    private void parseLines(byte[] body, long nowMicros, List<IngestEvent> events, List<Rejection> rejections) {
        int line = 0;
        int start = 0;
        while (start <= body.length) {
            int end = start;
            while (end < body.length && body[end] != '\n') {
                end++;
            }
            line++;
            int bad = Utf8Check.firstInvalid(body, start, end);
            String text = bad >= 0 ? "" : new String(body, start, end - start, StandardCharsets.UTF_8).strip();
            if (bad >= 0) {
                rejections.add(new Rejection(line, malformedUtf8(bad - start)));
            } else if (!text.isEmpty()) {
                try {
                    accept(json.readTree(text), line, nowMicros, events, rejections);
                } catch (JsonProcessingException e) {
                    rejections.add(new Rejection(line, "malformed JSON: " + e.getOriginalMessage()));
                }
            }
            start = end + 1;
        }
    }

    private static String malformedUtf8(int offset) {
        return "not valid UTF-8 (byte " + offset + " of the event); the event was not read, so that no name is altered";
    }

    private static void accept(JsonNode node, int line, long nowMicros, List<IngestEvent> events, List<Rejection> rejections) {
        try {
            events.add(toEvent(node, line, nowMicros));
        } catch (IllegalArgumentException e) {
            rejections.add(new Rejection(line, e.getMessage()));
        }
    }

    private static IngestEvent toEvent(JsonNode node, int line, long nowMicros) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("an event must be a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            String name = it.next().getKey();
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown field '" + name + "' (fields: " + String.join(", ", SeedSchema.SCHEMA
                        .getFields().stream().map(f -> f.getName()).toList()) + ")");
            }
        }
        JsonNode device = node.get(SeedSchema.DEVICE);
        if (device == null || !device.isTextual()) {
            throw new IllegalArgumentException("'device' is required and must be a non-empty string");
        }
        String deviceViolation = RowRules.deviceViolation(device.asText());
        if (deviceViolation != null) {
            throw new IllegalArgumentException(deviceViolation);
        }
        return new IngestEvent(line, device.asText(), timestamp(node.get(SeedSchema.TS), nowMicros),
                measure(node, SeedSchema.CPU_USED), measure(node, SeedSchema.CPU_FREE),
                measure(node, SeedSchema.MEMORY_USED), measure(node, SeedSchema.MEMORY_FREE), elapsed(node));
    }

    private static long timestamp(JsonNode ts, long nowMicros) {
        if (ts == null || ts.isNull()) {
            return nowMicros;
        }
        if (ts.isIntegralNumber() && ts.canConvertToLong()) {
            return inStoreRange(ts.asLong(), ts.asLong() + " (epoch µs)");
        }
        if (ts.isIntegralNumber()) {
            throw new IllegalArgumentException(RowRules.tsViolation(ts.isBigInteger() && ts.bigIntegerValue().signum() < 0
                    ? Long.MIN_VALUE : Long.MAX_VALUE, ts.asText() + " (epoch µs)"));
        }
        if (ts.isTextual()) {
            Instant instant;
            try {
                instant = Instant.parse(ts.asText());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("'ts' is not an ISO-8601 instant: " + ts.asText());
            }
            long micros;
            try {
                micros = Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000);
            } catch (ArithmeticException e) {
                micros = instant.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
            }
            return inStoreRange(micros, ts.asText());
        }
        throw new IllegalArgumentException("'ts' must be an ISO-8601 instant string or integer epoch microseconds");
    }

    private static long inStoreRange(long micros, String asSent) {
        String violation = RowRules.tsViolation(micros, asSent);
        if (violation != null) {
            throw new IllegalArgumentException(violation);
        }
        return micros;
    }

    /**
     * A measure, or null. Float32 in both stores could hold NaN and ±Infinity, but JSON cannot carry
     * them, and a number beyond Float32's range would become Infinity: that is refused, not rounded.
     */
    private static Float measure(JsonNode node, String name) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber() || !Double.isFinite(value.asDouble()) || Math.abs(value.asDouble()) > Float.MAX_VALUE) {
            throw new IllegalArgumentException("'" + name + "' must be a finite number or null");
        }
        return (float) value.asDouble();
    }

    private static Integer elapsed(JsonNode node) {
        JsonNode value = node.get(SeedSchema.RUN_ELAPSED_MS);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new IllegalArgumentException("'run_elapsed_ms' must be a 32-bit integer or null");
        }
        return value.asInt();
    }

    private static int firstNonWhitespace(byte[] body) {
        for (int i = 0; i < body.length; i++) {
            if (!Character.isWhitespace(body[i])) {
                return i;
            }
        }
        return -1;
    }
}
