import type { Bus } from '../core/bus';
import { ConfigError } from '../core/errors';
import type { Undo } from '../core/undo';
import type { Observers } from '../handlers/lifecycle';
import type { EsmHook } from '../hooks/esm-packages';
import type { FileHook } from '../hooks/package-files';
import { ClientEvents } from './client-emit';
import { Gateways } from './gateways';
import type { Integration } from './integration';
import { Interactions } from './interactions';
import { integrations } from './libraries/index';

/*
 * Everything loopguard knows of Discord, as one plugin of the runtime: the bot libraries' hooks,
 * interaction acknowledgements and the 3 s deadline, gateway heartbeats, and what a stall puts at
 * risk. The core knows no bot library.
 */

export { integrations };
export type { Integration };

/** The integrations a LOOPGUARD_INTEGRATIONS value chooses (names in any case); a ConfigError for a name it does not know. */
export function chooseIntegrations(setting: 'auto' | 'off' | readonly string[]): readonly Integration[] {
  if (setting === 'off') return [];
  if (setting === 'auto') return integrations;
  const names = [...new Set(integrations.map((i) => i.name))];
  const wanted = new Set(setting.map((n) => n.toLowerCase()));
  const unknown = [...wanted].filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError('LOOPGUARD_INTEGRATIONS', `loopguard: invalid LOOPGUARD_INTEGRATIONS (integrations) ${JSON.stringify(setting.join(','))}: ${unknown.map((n) => JSON.stringify(n)).join(', ')} is no integration; accepted: auto, off, or names among ${names.join(', ')}`);
  }
  return integrations.filter((i) => wanted.has(i.name));
}

export interface DiscordHooks {
  files: FileHook[];
  esm: EsmHook[];
}

export class Discord {
  readonly events: ClientEvents;
  private readonly undoAtRisk: Undo;

  constructor(bus: Bus, observers: Observers) {
    const interactions = new Interactions(bus);
    const gateways = new Gateways();
    this.events = new ClientEvents(observers, interactions, gateways);
    this.undoAtRisk = bus.atRisk.add({
      snapshot: () => interactions.snapshot(),
      assess: (start, end, snapshot) => ({
        heartbeats: gateways.atRisk(start, end),
        interactions: interactions.atRisk(end, snapshot as readonly object[] | undefined),
      }),
    });
  }

  /** The loading hooks of the chosen integrations (a failure to patch is said once per file, and the app goes on). */
  hooks(chosen: readonly Integration[], warn: (key: string, text: string) => void): DiscordHooks {
    const files: FileHook[] = [];
    const esm: EsmHook[] = [];
    const events = this.events;
    for (const integration of chosen) {
      for (const target of integration.targets) {
        files.push({
          file: target.file,
          patch: (exports) => target.patch(exports, events),
          onError: (error) => warn(`integration:${target.file}`, `could not hook ${integration.name} (${target.file}): ${error instanceof Error ? error.message : String(error)}; its handlers are not tracked`),
        });
      }
      const build = integration.esm;
      if (build !== undefined) {
        esm.push({
          package: integration.package,
          patch: (namespace) => build.patch(namespace, events),
          onError: (error) => warn(`esm:${integration.name}`, `could not hook ${integration.name}'s ESM build: ${error instanceof Error ? error.message : String(error)}; handlers of ESM apps using it are not tracked`),
        });
      }
    }
    return { files, esm };
  }

  /** Every patch calls straight through from now on (those that cannot be taken out too). */
  stop(): void {
    this.events.active = false;
    this.events.interactions.stop();
    this.undoAtRisk();
  }
}
