import { strict as assert } from 'node:assert';
import { MANAGER_TRANSITIONS, type ManagerState } from '../../../src/operator/index.js';

describe('Manager lifecycle transitions', () => {
  const allowed: [ManagerState, ManagerState][] = [
    ['idle', 'starting'],
    ['idle', 'stopping'],
    ['starting', 'running'],
    ['starting', 'stopping'],
    ['running', 'stopping'],
    ['stopping', 'stopped'],
  ];
  const states = Object.keys(MANAGER_TRANSITIONS) as ManagerState[];
  for (const from of states) {
    for (const to of states) {
      const ok = allowed.some(([a, b]) => a === from && b === to);
      it(`${from} → ${to}: ${ok ? 'allowed' : 'refused'}`, () => {
        assert.equal(MANAGER_TRANSITIONS[from].includes(to), ok);
      });
    }
  }
});
