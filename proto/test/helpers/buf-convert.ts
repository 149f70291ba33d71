// Runs `buf convert` (from @bufbuild/buf) against this package's .proto tree:
// an encoder/decoder independent of protobufjs, built from our own files.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { protoDir } from '../../src/otlp-root.ts';

const bufScript = createRequire(import.meta.url).resolve('@bufbuild/buf/bin/buf');

export type BufFormat = 'json' | 'binpb';

export function bufConvert(typeName: string, input: Uint8Array, from: BufFormat, to: BufFormat): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bufScript, 'convert', protoDir, '--type', typeName, '--from', `-#format=${from}`, '--to', `-#format=${to}`],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`buf convert exited with ${code}: ${Buffer.concat(err).toString()}`));
    });
    child.stdin.end(input);
  });
}
