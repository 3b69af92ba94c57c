// The operator's controllers, in the order the manager starts them: sources first, so that a
// PrefixSync's first reconcile finds its source's connection being made.
import type { ControllerSetup } from '../runtime/index.js';
import { EtcdSourceSetup } from './etcdsource/setup.js';
import { PrefixSyncSetup } from './prefixsync/setup.js';
import type { ControllerEnv } from './shared/controller-env.js';

/** Every controller of the operator, wired from `env`. */
export function operatorControllers(env: ControllerEnv): ControllerSetup[] {
  return [new EtcdSourceSetup(env), new PrefixSyncSetup(env)];
}
