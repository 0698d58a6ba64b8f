import ConvNet
import ConvNetHarness
import Testing

/// Sizes from arguments that overflow or could never be allocated are errors naming them, checked
/// before anything is allocated (before, these trapped or died allocating tens of gigabytes).
@Suite("absurd sizes for summary and bench")
struct AbsurdSizeTests {
    /// A message that names the problem, from a ConvNetError thrown by `body`.
    func refusal(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as ConvNetError { return error.description } catch { return "\(error)" }
        return nil
    }

    @Test("summary: a batch whose totals overflow, an input one image of which cannot fit, a shape that overflows")
    func summary() throws {
        let lenet = try ModelZoo.make("lenet5"), resnet = try ModelZoo.make("resnet18")
        let huge = try #require(refusal { _ = try ModelSummary.of(lenet, name: "lenet5", inputShape: [1, 28, 28], batch: .max) })
        #expect(huge.contains("batch 9223372036854775807"), "\(huge)")
        // A batch of 10^12 is only arithmetic: reported, not refused.
        #expect(try ModelSummary.of(lenet, name: "lenet5", inputShape: [1, 28, 28], batch: 1_000_000_000_000)
            .forwardActivationBytes == 10274 * 4 * 1_000_000_000_000)
        let image = try #require(refusal { _ = try ModelSummary.of(resnet, name: "resnet18", inputShape: [3, 100_000, 100_000]) })
        #expect(image.contains("3×100000×100000") && image.contains("memory"), "\(image)")
        let overflow = try #require(refusal { _ = try ModelSummary.of(resnet, name: "resnet18", inputShape: [3, .max, 2]) })
        #expect(overflow.contains("more elements than can be counted"), "\(overflow)")
    }

    @Test("bench conv, block, gemm and model: sizes beyond 2^31 or beyond the machine's memory")
    func bench() throws {
        func conv(_ n: Int, _ h: Int, pad: Int = 1) -> Conv2dGeometry {
            Conv2dGeometry(batch: n, inChannels: 16, height: h, width: h, outChannels: 16, kernel: Size2(3), stride: Size2(1),
                           padding: Size2(pad))
        }
        let cases: [(String, () throws -> Void, String)] = [
            ("conv N = Int.max", { _ = try OperatorBenchmarks.convolution(conv(.max, 32)) }, "below 2^31"),
            ("conv padding = Int.max", { _ = try OperatorBenchmarks.convolution(conv(1, 8, pad: .max)) }, "below 2^31"),
            ("conv 10^9 images", { _ = try OperatorBenchmarks.convolution(conv(1_000_000_000, 32)) }, "memory"),
            ("block 10^5×10^5", { _ = try OperatorBenchmarks.convPoolReLU(conv(64, 100_000)) }, "memory"),
            ("gemm 3·10^9 rows", { _ = try OperatorBenchmarks.gemm(m: 3_000_000_000, n: 2, k: 2) }, "below 2^31"),
            ("gemm 10^5 cubed", { _ = try OperatorBenchmarks.gemm(m: 100_000, n: 100_000, k: 100_000) }, "memory"),
            ("model batch 10^8", { _ = try ModelBenchmarks.run(model: "vgg16", batch: 100_000_000) }, "memory"),
            ("model batch Int.max", { _ = try ModelBenchmarks.run(model: "lenet5", batch: .max) }, "counted"),
        ]
        for (name, body, expected) in cases {
            let message = refusal(body)
            #expect(message?.contains(expected) == true, "\(name): \(message ?? "accepted")")
        }
    }
}
