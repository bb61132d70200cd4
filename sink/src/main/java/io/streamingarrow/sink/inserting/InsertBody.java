package io.streamingarrow.sink.inserting;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One INSERT's body: the Native blocks of its messages, back to back, in chunks of {@link InsertMemory}.
 * Filled as messages arrive, read by the transport (as often as the INSERT is retried), then
 * {@link #release() released} once ClickHouse has answered for the last time.
 */
public final class InsertBody {

    private final InsertMemory memory;
    private final List<InsertMemory.Chunk> chunks = new ArrayList<>();
    private long size;
    private boolean released;

    public InsertBody(InsertMemory memory) {
        this.memory = memory;
    }

    public long size() {
        return size;
    }

    /** Appends {@code length} bytes of {@code source}. */
    public void append(byte[] source, int offset, int length) {
        if (released) {
            throw new IllegalStateException("body already released");
        }
        int chunkBytes = memory.chunkBytes();
        int done = 0;
        while (done < length) {
            int at = (int) (size % chunkBytes);
            if (at == 0 && size / chunkBytes == chunks.size()) {
                chunks.add(memory.take());
            }
            int n = Math.min(length - done, chunkBytes - at);
            chunks.get(chunks.size() - 1).put(at, source, offset + done, n);
            done += n;
            size += n;
        }
    }

    /** A copy of {@code length} bytes from {@code at}. */
    public byte[] read(long at, int length) {
        if (released) {
            throw new IllegalStateException("body already released");
        }
        if (at < 0 || length < 0 || at + length > size) {
            throw new IndexOutOfBoundsException(at + "+" + length + " outside 0.." + size);
        }
        byte[] copy = new byte[length];
        int chunkBytes = memory.chunkBytes();
        int done = 0;
        while (done < length) {
            long position = at + done;
            int within = (int) (position % chunkBytes);
            int n = Math.min(length - done, chunkBytes - within);
            chunks.get((int) (position / chunkBytes)).get(within, copy, done, n);
            done += n;
        }
        return copy;
    }

    /** Read-only views of the body, in order: each call gives fresh views (one per attempt of the INSERT). */
    public List<ByteBuffer> views() {
        if (released) {
            throw new IllegalStateException("body already released");
        }
        int chunkBytes = memory.chunkBytes();
        List<ByteBuffer> views = new ArrayList<>(chunks.size());
        for (int i = 0; i < chunks.size(); i++) {
            long left = size - (long) i * chunkBytes;
            views.add(chunks.get(i).view((int) Math.min(chunkBytes, left)));
        }
        return views;
    }

    /** Writes the body to {@code out} through {@code scratch} (the bytes of an off-heap chunk are copied out). */
    public static void writeTo(List<ByteBuffer> body, OutputStream out, byte[] scratch) throws IOException {
        for (ByteBuffer part : body) {
            ByteBuffer view = part.duplicate();
            if (view.hasArray()) {
                out.write(view.array(), view.arrayOffset() + view.position(), view.remaining());
                continue;
            }
            while (view.hasRemaining()) {
                int n = Math.min(scratch.length, view.remaining());
                view.get(scratch, 0, n);
                out.write(scratch, 0, n);
            }
        }
    }

    /** Gives the chunks back; the views handed out before must not be read after this. Idempotent. */
    public void release() {
        if (released) {
            return;
        }
        released = true;
        for (InsertMemory.Chunk chunk : chunks) {
            memory.give(chunk);
        }
        chunks.clear();
    }
}
