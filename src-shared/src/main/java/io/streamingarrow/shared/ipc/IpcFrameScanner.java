package io.streamingarrow.shared.ipc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;

import io.streamingarrow.shared.ipc.ArrowDecodeException.Reason;

/**
 * Walks the message envelopes of an IPC buffer before Arrow's readers touch it.
 *
 * <p>Arrow Java trusts declared lengths: a metadata length of 2 GiB makes it allocate 2 GiB of heap
 * before noticing the bytes are not there. This scan checks every declared length against the bytes
 * actually present and counts rows and batches against the limits, so that the readers only ever see
 * a buffer whose framing is consistent. It reads only envelopes and flatbuffer headers, never bodies.
 */
final class IpcFrameScanner {

    private static final int CONTINUATION = 0xFFFFFFFF;
    private static final int FILE_HEADER_BYTES = 8; // "ARROW1" plus two bytes of padding
    private static final int FILE_TRAILER_BYTES = 4 + 6; // footer length, then "ARROW1"

    /** What the scan learned: enough for the caller to pick a reader and report. */
    record Scan(IpcFraming framing, int recordBatches, int dictionaryBatches, long rows) {
    }

    private final DecodeLimits limits;

    IpcFrameScanner(DecodeLimits limits) {
        this.limits = limits;
    }

    Scan scan(byte[] message) {
        if (message == null) {
            // Kafka delivers a tombstone (a record without a value) as null, on a topic that is not compacted too.
            throw new ArrowDecodeException(Reason.TOMBSTONE, "null (tombstone) message");
        }
        if (message.length == 0) {
            throw new ArrowDecodeException(Reason.EMPTY, "empty message (0 bytes)");
        }
        if (message.length > limits.maxMessageBytes()) {
            throw new ArrowDecodeException(Reason.TOO_LARGE,
                    "message is " + message.length + " bytes, limit is " + limits.maxMessageBytes());
        }
        ByteBuffer buffer = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        try {
            return IpcFraming.startsWithMagic(message) ? scanFile(buffer) : scanStream(buffer, 0, message.length, false);
        } catch (ArrowDecodeException e) {
            throw e;
        } catch (RuntimeException e) {
            // Flatbuffer accessors on garbage throw IndexOutOfBounds and friends.
            throw new ArrowDecodeException(Reason.CORRUPT, "unreadable IPC metadata (" + e + ")", e);
        }
    }

    private Scan scanFile(ByteBuffer buffer) {
        int length = buffer.limit();
        if (length < FILE_HEADER_BYTES + FILE_TRAILER_BYTES) {
            throw new ArrowDecodeException(Reason.TRUNCATED, "IPC file of " + length + " bytes is shorter than its magic and footer");
        }
        for (int i = 0; i < IpcFraming.MAGIC.length; i++) {
            if (buffer.get(length - IpcFraming.MAGIC.length + i) != IpcFraming.MAGIC[i]) {
                throw new ArrowDecodeException(Reason.TRUNCATED,
                        "IPC file does not end with the ARROW1 magic: cut off or not a complete file");
            }
        }
        int footerLength = buffer.getInt(length - FILE_TRAILER_BYTES);
        int footerStart = length - FILE_TRAILER_BYTES - footerLength;
        if (footerLength <= 0 || footerStart < FILE_HEADER_BYTES) {
            throw new ArrowDecodeException(Reason.CORRUPT, "IPC file footer length " + footerLength + " does not fit in " + length + " bytes");
        }
        Scan streamSection = scanStream(buffer, FILE_HEADER_BYTES, footerStart, true);

        Footer footer = Footer.getRootAsFooter(slice(buffer, footerStart, footerLength));
        if (footer.schema() == null) {
            throw new ArrowDecodeException(Reason.CORRUPT, "IPC file footer has no schema");
        }
        if (footer.recordBatchesLength() + footer.dictionariesLength() > limits.maxBatches()) {
            throw new ArrowDecodeException(Reason.TOO_LARGE, "IPC file footer lists "
                    + (footer.recordBatchesLength() + footer.dictionariesLength()) + " batches, limit is " + limits.maxBatches());
        }
        long rows = 0;
        Block block = new Block();
        for (int i = 0; i < footer.recordBatchesLength(); i++) {
            rows += checkBlock(buffer, footer.recordBatches(block, i), footerStart, MessageHeader.RecordBatch);
        }
        for (int i = 0; i < footer.dictionariesLength(); i++) {
            checkBlock(buffer, footer.dictionaries(block, i), footerStart, MessageHeader.DictionaryBatch);
        }
        checkRows(rows);
        return new Scan(IpcFraming.FILE, footer.recordBatchesLength(), footer.dictionariesLength(),
                Math.max(rows, streamSection.rows()));
    }

    /** A footer block must point at a message of the right kind inside the stream section; returns its rows. */
    private long checkBlock(ByteBuffer buffer, Block block, int footerStart, byte expectedType) {
        long offset = block.offset();
        long end = offset + block.metaDataLength() + block.bodyLength();
        if (offset < FILE_HEADER_BYTES || block.metaDataLength() <= 0 || block.bodyLength() < 0 || end > footerStart) {
            throw new ArrowDecodeException(Reason.CORRUPT, "IPC file footer points outside the file: block at "
                    + offset + " of " + block.metaDataLength() + "+" + block.bodyLength() + " bytes");
        }
        Envelope envelope = readEnvelope(buffer, (int) offset, footerStart);
        if (envelope == null || envelope.message.headerType() != expectedType) {
            throw new ArrowDecodeException(Reason.CORRUPT, "IPC file footer block at " + offset + " is not a "
                    + MessageHeader.name(expectedType) + " message");
        }
        return envelope.rows();
    }

