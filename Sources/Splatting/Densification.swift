import Foundation
import NeuralNet
import TensorCore

/// Adaptive density control of 3DGS (Kerbl et al. 2023, §5; graphdeco `densify_and_prune`).
/// Defaults are the paper's: densify every 100 iterations from 500 to 15,000, view-averaged
/// screen-space gradient threshold 0.0002, clone when the largest scale ≤ 1% of the scene extent,
/// otherwise split into 2 samples with scales / 1.6; prune opacity < 0.005, and after the first
/// opacity reset prune Gaussians larger than 20 px on screen or 10% of the extent in the world;
/// reset opacities to ≤ 0.01 every 3,000 iterations.
public struct DensificationSettings: Codable, Equatable, Sendable {
    public var startIteration = 500
    public var stopIteration = 15_000
    public var interval = 100
    public var gradientThreshold: Float = 0.0002
    public var percentDense: Float = 0.01
    public var opacityResetInterval = 3_000
    public var pruneOpacity: Float = 0.005
    public var maxScreenRadius: Float = 20
    public var maxWorldSizeFraction: Float = 0.1
    /// Upper bound on the number of Gaussians (no densification beyond it).
    public var maxGaussians = 300_000
    public init() {}
}

/// Per-Gaussian statistics gathered between densification steps.
/// `gradientSum` [N] Σ‖∂L/∂mean2D‖ over views where visible, `viewCount` [N], `maxRadius` [N] px.
public struct DensificationStatistics: Equatable, Sendable {
    public var gradientSum: [Float] = []
    public var viewCount: [Float] = []
    public var maxRadius: [Float] = []
    public init(count: Int) { reset(count: count) }

    public mutating func reset(count: Int) {
        gradientSum = [Float](repeating: 0, count: count)
        viewCount = [Float](repeating: 0, count: count)
        maxRadius = [Float](repeating: 0, count: count)
    }

    /// Adds one rendered view.
    public mutating func add(_ pass: SplatForwardPass, _ grads: SplatGradients) {
        let vis = pass.visibility, radii = pass.screenRadii
        for i in 0..<vis.count where vis[i] {
            gradientSum[i] += grads.meanScreenGradientNorm[i]
            viewCount[i] += 1
            maxRadius[i] = max(maxRadius[i], radii[i])
        }
    }
}

/// What one densification step did.
public struct DensificationReport: Equatable, Sendable {
    public var cloned = 0, split = 0, pruned = 0
}

public enum Densifier {
    /// Clone, split, then prune (3DGS order); keeps `adam`'s state row-aligned with the cloud.
    /// `sceneExtent` is the scene radius (3DGS `cameras_extent`); `pruneLarge` enables the
    /// screen/world size pruning (3DGS: after the first opacity reset).
    @discardableResult
    public static func densifyAndPrune(_ cloud: inout GaussianCloud, statistics s: DensificationStatistics,
                                       adam: Adam, settings: DensificationSettings, sceneExtent: Float,
                                       pruneLarge: Bool, rng: inout SeededRandom) -> DensificationReport {
        var report = DensificationReport()
        let n0 = cloud.count
        let meanGrad = (0..<n0).map { s.viewCount[$0] > 0 ? s.gradientSum[$0] / s.viewCount[$0] : 0 }
        func maxScale(_ i: Int) -> Float {
            expf(max(cloud.logScales[3 * i], cloud.logScales[3 * i + 1], cloud.logScales[3 * i + 2]))
        }
        let room = max(0, settings.maxGaussians - n0)
        let dense = settings.percentDense * sceneExtent
        var candidates = (0..<n0).filter { meanGrad[$0] >= settings.gradientThreshold }
        // Under the cap, the strongest gradients go first (each split adds one net Gaussian, each clone one).
        if candidates.count > room { candidates = Array(candidates.sorted { meanGrad[$0] > meanGrad[$1] }.prefix(room)).sorted() }
        let cloneRows = candidates.filter { maxScale($0) <= dense }
        let splitRows = candidates.filter { maxScale($0) > dense }

        // origin[row] = index before this step, or −1 for rows created by it.
        var origin = Array(0..<n0)
        // Clone: exact copies.
        if !cloneRows.isEmpty {
            origin += [Int](repeating: -1, count: cloneRows.count)
            cloud.appendRows(cloud.selectingRows(cloneRows))
            adam.appendRows(cloneRows.count)
            report.cloned = cloneRows.count
        }
        // Split: 2 samples from each Gaussian, scales / (0.8·2); originals removed.
        if !splitRows.isEmpty {
            var children = cloud.selectingRows(splitRows + splitRows)
            let m = splitRows.count
            for (c, i) in (splitRows + splitRows).enumerated() {
                let std = SIMD3<Float>(expf(cloud.logScales[3 * i]), expf(cloud.logScales[3 * i + 1]), expf(cloud.logScales[3 * i + 2]))
                let sample = SIMD3<Float>(rng.normal(), rng.normal(), rng.normal()) * std
                let r = rotationMatrix(quaternion: SIMD4(cloud.rotations[4 * i], cloud.rotations[4 * i + 1],
                                                         cloud.rotations[4 * i + 2], cloud.rotations[4 * i + 3]))
                let offset = r * sample
                for a in 0..<3 {
                    children.means[3 * c + a] += offset[a]
                    children.logScales[3 * c + a] = logf(std[a] / 1.6)
                }
            }
            cloud.appendRows(children)
            adam.appendRows(2 * m)
            origin += [Int](repeating: -1, count: 2 * m)
            var keep = [Bool](repeating: true, count: cloud.count)
            for i in splitRows { keep[i] = false }
            cloud.keepRows(keep)
            adam.keepRows(keep)
            origin = zip(origin, keep).filter { $0.1 }.map { $0.0 }
            report.split = m
        }
        // Prune: transparent, and (optionally) too large on screen or in the world.
        var keep = [Bool](repeating: true, count: cloud.count)
        for i in 0..<cloud.count {
            if sigmoid(cloud.opacityLogits[i]) < settings.pruneOpacity { keep[i] = false; continue }
            if pruneLarge {
                // Statistics refer to the rows that existed before this step; new rows have none.
                let radius: Float = origin[i] >= 0 ? s.maxRadius[origin[i]] : 0
                if radius > settings.maxScreenRadius || maxScale(i) > settings.maxWorldSizeFraction * sceneExtent { keep[i] = false }
            }
        }
        let pruned = keep.filter { !$0 }.count
        if pruned > 0 {
            cloud.keepRows(keep)
            adam.keepRows(keep)
            report.pruned = pruned
        }
        return report
    }

    /// Sets every opacity to min(opacity, 0.01) and zeroes its Adam moments (3DGS `reset_opacity`).
    public static func resetOpacity(_ cloud: inout GaussianCloud, adam: Adam) {
        let cap = logit(0.01)
        cloud.opacityLogits = cloud.opacityLogits.map { min($0, cap) }
        adam.resetRows("opacityLogits", rows: Array(0..<cloud.count))
    }
}
