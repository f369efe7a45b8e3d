// OpenSSH key formats for key pairs: generating an ed25519 key (public key as `ssh-ed25519 AAAA…
// comment`, private key in the openssh-key-v1 PEM that ssh reads), parsing imported public keys
// (ssh-ed25519, ssh-rsa ≥ 1024 bits, ecdsa-sha2-nistp256/384/521) and Nova's MD5 fingerprint.
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';

/** RFC 8410 PKCS#8 prefix of an ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const MAX_KEY_TEXT = 16_384;

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Nova's fingerprint: MD5 of the key blob in colon-separated hex (as `ssh-keygen -l -E md5`). */
export function md5Fingerprint(blob: Buffer): string {
  return (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':');
}

export interface GeneratedKey {
  readonly publicKey: string;
  readonly privateKey: string;
  readonly fingerprint: string;
}

/**
 * An ed25519 key pair from `randomBytes` (a 32-byte seed and a 4-byte check word), so tests and
 * the simulator can make it deterministic.
 */
export function generateEd25519(randomBytes: (n: number) => Buffer, comment: string): GeneratedKey {
  const seed = randomBytes(32);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const pk = spki.subarray(spki.length - 32);
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(pk)]);
  const check = randomBytes(4);
  // openssh-key-v1 (PROTOCOL.key): unencrypted, one key; the private section is padded to 8 bytes.
  let section = Buffer.concat([check, check, sshString('ssh-ed25519'), sshString(pk), sshString(Buffer.concat([seed, pk])), sshString(comment)]);
  const padding = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0', 'latin1'), sshString('none'), sshString('none'), sshString(''), uint32(1), sshString(blob), sshString(section)]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    publicKey: `ssh-ed25519 ${blob.toString('base64')} ${comment}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    fingerprint: md5Fingerprint(blob),
  };
}

/** Reads the length-prefixed fields of an SSH wire blob. */
class WireReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  string(): Buffer | undefined {
    if (this.at + 4 > this.buf.length) return undefined;
    const length = this.buf.readUInt32BE(this.at);
    if (this.at + 4 + length > this.buf.length) return undefined;
    const out = this.buf.subarray(this.at + 4, this.at + 4 + length);
    this.at += 4 + length;
    return out;
  }

  get done(): boolean {
    return this.at === this.buf.length;
  }
}

export interface ParsedPublicKey {
  /** The key line as imported (trimmed), comment included, as Nova keeps it. */
  readonly publicKey: string;
  readonly keyType: string;
  readonly fingerprint: string;
}

const CURVES: Readonly<Record<string, { readonly jwk: string; readonly bytes: number }>> = {
  nistp256: { jwk: 'P-256', bytes: 32 },
  nistp384: { jwk: 'P-384', bytes: 48 },
  nistp521: { jwk: 'P-521', bytes: 66 },
};

function unsigned(mpint: Buffer): Buffer {
  let i = 0;
  while (i < mpint.length - 1 && mpint[i] === 0) i++;
  return mpint.subarray(i);
}

/** Checks the blob's fields for its type; answers why it is invalid, or undefined. */
function blobProblem(keyType: string, wire: WireReader): string | undefined {
  if (keyType === 'ssh-ed25519') {
    const pk = wire.string();
    if (pk?.length !== 32) return 'an ed25519 key has 32 bytes';
  } else if (keyType === 'ssh-rsa') {
    const e = wire.string();
    const n = wire.string();
    if (e === undefined || n === undefined || e.length === 0 || n.length === 0 || (n[0]! & 0x80) !== 0) return 'malformed RSA key';
    const modulus = unsigned(n);
    const bits = modulus.length * 8 - Math.clz32(modulus[0]!) + 24;
    if (bits < 1024) return `an RSA key needs at least 1024 bits, this one has ${bits}`;
    try {
      createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: unsigned(e).toString('base64url') }, format: 'jwk' });
    } catch {
      return 'malformed RSA key';
    }
  } else if (keyType.startsWith('ecdsa-sha2-')) {
    const curveName = keyType.slice('ecdsa-sha2-'.length);
    const curve = Object.hasOwn(CURVES, curveName) ? CURVES[curveName] : undefined;
    const named = wire.string();
    const point = wire.string();
    if (curve === undefined || named?.toString('latin1') !== curveName || point === undefined) return 'malformed ECDSA key';
    if (point.length !== 1 + 2 * curve.bytes || point[0] !== 4) return 'an ECDSA key must be an uncompressed point of its curve';
    try {
      const x = point.subarray(1, 1 + curve.bytes).toString('base64url');
      const y = point.subarray(1 + curve.bytes).toString('base64url');
      createPublicKey({ key: { kty: 'EC', crv: curve.jwk, x, y }, format: 'jwk' });
    } catch {
      return 'the ECDSA point is not on its curve';
    }
  } else {
    return `unsupported key type ${keyType.slice(0, 40)}`;
  }
  return wire.done ? undefined : 'trailing bytes after the key';
}

/** Parses one OpenSSH public key line; answers the reason it is invalid as a string. */
export function parsePublicKey(text: string): ParsedPublicKey | string {
  if (text.length > MAX_KEY_TEXT) return `the key is longer than ${MAX_KEY_TEXT} characters`;
  const line = text.trim();
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return 'a public key is one line of printable text';
  }
  const fields = line.split(/\s+/);
  const [keyType, encoded] = fields;
  if (keyType === undefined || encoded === undefined) return 'expected "type base64 [comment]"';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return 'the key data is not base64';
  const blob = Buffer.from(encoded, 'base64');
  const wire = new WireReader(blob);
  const named = wire.string();
  if (named?.toString('latin1') !== keyType) return `the key data is not a ${keyType.slice(0, 40)} key`;
  const problem = blobProblem(keyType, wire);
  if (problem !== undefined) return problem;
  return { publicKey: line, keyType, fingerprint: md5Fingerprint(blob) };
}
