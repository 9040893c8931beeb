// Browser tests of the Handoff UI against a real node: `handoff demo` seeds a chain in a
// temporary folder, `handoff node run --http … --ui ui/dist` serves the built UI and the
// typed API, and Debian's Chromium drives the UI it serves at desktop size (1280×800) and
// phone size (390×844), in English and Chinese, signed in with a token per organization
// (`handoff node token NAME`). The same screens run on a light node too: `handoff light
// run --http … --ui …` joined to the demo chain's full node, signed in as the warehouse
// (reads proven, actions queued then committed, `LIGHT_NODE` for what needs a full
// node). Run from the repository root or ui/tests:
//   HANDOFF_CLI=target/debug/handoff node ui/tests/run.mjs
// Screenshots of every screen go to ui/tests/artifacts/. Every node started is killed at
// the end, whatever failed.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';

import { here, root, dist, artifacts, cli, handoff, spawnReady, fullNodeOnDemoChain, api, until, killAll } from './nodes.mjs';

// The light node under test: the demo chain's full node (its validator, nodes.mjs), and a
// light node joined to it — `handoff light init` with the demo's genesis and the
// identity of `org` from the full node's folder, then `handoff light run --http … --ui …
// --peer <the full node>` — serving the UI. `base` and `tokens` are the light node's
// (from its `light.json`); `full` is the full node, to check what the validators
// committed. Answers once the light node follows the chain (a peer and a certified header).
async function lightNodeOnDemoChain(org) {
  const full = await fullNodeOnDemoChain([org, GROCER]);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-ui-light-'));
  let proc;
  try {
    handoff(data, '--as', org, 'light', 'init', '--genesis', full.genesis, '--org-key-from', full.data);
    const peers = full.listen.flatMap((a) => ['--peer', a]);
    proc = await spawnReady(['--data', data, 'light', 'run', '--no-mdns', '--http', '127.0.0.1:0', '--ui', dist, ...peers],
      path.join(data, 'light.log'), 'the light node');
    const file = JSON.parse(fs.readFileSync(path.join(data, 'light.json')));
    const base = `http://${file.http}`;
    const height = (await api(full.base, '/v1/status')).height;
    await until('the light node to follow the full node', 60000, async () => {
      const st = await api(base, '/v1/status');
      // Its own index too: every block to the full node's height looked at.
      return st.peers > 0 && st.height >= height && st.index && st.index.height >= height;
    });
    return {
      base,
      tokens: file.tokens,
      full,
      async stop() {
        await proc.stop();
        fs.rmSync(data, { recursive: true, force: true });
        await full.stop();
      },
    };
  } catch (e) {
    if (proc) await proc.stop();
    fs.rmSync(data, { recursive: true, force: true });
    await full.stop();
    throw e;
  }
}

// ---------------------------------------------------------------- the browser

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
  // Home opens first: go to the Scan screen when another screen is shown.
  if (!(await page.locator(T('scan-input')).count())) await nav(page, 'scan');
  await page.locator(T('scan-input')).focus();
  await page.keyboard.type(code); // a keyboard-wedge scanner types the code…
  await page.keyboard.press('Enter'); // …and ends with Enter
}
// On a phone, screens other than Home, Scan, Inbox and Stock are under "More".
async function nav(page, id) {
  const item = page.locator(T(`nav-${id}`));
  // On a wide screen every item is in the side bar (the Lender item appears once the
  // node has said the org is a lender): wait for it there.
  if (!(await item.isVisible()) && await page.locator(T('nav-more')).isVisible()) await page.locator(T('nav-more')).click();
  await item.click();
}
// A number as the page shows it (grouped by the locale: 1,234).
const num = (s) => Number(String(s).replace(/[^0-9-]/g, ''));
// Waits until the notice says `text` (a notice of an earlier action may still be up) or
// an error is shown, and returns what the notice says.
async function noticeSaying(page, text) {
  await page.waitForFunction((t) => document.querySelector('[data-testid="notice-banner"]')?.textContent.includes(t)
    || document.querySelector('[data-testid="error-banner"]'), text);
  const err = page.locator(T('error-banner'));
  if (await err.count()) throw new Error(`an error instead of "${text}": ${await err.innerText()}`);
  return page.locator(T('notice-banner')).innerText();
}
async function dismiss(page, id) {
  const b = page.locator(T(id));
  if (await b.count()) await b.getByRole('button').click();
}

const BAG = '(01)00614141025015(21)E261000022'; // at the grocer, genuine
const LOOSE_A = '(01)00614141025015(21)E261000260'; // loose bags at the warehouse
const LOOSE_B = 'https://id.gs1.org/01/00614141025015/21/E261000261';
const LOOSE_C = '(01)00614141025015(21)E261000262';
const LOOSE_D = '(01)00614141025015(21)E261000263';
const LOOSE_E = '(01)00614141025015(21)E261000264';
const WAREHOUSE = 'Harbor Logistics';
const GROCER = 'Corner Grocer';
// The Lender screen on the demo bank's light node: its portfolio and an asset's evidence
// from its own index and proven reads, the full node's answer for the bank (but for the
// refused move, whose block names only the org that tried it, so a lender's light node
// never fetches it), and where each was read.
async function lightLenderChecks(vp, node) {
  const { ctx, page, errors, shot } = await openPage(vp, signIn(node, BANK));
  const light = (n) => shot(`light-${n}`);
  const full = await api(node.full.base, '/v1/finance/portfolio', { token: node.full.tokens[BANK] });
  const mine = await api(node.base, '/v1/finance/portfolio', { token: node.tokens[BANK] });
  const receipt = full.rows.find((r) => r.kind === 'receipt');
  const funded = full.rows.find((r) => r.kind === 'receivable' && r.status === 'funded');
  await check(`${vp.name} light: the lender's dashboard from its light node is the full node's, saying where it was read`, async () => {
    expect(JSON.stringify(mine.rows.map((r) => ({ ...r, alerts: 0 }))) === JSON.stringify(full.rows.map((r) => ({ ...r, alerts: 0 }))),
      `light rows ${JSON.stringify(mine.rows)}; full ${JSON.stringify(full.rows)}`);
    expect(JSON.stringify(mine.ageing) === JSON.stringify(full.ageing) && JSON.stringify(mine.exposure) === JSON.stringify(full.exposure), 'ageing and exposure');
    const kinds = (p) => p.alerts.map((a) => `${a.asset} ${a.kind} ${a.subject}`).filter((k) => !k.includes('move_refused')).sort();
    expect(JSON.stringify(kinds(mine)) === JSON.stringify(kinds(full)), `light ${kinds(mine)}; full ${kinds(full)}`);
    expect(mine.light && mine.light.peers > 0 && mine.proven_at > 0, JSON.stringify(mine.light));
    await page.waitForFunction((n) => document.querySelector('[data-testid="whoami"]')?.textContent === n, BANK);
    await nav(page, 'lender');
    await page.locator(T('lender-screen')).waitFor();
    await page.locator(T('lender-row')).first().waitFor();
    expect(await page.locator(T('lender-row')).count() === full.rows.length, 'one row per asset');
    const alerts = await page.locator(T('lender-alerts')).innerText();
    for (const said of ['Overdue', 'Collateral recalled']) {
      expect(alerts.includes(said), `"${said}" in the alerts: ${alerts}`);
    }
    await page.locator(`${T('lender-screen')} ${T('index-freshness')}`).waitFor();
    const at = await page.locator(`${T('lender-screen')} ${T('fin-proven-at')}`).innerText();
    expect(at.includes('verified against block'), at);
    await light('lender-dashboard');
  });
  await check(`${vp.name} light: a pledged pallet's evidence on the lender's light node names the recall of the lot on it`, async () => {
    await page.locator(`${T('lender-row')}[data-id="${receipt.id}"]`).click();
    await page.locator(T('fin-evidence')).waitFor();
    const detail = await page.locator(T('fin-detail-alerts')).innerText();
    expect(detail.includes('Collateral recalled') && detail.includes('/00/'), detail);
    await page.locator(`${T('fin-evidence')} ${T('fin-proven-at')}`).waitFor();
    await light('lender-evidence');
    await nav(page, 'lender');
    await page.locator(`${T('lender-row')}[data-id="${funded.id}"]`).click();
    await page.locator(T('fin-evidence')).waitFor();
    expect(await page.locator(T('ev-line')).count() > 0, 'evidence lines');
    expect(await page.locator(T('fin-evidence')).getAttribute('data-matched') === 'true', 'every line matched');
    await light('lender-invoice');
    expect(errors.length === 0, errors.join('\n'));
  });
  await ctx.close();
}

const AUDITOR = 'Organic Audit'; // admitted for these tests, beside the demo's own auditor
const DEMO_AUDITOR = 'Verde Certification'; // certified the demo's espresso EU organic
const ROASTER = 'Northside Roasters'; // brand owner of the espresso (GTIN 00614141025015)
const BANK = 'Harbor Bank'; // the demo's lender: a pledged pallet, a funded and an overdue invoice

// `UI_ONLY=desktop` (or `phone`: both nodes at one size; `full`, `light`: one node at
// both sizes; `invite`, `camera`) runs one part, when working on it.
const only = process.env.UI_ONLY;
const VIEWPORTS = [{ name: 'desktop', width: 1280, height: 800 }, { name: 'phone', width: 390, height: 844 }]
  .filter((v) => !only || only === v.name || only === 'full' || only === 'light');
const RUN_FULL = !only || only !== 'light';
const RUN_LIGHT = !only || only !== 'full';

// A fresh browser context (its own session storage) at viewport `vp` on `address`,
// collecting script errors; `shot(n)` saves `<viewport>-<n>.png` in the artifacts folder.
async function openPage(vp, address) {
  const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height }, locale: 'en-US' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // A refused request (401 of a page that is not signed in) is an answer the UI shows,
  // not a script error.
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) errors.push(m.text()); });
  await page.goto(address);
  // Home opens first for an org (signed in); a visitor's page opens on Scan.
  await page.locator(`${T('home-screen')}, ${T('scan-input')}`).first().waitFor();
  const shot = (n) => page.screenshot({ path: path.join(artifacts, `${vp.name}-${n}.png`), fullPage: true });
  return { ctx, page, errors, shot };
}
const signIn = (node, name) => `${node.base}/#token=${node.tokens[name]}`;

