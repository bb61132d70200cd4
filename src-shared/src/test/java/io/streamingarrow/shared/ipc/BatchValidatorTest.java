package io.streamingarrow.shared.ipc;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.ValueVectorUtility;
import org.junit.jupiter.api.Test;

/**
 * The decoder's own check of string columns must refuse exactly what it has to: broken offsets (what
 * Arrow's validateFull refuses, compared on random corruptions) and values that are not well-formed
 * UTF-8 (judged by the JDK's strict decoder), while nulls and other columns are left to Arrow.
 */
class BatchValidatorTest {

    private static VarCharVector strings(BufferAllocator allocator, List<byte[]> values) {
        VarCharVector vector = new VarCharVector("device", allocator);
        vector.allocateNew(values.size());
        // Bytes past the values are whatever the allocator had: make them ASCII so a corrupted offset that
        // takes them in is judged on the offsets alone.
        vector.getDataBuffer().setZero(0, vector.getDataBuffer().capacity());
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) == null) {
                vector.setNull(i);
            } else {
                vector.setSafe(i, values.get(i));
            }
        }
        vector.setValueCount(values.size());
        return vector;
    }

    private static boolean arrowAccepts(VectorSchemaRoot root) {
        try {
            ValueVectorUtility.validateFull(root);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean oursAccepts(VectorSchemaRoot root) {
        try {
            BatchValidator.validate(root);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String verdict(VectorSchemaRoot root) {
        try {
            BatchValidator.validate(root);
            return "accepted";
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    private static boolean strictUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void validStringsNullsAndEmptyBatchesPass() {
        try (BufferAllocator allocator = new RootAllocator();
             VarCharVector device = strings(allocator, List.of("sensor-1".getBytes(), "é€😀".getBytes(StandardCharsets.UTF_8),
                     new byte[0]));
             VarCharVector empty = strings(allocator, List.of());
             VectorSchemaRoot root = VectorSchemaRoot.of(device);
             VectorSchemaRoot none = VectorSchemaRoot.of(empty)) {
            assertDoesNotThrow(() -> BatchValidator.validate(root));
            assertDoesNotThrow(() -> BatchValidator.validate(none));
        }
    }

    @Test
    void brokenOffsetsAreRefusedLikeArrowRefusesThem() {
        SplittableRandom random = new SplittableRandom(7);
        int refused = 0;
        for (int round = 0; round < 400; round++) {
            try (BufferAllocator allocator = new RootAllocator();
                 VarCharVector device = strings(allocator, List.of("a".getBytes(), "bb".getBytes(), "ccc".getBytes(),
                         "dddd".getBytes()));
                 VectorSchemaRoot root = VectorSchemaRoot.of(device)) {
                int slot = random.nextInt(5);
                int value = random.nextInt(-3, 40);
                device.getOffsetBuffer().setInt((long) slot * 4, value);
                boolean arrow = arrowAccepts(root);
                assertEquals(arrow, oursAccepts(root), () -> "offset " + slot + " set to " + value + ": " + verdict(root));
                refused += arrow ? 0 : 1;
            }
        }
        assertTrue(refused > 100, "the corruptions must include refused ones, got " + refused);
    }

    @Test
    void valuesMustBeWellFormedUtf8() {
        SplittableRandom random = new SplittableRandom(11);
        int invalid = 0;
        for (int round = 0; round < 3000; round++) {
            byte[] value = new byte[random.nextInt(1, 6)];
            for (int i = 0; i < value.length; i++) {
                // Mostly bytes around the UTF-8 boundaries: leads, continuations, overlong and surrogate forms.
                int[] interesting = {0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0, 0x8F, 0x90};
                value[i] = (byte) interesting[random.nextInt(interesting.length)];
            }
            try (BufferAllocator allocator = new RootAllocator();
                 VarCharVector device = strings(allocator, List.of("ok".getBytes(), value));
                 LargeVarCharVector large = new LargeVarCharVector("large", allocator)) {
                large.allocateNew(2);
                large.setSafe(0, "ok".getBytes());
                large.setSafe(1, value);
                large.setValueCount(2);
                boolean expected = strictUtf8(value);
                invalid += expected ? 0 : 1;
                try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(device));
                     VectorSchemaRoot largeRoot = new VectorSchemaRoot(List.<FieldVector>of(large))) {
                    assertEquals(expected, oursAccepts(root), () -> "value " + java.util.HexFormat.of().formatHex(value));
                    assertEquals(expected, oursAccepts(largeRoot), () -> "large value " + java.util.HexFormat.of().formatHex(value));
                }
            }
        }
        assertTrue(invalid > 1000, "most random byte strings near the boundaries are invalid, got " + invalid);
    }

    @Test
    void aNullSlotIsNotReadAndOtherColumnsStillGetArrowsChecks() {
        try (BufferAllocator allocator = new RootAllocator();
             VarCharVector device = strings(allocator, java.util.Arrays.asList("a".getBytes(), null));
             VarBinaryVector payload = new VarBinaryVector("payload", allocator)) {
            // Bytes behind a null slot are nobody's value: garbage there is not refused (as in Arrow).
            device.getDataBuffer().setByte(1, 0xFF);
            device.getOffsetBuffer().setInt(8, 2);
            payload.allocateNew(2);
            payload.setSafe(0, new byte[] {1, 2, 3});
            payload.setSafe(1, new byte[] {4});
            payload.setValueCount(2);
            try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(device, payload))) {
                assertDoesNotThrow(() -> BatchValidator.validate(root));
                payload.getOffsetBuffer().setInt(4, 9); // decreasing offsets in a binary column: Arrow's check
                assertThrows(RuntimeException.class, () -> BatchValidator.validate(root));
            }
        }
    }
}