    private Scan scanStream(ByteBuffer buffer, int start, int end, boolean insideFile) {
        int position = start;
        boolean sawSchema = false;
        int recordBatches = 0;
        int dictionaryBatches = 0;
        long rows = 0;
        while (position < end) {
            Envelope envelope = readEnvelope(buffer, position, end);
            if (envelope == null) {
                break; // end-of-stream marker
            }
            byte type = envelope.message.headerType();
            // Inside a file the footer carries the schema, and some writers (Arrow JS) put none in the body.
            if (!sawSchema && !insideFile && type != MessageHeader.Schema) {
                throw new ArrowDecodeException(Reason.CORRUPT, "IPC stream must start with a Schema message, found "
                        + headerName(type));
            }
            switch (type) {
                case MessageHeader.Schema -> {
                    if (sawSchema) {
                        throw new ArrowDecodeException(Reason.CORRUPT, "IPC stream has a second Schema message at byte " + position);
                    }
                    sawSchema = true;
                }
                case MessageHeader.RecordBatch -> recordBatches++;
                case MessageHeader.DictionaryBatch -> dictionaryBatches++;
                default -> throw new ArrowDecodeException(Reason.UNSUPPORTED,
                        "IPC message type " + headerName(type) + " is not a table message");
            }
            rows += envelope.rows();
            checkRows(rows);
            if (recordBatches + dictionaryBatches > limits.maxBatches()) {
                throw new ArrowDecodeException(Reason.TOO_LARGE, "more than " + limits.maxBatches() + " batches in one message");
            }
            position = envelope.next;
        }
        if (!sawSchema && !insideFile) {
            throw new ArrowDecodeException(Reason.TRUNCATED, "no Schema message found");
        }
        return new Scan(IpcFraming.STREAM, recordBatches, dictionaryBatches, rows);
    }

    private record Envelope(Message message, int next, long rows) {
    }

    /** Reads the envelope at {@code position}; null at an end-of-stream marker. */
    private Envelope readEnvelope(ByteBuffer buffer, int position, int end) {
        if (end - position < 4) {
            throw new ArrowDecodeException(Reason.TRUNCATED, "message envelope cut off at byte " + position);
        }
        int prefix = buffer.getInt(position);
        int metadataStart = position + 4;
        if (prefix == CONTINUATION) {
            if (end - position < 8) {
                throw new ArrowDecodeException(Reason.TRUNCATED, "message length cut off at byte " + position);
            }
            prefix = buffer.getInt(position + 4);
            metadataStart = position + 8;
        }
        int metadataLength = prefix; // pre-1.0 writers put the length first, without the continuation marker
        if (metadataLength == 0) {
            return null;
        }
        if (metadataLength < 0 || metadataLength > end - metadataStart) {
            throw new ArrowDecodeException(metadataLength < 0 ? Reason.CORRUPT : Reason.TRUNCATED,
                    "message at byte " + position + " declares " + metadataLength + " bytes of metadata, "
                            + Math.max(0, end - metadataStart) + " remain");
        }
        Message message = Message.getRootAsMessage(slice(buffer, metadataStart, metadataLength));
        long bodyLength = message.bodyLength();
        long bodyStart = (long) metadataStart + metadataLength;
        if (bodyLength < 0 || bodyLength > end - bodyStart) {
            throw new ArrowDecodeException(bodyLength < 0 ? Reason.CORRUPT : Reason.TRUNCATED,
                    "message at byte " + position + " declares a body of " + bodyLength + " bytes, "
                            + Math.max(0, end - bodyStart) + " remain");
        }
        return new Envelope(message, (int) (bodyStart + bodyLength), rowsOf(message));
    }

    private static long rowsOf(Message message) {
        return switch (message.headerType()) {
            case MessageHeader.RecordBatch -> checkedRows(((RecordBatch) message.header(new RecordBatch())).length());
            case MessageHeader.DictionaryBatch -> {
                DictionaryBatch dictionary = (DictionaryBatch) message.header(new DictionaryBatch());
                yield dictionary.data() == null ? 0 : checkedRows(dictionary.data().length());
            }
            default -> 0;
        };
    }

    private static long checkedRows(long rows) {
        if (rows < 0) {
            throw new ArrowDecodeException(Reason.CORRUPT, "record batch declares " + rows + " rows");
        }
        return rows;
    }

    private void checkRows(long rows) {
        if (rows > limits.maxRows()) {
            throw new ArrowDecodeException(Reason.TOO_LARGE, "message holds more than " + limits.maxRows() + " rows");
        }
    }

    private static ByteBuffer slice(ByteBuffer buffer, int offset, int length) {
        return buffer.duplicate().position(offset).limit(offset + length).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String headerName(byte type) {
        return type >= 0 && type < MessageHeader.names.length ? MessageHeader.name(type) : "#" + type;
    }
}
