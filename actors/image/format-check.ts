// Whether uploaded bytes are what the image says it is (Glance's format inspection): a qcow2
// must parse as one (checked whole by the probe), and data declared raw or iso must not be a
// disk format of another kind, since a hypervisor told "raw" must not meet a qcow2 header.
import type { ErrorValue } from '../../transports/errors.js';
import type { ProbeResult } from '../../workers/index.js';
import { ImageFormatMismatch } from './errors.js';
import type { DiskFormatName } from './image-record.js';

const CONTAINERS_OF_DISKS = new Set(['qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi']);

/** The virtual size to record, or IMAGE_FORMAT_MISMATCH. */
export function checkFormat(declared: DiskFormatName, probe: ProbeResult): { readonly virtualSize: number | null } | ErrorValue {
  const detected = probe.format;
  const mismatch = (): ErrorValue =>
    ImageFormatMismatch(`Image data is ${detected}, but the image's disk_format is ${declared}.`, { declared, detected });
  switch (declared) {
    case 'qcow2':
      return detected === 'qcow2' ? { virtualSize: probe.virtualSize } : mismatch();
    case 'raw':
    case 'iso':
      return CONTAINERS_OF_DISKS.has(detected) ? mismatch() : { virtualSize: probe.fileSize };
    default:
      // Formats cumulo does not parse: refuse only bytes that are clearly another format.
      return CONTAINERS_OF_DISKS.has(detected) && detected !== declared ? mismatch() : { virtualSize: detected === declared ? probe.virtualSize : null };
  }
}
