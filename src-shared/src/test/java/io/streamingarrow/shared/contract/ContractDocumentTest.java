package io.streamingarrow.shared.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * docs/contract.md is what readers of the repository are told the services agree on. This keeps it in
 * step with the code: the header constants, the topics each service's application.properties uses and
 * that the local stack and the Kubernetes resources create (with their partitions), the stores' names
 * and the ports.
 */
class ContractDocumentTest {

    private static final Path ROOT = ContractSources.repositoryRoot();
    private static final String CONTRACT = ContractSources.text(ROOT.resolve("docs/contract.md"));
    private static final ContractSources CODE = ContractSources.read(ROOT);

    @Test
    void theDocumentAgreesWithTheCode() {
        List<String> disagreements = ContractComparison.disagreements(CONTRACT, CODE);
        assertTrue(disagreements.isEmpty(),
                "docs/contract.md and the code disagree:\n  " + String.join("\n  ", disagreements));
    }

    @Test
    void theCodeSideIsReadCompletely() {
        // Guards the comparison against comparing nothing with nothing.
        assertEquals(List.of("arrow_tables", "arrow_aggregates", "alerts", "arrow_tables_dlq"),
                List.copyOf(CODE.stackTopicPartitions().keySet()));
        assertEquals(CODE.stackTopicPartitions().keySet(), CODE.kubernetesTopicPartitions().keySet());
        assertTrue(CODE.headerConstants().size() >= 11, CODE.headerConstants().toString());
        assertEquals(List.of("window_aggregates", "alerts", "analyzer_progress"), CODE.analyzerPostgresTables());
        assertEquals(3, CODE.pipelineServicePorts().size());
        assertTrue(CODE.channelsByTopic("incoming").get("arrow_tables").contains("sink (group sink)"));
    }

    /** Each change to the document alone must be reported, naming what changed. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "| `batch-seq` |; | `batch-sequence` |; batch-seq",
            "| `dlq-source-offset` |; | `dlq-offset` |; dlq-source-offset",
            "| `arrow_tables_dlq` | 1 | 1 |; | `arrow_tables_dlq` | 2 | 1 |; arrow_tables_dlq",
            "| `arrow_aggregates` | 4 | 12 |; | `arrow_aggregates` | 4 | 4 |; arrow_aggregates",
            "| `alerts` | 4 | 4 |; | `alert_transitions` | 4 | 4 |; alerts",
            "| sink HTTP | 8082 |; | sink HTTP | 8083 |; sink HTTP",
            "| Kafka | 19092 |; | Kafka | 9092 |; Kafka",
            "| ClickHouse | `streaming_arrow` | `sensor_readings` |; | ClickHouse | `streaming_arrow` | `readings` |; sensor_readings",
            "| PostgreSQL | `streaming_arrow` | `alerts` |; | PostgreSQL | `analytics` | `alerts` |; analytics",
            "analyzer (group `analyzer`), sink (group `sink`); analyzer (group `analyzer`); sink (group sink)",
            "`shard-<n>`; `<n>`; shard",
    })
    void aChangedDocumentIsReported(String original, String changed, String named) {
        assertTrue(CONTRACT.contains(original), "the test's premise: docs/contract.md contains " + original);
        List<String> disagreements = ContractComparison.disagreements(CONTRACT.replace(original, changed), CODE);
        assertTrue(disagreements.stream().anyMatch(d -> d.contains(named)),
                "changing " + original + " to " + changed + " was not reported as a disagreement about " + named
                        + ": " + disagreements);
    }

    /** A change to the code alone must be reported too. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "sink; mp.messaging.incoming.arrow-tables.topic; arrow_tables_v2; arrow_tables_v2",
            "analyzer; mp.messaging.incoming.arrow-tables.group.id; analytics; analyzer (group analytics)",
            "producer; quarkus.http.port; 9080; producer quarkus.http.port",
            "sink; sink.clickhouse.table; readings; readings",
    })
    void aChangedServiceConfigurationIsReported(String service, String key, String value, String named) {
        Map<String, Properties> changed = new LinkedHashMap<>(CODE.serviceProperties());
        Properties properties = new Properties();
        properties.putAll(changed.get(service));
        properties.setProperty(key, value);
        changed.put(service, properties);
        ContractSources code = new ContractSources(CODE.headerConstants(), changed, CODE.stackTopicPartitions(),
                CODE.kubernetesTopicPartitions(), CODE.stackVariables(), CODE.pipelineServicePorts(),
                CODE.analyzerPostgresTables());
        List<String> disagreements = ContractComparison.disagreements(CONTRACT, code);
        assertTrue(disagreements.stream().anyMatch(d -> d.contains(named)),
                "setting " + key + "=" + value + " in " + service + " was not reported: " + disagreements);
    }
}
