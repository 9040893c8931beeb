// Browser tests of the Finance and Lender screens with a mocked node: Chromium loads the
// built UI (ui/dist, or UI_DIST) from a page address whose `/v1/…` routes are answered
// here with the typed API's JSON shapes (the finance answers a node gives: assets,
// evidence with a flagged line, a portfolio with alerts), and every request the page
// sends is recorded, so a test asserts what a user sees and which operation a button
// sent with which fields. Desktop (1280×800) and phone (390×844), English and Chinese;
// screenshots go to SHOTS (default /tmp/ui-shots/). Run after `cargo xtask ui`:
//   node ui/tests/finance.mjs
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = process.env.UI_DIST ?? path.resolve(here, '..', 'dist');
const shots = process.env.SHOTS ?? '/tmp/ui-shots';
fs.mkdirSync(shots, { recursive: true });
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  console.error(`no UI build in ${dist}: run cargo xtask ui first (or set UI_DIST)`);
  process.exit(2);
}

// ---------------------------------------------------------------- the mocked node

const hex = (b) => b.repeat(32);
const ORGS = {
  seller: { key: hex('11'), name: 'Northside Roasters', roles: ['manufacturer'] },
  buyer: { key: hex('22'), name: 'Corner Grocer', roles: ['retailer'] },
  warehouse: { key: hex('33'), name: 'Harbor Logistics', roles: ['warehouse'] },
  lender: { key: hex('44'), name: 'Harbor Bank', roles: ['lender'] },
  mill: { key: hex('55'), name: 'Valley Mill', roles: ['producer'] },
};
const R1 = hex('a1'); // confirmed invoice of the seller, a damaged line
const R2 = hex('a2'); // funded invoice, the node gives no evidence for it (fallback)
const R3 = hex('a3'); // financing requested from the lender: it may offer
const RC = hex('c1'); // pledged warehouse receipt, a good moved
const H1 = hex('d1'); const H2 = hex('d2'); const H3 = hex('d3'); const H4 = hex('d4'); const H5 = hex('d5');
const DAY = 86400000;
const NOW = Date.UTC(2026, 11, 5, 9, 0, 0);
const party = (role, o) => ({ role, org: o.key, name: o.name });
const terms = (over) => ({ paid: '0.00', diluted: '0.00', recovered: '0.00', notes: [], consistent: true, problems: [], ...over });
const BAG = (n) => `(01)00614141025015(21)E26100${n}`;

function asset(id, over) {
  return {
    id, kind: 'receivable', status: 'confirmed', roles: [], parties: [], currency: 'EUR',
    lines: [], goods: [], released: [], issued_height: 100, updated_height: 110, next: [], ...over,
  };
}
const sellerAssets = [
  asset(R1, {
    roles: ['seller', 'holder'],
    parties: [party('seller', ORGS.seller), party('buyer', ORGS.buyer), party('holder', ORGS.seller)],
    due_ms: NOW + 30 * DAY,
    lines: [{ handoff: H1, item: BAG('0022'), amount: '800.00' }, { handoff: H2, item: BAG('0023'), amount: '400.00' }],
    terms: terms({ invoice: 'INV-2026-014', face: '1200.00', outstanding: '1200.00', outstanding_minor: 120000 }),
    next: ['request', 'split', 'transfer', 'dilute'],
  }),
  asset(R2, {
    status: 'funded', roles: ['seller', 'holder'],
    parties: [party('seller', ORGS.seller), party('buyer', ORGS.buyer), party('holder', ORGS.seller), party('lender', ORGS.lender)],
    due_ms: NOW + 12 * DAY,
    terms: terms({ invoice: 'INV-2026-009', face: '5000.00', outstanding: '3250.00', outstanding_minor: 325000, paid: '1750.00', advance: '4000.00', fee: '60.00' }),
    next: ['dilute'],
  }),
  asset(RC, {
    kind: 'receipt', status: 'pledged', roles: ['owner'], currency: undefined,
    parties: [party('warehouse', ORGS.warehouse), party('owner', ORGS.seller), party('lender', ORGS.lender)],
    goods: [BAG('0260'), BAG('0261')],
  }),
];
const steps = (id, list) => list.map(([step, by, h], i) => ({ tx: hex((i + 1).toString(16).padStart(2, '0')), height: h, step, by, time_ms: NOW - (10 - i) * DAY }));
const r1Steps = steps(R1, [['receivable_issued', 'Northside Roasters', 100], ['receivable_confirmed', 'Corner Grocer', 104]]);
const evidenceLine = (line, handoff, item, over) => ({
  line, handoff, item, amount: undefined, from: 'Northside Roasters', to: 'Corner Grocer', status: 'accepted',
  proposed_ms: NOW - 12 * DAY, accepted_height: 96, accepted_ms: NOW - 11 * DAY,
  documents: [{ kind: 'po', number: 'PO-7781' }, { kind: 'despatch', number: 'DA-5512' }], matched: true, problems: [], ...over,
});
const r1Evidence = {
  height: 120, as_of_ms: NOW, asset: sellerAssets[0], steps: r1Steps,
  lines: [
    evidenceLine(1, H1, BAG('0022'), { amount: '800.00' }),
    evidenceLine(2, H2, BAG('0023'), {
      amount: '400.00', exception: 'damaged', documents: [], matched: false,
      problems: ['reported damaged at acceptance', 'no purchase order behind the handoff'],
    }),
  ],
  goods: [], matched: false,
  alerts: [{ asset: R1, kind: 'exception', subject: BAG('0023'), message: 'invoiced goods were reported damaged at acceptance', height: 96, time_ms: NOW - 11 * DAY }],
};

