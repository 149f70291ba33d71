// Both the receivers and the query API take the same header, and must agree
// on what counts as malformed, so it is parsed in one place.
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of `Authorization: Bearer <token>`, or undefined when the header is missing or not of that form. */
export function parseBearer(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  return BEARER.exec(authorization)?.[1];
}
