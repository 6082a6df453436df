import AudioPlane
import DataIO
import Foundation
import NeuralNet
import Perceptual
import Splatting
import TensorCore

/// The model directory (DESIGN.md §1 `audioplane train --out MODEL`):
///
/// - `weights.safetensors` — everything needed to render *and* to resume:
///   `model.<name>` (every Audio-Plane parameter, `AudioPlaneModel.visitParameters` names and shapes),
///   `gaussians.means` [N, 3], `.rotations` [N, 4] (w x y z), `.logScales` [N, 3],
///   `.opacityLogits` [N], `.shCoefficients` [N, 3K] (the canonical head, pre-activation),
///   `adam.gaussians.<name>.m|v`, `adam.model.<name>.m|v` (Adam moments, flat [count]),
///   `densify.gradientSum|viewCount|maxRadius` [N]; metadata `format`, `iteration`,
///   `adam.steps` (JSON: name → [row width, step count]), `lossSum`/`lossCount` (the running mean
///   of the training loss since the last log row).
/// - `config.json` — `TrainingConfig` (every hyper-parameter, head box, dataset path, feature
///   kind and channel count).
/// - `head.ply` — the canonical head as a standard 3DGS PLY (`GaussianCloud.writePLY`).
/// - `log.csv` — the validation log (`TrainingLogRow`).
/// - `preview.png` — prediction | ground truth of the first val frame at the last validation
///   (written by the trainer, not needed to resume).
///
/// Each file is written atomically (temporary file + rename); `weights.safetensors` is written
/// last and is the commit point: on resume, log rows after its iteration are dropped.
public enum TalkingHeadCheckpoint {
    public static let format = "audioplane-talking-head 1"
    public static func weightsURL(_ dir: URL) -> URL { dir.appendingPathComponent("weights.safetensors") }
    public static func configURL(_ dir: URL) -> URL { dir.appendingPathComponent("config.json") }
    public static func plyURL(_ dir: URL) -> URL { dir.appendingPathComponent("head.ply") }
    public static func logURL(_ dir: URL) -> URL { dir.appendingPathComponent("log.csv") }