const r3 = asset(R3, {
  status: 'finance_requested', roles: ['lender'],
  parties: [party('seller', ORGS.mill), party('buyer', ORGS.seller), party('holder', ORGS.mill), party('lender', ORGS.lender)],
  due_ms: NOW + 45 * DAY,
  lines: [{ handoff: H5, item: '(01)00614141000019(10)LOT-7', quantity: 40, amount: '2400.00' }],
  terms: terms({ invoice: 'VM-118', face: '2400.00', outstanding: '2400.00', outstanding_minor: 240000 }),
  next: ['offer'],
});
const r3Evidence = {
  height: 120, as_of_ms: NOW, asset: r3,
  steps: steps(R3, [['receivable_issued', 'Valley Mill', 90], ['receivable_confirmed', 'Northside Roasters', 92], ['finance_requested', 'Valley Mill', 118]]),
  lines: [evidenceLine(1, H5, '(01)00614141000019(10)LOT-7', { quantity: 40, amount: '2400.00', from: 'Valley Mill', to: 'Northside Roasters' })],
  goods: [], matched: true, alerts: [],
};
const rcLender = { ...sellerAssets[2], roles: ['lender'], next: ['release', 'enforce'] };
const rcEvidence = {
  height: 120, as_of_ms: NOW, asset: rcLender,
  steps: steps(RC, [['receipt_issued', 'Harbor Logistics', 80], ['receipt_pledged', 'Northside Roasters', 81], ['pledge_accepted', 'Harbor Bank', 82]]),
  lines: [],
  goods: [
    { item: BAG('0260'), custodian: 'Harbor Logistics', released: false, flags: [] },
    { item: BAG('0261'), custodian: 'Corner Grocer', released: false, flags: ['moved'] },
  ],
  matched: false,
  alerts: [{ asset: RC, kind: 'moved', subject: BAG('0261'), message: 'pledged goods left the warehouse', height: 117, time_ms: NOW - DAY }],
};
const eur = (amount) => ({ currency: 'EUR', amount, minor: Math.round(Number(amount) * 100) });
const portfolio = {
  org: ORGS.lender.key, height: 120, as_of_ms: NOW,
  by_status: [{ status: 'funded', count: 3 }, { status: 'finance_requested', count: 1 }, { status: 'overdue', count: 1 }, { status: 'pledged', count: 1 }, { status: 'settled', count: 2 }],
  exposure: [
    { org: ORGS.buyer.key, name: 'Corner Grocer', role: 'buyer', outstanding: [eur('12500.00')], assets: 3 },
    { org: ORGS.seller.key, name: 'Northside Roasters', role: 'buyer', outstanding: [eur('7250.00')], assets: 2 },
    { org: ORGS.mill.key, name: 'Valley Mill', role: 'seller', outstanding: [eur('2400.00')], assets: 1 },
  ],
  ageing: [
    { bucket: 'current', outstanding: [eur('14650.00')], assets: 4 },
    { bucket: '1-30', outstanding: [eur('4100.00')], assets: 1 },
    { bucket: '31-60', outstanding: [], assets: 0 },
    { bucket: '61-90', outstanding: [eur('3400.00')], assets: 1 },
    { bucket: '90+', outstanding: [], assets: 0 },
  ],
  counterparties: [
    { org: ORGS.buyer.key, name: 'Corner Grocer', deliveries: 0, accepted: 0, on_time: 0, lapsed: 0, exceptions: 0, disputes: 0, ageing: [] },
    { org: ORGS.seller.key, name: 'Northside Roasters', deliveries: 48, accepted: 46, on_time: 45, lapsed: 1, exceptions: 3, disputes: 1, on_time_bp: 9574, exception_bp: 652, dispute_bp: 208, dilution_bp: 120, ageing: [] },
    { org: ORGS.mill.key, name: 'Valley Mill', deliveries: 20, accepted: 20, on_time: 20, lapsed: 0, exceptions: 0, disputes: 0, on_time_bp: 10000, exception_bp: 0, dispute_bp: 0, ageing: [] },
  ],
  timeline: Array.from({ length: 14 }, (_, i) => {
    const day = new Date(NOW - (13 - i) * DAY).toISOString().slice(0, 10);
    const counts = [{ status: 'funded', count: Math.min(3, 1 + Math.floor(i / 4)) }];
    if (i > 3) counts.push({ status: 'pledged', count: 1 });
    if (i > 6) counts.push({ status: 'settled', count: i > 10 ? 2 : 1 });
    if (i > 9) counts.push({ status: 'overdue', count: 1 });
    if (i === 13) counts.push({ status: 'finance_requested', count: 1 });
    return { day, counts };
  }),
  alerts: [
    { asset: RC, kind: 'moved', subject: BAG('0261'), message: 'pledged goods left the warehouse', height: 117, time_ms: NOW - DAY },
    { asset: R2, kind: 'overdue', message: 'past its due date', height: 115, time_ms: NOW - 2 * DAY },
    { asset: R2, kind: 'org_suspended', subject: 'Corner Grocer', message: 'a party is suspended', height: 110, time_ms: NOW - 3 * DAY },
  ],
  rows: [
    { id: R3, kind: 'receivable', status: 'finance_requested', roles: ['lender'], seller: 'Valley Mill', buyer: 'Northside Roasters', lender: 'Harbor Bank', invoice: 'VM-118', face: eur('2400.00'), outstanding: eur('2400.00'), due_ms: NOW + 45 * DAY, goods: 0, released: 0, alerts: 0, updated_height: 118 },
    { id: RC, kind: 'receipt', status: 'pledged', roles: ['lender'], seller: 'Harbor Logistics', buyer: 'Northside Roasters', lender: 'Harbor Bank', goods: 2, released: 0, alerts: 1, updated_height: 117 },
    { id: R2, kind: 'receivable', status: 'overdue', roles: ['lender'], seller: 'Northside Roasters', buyer: 'Corner Grocer', lender: 'Harbor Bank', invoice: 'INV-2026-009', face: eur('5000.00'), outstanding: eur('3400.00'), due_ms: NOW - 64 * DAY, days_past_due: 64, goods: 0, released: 0, alerts: 2, updated_height: 115 },
  ],
};
const handoff = (id, to, status, over = {}) => ({
  id, from: { key: ORGS.seller.key, name: ORGS.seller.name }, to: { key: to.key, name: to.name }, status, transfer: 'both',
  entries: [{ key: BAG('0400') }, { key: BAG('0401') }], ship_from: null, ship_to: null, docs: [], proposed_height: 90,
  proposed_time: '2026-11-28T10:00:00Z', expires_at_height: null, closed_height: status === 'open' ? null : 95,
  missing: [], damaged: [], reason: null, ...over,
});
const handoffs = {
  [H1]: handoff(H1, ORGS.buyer, 'accepted'),
  [H3]: handoff(H3, ORGS.buyer, 'accepted', { entries: [{ key: BAG('0500') }], damaged: [{ key: BAG('0500') }] }),
  [H4]: handoff(H4, ORGS.buyer, 'open'),
  [H5]: handoff(H5, ORGS.mill, 'accepted'),
};
const PDF = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x0a, 0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a, 0xff, 0x00, 0x80]);
const CSV = 'id,kind,status,seller,buyer,outstanding\n' + portfolio.rows.map((r) => `${r.id},${r.kind},${r.status},${r.seller},${r.buyer},${r.outstanding?.amount ?? ''}`).join('\n') + '\n';
const exportOf = (name, mime, bytes) => ({ name, mime, data_base64: bytes.toString('base64'), sha256: crypto.createHash('sha256').update(bytes).digest('hex') });

