// `keypairs/<userId>`: one user's SSH key pairs (Nova os-keypairs). Names are unique per user;
// create generates an ed25519 key when no public key is given and answers the private key that
// once (it is never stored); import checks the public key's format. The user (member or admin
// role) or an admin manages them; a token with only the reader role changes nothing.
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { defineKind, refuse, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest, Forbidden, Unauthorized, type ErrorValue } from '../../transports/errors.js';
import { isAdmin, type Caller } from '../identity/caller.js';
import { QuotaExceeded } from '../quota/errors.js';
import { KeypairExists, KeypairInvalid, KeypairNotFound } from './catalog-errors.js';
import { messageChecker } from '../schema-check.js';
import { KeypairMessage, type GeneratedKeypairView, type KeypairReply, type KeypairView } from './keypair-messages.js';
import { generateEd25519, parsePublicKey } from './keypair-ssh.js';

export const KEYPAIRS_KIND = 'keypairs';

export interface KeypairState {
  readonly keypairs: readonly KeypairView[];
}

export interface KeypairKindOptions {
  /** Randomness of generated keys (default node:crypto's); tests and the simulator seed it. */
  readonly randomBytes?: (n: number) => Buffer;
  /** Key pairs per user (Nova's key_pairs quota, default 100; -1 unlimited). */
  readonly maxPerUser?: number;
  /** Comment of generated public keys (default `Generated-by-cumulo`). */
  readonly comment?: string;
}

const invalidBody = messageChecker(KeypairMessage);

function mayReadKeys(caller: Caller | undefined, userId: string): ErrorValue | undefined {
  if (caller === undefined) return Unauthorized('this request needs a token');
  if (isAdmin(caller) || caller.userId === userId) return undefined;
  return Forbidden('key pairs belong to another user');
}

function mayWriteKeys(caller: Caller | undefined, userId: string): ErrorValue | undefined {
  const denied = mayReadKeys(caller, userId);
  if (denied !== undefined) return denied;
  if (!isAdmin(caller!) && !caller!.roles.includes('member')) return Forbidden('the reader role may not change anything');
  return undefined;
}

export function createKeypairKind(options: KeypairKindOptions = {}): KindDefinition<KeypairState, KeypairMessage, KeypairReply> {
  const randomBytes = options.randomBytes ?? cryptoRandomBytes;
  const maxPerUser = options.maxPerUser ?? 100;
  const comment = options.comment ?? 'Generated-by-cumulo';
  return defineKind<KeypairState, KeypairMessage, KeypairReply>({
    name: KEYPAIRS_KIND,
    messageTypes: { create: true, import: true, list: true, get: true, delete: true },
    initialState: { keypairs: [] },
    async handle(ctx, msg): Promise<KeypairReply | Refusal> {
      const bad = invalidBody(msg);
      if (bad !== undefined) return refuse(bad);
      const caller = msg.caller as Caller | undefined;
      const userId = ctx.id;
      const state = ctx.state;
      const named = (name: string): KeypairView | undefined => state.keypairs.find((k) => k.name === name);
      const notFound = (name: string): Refusal => refuse(KeypairNotFound(`Keypair ${name} not found for user ${userId}`, { name, userId }));
      switch (msg.type) {
        case 'create':
        case 'import': {
          const denied = mayWriteKeys(caller, userId);
          if (denied !== undefined) return refuse(denied);
          const existing = named(msg.name);
          let parsed: { publicKey: string; fingerprint: string } | undefined;
          if (msg.publicKey !== undefined) {
            const result = parsePublicKey(msg.publicKey);
            if (typeof result === 'string') return refuse(KeypairInvalid(`Keypair data is invalid: ${result}`, { name: msg.name }));
            parsed = result;
            // Importing the same key under the same name again is a retry: answer the stored pair.
            if (existing?.publicKey === parsed.publicKey) return existing;
          }
          if (existing !== undefined) return refuse(KeypairExists(`Key pair '${msg.name}' already exists.`, { name: msg.name }));
          if (maxPerUser >= 0 && state.keypairs.length >= maxPerUser) {
            return refuse(QuotaExceeded('Quota exceeded, too many key pairs.', { resource: 'keyPairs', limit: maxPerUser, used: state.keypairs.length, requested: 1 }));
          }
          const generated = parsed === undefined ? generateEd25519(randomBytes, comment) : undefined;
          const keypair: KeypairView = {
            name: msg.name,
            userId,
            keyType: 'ssh',
            publicKey: (parsed ?? generated)!.publicKey,
            fingerprint: (parsed ?? generated)!.fingerprint,
            createdAt: ctx.clock.now(),
          };
          await ctx.persist({ keypairs: [...state.keypairs, keypair].sort((a, b) => (a.name < b.name ? -1 : 1)) });
          if (generated === undefined) return keypair;
          const withPrivate: GeneratedKeypairView = { ...keypair, privateKey: generated.privateKey };
          return withPrivate;
        }
        case 'list': {
          const denied = mayReadKeys(caller, userId);
          if (denied !== undefined) return refuse(denied);
          return { keypairs: state.keypairs };
        }
        case 'get': {
          const denied = mayReadKeys(caller, userId);
          if (denied !== undefined) return refuse(denied);
          return named(msg.name) ?? notFound(msg.name);
        }
        case 'delete': {
          const denied = mayWriteKeys(caller, userId);
          if (denied !== undefined) return refuse(denied);
          if (named(msg.name) === undefined) return notFound(msg.name);
          await ctx.persist({ keypairs: state.keypairs.filter((k) => k.name !== msg.name) });
          return { name: msg.name };
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}
