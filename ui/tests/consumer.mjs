// Browser tests of the consumer page against real nodes: `handoff demo` seeds a chain,
// `handoff node run --http … --consumer consumer/dist` resolves the demo's Digital Links,
// and Debian's Chromium opens them as a shopper's phone does (390×844, touch), in English
// and Chinese. The page checks the node's evidence itself (handoff-core in wasm): a
// genuine bag shows "Genuine" with its journey, a recalled lot and a stolen bag show a
// warning with their banner, an unknown serial and a malformed code "Not genuine", and a
// node that tampers with the evidence (the test build's HANDOFF_FAULT_TAMPER_EVIDENCE)
// gets "Could not verify". Run after `cargo xtask ui`:
//   HANDOFF_CLI=target/debug/handoff node ui/tests/consumer.mjs
// Screenshots go to ui/tests/artifacts/consumer-*.png.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dist = path.resolve(root, 'consumer', 'dist');
const artifacts = path.resolve(here, 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  console.error(`no consumer page build in ${dist}: run cargo xtask ui first`);
  process.exit(2);
}
const cli = process.env.HANDOFF_CLI ?? path.resolve(root, 'target', 'debug', 'handoff');

const running = new Set();
process.on('exit', () => { for (const c of running) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

const handoff = (data, ...args) => JSON.parse(execFileSync(cli, ['--data', data, '--json', ...args]).toString());

async function node(data, env = {}) {
  const log = fs.openSync(path.join(data, `node-${Date.now()}.log`), 'w');
  const child = spawn(cli, ['--data', data, 'node', 'run', '--validator', '--no-mdns',
    '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--consumer', dist],
  { stdio: ['ignore', 'pipe', log], env: { ...process.env, ...env } });
  running.add(child);
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the node did not start: ${out}`)), 60000);
    child.stdout.on('data', (b) => { out += b; if (out.includes('"ready"')) { clearTimeout(timer); resolve(); } });
    child.on('exit', (c) => { clearTimeout(timer); reject(new Error(`the node exited (${c})`)); });
  });
  const file = JSON.parse(fs.readFileSync(path.join(data, 'node.json')));
  return {
    base: `http://${file.http}`,
    async stop() {
      running.delete(child);
      child.kill('SIGTERM');
      await new Promise((r) => { if (child.exitCode !== null) r(); else child.on('exit', r); setTimeout(r, 10000); });
    },
  };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n     ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n     ')}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

// Opens `url` on a phone in `locale` and waits until the page has answered; returns the
// page and what it shows.
async function open(url, locale, shot, slow4g = false) {
  const ctx = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale,
  });
  const page = await ctx.newPage();
  if (slow4g) {
    // DevTools' "Slow 4G" preset: 562.5 ms round trip, 1.44 Mbit/s down, 675 kbit/s up.
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 562.5, downloadThroughput: (1.6 * 1e6 / 8) * 0.9, uploadThroughput: (750 * 1e3 / 8) * 0.9,
    });
  }
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('[data-verdict]', { timeout: 30000 });
  const ms = Date.now() - t0;
  const shown = await page.evaluate(() => ({
    verdict: document.querySelector('[data-verdict]')?.getAttribute('data-verdict'),
    headline: document.querySelector('.verdict h1')?.textContent,
    reasons: [...document.querySelectorAll('.reasons li')].map((l) => l.getAttribute('data-code')),
    steps: [...document.querySelectorAll('.step')].map((s) => s.getAttribute('data-kind')),
    banners: [...document.querySelectorAll('.banner')].map((b) => b.textContent),
    detail: document.querySelector('.detail')?.getAttribute('data-code'),
    proof: document.querySelector('.proof')?.textContent,
    text: document.body.innerText,
  }));
  if (shot) await page.screenshot({ path: path.join(artifacts, `consumer-${shot}.png`), fullPage: true });
  await ctx.close();
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  return { ...shown, ms };
}

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-consumer-'));
let honest;
let liar;
try {
  const demo = JSON.parse(execFileSync(cli, ['--data', data, '--json', 'demo', '--quiet']).toString());
  const ex = demo.examples;
  honest = await node(data);
  const url = (key) => `${honest.base}${key}`;

  await check('a genuine bag: Genuine, its product, journey and the proof line (English)', async () => {
    const s = await open(url(ex.shelf_bag), 'en-US', 'genuine-en');
    assert(s.verdict === 'genuine', `verdict ${s.verdict}: ${s.text}`);
    assert(s.headline === 'Genuine', s.headline);
    assert(s.steps[0] === 'commission' && s.steps.includes('handoff_accepted'), `steps ${s.steps}`);
    assert(/Checked in your browser: block \d+/.test(s.proof), s.proof);
    console.log(`     verdict on screen ${s.ms} ms after opening the link`);
  });
  await check('time from opening the link to the verdict on screen under Slow 4G (measured, not asserted)', async () => {
    const s = await open(url(ex.sold_bag), 'en-US', 'slow4g', true);
    assert(s.verdict === 'warning' || s.verdict === 'genuine', `verdict ${s.verdict}: ${s.text}`);
    const sizes = fs.readdirSync(dist).filter((f) => f.endsWith('.wasm'))
      .map((f) => ({ f, gz: zlib.gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length }));
    const m = { slow4g_ms_to_verdict: s.ms, wasm_gzip_bytes: sizes[0]?.gz, wasm_file: sizes[0]?.f };
    fs.writeFileSync(path.join(artifacts, 'consumer-measure.json'), JSON.stringify(m, null, 2));
    console.log(`     Slow 4G: verdict on screen ${s.ms} ms after opening the link; wasm ${m.wasm_gzip_bytes} bytes gzipped`);
  });
  await check('the same bag in Chinese', async () => {
    const s = await open(url(ex.shelf_bag), 'zh-CN', 'genuine-zh');
    assert(s.verdict === 'genuine' && s.headline === '正品', `${s.verdict} ${s.headline}`);
    assert(s.text.includes('流通历程'), s.text);
  });
  await check('a recalled lot: a warning with the recall banner', async () => {
    const s = await open(url(ex.recalled_lot), 'en-US', 'recalled');
    assert(s.verdict === 'warning', `verdict ${s.verdict}`);
    assert(s.reasons.includes('RECALLED'), `reasons ${s.reasons}`);
    assert(s.banners.some((b) => b.includes('RECALLED')), `banners ${s.banners}`);
  });
  await check('an unknown serial: Not genuine, never made', async () => {
    const ghost = ex.shelf_bag.replace(/\/21\/[^/]+$/, '/21/NEVER-MADE-7');
    const s = await open(url(ghost), 'en-US', 'unknown');
    assert(s.verdict === 'counterfeit', `verdict ${s.verdict}`);
    assert(s.reasons.includes('NEVER_COMMISSIONED'), `reasons ${s.reasons}`);
  });
  await check('a malformed code: Not genuine, not a valid code', async () => {
    const s = await open(`${honest.base}/01/09506000134353/21/X1`, 'en-US', 'malformed');
    assert(s.verdict === 'counterfeit', `verdict ${s.verdict}`);
    assert(s.reasons.includes('MALFORMED_ID'), `reasons ${s.reasons}`);
  });
  await check('a bag reported stolen: a warning with the stolen banner', async () => {
    handoff(data, '--as', 'Corner Grocer', 'item', 'stolen', ex.shelf_bag, '--note', 'taken from the shelf');
    const s = await open(url(ex.shelf_bag), 'en-US', 'stolen');
    assert(s.verdict === 'warning', `verdict ${s.verdict}`);
    assert(s.reasons.includes('STOLEN'), `reasons ${s.reasons}`);
    assert(s.banners.some((b) => b.includes('STOLEN')), `banners ${s.banners}`);
  });
  await honest.stop();
  honest = null;

  // The same chain served by a node that alters what it proves.
  liar = await node(data, { HANDOFF_FAULT_TAMPER_EVIDENCE: '1' });
  await check('a node that tampers with the evidence: Could not verify', async () => {
    const s = await open(`${liar.base}${ex.sold_bag}`, 'en-US', 'tampered');
    assert(s.verdict === 'unverified', `verdict ${s.verdict}: ${s.text}`);
    assert(s.detail === 'EVIDENCE_PROOF_INVALID', `detail ${s.detail}`);
    assert(!s.text.includes('Genuine'), s.text);
  });
} finally {
  if (honest) await honest.stop();
  if (liar) await liar.stop();
  await browser.close();
  fs.rmSync(data, { recursive: true, force: true });
}
if (failures) {
  console.log(`${failures} consumer page check(s) failed`);
  process.exit(1);
}
console.log('consumer page: all checks passed');
