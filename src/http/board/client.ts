// The board page's one script, served as /board/assets/board.js. A module string rather than a file beside it, so
// the built service in dist/ carries it too. Plain ES2020 for the browser: no backticks or template placeholders here.
export const BOARD_JS = String.raw`(function () {
  'use strict';
  // [symbol, label, what it means]: every state is told by a word and a symbol as well as its colour.
  var STATES = {
    running: ['\u25B6', 'Running', 'response clock running'],
    warned: ['\u26A0', 'Warned', 'running; a warning went to the manager'],
    breached: ['\u2716', 'Breached', 'the response deadline passed'],
    paused: ['\u2225', 'Paused', 'waiting on the client; no clock runs'],
    eta: ['\u25F7', 'ETA standing', 'responded; counting down to the ETA'],
    eta_missed: ['!', 'ETA missed', 'the ETA passed without a resolution'],
    met: ['\u2714', 'Met', 'responded in time; nothing pending'],
    none: ['\u2013', 'No clock', 'nothing is counting']
  };
  var SLA_LABEL = { running: 'Running', met: 'Met', breached: 'Breached', paused: 'Paused', none: 'None' };
  var boot = JSON.parse(document.getElementById('board-data').textContent);
  var data = boot.state;
  var skew = 0;
  var range = boot.range;
  var charts = [];
  var lastChartsAt = 0;

  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  var now = function () { return Date.now() + skew; };
  var timeFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  function timeEl(iso) {
    if (!iso) return document.createTextNode('\u2014');
    return h('time', { datetime: iso, title: iso }, [timeFmt.format(new Date(iso))]);
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) return d + 'd ' + pad(hh) + 'h';
    if (hh) return hh + 'h ' + pad(m) + 'm';
    return m + 'm ' + pad(s % 60) + 's';
  }
  function badge(state, extra) {
    var st = STATES[state] || STATES.none;
    return h('span', { class: 'badge st-' + state, title: st[2] }, [st[0] + ' ' + st[1] + (extra || '')]);
  }
  /** Deadlines pass between fetches: the page moves a case on by itself, as the server would. */
  function shownState(c) {
    var due = c.dueAt ? Date.parse(c.dueAt) : null;
    if (due !== null && due <= now()) {
      if (c.state === 'running' || c.state === 'warned') return 'breached';
      if (c.state === 'eta') return 'eta_missed';
    }
    return c.state;
  }
  function shownSla(c) {
    return c.sla.state === 'running' && c.sla.dueAt && Date.parse(c.sla.dueAt) <= now() ? 'breached' : c.sla.state;
  }
  function countdownText(c) {
    if (c.state === 'paused') return 'waiting on client';
    if (!c.dueAt) return c.state === 'breached' ? 'answered late' : '\u2014';
    var left = Date.parse(c.dueAt) - now();
    var what = c.state === 'eta' || c.state === 'eta_missed' ? 'ETA ' : '';
    return left > 0 ? what + 'in ' + span(left) : what + span(left) + ' overdue';
  }
  function cell(label, children, cls) { return h('td', { 'data-label': label, class: cls || '', role: 'cell' }, children); }

  function renderLegend() {
    var ul = document.getElementById('legend');
    ul.textContent = '';
    Object.keys(STATES).forEach(function (k) { ul.appendChild(h('li', null, [badge(k), h('span', { class: 'muted', text: STATES[k][2] })])); });
  }

  function renderCases() {
    var body = document.querySelector('#cases tbody');
    body.textContent = '';
    document.getElementById('cases-count').textContent = '(' + data.cases.length + (data.more ? '+' : '') + ')';
    var more = document.getElementById('cases-more');
    more.hidden = !data.more;
    more.textContent = data.more ? 'More cases are open than the board lists; the nearest deadlines are shown.' : '';
    if (!data.cases.length) body.appendChild(h('tr', null, [h('td', { colspan: '8', class: 'muted', text: 'No open cases.' })]));
    data.cases.forEach(function (c) {
      var st = shownState(c);
      var manager = c.manager ? c.manager.name : 'unassigned';
      body.appendChild(h('tr', { class: 'row-' + st, role: 'row', 'data-case': String(c.number), 'data-state': st }, [
        cell('Case', [h('strong', { text: '#' + c.number }), c.subject ? h('span', { class: 'sub', title: c.subject, text: c.subject }) : null]),
        cell('Client', [c.client.name, h('span', { class: 'sub', text: c.client.tier })]),
        cell('Urgency', [c.urgency]),
        cell('Manager', [manager, c.coveringFor ? h('span', { class: 'sub', text: 'covering for ' + c.coveringFor.name }) : null]),
        cell('State', [badge(st)], 'state'),
        cell('Due', [timeEl(c.dueAt)], 'due'),
        cell('Countdown', [h('span', { class: 'countdown', 'data-due': c.dueAt || '', text: countdownText({ state: st, dueAt: c.dueAt }) })], 'countdown-cell'),
        cell('Response SLA', [h('span', { class: 'sla', text: SLA_LABEL[shownSla(c)] || c.sla.state })], 'sla-cell')
      ]));
    });
  }

  function renderManagers() {
    var body = document.querySelector('#managers tbody');
    body.textContent = '';
    data.managers.forEach(function (m) {
      var away = m.status === 'away';
      var status = [h('span', { class: 'badge ' + (away ? 'st-paused' : 'st-met'), text: away ? '\u2225 Away' : '\u2714 Active' })];
      if (m.coveredBy.length) status.push(h('span', { class: 'sub', text: 'covered by ' + m.coveredBy.map(function (c) { return c.name + ' (' + c.cases + ')'; }).join(', ') }));
      body.appendChild(h('tr', { 'data-manager': m.name }, [
        h('td', null, [m.name, m.onCall ? h('span', { class: 'sub', text: 'on call' }) : null]),
        h('td', null, status),
        h('td', { class: 'num', text: String(m.openCases) }),
        h('td', null, [m.coveringFor.length ? 'for ' + m.coveringFor.map(function (c) { return c.name + ' (' + c.cases + ')'; }).join(', ') : '\u2014'])
      ]));
    });
  }

  function renderBreaches() {
    var body = document.querySelector('#breaches tbody');
    body.textContent = '';
    document.getElementById('breaches-count').textContent = '(' + data.week.breaches.length + ')';
    if (!data.week.breaches.length) body.appendChild(h('tr', null, [h('td', { colspan: '6', class: 'muted', text: 'None since Monday.' })]));
    data.week.breaches.forEach(function (b) {
      body.appendChild(h('tr', null, [
        h('td', null, [h('strong', { text: '#' + b.number })]), h('td', { text: b.client }), h('td', { text: b.urgency }),
        h('td', { text: b.manager || 'unassigned' }), h('td', null, [timeEl(b.dueAt)]),
        h('td', null, [b.respondedAt ? timeEl(b.respondedAt) : (b.caseStatus === 'resolved' ? 'resolved' : 'not yet')])
      ]));
    });
  }

  function render() {
    renderCases();
    renderManagers();
    renderBreaches();
    tick();
  }

  function tick() {
    document.getElementById('clock').textContent = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(now()));
    var rows = document.querySelectorAll('#cases tbody tr[data-case]');
    for (var i = 0; i < rows.length; i++) {
      var c = data.cases[i];
      if (!c) continue;
      var st = shownState(c);
      if (rows[i].getAttribute('data-state') !== st) {
        rows[i].setAttribute('data-state', st);
        rows[i].className = 'row-' + st;
        var stateCell = rows[i].querySelector('td.state');
        stateCell.textContent = '';
        stateCell.appendChild(badge(st));
        rows[i].querySelector('.sla').textContent = SLA_LABEL[shownSla(c)] || c.sla.state;
      }
      rows[i].querySelector('.countdown').textContent = countdownText({ state: st, dueAt: c.dueAt });
    }
  }

  function signedOut(res) {
    if (res.status !== 401) return false;
    location.assign('/board/login');
    return true;
  }

  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      fetch('/board/api/state', { headers: { accept: 'application/json' }, cache: 'no-store' }).then(function (res) {
        if (signedOut(res) || !res.ok) return null;
        return res.json();
      }).then(function (s) {
        if (s) { data = s; skew = Date.parse(s.now) - Date.now(); render(); document.dispatchEvent(new CustomEvent('board:updated')); }
      }).catch(function () {}).then(function () { pending = null; });
      if (Date.now() - lastChartsAt > 30000) loadCharts();
    }, 250);
  }

  var live = document.getElementById('live');
  function connect() {
    var es = new EventSource('/board/events');
    es.addEventListener('open', function () { live.textContent = 'Live'; live.className = 'live'; });
    es.addEventListener('change', refresh);
    es.addEventListener('error', function () {
      live.textContent = 'Reconnecting\u2026';
      live.className = 'live down';
      if (es.readyState === 2) {
        // Closed for good (signed out, session expired, server gone): find out which, then try again.
        fetch('/board/api/state', { headers: { accept: 'application/json' } }).then(signedOut).catch(function () {});
        setTimeout(connect, 5000);
      }
    });
  }

  // ---- charts ----
  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function pct(v) { return v === null || v === undefined ? '\u2014' : (Math.round(v * 1000) / 10) + '%'; }
  function mins(v) { return v === null || v === undefined ? '\u2014' : (v < 60 ? v + ' min' : (Math.round(v / 6) / 10) + ' h'); }
  function dataTable(head, rows) {
    return h('details', null, [h('summary', { text: 'Data table' }), h('table', null, [
      h('thead', null, [h('tr', null, head.map(function (x) { return h('th', { scope: 'col', text: x }); }))]),
      h('tbody', null, rows.map(function (r) { return h('tr', null, r.map(function (x) { return h('td', { text: String(x) }); })); }))
    ])]);
  }
  function chartBox(id, title, summary, config, table) {
    var canvas = h('canvas', { role: 'img', 'aria-label': title + ': ' + summary });
    var fig = h('figure', { class: 'chart', id: id }, [h('h3', { text: title }), h('div', { class: 'canvas' }, [canvas]), table]);
    document.getElementById('charts').appendChild(fig);
    if (window.Chart) charts.push(new window.Chart(canvas, config));
  }
  function renderCharts(c) {
    charts.forEach(function (x) { x.destroy(); });
    charts = [];
    var box = document.getElementById('charts');
    box.textContent = '';
    var C = { met: cssVar('--met'), breached: cssVar('--breached'), accent: cssVar('--accent'), eta: cssVar('--eta'), muted: cssVar('--muted'), grid: cssVar('--chart-grid') };
    if (window.Chart) {
      window.Chart.defaults.color = C.muted;
      window.Chart.defaults.borderColor = C.grid;
      window.Chart.defaults.animation = false;
      window.Chart.defaults.maintainAspectRatio = false;
    }
    var t = c.totals;
    document.getElementById('totals').textContent = c.from + ' to ' + c.to + ' (' + c.zone + '): ' + t.total + ' response clocks, ' + t.met + ' met, ' + t.breached + ' breached, ' + t.running + ' running; compliance ' + pct(t.compliance) + '; first response median ' + mins(t.medianMinutes) + ', 90th percentile ' + mins(t.p90Minutes) + '; ' + t.awaitingFirstResponse + ' awaiting a first response.';
    var percentAxis = { min: 0, max: 100, ticks: { callback: function (v) { return v + '%'; } } };
    var asPct = function (v) { return v === null ? null : Math.round(v * 1000) / 10; };
    chartBox('chart-weekly', 'Compliance per week', 'met and breached response clocks per ISO week, with compliance', {
      type: 'bar',
      data: { labels: c.weekly.map(function (w) { return w.week; }), datasets: [
        { label: 'Met', data: c.weekly.map(function (w) { return w.met; }), backgroundColor: C.met, stack: 'n' },
        { label: 'Breached', data: c.weekly.map(function (w) { return w.breached; }), backgroundColor: C.breached, stack: 'n' },
        { label: 'Compliance', type: 'line', data: c.weekly.map(function (w) { return asPct(w.compliance); }), borderColor: C.accent, backgroundColor: C.accent, yAxisID: 'pct', spanGaps: true }
      ] },
      options: { scales: { y: { stacked: true, beginAtZero: true, title: { display: true, text: 'clocks' } }, x: { stacked: true }, pct: Object.assign({ position: 'right', grid: { drawOnChartArea: false } }, percentAxis) } }
    }, dataTable(['Week', 'Met', 'Breached', 'Running', 'Compliance'], c.weekly.map(function (w) { return [w.week, w.met, w.breached, w.running, pct(w.compliance)]; })));
    chartBox('chart-urgency', 'Compliance per urgency', 'share of decided response clocks met, per urgency', {
      type: 'bar',
      data: { labels: c.byUrgency.map(function (u) { return u.name; }), datasets: [{ label: 'Compliance', data: c.byUrgency.map(function (u) { return asPct(u.compliance); }), backgroundColor: C.accent }] },
      options: { plugins: { legend: { display: false } }, scales: { y: percentAxis } }
    }, dataTable(['Urgency', 'Met', 'Breached', 'Running', 'Compliance'], c.byUrgency.map(function (u) { return [u.name, u.met, u.breached, u.running, pct(u.compliance)]; })));
    chartBox('chart-frt', 'First response time', 'cases by time to their first response', {
      type: 'bar',
      data: { labels: c.firstResponse.map(function (b) { return b.label; }), datasets: [{ label: 'Cases', data: c.firstResponse.map(function (b) { return b.cases; }), backgroundColor: C.eta }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'cases' } } } }
    }, dataTable(['Time to first response', 'Cases'], c.firstResponse.map(function (b) { return [b.label, b.cases]; })));
    [['chart-client', 'Per client', c.byClient], ['chart-manager', 'Per manager', c.byManager]].forEach(function (g) {
      var rows = g[2];
      chartBox(g[0], g[1] + ': compliance and first response', 'compliance per ' + g[1].toLowerCase().replace('per ', ''), {
        type: 'bar',
        data: { labels: rows.map(function (r) { return r.name; }), datasets: [{ label: 'Compliance', data: rows.map(function (r) { return asPct(r.compliance); }), backgroundColor: C.accent }] },
        options: { indexAxis: 'y', plugins: { legend: { display: false }, tooltip: { callbacks: { afterLabel: function (ctx) { var r = rows[ctx.dataIndex]; return r.met + ' met, ' + r.breached + ' breached; first response median ' + mins(r.medianMinutes); } } } }, scales: { x: percentAxis } }
      }, dataTable(['Name', 'Met', 'Breached', 'Running', 'Compliance', 'First response median', '90th percentile'], rows.map(function (r) { return [r.name, r.met, r.breached, r.running, pct(r.compliance), mins(r.medianMinutes), mins(r.p90Minutes)]; })));
    });
    lastChartsAt = Date.now();
    if (!performance.getEntriesByName('board-charts').length) performance.mark('board-charts');
    document.dispatchEvent(new CustomEvent('board:charts'));
  }
  var chartData = null;
  function loadCharts() {
    lastChartsAt = Date.now();
    var err = document.getElementById('range-error');
    fetch('/board/api/charts?from=' + encodeURIComponent(range.from) + '&to=' + encodeURIComponent(range.to), { headers: { accept: 'application/json' }, cache: 'no-store' }).then(function (res) {
      if (signedOut(res)) return null;
      return res.json().then(function (j) { if (!res.ok) { err.textContent = j.error || 'could not load the charts'; return null; } err.textContent = ''; return j; });
    }).then(function (c) { if (c) chartLibrary(function () { chartData = c; renderCharts(c); }); }).catch(function () { err.textContent = 'could not load the charts'; });
  }
  // Chart.js is fetched after the first paint: the table and its countdowns needn't wait for it.
  var library = null;
  function chartLibrary(then) {
    if (window.Chart) return then();
    if (!library) {
      library = [];
      var s = document.createElement('script');
      s.src = '/board/assets/chart.umd.min.js';
      s.onload = function () { library.forEach(function (f) { f(); }); library = []; };
      s.onerror = function () { document.getElementById('range-error').textContent = 'could not load the chart library'; };
      document.head.appendChild(s);
    }
    library.push(then);
  }
  var form = document.getElementById('range');
  form.elements.from.value = range.from;
  form.elements.to.value = range.to;
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    range = { from: form.elements.from.value, to: form.elements.to.value };
    loadCharts();
  });
  if (window.matchMedia) window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', function () { if (chartData) renderCharts(chartData); });

  skew = Date.parse(data.now) - Date.now();
  renderLegend();
  render();
  performance.mark('board-rendered');
  setInterval(tick, 1000);
  connect();
  requestAnimationFrame(function () { setTimeout(loadCharts, 0); });
})();
`;
