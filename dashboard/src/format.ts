/** "42s", "5m", "3h 12m", "4d 2h": how long ago, or how long, in at most two units. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    const rest = seconds % 60;
    return minutes < 10 && rest > 0 ? `${minutes}m ${rest}s` : `${minutes}m`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 > 0 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 > 0 ? `${days}d ${hours % 24}h` : `${days}d`;
}

export function ageOf(iso: string, now: number): string {
  return formatDuration((now - Date.parse(iso)) / 1000);
}

/** Local wall-clock time, "14:03:22". */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour12: false });
}

/** Local date and time, for a `title` tooltip and the detail panel. */
export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { hour12: false });
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `{env: "prod"}` as `env=prod` pairs. */
export function labelPairs(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}
