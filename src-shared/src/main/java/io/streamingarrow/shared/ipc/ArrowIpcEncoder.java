package io.streamingarrow.shared.ipc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Optional;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Encodes record batches as one Arrow IPC message. Defaults to what the original pyarrow producer
 * writes: file framing, zstd level 1. Stateless and thread-safe.
 */
public final class ArrowIpcEncoder {

    private final IpcFraming framing;
    private final IpcCompression compression;
    private final int zstdLevel;

    public ArrowIpcEncoder(IpcFraming framing, IpcCompression compression, int zstdLevel) {
        this.framing = framing;
        this.compression = compression;
        this.zstdLevel = zstdLevel;
    }

    /** File framing, zstd level 1. */
    public static ArrowIpcEncoder seedDefault() {
        return new ArrowIpcEncoder(IpcFraming.FILE, IpcCompression.ZSTD, 1);
    }

    public IpcFraming framing() {
        return framing;
    }

    public IpcCompression compression() {
        return compression;
    }

    /** One message holding the root's current contents as a single record batch. */
    public byte[] encode(VectorSchemaRoot root) {
        return encode(root, null);
    }

    public byte[] encode(VectorSchemaRoot root, DictionaryProvider dictionaries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(estimateSize(root));
        try (ArrowWriter writer = open(root, dictionaries, out)) {
            writer.start();
            writer.writeBatch();
            writer.end();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding to an in-memory buffer failed", e);
        }
        return out.toByteArray();
    }

    /** One message holding each of {@code batches} (all of {@code schema}) as its own record batch. */
    public byte[] encode(BufferAllocator allocator, Schema schema, List<VectorSchemaRoot> batches) {
        return encode(allocator, schema, batches, null);
    }

    /** As {@link #encode(BufferAllocator, Schema, List)}, for dictionary-encoded columns of {@code dictionaries}. */
    public byte[] encode(BufferAllocator allocator, Schema schema, List<VectorSchemaRoot> batches,
                         DictionaryProvider dictionaries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(
                batches.stream().mapToInt(ArrowIpcEncoder::estimateSize).sum() + 1024);
        try (VectorSchemaRoot staging = VectorSchemaRoot.create(schema, allocator);
             ArrowWriter writer = open(staging, dictionaries, out)) {
            VectorLoader loader = new VectorLoader(staging);
            writer.start();
            for (VectorSchemaRoot batch : batches) {
                try (ArrowRecordBatch recordBatch = new VectorUnloader(batch).getRecordBatch()) {
                    loader.load(recordBatch);
                }
                writer.writeBatch();
            }
            writer.end();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding to an in-memory buffer failed", e);
        }
        return out.toByteArray();
    }

    private ArrowWriter open(VectorSchemaRoot root, DictionaryProvider dictionaries, ByteArrayOutputStream out) {
        CompressionCodec.Factory factory = compression == IpcCompression.NONE
                ? NoCompressionCodec.Factory.INSTANCE
                : FastCompressionFactory.INSTANCE;
        Optional<Integer> level = compression == IpcCompression.ZSTD ? Optional.of(zstdLevel) : Optional.empty();
        var channel = Channels.newChannel(out);
        return framing == IpcFraming.FILE
                ? new ArrowFileWriter(root, dictionaries, channel, null, IpcOption.DEFAULT, factory, compression.codecType(), level)
                : new ArrowStreamWriter(root, dictionaries, channel, IpcOption.DEFAULT, factory, compression.codecType(), level);
    }

    private static int estimateSize(VectorSchemaRoot root) {
        long bytes = root.getFieldVectors().stream().mapToLong(v -> v.getBufferSize()).sum();
        return (int) Math.min(Integer.MAX_VALUE - 8, bytes / 2 + 1024);
    }
}
