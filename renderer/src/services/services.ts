// The services a component may use, handed down through context so tests can swap them.
import { createContext, useContext } from 'react';
import type { ReefTransport } from '../../../sdk/contract.js';
import { BusSubscriptions } from './bus-subscriptions.js';
import type { PanelApi } from '../../../sdk/panel.js';
import { createPanelApi } from './panel-api.js';
import { runContributedCommand } from './commands.js';
import type { ContributedCommand } from './contributions.js';

export interface Services {
  panelApi(pluginId: string): PanelApi;
  runCommand(command: ContributedCommand): Promise<void>;
}

export function createServices(transport: ReefTransport, subscriptions: BusSubscriptions = new BusSubscriptions(transport)): Services {
  const apis = new Map<string, PanelApi>();
  return {
    panelApi(pluginId) {
      let api = apis.get(pluginId);
      if (!api) {
        api = createPanelApi(pluginId, transport, subscriptions);
        apis.set(pluginId, api);
      }
      return api;
    },
    runCommand: (command) => runContributedCommand(transport, command),
  };
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices needs a <ServicesContext.Provider> above it');
  return services;
}
