/**
 * Bookinfo's details, ratings and reviews apps as real processes on loopback, without a mesh:
 * their JSON, their errors for bad ids, header forwarding from reviews to ratings, the ratings
 * failure text, and the proxy-form requests reviews sends when HTTP_PROXY names a sidecar.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ensureSamplesBuilt, httpRequest, startSample, startStandIn, stopAllSamples, type SampleProcess, type StandIn } from './sample-process.js';

const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

describe('bookinfo services', () => {
  let details: SampleProcess;
  let ratings: SampleProcess;
  let reviewsV1: SampleProcess;
  let reviewsV2: SampleProcess;
  let reviewsV3Fake: SampleProcess;
  let fakeRatings: StandIn;
  let fakeRatingsMode: 'ok' | 'fail' | 'hang' = 'ok';

  before(async () => {
    await ensureSamplesBuilt();
    fakeRatings = await startStandIn((req, res) => {
      if (fakeRatingsMode === 'hang') return;
      if (fakeRatingsMode === 'fail') return json(res, 500, { error: 'boom' });
      json(res, 200, { id: 0, ratings: { Reviewer1: 2, Reviewer2: 1 } });
    });
    [details, ratings] = await Promise.all([
      startSample('bookinfo/details/main.js', { env: { HOST: '127.0.0.1' } }),
      startSample('bookinfo/ratings/main.js', { env: { SERVICE_VERSION: 'v1' } }),
    ]);
    const toRatings = { RATINGS_HOSTNAME: '127.0.0.1', RATINGS_SERVICE_PORT: String(ratings.ports[0]) };
    [reviewsV1, reviewsV2, reviewsV3Fake] = await Promise.all([
      startSample('bookinfo/reviews/main.js', { env: { SERVICE_VERSION: 'v1', ENABLE_RATINGS: 'false', POD_NAME: 'reviews-v1-0', ...toRatings } }),
      startSample('bookinfo/reviews/main.js', { env: { SERVICE_VERSION: 'v2', ENABLE_RATINGS: 'true', STAR_COLOR: 'black', POD_NAME: 'reviews-v2-0', ...toRatings } }),
      startSample('bookinfo/reviews/main.js', {
        env: { SERVICE_VERSION: 'v3', ENABLE_RATINGS: 'true', STAR_COLOR: 'red', POD_NAME: 'reviews-v3-0', RATINGS_HOSTNAME: '127.0.0.1', RATINGS_SERVICE_PORT: String(fakeRatings.port), RATINGS_TIMEOUT_MS: '300' },
      }),
    ]);
  });

  after(async () => {
    await stopAllSamples();
    await fakeRatings?.close();
  });

  test('details answers the book details, 404 for an unknown id and 400 for a non-numeric one', async () => {
    const ok = await httpRequest(`${details.url}/details/0`);
    assert.equal(ok.status, 200);
    assert.match(String(ok.headers['content-type']), /application\/json/);
    assert.deepEqual(JSON.parse(ok.body), {
      id: 0,
      author: 'William Shakespeare',
      year: 1595,
      type: 'paperback',
      pages: 200,
      publisher: 'PublisherA',
      language: 'English',
      'ISBN-10': '1234567890',
      'ISBN-13': '123-1234567890',
    });
    const unknown = await httpRequest(`${details.url}/details/42`);
    assert.equal(unknown.status, 404);
    assert.equal(typeof JSON.parse(unknown.body).error, 'string');
    assert.equal((await httpRequest(`${details.url}/details/abc`)).status, 400);
    assert.equal((await httpRequest(`${details.url}/nowhere`)).status, 404);
    assert.equal((await httpRequest(`${details.url}/health`)).status, 200);
  });

  test('ratings answers Istio\'s ratings and rejects bad ids and bodies', async () => {
    const ok = await httpRequest(`${ratings.url}/ratings/0`);
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    assert.equal((await httpRequest(`${ratings.url}/ratings/7`)).status, 404);
    assert.equal((await httpRequest(`${ratings.url}/ratings/x`)).status, 400);
    const bad = await httpRequest(`${ratings.url}/ratings/0`, { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal((await httpRequest(`${ratings.url}/health`)).status, 200);
  });

  test('reviews v1 has no ratings and names its pod', async () => {
    const res = await httpRequest(`${reviewsV1.url}/reviews/0`);
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body);
    assert.equal(body.podname, 'reviews-v1-0');
    assert.equal(body.reviews.length, 2);
    for (const r of body.reviews) assert.equal(r.rating, undefined);
    assert.equal((await httpRequest(`${reviewsV1.url}/reviews/9`)).status, 404);
    assert.equal((await httpRequest(`${reviewsV1.url}/reviews/zero`)).status, 400);
  });

  test('reviews v2 rates with black stars from ratings', async () => {
    const body = JSON.parse((await httpRequest(`${reviewsV2.url}/reviews/0`)).body);
    assert.equal(body.podname, 'reviews-v2-0');
    assert.deepEqual(body.reviews.map((r: { rating: unknown }) => r.rating), [
      { stars: 5, color: 'black' },
      { stars: 4, color: 'black' },
    ]);
  });

  test('reviews v3 rates in red and forwards trace, user and cookie headers to ratings', async () => {
    fakeRatingsMode = 'ok';
    const headers = {
      'x-request-id': 'req-ratings-1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'vendor=1',
      'x-b3-traceid': '463ac35c9f6413ad',
      'x-b3-spanid': 'a2fb4a1d1a96d312',
      'x-b3-sampled': '1',
      b3: '463ac35c9f6413ad-a2fb4a1d1a96d312-1',
      'end-user': 'jason',
      'user-agent': 'bookinfo-test',
      cookie: 'session=abc',
      authorization: 'Bearer t0ken',
    };
    const body = JSON.parse((await httpRequest(`${reviewsV3Fake.url}/reviews/0`, { headers })).body);
    assert.deepEqual(body.reviews.map((r: { rating: unknown }) => r.rating), [
      { stars: 2, color: 'red' },
      { stars: 1, color: 'red' },
    ]);
    const seen = fakeRatings.requests.find((r) => r.headers['x-request-id'] === 'req-ratings-1');
    assert.ok(seen, 'ratings received the call');
    assert.equal(seen.url, '/ratings/0');
    for (const [k, v] of Object.entries(headers)) assert.equal(seen.headers[k], v, `${k} forwarded`);
  });

  test('reviews returns the ratings error text when ratings fails or is too slow', async () => {
    for (const mode of ['fail', 'hang'] as const) {
      fakeRatingsMode = mode;
      const res = await httpRequest(`${reviewsV3Fake.url}/reviews/0`);
      assert.equal(res.status, 200, mode);
      const body = JSON.parse(res.body);
      assert.deepEqual(body.reviews.map((r: { rating: unknown }) => r.rating), [{ error: RATINGS_UNAVAILABLE }, { error: RATINGS_UNAVAILABLE }], mode);
    }
    fakeRatingsMode = 'ok';
  });

  test('with HTTP_PROXY set, reviews calls ratings by name in proxy form through the sidecar', async () => {
    const sidecar = await startStandIn((req, res) => json(res, 200, { id: 0, ratings: { Reviewer1: 3, Reviewer2: 3 } }));
    try {
      const reviews = await startSample('bookinfo/reviews/main.js', {
        env: { SERVICE_VERSION: 'v2', POD_NAME: 'reviews-v2-1', HTTP_PROXY: `http://127.0.0.1:${sidecar.port}`, NO_PROXY: 'localhost,127.0.0.1,::1' },
      });
      const body = JSON.parse((await httpRequest(`${reviews.url}/reviews/0`)).body);
      assert.deepEqual(body.reviews[0].rating, { stars: 3, color: 'black' });
      assert.equal(sidecar.requests.length, 1);
      assert.equal(sidecar.requests[0]!.url, 'http://ratings:9080/ratings/0');
      assert.equal(sidecar.requests[0]!.headers.host, 'ratings:9080');
      const exit = await reviews.stop();
      assert.deepEqual(exit, { code: 0, signal: null });
    } finally {
      await sidecar.close();
    }
  });

  test('SIGTERM stops details, ratings and reviews with exit status 0', async () => {
    for (const p of [details, ratings, reviewsV1]) {
      assert.deepEqual(await p.stop('SIGTERM'), { code: 0, signal: null });
      assert.match(p.output(), /received SIGTERM, shutting down/);
    }
  });
});
