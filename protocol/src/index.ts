// The wire protocol of LLM Incident Manager: the one definition of every shape that crosses the network (REST
// bodies of incidents and alerts, events, subscription filters, `/ws` messages, close codes), shared by the server,
// the client SDK and the dashboard. No runtime dependencies: it runs in Node and in browsers.
export * from './severity';
export * from './incident-state';
export * from './incident-type';
export * from './incident';
export * from './alert';
export * from './events';
export * from './filters';
export * from './stream';
export * from './rest';
