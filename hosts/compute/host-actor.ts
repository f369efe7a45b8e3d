// The compute host actor, `host/<id>`: a hypervisor's inventory, its enabled flag and the
// heartbeats that say it is alive. Every change is persisted before it is answered, so a host's
// view survives a crash of the node that serves it.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { defineKind, refuse, type GrainContext } from '../../supervision/index.js';
import { BadRequest, Conflict } from '../../transports/errors.js';
import { HostMessage, type HostView } from './host-messages.js';

const checkMessage = TypeCompiler.Compile(HostMessage);

type HostState = Omit<HostView, 'id'>;

const initial: HostState = { registered: false, inventory: null, enabled: true, disabledReason: null, heartbeats: 0, lastHeartbeatAt: null };

function view(ctx: GrainContext<HostState, HostMessage>, state: HostState): HostView {
  return { id: ctx.id, ...state };
}

export const hostKind = defineKind<HostState, HostMessage, HostView>({
  name: 'host',
  messageTypes: { register: true, heartbeat: true, describe: true, enable: true, disable: true },
  initialState: initial,
  async handle(ctx, msg) {
    // The runtime checked `type`; the rest of the message is validated against its schema.
    const unchecked: unknown = msg;
    if (!checkMessage.Check(unchecked)) {
      const first = checkMessage.Errors(unchecked).First();
      return refuse(BadRequest(`invalid ${msg.type} message: ${first ? `${first.path} ${first.message}` : 'malformed'}`, { field: first?.path ?? '' }));
    }
    const state = ctx.state;
    switch (msg.type) {
      case 'describe':
        return view(ctx, state);
      case 'register': {
        const next = { ...state, registered: true, inventory: msg.inventory };
        await ctx.persist(next);
        return view(ctx, next);
      }
      case 'heartbeat': {
        if (!state.registered) return refuse(Conflict(`host ${ctx.id} is not registered`));
        const next = { ...state, heartbeats: state.heartbeats + 1, lastHeartbeatAt: ctx.clock.now() };
        await ctx.persist(next);
        return view(ctx, next);
      }
      case 'enable': {
        const next = { ...state, enabled: true, disabledReason: null };
        await ctx.persist(next);
        return view(ctx, next);
      }
      case 'disable': {
        const next = { ...state, enabled: false, disabledReason: msg.reason ?? null };
        await ctx.persist(next);
        return view(ctx, next);
      }
      default: {
        const never: never = msg;
        return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
      }
    }
  },
});
