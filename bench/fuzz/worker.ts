// Runs one target's campaign in a worker thread of main.ts, so that the main thread stays free
// to sample memory and to stop a worker stuck in a decoder (a hang no time check can catch).
import { parentPort, workerData } from "node:worker_threads";
import { type CampaignResult, type Failure, runCampaign } from "./campaign.js";
import { makeTarget, type TargetName } from "./target.js";

/** What main.ts passes to a worker. */
export interface WorkerJob {
  target: TargetName;
  seed: number;
  inputs: number;
  timeBoundMs: number;
  /** Stop after this many hangs. */
  maxHangs: number;
  /** One Int32 slot: the index of the input being decoded. */
  progress: SharedArrayBuffer;
}

/** What a worker posts back: each failure as it happens, then its result. */
export type WorkerReport =
  | { type: "failure"; failure: Failure }
  | { type: "done"; result: CampaignResult };

const job = workerData as WorkerJob;
const post = (report: WorkerReport) => parentPort?.postMessage(report);
const result = runCampaign(makeTarget(job.target), {
  seed: job.seed,
  inputs: job.inputs,
  timeBoundMs: job.timeBoundMs,
  maxHangs: job.maxHangs,
  progress: new Int32Array(job.progress),
  onFailure: (failure) => post({ type: "failure", failure }),
});
post({ type: "done", result });
