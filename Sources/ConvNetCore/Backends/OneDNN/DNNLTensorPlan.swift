import CDNNL

/// A tensor given to a oneDNN plan, with the layout it has now.
///
/// Taken once, before the plan is looked up, so that the plan key (``layoutID``) and the memory
/// the plan reads agree even if another reader converts the tensor to plain meanwhile (the
/// snapshot keeps its layout memory alive). A tensor in another backend's layout counts as plain.
struct DNNLOperand {
    let tensor: Tensor
    let layoutMemory: DNNLLayoutMemory?

    init(_ tensor: Tensor) {
        self.tensor = tensor
        layoutMemory = tensor.layoutMemory as? DNNLLayoutMemory
    }

    /// The operand's layout, while it has one.
    var layout: DNNLLayout? { layoutMemory?.layout }

    /// The operand's layout for plan keys: 0 for plain memory, else the interned layout's id.
    var layoutID: Int { layout?.id ?? 0 }

    /// The operand's elements as they are held now (the layout buffer, else the tensor's plain
    /// storage), and the object that keeps that memory alive.
    var memory: (owner: AnyObject, pointer: UnsafeRawPointer) {
        if let layoutMemory { return (layoutMemory, UnsafeRawPointer(layoutMemory.storage.pointer)) }
        let storage = tensor.plainStorage()
        return (storage, UnsafeRawPointer(storage.pointer))
    }

    /// The layout in which a plan should be given a tensor now in `layout` (`nil`: plain): the
    /// layout it has, which the plan reorders into the primitive's own when they differ.
    ///
    /// A tensor in a oneDNN layout stays in it even when the primitive wants plain memory: the plan
    /// reorders into its own buffer instead of converting the tensor, because the tensor's later
    /// readers are mostly oneDNN primitives of the backward pass that want the layout (LeNet-5's
    /// second convolution reads its input as NCHW, while the ReLU before it computes its gradient
    /// in the blocked layout it produced: converting the tensor cost two reorders and a plain loop).
    static func inputDesc(_ layout: DNNLLayout?, dims: [Int], what: String) throws -> dnnl_memory_desc_t {
        guard let layout else { return try DNNLDesc.plain(dims, what: what) }
        return layout.desc
    }
}

extension DNNLPlan {
    /// Runs the plan on tensors and returns its output tensors.
    ///
    /// - Parameters:
    ///   - inputs: per input argument, the operand; its ``DNNLOperand/layoutID`` must be the one the
    ///     plan was made for.
    ///   - outputs: per output argument, the tensor shape. An output the plan returns in the
    ///     primitive's own layout becomes a tensor in that layout, unless that layout is plain.
    ///   - buffers: memory for the plan's other arguments (workspaces).
    ///
    /// Every tensor is resolved to memory before the plan runs, so nothing reads a tensor while the
    /// plan's lock is held.
    func run(inputs: [Int32: DNNLOperand], outputs: [Int32: [Int]],
             buffers: [Int32: UnsafeRawPointer] = [:]) throws -> [Int32: Tensor] {
        var pointers = buffers
        var results: [Int32: Tensor] = [:]
        var memories: [AnyObject] = []  // kept alive until the plan has run
        for port in ports {
            switch port.role {
            case .input:
                guard let operand = inputs[port.arg] else { continue }
                if port.readsPlain {
                    let storage = operand.tensor.plainStorage()
                    memories.append(storage)
                    pointers[port.arg] = UnsafeRawPointer(storage.pointer)
                } else {
                    guard let memory = operand.layoutMemory, memory.layout === port.layout else {
                        throw ConvNetError(op: "onednn \(primitive.what)",
                                           "internal error: input \(port.arg) is not in the layout the plan was made for")
                    }
                    memories.append(memory)
                    pointers[port.arg] = UnsafeRawPointer(memory.storage.pointer)
                }
            case .output:
                guard let shape = outputs[port.arg] else { continue }
                let tensor: Tensor
                if let layout = port.layout, !layout.isPlain {
                    let memory = DNNLLayoutMemory(layout)
                    tensor = Tensor(shape: shape, layoutMemory: memory)
                    pointers[port.arg] = UnsafeRawPointer(memory.storage.pointer)
                } else {
                    tensor = Tensor(uninitializedShape: shape)
                    pointers[port.arg] = UnsafeRawPointer(tensor.plainStorage().pointer)
                }
                results[port.arg] = tensor
            case .buffer:
                break
            }
        }
        try withExtendedLifetime(memories) { try execute(pointers) }
        return results
    }
}
