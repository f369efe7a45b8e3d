// Credentials of a data dir: the MQTT user that clients (the CLI, foreign MQTT clients) connect
// as until the identity service issues tokens. Made once, with a random password, in a file only
// the owner can read; never a fixed default.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MqttCredentials {
  readonly username: string;
  readonly password: string;
  readonly projectId: string;
}

export const CREDENTIALS_FILE = 'mqtt-credentials.json';

function isCredentials(x: unknown): x is MqttCredentials {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  return typeof c.username === 'string' && typeof c.password === 'string' && typeof c.projectId === 'string';
}

/** Reads the data dir's credentials, creating them (mode 0600) on first use. */
export function loadOrCreateCredentials(dataDir: string): MqttCredentials {
  const file = join(dataDir, CREDENTIALS_FILE);
  if (existsSync(file)) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!isCredentials(parsed)) throw new Error(`${file} is not a cumulo credentials file; move it away to have a new one made`);
    return parsed;
  }
  const created: MqttCredentials = { username: 'admin', password: randomBytes(18).toString('base64url'), projectId: 'admin' };
  writeFileSync(file, JSON.stringify(created, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return created;
}
