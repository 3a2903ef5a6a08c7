/* global window, document, navigator, location, crypto, fetch, MutationObserver */
// The Custos consent gate: the one synchronous script a site puts first in its <head>, served
// minified as GET /consent.js (budget: 6 KiB min+gzip, enforced by bundle.int.test.ts). It sets
// Google Consent Mode v2 defaults before any tag, keeps tagged scripts and iframes inert until
// their category is granted, honours GPC and DNT without a banner, and loads the banner UI
// (GET /consent-ui.js) only when the visitor has to be asked. No dependencies.
//
//   <script src="https://custos.example/consent.js" data-lang="zh-CN"></script>
//   <script type="text/plain" data-category="analytics" data-src="https://…/tag.js"></script>
//   <iframe data-category="marketing" data-src="https://…"></iframe>
//   <button data-custos-preferences>Cookie settings</button>
(function () {
  'use strict';
  const w = window;
  const d = document;
  if (w.CustosConsent) return;

  // Consent Mode v2 (research §4.3): the default must be queued before any Google tag, and all
  // four v2 keys always travel. GTM reads the `arguments` object itself, not an array.
  const dl = (w.dataLayer = w.dataLayer || []);
  const gtag = function () {
    dl.push(arguments);
  };
  const KEYS = [
    'ad_storage',
    'analytics_storage',
    'ad_user_data',
    'ad_personalization',
    'functionality_storage',
    'personalization_storage',
  ];
  const signals = (granted) => {
    const s = {};
    KEYS.forEach((k) => (s[k] = granted[k] ? 'granted' : 'denied'));
    s.security_storage = 'granted';
    return s;
  };
  const defaults = signals({});
  defaults.wait_for_update = 500;
  gtag('consent', 'default', defaults);

  const me = d.currentScript || d.querySelector('script[src*="/consent.js"]');
  const base = me ? me.src.replace(/\/consent\.js([?#].*)?$/, '') : '';
  const lang = /^zh/i.test(
    (me && me.getAttribute('data-lang')) || d.documentElement.lang || navigator.language || '',
  )
    ? 'zh-CN'
    : 'en';

  // GPC wins over DNT (research §4.1/4.2): either only ever denies, never grants.
  const nav = navigator;
  const gpc = nav.globalPrivacyControl === true || nav.globalPrivacyControl === '1';
  const dnt = nav.doNotTrack === '1' || w.doNotTrack === '1' || nav.msDoNotTrack === '1';
  const signal = gpc ? 'gpc' : dnt ? 'dnt' : null;

  // The stored choice: { v: visitor id, p: policy version, c: { category: [granted 0|1, revision,
  // time in s, method] } }. A first-party cookie, so it never travels to Custos.
  const NAME = 'custos_consent';
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const uuid = () =>
    crypto.randomUUID
      ? crypto.randomUUID()
      : // crypto.randomUUID needs a secure context; a plain-http site still gets a v4 UUID.
        '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
          (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16),
        );
  const read = () => {
    const m = /(?:^|;\s*)custos_consent=([^;]*)/.exec(d.cookie);
    try {
      const s = m && JSON.parse(decodeURIComponent(m[1]));
      if (s && UUID.test(s.v) && s.c && typeof s.c === 'object') {
        for (const k in s.c) if (!Array.isArray(s.c[k]) || s.c[k].length !== 4) delete s.c[k];
        return s;
      }
    } catch {
      // an unreadable cookie is a visitor who has not chosen yet
    }
    return null;
  };
  const st = read() || { v: uuid(), c: {} };
  const now = () => Math.floor(Date.now() / 1000);
  // Kept as long as a choice is valid (validDays of the config, a year by default).
  const store = () => {
    d.cookie =
      NAME +
      '=' +
      encodeURIComponent(JSON.stringify(st)) +
      '; path=/; samesite=lax; max-age=' +
      cfg.validDays * 86400 +
      (location.protocol === 'https:' ? '; secure' : '');
  };

  let cfg = null;
  const cats = {};
  const on = {};
  const listeners = [];
  const granted = (el) =>
    el
      .getAttribute('data-category')
      .split(/\s+/)
      .every((k) => on[k]);

  // Activation: a tagged script becomes a real one (a fresh element, since changing `type` does
  // not run it); an iframe gets its src. Dynamic scripts keep document order unless async.
  const SEL = 'script[type="text/plain"][data-category],iframe[data-category][data-src]';
  const run = (el) => {
    const src = el.getAttribute('data-src');
    if (el.tagName === 'IFRAME') {
      el.removeAttribute('data-src');
      el.src = src;
      return;
    }
    const s = d.createElement('script');
    for (const a of el.attributes)
      if (!/^(type|data-src|data-type)$/.test(a.name)) s.setAttribute(a.name, a.value);
    if (el.getAttribute('data-type')) s.type = el.getAttribute('data-type');
    s.nonce = el.nonce;
    if (src) {
      s.async = el.hasAttribute('async');
      s.src = src;
    } else s.text = el.text;
    if (el.parentNode) el.parentNode.replaceChild(s, el);
  };
  const unblock = (root) => {
    const found = root.matches && root.matches(SEL) ? [root] : [];
    if (root.querySelectorAll) found.push(...root.querySelectorAll(SEL));
    found.forEach((el) => granted(el) && run(el));
  };
  new MutationObserver((ms) =>
    ms.forEach((m) => m.addedNodes.forEach((n) => n.nodeType === 1 && unblock(n))),
  ).observe(d.documentElement, { childList: true, subtree: true });

  // Withdrawal deletes the category's cookies (`*` suffix: prefix) on this host and on every
  // parent domain, since a tag may have set them for the whole site; iframes go back to blank.
  const wipe = (k) => {
    const names = [];
    cats[k].services.forEach((s) => names.push(...s.cookies));
    const host = location.hostname.split('.');
    d.cookie.split(';').forEach((part) => {
      const n = part.split('=')[0].trim();
      if (!names.some((c) => (c.endsWith('*') ? n.startsWith(c.slice(0, -1)) : n === c))) return;
      const gone = n + '=; path=/; max-age=0; expires=Thu, 01 Jan 1970 00:00:00 GMT';
      d.cookie = gone;
      for (let i = 0; i < host.length; i++)
        d.cookie = gone + '; domain=.' + host.slice(i).join('.');
    });
    d.querySelectorAll('iframe[data-category][src]').forEach((f) => {
      if (!f.getAttribute('data-category').split(/\s+/).includes(k)) return;
      f.setAttribute('data-src', f.src);
      f.src = 'about:blank';
    });
  };

  const snapshot = () => Object.assign({}, on);
  const changed = () => {
    const g = {};
    for (const k in cats) if (on[k]) cats[k].gcm.forEach((s) => (g[s] = 1));
    gtag('consent', 'update', signals(g));
    dl.push({ event: 'custos_consent_update' });
    unblock(d);
    listeners.forEach((f) => {
      try {
        f(snapshot());
      } catch {
        // a site's listener must not break the gate
      }
    });
  };

  // Records decisions locally; a withdrawn grant loses its cookies at once.
  const apply = (dec, method) => {
    const t = now();
    let any = false;
    for (const k in dec) {
      any = true;
      if (st.c[k] && st.c[k][0] === 1 && !dec[k]) wipe(k);
      on[k] = dec[k];
      st.c[k] = [dec[k] ? 1 : 0, cats[k].revision, t, method];
    }
    if (!any) return;
    st.p = cfg.policyVersion;
    store();
    changed();
  };

  const post = (decisions, method, action) =>
    fetch(base + '/api/v1/consent/events', {
      method: 'POST',
      credentials: 'omit',
      keepalive: true,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        visitorId: st.v,
        policyVersion: cfg.policyVersion,
        lang,
        method,
        action,
        decisions,
        gpc,
        dnt,
      }),
    }).then(
      (r) => r.ok,
      () => false,
    );

  // Denials take effect at once; a grant only once the ledger holds it, so nothing runs under a
  // consent the controller could not prove (GDPR art. 7(1)). A grant of a category needing
  // separate consent travels alone (PIPL art. 23): one event each. Resolves true when all landed.
  const commit = (dec, method, action) => {
    const sends = [[]];
    const deny = {};
    for (const k in dec) {
      const item = { category: k, granted: !!dec[k] };
      if (!item.granted) deny[k] = false;
      if (item.granted && cats[k].separate) sends.push([item]);
      else sends[0].push(item);
    }
    apply(deny, method);
    return Promise.all(
      sends
        .filter((s) => s.length > 0)
        .map((s) =>
          post(s, method, action).then((ok) => {
            const g = {};
            s.forEach((x) => x.granted && (g[x.category] = true));
            if (ok) apply(g, method);
            return ok;
          }),
        ),
    ).then((all) => all.every(Boolean));
  };

  // The banner UI is a second script, loaded only when someone is to be asked.
  let queue = null;
  const K = {
    lang,
    base,
    signal,
    cfg: () => cfg,
    state: (k) => on[k],
    known: () => Object.keys(st.c).length > 0,
    receipt: () => base + '/api/v1/consent/receipt?visitor=' + st.v,
    commit,
    mount: (ui) => {
      K.ui = ui;
      (queue || []).forEach((f) => f(ui));
    },
  };
  const withUi = (f) => {
    if (K.ui) return f(K.ui);
    if (!queue) {
      queue = [];
      const s = d.createElement('script');
      s.src = base + '/consent-ui.js';
      s.async = true;
      (d.head || d.documentElement).appendChild(s);
    }
    queue.push(f);
  };

  // Asks only for what is undecided, decided under an older notice revision (a policy change
  // for that purpose), or decided longer ago than validDays; everything else stands.
  const init = (c) => {
    cfg = c;
    const pending = [];
    let revised = 0;
    const maxAge = c.validDays * 86400;
    c.categories.forEach((k) => {
      cats[k.key] = k;
      const s = st.c[k.key];
      if (k.essential) on[k.key] = true;
      else if (s && s[1] === k.revision && now() - s[2] < maxAge) on[k.key] = s[0] === 1;
      else {
        pending.push(k.key);
        if (s && s[1] !== k.revision) revised++;
      }
    });
    if (K.known()) changed();
    else unblock(d);
    if (pending.length === 0) return;
    const explicit = Object.keys(st.c).some((k) => st.c[k][3] === 'banner');
    if (signal && !explicit) {
      const dec = {};
      pending.forEach((k) => (dec[k] = false));
      void commit(dec, signal, 'signal');
    } else withUi((ui) => ui.open(pending, revised === pending.length));
  };

  const ready = fetch(base + '/api/v1/consent/config?lang=' + lang, { credentials: 'omit' })
    .then((r) => (r.ok ? r.json() : null))
    .then((c) => c && (init(c), c))
    // Fail closed: without the config nothing non-essential runs and nobody is asked.
    .catch(() => null);

  const show = () => {
    void ready.then((c) => c && withUi((ui) => ui.open(null)));
  };
  d.addEventListener('click', (e) => {
    const t = e.target.closest && e.target.closest('[data-custos-preferences]');
    if (!t) return;
    e.preventDefault();
    show();
  });

  w.CustosConsent = {
    /** Opens the preferences dialog. */
    show,
    /** Whether a category is granted now (false until decided). */
    get: (k) => on[k] === true,
    /** Calls fn({ category: granted }) whenever the state is applied or changes. */
    onChange: (fn) => {
      listeners.push(fn);
    },
    _k: K,
  };
})();
