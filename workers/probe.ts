// Probing an image file: which format its bytes are (by magic, as QEMU's and Glance's format
// inspectors do), and for raw and qcow2 the virtual size. A qcow2 is checked whole (see
// qcow2-reader.ts), so a probe that answers qcow2 means the file can be converted.
import { ImageFile } from './image-file.js';
import type { DetectedFormat, ImageLimits, ProbeResult } from './image-formats.js';
import { QCOW2_MAGIC } from './qcow2-header.js';
import { Qcow2Source } from './qcow2-reader.js';

/** Magic numbers of formats cumulo recognises but does not parse. */
function otherFormat(file: ImageFile, head: Buffer): DetectedFormat | undefined {
  const ascii = (at: number, length: number): string => head.toString('latin1', at, at + length);
  if (ascii(0, 4) === 'KDMV' || ascii(0, 21) === '# Disk DescriptorFile') return 'vmdk';
  if (ascii(0, 8) === 'vhdxfile') return 'vhdx';
  if (head.length >= 0x44 && head.readUInt32LE(0x40) === 0xbeda107f) return 'vdi';
  if (ascii(0, 8) === 'conectix') return 'vhd';
  if (file.size >= 512) {
    const footer = Buffer.alloc(8);
    file.readInto(footer, 0, 8, file.size - 512);
    if (footer.toString('latin1') === 'conectix') return 'vhd';
  }
  if (file.size >= 0x8006) {
    const iso = Buffer.alloc(5);
    file.readInto(iso, 0, 5, 0x8001);
    if (iso.toString('latin1') === 'CD001') return 'iso';
  }
  return undefined;
}

export function probeImage(path: string, limits: ImageLimits): ProbeResult {
  const file = ImageFile.open(path);
  try {
    const head = Buffer.alloc(Math.min(file.size, 512));
    file.readInto(head, 0, head.length, 0);
    if (head.length >= 4 && head.readUInt32BE(0) === QCOW2_MAGIC) {
      const qcow2 = Qcow2Source.open(path, limits);
      try {
        return { format: 'qcow2', virtualSize: qcow2.virtualSize, fileSize: qcow2.fileSize, clusterSize: qcow2.header.clusterSize, compressed: qcow2.compressed };
      } finally {
        qcow2.close();
      }
    }
    const other = otherFormat(file, head);
    if (other !== undefined) return { format: other, virtualSize: other === 'iso' ? file.size : null, fileSize: file.size };
    return { format: 'raw', virtualSize: file.size, fileSize: file.size };
  } finally {
    file.close();
  }
}