    /// Writes the trainer's state to `dir` (created when missing).
    public static func write(_ trainer: TalkingHeadTrainer, to dir: URL) throws {
        try createFolder(dir)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(trainer.config), to: configURL(dir))
        try trainer.cloud.writePLY(plyURL(dir))
        try writeAtomically(Data(TrainingLogRow.csv(trainer.log).utf8), to: logURL(dir))
        try Safetensors.write(archive(trainer), to: weightsURL(dir))
    }

    static func archive(_ trainer: TalkingHeadTrainer) -> SafetensorsArchive {
        var tensors: [String: SafetensorsArchive.Entry] = [:]
        let parameters = trainer.model.namedParameters()
        for name in parameters.names {
            let t = parameters[name]!
            tensors["model." + name] = .init(shape: t.shape, float32: t.data)
        }
        let c = trainer.cloud
        for name in GaussianCloud.parameterNames {
            let w = c.parameterWidth(name)
            tensors["gaussians." + name] = .init(shape: w == 1 ? [c.count] : [c.count, w], float32: c[parameter: name])
        }
        var steps: [String: [Int]] = [:]
        for (group, adam) in [("gaussians", trainer.gaussianAdam), ("model", trainer.networkAdam)] {
            for (name, s) in adam.states {
                tensors["adam.\(group).\(name).m"] = .init(shape: [s.m.count], float32: s.m)
                tensors["adam.\(group).\(name).v"] = .init(shape: [s.v.count], float32: s.v)
                steps["\(group).\(name)"] = [s.width, s.step]
            }
        }
        let st = trainer.statistics
        tensors["densify.gradientSum"] = .init(shape: [st.gradientSum.count], float32: st.gradientSum)
        tensors["densify.viewCount"] = .init(shape: [st.viewCount.count], float32: st.viewCount)
        tensors["densify.maxRadius"] = .init(shape: [st.maxRadius.count], float32: st.maxRadius)
        let stepsJSON = String(decoding: (try? JSONSerialization.data(withJSONObject: steps, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
        return SafetensorsArchive(tensors: tensors, metadata: [
            "format": format, "iteration": String(trainer.iteration), "adam.steps": stepsJSON,
            "gaussians": String(c.count), "shDegree": String(c.shDegree),
            "lossSum": String(trainer.lossSum), "lossCount": String(trainer.lossCount),
        ])
    }

    /// Reads `config.json` of a model directory.
    public static func readConfig(_ dir: URL) throws -> TrainingConfig {
        let url = configURL(dir)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError.corruptCheckpoint("\(url.path): missing (not a model directory written by `audioplane train`?)")
        }
        do { return try JSONDecoder().decode(TrainingConfig.self, from: data) } catch {
            throw TrainingError.corruptCheckpoint("\(url.path): not a valid training config (\(error))")
        }
    }

    /// A trainer continuing the run saved in `dir` on `data`, bit-for-bit (the same iterations
    /// an uninterrupted run would do). `fineIterations`, when given, replaces the stored count
    /// (to extend a finished run). Throws `featureChannelMismatch` when the dataset's C differs
    /// from the model's, `corruptCheckpoint` for unreadable or inconsistent files.
    public static func resume(from dir: URL, data: TalkingHeadTrainingData, lpips: LPIPS?,
                              fineIterations: Int? = nil) throws -> TalkingHeadTrainer {
        var config = try readConfig(dir)
        guard config.model.audioChannels == data.audioChannels else {
            throw TrainingError.featureChannelMismatch(model: config.model.audioChannels, dataset: data.audioChannels,
                                                       path: data.dataset.layout.features(data.dataset.featureKind).path)
        }
        if let fineIterations { config.fineIterations = fineIterations }
        let trainer = try TalkingHeadTrainer(config: config, data: data, lpips: lpips)
        let path = weightsURL(dir).path
        let (archive, it) = try readWeights(dir)
        func fail(_ m: String) -> TrainingError { .corruptCheckpoint("\(path): \(m)") }
        do {
            let cloud = try canonicalCloud(archive, shDegree: config.shDegree, path: path)
            let n = cloud.count
            let model = try modelParameters(archive, initial: trainer.model, path: path)
            // Adam.
            guard let stepsData = archive.metadata["adam.steps"]?.data(using: .utf8),
                  let steps = try JSONSerialization.jsonObject(with: stepsData) as? [String: [Int]] else { throw fail("metadata 'adam.steps' is missing or malformed") }
            var gaussianStates: [String: Adam.State] = [:], modelStates: [String: Adam.State] = [:]
            for (key, ws) in steps {
                guard ws.count == 2, ws[0] > 0 else { throw fail("bad 'adam.steps' entry for \(key)") }
                let m = try archive.floats("adam.\(key).m", path: path), v = try archive.floats("adam.\(key).v", path: path)
                guard m.count == v.count else { throw fail("Adam moments of \(key) differ in size") }
                let state = Adam.State(rowWidth: ws[0], firstMoments: m, secondMoments: v, steps: ws[1])
                if key.hasPrefix("gaussians.") { gaussianStates[String(key.dropFirst("gaussians.".count))] = state }
                else if key.hasPrefix("model.") { modelStates[String(key.dropFirst("model.".count))] = state }
                else { throw fail("unknown Adam group in \(key)") }
            }
            for (name, s) in gaussianStates where s.m.count != n * s.width { throw fail("Adam state of gaussians.\(name) does not match \(n) Gaussians") }
            var statistics = DensificationStatistics(count: n)
            statistics.gradientSum = try archive.floats("densify.gradientSum", shape: [n], path: path)
            statistics.viewCount = try archive.floats("densify.viewCount", shape: [n], path: path)
            statistics.maxRadius = try archive.floats("densify.maxRadius", shape: [n], path: path)

            trainer.cloud = cloud
            trainer.model = model
            trainer.modelGradients = model.zerosLike()
            trainer.gaussianAdam.restore(gaussianStates)
            trainer.networkAdam.restore(modelStates)
            trainer.statistics = statistics
            trainer.iteration = it
            trainer.lossSum = archive.metadata["lossSum"].flatMap(Double.init) ?? 0
            trainer.lossCount = archive.metadata["lossCount"].flatMap(Int.init) ?? 0
        } catch let e as TrainingError { throw e } catch { throw fail("\(error)") }
        // The log up to the checkpoint (rows after it belong to work that is being redone).
        if let text = try? String(contentsOf: logURL(dir), encoding: .utf8), let rows = TrainingLogRow.parse(text) {
            trainer.log = rows.filter { $0.iteration <= it }
        }
        return trainer
    }

    /// `dir/weights.safetensors` and the global iteration it was written at; `corruptCheckpoint`
    /// when it is missing, unreadable, not a talking-head checkpoint, or has no iteration.
    static func readWeights(_ dir: URL) throws -> (SafetensorsArchive, iteration: Int) {
        let url = weightsURL(dir), path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError.corruptCheckpoint("\(path): missing (the model directory is incomplete)")
        }
        let archive: SafetensorsArchive
        do { archive = try Safetensors.read(url) } catch { throw TrainingError.corruptCheckpoint("\(error)") }
        guard archive.metadata["format"] == format else {
            throw TrainingError.corruptCheckpoint("\(path): not a talking-head checkpoint (metadata 'format' is \(archive.metadata["format"] ?? "missing"))")
        }
        guard let iteration = archive.metadata["iteration"].flatMap(Int.init), iteration >= 0 else {
            throw TrainingError.corruptCheckpoint("\(path): metadata 'iteration' is missing or invalid")
        }
        return (archive, iteration)
    }

    /// The canonical Gaussians `gaussians.*` of a weights archive.
    static func canonicalCloud(_ archive: SafetensorsArchive, shDegree: Int, path: String) throws -> GaussianCloud {
        func fail(_ m: String) -> TrainingError { .corruptCheckpoint("\(path): \(m)") }
        guard let n = archive.tensors["gaussians.opacityLogits"]?.shape.first else { throw fail("tensor 'gaussians.opacityLogits' is missing") }
        var cloud = GaussianCloud(shDegree: shDegree)
        do {
            for name in GaussianCloud.parameterNames {
                let w = cloud.parameterWidth(name)
                let values = try archive.floats("gaussians." + name, shape: w == 1 ? [n] : [n, w], path: path)
                switch name {
                case "means": cloud.means = values
                case "rotations": cloud.rotations = values
                case "logScales": cloud.logScales = values
                case "opacityLogits": cloud.opacityLogits = values
                default: cloud.shCoefficients = values
                }
            }
        } catch let e as TrainingError { throw e } catch { throw fail("\(error)") }
        guard cloud.isConsistent else { throw fail("the Gaussian arrays are inconsistent") }
        return cloud
    }

    /// `initial` (a model built from the directory's config) with every `model.*` tensor of the
    /// archive loaded into it (names and shapes must match).
    static func modelParameters(_ archive: SafetensorsArchive, initial: AudioPlaneModel, path: String) throws -> AudioPlaneModel {
        func fail(_ m: String) -> TrainingError { .corruptCheckpoint("\(path): \(m)") }
        var set = ParameterSet()
        for name in initial.namedParameters().names {
            guard let e = archive.tensors["model." + name] else { throw fail("tensor 'model.\(name)' is missing") }
            set.append(name, Tensor(shape: e.shape, data: e.floatValues()))
        }
        var model = initial
        do { try model.load(set) } catch { throw fail("\(error)") }
        return model
    }
}
