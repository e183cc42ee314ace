// s3rver.js — runs the s3rver S3 emulator for a test, on 127.0.0.1 only, at
// a free port, its objects in DIR (argv: DIR BUCKET PORTFILE). It accepts
// one key pair, read from the environment (S3_TEST_KEY_ID,
// S3_TEST_SECRET: never argv, which `ps` shows). s3rver itself does not
// check a Signature V4 (it takes any), so this file does, the way AWS
// does, before s3rver sees the request: a request signed with another
// secret, or whose canonical form (path, sorted query, signed headers)
// differs from what was signed, is refused with 403 SignatureDoesNotMatch.
// The port is written to PORTFILE once it listens. Each request is logged
// on stdout ("request METHOD URL": the tests read which requests an upload
// made). A PUT of an object whose name holds "corrupt", or of a part of
// one, is answered with an ETag that is not its MD5: a store holding other
// bytes than it was sent. An object whose name holds "kms" is kept as an
// SSE-KMS bucket keeps it: its parts and the completed object answer
// x-amz-server-side-encryption: aws:kms and ETags that are no MD5 (the
// completion must name the parts by those). A listing of a prefix holding
// "endless" answers IsTruncated=true forever (a new token and one name a
// page); one holding "huge" answers a page of more than 1 MiB. A PUT of an
// object whose name holds "taken" is refused (412 PreconditionFailed), as
// a write-once bucket refuses to replace another writer's object. A PUT or
// GET of an object whose name holds "busy" (or of a part of one) is
// answered 503 SlowDown the first two times, as a busy bucket asks a
// client to slow down. A PUT of an object with Content-MD5 is published only whole and
// matching it, as AWS does (s3rver alone publishes a cut PUT).
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const { dirname } = require('path');
const S3rver = require('s3rver');
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account');
const [dir, bucket, portFile] = process.argv.slice(2);
const keyId = process.env.S3_TEST_KEY_ID;
const secret = process.env.S3_TEST_SECRET;
// the key id KEY_IDT is the same secret with a session token: its requests
// must carry S3_TEST_TOKEN as x-amz-security-token, signed
const tokenKeyId = keyId + 'T';
const token = process.env.S3_TEST_TOKEN;
delete process.env.S3_TEST_SECRET;
delete process.env.S3_TEST_TOKEN;
DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
DUMMY_ACCOUNT.createKeyPair(keyId, secret);
DUMMY_ACCOUNT.createKeyPair(tokenKeyId, secret);

const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
// AWS's URI encoding: unreserved characters kept, every other byte %XX
const uriEncode = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
  (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

// Why the request's Signature V4 does not hold; null when it does.
function sigv4Fault(req) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'no Signature V4 Authorization header';
  const [, id, day, region, signedHeaders, signature] = m;
  if (id !== keyId && id !== tokenKeyId) return 'unknown access key';
  if (id === tokenKeyId && (!token || req.headers['x-amz-security-token'] !== token))
    return 'the session token is missing or differs';
  const date = req.headers['x-amz-date'];
  if (!date || !date.startsWith(day)) return 'x-amz-date missing or off its scope';
  const payload = req.headers['x-amz-content-sha256'];
  if (!payload) return 'x-amz-content-sha256 missing';
  const names = signedHeaders.split(';');
  for (const h of ['host', 'x-amz-date', 'x-amz-content-sha256'])
    if (!names.includes(h)) return h + ' is not signed';
  for (const h of Object.keys(req.headers))
    if (h.startsWith('x-amz-') && !names.includes(h)) return h + ' is not signed';
  const [rawPath, rawQuery = ''] = req.url.split(/\?(.*)/s);
  const path = rawPath.split('/').map((seg) => uriEncode(decodeURIComponent(seg))).join('/');
  const query = rawQuery === '' ? '' : rawQuery.split('&').map((kv) => {
    const [k, v = ''] = kv.split(/=(.*)/s);
    return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => k + '=' + v).join('&');
  const headers = names.map((h) =>
    h + ':' + String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ') + '\n').join('');
  const canonical = [req.method, path, query, headers, signedHeaders, payload].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n');
  let key = hmac('AWS4' + secret, day);
  for (const part of [region, 's3', 'aws4_request']) key = hmac(key, part);
  const want = hmac(key, toSign).toString('hex');
  return want === signature ? null : 'the signature differs';
}

// BUCKET.s3.localhost:PORT is the bucket reached virtual-host style (curl
// takes every *.localhost name for the loopback address)
// S3_TEST_TLS_DIR (key.pem, cert.pem): HTTPS, as a client that requires
// TLS (pgBackRest) wants
const tls = process.env.S3_TEST_TLS_DIR;
const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: false,
                            serviceEndpoint: 'localhost', configureBuckets: [{ name: bucket }],
                            ...(tls ? { key: fs.readFileSync(tls + '/key.pem'),
                                        cert: fs.readFileSync(tls + '/cert.pem') } : {}) });