// Answers one API request as the mocked node would, for the org signed in with `token`.
function answer(method, url, body, token) {
  const me = ORGS[token];
  const p = url.pathname;
  const q = url.searchParams;
  const ok = (json) => ({ status: 200, json });
  const action = (id, status) => ok({ id, status, tx: hex('ee'), height: 121 });
  if (p === '/v1/status') return ok({ chain_id: 'mock', height: 120, time_ms: NOW, state_root: null });
  if (p === '/v1/nonce') return me ? ok({ org: me.key, name: me.name, next_nonce: 1 }) : { status: 401, json: { error: { code: 'UNAUTHORIZED', message: 'sign in' } } };
  if (p === '/v1/orgs') return ok({ orgs: Object.values(ORGS).map((o) => ({ ...o, prefixes: [], glns: [], suspended: false, admitted_at: 0 })) });
  if (p === '/v1/handoffs/inbox') return ok({ org: me.key, incoming: [], outgoing: [] });
  // Home (the first screen) reads the org's stock: nothing held here.
  if (p === '/v1/stock') return ok({ org: { key: me.key, name: me.name }, height: 120, as_of: '2026-12-05T00:00:00Z', products: [], containers: [],
    totals: { products: 0, items: 0, lot_quantity: 0, containers: 0, lines: 0 }, arrivals: [], in_transit: [] });
  if (p === '/v1/activity') {
    return ok({ org: { key: me.key, name: me.name }, events: [H1, H3, H4, H5].map((h, i) => ({ tx: h, height: 90 + i, time: '2026-11-28T10:00:00Z', event_time: '2026-11-28T10:00:00Z', type: 'handoff_proposed', rejected: null }))
      .concat([{ tx: hex('99'), height: 80, time: '2026-11-20T10:00:00Z', event_time: '2026-11-20T10:00:00Z', type: 'commission', rejected: null }]) });
  }
  let m;
  if ((m = p.match(/^\/v1\/handoffs\/([0-9a-f]{64})$/))) return handoffs[m[1]] ? ok({ handoff: handoffs[m[1]] }) : { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no such handoff' } } };
  if (p === '/v1/finance/assets') return ok({ org: me.key, assets: token === 'lender' ? [r3, rcLender] : sellerAssets });
  if ((m = p.match(/^\/v1\/finance\/assets\/([0-9a-f]{64})\/evidence$/))) {
    const e = { [R1]: r1Evidence, [R3]: r3Evidence, [RC]: rcEvidence }[m[1]];
    return e ? ok(e) : { status: 501, json: { error: { code: 'NOT_IMPLEMENTED', message: 'not yet' } } };
  }
  if ((m = p.match(/^\/v1\/finance\/assets\/([0-9a-f]{64})$/))) {
    const a = [...sellerAssets, r3].find((x) => x.id === m[1]);
    return a ? ok({ asset: a, steps: steps(a.id, [['receivable_issued', 'Northside Roasters', 100], ['receivable_funded', 'Harbor Bank', 108]]) }) : { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no asset' } } };
  }
  if (p === '/v1/finance/portfolio') return ok(portfolio);
  if (p === '/v1/finance/export') {
    const f = q.get('format');
    if (!q.get('id') && f === 'csv') return ok(exportOf('handoff-portfolio-2026-12-05.csv', 'text/csv', Buffer.from(CSV)));
    if (q.get('id') && f === 'pdf') return ok(exportOf(`evidence-${q.get('id').slice(0, 8)}.pdf`, 'application/pdf', PDF));
    if (q.get('id') && f === 'json') return ok(exportOf(`evidence-${q.get('id').slice(0, 8)}.json`, 'application/json', Buffer.from(JSON.stringify(rcEvidence))));
  }
  if (method === 'POST' && p === '/v1/finance/receivables') return action(hex('a9'), 'issued');
  if (method === 'POST' && (m = p.match(/^\/v1\/finance\/(receivables|receipts)\/([0-9a-f]{64})\/([a-z-]+)$/))) return action(m[2], 'next');
  return { status: 404, json: { error: { code: 'NO_MOCK', message: `${method} ${p} is not mocked` } } };
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png' };
const ORIGIN = 'http://handoff.test';

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
    console.log(`FAIL ${name}\n     ${String(e.stack ?? e).split('\n').slice(0, 6).join('\n     ')}`);
  }
}
function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}
// The same JSON, whatever the order of object keys (the page sends them sorted).
const canon = (v) => (Array.isArray(v) ? v.map(canon) : v && typeof v === 'object'
  ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v);