// Home's numbers against the node's stock answer for `org` (`GET /v1/stock`, the typed
// answer `handoff stock --json` prints): items held, products, lines expiring within 30
// days (expired included), arrivals, shipments in transit, and exceptions (lines flagged
// missing or damaged, plus offers of the org's latest 20 that were refused).
async function homeMatchesStock(page, node, org) {
  const token = node.tokens[org];
  const stock = await api(node.base, '/v1/stock', { token });
  const lines = stock.products.flatMap((p) => p.lines);
  const activity = await api(node.base, '/v1/activity?limit=50', { token });
  let refused = 0;
  for (const r of activity.events.filter((e) => e.type === 'handoff_proposed' && !e.rejected).slice(0, 20)) {
    if ((await api(node.base, `/v1/handoffs/${r.tx}`, { token })).handoff.status === 'rejected') refused++;
  }
  const want = {
    'home-items': stock.totals.items,
    'home-expiring': lines.filter((l) => l.expires_in_days !== undefined && l.expires_in_days <= 30).length,
    'home-arrivals': stock.arrivals.reduce((n, a) => n + a.handoffs.length, 0),
    'home-transit': stock.in_transit.length,
    'home-exceptions': lines.filter((l) => l.status === 'missing' || l.status === 'damaged').length + refused,
  };
  await page.locator(T('tile-stock')).waitFor();
  for (const [id, n] of Object.entries(want)) {
    await until(`${id} = ${n}`, 10000, async () => num(await page.locator(T(id)).innerText()) === n);
  }
  expect((await page.locator(T('home-stock-sub')).innerText()).includes(`${stock.totals.products} products`), 'products');
  const shown = await page.locator(T('home-product')).evaluateAll((els) => els.map((e) => e.dataset.gtin));
  expect(JSON.stringify(shown) === JSON.stringify(stock.products.slice(0, 6).map((p) => p.gtin)), `products shown: ${shown}`);
  return stock;
}

