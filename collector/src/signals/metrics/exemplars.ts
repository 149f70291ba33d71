import { int64ToString } from '@justanalytics/proto';
import type { IExemplar } from '@justanalytics/proto';
import { doubleToJson } from '../../decode/any-value.ts';
import type { AttributeConverter } from '../../decode/any-value.ts';
import type { ExemplarJson } from '../../model/otlp-json.ts';
import { bytesToHex } from '../../model/ids.ts';
import { exemplarIdProblem } from './metric-checks.ts';

/**
 * A point's exemplars in OTLP/JSON form (hex IDs, the time and as_int as
 * decimal strings, the non-finite doubles as proto3 JSON spells them), or why
 * one of them cannot be stored. An exemplar's filtered attributes past
 * maxAttributes are dropped (an exemplar is a sample, not an identity); a
 * value in them past the limits refuses the point, as on spans.
 */
export function exemplarsToJson(exemplars: readonly IExemplar[], converter: AttributeConverter): ExemplarJson[] | string {
  const out = new Array<ExemplarJson>(exemplars.length);
  for (let i = 0; i < exemplars.length; i++) {
    const exemplar = exemplars[i] as IExemplar;
    const problem = exemplarIdProblem(exemplar);
    if (problem !== null) return problem;
    const limited = converter.attributes(exemplar.filteredAttributes);
    if (limited === null) return `exemplar ${converter.problem}`;
    const json: ExemplarJson = {
      filteredAttributes: limited.attributes,
      timeUnixNano: int64ToString(exemplar.timeUnixNano),
      spanId: bytesToHex(exemplar.spanId),
      traceId: bytesToHex(exemplar.traceId),
    };
    if (exemplar.value === 'asDouble') json.asDouble = doubleToJson(exemplar.asDouble ?? 0);
    else if (exemplar.value === 'asInt') json.asInt = exemplar.asInt === undefined ? '0' : int64ToString(exemplar.asInt);
    out[i] = json;
  }
  return out;
}
