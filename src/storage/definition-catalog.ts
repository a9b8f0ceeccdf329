import { OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock/clock';
import type { DefinitionInvalidationService } from '../cluster/definition-invalidation.service';
import type { DefinitionKind } from '../cluster/definition-kind';
import { DefinitionNameTakenError, DefinitionNotFoundError, isUniqueViolation } from './definition-errors';
import type { Definition, DefinitionStore } from './definition.store';

/**
 * Builds the stored definition from a validated DTO. `previous` is the stored version on replace (masked secrets
 * sent back keep its values).
 */
export type DefinitionBuilder<T, D> = (
  id: string,
  dto: D,
  createdAt: string,
  updatedAt: string,
  previous?: T,
) => T;

/** How a catalog keeps the other nodes' copies in step (PostgreSQL; absent in unit specs). */
export interface CatalogInvalidation {
  service: DefinitionInvalidationService;
  kind: DefinitionKind;
}

/**
 * CRUD over one kind of user definition (escalation policies, playbooks, notification channels) with unique
 * names, plus an in-memory copy of all of them, so the hot paths (choosing what applies to a new incident) read
 * memory, not the database. The copy is reloaded after every change made here; with several nodes on one
 * PostgreSQL database, every other node reloads it too when told (DefinitionInvalidationService). Subclasses give
 * the function that turns a DTO into a definition.
 */
export abstract class DefinitionCatalog<
  T extends Definition,
  D extends { name: string },
> implements OnApplicationBootstrap {
  /** Every definition, oldest first, as last stored. */
  protected definitions: T[] = [];
  private loading: Promise<void> | undefined;
  /** Bumped by every reload, so that a slower reload that started earlier does not put back an older list. */
  private generation = 0;

  /** `kind` names the definition in error messages, e.g. "Playbook". */
  protected constructor(
    protected readonly repository: DefinitionStore<T>,
    private readonly kind: string,
    private readonly build: DefinitionBuilder<T, D>,
    private readonly clock: Clock,
    private readonly invalidation?: CatalogInvalidation,
  ) {
    invalidation?.service.register(invalidation.kind, () => this.refresh());
  }

  onApplicationBootstrap(): Promise<void> {
    return this.ensureLoaded();
  }

  /** Loads the definitions into memory once; other bootstrap hooks that need them await this. */
  ensureLoaded(): Promise<void> {
    this.loading ??= this.reload();
    return this.loading;
  }

  list(): Promise<T[]> {
    return this.repository.list();
  }

  async get(id: string): Promise<T> {
    const definition = await this.repository.get(id);
    if (!definition) throw new DefinitionNotFoundError(this.kind, id);
    return definition;
  }

  async create(dto: D): Promise<T> {
    await this.assertNameFree(dto.name);
    const now = this.clock.nowIso();
    const definition = this.build(randomUUID(), dto, now, now);
    await this.claimingName(dto.name, () => this.repository.insert(definition));
    await this.reload();
    await this.announce(definition.id);
    return definition;
  }

  async replace(id: string, dto: D): Promise<T> {
    const existing = await this.get(id);
    await this.assertNameFree(dto.name, id);
    const definition = this.build(id, dto, existing.created_at, this.clock.nowIso(), existing);
    await this.claimingName(dto.name, () => this.repository.update(definition));
    await this.reload();
    await this.announce(id);
    return definition;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repository.delete(id))) throw new DefinitionNotFoundError(this.kind, id);
    await this.reload();
    await this.announce(id);
  }

  /** Reloads the in-memory copy from the store (another node changed a definition of this kind). */
  refresh(): Promise<void> {
    return this.reload();
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    const definitions = await this.repository.list();
    if (generation === this.generation) this.definitions = definitions;
  }

  private async announce(id: string): Promise<void> {
    if (this.invalidation) await this.invalidation.service.changed(this.invalidation.kind, id);
  }

  /**
   * Runs a write that may take `name`. The check before it is not enough: concurrent requests all find the name free
   * (on PostgreSQL 554 of 600 racing creations were a 500), so the unique index decides and its refusal is the same
   * DefinitionNameTakenError.
   */
  private async claimingName(name: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (isUniqueViolation(error)) throw new DefinitionNameTakenError(this.kind, name);
      throw error;
    }
  }

  private async assertNameFree(name: string, exceptId?: string): Promise<void> {
    const owner = await this.repository.idByName(name);
    if (owner !== undefined && owner !== exceptId) {
      throw new DefinitionNameTakenError(this.kind, name);
    }
  }
}
