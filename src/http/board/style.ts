// The board's stylesheet. Kept in a module (not a file beside it) so the built service in dist/ carries it too.
// Every state has a colour, a symbol and a word: colour is never the only signal.
export const BOARD_CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1b1f24;--muted:#5b6470;--card:#fff;--line:#d5dae1;--accent:#1f5fbf;
--running:#1f5fbf;--running-bg:#e6efff;--warned:#8a5a00;--warned-bg:#fff1cc;--breached:#b3261e;--breached-bg:#fde4e2;
--paused:#56606c;--paused-bg:#eceff3;--eta:#6a3fb5;--eta-bg:#efe7fb;--eta_missed:#a34400;--eta_missed-bg:#ffe6d5;
--met:#1a7f37;--met-bg:#dff3e5;--none:#56606c;--none-bg:#f1f3f5;--chart-grid:#e3e6ea}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--fg:#e6e9ee;--muted:#9aa4b1;--card:#181d23;--line:#2e3540;--accent:#8ab4ff;
--running:#8ab4ff;--running-bg:#15243d;--warned:#f5c451;--warned-bg:#33290f;--breached:#ff8a80;--breached-bg:#3a1714;
--paused:#b4bcc7;--paused-bg:#262c34;--eta:#c7a6ff;--eta-bg:#2a1f40;--eta_missed:#ffab70;--eta_missed-bg:#3a2212;
--met:#7ee0a0;--met-bg:#123020;--none:#b4bcc7;--none-bg:#20262d;--chart-grid:#2b323b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;padding:12px 16px;background:var(--card);border-bottom:1px solid var(--line);position:sticky;top:0;z-index:2}
.top h1{font-size:1.2rem;margin:0;flex:0 0 auto}.top .status{margin:0;flex:1 1 auto;color:var(--muted);font-size:.9rem}.top form{margin:0}
main{padding:12px 16px 32px;max-width:1400px;margin:0 auto}
h2{font-size:1.05rem;margin:20px 0 8px}
.muted{color:var(--muted);font-weight:normal;font-size:.9rem}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button,input{font:inherit;color:inherit}
button{border:1px solid var(--line);background:var(--card);border-radius:8px;padding:6px 12px;cursor:pointer}
button.link{border:0;background:none;color:var(--accent);text-decoration:underline;padding:4px}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.live::before{content:"● ";color:var(--met)}.live.down::before{color:var(--breached)}
.legend{display:flex;flex-wrap:wrap;gap:6px 10px;list-style:none;margin:12px 0 0;padding:0;font-size:.85rem}
.legend li{display:flex;align-items:center;gap:6px}
.table-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);background:var(--card)}
tbody tr:last-child td{border-bottom:0}
td.num{font-variant-numeric:tabular-nums}
.cases td:first-child{border-left:5px solid var(--row,transparent)}
.sub{display:block;color:var(--muted);font-size:.85rem;overflow:hidden;text-overflow:ellipsis;max-width:28ch;white-space:nowrap}
.badge{display:inline-block;white-space:nowrap;border-radius:999px;padding:1px 9px;font-size:.82rem;font-weight:600;border:1px solid currentColor}
.countdown{font-variant-numeric:tabular-nums;font-weight:600;white-space:nowrap}
${['running', 'warned', 'breached', 'paused', 'eta', 'eta_missed', 'met', 'none']
  .map((st) => `.st-${st}{color:var(--${st});background:var(--${st}-bg)}tr.row-${st}{--row:var(--${st})}`)
  .join('\n')}
.columns{display:grid;grid-template-columns:1fr 1fr;gap:0 20px}
/* Grid items may shrink below their tables' width: the tables scroll inside their frame instead. */
.columns>section,.charts>figure{min-width:0}
.range{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.range input{padding:4px 6px;border:1px solid var(--line);border-radius:6px;background:var(--card)}
.error{color:var(--breached);font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:16px}
.chart{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px;margin:0;min-width:0}
.chart h3{font-size:.95rem;margin:0 0 8px}.chart .canvas{position:relative;height:240px}
.chart details{margin-top:8px;font-size:.85rem}.chart details table td,.chart details table th{padding:4px 6px}
@media (max-width:760px){
 main{padding:8px 10px 24px}.legend li .muted{display:none}.columns{grid-template-columns:1fr}.charts{grid-template-columns:1fr}
 .cases thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
 .cases,.cases tbody,.cases tr,.cases td{display:block;width:100%}
 .cases tr{border-left:5px solid var(--row,transparent);border-bottom:1px solid var(--line);padding:6px 0}
 .cases td,.cases td:first-child{border:0;padding:3px 10px;display:flex;gap:8px;justify-content:space-between}
 .cases td::before{content:attr(data-label);color:var(--muted);font-size:.8rem;text-transform:uppercase}
 .sub{max-width:22ch}
}`;
