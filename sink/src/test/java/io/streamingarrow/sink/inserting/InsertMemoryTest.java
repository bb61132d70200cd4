package io.streamingarrow.sink.inserting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class InsertMemoryTest {

    @Test
    void aBodySpansChunksAndReadsBackExactlyThroughEitherPath() throws Exception {
        byte[] data = new byte[10_000];
        new Random(7).nextBytes(data);
        try (InsertMemory memory = new InsertMemory(8192, 1024)) {
            InsertBody body = new InsertBody(memory);
            // uneven appends, across chunk boundaries, past the off-heap limit (8 chunks) into heap chunks
            int at = 0;
            for (int n : new int[] {1, 1023, 1, 2047, 3000, 3928}) {
                body.append(data, at, n);
                at += n;
            }
            assertEquals(data.length, body.size());
            assertEquals(10 * 1024, memory.inUseBytes());
            assertEquals(8 * 1024, memory.reservedBytes(), "never more off the heap than the limit");
            assertEquals(2, memory.overflowChunks());

            List<ByteBuffer> views = body.views();
            ByteArrayOutputStream viaScratch = new ByteArrayOutputStream();
            InsertBody.writeTo(views, viaScratch, new byte[100]);
            assertArrayEquals(data, viaScratch.toByteArray());
            ByteArrayOutputStream again = new ByteArrayOutputStream();
            InsertBody.writeTo(views, again, new byte[4096]); // the views are not consumed by a write
            assertArrayEquals(data, again.toByteArray());

            body.release();
            body.release(); // idempotent
            assertEquals(0, memory.inUseBytes());
            assertThrows(IllegalStateException.class, body::views);
        }
    }

    @Test
    void chunksGivenBackAreReusedNotAllocatedAgain() {
        try (InsertMemory memory = new InsertMemory(4096, 1024)) {
            for (int round = 0; round < 5; round++) {
                InsertBody body = new InsertBody(memory);
                body.append(new byte[3000], 0, 3000);
                body.release();
            }
            assertEquals(3 * 1024, memory.reservedBytes());
            assertEquals(0, memory.overflowChunks());
        }
    }
}
