package io.streamingarrow.shared.ipc;

import java.util.Locale;

import org.apache.arrow.vector.compression.CompressionUtil;

/** Buffer compression codecs of the Arrow IPC format (the body compression of each record batch). */
public enum IpcCompression {
    ZSTD(CompressionUtil.CodecType.ZSTD),
    LZ4_FRAME(CompressionUtil.CodecType.LZ4_FRAME),
    NONE(CompressionUtil.CodecType.NO_COMPRESSION);

    private final CompressionUtil.CodecType codecType;

    IpcCompression(CompressionUtil.CodecType codecType) {
        this.codecType = codecType;
    }

    CompressionUtil.CodecType codecType() {
        return codecType;
    }

    /** Accepts the names people use: {@code zstd}, {@code lz4}, {@code lz4_frame}, {@code none}, {@code uncompressed}. */
    public static IpcCompression parse(String name) {
        String normalized = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (normalized) {
            case "zstd" -> ZSTD;
            case "lz4", "lz4_frame" -> LZ4_FRAME;
            case "none", "uncompressed", "" -> NONE;
            default -> throw new IllegalArgumentException(
                    "unknown Arrow IPC compression '" + name + "' (expected zstd, lz4_frame or none)");
        };
    }
}
