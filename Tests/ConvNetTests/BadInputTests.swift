import ConvNet
import Testing

/// Bad input throws a ``ConvNetError`` that names the op, the shapes and the rule; nothing traps.
@Suite("bad input gives clear errors")
struct BadInputTests {
    /// Runs `body`, expecting a ConvNetError from `op` whose message contains every fragment.
    func expectError(_ op: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () throws -> Any) {
        do {
            _ = try body()
            Issue.record("expected a \(op) error", sourceLocation: sourceLocation)
        } catch let error as ConvNetError {
            #expect(error.op == op, "error came from \(error.op): \(error)", sourceLocation: sourceLocation)
            for f in fragments {
                #expect(error.message.contains(f), "“\(error.message)” does not mention “\(f)”", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    // conv2d and the pooling functions check their arguments (and Conv2dGeometry/Pool2dGeometry
    // validate) before they dispatch to ``Backend/current``: one run covers both backends, where
    // running each test once per backend ran the same code twice.
    @Test("conv2d: mismatched channels, oversized kernel, bad stride or padding, wrong ranks, bias")
    func convErrors() {
        let x = Tensor.zeros([2, 3, 8, 8])
        expectError("conv2d", ["[2, 3, 8, 8]", "[4, 4, 3, 3]", "channels"]) { try conv2d(x, Tensor.zeros([4, 4, 3, 3])) }
        expectError("conv2d", ["kernel 9×9", "larger than the padded input 8×8"]) { try conv2d(x, Tensor.zeros([4, 3, 9, 9])) }
        expectError("conv2d", ["stride", "positive"]) { try conv2d(x, Tensor.zeros([4, 3, 3, 3]), stride: 0) }
        expectError("conv2d", ["stride", "positive"]) { try conv2d(x, Tensor.zeros([4, 3, 3, 3]), stride: Size2(1, -2)) }
        expectError("conv2d", ["padding", "negative"]) { try conv2d(x, Tensor.zeros([4, 3, 3, 3]), padding: -1) }
        expectError("conv2d", ["[N, C, H, W]", "[3, 8, 8]"]) { try conv2d(Tensor.zeros([3, 8, 8]), Tensor.zeros([4, 3, 3, 3])) }
        expectError("conv2d", ["bias [3]", "[4]"]) { try conv2d(x, Tensor.zeros([4, 3, 3, 3]), bias: Tensor.zeros([3])) }
    }

    @Test("pooling: oversized kernel, bad stride, excessive padding")
    func poolingErrors() {
        let x = Tensor.zeros([1, 2, 4, 4])
        expectError("maxpool2d", ["kernel 5×5", "larger"]) { try maxPool2d(x, kernel: 5) }
        expectError("avgpool2d", ["stride", "positive"]) { try avgPool2d(x, kernel: 2, stride: 0) }
        expectError("maxpool2d", ["padding", "half the kernel"]) { try maxPool2d(x, kernel: 2, padding: 2) }
        expectError("global_avgpool", ["[N, C, H, W]"]) { try globalAvgPool2d(Tensor.zeros([2, 3])) }
    }

    @Test("losses: labels out of range, wrong counts, shape mismatch")
    func lossErrors() {
        let logits = Tensor.zeros([3, 4])
        expectError("cross_entropy", ["label 4", "index 1", "4 classes"]) { try crossEntropy(logits, labels: [0, 4, 1]) }
        expectError("cross_entropy", ["label -1"]) { try crossEntropy(logits, labels: [0, 1, -1]) }
        expectError("cross_entropy", ["2 labels", "batch of 3"]) { try crossEntropy(logits, labels: [0, 1]) }
        expectError("focal_loss", ["label 9"]) { try focalLoss(logits, labels: [9, 0, 0]) }
        expectError("mse_loss", ["[3, 4]", "[4, 3]"]) { try mseLoss(logits, Tensor.zeros([4, 3])) }
        expectError("cross_entropy", ["[N, C]"]) { try crossEntropy(Tensor.zeros([3]), labels: [0, 0, 0]) }
    }

    @Test("tensor algebra: broadcasting, matmul, linear, reshape, concat, construction")
    func algebraErrors() {
        expectError("add", ["[2, 3]", "[4]", "broadcast"]) { try Tensor.zeros([2, 3]) + Tensor.zeros([4]) }
        expectError("matmul", ["[2, 3]", "[4, 5]"]) { try matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5])) }
        expectError("linear", ["[2, 3]", "[4, 5]"]) { try linear(Tensor.zeros([2, 3]), weight: Tensor.zeros([4, 5])) }
        expectError("reshape", ["[2, 3]", "[4]"]) { try Tensor.zeros([2, 3]).reshaped([4]) }
        expectError("reshape", ["at most one -1"]) { try Tensor.zeros([2, 3]).reshaped([-1, -1]) }
        expectError("concat", ["differ outside dimension 1"]) { try concat([Tensor.zeros([1, 2, 3]), Tensor.zeros([2, 2, 3])]) }
        expectError("Tensor", ["5 values", "[2, 3]"]) { try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5]) }
        expectError("slice", ["0..<4", "[3, 2]"]) { try Tensor.zeros([3, 2]).slice(0..<4) }
        expectError("sum", ["dimension 3", "[2, 3]"]) { try Tensor.zeros([2, 3]).sum(dim: 3) }
        expectError("item", ["6 values"]) { try Tensor.zeros([2, 3]).item() }
    }

    @Test("batch norm, dropout and LRN settings")
    func layerErrors() {
        let x = Tensor.zeros([2, 3, 4, 4])
        expectError("batchnorm2d", ["weight [4]", "[3]"]) {
            try batchNorm(x, weight: Tensor.ones([4]), bias: nil, runningMean: nil, runningVar: nil, training: true)
        }
        expectError("batchnorm2d", ["running_mean and running_var"]) {
            try batchNorm(x, weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: false)
        }
        expectError("batchnorm1d", ["more than one value per channel"]) {
            try batchNorm(Tensor.zeros([1, 3]), weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: true)
        }
        var gen = RandomGenerator(seed: 0)
        expectError("dropout", ["probability 1.0"]) { try dropout(x, p: 1, training: true, generator: &gen) }
        expectError("local_response_norm", ["size 0"]) { try localResponseNorm(x, size: 0) }
    }

    @Test("optimizers reject nonsensical settings")
    func optimizerErrors() {
        let p = [Tensor.zeros([2], requiresGrad: true)]
        expectError("SGD", ["learning rate -0.1"]) { try SGD(parameters: p, learningRate: -0.1) }
        expectError("SGD", ["Nesterov"]) { try SGD(parameters: p, learningRate: 0.1, nesterov: true) }
        expectError("Adam", ["betas"]) { try Adam(parameters: p, betas: (1.0, 0.999)) }
    }
}
