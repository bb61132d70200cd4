// Reads every fixture back with Arrow JS and checks that it is what manifest.json says: framing, the
// compression codec really applied to the bodies, the device column's Arrow type, the timestamp unit and
// zone, batch and row counts. Run after generate.mjs: `node verify.mjs`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as arrow from 'apache-arrow';
import lz4 from 'lz4js';
import { decompress as zstdDecompress } from 'fzstd';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../resources/fixtures');

// Counting codecs: a fixture said to be compressed must make its codec run.
const decoded = { lz4: 0, zstd: 0 };
arrow.compressionRegistry.set(arrow.CompressionType.LZ4_FRAME, {
  decode: (data) => { decoded.lz4++; return Uint8Array.from(lz4.decompress(data)); },
});
arrow.compressionRegistry.set(arrow.CompressionType.ZSTD, {
  decode: (data) => { decoded.zstd++; return zstdDecompress(data); },
});

const TYPE_NAMES = {
  [arrow.Type.Utf8]: 'Utf8', [arrow.Type.LargeUtf8]: 'LargeUtf8', [arrow.Type.Dictionary]: 'Dictionary',
  [arrow.Type.Utf8View ?? -999]: 'Utf8View',
};
const UNITS = { [arrow.TimeUnit.SECOND]: 's', [arrow.TimeUnit.MILLISECOND]: 'ms', [arrow.TimeUnit.MICROSECOND]: 'us', [arrow.TimeUnit.NANOSECOND]: 'ns' };

let failures = 0;
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
for (const entry of manifest) {
  const problems = [];
  const bytes = fs.readFileSync(path.join(dir, entry.file));
  const isFile = bytes.subarray(0, 6).toString('latin1') === 'ARROW1';
  if ((entry.framing === 'file') !== isFile) problems.push(`framing: expected ${entry.framing}`);
  decoded.lz4 = 0; decoded.zstd = 0;
  let table;
  try {
    table = arrow.tableFromIPC(bytes);
  } catch (e) {
    problems.push(`Arrow JS cannot read it: ${e.message}`);
  }
  if (table) {
    const device = table.schema.fields.find((f) => f.name === 'device');
    const ts = table.schema.fields.find((f) => f.name === 'ts');
    const deviceType = TYPE_NAMES[device.type.typeId] ?? String(device.type);
    if (deviceType !== entry.deviceType) problems.push(`device type ${deviceType}, manifest says ${entry.deviceType}`);
    const valueType = deviceType === 'Dictionary' ? TYPE_NAMES[device.type.dictionary.typeId] : null;
    if (valueType !== entry.dictionaryValueType) problems.push(`dictionary values ${valueType}, manifest says ${entry.dictionaryValueType}`);
    // Independent of the Java side: the first row's timestamp as Arrow JS reads it, in the fixture's unit.
    const firstTs = table.getChild('ts').data[0].values[0];
    const factor = { s: 1_000_000n, ms: 1_000n, us: 1n }[entry.tsUnit];
    const firstMicros = entry.tsUnit === 'ns' ? BigInt(firstTs) / 1000n : BigInt(firstTs) * factor;
    // lz4js misreads polars' LZ4 frames (values come out shifted), though the Java decoder reads them
    // right (ForeignWriterFixturesTest), so that one check is left to Java.
    const jsCanRead = !(entry.compression === 'lz4' && entry.writer.startsWith('polars'));
    if (jsCanRead && entry.expect.firstRow.ts !== null && firstMicros.toString() !== entry.expect.firstRow.ts) {
      problems.push(`first ts ${firstMicros} µs, manifest says ${entry.expect.firstRow.ts}`);
    }
    if (UNITS[ts.type.unit] !== entry.tsUnit) problems.push(`ts unit ${UNITS[ts.type.unit]}, manifest says ${entry.tsUnit}`);
    if ((ts.type.timezone ?? null) !== entry.tz) problems.push(`ts zone ${ts.type.timezone}, manifest says ${entry.tz}`);
    if (table.batches.length !== entry.batches) problems.push(`${table.batches.length} batches, manifest says ${entry.batches}`);
    if (table.numRows !== entry.expect.rows) problems.push(`${table.numRows} rows, manifest says ${entry.expect.rows}`);
    const codecRuns = entry.compression === 'none' ? decoded.lz4 + decoded.zstd : decoded[entry.compression];
    if (entry.compression === 'none' ? codecRuns !== 0 : codecRuns === 0) {
      problems.push(`compression: ${entry.compression} expected, codec runs lz4=${decoded.lz4} zstd=${decoded.zstd}`);
    }
  }
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${entry.file}${problems.length ? ': ' + problems.join('; ') : ''}`);
  failures += problems.length ? 1 : 0;
}
process.exit(failures ? 1 : 0);
