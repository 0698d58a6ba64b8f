import ConvNet
import ConvNetCore
import Foundation
import SwiftProtobuf

/// The structure of an ONNX file, decoded with the generated onnx.proto types into plain values:
/// what tests and tools inspect in an exported file (the graph itself is not run).
package struct ONNXModelDescription {
    /// One node: its op type, inputs, outputs, and integer or float attributes (as `[Double]`,
    /// one element for a scalar attribute).
    package struct Node {
        package var name: String
        package var opType: String
        package var inputs: [String]
        package var outputs: [String]
        package var attributes: [String: [Double]]
    }

    /// A graph input or output: its name and dimensions (a number, or a symbolic name such as `batch`).
    package struct Value {
        package var name: String
        package var dims: [String]
    }

    /// An initializer: its name, dimensions, ONNX data type and the bytes of its raw data.
    package struct Initializer {
        package var name: String
        package var dims: [Int]
        package var dataType: Int
        package var rawBytes: Int
    }

    package var irVersion: Int
    package var opsets: [String: Int]
    package var producer: String
    package var nodes: [Node]
    package var initializers: [Initializer]
    package var inputs: [Value]
    package var outputs: [Value]
    /// The model's `metadata_props`, by key.
    package var metadata: [String: String]

    /// Decodes the ONNX file at `path`.
    /// - Throws: ``ConvNetError`` naming the file when it cannot be read or is not a ModelProto.
    package init(path: String) throws {
        let data = try RegularFile.data(path, op: "onnx")
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ConvNetError(op: "onnx", "\(path): not an ONNX model (\(error))")
        }
        irVersion = Int(model.irVersion)
        opsets = Dictionary(model.opsetImport.map { ($0.domain, Int($0.version)) }, uniquingKeysWith: { a, _ in a })
        producer = model.producerName
        nodes = model.graph.node.map { node in
            Node(name: node.name, opType: node.opType, inputs: node.input, outputs: node.output,
                 attributes: Dictionary(node.attribute.map { a in
                     (a.name, a.type == .int ? [Double(a.i)] : a.type == .float ? [Double(a.f)]
                         : a.type == .ints ? a.ints.map(Double.init) : a.floats.map(Double.init))
                 }, uniquingKeysWith: { a, _ in a }))
        }
        initializers = model.graph.initializer.map {
            Initializer(name: $0.name, dims: $0.dims.map { Int($0) }, dataType: Int($0.dataType), rawBytes: $0.rawData.count)
        }
        func value(_ v: Onnx_ValueInfoProto) -> Value {
            Value(name: v.name, dims: v.type.tensorType.shape.dim.map { d in
                switch d.value {
                case .dimValue(let n)?: String(n)
                case .dimParam(let p)?: p
                case nil: "?"
                }
            })
        }
        inputs = model.graph.input.map(value)
        outputs = model.graph.output.map(value)
        metadata = Dictionary(model.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// How many nodes have each op type.
    package var opCounts: [String: Int] { nodes.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 } }
}
