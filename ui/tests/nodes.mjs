// What the browser tests share: the built UI, the `handoff` binary, and nodes under test
// on the demo chain (each killed at the end, whatever failed). Used by run.mjs (the staff
// UI) and pwa.mjs (the installable phone app).
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const dist = path.resolve(here, '..', 'dist');
export const artifacts = path.resolve(here, 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  console.error(`no UI build in ${dist}: run cargo xtask ui first`);
  process.exit(2);
}
export const cli = process.env.HANDOFF_CLI ?? path.resolve(root, 'target', 'debug', 'handoff');
if (!fs.existsSync(cli)) {
  console.error(`no handoff CLI at ${cli}: build it (cargo build -p handoff-cli) or set HANDOFF_CLI`);
  process.exit(2);
}

// ---------------------------------------------------------------- nodes under test

const running = new Set();
export function killAll() {
  for (const n of running) {
    try { n.child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  running.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });

export const handoff = (data, ...args) => JSON.parse(execFileSync(cli, ['--data', data, '--json', ...args]).toString());

// Starts `args` on the CLI, its stderr into `log`, and waits for its `"ready"` JSON line
// (`what` names it in errors); the process is killed at the end, whatever failed.
export async function spawnReady(args, log, what) {
  const fd = fs.openSync(log, 'w');
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', fd] });
  const proc = { child };
  running.add(proc);
  const ready = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 60 s: ${out}`)), 60000);
    child.stdout.on('data', (b) => {
      out += b;
      const line = out.split('\n').find((l) => l.includes('"ready"'));
      if (line) { clearTimeout(timer); resolve(JSON.parse(line)); }
    });
    child.on('exit', (c) => { clearTimeout(timer); reject(new Error(`${what} exited (${c}): ${fs.readFileSync(log)}`)); });
  });
  return {
    child,
    ready,
    async stop() {
      running.delete(proc);
      child.kill('SIGTERM');
      await new Promise((r) => { if (child.exitCode !== null) r(); else child.on('exit', r); setTimeout(r, 10000); });
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

// A node under test is a function returning `{ base, tokens: {NAME: token}, stop() }`:
// the URL of the UI it serves and a sign-in token per organization. This one is a full
// node (the folder's validator) on the demo chain; `lightNodeOnDemoChain` is a light
// node following such a full node. `auditors` are admitted with the auditor role (by the
// demo's registrar) before the node starts, so they can be signed in like the demo's
// organizations.
export async function fullNodeOnDemoChain(orgs, auditors = []) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-ui-'));
  execFileSync(cli, ['--data', data, 'demo', '--quiet'], { stdio: 'ignore' });
  for (const name of auditors) handoff(data, 'org', 'add', name, '--role', 'auditor');
  orgs = [...orgs, ...auditors];
  const tokens = {};
  for (const name of orgs) tokens[name] = handoff(data, 'node', 'token', name).token;
  // The chain's genesis, for a light node to join it (read before the node holds the store).
  const { genesis } = handoff(data, 'genesis');
  let proc;
  try {
    proc = await spawnReady(['--data', data, 'node', 'run', '--validator', '--no-mdns',
      '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--ui', dist], path.join(data, 'node.log'), 'the node');
  } catch (e) {
    fs.rmSync(data, { recursive: true, force: true });
    throw e;
  }
  const { ready } = proc;
  const file = JSON.parse(fs.readFileSync(path.join(data, 'node.json')));
  if (file.browser_url !== ready.browser_url || !file.browser_url?.includes('#token=')) {
    await proc.stop();
    throw new Error(`node.json and the ready line disagree on the browser link: ${file.browser_url} / ${ready.browser_url}`);
  }
  return {
    base: `http://${file.http}`,
    link: file.browser_url,
    tokens,
    data,
    genesis,
    listen: ready.listen,
    async stop() {
      await proc.stop();
      fs.rmSync(data, { recursive: true, force: true });
    },
  };
}

// A typed API call on a node's HTTP server (`GET` for a read, `POST` with a JSON body for
// an action), signed with `token`; answers the JSON, or throws the node's error.
export async function api(base, route, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${base}${route}`, { method: body ? 'POST' : 'GET', headers, body: body && JSON.stringify(body) });
  const json = await r.json();
  if (!r.ok) throw new Error(`${route}: HTTP ${r.status} ${JSON.stringify(json)}`);
  return json;
}
export async function until(what, ms, fn) {
  const t = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() - t > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
