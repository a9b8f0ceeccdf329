import type { LabelMatcher } from '../common/label-matchers';

/** A silence's status, computed from the clock (contract section 10). */
export const SilenceStatus = { Pending: 'pending', Active: 'active', Expired: 'expired' } as const;
export type SilenceStatus = (typeof SilenceStatus)[keyof typeof SilenceStatus];
export const SILENCE_STATUSES: readonly SilenceStatus[] = Object.values(SilenceStatus);

/** A silence as stored. Instants are UTC RFC 3339 with milliseconds (`Date.toISOString`), so they sort as text. */
export interface Silence {
  id: string;
  matchers: LabelMatcher[];
  starts_at: string;
  ends_at: string;
  created_by: string;
  comment: string;
  created_at: string;
  updated_at: string;
}

/** A silence as the API shows it: with its status at the time of the answer. */
export type SilenceView = Silence & { status: SilenceStatus };

/** Pending before `starts_at`, active from it until `ends_at`, expired from `ends_at` on. */
export function silenceStatus(silence: Pick<Silence, 'starts_at' | 'ends_at'>, nowMs: number): SilenceStatus {
  if (nowMs >= Date.parse(silence.ends_at)) return SilenceStatus.Expired;
  if (nowMs < Date.parse(silence.starts_at)) return SilenceStatus.Pending;
  return SilenceStatus.Active;
}

export function viewOf(silence: Silence, nowMs: number): SilenceView {
  return { ...silence, status: silenceStatus(silence, nowMs) };
}
