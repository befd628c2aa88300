// <switchboard-chat>: the Switchboard support chat as a web component, served as /widget.js.
//
//   <script src="https://support.example.com/widget.js" defer></script>
//   <switchboard-chat token="sbu1.…"></switchboard-chat>
//
// Attributes: token (required; minted by the vendor's backend), endpoint (default: where this script came from),
// heading, open (start opened), inline (part of the page instead of a floating launcher), theme (light | dark;
// default: the user's system setting). Fires "switchboard-token-expired" (bubbling) when the token runs out: give
// the element a fresh token attribute and it carries on where it was.
//
// Plain browser JavaScript on purpose: no build step, no framework. Message text only ever reaches the page
// through textContent and createElement, never through innerHTML.
(() => {
  'use strict';
  if (window.customElements.get('switchboard-chat')) return;
  const SCRIPT = document.currentScript;
  const DEFAULT_ENDPOINT = SCRIPT && SCRIPT.src ? new URL(SCRIPT.src).origin : location.origin;

  const CSS = `
:host{--a:#0b57d0;--bg:#fff;--fg:#1f1f1f;--mut:#5f6368;--them:#eef1f4;--me:#0b57d0;--mefg:#fff;--line:#c4c7c5;--warn:#b3261e;
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);color-scheme:light}
:host([theme=dark]){--a:#a8c7fa;--bg:#1b1c1e;--fg:#e3e3e3;--mut:#b4b7bb;--them:#2d2f31;--me:#a8c7fa;--mefg:#062e6f;--line:#5c5f61;--warn:#f2b8b5;color-scheme:dark}
@media (prefers-color-scheme:dark){:host(:not([theme=light])){--a:#a8c7fa;--bg:#1b1c1e;--fg:#e3e3e3;--mut:#b4b7bb;--them:#2d2f31;--me:#a8c7fa;--mefg:#062e6f;--line:#5c5f61;--warn:#f2b8b5;color-scheme:dark}}
*{box-sizing:border-box}
[hidden]{display:none!important}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button,textarea{font:inherit;color:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;min-height:48px;padding:0 20px;
 border:0;border-radius:24px;background:var(--me);color:var(--mefg);font-weight:600;box-shadow:0 2px 8px #0004}
.badge{min-width:22px;padding:0 6px;border-radius:11px;background:var(--bg);color:var(--fg);font-size:13px;line-height:22px;text-align:center}
.panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;display:flex;flex-direction:column;width:380px;height:min(600px,calc(100vh - 104px));
 background:var(--bg);border:1px solid var(--line);border-radius:16px;box-shadow:0 8px 28px #0005;overflow:hidden}
:host([inline]) .panel{position:relative;right:auto;bottom:auto;z-index:auto;width:100%;height:100%;min-height:420px;box-shadow:none}
header{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:12px 12px 12px 16px;border-bottom:1px solid var(--line)}
h2{margin:0;font-size:17px}
.close{min-width:44px;min-height:44px;border:0;border-radius:22px;background:none;font-size:24px;line-height:1}
.close:hover{background:var(--them)}
.log{flex:1;overflow-y:auto;padding:12px 16px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.empty{margin:auto;color:var(--mut);text-align:center}
.msg{max-width:85%;display:flex;flex-direction:column;gap:2px}
.me{align-self:flex-end;align-items:flex-end}
.meta{font-size:12px;color:var(--mut)}
.text{padding:8px 12px;border-radius:14px;background:var(--them);white-space:pre-wrap;overflow-wrap:anywhere}
.me .text{background:var(--me);color:var(--mefg)}
.text a{color:inherit}
.files{margin:4px 0 0;padding:0;list-style:none;font-size:14px}
.choices{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:6px}
.cl{font-size:13px;color:var(--mut)}
.choices button{min-height:40px;padding:0 14px;border:1px solid var(--a);border-radius:20px;background:var(--bg);color:var(--a);font-weight:600}
.choices button:hover{background:var(--them)}
.status{margin:0;padding:0 16px;font-size:13px;color:var(--mut);min-height:0}
.status:not(:empty){padding:6px 16px}
.status.bad{color:var(--warn)}
form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px calc(10px + env(safe-area-inset-bottom));border-top:1px solid var(--line)}
textarea{flex:1;min-height:44px;max-height:140px;padding:10px 12px;border:1px solid var(--line);border-radius:12px;background:var(--bg);resize:none;font-size:16px}
.send{min-height:44px;padding:0 18px;border:0;border-radius:12px;background:var(--me);color:var(--mefg);font-weight:600}
.send:disabled,textarea:disabled{opacity:.55;cursor:not-allowed}
@media (max-width:480px){
 :host(:not([inline])) .panel{inset:0;width:100%;height:100%;height:100dvh;border:0;border-radius:0}
 :host(:not([inline])[data-open]) .launcher{display:none}
}`;

  const h = (tag, props, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k in e && !k.includes('-')) e[k] = v;
      else e.setAttribute(k, v);
    }
    e.append(...children.filter((c) => c !== null && c !== undefined));
    return e;
  };

  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  };

  const wait = (ms, signal) =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });

  const safeUrl = (s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch {
      return null;
    }
  };

  /** Text with its web links made clickable, built from text nodes and anchors only. */
  const linkified = (text) => {
    const out = [];
    let last = 0;
    for (const m of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
      const raw = m[0].replace(/[).,;:!?'\]]+$/, '');
      const href = safeUrl(raw);
      if (!href) continue;
      out.push(text.slice(last, m.index));
      out.push(h('a', { href, target: '_blank', rel: 'noopener noreferrer nofollow' }, raw));
      last = m.index + raw.length;
    }
    out.push(text.slice(last));
    return out;
  };

  const fmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  const fmtDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  const when = (iso) => {
    const d = new Date(iso);
    return (d.toDateString() === new Date().toDateString() ? fmt : fmtDay).format(d);
  };

  /** Server-Sent Events read from a fetch() body (EventSource can't send the Authorization header). */
  async function readEvents(body, onEvent) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let ev = { type: 'message', data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (line === '') {
          if (ev.data.length) onEvent(ev.type, ev.data.join('\n'));
          ev = { type: 'message', data: [] };
        } else if (line[0] !== ':') {
          const c = line.indexOf(':');
          const field = c < 0 ? line : line.slice(0, c);
          const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
          if (field === 'event') ev.type = v;
          else if (field === 'data') ev.data.push(v);
        }
      }
    }
  }

  class SwitchboardChat extends HTMLElement {
    static get observedAttributes() {
      return ['token', 'endpoint', 'open', 'heading'];
    }

    constructor() {
      super();
      this.seq = 0;
      this.byseq = new Map();
      this.offer = null;
      this.urgencyAfter = 0;
      this.user = null;
      this.unread = 0;
      this.synced = false;
      this.sending = false;
      this.pending = null;
      this.build();
    }

    get endpoint() {
      return (this.getAttribute('endpoint') || DEFAULT_ENDPOINT).replace(/\/+$/, '');
    }

    build() {
      const root = this.attachShadow({ mode: 'open' });
      this.titleEl = h('h2', { id: 'sb-title' }, this.getAttribute('heading') || 'Support');
      this.badge = h('span', { className: 'badge', hidden: true, 'aria-hidden': 'true' });
      this.launcher = h('button', { type: 'button', className: 'launcher', part: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'sb-panel', onclick: () => this.setOpen(this.panel.hidden, true) },
        h('span', {}, 'Chat with support'), this.badge);
      this.closeBtn = h('button', { type: 'button', className: 'close', 'aria-label': 'Close chat', onclick: () => this.setOpen(false, true) }, '×');
      this.log = h('div', { className: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-labelledby': 'sb-title', 'aria-busy': 'true', tabIndex: 0 },
        h('p', { className: 'empty' }, 'Loading the conversation…'));
      this.status = h('p', { className: 'status', role: 'status' });
      this.input = h('textarea', { id: 'sb-text', rows: 1, placeholder: 'Write a message…', enterKeyHint: 'send', autocomplete: 'off', 'aria-describedby': 'sb-hint',
        onkeydown: (e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            this.submit();
          }
        },
        oninput: () => this.fit() });
      this.sendBtn = h('button', { type: 'submit', className: 'send' }, 'Send');
      const form = h('form', { onsubmit: (e) => (e.preventDefault(), this.submit()) },
        h('label', { htmlFor: 'sb-text', className: 'sr' }, 'Message'),
        h('span', { id: 'sb-hint', className: 'sr' }, 'Enter sends, Shift+Enter starts a new line. Commands: /status, /call, /feature.'),
        this.input, this.sendBtn);
      this.panel = h('section', { id: 'sb-panel', className: 'panel', part: 'panel', 'aria-labelledby': 'sb-title', hidden: true,
        onkeydown: (e) => {
          if (e.key === 'Escape' && !this.hasAttribute('inline')) this.setOpen(false, true);
        } },
        h('header', {}, this.titleEl, this.closeBtn), this.log, this.status, form);
      root.append(h('style', {}, CSS), this.launcher, this.panel);
    }

    connectedCallback() {
      const inline = this.hasAttribute('inline');
      this.launcher.hidden = inline;
      this.closeBtn.hidden = inline;
      this.setOpen(inline || this.hasAttribute('open'), false);
      this.connect();
    }

    disconnectedCallback() {
      if (this.abort) this.abort.abort();
      this.abort = null;
    }

    attributeChangedCallback(name, before, after) {
      if (before === after) return;
      if (name === 'heading') this.titleEl.textContent = after || 'Support';
      else if (name === 'open' && this.isConnected) this.setOpen(after !== null || this.hasAttribute('inline'), false);
      else if ((name === 'token' || name === 'endpoint') && this.isConnected) {
        // A fresh token (or server): reconnect from where the conversation was, nothing read twice.
        this.isExpired = false;
        this.disconnectedCallback();
        this.setDisabled(false);
        this.say('');
        this.connect();
      }
    }

    setOpen(open, byUser) {
      this.panel.hidden = !open;
      this.toggleAttribute('data-open', open);
      this.launcher.setAttribute('aria-expanded', String(open));
      if (open) {
        this.unread = 0;
        this.showUnread();
        this.toBottom();
        if (byUser) this.input.focus();
      } else if (byUser) this.launcher.focus();
    }

    say(text, bad) {
      this.status.textContent = text;
      this.status.classList.toggle('bad', !!bad);
    }

    setDisabled(off) {
      this.input.disabled = off;
      this.sendBtn.disabled = off;
    }

    fit() {
      this.input.style.height = 'auto';
      this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 140)}px`;
    }

    headers() {
      return { authorization: `Bearer ${this.getAttribute('token') || ''}` };
    }

    async connect() {
      if (this.abort) return;
      if (!this.getAttribute('token')) return this.say('Sign in to chat with support.', true);
      const ac = new AbortController();
      this.abort = ac;
      let delay = 1000;
      while (!ac.signal.aborted) {
        try {
          const headers = { ...this.headers(), accept: 'text/event-stream' };
          if (this.seq) headers['last-event-id'] = String(this.seq);
          const res = await fetch(`${this.endpoint}/widget/v1/stream`, { headers, signal: ac.signal, cache: 'no-store' });
          if (res.status === 401) return this.expired();
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          delay = 1000;
          if (this.status.textContent === 'Reconnecting…') this.say('');
          await readEvents(res.body, (type, data) => this.onEvent(type, JSON.parse(data)));
        } catch {
          // Network trouble or the server restarting: reconnect below.
        }
        if (ac.signal.aborted || this.isExpired) return;
        this.say('Reconnecting…');
        await wait(delay + Math.random() * 500, ac.signal);
        delay = Math.min(delay * 2, 30000);
      }
    }

    onEvent(type, data) {
      if (type === 'session') this.user = data.user;
      else if (type === 'message') this.add(data);
      else if (type === 'choices') {
        const m = this.byseq.get(data.seq);
        if (m && m.seq === this.lastAck) this.setOffer(m.seq, data.choices);
      } else if (type === 'synced') {
        this.synced = true;
        this.log.setAttribute('aria-busy', 'false');
        if (!this.byseq.size) this.log.firstChild.textContent = 'Ask us anything — we will answer here.';
        this.toBottom();
      } else if (type === 'expired') this.expired();
    }

    add(m) {
      if (m.seq <= this.seq) return;
      this.seq = m.seq;
      const empty = this.log.querySelector('.empty');
      if (empty) empty.remove();
      const ours = m.direction === 'outbound';
      const mine = !ours && this.user && m.author && m.author.userId === this.user.id;
      const who = ours ? (m.author && m.author.name) || 'Support' : mine ? 'You' : 'Your colleague';
      const files = (Array.isArray(m.attachments) ? m.attachments : [])
        .map((a) => a && safeUrl(a.url) && h('li', {}, h('a', { href: safeUrl(a.url), target: '_blank', rel: 'noopener noreferrer nofollow' }, String(a.name || a.url))))
        .filter(Boolean);
      const near = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
      const item = h('div', { className: `msg ${ours ? 'them' : 'me'}` },
        h('div', { className: 'meta' }, h('span', {}, who), ' · ', h('time', { dateTime: m.createdAt }, when(m.createdAt))),
        h('div', { className: 'text' }, ...linkified(String(m.text)), files.length ? h('ul', { className: 'files' }, ...files) : null));
      this.byseq.set(m.seq, { seq: m.seq, el: item });
      this.log.append(item);
      if (ours && m.kind === 'ack') {
        this.lastAck = m.seq;
        this.setOffer(m.seq, m.choices || []);
      }
      if (!ours && /^\s*\/urgency\b/i.test(m.text)) {
        this.urgencyAfter = m.seq;
        this.setOffer(null);
      }
      if (ours && this.synced && this.panel.hidden) {
        this.unread++;
        this.showUnread();
      }
      if (near || mine || !this.synced) this.toBottom();
    }

    /** Buttons only under the latest acknowledgement, until the client has chosen (pressed or typed /urgency). */
    setOffer(seq, choices) {
      if (this.offer) this.offer.remove();
      this.offer = null;
      if (!seq || !choices || !choices.length || this.urgencyAfter > seq) return;
      const split = choices.map((c) => /^(.+?):\s*(.+)$/.exec(c.label || ''));
      const common = split.every((s) => s && s[1] === split[0][1]) ? split[0][1] : null;
      this.offer = h('div', { className: 'choices', role: 'group', 'aria-label': common || 'Choose' },
        common ? h('span', { className: 'cl', 'aria-hidden': 'true' }, `${common}:`) : null,
        ...choices.map((c, i) => h('button', { type: 'button', 'aria-label': c.label || c.value, onclick: () => this.choose(c) }, common ? split[i][2] : c.label || c.value)));
      this.byseq.get(seq).el.append(this.offer);
    }

    async choose(choice) {
      const buttons = this.offer ? [...this.offer.querySelectorAll('button')] : [];
      for (const b of buttons) b.disabled = true;
      const ok = await this.post(String(choice.value));
      if (ok) this.setOffer(null);
      else for (const b of buttons) b.disabled = false;
      this.input.focus();
    }

    showUnread() {
      this.badge.hidden = !this.unread;
      this.badge.textContent = String(this.unread);
      this.launcher.setAttribute('aria-label', this.unread ? `Chat with support, ${this.unread} new` : 'Chat with support');
    }

    toBottom() {
      this.log.scrollTop = this.log.scrollHeight;
    }

    async submit() {
      const text = this.input.value.trim();
      if (!text || this.sending || this.input.disabled) return;
      if (await this.post(text)) {
        this.input.value = '';
        this.fit();
      }
    }

    /** Sends one message; the id stays the same across retries of the same text, so the server keeps it once. */
    async post(text) {
      if (this.sending) return false;
      this.sending = true;
      if (!this.pending || this.pending.text !== text) this.pending = { id: uuid(), text };
      const { id } = this.pending;
      this.sendBtn.disabled = true;
      this.say('Sending…');
      try {
        const res = await fetch(`${this.endpoint}/widget/v1/messages`, {
          method: 'POST', headers: { ...this.headers(), 'content-type': 'application/json' }, body: JSON.stringify({ id, text }),
        });
        if (res.status === 401) {
          this.expired();
          return false;
        }
        if (!res.ok) {
          const body = await res.json().catch(() => ({}));
          if (res.status < 500 && res.status !== 429) this.pending = null;
          this.say(`Not sent: ${body.error || `the server answered ${res.status}`}`, true);
          return false;
        }
        this.pending = null;
        this.say('');
        return true;
      } catch {
        this.say('Not sent: no connection. Press Send to try again.', true);
        return false;
      } finally {
        this.sending = false;
        if (!this.isExpired) this.sendBtn.disabled = false;
      }
    }

    expired() {
      this.isExpired = true;
      if (this.abort) this.abort.abort();
      this.abort = null;
      this.setDisabled(true);
      this.setOffer(null);
      this.say('Your session has expired. Reload the page to continue.', true);
      this.dispatchEvent(new CustomEvent('switchboard-token-expired', { bubbles: true, composed: true }));
    }
  }

  window.customElements.define('switchboard-chat', SwitchboardChat);
})();
