import { html, type SafeHtml, trusted } from '../html.ts';

export type PageId = 'pipeline' | 'dead-letters' | 'warehouse' | 'runbook' | 'error';

const NAV: readonly { id: PageId; href: string; label: string }[] = [
  { id: 'pipeline', href: '/pipeline', label: 'Pipeline' },
  { id: 'dead-letters', href: '/dead-letters', label: 'Dead letters' },
  { id: 'warehouse', href: '/warehouse', label: 'Warehouse' },
];

export interface PageOptions {
  readonly page: PageId;
  readonly title: string;
  /** One line naming what the console looks at (never a secret). */
  readonly target: string;
  readonly body: SafeHtml;
  /** The stylesheet (assets/console.css), inlined; the CSP allows it by its hash. */
  readonly css: string;
  /** Content above the refreshing part (e.g. a filter form being typed into). */
  readonly before?: SafeHtml;
  /** The fragment URL the page polls to refresh `#live` without a reload, and how often. */
  readonly live?: { readonly url: string; readonly everyMs: number };
}

/**
 * The whole document: a skip link, the three pages as real links (the current one marked with
 * aria-current), and the page's main content. The CSS and the small polling script are files
 * of this folder (assets/), used as they are: nothing to build.
 */
export function layout(options: PageOptions): SafeHtml {
  const live = options.live;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · totes console</title>
<style>${trusted(options.css)}</style>
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<p class="brand">totes console <span class="target">${options.target}</span></p>
<nav aria-label="Pages"><ul>${NAV.map(
    (n) =>
      html`<li><a href="${n.href}"${n.id === options.page ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
  )}</ul></nav>
</header>
<main id="main" tabindex="-1">
<h1>${options.title}</h1>
${options.before ?? ''}
<div id="live"${live ? html` data-live="${live.url}" data-every="${live.everyMs}"` : ''}>${options.body}</div>
</main>
</body>
</html>
`;
}
