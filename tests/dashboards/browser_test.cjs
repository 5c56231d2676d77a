// The dashboards in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
//  1. `trainsim run --out` on the default scenario → dashboard.html (and trace.json, checked by the
//     trace format's rules);
//  2. `trainsim sweep studies/weak-scaling.yaml --out` → dashboard.html;
//  3. `trainsim serve --http 127.0.0.1:0`: the live page runs a scenario from its form and a
//     study whose table fills in while it runs.
// Each page: no console errors or uncaught exceptions, every chart card drawn by Chart.js
// (data-rendered, a Chart instance with data, pixels on its canvas), and a full-page screenshot
// under --out. Exit 0 when all hold, 1 with the reasons otherwise.
//
//   node browser_test.cjs --trainsim build/bin/trainsim --repo . --out build/dashboards-screenshots
'use strict';

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['trainsim', 'repo', 'out']) {
    if (!out[k]) throw new Error(`missing --${k}`);
  }
  return out;
}

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

// The default step's trace.json by the Chrome Trace Event format's rules (what Perfetto's
// importer needs: tests/dashboards/trace_test.cc checks the same on a small step), and what a
// planner looks for in it: the bubble and DP buckets under backward.
function checkTrace(file) {
  const trace = JSON.parse(fs.readFileSync(file, 'utf8'));
  const events = trace.traceEvents;
  check(Array.isArray(events) && events.length > 1000, `trace: ${events.length} events`);
  let lastTs = 0, metadataDone = false, bad = 0;
  const flows = new Map(), threads = new Map();
  for (const e of events) {
    if (!['X', 'M', 'C', 's', 'f'].includes(e.ph) || typeof e.pid !== 'number') { bad++; continue; }
    if (e.ph === 'M') {
      if (metadataDone) bad++;
      if (e.name === 'thread_name') threads.set(`${e.pid}/${e.tid}`, e.args.name);
      continue;
    }
    metadataDone = true;
    if (typeof e.ts !== 'number' || e.ts < lastTs) bad++;
    lastTs = e.ts;
    if (e.ph === 'X' && !(e.dur >= 0 && typeof e.tid === 'number' && e.name)) bad++;
    if (e.ph === 's' || e.ph === 'f') {
      const f = flows.get(e.id) || { s: 0, f: 0 };
      f[e.ph]++;
      flows.set(e.id, f);
    }
  }
  check(bad === 0, `trace: every event has its required fields in time order (${bad} bad)`);
  check(flows.size > 0 && [...flows.values()].every((f) => f.s === 1 && f.f === 1),
        `trace: ${flows.size} PP flow arrows, each with one start and one end`);
  const lane = (pid, name) => events.filter((e) => e.ph === 'X' && e.pid === pid &&
                                         (threads.get(`${e.pid}/${e.tid}`) || '').endsWith(name));
  const forward = (pid) => lane(pid, 'compute').find((e) => e.name === 'forward');
  const f0 = forward(1), f1 = forward(2);
  check(f0 && f1 && f1.ts >= f0.ts + f0.dur, 'trace: the bubble (stage 1 starts after stage 0\'s first forward)');
  const backward = lane(1, 'compute').filter((e) => e.name === 'backward');
  const overlapped = lane(1, ' dp').some((d) => backward.some((b) => d.ts < b.ts + b.dur && b.ts < d.ts + d.dur));
  check(overlapped, 'trace: a DP bucket on stage 0 overlaps a backward kernel');
}

// Loads `url`, waits for the dashboard script, checks every chart; returns the page.
async function openDashboard(browser, url, name, minCharts) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.trainsimDashboard && window.trainsimDashboard.ready,
                             null, { timeout: 60000 });
  page.trainsimErrors = errors;
  if (minCharts > 0) await checkCharts(page, name, '#app', minCharts);
  return page;
}

// Every chart card under `scope` drawn, with data and pixels.
async function checkCharts(page, name, scope, minCharts) {
  await page.waitForFunction((s) => {
    const cards = document.querySelectorAll(`${s} .card[data-chart]`);
    return cards.length > 0 && Array.from(cards).every((c) => c.dataset.rendered === 'true');
  }, scope, { timeout: 60000 });
  const charts = await page.evaluate((s) => Array.from(
    document.querySelectorAll(`${s} .card[data-chart]`)).map((card) => {
    const canvas = card.querySelector('canvas');
    const chart = window.Chart.getChart(canvas);
    const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0;
    // Pixels Chart.js drew: the canvas is transparent where nothing was drawn.
    const ctx = canvas.getContext('2d');
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < img.length; i += 4 * 16) if (img[i] > 0) painted++;
    return { id: card.dataset.chart, width: canvas.width, height: canvas.height, points, painted };
  }), scope);
  check(charts.length >= minCharts, `${name}: ${charts.length} charts (at least ${minCharts})`);
  for (const c of charts) {
    check(c.width > 0 && c.height > 0 && c.points > 0 && c.painted > 100,
          `${name}: chart ${c.id} drawn (${c.width}x${c.height} px, ${c.points} points, ` +
          `${c.painted} painted samples)`);
  }
  return charts.map((c) => c.id);
}

