// A whole cloud in this process: start it, boot servers, watch their events, act on them, stop.
// Run it with `npm run build && node dist/examples/quick-start.js`. Outside this repository the
// import is `import { Cloud } from 'cumulo'` (inside it, the compiled sources are imported).
import { Cloud, FabricError } from '../sdk/index.js';

const cloud = await Cloud.start({ hosts: 4 }); // in-process transport; acts as the cloud's admin
console.log(`cloud ready as ${cloud.caller.userName}; flavors: ${(await cloud.compute.flavors()).map((f) => f.name).join(', ')}`);

// Every event of the project, printed as it arrives, until the loop is left.
const events = await cloud.events();
const printing = (async () => {
  for await (const e of events) console.log(`  event ${e.type} ${e.kind}/${e.id.slice(0, 8)} ${JSON.stringify(e.body.status ?? e.body)}`);
})();

const key = await cloud.compute.createKeypair({ name: 'demo' });
const group = await cloud.compute.createServerGroup({ name: 'web', policy: 'anti-affinity' });
const servers = await Promise.all(
  ['web-1', 'web-2'].map((name) => cloud.compute.createServer({ name, flavorId: 'm1.small', keyName: key.name, groupId: group.id, metadata: { tier: 'web' } })),
);
for (const s of servers) {
  const active = await cloud.compute.waitForServer(s.id, { status: 'ACTIVE' });
  console.log(`${active.name} is ${active.status} on ${active.hostId}`);
}
console.log('servers:', (await cloud.compute.servers()).map((s) => `${s.name}=${s.status}`).join(' '));

const first = servers[0]!;
await cloud.compute.stopServer(first.id);
await cloud.compute.waitForServer(first.id, { status: 'SHUTOFF' });
await cloud.compute.rebootServer(servers[1]!.id, { type: 'HARD' });
await cloud.compute.waitForServer(servers[1]!.id);

// Errors are FabricErrors with a stable code and the HTTP status Nova would answer.
try {
  await cloud.compute.createServer({ name: 'huge', flavorId: 'no-such-flavor' });
} catch (e) {
  if (!(e instanceof FabricError)) throw e;
  console.log(`refused: ${e.code} (${e.value.status}) ${e.value.message}`);
}

const quota = await cloud.compute.getQuota();
console.log(`quota in use: ${JSON.stringify(quota.inUse)} of ${JSON.stringify(quota.limits)}`);
for (const s of servers) await cloud.compute.deleteServer(s.id);
for (const s of servers) await cloud.compute.waitForDelete(s.id);

await events.return?.();
await printing;
await cloud.stop();
console.log('stopped');
