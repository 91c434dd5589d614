// What the RPC needs of a port: a worker's MessagePort, an in-thread MessageChannel end
// (`--isolation none`), or one side of a child process's IPC channel (`--isolation process`).
// The client and server are written against this, so all three carry the same messages with the
// same order and the same failure rules.

import { EventEmitter } from 'node:events';

export interface RpcPort {
  /** 'message' (a protocol.ts message) and 'messageerror' (an Error) are the events used. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- MessagePort's own signature
  on(event: string, listener: (arg: any) => void): unknown;
  /** Throws synchronously when the message cannot be cloned (nothing is sent then). */
  postMessage(message: unknown): void;
  removeAllListeners(event: 'message'): unknown;
  close(): void;
}

/**
 * One side of a child process's IPC channel as an RpcPort. The channel also carries the
 * host's control messages (protocol.ts), so the owner routes: it calls `deliver()` with every
 * session message and keeps the rest. `send` is `child.send` or `process.send`: with
 * `serialization: 'advanced'` both serialise synchronously, so an uncloneable argument throws
 * here exactly as MessagePort.postMessage would.
 */
export class IpcPort extends EventEmitter implements RpcPort {
  readonly #send: (message: unknown, done: (err: Error | null) => void) => void;
  #closed = false;
  #pending = 0;
  #drained: Array<() => void> = [];

  constructor(send: (message: unknown, done: (err: Error | null) => void) => void) {
    super();
    this.#send = send;
  }

  /** A message for the RPC arrived on the channel. */
  deliver(message: unknown): void {
    if (!this.#closed) this.emit('message', message);
  }

  postMessage(message: unknown): void {
    // Like a closed MessagePort: silently nothing (the RPC client refuses traffic after failAll).
    if (this.#closed) return;
    this.#pending++;
    try {
      this.#send(message, () => this.#written());
    } catch (e) {
      this.#written();
      throw e;
    }
  }

  #written(): void {
    if (--this.#pending > 0) return;
    const waiters = this.#drained;
    this.#drained = [];
    for (const w of waiters) w();
  }

  /**
   * Resolves once everything posted so far has been written to the channel. A process that
   * exits with writes queued loses them (measured: 57 of 1,000 messages arrived), so the child
   * waits for this before it exits after `closed`.
   */
  drained(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  close(): void {
    this.#closed = true;
  }
}
