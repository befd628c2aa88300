// The board's two HTML pages. Everything dynamic is inserted by the script with textContent; the only data in the
// HTML is the initial state as a JSON block (not executed, '<' escaped), so the first paint needs no extra request.
// The case table carries explicit ARIA roles: on a phone it is laid out as cards (display: block), which would
// otherwise drop its table semantics for screen readers.
import { createHash } from 'node:crypto';

const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const LOGIN_CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1b1f24;--card:#fff;--line:#c9ced6;--accent:#1f5fbf;--bad:#b3261e}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e6e9ee;--card:#1b2027;--line:#3a424d;--accent:#7fb0ff;--bad:#ff8a80}}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,sans-serif}
main{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:24px;width:min(360px,calc(100vw - 32px));box-sizing:border-box}
h1{font-size:1.3rem;margin:0 0 12px}label{display:block;font-weight:600;margin-bottom:4px}
input{width:100%;box-sizing:border-box;padding:10px;font:inherit;border:1px solid var(--line);border-radius:8px;background:transparent;color:inherit}
button{margin-top:12px;width:100%;padding:10px;font:inherit;font-weight:600;border:0;border-radius:8px;background:var(--accent);color:#fff;cursor:pointer}
@media (prefers-color-scheme:dark){button{color:#0b1320}}
.error{color:var(--bad);font-weight:600}p{margin:8px 0 0;font-size:.9rem}`;

/** The login page's one inline stylesheet, allowed by its hash: the CSP needs no 'unsafe-inline'. */
const LOGIN_CSS_HASH = `'sha256-${createHash('sha256').update(LOGIN_CSS).digest('base64')}'`;

const COMMON_CSP = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
export const LOGIN_CSP = `${COMMON_CSP}; style-src ${LOGIN_CSS_HASH}; img-src data:`;
export const BOARD_CSP = `${COMMON_CSP}; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'`;

export function loginPage(sessionHours: number, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in · Switchboard SLA board</title><link rel="icon" href="data:,"><style>${LOGIN_CSS}</style></head>
<body><main>
<h1>Switchboard SLA board</h1>
<form method="post" action="/board/login">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus${error ? ' aria-invalid="true" aria-describedby="login-error"' : ''}>
${error ? `<p id="login-error" class="error" role="alert">${esc(error)}</p>` : ''}
<button type="submit">Sign in</button>
<p>The token the service printed at its first start (or ADMIN_TOKEN). You stay signed in on this browser for ${sessionHours} hours.</p>
</form>
</main></body></html>`;
}

export function boardPage(initial: unknown): string {
  const data = JSON.stringify(initial).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>SLA board · Switchboard</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/board/assets/board.css"></head>
<body>
<header class="top">
<h1>SLA board</h1>
<p class="status"><span id="live" class="live" role="status" aria-live="polite">Connecting…</span> <span id="clock"></span></p>
<form method="post" action="/board/logout"><button type="submit" class="link">Sign out</button></form>
</header>
<main>
<section aria-labelledby="legend-title" class="legend-box"><h2 id="legend-title" class="visually-hidden">Legend</h2><ul id="legend" class="legend"></ul></section>
<section aria-labelledby="cases-title">
<h2 id="cases-title">Open cases by deadline <span id="cases-count" class="muted"></span></h2>
<div class="table-wrap"><table id="cases" class="cases" role="table">
<caption class="visually-hidden">Open cases, nearest deadline first, with live countdowns</caption>
<thead role="rowgroup"><tr role="row">${['Case', 'Client', 'Urgency', 'Manager', 'State', 'Due', 'Countdown', 'Response SLA'].map((h) => `<th scope="col" role="columnheader">${h}</th>`).join('')}</tr></thead>
<tbody role="rowgroup"></tbody></table></div>
<p id="cases-more" class="muted" hidden></p>
</section>
<div class="columns">
<section aria-labelledby="managers-title"><h2 id="managers-title">Managers</h2>
<div class="table-wrap"><table id="managers"><caption class="visually-hidden">Each manager's open cases, status and cover</caption>
<thead><tr><th scope="col">Manager</th><th scope="col">Status</th><th scope="col">Open cases</th><th scope="col">Covering</th></tr></thead><tbody></tbody></table></div>
</section>
<section aria-labelledby="breaches-title"><h2 id="breaches-title">Breaches this week <span id="breaches-count" class="muted"></span></h2>
<div class="table-wrap"><table id="breaches"><caption class="visually-hidden">Response deadlines missed since Monday</caption>
<thead><tr><th scope="col">Case</th><th scope="col">Client</th><th scope="col">Urgency</th><th scope="col">Manager</th><th scope="col">Deadline</th><th scope="col">Answered</th></tr></thead><tbody></tbody></table></div>
</section>
</div>
<section aria-labelledby="charts-title" class="charts-section">
<h2 id="charts-title">Compliance and first response</h2>
<form id="range" class="range"><label>From <input type="date" name="from" required></label> <label>To <input type="date" name="to" required></label> <button type="submit">Show</button> <span id="range-error" class="error" role="alert"></span></form>
<p id="totals" class="muted"></p>
<div id="charts" class="charts"></div>
</section>
</main>
<script type="application/json" id="board-data">${data}</script>
<script src="/board/assets/board.js" defer></script>
</body></html>`;
}
