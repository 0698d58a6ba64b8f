import Foundation

/// Builds models by name (`--model`), with the input size and class count each was designed for.
public enum ModelZoo {
    /// One model of the zoo.
    public typealias Entry = ModelArchitecture

    /// Every model, in the order `convnet summary` lists them.
    public static let entries: [Entry] = [
        Entry(name: "lenet5", inputShape: [1, 28, 28], classes: 10) { LeNet5(classes: $0) },
        Entry(name: "lenet5-classic", inputShape: [1, 32, 32], classes: 10) { LeNet5Classic(classes: $0) },
        Entry(name: "alexnet", inputShape: [3, 224, 224], classes: 1000) { AlexNet(classes: $0) },
        Entry(name: "alexnet-2012", inputShape: [3, 227, 227], classes: 1000) { AlexNet2012(classes: $0) },
    ] + [11, 13, 16, 19].map { depth in
        Entry(name: "vgg\(depth)", inputShape: [3, 224, 224], classes: 1000) { try VGG(depth: depth, classes: $0) }
    } + [11, 16].map { depth in
        Entry(name: "vgg\(depth)-bn", inputShape: [3, 224, 224], classes: 1000) { try VGG(depth: depth, batchNorm: true, classes: $0) }
    } + [18, 34, 50].map { depth in
        Entry(name: "resnet\(depth)", inputShape: [3, 224, 224], classes: 1000) { try ResNet(depth: depth, classes: $0) }
    } + [
        Entry(name: "resnext50_32x4d", inputShape: [3, 224, 224], classes: 1000) { try ResNet(depth: 50, classes: $0, groups: 32, widthPerGroup: 4) },
        Entry(name: "wide_resnet50_2", inputShape: [3, 224, 224], classes: 1000) { try ResNet(depth: 50, classes: $0, widthPerGroup: 128) },
    ] + [20, 32, 44, 56].map { depth in
        Entry(name: "resnet\(depth)", inputShape: [3, 32, 32], classes: 10) { try CIFARResNet(depth: depth, classes: $0) }
    } + [
        Entry(name: "googlenet", inputShape: [3, 224, 224], classes: 1000) { GoogLeNet(classes: $0) },
        Entry(name: "mobilenet_v2", inputShape: [3, 224, 224], classes: 1000) { try MobileNetV2(classes: $0) },
        Entry(name: "mobilenet_v3_small", inputShape: [3, 224, 224], classes: 1000) { try MobileNetV3(.small, classes: $0) },
        Entry(name: "mobilenet_v3_large", inputShape: [3, 224, 224], classes: 1000) { try MobileNetV3(.large, classes: $0) },
        Entry(name: "densenet121", inputShape: [3, 224, 224], classes: 1000) { try DenseNet(depth: 121, classes: $0) },
        Entry(name: "densenet169", inputShape: [3, 224, 224], classes: 1000) { try DenseNet(depth: 169, classes: $0) },
        Entry(name: "shufflenet_v2_x0_5", inputShape: [3, 224, 224], classes: 1000) { try ShuffleNetV2(.x0_5, classes: $0) },
        Entry(name: "shufflenet_v2_x1_0", inputShape: [3, 224, 224], classes: 1000) { try ShuffleNetV2(.x1_0, classes: $0) },
        Entry(name: "squeezenet1_0", inputShape: [3, 224, 224], classes: 1000) { try SqueezeNet(.v1_0, classes: $0) },
        Entry(name: "squeezenet1_1", inputShape: [3, 224, 224], classes: 1000) { try SqueezeNet(.v1_1, classes: $0) },
    ] + EfficientNet.Variant.allCases.map { variant in
        Entry(name: "efficientnet_\(variant.rawValue)", inputShape: [3, variant.inputSize, variant.inputSize], classes: 1000) {
            try EfficientNet(variant, classes: $0)
        }
    }

    /// The names ``make(_:classes:)`` knows.
    public static var names: [String] { entries.map(\.name) }

    /// The entry called `name`, in this zoo's spelling or torchvision's (`vgg11_bn` for `vgg11-bn`,
    /// `mobilenet-v2` for `mobilenet_v2`: hyphens and underscores are interchangeable).
    /// - Throws: ``ConvNetError`` for an unknown name, listing the known ones.
    public static func entry(_ name: String) throws -> Entry {
        func spelling(_ s: String) -> String { s.replacingOccurrences(of: "_", with: "-") }
        let wanted = spelling(name)
        guard let entry = entries.first(where: { $0.name == name }) ?? entries.first(where: { spelling($0.name) == wanted }) else {
            throw ConvNetError(op: "model", "unknown model \"\(name)\" (known: \(names.joined(separator: ", ")))")
        }
        return entry
    }

    /// A freshly initialised model (weights drawn from the global generator; seed it first).
    /// - Parameter classes: output classes; `nil` means the architecture's own.
    public static func make(_ name: String, classes: Int? = nil) throws -> Module {
        let entry = try entry(name)
        return try entry.make(classes: classes)
    }
}
