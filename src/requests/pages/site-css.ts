// The stylesheet of the public pages, served as a file from /privacy/assets/site.css so the CSP can
// allow `style-src 'self'` and nothing inline. Plain, readable, works at any width and in
// high-contrast modes (focus outlines kept, colours not the only signal of an error).
export const SITE_CSS = `:root {
  color-scheme: light dark;
  --fg: #1b1b1b;
  --bg: #ffffff;
  --muted: #555555;
  --accent: #0b5cad;
  --error: #b00020;
  --line: #c8c8c8;
}
@media (prefers-color-scheme: dark) {
  :root { --fg: #eeeeee; --bg: #151515; --muted: #b0b0b0; --accent: #7fb4ff; --error: #ff8a8a; --line: #444444; }
}
* { box-sizing: border-box; }
body {
  margin: 0 auto;
  max-width: 46rem;
  padding: 1rem 1.25rem 3rem;
  font: 1rem/1.6 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
  color: var(--fg);
  background: var(--bg);
}
header.site { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1px solid var(--line); }
.site-title { font-weight: 600; margin: 0.5rem 0; }
.lang { margin: 0.5rem 0; }
a { color: var(--accent); }
h1 { font-size: 1.5rem; line-height: 1.3; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
fieldset { border: 1px solid var(--line); padding: 0.75rem 1rem; margin: 0 0 1.25rem; }
legend { font-weight: 600; padding: 0 0.25rem; }
.choice { display: grid; grid-template-columns: auto 1fr; gap: 0 0.6rem; margin: 0.5rem 0; }
.choice input { margin-top: 0.35rem; }
.choice .hint { grid-column: 2; }
.field { margin: 0 0 1.25rem; }
.field label, .label { display: block; font-weight: 600; }
.hint { color: var(--muted); font-size: 0.925rem; margin: 0.1rem 0 0.35rem; }
input[type="text"], input[type="email"], input[type="tel"], select, textarea {
  width: 100%;
  font: inherit;
  padding: 0.45rem 0.55rem;
  border: 1px solid var(--muted);
  border-radius: 3px;
  color: inherit;
  background: transparent;
}
textarea { min-height: 9rem; }
input:focus, select:focus, textarea:focus, button:focus { outline: 3px solid var(--accent); outline-offset: 1px; }
[aria-invalid="true"] { border: 2px solid var(--error); }
.error { color: var(--error); font-weight: 600; margin: 0.2rem 0; }
.error::before { content: "\\26A0\\FE0E  "; }
.summary { border: 2px solid var(--error); padding: 0.5rem 1rem; margin: 0 0 1.5rem; }
.notice { border-left: 4px solid var(--accent); padding: 0.25rem 1rem; margin: 1rem 0; }
button {
  font: inherit;
  font-weight: 600;
  padding: 0.5rem 1.25rem;
  border: 0;
  border-radius: 3px;
  color: #ffffff;
  background: var(--accent);
  cursor: pointer;
}
button.secondary { color: var(--accent); background: transparent; border: 1px solid var(--accent); }
.actions { display: flex; gap: 0.75rem; flex-wrap: wrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.reference { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; word-break: break-all; }
.link { word-break: break-all; }
footer.site { margin-top: 3rem; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.925rem; }
`;
