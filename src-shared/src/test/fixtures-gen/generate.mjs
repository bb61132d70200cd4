// Writes Arrow IPC fixtures with two non-Java Arrow implementations, polars (Rust, through nodejs-polars)
// and Arrow JS (apache-arrow), into ../resources/fixtures, with manifest.json describing what each one holds.
// The expected values in the manifest come from the source rows computed here, not from reading the files
// back, so the Java test compares the decoder's view with what the writer was given.
//
//   npm ci && node generate.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pl from 'nodejs-polars';
import * as arrow from 'apache-arrow';
import lz4 from 'lz4js';
import { versions } from './versions.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '../resources/fixtures');

// Arrow JS ships no codecs; lz4js writes the LZ4 frame format that Arrow's LZ4_FRAME codec names.
arrow.compressionRegistry.set(arrow.CompressionType.LZ4_FRAME, {
  encode: (data) => Uint8Array.from(lz4.compress(data)),
  decode: (data) => Uint8Array.from(lz4.decompress(data)),
});

// Deterministic rows: the same seed always gives the same fixtures.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEVICES = ['pump-01', 'pump-02', 'chiller-ä', 'датчик-7', '传感器-3', 'edge-🚀', 'rack-12/u4'];
const BASE_MICROS = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z

const UNIT_FACTOR = { s: 1_000_000n, ms: 1_000n, us: 1n, ns: null };

/** Rows for one fixture: plain JS arrays plus the timestamp in the fixture's own unit (BigInt). */
function makeRows(seed, rows, unit, nullEvery) {
  const rnd = mulberry32(seed);
  const cols = { device: [], ts: [], cpu_used: [], cpu_free: [], memory_used: [], memory_free: [], run_elapsed_ms: [] };
  for (let i = 0; i < rows; i++) {
    const nul = (k) => nullEvery > 0 && (i + k) % nullEvery === 0;
    cols.device.push(nul(1) ? null : DEVICES[Math.floor(rnd() * DEVICES.length)]);
    // Out of order on purpose: jitter of up to ±1.5 s around a 100 ms cadence.
    const micros = BASE_MICROS + BigInt(i) * 100_000n + BigInt(Math.floor((rnd() - 0.5) * 3_000_000));
    let ts;
    if (unit === 'ns') ts = micros * 1000n + BigInt(Math.floor(rnd() * 1000));
    else ts = micros / UNIT_FACTOR[unit];
    cols.ts.push(nul(2) ? null : ts);
    const cpu = Math.fround(rnd() * 100);
    cols.cpu_used.push(nul(3) ? null : cpu);
    cols.cpu_free.push(nul(4) ? null : Math.fround(100 - cpu));
    const mem = Math.fround(20 + rnd() * 75);
    cols.memory_used.push(nul(5) ? null : mem);
    cols.memory_free.push(nul(6) ? null : Math.fround(100 - mem));
    cols.run_elapsed_ms.push(nul(7) ? null : i * 100 + Math.floor(rnd() * 50));
  }
  return cols;
}

function tsMicros(value, unit) {
  if (unit === 'ns') return value / 1000n; // positive values: truncation equals floor
  return value * UNIT_FACTOR[unit];
}

/** What the Java test checks, computed from the source rows. */
function expectations(cols, unit) {
  const n = cols.device.length;
  const nullCounts = {};
  for (const [k, v] of Object.entries(cols)) nullCounts[k] = v.filter((x) => x === null).length;
  const sums = {};
  for (const k of ['cpu_used', 'cpu_free', 'memory_used', 'memory_free', 'run_elapsed_ms']) {
    sums[k] = cols[k].reduce((acc, x) => (x === null ? acc : acc + x), 0);
  }
  let min = null, max = null;
  for (const t of cols.ts) {
    if (t === null) continue;
    const m = tsMicros(t, unit);
    if (min === null || m < min) min = m;
    if (max === null || m > max) max = m;
  }
  const deviceCounts = {};
  for (const d of cols.device) if (d !== null) deviceCounts[d] = (deviceCounts[d] || 0) + 1;
  const firstRow = {};
  for (const [k, v] of Object.entries(cols)) {
    const x = v[0];
    firstRow[k] = x === null ? null : k === 'ts' ? tsMicros(x, unit).toString() : x;
  }
  return { rows: n, nullCounts, sums, tsMinMicros: min.toString(), tsMaxMicros: max.toString(), deviceCounts, firstRow };
}

