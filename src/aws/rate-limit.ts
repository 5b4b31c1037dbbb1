// A client-side token bucket for SendSSHPublicKey, so that a fleet run stays under the
// service's request rate instead of leaning on ThrottlingException retries (send-key.ts
// still backs off on those). Reservations are taken synchronously, so concurrent
// callers queue in order: the n-th caller beyond the burst waits n/rate seconds.
// Over any one-second window at most burst + rate calls start.

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('a token bucket needs a positive rate and a burst of at least 1');
    this.tokens = burst;
    this.last = clock.now();
  }

  // Resolves when the caller may make its request; returns how long it waited (ms).
  async take(): Promise<number> {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    const wait = Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
    await this.clock.sleep(wait);
    return wait;
  }
}

// The account-wide SendSSHPublicKey limit is not published; 8 per second with a
// burst of 2 keeps any one-second window at 10 or fewer, the sandbox's throttle knob in
// the fleet tests, and costs a single connection nothing.
export const PUSH_RATE_PER_SECOND = 8;
export const PUSH_BURST = 2;

// One bucket per process: every push of this process shares the account's limit.
export const pushLimiter = new TokenBucket(PUSH_RATE_PER_SECOND, PUSH_BURST);
