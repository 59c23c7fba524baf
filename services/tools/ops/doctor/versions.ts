import { type CheckGroup, type CheckResult, fail, ok, warn } from './check.ts';

/**
 * PostgreSQL majors the pipeline supports, source and warehouse. The oldest is the oldest major
 * still maintained upstream that the pipeline's SQL runs on (pg_current_snapshot(), `FETCH` from a
 * cursor, `ON CONFLICT`, all in 14); the newest is the one the test suite runs (embedded 18). A
 * newer major is likely fine but untested: WARN, not FAIL. Keep in step with README "Supported
 * PostgreSQL versions".
 */
export const SUPPORTED_POSTGRES = { oldestMajor: 14, newestMajor: 18 } as const;

/** `server_version_num` (e.g. 180001) against the supported range. */
export function versionCheck(
  group: CheckGroup,
  label: string,
  versionNum: number,
  version: string,
): CheckResult {
  const major = Math.floor(versionNum / 10_000);
  const range = `${SUPPORTED_POSTGRES.oldestMajor}–${SUPPORTED_POSTGRES.newestMajor}`;
  if (major < SUPPORTED_POSTGRES.oldestMajor) {
    return fail(
      group,
      `${label} version`,
      `PostgreSQL ${version} is older than the oldest supported major (${range})`,
      `upgrade the ${label} server to PostgreSQL ${SUPPORTED_POSTGRES.oldestMajor} or later`,
    );
  }
  if (major > SUPPORTED_POSTGRES.newestMajor) {
    return warn(
      group,
      `${label} version`,
      `PostgreSQL ${version} is newer than the newest tested major (${range})`,
      `run the test suite against it (TEST_DATABASE_URL) before relying on it`,
    );
  }
  return ok(group, `${label} version`, `PostgreSQL ${version} (supported: ${range})`);
}
