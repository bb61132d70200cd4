package io.streamingarrow.shared.contract;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tables of a Markdown document, by the {@code ##} section they stand in. Enough Markdown for
 * docs/contract.md: a table is a run of lines that start with {@code |}, its first line names the
 * columns and its second is the separator.
 */
final class MarkdownTables {

    /** One table row, its cells by column name, back quotes removed. */
    record Row(Map<String, String> cells) {
        String get(String column) {
            String value = cells.get(column);
            if (value == null) {
                throw new IllegalArgumentException("no column '" + column + "' in " + cells.keySet());
            }
            return value;
        }
    }

    private final Map<String, List<List<Row>>> tablesBySection = new LinkedHashMap<>();

    MarkdownTables(String markdown) {
        String section = "";
        List<String> tableLines = new ArrayList<>();
        for (String line : (markdown + "\n").split("\n", -1)) {
            if (line.startsWith("|")) {
                tableLines.add(line);
                continue;
            }
            if (!tableLines.isEmpty()) {
                tablesBySection.computeIfAbsent(section, s -> new ArrayList<>()).add(parse(tableLines));
                tableLines = new ArrayList<>();
            }
            if (line.startsWith("## ")) {
                section = line.substring(3).trim();
            }
        }
    }

    /** The rows of the only table in the section whose title starts with {@code titleStart}. */
    List<Row> table(String titleStart) {
        List<List<Row>> tables = tablesBySection.entrySet().stream()
                .filter(e -> e.getKey().startsWith(titleStart))
                .flatMap(e -> e.getValue().stream())
                .toList();
        if (tables.size() != 1) {
            throw new IllegalStateException("docs/contract.md: expected one table under a '## " + titleStart
                    + "…' heading, found " + tables.size() + " (sections: " + tablesBySection.keySet() + ")");
        }
        return tables.get(0);
    }

    private static List<Row> parse(List<String> lines) {
        List<String> columns = cells(lines.get(0));
        List<Row> rows = new ArrayList<>();
        for (String line : lines.subList(Math.min(2, lines.size()), lines.size())) {
            List<String> values = cells(line);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < columns.size(); i++) {
                row.put(columns.get(i), i < values.size() ? values.get(i) : "");
            }
            rows.add(new Row(row));
        }
        return rows;
    }

    private static List<String> cells(String line) {
        String inner = line.trim();
        inner = inner.substring(1, inner.endsWith("|") && inner.length() > 1 ? inner.length() - 1 : inner.length());
        List<String> cells = new ArrayList<>();
        for (String cell : inner.split("\\|", -1)) {
            cells.add(cell.replace("`", "").trim());
        }
        return cells;
    }
}
