/** One publish waiting: `send` writes it (and may throw), `reject` fails its caller. */
interface Held {
  send: () => void;
  reject: (e: Error) => void;
}

/**
 * The publishes a link holds back while it may not write (channel backpressure, a broker that
 * blocks publishing): sent in order once it may, failed when the connection drops. A link
 * holds every later publish too while any waits, so none overtakes another.
 */
export class HeldPublishes {
  private readonly held: Held[] = [];

  get size(): number {
    return this.held.length;
  }

  /** Holds a publish; the promise resolves once `send` has run, or rejects with its error. */
  hold(send: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.held.push({
        send: () => {
          send();
          resolve();
        },
        reject,
      });
    });
  }

  /** Sends the held publishes, oldest first, while `canSend()` says the link may write. */
  release(canSend: () => boolean): void {
    while (this.held.length > 0 && canSend()) {
      const h = this.held.shift()!;
      try {
        h.send();
      } catch (e) {
        h.reject(e as Error);
      }
    }
  }

  /** Fails every held publish with `err` (the connection is gone). */
  failAll(err: Error): void {
    for (const h of this.held.splice(0)) h.reject(err);
  }
}
