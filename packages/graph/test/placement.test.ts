import {
  cpuFallbacks,
  describeFallbacks,
  GraphBuilder,
  hostTensor,
  ops,
  parsePlacementLog,
  probeProvider,
  probeWebGpu,
  requireProvider,
  Runner,
  missingForWebGpu,
  vulkanStatus,
} from '../src/index.js';

/** x [2, 3] float32 and n [3] int64: a MatMul a GPU runs, int64 CumSum (WebGPU has none), and shape math for a Reshape. */
function mixedGraph() {
  const g = new GraphBuilder('mixed');
  const x = g.input('x', 'float32', ['batch', 3]);
  const n = g.input('n', 'int64', [3]);
  const y = ops.matmul(x, g.constant([1, 2, 3, 4, 5, 6], 'float32', [3, 2]));
  g.output(ops.reshape(y, ops.concat([ops.shapeOf(y, 0, 1), g.int64s([2])], 0)), 'y');
  g.output(ops.cumSum(n, 0), 'c');
  return g.toModel();
}

// The verbose log lines ONNX Runtime 1.30 writes when it assigns nodes (fallback_cpu_capability.cc, session_state.cc).
const forced = (node: string) =>
  `2026-12-01 14:19:23.201301872 [I:onnxruntime:, fallback_cpu_capability.cc:167 GetCpuPreferredNodes] ORT optimization- Force fallback to CPU execution for node: ${node} because the CPU execution path is deemed faster than overhead involved with execution on other EPs  capable of executing this node`;
const LOG = [
  forced('Shape'),
  '2026-12-01 14:19:23.201578515 [V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] Node placements',
  '2026-12-01 14:19:23.201583965 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 3',
  '2026-12-01 14:19:23.201588554 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Shape (Shape)',
  '2026-12-01 14:19:23.201588554 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Concat (Concat)',
  '2026-12-01 14:19:23.201592682 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   CumSum (CumSum)',
  '2026-12-01 14:19:23.201596710 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 4',
  '2026-12-01 14:19:23.201600627 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   MatMul (MatMul)',
  '2026-12-01 14:19:23.201604475 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Reshape (Reshape)',
  '2026-12-01 14:19:23.201604475 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   MemcpyToHost (Memcpy)',
  '2026-12-01 14:19:23.201604475 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   MemcpyFromHost (Memcpy_token_1)',
];

test('the placement log gives GPU and CPU nodes, shape arithmetic told apart from fallbacks, and copies', () => {
  const p = parsePlacementLog(LOG, mixedGraph(), 'webgpu');
  expect(p).toMatchObject({ provider: 'webgpu', gpuNodes: 2, memcpyNodes: 2 });
  expect(p.cpuNodes).toEqual([
    { node: 'Shape', op: 'Shape', dtypes: '(float32)', kind: 'shape' },
    { node: 'Concat', op: 'Concat', dtypes: '(int64,int64)', kind: 'shape' },
    { node: 'CumSum', op: 'CumSum', dtypes: '(int64,int64)', kind: 'fallback' },
  ]);
  expect(cpuFallbacks(p)).toEqual({ 'CumSum(int64,int64)': 1 });
  // What ONNX Runtime says it moved to the CPU on purpose is not a fallback either.
  expect(cpuFallbacks(parsePlacementLog([forced('CumSum'), ...LOG], mixedGraph(), 'webgpu'))).toEqual({});
});

test('a refusal names the fallback nodes, the first three per op and dtypes, then how many more', () => {
  const fallback = (node: string, op: string, dtypes: string) => ({ node, op, dtypes, kind: 'fallback' as const });
  const cpuNodes = [
    fallback('layers.0/LogSoftmax', 'LogSoftmax', '(float32)'),
    ...[0, 1, 2, 3, 4].map((i) => fallback(`pos/Range_${i}`, 'Range', '(int64,int64,int64)')),
    { node: 'Shape', op: 'Shape', dtypes: '(float32)', kind: 'shape' as const },
  ];
  expect(describeFallbacks({ provider: 'webgpu', gpuNodes: 3, cpuNodes, memcpyNodes: 2 })).toBe(
    "LogSoftmax(float32) x1 (node 'layers.0/LogSoftmax'); Range(int64,int64,int64) x5 (nodes 'pos/Range_0', 'pos/Range_1', 'pos/Range_2' and 2 more)",
  );
  expect(describeFallbacks(parsePlacementLog(LOG, mixedGraph(), 'webgpu'))).toBe("CumSum(int64,int64) x1 (node 'CumSum')");
});

