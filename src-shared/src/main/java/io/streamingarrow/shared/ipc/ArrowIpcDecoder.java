package io.streamingarrow.shared.ipc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.apache.arrow.vector.util.TransferPair;

import io.streamingarrow.shared.ipc.ArrowDecodeException.Reason;

/**
 * Decodes one Arrow IPC message, in either framing and with any codec, handing each record batch to
 * a callback. Dictionary-encoded columns arrive decoded, so callers see plain value vectors whatever
 * the writer chose.
 *
 * <p>Memory: each call works in its own {@link DecodeArena}, capped at
 * {@link DecodeLimits#maxDecodedBytes()} and freed entirely when the call returns, even when Arrow's
 * readers fail half-way on corrupt input. The batch passed to the handler is valid only during the
 * callback; copy what must outlive it. Thread-safe: calls share nothing.
 */
public final class ArrowIpcDecoder {

    /** Receives each decoded batch. The root and its vectors are released when this returns. */
    @FunctionalInterface
    public interface BatchHandler {
        void onBatch(VectorSchemaRoot batch, int batchIndex);
    }

    /** What one message held. */
    public record Summary(IpcFraming framing, int batches, long rows) {
    }

    private final DecodeLimits limits;
    private final IpcFrameScanner scanner;

    public ArrowIpcDecoder(DecodeLimits limits) {
        this.limits = limits;
        this.scanner = new IpcFrameScanner(limits);
    }

    public DecodeLimits limits() {
        return limits;
    }

    /** Native bytes held by decodes in progress in this JVM (the decode-memory gauge). */
    public static long liveDecodeBytes() {
        return DecodeArena.liveBytes();
    }

    /** Decodes of corrupt input whose half-loaded buffers the arena had to free (a counter). */
    public static long reclaimedDecodes() {
        return DecodeArena.reclaimedDecodes();
    }

    /**
     * Decodes {@code message}; throws {@link ArrowDecodeException} when it is not valid Arrow IPC or
     * exceeds a limit, including for a null message (a Kafka tombstone: {@link Reason#TOMBSTONE}) and an
     * empty one ({@link Reason#EMPTY}). Exceptions thrown by the handler propagate unchanged.
     *
     * <p>The decoder refuses whole messages only for what makes the message unreadable (framing, buffers,
     * offsets, limits). Values a store cannot hold (a string that is not UTF-8 or holds U+0000, a
     * timestamp outside 1970..2106) are row-level: the handler finds them with
     * {@link io.streamingarrow.shared.rows.RowScreen#screen(VectorSchemaRoot)}.
     */
    public Summary decode(byte[] message, BatchHandler handler) {
        IpcFrameScanner.Scan scan = scanner.scan(message);
        try (DecodeArena arena = new DecodeArena(limits.maxDecodedBytes());
             ArrowReader reader = open(scan.framing(), message, arena.allocator())) {
            BufferAllocator allocator = arena.allocator();
            int batches = 0;
            long rows = 0;
            while (readStep(reader::loadNextBatch)) {
                VectorSchemaRoot root = readStep(reader::getVectorSchemaRoot);
                readStep(() -> {
                    BatchValidator.validate(root);
                    return null;
                });
                rows += root.getRowCount();
                if (rows > limits.maxRows()) {
                    throw new ArrowDecodeException(Reason.TOO_LARGE, "message holds more than " + limits.maxRows() + " rows");
                }
                deliver(root, reader, allocator, handler, batches++);
            }
            return new Summary(scan.framing(), batches, rows);
        } catch (IOException e) {
            throw new ArrowDecodeException(Reason.CORRUPT, "failed to close IPC reader: " + e.getMessage(), e);
        }
    }

    private static ArrowReader open(IpcFraming framing, byte[] message, BufferAllocator allocator) {
        return framing == IpcFraming.FILE
                ? new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(message), allocator, FastCompressionFactory.INSTANCE)
                : new ArrowStreamReader(new ByteArrayInputStream(message), allocator, FastCompressionFactory.INSTANCE);
    }

    /** Hands the batch over, with dictionary columns replaced by their decoded values. */
    private void deliver(VectorSchemaRoot root, DictionaryProvider dictionaries, BufferAllocator allocator,
                         BatchHandler handler, int batchIndex) {
        if (root.getSchema().getFields().stream().allMatch(f -> f.getDictionary() == null)) {
            handler.onBatch(root, batchIndex);
            return;
        }
        List<FieldVector> vectors = new ArrayList<>(root.getFieldVectors().size());
        List<FieldVector> decodedOwned = new ArrayList<>();
        try {
            for (FieldVector vector : root.getFieldVectors()) {
                DictionaryEncoding encoding = vector.getField().getDictionary();
                if (encoding == null) {
                    vectors.add(vector);
                    continue;
                }
                FieldVector decoded = readStep(() -> decode(vector, encoding, dictionaries, allocator));
                decodedOwned.add(decoded);
                vectors.add(decoded);
            }
            // The view root borrows the undecoded vectors from the reader, so only the decoded ones are closed here.
            VectorSchemaRoot view = new VectorSchemaRoot(vectors);
            view.setRowCount(root.getRowCount());
            handler.onBatch(view, batchIndex);
        } finally {
            AutoCloseables.closeNoChecked(() -> AutoCloseables.close(decodedOwned));
        }
    }

    private static FieldVector decode(FieldVector indices, DictionaryEncoding encoding, DictionaryProvider dictionaries,
                                      BufferAllocator allocator) {
        Dictionary dictionary = dictionaries.lookup(encoding.getId());
        if (dictionary == null) {
            throw new ArrowDecodeException(Reason.CORRUPT, "column '" + indices.getName()
                    + "' refers to dictionary " + encoding.getId() + " which the message does not contain");
        }
        FieldVector decoded = (FieldVector) DictionaryEncoder.decode(indices, dictionary, allocator);
        // DictionaryEncoder names the result after the dictionary; callers look columns up by the field's name.
        if (!decoded.getName().equals(indices.getName())) {
            TransferPair rename = decoded.getTransferPair(indices.getName(), allocator);
            rename.transfer();
            decoded.close();
            return (FieldVector) rename.getTo();
        }
        return decoded;
    }

    @FunctionalInterface
    private interface ReadStep<T> {
        T run() throws IOException;
    }

    /** Runs one Arrow reader step, turning whatever Arrow throws on bad input into a typed refusal. */
    private static <T> T readStep(ReadStep<T> step) {
        try {
            return step.run();
        } catch (ArrowDecodeException e) {
            throw e;
        } catch (OutOfMemoryException e) {
            throw new ArrowDecodeException(Reason.TOO_LARGE, "decoded data exceeds the decode memory limit ("
                    + e.getMessage() + ")", e);
        } catch (UnsupportedOperationException e) {
            throw new ArrowDecodeException(Reason.UNSUPPORTED, String.valueOf(e.getMessage()), e);
        } catch (IOException | RuntimeException e) {
            throw new ArrowDecodeException(Reason.CORRUPT, e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
