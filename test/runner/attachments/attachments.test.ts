import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTypeOf } from '../../../service/runner/attachments/image-type.js';
import { uploadRefs } from '../../../service/runner/attachments/upload-refs.js';
import { say, use, type ModelRequest } from '../../../standins/model/standin.js';
import { removeTempDirs } from '../../../devtools/temp.js';
import { claudeBinary, promptOf, runWithModel, startRunWorld, type RunWorld } from '../support/model-run.js';

// Screenshots reach Claude: uploads the request links, on this GitLab and this project only, downloaded by
// the runner with the bot's token, checked by content, and read by the real Claude Code from a directory
// the agent can read and not change.

// A 1x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const SECRET = 'a'.repeat(32);

describe('upload references', () => {
  const where = { serverUrl: 'https://gitlab.example', projectPath: 'group/app', projectId: 7 };

  it('finds relative and absolute links of this project, and not those of another host or project', () => {
    const text = [
      `![shot](/uploads/${SECRET}/shot.png)`,
      `[log](https://gitlab.example/group/app/uploads/${'b'.repeat(32)}/build%20log.png)`,
      `![x](https://gitlab.example/-/project/7/uploads/${'c'.repeat(32)}/x.png)`,
      `![evil](https://evil.example/uploads/${'d'.repeat(32)}/evil.png)`,
      `![other](https://gitlab.example/group/other/uploads/${'e'.repeat(32)}/o.png)`,
      `![other id](https://gitlab.example/-/project/8/uploads/${'f'.repeat(32)}/o.png)`,
      `![traversal](/uploads/${'1'.repeat(32)}/..%2F..%2Fetc%2Fpasswd)`,
    ].join('\n');
    expect(uploadRefs([text], where, 10).map((ref) => ref.filename)).toEqual(['shot.png', 'build log.png', 'x.png']);
  });

  it('stops at the bound and counts a repeated link once', () => {
    const links = Array.from({ length: 8 }, (_, index) => `![s](/uploads/${String(index).repeat(32)}/s.png)`);
    expect(uploadRefs([links.join(' '), links[0]!], where, 3)).toHaveLength(3);
    expect(uploadRefs([`${links[0]} ${links[0]}`], where, 3)).toHaveLength(1);
  });
});

describe('image types', () => {
  it('are read from the bytes, not the name', () => {
    expect(imageTypeOf(PNG)).toBe('png');
    expect(imageTypeOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(imageTypeOf(Buffer.from('GIF89a....'))).toBe('gif');
    expect(imageTypeOf(Buffer.from('<html><script>alert(1)</script>'))).toBeNull();
  });
});

let world: RunWorld;
beforeAll(async () => {
  // Its own agent user: the runner ends every process of that user after a run, and files run in parallel.
  world = await startRunWorld({ agentUser: '64129:64129' });
});
afterAll(async () => {
  await world?.close();
  removeTempDirs();
});

const IMAGE_PATH = /^- (\/\S+\/attachments\/1-screenshot\.png) \(linked as /m;

/** Turn one: Read the image the prompt lists; then say what the tool gave back. */
function readTheImage(request: ModelRequest, index: number) {
  if (index === 0) {
    const path = IMAGE_PATH.exec(promptOf(request))?.[1];
    return path ? use('Read', { file_path: path }) : say('No image was listed.');
  }
  return say('The button is red.');
}

describe.runIf(claudeBinary)('a screenshot in the request', () => {
  it('is downloaded, listed by its local path, and read by Claude Code as an image; what is not an image of this project is not', async () => {
    const result = await runWithModel(world, { kind: 'issue', instruction: 'x' }, {
      script: readTheImage,
      prepare: (scenario) => {
        const shot = world.gitlab.addUpload(scenario.projectId, 'screenshot.png', PNG, 'image/png');
        const fake = world.gitlab.addUpload(scenario.projectId, 'fake.png', Buffer.from('<html>not an image</html>'), 'image/png');
        const body = [
          `@claude why is the button red? ${shot.markdown}`,
          `Also ${fake.markdown}, ![gone](/uploads/${'9'.repeat(32)}/gone.png)`,
          `and ![elsewhere](https://evil.example/uploads/${SECRET}/x.png)`,
        ].join('\n');
        world.gitlab.rewriteNote(scenario.context.trigger_note_ids[0]!, body);
      },
    });
    expect(result.exitCode, result.log).toBe(0);
    const prompt = promptOf(result.model[0]!);
    expect(prompt).toMatch(IMAGE_PATH);
    expect(prompt).not.toMatch(/attachments\/\d-fake/);
    expect(result.log).toMatch(/attachment not handed to Claude: \/uploads\/[0-9a-f]{32}\/fake\.png: not a PNG, JPEG, GIF or WebP image/);
    expect(result.log).toMatch(/attachment not handed to Claude: \/uploads\/9{32}\/gone\.png: GitLab answered 404/);
    // Claude Code read it as an image: the tool result it sent back is an image block.
    const second = result.model.at(-1)!;
    const blocks = JSON.stringify(second.body.messages);
    expect(blocks).toContain('"type":"image"');
    expect(blocks).toContain(PNG.toString('base64').slice(0, 40));
    expect(result.log).not.toContain('evil.example');
  });
});
