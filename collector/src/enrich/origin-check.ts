/**
 * Whether a browser event may be accepted for a site: the request's Origin
 * (or, when the browser sent none, the page URL's host) is one of the site's
 * domains or a subdomain of one. A site with no domains accepts any origin.
 * An opaque origin ('null': sandboxed frames, file: pages) matches no domain.
 */
export function originAllowed(originHeader: string | undefined, pageHostname: string, domains: readonly string[]): boolean {
  if (domains.length === 0) return true;
  let host = pageHostname.toLowerCase();
  if (originHeader !== undefined) {
    try {
      host = new URL(originHeader).hostname.toLowerCase();
    } catch {
      return false;
    }
  }
  host = host.replace(/\.$/, '');
  if (host === '') return false;
  return domains.some((domain) => {
    const allowed = domain.trim().toLowerCase().replace(/\.$/, '');
    return allowed !== '' && (host === allowed || host.endsWith(`.${allowed}`));
  });
}
