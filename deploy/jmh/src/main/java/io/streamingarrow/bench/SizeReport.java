package io.streamingarrow.bench;

import java.util.Locale;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import io.streamingarrow.shared.batch.SeedBatchBuilder;
import io.streamingarrow.shared.ipc.ArrowIpcEncoder;
import io.streamingarrow.shared.ipc.IpcCompression;
import io.streamingarrow.shared.ipc.IpcFraming;

/** Prints wire bytes per row, as JSON lines, for each codec and batch size and for JSON-per-event. */
public final class SizeReport {

    private SizeReport() {
    }

    public static void main(String[] args) {
        for (int rows : new int[] {1000, 10000, 100000}) {
            try (BufferAllocator allocator = new RootAllocator(); SeedBatchBuilder batch = new SeedBatchBuilder(allocator, rows)) {
                BenchRows.fill(batch, rows);
                for (IpcCompression compression : IpcCompression.values()) {
                    byte[] message = new ArrowIpcEncoder(IpcFraming.FILE, compression, 1).encode(batch.view());
                    print("arrow-" + compression.name().toLowerCase(Locale.ROOT), rows, (double) message.length / rows);
                }
            }
            print("json-per-event", rows, JsonBaselineBenchmark.bytesPerRow(rows));
        }
    }

    private static void print(String format, int rows, double bytesPerRow) {
        System.out.printf(Locale.ROOT, "{\"format\":\"%s\",\"rows\":%d,\"bytesPerRow\":%.2f}%n", format, rows, bytesPerRow);
    }
}
