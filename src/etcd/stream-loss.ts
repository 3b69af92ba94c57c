// THE "HALT OR RETRY?" DECISION for a lost watch stream (STYLE.md §17): plain inputs, a plain verdict;
// WatchStream.onStreamLost only applies it. canHeal (errors.ts) classifies the error itself; this adds
// what only the stream knows (whether a call was open, a create in flight, a token on the call).
import { AuthTokenInvalidError, RequestTooLargeError, canHeal, type EtcdError } from './errors.js';

/** What the stream knew when it lost its call (or failed to open one). */
export interface StreamLossInput {
  /** The typed error the call ended with (or the open failed with). */
  error: EtcdError;
  /** A call was open (not merely being opened): only then does the loss say something about its endpoint. */
  hadCall: boolean;
  /** One watcher's create request was in flight on the lost call. */
  isCreateInFlight: boolean;
  /** The last call carried an auth token (auth is enabled and a token was sent). */
  hasCallToken: boolean;
}

/**
 * What the stream does about a loss:
 * - `halt`: the error cannot heal; every watch ends with it and the stream goes idle;
 * - `retry`: reconnect after backoff, re-creating every open watch from its resume point, after
 *   - `failCreating`: ending the watcher whose create was in flight with the error (only it can never
 *     succeed; the others resume);
 *   - `refreshToken`: dropping the call's token so that the next open fetches a fresh one;
 *   - `markEndpointFailed`: preferring another endpoint next time.
 */
export type StreamLossVerdict =
  | { action: 'halt' }
  | { action: 'retry'; failCreating: boolean; refreshToken: boolean; markEndpointFailed: boolean };

/**
 * Decides halt or retry for a lost watch stream. Pure; never throws.
 *
 * - RequestTooLarge with a create in flight: etcd's gRPC server ends the whole stream when one message
 *   is over its size limit. Creates go out one at a time and cancels and progress requests are tiny, so
 *   it was the create in flight: that watch fails, the others retry; the endpoint is not to blame.
 * - AuthTokenInvalid on a call that carried a token: the token expired; refresh it and retry.
 * - Otherwise canHeal decides: retry (blaming the endpoint only if a call was open — a failed open has
 *   already rotated) or halt.
 */
export function decideStreamLoss(input: StreamLossInput): StreamLossVerdict {
  const { error, hadCall, isCreateInFlight, hasCallToken } = input;
  const failCreating = error instanceof RequestTooLargeError && isCreateInFlight;
  const refreshToken = error instanceof AuthTokenInvalidError && hasCallToken;
  if (!failCreating && !refreshToken && !canHeal(error)) return { action: 'halt' };
  return { action: 'retry', failCreating, refreshToken, markEndpointFailed: hadCall && !failCreating };
}
