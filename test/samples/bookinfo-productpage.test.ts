/**
 * Bookinfo's productpage as a real process with real details/reviews/ratings processes (and
 * in-process stand-ins where a test must see or break what productpage sends), without a mesh:
 * the page, its stars, its error texts, sign-in and `end-user`, header forwarding, the JSON API,
 * bad input, and SIGTERM.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { countStars, ensureSamplesBuilt, httpRequest, startSample, startStandIn, stopAllSamples, type SampleProcess, type StandIn } from './sample-process.js';

const DETAILS_ERROR = 'Sorry, product details are currently unavailable for this book.';
const REVIEWS_ERROR = 'Sorry, product reviews are currently unavailable for this book.';
const RATINGS_ERROR = 'Ratings service is currently unavailable';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function at(p: SampleProcess, prefix: string): Record<string, string> {
  return { [`${prefix}_HOSTNAME`]: '127.0.0.1', [`${prefix}_SERVICE_PORT`]: String(p.ports[0]) };
}

const REVIEWS_BODY = JSON.stringify({
  id: '0',
  podname: 'reviews-standin-0',
  reviews: [
    { reviewer: 'Reviewer1', text: 'stand-in one', rating: { stars: 3, color: 'black' } },
    { reviewer: 'Reviewer2', text: 'stand-in two <script>alert(1)</script>', rating: { stars: 1, color: 'black' } },
  ],
});

describe('bookinfo productpage', () => {
  let details: SampleProcess;
  let pageV1: SampleProcess;
  let pageV2: SampleProcess;
  let pageV3: SampleProcess;
  let pageDegraded: SampleProcess;
  let pageStandIn: SampleProcess;
  let reviewsStandIn: StandIn;
  let reviewsMode: 'ok' | 'hang' = 'ok';

  before(async () => {
    await ensureSamplesBuilt();
    reviewsStandIn = await startStandIn((_req, res: ServerResponse) => {
      if (reviewsMode === 'hang') return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(REVIEWS_BODY);
    });
    const nowhere = await closedPort();
    let ratings: SampleProcess;
    [details, ratings] = await Promise.all([startSample('bookinfo/details/main.js'), startSample('bookinfo/ratings/main.js')]);
    const [v1, v2, v3, v3NoRatings] = await Promise.all([
      startSample('bookinfo/reviews/main.js', { env: { SERVICE_VERSION: 'v1', ENABLE_RATINGS: 'false', POD_NAME: 'reviews-v1-0' } }),
      startSample('bookinfo/reviews/main.js', { env: { SERVICE_VERSION: 'v2', ENABLE_RATINGS: 'true', STAR_COLOR: 'black', POD_NAME: 'reviews-v2-0', ...at(ratings, 'RATINGS') } }),
      startSample('bookinfo/reviews/main.js', { env: { SERVICE_VERSION: 'v3', ENABLE_RATINGS: 'true', STAR_COLOR: 'red', POD_NAME: 'reviews-v3-0', ...at(ratings, 'RATINGS') } }),
      startSample('bookinfo/reviews/main.js', {
        env: { SERVICE_VERSION: 'v3', STAR_COLOR: 'red', POD_NAME: 'reviews-v3-1', RATINGS_HOSTNAME: '127.0.0.1', RATINGS_SERVICE_PORT: String(nowhere) },
      }),
    ]);
    [pageV1, pageV2, pageV3, pageDegraded, pageStandIn] = await Promise.all([
      startSample('bookinfo/productpage/main.js', { env: { ...at(details, 'DETAILS'), ...at(v1!, 'REVIEWS'), ...at(ratings, 'RATINGS') } }),
      startSample('bookinfo/productpage/main.js', { env: { ...at(details, 'DETAILS'), ...at(v2!, 'REVIEWS'), ...at(ratings, 'RATINGS') } }),
      startSample('bookinfo/productpage/main.js', { env: { ...at(details, 'DETAILS'), ...at(v3!, 'REVIEWS') } }),
      startSample('bookinfo/productpage/main.js', { env: { DETAILS_HOSTNAME: '127.0.0.1', DETAILS_SERVICE_PORT: String(nowhere), ...at(v3NoRatings!, 'REVIEWS'), RATINGS_HOSTNAME: '127.0.0.1', RATINGS_SERVICE_PORT: String(nowhere) } }),
      startSample('bookinfo/productpage/main.js', {
        env: { ...at(details, 'DETAILS'), REVIEWS_HOSTNAME: '127.0.0.1', REVIEWS_SERVICE_PORT: String(reviewsStandIn.port), REVIEWS_TIMEOUT_MS: '300' },
      }),
    ]);
  });

  after(async () => {
    await stopAllSamples();
    await reviewsStandIn?.close();
  });

  test('the page renders details and reviews; reviews v1 shows no stars', async () => {
    const res = await httpRequest(`${pageV1.url}/productpage`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.match(res.body, /<title>Simple Bookstore App<\/title>/);
    assert.match(res.body, /The Comedy of Errors/);
    assert.match(res.body, /Book Details/);
    assert.match(res.body, /1234567890/);
    assert.match(res.body, /PublisherA/);
    assert.match(res.body, /An extremely entertaining play by Shakespeare/);
    assert.match(res.body, /Absolutely fun and entertaining/);
    assert.ok(res.body.includes('Reviews served by: reviews-v1-0'));
    assert.equal(countStars(res.body).total, 0);
  });

  test('reviews v2 shows black stars (5 + 4 of 10), v3 red stars', async () => {
    const v2 = await httpRequest(`${pageV2.url}/productpage`);
    assert.ok(v2.body.includes('Reviews served by: reviews-v2-0'));
    assert.deepEqual(countStars(v2.body), { black: 9, red: 0, blackEmpty: 1, redEmpty: 0, total: 10 });
    const v3 = await httpRequest(`${pageV3.url}/productpage`);
    assert.ok(v3.body.includes('Reviews served by: reviews-v3-0'));
    assert.deepEqual(countStars(v3.body), { black: 0, red: 9, blackEmpty: 0, redEmpty: 1, total: 10 });
  });

  test('details down and ratings down: the page shows both error texts and still the reviews', async () => {
    const res = await httpRequest(`${pageDegraded.url}/productpage`);
    assert.equal(res.status, 200);
    assert.ok(res.body.includes('Error fetching product details'));
    assert.ok(res.body.includes(DETAILS_ERROR));
    assert.equal(res.body.split(RATINGS_ERROR).length - 1, 2, 'one ratings error per review');
    assert.ok(res.body.includes('Reviews served by: reviews-v3-1'));
    assert.equal(countStars(res.body).total, 0);
    const api = await httpRequest(`${pageDegraded.url}/api/v1/products/0`);
    assert.equal(api.status, 500);
    assert.deepEqual(JSON.parse(api.body), { error: DETAILS_ERROR });
    const ratingsApi = await httpRequest(`${pageDegraded.url}/api/v1/products/0/ratings`);
    assert.equal(ratingsApi.status, 500);
  });

  test('a hung reviews is tried twice, then the page shows the reviews error', async () => {
    reviewsMode = 'hang';
    try {
      const res = await httpRequest(`${pageStandIn.url}/productpage`, { headers: { 'x-request-id': 'hung-reviews-1' } });
      assert.equal(res.status, 200);
      assert.ok(res.body.includes(REVIEWS_ERROR));
      assert.ok(res.body.includes('Error fetching product reviews'));
      assert.ok(res.body.includes('Book Details'), 'details still shown');
      const attempts = reviewsStandIn.requests.filter((r) => r.headers['x-request-id'] === 'hung-reviews-1');
      assert.equal(attempts.length, 2);
    } finally {
      reviewsMode = 'ok';
    }
  });

  test('text from reviews is escaped', async () => {
    const res = await httpRequest(`${pageStandIn.url}/productpage`);
    assert.ok(!res.body.includes('<script>alert(1)</script>'));
    assert.ok(res.body.includes('&lt;script&gt;'));
  });

  test('sign in keeps the user in a session cookie and sends it to reviews as end-user; sign out ends it', async () => {
    const login = await httpRequest(`${pageStandIn.url}/login`, {
      method: 'POST',
      body: 'username=jason&passwd=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: `${pageStandIn.url}/productpage` },
    });
    assert.equal(login.status, 302);
    assert.equal(login.headers.location, '/productpage');
    const setCookie = String(login.headers['set-cookie']);
    const cookie = /^(session=[^;]+)/.exec(setCookie)?.[1];
    assert.ok(cookie, setCookie);

    const page = await httpRequest(`${pageStandIn.url}/productpage`, { headers: { cookie, 'x-request-id': 'signed-in-1' } });
    assert.match(page.body, /Signed in as <b id="user">jason<\/b>/);
    const seen = reviewsStandIn.requests.find((r) => r.headers['x-request-id'] === 'signed-in-1');
    assert.equal(seen?.headers['end-user'], 'jason');
    assert.equal(seen?.headers.cookie, cookie);

    const logout = await httpRequest(`${pageStandIn.url}/logout`, { headers: { cookie } });
    assert.equal(logout.status, 302);
    assert.match(String(logout.headers['set-cookie']), /^session=;.*Max-Age=0/);

    const anonymous = await httpRequest(`${pageStandIn.url}/productpage`, { headers: { 'x-request-id': 'anonymous-1' } });
    assert.match(anonymous.body, /name="login_form"/);
    assert.equal(reviewsStandIn.requests.find((r) => r.headers['x-request-id'] === 'anonymous-1')?.headers['end-user'], undefined);

    const forged = await httpRequest(`${pageStandIn.url}/productpage`, { headers: { cookie: 'session=amFzb24.forged', 'x-request-id': 'forged-1' } });
    assert.equal(forged.status, 200);
    assert.equal(reviewsStandIn.requests.find((r) => r.headers['x-request-id'] === 'forged-1')?.headers['end-user'], undefined);
  });

  test('an incoming end-user header is forwarded to reviews', async () => {
    await httpRequest(`${pageStandIn.url}/productpage`, { headers: { 'end-user': 'jason', 'x-request-id': 'header-user-1' } });
    assert.equal(reviewsStandIn.requests.find((r) => r.headers['x-request-id'] === 'header-user-1')?.headers['end-user'], 'jason');
  });

  test('sign-in without a valid username is refused with 400', async () => {
    for (const body of ['', 'username=', 'username=bad%0Aname', `username=${'x'.repeat(65)}`]) {
      const res = await httpRequest(`${pageStandIn.url}/login`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal((await httpRequest(`${pageStandIn.url}/health`)).status, 200);
  });

  test('trace headers, user-agent and cookie are forwarded; details sees x-request-id', async () => {
    const headers = {
      'x-request-id': 'trace-fwd-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'congo=t61rcWkgMzE',
      'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
      'x-b3-spanid': 'e457b5a2e4d86bd1',
      'x-b3-parentspanid': '05e3ac9a4f6e3b90',
      'x-b3-sampled': '1',
      'x-b3-flags': '1',
      b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90',
      'user-agent': 'trace-test/1.0',
      cookie: 'theme=dark',
    };
    await httpRequest(`${pageStandIn.url}/productpage`, { headers });
    const seen = reviewsStandIn.requests.find((r) => r.headers['x-request-id'] === 'trace-fwd-1');
    assert.ok(seen);
    for (const [k, v] of Object.entries(headers)) assert.equal(seen.headers[k], v, `${k} forwarded to reviews`);
    await details.waitFor(/GET \/details\/0 200 \S+ host=\S+ x-request-id=trace-fwd-1/);
  });

  test('the JSON API', async () => {
    const list = await httpRequest(`${pageV2.url}/api/v1/products`);
    assert.equal(list.status, 200);
    const products = JSON.parse(list.body);
    assert.equal(products[0].id, 0);
    assert.equal(products[0].title, 'The Comedy of Errors');
    const product = await httpRequest(`${pageV2.url}/api/v1/products/0`);
    assert.equal(product.status, 200);
    assert.equal(JSON.parse(product.body).publisher, 'PublisherA');
    const reviews = JSON.parse((await httpRequest(`${pageV2.url}/api/v1/products/0/reviews`)).body);
    assert.equal(reviews.podname, 'reviews-v2-0');
    assert.equal(reviews.reviews[0].rating.color, 'black');
    const ratings = await httpRequest(`${pageV2.url}/api/v1/products/0/ratings`);
    assert.deepEqual(JSON.parse(ratings.body), { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });
  });

  test('unknown products and paths are 404 JSON errors, and the app keeps serving', async () => {
    for (const p of ['/api/v1/products/7', '/api/v1/products/7/reviews', '/api/v1/products/abc/ratings', '/api/v1/products/99999999999999', '/no/such/page']) {
      const res = await httpRequest(`${pageV1.url}${p}`);
      assert.equal(res.status, 404, p);
      assert.equal(typeof JSON.parse(res.body).error, 'string', p);
    }
    assert.equal((await httpRequest(`${pageV1.url}/productpage`, { method: 'DELETE' })).status, 405);
    assert.equal((await httpRequest(`${pageV1.url}/productpage`)).status, 200);
  });

  test('health, index and static files', async () => {
    const health = await httpRequest(`${pageV1.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body, 'Product page is healthy');
    const index = await httpRequest(`${pageV1.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.body, /href="productpage"/);
    const css = await httpRequest(`${pageV1.url}/static/bookinfo.css`);
    assert.equal(css.status, 200);
    assert.match(String(css.headers['content-type']), /text\/css/);
    assert.match(css.body, /glyphicon-star/);
    assert.equal((await httpRequest(`${pageV1.url}/static/missing.js`)).status, 404);
  });

  test('productpage logs one line per request and exits 0 on SIGTERM', async () => {
    await httpRequest(`${pageV1.url}/health`, { headers: { 'x-request-id': 'log-line-1' } });
    await pageV1.waitFor(/GET \/health 200 \S+ host=\S+ x-request-id=log-line-1/);
    assert.deepEqual(await pageV1.stop('SIGTERM'), { code: 0, signal: null });
  });
});
