// warcio_verify.mjs reads WARC files with warcio.js and checks every
// record's WARC-Block-Digest and WARC-Payload-Digest itself, with node's
// crypto, whatever algorithm and encoding the field uses. It prints one JSON
// object: {"files": [{"file", "records": [...]}]}.
//
// Usage: node warcio_verify.mjs WARCIO_DIR FILE...
// where WARCIO_DIR holds node_modules/warcio.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [warcioDir, ...files] = process.argv.slice(2);
const { WARCParser } = await import(
  pathToFileURL(join(warcioDir, "node_modules", "warcio", "dist", "index.js")).href
);

const algorithms = { sha1: ["sha1", 20], sha256: ["sha256", 32], sha512: ["sha512", 64] };

function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.toUpperCase().replace(/=+$/, "")) {
    const i = alphabet.indexOf(c);
    if (i < 0) return null;
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// check compares the digest field value with the hash of bytes and returns
// {field, ok, computed} or, without a field, null.
function check(field, bytes) {
  if (!field) return null;
  const colon = field.indexOf(":");
  if (colon < 0) return { field, ok: false, error: "no algorithm label" };
  const label = field.slice(0, colon).toLowerCase().replace("-", "");
  const value = field.slice(colon + 1);
  const alg = algorithms[label];
  if (!alg) return { field, ok: false, error: "unsupported algorithm" };
  const [name, size] = alg;
  const sum = createHash(name).update(bytes).digest();
  const candidates = [];
  if (/^[0-9a-f]+$/i.test(value)) candidates.push(Buffer.from(value, "hex"));
  candidates.push(base32(value));
  candidates.push(Buffer.from(value, "base64"));
  const ok = candidates.some((c) => c && c.length === size && c.equals(sum));
  return { field, ok, computed: `${name}:${sum.toString("hex")}` };
}

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

// The payload of an HTTP block is what follows its head.
function payloadOf(type, block) {
  if (type !== "request" && type !== "response") return block;
  const end = block.indexOf("\r\n\r\n");
  return end < 0 ? Buffer.alloc(0) : block.subarray(end + 4);
}

async function readFile(file) {
  // First pass: the raw blocks, as warcio frames them.
  const records = [];
  let parser = new WARCParser(createReadStream(file), { parseHttp: false });
  for await (const record of parser) {
    const offset = parser.offset;
    const block = Buffer.from(await record.readFully(false));
    const type = record.warcType;
    const payload = payloadOf(type, block);
    records.push({
      offset,
      type,
      id: record.warcHeader("WARC-Record-ID"),
      targetURI: record.warcTargetURI ?? "",
      contentType: record.warcContentType ?? "",
      contentLength: record.warcContentLength,
      blockLength: block.length,
      concurrentTo: record.warcHeaders.headers.get("WARC-Concurrent-To") ?? "",
      truncated: record.warcHeader("WARC-Truncated") ?? "",
      blockDigest: check(record.warcBlockDigest, block),
      payloadDigest: check(record.warcPayloadDigest, payload),
      payloadSHA256: sha256(payload),
    });
  }

  // Second pass: warcio's own HTTP parsing, whose payload must be ours.
  let i = 0;
  parser = new WARCParser(createReadStream(file));
  for await (const record of parser) {
    const r = records[i++];
    if (!r) throw new Error("second pass found more records");
    if (record.httpHeaders) {
      const payload = Buffer.from(await record.readFully(false));
      r.http = { statusline: record.httpHeaders.statusline, payloadSHA256: sha256(payload) };
      if (r.type === "response") r.http.status = record.httpHeaders.statusCode;
      if (r.type === "request") r.http.method = record.httpHeaders.method;
    }
  }
  if (i !== records.length) throw new Error("second pass found fewer records");
  return { file, records };
}

const out = { files: [] };
for (const file of files) out.files.push(await readFile(file));
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
