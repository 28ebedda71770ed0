import express, { type Request, type Response, type Router } from 'express';
import type { Clock } from '../clock.js';
import type { QueuedWork } from '../domain.js';
import type { Logger } from '../log.js';
import type { CoordinationStore } from '../store/types.js';
import { resumeHeldWork } from '../worker/resume-held-work.js';
import { statusAuth } from './auth.js';
import { renderLoginPage } from './login-page.js';
import { renderStatusPage } from './render.js';
import { readStatus } from './snapshot.js';

// GET /status (HTML) and /status.json, POST /status/login, /status/pause and /status/resume. Off (404, as
// if it did not exist) without STATUS_TOKEN; 401 and nothing shown without the token or a session.

export interface StatusRouteDeps {
  token: string | null;
  store: CoordinationStore;
  publish: (work: QueuedWork) => Promise<unknown>;
  clock: Clock;
  logger: Logger;
  stalledAfterMs: number;
}

// No script may run on these pages, whatever escaping missed; they are never framed or cached.
const HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function statusRoute(deps: StatusRouteDeps): Router {
  const router = express.Router();
  if (!deps.token) return router;
  const auth = statusAuth(deps.token);
  const allowed = (req: Request) => auth.allows({ authorization: req.headers.authorization, cookie: req.headers.cookie });
  const refuse = (res: Response, json: boolean) => {
    res.set(HEADERS).set('WWW-Authenticate', 'Bearer realm="status"').status(401);
    if (json) res.json({ error: 'unauthorized' });
    else res.type('html').send(renderLoginPage(null));
  };
  const snapshot = () => readStatus(deps.store, { now: deps.clock.now(), stalledAfterMs: deps.stalledAfterMs });

  router.get('/status.json', async (req, res) => {
    if (!allowed(req)) return refuse(res, true);
    res.set(HEADERS).json(await snapshot());
  });
  router.get('/status', async (req, res) => {
    if (!allowed(req)) return refuse(res, false);
    res.set(HEADERS).type('html').send(renderStatusPage(await snapshot(), { controls: true }));
  });
  router.post('/status/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const token = typeof req.body?.token === 'string' ? (req.body.token as string) : '';
    if (!auth.tokenMatches(token)) {
      deps.logger.warn({ ip: req.ip }, 'status page: wrong token');
      res.set(HEADERS).status(401).type('html').send(renderLoginPage('That is not the status token.'));
      return;
    }
    res.set(HEADERS).set('Set-Cookie', auth.sessionCookie()).redirect(303, '/status');
  });
  // A form on another site cannot post here with the cookie (SameSite=Strict); a browser that says the
  // request is cross-site is refused all the same.
  const control = (action: (by: string) => Promise<unknown>) => async (req: Request, res: Response) => {
    if (!allowed(req)) return refuse(res, false);
    if (req.headers['sec-fetch-site'] === 'cross-site') {
      res.set(HEADERS).status(403).type('text').send('cross-site request refused');
      return;
    }
    await action('status page');
    res.set(HEADERS).redirect(303, '/status');
  };
  router.post(
    '/status/pause',
    control(async (by) => {
      await deps.store.setPaused(true, by, deps.clock.now());
      deps.logger.warn({ by }, 'paused by the operator: nothing is triggered until resume');
    }),
  );
  router.post(
    '/status/resume',
    control((by) => resumeHeldWork({ store: deps.store, publish: deps.publish, clock: deps.clock, logger: deps.logger }, by)),
  );
  return router;
}
