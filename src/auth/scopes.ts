/** What a credential may do (contract section 6). `admin` may do everything. */
export const Scope = {
  AlertsWrite: 'alerts:write',
  IncidentsRead: 'incidents:read',
  IncidentsWrite: 'incidents:write',
  StreamRead: 'stream:read',
  Admin: 'admin',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];
export const SCOPES: readonly Scope[] = Object.values(Scope);

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}
