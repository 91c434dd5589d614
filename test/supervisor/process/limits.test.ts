// test/supervisor/limits.test.ts again, with every session in its own process: the supervisor's
// semantics do not depend on the isolation.
import './use-process.ts';
import '../limits.test.ts';
