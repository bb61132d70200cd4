package io.streamingarrow.shared.ipc;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.compression.Lz4CompressionCodec;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;

import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;

/**
 * Arrow IPC codecs: zstd through reused zstd-jni contexts ({@link ZstdContextCodec}), LZ4 frames through lz4-java. Arrow's LZ4 frame codec
 * (commons-compress, a pure-Java compressor) encoded about 3 000 rows/s in deploy/jmh's CodecBenchmark, so a
 * producer set to {@code lz4_frame} all but stalled; lz4-java writes the same standard LZ4 frame format at memory
 * speed, with independent blocks, which every reader takes. lz4-java reads only such frames: frames with linked
 * blocks (what pyarrow and Arrow C++ write, ForeignWriterFixturesTest) are read by Arrow's own codec, as before.
 * Interchangeable with Arrow's codec both ways ({@code FastCompressionFactoryTest}).
 */
public final class FastCompressionFactory implements CompressionCodec.Factory {

    public static final FastCompressionFactory INSTANCE = new FastCompressionFactory();

    private FastCompressionFactory() {
    }

    @Override
    public CompressionCodec createCodec(CompressionUtil.CodecType codecType) {
        return switch (codecType) {
            case LZ4_FRAME -> Lz4FrameCodec.INSTANCE;
            case ZSTD -> new ZstdContextCodec(ZstdContextCodec.DEFAULT_LEVEL);
            case NO_COMPRESSION -> NoCompressionCodec.INSTANCE;
            default -> CommonsCompressionFactory.INSTANCE.createCodec(codecType);
        };
    }

    @Override
    public CompressionCodec createCodec(CompressionUtil.CodecType codecType, int compressionLevel) {
        return switch (codecType) {
            case LZ4_FRAME -> Lz4FrameCodec.INSTANCE;
            case ZSTD -> new ZstdContextCodec(compressionLevel);
            case NO_COMPRESSION -> NoCompressionCodec.INSTANCE;
            default -> CommonsCompressionFactory.INSTANCE.createCodec(codecType, compressionLevel);
        };
    }

    /** One LZ4 frame per buffer, behind Arrow's 8-byte uncompressed length (written by the base class). */
    static final class Lz4FrameCodec extends Lz4CompressionCodec {

        /** The frame descriptor's FLG byte follows the 4-byte magic number; bit 5 is "blocks are independent". */
        private static final long FLG_OFFSET = CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH + 4;
        private static final int BLOCK_INDEPENDENCE = 0x20;

        static final Lz4FrameCodec INSTANCE = new Lz4FrameCodec();

        @Override
        protected ArrowBuf doCompress(BufferAllocator allocator, ArrowBuf uncompressed) {
            long length = uncompressed.writerIndex();
            if (length > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException("an Arrow buffer of " + length + " bytes is too large for one LZ4 frame here");
            }
            byte[] in = new byte[(int) length];
            uncompressed.getBytes(0, in);
            ByteArrayOutputStream frame = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 64, length / 2 + 64));
            try (LZ4FrameOutputStream out = new LZ4FrameOutputStream(frame, LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB, length,
                    LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE, LZ4FrameOutputStream.FLG.Bits.CONTENT_SIZE)) {
                out.write(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            byte[] compressed = frame.toByteArray();
            ArrowBuf out = allocator.buffer(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH + compressed.length);
            out.setBytes(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH, compressed);
            out.writerIndex(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH + compressed.length);
            return out;
        }

        @Override
        protected ArrowBuf doDecompress(BufferAllocator allocator, ArrowBuf compressed) {
            if (compressed.writerIndex() <= FLG_OFFSET || (compressed.getByte(FLG_OFFSET) & BLOCK_INDEPENDENCE) == 0) {
                return super.doDecompress(allocator, compressed); // linked blocks (or not a frame): Arrow's own reader
            }
            long length = readUncompressedLength(compressed);
            long frameLength = compressed.writerIndex() - CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;
            if (length < 0 || length > Integer.MAX_VALUE - 64 || frameLength > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException("LZ4 buffer of " + length + " bytes (frame " + frameLength + ") out of range");
            }
            byte[] frame = new byte[(int) frameLength];
            compressed.getBytes(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH, frame);
            byte[] plain = new byte[(int) length];
            try (InputStream in = new LZ4FrameInputStream(new ByteArrayInputStream(frame))) {
                int read = in.readNBytes(plain, 0, plain.length);
                if (read != plain.length || in.read() != -1) {
                    throw new IllegalArgumentException("LZ4 frame does not hold the " + length + " bytes its buffer announces");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("not a valid LZ4 frame: " + e.getMessage(), e);
            }
            ArrowBuf out = allocator.buffer(length);
            out.setBytes(0, plain);
            out.writerIndex(length);
            return out;
        }

        @Override
        public CompressionUtil.CodecType getCodecType() {
            return CompressionUtil.CodecType.LZ4_FRAME;
        }
    }
}
