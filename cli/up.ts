// `cumulo up`: runs the whole fabric in this process (embedded broker, LMDB store in the data dir,
// simulated hosts, HTTP API), writes openrc and clouds.yaml into the data dir, and prints one
// ready line once it accepts work. SIGTERM and SIGINT
// drain in-flight requests, persist, and close the broker last.
import { Command } from 'commander';
import { Fabric } from '../sdk/fabric.js';
import { parseCount, parsePort } from './options.js';

interface UpOptions {
  dataDir: string;
  port: number;
  mqttPort: number;
  hosts: number;
}

export function upCommand(): Command {
  return new Command('up')
    .description('run the fabric: embedded MQTT broker, durable store, simulated hosts, HTTP API')
    .option('--data-dir <dir>', 'where state lives', '.cumulo')
    .option('--port <n>', 'HTTP API port on 127.0.0.1 (0 = any free port)', parsePort, 5000)
    .option('--mqtt-port <n>', 'MQTT port on 127.0.0.1 (0 = any free port)', parsePort, 1883)
    .option('--hosts <n>', 'number of simulated compute hosts', parseCount(100_000), 3)
    .action(async (options: UpOptions) => {
      await runUp(options);
    });
}

async function runUp(options: UpOptions): Promise<void> {
  const cloud = await Fabric.start({
    dataDir: options.dataDir,
    transport: 'mqtt',
    apiPort: options.port,
    mqttPort: options.mqttPort,
    hosts: options.hosts,
  });
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal while draining: the operator wants out now. Acknowledged state is
      // already durable, so exiting loses nothing that was acknowledged.
      process.exit(130);
    }
    cloud.log.info({ signal }, 'shutting down');
    stopping = cloud.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        cloud.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdout.write(`cumulo ready mqtt=${cloud.mqttUrl ?? ''} api=${cloud.apiUrl ?? ''}\n`);
}
