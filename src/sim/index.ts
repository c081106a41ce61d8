export { decodeWrite, encodeWrite, History, idsOf, type WriteRecord } from './history.js';
export { SeededRandom } from './random.js';
export { type Client, createSimulation, Simulation, type SimulationOptions } from './simulation.js';
export type { Outcome, TrackedClient } from './workload.js';
