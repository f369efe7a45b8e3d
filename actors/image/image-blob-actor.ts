// `image-blob/<sha512>`: one stored image file and the images that hold it. Adoption (an upload
// done) and release (an image deleted) run here one at a time per content hash, so a file is
// never removed while another image adopts the same content. Holders are persisted before the
// file moves; adoption checks the file, not the holders, so a crash between the two is repaired
// by the next adoption, and a crash after a release persisted leaves an orphan file that the
// next adoption of the same content reuses.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { defineKind, refuse, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest } from '../../transports/errors.js';
import { mustBeSystem } from '../identity/caller.js';
import type { ImageDataStore } from './data-store.js';
import { messageChecker } from '../schema-check.js';

export const IMAGE_BLOB_KIND = 'image-blob';

const Id = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });

export const ImageBlobMessage = Type.Union([
  Type.Object({ type: Type.Literal('adopt'), caller: Type.Optional(Type.Unknown()), imageId: Id, stagedPath: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('release'), caller: Type.Optional(Type.Unknown()), imageId: Id }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('holders'), caller: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
]);
export type ImageBlobMessage = Static<typeof ImageBlobMessage>;

export interface ImageBlobState {
  readonly holders: readonly string[];
}

export type ImageBlobReply = { readonly path: string } | { readonly holders: readonly string[] };
export type ImageBlobKind = KindDefinition<ImageBlobState, ImageBlobMessage, ImageBlobReply>;

const invalid = messageChecker(ImageBlobMessage);

export function createImageBlobKind(store: ImageDataStore): ImageBlobKind {
  return defineKind<ImageBlobState, ImageBlobMessage, ImageBlobReply>({
    name: IMAGE_BLOB_KIND,
    messageTypes: { adopt: true, release: true, holders: true },
    initialState: { holders: [] },
    async handle(ctx, msg): Promise<ImageBlobReply | Refusal> {
      const bad = invalid(msg);
      if (bad !== undefined) return refuse(bad);
      const denied = mustBeSystem(msg.caller);
      if (denied !== undefined) return refuse(denied);
      const path = store.blobPath(ctx.id);
      switch (msg.type) {
        case 'adopt': {
          if (!store.isStaged(msg.stagedPath)) return refuse(BadRequest('only staged uploads can be adopted', { field: '/stagedPath' }));
          if (!ctx.state.holders.includes(msg.imageId)) await ctx.persist({ holders: [...ctx.state.holders, msg.imageId] });
          if (existsSync(path)) rmSync(msg.stagedPath, { force: true });
          else {
            mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
            renameSync(msg.stagedPath, path);
          }
          return { path };
        }
        case 'release': {
          if (!ctx.state.holders.includes(msg.imageId)) return { holders: ctx.state.holders };
          const holders = ctx.state.holders.filter((h) => h !== msg.imageId);
          await ctx.persist({ holders });
          if (holders.length === 0) rmSync(path, { force: true });
          return { holders };
        }
        case 'holders':
          return { holders: ctx.state.holders };
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}
