package io.streamingarrow.producer.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.streamingarrow.shared.contract.StoreLimits;

/**
 * Events the stores could not hold as sent are rejected on their own line, with a reason, and never
 * rewritten; the valid events of the same body are kept.
 */
class HostileEventsTest {

    private static final long NOW = 1_767_225_600_000_000L;
    private final EventParser parser = new EventParser(new ObjectMapper());

    /** A body from text lines and raw byte lines. */
    private static byte[] body(Object... lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object line : lines) {
            byte[] bytes = line instanceof byte[] raw ? raw : ((String) line).getBytes(StandardCharsets.UTF_8);
            out.writeBytes(bytes);
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static byte[] withBytes(String before, int[] raw, String after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before.getBytes(StandardCharsets.UTF_8));
        for (int b : raw) {
            out.write(b);
        }
        out.writeBytes(after.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static String reasonOf(EventParser.Result result, int line) {
        return result.rejections().stream().filter(r -> r.line() == line).findFirst().orElseThrow(
                () -> new AssertionError("line " + line + " was not rejected: " + result.rejections())).reason();
    }

    @Test
    void ndjsonRejectsEachHostileLineAndKeepsTheValidOnes() {
        EventParser.Result result = parser.parse(body(
                "{\"device\":\"ok-1\",\"ts\":0}",                                      // 1: the epoch, the first storable instant
                "{\"device\":\"neg\",\"ts\":-1}",                                       // 2
                "{\"device\":\"y9999\",\"ts\":\"9999-12-31T23:59:59Z\"}",               // 3
                "{\"device\":\"past\",\"ts\":\"1969-12-31T23:59:59.999999Z\"}",         // 4
                "{\"device\":\"nul\\u0000x\"}",                                         // 5
                withBytes("{\"device\":\"lat", new int[] {0xE9}, "n1\"}"),              // 6: Latin-1 é
                withBytes("{\"device\":\"ok-2\",\"cpu_used\":1", new int[] {0xFF}, "}"), // 7: stray byte outside a string
                withBytes("{\"device\":\"ovl", new int[] {0xC0, 0xAF}, "\"}"),          // 8: overlong '/'
                withBytes("{\"device\":\"sur", new int[] {0xED, 0xA0, 0x80}, "\"}"),    // 9: an encoded surrogate
                "{\"device\":\"lone\\uD800\"}",                                         // 10: an unpaired surrogate escape
                "{\"device\":\"big\",\"ts\":99999999999999999999}",                     // 11
                "{\"device\":\"last\",\"ts\":" + StoreLimits.MAX_TS_MICROS + "}",       // 12: the last storable µs
                "{\"device\":\"after\",\"ts\":" + (StoreLimits.MAX_TS_MICROS + 1) + "}", // 13
                "{\"device\":\"ünïcødé-✓-😀\",\"ts\":\"2106-02-07T06:28:15Z\"}",        // 14: valid multi-byte UTF-8
                "{\"device\":\"huge\",\"cpu_used\":1e39}"), NOW);                       // 15: beyond Float32

        assertEquals(List.of("ok-1", "last", "ünïcødé-✓-😀"), result.events().stream().map(IngestEvent::device).toList());
        assertEquals(List.of(1, 12, 14), result.events().stream().map(IngestEvent::line).toList());
        assertEquals(0L, result.events().get(0).tsMicros());
        assertEquals(StoreLimits.MAX_TS_MICROS, result.events().get(1).tsMicros());
        assertEquals(List.of(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15),
                result.rejections().stream().map(Rejection::line).toList());
        for (int line : List.of(2, 3, 4, 11, 13)) {
            assertTrue(reasonOf(result, line).contains("outside what the stores hold"), reasonOf(result, line));
            assertTrue(reasonOf(result, line).contains("2106-02-07T06:28:15.999999Z"), reasonOf(result, line));
        }
        assertTrue(reasonOf(result, 3).contains("9999-12-31T23:59:59Z"), "the reason quotes what was sent");
        assertTrue(reasonOf(result, 5).contains("U+0000"), reasonOf(result, 5));
        assertTrue(reasonOf(result, 6).contains("not valid UTF-8 (byte 14"), reasonOf(result, 6));
        for (int line : List.of(7, 8, 9)) {
            assertTrue(reasonOf(result, line).contains("not valid UTF-8"), reasonOf(result, line));
        }
        assertTrue(reasonOf(result, 10).contains("unpaired surrogate"), reasonOf(result, 10));
        assertTrue(reasonOf(result, 15).contains("cpu_used"), reasonOf(result, 15));
    }

    @Test
    void anArrayRejectsTheElementsWithMalformedUtf8AndReadsOnPastThem() {
        byte[] body = body(
                "[",
                "  {\"device\":\"good-1\"},",
                new String(withBytes("  {\"device\":\"bad", new int[] {0xC3}, "\"},"), StandardCharsets.ISO_8859_1)
                        .getBytes(StandardCharsets.ISO_8859_1),
                new String(withBytes("  {\"device\":\"bad", new int[] {0xE2, 0x82}, "x\"}, {\"device\":\"good-2\"},"),
                        StandardCharsets.ISO_8859_1).getBytes(StandardCharsets.ISO_8859_1),
                "  {\"device\":\"nul\\u0000\", \"ts\":1},",
                "  {\"device\":\"neg\", \"ts\":-1},",
                "  {\"device\":\"good-3\", \"ts\":\"2026-01-01T00:00:00Z\"}",
                "]");
        EventParser.Result result = parser.parse(body, NOW);
        assertEquals(List.of("good-1", "good-2", "good-3"), result.events().stream().map(IngestEvent::device).toList());
        assertEquals(List.of(3, 4, 5, 6), result.rejections().stream().map(Rejection::line).toList());
        assertTrue(reasonOf(result, 3).contains("not valid UTF-8"), reasonOf(result, 3));
        assertTrue(reasonOf(result, 4).contains("not valid UTF-8"), reasonOf(result, 4));
        assertTrue(reasonOf(result, 5).contains("U+0000"));
        assertTrue(reasonOf(result, 6).contains("outside what the stores hold"));
    }

    @Test
    void twoNamesThatDifferOnlyInMalformedBytesAreNotMergedIntoOneDevice() {
        EventParser.Result result = parser.parse(body(
                withBytes("{\"device\":\"pump-", new int[] {0xFE}, "\"}"),
                withBytes("{\"device\":\"pump-", new int[] {0xFF}, "\"}")), NOW);
        assertTrue(result.events().isEmpty(), "decoding would have made both 'pump-\uFFFD'");
        assertEquals(2, result.rejections().size());
    }

    @Test
    void utf8CheckAgreesWithTheStrictJdkDecoder() throws Exception {
        java.util.Random random = new java.util.Random(7);
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        int[] interesting = {0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
                0x90, 0xA0, 0x9F, 0x8F};
        for (int i = 0; i < 200_000; i++) {
            byte[] bytes = new byte[1 + random.nextInt(5)];
            for (int k = 0; k < bytes.length; k++) {
                bytes[k] = (byte) interesting[random.nextInt(interesting.length)];
            }
            boolean jdk;
            try {
                decoder.reset().decode(java.nio.ByteBuffer.wrap(bytes));
                jdk = true;
            } catch (java.nio.charset.CharacterCodingException e) {
                jdk = false;
            }
            assertEquals(jdk, Utf8Check.firstInvalid(bytes, 0, bytes.length) < 0, () -> java.util.HexFormat.of().formatHex(bytes));
        }
    }
}
