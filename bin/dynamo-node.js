#!/usr/bin/env node
// `dynamo-node --room R --data DIR`: a headless Dynamo node (src/headless/main.ts), run through
// tsx's loader as the project's other Node entry points are. See README.md, "Headless nodes".
import { register } from 'tsx/esm/api';

register();
await import('../src/headless/main.ts');
