// Browser tests of the consumer page against real nodes: `handoff demo` seeds a chain,
// `handoff node run --http … --consumer consumer/dist` resolves the demo's Digital Links,
// and Debian's Chromium opens them as a shopper's phone does (390×844, touch), in English
// and Chinese. The page checks the node's evidence itself (handoff-core in wasm): a
// genuine bag shows "Genuine" with its journey, a recalled lot and a stolen bag show a
// warning with their banner, an unknown serial and a malformed code "Not genuine", and a
// node that tampers with the evidence (the test build's HANDOFF_FAULT_TAMPER_EVIDENCE)
// gets "Could not verify". The certifications covering an item are listed as the node's
// `cert list` gives them (the filter roast's revoked one as revoked); a gift tin claimed
// a second time with a copied code shows the "already claimed" warning. The camera:
// Chromium's fake camera plays a frame made from the node's own PNG label of a demo bag
// (`handoff label`), and the page opened at /c/ reads it, opens the bag's Digital Link and
// shows "Genuine" with the journey; a QR code that is no product code gets a plain note
// (in Chinese). Run after `cargo xtask ui`:
//   HANDOFF_CLI=target/debug/handoff node ui/tests/consumer.mjs
// Screenshots go to ui/tests/artifacts/consumer-*.png.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import qrcode from 'qrcode-generator';

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

