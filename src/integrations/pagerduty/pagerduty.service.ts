import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AlertIngestionService } from '../../alerts/alert-ingestion.service';
import { dedupKeyFingerprint } from '../../alerts/fingerprint';
import { IncidentsService } from '../../incidents/incidents.service';
import { PagerDutyAccepted, accepted } from './pagerduty-errors';
import { PagerDutyAction, PagerDutyEvent } from './pagerduty-event';
import { pagerDutyAlertInput } from './pagerduty.mapper';

/** Who acknowledges and resolves an incident on a PagerDuty event (timeline actor, resolution `resolved_by`). */
export const PAGERDUTY_ACTOR = 'pagerduty';

/**
 * PagerDuty Events API v2 alert events (contract section 9):
 * - `trigger` is a native alert whose `dedup_key` (made, a UUID, when the event has none) is its deduplication
 *   key: a new incident, or a duplicate joining the active incident with that key;
 * - `acknowledge` moves the active incident with that key from Detected to Triaged (which stops its escalation);
 *   another active state is left as it is;
 * - `resolve` resolves it (method `Automated`, by `pagerduty`).
 * An acknowledge or resolve with a key no active incident has is accepted and dropped, as PagerDuty drops it:
 * nothing is stored (there is nothing it could later apply to: a new trigger with the key opens a new incident).
 */
@Injectable()
export class PagerDutyService {
  constructor(
    private readonly ingestion: AlertIngestionService,
    private readonly incidents: IncidentsService,
  ) {}

  async receive(event: PagerDutyEvent): Promise<PagerDutyAccepted> {
    const dedupKey = event.dedup_key ?? randomUUID();
    switch (event.event_action) {
      case PagerDutyAction.Trigger:
        // parsePagerDutyEvent gives every trigger its payload.
        if (event.payload) await this.ingestion.ingest(pagerDutyAlertInput(event, event.payload, dedupKey));
        break;
      case PagerDutyAction.Acknowledge:
        await this.incidents.acknowledgeActiveByFingerprint(dedupKeyFingerprint(dedupKey), PAGERDUTY_ACTOR);
        break;
      case PagerDutyAction.Resolve:
        await this.incidents.resolveActiveByFingerprint(dedupKeyFingerprint(dedupKey), {
          resolved_by: PAGERDUTY_ACTOR,
          method: 'Automated',
          notes: 'Resolved by a PagerDuty resolve event',
          root_cause: null,
        });
        break;
    }
    return accepted(dedupKey);
  }
}
