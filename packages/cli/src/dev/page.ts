/**
 * The viewer's single page: markup, styles and the script inline, so nothing is fetched from
 * anywhere but this server (no CDN, works offline).
 */
import { viewerMain } from './viewer.js';

const STYLE = `
:root { --bg:#f6f7f9; --card:#fff; --ink:#1f2430; --muted:#6b7280; --line:#e5e7eb; --accent:#2563eb;
  --ok:#15803d; --warn:#b45309; --bad:#b91c1c; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font-size:13px; }
header.top { display:flex; gap:16px; align-items:baseline; padding:10px 20px; background:#111827; color:#f9fafb; }
header.top h1 { font-size:16px; margin:0; letter-spacing:.02em; }
header.top .muted { color:#9ca3af; }
.status { font-weight:600; } .status.ok { color:#4ade80; } .status.down { color:#f87171; }
main { display:grid; grid-template-columns: minmax(0,1fr) minmax(0,1fr); gap:14px; padding:14px 20px; max-width:1700px; margin:0 auto; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; }
.card h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:0 0 8px; display:flex; gap:8px; align-items:baseline; }
.wide { grid-column: 1 / -1; }
.muted { color:var(--muted); } .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12px; }
.num { text-align:right; font-variant-numeric: tabular-nums; }
.empty { color:var(--muted); font-style:italic; margin:8px 0; }
table { border-collapse:collapse; width:100%; }
th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:left; white-space:nowrap; }
th { font-weight:600; color:var(--muted); font-size:12px; }
#conversation-rows tr { cursor:pointer; } #conversation-rows tr:hover { background:#f3f4f6; }
#conversation-rows tr.selected { background:#dbeafe; }
.level-ok { color:var(--ok); } .level-warn { color:var(--warn); } .level-bad { color:var(--bad); font-weight:600; }
.pill { display:inline-block; padding:1px 8px; border-radius:10px; font-size:11px; background:#e5e7eb; }
.outcome-live { background:#dbeafe; color:#1d4ed8; } .outcome-completed { background:#dcfce7; color:#166534; }
.outcome-error, .outcome-abandoned { background:#fee2e2; color:#991b1b; } .outcome-transferred { background:#fef3c7; color:#92400e; }
.status-open { background:#fee2e2; color:#991b1b; } .status-resolved { background:#dcfce7; color:#166534; }
#conversation-rows tr.list-more { cursor:default; } #conversation-rows tr.list-more:hover { background:none; }
#list-toggle { border:1px solid var(--line); background:#fff; border-radius:6px; padding:3px 10px; cursor:pointer; font:inherit; }
.chart { width:100%; height:auto; display:block; }
.chart .grid { stroke:#eef0f3; } .chart .axis-label { font-size:11px; fill:var(--muted); }
.chart .series { fill:none; stroke-width:2; } .chart .threshold { stroke-dasharray:6 4; stroke-width:1; opacity:.8; }
.chart .threshold.critical { stroke-dasharray:2 3; stroke-width:1.5; } .chart .threshold-label { font-size:10px; }
.chart .incident-bar.resolved { opacity:.55; }
#latency-now { display:flex; flex-wrap:wrap; gap:14px; margin-top:6px; align-items:center; }
.now { font-weight:600; } .now small { font-weight:400; color:var(--muted); }
.dot { display:inline-block; width:9px; height:9px; border-radius:50%; margin-right:5px; }
#components td, #components th, #parts td, #parts th { padding:3px 8px; } #parts { margin-top:10px; }
.incident { border:1px solid var(--line); border-left:4px solid var(--bad); border-radius:6px; padding:8px 10px; margin-bottom:8px; }
.incident.resolved { border-left-color:var(--ok); opacity:.85; }
.incident ul { margin:4px 0 0; padding-left:18px; } .incident li.cleared { color:var(--muted); }
.incident .timeline { color:var(--muted); }
.sev-badge { display:inline-block; color:#fff; border-radius:4px; padding:1px 6px; font-weight:700; font-size:11px; }
.sev-SEV-1 { background:#dc2626; } .sev-SEV-2 { background:#ea580c; } .sev-SEV-3 { background:#ca8a04; }
/* waterfall */
.wf-head h3 { margin:0; font-size:14px; overflow:hidden; text-overflow:ellipsis; }
.wf-meta { color:var(--muted); margin:2px 0 8px; }
.legend { display:flex; flex-wrap:wrap; gap:6px 14px; margin-bottom:8px; font-size:11px; color:var(--muted); }
.legend .key { display:inline-flex; align-items:center; gap:5px; }
.seg-swatch { display:inline-block; width:16px; height:9px; border-radius:2px; }
.bottleneck-swatch { background:#fff; outline:2px solid #dc2626; }
.wait-swatch { display:inline-block; width:16px; height:3px; background:#94a3b8; }
.wf-body { overflow:hidden; }
.wf-row { display:grid; grid-template-columns: 190px minmax(0,1fr); border-bottom:1px solid var(--line); }
.wf-row.turn { padding:5px 0; } .wf-row.has-bottleneck .wf-label { border-left:3px solid #dc2626; padding-left:6px; }
.wf-label { padding-right:10px; font-size:12px; overflow:hidden; }
.wf-title .lat { font-weight:700; } .wf-bottleneck { color:#b91c1c; font-weight:600; } .wf-error { color:#b91c1c; }
.wf-note { color:var(--warn); } .wf-transcript { color:var(--muted); font-style:italic; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.wf-track { position:relative; min-height:18px; }
.wf-axis { height:20px; } .wf-axis .wf-label { color:var(--muted); font-size:11px; }
.tick { position:absolute; top:2px; transform:translateX(-50%); font-size:10px; color:var(--muted); }
.tick.zero { color:var(--ink); font-weight:700; }
.zero-line { position:absolute; top:0; bottom:0; width:0; border-left:1px dashed #64748b; }
.lane { position:relative; height:11px; margin:2px 0; }
.seg { position:absolute; top:0; height:100%; border-radius:2px; }
.seg.bottleneck { outline:2px solid #dc2626; outline-offset:1px; box-shadow:0 0 0 4px rgba(220,38,38,.18); z-index:1; }
.seg.error { background-image: repeating-linear-gradient(45deg, rgba(0,0,0,.35) 0 3px, transparent 3px 6px); }
.seg.estimated { -webkit-mask-image: linear-gradient(to right, #000 70%, transparent); mask-image: linear-gradient(to right, #000 70%, transparent); }
.k-user_speech { background:#64748b; } .k-agent_speech { background:#0d9488; }
.k-stt { background:#0ea5e9; } .k-turn_detection { background:#a855f7; }
.k-llm_ttft { background:#f59e0b; } .k-llm_generation { background:#fcd34d; }
.k-tool { background:#84cc16; } .k-tts_ttfb { background:#ec4899; } .k-tts_synthesis { background:#f9a8d4; }
.wait-lane { height:12px; }
.wait { position:absolute; top:5px; height:3px; background:#94a3b8; }
.wait.level-warn { background:#f59e0b; } .wait.level-bad { background:#dc2626; }
.wait.bottleneck { outline:2px solid #dc2626; outline-offset:2px; }
.wait-label { position:absolute; top:-1px; font-size:10px; color:var(--muted); white-space:nowrap; }
@media (max-width: 1100px) { main { grid-template-columns: 1fr; } }
`;

