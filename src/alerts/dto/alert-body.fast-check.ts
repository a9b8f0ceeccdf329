import { isURL } from 'class-validator';
import { INCIDENT_TYPES, IncidentType, SEVERITIES, Severity } from '../../domain';
import { registerFastBodyValidator } from '../../common/fast-body-validation';
import { copyStringMap, isJsonObject, isMemberOf, surelyFitsLength } from '../../common/fast-check-guards';
import { LIMITS } from '../../common/string-map.validator';
import { AlertBatchDto, MAX_BATCH_ALERTS } from './alert-batch.dto';
import { CreateAlertDto, MAX_RUNBOOK_URL_LENGTH, RUNBOOK_URL_OPTIONS } from './create-alert.dto';

/*
 * Fast checks of the two alert ingestion bodies (POST /v1/alerts, POST /v1/alerts/batch), registered for
 * ApiValidationPipe. Each accepts only what the decorators of CreateAlertDto / AlertBatchDto accept, and returns what
 * the pipe returns then; anything it is not sure about is `undefined`, for class-validator to judge and word.
 *
 * What the pipe does to such a body, and why the result here is the same:
 * - Nest strips `__proto__`, `prototype` and `constructor` keys at any depth, and class-transformer skips keys that
 *   name something on Object.prototype (a `toString` label vanishes). A label or annotation key named so falls back.
 * - class-transformer builds `new CreateAlertDto()` and copies every key, with fresh objects and arrays (strings as
 *   they are); `whitelist` then deletes the keys without rules. Here only the DTO's keys are copied, into a
 *   `new CreateAlertDto()`, with labels, annotations and affected_services copied too, so the DTO never aliases the
 *   request body, as before.
 * - Unknown keys are ignored, as `whitelist` drops them; one holding an object or array falls back, since
 *   class-transformer copies it recursively (the body parser bounds the depth, but the pipe does not rely on it).
 */

/** Whether every key outside `known` holds a primitive, which class-transformer copies as it is. */
function extraKeysAreFlat(body: Record<string, unknown>, known: ReadonlySet<string>): boolean {
  for (const key in body) {
    if (known.has(key)) continue;
    const value = body[key];
    if (typeof value === 'object' && value !== null) return false;
  }
  return true;
}

/**
 * An optional field that is not there, which skips its rules (IsOptionalButNotNull). An own key set to `undefined`
 * (never from JSON) is not absent: class-transformer would copy it, so it goes to the checks, fails and falls back.
 */
function isAbsent(body: Record<string, unknown>, key: string): boolean {
  return body[key] === undefined && !Object.hasOwn(body, key);
}

/** A copy of an affected_services value its decorators accept (array of 0..64 strings of length 1..255). */
function copyServiceList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > LIMITS.listItems) return undefined;
  const copy: string[] = [];
  // An index loop reads a hole as undefined, which falls back (class-validator's `each` would skip it).
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (!surelyFitsLength(item, 1, LIMITS.listItem)) return undefined;
    copy.push(item);
  }
  return copy;
}

/**
 * The runbook_urls isURL accepted lately. isURL costs ~3 µs, most of this whole check, while an alert rule sends
 * the same runbook with every alert. isURL's answer depends on the string alone (the options are fixed), so a
 * remembered one is the same answer; only URLs of up to 512 characters are kept, and the set starts over when full,
 * so it never holds more than ~256 KB.
 */
const acceptedRunbookUrls = new Set<string>();
const MAX_REMEMBERED_URLS = 256;
const MAX_REMEMBERED_URL_LENGTH = 512;

/** @IsUrl(RUNBOOK_URL_OPTIONS): validator.js's isURL through class-validator, the same call, not a copy of it. */
function isRunbookUrl(value: string): boolean {
  if (acceptedRunbookUrls.has(value)) return true;
  if (!isURL(value, RUNBOOK_URL_OPTIONS)) return false;
  if (value.length <= MAX_REMEMBERED_URL_LENGTH) {
    if (acceptedRunbookUrls.size >= MAX_REMEMBERED_URLS) acceptedRunbookUrls.clear();
    acceptedRunbookUrls.add(value);
  }
  return true;
}