async function node(data, env = {}, extra = []) {
  const log = fs.openSync(path.join(data, `node-${Date.now()}.log`), 'w');
  const child = spawn(cli, ['--data', data, 'node', 'run', '--validator', '--no-mdns',
    '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--consumer', dist, ...extra],
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

const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: chromiumArgs,
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
async function open(url, locale, shot, slow4g = false, headers = {}) {
  const ctx = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale,
    extraHTTPHeaders: headers,
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
  const seen = await shown(page);
  if (shot) await page.screenshot({ path: path.join(artifacts, `consumer-${shot}.png`), fullPage: true });
  await ctx.close();
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  return { ...seen, ms };
}

// What the page shows.
function shown(page) {
  return page.evaluate(() => ({
    verdict: document.querySelector('[data-verdict]')?.getAttribute('data-verdict'),
    headline: document.querySelector('.verdict h1')?.textContent,
    reasons: [...document.querySelectorAll('.reasons li')].map((l) => l.getAttribute('data-code')),
    steps: [...document.querySelectorAll('.step')].map((s) => s.getAttribute('data-kind')),
    banners: [...document.querySelectorAll('.banner')].map((b) => b.textContent),
    certs: [...document.querySelectorAll('.cert')].map((c) => ({
      scheme: c.getAttribute('data-scheme'), status: c.getAttribute('data-status'), text: c.innerText,
    })),
    detail: document.querySelector('.detail')?.getAttribute('data-code'),
    proof: document.querySelector('.proof')?.textContent,
    text: document.body.innerText,
    path: location.pathname,
  }));
}

// A camera for Chromium's fake capture device: one 640×480 grey frame as YUV4MPEG2
// (4:2:0, grey so U = V = 128), which Chromium plays in a loop.
const W = 640;
const H = 480;
function writeY4m(file, luma) {
  assert(luma.length === W * H, `a frame of ${luma.length} pixels`);
  const chroma = Buffer.alloc((W / 2) * (H / 2), 128);
  fs.writeFileSync(file, Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\nFRAME\n`), Buffer.from(luma), chroma, chroma,
  ]));
}

// The grey levels of a label image (PNG) lying on a grey counter, as a camera held over
// it sees it: drawn by Chromium (it decodes the PNG) into a 640×480 frame.
async function labelFrame(png) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const levels = await page.evaluate(async ({ b64, w, h }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const g = c.getContext('2d');
    g.fillStyle = '#7d8389';
    g.fillRect(0, 0, w, h);
    const s = Math.min((w - 60) / img.width, (h - 60) / img.height);
    const [iw, ih] = [img.width * s, img.height * s];
    g.drawImage(img, (w - iw) / 2, (h - ih) / 2, iw, ih);
    const d = g.getImageData(0, 0, w, h).data;
    const out = [];
    for (let i = 0; i < w * h; i++) out.push(Math.round(0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2]));
    return out;
  }, { b64: fs.readFileSync(png).toString('base64'), w: W, h: H });
  await ctx.close();
  return Uint8Array.from(levels);
}

// A frame with the QR code of any text (8 pixels a module, on white paper).
function qrFrame(text) {
  const q = qrcode(0, 'M');
  q.addData(text);
  q.make();
  const n = q.getModuleCount();
  const px = 8;
  const [ox, oy] = [(W - n * px) >> 1, (H - n * px) >> 1];
  const luma = new Uint8Array(W * H).fill(120);
  for (let y = oy - 40; y < oy + n * px + 40; y++) for (let x = ox - 40; x < ox + n * px + 40; x++) luma[y * W + x] = 235;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!q.isDark(r, c)) continue;
      for (let y = 0; y < px; y++) for (let x = 0; x < px; x++) luma[(oy + r * px + y) * W + ox + c * px + x] = 25;
    }
  }
  return luma;
}

// A phone whose camera sees `y4m`: its own Chromium (the fake camera is chosen at launch),
// the camera allowed as a shopper would allow it.
async function withCamera(y4m, locale, fn) {
  const b = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [...chromiumArgs, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${y4m}`],
  });
  try {
    const ctx = await b.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale,
    });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await fn(page);
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  } finally {
    await b.close();
  }
}

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-consumer-'));
let honest;
let counted;
let liar;
try {
  const demo = JSON.parse(execFileSync(cli, ['--data', data, '--json', 'demo', '--quiet']).toString());
  const ex = demo.examples;
  // The bag's printed label, as the node renders it (PNG at 300 dpi): the camera's frame.
  const labelPng = path.join(data, 'shelf-bag-label.png');
  handoff(data, 'label', ex.shelf_bag, '--format', 'png', '--size', '50x30', '-o', labelPng);
  honest = await node(data);
  const url = (key) => `${honest.base}${key}`;

  await check('a genuine bag: Genuine, its product, journey and the proof line (English)', async () => {
    const s = await open(url(ex.shelf_bag), 'en-US', 'genuine-en');
    assert(s.verdict === 'genuine', `verdict ${s.verdict}: ${s.text}`);
    assert(s.headline === 'Genuine', s.headline);
    assert(s.steps[0] === 'commission' && s.steps.includes('handoff_accepted'), `steps ${s.steps}`);
    assert(/Checked in your browser: block \d+/.test(s.proof), s.proof);
    // Its certifications, proven like the rest: those the node's list gives, in order.
    const listed = handoff(data, 'cert', 'list', '--for', ex.shelf_bag).certifications
      .map((c) => `${c.scheme}:${c.status}`);
    assert(listed.length > 0, 'the node lists no certification for the bag');
    assert(JSON.stringify(s.certs.map((c) => `${c.scheme}:${c.status}`)) === JSON.stringify(listed),
      `page ${JSON.stringify(s.certs)} node ${listed}`);
    const organic = s.certs.find((c) => c.scheme === 'EU organic');
    assert(organic?.status === 'valid' && /Valid/.test(organic.text) && /Certified by Verde Certification/.test(organic.text),
      `organic: ${JSON.stringify(organic)}`);
    assert(s.text.includes('Certifications'), s.text);
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
    assert(s.text.includes('认证') && s.certs.some((c) => c.text.includes('有效')), s.text);
  });
  await check('the camera: the page at /c/ reads a demo label, opens its Digital Link and shows Genuine with the journey', async () => {
    const y4m = path.join(data, 'camera-label.y4m');
    writeY4m(y4m, await labelFrame(labelPng));
    await withCamera(y4m, 'en-US', async (page) => {
      await page.goto(`${honest.base}/c/`);
      const button = page.locator('[data-action=scan]');
      await button.waitFor({ timeout: 30000 });
      const label = await button.innerText();
      assert(label.includes('Scan a product'), label);
      await page.screenshot({ path: path.join(artifacts, 'consumer-camera-start.png'), fullPage: true });
      const t0 = Date.now();
      await button.tap();
      await page.waitForURL((u) => u.pathname === ex.shelf_bag, { timeout: 30000 });
      await page.waitForSelector('[data-verdict]', { timeout: 30000 });
      const ms = Date.now() - t0;
      const s = await shown(page);
      await page.screenshot({ path: path.join(artifacts, 'consumer-camera-genuine.png'), fullPage: true });
      assert(s.verdict === 'genuine' && s.headline === 'Genuine', `verdict ${s.verdict}: ${s.text}`);
      assert(s.steps[0] === 'commission' && s.steps.includes('handoff_accepted'), `steps ${s.steps}`);
      const again = await page.locator('[data-action=scan]').innerText();
      assert(again.includes('Scan another product'), again);
      console.log(`     label read, its verdict on screen ${ms} ms after the tap`);
    });
  });
  await check('the camera reads a QR code that is no product code: a plain note (Chinese), the camera keeps looking', async () => {
    const y4m = path.join(data, 'camera-menu.y4m');
    writeY4m(y4m, qrFrame('https://example.com/menu?table=4'));
    await withCamera(y4m, 'zh-CN', async (page) => {
      await page.goto(url(ex.sold_bag));
      await page.waitForSelector('[data-verdict]', { timeout: 30000 });
      const button = page.locator('[data-action=scan]');
      const label = await button.innerText();
      assert(label.includes('扫描其他商品'), label);
      await button.tap();
      const note = page.locator('[data-note=NOT_A_PRODUCT]');
      await note.waitFor({ timeout: 30000 });
      const text = await note.innerText();
      assert(text.includes('不是商品代码'), text);
      assert(new URL(page.url()).pathname === ex.sold_bag, page.url());
      const live = await page.evaluate(() => document.querySelector('.camera.on video')?.srcObject?.active === true);
      assert(live, 'the camera stopped');
      await page.screenshot({ path: path.join(artifacts, 'consumer-camera-not-product-zh.png'), fullPage: true });
      await page.locator('.cancel').tap();
      await page.waitForFunction(() => !document.querySelector('.camera.on')
        && document.querySelector('video')?.srcObject === null, null, { timeout: 10000 });
    });
  });
  await check('a recalled lot: a warning with the recall banner', async () => {
    const s = await open(url(ex.recalled_lot), 'en-US', 'recalled');
    assert(s.verdict === 'warning', `verdict ${s.verdict}`);
    assert(s.reasons.includes('RECALLED'), `reasons ${s.reasons}`);
    assert(s.banners.some((b) => b.includes('RECALLED')), `banners ${s.banners}`);
    // Its certificate was revoked: listed, as revoked.
    const ra = s.certs.find((c) => c.scheme === 'Rainforest Alliance');
    assert(ra?.status === 'revoked' && ra.text.includes('Revoked'), `certs ${JSON.stringify(s.certs)}`);
  });
  await check('a gift tin claimed a second time with a copied code: refused, and the page warns it was already claimed', async () => {
    const rows = fs.readFileSync(ex.claim_codes, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const code = rows.find(([item]) => item === ex.claimed_tin)?.[1];
    assert(code, `no claim code for ${ex.claimed_tin}`);
    // A second buyer (the folder's consumer key is the demo's first buyer's).
    fs.renameSync(path.join(data, 'consumer.key'), path.join(data, 'first-buyer.key'));
    let refused = null;
    try {
      execFileSync(cli, ['--data', data, '--json', 'item', 'claim', ex.claimed_tin, code], { stdio: 'pipe' });
    } catch (e) {
      refused = e;
    }
    assert(refused, 'the second claim was accepted');
    const answer = JSON.parse(String(refused.stdout).trim() || String(refused.stderr).trim());
    assert(answer.error?.code === 'ALREADY_CLAIMED', JSON.stringify(answer));
    const s = await open(url(ex.claimed_tin), 'en-US', 'claimed-twice');
    assert(s.verdict === 'warning', `verdict ${s.verdict}`);
    assert(s.reasons.includes('ALREADY_CLAIMED'), `reasons ${s.reasons}`);
    assert(s.text.includes('Someone already registered this item as bought. Its code may have been copied.'), s.text);
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

  // Clone detection: the same chain behind a trusted proxy (loopback), which names each
  // shopper's network in X-Forwarded-For; the sold bag looked up from one network after
  // another.
  counted = await node(data, {}, ['--trusted-proxy', '127.0.0.1']);
  await check('a sold bag looked up from more than three networks within the hour: a copied-label warning', async () => {
    // The checks above may have looked the bag up from loopback already: the node's own
    // count (beside the evidence, from the same network, so it adds nothing) says how
    // many networks it has seen, and the page must say "genuine" up to three, then warn.
    const counts = async (net) => {
      const r = await fetch(`${counted.base}/v1/evidence/${encodeURIComponent(ex.sold_bag)}`,
        { headers: { 'X-Forwarded-For': `198.51.${net}.7` } });
      return (await r.json()).scans?.networks_hour;
    };
    let genuine = 0;
    let warned = null;
    for (const net of [1, 2, 3, 4, 5]) {
      const s = await open(`${counted.base}${ex.sold_bag}`, 'en-US', null, false,
        { 'X-Forwarded-For': `198.51.${net}.7` });
      const n = await counts(net);
      assert(Number.isInteger(n) && n >= net, `network ${net}: the node counts ${n}`);
      if (n <= 3) {
        assert(s.verdict === 'genuine', `network ${net} (${n} seen): verdict ${s.verdict} ${s.reasons}`);
        genuine += 1;
      } else {
        assert(s.verdict === 'warning', `network ${net} (${n} seen): verdict ${s.verdict}`);
        assert(s.reasons.includes('MANY_SCANS'), `reasons ${s.reasons}`);
        assert(s.text.includes('may have been copied'), s.text);
        warned = net;
      }
    }
    assert(genuine >= 2 && warned !== null, `genuine ${genuine} times, warned at ${warned}`);
    const shot = await open(`${counted.base}${ex.sold_bag}`, 'en-US', 'many-scans', false,
      { 'X-Forwarded-For': '198.51.5.7' });
    assert(shot.reasons.includes('MANY_SCANS'), `reasons ${shot.reasons}`);
    const zh = await open(`${counted.base}${ex.sold_bag}`, 'zh-CN', 'many-scans-zh', false,
      { 'X-Forwarded-For': '198.51.5.7' });
    assert(zh.reasons.includes('MANY_SCANS') && zh.text.includes('标签可能被复制'), zh.text);
  });
  await counted.stop();
  counted = null;

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
  if (counted) await counted.stop();
  await browser.close();
  fs.rmSync(data, { recursive: true, force: true });
}
if (failures) {
  console.log(`${failures} consumer page check(s) failed`);
  process.exit(1);
}
console.log('consumer page: all checks passed');
