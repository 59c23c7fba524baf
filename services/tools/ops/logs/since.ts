/**
 * `--since`: a duration back from now (`90s`, `15m`, `1h`, `2d`, a bare number is seconds) or an
 * ISO time. Returns epoch ms, or undefined when the value is neither.
 */
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseSince(value: string, now = Date.now()): number | undefined {
  const trimmed = value.trim();
  const duration = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/i.exec(trimmed);
  if (duration) {
    const unit = UNIT_MS[(duration[2] || 's').toLowerCase()] ?? 1000;
    return now - Number(duration[1]) * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const at = Date.parse(
      /[zZ]|[+-]\d\d:?\d\d$/.test(trimmed) || trimmed.length === 10 ? trimmed : `${trimmed}Z`,
    );
    return Number.isNaN(at) ? undefined : at;
  }
  return undefined;
}
