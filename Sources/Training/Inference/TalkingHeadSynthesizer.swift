import AudioPlane
import DataIO
import Foundation
import Splatting
import TensorCore

/// Inference (DESIGN.md §3 "Inference"): turns audio features into composited talking-head frames.
///
/// For output frame k of a clip with features `[N, 16, C]`:
/// 1. the audio window [8, 16, C] around k (`AudioEncoder.window`, zero-padded at the ends);
/// 2. G' = G + d·ΔG from the Audio-Plane model (the canonical head when the model never reached
///    the fine stage);
/// 3. the head rendered with the camera of dataset frame `pingPongIndex(k, count)`;
/// 4. composited over that frame's torso + background: head RGB + (1 − α)·background.
///
/// `timings` accumulates the stages: "audio encoder", "plane query", "decoders", "deformation"
/// (from the model), "rasterize", "background" (torso PNG decode + composite over `bc.jpg`),
/// "compositing". One synthesizer renders one clip at a time (not thread-safe).
public final class TalkingHeadSynthesizer {
    public let head: TrainedTalkingHead
    /// Where poses, torso and background come from (the training dataset or another recording of
    /// the same person at the same size).
    public let poses: TalkingHeadDataset
    public var timings = StageTimings()
    /// Output frame size (`renderFrame`); the dataset's by default. Another size renders the
    /// splats natively at that resolution (intrinsics scaled per axis) over the background
    /// resized bilinearly.
    public var outputWidth: Int
    public var outputHeight: Int
    let renderer = SplatRenderer()
    /// The canonical head's audio-independent plane features (computed once).
    let cache: SpatialFeatureCache

    /// Throws a one-line error when `poses` has another image size than the model was trained at
    /// (unless `allowOtherSize`: a recording of the same person at another resolution, whose own
    /// cameras then render the head natively at that resolution — the inference benchmark's 512²).
    public init(head: TrainedTalkingHead, poses: TalkingHeadDataset, allowOtherSize: Bool = false) throws {
        if let trained = head.config.dataset, !allowOtherSize, trained.width != poses.width || trained.height != poses.height {
            throw TrainingError.datasetInvalid(
                "\(poses.layout.root.path): frames are \(poses.width)×\(poses.height) but the model \(head.directory.path) was trained on \(trained.width)×\(trained.height) frames")
        }
        guard poses.count > 0 else {
            throw TrainingError.datasetInvalid("\(poses.layout.root.path): the dataset has no frames (transforms_*.json list none)")
        }
        self.head = head
        self.poses = poses
        cache = head.model.spatialFeatureCache(for: head.cloud)
        outputWidth = poses.width
        outputHeight = poses.height
    }

    /// The camera of dataset frame `index` for the output size.
    public func outputCamera(_ index: Int) -> Camera {
        var camera = poses.camera(index)
        guard outputWidth != camera.width || outputHeight != camera.height else { return camera }
        let sx = Float(outputWidth) / Float(camera.width), sy = Float(outputHeight) / Float(camera.height)
        camera.fx *= sx; camera.cx *= sx; camera.fy *= sy; camera.cy *= sy
        camera.width = outputWidth; camera.height = outputHeight
        return camera
    }

    /// Checks that `features` is `[frameCount, 16, C]` with the model's C; throws a one-line error
    /// naming `source` otherwise.
    public func checkFeatures(_ features: [Float], frameCount: Int, source: String) throws {
        let c = head.audioChannels, per = AudioEncoder.windows * c
        guard frameCount > 0, features.count == frameCount * per else {
            let got = frameCount > 0 ? "\(features.count / frameCount) values per frame" : "no frames"
            throw AudioPlaneError.featureShape("\(source): expected [N, 16, \(c)] windows (the model's feature type), got \(got)")
        }
    }

    /// The head alone for one audio window [8, 16, C] and camera: premultiplied RGB [H, W, 3] and
    /// α [H, W] (`RasterImages`), plus the dynamism map when `withDynamism` (one extra channel).
    public func renderHead(window: [Float], camera: Camera, withDynamism: Bool = false) -> RasterImages {
        var deformed = head.cloud
        var dynamism: [Float] = []
        if head.isDeformable {
            // The control model of the lip-sync test was trained deaf: it stays deaf.
            let heard = head.config.zeroAudio ? [Float](repeating: 0, count: window.count) : window
            let out = head.model.infer(head.cloud, audioWindow: heard, cache: cache, timings: &timings)
            deformed = out.cloud
            dynamism = out.dynamism
        }
        return timings.measure("rasterize") {
            if withDynamism && !dynamism.isEmpty {
                return renderer.render(deformed, camera: camera, extras: dynamism, extraChannels: 1).images
            }
            return renderer.render(deformed, camera: camera).images
        }
    }

    /// Output frame `k` of a clip with features [frameCount, 16, C] (`checkFeatures` first),
    /// composited into `out` (an 8-bit RGB frame, reused across calls), ready for `VideoWriter`.
    public func renderFrame(_ k: Int, features: [Float], frameCount: Int, into out: inout Image8) throws {
        let window = AudioEncoder.window(features: features, frameCount: frameCount, channels: head.audioChannels, frame: k)
        let index = pingPongIndex(k, count: poses.count)
        let background = try timings.measure("background") {
            try poses.loadBackground(index).resized(width: outputWidth, height: outputHeight)
        }
        let images = renderHead(window: window, camera: outputCamera(index))
        timings.measure("compositing") {
            Compositing.composite(headRGB: images.image, headAlpha: images.alpha, background: background, into: &out)
        }
    }
}
