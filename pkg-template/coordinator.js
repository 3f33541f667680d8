// The coordinator: a Durable Object class that holds one token per key for every connection that
// names it (createConnection's `coordinator`). Each ask carries the asker's settings; the core's
// object exchange (Exchange.object) derives the key from them, loads the record, and drops,
// answers or renews. The settings live only as long as the ask: what is stored is the token and
// the refresh token (docs/guide/coordinator.md).
import * as wasm from './oauth_token_connection.js';
import internal from './api.js';
import { errorName } from './settings.js';

const { drive, loaded } = internal;

/**
 * The Durable Object class to export from the Worker and bind with `class_name =
 * "OAuthTokenCoordinator"`; connections reach it through `coordinator: env.<binding>`.
 */
export class OAuthTokenCoordinator {
  #storage;
  #records = new Map(); // key -> the stored record's JSON text, or undefined: none
  #turns = new Map(); // key -> the last ask's turn, resolving with its failure (if any) when it ends

  constructor(state) {
    this.#storage = state.storage;
  }

  /** An ask: POST `{ settings, drop?, dropOnly? }`; answers `{ value? }` or `{ error }` as JSON. */
  async fetch(request) {
    if (request.method !== 'POST') return new Response('POST an ask', { status: 405 });
    let ask;
    try {
      ask = await request.json();
    } catch {
      return new Response('the ask is not JSON', { status: 400 });
    }
    const { settings, drop, dropOnly } = ask ?? {};
    await loaded();
    let ex;
    try {
      ex = wasm.Exchange.object(settings, typeof drop === 'string' ? drop : undefined, dropOnly === true);
    } catch {
      // Settings its connection accepted: this object is of another version of the package. The
      // connection requests its own token (with a warning naming the status).
      return new Response('settings this version does not accept', { status: 422 });
    }
    return Response.json(await this.#answer(ex));
  }

  async #answer(ex) {
    const turn = new Turn(this.#turns, this.#records, this.#storage);
    try {
      const step = await drive(ex, { store: turn });
      turn.end();
      return step.value === undefined ? {} : { value: step.value };
    } catch (e) {
      // The core's errors (their fields) go back to the asker; anything else is a bug here, and
      // the asker requests its own token.
      const error = fields(e);
      turn.end(error);
      if (error === undefined) throw e;
      return { error };
    } finally {
      ex.free();
    }
  }
}

/**
 * One ask's turn at its key: renewals of one key are serialized, and asks that waited on a
 * renewal that failed share its error (rather than each requesting in turn).
 */
class Turn {
  #turns;
  #records;
  #storage;
  #end = () => {};

  constructor(turns, records, storage) {
    this.#turns = turns;
    this.#records = records;
    this.#storage = storage;
  }

  /** The record stored under `key`, once every earlier ask of it has ended: `{ value }`, `{}` or `{ failed }`. */
  async load(key) {
    const before = this.#turns.get(key);
    let settle;
    const mine = new Promise((resolve) => (settle = resolve));
    this.#turns.set(key, mine);
    this.#end = (failure) => {
      if (this.#turns.get(key) === mine) this.#turns.delete(key);
      settle(failure);
    };
    const failure = await before;
    if (failure !== undefined) throw failure;
    if (this.#records.has(key)) return { value: this.#records.get(key) };
    try {
      const value = await this.#storage.get(key);
      const text = typeof value === 'string' ? value : undefined;
      this.#records.set(key, text);
      return { value: text };
    } catch (e) {
      return { failed: errorName(e) };
    }
  }

  /** Stores `value` under `key` (undefined: deletes it): in memory at once, then in storage. */
  async save(key, value) {
    this.#records.set(key, value);
    try {
      await (value === undefined ? this.#storage.delete(key) : this.#storage.put(key, value));
      return {};
    } catch (e) {
      return { failed: errorName(e) };
    }
  }

  /** Ends the turn: the next ask of the key goes on, or shares `failure`. */
  end(failure) {
    this.#end(failure);
    this.#end = () => {};
  }
}

/** The fields of one of this package's errors (an OAuthTokenError, or the core's plain fields). */
function fields(e) {
  if (e === null || typeof e !== 'object' || typeof e.code !== 'string') return undefined;
  const { code, message, hint, status, error, errorDescription, errorUri } = e;
  return { code, message, hint, status, error, errorDescription, errorUri };
}
