import pkg from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = pkg;
const FLOAT = 1;
const INT64 = 7;

/**
 * A small CNN written the way another framework exports one, not by latfleet's builder: PyTorch-style
 * scoped node names (`/features/features.0/Conv`), an unnamed node, BatchNormalization left
 * unfused, a constant shape feeding a Reshape, IR 7 / opset 13, no latfleet metadata. Weights are a
 * fixed pseudo-random sequence. `batch`: a number for a static input, a string for a dynamic one;
 * `poolOpType`: another operator in the MaxPool node's place.
 *
 * Layers (input 1×3×32×32):
 *   /features/features.0/Conv   3→8, 3×3, stride 2, pad 1  -> 8×16×16   MAdds 8·16·16·3·9 = 55,296; params 8·3·9 + 8 = 224
 *   /features/features.1/BatchNormalization                   params 8 + 8 (scale, bias; mean/var are statistics)
 *   /features/features.2/Relu
 *   /features/features.3/Conv   depthwise 3×3, pad 1        -> 8×16×16   MAdds 8·16·16·9 = 18,432;  params 72
 *   Clip_4 (unnamed)            ReLU6
 *   /features/features.5/MaxPool 2×2 stride 2             -> 8×8×8
 *   /classifier/Reshape         [1, 512] (constant shape)
 *   /classifier/Gemm            512→10, transB             MAdds 5,120; params 5,130
 */
export function foreignOnnx(options: { batch?: number | string; poolOpType?: string } = {}): Uint8Array {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const floats = (name: string, dims: number[]): OnnxTypes.ITensorProto => ({
    name,
    dims,
    dataType: FLOAT,
    floatData: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random() * 0.5),
  });
  const positive = (name: string, n: number): OnnxTypes.ITensorProto => ({ name, dims: [n], dataType: FLOAT, floatData: Array.from({ length: n }, () => 1 + random() * 0.1) });
  const ints = (name: string, values: number[]): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const int = (name: string, value: number): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
  const float = (name: string, value: number): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value });
  const batch = options.batch ?? 1;
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const graph: OnnxTypes.IGraphProto = {
    name: 'torch_jit',
    node: [
      {
        name: '/features/features.0/Conv',
        opType: 'Conv',
        input: ['pixel_values', 'features.0.weight', 'features.0.bias'],
        output: ['/features/features.0/Conv_output_0'],
        attribute: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), int('group', 1), ints('dilations', [1, 1])],
      },
      {
        name: '/features/features.1/BatchNormalization',
        opType: 'BatchNormalization',
        input: ['/features/features.0/Conv_output_0', 'features.1.weight', 'features.1.bias', 'features.1.running_mean', 'features.1.running_var'],
        output: ['/features/features.1/BatchNormalization_output_0'],
        attribute: [float('epsilon', 1e-5)],
      },
      { name: '/features/features.2/Relu', opType: 'Relu', input: ['/features/features.1/BatchNormalization_output_0'], output: ['/features/features.2/Relu_output_0'] },
      {
        name: '/features/features.3/Conv',
        opType: 'Conv',
        input: ['/features/features.2/Relu_output_0', 'features.3.weight'],
        output: ['/features/features.3/Conv_output_0'],
        attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), int('group', 8)],
      },
      { name: '', opType: 'Clip', input: ['/features/features.3/Conv_output_0', 'clip_min', 'clip_max'], output: ['clip_out'] },
      {
        name: '/features/features.5/MaxPool',
        opType: options.poolOpType ?? 'MaxPool',
        input: ['clip_out'],
        output: ['/features/features.5/MaxPool_output_0'],
        attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])],
      },
      { name: '/classifier/Reshape', opType: 'Reshape', input: ['/features/features.5/MaxPool_output_0', 'flat_shape'], output: ['/classifier/Reshape_output_0'] },
      {
        name: '/classifier/Gemm',
        opType: 'Gemm',
        input: ['/classifier/Reshape_output_0', 'classifier.weight', 'classifier.bias'],
        output: ['logits'],
        attribute: [float('alpha', 1), float('beta', 1), int('transB', 1)],
      },
    ],
    initializer: [
      floats('features.0.weight', [8, 3, 3, 3]),
      floats('features.0.bias', [8]),
      positive('features.1.weight', 8),
      floats('features.1.bias', [8]),
      floats('features.1.running_mean', [8]),
      positive('features.1.running_var', 8),
      floats('features.3.weight', [8, 1, 3, 3]),
      { name: 'clip_min', dims: [], dataType: FLOAT, floatData: [0] },
      { name: 'clip_max', dims: [], dataType: FLOAT, floatData: [6] },
      { name: 'flat_shape', dims: [2], dataType: INT64, int64Data: [typeof batch === 'number' ? batch : -1, 512] },
      floats('classifier.weight', [10, 512]),
      floats('classifier.bias', [10]),
    ],
    input: [{ name: 'pixel_values', type: { tensorType: { elemType: FLOAT, shape: { dim: [dim(batch), dim(3), dim(32), dim(32)] } } } }],
    output: [{ name: 'logits', type: { tensorType: { elemType: FLOAT, shape: { dim: [dim(batch), dim(10)] } } } }],
  };
  return onnx.ModelProto.encode({ irVersion: 7, producerName: 'pytorch', producerVersion: '2.1.0', opsetImport: [{ domain: '', version: 13 }], graph }).finish();
}

/** Per layer of `foreignOnnx()`: [name, op, output shape, MAdds, params], in graph order. */
export const FOREIGN_ONNX_LAYERS: Array<[string, string, number[], number, number]> = [
  ['/features/features.0/Conv', 'conv', [1, 8, 16, 16], 55_296, 224],
  ['/features/features.1/BatchNormalization', 'other', [1, 8, 16, 16], 0, 16],
  ['/features/features.2/Relu', 'other', [1, 8, 16, 16], 0, 0],
  ['/features/features.3/Conv', 'dwconv', [1, 8, 16, 16], 18_432, 72],
  ['Clip_4', 'other', [1, 8, 16, 16], 0, 0],
  ['/features/features.5/MaxPool', 'pool', [1, 8, 8, 8], 0, 0],
  ['/classifier/Reshape', 'other', [1, 512], 0, 0],
  ['/classifier/Gemm', 'fc', [1, 10], 5_120, 5_130],
];
