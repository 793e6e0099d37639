import type { KioskView } from '../../src/fleet/fleet-state.js';
import { FleetView } from '../../src/fleet/fleet-view.js';
import { kioskTopics, type StatusPayload } from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import { type E2eRig, type KioskChild, waitUntil } from './fleet-e2e-rig.js';
import { connectWithCertificate, type RecordingClient, record } from './raw-mqtt.js';

/**
 * The fleet's side of a Last Will test: the real fleet view (src/fleet/fleet-view.ts) and a
 * raw recorder of every status and command result in arrival order, both as `fleet`.
 */
export interface FleetWatch {
  view: FleetView;
  recorder: RecordingClient;
  /** Another view, as one started later would be (closed by close()). */
  connectView(): Promise<FleetView>;
  kioskIn(kioskId: string, on?: FleetView): KioskView | undefined;
  viewShows(kioskId: string, state: 'online' | 'offline', epoch: number, on?: FleetView): Promise<void>;
  /** The statuses received for a kiosk, in arrival order, as "state@epoch". */
  statusTrail(kioskId: string): string[];
  close(): Promise<void>;
}

export async function watchFleet(rig: E2eRig): Promise<FleetWatch> {
  const views: FleetView[] = [];
  const connectView = async () => {
    const view = await FleetView.connect({
      broker: {
        url: rig.broker.tlsUrl,
        protocolVersion: 5,
        ca: rig.pki.ca,
        cert: rig.pki.fleet.cert,
        key: rig.pki.fleet.key,
      },
      logger: silentLogger(),
    });
    views.push(view);
    return view;
  };
  const view = await connectView();
  const client = await connectWithCertificate(rig.broker, rig.pki, rig.pki.fleet, {
    clientId: 'status-recorder',
  });
  const recorder = record(client);
  await client.subscribeAsync(['kiosk/v1/+/status', 'kiosk/v1/+/cmd/result'], { qos: 1 });
  const kioskIn = (kioskId: string, on: FleetView = view) =>
    on.snapshot().kiosks.find((k) => k.kioskId === kioskId);
  return {
    view,
    recorder,
    connectView,
    kioskIn,
    viewShows: (kioskId, state, epoch, on = view) =>
      waitUntil(
        () => {
          const kiosk = kioskIn(kioskId, on);
          return kiosk?.state === state && kiosk.epoch === epoch;
        },
        10_000,
        `the view to show ${kioskId} ${state} at epoch ${epoch} (it shows ${JSON.stringify(kioskIn(kioskId, on))})`,
      ),
    statusTrail: (kioskId) =>
      recorder.received
        .filter((m) => m.topic === kioskTopics(kioskId).status && m.payload.length > 0)
        .map((m) => JSON.parse(m.payload) as StatusPayload)
        .map((s) => `${s.state}@${s.epoch}`),
    async close() {
      await Promise.all(views.map((v) => v.close()));
      await recorder.end();
    },
  };
}

export async function connectedEpoch(child: KioskChild): Promise<number> {
  return (await child.waitForEvent((e) => e.event === 'connected', 20_000))['epoch'] as number;
}
