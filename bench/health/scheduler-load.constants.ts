/** Sampling period of `monitorEventLoopDelay` (its default). The histogram records whole periods; the delay is the excess. */
export const ELD_RESOLUTION_MS = 10;

/** What the scheduler-load child runs (passed as JSON in its argv). */
export interface SchedulerLoadSettings {
  readonly components: number;
  readonly intervalMs: number;
  readonly jitter: number;
  /** Time from bootstrap to the start of the measured window. */
  readonly warmupMs: number;
  readonly windowMs: number;
}

/** What it measured over the window. */
export interface SchedulerLoadResult {
  readonly wallMs: number;
  /** CPU time of the whole process in user mode, and in the kernel on its behalf. */
  readonly userMs: number;
  readonly systemMs: number;
  readonly checksPerSecond: number;
  /** Event-loop delay percentiles, ms beyond the sampling period. */
  readonly delayP50Ms: number;
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  /** Samples in the event-loop delay histogram. */
  readonly samples: number;
  /** Most checks started within 10 ms. */
  readonly densestBurst: number;
  /** Components HEALTHY at the end of the window (all of them, if every check ran). */
  readonly healthy: number;
}
