import AudioPlane
import DataIO
import Foundation
import Splatting

/// A trained talking head read back from its model directory for inference (`render`, `eval`,
/// the demo): the training config, the canonical Gaussians G and the Audio-Plane model, without
/// the optimiser state. The directory layout is `TalkingHeadCheckpoint`'s.
public struct TrainedTalkingHead: Sendable {
    public let directory: URL
    public let config: TrainingConfig
    /// The canonical head G [N Gaussians].
    public let cloud: GaussianCloud
    public let model: AudioPlaneModel
    /// The global training iteration the weights are from.
    public let iteration: Int

    /// C of the `[16, C]` feature windows the model was trained on, and which array they came from.
    public var audioChannels: Int { config.model.audioChannels }
    public var featureKind: AudioFeatureKind? { config.dataset?.featureKind }

    public init(config: TrainingConfig, cloud: GaussianCloud, model: AudioPlaneModel, iteration: Int, directory: URL) {
        self.config = config; self.cloud = cloud; self.model = model; self.iteration = iteration; self.directory = directory
    }

    /// Reads `dir/config.json` and `dir/weights.safetensors`. Throws `TrainingError.corruptCheckpoint`
    /// with one line naming the missing or malformed file.
    public static func load(_ dir: URL) throws -> TrainedTalkingHead {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw TrainingError.modelMissing(dir.path)
        }
        let config = try TalkingHeadCheckpoint.readConfig(dir)
        guard let box = config.headBox else {
            throw TrainingError.corruptCheckpoint("\(TalkingHeadCheckpoint.configURL(dir).path): has no head box (not written by `audioplane train`?)")
        }
        let (archive, iteration) = try TalkingHeadCheckpoint.readWeights(dir)
        let path = TalkingHeadCheckpoint.weightsURL(dir).path
        let initial: AudioPlaneModel
        do { initial = try AudioPlaneModel(config: config.model, headBox: box) } catch {
            throw TrainingError.corruptCheckpoint("\(TalkingHeadCheckpoint.configURL(dir).path): \(error)")
        }
        let cloud = try TalkingHeadCheckpoint.canonicalCloud(archive, shDegree: config.shDegree, path: path)
        let model = try TalkingHeadCheckpoint.modelParameters(archive, initial: initial, path: path)
        return TrainedTalkingHead(config: config, cloud: cloud, model: model, iteration: iteration, directory: dir)
    }

    /// True once the fine stage has started (the deformation is trained); a coarse-only model
    /// renders the canonical head.
    public var isDeformable: Bool { iteration > config.coarseIterations }
}
