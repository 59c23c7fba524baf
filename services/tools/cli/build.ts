/**
 * `npm run build`: one minified ESM bundle per Lambda handler (AWS SDK v3 bundled, so the deployed
 * code runs the SDK version we tested, not whatever the runtime ships), zipped for deployment:
 *
 *   services/lambdas/<stage>/handler.ts  ->  dist/<stage>/index.mjs  ->  dist/<stage>.zip  (handler: index.handler)
 *
 * Handlers not written yet are skipped with a note; `--strict` makes a missing handler an error.
 * Zips are deterministic (fixed timestamps), so an unchanged bundle gives an identical zip and
 * Terraform's source hash does not move. Usage: node services/tools/cli/build.ts [--strict] [stage...]
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import yazl from 'yazl';

export const STAGES = ['extract', 'transform', 'load'] as const;
export type BuildStage = (typeof STAGES)[number];

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Bundles above this size are reported (not failed): the architecture budgets about 1 MB each. */
const SIZE_BUDGET_BYTES = 1024 * 1024;
/** Zip entries carry this time so identical bundles give byte-identical zips. */
const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

// CJS dependencies bundled into ESM call require() for Node built-ins; give them one.
const BANNER = [
  "import { createRequire as __totesCreateRequire } from 'node:module';",
  'const require = __totesCreateRequire(import.meta.url);',
].join('\n');

/**
 * slonik validates with zod 4, whose namespace re-exports every locale (about 250 KB minified that
 * tree-shaking cannot drop). Only English messages are ever configured (zod's default), so the
 * locale index is replaced by English alone: bundles stay under 1 MB.
 */
const englishOnlyZodLocales: Plugin = {
  name: 'zod-english-only',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';\n",
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * The SDK's default credential chain (`@aws-sdk/credential-provider-node`) imports the SSO, shared
 * config file (ini), credential_process and web-identity token providers on demand; bundled, they
 * bring the STS, SSO, SSO-OIDC and sign-in clients (`@aws-sdk/nested-clients`, about 80 KB
 * minified). A Lambda function never uses them: the runtime gives the execution role's credentials
 * in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (read by the chain's first link,
 * fromEnv, which stays), and the container/instance metadata links stay too. In the bundles each of
 * those four links is a provider that passes to the next link, as each does when its own
 * configuration is absent. The TypeScript sources (tests, local tools) keep the full chain.
 */
export const LAMBDA_UNUSED_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
] as const;
const SKIPPED_PROVIDER_MODULE = [
  'const skip = (name) => () => () => {',
  '  const error = new Error(name + ": not in the Lambda bundle (Lambda gives credentials in the environment)");',
  "  error.name = 'CredentialsProviderError';",
  '  error.tryNextLink = true;',
  '  return Promise.reject(error);',
  '};',
  "export const fromSSO = skip('fromSSO');",
  "export const fromIni = skip('fromIni');",
  "export const fromProcess = skip('fromProcess');",
  "export const fromTokenFile = skip('fromTokenFile');",
].join('\n');
const lambdaCredentialChain: Plugin = {
  name: 'lambda-credential-chain',
  setup(pluginBuild) {
    // Package names hold no regular-expression metacharacters (esbuild filters are Go regexps).
    const names = LAMBDA_UNUSED_CREDENTIAL_PROVIDERS.join('|');
    pluginBuild.onResolve({ filter: new RegExp(`^(${names})$`) }, (args) =>
      args.importer.includes('credential-provider-node')
        ? { path: args.path, namespace: 'lambda-credential-chain' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'lambda-credential-chain' }, () => ({
      contents: SKIPPED_PROVIDER_MODULE,
      loader: 'js',
    }));
  },
};

export interface BuiltStage {
  readonly stage: BuildStage;
  readonly bundle: string;
  readonly zip: string;
  readonly bundleBytes: number;
  readonly zipBytes: number;
}

export function handlerPath(stage: BuildStage, root = ROOT): string {
  return path.join(root, 'services', 'lambdas', stage, 'handler.ts');
}

async function zipFile(source: string, entryName: string, target: string): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(await readFile(source), entryName, { mtime: FIXED_MTIME, mode: 0o100644, compress: true });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(target));
}

/** The esbuild settings for one Lambda bundle (exported so a check can bundle other entries alike). */
export function bundleOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    legalComments: 'none',
    // ESM builds of dependencies tree-shake better (the AWS SDK ships both).
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    // pg loads its optional native binding lazily; Lambda does not have it.
    external: ['pg-native'],
    plugins: [englishOnlyZodLocales, lambdaCredentialChain],
    logLevel: 'warning',
  };
}

export async function buildStage(stage: BuildStage, root = ROOT): Promise<BuiltStage> {
  const outDir = path.join(root, 'dist', stage);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const bundle = path.join(outDir, 'index.mjs');
  await build(bundleOptions(handlerPath(stage, root), bundle));
  const zip = path.join(root, 'dist', `${stage}.zip`);
  await zipFile(bundle, 'index.mjs', zip);
  return { stage, bundle, zip, bundleBytes: (await stat(bundle)).size, zipBytes: (await stat(zip)).size };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { strict: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log('usage: node services/tools/cli/build.ts [--strict] [extract|transform|load ...]');
    console.log(
      'bundles services/lambdas/<stage>/handler.ts into dist/<stage>/index.mjs and dist/<stage>.zip',
    );
    console.log('--strict  fail when a stage has no handler yet (otherwise it is skipped with a note)');
    return 0;
  }
  const unknown = positionals.filter((p) => !(STAGES as readonly string[]).includes(p));
  if (unknown.length > 0) {
    console.error(`build: unknown stage ${unknown.join(', ')} (stages: ${STAGES.join(', ')})`);
    return 2;
  }
  const wanted = positionals.length > 0 ? (positionals as BuildStage[]) : [...STAGES];
  const missing = wanted.filter((stage) => !existsSync(handlerPath(stage)));
  if (missing.length > 0 && values.strict) {
    console.error(
      `build: missing handlers: ${missing.map((s) => path.relative(ROOT, handlerPath(s))).join(', ')}`,
    );
    return 1;
  }
  for (const stage of missing) {
    console.log(`${stage.padEnd(10)} skipped: ${path.relative(ROOT, handlerPath(stage))} does not exist yet`);
  }
  let overBudget = false;
  for (const stage of wanted.filter((s) => !missing.includes(s))) {
    const built = await buildStage(stage);
    const note = built.bundleBytes > SIZE_BUDGET_BYTES ? '  (over the 1 MB budget)' : '';
    overBudget ||= note !== '';
    console.log(
      `${stage.padEnd(10)} ${path.relative(ROOT, built.bundle)} ${kb(built.bundleBytes)}, ` +
        `${path.relative(ROOT, built.zip)} ${kb(built.zipBytes)}${note}`,
    );
  }
  if (overBudget)
    console.log('note: a bundle is over 1 MB minified; see what it holds with esbuild --analyze');
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await run(process.argv.slice(2));
  } catch (error) {
    // esbuild has already printed its diagnostics with file and line.
    console.error(`build failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    process.exitCode = 1;
  }
}
