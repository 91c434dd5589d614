// A cluster on loopback for `make test-cluster`: one IM server process, N sdkgate node processes
// and nginx (the Debian package, run as this test's own process with everything in a temp dir),
// whose config is generated from the shipped deploy/nginx/sdkgate.conf with only its addresses
// replaced (nginxConfig), so the test proves the file operators install.
//
// Without nginx the cluster refuses to start, saying so: nothing here pretends to be a proxy.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../helpers/client.ts';
import { imPost, TEST_SECRET } from '../helpers/im.ts';
import { killAll, startProcess, waitForOutput, type Proc } from '../helpers/process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHIPPED_CONF = join(ROOT, 'deploy/nginx/sdkgate.conf');
const ADMIN_TOKEN = 'cluster-admin-token-0123456789';

/** The nginx binary: on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
function findNginx(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    const p = join(dir, 'nginx');
    if (dir && existsSync(p)) return p;
  }
  return null;
}

const NO_NGINX = 'nginx is not installed: make test-cluster runs the Debian package (apt-get install nginx-light; .ci/run installs it)';

/** A free loopback port (nginx and the node list need fixed ports; a tiny race, retried by callers). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The shipped config with the test's addresses: every `server host:port ...;` line of the
 * `upstream sdkgate` block becomes one per node (keeping the first line's parameters), and
 * `listen 80;` becomes `listen 127.0.0.1:<port>;`. Everything else is the file as shipped.
 */
export function nginxConfig(shipped: string, listenPort: number, nodePorts: readonly number[]): string {
  const lines = shipped.split('\n');
  const out: string[] = [];
  let inUpstream = false;
  let replaced = false;
  let listened = false;
  for (const line of lines) {
    if (/^\s*upstream\s+sdkgate\s*\{/.test(line)) inUpstream = true;
    else if (inUpstream && /^\s*\}/.test(line)) inUpstream = false;
    const server = inUpstream ? /^(\s*)server\s+\S+(.*);/.exec(line) : null;
    if (server) {
      if (!replaced) for (const p of nodePorts) out.push(`${server[1]}server 127.0.0.1:${p}${server[2]};`);
      replaced = true;
      continue;
    }
    if (/^\s*listen\s+80;/.test(line)) {
      out.push(line.replace(/listen\s+80;/, `listen 127.0.0.1:${listenPort};`));
      listened = true;
      continue;
    }
    out.push(line);
  }
  if (!replaced || !listened) throw new Error(`${SHIPPED_CONF}: no upstream server lines or no "listen 80;" to replace`);
  return out.join('\n');
}

/** nginx.conf around the shipped file: pid, logs and temp paths inside `dir`. */
function mainConfig(dir: string, include: string): string {
  const asRoot = process.getuid?.() === 0;
  return [
    // Workers run as this user; as root, root (the temp dir is ours alone).
    asRoot ? 'user root root;' : '',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    `  access_log ${dir}/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`),
    `  include ${include};`,
    '}',
    '',
  ].join('\n');
}

export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  /** http://127.0.0.1:port */
  readonly base: string;
  proc: Proc | null;
  readonly dbDir: string;
  /** Start (or restart after a kill) with the same port, data dir and id. */
  start(): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** An admin request to this node (bearer token). */
  admin(method: string, path: string): Promise<{ status: number; body: any }>;
  /** The (userID, platformID) pairs with a session on this node. */
  sessions(): Promise<Array<{ userID: string; platformID: number; state: string; connections: number }>>;
  metrics(): Promise<string>;
}

interface Im {
  readonly apiAddress: string;
  readonly wsAddress: string;
  register(userIDs: readonly string[]): Promise<void>;
  /** One token per user (issuing another would kick the first). */
  token(userID: string): Promise<string>;
  adminToken(): Promise<string>;
}

export interface Cluster {
  readonly im: Im;
  readonly nodes: readonly ClusterNode[];
  /** ws://127.0.0.1:<nginx port>: what clients use as wsAddr. */
  readonly url: string;
  readonly nginxLog: () => string;
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly nodes: number;
  /** Extra flags for every node (after the harness's own). */
  readonly nodeArgs?: readonly string[];
  /** Extra flags for the IM server (`sdkgate imserver`). */
  readonly imArgs?: readonly string[];
  /** The sdkgate checkout to run (default: this one), e.g. an older commit for before/after figures. */
  readonly root?: string;
  /** Flags only this checkout knows (--trust-proxy); false for an older root. Default true. */
  readonly current?: boolean;
}

