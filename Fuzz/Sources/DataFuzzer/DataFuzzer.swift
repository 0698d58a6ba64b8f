import ConvNet

/// libFuzzer's entry point. The first byte picks the parser; the rest is its input. Every input
/// must end in a value or a `ConvNetError`: a trap, a hang or a runaway allocation is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let selector = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch selector % 4 {
    case 0:
        // An --augment string, then the pipeline it names applied to a small RGB and a gray image.
        let text = String(decoding: bytes, as: UTF8.self)
        guard let pipeline = try? TransformSpec.parse(text, imageSize: ImageSize(height: 12, width: 10)) else { return 0 }
        var generator = RandomGenerator(seed: UInt64(selector))
        for channels in [3, 1] {
            let values = (0..<(channels * 12 * 10)).map { Float($0 % 7) / 7 }
            if let image = try? FloatImage(channels: channels, height: 12, width: 10, values: values) {
                _ = try? pipeline(image, generator: &generator)
            }
        }
    case 1:
        _ = try? CIFAR.parse(bytes, variant: .cifar10, classes: 10, source: "fuzz")
    case 2:
        _ = try? CIFAR.parse(bytes, variant: .cifar100, labelLevel: selector & 4 == 0 ? .fine : .coarse, classes: 100, source: "fuzz")
    default:
        _ = try? Image.decode(bytes, channels: selector & 4 == 0 ? 3 : 1, source: "fuzz")
    }
    return 0
}

/// libFuzzer's driver (its `main` is not used: SwiftPM calls an executable's entry `<module>_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("DataFuzzer_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return runFuzzerDriver(&count, &arguments, fuzzOneInput)
}
