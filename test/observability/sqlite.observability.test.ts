import { fileFor, removeFile, urlFor } from '../transports/sqlite.fixture.js';
import { observabilitySuite } from './observability.suite.js';

observabilitySuite({ name: 'sqlite', transport: urlFor, cleanup: (ns) => removeFile(fileFor(ns)) });