// ------------------------------------------------------------------ polars (Rust)
function polarsFrame(cols, unit, tz, deviceType) {
  let df = pl.DataFrame({
    device: pl.Series('device', cols.device, pl.Utf8),
    // polars builds datetimes from integers in the target unit. A BigInt array without a dtype keeps
    // every digit (it becomes UInt64); asking for Int64 up front turns BigInts into nulls.
    ts: pl.Series('ts', cols.ts).cast(pl.Int64),
    cpu_used: pl.Series('cpu_used', cols.cpu_used, pl.Float32),
    cpu_free: pl.Series('cpu_free', cols.cpu_free, pl.Float32),
    memory_used: pl.Series('memory_used', cols.memory_used, pl.Float32),
    memory_free: pl.Series('memory_free', cols.memory_free, pl.Float32),
    run_elapsed_ms: pl.Series('run_elapsed_ms', cols.run_elapsed_ms, pl.Int32),
  });
  df = df.withColumns(pl.col('ts').cast(pl.Datetime(unit)));
  // The integers are UTC instants: attach UTC, then show them in the fixture's zone.
  if (tz) df = df.withColumns(pl.col('ts').dt.replaceTimeZone('UTC').dt.convertTimeZone(tz));
  if (deviceType === 'Dictionary') df = df.withColumns(pl.col('device').cast(pl.Categorical));
  return df;
}

function polarsFixture({ name, seed, rows, batches, unit, tz, framing, compression, deviceType, dictionaryValueType }) {
  const cols = makeRows(seed, rows, unit, 97);
  const whole = polarsFrame(cols, unit, tz, deviceType);
  // One chunk per record batch: polars writes each chunk as its own batch.
  const per = Math.ceil(rows / batches);
  const parts = [];
  for (let b = 0; b < batches; b++) parts.push(whole.slice(b * per, Math.min(per, rows - b * per)));
  const df = batches > 1 ? pl.concat(parts, { rechunk: false, how: 'vertical' }) : whole;
  const options = { compression: compression === 'none' ? 'uncompressed' : compression };
  const bytes = framing === 'file' ? df.writeIPC(options) : df.writeIPCStream(options);
  return { name, writer: `polars (nodejs-polars ${versions['nodejs-polars']})`, framing, compression, deviceType,
           dictionaryValueType: dictionaryValueType ?? null, tsUnit: unit, tz: tz ?? null,
           batches, bytes, expect: expectations(cols, unit) };
}

// ------------------------------------------------------------------ Arrow JS
const JS_TS = {
  s: (tz) => new arrow.TimestampSecond(tz),
  ms: (tz) => new arrow.TimestampMillisecond(tz),
  us: (tz) => new arrow.TimestampMicrosecond(tz),
  ns: (tz) => new arrow.TimestampNanosecond(tz),
};

// Arrow JS's timestamp builders take epoch milliseconds as a double, which cannot carry micro- or
// nanoseconds exactly; the raw 64-bit values are laid out by hand instead.
function timestampData(type, values) {
  const data = new BigInt64Array(values.length);
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) { nullCount++; return; }
    data[i] = v;
    nullBitmap[i >> 3] |= 1 << (i & 7);
  });
  return arrow.makeData({ type, length: values.length, nullCount, nullBitmap, data });
}

// A file holds one dictionary per field: every batch shares this one (all the device names).
const SHARED_DICTIONARY = arrow.vectorFromArray(DEVICES, new arrow.Utf8());

function dictionaryData(type, values) {
  const indices = new Int32Array(values.length);
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) { nullCount++; return; }
    indices[i] = DEVICES.indexOf(v);
    nullBitmap[i >> 3] |= 1 << (i & 7);
  });
  return arrow.makeData({ type, length: values.length, nullCount, nullBitmap, data: indices, dictionary: SHARED_DICTIONARY });
}

function jsDeviceType(deviceType) {
  switch (deviceType) {
    case 'Utf8': return new arrow.Utf8();
    case 'LargeUtf8': return new arrow.LargeUtf8();
    case 'Dictionary': return new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), 7);
    default: throw new Error(`Arrow JS cannot write ${deviceType}`);
  }
}

