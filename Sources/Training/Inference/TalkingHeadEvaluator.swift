import AudioPlane
import DataIO
import Foundation
import Splatting
import TensorCore

/// `audioplane eval`: renders dataset frames from their own audio features and cameras, composites
/// them over their own torso + background exactly as training validates (`TalkingHeadTrainer.validate`:
/// the prediction as an 8-bit frame, `Compositing.quantizedFrame`, compared with `gt_imgs`), and averages `FrameMetrics` (PSNR, SSIM,
/// LPIPS, mouth-region PSNR/SSIM over the lips rectangle) into a `MetricsReport`.
public enum TalkingHeadEvaluator {
    /// Which frames: the val split (a model's own training dataset), every frame (a held-out
    /// recording it never saw), or `auto` (val when `data` is the dataset the model was trained on).
    public enum Split: String, Sendable, CaseIterable { case auto, val, all }

    /// The dataset frames to evaluate, in order: the chosen split, thinned to at most `maxFrames`
    /// evenly spaced frames — the same choice as training's validation (which, on a dataset without
    /// a val split, takes the first `maxFrames` train frames), so `maxFrames` = `validationFrames`
    /// reproduces the numbers of `log.csv` (the last row exactly when no densification step fell
    /// on the final iteration: training validates before densifying).
    public static func frames(of dataset: TalkingHeadDataset, split: Split, trainedOn: String?, maxFrames: Int?) -> [Int] {
        var resolved = split
        if split == .auto {
            let same = trainedOn.map { URL(fileURLWithPath: $0).standardizedFileURL.path == dataset.layout.root.standardizedFileURL.path } ?? false
            resolved = same ? .val : .all
        }
        var indices = resolved == .val ? dataset.indices(.val) : Array(0..<dataset.count)
        if resolved == .val && indices.isEmpty {
            let train = dataset.indices(.train)
            return maxFrames.map { Array(train.prefix($0)) } ?? train
        }
        if let maxFrames, maxFrames > 0, indices.count > maxFrames {
            indices = (0..<maxFrames).map { indices[$0 * indices.count / maxFrames] }
        }
        return indices
    }

    /// Evaluates `indices` of `synthesizer.poses`. `comparison`, when given, receives one
    /// prediction | ground-truth frame per evaluated frame (twice the width). `progress` is called
    /// after each frame with the count done; `shouldStop` is polled once per frame and ends the
    /// evaluation with `TalkingHeadVideo.Interrupted`.
    public static func evaluate(_ synthesizer: TalkingHeadSynthesizer, indices: [Int], metrics: ImageMetrics,
                                comparison: VideoWriter? = nil, progress: (Int) -> Void = { _ in },
                                shouldStop: () -> Bool = { false }) throws -> MetricsReport {
        let dataset = synthesizer.poses
        guard !indices.isEmpty else {
            throw TrainingError.datasetInvalid("\(dataset.layout.root.path): no frames to evaluate")
        }
        let channels = synthesizer.head.audioChannels
        guard dataset.featureWindowShape == [AudioEncoder.windows, channels] else {
            throw AudioPlaneError.featureShape("\(dataset.layout.features(dataset.featureKind).path): windows are \(dataset.featureWindowShape), the model \(synthesizer.head.directory.path) needs [16, \(channels)]")
        }
        var accumulator = MetricsAccumulator()
        for (done, i) in indices.enumerated() {
            if shouldStop() { throw TalkingHeadVideo.Interrupted() }
            let frame = try dataset.frame(i)
            let window = AudioEncoder.window(features: dataset.featureValues, frameCount: dataset.featureRows, channels: channels,
                                             frame: min(dataset.frames[i].audioID, dataset.featureRows - 1))
            let images = synthesizer.renderHead(window: window, camera: frame.camera)
            let prediction = Compositing.quantizedFrame(headRGB: images.image, headAlpha: images.alpha, background: frame.background.rgbFloats)
            accumulator.add(metrics.evaluate(prediction, frame.groundTruth.rgbFloats, width: dataset.width, height: dataset.height,
                                             lips: frame.lipsRectangle))
            if let comparison {
                let p = Image8(floats: prediction, width: dataset.width, height: dataset.height, channels: 3)
                try comparison.append(ComparisonFrame.sideBySide(prediction: p, groundTruth: frame.groundTruth))
            }
            progress(done + 1)
        }
        return accumulator.report
    }
}