async function fullNodeChecks(vp, node) {
  const { ctx, page, errors, shot } = await openPage(vp, signIn(node, WAREHOUSE));

  await check(`${vp.name}: the sign-in link's token leaves the address bar and signs in, on Home`, async () => {
    expect(!page.url().includes('token'), page.url());
    await page.locator(T('home-screen')).waitFor();
    const focused = await page.evaluate(() => document.activeElement?.dataset?.testid);
    expect(focused === 'home-search', `focused: ${focused}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="whoami"]')?.textContent === 'Harbor Logistics');
  });

  await check(`${vp.name}: Home's numbers are the node's stock answer (handoff stock --json)`, async () => {
    await homeMatchesStock(page, node, WAREHOUSE);
    // The warehouse's shipment to the grocer (the demo's last pallet) is in transit.
    const transit = await page.locator(T('home-shipment')).allInnerTexts();
    expect(transit.some((t) => t.includes(GROCER) && t.includes('Northside Espresso Roast 250 g')), transit.join(' | '));
    await shot('home');
  });

  await check(`${vp.name}: Stock lists what the warehouse holds by product, filters by status and downloads as CSV`, async () => {
    const stock = await api(node.base, '/v1/stock', { token: node.tokens[WAREHOUSE] });
    await nav(page, 'stock');
    await page.locator(T('stock-totals')).waitFor();
    await until('the stock lines', 10000, async () => (await page.locator(T('stock-line')).count()) === stock.totals.lines);
    const totals = page.locator(T('stock-totals'));
    expect(Number(await totals.getAttribute('data-items')) === stock.totals.items, `items ${await totals.getAttribute('data-items')} vs ${stock.totals.items}`);
    expect(Number(await totals.getAttribute('data-lots')) === stock.totals.lot_quantity, 'lot quantity');
    for (const p of stock.products) {
      const card = page.locator(`${T('stock-product-card')}[data-gtin="${p.gtin}"]`);
      expect((await card.innerText()).includes(p.name), p.name);
      expect(Number(await card.getAttribute('data-items')) === p.items, `${p.name}: ${await card.getAttribute('data-items')} vs ${p.items}`);
    }
    // The first-expiry-first box is a box beside its words, not stretched across the row.
    const box = await page.locator(T('stock-fefo')).boundingBox();
    expect(box && box.width <= 30, `the checkbox is ${box && box.width} px wide`);
    await shot('stock');
    // Only what is recalled (the demo's filter-roast lot): the node's own filter.
    const recalled = await api(node.base, '/v1/stock?status=recalled', { token: node.tokens[WAREHOUSE] });
    await page.locator(T('stock-status')).selectOption('recalled');
    await until('the recalled lines', 10000, async () => (await page.locator(T('stock-line')).count()) === recalled.totals.lines);
    expect(recalled.totals.lines > 0, 'the demo holds a recalled lot');
    expect((await page.locator(`${T('stock-line')}:not([data-status="recalled"])`).count()) === 0, 'only recalled lines');
    // The CSV holds the lines shown, one a row.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(T('stock-csv')).click()]);
    expect(/^handoff-stock-.*\.csv$/.test(download.suggestedFilename()), download.suggestedFilename());
    const rows = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
    expect(rows[0].startsWith('gtin,product,kind,lot,expiry'), rows[0]);
    expect(rows.length === recalled.totals.lines + 1 && rows.slice(1).every((r) => r.includes(',recalled,')), rows.join('\n'));
    await page.locator(T('stock-clear')).click();
  });

  await check(`${vp.name}: a scanned code shows its product, journey and verified record`, async () => {
    await scan(page, BAG);
    const card = page.locator(T('item-card'));
    await card.waitFor();
    const text = await card.innerText();
    expect(text.includes('Northside Espresso Roast 250 g'), text);
    expect(text.includes(GROCER), text);
    expect((await page.locator(T('verdict')).innerText()).includes('Genuine'), 'verdict');
    await shot('scan');
    await page.locator(T('open-timeline')).click();
    await page.locator(T('timeline')).waitFor();
    const n = await page.locator(T('timeline-event')).count();
    expect(n >= 5, `timeline events: ${n}`);
    const firstType = await page.locator(T('timeline-event')).first().getAttribute('data-type');
    expect(firstType === 'commission', `first event: ${firstType}`);
    const v = await page.locator(T('verified-at')).innerText();
    expect(v.includes('Verified against block'), v);
    await shot('item');
  });

  await check(`${vp.name}: a malformed scan shows the stable error naming the problem`, async () => {
    await nav(page, 'scan');
    await scan(page, '(01)00614141025016(21)X');
    const banner = page.locator(T('error-banner'));
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text.includes('check digit'), text);
    expect(text.includes('SCAN_BAD_CHECK_DIGIT'), text);
    await shot('bad-scan');
    await dismiss(page, 'error-banner');
  });

  await check(`${vp.name}: shipping an item you do not hold is refused with its rule`, async () => {
    await scan(page, BAG);
    await page.locator(T('item-card')).waitFor();
    await page.locator(`${T('ship-to')} option[value="Northside Roasters"]`).waitFor({ state: 'attached' });
    await page.locator(T('ship-to')).selectOption('Northside Roasters');
    await page.locator(T('ship-button')).click();
    const banner = page.locator(T('error-banner'));
    await banner.waitFor();
    expect((await banner.innerText()).includes('NOT_CUSTODIAN'), await banner.innerText());
    await dismiss(page, 'error-banner');
  });

  await check(`${vp.name}: the warehouse unpacks a pallet, and its bags are loose`, async () => {
    // The real ledger refuses to ship a bag that is packed (ITEM_PACKED): the pallet of
    // the demo's loose bags is unpacked first, as staff would.
    await nav(page, 'pack');
    await page.locator(T('pack-container')).fill('(00)306141410000000068');
    await page.locator(T('unpack-button')).click();
    await noticeSaying(page, 'Unpacked');
    await nav(page, 'scan');
    await scan(page, LOOSE_A);
    await page.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('E261000260'));
    const text = await page.locator(T('item-card')).innerText();
    expect(!text.includes('306141410000000068'), text);
  });

  await check(`${vp.name}: batch mode counts scans and flags a duplicate and a bad code`, async () => {
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

  await check(`${vp.name}: a notice keeps being said in the language on screen`, async () => {
    await page.locator(T('ship-to')).selectOption(GROCER);
    await page.locator(T('ship-button')).click();
    const notice = page.locator(T('notice-banner'));
    const en = await noticeSaying(page, 'Shipped');
    expect(en.includes('Shipped; waiting for the recipient to accept') && en.includes('block'), en);
    await page.locator(T('batch-toggle')).uncheck();
    await nav(page, 'node');
    await page.locator(T('lang-zh')).click();
    const zh = await notice.innerText();
    expect(zh.includes('已发货，等待对方接收') && zh.includes('区块') && !zh.includes('Shipped'), zh);
    await shot('notice-zh');
    await page.locator(T('lang-en')).click();
    expect((await notice.innerText()).includes('Shipped'), 'back in English');
  });

  await check(`${vp.name}: the Node screen shows the link's organization and what a browser leaves to the app`, async () => {
    expect((await page.locator(T('node-org')).innerText()) === WAREHOUSE, 'org');
    expect((await page.locator(T('node-mode')).innerText()).includes('over HTTP'), 'mode');
    expect(await page.locator(T('identity-select')).count() === 0, 'no identity switch in a browser');
    expect((await page.locator(T('browser-identity-note')).innerText()).includes('handoff node token'), 'how to act as another');
    expect((await page.locator(T('app-only-note')).innerText()).includes('Handoff app'), 'why no network settings');
    expect(!(await page.locator(T('pair-show')).isVisible()) && !(await page.locator(T('backup-button')).isVisible()), 'no app-only buttons');
    await shot('node');
  });

  await check(`${vp.name}: products and their picture, labels and pack screens render`, async () => {
    await nav(page, 'products');
    await page.locator(T('product-gtin')).fill('00614141025015');
    await page.locator(T('product-lookup')).click();
    await page.locator(T('product-card')).waitFor();
    await page.locator(T('product-picture')).waitFor();
    const src = await page.locator(T('product-picture')).getAttribute('src');
    expect(src.startsWith('data:image/svg+xml;base64,'), src.slice(0, 40));
    await page.locator(T('label-code')).fill(BAG);
    await page.locator(T('label-make')).click();
    await page.locator(T('label-preview')).waitFor();
    await shot('products');
    await nav(page, 'pack');
    await page.locator(T('pack-container')).waitFor();
    await shot('pack');
  });

  // The other organization, in a tab of its own, signed in with its own link.
  const grocer = await openPage(vp, signIn(node, GROCER));
  await check(`${vp.name}: the grocer's Home shows the pallet arriving, its stock by product, and codes to try`, async () => {
    const p = grocer.page;
    await p.waitForFunction(() => document.querySelector('[data-testid="whoami"]')?.textContent === 'Corner Grocer');
    await homeMatchesStock(p, node, GROCER);
    const arriving = await p.locator(T('home-arrival')).allInnerTexts();
    expect(arriving.some((t) => t.includes(WAREHOUSE) && t.includes('Northside Espresso Roast 250 g')), arriving.join(' | '));
    // Codes to try are real: a bag in stock, a pallet in stock, the pallet arriving.
    const tries = await p.locator(T('home-try')).evaluateAll((els) => els.map((e) => e.dataset.code));
    expect(tries.includes('/00/306141410000000051'), `the arriving pallet: ${tries.join(', ')}`);
    const bag = tries.find((c) => c.includes('/21/'));
    expect(bag, `a bag: ${tries.join(', ')}`);
    await grocer.shot('home');
    await p.locator(`${T('home-try')}[data-code="${bag}"]`).click();
    await p.waitForFunction((k) => document.querySelector('[data-testid="item-card"]')?.dataset.key === k, bag);
    expect((await p.locator(T('item-card')).innerText()).includes(GROCER), 'the grocer holds the bag');
  });

  await check(`${vp.name}: searching a product name on Home finds it in stock; a lot and a serial too`, async () => {
    const p = grocer.page;
    const stock = await api(node.base, '/v1/stock', { token: node.tokens[GROCER] });
    const espresso = stock.products.find((x) => x.name === 'Northside Espresso Roast 250 g');
    expect(espresso, JSON.stringify(stock.products.map((x) => x.name)));
    await nav(p, 'home');
    await p.locator(T('home-search')).fill('espresso roast');
    await p.locator(T('home-search')).press('Enter');
    await p.locator(T('stock-screen')).waitFor();
    const card = p.locator(`${T('stock-product-card')}[data-gtin="${espresso.gtin}"]`);
    await card.waitFor();
    expect(Number(await card.getAttribute('data-items')) === espresso.items, `${await card.getAttribute('data-items')} vs ${espresso.items}`);
    expect((await p.locator(T('stock-product-card')).count()) === 1, 'only the espresso');
    await grocer.shot('stock-search');
    // A serial: the bag is found among the products held.
    await p.locator(T('stock-search')).fill('E261000022');
    await p.locator(T('stock-serial-hit')).first().waitFor();
    expect((await p.locator(T('stock-serial-hit')).first().innerText()).includes('E261000022'), 'the bag');
    await p.locator(T('stock-clear')).click();
    // A lot (the grocer's bags carry none; the warehouse holds the filter roast's lot):
    // every line shown is of it.
    const held = await api(node.base, '/v1/stock', { token: node.tokens[WAREHOUSE] });
    const lot = held.products.flatMap((x) => x.lines).find((l) => l.lot)?.lot;
    expect(lot, `the warehouse holds a lot: ${JSON.stringify(held.products.map((x) => x.name))}`);
    await nav(page, 'stock');
    await page.locator(T('stock-search')).fill(lot);
    await until('the lot\'s lines', 10000, async () => (await page.locator(T('stock-line')).count()) > 0
      && (await page.locator(T('stock-line')).allInnerTexts()).every((t) => t.includes(lot)));
    await page.locator(T('stock-clear')).click();
  });

  await check(`${vp.name}: the inbox names the pallet's goods, and its tally accepts with one bag missing, on the ledger`, async () => {
    const p = grocer.page;
    await nav(p, 'inbox');
    expect((await p.locator(T('inbox-count')).innerText()).trim() === '2', 'badge counts 2 incoming');
    const card = p.locator(T('handoff-incoming')).filter({ hasText: '306141410000000051' });
    await card.waitFor();
    const inbox = await api(node.base, '/v1/handoffs/inbox', { token: node.tokens[GROCER] });
    const offer = inbox.incoming.find((h) => h.entries.some((e) => e.key === '/00/306141410000000051'));
    const bags = offer.goods.filter((g) => g.kind === 'item');
    expect(bags.length === 50 && bags.every((g) => g.name === 'Northside Espresso Roast 250 g'), `goods: ${bags.length}`);
    // By product with its count, not a list of keys.
    const summary = await card.locator(T('goods-product')).first().innerText();
    expect(summary.includes('Northside Espresso Roast 250 g') && summary.includes('50'), summary);
    await card.locator(T('tally-open')).click();
    expect(num(await card.locator(T('tally-expected')).innerText()) === 50, 'expects 50 bags');
    expect(num(await card.locator(T('tally-missing')).innerText()) === 50, 'nothing counted yet');
    await card.locator(T('receive-scan')).fill('(00)306141410000000051');
    await card.locator(T('receive-scan')).press('Enter');
    await until('50 scanned', 5000, async () => num(await card.locator(T('tally-scanned')).innerText()) === 50);
    // A scan that is not in the shipment is flagged, not counted.
    await card.locator(T('receive-scan')).fill(BAG);
    await card.locator(T('receive-scan')).press('Enter');
    await until('one unexpected', 5000, async () => num(await card.locator(T('tally-unexpected')).innerText()) === 1);
    const lost = bags[7].key;
    await card.locator(`${T('tally-group')} summary`).first().click();
    await card.locator(`[data-testid="entry-${lost}"] ${T('mark-missing')}`).click();
    expect(num(await card.locator(T('tally-scanned')).innerText()) === 49, '49 scanned');
    expect(num(await card.locator(T('tally-missing')).innerText()) === 1, '1 missing');
    const accept = await card.locator(T('accept-button')).innerText();
    expect(accept.includes('49 arrived') && accept.includes('1 missing'), accept);
    await grocer.shot('tally');
    await card.locator(T('accept-button')).click();
    const notice = await noticeSaying(p, 'Received');
    expect(notice.includes('Received · block'), notice);
    // The ledger holds the exception on the handoff, and the bag stays with the sender.
    const h = (await api(node.base, `/v1/handoffs/${offer.id}`, { token: node.tokens[GROCER] })).handoff;
    expect(h.status === 'accepted' && h.missing.length === 1 && h.missing[0].key === lost && h.damaged.length === 0, JSON.stringify(h.missing));
    const item = await api(node.base, `/v1/items/${encodeURIComponent(lost)}`);
    expect(item.item.custodian.name === WAREHOUSE && item.item.exception?.kind === 'missing', JSON.stringify(item.item.exception));
  });

  await check(`${vp.name}: the sender's Home lists the missing bag to resolve`, async () => {
    await nav(page, 'home');
    await page.reload();
    await page.locator(T('home-screen')).waitFor();
    await homeMatchesStock(page, node, WAREHOUSE);
    expect(num(await page.locator(T('home-exceptions')).innerText()) >= 1, 'an exception');
    expect((await page.locator(T('home-flagged')).allInnerTexts()).some((t) => t.includes('missing')), 'the missing bag');
    await page.locator(`${T('tile-exceptions')} .tile-head`).click();
    await page.locator(`${T('stock-line')}[data-status="missing"]`).first().waitFor();
    await shot('stock-missing');
  });

  await check(`${vp.name}: the recipient counts one bag of two and accepts: the other is missing`, async () => {
    const p = grocer.page;
    await nav(p, 'inbox');
    const card = p.locator(T('handoff-incoming')).filter({ hasText: 'E261000261' });
    await card.waitFor();
    await card.locator(T('tally-open')).click();
    await card.locator(T('receive-scan')).fill(LOOSE_A);
    await card.locator(T('receive-scan')).press('Enter');
    await until('1 scanned', 5000, async () => num(await card.locator(T('tally-scanned')).innerText()) === 1);
    await card.locator(T('accept-button')).click();
    const notice = await noticeSaying(p, 'Received');
    expect(notice.includes('Received · block'), notice);
    await nav(p, 'scan');
    await scan(p, LOOSE_B);
    await p.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('E261000261'));
    const text = await p.locator(T('item-card')).innerText();
    expect(text.includes(WAREHOUSE) && text.toLowerCase().includes('missing'), text);
    await scan(p, LOOSE_A);
    await p.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('E261000260'));
    const a = await p.locator(T('item-card')).innerText();
    expect(a.includes(GROCER), a);
  });

  await check(`${vp.name}: the recipient rejects an offer, the sender withdraws one`, async () => {
    const p = grocer.page;
    // The warehouse offers a loose bag; the grocer refuses it.
    await nav(page, 'scan');
    await scan(page, LOOSE_C);
    await page.locator(T('item-card')).waitFor();
    await page.locator(T('ship-to')).selectOption(GROCER);
    await page.locator(T('ship-button')).click();
    await noticeSaying(page, 'Shipped');
    await nav(p, 'home');
    await nav(p, 'inbox');
    const offer = p.locator(T('handoff-incoming')).filter({ hasText: 'E261000262' });
    await offer.waitFor();
    await offer.locator('input.reason').fill('not ordered');
    await offer.locator(T('reject-button')).click();
    await noticeSaying(p, 'Rejected');
    await p.waitForFunction(() => !document.querySelector('[data-testid="inbox-incoming"]')?.textContent.includes('E261000262'));
    // The refusal is on the sender's Home, to resolve.
    await nav(page, 'home');
    await page.locator(T('home-refused')).first().waitFor();
    expect((await page.locator(T('home-refused')).first().innerText()).includes(GROCER), 'refused by the grocer');
    // The warehouse offers another bag, then withdraws the offer.
    await scan(page, LOOSE_D);
    await page.locator(T('item-card')).waitFor();
    await page.locator(T('ship-to')).selectOption(GROCER);
    await page.locator(T('ship-button')).click();
    await noticeSaying(page, 'Shipped');
    await nav(page, 'inbox');
    const out = page.locator(T('handoff-outgoing')).filter({ hasText: 'E261000263' });
    await out.waitFor();
    await shot('inbox');
    await out.locator(T('cancel-button')).click();
    await noticeSaying(page, 'Withdrawn');
    await page.waitForFunction(() => !document.querySelector('[data-testid="inbox-outgoing"]')?.textContent.includes('E261000263'));
  });

  await check(`${vp.name}: Home, Stock and the tally in Chinese`, async () => {
    const p = grocer.page;
    await nav(p, 'node');
    await p.locator(T('lang-zh')).click();
    await nav(p, 'home');
    await p.locator(T('tile-stock')).waitFor();
    const home = await p.locator(T('home-screen')).innerText();
    expect(home.includes('在库') && home.includes('即将过期') && home.includes('待处理'), home.slice(0, 200));
    expect((await p.locator(T('nav-home')).innerText()).includes('首页'), 'nav label');
    await grocer.shot('home-zh');
    await nav(p, 'stock');
    await p.locator(T('stock-totals')).waitFor();
    expect((await p.locator(T('stock-totals')).innerText()).includes('种产品'), 'totals in Chinese');
    await grocer.shot('stock-zh');
    // A tally in Chinese: the warehouse ships a bag, the grocer opens its count.
    await scan(page, LOOSE_E);
    await page.locator(T('item-card')).waitFor();
    await page.locator(T('ship-to')).selectOption(GROCER);
    await page.locator(T('ship-button')).click();
    await noticeSaying(page, 'Shipped');
    await nav(p, 'home');
    await nav(p, 'inbox');
    const card = p.locator(T('handoff-incoming')).filter({ hasText: 'E261000264' });
    await card.waitFor();
    await card.locator(T('tally-open')).click();
    await card.locator(T('receive-scan')).fill(LOOSE_E);
    await card.locator(T('receive-scan')).press('Enter');
    await until('1 scanned', 5000, async () => num(await card.locator(T('tally-scanned')).innerText()) === 1);
    expect((await card.locator(T('accept-button')).innerText()).includes('确认收货'), 'accept in Chinese');
    await grocer.shot('tally-zh');
    await nav(p, 'node');
    await p.locator(T('lang-en')).click();
  });

  await check(`${vp.name}: Chinese switches every navigation label and the verdict`, async () => {
    await nav(page, 'node');
    await page.locator(T('lang-zh')).click();
    expect((await page.locator(T('nav-scan')).innerText()).includes('扫描'), 'scan label');
    expect((await page.locator(T('nav-inbox')).innerText()).includes('收件箱'), 'inbox label');
    await dismiss(page, 'notice-banner');
    await shot('node-zh');
    await nav(page, 'scan');
    await scan(page, BAG);
    await page.locator(T('item-card')).waitFor();
    expect((await page.locator(T('verdict')).innerText()).includes('正品'), 'verdict in Chinese');
    await shot('scan-zh');
    await page.locator(T('open-timeline')).click();
    await page.locator(T('timeline')).waitFor();
    expect((await page.locator(T('verified-at')).innerText()).includes('已校验'), 'verified in Chinese');
    await shot('item-zh');
    // The choice and the sign-in are kept across a reload of the tab.
    await page.reload();
    await page.locator(`${T('home-screen')}, ${T('scan-input')}`).first().waitFor();
    expect((await page.locator(T('nav-scan')).innerText()).includes('扫描'), 'language kept');
    await page.waitForFunction(() => document.querySelector('[data-testid="whoami"]')?.textContent === 'Harbor Logistics');
    await nav(page, 'node');
    await page.locator(T('lang-en')).click();
  });

  await check(`${vp.name}: nothing overflows the screen`, async () => {
    for (const p of [page, grocer.page]) {
      const over = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(over <= 0, `page is ${over}px wider than the viewport`);
    }
  });

  await check(`${vp.name}: no script errors`, async () => {
    expect(errors.length === 0 && grocer.errors.length === 0, [...errors, ...grocer.errors].join('\n'));
  });
  await grocer.ctx.close();
  await ctx.close();

  // A visitor without a link: reads work, actions say how to sign in.
  const anon = await openPage(vp, `${node.base}/`);
  await check(`${vp.name}: without a token, reads work and an action asks to open the node's link`, async () => {
    const p = anon.page;
    await scan(p, BAG);
    await p.locator(T('item-card')).waitFor();
    expect((await p.locator(T('verdict')).innerText()).includes('Genuine'), 'a public read');
    await nav(p, 'products');
    await p.locator(T('product-gtin')).fill('00614141025099');
    await p.locator(T('product-name')).fill('Anything');
    await p.locator(T('product-define')).click();
    const banner = p.locator(T('error-banner'));
    await banner.waitFor();
    const en = await banner.innerText();
    expect(en.includes('open the link the Handoff node printed') && en.includes('SIGN_IN_NEEDED'), en);
    await anon.shot('sign-in');
    await nav(p, 'node');
    expect((await p.locator(T('signed-out-note')).innerText()).includes('Not signed in'), 'node screen says so');
    await p.locator(T('lang-zh')).click();
    const zh = await banner.innerText();
    expect(zh.includes('请打开 Handoff 节点启动时打印的链接'), zh);
    await anon.shot('sign-in-zh');
    expect(anon.errors.length === 0, anon.errors.join('\n'));
  });
  await anon.ctx.close();
}

