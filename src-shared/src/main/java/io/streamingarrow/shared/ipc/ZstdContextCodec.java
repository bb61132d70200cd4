package io.streamingarrow.shared.ipc;

import java.util.ArrayDeque;
import java.util.function.Supplier;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.AbstractCompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;

/**
 * zstd for Arrow IPC buffers through reused zstd-jni contexts. Arrow's own codec calls zstd's one-shot functions,
 * which create and free a compression (or decompression) context for every buffer: at the producer's full speed that
 * was about 5 % of its CPU (async-profiler: {@code ZSTD_createCCtx_advanced} and the {@code memset} that clears the
 * new context), for about 15 buffers per batch. The bytes are the same format (a plain zstd frame with its content
 * size behind Arrow's 8-byte length), read and written interchangeably with Arrow's codec
 * ({@code FastCompressionFactoryTest}).
 *
 * <p>Contexts are held in a small pool shared by every codec instance, not per thread: a thread pool of HTTP workers
 * must not pin a compression context (hundreds of KiB of native memory) per thread. At most {@link #POOLED} idle
 * contexts of each kind are kept; one more taken at a busy moment is closed when given back.
 */
final class ZstdContextCodec extends AbstractCompressionCodec {

    /** Arrow's default level when none is given (its ZstdCompressionCodec's). */
    static final int DEFAULT_LEVEL = 3;
    private static final int POOLED = Math.max(2, Runtime.getRuntime().availableProcessors());
    /** zstd-jni's context API takes int lengths; the batch limits keep buffers far below this. */
    private static final long MAX_CONTEXT_BYTES = Integer.MAX_VALUE - (64L << 20);

    /** A plain frame with its content size and no checksum (what zstd's one-shot call writes), set once per context. */
    private static final Pool<ZstdCompressCtx> COMPRESSORS = new Pool<>(
            () -> new ZstdCompressCtx().setContentSize(true).setChecksum(false));
    private static final Pool<ZstdDecompressCtx> DECOMPRESSORS = new Pool<>(ZstdDecompressCtx::new);

    private final int level;

    ZstdContextCodec(int level) {
        this.level = level;
    }

    @Override
    protected ArrowBuf doCompress(BufferAllocator allocator, ArrowBuf uncompressed) {
        long length = uncompressed.writerIndex();
        long bound = Zstd.compressBound(length);
        if (bound > MAX_CONTEXT_BYTES) {
            throw new IllegalArgumentException("an Arrow buffer of " + length + " bytes is too large for one zstd frame here");
        }
        ArrowBuf out = allocator.buffer(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH + bound);
        ZstdCompressCtx context = COMPRESSORS.take();
        boolean healthy = false;
        try {
            context.setLevel(level); // codecs of any level share the pool
            int written = context.compressDirectByteBuffer(out.nioBuffer(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH, (int) bound),
                    0, (int) bound, uncompressed.nioBuffer(0, (int) length), 0, (int) length);
            out.writerIndex(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH + written);
            healthy = true;
            return out;
        } catch (ZstdException e) {
            out.close();
            throw new IllegalStateException("zstd compression failed: " + e.getMessage(), e);
        } finally {
            COMPRESSORS.giveBack(context, healthy);
        }
    }

    @Override
    protected ArrowBuf doDecompress(BufferAllocator allocator, ArrowBuf compressed) {
        long length = readUncompressedLength(compressed);
        long frameLength = compressed.writerIndex() - CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;
        if (length < 0 || length > MAX_CONTEXT_BYTES || frameLength > MAX_CONTEXT_BYTES) {
            throw new IllegalArgumentException("zstd buffer of " + length + " bytes (frame " + frameLength + ") out of range");
        }
        ArrowBuf out = allocator.buffer(length);
        ZstdDecompressCtx context = DECOMPRESSORS.take();
        boolean healthy = false;
        try {
            int read = context.decompressDirectByteBuffer(out.nioBuffer(0, (int) length), 0, (int) length,
                    compressed.nioBuffer(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH, (int) frameLength), 0, (int) frameLength);
            healthy = true;
            if (read != length) {
                throw new IllegalArgumentException("zstd frame holds " + read + " bytes, its buffer announces " + length);
            }
            out.writerIndex(length);
            return out;
        } catch (ZstdException e) {
            out.close();
            throw new IllegalArgumentException("not a valid zstd frame: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        } finally {
            DECOMPRESSORS.giveBack(context, healthy);
        }
    }

    @Override
    public CompressionUtil.CodecType getCodecType() {
        return CompressionUtil.CodecType.ZSTD;
    }

    /** Idle contexts, at most {@link #POOLED}; a context is used by one thread at a time. */
    private static final class Pool<T extends AutoCloseable> {

        private final Supplier<T> factory;
        private final ArrayDeque<T> idle = new ArrayDeque<>();

        Pool(Supplier<T> factory) {
            this.factory = factory;
        }

        T take() {
            T context;
            synchronized (this) {
                context = idle.pollFirst();
            }
            return context != null ? context : factory.get();
        }

        /** A context whose last call failed is closed rather than reused: zstd may have left it mid-frame. */
        void giveBack(T context, boolean healthy) {
            if (healthy) {
                synchronized (this) {
                    if (idle.size() < POOLED) {
                        idle.addFirst(context);
                        return;
                    }
                }
            }
            try {
                context.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing a zstd context failed", e);
            }
        }
    }
}
