package io.streamingarrow.shared.ipc;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.util.ValueVectorUtility;
import org.junit.jupiter.api.Test;

/**
 * The decoder's own check of string columns must refuse exactly what makes a message unreadable: broken
 * offsets (what Arrow's validateFull refuses, compared on random corruptions) and views pointing outside
 * their buffers, while values that are merely not UTF-8 are left to the row screen and nulls and other
 * columns to Arrow.
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

    /**
     * A value that is not UTF-8 costs its row, not the message (RowScreen finds it): the validator takes
     * any bytes between sound offsets, in Utf8, LargeUtf8 and Utf8View columns alike.
     */
    @Test
    void valuesThatAreNotUtf8AreLeftToTheRowScreen() {
        byte[] invalid = {(byte) 0xC0, (byte) 0xAF, 0, (byte) 0xFF};
        try (BufferAllocator allocator = new RootAllocator();
             VarCharVector device = strings(allocator, List.of("ok".getBytes(), invalid));
             LargeVarCharVector large = new LargeVarCharVector("large", allocator);
             ViewVarCharVector view = new ViewVarCharVector("view", allocator)) {
            large.allocateNew(2);
            large.setSafe(0, "ok".getBytes());
            large.setSafe(1, invalid);
            large.setValueCount(2);
            view.allocateNew(2);
            view.setSafe(0, "an out-of-line value".getBytes());
            view.setSafe(1, invalid);
            view.setValueCount(2);
            try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(device, large, view))) {
                assertDoesNotThrow(() -> BatchValidator.validate(root));
                assertThrows(RuntimeException.class, () -> ValueVectorUtility.validateFull(root),
                        "Arrow's own check refuses these values: the difference is deliberate");
            }
        }
    }

    /** A Utf8View's views must stay inside its buffers; Arrow's validateFull checked that by reading every value. */
    @Test
    void viewsPointingOutsideTheirDataAreRefused() {
        String outOfLine = "a value longer than twelve bytes";
        for (int corruption = 0; corruption < 4; corruption++) {
            try (BufferAllocator allocator = new RootAllocator();
                 ViewVarCharVector view = new ViewVarCharVector("view", allocator)) {
                view.allocateNew(2);
                view.setSafe(0, "short".getBytes());
                view.setSafe(1, outOfLine.getBytes());
                view.setValueCount(2);
                try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(view))) {
                    assertDoesNotThrow(() -> BatchValidator.validate(root));
                    long at = 16;
                    switch (corruption) {
                        case 0 -> view.getDataBuffer().setInt(at, -5); // negative length
                        case 1 -> view.getDataBuffer().setInt(at + 8, 3); // buffer index beyond the one buffer
                        case 2 -> view.getDataBuffer().setInt(at + 12, (int) view.getDataBuffers().get(0).capacity()); // past the end
                        default -> view.getDataBuffer().setInt(at, (int) view.getDataBuffers().get(0).capacity() + 1); // too long
                    }
                    int c = corruption;
                    assertThrows(IllegalArgumentException.class, () -> BatchValidator.validate(root), () -> "corruption " + c);
                    view.setNull(1);
                    assertDoesNotThrow(() -> BatchValidator.validate(root), "a null slot's view is nobody's value");
                }
            }
        }
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
