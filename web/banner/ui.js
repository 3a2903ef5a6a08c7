/* global window, document */
// The Custos consent banner and preferences dialog, loaded by the gate (web/banner/gate.js) only
// when someone is asked or opens their preferences; served minified as GET /consent-ui.js.
// A modal dialog in a shadow root (the host page's styles neither reach nor break it): labelled
// and described for screen readers, focus moved in and kept there, Esc never accepts anything.
// "Accept all" and "Reject all" are the same size and colour, side by side (EDPB cookie banner
// taskforce report 2023: rejecting must be as easy as accepting); no box is pre-ticked.
(function () {
  'use strict';
  const w = window;
  const d = document;
  const K = w.CustosConsent && w.CustosConsent._k;
  if (!K || K.ui) return;

  const TEXT = {
    en: {
      title: 'Cookies on this site',
      intro:
        'We use strictly necessary cookies to run this site. With your permission we would also use the cookies below. You can change your choice at any time.',
      changedTitle: 'We changed how we use some cookies',
      changed: 'What we do with the cookies below has changed. Please choose again for them:',
      accept: 'Accept all',
      reject: 'Reject all',
      prefs: 'Preferences',
      save: 'Save choices',
      close: 'Close',
      always: 'Always on',
      services: 'Services and cookies',
      separate: 'This needs your separate consent.',
      gpc: 'Your browser’s Global Privacy Control signal was honoured: non-essential cookies stay off unless you switch them on here.',
      dnt: 'Your browser’s Do Not Track setting was honoured: non-essential cookies stay off unless you switch them on here.',
      receipt: 'Download my consent receipt',
      error: 'Your choice could not be recorded. Please try again.',
    },
    'zh-CN': {
      title: '本网站使用 Cookie',
      intro:
        '我们使用必要的 Cookie 维持网站运行。经您同意，我们还会使用以下 Cookie。您可以随时更改选择。',
      changedTitle: '我们调整了部分 Cookie 的用途',
      changed: '以下 Cookie 的用途已经变更，请重新选择：',
      accept: '全部接受',
      reject: '全部拒绝',
      prefs: '偏好设置',
      save: '保存选择',
      close: '关闭',
      always: '始终启用',
      services: '服务和 Cookie',
      separate: '此项需要您的单独同意。',
      gpc: '已遵从您浏览器的全球隐私控制（GPC）信号：除非您在此开启，非必要 Cookie 保持关闭。',
      dnt: '已遵从您浏览器的“请勿跟踪”（DNT）设置：除非您在此开启，非必要 Cookie 保持关闭。',
      receipt: '下载我的同意回执',
      error: '未能记录您的选择，请重试。',
    },
  };
  const T = TEXT[K.lang] || TEXT.en;

  const CSS = `
:host{all:initial}
.bg{position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.45);display:flex;align-items:flex-end;justify-content:center;padding:1rem;box-sizing:border-box}
.dlg{box-sizing:border-box;max-width:40rem;width:100%;max-height:calc(100vh - 2rem);overflow:auto;background:#fff;color:#1b1b1b;border-radius:.5rem;padding:1.25rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;box-shadow:0 .5rem 2rem rgba(0,0,0,.3)}
.dlg:focus{outline:none}
h2{font-size:1.2rem;margin:0 0 .5rem}
p{margin:0 0 .75rem}
.note{background:#eef5ee;border-left:4px solid #2e7d32;padding:.5rem .75rem}
.err{color:#b00020;font-weight:600}
.err:empty{display:none}
.cat{border-top:1px solid #ddd;padding:.75rem 0}
.cat label{font-weight:600;display:flex;gap:.5rem;align-items:center}
.cat input{width:1.2rem;height:1.2rem;margin:0}
.cat p{margin:.25rem 0 0;font-size:.9rem}
.cat ul{margin:.25rem 0 0;padding-left:1.25rem;font-size:.9rem}
.cat summary{cursor:pointer;font-size:.9rem;margin-top:.25rem}
.row{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
button{font:inherit;font-weight:600;padding:.6rem 1rem;border-radius:.4rem;border:2px solid #1a4fb4;cursor:pointer;flex:1 1 9rem;min-height:2.75rem}
.main{background:#1a4fb4;color:#fff}
.sub{background:#fff;color:#1a4fb4}
button:disabled{opacity:.6;cursor:wait}
button:focus-visible,a:focus-visible,input:focus-visible,summary:focus-visible{outline:3px solid #e08a00;outline-offset:2px}
a{color:#1a4fb4;font-size:.9rem}
[hidden]{display:none!important}
`;

  // A tiny element builder: text always goes in as text, never as HTML.
  const h = (tag, attrs, ...kids) => {
    const el = d.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === false || v === undefined || v === null) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    kids.forEach((c) => c !== null && el.append(c));
    return el;
  };

  let current = null;

  const close = () => {
    if (!current) return;
    const { host, back } = current;
    current = null;
    host.remove();
    if (back && back.isConnected && back.focus) back.focus();
  };

  /**
   * Opens the dialog. `pending`: the categories to ask about (undecided, expired, or with a
   * changed notice); null: the preferences the visitor opened, with every category. `revised`:
   * every pending category is asked again because its notice changed, and the dialog says so.
   */
  const open = (pending, revised) => {
    if (!d.body) {
      d.addEventListener('DOMContentLoaded', () => open(pending, revised), { once: true });
      return;
    }
    close();
    const cfg = K.cfg();
    const prompt = Array.isArray(pending);
    const reconsent = prompt && revised === true;
    const shown = cfg.categories.filter((c) => c.essential || !prompt || pending.includes(c.key));
    const asked = shown.filter((c) => !c.essential);

    const boxes = {};
    const cats = shown.map((c) => {
      const id = 'c-' + c.key;
      const box = h('input', {
        type: 'checkbox',
        id,
        'aria-describedby': 'n-' + c.key,
        checked: c.essential || (!prompt && K.state(c.key) === true),
        disabled: c.essential,
      });
      if (!c.essential) boxes[c.key] = box;
      const services = h(
        'ul',
        null,
        ...c.services.map((s) =>
          h('li', null, s.cookies.length ? s.name + ': ' + s.cookies.join(', ') : s.name),
        ),
      );
      return h(
        'div',
        { class: 'cat' },
        h('label', { for: id }, box, c.name + (c.essential ? ' (' + T.always + ')' : '')),
        h('p', { id: 'n-' + c.key }, c.notice),
        c.separate ? h('p', null, T.separate) : null,
        c.services.length ? h('details', null, h('summary', null, T.services), services) : null,
      );
    });
    const prefs = h('div', { hidden: prompt }, ...cats);
    const err = h('p', { class: 'err', role: 'alert' });

    const decide = (value, action) => {
      const dec = {};
      asked.forEach((c) => {
        const v = value === null ? boxes[c.key].checked : value;
        // In the preferences, only what changed is a new decision; a prompt records every answer.
        if (prompt || K.state(c.key) !== v) dec[c.key] = v;
      });
      if (Object.keys(dec).length === 0) return close();
      buttons.forEach((b) => (b.disabled = true));
      err.textContent = '';
      void K.commit(dec, 'banner', action).then((ok) => {
        if (ok) return close();
        buttons.forEach((b) => (b.disabled = false));
        err.textContent = T.error;
      });
    };
    const accept = h(
      'button',
      { type: 'button', class: 'main', onclick: () => decide(true, 'accept_all') },
      T.accept,
    );
    const reject = h(
      'button',
      { type: 'button', class: 'main', onclick: () => decide(false, 'reject_all') },
      T.reject,
    );
    const save = h(
      'button',
      { type: 'button', class: 'sub', hidden: prompt, onclick: () => decide(null, 'save') },
      T.save,
    );
    const more = h(
      'button',
      {
        type: 'button',
        class: 'sub',
        hidden: !prompt,
        onclick: () => {
          prefs.hidden = false;
          more.hidden = true;
          save.hidden = false;
          const first = asked[0] && boxes[asked[0].key];
          if (first) first.focus();
        },
      },
      T.prefs,
    );
    const closer = prompt
      ? null
      : h('button', { type: 'button', class: 'sub', onclick: close }, T.close);
    const buttons = [accept, reject, more, save].concat(closer ? [closer] : []);

    const dlg = h(
      'div',
      {
        class: 'dlg',
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': 't',
        'aria-describedby': 'd',
        tabindex: '-1',
        lang: K.lang,
      },
      h('h2', { id: 't' }, reconsent ? T.changedTitle : T.title),
      h('p', { id: 'd' }, reconsent ? T.changed : T.intro),
      K.signal ? h('p', { class: 'note', role: 'status' }, T[K.signal]) : null,
      prefs,
      err,
      h('div', { class: 'row' }, accept, reject, more, save, closer),
      K.known()
        ? h('a', { href: K.receipt(), target: '_blank', rel: 'noopener' }, T.receipt)
        : null,
    );

    // Focus stays inside while the dialog is open (WAI-ARIA APG, modal dialog); Esc closes only
    // the preferences the visitor opened, and never counts as a choice.
    dlg.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        if (!prompt) close();
        return;
      }
      if (e.key !== 'Tab') return;
      const list = [...dlg.querySelectorAll('button,input,a[href],summary')].filter(
        (el) => !el.disabled && el.getClientRects().length > 0,
      );
      if (list.length === 0) return;
      const at = list.indexOf(root.activeElement);
      const next = e.shiftKey
        ? at <= 0
          ? list[list.length - 1]
          : null
        : at === list.length - 1 || at === -1
          ? list[0]
          : null;
      if (next) {
        e.preventDefault();
        next.focus();
      }
    });

    const host = h('div', { 'data-custos-banner': '' });
    const root = host.attachShadow({ mode: 'open' });
    root.append(h('style', null, CSS), h('div', { class: 'bg' }, dlg));
    current = { host, dlg, back: d.activeElement };
    d.body.append(host);
    dlg.focus();
  };

  // Focus that leaves for the page behind (a click beside the dialog) comes back.
  d.addEventListener('focusin', (e) => {
    if (current && e.target !== current.host) current.dlg.focus();
  });

  K.mount({ open, close });
})();
