import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __TOTES_TEST_PG__?: { server: { stop(): Promise<void> }; dir: string } })
    .__TOTES_TEST_PG__;
  if (!state) return;
  await state.server.stop();
  await rm(state.dir, { recursive: true, force: true });
}
