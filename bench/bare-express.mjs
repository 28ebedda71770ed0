// The baseline: a bare express 5 app whose webhook handler reads and parses the body with the service's own
// body reader (the same limit) and answers 202. What the service does beyond that (the token, the
// checks, the dedupe, the store, the queue) is what the ratio measures.
import express from 'express';
import { readBody } from '../dist/service/http/read-body.js';

const LIMIT = 2 * 1024 * 1024; // MAX_BODY_BYTES default
const app = express();
app.get('/healthz', (_req, res) => res.status(200).json({ status: 'ok' }));
app.post('/webhooks/gitlab', async (req, res) => {
  JSON.parse((await readBody(req, LIMIT)).toString('utf8'));
  res.status(202).json({ status: 'queued' });
});
app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1');
