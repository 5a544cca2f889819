// A service's own access token for calling other services (OAuth 2 client credentials,
// RFC 6749 §4.4). Cached until shortly before it expires, and fetched once however many
// callers ask at the same moment, so a burst of outgoing calls is one token request.

export interface ServiceTokenSourceOptions {
  tokenUrl: string | URL;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for; the auth service's default when omitted. */
  scope?: string;
  /** Refresh this many seconds before expiry, so a token never expires in flight. Default 30. */
  refreshSkewSec?: number;
  /** Token request timeout. Default 2000. */
  timeoutMs?: number;
}

interface CachedToken {
  token: string;
  /** Date.now() after which the token is refreshed. */
  refreshAt: number;
}

export class ServiceTokenSource {
  readonly #url: URL;
  readonly #opts: ServiceTokenSourceOptions;
  #cached: CachedToken | null = null;
  #pending: Promise<string> | null = null;

  constructor(opts: ServiceTokenSourceOptions) {
    this.#url = new URL(opts.tokenUrl);
    this.#opts = opts;
  }

  /** A token valid for at least `refreshSkewSec` more seconds. */
  getToken(): Promise<string> {
    if (this.#cached !== null && Date.now() < this.#cached.refreshAt) {
      return Promise.resolve(this.#cached.token);
    }
    this.#pending ??= this.#fetchToken().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /** Drops the cached token, e.g. after a callee rejected it; the next getToken() fetches. */
  invalidate(): void {
    this.#cached = null;
  }

  async #fetchToken(): Promise<string> {
    const { clientId, clientSecret, scope, timeoutMs = 2_000, refreshSkewSec = 30 } = this.#opts;
    const started = Date.now();
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
          scope,
        }),
        // The body carries the secret: never replay it to wherever a redirect points.
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const timedOut = (cause as Error).name === 'TimeoutError';
      throw new Error(
        timedOut
          ? `token request to ${this.#url.href} timed out after ${timeoutMs} ms`
          : `token request to ${this.#url.href} failed: ${(cause as Error).message}`,
        { cause },
      );
    }

    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      // The auth service answers problem+json; its code (e.g. invalid-client) is the useful part.
      const code = (body as { code?: unknown } | null)?.code;
      throw new Error(
        `token request to ${this.#url.href} failed: HTTP ${res.status}` +
          (typeof code === 'string' ? ` (${code})` : ''),
      );
    }
    const { access_token: token, expires_in: expiresIn } = (body ?? {}) as Record<string, unknown>;
    if (
      typeof token !== 'string' ||
      token === '' ||
      typeof expiresIn !== 'number' ||
      !(expiresIn > 0)
    ) {
      throw new Error(`token response from ${this.#url.href} lacks access_token or expires_in`);
    }

    // Lifetime counted from when we asked, not when the answer came, to stay on the safe side.
    // A lifetime shorter than the skew would mean refetching on every call: use half of it.
    const usableSec = expiresIn > refreshSkewSec ? expiresIn - refreshSkewSec : expiresIn / 2;
    this.#cached = { token, refreshAt: started + usableSec * 1_000 };
    return token;
  }
}
