// Messages of a user's key pairs (`keypairs/<userId>`), as TypeBox schemas: the one source of
// their validation and types (Nova os-keypairs; type `ssh` only).
import { Type, type Static } from '@sinclair/typebox';

const Caller = Type.Optional(Type.Unknown());

/** Nova's safe characters: letters, digits, `@ . _ -` and inner spaces. */
export const KeypairName = Type.String({ pattern: '^(?! )[A-Za-z0-9 @._-]{1,255}(?<! )$' });
const PublicKey = Type.String({ minLength: 1, maxLength: 16384 });
const KeyType = Type.Optional(Type.Literal('ssh'));

export const KeypairMessage = Type.Union([
  /** Imports `publicKey` when given, else generates an ed25519 key and answers its private key once. */
  Type.Object({ type: Type.Literal('create'), caller: Caller, name: KeypairName, publicKey: Type.Optional(PublicKey), keyType: KeyType }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('import'), caller: Caller, name: KeypairName, publicKey: PublicKey, keyType: KeyType }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('list'), caller: Caller }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('get'), caller: Caller, name: KeypairName }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('delete'), caller: Caller, name: KeypairName }, { additionalProperties: false }),
]);
export type KeypairMessage = Static<typeof KeypairMessage>;

export interface KeypairView {
  readonly name: string;
  readonly userId: string;
  readonly keyType: 'ssh';
  /** OpenSSH public key line, e.g. `ssh-ed25519 AAAA… comment`. */
  readonly publicKey: string;
  /** Nova's form: MD5 of the key blob, colon-separated hex (`ssh-keygen -l -E md5`). */
  readonly fingerprint: string;
  readonly createdAt: number;
}

/** The reply of a create that generated the key: the only time the private key is seen. */
export interface GeneratedKeypairView extends KeypairView {
  /** openssh-key-v1 PEM, unencrypted; never stored. */
  readonly privateKey: string;
}

export interface KeypairList {
  readonly keypairs: readonly KeypairView[];
}
export interface KeypairDeleted {
  readonly name: string;
}

export type KeypairReply = KeypairView | GeneratedKeypairView | KeypairList | KeypairDeleted;