function jsFixture({ name, seed, rows, batches, unit, tz, framing, compression, deviceType }) {
  const cols = makeRows(seed, rows, unit, 89);
  const fields = [
    new arrow.Field('device', jsDeviceType(deviceType), true),
    new arrow.Field('ts', JS_TS[unit](tz ?? null), true),
    new arrow.Field('cpu_used', new arrow.Float32(), true),
    new arrow.Field('cpu_free', new arrow.Float32(), true),
    new arrow.Field('memory_used', new arrow.Float32(), true),
    new arrow.Field('memory_free', new arrow.Float32(), true),
    new arrow.Field('run_elapsed_ms', new arrow.Int32(), true),
  ];
  const schema = new arrow.Schema(fields);
  const per = Math.ceil(rows / batches);
  const recordBatches = [];
  for (let b = 0; b < batches; b++) {
    const lo = b * per, hi = Math.min(rows, lo + per);
    const children = fields.map((f) => {
      const values = cols[f.name].slice(lo, hi);
      if (f.name === 'ts') return timestampData(f.type, values);
      if (f.name === 'device' && deviceType === 'Dictionary') return dictionaryData(f.type, values);
      return arrow.vectorFromArray(values, f.type).data[0];
    });
    const data = arrow.makeData({ type: new arrow.Struct(fields), length: hi - lo, nullCount: 0, children });
    recordBatches.push(new arrow.RecordBatch(schema, data));
  }
  const table = new arrow.Table(schema, recordBatches);
  const compressionType = compression === 'lz4' ? arrow.CompressionType.LZ4_FRAME : null;
  const Writer = framing === 'file' ? arrow.RecordBatchFileWriter : arrow.RecordBatchStreamWriter;
  const bytes = Writer.writeAll(table, { compressionType }).toUint8Array(true);
  return { name, writer: `Arrow JS (apache-arrow ${versions['apache-arrow']})`, framing, compression, deviceType,
           dictionaryValueType: deviceType === 'Dictionary' ? 'Utf8' : null, tsUnit: unit, tz: tz ?? null,
           batches, bytes, expect: expectations(cols, unit) };
}

export const FIXTURES = [
  // The seed's exact schema as polars writes it (what a polars producer would put on arrow_tables).
  polarsFixture({ name: 'polars-seed-file-zstd', seed: 1, rows: 3000, batches: 3, unit: 'us', framing: 'file', compression: 'zstd', deviceType: 'Utf8View' }),
  polarsFixture({ name: 'polars-seed-file-lz4', seed: 2, rows: 2000, batches: 2, unit: 'us', framing: 'file', compression: 'lz4', deviceType: 'Utf8View' }),
  // nodejs-polars 0.26.1 writes its IPC *stream* as one batch with LargeUtf8 strings (its file writer keeps
  // the chunks and writes Utf8View); verify.mjs checks each entry against what the file really holds.
  polarsFixture({ name: 'polars-seed-stream-none', seed: 3, rows: 1500, batches: 1, unit: 'us', framing: 'stream', compression: 'none', deviceType: 'LargeUtf8' }),
  polarsFixture({ name: 'polars-seed-stream-zstd', seed: 4, rows: 2500, batches: 1, unit: 'us', framing: 'stream', compression: 'zstd', deviceType: 'LargeUtf8' }),
  // polars refuses to write a file whose batches carry different dictionaries (a file allows one per field).
  polarsFixture({ name: 'polars-categorical-ns-berlin-file-zstd', seed: 5, rows: 2000, batches: 1, unit: 'ns', tz: 'Europe/Berlin', framing: 'file', compression: 'zstd', deviceType: 'Dictionary', dictionaryValueType: 'Utf8View' }),
  polarsFixture({ name: 'polars-categorical-us-stream-zstd', seed: 11, rows: 2400, batches: 1, unit: 'us', framing: 'stream', compression: 'zstd', deviceType: 'Dictionary', dictionaryValueType: 'LargeUtf8' }),
  polarsFixture({ name: 'polars-ms-stream-lz4', seed: 6, rows: 1200, batches: 1, unit: 'ms', framing: 'stream', compression: 'lz4', deviceType: 'LargeUtf8' }),
  jsFixture({ name: 'arrowjs-seed-file-none', seed: 7, rows: 2000, batches: 4, unit: 'us', framing: 'file', compression: 'none', deviceType: 'Utf8' }),
  jsFixture({ name: 'arrowjs-largeutf8-ns-utc-stream-lz4', seed: 8, rows: 1500, batches: 3, unit: 'ns', tz: 'UTC', framing: 'stream', compression: 'lz4', deviceType: 'LargeUtf8' }),
  jsFixture({ name: 'arrowjs-dictionary-ms-file-lz4', seed: 9, rows: 1800, batches: 3, unit: 'ms', framing: 'file', compression: 'lz4', deviceType: 'Dictionary' }),
  jsFixture({ name: 'arrowjs-seconds-newyork-stream-none', seed: 10, rows: 600, batches: 2, unit: 's', tz: 'America/New_York', framing: 'stream', compression: 'none', deviceType: 'Utf8' }),
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  fs.mkdirSync(outDir, { recursive: true });
  const manifest = [];
  for (const f of FIXTURES) {
    const file = `${f.name}.arrow`;
    fs.writeFileSync(path.join(outDir, file), f.bytes);
    const { bytes, ...entry } = f;
    manifest.push({ file, sizeBytes: bytes.length, ...entry });
    console.log(`${file}: ${bytes.length} bytes, ${f.expect.rows} rows in ${f.batches} batches (${f.writer}, ${f.framing}, ${f.compression}, device ${f.deviceType}, ts ${f.tsUnit}${f.tz ? ' ' + f.tz : ''})`);
  }
  fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}
