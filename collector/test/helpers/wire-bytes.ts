// Protobuf and OTLP/JSON bodies written by hand for the decode-limit tests
// (not a test file itself): what protobufjs' encoder refuses to write (values
// nested past its depth limit) or would take long to build as objects (tens
// of millions of empty attributes).

export function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

export function lengthDelimited(tag: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), varint(payload.length), payload]);
}

/** One span (valid IDs) with these encoded attributes (span field 9), under one resource and scope. */
export function spanRequest(encodedAttributes: Buffer): Buffer {
  const span = Buffer.concat([lengthDelimited(0x0a, Buffer.alloc(16, 1)), lengthDelimited(0x12, Buffer.alloc(8, 2)), encodedAttributes]);
  return lengthDelimited(0x0a, lengthDelimited(0x12, lengthDelimited(0x12, span)));
}

/** An ExportTraceServiceRequest whose one span has an attribute nested `levels` arrays deep. */
export function deepProtobufRequest(levels: number): Buffer {
  let value: Buffer = Buffer.from([0x0a, 0x01, 0x78]); // string_value "x"
  for (let i = 1; i < levels; i++) value = lengthDelimited(0x2a, lengthDelimited(0x0a, value));
  const keyValue = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b]), lengthDelimited(0x12, value)]);
  return spanRequest(lengthDelimited(0x4a, keyValue));
}

/** One span with `count` empty attributes (2 bytes each: the attribute's tag and a zero length). */
export function emptyAttributesProtobuf(count: number): Buffer {
  const attributes = Buffer.alloc(count * 2);
  for (let i = 0; i < attributes.length; i += 2) attributes[i] = 0x4a;
  return spanRequest(attributes);
}

/** The same in OTLP/JSON: `{}` for each attribute, 3 bytes with its comma. */
export function emptyAttributesJson(count: number): Buffer {
  const head = '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01010101010101010101010101010101","spanId":"0202020202020202","attributes":[';
  const items = count === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.alloc((count - 1) * 3, '{},'), Buffer.from('{}')]);
  return Buffer.concat([Buffer.from(head), items, Buffer.from(']}]}]}]}')]);
}
