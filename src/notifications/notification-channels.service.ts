import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '../common/api-error';
import type { Severity } from '../domain';
import { NOTIFY_EVENTS, NotificationChannel, NotifyEvent, channelWants } from './notification-channel';
import { NotificationChannelsRepository } from './notification-channels.repository';
import { NotificationChannelDto } from './dto/notification-channel.dto';
import { restoreMaskedHeaders } from './secret-headers';
import { assertSendableHeaders } from './webhook.client';

/**
 * Notification channel CRUD. The channels are also kept in memory (this process is their only writer) so that
 * deciding whom to notify about an event costs no database round trip on the ingestion path.
 */
@Injectable()
export class NotificationChannelsService implements OnApplicationBootstrap {
  private channels: NotificationChannel[] = [];

  constructor(private readonly repository: NotificationChannelsRepository) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
  }

  list(): Promise<NotificationChannel[]> {
    return this.repository.list();
  }

  async get(id: string): Promise<NotificationChannel> {
    const channel = await this.repository.get(id);
    if (!channel) throw new NotFoundError(`Notification channel ${id}`);
    return channel;
  }

  async create(dto: NotificationChannelDto): Promise<NotificationChannel> {
    await this.assertNameFree(dto.name);
    const now = new Date().toISOString();
    const channel = build(randomUUID(), dto, now, now);
    await this.repository.insert(channel);
    await this.reload();
    return channel;
  }

  async replace(id: string, dto: NotificationChannelDto): Promise<NotificationChannel> {
    const existing = await this.get(id);
    await this.assertNameFree(dto.name, id);
    const channel = build(id, dto, existing.created_at, new Date().toISOString(), existing.headers);
    await this.repository.update(channel);
    await this.reload();
    return channel;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repository.delete(id))) throw new NotFoundError(`Notification channel ${id}`);
    await this.reload();
  }

  /** Enabled channels that want this event for an incident of this severity. */
  subscribedTo(event: NotifyEvent, severity: Severity): NotificationChannel[] {
    return this.channels.filter((c) => channelWants(c, event, severity));
  }

  /** Enabled channels named (by id or name) in `refs`; every enabled channel when `refs` is empty. */
  resolve(refs: readonly string[]): { channels: NotificationChannel[]; unknown: string[] } {
    const enabled = this.channels.filter((c) => c.enabled);
    if (refs.length === 0) return { channels: enabled, unknown: [] };
    const channels: NotificationChannel[] = [];
    const unknown: string[] = [];
    for (const ref of refs) {
      const channel = enabled.find((c) => c.id === ref.toLowerCase() || c.name === ref);
      if (channel) channels.push(channel);
      else unknown.push(ref);
    }
    return { channels, unknown };
  }

  private async reload(): Promise<void> {
    this.channels = await this.repository.list();
  }

  private async assertNameFree(name: string, exceptId?: string): Promise<void> {
    const owner = await this.repository.idByName(name);
    if (owner !== undefined && owner !== exceptId) {
      throw new ValidationError(`A notification channel named "${name}" already exists`);
    }
  }
}

function build(
  id: string,
  dto: NotificationChannelDto,
  createdAt: string,
  updatedAt: string,
  storedHeaders?: Record<string, string>,
): NotificationChannel {
  const headers = restoreMaskedHeaders(dto.headers ?? {}, storedHeaders);
  assertSendableHeaders(headers);
  return {
    id,
    name: dto.name,
    created_at: createdAt,
    updated_at: updatedAt,
    type: dto.type,
    url: dto.url,
    enabled: dto.enabled ?? true,
    events: dto.events ? [...new Set(dto.events)] : [...NOTIFY_EVENTS],
    severities: dto.severities ? [...new Set(dto.severities)] : [],
    headers,
  };
}
