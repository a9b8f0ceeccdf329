import { createHash, randomBytes } from 'node:crypto';
import type { Scope } from './scopes';

/** Every API key starts with this, so that a bearer token is told apart from a JWT without parsing it. */
export const API_KEY_PREFIX = 'llmim_';

/** 32 random bytes (256 bits), base64url without padding: 43 characters. */
const API_KEY_RANDOM_BYTES = 32;
const API_KEY_PATTERN = /^llmim_[A-Za-z0-9_-]{43}$/;

/** A new API key: the prefix and 256 random bits. Shown once; only its hash is stored. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(API_KEY_RANDOM_BYTES).toString('base64url');
}

/** Whether `token` has the shape of one of our keys (prefix, length, alphabet); says nothing of whether it exists. */
export function isWellFormedApiKey(token: string): boolean {
  return API_KEY_PATTERN.test(token);
}

/**
 * What is stored and looked up: the SHA-256 of the key, hex. A plain fast hash is right here (unlike for
 * passwords): the key has 256 random bits, so there is nothing to guess, and the hot path hashes once per request.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** An API key as stored and held in memory (never the key itself). */
export interface ApiKeyRecord {
  id: string;
  name: string;
  keyHash: string;
  scopes: Scope[];
  constraint: Record<string, unknown> | null;
  /** RFC 3339, or null: no expiry. */
  expiresAt: string | null;
  createdAt: string;
  /** RFC 3339 once revoked. */
  revokedAt: string | null;
}

/** An API key as `GET /v1/api-keys` shows it: never the key nor its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  scopes: Scope[];
  constraint: Record<string, unknown> | null;
  expires_at: string | null;
  created_at: string;
  /** null while the key is usable (unless expired). */
  revoked_at: string | null;
}

/** The answer to `POST /v1/api-keys`: the only time the key is shown. */
export interface CreatedApiKey {
  id: string;
  name: string;
  scopes: Scope[];
  constraint: Record<string, unknown> | null;
  expires_at: string | null;
  created_at: string;
  key: string;
}

export function toApiKeyView(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    constraint: record.constraint,
    expires_at: record.expiresAt,
    created_at: record.createdAt,
    revoked_at: record.revokedAt,
  };
}
