import { type CheckGroup, type CheckResult, fail, ok, warn } from './check.ts';

/**
 * PostgreSQL majors the pipeline supports, source and warehouse: 15 (the oldest major the end-to-end
 * tests run, issue 13 item 5) to 18 (the embedded server the test suite runs). A newer major is likely fine but untested: WARN, not FAIL. Keep in step with
 * the README's "Supported PostgreSQL".
 */
export const SUPPORTED_POSTGRES = { oldestMajor: 15, newestMajor: 18 } as const;

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
