// Runs Debian's mosquitto 2 as an external broker for tests, on a free loopback port with
// set_tcp_nodelay on, and optionally a password file and ACL file. restart() keeps the port.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MosquittoOptions {
  /** user → password; when given, anonymous clients are refused. */
  readonly users?: Readonly<Record<string, string>>;
  /** Text of a mosquitto ACL file (see docs/mqtt-security.md). */
  readonly acl?: string;
}

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when mosquitto logs that it is running (it logs after its listeners are open). */
function waitUntilRunning(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (/running/.test(seen)) {
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}: ${seen}`)));
  });
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-mosquitto-'));
  // mosquitto started as root drops to the `mosquitto` user before it reads the password and
  // ACL files: the dir must be readable by others (the files hold only hashes and topic rules).
  chmodSync(dir, 0o755);
  const port = await freePort();
  const lines = [`listener ${port} 127.0.0.1`, 'set_tcp_nodelay true', 'log_dest stderr', 'persistence false', 'max_queued_messages 100000', 'max_inflight_messages 0'];
  if (options.users) {
    const pw = join(dir, 'passwd');
    writeFileSync(pw, '');
    for (const [user, password] of Object.entries(options.users)) execFileSync('mosquitto_passwd', ['-b', pw, user, password]);
    lines.push('allow_anonymous false', `password_file ${pw}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (options.acl !== undefined) {
    const acl = join(dir, 'acl');
    writeFileSync(acl, options.acl);
    lines.push(`acl_file ${acl}`);
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n');

  let child: ChildProcess;
  const launch = async () => {
    child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitUntilRunning(child);
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };
  await launch();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await stop();
      await launch();
    },
  };
}
