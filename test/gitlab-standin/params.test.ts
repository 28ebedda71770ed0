import { describe, expect, it } from 'vitest';
import { parseRackQuery } from '../../standins/gitlab/http/params.js';
import { parseArrayVariables, parseMapVariables, validateVariables, GITLAB_COM_VARIABLE_LIMITS } from '../../standins/gitlab/pipelines/variables.js';
import { parseUnifiedDiff } from '../../standins/gitlab/repo/git.js';

// The pure parts: Rack's nested form keys and the two variable formats.

describe('parseRackQuery', () => {
  it('reads plain keys, + as space and percent escapes', () => {
    expect(parseRackQuery('ref=main&body=a+b%26c')).toEqual({ ref: 'main', body: 'a b&c' });
  });

  it('reads variables[K]=v as a hash', () => {
    expect(parseRackQuery('variables[A]=1&variables[B]=2')).toEqual({ variables: { A: '1', B: '2' } });
  });

  it('reads variables[][key]=..&variables[][value]=.. as an array of hashes, starting a new one when a key repeats', () => {
    expect(parseRackQuery('variables[][key]=A&variables[][value]=1&variables[][key]=B&variables[][value]=2')).toEqual({
      variables: [{ key: 'A', value: '1' }, { key: 'B', value: '2' }],
    });
  });

  it('reads list[]=a&list[]=b as an array', () => {
    expect(parseRackQuery('list[]=a&list[]=b')).toEqual({ list: ['a', 'b'] });
  });
});

describe('pipeline variable formats', () => {
  it('POST /pipeline accepts arrays and refuses maps', () => {
    expect(parseArrayVariables([{ key: 'A', value: 'x' }])).toEqual({ variables: [{ key: 'A', value: 'x', variable_type: 'env_var' }], errors: [] });
    expect(parseArrayVariables({ A: 'x' }).errors).toEqual(['variables is invalid']);
    expect(parseArrayVariables('[]').errors).toEqual(['variables is invalid']);
  });

  it('the trigger API accepts string maps and refuses anything else', () => {
    expect(parseMapVariables({ A: 'x' })).toEqual([{ key: 'A', value: 'x', variable_type: 'env_var' }]);
    expect(() => parseMapVariables({ A: 1 })).toThrow(/map of key-valued strings/);
  });

  it('validates keys and sizes', () => {
    expect(validateVariables([{ key: 'OK_1', value: 'x', variable_type: 'env_var' }], GITLAB_COM_VARIABLE_LIMITS)).toBeNull();
    expect(validateVariables([{ key: '', value: 'x', variable_type: 'env_var' }], GITLAB_COM_VARIABLE_LIMITS)?.status).toBe(400);
    const limits = { count: 1, valueBytes: 3, fileValueBytes: 5 };
    expect(validateVariables([{ key: 'F', value: 'xxxx', variable_type: 'file' }], limits)).toBeNull();
    expect(validateVariables([{ key: 'E', value: 'xxxx', variable_type: 'env_var' }], limits)?.status).toBe(400);
    expect(validateVariables([{ key: 'A', value: '', variable_type: 'env_var' }, { key: 'B', value: '', variable_type: 'env_var' }], limits)?.status).toBe(400);
  });
});

describe('parseUnifiedDiff', () => {
  it('splits per file with modes, renames and deletions', () => {
    const text = [
      'diff --git a/old.txt b/new.txt',
      'similarity index 90%',
      'rename from old.txt',
      'rename to new.txt',
      'index 1111111..2222222 100644',
      '--- a/old.txt',
      '+++ b/new.txt',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100755',
      'index 3333333..0000000',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-x',
      '',
    ].join('\n');
    expect(parseUnifiedDiff(text)).toEqual([
      { old_path: 'old.txt', new_path: 'new.txt', a_mode: '100644', b_mode: '100644', diff: '@@ -1 +1 @@\n-a\n+b\n', new_file: false, renamed_file: true, deleted_file: false },
      { old_path: 'gone.txt', new_path: 'gone.txt', a_mode: '100755', b_mode: '0', diff: '@@ -1 +0,0 @@\n-x\n', new_file: false, renamed_file: false, deleted_file: true },
    ]);
  });
});
