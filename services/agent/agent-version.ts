/** Recorded with every run, so a change of agent shows in the data. */
export const AGENT_VERSION = '0.1.0';
