package io.streamingarrow.sink.clickhouse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.apache.arrow.memory.ArrowBuf;

/**
 * A growable little-endian byte buffer with the primitives of ClickHouse's Native format: unsigned
 * LEB128 varints, fixed-width little-endian numbers and length-prefixed strings.
 */
public final class NativeWriter {

    private byte[] bytes;
    private int size;

    public NativeWriter(int initialCapacity) {
        bytes = new byte[Math.max(64, initialCapacity)];
    }

    public int size() {
        return size;
    }

    /** The written bytes (a copy). */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    public void reset() {
        size = 0;
    }

    /** Drops everything written after {@code mark} (a former {@link #size()}). */
    public void truncate(int mark) {
        if (mark < 0 || mark > size) {
            throw new IllegalArgumentException("mark " + mark + " outside 0.." + size);
        }
        size = mark;
    }

    /** The backing array; valid up to {@link #size()} until the next write. */
    public byte[] array() {
        return bytes;
    }

    private void ensure(int more) {
        long needed = (long) size + more;
        if (needed > bytes.length) {
            if (needed > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("Native block larger than 2 GiB");
            }
            bytes = Arrays.copyOf(bytes, (int) Math.max(needed, Math.min(Integer.MAX_VALUE - 8L, bytes.length * 2L)));
        }
    }

    public void varUInt(long value) {
        ensure(10);
        long v = value;
        while ((v & ~0x7FL) != 0) {
            bytes[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        bytes[size++] = (byte) v;
    }

    public void int8(int value) {
        ensure(1);
        bytes[size++] = (byte) value;
    }

    public void int16(int value) {
        ensure(2);
        bytes[size++] = (byte) value;
        bytes[size++] = (byte) (value >>> 8);
    }

    public void int32(int value) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            bytes[size++] = (byte) (value >>> (8 * i));
        }
    }

    public void int64(long value) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            bytes[size++] = (byte) (value >>> (8 * i));
        }
    }

    public void float32(float value) {
        int32(Float.floatToRawIntBits(value));
    }

    public void float64(double value) {
        int64(Double.doubleToRawLongBits(value));
    }

    /** A fixed-width integer of {@code width} bytes (1, 2, 4 or 8), truncating {@code value}. */
    public void fixed(long value, int width) {
        switch (width) {
            case 1 -> int8((int) value);
            case 2 -> int16((int) value);
            case 4 -> int32((int) value);
            case 8 -> int64(value);
            default -> throw new IllegalArgumentException("width " + width);
        }
    }

    public void string(String value) {
        string(value.getBytes(StandardCharsets.UTF_8));
    }

    public void string(byte[] utf8) {
        string(utf8, 0, utf8.length);
    }

    public void string(byte[] utf8, int offset, int length) {
        varUInt(length);
        bytes(utf8, offset, length);
    }

    public void bytes(byte[] source, int offset, int length) {
        ensure(length);
        System.arraycopy(source, offset, bytes, size, length);
        size += length;
    }

    /** Copies {@code length} bytes of an Arrow buffer (Arrow's little-endian layout is Native's). */
    public void bytes(ArrowBuf source, long offset, int length) {
        ensure(length);
        source.getBytes(offset, bytes, size, length);
        size += length;
    }

    /** A string whose UTF-8 bytes are {@code length} bytes of an Arrow buffer. */
    public void string(ArrowBuf source, long offset, int length) {
        varUInt(length);
        bytes(source, offset, length);
    }
}
