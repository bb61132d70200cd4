package io.streamingarrow.producer.ingest;

import java.util.BitSet;

/**
 * Strict UTF-8 validation of raw bytes (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF). Needed because decoding replaces malformed bytes with U+FFFD without a word, which would
 * merge distinct device names into one; ingest rejects such an event instead.
 */
final class Utf8Check {

    /** What a body's sanitised copy replaces each malformed byte with: ASCII, so offsets stay put. */
    static final byte REPLACEMENT = '?';

    private Utf8Check() {
    }

    /** The offset of the first byte in {@code [from, to)} that is not part of well-formed UTF-8, or -1. */
    static int firstInvalid(byte[] bytes, int from, int to) {
        int i = from;
        while (i < to) {
            int length = sequenceLength(bytes, i, to);
            if (length < 0) {
                return i;
            }
            i += length;
        }
        return -1;
    }

    /**
     * Marks every malformed byte of {@code bytes} (a lead byte whose sequence is broken, a stray
     * continuation byte) and overwrites it with {@link #REPLACEMENT} in place. Returns the marks.
     */
    static BitSet markAndReplaceInvalid(byte[] bytes) {
        BitSet invalid = new BitSet();
        int i = 0;
        while (i < bytes.length) {
            int length = sequenceLength(bytes, i, bytes.length);
            if (length < 0) {
                invalid.set(i);
                bytes[i] = REPLACEMENT;
                i++;
            } else {
                i += length;
            }
        }
        return invalid;
    }

    /** The length of the well-formed sequence starting at {@code i}, or -1 if it is malformed. */
    private static int sequenceLength(byte[] bytes, int i, int to) {
        int lead = bytes[i] & 0xFF;
        if (lead < 0x80) {
            return 1;
        }
        int length;
        int secondMin = 0x80;
        int secondMax = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) {
                secondMin = 0xA0; // shorter forms are overlong
            } else if (lead == 0xED) {
                secondMax = 0x9F; // U+D800..U+DFFF are surrogates
            }
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) {
                secondMin = 0x90; // overlong
            } else if (lead == 0xF4) {
                secondMax = 0x8F; // above U+10FFFF
            }
        } else {
            return -1; // a continuation byte, C0/C1 (overlong) or F5..FF
        }
        if (i + length > to) {
            return -1;
        }
        int second = bytes[i + 1] & 0xFF;
        if (second < secondMin || second > secondMax) {
            return -1;
        }
        for (int k = 2; k < length; k++) {
            if ((bytes[i + k] & 0xC0) != 0x80) {
                return -1;
            }
        }
        return length;
    }
}
