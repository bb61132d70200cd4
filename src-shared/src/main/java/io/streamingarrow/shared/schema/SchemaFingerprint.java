package io.streamingarrow.shared.schema;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A short, stable identifier of a schema's shape: names, types, nullability and children, in order.
 * Metadata is left out on purpose: writers add their own (pandas, polars) without changing the shape.
 */
public final class SchemaFingerprint {

    private SchemaFingerprint() {
    }

    public static String of(Schema schema) {
        StringBuilder canonical = new StringBuilder();
        for (Field field : schema.getFields()) {
            append(canonical, field);
            canonical.append(';');
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }

    private static void append(StringBuilder out, Field field) {
        out.append(field.getName()).append(':').append(field.getType());
        if (field.getDictionary() != null) {
            out.append("/dict");
        }
        out.append(field.isNullable() ? "?" : "!");
        if (!field.getChildren().isEmpty()) {
            out.append('<');
            for (Field child : field.getChildren()) {
                append(out, child);
                out.append(',');
            }
            out.append('>');
        }
    }
}