// the ETags an SSE-KMS object's parts were answered, to the MD5s s3rver
// keeps them by
const kmsEtags = new Map();
const { PassThrough } = require('stream');
const xmlEscape = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
let endlessPage = 0;
function listing(prefix, keys, token) {
  return '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>' + bucket +
    '</Name><Prefix>' + xmlEscape(prefix) + '</Prefix>' +
    keys.map((k) => '<Contents><Key>' + xmlEscape(k) + '</Key><Size>1</Size></Contents>').join('') +
    '<IsTruncated>' + (token ? 'true' : 'false') + '</IsTruncated>' +
    (token ? '<NextContinuationToken>' + token + '</NextContinuationToken>' : '') +
    '</ListBucketResult>';
}
// Stands in for the store where a test wants a hostile or encrypting one;
// true when it answered the request itself.
async function alteredStore(ctx, next) {
  const prefix = String(ctx.query.prefix || '');
  if (ctx.method === 'PUT' && /taken[^/?]*(\?|$)/.test(ctx.url)) {
    ctx.status = 412;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
      '<Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
    return true;
  }
  if (ctx.method === 'GET' && ctx.query['list-type'] === '2' && /endless|huge/.test(prefix)) {
    ctx.status = 200;
    ctx.type = 'application/xml';
    if (prefix.includes('endless'))
      ctx.body = listing(prefix, [prefix + 'page' + ++endlessPage + '.db'], 'token' + endlessPage);
    else
      ctx.body = listing(prefix, Array.from({ length: 30000 }, (_, i) =>
        prefix + 'name-' + String(i).padStart(40, '0') + '.db'), null);
    return true;
  }
  if (!/kms[^/?]*(\?|$)/.test(ctx.url)) return false;
  if (ctx.method === 'POST' && ctx.query.uploadId) {
    // the completion names the parts by the ETags given: s3rver knows MD5s
    let text = '';
    for await (const chunk of ctx.req) text += chunk.toString('utf8');
    text = text.replace(/<ETag>"?([^<"]*)"?<\/ETag>/g,
      (_, tag) => '<ETag>"' + (kmsEtags.get(tag) || tag) + '"</ETag>');
    const body = new PassThrough();
    body.end(text);
    ctx.req = body;
  }
  await next();
  if (ctx.status !== 200 || !['PUT', 'POST'].includes(ctx.method)) return true;
  ctx.set('x-amz-server-side-encryption', 'aws:kms');
  const tag = String(ctx.response.get('ETag') || '').replace(/"/g, '');
  if (ctx.method === 'PUT' && tag) {
    const fake = crypto.createHash('sha256').update('kms' + tag).digest('hex').slice(0, 32) + 'k';
    kmsEtags.set(fake, tag);
    ctx.set('ETag', '"' + fake + '"');
  }
  // s3rver's own middleware has rendered the completion's XML by now
  if (ctx.method === 'POST' && typeof ctx.body === 'string')
    ctx.body = ctx.body.replace(/<ETag>[^<]*<\/ETag>/, '<ETag>&quot;kms-not-an-md5&quot;</ETag>');
  return true;
}
// AWS checks a PUT's Content-MD5 as the body arrives and publishes the
// object only once it holds the whole body and its MD5 matches (400
// BadDigest otherwise, nothing stored); it answers once the object is
// stored. s3rver writes straight into the object's file as the bytes
// arrive (a cut PUT stays published) and answers before that file holds
// them all. A PUT of an object carrying Content-MD5 is therefore streamed
// into a staging file beside the object (NAME._S3rver_staged: s3rver
// lists only NAME._S3rver_object), hashed once as it arrives, and renamed
// onto the object only when its length and MD5 hold, before the answer;
// the ETag answered is that MD5, of the bytes the object's file holds.
// The multipart completion (no request of its own) goes to s3rver's store.
const { pipeline } = require('stream/promises');
const S3Error = require('s3rver/lib/models/error');
const storePut = server.store.putObject.bind(server.store);
server.store.putObject = async function putChecked(object) {
  const req = object.content;
  const want = req && req.headers ? req.headers['content-md5'] : null;
  if (!want) return storePut(object);
  const file = this.getResourcePath(object.bucket, object.key, 'object');
  // each PUT stages its own file: a killed writer's PUT still draining
  // never removes the staged bytes of the next writer's
  const staged = this.getResourcePath(object.bucket, object.key, 'staged') + '.' +
    crypto.randomBytes(6).toString('hex');
  await fs.promises.mkdir(dirname(file), { recursive: true });
  const md5 = crypto.createHash('md5');
  let size = 0;
  const whole = await pipeline(req, async function* hashed(chunks) {
    for await (const chunk of chunks) {
      md5.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }, fs.createWriteStream(staged)).then(() => true, () => false);
  const digest = md5.digest();
  if (!whole || size !== Number(req.headers['content-length']) ||
      digest.toString('base64') !== want) {
    await fs.promises.rm(staged, { force: true });
    console.log(`refused PUT ${req.url}: a cut body or not its Content-MD5`);
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  await fs.promises.rename(staged, file);
  await this.putMetadata(object.bucket, object.key, object.metadata, digest.toString('hex'));
  return { size, md5: digest.toString('hex') };
};
const busyAnswered = new Map(); // a busy request's method and URL: the 503s answered
server.middleware.unshift(async (ctx, next) => {
  console.log(`request ${ctx.method} ${ctx.url}`);
  const fault = sigv4Fault(ctx.req);
  if (!fault) {
    if ((ctx.method === 'PUT' || ctx.method === 'GET') && /busy[^/?]*(\?|$)/.test(ctx.url)) {
      const seen = busyAnswered.get(ctx.method + ctx.url) || 0;
      if (seen < 2) {
        busyAnswered.set(ctx.method + ctx.url, seen + 1);
        console.log(`busy ${ctx.method} ${ctx.url}`);
        ctx.req.resume(); // the body read and dropped: the answer, no reset
        ctx.status = 503;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
          '<Message>Please reduce your request rate.</Message></Error>';
        return;
      }
    }
    if (await alteredStore(ctx, next)) return;
    await next();
    // a store that holds other bytes than it was sent: an object named
    // *corrupt*, or a part of one, answers an MD5 that is not its bytes'
    if (ctx.method === 'PUT' && /corrupt[^/?]*(\?partNumber=|$)/.test(ctx.url) &&
        ctx.status === 200)
      ctx.set('ETag', '"00000000000000000000000000000000"');
    return;
  }
  console.log(`refused ${ctx.method} ${ctx.url}: ${fault}`);
  ctx.status = 403;
  ctx.type = 'application/xml';
  ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
    '<Message>The request signature we calculated does not match the signature you provided.' +
    '</Message></Error>';
});
server.run()
  .then(({ port }) => fs.writeFileSync(portFile + '.tmp', String(port)) ||
                      fs.renameSync(portFile + '.tmp', portFile))
  .catch((e) => { console.error(e); process.exit(1); });
