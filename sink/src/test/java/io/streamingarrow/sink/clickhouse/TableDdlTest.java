package io.streamingarrow.sink.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import io.streamingarrow.shared.schema.SeedSchema;

class TableDdlTest {

    @Test
    void on1816TheTimestampIsDateTimePlusMicroseconds() {
        assertEquals("""
                CREATE TABLE IF NOT EXISTS `streaming_arrow`.`sensor_readings` (
                  `device` String,
                  `ts` DateTime('UTC'),
                  `ts_us` Int64,
                  `cpu_used` Nullable(Float32),
                  `cpu_free` Nullable(Float32),
                  `memory_used` Nullable(Float32),
                  `memory_free` Nullable(Float32),
                  `run_elapsed_ms` Nullable(Int32),
                  `kafka_partition` UInt32,
                  `kafka_offset` Int64,
                  `kafka_row` UInt32
                ) ENGINE = ReplacingMergeTree()
                PARTITION BY toYYYYMM(`ts`)
                ORDER BY (`device`, `ts`, `kafka_partition`, `kafka_offset`, `kafka_row`)""",
                TableDdl.createTable("streaming_arrow", "sensor_readings", SeedSchema.SCHEMA, ServerVersion.parse("18.16.1")));
    }

    @Test
    void onCurrentServersDateTime64AndLowCardinality() {
        assertEquals("""
                CREATE TABLE IF NOT EXISTS `streaming_arrow`.`sensor_readings` (
                  `device` LowCardinality(String),
                  `ts` DateTime64(6, 'UTC'),
                  `cpu_used` Nullable(Float32),
                  `cpu_free` Nullable(Float32),
                  `memory_used` Nullable(Float32),
                  `memory_free` Nullable(Float32),
                  `run_elapsed_ms` Nullable(Int32),
                  `kafka_partition` UInt32,
                  `kafka_offset` Int64,
                  `kafka_row` UInt32
                ) ENGINE = ReplacingMergeTree()
                PARTITION BY toYYYYMM(`ts`)
                ORDER BY (`device`, `ts`, `kafka_partition`, `kafka_offset`, `kafka_row`)""",
                TableDdl.createTable("streaming_arrow", "sensor_readings", SeedSchema.SCHEMA, ServerVersion.parse("24.8.4")));
    }
}
