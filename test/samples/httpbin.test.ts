/**
 * The httpbin sample as a real process on loopback: status codes (single, random choice,
 * weighted), delays, request echoes, errors for bad input, and SIGTERM with a request in flight.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chooseStatus, parseStatusChoices } from '../../samples/httpbin/status.js';
import { ensureSamplesBuilt, httpRequest, startSample, stopAllSamples, type SampleProcess } from './sample-process.js';

describe('httpbin', () => {
  let httpbin: SampleProcess;

  before(async () => {
    await ensureSamplesBuilt();
    httpbin = await startSample('httpbin/main.js', { env: { POD_NAME: 'httpbin-v1-0' } });
  });

  after(() => stopAllSamples());

  test('/status/{code} answers that code, for any method', async () => {
    for (const code of [200, 201, 204, 404, 418, 500, 503]) {
      assert.equal((await httpRequest(`${httpbin.url}/status/${code}`)).status, code);
    }
    assert.equal((await httpRequest(`${httpbin.url}/status/503`, { method: 'POST', body: 'x' })).status, 503);
    const redirect = await httpRequest(`${httpbin.url}/status/302`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, '/redirect/1');
  });

  test('/status/{a},{b} picks one of the codes; weights are honoured', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) seen.add((await httpRequest(`${httpbin.url}/status/200,201,202`)).status);
    for (const s of seen) assert.ok([200, 201, 202].includes(s), String(s));
    for (let i = 0; i < 10; i++) assert.equal((await httpRequest(`${httpbin.url}/status/200:0,503:1`)).status, 503);
  });

  test('/status rejects codes that are not codes', async () => {
    for (const bad of ['abc', '99', '600', '200,x', '200:0']) {
      assert.equal((await httpRequest(`${httpbin.url}/status/${bad}`)).status, 400, bad);
    }
  });

  test('status choice parsing and weighted choice', () => {
    assert.deepEqual(parseStatusChoices('200'), [{ code: 200, weight: 1 }]);
    assert.deepEqual(parseStatusChoices('200:0.9, 503:0.1'), [
      { code: 200, weight: 0.9 },
      { code: 503, weight: 0.1 },
    ]);
    assert.equal(parseStatusChoices('2000'), undefined);
    const choices = parseStatusChoices('200:3,503:1')!;
    assert.equal(chooseStatus(choices, () => 0), 200);
    assert.equal(chooseStatus(choices, () => 0.74), 200);
    assert.equal(chooseStatus(choices, () => 0.76), 503);
    assert.equal(chooseStatus(choices, () => 0.999999), 503);
  });

  test('/delay/{s} answers after the delay with the request echo; bad values are 400', async () => {
    const res = await httpRequest(`${httpbin.url}/delay/0.2?x=1`, { headers: { 'x-test': 'yes' } });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body);
    assert.deepEqual(body.args, { x: '1' });
    assert.equal(body.headers['X-Test'], 'yes');
    assert.equal((await httpRequest(`${httpbin.url}/delay/soon`)).status, 400);
    assert.equal((await httpRequest(`${httpbin.url}/delay/-1`)).status, 400);
  });

  test('/headers, /get, /ip and /user-agent echo the request', async () => {
    const headers = JSON.parse((await httpRequest(`${httpbin.url}/headers`, { headers: { 'x-request-id': 'abc-1', 'x-b3-traceid': 'def' } })).body).headers;
    assert.equal(headers['X-Request-Id'], 'abc-1');
    assert.equal(headers['X-B3-Traceid'], 'def');
    assert.equal(headers.Host, `${httpbin.host}:${httpbin.ports[0]}`);
    const get = JSON.parse((await httpRequest(`${httpbin.url}/get?a=1&b=2&b=3`)).body);
    assert.deepEqual(get.args, { a: '1', b: ['2', '3'] });
    assert.equal(get.url, `${httpbin.url}/get?a=1&b=2&b=3`);
    assert.equal(get.origin, '127.0.0.1');
    assert.deepEqual(JSON.parse((await httpRequest(`${httpbin.url}/ip`, { headers: { 'x-forwarded-for': '10.1.2.3, 127.0.0.1' } })).body), { origin: '10.1.2.3' });
    assert.deepEqual(JSON.parse((await httpRequest(`${httpbin.url}/user-agent`, { headers: { 'user-agent': 'curl/8.0' } })).body), { 'user-agent': 'curl/8.0' });
  });

  test('/anything echoes method, path, args, headers and body for any method and subpath', async () => {
    const res = await httpRequest(`${httpbin.url}/anything/a/b?q=z`, { method: 'PUT', body: '{"k":[1,2]}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body);
    assert.equal(body.method, 'PUT');
    assert.equal(body.url, `${httpbin.url}/anything/a/b?q=z`);
    assert.deepEqual(body.args, { q: 'z' });
    assert.equal(body.data, '{"k":[1,2]}');
    assert.deepEqual(body.json, { k: [1, 2] });
    const form = JSON.parse((await httpRequest(`${httpbin.url}/anything`, { method: 'POST', body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).body);
    assert.deepEqual(form.form, { a: '1', b: '2' });
    assert.equal(JSON.parse((await httpRequest(`${httpbin.url}/anything`, { method: 'DELETE' })).body).method, 'DELETE');
    assert.equal(JSON.parse((await httpRequest(`${httpbin.url}/post`, { method: 'POST', body: 'hi' })).body).data, 'hi');
  });

  test('index, unknown paths and oversized bodies', async () => {
    const index = await httpRequest(`${httpbin.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.body, /\/status\/\{codes\}/);
    const missing = await httpRequest(`${httpbin.url}/nothing-here`);
    assert.equal(missing.status, 404);
    assert.equal(typeof JSON.parse(missing.body).error, 'string');
    assert.equal((await httpRequest(`${httpbin.url}/get`, { method: 'POST' })).status, 405);
    const big = await httpRequest(`${httpbin.url}/anything`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) }).catch((e: Error) => e);
    if (!(big instanceof Error)) assert.equal(big.status, 413);
    assert.equal((await httpRequest(`${httpbin.url}/status/200`)).status, 200);
  });

  test('logs one line per request with its Host, and SIGTERM lets an in-flight request finish, then exits 0', async () => {
    await httpRequest(`${httpbin.url}/status/200`, { headers: { host: 'httpbin-shadow:8000' } });
    await httpbin.waitFor(/GET \/status\/200 200 \S+ host=httpbin-shadow:8000/);
    // "Expect: 100-continue" makes the server confirm it is handling the request before the signal.
    let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${httpbin.url}/delay/0.3`, { method: 'POST', agent: false, headers: { expect: '100-continue', 'content-length': '2' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.on('continue', () => {
        exit = httpbin.stop('SIGTERM');
        setTimeout(() => req.end('hi'), 100);
      });
    });
    assert.equal(status, 200);
    assert.ok(exit);
    assert.deepEqual(await exit, { code: 0, signal: null });
  });
});
