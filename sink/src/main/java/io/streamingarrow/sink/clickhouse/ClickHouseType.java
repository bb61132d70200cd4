package io.streamingarrow.sink.clickhouse;

/**
 * A ClickHouse column type as the server names it, parsed far enough to choose a Native encoding.
 * {@link #name()} keeps the server's exact spelling: Native blocks must carry it unchanged, because the
 * server does no conversion on Native input (18.16 answers {@code Bad cast} or crashes on a mismatch).
 */
public record ClickHouseType(String name, Kind kind, boolean nullable, boolean lowCardinality, int precision,
                             String timezone) {

    /** The base types the sink can write; everything else is {@link #OTHER} and unmappable. */
    public enum Kind {
        INT8(1, true), INT16(2, true), INT32(4, true), INT64(8, true),
        UINT8(1, false), UINT16(2, false), UINT32(4, false), UINT64(8, false),
        FLOAT32(4, true), FLOAT64(8, true),
        STRING(0, false), DATE_TIME(4, false), DATE_TIME64(8, true), OTHER(0, false);

        private final int width;
        private final boolean signed;

        Kind(int width, boolean signed) {
            this.width = width;
            this.signed = signed;
        }

        public int width() {
            return width;
        }

        public boolean signed() {
            return signed;
        }

        public boolean isInteger() {
            return ordinal() <= UINT64.ordinal();
        }
    }

    public static ClickHouseType parse(String name) {
        String t = name.trim();
        if (t.startsWith("Nullable(") && t.endsWith(")")) {
            ClickHouseType inner = parse(inner(t, "Nullable("));
            return new ClickHouseType(t, inner.kind, true, inner.lowCardinality, inner.precision, inner.timezone);
        }
        if (t.startsWith("LowCardinality(") && t.endsWith(")")) {
            ClickHouseType inner = parse(inner(t, "LowCardinality("));
            return new ClickHouseType(t, inner.kind, inner.nullable, true, inner.precision, inner.timezone);
        }
        if (t.startsWith("DateTime64(") && t.endsWith(")")) {
            String[] args = inner(t, "DateTime64(").split(",", 2);
            int precision = Integer.parseInt(args[0].trim());
            if (precision < 0 || precision > 9) {
                throw new IllegalArgumentException("DateTime64 precision out of range in " + t);
            }
            return new ClickHouseType(t, Kind.DATE_TIME64, false, false, precision, args.length > 1 ? unquote(args[1]) : null);
        }
        if (t.startsWith("DateTime(") && t.endsWith(")")) {
            return new ClickHouseType(t, Kind.DATE_TIME, false, false, 0, unquote(inner(t, "DateTime(")));
        }
        Kind kind = switch (t) {
            case "Int8" -> Kind.INT8;
            case "Int16" -> Kind.INT16;
            case "Int32" -> Kind.INT32;
            case "Int64" -> Kind.INT64;
            case "UInt8" -> Kind.UINT8;
            case "UInt16" -> Kind.UINT16;
            case "UInt32" -> Kind.UINT32;
            case "UInt64" -> Kind.UINT64;
            case "Float32" -> Kind.FLOAT32;
            case "Float64" -> Kind.FLOAT64;
            case "String" -> Kind.STRING;
            case "DateTime" -> Kind.DATE_TIME;
            default -> Kind.OTHER;
        };
        return new ClickHouseType(t, kind, false, false, 0, null);
    }

    private static String inner(String t, String prefix) {
        return t.substring(prefix.length(), t.length() - 1).trim();
    }

    private static String unquote(String s) {
        String v = s.trim();
        if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
            return v.substring(1, v.length() - 1);
        }
        return v.isEmpty() ? null : v;
    }
}
