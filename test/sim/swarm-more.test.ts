import { swarmSuite } from './swarm-suite.js';

swarmSuite(261, 520);
