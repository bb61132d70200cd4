// Reads the Arrow IPC files our Java encoder writes (file framing, zstd level 1, as the producer publishes
// them) with polars and with Arrow JS, and compares every value with expected.json from the same run.
//   node check-java-output.mjs DIR     (DIR written by SeedOutputExport; see check-java-output.sh)
import fs from 'node:fs';
import path from 'node:path';
import pl from 'nodejs-polars';
import * as arrow from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';

// A fresh copy: Arrow JS views the result as 64-bit arrays, which must start 8-byte aligned.
arrow.compressionRegistry.set(arrow.CompressionType.ZSTD, { decode: (data) => zstdDecompress(data).slice() });

const dir = process.argv[2];
if (!dir) { console.error('usage: node check-java-output.mjs DIR'); process.exit(2); }
const index = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));

const MEASURES = ['cpu_used', 'cpu_free', 'memory_used', 'memory_free'];
let failures = 0;
function check(reader, file, condition, what) {
  if (!condition) { failures++; console.log(`FAIL ${reader} ${file}: ${what}`); }
}

for (const { file, batches, rows } of index) {
  const bytes = fs.readFileSync(path.join(dir, file));

  // Arrow JS: per-batch structure and every value, microseconds exact.
  const table = arrow.tableFromIPC(bytes);
  check('arrow-js', file, table.batches.length === batches, `${table.batches.length} batches, want ${batches}`);
  check('arrow-js', file, table.numRows === rows.length, `${table.numRows} rows, want ${rows.length}`);
  const ts = table.getChild('ts');
  check('arrow-js', file, ts.type.unit === arrow.TimeUnit.MICROSECOND && ts.type.timezone == null, `ts type ${ts.type}`);
  let offset = 0, bad = 0;
  for (const batch of table.batches) {
    const raw = batch.getChild('ts').data[0];
    for (let i = 0; i < batch.numRows; i++) {
      const want = rows[offset + i];
      const got = {
        device: batch.getChild('device').get(i),
        ts: raw.getValid(i) ? raw.values[raw.offset + i].toString() : null,
        run_elapsed_ms: batch.getChild('run_elapsed_ms').get(i),
      };
      for (const m of MEASURES) got[m] = batch.getChild(m).get(i);
      for (const [k, w] of Object.entries(want)) {
        // expected.json holds float32 values in their shortest decimal form.
        const v = MEASURES.includes(k) && w !== null ? Math.fround(w) : w;
        if (got[k] !== v && bad++ < 5) console.log(`  arrow-js row ${offset + i} ${k}: got ${got[k]}, want ${v}`);
      }
    }
    offset += batch.numRows;
  }
  check('arrow-js', file, bad === 0, `${bad} values differ`);

  // polars (Rust): reads the zstd file natively; every value of every column but ts compared, ts as
  // epoch microseconds through a cast.
  const df = pl.readIPC(bytes);
  check('polars', file, df.height === rows.length, `${df.height} rows, want ${rows.length}`);
  for (const m of ['device', ...MEASURES, 'run_elapsed_ms']) {
    const got = df.getColumn(m).toArray();
    const differing = rows.filter((r, i) => got[i] !== (MEASURES.includes(m) && r[m] !== null ? Math.fround(r[m]) : r[m])).length;
    check('polars', file, differing === 0, `${differing} values of ${m} differ`);
  }
  const micros = df.getColumn('ts').cast(pl.Int64).toArray();
  const tsDiffering = rows.filter((r, i) => BigInt(micros[i]).toString() !== r.ts).length;
  check('polars', file, tsDiffering === 0, `${tsDiffering} ts values differ`);
  console.log(`${failures ? 'FAIL' : 'ok  '} ${file}: ${rows.length} rows in ${batches} batch(es) read by Arrow JS and polars`);
}

// The analyzer's closed windows (AggregateOutputExport in the analyzer module): µs timestamps with a UTC zone,
// 64-bit integers and doubles with nulls. Timestamps and 64-bit integers are compared as decimal strings.
const aggregatesIndex = path.join(dir, 'expected-aggregates.json');
if (fs.existsSync(aggregatesIndex)) {
  const { file, rows } = JSON.parse(fs.readFileSync(aggregatesIndex, 'utf8'));
  const bytes = fs.readFileSync(path.join(dir, file));
  const before = failures;
  const columns = Object.keys(rows[0]);
  const TIMES = ['window_start', 'window_end', 'first_ts', 'last_ts'];
  const asString = (v) => (v === null || v === undefined ? null : BigInt(v).toString());

  const table = arrow.tableFromIPC(bytes);
  check('arrow-js', file, table.numRows === rows.length, `${table.numRows} rows, want ${rows.length}`);
  for (const t of TIMES) {
    const type = table.getChild(t).type;
    check('arrow-js', file, type.unit === arrow.TimeUnit.MICROSECOND && type.timezone === 'UTC', `${t} type ${type}`);
  }
  let bad = 0, offset = 0;
  for (const batch of table.batches) {
    for (let i = 0; i < batch.numRows; i++) {
      const want = rows[offset + i];
      for (const c of columns) {
        const child = batch.getChild(c);
        let got;
        if (TIMES.includes(c)) {
          const raw = child.data[0];
          got = raw.getValid(i) ? raw.values[raw.offset + i].toString() : null;
        } else if (c === 'window_size_ms' || c === 'row_count') {
          got = asString(child.get(i));
        } else {
          got = child.get(i);
        }
        if (got !== want[c] && bad++ < 5) console.log(`  arrow-js aggregates row ${offset + i} ${c}: got ${got}, want ${want[c]}`);
      }
    }
    offset += batch.numRows;
  }
  check('arrow-js', file, bad === 0, `${bad} values differ`);

  const df = pl.readIPC(bytes);
  check('polars', file, df.height === rows.length, `${df.height} rows, want ${rows.length}`);
  for (const c of columns) {
    const series = TIMES.includes(c) ? df.getColumn(c).cast(pl.Int64) : df.getColumn(c);
    const got = series.toArray();
    const integral = TIMES.includes(c) || c === 'window_size_ms' || c === 'row_count';
    const differing = rows.filter((r, i) => (integral ? asString(got[i]) : got[i]) !== r[c]).length;
    check('polars', file, differing === 0, `${differing} values of ${c} differ`);
  }
  console.log(`${failures > before ? 'FAIL' : 'ok  '} ${file}: ${rows.length} closed windows read by Arrow JS and polars`);
}
process.exit(failures ? 1 : 0);
