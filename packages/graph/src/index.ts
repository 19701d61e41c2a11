export * from './dtype.js';
export * from './ir.js';
export { GraphError, broadcastShapes, staticSize } from './shape.js';
export { registerOp, getOp, registeredOps, type OpDef, type InferCtx, type VjpCtx, type VjpRule } from './registry.js';
export { GraphBuilder, Value, type OpOptions } from './builder.js';
export * as ops from './ops/index.js';
export { gradients, gradName, customGradient, type GradientOptions } from './autodiff.js';
export * from './composite.js';
export { linearCrossEntropy, type LinearCrossEntropyOptions } from './linear-cross-entropy.js';
export { modelToBytes, modelFromBytes } from './proto/serialize.js';
export * from './runner.js';
export { checkGradients, type GradCheckInput, type GradCheckOptions, type GradCheckResult } from './gradcheck.js';
export { dumpGraph } from './dump.js';
export { gaussian } from './random.js';
// The seeded PRNG lives in @codistill/util; re-exported so `import { mulberry32 } from '@codistill/graph'` keeps working.
export { mulberry32 } from '@codistill/util';
export * from './optim.js';
export { TrainStep, type StepResult } from './train.js';
export { trainMlpDemo, type MlpDemoOptions } from './demo.js';
