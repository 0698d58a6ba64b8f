import ConvNet
/// A value on an edge of an ONNX graph: a float tensor, computed on the project's operators, or an
/// integer tensor (shapes, indices, axes, pads), computed on the CPU as plain integers. Other
/// element types are converted to one of the two when read (doubles and halves to float, bools
/// and small integers to integers).
package enum ONNXValue {
    case float(Tensor)
    case int(ONNXIntTensor)

    package var shape: [Int] {
        switch self {
        case .float(let t): t.shape
        case .int(let t): t.shape
        }
    }

    package var isInt: Bool { if case .int = self { true } else { false } }
}

/// A row-major integer tensor.
package struct ONNXIntTensor: Equatable {
    package var shape: [Int]
    package var values: [Int]

    package init(shape: [Int], values: [Int]) {
        self.shape = shape
        self.values = values
    }

    /// A 1-D tensor of `values`.
    package init(_ values: [Int]) { self.init(shape: [values.count], values: values) }

    /// The values as floats.
    package func asFloat() throws -> Tensor { try Tensor(shape: shape, scalars: values.map { Float($0) }) }
}

extension Tensor {
    /// The values as integers (truncated toward zero, as ONNX's Cast; NaN and ±infinity refused;
    /// with `exact`, a value that is not a whole number refused too).
    package func asONNXInts(op: String, exact: Bool = false) throws -> ONNXIntTensor {
        let values = try withUnsafeBufferPointer { buffer in
            try buffer.map { v -> Int in
                guard v.isFinite, abs(v) < 9.2e18, !exact || v.rounded(.towardZero) == v else {
                    throw ConvNetError(op: op, "cannot convert \(v) to an integer")
                }
                return Int(v)
            }
        }
        return ONNXIntTensor(shape: shape, values: values)
    }
}