// What a warehouse on a light node does and sees: the light node's page, signed in with
// its token for the warehouse. Its reads are proven against certified headers; its
// actions are queued in its outbox, sent to the full node and committed there; what needs
// a full node's index says so in words. Screenshots are `<viewport>-light-<n>.png`.
const PALLET = '(00)306141410000000068'; // the loose bags' pallet, at the warehouse
async function lightNodeChecks(vp, node) {
  const { ctx, page, errors, shot } = await openPage(vp, signIn(node, WAREHOUSE));
  const light = (n) => shot(`light-${n}`);
  // What a light node cannot answer is a 503 with `LIGHT_NODE`, which the page shows in
  // words; the browser logs each such answer, and any other 503 is a failure.
  const unavailable = [];
  page.on('response', (r) => {
    if (r.status() === 503) unavailable.push(r.json().then((j) => j.error?.code, () => 'not the error shape'));
  });
  const entry = (status) => page.locator(`${T('outbox-entry')}[data-status="${status}"]`);

  await check(`${vp.name} light: the Node screen says light node, signed in as the warehouse, nothing queued`, async () => {
    await page.waitForFunction(() => document.querySelector('[data-testid="whoami"]')?.textContent === 'Harbor Logistics');
    await nav(page, 'node');
    await page.locator(T('outbox-list')).waitFor();
    const mode = await page.locator(T('node-mode')).innerText();
    expect(mode.includes('Light node'), mode);
    expect((await page.locator(T('node-org')).innerText()) === WAREHOUSE, 'org');
    expect(Number((await page.locator(T('node-peers')).innerText()).trim()) >= 1, 'a peer');
    expect((await page.locator(T('outbox-list')).innerText()).includes('Nothing queued'), 'empty outbox');
    await light('node');
  });

  await check(`${vp.name} light: Home opens first with the warehouse's stock from its own index, saying how fresh it is`, async () => {
    await nav(page, 'home');
    const fresh = page.locator(T('index-freshness'));
    await fresh.waitFor();
    const text = await fresh.innerText();
    expect(text.includes("From this node's own verified index: as of block") && text.includes('reachable'), text);
    // The same stock the full node's index answers for the warehouse.
    const full = await api(node.full.base, '/v1/stock', { token: node.full.tokens[WAREHOUSE] });
    const items = num(await page.locator(T('home-items')).innerText());
    expect(items === full.totals.items && items > 0, `light ${items}, full ${full.totals.items}`);
    expect(await page.locator(T('home-note')).count() === 0, 'no light-node note');
    await page.locator(T('home-search')).waitFor();
    await light('home');
  });

  await check(`${vp.name} light: Stock lists what the warehouse holds, by product, from the index`, async () => {
    await page.locator(T('home-items')).click();
    await page.locator(T('stock-screen')).waitFor();
    await page.locator(`${T('stock-screen')} ${T('index-freshness')}`).waitFor();
    const text = await page.locator(T('stock-screen')).innerText();
    expect(text.includes('Northside Espresso Roast 250 g'), text.slice(0, 400));
    await light('stock');
  });

  await check(`${vp.name} light: a scan shows the record verified against a certified block`, async () => {
    await nav(page, 'scan');
    await scan(page, BAG);
    const card = page.locator(T('item-card'));
    await card.waitFor();
    const text = await card.innerText();
    expect(text.includes('Northside Espresso Roast 250 g') && text.includes(GROCER), text);
    const v = await page.locator(T('verified-at')).innerText();
    const at = Number(v.replace(/[^0-9]/g, ''));
    expect(v.includes('Verified against block') && at > 0, v);
    // The block is one the full node certified: its height is not past the full node's.
    const full = await api(node.full.base, '/v1/status');
    expect(at <= full.height, `verified at ${at}, the full node is at ${full.height}`);
    await light('scan');
  });

  await check(`${vp.name} light: a malformed scan shows its stable code`, async () => {
    await scan(page, '(01)00614141025016(21)X');
    const banner = page.locator(T('error-banner'));
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text.includes('check digit') && text.includes('SCAN_BAD_CHECK_DIGIT'), text);
    await light('bad-scan');
    await dismiss(page, 'error-banner');
  });

  let offer;
  await check(`${vp.name} light: shipping a pallet is queued, then committed, and the full node has the offer`, async () => {
    await scan(page, PALLET);
    await page.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('306141410000000068'));
    expect((await page.locator(T('item-card')).innerText()).includes(WAREHOUSE), 'the warehouse holds it');
    await page.locator(`${T('ship-to')} option[value="${GROCER}"]`).waitFor({ state: 'attached' });
    await page.locator(T('ship-to')).selectOption(GROCER);
    await page.locator(T('ship-button')).click();
    const notice = await noticeSaying(page, 'Queued');
    expect(notice.includes('Queued — will be sent when a peer is reachable'), notice);
    expect(!notice.toLowerCase().includes('committed'), notice);
    await nav(page, 'node');
    await page.locator(T('outbox-entry')).first().waitFor();
    const row = await page.locator(T('outbox-entry')).first().innerText();
    expect(row.includes('Shipped') && row.includes('306141410000000068'), row);
    const count = await page.locator(`${T('outbox-list')} .pill`).innerText();
    expect(count.trim() === '1 entry', count);
    await light('queued');
    // The screen follows the entry to the block the validators put it in (bounded wait).
    await entry('committed').waitFor({ timeout: 60000 });
    const done = await entry('committed').innerText();
    expect(done.includes('Committed') && /block \d/.test(done), done);
    await page.waitForFunction(() => document.querySelector('[data-testid="outbox-count"]')?.classList.contains('hidden'));
    await light('committed');
    // The full node has it: the pallet's open offer, to the grocer, in its inbox.
    const inbox = await api(node.full.base, '/v1/handoffs/inbox', { token: node.full.tokens[GROCER] });
    offer = inbox.incoming.find((h) => JSON.stringify(h).includes('306141410000000068'));
    expect(offer, `not in the grocer's inbox on the full node: ${JSON.stringify(inbox.incoming.map((h) => h.id))}`);
  });

  await check(`${vp.name} light: the grocer accepts on the full node, and the light node shows the new holder, proven`, async () => {
    expect(offer, 'no offer to accept');
    await api(node.full.base, `/v1/handoffs/${offer.id}/accept`, { token: node.full.tokens[GROCER], body: {} });
    await nav(page, 'scan');
    // Scanned again until the light node's headers reach the block of the acceptance.
    await until('the light node to show the grocer holding the bag', 60000, async () => {
      await scan(page, LOOSE_A);
      await page.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('E261000260')
        || document.querySelector('[data-testid="error-banner"]'));
      if (await page.locator(T('error-banner')).count()) {
        const said = await page.locator(T('error-banner')).innerText();
        await dismiss(page, 'error-banner');
        throw new Error(said);
      }
      return (await page.locator(T('item-card')).innerText()).includes(GROCER);
    });
    const v = await page.locator(T('verified-at')).innerText();
    expect(v.includes('Verified against block'), v);
  });

  await check(`${vp.name} light: the warehouse refuses an offer in its inbox: queued, then committed, and the full node has the refusal`, async () => {
    // The grocer sends the pallet back (on the full node); the warehouse's light node
    // finds the offer in the blocks that name it and refuses it from the inbox.
    const back = await api(node.full.base, '/v1/handoffs', {
      token: node.full.tokens[GROCER],
      body: { to: WAREHOUSE, scans: [PALLET], transfer: 'custody' },
    });
    await nav(page, 'home');
    await nav(page, 'inbox');
    const card = page.locator(`${T('handoff-incoming')}[data-id="${back.handoff}"]`);
    await until('the offer in the light node\'s inbox', 60000, async () => {
      if (await card.count()) return true;
      await nav(page, 'home');
      await nav(page, 'inbox');
      return false;
    });
    await card.locator('input.reason').fill('no room this week');
    await card.locator(T('reject-button')).click();
    const notice = await noticeSaying(page, 'Queued');
    expect(notice.includes('Queued — will be sent when a peer is reachable'), notice);
    await until('the refusal on the full node', 60000, async () => {
      const h = (await api(node.full.base, `/v1/handoffs/${back.handoff}`, { token: node.full.tokens[GROCER] })).handoff;
      return h.status === 'rejected' && h.reason === 'no room this week';
    });
    await light('refused');
  });

  await check(`${vp.name} light: the inbox and outbox come from the index; an item's history is verified by the light node, the full node's journey event for event`, async () => {
    await nav(page, 'inbox');
    await page.locator(`${T('inbox-incoming')}`).waitFor();
    const fresh = await page.locator(T('index-freshness')).innerText();
    expect(fresh.includes('as of block'), fresh);
    expect(await page.locator(T('light-node-note')).count() === 0, 'no light-node note on the inbox');
    await light('inbox');
    // A bag that travelled on the pallet: its journey holds the pallet's offers too.
    const key = '/01/00614141025015/21/E261000260';
    const full = await api(node.full.base, `/v1/items/${encodeURIComponent(key)}/history`);
    const want = full.events.map((e) => e.type);
    expect(full.events.some((e) => e.via === 'container'), `no container events: ${want}`);
    await nav(page, 'scan');
    await scan(page, LOOSE_A);
    await page.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('E261000260'));
    // Opened again until the light node's certified headers reach the full node's last
    // event for the bag (bounded wait).
    let got = [];
    await until("the light node's timeline to reach the full node's", 60000, async () => {
      await nav(page, 'scan');
      await nav(page, 'item');
      await page.locator(T('timeline')).waitFor({ timeout: 20000 });
      got = await page.locator(T('timeline-event')).evaluateAll((es) => es.map((e) => e.dataset.type));
      return got.length >= want.length;
    });
    expect(JSON.stringify(got) === JSON.stringify(want), `light ${got}; full ${want}`);
    const note = await page.locator(T('history-verified')).innerText();
    expect(note.includes('checked by this light node against certified block'), note);
    expect((await page.locator(T('verified-at')).innerText()).includes('Verified against block'), 'the verified record');
    expect(await page.locator(T('history-light')).count() === 0, 'no note that the history is missing');
    expect(await page.locator(T('item-export-epcis')).count() === 0, 'no EPCIS export on a light node');
    await light('item');
  });

  await check(`${vp.name} light: the EPCIS screen exports the warehouse's own events from its index, as the full node exports them`, async () => {
    await nav(page, 'exchange');
    const hint = await page.locator(T('epcis-light')).innerText();
    expect(hint.includes('queued in the outbox') && hint.includes("your org's own events"), hint);
    // The export panel says the same: the org's own events, not the chain's.
    const panel = await page.locator(T('epcis-export-hint')).innerText();
    expect(panel.includes("Your org's own supply-chain events") && !panel.includes('of the chain'), panel);
    const button = await page.locator(T('epcis-export-all')).innerText();
    expect(button.trim() === 'Export our events', button);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(T('epcis-export-all')).click()]);
    const saved = path.join(os.tmpdir(), `handoff-light-epcis-${vp.name}-${process.pid}.jsonld`);
    await download.saveAs(saved);
    const events = JSON.parse(fs.readFileSync(saved, 'utf8')).epcisBody.eventList;
    fs.rmSync(saved, { force: true });
    expect(events.length > 0, 'the warehouse has events of its own');
    // Each one is the full node's export of the same event, field for field.
    const full = await api(node.full.base, '/v1/epcis/export?all=true', { token: node.full.tokens[WAREHOUSE] });
    const theirs = new Set(JSON.parse(full.document).epcisBody.eventList.map((e) => JSON.stringify(e)));
    const missing = events.filter((e) => !theirs.has(JSON.stringify(e)));
    expect(missing.length === 0, `not in the full node's export: ${JSON.stringify(missing).slice(0, 400)}`);
    const notice = await noticeSaying(page, "Exported your org's");
    expect(notice.includes(`${events.length} events, as of block`), notice);
    await light('epcis-export');
  });

  await check(`${vp.name} light: in Chinese, the mode, the outbox, the scan, the inbox and Home with their freshness`, async () => {
    await nav(page, 'node');
    await page.locator(T('lang-zh')).click();
    await dismiss(page, 'notice-banner');
    expect((await page.locator(T('node-mode')).innerText()).includes('轻节点'), 'mode in Chinese');
    await entry('committed').first().waitFor();
    expect((await entry('committed').first().innerText()).includes('已上链'), 'committed in Chinese');
    await light('node-zh');
    await nav(page, 'scan');
    await scan(page, BAG);
    await page.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('E261000022'));
    expect((await page.locator(T('verified-at')).innerText()).includes('已校验'), 'verified in Chinese');
    await light('scan-zh');
    await nav(page, 'item');
    await page.locator(T('timeline-event')).first().waitFor();
    const zhNote = await page.locator(T('history-verified')).innerText();
    expect(zhNote.includes('已认证区块'), zhNote);
    await light('item-zh');
    await nav(page, 'inbox');
    await page.locator(T('inbox-incoming')).waitFor();
    const fresh = await page.locator(T('index-freshness')).innerText();
    expect(fresh.includes('来自本节点已校验的索引') && fresh.includes('截至区块'), fresh);
    // What the handoff transfers and its documents' types are words of the language too.
    const pills = await page.locator(T('handoff-transfer')).allInnerTexts();
    expect(pills.length > 0 && pills.every((p) => ['保管', '所有权', '保管与所有权'].includes(p.trim())), `${pills}`);
    const tags = (await page.locator('[data-testid^="handoff-"] .docs .tag').allInnerTexts()).join(' ');
    expect(!tags.includes('delivery_note'), tags);
    await light('inbox-zh');
    await nav(page, 'home');
    await page.locator(T('index-freshness')).waitFor();
    await light('home-zh');
    await nav(page, 'node');
    await page.locator(T('lang-en')).click();
  });

  await check(`${vp.name} light: Finance lists the warehouse's own assets from its index and opens one with its steps`, async () => {
    const full = await api(node.full.base, '/v1/finance/assets', { token: node.full.tokens[WAREHOUSE] });
    expect(full.assets.length > 0, 'the demo warehouse is a party of a finance asset');
    await nav(page, 'finance');
    await page.locator(T('finance-screen')).waitFor();
    await page.locator(T('fin-asset')).first().waitFor();
    // The same assets, in the same status, as the full node's index answers.
    const rows = await page.locator(T('fin-asset')).evaluateAll((els) => els.map((e) => `${e.dataset.id} ${e.dataset.status}`));
    const want = full.assets.map((a) => `${a.id} ${a.status}`);
    expect(JSON.stringify(rows) === JSON.stringify(want), `light ${rows.join(', ')}; full ${want.join(', ')}`);
    await light('finance');
    await page.locator(`${T('fin-asset')}[data-id="${full.assets[0].id}"]`).click();
    await page.locator(T('fin-detail')).waitFor();
    await page.locator(T('fin-asset-card')).waitFor();
    await light('finance-asset');
  });

  await check(`${vp.name} light: nothing overflows the screen`, async () => {
    for (const tab of ['home', 'scan', 'inbox', 'finance', 'node']) {
      await nav(page, tab);
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(over <= 0, `${tab}: page is ${over}px wider than the viewport`);
    }
  });

  await check(`${vp.name} light: no script errors, and only LIGHT_NODE answers unavailable`, async () => {
    const codes = await Promise.all(unavailable);
    expect(codes.length > 0 && codes.every((c) => c === 'LIGHT_NODE'), `503 answers: ${codes.join(', ')}`);
    const logged = errors.filter((e) => !/status of 503/.test(e));
    expect(logged.length === 0 && errors.length - logged.length === codes.length, errors.join('\n'));
  });
  await ctx.close();
}

