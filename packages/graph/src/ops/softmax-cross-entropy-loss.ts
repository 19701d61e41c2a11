import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { exp } from './exp.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { scatterElements } from './scatter-elements.js';
import { unsqueeze } from './unsqueeze.js';
import { required } from './util.js';

/**
 * ONNX SoftmaxCrossEntropyLoss without reduction: `loss[n] = -log softmax(scores[n])[labels[n]]`
 * for scores [N, C] and int64 labels [N]; also returns the log-probabilities [N, C] the backward
 * pass reuses. One op instead of LogSoftmax + GatherElements keeps fewer [N, C] tensors alive
 * (with a 32k-128k vocabulary they are the largest tensors of a training step).
 */
export function softmaxCrossEntropy(scores: Value, labels: Value): { loss: Value; logProb: Value } {
  const [loss, logProb] = scores.graph.op('SoftmaxCrossEntropyLoss', [scores, labels], { reduction: 'none' }, { outputs: 2 });
  return { loss, logProb };
}

// d loss[n] / d scores[n, c] = softmax[n, c] - [c == labels[n]]: scale the probabilities by the
// incoming gradient, then subtract it at the label, without materialising a one-hot tensor.
registerOp({
  op: 'SoftmaxCrossEntropyLoss',
  attrs: { reduction: 'string', ignore_index: 'int' },
  infer: (ctx) => {
    const [scores, labels] = required(ctx, 2);
    if (scores.shape.length !== 2 || labels.shape.length !== 1) ctx.fail('codistill emits it for scores [N, C] and labels [N] only');
    if (ctx.attr<string>('reduction', 'mean') !== 'none') ctx.fail("codistill emits it with reduction 'none' only");
    if (ctx.inputs[2]) ctx.fail('class weights are not supported');
    return [
      { dtype: scores.dtype, shape: [scores.shape[0]] },
      { dtype: scores.dtype, shape: [...scores.shape] },
    ];
  },
  vjp: ({ inputs: [, labels], outputs: [, logProb], grads: [g, gLogProb] }) => {
    if (gLogProb) throw new Error('SoftmaxCrossEntropyLoss: a gradient through its log_prob output is not supported');
    const perRow = unsqueeze(g!, [1]);
    return [scatterElements(mul(exp(logProb), perRow), unsqueeze(labels!, [1]), neg(perRow), 1, 'add'), undefined];
  },
});
