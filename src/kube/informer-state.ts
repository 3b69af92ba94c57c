// The informer's lifecycle as an explicit state machine (STYLE.md §7): the states and the only
// transitions between them, kept apart from the loop so that the table can be read and tested alone.

/** The informer's lifecycle; changed only through `Informer.transition()`. */
export type InformerState = 'idle' | 'listing' | 'watching' | 'backoff' | 'closed';

/**
 * Every transition an informer may make, by from-state; transition() refuses any other. A healthy
 * watch that ended is simply watched again (watching → watching); 410 Gone relists (watching →
 * listing); `closed` is terminal.
 */
export const INFORMER_TRANSITIONS: Readonly<Record<InformerState, readonly InformerState[]>> = {
  idle: ['listing', 'closed'],
  listing: ['watching', 'backoff', 'closed'],
  watching: ['watching', 'listing', 'backoff', 'closed'],
  backoff: ['listing', 'watching', 'closed'],
  closed: [],
};
