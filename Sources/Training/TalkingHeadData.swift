import AudioPlane
import DataIO
import Foundation
import Splatting
import TensorCore

/// One training or validation frame in the form the losses use (all Floats in [0, 1]).
public struct TalkingHeadSample: Sendable {
    public var index: Int
    public var camera: Camera
    /// Ground-truth frame `gt_imgs/<id>.jpg`, [H, W, 3].
    public var groundTruth: [Float]
    /// What the head is composited over: torso over `bc.jpg`, [H, W, 3].
    public var background: [Float]
    /// Reference mask m of dynamic splatting: the dilated mouth polygon, [H, W] in {0, 1}.
    public var mouthMask: [Float]
    /// ER-NeRF's lips rectangle (mouth-region metrics and the LPIPS mouth crop).
    public var lips: PixelRect
    /// The audio encoder's input window [8, 16, C] (`AudioEncoder.window`, aud_id clamped).
    public var audioWindow: [Float]
}

/// The dataset side of training: opens and checks an ER-NeRF-layout dataset, derives the head box
/// and serves `TalkingHeadSample`s (decoded frames stay in the dataset's bounded LRU cache).
public final class TalkingHeadTrainingData: @unchecked Sendable {
    public let folder: URL
    public let dataset: TalkingHeadDataset
    public let trainIndices: [Int]
    public let valIndices: [Int]
    /// C of the feature windows `[16, C]`.
    public let audioChannels: Int
    public let headBox: HeadBox
    public let headBoxSource: String

    /// Opens `folder`; every problem `TalkingHeadDataset.check` finds is reported in one
    /// `TrainingError.datasetInvalid` (first problem + count; `audioplane dataset check` lists all).
    public init(folder: URL, cacheBytes: Int = 512 << 20) throws {
        let problems = TalkingHeadDataset.check(folder)
        if let first = problems.first {
            let more = problems.count > 1 ? " (and \(problems.count - 1) more problems; run `audioplane dataset check \(folder.path)`)" : ""
            throw TrainingError.datasetInvalid("\(folder.path): dataset check failed: \(first)\(more)")
        }
        self.folder = folder
        dataset = try TalkingHeadDataset(folder: folder, cacheBytes: cacheBytes)
        trainIndices = dataset.indices(.train)
        valIndices = dataset.indices(.val)
        guard !trainIndices.isEmpty else { throw TrainingError.datasetInvalid("\(folder.path): no training frames") }
        let shape = dataset.featureWindowShape
        guard shape.count == 2, shape[0] == AudioEncoder.windows else {
            throw TrainingError.datasetInvalid("\(dataset.layout.features(dataset.featureKind).path): feature windows are \(shape), the audio encoder needs [16, C] per frame")
        }
        audioChannels = shape[1]
        (headBox, headBoxSource) = try Self.headBox(folder: folder, dataset: dataset)
    }

    /// The head box: `head_box_min`/`head_box_max` of `synth.json` when the synthetic speaker
    /// wrote the dataset; otherwise a cube centred on the head-frame origin (where ER-NeRF's face
    /// tracker puts the head) whose half side is 0.8 × the larger side of the landmarks' bounding
    /// box back-projected to the origin's depth (width_px · depth / focal), from the first frame —
    /// the 68 landmarks span chin to brows and ear to ear, the whole head is ~1.6× that.
    static func headBox(folder: URL, dataset: TalkingHeadDataset) throws -> (HeadBox, String) {
        let synth = folder.appendingPathComponent("synth.json")
        if let data = FileManager.default.contents(atPath: synth.path),
           let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let lo = (root["head_box_min"] as? [NSNumber])?.map({ $0.floatValue }),
           let hi = (root["head_box_max"] as? [NSNumber])?.map({ $0.floatValue }), lo.count == 3, hi.count == 3,
           zip(lo, hi).allSatisfy({ $0 < $1 }) {
            return (HeadBox(min: SIMD3(lo[0], lo[1], lo[2]), max: SIMD3(hi[0], hi[1], hi[2])), "synth.json")
        }
        let frame = try dataset.frame(0)
        let pts = frame.landmarks.points
        let xs = pts.map(\.x), ys = pts.map(\.y)
        let sidePixels = max((xs.max() ?? 0) - (xs.min() ?? 0), (ys.max() ?? 0) - (ys.min() ?? 0))
        let depth = frame.camera.toCamera(.zero).z.magnitude
        let half = max(0.8 * sidePixels * max(depth, 1e-3) / frame.camera.fx, 1e-3)
        return (HeadBox(min: SIMD3(repeating: -half), max: SIMD3(repeating: half)), "landmarks + cameras")
    }

    /// Frame `index` (of `dataset.frames`) as a sample.
    public func sample(_ index: Int) throws -> TalkingHeadSample {
        let f = try dataset.frame(index)
        let window = AudioEncoder.window(features: dataset.featureValues, frameCount: dataset.featureRows, channels: audioChannels,
                                         frame: min(dataset.frames[index].audioID, dataset.featureRows - 1))
        return TalkingHeadSample(index: index, camera: f.camera, groundTruth: f.groundTruth.rgbFloats,
                                 background: f.background.rgbFloats, mouthMask: f.mouthMask.map { $0 > 0 ? 1 : 0 },
                                 lips: f.lipsRectangle, audioWindow: window)
    }

    /// Up to `count` val frames, evenly spaced (all of them when there are fewer).
    public func validationIndices(count: Int) -> [Int] {
        guard valIndices.count > count, count > 0 else { return valIndices }
        return (0..<count).map { valIndices[$0 * valIndices.count / count] }
    }

    /// 1,000 (`count`) random Gaussians uniformly in the head box (the paper's coarse init):
    /// identity rotation, isotropic scale = box diagonal / 50 (log), opacity 0.1 (logit), grey-ish
    /// random DC colour, higher SH bands 0. Deterministic given `rng`.
    public static func randomCloud(count: Int, box: HeadBox, shDegree: Int, rng: inout SeededRandom) -> GaussianCloud {
        var cloud = GaussianCloud(shDegree: shDegree)
        let extent = box.max - box.min
        let scale = logf((extent * extent).sum().squareRoot() / 50)
        let k = GaussianCloud.shCoefficientCount(degree: shDegree)
        for _ in 0..<count {
            let u = SIMD3<Float>(rng.uniform(), rng.uniform(), rng.uniform())
            var sh = [Float](repeating: 0, count: 3 * k)
            for c in 0..<3 { sh[c] = GaussianCloud.shDC(fromColor: rng.uniform(0.3, 0.7)) }
            cloud.append(mean: box.min + u * extent, rotation: SIMD4(1, 0, 0, 0), logScale: SIMD3(repeating: scale),
                         opacityLogit: logit(0.1), sh: sh)
        }
        return cloud
    }
}
