// azurite.js — runs azurite, Microsoft's Azure Storage emulator, for a test
// (argv: DIR CONTAINER PORTFILE), or lists a container's committed blobs
// (argv: list PORT CONTAINER, by a signed List Blobs), or writes a blob's
// bytes to stdout (argv: get PORT CONTAINER/NAME, by a signed Get Blob):
// the tests' view of the store, not dbcare's. its blob service on 127.0.0.1 at a free
// port, its data in DIR, one account read from the environment
// (AZURITE_ACCOUNTS=NAME:KEY, never argv, which `ps` shows). Azurite checks
// each request's Shared Key signature and SAS itself (a wrong key is
// refused with 403). In front of it, on another free loopback port, a
// small proxy: it logs each request on stdout ("request METHOD URL", the
// SAS signature cut: the tests read which requests an upload made) and
// plays a store holding other bytes than it was sent: a PUT of a blob, or
// a block of one, whose name holds "corrupt" is answered with a
// Content-MD5 that is not its bytes'; a PUT or GET of one whose name
// holds "busy" is answered 503 ServerBusy the first two times (each
// block, each block list), as a busy account asks a client to slow down. On SIGUSR1 it resets every client
// connection it holds (a network error in the middle of a request, the
// store itself up). CONTAINER is created first (a signed request). The proxy's port is written to PORTFILE once both
// listen.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const [dir, container, portFile] = process.argv.slice(2);
const [account, key] = (process.env.AZURITE_ACCOUNTS || '').split(':');
// AZURITE_TLS_DIR (key.pem, cert.pem): the proxy serves HTTPS, as a
// client that requires TLS (pgBackRest) wants; list and get reach it so
const tlsDir = process.env.AZURITE_TLS_DIR;
if (dir === 'list' || dir === 'get') {
  const query = dir === 'list' ? { restype: 'container', comp: 'list' } : {};
  signed('GET', Number(container), portFile, query, (body) => {
    if (dir === 'get') process.stdout.write(body);
    else for (const m of body.toString('utf8').matchAll(/<Name>([^<]*)<\/Name>/g)) console.log(m[1]);
  }, Boolean(tlsDir)).catch((e) => { console.error(e.message); process.exit(1); });
  return;
}
process.argv = [process.argv[0], 'azurite-blob', '--blobHost', '127.0.0.1', '--blobPort', '0',
  '--location', dir, '--silent', '--skipApiVersionCheck', '--disableTelemetry'];
// Azurite's telemetry module loads Application Insights (about 2,800 of
// the 3,600 modules a start loads: two thirds of its CPU) whatever
// --disableTelemetry says, and uses it only once its telemetry is
// initialized, which this file never asks for (it starts the blob server
// alone). A stand-in that throws on any use takes its place (the package
// installed under its name is an empty one: test/harness/azurite_install.sh).
const Module = require('module');
const insights = require.resolve('applicationinsights',
  { paths: [require('path').dirname(require.resolve('azurite/dist/src/common/Telemetry'))] });
const standIn = new Module(insights);
standIn.filename = insights;
standIn.loaded = true;
standIn.exports = new Proxy({}, { get(_, name) {
  throw new Error(`azurite used Application Insights (${String(name)}) with its telemetry off`);
} });
require.cache[insights] = standIn;
const { BlobServerFactory } = require('azurite/dist/src/blob/BlobServerFactory');

// A request of the container or a blob (name: CONTAINER[/BLOB]) signed as
// Azure's Shared Key wants; done gets the answer's body (a Buffer; 2xx
// only); over HTTPS to localhost when secure (the proxy's certificate).
function signed(method, port, name, query, done, secure) {
  const date = new Date().toUTCString();
  const path = `/${account}/${name}`;
  const keys = Object.keys(query).sort();
  const toSign = [method, '', '', '', '', '', '', '', '', '', '', '',
    `x-ms-date:${date}\nx-ms-version:2021-08-06\n/${account}${path}` +
    keys.map((k) => `\n${k}:${query[k]}`).join('')].join('\n');
  const search = keys.length ? '?' + keys.map((k) => `${k}=${query[k]}`).join('&') : '';
  const sig = crypto.createHmac('sha256', Buffer.from(key, 'base64')).update(toSign).digest('base64');
  return new Promise((resolve, reject) => {
    const tls = secure ? { host: 'localhost', ca: fs.readFileSync(tlsDir + '/cert.pem') } : {};
    const req = (secure ? require('https') : http).request({ host: '127.0.0.1', port, method, ...tls,
      path: path + search,
      headers: { 'x-ms-date': date, 'x-ms-version': '2021-08-06', 'Content-Length': 0,
                 Authorization: `SharedKey ${account}:${sig}` } }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        if (res.statusCode >= 200 && res.statusCode < 300 || res.statusCode === 409) {
          done(Buffer.concat(chunks));
          resolve();
        } else reject(new Error(`${method} ${path}: HTTP ${res.statusCode}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}
const createContainer = (port) => signed('PUT', port, container, { restype: 'container' }, () => {});

const front = (handler) => tlsDir
  ? require('https').createServer({ key: fs.readFileSync(tlsDir + '/key.pem'),
                                    cert: fs.readFileSync(tlsDir + '/cert.pem') }, handler)
  : http.createServer(handler);
const busyAnswered = new Map(); // a busy request's method and URL: the 503s answered
function proxy(port) {
  return front((req, res) => {
    const logged = req.url.replace(/([?&]sig=)[^&]*/, '$1...');
    console.log(`request ${req.method} ${logged}`);
    const busyKey = req.method + logged;
    if ((req.method === 'PUT' || req.method === 'GET') && /busy[^/?]*(\?|$)/.test(req.url) &&
        (busyAnswered.get(busyKey) || 0) < 2) {
      busyAnswered.set(busyKey, (busyAnswered.get(busyKey) || 0) + 1);
      console.log(`busy ${req.method} ${logged}`);
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml', 'x-ms-error-code': 'ServerBusy' });
      res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code>' +
        '<Message>The server is busy.</Message></Error>');
      return;
    }
    const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url,
                              headers: req.headers }, (answer) => {
      const headers = { ...answer.headers };
      if (req.method === 'PUT' && /corrupt[^/?]*(\?|$)/.test(req.url) &&
          answer.statusCode < 300 && !/comp=blocklist/.test(req.url))
        headers['content-md5'] = 'AAAAAAAAAAAAAAAAAAAAAA==';
      res.writeHead(answer.statusCode, headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.on('aborted', () => up.destroy());
    req.pipe(up);
  });
}

(async () => {
  const server = await new BlobServerFactory().createServer();
  await server.start();
  const port = Number(/:(\d+)$/.exec(server.getHttpServerAddress())[1]);
  await createContainer(port);
  const front = proxy(port);
  const open = new Set();
  front.on('connection', (sock) => { open.add(sock); sock.on('close', () => open.delete(sock)); });
  process.on('SIGUSR1', () => { for (const sock of open) sock.resetAndDestroy ? sock.resetAndDestroy() : sock.destroy(); });
  front.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(portFile + '.tmp', String(front.address().port));
    fs.renameSync(portFile + '.tmp', portFile);
  });
})().catch((e) => { console.error(e); process.exit(1); });
