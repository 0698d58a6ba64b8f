import ConvNet

/// The command line's name for each setting that library messages name by its Swift name in
/// backticks (``ConvNetError/renamingSettings(_:)``): `` `batchSize` `` is `--batch-size` here.
/// Every error and note the tool prints passes through it, so the library never names a flag.
enum SettingFlags {
    static let flags: [String: String] = [
        // TrainingOptions and the Trainer
        "epochs": "--epochs", "batchSize": "--batch-size", "learningRate": "--lr", "momentum": "--momentum",
        "weightDecay": "--weight-decay", "warmupSteps": "--warmup-steps", "milestones": "--milestones",
        "nesterov": "--nesterov", "optimizer": "--optimizer", "threads": "--threads", "schedule": "--schedule",
        "gamma": "--gamma", "imageSize": "--image-size", "holdout": "--holdout", "augment": "--augment",
        "skipBadImages": "--skip-bad-images", "syncBatchNorm": "--sync-bn", "workers": "--workers",
        "dataDirectory": "--data", "outputDirectory": "--out", "resume": "--resume", "overwrite": "--overwrite",
        "allowNonFinite": "--allow-nonfinite",
        // normalisation, reports, summaries, export, benchmarks
        "mean": "--mean", "std": "--std", "checkpoint": "--checkpoint", "runDirectory": "--run",
        "inputShape": "--input", "batch": "--batch", "rounds": "--rounds",
        "Classifier.weights(path:)": "convnet predict --weights",
    ]

    /// `error` with the settings it names given as flags (errors of other types unchanged).
    static func flagged(_ error: Error) -> Error {
        (error as? ConvNetError)?.renamingSettings(flags) ?? error
    }

    /// A library note or message with the settings it names given as flags.
    static func flagged(_ text: String) -> String {
        ConvNetError.renamingSettings(in: text, flags)
    }
}
