package io.streamingarrow.analyzer.consuming;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The end-offsets admin client connects like the consumer: on a secured broker it needs the same SASL/TLS settings. */
class KafkaEndOffsetsSettingsTest {

    @Test
    void keepsWhereAndHowToConnectAndNothingElse() {
        Map<String, Object> kafka = new HashMap<>();
        kafka.put("bootstrap.servers", "127.0.0.1:19094");
        kafka.put("security.protocol", "SASL_SSL");
        kafka.put("sasl.mechanism", "SCRAM-SHA-512");
        kafka.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"a\" password=\"b\";");
        kafka.put("ssl.truststore.type", "PEM");
        kafka.put("ssl.truststore.location", "/ca.crt");
        kafka.put("max.poll.records", "200");
        kafka.put("linger.ms", "5");
        Map<String, Object> expected = new HashMap<>(kafka);
        expected.remove("max.poll.records");
        expected.remove("linger.ms");
        assertEquals(expected, KafkaEndOffsets.connectionSettings(kafka));
    }

    @Test
    void plaintextIsJustTheBootstrapServers() {
        assertEquals(Map.of("bootstrap.servers", "127.0.0.1:19092"),
                KafkaEndOffsets.connectionSettings(Map.of("bootstrap.servers", "127.0.0.1:19092")));
    }
}
