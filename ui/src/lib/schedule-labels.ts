import { MisfirePolicy, OverlapPolicy } from "../gen/flightcontrol/v1/schedule_pb";

export const MISFIRE_OPTIONS: [MisfirePolicy, string][] = [
  [MisfirePolicy.SKIP, "Skip missed firings"],
  [MisfirePolicy.RUN_ONCE, "Run once to catch up"],
];

export const OVERLAP_OPTIONS: [OverlapPolicy, string][] = [
  [OverlapPolicy.ALLOW, "Allow overlapping runs"],
  [OverlapPolicy.SKIP, "Skip while previous runs"],
  [OverlapPolicy.CANCEL_PREVIOUS, "Cancel the previous run"],
];
