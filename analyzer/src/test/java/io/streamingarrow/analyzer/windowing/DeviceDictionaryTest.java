package io.streamingarrow.analyzer.windowing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The device dictionary against a HashMap under random lookups, retains and releases: ids are stable while
 * referenced, distinct between live devices, names round-trip, and released devices are really forgotten
 * (the size follows the referenced set), through many growths and backward-shift deletions.
 */
class DeviceDictionaryTest {

    @Test
    void behavesLikeAMapOfReferencedDevices() {
        DeviceDictionary dictionary = new DeviceDictionary();
        Map<String, Integer> ids = new HashMap<>();
        Map<String, Integer> references = new HashMap<>();
        Random random = new Random(5);
        byte[] scratch = new byte[64];
        for (int step = 0; step < 200_000; step++) {
            String name = "device-" + random.nextInt(3_000);
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(bytes, 0, scratch, 0, bytes.length); // trailing garbage must not matter
            scratch[bytes.length] = (byte) random.nextInt();
            int id = dictionary.idOf(scratch, bytes.length);
            assertEquals(name, dictionary.name(id));
            Integer known = ids.get(name);
            if (known != null) {
                assertEquals(known, id, name + " keeps its id while referenced");
            }
            int refs = references.getOrDefault(name, 0);
            if (random.nextBoolean() || refs == 0) {
                dictionary.retain(id);
                references.put(name, refs + 1);
                ids.put(name, id);
            } else {
                dictionary.release(id);
                if (refs == 1) {
                    references.remove(name);
                    ids.remove(name);
                } else {
                    references.put(name, refs - 1);
                }
            }
            assertEquals(references.size(), dictionary.size(), "live devices");
        }
        Map<Integer, String> byId = new HashMap<>();
        ids.forEach((name, id) -> assertEquals(null, byId.put(id, name), "ids are distinct"));
        int fresh = dictionary.idOf("never-seen".getBytes(StandardCharsets.UTF_8), 10);
        assertNotEquals(null, dictionary.name(fresh));
        dictionary.releaseIfUnused(fresh);
        assertEquals(references.size(), dictionary.size(), "an unreferenced lookup is forgotten");
    }
}