const same = (a, b) => JSON.stringify(canon(a)) === JSON.stringify(canon(b));
const T = (id) => `[data-testid="${id}"]`;

// A page signed in as `token`'s org at viewport `vp` in `locale`: the UI's files from
// dist, its API requests answered by `answer` and kept in `sent`.
async function openPage(vp, token, locale = 'en-US') {
  const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height }, locale, acceptDownloads: true, isMobile: vp.name === 'phone', hasTouch: vp.name === 'phone' });
  const page = await ctx.newPage();
  const sent = [];
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route(`${ORIGIN}/**`, async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    if (url.pathname.startsWith('/v1/')) {
      const body = req.postData() ? JSON.parse(req.postData()) : undefined;
      const auth = (req.headers().authorization ?? '').replace('Bearer ', '');
      sent.push({ method: req.method(), path: url.pathname, query: Object.fromEntries(url.searchParams), body });
      const a = answer(req.method(), url, body, auth);
      return route.fulfill({ status: a.status, contentType: 'application/json', body: JSON.stringify(a.json) });
    }
    const file = path.join(dist, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname));
    if (!file.startsWith(dist) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, contentType: MIME[path.extname(file)] ?? 'application/octet-stream', body: fs.readFileSync(file) });
  });
  await page.goto(`${ORIGIN}/#token=${token}`);
  await page.locator(T('nav-finance')).waitFor({ state: 'attached' });
  return { ctx, page, sent, errors };
}
// On a phone, screens other than Home, Scan, Inbox and Stock are under "More".
async function nav(page, id) {
  const item = page.locator(T(`nav-${id}`));
  // On a wide screen every item is in the side bar (the Lender item appears once the
  // node has said the org is a lender): wait for it there.
  if (!(await item.isVisible()) && await page.locator(T('nav-more')).isVisible()) await page.locator(T('nav-more')).click();
  await item.click();
}
const lastPost = (sent) => sent.filter((s) => s.method === 'POST').at(-1);
const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
async function noticeSaying(page, text) {
  await page.waitForFunction((t) => document.querySelector('[data-testid="notice-banner"]')?.textContent.includes(t)
    || document.querySelector('[data-testid="error-banner"]'), text);
  const err = page.locator(T('error-banner'));
  if (await err.count()) throw new Error(`an error instead of "${text}": ${await err.innerText()}`);
  return page.locator(T('notice-banner')).innerText();
}
// Nothing of the page reaches past the viewport's width (the phone layout holds).
async function noSideScroll(page) {
  const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  expect(sw <= cw + 1, `the page is ${sw}px wide in a ${cw}px viewport`);
}

