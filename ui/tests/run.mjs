// Browser tests of the Handoff UI (ui/dist, built by trunk) on its mock backend, in
// Debian's Chromium at desktop size (1280×800) and phone size (390×844), English and
// Chinese. Run from the repository root or ui/tests: `node ui/tests/run.mjs`.
// Screenshots of every screen go to ui/tests/artifacts/.
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '..', 'dist');
const artifacts = path.resolve(here, 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  console.error(`no UI build in ${dist}: run trunk build --release in ui/ first`);
  process.exit(2);
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const server = http.createServer((req, res) => {
  const p = path.join(dist, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  const file = p.startsWith(dist) && fs.existsSync(p) && fs.statSync(p).isFile() ? p : path.join(dist, 'index.html');
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

// playwright gives the browser a fresh, empty profile of its own.
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
    console.log(`FAIL ${name}\n     ${String(e.message ?? e).split('\n').join('\n     ')}`);
  }
}
function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

const T = (id) => `[data-testid="${id}"]`;
async function scan(page, code) {
  await page.locator(T('scan-input')).focus();
  await page.keyboard.type(code); // a keyboard-wedge scanner types the code…
  await page.keyboard.press('Enter'); // …and ends with Enter
}
async function nav(page, id) {
  await page.locator(T(`nav-${id}`)).click();
}

const BAG = '(01)00614141025015(21)E261000022'; // at the grocer, genuine
const LOOSE_A = '(01)00614141025015(21)E261000260'; // loose bags at the warehouse
const LOOSE_B = 'https://id.gs1.org/01/00614141025015/21/E261000261';

const VIEWPORTS = [{ name: 'desktop', width: 1280, height: 800 }, { name: 'phone', width: 390, height: 844 }];

// A fresh page of the UI at viewport `vp` with `query` appended to the URL, collecting
// script errors; `shot(n)` saves `<viewport>-<prefix><n>.png` in the artifacts folder.
async function openPage(vp, query, prefix) {
  const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height }, locale: 'en-US' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${url}${query}`);
  await page.locator(T('scan-input')).waitFor();
  const shot = (n) => page.screenshot({ path: path.join(artifacts, `${vp.name}-${prefix}${n}.png`), fullPage: true });
  return { ctx, page, errors, shot };
}

for (const vp of VIEWPORTS) {
  const { ctx, page, errors, shot } = await openPage(vp, '', '');

  await check(`${vp.name}: the scan input has focus on start`, async () => {
    const focused = await page.evaluate(() => document.activeElement?.dataset?.testid);
    expect(focused === 'scan-input', `focused: ${focused}`);
  });

  await check(`${vp.name}: a scanned code shows the item and its timeline`, async () => {
    await scan(page, BAG);
    const card = page.locator(T('item-card'));
    await card.waitFor();
    const text = await card.innerText();
    expect(text.includes('Northside Espresso Roast 250 g'), text);
    expect(text.includes('Corner Grocer'), text);
    expect((await page.locator(T('verdict')).innerText()).includes('Genuine'), 'verdict');
    await shot('scan');
    await page.locator(T('open-timeline')).click();
    await page.locator(T('timeline')).waitFor();
    const n = await page.locator(T('timeline-event')).count();
    expect(n >= 10, `timeline events: ${n}`);
    const firstType = await page.locator(T('timeline-event')).first().getAttribute('data-type');
    expect(firstType === 'commission', `first event: ${firstType}`);
    await shot('item');
  });

  await check(`${vp.name}: a malformed scan shows a message naming the problem`, async () => {
    await nav(page, 'scan');
    await scan(page, '(01)00614141025016(21)X');
    const banner = page.locator(T('error-banner'));
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text.includes('check digit'), text);
    expect(text.includes('SCAN_BAD_CHECK_DIGIT'), text);
    await shot('bad-scan');
    await banner.getByRole('button').click();
  });

  await check(`${vp.name}: shipping an item you do not hold is refused with its rule`, async () => {
    await scan(page, BAG);
    await page.locator(T('item-card')).waitFor();
    await page.locator(T('ship-to')).selectOption('Northside Roasters');
    await page.locator(T('ship-button')).click();
    const banner = page.locator(T('error-banner'));
    await banner.waitFor();
    expect((await banner.innerText()).includes('NOT_CUSTODIAN'), await banner.innerText());
    await banner.getByRole('button').click();
  });

  await check(`${vp.name}: batch mode counts scans and flags a duplicate`, async () => {
    await page.locator(T('batch-toggle')).check();
    await scan(page, LOOSE_A);
    await scan(page, LOOSE_B);
    await scan(page, 'https://id.gs1.org/01/00614141025015/21/E261000260'); // same bag again
    await scan(page, '(01)123');
    expect((await page.locator(T('batch-count')).innerText()).trim() === '2', 'count');
    expect(await page.locator(T('batch-dup')).count() === 1, 'one duplicate flagged');
    expect(await page.locator(T('batch-bad')).count() === 1, 'one invalid flagged');
    await shot('batch');
  });

  await check(`${vp.name}: ship a batch, switch identity, receive it with one item missing`, async () => {
    await page.locator(T('ship-to')).selectOption('Corner Grocer');
    await page.locator(T('ship-button')).click();
    await page.locator(T('notice-banner')).waitFor();
    await nav(page, 'node');
    await page.locator(T('identity-select')).selectOption('Corner Grocer');
    await page.waitForFunction(() => document.querySelector('[data-testid="node-org"]')?.textContent === 'Corner Grocer');
    await shot('node');
    await nav(page, 'inbox');
    const card = page.locator(T('handoff-incoming')).filter({ hasText: 'E261000261' });
    await card.waitFor();
    expect((await page.locator(T('inbox-count')).innerText()).trim() === '2', 'badge counts 2 incoming');
    await card.locator('[data-testid="entry-/01/00614141025015/21/E261000261"] [data-testid="mark-missing"]').click();
    await shot('inbox');
    await card.locator(T('accept-button')).click();
    await page.locator(T('notice-banner')).waitFor();
    await nav(page, 'scan');
    await page.locator(T('batch-toggle')).uncheck();
    await scan(page, LOOSE_B);
    const text = await page.locator(T('item-card')).innerText();
    expect(text.includes('Harbor Logistics') && text.toLowerCase().includes('missing'), text);
    await scan(page, LOOSE_A);
    await page.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('E261000260'));
    const a = await page.locator(T('item-card')).innerText();
    expect(a.includes('Corner Grocer'), a);
  });

  await check(`${vp.name}: products, labels and pack screens render`, async () => {
    await nav(page, 'products');
    await page.locator(T('product-gtin')).fill('00614141025015');
    await page.locator(T('product-lookup')).click();
    await page.locator(T('product-card')).waitFor();
    await shot('products');
    await nav(page, 'pack');
    await page.locator(T('pack-container')).waitFor();
    await shot('pack');
  });

  await check(`${vp.name}: Chinese switches every navigation label`, async () => {
    await nav(page, 'node');
    await page.locator(T('lang-zh')).click();
    expect((await page.locator(T('nav-scan')).innerText()).includes('扫描'), 'scan label');
    expect((await page.locator(T('nav-inbox')).innerText()).includes('收件箱'), 'inbox label');
    await shot('node-zh');
    await nav(page, 'scan');
    await scan(page, BAG);
    await page.locator(T('item-card')).waitFor();
    expect((await page.locator(T('verdict')).innerText()).includes('正品'), 'verdict in Chinese');
    await shot('scan-zh');
    await page.locator(T('open-timeline')).click();
    await page.locator(T('timeline')).waitFor();
    await shot('item-zh');
    // The choice is kept across restarts.
    await page.reload();
    await page.locator(T('scan-input')).waitFor();
    expect((await page.locator(T('nav-scan')).innerText()).includes('扫描'), 'language kept');
  });

  await check(`${vp.name}: no script errors`, async () => {
    expect(errors.length === 0, errors.join('\n'));
  });
  await ctx.close();
}

// Light mode (`?mock=light`): the app follows a network as a light node. The Node screen
// shows the certified header height, peers and the outbox (committed, rejected with the
// rule, submitted, pending); actions are queued, reads are verified against a block, and
// what needs a full node's indexes says so.
for (const vp of VIEWPORTS) {
  const { ctx, page, errors, shot } = await openPage(vp, '?mock=light', 'light-');
  const entry = (status) => page.locator(`${T('outbox-entry')}[data-status="${status}"]`);

  await check(`${vp.name} light: the Node screen shows a light node and its outbox`, async () => {
    await nav(page, 'node');
    await page.locator(T('outbox-list')).waitFor();
    const mode = await page.locator(T('node-mode')).innerText();
    expect(mode.includes('Light node'), mode);
    expect((await page.locator(T('node-height')).innerText()).trim() === '1,520', 'header height');
    expect((await page.locator(T('node-peers')).innerText()).trim() === '2', 'peers');
    expect(await page.locator(T('outbox-entry')).count() === 3, 'three entries');
    const committed = await entry('committed').innerText();
    expect(committed.includes('Committed') && committed.includes('block 1,498'), committed);
    expect(committed.includes('Commissioned') && committed.includes('E261000264'), committed);
    const rejected = await entry('rejected').innerText();
    expect(rejected.includes('Rejected') && rejected.includes('NOT_CUSTODIAN'), rejected);
    expect((await entry('rejected').locator(T('outbox-why')).innerText()).includes('is not the custodian'), 'the rule');
    expect((await entry('submitted').innerText()).includes('Submitted'), 'submitted');
    expect((await page.locator(T('outbox-count')).innerText()).trim() === '1', 'one open entry in the navigation');
    await shot('node');
  });

  await check(`${vp.name} light: a scan is verified against a block and a ship is queued`, async () => {
    await nav(page, 'scan');
    await scan(page, LOOSE_A);
    await page.locator(T('item-card')).waitFor();
    const v = await page.locator(T('verified-at')).innerText();
    expect(v.includes('Verified against block') && v.includes('1,520'), v);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(over <= 0, `the scan screen is ${over}px wider than the viewport`);
    expect((await page.locator(T('item-card')).innerText()).includes('Harbor Logistics'), 'custodian');
    await shot('scan');
    await page.locator(T('ship-to')).selectOption('Corner Grocer');
    await page.locator(T('ship-button')).click();
    const notice = await page.locator(T('notice-banner')).innerText();
    expect(notice.includes('Queued — will be sent when a peer is reachable'), notice);
    expect(!notice.toLowerCase().includes('committed'), notice);
    await page.waitForFunction(() => document.querySelector('[data-testid="outbox-count"]')?.textContent.trim() === '2');
    await nav(page, 'node');
    await entry('pending').waitFor();
    const pending = await entry('pending').innerText();
    expect(pending.includes('Pending') && pending.includes('Shipped') && pending.includes('#4'), pending);
    expect(pending.includes('E261000260'), pending);
  });

  await check(`${vp.name} light: what needs a full node says so`, async () => {
    await nav(page, 'inbox');
    const note = await page.locator(T('light-node-note')).innerText();
    expect(note.includes('LIGHT_NODE') && note.includes('light node'), note);
    await shot('inbox');
    await nav(page, 'item');
    await page.locator(T('history-light')).waitFor();
    expect(await page.locator(T('timeline')).count() === 0, 'no timeline');
    expect((await page.locator(T('verified-at')).innerText()).includes('1,520'), 'verified record');
  });

  await check(`${vp.name} light: Chinese outbox`, async () => {
    await nav(page, 'node');
    await page.locator(T('lang-zh')).click();
    await page.locator(T('outbox-list')).waitFor();
    expect((await page.locator(T('node-mode')).innerText()).includes('轻节点'), 'mode in Chinese');
    expect((await entry('committed').innerText()).includes('已上链'), 'committed in Chinese');
    const rejected = await entry('rejected').innerText();
    expect(rejected.includes('被拒绝') && rejected.includes('规则 NOT_CUSTODIAN'), rejected);
    expect((await entry('pending').innerText()).includes('待发送'), 'pending in Chinese');
    await shot('node-zh');
    await page.locator(T('lang-en')).click();
  });

  await check(`${vp.name} light: the receiver scans a bag that arrived and accepts its pallet, one bag missing`, async () => {
    await nav(page, 'node');
    await page.locator(T('identity-select')).selectOption('Corner Grocer');
    await page.waitForFunction(() => document.querySelector('[data-testid="node-org"]')?.textContent === 'Corner Grocer');
    await nav(page, 'inbox');
    expect((await page.locator(T('light-receive-hint')).innerText()).includes('scan one of them'), 'the inbox says how to receive');
    await nav(page, 'scan');
    await scan(page, '(01)00614141025015(21)E261000205');
    const card = page.locator(`${T('scan-result')} ${T('handoff-incoming')}`);
    await card.waitFor();
    expect((await card.innerText()).includes('Harbor Logistics'), 'the offer is from the warehouse');
    await card.locator(`[data-testid="entry-/00/306141410000000051"] ${T('toggle-contents')}`).click();
    const lost = card.locator('[data-testid="entry-/01/00614141025015/21/E261000207"]');
    await lost.locator(T('mark-missing')).click();
    await shot('receive');
    await card.locator(T('accept-button')).click();
    const notice = await page.locator(T('notice-banner')).innerText();
    expect(notice.includes('Queued'), notice);
    await nav(page, 'node');
    const row = entry('pending').filter({ hasText: 'Received' });
    await row.waitFor();
    expect((await row.innerText()).includes('E261000207'), await row.innerText());
    // Batch Receive works without an inbox too: the offers the scanned codes travel in
    // (a code that is not on the chain does not stop it).
    await nav(page, 'scan');
    await page.locator(T('batch-toggle')).check();
    await scan(page, '(00)306141410000000051');
    await scan(page, '(01)00614141025015(21)E999999999');
    await page.locator(T('batch-receive')).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="notice-banner"]')?.textContent.includes('(1)')
      || document.querySelector('[data-testid="error-banner"]'));
    expect(await page.locator(T('error-banner')).count() === 0, await page.locator(T('error-banner')).innerText().catch(() => ''));
    const received = await page.locator(T('notice-banner')).innerText();
    expect(received.includes('Queued') && received.includes('(1)'), received);
    await page.locator(T('batch-toggle')).uncheck();
    await nav(page, 'node');
    // The sender of the offer is not asked to accept it.
    await page.locator(T('identity-select')).selectOption('Harbor Logistics');
    await page.waitForFunction(() => document.querySelector('[data-testid="node-org"]')?.textContent === 'Harbor Logistics');
    await nav(page, 'scan');
    await scan(page, '(01)00614141025015(21)E261000206');
    await page.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('E261000206'));
    expect(await page.locator(`${T('scan-result')} ${T('handoff-incoming')}`).count() === 0, 'the sender is offered nothing to accept');
  });

  await check(`${vp.name} light: nothing overflows the screen`, async () => {
    await nav(page, 'node');
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(over <= 0, `page is ${over}px wider than the viewport`);
  });

  await check(`${vp.name} light: no script errors`, async () => {
    expect(errors.length === 0, errors.join('\n'));
  });
  await ctx.close();
}

// Joining a network: a bad genesis is refused with its code; a good one switches the
// (mock) app to light mode at once.
await check('desktop: join a network with a genesis', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  const page = await ctx.newPage();
  await page.goto(url);
  await page.locator(T('scan-input')).waitFor();
  await nav(page, 'node');
  await page.locator(T('peers-input')).fill('/ip4/127.0.0.1/tcp/4001');
  await page.locator(T('genesis-input')).fill('not a genesis');
  expect((await page.locator(T('peers-save')).innerText()).includes('join'), 'the button says join');
  await page.locator(T('peers-save')).click();
  const banner = page.locator(T('error-banner'));
  await banner.waitFor();
  expect((await banner.innerText()).includes('BAD_GENESIS'), await banner.innerText());
  await banner.getByRole('button').click();
  await page.locator(T('genesis-input')).fill('00'.repeat(64));
  await page.locator(T('peers-save')).click();
  const notice = await page.locator(T('notice-banner')).innerText();
  expect(notice.includes('light node'), notice);
  await page.waitForFunction(() => document.querySelector('[data-testid="node-mode"]')?.textContent.includes('Light node'));
  await page.locator(T('outbox-list')).waitFor();
  await ctx.close();
});

// Camera scanning: Chromium's fake camera plays a frame with a real QR label (made by
// `handoff qr encode`); the UI grabs frames and the real `handoff qr decode` reads them.
const cli = process.env.HANDOFF_CLI ?? path.resolve(here, '..', '..', 'target', 'debug', 'handoff');
await check('camera: a QR label held to the camera shows the item', async () => {
  expect(fs.existsSync(cli), `no handoff CLI at ${cli}: build it (cargo build -p handoff-cli) or set HANDOFF_CLI`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-camera-'));
  try {
    const png = path.join(tmp, 'label.png');
    execFileSync(cli, ['qr', 'encode', BAG, '-o', png]);
    // The label, centred on a 640×480 white frame, as a one-frame Y4M video.
    const [W, H] = [640, 480];
    const convert = await browser.newPage();
    const luma = Buffer.from(await convert.evaluate(async ([src, W, H]) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = W; c.height = H;
      const g = c.getContext('2d');
      g.fillStyle = '#fff'; g.fillRect(0, 0, W, H);
      g.imageSmoothingEnabled = false;
      g.drawImage(img, (W - 360) / 2, (H - 360) / 2, 360, 360);
      const px = g.getImageData(0, 0, W, H).data;
      let out = '';
      for (let i = 0; i < px.length; i += 4) out += String.fromCharCode(Math.round(0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2]));
      return btoa(out);
    }, [`data:image/png;base64,${fs.readFileSync(png).toString('base64')}`, W, H]), 'base64');
    await convert.close();
    const chroma = Buffer.alloc((W / 2) * (H / 2), 128);
    const y4m = path.join(tmp, 'camera.y4m');
    fs.writeFileSync(y4m, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\nFRAME\n`), luma, chroma, chroma]));

    const cam = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`],
    });
    try {
      const ctx = await cam.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
      await ctx.grantPermissions(['camera']);
      const page = await ctx.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      let frames = 0;
      await page.exposeFunction('handoffDecodeImage', async (b64) => {
        frames++;
        const jpg = path.join(tmp, `frame-${frames}.jpg`);
        fs.writeFileSync(jpg, Buffer.from(b64, 'base64'));
        try {
          return execFileSync(cli, ['qr', 'decode', jpg, '--json']).toString();
        } catch (e) {
          return e.stdout?.toString() || JSON.stringify({ error: { code: 'QR_DECODE', message: String(e) } });
        }
      });
      await page.goto(url);
      await page.locator(T('camera-button')).click();
      const card = page.locator(T('item-card'));
      await card.waitFor({ timeout: 20000 });
      const text = await card.innerText();
      expect(text.includes('Northside Espresso Roast 250 g'), text);
      expect(frames >= 1, 'no frame was decoded');
      // One item read: the camera turns itself off.
      await page.locator(`${T('camera-view')}.hidden`).waitFor({ state: 'attached', timeout: 5000 });
      expect((await page.locator(T('camera-button')).innerText()).includes('Scan with camera'), 'button back to start');
      // Batch mode: the camera stays on and the label held in view counts once.
      await page.locator(T('batch-toggle')).check();
      await page.locator(T('camera-button')).click();
      await page.waitForFunction((sel) => document.querySelector(sel)?.innerText.trim() === '1', T('batch-count'), { timeout: 20000 });
      const seen = frames;
      await page.waitForTimeout(1500);
      expect(frames > seen, 'the camera kept reading in batch mode');
      expect((await page.locator(T('batch-count')).innerText()).trim() === '1', 'the same label counted once');
      await page.screenshot({ path: path.join(artifacts, 'phone-camera.png') });
      await page.locator(T('camera-button')).click();
      await page.locator(`${T('camera-view')}.hidden`).waitFor({ state: 'attached', timeout: 5000 });
      expect(errors.length === 0, errors.join('\n'));
    } finally {
      await cam.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

await browser.close();
server.close();
console.log(failures ? `${failures} failed` : 'all UI checks passed');
process.exit(failures ? 1 : 0);
