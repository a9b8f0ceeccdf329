import type { AlertInput } from './alert-input';
import type { CreateAlertDto } from './dto/create-alert.dto';

/** A validated native alert (POST /v1/alerts, one element of a batch) as ingestion takes it. */
export function nativeAlertInput(dto: CreateAlertDto): AlertInput {
  const input: AlertInput = {
    external_id: dto.external_id,
    source: dto.source,
    title: dto.title,
    description: dto.description,
    severity: dto.severity,
    alert_type: dto.alert_type,
    labels: dto.labels ?? {},
    affected_services: dto.affected_services ?? [],
    runbook_url: dto.runbook_url ?? null,
    annotations: dto.annotations ?? {},
  };
  if (dto.dedup_key !== undefined) input.dedup_key = dto.dedup_key;
  return input;
}
