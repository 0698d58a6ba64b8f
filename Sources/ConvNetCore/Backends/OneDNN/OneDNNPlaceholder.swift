// TEMPORARY during development: replaced by the real oneDNN kernels.
enum OneDNNConvolution: ConvolutionKernels {
    static func forward(_ g: Conv2dGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) throws { try ReferenceConvolution.forward(g, x: x, weight: weight, bias: bias, y: y) }
    static func backwardData(_ g: Conv2dGeometry, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) throws { try ReferenceConvolution.backwardData(g, dy: dy, weight: weight, dx: dx) }
    static func backwardWeights(_ g: Conv2dGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?) throws { try ReferenceConvolution.backwardWeights(g, x: x, dy: dy, dWeight: dWeight, dBias: dBias) }
}
typealias OneDNNPooling = ReferencePooling
typealias OneDNNBatchNorm = ReferenceBatchNorm
