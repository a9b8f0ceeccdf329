import { Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { isRFC3339 } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { Observable, Subject } from 'rxjs';
import { Clock } from '../clock/clock';
import { DefinitionInvalidationService } from '../cluster/definition-invalidation.service';
import { DefinitionKind } from '../cluster/definition-kind';
import { ConflictError, NotFoundError, ValidationError } from '../common/api-error';
import { isUniqueViolation } from '../storage/definition-errors';
import {
  ApiKeyRecord,
  ApiKeyView,
  CreatedApiKey,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  toApiKeyView,
} from './api-key';
import { ApiKeysRepository } from './api-keys.repository';
import { AuthFailure, AuthenticationFailedError, CredentialKind, Principal } from './principal';
import { Scope, isScope } from './scopes';

/** What `POST /v1/api-keys` asks for (already shape-checked by the DTO when it comes over HTTP). */
export interface NewApiKey {
  name: string;
  scopes: readonly string[];
  constraint?: Record<string, unknown> | null;
  /** RFC 3339, in the future. */
  expires_at?: string | null;
}

/** A stored key and the principal it authenticates as, built once. */
interface LoadedKey {
  readonly record: ApiKeyRecord;
  readonly principal: Principal;
}

/**
 * API keys: creation (the key is shown once, only its hash is stored), listing, revocation, and `authenticate`, the
 * per-request check. Every key is held in memory by hash, so a request never waits for the database to be
 * authenticated, and a revocation takes effect at once: on this node when it is made, on the other nodes sharing
 * the PostgreSQL database when they are told of it (DefinitionInvalidationService), `revoked$` included.
 */
@Injectable()
export class ApiKeysService implements OnApplicationBootstrap, OnApplicationShutdown {
  private byHash = new Map<string, LoadedKey>();
  private byId = new Map<string, LoadedKey>();
  private loading: Promise<void> | undefined;
  private readonly revoked = new Subject<string>();

  /** The id of each key as it is revoked: open WebSockets authenticated with it are to be closed (4001). */
  readonly revoked$: Observable<string> = this.revoked.asObservable();

  constructor(
    private readonly repository: ApiKeysRepository,
    private readonly clock: Clock,
    @Optional() private readonly invalidation?: DefinitionInvalidationService,
  ) {
    invalidation?.register(DefinitionKind.ApiKeys, () => this.refresh());
  }

  onApplicationBootstrap(): Promise<void> {
    return this.ensureLoaded();
  }

  /** Loads every stored key into memory once (after the migrations); other bootstrap hooks that need them await this. */
  ensureLoaded(): Promise<void> {
    this.loading ??= this.repository.list().then((records) => {
      for (const record of records) this.remember(record);
    });
    return this.loading;
  }

  /** Whether any key is stored, revoked or expired ones included. */
  hasAny(): boolean {
    return this.byId.size > 0;
  }

  /**
   * Runs `work` with `true` when no key is stored yet, `false` (this node's keys reloaded) when one is, while no
   * other node sharing the database runs its own: two nodes starting on an empty database make one first key.
   */
  whileNoKeyExists(work: () => Promise<void>): Promise<void> {
    return this.repository.exclusively(async () => {
      if (await this.repository.anyStored()) {
        await this.refresh();
        return;
      }
      await work();
    });
  }

  /**
   * Creates a key. The answer is the only place the key ever appears. `key` is for the bootstrap, which writes the
   * key down before it is stored; everyone else lets it be generated.
   */
  async create(input: NewApiKey, key: string = generateApiKey()): Promise<CreatedApiKey> {
    await this.ensureLoaded();
    const scopes = this.validScopes(input.scopes);
    const expiresAt = this.validExpiry(input.expires_at ?? null);
    this.assertNameFree(input.name);
    const record: ApiKeyRecord = {
      id: randomUUID(),
      name: input.name,
      keyHash: hashApiKey(key),
      scopes,
      constraint: input.constraint ?? null,
      expiresAt,
      createdAt: this.clock.nowIso(),
      revokedAt: null,
    };
    try {
      await this.repository.insert(record);
    } catch (error) {
      // Two requests that both found the name free: the unique index keeps one.
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
    this.remember(record);
    await this.invalidation?.changed(DefinitionKind.ApiKeys, record.id);
    const { revoked_at: _revokedAt, ...view } = toApiKeyView(record);
    return { ...view, key };
  }

  /** Every key, revoked ones included (`revoked_at` set), oldest first; never the key nor its hash. */
  async list(): Promise<ApiKeyView[]> {
    await this.ensureLoaded();
    return [...this.byId.values()].map((loaded) => toApiKeyView(loaded.record));
  }

  /**
   * Revokes a key: from now on it authenticates nobody, and `revoked$` tells the WebSocket side. Revoking a revoked
   * key changes nothing; an unknown id is 404.
   */
  async revoke(id: string): Promise<void> {
    await this.ensureLoaded();
    const loaded = this.byId.get(id);
    if (loaded === undefined) throw new NotFoundError(`API key ${id}`);
    if (loaded.record.revokedAt !== null) return;
    const revokedAt = this.clock.nowIso();
    await this.repository.revoke(id, revokedAt);
    this.remember({ ...loaded.record, revokedAt });
    this.revoked.next(id);
    await this.invalidation?.changed(DefinitionKind.ApiKeys, id);
  }

  /**
   * Reloads every stored key (another node created or revoked one): a key revoked elsewhere stops authenticating
   * here too, and `revoked$` closes this node's WebSockets authenticated with it.
   */
  async refresh(): Promise<void> {
    await this.ensureLoaded();
    for (const record of await this.repository.list()) {
      const known = this.byId.get(record.id);
      // A revocation is final: a list read before this node revoked the key does not bring it back.
      if (known !== undefined && known.record.revokedAt !== null) continue;
      this.remember(record);
      if (record.revokedAt !== null && known !== undefined && known.record.revokedAt === null) {
        this.revoked.next(record.id);
      }
    }
  }

  /**
   * The principal of an API key, or AuthenticationFailedError: `malformed` (not the shape of a key), `unknown_key`,
   * `revoked`, `expired`. Synchronous and allocation-free on success: one SHA-256 and one map lookup per request.
   * (Looking up a hash leaks nothing useful through timing: the attacker does not control the hash.)
   */
  authenticate(token: string): Principal {
    if (!isWellFormedApiKey(token)) throw new AuthenticationFailedError(AuthFailure.Malformed);
    const loaded = this.byHash.get(hashApiKey(token));
    if (loaded === undefined) throw new AuthenticationFailedError(AuthFailure.Unknown);
    if (loaded.record.revokedAt !== null) throw new AuthenticationFailedError(AuthFailure.Revoked);
    const { expiresAt } = loaded.principal;
    if (expiresAt !== null && this.clock.now() >= expiresAt) {
      throw new AuthenticationFailedError(AuthFailure.Expired);
    }
    return loaded.principal;
  }

  onApplicationShutdown(): void {
    this.revoked.complete();
  }

  private remember(record: ApiKeyRecord): void {
    const loaded: LoadedKey = {
      record,
      principal: {
        kind: CredentialKind.ApiKey,
        id: record.id,
        name: record.name,
        scopes: new Set(record.scopes),
        constraint: record.constraint,
        expiresAt: record.expiresAt === null ? null : Date.parse(record.expiresAt),
      },
    };
    this.byHash.set(record.keyHash, loaded);
    this.byId.set(record.id, loaded);
  }

  private validScopes(scopes: readonly string[]): Scope[] {
    if (scopes.length === 0) throw new ValidationError('scopes must name at least one scope');
    const unknown = scopes.filter((scope) => !isScope(scope));
    if (unknown.length > 0) throw new ValidationError(`unknown scope(s): ${unknown.join(', ')}`);
    return [...new Set(scopes as readonly Scope[])];
  }

  /** The expiry as a UTC RFC 3339 string, refused unless it is in the future. */
  private validExpiry(expiresAt: string | null): string | null {
    if (expiresAt === null) return null;
    if (!isRFC3339(expiresAt)) throw new ValidationError('expires_at must be an RFC 3339 date-time');
    const at = Date.parse(expiresAt);
    if (Number.isNaN(at)) throw new ValidationError('expires_at must be an RFC 3339 date-time');
    if (at <= this.clock.now()) throw new ValidationError('expires_at must be in the future');
    return new Date(at).toISOString();
  }

  private assertNameFree(name: string): void {
    for (const loaded of this.byId.values()) {
      if (loaded.record.name === name) throw nameTaken(name);
    }
  }
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`API key named "${name}" already exists`);
}
