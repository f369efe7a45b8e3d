// Token values: 256 random bits from the CSPRNG, base64url (43 characters). Only sha256(token)
// is ever stored or used as an address (`token/<hash>`), so a copy of the store or a log of
// actor paths gives nobody a usable token.
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_BYTES = 32;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** sha256 of the token's text, 64 lowercase hex characters. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a string has the form of a token made by newToken (before any lookup). */
export function looksLikeToken(token: string): boolean {
  return token.length === 43 && /^[A-Za-z0-9_-]+$/.test(token);
}
