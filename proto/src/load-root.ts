import { readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import type { Root } from 'protobufjs';

/** Folder holding the .proto tree (opentelemetry/…, google/rpc/…, justanalytics/…). */
export const protoDir = path.join(import.meta.dirname, '..');

// protobufjs serves google/protobuf/*.proto from a bundled, pre-parsed JSON
// copy whatever resolvePath says, and that copy keeps the snake_case name
// `type_url`. Parsing our own copy first and claiming its file name makes
// protobufjs skip the bundled one, so Any is lowerCamelCase like the rest.
const anyFile = 'google/protobuf/any.proto';

/** A resolved root of `files` (paths under protoDir) and everything they import. */
export function loadProtoRoot(files: readonly string[]): Root {
  const root = new protobuf.Root();
  protobuf.parse(readFileSync(path.join(protoDir, anyFile), 'utf8'), root, { keepCase: false });
  root.files.push(anyFile);
  // Imports are written relative to the tree's top (as upstream does), so
  // every file resolves against protoDir rather than against its importer.
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target));
  // keepCase false: lowerCamelCase field names, the same names OTLP/JSON uses,
  // so Type.fromObject accepts OTLP/JSON objects directly.
  root.loadSync(files as string[], { keepCase: false });
  root.resolveAll();
  return root;
}
