import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Stage } from '../../../../shared/config/resources.ts';

/**
 * Where the local runtime takes each Lambda's code from:
 * - `sources` (the default): `services/lambdas/<stage>/handler.ts`, run by Node's type stripping;
 * - `bundles` (`--bundles`): `dist/<stage>/index.mjs`, the esbuild bundle `npm run build` zips
 *   into `dist/<stage>.zip`, i.e. exactly what AWS runs. A bundling fault (a dynamic import, a
 *   file read beside the module, a dependency esbuild cannot inline) shows here, not after a deploy.
 */
export type HandlerSource = 'sources' | 'bundles';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export class BundlesMissingError extends Error {
  override name = 'BundlesMissingError';
}

/** The built bundle of one stage (what `dist/<stage>.zip` holds as index.mjs). */
export function bundlePath(stage: Stage, root: string = ROOT): string {
  return path.join(root, 'dist', stage, 'index.mjs');
}

/** The module URL of a stage's handler; a missing bundle is a one-line error naming the fix. */
export function handlerModuleUrl(stage: Stage, source: HandlerSource, root: string = ROOT): string {
  if (source === 'sources')
    return pathToFileURL(path.join(root, 'services', 'lambdas', stage, 'handler.ts')).href;
  const bundle = bundlePath(stage, root);
  if (!existsSync(bundle)) {
    throw new BundlesMissingError(
      `--bundles: ${path.relative(process.cwd(), bundle) || bundle} does not exist; run \`npm run build\` first`,
    );
  }
  return pathToFileURL(bundle).href;
}

/** Checks every stage's module exists before anything starts (a missing bundle fails early). */
export function handlerModuleUrls(source: HandlerSource, root: string = ROOT): Record<Stage, string> {
  return {
    extract: handlerModuleUrl('extract', source, root),
    transform: handlerModuleUrl('transform', source, root),
    load: handlerModuleUrl('load', source, root),
  };
}
