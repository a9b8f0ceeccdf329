import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { sql } from 'kysely';
import { Client, Notification } from 'pg';
import { Clock, Timer } from '../clock/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DatabaseService } from '../storage/database.service';
import { DefinitionKind, kindOfMessage } from './definition-kind';

/** The PostgreSQL notification channel of definition changes. */
export const DEFINITIONS_CHANNEL = 'llm_im_definitions';
/** Reconnecting the listener: the first wait, doubled after each failure up to the last. */
export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 30_000;

/** The listening connection's application_name (pg_stat_activity), so that an operator can tell it apart. */
export const LISTENER_APPLICATION_NAME = 'llm-im-definitions';

/** Reloads one kind of definition from the store into its owner's memory. */
export type Refresh = () => Promise<void>;

/**
 * Keeps the in-memory definitions of every node (escalation policies, playbooks, notification channels, silences,
 * API keys) in step when several nodes share one PostgreSQL database. The owner of each cache registers its
 * `refresh`, and calls `changed` after a change of its kind committed: that sends `NOTIFY llm_im_definitions,
 * '<kind>:<id>'`, and every node, which LISTENs on a dedicated connection, reloads that kind (the changing node too:
 * a reload is idempotent). The listening connection is re-opened after an error, with a backoff through the Clock,
 * and every kind is reloaded once it is back (what changed meanwhile was not heard). On SQLite one process serves
 * the file: nothing is sent or listened to.
 */
@Injectable()
export class DefinitionInvalidationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DefinitionInvalidationService.name);
  private readonly refreshers = new Map<DefinitionKind, Refresh>();
  /** Per kind: the reload in progress, and whether another was asked for meanwhile (run once after it). */
  private readonly reloading = new Map<DefinitionKind, { again: boolean }>();
  private readonly enabled: boolean;
  private readonly url: string;
  private client: Client | null = null;
  private reconnectTimer: Timer | null = null;
  private failures = 0;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
    private readonly database: DatabaseService,
  ) {
    this.enabled = database.dialect === 'postgres';
    this.url = config.database.url;
  }

  /** Whether this node hears the other nodes' changes now (PostgreSQL: the listening connection is up). */
  get listening(): boolean {
    return this.client !== null;
  }

  /** Called by a cache's owner (once, at construction) with how to reload its kind. */
  register(kind: DefinitionKind, refresh: Refresh): void {
    this.refreshers.set(kind, refresh);
  }

  /** Tells every node that a definition of this kind changed (after the change committed). */
  async changed(kind: DefinitionKind, id: string): Promise<void> {
    if (!this.enabled) return;
    try {
      await sql`select pg_notify(${DEFINITIONS_CHANNEL}, ${`${kind}:${id}`})`.execute(this.database.db);
    } catch (error) {
      // The change is stored; the other nodes see it at their next reload of this kind.
      this.logger.warn(`could not notify the other nodes of a change of ${kind} ${id}: ${String(error)}`);
    }
  }

  /** Starts listening before the node serves (PostgreSQL only). */
  async onApplicationBootstrap(): Promise<void> {
    if (this.enabled) await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: LISTENER_APPLICATION_NAME });
    let lost = false;
    const onLost = (error: unknown): void => {
      if (lost) return;
      lost = true;
      this.lost(client, error);
    };
    client.on('error', onLost);
    client.on('end', () => onLost(new Error('connection ended')));
    client.on('notification', (message: Notification) => this.received(message.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${DEFINITIONS_CHANNEL}`);
    } catch (error) {
      onLost(error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    // Whatever changed before this connection listened (at start: before the caches loaded, or while it was down).
    for (const kind of this.refreshers.keys()) this.reload(kind);
  }

  private lost(client: Client, error: unknown): void {
    if (this.client === client) this.client = null;
    client.end().catch(() => undefined);
    if (this.stopped || this.reconnectTimer !== null) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.failures);
    this.failures++;
    this.logger.warn(`definition change listener lost (${String(error)}); reconnecting in ${delay} ms`);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }

  private received(payload: string | undefined): void {
    const kind = kindOfMessage(payload);
    if (kind !== undefined) this.reload(kind);
  }

  /** Reloads a kind; a reload asked for while one runs runs once after it (it may have read too early). */
  private reload(kind: DefinitionKind): void {
    const refresh = this.refreshers.get(kind);
    if (refresh === undefined || this.stopped) return;
    const running = this.reloading.get(kind);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    this.reloading.set(kind, state);
    const run = async (): Promise<void> => {
      do {
        state.again = false;
        try {
          await refresh();
        } catch (error) {
          this.logger.warn(`could not reload ${kind} after a change on another node: ${String(error)}`);
        }
      } while (state.again && !this.stopped);
      this.reloading.delete(kind);
    };
    void run();
  }
}
