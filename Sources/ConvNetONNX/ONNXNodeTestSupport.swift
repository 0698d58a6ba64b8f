import ConvNet
import Foundation
import SwiftProtobuf

// What ConvNetHarness's conformance run (ONNX's node tests) needs from the importer, at `package`
// access: the protobuf types stay internal to this target.

extension ONNXModel {
    /// The op types of the nodes of the model file at `path`, or `[]` if it cannot be read.
    package static func nodeOpTypes(atPath path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path),
              let model = try? Onnx_ModelProto(serializedBytes: data) else { return [] }
        return model.graph.node.map(\.opType)
    }

    /// `input_0.pb`, `input_1.pb` … (or `output_*`) of a node test's data set folder, in order:
    /// serialized `TensorProto`s, read as the importer reads initializers.
    package static func readTensorFiles(_ dir: String, prefix: String, op: String) throws -> [ONNXValue] {
        let decoder = ONNXTensorDecoder(folder: nil, source: dir)
        var values: [ONNXValue] = []
        while FileManager.default.fileExists(atPath: "\(dir)/\(prefix)_\(values.count).pb") {
            let file = "\(prefix)_\(values.count).pb"
            let data = try RegularFile.data("\(dir)/\(file)", op: op)
            let proto: Onnx_TensorProto
            do {
                proto = try Onnx_TensorProto(serializedBytes: data)
            } catch {
                throw ConvNetError(.format, op: op, "\(dir)/\(file): not a TensorProto (\(error))")
            }
            values.append(try decoder.decode(proto, what: file))
        }
        return values
    }
}

extension ONNXGraphModule {
    /// The graph inputs' names, in order.
    package var inputNames: [String] { model.graph.inputs.map(\.name) }
    /// The graph outputs' names, in order.
    package var outputNames: [String] { model.graph.outputs }

    /// Infers every value's shape for these inputs (integer inputs by value) and throws where a
    /// node cannot take them, as a run would before computing anything.
    package func checkShapes(for feeds: [String: ONNXValue]) throws {
        var integers: [String: ONNXIntTensor] = [:]
        for (name, value) in feeds { if case .int(let t) = value { integers[name] = t } }
        _ = try model.graph.inferShapes(feeds.mapValues(\.shape), integers: integers)
    }
}
