/**
 * RUNBOOK.md as a page, so each alarm links to its section (`/runbook#<anchor>`). The text is
 * shown as written (escaped, pre-wrapped); only the runbook's own `<a id="..."></a>` lines become
 * anchors, and `#` headings become headings. No Markdown library for one file.
 */
import { html, type SafeHtml } from '../html.ts';

export function runbookBody(markdown: string): SafeHtml {
  const parts: SafeHtml[] = [];
  let block: string[] = [];
  const flush = () => {
    if (block.length) parts.push(html`<pre class="runbook">${block.join('\n')}</pre>`);
    block = [];
  };
  for (const line of markdown.split('\n')) {
    const anchor = /^<a id="([a-z0-9-]+)"><\/a>\s*$/.exec(line);
    const heading = /^(#{1,3}) (.+)$/.exec(line);
    if (anchor) {
      flush();
      parts.push(html`<span class="anchor" id="${anchor[1]}"></span>`);
    } else if (heading) {
      flush();
      const level = heading[1]?.length ?? 2;
      const title = heading[2] ?? '';
      parts.push(
        level === 1
          ? html`<h2>${title}</h2>`
          : level === 2
            ? html`<h2>${title}</h2>`
            : html`<h3>${title}</h3>`,
      );
    } else {
      block.push(line);
    }
  }
  flush();
  return html`${parts}`;
}
