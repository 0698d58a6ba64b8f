extension Graph: CustomStringConvertible {
    /// One line per node, as torch.fx prints a graph: `%3 = relu(%2)  [1, 64, 56, 56]`, with the
    /// operation's attributes after its operands (`%0 = conv2d(%x, conv1.weight; 3×3, padding 1)`);
    /// parameters by name, constants as `const0`, the input as `%x`; then the output.
    public var description: String {
        var lines = ["graph(%x: \(inputShape)):  \(parameters.count) parameter tensors (\(parameterCount) values)"
                     + (constants.isEmpty ? "" : ", \(constants.count) constants")]
        let width = String(max(nodes.count - 1, 0)).count + 1
        for (i, node) in nodes.enumerated() {
            let operands = node.inputs.compactMap { $0.map(name(of:)) }.joined(separator: ", ")
            let label = ("%" + String(i)).padding(toLength: width, withPad: " ", startingAt: 0)
            let attributes = node.op.attributes.joined(separator: ", ")
            lines.append("  \(label) = \(node.op.name)(\(operands)\(attributes.isEmpty ? "" : "; " + attributes))  \(node.shape)")
        }
        lines.append("  return \(name(of: output))")
        return lines.joined(separator: "\n")
    }

    /// How a printed graph names `value`.
    public func name(of value: Value) -> String {
        switch value {
        case .input: "%x"
        case .parameter(let i): parameters[i].name
        case .constant(let i): "const\(i)"
        case .node(let i): "%\(i)"
        }
    }
}
