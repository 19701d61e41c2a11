import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hfHome, hubImplicitTokenDisabled, hubOffline, hubOfflineVariable, hubToken, hubTokenPath, hubTokenToSend } from '../src/index.js';

const VARS = ['HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HF_HOME', 'XDG_CACHE_HOME', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_DISABLE_IMPLICIT_TOKEN'];
function withEnv<T>(vars: Record<string, string>, body: () => T): T {
  const saved = { ...process.env };
  for (const name of VARS) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    return body();
  } finally {
    process.env = saved;
  }
}

test("offline mode as huggingface_hub reads it: HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE, HF_HUB_OFFLINE deciding when set", () => {
  const cases: Array<[Record<string, string>, string | undefined]> = [
    [{}, undefined],
    [{ HF_HUB_OFFLINE: '1' }, 'HF_HUB_OFFLINE'],
    [{ HF_HUB_OFFLINE: ' Yes ' }, 'HF_HUB_OFFLINE'],
    [{ HF_HUB_OFFLINE: '0' }, undefined],
    [{ TRANSFORMERS_OFFLINE: 'ON' }, 'TRANSFORMERS_OFFLINE'],
    [{ TRANSFORMERS_OFFLINE: 'true', HF_HUB_OFFLINE: '' }, 'TRANSFORMERS_OFFLINE'],
    // `HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE`: a set HF_HUB_OFFLINE wins, whatever it says.
    [{ TRANSFORMERS_OFFLINE: '1', HF_HUB_OFFLINE: '0' }, undefined],
  ];
  for (const [vars, expected] of cases) {
    withEnv(vars, () => {
      expect([vars, hubOfflineVariable()]).toEqual([vars, expected]);
      expect(hubOffline()).toBe(expected !== undefined);
    });
  }
});

test("the token as huggingface_hub's get_token() finds it: HF_TOKEN, HUGGING_FACE_HUB_TOKEN, then the file `hf auth login` writes", () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'codistill-hf-home-'));
  withEnv({ HF_HOME: home }, () => {
    expect(hfHome()).toBe(home);
    expect(hubTokenPath()).toBe(path.join(home, 'token'));
    expect(hubToken()).toBeUndefined();
    writeFileSync(path.join(home, 'token'), ' hf_file \r\n');
    expect(hubToken()).toEqual({ token: 'hf_file', source: path.join(home, 'token') });
    process.env.HUGGING_FACE_HUB_TOKEN = 'hf_old_name';
    expect(hubToken()).toEqual({ token: 'hf_old_name', source: 'HUGGING_FACE_HUB_TOKEN' });
    process.env.HF_TOKEN = 'hf_env\n';
    expect(hubToken()).toEqual({ token: 'hf_env', source: 'HF_TOKEN' });
    // A blank HF_TOKEN hides the older name (huggingface_hub's `or` sees a set value) but not the file.
    process.env.HF_TOKEN = '  ';
    expect(hubToken()).toEqual({ token: 'hf_file', source: path.join(home, 'token') });
  });
  const other = path.join(home, 'elsewhere');
  writeFileSync(other, 'hf_path');
  withEnv({ HF_HOME: home, HF_TOKEN_PATH: other }, () => expect(hubToken()).toEqual({ token: 'hf_path', source: other }));
  withEnv({ XDG_CACHE_HOME: home }, () => expect(hubTokenPath()).toBe(path.join(home, 'huggingface', 'token')));
  withEnv({}, () => expect(hfHome()).toBe(path.join(os.homedir(), '.cache', 'huggingface')));
  // An unreadable token file is an error naming it (only a missing one means "no token").
  const dir = path.join(home, 'a-folder');
  mkdirSync(dir);
  withEnv({ HF_TOKEN_PATH: dir }, () => expect(() => hubToken()).toThrow(`${dir} (the Hugging Face token file): EISDIR`));
});

test('HF_HUB_DISABLE_IMPLICIT_TOKEN reads as huggingface_hub reads its switches: 1, true, yes or on, in any case', () => {
  const cases: Array<[string | undefined, boolean]> = [[undefined, false], ['', false], ['0', false], ['false', false], ['no', false], ['1', true], ['TRUE', true], ['Yes', true], ['on', true], [' 1 ', true]];
  for (const [value, expected] of cases) {
    withEnv(value === undefined ? {} : { HF_HUB_DISABLE_IMPLICIT_TOKEN: value }, () => expect([value, hubImplicitTokenDisabled()]).toEqual([value, expected]));
  }
});

test("the token a request sends, as huggingface_hub's get_token_to_send(): the explicit one, else get_token()'s unless HF_HUB_DISABLE_IMPLICIT_TOKEN is on", () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'codistill-hf-home-'));
  const file = path.join(home, 'token');
  writeFileSync(file, 'hf_file\n');
  withEnv({ HF_HOME: home }, () => {
    expect(hubTokenToSend()).toEqual({ token: 'hf_file', source: file });
    expect(hubTokenToSend('')).toEqual({ token: 'hf_file', source: file }); // an empty option is no option
    expect(hubTokenToSend('hf_given')).toEqual({ token: 'hf_given', source: 'the token option' });
    process.env.HUGGING_FACE_HUB_TOKEN = 'hf_old_name';
    expect(hubTokenToSend()).toEqual({ token: 'hf_old_name', source: 'HUGGING_FACE_HUB_TOKEN' });
    process.env.HF_TOKEN = 'hf_env';
    expect(hubTokenToSend()).toEqual({ token: 'hf_env', source: 'HF_TOKEN' });
    // Switched on, everything get_token() finds is implicit, HF_TOKEN included: nothing is sent but an explicit token.
    for (const on of ['1', 'True', 'YES', 'on']) {
      process.env.HF_HUB_DISABLE_IMPLICIT_TOKEN = on;
      expect(hubTokenToSend()).toEqual({ source: expect.stringMatching(/^none \(HF_HUB_DISABLE_IMPLICIT_TOKEN is on: HF_TOKEN, HUGGING_FACE_HUB_TOKEN and the token file are not sent/) });
      expect(hubTokenToSend('hf_given')).toEqual({ token: 'hf_given', source: 'the token option' });
    }
    delete process.env.HF_TOKEN;
    delete process.env.HUGGING_FACE_HUB_TOKEN;
    expect(hubTokenToSend().token).toBeUndefined(); // nor the file
    process.env.HF_HUB_DISABLE_IMPLICIT_TOKEN = '0';
    expect(hubTokenToSend()).toEqual({ token: 'hf_file', source: file });
  });
  withEnv({ HF_HOME: path.join(home, 'nothing-here') }, () => expect(hubTokenToSend()).toEqual({ source: 'none' }));
  // As get_token_to_send() checks the switch before get_token(), the token file is not even read then.
  const dir = path.join(home, 'a-folder');
  mkdirSync(dir);
  withEnv({ HF_TOKEN_PATH: dir }, () => expect(() => hubTokenToSend()).toThrow('EISDIR'));
  withEnv({ HF_TOKEN_PATH: dir, HF_HUB_DISABLE_IMPLICIT_TOKEN: '1' }, () => expect(hubTokenToSend().token).toBeUndefined());
});
