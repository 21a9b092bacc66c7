import { continueHandler, type AttributeValue } from '../../core/context';
import { wrapMethod, type AnyFunction } from '../../core/patch';
import type { Undo } from '../../core/undo';
import type { ClientEvents } from '../client-emit';
import type { Integration } from '../integration';

/*
 * Sapphire (@sapphire/framework 5), a framework on top of discord.js: the handler stays the
 * discord.js gateway event that started the work (`interactionCreate`, with its ids and its
 * acknowledgement), and what runs in it gains Sapphire's words. Two things make that so:
 * - Sapphire answers a gateway event by re-emitting its own events on the client from inside the
 *   event's listeners (interactionCreate → possibleChatInputCommand → preChatInputCommandRun →
 *   chatInputCommandAccepted, whose listener runs the command). Once Sapphire is loaded, an emit
 *   inside a handler of the same client continues that handler (ClientEvents.frameworkLoaded).
 * - Every piece enters its store through Store#insert (@sapphire/pieces: loadAll, loadPiece and
 *   load all come there). The methods Sapphire runs a piece by are wrapped on the piece itself,
 *   so each runs as a part of the handler with `framework`, `store`, `piece` and `run` attributes.
 * CommonJS apps load @sapphire/pieces' dist/cjs files (a require hook sees Store.cjs); ESM apps
 * load its ESM build, which @sapphire/framework re-exports `Store` from.
 */

/** The methods Sapphire calls on each store's pieces. */
const runMethods: Readonly<Record<string, readonly string[]>> = {
  commands: ['messageRun', 'chatInputRun', 'contextMenuRun', 'autocompleteRun'],
  listeners: ['run'],
  'interaction-handlers': ['parse', 'run'],
  preconditions: ['messageRun', 'chatInputRun', 'contextMenuRun'],
  arguments: ['run'],
};
/** Stores of plugins and of the app (scheduled tasks, routes): their pieces' `run`. */
const otherStores: readonly string[] = ['run'];

interface Piece {
  readonly name?: unknown;
  readonly [method: string]: unknown;
}

/** Wraps the run methods of `piece` (of the store named `store`) that it has, once per piece and method. */
function wrapPiece(piece: Piece, store: string, events: ClientEvents, undos: Undo[]): void {
  const name = piece.name;
  if (typeof name !== 'string') return;
  for (const method of runMethods[store] ?? otherStores) {
    // Made once per piece and method: a call adds no allocation but the part's context.
    const attributes: Record<string, AttributeValue> = { framework: 'sapphire', store, piece: name, run: method };
    const undo = wrapMethod(piece, method, (original) => function (this: unknown, ...args: unknown[]): unknown {
      if (!events.active) return Reflect.apply(original, this, args);
      return continueHandler(attributes, () => Reflect.apply(original, this, args));
    } as AnyFunction);
    if (undo !== undefined) undos.push(undo);
  }
}

type StoreExports = { Store?: { prototype?: object } } | undefined;

/** Patches Store#insert of @sapphire/pieces (its CommonJS Store.cjs, or the ESM build's Store). */
function patchStore(exports: unknown, events: ClientEvents): Undo | undefined {
  const proto = (exports as StoreExports)?.Store?.prototype;
  if (proto === undefined) return undefined;
  events.frameworkLoaded();
  const pieces: Undo[] = [];
  const undoInsert = wrapMethod(proto, 'insert', (original) => function (this: { name?: unknown }, piece: unknown): unknown {
    if (events.active && typeof this.name === 'string' && piece !== null && typeof piece === 'object') {
      wrapPiece(piece as Piece, this.name, events, pieces);
    }
    return Reflect.apply(original, this, arguments);
  } as AnyFunction);
  return () => {
    undoInsert?.();
    for (const undo of pieces.splice(0).reverse()) undo();
  };
}

export const sapphire: Integration = {
  name: 'sapphire',
  package: '@sapphire/framework',
  targets: [{ file: '@sapphire/pieces/dist/cjs/lib/structures/Store.cjs', patch: patchStore }],
  esm: { patch: patchStore },
};
