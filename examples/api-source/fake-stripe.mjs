#!/usr/bin/env node
// A local stand-in for Stripe's `GET /v1/customers` (no Stripe account or network needed), enough
// for the example job: Bearer auth, newest-first lists, `limit`, `starting_after`, `created[gte]`.
// Customers: FAKE_CUSTOMERS (default 25), created one hour apart from 2024-01-01T00:00:00Z.
//   node examples/api-source/fake-stripe.mjs            # prints STRIPE_BASE_URL=http://127.0.0.1:<port>
// Env: PORT (default 0: any free port), STRIPE_API_KEY (default sk_test_example).
import http from 'node:http';

const key = process.env.STRIPE_API_KEY || 'sk_test_example';
const count = Number(process.env.FAKE_CUSTOMERS || 25);
const T0 = Date.UTC(2024, 0, 1) / 1000;
const customers = Array.from({ length: count }, (_, i) => ({
  id: `cus_${String(i + 1).padStart(4, '0')}`,
  object: 'customer',
  created: T0 + i * 3600,
  email: `customer${i + 1}@example.com`,
  balance: (i + 1) * 100,
}));

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://fake');
  if (req.headers.authorization !== `Bearer ${key}`)
    return send(res, 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } });
  if (req.method !== 'GET' || url.pathname !== '/v1/customers')
    return send(res, 404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${url.pathname}).` } });
  const q = url.searchParams;
  const limit = Math.min(Math.max(Number(q.get('limit') ?? 10), 1), 100);
  const gte = q.has('created[gte]') ? Number(q.get('created[gte]')) : -Infinity;
  const gt = q.has('created[gt]') ? Number(q.get('created[gt]')) : -Infinity;
  const list = customers
    .filter((c) => c.created >= gte && c.created > gt)
    .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
  const after = q.get('starting_after');
  const from = after ? list.findIndex((c) => c.id === after) + 1 : 0;
  if (after && from === 0)
    return send(res, 404, { error: { type: 'invalid_request_error', message: `No such customer: '${after}'` } });
  const data = list.slice(from, from + limit);
  send(res, 200, { object: 'list', url: '/v1/customers', has_more: from + limit < list.length, data });
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`STRIPE_BASE_URL=http://127.0.0.1:${server.address().port}`);
});