let exitHook = false;

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const nginxBin = findNginx();
  if (!nginxBin) throw new Error(NO_NGINX);
  // A test process that dies without its afterAll must not leave nodes and nginx running.
  if (!exitHook) process.once('exit', killAll);
  exitHook = true;
  const root = o.root ?? ROOT;
  const cli = join(root, 'src/cli.ts');
  const dir = mkdtempSync(join(tmpdir(), 'sdkgate-cluster-'));
  const procs: Proc[] = [];
  const started = (p: Proc): Proc => (procs.push(p), p);
  try {
    // The IM server: its own process, so a node's SIGKILL cannot touch it.
    const imProc = started(startProcess(process.execPath, [cli, 'imserver', '--api-port', '0', '--ws-port', '0', '--data-dir', join(dir, 'im'), '--secret', TEST_SECRET, '--log-level', 'warn', ...(o.imArgs ?? [])]));
    const m = await waitForOutput(imProc, /REST (http:\/\/\S+)\s+message gateway (ws:\/\/\S+)/, 30_000);
    const im = imClient(m[1]!, m[2]!);

    const nodes: ClusterNode[] = [];
    for (let i = 0; i < o.nodes; i++) nodes.push(makeNode(`node-${String.fromCharCode(97 + i)}`, await freePort(), join(dir, `sdk-${i}`), cli, im, o, started));
    await Promise.all(nodes.map((n) => n.start()));

    // nginx, with the shipped config.
    const nginxDir = join(dir, 'nginx');
    mkdirSync(nginxDir);
    let port = 0;
    let nginx: Proc | null = null;
    for (let attempt = 0; attempt < 3 && !nginx; attempt++) {
      port = await freePort();
      writeFileSync(join(nginxDir, 'sdkgate.conf'), nginxConfig(readFileSync(SHIPPED_CONF, 'utf8'), port, nodes.map((n) => n.port)));
      writeFileSync(join(nginxDir, 'nginx.conf'), mainConfig(nginxDir, join(nginxDir, 'sdkgate.conf')));
      // Its own process group: nginx workers outlive a killed master, so the group is killed.
      const p = started(startProcess(nginxBin, ['-p', nginxDir, '-c', join(nginxDir, 'nginx.conf'), '-g', 'daemon off;'], { detached: true }));
      if (await listening(port, p)) nginx = p;
    }
    if (!nginx) throw new Error(`nginx did not start: ${readIf(join(nginxDir, 'error.log'))}`);
    return {
      im,
      nodes,
      url: `ws://127.0.0.1:${port}`,
      nginxLog: () => readIf(join(nginxDir, 'error.log')),
      async close() {
        await stopAll(procs);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await stopAll(procs);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function readIf(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** nginx is up once its port accepts; false if it exited first (port taken). */
async function listening(port: number, p: Proc): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return false;
    try {
      await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

async function stopAll(procs: readonly Proc[]): Promise<void> {
  await Promise.all(procs.map(async (p) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    try {
      process.kill(-p.child.pid!, 'SIGKILL'); // a detached group (nginx and its workers)
    } catch {
      p.child.kill('SIGKILL');
    }
    await until(p.exited, 10_000, 'a cluster process to exit').catch(() => undefined);
  }));
}

function imClient(apiAddress: string, wsAddress: string): Im {
  let admin: Promise<string> | undefined;
  const tokens = new Map<string, Promise<string>>();
  const adminToken = (): Promise<string> => {
    admin ??= imPost<{ token: string }>(apiAddress, '/auth/get_admin_token', { secret: TEST_SECRET, userID: 'imAdmin' }).then((d) => d.token);
    return admin;
  };
  return {
    apiAddress,
    wsAddress,
    adminToken,
    async register(userIDs) {
      for (let i = 0; i < userIDs.length; i += 500) {
        const users = userIDs.slice(i, i + 500).map((userID) => ({ userID, nickname: userID, faceURL: '', ex: '' }));
        await imPost(apiAddress, '/user/user_register', { users }, await adminToken());
      }
    },
    token(userID) {
      let t = tokens.get(userID);
      if (!t) {
        t = adminToken().then((a) => imPost<{ token: string }>(apiAddress, '/auth/get_user_token', { userID, platformID: 5 }, a)).then((d) => d.token);
        tokens.set(userID, t);
      }
      return t;
    },
  };
}

function makeNode(id: string, port: number, dbDir: string, cli: string, im: Im, o: ClusterOptions, started: (p: Proc) => Proc): ClusterNode {
  const base = `http://127.0.0.1:${port}`;
  const admin = async (method: string, path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Prometheus text
    }
    return { status: res.status, body };
  };
  const node: ClusterNode = {
    id,
    port,
    base,
    dbDir,
    proc: null,
    async start() {
      const args = [
        cli, '--sdk_ws_port', String(port), '--host', '127.0.0.1', '--openIM_api_address', im.apiAddress, '--openIM_ws_address', im.wsAddress,
        '--openIMDbDir', dbDir, '--node-id', id, '--admin-token', ADMIN_TOKEN, '--openIM_log_level', 'warn', '--demo', 'false',
        ...(o.current === false ? [] : ['--trust-proxy', '127.0.0.1']),
        ...(o.nodeArgs ?? []),
      ];
      const p = started(startProcess(process.execPath, args));
      node.proc = p;
      await waitForOutput(p, /listening on ws:\/\//, 30_000);
    },
    async kill() {
      const p = node.proc;
      if (!p) return;
      p.child.kill('SIGKILL');
      await until(p.exited, 10_000, `${id} to die`);
      node.proc = null;
    },
    admin,
    async sessions() {
      const r = await admin('GET', '/admin/sessions');
      if (r.status !== 200) throw new Error(`${id} /admin/sessions: ${r.status}`);
      return (r.body as { sessions: Array<{ userID: string; platformID: number; state: string; connections: number }> }).sessions;
    },
    async metrics() {
      return String((await admin('GET', '/metrics')).body);
    },
  };
  return node;
}
