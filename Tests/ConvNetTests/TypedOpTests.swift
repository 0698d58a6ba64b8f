import ConvNet
import Testing

/// Operations are recorded as typed ``Op`` values carrying their attributes, with every tensor
/// they read (weights and running statistics included) as inputs in the documented order.
@Suite("typed operations")
struct TypedOpTests {
    final class Block: Module {
        let conv = Conv2d(3, 4, kernelSize: 3, padding: 1)
        let bn = BatchNorm2d(4)
        let fc = Linear(4 * 5 * 5, 2)
        func forward(_ x: Tensor) throws -> Tensor {
            let y = try maxPool2d(bn(conv(x)).relu(), kernel: 2)
            return try fc(y.flattened()).logSoftmax(dim: 1) * 2 + 1
        }
    }

    @Test("a traced forward pass lists each operation with its attributes and all the tensors it read")
    func traced() throws {
        let block = GlobalGenerator.seeded(3) { Block() }
        block.eval()
        let x = Tensor.zeros([2, 3, 10, 10])
        let (output, operations) = try withNoGrad { try traceOperations { try block(x) } }
        let g = Conv2dGeometry(batch: 2, inChannels: 3, height: 10, width: 10, outChannels: 4, kernel: 3, padding: 1)
        let pool = Pool2dGeometry(inputShape: [2, 4, 10, 10], kernel: 2, stride: 2, padding: 0, ceilMode: false)
        #expect(operations.map(\.op) == [
            .conv2d(g), .batchNorm(BatchNormAttributes(training: false, momentum: 0.1, eps: 1e-5, spatial: true)), .relu,
            .maxPool2d(pool), .flatten(startDim: 1), .linear, .logSoftmax(dim: 1), .mulScalar(2), .addScalar(1),
        ])
        #expect(operations.map(\.op.name) == ["conv2d", "batchnorm2d", "relu", "maxpool2d", "flatten", "linear",
                                              "log_softmax", "mul_scalar", "add_scalar"])
        let convInputs: [Tensor?] = [x, block.conv.weight, block.conv.bias]
        #expect(operations[0].inputs.map { $0.map(ObjectIdentifier.init) } == convInputs.map { $0.map(ObjectIdentifier.init) })
        let bnInputs = operations[1].inputs.map { $0.map(ObjectIdentifier.init) }
        let expectedBN: [Tensor?] = [operations[0].output, block.bn.weight, block.bn.bias, block.bn.runningMean, block.bn.runningVar]
        #expect(bnInputs == expectedBN.map { $0.map(ObjectIdentifier.init) })
        #expect(operations.last!.output === output)
    }

    @Test("training-mode batch norm and dropout record themselves as such; a freed graph names the operation")
    func trainingMode() throws {
        var generator = RandomGenerator(seed: 1)
        let x = Tensor.randn([4, 2, 3, 3], generator: &generator)
        x.requiresGrad = true
        let (y, operations) = try traceOperations {
            try dropout(batchNorm(x, weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: true, momentum: 0.2),
                        p: 0.5, training: true, generator: &generator)
        }
        #expect(operations.map(\.op) == [.batchNorm(BatchNormAttributes(training: true, momentum: 0.2, eps: 1e-5, spatial: true)),
                                         .dropout(p: 0.5)])
        let loss = y.sum()
        try loss.backward()
        let error = #expect(throws: ConvNetError.self) { try loss.backward() }
        #expect(error?.message.contains("through sum") == true, "\(error?.message ?? "")")
    }
}
