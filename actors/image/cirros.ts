// The fabric's built-in image, `cirros`: a small, real qcow2 the fabric writes itself with its
// own writer (CirrOS' 112 MiB virtual size; a boot sector with an MBR partition table and a note
// saying what it is), registered public and active in the admin project at first start. The
// bytes are the same at every start, so the image's checksum is too. Idempotent.
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok, type Result } from '../../transports/errors.js';
import { SYSTEM_CALLER } from '../identity/caller.js';
import type { ImageView } from './image-record.js';
import type { ImageService } from './image-service.js';

export const CIRROS_NAME = 'cirros';
/** CirrOS 0.6's virtual size. */
export const CIRROS_VIRTUAL_SIZE = 112 * 1024 * 1024;

/** The first sector: a note, one Linux partition from sector 2048 to the end, the boot signature. */
export function cirrosBootSector(): Buffer {
  const sector = Buffer.alloc(512);
  sector.write('cumulo built-in test image: a stand-in for CirrOS, not bootable\n', 0, 'latin1');
  const entry = 446;
  sector[entry + 4] = 0x83;
  sector.writeUInt32LE(2048, entry + 8);
  sector.writeUInt32LE(CIRROS_VIRTUAL_SIZE / 512 - 2048, entry + 12);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** A few bytes in the partition, so the image has more than one data cluster. */
function partitionNote(): Buffer {
  return Buffer.from('cumulo cirros partition: empty ext4 stand-in\n'.repeat(64), 'latin1');
}

export interface CirrosOptions {
  /** The project that owns it (the admin project of the identity bootstrap). */
  readonly ownerProjectId: string;
}

/** Registers cirros once: an active public image named cirros in the owner project is kept; leftovers of a failed start are removed. */
export async function ensureCirros(service: ImageService, options: CirrosOptions): Promise<Result<ImageView>> {
  const caller = SYSTEM_CALLER;
  const existing = await service.list(caller, { name: CIRROS_NAME, owner: options.ownerProjectId, visibility: 'public', limit: 1000 });
  if (!existing.ok) return existing;
  const active = existing.value.images.find((i) => i.status === 'active');
  if (active !== undefined) return ok(active);
  for (const leftover of existing.value.images) {
    const removed = await service.delete(caller, leftover.id);
    if (!removed.ok) return removed;
  }
  const created = await service.create(caller, {
    name: CIRROS_NAME,
    owner: options.ownerProjectId,
    visibility: 'public',
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    minDisk: 1,
    properties: { os_distro: 'cirros', description: 'cumulo built-in test image (a qcow2 written by the fabric)' },
  });
  if (!created.ok) return created;
  const file = join(service.store.staging, `cirros-${created.value.id}.qcow2`);
  try {
    const written = await service.pool.createImage({
      path: file,
      format: 'qcow2',
      virtualSize: CIRROS_VIRTUAL_SIZE,
      data: [
        { offset: 0, bytes: cirrosBootSector() },
        { offset: 2048 * 512, bytes: partitionNote() },
      ],
    });
    if (!written.ok) return err(written.error);
    return await service.upload({ caller, imageId: created.value.id, body: createReadStream(file, { highWaterMark: 1024 * 1024 }) });
  } finally {
    await rm(file, { force: true });
  }
}
