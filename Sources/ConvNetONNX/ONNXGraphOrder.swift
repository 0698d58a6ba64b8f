import ConvNet
/// Orders a graph's nodes so that every value is produced before it is read (Kahn's algorithm),
/// refusing a value read but never defined, a value defined twice, and a cycle.
enum ONNXGraphOrder {
    /// The node indices in an order where producers come before readers.
    /// - Parameter defined: the names available before any node runs (graph inputs, initializers).
    static func sort(_ nodes: [Onnx_NodeProto], defined: Set<String>, source: String) throws -> [Int] {
        var producer: [String: Int] = [:]
        for (i, node) in nodes.enumerated() {
            for output in node.output where !output.isEmpty {
                guard producer[output] == nil, !defined.contains(output) else {
                    throw ConvNetError(op: "onnx", "\(source): \(ONNXNodeReader.label(node, index: i)) defines \(quoted: output), which is already defined")
                }
                producer[output] = i
            }
        }
        var waiting = [Int](repeating: 0, count: nodes.count)
        var readers = [[Int]](repeating: [], count: nodes.count)
        for (i, node) in nodes.enumerated() {
            for input in Set(node.input) where !input.isEmpty && !defined.contains(input) {
                guard let p = producer[input] else {
                    throw ConvNetError(op: "onnx", "\(source): \(ONNXNodeReader.label(node, index: i)) reads \(quoted: input), which no node, initializer or graph input defines")
                }
                waiting[i] += 1
                readers[p].append(i)
            }
        }
        var ready = (0..<nodes.count).filter { waiting[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        while let i = ready.popLast() {
            order.append(i)
            for r in readers[i].reversed() {
                waiting[r] -= 1
                if waiting[r] == 0 { ready.append(r) }
            }
        }
        if order.count < nodes.count, let stuck = (0..<nodes.count).first(where: { waiting[$0] > 0 }) {
            throw ConvNetError(op: "onnx", "\(source): the graph has a cycle: \(ONNXNodeReader.label(nodes[stuck], index: stuck)) depends on its own output (\(nodes.count - order.count) nodes on or after cycles)")
        }
        return order
    }
}
