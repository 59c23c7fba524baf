// totes console: refreshes the page's live part without a reload. Server-rendered HTML comes
// from the fragment URL in data-live; this script only swaps it in. While the keyboard focus is
// inside the live part (a button, a scrolled table) the swap waits, so focus is never lost.
(() => {
  const live = document.getElementById('live');
  if (!live?.dataset.live) return;
  const every = Number(live.dataset.every) || 5000;
  let busy = false;
  async function refresh() {
    if (busy || document.hidden || live.contains(document.activeElement)) return;
    busy = true;
    try {
      const response = await fetch(live.dataset.live, {
        headers: { Accept: 'text/html' },
        credentials: 'same-origin',
      });
      if (response.ok && !live.contains(document.activeElement)) {
        live.innerHTML = await response.text();
        live.dataset.refreshed = String(Date.now());
      }
    } catch {
      // The console is restarting or the network dropped: the next tick tries again.
    } finally {
      busy = false;
    }
  }
  setInterval(refresh, every);
})();
