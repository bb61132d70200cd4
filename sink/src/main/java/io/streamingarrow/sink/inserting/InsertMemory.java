package io.streamingarrow.sink.inserting;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;

import io.streamingarrow.shared.memory.ArrowAllocators;

/**
 * The memory that holds INSERT bodies between a message's conversion and ClickHouse's answer: fixed-size
 * chunks off the heap, reused from one INSERT to the next, at most {@code limitBytes} of them.
 *
 * <p>Why off the heap and pooled: at full speed the sink holds up to (in-flight + 1) INSERTs of
 * {@code max-bytes} for a second or more. As heap arrays they outlived young collections, were promoted and
 * died in the old generation, which then filled every few seconds: with the 96 MB heap, 84 full collections
 * in a 12 M-row run, about a quarter of the sink's CPU (deploy/bench, async-profiler). Chunks that are never
 * garbage cost the collector nothing.
 *
 * <p>At the limit the batcher stops taking messages until an INSERT is settled ({@link #full()}); the one
 * message that crosses it still gets its chunks, from the heap, counted by {@link #overflowChunks()}: a message
 * is never refused for want of a chunk. Not thread-safe: the sink's pipeline thread takes and gives back chunks.
 */
public final class InsertMemory implements AutoCloseable {

    /** One chunk: an Arrow buffer of the pool, or a heap array beyond its limit. */
    public static final class Chunk {
        private final ArrowBuf offHeap;
        private final byte[] heap;

        private Chunk(ArrowBuf offHeap, byte[] heap) {
            this.offHeap = offHeap;
            this.heap = heap;
        }

        void put(int at, byte[] source, int offset, int length) {
            if (offHeap != null) {
                offHeap.setBytes(at, source, offset, length);
            } else {
                System.arraycopy(source, offset, heap, at, length);
            }
        }

        void get(int at, byte[] target, int offset, int length) {
            if (offHeap != null) {
                offHeap.getBytes(at, target, offset, length);
            } else {
                System.arraycopy(heap, at, target, offset, length);
            }
        }

        /** A read-only view of the first {@code length} bytes, with its own position. */
        ByteBuffer view(int length) {
            ByteBuffer view = offHeap != null ? offHeap.nioBuffer(0, length) : ByteBuffer.wrap(heap, 0, length);
            return view.asReadOnlyBuffer();
        }
    }

    private final BufferAllocator allocator;
    private final int chunkBytes;
    private final long limitBytes;
    private final ArrayDeque<Chunk> free = new ArrayDeque<>();
    private final AtomicLong inUseBytes = new AtomicLong();
    private final AtomicLong overflowChunks = new AtomicLong();

    public InsertMemory(long limitBytes, int chunkBytes) {
        if (chunkBytes <= 0 || limitBytes < chunkBytes) {
            throw new IllegalArgumentException("need 0 < chunk (" + chunkBytes + ") <= limit (" + limitBytes + ")");
        }
        this.chunkBytes = chunkBytes;
        this.limitBytes = limitBytes;
        this.allocator = ArrowAllocators.root(limitBytes);
    }

    public int chunkBytes() {
        return chunkBytes;
    }

    /** A chunk for the next {@link #chunkBytes()} bytes of a body. */
    public Chunk take() {
        inUseBytes.addAndGet(chunkBytes);
        Chunk reused = free.poll();
        if (reused != null) {
            return reused;
        }
        if (allocator.getAllocatedMemory() + chunkBytes <= limitBytes) {
            try {
                return new Chunk(allocator.buffer(chunkBytes), null);
            } catch (OutOfMemoryException e) {
                // the limit, reached by rounding: the heap below
            }
        }
        overflowChunks.incrementAndGet();
        return new Chunk(null, new byte[chunkBytes]);
    }

    /** Gives a chunk back once nothing reads it any more; a heap chunk is left to the collector. */
    public void give(Chunk chunk) {
        inUseBytes.addAndGet(-chunkBytes);
        if (chunk.offHeap != null) {
            free.push(chunk);
        }
    }

    /** Bytes of the chunks handed out and not given back (a gauge: {@code sink.insert.memory.used}). */
    public long inUseBytes() {
        return inUseBytes.get();
    }

    /** Whether the chunks in use reach the limit: the batcher then pauses its caller until an INSERT gives some back. */
    public boolean full() {
        return inUseBytes.get() >= limitBytes;
    }

    /** Off-heap bytes held, in use or free for reuse (never more than the limit). */
    public long reservedBytes() {
        return allocator.getAllocatedMemory();
    }

    /** Chunks that had to come from the heap because the pool was at its limit. */
    public long overflowChunks() {
        return overflowChunks.get();
    }

    public long limitBytes() {
        return limitBytes;
    }

    @Override
    public void close() {
        for (Chunk chunk : free) {
            chunk.offHeap.close();
        }
        free.clear();
        allocator.close();
    }
}
