/**
 * The page's link to the daemon: the event stream (full state on every connect) and the
 * token-carrying requests. The daemon's token changes at every boot, so after a reconnect the
 * page re-reads it from the page the daemon now serves before it changes anything.
 */

const RETRY_MS = 1500;

function readMeta(doc, name) {
  return doc.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
}

export class KioskLink {
  #token = readMeta(document, 'kiosk-api-token');
  #source = null;
  #language;
  #handlers;
  #everConnected = false;
  #retryTimer = null;

  /** handlers: { onEvent(type, data), onConnection(state: 'connecting'|'open'|'lost') } */
  constructor(language, handlers) {
    this.#language = language;
    this.#handlers = handlers;
  }

  get timeouts() {
    try {
      return JSON.parse(readMeta(document, 'kiosk-screen-timeouts'));
    } catch {
      return { accountEntryMs: 120000, idleCompleteMs: 60000 };
    }
  }

  setLanguage(language) {
    this.#language = language;
    this.connect();
  }

  connect() {
    this.#source?.close();
    clearTimeout(this.#retryTimer);
    this.#handlers.onConnection(this.#everConnected ? 'lost' : 'connecting');
    const source = new EventSource(`/api/v1/events?lang=${encodeURIComponent(this.#language)}`);
    this.#source = source;
    const types = [
      'snapshot',
      'kiosk.mode',
      'device.status',
      'topup.state',
      'topup.note',
      'topup.noteReturned',
      'topup.noteRejected',
      'topup.done',
      'topup.error',
      'balanceQuery.state',
    ];
    for (const type of types) {
      source.addEventListener(type, (event) => {
        if (source !== this.#source) return;
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        if (type === 'snapshot') void this.#onSnapshot(data);
        else this.#handlers.onEvent(type, data);
      });
    }
    source.onerror = () => {
      if (source !== this.#source) return;
      this.#handlers.onConnection('lost');
      // EventSource retries a dropped stream by itself, but gives up on an HTTP error answer
      // (a daemon still starting): then we open a new one.
      if (source.readyState === EventSource.CLOSED) {
        this.#retryTimer = setTimeout(() => this.connect(), RETRY_MS);
      }
    };
  }

  async #onSnapshot(data) {
    if (this.#everConnected) await this.#refreshToken();
    this.#everConnected = true;
    this.#handlers.onConnection('open');
    this.#handlers.onEvent('snapshot', data);
  }

  /** A restarted daemon has a new token: read it from the page it serves now. */
  async #refreshToken() {
    try {
      const response = await fetch('/', { cache: 'no-store' });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      const token = readMeta(doc, 'kiosk-api-token');
      if (token !== '') this.#token = token;
      const timeouts = readMeta(doc, 'kiosk-screen-timeouts');
      if (timeouts !== '')
        document.querySelector('meta[name="kiosk-screen-timeouts"]')?.setAttribute('content', timeouts);
    } catch {
      // The stream is back, so the next attempt will succeed; a request meanwhile gets a 401.
    }
  }

  /** A read (GET, no token): { ok, status, body }. */
  async read(path) {
    try {
      const response = await fetch(`/api/v1${path}?lang=${encodeURIComponent(this.#language)}`, {
        cache: 'no-store',
      });
      return { ok: response.ok, status: response.status, body: await response.json().catch(() => null) };
    } catch {
      return { ok: false, status: 0, body: null };
    }
  }

  /**
   * A state-changing request: { ok, status, body }. Never throws for an HTTP answer. `headers`
   * adds to the token's (the service page's technician session).
   */
  async send(method, path, body = {}, headers = {}) {
    const url = `/api/v1${path}${path.includes('?') ? '&' : '?'}lang=${encodeURIComponent(this.#language)}`;
    try {
      const response = await fetch(url, {
        method,
        headers: { ...headers, 'content-type': 'application/json', authorization: `Bearer ${this.#token}` },
        body: JSON.stringify(body),
      });
      let parsed = null;
      try {
        parsed = await response.json();
      } catch {
        parsed = null;
      }
      if (response.status === 401) await this.#refreshToken();
      return { ok: response.ok, status: response.status, body: parsed };
    } catch {
      return { ok: false, status: 0, body: null };
    }
  }
}
