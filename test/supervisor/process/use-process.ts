// Imported first by the suites in this directory: every supervisor the harness makes from here
// on puts each session in its own child process (--isolation process).
import { useIsolation } from '../harness.ts';

useIsolation('process');
