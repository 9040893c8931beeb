// Browser test of the staff app as an installable phone web app, against a real node on
// the demo chain (`handoff demo`, `handoff node run --http … --ui ui/dist`; nodes.mjs):
// the warehouse's desktop page makes a pairing code; a phone (Chromium at 390×844 with
// touch, a persistent profile as an installed app has) opens its link, makes a device key
// in the page and is authorized on chain; the app is installable (no installability
// errors, an active service worker); offline, a reload still opens the app from the
// worker, a scanned pallet is signed on the phone and waits in its queue; back online it is
// sent and committed (seen on the node through the API), and a second handoff of the same
// pallet is refused with the ledger's code. English and Chinese screenshots go to
// ui/tests/artifacts/pwa-*.png. Run after `cargo xtask ui`:
//   HANDOFF_CLI=target/debug/handoff node ui/tests/pwa.mjs
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { artifacts, fullNodeOnDemoChain, api, until, killAll } from './nodes.mjs';

const WAREHOUSE = 'Harbor Logistics';
const GROCER = 'Corner Grocer';
const PALLET = '(00)306141410000000068'; // a pallet of 50 bags in stock at the warehouse
const PALLET_KEY = '/00/306141410000000068';
const T = (id) => `[data-testid="${id}"]`;
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n     ${String(e?.stack ?? e).split('\n').slice(0, 8).join('\n     ')}`);
  }
}
function expect(cond, msg) { if (!cond) throw new Error(msg); }
// What a phone's screen shows (the tab bar stays at the bottom of the screen), scrolled
// to `at` when given.
async function shot(page, name, at) {
  if (at) await page.locator(T(at)).scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(artifacts, `pwa-${name}.png`) });
}
const entries = (page) => page.$$eval(T('phone-entry'), (es) => es.map((e) => ({
  seq: e.dataset.seq, status: e.dataset.status, tx: e.dataset.tx, text: e.innerText,
})));

const node = await fullNodeOnDemoChain([WAREHOUSE, GROCER]);
const desktop = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: chromiumArgs });
// The phone: a persistent profile (an incognito one is never installable).
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-pwa-'));
const phone = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: chromiumArgs,
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'en-US',
});
const errors = [];
try {
  let link;
  await check('desktop: the warehouse makes a one-time pairing code, shown as a QR code of a link to this node', async () => {
    const ctx = await desktop.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await ctx.newPage();
    await page.goto(`${node.base}/#token=${node.tokens[WAREHOUSE]}`);
    await page.locator(T('nav-node')).click();
    const base = await page.locator(T('pair-base')).inputValue();
    expect(base === node.base, `the address is prefilled with the node's: ${base}`);
    // Loopback is this computer's own address: the panel says a phone cannot reach it.
    expect((await page.locator(T('pair-loopback')).innerText()).includes('cannot reach'), 'a loopback warning');
    await page.locator(T('pair-make')).click();
    const ticket = page.locator(T('pair-ticket'));
    await ticket.waitFor();
    link = await ticket.getAttribute('data-url');
    expect(link?.startsWith(`${node.base}/#pair=`), `a link to the node: ${link}`);
    expect(await ticket.locator('svg').count() === 1, 'a QR code');
    await shot(page, 'desktop-pairing', 'pair-ticket');
    await ctx.close();
  });

  const page = phone.pages()[0] ?? await phone.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  let device;
  await check('phone: opening the pairing link makes a device key in the browser and the node authorizes it for the org', async () => {
    await page.goto(link);
    await page.locator(T('phone-card')).waitFor({ timeout: 30000 });
    await page.locator(T('notice-banner')).waitFor();
    const notice = await page.locator(T('notice-banner')).innerText();
    expect(notice.includes('paired') && notice.includes(WAREHOUSE), notice);
    expect(!(await page.evaluate(() => location.href)).includes('pair='), 'the ticket leaves the address bar');
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('handoff.phone')));
    device = stored.device;
    expect(/^[0-9a-f]{64}$/.test(device), `a device key: ${device}`);
    const standing = await api(node.base, `/v1/signers/${device}/nonce`);
    const orgs = await api(node.base, '/v1/orgs', { token: node.tokens[WAREHOUSE] });
    const warehouse = orgs.orgs.find((o) => o.name === WAREHOUSE);
    expect(standing.standing === 'device' && standing.org === warehouse.key && standing.next_nonce === 0,
      `authorized on chain for the warehouse: ${JSON.stringify(standing)}`);
    expect((await page.locator(T('phone-signs-for')).innerText()).includes(WAREHOUSE), 'says whom it signs for');
  });

  await check('phone: a second phone with the same link is refused: the code works once', async () => {
    const other = await desktop.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'en-US' });
    const p = await other.newPage();
    await p.goto(link);
    const banner = p.locator(T('error-banner'));
    await banner.waitFor({ timeout: 30000 });
    const text = await banner.innerText();
    expect(text.includes('PAIR_TICKET_USED') && text.includes('already paired a phone'), text);
    expect(await p.locator(T('phone-card')).count() === 0, 'not paired');
    await other.close();
  });

  await check('phone: the app is installable (manifest, icons, an active service worker)', async () => {
    await page.evaluate(() => navigator.serviceWorker.ready.then((r) => !!r.active));
    await until('the worker to control the page', 15000, () => page.evaluate(() => !!navigator.serviceWorker.controller));
    const cdp = await phone.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors.length === 0, `installability errors: ${JSON.stringify(installabilityErrors)}`);
    const { url, errors: manifestErrors, data } = await cdp.send('Page.getAppManifest');
    expect(url.endsWith('/manifest.webmanifest') && manifestErrors.length === 0, `manifest ${url}: ${JSON.stringify(manifestErrors)}`);
    const m = JSON.parse(data);
    expect(m.display === 'standalone' && m.start_url === '/' && m.icons.some((i) => i.sizes === '512x512'), data);
    // The worker and the manifest are never served from a stale HTTP cache.
    const sw = await fetch(`${node.base}/sw.js`);
    expect(sw.headers.get('cache-control') === 'no-cache' && sw.headers.get('content-type').startsWith('text/javascript'),
      `sw.js: ${sw.headers.get('cache-control')} ${sw.headers.get('content-type')}`);
    const mf = await fetch(`${node.base}/manifest.webmanifest`);
    expect(mf.headers.get('content-type') === 'application/manifest+json', mf.headers.get('content-type'));
    // Icons of the sizes the manifest says.
    for (const icon of m.icons) {
      const size = await page.evaluate(async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        return `${img.naturalWidth}x${img.naturalHeight}`;
      }, icon.src);
      expect(size === icon.sizes, `${icon.src} is ${size}, not ${icon.sizes}`);
    }
    await cdp.detach();
  });

  await check('phone: offline, a reload opens the app from the worker, and a scanned pallet is signed here and waits', async () => {
    await phone.setOffline(true);
    await page.reload();
    await page.locator(T('scan-input')).waitFor({ timeout: 20000 });
    await page.locator(T('phone-card')).waitFor();
    expect((await page.locator(T('phone-online')).innerText()).includes('Offline'), 'says it is offline');
    await page.locator(T('scan-input')).focus();
    await page.keyboard.type(PALLET);
    await page.keyboard.press('Enter');
    await until('the pallet listed to hand off', 5000, async () => (await page.locator(T('phone-codes')).innerText()).includes('306141410000000068'));
    await page.locator(T('phone-to')).selectOption({ label: GROCER });
    await page.locator(T('phone-propose')).tap();
    const notice = await page.locator(T('notice-banner')).innerText();
    expect(notice.includes('waiting to send'), notice);
    await page.waitForTimeout(1500);
    const [e] = await entries(page);
    expect(e?.status === 'waiting' && e.text.includes('Waiting to send') && e.text.includes(GROCER), JSON.stringify(e));
    expect((await page.locator(T('phone-waiting')).innerText()).includes('1'), 'one waiting');
    await shot(page, 'phone-offline-card', 'phone-card');
    await shot(page, 'phone-offline-queued', 'phone-queue');
    // Still waiting after the reload: the queue is kept in the browser.
    await page.reload();
    await page.locator(T('phone-queue')).waitFor({ timeout: 20000 });
    expect((await entries(page))[0]?.status === 'waiting', 'kept across a reload');
  });

  let committedTx;
  await check('phone: back online, the queued handoff is sent and committed, and the node has it', async () => {
    await phone.setOffline(false);
    await until('the entry to commit', 30000, async () => (await entries(page))[0]?.status === 'committed');
    const [e] = await entries(page);
    expect(/Committed · block \d+/.test(e.text), e.text);
    committedTx = e.tx;
    const inbox = await api(node.base, '/v1/handoffs/inbox', { token: node.tokens[GROCER] });
    const h = inbox.incoming.find((x) => x.id === committedTx);
    expect(h, `the grocer's inbox holds the phone's handoff ${committedTx}: ${JSON.stringify(inbox.incoming.map((x) => x.id))}`);
    const item = await api(node.base, `/v1/items/${encodeURIComponent(PALLET_KEY)}`);
    expect(JSON.stringify(item).includes(committedTx), `the pallet is in that handoff: ${JSON.stringify(item).slice(0, 400)}`);
    const standing = await api(node.base, `/v1/signers/${device}/nonce`);
    expect(standing.next_nonce === 1, `the device used one nonce: ${JSON.stringify(standing)}`);
    await shot(page, 'phone-committed', 'phone-queue');
  });

  await check('phone: a second handoff of the same pallet is refused with the ledger\'s code, shown on its entry', async () => {
    await page.locator(T('phone-code-input')).fill(PALLET);
    await page.locator(T('phone-code-add')).tap();
    await page.locator(T('phone-to')).selectOption({ label: GROCER });
    await page.locator(T('phone-propose')).tap();
    await until('the second entry to be refused', 30000, async () => (await entries(page))[0]?.status === 'rejected');
    const [e] = await entries(page);
    const why = await page.locator(T('phone-entry-why')).first().innerText();
    expect(/[A-Z_]{6,}/.test(why), `a code: ${why}`);
    console.log(`     refused with: ${why}`);
    expect((await entries(page))[1]?.status === 'committed', 'the first stays committed');
    expect(e.seq === '2', JSON.stringify(e));
  });

  await check('phone: the phone screen in Chinese', async () => {
    await page.locator(T('nav-more')).tap();
    await page.locator(T('nav-node')).tap();
    await page.locator(T('lang-zh')).tap();
    await page.locator(T('nav-scan')).tap();
    await page.locator(T('phone-card')).waitFor();
    const text = await page.locator(T('phone-card')).innerText();
    expect(text.includes('本机') && text.includes('交接给'), text);
    const q = await page.locator(T('phone-queue')).innerText();
    expect(q.includes('已上链') && q.includes('被拒绝'), q);
    await shot(page, 'phone-zh', 'phone-card');
    await shot(page, 'phone-zh-queue', 'phone-queue');
    // Offline in Chinese too.
    await phone.setOffline(true);
    await page.reload();
    await page.locator(T('phone-card')).waitFor({ timeout: 20000 });
    expect((await page.locator(T('phone-offline-note')).innerText()).includes('离线'), 'offline note in Chinese');
    await shot(page, 'phone-zh-offline', 'phone-card');
    await phone.setOffline(false);
  });

  await check('phone: no script errors', async () => {
    expect(errors.length === 0, errors.join('\n'));
  });
} finally {
  await phone.close();
  await desktop.close();
  await node.stop();
  fs.rmSync(profile, { recursive: true, force: true });
  killAll();
}
console.log(failures ? `${failures} failed` : 'all phone web app checks passed');
process.exit(failures ? 1 : 0);
