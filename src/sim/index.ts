export { createSimulation, Simulation, type Client, type SimulationOptions } from './simulation.js';
export { SeededRandom } from './random.js';
export { History, encodeWrite, decodeWrite, idsOf, type WriteRecord } from './history.js';
export type { TrackedClient, Outcome } from './workload.js';
