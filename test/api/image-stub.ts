// A stand-in for the image service's actors (api/image/contract.ts), registered on a test
// fabric until actors/image lands: `image/<id>` answers show, `image-index/global` answers list (by name only).
// Images are seeded by the test; the real actor owns uploads.
import { randomUUID } from 'node:crypto';
import { defineKind, refuse } from '../../supervision/index.js';
import type { ActorSystem } from '../../supervision/index.js';
import { NotFound, Unauthorized } from '../../transports/errors.js';
import { IMAGE_KIND, IMAGES_KIND, type ImageView } from '../../api/image/contract.js';

export function cirrosView(owner = 'admin', at = Date.now()): ImageView {
  return {
    id: randomUUID(),
    name: 'cirros',
    status: 'active',
    visibility: 'public',
    protected: false,
    osHidden: false,
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    minDisk: 0,
    minRam: 0,
    size: 196_608,
    virtualSize: 117_440_512,
    checksum: 'd41d8cd98f00b204e9800998ecf8427e',
    osHashAlgo: 'sha512',
    osHashValue: '0'.repeat(128),
    owner,
    tags: [],
    properties: { hw_disk_bus: 'virtio' },
    createdAt: at,
    updatedAt: at,
  };
}

export function registerImageStub(system: ActorSystem, seeded: readonly ImageView[]): void {
  const byId = new Map(seeded.map((i) => [i.id, i]));
  const authed = (caller: unknown) => caller !== null && caller !== undefined;
  const image = defineKind<null, { type: 'show'; caller?: unknown }, ImageView>({
    name: IMAGE_KIND,
    messageTypes: { show: true },
    initialState: null,
    async handle(ctx, msg) {
      if (!authed(msg.caller)) return refuse(Unauthorized('this request needs a token'));
      const found = byId.get(ctx.id);
      return found ?? refuse(NotFound(`no image ${ctx.id}`));
    },
  });
  const catalog = defineKind<null, { type: 'list'; caller?: unknown; name?: string }, { images: readonly ImageView[]; next: null }>({
    name: IMAGES_KIND,
    messageTypes: { list: true },
    initialState: null,
    async handle(_ctx, msg) {
      if (!authed(msg.caller)) return refuse(Unauthorized('this request needs a token'));
      return { images: [...byId.values()].filter((i) => msg.name === undefined || i.name === msg.name), next: null };
    },
  });
  for (const r of [system.register(image), system.register(catalog)]) if (!r.ok) throw new Error(r.error.message);
}
