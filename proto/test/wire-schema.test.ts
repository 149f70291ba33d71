// Covers: the loaded protobufjs root against an upstream-derived snapshot of
// the OTLP v1.7.0 wire schema (fixtures/otlp-wire-schema.txt): every message,
// field number, type, label, oneof, proto3 optional, reserved number, enum
// value and rpc must match, and nothing may be missing or extra.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import protobuf from 'protobufjs';
import type { ReflectionObject } from 'protobufjs';
import { otlpRoot } from '../src/index.ts';

function facts(object: ReflectionObject, out: string[]): void {
  if (object instanceof protobuf.Type) {
    const fqn = object.fullName;
    out.push(`message ${fqn}`);
    for (const field of object.fieldsArray) {
      const type = field.resolvedType ? field.resolvedType.fullName : field.type;
      let line = `field ${fqn}.${field.name} ${field.id} ${type} ${field.repeated ? 'repeated' : 'optional'}`;
      if (field.partOf) line += ` oneof=${field.partOf.name}`;
      if (field.options?.['proto3_optional'] === true) line += ' proto3_optional';
      out.push(line);
    }
    for (const range of object.reserved ?? []) {
      if (Array.isArray(range)) out.push(`reserved ${fqn} ${range[0]}-${range[1]}`);
    }
  } else if (object instanceof protobuf.Enum) {
    for (const [name, value] of Object.entries(object.values)) out.push(`enum ${object.fullName} ${name}=${value}`);
  } else if (object instanceof protobuf.Service) {
    for (const method of object.methodsArray) {
      method.resolve();
      out.push(`rpc ${method.fullName} ${method.resolvedRequestType!.fullName} ${method.resolvedResponseType!.fullName}`);
    }
  }
  if (object instanceof protobuf.Namespace) for (const nested of object.nestedArray) facts(nested, out);
}

t.test('protobufjs root matches the upstream OTLP v1.7.0 wire schema', async (t) => {
  const text = await readFile(path.join(import.meta.dirname, 'fixtures', 'otlp-wire-schema.txt'), 'utf8');
  const expected = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).sort();

  const ours: string[] = [];
  facts(otlpRoot, ours);
  // Only google.protobuf.Any of protobufjs' bundled well-known types is part of our schema.
  const actual = ours.filter((line) => !line.includes('.google.protobuf.') || line.includes('.google.protobuf.Any')).sort();

  t.ok(expected.length > 250, 'snapshot is complete');
  t.strictSame(actual.filter((l) => !expected.includes(l)), [], 'nothing extra in our files');
  t.strictSame(expected.filter((l) => !actual.includes(l)), [], 'nothing missing from our files');
});
