/**
 * The last line of defence for "no secret reaches the page": every response body passes through
 * a scrubber that removes URL passwords (`scheme://user:password@host`), AWS access key ids, and
 * the literal secrets it was told about (the database passwords of the target), whatever text
 * carried them (an error message, a failure record, a run record).
 */

/** Literal secrets shorter than this are not searched for (see the constructor). */
export const MIN_LITERAL = 8;

export class SecretScrubber {
  readonly #secrets: string[];

  constructor(secrets: readonly (string | null | undefined)[] = []) {
    // Longest first, so a secret containing another is removed whole. Short ones are left to the
    // URL pattern: they would blank ordinary words (the embedded server's fixed local password is
    // "totes", which is also every queue's prefix).
    this.#secrets = [
      ...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_LITERAL)),
    ].sort((a, b) => b.length - a.length);
  }

  /** The literal secrets searched for (to combine scrubbers). */
  get literals(): readonly string[] {
    return this.#secrets;
  }

  /** The passwords of these connection URLs (decoded and as written). */
  static fromUrls(urls: readonly (string | null | undefined)[]): SecretScrubber {
    const secrets: string[] = [];
    for (const url of urls) {
      if (!url) continue;
      try {
        const password = new URL(url).password;
        if (password) secrets.push(password, decodeURIComponent(password));
      } catch {
        // Not a URL: nothing to learn from it.
      }
    }
    return new SecretScrubber(secrets);
  }

  scrub(text: string): string {
    let out = text
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"<>]+):[^\s@/'"<>]+@/gi, '$1:***@')
      .replace(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '$1****************');
    for (const secret of this.#secrets) out = out.split(secret).join('***');
    return out;
  }
}