function finish(page, name, out) {
  check(page.trainsimErrors.length === 0,
        `${name}: no console errors${page.trainsimErrors.length ? ': ' + page.trainsimErrors.join(' | ') : ''}`);
  return page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
}

// `trainsim serve` on free ports; resolves with the dashboards' base URL.
function startServer(trainsim) {
  const child = spawn(trainsim, ['serve', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0',
                                 '--max-concurrent', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = text.match(/dashboards on (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`trainsim serve exited ${code}: ${text}`)));
  });
}

async function main() {
  const a = args();
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`${CHROMIUM} not found: install Debian's chromium (make test does: scripts/install-deps --test)`);
    process.exit(1);
  }
  const { chromium } = require('playwright-core');
  fs.rmSync(a.out, { recursive: true, force: true });
  fs.mkdirSync(a.out, { recursive: true });
  const stepDir = path.join(a.out, 'step'), studyDir = path.join(a.out, 'study');
  execFileSync(a.trainsim, ['run', '--out', stepDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(a.trainsim, ['sweep', path.join(a.repo, 'studies/weak-scaling.yaml'), '--jobs', '2',
                            '--out', studyDir], { stdio: ['ignore', 'ignore', 'inherit'] });

  checkTrace(path.join(stepDir, 'trace.json'));

  const browser = await chromium.launch({
    executablePath: CHROMIUM, args: CHROMIUM_ARGS,
  });
  try {
    // 1. The default scenario's step.
    let page = await openDashboard(browser, 'file://' + path.join(stepDir, 'dashboard.html'), 'step', 7);
    const ids = await page.evaluate(() => window.trainsimDashboard.charts);
    for (const id of ['breakdown', 'memory', 'timeline', 'roofline', 'links', 'utilisation', 'power']) {
      check(ids.includes(id), `step: has the ${id} chart`);
    }
    const text = await page.textContent('#app');
    check(/step time/.test(text) && /gpt4-moe-16k-h100/.test(text), 'step: scenario summary shown');
    await finish(page, 'step', a.out);
    await page.close();

    // 2. A study: every figure against each knob.
    page = await openDashboard(browser, 'file://' + path.join(studyDir, 'dashboard.html'), 'study', 4);
    const rows = await page.$$eval('#app table tbody tr', (trs) => trs.length);
    check(rows === 6, `study: table has ${rows} rows (6 points)`);
    await finish(page, 'study', a.out);
    await page.close();

    // 3. Live: a scenario from the form, then a study filling in.
    const server = await startServer(a.trainsim);
    try {
      page = await openDashboard(browser, server.url, 'live', 0);
      await page.click('#run-button');
      await page.waitForFunction(() => /done|failed/.test(document.getElementById('run-status').textContent),
                                 null, { timeout: 120000 });
      check((await page.textContent('#run-status')).startsWith('done'), 'live: scenario ran');
      await checkCharts(page, 'live run', '#run-output', 7);
      await page.click('#tab-study');
      await page.click('#study-button');
      const seen = new Set();
      const deadline = Date.now() + 120000;
      let status = '';
      while (Date.now() < deadline) {
        status = await page.textContent('#study-status');
        const m = status.match(/^(\d+) \/ (\d+) points/);
        if (m) seen.add(Number(m[1]));
        if (/done/.test(status)) break;
        await page.waitForTimeout(100);
      }
      check(/8 \/ 8 points, done/.test(status), `live: study finished (${status})`);
      check(seen.size >= 2, `live: the study filled in over ${seen.size} updates (${[...seen].join(', ')})`);
      await checkCharts(page, 'live study', '#study-output', 4);
      await finish(page, 'live', a.out);
    } finally {
      server.child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => server.child.on('exit', resolve));
    check(code === 0, `live: trainsim serve stopped cleanly on SIGTERM (exit ${code})`);
  } finally {
    await browser.close();
  }
  if (failures.length) {
    console.error(`${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`all checks passed; screenshots in ${a.out}`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
