// Runs `cumulo up` as a real child process on free ports and reads its ready line, for the tests
// that need a real process (signals, kill -9, foreign clients).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { MqttCredentials } from '../../sdk/credentials.js';

export const CLI = join(import.meta.dirname, '..', '..', 'cli', 'main.js');

export interface CumuloProcess {
  readonly child: ChildProcess;
  readonly mqttUrl: string;
  readonly apiUrl: string;
  readonly credentials: MqttCredentials;
  /** stderr lines so far (pino JSON). */
  readonly logs: string[];
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startCumulo(dataDir: string, extraArgs: readonly string[] = [], env: Record<string, string> = {}): Promise<CumuloProcess> {
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--port', '0', '--mqtt-port', '0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CUMULO_LOG_LEVEL: 'info', ...env },
  });
  const logs: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => logs.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.startsWith('cumulo ready ')) resolve(line);
    });
    void exited.then(({ code, signal }) => reject(new Error(`cumulo up ended before ready (${code ?? signal}): ${logs.join('\n')}`)));
  });
  const mqtt = /mqtt=(\S+)/.exec(ready)?.[1];
  const api = /api=(\S+)/.exec(ready)?.[1];
  if (mqtt === undefined || api === undefined) throw new Error(`bad ready line: ${ready}`);
  const credentials = JSON.parse(readFileSync(join(dataDir, 'mqtt-credentials.json'), 'utf8')) as MqttCredentials;
  return { child, mqttUrl: mqtt, apiUrl: api, credentials, logs, exited };
}
