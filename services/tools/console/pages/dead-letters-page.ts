/**
 * Page 2, Dead letters: each DLQ with its messages joined to their failure records (what
 * `totes dlq show` prints), and the actions. Every action button is a GET to a confirmation page
 * (changes nothing); only the confirmation's POST, carrying the session's token, acts.
 */
import type { PurgeResult, RedriveResult } from '../../ops/dlq/index.ts';
import { html, type SafeHtml } from '../html.ts';
import type { DeadLetterQueueView } from '../target.ts';
import { int, seconds } from './components.ts';

export type DlqAction = 'redrive' | 'purge';

function confirmButton(label: string, action: DlqAction, queue: string, messageId?: string): SafeHtml {
  return html`<form method="get" action="/dead-letters/confirm" class="inline"><input type="hidden" name="action" value="${action}"><input type="hidden" name="queue" value="${queue}">${messageId ? html`<input type="hidden" name="message" value="${messageId}">` : ''}<button type="submit"${action === 'purge' ? html` class="danger"` : ''}>${label}</button></form>`;
}

function messages(q: DeadLetterQueueView): SafeHtml {
  if (q.messages.length === 0) return html`<p class="empty">No messages.</p>`;
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="Messages in ${q.queue}"><table class="messages">
<caption>Messages in ${q.queue}${q.messages.length < q.depth + q.inFlight ? ` (first ${q.messages.length})` : ''}; looking at them leaves them in the queue</caption>
<thead><tr><th scope="col">message</th><th scope="col">object</th><th scope="col">failure class</th><th scope="col">what the database or parser said</th><th scope="col" class="num">attempts</th><th scope="col">first sent</th><th scope="col">last failure</th><th scope="col">action</th></tr></thead>
<tbody>${q.messages.map((m) => {
    const f = m.failure;
    const cls = f
      ? f.rootErrorClass !== f.errorClass
        ? `${f.errorClass} (root ${f.rootErrorClass})`
        : f.errorClass
      : '–';
    return html`<tr data-message="${m.messageId}"><td><code>${m.messageId}</code></td><td><code>${m.objects.length ? m.objects.join(', ') : (m.note ?? '–')}</code></td><td data-key="failure-class">${cls}</td><td class="reason" data-key="reason">${f ? f.errorMessage : 'no failure record (expired, cleared by a later success, or never written)'}</td><td class="num" data-key="attempts">${int(Math.max(m.receiveCount, f?.attempt ?? 0))}</td><td>${m.sentAt ?? '–'}</td><td>${f?.failedAt ?? '–'}</td><td>${q.source ? confirmButton('Redrive', 'redrive', q.queue, m.messageId) : ''}</td></tr>`;
  })}</tbody></table></div>`;
}

export function deadLettersLive(queues: readonly DeadLetterQueueView[], at: string): SafeHtml {
  if (queues.length === 0) return html`<p class="empty">No dead-letter queues found.</p>`;
  return html`<p class="updated">Updated <time datetime="${at}">${at.slice(11, 19)} UTC</time>; refreshes by itself.</p>
${queues.map(
  (q) => html`<section class="dlq" data-queue="${q.queue}" aria-labelledby="dlq-${q.queue}">
<h2 id="dlq-${q.queue}">${q.queue} <span class="count ${q.depth > 0 ? 'bad' : 'good'}" data-key="depth">${int(q.depth)}</span> <span class="sub">message${q.depth === 1 ? '' : 's'}</span></h2>
<p>In flight ${int(q.inFlight)} · oldest ${seconds(q.oldestAgeSeconds)} · failures of ${q.stage ?? '–'}, redrive sends them back to ${q.source ?? '(no source queue)'}</p>
${q.depth + q.inFlight > 0 ? html`<div class="actions">${q.source ? confirmButton('Redrive all…', 'redrive', q.queue) : ''}${confirmButton('Purge, with a backup…', 'purge', q.queue)}</div>` : ''}
${messages(q)}
</section>`,
)}`;
}

/** The confirmation: says exactly what will happen; the POST carries the session's token. */
export function confirmBody(options: {
  readonly action: DlqAction;
  readonly queue: string;
  readonly source: string | null;
  readonly messageId: string | null;
  readonly depth: number;
  readonly csrf: string;
}): SafeHtml {
  const what =
    options.action === 'purge'
      ? `Delete all ${options.depth} message(s) of ${options.queue}. Each is written to a backup file (JSON lines, fsynced) before it is deleted.`
      : options.messageId
        ? `Send message ${options.messageId} of ${options.queue} back to ${options.source ?? '?'} and delete it from the DLQ (a backup line is written first).`
        : `Send all ${options.depth} message(s) of ${options.queue} back to ${options.source ?? '?'} (a backup line is written for each first).`;
  const label =
    options.action === 'purge' ? 'Purge' : options.messageId ? 'Redrive this message' : 'Redrive all';
  return html`<section class="confirm" aria-labelledby="confirm-heading">
<h2 id="confirm-heading">Confirm</h2>
<p>${what}</p>
${options.action === 'redrive' ? html`<p>Fix the cause first: a message redriven into the same fault comes back here after its retries.</p>` : ''}
<form method="post" action="/dead-letters/${options.action}">
<input type="hidden" name="csrf" value="${options.csrf}">
<input type="hidden" name="queue" value="${options.queue}">
${options.messageId ? html`<input type="hidden" name="message" value="${options.messageId}">` : ''}
${
  // Enter confirms a redrive; for a purge (nothing comes back) the focus starts on Cancel.
  options.action === 'purge'
    ? html`<button type="submit" class="danger">${label}</button> <a href="/dead-letters" class="button" autofocus>Cancel</a>`
    : html`<button type="submit" class="primary" autofocus>${label}</button> <a href="/dead-letters" class="button">Cancel</a>`
}
</form>
</section>`;
}

export function redriveResultBody(result: RedriveResult): SafeHtml {
  return html`<section class="result" role="status" aria-labelledby="result-heading">
<h2 id="result-heading">Redriven: <span data-key="moved">${result.moved}</span> message${result.moved === 1 ? '' : 's'}</h2>
<p>From ${result.queue} to ${result.destination}${result.aborted ? ' (stopped before the end)' : ''}.${result.notFound.length ? ` Not found in the DLQ (already moved or never there): ${result.notFound.join(', ')}.` : ''}</p>
${result.backupFile ? html`<p>Backup: <code>${result.backupFile}</code></p>` : ''}
<p>The messages go through ${result.destination} again; the Dead letters page shows whether any comes back.</p>
<p><a href="/dead-letters" class="button primary">Back to Dead letters</a> <a href="/pipeline" class="button">Pipeline</a></p>
</section>`;
}

export function purgeResultBody(result: PurgeResult): SafeHtml {
  return html`<section class="result" role="status" aria-labelledby="result-heading">
<h2 id="result-heading">Purged: <span data-key="deleted">${result.deleted}</span> message${result.deleted === 1 ? '' : 's'}</h2>
<p>From ${result.queue}. Backup: <code>${result.backupFile}</code></p>
<p><a href="/dead-letters" class="button primary">Back to Dead letters</a></p>
</section>`;
}
