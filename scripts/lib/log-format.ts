// Turns a service's JSON log line into one readable line for the terminal:
//   [catalog] 12:00:01 INFO  GET /v1/categories → 200 3.1ms
// Anything that isn't JSON is passed through as it is.
const LEVEL_COLOR: Record<string, number> = {
  trace: 90,
  debug: 90,
  info: 32,
  warn: 33,
  error: 31,
  fatal: 41,
};

export function formatLine(
  service: string,
  color: number,
  line: string,
  useColor: boolean,
): string {
  const paint = (code: number, text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
  const prefix = paint(color, `[${service.padEnd(7)}]`);
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${prefix} ${line}`;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const level = String(entry.level ?? 'info');
  let text = String(entry.msg ?? '');
  if (entry.msg === 'request completed') {
    text = `${entry.method} ${entry.path} → ${entry.statusCode} ${entry.durationMs}ms`;
  }
  const err = entry.err as { message?: string } | undefined;
  if (err?.message) text += ` — ${err.message}`;
  return `${prefix} ${time} ${paint(LEVEL_COLOR[level] ?? 0, level.toUpperCase().padEnd(5))} ${text}`;
}
