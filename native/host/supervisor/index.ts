// What the desktop shell takes from the supervisor (electron/ imports native/ only here, the contract and the host entry).
export { EngineSupervisor, type EngineState, type HostChild, type HostChildHandlers, type HostLauncher } from './engine-supervisor';
export { checkMethod, failure } from './outcome';
export { RestartPolicy, DEFAULT_RESTART_POLICY, type RestartDecision } from './restart-policy';
export { createLogger, describeError, type Logger } from '../../shared/log';
