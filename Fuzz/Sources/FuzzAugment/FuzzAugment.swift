import ConvNet
import FuzzSupport

/// `--augment` strings: parsed, their sizes planned (``Compose/footprint(for:)``, as the data
/// loader does before any image), then, when the plan is small, the pipeline applied to a small
/// RGB and a small gray image, whose output must have the planned size.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: bytes(data, size), as: UTF8.self)
    guard let pipeline = try? TransformSpec.parse(text, imageSize: ImageSize(height: 12, width: 10)),
          let plan = try? pipeline.footprint(for: ImageSize(height: 12, width: 10)), plan.pixels <= 1 << 20 else { return 0 }
    var generator = RandomGenerator(seed: UInt64(size))
    for channels in [3, 1] {
        let values = (0..<(channels * 12 * 10)).map { Float($0 % 7) / 7 }
        if let image = try? FloatImage(channels: channels, height: 12, width: 10, values: values),
           let output = try? pipeline(image, generator: &generator) {
            precondition(output.height == plan.output.height && output.width == plan.output.width, "the output differs from the planned size")
        }
    }
    return 0
}

func seeds() throws -> [(name: String, bytes: [UInt8])] {
    [("cifar", "RandomCrop(32, padding=4), RandomHorizontalFlip()"),
     ("jitter", "ColorJitter(0.4, (0.5, 1.5), 0.4, 0.1), RandomResizedCrop(8, scale=(0.5, 1)), Lighting(0.1), Pad((1, 2, 3, 4), padding_mode='reflect')"),
     ("resize", "Resize(9), CenterCrop((6, 5)), RandomVerticalFlip(p=0.3), Normalize((0.5, 0.5, 0.5), (0.2, 0.2, 0.2))"),
     ("preset", "imagenet"),
     ("deep", "RandomCrop(8, padding=" + String(repeating: "(", count: 20) + "1" + String(repeating: ")", count: 20) + "), Pad([[[[2]]]])"),
     ("grow", "Pad(4000), Pad(4000), CenterCrop(9)")].map { ($0.0, Array($0.1.utf8)) }
}

@_cdecl("FuzzAugment_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    fuzzerMain(argc, argv, seeds: seeds, fuzzOneInput)
}
