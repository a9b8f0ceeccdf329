import { Injectable, Optional } from '@nestjs/common';
import { DefinitionInvalidationService } from '../cluster/definition-invalidation.service';
import { DefinitionKind } from '../cluster/definition-kind';
import { Clock } from '../clock/clock';
import type { Severity } from '../domain';
import { NOTIFY_EVENTS, NotificationChannel, NotifyEvent, channelWants } from './notification-channel';
import { DefinitionCatalog } from '../storage/definition-catalog';
import { NotificationChannelsRepository } from './notification-channels.repository';
import { NotificationChannelDto } from './dto/notification-channel.dto';
import { DestinationGuard } from './outgoing/destination-guard';
import { restoreSecrets } from './outgoing/secrets';
import { assertSendableHeaders } from './webhook.client';

/**
 * Notification channel CRUD. The channels are also kept in memory (on every node) so that deciding whom to notify
 * about an event costs no database round trip on the ingestion path.
 */
@Injectable()
export class NotificationChannelsService extends DefinitionCatalog<
  NotificationChannel,
  NotificationChannelDto
> {
  constructor(
    repository: NotificationChannelsRepository,
    clock: Clock,
    guard: DestinationGuard,
    @Optional() invalidation?: DefinitionInvalidationService,
  ) {
    super(
      repository,
      'Notification channel',
      (id, dto, createdAt, updatedAt, previous) => build(guard, id, dto, createdAt, updatedAt, previous),
      clock,
      invalidation && { service: invalidation, kind: DefinitionKind.NotificationChannels },
    );
  }

  /** Enabled channels that want this event for an incident of this severity. */
  subscribedTo(event: NotifyEvent, severity: Severity): NotificationChannel[] {
    return this.definitions.filter((c) => channelWants(c, event, severity));
  }

  /** Enabled channels named (by id or name) in `refs`; every enabled channel when `refs` is empty. */
  resolve(refs: readonly string[]): { channels: NotificationChannel[]; unknown: string[] } {
    const enabled = this.definitions.filter((c) => c.enabled);
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
}

function build(
  guard: DestinationGuard,
  id: string,
  dto: NotificationChannelDto,
  createdAt: string,
  updatedAt: string,
  previous?: NotificationChannel,
): NotificationChannel {
  const { url, headers } = restoreSecrets({ url: dto.url, headers: dto.headers ?? {} }, previous);
  guard.assertAllowed(url, 'url');
  assertSendableHeaders(headers);
  return {
    id,
    name: dto.name,
    created_at: createdAt,
    updated_at: updatedAt,
    type: dto.type,
    url,
    enabled: dto.enabled ?? true,
    events: dto.events ? [...new Set(dto.events)] : [...NOTIFY_EVENTS],
    severities: dto.severities ? [...new Set(dto.severities)] : [],
    headers,
  };
}
