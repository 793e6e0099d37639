import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DEFAULT_TOPIC_PREFIX } from '../fleet-protocol/index.js';

/**
 * Who may connect to the embedded broker and what each may do: the rules of the Mosquitto ACL
 * template (seeds/mosquitto/acl), so the demo is closed the way a fleet's broker is. Nobody
 * connects anonymously. A kiosk logs in with its kioskId as user name and publishes only its
 * own reports, reads only its own commands and payment acks; `fleet` (the ledger, the view,
 * `kioskd fleet cmd`) reads every kiosk and is the only one that sends commands and acks.
 *
 * Passwords are made at each start from a random secret (HMAC of the user name), so any kiosk
 * id has one without a list, and only this process can hand them out: the daemon gives the
 * kiosk's to its fleet link and the fleet's to its ledger in memory.
 */

/** The fleet's user name; the Mosquitto template reserves the same one. */
export const FLEET_USERNAME = 'fleet';

/** What a kiosk publishes under its own id (the template's `pattern write` lines). */
const KIOSK_WRITES = ['status', 'health', 'alert', 'alerts', 'payment', 'collection', 'cmd/result', 'event'];
/** What a kiosk reads under its own id (the template's `pattern read` lines). */
const KIOSK_READS = ['cmd', 'payment/ack'];
/** What the fleet publishes to any kiosk. */
const FLEET_WRITES = ['cmd', 'payment/ack'];

export interface BrokerCredentials {
  readonly username: string;
  readonly password: string;
}

export type BrokerIdentity = { role: 'fleet' } | { role: 'kiosk'; kioskId: string };

export class BrokerAccess {
  readonly #secret = randomBytes(32);
  readonly #prefix: string;

  constructor(topicPrefix: string = DEFAULT_TOPIC_PREFIX) {
    this.#prefix = topicPrefix;
  }

  get fleetCredentials(): BrokerCredentials {
    return { username: FLEET_USERNAME, password: this.#passwordOf(FLEET_USERNAME) };
  }

  /** The login of kiosk `kioskId`; throws for a name that is not one topic level or is `fleet`. */
  credentialsFor(kioskId: string): BrokerCredentials {
    if (!isKioskUsername(kioskId)) {
      throw new TypeError(`"${kioskId}" cannot be a kiosk's user name on the embedded broker`);
    }
    return { username: kioskId, password: this.#passwordOf(kioskId) };
  }

  /** The identity a CONNECT proves, or undefined for anonymous, unknown or a wrong password. */
  authenticate(username: string | undefined, password: Buffer | undefined): BrokerIdentity | undefined {
    if (username === undefined || password === undefined) return undefined;
    if (username !== FLEET_USERNAME && !isKioskUsername(username)) return undefined;
    const expected = Buffer.from(this.#passwordOf(username));
    if (password.length !== expected.length || !timingSafeEqual(password, expected)) return undefined;
    return username === FLEET_USERNAME ? { role: 'fleet' } : { role: 'kiosk', kioskId: username };
  }

  mayPublish(identity: BrokerIdentity, topic: string): boolean {
    const parsed = this.#kioskTopic(topic);
    if (parsed === undefined) return false;
    if (identity.role === 'fleet') return FLEET_WRITES.includes(parsed.kind);
    return parsed.kioskId === identity.kioskId && KIOSK_WRITES.includes(parsed.kind);
  }

  /**
   * A kiosk subscribes to its own two topics, spelled out (no wildcard); the fleet to any filter
   * inside the prefix, shared (`$share/group/...`) or not.
   */
  maySubscribe(identity: BrokerIdentity, filter: string): boolean {
    if (identity.role === 'kiosk') {
      const parsed = this.#kioskTopic(filter);
      return parsed !== undefined && parsed.kioskId === identity.kioskId && KIOSK_READS.includes(parsed.kind);
    }
    const plain = filter.startsWith('$share/') ? filter.split('/').slice(2).join('/') : filter;
    return plain === `${this.#prefix}/#` || plain.startsWith(`${this.#prefix}/`);
  }

  #kioskTopic(topic: string): { kioskId: string; kind: string } | undefined {
    if (!topic.startsWith(`${this.#prefix}/`)) return undefined;
    const [kioskId, ...rest] = topic.slice(this.#prefix.length + 1).split('/');
    if (kioskId === undefined || !isKioskUsername(kioskId) || rest.length === 0) return undefined;
    return { kioskId, kind: rest.join('/') };
  }

  #passwordOf(username: string): string {
    return createHmac('sha256', this.#secret).update(username).digest('base64url');
  }
}

function isKioskUsername(name: string): boolean {
  return name.length > 0 && name !== FLEET_USERNAME && !/[/+#\s\0$]/.test(name);
}
