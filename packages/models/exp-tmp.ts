import { Runner, hostTensor } from '@codistill/graph';
import { Checkpoint, buildCausalLm, loadSafetensors } from './src/index.js';
const ck = new Checkpoint('test/fixtures/tiny-llama');
const ref = loadSafetensors('test/fixtures/tiny-llama/ref.safetensors');
const m = buildCausalLm(ck);
const r = await Runner.create(m.toModel(), { modelDir: ck.externalDataDir, modelFile: '.tmp.onnx' });
const ids = ref.input_ids;
const out = await r.run({ input_ids: ids, attention_mask: hostTensor('int64', ids.dims, new Array(48).fill(1)) });
const a = out.outputs.logits.data as Float32Array, b = ref.logits.data as Float32Array;
let maxErr = 0, maxRef = 0; for (let i = 0; i < a.length; i++) { maxErr = Math.max(maxErr, Math.abs(a[i]-b[i])); maxRef = Math.max(maxRef, Math.abs(b[i])); }
console.log(out.outputs.logits.dims, maxErr, maxRef);
