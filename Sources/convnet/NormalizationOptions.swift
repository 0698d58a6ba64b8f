import ArgumentParser
import ConvNet

/// `--mean` and `--std`: the normalisation of a model from elsewhere, given by hand.
struct NormalizationOptions: ParsableArguments {
    @Option(help: "Per-channel means of pixels scaled to [0, 1], comma-separated (e.g. 0.485,0.456,0.406): how the model's training images were normalised, for a model whose file does not say (needs --std; overrides --dataset's and the file's).")
    var mean: String?
    @Option(help: "Per-channel standard deviations, comma-separated (e.g. 0.229,0.224,0.225), each above 0 (needs --mean).")
    var std: String?

    func validate() throws {
        guard (mean == nil) == (std == nil) else { throw ValidationError("give --mean and --std together") }
    }

    /// The normalisation given, checked (for a model of `channels` input channels, when known); nil when none was.
    func normalization(channels: Int?, op: String) throws -> Normalization? {
        guard let mean, let std else { return nil }
        return try Normalization.parse(mean: mean, std: std, channels: channels, op: op)
    }
}