const VIEWPORTS = [{ name: 'desktop', width: 1280, height: 800 }, { name: 'phone', width: 390, height: 844 }];

try {
  for (const vp of VIEWPORTS) {
    // ------------------------------------------------------------ a supplier
    {
      const { ctx, page, sent, errors } = await openPage(vp, 'seller');
      await check(`${vp.name}: the supplier's invoices and receipts, with their status in words`, async () => {
        expect(await page.locator(T('nav-lender')).count() === 0, 'a supplier sees no Lender tab');
        await nav(page, 'finance');
        await page.locator(T('fin-asset')).first().waitFor();
        expect(await page.locator(T('fin-asset')).count() === 3, 'three assets');
        const text = await page.locator(T('fin-assets')).innerText();
        for (const s of ['Invoice INV-2026-014', 'Confirmed', 'Funded', 'Pledged', 'EUR 3,250.00',
          "Pledged to Harbor Bank: moves need the lender's release", 'Confirmed by Corner Grocer: can be financed, split or transferred',
          'Financed by Harbor Bank: Corner Grocer pays the outstanding balance']) {
          expect(text.includes(s), `list lacks "${s}":\n${text}`);
        }
        await shot(page, `finance-list-${vp.name}-en`);
        await noSideScroll(page);
      });

      await check(`${vp.name}: an invoice's evidence flags the damaged line and its alert is said in words`, async () => {
        await page.locator(`${T('fin-asset')}[data-id="${R1}"]`).click();
        await page.locator(T('fin-evidence')).waitFor();
        expect(await page.locator(T('fin-evidence')).getAttribute('data-matched') === 'false', 'evidence not matched');
        const lines = page.locator(T('ev-line'));
        expect(await lines.count() === 2, 'two lines');
        expect(await lines.nth(0).getAttribute('data-matched') === 'true', 'line 1 matched');
        expect((await lines.nth(0).innerText()).includes('✓'), 'line 1 ticked');
        const bad = await lines.nth(1).innerText();
        for (const s of ['✗', 'Line 2', 'Does not match', 'Reported damaged at acceptance', 'No purchase order behind it', 'EUR 400.00']) {
          expect(bad.includes(s), `line 2 lacks "${s}":\n${bad}`);
        }
        const terms = await page.locator(T('fin-terms')).innerText();
        expect(terms.includes('INV-2026-014') && terms.includes('EUR 1,200.00'), terms);
        const alert = await page.locator(T('fin-alert')).innerText();
        expect(alert.includes(`Invoiced goods reported missing or damaged: ${BAG('0023')}`), alert);
        const buttons = await page.locator(`${T('fin-actions')} button[data-step]`).evaluateAll((b) => b.map((x) => x.dataset.step));
        expect(JSON.stringify(buttons) === JSON.stringify(['request', 'split', 'transfer', 'dilute']), `buttons: ${buttons}`);
        await shot(page, `finance-detail-${vp.name}-en`);
        await noSideScroll(page);
      });

      await check(`${vp.name}: "Request financing" sends receivable_request to the chosen lender`, async () => {
        await page.locator(T('fin-do-request')).click();
        await page.locator(T('fin-f-org')).selectOption('Harbor Bank');
        await page.locator(T('fin-step-submit')).click();
        const n = await noticeSaying(page, 'Financing requested');
        expect(n.includes('block 121'), n);
        const post = lastPost(sent);
        expect(post.path === `/v1/finance/receivables/${R1}/request`, post.path);
        expect(same(post.body, { lender: 'Harbor Bank' }), JSON.stringify(post.body));
      });

      await check(`${vp.name}: a missing field is said before anything is sent`, async () => {
        const before = sent.length;
        await page.locator(T('fin-do-dilute')).click();
        await page.locator(T('fin-f-amount')).fill('25.00');
        await page.locator(T('fin-step-submit')).click();
        const banner = await page.locator(T('error-banner')).innerText();
        expect(banner.includes('Fill in: Reason'), banner);
        expect(!sent.slice(before).some((s) => s.method === 'POST'), 'nothing sent');
        await page.locator(`${T('error-banner')} button`).click();
        await page.locator(T('fin-f-reason')).fill('2 bags returned');
        await page.locator(T('fin-step-submit')).click();
        await noticeSaying(page, 'Credit note recorded');
        const post = lastPost(sent);
        expect(post.path.endsWith('/dilute') && post.body.amount === '25.00' && post.body.reason === '2 bags returned', JSON.stringify(post));
      });

      await check(`${vp.name}: an asset the node has no evidence for yet is shown from finance_show`, async () => {
        await page.locator(T('fin-back')).click();
        await page.locator(`${T('fin-asset')}[data-id="${R2}"]`).click();
        await page.locator(T('fin-evidence-unavailable')).waitFor();
        const terms = await page.locator(T('fin-terms')).innerText();
        expect(terms.includes('EUR 4,000.00') && terms.includes('EUR 60.00') && terms.includes('EUR 1,750.00'), terms);
        expect(await page.locator(T('fin-step')).count() === 2, 'two steps');
        expect(sent.some((s) => s.path === `/v1/finance/assets/${R2}`), 'finance_show asked');
        await page.locator(T('fin-back')).click();
      });

      await check(`${vp.name}: "Issue invoice" lists the accepted deliveries to the buyer and sends receivable_issue`, async () => {
        await page.locator(T('fin-new-invoice')).click();
        await page.locator(T('fin-f-buyer')).selectOption(ORGS.buyer.key);
        await page.locator(T('fin-delivery')).first().waitFor();
        const ids = await page.locator(T('fin-delivery')).evaluateAll((l) => l.map((x) => x.dataset.id));
        // H4 is still open and H5 went to another org: only H1 and H3.
        expect(JSON.stringify(ids) === JSON.stringify([H1, H3]), `deliveries: ${ids}`);
        expect(await page.locator(`${T('fin-delivery')}[data-id="${H1}"] ${T('fin-delivery-pick')}`).isDisabled(), 'an invoiced delivery is not offered again');
        const h3 = await page.locator(`${T('fin-delivery')}[data-id="${H3}"]`).innerText();
        expect(h3.includes('with exceptions'), h3);
        await page.locator(`${T('fin-delivery')}[data-id="${H3}"] ${T('fin-delivery-amount')}`).fill('450.50');
        await page.locator(T('fin-f-invoice')).fill('INV-2026-020');
        await page.locator(T('fin-f-due')).fill('2027-01-31');
        expect((await page.locator(T('fin-total')).innerText()).includes('EUR 450.50'), 'total');
        await shot(page, `finance-invoice-form-${vp.name}-en`);
        await page.locator(T('fin-issue-invoice')).click();
        await noticeSaying(page, 'Invoice issued');
        const post = lastPost(sent);
        expect(post.path === '/v1/finance/receivables', post.path);
        const want = { buyer: ORGS.buyer.key, invoice: 'INV-2026-020', currency: 'EUR', lines: [`${H3}=450.50`], due: '2027-01-31' };
        expect(same(post.body, want), JSON.stringify(post.body));
      });
      if (errors.length) { failures++; console.log(`FAIL ${vp.name}: script errors\n     ${errors.join('\n     ')}`); }
      await ctx.close();
    }

    // ------------------------------------------------------------ a lender
    for (const locale of ['en-US', 'zh-CN']) {
      const lang = locale === 'en-US' ? 'en' : 'zh';
      const { ctx, page, sent, errors } = await openPage(vp, 'lender', locale);
      await check(`${vp.name} ${lang}: the lender's dashboard: figures, alerts in words, charts, assets`, async () => {
        await nav(page, 'lender');
        await page.locator(T('lender-rows')).waitFor();
        const q = sent.find((s) => s.path === '/v1/finance/portfolio');
        expect(q.query.role === 'lender', JSON.stringify(q.query));
        const alerts = await page.locator(T('lender-alerts')).innerText();
        const want = lang === 'en'
          ? [`Pledged goods left the warehouse's custody: ${BAG('0261')}`, 'Overdue: not paid by the due date', 'A party is suspended: Corner Grocer']
          : [`质押货物已离开仓库保管：${BAG('0261')}`, '逾期：未在到期日前付款', '参与方已被暂停：Corner Grocer'];
        for (const s of want) expect(alerts.includes(s), `alerts lack "${s}":\n${alerts}`);
        expect(!alerts.includes('pledged goods left the warehouse\n'), 'the node\'s English words are not the alert text');
        const bars = await page.locator(T('exposure-bar')).evaluateAll((b) => b.map((x) => [x.dataset.name, Number(x.dataset.value)]));
        expect(JSON.stringify(bars) === JSON.stringify([['Corner Grocer', 12500], ['Northside Roasters', 7250], ['Valley Mill', 2400]]), JSON.stringify(bars));
        const ageing = await page.locator(T('ageing-bar')).evaluateAll((b) => b.map((x) => [x.dataset.bucket, Number(x.dataset.value)]));
        expect(JSON.stringify(ageing) === JSON.stringify([['current', 14650], ['1-30', 4100], ['31-60', 0], ['61-90', 3400], ['90+', 0]]), JSON.stringify(ageing));
        expect(await page.locator(T('timeline-day')).count() === 14, 'a bar per day');
        expect(await page.locator(T('timeline-day')).last().getAttribute('data-total') === '8', 'last day total');
        const legend = await page.locator(T('timeline-legend')).innerText();
        expect(legend.includes(lang === 'en' ? 'Funded' : '已放款'), legend);
        // Chart text is drawn at a readable size on screen.
        const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll('svg.chart text')].map((t) => t.getBoundingClientRect().height).filter((h) => h > 0)));
        expect(smallest >= 10, `chart text ${smallest}px high`);
        const rows = await page.locator(T('lender-rows')).innerText();
        expect(rows.includes(lang === 'en' ? '64 days past due' : '逾期 64 天'), rows);
        expect(rows.includes('EUR 3,400.00'), rows);
        const cp = await page.locator(T('lender-counterparties')).innerText();
        expect(cp.includes('95.7%') && cp.includes('6.5%'), cp);
        await shot(page, `lender-dashboard-${vp.name}-${lang}`);
        await noSideScroll(page);
      });

      await check(`${vp.name} ${lang}: "Portfolio CSV" saves the node's file`, async () => {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(T('fin-export-csv')).click()]);
        expect(dl.suggestedFilename() === 'handoff-portfolio-2026-12-05.csv', dl.suggestedFilename());
        const file = await dl.path();
        expect(fs.readFileSync(file, 'utf8') === CSV, 'csv content');
        const q = sent.filter((s) => s.path === '/v1/finance/export').at(-1);
        expect(q.query.format === 'csv' && !q.query.id, JSON.stringify(q.query));
      });

      await check(`${vp.name} ${lang}: a financing request opens with its evidence; "Make an offer" sends receivable_offer`, async () => {
        await page.locator(`${T('lender-row')}[data-id="${R3}"]`).click();
        await page.locator(T('fin-evidence')).waitFor();
        expect(await page.locator(T('fin-evidence')).getAttribute('data-matched') === 'true', 'matched');
        expect((await page.locator(T('ev-line')).innerText()).includes('✓'), 'ticked');
        await page.locator(T('fin-do-offer')).click();
        await page.locator(T('fin-f-advance')).fill('85');
        await page.locator(T('fin-f-fee')).fill('12.50');
        await shot(page, `lender-offer-${vp.name}-${lang}`);
        await page.locator(T('fin-step-submit')).click();
        await noticeSaying(page, lang === 'en' ? 'Offer made · block 121' : '已报价 · 区块 121');
        const post = lastPost(sent);
        expect(post.path === `/v1/finance/receivables/${R3}/offer`, post.path);
        expect(same(post.body, { advance: '85', fee: '12.50' }), JSON.stringify(post.body));
        await page.locator(T('fin-back')).click();
      });

      await check(`${vp.name} ${lang}: a pledged receipt shows the moved good, saves its PDF evidence pack intact, and releases goods`, async () => {
        await page.locator(`${T('lender-row')}[data-id="${RC}"]`).click();
        await page.locator(T('ev-good')).first().waitFor();
        const moved = page.locator(`${T('ev-good')}[data-flags="moved"]`);
        expect((await moved.innerText()).includes(lang === 'en' ? 'moved out of the warehouse' : '已移出仓库'), await moved.innerText());
        const say = await page.locator(`${T('fin-asset-card')} ${T('fin-say')}`).innerText();
        expect(say === (lang === 'en' ? "Pledged to Harbor Bank: moves need the lender's release" : '已质押给 Harbor Bank：货物移动需经放款方解押'), say);
        await shot(page, `lender-detail-${vp.name}-${lang}`);
        await noSideScroll(page);
        const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(T('fin-export-pdf')).click()]);
        expect(Buffer.compare(fs.readFileSync(await dl.path()), PDF) === 0, 'the PDF is saved byte for byte');
        await page.locator(T('fin-do-release')).click();
        await page.locator(T('fin-f-scans')).fill(BAG('0260'));
        await page.locator(T('fin-step-submit')).click();
        await noticeSaying(page, lang === 'en' ? 'Goods released' : '货物已解押');
        const post = lastPost(sent);
        expect(post.path === `/v1/finance/receipts/${RC}/release` && same(post.body, { goods: [BAG('0260')] }), JSON.stringify(post));
      });
      if (errors.length) { failures++; console.log(`FAIL ${vp.name} ${lang}: script errors\n     ${errors.join('\n     ')}`); }
      await ctx.close();
    }
  }
} finally {
  await browser.close();
}
console.log(failures ? `${failures} failed` : 'all finance UI checks passed');
process.exit(failures ? 1 : 0);