test('a consumer ONNX Runtime removed (a twin merged by common-subexpression elimination) does not make shape arithmetic a fallback', () => {
  const g = new GraphBuilder('twins');
  const x = g.input('x', 'float32', ['batch', 3]);
  const y = ops.matmul(x, g.constant([1, 2, 3, 4, 5, 6], 'float32', [3, 2]));
  const rows = ops.shapeOf(y, 0, 1);
  for (const name of ['y', 'z']) g.output(ops.reshape(y, ops.concat([rows, g.int64s([2])], 0)), name);
  // Concat_1 and Reshape_1 are absent: merged into Concat and Reshape, whose output then feeds both graph outputs.
  const log = LOG.filter((l) => !/ CumSum | Memcpy|Force fallback/.test(l));
  expect(cpuFallbacks(parsePlacementLog(log, g.toModel(), 'webgpu'))).toEqual({});
});

test('on the CPU the placement is learnt only when asked for, and puts every node there', async () => {
  const plain = await Runner.create(mixedGraph());
  expect(plain.placement).toBeUndefined();
  await plain.release();
  const probed = await Runner.create(mixedGraph(), { placement: true });
  expect(probed.placement).toMatchObject({ provider: 'cpu', gpuNodes: 0, memcpyNodes: 0 });
  expect(probed.placement!.cpuNodes.map((n) => n.op)).toEqual(mixedGraph().graph.nodes.map((n) => n.op));
  await probed.release();
});

test('a device is probed once per process, and a device that cannot run is refused naming the setting it came from', async () => {
  // `codistill run` asks in three stages; each would otherwise open a session on the device.
  expect(probeProvider('cuda')).toBe(probeProvider('cuda'));
  const problem = await probeProvider('cuda');
  if (!problem) return; // a machine whose CUDA provider runs
  await expect(requireProvider('cuda', 'run config: device')).rejects.toThrow(`run config: device cuda: ${problem}`);
});

describe('on WebGPU', () => {
  let broken: string | undefined;
  beforeAll(async () => {
    broken = await probeWebGpu();
    if (broken) console.warn(`WebGPU placement tests skipped: ${broken}`);
  });

  test('a compute node without a WebGPU kernel is refused, naming the op and the node, unless CPU fallback is allowed', async () => {
    if (broken) return;
    await expect(Runner.create(mixedGraph(), { provider: 'webgpu' })).rejects.toThrow(
      /'webgpu' has no kernel for 1 compute nodes.*CumSum\(int64,int64\) x1 \(node 'CumSum'\).*allowCpuFallback.*--allow-cpu-fallback/,
    );
    const runner = await Runner.create(mixedGraph(), { provider: 'webgpu', allowCpuFallback: true, placement: true });
    expect(cpuFallbacks(runner.placement!)).toEqual({ 'CumSum(int64,int64)': 1 });
    expect(runner.placement!.gpuNodes).toBeGreaterThanOrEqual(2);
    const { outputs } = await runner.run({ x: hostTensor('float32', [1, 3], [1, 1, 1]), n: hostTensor('int64', [3], [1, 2, 3]) });
    expect(Array.from(outputs.y.data as Float32Array)).toEqual([9, 12]);
    expect(Array.from(outputs.c.data as BigInt64Array, Number)).toEqual([1, 3, 6]);
    await runner.release();
  });
});

test('VK_ICD_FILENAMES naming manifests that do not exist is no Vulkan driver, said with the variable and the files', () => {
  const before = process.env.VK_ICD_FILENAMES;
  process.env.VK_ICD_FILENAMES = '/nonexistent/a.json:/nonexistent/b.json';
  try {
    const status = vulkanStatus();
    expect(status).toMatchObject({ icds: [], icdsAbsent: ['/nonexistent/a.json', '/nonexistent/b.json'] });
    expect(missingForWebGpu({ ...status, loader: '/usr/lib/libvulkan.so.1' })).toMatch(/^no Vulkan driver: VK_ICD_FILENAMES names \/nonexistent\/a\.json, \/nonexistent\/b\.json, which does not exist; correct or unset it, or install it with/);
  } finally {
    if (before === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = before;
  }
});
