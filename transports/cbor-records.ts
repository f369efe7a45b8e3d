// The fixed shared record structures of the CBOR wire format, which every process knows by
// construction: the envelope, the two reply bodies and ErrorValue go on the wire as a tag and an
// array of values in these key orders, instead of maps with their key strings.
import { ENVELOPE_KEYS, ERROR_VALUE_KEYS, REPLY_ERROR_KEYS, REPLY_OK_KEYS } from './envelope.js';

/**
 * The structures, by record id. Appending one is compatible with older decoders only for messages
 * that do not use it; changing or reordering one is a wire-format change.
 */
export const SHARED_STRUCTURES: readonly (readonly string[])[] = [ENVELOPE_KEYS, REPLY_OK_KEYS, REPLY_ERROR_KEYS, ERROR_VALUE_KEYS];

/** Tag of shared structure i is RECORD_TAG + i (cbor-x's record tag range, which its decoder reads). */
export const RECORD_TAG = 0xe000;
export const ENVELOPE_RECORD = RECORD_TAG + 0;
export const REPLY_OK_RECORD = RECORD_TAG + 1;
export const REPLY_ERROR_RECORD = RECORD_TAG + 2;
export const ERROR_VALUE_RECORD = RECORD_TAG + 3;

/**
 * Depth at which each record may appear, counted as validateEnvelope counts it (the body is at
 * depth 1): the envelope at the top, a reply body as an envelope's body, an ErrorValue in that.
 */
export const RECORD_DEPTHS: readonly number[] = [0, 1, 1, 2];

/** Tag 64 (RFC 8746): a byte string that decodes as a Uint8Array rather than a Buffer. */
export const UINT8ARRAY_TAG = 64;
