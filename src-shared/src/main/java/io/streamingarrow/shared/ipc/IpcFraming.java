package io.streamingarrow.shared.ipc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The two Arrow IPC framings, with the media types we send in the {@code content-type} header. */
public enum IpcFraming {
    /** Magic, stream section, footer, magic: what pyarrow's {@code new_file} writes. */
    FILE("application/vnd.apache.arrow.file"),
    /** A sequence of encapsulated messages ending (optionally) with an end-of-stream marker. */
    STREAM("application/vnd.apache.arrow.stream");

    static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

    private final String contentType;

    IpcFraming(String contentType) {
        this.contentType = contentType;
    }

    public String contentType() {
        return contentType;
    }

    /** Decides by content, never by header: foreign producers send no headers. */
    public static IpcFraming detect(byte[] message) {
        return startsWithMagic(message) ? FILE : STREAM;
    }

    static boolean startsWithMagic(byte[] message) {
        return message.length >= MAGIC.length
                && Arrays.equals(message, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    public static IpcFraming parse(String name) {
        return valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
    }
}
