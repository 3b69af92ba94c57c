import { strict as assert } from 'node:assert';
import { CONTROLLER_TRANSITIONS, type ControllerState } from '../../../src/runtime/controller.js';

describe('Controller transitions', () => {
  const states = Object.keys(CONTROLLER_TRANSITIONS) as ControllerState[];
  it('runs only from idle, and may be stopped before it ran', () => {
    assert.deepEqual(
      states.filter((s) => CONTROLLER_TRANSITIONS[s].includes('running')),
      ['idle'],
    );
    assert.deepEqual([...CONTROLLER_TRANSITIONS.idle].sort(), ['running', 'stopping']);
  });
  it('stops only through stopping, and stopped is terminal', () => {
    assert.deepEqual(
      states.filter((s) => CONTROLLER_TRANSITIONS[s].includes('stopped')),
      ['stopping'],
    );
    assert.deepEqual(CONTROLLER_TRANSITIONS.stopped, []);
  });
});
