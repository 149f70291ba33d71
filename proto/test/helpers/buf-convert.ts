// Runs `buf convert` against this package's .proto tree: an encoder/decoder
// independent of protobufjs, built from our own files. The binary comes from
// buf's per-platform npm package (an optional dependency of the root package):
// the registry this project installs from does not carry every platform of the
// @bufbuild/buf wrapper, which would leave `npm ci` unable to use the lockfile.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { protoDir } from '../../src/otlp-root.ts';

const bufBinary = createRequire(import.meta.url).resolve(`@bufbuild/buf-${platform()}-${arch()}/bin/buf`);

export type BufFormat = 'json' | 'binpb';

export function bufConvert(typeName: string, input: Uint8Array, from: BufFormat, to: BufFormat): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      bufBinary,
      ['convert', protoDir, '--type', typeName, '--from', `-#format=${from}`, '--to', `-#format=${to}`],
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
