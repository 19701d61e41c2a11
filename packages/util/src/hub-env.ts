import fs from 'node:fs';
import path from 'node:path';
import { cacheHome } from './cache-home.js';

/** What huggingface_hub reads as true in its switches. */
const TRUE = ['1', 'true', 'yes', 'on'];

/**
 * The variable that turns Hugging Face's offline mode on, or undefined when it is off. As
 * huggingface_hub reads it: HF_HUB_OFFLINE when set, else TRANSFORMERS_OFFLINE (transformers'
 * older name), true when 1, true, yes or on.
 */
export function hubOfflineVariable(): 'HF_HUB_OFFLINE' | 'TRANSFORMERS_OFFLINE' | undefined {
  const name = process.env.HF_HUB_OFFLINE ? 'HF_HUB_OFFLINE' : 'TRANSFORMERS_OFFLINE';
  return isTrue(name) ? name : undefined;
}

/** A huggingface_hub switch as its constants._is_true reads one: 1, true, yes or on, in any case (spaces around ignored here). */
const isTrue = (name: string) => TRUE.includes((process.env[name] ?? '').trim().toLowerCase());

/**
 * Hugging Face's offline switch as its libraries read it (see hubOfflineVariable). Every package
 * that downloads from the Hub (models, TACO data) asks here, so they agree.
 */
export function hubOffline(): boolean {
  return hubOfflineVariable() !== undefined;
}

/** Hugging Face's home folder: HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. */
export function hfHome(): string {
  return process.env.HF_HOME || path.join(cacheHome(), 'huggingface');
}

/** Where `hf auth login` saves the token: HF_TOKEN_PATH, else $HF_HOME/token. */
export const hubTokenPath = (): string => process.env.HF_TOKEN_PATH || path.join(hfHome(), 'token');

/** A token as huggingface_hub cleans one: line breaks dropped, spaces trimmed, empty = none. */
const clean = (token: string | undefined) => token?.replace(/[\r\n]/g, '').trim() || undefined;

/**
 * The Hub access token and where it came from (to name the source in messages; never print the
 * token), as huggingface_hub's get_token() finds it: HF_TOKEN (else its older name
 * HUGGING_FACE_HUB_TOKEN), else the file `hf auth login` saves (hubTokenPath); undefined when none.
 */
export function hubToken(): { token: string; source: string } | undefined {
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) {
    const token = clean(process.env[name]);
    if (token) return { token, source: name };
    // huggingface_hub reads `HF_TOKEN or HUGGING_FACE_HUB_TOKEN`: a set but blank HF_TOKEN hides the older name.
    if (process.env[name]) break;
  }
  const file = hubTokenPath();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file} (the Hugging Face token file): ${(e as Error).message}`);
  }
  const token = clean(text);
  return token ? { token, source: file } : undefined;
}

/**
 * HF_HUB_DISABLE_IMPLICIT_TOKEN is on (1, true, yes or on): only a token passed explicitly is sent
 * to the Hub, never one found in the environment or the token file (see hubTokenToSend).
 */
export const hubImplicitTokenDisabled = (): boolean => isTrue('HF_HUB_DISABLE_IMPLICIT_TOKEN');

/** The token a Hub request sends (none: `token` undefined) and, for messages, where it came from or why there is none. */
export interface HubTokenToSend {
  token?: string;
  /** 'the token option', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', the token file's path, or 'none' (with the reason when HF_HUB_DISABLE_IMPLICIT_TOKEN withheld one). */
  source: string;
}

/**
 * The token to send with a Hub request, as huggingface_hub's get_token_to_send (utils/_headers.py)
 * chooses it: a token passed explicitly (the caller's `token` option; empty counts as none) as it
 * is; else, unless HF_HUB_DISABLE_IMPLICIT_TOKEN is on, what get_token() finds (hubToken). There
 * everything get_token() finds is implicit, HF_TOKEN as much as the token file, and the switch is
 * read before the file is.
 */
export function hubTokenToSend(explicit?: string): HubTokenToSend {
  if (explicit) return { token: explicit, source: 'the token option' };
  if (hubImplicitTokenDisabled()) {
    return { source: 'none (HF_HUB_DISABLE_IMPLICIT_TOKEN is on: HF_TOKEN, HUGGING_FACE_HUB_TOKEN and the token file are not sent, only a token passed explicitly)' };
  }
  return hubToken() ?? { source: 'none' };
}
