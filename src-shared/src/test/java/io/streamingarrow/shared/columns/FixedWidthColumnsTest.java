package io.streamingarrow.shared.columns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TimeStampNanoTZVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.junit.jupiter.api.Test;

/** The numeric and timestamp readers that read vectors' memory directly agree with Arrow's own getters. */
class FixedWidthColumnsTest {

    @Test
    void float32ValuesAndNullsAsArrowReadsThem() {
        try (BufferAllocator allocator = new RootAllocator(); Float4Vector vector = new Float4Vector("cpu_used", allocator)) {
            int rows = 1000; // more than one validity byte, and not a multiple of 8 below
            vector.allocateNew(rows);
            for (int i = 0; i < rows; i++) {
                if (i % 7 == 3) {
                    vector.setNull(i);
                } else {
                    vector.set(i, i * 0.5f - 100f);
                }
            }
            vector.setValueCount(rows - 3);
            NumericColumn column = NumericColumn.of(vector);
            for (int i = 0; i < rows - 3; i++) {
                assertEquals(vector.isNull(i), column.isNull(i), "row " + i);
                if (!vector.isNull(i)) {
                    assertEquals(vector.get(i), column.get(i), "row " + i);
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> column.get(rows - 3));
            assertThrows(IndexOutOfBoundsException.class, () -> column.isNull(-1));
        }
    }

    @Test
    void float64WithoutNullsKeepsEveryBit() {
        try (BufferAllocator allocator = new RootAllocator(); Float8Vector vector = new Float8Vector("x", allocator)) {
            double[] values = {0.0, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, Double.NaN, Double.NEGATIVE_INFINITY, 1e-300};
            vector.allocateNew(values.length);
            for (int i = 0; i < values.length; i++) {
                vector.set(i, values[i]);
            }
            vector.setValueCount(values.length);
            NumericColumn column = NumericColumn.of(vector);
            for (int i = 0; i < values.length; i++) {
                assertFalse(column.isNull(i));
                assertEquals(Double.doubleToRawLongBits(values[i]), Double.doubleToRawLongBits(column.get(i)), "row " + i);
            }
        }
    }

    @Test
    void timestampsInMicrosFromAnyUnit() {
        try (BufferAllocator allocator = new RootAllocator();
                TimeStampMicroVector micros = new TimeStampMicroVector("ts", allocator);
                TimeStampNanoTZVector nanos = new TimeStampNanoTZVector("ts", allocator, "UTC")) {
            micros.allocateNew(3);
            micros.set(0, 1_700_000_000_123_456L);
            micros.setNull(1);
            micros.set(2, -1L);
            micros.setValueCount(3);
            nanos.allocateNew(2);
            nanos.set(0, -1L);
            nanos.set(1, 1_700_000_000_123_456_789L);
            nanos.setValueCount(2);

            TimestampColumn us = TimestampColumn.of(micros);
            assertEquals(1_700_000_000_123_456L, us.micros(0));
            assertTrue(us.isNull(1));
            assertEquals(-1L, us.raw(2));
            TimestampColumn ns = TimestampColumn.of(nanos);
            assertEquals(-1L, ns.micros(0), "rounds toward negative infinity");
            assertEquals(1_700_000_000_123_456L, ns.micros(1));
            assertEquals(1_700_000_000_123_456_789L, ns.raw(1));
            assertThrows(IndexOutOfBoundsException.class, () -> ns.micros(2));
        }
    }

    @Test
    void aBufferTooSmallForTheValueCountIsRefused() {
        try (BufferAllocator allocator = new RootAllocator();
                Float4Vector vector = new Float4Vector("cpu_used", allocator);
                ArrowBuf validity = allocator.buffer(2);
                ArrowBuf data = allocator.buffer(16)) {
            validity.setOne(0, 2);
            // Ten rows over room for four: what loading a corrupt message, before validation, gives.
            vector.loadFieldBuffers(new ArrowFieldNode(10, 0), List.of(validity, data));
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> NumericColumn.of(vector));
            assertTrue(refused.getMessage().contains("cpu_used") && refused.getMessage().contains("cannot hold 40"),
                    refused.getMessage());
        }
    }
}
