package io.streamingarrow.shared.batch;

import java.nio.charset.StandardCharsets;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.schema.SeedSchema;

/**
 * Accumulates seed-schema rows straight into Arrow vectors, up to a fixed row capacity, and encodes
 * them as one IPC message. No per-row object is created: values go from the caller's arguments into
 * the vectors' buffers.
 *
 * <p>Not thread-safe: one builder belongs to one batching lane. Owns its vectors; close it.
 */
public final class SeedBatchBuilder implements AutoCloseable {

    private static final int AVERAGE_DEVICE_BYTES = 16;

    private final int maxRows;
    private final VectorSchemaRoot root;
    private final VarCharVector device;
    private final TimeStampMicroVector ts;
    private final Float4Vector cpuUsed;
    private final Float4Vector cpuFree;
    private final Float4Vector memoryUsed;
    private final Float4Vector memoryFree;
    private final IntVector runElapsedMs;
    private int rows;
    private long deviceBytes;

    public SeedBatchBuilder(BufferAllocator allocator, int maxRows) {
        if (maxRows <= 0) {
            throw new IllegalArgumentException("maxRows must be positive, was " + maxRows);
        }
        this.maxRows = maxRows;
        this.root = VectorSchemaRoot.create(SeedSchema.SCHEMA, allocator);
        this.device = (VarCharVector) root.getVector(SeedSchema.DEVICE);
        this.ts = (TimeStampMicroVector) root.getVector(SeedSchema.TS);
        this.cpuUsed = (Float4Vector) root.getVector(SeedSchema.CPU_USED);
        this.cpuFree = (Float4Vector) root.getVector(SeedSchema.CPU_FREE);
        this.memoryUsed = (Float4Vector) root.getVector(SeedSchema.MEMORY_USED);
        this.memoryFree = (Float4Vector) root.getVector(SeedSchema.MEMORY_FREE);
        this.runElapsedMs = (IntVector) root.getVector(SeedSchema.RUN_ELAPSED_MS);
        // Allocate the full capacity once, so appends never reallocate on the hot path.
        device.allocateNew((long) maxRows * AVERAGE_DEVICE_BYTES, maxRows);
        for (var vector : root.getFieldVectors()) {
            if (vector != device) {
                vector.setInitialCapacity(maxRows);
                vector.allocateNew();
            }
        }
    }

    /** Appends one complete row. Returns false (and appends nothing) when the builder is full. */
    public boolean append(byte[] deviceUtf8, long tsMicros, float cpuUsedPct, float cpuFreePct,
                          float memoryUsedPct, float memoryFreePct, int runElapsed) {
        if (rows >= maxRows) {
            return false;
        }
        int row = rows;
        device.setSafe(row, deviceUtf8);
        ts.set(row, tsMicros);
        cpuUsed.set(row, cpuUsedPct);
        cpuFree.set(row, cpuFreePct);
        memoryUsed.set(row, memoryUsedPct);
        memoryFree.set(row, memoryFreePct);
        runElapsedMs.set(row, runElapsed);
        deviceBytes += deviceUtf8.length;
        rows++;
        return true;
    }

    public boolean append(String deviceName, long tsMicros, float cpuUsedPct, float cpuFreePct,
                          float memoryUsedPct, float memoryFreePct, int runElapsed) {
        return append(deviceName.getBytes(StandardCharsets.UTF_8), tsMicros, cpuUsedPct, cpuFreePct,
                memoryUsedPct, memoryFreePct, runElapsed);
    }

    /**
     * Appends a row whose measures may be missing (null), as HTTP ingest allows. The device and
     * timestamp are required.
     */
    public boolean appendNullable(String deviceName, long tsMicros, Float cpuUsedPct, Float cpuFreePct,
                                  Float memoryUsedPct, Float memoryFreePct, Integer runElapsed) {
        if (rows >= maxRows) {
            return false;
        }
        int row = rows;
        byte[] deviceUtf8 = deviceName.getBytes(StandardCharsets.UTF_8);
        device.setSafe(row, deviceUtf8);
        ts.set(row, tsMicros);
        setOrNull(cpuUsed, row, cpuUsedPct);
        setOrNull(cpuFree, row, cpuFreePct);
        setOrNull(memoryUsed, row, memoryUsedPct);
        setOrNull(memoryFree, row, memoryFreePct);
        if (runElapsed == null) {
            runElapsedMs.setNull(row);
        } else {
            runElapsedMs.set(row, runElapsed);
        }
        deviceBytes += deviceUtf8.length;
        rows++;
        return true;
    }

    private static void setOrNull(Float4Vector vector, int row, Float value) {
        if (value == null) {
            vector.setNull(row);
        } else {
            vector.set(row, value);
        }
    }

    public int rowCount() {
        return rows;
    }

    public int maxRows() {
        return maxRows;
    }

    public boolean isEmpty() {
        return rows == 0;
    }

    public boolean isFull() {
        return rows >= maxRows;
    }

    /** Bytes of column data the rows so far occupy once encoded uncompressed (the flush-by-size measure). */
    public long dataBytes() {
        // 8 (ts) + 4 * 4 (floats) + 4 (int) + 4 (string offset) per row, validity bits aside.
        return rows * 32L + deviceBytes;
    }

    /** Arrow memory held by this builder, whatever its fill: what the memory budget counts. */
    public long allocatedBytes() {
        return root.getFieldVectors().stream().mapToLong(v -> v.getDataBuffer().capacity()
                + v.getValidityBuffer().capacity()
                + (v instanceof VarCharVector s ? s.getOffsetBuffer().capacity() : 0)).sum();
    }

    /** Encodes the rows so far as one message and empties the builder for reuse. */
    public byte[] encodeAndReset(ArrowIpcEncoder encoder) {
        root.setRowCount(rows);
        try {
            return encoder.encode(root);
        } finally {
            reset();
        }
    }

    /** The rows so far, as a root valid until the next append or reset. */
    public VectorSchemaRoot view() {
        root.setRowCount(rows);
        return root;
    }

    public void reset() {
        // Keep the allocated buffers: zero the validity bits and offsets, start over.
        for (var vector : root.getFieldVectors()) {
            vector.getValidityBuffer().setZero(0, vector.getValidityBuffer().capacity());
        }
        device.getOffsetBuffer().setZero(0, device.getOffsetBuffer().capacity());
        device.setLastSet(-1);
        root.setRowCount(0);
        rows = 0;
        deviceBytes = 0;
    }

    @Override
    public void close() {
        root.close();
    }
}
