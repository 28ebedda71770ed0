// The baseline: a bare express 5 app whose webhook handler only answers 202 (it does not read the body).
import express from 'express';

const app = express();
app.get('/healthz', (_req, res) => res.status(200).json({ status: 'ok' }));
app.post('/webhooks/gitlab', (_req, res) => res.status(202).json({ status: 'queued' }));
app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1');