// ---------------------------------------------------------------- certifications, documents

const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

// Opens the item screen of `code` and waits for its timeline.
async function openItem(page, code) {
  await nav(page, 'scan');
  await scan(page, code);
  await page.locator(T('item-card')).waitFor();
  await page.locator(T('open-timeline')).click();
  await page.locator(T('timeline')).waitFor();
}

// A demo bag shows the demo's EU organic certification through its product. An auditor
// certifies the coffee through the Auditor screen; the bag's screen shows it, and after
// the auditor revokes it, it leaves the bag's list (folded under "Not valid now", muted).
// When the demo's auditor revokes the organic certification the brand displays, the
// bag's verdict warns. A document registered from a file is found again by its file, a
// one-byte-changed copy is not.
async function certificationChecks(vp, node) {
  const auditor = await openPage(vp, signIn(node, AUDITOR));
  const demoAuditor = await openPage(vp, signIn(node, DEMO_AUDITOR));
  // The grocer holds the bag, so it may link documents to it.
  const staff = await openPage(vp, signIn(node, GROCER));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-docs-'));
  let certId;
  try {
    await check(`${vp.name}: a container without certifications shows no certification heading`, async () => {
      const p = staff.page;
      await openItem(p, PALLET);
      // The list is read after the timeline: give it the time of a read, then look.
      await p.waitForTimeout(1000);
      expect(await p.locator(T('cert-section')).count() === 0, 'a certification section with nothing in it');
    });

    await check(`${vp.name}: a demo bag shows the demo's EU organic certification, and is genuine`, async () => {
      const p = staff.page;
      await openItem(p, BAG);
      const cert = p.locator(`${T('cert-section')} > ${T('cert-list')} > ${T('cert')}`, { hasText: 'CO-BIO-141-2026-0187' });
      await cert.waitFor();
      const text = await cert.innerText();
      for (const want of ['EU organic', DEMO_AUDITOR, 'Through its product', 'Valid']) {
        expect(text.includes(want), `missing "${want}" in: ${text}`);
      }
      expect((await cert.getAttribute('data-status')) === 'valid', 'status');
      expect((await p.locator(T('verdict')).getAttribute('class')).includes('verdict-genuine'), 'verdict');
    });

    await check(`${vp.name}: an auditor certifies a product on the Auditor screen`, async () => {
      const p = auditor.page;
      await p.waitForFunction((n) => document.querySelector('[data-testid="whoami"]')?.textContent === n, AUDITOR);
      await nav(p, 'auditor');
      await p.locator(T('cert-for')).fill('00614141025015');
      await p.locator(T('cert-scheme')).fill('EU organic');
      await p.locator(T('cert-standard')).fill('EU 2018/848');
      await p.locator(T('cert-number')).fill('DE-ÖKO-006-4711');
      await p.locator(T('cert-from')).fill(day(-1));
      await p.locator(T('cert-until')).fill(day(365));
      const certificate = path.join(tmp, 'certificate.pdf');
      fs.writeFileSync(certificate, `%PDF-1.4 organic certificate ${vp.name}\n`);
      await p.locator(T('cert-doc')).setInputFiles(certificate);
      await p.locator('.doc-hash code').waitFor();
      await p.locator(T('cert-issue')).click();
      await noticeSaying(p, 'Certified');
      certId = (await p.locator(T('cert-issued-id')).innerText()).trim();
      expect(/^[0-9a-f]{64}$/.test(certId), `id: ${certId}`);
      await p.locator(T('cert-list-button')).click();
      await p.locator(`${T('cert')}[data-id="${certId}"]`).waitFor();
      if (vp.name === 'desktop') await auditor.shot('auditor');
    });

    await check(`${vp.name}: the item screen shows the certification through its product`, async () => {
      const p = staff.page;
      await p.reload();
      await p.locator(`${T('home-screen')}, ${T('scan-input')}`).first().waitFor();
      await openItem(p, BAG);
      const cert = p.locator(`${T('cert')}[data-id="${certId}"]`);
      await cert.waitFor();
      const text = await cert.innerText();
      for (const want of ['EU organic', 'EU 2018/848', 'DE-ÖKO-006-4711', AUDITOR, 'Through its product', 'Valid until', 'Valid']) {
        expect(text.includes(want), `missing "${want}" in: ${text}`);
      }
      expect((await cert.getAttribute('data-status')) === 'valid', 'status');
      expect(!(await cert.getAttribute('class')).includes('muted'), 'a counting certification is not muted');
      expect((await p.locator(T('cert-section')).locator('h3').innerText()).includes('Certifications'), 'heading');
    });

    await check(`${vp.name}: a certification revoked by its auditor shows as revoked, muted, after reload`, async () => {
      const p = auditor.page;
      expect((await p.locator(T('cert-change-id')).inputValue()) === certId, 'the issued id is ready to change');
      await p.locator(T('cert-change')).selectOption('revoke');
      await p.locator(T('cert-reason')).fill('residue found in a lab test');
      await p.locator(T('cert-change-button')).click();
      await noticeSaying(p, 'Certification changed');
      await p.locator(T('cert-changed')).waitFor();
      const s = staff.page;
      await s.reload();
      await s.locator(`${T('home-screen')}, ${T('scan-input')}`).first().waitFor();
      await openItem(s, BAG);
      // Gone from the list of those that count; folded below, revoked and muted.
      await s.locator(T('cert-lapsed')).waitFor();
      expect(await s.locator(`${T('cert-section')} > ${T('cert-list')} > ${T('cert')}[data-id="${certId}"]`).count() === 0,
        'a revoked certification is still listed among those that count');
      await s.locator(`${T('cert-lapsed')} > summary`).click();
      const cert = s.locator(`${T('cert-lapsed')} ${T('cert')}[data-id="${certId}"]`);
      await cert.waitFor();
      expect((await cert.getAttribute('data-status')) === 'revoked', `status ${await cert.getAttribute('data-status')}`);
      expect((await cert.getAttribute('class')).includes('muted'), 'a revoked certification is muted');
      const text = await cert.innerText();
      expect(text.includes('Revoked') && text.includes('residue found in a lab test'), text);
    });

    await check(`${vp.name}: the demo's auditor lists what it issued and revokes the organic certification; the bag's verdict warns`, async () => {
      const p = demoAuditor.page;
      await p.waitForFunction((n) => document.querySelector('[data-testid="whoami"]')?.textContent === n, DEMO_AUDITOR);
      await nav(p, 'auditor');
      // With nothing in "for", the list is what this auditor issued, those that count first.
      await p.locator(T('cert-list-button')).click();
      const organic = p.locator(T('cert'), { hasText: 'CO-BIO-141-2026-0187' });
      await organic.waitFor();
      const statuses = await p.locator(T('cert')).evaluateAll((els) => els.map((e) => e.dataset.status));
      expect(statuses.join() === 'valid,valid,revoked', `issued list: ${statuses.join()}`);
      const id = await organic.getAttribute('data-id');
      await p.locator(T('cert-change-id')).fill(id);
      await p.locator(T('cert-change')).selectOption('revoke');
      await p.locator(T('cert-reason')).fill('pesticide residue in a lab test');
      await p.locator(T('cert-change-button')).click();
      await noticeSaying(p, 'Certification changed');
      const s = staff.page;
      await s.reload();
      await s.locator(`${T('home-screen')}, ${T('scan-input')}`).first().waitFor();
      await openItem(s, BAG);
      // Neither certification counts now: the list says so, both are folded below.
      await s.locator(T('cert-none-valid')).waitFor();
      expect((await s.locator(`${T('cert-lapsed')} > summary`).innerText()).includes('(2)'), 'two folded');
      const verdict = s.locator(T('verdict'));
      expect((await verdict.getAttribute('class')).includes('verdict-warning') && (await verdict.innerText()).includes('Warning'),
        `verdict: ${await verdict.innerText()}`);
      if (vp.name === 'desktop') await demoAuditor.shot('auditor-issued');
    });

    await check(`${vp.name}: a document registered from a file is found by its file; a changed copy never was`, async () => {
      const p = staff.page;
      const original = Buffer.from(`Bill of lading MSKU 1234565 · ${vp.name} · ${crypto.randomUUID()}\n`);
      const changed = Buffer.from(original);
      changed[0] ^= 1; // one byte changed
      const a = path.join(tmp, 'bill-of-lading.txt');
      const b = path.join(tmp, 'bill-of-lading-changed.txt');
      fs.writeFileSync(a, original);
      fs.writeFileSync(b, changed);
      const docs = p.locator(`.item-screen ${T('documents')}`);
      expect((await docs.locator(T('doc-local-note')).innerText()).includes('never leaves'), 'says the file stays here');
      await docs.locator(T('doc-file')).setInputFiles(a);
      const shown = await docs.locator(T('doc-hash')).innerText();
      expect(shown === sha256(original), `hashed in the page: ${shown}, expected ${sha256(original)}`);
      await docs.locator(T('doc-type')).selectOption('bill_of_lading');
      await docs.locator(T('doc-title')).fill('Bill of lading MSKU 1234565');
      await docs.locator(T('doc-register')).click();
      await noticeSaying(p, 'registered');
      await dismiss(p, 'notice-banner');
      // The notice reloads the screen: the panel is found again.
      const again = p.locator(`.item-screen ${T('documents')}`);
      await again.locator(T('doc-check-file')).setInputFiles(a);
      const ok = again.locator(T('doc-check-result'));
      await ok.waitFor();
      expect((await ok.getAttribute('data-registered')) === 'true', await ok.innerText());
      const text = await ok.innerText();
      expect(text.includes(`Registered by ${GROCER} in block`) && text.includes('Bill of lading'), text);
      expect((await again.locator(T('doc-proof')).innerText()).includes('Verified against block'), 'proof state');
      await again.locator(T('doc-check-file')).setInputFiles(b);
      await p.waitForFunction(() => document.querySelector('.item-screen [data-testid="doc-check-result"]')?.dataset.registered === 'false');
      expect((await again.locator(T('doc-check-result')).innerText()).includes('Never registered — a changed file has another hash'), 'never registered');
      if (vp.name === 'desktop') {
        await again.locator(T('doc-check-file')).setInputFiles(a);
        await p.waitForFunction(() => document.querySelector('.item-screen [data-testid="doc-check-result"]')?.dataset.registered === 'true');
        await staff.shot('certifications');
      }
    });

    if (vp.name === 'phone') await check('phone: certifications and documents in Chinese', async () => {
      const p = staff.page;
      await nav(p, 'node');
      await p.locator(T('lang-zh')).click();
      await openItem(p, BAG);
      const folded = p.locator(`${T('cert-lapsed')} > summary`);
      expect((await folded.innerText()).includes('目前无效'), 'folded list in Chinese');
      await folded.click();
      const cert = p.locator(`${T('cert')}[data-id="${certId}"]`);
      await cert.waitFor();
      const text = await cert.innerText();
      expect(text.includes('已撤销') && text.includes('通过所属产品'), text);
      expect((await p.locator(`.item-screen ${T('doc-local-note')}`).innerText()).includes('不会离开本机'), 'local note in Chinese');
      await staff.shot('certifications-zh');
      await nav(auditor.page, 'node');
      await auditor.page.locator(T('lang-zh')).click();
      await nav(auditor.page, 'auditor');
      expect((await auditor.page.locator(T('cert-issue')).innerText()).includes('颁发'), 'auditor screen in Chinese');
      await auditor.shot('auditor-zh');
      const over = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(over <= 0, `page is ${over}px wider than the viewport`);
      await nav(p, 'node');
      await p.locator(T('lang-en')).click();
    });

    await check(`${vp.name}: no script errors on the certification and document screens`, async () => {
      const errors = [...auditor.errors, ...staff.errors, ...demoAuditor.errors];
      expect(errors.length === 0, errors.join('\n'));
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await auditor.ctx.close();
    await demoAuditor.ctx.close();
    await staff.ctx.close();
  }
}



// ---------------------------------------------------------------- EPCIS files in and out

// An EPCIS 2.0 JSON-LD document of the roaster's: two new espresso bags commissioned at its
// GLN, and a bag the demo already commissioned (which the ledger refuses).
function roasterDocument(gln, serials, taken) {
  const dl = (s) => `https://id.gs1.org/01/00614141025015/21/${s}`;
  const commission = (time, epcs) => ({
    type: 'ObjectEvent', eventTime: time, eventTimeZoneOffset: '+00:00', action: 'ADD',
    bizStep: 'commissioning', disposition: 'active', epcList: epcs.map(dl),
    bizLocation: { id: `https://id.gs1.org/414/${gln}` },
  });
  return JSON.stringify({
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-12-01T08:00:00Z',
    epcisBody: { eventList: [commission('2026-12-01T07:00:00Z', serials), commission('2026-12-01T07:05:00Z', [taken])] },
  });
}

async function epcisChecks(vp, node) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-epcis-'));
  const { page, ctx, errors, shot } = await openPage(vp, signIn(node, ROASTER));
  try {
    const roaster = (await api(node.base, '/v1/orgs', { token: node.tokens[ROASTER] })).orgs.find((o) => o.name === ROASTER);
    const gln = roaster.glns[0];
    const serials = [`EPCIS${vp.name.toUpperCase()}1`, `EPCIS${vp.name.toUpperCase()}2`];
    const doc = roasterDocument(gln, serials, 'E261000022');
    const file = path.join(tmp, 'roaster-day.jsonld');
    fs.writeFileSync(file, doc);

    await check(`${vp.name}: an EPCIS file dropped on the EPCIS screen is checked, event by event, before anything is written`, async () => {
      await nav(page, 'exchange');
      // A real drop: a DataTransfer holding the file, dropped on the zone.
      await page.evaluate(([text, name]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: 'application/ld+json' }));
        const zone = document.querySelector('[data-testid="epcis-drop"]');
        zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, [doc, 'roaster-day.jsonld']);
      const card = page.locator(T('epcis-checked'));
      await card.waitFor();
      expect(await card.getAttribute('data-events') === '2', `events: ${await card.getAttribute('data-events')}`);
      const text = await card.innerText();
      expect(text.includes('roaster-day.jsonld') && text.includes('ObjectEvent') && text.includes('Commissioned'), text);
      expect((await page.locator(`${T('epcis-event')}[data-status="new"]`).count()) === 2, 'two new events');
      // Checking wrote nothing: the new bag is still never commissioned.
      const v = await api(node.base, `/v1/verify/${encodeURIComponent(`(01)00614141025015(21)${serials[0]}`)}`);
      expect(v.reasons.some((r) => r.code === 'NEVER_COMMISSIONED'), JSON.stringify(v));
      await shot('epcis-checked');
    });

    await check(`${vp.name}: importing reports each event: committed with its block, or refused with the ledger's rule`, async () => {
      await page.locator(T('epcis-import')).click();
      const report = page.locator(T('epcis-report'));
      await report.waitFor();
      expect(await report.getAttribute('data-committed') === '1' && await report.getAttribute('data-rejected') === '1',
        `committed ${await report.getAttribute('data-committed')}, rejected ${await report.getAttribute('data-rejected')}`);
      const why = await page.locator(T('epcis-why')).allInnerTexts();
      expect(why.some((w) => w.startsWith('block ')), why.join(' | '));
      expect(why.some((w) => /^[A-Z_]+: /.test(w) && !w.startsWith('block')), `a refusal with its code: ${why.join(' | ')}`);
      await noticeSaying(page, 'Imported: 1 committed');
      await shot('epcis-report');
      // The bags are on the ledger, the roaster's.
      await nav(page, 'scan');
      await scan(page, `(01)00614141025015(21)${serials[0]}`);
      const card = page.locator(T('item-card'));
      await card.waitFor();
      expect((await card.innerText()).includes(ROASTER), await card.innerText());
      await nav(page, 'exchange');
      // The same file again: the imported event is found by its hash id.
      await page.locator(T('epcis-file')).setInputFiles(file);
      await page.locator(T('epcis-checked')).waitFor();
      expect((await page.locator(`${T('epcis-event')}[data-status="already"]`).count()) === 1, 'one already on the ledger');
      await page.locator(T('epcis-cancel')).click();
    });

    await check(`${vp.name}: everything exports as one EPCIS document holding the imported event`, async () => {
      const panel = await page.locator(T('epcis-export-hint')).innerText();
      expect(panel.includes('Every supply-chain event of the chain'), panel);
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(T('epcis-export-all')).click()]);
      expect(/^handoff-epcis-all-\d{4}-\d\d-\d\dT\d{6}Z\.jsonld$/.test(download.suggestedFilename()), download.suggestedFilename());
      const saved = path.join(tmp, 'all.jsonld');
      await download.saveAs(saved);
      const out = JSON.parse(fs.readFileSync(saved, 'utf8'));
      const events = out.epcisBody.eventList;
      expect(out.type === 'EPCISDocument' && events.length > 10, `${out.type}, ${events.length} events`);
      const mine = events.filter((e) => (e.epcList ?? []).some((id) => id.endsWith(`/21/${serials[0]}`)));
      expect(mine.length === 1 && mine[0].bizStep === 'commissioning', JSON.stringify(mine));
      const notice = await noticeSaying(page, 'Exported');
      expect(notice.includes(`${events.length}`), notice);
      // XML too.
      await page.locator(T('epcis-format')).selectOption('xml');
      const [xml] = await Promise.all([page.waitForEvent('download'), page.locator(T('epcis-export-all')).click()]);
      expect(xml.suggestedFilename().endsWith('.xml'), xml.suggestedFilename());
      await xml.saveAs(path.join(tmp, 'all.xml'));
      expect(fs.readFileSync(path.join(tmp, 'all.xml'), 'utf8').includes('EPCISDocument'), 'an XML EPCIS document');
    });

    await check(`${vp.name}: one item's history exports from its page`, async () => {
      await nav(page, 'scan');
      await scan(page, `(01)00614141025015(21)${serials[1]}`);
      await page.locator(T('item-card')).waitFor();
      await nav(page, 'item');
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(T('item-export-epcis')).click()]);
      expect(download.suggestedFilename().includes(serials[1]), download.suggestedFilename());
      const saved = path.join(tmp, 'item.jsonld');
      await download.saveAs(saved);
      const events = JSON.parse(fs.readFileSync(saved, 'utf8')).epcisBody.eventList;
      expect(events.length === 1 && events[0].epcList.some((id) => id.endsWith(`/21/${serials[1]}`)), JSON.stringify(events));
    });

    if (vp.name === 'phone') await check('phone: the EPCIS screen in Chinese', async () => {
      await nav(page, 'node');
      await page.locator(T('lang-zh')).click();
      await nav(page, 'exchange');
      const text = await page.locator('.exchange-screen').innerText();
      expect(text.includes('导入合作方的 EPCIS 文件') && text.includes('全部导出'), text);
      await shot('epcis-zh');
      await nav(page, 'node');
      await page.locator(T('lang-en')).click();
    });

    await check(`${vp.name}: the EPCIS screen fits and raises no script errors`, async () => {
      await nav(page, 'exchange');
      await page.locator(T('epcis-file')).setInputFiles(file);
      await page.locator(T('epcis-checked')).waitFor();
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(over <= 0, `overflows by ${over}px`);
      expect(errors.length === 0, errors.join('\n'));
    });
  } finally {
    await ctx.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- a lender on its own node

// The Lender screen in a plain browser against the node (no app): the demo bank's
// portfolio as the node computes it from the chain, its alerts in words, a pledged
// receipt's goods and an invoice's evidence, in English and Chinese.
async function lenderChecks(vp, node) {
  const { ctx, page, errors, shot } = await openPage(vp, signIn(node, BANK));
  const pf = await api(node.base, '/v1/finance/portfolio', { token: node.tokens[BANK] });
  const receipt = pf.rows.find((r) => r.kind === 'receipt');
  const funded = pf.rows.find((r) => r.kind === 'receivable' && r.status === 'funded');
  await check(`${vp.name}: a lender's portfolio from its own node shows exposure, ageing and alerts in words`, async () => {
    expect(receipt && funded, `the demo bank holds a receipt and a funded invoice: ${JSON.stringify(pf.rows)}`);
    await nav(page, 'lender');
    await page.locator(T('lender-screen')).waitFor();
    await page.locator(T('lender-row')).first().waitFor();
    expect(await page.locator(T('lender-row')).count() === pf.rows.length, 'one row per asset of the node\'s portfolio');
    const alerts = await page.locator(T('lender-alerts')).innerText();
    for (const said of ['Overdue', 'An attempt to move pledged goods was refused', 'Collateral recalled']) {
      expect(alerts.includes(said), `"${said}" in the alerts: ${alerts}`);
    }
    expect(await page.locator(T('exposure-bar')).count() > 0, 'exposure chart has bars');
    expect(await page.locator(T('ageing-bar')).count() === 5, 'five ageing buckets');
    await shot('lender-dashboard');
  });
  await check(`${vp.name}: the pledged pallet's detail names the recall of the lot packed on it`, async () => {
    await page.locator(`${T('lender-row')}[data-id="${receipt.id}"]`).click();
    await page.locator(T('fin-evidence')).waitFor();
    const detail = await page.locator(T('fin-detail-alerts')).innerText();
    expect(detail.includes('Collateral recalled') && detail.includes('/00/'), detail);
    await shot('lender-receipt');
  });
  await check(`${vp.name}: a funded invoice's evidence matches its lines, and the screen speaks Chinese`, async () => {
    await nav(page, 'lender');
    await page.locator(`${T('lender-row')}[data-id="${funded.id}"]`).click();
    await page.locator(T('fin-evidence')).waitFor();
    expect(await page.locator(T('ev-line')).count() > 0, 'evidence lines');
    expect(await page.locator(T('fin-evidence')).getAttribute('data-matched') === 'true', 'every line matched');
    await nav(page, 'node');
    await page.locator(T('lang-zh')).click();
    await nav(page, 'lender');
    const zh = await page.locator(T('lender-alerts')).innerText();
    expect(zh.includes('抵押物被召回') && zh.includes('逾期'), zh);
    await shot('lender-dashboard-zh');
    await nav(page, 'node');
    await page.locator(T('lang-en')).click();
    expect(errors.length === 0, errors.join('\n'));
  });
  await ctx.close();
}

// ---------------------------------------------------------------- the runs

try {
  for (const vp of RUN_FULL ? VIEWPORTS : []) {
    let node;
    await check(`${vp.name}: a full node on the demo chain starts and serves the UI`, async () => {
      node = await fullNodeOnDemoChain([WAREHOUSE, GROCER, DEMO_AUDITOR, ROASTER, BANK], [AUDITOR]);
    });
    if (!node) continue;
    try {
      await fullNodeChecks(vp, node);
      await certificationChecks(vp, node);
      await epcisChecks(vp, node);
      await lenderChecks(vp, node);
      if (vp.name === 'desktop') {
        await check('desktop: a node that stopped is said to be unreachable, in the language on screen', async () => {
          const { ctx, page, errors, shot } = await openPage(vp, signIn(node, WAREHOUSE));
          await node.stop();
          node = null;
          await scan(page, BAG);
          const banner = page.locator(T('error-banner'));
          await banner.waitFor();
          const en = await banner.innerText();
          expect(en.includes('Cannot reach the Handoff node') && en.includes('NODE_UNREACHABLE'), en);
          await shot('unreachable');
          await nav(page, 'node');
          await page.locator(T('lang-zh')).click();
          expect((await banner.innerText()).includes('无法连接'), await banner.innerText());
          expect(errors.filter((e) => !e.includes('Failed to load resource')).length === 0, errors.join('\n'));
          await ctx.close();
        });
      }
    } finally {
      if (node) await node.stop();
    }
  }

  // The same screens on a light node, with a full node to follow.
  for (const vp of RUN_LIGHT ? VIEWPORTS : []) {
    let node;
    await check(`${vp.name} light: a light node joined to the demo chain's full node starts and serves the UI`, async () => {
      node = await lightNodeOnDemoChain(WAREHOUSE);
    });
    if (!node) continue;
    try {
      await lightNodeChecks(vp, node);
    } finally {
      await node.stop();
    }
    let bank;
    await check(`${vp.name} light: the demo bank's light node starts`, async () => {
      bank = await lightNodeOnDemoChain(BANK);
    });
    if (!bank) continue;
    try {
      await lightLenderChecks(vp, bank);
    } finally {
      await bank.stop();
    }
  }

  // Joining by invitation: the demo's registrar makes a link on the Node screen; a new
  // organisation's folder joins with it (`handoff join`) and is admitted on the chain.
  if (!only || only === 'invite') {
    const REGISTRY = 'Handoff Demo Registry';
    const node = await fullNodeOnDemoChain([REGISTRY]);
    const joined = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-join-'));
    try {
      for (const vp of [{ name: 'desktop', width: 1280, height: 800 }, { name: 'phone', width: 390, height: 844 }]) {
        await check(`${vp.name} invite: the registrar makes an invitation link with its QR code; a new org joins with it`, async () => {
          const { ctx, page, errors, shot } = await openPage(vp, signIn(node, REGISTRY));
          await page.waitForFunction((n) => document.querySelector('[data-testid="whoami"]')?.textContent === n, REGISTRY);
          await nav(page, 'node');
          await page.locator(T('invite-panel')).waitFor();
          const name = `Quay Freight ${vp.name}`;
          await page.locator(T('invite-name')).fill(name);
          await page.locator(T('invite-roles')).fill('carrier');
          await page.locator(T('invite-make')).click();
          const made = page.locator(T('invite-link'));
          await made.waitFor();
          const link = await made.getAttribute('data-link');
          expect(link.startsWith('handoff://join?') && link.includes('ticket=') && link.includes('/p2p/'), link);
          expect(await made.locator('.pair-qr svg').count() === 1, 'a QR code of the link');
          // The panel lists the new invitation as open, with a Revoke button.
          const row = (n) => page.locator(`${T('invitation')}`).filter({ hasText: n }).first();
          await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid="invitation"]')]
            .some((li) => li.textContent.includes(n) && li.dataset.status === 'open'), name);
          expect(await row(name).locator(T('invite-revoke')).count() === 1, 'an open invitation has a Revoke button');
          await made.scrollIntoViewIfNeeded();
          await shot('invite');
          const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          expect(over <= 0, `the page is ${over}px wider than the viewport`);
          // The new org's folder joins: its own key, the genesis checked against the link.
          const folder = path.join(joined, vp.name);
          const j = handoff(folder, 'join', link);
          expect(j.name === name && j.height > 0, JSON.stringify(j));
          const orgs = handoff(node.data, 'org', 'list');
          expect(JSON.stringify(orgs).includes(name), `${name} is not admitted: ${JSON.stringify(orgs).slice(0, 300)}`);
          // The same link again is refused: the ticket is used.
          let again = '';
          try { handoff(path.join(joined, `${vp.name}-again`), 'join', link); } catch (e) { again = String(e.stdout ?? e); }
          expect(again.includes('TICKET_USED'), again);
          // Its QR code scanned in a browser (the registrar's page here) is not looked up
          // as a product code: the page opens the Node screen and says it is for the
          // invited org's app.
          await nav(page, 'scan');
          await scan(page, link);
          const said = await noticeSaying(page, 'An invitation to join a network');
          expect(said.includes('open it in the Handoff app'), said);
          await page.locator(T('invite-panel')).waitFor();
          expect(await page.locator(T('error-banner')).count() === 0, 'no lookup error');
          await shot('invite-scanned');
          // The panel shows the invitation used (muted, no Revoke button).
          await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid="invitation"]')]
            .some((li) => li.textContent.includes(n) && li.dataset.status === 'used'), name);
          expect(await row(name).locator(T('invite-revoke')).count() === 0, 'a used invitation has no Revoke button');
          // A second invitation, sent to the wrong person: revoked in the panel; its link
          // is then refused.
          const wrong = `Wrong Party ${vp.name}`;
          await page.locator(T('invite-name')).fill(wrong);
          await page.locator(T('invite-roles')).fill('retailer');
          await page.locator(T('invite-make')).click();
          await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid="invitation"]')]
            .some((li) => li.textContent.includes(n) && li.dataset.status === 'open'), wrong);
          const wrongLink = await page.locator(T('invite-link')).getAttribute('data-link');
          await row(wrong).locator(T('invite-revoke')).click();
          await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid="invitation"]')]
            .some((li) => li.textContent.includes(n) && li.dataset.status === 'revoked'), wrong);
          expect((await row(wrong).innerText()).includes('Revoked'), await row(wrong).innerText());
          expect(await page.locator(T('error-banner')).count() === 0, 'no error on revoking');
          expect(await page.locator(T('invite-link')).count() === 0, 'the revoked link is no longer shown');
          let revoked = '';
          try { handoff(path.join(joined, `${vp.name}-wrong`), 'join', wrongLink); } catch (e) { revoked = String(e.stdout ?? e); }
          expect(revoked.includes('TICKET_REVOKED'), revoked);
          await page.locator(T('invite-list')).scrollIntoViewIfNeeded();
          await shot('invite-list');
          await page.locator(T('lang-zh')).click();
          await page.locator(T('invite-panel')).waitFor();
          expect((await page.locator(T('invite-panel')).innerText()).includes('邀请'), 'the panel in Chinese');
          await shot('invite-zh');
          await page.locator(T('lang-en')).click();
          expect(errors.length === 0, errors.join('\n'));
          await ctx.close();
        });
      }
    } finally {
      await node.stop();
      fs.rmSync(joined, { recursive: true, force: true });
    }
  }

  // Camera scanning: Chromium's fake camera plays a frame with a real QR label (made by
  // `handoff qr encode`); the page reads the frames itself (WebAssembly) and looks the
  // item up on the node.
  if (!only || only === 'camera') await check('camera: a QR label held to the camera shows the item', async () => {
    const node = await fullNodeOnDemoChain([]);
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
        await ctx.grantPermissions(['camera'], { origin: node.base });
        const page = await ctx.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        // A consumer's phone: no sign-in link.
        await page.goto(`${node.base}/`);
        await nav(page, 'scan');
        await page.locator(T('camera-button')).click();
        const card = page.locator(T('item-card'));
        await card.waitFor({ timeout: 20000 });
        const text = await card.innerText();
        expect(text.includes('Northside Espresso Roast 250 g'), text);
        // One item read: the camera turns itself off.
        await page.locator(`${T('camera-view')}.hidden`).waitFor({ state: 'attached', timeout: 5000 });
        expect((await page.locator(T('camera-button')).innerText()).includes('Scan with camera'), 'button back to start');
        // Batch mode: the camera stays on and the label held in view counts once.
        await page.locator(T('batch-toggle')).check();
        await page.locator(T('camera-button')).click();
        await page.waitForFunction((sel) => document.querySelector(sel)?.innerText.trim() === '1', T('batch-count'), { timeout: 20000 });
        await page.waitForTimeout(1500);
        expect((await page.locator(T('batch-count')).innerText()).trim() === '1', 'the same label counted once');
        await page.screenshot({ path: path.join(artifacts, 'phone-camera.png') });
        await page.locator(T('camera-button')).click();
        await page.locator(`${T('camera-view')}.hidden`).waitFor({ state: 'attached', timeout: 5000 });
        // An image of the label dropped on the page reads the same way.
        await page.locator(T('batch-toggle')).uncheck();
        await page.locator(T('image-input')).setInputFiles(png);
        await page.waitForFunction(() => document.querySelector('[data-testid="item-card"]')?.dataset.key?.endsWith('E261000022'));
        expect(errors.length === 0, errors.join('\n'));
      } finally {
        await cam.close();
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
      await node.stop();
    }
  });
} finally {
  await browser.close();
  killAll();
}
console.log(failures ? `${failures} failed` : 'all UI checks passed');
process.exit(failures ? 1 : 0);
