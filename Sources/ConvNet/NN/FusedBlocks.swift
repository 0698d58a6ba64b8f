/// `relu(pool(conv(x)))` through the three modules, computed as one fused operation where that
/// gives the same result: ``conv2dMaxPoolReLU(_:_:bias:padding:path:)``, which itself picks the
/// fused kernel only where it is faster and otherwise runs the three operations.
///
/// The modules are run one by one, each as `module(x)`, when
/// - a ``ModuleTracer`` is recording (`convnet summary`, Grad-CAM): it needs each module's output;
/// - they compute something the fused operation does not: a strided, grouped or dilated
///   convolution, or pooling other than 2×2 windows with stride 2, no padding and floor rounding.
///
/// A model keeps its three modules (their names are the state_dict's and the summary's) and calls
/// this instead of chaining them: `try convMaxPoolReLU(x, conv1, pool1, relu1)`.
public func convMaxPoolReLU(_ x: Tensor, _ conv: Conv2d, _ pool: MaxPool2d, _ relu: ReLU) throws -> Tensor {
    guard ModuleTracer.current == nil, conv.stride == 1, conv.groups == 1, conv.dilation == 1, pool.kernelSize == 2,
          pool.stride ?? pool.kernelSize == 2, pool.padding == 0, !pool.ceilMode
    else { return try relu(pool(conv(x))) }
    return try conv2dMaxPoolReLU(x, conv.weight, bias: conv.bias, padding: conv.padding)
}
