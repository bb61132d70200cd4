package io.streamingarrow.sink.clickhouse;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The columns of one ClickHouse table, in table order. */
public record TableSchema(String database, String table, List<TableColumn> columns) {

    public TableSchema {
        columns = List.copyOf(columns);
    }

    public Optional<TableColumn> column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /**
     * Parses {@code DESCRIBE TABLE ... FORMAT TabSeparated}: name, type, default kind, default expression
     * and, on newer servers, more columns; names are TSV-escaped.
     */
    public static TableSchema parseDescribe(String database, String table, String tsv) {
        List<TableColumn> columns = new ArrayList<>();
        for (String line : tsv.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length < 2) {
                throw new IllegalArgumentException("unexpected DESCRIBE line: " + line);
            }
            String defaultKind = f.length > 2 ? unescape(f[2]) : "";
            columns.add(new TableColumn(unescape(f[0]), ClickHouseType.parse(unescape(f[1])), defaultKind));
        }
        return new TableSchema(database, table, columns);
    }

    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                out.append(switch (n) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case '0' -> '\0';
                    case 'b' -> '\b';
                    case 'f' -> '\f';
                    default -> n;
                });
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
