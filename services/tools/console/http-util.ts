/** HTTP plumbing of the console's server: response headers, errors with a status, form bodies. */
import type { IncomingMessage } from 'node:http';

const MAX_FORM_BYTES = 16 * 1024;

/**
 * The page's stylesheet is inlined (one render-blocking request less before the first paint) and
 * allowed by its hash: no other style, and no script but the console's own file, can run.
 */
export function securityHeaders(styleHash: string): Record<string, string> {
  return {
    'Content-Security-Policy': `default-src 'none'; style-src '${styleHash}'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    ...OTHER_HEADERS,
  };
}

const OTHER_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the form
  // POSTs, and the CSRF check refuses any Origin but this console's.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface Reply {
  readonly status?: number;
  readonly type?: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

export function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    return Promise.reject(new HttpError(415, 'send the form as application/x-www-form-urlencoded'));
  }
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new HttpError(413, 'form too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    request.on('error', reject);
  });
}
