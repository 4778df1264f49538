import { observabilitySuite } from './observability.suite.js';

observabilitySuite({ name: 'memory', transport: () => 'memory://' });