const isSeverity = isMemberOf<Severity>(SEVERITIES);
const isIncidentType = isMemberOf<IncidentType>(INCIDENT_TYPES);

const CREATE_ALERT_KEYS: ReadonlySet<string> = new Set([
  'source',
  'title',
  'description',
  'severity',
  'external_id',
  'alert_type',
  'labels',
  'affected_services',
  'runbook_url',
  'annotations',
  'dedup_key',
]);

/** POST /v1/alerts: the CreateAlertDto the pipe would return, or undefined to let class-validator judge. */
export function fastCreateAlertDto(body: unknown): CreateAlertDto | undefined {
  if (!isJsonObject(body) || !extraKeysAreFlat(body, CREATE_ALERT_KEYS)) return undefined;
  const { source, title, description, severity, alert_type } = body;
  if (
    !surelyFitsLength(source, 1, LIMITS.source) ||
    !surelyFitsLength(title, 1, LIMITS.title) ||
    !surelyFitsLength(description, 0, LIMITS.description) ||
    !isSeverity(severity) ||
    !isIncidentType(alert_type)
  ) {
    return undefined;
  }
  const dto = new CreateAlertDto();
  dto.source = source;
  dto.title = title;
  dto.description = description;
  dto.severity = severity;
  dto.alert_type = alert_type;

  // The optional fields: absent skips their rules; null or anything else must pass them.
  const { external_id, labels, affected_services, runbook_url, annotations, dedup_key } = body;
  if (!isAbsent(body, 'external_id')) {
    if (!surelyFitsLength(external_id, 1, LIMITS.source)) return undefined;
    dto.external_id = external_id;
  }
  if (!isAbsent(body, 'labels')) {
    const copy = copyStringMap(labels);
    if (copy === undefined) return undefined;
    dto.labels = copy;
  }
  if (!isAbsent(body, 'affected_services')) {
    const copy = copyServiceList(affected_services);
    if (copy === undefined) return undefined;
    dto.affected_services = copy;
  }
  if (!isAbsent(body, 'runbook_url')) {
    if (!surelyFitsLength(runbook_url, 0, MAX_RUNBOOK_URL_LENGTH) || !isRunbookUrl(runbook_url)) {
      return undefined;
    }
    dto.runbook_url = runbook_url;
  }
  if (!isAbsent(body, 'annotations')) {
    const copy = copyStringMap(annotations);
    if (copy === undefined) return undefined;
    dto.annotations = copy;
  }
  if (!isAbsent(body, 'dedup_key')) {
    if (!surelyFitsLength(dedup_key, 1, LIMITS.source)) return undefined;
    dto.dedup_key = dedup_key;
  }
  return dto;
}

const ALERT_BATCH_KEYS: ReadonlySet<string> = new Set(['alerts']);

/** POST /v1/alerts/batch: the AlertBatchDto the pipe would return (alerts as CreateAlertDto), or undefined. */
export function fastAlertBatchDto(body: unknown): AlertBatchDto | undefined {
  if (!isJsonObject(body) || !extraKeysAreFlat(body, ALERT_BATCH_KEYS)) return undefined;
  const items = body.alerts;
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_BATCH_ALERTS) return undefined;
  const alerts: CreateAlertDto[] = [];
  for (let i = 0; i < items.length; i++) {
    const alert = fastCreateAlertDto(items[i]);
    if (alert === undefined) return undefined;
    alerts.push(alert);
  }
  const dto = new AlertBatchDto();
  dto.alerts = alerts;
  return dto;
}

registerFastBodyValidator(CreateAlertDto, fastCreateAlertDto);
registerFastBodyValidator(AlertBatchDto, fastAlertBatchDto);
