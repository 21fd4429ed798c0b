// The kernel contract suite on the openblas backend (system OpenBLAS through koffi). Skipped
// with a message when OpenBLAS cannot load, unless LAPWING_REQUIRE_OPENBLAS=1 (CI).
import { kernelSuite } from './suite.ts';

kernelSuite('openblas');