const BODY = `
<header class="top"><h1>voxtrace dev</h1><span id="status" class="status">connecting…</span>
<span class="muted" id="stats"></span><span class="muted" id="endpoint"></span></header>
<main>
<section class="card"><h2>Turn latency <span class="muted">(end of user speech → first agent audio)</span></h2>
<div id="latency-chart"></div><div id="latency-now"></div></section>
<section class="card"><h2>Components <span class="muted">(P90, last window)</span></h2><table id="components"></table>
<table id="parts" class="parts"></table></section>
<section class="card"><h2>Severity</h2><div id="severity"></div></section>
<section class="card"><h2>Incidents <span class="muted" id="incident-count"></span></h2><div id="incidents"></div></section>
<section class="card wide"><h2>Conversations <span class="muted" id="conversation-count"></span> <span class="muted">newest first</span></h2>
<div><table><thead><tr><th>started</th><th>conversation</th><th>platform</th><th class="num">turns</th><th class="num">worst turn</th><th>outcome</th></tr></thead>
<tbody id="conversation-rows"></tbody></table></div></section>
<section class="card wide" id="waterfall-card"><h2>Turn waterfall</h2><div id="waterfall"></div></section>
</main>`;

/** The page's HTML. */
export function renderPage(): string {
  // The function's own source, compiled; `</script` cannot occur in it, but never let it end the tag.
  const script = `(${viewerMain.toString()})();`.replace(/<\/script/gi, '<\\/script');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>voxtrace dev</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body>${BODY}
<script>${script}</script>
</body></html>
`;
}
