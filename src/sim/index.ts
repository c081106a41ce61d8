export { createSimulation, Simulation, type Client, type SimulationOptions } from './simulation.js';
export { SeededRandom } from './random.js';
export type { AckedWrite } from './checkers/index.js';
