/**
 * Which units a replay takes and which generation each gets, from the ingestion bucket's keys
 * alone. Pure.
 */
import { MAX_GENERATION, manifestKey, parseLakeKey } from '../../../../shared/lake/index.ts';
import { inWindow, type ReplayWindow } from './window.ts';

export interface UnitGenerations {
  readonly runId: string;
  /** The extract's own ingestion manifest (generation 1). */
  readonly originalKey: string;
  /** The highest generation whose ingestion manifest exists (1 when never replayed). */
  readonly highest: number;
}

/**
 * The units of the window that have an original manifest, by run id (oldest first), each with
 * the highest generation already in the lake. Replay manifests of a unit outside the window, and
 * any key that is not a unit's manifest, are ignored.
 */
export function unitsInWindow(keys: Iterable<string>, window: ReplayWindow): UnitGenerations[] {
  const units = new Map<string, { original: boolean; highest: number }>();
  for (const key of keys) {
    const parsed = parseLakeKey(key);
    if (!parsed || parsed.kind !== 'manifest' || !inWindow(window, parsed.runId)) continue;
    // Only the layout's own keys count (a stray `x/manifest.json` inside a unit is not one).
    const generation = parsed.generation ?? 1;
    if (key !== manifestKey(parsed.runId, generation)) continue;
    const unit = units.get(parsed.runId) ?? { original: false, highest: 1 };
    if (generation === 1) unit.original = true;
    unit.highest = Math.max(unit.highest, generation);
    units.set(parsed.runId, unit);
  }
  return [...units.entries()]
    .filter(([, unit]) => unit.original)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([runId, unit]) => ({ runId, originalKey: manifestKey(runId), highest: unit.highest }));
}

export class TooManyGenerationsError extends Error {
  override name = 'TooManyGenerationsError';
}

/** The generation a new replay of `unit` takes: one above the highest in the lake. */
export function nextGeneration(unit: UnitGenerations): number {
  const next = unit.highest + 1;
  if (next > MAX_GENERATION) {
    throw new TooManyGenerationsError(`${unit.runId} already has ${unit.highest} generations`);
  }
  return next;
}
