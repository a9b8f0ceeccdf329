export * from './alert';
export * from './incident';
export * from './incident-state';
export * from './incident-type';
export * from './severity';
export * from './escalation-trigger';
