// Runs `cumulo up` as a real child process on free ports and reads its ready line, for the tests
// that need a real process (signals, kill -9, foreign clients).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readAdminCredentials, type AdminCredentials } from '../../sdk/openrc.js';
import { Session } from '../../sdk/session.js';
import { wallClock } from '../../transports/clock.js';
import { connectMqtt } from '../../transports/mqtt-transport.js';

export const CLI = join(import.meta.dirname, '..', '..', 'cli', 'main.js');

export interface CumuloProcess {
  readonly child: ChildProcess;
  readonly mqttUrl: string;
  readonly apiUrl: string;
  readonly credentials: AdminCredentials;
  /** MQTT login of the admin: username `admin@admin`, the admin's password. */
  readonly mqttLogin: { readonly username: string; readonly password: string };
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
  const credentials = readAdminCredentials(dataDir);
  if (credentials === undefined) throw new Error(`no openrc in ${dataDir} after ready`);
  const mqttLogin = { username: `${credentials.userName}@${credentials.projectName}`, password: credentials.password };
  return { child, mqttUrl: mqtt, apiUrl: api, credentials, mqttLogin, logs, exited };
}

/** An admin session over MQTT with a real cumulo up: logs in with the openrc password. */
export async function adminSession(proc: CumuloProcess, clientId: string, options: { readonly timeoutMs?: number; readonly reconnectPeriodMs?: number } = {}): Promise<Session> {
  const transport = await connectMqtt({
    url: proc.mqttUrl,
    clientId,
    ...proc.mqttLogin,
    ...(options.reconnectPeriodMs === undefined ? {} : { reconnectPeriodMs: options.reconnectPeriodMs }),
  });
  const login = { username: proc.credentials.userName, password: proc.credentials.password, projectName: proc.credentials.projectName };
  const session = await Session.open({ transport, clock: wallClock, login, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
  if (!session.ok) throw new Error(`admin login failed: ${session.error.code} ${session.error.message}`);
  return session.value;
}
