import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinationStore } from '../../service/store/types.js';
import { storeKinds } from '../contract/stores.js';
import { CHROMIUM, openPage, type Page } from '../support/chromium.js';
import { HOSTILE_TITLE, PROJECT, STATUS_TOKEN, seedRuns, startStatusWorld, type StatusWorld } from './status-world.js';

// The status page as a person sees it, in headless Chromium, on the embedded store and on Firestore (its
// emulator): sign in with the token, read a waiting, a running and a finished run, pause and resume.
// Screenshots are kept in test-artifacts/ (not committed).

const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');

describe.skipIf(!CHROMIUM).each(storeKinds)('the status page in Chromium: $name', (kind) => {
  let env: Awaited<ReturnType<typeof kind.setup>>;
  let store: CoordinationStore;
  let world: StatusWorld;
  let page: Page;

  beforeAll(async () => {
    env = await kind.setup();
    store = env.fresh();
    await seedRuns(store);
    world = await startStatusWorld(store);
    page = await openPage();
    await mkdir(artifacts, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await page?.close();
    await world?.close();
    await env?.close();
  });

  const text = (selector: string) => page.evaluate<string[]>(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((element) => element.innerText)`);

  it('asks for the token and shows nothing else', async () => {
    await page.goto(`${world.url}/status`);
    const body = await page.evaluate<string>('document.body.innerText');
    expect(body).toContain('Status: sign in');
    expect(body).not.toContain('Issue 1');
    await page.evaluate(`document.querySelector('#token').value = 'not-the-token'; document.querySelector('form').submit()`, { navigates: true });
    expect(await page.evaluate<string>('document.body.innerText')).toContain('That is not the status token.');
  });

  it('signs in with the token and shows the finished, running and waiting runs', async () => {
    await page.evaluate(`document.querySelector('#token').value = ${JSON.stringify(STATUS_TOKEN)}; document.querySelector('form').submit()`, { navigates: true });
    expect(await page.evaluate<string>('location.pathname')).toBe('/status');
    // The session is an HttpOnly cookie: the page's scripts cannot read it.
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    const runs = await text('#runs .run');
    expect(runs).toHaveLength(3);
    const [waiting, running, finished] = runs as [string, string, string];
    expect(waiting).toMatch(/WAITING/);
    expect(waiting).toContain(HOSTILE_TITLE);
    expect(waiting).toContain('@eve"><script>alert(1)</script>');
    expect(waiting).toContain('no pipeline');
    expect(running).toMatch(/RUNNING/);
    expect(running).toContain('issue #2 Issue 2');
    expect(running).toContain('pipeline #902');
    expect(running).toMatch(/· 2m \d\ds ·/);
    expect(running).toContain('@dana');
    expect(finished).toMatch(/FINISHED/);
    expect(finished).toContain('pipeline #901');
    expect(finished).toContain('· 10s ·');
    const slots = (await text('#slots .project')).join('\n');
    expect(slots).toContain(`(id ${PROJECT}): 1 slot in use, 1 waiting`);
    expect(slots).toContain('pipeline #902');
    expect((await text('#incidents .incident')).join('\n')).toContain('GitLab answered 503');
    expect(await page.evaluate<string>(`document.querySelector('#pause').innerText`)).toContain('Running');
    // The hostile title stayed text: no element came of it, and no script ran.
    expect(await page.evaluate<number>(`document.querySelectorAll('script, img').length`)).toBe(0);
    expect(await page.evaluate<string>('document.title')).toBe('claude-gitlab-flow status');
    const links = await page.evaluate<string[]>(`[...document.querySelectorAll('#runs a')].map((a) => a.href)`);
    expect(links).toContain('https://gitlab.example/group/project/-/pipelines/902');
    expect(links).toContain('https://gitlab.example/group/project/-/issues/2#note_2');
    await page.screenshot(join(artifacts, `status-page-${kind.name}.png`));
  });

  it('pauses and resumes from its buttons; resume queues what waited', async () => {
    await page.evaluate(`document.querySelector('#pause button').click()`, { navigates: true });
    expect(await page.evaluate<string>(`document.querySelector('#pause').innerText`)).toMatch(/Paused by status page since .* nothing is triggered/);
    expect((await store.pauseState()).paused).toBe(true);
    await page.screenshot(join(artifacts, `status-page-paused-${kind.name}.png`));
    await page.evaluate(`document.querySelector('#pause button').click()`, { navigates: true });
    expect(await page.evaluate<string>(`document.querySelector('#pause').innerText`)).toContain('Running');
    expect((await store.pauseState()).paused).toBe(false);
    // The waiting run's project line is woken; nothing else was held.
    expect(world.published).toEqual([{ kind: 'wake', projectId: PROJECT }]);
  });
});
