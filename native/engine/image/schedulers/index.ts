import { DdimScheduler } from './ddim';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep';
import { EulerAncestralScheduler } from './euler-ancestral';
import { LcmScheduler } from './lcm';
import type { Scheduler, SchedulerConfigInput, SchedulerName } from './scheduler';

export * from './scheduler';
export { DdimScheduler, DpmSolverMultistepScheduler, EulerAncestralScheduler, LcmScheduler };

/** The scheduler a diffusers config names by its class, when the request names none. */
const BY_CLASS: Record<string, SchedulerName> = {
  DDIMScheduler: 'ddim',
  EulerAncestralDiscreteScheduler: 'euler-a',
  DPMSolverMultistepScheduler: 'dpm++2m',
  LCMScheduler: 'lcm',
};

export function defaultSchedulerName(config: SchedulerConfigInput): SchedulerName {
  return BY_CLASS[config._class_name ?? ''] ?? 'ddim';
}

/** A scheduler built from a model's scheduler_config.json (diffusers' `from_config`). */
export function createScheduler(name: SchedulerName, config: SchedulerConfigInput): Scheduler {
  switch (name) {
    case 'ddim':
      return new DdimScheduler(config);
    case 'euler-a':
      return new EulerAncestralScheduler(config);
    case 'dpm++2m':
      return new DpmSolverMultistepScheduler(config);
    case 'lcm':
      return new LcmScheduler(config);
  }
}
