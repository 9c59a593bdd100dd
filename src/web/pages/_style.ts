/**
 * The one stylesheet, sent inline in every page and allowed by its hash in
 * the Content-Security-Policy: no request for it, nothing public besides the
 * sign-in page, and no 'unsafe-inline'.
 *
 * @module
 */
import { createHash } from "node:crypto";

export const STYLE = `
:root{--fg:#1d2433;--muted:#5b6475;--line:#dde1e8;--bg:#f6f7f9;--card:#fff;--ok:#16794c;--warn:#a15c00;--bad:#b42318;--accent:#2453b3}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;padding:.6rem 1rem;background:#14213d;color:#fff}
header .brand{font-weight:700;margin-right:1rem}
header nav{display:flex;flex-wrap:wrap;gap:.2rem .9rem;flex:1}
header a{color:#dbe4ff;text-decoration:none}header a:hover,header a[aria-current]{color:#fff;text-decoration:underline}
header form{margin:0}header button{background:none;border:1px solid #8ea2d8;color:#fff;border-radius:4px;padding:.15rem .6rem;cursor:pointer}
main{max-width:1100px;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.3rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .6rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.9rem 1rem}
.card h3{margin:0 0 .4rem;font-size:1rem}
.big{font-size:1.7rem;font-weight:700;line-height:1.2}
.muted{color:var(--muted)}.small{font-size:.85rem}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid currentColor}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f6;font-weight:600;font-size:.85rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:.8rem}
label{display:flex;flex-direction:column;gap:.2rem;font-size:.85rem;color:var(--muted)}
input,select{font:inherit;padding:.35rem .5rem;border:1px solid #b9c0cc;border-radius:5px;background:#fff;color:var(--fg)}
label.check{flex-direction:row;align-items:center;color:var(--fg);font-size:1rem}
button.primary,button.danger,a.button{font:inherit;font-weight:600;padding:.45rem 1rem;border-radius:5px;border:0;cursor:pointer;color:#fff;background:var(--accent);text-decoration:none;display:inline-block}
button.danger{background:var(--bad)}
.actions{display:flex;gap:.6rem;flex-wrap:wrap;margin:.8rem 0}
progress{width:100%;height:.8rem}
.chart svg{width:100%;height:auto;display:block}
.chart .rows{fill:#2453b3}.chart .errors{fill:#b42318}
.notice{padding:.6rem .8rem;border-radius:6px;background:#fff4e5;border:1px solid #f3c98b;margin:.6rem 0}
.error{padding:.6rem .8rem;border-radius:6px;background:#fdecea;border:1px solid #f1aeb5;margin:.6rem 0}
.login{max-width:360px;margin:10vh auto;background:#fff;border:1px solid var(--line);border-radius:8px;padding:1.4rem}
.login form{display:flex;flex-direction:column;gap:.8rem}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;word-break:break-all}
.pager{display:flex;gap:1rem;margin:.8rem 0}
@media (max-width:600px){main{padding:.6rem}th,td{padding:.35rem .4rem}.hide-narrow{display:none}.big{font-size:1.4rem}}
`;

/** The CSP source that allows exactly {@link STYLE}. */
export const STYLE_HASH = `'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`;
